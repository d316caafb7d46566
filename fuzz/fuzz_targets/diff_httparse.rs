//! Differential against httparse 1.10 on arbitrary bytes, as a request and
//! as a response. Where both accept a head, the method, target, version,
//! status, reason, field names and values and the head's length agree.
//! Where h1conn rejects what httparse accepts, the difference must be one
//! of h1conn's documented strict choices, checked by its `ErrorKind` and by
//! what httparse saw (a missing `Host`, both framing fields, a bare LF, an
//! obs-fold, ...). Where h1conn accepts what httparse rejects, httparse's
//! reason must be one h1conn deliberately does not share.
#![no_main]

use h1conn::wire::{ParseConfig, Parsed, RequestHead, ResponseHead, Version};
use h1conn::{ErrorKind, ProtocolError};
use libfuzzer_sys::fuzz_target;

/// More field lines than any head below the limit can hold, so httparse
/// never runs out of room where h1conn does not.
const MAX_HEADERS: usize = HEAD_LIMIT / 3 + 1;
const HEAD_LIMIT: usize = 4096;

type Fields = Vec<(Vec<u8>, Vec<u8>)>;

fn count(fields: &Fields, name: &str) -> usize {
    fields
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
        .count()
}

fn values<'a>(fields: &'a Fields, name: &'a str) -> impl Iterator<Item = &'a [u8]> {
    fields
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
        .map(|(_, v)| v.as_slice())
}

/// Whether some LF in `head` is not preceded by CR, or some CR not
/// followed by LF.
fn bad_line_ending(head: &[u8]) -> bool {
    head.iter().enumerate().any(|(i, &b)| match b {
        b'\n' => i == 0 || head[i - 1] != b'\r',
        b'\r' => head.get(i + 1) != Some(&b'\n'),
        _ => false,
    })
}

/// Whether the start line of `head` (after any empty lines) names
/// `HTTP/1.x` with x > 1: h1conn reads it as HTTP/1.1 (RFC 9110 2.5: a
/// recipient uses the highest minor version it implements), httparse
/// knows only 1.0 and 1.1.
fn newer_minor_version(head: &[u8]) -> bool {
    let Some(line) = head.split(|&b| b == b'\n').find(|l| *l != b"\r") else {
        return false;
    };
    let version = |at: usize| -> bool {
        line.get(at..at + 8)
            .is_some_and(|v| v.starts_with(b"HTTP/1.") && v[7] > b'1' && v[7].is_ascii_digit())
    };
    // At the start of a status line, or at the end of a request line.
    version(0) || line.len() >= 9 && version(line.len() - 9)
}

/// Whether every `Content-Length` value is a plain number and they agree.
fn plain_lengths(fields: &Fields) -> bool {
    let mut seen = None;
    values(fields, "content-length").all(|v| {
        let ok = !v.is_empty()
            && v.iter().all(u8::is_ascii_digit)
            && std::str::from_utf8(v)
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                .is_some();
        let same = seen.is_none_or(|s: &[u8]| s == v);
        seen = Some(v);
        ok && same
    })
}

/// Whether every field value is a single token, i.e. no list, no spaces
/// and nothing a list reader could split.
fn single_tokens(fields: &Fields, name: &str) -> bool {
    values(fields, name).all(h1conn_fuzz::is_token)
}

/// The strict choices h1conn documents that can make it reject a head
/// httparse accepts, shared by requests and responses. `head` is the part
/// httparse accepted.
fn documented_shared(e: &ProtocolError, head: &[u8], fields: &Fields) -> bool {
    match e.kind {
        // httparse accepts LF alone as a line end.
        ErrorKind::BareLf | ErrorKind::BareCr => bad_line_ending(head),
        ErrorKind::HeadTooLarge | ErrorKind::RequestLineTooLong => head.len() >= HEAD_LIMIT,
        ErrorKind::ContentLengthWithTransferEncoding => {
            count(fields, "content-length") > 0 && count(fields, "transfer-encoding") > 0
        }
        ErrorKind::InvalidContentLength | ErrorKind::ConflictingContentLength => {
            !plain_lengths(fields)
        }
        ErrorKind::InvalidTransferEncoding => count(fields, "transfer-encoding") > 0,
        ErrorKind::InvalidConnectionToken => !single_tokens(fields, "connection"),
        // httparse accepts DEL in a value; RFC 9110 5.5 does not.
        ErrorKind::InvalidHeaderValue => fields.iter().any(|(_, v)| v.contains(&0x7f)),
        _ => false,
    }
}

fn request(data: &[u8], config: &ParseConfig) {
    let mut storage = vec![httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut theirs = httparse::Request::new(&mut storage);
    let their_result = theirs.parse(data);
    let ours = RequestHead::parse(data, config);
    match (&ours, their_result) {
        (Ok(Parsed::Complete(head)), Ok(httparse::Status::Complete(len))) => {
            assert_eq!(head.len, len, "head length");
            assert_eq!(Some(head.method), theirs.method.map(str::as_bytes));
            assert_eq!(Some(head.target), theirs.path.map(str::as_bytes));
            let version = match head.version {
                Version::Http10 => 0,
                Version::Http11 => 1,
            };
            assert_eq!(Some(version), theirs.version);
            let ours: Fields = head
                .headers()
                .map(|h| (h.name.to_vec(), h.value.to_vec()))
                .collect();
            let theirs: Fields = theirs
                .headers
                .iter()
                .map(|h| (h.name.as_bytes().to_vec(), h.value.to_vec()))
                .collect();
            assert_eq!(ours, theirs, "fields");
        }
        (Err(e), Ok(httparse::Status::Complete(len))) => {
            let fields: Fields = theirs
                .headers
                .iter()
                .map(|h| (h.name.as_bytes().to_vec(), h.value.to_vec()))
                .collect();
            let head = &data[..len];
            let target = theirs.path.unwrap_or_default().as_bytes();
            let method = theirs.method.unwrap_or_default();
            let documented = documented_shared(e, head, &fields)
                || match e.kind {
                    // RFC 9112 3.2: exactly one Host in 1.1, at most one in 1.0.
                    ErrorKind::InvalidHost => {
                        let hosts = count(&fields, "host");
                        hosts > 1 || (hosts == 0 && theirs.version == Some(1))
                    }
                    // The target's form must fit the method, and be ASCII;
                    // CONNECT needs host:port (RFC 9112 3.2.3).
                    ErrorKind::InvalidTarget => {
                        !target.is_ascii()
                            || (target == b"*" && method != "OPTIONS")
                            || (!target.starts_with(b"/") && target != b"*" && method != "CONNECT")
                            || (method == "CONNECT" && !valid_authority(target, true))
                    }
                    // RFC 9112 3.2: Host is uri-host [ ":" port ].
                    ErrorKind::MalformedHost => fields
                        .iter()
                        .filter(|(name, _)| name.eq_ignore_ascii_case(b"host"))
                        .any(|(_, value)| !valid_authority(value.trim_ascii(), false)),
                    _ => false,
                };
            assert!(
                documented,
                "h1conn rejects with {e:?} a request httparse accepts: {}",
                h1conn_fuzz::show(head)
            );
        }
        (Ok(Parsed::Complete(head)), Err(their_error)) => assert!(
            their_error == httparse::Error::Version && newer_minor_version(&data[..head.len]),
            "h1conn accepts a request httparse rejects with {their_error:?}: {}",
            h1conn_fuzz::show(&data[..head.len])
        ),
        _ => {}
    }
}

fn response(data: &[u8], config: &ParseConfig) {
    let mut storage = vec![httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut theirs = httparse::Response::new(&mut storage);
    let their_result = theirs.parse(data);
    let ours = ResponseHead::parse(data, config);
    match (&ours, their_result) {
        (Ok(Parsed::Complete(head)), Ok(httparse::Status::Complete(len))) => {
            assert_eq!(head.len, len, "head length");
            assert_eq!(Some(head.status), theirs.code);
            // httparse hides a reason phrase with obs-text behind "".
            if head.reason.is_ascii() {
                assert_eq!(Some(head.reason), theirs.reason.map(str::as_bytes));
            }
            let version = match head.version {
                Version::Http10 => 0,
                Version::Http11 => 1,
            };
            assert_eq!(Some(version), theirs.version);
            let ours: Fields = head
                .headers()
                .map(|h| (h.name.to_vec(), h.value.to_vec()))
                .collect();
            let theirs: Fields = theirs
                .headers
                .iter()
                .map(|h| (h.name.as_bytes().to_vec(), h.value.to_vec()))
                .collect();
            assert_eq!(ours, theirs, "fields");
        }
        (Err(e), Ok(httparse::Status::Complete(len))) => {
            let fields: Fields = theirs
                .headers
                .iter()
                .map(|h| (h.name.as_bytes().to_vec(), h.value.to_vec()))
                .collect();
            let head = &data[..len];
            let documented = documented_shared(e, head, &fields)
                || match e.kind {
                    // httparse skips empty lines before a status line; RFC
                    // 9112 2.2 allows that for requests only.
                    ErrorKind::InvalidStartLine => {
                        head.starts_with(b"\r\n") || head.starts_with(b"\n")
                            // httparse accepts a status line without a reason
                            // (an opt-in here: `allow_missing_reason`).
                            || theirs.reason == Some("")
                    }
                    // Status codes below 100 do not exist (RFC 9110 15).
                    ErrorKind::InvalidStatusCode => theirs.code.is_some_and(|c| c < 100),
                    _ => false,
                };
            assert!(
                documented,
                "h1conn rejects with {e:?} a response httparse accepts: {}",
                h1conn_fuzz::show(head)
            );
        }
        (Ok(Parsed::Complete(head)), Err(their_error)) => assert!(
            their_error == httparse::Error::Version && newer_minor_version(&data[..head.len]),
            "h1conn accepts a response httparse rejects with {their_error:?}: {}",
            h1conn_fuzz::show(&data[..head.len])
        ),
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let config = ParseConfig::strict().with_max_head_len(HEAD_LIMIT);
    request(data, &config);
    response(data, &config);
});

/// An independent reading of RFC 3986 `host [ ":" port ]` (uri-host:
/// IP-literal in brackets, or reg-name / IPv4 from unreserved, sub-delims
/// and pct-encoded), with the port required when `port_required`.
fn valid_authority(value: &[u8], port_required: bool) -> bool {
    let (host, port) = if let Some(rest) = value.strip_prefix(b"[") {
        let Some(end) = rest.iter().position(|&b| b == b']') else {
            return false;
        };
        let literal = &rest[..end];
        let literal_ok = !literal.is_empty()
            && literal
                .iter()
                .all(|&b| b.is_ascii_hexdigit() || b":.vV-_~!$&'()*+,;=".contains(&b));
        if !literal_ok {
            return false;
        }
        match &rest[end + 1..] {
            [] => (&b""[..], None),
            [b':', port @ ..] => (&b"x"[..], Some(port)),
            _ => return false,
        }
    } else {
        match value.iter().rposition(|&b| b == b':') {
            Some(at) => (&value[..at], Some(&value[at + 1..])),
            None => (value, None),
        }
    };
    let reg_name_ok = {
        let mut i = 0;
        let mut ok = true;
        while i < host.len() {
            let b = host[i];
            if b == b'%' {
                ok &= host.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                    && host.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
                i += 3;
                continue;
            }
            ok &= b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&b);
            i += 1;
        }
        ok
    };
    let port_ok = match port {
        Some(p) => p.iter().all(u8::is_ascii_digit) && (!p.is_empty() || !port_required),
        None => !port_required,
    };
    reg_name_ok && port_ok
}
