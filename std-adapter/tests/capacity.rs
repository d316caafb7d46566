//! What the async `h1conn serve` holds, measured on the real binary over
//! loopback: 10,000 idle keep-alive connections at once (with the server's
//! resident memory), and a new client's `GET /` answered quickly while
//! 1,000 connections dribble request bodies.
//!
//! The test raises its own open-file limit (and the server inherits it):
//! each end of 10,000 connections needs 10,000 descriptors. The figures go
//! to stderr.
//!
//! Both tests measure the server's speed, so they run on the release build
//! only (a debug build of tokio and the engine is many times slower):
//!
//! ```text
//! cargo test --release -p h1conn-std --test capacity -- --ignored --nocapture
//! ```

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Idle keep-alive connections held at once.
const IDLE: usize = 10_000;
/// Connections dribbling a request body while a new client is served.
const DRIBBLING: usize = 1_000;
/// The longest a new client's `GET /` may take while the server is busy.
const PROMPT: Duration = Duration::from_millis(100);

/// The server process, killed (by its own PID) and reaped when dropped.
struct ServerProcess {
    child: Child,
    addr: SocketAddr,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServerProcess {
    /// `h1conn serve` on a free loopback port, with room for `connections`.
    fn start(connections: usize) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_h1conn"))
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--keep-alive-timeout",
                "120",
            ])
            .args(["--max-connections", &connections.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("h1conn serve starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut first = String::new();
        BufReader::new(stdout)
            .read_line(&mut first)
            .expect("the first line");
        let addr = first
            .trim()
            .strip_prefix("listening on http://")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"));
        Self { child, addr }
    }

    /// The server's resident memory, in KiB (VmRSS).
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc status of the server");
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc status")
    }
}

/// Raises this process's open-file limit to `wanted`, as far as the hard
/// limit allows (the server, a child, inherits it), and fails clearly when
/// that is not enough.
fn raise_file_limit(wanted: u64) {
    let (soft, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).expect("getrlimit");
    if soft >= wanted {
        return;
    }
    // Root may raise the hard limit too; elsewhere, go as far as it allows.
    if rlimit::setrlimit(rlimit::Resource::NOFILE, wanted, wanted.max(hard)).is_ok() {
        return;
    }
    assert!(
        hard >= wanted,
        "this test needs {wanted} open files per process; the hard limit is {hard}"
    );
    rlimit::setrlimit(rlimit::Resource::NOFILE, wanted, hard).expect("raise the open-file limit");
}

/// Reads one whole response to `GET /` (its length is in the head) and
/// returns its head.
fn read_response(socket: &mut TcpStream) -> String {
    let mut data = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        let n = socket.read(&mut buf).expect("read a response");
        assert!(n > 0, "the server closed before responding");
        data.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&data);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length: "))
                .and_then(|v| v.parse().ok())
                .expect("Content-Length");
            if body.len() >= length {
                return head.to_owned();
            }
        }
    }
}

const GET_ROOT: &[u8] = b"GET / HTTP/1.1\r\nHost: capacity\r\n\r\n";

/// How long a fresh connection's `GET /` takes, connect included.
fn timed_get(addr: SocketAddr) -> Duration {
    let started = Instant::now();
    let mut socket = TcpStream::connect(addr).expect("connect");
    socket.write_all(GET_ROOT).expect("send");
    let head = read_response(&mut socket);
    let took = started.elapsed();
    assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
    took
}

#[test]
#[ignore = "a measurement: run on the release build with --ignored (see the module docs)"]
fn ten_thousand_idle_keep_alive_connections_are_held_at_once() {
    // Each side holds one descriptor per connection, plus a few.
    raise_file_limit(IDLE as u64 + 512);
    let server = ServerProcess::start(2 * IDLE);
    let before = server.rss_kib();
    let mut held = Vec::with_capacity(IDLE);
    for i in 0..IDLE {
        let mut socket = TcpStream::connect(server.addr)
            .unwrap_or_else(|e| panic!("connection {i} of {IDLE}: {e}"));
        socket.write_all(GET_ROOT).expect("send");
        let head = read_response(&mut socket);
        assert!(head.contains("Keep-Alive: timeout=120"), "{head}");
        held.push(socket);
    }
    thread::sleep(Duration::from_millis(500));
    let rss = server.rss_kib();

    // Every connection is still open: nothing to read, no end of stream.
    for (i, socket) in held.iter().enumerate() {
        socket.set_nonblocking(true).expect("nonblocking");
        let mut byte = [0u8; 1];
        match socket.peek(&mut byte) {
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            other => panic!("connection {i} is not idle and open: {other:?}"),
        }
    }
    // And each can carry its next request.
    for socket in held.iter_mut().step_by(97) {
        socket.set_nonblocking(false).expect("blocking");
        socket.write_all(GET_ROOT).expect("send");
        assert!(read_response(socket).starts_with("HTTP/1.1 200 "));
    }
    let fresh = timed_get(server.addr);
    eprintln!(
        "{IDLE} idle keep-alive connections: server RSS {} KiB before, {rss} KiB with them \
         ({:.1} KiB per connection); a new GET / took {fresh:?}",
        before,
        (rss.saturating_sub(before)) as f64 / IDLE as f64,
    );
    assert!(fresh < Duration::from_secs(1), "a new GET / took {fresh:?}");
}

#[test]
#[ignore = "a measurement: run on the release build with --ignored (see the module docs)"]
fn a_new_client_is_answered_promptly_while_a_thousand_bodies_dribble() {
    raise_file_limit(DRIBBLING as u64 + 512);
    let server = ServerProcess::start(2 * DRIBBLING);
    let mut dribbling: Vec<TcpStream> = (0..DRIBBLING)
        .map(|_| {
            let mut socket = TcpStream::connect(server.addr).expect("connect");
            socket
                .write_all(
                    b"POST /echo HTTP/1.1\r\nHost: capacity\r\nContent-Length: 100000\r\n\r\n",
                )
                .expect("send the head");
            socket
        })
        .collect();
    // One byte on every connection every 200 ms: slow, but above the
    // minimum rate, so none of them is cut off during the test.
    let mut samples = Vec::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(4) {
        for socket in &mut dribbling {
            socket
                .write_all(b"x")
                .expect("a dribbling connection stays open");
        }
        samples.push(timed_get(server.addr));
        thread::sleep(Duration::from_millis(200));
    }
    samples.sort();
    let worst = samples.last().copied().unwrap_or_default();
    let median = samples.get(samples.len() / 2).copied().unwrap_or_default();
    eprintln!(
        "{DRIBBLING} connections dribbling bodies: a new GET / took {median:?} (median of {}), \
         {worst:?} at worst; server RSS {} KiB",
        samples.len(),
        server.rss_kib(),
    );
    assert!(
        worst < PROMPT,
        "a new GET / took {worst:?} (all: {samples:?})"
    );
}
