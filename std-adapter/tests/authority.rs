//! Regression tests for decisions that once were re-derived outside the
//! engine (reuse, framing, switching, retry, `Expect`), over real loopback
//! TCP: scripted raw-socket peers for what a well-behaved server never does,
//! and the `h1conn` binary as a black box.

#[path = "common/scripted_peer.rs"]
mod scripted_peer;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::Duration;

use h1conn::policy::CloseReason;
use h1conn_std::client::{Client, Error, Request};
use scripted_peer::{read_head, scripted};

fn h1conn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_h1conn"))
        .args(args)
        .output()
        .unwrap()
}

/// Answers the first request with two responses in one write, then
/// answers whatever else arrives on that connection with a third one.
fn two_responses_in_one_write(i: usize, stream: &TcpStream, reader: &mut BufReader<&TcpStream>) {
    read_head(reader);
    let mut out = stream;
    if i == 0 {
        out.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello\
              HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nEVIL!",
        )
        .unwrap();
        // If the client (wrongly) sends its second request here, answer it.
        if !read_head(reader).is_empty() {
            let _ = out.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nlate!");
        }
    } else {
        out.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nworld")
            .unwrap();
    }
}

#[test]
fn bytes_after_a_response_are_never_the_next_response() {
    let (addr, peer) = scripted(2, two_responses_in_one_write);
    let client = Client::new();
    let url = format!("http://{addr}/");
    let mut first = client.get(&url).unwrap();
    assert_eq!(first.body().unwrap(), b"hello");
    let outcome = first.outcome().unwrap();
    assert!(!outcome.keep_alive);
    assert_eq!(outcome.close_reason, Some(CloseReason::UnsolicitedData));
    drop(first);
    let mut second = client.get(&url).unwrap();
    assert_eq!(second.body().unwrap(), b"world");
    assert_eq!((second.connection_id(), second.reused()), (2, false));
    drop(second);
    drop(client);
    let received = peer.join().unwrap();
    assert_eq!(received.len(), 2);
}

#[test]
fn cli_never_prints_unsolicited_bytes() {
    let (addr, peer) = scripted(2, two_responses_in_one_write);
    let url = format!("http://{addr}/");
    let output = h1conn(&["get", "--trace", &url, &url]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(output.stdout, b"helloworld");
    let trace = String::from_utf8_lossy(&output.stderr);
    assert!(
        trace.contains("\"close_reason\":\"unsolicited_data\""),
        "{trace}"
    );
    assert!(trace.contains("\"reused\":false"), "{trace}");
    peer.join().unwrap();
}

/// Answers a HEAD with a head and then, wrongly, 5 body bytes.
fn body_after_head_response(i: usize, stream: &TcpStream, reader: &mut BufReader<&TcpStream>) {
    read_head(reader);
    let mut out = stream;
    if i == 0 {
        out.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
            .unwrap();
    } else {
        out.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            .unwrap();
    }
}

#[test]
fn bytes_after_a_head_response_close_the_connection() {
    let (addr, peer) = scripted(2, body_after_head_response);
    let client = Client::new();
    let url = format!("http://{addr}/");
    let mut head = client.send(&Request::new("HEAD", &url).unwrap()).unwrap();
    assert_eq!(head.body().unwrap(), b"");
    // The stray bytes may still be in flight when the body ends: the pool's
    // check before reuse (engine first, socket peek second) catches them.
    thread::sleep(Duration::from_millis(50));
    drop(head);
    let mut next = client.get(&url).unwrap();
    assert_eq!(next.body().unwrap(), b"ok");
    assert_eq!((next.connection_id(), next.reused()), (2, false));
    drop(next);
    drop(client);
    peer.join().unwrap();
}

#[test]
fn outgoing_transfer_coding_other_than_chunked_is_refused() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let request = Request::new("POST", &url)
        .unwrap()
        .header("Transfer-Encoding", "xchunked")
        .body("hello");
    // The engine learns the framing of the head it writes from its parts
    // as a parser would: a request whose transfer coding does not end in
    // chunked cannot be framed, so it is refused
    // before a byte is sent, instead of being framed one way on the wire
    // and counted another way by the engine.
    let error = Client::new().send(&request).unwrap_err();
    match error {
        Error::Usage(h1conn::UsageError::InvalidHead(kind)) => {
            assert_eq!(kind, h1conn::ErrorKind::InvalidTransferEncoding)
        }
        other => panic!("expected a usage error, got {other}"),
    }
}

#[test]
fn a_response_coding_other_than_chunked_is_sent_as_written() {
    use h1conn::io::blocking::Server;
    use h1conn::wire::Header;
    use h1conn_std::net::{SystemClock, TcpTransport};

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = thread::spawn(move || {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            .unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        String::from_utf8(response).unwrap()
    });
    let (stream, _) = listener.accept().unwrap();
    let transport = TcpTransport::new(stream).unwrap();
    let mut server = Server::new(
        transport,
        SystemClock::new(),
        h1conn::Config::new(),
        vec![0u8; 9000],
        vec![0u8; 1024],
    );
    assert!(server.read_request().unwrap().is_some());
    let coding = [Header {
        name: b"Transfer-Encoding",
        value: b"xchunked",
    }];
    server.send_head(200, b"OK", &coding).unwrap();
    server.write_body(b"hello").unwrap();
    server.finish().unwrap();
    // The head the engine wrote says the body ends with the connection (a
    // final coding other than chunked): the bytes go out as they are, not
    // in chunk syntax, and the connection closes after them.
    assert!(server.read_request().unwrap().is_none());
    assert_eq!(
        server.connection().poll_action(),
        h1conn::Action::Close(CloseReason::CloseDelimited)
    );
    drop(server);
    let response = peer.join().unwrap();
    assert!(response.ends_with("\r\n\r\nhello"), "{response:?}");
}

#[test]
fn an_unrequested_switch_is_a_protocol_error() {
    let (addr, peer) = scripted(1, |_, stream, reader| {
        read_head(reader);
        let mut out = stream;
        out.write_all(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: evil\r\nConnection: upgrade\r\n\r\n",
        )
        .unwrap();
    });
    let url = format!("http://{addr}/");
    let output = h1conn(&["get", &url]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Upgrade"), "{stderr}");
    peer.join().unwrap();
}

#[test]
fn a_head_over_8_kib_is_sent_when_the_limit_allows() {
    let (addr, peer) = scripted(1, |_, stream, reader| {
        let head = read_head(reader);
        let mut out = stream;
        let body = head.len().to_string();
        let response = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        out.write_all(response.as_bytes()).unwrap();
    });
    let url = format!("http://{addr}/");
    let cookie = "c".repeat(9000);
    let request = Request::new("GET", &url).unwrap().header("Cookie", &cookie);
    let client = Client::new();
    let mut response = client.send(&request).unwrap();
    let received: usize = response.text().unwrap().parse().unwrap();
    assert!(received > 9000, "the peer got a head of {received} bytes");
    drop(response);
    peer.join().unwrap();
}

#[test]
fn http10_expect_continue_is_ignored_by_the_server() {
    let mut serve = Command::new(env!("CARGO_BIN_EXE_h1conn"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(serve.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap()
        .to_owned();
    let mut stream = TcpStream::connect(&addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    // An HTTP/1.0 client does not wait for 100 Continue: head and body
    // go out together, and the server must read the body at once.
    stream
        .write_all(b"POST /echo HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello")
        .unwrap();
    let mut response = String::new();
    let read = stream.read_to_string(&mut response);
    let _ = serve.kill();
    let _ = serve.wait();
    read.unwrap();
    assert!(response.starts_with("HTTP/1.1 200 "), "{response}");
    assert!(!response.contains("100 Continue"), "{response}");
    assert!(response.ends_with("hello"), "{response}");
}
