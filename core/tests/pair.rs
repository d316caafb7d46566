//! A client/server `Pair` harness: two [`Connection`]s joined by in-memory
//! byte pipes, with a virtual clock that can jump to the next deadline of
//! either side. Scenarios drive whole exchanges through both engines and
//! check events, actions, persistence, the client's reuse decision, the
//! `max` countdown and the exact bytes written. Quickcheck properties at the
//! end check split-independence, totality and the absorbing close.
#![allow(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::needless_pass_by_value,
    clippy::too_many_lines
)]

use h1conn::policy::{CloseReason, Persistence};
use h1conn::state::HalfState;
use h1conn::time::{Duration, Instant};
use h1conn::wire::{Header, Version};
use h1conn::write::{write_chunk_header, write_last_chunk};
use h1conn::{
    Action, Config, Connection, ErrorKind, Event, ProtocolError, RetrySafety, Role, UsageError,
};
use quickcheck::{Arbitrary, Gen, QuickCheck, TestResult};

// ----- the harness -----

/// An owned copy of an [`Event`], so a log outlives the input buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Ev {
    Request {
        method: String,
        target: String,
        version: Version,
    },
    Response {
        status: u16,
    },
    Body(Vec<u8>),
    Trailers(Vec<(String, String)>),
    End,
    Paused,
    Switched,
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn own(event: &Event<'_>) -> Option<Ev> {
    Some(match event {
        Event::Request(head) => Ev::Request {
            method: text(head.method),
            target: text(head.target),
            version: head.version,
        },
        Event::Response(head) => Ev::Response {
            status: head.status,
        },
        Event::Body(data) => Ev::Body(data.to_vec()),
        Event::Trailers(fields) => Ev::Trailers(
            fields
                .clone()
                .map(|h| (text(h.name), text(h.value)))
                .collect(),
        ),
        Event::MessageEnd => Ev::End,
        Event::Paused => Ev::Paused,
        Event::Switched => Ev::Switched,
        Event::NeedData => return None,
        other => panic!("an event this harness does not know: {other:?}"),
    })
}

fn h<'a>(name: &'a str, value: &'a str) -> Header<'a> {
    Header {
        name: name.as_bytes(),
        value: value.as_bytes(),
    }
}

/// One end of the pair: its engine, the bytes it has received and not yet
/// consumed, and what it found in them.
struct Side {
    conn: Connection,
    inbox: Vec<u8>,
    events: Vec<Ev>,
    /// Errors, with offsets relative to the slice passed.
    errors: Vec<ProtocolError>,
    /// The same errors, with offsets counted from the first byte received.
    abs_errors: Vec<ProtocolError>,
    /// Bytes consumed so far.
    consumed: usize,
}

impl Side {
    fn new(role: Role, config: Config, now: Instant) -> Self {
        Self {
            conn: Connection::new(role, config, now),
            inbox: Vec::new(),
            events: Vec::new(),
            errors: Vec::new(),
            abs_errors: Vec::new(),
            consumed: 0,
        }
    }

    /// Feeds the inbox through `handle_input` until the engine needs more
    /// data, pauses, switches, or fails; keeps what was not consumed.
    fn drain(&mut self, now: Instant) -> Vec<Ev> {
        let mut found = Vec::new();
        for _ in 0..10_000 {
            match self.conn.handle_input(now, &self.inbox) {
                Ok(consumed) => {
                    assert!(consumed.bytes <= self.inbox.len());
                    let event = own(&consumed.event);
                    let stop = matches!(
                        consumed.event,
                        Event::NeedData | Event::Paused | Event::Switched
                    );
                    if matches!(consumed.event, Event::Paused | Event::Switched) {
                        assert_eq!(consumed.bytes, 0, "{:?}", consumed.event);
                    }
                    let bytes = consumed.bytes;
                    self.inbox.drain(..bytes);
                    self.consumed += bytes;
                    if let Some(ev) = event {
                        found.push(ev);
                    }
                    if stop {
                        break;
                    }
                }
                Err(error) => {
                    assert!(error.offset <= self.inbox.len(), "{error:?} past the input");
                    self.errors.push(error);
                    self.abs_errors
                        .push(ProtocolError::new(error.kind, error.offset + self.consumed));
                    break;
                }
            }
        }
        self.events.extend(found.iter().cloned());
        found
    }
}

/// A client and a server joined by two pipes, and a virtual clock.
struct Pair {
    now: Instant,
    client: Side,
    server: Side,
}

impl Pair {
    fn new(client: Config, server: Config) -> Self {
        let now = Instant::from_millis(1_000);
        Self {
            now,
            client: Side::new(Role::Client, client, now),
            server: Side::new(Role::Server, server, now),
        }
    }

    fn default_pair() -> Self {
        Self::new(Config::new(), Config::new())
    }

    fn advance(&mut self, ms: u64) {
        self.now = self.now + Duration::from_millis(ms);
    }

    /// Jumps to the earliest deadline of either side (if any) and lets both
    /// handle it. Returns whether there was one.
    fn jump(&mut self) -> bool {
        let next = [
            self.client.conn.poll_timeout(),
            self.server.conn.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(at) = next else { return false };
        self.now = self.now.max(at);
        self.client.conn.handle_timeout(self.now);
        self.server.conn.handle_timeout(self.now);
        true
    }

    /// Client: writes a request head into the client-to-server pipe.
    fn request_head(
        &mut self,
        method: &str,
        target: &str,
        version: Version,
        headers: &[Header<'_>],
    ) -> Vec<u8> {
        let mut buf = [0u8; 1024];
        let n = self
            .client
            .conn
            .send_request(
                self.now,
                method.as_bytes(),
                target.as_bytes(),
                version,
                headers,
                &mut buf,
            )
            .expect("send_request");
        self.server.inbox.extend_from_slice(&buf[..n]);
        buf[..n].to_vec()
    }

    /// Client: sends body bytes and finishes the message.
    fn request_body(&mut self, body: &[u8]) {
        if !body.is_empty() {
            self.client.conn.send_body(body.len()).expect("send_body");
            self.server.inbox.extend_from_slice(body);
        }
        self.client
            .conn
            .finish_message(self.now)
            .expect("finish request");
    }

    /// Client: a whole request with a `Content-Length` body (if non-empty).
    fn request(
        &mut self,
        method: &str,
        target: &str,
        version: Version,
        headers: &[Header<'_>],
        body: &[u8],
    ) -> Vec<u8> {
        let len = body.len().to_string();
        let mut all: Vec<Header<'_>> = vec![h("Host", "example.test")];
        all.extend_from_slice(headers);
        if !body.is_empty() {
            all.push(h("Content-Length", &len));
        }
        let head = self.request_head(method, target, version, &all);
        self.request_body(body);
        head
    }

    fn get(&mut self, headers: &[Header<'_>]) -> Vec<u8> {
        self.request("GET", "/", Version::Http11, headers, b"")
    }

    /// Server: writes a response head into the server-to-client pipe.
    fn response_head(&mut self, status: u16, reason: &str, headers: &[Header<'_>]) -> Vec<u8> {
        let mut buf = [0u8; 1024];
        let n = self
            .server
            .conn
            .send_response(self.now, status, reason.as_bytes(), headers, &mut buf)
            .expect("send_response");
        self.client.inbox.extend_from_slice(&buf[..n]);
        buf[..n].to_vec()
    }

    /// Server: a whole response with a `Content-Length` body.
    fn respond(&mut self, status: u16, headers: &[Header<'_>], body: &[u8]) -> Vec<u8> {
        let len = body.len().to_string();
        let mut all: Vec<Header<'_>> = headers.to_vec();
        all.push(h("Content-Length", &len));
        let head = self.response_head(status, "OK", &all);
        if !body.is_empty() {
            self.server.conn.send_body(body.len()).expect("send_body");
            self.client.inbox.extend_from_slice(body);
        }
        self.server
            .conn
            .finish_message(self.now)
            .expect("finish response");
        head
    }

    fn server_drain(&mut self) -> Vec<Ev> {
        let now = self.now;
        self.server.drain(now)
    }

    fn client_drain(&mut self) -> Vec<Ev> {
        let now = self.now;
        self.client.drain(now)
    }

    /// One plain exchange: GET, 200 with `body`. Returns the response head.
    fn exchange(
        &mut self,
        request_headers: &[Header<'_>],
        response_headers: &[Header<'_>],
        body: &[u8],
    ) -> Vec<u8> {
        self.get(request_headers);
        let got = self.server_drain();
        assert!(
            matches!(got.as_slice(), [Ev::Request { .. }, Ev::End]),
            "{got:?}"
        );
        let head = self.respond(200, response_headers, body);
        let got = self.client_drain();
        let mut want = vec![Ev::Response { status: 200 }];
        if !body.is_empty() {
            want.push(Ev::Body(body.to_vec()));
        }
        want.push(Ev::End);
        assert_eq!(got, want);
        head
    }

    fn assert_no_errors(&self) {
        assert_eq!(self.client.errors, vec![], "client errors");
        assert_eq!(self.server.errors, vec![], "server errors");
    }
}

fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

fn has_line(head: &[u8], line: &str) -> bool {
    text(head).split("\r\n").any(|l| l == line)
}

fn keep_alive_line(head: &[u8]) -> Option<String> {
    text(head)
        .split("\r\n")
        .find(|l| l.to_ascii_lowercase().starts_with("keep-alive:"))
        .map(str::to_owned)
}

// ----- persistence -----

#[test]
fn http11_keep_alive_by_default_for_several_exchanges() {
    let mut p = Pair::default_pair();
    assert!(p.client.conn.may_send_request(p.now));
    assert_eq!(p.client.conn.poll_action(), Action::Reuse);
    assert_eq!(p.server.conn.poll_action(), Action::Reuse);
    for round in 1..=4u32 {
        let head = p.request("GET", "/x", Version::Http11, &[], b"");
        assert_eq!(head, b"GET /x HTTP/1.1\r\nHost: example.test\r\n\r\n");
        assert_eq!(p.client.conn.poll_action(), Action::Continue);
        assert!(
            !p.client.conn.may_send_request(p.now),
            "one request at a time"
        );
        let got = p.server_drain();
        assert_eq!(
            got,
            vec![
                Ev::Request {
                    method: "GET".into(),
                    target: "/x".into(),
                    version: Version::Http11
                },
                Ev::End
            ]
        );
        assert_eq!(p.server.conn.poll_action(), Action::Continue);
        let head = p.respond(200, &[], b"hello");
        let max = 100 - round;
        assert_eq!(
            text(&head),
            format!(
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5, max={max}\r\n\r\n"
            )
        );
        assert_eq!(p.server.conn.poll_action(), Action::Reuse);
        assert_eq!(p.server.conn.requests_left(), Some(max));
        let got = p.client_drain();
        assert_eq!(
            got,
            vec![
                Ev::Response { status: 200 },
                Ev::Body(b"hello".to_vec()),
                Ev::End
            ]
        );
        assert_eq!(p.client.conn.poll_action(), Action::Reuse);
        assert_eq!(p.client.conn.persistence(), Persistence::KeepAlive);
        assert_eq!(p.server.conn.persistence(), Persistence::KeepAlive);
        assert!(p.client.conn.may_send_request(p.now));
        assert_eq!(p.client.conn.requests_left(), Some(max));
        assert_eq!(p.client.conn.peer_keep_alive().timeout, Some(5));
        assert_eq!(p.client.conn.exchanges(), round);
        assert_eq!(p.server.conn.exchanges(), round);
        p.advance(100);
    }
    p.assert_no_errors();
}

#[test]
fn without_announcement_http11_responses_say_nothing() {
    let mut server = Config::new();
    server.announce_keep_alive = false;
    let mut p = Pair::new(Config::new(), server);
    let head = p.exchange(&[], &[], b"");
    assert_eq!(head, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(p.client.conn.poll_action(), Action::Reuse);
    assert_eq!(p.client.conn.requests_left(), None);
    assert!(p.client.conn.may_send_request(p.now));
}

#[test]
fn client_connection_close() {
    let mut p = Pair::default_pair();
    p.exchange(&[], &[], b"");
    let head = p.get(&[h("Connection", "close")]);
    assert!(has_line(&head, "Connection: close"));
    assert_eq!(
        p.client.conn.persistence(),
        Persistence::Close(CloseReason::RequestClose)
    );
    assert!(!p.client.conn.may_send_request(p.now));
    assert_eq!(
        p.client.conn.poll_action(),
        Action::Continue,
        "the response is still due"
    );
    let got = p.server_drain();
    assert!(
        matches!(got.as_slice(), [Ev::Request { .. }, Ev::End]),
        "{got:?}"
    );
    assert_eq!(
        p.server.conn.persistence(),
        Persistence::Close(CloseReason::RequestClose)
    );
    assert_eq!(
        p.server.conn.poll_action(),
        Action::Continue,
        "the response is still due"
    );
    let head = p.respond(200, &[], b"bye");
    assert_eq!(
        text(&head),
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(
        p.server.conn.poll_action(),
        Action::Close(CloseReason::RequestClose)
    );
    let got = p.client_drain();
    assert_eq!(
        got,
        vec![
            Ev::Response { status: 200 },
            Ev::Body(b"bye".to_vec()),
            Ev::End
        ]
    );
    assert_eq!(
        p.client.conn.poll_action(),
        Action::Close(CloseReason::RequestClose)
    );
    assert!(!p.client.conn.may_send_request(p.now));
    assert_eq!(p.client.conn.send_state(), HalfState::MustClose);
    let mut buf = [0u8; 256];
    assert_eq!(
        p.client.conn.send_request(
            p.now,
            b"GET",
            b"/",
            Version::Http11,
            &[h("Host", "x")],
            &mut buf
        ),
        Err(UsageError::WrongState)
    );
    p.assert_no_errors();
}

#[test]
fn server_connection_close_in_response_headers() {
    let mut p = Pair::default_pair();
    p.get(&[]);
    p.server_drain();
    let head = p.respond(200, &[h("Connection", "close")], b"");
    assert_eq!(
        head,
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    );
    assert_eq!(
        p.server.conn.persistence(),
        Persistence::Close(CloseReason::ResponseClose)
    );
    assert_eq!(
        p.server.conn.poll_action(),
        Action::Close(CloseReason::ResponseClose)
    );
    p.client_drain();
    assert_eq!(
        p.client.conn.persistence(),
        Persistence::Close(CloseReason::ResponseClose)
    );
    assert_eq!(
        p.client.conn.poll_action(),
        Action::Close(CloseReason::ResponseClose)
    );
    assert!(!p.client.conn.may_send_request(p.now));
    p.assert_no_errors();
}

#[test]
fn http10_without_keep_alive_closes() {
    let mut p = Pair::default_pair();
    let head = p.request_head("GET", "/", Version::Http10, &[h("Connection", "close")]);
    assert_eq!(head, b"GET / HTTP/1.0\r\nConnection: close\r\n\r\n");
    p.request_body(b"");
    let got = p.server_drain();
    assert_eq!(
        got[0],
        Ev::Request {
            method: "GET".into(),
            target: "/".into(),
            version: Version::Http10
        }
    );
    assert!(!p.server.conn.persistence().is_keep_alive());
    let head = p.respond(200, &[], b"x");
    assert_eq!(
        text(&head),
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\n"
    );
    assert!(matches!(p.server.conn.poll_action(), Action::Close(_)));
    p.client_drain();
    assert!(matches!(p.client.conn.poll_action(), Action::Close(_)));
    assert!(!p.client.conn.may_send_request(p.now));
    p.assert_no_errors();
}

#[test]
fn http10_request_without_connection_field_closes() {
    // A raw HTTP/1.0 request with no Connection field at all.
    let mut server = Side::new(Role::Server, Config::new(), ms(0));
    server.inbox.extend_from_slice(b"GET / HTTP/1.0\r\n\r\n");
    server.drain(ms(0));
    assert_eq!(
        server.conn.persistence(),
        Persistence::Close(CloseReason::Http10NoKeepAlive)
    );
    let mut buf = [0u8; 256];
    let n = server
        .conn
        .send_response(ms(0), 200, b"OK", &[h("Content-Length", "0")], &mut buf)
        .unwrap();
    assert_eq!(
        &buf[..n],
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    server.conn.finish_message(ms(0)).unwrap();
    assert_eq!(
        server.conn.poll_action(),
        Action::Close(CloseReason::Http10NoKeepAlive)
    );
}

#[test]
fn http10_with_keep_alive_is_echoed() {
    let mut p = Pair::default_pair();
    for round in 1..=2u32 {
        let head = p.request_head("GET", "/", Version::Http10, &[]);
        assert_eq!(head, b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        p.request_body(b"");
        p.server_drain();
        assert_eq!(p.server.conn.persistence(), Persistence::KeepAlive);
        let head = p.respond(200, &[], b"ok");
        assert_eq!(
            text(&head),
            format!(
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5, max={}\r\n\r\n",
                100 - round
            )
        );
        p.client_drain();
        assert_eq!(p.client.conn.persistence(), Persistence::KeepAlive);
        assert_eq!(p.client.conn.poll_action(), Action::Reuse);
        assert!(p.client.conn.may_send_request(p.now));
    }
    // Without announcing, an HTTP/1.0 client still gets the echo.
    let mut server = Config::new();
    server.announce_keep_alive = false;
    let mut p = Pair::new(Config::new(), server);
    p.request_head("GET", "/", Version::Http10, &[]);
    p.request_body(b"");
    p.server_drain();
    let head = p.respond(200, &[], b"");
    assert_eq!(
        head,
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n"
    );
    p.client_drain();
    assert_eq!(p.client.conn.poll_action(), Action::Reuse);
    p.assert_no_errors();
}

#[test]
fn http10_client_needs_the_echo() {
    // A server that does not echo keep-alive to an HTTP/1.0 request: close.
    let mut client = Side::new(Role::Client, Config::new(), ms(0));
    let mut buf = [0u8; 256];
    client
        .conn
        .send_request(ms(0), b"GET", b"/", Version::Http10, &[], &mut buf)
        .unwrap();
    client
        .inbox
        .extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    client.drain(ms(0));
    assert_eq!(
        client.conn.poll_action(),
        Action::Close(CloseReason::Http10NoKeepAlive)
    );
    assert!(!client.conn.may_send_request(ms(0)));
}

#[test]
fn max_requests_countdown() {
    let mut server = Config::new();
    server.max_requests = Some(3);
    let mut p = Pair::new(Config::new(), server);
    assert_eq!(p.server.conn.requests_left(), Some(3));
    assert_eq!(p.client.conn.requests_left(), None);

    let head = p.exchange(&[], &[], b"");
    assert_eq!(
        keep_alive_line(&head).as_deref(),
        Some("Keep-Alive: timeout=5, max=2")
    );
    assert_eq!(p.server.conn.requests_left(), Some(2));
    assert_eq!(p.client.conn.requests_left(), Some(2));
    assert!(p.client.conn.may_send_request(p.now));
    assert_eq!(p.client.conn.poll_action(), Action::Reuse);

    let head = p.exchange(&[], &[], b"");
    assert_eq!(
        keep_alive_line(&head).as_deref(),
        Some("Keep-Alive: timeout=5, max=1")
    );
    assert_eq!(p.server.conn.requests_left(), Some(1));
    assert_eq!(p.client.conn.requests_left(), Some(1));
    assert!(p.client.conn.may_send_request(p.now));

    p.get(&[]);
    assert_eq!(p.client.conn.requests_left(), Some(0));
    p.server_drain();
    assert_eq!(p.server.conn.requests_left(), Some(0));
    let head = p.respond(200, &[], b"");
    assert!(has_line(&head, "Connection: close"), "{}", text(&head));
    assert_eq!(
        keep_alive_line(&head),
        None,
        "a closing response announces nothing"
    );
    assert_eq!(
        p.server.conn.poll_action(),
        Action::Close(CloseReason::MaxReached)
    );
    p.client_drain();
    assert_eq!(p.client.conn.requests_left(), Some(0));
    assert!(!p.client.conn.may_send_request(p.now));
    assert!(matches!(
        p.client.conn.poll_action(),
        Action::Close(CloseReason::MaxReached | CloseReason::ResponseClose)
    ));
    p.assert_no_errors();
}

#[test]
fn client_stops_at_max_zero_even_without_close() {
    // A server that says max=0 but forgets `Connection: close`.
    let mut client = Side::new(Role::Client, Config::new(), ms(0));
    let mut buf = [0u8; 256];
    client
        .conn
        .send_request(
            ms(0),
            b"GET",
            b"/",
            Version::Http11,
            &[h("Host", "x")],
            &mut buf,
        )
        .unwrap();
    client.inbox.extend_from_slice(
        b"HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5, max=0\r\nContent-Length: 0\r\n\r\n",
    );
    client.drain(ms(0));
    assert_eq!(client.conn.requests_left(), Some(0));
    assert!(!client.conn.may_send_request(ms(0)));
    assert_eq!(
        client.conn.poll_action(),
        Action::Close(CloseReason::MaxReached)
    );
}

// ----- timeouts -----

#[test]
fn server_closes_after_idle_timeout() {
    let mut p = Pair::default_pair();
    p.exchange(&[], &[], b"");
    let done = p.now;
    assert_eq!(
        p.server.conn.poll_timeout(),
        Some(done + Duration::from_secs(5))
    );
    // The client's own deadline (timeout 5 - margin 1) comes first.
    assert_eq!(
        p.client.conn.poll_timeout(),
        Some(done + Duration::from_secs(4))
    );
    // A spurious early timeout does nothing.
    p.server
        .conn
        .handle_timeout(done + Duration::from_millis(4_999));
    assert_eq!(p.server.conn.poll_action(), Action::Reuse);
    assert!(p.jump());
    assert_eq!(p.now, done + Duration::from_secs(4));
    assert_eq!(
        p.client.conn.poll_action(),
        Action::Close(CloseReason::IdleTimeout)
    );
    assert_eq!(p.server.conn.poll_action(), Action::Reuse);
    assert!(p.jump());
    assert_eq!(p.now, done + Duration::from_secs(5));
    assert_eq!(
        p.server.conn.poll_action(),
        Action::Close(CloseReason::IdleTimeout)
    );
    assert_eq!(
        p.server.conn.persistence(),
        Persistence::Close(CloseReason::IdleTimeout)
    );
    assert_eq!(p.server.conn.poll_timeout(), None);
    assert!(!p.jump());
    // Bytes arriving after the decision are unexpected.
    p.server
        .inbox
        .extend_from_slice(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    p.server_drain();
    assert_eq!(
        p.server.errors,
        vec![ProtocolError::new(ErrorKind::UnexpectedData, 0)]
    );
}

#[test]
fn server_idle_timeout_from_config() {
    let mut server = Config::new();
    server.idle_timeout = Duration::from_secs(2);
    let mut p = Pair::new(Config::new(), server);
    let head = p.exchange(&[], &[], b"");
    assert_eq!(
        keep_alive_line(&head).as_deref(),
        Some("Keep-Alive: timeout=2, max=99")
    );
    // The client, told timeout=2 with a 1 s margin, gives up after 1 s.
    assert!(
        p.client
            .conn
            .may_send_request(p.now + Duration::from_millis(999))
    );
    assert!(
        !p.client
            .conn
            .may_send_request(p.now + Duration::from_millis(1_000))
    );
    let start = p.now;
    while p.jump() {}
    assert_eq!(p.now, start + Duration::from_secs(2));
    assert_eq!(
        p.server.conn.poll_action(),
        Action::Close(CloseReason::IdleTimeout)
    );
    assert_eq!(
        p.client.conn.poll_action(),
        Action::Close(CloseReason::IdleTimeout)
    );
}

#[test]
fn client_reuse_window_uses_hint_and_margin() {
    let mut p = Pair::default_pair();
    let head = p.exchange(&[], &[], b"");
    assert!(has_line(&head, "Keep-Alive: timeout=5, max=99"));
    let idle = p.now;
    assert!(
        p.client
            .conn
            .may_send_request(idle + Duration::from_millis(3_900))
    );
    assert!(
        !p.client
            .conn
            .may_send_request(idle + Duration::from_millis(4_000))
    );
    // Reusing within the window works, and restarts the window.
    p.advance(3_900);
    assert!(p.client.conn.may_send_request(p.now));
    p.exchange(&[], &[], b"");
    let idle = p.now;
    assert!(
        p.client
            .conn
            .may_send_request(idle + Duration::from_millis(3_999))
    );
    assert!(
        !p.client
            .conn
            .may_send_request(idle + Duration::from_millis(4_000))
    );
    // The client's clock reaches its deadline: it stops offering reuse.
    p.now = idle + Duration::from_millis(4_000);
    p.client.conn.handle_timeout(p.now);
    assert_eq!(
        p.client.conn.poll_action(),
        Action::Close(CloseReason::IdleTimeout)
    );
    assert!(!p.client.conn.may_send_request(idle));
}

#[test]
fn client_without_hint_uses_its_config() {
    let mut client = Config::new();
    client.idle_timeout = Duration::from_secs(10);
    client.idle_margin = Duration::from_millis(500);
    let mut server = Config::new();
    server.announce_keep_alive = false;
    let mut p = Pair::new(client, server);
    p.exchange(&[], &[], b"");
    assert_eq!(p.client.conn.peer_keep_alive().timeout, None);
    assert!(
        p.client
            .conn
            .may_send_request(p.now + Duration::from_millis(9_499))
    );
    assert!(
        !p.client
            .conn
            .may_send_request(p.now + Duration::from_millis(9_500))
    );
}

#[test]
fn slow_loris_head_timeout() {
    let mut server = Config::new();
    server.head_timeout = Duration::from_secs(3);
    let mut p = Pair::new(Config::new(), server);
    p.server
        .inbox
        .extend_from_slice(b"GET /slow HTTP/1.1\r\nHost: ex");
    let got = p.server_drain();
    assert_eq!(got, vec![]);
    assert_eq!(p.server.conn.recv_state(), HalfState::Head);
    assert_eq!(p.server.inbox.len(), 28, "nothing consumed");
    assert_eq!(p.server.conn.poll_action(), Action::Continue);
    let started = p.now;
    assert_eq!(
        p.server.conn.poll_timeout(),
        Some(started + Duration::from_secs(3))
    );
    p.now = started + Duration::from_secs(3);
    p.server.conn.handle_timeout(p.now);
    assert_eq!(
        p.server.conn.poll_action(),
        Action::Close(CloseReason::HeadTimeout)
    );
    assert_eq!(p.server.conn.poll_timeout(), None);
    // The server may still answer 408, which says Connection: close.
    let head = p.respond(408, &[], b"");
    assert_eq!(
        text(&head),
        "HTTP/1.1 408 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(
        p.server.conn.poll_action(),
        Action::Close(CloseReason::HeadTimeout)
    );
    // But only one response.
    let mut buf = [0u8; 128];
    assert_eq!(
        p.server.conn.send_response(p.now, 400, b"x", &[], &mut buf),
        Err(UsageError::WrongState)
    );
    // The rest of the head is unexpected now.
    p.server.inbox.extend_from_slice(b"ample\r\n\r\n");
    p.server_drain();
    assert_eq!(
        p.server.errors,
        vec![ProtocolError::new(ErrorKind::UnexpectedData, 0)]
    );
    assert_eq!(
        p.server.conn.poll_action(),
        Action::Close(CloseReason::HeadTimeout)
    );
}

// ----- 1xx and Expect -----

#[test]
fn interim_responses_then_final() {
    let mut p = Pair::default_pair();
    p.get(&[]);
    p.server_drain();
    let head = p.response_head(102, "Processing", &[]);
    assert_eq!(head, b"HTTP/1.1 102 Processing\r\n\r\n");
    let head = p.response_head(103, "Early Hints", &[h("Link", "</a.css>; rel=preload")]);
    assert_eq!(
        head,
        b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
    );
    assert_eq!(p.server.conn.poll_action(), Action::Continue);
    let got = p.client_drain();
    assert_eq!(
        got,
        vec![Ev::Response { status: 102 }, Ev::Response { status: 103 }]
    );
    assert_eq!(p.client.conn.poll_action(), Action::Continue);
    assert_eq!(p.client.conn.retry_safety(), RetrySafety::ResponsePartial);
    p.respond(200, &[], b"done");
    let got = p.client_drain();
    assert_eq!(
        got,
        vec![
            Ev::Response { status: 200 },
            Ev::Body(b"done".to_vec()),
            Ev::End
        ]
    );
    assert_eq!(p.client.conn.poll_action(), Action::Reuse);
    assert_eq!(p.server.conn.poll_action(), Action::Reuse);
    assert_eq!(p.client.conn.exchanges(), 1);
    p.assert_no_errors();
}

#[test]
fn expect_continue_holds_the_body_until_100() {
    let mut p = Pair::default_pair();
    p.request_head(
        "PUT",
        "/f",
        Version::Http11,
        &[
            h("Host", "x"),
            h("Content-Length", "5"),
            h("Expect", "100-continue"),
        ],
    );
    assert!(!p.client.conn.may_send_body());
    assert_eq!(p.client.conn.send_body(5), Err(UsageError::BodyHeld));
    let deadline = p.client.conn.poll_timeout();
    assert_eq!(deadline, Some(p.now + Duration::from_secs(1)));
    let got = p.server_drain();
    assert_eq!(
        got,
        vec![Ev::Request {
            method: "PUT".into(),
            target: "/f".into(),
            version: Version::Http11
        }]
    );
    let head = p.response_head(100, "Continue", &[]);
    assert_eq!(head, b"HTTP/1.1 100 Continue\r\n\r\n");
    let got = p.client_drain();
    assert_eq!(got, vec![Ev::Response { status: 100 }]);
    assert!(p.client.conn.may_send_body());
    assert_eq!(
        p.client.conn.poll_timeout(),
        None,
        "the continue deadline is stopped"
    );
    p.request_body(b"hello");
    let got = p.server_drain();
    assert_eq!(got, vec![Ev::Body(b"hello".to_vec()), Ev::End]);
    p.respond(201, &[], b"");
    let got = p.client_drain();
    assert_eq!(got, vec![Ev::Response { status: 201 }, Ev::End]);
    assert_eq!(p.client.conn.poll_action(), Action::Reuse);
    assert_eq!(p.server.conn.poll_action(), Action::Reuse);
    p.assert_no_errors();
}

#[test]
fn expect_continue_deadline_releases_the_body() {
    let mut p = Pair::default_pair();
    p.request_head(
        "POST",
        "/",
        Version::Http11,
        &[
            h("Host", "x"),
            h("Content-Length", "3"),
            h("Expect", "100-continue"),
        ],
    );
    assert!(!p.client.conn.may_send_body());
    p.advance(999);
    p.client.conn.handle_timeout(p.now);
    assert!(!p.client.conn.may_send_body());
    assert!(p.jump());
    assert!(p.client.conn.may_send_body());
    p.request_body(b"abc");
    let got = p.server_drain();
    assert_eq!(got[1..], [Ev::Body(b"abc".to_vec()), Ev::End]);
    p.respond(200, &[], b"");
    p.client_drain();
    assert_eq!(p.client.conn.poll_action(), Action::Reuse);
    p.assert_no_errors();
}

#[test]
fn final_response_before_the_body_closes() {
    let mut p = Pair::default_pair();
    p.request_head(
        "POST",
        "/",
        Version::Http11,
        &[
            h("Host", "x"),
            h("Content-Length", "3"),
            h("Expect", "100-continue"),
        ],
    );
    p.server_drain();
    // The server refuses without reading the body: it cannot read the next request.
    p.respond(413, &[h("Connection", "close")], b"");
    p.client_drain();
    assert!(matches!(p.client.conn.persistence(), Persistence::Close(_)));
    assert!(!p.client.conn.may_send_request(p.now));
}

// ----- protocol switch -----

#[test]
fn switching_protocols() {
    let mut p = Pair::default_pair();
    p.get(&[h("Connection", "upgrade"), h("Upgrade", "websocket")]);
    p.server_drain();
    let head = p.response_head(
        101,
        "Switching Protocols",
        &[h("Connection", "upgrade"), h("Upgrade", "websocket")],
    );
    assert_eq!(
        head,
        b"HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n"
    );
    assert_eq!(p.server.conn.poll_action(), Action::Switched);
    assert_eq!(
        p.server.conn.persistence(),
        Persistence::Close(CloseReason::ProtocolSwitch)
    );
    p.client.inbox.extend_from_slice(b"\x81\x05hello");
    let got = p.client_drain();
    assert_eq!(got, vec![Ev::Response { status: 101 }, Ev::Switched]);
    assert_eq!(
        p.client.inbox, b"\x81\x05hello",
        "the new protocol's bytes are not consumed"
    );
    assert_eq!(p.client.conn.poll_action(), Action::Switched);
    assert!(!p.client.conn.may_send_request(p.now));
    assert_eq!(p.client.conn.poll_timeout(), None);
    // Still switched, whatever comes.
    let again = p.client.conn.handle_input(p.now, b"more").unwrap();
    assert_eq!((again.bytes, again.event), (0, Event::Switched));
    p.assert_no_errors();
}

#[test]
fn connect_2xx_is_a_tunnel() {
    let mut p = Pair::default_pair();
    p.request_head(
        "CONNECT",
        "example.test:443",
        Version::Http11,
        &[h("Host", "example.test:443")],
    );
    p.request_body(b"");
    p.server_drain();
    p.response_head(200, "Connection Established", &[]);
    assert_eq!(p.server.conn.poll_action(), Action::Switched);
    p.client.inbox.extend_from_slice(b"\x16\x03\x01");
    let got = p.client_drain();
    assert_eq!(got, vec![Ev::Response { status: 200 }, Ev::Switched]);
    assert_eq!(p.client.inbox, b"\x16\x03\x01");
    assert_eq!(p.client.conn.poll_action(), Action::Switched);
}

// ----- responses without a body -----

#[test]
fn head_response_has_no_body() {
    let mut p = Pair::default_pair();
    p.request("HEAD", "/big", Version::Http11, &[], b"");
    p.server_drain();
    let head = p.response_head(200, "OK", &[h("Content-Length", "1000")]);
    assert_eq!(
        p.server.conn.send_state(),
        HalfState::Idle,
        "no body follows a HEAD response"
    );
    assert!(has_line(&head, "Content-Length: 1000"));
    p.server.conn.finish_message(p.now).unwrap();
    let got = p.client_drain();
    assert_eq!(got, vec![Ev::Response { status: 200 }, Ev::End]);
    assert_eq!(p.client.conn.poll_action(), Action::Reuse);
    assert_eq!(p.server.conn.poll_action(), Action::Reuse);
    // The next exchange reads cleanly: no body bytes were expected.
    p.exchange(&[], &[], b"next");
    p.assert_no_errors();
}

#[test]
fn no_content_and_not_modified() {
    for status in [204u16, 304] {
        let mut p = Pair::default_pair();
        p.get(&[]);
        p.server_drain();
        let head = p.response_head(status, "X", &[]);
        assert_eq!(
            text(&head),
            format!(
                "HTTP/1.1 {status} X\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5, max=99\r\n\r\n"
            )
        );
        assert_eq!(p.server.conn.poll_action(), Action::Reuse);
        // A following response's bytes stay for the next exchange.
        let got = p.client_drain();
        assert_eq!(got, vec![Ev::Response { status }, Ev::End]);
        assert_eq!(p.client.conn.poll_action(), Action::Reuse);
        p.exchange(&[], &[], b"z");
        p.assert_no_errors();
    }
}

// ----- chunked -----

fn chunked_response() -> Vec<u8> {
    let mut wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    let mut line = [0u8; 32];
    for piece in [&b"hello"[..], b" ", b"chunked world"] {
        let n = write_chunk_header(&mut line, piece.len()).unwrap();
        wire.extend_from_slice(&line[..n]);
        wire.extend_from_slice(piece);
        wire.extend_from_slice(b"\r\n");
    }
    // The last chunk with a trailer section, by hand; `write_last_chunk` is
    // the empty-trailer form.
    let n = write_last_chunk(&mut line).unwrap();
    assert_eq!(&line[..n], b"0\r\n\r\n");
    wire.extend_from_slice(b"0\r\nExpires: never\r\nX-Checksum: 42\r\n\r\n");
    wire
}

/// Feeds `wire` to a client waiting for a GET response, cut at `cuts`.
fn feed_client(wire: &[u8], cuts: &[usize]) -> (Vec<Ev>, Vec<ProtocolError>, Connection) {
    let mut client = Side::new(Role::Client, Config::new(), ms(0));
    let mut buf = [0u8; 256];
    client
        .conn
        .send_request(
            ms(0),
            b"GET",
            b"/",
            Version::Http11,
            &[h("Host", "x")],
            &mut buf,
        )
        .unwrap();
    let mut at = 0;
    for &cut in cuts.iter().chain([wire.len()].iter()) {
        client.inbox.extend_from_slice(&wire[at..cut]);
        at = cut;
        client.drain(ms(0));
    }
    (normalize(&client.events), client.errors, client.conn)
}

/// Joins adjacent body events, so logs compare independently of splits.
fn normalize(events: &[Ev]) -> Vec<Ev> {
    let mut out: Vec<Ev> = Vec::new();
    for ev in events {
        match (out.last_mut(), ev) {
            (Some(Ev::Body(acc)), Ev::Body(more)) => acc.extend_from_slice(more),
            _ => out.push(ev.clone()),
        }
    }
    out
}

#[test]
fn chunked_with_trailers_in_every_split() {
    let wire = chunked_response();
    let want = vec![
        Ev::Response { status: 200 },
        Ev::Body(b"hello chunked world".to_vec()),
        Ev::Trailers(vec![
            ("Expires".into(), "never".into()),
            ("X-Checksum".into(), "42".into()),
        ]),
        Ev::End,
    ];
    let (events, errors, conn) = feed_client(&wire, &[]);
    assert_eq!((events, errors), (want.clone(), vec![]));
    assert_eq!(conn.poll_action(), Action::Reuse);
    for a in 0..=wire.len() {
        let (events, errors, conn) = feed_client(&wire, &[a]);
        assert_eq!((&events, &errors), (&want, &vec![]), "split at {a}");
        assert_eq!(conn.poll_action(), Action::Reuse);
    }
    for a in 0..=wire.len() {
        for b in a..=wire.len() {
            let (events, errors, _) = feed_client(&wire, &[a, b]);
            assert_eq!((&events, &errors), (&want, &vec![]), "split at {a}, {b}");
        }
    }
    // One byte at a time.
    let cuts: Vec<usize> = (1..wire.len()).collect();
    let (events, errors, conn) = feed_client(&wire, &cuts);
    assert_eq!((events, errors), (want, vec![]));
    assert_eq!(conn.poll_action(), Action::Reuse);
}

#[test]
fn chunked_request_body_through_the_pair() {
    let mut p = Pair::default_pair();
    p.request_head(
        "POST",
        "/up",
        Version::Http11,
        &[h("Host", "x"), h("Transfer-Encoding", "chunked")],
    );
    let mut line = [0u8; 16];
    let mut sent = Vec::new();
    let n = write_chunk_header(&mut line, 3).unwrap();
    sent.extend_from_slice(&line[..n]);
    sent.extend_from_slice(b"abc\r\n");
    let n = write_last_chunk(&mut line).unwrap();
    sent.extend_from_slice(&line[..n]);
    p.client.conn.send_body(sent.len()).unwrap();
    p.server.inbox.extend_from_slice(&sent);
    p.client.conn.finish_message(p.now).unwrap();
    let got = p.server_drain();
    assert_eq!(got[1..], [Ev::Body(b"abc".to_vec()), Ev::End]);
    p.respond(200, &[], b"");
    p.client_drain();
    assert_eq!(p.client.conn.poll_action(), Action::Reuse);
    p.assert_no_errors();
}

#[test]
fn close_delimited_response_ends_at_eof() {
    let (events, errors, mut conn) = feed_client(b"HTTP/1.1 200 OK\r\n\r\nuntil the end", &[20]);
    assert_eq!(errors, vec![]);
    assert_eq!(
        events,
        vec![
            Ev::Response { status: 200 },
            Ev::Body(b"until the end".to_vec())
        ]
    );
    assert_eq!(
        conn.persistence(),
        Persistence::Close(CloseReason::CloseDelimited)
    );
    assert_eq!(conn.handle_eof(ms(1)), Ok(Some(Event::MessageEnd)));
    assert_eq!(
        conn.poll_action(),
        Action::Close(CloseReason::CloseDelimited)
    );
    assert_eq!(conn.retry_safety(), RetrySafety::NotSent);
}

// ----- pipelining on the server -----

#[test]
fn server_pauses_pipelined_requests() {
    let mut p = Pair::default_pair();
    p.server
        .inbox
        .extend_from_slice(b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n");
    let got = p.server_drain();
    assert_eq!(
        got,
        vec![
            Ev::Request {
                method: "GET".into(),
                target: "/1".into(),
                version: Version::Http11
            },
            Ev::End,
            Ev::Paused
        ]
    );
    assert_eq!(p.server.inbox.len(), 28, "the second request is kept");
    assert_eq!(p.server.conn.poll_action(), Action::Continue);
    // Still paused while the response is being written.
    let mut buf = [0u8; 256];
    p.server
        .conn
        .send_response(p.now, 200, b"OK", &[h("Content-Length", "2")], &mut buf)
        .unwrap();
    assert_eq!(p.server_drain(), vec![Ev::Paused]);
    p.server.conn.send_body(2).unwrap();
    p.server.conn.finish_message(p.now).unwrap();
    assert_eq!(
        p.server.conn.requests_left(),
        Some(99),
        "the paused request is not read yet"
    );
    let got = p.server_drain();
    assert_eq!(
        got,
        vec![
            Ev::Request {
                method: "GET".into(),
                target: "/2".into(),
                version: Version::Http11
            },
            Ev::End
        ]
    );
    assert!(p.server.inbox.is_empty());
    assert_eq!(p.server.conn.requests_left(), Some(98));
    let head = p.response_head(200, "OK", &[h("Content-Length", "0")]);
    assert!(has_line(&head, "Keep-Alive: timeout=5, max=98"));
    p.server.conn.finish_message(p.now).unwrap();
    assert_eq!(p.server.conn.poll_action(), Action::Reuse);
    assert_eq!(p.server.conn.exchanges(), 2);
    p.assert_no_errors();
}

// ----- errors -----

#[test]
fn bad_requests_get_one_400_then_close() {
    let cases: &[(&[u8], ErrorKind, usize)] = &[
        (b"GET / HTTP/1.1\nHost: x\r\n\r\n", ErrorKind::BareLf, 14),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  folded\r\n\r\n",
            ErrorKind::ObsFold,
            33,
        ),
        (
            b"GET / HTTP/1.1\r\nHost : x\r\n\r\n",
            ErrorKind::WhitespaceBeforeColon,
            20,
        ),
    ];
    for &(input, kind, offset) in cases {
        let mut p = Pair::default_pair();
        p.server.inbox.extend_from_slice(input);
        let got = p.server_drain();
        assert_eq!(got, vec![]);
        assert_eq!(p.server.errors.len(), 1, "{}", text(input));
        let error = p.server.errors[0];
        assert_eq!(error.kind, kind, "{}", text(input));
        assert_eq!(error.offset, offset, "{}", text(input));
        assert_eq!(error.status_hint(), 400);
        assert_eq!(
            p.server.conn.persistence(),
            Persistence::Close(CloseReason::ProtocolError)
        );
        let head = p.respond(400, &[], b"bad");
        assert_eq!(
            text(&head),
            "HTTP/1.1 400 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\n"
        );
        assert_eq!(
            p.server.conn.poll_action(),
            Action::Close(CloseReason::ProtocolError)
        );
        let mut buf = [0u8; 128];
        assert_eq!(
            p.server.conn.send_response(p.now, 400, b"x", &[], &mut buf),
            Err(UsageError::WrongState)
        );
        // Nothing more is read.
        let again = p.server.conn.handle_input(p.now, b"GET / HTTP/1.1\r\n");
        assert_eq!(again, Err(ProtocolError::new(ErrorKind::UnexpectedData, 0)));
        assert_eq!(
            p.server.conn.poll_action(),
            Action::Close(CloseReason::ProtocolError)
        );
    }
}

#[test]
fn bad_request_split_reports_offset_from_head_start() {
    // The error offset counts from the start of the slice passed, which
    // starts at the head (the unconsumed bytes are passed again).
    let input = b"GET / HTTP/1.1\r\nHost: x\r\nBad\x01: y\r\n\r\n";
    let whole = {
        let mut s = Side::new(Role::Server, Config::new(), ms(0));
        s.inbox.extend_from_slice(input);
        s.drain(ms(0));
        s.errors
    };
    assert_eq!(whole.len(), 1);
    for cut in 1..input.len() {
        let mut s = Side::new(Role::Server, Config::new(), ms(0));
        s.inbox.extend_from_slice(&input[..cut]);
        s.drain(ms(0));
        s.inbox.extend_from_slice(&input[cut..]);
        s.drain(ms(0));
        assert_eq!(s.errors, whole, "cut {cut}");
    }
}

#[test]
fn http2_start_line_gets_505() {
    let mut s = Side::new(Role::Server, Config::new(), ms(0));
    s.inbox
        .extend_from_slice(b"GET / HTTP/2.0\r\nHost: x\r\n\r\n");
    s.drain(ms(0));
    assert_eq!(s.errors.len(), 1);
    assert_eq!(s.errors[0].kind, ErrorKind::UnsupportedVersion);
    assert_eq!(s.errors[0].status_hint(), 505);
}

#[test]
fn bad_response_closes_the_client() {
    let (events, errors, conn) = feed_client(
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        &[],
    );
    assert_eq!(events, vec![]);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind, ErrorKind::ConflictingContentLength);
    assert_eq!(
        conn.poll_action(),
        Action::Close(CloseReason::ProtocolError)
    );
    assert!(!conn.may_send_request(ms(0)));
    assert_eq!(conn.retry_safety(), RetrySafety::ResponsePartial);
}

#[test]
fn data_at_an_idle_client_is_unsolicited() {
    let mut p = Pair::default_pair();
    p.client.inbox.extend_from_slice(b"HTTP/1.1 200 OK\r\n\r\n");
    p.client_drain();
    assert_eq!(
        p.client.errors,
        vec![ProtocolError::new(ErrorKind::UnsolicitedResponse, 0)]
    );
    assert_eq!(
        p.client.conn.poll_action(),
        Action::Close(CloseReason::UnsolicitedData)
    );
    assert!(!p.client.conn.may_send_request(p.now));
    // Also after a completed exchange.
    let mut p = Pair::default_pair();
    p.exchange(&[], &[], b"");
    p.client.inbox.extend_from_slice(b"HTTP/1.1 200 OK\r\n\r\n");
    p.client_drain();
    assert_eq!(
        p.client.errors,
        vec![ProtocolError::new(ErrorKind::UnsolicitedResponse, 0)]
    );
}

#[test]
fn data_after_the_close_decision_is_unexpected() {
    let mut p = Pair::default_pair();
    p.exchange(&[h("Connection", "close")], &[], b"");
    assert_eq!(
        p.client.conn.poll_action(),
        Action::Close(CloseReason::RequestClose)
    );
    p.client.inbox.extend_from_slice(b"HTTP/1.1 200 OK\r\n\r\n");
    p.client_drain();
    assert_eq!(
        p.client.errors,
        vec![ProtocolError::new(ErrorKind::UnexpectedData, 0)]
    );
    p.server
        .inbox
        .extend_from_slice(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    p.server_drain();
    assert_eq!(
        p.server.errors,
        vec![ProtocolError::new(ErrorKind::UnexpectedData, 0)]
    );
    // Empty input is fine.
    assert_eq!(
        p.server.conn.handle_input(p.now, b"").unwrap().event,
        Event::NeedData
    );
}

#[test]
fn bytes_after_a_complete_response_stay_unconsumed() {
    // A response with more bytes than its length: the extra stays in the
    // inbox and is rejected as unsolicited.
    let (events, errors, _) =
        feed_client(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA", &[]);
    assert_eq!(
        events,
        vec![
            Ev::Response { status: 200 },
            Ev::Body(b"ok".to_vec()),
            Ev::End
        ]
    );
    assert_eq!(
        errors,
        vec![ProtocolError::new(ErrorKind::UnsolicitedResponse, 0)]
    );
}

// ----- retry safety and EOF -----

#[test]
fn retry_safety_classes() {
    // Nothing sent.
    let mut p = Pair::default_pair();
    assert_eq!(p.client.conn.retry_safety(), RetrySafety::NotSent);
    assert_eq!(p.client.conn.handle_eof(p.now), Ok(None));
    assert_eq!(p.client.conn.retry_safety(), RetrySafety::NotSent);
    assert_eq!(
        p.client.conn.poll_action(),
        Action::Close(CloseReason::PeerClosed)
    );

    // Sent, and the server closed before any response byte.
    let mut p = Pair::default_pair();
    p.get(&[]);
    assert_eq!(p.client.conn.retry_safety(), RetrySafety::SentNoResponse);
    let eof = p.client.conn.handle_eof(p.now);
    assert_eq!(
        eof,
        Err(ProtocolError::new(ErrorKind::IncompleteMessage, 0))
    );
    assert_eq!(p.client.conn.retry_safety(), RetrySafety::SentNoResponse);
    assert!(matches!(
        p.client.conn.poll_action(),
        Action::Close(CloseReason::PeerClosed)
    ));
    assert!(!p.client.conn.may_send_request(p.now));

    // A keep-alive connection closed by the server between exchanges: the
    // next request was never sent.
    let mut p = Pair::default_pair();
    p.exchange(&[], &[], b"");
    assert_eq!(p.client.conn.retry_safety(), RetrySafety::NotSent);
    assert_eq!(p.client.conn.handle_eof(p.now), Ok(None));
    assert_eq!(p.client.conn.retry_safety(), RetrySafety::NotSent);

    // Part of the response arrived.
    let mut p = Pair::default_pair();
    p.get(&[]);
    p.client
        .inbox
        .extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-");
    p.client_drain();
    assert_eq!(p.client.conn.retry_safety(), RetrySafety::ResponsePartial);
    assert!(p.client.conn.handle_eof(p.now).is_err());
    assert_eq!(p.client.conn.retry_safety(), RetrySafety::ResponsePartial);

    // The head arrived, the body was cut.
    let mut p = Pair::default_pair();
    p.get(&[]);
    p.client
        .inbox
        .extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    p.client_drain();
    assert_eq!(p.client.conn.retry_safety(), RetrySafety::ResponsePartial);
    assert_eq!(
        p.client.conn.handle_eof(p.now),
        Err(ProtocolError::new(ErrorKind::IncompleteMessage, 0))
    );
    assert_eq!(p.client.conn.retry_safety(), RetrySafety::ResponsePartial);
    assert_eq!(
        p.client.conn.poll_action(),
        Action::Close(CloseReason::PeerClosed)
    );
}

#[test]
fn server_eof_between_and_within_requests() {
    let mut s = Side::new(Role::Server, Config::new(), ms(0));
    assert_eq!(s.conn.handle_eof(ms(0)), Ok(None));
    assert_eq!(s.conn.poll_action(), Action::Close(CloseReason::PeerClosed));
    let mut s = Side::new(Role::Server, Config::new(), ms(0));
    s.inbox.extend_from_slice(b"GET / HTT");
    s.drain(ms(0));
    assert!(s.conn.handle_eof(ms(0)).is_err());
    assert_eq!(s.conn.poll_action(), Action::Close(CloseReason::PeerClosed));
    assert_eq!(s.conn.poll_timeout(), None);
}

#[test]
fn local_close() {
    let mut p = Pair::default_pair();
    p.exchange(&[], &[], b"");
    p.client.conn.close(p.now);
    assert_eq!(
        p.client.conn.poll_action(),
        Action::Close(CloseReason::LocalClose)
    );
    assert!(!p.client.conn.may_send_request(p.now));
    assert_eq!(p.client.conn.poll_timeout(), None);
}

// ----- usage errors leave the state unchanged -----

#[test]
fn usage_errors() {
    let mut p = Pair::default_pair();
    let mut buf = [0u8; 256];
    assert_eq!(
        p.server
            .conn
            .send_response(p.now, 200, b"OK", &[], &mut buf),
        Err(UsageError::WrongState)
    );
    assert_eq!(
        p.server.conn.send_request(
            p.now,
            b"GET",
            b"/",
            Version::Http11,
            &[h("Host", "x")],
            &mut buf
        ),
        Err(UsageError::WrongState)
    );
    let before = p.client.conn.clone();
    assert!(matches!(
        p.client.conn.send_request(
            p.now,
            b"GET",
            b"/",
            Version::Http11,
            &[h("Host", "x")],
            &mut buf[..4]
        ),
        Err(UsageError::BufferTooSmall { .. })
    ));
    assert!(matches!(
        p.client.conn.send_request(
            p.now,
            b"GET",
            b"/",
            Version::Http11,
            &[h("X", "a\r\nb")],
            &mut buf
        ),
        Err(UsageError::InvalidHead(_))
    ));
    assert_eq!(p.client.conn, before);
    p.request_head(
        "POST",
        "/",
        Version::Http11,
        &[h("Host", "x"), h("Content-Length", "2")],
    );
    assert_eq!(p.client.conn.send_body(3), Err(UsageError::BodyTooLong));
    assert_eq!(
        p.client.conn.finish_message(p.now),
        Err(UsageError::BodyIncomplete)
    );
    p.request_body(b"ok");
}

#[test]
fn connection_size() {
    use std::mem::size_of;
    let size = size_of::<Connection>();
    let borrowing = size_of::<Connection<&'static Config>>();
    println!(
        "size_of::<Connection>() = {size} bytes, borrowing its Config {borrowing} (Config {}, HeadScanner {}, BodyDecoder {}, KeepAlive {})",
        size_of::<Config>(),
        size_of::<h1conn::wire::HeadScanner>(),
        size_of::<h1conn::body::BodyDecoder>(),
        size_of::<h1conn::wire::KeepAlive>(),
    );
    // Measured on x86_64: 120 bytes, 72 borrowing the Config; on thumbv7em
    // (scripts/footprint.sh) 108 and 64. The engine's own state is 60
    // bytes on both (on x86_64 the 8-byte pointer pads it to 72).
    if cfg!(target_pointer_width = "64") {
        assert!(
            size <= 120,
            "size_of::<Connection>() = {size} bytes, over the measured bound of 120"
        );
        assert!(
            borrowing <= 72,
            "size_of::<Connection<&Config>>() = {borrowing} bytes, over the measured bound of 72"
        );
    } else if cfg!(target_pointer_width = "32") {
        assert!(
            borrowing <= 64,
            "size_of::<Connection<&Config>>() = {borrowing} bytes, over the goal of 64"
        );
    }
}

// ----- properties -----

const TESTS: u64 = 500;

fn check<A: quickcheck::Testable>(tests: u64, prop: A) {
    QuickCheck::new()
        .tests(tests)
        .max_tests(tests * 10)
        .quickcheck(prop);
}

/// Bytes biased towards HTTP: fragments of valid messages mixed with noise.
#[derive(Clone, Debug)]
struct Stream(Vec<u8>);

const FRAGMENTS: &[&[u8]] = &[
    b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    b"POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
    b"POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT: 1\r\n\r\n",
    b"PUT /e HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok",
    b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
    b"HTTP/1.1 100 Continue\r\n\r\n",
    b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
    b"HTTP/1.1 204 No Content\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1, max=1\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nrest",
    b"\r\n",
    b"\n",
    b" ",
    b"Host: b\r\n",
    b"Content-Length: 3\r\n",
];

impl Arbitrary for Stream {
    fn arbitrary(g: &mut Gen) -> Self {
        let mut bytes = Vec::new();
        let parts = usize::arbitrary(g) % 5;
        for _ in 0..parts {
            if u8::arbitrary(g) % 4 == 0 {
                let noise: Vec<u8> = Arbitrary::arbitrary(g);
                bytes.extend(noise.into_iter().take(8));
            } else {
                let fragment = g.choose(FRAGMENTS).copied().unwrap_or_default();
                bytes.extend_from_slice(fragment);
                if u8::arbitrary(g) % 8 == 0 && !bytes.is_empty() {
                    let i = usize::arbitrary(g) % bytes.len();
                    bytes[i] = u8::arbitrary(g);
                }
            }
        }
        Self(bytes)
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        Box::new(self.0.shrink().map(Stream))
    }
}

/// What a server makes of `stream` cut at `cuts`; it answers each request
/// with an empty 200 once the request is complete (and when paused).
fn server_log(stream: &[u8], cuts: &[usize]) -> (Vec<Ev>, Vec<ProtocolError>) {
    let mut side = Side::new(Role::Server, Config::new(), ms(0));
    let mut bounds: Vec<usize> = cuts.iter().map(|&c| c % (stream.len() + 1)).collect();
    bounds.push(stream.len());
    bounds.sort_unstable();
    let mut at = 0;
    let mut buf = [0u8; 256];
    for cut in bounds {
        side.inbox.extend_from_slice(&stream[at..cut]);
        at = cut;
        loop {
            side.drain(ms(0));
            if !side.abs_errors.is_empty() {
                break;
            }
            let paused = side.events.last() == Some(&Ev::Paused);
            if paused {
                side.events.pop();
            }
            // Answer a complete request; the answer cannot depend on splits.
            if side.conn.recv_state() == HalfState::Done
                && side.conn.send_state() == HalfState::Idle
            {
                side.conn
                    .send_response(ms(0), 200, b"OK", &[h("Content-Length", "0")], &mut buf)
                    .unwrap();
                side.conn.finish_message(ms(0)).unwrap();
            }
            if !paused {
                break;
            }
        }
        if !side.abs_errors.is_empty() {
            break;
        }
    }
    (normalize(&side.events), side.abs_errors)
}

/// The server answers only once a request is complete; answering the
/// fully received request happens identically whatever the split, so the
/// log depends on the bytes only.
#[test]
fn prop_server_events_independent_of_splits() {
    fn prop(stream: Stream, cuts: Vec<usize>) -> TestResult {
        let whole = server_log(&stream.0, &[]);
        let split = server_log(&stream.0, &cuts);
        if whole == split {
            TestResult::passed()
        } else {
            TestResult::error(format!(
                "{:?}\nwhole {whole:?}\nsplit {split:?}",
                text(&stream.0)
            ))
        }
    }
    check(TESTS * 4, prop as fn(Stream, Vec<usize>) -> TestResult);
}

/// One thing that can happen to a connection.
#[derive(Clone, Debug)]
enum Op {
    Input(Vec<u8>),
    Eof,
    Advance(u64),
    Timeout,
    Request {
        method: u8,
        version: bool,
        close: bool,
        length: Option<u8>,
        expect: bool,
    },
    Response {
        status: u16,
        close: bool,
        length: Option<u8>,
    },
    Body(u8),
    Finish,
    Close,
}

impl Arbitrary for Op {
    fn arbitrary(g: &mut Gen) -> Self {
        match u8::arbitrary(g) % 10 {
            0 | 1 => {
                if bool::arbitrary(g) {
                    Op::Input(Stream::arbitrary(g).0)
                } else {
                    let b: Vec<u8> = Arbitrary::arbitrary(g);
                    Op::Input(b)
                }
            }
            2 => {
                if u8::arbitrary(g) % 4 == 0 {
                    Op::Eof
                } else {
                    Op::Timeout
                }
            }
            3 => Op::Advance(
                u64::from(u16::arbitrary(g)) * if bool::arbitrary(g) { 1 } else { 1000 },
            ),
            4 => Op::Request {
                method: u8::arbitrary(g),
                version: bool::arbitrary(g),
                close: u8::arbitrary(g) % 4 == 0,
                length: Option::arbitrary(g),
                expect: u8::arbitrary(g) % 4 == 0,
            },
            5 => Op::Response {
                status: *g.choose(&[100, 101, 103, 200, 204, 304, 400, 500]).unwrap(),
                close: u8::arbitrary(g) % 4 == 0,
                length: Option::arbitrary(g),
            },
            6 => Op::Body(u8::arbitrary(g)),
            7 | 8 => Op::Finish,
            _ => {
                if u8::arbitrary(g) % 4 == 0 {
                    Op::Close
                } else {
                    Op::Timeout
                }
            }
        }
    }
}

/// Invariants that hold after every step.
struct Watch {
    closed: bool,
}

impl Watch {
    fn check(&mut self, conn: &Connection, now: Instant) -> Result<(), String> {
        let persistence = conn.persistence();
        if self.closed && persistence.is_keep_alive() {
            return Err("persistence went from Close back to KeepAlive".into());
        }
        if !persistence.is_keep_alive() {
            self.closed = true;
        }
        if self.closed && conn.may_send_request(now) {
            return Err("may_send_request after close".into());
        }
        if conn.recv_state() == HalfState::Body && conn.poll_action() == Action::Reuse {
            return Err("Reuse while receiving a body".into());
        }
        if conn.poll_action() == Action::Reuse && !persistence.is_keep_alive() {
            return Err("Reuse while closing".into());
        }
        if let Some(at) = conn.poll_timeout()
            && matches!(conn.poll_action(), Action::Close(_) | Action::Switched)
            && matches!(
                conn.send_state(),
                HalfState::Closed | HalfState::MustClose | HalfState::Switched
            )
        {
            return Err(format!("a deadline {at:?} after the end"));
        }
        Ok(())
    }
}

fn run_ops(role: Role, ops: &[Op]) -> Result<(), String> {
    let mut config = Config::new();
    config.max_requests = Some(3);
    config.head_timeout = Duration::from_secs(2);
    let mut now = ms(0);
    let mut conn = Connection::new(role, config, now);
    let mut watch = Watch { closed: false };
    let mut inbox: Vec<u8> = Vec::new();
    let mut buf = [0u8; 512];
    watch.check(&conn, now)?;
    for op in ops {
        match op {
            Op::Input(bytes) => {
                inbox.extend_from_slice(bytes);
                for _ in 0..1000 {
                    match conn.handle_input(now, &inbox) {
                        Ok(c) => {
                            if c.bytes > inbox.len() {
                                return Err("consumed more than given".into());
                            }
                            let stop = matches!(
                                c.event,
                                Event::NeedData | Event::Paused | Event::Switched
                            );
                            inbox.drain(..c.bytes);
                            watch.check(&conn, now)?;
                            if stop {
                                break;
                            }
                        }
                        Err(e) => {
                            if e.offset > inbox.len() {
                                return Err(format!(
                                    "error offset {e:?} past the input ({})",
                                    inbox.len()
                                ));
                            }
                            if conn.persistence().is_keep_alive() {
                                return Err(
                                    "a protocol error left the connection persistent".into()
                                );
                            }
                            inbox.clear();
                            break;
                        }
                    }
                }
            }
            Op::Eof => {
                let _ = conn.handle_eof(now);
                if conn.persistence().is_keep_alive() {
                    return Err("EOF left the connection persistent".into());
                }
            }
            Op::Advance(d) => now = now + Duration::from_millis(*d),
            Op::Timeout => {
                if let Some(at) = conn.poll_timeout() {
                    now = now.max(at);
                }
                conn.handle_timeout(now);
            }
            Op::Request {
                method,
                version,
                close,
                length,
                expect,
            } => {
                let method: &[u8] = [&b"GET"[..], b"HEAD", b"POST", b"PUT", b"CONNECT", b"DELETE"]
                    [usize::from(*method) % 6];
                let version = if *version {
                    Version::Http11
                } else {
                    Version::Http10
                };
                let len = length.map(|n| n.to_string());
                let mut headers = vec![h("Host", "a")];
                if *close {
                    headers.push(h("Connection", "close"));
                }
                if let Some(len) = &len {
                    headers.push(h("Content-Length", len));
                }
                if *expect {
                    headers.push(h("Expect", "100-continue"));
                }
                let target: &[u8] = if method == b"CONNECT" { b"a:443" } else { b"/" };
                let may = conn.may_send_request(now);
                let before = conn.clone();
                match conn.send_request(now, method, target, version, &headers, &mut buf) {
                    Ok(_) if !may => {
                        return Err(
                            "send_request succeeded although may_send_request was false".into()
                        );
                    }
                    Ok(_) => {}
                    Err(_) if conn != before => {
                        return Err("a usage error changed the state".into());
                    }
                    Err(_) => {}
                }
            }
            Op::Response {
                status,
                close,
                length,
            } => {
                let len = length.map(|n| n.to_string());
                let mut headers = vec![];
                if *close {
                    headers.push(h("Connection", "close"));
                }
                if let Some(len) = &len {
                    headers.push(h("Content-Length", len));
                }
                let before = conn.clone();
                if conn
                    .send_response(now, *status, b"R", &headers, &mut buf)
                    .is_err()
                    && conn != before
                {
                    return Err("a usage error changed the state".into());
                }
            }
            Op::Body(n) => {
                let before = conn.clone();
                if conn.send_body(usize::from(*n)).is_err() && conn != before {
                    return Err("a usage error changed the state".into());
                }
            }
            Op::Finish => {
                let before = conn.clone();
                if conn.finish_message(now).is_err() && conn != before {
                    return Err("a usage error changed the state".into());
                }
            }
            Op::Close => conn.close(now),
        }
        watch.check(&conn, now)?;
    }
    Ok(())
}

#[test]
fn prop_operations_never_panic_and_close_is_absorbing() {
    fn prop(server: bool, ops: Vec<Op>) -> TestResult {
        let role = if server { Role::Server } else { Role::Client };
        match run_ops(role, &ops) {
            Ok(()) => TestResult::passed(),
            Err(msg) => TestResult::error(format!("{role:?}: {msg}")),
        }
    }
    check(TESTS * 4, prop as fn(bool, Vec<Op>) -> TestResult);
}

/// Full exchanges through the pair with random splits of every transfer
/// never disagree between the two ends.
#[test]
fn prop_pair_exchanges_agree() {
    fn prop(rounds: Vec<(bool, bool, u8, bool)>) -> TestResult {
        let mut server = Config::new();
        server.max_requests = Some(4);
        let mut p = Pair::new(Config::new(), server);
        for (http11, client_close, body_len, server_close) in rounds.into_iter().take(6) {
            if !p.client.conn.may_send_request(p.now) {
                break;
            }
            let version = if http11 {
                Version::Http11
            } else {
                Version::Http10
            };
            let body = vec![b'b'; usize::from(body_len % 16)];
            let mut req_headers = vec![];
            if client_close {
                req_headers.push(h("Connection", "close"));
            }
            p.request("POST", "/", version, &req_headers, &body);
            let got = p.server_drain();
            if got.last() != Some(&Ev::End) {
                return TestResult::error(format!("server got {got:?}"));
            }
            let mut resp_headers = vec![];
            if server_close {
                resp_headers.push(h("Connection", "close"));
            }
            p.respond(200, &resp_headers, &body);
            let got = p.client_drain();
            if got.last() != Some(&Ev::End) {
                return TestResult::error(format!("client got {got:?}"));
            }
            let (c, s) = (p.client.conn.poll_action(), p.server.conn.poll_action());
            let agree = matches!(
                (c, s),
                (Action::Reuse, Action::Reuse) | (Action::Close(_), Action::Close(_))
            );
            if !agree {
                return TestResult::error(format!("client {c:?}, server {s:?}"));
            }
            if !p.client.errors.is_empty() || !p.server.errors.is_empty() {
                return TestResult::error(format!("{:?} {:?}", p.client.errors, p.server.errors));
            }
            p.advance(1_000);
        }
        TestResult::passed()
    }
    check(TESTS, prop as fn(Vec<(bool, bool, u8, bool)>) -> TestResult);
}
