//! A keep-alive HTTP/1.x server on tokio: one task per connection, each
//! running the core's [`h1conn::io::asynch::Server`] driver over a
//! [`TokioTransport`].
//!
//! It behaves as the blocking [`server`](crate::server) does, with the same
//! [`ServerConfig`] and [`AccessRecord`]s; only the waiting differs. A
//! connection waiting for its next request is a few kilobytes of buffers
//! and a parked task, not a thread, so thousands of idle keep-alive
//! connections cost little and a slow peer holds nothing but its own task.
//!
//! What a connection does, in order:
//!
//! 1. read a request head (waiting at most the keep-alive timeout for its
//!    first byte, then the head timeout for the rest: the engine's
//!    deadlines, raced against each read);
//! 2. call the [`Handler`], which may read the body (`100 Continue` goes
//!    out first when the request expects it) and sends one response, whole
//!    or streamed;
//! 3. if the engine keeps the connection, read and discard what is left of
//!    the body (up to [`ServerConfig::max_discard_body`]) and go back to 1;
//!    otherwise close gracefully.
//!
//! Every phase is bounded: a connection above
//! [`ServerConfig::max_connections`] is answered `503` at once; a request
//! body must keep [`ServerConfig::body_min_rate`] after
//! [`ServerConfig::body_timeout`] (else `408`); a response must be written
//! within [`ServerConfig::write_timeout`] in total. A malformed request is
//! answered with the status the engine suggests and `Connection: close`. A
//! handler that fails or panics before responding gets a `500`.
//!
//! # Example
//!
//! ```
//! use std::io::{Read, Write};
//! use std::net::TcpStream;
//! use h1conn_std::asynch::server::{Handler, Request, Server};
//! use h1conn_std::server::ServerConfig;
//!
//! struct Hello;
//!
//! impl Handler for Hello {
//!     async fn handle(&self, request: &mut Request<'_>) -> std::io::Result<()> {
//!         let greeting = format!("hello, {}\n", request.path());
//!         request.respond(200, &[("Content-Type", "text/plain")], greeting.as_bytes()).await
//!     }
//! }
//!
//! let server = Server::bind("127.0.0.1:0", ServerConfig::default(), Hello)?.spawn()?;
//!
//! let mut socket = TcpStream::connect(server.local_addr())?;
//! socket.write_all(b"GET /you HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
//! let mut response = String::new();
//! socket.read_to_string(&mut response)?;
//! assert!(response.starts_with("HTTP/1.1 200 OK\r\n"));
//! assert!(response.ends_with("\r\n\r\nhello, /you\n"));
//!
//! server.shutdown();
//! # Ok::<(), std::io::Error>(())
//! ```

use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::panic::{self, AssertUnwindSafe};
use std::pin::pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use h1conn::io::{DriverError, asynch};
use h1conn::policy::{CloseReason, Persistence};
use h1conn::wire::Header;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::{Instant, sleep, timeout_at};

use super::TokioClock;
use super::TokioTransport;
pub use super::request::{Request, ResponseBody};
use crate::server::request::{Completion, Outcome, PLAIN_TEXT};
use crate::server::{
    AccessLog, AccessRecord, Exchange, Head, MAX_REFUSED_HELD, ServerConfig, UNAVAILABLE,
    is_transient,
};

/// The driver of one connection, owning its buffers.
pub(super) type Driver = asynch::Server<TokioTransport, TokioClock, Vec<u8>>;

/// Bytes of input buffer beyond the longest head: room for body bytes to
/// stream through while the head stays readable.
const INPUT_SLACK: usize = 4 * 1024;
/// Buffer for response heads and chunk-size lines.
const SCRATCH_LEN: usize = 8 * 1024;

/// Answers requests. Called once per request, on the connection's task.
///
/// A handler reads what it needs of the request and sends exactly one
/// response with [`Request::respond`] or [`Request::start_response`].
/// Returning an error before responding sends a `500`; returning an error
/// in the middle of a streamed response closes the connection. Implement
/// it with `async fn handle(&self, request: &mut Request<'_>) -> io::Result<()>`;
/// the future must be `Send` (tasks move between worker threads).
pub trait Handler: Send + Sync + 'static {
    /// Answers `request`.
    fn handle(&self, request: &mut Request<'_>) -> impl Future<Output = io::Result<()>> + Send;
}

impl<H: Handler> Handler for Arc<H> {
    fn handle(&self, request: &mut Request<'_>) -> impl Future<Output = io::Result<()>> + Send {
        (**self).handle(request)
    }
}

/// A bound, not yet running server.
///
/// [`bind`](Self::bind) it, optionally attach an access log, then
/// [`serve`](Self::serve) it on your tokio runtime, [`run`](Self::run) it
/// on a new multi-threaded runtime on the current thread, or
/// [`spawn`](Self::spawn) it on background threads and keep the
/// [`ServerHandle`].
pub struct Server<H> {
    listener: std::net::TcpListener,
    local_addr: SocketAddr,
    config: ServerConfig,
    handler: H,
    log: Option<Box<AccessLog>>,
    worker_threads: Option<usize>,
}

impl<H> fmt::Debug for Server<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("local_addr", &self.local_addr)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<H: Handler> Server<H> {
    /// Binds a listening socket on `addr` (port 0 picks a free port; see
    /// [`local_addr`](Self::local_addr)). Nothing is accepted until the
    /// server runs. Needs no runtime.
    ///
    /// Fails with `InvalidInput` when `config` makes no sense
    /// ([`ServerConfig::validate`]).
    pub fn bind(addr: impl ToSocketAddrs, config: ServerConfig, handler: H) -> io::Result<Self> {
        config
            .validate()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let local_addr = listener.local_addr()?;
        Ok(Self {
            listener,
            local_addr,
            config,
            handler,
            log: None,
            worker_threads: None,
        })
    }

    /// The address the server listens on, with the real port.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Calls `log` once for every request answered (including malformed
    /// requests answered with an error status), after its response was
    /// sent, on the connection's task.
    #[must_use]
    pub fn with_access_log(
        mut self,
        log: impl Fn(&AccessRecord<'_>) + Send + Sync + 'static,
    ) -> Self {
        self.log = Some(Box::new(log));
        self
    }

    /// The number of worker threads of the runtime [`run`](Self::run) and
    /// [`spawn`](Self::spawn) start (default: one per CPU).
    #[must_use]
    pub fn with_worker_threads(mut self, threads: usize) -> Self {
        self.worker_threads = Some(threads.max(1));
        self
    }

    /// Serves on the current tokio runtime (which needs its I/O and time
    /// drivers enabled) until the listener fails for good.
    ///
    /// The accept loop runs as a task of its own, so on a multi-threaded
    /// runtime it accepts on a worker thread, whose new connections start
    /// on that worker without waking another thread.
    pub async fn serve(self) -> io::Result<()> {
        let (listener, shared) = self.into_parts()?;
        on_a_worker(accept_loop(listener, shared)).await
    }

    /// Serves on a new multi-threaded runtime, blocking the current thread
    /// until the listener fails for good.
    pub fn run(self) -> io::Result<()> {
        runtime(self.worker_threads)?.block_on(self.serve())
    }

    /// Serves on a new multi-threaded runtime on background threads; the
    /// handle stops it.
    pub fn spawn(self) -> io::Result<ServerHandle> {
        let local_addr = self.local_addr;
        let runtime = runtime(self.worker_threads)?;
        let (listener, shared) = {
            let _inside = runtime.enter();
            self.into_parts()?
        };
        let for_thread = Arc::clone(&shared);
        let thread = thread::Builder::new()
            .name(format!("h1conn-async-{}", local_addr.port()))
            .spawn(move || {
                let result =
                    runtime.block_on(on_a_worker(accept_loop(listener, Arc::clone(&for_thread))));
                // Connections finish their responses; idle ones close.
                runtime.block_on(
                    for_thread.wait_idle(for_thread.config.close_linger + Duration::from_secs(2)),
                );
                runtime.shutdown_timeout(Duration::from_secs(1));
                result
            })?;
        Ok(ServerHandle {
            local_addr,
            shared,
            thread: Some(thread),
        })
    }

    fn into_parts(self) -> io::Result<(TcpListener, Arc<Shared<H>>)> {
        let listener = TcpListener::from_std(self.listener)?;
        let (stop, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            config: self.config,
            handler: self.handler,
            log: self.log,
            stop,
            next_conn: AtomicU64::new(1),
            live: AtomicUsize::new(0),
            refusing: AtomicUsize::new(0),
            buffers: BufferPool::default(),
        });
        Ok((listener, shared))
    }
}

/// Runs the accept loop as a task of the runtime rather than on the
/// thread that waits for it: tasks spawned from outside the workers go
/// through the shared queue and wake a worker, one thread hand-off per
/// connection that a worker spawning them avoids.
/// Dropping the returned future stops the loop, as dropping the loop
/// itself would.
async fn on_a_worker(
    accept: impl Future<Output = io::Result<()>> + Send + 'static,
) -> io::Result<()> {
    /// Aborts the task when the future waiting for it is dropped.
    struct AbortOnDrop(tokio::task::JoinHandle<io::Result<()>>);
    impl Drop for AbortOnDrop {
        fn drop(&mut self) {
            self.0.abort();
        }
    }
    let mut task = AbortOnDrop(tokio::spawn(accept));
    match (&mut task.0).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(io::Error::other(e)),
    }
}

fn runtime(worker_threads: Option<usize>) -> io::Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all().thread_name("h1conn-worker");
    if let Some(threads) = worker_threads {
        builder.worker_threads(threads);
    }
    builder.build()
}

/// A server running on background threads (from [`Server::spawn`]).
///
/// Dropping the handle stops the server too.
#[derive(Debug)]
pub struct ServerHandle {
    local_addr: SocketAddr,
    shared: Arc<dyn Stoppable>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl ServerHandle {
    /// The address the server listens on, with the real port.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Connections being served now.
    pub fn open_connections(&self) -> usize {
        self.shared.open()
    }

    /// Stops the server: stops accepting, lets responses in progress
    /// finish, closes idle connections, and joins the runtime's thread
    /// (connections still busy after a grace period are dropped).
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        self.shared.stop();
        let _ = thread.join();
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What the handle needs of the shared state, whatever the handler type.
trait Stoppable: Send + Sync + fmt::Debug {
    fn stop(&self);
    fn open(&self) -> usize;
}

/// What the accepting task and the connection tasks share.
struct Shared<H> {
    config: ServerConfig,
    handler: H,
    log: Option<Box<AccessLog>>,
    /// Becomes `true` when the server stops.
    stop: watch::Sender<bool>,
    next_conn: AtomicU64,
    /// Connections being served.
    live: AtomicUsize,
    /// Refused connections whose 503 is still draining.
    refusing: AtomicUsize,
    /// Buffers of closed connections, for the next ones.
    buffers: BufferPool,
}

/// Input and scratch buffers of closed connections, reused by new ones so
/// that a connection costs no large allocation (and no zeroing): a few
/// thousand short connections per second would otherwise spend a fair
/// share of their time in the allocator.
#[derive(Debug, Default)]
struct BufferPool(Mutex<Vec<(Vec<u8>, Vec<u8>)>>);

impl BufferPool {
    /// Most pairs kept (about 20 MiB at the default sizes).
    const MAX_KEPT: usize = 1024;

    fn take(&self) -> Option<(Vec<u8>, Vec<u8>)> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).pop()
    }

    fn give_back(&self, input: Vec<u8>, scratch: Vec<u8>) {
        let mut kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.len() < Self::MAX_KEPT {
            kept.push((input, scratch));
        }
    }
}

impl<H> fmt::Debug for Shared<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("config", &self.config)
            .field("live", &self.live)
            .finish_non_exhaustive()
    }
}

impl<H: Handler> Stoppable for Shared<H> {
    fn stop(&self) {
        self.stop.send_replace(true);
    }

    fn open(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }
}

impl<H> Shared<H> {
    /// Waits until no connection is open, at most `limit`.
    async fn wait_idle(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while self.live.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Counts a connection (or a refusal) while it lives.
struct Counted<'a>(&'a AtomicUsize);

impl<'a> Counted<'a> {
    fn new(counter: &'a AtomicUsize) -> Self {
        counter.fetch_add(1, Ordering::SeqCst);
        Self(counter)
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn accept_loop<H: Handler>(listener: TcpListener, shared: Arc<Shared<H>>) -> io::Result<()> {
    let mut stopped = shared.stop.subscribe();
    let mut failing_since: Option<Instant> = None;
    loop {
        let accepted = tokio::select! {
            biased;
            _ = stopped.wait_for(|stop| *stop) => return Ok(()),
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                failing_since = None;
                let full =
                    shared.live.load(Ordering::SeqCst) >= shared.config.max_connections.max(1);
                if full {
                    refuse(&shared, stream);
                } else {
                    let shared = Arc::clone(&shared);
                    let id = shared.next_conn.fetch_add(1, Ordering::SeqCst);
                    tokio::spawn(async move {
                        let _live = Counted::new(&shared.live);
                        // Boxed: tokio moves a task's future several times
                        // while it starts and ends it, and a connection's
                        // future is a few kilobytes; a box is one pointer.
                        Box::pin(serve_connection(&shared, id, stream, peer)).await;
                    });
                }
            }
            Err(e) if is_transient(&e) => {}
            Err(e) => {
                // Out of descriptors or memory: wait for connections to end
                // rather than spin; a listener broken for this long is dead.
                let since = *failing_since.get_or_insert_with(Instant::now);
                if since.elapsed() > Duration::from_secs(30) {
                    return Err(e);
                }
                sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Answers a connection above the cap with `503` and closes it gracefully
/// on its own small task (at most [`MAX_REFUSED_HELD`] at once; past that
/// the connection is dropped at once).
fn refuse<H: Handler>(shared: &Arc<Shared<H>>, stream: TcpStream) {
    // Counted before the task starts, so a burst cannot overshoot the cap.
    if shared.refusing.fetch_add(1, Ordering::SeqCst) >= MAX_REFUSED_HELD {
        shared.refusing.fetch_sub(1, Ordering::SeqCst);
        return;
    }
    let shared = Arc::clone(shared);
    tokio::spawn(async move {
        let linger = shared.config.close_linger;
        let mut stream = stream;
        let deadline = Instant::now() + linger;
        if let Ok(Ok(())) = timeout_at(deadline, stream.write_all(UNAVAILABLE)).await {
            let _ = stream.shutdown().await;
            // Read what the peer sent until it closes or the linger ends:
            // closing with unread data would reset the connection under
            // the 503.
            let mut sink = [0u8; 4096];
            while let Ok(Ok(n)) = timeout_at(deadline, stream.read(&mut sink)).await {
                if n == 0 {
                    break;
                }
            }
        }
        shared.refusing.fetch_sub(1, Ordering::SeqCst);
    });
}

/// Serves one connection until the engine, the peer, the handler or a
/// server stop ends it.
///
/// `id` numbers connections in the order they were accepted (taken before
/// the task is spawned: tasks may start in another order).
async fn serve_connection<H: Handler>(
    shared: &Shared<H>,
    id: u64,
    stream: TcpStream,
    peer: SocketAddr,
) {
    let config = &shared.config;
    let Ok(transport) = TokioTransport::new(stream) else {
        return;
    };
    let transport = transport
        .with_write_timeout(Some(config.write_timeout))
        .with_silence_limit(Some(config.silence_limit()));
    let engine = config.engine();
    let (input, scratch) = shared.buffers.take().unwrap_or_else(|| {
        (
            vec![0u8; engine.parse.max_head_len + INPUT_SLACK],
            vec![0u8; SCRATCH_LEN],
        )
    });
    let mut driver: Driver =
        asynch::Server::new(transport, TokioClock::new(), engine, input, scratch);
    let mut stopped = shared.stop.subscribe();
    // One wait for the stop signal for the connection's whole life (a new
    // one per request would register and unregister a waiter each time).
    let mut stop = pin!(stopped.wait_for(|stop| *stop));
    let mut number = 0u32;
    let record = |driver: &Driver, number, head: Option<&Head>, status, abort| {
        if let Some(log) = &shared.log {
            let exchange = Exchange {
                conn: id,
                number,
                peer,
                head,
                status,
                abort,
            };
            log(&exchange.record(driver.connection()));
        }
    };
    loop {
        let next = tokio::select! {
            biased;
            // A stop closes a connection waiting for its next request.
            _ = &mut stop => break,
            next = driver.read_request() => next.map(|head| head.map(|h| (Head::of(&h), h.facts.other_codings))),
        };
        let head = match next {
            Ok(Some((head, true))) => {
                // RFC 9112 6.1: a transfer coding we cannot decode gets 501;
                // the body cannot be skipped reliably, so the connection closes.
                let close = [Header {
                    name: b"Connection",
                    value: b"close",
                }];
                number = number.saturating_add(1);
                if driver
                    .send_response(501, b"Not Implemented", &close, b"")
                    .await
                    .is_ok()
                {
                    record(&driver, number, Some(&head), 501, true);
                }
                break;
            }
            Ok(Some((head, false))) => head,
            Ok(None) => break,
            Err(DriverError::Protocol(error)) => {
                // A malformed head (or one too slow): answer it if the
                // engine still allows, then close.
                if driver.send_error(&error).await.is_ok() {
                    number = number.saturating_add(1);
                    record(&driver, number, None, error.status_hint(), true);
                }
                break;
            }
            Err(_) => break,
        };
        number = number.saturating_add(1);
        let mut request = Request::new(
            &mut driver,
            head,
            peer,
            (id, number),
            config.max_discard_body,
        );
        let outcome = exchange(&shared.handler, &mut request).await;
        let Request { head, .. } = request;
        if let Some(status) = outcome.status {
            record(&driver, number, Some(&head), status, outcome.abort);
        }
        if outcome.abort || !driver.connection().persistence().is_keep_alive() {
            break;
        }
    }
    // A peer that said it sends nothing more, and has nothing unread, needs
    // no lingering drain.
    let peer_done = matches!(
        driver.connection().persistence(),
        Persistence::Close(
            CloseReason::RequestClose | CloseReason::Http10NoKeepAlive | CloseReason::PeerClosed
        )
    );
    let (transport, _, input, scratch) = driver.into_parts();
    shared.buffers.give_back(input, scratch);
    if peer_done {
        transport.close_after_last(config.close_linger).await;
    } else {
        transport.close_gracefully(config.close_linger).await;
    }
}

/// Runs the handler on `request` (a panic counts as a failure), then makes
/// sure exactly one complete response went out and the body is out of the
/// way.
async fn exchange<H: Handler>(handler: &H, request: &mut Request<'_>) -> Outcome {
    let handler_ok = catch_panic(handler.handle(request))
        .await
        .is_ok_and(|r| r.is_ok());
    let mut outcome = match Completion::after(request.phase, &request.body, handler_ok) {
        Completion::Dead => Outcome {
            status: None,
            abort: true,
        },
        Completion::AnswerError(error) => Outcome::of(
            request.wire.send_error(&error).await,
            error.status_hint(),
            None,
        ),
        Completion::Answer500(message) => {
            Outcome::of(request.respond(500, &PLAIN_TEXT, message).await, 500, None)
        }
        Completion::Finish(status) => {
            Outcome::of(request.wire.finish().await, status, Some(status))
        }
        Completion::Ended { status, abort } => Outcome {
            status: Some(status),
            abort,
        },
    };
    let persists = request.wire.connection().persistence().is_keep_alive();
    if !outcome.abort && persists && !request.body.done {
        // Skip the rest of the body now, so that a body error is not
        // mistaken for a bad next request (and answered twice).
        outcome.abort = !request.discard_body().await;
    }
    outcome
}

/// Runs `future`, turning a panic while polling it into `Err(())`.
async fn catch_panic<F: Future>(future: F) -> Result<F::Output, ()> {
    let mut future = pin!(future);
    poll_fn(
        |cx| match panic::catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(poll) => poll.map(Ok),
            Err(_) => std::task::Poll::Ready(Err(())),
        },
    )
    .await
}
