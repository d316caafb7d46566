//! The std pieces the core's blocking drivers need: a TCP transport that
//! speaks `embedded_io`, and a clock that turns the engine's deadlines into
//! socket read timeouts.

use std::io::{self, Read as _, Write as _};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant as StdInstant};

use h1conn::io::blocking::Clock;
use h1conn::time::Instant;

/// A connected TCP stream as an `embedded_io` transport.
#[derive(Debug)]
pub struct TcpTransport {
    stream: TcpStream,
}

impl TcpTransport {
    /// Wraps `stream` (Nagle is turned off: heads and bodies are written
    /// in pieces and must not wait for each other's ACK).
    pub fn new(stream: TcpStream) -> io::Result<Self> {
        stream.set_nodelay(true)?;
        Ok(Self { stream })
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
        self.stream.write(buf)
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
