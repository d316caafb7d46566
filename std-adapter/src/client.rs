//! A blocking HTTP/1.x client with a connection pool per origin.
//!
//! A request goes on an idle pooled connection only when the engine says
//! that connection may carry another request *now* (persistence, the
//! server's `Keep-Alive: max` countdown, its `timeout` minus a margin, and
//! no byte or close arrived while it was idle: the transport's non-blocking
//! peek hands those to the engine first). Otherwise a new connection is
//! opened. If a reused connection turns out dead before any byte of the
//! response arrived, an idempotent request is retried once on a new
//! connection (the engine's retry rule).
//!
//! ```no_run
//! let client = h1conn_std::client::Client::new();
//! let mut response = client.get("http://127.0.0.1:8080/")?;
//! println!("{} {:?}", response.status(), response.header("content-type"));
//! let body = response.text()?;
//! # Ok::<(), h1conn_std::client::Error>(())
//! ```

use std::collections::HashMap;
use std::fmt;
use std::io::{self, Read};
use std::iter;
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant as StdInstant};

use h1conn::io::DriverError;
use h1conn::io::blocking;
use h1conn::policy::CloseReason;
use h1conn::time::Duration as EngineDuration;
use h1conn::wire::{Header, KeepAlive, ResponseHead, Version};
use h1conn::{
    ClientRole, Config, Connection, ErrorKind, NotReusable, ProtocolError, RetrySafety, UsageError,
};

use crate::net::{SystemClock, TcpTransport};

/// The engine's blocking client over a TCP socket, owning its buffers.
type Driver = blocking::Client<TcpTransport, SystemClock, Vec<u8>>;

/// Limits and timeouts of a [`Client`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Stop reusing an idle connection this long before the server's
    /// announced `Keep-Alive: timeout` (its clock started first).
    pub idle_margin: Duration,
    /// How long an idle connection is reused when the server announced no
    /// timeout.
    pub idle_ceiling: Duration,
    /// Give up on a connect, or on a peer silent for this long.
    pub timeout: Duration,
    /// Idle connections kept per origin.
    pub max_idle_per_origin: usize,
    /// Input buffer per connection: the largest response head accepted.
    pub buffer_size: usize,
    /// Give up on a TCP connect after this long (`None`: [`timeout`](Self::timeout)).
    pub connect_timeout: Option<Duration>,
    /// Give up when one whole exchange (connect, request, response head
    /// and body) takes longer than this (`None`: no total limit).
    pub max_time: Option<Duration>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            idle_margin: Duration::from_secs(1),
            idle_ceiling: Duration::from_secs(30),
            timeout: Duration::from_secs(30),
            max_idle_per_origin: 4,
            buffer_size: 16 * 1024,
            connect_timeout: None,
            max_time: None,
        }
    }
}

impl ClientConfig {
    /// The default configuration (1 s idle margin, 30 s ceiling and
    /// timeout, 4 idle connections per origin, 16 KiB buffers).
    pub fn new() -> Self {
        Self::default()
    }
}

/// Why a request failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The URL is not `http://host[:port][/path]`.
    InvalidUrl(String),
    /// The URL asks for `https`.
    HttpsUnsupported,
    /// A header given as `Name: value` was malformed.
    InvalidHeader(String),
    /// Connecting failed.
    Connect(io::Error),
    /// The transport failed.
    Io(io::Error),
    /// The server broke the protocol.
    Protocol(ProtocolError),
    /// The request could not be written as given.
    Usage(UsageError),
    /// The server closed the connection before responding.
    Closed,
    /// A reused connection failed and the method is not safe to retry.
    NotRetried {
        /// The method that was not retried.
        method: String,
    },
    /// The peer stayed silent past the timeout, or the exchange took
    /// longer than [`ClientConfig::max_time`].
    TimedOut,
    /// The response head did not fit the client's input buffer
    /// ([`ClientConfig::buffer_size`]).
    ResponseHeadTooLarge,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidUrl(url) => {
                write!(f, "invalid URL {url:?} (expected http://host[:port]/path)")
            }
            Self::HttpsUnsupported => f.write_str("https is not supported"),
            Self::InvalidHeader(h) => write!(f, "invalid header {h:?} (expected 'Name: value')"),
            Self::Connect(e) => write!(f, "connect failed: {e}"),
            Self::Io(e) => write!(f, "connection failed: {e}"),
            Self::Protocol(e) => write!(f, "malformed response: {e}"),
            Self::Usage(e) => write!(f, "cannot send request: {e}"),
            Self::Closed => f.write_str("server closed the connection before responding"),
            Self::NotRetried { method } => write!(
                f,
                "reused connection closed before the response; {method} is not idempotent, not retried"
            ),
            Self::TimedOut => f.write_str("timed out"),
            Self::ResponseHeadTooLarge => {
                f.write_str("response head larger than the client's input buffer")
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Connect(e) | Self::Io(e) => Some(e),
            Self::Protocol(e) => Some(e),
            Self::Usage(e) => Some(e),
            _ => None,
        }
    }
}

impl From<DriverError<io::Error>> for Error {
    fn from(error: DriverError<io::Error>) -> Self {
        match error {
            DriverError::Io(e) if is_timeout(&e) => Self::TimedOut,
            DriverError::Io(e) => Self::Io(e),
            // The caller's total limit (the async client's `max_time`, kept
            // by the engine), not a fault of the peer's.
            DriverError::Protocol(e) if e.kind == ErrorKind::ExchangeTimeout => Self::TimedOut,
            DriverError::Protocol(e) => Self::Protocol(e),
            DriverError::Usage(e) => Self::Usage(e),
            DriverError::Closed => Self::Closed,
            DriverError::TimedOut => Self::TimedOut,
            DriverError::TooManyHeaders => {
                Self::Usage(UsageError::InvalidHead(h1conn::ErrorKind::HeadTooLarge))
            }
            DriverError::InputBufferFull => Self::ResponseHeadTooLarge,
            other => Self::Io(io::Error::other(other.to_string())),
        }
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    )
}

/// An `http://` URL split into what a request needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    /// Host name or address (IPv6 without brackets).
    pub host: String,
    /// Port (80 when not given).
    pub port: u16,
    /// Path and query, starting with `/`.
    pub target: String,
    /// The `Host` field value: `host[:port]` as written in the URL.
    pub authority: String,
}

impl Url {
    /// Parses `http://host[:port][/path]`.
    pub fn parse(url: &str) -> Result<Self, Error> {
        let invalid = || Error::InvalidUrl(url.to_owned());
        let (scheme, rest) = url.split_once("://").ok_or_else(invalid)?;
        if scheme.eq_ignore_ascii_case("https") {
            return Err(Error::HttpsUnsupported);
        }
        if !scheme.eq_ignore_ascii_case("http") {
            return Err(invalid());
        }
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(end);
        let path = path.split('#').next().unwrap_or_default();
        if authority.is_empty() || authority.contains('@') {
            return Err(invalid());
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or_else(invalid)?;
            (host, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        let port = match port {
            Some(p) => p.parse().map_err(|_| invalid())?,
            None => 80,
        };
        if host.is_empty() {
            return Err(invalid());
        }
        let target = match path {
            "" => "/".to_owned(),
            p if p.starts_with('?') => format!("/{p}"),
            p => p.to_owned(),
        };
        Ok(Self {
            host: host.to_owned(),
            port,
            target,
            authority: authority.to_owned(),
        })
    }

    /// The pool key: host (case-insensitive) and port.
    pub(crate) fn origin(&self) -> Origin {
        (self.host.to_ascii_lowercase(), self.port)
    }
}

/// A request to send with [`Client::send`].
#[derive(Clone, Debug)]
pub struct Request {
    /// The method, e.g. `GET`.
    pub method: String,
    /// Where to send it.
    pub url: Url,
    /// Header fields (`Host` is added unless present).
    pub headers: Vec<(String, String)>,
    /// The body, sent with `Content-Length` (empty: none).
    pub body: Vec<u8>,
    /// Send HTTP/1.0 instead of HTTP/1.1.
    pub http10: bool,
}

impl Request {
    /// A request with no fields and no body.
    pub fn new(method: &str, url: &str) -> Result<Self, Error> {
        Ok(Self {
            method: method.to_owned(),
            url: Url::parse(url)?,
            headers: Vec::new(),
            body: Vec::new(),
            http10: false,
        })
    }

    /// Adds a header field.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }
}

/// A retry the client made: the reused connection that failed, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retry {
    /// The number of the connection that failed.
    pub conn: u64,
    /// What went wrong on it.
    pub reason: String,
}

/// What the engine decided once an exchange was complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Whether the connection may carry another request.
    pub keep_alive: bool,
    /// Why not, when it may not.
    pub close_reason: Option<CloseReason>,
    /// Body bytes received.
    pub body_bytes: u64,
}

/// Where a pooled connection leads: lowercase host and port.
pub(crate) type Origin = (String, u16);

/// A connection of a pool, over a blocking or an async driver.
#[derive(Debug)]
pub(crate) struct Pooled<D> {
    pub(crate) driver: D,
    /// Numbered from 1 in the order the client opened connections.
    pub(crate) id: u64,
    pub(crate) origin: Origin,
}

type BlockingPooled = Pooled<Driver>;

/// The configuration, the idle connections per origin and the count of
/// connections opened: what the blocking and the async client share. The
/// lock is never held across a wait (nor an `.await`).
#[derive(Debug)]
pub(crate) struct Pool<D> {
    pub(crate) config: ClientConfig,
    idle: Mutex<HashMap<Origin, Vec<Pooled<D>>>>,
    opened: AtomicU64,
}

impl<D> Default for Pool<D> {
    fn default() -> Self {
        Self::new(ClientConfig::default())
    }
}

impl<D> Pool<D> {
    pub(crate) fn new(config: ClientConfig) -> Self {
        Self {
            config,
            idle: Mutex::new(HashMap::new()),
            opened: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Origin, Vec<Pooled<D>>>> {
        // A panic elsewhere while holding the lock leaves the map usable.
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Connections opened so far.
    pub(crate) fn opened(&self) -> u64 {
        self.opened.load(Ordering::Relaxed)
    }

    /// The number of the next connection opened.
    pub(crate) fn next_id(&self) -> u64 {
        self.opened.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Idle connections, all origins.
    pub(crate) fn idle(&self) -> usize {
        self.lock().values().map(Vec::len).sum()
    }

    /// The idle connection to `origin` used most recently (the least
    /// likely to have timed out), to ask its driver whether it may be
    /// reused; dropping it closes it.
    pub(crate) fn take_idle(&self, origin: &Origin) -> Option<Pooled<D>> {
        self.lock().get_mut(origin)?.pop()
    }

    /// Keeps `conn` for a later request, unless
    /// [`ClientConfig::max_idle_per_origin`] connections to its origin wait
    /// already (then it closes).
    pub(crate) fn checkin(&self, conn: Pooled<D>) {
        let mut idle = self.lock();
        let conns = idle.entry(conn.origin.clone()).or_default();
        if conns.len() < self.config.max_idle_per_origin {
            conns.push(conn);
        }
    }
}

/// A blocking HTTP/1.x client that pools connections per origin.
#[derive(Debug, Default)]
pub struct Client {
    pool: Pool<Driver>,
}

impl Client {
    /// A client with `config`.
    pub fn with_config(config: ClientConfig) -> Self {
        Self {
            pool: Pool::new(config),
        }
    }

    client_common!();

    /// `GET url`.
    pub fn get(&self, url: &str) -> Result<Response<'_>, Error> {
        self.send(&Request::new("GET", url)?)
    }

    /// Sends `request` on a reusable pooled connection or a new one, and
    /// returns the response once its final head arrived. Read the body
    /// from the [`Response`]; the connection goes back to the pool when
    /// the body is complete and the engine allows reuse.
    pub fn send(&self, request: &Request) -> Result<Response<'_>, Error> {
        let origin = request.url.origin();
        let deadline = self.pool.config.max_time.map(|t| StdInstant::now() + t);
        let (mut conn, reused) = match self.checkout(&origin) {
            Some(conn) => (conn, true),
            None => (self.connect(&request.url, deadline)?, false),
        };
        conn.driver.transport_mut().set_deadline(deadline);
        match exchange(&mut conn, request) {
            Ok(head) => Ok(Response::new(self, conn, head, reused, None)),
            Err(error) => {
                let engine = conn.driver.connection();
                let may_retry = conn.driver.may_retry();
                let retry = plan_retry(error, conn.id, reused, may_retry, engine, request)?;
                drop(conn);
                let mut conn = self.connect(&request.url, deadline)?;
                conn.driver.transport_mut().set_deadline(deadline);
                let head = exchange(&mut conn, request)?;
                Ok(Response::new(self, conn, head, false, Some(retry)))
            }
        }
    }

    /// An idle connection to `origin` the engine allows to use now.
    fn checkout(&self, origin: &Origin) -> Option<BlockingPooled> {
        // The engine answers, after the driver handed it every byte it
        // holds and whatever the socket has waiting (bytes or a close).
        iter::from_fn(|| self.pool.take_idle(origin))
            .find_map(|mut conn| conn.driver.reusable().is_ok().then_some(conn))
    }

    fn checkin(&self, mut conn: BlockingPooled) {
        conn.driver.transport_mut().set_deadline(None);
        self.pool.checkin(conn);
    }

    fn connect(&self, url: &Url, deadline: Option<StdInstant>) -> Result<BlockingPooled, Error> {
        let config = &self.pool.config;
        let timeout = config.timeout;
        let connect_timeout = connect_timeout(config, deadline)?;
        let addrs = (url.host.as_str(), url.port)
            .to_socket_addrs()
            .map_err(Error::Connect)?;
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no address for host");
        let mut connected = None;
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, connect_timeout) {
                Ok(stream) => {
                    connected = Some(stream);
                    break;
                }
                Err(e) => last = e,
            }
        }
        let stream = connected.ok_or(Error::Connect(last))?;
        stream.set_write_timeout(Some(timeout)).map_err(Error::Io)?;
        let transport = TcpTransport::new(stream)
            .map_err(Error::Io)?
            .with_silence_limit(Some(timeout));
        let clock = SystemClock::new();
        let size = config.buffer_size;
        let engine = engine_config(config);
        let driver = Driver::new(transport, clock, engine, vec![0; size], vec![0; size]);
        Ok(Pooled {
            driver,
            id: self.pool.next_id(),
            origin: url.origin(),
        })
    }
}

/// The engine's configuration for a client connection.
pub(crate) fn engine_config(config: &ClientConfig) -> Config {
    let mut engine = Config::new();
    engine.idle_margin = engine_duration(config.idle_margin);
    engine.idle_timeout = engine_duration(config.idle_ceiling);
    engine
}

/// How long one TCP connect may take: the connect timeout, cut to what is
/// left of the exchange's `deadline`; `TimedOut` once that has passed.
pub(crate) fn connect_timeout(
    config: &ClientConfig,
    deadline: Option<StdInstant>,
) -> Result<Duration, Error> {
    let limit = config.connect_timeout.unwrap_or(config.timeout);
    let Some(deadline) = deadline else {
        return Ok(limit);
    };
    let left = deadline.saturating_duration_since(StdInstant::now());
    if left.is_zero() {
        return Err(Error::TimedOut);
    }
    Ok(limit.min(left))
}

/// After a request failed with `error` on connection `conn`: the retry to
/// make on a new connection, or the error to report.
///
/// Only a connection that died under us (closed or reset) is a retry
/// candidate; whether to retry is the engine's rule (`may_retry`, the
/// driver's answer), never worked out here.
pub(crate) fn plan_retry(
    error: Error,
    conn: u64,
    reused: bool,
    may_retry: bool,
    engine: &Connection<Config, ClientRole>,
    request: &Request,
) -> Result<Retry, Error> {
    let connection_died = matches!(error, Error::Closed | Error::Io(_));
    if !connection_died {
        return Err(error);
    }
    if !may_retry {
        let unanswered = engine.retry_safety() == RetrySafety::SentNoResponse;
        if reused && unanswered {
            return Err(Error::NotRetried {
                method: request.method.clone(),
            });
        }
        return Err(error);
    }
    Ok(Retry {
        conn,
        reason: error.to_string(),
    })
}

fn engine_duration(d: Duration) -> EngineDuration {
    EngineDuration::from_millis(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// What the response head said, copied out of the connection's buffer.
#[derive(Debug)]
pub(crate) struct Head {
    pub(crate) status: u16,
    pub(crate) version: Version,
    pub(crate) reason: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) keep_alive: Option<KeepAlive>,
}

impl Head {
    /// Copies what the response's users need out of `head`.
    pub(crate) fn of(head: &ResponseHead<'_>) -> Self {
        Self {
            status: head.status,
            version: head.version,
            reason: String::from_utf8_lossy(head.reason).into_owned(),
            headers: head
                .headers()
                .map(|h| {
                    (
                        String::from_utf8_lossy(h.name).into_owned(),
                        String::from_utf8_lossy(h.value).into_owned(),
                    )
                })
                .collect(),
            keep_alive: head.facts.keep_alive,
        }
    }
}

/// Sends `request` on `conn` and reads up to the final response head.
fn exchange(conn: &mut BlockingPooled, request: &Request) -> Result<Head, Error> {
    let fields = wire_fields(request);
    conn.driver.send_request(&wire_request(request, &fields))?;
    let head = conn.driver.read_response()?;
    Ok(Head::of(&head))
}

/// The header fields `request` goes out with: its own, after `Host` unless
/// it has one.
pub(crate) fn wire_fields(request: &Request) -> Vec<Header<'_>> {
    let url = &request.url;
    let mut fields: Vec<Header<'_>> = Vec::with_capacity(request.headers.len() + 1);
    if !request
        .headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("host"))
    {
        fields.push(Header {
            name: b"Host",
            value: url.authority.as_bytes(),
        });
    }
    fields.extend(request.headers.iter().map(|(name, value)| Header {
        name: name.as_bytes(),
        value: value.as_bytes(),
    }));
    fields
}

/// `request` as the drivers send it, with `fields` from [`wire_fields`].
pub(crate) fn wire_request<'a>(
    request: &'a Request,
    fields: &'a [Header<'a>],
) -> h1conn::io::Request<'a> {
    let version = if request.http10 {
        Version::Http10
    } else {
        Version::Http11
    };
    h1conn::io::Request::new(
        request.method.as_bytes(),
        request.url.target.as_bytes(),
        fields,
    )
    .with_version(version)
    .with_body(&request.body)
}

/// The engine's decision at the end of a body.
fn outcome_of(reusable: Result<(), NotReusable>, body_bytes: u64) -> Outcome {
    let (keep_alive, close_reason) = match reusable {
        Ok(()) => (true, None),
        Err(NotReusable::Closing(reason)) => (false, Some(reason)),
        Err(_) => (false, None),
    };
    Outcome {
        keep_alive,
        close_reason,
        body_bytes,
    }
}

/// `new`, `connections_opened` and `idle_connections`, the same on the
/// blocking and the async `Client` (field `pool`, a [`Pool`]).
macro_rules! client_common {
    () => {
        /// A client with the default configuration.
        pub fn new() -> Self {
            Self::with_config(ClientConfig::default())
        }

        /// Connections opened so far.
        pub fn connections_opened(&self) -> u64 {
            self.pool.opened()
        }

        /// Idle connections in the pool.
        pub fn idle_connections(&self) -> usize {
            self.pool.idle()
        }
    };
}

pub(crate) use client_common;

/// What a response has been so far: its head, where it came from, and the
/// body's progress; the same on the blocking and the async `Response`.
#[derive(Debug)]
pub(crate) struct Record {
    pub(crate) conn_id: u64,
    pub(crate) head: Head,
    pub(crate) reused: bool,
    pub(crate) retry: Option<Retry>,
    /// Body bytes received so far.
    pub(crate) body_bytes: u64,
    /// The engine's decision, once the body is complete.
    pub(crate) outcome: Option<Outcome>,
}

impl Record {
    pub(crate) fn new(conn_id: u64, head: Head, reused: bool, retry: Option<Retry>) -> Self {
        Self {
            conn_id,
            head,
            reused,
            retry,
            body_bytes: 0,
            outcome: None,
        }
    }

    /// The body is complete: records the engine's decision (`reusable`,
    /// the driver's answer, which has seen every byte held and waiting);
    /// whether the connection may go back to the pool.
    pub(crate) fn finish(&mut self, reusable: Result<(), NotReusable>) -> bool {
        let outcome = outcome_of(reusable, self.body_bytes);
        self.outcome = Some(outcome);
        outcome.keep_alive
    }
}

/// The accessors of a response's head and history, the same on the
/// blocking and the async `Response` (field `record`, a [`Record`]).
macro_rules! response_accessors {
    () => {
        /// The status code.
        pub fn status(&self) -> u16 {
            self.record.head.status
        }

        /// The response's HTTP version.
        pub fn version(&self) -> Version {
            self.record.head.version
        }

        /// The reason phrase.
        pub fn reason(&self) -> &str {
            &self.record.head.reason
        }

        /// All header fields, in order.
        pub fn headers(&self) -> &[(String, String)] {
            &self.record.head.headers
        }

        /// The first field named `name` (case-insensitive).
        pub fn header(&self, name: &str) -> Option<&str> {
            self.record
                .head
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        }

        /// The response's `Keep-Alive` parameters, if it had the field.
        pub fn keep_alive(&self) -> Option<KeepAlive> {
            self.record.head.keep_alive
        }

        /// The number of the connection this response came on (from 1, in
        /// the order the client opened connections).
        pub fn connection_id(&self) -> u64 {
            self.record.conn_id
        }

        /// Whether the request went on a connection that had served an
        /// earlier exchange.
        pub fn reused(&self) -> bool {
            self.record.reused
        }

        /// The retry made for this request, if any.
        pub fn retry(&self) -> Option<&Retry> {
            self.record.retry.as_ref()
        }

        /// The engine's decision, once the body is complete.
        pub fn outcome(&self) -> Option<Outcome> {
            self.record.outcome
        }
    };
}

// For the async client.
#[cfg(feature = "tokio")]
pub(crate) use response_accessors;

/// A response whose head has arrived; read the body with [`Read`],
/// [`copy_to`](Self::copy_to), [`body`](Self::body) or
/// [`text`](Self::text). Dropping it before the body is complete closes
/// the connection.
#[derive(Debug)]
pub struct Response<'c> {
    client: &'c Client,
    conn: Option<BlockingPooled>,
    record: Record,
    /// Body bytes received but not yet handed out by `read`.
    pending: Vec<u8>,
    pending_at: usize,
}

impl<'c> Response<'c> {
    fn new(
        client: &'c Client,
        conn: BlockingPooled,
        head: Head,
        reused: bool,
        retry: Option<Retry>,
    ) -> Self {
        Self {
            client,
            record: Record::new(conn.id, head, reused, retry),
            conn: Some(conn),
            pending: Vec::new(),
            pending_at: 0,
        }
    }

    response_accessors!();

    /// Streams the rest of the body into `out`; returns the decision.
    pub fn copy_to(&mut self, out: &mut (impl io::Write + ?Sized)) -> Result<Outcome, Error> {
        out.write_all(self.pending.get(self.pending_at..).unwrap_or_default())
            .map_err(Error::Io)?;
        self.pending.clear();
        self.pending_at = 0;
        loop {
            if let Some(outcome) = self.record.outcome {
                return Ok(outcome);
            }
            let Some(conn) = self.conn.as_mut() else {
                return Err(Error::Closed);
            };
            match conn.driver.read_body() {
                Ok(Some(data)) => {
                    self.record.body_bytes += data.len() as u64;
                    out.write_all(data).map_err(Error::Io)?;
                }
                Ok(None) => self.finish(),
                Err(e) => {
                    self.conn = None;
                    return Err(e.into());
                }
            }
        }
    }

    /// The whole body.
    pub fn body(&mut self) -> Result<Vec<u8>, Error> {
        let mut body = Vec::new();
        self.copy_to(&mut body)?;
        Ok(body)
    }

    /// The whole body as text (invalid UTF-8 replaced).
    pub fn text(&mut self) -> Result<String, Error> {
        Ok(String::from_utf8_lossy(&self.body()?).into_owned())
    }

    /// The body is complete: record the decision and pool the connection
    /// if the engine allows reuse.
    fn finish(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        if self.record.finish(conn.driver.reusable()) {
            self.client.checkin(conn);
        }
    }
}

impl Read for Response<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pending_at >= self.pending.len() {
            self.pending.clear();
            self.pending_at = 0;
            if self.record.outcome.is_some() {
                return Ok(0);
            }
            let Some(conn) = self.conn.as_mut() else {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "connection closed",
                ));
            };
            match conn.driver.read_body() {
                Ok(Some(data)) => {
                    self.record.body_bytes += data.len() as u64;
                    self.pending.extend_from_slice(data);
                }
                Ok(None) => self.finish(),
                Err(e) => {
                    self.conn = None;
                    return Err(io::Error::other(Error::from(e)));
                }
            }
        }
        let available = self.pending.get(self.pending_at..).unwrap_or_default();
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.pending_at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let url = Url::parse("http://Example.org:8080/a?b=c#frag").unwrap();
        assert_eq!(url.host, "Example.org");
        assert_eq!(url.port, 8080);
        assert_eq!(url.target, "/a?b=c");
        assert_eq!(url.authority, "Example.org:8080");
        assert_eq!(Url::parse("http://h").unwrap().target, "/");
        assert_eq!(Url::parse("http://h?x").unwrap().target, "/?x");
        assert_eq!(Url::parse("http://[::1]:81/").unwrap().host, "::1");
        assert!(matches!(
            Url::parse("https://h/"),
            Err(Error::HttpsUnsupported)
        ));
        assert!(matches!(Url::parse("ftp://h/"), Err(Error::InvalidUrl(_))));
        assert!(matches!(
            Url::parse("http://h:99999/"),
            Err(Error::InvalidUrl(_))
        ));
        assert!(matches!(Url::parse("http:///x"), Err(Error::InvalidUrl(_))));
    }
}
