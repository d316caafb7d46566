//! The std pieces the core's blocking drivers need: a TCP transport that
//! speaks `embedded_io`, and a clock that turns the engine's deadlines into
//! socket read timeouts.

use std::io::{self, Read as _, Write as _};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant as StdInstant};

use h1conn::io::blocking::Clock;
use h1conn::time::Instant;

/// A connected TCP stream as an `embedded_io` transport.
///
/// It can hold a deadline of its own (see [`set_deadline`](Self::set_deadline)):
/// a total limit on the exchange in progress, applied to every read and
/// write on top of the engine's deadlines.
#[derive(Debug)]
pub struct TcpTransport {
    stream: TcpStream,
    deadline: Option<StdInstant>,
    /// The socket's write timeout when the transport was made, restored
    /// when the deadline is cleared.
    write_timeout: Option<Duration>,
}

impl TcpTransport {
    /// Wraps `stream` (Nagle is turned off: heads and bodies are written
    /// in pieces and must not wait for each other's ACK).
    pub fn new(stream: TcpStream) -> io::Result<Self> {
        stream.set_nodelay(true)?;
        let write_timeout = stream.write_timeout()?;
        Ok(Self {
            stream,
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
        let _ = self.stream.shutdown(Shutdown::Write);
        let deadline = StdInstant::now() + linger;
        let mut sink = [0u8; 4096];
        loop {
            let left = deadline.saturating_duration_since(StdInstant::now());
            if left.is_zero() || self.stream.set_read_timeout(Some(left)).is_err() {
                break;
            }
            match self.stream.read(&mut sink) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    }
}

impl embedded_io::ErrorType for TcpTransport {
    type Error = io::Error;
}

impl embedded_io::Read for TcpTransport {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(left) = self.time_left()? {
            // The clock set the engine's next deadline as the read timeout
            // just before this read: shorten it, never lengthen it.
            let current = self.stream.read_timeout()?;
            if current.is_none_or(|c| c > left) {
                self.stream.set_read_timeout(Some(left))?;
            }
        }
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

/// Milliseconds since a fixed origin, with each read's timeout set to the
/// engine's next deadline, capped by an overall limit on silence.
#[derive(Debug)]
pub struct SocketClock {
    origin: StdInstant,
    socket: TcpStream,
    silence_limit: Option<Duration>,
}

impl SocketClock {
    /// A clock for reads on `socket` (a clone of the transport's stream)
    /// that gives up after `silence_limit` without data.
    pub fn new(
        origin: StdInstant,
        socket: &TcpStream,
        silence_limit: Option<Duration>,
    ) -> io::Result<Self> {
        Ok(Self {
            origin,
            socket: socket.try_clone()?,
            silence_limit,
        })
    }
}

impl Clock for SocketClock {
    fn now(&self) -> Instant {
        let millis = self.origin.elapsed().as_millis();
        Instant::from_millis(u64::try_from(millis).unwrap_or(u64::MAX))
    }

    fn set_read_deadline(&mut self, deadline: Option<Instant>) {
        let until_deadline = deadline.map(|at| {
            let millis = at.saturating_since(self.now()).as_millis();
            // A zero timeout means "block forever" to the OS: wait 1 ms.
            Duration::from_millis(millis.max(1))
        });
        let timeout = match (until_deadline, self.silence_limit) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let _ = self.socket.set_read_timeout(timeout);
    }
}
