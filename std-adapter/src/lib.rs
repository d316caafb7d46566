//! # h1conn-std: the h1conn engine over `std::net`
//!
//! A pooled HTTP/1.x [`client`] and a keep-alive [`server`], both on the
//! core's blocking drivers over [`net::TcpTransport`], and (feature
//! `tokio`) the same pair on tokio in `asynch`, on the core's async
//! drivers. The engine decides where each message ends and whether a
//! connection may carry another request; this crate owns the sockets,
//! buffers, threads, tasks and clocks.
//!
//! The package also builds the `h1conn` command-line tool (`get`, `serve`,
//! `demo`); its code is part of the binary, not of this library's API. See
//! `docs/cli.md` in the repository, or `h1conn --help`.
//!
//! ## Features
//!
//! - `tokio` (default): the `asynch` module (an async server and pooled
//!   client on tokio, over the core's async drivers) and the `h1conn` tool.
//!   Without it the crate is the blocking flavour only, with no runtime.
//!
//! The core's `embedded-io` feature (the blocking drivers) is always on.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub mod asynch;
pub mod client;
pub mod net;
pub mod server;
