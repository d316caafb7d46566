//! One keep-alive exchange pair, done twice: by two `h1conn::Connection`s
//! (a client and a server), and by hand around httparse. Shared by the
//! `exchange` criterion bench and the `exchange_loop` callgrind driver
//! (included with `#[path]`), so both measure exactly the same work.
//!
//! Each call runs two exchanges on the same connection: a GET answered
//! with a `Content-Length` body, then a GET answered with a chunked body.
//! Per exchange both sides do the same job:
//!
//! 1. the client writes the request head;
//! 2. the server parses it, finds its framing (none) and whether the
//!    connection persists;
//! 3. the server writes a response head that says so (`Connection:
//!    keep-alive`, `Keep-Alive: timeout=5`), then the body is appended;
//! 4. the client parses the response head, reads `Connection`,
//!    `Keep-Alive`, `Content-Length` / `Transfer-Encoding`, and decodes
//!    the body (chunked with `httparse::parse_chunk_size` on the httparse
//!    side), then decides whether the connection may be reused.
//!
//! The engine does more than the hand-written side on top of that: it
//! validates the heads it writes (and reads them back to learn what went
//! on the wire), checks `Host`, every byte of every field, and keeps the
//! state machine, timers and `Keep-Alive: max` countdown of both halves.

use std::hint::black_box;

use h1conn::time::Instant;
use h1conn::wire::{Header, Version};
use h1conn::{Action, Config, Connection, Event, Role};

/// Body bytes of the `Content-Length` response.
pub(crate) const BODY_LEN: usize = 1024;
/// Chunks of the chunked response (each `CHUNK_LEN` bytes).
pub(crate) const CHUNKS: usize = 4;
/// Bytes per chunk.
pub(crate) const CHUNK_LEN: usize = 256;

const REQUEST_FIELDS: [(&[u8], &[u8]); 3] = [
    (b"Host", b"example.org"),
    (b"User-Agent", b"bench/1.0"),
    (b"Accept", b"*/*"),
];
const LENGTH_FIELDS: [(&[u8], &[u8]); 2] = [
    (b"Content-Type", b"application/octet-stream"),
    (b"Content-Length", b"1024"),
];
const CHUNKED_FIELDS: [(&[u8], &[u8]); 2] = [
    (b"Content-Type", b"application/octet-stream"),
    (b"Transfer-Encoding", b"chunked"),
];

/// The bodies as they go on the wire.
pub(crate) struct Bodies {
    length: Vec<u8>,
    chunked: Vec<u8>,
}

impl Bodies {
    pub(crate) fn new() -> Self {
        let length = (0..BODY_LEN).map(|i| b'a' + (i % 26) as u8).collect();
        let mut chunked = Vec::new();
        for c in 0..CHUNKS {
            chunked.extend_from_slice(format!("{CHUNK_LEN:x}\r\n").as_bytes());
            chunked.extend((0..CHUNK_LEN).map(|i| b'a' + ((c * CHUNK_LEN + i) % 26) as u8));
            chunked.extend_from_slice(b"\r\n");
        }
        chunked.extend_from_slice(b"0\r\n\r\n");
        Self { length, chunked }
    }

    fn get(&self, chunked: bool) -> &[u8] {
        if chunked { &self.chunked } else { &self.length }
    }
}

impl Default for Bodies {
    fn default() -> Self {
        Self::new()
    }
}

/// What one call saw: body bytes received and whether both ends may reuse
/// the connection. Both implementations must agree on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub(crate) body_bytes: usize,
    pub(crate) reusable: bool,
}

/// Buffers both implementations use: a request head, and what the client
/// receives (response head followed by the body).
pub(crate) struct Wire {
    request: [u8; 512],
    response: Vec<u8>,
}

impl Wire {
    pub(crate) fn new() -> Self {
        Self {
            request: [0; 512],
            response: vec![0; 4096],
        }
    }
}

impl Default for Wire {
    fn default() -> Self {
        Self::new()
    }
}

// ----- h1conn -----

/// A client and a server connection, kept alive across calls.
pub(crate) struct EnginePair {
    client: Connection,
    server: Connection,
    now: Instant,
}

impl EnginePair {
    pub(crate) fn new() -> Self {
        let now = Instant::from_millis(0);
        let mut config = Config::new();
        // Unlimited, so the pair stays alive for any number of iterations.
        config.max_requests = None;
        Self {
            client: Connection::new(Role::Client, config, now),
            server: Connection::new(Role::Server, config, now),
            now,
        }
    }
}

impl Default for EnginePair {
    fn default() -> Self {
        Self::new()
    }
}

fn headers<'a>(fields: &[(&'a [u8], &'a [u8])], out: &mut [Header<'a>; 3]) -> usize {
    for (slot, &(name, value)) in out.iter_mut().zip(fields) {
        *slot = Header { name, value };
    }
    fields.len()
}

/// One exchange through the engine.
fn engine_exchange(
    pair: &mut EnginePair,
    wire: &mut Wire,
    bodies: &Bodies,
    chunked: bool,
) -> Outcome {
    let now = pair.now;
    let mut fields = [Header {
        name: b"",
        value: b"",
    }; 3];
    let n = headers(&REQUEST_FIELDS, &mut fields);
    let len = pair
        .client
        .send_request(
            now,
            b"GET",
            b"/index.html",
            Version::Http11,
            &fields[..n],
            &mut wire.request,
        )
        .expect("request head");

    // Server: the request head, then its (empty) body.
    let request = black_box(&wire.request[..len]);
    let mut at = 0;
    loop {
        let step = pair
            .server
            .handle_input(now, &request[at..])
            .expect("valid request");
        at += step.bytes;
        match step.event {
            Event::Request(head) => {
                black_box(&head);
            }
            Event::MessageEnd => break,
            other => panic!("server: unexpected {other:?}"),
        }
    }
    let body = bodies.get(chunked);
    let response_fields = if chunked {
        &CHUNKED_FIELDS
    } else {
        &LENGTH_FIELDS
    };
    let n = headers(response_fields, &mut fields);
    let head_len = pair
        .server
        .send_response(now, 200, b"OK", &fields[..n], &mut wire.response)
        .expect("response head");
    wire.response[head_len..head_len + body.len()].copy_from_slice(body);
    pair.server.send_body(body.len()).expect("body");
    pair.server.finish_message(now).expect("finished");

    // Client: the response head and body.
    let input = black_box(&wire.response[..head_len + body.len()]);
    let (mut at, mut body_bytes) = (0, 0);
    loop {
        let step = pair
            .client
            .handle_input(now, &input[at..])
            .expect("valid response");
        at += step.bytes;
        match step.event {
            Event::Response(head) => {
                black_box(&head);
            }
            Event::Body(data) => body_bytes += black_box(data).len(),
            Event::MessageEnd => break,
            other => panic!("client: unexpected {other:?}"),
        }
    }
    let reusable = pair.client.poll_action() == Action::Reuse
        && pair.server.poll_action() == Action::Reuse
        && pair.client.may_send_request(now);
    Outcome {
        body_bytes,
        reusable,
    }
}

/// A `Content-Length` exchange then a chunked one, through the engine.
pub(crate) fn engine(pair: &mut EnginePair, wire: &mut Wire, bodies: &Bodies) -> Outcome {
    let a = engine_exchange(pair, wire, bodies, false);
    let b = engine_exchange(pair, wire, bodies, true);
    Outcome {
        body_bytes: a.body_bytes + b.body_bytes,
        reusable: a.reusable && b.reusable,
    }
}

// ----- httparse, by hand -----

/// Appends to a buffer (the hand-written head writer).
struct Out<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl Out<'_> {
    fn put(&mut self, bytes: &[u8]) {
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    fn field(&mut self, name: &[u8], value: &[u8]) {
        self.put(name);
        self.put(b": ");
        self.put(value);
        self.put(b"\r\n");
    }
}

/// Whether a comma-separated `Connection` value lists `token`.
fn has_token(value: &[u8], token: &[u8]) -> bool {
    value
        .split(|&b| b == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token))
}

/// What the hand-written side reads from a head's fields.
#[derive(Default)]
struct Facts {
    close: bool,
    keep_alive: bool,
    content_length: Option<u64>,
    chunked: bool,
    timeout: Option<u32>,
    max: Option<u32>,
}

fn facts(headers: &[httparse::Header<'_>]) -> Facts {
    let mut facts = Facts::default();
    for h in headers {
        let name = h.name.as_bytes();
        if name.eq_ignore_ascii_case(b"connection") {
            facts.close |= has_token(h.value, b"close");
            facts.keep_alive |= has_token(h.value, b"keep-alive");
        } else if name.eq_ignore_ascii_case(b"content-length") {
            let digits = std::str::from_utf8(h.value).expect("ascii");
            facts.content_length = Some(digits.parse().expect("Content-Length"));
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            facts.chunked = h
                .value
                .rsplit(|&b| b == b',')
                .next()
                .is_some_and(|t| t.trim_ascii().eq_ignore_ascii_case(b"chunked"));
        } else if name.eq_ignore_ascii_case(b"keep-alive") {
            for param in h.value.split(|&b| b == b',') {
                let mut kv = param.trim_ascii().splitn(2, |&b| b == b'=');
                let (Some(key), Some(value)) = (kv.next(), kv.next()) else {
                    continue;
                };
                let value = std::str::from_utf8(value).ok().and_then(|v| v.parse().ok());
                if key.eq_ignore_ascii_case(b"timeout") {
                    facts.timeout = value;
                } else if key.eq_ignore_ascii_case(b"max") {
                    facts.max = value;
                }
            }
        }
    }
    facts
}

/// Decodes a chunked body that is all in `input`; returns the data bytes.
fn decode_chunked(input: &[u8]) -> usize {
    let (mut at, mut total) = (0, 0);
    loop {
        let (size_len, size) = match httparse::parse_chunk_size(&input[at..]) {
            Ok(httparse::Status::Complete(done)) => done,
            other => panic!("chunk size: {other:?}"),
        };
        at += size_len;
        if size == 0 {
            assert_eq!(&input[at..at + 2], b"\r\n", "no trailers");
            return total;
        }
        let size = usize::try_from(size).expect("chunk fits");
        total += black_box(&input[at..at + size]).len();
        at += size;
        assert_eq!(&input[at..at + 2], b"\r\n", "chunk CRLF");
        at += 2;
    }
}

/// One exchange done by hand around httparse.
fn httparse_exchange(wire: &mut Wire, bodies: &Bodies, chunked: bool) -> Outcome {
    // Client: write the request head.
    let mut out = Out {
        buf: &mut wire.request,
        len: 0,
    };
    out.put(b"GET /index.html HTTP/1.1\r\n");
    for (name, value) in REQUEST_FIELDS {
        out.field(name, value);
    }
    out.put(b"\r\n");
    let len = out.len;

    // Server: parse the request, its framing and persistence.
    let mut slots = [httparse::EMPTY_HEADER; 16];
    let mut request = httparse::Request::new(&mut slots);
    let request_len = match request.parse(black_box(&wire.request[..len])) {
        Ok(httparse::Status::Complete(n)) => n,
        other => panic!("request: {other:?}"),
    };
    assert_eq!(request_len, len);
    let request_facts = facts(request.headers);
    assert!(request_facts.content_length.is_none() && !request_facts.chunked);
    let request_keeps = request.version == Some(1) && !request_facts.close;
    black_box((request.method, request.path));

    // Server: write the response head, then the body.
    let body = bodies.get(chunked);
    let mut out = Out {
        buf: &mut wire.response,
        len: 0,
    };
    out.put(b"HTTP/1.1 200 OK\r\n");
    for (name, value) in if chunked {
        CHUNKED_FIELDS
    } else {
        LENGTH_FIELDS
    } {
        out.field(name, value);
    }
    if request_keeps {
        out.field(b"Connection", b"keep-alive");
        out.field(b"Keep-Alive", b"timeout=5");
    } else {
        out.field(b"Connection", b"close");
    }
    out.put(b"\r\n");
    out.put(body);
    let total = out.len;

    // Client: parse the response head, its framing, persistence and body.
    let input = black_box(&wire.response[..total]);
    let mut slots = [httparse::EMPTY_HEADER; 16];
    let mut response = httparse::Response::new(&mut slots);
    let head_len = match response.parse(input) {
        Ok(httparse::Status::Complete(n)) => n,
        other => panic!("response: {other:?}"),
    };
    let response_facts = facts(response.headers);
    black_box((
        response.code,
        response.reason,
        response_facts.timeout,
        response_facts.max,
    ));
    let body = &input[head_len..];
    let body_bytes = if response_facts.chunked {
        decode_chunked(body)
    } else {
        let n = usize::try_from(response_facts.content_length.expect("framed")).expect("fits");
        black_box(&body[..n]).len()
    };
    let reusable = request_keeps
        && response.version == Some(1)
        && !response_facts.close
        && response_facts.max != Some(0)
        && response_facts.keep_alive;
    Outcome {
        body_bytes,
        reusable,
    }
}

/// A `Content-Length` exchange then a chunked one, by hand around httparse.
pub(crate) fn httparse(wire: &mut Wire, bodies: &Bodies) -> Outcome {
    let a = httparse_exchange(wire, bodies, false);
    let b = httparse_exchange(wire, bodies, true);
    Outcome {
        body_bytes: a.body_bytes + b.body_bytes,
        reusable: a.reusable && b.reusable,
    }
}
