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
//! - [`body`]: body decoders (length, chunked with trailers, until close).
//! - [`state`]: every transition of a connection: the table of each half
//!   and the joint rules of the two.
//! - [`time`]: instants and durations; the core never reads a clock (its
//!   deadlines live in a fixed table inside the connection).
//! - [`Connection`]: the state machine that ties them together, and the one
//!   authority over a connection's life: reuse
//!   ([`Connection::reusable`]), retry ([`Connection::may_retry`]), the
//!   framing of what it sends (from the head it wrote), protocol switches,
//!   and every deadline (head, body progress, whole exchange, idle).
//! - [`write`](mod@write): chunk framing for bodies the caller writes.
//! - `io` (features `embedded-io`, `embedded-io-async`): drivers that run a
//!   `Connection` over a byte transport and only move bytes.
//!
//! ## Features
//!
//! No feature is on by default: the default build is the sans-IO engine
//! alone, with no transport trait and no logging.
//!
//! - `embedded-io`: the blocking driver, `io::blocking`, over
//!   `embedded_io::{Read, Write}`.
//! - `embedded-io-async`: the async driver, `io::asynch`, over
//!   `embedded_io_async::{Read, Write}` (embassy-net sockets implement
//!   them).
//! - `defmt`: `defmt::Format` for every public type, for firmware logs.
//!
//! On docs.rs every feature is on; items that need one carry a badge.
//!
//! ## Where the glue lives
//!
//! - With `std`: the `h1conn-std` crate has a TCP transport that applies
//!   the engine's deadlines itself (`h1conn_std::net::TcpTransport`) and a
//!   system clock (`h1conn_std::net::SystemClock`) for the blocking driver,
//!   a pooled client and a threaded server.
//! - On embassy-net: the `h1conn-embassy` crate has a clock, a reconnectable
//!   TCP transport and a `Session` that keeps a connection alive while the
//!   engine allows.
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
//! ## A client loop over any byte transport
//!
//! The engine owns no socket and no buffer. This loop works over anything
//! that reads and writes bytes (here `std::io`; the same shape works over
//! `embedded_io`): write the head the engine produced, then feed what you
//! read until the message ends, keeping unconsumed bytes in front.
//!
//! ```
//! use std::io::{Read, Write};
//! use h1conn::time::Instant;
//! use h1conn::wire::{Header, Version};
//! use h1conn::{Action, Config, Connection, Event, Role};
//!
//! /// Bytes read from the transport and not yet consumed by the engine:
//! /// they belong to the next message and must survive between requests.
//! struct Inbox { buf: [u8; 1024], filled: usize }
//!
//! /// Sends one GET and returns (status, body).
//! fn get(conn: &mut Connection, io: &mut (impl Read + Write), inbox: &mut Inbox, now: Instant,
//!        path: &str) -> Result<(u16, Vec<u8>), Box<dyn std::error::Error>>
//! {
//!     let Inbox { buf, filled } = inbox;
//!     let mut head = [0u8; 512];
//!     let host = Header { name: b"Host", value: b"example.org" };
//!     let len = conn.send_request(now, b"GET", path.as_bytes(), Version::Http11, &[host], &mut head)?;
//!     io.write_all(&head[..len])?;
//!
//!     let (mut status, mut body) = (0, Vec::new());
//!     loop {
//!         let step = conn.handle_input(now, &buf[..*filled])?;
//!         let consumed = step.bytes;
//!         let done = match step.event {
//!             Event::Response(head) if !head.is_interim() => { status = head.status; false }
//!             Event::Body(data) => { body.extend_from_slice(data); false }
//!             Event::MessageEnd => true,
//!             Event::NeedData => {
//!                 let n = io.read(&mut buf[*filled..])?;
//!                 if n == 0 {
//!                     if let Some(Event::MessageEnd) = conn.handle_eof(now)? { break; }
//!                     return Err("connection closed".into());
//!                 }
//!                 *filled += n;
//!                 continue;
//!             }
//!             _ => false,
//!         };
//!         buf.copy_within(consumed..*filled, 0);
//!         *filled -= consumed;
//!         if done { break; }
//!     }
//!     Ok((status, body))
//! }
//!
//! // An in-memory transport standing in for a socket: it replays a server.
//! struct Replay { input: std::io::Cursor<Vec<u8>>, output: Vec<u8> }
//! impl Read for Replay {
//!     fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> { self.input.read(buf) }
//! }
//! impl Write for Replay {
//!     fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> { self.output.write(buf) }
//!     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
//! }
//! let mut io = Replay {
//!     input: std::io::Cursor::new(
//!         b"HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5, max=1\r\nContent-Length: 2\r\n\r\nhi\
//!           HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\nbye".to_vec(),
//!     ),
//!     output: Vec::new(),
//! };
//! let t0 = Instant::from_millis(0);
//! let mut conn = Connection::new(Role::Client, Config::new(), t0);
//! let mut inbox = Inbox { buf: [0; 1024], filled: 0 };
//! assert_eq!(get(&mut conn, &mut io, &mut inbox, t0, "/a")?, (200, b"hi".to_vec()));
//! // The server allows one more request (max=1) within 5 s (minus the 1 s margin).
//! assert_eq!(conn.poll_action(), Action::Reuse);
//! assert!(conn.may_send_request(Instant::from_millis(3_900)));
//! assert!(!conn.may_send_request(Instant::from_millis(4_000)));
//! let t1 = Instant::from_millis(1_000);
//! assert_eq!(get(&mut conn, &mut io, &mut inbox, t1, "/b")?, (200, b"bye".to_vec()));
//! assert!(!conn.may_send_request(t1));
//! assert!(matches!(conn.poll_action(), Action::Close(_)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## A server loop
//!
//! ```
//! use h1conn::time::Instant;
//! use h1conn::wire::Header;
//! use h1conn::{Action, Config, Connection, Event, Role};
//!
//! // Two pipelined requests, the second asking to close.
//! let input = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
//! let now = Instant::from_millis(0);
//! let mut conn = Connection::new(Role::Server, Config::new(), now);
//! let (mut at, mut wire, mut head) = (0, Vec::new(), [0u8; 256]);
//! while conn.poll_action() != Action::Close(h1conn::policy::CloseReason::RequestClose) {
//!     let step = conn.handle_input(now, &input[at..])?;
//!     at += step.bytes;
//!     match step.event {
//!         Event::MessageEnd => {
//!             let length = Header { name: b"Content-Length", value: b"2" };
//!             let n = conn.send_response(now, 200, b"OK", &[length], &mut head).unwrap();
//!             wire.extend_from_slice(&head[..n]);
//!             wire.extend_from_slice(b"ok");
//!             conn.send_body(2).unwrap();
//!             conn.finish_message(now).unwrap();
//!         }
//!         Event::NeedData => break,
//!         _ => {}
//!     }
//! }
//! let wire = String::from_utf8(wire).unwrap();
//! assert!(wire.contains("Keep-Alive: timeout=5, max=99\r\n"));
//! assert!(wire.ends_with("Connection: close\r\n\r\nok"));
//! # Ok::<(), h1conn::ProtocolError>(())
//! ```
//!
//! ## Errors
//!
//! Bad input gives a [`ProtocolError`]: its [`ErrorKind`], the byte offset
//! where it was found, and the status a server should answer with.
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
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
mod conn;
mod error;
#[cfg(any(feature = "embedded-io", feature = "embedded-io-async"))]
#[cfg_attr(
    docsrs,
    doc(cfg(any(feature = "embedded-io", feature = "embedded-io-async")))
)]
pub mod io;
pub mod policy;
pub mod state;
pub mod time;
mod timer;
pub mod wire;
pub mod write;

pub use conn::{
    Action, AnyRole, ClientRole, Config, Connection, Consumed, Event, MAX_PIPELINE, NotReusable,
    RetrySafety, RoleKind, ServerRole,
};
pub use error::{ErrorKind, ProtocolError, UsageError};
pub use state::Role;

/// Whether the compact code paths run: the crate was built for size
/// (`--cfg h1conn_small`, set by the build script for opt-level "s" and
/// "z"). Unit tests can also switch them on for one thread, to compare
/// both paths in one run.
#[inline(always)]
pub(crate) fn small() -> bool {
    #[cfg(test)]
    if testing::SMALL.with(core::cell::Cell::get) {
        return true;
    }
    cfg!(h1conn_small)
}

#[cfg(test)]
mod testing {
    extern crate std;

    std::thread_local! {
        /// The compact paths are on for this thread (see [`super::small`]).
        pub(crate) static SMALL: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
    }

    /// Calls `f` with every string of up to `max_len` (at most 8) bytes
    /// over `alphabet`: the exhaustive half of the oracle tests.
    pub(crate) fn every_string(alphabet: &[u8], max_len: u32, mut f: impl FnMut(&[u8])) {
        for len in 0..=max_len.min(8) {
            for mut n in 0..alphabet.len().pow(len) {
                let mut s = [0u8; 8];
                for b in s[..len as usize].iter_mut() {
                    *b = alphabet[n % alphabet.len()];
                    n /= alphabet.len();
                }
                f(&s[..len as usize]);
            }
        }
    }

    /// Calls `f` with 200,000 strings of fewer than `most` of `pieces`
    /// joined, picked by an xorshift from `seed`; `step` and `rotate` say
    /// how a pick moves on. The longer half of the oracle tests.
    pub(crate) fn joined_pieces(
        pieces: &[&[u8]],
        mut seed: u64,
        most: u64,
        step: u64,
        rotate: u32,
        mut f: impl FnMut(&[u8]),
    ) {
        for _ in 0..200_000 {
            let mut s = std::vec::Vec::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut pick = seed;
            for _ in 0..(pick % most) {
                pick /= step;
                s.extend_from_slice(pieces[(pick as usize) % pieces.len()]);
                pick = pick.rotate_left(rotate) ^ seed;
            }
            f(&s);
        }
    }

    /// Runs `f` with the compact code paths on.
    pub(crate) fn with_small<T>(f: impl FnOnce() -> T) -> T {
        SMALL.with(|on| on.set(true));
        let out = f();
        SMALL.with(|on| on.set(false));
        out
    }
}
