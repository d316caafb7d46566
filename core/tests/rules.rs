//! Table-driven tests of the rules in `design.md` ("The rules it implements"),
//! through the public API only: persistence, start lines, field lines,
//! strict errors with their exact kind and byte offset, leniencies, framing,
//! header iteration, and the policy header helpers.
//!
//! Offsets are always relative to the first byte of the buffer handed to
//! `parse`. Tests of behaviour believed to be wrong are `#[ignore = "BUG: ..."]`.
#![allow(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::type_complexity
)]

use h1conn::policy::{
    CloseReason, ConnectionValue, MessageSummary, Persistence, PersistenceFields,
    exchange_persistence, request_fields, request_persistence, response_fields,
};
use h1conn::wire::{
    BodyKind, ConnectionFlags, ConnectionOptions, HeadBounds, HeadScanner, KeepAlive,
    MAX_CONNECTION_OPTIONS, Method, ParseConfig, Parsed, RequestHead, ResponseHead, TargetForm,
    TransferEncoding, Version,
};
use h1conn::{ErrorKind, ProtocolError};

use CloseReason as R;
use Persistence::{Close, KeepAlive as Keep};

const STRICT: ParseConfig = ParseConfig::strict();

// ---------------------------------------------------------------- helpers

fn show(bytes: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(bytes))
}

#[track_caller]
fn request<'a>(buf: &'a [u8], config: &ParseConfig) -> RequestHead<'a> {
    match RequestHead::parse(buf, config) {
        Ok(Parsed::Complete(head)) => head,
        other => panic!(
            "{}: expected a complete request head, got {other:?}",
            show(buf)
        ),
    }
}

#[track_caller]
fn response<'a>(buf: &'a [u8], config: &ParseConfig) -> ResponseHead<'a> {
    match ResponseHead::parse(buf, config) {
        Ok(Parsed::Complete(head)) => head,
        other => panic!(
            "{}: expected a complete response head, got {other:?}",
            show(buf)
        ),
    }
}

#[track_caller]
fn request_error(buf: &[u8], config: &ParseConfig) -> ProtocolError {
    match RequestHead::parse(buf, config) {
        Err(e) => e,
        Ok(other) => panic!("{}: expected an error, got {other:?}", show(buf)),
    }
}

#[track_caller]
fn response_error(buf: &[u8], config: &ParseConfig) -> ProtocolError {
    match ResponseHead::parse(buf, config) {
        Err(e) => e,
        Ok(other) => panic!("{}: expected an error, got {other:?}", show(buf)),
    }
}

/// The decision after `req` is answered by `resp`, both parsed with `config`.
#[track_caller]
fn decide(req: &[u8], resp: &[u8], config: &ParseConfig) -> Persistence {
    let rq = request(req, config);
    let rs = response(resp, config);
    exchange_persistence(
        MessageSummary::of(rq.version, &rq.facts),
        MessageSummary::of(rs.version, &rs.facts),
        rs.body_kind(rq.method_kind()),
    )
}

fn summary(buf: &[u8], config: &ParseConfig) -> MessageSummary {
    let rq = request(buf, config);
    MessageSummary::of(rq.version, &rq.facts)
}

// ------------------------------------------------------------ persistence

const GET11: &[u8] = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
const GET10: &[u8] = b"GET / HTTP/1.0\r\n\r\n";
const GET10_KA: &[u8] = b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
const OK11: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
const OK11_KA: &[u8] = b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n";
const OK11_CLOSE: &[u8] = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
const OK10: &[u8] = b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n";
const OK10_KA: &[u8] = b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n";
const CONNECT: &[u8] = b"CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n";

#[test]
fn exchange_persistence_examples() {
    let cases: &[(&str, &[u8], &[u8], Persistence)] = &[
        ("HTTP/1.1 persists by default", GET11, OK11, Keep),
        (
            "close in the request",
            b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
            OK11,
            Close(R::RequestClose),
        ),
        ("close in the response", GET11, OK11_CLOSE, Close(R::ResponseClose)),
        (
            "close from both sides: the request's reason comes first",
            b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
            OK11_CLOSE,
            Close(R::RequestClose),
        ),
        (
            "close is case-insensitive",
            b"GET / HTTP/1.1\r\nHost: a\r\nconnection: CLOSE\r\n\r\n",
            OK11,
            Close(R::RequestClose),
        ),
        (
            "close in a response that also says keep-alive to a 1.0 client",
            GET10_KA,
            b"HTTP/1.1 200 OK\r\nConnection: Keep-Alive, Close\r\nContent-Length: 0\r\n\r\n",
            Close(R::ResponseClose),
        ),
        ("1.0 keep-alive echoed by 1.1", GET10_KA, OK11_KA, Keep),
        ("1.0 keep-alive echoed by 1.0", GET10_KA, OK10_KA, Keep),
        (
            "1.0 keep-alive echoed, any case",
            b"GET / HTTP/1.0\r\nCONNECTION: KEEP-ALIVE\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nconnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n",
            Keep,
        ),
        (
            "1.0 without keep-alive closes even if the response says keep-alive",
            GET10,
            OK11_KA,
            Close(R::Http10NoKeepAlive),
        ),
        (
            "1.0 without keep-alive",
            GET10,
            OK11,
            Close(R::Http10NoKeepAlive),
        ),
        (
            "1.0 keep-alive answered by 1.1 without the echo closes",
            GET10_KA,
            OK11,
            Close(R::Http10NoKeepAlive),
        ),
        (
            "1.0 keep-alive answered by 1.0 without the echo closes",
            GET10_KA,
            OK10,
            Close(R::Http10NoKeepAlive),
        ),
        (
            "1.1 request answered by 1.0 without keep-alive",
            GET11,
            OK10,
            Close(R::Http10NoKeepAlive),
        ),
        (
            "1.1 request answered by 1.0 with keep-alive",
            GET11,
            OK10_KA,
            Keep,
        ),
        (
            "close-delimited response (no framing)",
            GET11,
            b"HTTP/1.1 200 OK\r\n\r\n",
            Close(R::CloseDelimited),
        ),
        (
            "close-delimited response (final coding not chunked)",
            GET11,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
            Close(R::CloseDelimited),
        ),
        (
            "close-delimited response even with keep-alive on both sides",
            GET10_KA,
            b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n",
            Close(R::CloseDelimited),
        ),
        (
            "chunked response persists",
            GET11,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            Keep,
        ),
        (
            "101 switches protocols",
            b"GET /chat HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n",
            b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
            Close(R::ProtocolSwitch),
        ),
        (
            "2xx to CONNECT switches protocols",
            CONNECT,
            b"HTTP/1.1 200 Connection Established\r\n\r\n",
            Close(R::ProtocolSwitch),
        ),
        (
            "2xx to CONNECT switches protocols even with a Content-Length",
            CONNECT,
            b"HTTP/1.1 299 Whatever\r\nContent-Length: 4\r\n\r\n",
            Close(R::ProtocolSwitch),
        ),
        (
            "a refused CONNECT with a framed body persists",
            CONNECT,
            b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n",
            Keep,
        ),
        (
            "HEAD response without framing has no body",
            b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n",
            b"HTTP/1.1 200 OK\r\n\r\n",
            Keep,
        ),
        (
            "204 without framing",
            GET11,
            b"HTTP/1.1 204 No Content\r\n\r\n",
            Keep,
        ),
        (
            "304 without framing",
            GET11,
            b"HTTP/1.1 304 Not Modified\r\n\r\n",
            Keep,
        ),
        (
            "Transfer-Encoding in an HTTP/1.0 request",
            b"POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n",
            OK11_KA,
            Close(R::Http10TransferEncoding),
        ),
        (
            "Transfer-Encoding in an HTTP/1.0 response",
            GET11,
            b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n",
            Close(R::Http10TransferEncoding),
        ),
        (
            "`closed` is not `close`",
            b"GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nConnection: closed, xclose, close-\r\nContent-Length: 0\r\n\r\n",
            Keep,
        ),
        (
            "`keep-alive-ish` is not `keep-alive` (request)",
            b"GET / HTTP/1.0\r\nConnection: keep-alive-ish\r\n\r\n",
            OK11_KA,
            Close(R::Http10NoKeepAlive),
        ),
        (
            "`keep-alive-ish` is not `keep-alive` (response echo)",
            GET10_KA,
            b"HTTP/1.1 200 OK\r\nConnection: keep-alive-ish, keepalive\r\nContent-Length: 0\r\n\r\n",
            Close(R::Http10NoKeepAlive),
        ),
        (
            "Connection across several lines (request)",
            b"GET / HTTP/1.1\r\nHost: a\r\nConnection: x-trace\r\nAccept: */*\r\nConnection: close\r\n\r\n",
            OK11,
            Close(R::RequestClose),
        ),
        (
            "Connection across several lines (response)",
            GET11,
            b"HTTP/1.1 200 OK\r\nConnection: x-a\r\nContent-Length: 0\r\nConnection: x-b, close\r\n\r\n",
            Close(R::ResponseClose),
        ),
        (
            "keep-alive on a later Connection line counts",
            b"GET / HTTP/1.0\r\nConnection: x-a\r\nConnection: keep-alive\r\n\r\n",
            b"HTTP/1.0 200 OK\r\nConnection: x-b\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
            Keep,
        ),
        (
            "close wins over keep-alive on one line",
            b"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
            OK11_KA,
            Close(R::RequestClose),
        ),
        (
            "close wins over keep-alive on a later line",
            b"GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n",
            OK11_KA,
            Close(R::RequestClose),
        ),
        (
            "close wins over keep-alive on an earlier line",
            GET11,
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
            Close(R::ResponseClose),
        ),
        (
            "empty list elements and OWS around close",
            b"GET / HTTP/1.1\r\nHost: a\r\nConnection: ,\t, close ,\r\n\r\n",
            OK11,
            Close(R::RequestClose),
        ),
    ];
    for &(name, req, resp, expected) in cases {
        assert_eq!(decide(req, resp, &STRICT), expected, "{name}");
    }
}

#[test]
fn request_persistence_is_what_a_server_knows_from_the_request() {
    let cases: &[(&[u8], Persistence)] = &[
        (GET11, Keep),
        (b"GET / HTTP/1.2\r\nHost: a\r\n\r\n", Keep),
        (GET10, Close(R::Http10NoKeepAlive)),
        (GET10_KA, Keep),
        (
            b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
            Close(R::RequestClose),
        ),
        (
            b"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
            Close(R::RequestClose),
        ),
        (
            b"POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n",
            Close(R::Http10TransferEncoding),
        ),
    ];
    for &(req, expected) in cases {
        assert_eq!(
            request_persistence(summary(req, &STRICT)),
            expected,
            "{}",
            show(req)
        );
    }
}

#[test]
fn keep_alive_timeout_and_max_are_read() {
    let resp = response(
        b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5, max=100\r\n\
          Content-Length: 0\r\n\r\n",
        &STRICT,
    );
    assert!(resp.facts.connection.keep_alive);
    assert_eq!(
        resp.facts.keep_alive,
        Some(KeepAlive::new().with_timeout(5).with_max(100))
    );
    assert_eq!(decide(GET10_KA, OK11_KA, &STRICT), Keep);

    // No Keep-Alive field at all: nothing is known.
    assert_eq!(response(OK11_KA, &STRICT).facts.keep_alive, None);

    // Parameters over several lines, any case, in any order.
    let resp = response(
        b"HTTP/1.1 200 OK\r\nkeep-alive: MAX=7\r\nKEEP-ALIVE: Timeout=\"30\"\r\n\r\n",
        &STRICT,
    );
    assert_eq!(
        resp.facts.keep_alive,
        Some(KeepAlive::new().with_timeout(30).with_max(7))
    );
}

#[test]
fn keep_alive_parameter_values() {
    let ka = |timeout, max| {
        let mut ka = KeepAlive::new();
        (ka.timeout, ka.max) = (timeout, max);
        ka
    };
    let cases: &[(&[u8], KeepAlive)] = &[
        (b"timeout=5, max=100", ka(Some(5), Some(100))),
        (b"max=100, timeout=5", ka(Some(5), Some(100))),
        (b"TIMEOUT=5,Max=100", ka(Some(5), Some(100))),
        (b"timeout=\"5\", max=\"100\"", ka(Some(5), Some(100))),
        (b" , timeout=5 ,, max=100 , ", ka(Some(5), Some(100))),
        (b"timeout=5, foo=bar, baz, max=1", ka(Some(5), Some(1))),
        (b"max=0", ka(None, Some(0))),
        (b"timeout=4294967295", ka(Some(u32::MAX), None)),
        // Invalid or overflowing values are ignored, never wrapped.
        (b"timeout=4294967296, max=3", ka(None, Some(3))),
        (b"timeout=99999999999999999999", ka(None, None)),
        (b"timeout=-5, max=+3", ka(None, None)),
        (b"timeout=5s, max=0x10", ka(None, None)),
        (b"timeout=, max", ka(None, None)),
        (b"timeouts=5, maximum=3", ka(None, None)),
        (b"", ka(None, None)),
    ];
    for &(value, expected) in cases {
        assert_eq!(KeepAlive::parse(value), expected, "{}", show(value));
    }
}

#[test]
fn content_length_with_transfer_encoding() {
    let req_cl_te: &[u8] = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\
                             Transfer-Encoding: chunked\r\n\r\n";
    let req_te_cl: &[u8] = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\
                             Content-Length: 5\r\n\r\n";
    let resp_cl_te: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\
                              Transfer-Encoding: chunked\r\n\r\n";
    // Rejected by default, at the value of whichever field came last.
    let err = request_error(req_cl_te, &STRICT);
    assert_eq!(
        err,
        ProtocolError::new(ErrorKind::ContentLengthWithTransferEncoding, 64)
    );
    assert_eq!(&req_cl_te[64..71], b"chunked");
    assert_eq!(err.status_hint(), 400);
    assert_eq!(
        request_error(req_te_cl, &STRICT),
        ProtocolError::new(ErrorKind::ContentLengthWithTransferEncoding, 70)
    );
    assert_eq!(req_te_cl[70], b'5');
    assert_eq!(
        response_error(resp_cl_te, &STRICT),
        ProtocolError::new(ErrorKind::ContentLengthWithTransferEncoding, 55)
    );
    assert_eq!(
        response_error(resp_cl_te, &ParseConfig::lenient_responses()).kind,
        ErrorKind::ContentLengthWithTransferEncoding,
        "lenient_responses() does not include this leniency"
    );

    // Accepted when opted in: Transfer-Encoding wins, and the connection closes.
    let mut allow = ParseConfig::default();
    allow.allow_content_length_with_transfer_encoding = true;
    for req in [req_cl_te, req_te_cl] {
        let head = request(req, &allow);
        assert_eq!(head.body, BodyKind::Chunked);
        assert_eq!(head.facts.content_length, None);
        assert!(head.facts.content_length_with_transfer_encoding);
        let s = MessageSummary::of(head.version, &head.facts);
        assert!(s.framing_conflict && s.transfer_encoding);
        assert_eq!(request_persistence(s), Close(R::FramingConflict));
        assert_eq!(decide(req, OK11, &allow), Close(R::FramingConflict));
    }
    let head = response(resp_cl_te, &allow);
    assert_eq!(head.body_kind(Method::Get), BodyKind::Chunked);
    assert!(head.facts.content_length_with_transfer_encoding);
    assert_eq!(decide(GET11, resp_cl_te, &allow), Close(R::FramingConflict));
    // Without the conflict the same config changes nothing.
    assert_eq!(decide(GET11, OK11, &allow), Keep);
    // The request rule on Transfer-Encoding still applies.
    assert_eq!(
        request_error(
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: gzip\r\n\r\n",
            &allow
        ),
        ProtocolError::new(ErrorKind::InvalidTransferEncoding, 64)
    );
}

#[test]
fn connection_options_are_exposed() {
    let head = request(
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: X-Trace, close\r\nConnection: Proxy-Foo, Upgrade\r\n\
          Upgrade: h2c\r\nExpect: 100-Continue\r\n\r\n",
        &STRICT,
    );
    let flags = head.facts.connection;
    assert!(flags.close && flags.upgrade && !flags.keep_alive);
    let options = head.connection_options();
    assert_eq!(options.flags, flags);
    assert_eq!(options.others(), &[&b"X-Trace"[..], &b"Proxy-Foo"[..]]);
    assert!(options.lists(b"x-trace") && options.lists(b"PROXY-FOO") && options.lists(b"upgrade"));
    assert!(options.lists(b"close"));
    assert!(!options.lists(b"keep-alive") && !options.lists(b"x-trac"));
    assert!(!options.overflowed());
    assert!(head.facts.upgrade && head.facts.expect_continue);

    let resp = response(
        b"HTTP/1.1 200 OK\r\nConnection: keep-alive, X-A\r\nContent-Length: 0\r\n\r\n",
        &STRICT,
    );
    let options = resp.connection_options();
    assert!(options.flags.keep_alive && !options.flags.close);
    assert_eq!(options.others(), &[&b"X-A"[..]]);
    assert_eq!(
        response(OK11, &STRICT).connection_options(),
        ConnectionOptions::new()
    );

    // The flags-only reader agrees with the full one.
    for value in [
        &b"close"[..],
        b"Keep-Alive",
        b"x, close",
        b" , upgrade,KEEP-ALIVE",
        b"",
    ] {
        let mut flags = ConnectionFlags::new();
        flags.add_value(value).unwrap();
        let mut full = ConnectionOptions::new();
        full.add_value(value).unwrap();
        assert_eq!(flags, full.flags, "{}", show(value));
    }

    let mut many = ConnectionOptions::new();
    many.add_value(b"a, b, c, d, e, f, g, h, i, j, keep-alive")
        .unwrap();
    assert_eq!(many.others().len(), MAX_CONNECTION_OPTIONS);
    assert!(many.overflowed() && many.flags.keep_alive);

    // A list element that is not a token is an error at that element.
    let cases: &[(&[u8], usize)] = &[
        (
            b"GET / HTTP/1.1\r\nHost: a\r\nConnection: \"close\"\r\n\r\n",
            37,
        ),
        (
            b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close, a b\r\n\r\n",
            44,
        ),
        (
            b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close;x\r\n\r\n",
            37,
        ),
    ];
    for &(req, offset) in cases {
        assert_eq!(
            request_error(req, &STRICT),
            ProtocolError::new(ErrorKind::InvalidConnectionToken, offset),
            "{}",
            show(req)
        );
    }
}

// ------------------------------------------------------------ start lines

#[test]
fn the_four_request_target_forms() {
    let cases: &[(&[u8], &[u8], Method, &[u8], TargetForm)] = &[
        (
            b"GET /a/b?c=d HTTP/1.1\r\nHost: a\r\n\r\n",
            b"GET",
            Method::Get,
            b"/a/b?c=d",
            TargetForm::Origin,
        ),
        (
            b"GET http://a.example:8080/p?q HTTP/1.1\r\nHost: a.example:8080\r\n\r\n",
            b"GET",
            Method::Get,
            b"http://a.example:8080/p?q",
            TargetForm::Absolute,
        ),
        (
            b"POST svn+ssh://h/x HTTP/1.1\r\nHost: h\r\n\r\n",
            b"POST",
            Method::Post,
            b"svn+ssh://h/x",
            TargetForm::Absolute,
        ),
        (
            CONNECT,
            b"CONNECT",
            Method::Connect,
            b"a.example:443",
            TargetForm::Authority,
        ),
        (
            b"CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n",
            b"CONNECT",
            Method::Connect,
            b"[::1]:8443",
            TargetForm::Authority,
        ),
        (
            b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
            b"OPTIONS",
            Method::Options,
            b"*",
            TargetForm::Asterisk,
        ),
        (
            b"OPTIONS /x HTTP/1.1\r\nHost: a\r\n\r\n",
            b"OPTIONS",
            Method::Options,
            b"/x",
            TargetForm::Origin,
        ),
        (
            b"PROPFIND /dav HTTP/1.1\r\nHost: a\r\n\r\n",
            b"PROPFIND",
            Method::Other,
            b"/dav",
            TargetForm::Origin,
        ),
        (
            b"get / HTTP/1.1\r\nHost: a\r\n\r\n",
            b"get",
            Method::Other,
            b"/",
            TargetForm::Origin,
        ),
    ];
    for &(buf, method, kind, target, form) in cases {
        let head = request(buf, &STRICT);
        assert_eq!(
            (
                head.method,
                head.method_kind(),
                head.target,
                head.target_form
            ),
            (method, kind, target, form),
            "{}",
            show(buf)
        );
        assert_eq!(head.len, buf.len());
    }
}

#[test]
fn targets_that_do_not_fit_their_method() {
    let cases: &[(&[u8], usize)] = &[
        (b"GET * HTTP/1.1\r\nHost: a\r\n\r\n", 4),
        (b"M-SEARCH * HTTP/1.1\r\nHost: a\r\n\r\n", 9),
        (b"CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", 8),
        (b"CONNECT * HTTP/1.1\r\nHost: a\r\n\r\n", 8),
        (b"GET a.example HTTP/1.1\r\nHost: a\r\n\r\n", 4),
        (b"GET 1http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 4),
        (b"GET :x HTTP/1.1\r\nHost: a\r\n\r\n", 4),
        (b"GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 6),
        (b"GET /\xff HTTP/1.1\r\nHost: a\r\n\r\n", 5),
    ];
    for &(buf, offset) in cases {
        assert_eq!(
            request_error(buf, &STRICT),
            ProtocolError::new(ErrorKind::InvalidTarget, offset),
            "{}",
            show(buf)
        );
    }
}

#[test]
fn leading_empty_lines_before_a_request_line_are_ignored() {
    for buf in [
        &b"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"[..],
        b"\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
    ] {
        let head = request(buf, &STRICT);
        assert_eq!((head.method, head.target), (&b"GET"[..], &b"/"[..]));
        assert_eq!(head.len, buf.len(), "len counts the skipped lines");
        assert_eq!(head.headers().get("host"), Some(&b"a"[..]));
    }
    // Offsets still count from the start of the buffer.
    assert_eq!(
        request_error(b"\r\n\r\nGET / HTTP/1.1\r\nHost : a\r\n\r\n", &STRICT),
        ProtocolError::new(ErrorKind::WhitespaceBeforeColon, 24)
    );
    assert_eq!(
        request_error(b"\r\n\r\nGET / HTTP/2.0\r\nHost: a\r\n\r\n", &STRICT),
        ProtocolError::new(ErrorKind::UnsupportedVersion, 10)
    );
    // Empty lines alone are not a head yet.
    assert_eq!(
        RequestHead::parse(b"\r\n\r\n", &STRICT),
        Ok(Parsed::Partial)
    );
    // Responses do not skip them: the empty line is an empty status line.
    assert_eq!(
        response_error(b"\r\nHTTP/1.1 200 OK\r\n\r\n", &STRICT),
        ProtocolError::new(ErrorKind::InvalidStartLine, 0)
    );
}

#[test]
fn versions() {
    let requests: &[(&[u8], Version)] = &[
        (b"GET / HTTP/1.0\r\n\r\n", Version::Http10),
        (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", Version::Http11),
        (b"GET / HTTP/1.2\r\nHost: a\r\n\r\n", Version::Http11),
        (b"GET / HTTP/1.9\r\nHost: a\r\n\r\n", Version::Http11),
    ];
    for &(buf, version) in requests {
        assert_eq!(request(buf, &STRICT).version, version, "{}", show(buf));
    }
    let responses: &[(&[u8], Version)] = &[
        (b"HTTP/1.0 200 OK\r\n\r\n", Version::Http10),
        (b"HTTP/1.1 200 OK\r\n\r\n", Version::Http11),
        (b"HTTP/1.2 200 OK\r\n\r\n", Version::Http11),
    ];
    for &(buf, version) in responses {
        assert_eq!(response(buf, &STRICT).version, version, "{}", show(buf));
    }
    // HTTP/1.2 is 1.1 for persistence too.
    assert_eq!(
        decide(
            b"GET / HTTP/1.2\r\nHost: a\r\n\r\n",
            b"HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n",
            &STRICT
        ),
        Keep
    );
    assert_eq!(Version::Http10.as_str(), "HTTP/1.0");
    assert_eq!(Version::Http11.as_str(), "HTTP/1.1");

    for version in [&b"HTTP/2.0"[..], b"HTTP/0.9", b"HTTP/3.0", b"HTTP/9.1"] {
        let mut req = b"GET / ".to_vec();
        req.extend_from_slice(version);
        req.extend_from_slice(b"\r\nHost: a\r\n\r\n");
        let err = request_error(&req, &STRICT);
        assert_eq!(
            err,
            ProtocolError::new(ErrorKind::UnsupportedVersion, 6),
            "{}",
            show(&req)
        );
        assert_eq!(err.status_hint(), 505);

        let mut resp = version.to_vec();
        resp.extend_from_slice(b" 200 OK\r\n\r\n");
        let err = response_error(&resp, &STRICT);
        assert_eq!(
            err,
            ProtocolError::new(ErrorKind::UnsupportedVersion, 0),
            "{}",
            show(&resp)
        );
        assert_eq!(err.status_hint(), 505);
    }

    let malformed: &[(&[u8], usize)] = &[
        (b"GET / HTTP/1\r\nHost: a\r\n\r\n", 6),
        (b"GET / HTTP/10.0\r\nHost: a\r\n\r\n", 6),
        (b"GET / HTTP/1.10\r\nHost: a\r\n\r\n", 14),
        (b"GET / http/1.1\r\nHost: a\r\n\r\n", 6),
        (b"GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 14),
        (b"GET / HTTP/1.a\r\nHost: a\r\n\r\n", 6),
    ];
    for &(buf, offset) in malformed {
        let err = request_error(buf, &STRICT);
        assert_eq!(
            err,
            ProtocolError::new(ErrorKind::InvalidVersion, offset),
            "{}",
            show(buf)
        );
        assert_eq!(err.status_hint(), 400);
    }
    assert_eq!(
        response_error(b"HTTP/2 200 OK\r\n\r\n", &STRICT),
        ProtocolError::new(ErrorKind::InvalidVersion, 0)
    );
}

// ----------------------------------------------------------- strict errors

#[test]
fn strict_request_errors_have_exact_kind_and_offset() {
    use ErrorKind as K;
    // "GET / HTTP/1.1\r\n" is 16 bytes; "Host: a\r\n" ends at 25.
    let cases: &[(&str, &[u8], ErrorKind, usize)] = &[
        (
            "bare LF after the request line",
            b"GET / HTTP/1.1\nHost: a\r\n\r\n",
            K::BareLf,
            14,
        ),
        (
            "bare LF ending a field line",
            b"GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n",
            K::BareLf,
            23,
        ),
        (
            "bare LF as the empty line",
            b"GET / HTTP/1.1\r\nHost: a\r\n\n",
            K::BareLf,
            25,
        ),
        (
            "bare LF before the request line",
            b"\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
            K::BareLf,
            0,
        ),
        (
            "bare LF after an empty line",
            b"\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
            K::BareLf,
            2,
        ),
        (
            "bare LF inside a value",
            b"GET / HTTP/1.1\r\nHost: a\r\nX: a\nb\r\n\r\n",
            K::BareLf,
            29,
        ),
        (
            "bare CR inside a value",
            b"GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n",
            K::BareCr,
            29,
        ),
        (
            "bare CR before CRLF",
            b"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\r\n\r\n",
            K::BareCr,
            29,
        ),
        (
            "obs-fold with SP",
            b"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n",
            K::ObsFold,
            31,
        ),
        (
            "obs-fold with HTAB",
            b"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n\tb\r\n\r\n",
            K::ObsFold,
            31,
        ),
        (
            "whitespace before the first field line",
            b"GET / HTTP/1.1\r\n Host: a\r\n\r\n",
            K::ObsFold,
            16,
        ),
        (
            "SP before colon",
            b"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
            K::WhitespaceBeforeColon,
            20,
        ),
        (
            "HTAB before colon",
            b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length\t: 0\r\n\r\n",
            K::WhitespaceBeforeColon,
            39,
        ),
        (
            "NUL in a value",
            b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n",
            K::InvalidHeaderValue,
            29,
        ),
        (
            "SOH in a value",
            b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n",
            K::InvalidHeaderValue,
            29,
        ),
        (
            "ESC in a value",
            b"GET / HTTP/1.1\r\nHost: a\r\nX: abcdefghij\x1b\r\n\r\n",
            K::InvalidHeaderValue,
            38,
        ),
        (
            "DEL in a value",
            b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n",
            K::InvalidHeaderValue,
            29,
        ),
        (
            "NUL at the start of a value",
            b"GET / HTTP/1.1\r\nHost: \x00a\r\n\r\n",
            K::InvalidHeaderValue,
            22,
        ),
        (
            "empty field name",
            b"GET / HTTP/1.1\r\n: a\r\n\r\n",
            K::InvalidHeaderName,
            16,
        ),
        (
            "separator in a field name",
            b"GET / HTTP/1.1\r\nHo(st: a\r\n\r\n",
            K::InvalidHeaderName,
            18,
        ),
        (
            "field line without colon",
            b"GET / HTTP/1.1\r\nHost\r\n\r\n",
            K::MissingColon,
            20,
        ),
        (
            "separator in the method",
            b"G(T / HTTP/1.1\r\nHost: a\r\n\r\n",
            K::InvalidMethod,
            1,
        ),
        (
            "NUL in the method",
            b"GE\x00T / HTTP/1.1\r\nHost: a\r\n\r\n",
            K::InvalidMethod,
            2,
        ),
        (
            "empty method",
            b" / HTTP/1.1\r\nHost: a\r\n\r\n",
            K::InvalidMethod,
            0,
        ),
        (
            "method glued to the target",
            b"GET/ HTTP/1.1\r\nHost: a\r\n\r\n",
            K::InvalidMethod,
            3,
        ),
        (
            "two SP after the method",
            b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
            K::InvalidStartLine,
            4,
        ),
        (
            "two SP after the target",
            b"GET /  HTTP/1.1\r\nHost: a\r\n\r\n",
            K::InvalidStartLine,
            6,
        ),
        (
            "method alone",
            b"GET\r\nHost: a\r\n\r\n",
            K::InvalidStartLine,
            3,
        ),
        (
            "no version",
            b"GET /\r\nHost: a\r\n\r\n",
            K::InvalidTarget,
            5,
        ),
        (
            "missing Host in HTTP/1.1",
            b"GET / HTTP/1.1\r\nAccept: */*\r\n\r\n",
            K::InvalidHost,
            16,
        ),
        (
            "no fields at all in HTTP/1.1",
            b"GET / HTTP/1.1\r\n\r\n",
            K::InvalidHost,
            16,
        ),
        (
            "missing Host in HTTP/1.2",
            b"GET / HTTP/1.2\r\n\r\n",
            K::InvalidHost,
            16,
        ),
        (
            "duplicate Host in HTTP/1.1",
            b"GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n",
            K::InvalidHost,
            25,
        ),
        (
            "duplicate identical Host",
            b"GET / HTTP/1.1\r\nHost: a\r\nX: y\r\nHOST: a\r\n\r\n",
            K::InvalidHost,
            31,
        ),
        (
            "duplicate Host in HTTP/1.0",
            b"GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n",
            K::InvalidHost,
            25,
        ),
    ];
    for &(name, buf, kind, offset) in cases {
        let err = request_error(buf, &STRICT);
        assert_eq!(
            err,
            ProtocolError::new(kind, offset),
            "{name}: {}",
            show(buf)
        );
        assert_eq!(err.status_hint(), 400, "{name}");
        // The leniencies other than multiple spaces are for responses;
        // requests stay strict.
        if !name.starts_with("two SP") {
            assert_eq!(
                request_error(buf, &ParseConfig::lenient_responses()),
                err,
                "{name}: lenient_responses()"
            );
        }
    }
    // HTTP/1.0 may omit Host.
    assert_eq!(request(GET10, &STRICT).version, Version::Http10);
}

#[test]
fn strict_response_errors_have_exact_kind_and_offset() {
    use ErrorKind as K;
    // "HTTP/1.1 200 OK\r\n" is 17 bytes.
    let cases: &[(&str, &[u8], ErrorKind, usize)] = &[
        (
            "bare LF after the status line",
            b"HTTP/1.1 200 OK\nX: a\r\n\r\n",
            K::BareLf,
            15,
        ),
        (
            "bare LF ending a field",
            b"HTTP/1.1 200 OK\r\nX: a\n\r\n",
            K::BareLf,
            21,
        ),
        (
            "bare CR in a value",
            b"HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
            K::BareCr,
            21,
        ),
        (
            "obs-fold without leniency",
            b"HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n",
            K::ObsFold,
            23,
        ),
        (
            "whitespace before colon",
            b"HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\n",
            K::WhitespaceBeforeColon,
            31,
        ),
        (
            "NUL in a value",
            b"HTTP/1.1 200 OK\r\nX: \x00\r\n\r\n",
            K::InvalidHeaderValue,
            20,
        ),
        (
            "control byte in the reason",
            b"HTTP/1.1 200 O\x00K\r\n\r\n",
            K::InvalidReasonPhrase,
            14,
        ),
        (
            "missing reason without leniency",
            b"HTTP/1.1 200\r\n\r\n",
            K::InvalidStartLine,
            12,
        ),
        (
            "two SP before the code",
            b"HTTP/1.1  200 OK\r\n\r\n",
            K::InvalidStartLine,
            9,
        ),
        (
            "two-digit status",
            b"HTTP/1.1 20 OK\r\n\r\n",
            K::InvalidStatusCode,
            9,
        ),
        (
            "four-digit status",
            b"HTTP/1.1 2000 OK\r\n\r\n",
            K::InvalidStatusCode,
            12,
        ),
        (
            "status below 100",
            b"HTTP/1.1 099 OK\r\n\r\n",
            K::InvalidStatusCode,
            9,
        ),
        (
            "status not digits",
            b"HTTP/1.1 abc OK\r\n\r\n",
            K::InvalidStatusCode,
            9,
        ),
    ];
    for &(name, buf, kind, offset) in cases {
        let err = response_error(buf, &STRICT);
        assert_eq!(
            err,
            ProtocolError::new(kind, offset),
            "{name}: {}",
            show(buf)
        );
    }
}

#[test]
fn head_and_request_line_limits() {
    let small = ParseConfig::default().with_max_head_len(32);
    assert_eq!(small.max_head_len, 32);
    assert_eq!(
        ParseConfig::default().max_head_len,
        ParseConfig::DEFAULT_MAX_HEAD_LEN
    );

    // The fields make the head too large: 431.
    let long_fields = b"GET / HTTP/1.1\r\nHost: a\r\nX: 0123456789\r\n\r\n";
    let err = request_error(long_fields, &small);
    assert_eq!(err, ProtocolError::new(ErrorKind::HeadTooLarge, 32));
    assert_eq!(err.status_hint(), 431);
    // Even before the whole head has arrived, once the limit is reached.
    assert_eq!(
        request_error(&long_fields[..32], &small),
        ProtocolError::new(ErrorKind::HeadTooLarge, 32)
    );
    assert_eq!(
        RequestHead::parse(&long_fields[..31], &small),
        Ok(Parsed::Partial)
    );

    // The request line alone is too long: 414.
    let mut long_line = b"GET /".to_vec();
    long_line.extend_from_slice(&[b'a'; 40]);
    long_line.extend_from_slice(b" HTTP/1.1\r\nHost: a\r\n\r\n");
    let err = request_error(&long_line, &small);
    assert_eq!(err, ProtocolError::new(ErrorKind::RequestLineTooLong, 32));
    assert_eq!(err.status_hint(), 414);
    assert_eq!(
        request_error(&long_line[..32], &small),
        ProtocolError::new(ErrorKind::RequestLineTooLong, 32)
    );
    assert_eq!(
        RequestHead::parse(&long_line[..31], &small),
        Ok(Parsed::Partial)
    );
    // After leading empty lines, the request line is still the request line.
    let mut led = b"\r\n\r\n".to_vec();
    led.extend_from_slice(&long_line);
    assert_eq!(
        request_error(&led, &small).kind,
        ErrorKind::RequestLineTooLong
    );

    // A head of exactly the limit is accepted; one byte less is not.
    let exact: &[u8] = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    assert_eq!(exact.len(), 27);
    let head = request(exact, &ParseConfig::default().with_max_head_len(27));
    assert_eq!(head.len, 27);
    assert_eq!(
        request_error(exact, &ParseConfig::default().with_max_head_len(26)),
        ProtocolError::new(ErrorKind::HeadTooLarge, 26)
    );
    // Leading empty lines count towards the limit.
    assert_eq!(
        request_error(
            b"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
            &ParseConfig::default().with_max_head_len(27)
        ),
        ProtocolError::new(ErrorKind::HeadTooLarge, 27)
    );

    // Responses have no request line: always 431.
    let mut long_status = b"HTTP/1.1 200 ".to_vec();
    long_status.extend_from_slice(&[b'a'; 40]);
    long_status.extend_from_slice(b"\r\n\r\n");
    assert_eq!(
        response_error(&long_status, &small),
        ProtocolError::new(ErrorKind::HeadTooLarge, 32)
    );
    // The body after the head does not count.
    let mut with_body = exact.to_vec();
    with_body.extend_from_slice(&[b'x'; 100]);
    assert_eq!(
        request(&with_body, &ParseConfig::default().with_max_head_len(27)).len,
        27
    );
}

// ------------------------------------------------------------- leniencies

#[test]
fn lenient_responses_sets_exactly_the_documented_flags() {
    let lenient = ParseConfig::lenient_responses();
    assert!(lenient.allow_obs_fold_in_responses);
    assert!(lenient.allow_missing_reason);
    assert!(lenient.allow_multiple_spaces);
    assert!(!lenient.allow_content_length_with_transfer_encoding);
    assert_eq!(lenient.max_head_len, ParseConfig::DEFAULT_MAX_HEAD_LEN);
    let strict = ParseConfig::default();
    assert_eq!(strict, ParseConfig::strict());
    assert!(
        !strict.allow_obs_fold_in_responses
            && !strict.allow_missing_reason
            && !strict.allow_multiple_spaces
            && !strict.allow_content_length_with_transfer_encoding
    );
    let bigger = lenient.with_max_head_len(100);
    assert_eq!(bigger.max_head_len, 100);
    assert!(bigger.allow_obs_fold_in_responses && bigger.allow_missing_reason);
}

#[test]
fn obs_fold_in_responses_when_allowed() {
    let buf: &[u8] = b"HTTP/1.1 200 OK\r\nX-Long: a\r\n b\r\nConnection: keep-alive,\r\n close\r\n\
                       Keep-Alive: timeout=5,\r\n\tmax=100\r\nContent-Length: 0\r\n\r\n";
    let mut fold_only = ParseConfig::default();
    fold_only.allow_obs_fold_in_responses = true;
    for config in [ParseConfig::lenient_responses(), fold_only] {
        let head = response(buf, &config);
        let headers: Vec<(&[u8], &[u8])> = head.headers().map(|h| (h.name, h.value)).collect();
        assert_eq!(
            headers,
            [
                (&b"X-Long"[..], &b"a\r\n b"[..]),
                (b"Connection", b"keep-alive,\r\n close"),
                (b"Keep-Alive", b"timeout=5,\r\n\tmax=100"),
                (b"Content-Length", b"0"),
            ]
        );
        assert_eq!(head.facts.field_count, 4);
        assert!(head.facts.connection.close && head.facts.connection.keep_alive);
        assert_eq!(
            head.facts.keep_alive,
            Some(KeepAlive::new().with_timeout(5).with_max(100))
        );
        assert_eq!(head.body_kind(Method::Get), BodyKind::Length(0));
        assert_eq!(head.len, buf.len());
    }
    assert_eq!(
        decide(GET10_KA, buf, &ParseConfig::lenient_responses()),
        Close(R::ResponseClose)
    );
    // Strict: rejected at the first fold.
    assert_eq!(
        response_error(buf, &STRICT),
        ProtocolError::new(ErrorKind::ObsFold, 28)
    );
    // A fold inside Content-Length is read as whitespace.
    let head = response(
        b"HTTP/1.1 200 OK\r\nContent-Length: 5,\r\n 5\r\n\r\n",
        &fold_only,
    );
    assert_eq!(head.facts.content_length, Some(5));
    // Requests are never folded, whatever the config says.
    let mut all = ParseConfig::lenient_responses();
    all.allow_content_length_with_transfer_encoding = true;
    assert_eq!(
        request_error(b"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", &all),
        ProtocolError::new(ErrorKind::ObsFold, 31)
    );
    // Leniency is not licence: other errors in folded responses are still found.
    assert_eq!(
        response_error(b"HTTP/1.1 200 OK\r\nX: a\r\n b\x00\r\n\r\n", &fold_only),
        ProtocolError::new(ErrorKind::InvalidHeaderValue, 25)
    );
}

#[test]
fn missing_reason_when_allowed() {
    let mut config = ParseConfig::default();
    config.allow_missing_reason = true;
    for c in [config, ParseConfig::lenient_responses()] {
        let head = response(b"HTTP/1.1 204\r\nConnection: close\r\n\r\n", &c);
        assert_eq!((head.status, head.reason), (204, &b""[..]));
        assert!(head.facts.connection.close);
    }
    // An empty reason after the SP is always fine.
    let head = response(b"HTTP/1.1 404 \r\n\r\n", &STRICT);
    assert_eq!((head.status, head.reason), (404, &b""[..]));
    // The code must still be three digits.
    assert_eq!(
        response_error(b"HTTP/1.1 2040\r\n\r\n", &config),
        ProtocolError::new(ErrorKind::InvalidStatusCode, 12)
    );
}

#[test]
fn multiple_spaces_when_allowed() {
    let mut config = ParseConfig::default();
    config.allow_multiple_spaces = true;
    for c in [config, ParseConfig::lenient_responses()] {
        let head = request(b"GET   /x   HTTP/1.1\r\nHost: a\r\n\r\n", &c);
        assert_eq!((head.method, head.target), (&b"GET"[..], &b"/x"[..]));
        let head = response(b"HTTP/1.1  200   Very  OK\r\n\r\n", &c);
        assert_eq!((head.status, head.reason), (200, &b"Very  OK"[..]));
    }
    // Only SP, never HTAB, separates the parts.
    assert_eq!(
        request_error(b"GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", &config).kind,
        ErrorKind::InvalidMethod
    );
}

// ---------------------------------------------------------------- framing

#[test]
fn response_body_kinds() {
    let cases: &[(Method, &[u8], BodyKind)] = &[
        (
            Method::Head,
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
            BodyKind::None,
        ),
        (
            Method::Head,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            BodyKind::None,
        ),
        (Method::Head, b"HTTP/1.1 200 OK\r\n\r\n", BodyKind::None),
        (
            Method::Get,
            b"HTTP/1.1 100 Continue\r\n\r\n",
            BodyKind::None,
        ),
        (
            Method::Get,
            b"HTTP/1.1 103 Early Hints\r\n\r\n",
            BodyKind::None,
        ),
        (
            Method::Get,
            b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
            BodyKind::None,
        ),
        (
            Method::Get,
            b"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n",
            BodyKind::None,
        ),
        (
            Method::Get,
            b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
            BodyKind::Tunnel,
        ),
        (
            Method::Connect,
            b"HTTP/1.1 200 OK\r\n\r\n",
            BodyKind::Tunnel,
        ),
        (
            Method::Connect,
            b"HTTP/1.1 204 OK\r\n\r\n",
            BodyKind::Tunnel,
        ),
        (
            Method::Connect,
            b"HTTP/1.1 407 Auth\r\nContent-Length: 3\r\n\r\n",
            BodyKind::Length(3),
        ),
        (
            Method::Connect,
            b"HTTP/1.1 502 Bad Gateway\r\n\r\n",
            BodyKind::UntilClose,
        ),
        (
            Method::Get,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            BodyKind::Chunked,
        ),
        (
            Method::Get,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n",
            BodyKind::Chunked,
        ),
        (
            Method::Get,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            BodyKind::Chunked,
        ),
        (
            Method::Get,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
            BodyKind::Chunked,
        ),
        (
            Method::Get,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
            BodyKind::UntilClose,
        ),
        (
            Method::Get,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
            BodyKind::UntilClose,
        ),
        (
            Method::Get,
            b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n",
            BodyKind::Length(7),
        ),
        (
            Method::Post,
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
            BodyKind::Length(0),
        ),
        (
            Method::Get,
            b"HTTP/1.1 200 OK\r\n\r\n",
            BodyKind::UntilClose,
        ),
        (
            Method::Get,
            b"HTTP/1.0 200 OK\r\n\r\n",
            BodyKind::UntilClose,
        ),
    ];
    for &(method, buf, expected) in cases {
        let head = response(buf, &STRICT);
        assert_eq!(head.body_kind(method), expected, "{method:?} {}", show(buf));
    }
    let interim = |buf: &[u8]| response(buf, &STRICT).is_interim();
    assert!(interim(b"HTTP/1.1 100 Continue\r\n\r\n"));
    assert!(interim(b"HTTP/1.1 103 Early Hints\r\n\r\n"));
    assert!(!interim(b"HTTP/1.1 101 Switching Protocols\r\n\r\n"));
    assert!(!interim(b"HTTP/1.1 200 OK\r\n\r\n"));
}

#[test]
fn request_body_kinds() {
    let cases: &[(&[u8], BodyKind, TransferEncoding)] = &[
        (GET11, BodyKind::None, TransferEncoding::Absent),
        (
            b"POST / HTTP/1.1\r\nHost: a\r\n\r\n",
            BodyKind::None,
            TransferEncoding::Absent,
        ),
        (
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n",
            BodyKind::Length(5),
            TransferEncoding::Absent,
        ),
        (
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
            BodyKind::Length(0),
            TransferEncoding::Absent,
        ),
        (
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
            BodyKind::Chunked,
            TransferEncoding::Chunked,
        ),
        (
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            BodyKind::Chunked,
            TransferEncoding::Chunked,
        ),
        (
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: CHUNKED\r\n\r\n",
            BodyKind::Chunked,
            TransferEncoding::Chunked,
        ),
        (
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,gzip;level=9 , chunked,\r\n\r\n",
            BodyKind::Chunked,
            TransferEncoding::Chunked,
        ),
    ];
    for &(buf, body, te) in cases {
        let head = request(buf, &STRICT);
        assert_eq!(
            (head.body, head.facts.transfer_encoding),
            (body, te),
            "{}",
            show(buf)
        );
    }
}

#[test]
fn content_length_lists_and_conflicts() {
    // "POST / HTTP/1.1\r\nHost: a\r\n" is 26 bytes; the first value starts at 42.
    let ok: &[(&[u8], u64)] = &[
        (b"Content-Length: 5\r\n", 5),
        (b"Content-Length: 5, 5\r\n", 5),
        (b"Content-Length: 5,5 , ,5\r\n", 5),
        (b"Content-Length: 5\r\ncontent-length: 5\r\n", 5),
        (b"Content-Length: 007\r\n", 7),
        (b"Content-Length: 18446744073709551615\r\n", u64::MAX),
    ];
    for &(fields, n) in ok {
        let mut buf = b"POST / HTTP/1.1\r\nHost: a\r\n".to_vec();
        buf.extend_from_slice(fields);
        buf.extend_from_slice(b"\r\n");
        let head = request(&buf, &STRICT);
        assert_eq!(head.facts.content_length, Some(n), "{}", show(&buf));
        assert_eq!(head.body, BodyKind::Length(n));
        let mut resp = b"HTTP/1.1 200 OK\r\n".to_vec();
        resp.extend_from_slice(fields);
        resp.extend_from_slice(b"\r\n");
        assert_eq!(
            response(&resp, &STRICT).body_kind(Method::Get),
            BodyKind::Length(n)
        );
    }
    use ErrorKind as K;
    let bad: &[(&[u8], ErrorKind, usize)] = &[
        (b"Content-Length: 5, 6\r\n", K::ConflictingContentLength, 45),
        (
            b"Content-Length: 5\r\nContent-Length: 6\r\n",
            K::ConflictingContentLength,
            61,
        ),
        (
            b"Content-Length: 5\r\nContent-Length: 5, 50\r\n",
            K::ConflictingContentLength,
            64,
        ),
        (b"Content-Length: +5\r\n", K::InvalidContentLength, 42),
        (b"Content-Length: -1\r\n", K::InvalidContentLength, 42),
        (b"Content-Length: 0x10\r\n", K::InvalidContentLength, 42),
        (b"Content-Length: 5 5\r\n", K::InvalidContentLength, 42),
        (b"Content-Length: 5, five\r\n", K::InvalidContentLength, 45),
        (b"Content-Length: \r\n", K::InvalidContentLength, 42),
        (b"Content-Length: , ,\r\n", K::InvalidContentLength, 42),
        (
            b"Content-Length: 18446744073709551616\r\n",
            K::InvalidContentLength,
            42,
        ),
    ];
    for &(fields, kind, offset) in bad {
        let mut buf = b"POST / HTTP/1.1\r\nHost: a\r\n".to_vec();
        buf.extend_from_slice(fields);
        buf.extend_from_slice(b"\r\n");
        assert_eq!(
            request_error(&buf, &STRICT),
            ProtocolError::new(kind, offset),
            "{}",
            show(&buf)
        );
        // The same fields in a response, 9 bytes earlier.
        let mut resp = b"HTTP/1.1 200 OK\r\n".to_vec();
        resp.extend_from_slice(fields);
        resp.extend_from_slice(b"\r\n");
        assert_eq!(
            response_error(&resp, &STRICT),
            ProtocolError::new(kind, offset - 9),
            "{}",
            show(&resp)
        );
    }
}

#[test]
fn transfer_encoding_lists() {
    use ErrorKind::InvalidTransferEncoding as Bad;
    // "POST / HTTP/1.1\r\nHost: a\r\n" is 26 bytes; the first value starts at 45.
    let cases: &[(&[u8], usize)] = &[
        (b"Transfer-Encoding: chunked, chunked\r\n", 54),
        (
            b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
            73,
        ),
        (b"Transfer-Encoding: chunked, gzip, chunked\r\n", 60),
        (b"Transfer-Encoding: \"chunked\"\r\n", 45),
        (b"Transfer-Encoding: \r\n", 45),
        (b"Transfer-Encoding: gzip, a b\r\n", 51),
    ];
    for &(fields, offset) in cases {
        let mut buf = b"POST / HTTP/1.1\r\nHost: a\r\n".to_vec();
        buf.extend_from_slice(fields);
        buf.extend_from_slice(b"\r\n");
        assert_eq!(
            request_error(&buf, &STRICT),
            ProtocolError::new(Bad, offset),
            "{}",
            show(&buf)
        );
        let mut resp = b"HTTP/1.1 200 OK\r\n".to_vec();
        resp.extend_from_slice(fields);
        resp.extend_from_slice(b"\r\n");
        assert_eq!(
            response_error(&resp, &STRICT),
            ProtocolError::new(Bad, offset - 9),
            "{}",
            show(&resp)
        );
    }
    // A request whose codings do not end in chunked has no knowable length.
    let not_chunked: &[(&[u8], usize)] = &[
        (b"Transfer-Encoding: gzip\r\n", 45),
        (b"Transfer-Encoding: chunked, gzip\r\n", 45),
        (
            b"Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n",
            73,
        ),
    ];
    for &(fields, offset) in not_chunked {
        let mut buf = b"POST / HTTP/1.1\r\nHost: a\r\n".to_vec();
        buf.extend_from_slice(fields);
        buf.extend_from_slice(b"\r\n");
        assert_eq!(
            request_error(&buf, &STRICT),
            ProtocolError::new(Bad, offset),
            "{}",
            show(&buf)
        );
        // The same list in a response means: read until close.
        let mut resp = b"HTTP/1.1 200 OK\r\n".to_vec();
        resp.extend_from_slice(fields);
        resp.extend_from_slice(b"\r\n");
        let head = response(&resp, &STRICT);
        assert_eq!(head.facts.transfer_encoding, TransferEncoding::NotChunked);
        assert_eq!(head.body_kind(Method::Get), BodyKind::UntilClose);
    }
}

// ---------------------------------------------------------------- headers

#[test]
fn headers_iterate_in_order_and_get_is_case_insensitive() {
    let buf: &[u8] = b"GET / HTTP/1.1\r\nHost: a.example\r\nAccept:  text/html \t\r\nX-Empty:\r\n\
                       x-dup: 1\r\nX-DUP: 2\r\nX-Bytes: caf\xc3\xa9\t!\r\n\r\nbody";
    let head = request(buf, &STRICT);
    let expected: [(&[u8], &[u8]); 6] = [
        (b"Host", b"a.example"),
        (b"Accept", b"text/html"),
        (b"X-Empty", b""),
        (b"x-dup", b"1"),
        (b"X-DUP", b"2"),
        (b"X-Bytes", b"caf\xc3\xa9\t!"),
    ];
    let got: Vec<(&[u8], &[u8])> = head.headers().map(|h| (h.name, h.value)).collect();
    assert_eq!(got, expected);
    assert_eq!(head.facts.field_count, expected.len());
    // The iterator can be walked again, and cloned mid-way.
    let mut it = head.headers();
    assert_eq!(it.next().map(|h| h.name), Some(&b"Host"[..]));
    let rest: Vec<&[u8]> = it.clone().map(|h| h.name).collect();
    assert_eq!(rest.len(), 5);
    assert_eq!(it.count(), 5);
    // get: case-insensitive, first match, None when absent.
    assert_eq!(head.headers().get("HOST"), Some(&b"a.example"[..]));
    assert_eq!(head.headers().get("accept"), Some(&b"text/html"[..]));
    assert_eq!(head.headers().get("X-Dup"), Some(&b"1"[..]));
    assert_eq!(head.headers().get("x-empty"), Some(&b""[..]));
    assert_eq!(head.headers().get("x-missing"), None);
    assert_eq!(head.headers().get("Hos"), None);
    assert_eq!(head.len, buf.len() - 4);

    let resp = response(
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\n\r\n",
        &STRICT,
    );
    let values: Vec<&[u8]> = resp
        .headers()
        .filter(|h| h.name.eq_ignore_ascii_case(b"set-cookie"))
        .map(|h| h.value)
        .collect();
    assert_eq!(values, [&b"a=1"[..], b"b=2"]);
    assert_eq!(resp.headers().get("SET-COOKIE"), Some(&b"a=1"[..]));
    // A head without fields has none.
    assert_eq!(request(GET10, &STRICT).headers().count(), 0);
}

// ----------------------------------------------------------------- policy

#[test]
fn request_and_response_fields() {
    use ConnectionValue as C;
    let fields = |connection, keep_alive| PersistenceFields {
        connection,
        keep_alive,
    };
    let announce = KeepAlive::new().with_timeout(5).with_max(100);
    let requests: &[(Version, bool, PersistenceFields)] = &[
        (Version::Http11, true, fields(None, None)),
        (Version::Http11, false, fields(Some(C::Close), None)),
        (Version::Http10, true, fields(Some(C::KeepAlive), None)),
        (Version::Http10, false, fields(Some(C::Close), None)),
    ];
    for &(version, keep, expected) in requests {
        assert_eq!(
            request_fields(version, keep),
            expected,
            "{version:?} {keep}"
        );
    }
    let responses: &[(Version, bool, Option<KeepAlive>, PersistenceFields)] = &[
        (Version::Http11, true, None, fields(None, None)),
        (
            Version::Http11,
            true,
            Some(announce),
            fields(Some(C::KeepAlive), Some(announce)),
        ),
        (
            Version::Http10,
            true,
            None,
            fields(Some(C::KeepAlive), None),
        ),
        (
            Version::Http10,
            true,
            Some(announce),
            fields(Some(C::KeepAlive), Some(announce)),
        ),
        (Version::Http11, false, None, fields(Some(C::Close), None)),
        (
            Version::Http11,
            false,
            Some(announce),
            fields(Some(C::Close), None),
        ),
        (
            Version::Http10,
            false,
            Some(announce),
            fields(Some(C::Close), None),
        ),
    ];
    for &(version, keep, announce, expected) in responses {
        assert_eq!(
            response_fields(version, keep, announce),
            expected,
            "{version:?} {keep} {announce:?}"
        );
    }
    assert_eq!(C::Close.as_str(), "close");
    assert_eq!(C::KeepAlive.as_str(), "keep-alive");
    assert_eq!(PersistenceFields::default(), fields(None, None));
}

/// Writes a head with the fields the policy asks for.
fn write_head(start_line: &str, extra: &str, fields: PersistenceFields) -> Vec<u8> {
    let mut head = format!("{start_line}\r\n{extra}");
    if let Some(c) = fields.connection {
        head.push_str(&format!("Connection: {}\r\n", c.as_str()));
    }
    if let Some(ka) = fields.keep_alive {
        let mut params = Vec::new();
        if let Some(t) = ka.timeout {
            params.push(format!("timeout={t}"));
        }
        if let Some(m) = ka.max {
            params.push(format!("max={m}"));
        }
        head.push_str(&format!("Keep-Alive: {}\r\n", params.join(", ")));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

#[test]
fn heads_written_with_the_policy_fields_mean_what_they_say() {
    let announce = KeepAlive::new().with_timeout(7).with_max(3);
    for version in [Version::Http10, Version::Http11] {
        for client_keep in [false, true] {
            let req = write_head(
                &format!("GET / {}", version.as_str()),
                "Host: a\r\n",
                request_fields(version, client_keep),
            );
            let req_summary = summary(&req, &STRICT);
            assert_eq!(
                request_persistence(req_summary).is_keep_alive(),
                client_keep,
                "{}",
                show(&req)
            );
            for server_keep in [false, true] {
                for ann in [None, Some(announce)] {
                    let keep = client_keep && server_keep;
                    let resp = write_head(
                        "HTTP/1.1 200 OK",
                        "Content-Length: 0\r\n",
                        response_fields(version, keep, ann),
                    );
                    let decision = decide(&req, &resp, &STRICT);
                    assert_eq!(
                        decision.is_keep_alive(),
                        keep,
                        "{} then {}: {decision:?}",
                        show(&req),
                        show(&resp)
                    );
                    let head = response(&resp, &STRICT);
                    let expected_ka = if keep { ann } else { None };
                    assert_eq!(head.facts.keep_alive, expected_ka, "{}", show(&resp));
                }
            }
        }
    }
}

#[test]
fn close_reasons_have_stable_names() {
    let cases: &[(CloseReason, &str)] = &[
        (R::RequestClose, "request_close"),
        (R::ResponseClose, "response_close"),
        (R::Http10NoKeepAlive, "http10_no_keep_alive"),
        (R::CloseDelimited, "close_delimited"),
        (R::Http10TransferEncoding, "http10_transfer_encoding"),
        (R::ProtocolSwitch, "upgrade"),
        (R::MaxReached, "max_reached"),
    ];
    for &(reason, name) in cases {
        assert_eq!(reason.as_str(), name);
        assert_eq!(reason.to_string(), name);
    }
    assert!(Keep.is_keep_alive());
    assert!(!Close(R::LocalClose).is_keep_alive());
}

#[test]
fn error_kinds_map_to_status_hints() {
    let cases: &[(ErrorKind, u16)] = &[
        (ErrorKind::HeadTooLarge, 431),
        (ErrorKind::RequestLineTooLong, 414),
        (ErrorKind::UnsupportedVersion, 505),
        (ErrorKind::HeadTimeout, 408),
        (ErrorKind::BareLf, 400),
        (ErrorKind::InvalidHost, 400),
        (ErrorKind::ContentLengthWithTransferEncoding, 400),
    ];
    for &(kind, status) in cases {
        assert_eq!(kind.status_hint(), status, "{kind:?}");
        assert_eq!(ProtocolError::new(kind, 3).status_hint(), status);
    }
    assert_eq!(
        ProtocolError::new(ErrorKind::BareLf, 14).to_string(),
        "bare LF without CR at byte 14"
    );
}

// ------------------------------------------------------------------- bugs

/// `HeadScanner` documents that "handing it a buffer shorter than before
/// starts the scan over", but while it is still skipping leading empty lines
/// it has not recorded anything as scanned, so a shorter buffer does not
/// reset it and the old start offset is kept.
#[test]
fn scanner_restarts_on_a_shorter_buffer_while_skipping_empty_lines() {
    let mut scanner = HeadScanner::new();
    assert_eq!(scanner.scan(b"\r\n\r\n\r\n", 100, true), Ok(None));
    // A shorter buffer: the scan must start over.
    assert_eq!(scanner.scan(b"\r\n", 100, true), Ok(None));
    // The buffer then grows from that shorter one: one empty line, then the head.
    let head = b"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
    assert_eq!(
        scanner.scan(head, 100, true),
        Ok(Some(HeadBounds { start: 2, end: 29 }))
    );
}

/// With `allow_multiple_spaces`, an `InvalidTarget` error for a target that
/// does not fit its method points at the target itself.
#[test]
fn invalid_target_offset_with_multiple_spaces() {
    let mut config = ParseConfig::default();
    config.allow_multiple_spaces = true;
    let buf = b"GET   * HTTP/1.1\r\nHost: a\r\n\r\n";
    assert_eq!(buf[6], b'*');
    // Actual: offset 4 (a space).
    assert_eq!(
        request_error(buf, &config),
        ProtocolError::new(ErrorKind::InvalidTarget, 6)
    );
}

/// A folded value keeps its inner folds (documented), but `Header::value` is
/// "without leading or trailing whitespace", and RFC 9112 5.2 reads each
/// obs-fold as SP: a fold at the start or end of a value is trimmed.
#[test]
fn folds_at_the_edges_of_a_value_are_trimmed() {
    let head = response(
        b"HTTP/1.1 200 OK\r\nA:\r\n b\r\nC: d\r\n \r\n\r\n",
        &ParseConfig::lenient_responses(),
    );
    assert_eq!(head.headers().get("a"), Some(&b"b"[..]));
    assert_eq!(head.headers().get("c"), Some(&b"d"[..]));
}

/// A CR not followed by LF is reported as `BareCr` in field lines, but in
/// the start line it is reported under another kind (at the right offset). `ErrorKind::BareCr` is documented as "A CR was not
/// followed by LF", and design.md lists bare CR among the strict errors.
#[test]

fn bare_cr_is_bare_cr_everywhere() {
    let cases: &[(&[u8], usize, bool)] = &[
        (b"GET / HTTP/1.1\rX\r\nHost: a\r\n\r\n", 14, true), // InvalidVersion
        (b"GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n", 6, true), // InvalidTarget
        (b"GET / HTTP/1.1\r\nHo\rst: a\r\n\r\n", 18, true),  // MissingColon
        (b"\r\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, true), // InvalidMethod
        (b"HTTP/1.1 200 O\rK\r\n\r\n", 14, false),           // InvalidReasonPhrase
    ];
    for &(buf, offset, is_request) in cases {
        let err = if is_request {
            request_error(buf, &STRICT)
        } else {
            response_error(buf, &STRICT)
        };
        assert_eq!(err.offset, offset, "{}", show(buf));
        assert_eq!(err.kind, ErrorKind::BareCr, "{}", show(buf));
    }
}

/// `status-line = HTTP-version SP status-code SP [ reason-phrase ]` and
/// `reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )` (RFC 9112 4, and
/// design.md): a reason phrase may begin with SP, so `HTTP/1.1 200  OK` is a
/// valid status line whose reason is `" OK"`. The strict parser treats the
/// second SP as a run of separators and rejects the line.
#[test]

fn reason_phrase_may_start_with_a_space() {
    // Actual: Err(ProtocolError { kind: InvalidStartLine, offset: 13 }).
    let head = response(b"HTTP/1.1 200  OK\r\n\r\n", &STRICT);
    assert_eq!((head.status, head.reason), (200, &b" OK"[..]));
    let head = response(b"HTTP/1.1 404  \r\n\r\n", &STRICT);
    assert_eq!((head.status, head.reason), (404, &b" "[..]));
}

/// RFC 9112 3.2: `Host = uri-host [ ":" port ]`; anything else is a 400.
#[test]
fn host_must_be_a_uri_host_with_an_optional_port() {
    for host in [
        "a",
        "",
        "example.com:8080",
        "127.0.0.1",
        "[::1]:443",
        "[2001:db8::1]",
        "xn--d1acpjx3f.xn--p1ai",
    ] {
        let buf = format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n");
        request(buf.as_bytes(), &STRICT);
    }
    let prefix = "GET / HTTP/1.1\r\nHost: ".len();
    for (host, at) in [
        ("a b", 1),
        ("a/b", 1),
        ("user@evil", 4),
        ("[::1", 4),
        ("a:80x", 4),
        ("a:b:c", 2),
        ("[::1]x", 5),
    ] {
        let buf = format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n");
        let err = request_error(buf.as_bytes(), &STRICT);
        assert_eq!(
            err,
            ProtocolError::new(ErrorKind::MalformedHost, prefix + at),
            "{host}"
        );
        assert_eq!(err.status_hint(), 400);
    }
}

/// RFC 9112 3.2.3: a CONNECT target is `uri-host ":" port`.
#[test]
fn connect_target_needs_a_port() {
    request(CONNECT, &STRICT);
    request(
        b"CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n",
        &STRICT,
    );
    for target in ["a.example", "a.example:", "a.example:x", "[::1]", "a@b:443"] {
        let buf = format!("CONNECT {target} HTTP/1.1\r\nHost: a\r\n\r\n");
        assert_eq!(
            request_error(buf.as_bytes(), &STRICT),
            ProtocolError::new(ErrorKind::InvalidTarget, 8),
            "{target}"
        );
    }
}
