//! The std pieces the core's blocking drivers need: a TCP transport that
//! speaks `embedded_io` and turns the engine's deadlines into socket read
//! timeouts itself, and a system clock.
//!
//! Anyone with the core can use them: wrap a connected `TcpStream` in a
//! [`TcpTransport`], take a [`SystemClock`], and hand both to
//! `h1conn::io::blocking::Client::new` or `Server::new`.

use std::io::{self, Read as _, Write as _};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant as StdInstant};

use h1conn::io::blocking::{Clock, Transport};
use h1conn::time::{Duration as EngineDuration, Instant};

/// Most bytes a graceful close drains from a peer that keeps sending.
pub(crate) const MAX_CLOSE_DRAIN: usize = 256 * 1024;

/// A connected TCP stream as an `embedded_io` transport whose reads time out
/// at the engine's next deadline, or after a limit on silence, whichever
/// comes first.
///
/// It can also hold a deadline of the caller's (see
/// [`set_deadline`](Self::set_deadline)): a total limit, applied to every
/// read and write on top of the engine's deadlines (the CLI's `--max-time`
/// covers the connect too, which comes before any engine).
#[derive(Debug)]
pub struct TcpTransport {
    stream: TcpStream,
    silence_limit: Option<Duration>,
    deadline: Option<StdInstant>,
    /// The socket's write timeout when the transport was made, restored
    /// when the deadline is cleared.
    write_timeout: Option<Duration>,
}

impl TcpTransport {
    /// Wraps `stream` (Nagle is turned off: heads and bodies are written
    /// in pieces and must not wait for each other's ACK). Reads wait for
    /// the engine's deadlines only; see
    /// [`with_silence_limit`](Self::with_silence_limit).
    pub fn new(stream: TcpStream) -> io::Result<Self> {
        stream.set_nodelay(true)?;
        let write_timeout = stream.write_timeout()?;
        Ok(Self {
            stream,
            silence_limit: None,
            deadline: None,
            write_timeout,
        })
    }

    /// Sets (or, with `None`, clears) a point in time after which every
    /// read and write fails with [`io::ErrorKind::TimedOut`]; until then,
    /// each blocking call waits at most until it. The blocking drivers
    /// report such a timeout as [`DriverError::TimedOut`](h1conn::io::DriverError::TimedOut),
    /// since it is none of the engine's own deadlines.
    pub fn set_deadline(&mut self, deadline: Option<StdInstant>) {
        if self.deadline.is_some() && deadline.is_none() {
            let _ = self.stream.set_write_timeout(self.write_timeout);
        }
        self.deadline = deadline;
    }

    /// The deadline set with [`set_deadline`](Self::set_deadline).
    pub fn deadline(&self) -> Option<StdInstant> {
        self.deadline
    }

    /// Time left before the deadline, at least 1 ms (a zero timeout means
    /// "block forever" to the OS); an error once it has passed.
    fn time_left(&self) -> io::Result<Option<Duration>> {
        let Some(deadline) = self.deadline else {
            return Ok(None);
        };
        let left = deadline.saturating_duration_since(StdInstant::now());
        if left.is_zero() {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "deadline passed"));
        }
        Ok(Some(left.max(Duration::from_millis(1))))
    }

    /// Also gives up on a read after `limit` without data (the caller's
    /// own patience, e.g. the CLI's `--timeout`): the driver then reports
    /// `TimedOut`.
    pub fn with_silence_limit(mut self, limit: Option<Duration>) -> Self {
        self.silence_limit = limit;
        self
    }

    /// The socket, mutably (to set a write timeout, for one).
    pub fn stream_mut(&mut self) -> &mut TcpStream {
        &mut self.stream
    }

    /// The socket.
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// Closes gracefully: shuts down the write side so the peer reads
    /// everything sent, then drains what it still sends for up to `linger`,
    /// so the close never turns into a reset that could destroy the last
    /// response in flight.
    pub fn close_gracefully(mut self, linger: Duration) {
        let _ = self.stream.flush();
        shut_down_gracefully(&self.stream, linger);
    }
}

/// Shuts down the write side so the peer reads everything sent, then
/// drains what it still sends for up to `linger` (and at most
/// [`MAX_CLOSE_DRAIN`] bytes: a flooding peer gets the reset it asked for),
/// so the close never turns into a reset that could destroy the last
/// message in flight.
pub(crate) fn shut_down_gracefully(mut stream: &TcpStream, linger: Duration) {
    let _ = stream.shutdown(Shutdown::Write);
    let deadline = StdInstant::now() + linger;
    let mut sink = [0u8; 4096];
    let mut budget = MAX_CLOSE_DRAIN;
    while budget > 0 {
        let left = deadline.saturating_duration_since(StdInstant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => budget = budget.saturating_sub(n),
        }
    }
}

/// Whether a read on `stream` would return at once (bytes waiting, or a
/// close), found with a non-blocking peek.
pub(crate) fn read_ready(stream: &TcpStream) -> io::Result<bool> {
    stream.set_nonblocking(true)?;
    let mut byte = [0u8; 1];
    let peeked = stream.peek(&mut byte);
    stream.set_nonblocking(false)?;
    match peeked {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(false),
        Err(e) => Err(e),
    }
}

impl embedded_io::ErrorType for TcpTransport {
    type Error = io::Error;
}

impl embedded_io::Read for TcpTransport {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.stream.read(buf) {
                // A socket read timeout shows as WouldBlock on Unix: report
                // it as the timeout it is, so the driver acts on deadlines.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return Err(io::Error::from(io::ErrorKind::TimedOut));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => return other,
            }
        }
    }
}

impl Transport for TcpTransport {
    fn set_read_timeout(&mut self, timeout: Option<EngineDuration>) -> io::Result<()> {
        // A zero timeout means "block forever" to the OS: wait 1 ms at least.
        let until_deadline = timeout.map(|left| Duration::from_millis(left.as_millis().max(1)));
        let limits = [until_deadline, self.silence_limit, self.time_left()?];
        let timeout = limits.into_iter().flatten().min();
        self.stream.set_read_timeout(timeout)
    }

    fn read_ready(&mut self) -> io::Result<bool> {
        read_ready(&self.stream)
    }
}

impl embedded_io::Write for TcpTransport {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(left) = self.time_left()? {
            let limit = self.write_timeout.map_or(left, |base| base.min(left));
            self.stream.set_write_timeout(Some(limit))?;
        }
        match self.stream.write(buf) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                Err(io::Error::from(io::ErrorKind::TimedOut))
            }
            other => other,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

/// Milliseconds since a fixed origin (the moment it was made): the time
/// source the engine's deadlines are measured with.
#[derive(Clone, Copy, Debug)]
pub struct SystemClock {
    origin: StdInstant,
}

impl SystemClock {
    /// A clock whose epoch is now.
    pub fn new() -> Self {
        Self::since(StdInstant::now())
    }

    /// A clock whose epoch is `origin` (share one origin between clocks
    /// whose instants are compared).
    pub fn since(origin: StdInstant) -> Self {
        Self { origin }
    }

    /// The engine instant of `at` (the epoch if `at` is earlier).
    pub fn instant_of(&self, at: StdInstant) -> Instant {
        let millis = at.saturating_duration_since(self.origin).as_millis();
        Instant::from_millis(u64::try_from(millis).unwrap_or(u64::MAX))
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        self.instant_of(StdInstant::now())
    }
}
