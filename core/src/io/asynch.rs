//! Async drivers over `embedded_io_async::{Read, Write}` (embassy-net's
//! `TcpSocket`, tokio through `embedded-io-adapters`, ...).
//!
//! Each read races the engine's next deadline ([`Clock::sleep_until`]), so
//! keep-alive, head, body, exchange and `100-continue` deadlines are kept
//! without a separate timer task.

use core::future::{Future, poll_fn};
use core::pin::pin;
use core::task::{Context, Poll, Waker};

use embedded_io_async::{Read, Write};

/// A time source and timer for an async driver.
pub trait Clock {
    /// The current time.
    fn now(&self) -> Instant;

    /// Completes at `deadline` (at once if it passed).
    fn sleep_until(&mut self, deadline: Instant) -> impl Future<Output = ()>;
}

/// One read, before the engine sees it.
enum Raw {
    Bytes(usize),
    Eof,
    Deadline,
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

crate::io::driver::driver! {
    transport: [Read + Write],
    flavour: "n async",
    async: [async],
    await: [.await]
}

impl<T: Read + Write, C: Clock, B: Buffer, R: RoleKind> Io<T, C, B, R> {
    /// Before reuse: polls one read of the transport once, without
    /// waiting, so bytes (or a close) that arrived while the connection was
    /// idle reach the engine before it answers. A read that is not ready is
    /// dropped unfinished, which the deadline race of
    /// [`read_spare`](Self::read_spare) already requires of the transport
    /// (embassy-net's and tokio's reads are cancel-safe). A transport error
    /// counts as a close.
    fn take_ready(&mut self) {
        if !self.exchange.idle_client() {
            return;
        }
        let now = self.clock.now();
        let Self {
            exchange,
            transport,
            ..
        } = self;
        let Ok(spare) = exchange.spare::<T::Error>(now) else {
            return;
        };
        let polled = {
            let mut read = pin!(transport.read(spare));
            read.as_mut().poll(&mut Context::from_waker(Waker::noop()))
        };
        match polled {
            Poll::Pending => {}
            Poll::Ready(Ok(n)) if n > 0 => exchange.inbox.filled(n),
            Poll::Ready(_) => {
                let _ = exchange.conn.handle_eof(now);
            }
        }
    }

    /// Reads into the spare input, racing the engine's next deadline.
    async fn read_spare(&mut self) -> Result<Raw, T::Error> {
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
            First::Left(Ok(0)) => Ok(Raw::Eof),
            First::Left(Ok(n)) => Ok(Raw::Bytes(n)),
            First::Left(Err(e)) => Err(DriverError::Io(e)),
            First::Right(()) => Ok(Raw::Deadline),
        }
    }
}
