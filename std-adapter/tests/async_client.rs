//! The async pooled client (`h1conn_std::asynch::client`) over real
//! loopback TCP: against our threaded server for what a well-behaved
//! server does (reuse, `Keep-Alive: max`, idle timeout), and against
//! scripted raw-socket peers for exact bytes (stray bytes after a
//! response, a reused connection closed under the client, silence, a
//! dribbling body).

#[path = "common/scripted_peer.rs"]
mod scripted_peer;
#[path = "common/server_support.rs"]
mod server_support;

use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use h1conn::policy::CloseReason;
use h1conn_std::asynch::client::{Client, Response};
use h1conn_std::client::{ClientConfig, Error, Request};
use h1conn_std::server::ServerHandle;
use scripted_peer::{answer, read_head, scripted};
use server_support::{pattern, quick, start};

// `server_support` serves the built-in routes of `h1conn serve`, which
// belong to the binary: the tests compile the same file, and it names
// `crate::server`.
#[allow(dead_code, unreachable_pub)]
#[path = "../src/routes.rs"]
mod routes;
use h1conn_std::server;

fn server(keep_alive: Duration, max_requests: u32) -> ServerHandle {
    start(quick(keep_alive, max_requests))
}

fn url(server: &ServerHandle, path: &str) -> String {
    format!("http://{}{path}", server.local_addr())
}

/// What one exchange came to.
#[derive(Debug)]
struct Fetched {
    conn: u64,
    reused: bool,
    body: Vec<u8>,
    keep_alive: bool,
    close_reason: Option<CloseReason>,
}

async fn read_out(mut response: Response<'_>) -> Fetched {
    let body = response.body().await.unwrap();
    let outcome = response.outcome().unwrap();
    assert_eq!(outcome.body_bytes, body.len() as u64);
    Fetched {
        conn: response.connection_id(),
        reused: response.reused(),
        body,
        keep_alive: outcome.keep_alive,
        close_reason: outcome.close_reason,
    }
}

async fn get(client: &Client, url: &str) -> Fetched {
    read_out(client.get(url).await.unwrap()).await
}

/// Waits for a peer thread without holding up the runtime.
async fn join<T: Send + 'static>(peer: JoinHandle<T>) -> T {
    tokio::task::spawn_blocking(move || peer.join().unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn keep_alive_reuses_one_connection() {
    let server = server(Duration::from_secs(5), 100);
    let client = Client::new();
    let a = get(&client, &url(&server, "/bytes/10")).await;
    let b = get(&client, &url(&server, "/chunked/70000")).await;
    let c = get(&client, &url(&server, "/")).await;
    assert_eq!((a.conn, a.reused, a.body.len()), (1, false, 10));
    assert_eq!((b.conn, b.reused, b.body.len()), (1, true, 70000));
    assert_eq!(b.body, pattern(70000));
    assert_eq!((c.conn, c.reused, c.close_reason), (1, true, None));
    assert_eq!(client.connections_opened(), 1);
    assert_eq!(client.idle_connections(), 1);
}

#[tokio::test]
async fn chunks_stream_the_body_then_a_post_waits_for_100_continue() {
    let server = server(Duration::from_secs(5), 100);
    let client = Client::new();
    let mut response = client.get(&url(&server, "/chunked/10000")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.header("Transfer-Encoding"), Some("chunked"));
    let mut total = 0;
    let mut pieces = 0;
    while let Some(piece) = response.chunk().await.unwrap() {
        total += piece.len();
        pieces += 1;
    }
    assert_eq!(total, 10000);
    assert!(pieces >= 3, "chunks of at most 4096 bytes: {pieces}");
    assert!(response.chunk().await.unwrap().is_none());
    assert_eq!(response.outcome().unwrap().body_bytes, 10000);
    assert_eq!(client.idle_connections(), 1);
    drop(response);
    let post = Request::new("POST", &url(&server, "/echo"))
        .unwrap()
        .header("Expect", "100-continue")
        .body("hello body");
    let started = Instant::now();
    let mut echo = client.send(&post).await.unwrap();
    let text = echo.text().await.unwrap();
    assert!(text.starts_with("POST /echo HTTP/1.1\r\n"), "{text}");
    assert!(text.ends_with("\r\n\r\nhello body"), "{text}");
    assert_eq!((echo.connection_id(), echo.reused()), (1, true));
    // The body went after 100 Continue, not after the 1 s fallback.
    assert!(started.elapsed() < Duration::from_millis(900));
}

#[tokio::test]
async fn server_max_counts_down_then_closes() {
    let server = server(Duration::from_secs(5), 2);
    let client = Client::new();
    let target = url(&server, "/bytes/3");
    let mut response = client.get(&target).await.unwrap();
    let ka = response.keep_alive().unwrap();
    assert_eq!((ka.timeout, ka.max), (Some(5), Some(1)));
    response.body().await.unwrap();
    drop(response);
    let second = get(&client, &target).await;
    assert_eq!((second.conn, second.reused), (1, true));
    assert_eq!(second.close_reason, Some(CloseReason::ResponseClose));
    assert_eq!(client.idle_connections(), 0);
    let mut conns = Vec::new();
    for _ in 0..3 {
        conns.push(get(&client, &target).await.conn);
    }
    assert_eq!(conns, [2, 2, 3]);
}

#[tokio::test]
async fn idle_connection_is_not_reused_past_timeout_minus_margin() {
    let server = server(Duration::from_secs(2), 100);
    let client = Client::new(); // 1 s margin: reuse window 1 s
    let target = url(&server, "/");
    assert_eq!(get(&client, &target).await.conn, 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(get(&client, &target).await.conn, 1);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let late = get(&client, &target).await;
    assert_eq!((late.conn, late.reused), (2, false));
}

#[tokio::test]
async fn idle_connections_per_origin_are_capped() {
    let server = server(Duration::from_secs(5), 100);
    let mut config = ClientConfig::new();
    config.max_idle_per_origin = 1;
    let client = Client::with_config(config);
    let target = url(&server, "/bytes/5");
    // Two responses open at once need two connections.
    let first = client.get(&target).await.unwrap();
    let second = client.get(&target).await.unwrap();
    assert_eq!((first.connection_id(), second.connection_id()), (1, 2));
    assert!(read_out(first).await.keep_alive);
    assert!(read_out(second).await.keep_alive);
    assert_eq!(client.idle_connections(), 1);
    assert_eq!(get(&client, &target).await.conn, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_share_one_client() {
    let server = server(Duration::from_secs(5), 1000);
    let client = Arc::new(Client::new());
    let target = url(&server, "/bytes/1000");
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let client = Arc::clone(&client);
            let target = target.clone();
            // `spawn` needs the client's futures to be `Send`.
            tokio::spawn(async move {
                for _ in 0..5 {
                    let fetched = get(&client, &target).await;
                    assert_eq!(fetched.body.len(), 1000);
                    assert!(fetched.keep_alive);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let opened = client.connections_opened();
    assert!(
        (1..=8).contains(&opened),
        "{opened} connections for 8 tasks"
    );
    assert_eq!(client.idle_connections() as u64, opened.min(4));
}

/// Answers the first request with two responses in one write; a second
/// connection gets its own answer.
fn two_responses_in_one_write(i: usize, stream: &TcpStream, reader: &mut BufReader<&TcpStream>) {
    read_head(reader);
    if i == 0 {
        answer(
            stream,
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello\
              HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nEVIL!",
        );
        // If the client (wrongly) sends its second request here, answer it.
        if !read_head(reader).is_empty() {
            answer(stream, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nlate!");
        }
    } else {
        answer(stream, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nworld");
    }
}

/// The next GET of `url` goes on a new connection, the peer's second,
/// and gets that connection's own answer (`body`); the first connection
/// carried no other request.
async fn next_goes_on_a_new_connection(
    client: Client,
    url: &str,
    body: &[u8],
    peer: JoinHandle<Vec<String>>,
) {
    let next = get(&client, url).await;
    assert_eq!(next.body, body);
    assert_eq!((next.conn, next.reused), (2, false));
    drop(client);
    assert_eq!(join(peer).await, ["", ""]);
}

#[tokio::test]
async fn bytes_after_a_response_are_never_the_next_response() {
    let (addr, peer) = scripted(2, two_responses_in_one_write);
    let client = Client::new();
    let url = format!("http://{addr}/");
    let first = get(&client, &url).await;
    assert_eq!(first.body, b"hello");
    assert!(!first.keep_alive);
    assert_eq!(first.close_reason, Some(CloseReason::UnsolicitedData));
    next_goes_on_a_new_connection(client, &url, b"world", peer).await;
}

/// Stray bytes come after the client read the whole response and pooled
/// the connection: only the driver's read polled once in `reusable()` can
/// hand them to the engine before the next request. `busy`: the task
/// keeps its thread meanwhile (as work between requests would), so tokio's
/// reactor has not seen them arrive when the client checks.
async fn bytes_arriving_while_idle(busy: bool) {
    let (go, wait) = mpsc::channel::<()>();
    let (sent, stray_out) = mpsc::channel::<()>();
    let (addr, peer) = scripted(2, move |i, stream, reader| {
        read_head(reader);
        if i == 0 {
            answer(stream, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
            wait.recv().unwrap();
            answer(stream, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nEVIL!");
            sent.send(()).unwrap();
            // Keep the connection open: the bytes alone must end it.
        } else {
            answer(stream, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nworld");
        }
    });
    let client = Client::new();
    let url = format!("http://{addr}/");
    let first = get(&client, &url).await;
    assert_eq!(first.body, b"hello");
    assert!(first.keep_alive, "nothing stray had arrived yet");
    assert_eq!(client.idle_connections(), 1);
    go.send(()).unwrap();
    if busy {
        stray_out.recv().unwrap();
        thread::sleep(Duration::from_millis(100));
    } else {
        tokio::task::spawn_blocking(move || stray_out.recv().unwrap())
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    next_goes_on_a_new_connection(client, &url, b"world", peer).await;
}

#[tokio::test]
async fn bytes_arriving_while_idle_make_the_connection_unusable() {
    bytes_arriving_while_idle(false).await;
}

// One thread for the runtime: nothing turns the reactor while the task
// is busy.
#[tokio::test(flavor = "current_thread")]
async fn bytes_arriving_while_the_task_is_busy_are_seen_too() {
    bytes_arriving_while_idle(true).await;
}

#[tokio::test]
async fn bytes_after_a_head_response_close_the_connection() {
    let (addr, peer) = scripted(2, |i, stream, reader| {
        read_head(reader);
        if i == 0 {
            answer(stream, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
        } else {
            answer(stream, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        }
    });
    let client = Client::new();
    let url = format!("http://{addr}/");
    let head = client.send(&Request::new("HEAD", &url).unwrap()).await;
    let head = read_out(head.unwrap()).await;
    assert_eq!(head.body, b"");
    // The stray bytes may still be in flight when the (empty) body ends:
    // the pool's check before reuse catches them.
    tokio::time::sleep(Duration::from_millis(50)).await;
    next_goes_on_a_new_connection(client, &url, b"ok", peer).await;
}

/// First connection: answers one request, then reads the second and
/// closes without a word. Second connection: answers.
fn close_after_first(i: usize, stream: &TcpStream, reader: &mut BufReader<&TcpStream>) {
    read_head(reader);
    answer(stream, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    if i == 0 {
        read_head(reader);
        let _ = stream.shutdown(std::net::Shutdown::Both);
    }
}

/// A client after one exchange with a [`close_after_first`] peer; the
/// URL; the peer.
async fn pooled_then_closed_by_the_peer() -> (Client, String, JoinHandle<Vec<String>>) {
    let (addr, peer) = scripted(2, close_after_first);
    let client = Client::new();
    let target = format!("http://{addr}/");
    assert_eq!(get(&client, &target).await.conn, 1);
    assert_eq!(client.idle_connections(), 1);
    (client, target, peer)
}

#[tokio::test]
async fn idempotent_request_is_retried_once_on_a_new_connection() {
    let (client, target, peer) = pooled_then_closed_by_the_peer().await;
    let mut response = client.get(&target).await.unwrap();
    let retry = response.retry().cloned().unwrap();
    assert_eq!(retry.conn, 1);
    assert_eq!((response.connection_id(), response.reused()), (2, false));
    assert_eq!(response.body().await.unwrap(), b"ok");
    assert_eq!(client.connections_opened(), 2);
    drop(response);
    drop(client);
    join(peer).await;
}

#[tokio::test]
async fn non_idempotent_request_is_not_retried() {
    let (client, target, peer) = pooled_then_closed_by_the_peer().await;
    let post = Request::new("POST", &target).unwrap().body("x");
    let error = client.send(&post).await.unwrap_err();
    assert!(
        matches!(error, Error::NotRetried { ref method } if method == "POST"),
        "{error}"
    );
    let message = error.to_string();
    assert!(message.contains("POST is not idempotent"), "{message}");
    assert_eq!(
        client.connections_opened(),
        1,
        "no second connection for the POST"
    );
    // Let the peer finish its script.
    assert_eq!(get(&client, &target).await.conn, 2);
    drop(client);
    join(peer).await;
}

/// A GET of `/` from a one-connection peer running `script`, with
/// `config`; the error it must end in, and when it came.
async fn failed_get<F>(config: ClientConfig, script: F) -> (Error, Duration)
where
    F: Fn(usize, &TcpStream, &mut BufReader<&TcpStream>) + Send + 'static,
{
    let (addr, peer) = scripted(1, script);
    let client = Client::with_config(config);
    let started = Instant::now();
    let error = client.get(&format!("http://{addr}/")).await.unwrap_err();
    let elapsed = started.elapsed();
    drop(client);
    join(peer).await;
    (error, elapsed)
}

/// Reads the request, says nothing, waits for the client to give up.
fn silent(_: usize, _: &TcpStream, reader: &mut BufReader<&TcpStream>) {
    read_head(reader);
}

/// `error` is a timeout that came at `limit`, not before, nor much later.
fn assert_timed_out(error: &Error, elapsed: Duration, limit: Duration) {
    assert!(matches!(error, Error::TimedOut), "{error}");
    assert!(elapsed >= limit, "{elapsed:?}, limit {limit:?}");
    assert!(elapsed < limit + Duration::from_secs(1), "{elapsed:?}");
}

#[tokio::test]
async fn silent_peer_times_out() {
    let mut config = ClientConfig::new();
    config.timeout = Duration::from_millis(300);
    let (error, elapsed) = failed_get(config, silent).await;
    assert_timed_out(&error, elapsed, Duration::from_millis(300));
}

#[tokio::test]
async fn max_time_cuts_off_a_dribbling_body() {
    let (addr, peer) = scripted(1, |_, stream, reader| {
        read_head(reader);
        answer(stream, b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
        // One byte every 100 ms: never silent for long, never done in time.
        for _ in 0..100 {
            thread::sleep(Duration::from_millis(100));
            if (&*stream).write_all(b"x").is_err() {
                return;
            }
        }
    });
    let mut config = ClientConfig::new();
    config.timeout = Duration::from_secs(5);
    config.max_time = Some(Duration::from_millis(800));
    let client = Client::with_config(config);
    let started = Instant::now();
    let mut response = client.get(&format!("http://{addr}/")).await.unwrap();
    let error = response.body().await.unwrap_err();
    assert_timed_out(&error, started.elapsed(), Duration::from_millis(800));
    assert!(response.outcome().is_none());
    drop(response);
    assert_eq!(client.idle_connections(), 0);
    drop(client);
    join(peer).await;
}

#[tokio::test]
async fn max_time_cuts_off_a_peer_that_never_answers() {
    let mut config = ClientConfig::new();
    config.max_time = Some(Duration::from_millis(500));
    let (error, elapsed) = failed_get(config, silent).await;
    assert_timed_out(&error, elapsed, Duration::from_millis(500));
}

#[tokio::test]
async fn a_head_larger_than_the_buffer_is_refused() {
    let mut config = ClientConfig::new();
    config.buffer_size = 1024;
    let (error, _) = failed_get(config, |_, stream, reader| {
        read_head(reader);
        let big = format!(
            "HTTP/1.1 200 OK\r\nX-Big: {}\r\nContent-Length: 0\r\n\r\n",
            "b".repeat(2000)
        );
        answer(stream, big.as_bytes());
    })
    .await;
    assert!(matches!(error, Error::ResponseHeadTooLarge), "{error}");
}

#[tokio::test]
async fn malformed_response_is_a_protocol_error() {
    let (error, _) = failed_get(ClientConfig::new(), |_, stream, reader| {
        read_head(reader);
        answer(stream, b"HTTP/1.1 200 OK\nContent-Length: 2\r\n\r\nok");
    })
    .await;
    match error {
        Error::Protocol(e) => assert_eq!(e.kind, h1conn::ErrorKind::BareLf),
        other => panic!("expected a protocol error, got {other}"),
    }
}

#[test]
fn client_and_futures_are_send_and_sync() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    let client = Client::new();
    send_sync(&client);
    let request = Request::new("GET", "http://127.0.0.1:1/").unwrap();
    // Built, never polled: only their types matter.
    send(&client.get("http://127.0.0.1:1/"));
    send(&client.send(&request));
}
