//! The transport and clock of one server connection, on a single socket
//! (one file descriptor per connection: the stream is shared by `Arc`, not
//! cloned with `try_clone`).
//!
//! Every read waits at most until the earlier of the engine's next
//! deadline (idle, head, body progress) and the silence limit. Every write
//! of a response waits at most until that response's write deadline, so a
//! peer that reads one byte at a time cannot hold the connection's thread
//! past it.

use std::io::{self, Read as _, Write as _};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant};

use h1conn::io::blocking::Transport;
use h1conn::time::Duration as EngineDuration;

/// Most bytes a graceful close drains from a peer that keeps sending.
const MAX_CLOSE_DRAIN: usize = 256 * 1024;

/// Output is gathered up to this size before it goes to the socket, so a
/// head and a small body leave in one segment.
const OUTPUT_BUFFER: usize = 16 * 1024;

/// The socket of one connection as the driver's transport, with its
/// output buffered until the driver flushes (at the end of each response,
/// and before each read, so nothing waits in the buffer while we wait for
/// the peer).
#[derive(Debug)]
pub(super) struct ConnIo {
    stream: Arc<TcpStream>,
    /// The engine's next deadline, as told before each read.
    engine_deadline: Option<StdInstant>,
    silence_limit: Duration,
    out: Vec<u8>,
    write_timeout: Duration,
    write_deadline: Option<StdInstant>,
}

impl ConnIo {
    /// The transport of a connection on `stream`: reads give up after
    /// `silence_limit` without data, a response after `write_timeout`.
    pub(super) fn new(
        stream: Arc<TcpStream>,
        silence_limit: Duration,
        write_timeout: Duration,
    ) -> io::Result<Self> {
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            engine_deadline: None,
            silence_limit: silence_limit.max(Duration::from_millis(1)),
            out: Vec::with_capacity(OUTPUT_BUFFER),
            write_timeout: write_timeout.max(Duration::from_millis(1)),
            write_deadline: None,
        })
    }

    /// Starts the write deadline of a final response: a fresh one, so the
    /// time a `100 Continue` and the body upload took does not count.
    pub(super) fn start_response(&mut self) {
        self.write_deadline = Some(StdInstant::now() + self.write_timeout);
    }

    /// The response is complete: its write deadline stops.
    pub(super) fn end_response(&mut self) {
        self.write_deadline = None;
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

    /// The read timeout now: the earlier of the engine's deadline and the
    /// silence limit, at least 1 ms (zero means "forever" to the OS).
    fn read_timeout(&self) -> Duration {
        let mut timeout = self.silence_limit;
        if let Some(at) = self.engine_deadline {
            timeout = timeout.min(at.saturating_duration_since(StdInstant::now()));
        }
        timeout.max(Duration::from_millis(1))
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
        // A peer that keeps sending (a flood) gets at most this much
        // drained, then the reset it asked for.
        let mut budget = MAX_CLOSE_DRAIN;
        while budget > 0 {
            let left = deadline.saturating_duration_since(StdInstant::now());
            if left.is_zero() || self.stream.set_read_timeout(Some(left)).is_err() {
                break;
            }
            match (&*self.stream).read(&mut sink) {
                Ok(0) | Err(_) => break,
                Ok(n) => budget = budget.saturating_sub(n),
            }
        }
    }
}

impl embedded_io::ErrorType for ConnIo {
    type Error = io::Error;
}

impl Transport for ConnIo {
    fn set_read_timeout(&mut self, timeout: Option<EngineDuration>) -> io::Result<()> {
        self.engine_deadline =
            timeout.map(|left| StdInstant::now() + Duration::from_millis(left.as_millis()));
        Ok(())
    }

    fn read_ready(&mut self) -> io::Result<bool> {
        // A non-blocking peek: bytes waiting, or a close (0), both count.
        self.stream.set_nonblocking(true)?;
        let mut byte = [0u8; 1];
        let peeked = self.stream.peek(&mut byte);
        self.stream.set_nonblocking(false)?;
        match peeked {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(false),
            Err(e) => Err(e),
        }
    }
}

impl embedded_io::Read for ConnIo {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.write_out()?;
        self.stream.set_read_timeout(Some(self.read_timeout()))?;
        loop {
            match (&*self.stream).read(buf) {
                // A socket read timeout shows as WouldBlock on Unix: report
                // it as the timeout it is, so the driver acts on deadlines.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return Err(io::ErrorKind::TimedOut.into());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => return other,
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
