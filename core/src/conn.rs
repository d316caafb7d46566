//! The [`Connection`]: one per transport connection, tying the wire parser,
//! the persistence policy, the body decoders, the timers and the head writer
//! together. Plain data: no buffers, no allocation, no clock.

use core::borrow::Borrow;
use core::marker::PhantomData;

use crate::body::{BodyDecoder, BodyEvent};
use crate::error::{ErrorKind, ProtocolError, UsageError};
use crate::policy::{
    CloseReason, MessageSummary, Persistence, PersistenceFields, exchange_persistence_after,
    request_fields, request_persistence, response_fields,
};
use crate::state::{HalfState, Joint, Role, Step, joint_states, next};
use crate::time::{Duration, Instant, Split64};
use crate::timer::{Timer, TimerSlots, TimerTable};
use crate::wire::{
    BodyKind, HeadFacts, HeadScanner, Header, Headers, KeepAlive, Method, ParseConfig, Parsed,
    RequestHead, ResponseHead, Version, request_body_kind, request_facts, response_body_kind,
    response_facts,
};
use crate::write::{WriteError, write_request_head, write_response_head};

/// Most requests a client keeps outstanding (pipelined) on one connection.
pub const MAX_PIPELINE: usize = 4;

/// Limits and timeouts of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct Config {
    /// Head limits and leniencies.
    pub parse: ParseConfig,
    /// Server: close a connection idle this long (announced as
    /// `Keep-Alive: timeout`). Client: reuse an idle connection at most this
    /// long when the server gave no `timeout` hint.
    pub idle_timeout: Duration,
    /// Server: a head that started arriving must complete within this time.
    pub head_timeout: Duration,
    /// Client: stop reusing an idle connection this long before the server's
    /// announced timeout, because the server's clock started first.
    pub idle_margin: Duration,
    /// Client: how long to hold a request body back after sending
    /// `Expect: 100-continue` before sending it anyway.
    pub continue_timeout: Duration,
    /// Server: most requests served on one connection (`None`: no limit).
    /// The response to the last one says `Connection: close`.
    pub max_requests: Option<u32>,
    /// Client: most requests outstanding at once (1: no pipelining; at
    /// most [`MAX_PIPELINE`]). Only idempotent requests are pipelined.
    pub pipeline_depth: u8,
    /// Server: announce `Keep-Alive: timeout=T, max=M` on persistent responses.
    pub announce_keep_alive: bool,
    /// A body being received must arrive within this time, extended by one
    /// second for every [`body_min_rate`](Self::body_min_rate) bytes that
    /// arrived (both sides), though never to more than this time after the
    /// latest bytes: a dribbling peer is cut off, a slow but honest one is
    /// not, and a burst buys no long silence.
    pub body_timeout: Duration,
    /// Bytes of body that earn one more second of
    /// [`body_timeout`](Self::body_timeout) (0: no extension).
    pub body_min_rate: u32,
    /// Client: most interim (1xx) responses accepted before the final one.
    pub max_interim: u16,
}

impl Config {
    /// Defaults: 5 s idle timeout, 10 s head timeout, 1 s idle margin, 1 s
    /// continue timeout, 100 requests per connection, no pipelining,
    /// `Keep-Alive` announced, bodies within 20 s plus 1 s per 500 bytes,
    /// and at most 100 interim responses.
    pub const fn new() -> Self {
        Self {
            parse: ParseConfig::strict(),
            idle_timeout: Duration::from_secs(5),
            head_timeout: Duration::from_secs(10),
            idle_margin: Duration::from_secs(1),
            continue_timeout: Duration::from_secs(1),
            max_requests: Some(100),
            pipeline_depth: 1,
            announce_keep_alive: true,
            body_timeout: Duration::from_secs(20),
            body_min_rate: 500,
            max_interim: 100,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self::new()
    }
}

/// What [`Connection::handle_input`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[repr(u8)]
pub enum Event<'a> {
    /// A request head (server).
    Request(RequestHead<'a>),
    /// A response head (client); interim (1xx) heads come before the final one.
    Response(ResponseHead<'a>),
    /// Body bytes, borrowed from the input.
    Body(&'a [u8]),
    /// The trailer section of a chunked body.
    Trailers(Headers<'a>),
    /// The message is complete.
    MessageEnd,
    /// All input so far is consumed or retained; read more and call again
    /// with the unconsumed bytes first. The bytes consumed may be non-zero
    /// here (e.g. blank lines between requests): drop those bytes too.
    NeedData,
    /// Server: the next request must wait until the current response is
    /// finished (pipelining). Call again after finishing it.
    Paused,
    /// The connection switched protocols: the input from here on belongs
    /// to the new protocol.
    Switched,
}

/// The result of [`Connection::handle_input`]: how many input bytes the
/// engine consumed, and what it found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Consumed<'a> {
    /// Bytes of the input consumed; the rest must be passed again.
    pub bytes: usize,
    /// What was found.
    pub event: Event<'a>,
}

impl<'a> Consumed<'a> {
    /// `bytes` consumed, and what was found (for tests and for wrappers
    /// that re-emit the engine's results).
    pub const fn new(bytes: usize, event: Event<'a>) -> Self {
        Self { bytes, event }
    }
}

/// What the caller should do with the connection now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Action {
    /// An exchange is in progress: keep reading and writing.
    Continue,
    /// Between exchanges and reusable: keep it open for the next one.
    Reuse,
    /// Close the connection (gracefully: after flushing what was written).
    Close(CloseReason),
    /// The connection switched protocols: hand it over.
    Switched,
}

/// How safe it is to retry a request after the connection failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum RetrySafety {
    /// No request was outstanding: nothing to retry, or safe to send anew.
    NotSent,
    /// The request was sent and no byte of its response arrived: an
    /// idempotent request may be retried on a new connection.
    SentNoResponse,
    /// Part of the response arrived: the server acted; do not retry
    /// automatically.
    ResponsePartial,
}

/// Why a connection may not carry the next request now (see
/// [`Connection::reusable`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum NotReusable {
    /// An exchange is still in progress on it.
    Busy,
    /// It must close, for this reason.
    Closing(CloseReason),
}

impl core::fmt::Display for NotReusable {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Busy => f.write_str("an exchange is in progress"),
            Self::Closing(reason) => write!(f, "closing: {reason}"),
        }
    }
}

/// A request on the connection that has not been answered yet, in one
/// byte: what the rest of the exchange needs of its head, as bits.
///
/// Its method matters only as a class (`PENDING_METHOD_*`): whether it is
/// idempotent (pipelining, retries), `HEAD` (the response has no body) or
/// `CONNECT` (a 2xx response opens a tunnel). Its persistence fields
/// matter only through the verdict they give
/// ([`request_persistence`]), kept as a `PENDING_VERDICT_*` code, and its
/// version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
struct Pending(u8);

/// Mask of the method class: one of the `PENDING_METHOD_*` values.
const PENDING_METHOD: u8 = 0b11;
/// Any method not idempotent (RFC 9110 9.2.2) and not `CONNECT`.
const PENDING_METHOD_OTHER: u8 = 0;
/// An idempotent method other than `HEAD`.
const PENDING_METHOD_IDEMPOTENT: u8 = 1;
const PENDING_METHOD_HEAD: u8 = 2;
const PENDING_METHOD_CONNECT: u8 = 3;
/// The request is HTTP/1.0 (else HTTP/1.1).
const PENDING_HTTP10: u8 = 1 << 2;
/// The request expects `100 Continue` before its body (HTTP/1.1 and
/// later only: RFC 9110 10.1.1 has HTTP/1.0 expectations ignored).
const PENDING_EXPECT_CONTINUE: u8 = 1 << 3;
/// The request asked for a protocol switch (`Upgrade`, listed in
/// `Connection`): only then is a `101` acceptable.
const PENDING_UPGRADE: u8 = 1 << 4;
/// Where the request's own persistence verdict starts: three bits, 0 for
/// keep-alive, else the code of the close reason
/// ([`Pending::verdict_code`]).
const PENDING_VERDICT_SHIFT: u32 = 5;

impl Pending {
    /// The placeholder of an empty queue slot, and the request a server
    /// answers when it could not read one: a non-idempotent HTTP/1.1
    /// request with no options.
    const EMPTY: Self = Self(0);

    /// A queue slot holding no request: a verdict code no request has.
    const VACANT: Self = Self(u8::MAX);

    #[cfg_attr(not(h1conn_small), inline)]
    fn of_request(method: Method, version: Version, facts: &HeadFacts) -> Self {
        let summary = MessageSummary::of(version, facts);
        let class = match method {
            Method::Head => PENDING_METHOD_HEAD,
            Method::Connect => PENDING_METHOD_CONNECT,
            _ if method.is_idempotent() => PENDING_METHOD_IDEMPOTENT,
            _ => PENDING_METHOD_OTHER,
        };
        let verdict = Self::verdict_code(request_persistence(summary));
        let flag = |on: bool, bit: u8| if on { bit } else { 0 };
        Self(
            class
                | flag(summary.version == Version::Http10, PENDING_HTTP10)
                | flag(
                    facts.expect_continue && version != Version::Http10,
                    PENDING_EXPECT_CONTINUE,
                )
                | flag(facts.upgrade && facts.connection.upgrade, PENDING_UPGRADE)
                | verdict << PENDING_VERDICT_SHIFT,
        )
    }

    const fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }

    /// A method of the request's class: the same answers to
    /// `is_idempotent` and the same response framing as the real one.
    const fn method(self) -> Method {
        match self.0 & PENDING_METHOD {
            PENDING_METHOD_IDEMPOTENT => Method::Get,
            PENDING_METHOD_HEAD => Method::Head,
            PENDING_METHOD_CONNECT => Method::Connect,
            _ => Method::Other,
        }
    }

    /// The code of a verdict of [`request_persistence`] (0: keep-alive).
    fn verdict_code(verdict: Persistence) -> u8 {
        match verdict {
            Persistence::KeepAlive => 0,
            Persistence::Close(CloseReason::Http10TransferEncoding) => 2,
            Persistence::Close(CloseReason::FramingConflict) => 3,
            Persistence::Close(CloseReason::Http10NoKeepAlive) => 4,
            Persistence::Close(reason) => {
                // The only other verdict; any other reason would still close.
                debug_assert_eq!(reason, CloseReason::RequestClose);
                1
            }
        }
    }

    /// What the request said about persistence ([`request_persistence`]).
    // Left to the compiler in a size build too: once the verdict codes
    // fold at their callers, outlining it no longer pays (16 B more).
    const fn persistence(self) -> Persistence {
        let reason = match self.0 >> PENDING_VERDICT_SHIFT {
            0 => return Persistence::KeepAlive,
            2 => CloseReason::Http10TransferEncoding,
            3 => CloseReason::FramingConflict,
            4 => CloseReason::Http10NoKeepAlive,
            _ => CloseReason::RequestClose,
        };
        Persistence::Close(reason)
    }

    const fn version(self) -> Version {
        if self.has(PENDING_HTTP10) {
            Version::Http10
        } else {
            Version::Http11
        }
    }

    const fn expect_continue(self) -> bool {
        self.has(PENDING_EXPECT_CONTINUE)
    }

    const fn upgrade(self) -> bool {
        self.has(PENDING_UPGRADE)
    }
}

/// The requests not answered yet, oldest first: at most [`MAX_PIPELINE`].
/// The live ones fill the first slots; the rest hold [`Pending::VACANT`]
/// (no length byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
struct Queue {
    items: [Pending; MAX_PIPELINE],
}

impl Queue {
    const fn new() -> Self {
        Self {
            items: [Pending::VACANT; MAX_PIPELINE],
        }
    }

    /// The queue of one request.
    const fn of(pending: Pending) -> Self {
        let vacant = Pending::VACANT;
        Self {
            items: [pending, vacant, vacant, vacant],
        }
    }

    #[cfg_attr(not(h1conn_small), inline)]
    fn len(&self) -> usize {
        self.items
            .iter()
            .take_while(|p| **p != Pending::VACANT)
            .count()
    }

    #[cfg_attr(not(h1conn_small), inline)]
    fn is_empty(&self) -> bool {
        self.front().is_none()
    }

    #[cfg_attr(not(h1conn_small), inline)]
    fn front(&self) -> Option<Pending> {
        self.items
            .first()
            .copied()
            .filter(|p| *p != Pending::VACANT)
    }

    #[cfg_attr(not(h1conn_small), inline)]
    fn front_mut(&mut self) -> Option<&mut Pending> {
        self.items.first_mut().filter(|p| **p != Pending::VACANT)
    }

    fn iter(&self) -> impl Iterator<Item = &Pending> {
        self.items.iter().take_while(|p| **p != Pending::VACANT)
    }

    /// Appends `pending`; `false` when the queue is full.
    #[cfg_attr(not(h1conn_small), inline)]
    fn push_back(&mut self, pending: Pending) -> bool {
        match self.items.iter_mut().find(|p| **p == Pending::VACANT) {
            Some(slot) => {
                *slot = pending;
                true
            }
            None => false,
        }
    }

    #[cfg_attr(not(h1conn_small), inline)]
    fn pop_front(&mut self) {
        self.items.rotate_left(1);
        if let Some(last) = self.items.last_mut() {
            *last = Pending::VACANT;
        }
    }
}

/// `State::flags` bits: which optional counts are set, the role, and two
/// facts of the exchange (one byte rather than five).
const FLAG_PEER_TIMEOUT: u8 = 1;
const FLAG_PEER_MAX: u8 = 1 << 1;
const FLAG_LEFT: u8 = 1 << 2;
/// The connection is a server's (else a client's).
const FLAG_SERVER: u8 = 1 << 3;
/// Client: the request body is held back until `100 Continue` (or its
/// deadline).
const FLAG_BODY_HELD: u8 = 1 << 4;
/// Client: a byte of the response to the oldest request arrived.
const FLAG_RESPONSE_STARTED: u8 = 1 << 5;
/// Where the [`Outgoing`] framing of the body being sent starts: two bits.
const FLAG_OUTGOING_SHIFT: u32 = 6;
const FLAG_OUTGOING: u8 = 0b11 << FLAG_OUTGOING_SHIFT;

/// The caller's parts of a request head, for [`Connection::send_request`].
struct RequestParts<'p> {
    method: &'p [u8],
    target: &'p [u8],
    version: Version,
    headers: &'p [Header<'p>],
}

/// How the body being sent is framed, and what is left of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
enum Outgoing {
    /// `Connection::outgoing_left` bytes are left.
    Length,
    Chunked,
    UntilClose,
}

/// One HTTP/1.x connection, client or server, driven by the caller.
///
/// # How to drive it
///
/// **Getters**: [`role`](Self::role), [`send_state`](Self::send_state),
/// [`recv_state`](Self::recv_state), [`persistence`](Self::persistence),
/// [`peer_keep_alive`](Self::peer_keep_alive),
/// [`requests_left`](Self::requests_left), [`exchanges`](Self::exchanges).
///
/// **Inputs** (`handle_*`): [`handle_input`](Self::handle_input) with the
/// bytes read and not yet consumed; [`handle_eof`](Self::handle_eof) when the
/// peer closed its side; [`handle_timeout`](Self::handle_timeout) when the
/// deadline from `poll_timeout` passed (spurious calls are harmless).
///
/// **Commands**: [`send_request`](Self::send_request) (client) or
/// [`send_response`](Self::send_response) (server) write a head into the
/// caller's buffer; [`send_body`](Self::send_body) counts body bytes the
/// caller wrote; [`finish_message`](Self::finish_message) ends the message;
/// [`close`](Self::close) closes.
///
/// **Outputs** (`poll_*`): [`poll_action`](Self::poll_action) (continue,
/// reuse, close with a reason, or switched);
/// [`poll_timeout`](Self::poll_timeout) (the next deadline);
/// [`may_send_request`](Self::may_send_request) and
/// [`may_send_body`](Self::may_send_body) for clients;
/// [`retry_safety`](Self::retry_safety) after a failure.
///
/// **Order**: after every input or command, write out what the command put
/// in your buffer, then look at `poll_action` and `poll_timeout`. Feed
/// `handle_input` until it says [`Event::NeedData`], then read more.
/// Everything that is not consumed must be passed again, at the start of
/// the next slice, followed by the new bytes.
///
/// # Where the configuration lives
///
/// `C` is how the connection holds its [`Config`]: by value (the default,
/// `Connection` is `Connection<Config>`), or borrowed (`&Config`, any
/// [`Borrow<Config>`]). Borrowing keeps the 48 bytes of a `Config` (on
/// 32-bit targets) out of every connection: firmware with one `static`
/// configuration for all its connections passes `&CONFIG`.
///
/// ```
/// use h1conn::time::Instant;
/// use h1conn::{Config, Connection, Role};
///
/// static CONFIG: Config = Config::new();
///
/// let owned = Connection::new(Role::Client, Config::new(), Instant::from_millis(0));
/// let borrowed = Connection::new(Role::Client, &CONFIG, Instant::from_millis(0));
/// assert_eq!(owned.config(), borrowed.config());
/// assert!(size_of_val(&borrowed) < size_of_val(&owned));
/// ```
///
/// # A role fixed by the type
///
/// `R` says which roles the connection can take. By default
/// ([`AnyRole`], `Connection::new`) the role is chosen at run time, so a
/// program links the code of both. [`Connection::new_client`] and
/// [`Connection::new_server`] make connections whose role is part of their
/// type ([`ClientRole`], [`ServerRole`]): they behave exactly the same, and
/// the compiler can leave the other role's code (such as the request
/// parser, in a client) out of the program.
///
/// ```
/// use h1conn::time::Instant;
/// use h1conn::{Config, Connection, Role};
///
/// let client = Connection::new_client(Config::new(), Instant::from_millis(0));
/// assert_eq!(client.role(), Role::Client);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection<C = Config, R = AnyRole> {
    config: C,
    state: State<R>,
}

/// Which roles a [`Connection`] type can take: one fixed by the type
/// ([`ClientRole`], [`ServerRole`]), or either, chosen at run time
/// ([`AnyRole`]). Sealed: these three are the only kinds.
pub trait RoleKind: sealed::Sealed + Clone + core::fmt::Debug + Eq {
    /// The role of every connection of this kind, if the kind fixes one.
    const FIXED: Option<Role>;
}

mod sealed {
    /// Keeps [`RoleKind`](super::RoleKind) to this crate's kinds.
    #[allow(unreachable_pub)] // Public in name only: nothing outside can reach it.
    pub trait Sealed {}
}

/// The role is chosen when the connection is made ([`Connection::new`]):
/// the default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AnyRole;

/// The connection is a client's ([`Connection::new_client`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ClientRole;

/// The connection is a server's ([`Connection::new_server`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ServerRole;

impl sealed::Sealed for AnyRole {}
impl sealed::Sealed for ClientRole {}
impl sealed::Sealed for ServerRole {}

impl RoleKind for AnyRole {
    const FIXED: Option<Role> = None;
}

impl RoleKind for ClientRole {
    const FIXED: Option<Role> = Some(Role::Client);
}

impl RoleKind for ServerRole {
    const FIXED: Option<Role> = Some(Role::Server);
}

/// Everything of a [`Connection`] but its configuration, which each call
/// lends: the engine is compiled once, whatever holds the configuration.
// In this order, with C's rules: the bytes first, at offsets a Cortex-M
// reaches with its short (16-bit) loads and stores (below 32; short loads
// reach halfwords up to 62 and words up to 124), and no padding (see
// `spare`). Left to the compiler, the bytes came last, past 32: client
// image 60 B more. (This order measured best of a dozen.)
#[derive(Clone, Debug, PartialEq, Eq)]
#[repr(C)]
struct State<R> {
    /// Completed exchanges, saturating at `u16::MAX`: past that, a
    /// connection has long shown it is reusable, and only `exchanges()`
    /// could tell the difference.
    exchanges: u16,
    send: HalfState,
    recv: HalfState,
    persistence: Persistence,
    /// The `FLAG_*` bits: the role, facts of the exchange, the framing of
    /// the body being sent, and which of the optional counts are set
    /// (`Option<u32>` would take 8 bytes each).
    flags: u8,
    /// The layout of `timers` (here, not in the table: one byte beside the
    /// others rather than four with the table's padding).
    timer_slots: TimerSlots,
    /// Always 0: the byte that would be padding, made a field, so no
    /// byte of the state is left undefined (the compiler then builds and
    /// moves the state field by field, with no `memcpy`).
    spare: u8,
    pending: Queue,
    reader: Reader,
    timers: TimerTable,
    /// Body bytes left to send when the body being sent is counted
    /// ([`Outgoing::Length`], in `flags`).
    outgoing_left: Split64,
    counts: Counts,
    /// The role's kind: with a fixed role, the other role's branches
    /// are dead code the compiler removes. Being generic, the engine's
    /// code is compiled in the caller's crate: the small helpers it calls
    /// in this crate (queue, timer table, policy, framing) are marked
    /// `#[inline]` so they still inline there (not in a size build, where
    /// one copy of each is smaller).
    kind: PhantomData<R>,
}

/// The counts only one role keeps, sharing 8 bytes. A server keeps the
/// requests it may still serve, in full (`Config::max_requests` is a
/// `u32`). A client keeps the server's latest `Keep-Alive: timeout` and
/// `max`, the requests they leave (never more than `max`), and the interim
/// responses received for the oldest request.
///
/// A client's `timeout` and `max` are kept in 16 bits: larger values are
/// clamped to `u16::MAX` ([`narrow`]). Clamping errs on the side of the
/// connection's end only: a timeout of 65535 s (over 18 hours) ends reuse
/// at most that long after an exchange, sooner than the server allowed,
/// and a `max` of 65535 still means "many" (servers count it down on every
/// response anyway), with the connection closing after 65535 more
/// requests at the latest, never later than the server allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
struct Counts([u16; 4]);

impl Counts {
    const ZERO: Self = Self([0; 4]);

    /// Server: requests it may still serve.
    const fn server_left(self) -> u32 {
        let [low, high, _, _] = self.0;
        (high as u32) << 16 | low as u32
    }

    const fn set_server_left(&mut self, left: u32) {
        self.0 = [left as u16, (left >> 16) as u16, 0, 0];
    }

    /// Client: the server's `Keep-Alive: timeout`, requests its `max`
    /// leaves, its `max`, and the interim responses seen.
    const fn client(self) -> ClientCounts {
        let [peer_timeout, peer_max, left, interim_seen] = self.0;
        ClientCounts {
            peer_timeout,
            peer_max,
            left,
            interim_seen,
        }
    }

    // One count stored at a time: no read and write back of the others.
    const fn set_peer(&mut self, peer_timeout: u16, peer_max: u16) {
        let [timeout, max, _, _] = &mut self.0;
        (*timeout, *max) = (peer_timeout, peer_max);
    }

    const fn set_client_left(&mut self, left: u16) {
        let [_, _, slot, _] = &mut self.0;
        *slot = left;
    }

    const fn set_interim_seen(&mut self, seen: u16) {
        let [_, _, _, slot] = &mut self.0;
        *slot = seen;
    }
}

/// A client's [`Counts`], unpacked.
#[derive(Clone, Copy)]
struct ClientCounts {
    peer_timeout: u16,
    peer_max: u16,
    left: u16,
    interim_seen: u16,
}

/// A count a client keeps in 16 bits: clamped to `u16::MAX` (see
/// [`Counts`] for why that is safe).
fn narrow(count: u32) -> u16 {
    u16::try_from(count).unwrap_or(u16::MAX)
}

impl<C: Borrow<Config>> Connection<C> {
    /// A new connection in `role`, opened at `now`.
    pub fn new(role: Role, config: C, now: Instant) -> Self {
        let state = State::new(role, config.borrow(), now);
        Self { config, state }
    }
}

impl<C: Borrow<Config>> Connection<C, ClientRole> {
    /// A new client connection, opened at `now`: the same as
    /// `Connection::new(Role::Client, ..)`, with the role in the type (see
    /// [`Connection`], "A role fixed by the type").
    pub fn new_client(config: C, now: Instant) -> Self {
        let state = State::new(Role::Client, config.borrow(), now);
        Self { config, state }
    }
}

impl<C: Borrow<Config>> Connection<C, ServerRole> {
    /// A new server connection, opened at `now`: the same as
    /// `Connection::new(Role::Server, ..)`, with the role in the type.
    pub fn new_server(config: C, now: Instant) -> Self {
        let state = State::new(Role::Server, config.borrow(), now);
        Self { config, state }
    }
}

impl<C: Borrow<Config>, R: RoleKind> Connection<C, R> {
    // ----- getters -----

    /// The limits and timeouts the connection was made with.
    pub fn config(&self) -> &Config {
        self.config.borrow()
    }

    /// Client or server.
    pub const fn role(&self) -> Role {
        self.state.role()
    }

    /// The state of the half that sends (requests for a client, responses
    /// for a server).
    pub const fn send_state(&self) -> HalfState {
        self.state.send
    }

    /// The state of the half that receives.
    pub const fn recv_state(&self) -> HalfState {
        self.state.recv
    }

    /// The persistence decision so far. Once `Close`, always `Close`.
    pub const fn persistence(&self) -> Persistence {
        self.state.persistence
    }

    /// Client: the latest `Keep-Alive` hint of the server. A `timeout` or
    /// `max` above 65535 is kept, and reported, as 65535: the connection
    /// then ends sooner than the server allowed, never later.
    pub const fn peer_keep_alive(&self) -> KeepAlive {
        self.state.peer_keep_alive()
    }

    /// Requests this connection may still carry, if limited (client: from
    /// the server's `Keep-Alive: max`, at most 65535; server: from
    /// `Config::max_requests`, in full).
    pub const fn requests_left(&self) -> Option<u32> {
        self.state.requests_left()
    }

    /// Completed exchanges.
    ///
    /// Counted up to 65535, where the count stays: a connection that
    /// carried that many has shown all a caller could want to know.
    pub const fn exchanges(&self) -> u32 {
        self.state.exchanges as u32
    }

    // ----- inputs -----

    /// Feeds bytes received from the peer (those not consumed before first).
    pub fn handle_input<'a>(
        &mut self,
        now: Instant,
        input: &'a [u8],
    ) -> Result<Consumed<'a>, ProtocolError> {
        let mut event = Event::NeedData;
        let bytes = self.handle_input_into(now, input, &mut event)?;
        Ok(Consumed::new(bytes, event))
    }

    /// [`handle_input`](Self::handle_input), writing what it found into
    /// `event` and returning the bytes consumed (after an error, `event`
    /// is [`Event::NeedData`]).
    ///
    /// For firmware: an [`Event`] holds a whole head (about 100 bytes on
    /// 32-bit targets), so taking one by value and matching on it moves
    /// it, and moves that large link `memcpy` (about 900 bytes of flash on
    /// a Cortex-M4). Matching on `&event` moves nothing.
    ///
    /// ```
    /// use h1conn::time::Instant;
    /// use h1conn::wire::{Header, Version};
    /// use h1conn::{Config, Connection, Event};
    ///
    /// let now = Instant::from_millis(0);
    /// let mut conn = Connection::new_client(Config::new(), now);
    /// let host = Header { name: b"Host", value: b"a" };
    /// let mut head = [0u8; 64];
    /// conn.send_request(now, b"GET", b"/", Version::Http11, &[host], &mut head).unwrap();
    ///
    /// let input = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
    /// let (mut at, mut event) = (0, Event::NeedData);
    /// loop {
    ///     at += conn.handle_input_into(now, &input[at..], &mut event).unwrap();
    ///     match &event {
    ///         Event::Response(head) => assert_eq!(head.status, 200),
    ///         Event::Body(data) => assert_eq!(*data, b"hi"),
    ///         Event::MessageEnd => break,
    ///         other => panic!("{other:?}"),
    ///     }
    /// }
    /// assert_eq!(at, input.len());
    /// ```
    pub fn handle_input_into<'a>(
        &mut self,
        now: Instant,
        input: &'a [u8],
        event: &mut Event<'a>,
    ) -> Result<usize, ProtocolError> {
        self.state
            .handle_input(self.config.borrow(), now, input, event)
    }

    /// The peer closed its sending side. Returns [`Event::MessageEnd`] if
    /// that ended a close-delimited body; an error if it cut a message short.
    pub fn handle_eof(&mut self, now: Instant) -> Result<Option<Event<'static>>, ProtocolError> {
        self.state.handle_eof(self.config.borrow(), now)
    }

    /// Acts on the deadlines that passed by `now`. Calls before any
    /// deadline do nothing.
    ///
    /// Returns the error when the peer was too slow (a head, a body, or the
    /// whole exchange past its deadline): the connection is then marked to
    /// close, and a server may still answer with the error's status (408).
    /// An idle timeout or the end of a `100-continue` wait is no error.
    pub fn handle_timeout(&mut self, now: Instant) -> Option<ProtocolError> {
        self.state.handle_timeout(self.config.borrow(), now)
    }

    // ----- commands -----

    /// Client: writes a request head into `buf` and returns its length.
    ///
    /// The engine adds the `Connection` field the rules need (HTTP/1.0:
    /// `keep-alive`) unless `headers` has one, then reads the written head
    /// back to learn exactly what went on the wire (method, framing,
    /// `Connection`, `Expect`). HTTP/1.1 requests need a `Host` field
    /// (exactly one; HTTP/1.0 allows none). Its value is written as given:
    /// beyond the control bytes refused in every value, its grammar
    /// (`host[:port]`) is the caller's to get right.
    pub fn send_request(
        &mut self,
        now: Instant,
        method: &[u8],
        target: &[u8],
        version: Version,
        headers: &[Header<'_>],
        buf: &mut [u8],
    ) -> Result<usize, UsageError> {
        let parts = RequestParts {
            method,
            target,
            version,
            headers,
        };
        self.state
            .send_request(self.config.borrow(), now, &parts, buf)
    }

    /// Server: writes a response head for the oldest unanswered request
    /// into `buf` and returns its length.
    ///
    /// Interim responses (1xx other than 101) may come first, any number.
    /// On the final response the engine adds `Connection: close` when the
    /// connection will close (the request asked, `max_requests` is reached,
    /// ...), or `Connection: keep-alive` and `Keep-Alive: timeout, max` when
    /// it persists and announcing is configured (always for HTTP/1.0
    /// clients), unless `headers` sets them. A switching answer (101, or
    /// 2xx to `CONNECT`) is refused once the request failed
    /// ([`UsageError::WrongState`]): only an error answer may follow.
    pub fn send_response(
        &mut self,
        now: Instant,
        status: u16,
        reason: &[u8],
        headers: &[Header<'_>],
        buf: &mut [u8],
    ) -> Result<usize, UsageError> {
        self.state
            .send_response(self.config.borrow(), now, status, reason, headers, buf)
    }

    /// Counts `len` body bytes the caller wrote after the head (for a
    /// chunked body, the caller's chunk framing counts too).
    pub fn send_body(&mut self, len: usize) -> Result<(), UsageError> {
        self.state.send_body(len)
    }

    /// Ends the message being sent (after its whole body, if any). A message
    /// without a body is finished by its head already; finishing it again
    /// does nothing.
    pub fn finish_message(&mut self, now: Instant) -> Result<(), UsageError> {
        self.state.finish_message(self.config.borrow(), now)
    }

    /// Closes the connection from this side.
    pub fn close(&mut self, now: Instant) {
        self.state.close(now)
    }

    // ----- outputs -----

    /// What to do with the connection now.
    ///
    /// `Close` comes once nothing more may be sent or received. After the
    /// peer failed (a protocol error from `handle_input`, or the head
    /// deadline), a server that was not answering anything sees `Close` at
    /// once, and may still send one error response (400, 408, ...; the
    /// engine adds `Connection: close`) before closing.
    pub fn poll_action(&self) -> Action {
        self.state.poll_action()
    }

    /// The next deadline, if any: call [`handle_timeout`](Self::handle_timeout) then.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.state.poll_timeout()
    }

    /// Client: whether a request may be sent now: the connection persists,
    /// the server's `max` is not used up, and the connection has not been
    /// idle for longer than the server's timeout minus the margin.
    pub fn may_send_request(&self, now: Instant) -> bool {
        self.state.may_send_request(now)
    }

    /// Client: whether the request body may be sent now (not held back
    /// waiting for `100 Continue`).
    pub const fn may_send_body(&self) -> bool {
        self.state.may_send_body()
    }

    /// The one reuse question: may this connection carry the next request
    /// now? Acts on the deadlines that passed by `now` first, so the answer
    /// and [`poll_action`](Self::poll_action) agree afterwards.
    ///
    /// Feed every byte the transport delivered to
    /// [`handle_input`](Self::handle_input) before asking: bytes that
    /// arrive when no response is outstanding are unsolicited data, and the
    /// connection is then never reused ([`CloseReason::UnsolicitedData`]).
    ///
    /// A client's idle clock starts at [`Connection::new`] (a server times
    /// out a fresh connection too) and again after each exchange.
    pub fn reusable(&mut self, now: Instant) -> Result<(), NotReusable> {
        self.state.reusable(self.config.borrow(), now)
    }

    /// Client: the one retry rule. After this connection failed, may the
    /// oldest outstanding request be sent again on a new connection? Only
    /// when the connection had carried an earlier exchange (a reused
    /// connection the server may have closed as we sent), no byte of the
    /// response arrived, and the method is idempotent (RFC 9110 9.2.2).
    pub fn may_retry(&self) -> bool {
        self.state.may_retry()
    }

    /// Sets (or clears) a deadline for the whole exchange in progress or
    /// about to start: past it, [`handle_timeout`](Self::handle_timeout)
    /// fails the connection with [`ErrorKind::ExchangeTimeout`]. It is
    /// cleared when the exchange completes.
    ///
    /// A deadline more than [`Duration::MAX`] (about 49.7 days) after the
    /// connection's own earliest deadline counts as none: like a timeout
    /// of `Duration::MAX`, it is forever for an HTTP exchange.
    pub fn set_exchange_deadline(&mut self, at: Option<Instant>) {
        self.state.set_exchange_deadline(at)
    }

    /// Server: whether the request being read expects `100 Continue`
    /// before its body, and none was sent yet (never for HTTP/1.0
    /// requests, whose expectation is ignored).
    pub fn awaits_continue(&self) -> bool {
        self.state.awaits_continue()
    }

    /// Whether the body being sent is chunked, as the head the engine wrote
    /// says: the caller frames each write as a chunk.
    pub fn sends_chunked(&self) -> bool {
        self.state.sends_chunked()
    }

    /// Client: after a failure, how safe it is to retry the oldest
    /// outstanding request.
    pub fn retry_safety(&self) -> RetrySafety {
        self.state.retry_safety()
    }
}

impl<R: RoleKind> State<R> {
    fn new(role: Role, config: &Config, now: Instant) -> Self {
        // The first idle period, in a table of its own: the state is then
        // built in place, with no copy of it.
        let window = idle_window(role, None, config);
        let (timers, timer_slots) = TimerTable::one(Timer::Idle, now + window);
        let mut counts = Counts::ZERO;
        let mut flags = 0;
        if role == Role::Server {
            flags = FLAG_SERVER;
            if let Some(max) = config.max_requests {
                flags |= FLAG_LEFT;
                counts.set_server_left(max);
            }
        }
        Self {
            send: HalfState::Idle,
            recv: HalfState::Idle,
            persistence: Persistence::KeepAlive,
            reader: Reader::Head(HeadScanner::new()),
            outgoing_left: Split64::new(0),
            timers,
            timer_slots,
            pending: Queue::new(),
            counts,
            flags,
            exchanges: 0,
            spare: 0,
            kind: PhantomData,
        }
    }

    const fn peer_keep_alive(&self) -> KeepAlive {
        KeepAlive {
            timeout: self.optional(FLAG_PEER_TIMEOUT, self.counts.client().peer_timeout as u32),
            max: self.optional(FLAG_PEER_MAX, self.counts.client().peer_max as u32),
        }
    }

    const fn requests_left(&self) -> Option<u32> {
        let left = if matches!(self.role(), Role::Server) {
            self.counts.server_left()
        } else {
            self.counts.client().left as u32
        };
        self.optional(FLAG_LEFT, left)
    }

    /// Writes what it found into `event` (`NeedData` unless it found
    /// something else) and returns the bytes consumed.
    fn handle_input<'a>(
        &mut self,
        config: &Config,
        now: Instant,
        input: &'a [u8],
        event: &mut Event<'a>,
    ) -> Result<usize, ProtocolError> {
        *event = Event::NeedData;
        let result = match self.recv {
            HalfState::Switched => {
                *event = Event::Switched;
                Ok(0)
            }
            HalfState::MustClose | HalfState::Closed if input.is_empty() => Ok(0),
            HalfState::MustClose | HalfState::Closed => {
                Err(ProtocolError::new(ErrorKind::UnexpectedData, 0))
            }
            HalfState::Done if input.is_empty() => Ok(0),
            HalfState::Done => {
                *event = Event::Paused;
                Ok(0)
            }
            HalfState::Idle | HalfState::Head => self.read_head(config, now, input, event),
            HalfState::Body => self.read_body(config, now, input, event),
        };
        if let Err(error) = result {
            let reason = match error.kind {
                ErrorKind::UnsolicitedResponse => CloseReason::UnsolicitedData,
                _ => CloseReason::ProtocolError,
            };
            self.fail(reason);
            return Err(error);
        }
        result
    }

    fn handle_eof(
        &mut self,
        config: &Config,
        now: Instant,
    ) -> Result<Option<Event<'static>>, ProtocolError> {
        let _ = now;
        let mid_message = matches!(self.recv, HalfState::Head | HalfState::Body);
        // One close for every way out, with the reason of each.
        let (reason, result) = if self.recv == HalfState::Body
            && matches!(&self.reader, Reader::Body { decoder, .. } if decoder.is_until_close())
        {
            self.on_received_message_end(config, now);
            (CloseReason::CloseDelimited, Ok(Some(Event::MessageEnd)))
        } else {
            // A client receiving a response (its head or body) is waiting
            // for it: its request is outstanding until the response ends.
            let cut_short = match self.role() {
                Role::Client => !self.pending.is_empty(),
                Role::Server => mid_message,
            };
            debug_assert!(cut_short || !mid_message);
            // The reason stays `PeerClosed` (the first reason given is
            // kept), even when the peer cut a message short.
            let result = match cut_short {
                true => Err(ProtocolError::new(ErrorKind::IncompleteMessage, 0)),
                false => Ok(None),
            };
            (CloseReason::PeerClosed, result)
        };
        self.close_with(reason);
        result
    }

    fn handle_timeout(&mut self, config: &Config, now: Instant) -> Option<ProtocolError> {
        let expired = self.timers.expired_by(self.timer_slots, now);
        let (idle, head, continue_, body, exchange) = (
            expired.runs(Timer::Idle),
            expired.runs(Timer::Head),
            expired.runs(Timer::Continue),
            expired.runs(Timer::Body),
            expired.runs(Timer::Exchange),
        );
        if continue_ {
            self.release_body();
        }
        let slow = if exchange {
            Some((ErrorKind::ExchangeTimeout, CloseReason::ExchangeTimeout))
        } else if head {
            Some((ErrorKind::HeadTimeout, CloseReason::HeadTimeout))
        } else if body {
            Some((ErrorKind::BodyTimeout, CloseReason::BodyTimeout))
        } else {
            None
        };
        if let Some((kind, reason)) = slow {
            self.fail(reason);
            return Some(ProtocolError::new(kind, 0));
        }
        if idle {
            self.timers.stop(&mut self.timer_slots, Timer::Idle);
            self.close_for(CloseReason::IdleTimeout);
            self.settle(config, now);
        }
        None
    }

    fn send_request(
        &mut self,
        config: &Config,
        now: Instant,
        parts: &RequestParts<'_>,
        buf: &mut [u8],
    ) -> Result<usize, UsageError> {
        let &RequestParts {
            method,
            target,
            version,
            headers,
        } = parts;
        if self.role() != Role::Client || self.send != HalfState::Idle {
            return Err(UsageError::WrongState);
        }
        let kind = Method::from_bytes(method);
        if !self.may_send_request(now) || !self.may_pipeline(config, kind) {
            return Err(UsageError::MayNotSend);
        }
        // The state the request changes, read before the head is written
        // (which leaves it alone): where the connection was just made, the
        // compiler then still knows it (client image: 64 B less).
        let left = self.requests_left();
        let persistence = self.persistence;
        let oldest = self.pending.is_empty();
        // A request out, the connection is no longer idle.
        let mut slots = self.timer_slots;
        self.timers.stop(&mut slots, Timer::Idle);
        let fields = request_fields(version, true);
        let len = write_request_head(buf, method, target, version, headers, fields)
            .map_err(usage_of_write)?;
        // What the written head says, from its parts: the facts and errors
        // of parsing it back, without the parser.
        let facts = request_facts(method, target, version, headers, fields.connection_value())
            .map_err(UsageError::InvalidHead)?;
        let body = request_body_kind(facts.content_length, facts.transfer_encoding);
        let pending = Pending::of_request(kind, version, &facts);
        let has_body = body != BodyKind::None;
        // The only request: the queue is that one, no slot to look for.
        if oldest {
            self.pending = Queue::of(pending);
        } else if !self.pending.push_back(pending) {
            return Err(UsageError::MayNotSend);
        }
        self.start_sending(body);
        self.persistence = persistence.and(pending.persistence());
        self.set_requests_left(left.map(|n| n.saturating_sub(1)));
        self.timer_slots = slots;
        // The interim responses counted are the oldest request's.
        if oldest {
            self.set_interim_seen(0);
        }
        // The send half was idle (checked above): the step from there.
        if let Some(state) = next(HalfState::Idle, Step::HeadDone { body: has_body }) {
            self.send = state;
        }
        if has_body && pending.expect_continue() {
            self.set_flag(FLAG_BODY_HELD, true);
            self.set_timer(Timer::Continue, now, config.continue_timeout);
        }
        if !has_body {
            self.settle(config, now);
        }
        Ok(len)
    }

    fn send_response(
        &mut self,
        config: &Config,
        now: Instant,
        status: u16,
        reason: &[u8],
        headers: &[Header<'_>],
        buf: &mut [u8],
    ) -> Result<usize, UsageError> {
        let Some(pending) = self.pending.front() else {
            return Err(UsageError::WrongState);
        };
        if self.role() != Role::Server
            || self.send != HalfState::Idle
            || matches!(self.recv, HalfState::Idle | HalfState::Head)
        {
            return Err(UsageError::WrongState);
        }
        let interim = (100..200).contains(&status) && status != 101;
        if interim && pending.version() == Version::Http10 {
            // RFC 9110 15.2: an HTTP/1.0 client would take it as final.
            return Err(UsageError::InterimToHttp10);
        }
        let keep = !interim && self.persistence.is_keep_alive() && self.requests_left() != Some(0);
        let announce = config
            .announce_keep_alive
            .then(|| self.announcement(config));
        let fields = if interim {
            Default::default()
        } else {
            response_fields(pending.version(), keep, announce)
        };
        let mut len = write_response_head(buf, Version::Http11, status, reason, headers, fields)
            .map_err(usage_of_write)?;
        // What the written head says, from its parts (see `send_request`).
        let facts =
            response_facts(headers, fields.connection_value()).map_err(UsageError::InvalidHead)?;
        let body = response_body_kind(
            pending.method(),
            status,
            facts.content_length,
            facts.transfer_encoding,
        );
        let response = MessageSummary::of(Version::Http11, &facts);
        if body == BodyKind::Chunked && pending.version() == Version::Http10 {
            return Err(UsageError::ChunkedToHttp10);
        }
        if body == BodyKind::Tunnel {
            if status == 101 && !pending.upgrade() {
                return Err(UsageError::UnrequestedSwitch);
            }
            // The request failed (a broken body, a timeout): where it ends
            // in the peer's stream is unknown, so no new protocol can start
            // after it (RFC 9112 6.3: answer with an error, then close).
            if self.recv == HalfState::Closed {
                return Err(UsageError::WrongState);
            }
        }
        if interim {
            if status == 100 {
                // The expectation is met: the body may now be read.
                if let Some(front) = self.pending.front_mut() {
                    front.0 &= !PENDING_EXPECT_CONTINUE;
                }
            }
            return Ok(len);
        }
        let max_reached = if self.requests_left() == Some(0) {
            Persistence::Close(CloseReason::MaxReached)
        } else {
            Persistence::KeepAlive
        };
        let decision = max_reached.and(exchange_persistence_after(
            pending.persistence(),
            pending.version(),
            response,
            body,
        ));
        // What the caller's own fields decided (`Connection: close`, an
        // unframed body, a protocol switch) must not be contradicted by an
        // announcement of keep-alive: write the head again without it.
        let wanted = if body == BodyKind::Tunnel {
            PersistenceFields::default()
        } else if decision.is_keep_alive() {
            fields
        } else {
            response_fields(pending.version(), false, None)
        };
        if wanted != fields {
            len = write_response_head(buf, Version::Http11, status, reason, headers, wanted)
                .map_err(usage_of_write)?;
        }
        self.persistence = self.persistence.and(decision);
        if body == BodyKind::Tunnel {
            self.switch();
            return Ok(len);
        }
        self.start_sending(body);
        self.step_send(Step::HeadDone {
            body: body != BodyKind::None,
        });
        if body == BodyKind::None {
            self.settle(config, now);
        }
        Ok(len)
    }

    fn send_body(&mut self, len: usize) -> Result<(), UsageError> {
        if self.send != HalfState::Body {
            return Err(UsageError::WrongState);
        }
        if self.flag(FLAG_BODY_HELD) {
            return Err(UsageError::BodyHeld);
        }
        if self.outgoing() == Outgoing::Length {
            self.outgoing_left = Split64::new(
                self.outgoing_left
                    .get()
                    .checked_sub(len as u64)
                    .ok_or(UsageError::BodyTooLong)?,
            );
        }
        Ok(())
    }

    fn finish_message(&mut self, config: &Config, now: Instant) -> Result<(), UsageError> {
        match (self.send, self.outgoing()) {
            // Nothing in progress: a message without a body finished with
            // its head (and the exchange may have moved on already).
            (HalfState::Done | HalfState::Idle | HalfState::MustClose | HalfState::Switched, _) => {
                Ok(())
            }
            (HalfState::Body, Outgoing::Length) if self.outgoing_left.get() > 0 => {
                Err(UsageError::BodyIncomplete)
            }
            (HalfState::Body, _) => {
                self.release_body();
                self.step_send(Step::BodyDone);
                self.settle(config, now);
                Ok(())
            }
            _ => Err(UsageError::WrongState),
        }
    }

    fn close(&mut self, now: Instant) {
        let _ = now;
        self.close_with(CloseReason::LocalClose);
    }

    // Outlined in a size build (client image: 32 B less).
    #[cfg_attr(h1conn_small, inline(never))]
    fn poll_action(&self) -> Action {
        if self.send == HalfState::Switched || self.recv == HalfState::Switched {
            return Action::Switched;
        }
        match self.persistence {
            Persistence::Close(reason) if closable(self.send, self.recv) => Action::Close(reason),
            Persistence::KeepAlive
                if self.send == HalfState::Idle
                    && self.recv == HalfState::Idle
                    && self.pending.is_empty() =>
            {
                Action::Reuse
            }
            _ => Action::Continue,
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next(self.timer_slots)
    }

    // Inlined in a size build: its tests are cheaper in place than the
    // call, at send_request and at the public getter (client image: 16 B
    // less).
    #[cfg_attr(h1conn_small, inline(always))]
    fn may_send_request(&self, now: Instant) -> bool {
        if self.role() != Role::Client
            || !self.persistence.is_keep_alive()
            || self.send != HalfState::Idle
            || !matches!(
                self.recv,
                HalfState::Idle | HalfState::Head | HalfState::Body
            )
            || self.requests_left() == Some(0)
        {
            return false;
        }
        // The idle deadline is the last moment of reuse (armed when the
        // connection became idle, stopped when a request went out).
        // `u64::MAX`: no deadline, so never reached (`now` taken below it;
        // below a set deadline, the clamp changes nothing).
        let last = self.timers.millis(self.timer_slots, Timer::Idle);
        now.as_millis().min(u64::MAX - 1) < last
    }

    const fn may_send_body(&self) -> bool {
        matches!(self.send, HalfState::Body) && !self.flag(FLAG_BODY_HELD)
    }

    fn reusable(&mut self, config: &Config, now: Instant) -> Result<(), NotReusable> {
        let _ = self.handle_timeout(config, now);
        match self.poll_action() {
            Action::Reuse if self.role() == Role::Server || self.may_send_request(now) => Ok(()),
            Action::Reuse => Err(NotReusable::Closing(CloseReason::MaxReached)),
            Action::Continue => Err(NotReusable::Busy),
            Action::Close(reason) => Err(NotReusable::Closing(reason)),
            Action::Switched => Err(NotReusable::Closing(CloseReason::ProtocolSwitch)),
        }
    }

    fn may_retry(&self) -> bool {
        self.role() == Role::Client
            && self.exchanges > 0
            && self.retry_safety() == RetrySafety::SentNoResponse
            && self
                .pending
                .front()
                .is_some_and(|p| p.method().is_idempotent())
    }

    fn set_exchange_deadline(&mut self, at: Option<Instant>) {
        match at {
            Some(at) => self
                .timers
                .set(&mut self.timer_slots, Timer::Exchange, at, None),
            None => self.timers.stop(&mut self.timer_slots, Timer::Exchange),
        }
    }

    fn awaits_continue(&self) -> bool {
        self.role() == Role::Server
            && self.recv == HalfState::Body
            && self.send == HalfState::Idle
            && self.pending.front().is_some_and(Pending::expect_continue)
    }

    fn sends_chunked(&self) -> bool {
        self.send == HalfState::Body && self.outgoing() == Outgoing::Chunked
    }

    fn retry_safety(&self) -> RetrySafety {
        match (self.pending.is_empty(), self.flag(FLAG_RESPONSE_STARTED)) {
            (true, _) => RetrySafety::NotSent,
            (false, false) => RetrySafety::SentNoResponse,
            (false, true) => RetrySafety::ResponsePartial,
        }
    }

    // ----- internals -----

    // Outlined in a size build: the caller stays small (client engine
    // flash on thumbv7em: 60 B less than inlined). A speed build inlines
    // it, and then writes the head in the caller's event directly.
    #[cfg_attr(h1conn_small, inline(never))]
    fn read_head<'a>(
        &mut self,
        config: &Config,
        now: Instant,
        input: &'a [u8],
        event: &mut Event<'a>,
    ) -> Result<usize, ProtocolError> {
        if input.is_empty() {
            return Ok(0);
        }
        let server = self.role() == Role::Server;
        if server && self.recv == HalfState::Idle {
            // RFC 9112 2.2: empty lines between requests (a CRLF some
            // clients send after a body) are ignored; they do not start a
            // head, nor its deadline.
            let blank = input
                .chunks(2)
                .take_while(|pair| *pair == b"\r\n")
                .count()
                .saturating_mul(2);
            let rest = input.get(blank..).unwrap_or_default();
            if rest.is_empty() || rest == b"\r" {
                return Ok(blank);
            }
        }
        if !server && self.pending.is_empty() {
            return Err(ProtocolError::new(ErrorKind::UnsolicitedResponse, 0));
        }
        if self.recv == HalfState::Idle {
            self.step_recv(Step::HeadStarted);
            self.set_flag(FLAG_RESPONSE_STARTED, true);
            if server {
                self.timers.stop(&mut self.timer_slots, Timer::Idle);
            }
            // A head that started must complete in time, on both sides: a
            // peer dribbling a head must not hold the caller.
            self.set_timer(Timer::Head, now, config.head_timeout);
        }
        let parse = &config.parse;
        // One pass when the head arrived whole; otherwise the scanner
        // resumes where the last call stopped and parses once complete.
        if server {
            let mut scanner = self.reader.scanner();
            let parsed = scanner.parse_request(input, parse);
            self.reader = Reader::Head(scanner);
            let Parsed::Complete(head) = parsed? else {
                return Ok(0);
            };
            self.timers.stop(&mut self.timer_slots, Timer::Head);
            // The head goes straight into the caller's event and is read
            // there: no copy of it (in firmware, a `memcpy` call).
            let len = head.len;
            *event = Event::Request(head);
            if let Event::Request(head) = event {
                self.accept_request(config, now, head);
            }
            Ok(len)
        } else {
            let mut scanner = self.reader.scanner();
            let parsed = scanner.parse_response(input, parse);
            self.reader = Reader::Head(scanner);
            let Parsed::Complete(head) = parsed? else {
                return Ok(0);
            };
            self.timers.stop(&mut self.timer_slots, Timer::Head);
            let len = head.len;
            *event = Event::Response(head);
            if let Event::Response(head) = event
                && let Err(error) = self.accept_response(config, now, head)
            {
                // A head the engine refused is not handed out.
                *event = Event::NeedData;
                return Err(error);
            }
            Ok(len)
        }
    }

    fn accept_request(&mut self, config: &Config, now: Instant, head: &RequestHead<'_>) {
        let pending = Pending::of_request(head.method_kind(), head.version, &head.facts);
        // The queue only ever holds the request being answered: the next
        // head is not read (Paused) until the response is finished.
        let _ = self.pending.push_back(pending);
        self.set_requests_left(self.requests_left().map(|n| n.saturating_sub(1)));
        self.persistence = self.persistence.and(pending.persistence());
        self.start_body(config, now, head.body);
        self.step_recv(Step::HeadDone { body: true });
    }

    /// Starts decoding a body, and its deadline when bytes are due.
    fn start_body(&mut self, config: &Config, now: Instant, body: BodyKind) {
        debug_assert!(body != BodyKind::Tunnel, "a tunnel has no body to read");
        let decoder = BodyDecoder::new(body);
        self.reader = Reader::Body { decoder, credit: 0 };
        // Bytes are due unless the body is empty (`None`, `Length(0)`;
        // a tunnel never starts a body).
        if !decoder.is_finished() {
            self.set_timer(Timer::Body, now, config.body_timeout);
        }
    }

    // Outlined in a speed build (see `read_head`); built for size, inlined
    // into its one caller now that the head is read in the caller's event
    // (measured: 36 B less).
    #[cfg_attr(not(h1conn_small), inline(never))]
    fn accept_response(
        &mut self,
        config: &Config,
        now: Instant,
        head: &ResponseHead<'_>,
    ) -> Result<(), ProtocolError> {
        let Some(pending) = self.pending.front() else {
            return Err(ProtocolError::new(ErrorKind::UnsolicitedResponse, 0));
        };
        if head.is_interim() {
            let seen = self.counts.client().interim_seen.saturating_add(1);
            self.set_interim_seen(seen);
            if seen > config.max_interim {
                return Err(ProtocolError::new(ErrorKind::TooManyInterim, 0));
            }
            // A body not held has nothing to release: its deadline never
            // runs without the flag (both are set together, and
            // `release_body` clears both).
            if head.status == 100 {
                self.release_body();
            }
            // Back to waiting for the next head of this exchange (a head
            // was being read: the step from there, stored).
            debug_assert_eq!(next(self.recv, Step::InterimDone), Some(HalfState::Idle));
            self.recv = HalfState::Idle;
            return Ok(());
        }
        if head.status == 101 && !pending.upgrade() {
            return Err(ProtocolError::new(ErrorKind::UnrequestedSwitch, 0));
        }
        let body = head.body_kind(pending.method());
        let response = MessageSummary::of(head.version, &head.facts);
        // The exchange's verdict first: its reason wins over those below.
        // The request's own verdict was applied when it was sent, and a
        // close is kept: only the response's rules can change anything.
        debug_assert!(pending.persistence().is_keep_alive() || !self.persistence.is_keep_alive());
        self.persistence = self.persistence.and(exchange_persistence_after(
            Persistence::KeepAlive,
            pending.version(),
            response,
            body,
        ));
        if self.send == HalfState::Body && body != BodyKind::Tunnel {
            // The server answered before the request body was sent: stop
            // sending it (RFC 9112 9.5); the connection cannot carry
            // another request, as the server would read the rest of the
            // body as one.
            self.close_for(CloseReason::RequestIncomplete);
            self.release_body();
            self.step_send(Step::Close);
        }
        if let Some(params) = head.facts.keep_alive {
            let timeout = narrow(params.timeout.unwrap_or(0));
            let mut set = if params.timeout.is_some() {
                FLAG_PEER_TIMEOUT
            } else {
                0
            };
            if let Some(max) = params.max {
                // `max` counts the requests still accepted after this one:
                // those queued behind it (at most `MAX_PIPELINE - 1`) are
                // spoken for.
                let outstanding = self
                    .pending
                    .items
                    .iter()
                    .skip(1)
                    .filter(|p| **p != Pending::VACANT)
                    .count() as u32;
                self.counts
                    .set_client_left(narrow(max.saturating_sub(outstanding)));
                set |= FLAG_PEER_MAX | FLAG_LEFT;
                if max == 0 {
                    self.close_for(CloseReason::MaxReached);
                }
            }
            self.counts
                .set_peer(timeout, narrow(params.max.unwrap_or(0)));
            // One write of the flags: `left` keeps its flag without a `max`.
            self.flags = self.flags & !(FLAG_PEER_TIMEOUT | FLAG_PEER_MAX) | set;
        }
        if body == BodyKind::Tunnel {
            self.switch();
            return Ok(());
        }
        self.start_body(config, now, body);
        debug_assert_eq!(
            next(self.recv, Step::HeadDone { body: true }),
            Some(HalfState::Body)
        );
        self.recv = HalfState::Body;
        Ok(())
    }

    fn read_body<'a>(
        &mut self,
        config: &Config,
        now: Instant,
        input: &'a [u8],
        event: &mut Event<'a>,
    ) -> Result<usize, ProtocolError> {
        let bytes = match &mut self.reader {
            Reader::Body { decoder, .. } => {
                decoder.decode_into(input, &config.parse, event, |found| match found {
                    BodyEvent::Data(data) => Event::Body(data),
                    BodyEvent::Trailers(trailers) => Event::Trailers(trailers),
                    BodyEvent::NeedData => Event::NeedData,
                    BodyEvent::End => Event::MessageEnd,
                })?
            }
            Reader::Head(_) => {
                debug_assert!(false, "a body is read without its decoder");
                *event = Event::MessageEnd;
                0
            }
        };
        self.credit_body(config, now, bytes);
        if matches!(event, Event::MessageEnd) {
            self.on_received_message_end(config, now);
        }
        Ok(bytes)
    }

    /// Extends the body deadline by a second for every `body_min_rate`
    /// bytes that arrived (framing bytes count: they are progress too), but
    /// never past `body_timeout` from now: a peer that sends a burst cannot
    /// bank hours of slack and then dribble.
    // Inlined in a size build too: its second caller passes no bytes, and
    // there it folds away (client image: 44 B less).
    #[cfg_attr(h1conn_small, inline(always))]
    fn credit_body(&mut self, config: &Config, now: Instant, bytes: usize) {
        let rate = config.body_min_rate;
        let deadline = self.timers.millis(self.timer_slots, Timer::Body);
        if deadline == u64::MAX {
            return;
        }
        let Reader::Body { credit: banked, .. } = &mut self.reader else {
            return;
        };
        if rate == 0 || bytes == 0 {
            return;
        }
        // 32-bit arithmetic (no 64-bit division on small targets): a
        // credit beyond `u32::MAX` bytes saturates, and buys no more than
        // the cap below allows anyway.
        let credit = banked.saturating_add(u32::try_from(bytes).unwrap_or(u32::MAX));
        let seconds = credit / rate;
        *banked = credit % rate;
        if seconds > 0 {
            let extended = extend_deadline(
                deadline,
                Duration::from_secs(u64::from(seconds)),
                now + config.body_timeout,
            );
            self.timers.set(
                &mut self.timer_slots,
                Timer::Body,
                Instant::from_millis(extended),
                Some(now),
            );
        }
    }

    /// A received message ended (its body is done, and its deadline
    /// stopped): the client's exchange ends with it.
    fn on_received_message_end(&mut self, config: &Config, now: Instant) {
        self.timers.stop(&mut self.timer_slots, Timer::Body);
        // Both callers read a body: the step from there, stored.
        debug_assert_eq!(next(self.recv, Step::BodyDone), Some(HalfState::Done));
        self.recv = HalfState::Done;
        if self.role() == Role::Client {
            self.pending.pop_front();
            self.set_flag(FLAG_RESPONSE_STARTED, false);
            self.set_interim_seen(0);
            self.exchanges = self.exchanges.saturating_add(1);
            if self.pending.is_empty() {
                self.timers.stop(&mut self.timer_slots, Timer::Exchange);
            }
        }
        self.settle(config, now);
    }

    /// Moves halves that finished their message on, once the exchange allows.
    fn settle(&mut self, config: &Config, now: Instant) {
        // No idle deadline runs here, so none is left to stop when the
        // connection will close: every way here stopped it first (a
        // request sent, a head started, or the idle timeout acted).
        debug_assert!(
            self.timers.millis(self.timer_slots, Timer::Idle) == u64::MAX,
            "settle with the idle deadline running"
        );
        if self.role() == Role::Client && self.requests_left() == Some(0) && self.pending.is_empty()
        {
            // The server's `max` is used up: this connection is done.
            self.close_for(CloseReason::MaxReached);
        }
        let keep = self.persistence.is_keep_alive();
        if self.role() == Role::Server && self.send == HalfState::Done {
            // The response is complete: its request is answered.
            self.pending.pop_front();
            self.exchanges = self.exchanges.saturating_add(1);
            self.timers.stop(&mut self.timer_slots, Timer::Exchange);
        }
        let joint = Joint {
            role: self.role(),
            keep,
            outstanding: !self.pending.is_empty(),
            pipelining: config.pipeline_depth > 1,
        };
        (self.send, self.recv) = joint_states(self.send, self.recv, joint);
        if keep
            && self.send == HalfState::Idle
            && self.recv == HalfState::Idle
            && self.pending.is_empty()
        {
            self.become_idle(config, now);
        }
    }

    /// Starts the idle period: the server arms its idle deadline, the
    /// client its last moment of reuse.
    fn become_idle(&mut self, config: &Config, now: Instant) {
        let window = idle_window(self.role(), self.peer_keep_alive().timeout, config);
        self.set_timer(Timer::Idle, now, window);
    }

    /// Sets `timer` to `after` from `now`: one place for the deadline's
    /// (saturating) sum, not one at every site (smaller firmware).
    // Inlined in a size build too: the sum and the table's arguments
    // fold with each caller's constants (client image: 42 B less).
    #[cfg_attr(h1conn_small, inline(always))]
    fn set_timer(&mut self, timer: Timer, now: Instant, after: Duration) {
        self.timers
            .set(&mut self.timer_slots, timer, now + after, Some(now));
    }

    /// Client: the request body is no longer held back for `100
    /// Continue` (it came, the wait ended, or the body is over). One
    /// outlined copy in a size build: four callers.
    #[cfg_attr(h1conn_small, inline(never))]
    fn release_body(&mut self) {
        self.set_flag(FLAG_BODY_HELD, false);
        self.timers.stop(&mut self.timer_slots, Timer::Continue);
    }

    /// The connection must close after this exchange, for `reason` unless
    /// it already had one. (Outlined in a size build: called from many
    /// places.)
    #[cfg_attr(h1conn_small, inline(never))]
    fn close_for(&mut self, reason: CloseReason) {
        self.persistence = self.persistence.and(Persistence::Close(reason));
    }

    const fn flag(&self, bit: u8) -> bool {
        self.flags & bit != 0
    }

    fn set_flag(&mut self, bit: u8, on: bool) {
        if on {
            self.flags |= bit;
        } else {
            self.flags &= !bit;
        }
    }

    /// The role: the kind's if it fixes one (a constant, so the other
    /// role's code drops out), else the flag's.
    const fn role(&self) -> Role {
        match R::FIXED {
            Some(role) => role,
            None if self.flag(FLAG_SERVER) => Role::Server,
            None => Role::Client,
        }
    }

    /// `value` if the flag `bit` is set.
    const fn optional(&self, bit: u8, value: u32) -> Option<u32> {
        if self.flag(bit) { Some(value) } else { None }
    }

    /// Stores whether `value` is set (flag `bit`), and returns the value
    /// to store.
    fn set_optional(&mut self, bit: u8, value: Option<u32>) -> u32 {
        self.set_flag(bit, value.is_some());
        value.unwrap_or(0)
    }

    fn set_requests_left(&mut self, left: Option<u32>) {
        let left = self.set_optional(FLAG_LEFT, left);
        if self.role() == Role::Server {
            self.counts.set_server_left(left);
        } else {
            self.counts.set_client_left(narrow(left));
        }
    }

    /// Client: sets the count of interim responses to the oldest request.
    fn set_interim_seen(&mut self, seen: u16) {
        self.counts.set_interim_seen(seen);
    }

    /// The framing of the body being sent.
    const fn outgoing(&self) -> Outgoing {
        match (self.flags & FLAG_OUTGOING) >> FLAG_OUTGOING_SHIFT {
            1 => Outgoing::Chunked,
            2 => Outgoing::UntilClose,
            _ => Outgoing::Length,
        }
    }

    /// Starts sending a body framed as `body`.
    fn start_sending(&mut self, body: BodyKind) {
        let (outgoing, left) = outgoing_of(body);
        let code = match outgoing {
            Outgoing::Length => 0,
            Outgoing::Chunked => 1,
            Outgoing::UntilClose => 2,
        };
        self.flags = (self.flags & !FLAG_OUTGOING) | code << FLAG_OUTGOING_SHIFT;
        self.outgoing_left = left;
    }

    /// Server: the `Keep-Alive` parameters a response announces.
    fn announcement(&self, config: &Config) -> KeepAlive {
        let timeout = u32::try_from(config.idle_timeout.as_secs()).unwrap_or(u32::MAX);
        KeepAlive {
            timeout: Some(timeout),
            max: self.requests_left(),
        }
    }

    /// Whether another request may join those outstanding.
    fn may_pipeline(&self, config: &Config, method: Method) -> bool {
        if self.pending.is_empty() {
            return true;
        }
        let depth = usize::from(config.pipeline_depth).min(MAX_PIPELINE);
        self.pending.len() < depth
            && method.is_idempotent()
            && self.pending.iter().all(|p| p.method().is_idempotent())
    }

    // Outlined in a size build: a rare path, kept out of its callers
    // (client image: 16 B less).
    #[cfg_attr(h1conn_small, inline(never))]
    fn switch(&mut self) {
        // The exchange's verdict, applied by each caller, closes already
        // (`ProtocolSwitch`, or an earlier reason, which is kept).
        debug_assert!(!self.persistence.is_keep_alive());
        self.step_send(Step::Switch);
        self.step_recv(Step::Switch);
        self.timers.stop_all(&mut self.timer_slots);
    }

    /// The peer broke the protocol or timed out: nothing more is read. A
    /// server that was not answering anything may still send one error
    /// response (`Connection: close` is added), then must close.
    fn fail(&mut self, reason: CloseReason) {
        if self.role() == Role::Client {
            // Nothing more can be received: the request is pointless too,
            // and the connection closes as if closed here.
            return self.close_with(reason);
        }
        self.close_for(reason);
        self.step_recv(Step::Close);
        self.timers.stop_all(&mut self.timer_slots);
        let can_answer =
            self.send == HalfState::Idle && (self.pending.is_empty() || self.pending.len() == 1);
        if can_answer {
            if self.pending.is_empty() {
                // An unknown HTTP/1.1 request with no options.
                let _ = self.pending.push_back(Pending::EMPTY);
            }
        } else {
            self.step_send(Step::MustClose);
        }
    }

    fn close_with(&mut self, reason: CloseReason) {
        self.close_for(reason);
        self.step_send(Step::Close);
        self.step_recv(Step::Close);
        self.timers.stop_all(&mut self.timer_slots);
    }

    #[cfg_attr(h1conn_small, inline(always))]
    fn step_send(&mut self, step: Step) {
        match next(self.send, step) {
            Some(state) => self.send = state,
            None => debug_assert!(false, "send: {:?} -/-> {step:?}", self.send),
        }
    }

    #[cfg_attr(h1conn_small, inline(always))]
    fn step_recv(&mut self, step: Step) {
        match next(self.recv, step) {
            Some(state) => self.recv = state,
            None => debug_assert!(false, "recv: {:?} -/-> {step:?}", self.recv),
        }
    }
}

/// The (send, recv) states of a connection that must close and has
/// nothing more to do: both halves settled (must close, or closed), or
/// the receiving half closed and the sending one idle (a server whose
/// peer failed may send one error response first, but need not). A row
/// per sending state, a bit per receiving one (a test checks the rule).
const CLOSABLE: [u8; 7] = {
    const CLOSED: u8 = 1 << HalfState::Closed as u8;
    const SETTLED: u8 = 1 << HalfState::MustClose as u8 | CLOSED;
    // Idle, Head, Body, Done, MustClose, Closed, Switched.
    [CLOSED, 0, 0, 0, SETTLED, SETTLED, 0]
};

/// Whether a connection that must close has nothing more to do in these
/// states ([`CLOSABLE`]): one bit test.
#[cfg_attr(not(h1conn_small), inline)]
fn closable(send: HalfState, recv: HalfState) -> bool {
    let row = CLOSABLE.get(send as usize).copied().unwrap_or(0);
    row >> recv as u32 & 1 != 0
}

/// How long an idle period lasts: a server's idle timeout, or how long a
/// client may reuse the connection (the server's `Keep-Alive: timeout`
/// if it gave one, else the idle timeout, less the margin).
#[cfg_attr(not(h1conn_small), inline)]
fn idle_window(role: Role, peer_timeout: Option<u32>, config: &Config) -> Duration {
    if role == Role::Server {
        return config.idle_timeout;
    }
    let limit = match peer_timeout {
        Some(secs) => Duration::from_secs(u64::from(secs)),
        None => config.idle_timeout,
    };
    limit.saturating_sub(config.idle_margin)
}

/// `deadline` moved later by `by`, but not past `cap`, and never earlier
/// than it was: `(deadline + by).min(cap).max(deadline)`, as one
/// subtraction and one bounded sum (no sum can saturate).
#[cfg_attr(not(h1conn_small), inline)]
fn extend_deadline(deadline: u64, by: Duration, cap: Instant) -> u64 {
    let room = cap.as_millis().saturating_sub(deadline);
    // `room` is at most `u64::MAX - deadline`: the sum cannot overflow.
    deadline + room.min(by.as_millis())
}

/// How a body of `body` is sent, and the bytes left of it if counted.
const fn outgoing_of(body: BodyKind) -> (Outgoing, Split64) {
    let (outgoing, left) = match body {
        BodyKind::Length(n) => (Outgoing::Length, n),
        BodyKind::None | BodyKind::Tunnel => (Outgoing::Length, 0),
        BodyKind::Chunked => (Outgoing::Chunked, 0),
        BodyKind::UntilClose => (Outgoing::UntilClose, 0),
    };
    (outgoing, Split64::new(left))
}

/// The receiving half's parser: a head scanner between and in heads, a
/// body decoder in a body (never both at once, so they share the space).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
enum Reader {
    Head(HeadScanner),
    Body {
        decoder: BodyDecoder,
        /// Body bytes received since the body deadline was last extended
        /// (fewer than `Config::body_min_rate`). Here rather than in the
        /// connection: a body decoder and its credit take no more space
        /// than a head scanner and the variant tag.
        credit: u32,
    },
}

impl Reader {
    /// The head scanner's state, fresh if a body was being decoded.
    const fn scanner(self) -> HeadScanner {
        match self {
            Self::Head(scanner) => scanner,
            Self::Body { .. } => HeadScanner::new(),
        }
    }
}

fn usage_of_write(error: WriteError) -> UsageError {
    match error {
        WriteError::BufferTooSmall { needed } => UsageError::BufferTooSmall { needed },
        WriteError::InvalidPart(kind) => UsageError::InvalidHead(kind),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table gives the rule for every pair of states: both halves
    /// settled, or the receiving half closed and the sending one idle.
    #[test]
    fn closable_is_the_rule() {
        let all = crate::state::ALL_STATES;
        let settled = |s| s == HalfState::MustClose || s == HalfState::Closed;
        for send in all {
            for recv in all {
                let may_answer = recv == HalfState::Closed && send == HalfState::Idle;
                assert_eq!(
                    closable(send, recv),
                    (settled(send) || may_answer) && settled(recv),
                    "{send:?} {recv:?}"
                );
            }
        }
    }

    /// The bounded sum gives the deadline the clamps gave, at the edges of
    /// the ranges and in between.
    #[test]
    fn extend_deadline_is_the_clamped_sum() {
        fn check(deadline: u64, by: u32, cap: u64) -> bool {
            let (by, cap) = (
                Duration::from_millis(u64::from(by)),
                Instant::from_millis(cap),
            );
            let old = Instant::from_millis(deadline);
            let clamped = (old + by).min(cap).max(old);
            Instant::from_millis(extend_deadline(deadline, by, cap)) == clamped
        }
        let edges = [
            0,
            1,
            999,
            1000,
            u64::from(u32::MAX),
            1 << 40,
            u64::MAX - 1,
            u64::MAX,
        ];
        for deadline in edges {
            for by in [0, 1, 1000, u32::MAX - 1, u32::MAX] {
                for cap in edges {
                    assert!(check(deadline, by, cap), "{deadline} {by} {cap}");
                }
            }
        }
        quickcheck::QuickCheck::new()
            .tests(10_000)
            .quickcheck(check as fn(u64, u32, u64) -> bool);
    }

    /// Feeds `bytes` to a server until it needs more or fails (the error).
    fn fail_server(bytes: &[u8], now: Instant) -> (Connection, Option<ErrorKind>) {
        let mut conn = Connection::new(Role::Server, Config::new(), now);
        let mut at = 0;
        loop {
            match conn.handle_input(now, bytes.get(at..).unwrap_or_default()) {
                Ok(c) if c.event == Event::NeedData => return (conn, None),
                Ok(c) => at += c.bytes,
                Err(e) => return (conn, Some(e.kind)),
            }
        }
    }

    /// Regression (found by the fuzz drivers): a switching answer (2xx to
    /// CONNECT, 101 to Upgrade) to a request whose body failed tripped
    /// `recv: Closed -/-> Switch`. Where that request ends in the peer's
    /// stream is unknown, so it is refused; an error answer still goes out.
    #[test]
    fn no_switch_after_a_failed_request() {
        let now = Instant::from_millis(0);
        let connect =
            b"CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\nTransfer-Encoding: chunked\r\n\r\nz\r\n";
        let (mut conn, kind) = fail_server(connect, now);
        assert_eq!(kind, Some(ErrorKind::InvalidChunkSize));
        let mut buf = [0u8; 128];
        let before = conn.clone();
        assert_eq!(
            conn.send_response(now, 200, b"OK", &[], &mut buf),
            Err(UsageError::WrongState)
        );
        assert_eq!(conn, before, "a refused switch changed the connection");
        let empty = [Header {
            name: b"Content-Length",
            value: b"0",
        }];
        assert!(
            conn.send_response(now, 400, b"Bad Request", &empty, &mut buf)
                .is_ok()
        );
        assert_eq!(conn.finish_message(now), Ok(()));
        assert!(matches!(conn.poll_action(), Action::Close(_)));

        // The same with a timeout: an Upgrade request whose body stalls.
        let upgrade = b"GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: x\r\nContent-Length: 1\r\n\r\n";
        let (mut conn, kind) = fail_server(upgrade, now);
        assert_eq!(kind, None, "still reading the body");
        let late = now + Config::new().body_timeout + Duration::from_millis(1);
        assert!(conn.handle_timeout(late).is_some());
        let upgrade_field = [Header {
            name: b"Upgrade",
            value: b"x",
        }];
        assert_eq!(
            conn.send_response(late, 101, b"Switching", &upgrade_field, &mut buf),
            Err(UsageError::WrongState)
        );
        assert_ne!(conn.poll_action(), Action::Switched);
    }
}
