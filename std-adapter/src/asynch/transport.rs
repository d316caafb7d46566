//! A tokio `TcpStream` as an `embedded_io_async` transport for the core's
//! async drivers, through `embedded-io-adapters`' [`FromTokio`].

use std::io;
use std::mem::MaybeUninit;
use std::time::Duration;

use embedded_io_adapters::tokio_1::FromTokio;
use embedded_io_async::Write as _;
use socket2::SockRef;
use std::fmt;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _, BufWriter};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};

use super::timer::LazyTimer;
use crate::net::MAX_CLOSE_DRAIN;

/// Bytes gathered before a write reaches the socket: a response head and a
/// small body leave in one system call, at the driver's `flush`.
const WRITE_BUFFER: usize = 8 * 1024;

/// Longest [`TokioTransport::catch_up`] waits for the reactor to see what
/// the socket already holds (it sees it at its next turn).
const CATCH_UP_LIMIT: Duration = Duration::from_secs(1);

/// A connected tokio TCP stream for `h1conn::io::asynch::{Client, Server}`.
///
/// Reads and writes go through [`FromTokio`] over a [`BufWriter`], so the
/// pieces of one message (head, body, chunk lines) are written together
/// when the driver flushes. Two limits of the caller's sit on top of the
/// engine's own deadlines (which the driver races against every read):
///
/// - a write deadline, total per message: the first write after a read
///   starts it, and a peer that does not take the whole message within
///   [`with_write_timeout`](Self::with_write_timeout) gets `TimedOut`
///   however slowly it reads;
/// - a silence limit ([`with_silence_limit`](Self::with_silence_limit)):
///   a read that waits that long for a byte fails with `TimedOut`.
pub struct TokioTransport {
    io: FromTokio<BufWriter<TcpStream>>,
    write_timeout: Option<Duration>,
    /// The end of the current write phase, set by its first write.
    write_deadline: Option<Instant>,
    silence_limit: Option<Duration>,
    /// The timer all waits of this transport race (one wheel entry).
    timer: LazyTimer,
    /// Whether Nagle's algorithm is off yet (see `before_send`).
    nodelay: bool,
    /// Whether a flush has sent bytes to the socket.
    sent: bool,
}

impl TokioTransport {
    /// Wraps `stream`. No limits until set.
    ///
    /// Nagle's algorithm is turned off (the driver already gathers each
    /// message and flushes once), though only before a send that could
    /// wait for it: a connection that sends one small message never pays
    /// the system call.
    pub fn new(stream: TcpStream) -> io::Result<Self> {
        Ok(Self {
            io: FromTokio::new(BufWriter::with_capacity(WRITE_BUFFER, stream)),
            write_timeout: None,
            write_deadline: None,
            silence_limit: None,
            timer: LazyTimer::new(Instant::now() + Duration::from_secs(3600)),
            nodelay: false,
            sent: false,
        })
    }

    /// Limits how long writing one message may take in total.
    pub fn with_write_timeout(mut self, limit: Option<Duration>) -> Self {
        self.write_timeout = limit;
        self
    }

    /// Limits how long one read may wait for data.
    pub fn with_silence_limit(mut self, limit: Option<Duration>) -> Self {
        self.silence_limit = limit;
        self
    }

    /// The socket.
    pub fn stream(&self) -> &TcpStream {
        self.io.inner().get_ref()
    }

    /// Call before the async client driver's `reusable()`: brings tokio's
    /// idea of the socket up to date with the socket itself.
    ///
    /// tokio learns that bytes (or a close) arrived only when its reactor
    /// next runs, so the driver's read polled once in `reusable()` misses
    /// what came while the task kept its thread busy (and the stray bytes
    /// would be read as the next response). A non-blocking peek asks the
    /// socket; when something waits, this waits (briefly) for the reactor
    /// to see it too, and the driver's poll then reads it.
    pub async fn catch_up(&self) {
        let mut byte = [MaybeUninit::uninit()];
        let peeked = SockRef::from(self.stream()).peek(&mut byte);
        let nothing_waits = matches!(&peeked, Err(e) if e.kind() == io::ErrorKind::WouldBlock);
        if !nothing_waits {
            let _ = tokio::time::timeout(CATCH_UP_LIMIT, self.stream().readable()).await;
        }
    }

    /// Closes a connection whose peer said it sends nothing more (its
    /// request said `Connection: close`, or was HTTP/1.0 without
    /// keep-alive): flushes and, when nothing unread waits, closes at once,
    /// which sends a FIN after the data, never a reset.
    /// When bytes do wait, it closes gracefully as
    /// [`close_gracefully`](Self::close_gracefully) does (as nginx lingers
    /// only when the client may still be sending).
    pub async fn close_after_last(self, linger: Duration) {
        let mut byte = [MaybeUninit::uninit()];
        let peeked = SockRef::from(self.stream()).peek(&mut byte);
        if matches!(&peeked, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
            let mut stream = self.io.into_inner();
            // The driver flushed at the end of the response; this only
            // covers a caller that did not. Dropping the socket closes it.
            let _ = timeout_at(Instant::now() + linger, stream.flush()).await;
        } else {
            self.close_gracefully(linger).await;
        }
    }

    /// Closes gracefully: flushes, shuts down the write side so the peer
    /// reads everything sent, then drains what it still sends for up to
    /// `linger` (at most 256 KiB), so the close never turns into a reset
    /// that could destroy the last message in flight.
    pub async fn close_gracefully(self, linger: Duration) {
        let mut stream = self.io.into_inner();
        let deadline = Instant::now() + linger;
        if timeout_at(deadline, stream.shutdown()).await.is_err() {
            return;
        }
        let mut stream = stream.into_inner();
        // On the heap, not in every connection's future.
        let mut sink = vec![0u8; 4096];
        let mut budget = MAX_CLOSE_DRAIN;
        while budget > 0 {
            match timeout_at(deadline, stream.read(&mut sink)).await {
                Ok(Ok(n)) if n > 0 => budget = budget.saturating_sub(n),
                _ => break,
            }
        }
    }

    /// Runs `op` within `deadline`, a `TimedOut` error past it.
    async fn within<T>(
        timer: &mut LazyTimer,
        deadline: Option<Instant>,
        op: impl Future<Output = io::Result<T>>,
    ) -> io::Result<T> {
        let Some(at) = deadline else {
            return op.await;
        };
        tokio::select! {
            biased;
            result = op => result,
            () = timer.until(at) => Err(io::ErrorKind::TimedOut.into()),
        }
    }

    /// Turns Nagle's algorithm off before a send it could delay.
    ///
    /// It holds a small segment back only while sent data is still
    /// unacknowledged, so the first send of a connection never waits: the
    /// switch waits until a second send may follow, either from an earlier
    /// flush or because `incoming` bytes do not fit the write buffer (the
    /// buffer then goes out, and more after it).
    fn before_send(&mut self, incoming: usize) -> io::Result<()> {
        if self.nodelay {
            return Ok(());
        }
        let buffered = self.io.inner().buffer().len();
        if self.sent || buffered.saturating_add(incoming) > WRITE_BUFFER {
            self.stream().set_nodelay(true)?;
            self.nodelay = true;
        }
        Ok(())
    }

    /// Sends what the write buffer holds.
    async fn flush_buffer(&mut self) -> io::Result<()> {
        if self.io.inner().buffer().is_empty() {
            return Ok(());
        }
        self.before_send(0)?;
        let deadline = self.write_deadline();
        Self::within(&mut self.timer, deadline, self.io.flush()).await?;
        self.sent = true;
        Ok(())
    }

    fn write_deadline(&mut self) -> Option<Instant> {
        if self.write_deadline.is_none() {
            self.write_deadline = self.write_timeout.map(|limit| Instant::now() + limit);
        }
        self.write_deadline
    }
}

impl fmt::Debug for TokioTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokioTransport")
            .field("stream", self.stream())
            .field("write_timeout", &self.write_timeout)
            .field("silence_limit", &self.silence_limit)
            .finish_non_exhaustive()
    }
}

impl embedded_io_async::ErrorType for TokioTransport {
    type Error = io::Error;
}

impl embedded_io_async::Read for TokioTransport {
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Nothing may wait in the buffer while we wait for the peer.
        self.flush_buffer().await?;
        self.write_deadline = None;
        let deadline = self.silence_limit.map(|limit| Instant::now() + limit);
        Self::within(&mut self.timer, deadline, self.io.read(buf)).await
    }
}

impl embedded_io_async::Write for TokioTransport {
    async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.before_send(buf.len())?;
        let deadline = self.write_deadline();
        Self::within(&mut self.timer, deadline, self.io.write(buf)).await
    }

    async fn flush(&mut self) -> io::Result<()> {
        self.flush_buffer().await?;
        // The socket's own flush (a no-op for TCP) after the buffer's.
        let deadline = self.write_deadline();
        Self::within(&mut self.timer, deadline, self.io.flush()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use embedded_io_async::Read as _;

    /// A connected pair on loopback: our transport and the peer's stream.
    async fn pair() -> (TokioTransport, TcpStream) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let ours = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (theirs, _) = listener.accept().await.unwrap();
        (TokioTransport::new(ours).unwrap(), theirs)
    }

    #[tokio::test]
    async fn nagle_goes_off_before_a_second_send() {
        let (mut transport, mut peer) = pair().await;
        assert!(!transport.stream().nodelay().unwrap());
        transport.write_all(b"first message").await.unwrap();
        transport.flush().await.unwrap();
        // One small send cannot wait for an acknowledgement.
        assert!(!transport.stream().nodelay().unwrap());
        let mut got = [0u8; 13];
        peer.read_exact(&mut got).await.unwrap();
        transport.write_all(b"second").await.unwrap();
        transport.flush().await.unwrap();
        assert!(transport.stream().nodelay().unwrap());
    }

    #[tokio::test]
    async fn nagle_goes_off_before_a_message_larger_than_the_buffer() {
        let (mut transport, mut peer) = pair().await;
        let reader = tokio::spawn(async move {
            let mut sink = Vec::new();
            peer.read_to_end(&mut sink).await.unwrap();
            sink.len()
        });
        transport.write_all(b"head\r\n\r\n").await.unwrap();
        assert!(!transport.stream().nodelay().unwrap());
        let body = vec![b'x'; WRITE_BUFFER * 3];
        transport.write_all(&body).await.unwrap();
        assert!(transport.stream().nodelay().unwrap());
        transport.flush().await.unwrap();
        drop(transport);
        assert_eq!(reader.await.unwrap(), 8 + WRITE_BUFFER * 3);
    }

    #[tokio::test]
    async fn a_read_sends_what_waits_first() {
        let (mut transport, mut peer) = pair().await;
        transport.write_all(b"ping").await.unwrap();
        let echo = tokio::spawn(async move {
            let mut got = [0u8; 4];
            peer.read_exact(&mut got).await.unwrap();
            peer.write_all(b"pong").await.unwrap();
            got
        });
        let mut buf = [0u8; 4];
        let n = transport.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], &b"pong"[..n]);
        assert_eq!(&echo.await.unwrap(), b"ping");
    }
}
