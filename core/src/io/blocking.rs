//! Blocking drivers over `embedded_io::{Read, Write}`.
//!
//! The engine's deadlines reach the transport through
//! [`Transport::set_read_timeout`]: before each read the driver passes the
//! time left until the engine's next deadline, a transport that can time a
//! read out (a socket) reports `ErrorKind::TimedOut` then, and the driver
//! acts on the deadline.

use embedded_io::{Error as _, ErrorKind, Read, Write};

use crate::time::Duration;

/// A time source for a blocking driver.
pub trait Clock {
    /// The current time.
    fn now(&self) -> Instant;
}

/// A byte transport for a blocking driver: `embedded_io::{Read, Write}`
/// plus a way to bound how long a read may block.
///
/// Transports that cannot time reads out implement it with the default
/// (`impl Transport for MyUart {}`): reads then block until data arrives,
/// and the engine's deadlines are only acted on when data or EOF comes.
pub trait Transport: Read + Write {
    /// Called before each read with the time left until the engine's next
    /// deadline (`None`: no deadline). A read that waits that long should
    /// fail with `ErrorKind::TimedOut`.
    fn set_read_timeout(
        &mut self,
        timeout: Option<Duration>,
    ) -> core::result::Result<(), Self::Error> {
        let _ = timeout;
        Ok(())
    }

    /// Whether a read would return at once: bytes are waiting, or the peer
    /// closed. Asked before a connection is reused, so bytes (or a close)
    /// that arrived while it was idle reach the engine before it answers.
    /// The default says no: only bytes already read are accounted for.
    fn read_ready(&mut self) -> core::result::Result<bool, Self::Error> {
        Ok(false)
    }
}

/// One read, before the engine sees it.
enum Raw {
    Bytes(usize),
    Eof,
    Deadline,
}

crate::io::driver::driver! {
    transport: [Transport],
    flavour: " blocking",
    async: [],
    await: []
}

impl<T: Transport, C: Clock, B: Buffer, R: RoleKind> Io<T, C, B, R> {
    /// Before reuse: reads what the transport already holds (bytes or a
    /// close), so the engine sees it. A transport error counts as a close.
    fn take_ready(&mut self) {
        if !self.exchange.idle_client() {
            return;
        }
        let ready = match self.transport.read_ready() {
            Ok(ready) => ready,
            Err(_) => {
                let _ = self.exchange.conn.handle_eof(self.clock.now());
                return;
            }
        };
        if ready && self.fill().is_err() {
            let _ = self.exchange.conn.handle_eof(self.clock.now());
        }
    }

    /// Reads into the spare input, timing out at the engine's next deadline.
    fn read_spare(&mut self) -> Result<Raw, T::Error> {
        let now = self.clock.now();
        let timeout = self.exchange.conn.poll_timeout().map(|at| at - now);
        if timeout == Some(Duration::ZERO) {
            return Ok(Raw::Deadline);
        }
        self.transport
            .set_read_timeout(timeout)
            .map_err(DriverError::Io)?;
        let Self {
            exchange,
            transport,
            ..
        } = self;
        match transport.read(exchange.spare(now)?) {
            Ok(0) => Ok(Raw::Eof),
            Ok(n) => Ok(Raw::Bytes(n)),
            Err(e) if e.kind() == ErrorKind::TimedOut => Ok(Raw::Deadline),
            Err(e) => Err(DriverError::Io(e)),
        }
    }
}
