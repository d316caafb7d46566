//! # h1conn-std: the h1conn engine over `std::net`
//!
//! A pooled HTTP/1.x [`client`], a keep-alive [`server`], and the `h1conn`
//! command-line tool ([`cli`]). Both sides run the core's blocking drivers
//! over [`net::TcpTransport`]: the engine decides where each message ends
//! and whether a connection may carry another request; this crate owns the
//! sockets, buffers, threads and clocks.

pub mod cli;
pub mod client;
pub mod net;
pub mod routes;
pub mod server;
