//! # h1conn-std: the h1conn engine over `std::net`
//!
//! A pooled HTTP/1.x [`client`] and a keep-alive [`server`]. Both run the
//! core's blocking drivers over [`net::TcpTransport`]: the engine decides
//! where each message ends and whether a connection may carry another
//! request; this crate owns the sockets, buffers, threads and clocks.
//!
//! The package also builds the `h1conn` command-line tool (`get`, `serve`,
//! `demo`); its code is part of the binary, not of this library's API. See
//! `docs/cli.md` in the repository, or `h1conn --help`.
//!
//! ## Features
//!
//! - `tokio` (default): `asynch`, a pooled client and a server on tokio
//!   through the core's async drivers; the `h1conn` tool needs it.
//!
//! The crate enables the core's `embedded-io` feature (the blocking
//! drivers), and with `tokio` its `embedded-io-async` feature, for you.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "tokio")]
pub mod asynch;
pub mod client;
pub mod net;
pub mod server;
