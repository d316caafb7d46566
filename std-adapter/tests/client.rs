//! The pooled client against our server over real loopback TCP, plus a few
//! scripted raw-socket peers for what a well-behaved server never does
//! (closing a reused connection silently, malformed responses, silence).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use h1conn::policy::CloseReason;
use h1conn_std::client::{Client, ClientConfig, Error, Request};
// The built-in routes of `h1conn serve` belong to the binary, not to the
// library's API; the tests compile the same file (it names `crate::server`).
#[allow(dead_code, unreachable_pub)]
#[path = "../src/routes.rs"]
mod routes;
use h1conn_std::server;
use h1conn_std::server::{Server, ServerConfig, ServerHandle};
use routes::Routes;

fn server(keep_alive: Duration, max_requests: u32) -> ServerHandle {
    let config = ServerConfig {
        keep_alive_timeout: keep_alive,
        max_requests,
        ..ServerConfig::default()
    };
    Server::bind("127.0.0.1:0", config, Routes::builtin())
        .unwrap()
        .spawn()
        .unwrap()
}

fn url(server: &ServerHandle, path: &str) -> String {
    format!("http://{}{path}", server.local_addr())
}

/// Fetches `path`; returns (connection, reused, body, close reason).
fn fetch(client: &Client, request: &Request) -> (u64, bool, Vec<u8>, Option<CloseReason>) {
    let mut response = client.send(request).unwrap();
    let body = response.body().unwrap();
    let outcome = response.outcome().unwrap();
    assert_eq!(outcome.body_bytes, body.len() as u64);
    (
        response.connection_id(),
        response.reused(),
        body,
        outcome.close_reason,
    )
}

fn get(client: &Client, url: &str) -> (u64, bool, Vec<u8>, Option<CloseReason>) {
    fetch(client, &Request::new("GET", url).unwrap())
}

#[test]
fn keep_alive_reuses_one_connection() {
    let server = server(Duration::from_secs(5), 100);
    let client = Client::new();
    let a = get(&client, &url(&server, "/bytes/10"));
    let b = get(&client, &url(&server, "/chunked/70000"));
    let c = get(&client, &url(&server, "/"));
    assert_eq!((a.0, a.1, a.2.len()), (1, false, 10));
    assert_eq!((b.0, b.1, b.2.len()), (1, true, 70000));
    assert_eq!((c.0, c.1, c.3), (1, true, None));
    assert_eq!(client.connections_opened(), 1);
    assert_eq!(client.idle_connections(), 1);
}

#[test]
fn client_close_ends_the_connection() {
    let server = server(Duration::from_secs(5), 100);
    let client = Client::new();
    let request = Request::new("GET", &url(&server, "/"))
        .unwrap()
        .header("Connection", "close");
    let first = fetch(&client, &request);
    assert_eq!(first.3, Some(CloseReason::RequestClose));
    let second = get(&client, &url(&server, "/"));
    assert_eq!((second.0, second.1), (2, false));
}

#[test]
fn server_max_counts_down_then_closes() {
    let server = server(Duration::from_secs(5), 2);
    let client = Client::new();
    let target = url(&server, "/bytes/3");
    let mut response = client.get(&target).unwrap();
    let ka = response.keep_alive().unwrap();
    assert_eq!((ka.timeout, ka.max), (Some(5), Some(1)));
    response.body().unwrap();
    drop(response);
    let second = get(&client, &target);
    assert_eq!((second.0, second.1), (1, true));
    assert_eq!(second.3, Some(CloseReason::ResponseClose));
    let conns: Vec<u64> = (0..3).map(|_| get(&client, &target).0).collect();
    assert_eq!(conns, [2, 2, 3]);
}

#[test]
fn http10_keep_alive_is_echoed_and_reused() {
    let server = server(Duration::from_secs(5), 100);
    let client = Client::new();
    let mut request = Request::new("GET", &url(&server, "/chunked/100")).unwrap();
    request.http10 = true;
    let mut response = client.send(&request).unwrap();
    assert_eq!(response.header("connection"), Some("keep-alive"));
    assert_eq!(response.header("transfer-encoding"), None);
    assert_eq!(response.body().unwrap().len(), 100);
    assert_eq!(response.outcome().unwrap().close_reason, None);
    drop(response);
    let again = fetch(&client, &request);
    assert_eq!((again.0, again.1), (1, true));
}

#[test]
fn idle_connection_is_not_reused_past_timeout_minus_margin() {
    let server = server(Duration::from_secs(2), 100);
    let client = Client::new(); // 1 s margin: reuse window 1 s
    let target = url(&server, "/");
    assert_eq!(get(&client, &target).0, 1);
    thread::sleep(Duration::from_millis(300));
    assert_eq!(get(&client, &target).0, 1);
    thread::sleep(Duration::from_millis(1_200));
    assert_eq!(get(&client, &target).0, 2);
}

#[test]
fn expect_continue_body_is_sent_after_100() {
    let server = server(Duration::from_secs(5), 100);
    let client = Client::new();
    let request = Request::new("POST", &url(&server, "/echo"))
        .unwrap()
        .header("Expect", "100-continue")
        .body("hello body");
    let started = Instant::now();
    let (_, _, body, reason) = fetch(&client, &request);
    let body = String::from_utf8(body).unwrap();
    assert!(body.starts_with("POST /echo HTTP/1.1\r\n"), "{body}");
    assert!(body.ends_with("\r\n\r\nhello body"), "{body}");
    assert_eq!(reason, None);
    // The body went after 100 Continue, not after the 1 s fallback.
    assert!(started.elapsed() < Duration::from_millis(900));
}

#[test]
fn status_without_body_and_head() {
    let server = server(Duration::from_secs(5), 100);
    let client = Client::new();
    let (_, _, body, _) = get(&client, &url(&server, "/status/204"));
    assert!(body.is_empty());
    let head = Request::new("HEAD", &url(&server, "/bytes/50")).unwrap();
    let mut response = client.send(&head).unwrap();
    assert_eq!(response.header("content-length"), Some("50"));
    assert!(response.body().unwrap().is_empty());
    drop(response);
    let (conn, reused, body, _) = get(&client, &url(&server, "/status/404"));
    assert_eq!((conn, reused, body.len()), (1, true, 0));
}

/// A scripted peer: answers each accepted connection with `script`.
fn scripted(script: fn(usize, TcpStream)) -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = thread::spawn(move || {
        for (i, stream) in listener.incoming().take(2).enumerate() {
            script(i, stream.unwrap());
        }
    });
    (addr, handle)
}

/// Reads one request head (up to the empty line).
fn read_head(reader: &mut BufReader<&TcpStream>) -> String {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            return head;
        }
        head.push_str(&line);
        if line == "\r\n" {
            return head;
        }
    }
}

/// First connection: answers one request, then reads the second and
/// closes without a word. Second connection: answers.
fn close_after_first(i: usize, stream: TcpStream) {
    let mut reader = BufReader::new(&stream);
    read_head(&mut reader);
    (&stream)
        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        .unwrap();
    if i == 0 {
        // Read the second request, then drop the connection unanswered.
        read_head(&mut reader);
    }
}

#[test]
fn idempotent_request_is_retried_once_on_a_new_connection() {
    let (addr, peer) = scripted(close_after_first);
    let client = Client::new();
    let target = format!("http://{addr}/");
    assert_eq!(get(&client, &target).0, 1);
    let mut response = client.get(&target).unwrap();
    let retry = response.retry().cloned().unwrap();
    assert_eq!(retry.conn, 1);
    assert_eq!((response.connection_id(), response.reused()), (2, false));
    assert_eq!(response.body().unwrap(), b"ok");
    drop(response);
    peer.join().unwrap();
}

#[test]
fn non_idempotent_request_is_not_retried() {
    let (addr, peer) = scripted(close_after_first);
    let client = Client::new();
    let target = format!("http://{addr}/");
    assert_eq!(get(&client, &target).0, 1);
    let post = Request::new("POST", &target).unwrap().body("x");
    let error = client.send(&post).unwrap_err();
    assert!(
        matches!(error, Error::NotRetried { ref method } if method == "POST"),
        "{error}"
    );
    // Let the peer finish its script.
    let _ = client.get(&target);
    peer.join().unwrap();
}

#[test]
fn malformed_response_is_a_protocol_error() {
    let (addr, peer) = scripted(|i, stream| {
        if i == 0 {
            let mut reader = BufReader::new(&stream);
            read_head(&mut reader);
            (&stream)
                .write_all(b"HTTP/1.1 200 OK\nContent-Length: 2\r\n\r\nok")
                .unwrap();
        }
    });
    let client = Client::new();
    let error = client.get(&format!("http://{addr}/")).unwrap_err();
    match error {
        Error::Protocol(e) => assert_eq!(e.kind, h1conn::ErrorKind::BareLf),
        other => panic!("expected a protocol error, got {other}"),
    }
    drop(TcpStream::connect(addr));
    peer.join().unwrap();
}

#[test]
fn silent_peer_times_out() {
    let (addr, peer) = scripted(|i, stream| {
        if i == 0 {
            let mut sink = [0u8; 1024];
            // Read the request, say nothing, wait for the client to give up.
            let _ = (&stream).read(&mut sink);
            let _ = (&stream).read(&mut sink);
        }
    });
    let mut config = ClientConfig::new();
    config.timeout = Duration::from_millis(300);
    let client = Client::with_config(config);
    let started = Instant::now();
    let error = client.get(&format!("http://{addr}/")).unwrap_err();
    assert!(matches!(error, Error::TimedOut), "{error}");
    assert!(started.elapsed() < Duration::from_secs(3));
    drop(TcpStream::connect(addr));
    peer.join().unwrap();
}
