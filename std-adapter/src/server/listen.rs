//! Accepting connections: the [`Server`] and its [`ServerHandle`], the
//! connection cap (a connection above it gets `503` and a close at once,
//! never a silent wait in the backlog), and shutdown.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, Read as _, Write as _};
use std::net::{
    IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs,
};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant as StdInstant};

use super::connection::serve_connection;
use super::{AccessLog, AccessRecord, Handler, ServerConfig};

/// The answer to a connection above the cap.
pub(crate) const UNAVAILABLE: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
Content-Type: text/plain\r\n\
Content-Length: 20\r\n\
Retry-After: 1\r\n\
Connection: close\r\n\
\r\n\
too many connections";

/// Most refused connections kept open at once while their 503 drains.
pub(crate) const MAX_REFUSED_HELD: usize = 1024;

/// A bound, not yet running server.
///
/// [`bind`](Self::bind) it, optionally attach an access log, then either
/// [`run`](Self::run) it on the current thread or [`spawn`](Self::spawn) it
/// on a background thread and keep the [`ServerHandle`].
pub struct Server {
    listener: TcpListener,
    local_addr: SocketAddr,
    config: ServerConfig,
    handler: Box<dyn Handler>,
    log: Option<Box<AccessLog>>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("local_addr", &self.local_addr)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Binds a listening socket on `addr` (port 0 picks a free port; see
    /// [`local_addr`](Self::local_addr)). Nothing is accepted until
    /// [`run`](Self::run) or [`spawn`](Self::spawn).
    ///
    /// Fails with `InvalidInput` when `config` makes no sense
    /// ([`ServerConfig::validate`]).
    pub fn bind(
        addr: impl ToSocketAddrs,
        config: ServerConfig,
        handler: impl Handler,
    ) -> io::Result<Self> {
        config
            .validate()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let listener = TcpListener::bind(addr)?;
        let local_addr = listener.local_addr()?;
        Ok(Self {
            listener,
            local_addr,
            config,
            handler: Box::new(handler),
            log: None,
        })
    }

    /// The address the server listens on, with the real port.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Calls `log` once for every request answered (including malformed
    /// requests answered with an error status), after its response was
    /// sent, on the connection's thread.
    #[must_use]
    pub fn with_access_log(
        mut self,
        log: impl Fn(&AccessRecord<'_>) + Send + Sync + 'static,
    ) -> Self {
        self.log = Some(Box::new(log));
        self
    }

    /// Serves on the current thread until the listener fails for good
    /// (transient `accept` errors, such as running out of file
    /// descriptors, are waited out).
    pub fn run(self) -> io::Result<()> {
        let (listener, shared) = self.into_parts();
        accept_loop(&listener, &shared)
    }

    /// Serves on a background thread; the handle stops it.
    pub fn spawn(self) -> io::Result<ServerHandle> {
        let local_addr = self.local_addr;
        let (listener, shared) = self.into_parts();
        let for_thread = Arc::clone(&shared);
        let thread = thread::Builder::new()
            .name(format!("h1conn-accept-{}", local_addr.port()))
            .spawn(move || accept_loop(&listener, &for_thread))?;
        Ok(ServerHandle {
            local_addr,
            shared,
            thread: Some(thread),
        })
    }

    fn into_parts(self) -> (TcpListener, Arc<Shared>) {
        let shared = Arc::new(Shared {
            config: self.config,
            handler: self.handler,
            log: self.log,
            stopping: AtomicBool::new(false),
            next_conn: AtomicU64::new(1),
            live: Mutex::new(HashMap::new()),
            changed: Condvar::new(),
        });
        (self.listener, shared)
    }
}

/// A server running on a background thread (from [`Server::spawn`]).
///
/// Dropping the handle stops the server too.
#[derive(Debug)]
pub struct ServerHandle {
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl ServerHandle {
    /// The address the server listens on, with the real port.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Connections being served now.
    pub fn open_connections(&self) -> usize {
        self.shared.lock_live().len()
    }

    /// Stops the server: stops accepting, lets responses in progress
    /// finish, closes idle connections, and joins the accepting thread.
    /// Connection threads are waited for a moment (a handler that never
    /// returns is left behind).
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        self.shared.stopping.store(true, Ordering::SeqCst);
        {
            // Under the lock, so the accept loop cannot miss the wake-up
            // between checking the flag and waiting for a free slot.
            let _live = self.shared.lock_live();
            self.shared.changed.notify_all();
        }
        // `accept` cannot be interrupted portably: a connection wakes it.
        let _ = TcpStream::connect_timeout(&wake_addr(self.local_addr), Duration::from_secs(1));
        let _ = thread.join();

        // Closing the read side ends idle connections at once (their next
        // read sees end of stream) and lets busy ones finish their response.
        for stream in self.shared.lock_live().values() {
            let _ = stream.shutdown(Shutdown::Read);
        }
        let grace = self.shared.config.close_linger + Duration::from_secs(2);
        if !self.shared.wait_idle(grace) {
            for stream in self.shared.lock_live().values() {
                let _ = stream.shutdown(Shutdown::Both);
            }
            self.shared.wait_idle(Duration::from_secs(1));
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The address to connect to in order to reach a listener on `addr`.
fn wake_addr(addr: SocketAddr) -> SocketAddr {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, addr.port())
}

/// What the accepting thread and the connection threads share.
pub(super) struct Shared {
    pub(super) config: ServerConfig,
    pub(super) handler: Box<dyn Handler>,
    pub(super) log: Option<Box<AccessLog>>,
    stopping: AtomicBool,
    next_conn: AtomicU64,
    /// Open connections (their sockets, shared, to shut them down).
    live: Mutex<HashMap<u64, Arc<TcpStream>>>,
    /// Signalled when a connection ends or the server stops.
    changed: Condvar,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("config", &self.config)
            .field("stopping", &self.stopping)
            .finish_non_exhaustive()
    }
}

impl Shared {
    fn lock_live(&self) -> MutexGuard<'_, HashMap<u64, Arc<TcpStream>>> {
        // The map stays consistent whatever panicked while holding it.
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until no connection is open, at most `limit`.
    fn wait_idle(&self, limit: Duration) -> bool {
        let deadline = StdInstant::now() + limit;
        let mut live = self.lock_live();
        while !live.is_empty() {
            let left = deadline.saturating_duration_since(StdInstant::now());
            if left.is_zero() {
                return false;
            }
            live = self
                .changed
                .wait_timeout(live, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }
}

/// Unregisters a connection when its thread ends, however it ends.
struct LiveGuard {
    shared: Arc<Shared>,
    id: u64,
}

impl Drop for LiveGuard {
    fn drop(&mut self) {
        self.shared.lock_live().remove(&self.id);
        self.shared.changed.notify_all();
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) -> io::Result<()> {
    let mut failing_since: Option<StdInstant> = None;
    let refuse = spawn_refuser(shared.config.close_linger);
    loop {
        match listener.accept() {
            Ok((stream, peer)) => {
                failing_since = None;
                if shared.stopping.load(Ordering::SeqCst) {
                    return Ok(());
                }
                let full = shared.lock_live().len() >= shared.config.max_connections.max(1);
                if full {
                    if let Some(refuse) = &refuse {
                        let _ = refuse.send(stream);
                    }
                } else {
                    start_connection(shared, stream, peer);
                }
            }
            Err(e) if is_transient(&e) => {}
            Err(e) => {
                if shared.stopping.load(Ordering::SeqCst) {
                    return Ok(());
                }
                // Out of descriptors or memory: wait for connections to end
                // rather than spin; a listener broken for this long is dead.
                let since = *failing_since.get_or_insert_with(StdInstant::now);
                if since.elapsed() > Duration::from_secs(30) {
                    return Err(e);
                }
                thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

/// Starts the thread that answers connections above the cap with `503`
/// and closes them gracefully (one thread for all of them, so refusing
/// costs no thread per connection). It ends when the sender is dropped
/// and the last refused connection is closed.
fn spawn_refuser(linger: Duration) -> Option<Sender<TcpStream>> {
    let (sender, receiver) = mpsc::channel::<TcpStream>();
    let spawned = thread::Builder::new()
        .name("h1conn-refuse".into())
        .spawn(move || {
            let mut held: Vec<(TcpStream, StdInstant)> = Vec::new();
            loop {
                let next = if held.is_empty() {
                    receiver.recv().map_err(|_| RecvTimeoutError::Disconnected)
                } else {
                    receiver.recv_timeout(Duration::from_millis(10))
                };
                match next {
                    Ok(stream) => {
                        if answer_unavailable(&stream).is_ok() {
                            held.push((stream, StdInstant::now() + linger));
                        }
                    }
                    Err(RecvTimeoutError::Disconnected) if held.is_empty() => return,
                    Err(_) => {}
                }
                // Read and drop what the peers send until they close or the
                // linger ends: closing with unread data would reset the
                // connection under the 503.
                let now = StdInstant::now();
                held.retain(|(stream, until)| now < *until && !drained_to_eof(stream));
                if held.len() > MAX_REFUSED_HELD {
                    held.drain(..held.len() - MAX_REFUSED_HELD);
                }
            }
        });
    spawned.ok().map(|_| sender)
}

/// Writes the 503 to a fresh connection (its send buffer is empty, so this
/// does not block) and shuts down its write side.
fn answer_unavailable(stream: &TcpStream) -> io::Result<()> {
    stream.set_nonblocking(true)?;
    let mut writer = stream;
    writer.write_all(UNAVAILABLE)?;
    stream.shutdown(Shutdown::Write)
}

/// Reads what a refused peer sent so far; `true` once it closed (or failed).
fn drained_to_eof(stream: &TcpStream) -> bool {
    let mut sink = [0u8; 4096];
    let mut reader = stream;
    loop {
        match reader.read(&mut sink) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return true,
        }
    }
}

/// Errors of one `accept` that say nothing about the listener.
pub(crate) fn is_transient(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
            | io::ErrorKind::TimedOut
    )
}

fn start_connection(shared: &Arc<Shared>, stream: TcpStream, peer: SocketAddr) {
    let stream = Arc::new(stream);
    let id = shared.next_conn.fetch_add(1, Ordering::SeqCst);
    shared.lock_live().insert(id, Arc::clone(&stream));
    let guard = LiveGuard {
        shared: Arc::clone(shared),
        id,
    };
    // If the thread cannot start, the closure (guard and socket) is
    // dropped: the connection is unregistered and closed.
    let _ = thread::Builder::new()
        .name(format!("h1conn-conn-{id}"))
        .spawn(move || {
            let shared = Arc::clone(&guard.shared);
            serve_connection(&shared, stream, peer, id);
            drop(guard);
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wake_address_of_unspecified_is_loopback() {
        let any: SocketAddr = "0.0.0.0:80".parse().unwrap_or_else(|_| unreachable!());
        assert_eq!(wake_addr(any).to_string(), "127.0.0.1:80");
        let any6: SocketAddr = "[::]:80".parse().unwrap_or_else(|_| unreachable!());
        assert_eq!(wake_addr(any6).to_string(), "[::1]:80");
    }

    #[test]
    fn the_refusal_is_a_framed_503_that_closes() {
        let text = String::from_utf8_lossy(UNAVAILABLE);
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or_default();
        assert!(head.starts_with("HTTP/1.1 503 "));
        assert!(head.contains("\r\nConnection: close"));
        assert!(head.contains(&format!("\r\nContent-Length: {}", body.len())));
    }
}
