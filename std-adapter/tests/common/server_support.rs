//! Helpers for the server tests: an in-process server on a loopback port,
//! and a raw-socket peer that writes bytes as given and reads responses
//! with its own small parser (independent of the engine under test).

#![allow(dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::routes::Routes;
use h1conn_std::server::{AccessRecord, Handler, Server, ServerConfig, ServerHandle};

/// How long a test waits for any single byte before failing.
pub(crate) const PATIENCE: Duration = Duration::from_secs(10);

/// A simplified copy of an access-log record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Logged {
    pub(crate) conn: u64,
    pub(crate) request: u32,
    pub(crate) target: Option<String>,
    pub(crate) status: u16,
    pub(crate) persist: bool,
}

/// A server on 127.0.0.1:0 with `handler`, recording its access log.
pub(crate) fn start_with(
    config: ServerConfig,
    handler: impl Handler,
) -> (ServerHandle, Arc<Mutex<Vec<Logged>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&log);
    let server = Server::bind("127.0.0.1:0", config, handler)
        .unwrap()
        .with_access_log(move |r: &AccessRecord<'_>| {
            sink.lock().unwrap().push(Logged {
                conn: r.conn,
                request: r.request,
                target: r.target.map(str::to_owned),
                status: r.status,
                persist: r.persist,
            });
        })
        .spawn()
        .unwrap();
    (server, log)
}

/// Which server runs a test: the blocking one (a thread per connection)
/// or the async one (tokio tasks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavour {
    Threads,
    Tasks,
}

/// A running server of either flavour.
pub(crate) enum Running {
    Threads(ServerHandle),
    Tasks(h1conn_std::asynch::server::ServerHandle),
}

impl Running {
    pub(crate) fn local_addr(&self) -> SocketAddr {
        match self {
            Self::Threads(server) => server.local_addr(),
            Self::Tasks(server) => server.local_addr(),
        }
    }

    pub(crate) fn open_connections(&self) -> usize {
        match self {
            Self::Threads(server) => server.open_connections(),
            Self::Tasks(server) => server.open_connections(),
        }
    }

    pub(crate) fn shutdown(self) {
        match self {
            Self::Threads(server) => server.shutdown(),
            Self::Tasks(server) => server.shutdown(),
        }
    }
}

/// A server of `flavour` on 127.0.0.1:0 with `handler`, recording its
/// access log.
pub(crate) fn start_in<H>(
    flavour: Flavour,
    config: ServerConfig,
    handler: H,
) -> (Running, Arc<Mutex<Vec<Logged>>>)
where
    H: Handler + h1conn_std::asynch::server::Handler,
{
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&log);
    let record = move |r: &AccessRecord<'_>| {
        sink.lock().unwrap().push(Logged {
            conn: r.conn,
            request: r.request,
            target: r.target.map(str::to_owned),
            status: r.status,
            persist: r.persist,
        });
    };
    let running = match flavour {
        Flavour::Threads => Running::Threads(
            Server::bind("127.0.0.1:0", config, handler)
                .unwrap()
                .with_access_log(record)
                .spawn()
                .unwrap(),
        ),
        Flavour::Tasks => Running::Tasks(
            h1conn_std::asynch::server::Server::bind("127.0.0.1:0", config, handler)
                .unwrap()
                .with_access_log(record)
                // Two workers, as on a small machine: a connection that
                // blocks a worker would show.
                .with_worker_threads(2)
                .spawn()
                .unwrap(),
        ),
    };
    (running, log)
}

/// The built-in routes with `config`.
pub(crate) fn start(config: ServerConfig) -> ServerHandle {
    start_with(config, Routes::builtin()).0
}

/// A config with a short keep-alive timeout, for tests.
pub(crate) fn quick(keep_alive: Duration, max_requests: u32) -> ServerConfig {
    ServerConfig {
        keep_alive_timeout: keep_alive,
        max_requests,
        close_linger: Duration::from_millis(200),
        ..ServerConfig::default()
    }
}

/// The alphabet pattern of `/bytes/N` and `/chunked/N`.
pub(crate) fn pattern(n: usize) -> Vec<u8> {
    b"abcdefghijklmnopqrstuvwxyz"
        .iter()
        .copied()
        .cycle()
        .take(n)
        .collect()
}

/// A parsed response.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub(crate) version: String,
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
    /// Sizes of the chunks when the body was chunked.
    pub(crate) chunks: Vec<usize>,
}

impl Response {
    /// The value of the first field named `name` (case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether `Connection` lists `token`.
    pub(crate) fn connection_has(&self, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("connection"))
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }

    /// The `max` of `Keep-Alive`, if announced.
    pub(crate) fn keep_alive_param(&self, param: &str) -> Option<u32> {
        let value = self.header("keep-alive")?;
        value.split(',').find_map(|p| {
            let (k, v) = p.trim().split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case(param)
                .then(|| v.trim().parse().ok())?
        })
    }
}

/// A raw client connection.
pub(crate) struct Peer {
    pub(crate) stream: TcpStream,
    buf: Vec<u8>,
}

impl Peer {
    pub(crate) fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        stream.set_nodelay(true).unwrap();
        Self {
            stream,
            buf: Vec::new(),
        }
    }

    pub(crate) fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// Reads more bytes into the buffer; false at end of stream.
    fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 16 * 1024];
        match self.stream.read(&mut chunk) {
            Ok(0) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {
                panic!(
                    "connection reset by the server (buffered: {:?})",
                    String::from_utf8_lossy(&self.buf)
                )
            }
            Err(e) => panic!(
                "read failed: {e} (buffered: {:?})",
                String::from_utf8_lossy(&self.buf)
            ),
        }
    }

    fn take_line(&mut self) -> String {
        loop {
            if let Some(at) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8(self.buf[..at].to_vec()).unwrap();
                self.buf.drain(..at + 2);
                return line;
            }
            assert!(
                self.fill(),
                "end of stream inside a line: {:?}",
                String::from_utf8_lossy(&self.buf)
            );
        }
    }

    fn take_exact(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n {
            assert!(
                self.fill(),
                "end of stream inside a body ({} of {n} bytes)",
                self.buf.len()
            );
        }
        self.buf.drain(..n).collect()
    }

    /// Reads one response head (interim ones too).
    pub(crate) fn read_head(&mut self) -> Response {
        let status_line = self.take_line();
        let mut parts = status_line.splitn(3, ' ');
        let version = parts.next().unwrap().to_owned();
        let status = parts.next().unwrap().parse().unwrap();
        let mut headers = Vec::new();
        loop {
            let line = self.take_line();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').unwrap();
            headers.push((name.to_owned(), value.trim().to_owned()));
        }
        Response {
            version,
            status,
            headers,
            body: Vec::new(),
            chunks: Vec::new(),
        }
    }

    /// Reads a final response to a request with `method`.
    pub(crate) fn read_response(&mut self, method: &str) -> Response {
        let mut response = self.read_head();
        let no_body = method == "HEAD"
            || response.status < 200
            || response.status == 204
            || response.status == 304;
        if no_body {
            return response;
        }
        let chunked = response
            .header("transfer-encoding")
            .is_some_and(|te| te.to_ascii_lowercase().ends_with("chunked"));
        if chunked {
            loop {
                let size_line = self.take_line();
                let size =
                    usize::from_str_radix(size_line.split(';').next().unwrap().trim(), 16).unwrap();
                if size == 0 {
                    while !self.take_line().is_empty() {}
                    break;
                }
                response.chunks.push(size);
                let data = self.take_exact(size);
                response.body.extend_from_slice(&data);
                assert_eq!(
                    self.take_exact(2),
                    b"\r\n",
                    "chunk data not followed by CRLF"
                );
            }
        } else if let Some(length) = response.header("content-length") {
            let length = length.parse().unwrap();
            response.body = self.take_exact(length);
        } else {
            while self.fill() {}
            response.body = std::mem::take(&mut self.buf);
        }
        response
    }

    /// Everything up to the end of stream, including what is buffered.
    pub(crate) fn rest(&mut self) -> Vec<u8> {
        while self.fill() {}
        std::mem::take(&mut self.buf)
    }

    /// Waits for the server to close: true when end of stream arrives
    /// (with nothing before it) within `limit`.
    pub(crate) fn closed_within(&mut self, limit: Duration) -> bool {
        self.stream.set_read_timeout(Some(limit)).unwrap();
        let mut byte = [0u8; 1];
        let closed = match self.stream.read(&mut byte) {
            Ok(0) => self.buf.is_empty(),
            Ok(_) => panic!("unexpected byte after the response: {:?}", byte[0] as char),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => false,
            Err(e) => panic!("read failed while waiting for the close: {e}"),
        };
        self.stream.set_read_timeout(Some(PATIENCE)).unwrap();
        closed
    }

    /// Waits for the close and returns how long it took.
    pub(crate) fn time_to_close(&mut self, started: Instant) -> Duration {
        assert!(self.closed_within(PATIENCE), "the server did not close");
        started.elapsed()
    }
}

/// A simple GET with `Host`, as HTTP/1.1.
pub(crate) fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").into_bytes()
}

impl Peer {
    /// Waits for the server to end the connection: true when end of stream
    /// or a reset arrives within `limit` (bytes before it are dropped).
    pub(crate) fn ended_within(&mut self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        let mut sink = [0u8; 4096];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            self.stream.set_read_timeout(Some(left)).unwrap();
            match self.stream.read(&mut sink) {
                Ok(0) => return true,
                Ok(_) => {}
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return false;
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return true,
            }
        }
    }

    /// A second handle on the socket, for a writer thread.
    pub(crate) fn writer(&self) -> TcpStream {
        self.stream.try_clone().unwrap()
    }
}

/// Files this process has open (Linux), to count descriptors.
#[cfg(target_os = "linux")]
pub(crate) fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}
