//! `Content-Length` and `Transfer-Encoding` fields with arbitrary values,
//! in any number and order, in a request and in a response, strict and
//! lenient. A reference reading of RFC 9112 6 (written here from the rules,
//! not from the engine) gives the framing or the exact error kind and byte
//! offset; the engine must agree, and the body kind for every method and
//! status must follow RFC 9112 6.3.
#![no_main]

use arbitrary::Arbitrary;
use h1conn::ErrorKind;
use h1conn::wire::{
    BodyKind, Method, ParseConfig, Parsed, RequestHead, ResponseHead, TransferEncoding,
};
use h1conn_fuzz::model::response_body_of;
use h1conn_fuzz::{is_token, list_elements};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    /// (is `Transfer-Encoding`, value) in order.
    fields: Vec<(bool, Vec<u8>)>,
    http10: bool,
    lenient: bool,
}

/// The framing the reference reading finds, or (kind, offset in the head).
type Framing = Result<(Option<u64>, TransferEncoding, bool), (ErrorKind, usize)>;

/// `1*DIGIT` that fits in 64 bits.
fn decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// Reads the fields; `starts[i]` is where value `i` starts in the head
/// (after the whitespace the field parser skips).
fn reference(
    fields: &[(bool, Vec<u8>)],
    starts: &[usize],
    lenient: bool,
    request: bool,
) -> Framing {
    let mut length: Option<u64> = None;
    let mut coding = TransferEncoding::Absent;
    let mut chunked_seen = false;
    let (mut last_cl, mut last_te) = (0, 0);
    for ((is_te, raw), &start) in fields.iter().zip(starts) {
        let value = trim(raw);
        let elements = list_elements(value);
        if elements.is_empty() {
            let kind = if *is_te {
                ErrorKind::InvalidTransferEncoding
            } else {
                ErrorKind::InvalidContentLength
            };
            return Err((kind, start));
        }
        for (offset, element) in elements {
            let at = start + offset;
            if *is_te {
                // A coding's name is what precedes its parameters.
                let name_end = element
                    .iter()
                    .position(|&b| b == b';')
                    .unwrap_or(element.len());
                let name = trim(&element[..name_end]);
                if !is_token(name) {
                    return Err((ErrorKind::InvalidTransferEncoding, at));
                }
                if name.eq_ignore_ascii_case(b"chunked") {
                    if chunked_seen {
                        return Err((ErrorKind::InvalidTransferEncoding, at));
                    }
                    chunked_seen = true;
                    coding = TransferEncoding::Chunked;
                } else {
                    coding = TransferEncoding::NotChunked;
                }
            } else {
                let n = decimal(element).ok_or((ErrorKind::InvalidContentLength, at))?;
                if length.is_some_and(|old| old != n) {
                    return Err((ErrorKind::ConflictingContentLength, at));
                }
                length = Some(n);
            }
        }
        if *is_te {
            last_te = start;
        } else {
            last_cl = start;
        }
    }
    let mut conflict = false;
    if length.is_some() && coding != TransferEncoding::Absent {
        if !lenient {
            return Err((
                ErrorKind::ContentLengthWithTransferEncoding,
                last_cl.max(last_te),
            ));
        }
        conflict = true;
        length = None;
    }
    if request && coding == TransferEncoding::NotChunked {
        return Err((ErrorKind::InvalidTransferEncoding, last_te));
    }
    Ok((length, coding, conflict))
}

fn trim(s: &[u8]) -> &[u8] {
    let ows = |b: &u8| *b == b' ' || *b == b'\t';
    let lead = s.iter().take_while(|b| ows(b)).count();
    let trail = s[lead..].iter().rev().take_while(|b| ows(b)).count();
    &s[lead..s.len() - trail]
}

/// The head with `fields` after `first_line` and a `Host`, and where each
/// value starts.
fn head(first_line: &[u8], fields: &[(bool, Vec<u8>)]) -> (Vec<u8>, Vec<usize>) {
    let mut out = first_line.to_vec();
    out.extend_from_slice(b"Host: a\r\n");
    let mut starts = Vec::new();
    for (is_te, value) in fields {
        out.extend_from_slice(if *is_te {
            b"Transfer-Encoding:"
        } else {
            b"Content-Length:"
        });
        let skipped = value
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        starts.push(out.len() + skipped);
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    (out, starts)
}

fuzz_target!(|input: Input| {
    // Control bytes would change the field lines themselves (the head
    // targets cover those); here every value is a valid field value.
    let fields: Vec<(bool, Vec<u8>)> = input
        .fields
        .iter()
        .take(6)
        .map(|(te, v)| {
            let clean = v.iter().map(|&b| {
                if b < 0x20 && b != b'\t' || b == 0x7f {
                    b'x'
                } else {
                    b
                }
            });
            (*te, clean.collect())
        })
        .collect();
    let mut config = ParseConfig::strict().with_max_head_len(1 << 20);
    config.allow_content_length_with_transfer_encoding = input.lenient;
    let version = if input.http10 { "HTTP/1.0" } else { "HTTP/1.1" };

    let (request, starts) = head(format!("POST / {version}\r\n").as_bytes(), &fields);
    let expected = reference(&fields, &starts, input.lenient, true);
    match (RequestHead::parse(&request, &config), expected) {
        (Ok(Parsed::Complete(parsed)), Ok((length, coding, conflict))) => {
            let facts = &parsed.facts;
            assert_eq!(
                (
                    facts.content_length,
                    facts.transfer_encoding,
                    facts.content_length_with_transfer_encoding
                ),
                (length, coding, conflict)
            );
            let body = match (coding, length) {
                (TransferEncoding::Chunked, _) => BodyKind::Chunked,
                (_, Some(n)) => BodyKind::Length(n),
                _ => BodyKind::None,
            };
            assert_eq!(parsed.body, body);
        }
        (Err(e), Err(expected)) => assert_eq!((e.kind, e.offset), expected),
        (got, expected) => panic!("request: got {got:?}, expected {expected:?}"),
    }

    let (response, starts) = head(format!("{version} 200 OK\r\n").as_bytes(), &fields);
    let expected = reference(&fields, &starts, input.lenient, false);
    match (ResponseHead::parse(&response, &config), expected) {
        (Ok(Parsed::Complete(parsed)), Ok((length, coding, conflict))) => {
            let facts = &parsed.facts;
            assert_eq!(
                (
                    facts.content_length,
                    facts.transfer_encoding,
                    facts.content_length_with_transfer_encoding
                ),
                (length, coding, conflict)
            );
            for method in [Method::Get, Method::Head, Method::Connect, Method::Post] {
                for status in [100, 101, 200, 204, 206, 304, 404] {
                    let mut line = format!("{version} {status} X\r\n").into_bytes();
                    line.extend_from_slice(&response[b"HTTP/1.1 200 OK\r\n".len()..]);
                    let Ok(Parsed::Complete(other)) = ResponseHead::parse(&line, &config) else {
                        panic!("only the status changed, yet the head failed");
                    };
                    assert_eq!(
                        other.body_kind(method),
                        response_body_of(method, status, coding, length),
                        "{method:?} {status}"
                    );
                }
            }
        }
        (Err(e), Err(expected)) => assert_eq!((e.kind, e.offset), expected),
        (got, expected) => panic!("response: got {got:?}, expected {expected:?}"),
    }
});
