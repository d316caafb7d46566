//! The wire layer: stateless, zero-copy parsing of HTTP/1.x heads.
//!
//! Everything here works on borrowed byte slices and returns borrowed
//! results. It is total: every function returns a value or a typed
//! [`crate::ProtocolError`] for any input, and never panics, loops
//! forever, or reads outside its slice.
//!
//! A well-formed head is parsed in one pass over its bytes:
//! [`RequestHead::parse`] and [`ResponseHead::parse`] read the start line
//! with plain loops and walk the field lines up to the empty line, each
//! byte classified once (names by the token table, values by a block scan
//! for control bytes that stops at the line's CR), reading the fields that
//! matter for persistence and framing into [`HeadFacts`] on the way. Only
//! when that pass cannot finish (the head is incomplete, invalid, or uses a
//! lenient form) does the slow way run: a [`HeadScanner`] finds where the
//! head ends (resumably, so each byte is scanned once however the head is
//! split into reads), then [`RequestHead::parse_bounded`] or
//! [`ResponseHead::parse_bounded`] parse that bounded slice, with nom's
//! complete parsers for start lines the plain loops decline, and say
//! exactly what is wrong where. Built for size, only the slow way runs, and
//! a compact pass reads the start lines instead of nom (the same results).

mod chars;
pub(crate) use chars::{HEX, is_class, is_tchar};
mod connection;
mod debug;
mod fields;
mod framing;
mod head;
mod host;
mod keep_alive;
#[cfg(test)]
mod paths;
mod scan;
mod start_line;
mod written;

pub use connection::{ConnectionFlags, ConnectionOptions, MAX_CONNECTION_OPTIONS};
pub use fields::{Header, Headers};
pub use framing::{BodyKind, Method, TransferEncoding, request_body_kind, response_body_kind};
pub use head::{HeadFacts, RequestHead, ResponseHead, TargetForm};
pub use keep_alive::KeepAlive;
pub use scan::{HeadBounds, HeadScanner};
pub use start_line::Version;
pub(crate) use written::{request_facts, response_facts};

use crate::error::{ErrorKind, ProtocolError};

/// The outcome of parsing input that may be incomplete.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Parsed<T> {
    /// The input held a complete item.
    Complete(T),
    /// More bytes are needed; nothing is wrong so far.
    Partial,
}

/// Limits and the leniencies a caller may opt into.
///
/// The default is strict: everything RFC 9112 lets a recipient reject is
/// rejected. Each `allow_*` flag accepts one thing that real peers are known
/// to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct ParseConfig {
    /// Longest head accepted, in bytes, including the start line and the
    /// empty line. Longer heads fail with [`ErrorKind::HeadTooLarge`]
    /// ([`ErrorKind::RequestLineTooLong`] if the request line alone is too long).
    pub max_head_len: usize,
    /// Accept obsolete line folding in responses (RFC 9112 5.2); each fold
    /// reads as one space. Requests with folds are always rejected.
    pub allow_obs_fold_in_responses: bool,
    /// Accept a status line that ends right after the status code, with no
    /// SP and no reason phrase (`HTTP/1.1 200`).
    pub allow_missing_reason: bool,
    /// Accept runs of several SP between the parts of a start line.
    pub allow_multiple_spaces: bool,
    /// Accept a message with both `Content-Length` and `Transfer-Encoding`:
    /// `Transfer-Encoding` wins and the connection is closed afterwards.
    pub allow_content_length_with_transfer_encoding: bool,
    /// Most hex digits in a chunk size, leading zeros included. More fail
    /// with [`ErrorKind::ChunkSizeTooLong`] as soon as the extra digit arrives.
    pub max_chunk_size_digits: u8,
    /// Most bytes between a chunk size and the CR that ends its line
    /// (whitespace and extensions). More fail with
    /// [`ErrorKind::ChunkExtensionTooLong`] as soon as the extra byte arrives.
    /// A trailer section is bounded like a head, by `max_head_len`
    /// ([`ErrorKind::TrailerTooLarge`]).
    pub max_chunk_extension_len: u16,
}

impl ParseConfig {
    /// The default head limit: 8 KiB.
    pub const DEFAULT_MAX_HEAD_LEN: usize = 8 * 1024;
    /// The default chunk-size digit limit: 16, enough for any `u64`.
    pub const DEFAULT_MAX_CHUNK_SIZE_DIGITS: u8 = 16;
    /// The default limit on the bytes after a chunk size in its line: 256.
    pub const DEFAULT_MAX_CHUNK_EXTENSION_LEN: u16 = 256;

    /// Strict parsing with the default head limit.
    pub const fn strict() -> Self {
        Self {
            max_head_len: Self::DEFAULT_MAX_HEAD_LEN,
            allow_obs_fold_in_responses: false,
            allow_missing_reason: false,
            allow_multiple_spaces: false,
            allow_content_length_with_transfer_encoding: false,
            max_chunk_size_digits: Self::DEFAULT_MAX_CHUNK_SIZE_DIGITS,
            max_chunk_extension_len: Self::DEFAULT_MAX_CHUNK_EXTENSION_LEN,
        }
    }

    /// Strict, except for the quirks old servers are known to send:
    /// obs-fold in responses, a missing reason phrase, runs of spaces.
    pub const fn lenient_responses() -> Self {
        Self {
            allow_obs_fold_in_responses: true,
            allow_missing_reason: true,
            allow_multiple_spaces: true,
            ..Self::strict()
        }
    }

    /// The same configuration with other chunk-line limits: hex digits in a
    /// chunk size, and bytes after them (whitespace and extensions).
    pub const fn with_chunk_line_limits(self, size_digits: u8, extension_len: u16) -> Self {
        Self {
            max_chunk_size_digits: size_digits,
            max_chunk_extension_len: extension_len,
            ..self
        }
    }

    /// The same configuration with another head limit.
    pub const fn with_max_head_len(self, max_head_len: usize) -> Self {
        Self {
            max_head_len,
            ..self
        }
    }
}

impl Default for ParseConfig {
    fn default() -> Self {
        Self::strict()
    }
}

/// The error type of the nom parsers in this layer: what was wrong, and how
/// many bytes of the parser's input were left at that point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WireError {
    pub(crate) kind: ErrorKind,
    pub(crate) rest_len: usize,
}

impl WireError {
    /// The protocol error for a failure while parsing `input`, which starts
    /// at `base` in the caller's buffer.
    pub(crate) fn into_protocol(err: nom::Err<Self>, input: &[u8], base: usize) -> ProtocolError {
        let (kind, rest_len) = match err {
            nom::Err::Error(e) | nom::Err::Failure(e) => (e.kind, e.rest_len),
            // Only complete parsers are used; treat "need more" as malformed.
            nom::Err::Incomplete(_) => (ErrorKind::InvalidStartLine, 0),
        };
        ProtocolError::new(kind, base + input.len().saturating_sub(rest_len))
    }
}

impl nom::error::ParseError<&[u8]> for WireError {
    fn from_error_kind(input: &[u8], _kind: nom::error::ErrorKind) -> Self {
        Self {
            kind: ErrorKind::InvalidStartLine,
            rest_len: input.len(),
        }
    }

    fn append(_input: &[u8], _kind: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

/// Result type of the nom parsers in this layer.
pub(crate) type PResult<'a, T> = nom::IResult<&'a [u8], T, WireError>;

/// Fails with `kind` at the start of `at`.
pub(crate) fn fail<T>(at: &[u8], kind: ErrorKind) -> PResult<'_, T> {
    Err(nom::Err::Failure(WireError {
        kind,
        rest_len: at.len(),
    }))
}

/// Runs `parser`; if it fails, fails with `kind` at the start of its input.
pub(crate) fn with_kind<'a, O, P>(
    kind: ErrorKind,
    mut parser: P,
) -> impl nom::Parser<&'a [u8], Output = O, Error = WireError>
where
    P: nom::Parser<&'a [u8], Output = O, Error = WireError>,
{
    move |input: &'a [u8]| match parser.parse(input) {
        Ok(done) => Ok(done),
        Err(_) => fail(input, kind),
    }
}

/// Whether `s` is a non-empty token (method, field name).
pub(crate) fn is_token_bytes(s: &[u8]) -> bool {
    chars::is_token(s)
}

/// Whether `s` may be sent as a field value or reason phrase: no control
/// bytes other than HTAB (so no CR or LF that could inject a line).
pub(crate) fn is_field_value(s: &[u8]) -> bool {
    if crate::small() {
        // Built for size, three compares: HTAB or SP and above, not DEL
        // (the same bytes; the fast build's test runs faster).
        return s.iter().all(|&b| (b >= b' ' || b == b'\t') && b != 0x7f);
    }
    s.iter().all(|&b| b == b'\t' || !chars::is_ctl(b))
}

/// Validates a field section (field lines and the empty line), such as a
/// trailer section. Offsets in errors are relative to `block`. By the
/// walk that reads heads, so a size build links one field-line reader.
pub(crate) fn validate_fields(block: &[u8]) -> Result<(), ProtocolError> {
    fields::walk_fields(block, 0, false, |_| Ok(())).map(|_| ())
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::ToString;

    use super::*;
    use crate::testing::{every_string, joined_pieces, with_small};

    /// `block` validated by the field walk of both builds and by the field
    /// cursor (the oracle): the same result, kind and offset.
    fn validations_agree(block: &[u8]) {
        let cursor = fields::FieldCursor::new(block, false).try_for_each(|line| line.map(|_| ()));
        let walk = with_small(|| validate_fields(block));
        assert_eq!(walk, cursor, "{:?}", block.escape_ascii().to_string());
        assert_eq!(validate_fields(block), cursor);
    }

    #[test]
    fn field_sections_validate_alike_both_ways() {
        let mut block = std::vec::Vec::new();
        for prefix in [&b""[..], b"a: b\r\n", b"X-1:\t\r\n"] {
            every_string(b"a: \t\r\n\x00", 6, |s| {
                block.clear();
                block.extend_from_slice(prefix);
                block.extend_from_slice(s);
                validations_agree(&block);
            });
        }
        const PIECES: &[&[u8]] = &[
            b"Name", b"a", b":", b" ", b"\t", b"value", b"\r\n", b"\r\n", b"\r", b"\n", b"\x00",
            b"\x7f", b"\xff", b"(",
        ];
        joined_pieces(PIECES, 0x2545_f491_4f6c_dd1d, 13, 7, 11, validations_agree);
    }
}
