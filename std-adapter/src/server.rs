//! A threaded keep-alive HTTP/1.x server over `std::net`.
//!
//! Each accepted connection gets its own thread running the core's
//! [`blocking::Server`] driver over a [`TcpTransport`], with a
//! [`SocketClock`] that turns the engine's deadlines into socket read
//! timeouts. The engine decides everything about persistence: whether a
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
//! 3. if the engine keeps the connection, skip what is left of the body and
//!    go back to 1 (pipelined requests are answered in order this way);
//!    otherwise close gracefully: shut down the write side, then drain what
//!    the peer still sends for a moment, so the last response is never cut
//!    off by a reset.
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

use std::collections::HashMap;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{
    IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs,
};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant as StdInstant};

use h1conn::io::blocking;
use h1conn::io::{DriverError, reason_phrase};
use h1conn::policy::{CloseReason, Persistence};
use h1conn::state::HalfState;
use h1conn::time::Duration as EngineDuration;
use h1conn::wire::{BodyKind, Header, ParseConfig, RequestHead, Version};
use h1conn::{Config, ProtocolError};

use crate::net::{SocketClock, TcpTransport};

/// Bytes of input buffer beyond the longest head: room for body bytes to
/// stream through while the head stays readable.
const INPUT_SLACK: usize = 16 * 1024;
/// Buffer for response heads and chunk-size lines.
const SCRATCH_LEN: usize = 16 * 1024;
/// Output is gathered up to this size before it goes to the socket, so a
/// head and a small body leave in one segment.
const OUTPUT_BUFFER: usize = 16 * 1024;
/// An unread request body longer than this is not skipped: the response
/// says `Connection: close` instead (skipping it could take forever).
const DRAIN_LIMIT: u64 = 64 * 1024;

/// How a [`Server`] treats its connections.
///
/// Build it with struct update syntax over the defaults:
///
/// ```
/// use std::time::Duration;
/// use h1conn_std::server::ServerConfig;
///
/// let config = ServerConfig {
///     keep_alive_timeout: Duration::from_secs(2),
///     max_requests: 10,
///     ..ServerConfig::default()
/// };
/// assert_eq!(config.head_timeout, None); // follows the keep-alive timeout
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// Close a connection idle longer than this between requests; announced
    /// as `Keep-Alive: timeout=T` (whole seconds). Default 5 s.
    pub keep_alive_timeout: Duration,
    /// Most requests served on one connection; the response to the last one
    /// says `Connection: close`, and `Keep-Alive: max=M` counts down to it.
    /// `0` means no limit. Default 100.
    pub max_requests: u32,
    /// How long a request head may take once its first byte arrived; a
    /// client that sends part of a head and goes silent gets `408` and is
    /// disconnected then. `None` (the default): the keep-alive timeout.
    pub head_timeout: Option<Duration>,
    /// Longest silence while a request body is being read (never shorter
    /// than the keep-alive and head timeouts). Default 30 s.
    pub read_timeout: Duration,
    /// Longest a write may block on a peer that does not read. Default 30 s.
    pub write_timeout: Duration,
    /// Longest request head accepted, in bytes; longer ones get `431`
    /// (`414` when the request line alone is too long). Default 8 KiB.
    pub max_head_len: usize,
    /// Most connections served at once; further ones wait in the listen
    /// backlog until a connection ends. Default 1024.
    pub max_connections: usize,
    /// After the last response, how long a closing connection keeps
    /// reading (and discarding) what the peer still sends, so that closing
    /// with unread data never resets the connection under the response.
    /// Default 1 s.
    pub close_linger: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            keep_alive_timeout: Duration::from_secs(5),
            max_requests: 100,
            head_timeout: None,
            read_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
            max_head_len: ParseConfig::DEFAULT_MAX_HEAD_LEN,
            max_connections: 1024,
            close_linger: Duration::from_secs(1),
        }
    }
}

impl ServerConfig {
    /// The head timeout in force (the keep-alive timeout unless set).
    pub fn effective_head_timeout(&self) -> Duration {
        self.head_timeout.unwrap_or(self.keep_alive_timeout)
    }

    /// The engine configuration for one connection.
    fn engine(&self) -> Config {
        let mut config = Config::new();
        config.parse = ParseConfig::strict().with_max_head_len(self.max_head_len.max(64));
        config.idle_timeout = engine_duration(self.keep_alive_timeout);
        config.head_timeout = engine_duration(self.effective_head_timeout());
        config.max_requests = (self.max_requests != 0).then_some(self.max_requests);
        config.announce_keep_alive = true;
        config
    }

    /// The silence limit of a connection's reads: the engine's own
    /// deadlines (idle, head) must always fire first.
    fn silence_limit(&self) -> Duration {
        self.read_timeout
            .max(self.keep_alive_timeout)
            .max(self.effective_head_timeout())
            .max(Duration::from_millis(1))
    }
}

fn engine_duration(duration: Duration) -> EngineDuration {
    EngineDuration::from_millis(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
}

/// Answers requests. Called once per request, on the connection's thread.
///
/// A handler reads what it needs of the request (the body through
/// [`Read`] or [`Request::read_body`]) and sends exactly one response with
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

type AccessLog = dyn Fn(&AccessRecord<'_>) + Send + Sync;

/// A bound, not yet running server.
///
/// [`bind`](Self::bind) it, optionally attach an access log, then either
/// [`run`](Self::run) it on the current thread or [`spawn`](Self::spawn) it
/// on a background thread and keep the [`ServerHandle`].
pub struct Server {
    listener: TcpListener,
    local_addr: SocketAddr,
    config: ServerConfig,
    handler: Box<dyn Handler>,
    log: Option<Box<AccessLog>>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("local_addr", &self.local_addr)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Binds a listening socket on `addr` (port 0 picks a free port; see
    /// [`local_addr`](Self::local_addr)). Nothing is accepted until
    /// [`run`](Self::run) or [`spawn`](Self::spawn).
    pub fn bind(
        addr: impl ToSocketAddrs,
        config: ServerConfig,
        handler: impl Handler,
    ) -> io::Result<Self> {
        let listener = TcpListener::bind(addr)?;
        let local_addr = listener.local_addr()?;
        Ok(Self {
            listener,
            local_addr,
            config,
            handler: Box::new(handler),
            log: None,
        })
    }

    /// The address the server listens on, with the real port.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Calls `log` once for every request answered (including malformed
    /// requests answered with an error status), after its response was
    /// sent, on the connection's thread.
    #[must_use]
    pub fn with_access_log(
        mut self,
        log: impl Fn(&AccessRecord<'_>) + Send + Sync + 'static,
    ) -> Self {
        self.log = Some(Box::new(log));
        self
    }

    /// Serves on the current thread until the listener fails for good
    /// (transient `accept` errors, such as running out of file
    /// descriptors, are waited out).
    pub fn run(self) -> io::Result<()> {
        let (listener, shared) = self.into_parts();
        accept_loop(&listener, &shared)
    }

    /// Serves on a background thread; the handle stops it.
    pub fn spawn(self) -> io::Result<ServerHandle> {
        let local_addr = self.local_addr;
        let (listener, shared) = self.into_parts();
        let for_thread = Arc::clone(&shared);
        let thread = thread::Builder::new()
            .name(format!("h1conn-accept-{}", local_addr.port()))
            .spawn(move || accept_loop(&listener, &for_thread))?;
        Ok(ServerHandle {
            local_addr,
            shared,
            thread: Some(thread),
        })
    }

    fn into_parts(self) -> (TcpListener, Arc<Shared>) {
        let shared = Arc::new(Shared {
            config: self.config,
            handler: self.handler,
            log: self.log,
            stopping: AtomicBool::new(false),
            next_conn: AtomicU64::new(1),
            live: Mutex::new(HashMap::new()),
            changed: Condvar::new(),
        });
        (self.listener, shared)
    }
}

/// A server running on a background thread (from [`Server::spawn`]).
///
/// Dropping the handle stops the server too.
#[derive(Debug)]
pub struct ServerHandle {
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl ServerHandle {
    /// The address the server listens on, with the real port.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Connections being served now.
    pub fn open_connections(&self) -> usize {
        self.shared.lock_live().len()
    }

    /// Stops the server: stops accepting, lets responses in progress
    /// finish, closes idle connections, and joins the accepting thread.
    /// Connection threads are waited for a moment (a handler that never
    /// returns is left behind).
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        self.shared.stopping.store(true, Ordering::SeqCst);
        {
            // Under the lock, so the accept loop cannot miss the wake-up
            // between checking the flag and waiting for a free slot.
            let _live = self.shared.lock_live();
            self.shared.changed.notify_all();
        }
        // `accept` cannot be interrupted portably: a connection wakes it.
        let _ = TcpStream::connect_timeout(&wake_addr(self.local_addr), Duration::from_secs(1));
        let _ = thread.join();

        // Closing the read side ends idle connections at once (their next
        // read sees end of stream) and lets busy ones finish their response.
        for stream in self.shared.lock_live().values() {
            let _ = stream.shutdown(Shutdown::Read);
        }
        let grace = self.shared.config.close_linger + Duration::from_secs(2);
        if !self.shared.wait_idle(grace) {
            for stream in self.shared.lock_live().values() {
                let _ = stream.shutdown(Shutdown::Both);
            }
            self.shared.wait_idle(Duration::from_secs(1));
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The address to connect to in order to reach a listener on `addr`.
fn wake_addr(addr: SocketAddr) -> SocketAddr {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, addr.port())
}

/// What the accepting thread and the connection threads share.
struct Shared {
    config: ServerConfig,
    handler: Box<dyn Handler>,
    log: Option<Box<AccessLog>>,
    stopping: AtomicBool,
    next_conn: AtomicU64,
    /// Open connections (a clone of each socket, to shut them down).
    live: Mutex<HashMap<u64, TcpStream>>,
    /// Signalled when a connection ends or the server stops.
    changed: Condvar,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("config", &self.config)
            .field("stopping", &self.stopping)
            .finish_non_exhaustive()
    }
}

impl Shared {
    fn lock_live(&self) -> MutexGuard<'_, HashMap<u64, TcpStream>> {
        // The map stays consistent whatever panicked while holding it.
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until no connection is open, at most `limit`.
    fn wait_idle(&self, limit: Duration) -> bool {
        let deadline = StdInstant::now() + limit;
        let mut live = self.lock_live();
        while !live.is_empty() {
            let left = deadline.saturating_duration_since(StdInstant::now());
            if left.is_zero() {
                return false;
            }
            live = self
                .changed
                .wait_timeout(live, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }
}

/// Unregisters a connection when its thread ends, however it ends.
struct LiveGuard {
    shared: Arc<Shared>,
    id: u64,
}

impl Drop for LiveGuard {
    fn drop(&mut self) {
        self.shared.lock_live().remove(&self.id);
        self.shared.changed.notify_all();
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) -> io::Result<()> {
    let mut failing_since: Option<StdInstant> = None;
    loop {
        if !wait_for_slot(shared) {
            return Ok(());
        }
        match listener.accept() {
            Ok((stream, peer)) => {
                failing_since = None;
                if shared.stopping.load(Ordering::SeqCst) {
                    return Ok(());
                }
                start_connection(shared, stream, peer);
            }
            Err(e) if is_transient(&e) => {}
            Err(e) => {
                if shared.stopping.load(Ordering::SeqCst) {
                    return Ok(());
                }
                // Out of descriptors or memory: wait for connections to end
                // rather than spin; a listener broken for this long is dead.
                let since = *failing_since.get_or_insert_with(StdInstant::now);
                if since.elapsed() > Duration::from_secs(30) {
                    return Err(e);
                }
                thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

/// Waits until fewer than `max_connections` are open; `false` when the
/// server is stopping.
fn wait_for_slot(shared: &Shared) -> bool {
    let cap = shared.config.max_connections.max(1);
    let mut live = shared.lock_live();
    loop {
        if shared.stopping.load(Ordering::SeqCst) {
            return false;
        }
        if live.len() < cap {
            return true;
        }
        live = shared
            .changed
            .wait(live)
            .unwrap_or_else(PoisonError::into_inner);
    }
}

/// Errors of one `accept` that say nothing about the listener.
fn is_transient(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
            | io::ErrorKind::TimedOut
    )
}

fn start_connection(shared: &Arc<Shared>, stream: TcpStream, peer: SocketAddr) {
    let Ok(handle) = stream.try_clone() else {
        return;
    };
    let id = shared.next_conn.fetch_add(1, Ordering::SeqCst);
    shared.lock_live().insert(id, handle);
    let guard = LiveGuard {
        shared: Arc::clone(shared),
        id,
    };
    // If the thread cannot start, the closure (guard and socket) is
    // dropped: the connection is unregistered and closed.
    let _ = thread::Builder::new()
        .name(format!("h1conn-conn-{id}"))
        .spawn(move || {
            let shared = Arc::clone(&guard.shared);
            serve_connection(&shared, stream, peer, id);
            drop(guard);
        });
}

/// The transport the driver runs on: the TCP transport with its output
/// gathered until the driver flushes (at the end of each response, and
/// before each read, so nothing waits in the buffer while we wait for the
/// peer).
#[derive(Debug)]
struct Buffered {
    inner: TcpTransport,
    out: Vec<u8>,
}

impl Buffered {
    fn new(inner: TcpTransport) -> Self {
        Self {
            inner,
            out: Vec::with_capacity(OUTPUT_BUFFER),
        }
    }

    fn write_out(&mut self) -> io::Result<()> {
        let mut sent = 0;
        while sent < self.out.len() {
            let rest = self.out.get(sent..).unwrap_or_default();
            match embedded_io::Write::write(&mut self.inner, rest) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => sent += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.out.clear();
                    return Err(e);
                }
            }
        }
        self.out.clear();
        Ok(())
    }

    /// Flushes and closes gracefully.
    fn close(mut self, linger: Duration) {
        let _ = self.write_out();
        self.inner.close_gracefully(linger);
    }
}

impl embedded_io::ErrorType for Buffered {
    type Error = io::Error;
}

impl embedded_io::Read for Buffered {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.write_out()?;
        embedded_io::Read::read(&mut self.inner, buf)
    }
}

impl embedded_io::Write for Buffered {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.out.len() + buf.len() > OUTPUT_BUFFER {
            self.write_out()?;
        }
        if buf.len() >= OUTPUT_BUFFER {
            return match embedded_io::Write::write(&mut self.inner, buf) {
                // `write_all` would panic on a zero-length write.
                Ok(0) => Err(io::ErrorKind::WriteZero.into()),
                other => other,
            };
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write_out()?;
        embedded_io::Write::flush(&mut self.inner)
    }
}

/// The driver of one connection, owning its buffers.
type Driver = blocking::Server<Buffered, SocketClock, Vec<u8>>;

fn io_error(error: DriverError<io::Error>) -> io::Error {
    let kind = match &error {
        DriverError::Io(_) => {
            return match error {
                DriverError::Io(e) => e,
                other => io::Error::other(other),
            };
        }
        DriverError::Protocol(_) => io::ErrorKind::InvalidData,
        DriverError::Usage(_) | DriverError::TooManyHeaders => io::ErrorKind::InvalidInput,
        DriverError::Closed => io::ErrorKind::UnexpectedEof,
        DriverError::TimedOut => io::ErrorKind::TimedOut,
        _ => io::ErrorKind::Other,
    };
    io::Error::new(kind, error)
}

/// The request head, copied out of the input buffer so that the body can
/// stream through it.
#[derive(Debug)]
struct Head {
    method: String,
    target: String,
    version: Version,
    headers: Vec<(String, Vec<u8>)>,
    body: BodyKind,
    expect_continue: bool,
}

impl Head {
    fn of(head: &RequestHead<'_>) -> Self {
        Self {
            method: String::from_utf8_lossy(head.method).into_owned(),
            target: String::from_utf8_lossy(head.target).into_owned(),
            version: head.version,
            headers: head
                .headers()
                .map(|h| {
                    (
                        String::from_utf8_lossy(h.name).into_owned(),
                        h.value.to_vec(),
                    )
                })
                .collect(),
            body: head.body,
            expect_continue: head.facts.expect_continue,
        }
    }
}

/// Where the response of a request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Nothing sent yet.
    Waiting,
    /// The head went out; the body is being streamed.
    Streaming(u16),
    /// The whole response went out.
    Done(u16),
    /// Sending failed: the connection cannot carry anything more.
    Broken(u16),
}

/// Reading state of the request body.
#[derive(Debug, Default)]
struct BodyState {
    /// The body ended (or there is none).
    done: bool,
    /// A read was attempted (so an owed `100 Continue` went out).
    started: bool,
    /// Body bytes handed to the driver's caller so far.
    read: u64,
    /// Bytes of the last piece that did not fit the caller's buffer.
    spill: Vec<u8>,
    spill_at: usize,
    /// The body broke the protocol.
    error: Option<ProtocolError>,
    /// The transport failed (or stayed silent too long) while reading it.
    dead: bool,
}

/// One request, as a [`Handler`] sees it: its head, its body (through
/// [`Read`], or whole with [`read_body`](Self::read_body)), and the means to
/// answer it once.
///
/// Answer with [`respond`](Self::respond) (whole body, `Content-Length`
/// added) or [`start_response`](Self::start_response) (streamed body,
/// `Content-Length` when the length is known, else chunked for HTTP/1.1 and
/// delimited by closing the connection for HTTP/1.0). The engine adds the
/// `Connection` and `Keep-Alive` fields and leaves the body out where the
/// rules say (HEAD, 204, 304).
pub struct Request<'a> {
    wire: &'a mut Driver,
    head: Head,
    peer: SocketAddr,
    conn: u64,
    number: u32,
    body: BodyState,
    phase: Phase,
}

impl fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.head.method)
            .field("target", &self.head.target)
            .field("version", &self.head.version)
            .field("peer", &self.peer)
            .field("conn", &self.conn)
            .field("number", &self.number)
            .finish_non_exhaustive()
    }
}

impl<'a> Request<'a> {
    fn new(wire: &'a mut Driver, head: Head, peer: SocketAddr, conn: u64, number: u32) -> Self {
        let body = BodyState {
            done: head.body == BodyKind::None,
            ..BodyState::default()
        };
        Self {
            wire,
            head,
            peer,
            conn,
            number,
            body,
            phase: Phase::Waiting,
        }
    }

    // ----- the head -----

    /// The method, e.g. `GET`.
    pub fn method(&self) -> &str {
        &self.head.method
    }

    /// The request-target as received, e.g. `/search?q=x`.
    pub fn target(&self) -> &str {
        &self.head.target
    }

    /// The path of the target: without the query, and without scheme and
    /// authority for an absolute-form target (`*` stays `*`).
    pub fn path(&self) -> &str {
        let target = self.head.target.as_str();
        let after_authority = match target.find("://") {
            Some(at) => {
                let rest = target.get(at + 3..).unwrap_or_default();
                rest.find('/')
                    .and_then(|slash| rest.get(slash..))
                    .unwrap_or("/")
            }
            None => target,
        };
        after_authority
            .split(['?', '#'])
            .next()
            .unwrap_or(after_authority)
    }

    /// The query of the target (after `?`), if any.
    pub fn query(&self) -> Option<&str> {
        self.head.target.split_once('?').map(|(_, query)| query)
    }

    /// The request's HTTP version.
    pub fn version(&self) -> Version {
        self.head.version
    }

    /// The header fields, in the order received.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> + '_ {
        self.head
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_slice()))
    }

    /// The value of the first field named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    }

    /// The request body's length when `Content-Length` gives it (`Some(0)`
    /// when the request has no body), `None` for a chunked body.
    pub fn content_length(&self) -> Option<u64> {
        match self.head.body {
            BodyKind::None => Some(0),
            BodyKind::Length(n) => Some(n),
            _ => None,
        }
    }

    /// Whether the request said `Expect: 100-continue` (reading its body
    /// sends `100 Continue` first).
    pub fn expects_continue(&self) -> bool {
        self.head.expect_continue
    }

    /// The client's address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// The connection, numbered from 1 in the order connections were accepted.
    pub fn connection_id(&self) -> u64 {
        self.conn
    }

    /// This request's number on its connection, from 1.
    pub fn request_number(&self) -> u32 {
        self.number
    }

    // ----- the body -----

    /// Reads the whole body if it is at most `limit` bytes; `Ok(None)` when
    /// it is longer (what was read of it is dropped, and the connection will
    /// close after the response, so the rest need not be read).
    pub fn read_body(&mut self, limit: usize) -> io::Result<Option<Vec<u8>>> {
        let limit = u64::try_from(limit).unwrap_or(u64::MAX);
        if self.content_length().is_some_and(|n| n > limit) {
            return Ok(None);
        }
        let mut body = Vec::new();
        let mut piece = [0u8; 8192];
        loop {
            let n = self.read(&mut piece)?;
            if n == 0 {
                return Ok(Some(body));
            }
            if u64::try_from(body.len() + n).unwrap_or(u64::MAX) > limit {
                return Ok(None);
            }
            body.extend_from_slice(piece.get(..n).unwrap_or_default());
        }
    }

    // ----- the response -----

    /// Sends a whole response. `Content-Length` is added unless `headers`
    /// frame the body; `Connection` and `Keep-Alive` are added by the
    /// engine. The body is left out for HEAD, 204 and 304.
    ///
    /// `status` must be a final status (200 to 999). Fails if a response
    /// was already sent.
    pub fn respond(
        &mut self,
        status: u16,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> io::Result<()> {
        self.check_can_respond(status)?;
        let close = self.must_close();
        let fields = fields(headers, close, None);
        let reason = reason_of(status);
        match self.wire.send_response(status, reason, &fields, body) {
            Ok(()) => {
                self.phase = Phase::Done(status);
                Ok(())
            }
            Err(e) => Err(self.broken(e, status)),
        }
    }

    /// Sends a response head and returns a writer for its body; call
    /// [`ResponseBody::finish`] at the end.
    ///
    /// With `length`, the body is sent with that `Content-Length` (and must
    /// be exactly that long). Without, it is chunked for an HTTP/1.1 request,
    /// and for an HTTP/1.0 request (which cannot read chunks) delimited by
    /// closing the connection. Framing fields in `headers` take precedence.
    pub fn start_response(
        &mut self,
        status: u16,
        headers: &[(&str, &str)],
        length: Option<u64>,
    ) -> io::Result<ResponseBody<'_>> {
        self.check_can_respond(status)?;
        let close = self.must_close();
        let digits;
        let framing = if status == 204 || status == 304 {
            None
        } else if let Some(n) = length {
            digits = n.to_string();
            Some(("Content-Length", digits.as_str()))
        } else if self.head.version == Version::Http11 {
            Some(("Transfer-Encoding", "chunked"))
        } else {
            None
        };
        let fields = fields(headers, close, framing);
        let reason = reason_of(status);
        if let Err(e) = self.wire.send_head(status, reason, &fields) {
            return Err(self.broken(e, status));
        }
        self.phase = Phase::Streaming(status);
        let sends_body = self.wire.connection().send_state() == HalfState::Body;
        Ok(ResponseBody {
            wire: &mut *self.wire,
            phase: &mut self.phase,
            sends_body,
        })
    }

    /// Whether a response was sent (or started).
    pub fn responded(&self) -> bool {
        self.phase != Phase::Waiting
    }

    fn check_can_respond(&self, status: u16) -> io::Result<()> {
        if self.phase != Phase::Waiting {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a response was already sent for this request",
            ));
        }
        if !(200..=999).contains(&status) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "only final statuses (200 to 999) can be sent",
            ));
        }
        Ok(())
    }

    /// Whether the response must close the connection because of the body
    /// left unread: the client waits for `100 Continue` that will not come,
    /// or skipping the rest would take too long.
    fn must_close(&self) -> bool {
        if self.body.done {
            return false;
        }
        if self.head.expect_continue && !self.body.started {
            return true;
        }
        match self.head.body {
            BodyKind::Length(n) => n.saturating_sub(self.body.read) > DRAIN_LIMIT,
            BodyKind::None => false,
            _ => true,
        }
    }

    /// Records a failed send. A head the engine refused (an invalid field,
    /// say) left nothing on the wire: the request can still be answered.
    fn broken(&mut self, error: DriverError<io::Error>, status: u16) -> io::Error {
        let refused = matches!(error, DriverError::Usage(_) | DriverError::TooManyHeaders)
            && self.wire.connection().send_state() == HalfState::Idle;
        if !refused {
            self.phase = Phase::Broken(status);
        }
        io_error(error)
    }
}

impl Read for Request<'_> {
    /// Reads the request body; `Ok(0)` at its end. The first read sends
    /// `100 Continue` when the request expects it. A body that breaks the
    /// protocol (an invalid chunk) fails with `InvalidData`; the server then
    /// answers it with `400` unless the handler responded already.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let body = &mut self.body;
        if body.spill_at < body.spill.len() {
            let rest = body.spill.get(body.spill_at..).unwrap_or_default();
            let n = rest.len().min(buf.len());
            buf.get_mut(..n)
                .unwrap_or_default()
                .copy_from_slice(rest.get(..n).unwrap_or_default());
            body.spill_at += n;
            return Ok(n);
        }
        if let Some(error) = body.error {
            return Err(io::Error::new(io::ErrorKind::InvalidData, error));
        }
        if body.dead {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the connection failed while reading the body",
            ));
        }
        if body.done {
            return Ok(0);
        }
        body.started = true;
        match self.wire.read_body() {
            Ok(Some(data)) => {
                let n = data.len().min(buf.len());
                buf.get_mut(..n)
                    .unwrap_or_default()
                    .copy_from_slice(data.get(..n).unwrap_or_default());
                body.spill.clear();
                body.spill
                    .extend_from_slice(data.get(n..).unwrap_or_default());
                body.spill_at = 0;
                body.read = body
                    .read
                    .saturating_add(u64::try_from(data.len()).unwrap_or(u64::MAX));
                Ok(n)
            }
            Ok(None) => {
                body.done = true;
                Ok(0)
            }
            Err(DriverError::Protocol(error)) => {
                body.error = Some(error);
                Err(io::Error::new(io::ErrorKind::InvalidData, error))
            }
            Err(e) => {
                // The transport failed or timed out: nothing more can be
                // read, and nothing more is sent.
                body.dead = true;
                Err(io_error(e))
            }
        }
    }
}

/// The header fields to send: the caller's, then `Connection: close` when
/// the server needs it, then framing unless the caller framed the body.
fn fields<'h>(
    headers: &[(&'h str, &'h str)],
    close: bool,
    framing: Option<(&'h str, &'h str)>,
) -> Vec<Header<'h>> {
    let mut all: Vec<Header<'h>> = headers
        .iter()
        .map(|(name, value)| Header {
            name: name.as_bytes(),
            value: value.as_bytes(),
        })
        .collect();
    if close {
        all.push(Header {
            name: b"Connection",
            value: b"close",
        });
    }
    let framed = headers.iter().any(|(name, _)| {
        name.eq_ignore_ascii_case("content-length")
            || name.eq_ignore_ascii_case("transfer-encoding")
    });
    if let (Some((name, value)), false) = (framing, framed) {
        all.push(Header {
            name: name.as_bytes(),
            value: value.as_bytes(),
        });
    }
    all
}

fn reason_of(status: u16) -> &'static [u8] {
    match reason_phrase(status) {
        "" => b"Unknown",
        phrase => phrase.as_bytes(),
    }
}

/// The body of a response being streamed (from [`Request::start_response`]).
///
/// Each `write` goes out as one chunk when the body is chunked, so prefer a
/// few large writes (or wrap it in a `BufWriter`). Writes are discarded,
/// silently, when the response has no body (HEAD, 204, 304): see
/// [`sends_body`](Self::sends_body).
pub struct ResponseBody<'r> {
    wire: &'r mut Driver,
    phase: &'r mut Phase,
    sends_body: bool,
}

impl fmt::Debug for ResponseBody<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseBody")
            .field("phase", &self.phase)
            .field("sends_body", &self.sends_body)
            .finish_non_exhaustive()
    }
}

impl ResponseBody<'_> {
    /// Whether body bytes go on the wire (`false` for a response to HEAD,
    /// and for 204 and 304: skip producing the body then).
    pub fn sends_body(&self) -> bool {
        self.sends_body
    }

    /// Ends the response (the last chunk when chunked) and flushes it.
    /// Fails if a `Content-Length` was announced and not reached.
    pub fn finish(self) -> io::Result<()> {
        let status = self.status();
        match self.wire.finish() {
            Ok(()) => {
                *self.phase = Phase::Done(status);
                Ok(())
            }
            Err(e) => {
                *self.phase = Phase::Broken(status);
                Err(io_error(e))
            }
        }
    }

    fn status(&self) -> u16 {
        match *self.phase {
            Phase::Streaming(status) | Phase::Done(status) | Phase::Broken(status) => status,
            Phase::Waiting => 0,
        }
    }
}

impl Write for ResponseBody<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.sends_body || buf.is_empty() {
            return Ok(buf.len());
        }
        if !matches!(*self.phase, Phase::Streaming(_)) {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the response is finished or broken",
            ));
        }
        match self.wire.write_body(buf) {
            Ok(()) => Ok(buf.len()),
            Err(e) => {
                *self.phase = Phase::Broken(self.status());
                Err(io_error(e))
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        embedded_io::Write::flush(self.wire.transport_mut())
    }
}

/// How an exchange ended, for the connection loop.
struct Outcome {
    /// The status sent, if any response went out.
    status: Option<u16>,
    /// The connection cannot be reused (a response is incomplete, or the
    /// body could not be skipped).
    abort: bool,
}

/// Runs the handler on `request`, then makes sure exactly one complete
/// response went out and the body is out of the way.
fn exchange(handler: &dyn Handler, request: &mut Request<'_>) -> Outcome {
    let result = panic::catch_unwind(AssertUnwindSafe(|| handler.handle(request)));
    let handler_ok = matches!(result, Ok(Ok(())));
    let mut abort = false;
    let status = match request.phase {
        Phase::Waiting if request.body.dead => {
            abort = true;
            None
        }
        Phase::Waiting => {
            if let Some(error) = request.body.error {
                // The body broke the protocol: answer that (the engine adds
                // `Connection: close`).
                match request.wire.send_error(&error) {
                    Ok(()) => Some(error.status_hint()),
                    Err(_) => {
                        abort = true;
                        None
                    }
                }
            } else {
                let message: &[u8] = if handler_ok {
                    b"the handler sent no response\n"
                } else {
                    b"internal server error\n"
                };
                let plain = [("Content-Type", "text/plain")];
                match request.respond(500, &plain, message) {
                    Ok(()) => Some(500),
                    Err(_) => {
                        abort = true;
                        None
                    }
                }
            }
        }
        Phase::Streaming(status) if handler_ok => match request.wire.finish() {
            Ok(()) => Some(status),
            Err(_) => {
                abort = true;
                Some(status)
            }
        },
        // The handler gave up in the middle of the body: the peer must see
        // the response end early, by the connection closing.
        Phase::Streaming(status) | Phase::Done(status) | Phase::Broken(status) => {
            abort = !matches!(request.phase, Phase::Done(_));
            Some(status)
        }
    };
    let persists = request.wire.connection().persistence().is_keep_alive();
    if !abort && persists && !request.body.done {
        // Skip the rest of the body now, so that a body error is not
        // mistaken for a bad next request (and answered twice).
        let mut sink = [0u8; 8192];
        loop {
            match request.read(&mut sink) {
                Ok(0) => break,
                Ok(_) => {}
                Err(_) => {
                    abort = true;
                    break;
                }
            }
        }
    }
    Outcome { status, abort }
}

/// Serves one connection until the engine, the peer or the handler ends it.
fn serve_connection(shared: &Shared, stream: TcpStream, peer: SocketAddr, id: u64) {
    let config = &shared.config;
    let _ = stream.set_write_timeout(Some(config.write_timeout.max(Duration::from_millis(1))));
    let Ok(transport) = TcpTransport::new(stream) else {
        return;
    };
    let clock = match SocketClock::new(
        StdInstant::now(),
        transport.stream(),
        Some(config.silence_limit()),
    ) {
        Ok(clock) => clock,
        Err(_) => {
            transport.close_gracefully(config.close_linger);
            return;
        }
    };
    let engine = config.engine();
    let input = vec![0u8; engine.parse.max_head_len + INPUT_SLACK];
    let scratch = vec![0u8; SCRATCH_LEN];
    let mut driver: Driver =
        blocking::Server::new(Buffered::new(transport), clock, engine, input, scratch);
    let mut number = 0u32;
    loop {
        let head = match driver.read_request() {
            Ok(Some(head)) if has_unknown_coding(&head) => {
                // RFC 9112 6.1: a transfer coding we cannot decode gets 501;
                // the body cannot be skipped reliably, so the connection closes.
                let head = Head::of(&head);
                let close = [Header {
                    name: b"Connection",
                    value: b"close",
                }];
                let sent = driver.send_response(501, b"Not Implemented", &close, b"");
                number = number.saturating_add(1);
                if sent.is_ok() {
                    log_exchange(
                        shared,
                        &driver,
                        id,
                        number,
                        peer,
                        Some(&head),
                        Some(501),
                        true,
                    );
                }
                break;
            }
            Ok(Some(head)) => Head::of(&head),
            Ok(None) => break,
            Err(DriverError::Protocol(error)) => {
                // A malformed head (or one too slow): answer it if the
                // engine still allows, then close.
                if driver.send_error(&error).is_ok() {
                    number = number.saturating_add(1);
                    log_exchange(
                        shared,
                        &driver,
                        id,
                        number,
                        peer,
                        None,
                        Some(error.status_hint()),
                        true,
                    );
                }
                break;
            }
            Err(_) => break,
        };
        number = number.saturating_add(1);
        let mut request = Request::new(&mut driver, head, peer, id, number);
        let outcome = exchange(shared.handler.as_ref(), &mut request);
        let Request { head, .. } = request;
        log_exchange(
            shared,
            &driver,
            id,
            number,
            peer,
            Some(&head),
            outcome.status,
            outcome.abort,
        );
        if outcome.abort || !driver.connection().persistence().is_keep_alive() {
            break;
        }
    }
    driver.into_transport().close(config.close_linger);
}

/// Whether a request's `Transfer-Encoding` names a coding other than
/// `chunked` (the only one this server decodes).
fn has_unknown_coding(head: &RequestHead<'_>) -> bool {
    head.headers()
        .filter(|h| h.name.eq_ignore_ascii_case(b"transfer-encoding"))
        .flat_map(|h| h.value.split(|&b| b == b','))
        .map(|coding| {
            coding
                .split(|&b| b == b';')
                .next()
                .unwrap_or_default()
                .trim_ascii()
        })
        .any(|coding| !coding.is_empty() && !coding.eq_ignore_ascii_case(b"chunked"))
}

#[allow(clippy::too_many_arguments)]
fn log_exchange(
    shared: &Shared,
    driver: &Driver,
    conn: u64,
    number: u32,
    peer: SocketAddr,
    head: Option<&Head>,
    status: Option<u16>,
    abort: bool,
) {
    let (Some(log), Some(status)) = (&shared.log, status) else {
        return;
    };
    let persistence = driver.connection().persistence();
    let persist = !abort && persistence.is_keep_alive();
    let close_reason = match persistence {
        Persistence::Close(reason) => Some(reason),
        Persistence::KeepAlive => None,
    };
    log(&AccessRecord {
        conn,
        request: number,
        peer,
        method: head.map(|h| h.method.as_str()),
        target: head.map(|h| h.target.as_str()),
        version: head.map(|h| h.version),
        status,
        persist,
        close_reason,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_maps_to_the_engine() {
        let config = ServerConfig {
            keep_alive_timeout: Duration::from_secs(2),
            max_requests: 0,
            ..ServerConfig::default()
        };
        let engine = config.engine();
        assert_eq!(engine.idle_timeout.as_millis(), 2_000);
        assert_eq!(engine.head_timeout.as_millis(), 2_000);
        assert_eq!(engine.max_requests, None);
        assert_eq!(ServerConfig::default().engine().max_requests, Some(100));
        assert!(config.silence_limit() >= Duration::from_secs(30));
    }

    #[test]
    fn wake_address_of_unspecified_is_loopback() {
        let any: SocketAddr = "0.0.0.0:80".parse().unwrap_or_else(|_| unreachable!());
        assert_eq!(wake_addr(any).to_string(), "127.0.0.1:80");
        let any6: SocketAddr = "[::]:80".parse().unwrap_or_else(|_| unreachable!());
        assert_eq!(wake_addr(any6).to_string(), "[::1]:80");
    }

    #[test]
    fn fields_add_close_and_framing_only_when_missing() {
        let mine = fields(
            &[("Content-Length", "3")],
            true,
            Some(("Content-Length", "9")),
        );
        let names: Vec<_> = mine.iter().map(|h| h.name).collect();
        assert_eq!(names, [&b"Content-Length"[..], b"Connection"]);
        let added = fields(&[], false, Some(("Transfer-Encoding", "chunked")));
        assert_eq!(added.len(), 1);
        assert_eq!(added.first().map(|h| h.value), Some(&b"chunked"[..]));
    }
}
