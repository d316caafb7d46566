//! The one source of both driver flavours.
//!
//! `driver!` writes the `Client` and `Server` types and the reads, writes
//! and waits they share, once, for a flavour given as its transport bound,
//! the `async` keyword or nothing, and `.await` or nothing. Each flavour's
//! module adds only `read_spare`: how one read races the engine's next
//! deadline. So the exchange loop exists once, and the two flavours cannot
//! drift apart.

/// Generates `Io`, `Client` and `Server` in the calling module, which must
/// define `Clock` (with `now()`), `Raw` (`Bytes(n)`, `Eof`, `Deadline`) and
/// `Io::read_spare`, and import `Read`/`Write` of its flavour.
macro_rules! driver {
    (
        transport: [$($bound:tt)+],
        flavour: $flavour:literal,
        async: [$($async_kw:ident)?],
        await: [$($await:tt)*]
    ) => {
        use crate::io::exchange::{Exchange, Request};
        use crate::io::{Buffer, DriverError, Step};
        use crate::time::Instant;
        use crate::wire::{Header, RequestHead, ResponseHead};
        use crate::{
            Action, ClientRole, Config, Connection, NotReusable, ProtocolError, RoleKind,
            ServerRole,
        };

        type Result<T, E> = core::result::Result<T, DriverError<E>>;

        /// The reads, writes and waits both drivers share.
        #[derive(Debug)]
        struct Io<T, C, B, R> {
            exchange: Exchange<B, R>,
            transport: T,
            clock: C,
        }

        /// What a read brought, after the engine saw it.
        enum Filled {
            Bytes,
            /// The peer closed its side (cleanly, or the error was returned).
            Eof,
            /// An engine deadline passed and was acted on.
            Deadline,
        }

        impl<T: $($bound)+, C: Clock, B: Buffer, R: RoleKind> Io<T, C, B, R> {
            fn new(
                connect: impl FnOnce(Config, Instant) -> Connection<Config, R>,
                transport: T,
                clock: C,
                config: Config,
                input: B,
                scratch: B,
            ) -> Self {
                let now = clock.now();
                Self {
                    exchange: Exchange::new(connect(config, now), input, scratch),
                    transport,
                    clock,
                }
            }

            $($async_kw)? fn write(&mut self, bytes: &[u8]) -> Result<(), T::Error> {
                self.transport.write_all(bytes)$($await)*.map_err(DriverError::Io)
            }

            $($async_kw)? fn write_scratch(&mut self, n: usize) -> Result<(), T::Error> {
                let Self { exchange, transport, .. } = self;
                transport
                    .write_all(exchange.scratch(n))$($await)*
                    .map_err(DriverError::Io)
            }

            $($async_kw)? fn flush(&mut self) -> Result<(), T::Error> {
                self.transport.flush()$($await)*.map_err(DriverError::Io)
            }

            /// Writes body bytes, framed as one chunk when the head the
            /// engine wrote is chunked.
            $($async_kw)? fn write_body(&mut self, data: &[u8]) -> Result<(), T::Error> {
                if data.is_empty() {
                    return Ok(());
                }
                let line = self.exchange.body_chunk(data)?;
                self.write_scratch(line)$($await)*?;
                self.write(data)$($await)*?;
                if self.exchange.chunked_out() {
                    self.write(b"\r\n")$($await)*?;
                }
                Ok(())
            }

            /// Reads once (or until the engine's next deadline) and tells the
            /// engine what happened.
            $($async_kw)? fn fill(&mut self) -> Result<Filled, T::Error> {
                let raw = self.read_spare()$($await)*?;
                let now = self.clock.now();
                match raw {
                    Raw::Bytes(n) => {
                        self.exchange.inbox.filled(n);
                        Ok(Filled::Bytes)
                    }
                    Raw::Eof => {
                        self.exchange.on_eof(now)?;
                        Ok(Filled::Eof)
                    }
                    Raw::Deadline => {
                        self.exchange.on_timeout(now)?;
                        Ok(Filled::Deadline)
                    }
                }
            }

            fn step(&mut self) -> Result<Step, T::Error> {
                Ok(self.exchange.step(self.clock.now())?)
            }

            /// The next piece of the current body, or `None` at its end.
            $($async_kw)? fn read_body(&mut self) -> Result<Option<core::ops::Range<usize>>, T::Error> {
                while self.exchange.reading_body() {
                    match self.step()? {
                        Step::Body(range) => return Ok(Some(range)),
                        Step::NeedData => {
                            if let Filled::Eof = self.fill()$($await)*? {
                                return Ok(None);
                            }
                        }
                        Step::End | Step::Switched | Step::Paused => return Ok(None),
                        Step::Head { .. } | Step::Trailers => {}
                    }
                }
                Ok(None)
            }

            $($async_kw)? fn finish(&mut self) -> Result<(), T::Error> {
                let n = self.exchange.finish(self.clock.now())?;
                self.write_scratch(n)$($await)*?;
                self.flush()$($await)*
            }
        }

        #[doc = concat!("A", $flavour, " HTTP/1.x client on one transport connection.")]
        ///
        /// Send a request with [`send_request`](Self::send_request), read the final
        /// response head with [`read_response`](Self::read_response), then the body
        /// with [`read_body`](Self::read_body) until it returns `None`. Before the
        /// next request, ask [`reusable`](Self::reusable); when it says no, open a
        /// new connection. After a failure, [`may_retry`](Self::may_retry) says
        /// whether the request may be sent again on a new connection.
        #[derive(Debug)]
        pub struct Client<T, C, B> {
            io: Io<T, C, B, ClientRole>,
        }

        impl<T: $($bound)+, C: Clock, B: Buffer> Client<T, C, B> {
            /// A client on `transport`, reading into `input` (which must hold the
            /// largest response head; `&mut [u8]`, an array, or a `Vec<u8>`) and
            /// writing heads through `scratch`.
            pub fn new(transport: T, clock: C, config: Config, input: B, scratch: B) -> Self {
                Self {
                    io: Io::new(Connection::new_client, transport, clock, config, input, scratch),
                }
            }

            /// The engine, for its facts (`peer_keep_alive`, `requests_left`, ...).
            pub fn connection(&self) -> &Connection<Config, ClientRole> {
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

            /// Whether this connection may carry the next request now, asked
            /// of the engine after it has seen every byte the driver holds,
            /// and what is waiting in the transport (blocking: what
            /// `Transport::read_ready` reports; async: one read polled once,
            /// without waiting):
            /// bytes that arrived with no response outstanding, or a close,
            /// make the connection unusable. See [`Connection::reusable`].
            pub fn reusable(&mut self) -> core::result::Result<(), NotReusable> {
                self.io.take_ready();
                let now = self.io.clock.now();
                self.io.exchange.reusable(now)
            }

            /// After a failure: whether the request may be sent again on a
            /// new connection (the engine's one retry rule,
            /// [`Connection::may_retry`]).
            pub fn may_retry(&self) -> bool {
                self.io.exchange.conn.may_retry()
            }

            /// Sets (or clears) a deadline for the whole next exchange (see
            /// [`Connection::set_exchange_deadline`]).
            pub fn set_exchange_deadline(&mut self, at: Option<Instant>) {
                self.io.exchange.conn.set_exchange_deadline(at);
            }

            /// Sends `request`: its head, then its body (held back after `Expect:
            /// 100-continue` until `100 Continue`, the engine's deadline, or an
            /// early final response, which then ends the body).
            pub $($async_kw)? fn send_request(&mut self, request: &Request<'_>) -> Result<(), T::Error> {
                let now = self.io.clock.now();
                let n = self.io.exchange.start_request(now, request)?;
                self.io.write_scratch(n)$($await)*?;
                if self.io.exchange.body_wanted() {
                    self.io.flush()$($await)*?;
                }
                while self.io.exchange.body_held() {
                    match self.io.step()? {
                        Step::Head { interim: true } => {}
                        Step::Head { interim: false } => self.io.exchange.note_final_early(),
                        Step::NeedData => {
                            if let Filled::Eof = self.io.fill()$($await)*? {
                                return Err(DriverError::Closed);
                            }
                        }
                        _ => {}
                    }
                }
                if self.io.exchange.body_wanted() {
                    self.io.write_body(request.body)$($await)*?;
                }
                self.io.finish()$($await)*
            }

            /// Reads up to the final response head (interim 1xx are skipped; a
            /// `101` is final and hands the connection over).
            pub $($async_kw)? fn read_response(&mut self) -> Result<ResponseHead<'_>, T::Error> {
                if !self.io.exchange.take_final_early() {
                    loop {
                        match self.io.step()? {
                            Step::Head { interim: false } => break,
                            Step::NeedData => {
                                if let Filled::Eof = self.io.fill()$($await)*? {
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
            /// buffer, or `None` at its end (when bytes the driver holds beyond
            /// the response are handed to the engine, which decides what they
            /// mean for reuse).
            pub $($async_kw)? fn read_body(&mut self) -> Result<Option<&[u8]>, T::Error> {
                let range = self.io.read_body()$($await)*?;
                if range.is_none() {
                    let now = self.io.clock.now();
                    self.io.exchange.account_leftover(now);
                }
                Ok(range.map(|r| self.io.exchange.inbox.slice(r)))
            }

            /// Bytes read past the end of a `101` or CONNECT response head: the
            /// start of the new protocol.
            pub fn switched_bytes(&self) -> &[u8] {
                self.io.exchange.inbox.unconsumed()
            }

            /// Gives back the transport, the clock and the two buffers (input,
            /// scratch), so a caller can reconnect the same transport and build a
            /// new client on the same buffers. The engine's state and any unread
            /// input are dropped.
            pub fn into_parts(self) -> (T, C, B, B) {
                let Io { exchange, transport, clock } = self.io;
                let (input, scratch) = exchange.into_buffers();
                (transport, clock, input, scratch)
            }
        }

        #[doc = concat!("A", $flavour, " HTTP/1.x server on one transport connection.")]
        ///
        /// Loop: [`read_request`](Self::read_request) (`None`: close the
        /// connection), [`read_body`](Self::read_body) if you need the body, then
        /// [`send_response`](Self::send_response) or
        /// [`send_head`](Self::send_head) + [`write_body`](Self::write_body) +
        /// [`finish`](Self::finish). On a protocol error, answer it with
        /// [`send_error`](Self::send_error) and close.
        #[derive(Debug)]
        pub struct Server<T, C, B> {
            io: Io<T, C, B, ServerRole>,
        }

        impl<T: $($bound)+, C: Clock, B: Buffer> Server<T, C, B> {
            /// A server on `transport`, reading into `input` (which must hold the
            /// largest request head; `&mut [u8]`, an array, or a `Vec<u8>`) and
            /// writing heads through `scratch`.
            pub fn new(transport: T, clock: C, config: Config, input: B, scratch: B) -> Self {
                Self {
                    io: Io::new(Connection::new_server, transport, clock, config, input, scratch),
                }
            }

            /// The engine, for its decisions.
            pub fn connection(&self) -> &Connection<Config, ServerRole> {
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

            /// Gives back the transport, the clock and the two buffers (input,
            /// scratch), so a caller can reuse the buffers for its next
            /// connection. The engine's state and any unread input are dropped.
            pub fn into_parts(self) -> (T, C, B, B) {
                let Io { exchange, transport, clock } = self.io;
                let (input, scratch) = exchange.into_buffers();
                (transport, clock, input, scratch)
            }

            /// Reads the next request head, first skipping what is left of the
            /// previous request's body. `None` when the connection should close
            /// (the engine said so, the peer closed between requests, or it stayed
            /// idle past the keep-alive timeout).
            pub $($async_kw)? fn read_request(&mut self) -> Result<Option<RequestHead<'_>>, T::Error> {
                while self.io.read_body()$($await)*?.is_some() {}
                self.io.exchange.next_request();
                loop {
                    if matches!(
                        self.io.exchange.conn.poll_action(),
                        Action::Close(_) | Action::Switched
                    ) {
                        return Ok(None);
                    }
                    match self.io.step()? {
                        Step::Head { .. } => return self.io.exchange.request_head().map(Some),
                        Step::NeedData => {
                            if let Filled::Eof = self.io.fill()$($await)*? {
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
            /// `100 Continue` first when the engine says the request awaits it.
            pub $($async_kw)? fn read_body(&mut self) -> Result<Option<&[u8]>, T::Error> {
                if self.io.exchange.conn.awaits_continue() {
                    self.send_head(100, b"Continue", &[])$($await)*?;
                    self.io.flush()$($await)*?;
                }
                let range = self.io.read_body()$($await)*?;
                Ok(range.map(|r| self.io.exchange.inbox.slice(r)))
            }

            /// Sends a whole response: `Content-Length` is added (unless `headers`
            /// frame the body, or the status has none), and the body is left out
            /// where the rules say (HEAD, 204, 304).
            pub $($async_kw)? fn send_response(
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
                self.io.write_scratch(n)$($await)*?;
                if self.io.exchange.conn.send_state() == crate::state::HalfState::Body {
                    self.io.write_body(body)$($await)*?;
                }
                self.io.finish()$($await)*
            }

            /// Sends a response head as given (interim 1xx heads too); the body
            /// follows with [`write_body`](Self::write_body) and
            /// [`finish`](Self::finish).
            pub $($async_kw)? fn send_head(
                &mut self,
                status: u16,
                reason: &[u8],
                headers: &[Header<'_>],
            ) -> Result<(), T::Error> {
                let now = self.io.clock.now();
                let n = self.io.exchange.start_response(now, status, reason, headers)?;
                self.io.write_scratch(n)$($await)*
            }

            /// Writes body bytes (as one chunk when the response is chunked).
            pub $($async_kw)? fn write_body(&mut self, data: &[u8]) -> Result<(), T::Error> {
                self.io.write_body(data)$($await)*
            }

            /// Ends the response (the last chunk when chunked) and flushes.
            pub $($async_kw)? fn finish(&mut self) -> Result<(), T::Error> {
                self.io.finish()$($await)*
            }

            /// Answers a request that broke the protocol with the fitting status
            /// (400, 408, 414, 431, 505) and `Connection: close`.
            pub $($async_kw)? fn send_error(&mut self, error: &ProtocolError) -> Result<(), T::Error> {
                let now = self.io.clock.now();
                let n = self.io.exchange.start_error(now, error)?;
                self.io.write_scratch(n)$($await)*?;
                self.io.finish()$($await)*
            }
        }
    };
}

pub(crate) use driver;
