//! The async flavour (feature `tokio`): a pooled [`client`] and a
//! keep-alive [`server`] on tokio, driven by the core's async drivers
//! (`h1conn::io::asynch`) over [`TokioTransport`], tokio's `TcpStream`
//! seen through `embedded-io-adapters`.
//!
//! The exchange loop is the core's, the same one embassy-net firmware
//! runs: this module adds sockets, buffers, tasks and a clock
//! ([`SystemClock`](crate::net::SystemClock) also implements the async
//! driver's clock, on tokio's timer). Reuse, retry, limits and deadlines
//! are the engine's, as in the blocking flavour.

pub mod client;
mod request;
pub mod server;
mod transport;

pub use transport::TokioTransport;
