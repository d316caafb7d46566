//! `h1conn get` as a black box: exit codes, error lines, output file,
//! `--trace` lines (exchange and retry), against our server and scripted
//! raw-socket peers on loopback.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output};
use std::thread;
use std::time::{Duration, Instant};

// The built-in routes of `h1conn serve` belong to the binary, not to the
// library's API; the tests compile the same file (it names `crate::server`).
#[allow(dead_code, unreachable_pub)]
#[path = "../src/routes.rs"]
mod routes;
use h1conn_std::server;
use h1conn_std::server::{Server, ServerConfig, ServerHandle};
use routes::Routes;
use serde_json::Value;

fn h1conn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_h1conn"))
        .args(args)
        .output()
        .unwrap()
}

fn server(max_requests: u32) -> ServerHandle {
    let config = ServerConfig {
        max_requests,
        ..ServerConfig::default()
    };
    Server::bind("127.0.0.1:0", config, Routes::builtin())
        .unwrap()
        .spawn()
        .unwrap()
}

fn trace(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

#[test]
fn bad_usage_exits_2() {
    let https = h1conn(&["get", "https://127.0.0.1/"]);
    assert_eq!(https.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&https.stderr);
    assert!(stderr.contains("https is not supported"), "{stderr}");
    assert_eq!(h1conn(&["get"]).status.code(), Some(2));
    assert_eq!(
        h1conn(&["get", "--repeat", "x", "http://a/"]).status.code(),
        Some(2)
    );
    assert_eq!(
        h1conn(&["get", "-H", "no colon", "http://a/"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(h1conn(&["get", "not a url"]).status.code(), Some(2));
    assert_eq!(h1conn(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn refused_connection_exits_1_with_one_error_line() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/x");
    let output = h1conn(&["get", &url]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].starts_with("h1conn: error: "), "{stderr}");
    assert!(lines[0].contains(&url), "{stderr}");
}

#[test]
fn bodies_in_order_and_trace_lines() {
    let server = server(2);
    let base = format!("http://{}", server.local_addr());
    let a = format!("{base}/bytes/5");
    let b = format!("{base}/chunked/7");
    let output = h1conn(&["get", "--trace", "--repeat", "2", &a, &b]);
    assert!(output.status.success());
    assert_eq!(output.stdout.len(), 24);
    let lines = trace(&output);
    assert_eq!(lines.len(), 4);
    let conns: Vec<u64> = lines.iter().map(|l| l["conn"].as_u64().unwrap()).collect();
    assert_eq!(conns, [1, 1, 2, 2]);
    let first = &lines[0];
    assert_eq!(first["event"], "exchange");
    assert_eq!(first["url"], a.as_str());
    assert_eq!(first["method"], "GET");
    assert_eq!(first["reused"], false);
    assert_eq!(first["status"], 200);
    assert_eq!(first["version"], "HTTP/1.1");
    assert_eq!(first["body_bytes"], 5);
    assert_eq!(first["keep_alive"], true);
    assert_eq!(first["ka_timeout"], 5);
    assert_eq!(first["ka_max"], 1);
    assert_eq!(first["close_reason"], Value::Null);
    let second = &lines[1];
    assert_eq!(second["reused"], true);
    assert_eq!(second["body_bytes"], 7);
    assert_eq!(second["keep_alive"], false);
    assert_eq!(second["close_reason"], "response_close");
    assert_eq!(second["ka_max"], Value::Null);
}

#[test]
fn no_keep_alive_and_http10_modes() {
    let server = server(100);
    let url = format!("http://{}/", server.local_addr());
    let output = h1conn(&["get", "--trace", "--no-keep-alive", "--repeat", "3", &url]);
    assert!(output.status.success());
    let lines = trace(&output);
    let conns: Vec<u64> = lines.iter().map(|l| l["conn"].as_u64().unwrap()).collect();
    assert_eq!(conns, [1, 2, 3]);
    assert!(lines.iter().all(|l| l["close_reason"] == "request_close"));

    let output = h1conn(&["get", "--trace", "--http1.0", "--repeat", "3", &url]);
    let lines = trace(&output);
    let conns: Vec<u64> = lines.iter().map(|l| l["conn"].as_u64().unwrap()).collect();
    assert_eq!(conns, [1, 1, 1]);
    assert_eq!(lines[2]["ka_max"], 97);

    // A user `Connection: close` makes that request the last on its connection.
    let output = h1conn(&["get", "--trace", "-H", "Connection: close", &url, &url]);
    let lines = trace(&output);
    assert_eq!(lines[0]["close_reason"], "request_close");
    assert_eq!(lines[1]["conn"], 2);
}

#[test]
fn output_file_and_post_data() {
    let server = server(100);
    let url = format!("http://{}/echo", server.local_addr());
    let dir = std::env::temp_dir().join(format!("h1conn-get-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("out.txt");
    let output = h1conn(&[
        "get",
        "-X",
        "POST",
        "-d",
        "payload",
        "-H",
        "X-Test: 1",
        "-o",
        file.to_str().unwrap(),
        &url,
    ]);
    assert!(output.status.success());
    assert!(output.stdout.is_empty());
    let body = std::fs::read_to_string(&file).unwrap();
    assert!(body.starts_with("POST /echo HTTP/1.1\r\n"), "{body}");
    assert!(body.contains("X-Test: 1\r\n"), "{body}");
    assert!(body.contains("Content-Length: 7\r\n"), "{body}");
    assert!(body.ends_with("\r\n\r\npayload"), "{body}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A peer that answers the first request, then closes the connection when
/// the second arrives, and answers on a second connection.
fn closing_peer() -> (String, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/r", listener.local_addr().unwrap());
    let handle = thread::spawn(move || {
        for (i, stream) in listener.incoming().take(2).enumerate() {
            let stream = stream.unwrap();
            let mut reader = BufReader::new(&stream);
            read_head(&mut reader);
            (&stream)
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                .unwrap();
            if i == 0 {
                read_head(&mut reader);
            }
        }
    });
    (url, handle)
}

fn read_head(reader: &mut BufReader<&TcpStream>) {
    let mut line = String::new();
    while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
        line.clear();
    }
}

#[test]
fn retry_is_traced_and_non_idempotent_fails() {
    let (url, peer) = closing_peer();
    let output = h1conn(&["get", "--trace", &url, &url]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines = trace(&output);
    let events: Vec<&str> = lines.iter().map(|l| l["event"].as_str().unwrap()).collect();
    assert_eq!(events, ["exchange", "retry", "exchange"]);
    assert_eq!(lines[1]["conn"], 1);
    assert_eq!(lines[1]["url"], url.as_str());
    assert_eq!(lines[2]["conn"], 2);
    assert_eq!(lines[2]["reused"], false);
    peer.join().unwrap();

    let (url, peer) = closing_peer();
    let output = h1conn(&["get", "-X", "POST", "-d", "x", &url, &url]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("h1conn: error: ") && stderr.contains("not retried"),
        "{stderr}"
    );
    drop(TcpStream::connect(
        url.trim_start_matches("http://").trim_end_matches("/r"),
    ));
    peer.join().unwrap();
}

#[test]
fn silent_peer_gives_up_after_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let started = Instant::now();
    let output = h1conn(&["get", "--timeout", "400", &url]);
    assert_eq!(output.status.code(), Some(1));
    assert!(started.elapsed() < Duration::from_secs(5));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("timed out"), "{stderr}");
    drop(listener);
}

/// A peer that answers one request with a head promising 100 bytes, then
/// sends one body byte every 200 ms.
fn dribbling_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
            line.clear();
        }
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
        for _ in 0..100 {
            thread::sleep(Duration::from_millis(200));
            if stream.write_all(b"x").is_err() {
                return;
            }
        }
    });
    format!("http://{addr}/slow")
}

#[test]
fn max_time_cuts_off_a_dribbling_body_at_the_limit() {
    let url = dribbling_server();
    let started = Instant::now();
    let output = h1conn(&["get", "--max-time", "1.5", &url]);
    let took = started.elapsed();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    // Each byte resets no silence timer, so only the total limit stops it.
    assert!(took >= Duration::from_millis(1400), "{took:?}");
    assert!(took < Duration::from_millis(3500), "{took:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&url) && stderr.contains("--max-time"),
        "{stderr}"
    );
    // What arrived in time was written.
    assert!(!output.stdout.is_empty() && output.stdout.len() < 100);
}

#[test]
fn max_time_and_connect_timeout_must_be_seconds() {
    for bad in ["x", "-1", "inf"] {
        let output = h1conn(&["get", "--max-time", bad, "http://127.0.0.1:1/"]);
        assert_eq!(output.status.code(), Some(2), "--max-time {bad}");
        let output = h1conn(&["get", "--connect-timeout", bad, "http://127.0.0.1:1/"]);
        assert_eq!(output.status.code(), Some(2), "--connect-timeout {bad}");
    }
}

#[test]
fn fail_on_an_error_status_names_url_and_status() {
    let server = server(100);
    let base = format!("http://{}", server.local_addr());
    let missing = format!("{base}/nothing-here");
    let output = h1conn(&["get", "-f", &format!("{base}/bytes/3"), &missing]);
    assert_eq!(output.status.code(), Some(1));
    // The first URL's body was written before the second failed.
    assert_eq!(output.stdout, b"abc");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].starts_with("h1conn: error: "), "{stderr}");
    assert!(
        lines[0].contains(&missing) && lines[0].contains("404"),
        "{stderr}"
    );
    // Without -f a 404 is a complete response: exit 0.
    assert_eq!(h1conn(&["get", &missing]).status.code(), Some(0));
}

#[test]
fn head_prints_only_heads_and_include_prints_both() {
    let server = server(100);
    let url = format!("http://{}/bytes/4", server.local_addr());
    let output = h1conn(&["get", "-I", &url]);
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("HTTP/1.1 200 OK\r\n"), "{stdout}");
    assert!(stdout.contains("Content-Length: 4\r\n"), "{stdout}");
    assert!(
        stdout.ends_with("\r\n\r\n"),
        "no body after a HEAD: {stdout:?}"
    );

    let output = h1conn(&["get", "-i", &url, &url]);
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let responses: Vec<&str> = stdout.split("HTTP/1.1 200 OK\r\n").skip(1).collect();
    assert_eq!(responses.len(), 2, "{stdout}");
    assert!(
        responses.iter().all(|r| r.ends_with("\r\n\r\nabcd")),
        "{stdout}"
    );
}

#[test]
fn verbose_shows_heads_and_the_engines_decisions() {
    let server = server(2);
    let url = format!("http://{}/bytes/2", server.local_addr());
    let output = h1conn(&["get", "-v", "-s", "--repeat", "3", &url]);
    assert!(output.status.success());
    assert_eq!(output.stdout, b"ababab");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    let decisions: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("* "))
        .collect();
    assert!(lines.contains(&"> GET /bytes/2 HTTP/1.1"), "{stderr}");
    assert!(lines.contains(&"< HTTP/1.1 200 OK"), "{stderr}");
    assert!(lines.contains(&"< Connection: close"), "{stderr}");
    assert!(
        decisions[0].contains("connected to") && decisions[0].contains("#1"),
        "{stderr}"
    );
    assert!(
        decisions
            .iter()
            .any(|l| l.contains("Keep-Alive") && l.contains("max 1")),
        "{stderr}"
    );
    assert!(
        decisions
            .iter()
            .any(|l| l.contains("re-using connection #1")),
        "{stderr}"
    );
    assert!(
        decisions
            .iter()
            .any(|l| l.contains("closing connection #1") && l.contains("response_close")),
        "{stderr}"
    );
    assert!(
        decisions
            .iter()
            .any(|l| l.contains("connected to") && l.contains("#2")),
        "{stderr}"
    );
    // Every stderr line is a trace line: `* `, `> ` or `< ` (or a bare `>`/`<`).
    assert!(
        lines
            .iter()
            .all(|l| ["* ", "> ", "< "].iter().any(|p| l.starts_with(p)) || *l == ">" || *l == "<"),
        "{stderr}"
    );
}

#[test]
fn verbose_says_why_an_idle_connection_was_not_reused() {
    let config = ServerConfig {
        keep_alive_timeout: Duration::from_secs(2),
        ..ServerConfig::default()
    };
    let server = Server::bind("127.0.0.1:0", config, Routes::builtin())
        .unwrap()
        .spawn()
        .unwrap();
    let url = format!("http://{}/bytes/1", server.local_addr());
    // Idle 1.2 s: past the server's 2 s minus the 1 s margin.
    let output = h1conn(&["get", "-v", "--wait", "1200", &url, &url]);
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = stderr
        .lines()
        .find(|l| l.starts_with("* connection #1 not reused"))
        .unwrap_or_else(|| panic!("no line about connection #1: {stderr}"));
    assert!(line.contains("timeout 2 s"), "{line}");
    assert!(stderr.contains("(connection #2)"), "{stderr}");
}
