//! Head serialization into a caller buffer (used by the `Connection`,
//! which writes every head itself), and chunk framing for the caller.
//!
//! Writers never fail half-way silently: if the buffer is too small they
//! keep counting and report the size the head needs.

use crate::error::ErrorKind;
use crate::policy::PersistenceFields;
use crate::wire::{Header, KeepAlive, Method, Version, is_field_value, is_token_bytes};

/// Why a head could not be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum WriteError {
    /// The buffer holds fewer bytes than the head needs.
    BufferTooSmall {
        /// Bytes the head needs.
        needed: usize,
    },
    /// A part given by the caller is not valid on the wire (e.g. a CR or LF
    /// in a value, a space in a name).
    InvalidPart(ErrorKind),
}

impl core::fmt::Display for WriteError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::BufferTooSmall { needed } => {
                write!(f, "buffer too small: head needs {needed} bytes")
            }
            Self::InvalidPart(kind) => write!(f, "invalid head part: {kind}"),
        }
    }
}

impl core::error::Error for WriteError {}

/// `n` in decimal ASCII, written at the end of `digits`.
pub(crate) fn decimal(mut n: u64, digits: &mut [u8; 20]) -> &[u8] {
    let mut start = digits.len();
    loop {
        start -= 1;
        if let Some(d) = digits.get_mut(start) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || start == 0 {
            break;
        }
    }
    digits.get(start..).unwrap_or_default()
}

/// Appends to a byte buffer, counting what does not fit.
struct Cursor<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl Cursor<'_> {
    fn put(&mut self, bytes: &[u8]) {
        let end = self.len.saturating_add(bytes.len());
        if let Some(dst) = self.buf.get_mut(self.len..end) {
            // Built for size, a byte loop: a copy of any length that
            // does not link `memcpy` (the same bytes, tested both ways).
            if crate::small() {
                for (to, &from) in dst.iter_mut().zip(bytes) {
                    *to = from;
                }
            } else {
                dst.copy_from_slice(bytes);
            }
        }
        self.len = end;
    }

    fn put_decimal(&mut self, n: u64) {
        self.put(decimal(n, &mut [0; 20]));
    }

    // Inlined in a size build too: its four writes are cheaper in place
    // than the call (client image: 64 B less).
    #[cfg_attr(h1conn_small, inline(always))]
    fn field(&mut self, name: &[u8], value: &[u8]) {
        self.put(name);
        self.put(b": ");
        self.put(value);
        self.put(b"\r\n");
    }

    fn finish(self) -> Result<usize, WriteError> {
        if self.len <= self.buf.len() {
            Ok(self.len)
        } else {
            Err(WriteError::BufferTooSmall { needed: self.len })
        }
    }
}

fn check_headers(headers: &[Header<'_>]) -> Result<(), WriteError> {
    for header in headers {
        if !is_token_bytes(header.name) {
            return Err(WriteError::InvalidPart(ErrorKind::InvalidHeaderName));
        }
        if !is_field_value(header.value) {
            return Err(WriteError::InvalidPart(ErrorKind::InvalidHeaderValue));
        }
    }
    Ok(())
}

/// Writes the caller's fields, then the persistence fields the caller did
/// not set itself, then the empty line.
fn fields(out: &mut Cursor<'_>, headers: &[Header<'_>], persistence: PersistenceFields) {
    let caller_sets = |name: &[u8]| headers.iter().any(|h| h.name.eq_ignore_ascii_case(name));
    for header in headers {
        out.field(header.name, header.value);
    }
    if let Some(connection) = persistence
        .connection
        .filter(|_| !caller_sets(b"connection"))
    {
        out.field(b"Connection", connection.as_str().as_bytes());
    }
    if let Some(params) = persistence
        .keep_alive
        .filter(|_| !caller_sets(b"keep-alive"))
    {
        keep_alive_field(out, params);
    }
    out.put(b"\r\n");
}

fn keep_alive_field(out: &mut Cursor<'_>, params: KeepAlive) {
    out.put(b"Keep-Alive: ");
    let mut first = true;
    for (name, value) in [
        (&b"timeout="[..], params.timeout),
        (&b"max="[..], params.max),
    ] {
        if let Some(value) = value {
            if !first {
                out.put(b", ");
            }
            first = false;
            out.put(name);
            out.put_decimal(u64::from(value));
        }
    }
    out.put(b"\r\n");
}

/// Writes a request head: `method SP target SP version CRLF`, the caller's
/// fields, the persistence fields the caller did not set, and the empty
/// line. Returns the head's length.
pub(crate) fn write_request_head(
    buf: &mut [u8],
    method: &[u8],
    target: &[u8],
    version: Version,
    headers: &[Header<'_>],
    persistence: PersistenceFields,
) -> Result<usize, WriteError> {
    // Built for size, a method the engine knows is a token already (and
    // a literal `GET` is known at compile time).
    let known = crate::small() && Method::from_bytes(method) != Method::Other;
    if !known && !is_token_bytes(method) {
        return Err(WriteError::InvalidPart(ErrorKind::InvalidMethod));
    }
    if target.is_empty() || !target.iter().all(|b| (0x21..=0x7e).contains(b)) {
        return Err(WriteError::InvalidPart(ErrorKind::InvalidTarget));
    }
    check_headers(headers)?;
    let mut out = Cursor { buf, len: 0 };
    out.put(method);
    out.put(b" ");
    out.put(target);
    // The version with the bytes around it: one copy, not three.
    out.put(match version {
        Version::Http10 => b" HTTP/1.0\r\n",
        Version::Http11 => b" HTTP/1.1\r\n",
    });
    fields(&mut out, headers, persistence);
    out.finish()
}

/// Writes a response head: `version SP status SP reason CRLF`, the caller's
/// fields, the persistence fields the caller did not set, and the empty line.
pub(crate) fn write_response_head(
    buf: &mut [u8],
    version: Version,
    status: u16,
    reason: &[u8],
    headers: &[Header<'_>],
    persistence: PersistenceFields,
) -> Result<usize, WriteError> {
    if !(100..=999).contains(&status) {
        return Err(WriteError::InvalidPart(ErrorKind::InvalidStatusCode));
    }
    if !is_field_value(reason) {
        return Err(WriteError::InvalidPart(ErrorKind::InvalidReasonPhrase));
    }
    check_headers(headers)?;
    let mut out = Cursor { buf, len: 0 };
    out.put(version.as_str().as_bytes());
    out.put(b" ");
    out.put_decimal(u64::from(status));
    out.put(b" ");
    out.put(reason);
    out.put(b"\r\n");
    fields(&mut out, headers, persistence);
    out.finish()
}

/// Writes the size line of a chunk of `len` bytes (`len` in hex, CRLF).
/// The chunk data and its CRLF follow; a zero-length chunk ends the body
/// (use [`write_last_chunk`]).
pub fn write_chunk_header(buf: &mut [u8], len: usize) -> Result<usize, WriteError> {
    let mut digits = [0u8; 16];
    let mut start = digits.len();
    let mut n = len;
    loop {
        start -= 1;
        if let Some(d) = digits.get_mut(start) {
            *d = b"0123456789abcdef".get(n % 16).copied().unwrap_or(b'0');
        }
        n /= 16;
        if n == 0 || start == 0 {
            break;
        }
    }
    let mut out = Cursor { buf, len: 0 };
    out.put(digits.get(start..).unwrap_or_default());
    out.put(b"\r\n");
    out.finish()
}

/// Writes the last chunk and an empty trailer section: `0 CRLF CRLF`.
pub fn write_last_chunk(buf: &mut [u8]) -> Result<usize, WriteError> {
    let mut out = Cursor { buf, len: 0 };
    out.put(b"0\r\n\r\n");
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::decimal;

    #[test]
    fn decimal_digits() {
        let mut buf = [0; 20];
        assert_eq!(decimal(0, &mut buf), b"0");
        assert_eq!(decimal(1234, &mut buf), b"1234");
        assert_eq!(decimal(u64::MAX, &mut buf), b"18446744073709551615");
    }

    use super::*;
    use crate::policy::{ConnectionValue, request_fields, response_fields};

    fn h<'a>(name: &'a str, value: &'a str) -> Header<'a> {
        Header {
            name: name.as_bytes(),
            value: value.as_bytes(),
        }
    }

    #[test]
    fn request_heads_get_the_fields_the_rules_need() {
        let mut buf = [0u8; 128];
        let n = write_request_head(
            &mut buf,
            b"GET",
            b"/a",
            Version::Http10,
            &[h("Host", "x")],
            request_fields(Version::Http10, true),
        )
        .unwrap();
        assert_eq!(
            &buf[..n],
            b"GET /a HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"
        );
    }

    #[test]
    fn caller_fields_win() {
        let mut buf = [0u8; 128];
        let n = write_request_head(
            &mut buf,
            b"GET",
            b"/",
            Version::Http11,
            &[h("Host", "x"), h("connection", "close")],
            PersistenceFields {
                connection: Some(ConnectionValue::KeepAlive),
                keep_alive: None,
            },
        )
        .unwrap();
        assert_eq!(
            &buf[..n],
            b"GET / HTTP/1.1\r\nHost: x\r\nconnection: close\r\n\r\n"
        );
    }

    #[test]
    fn response_heads_announce_keep_alive() {
        let mut buf = [0u8; 128];
        let announce = KeepAlive {
            timeout: Some(5),
            max: Some(99),
        };
        let n = write_response_head(
            &mut buf,
            Version::Http11,
            200,
            b"OK",
            &[h("Content-Length", "0")],
            response_fields(Version::Http10, true, Some(announce)),
        )
        .unwrap();
        assert_eq!(
            &buf[..n],
            &b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5, max=99\r\n\r\n"[..]
        );
    }

    #[test]
    fn too_small_buffers_say_what_they_need() {
        let mut buf = [0u8; 10];
        let err = write_response_head(
            &mut buf,
            Version::Http11,
            204,
            b"No Content",
            &[],
            PersistenceFields::default(),
        );
        assert_eq!(err, Err(WriteError::BufferTooSmall { needed: 27 }));
    }

    #[test]
    fn header_injection_is_refused() {
        let mut buf = [0u8; 128];
        let bad = write_request_head(
            &mut buf,
            b"GET",
            b"/",
            Version::Http11,
            &[h("X", "a\r\nEvil: 1")],
            PersistenceFields::default(),
        );
        assert_eq!(
            bad,
            Err(WriteError::InvalidPart(ErrorKind::InvalidHeaderValue))
        );
        let bad = write_request_head(
            &mut buf,
            b"GET",
            b"/ x",
            Version::Http11,
            &[],
            PersistenceFields::default(),
        );
        assert_eq!(bad, Err(WriteError::InvalidPart(ErrorKind::InvalidTarget)));
    }

    #[test]
    fn methods_are_checked_in_both_builds() {
        // Built for size, a method the engine knows skips the token check:
        // the same results either way, known or not, valid or not.
        for method in [
            &b"GET"[..],
            b"CONNECT",
            b"PATCH",
            b"Get",
            b"BREW",
            b"",
            b"G T",
            b"GET\r\n",
            b"GET ",
            b"\xff",
        ] {
            let write = || {
                let mut buf = [0u8; 64];
                let result = write_request_head(
                    &mut buf,
                    method,
                    b"/",
                    Version::Http11,
                    &[h("Host", "x")],
                    PersistenceFields::default(),
                );
                (result, buf)
            };
            let fast = write();
            assert_eq!(crate::testing::with_small(write), fast, "{method:?}");
            let valid = !method.is_empty() && method.iter().all(|&b| crate::wire::is_tchar(b));
            assert_eq!(fast.0.is_ok(), valid, "{method:?}");
        }
    }

    #[test]
    fn field_values_refuse_control_bytes_but_htab() {
        for b in 0..=255u8 {
            let control = b < 0x20 || b == 0x7f;
            assert_eq!(is_field_value(&[b]), b == b'\t' || !control, "{b:#x}");
            let small = crate::testing::with_small(|| is_field_value(&[b]));
            assert_eq!(small, b == b'\t' || !control, "small {b:#x}");
        }
    }

    #[test]
    fn chunk_lines() {
        let mut buf = [0u8; 32];
        let n = write_chunk_header(&mut buf, 0x1a2b).unwrap();
        assert_eq!(&buf[..n], b"1a2b\r\n");
        let n = write_chunk_header(&mut buf, usize::MAX).unwrap();
        assert_eq!(n, usize::BITS as usize / 4 + 2);
        let n = write_last_chunk(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"0\r\n\r\n");
    }

    /// The compact byte copy writes what `copy_from_slice` writes, at every
    /// offset and length, into buffers too small as well as large enough.
    #[test]
    fn compact_copy_agrees() {
        let parts: [&[u8]; 4] = [b"", b"x", b"GET /index.html HTTP/1.1", &[0xff; 40]];
        for size in [0, 1, 5, 24, 64, 100] {
            for first in parts {
                for second in parts {
                    let run = |small: bool| {
                        let mut buf = [0u8; 100];
                        let mut out = Cursor {
                            buf: &mut buf[..size],
                            len: 0,
                        };
                        let write = |out: &mut Cursor<'_>| {
                            out.put(first);
                            out.put(second);
                        };
                        if small {
                            crate::testing::with_small(|| write(&mut out));
                        } else {
                            write(&mut out);
                        }
                        let result = out.finish();
                        (result, buf)
                    };
                    assert_eq!(run(false), run(true), "{size} {first:?} {second:?}");
                }
            }
        }
    }
}
