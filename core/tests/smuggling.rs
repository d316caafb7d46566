//! Hostile inputs and the outcome each must have: request smuggling
//! (CL.TE, TE.CL, obfuscated `Transfer-Encoding`, odd `Content-Length`),
//! malformed chunks, control bytes, folds, oversized heads, bytes after a
//! close decision, and responses that must not carry a body.
//!
//! Every row goes through the public [`Connection`] API: a server reads
//! requests (and answers each with an empty 200), a client reads responses
//! after sending the request the row names. Each input is fed whole and
//! then one byte at a time; both runs must give exactly the outcome the row
//! states: a typed error with its kind and its offset in the input, or the
//! bodies received and the connection's final action.
#![allow(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use h1conn::policy::CloseReason;
use h1conn::time::Instant;
use h1conn::wire::{Header, ParseConfig, Version};
use h1conn::{Action, Config, Connection, ErrorKind, Event, Role};

use CloseReason as R;
use ErrorKind as K;

/// Which engine reads the input.
#[derive(Clone, Copy, Debug)]
enum Side {
    /// A server reading requests.
    Server,
    /// A client that sent a request with this method.
    Client(&'static str),
    /// A client that sent nothing.
    ClientIdle,
    /// A client that sent a GET asking to switch (`Upgrade: x`).
    ClientUpgrade,
}

/// Where an error is expected: the first occurrence of a marker in the
/// input (the `n`th when given), moved by a delta.
#[derive(Clone, Copy, Debug)]
enum Where {
    /// First byte of the first occurrence of the marker, plus a delta.
    At(&'static str, usize),
    /// First byte of occurrence `n` (from 0) of the marker, plus a delta.
    Nth(&'static str, usize, usize),
    /// A plain offset.
    Offset(usize),
}

/// What must happen.
#[derive(Clone, Debug)]
enum Expect {
    /// A protocol error of this kind at this place; the connection closes.
    Error(ErrorKind, Where),
    /// Accepted up to the end of the input, then the peer's EOF cuts a
    /// message short: this error from `handle_eof`.
    EofError(ErrorKind),
    /// Accepted: one body per message received, then the connection
    /// closes for this reason.
    Close(Vec<&'static [u8]>, CloseReason),
    /// Accepted: one body per message received, and the connection may be
    /// reused.
    Keep(Vec<&'static [u8]>),
    /// Accepted, and the connection switched protocols.
    Switched,
}

struct Case {
    name: &'static str,
    side: Side,
    /// Accept `Content-Length` with `Transfer-Encoding` and obs-fold in
    /// responses (`ParseConfig` opt-ins).
    lenient: bool,
    input: Vec<u8>,
    /// Whether the peer closes after the input.
    eof: bool,
    expect: Expect,
}

fn case(name: &'static str, side: Side, input: impl Into<Vec<u8>>, expect: Expect) -> Case {
    Case {
        name,
        side,
        lenient: false,
        input: input.into(),
        eof: false,
        expect,
    }
}

impl Case {
    fn lenient(mut self) -> Self {
        self.lenient = true;
        self
    }

    fn eof(mut self) -> Self {
        self.eof = true;
        self
    }
}

/// What a run produced.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    /// The first protocol error: kind and offset in the whole input.
    error: Option<(ErrorKind, usize)>,
    /// The error `handle_eof` returned, if any.
    eof_error: Option<ErrorKind>,
    /// One body per completed message.
    bodies: Vec<Vec<u8>>,
    /// The final action.
    action: Action,
}

fn run(case: &Case, piece: usize) -> Outcome {
    let now = Instant::from_millis(0);
    let mut config = Config::new();
    if case.lenient {
        config.parse = ParseConfig::lenient_responses();
        config.parse.allow_content_length_with_transfer_encoding = true;
    }
    let role = match case.side {
        Side::Server => Role::Server,
        Side::Client(_) | Side::ClientIdle | Side::ClientUpgrade => Role::Client,
    };
    let mut conn = Connection::new(role, config, now);
    let mut head = [0u8; 256];
    let (method, upgrade) = match case.side {
        Side::Client(method) => (Some(method), false),
        Side::ClientUpgrade => (Some("GET"), true),
        Side::Server | Side::ClientIdle => (None, false),
    };
    if let Some(method) = method {
        let target: &[u8] = if method == "CONNECT" { b"a:443" } else { b"/" };
        let mut headers = vec![Header {
            name: b"Host",
            value: b"a",
        }];
        if upgrade {
            headers.push(Header {
                name: b"Upgrade",
                value: b"x",
            });
            headers.push(Header {
                name: b"Connection",
                value: b"upgrade",
            });
        }
        conn.send_request(
            now,
            method.as_bytes(),
            target,
            Version::Http11,
            &headers,
            &mut head,
        )
        .unwrap();
    }
    let mut out = Outcome {
        error: None,
        eof_error: None,
        bodies: Vec::new(),
        action: Action::Continue,
    };
    let (mut inbox, mut base, mut body) = (Vec::new(), 0, Vec::new());
    'feed: for chunk in case.input.chunks(piece.max(1)) {
        inbox.extend_from_slice(chunk);
        loop {
            let step = match conn.handle_input(now, &inbox) {
                Ok(step) => step,
                Err(e) => {
                    out.error = Some((e.kind, base + e.offset));
                    break 'feed;
                }
            };
            // Every event may consume bytes, `NeedData` included.
            let consumed = step.bytes;
            let (mut ended, mut wait) = (false, false);
            match step.event {
                Event::Body(data) => body.extend_from_slice(data),
                Event::MessageEnd => ended = true,
                Event::NeedData | Event::Paused | Event::Switched => wait = true,
                _ => {}
            }
            inbox.drain(..consumed);
            base += consumed;
            if wait {
                break;
            }
            if ended {
                out.bodies.push(std::mem::take(&mut body));
                if role == Role::Server {
                    let length = Header {
                        name: b"Content-Length",
                        value: b"0",
                    };
                    conn.send_response(now, 200, b"OK", &[length], &mut head)
                        .unwrap();
                    conn.finish_message(now).unwrap();
                }
            }
        }
    }
    if case.eof && out.error.is_none() {
        match conn.handle_eof(now) {
            Ok(Some(Event::MessageEnd)) => out.bodies.push(std::mem::take(&mut body)),
            Ok(_) => {}
            Err(e) => out.eof_error = Some(e.kind),
        }
    }
    out.action = conn.poll_action();
    out
}

fn offset(input: &[u8], place: Where) -> usize {
    let find = |marker: &str, n: usize| {
        let marker = marker.as_bytes();
        input
            .windows(marker.len())
            .enumerate()
            .filter(|(_, w)| *w == marker)
            .nth(n)
            .map(|(i, _)| i)
            .unwrap_or_else(|| panic!("marker {marker:?} not in the input"))
    };
    match place {
        Where::At(marker, delta) => find(marker, 0) + delta,
        Where::Nth(marker, n, delta) => find(marker, n) + delta,
        Where::Offset(n) => n,
    }
}

#[track_caller]
fn check(case: &Case) {
    let expected = match &case.expect {
        Expect::Error(kind, place) => Outcome {
            error: Some((*kind, offset(&case.input, *place))),
            eof_error: None,
            bodies: Vec::new(),
            action: Action::Continue,
        },
        Expect::EofError(kind) => Outcome {
            error: None,
            eof_error: Some(*kind),
            bodies: Vec::new(),
            action: Action::Close(R::PeerClosed),
        },
        Expect::Close(bodies, reason) => Outcome {
            error: None,
            eof_error: None,
            bodies: bodies.iter().map(|b| b.to_vec()).collect(),
            action: Action::Close(*reason),
        },
        Expect::Keep(bodies) => Outcome {
            error: None,
            eof_error: None,
            bodies: bodies.iter().map(|b| b.to_vec()).collect(),
            action: Action::Reuse,
        },
        Expect::Switched => Outcome {
            error: None,
            eof_error: None,
            bodies: Vec::new(),
            action: Action::Switched,
        },
    };
    for piece in [case.input.len(), 1] {
        let mut got = run(case, piece);
        if let Expect::Error(..) = case.expect {
            // After an error only the close matters, not what came before.
            assert!(
                matches!(got.action, Action::Close(_)),
                "{}: still open after {:?}: {:?}",
                case.name,
                got.error,
                got.action
            );
            got.bodies.clear();
            got.action = Action::Continue;
        }
        assert_eq!(got, expected, "{} (fed {piece} bytes at a time)", case.name);
    }
}

const POST: &str = "POST / HTTP/1.1\r\nHost: a\r\n";
const CHUNKED_POST: &str = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
const GET: &str = "GET / HTTP/1.1\r\nHost: a\r\n";

fn cat(parts: &[&str]) -> Vec<u8> {
    parts.concat().into_bytes()
}

fn framing_cases() -> Vec<Case> {
    use Expect::{Close, Error, Keep};
    use Side::{Client, Server};
    vec![
        // CL.TE and TE.CL: both framings at once are refused where the
        // second one appears, so no smuggled "G..." can be read.
        case(
            "CL.TE",
            Server,
            cat(&[POST, "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG"]),
            Error(K::ContentLengthWithTransferEncoding, Where::At("chunked\r\n", 0)),
        ),
        case(
            "TE.CL",
            Server,
            cat(&[POST, "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\nGPOST"]),
            Error(K::ContentLengthWithTransferEncoding, Where::At("4\r\n", 0)),
        ),
        case(
            "TE.CL in a response",
            Client("GET"),
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
            Error(K::ContentLengthWithTransferEncoding, Where::At("3\r\n", 0)),
        ),
        case(
            "CL.TE when allowed: chunked wins, then close",
            Server,
            cat(&[POST, "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"]),
            Close(vec![b""], R::FramingConflict),
        )
        .lenient(),
        case(
            "CL.TE when allowed: the smuggled bytes are never read as a request",
            Server,
            cat(&[POST, "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGPOST / HTTP/1.1\r\n\r\n"]),
            Error(K::UnexpectedData, Where::At("GPOST", 0)),
        )
        .lenient(),
        // Transfer-Encoding obfuscations.
        case(
            "TE: xchunked is not chunked",
            Server,
            cat(&[POST, "Transfer-Encoding: xchunked\r\n\r\n"]),
            Error(K::InvalidTransferEncoding, Where::At("xchunked", 0)),
        ),
        case(
            "TE: chunked, identity does not end in chunked",
            Server,
            cat(&[POST, "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"]),
            Error(K::InvalidTransferEncoding, Where::At("chunked, ", 0)),
        ),
        case(
            "TE: identity, chunked is chunked",
            Server,
            cat(&[POST, "Transfer-Encoding: identity, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"]),
            Keep(vec![b"hello"]),
        ),
        case(
            "TE: whitespace and tabs around the value are optional whitespace",
            Server,
            cat(&[POST, "Transfer-Encoding:\t chunked \t\r\n\r\n5\r\nhello\r\n0\r\n\r\n"]),
            Keep(vec![b"hello"]),
        ),
        case(
            "TE: upper case is the same coding",
            Server,
            cat(&[POST, "TRANSFER-ENCODING: CHUNKED\r\n\r\n5\r\nhello\r\n0\r\n\r\n"]),
            Keep(vec![b"hello"]),
        ),
        case(
            "TE: two chunked lines apply chunked twice",
            Server,
            cat(&[POST, "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"]),
            Error(K::InvalidTransferEncoding, Where::Nth("chunked", 1, 0)),
        ),
        case(
            "TE: a second line that is not chunked",
            Server,
            cat(&[POST, "Transfer-Encoding: chunked\r\nTransfer-Encoding: cow\r\n\r\n"]),
            Error(K::InvalidTransferEncoding, Where::At("cow", 0)),
        ),
        case(
            "TE: space before the colon",
            Server,
            cat(&[POST, "Transfer-Encoding : chunked\r\n\r\n"]),
            Error(K::WhitespaceBeforeColon, Where::At(" :", 0)),
        ),
        case(
            "TE: a quoted coding is not a token",
            Server,
            cat(&[POST, "Transfer-Encoding: \"chunked\"\r\n\r\n"]),
            Error(K::InvalidTransferEncoding, Where::At("\"chunked", 0)),
        ),
        case(
            "TE: a vertical tab after chunked",
            Server,
            cat(&[POST, "Transfer-Encoding: chunked\x0b\r\n\r\n"]),
            Error(K::InvalidHeaderValue, Where::At("\x0b", 0)),
        ),
        case(
            "TE: an empty value",
            Server,
            cat(&[POST, "Transfer-Encoding: ,\r\n\r\n"]),
            Error(K::InvalidTransferEncoding, Where::At(",\r\n", 0)),
        ),
        case(
            "TE in HTTP/1.0: read, then close",
            Server,
            "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
            Close(vec![b"hi"], R::Http10TransferEncoding),
        ),
        case(
            "TE in a response not ending in chunked: read until close",
            Client("GET"),
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, identity\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            Close(vec![b"5\r\nhello\r\n0\r\n\r\n"], R::CloseDelimited),
        )
        .eof(),
        // Content-Length forms.
        case(
            "CL: plus sign",
            Server,
            cat(&[POST, "Content-Length: +5\r\n\r\nhello"]),
            Error(K::InvalidContentLength, Where::At("+5", 0)),
        ),
        case(
            "CL: minus sign",
            Server,
            cat(&[POST, "Content-Length: -5\r\n\r\nhello"]),
            Error(K::InvalidContentLength, Where::At("-5", 0)),
        ),
        case(
            "CL: leading zeros are decimal",
            Server,
            cat(&[POST, "Content-Length: 005\r\n\r\nhello"]),
            Keep(vec![b"hello"]),
        ),
        case(
            "CL: hex",
            Server,
            cat(&[POST, "Content-Length: 0x5\r\n\r\nhello"]),
            Error(K::InvalidContentLength, Where::At("0x5", 0)),
        ),
        case(
            "CL: a space inside",
            Server,
            cat(&[POST, "Content-Length: 1 0\r\n\r\nhelloworld"]),
            Error(K::InvalidContentLength, Where::At("1 0", 0)),
        ),
        case(
            "CL: larger than 64 bits",
            Server,
            cat(&[POST, "Content-Length: 18446744073709551616\r\n\r\n"]),
            Error(K::InvalidContentLength, Where::At("1844", 0)),
        ),
        case(
            "CL: a list of differing values",
            Server,
            cat(&[POST, "Content-Length: 5, 6\r\n\r\nhello"]),
            Error(K::ConflictingContentLength, Where::At("6\r\n", 0)),
        ),
        case(
            "CL: a list of equal values",
            Server,
            cat(&[POST, "Content-Length: 5, 5\r\n\r\nhello"]),
            Keep(vec![b"hello"]),
        ),
        case(
            "CL: two lines with differing values",
            Server,
            cat(&[POST, "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello"]),
            Error(K::ConflictingContentLength, Where::At("6\r\n", 0)),
        ),
        case(
            "CL: an empty value",
            Server,
            cat(&[POST, "Content-Length: \r\n\r\n"]),
            Error(K::InvalidContentLength, Where::At(" \r\n", 1)),
        ),
        case(
            "CL: differing values in a response",
            Client("GET"),
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 20\r\n\r\nok",
            Error(K::ConflictingContentLength, Where::At("20\r\n", 0)),
        ),
        case(
            "CL: a request hidden in a body is body",
            Server,
            cat(&[GET, "Content-Length: 30\r\n\r\nGET /admin HTTP/1.1\r\nHost: a\r\n"]),
            Keep(vec![b"GET /admin HTTP/1.1\r\nHost: a\r\n"]),
        ),
    ]
}

fn chunk_cases() -> Vec<Case> {
    use Expect::{EofError, Error, Keep};
    use Side::Server;
    let chunked = |body: &str| cat(&[CHUNKED_POST, body]);
    vec![
        case(
            "chunk size with 0x",
            Server,
            chunked("0x5\r\nhello\r\n0\r\n\r\n"),
            Error(K::InvalidChunkSize, Where::At("x5", 0)),
        ),
        case(
            "chunk size overflowing 64 bits",
            Server,
            chunked("10000000000000000\r\n"),
            Error(K::ChunkSizeTooLong, Where::At("10000000000000000", 16)),
        ),
        case(
            "chunk size with leading zeros",
            Server,
            chunked("0000000000000005\r\nhello\r\n0\r\n\r\n"),
            Keep(vec![b"hello"]),
        ),
        case(
            "negative chunk size",
            Server,
            chunked("-1\r\n"),
            Error(K::InvalidChunkSize, Where::At("-1", 0)),
        ),
        case(
            "bare LF ending a chunk size line",
            Server,
            chunked("5\nhello\r\n0\r\n\r\n"),
            Error(K::BareLf, Where::At("5\n", 1)),
        ),
        case(
            "bare CR ending a chunk size line",
            Server,
            chunked("5\rhello\r\n0\r\n\r\n"),
            Error(K::BareCr, Where::At("5\rh", 2)),
        ),
        case(
            "chunk data not followed by CRLF",
            Server,
            chunked("5\r\nhelloX\r\n0\r\n\r\n"),
            Error(K::MissingChunkCrlf, Where::At("X", 0)),
        ),
        case(
            "chunk data followed by LF alone",
            Server,
            chunked("5\r\nhello\n0\r\n\r\n"),
            Error(K::MissingChunkCrlf, Where::At("hello\n", 5)),
        ),
        // Regression: `5 5` was read as a chunk of 5 with an extension.
        case(
            "chunk size, space, digit",
            Server,
            chunked("5 5\r\nhello\r\n0\r\n\r\n"),
            Error(K::InvalidChunkSize, Where::At("5 5", 2)),
        ),
        case(
            "chunk size, tab, garbage",
            Server,
            chunked("5\tzz\r\nhello\r\n0\r\n\r\n"),
            Error(K::InvalidChunkSize, Where::At("zz", 0)),
        ),
        case(
            "whitespace before a chunk extension",
            Server,
            chunked("5 ;a=b\r\nhello\r\n0\r\n\r\n"),
            Keep(vec![b"hello"]),
        ),
        case(
            "NUL in a chunk extension",
            Server,
            chunked("5;a\x00b\r\nhello\r\n0\r\n\r\n"),
            Error(K::InvalidChunkExtension, Where::At("\x00", 0)),
        ),
        // RFC 9112 7.1 chunk-ext, exactly.
        case(
            "whitespace before the CRLF of a chunk size line",
            Server,
            chunked("5  \r\nhello\r\n0\r\n\r\n"),
            Error(K::InvalidChunkSize, Where::At("5  \r", 3)),
        ),
        case(
            "whitespace after a chunk extension",
            Server,
            chunked("5;a=b \r\nhello\r\n0\r\n\r\n"),
            Error(K::InvalidChunkExtension, Where::At("b \r", 2)),
        ),
        case(
            "an empty chunk extension name",
            Server,
            chunked("5;\r\nhello\r\n0\r\n\r\n"),
            Error(K::InvalidChunkExtension, Where::At(";\r", 1)),
        ),
        case(
            "an empty chunk extension value",
            Server,
            chunked("5;a=\r\nhello\r\n0\r\n\r\n"),
            Error(K::InvalidChunkExtension, Where::At("=\r", 1)),
        ),
        case(
            "an unterminated quoted chunk extension",
            Server,
            chunked("5;a=\"b\r\nhello\r\n0\r\n\r\n"),
            Error(K::InvalidChunkExtension, Where::At("b\r", 1)),
        ),
        case(
            "a quoted chunk extension swallowing the next chunk",
            Server,
            chunked("5;a=\"\r\nhello\r\n0\r\n\r\n\"\r\n"),
            Error(K::InvalidChunkExtension, Where::At("\"\r", 1)),
        ),
        case(
            "an escaped CR in a quoted chunk extension",
            Server,
            chunked("5;a=\"\\\r\"\r\nhello\r\n0\r\n\r\n"),
            Error(K::InvalidChunkExtension, Where::At("\\\r", 1)),
        ),
        case(
            "a bare LF ending a chunk extension",
            Server,
            chunked("5;a=b\nhello\r\n0\r\n\r\n"),
            Error(K::BareLf, Where::At("b\n", 1)),
        ),
        case(
            "a bare CR ending a chunk extension",
            Server,
            chunked("5;a=b\rhello\r\n0\r\n\r\n"),
            Error(K::BareCr, Where::At("b\rh", 2)),
        ),
        case(
            "valid chunk extensions, quoted with escapes",
            Server,
            chunked("5 ; a = \"x\\\"y\" ; b ; c=d\r\nhello\r\n0;e\r\n\r\n"),
            Keep(vec![b"hello"]),
        ),
        case(
            "too many leading zeros in a chunk size",
            Server,
            chunked("000000000000000005\r\nhello\r\n0\r\n\r\n"),
            Error(K::ChunkSizeTooLong, Where::At("05\r", 0)),
        ),
        case(
            "a chunk extension over the limit",
            Server,
            cat(&[CHUNKED_POST, "1;", &"a".repeat(400), "\r\nZ\r\n0\r\n\r\n"]),
            Error(K::ChunkExtensionTooLong, Where::At(";", 256)),
        ),
        case(
            "whitespace after a chunk size over the limit",
            Server,
            cat(&[CHUNKED_POST, "1", &" ".repeat(400), ";a\r\nZ\r\n0\r\n\r\n"]),
            Error(K::ChunkExtensionTooLong, Where::At("1 ", 257)),
        ),
        case(
            "a response chunk extension without a name",
            Side::Client("GET"),
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;=x\r\nhello\r\n0\r\n\r\n",
            Error(K::InvalidChunkExtension, Where::At(";=", 1)),
        ),
        case(
            "a response chunk size line ending in whitespace",
            Side::Client("GET"),
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n",
            Error(K::InvalidChunkSize, Where::At("5 \r", 2)),
        ),
        case(
            "a response chunk extension over the limit",
            Side::Client("GET"),
            cat(&[
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;",
                &"b".repeat(300),
                "\r\nZ\r\n0\r\n\r\n",
            ]),
            Error(K::ChunkExtensionTooLong, Where::At(";", 256)),
        ),
        case(
            "chunked with a parameter in a request",
            Server,
            cat(&[
                POST,
                "Transfer-Encoding: chunked;x=1\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            ]),
            Error(K::InvalidTransferEncoding, Where::At("chunked;", 0)),
        ),
        case(
            "chunked with a parameter in a response",
            Side::Client("GET"),
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked ;x=1\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            Error(K::InvalidTransferEncoding, Where::At(" chunked ;", 1)),
        ),
        case(
            "an empty chunk size",
            Server,
            chunked("\r\nhello\r\n0\r\n\r\n"),
            Error(K::InvalidChunkSize, Where::Nth("\r\n\r\n", 0, 4)),
        ),
        case(
            "a folded trailer",
            Server,
            chunked("0\r\nX: a\r\n b\r\n\r\n"),
            Error(K::InvalidTrailer, Where::At(" b", 0)),
        ),
        case(
            "a trailer line without a colon",
            Server,
            chunked("0\r\nNoColon\r\n\r\n"),
            Error(K::InvalidTrailer, Where::At("NoColon", 7)),
        ),
        case(
            "the peer closes before the last chunk",
            Server,
            chunked("5\r\nhello\r\n"),
            EofError(K::IncompleteMessage),
        )
        .eof(),
        case(
            "the peer closes before the end of a length",
            Server,
            cat(&[POST, "Content-Length: 10\r\n\r\nhello"]),
            EofError(K::IncompleteMessage),
        )
        .eof(),
    ]
}

fn head_cases() -> Vec<Case> {
    use Expect::{Close, Error, Keep};
    use Side::{Client, Server};
    let many_small: String = "a:b\r\n".repeat(1000);
    let too_many: String = "X-Many: y\r\n".repeat(1000);
    let long_value = format!("X-Long: {}\r\n", "v".repeat(9000));
    let long_target = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "t".repeat(9000));
    vec![
        // A Host that is not uri-host [":" port] could route differently
        // in a proxy than in the origin.
        case(
            "a Host with a space",
            Server,
            "GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
            Error(K::MalformedHost, Where::At("a b", 1)),
        ),
        case(
            "a Host with userinfo",
            Server,
            "GET / HTTP/1.1\r\nHost: user@evil\r\n\r\n",
            Error(K::MalformedHost, Where::At("@", 0)),
        ),
        case(
            "a Host with a path",
            Server,
            "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n",
            Error(K::MalformedHost, Where::At("/b", 0)),
        ),
        case(
            "an unclosed IP literal in Host",
            Server,
            "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n",
            Error(K::MalformedHost, Where::At("[::1", 4)),
        ),
        case(
            "CONNECT without a port",
            Server,
            "CONNECT a.example HTTP/1.1\r\nHost: a.example\r\n\r\n",
            Error(K::InvalidTarget, Where::At("a.example", 0)),
        ),
        case(
            "NUL in a value",
            Server,
            cat(&[GET, "X: a\x00b\r\n\r\n"]),
            Error(K::InvalidHeaderValue, Where::At("\x00", 0)),
        ),
        case(
            "CR alone in a value",
            Server,
            cat(&[GET, "X: a\rb\r\n\r\n"]),
            Error(K::BareCr, Where::At("a\rb", 1)),
        ),
        case(
            "LF alone in a value",
            Server,
            cat(&[GET, "X: a\nTransfer-Encoding: chunked\r\n\r\n"]),
            Error(K::BareLf, Where::At("a\nT", 1)),
        ),
        case(
            "DEL in a value",
            Server,
            cat(&[GET, "X: a\x7f\r\n\r\n"]),
            Error(K::InvalidHeaderValue, Where::At("\x7f", 0)),
        ),
        case(
            "CR alone in the request line",
            Server,
            "GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n",
            Error(K::BareCr, Where::At("\r", 0)),
        ),
        case(
            "LF line endings",
            Server,
            "GET / HTTP/1.1\nHost: a\n\n",
            Error(K::BareLf, Where::At("\n", 0)),
        ),
        case(
            "obs-fold in a request",
            Server,
            cat(&[GET, "X: a\r\n Transfer-Encoding: chunked\r\n\r\n"]),
            Error(K::ObsFold, Where::At(" Transfer", 0)),
        ),
        case(
            "obs-fold in a response, strict",
            Client("GET"),
            "HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n",
            Error(K::ObsFold, Where::At(" b", 0)),
        ),
        case(
            "obs-fold in a response, allowed",
            Client("GET"),
            "HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 2\r\n\r\nok",
            Keep(vec![b"ok"]),
        )
        .lenient(),
        case(
            "a space inside a field name",
            Server,
            cat(&[GET, "Content Length: 5\r\n\r\nhello"]),
            Error(K::WhitespaceBeforeColon, Where::At(" Length", 0)),
        ),
        case(
            "NUL in a field name",
            Server,
            cat(&[GET, "Con\x00tent-Length: 5\r\n\r\nhello"]),
            Error(K::InvalidHeaderName, Where::At("\x00", 0)),
        ),
        case(
            "many small fields within the head limit",
            Server,
            cat(&[GET, &many_small, "\r\n"]),
            Keep(vec![b""]),
        ),
        case(
            "too many fields for the head limit",
            Server,
            cat(&[GET, &too_many, "\r\n"]),
            Error(
                K::HeadTooLarge,
                Where::Offset(ParseConfig::DEFAULT_MAX_HEAD_LEN),
            ),
        ),
        case(
            "a field longer than the head limit",
            Server,
            cat(&[GET, &long_value, "\r\n"]),
            Error(
                K::HeadTooLarge,
                Where::Offset(ParseConfig::DEFAULT_MAX_HEAD_LEN),
            ),
        ),
        case(
            "a request line longer than the head limit",
            Server,
            long_target,
            Error(
                K::RequestLineTooLong,
                Where::Offset(ParseConfig::DEFAULT_MAX_HEAD_LEN),
            ),
        ),
        case(
            "HTTP/1.1 without Host",
            Server,
            "GET / HTTP/1.1\r\nX: y\r\n\r\n",
            Error(K::InvalidHost, Where::At("X: y", 0)),
        ),
        case(
            "two Host fields",
            Server,
            cat(&[GET, "Host: b\r\n\r\n"]),
            Error(K::InvalidHost, Where::At("Host: b", 0)),
        ),
        case(
            "HTTP/2.0 in a request line",
            Server,
            "GET / HTTP/2.0\r\nHost: a\r\n\r\n",
            Error(K::UnsupportedVersion, Where::At("HTTP/2", 0)),
        ),
        case(
            "a space before the method",
            Server,
            " GET / HTTP/1.1\r\nHost: a\r\n\r\n",
            Error(K::InvalidMethod, Where::Offset(0)),
        ),
        case(
            "empty lines before a request are skipped",
            Server,
            cat(&["\r\n\r\n", GET, "\r\n"]),
            Keep(vec![b""]),
        ),
        case(
            "Connection: closed is not close",
            Server,
            cat(&[GET, "Connection: closed\r\n\r\n"]),
            Keep(vec![b""]),
        ),
        case(
            "Connection: close anywhere wins over keep-alive",
            Server,
            cat(&[
                GET,
                "Connection: keep-alive\r\nConnection: x, CLOSE\r\n\r\n",
            ]),
            Close(vec![b""], R::RequestClose),
        ),
        case(
            "a quoted Connection option",
            Server,
            cat(&[GET, "Connection: \"close\"\r\n\r\n"]),
            Error(K::InvalidConnectionToken, Where::At("\"close", 0)),
        ),
        case(
            "a status line without a reason, strict",
            Client("GET"),
            "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
            Error(K::InvalidStartLine, Where::At("\r\n", 0)),
        ),
        case(
            "a status code below 100",
            Client("GET"),
            "HTTP/1.1 099 Odd\r\nContent-Length: 0\r\n\r\n",
            Error(K::InvalidStatusCode, Where::At("099", 0)),
        ),
        case(
            "Keep-Alive max=0 ends the connection",
            Client("GET"),
            "HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5, max=0\r\nContent-Length: 2\r\n\r\nok",
            Close(vec![b"ok"], R::MaxReached),
        ),
        case(
            "invalid Keep-Alive values are ignored, never wrapped",
            Client("GET"),
            "HTTP/1.1 200 OK\r\nKeep-Alive: timeout=99999999999, max=-1\r\nContent-Length: 2\r\n\r\nok",
            Keep(vec![b"ok"]),
        ),
    ]
}

fn sequence_cases() -> Vec<Case> {
    use Expect::{Error, Switched};
    use Side::{Client, ClientIdle, ClientUpgrade, Server};
    vec![
        case(
            "a request after the client asked to close",
            Server,
            cat(&[GET, "Connection: close\r\n\r\n", GET, "\r\n"]),
            Error(K::UnexpectedData, Where::Nth("GET", 1, 0)),
        ),
        case(
            "an HTTP/1.0 request after one without keep-alive",
            Server,
            "GET / HTTP/1.0\r\n\r\nGET /2 HTTP/1.0\r\n\r\n",
            Error(K::UnexpectedData, Where::At("GET /2", 0)),
        ),
        case(
            "a response after the server said close",
            Client("GET"),
            "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n\r\n",
            Error(K::UnexpectedData, Where::Nth("HTTP/1.1", 1, 0)),
        ),
        case(
            "a response to a request never sent",
            ClientIdle,
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
            Error(K::UnsolicitedResponse, Where::Offset(0)),
        ),
        case(
            "a second response to one request",
            Client("GET"),
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
            Error(K::UnsolicitedResponse, Where::Nth("HTTP/1.1", 1, 0)),
        ),
        case(
            "a 1xx with a body: the body is read as the next head",
            Client("GET"),
            "HTTP/1.1 100 Continue\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
            Error(K::InvalidVersion, Where::At("hello", 0)),
        ),
        case(
            "a 304 with Content-Length and body bytes following",
            Client("GET"),
            "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\nhello",
            Error(K::UnsolicitedResponse, Where::At("hello", 0)),
        ),
        case(
            "a 204 with chunked framing and a chunk following",
            Client("GET"),
            "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            Error(K::UnsolicitedResponse, Where::At("0\r\n", 0)),
        ),
        case(
            "a response to HEAD with Content-Length and body bytes following",
            Client("HEAD"),
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
            Error(K::UnsolicitedResponse, Where::At("hello", 0)),
        ),
        case(
            "a 101 to a request without Upgrade is refused",
            Client("GET"),
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: evil\r\nConnection: upgrade\r\n\r\n",
            Error(K::UnrequestedSwitch, Where::Offset(0)),
        ),
        case(
            "a 101 hands the bytes after it to the new protocol",
            ClientUpgrade,
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\nGET / HTTP/1.1\r\n\r\n",
            Switched,
        ),
        case(
            "a 2xx to CONNECT makes a tunnel, whatever its framing says",
            Client("CONNECT"),
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nnot a body",
            Switched,
        ),
    ]
}

#[test]
fn request_and_response_framing() {
    framing_cases().iter().for_each(check);
}

#[test]
fn chunk_syntax() {
    chunk_cases().iter().for_each(check);
}

#[test]
fn field_lines_and_head_limits() {
    head_cases().iter().for_each(check);
}

#[test]
fn message_sequences() {
    sequence_cases().iter().for_each(check);
}
