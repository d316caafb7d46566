//! Transports a [`Session`](crate::Session) can open again: the
//! [`Connect`] trait, and [`TcpTransport`] on an embassy-net `TcpSocket`.

use core::future::Future;

use embassy_net::IpEndpoint;
use embassy_net::tcp::{ConnectError, State, TcpSocket};
use embassy_time::{Duration, with_timeout};
use embedded_io_async::{ErrorKind, ErrorType, Read, Write};

/// A byte stream to one server that can be opened again after it closed.
///
/// A session keeps one transport object for its whole life and reconnects
/// it, because firmware has no heap to make a new socket (and new buffers)
/// for every connection.
pub trait Connect: Read + Write {
    /// Opens a new connection to the server. Anything left of a previous
    /// connection is dropped first.
    fn connect(&mut self) -> impl Future<Output = Result<(), Self::Error>>;

    /// Closes the connection: with `graceful`, the peer gets a FIN after
    /// what was written; without, a reset (after a failure, when what is in
    /// flight is garbage anyway).
    fn disconnect(&mut self, graceful: bool) -> impl Future<Output = ()>;

    /// Whether an idle open connection can still carry a request: false
    /// once the peer closed its side or sent bytes nobody asked for. A
    /// check without I/O; the engine's own rules are asked separately.
    fn is_usable(&self) -> bool;
}

/// Why a [`TcpTransport`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum NetError {
    /// Opening the connection failed.
    Connect(ConnectError),
    /// Reading or writing failed: the connection was reset or timed out.
    Reset,
}

impl core::fmt::Display for NetError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Connect(ConnectError::InvalidState) => f.write_str("socket still in use"),
            Self::Connect(ConnectError::ConnectionReset) => f.write_str("connection refused"),
            Self::Connect(ConnectError::TimedOut) => f.write_str("connect timed out"),
            Self::Connect(ConnectError::NoRoute) => f.write_str("no route to host"),
            Self::Reset => f.write_str("connection reset"),
        }
    }
}

impl core::error::Error for NetError {}

impl embedded_io_async::Error for NetError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Connect(ConnectError::InvalidState) => ErrorKind::Other,
            Self::Connect(ConnectError::ConnectionReset) => ErrorKind::ConnectionRefused,
            Self::Connect(ConnectError::TimedOut) => ErrorKind::TimedOut,
            Self::Connect(ConnectError::NoRoute) => ErrorKind::AddrNotAvailable,
            Self::Reset => ErrorKind::ConnectionReset,
        }
    }
}

/// How long a graceful close may take (our FIN acknowledged, the peer's
/// FIN received) before the connection is reset instead.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a connection attempt, or a connection with unacknowledged
/// data, may go without hearing from the server (smoltcp's socket timeout).
pub const SOCKET_TIMEOUT: Duration = Duration::from_secs(10);

/// An embassy-net TCP socket to one server, reconnectable.
///
/// Wraps one [`TcpSocket`] (and so its two buffers) for the life of a
/// session: after a close it is connected again, which smoltcp allows from
/// the `Closed` and `TIME-WAIT` states.
pub struct TcpTransport<'a> {
    socket: TcpSocket<'a>,
    remote: IpEndpoint,
}

impl<'a> TcpTransport<'a> {
    /// A transport to `remote` on `socket` (not connected yet). Sets the
    /// socket's timeout to [`SOCKET_TIMEOUT`] so a silent server cannot
    /// stall a connect forever; change it through
    /// [`socket_mut`](Self::socket_mut).
    pub fn new(mut socket: TcpSocket<'a>, remote: impl Into<IpEndpoint>) -> Self {
        socket.set_timeout(Some(SOCKET_TIMEOUT));
        Self {
            socket,
            remote: remote.into(),
        }
    }

    /// The server's address.
    pub fn remote(&self) -> IpEndpoint {
        self.remote
    }

    /// The socket, for its state and options.
    pub fn socket_mut(&mut self) -> &mut TcpSocket<'a> {
        &mut self.socket
    }

    /// Resets whatever the socket still holds and waits (briefly) until the
    /// reset is sent, so the peer learns the connection is gone.
    async fn reset(&mut self) {
        self.socket.abort();
        let _ = with_timeout(CLOSE_TIMEOUT, self.socket.flush()).await;
    }

    /// Sends our FIN, waits for its acknowledgement, then for the peer's
    /// FIN (discarding anything it still sends).
    async fn close_gracefully(&mut self) {
        self.socket.close();
        if self.socket.flush().await.is_err() {
            return;
        }
        let mut sink = [0u8; 64];
        while let Ok(n) = self.socket.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    }
}

impl core::fmt::Debug for TcpTransport<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TcpTransport")
            .field("remote", &self.remote)
            .field("state", &self.socket.state())
            .finish()
    }
}

impl ErrorType for TcpTransport<'_> {
    type Error = NetError;
}

impl Read for TcpTransport<'_> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, NetError> {
        self.socket.read(buf).await.map_err(|_| NetError::Reset)
    }
}

impl Write for TcpTransport<'_> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, NetError> {
        self.socket.write(buf).await.map_err(|_| NetError::Reset)
    }

    async fn flush(&mut self) -> Result<(), NetError> {
        self.socket.flush().await.map_err(|_| NetError::Reset)
    }
}

impl Connect for TcpTransport<'_> {
    async fn connect(&mut self) -> Result<(), NetError> {
        if !matches!(self.socket.state(), State::Closed | State::TimeWait) {
            self.reset().await;
        }
        self.socket
            .connect(self.remote)
            .await
            .map_err(NetError::Connect)
    }

    async fn disconnect(&mut self, graceful: bool) {
        if graceful
            && with_timeout(CLOSE_TIMEOUT, self.close_gracefully())
                .await
                .is_ok()
            && matches!(self.socket.state(), State::Closed | State::TimeWait)
        {
            return;
        }
        if !matches!(self.socket.state(), State::Closed | State::TimeWait) {
            self.reset().await;
        }
    }

    fn is_usable(&self) -> bool {
        self.socket.state() == State::Established && !self.socket.can_recv()
    }
}
