//! The transport and clock of one server connection, on a single socket
//! (one file descriptor per connection: the stream is shared by `Arc`, not
//! cloned with `try_clone`).
//!
//! Every read waits at most until the earliest of: the engine's next
//! deadline (told through [`ConnClock`]), the silence limit, and the body
//! deadline while a request body is read. Every write of a response waits
//! at most until that response's write deadline, so a peer that reads one
//! byte at a time cannot hold the connection's thread past it.

use std::cell::Cell;
use std::io::{self, Read as _, Write as _};
use std::net::{Shutdown, TcpStream};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant};

use h1conn::io::blocking::Clock;
use h1conn::time::Instant;

/// Output is gathered up to this size before it goes to the socket, so a
/// head and a small body leave in one segment.
const OUTPUT_BUFFER: usize = 16 * 1024;

/// The engine's next read deadline, shared by the clock (which the driver
/// tells) and the transport (which sets the socket timeout).
type SharedDeadline = Rc<Cell<Option<Instant>>>;

/// The clock the driver reads: milliseconds since the connection started.
#[derive(Debug)]
pub(super) struct ConnClock {
    origin: StdInstant,
    deadline: SharedDeadline,
}

impl Clock for ConnClock {
    fn now(&self) -> Instant {
        engine_instant(self.origin, StdInstant::now())
    }

    fn set_read_deadline(&mut self, deadline: Option<Instant>) {
        self.deadline.set(deadline);
    }
}

fn engine_instant(origin: StdInstant, at: StdInstant) -> Instant {
    let millis = at.saturating_duration_since(origin).as_millis();
    Instant::from_millis(u64::try_from(millis).unwrap_or(u64::MAX))
}

/// The progress deadline of a request body: a base time, plus one second
/// per `rate` bytes received (as Apache's `RequestReadTimeout MinRate`).
#[derive(Clone, Copy, Debug)]
struct BodyDeadline {
    start: StdInstant,
    received: u64,
}

/// The socket of one connection as the driver's transport, with its
/// output buffered until the driver flushes (at the end of each response,
/// and before each read, so nothing waits in the buffer while we wait for
/// the peer).
#[derive(Debug)]
pub(super) struct ConnIo {
    stream: Arc<TcpStream>,
    origin: StdInstant,
    engine_deadline: SharedDeadline,
    silence_limit: Duration,
    out: Vec<u8>,
    write_timeout: Duration,
    write_deadline: Option<StdInstant>,
    body_timeout: Duration,
    body_min_rate: u32,
    body: Option<BodyDeadline>,
    body_timed_out: bool,
}

/// The deadlines of a connection's socket.
#[derive(Clone, Copy, Debug)]
pub(super) struct Limits {
    /// Longest silence on a read.
    pub(super) silence: Duration,
    /// Longest time to write one response.
    pub(super) write: Duration,
    /// Base time for a request body.
    pub(super) body: Duration,
    /// Bytes per extra second of body time.
    pub(super) body_min_rate: u32,
}

impl ConnIo {
    /// The transport and the clock of a connection on `stream`.
    pub(super) fn new(stream: Arc<TcpStream>, limits: Limits) -> io::Result<(Self, ConnClock)> {
        stream.set_nodelay(true)?;
        let origin = StdInstant::now();
        let deadline = SharedDeadline::default();
        let io = Self {
            stream,
            origin,
            engine_deadline: Rc::clone(&deadline),
            silence_limit: limits.silence.max(Duration::from_millis(1)),
            out: Vec::with_capacity(OUTPUT_BUFFER),
            write_timeout: limits.write.max(Duration::from_millis(1)),
            write_deadline: None,
            body_timeout: limits.body,
            body_min_rate: limits.body_min_rate.max(1),
            body: None,
            body_timed_out: false,
        };
        Ok((io, ConnClock { origin, deadline }))
    }

    /// Starts the body deadline of a request (no-op if running).
    pub(super) fn start_body(&mut self) {
        if self.body.is_none() {
            self.body = Some(BodyDeadline {
                start: StdInstant::now(),
                received: 0,
            });
        }
    }

    /// The request body is complete: its deadline stops.
    pub(super) fn end_body(&mut self) {
        self.body = None;
    }

    /// Whether a read failed because the body deadline passed.
    pub(super) fn body_timed_out(&self) -> bool {
        self.body_timed_out
    }

    /// Starts the write deadline of a response (no-op if running).
    pub(super) fn start_response(&mut self) {
        if self.write_deadline.is_none() {
            self.write_deadline = Some(StdInstant::now() + self.write_timeout);
        }
    }

    /// The response is complete: its write deadline stops.
    pub(super) fn end_response(&mut self) {
        self.write_deadline = None;
    }

    fn body_deadline(&self) -> Option<StdInstant> {
        let body = self.body?;
        let earned = Duration::from_secs(body.received / u64::from(self.body_min_rate));
        Some(body.start + self.body_timeout + earned)
    }

    /// Writes everything buffered, within the write deadline.
    fn write_out(&mut self) -> io::Result<()> {
        let out = std::mem::take(&mut self.out);
        let result = self.send_all(&out);
        self.out = out;
        self.out.clear();
        result
    }

    fn send_all(&mut self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            match self.send(data) {
                Ok(n) => data = data.get(n..).unwrap_or_default(),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// One write call, given what is left of the response's deadline.
    fn send(&mut self, data: &[u8]) -> io::Result<usize> {
        let deadline = *self
            .write_deadline
            .get_or_insert_with(|| StdInstant::now() + self.write_timeout);
        let left = deadline.saturating_duration_since(StdInstant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        self.stream.set_write_timeout(Some(left))?;
        match (&*self.stream).write(data) {
            Ok(0) => Err(io::ErrorKind::WriteZero.into()),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Err(io::ErrorKind::TimedOut.into()),
            other => other,
        }
    }

    /// The read timeout now: the earliest deadline, at least 1 ms (zero
    /// means "forever" to the OS). `None` when the body deadline passed.
    fn read_timeout(&self) -> Option<Duration> {
        let now = StdInstant::now();
        let mut timeout = self.silence_limit;
        if let Some(at) = self.engine_deadline.get() {
            let millis = at.saturating_since(engine_instant(self.origin, now));
            timeout = timeout.min(Duration::from_millis(millis.as_millis()));
        }
        if let Some(at) = self.body_deadline() {
            let left = at.saturating_duration_since(now);
            if left.is_zero() {
                return None;
            }
            timeout = timeout.min(left);
        }
        Some(timeout.max(Duration::from_millis(1)))
    }

    /// Flushes and closes gracefully: shuts down the write side so the peer
    /// reads everything sent, then drains what it still sends for up to
    /// `linger`, so the close never turns into a reset that could destroy
    /// the last response in flight.
    pub(super) fn close(mut self, linger: Duration) {
        let _ = self.write_out();
        let _ = self.stream.shutdown(Shutdown::Write);
        let deadline = StdInstant::now() + linger;
        let mut sink = [0u8; 4096];
        loop {
            let left = deadline.saturating_duration_since(StdInstant::now());
            if left.is_zero() || self.stream.set_read_timeout(Some(left)).is_err() {
                break;
            }
            match (&*self.stream).read(&mut sink) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    }
}

impl embedded_io::ErrorType for ConnIo {
    type Error = io::Error;
}

impl embedded_io::Read for ConnIo {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.write_out()?;
        loop {
            let Some(timeout) = self.read_timeout() else {
                self.body_timed_out = true;
                return Err(io::ErrorKind::TimedOut.into());
            };
            self.stream.set_read_timeout(Some(timeout))?;
            match (&*self.stream).read(buf) {
                Ok(n) => {
                    if let Some(body) = &mut self.body {
                        body.received = body
                            .received
                            .saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
                    }
                    return Ok(n);
                }
                // A socket read timeout shows as WouldBlock on Unix: report
                // it as the timeout it is, so the driver acts on deadlines.
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    if self.read_timeout().is_none() {
                        self.body_timed_out = true;
                    }
                    return Err(io::ErrorKind::TimedOut.into());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

impl embedded_io::Write for ConnIo {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.out.len() + buf.len() > OUTPUT_BUFFER {
            self.write_out()?;
        }
        if buf.len() >= OUTPUT_BUFFER {
            return self.send(buf);
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write_out()
    }
}
