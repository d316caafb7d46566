//! The async flavour (feature `tokio`): a pooled [`client`] and a
//! keep-alive [`server`] on tokio, driven by the core's async drivers
//! (`h1conn::io::asynch`) over [`TokioTransport`], tokio's `TcpStream`
//! seen through `embedded-io-adapters`.
//!
//! The exchange loop is the core's, the same one embassy-net firmware
//! runs: this module adds sockets, buffers, tasks and a clock
//! ([`TokioClock`], on tokio's timer). Reuse, retry, limits and deadlines
//! are the engine's, as in the blocking flavour.

pub mod client;
mod clock;
mod request;
pub mod server;
mod timer;
mod transport;

pub use clock::TokioClock;
pub use transport::TokioTransport;
