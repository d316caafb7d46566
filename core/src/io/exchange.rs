//! The part of a driver that does no I/O: the connection, its input buffer,
//! and the bookkeeping of the exchange in progress. The blocking and async
//! drivers wrap it with reads and writes only.

use crate::error::{ProtocolError, UsageError};
use crate::io::{Buffer, DriverError, Inbox, Step, with_length};
use crate::state::HalfState;
use crate::time::Instant;
use crate::wire::{Header, RequestHead, ResponseHead, Version};
use crate::write::{decimal, write_chunk_header, write_last_chunk};
use crate::{Config, Connection, NotReusable, RetrySafety, Role, RoleKind};

/// A request for a client driver to send.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Request<'a> {
    /// The method, e.g. `b"GET"`.
    pub method: &'a [u8],
    /// The request-target, e.g. `b"/index.html"`.
    pub target: &'a [u8],
    /// HTTP/1.1 (needs a `Host` field) or HTTP/1.0.
    pub version: Version,
    /// Header fields; the driver adds `Content-Length` for a non-empty body
    /// unless these name a `Content-Length` or `Transfer-Encoding`, and the
    /// engine adds `Connection` as needed.
    pub headers: &'a [Header<'a>],
    /// The whole body (empty for none). When the head the engine wrote is
    /// chunked, it is sent as one chunk.
    pub body: &'a [u8],
}

impl<'a> Request<'a> {
    /// An HTTP/1.1 request with `method`, `target` and `headers`, and no
    /// body. HTTP/1.1 needs a `Host` field among the headers.
    pub const fn new(method: &'a [u8], target: &'a [u8], headers: &'a [Header<'a>]) -> Self {
        Self {
            method,
            target,
            version: Version::Http11,
            headers,
            body: b"",
        }
    }

    /// This request with `body` (sent with `Content-Length` unless the
    /// headers frame it).
    #[must_use]
    pub const fn with_body(mut self, body: &'a [u8]) -> Self {
        self.body = body;
        self
    }

    /// This request as `version` (e.g. [`Version::Http10`]).
    #[must_use]
    pub const fn with_version(mut self, version: Version) -> Self {
        self.version = version;
        self
    }

    /// An HTTP/1.1 `GET` of `target` from `host`, with no other fields.
    pub const fn get(target: &'a [u8], host: &'a [Header<'a>]) -> Self {
        Self {
            method: b"GET",
            target,
            version: Version::Http11,
            headers: host,
            body: b"",
        }
    }
}

/// Connection, input buffer and exchange bookkeeping, shared by both
/// driver flavours.
#[derive(Debug)]
pub(crate) struct Exchange<B, R> {
    pub(crate) conn: Connection<Config, R>,
    pub(crate) inbox: Inbox<B>,
    scratch: B,
    /// A head was read and its body is not finished.
    reading_body: bool,
    /// Client: the final response arrived before the request body was sent.
    final_early: bool,
}

impl<B: Buffer, R: RoleKind> Exchange<B, R> {
    pub(crate) fn new(conn: Connection<Config, R>, input: B, scratch: B) -> Self {
        Self {
            conn,
            inbox: Inbox::new(input),
            scratch,
            reading_body: false,
            final_early: false,
        }
    }

    /// Gives both buffers back: (input, scratch).
    pub(crate) fn into_buffers(self) -> (B, B) {
        (self.inbox.into_inner(), self.scratch)
    }

    /// Bytes `..n` of the scratch buffer (a head or chunk line just written).
    pub(crate) fn scratch(&self, n: usize) -> &[u8] {
        self.scratch.as_ref().get(..n).unwrap_or_default()
    }

    /// Feeds buffered input to the engine once.
    pub(crate) fn step(&mut self, now: Instant) -> Result<Step, ProtocolError> {
        let step = self.inbox.feed(&mut self.conn, now)?;
        match step {
            Step::Head { interim: false } => self.reading_body = true,
            Step::End | Step::Switched => self.reading_body = false,
            _ => {}
        }
        Ok(step)
    }

    /// Client with no response outstanding and no body being read.
    pub(crate) fn idle_client(&self) -> bool {
        self.conn.role() == Role::Client
            && self.conn.retry_safety() == RetrySafety::NotSent
            && !self.reading_body
    }

    /// Client: hands the engine the bytes the driver holds while no
    /// response is outstanding, so it can refuse them as unsolicited (the
    /// error marks the connection; the exchange that just ended is fine).
    pub(crate) fn account_leftover(&mut self, now: Instant) {
        if self.idle_client() && !self.inbox.unconsumed().is_empty() {
            let _ = self.inbox.feed(&mut self.conn, now);
        }
    }

    /// Client: the engine's reuse answer, once it has seen every byte held.
    pub(crate) fn reusable(&mut self, now: Instant) -> Result<(), NotReusable> {
        self.account_leftover(now);
        self.conn.reusable(now)
    }

    /// Free space to read into; an error when a head does not fit.
    pub(crate) fn spare<E>(&mut self, now: Instant) -> Result<&mut [u8], DriverError<E>> {
        if self.inbox.spare().is_empty() {
            self.conn.close(now);
            return Err(DriverError::InputBufferFull);
        }
        Ok(self.inbox.spare())
    }

    /// The peer closed its side: fine between messages and at the end of
    /// a close-delimited body, an error elsewhere.
    pub(crate) fn on_eof<E>(&mut self, now: Instant) -> Result<(), DriverError<E>> {
        let retry = self.conn.retry_safety();
        match self.conn.handle_eof(now) {
            Ok(_) => {
                self.reading_body = false;
                Ok(())
            }
            Err(_) if self.conn.role() == Role::Client && retry == RetrySafety::SentNoResponse => {
                Err(DriverError::Closed)
            }
            Err(error) => Err(DriverError::Protocol(error)),
        }
    }

    /// The transport timed out: acts on the engine's deadlines, or reports
    /// the caller's own limit.
    pub(crate) fn on_timeout<E>(&mut self, now: Instant) -> Result<(), DriverError<E>> {
        match self.conn.poll_timeout() {
            Some(deadline) if deadline <= now => match self.conn.handle_timeout(now) {
                Some(error) => {
                    // Where the peer stopped: the bytes held so far.
                    let held = self.inbox.unconsumed().len();
                    Err(DriverError::Protocol(ProtocolError::new(error.kind, held)))
                }
                None => Ok(()),
            },
            _ => Err(DriverError::TimedOut),
        }
    }

    // ----- client -----

    /// Writes the request head into scratch; returns its length.
    pub(crate) fn start_request<E>(
        &mut self,
        now: Instant,
        request: &Request<'_>,
    ) -> Result<usize, DriverError<E>> {
        let mut digits = [0; 20];
        let length = decimal(request.body.len() as u64, &mut digits);
        let headers = with_length(request.headers, !request.body.is_empty(), length)
            .ok_or(DriverError::TooManyHeaders)?;
        let n = self.conn.send_request(
            now,
            request.method,
            request.target,
            request.version,
            &headers,
            self.scratch.as_mut(),
        )?;
        self.inbox.release_head();
        self.final_early = false;
        self.reading_body = false;
        Ok(n)
    }

    /// Client: whether the request body waits for `100 Continue`.
    pub(crate) fn body_held(&self) -> bool {
        self.conn.send_state() == HalfState::Body && !self.conn.may_send_body() && !self.final_early
    }

    /// Client: whether the request body should be written now.
    pub(crate) fn body_wanted(&self) -> bool {
        self.conn.send_state() == HalfState::Body && !self.final_early
    }

    /// Client: a final response arrived while the body was held.
    pub(crate) fn note_final_early(&mut self) {
        self.final_early = true;
    }

    /// Client: whether the final response head was already read.
    pub(crate) fn take_final_early(&mut self) -> bool {
        core::mem::replace(&mut self.final_early, false)
    }

    /// The retained response head.
    pub(crate) fn response_head<E>(&self) -> Result<ResponseHead<'_>, DriverError<E>> {
        let config = self.conn.config().parse;
        self.inbox
            .response_head(&config)
            .ok_or(DriverError::Usage(UsageError::WrongState))
    }

    /// The retained request head.
    pub(crate) fn request_head<E>(&self) -> Result<RequestHead<'_>, DriverError<E>> {
        let config = self.conn.config().parse;
        self.inbox
            .request_head(&config)
            .ok_or(DriverError::Usage(UsageError::WrongState))
    }

    // ----- bodies -----

    /// Whether a body is being read.
    pub(crate) fn reading_body(&self) -> bool {
        self.reading_body
    }

    /// Starts the next request on a server: forgets the previous head.
    pub(crate) fn next_request(&mut self) {
        self.inbox.release_head();
    }

    /// Writes a response head into scratch; returns its length.
    pub(crate) fn start_response<E>(
        &mut self,
        now: Instant,
        status: u16,
        reason: &[u8],
        headers: &[Header<'_>],
    ) -> Result<usize, DriverError<E>> {
        Ok(self
            .conn
            .send_response(now, status, reason, headers, self.scratch.as_mut())?)
    }

    /// Writes a response head with `Content-Length` added for `body` where
    /// the status allows a body; returns its length.
    pub(crate) fn start_whole_response<E>(
        &mut self,
        now: Instant,
        status: u16,
        reason: &[u8],
        headers: &[Header<'_>],
        body_len: usize,
    ) -> Result<usize, DriverError<E>> {
        let no_body = (100..200).contains(&status) || status == 204 || status == 304;
        let mut digits = [0; 20];
        let length = decimal(body_len as u64, &mut digits);
        let all = with_length(headers, !no_body, length).ok_or(DriverError::TooManyHeaders)?;
        self.start_response(now, status, reason, &all)
    }

    /// Counts `data` as body about to be written; returns the length of a
    /// chunk-size line put in scratch first (0 when not chunked).
    pub(crate) fn body_chunk<E>(&mut self, data: &[u8]) -> Result<usize, DriverError<E>> {
        if !self.conn.sends_chunked() {
            self.conn.send_body(data.len())?;
            return Ok(0);
        }
        let n = write_chunk_header(self.scratch.as_mut(), data.len())
            .map_err(|_| DriverError::Usage(UsageError::BufferTooSmall { needed: 18 }))?;
        self.conn
            .send_body(n.saturating_add(data.len()).saturating_add(2))?;
        Ok(n)
    }

    /// Whether body writes are chunk-framed (the head the engine wrote
    /// says so).
    pub(crate) fn chunked_out(&self) -> bool {
        self.conn.sends_chunked()
    }

    /// Ends the message being sent; returns the length of a last chunk put
    /// in scratch (0 when not chunked or nothing is being sent).
    pub(crate) fn finish<E>(&mut self, now: Instant) -> Result<usize, DriverError<E>> {
        let mut n = 0;
        if self.conn.sends_chunked() {
            n = write_last_chunk(self.scratch.as_mut())
                .map_err(|_| DriverError::Usage(UsageError::BufferTooSmall { needed: 5 }))?;
            self.conn.send_body(n)?;
        }
        if !self.final_early {
            self.conn.finish_message(now)?;
        }
        Ok(n)
    }

    /// Server: the response for a failed request, into scratch.
    pub(crate) fn start_error<E>(
        &mut self,
        now: Instant,
        error: &ProtocolError,
    ) -> Result<usize, DriverError<E>> {
        let status = error.status_hint();
        let reason = reason_phrase(status).as_bytes();
        self.start_whole_response(now, status, reason, &[], 0)
    }
}

/// The usual reason phrase of `status` (empty when unknown).
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        417 => "Expectation Failed",
        426 => "Upgrade Required",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}
