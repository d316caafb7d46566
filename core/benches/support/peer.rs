//! The peer side of the head benchmarks, shared by `benches/parse.rs` and
//! `tools/src/bin/parse_loop.rs`: httparse as a typical user calls it (32 header
//! slots, default features), alone and followed by the field walk such a
//! user writes to learn what h1conn's `HeadFacts` holds: the `Connection`
//! tokens (close, keep-alive, upgrade), `Keep-Alive` timeout and max,
//! `Content-Length` (every value agreeing), `Transfer-Encoding` ending in
//! chunked, `Expect: 100-continue`, `Upgrade`, and the number of fields.

use std::hint::black_box;

/// Header slots, as a typical httparse user sizes the array.
pub(crate) const SLOTS: usize = 32;

/// What an httparse user reads from the fields; the counterpart of `HeadFacts`.
#[derive(Default, Debug)]
pub(crate) struct Facts {
    pub(crate) close: bool,
    pub(crate) keep_alive: bool,
    pub(crate) upgrade_token: bool,
    pub(crate) timeout: Option<u32>,
    pub(crate) max: Option<u32>,
    pub(crate) content_length: Option<u64>,
    pub(crate) chunked: bool,
    pub(crate) expect_continue: bool,
    pub(crate) upgrade: bool,
    pub(crate) fields: usize,
}

/// Parses a head with httparse; `Some(len)` if complete.
pub(crate) fn httparse_head(buf: &[u8], response: bool) -> Option<usize> {
    let mut headers = [httparse::EMPTY_HEADER; SLOTS];
    let status = if response {
        httparse::Response::new(&mut headers).parse(buf)
    } else {
        httparse::Request::new(&mut headers).parse(buf)
    };
    match status {
        Ok(httparse::Status::Complete(len)) => Some(len),
        _ => None,
    }
}

/// Parses a head with httparse and reads the facts from its fields;
/// `Some(len)` if complete and the framing fields are valid.
pub(crate) fn httparse_head_facts(buf: &[u8], response: bool) -> Option<usize> {
    let mut headers = [httparse::EMPTY_HEADER; SLOTS];
    let (status, fields) = if response {
        let mut r = httparse::Response::new(&mut headers);
        let s = r.parse(buf);
        (s, r.headers)
    } else {
        let mut r = httparse::Request::new(&mut headers);
        let s = r.parse(buf);
        (s, r.headers)
    };
    let Ok(httparse::Status::Complete(len)) = status else {
        return None;
    };
    black_box(read_facts(fields)?);
    Some(len)
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &s[start..end]
}

fn number<T: std::str::FromStr>(s: &[u8]) -> Option<T> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// The field walk: `None` for an invalid Content-Length or Transfer-Encoding.
pub(crate) fn read_facts(fields: &[httparse::Header<'_>]) -> Option<Facts> {
    let mut facts = Facts::default();
    for field in fields {
        facts.fields += 1;
        let name = field.name;
        let value = field.value;
        if name.eq_ignore_ascii_case("connection") {
            for token in value.split(|&b| b == b',').map(trim) {
                if token.eq_ignore_ascii_case(b"close") {
                    facts.close = true;
                } else if token.eq_ignore_ascii_case(b"keep-alive") {
                    facts.keep_alive = true;
                } else if token.eq_ignore_ascii_case(b"upgrade") {
                    facts.upgrade_token = true;
                }
            }
        } else if name.eq_ignore_ascii_case("keep-alive") {
            for param in value.split(|&b| b == b',').map(trim) {
                let mut kv = param.splitn(2, |&b| b == b'=');
                let key = trim(kv.next().unwrap_or_default());
                let Some(n) = kv.next().map(trim).and_then(number::<u32>) else {
                    continue;
                };
                if key.eq_ignore_ascii_case(b"timeout") {
                    facts.timeout = Some(facts.timeout.map_or(n, |t| t.min(n)));
                } else if key.eq_ignore_ascii_case(b"max") {
                    facts.max = Some(facts.max.map_or(n, |m| m.min(n)));
                }
            }
        } else if name.eq_ignore_ascii_case("content-length") {
            for element in value.split(|&b| b == b',').map(trim) {
                let n = number::<u64>(element)?;
                if facts.content_length.is_some_and(|old| old != n) {
                    return None;
                }
                facts.content_length = Some(n);
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            for coding in value.split(|&b| b == b',').map(trim) {
                let coding = trim(coding.split(|&b| b == b';').next().unwrap_or_default());
                if facts.chunked {
                    return None; // chunked must be last, and only once
                }
                facts.chunked = coding.eq_ignore_ascii_case(b"chunked");
            }
        } else if name.eq_ignore_ascii_case("expect") {
            facts.expect_continue |= trim(value).eq_ignore_ascii_case(b"100-continue");
        } else if name.eq_ignore_ascii_case("upgrade") {
            facts.upgrade = true;
        }
    }
    Some(facts)
}
