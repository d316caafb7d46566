//! The keep-alive server over real loopback TCP, driven by raw sockets:
//! persistence (HTTP/1.1 and HTTP/1.0 keep-alive), the `max` countdown,
//! idle and head timeouts, pipelining, bodies in and out, 100-continue,
//! malformed requests, and isolation between connections.

#[path = "common/server_support.rs"]
mod server_support;

use std::fs;
use std::io::{self, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

// The built-in routes of `h1conn serve` belong to the binary, not to the
// library's API; the tests compile the same file (it names `crate::server`).
#[allow(dead_code, unreachable_pub)]
#[path = "../src/routes.rs"]
mod routes;
use h1conn_std::server;
use h1conn_std::server::{Request, ServerConfig};
use routes::Routes;
use server_support::{Peer, get, pattern, quick, start, start_with};

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

#[test]
fn handler_failures_answer_500_and_the_server_goes_on() {
    let handler = |request: &mut Request<'_>| -> io::Result<()> {
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
    };
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

#[test]
fn streamed_bodies_from_a_custom_handler() {
    let reads = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&reads);
    let handler = move |request: &mut Request<'_>| -> io::Result<()> {
        // Read the body through `Read` in small pieces, counting them.
        let mut total = 0;
        let mut piece = [0u8; 7];
        loop {
            let n = request.read(&mut piece)?;
            if n == 0 {
                break;
            }
            counter.fetch_add(1, Ordering::SeqCst);
            total += n;
        }
        let mut body = request.start_response(201, &[("X-Total", &total.to_string())], None)?;
        for word in ["one ", "two ", "three"] {
            body.write_all(word.as_bytes())?;
        }
        body.finish()
    };
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
