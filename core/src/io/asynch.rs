//! Async drivers over `embedded_io_async::{Read, Write}` (embassy-net's
//! `TcpSocket`, for one).
//!
//! Each read races the engine's next deadline ([`Clock::sleep_until`]), so
//! keep-alive, head and `100-continue` deadlines are kept without a
//! separate timer task. For an overall limit, wrap calls in your runtime's
//! timeout (e.g. `embassy_time::with_timeout`).

use core::future::{Future, poll_fn};
use core::pin::pin;
use core::task::Poll;

use embedded_io_async::{Read, Write};

use crate::io::exchange::{Exchange, Request};
use crate::io::{Buffer, DriverError, Step};
use crate::time::Instant;
use crate::wire::{Header, RequestHead, ResponseHead};
use crate::{Config, Connection, ProtocolError, Role};

/// A time source and timer for an async driver.
pub trait Clock {
    /// The current time.
    fn now(&self) -> Instant;

    /// Completes at `deadline` (at once if it passed).
    fn sleep_until(&mut self, deadline: Instant) -> impl Future<Output = ()>;
}

/// Which of two futures finished first.
enum First<A, B> {
    Left(A),
    Right(B),
}

/// Runs both futures until one finishes; the other is dropped.
async fn first<A: Future, B: Future>(a: A, b: B) -> First<A::Output, B::Output> {
    let mut a = pin!(a);
    let mut b = pin!(b);
    poll_fn(|cx| {
        if let Poll::Ready(out) = a.as_mut().poll(cx) {
            return Poll::Ready(First::Left(out));
        }
        if let Poll::Ready(out) = b.as_mut().poll(cx) {
            return Poll::Ready(First::Right(out));
        }
        Poll::Pending
    })
    .await
}

type Result<T, E> = core::result::Result<T, DriverError<E>>;

/// The reads, writes and waits both drivers share.
#[derive(Debug)]
struct Io<T, C, B> {
    exchange: Exchange<B>,
    transport: T,
    clock: C,
}

/// What a read brought.
enum Filled {
    Bytes,
    /// The peer closed its side (cleanly, or the error was returned).
    Eof,
    /// An engine deadline passed and was acted on.
    Deadline,
}

impl<T: Read + Write, C: Clock, B: Buffer> Io<T, C, B> {
    async fn write(&mut self, bytes: &[u8]) -> Result<(), T::Error> {
        self.transport
            .write_all(bytes)
            .await
            .map_err(DriverError::Io)
    }

    async fn write_scratch(&mut self, n: usize) -> Result<(), T::Error> {
        let Self {
            exchange,
            transport,
            ..
        } = self;
        transport
            .write_all(exchange.scratch(n))
            .await
            .map_err(DriverError::Io)
    }

    fn new(role: Role, transport: T, clock: C, config: Config, input: B, scratch: B) -> Self {
        let now = clock.now();
        Self {
            exchange: Exchange::new(role, config, now, input, scratch),
            transport,
            clock,
        }
    }

    /// Writes body bytes, framed as one chunk when the message is chunked.
    async fn write_body(&mut self, data: &[u8]) -> Result<(), T::Error> {
        if data.is_empty() {
            return Ok(());
        }
        let line = self.exchange.body_chunk(data)?;
        self.write_scratch(line).await?;
        self.write(data).await?;
        if self.exchange.chunked_out() {
            self.write(b"\r\n").await?;
        }
        Ok(())
    }

    async fn fill(&mut self) -> Result<Filled, T::Error> {
        let now = self.clock.now();
        let deadline = self.exchange.conn.poll_timeout();
        let Self {
            exchange,
            transport,
            clock,
        } = self;
        let read = transport.read(exchange.spare(now)?);
        let outcome = match deadline {
            Some(at) => first(read, clock.sleep_until(at)).await,
            None => First::Left(read.await),
        };
        match outcome {
            First::Left(Ok(0)) => {
                exchange.on_eof(clock.now())?;
                Ok(Filled::Eof)
            }
            First::Left(Ok(n)) => {
                exchange.inbox.filled(n);
                Ok(Filled::Bytes)
            }
            First::Left(Err(e)) => Err(DriverError::Io(e)),
            First::Right(()) => {
                exchange.on_timeout(clock.now())?;
                Ok(Filled::Deadline)
            }
        }
    }

    fn step(&mut self) -> Result<Step, T::Error> {
        Ok(self.exchange.step(self.clock.now())?)
    }

    /// The next piece of the current body, or `None` at its end.
    async fn read_body(&mut self) -> Result<Option<core::ops::Range<usize>>, T::Error> {
        while self.exchange.reading_body() {
            match self.step()? {
                Step::Body(range) => return Ok(Some(range)),
                Step::NeedData => {
                    if let Filled::Eof = self.fill().await? {
                        return Ok(None);
                    }
                }
                Step::End | Step::Switched | Step::Paused => return Ok(None),
                Step::Head { .. } | Step::Trailers => {}
            }
        }
        Ok(None)
    }

    async fn finish(&mut self) -> Result<(), T::Error> {
        let n = self.exchange.finish(self.clock.now())?;
        self.write_scratch(n).await?;
        self.transport.flush().await.map_err(DriverError::Io)
    }
}

/// An async HTTP/1.x client on one transport connection.
///
/// Send a request with [`send_request`](Self::send_request), read the final
/// response head with [`read_response`](Self::read_response), then the body
/// with [`read_body`](Self::read_body) until it returns `None`. Before the
/// next request, ask [`may_send_request`](Self::may_send_request); when it
/// says no, open a new connection.
#[derive(Debug)]
pub struct Client<T, C, B> {
    io: Io<T, C, B>,
}

impl<T: Read + Write, C: Clock, B: Buffer> Client<T, C, B> {
    /// A client on `transport`, reading into `input` (which must hold the
    /// largest response head; `&mut [u8]`, an array, or a `Vec<u8>`) and writing heads through `scratch`.
    pub fn new(transport: T, clock: C, config: Config, input: B, scratch: B) -> Self {
        Self {
            io: Io::new(Role::Client, transport, clock, config, input, scratch),
        }
    }

    /// The engine, for its decisions (`poll_action`, `peer_keep_alive`, ...).
    pub fn connection(&self) -> &Connection {
        &self.io.exchange.conn
    }

    /// The transport.
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.io.transport
    }

    /// Gives the transport back.
    pub fn into_transport(self) -> T {
        self.io.transport
    }

    /// Whether the engine allows another request on this connection now.
    pub fn may_send_request(&self) -> bool {
        self.io.exchange.conn.may_send_request(self.io.clock.now())
    }

    /// Sends `request`: its head, then its body (held back after `Expect:
    /// 100-continue` until `100 Continue`, the engine's deadline, or an
    /// early final response, which then ends the body).
    pub async fn send_request(&mut self, request: &Request<'_>) -> Result<(), T::Error> {
        let now = self.io.clock.now();
        let n = self.io.exchange.start_request(now, request)?;
        self.io.write_scratch(n).await?;
        if self.io.exchange.body_wanted() {
            self.io.transport.flush().await.map_err(DriverError::Io)?;
        }
        while self.io.exchange.body_held() {
            match self.io.step()? {
                Step::Head { interim: true } => {}
                Step::Head { interim: false } => self.io.exchange.note_final_early(),
                Step::NeedData => {
                    if let Filled::Eof = self.io.fill().await? {
                        return Err(DriverError::Closed);
                    }
                }
                _ => {}
            }
        }
        if self.io.exchange.body_wanted() {
            self.io.write_body(request.body).await?;
        }
        self.io.finish().await
    }

    /// Reads up to the final response head (interim 1xx are skipped; a
    /// `101` is final and hands the connection over).
    pub async fn read_response(&mut self) -> Result<ResponseHead<'_>, T::Error> {
        if !self.io.exchange.take_final_early() {
            loop {
                match self.io.step()? {
                    Step::Head { interim: false } => break,
                    Step::NeedData => {
                        if let Filled::Eof = self.io.fill().await? {
                            return Err(DriverError::Closed);
                        }
                    }
                    _ => {}
                }
            }
        }
        self.io.exchange.response_head()
    }

    /// The response head read last (valid until the next request).
    pub fn response_head(&self) -> Option<ResponseHead<'_>> {
        self.io.exchange.response_head::<T::Error>().ok()
    }

    /// The next piece of the response body, borrowed from the input
    /// buffer, or `None` at its end.
    pub async fn read_body(&mut self) -> Result<Option<&[u8]>, T::Error> {
        let range = self.io.read_body().await?;
        Ok(range.map(|r| self.io.exchange.inbox.slice(r)))
    }

    /// Bytes read past the end of a `101` or CONNECT response head: the
    /// start of the new protocol.
    pub fn switched_bytes(&self) -> &[u8] {
        self.io.exchange.inbox.unconsumed()
    }

    /// Gives back the transport, the clock and the two buffers (input,
    /// scratch), so firmware without a heap can reconnect the same socket
    /// and build a new client on the same buffers. The engine's state and
    /// any unread input are dropped.
    pub fn into_parts(self) -> (T, C, B, B) {
        let Io {
            exchange,
            transport,
            clock,
        } = self.io;
        let (input, scratch) = exchange.into_buffers();
        (transport, clock, input, scratch)
    }
}

/// An async HTTP/1.x server on one transport connection.
///
/// Loop: [`read_request`](Self::read_request) (`None`: close the
/// connection), [`read_body`](Self::read_body) if you need the body, then
/// [`send_response`](Self::send_response) or
/// [`send_head`](Self::send_head) + [`write_body`](Self::write_body) +
/// [`finish`](Self::finish). On a protocol error, answer it with
/// [`send_error`](Self::send_error) and close.
#[derive(Debug)]
pub struct Server<T, C, B> {
    io: Io<T, C, B>,
}

impl<T: Read + Write, C: Clock, B: Buffer> Server<T, C, B> {
    /// A server on `transport`, reading into `input` (which must hold the
    /// largest request head; `&mut [u8]`, an array, or a `Vec<u8>`) and writing heads through `scratch`.
    pub fn new(transport: T, clock: C, config: Config, input: B, scratch: B) -> Self {
        Self {
            io: Io::new(Role::Server, transport, clock, config, input, scratch),
        }
    }

    /// The engine, for its decisions.
    pub fn connection(&self) -> &Connection {
        &self.io.exchange.conn
    }

    /// The transport.
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.io.transport
    }

    /// Gives the transport back.
    pub fn into_transport(self) -> T {
        self.io.transport
    }

    /// Reads the next request head, first skipping what is left of the
    /// previous request's body. `None` when the connection should close
    /// (the engine said so, the peer closed between requests, or it stayed
    /// idle past the keep-alive timeout).
    pub async fn read_request(&mut self) -> Result<Option<RequestHead<'_>>, T::Error> {
        while self.io.read_body().await?.is_some() {}
        self.io.exchange.next_request();
        loop {
            if matches!(
                self.io.exchange.conn.poll_action(),
                crate::Action::Close(_) | crate::Action::Switched
            ) {
                return Ok(None);
            }
            match self.io.step()? {
                Step::Head { .. } => return self.io.exchange.request_head().map(Some),
                Step::NeedData => {
                    if let Filled::Eof = self.io.fill().await? {
                        return Ok(None);
                    }
                }
                Step::Paused => return Err(crate::UsageError::WrongState.into()),
                _ => {}
            }
        }
    }

    /// The request head read last.
    pub fn request_head(&self) -> Option<RequestHead<'_>> {
        self.io.exchange.request_head::<T::Error>().ok()
    }

    /// The next piece of the request body, or `None` at its end. Sends
    /// `100 Continue` first when the request expects it.
    pub async fn read_body(&mut self) -> Result<Option<&[u8]>, T::Error> {
        if self.io.exchange.take_continue_owed() {
            self.send_head(100, b"Continue", &[]).await?;
            self.io.transport.flush().await.map_err(DriverError::Io)?;
        }
        let range = self.io.read_body().await?;
        Ok(range.map(|r| self.io.exchange.inbox.slice(r)))
    }

    /// Sends a whole response: `Content-Length` is added (unless `headers`
    /// frame the body, or the status has none), and the body is left out
    /// where the rules say (HEAD, 204, 304).
    pub async fn send_response(
        &mut self,
        status: u16,
        reason: &[u8],
        headers: &[Header<'_>],
        body: &[u8],
    ) -> Result<(), T::Error> {
        let now = self.io.clock.now();
        let n = self
            .io
            .exchange
            .start_whole_response(now, status, reason, headers, body.len())?;
        self.io.write_scratch(n).await?;
        if self.io.exchange.conn.send_state() == crate::state::HalfState::Body {
            self.write_body(body).await?;
        }
        self.finish().await
    }

    /// Sends a response head as given (interim 1xx heads too); the body
    /// follows with [`write_body`](Self::write_body) and
    /// [`finish`](Self::finish).
    pub async fn send_head(
        &mut self,
        status: u16,
        reason: &[u8],
        headers: &[Header<'_>],
    ) -> Result<(), T::Error> {
        let now = self.io.clock.now();
        let n = self
            .io
            .exchange
            .start_response(now, status, reason, headers)?;
        self.io.write_scratch(n).await
    }

    /// Writes body bytes (as one chunk when the response is chunked).
    pub async fn write_body(&mut self, data: &[u8]) -> Result<(), T::Error> {
        self.io.write_body(data).await
    }

    /// Ends the response (the last chunk when chunked) and flushes.
    pub async fn finish(&mut self) -> Result<(), T::Error> {
        self.io.finish().await
    }

    /// Answers a request that broke the protocol with the fitting status
    /// (400, 408, 414, 431, 505) and `Connection: close`.
    pub async fn send_error(&mut self, error: &ProtocolError) -> Result<(), T::Error> {
        let now = self.io.clock.now();
        let n = self.io.exchange.start_error(now, error)?;
        self.io.write_scratch(n).await?;
        self.io.finish().await
    }
}
