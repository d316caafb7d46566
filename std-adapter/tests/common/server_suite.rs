//! The server test suite, run against each flavour: `tests/server.rs`
//! (one thread per connection) and `tests/server_async.rs` (tokio tasks)
//! set `crate::FLAVOUR` and include this file. Everything goes over real
//! loopback TCP, driven by raw sockets: persistence (HTTP/1.1 and HTTP/1.0
//! keep-alive), the `max` countdown, idle and head timeouts, pipelining,
//! bodies in and out, 100-continue, malformed requests, limits, and
//! isolation between connections.

use std::fs;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use h1conn_std::asynch::server as tasks;
use h1conn_std::server::{self as threads, ServerConfig};

use crate::routes::Routes;
use crate::server_support::{Logged, Peer, Running, get, pattern, quick, start_in};

/// The built-in routes with `config`, in this suite's flavour.
fn start(config: ServerConfig) -> Running {
    start_in(crate::FLAVOUR, config, Routes::builtin()).0
}

/// `handler` with `config`, in this suite's flavour, with its access log.
fn start_with<H: threads::Handler + tasks::Handler>(
    config: ServerConfig,
    handler: H,
) -> (Running, Arc<Mutex<Vec<Logged>>>) {
    start_in(crate::FLAVOUR, config, handler)
}

/// A config for the limit tests: short deadlines, a connection cap.
fn guarded(max_connections: usize, body_timeout: Duration) -> ServerConfig {
    ServerConfig {
        max_connections,
        body_timeout,
        body_min_rate: 500,
        ..quick(Duration::from_secs(5), 100)
    }
}

#[test]
fn http11_keeps_the_connection_for_a_second_request() {
    let server = start(quick(Duration::from_secs(5), 100));
    let mut peer = Peer::connect(server.local_addr());
    peer.send(&get("/"));
    let first = peer.read_response("GET");
    assert_eq!(first.status, 200);
    assert_eq!(first.version, "HTTP/1.1");
    assert!(String::from_utf8_lossy(&first.body).starts_with("Hello from h1conn"));
    assert!(!first.connection_has("close"));
    assert_eq!(first.keep_alive_param("timeout"), Some(5));
    assert_eq!(first.keep_alive_param("max"), Some(99));

    peer.send(&get("/bytes/3"));
    let second = peer.read_response("GET");
    assert_eq!(second.status, 200);
    assert_eq!(second.body, b"abc");
    assert_eq!(second.keep_alive_param("max"), Some(98));
}

#[test]
fn client_connection_close_gets_a_complete_response_then_eof() {
    let (server, log) = start_with(quick(Duration::from_secs(5), 100), Routes::builtin());
    let mut peer = Peer::connect(server.local_addr());
    peer.send(b"GET /bytes/5000 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    let response = peer.read_response("GET");
    assert_eq!(response.status, 200);
    assert!(response.connection_has("close"));
    assert_eq!(response.header("keep-alive"), None);
    assert_eq!(response.body, pattern(5000));
    assert!(peer.closed_within(Duration::from_secs(3)));
    let log = log.lock().unwrap();
    assert_eq!(log.len(), 1);
    assert!(!log[0].persist);
}

#[test]
fn http10_keep_alive_is_echoed_with_a_countdown() {
    let server = start(quick(Duration::from_secs(7), 4));
    let mut peer = Peer::connect(server.local_addr());
    let mut maxes = Vec::new();
    for _ in 0..3 {
        peer.send(b"GET /bytes/10 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        let response = peer.read_response("GET");
        assert_eq!(response.status, 200);
        assert!(
            response.connection_has("keep-alive"),
            "{:?}",
            response.headers
        );
        assert_eq!(response.header("content-length"), Some("10"));
        assert_eq!(response.keep_alive_param("timeout"), Some(7));
        maxes.push(response.keep_alive_param("max").unwrap());
    }
    assert_eq!(maxes, [3, 2, 1]);
    // The fourth and last request: the answer says close.
    peer.send(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    let last = peer.read_response("GET");
    assert!(last.connection_has("close"));
    assert!(peer.closed_within(Duration::from_secs(3)));
}

#[test]
fn http10_without_keep_alive_closes_and_is_never_chunked() {
    let server = start(quick(Duration::from_secs(5), 100));
    let mut peer = Peer::connect(server.local_addr());
    peer.send(b"GET /chunked/5000 HTTP/1.0\r\n\r\n");
    let response = peer.read_response("GET");
    assert_eq!(response.status, 200);
    assert_eq!(response.header("transfer-encoding"), None);
    assert_eq!(response.header("content-length"), Some("5000"));
    assert_eq!(response.body, pattern(5000));
    assert!(!response.connection_has("keep-alive"));
    assert!(peer.closed_within(Duration::from_secs(3)));
}

#[test]
fn max_requests_counts_down_to_close_then_eof() {
    let (server, log) = start_with(quick(Duration::from_secs(5), 3), Routes::builtin());
    let mut peer = Peer::connect(server.local_addr());
    let mut seen = Vec::new();
    for _ in 0..3 {
        peer.send(&get("/"));
        let response = peer.read_response("GET");
        assert_eq!(response.status, 200);
        seen.push((
            response.keep_alive_param("max"),
            response.connection_has("close"),
        ));
    }
    assert_eq!(seen, [(Some(2), false), (Some(1), false), (None, true)]);
    assert!(peer.closed_within(Duration::from_secs(3)));
    let persist: Vec<_> = log
        .lock()
        .unwrap()
        .iter()
        .map(|r| (r.conn, r.request, r.persist))
        .collect();
    assert_eq!(persist, [(1, 1, true), (1, 2, true), (1, 3, false)]);
}

#[test]
fn idle_connection_is_closed_after_the_keep_alive_timeout() {
    let server = start(quick(Duration::from_secs(1), 100));
    let mut peer = Peer::connect(server.local_addr());
    peer.send(&get("/"));
    let response = peer.read_response("GET");
    assert_eq!(response.keep_alive_param("timeout"), Some(1));
    let idle_from = Instant::now();
    let waited = peer.time_to_close(idle_from);
    assert!(
        waited >= Duration::from_millis(800),
        "closed too early: {waited:?}"
    );
    assert!(
        waited < Duration::from_secs(3),
        "closed too late: {waited:?}"
    );
}

#[test]
fn partial_head_then_silence_is_disconnected_without_disturbing_others() {
    let server = start(quick(Duration::from_secs(1), 100));
    let mut slow = Peer::connect(server.local_addr());
    let started = Instant::now();
    slow.send(b"GET / HTTP/1.1\r\nHost: slow\r\n");

    // Meanwhile another client is served at once.
    let mut other = Peer::connect(server.local_addr());
    other.send(&get("/bytes/7"));
    assert_eq!(other.read_response("GET").body, b"abcdefg");
    assert!(started.elapsed() < Duration::from_millis(800));

    let response = slow.read_response("GET");
    assert_eq!(response.status, 408);
    assert!(response.connection_has("close"));
    let waited = slow.time_to_close(started);
    assert!(
        waited >= Duration::from_millis(800),
        "closed too early: {waited:?}"
    );
    assert!(
        waited < Duration::from_secs(4),
        "closed too late: {waited:?}"
    );

    // `other` idled past the timeout meanwhile; the server still serves.
    assert!(other.closed_within(Duration::from_secs(1)));
    let mut fresh = Peer::connect(server.local_addr());
    fresh.send(&get("/"));
    assert_eq!(fresh.read_response("GET").status, 200);
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let server = start(quick(Duration::from_secs(5), 100));
    let mut peer = Peer::connect(server.local_addr());
    let mut both = get("/bytes/4");
    both.extend_from_slice(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nxyz");
    both.extend_from_slice(&get("/status/204"));
    peer.send(&both);
    let first = peer.read_response("GET");
    assert_eq!(first.body, b"abcd");
    let second = peer.read_response("POST");
    assert!(second.body.starts_with(b"POST /echo HTTP/1.1\r\n"));
    assert!(second.body.ends_with(b"\r\n\r\nxyz"));
    let third = peer.read_response("GET");
    assert_eq!(third.status, 204);
}

#[test]
fn chunked_request_body_is_echoed() {
    let server = start(quick(Duration::from_secs(5), 100));
    let mut peer = Peer::connect(server.local_addr());
    peer.send(
        b"POST /echo?x=1 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nX-Test:  spaced \r\n\r\n\
          5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer-Field: t\r\n\r\n",
    );
    let response = peer.read_response("POST");
    assert_eq!(response.status, 200);
    let expected = b"POST /echo?x=1 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nX-Test: spaced\r\n\r\nhello world";
    assert_eq!(
        String::from_utf8_lossy(&response.body),
        String::from_utf8_lossy(expected)
    );
    // The connection is still in step.
    peer.send(&get("/bytes/2"));
    assert_eq!(peer.read_response("GET").body, b"ab");
}

#[test]
fn chunked_response_decodes_to_the_pattern() {
    let server = start(quick(Duration::from_secs(5), 100));
    let mut peer = Peer::connect(server.local_addr());
    peer.send(&get("/chunked/10000"));
    let response = peer.read_response("GET");
    assert_eq!(response.status, 200);
    assert_eq!(response.header("transfer-encoding"), Some("chunked"));
    assert_eq!(response.header("content-length"), None);
    assert_eq!(response.chunks, [4096, 4096, 1808]);
    assert_eq!(response.body, pattern(10000));
    peer.send(&get("/chunked/0"));
    let empty = peer.read_response("GET");
    assert!(empty.body.is_empty() && empty.chunks.is_empty());
}

#[test]
fn head_gets_the_head_only() {
    let server = start(quick(Duration::from_secs(5), 100));
    let mut peer = Peer::connect(server.local_addr());
    peer.send(b"HEAD /bytes/100 HTTP/1.1\r\nHost: t\r\n\r\n");
    let head = peer.read_response("HEAD");
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("100"));
    peer.send(b"HEAD /chunked/100 HTTP/1.1\r\nHost: t\r\n\r\n");
    let head = peer.read_response("HEAD");
    assert_eq!(head.header("transfer-encoding"), Some("chunked"));
    // Had any body byte been sent, this would read it as a status line.
    peer.send(&get("/bytes/1"));
    let next = peer.read_response("GET");
    assert_eq!((next.status, next.body.as_slice()), (200, &b"a"[..]));
}

#[test]
fn statuses_204_and_304_have_no_body() {
    let server = start(quick(Duration::from_secs(5), 100));
    let mut peer = Peer::connect(server.local_addr());
    for status in [204, 304] {
        peer.send(&get(&format!("/status/{status}")));
        let response = peer.read_response("GET");
        assert_eq!(response.status, status);
        assert_eq!(response.header("content-length"), None);
        assert_eq!(response.header("transfer-encoding"), None);
    }
    peer.send(&get("/status/418"));
    let teapot = peer.read_response("GET");
    assert_eq!(
        (teapot.status, teapot.header("content-length")),
        (418, Some("0"))
    );
    peer.send(&get("/nowhere"));
    assert_eq!(peer.read_response("GET").status, 404);
    peer.send(&get("/status/101"));
    assert_eq!(peer.read_response("GET").status, 404);
}

#[test]
fn expect_100_continue_is_answered_before_the_body_is_read() {
    let server = start(quick(Duration::from_secs(5), 100));
    let mut peer = Peer::connect(server.local_addr());
    peer.send(
        b"POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
    );
    // Nothing of the body was sent: the server must speak first.
    let interim = peer.read_head();
    assert_eq!(interim.status, 100);
    peer.send(b"hello");
    let response = peer.read_response("POST");
    assert_eq!(response.status, 200);
    assert!(response.body.ends_with(b"\r\n\r\nhello"));
    assert!(!response.connection_has("close"));

    // A route that does not read the body answers at once, without 100,
    // and closes (the client never sent the body it held back).
    peer.send(b"POST / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
    let response = peer.read_response("POST");
    assert_eq!(response.status, 200);
    assert!(response.connection_has("close"));
    assert!(peer.closed_within(Duration::from_secs(3)));
}

#[test]
fn malformed_requests_get_their_status_and_a_graceful_close() {
    let (server, log) = start_with(quick(Duration::from_secs(5), 100), Routes::builtin());
    // A well-behaved client keeps working throughout.
    let mut good = Peer::connect(server.local_addr());
    let huge_header = format!(
        "GET / HTTP/1.1\r\nHost: t\r\nX-Big: {}\r\n\r\n",
        "b".repeat(9000)
    );
    let long_line = format!("GET /{} HTTP/1.1\r\nHost: t\r\n\r\n", "a".repeat(9000));
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("obs-fold", b"GET / HTTP/1.1\r\nHost: t\r\nX-A: 1\r\n  folded\r\n\r\n".to_vec(), 400),
        ("space before colon", b"GET / HTTP/1.1\r\nHost : t\r\n\r\n".to_vec(), 400),
        ("NUL in a value", b"GET / HTTP/1.1\r\nHost: t\r\nX-A: a\0b\r\n\r\n".to_vec(), 400),
        (
            "Content-Length with Transfer-Encoding",
            b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".to_vec(),
            400,
        ),
        (
            "invalid chunk size",
            b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n".to_vec(),
            400,
        ),
        (
            "unknown transfer coding",
            b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: zstd, chunked\r\n\r\n0\r\n\r\n".to_vec(),
            501,
        ),
        (
            "transfer coding list not ending in chunked",
            b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n".to_vec(),
            400,
        ),
        ("HTTP/2.0 request line", b"GET / HTTP/2.0\r\nHost: t\r\n\r\n".to_vec(), 505),
        ("bare LF", b"GET / HTTP/1.1\nHost: t\n\n".to_vec(), 400),
        ("missing Host", b"GET / HTTP/1.1\r\n\r\n".to_vec(), 400),
        ("huge header", huge_header.into_bytes(), 431),
        ("long request line", long_line.into_bytes(), 414),
    ];
    for (what, bytes, status) in &cases {
        let mut bad = Peer::connect(server.local_addr());
        bad.send(bytes);
        let response = bad.read_response("GET");
        assert_eq!(response.status, *status, "{what}");
        assert!(
            response.connection_has("close"),
            "{what}: {:?}",
            response.headers
        );
        assert!(
            bad.closed_within(Duration::from_secs(3)),
            "{what}: not closed"
        );

        good.send(&get("/bytes/3"));
        assert_eq!(good.read_response("GET").body, b"abc", "after {what}");
    }
    let log = log.lock().unwrap();
    let errors: Vec<u16> = log
        .iter()
        .filter(|r| r.status >= 400)
        .map(|r| r.status)
        .collect();
    let expected: Vec<u16> = cases.iter().map(|c| c.2).collect();
    assert_eq!(errors, expected);
    assert!(log.iter().filter(|r| r.status >= 400).all(|r| !r.persist));
    assert!(log.iter().filter(|r| r.conn == 1).all(|r| r.persist));
}

#[test]
fn concurrent_connections_are_served_independently() {
    let server = start(quick(Duration::from_secs(5), 0));
    let addr = server.local_addr();
    let workers: Vec<_> = (0..8)
        .map(|i| {
            thread::spawn(move || {
                let mut peer = Peer::connect(addr);
                for k in 0..50 {
                    let n = i * 100 + k;
                    peer.send(&get(&format!("/bytes/{n}")));
                    let response = peer.read_response("GET");
                    assert_eq!(response.body, pattern(n));
                    // No limit: no `max` announced.
                    assert_eq!(response.keep_alive_param("max"), None);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
}

#[test]
fn files_under_root_are_served_and_nothing_outside() {
    let base = std::env::temp_dir().join(format!("h1conn-server-test-{}", std::process::id()));
    let root = base.join("www");
    fs::create_dir_all(root.join("sub")).unwrap();
    fs::write(root.join("hello.txt"), b"hello file\n").unwrap();
    fs::write(root.join("sub/index.html"), b"<p>index</p>").unwrap();
    fs::write(base.join("secret.txt"), b"secret").unwrap();

    let routes = Routes::files(&root).unwrap();
    let (server, _log) = start_with(quick(Duration::from_secs(5), 100), routes);
    let mut peer = Peer::connect(server.local_addr());

    peer.send(&get("/hello.txt"));
    let file = peer.read_response("GET");
    assert_eq!(
        (file.status, file.body.as_slice()),
        (200, &b"hello file\n"[..])
    );
    assert_eq!(
        file.header("content-type"),
        Some("text/plain; charset=utf-8")
    );

    peer.send(b"HEAD /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    let head = peer.read_response("HEAD");
    assert_eq!(head.header("content-length"), Some("11"));

    peer.send(&get("/sub/"));
    assert_eq!(peer.read_response("GET").body, b"<p>index</p>");

    for target in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/sub/../../secret.txt",
        "/missing",
        "/echo",
    ] {
        peer.send(&get(target));
        let response = peer.read_response("GET");
        assert_eq!(response.status, 404, "{target}");
        assert!(!String::from_utf8_lossy(&response.body).contains("secret"));
    }

    peer.send(b"POST /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\nx");
    let refused = peer.read_response("POST");
    assert_eq!(refused.status, 405);
    assert_eq!(refused.header("allow"), Some("GET, HEAD"));

    drop(server);
    fs::remove_dir_all(&base).unwrap();
}

/// Fails in each way a handler can, by path.
struct Failing;

impl threads::Handler for Failing {
    fn handle(&self, request: &mut threads::Request<'_>) -> io::Result<()> {
        match request.path() {
            "/panic" => panic!("handler panicked on purpose"),
            "/fail" => Err(io::Error::other("handler failed on purpose")),
            "/silent" => Ok(()),
            // The engine refuses the head; nothing went out, so a 500 can.
            "/bad-header" => request.respond(200, &[("Bad Name", "x")], b"never"),
            "/half" => {
                let mut body = request.start_response(200, &[], Some(10))?;
                body.write_all(b"12345")?;
                Err(io::Error::other("gave up halfway"))
            }
            _ => request.respond(200, &[], b"fine"),
        }
    }
}

impl tasks::Handler for Failing {
    async fn handle(&self, request: &mut tasks::Request<'_>) -> io::Result<()> {
        match request.path() {
            "/panic" => panic!("handler panicked on purpose"),
            "/fail" => Err(io::Error::other("handler failed on purpose")),
            "/silent" => Ok(()),
            "/bad-header" => request.respond(200, &[("Bad Name", "x")], b"never").await,
            "/half" => {
                let mut body = request.start_response(200, &[], Some(10)).await?;
                body.write_all(b"12345").await?;
                Err(io::Error::other("gave up halfway"))
            }
            _ => request.respond(200, &[], b"fine").await,
        }
    }
}

#[test]
fn handler_failures_answer_500_and_the_server_goes_on() {
    let handler = Failing;
    let (server, _log) = start_with(quick(Duration::from_secs(5), 100), handler);
    let mut peer = Peer::connect(server.local_addr());
    for path in ["/panic", "/fail", "/silent", "/bad-header"] {
        peer.send(&get(path));
        assert_eq!(peer.read_response("GET").status, 500, "{path}");
        peer.send(&get("/"));
        assert_eq!(peer.read_response("GET").body, b"fine");
    }
    // Halfway through a body there is no way to say "error" but closing.
    peer.send(&get("/half"));
    let head = peer.read_head();
    assert_eq!(head.header("content-length"), Some("10"));
    assert_eq!(peer.rest(), b"12345");
}

/// Reads the body in 7-byte pieces, counting them, then streams "one two
/// three" in three writes with the total in `X-Total`.
struct Streaming(Arc<AtomicUsize>);

impl threads::Handler for Streaming {
    fn handle(&self, request: &mut threads::Request<'_>) -> io::Result<()> {
        let mut total = 0;
        let mut piece = [0u8; 7];
        loop {
            let n = request.read(&mut piece)?;
            if n == 0 {
                break;
            }
            self.0.fetch_add(1, Ordering::SeqCst);
            total += n;
        }
        let mut body = request.start_response(201, &[("X-Total", &total.to_string())], None)?;
        for word in ["one ", "two ", "three"] {
            body.write_all(word.as_bytes())?;
        }
        body.finish()
    }
}

impl tasks::Handler for Streaming {
    async fn handle(&self, request: &mut tasks::Request<'_>) -> io::Result<()> {
        let mut total = 0;
        let mut piece = [0u8; 7];
        loop {
            let n = request.read(&mut piece).await?;
            if n == 0 {
                break;
            }
            self.0.fetch_add(1, Ordering::SeqCst);
            total += n;
        }
        let total = total.to_string();
        let mut body = request
            .start_response(201, &[("X-Total", &total)], None)
            .await?;
        for word in ["one ", "two ", "three"] {
            body.write_all(word.as_bytes()).await?;
        }
        body.finish().await
    }
}

#[test]
fn streamed_bodies_from_a_custom_handler() {
    let reads = Arc::new(AtomicUsize::new(0));
    let handler = Streaming(Arc::clone(&reads));
    let (server, _log) = start_with(quick(Duration::from_secs(5), 100), handler);
    let mut peer = Peer::connect(server.local_addr());
    peer.send(b"PUT /x HTTP/1.1\r\nHost: t\r\nContent-Length: 20\r\n\r\n01234567890123456789");
    let response = peer.read_response("PUT");
    assert_eq!(response.status, 201);
    assert_eq!(response.header("x-total"), Some("20"));
    assert_eq!(response.chunks, [4, 4, 5]);
    assert_eq!(response.body, b"one two three");
    assert_eq!(reads.load(Ordering::SeqCst), 3);

    // HTTP/1.0 cannot read chunks: the streamed body ends with the connection.
    peer.send(b"PUT /x HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nz");
    let response = peer.read_response("PUT");
    assert_eq!(response.header("transfer-encoding"), None);
    assert!(response.connection_has("close"));
    assert_eq!(response.body, b"one two three");
}

#[test]
fn shutdown_closes_idle_connections_and_stops_accepting() {
    let server = start(ServerConfig::default());
    let addr = server.local_addr();
    let mut peer = Peer::connect(addr);
    peer.send(&get("/"));
    assert_eq!(peer.read_response("GET").status, 200);
    assert_eq!(server.open_connections(), 1);
    let started = Instant::now();
    server.shutdown();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(peer.closed_within(Duration::from_secs(1)));
    // Nobody accepts any more.
    let refused = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1));
    assert!(refused.is_err(), "still accepting after shutdown");
}

// ----- bounded resources (issue 12) -----

/// Opens a connection that sends a head announcing `Content-Length:
/// 100000`, then drips one body byte every 100 ms from a thread.
fn slow_body(addr: std::net::SocketAddr, path: &str) -> Peer {
    let peer = Peer::connect(addr);
    let mut writer = peer.writer();
    let head = format!("POST {path} HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n");
    writer.write_all(head.as_bytes()).unwrap();
    thread::spawn(move || {
        while writer.write_all(b"x").is_ok() {
            thread::sleep(Duration::from_millis(100));
        }
    });
    peer
}

/// Waits until the server serves `n` connections (at most 5 s).
fn wait_open(server: &Running, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.open_connections() != n {
        assert!(
            Instant::now() < deadline,
            "{} open, not {n}",
            server.open_connections()
        );
        thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn slow_bodies_at_the_cap_neither_starve_new_clients_nor_outlive_their_deadline() {
    let body_timeout = Duration::from_millis(1500);
    let server = start(guarded(8, body_timeout));
    let started = Instant::now();
    let mut slow: Vec<Peer> = (0..8)
        .map(|i| slow_body(server.local_addr(), if i % 2 == 0 { "/echo" } else { "/" }))
        .collect();
    wait_open(&server, 8);

    // A new client is answered at once, not parked in the backlog.
    let asked = Instant::now();
    let mut newcomer = Peer::connect(server.local_addr());
    newcomer.send(&get("/"));
    let response = newcomer.read_response("GET");
    assert!(
        asked.elapsed() < Duration::from_secs(1),
        "{:?}",
        asked.elapsed()
    );
    assert_eq!(response.status, 503);
    assert!(response.connection_has("close"));
    assert!(newcomer.ended_within(Duration::from_secs(2)));

    // Each slow body is cut off by its deadline: `/echo` (which reads the
    // body) gets 408; `/` answered at once, then its body is dropped.
    for (i, peer) in slow.iter_mut().enumerate() {
        let response = peer.read_response("POST");
        if i % 2 == 0 {
            assert_eq!(response.status, 408, "peer {i}");
            assert!(response.connection_has("close"));
        } else {
            assert_eq!(response.status, 200, "peer {i}");
        }
        assert!(
            peer.ended_within(Duration::from_secs(3)),
            "peer {i} still open"
        );
    }
    let took = started.elapsed();
    assert!(took >= body_timeout, "cut off early: {took:?}");
    assert!(
        took < body_timeout + Duration::from_secs(2),
        "cut off late: {took:?}"
    );

    // With the slots free again, new clients are served.
    wait_open(&server, 0);
    let mut later = Peer::connect(server.local_addr());
    later.send(&get("/"));
    assert_eq!(later.read_response("GET").status, 200);
}

#[test]
fn a_body_that_keeps_its_minimum_rate_is_not_cut_off() {
    // 1 s base, 1 s more per 100 bytes: 50 bytes every 100 ms keeps ahead.
    let config = ServerConfig {
        body_timeout: Duration::from_secs(1),
        body_min_rate: 100,
        ..quick(Duration::from_secs(5), 100)
    };
    let server = start(config);
    let mut peer = Peer::connect(server.local_addr());
    peer.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1500\r\n\r\n");
    for _ in 0..30 {
        peer.send(&[b'y'; 50]);
        thread::sleep(Duration::from_millis(100));
    }
    let response = peer.read_response("POST");
    assert_eq!(response.status, 200);
    assert!(response.body.ends_with(&[b'y'; 1500]));
}

#[test]
fn connections_above_the_cap_get_503_at_once() {
    let server = start(guarded(2, Duration::from_secs(5)));
    let _held: Vec<Peer> = (0..2).map(|_| Peer::connect(server.local_addr())).collect();
    wait_open(&server, 2);
    for _ in 0..3 {
        let asked = Instant::now();
        let mut extra = Peer::connect(server.local_addr());
        extra.send(&get("/"));
        let response = extra.read_response("GET");
        assert_eq!(response.status, 503);
        assert!(response.connection_has("close"));
        assert_eq!(response.body, b"too many connections");
        assert!(extra.ended_within(Duration::from_secs(2)));
        assert!(asked.elapsed() < Duration::from_secs(1));
    }
    assert_eq!(server.open_connections(), 2);
}

#[test]
fn chunk_extension_and_leading_zero_floods_are_refused_early() {
    let server = start(quick(Duration::from_secs(5), 100));
    for (line_start, fill) in [(&b"1;"[..], b'a'), (b"0", b'0')] {
        let mut peer = Peer::connect(server.local_addr());
        peer.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
        peer.send(line_start);
        let mut writer = peer.writer();
        // 256 MiB of it, which the server must not read to the end: the
        // writer stops when the server's close resets the connection.
        let flood = thread::spawn(move || {
            let piece = vec![fill; 64 * 1024];
            let mut sent = 0usize;
            while sent < 256 << 20 && writer.write_all(&piece).is_ok() {
                sent += piece.len();
            }
            sent
        });
        let response = peer.read_response("POST");
        assert_eq!(response.status, 400);
        assert!(response.connection_has("close"));
        assert!(peer.ended_within(Duration::from_secs(3)));
        drop(peer);
        assert!(
            flood.join().unwrap() < 256 << 20,
            "the whole flood was read"
        );
    }
}

#[test]
fn invalid_host_values_get_400() {
    let server = start(quick(Duration::from_secs(5), 100));
    for host in ["a b", "a/b", "user@evil", "[::1", "a:8o"] {
        let mut peer = Peer::connect(server.local_addr());
        peer.send(format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes());
        let response = peer.read_response("GET");
        assert_eq!(response.status, 400, "Host: {host}");
        assert!(response.connection_has("close"));
        assert!(peer.ended_within(Duration::from_secs(3)));
    }
    let mut peer = Peer::connect(server.local_addr());
    peer.send(b"GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n");
    assert_eq!(peer.read_response("GET").status, 200);
}

#[test]
fn unused_chunked_bodies_are_discarded_and_the_connection_kept() {
    let server = start(quick(Duration::from_secs(5), 100));
    let mut peer = Peer::connect(server.local_addr());
    peer.send(
        b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n\
          5;ext=\"v\"\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n",
    );
    let first = peer.read_response("POST");
    assert_eq!(first.status, 200);
    assert!(!first.connection_has("close"));
    peer.send(&get("/bytes/3"));
    let second = peer.read_response("GET");
    assert_eq!(second.status, 200);
    assert_eq!(second.body, b"abc");
}

#[test]
fn unused_bodies_past_the_discard_limit_close_the_connection() {
    let config = ServerConfig {
        max_discard_body: 1000,
        ..quick(Duration::from_secs(5), 100)
    };
    let server = start(config);
    // Announced too long: the response says close.
    let mut peer = Peer::connect(server.local_addr());
    peer.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n");
    let response = peer.read_response("POST");
    assert_eq!(response.status, 200);
    assert!(response.connection_has("close"));
    assert!(peer.ended_within(Duration::from_secs(3)));
    // Chunked and growing past it: answered, then closed.
    let mut peer = Peer::connect(server.local_addr());
    let mut request = b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..4 {
        request.extend_from_slice(b"400\r\n");
        request.extend_from_slice(&[b'z'; 0x400]);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    peer.send(&request);
    assert_eq!(peer.read_response("POST").status, 200);
    assert!(peer.ended_within(Duration::from_secs(3)));
    // Within it: kept.
    let mut peer = Peer::connect(server.local_addr());
    peer.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 900\r\n\r\n");
    peer.send(&[b'q'; 900]);
    assert!(!peer.read_response("POST").connection_has("close"));
    peer.send(&get("/bytes/2"));
    assert_eq!(peer.read_response("GET").body, b"ab");
}

#[test]
fn keep_alive_timeout_zero_means_every_response_closes() {
    let server = start(quick(Duration::ZERO, 100));
    let mut peer = Peer::connect(server.local_addr());
    thread::sleep(Duration::from_millis(50));
    peer.send(&get("/"));
    let response = peer.read_response("GET");
    assert_eq!(response.status, 200);
    assert!(response.connection_has("close"));
    assert_eq!(response.header("keep-alive"), None);
    assert!(peer.closed_within(Duration::from_secs(3)));
}

#[test]
fn a_slow_reader_cannot_hold_a_response_past_the_write_deadline() {
    let config = ServerConfig {
        write_timeout: Duration::from_secs(1),
        ..quick(Duration::from_secs(5), 100)
    };
    let server = start(config);
    let mut peer = Peer::connect(server.local_addr());
    peer.send(&get("/bytes/200000000"));
    wait_open(&server, 1);
    let started = Instant::now();
    // Read a little now and then: each read makes room for one more
    // write, so a per-call write timeout would never fire.
    let mut reader = peer.writer();
    let dripping = thread::spawn(move || {
        let mut piece = [0u8; 512];
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until && matches!(reader.read(&mut piece), Ok(1..)) {
            thread::sleep(Duration::from_millis(20));
        }
    });
    // The server gives up on the response (and frees the thread) after
    // its write deadline, while the peer is still reading.
    wait_open(&server, 0);
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(3),
        "connection held for {took:?}"
    );
    assert!(!dripping.is_finished(), "the peer stopped reading first");
    peer.stream.shutdown(std::net::Shutdown::Both).unwrap();
    dripping.join().unwrap();
}

#[cfg(target_os = "linux")]
#[test]
fn one_file_descriptor_per_connection() {
    let server = start(quick(Duration::from_secs(5), 100));
    let before = crate::server_support::open_fds();
    let peers: Vec<Peer> = (0..64)
        .map(|_| Peer::connect(server.local_addr()))
        .collect();
    wait_open(&server, 64);
    let added = crate::server_support::open_fds().saturating_sub(before);
    // 64 client sockets + 64 server sockets; other tests running at the
    // same time may add a few. Three per connection would be 256.
    assert!(
        added <= 2 * 64 + 40,
        "{added} descriptors for 64 connections"
    );
    drop(peers);
}

#[test]
fn serve_refuses_nonsense_options_with_exit_status_2() {
    for args in [
        &["--max-connections", "0"][..],
        &["--body-timeout", "0"],
        &["--body-min-rate", "0"],
        &["--keep-alive-timeout", "9999999"],
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_h1conn"))
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.starts_with("h1conn: error: invalid options: "),
            "{stderr}"
        );
        assert!(output.stdout.is_empty(), "{args:?} listened anyway");
    }
}
