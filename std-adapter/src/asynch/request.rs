//! What an async [`Handler`](super::server::Handler) sees of one request: the
//! head, the body, and the means to answer once ([`Request`],
//! [`ResponseBody`]). The same rules as the blocking flavour's
//! [`server::Request`](crate::server::Request), with `async` reads and
//! writes.

use std::fmt;
use std::io;
use std::net::SocketAddr;

use h1conn::state::HalfState;
use h1conn::wire::Version;

use super::server::Driver;
use crate::server::request::{
    BodyState, Head, Phase, check_can_respond, fields, io_error, reason_of, refused_before_sending,
    status_of,
};

/// One request, as an async [`Handler`](super::server::Handler) sees it: its head,
/// its body ([`read`](Self::read), or whole with
/// [`read_body`](Self::read_body)), and the means to answer it once.
///
/// Answer with [`respond`](Self::respond) (whole body, `Content-Length`
/// added) or [`start_response`](Self::start_response) (streamed body,
/// `Content-Length` when the length is known, else chunked for HTTP/1.1
/// and delimited by closing the connection for HTTP/1.0). The engine adds
/// the `Connection` and `Keep-Alive` fields and leaves the body out where
/// the rules say (HEAD, 204, 304).
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
        Self {
            body: BodyState::for_head(&head),
            wire,
            head,
            peer,
            conn,
            number,
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

    /// Reads body bytes into `buf`; `Ok(0)` at the end of the body. The
    /// first read sends `100 Continue` when the request expects it. A body
    /// that breaks the protocol (an invalid chunk) or arrives too slowly
    /// fails with `InvalidData`; the server then answers it with `400` or
    /// `408` and closes, unless the handler responded already.
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(answer) = self.body.before_read(buf) {
            return answer;
        }
        let piece = self.wire.read_body().await;
        self.body.after_read(piece, buf)
    }

    /// Reads the whole body if it is at most `limit` bytes; `Ok(None)` when
    /// it is longer (what was read of it is dropped, and the connection will
    /// close after the response, so the rest need not be read).
    pub async fn read_body(&mut self, limit: usize) -> io::Result<Option<Vec<u8>>> {
        let limit = u64::try_from(limit).unwrap_or(u64::MAX);
        if self.content_length().is_some_and(|n| n > limit) {
            return Ok(None);
        }
        let mut body = Vec::new();
        // On the heap: a buffer held across an await lives in the future,
        // which would make every request's future this much larger to move.
        let mut piece = vec![0u8; 8192];
        loop {
            let n = self.read(&mut piece).await?;
            if n == 0 {
                return Ok(Some(body));
            }
            if u64::try_from(body.len() + n).unwrap_or(u64::MAX) > limit {
                return Ok(None);
            }
            body.extend_from_slice(piece.get(..n).unwrap_or_default());
        }
    }

    /// Reads and drops the rest of the body, as long as the total read
    /// stays within the discard limit; `false` when the connection cannot
    /// carry another request (too long, broken, or too slow).
    pub(super) async fn discard_body(&mut self) -> bool {
        let mut sink = vec![0u8; 8192];
        loop {
            if self.body.read > self.discard_limit {
                return false;
            }
            match self.read(&mut sink).await {
                Ok(0) => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
    }

    // ----- the response -----

    /// Sends a whole response. `Content-Length` is added unless `headers`
    /// frame the body; `Connection` and `Keep-Alive` are added by the
    /// engine. The body is left out for HEAD, 204 and 304.
    ///
    /// `status` must be a final status (200 to 999). Fails if a response
    /// was already sent.
    pub async fn respond(
        &mut self,
        status: u16,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> io::Result<()> {
        check_can_respond(self.phase, status)?;
        let close = self.body.must_close(&self.head, self.discard_limit);
        let fields = fields(headers, close, None);
        let reason = reason_of(status);
        match self.wire.send_response(status, reason, &fields, body).await {
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
    pub async fn start_response(
        &mut self,
        status: u16,
        headers: &[(&str, &str)],
        length: Option<u64>,
    ) -> io::Result<ResponseBody<'_, 'a>> {
        check_can_respond(self.phase, status)?;
        let close = self.body.must_close(&self.head, self.discard_limit);
        let framing = self.head.streamed_framing(status, length);
        let framing = framing
            .as_ref()
            .map(|(name, value)| (*name, value.as_str()));
        let fields = fields(headers, close, framing);
        let reason = reason_of(status);
        if let Err(e) = self.wire.send_head(status, reason, &fields).await {
            return Err(self.broken(e, status));
        }
        self.phase = Phase::Streaming(status);
        let sends_body = self.wire.connection().send_state() == HalfState::Body;
        Ok(ResponseBody {
            request: self,
            sends_body,
        })
    }

    /// Whether a response was sent (or started).
    pub fn responded(&self) -> bool {
        self.phase != Phase::Waiting
    }

    /// Records a failed send (unless the engine refused the head before
    /// anything went out: the request can still be answered).
    fn broken(&mut self, error: h1conn::io::DriverError<io::Error>, status: u16) -> io::Error {
        if !refused_before_sending(&error, self.wire.connection().send_state()) {
            self.phase = Phase::Broken(status);
        }
        io_error(error)
    }
}

/// The body of a response being streamed (from
/// [`Request::start_response`]).
///
/// Each [`write_all`](Self::write_all) goes out as one chunk when the body
/// is chunked, so prefer a few large writes. Writes are discarded, silently,
/// when the response has no body (HEAD, 204, 304): see
/// [`sends_body`](Self::sends_body).
pub struct ResponseBody<'r, 'a> {
    request: &'r mut Request<'a>,
    sends_body: bool,
}

impl fmt::Debug for ResponseBody<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseBody")
            .field("phase", &self.request.phase)
            .field("sends_body", &self.sends_body)
            .finish_non_exhaustive()
    }
}

impl ResponseBody<'_, '_> {
    /// Whether body bytes go on the wire (`false` for a response to HEAD,
    /// and for 204 and 304: skip producing the body then).
    pub fn sends_body(&self) -> bool {
        self.sends_body
    }

    /// Writes `data` as the next part of the body.
    pub async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        if !self.sends_body || data.is_empty() {
            return Ok(());
        }
        let phase = self.request.phase;
        if !matches!(phase, Phase::Streaming(_)) {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the response is finished or broken",
            ));
        }
        self.request.wire.write_body(data).await.map_err(|e| {
            self.request.phase = Phase::Broken(status_of(phase));
            io_error(e)
        })
    }

    /// Ends the response (the last chunk when chunked) and flushes it.
    /// Fails if a `Content-Length` was announced and not reached.
    pub async fn finish(self) -> io::Result<()> {
        let status = status_of(self.request.phase);
        match self.request.wire.finish().await {
            Ok(()) => {
                self.request.phase = Phase::Done(status);
                Ok(())
            }
            Err(e) => {
                self.request.phase = Phase::Broken(status);
                Err(io_error(e))
            }
        }
    }
}
