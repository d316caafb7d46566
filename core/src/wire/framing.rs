//! Message framing (RFC 9112 section 6): `Content-Length`,
//! `Transfer-Encoding`, and where a message body ends.

use super::chars::{eq_lower, find_name, is_token, no_uppercase};
use super::fields::list_elements;
use crate::error::{ErrorKind, ProtocolError};

/// Request methods the engine treats specially, and the rest.
///
/// Methods are case-sensitive (RFC 9110 9.1): `get` is not `GET`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Method {
    /// `GET`
    Get,
    /// `HEAD`: its response never has a body.
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
    /// `CONNECT`: a 2xx response turns the connection into a tunnel.
    Connect,
    /// `OPTIONS`
    Options,
    /// `TRACE`
    Trace,
    /// `PATCH`
    Patch,
    /// Any other method token.
    Other,
}

impl Method {
    /// Classifies a method token.
    pub fn from_bytes(method: &[u8]) -> Self {
        if crate::small() {
            // `GET` first, by one compare: a literal `b"GET"` (most
            // requests) is then classified at compile time wherever this
            // is inlined, which the search below never is.
            if method == b"GET" {
                return Self::Get;
            }
            // Built for size: the shared name-table search, which ignores
            // case (its table in lower case); a method with no lower-case
            // letter that matches is the name in upper case, exactly (in
            // the order of the variants).
            const NAMES: &[u8] =
                b"\x03get\x04head\x04post\x03put\x06delete\x07connect\x07options\x05trace\x05patch";
            const _: () = assert!(no_uppercase(NAMES));
            let found =
                find_name(method, NAMES).filter(|_| !method.iter().any(u8::is_ascii_lowercase));
            return match found {
                Some(0) => Self::Get,
                Some(1) => Self::Head,
                Some(2) => Self::Post,
                Some(3) => Self::Put,
                Some(4) => Self::Delete,
                Some(5) => Self::Connect,
                Some(6) => Self::Options,
                Some(7) => Self::Trace,
                Some(8) => Self::Patch,
                _ => Self::Other,
            };
        }
        match method {
            b"GET" => Self::Get,
            b"HEAD" => Self::Head,
            b"POST" => Self::Post,
            b"PUT" => Self::Put,
            b"DELETE" => Self::Delete,
            b"CONNECT" => Self::Connect,
            b"OPTIONS" => Self::Options,
            b"TRACE" => Self::Trace,
            b"PATCH" => Self::Patch,
            _ => Self::Other,
        }
    }

    /// Idempotent methods (RFC 9110 9.2.2) may be retried automatically.
    pub const fn is_idempotent(self) -> bool {
        matches!(
            self,
            Self::Get | Self::Head | Self::Put | Self::Delete | Self::Options | Self::Trace
        )
    }
}

/// What the `Transfer-Encoding` fields of a message say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TransferEncoding {
    /// No `Transfer-Encoding` field.
    #[default]
    Absent,
    /// `chunked` is the final coding (and appears once).
    Chunked,
    /// Codings are listed, but `chunked` is not the final one.
    NotChunked,
}

/// How the body of a message is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum BodyKind {
    /// No body at all (HEAD response, 1xx, 204, 304, request without framing).
    None,
    /// Exactly this many bytes.
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
    /// Everything until the peer closes the connection (responses only).
    UntilClose,
    /// The connection stops carrying HTTP after the head (101, 2xx to CONNECT).
    Tunnel,
}

/// Accumulates `Content-Length` values across fields and list elements.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ContentLengthReader {
    pub(crate) value: Option<u64>,
}

impl ContentLengthReader {
    /// Adds one field value. Offsets in errors are relative to `value`.
    pub(crate) fn add_value(&mut self, value: &[u8]) -> Result<(), ProtocolError> {
        // The common case: one plain number, without splitting a list
        // (built for size, the list reader alone: the same result).
        if !crate::small()
            && let Some(n) = parse_u64(value)
        {
            return match self.value {
                Some(old) if old != n => {
                    Err(ProtocolError::new(ErrorKind::ConflictingContentLength, 0))
                }
                _ => {
                    self.value = Some(n);
                    Ok(())
                }
            };
        }
        self.add_list(value)
    }

    /// A value that is not one plain number: the list reader, kept out of
    /// the field walk in the fast build (rare, and the walk stays small).
    #[cfg_attr(not(h1conn_small), cold, inline(never))]
    fn add_list(&mut self, value: &[u8]) -> Result<(), ProtocolError> {
        let mut elements = 0;
        for (offset, element) in list_elements(value) {
            elements += 1;
            let n = parse_u64(element)
                .ok_or(ProtocolError::new(ErrorKind::InvalidContentLength, offset))?;
            match self.value {
                Some(old) if old != n => {
                    return Err(ProtocolError::new(
                        ErrorKind::ConflictingContentLength,
                        offset,
                    ));
                }
                _ => self.value = Some(n),
            }
        }
        if elements == 0 {
            return Err(ProtocolError::new(ErrorKind::InvalidContentLength, 0));
        }
        Ok(())
    }
}

/// Accumulates `Transfer-Encoding` codings across fields.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TransferEncodingReader {
    pub(crate) state: TransferEncoding,
    pub(crate) chunked_seen: bool,
    /// A coding other than `chunked` was listed.
    pub(crate) other_codings: bool,
}

impl TransferEncodingReader {
    /// Adds one field value. Offsets in errors are relative to `value`.
    pub(crate) fn add_value(&mut self, value: &[u8]) -> Result<(), ProtocolError> {
        // The common case: `chunked` alone, without splitting a list
        // (built for size, the list reader alone: the same result).
        if !crate::small() && eq_lower(value, b"chunked") {
            if self.chunked_seen {
                return Err(ProtocolError::new(ErrorKind::InvalidTransferEncoding, 0));
            }
            self.chunked_seen = true;
            self.state = TransferEncoding::Chunked;
            return Ok(());
        }
        self.add_list(value)
    }

    /// A value that is not `chunked` alone: the list reader, kept out of
    /// the field walk in the fast build (rare, and the walk stays small).
    #[cfg_attr(not(h1conn_small), cold, inline(never))]
    fn add_list(&mut self, value: &[u8]) -> Result<(), ProtocolError> {
        let mut elements = 0;
        for (offset, element) in list_elements(value) {
            elements += 1;
            // transfer-coding = token *( OWS ";" OWS transfer-parameter )
            let name_len = element
                .iter()
                .position(|&b| b == b';')
                .unwrap_or(element.len());
            let name = super::chars::trim_ows(element.get(..name_len).unwrap_or_default());
            if !is_token(name) {
                return Err(ProtocolError::new(
                    ErrorKind::InvalidTransferEncoding,
                    offset,
                ));
            }
            if eq_lower(name, b"chunked") {
                // RFC 9112 7.1: `chunked` takes no parameters.
                if self.chunked_seen || name_len < element.len() {
                    return Err(ProtocolError::new(
                        ErrorKind::InvalidTransferEncoding,
                        offset,
                    ));
                }
                self.chunked_seen = true;
                self.state = TransferEncoding::Chunked;
            } else {
                self.state = TransferEncoding::NotChunked;
                self.other_codings = true;
            }
        }
        if elements == 0 {
            return Err(ProtocolError::new(ErrorKind::InvalidTransferEncoding, 0));
        }
        Ok(())
    }
}

/// `1*DIGIT` as a `u64`: no sign, no spaces, no hex, no overflow.
pub(crate) fn parse_u64(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    // Nineteen digits cannot overflow: no checks per digit (built for size,
    // the checked loop alone: the same result).
    if digits.len() <= 19 && !crate::small() {
        return digits.iter().try_fold(0u64, |n, &d| {
            let digit = d.wrapping_sub(b'0');
            (digit <= 9).then(|| n * 10 + u64::from(digit))
        });
    }
    if crate::small() {
        // One compare against the largest number that can take another
        // digit, instead of a checked 64-bit multiply: the same result.
        const MAX_TENTH: u64 = u64::MAX / 10;
        return digits.iter().try_fold(0u64, |n, &d| {
            let digit = d.checked_sub(b'0').filter(|&d| d <= 9)?;
            (n <= MAX_TENTH)
                .then(|| n * 10)?
                .checked_add(u64::from(digit))
        });
    }
    digits.iter().try_fold(0u64, |n, &d| {
        let digit = d.checked_sub(b'0').filter(|&d| d <= 9)?;
        n.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// Body of a request (RFC 9112 6.3, rules 4-7), once the head is valid.
///
/// A request whose `Transfer-Encoding` does not end in `chunked` is rejected
/// while parsing, so here it cannot occur; it is read as `None` to stay total.
#[cfg_attr(not(h1conn_small), inline)]
pub const fn request_body_kind(
    content_length: Option<u64>,
    transfer_encoding: TransferEncoding,
) -> BodyKind {
    match (transfer_encoding, content_length) {
        (TransferEncoding::Chunked, _) => BodyKind::Chunked,
        (TransferEncoding::NotChunked, _) => BodyKind::None,
        (TransferEncoding::Absent, Some(n)) => BodyKind::Length(n),
        (TransferEncoding::Absent, None) => BodyKind::None,
    }
}

/// Body of a response to a request with `method` (RFC 9112 6.3, rules 1-3, 5-8).
#[cfg_attr(not(h1conn_small), inline)]
pub const fn response_body_kind(
    method: Method,
    status: u16,
    content_length: Option<u64>,
    transfer_encoding: TransferEncoding,
) -> BodyKind {
    match (method, status) {
        (_, 101) => BodyKind::Tunnel,
        (Method::Connect, 200..=299) => BodyKind::Tunnel,
        (Method::Head, _) | (_, 100..=199 | 204 | 304) => BodyKind::None,
        _ => match (transfer_encoding, content_length) {
            (TransferEncoding::Chunked, _) => BodyKind::Chunked,
            (TransferEncoding::NotChunked, _) => BodyKind::UntilClose,
            (TransferEncoding::Absent, Some(n)) => BodyKind::Length(n),
            (TransferEncoding::Absent, None) => BodyKind::UntilClose,
        },
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::format;
    use std::string::{String, ToString};

    use super::*;

    fn content_length(values: &[&[u8]]) -> Result<Option<u64>, ProtocolError> {
        let mut reader = ContentLengthReader::default();
        for v in values {
            reader.add_value(v)?;
        }
        Ok(reader.value)
    }

    fn transfer_encoding(values: &[&[u8]]) -> Result<TransferEncoding, ProtocolError> {
        let mut reader = TransferEncodingReader::default();
        for v in values {
            reader.add_value(v)?;
        }
        Ok(reader.state)
    }

    #[test]
    fn content_length_values() {
        let ok: &[(&[&[u8]], u64)] = &[
            (&[b"0"], 0),
            (&[b"42"], 42),
            (&[b"007"], 7),
            (&[b"5, 5"], 5),
            (&[b"5", b"5"], 5),
            (&[b"18446744073709551615"], u64::MAX),
        ];
        for &(values, n) in ok {
            assert_eq!(content_length(values), Ok(Some(n)));
        }
        let bad: &[(&[&[u8]], ErrorKind, usize)] = &[
            (&[b"+5"], ErrorKind::InvalidContentLength, 0),
            (&[b"-5"], ErrorKind::InvalidContentLength, 0),
            (&[b"0x10"], ErrorKind::InvalidContentLength, 0),
            (&[b"1 0"], ErrorKind::InvalidContentLength, 0),
            (&[b""], ErrorKind::InvalidContentLength, 0),
            (
                &[b"18446744073709551616"],
                ErrorKind::InvalidContentLength,
                0,
            ),
            (&[b"5, 6"], ErrorKind::ConflictingContentLength, 3),
            (&[b"5", b"6"], ErrorKind::ConflictingContentLength, 0),
        ];
        for &(values, kind, offset) in bad {
            assert_eq!(
                content_length(values),
                Err(ProtocolError::new(kind, offset))
            );
        }
    }

    #[test]
    fn transfer_encoding_lists() {
        let ok: &[(&[&[u8]], TransferEncoding)] = &[
            (&[b"chunked"], TransferEncoding::Chunked),
            (&[b"CHUNKED"], TransferEncoding::Chunked),
            (&[b"gzip, chunked"], TransferEncoding::Chunked),
            (&[b"gzip", b"chunked"], TransferEncoding::Chunked),
            (&[b"chunked, identity"], TransferEncoding::NotChunked),
            (&[b"identity, chunked"], TransferEncoding::Chunked),
            (&[b"xchunked"], TransferEncoding::NotChunked),
            (&[b"gzip"], TransferEncoding::NotChunked),
            (&[b"gzip;q=1, chunked"], TransferEncoding::Chunked),
        ];
        for &(values, state) in ok {
            assert_eq!(transfer_encoding(values), Ok(state));
        }
        let bad: &[(&[&[u8]], usize)] = &[
            (&[b"chunked, chunked"], 9),
            (&[b"chunked", b"chunked"], 0),
            (&[b"\"chunked\""], 0),
            (&[b"chunked;x=1"], 0),
            (&[b"gzip, chunked ; x=1"], 6),
            (&[b""], 0),
        ];
        for &(values, offset) in bad {
            assert_eq!(
                transfer_encoding(values),
                Err(ProtocolError::new(
                    ErrorKind::InvalidTransferEncoding,
                    offset
                ))
            );
        }
    }

    /// The compact reader of `Connection`, `Content-Length`,
    /// `Transfer-Encoding` and `Expect` (built for size: one loop, one
    /// name table) gives the readers' results, error offsets and facts,
    /// value after value: every short value over an alphabet that reaches
    /// each branch, and longer ones built from the grammar's pieces.
    #[test]
    fn compact_field_reader_agrees_with_the_readers() {
        use super::super::fields::{FieldLine, Header};
        use super::super::head::FactsReader;
        use crate::testing::with_small;

        fn read(name: &[u8], values: &[&[u8]]) -> ([Result<(), ProtocolError>; 2], String) {
            let mut reader = FactsReader::new();
            let mut results = [Ok(()); 2];
            for (result, &value) in results.iter_mut().zip(values) {
                let header = Header { name, value };
                // Away from the buffer's start, so that every error
                // offset is moved as far in both readers.
                let line = FieldLine {
                    header,
                    name_offset: 3,
                    value_offset: 7,
                };
                *result = reader.line(line, 5, true);
            }
            reader.finish();
            (results, format!("{:?}", reader.facts))
        }
        fn check(value: &[u8]) {
            let names: [&[u8]; 4] = [
                b"Connection",
                b"content-length",
                b"Transfer-Encoding",
                b"expect",
            ];
            for name in names {
                for values in [[value, value], [value, b"chunked"], [b"5", value]] {
                    let fast = read(name, &values);
                    let small = with_small(|| read(name, &values));
                    assert_eq!(
                        fast,
                        small,
                        "{name:?} {:?}",
                        values.map(|v| v.escape_ascii().to_string())
                    );
                }
            }
        }
        crate::testing::every_string(b"c,; \"5a\t=", 5, &mut check);
        const PIECES: &[&[u8]] = &[
            b"chunked",
            b"Chunked",
            b"close",
            b"keep-alive",
            b"Upgrade",
            b"gzip",
            b"100-continue",
            b",",
            b", ",
            b";",
            b" ; ",
            b"x=1",
            b" ",
            b"\t",
            b"\r\n ",
            b"5",
            b"6",
            b"18446744073709551615",
            b"18446744073709551616",
            b"host",
            b"(",
        ];
        crate::testing::joined_pieces(PIECES, 0x2545_f491_4f6c_dd1d_u64, 6, 5, 13, check);
    }

    #[test]
    fn decimal_numbers_agree_in_both_builds() {
        // The compact build bounds the value before each digit instead of a
        // checked multiply: the same results at every edge of `u64`.
        let cases: &[(&[u8], Option<u64>)] = &[
            (b"", None),
            (b"0", Some(0)),
            (b"007", Some(7)),
            (b"1844674407370955161", Some(1_844_674_407_370_955_161)),
            (b"18446744073709551609", Some(u64::MAX - 6)),
            (b"18446744073709551615", Some(u64::MAX)),
            (b"18446744073709551616", None),
            (b"18446744073709551620", None),
            (b"184467440737095516150", None),
            (b"00000000000000000000018446744073709551615", Some(u64::MAX)),
            (b"99999999999999999999", None),
            (b"1a", None),
            (b"+1", None),
            (b"/", None),
            (b":", None),
        ];
        for &(digits, expected) in cases {
            assert_eq!(parse_u64(digits), expected, "{digits:?}");
            let small = crate::testing::with_small(|| parse_u64(digits));
            assert_eq!(small, expected, "small {digits:?}");
        }
    }

    #[test]
    fn response_body_rules() {
        use BodyKind as B;
        use TransferEncoding as T;
        let cases: &[(Method, u16, Option<u64>, T, B)] = &[
            (Method::Head, 200, Some(10), T::Absent, B::None),
            (Method::Get, 100, None, T::Absent, B::None),
            (Method::Get, 204, Some(5), T::Absent, B::None),
            (Method::Get, 304, Some(5), T::Chunked, B::None),
            (Method::Get, 101, None, T::Absent, B::Tunnel),
            (Method::Connect, 200, None, T::Absent, B::Tunnel),
            (Method::Connect, 407, Some(3), T::Absent, B::Length(3)),
            (Method::Get, 200, None, T::Chunked, B::Chunked),
            (Method::Get, 200, None, T::NotChunked, B::UntilClose),
            (Method::Get, 200, Some(7), T::Absent, B::Length(7)),
            (Method::Get, 200, None, T::Absent, B::UntilClose),
        ];
        for &(method, status, cl, te, expected) in cases {
            assert_eq!(
                response_body_kind(method, status, cl, te),
                expected,
                "{method:?} {status}"
            );
        }
        assert_eq!(request_body_kind(None, T::Absent), B::None);
        assert_eq!(request_body_kind(Some(3), T::Absent), B::Length(3));
        assert_eq!(request_body_kind(None, T::Chunked), B::Chunked);
    }
}
