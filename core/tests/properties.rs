//! Property tests (quickcheck) of the wire layer and the persistence policy:
//!
//! - totality: any bytes give a result or a typed error, never a panic;
//! - resumable scanning: a valid head split anywhere scans and parses the
//!   same as the whole;
//! - resumable chunk decoding: a chunked body (extensions, quoted strings,
//!   leading zeros, trailers, one byte mutated or not) cut into any reads
//!   gives the same data, end or error (kind and offset) as the whole;
//! - the spelling of `Connection` and `Keep-Alive` (case, order, OWS, empty
//!   list elements, several field lines) never changes a decision;
//! - close is absorbing.
#![allow(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::needless_pass_by_value
)]

use std::fmt;

use h1conn::policy::{
    CloseReason, MessageSummary, Persistence, exchange_persistence, request_persistence,
};
use h1conn::wire::{
    BodyKind, ConnectionFlags, ConnectionOptions, HeadBounds, HeadScanner, KeepAlive,
    MAX_CONNECTION_OPTIONS, Method, ParseConfig, Parsed, RequestHead, ResponseHead, Version,
};
use h1conn::{ErrorKind, ProtocolError};
use quickcheck::{Arbitrary, Gen, QuickCheck, TestResult};

const TESTS: u64 = 2000;

fn check<A: quickcheck::Testable>(tests: u64, prop: A) {
    QuickCheck::new()
        .tests(tests)
        .max_tests(tests * 10)
        .quickcheck(prop);
}

fn show(bytes: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(bytes))
}

// ------------------------------------------------------------ generators

/// A number in `0..n` (n > 0).
fn below(g: &mut Gen, n: usize) -> usize {
    usize::try_from(u32::arbitrary(g)).unwrap_or(0) % n.max(1)
}

/// True with probability `percent`/100.
fn chance(g: &mut Gen, percent: usize) -> bool {
    below(g, 100) < percent
}

fn pick<T: Copy>(g: &mut Gen, items: &[T]) -> T {
    *g.choose(items).expect("non-empty choice")
}

fn shuffle<T>(g: &mut Gen, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = below(g, i + 1);
        items.swap(i, j);
    }
}

fn random_case(g: &mut Gen, s: &str) -> String {
    s.chars()
        .map(|c| {
            if chance(g, 50) {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// Optional whitespace.
fn ows(g: &mut Gen) -> &'static str {
    pick(g, &["", "", " ", "\t", "  ", " \t "])
}

/// A list separator with optional whitespace and, sometimes, empty elements.
fn list_sep(g: &mut Gen) -> String {
    let mut sep = format!("{},{}", ows(g), ows(g));
    while chance(g, 20) {
        sep.push_str(&format!(",{}", ows(g)));
    }
    sep
}

const TCHARS: &[u8] =
    b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

fn token(g: &mut Gen, min: usize, max: usize) -> String {
    let len = min + below(g, max - min + 1);
    (0..len).map(|_| char::from(pick(g, TCHARS))).collect()
}

/// A field value: visible ASCII, obs-text, and inner SP/HTAB.
fn field_value(g: &mut Gen) -> Vec<u8> {
    let len = below(g, 24);
    let mut v: Vec<u8> = (0..len)
        .map(|_| match below(g, 10) {
            0 => pick(g, b" \t"),
            1 => 0x80 + u8::try_from(below(g, 128)).unwrap(),
            _ => 0x21 + u8::try_from(below(g, 0x5e)).unwrap(),
        })
        .collect();
    if chance(g, 30) {
        // Leading and trailing OWS is allowed and trimmed.
        v.insert(0, b' ');
        v.push(b'\t');
    }
    v
}

fn origin_target(g: &mut Gen) -> String {
    const PCHARS: &[u8] = b"abcXYZ019-._~!$&'()*+,;=:@/%?";
    let len = below(g, 16);
    let mut t = String::from("/");
    t.extend((0..len).map(|_| char::from(pick(g, PCHARS))));
    t
}

fn host(g: &mut Gen) -> String {
    let name = pick(g, &["a.example", "localhost", "10.0.0.1", "[::1]", "x"]);
    if chance(g, 40) {
        format!("{name}:{}", below(g, 65536))
    } else {
        (*name).to_owned()
    }
}

/// A valid `Connection` line value with random options.
fn connection_value(g: &mut Gen) -> String {
    const OPTIONS: &[&str] = &["close", "keep-alive", "upgrade", "x-trace", "TE", "closed"];
    let n = 1 + below(g, 4);
    let tokens: Vec<String> = (0..n)
        .map(|_| {
            let t = pick(g, OPTIONS);
            random_case(g, t)
        })
        .collect();
    tokens.join(&list_sep(g))
}

/// A `Keep-Alive` value, valid or not (it is advice: never an error).
fn keep_alive_value(g: &mut Gen) -> String {
    let mut params = Vec::new();
    if chance(g, 70) {
        params.push(format!("timeout={}", below(g, 1000)));
    }
    if chance(g, 70) {
        params.push(format!("max={}", below(g, 1000)));
    }
    if chance(g, 30) {
        params.push(format!("{}={}", token(g, 1, 6), token(g, 1, 6)));
    }
    params.join(&list_sep(g))
}

/// A syntactically valid head (request or response), maybe followed by body
/// bytes, with where its start line begins and where it ends.
#[derive(Clone)]
struct ValidHead {
    request: bool,
    bytes: Vec<u8>,
    start: usize,
    head_len: usize,
}

impl fmt::Debug for ValidHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} (start {}, head_len {})",
            if self.request { "request" } else { "response" },
            show(&self.bytes),
            self.start,
            self.head_len
        )
    }
}

impl Arbitrary for ValidHead {
    fn arbitrary(g: &mut Gen) -> Self {
        const METHODS: &[&str] = &[
            "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH", "CONNECT",
            "M-SEARCH", "PROPFIND", "x",
        ];
        const VERSIONS: &[&str] = &["HTTP/1.0", "HTTP/1.1", "HTTP/1.2", "HTTP/1.9"];
        let request = bool::arbitrary(g);
        let mut bytes = Vec::new();
        let mut start = 0;
        let version = pick(g, VERSIONS);
        let mut fields: Vec<Vec<u8>> = Vec::new();
        if request {
            let empty = below(g, 3);
            bytes.extend(b"\r\n".repeat(empty));
            start = 2 * empty;
            let method = pick(g, METHODS);
            let target = match method {
                "CONNECT" => {
                    let name = pick(g, &["a.example", "10.0.0.1", "[::1]"]);
                    format!("{name}:{}", below(g, 65536))
                }
                "OPTIONS" if chance(g, 50) => "*".to_owned(),
                _ if chance(g, 25) => format!("http://{}{}", host(g), origin_target(g)),
                _ => origin_target(g),
            };
            bytes.extend(format!("{method} {target} {version}\r\n").into_bytes());
            if version != "HTTP/1.0" || chance(g, 50) {
                let name = random_case(g, "host");
                fields.push(format!("{name}:{}{}", ows(g), host(g)).into_bytes());
            }
        } else {
            let status = 100 + below(g, 900);
            let mut line = format!("{version} {status} ").into_bytes();
            // A reason that starts with SP is valid (RFC 9112 4) but
            // rejected by the strict parser; see rules.rs.
            let reason = field_value(g);
            line.extend(reason.iter().skip_while(|&&b| b == b' '));
            line.extend(b"\r\n");
            bytes.extend(line);
        }
        for _ in 0..below(g, 5) {
            let mut line = format!("X-{}:", token(g, 1, 10)).into_bytes();
            line.extend(field_value(g));
            fields.push(line);
        }
        for _ in 0..below(g, 3) {
            let name = random_case(g, "connection");
            fields.push(format!("{name}:{}{}", ows(g), connection_value(g)).into_bytes());
        }
        if chance(g, 40) {
            let name = random_case(g, "keep-alive");
            fields.push(format!("{name}: {}", keep_alive_value(g)).into_bytes());
        }
        match below(g, 4) {
            0 => fields.push(format!("Content-Length: {}", below(g, 1 << 20)).into_bytes()),
            1 => fields.push(b"Transfer-Encoding: chunked".to_vec()),
            2 => fields.push(b"Transfer-Encoding: gzip, chunked".to_vec()),
            _ => {}
        }
        if chance(g, 20) {
            fields.push(b"Expect: 100-continue".to_vec());
        }
        shuffle(g, &mut fields);
        for field in fields {
            bytes.extend(field);
            bytes.extend(b"\r\n");
        }
        bytes.extend(b"\r\n");
        let head_len = bytes.len();
        let body = below(g, 16);
        bytes.extend((0..body).map(|_| u8::arbitrary(g)));
        Self {
            request,
            bytes,
            start,
            head_len,
        }
    }
}

/// Fragments that steer random input towards the parser's decisions.
const FRAGMENTS: &[&[u8]] = &[
    b"\r\n",
    b"\r\n\r\n",
    b"\r",
    b"\n",
    b" ",
    b"  ",
    b"\t",
    b":",
    b": ",
    b",",
    b";",
    b"=",
    b"\"",
    b"\\",
    b"\x00",
    b"\x7f",
    b"\xff",
    b"\x80",
    b"HTTP/1.1",
    b"HTTP/1.0",
    b"HTTP/2.0",
    b"HTTP/1.",
    b"GET",
    b"CONNECT",
    b"OPTIONS",
    b"HEAD",
    b" / ",
    b"*",
    b"http://a/",
    b"a:1",
    b"Host",
    b"Connection",
    b"close",
    b"keep-alive",
    b"Keep-Alive",
    b"timeout=",
    b"max=",
    b"5",
    b"0",
    b"4294967296",
    b"99999999999999999999999",
    b"Content-Length",
    b"Transfer-Encoding",
    b"chunked",
    b"gzip",
    b"200",
    b"101",
    b"OK",
];

/// Arbitrary bytes, shaped three ways: uniform noise, a soup of HTTP
/// fragments, or a valid head with a few mutations.
#[derive(Clone)]
struct Input(Vec<u8>);

impl fmt::Debug for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&show(&self.0))
    }
}

fn fragment_soup(g: &mut Gen) -> Vec<u8> {
    let mut v = Vec::new();
    for _ in 0..below(g, 40) {
        v.extend_from_slice(pick(g, FRAGMENTS));
    }
    if chance(g, 50) {
        v.extend_from_slice(b"\r\n\r\n");
    }
    v
}

fn mutate(g: &mut Gen, mut v: Vec<u8>) -> Vec<u8> {
    for _ in 0..1 + below(g, 3) {
        let at = below(g, v.len() + 1);
        match below(g, 12) {
            0 if at < v.len() => v[at] = pick(g, b"\r\n \t:,;\"=\x00\x7f\xffa0"),
            1 => {
                let frag = pick(g, FRAGMENTS);
                v.splice(at..at, frag.iter().copied());
            }
            2 if at < v.len() => {
                v.remove(at);
            }
            3 => v.truncate(at),
            4 if at < v.len() => v[at] = u8::arbitrary(g),
            5..=7 if at < v.len() => v[at] = pick(g, TCHARS),
            8 => v.insert(at, pick(g, TCHARS)),
            _ => {}
        }
    }
    v
}

impl Arbitrary for Input {
    fn arbitrary(g: &mut Gen) -> Self {
        Self(match below(g, 8) {
            0 => Vec::<u8>::arbitrary(g),
            1 | 2 => fragment_soup(g),
            _ => {
                let valid = ValidHead::arbitrary(g).bytes;
                mutate(g, valid)
            }
        })
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Self>> {
        Box::new(self.0.shrink().map(Self))
    }
}

/// A parse configuration with random leniencies and a head limit that is
/// often small.
#[derive(Clone, Copy, Debug)]
struct Config(ParseConfig);

impl Arbitrary for Config {
    fn arbitrary(g: &mut Gen) -> Self {
        let mut c = match below(g, 3) {
            0 => ParseConfig::strict(),
            1 => ParseConfig::lenient_responses(),
            _ => {
                let mut c = ParseConfig::default();
                c.allow_obs_fold_in_responses = bool::arbitrary(g);
                c.allow_missing_reason = bool::arbitrary(g);
                c.allow_multiple_spaces = bool::arbitrary(g);
                c
            }
        };
        c.allow_content_length_with_transfer_encoding = chance(g, 30);
        if chance(g, 50) {
            c = c.with_max_head_len(below(g, 64));
        }
        Self(c)
    }
}

// ------------------------------------------------------ totality properties

const ALL_METHODS: &[Method] = &[
    Method::Get,
    Method::Head,
    Method::Post,
    Method::Put,
    Method::Delete,
    Method::Connect,
    Method::Options,
    Method::Trace,
    Method::Patch,
    Method::Other,
];

/// Checks what holds for any outcome of a parse of `buf`.
fn check_error(err: &ProtocolError, buf: &[u8]) -> Result<(), String> {
    if err.offset > buf.len() {
        return Err(format!(
            "offset {} beyond the input ({})",
            err.offset,
            buf.len()
        ));
    }
    if err.status_hint() < 400 || err.kind.description().is_empty() {
        return Err(format!("bad error {err:?}"));
    }
    Ok(())
}

fn request_outcome(buf: &[u8], config: &ParseConfig) -> Result<(), String> {
    match RequestHead::parse(buf, config) {
        Ok(Parsed::Complete(head)) => {
            if head.len > buf.len() || head.len > config.max_head_len {
                return Err(format!("len {} out of bounds", head.len));
            }
            if head.headers().count() != head.facts.field_count {
                return Err("headers() and field_count disagree".into());
            }
            if head.method.is_empty() || head.target.is_empty() {
                return Err("empty method or target".into());
            }
            if matches!(head.body, BodyKind::UntilClose | BodyKind::Tunnel) {
                return Err(format!("request body {:?}", head.body));
            }
            // The head does not depend on the bytes after it.
            match RequestHead::parse(&buf[..head.len], config) {
                Ok(Parsed::Complete(again)) if again == head => {}
                other => return Err(format!("head alone parses as {other:?}")),
            }
            let _ = request_persistence(MessageSummary::of(head.version, &head.facts));
            Ok(())
        }
        Ok(Parsed::Partial) => {
            if buf.len() >= config.max_head_len {
                return Err("partial at or beyond the head limit".into());
            }
            // Partial is prefix-closed.
            for k in [0, buf.len() / 2, buf.len().saturating_sub(1)] {
                if RequestHead::parse(&buf[..k], config) != Ok(Parsed::Partial) {
                    return Err(format!("prefix {k} of a partial head is not partial"));
                }
            }
            Ok(())
        }
        Err(err) => check_error(&err, buf),
    }
}

fn response_outcome(buf: &[u8], config: &ParseConfig) -> Result<(), String> {
    match ResponseHead::parse(buf, config) {
        Ok(Parsed::Complete(head)) => {
            if head.len > buf.len() || head.len > config.max_head_len {
                return Err(format!("len {} out of bounds", head.len));
            }
            if !(100..=999).contains(&head.status) {
                return Err(format!("status {}", head.status));
            }
            if head.headers().count() != head.facts.field_count {
                return Err("headers() and field_count disagree".into());
            }
            match ResponseHead::parse(&buf[..head.len], config) {
                Ok(Parsed::Complete(again)) if again == head => {}
                other => return Err(format!("head alone parses as {other:?}")),
            }
            let summary = MessageSummary::of(head.version, &head.facts);
            for &method in ALL_METHODS {
                let body = head.body_kind(method);
                let decision =
                    exchange_persistence(MessageSummary::plain(Version::Http11), summary, body);
                if head.facts.connection.close && decision.is_keep_alive() {
                    return Err("close in the response did not close".into());
                }
            }
            Ok(())
        }
        Ok(Parsed::Partial) => {
            if buf.len() >= config.max_head_len {
                return Err("partial at or beyond the head limit".into());
            }
            Ok(())
        }
        Err(err) => check_error(&err, buf),
    }
}

#[test]
fn any_bytes_parse_to_a_result_or_a_typed_error() {
    fn prop(input: Input, config: Config) -> TestResult {
        let buf = &input.0;
        let configs = [
            config.0,
            ParseConfig::strict(),
            ParseConfig::lenient_responses(),
        ];
        for c in &configs {
            let first = RequestHead::parse(buf, c);
            if first != RequestHead::parse(buf, c) {
                return TestResult::error("request parse is not deterministic");
            }
            if let Err(e) = request_outcome(buf, c) {
                return TestResult::error(format!("request, {c:?}: {e}"));
            }
            if let Err(e) = response_outcome(buf, c) {
                return TestResult::error(format!("response, {c:?}: {e}"));
            }
        }
        TestResult::passed()
    }
    check(TESTS, prop as fn(Input, Config) -> TestResult);
}

#[test]
fn parse_bounded_is_total_for_any_bounds() {
    fn prop(input: Input, start: u8, end: u8, config: Config) -> TestResult {
        let bounds = HeadBounds {
            start: usize::from(start) % (input.0.len() + 2),
            end: usize::from(end) % (input.0.len() + 2),
        };
        for result in [
            RequestHead::parse_bounded(&input.0, bounds, &config.0).map(|h| h.len),
            ResponseHead::parse_bounded(&input.0, bounds, &config.0).map(|h| h.len),
        ] {
            match result {
                Ok(len) if len != bounds.end => return TestResult::error("len is not bounds.end"),
                Err(e) if e.offset > input.0.len() + 1 => {
                    return TestResult::error(format!("offset out of range: {e:?}"));
                }
                _ => {}
            }
        }
        TestResult::passed()
    }
    check(TESTS, prop as fn(Input, u8, u8, Config) -> TestResult);
}

#[test]
fn keep_alive_parse_is_total_and_invents_no_numbers() {
    fn prop(input: Input) -> TestResult {
        let value = &input.0;
        let params = KeepAlive::parse(value);
        for n in [params.timeout, params.max].into_iter().flatten() {
            let digits = n.to_string();
            if !value.windows(digits.len()).any(|w| w == digits.as_bytes()) {
                return TestResult::error(format!("{n} is not in the input"));
            }
        }
        // Reading the same value twice changes nothing.
        let mut twice = params;
        twice.add_value(value);
        if twice != params {
            return TestResult::error(format!("{params:?} then {twice:?}"));
        }
        TestResult::passed()
    }
    check(TESTS, prop as fn(Input) -> TestResult);
}

#[test]
fn connection_add_value_is_total() {
    fn prop(first: Input, second: Input) -> TestResult {
        let mut options = ConnectionOptions::new();
        let mut fast = ConnectionFlags::new();
        for value in [&first.0, &second.0] {
            let result = options.add_value(value);
            // The flags-only reader agrees with the full one, errors included.
            if fast.add_value(value) != result || fast != options.flags {
                return TestResult::error(format!("flags-only reader: {fast:?} vs {options:?}"));
            }
            if let Err(e) = result
                && (e.kind != ErrorKind::InvalidConnectionToken || e.offset >= value.len())
            {
                return TestResult::error(format!("bad error {e:?}"));
            }
        }
        let contains = |word: &[u8]| {
            [&first.0, &second.0]
                .iter()
                .any(|v| v.windows(word.len()).any(|w| w.eq_ignore_ascii_case(word)))
        };
        let flags = options.flags;
        if (flags.close && !contains(b"close"))
            || (flags.keep_alive && !contains(b"keep-alive"))
            || (flags.upgrade && !contains(b"upgrade"))
        {
            return TestResult::error(format!("a flag without its token: {options:?}"));
        }
        if options.others().len() > MAX_CONNECTION_OPTIONS {
            return TestResult::error("too many options kept");
        }
        for other in options.others() {
            let flag = [&b"close"[..], b"keep-alive", b"upgrade"]
                .iter()
                .any(|f| f.eq_ignore_ascii_case(other));
            if other.is_empty() || flag || !contains(other) || !options.lists(other) {
                return TestResult::error(format!("bad option {}", show(other)));
            }
        }
        TestResult::passed()
    }
    check(TESTS, prop as fn(Input, Input) -> TestResult);
}

// ------------------------------------------------------- resumable scanning

/// Parsing the whole buffer, parsing the head alone, and parsing the bounds
/// a scanner found all give the same head. Returns the failure, if any.
fn same_head_every_way(head: &ValidHead, bounds: HeadBounds) -> Option<String> {
    let config = ParseConfig::strict();
    let buf = &head.bytes;
    let alone = &buf[..head.head_len];
    if head.request {
        let whole = RequestHead::parse(buf, &config);
        let Ok(Parsed::Complete(ref h)) = whole else {
            return Some(format!("whole: {whole:?}"));
        };
        let ok = h.len == head.head_len
            && RequestHead::parse(alone, &config) == whole
            && RequestHead::parse_bounded(buf, bounds, &config).as_ref() == Ok(h);
        (!ok).then(|| format!("request parses differ from {h:?}"))
    } else {
        let whole = ResponseHead::parse(buf, &config);
        let Ok(Parsed::Complete(ref h)) = whole else {
            return Some(format!("whole: {whole:?}"));
        };
        let ok = h.len == head.head_len
            && ResponseHead::parse(alone, &config) == whole
            && ResponseHead::parse_bounded(buf, bounds, &config).as_ref() == Ok(h);
        (!ok).then(|| format!("response parses differ from {h:?}"))
    }
}

fn prefix_is_partial(head: &ValidHead, len: usize) -> bool {
    let config = ParseConfig::strict();
    let prefix = &head.bytes[..len];
    if head.request {
        RequestHead::parse(prefix, &config) == Ok(Parsed::Partial)
    } else {
        ResponseHead::parse(prefix, &config) == Ok(Parsed::Partial)
    }
}

#[test]
fn a_head_split_anywhere_scans_and_parses_like_the_whole() {
    fn prop(head: ValidHead) -> TestResult {
        let max = ParseConfig::DEFAULT_MAX_HEAD_LEN;
        let skip = head.request;
        let buf = &head.bytes;
        let expected = HeadBounds {
            start: head.start,
            end: head.head_len,
        };
        let whole = HeadScanner::new().scan(buf, max, skip);
        if whole != Ok(Some(expected)) {
            return TestResult::error(format!("whole: {whole:?}"));
        }
        if let Some(failure) = same_head_every_way(&head, expected) {
            return TestResult::error(failure);
        }
        // One split: scan the prefix, then the whole, with one scanner.
        for split in 0..head.head_len {
            let mut scanner = HeadScanner::new();
            if scanner.scan(&buf[..split], max, skip) != Ok(None) {
                return TestResult::error(format!("prefix {split} is not partial"));
            }
            let bounds = scanner.scan(buf, max, skip);
            if bounds != Ok(Some(expected)) {
                return TestResult::error(format!("split {split}: {bounds:?}"));
            }
            if !prefix_is_partial(&head, split) {
                return TestResult::error(format!("parse of prefix {split} is not Partial"));
            }
        }
        // Every read one byte long, through one scanner.
        let mut scanner = HeadScanner::new();
        for len in 0..head.head_len {
            if scanner.scan(&buf[..len], max, skip) != Ok(None) {
                return TestResult::error(format!("byte by byte: {len} is not partial"));
            }
        }
        let last = scanner.scan(&buf[..head.head_len], max, skip);
        if last != Ok(Some(expected)) {
            return TestResult::error(format!("byte by byte, at the end: {last:?}"));
        }
        TestResult::passed()
    }
    check(TESTS, prop as fn(ValidHead) -> TestResult);
}

// ------------------------------------------- spelling-invariant persistence

/// The connection options a message carries, as a set.
#[derive(Clone, Copy, Debug, Default)]
struct Options {
    close: bool,
    keep_alive: bool,
    upgrade: bool,
    other: bool,
}

impl Options {
    fn arbitrary(g: &mut Gen) -> Self {
        Self {
            close: chance(g, 12),
            keep_alive: chance(g, 60),
            upgrade: chance(g, 15),
            other: chance(g, 30),
        }
    }

    fn tokens(self) -> Vec<&'static str> {
        let mut t = Vec::new();
        if self.close {
            t.push("close");
        }
        if self.keep_alive {
            t.push("keep-alive");
        }
        if self.upgrade {
            t.push("upgrade");
        }
        if self.other {
            t.push("x-hop");
        }
        t
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    None,
    Length(u32),
    Chunked,
}

/// What an exchange says, independent of how it is spelled.
#[derive(Clone, Copy, Debug)]
struct Spec {
    request_http10: bool,
    response_http10: bool,
    method: &'static str,
    status: u16,
    framing: Framing,
    request: Options,
    response: Options,
    timeout: Option<u32>,
    max: Option<u32>,
}

impl Spec {
    fn arbitrary(g: &mut Gen) -> Self {
        let small = |g: &mut Gen| {
            if chance(g, 20) {
                u32::arbitrary(g)
            } else {
                u32::try_from(below(g, 600)).unwrap()
            }
        };
        Self {
            request_http10: chance(g, 40),
            response_http10: chance(g, 30),
            method: pick(g, &["GET", "GET", "HEAD", "POST", "CONNECT"]),
            status: pick(g, &[101, 200, 200, 204, 304, 404]),
            framing: match below(g, 3) {
                0 => Framing::None,
                1 => Framing::Length(u32::try_from(below(g, 1000)).unwrap()),
                _ => Framing::Chunked,
            },
            request: Options::arbitrary(g),
            response: Options::arbitrary(g),
            timeout: chance(g, 50).then(|| small(g)),
            max: chance(g, 50).then(|| small(g)),
        }
    }

    /// RFC 9112 9.3 and 6.3, written independently of the engine.
    fn model_keeps_alive(&self) -> bool {
        let connect_2xx = self.method == "CONNECT" && (200..300).contains(&self.status);
        let tunnel = self.status == 101 || connect_2xx;
        let no_body = self.method == "HEAD" || matches!(self.status, 100..=199 | 204 | 304);
        let until_close = !tunnel && !no_body && self.framing == Framing::None;
        let response_te = self.framing == Framing::Chunked;
        let closes = [
            self.request.close,
            self.response.close,
            tunnel,
            until_close,
            // HTTP/1.0 needs keep-alive, and a 1.0 client needs it echoed.
            self.request_http10 && !self.request.keep_alive,
            self.request_http10 && !self.response.keep_alive,
            self.response_http10 && !self.response.keep_alive,
            // Transfer-Encoding in HTTP/1.0 is faulty framing.
            self.response_http10 && response_te,
        ];
        !closes.contains(&true)
    }

    fn request_line(&self) -> String {
        let target = if self.method == "CONNECT" {
            "a.example:443"
        } else {
            "/"
        };
        let version = if self.request_http10 { "1.0" } else { "1.1" };
        format!("{} {target} HTTP/{version}\r\n", self.method)
    }

    fn status_line(&self) -> String {
        let version = if self.response_http10 { "1.0" } else { "1.1" };
        format!("HTTP/{version} {} Whatever\r\n", self.status)
    }

    fn framing_field(&self) -> Option<String> {
        match self.framing {
            Framing::None => None,
            Framing::Length(n) => Some(format!("Content-Length: {n}")),
            Framing::Chunked => Some("Transfer-Encoding: chunked".to_owned()),
        }
    }

    /// The plainest spelling: one line per field, canonical case and order.
    fn canonical(&self) -> (Vec<u8>, Vec<u8>) {
        let mut req = self.request_line();
        req.push_str("Host: a.example\r\n");
        let tokens = self.request.tokens();
        if !tokens.is_empty() {
            req.push_str(&format!("Connection: {}\r\n", tokens.join(", ")));
        }
        req.push_str("\r\n");

        let mut resp = self.status_line();
        let tokens = self.response.tokens();
        if !tokens.is_empty() {
            resp.push_str(&format!("Connection: {}\r\n", tokens.join(", ")));
        }
        let mut params = Vec::new();
        if let Some(t) = self.timeout {
            params.push(format!("timeout={t}"));
        }
        if let Some(m) = self.max {
            params.push(format!("max={m}"));
        }
        if !params.is_empty() {
            resp.push_str(&format!("Keep-Alive: {}\r\n", params.join(", ")));
        }
        if let Some(f) = self.framing_field() {
            resp.push_str(&f);
            resp.push_str("\r\n");
        }
        resp.push_str("\r\n");
        (req.into_bytes(), resp.into_bytes())
    }

    /// The same exchange spelled at random; `extra_close` adds `close` to
    /// the request (`Some(true)`) or the response (`Some(false)`).
    fn scrambled(&self, g: &mut Gen, extra_close: Option<bool>) -> (Vec<u8>, Vec<u8>) {
        let mut req_tokens = self.request.tokens();
        let mut resp_tokens = self.response.tokens();
        match extra_close {
            Some(true) => req_tokens.push("close"),
            Some(false) => resp_tokens.push("close"),
            None => {}
        }
        let mut req_fields = connection_lines(g, req_tokens);
        req_fields.push(format!("{}:{}a.example", random_case(g, "host"), ows(g)));
        req_fields.extend(noise_fields(g));
        shuffle(g, &mut req_fields);
        let mut req = self.request_line();
        for f in req_fields {
            req.push_str(&f);
            req.push_str("\r\n");
        }
        req.push_str("\r\n");

        let mut resp_fields = connection_lines(g, resp_tokens);
        resp_fields.extend(keep_alive_lines(g, self.timeout, self.max));
        resp_fields.extend(self.framing_field());
        resp_fields.extend(noise_fields(g));
        shuffle(g, &mut resp_fields);
        let mut resp = self.status_line();
        for f in resp_fields {
            resp.push_str(&f);
            resp.push_str("\r\n");
        }
        resp.push_str("\r\n");
        (req.into_bytes(), resp.into_bytes())
    }
}

/// Fields that have nothing to do with persistence.
fn noise_fields(g: &mut Gen) -> Vec<String> {
    (0..below(g, 3))
        .map(|_| format!("X-{}: {}", token(g, 1, 8), token(g, 0, 8)))
        .collect()
}

/// `tokens` in random case and order, maybe repeated, spread over random
/// `Connection` lines with random OWS and empty list elements.
fn connection_lines(g: &mut Gen, tokens: Vec<&str>) -> Vec<String> {
    let mut tokens: Vec<String> = tokens.into_iter().map(|t| random_case(g, t)).collect();
    if !tokens.is_empty() && chance(g, 20) {
        let again = g.choose(&tokens).expect("non-empty").clone();
        tokens.push(random_case(g, &again));
    }
    shuffle(g, &mut tokens);
    let lines = if tokens.is_empty() {
        below(g, 2)
    } else {
        1 + below(g, 3)
    };
    spread(g, tokens, lines, "connection")
}

/// Keep-Alive parameters in random case, order, quoting and lines.
fn keep_alive_lines(g: &mut Gen, timeout: Option<u32>, max: Option<u32>) -> Vec<String> {
    if timeout.is_none() && max.is_none() {
        return Vec::new();
    }
    let mut params = Vec::new();
    for (key, value) in [("timeout", timeout), ("max", max)] {
        if let Some(v) = value {
            let key = random_case(g, key);
            params.push(if chance(g, 30) {
                format!("{key}=\"{v}\"")
            } else {
                format!("{key}={v}")
            });
        }
    }
    if chance(g, 30) {
        params.push(format!("{}={}", random_case(g, "foo"), token(g, 1, 5)));
    }
    shuffle(g, &mut params);
    let lines = 1 + below(g, 2);
    spread(g, params, lines, "keep-alive")
}

/// Spreads list elements over `lines` field lines named `name` (at least
/// one element in the first line when there are any).
fn spread(g: &mut Gen, elements: Vec<String>, lines: usize, name: &str) -> Vec<String> {
    let mut buckets: Vec<Vec<String>> = vec![Vec::new(); lines];
    for (i, e) in elements.into_iter().enumerate() {
        let b = if i == 0 { 0 } else { below(g, lines) };
        buckets[b].push(e);
    }
    buckets
        .into_iter()
        .map(|elements| {
            let mut value = String::new();
            if chance(g, 15) {
                value.push_str(&list_sep(g));
            }
            for (i, e) in elements.iter().enumerate() {
                if i > 0 {
                    value.push_str(&list_sep(g));
                }
                value.push_str(e);
            }
            if chance(g, 15) {
                value.push_str(&list_sep(g));
            }
            format!("{}:{}{value}{}", random_case(g, name), ows(g), ows(g))
        })
        .collect()
}

/// One exchange, spelled three ways.
#[derive(Clone)]
struct Spelled {
    spec: Spec,
    canonical: (Vec<u8>, Vec<u8>),
    scrambled: (Vec<u8>, Vec<u8>),
    close_in_request: bool,
    with_close: (Vec<u8>, Vec<u8>),
}

impl fmt::Debug for Spelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:?}", self.spec)?;
        for (name, (req, resp)) in [
            ("canonical", &self.canonical),
            ("scrambled", &self.scrambled),
            ("with close", &self.with_close),
        ] {
            writeln!(f, "{name}: {} / {}", show(req), show(resp))?;
        }
        Ok(())
    }
}

impl Arbitrary for Spelled {
    fn arbitrary(g: &mut Gen) -> Self {
        let spec = Spec::arbitrary(g);
        let close_in_request = bool::arbitrary(g);
        Self {
            spec,
            canonical: spec.canonical(),
            scrambled: spec.scrambled(g, None),
            close_in_request,
            with_close: spec.scrambled(g, Some(close_in_request)),
        }
    }
}

struct Outcome {
    decision: Persistence,
    keep_alive: Option<KeepAlive>,
    flags: [bool; 6],
}

fn outcome(req: &[u8], resp: &[u8]) -> Result<Outcome, String> {
    let config = ParseConfig::strict();
    let Ok(Parsed::Complete(rq)) = RequestHead::parse(req, &config) else {
        return Err(format!(
            "request {}: {:?}",
            show(req),
            RequestHead::parse(req, &config)
        ));
    };
    let Ok(Parsed::Complete(rs)) = ResponseHead::parse(resp, &config) else {
        return Err(format!(
            "response {}: {:?}",
            show(resp),
            ResponseHead::parse(resp, &config)
        ));
    };
    let decision = exchange_persistence(
        MessageSummary::of(rq.version, &rq.facts),
        MessageSummary::of(rs.version, &rs.facts),
        rs.body_kind(rq.method_kind()),
    );
    let (a, b) = (&rq.facts.connection, &rs.facts.connection);
    Ok(Outcome {
        decision,
        keep_alive: rs.facts.keep_alive,
        flags: [
            a.close,
            a.keep_alive,
            a.upgrade,
            b.close,
            b.keep_alive,
            b.upgrade,
        ],
    })
}

#[test]
fn spelling_never_changes_the_decision() {
    fn prop(case: Spelled) -> TestResult {
        let canonical = match outcome(&case.canonical.0, &case.canonical.1) {
            Ok(o) => o,
            Err(e) => return TestResult::error(e),
        };
        let scrambled = match outcome(&case.scrambled.0, &case.scrambled.1) {
            Ok(o) => o,
            Err(e) => return TestResult::error(e),
        };
        if canonical.decision != scrambled.decision {
            return TestResult::error(format!(
                "decision {:?} became {:?}",
                canonical.decision, scrambled.decision
            ));
        }
        if canonical.flags != scrambled.flags {
            return TestResult::error("connection flags differ");
        }
        let expected_ka = (case.spec.timeout.is_some() || case.spec.max.is_some()).then_some({
            let mut ka = KeepAlive::new();
            (ka.timeout, ka.max) = (case.spec.timeout, case.spec.max);
            ka
        });
        if canonical.keep_alive != expected_ka || scrambled.keep_alive != expected_ka {
            return TestResult::error(format!(
                "keep-alive {:?} / {:?}, expected {expected_ka:?}",
                canonical.keep_alive, scrambled.keep_alive
            ));
        }
        if canonical.decision.is_keep_alive() != case.spec.model_keeps_alive() {
            return TestResult::error(format!(
                "decision {:?} disagrees with the model",
                canonical.decision
            ));
        }
        TestResult::passed()
    }
    check(TESTS, prop as fn(Spelled) -> TestResult);
}

#[test]
fn close_anywhere_in_either_connection_list_closes() {
    fn prop(case: Spelled) -> TestResult {
        let closed = match outcome(&case.with_close.0, &case.with_close.1) {
            Ok(o) => o,
            Err(e) => return TestResult::error(e),
        };
        let flag = if case.close_in_request {
            closed.flags[0]
        } else {
            closed.flags[3]
        };
        if !flag {
            return TestResult::error("the close flag was not read");
        }
        match closed.decision {
            Persistence::Close(CloseReason::RequestClose) if case.close_in_request => {}
            Persistence::Close(_) if !case.close_in_request => {}
            other => return TestResult::error(format!("decision {other:?}")),
        }
        TestResult::passed()
    }
    check(TESTS, prop as fn(Spelled) -> TestResult);
}

// ---------------------------------------------------- close is absorbing

const REASONS: &[CloseReason] = &[
    CloseReason::RequestClose,
    CloseReason::ResponseClose,
    CloseReason::Http10NoKeepAlive,
    CloseReason::CloseDelimited,
    CloseReason::FramingConflict,
    CloseReason::Http10TransferEncoding,
    CloseReason::ProtocolSwitch,
    CloseReason::ProtocolError,
    CloseReason::MaxReached,
    CloseReason::IdleTimeout,
    CloseReason::HeadTimeout,
    CloseReason::PeerClosed,
    CloseReason::LocalClose,
];

#[derive(Clone, Copy, Debug)]
struct AnyPersistence(Persistence);

impl Arbitrary for AnyPersistence {
    fn arbitrary(g: &mut Gen) -> Self {
        Self(if chance(g, 40) {
            Persistence::KeepAlive
        } else {
            Persistence::Close(pick(g, REASONS))
        })
    }
}

#[derive(Clone, Copy, Debug)]
struct AnySummary(MessageSummary);

impl Arbitrary for AnySummary {
    fn arbitrary(g: &mut Gen) -> Self {
        let version = if bool::arbitrary(g) {
            Version::Http10
        } else {
            Version::Http11
        };
        let mut summary = MessageSummary::plain(version);
        summary.close = chance(g, 30);
        summary.keep_alive = bool::arbitrary(g);
        summary.transfer_encoding = chance(g, 20);
        summary.framing_conflict = chance(g, 10);
        Self(summary)
    }
}

#[derive(Clone, Copy, Debug)]
struct AnyBody(BodyKind);

impl Arbitrary for AnyBody {
    fn arbitrary(g: &mut Gen) -> Self {
        Self(match below(g, 5) {
            0 => BodyKind::None,
            1 => BodyKind::Length(u64::arbitrary(g)),
            2 => BodyKind::Chunked,
            3 => BodyKind::UntilClose,
            _ => BodyKind::Tunnel,
        })
    }
}

#[test]
fn close_is_absorbing_in_and() {
    fn prop(first: AnyPersistence, rest: Vec<AnyPersistence>) -> TestResult {
        // Close(_).and(x) is that Close; KeepAlive.and(x) is x.
        for x in &rest {
            let r = match first.0 {
                Persistence::Close(_) => first.0.and(x.0) == first.0,
                Persistence::KeepAlive => first.0.and(x.0) == x.0,
            };
            if !r {
                return TestResult::error(format!("{:?}.and({:?})", first.0, x.0));
            }
        }
        // A chain closes iff any link closes, for the first link's reason.
        let folded = rest.iter().fold(first.0, |acc, x| acc.and(x.0));
        let expected = std::iter::once(first.0)
            .chain(rest.iter().map(|x| x.0))
            .find(|p| !p.is_keep_alive())
            .unwrap_or(Persistence::KeepAlive);
        TestResult::from_bool(folded == expected)
    }
    check(
        TESTS,
        prop as fn(AnyPersistence, Vec<AnyPersistence>) -> TestResult,
    );
}

#[test]
fn close_in_either_summary_always_closes() {
    fn prop(request: AnySummary, response: AnySummary, body: AnyBody) -> TestResult {
        let (mut request, mut response) = (request.0, response.0);
        let decision = exchange_persistence(request, response, body.0);
        // What the request alone decides is never overruled.
        if let Persistence::Close(reason) = request_persistence(request)
            && decision != Persistence::Close(reason)
        {
            return TestResult::error(format!("{reason:?} became {decision:?}"));
        }
        // Adding close on either side always closes, and never re-opens.
        request.close = true;
        if exchange_persistence(request, response, body.0)
            != Persistence::Close(CloseReason::RequestClose)
        {
            return TestResult::error("close in the request");
        }
        request.close = false;
        response.close = true;
        if exchange_persistence(request, response, body.0).is_keep_alive() {
            return TestResult::error("close in the response");
        }
        TestResult::passed()
    }
    check(
        TESTS,
        prop as fn(AnySummary, AnySummary, AnyBody) -> TestResult,
    );
}

// ------------------------------------------------ chunked bodies, any split

/// A chunked body built from valid pieces and near misses: leading zeros,
/// extensions with BWS, tokens and quoted strings (escapes included),
/// trailers, and now and then one byte mutated, so both verdicts occur.
#[derive(Clone, Debug)]
struct ChunkedInput {
    bytes: Vec<u8>,
    /// Where the input is cut into reads (increasing, inside the input).
    cuts: Vec<usize>,
    /// Data bytes the chunks carry.
    data_len: usize,
    /// Whether one byte was changed after the body was built.
    mutated: bool,
}

fn chunk_extension(g: &mut Gen) -> String {
    let mut ext = String::new();
    for _ in 0..below(g, 3) {
        let bws = |g: &mut Gen| pick(g, &["", "", " ", "\t", "  "]);
        ext.push_str(bws(g));
        ext.push(';');
        ext.push_str(bws(g));
        ext.push_str(&token(g, 1, 6));
        if chance(g, 60) {
            ext.push_str(bws(g));
            ext.push('=');
            ext.push_str(bws(g));
            if chance(g, 50) {
                ext.push_str(&token(g, 1, 6));
            } else {
                let inner = pick(g, &["", "a b", "x\\\"y", "\\\\", "p;q=r", "\t"]);
                ext.push_str(&format!("\"{inner}\""));
            }
        }
    }
    ext
}

impl Arbitrary for ChunkedInput {
    fn arbitrary(g: &mut Gen) -> Self {
        let mut text = String::new();
        let mut data_len = 0;
        for _ in 0..below(g, 4) {
            let size = 1 + below(g, 20);
            data_len += size;
            let zeros = "0".repeat(below(g, 3));
            text.push_str(&format!("{zeros}{size:x}{}\r\n", chunk_extension(g)));
            text.push_str(&"d".repeat(size));
            text.push_str("\r\n");
        }
        text.push_str(&format!("0{}\r\n", chunk_extension(g)));
        if chance(g, 30) {
            text.push_str("X-Sum: 1\r\n");
        }
        text.push_str("\r\n");
        let mut bytes = text.into_bytes();
        let mutated = chance(g, 40);
        if mutated {
            let at = below(g, bytes.len());
            bytes[at] = pick(
                g,
                &[b' ', b';', b'=', b'"', b'\\', b'\r', b'\n', 0, b'x', b'0'],
            );
        }
        let mut cuts: Vec<usize> = (0..below(g, 6)).map(|_| below(g, bytes.len())).collect();
        cuts.sort_unstable();
        cuts.dedup();
        Self {
            bytes,
            cuts,
            data_len,
            mutated,
        }
    }
}

/// What decoding a chunked body produced: the data, the trailer count, and
/// the end or the error (kind, offset in the whole input).
#[derive(Debug, PartialEq, Eq)]
struct ChunkedVerdict {
    data: Vec<u8>,
    trailers: usize,
    end: bool,
    error: Option<(ErrorKind, usize)>,
}

/// Decodes `input` delivered in reads that end at `cuts`, keeping what the
/// decoder did not consume, as a driver does.
fn decode_in_reads(input: &[u8], cuts: &[usize]) -> ChunkedVerdict {
    use h1conn::body::{BodyDecoder, BodyEvent};
    let mut decoder = BodyDecoder::new(h1conn::wire::BodyKind::Chunked);
    let config = ParseConfig::strict();
    let mut verdict = ChunkedVerdict {
        data: Vec::new(),
        trailers: 0,
        end: false,
        error: None,
    };
    let ends: Vec<usize> = cuts.iter().copied().chain([input.len()]).collect();
    let (mut held, mut base, mut fed) = (Vec::new(), 0, 0);
    for end in ends {
        held.extend_from_slice(&input[fed..end]);
        fed = end;
        loop {
            match decoder.decode_with(&held, &config) {
                Err(e) => {
                    verdict.error = Some((e.kind, base + e.offset));
                    return verdict;
                }
                Ok((n, event)) => {
                    let wait = match event {
                        BodyEvent::Data(d) => {
                            verdict.data.extend_from_slice(d);
                            false
                        }
                        BodyEvent::Trailers(t) => {
                            verdict.trailers += t.count();
                            false
                        }
                        BodyEvent::End => {
                            verdict.end = true;
                            return verdict;
                        }
                        BodyEvent::NeedData => true,
                    };
                    held.drain(..n);
                    base += n;
                    if wait {
                        break;
                    }
                }
            }
        }
    }
    verdict
}

#[test]
fn a_chunked_body_split_anywhere_decodes_like_the_whole() {
    fn prop(input: ChunkedInput) -> TestResult {
        let whole = decode_in_reads(&input.bytes, &[]);
        let split = decode_in_reads(&input.bytes, &input.cuts);
        let byte_by_byte: Vec<usize> = (1..input.bytes.len()).collect();
        let single = decode_in_reads(&input.bytes, &byte_by_byte);
        if whole != split || whole != single {
            return TestResult::error(format!(
                "{} cut at {:?}: whole {whole:?}, split {split:?}, bytes {single:?}",
                show(&input.bytes),
                input.cuts
            ));
        }
        TestResult::passed()
    }
    check(TESTS, prop as fn(ChunkedInput) -> TestResult);
}

#[test]
fn valid_chunk_extensions_are_accepted_and_skipped() {
    fn prop(input: ChunkedInput) -> TestResult {
        if input.mutated {
            return TestResult::discard();
        }
        let verdict = decode_in_reads(&input.bytes, &input.cuts);
        let expected = ChunkedVerdict {
            data: vec![b'd'; input.data_len],
            trailers: verdict.trailers,
            end: true,
            error: None,
        };
        if verdict != expected {
            return TestResult::error(format!("{}: {verdict:?}", show(&input.bytes)));
        }
        TestResult::passed()
    }
    check(TESTS, prop as fn(ChunkedInput) -> TestResult);
}
