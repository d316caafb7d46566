//! A threaded keep-alive HTTP/1.x server over `std::net`.
//!
//! Each accepted connection gets its own thread running the core's
//! [`h1conn::io::blocking::Server`] driver over its
//! socket (one file descriptor per connection), whose read timeouts follow
//! the engine's deadlines. The engine decides everything about persistence: whether a
//! connection carries another request, the `Connection` and
//! `Keep-Alive: timeout=T, max=M` fields of each response, the idle and
//! head timeouts, the `max_requests` countdown. This module owns the
//! sockets, the threads and the buffers, and calls your [`Handler`] once per
//! request.
//!
//! What a connection does, in order:
//!
//! 1. read a request head (waiting at most the keep-alive timeout for its
//!    first byte, then the head timeout for the rest);
//! 2. call the handler, which may read the body (`100 Continue` goes out
//!    first when the request expects it) and sends one response, whole or
//!    streamed;
//! 3. if the engine keeps the connection, read and discard what is left of
//!    the body (up to [`ServerConfig::max_discard_body`], chunked or not)
//!    and go back to 1 (pipelined requests are answered in order this way);
//!    otherwise close gracefully: shut down the write side, then drain what
//!    the peer still sends for a moment, so the last response is never cut
//!    off by a reset.
//!
//! Every phase is bounded: a connection above
//! [`ServerConfig::max_connections`] is answered `503` and closed at once;
//! a request body must arrive within [`ServerConfig::body_timeout`],
//! extended by a second per [`ServerConfig::body_min_rate`] bytes (else
//! `408` and a close); a response must be written within
//! [`ServerConfig::write_timeout`] in total, however slowly the peer reads.
//!
//! A malformed request is answered with the status the engine suggests
//! (400, 408, 414, 431, 505) and `Connection: close`, then the connection
//! closes; other connections are not affected. A handler that fails or
//! panics before responding gets a `500`; one that fails mid-response has
//! its connection closed.
//!
//! # Example
//!
//! ```
//! use std::io::{Read, Write};
//! use std::net::TcpStream;
//! use h1conn_std::server::{Request, Server, ServerConfig};
//!
//! let server = Server::bind("127.0.0.1:0", ServerConfig::default(), |request: &mut Request<'_>| {
//!     let greeting = format!("hello, {}\n", request.path());
//!     request.respond(200, &[("Content-Type", "text/plain")], greeting.as_bytes())
//! })?
//! .spawn()?;
//!
//! let mut socket = TcpStream::connect(server.local_addr())?;
//! socket.write_all(b"GET /you HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
//! let mut response = String::new();
//! socket.read_to_string(&mut response)?;
//! assert!(response.starts_with("HTTP/1.1 200 OK\r\n"));
//! assert!(response.contains("Connection: close\r\n"));
//! assert!(response.ends_with("\r\n\r\nhello, /you\n"));
//!
//! server.shutdown();
//! # Ok::<(), std::io::Error>(())
//! ```

mod config;
mod connection;
mod listen;
pub(crate) mod request;
mod socket;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use h1conn::io::blocking;
use h1conn::policy::{CloseReason, Persistence};
use h1conn::wire::Version;
use h1conn::{Config, Connection, ServerRole};

pub use config::{ConfigError, ServerConfig};
pub use listen::{Server, ServerHandle};
pub use request::{Request, ResponseBody};

use listen::Shared;
#[cfg(feature = "tokio")]
pub(crate) use listen::{MAX_REFUSED_HELD, UNAVAILABLE, is_transient};
pub(crate) use request::Head;
use socket::ConnIo;

/// The driver of one connection, owning its buffers.
type Driver = blocking::Server<ConnIo, crate::net::SystemClock, Vec<u8>>;

/// Answers requests. Called once per request, on the connection's thread.
///
/// A handler reads what it needs of the request (the body through
/// [`Read`](std::io::Read) or [`Request::read_body`]) and sends exactly one response with
/// [`Request::respond`] or [`Request::start_response`]. Returning an error
/// before responding sends a `500`; returning an error in the middle of a
/// streamed response closes the connection (the response is incomplete).
///
/// Closures `Fn(&mut Request<'_>) -> io::Result<()>` are handlers.
pub trait Handler: Send + Sync + 'static {
    /// Answers `request`.
    fn handle(&self, request: &mut Request<'_>) -> io::Result<()>;
}

impl<F> Handler for F
where
    F: Fn(&mut Request<'_>) -> io::Result<()> + Send + Sync + 'static,
{
    fn handle(&self, request: &mut Request<'_>) -> io::Result<()> {
        self(request)
    }
}

impl<H: Handler + ?Sized> Handler for Arc<H> {
    fn handle(&self, request: &mut Request<'_>) -> io::Result<()> {
        (**self).handle(request)
    }
}

/// One answered request, as reported to the access log
/// ([`Server::with_access_log`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessRecord<'a> {
    /// The connection, numbered from 1 in the order connections were accepted.
    pub conn: u64,
    /// The request on that connection, numbered from 1.
    pub request: u32,
    /// The client's address.
    pub peer: SocketAddr,
    /// The method, or `None` when the head could not be parsed.
    pub method: Option<&'a str>,
    /// The request-target, or `None` when the head could not be parsed.
    pub target: Option<&'a str>,
    /// The request's version, or `None` when the head could not be parsed.
    pub version: Option<Version>,
    /// The status of the response sent.
    pub status: u16,
    /// Whether the engine keeps the connection for another request.
    pub persist: bool,
    /// Why the connection closes, when it does (`None` when it persists, or
    /// when the response could not be completed).
    pub close_reason: Option<CloseReason>,
}

pub(crate) type AccessLog = dyn Fn(&AccessRecord<'_>) + Send + Sync;

/// What the access log learns of one answered request, before the
/// engine's verdict is added.
pub(crate) struct Exchange<'h> {
    pub(crate) conn: u64,
    pub(crate) number: u32,
    pub(crate) peer: SocketAddr,
    pub(crate) head: Option<&'h Head>,
    pub(crate) status: u16,
    /// The response could not be completed, or the body not skipped.
    pub(crate) abort: bool,
}

impl<'h> Exchange<'h> {
    /// The record, with the engine's persistence decision.
    pub(crate) fn record(&self, engine: &Connection<Config, ServerRole>) -> AccessRecord<'h> {
        let persistence = engine.persistence();
        AccessRecord {
            conn: self.conn,
            request: self.number,
            peer: self.peer,
            method: self.head.map(Head::method),
            target: self.head.map(Head::target),
            version: self.head.map(|h| h.version),
            status: self.status,
            persist: !self.abort && persistence.is_keep_alive(),
            close_reason: match persistence {
                Persistence::Close(reason) => Some(reason),
                Persistence::KeepAlive => None,
            },
        }
    }
}
