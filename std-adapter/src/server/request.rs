//! What a [`Handler`](super::Handler) sees of one request: the head, the
//! body as a reader, and the means to answer once ([`Request`],
//! [`ResponseBody`]).

use std::fmt;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::ops::Range;

use h1conn::ProtocolError;
use h1conn::io::{DriverError, reason_phrase};
use h1conn::state::HalfState;
use h1conn::wire::{BodyKind, Header, RequestHead, Version};

use super::Driver;

pub(crate) fn io_error(error: DriverError<io::Error>) -> io::Error {
    let kind = match &error {
        DriverError::Io(_) => {
            return match error {
                DriverError::Io(e) => e,
                other => io::Error::other(other),
            };
        }
        DriverError::Protocol(_) | DriverError::InputBufferFull => io::ErrorKind::InvalidData,
        DriverError::Usage(_) | DriverError::TooManyHeaders => io::ErrorKind::InvalidInput,
        DriverError::Closed => io::ErrorKind::UnexpectedEof,
        DriverError::TimedOut => io::ErrorKind::TimedOut,
        _ => io::ErrorKind::Other,
    };
    io::Error::new(kind, error)
}

/// The request head, copied out of the input buffer so that the body can
/// stream through it: all its text in one buffer (two allocations per
/// request, not two per field).
#[derive(Debug)]
pub(crate) struct Head {
    /// The method, the target, then each field's name and value.
    text: Vec<u8>,
    method: Range<usize>,
    target: Range<usize>,
    /// The path part of the target (see [`Head::path`]); `None`: `/`.
    path: Option<Range<usize>>,
    fields: Vec<(Range<usize>, Range<usize>)>,
    pub(crate) version: Version,
    pub(crate) body: BodyKind,
    pub(crate) expect_continue: bool,
}

impl Head {
    pub(crate) fn of(head: &RequestHead<'_>) -> Self {
        let mut text = Vec::with_capacity(head.method.len() + head.target.len() + 256);
        // Method, target and names are text (invalid UTF-8 is replaced,
        // which the parser's byte rules make rare); values stay bytes.
        let push_text = |text: &mut Vec<u8>, bytes: &[u8]| {
            let start = text.len();
            match std::str::from_utf8(bytes) {
                Ok(valid) => text.extend_from_slice(valid.as_bytes()),
                Err(_) => text.extend_from_slice(String::from_utf8_lossy(bytes).as_bytes()),
            }
            start..text.len()
        };
        let method = push_text(&mut text, head.method);
        let target = push_text(&mut text, head.target);
        let path = std::str::from_utf8(text.get(target.clone()).unwrap_or_default())
            .ok()
            .and_then(path_range)
            .map(|within| target.start + within.start..target.start + within.end);
        let fields = head
            .headers()
            .map(|h| {
                let name = push_text(&mut text, h.name);
                let start = text.len();
                text.extend_from_slice(h.value);
                (name, start..text.len())
            })
            .collect();
        Self {
            text,
            method,
            target,
            path,
            fields,
            version: head.version,
            body: head.body,
            expect_continue: head.facts.expect_continue,
        }
    }

    fn str_at(&self, range: &Range<usize>) -> &str {
        self.text
            .get(range.clone())
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
            .unwrap_or_default()
    }

    /// The method, e.g. `GET`.
    pub(crate) fn method(&self) -> &str {
        self.str_at(&self.method)
    }

    /// The request-target as received.
    pub(crate) fn target(&self) -> &str {
        self.str_at(&self.target)
    }

    /// The path of the target (see `Request::path`), found once.
    pub(crate) fn path(&self) -> &str {
        self.path.as_ref().map_or("/", |range| self.str_at(range))
    }

    /// The query of the target (after `?`), if any.
    pub(crate) fn query(&self) -> Option<&str> {
        self.target().split_once('?').map(|(_, query)| query)
    }

    /// The header fields, in the order received.
    pub(crate) fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> + '_ {
        self.fields.iter().map(|(name, value)| {
            (
                self.str_at(name),
                self.text.get(value.clone()).unwrap_or_default(),
            )
        })
    }

    /// The value of the first field named `name` (case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    }

    /// The body's length when `Content-Length` gives it (`Some(0)` without
    /// a body), `None` for a chunked body.
    pub(crate) fn content_length(&self) -> Option<u64> {
        match self.body {
            BodyKind::None => Some(0),
            BodyKind::Length(n) => Some(n),
            _ => None,
        }
    }

    /// The framing field of a streamed response of `length` bytes (`None`:
    /// unknown) with `status`: `Content-Length` when known, else chunked
    /// for HTTP/1.1 and nothing (close-delimited) for HTTP/1.0.
    pub(crate) fn streamed_framing(
        &self,
        status: u16,
        length: Option<u64>,
    ) -> Option<(&'static str, FramingValue)> {
        if status == 204 || status == 304 {
            None
        } else if let Some(n) = length {
            Some(("Content-Length", FramingValue::Length(Decimal::of(n))))
        } else if self.version == Version::Http11 {
            Some(("Transfer-Encoding", FramingValue::Chunked))
        } else {
            None
        }
    }
}

/// The value of the framing field a streamed response gets.
pub(crate) enum FramingValue {
    Length(Decimal),
    Chunked,
}

impl FramingValue {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Self::Length(n) => n.as_str(),
            Self::Chunked => "chunked",
        }
    }
}

/// A number in decimal, on the stack (no allocation per response).
pub(crate) struct Decimal {
    digits: [u8; 20],
    start: usize,
}

impl Decimal {
    pub(crate) fn of(n: u64) -> Self {
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        let mut rest = n;
        // u64::MAX has 20 digits: the slots never run out.
        while let Some(slot) = start.checked_sub(1).and_then(|i| digits.get_mut(i)) {
            start -= 1;
            *slot = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        Self { digits, start }
    }

    pub(crate) fn as_str(&self) -> &str {
        let digits = self.digits.get(self.start..).unwrap_or_default();
        std::str::from_utf8(digits).unwrap_or_default()
    }
}

/// Where the path of a request-target lies in it: without the query, and
/// without scheme and authority for an absolute-form target (`*` stays
/// `*`); `None` for an absolute-form target with no path, whose path is `/`.
fn path_range(target: &str) -> Option<Range<usize>> {
    let start = match target.find("://") {
        Some(at) => {
            let authority = at + 3;
            authority + target.get(authority..)?.find('/')?
        }
        None => 0,
    };
    let rest = target.get(start..)?;
    let end = rest.find(['?', '#']).map_or(target.len(), |at| start + at);
    Some(start..end)
}

/// Where the response of a request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
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
pub(crate) struct BodyState {
    /// The body ended (or there is none).
    pub(crate) done: bool,
    /// A read was attempted (so an owed `100 Continue` went out).
    started: bool,
    /// Body bytes handed to the driver's caller so far.
    pub(crate) read: u64,
    /// Bytes of the last piece that did not fit the caller's buffer.
    spill: Vec<u8>,
    spill_at: usize,
    /// The body broke the protocol, or did not arrive in time.
    pub(crate) error: Option<ProtocolError>,
    /// The transport failed (or stayed silent too long) while reading it.
    pub(crate) dead: bool,
}

/// One request, as a [`Handler`](super::Handler) sees it: its head, its body (through
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
    pub(super) wire: &'a mut Driver,
    pub(super) head: Head,
    peer: SocketAddr,
    conn: u64,
    number: u32,
    pub(super) body: BodyState,
    pub(super) phase: Phase,
    /// Longest unread body skipped to keep the connection.
    discard_limit: u64,
}

impl fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.head.method())
            .field("target", &self.head.target())
            .field("version", &self.head.version)
            .field("peer", &self.peer)
            .field("conn", &self.conn)
            .field("number", &self.number)
            .finish_non_exhaustive()
    }
}

impl<'a> Request<'a> {
    pub(super) fn new(
        wire: &'a mut Driver,
        head: Head,
        peer: SocketAddr,
        (conn, number): (u64, u32),
        discard_limit: u64,
    ) -> Self {
        let body = BodyState::for_head(&head);
        Self {
            wire,
            head,
            peer,
            conn,
            number,
            body,
            phase: Phase::Waiting,
            discard_limit,
        }
    }

    // ----- the head -----

    /// The method, e.g. `GET`.
    pub fn method(&self) -> &str {
        self.head.method()
    }

    /// The request-target as received, e.g. `/search?q=x`.
    pub fn target(&self) -> &str {
        self.head.target()
    }

    /// The path of the target: without the query, and without scheme and
    /// authority for an absolute-form target (`*` stays `*`).
    pub fn path(&self) -> &str {
        self.head.path()
    }

    /// The query of the target (after `?`), if any.
    pub fn query(&self) -> Option<&str> {
        self.head.query()
    }

    /// The request's HTTP version.
    pub fn version(&self) -> Version {
        self.head.version
    }

    /// The header fields, in the order received.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> + '_ {
        self.head.headers()
    }

    /// The value of the first field named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.head.header(name)
    }

    /// The request body's length when `Content-Length` gives it (`Some(0)`
    /// when the request has no body), `None` for a chunked body.
    pub fn content_length(&self) -> Option<u64> {
        self.head.content_length()
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
        self.wire.transport_mut().start_response();
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
        let framing = self.head.streamed_framing(status, length);
        let framing = framing
            .as_ref()
            .map(|(name, value)| (*name, value.as_str()));
        let fields = fields(headers, close, framing);
        let reason = reason_of(status);
        self.wire.transport_mut().start_response();
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
        check_can_respond(self.phase, status)
    }

    fn must_close(&self) -> bool {
        self.body.must_close(&self.head, self.discard_limit)
    }

    /// Reads and drops the rest of the body, as long as the total read
    /// stays within the discard limit; `false` when the connection cannot
    /// carry another request (too long, broken, or too slow).
    pub(super) fn discard_body(&mut self) -> bool {
        let mut sink = [0u8; 8192];
        loop {
            if self.body.read > self.discard_limit {
                return false;
            }
            match self.read(&mut sink) {
                Ok(0) => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
    }

    /// Records a failed send. A head the engine refused (an invalid field,
    /// say) left nothing on the wire: the request can still be answered.
    fn broken(&mut self, error: DriverError<io::Error>, status: u16) -> io::Error {
        if !refused_before_sending(&error, self.wire.connection().send_state()) {
            self.phase = Phase::Broken(status);
        }
        io_error(error)
    }
}

impl Read for Request<'_> {
    /// Reads the request body; `Ok(0)` at its end. The first read sends
    /// `100 Continue` when the request expects it. A body that breaks the
    /// protocol (an invalid chunk) or arrives too slowly (see
    /// [`ServerConfig::body_timeout`](super::ServerConfig::body_timeout))
    /// fails with `InvalidData`; the server then answers it with `400` or
    /// `408` and closes, unless the handler responded already.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(answer) = self.body.before_read(buf) {
            return answer;
        }
        let piece = self.wire.read_body();
        self.body.after_read(piece, buf)
    }
}

/// The header fields to send: the caller's, then `Connection: close` when
/// the server needs it, then framing unless the caller framed the body.
pub(crate) fn fields<'h>(
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

pub(crate) fn reason_of(status: u16) -> &'static [u8] {
    match reason_phrase(status) {
        "" => b"Unknown",
        phrase => phrase.as_bytes(),
    }
}

impl BodyState {
    /// A body state for a request with `head`.
    pub(crate) fn for_head(head: &Head) -> Self {
        Self {
            done: head.body == BodyKind::None,
            ..Self::default()
        }
    }

    /// What a body read answers without the driver: spilled bytes of the
    /// last piece, an earlier failure, or the end. `None`: ask the driver
    /// (the read then counts as started, so an owed `100 Continue` goes
    /// out).
    pub(crate) fn before_read(&mut self, buf: &mut [u8]) -> Option<io::Result<usize>> {
        if buf.is_empty() {
            return Some(Ok(0));
        }
        if self.spill_at < self.spill.len() {
            let rest = self.spill.get(self.spill_at..).unwrap_or_default();
            let n = rest.len().min(buf.len());
            buf.get_mut(..n)
                .unwrap_or_default()
                .copy_from_slice(rest.get(..n).unwrap_or_default());
            self.spill_at += n;
            return Some(Ok(n));
        }
        if let Some(error) = self.error {
            return Some(Err(io::Error::new(io::ErrorKind::InvalidData, error)));
        }
        if self.dead {
            return Some(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the connection failed while reading the body",
            )));
        }
        if self.done {
            return Some(Ok(0));
        }
        self.started = true;
        None
    }

    /// Hands what the driver's `read_body` gave to `buf` (keeping what does
    /// not fit for the next read), or records the end or the failure.
    pub(crate) fn after_read(
        &mut self,
        piece: Result<Option<&[u8]>, DriverError<io::Error>>,
        buf: &mut [u8],
    ) -> io::Result<usize> {
        match piece {
            Ok(Some(data)) => {
                let n = data.len().min(buf.len());
                buf.get_mut(..n)
                    .unwrap_or_default()
                    .copy_from_slice(data.get(..n).unwrap_or_default());
                self.spill.clear();
                self.spill
                    .extend_from_slice(data.get(n..).unwrap_or_default());
                self.spill_at = 0;
                self.read = self
                    .read
                    .saturating_add(u64::try_from(data.len()).unwrap_or(u64::MAX));
                Ok(n)
            }
            Ok(None) => {
                self.done = true;
                Ok(0)
            }
            // An invalid chunk, or a body slower than its deadline (408).
            Err(DriverError::Protocol(error)) => {
                self.error = Some(error);
                Err(io::Error::new(io::ErrorKind::InvalidData, error))
            }
            Err(e) => {
                // The transport failed or timed out: nothing more can be
                // read, and nothing more is sent.
                self.dead = true;
                Err(io_error(e))
            }
        }
    }

    /// Whether the response must close the connection because of the body
    /// left unread: the client waits for `100 Continue` that will not come,
    /// or what is left is longer than the server skips. (A chunked body
    /// that turns out too long closes the connection after the response.)
    pub(crate) fn must_close(&self, head: &Head, discard_limit: u64) -> bool {
        if self.done {
            return false;
        }
        if head.expect_continue && !self.started {
            return true;
        }
        match head.body {
            BodyKind::Length(n) => n.saturating_sub(self.read) > discard_limit,
            BodyKind::None | BodyKind::Chunked => false,
            _ => true,
        }
    }
}

/// How an exchange ended, for the connection loop.
pub(crate) struct Outcome {
    /// The status sent, if any response went out.
    pub(crate) status: Option<u16>,
    /// The connection cannot be reused (a response is incomplete, or the
    /// body could not be skipped).
    pub(crate) abort: bool,
}

impl Outcome {
    /// The outcome of sending a response with `status` that `sent` says
    /// went out whole, or not; `status_if_failed` is what is logged then.
    pub(crate) fn of<E>(sent: Result<(), E>, status: u16, status_if_failed: Option<u16>) -> Self {
        match sent {
            Ok(()) => Self {
                status: Some(status),
                abort: false,
            },
            Err(_) => Self {
                status: status_if_failed,
                abort: true,
            },
        }
    }
}

/// What must still happen once the handler has returned, decided from
/// where the response stands; each flavour carries it out with its I/O.
pub(crate) enum Completion {
    /// The transport failed while the body was read: nothing can go out.
    Dead,
    /// The body broke the protocol (or came too slowly): answer the error
    /// (the engine adds `Connection: close`).
    AnswerError(ProtocolError),
    /// No response went out: answer `500` with this text.
    Answer500(&'static [u8]),
    /// The handler streamed a body and returned fine: end it.
    Finish(u16),
    /// The response went out whole, or broke off, which the peer must see
    /// by the connection closing (`abort`).
    Ended { status: u16, abort: bool },
}

impl Completion {
    /// What follows a handler that returned `handler_ok` with the response
    /// in `phase` and the body in `body`.
    pub(crate) fn after(phase: Phase, body: &BodyState, handler_ok: bool) -> Self {
        match phase {
            Phase::Waiting if body.dead => Self::Dead,
            Phase::Waiting => match body.error {
                Some(error) => Self::AnswerError(error),
                None if handler_ok => Self::Answer500(b"the handler sent no response\n"),
                None => Self::Answer500(b"internal server error\n"),
            },
            Phase::Streaming(status) if handler_ok => Self::Finish(status),
            Phase::Done(status) => Self::Ended {
                status,
                abort: false,
            },
            Phase::Streaming(status) | Phase::Broken(status) => Self::Ended {
                status,
                abort: true,
            },
        }
    }
}

/// The header fields of the server's own `500`.
pub(crate) const PLAIN_TEXT: [(&str, &str); 1] = [("Content-Type", "text/plain")];

/// Whether a response with `status` may be sent now.
pub(crate) fn check_can_respond(phase: Phase, status: u16) -> io::Result<()> {
    if phase != Phase::Waiting {
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

/// Whether a failed send left nothing on the wire: the engine refused the
/// head (an invalid field, say), so the request can still be answered.
pub(crate) fn refused_before_sending(
    error: &DriverError<io::Error>,
    send_state: HalfState,
) -> bool {
    matches!(error, DriverError::Usage(_) | DriverError::TooManyHeaders)
        && send_state == HalfState::Idle
}

/// The status a response in `phase` was sent with (0 before any).
pub(crate) fn status_of(phase: Phase) -> u16 {
    match phase {
        Phase::Streaming(status) | Phase::Done(status) | Phase::Broken(status) => status,
        Phase::Waiting => 0,
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
        status_of(*self.phase)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_digits() {
        for n in [0, 7, 10, 612, 4_294_967_296, u64::MAX] {
            assert_eq!(Decimal::of(n).as_str(), n.to_string());
        }
    }

    #[test]
    fn paths_of_targets() {
        fn path(target: &str) -> &str {
            path_range(target).map_or("/", |r| &target[r])
        }
        assert_eq!(path("/a/b?q=1"), "/a/b");
        assert_eq!(path("/a#frag"), "/a");
        assert_eq!(path("*"), "*");
        assert_eq!(path("http://host:8080/x/y?z"), "/x/y");
        assert_eq!(path("http://host"), "/");
        assert_eq!(path("host:443"), "host:443");
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
