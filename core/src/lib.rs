//! # h1conn: the HTTP/1.x connection persistence engine
//!
//! h1conn answers, byte-exactly and without doing any I/O, the questions
//! every HTTP/1 client and server must answer on each exchange: where does
//! this message end, may this connection carry another request, for how
//! long, and for how many more. It is `no_std`, allocates nothing, and never
//! panics on any input, so the same engine runs in firmware and on desktops.
//!
//! ## Layers
//!
//! - [`wire`]: stateless, zero-copy parsing of request and status lines,
//!   header fields, `Connection`, `Keep-Alive`, and framing.
//! - [`policy`]: the persistence rules of RFC 9112 9.3 as pure functions.
//!
//! ## Parsing a head and deciding persistence
//!
//! ```
//! use h1conn::policy::{exchange_persistence, MessageSummary, Persistence, CloseReason};
//! use h1conn::wire::{Method, ParseConfig, Parsed, RequestHead, ResponseHead};
//!
//! let config = ParseConfig::default();
//! let Parsed::Complete(request) =
//!     RequestHead::parse(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &config)?
//! else { unreachable!("the head is complete") };
//! let Parsed::Complete(response) = ResponseHead::parse(
//!     b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5, max=100\r\n\
//!       Content-Length: 2\r\n\r\nhi",
//!     &config,
//! )? else { unreachable!("the head is complete") };
//!
//! let keep_alive = response.facts.keep_alive.unwrap_or_default();
//! assert_eq!((keep_alive.timeout, keep_alive.max), (Some(5), Some(100)));
//! let decision = exchange_persistence(
//!     MessageSummary::of(request.version, &request.facts),
//!     MessageSummary::of(response.version, &response.facts),
//!     response.body_kind(request.method_kind()),
//! );
//! assert_eq!(decision, Persistence::KeepAlive);
//!
//! // Without the keep-alive echo, an HTTP/1.0 exchange ends the connection.
//! let Parsed::Complete(plain) = ResponseHead::parse(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", &config)?
//! else { unreachable!() };
//! assert_eq!(
//!     exchange_persistence(
//!         MessageSummary::of(request.version, &request.facts),
//!         MessageSummary::of(plain.version, &plain.facts),
//!         plain.body_kind(request.method_kind()),
//!     ),
//!     Persistence::Close(CloseReason::Http10NoKeepAlive),
//! );
//! # Ok::<(), h1conn::ProtocolError>(())
//! ```
//!
//! ## Errors
//!
//! Bad input gives a [`ProtocolError`]: its [`ErrorKind`], the byte offset
//! where it was found, and the status a server should answer with.
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::type_complexity))]
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

pub mod body;
mod error;
pub mod policy;
pub mod time;
pub mod timer;
pub mod wire;
pub mod write;

pub use error::{ErrorKind, ProtocolError};
