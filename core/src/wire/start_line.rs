//! Request lines and status lines (RFC 9112 section 3 and 4), parsed with
//! nom; built for size, by a compact pass held to the nom parsers.
//!
//! Each parser takes one line without its CRLF and either returns the parts,
//! borrowed from the line, or a failure that says what was wrong and where.

use nom::Parser;
use nom::bytes::complete::tag;

use super::chars::{find_ctl, is_ctl, token_len, vchar_len};
use super::{PResult, WireError, fail, with_kind};
use crate::error::{ErrorKind, ProtocolError};

/// The HTTP version of a message, as far as this engine distinguishes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Version {
    /// `HTTP/1.0`: persistent only with `Connection: keep-alive`.
    Http10,
    /// `HTTP/1.1`, and `HTTP/1.x` for any x > 1: persistent by default.
    Http11,
}

impl Version {
    /// The version as it appears on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Http10 => "HTTP/1.0",
            Self::Http11 => "HTTP/1.1",
        }
    }
}

/// The parts of a request line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RequestLine<'a> {
    pub(crate) method: &'a [u8],
    pub(crate) target: &'a [u8],
    pub(crate) version: Version,
}

/// The parts of a status line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StatusLine<'a> {
    pub(crate) version: Version,
    pub(crate) status: u16,
    pub(crate) reason: &'a [u8],
}

/// `HTTP-version = "HTTP/" DIGIT "." DIGIT`.
#[inline]
pub(crate) fn http_version(input: &[u8]) -> PResult<'_, Version> {
    // The common case in one comparison (built for size, the rule alone).
    if !crate::small()
        && let Some((b"HTTP/1.1", rest)) = input.split_first_chunk::<8>()
    {
        return Ok((rest, Version::Http11));
    }
    let (rest, _) = with_kind(ErrorKind::InvalidVersion, tag(&b"HTTP/"[..])).parse(input)?;
    let [major @ b'0'..=b'9', b'.', minor @ b'0'..=b'9', rest @ ..] = rest else {
        return fail(input, ErrorKind::InvalidVersion);
    };
    match (major, minor) {
        (b'1', b'0') => Ok((rest, Version::Http10)),
        (b'1', _) => Ok((rest, Version::Http11)),
        _ => fail(input, ErrorKind::UnsupportedVersion),
    }
}

/// One SP, or with `lenient_spaces` a run of them; `kind` if there is none.
#[inline]
fn spaces(lenient_spaces: bool, kind: ErrorKind) -> impl FnMut(&[u8]) -> PResult<'_, ()> {
    move |input: &[u8]| match input {
        [b' ', rest @ ..] if rest.first() != Some(&b' ') => Ok((rest, ())),
        [b' ', rest @ ..] if lenient_spaces => {
            let run = rest.iter().take_while(|&&b| b == b' ').count();
            Ok((rest.get(run..).unwrap_or_default(), ()))
        }
        [b' ', rest @ ..] => fail(rest, ErrorKind::InvalidStartLine),
        _ => fail(input, kind),
    }
}

/// The end of the line: nothing may follow.
fn line_end(kind: ErrorKind) -> impl FnMut(&[u8]) -> PResult<'_, ()> {
    move |input: &[u8]| {
        if input.is_empty() {
            Ok((input, ()))
        } else {
            fail(input, kind)
        }
    }
}

/// `method = token`, at least one token character.
#[inline]
fn method(input: &[u8]) -> PResult<'_, &[u8]> {
    match input.split_at_checked(token_len(input)) {
        Some((method, rest)) if !method.is_empty() => Ok((rest, method)),
        _ => fail(input, ErrorKind::InvalidMethod),
    }
}

/// `request-target`: visible ASCII up to the next SP. Forms are told apart later.
#[inline]
fn request_target(input: &[u8]) -> PResult<'_, &[u8]> {
    match input.split_at_checked(vchar_len(input)) {
        Some((target, rest)) if !target.is_empty() => Ok((rest, target)),
        _ => fail(input, ErrorKind::InvalidTarget),
    }
}

/// `request-line = method SP request-target SP HTTP-version`, without CRLF.
pub(crate) fn request_line(line: &[u8], lenient_spaces: bool) -> PResult<'_, RequestLine<'_>> {
    let (rest, method) = method(line)?;
    let after_method = if rest.is_empty() {
        ErrorKind::InvalidStartLine
    } else {
        ErrorKind::InvalidMethod
    };
    let (rest, ()) = spaces(lenient_spaces, after_method).parse(rest)?;
    let (rest, target) = request_target(rest)?;
    let (rest, ()) = spaces(lenient_spaces, ErrorKind::InvalidTarget).parse(rest)?;
    let (rest, version) = http_version(rest)?;
    let (rest, ()) = line_end(ErrorKind::InvalidVersion).parse(rest)?;
    Ok((
        rest,
        RequestLine {
            method,
            target,
            version,
        },
    ))
}

/// `status-line = HTTP-version SP status-code SP [ reason-phrase ]`, without CRLF.
///
/// With `lenient_reason` the SP after the code may be missing as well.
pub(crate) fn status_line(
    line: &[u8],
    lenient_spaces: bool,
    lenient_reason: bool,
) -> PResult<'_, StatusLine<'_>> {
    let (rest, version) = http_version(line)?;
    let (rest, ()) = spaces(lenient_spaces, ErrorKind::InvalidStartLine).parse(rest)?;
    let (after_code, status) = status_code(rest)?;
    if status < 100 {
        return fail(rest, ErrorKind::InvalidStatusCode);
    }
    let rest = after_code;
    let (rest, ()) = match rest.first() {
        None if lenient_reason => (rest, ()),
        Some(b) if b.is_ascii_digit() => return fail(rest, ErrorKind::InvalidStatusCode),
        // Exactly one SP: the reason phrase itself may start with SP.
        Some(b' ') if !lenient_spaces => (rest.get(1..).unwrap_or_default(), ()),
        _ => spaces(lenient_spaces, ErrorKind::InvalidStartLine).parse(rest)?,
    };
    reason_phrase(rest).map(|(rest, reason)| {
        (
            rest,
            StatusLine {
                version,
                status,
                reason,
            },
        )
    })
}

/// `HTTP/1.1` and `HTTP/1.0` as little-endian words.
const HTTP_1_1: u64 = u64::from_le_bytes(*b"HTTP/1.1");
const HTTP_1_0: u64 = u64::from_le_bytes(*b"HTTP/1.0");

/// The common shape of a request line, `method SP target SP HTTP/1.1
/// CRLF` (or `HTTP/1.0`) with single spaces, at the start of `s`: the parts
/// and the length including CRLF. `None` for anything else, which
/// [`request_line`] then parses (or rejects with the kind and offset).
///
/// A plain loop, not nom: on this path every instruction counts (see
/// README, "nom and the hot path").
#[inline]
pub(crate) fn plain_request_line(s: &[u8]) -> Option<(RequestLine<'_>, usize)> {
    let (method, rest) = s.split_at_checked(token_len(s))?;
    let [b' ', rest @ ..] = rest else {
        return None;
    };
    let (target, rest) = rest.split_at_checked(vchar_len(rest))?;
    let [b' ', rest @ ..] = rest else {
        return None;
    };
    // The version and CRLF as one word and a half, not byte by byte.
    let (version, rest) = rest.split_first_chunk::<8>()?;
    let (crlf, rest) = rest.split_first_chunk::<2>()?;
    if *crlf != *b"\r\n" {
        return None;
    }
    let version = match u64::from_le_bytes(*version) {
        HTTP_1_1 => Version::Http11,
        HTTP_1_0 => Version::Http10,
        _ => return None,
    };
    if method.is_empty() || target.is_empty() {
        return None;
    }
    let line = RequestLine {
        method,
        target,
        version,
    };
    Some((line, s.len() - rest.len()))
}

/// The common shape of a status line, `HTTP/1.1 DDD SP reason CRLF` (or
/// `HTTP/1.0`, code 100-999), at the start of `s`: the parts and the length
/// including CRLF. `None` for anything else, which [`status_line`] then
/// parses (or rejects with the kind and offset).
#[inline]
pub(crate) fn plain_status_line(s: &[u8], lenient_spaces: bool) -> Option<(StatusLine<'_>, usize)> {
    let (version, rest) = s.split_first_chunk::<8>()?;
    let version = match u64::from_le_bytes(*version) {
        HTTP_1_1 => Version::Http11,
        HTTP_1_0 => Version::Http10,
        _ => return None,
    };
    let [b' ', rest @ ..] = rest else {
        return None;
    };
    let ([a @ b'1'..=b'9', b @ b'0'..=b'9', c @ b'0'..=b'9', b' '], rest) =
        rest.split_first_chunk::<4>()?
    else {
        return None;
    };
    // With lenient spaces a run of SP before the reason is skipped.
    if lenient_spaces && rest.first() == Some(&b' ') {
        return None;
    }
    let mut scan = rest;
    let line_end = loop {
        let (_, at_ctl) = find_ctl(scan).and_then(|ctl| scan.split_at_checked(ctl))?;
        match at_ctl {
            [b'\t', after @ ..] => scan = after,
            [b'\r', b'\n', ..] => break at_ctl,
            _ => return None,
        }
    };
    let reason = rest.get(..rest.len() - line_end.len())?;
    let digit = |d: u8| u16::from(d - b'0');
    let line = StatusLine {
        version,
        status: digit(*a) * 100 + digit(*b) * 10 + digit(*c),
        reason,
    };
    Some((line, s.len() - line_end.len() + 2))
}

/// The error for a start line that failed to parse: a bare CR at or before
/// the point of failure is what went wrong, whatever the parser expected.
pub(crate) fn start_line_error(
    err: nom::Err<WireError>,
    line: &[u8],
    line_at: usize,
) -> ProtocolError {
    let error = WireError::into_protocol(err, line, line_at);
    // Errors are rare and start lines short: a plain search keeps
    // memchr's word-at-a-time code out of firmware.
    match line.iter().position(|&b| b == b'\r') {
        Some(cr) if line_at + cr <= error.offset => {
            ProtocolError::new(ErrorKind::BareCr, line_at + cr)
        }
        _ => error,
    }
}

/// A step of a compact start-line parser: on failure the kind, with the
/// cursor (the bytes not read) left where the failure is.
type Step<T> = Result<T, ErrorKind>;

/// Built for size, a request line read by one plain pass instead of the
/// nom parsers: the same parts, error kinds and offsets (the tests hold it
/// to [`request_line`] and the head's bare-CR rule), in less code. `line`
/// (without CRLF) starts at `base` in the caller's buffer.
pub(crate) fn compact_request_line(
    line: &[u8],
    base: usize,
    lenient_spaces: bool,
) -> Result<RequestLine<'_>, ProtocolError> {
    let mut rest = line;
    request_parts(&mut rest, lenient_spaces).map_err(|kind| line_error(kind, line, rest, base))
}

/// Built for size, a status line read as [`compact_request_line`] reads a
/// request line, held to [`status_line`].
pub(crate) fn compact_status_line(
    line: &[u8],
    base: usize,
    lenient_spaces: bool,
    lenient_reason: bool,
) -> Result<StatusLine<'_>, ProtocolError> {
    let mut rest = line;
    status_parts(&mut rest, lenient_spaces, lenient_reason)
        .map_err(|kind| line_error(kind, line, rest, base))
}

/// The error for a compact parser's failure `kind` where `rest` starts.
///
/// A nom parser never fails past the line's first CR (a CR fits none of
/// the parts), and a CR at or before its failure makes the error a bare
/// CR: so a failure at a CR is a bare CR, and no other is.
#[inline(never)]
fn line_error(kind: ErrorKind, line: &[u8], rest: &[u8], base: usize) -> ProtocolError {
    let kind = match rest {
        [b'\r', ..] => ErrorKind::BareCr,
        _ => kind,
    };
    // `rest` is a tail of `line`, which lies in the caller's buffer from
    // `base`: neither can wrap.
    let at = line.len().wrapping_sub(rest.len());
    ProtocolError::new(kind, base.wrapping_add(at))
}

/// The first `len` bytes of `rest` (all of it if shorter), taken off it.
/// Out of line: one copy is smaller than one per use (44 B, heads image).
#[inline(never)]
fn take<'a>(rest: &mut &'a [u8], len: usize) -> &'a [u8] {
    let (part, after) = rest.split_at_checked(len).unwrap_or((rest, &[]));
    *rest = after;
    part
}

/// One SP, or with `lenient` a run of them; `kind` if there is none.
fn spaces_step(rest: &mut &[u8], lenient: bool, kind: ErrorKind) -> Step<()> {
    let run = rest.iter().take_while(|&&b| b == b' ').count();
    if run == 0 {
        return Err(kind);
    }
    if !lenient && run > 1 {
        // A second SP where only one may be.
        take(rest, 1);
        return Err(ErrorKind::InvalidStartLine);
    }
    take(rest, run);
    Ok(())
}

/// `HTTP-version`, as [`http_version`] reads it.
fn version_step(rest: &mut &[u8]) -> Step<Version> {
    // Byte by byte against a template whose `0`s stand for any digit: a
    // loop is smaller than the comparisons spelled out.
    let Some((version, after)) = rest.split_first_chunk::<8>() else {
        return Err(ErrorKind::InvalidVersion);
    };
    // `HTTP/`, a digit, `.`, a digit: the name in one word compare.
    let &[h, t, t2, p, slash, major, dot, minor] = version;
    let name = u32::from_le_bytes([h, t, t2, p]);
    if name != u32::from_le_bytes(*b"HTTP")
        || slash != b'/'
        || dot != b'.'
        || !major.is_ascii_digit()
        || !minor.is_ascii_digit()
    {
        return Err(ErrorKind::InvalidVersion);
    }
    if major != b'1' {
        return Err(ErrorKind::UnsupportedVersion);
    }
    *rest = after;
    Ok(if minor == b'0' {
        Version::Http10
    } else {
        Version::Http11
    })
}

/// The parts of a request line, as [`request_line`] reads them.
fn request_parts<'a>(rest: &mut &'a [u8], lenient_spaces: bool) -> Step<RequestLine<'a>> {
    let method = take(rest, token_len(rest));
    if method.is_empty() {
        return Err(ErrorKind::InvalidMethod);
    }
    let after_method = if rest.is_empty() {
        ErrorKind::InvalidStartLine
    } else {
        ErrorKind::InvalidMethod
    };
    spaces_step(rest, lenient_spaces, after_method)?;
    let target = take(rest, vchar_len(rest));
    if target.is_empty() {
        return Err(ErrorKind::InvalidTarget);
    }
    spaces_step(rest, lenient_spaces, ErrorKind::InvalidTarget)?;
    let version = version_step(rest)?;
    if !rest.is_empty() {
        return Err(ErrorKind::InvalidVersion);
    }
    Ok(RequestLine {
        method,
        target,
        version,
    })
}

/// The parts of a status line, as [`status_line`] reads them.
fn status_parts<'a>(
    rest: &mut &'a [u8],
    lenient_spaces: bool,
    lenient_reason: bool,
) -> Step<StatusLine<'a>> {
    let version = version_step(rest)?;
    spaces_step(rest, lenient_spaces, ErrorKind::InvalidStartLine)?;
    // Three digits, 100 or more: else the code is wrong where it starts.
    let mut status: u32 = 0;
    for at in 0..3 {
        let Some(digit @ b'0'..=b'9') = rest.get(at) else {
            return Err(ErrorKind::InvalidStatusCode);
        };
        status = status * 10 + u32::from(digit - b'0');
    }
    if status < 100 {
        return Err(ErrorKind::InvalidStatusCode);
    }
    // Summed in a word, no narrowing at each step; three digits are at
    // most 999.
    let status = status as u16;
    take(rest, 3);
    match *rest {
        [] if lenient_reason => {}
        [b'0'..=b'9', ..] => return Err(ErrorKind::InvalidStatusCode),
        // Exactly one SP: the reason phrase itself may start with SP.
        [b' ', after @ ..] if !lenient_spaces => *rest = after,
        // A run of SP, or none (wrong either way).
        _ => spaces_step(rest, true, ErrorKind::InvalidStartLine)?,
    }
    let reason = *rest;
    // `reason-phrase = *( HTAB / SP / VCHAR / obs-text )`.
    if let Some(bad) = rest.iter().position(|&b| b != b'\t' && is_ctl(b)) {
        take(rest, bad);
        return Err(ErrorKind::InvalidReasonPhrase);
    }
    Ok(StatusLine {
        version,
        status,
        reason,
    })
}

/// `status-code = 3DIGIT`, as a number.
#[inline]
fn status_code(input: &[u8]) -> PResult<'_, u16> {
    match input.split_first_chunk::<3>() {
        Some((&[a @ b'0'..=b'9', b @ b'0'..=b'9', c @ b'0'..=b'9'], rest)) => {
            // Three ASCII digits: at most 999, no overflow, no underflow.
            let digit = |d: u8| u16::from(d - b'0');
            Ok((rest, digit(a) * 100 + digit(b) * 10 + digit(c)))
        }
        _ => fail(input, ErrorKind::InvalidStatusCode),
    }
}

/// `reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )`: the rest of the line.
fn reason_phrase(input: &[u8]) -> PResult<'_, &[u8]> {
    let mut from = 0;
    while let Some(ctl) = input.get(from..).and_then(find_ctl).map(|p| p + from) {
        if input.get(ctl) != Some(&b'\t') {
            return fail(
                input.get(ctl..).unwrap_or_default(),
                ErrorKind::InvalidReasonPhrase,
            );
        }
        from = ctl + 1;
    }
    Ok((input.get(input.len()..).unwrap_or_default(), input))
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::ToString;

    use super::super::WireError;
    use super::*;

    fn offset_of(line: &[u8], err: nom::Err<WireError>) -> (ErrorKind, usize) {
        match err {
            nom::Err::Error(e) | nom::Err::Failure(e) => (e.kind, line.len() - e.rest_len),
            nom::Err::Incomplete(_) => unreachable!("complete parsers never ask for more"),
        }
    }

    #[test]
    fn request_lines() {
        let cases: &[(&[u8], &[u8], &[u8], Version)] = &[
            (b"GET / HTTP/1.1", b"GET", b"/", Version::Http11),
            (b"GET /a?b=c HTTP/1.0", b"GET", b"/a?b=c", Version::Http10),
            (
                b"GET http://x.org/p HTTP/1.1",
                b"GET",
                b"http://x.org/p",
                Version::Http11,
            ),
            (
                b"CONNECT x.org:443 HTTP/1.1",
                b"CONNECT",
                b"x.org:443",
                Version::Http11,
            ),
            (b"OPTIONS * HTTP/1.1", b"OPTIONS", b"*", Version::Http11),
            (b"M-SEARCH * HTTP/1.9", b"M-SEARCH", b"*", Version::Http11),
        ];
        for &(line, method, target, version) in cases {
            let (rest, parsed) = request_line(line, false).unwrap();
            assert!(rest.is_empty());
            assert_eq!(
                parsed,
                RequestLine {
                    method,
                    target,
                    version
                }
            );
        }
    }

    #[test]
    fn bad_request_lines_say_what_and_where() {
        let cases: &[(&[u8], ErrorKind, usize)] = &[
            (b"GET / HTTP/2.0", ErrorKind::UnsupportedVersion, 6),
            (b"GET / HTTP/0.9", ErrorKind::UnsupportedVersion, 6),
            (b"GET / HTTP/1", ErrorKind::InvalidVersion, 6),
            (b"GET / http/1.1", ErrorKind::InvalidVersion, 6),
            (b"GET / HTTP/1.1 ", ErrorKind::InvalidVersion, 14),
            (b"GET  / HTTP/1.1", ErrorKind::InvalidStartLine, 4),
            (b"GET /a\x00 HTTP/1.1", ErrorKind::InvalidTarget, 6),
            (b"G\x01T / HTTP/1.1", ErrorKind::InvalidMethod, 1),
            (b" GET / HTTP/1.1", ErrorKind::InvalidMethod, 0),
            (b"GET", ErrorKind::InvalidStartLine, 3),
            (b"GET /", ErrorKind::InvalidTarget, 5),
        ];
        for &(line, kind, offset) in cases {
            let err = request_line(line, false).unwrap_err();
            assert_eq!(
                offset_of(line, err),
                (kind, offset),
                "{:?}",
                core::str::from_utf8(line)
            );
        }
    }

    #[test]
    fn lenient_spaces_accept_runs() {
        let (_, parsed) = request_line(b"GET  /  HTTP/1.1", true).unwrap();
        assert_eq!(parsed.target, b"/");
        let (_, parsed) = status_line(b"HTTP/1.1  200  OK", true, false).unwrap();
        assert_eq!((parsed.status, parsed.reason), (200, &b"OK"[..]));
    }

    #[test]
    fn status_lines() {
        let (_, s) = status_line(b"HTTP/1.1 200 OK", false, false).unwrap();
        assert_eq!(
            s,
            StatusLine {
                version: Version::Http11,
                status: 200,
                reason: b"OK"
            }
        );
        let (_, s) = status_line(b"HTTP/1.0 404 ", false, false).unwrap();
        assert_eq!(
            (s.version, s.status, s.reason),
            (Version::Http10, 404, &b""[..])
        );
        let (_, s) = status_line(b"HTTP/1.1 500 Internal\tServer \xffError", false, false).unwrap();
        assert_eq!(s.reason, b"Internal\tServer \xffError");
    }

    #[test]
    fn bad_status_lines() {
        let cases: &[(&[u8], bool, ErrorKind, usize)] = &[
            (b"HTTP/1.1 200", false, ErrorKind::InvalidStartLine, 12),
            (b"HTTP/1.1 2000 OK", false, ErrorKind::InvalidStatusCode, 12),
            (b"HTTP/1.1 20 OK", false, ErrorKind::InvalidStatusCode, 9),
            (b"HTTP/1.1 099 OK", false, ErrorKind::InvalidStatusCode, 9),
            (
                b"HTTP/1.1 200 O\x00K",
                false,
                ErrorKind::InvalidReasonPhrase,
                14,
            ),
            (b"HTTP/2 200 OK", false, ErrorKind::InvalidVersion, 0),
            (b"HTTP/3.0 200 OK", false, ErrorKind::UnsupportedVersion, 0),
        ];
        for &(line, lenient, kind, offset) in cases {
            let err = status_line(line, false, lenient).unwrap_err();
            assert_eq!(
                offset_of(line, err),
                (kind, offset),
                "{:?}",
                core::str::from_utf8(line)
            );
        }
        let (_, s) = status_line(b"HTTP/1.1 200", false, true).unwrap();
        assert_eq!((s.status, s.reason), (200, &b""[..]));
    }

    /// Both start lines of `line` (at offset 9 of a buffer), every
    /// leniency, read by the nom parsers and the head's bare-CR rule (the
    /// oracle) and by the compact ones: the same parts, kinds and offsets.
    fn compact_agrees(line: &[u8]) {
        const BASE: usize = 9;
        for lenient_spaces in [false, true] {
            let nom = request_line(line, lenient_spaces)
                .map(|(_, parsed)| parsed)
                .map_err(|e| start_line_error(e, line, BASE));
            let compact = compact_request_line(line, BASE, lenient_spaces);
            assert_eq!(
                compact,
                nom,
                "request {:?}",
                line.escape_ascii().to_string()
            );
            for lenient_reason in [false, true] {
                let nom = status_line(line, lenient_spaces, lenient_reason)
                    .map(|(_, parsed)| parsed)
                    .map_err(|e| start_line_error(e, line, BASE));
                let compact = compact_status_line(line, BASE, lenient_spaces, lenient_reason);
                assert_eq!(compact, nom, "status {:?}", line.escape_ascii().to_string());
            }
        }
    }

    #[test]
    fn compact_start_lines_agree_with_nom_on_every_short_line() {
        // Each prefix brings the short strings to another part of a line.
        const PREFIXES: &[&[u8]] = &[
            b"",
            b"GET ",
            b"GET /a ",
            b"GET / HTTP/",
            b"HTTP/1.1 ",
            b"HTTP/1.0  ",
            b"HTTP/1.1 200",
        ];
        const ALPHABET: &[u8] = b" G/1.0\r\t\x01";
        let mut line = std::vec::Vec::new();
        for prefix in PREFIXES {
            crate::testing::every_string(ALPHABET, 5, |s| {
                line.clear();
                line.extend_from_slice(prefix);
                line.extend_from_slice(s);
                compact_agrees(&line);
            });
        }
    }

    #[test]
    fn compact_start_lines_agree_with_nom_on_joined_pieces() {
        const PIECES: &[&[u8]] = &[
            b"GET",
            b"M-SEARCH",
            b" ",
            b" ",
            b"  ",
            b"/",
            b"/a?b=c",
            b"*",
            b"HTTP/1.1",
            b"HTTP/1.0",
            b"HTTP/1.9",
            b"HTTP/2.0",
            b"HTTP/1",
            b"HTTP/1.x",
            b"HTTP/x.1",
            b"http/1.1",
            b"HTTP/",
            b"200",
            b"101",
            b"099",
            b"2000",
            b"20",
            b"OK",
            b"Not Found",
            b"\t",
            b"\r",
            b"\n",
            b"\x00",
            b"\x7f",
            b"\xff",
            b"1",
            b"9",
            b"a",
        ];
        crate::testing::joined_pieces(PIECES, 0x853c_49e6_748f_ea9b_u64, 9, 11, 17, |line| {
            compact_agrees(line)
        });
    }
}
