//! Drivers for [`Connection`]: feed it bytes, EOF, time and commands, keep
//! owned summaries of what it reported, and check its invariants after
//! every step.

use arbitrary::Arbitrary;
use h1conn::policy::Persistence;
use h1conn::state::HalfState;
use h1conn::time::{Duration, Instant};
use h1conn::wire::{
    BodyKind, HeadFacts, Header, Headers, ParseConfig, Parsed, ResponseHead, Version,
};
use h1conn::{Action, Config, Connection, ErrorKind, Event, Role, UsageError};

use crate::r#gen::{GenMethod, GenRequest, GenResponse, GenVersion, body_for};

/// An owned summary of one thing the connection reported or did, so that
/// runs over differently split input can be compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ev {
    /// A request head.
    Request {
        /// Method, target and version.
        line: (Vec<u8>, Vec<u8>, Version),
        /// How its body is framed.
        body: BodyKind,
        /// What its fields say.
        facts: HeadFacts,
        /// Its fields, in order.
        fields: Vec<(Vec<u8>, Vec<u8>)>,
    },
    /// A response head.
    Response {
        /// Status, reason and version.
        line: (u16, Vec<u8>, Version),
        /// What its fields say.
        facts: HeadFacts,
        /// Its fields, in order.
        fields: Vec<(Vec<u8>, Vec<u8>)>,
    },
    /// Body bytes (consecutive pieces merged).
    Body(Vec<u8>),
    /// A trailer section.
    Trailers(Vec<(Vec<u8>, Vec<u8>)>),
    /// The end of a message.
    End,
    /// The server paused reading (repeats merged).
    Paused,
    /// The connection switched protocols.
    Switched,
    /// A protocol error: its kind and its offset in the whole stream.
    Error(ErrorKind, usize),
    /// What `handle_eof` returned: a message end, nothing, or an error.
    Eof(Result<bool, ErrorKind>),
    /// A head the driver had the engine write, or why it refused.
    Sent(Result<Vec<u8>, UsageError>),
    /// A body or finish command the engine refused.
    Refused(UsageError),
}

fn owned_fields(headers: Headers<'_>) -> Vec<(Vec<u8>, Vec<u8>)> {
    headers
        .map(|h| (h.name.to_vec(), h.value.to_vec()))
        .collect()
}

/// The owned summary of `event`, or `None` for `NeedData`.
pub fn own(event: &Event<'_>) -> Option<Ev> {
    Some(match event {
        Event::Request(head) => Ev::Request {
            line: (head.method.to_vec(), head.target.to_vec(), head.version),
            body: head.body,
            facts: head.facts.clone(),
            fields: owned_fields(head.headers()),
        },
        Event::Response(head) => Ev::Response {
            line: (head.status, head.reason.to_vec(), head.version),
            facts: head.facts.clone(),
            fields: owned_fields(head.headers()),
        },
        Event::Body(data) => Ev::Body(data.to_vec()),
        Event::Trailers(fields) => Ev::Trailers(owned_fields(fields.clone())),
        Event::MessageEnd => Ev::End,
        Event::Paused => Ev::Paused,
        Event::Switched => Ev::Switched,
        Event::NeedData => return None,
        other => panic!("an event the fuzz driver does not know: {other:?}"),
    })
}

/// Appends `ev`, merging body pieces and repeated pauses, which depend on
/// how the input was split and not on what it says.
pub fn push(events: &mut Vec<Ev>, ev: Ev) {
    match (events.last_mut(), ev) {
        (Some(Ev::Body(prev)), Ev::Body(more)) => prev.extend_from_slice(&more),
        (Some(Ev::Paused), Ev::Paused) => {}
        (_, ev) => events.push(ev),
    }
}

/// A connection configuration chosen by the fuzzer.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct GenConfig {
    /// Pipelining depth, 1 to 4 (client).
    pub depth: u8,
    /// Server: `None`, or at most this many requests (0-7).
    pub max_requests: Option<u8>,
    /// Server: whether `Keep-Alive` is announced.
    pub announce: bool,
    /// Leniencies of the head parser, one bit each.
    pub leniency: u8,
    /// Idle timeout in seconds (0-15).
    pub idle_secs: u8,
    /// Use a small head limit (256 bytes) instead of the default.
    pub small_heads: bool,
}

impl GenConfig {
    /// The engine configuration.
    pub fn config(self) -> Config {
        let mut config = Config::new();
        config.pipeline_depth = 1 + self.depth % 4;
        config.max_requests = self.max_requests.map(|n| u32::from(n % 8));
        config.announce_keep_alive = self.announce;
        config.idle_timeout = Duration::from_secs(u64::from(self.idle_secs % 16));
        let mut parse = ParseConfig::strict();
        parse.allow_obs_fold_in_responses = self.leniency & 1 != 0;
        parse.allow_missing_reason = self.leniency & 2 != 0;
        parse.allow_multiple_spaces = self.leniency & 4 != 0;
        parse.allow_content_length_with_transfer_encoding = self.leniency & 8 != 0;
        if self.small_heads {
            parse = parse.with_max_head_len(256);
        }
        config.parse = parse;
        config
    }
}

/// How a response the driver sends is framed.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum ReplyFraming {
    /// `Content-Length: 0`
    Empty,
    /// `Content-Length: n` and n bytes.
    Length(u8),
    /// `Transfer-Encoding: chunked` and one chunk.
    Chunked,
    /// No framing: the body runs until close.
    Unframed,
}

/// Statuses of the responses the driver sends.
pub const REPLY_STATUSES: [u16; 8] = [200, 204, 304, 101, 100, 404, 500, 103];

/// A response the driver has the server engine write.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct GenReply {
    /// Index into [`REPLY_STATUSES`].
    pub status: u8,
    /// How the body is framed.
    pub framing: ReplyFraming,
    /// Whether the caller adds `Connection: close` itself.
    pub close: bool,
    /// Whether a `100 Continue` goes first.
    pub interim_first: bool,
}

/// A request the driver has the client engine write.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct GenCommand {
    /// The method.
    pub method: GenMethod,
    /// The version.
    pub version: GenVersion,
    /// The body: `None` none, `Some(n)` n bytes with a length, or chunked
    /// when n is 255.
    pub body: Option<u8>,
    /// Whether the caller adds `Connection: close` itself.
    pub close: bool,
    /// Whether the caller adds `Expect: 100-continue`.
    pub expect: bool,
}

/// Everything that is compared between two runs at their end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Events in order.
    pub events: Vec<Ev>,
    /// The final persistence decision.
    pub persistence: Persistence,
    /// The final action.
    pub action: Action,
    /// The final request budget.
    pub requests_left: Option<u32>,
    /// Completed exchanges.
    pub exchanges: u32,
    /// The final states of both halves.
    pub states: (HalfState, HalfState),
}

/// The invariants that must hold after every step, whatever happened.
#[derive(Debug, Clone)]
pub struct Watch {
    role: Role,
    pipelining: bool,
    closed: bool,
    switched: bool,
    requests_left: Option<u32>,
    exchanges: u32,
}

impl Watch {
    /// Watches `conn`, created with `config`.
    pub fn new(conn: &Connection, config: &Config) -> Self {
        Self {
            role: conn.role(),
            pipelining: config.pipeline_depth > 1,
            closed: false,
            switched: false,
            requests_left: conn.requests_left(),
            exchanges: conn.exchanges(),
        }
    }

    /// Checks `conn` after a step. `new_max` is the `Keep-Alive: max` of a
    /// response head that this step delivered, if any: the only thing that
    /// may raise a client's budget.
    pub fn check(&mut self, conn: &Connection, now: Instant, new_max: Option<u32>) {
        let action = conn.poll_action();
        let persistence = conn.persistence();
        let may_send = conn.may_send_request(now);
        let (send, recv) = (conn.send_state(), conn.recv_state());
        let state = || format!("{action:?} {persistence:?} send={send:?} recv={recv:?}");

        // A protocol switch is final: only closing may follow it.
        if action == Action::Switched {
            self.switched = true;
            assert!(
                !persistence.is_keep_alive(),
                "switched but persistent: {}",
                state()
            );
        }
        if self.switched {
            assert!(
                matches!(action, Action::Switched | Action::Close(_)),
                "left the switched state: {}",
                state()
            );
            assert!(!may_send, "may send after a protocol switch");
        }
        // Close is absorbing.
        if self.closed {
            assert!(!persistence.is_keep_alive(), "close re-opened: {}", state());
            assert!(action != Action::Reuse, "reusable after close: {}", state());
            assert!(!may_send, "may send after close: {}", state());
        }
        if let Action::Close(_) = action {
            assert!(
                !persistence.is_keep_alive(),
                "closing while persistent: {}",
                state()
            );
        }
        if !persistence.is_keep_alive() {
            self.closed = true;
        }
        // Reuse only between exchanges, never mid-message.
        if action == Action::Reuse {
            assert!(
                send == HalfState::Idle && recv == HalfState::Idle,
                "reusable mid-exchange: {}",
                state()
            );
        }
        if may_send {
            assert_eq!(self.role, Role::Client, "a server may never send requests");
            assert_eq!(send, HalfState::Idle, "may send mid-request: {}", state());
            assert_ne!(conn.requests_left(), Some(0), "may send past max");
            if self.pipelining {
                assert!(
                    matches!(recv, HalfState::Idle | HalfState::Head | HalfState::Body),
                    "may send while receiving is over: {}",
                    state()
                );
            } else {
                assert_eq!(recv, HalfState::Idle, "may send mid-response: {}", state());
            }
        }
        // The request budget only counts down; a client's may be reset by a
        // new `max` from the server, never above it.
        let left = conn.requests_left();
        match (self.role, new_max) {
            (Role::Client, Some(max)) => {
                assert!(
                    left.is_some_and(|n| n <= max),
                    "budget {left:?} above max={max}"
                );
            }
            _ => assert!(
                match (self.requests_left, left) {
                    (None, None) => true,
                    (Some(old), Some(new)) => new <= old,
                    _ => false,
                },
                "budget went from {:?} to {left:?}",
                self.requests_left
            ),
        }
        self.requests_left = left;
        assert!(
            conn.exchanges() >= self.exchanges,
            "exchange count went down"
        );
        self.exchanges = conn.exchanges();
    }
}

/// What the driver does by itself when a message ends.
#[derive(Debug, Clone)]
pub enum Auto {
    /// Nothing: commands come from the fuzzer's operations.
    Off,
    /// Server: answer each request with the next of these (cycling).
    Replies(Vec<GenReply>),
    /// Client: send the next of these after each final response.
    Commands(Vec<GenCommand>),
}

/// One connection with its unconsumed input, its events and its watch.
pub struct Harness {
    /// The engine.
    pub conn: Connection,
    /// The virtual clock.
    pub now: Instant,
    config: Config,
    inbox: Vec<u8>,
    /// Stream offset of `inbox[0]`.
    base: usize,
    /// Everything reported so far.
    pub events: Vec<Ev>,
    watch: Watch,
    auto: Auto,
    next_auto: usize,
    /// Set after a protocol error or a switch when `stop_on_error`: no
    /// more input is fed (what follows would only repeat the error).
    stopped: bool,
    stop_on_error: bool,
}

impl Harness {
    /// A connection in `role` at time 0.
    pub fn new(role: Role, config: Config, auto: Auto, stop_on_error: bool) -> Self {
        let now = Instant::from_millis(0);
        let conn = Connection::new(role, config, now);
        let watch = Watch::new(&conn, &config);
        Self {
            conn,
            now,
            config,
            inbox: Vec::new(),
            base: 0,
            events: Vec::new(),
            watch,
            auto,
            next_auto: 0,
            stopped: false,
            stop_on_error,
        }
    }

    fn check(&mut self, new_max: Option<u32>) {
        self.watch.check(&self.conn, self.now, new_max);
    }

    /// Appends bytes received from the peer and feeds everything unconsumed.
    pub fn input(&mut self, bytes: &[u8]) {
        if self.stopped {
            return;
        }
        self.inbox.extend_from_slice(bytes);
        self.feed();
    }

    /// Feeds the unconsumed input until the engine needs more, pauses,
    /// switches, or fails.
    pub fn feed(&mut self) {
        // Every event but the end of a message consumes bytes, so this
        // bounds the loop; hitting it means the engine made no progress.
        let limit = 64 + 4 * self.inbox.len();
        for _ in 0..limit {
            if self.stopped {
                return;
            }
            let inbox = std::mem::take(&mut self.inbox);
            let result = self.conn.handle_input(self.now, &inbox);
            let (consumed, event) = match result {
                Err(e) => {
                    assert!(e.offset <= inbox.len(), "error offset {e:?} past the input");
                    assert!(
                        !self.conn.persistence().is_keep_alive(),
                        "persistent after {e:?}"
                    );
                    push(&mut self.events, Ev::Error(e.kind, self.base + e.offset));
                    self.inbox = inbox;
                    self.check(None);
                    if self.stop_on_error {
                        self.stopped = true;
                    }
                    return;
                }
                Ok(c) => (c.bytes, c.event),
            };
            assert!(consumed <= inbox.len(), "consumed more than given");
            let new_max = match &event {
                Event::Request(_) => {
                    assert_eq!(self.conn.role(), Role::Server, "request head at a client");
                    None
                }
                Event::Response(head) => {
                    assert_eq!(self.conn.role(), Role::Client, "response head at a server");
                    // Interim heads decide nothing, so their `max` is not taken.
                    head.facts
                        .keep_alive
                        .and_then(|k| k.max)
                        .filter(|_| !head.is_interim())
                }
                Event::Body(data) => {
                    assert!(!data.is_empty(), "empty body event");
                    let inside = inbox.as_ptr_range();
                    assert!(
                        inside.contains(&data.as_ptr()) && data.len() <= consumed,
                        "body not taken from the consumed input"
                    );
                    None
                }
                _ => None,
            };
            let owned = own(&event);
            self.inbox = inbox;
            self.inbox.drain(..consumed);
            self.base += consumed;
            if let Some(ev) = owned.clone() {
                push(&mut self.events, ev);
            }
            self.check(new_max);
            match owned {
                None | Some(Ev::Paused) => return,
                Some(Ev::Switched) => {
                    self.stopped = true;
                    return;
                }
                Some(Ev::End) => self.on_message_end(),
                _ => {}
            }
        }
        panic!("the engine made no progress on {} bytes", self.inbox.len());
    }

    /// The peer closed its side.
    pub fn eof(&mut self) {
        let result = self.conn.handle_eof(self.now);
        let ev = match result {
            Ok(Some(Event::MessageEnd)) => Ev::Eof(Ok(true)),
            Ok(None) => Ev::Eof(Ok(false)),
            Ok(Some(other)) => panic!("handle_eof returned {other:?}"),
            Err(e) => Ev::Eof(Err(e.kind)),
        };
        let failed = matches!(ev, Ev::Eof(Err(_)));
        push(&mut self.events, ev);
        if failed {
            assert!(
                !self.conn.persistence().is_keep_alive(),
                "persistent after a cut message"
            );
        }
        self.check(None);
        self.stopped = true;
    }

    /// Moves the clock on by `ms` and handles the deadlines that passed.
    pub fn advance(&mut self, ms: u64) {
        self.now = self.now + Duration::from_millis(ms);
        if let Some(at) = self.conn.poll_timeout()
            && at <= self.now
        {
            self.conn.handle_timeout(self.now);
            assert!(
                self.conn.poll_timeout().is_none_or(|next| next > self.now),
                "a handled deadline is still due"
            );
        }
        self.check(None);
    }

    /// A spurious timeout call: harmless by contract.
    pub fn spurious_timeout(&mut self) {
        let due = self.conn.poll_timeout().is_some_and(|at| at <= self.now);
        let before = self.conn.clone();
        self.conn.handle_timeout(self.now);
        if !due {
            assert_eq!(
                self.conn, before,
                "a spurious timeout changed the connection"
            );
        }
        self.check(None);
    }

    /// Closes from this side.
    pub fn close(&mut self) {
        self.conn.close(self.now);
        self.check(None);
        assert!(
            matches!(self.conn.poll_action(), Action::Close(_)),
            "close did not close"
        );
    }

    /// Counts `len` body bytes sent.
    pub fn send_body(&mut self, len: usize) {
        let before = self.conn.clone();
        if let Err(e) = self.conn.send_body(len) {
            assert_eq!(self.conn, before, "{e:?} changed the connection");
            push(&mut self.events, Ev::Refused(e));
        }
        self.check(None);
    }

    /// Ends the message being sent.
    pub fn finish(&mut self) {
        let before = self.conn.clone();
        if let Err(e) = self.conn.finish_message(self.now) {
            assert_eq!(self.conn, before, "{e:?} changed the connection");
            push(&mut self.events, Ev::Refused(e));
        }
        self.check(None);
    }

    /// Server: has the engine write `reply`; with `complete`, its body and
    /// the end of the message follow at once.
    pub fn reply(&mut self, reply: GenReply, complete: bool) {
        let mut buf = [0u8; 512];
        if reply.interim_first {
            self.write_response(100, &[], &mut buf);
        }
        let status = REPLY_STATUSES[usize::from(reply.status) % REPLY_STATUSES.len()];
        let mut headers = Vec::new();
        let length;
        let body_len = match reply.framing {
            ReplyFraming::Empty => {
                headers.push(Header {
                    name: b"Content-Length",
                    value: b"0",
                });
                0
            }
            ReplyFraming::Length(n) => {
                length = n.to_string();
                headers.push(Header {
                    name: b"Content-Length",
                    value: length.as_bytes(),
                });
                usize::from(n)
            }
            ReplyFraming::Chunked => {
                headers.push(Header {
                    name: b"Transfer-Encoding",
                    value: b"chunked",
                });
                15
            }
            ReplyFraming::Unframed => 9,
        };
        if reply.close {
            headers.push(Header {
                name: b"Connection",
                value: b"close",
            });
        }
        let written = self.write_response(status, &headers, &mut buf);
        if complete && written && self.conn.send_state() == HalfState::Body {
            self.send_body(body_len);
            self.finish();
        }
    }

    /// Writes one response head and checks what it says against what the
    /// engine enforces. Returns whether the engine wrote it.
    fn write_response(&mut self, status: u16, headers: &[Header<'_>], buf: &mut [u8]) -> bool {
        let before = self.conn.clone();
        let result = self
            .conn
            .send_response(self.now, status, b"Reason", headers, buf);
        let len = match result {
            Err(e) => {
                assert_eq!(self.conn, before, "{e:?} changed the connection");
                push(&mut self.events, Ev::Sent(Err(e)));
                self.check(None);
                return false;
            }
            Ok(len) => len,
        };
        let head = &buf[..len];
        push(&mut self.events, Ev::Sent(Ok(head.to_vec())));
        let parsed = match ResponseHead::parse(head, &ParseConfig::strict()) {
            Ok(Parsed::Complete(parsed)) => parsed,
            other => panic!("the engine wrote a head it cannot read: {other:?}"),
        };
        assert_eq!(parsed.len, len, "the written head has trailing bytes");
        let caller_close = headers.iter().any(|h| h.name == b"Connection");
        let interim = parsed.is_interim();
        let tunnel = status == 101 || matches!(self.conn.poll_action(), Action::Switched);
        if !interim && !tunnel {
            // A final response says what the server will do.
            let keep = self.conn.persistence().is_keep_alive();
            if !caller_close {
                assert_eq!(
                    parsed.facts.connection.close, !keep,
                    "the head says close={} but the server keeps={keep}",
                    parsed.facts.connection.close
                );
            } else {
                assert!(!keep, "the caller's Connection: close was ignored");
            }
            if let Some(params) = parsed.facts.keep_alive {
                assert!(keep, "Keep-Alive announced on a closing response");
                assert_eq!(
                    params.max,
                    self.conn.requests_left(),
                    "announced max is not enforced"
                );
                assert_eq!(
                    params.timeout.map(u64::from),
                    Some(self.config.idle_timeout.as_secs()),
                    "announced timeout is not the idle timeout"
                );
            }
        }
        self.check(None);
        true
    }

    /// Client: has the engine write `command`; with `complete`, the body
    /// and the end of the message follow at once if not held back.
    pub fn request(&mut self, command: GenCommand, complete: bool) {
        let mut headers = vec![Header {
            name: b"Host",
            value: b"example.org",
        }];
        let length;
        let body_len = match command.body {
            None => 0,
            Some(255) => {
                headers.push(Header {
                    name: b"Transfer-Encoding",
                    value: b"chunked",
                });
                15
            }
            Some(n) => {
                length = n.to_string();
                headers.push(Header {
                    name: b"Content-Length",
                    value: length.as_bytes(),
                });
                usize::from(n)
            }
        };
        if command.close {
            headers.push(Header {
                name: b"Connection",
                value: b"close",
            });
        }
        if command.expect {
            headers.push(Header {
                name: b"Expect",
                value: b"100-continue",
            });
        }
        let mut buf = [0u8; 512];
        let before = self.conn.clone();
        let result = self.conn.send_request(
            self.now,
            command.method.text().as_bytes(),
            command.method.target().as_bytes(),
            command.version.version(),
            &headers,
            &mut buf,
        );
        match result {
            Err(e) => {
                assert_eq!(self.conn, before, "{e:?} changed the connection");
                push(&mut self.events, Ev::Sent(Err(e)));
            }
            Ok(len) => push(&mut self.events, Ev::Sent(Ok(buf[..len].to_vec()))),
        }
        self.check(None);
        if complete && self.conn.may_send_body() {
            self.send_body(body_len);
            self.finish();
        }
    }

    /// Sends the first automatic request, if the driver sends any.
    pub fn start(&mut self) {
        if let Auto::Commands(commands) = &self.auto
            && let Some(&first) = commands.first()
        {
            self.next_auto = 1;
            self.request(first, true);
        }
    }

    fn on_message_end(&mut self) {
        match (&self.auto, self.conn.role()) {
            (Auto::Replies(replies), Role::Server) if !replies.is_empty() => {
                let reply = replies[self.next_auto % replies.len()];
                self.next_auto += 1;
                self.reply(reply, true);
            }
            (Auto::Commands(commands), Role::Client) => {
                if let Some(&command) = commands.get(self.next_auto) {
                    self.next_auto += 1;
                    if self.conn.may_send_request(self.now) {
                        self.request(command, true);
                    }
                }
            }
            _ => {}
        }
    }

    /// Everything compared between runs.
    pub fn outcome(&self) -> Outcome {
        Outcome {
            events: self.events.clone(),
            persistence: self.conn.persistence(),
            action: self.conn.poll_action(),
            requests_left: self.conn.requests_left(),
            exchanges: self.conn.exchanges(),
            states: (self.conn.send_state(), self.conn.recv_state()),
        }
    }
}

/// A piece of the byte stream a peer sends.
#[derive(Arbitrary, Debug, Clone)]
pub enum Part<M> {
    /// A generated head and a body that fits its framing.
    Message(M),
    /// Any bytes.
    Raw(Vec<u8>),
}

/// Bytes for a generated request head and its body.
pub fn request_bytes(req: &GenRequest) -> Vec<u8> {
    let mut out = req.bytes();
    if let Ok(Parsed::Complete(head)) =
        h1conn::wire::RequestHead::parse(&out, &ParseConfig::strict())
    {
        let body = body_for(head.body);
        out.extend_from_slice(&body);
    }
    out
}

/// Bytes for a generated response head and its body (as if to a GET).
pub fn response_bytes(resp: &GenResponse) -> Vec<u8> {
    let mut out = resp.bytes();
    if let Ok(Parsed::Complete(head)) = ResponseHead::parse(&out, &ParseConfig::strict()) {
        let body = body_for(head.body_kind(h1conn::wire::Method::Get));
        out.extend_from_slice(&body);
    }
    out
}

/// One operation of an invariant run.
#[derive(Arbitrary, Debug, Clone)]
pub enum Op<M, C> {
    /// Bytes from the peer: a generated message or raw bytes.
    Input(Part<M>),
    /// The peer closed its side.
    Eof,
    /// The clock moves on by this many times 10 ms.
    Advance(u16),
    /// A spurious timeout call.
    Timeout,
    /// Write a head (request for a client, response for a server); the
    /// flag says whether its body and end follow at once.
    Send(C, bool),
    /// Count body bytes sent.
    SendBody(u16),
    /// Finish the message being sent.
    Finish,
    /// Close from this side.
    Close,
    /// Feed the unconsumed input again (after a pause).
    Feed,
}

/// The bytes of a stream of parts, and the piece sizes to feed it in.
pub fn stream<M>(parts: &[Part<M>], bytes_of: impl Fn(&M) -> Vec<u8>) -> Vec<u8> {
    let mut out = Vec::new();
    for part in parts {
        match part {
            Part::Message(m) => out.extend(bytes_of(m)),
            Part::Raw(raw) => out.extend_from_slice(raw),
        }
    }
    out
}

/// Runs `stream` through a fresh connection, fed in pieces whose sizes
/// come from `cuts` (all at once when `cuts` is `None`), then EOF if asked.
pub fn run_split(
    role: Role,
    config: Config,
    auto: &Auto,
    stream: &[u8],
    cuts: Option<&[u8]>,
    eof: bool,
) -> Outcome {
    let mut harness = Harness::new(role, config, auto.clone(), true);
    harness.start();
    match cuts {
        None => harness.input(stream),
        Some(cuts) => {
            let mut at = 0;
            let mut i = 0;
            while at < stream.len() {
                let size = cuts
                    .get(i % cuts.len().max(1))
                    .map_or(1, |&c| 1 + usize::from(c % 64));
                let end = (at + size).min(stream.len());
                harness.input(&stream[at..end]);
                at = end;
                i += 1;
            }
        }
    }
    if eof && !harness.stopped {
        harness.eof();
    }
    harness.outcome()
}

/// Checks that `stream` gives the same events and the same final decision
/// whole, in the pieces `cuts` gives, and (when short) one byte at a time.
pub fn assert_split_invariant(
    role: Role,
    config: Config,
    auto: &Auto,
    stream: &[u8],
    cuts: &[u8],
    eof: bool,
) {
    let whole = run_split(role, config, auto, stream, None, eof);
    let split = run_split(role, config, auto, stream, Some(cuts), eof);
    assert_eq!(
        whole,
        split,
        "split {cuts:?} changed the outcome of {}",
        crate::show(stream)
    );
    if stream.len() <= 512 {
        let bytewise = run_split(role, config, auto, stream, Some(&[]), eof);
        assert_eq!(
            whole,
            bytewise,
            "byte-at-a-time changed the outcome of {}",
            crate::show(stream)
        );
    }
}

/// Most operations of one invariant run: enough for several exchanges.
pub const MAX_OPS: usize = 64;

/// Applies `ops` to `harness`, checking the invariants after each;
/// `bytes_of` renders a generated message, `send` carries out a command.
pub fn run_ops<M, C: Copy>(
    harness: &mut Harness,
    ops: &[Op<M, C>],
    bytes_of: impl Fn(&M) -> Vec<u8>,
    send: impl Fn(&mut Harness, C, bool),
) {
    for op in ops.iter().take(MAX_OPS) {
        match op {
            Op::Input(Part::Message(m)) => harness.input(&bytes_of(m)),
            Op::Input(Part::Raw(raw)) => harness.input(raw),
            Op::Eof => harness.eof(),
            Op::Advance(n) => harness.advance(u64::from(*n) * 10),
            Op::Timeout => harness.spurious_timeout(),
            Op::Send(command, complete) => send(harness, *command, *complete),
            Op::SendBody(n) => harness.send_body(usize::from(*n)),
            Op::Finish => harness.finish(),
            Op::Close => harness.close(),
            Op::Feed => harness.feed(),
        }
    }
}
