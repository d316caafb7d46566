//! Body decoders: by length, chunked (with extensions and trailers), and
//! until the peer closes. Each call says how many bytes it consumed and
//! hands body data back as a slice of the caller's buffer.

use crate::error::{ErrorKind, ProtocolError};
use crate::wire::{BodyKind, Headers};

/// What a decoder found in the input it was given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BodyEvent<'a> {
    /// Body data: a slice of the input.
    Data(&'a [u8]),
    /// The trailer section of a chunked body (validated field lines).
    Trailers(Headers<'a>),
    /// The body is complete.
    End,
    /// Everything given was consumed; more input is needed.
    NeedData,
}

/// Where a chunked decoder is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
enum Chunk {
    /// In the hex digits of a chunk size (`digits` read so far).
    Size { digits: u8 },
    /// Whitespace after the size (`BWS`): only `;` or CR may follow, so
    /// `5 5` is not read as a chunk of 5 with an extension `5`.
    SizeSpace,
    /// After `;`: skipping a chunk extension up to CR.
    Extension,
    /// After the CR of a size line.
    SizeLf,
    /// In chunk data.
    Data,
    /// After chunk data: CR expected.
    DataCr,
    /// After chunk data and CR: LF expected.
    DataLf,
    /// After the last chunk: the trailer section.
    Trailers,
    /// Trailers delivered; the end follows.
    TrailersDone,
}

/// Decodes one message body incrementally.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BodyDecoder {
    framing: Framing,
    /// Bytes left in the body (length) or in the current chunk (chunked).
    remaining: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
enum Framing {
    Length,
    Chunked(Chunk),
    UntilClose,
    Finished,
}

impl BodyDecoder {
    /// A decoder for a body of `kind`. `None` and `Tunnel` bodies are empty.
    pub const fn new(kind: BodyKind) -> Self {
        let (framing, remaining) = match kind {
            BodyKind::Length(0) | BodyKind::None | BodyKind::Tunnel => (Framing::Finished, 0),
            BodyKind::Length(n) => (Framing::Length, n),
            BodyKind::Chunked => (Framing::Chunked(Chunk::Size { digits: 0 }), 0),
            BodyKind::UntilClose => (Framing::UntilClose, 0),
        };
        Self { framing, remaining }
    }

    /// Whether the body is complete.
    pub const fn is_finished(&self) -> bool {
        matches!(self.framing, Framing::Finished)
    }

    /// Whether only the peer closing the connection can end this body.
    pub const fn is_until_close(&self) -> bool {
        matches!(self.framing, Framing::UntilClose)
    }

    /// Decodes from `input`: returns how many bytes were consumed and what
    /// was found. Error offsets are relative to `input`. The trailer
    /// section must fit in `max_trailer_len` bytes.
    pub fn decode<'a>(
        &mut self,
        input: &'a [u8],
        max_trailer_len: usize,
    ) -> Result<(usize, BodyEvent<'a>), ProtocolError> {
        match self.framing {
            Framing::Finished => Ok((0, BodyEvent::End)),
            Framing::UntilClose if input.is_empty() => Ok((0, BodyEvent::NeedData)),
            Framing::UntilClose => Ok((input.len(), BodyEvent::Data(input))),
            Framing::Length => Ok(self.take_data(input, 0, Framing::Finished)),
            Framing::Chunked(state) => self.decode_chunked(state, input, max_trailer_len),
        }
    }

    /// Hands out up to `remaining` bytes of `input` after `at`; when the
    /// count reaches zero, moves to `then`.
    fn take_data<'a>(
        &mut self,
        input: &'a [u8],
        at: usize,
        then: Framing,
    ) -> (usize, BodyEvent<'a>) {
        if self.remaining == 0 {
            self.framing = then;
            return (at, BodyEvent::End);
        }
        let available = input.get(at..).unwrap_or_default();
        if available.is_empty() {
            return (at, BodyEvent::NeedData);
        }
        let n = usize::try_from(self.remaining)
            .unwrap_or(usize::MAX)
            .min(available.len());
        self.remaining -= n as u64;
        if self.remaining == 0 {
            self.framing = then;
        }
        (
            at + n,
            BodyEvent::Data(available.get(..n).unwrap_or_default()),
        )
    }

    fn decode_chunked<'a>(
        &mut self,
        mut state: Chunk,
        input: &'a [u8],
        max_trailer_len: usize,
    ) -> Result<(usize, BodyEvent<'a>), ProtocolError> {
        let mut at = 0;
        let error = |kind, at| Err(ProtocolError::new(kind, at));
        loop {
            self.framing = Framing::Chunked(state);
            match state {
                Chunk::Data => {
                    let (end, event) = self.take_data(input, at, Framing::Chunked(Chunk::DataCr));
                    if let BodyEvent::End = event {
                        state = Chunk::DataCr;
                        continue;
                    }
                    return Ok((end, event));
                }
                Chunk::Trailers => return self.trailers(input, at, max_trailer_len),
                Chunk::TrailersDone => {
                    self.framing = Framing::Finished;
                    return Ok((at, BodyEvent::End));
                }
                _ => {}
            }
            let Some(&byte) = input.get(at) else {
                return Ok((at, BodyEvent::NeedData));
            };
            state = match (state, byte) {
                (Chunk::Size { digits }, b) if b.is_ascii_hexdigit() => {
                    let digit = u64::from(hex_value(b));
                    // `checked_mul` fails exactly when the top hex digit is in use.
                    self.remaining = match self.remaining.checked_mul(16) {
                        Some(n) => n | digit,
                        None => return error(ErrorKind::InvalidChunkSize, at),
                    };
                    Chunk::Size {
                        digits: digits.saturating_add(1),
                    }
                }
                // chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )
                (Chunk::Size { digits: 1.. } | Chunk::SizeSpace, b';') => Chunk::Extension,
                (Chunk::Size { digits: 1.. } | Chunk::SizeSpace, b' ' | b'\t') => Chunk::SizeSpace,
                (Chunk::Size { digits: 1.. } | Chunk::SizeSpace, b'\r') => Chunk::SizeLf,
                (Chunk::Size { .. } | Chunk::SizeSpace, b'\n') => {
                    return error(ErrorKind::BareLf, at);
                }
                (Chunk::Size { .. } | Chunk::SizeSpace, _) => {
                    return error(ErrorKind::InvalidChunkSize, at);
                }
                (Chunk::Extension, b'\r') => Chunk::SizeLf,
                (Chunk::Extension, b'\n') => return error(ErrorKind::BareLf, at),
                (Chunk::Extension, b) if b != b'\t' && (b < 0x20 || b == 0x7f) => {
                    return error(ErrorKind::InvalidChunkSize, at);
                }
                (Chunk::Extension, _) => Chunk::Extension,
                (Chunk::SizeLf, b'\n') if self.remaining == 0 => Chunk::Trailers,
                (Chunk::SizeLf, b'\n') => Chunk::Data,
                (Chunk::SizeLf, _) => return error(ErrorKind::BareCr, at),
                (Chunk::DataCr, b'\r') => Chunk::DataLf,
                (Chunk::DataLf, b'\n') => Chunk::Size { digits: 0 },
                (Chunk::DataCr | Chunk::DataLf, _) => {
                    return error(ErrorKind::MissingChunkCrlf, at);
                }
                (Chunk::Data | Chunk::Trailers | Chunk::TrailersDone, _) => state,
            };
            at += 1;
        }
    }

    /// The trailer section: either an empty line, or field lines and an
    /// empty line, complete in `input` from `at`.
    fn trailers<'a>(
        &mut self,
        input: &'a [u8],
        at: usize,
        max_trailer_len: usize,
    ) -> Result<(usize, BodyEvent<'a>), ProtocolError> {
        let rest = input.get(at..).unwrap_or_default();
        match rest {
            [b'\r', b'\n', ..] => {
                self.framing = Framing::Finished;
                return Ok((at + 2, BodyEvent::End));
            }
            [] | [b'\r'] => return Ok((at, BodyEvent::NeedData)),
            [b'\n', ..] => return Err(ProtocolError::new(ErrorKind::BareLf, at)),
            _ => {}
        }
        let window = rest
            .get(..max_trailer_len.min(rest.len()))
            .unwrap_or_default();
        // Trailers are rare and short: a plain search keeps memchr's
        // substring searcher (about 2 KiB of flash) out of firmware.
        let Some(end) = window
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|p| p + 4)
        else {
            if rest.len() >= max_trailer_len {
                return Err(ProtocolError::new(
                    ErrorKind::HeadTooLarge,
                    at + max_trailer_len,
                ));
            }
            return Ok((at, BodyEvent::NeedData));
        };
        let block = window.get(..end).unwrap_or_default();
        crate::wire::validate_fields(block).map_err(|e| {
            let kind = if e.kind == ErrorKind::BareLf || e.kind == ErrorKind::BareCr {
                e.kind
            } else {
                ErrorKind::InvalidTrailer
            };
            ProtocolError::new(kind, e.offset + at)
        })?;
        self.framing = Framing::Chunked(Chunk::TrailersDone);
        Ok((at + end, BodyEvent::Trailers(Headers::new(block, false))))
    }
}

/// The value of an ASCII hex digit (callers check it is one).
const fn hex_value(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec::Vec;

    use super::*;

    /// Decodes `input` fed in pieces of `step` bytes; returns the body, the
    /// trailer count, and whether the end was seen.
    fn decode_all(
        kind: BodyKind,
        input: &[u8],
        step: usize,
    ) -> Result<(Vec<u8>, usize, bool), ProtocolError> {
        let mut decoder = BodyDecoder::new(kind);
        let (mut body, mut trailers) = (Vec::new(), 0);
        let mut buf: Vec<u8> = Vec::new();
        let mut fed = 0;
        let mut base = 0;
        loop {
            let (n, event) = decoder
                .decode(&buf, 1024)
                .map_err(|e| ProtocolError::new(e.kind, e.offset + base))?;
            match event {
                BodyEvent::Data(d) => body.extend_from_slice(d),
                BodyEvent::Trailers(h) => trailers += h.count(),
                BodyEvent::End => return Ok((body, trailers, true)),
                BodyEvent::NeedData => {
                    if fed >= input.len() {
                        return Ok((body, trailers, false));
                    }
                    let next = (fed + step).min(input.len());
                    buf.extend_from_slice(&input[fed..next]);
                    fed = next;
                }
            }
            buf.drain(..n);
            base += n;
        }
    }

    #[test]
    fn chunked_with_extensions_and_trailers_in_any_split() {
        let input =
            b"5;name=val\r\nhello\r\n6\r\n world\r\n0\r\nExpires: never\r\nX-Sum: 1\r\n\r\n";
        for step in 1..input.len() {
            let (body, trailers, end) = decode_all(BodyKind::Chunked, input, step).unwrap();
            assert_eq!(
                (body.as_slice(), trailers, end),
                (&b"hello world"[..], 2, true),
                "step {step}"
            );
        }
    }

    #[test]
    fn whitespace_before_an_extension_or_the_line_end() {
        for input in [
            &b"5 ;a=b\r\nhello\r\n0\r\n\r\n"[..],
            b"5\t \r\nhello\r\n0\r\n\r\n",
        ] {
            let (body, _, end) = decode_all(BodyKind::Chunked, input, 2).unwrap();
            assert_eq!((body.as_slice(), end), (&b"hello"[..], true));
        }
    }

    #[test]
    fn chunked_without_trailers() {
        let (body, trailers, end) =
            decode_all(BodyKind::Chunked, b"A\r\n0123456789\r\n0\r\n\r\n", 3).unwrap();
        assert_eq!(
            (body.as_slice(), trailers, end),
            (&b"0123456789"[..], 0, true)
        );
    }

    #[test]
    fn strict_chunk_syntax() {
        let cases: &[(&[u8], ErrorKind, usize)] = &[
            (b"0x5\r\nhello\r\n0\r\n\r\n", ErrorKind::InvalidChunkSize, 1),
            (b"\r\n", ErrorKind::InvalidChunkSize, 0),
            (b"-1\r\n", ErrorKind::InvalidChunkSize, 0),
            (b"5\nhello", ErrorKind::BareLf, 1),
            (b"5\rhello", ErrorKind::BareCr, 2),
            (b"5\r\nhelloX\r\n", ErrorKind::MissingChunkCrlf, 8),
            (b"5\r\nhello\rX", ErrorKind::MissingChunkCrlf, 9),
            (b"10000000000000000\r\n", ErrorKind::InvalidChunkSize, 16),
            (b"1;a\x00b\r\n", ErrorKind::InvalidChunkSize, 3),
            // Whitespace after the size may only lead to `;` or CR.
            (b"5 5\r\nhello\r\n", ErrorKind::InvalidChunkSize, 2),
            (b"5\tx\r\nhello\r\n", ErrorKind::InvalidChunkSize, 2),
            (b"5 \nhello", ErrorKind::BareLf, 2),
            (b"0\r\nBad Trailer: x\r\n\r\n", ErrorKind::InvalidTrailer, 6),
        ];
        for &(input, kind, offset) in cases {
            assert_eq!(
                decode_all(BodyKind::Chunked, input, input.len()),
                Err(ProtocolError::new(kind, offset)),
                "{:?}",
                std::string::String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn largest_chunk_size_is_accepted() {
        let mut decoder = BodyDecoder::new(BodyKind::Chunked);
        let (n, event) = decoder.decode(b"ffffffffffffffff\r\nab", 64).unwrap();
        assert_eq!((n, event), (20, BodyEvent::Data(b"ab")));
    }

    #[test]
    fn length_and_until_close() {
        let (body, _, end) = decode_all(BodyKind::Length(4), b"abcdEXTRA", 3).unwrap();
        assert_eq!((body.as_slice(), end), (&b"abcd"[..], true));
        let (body, _, end) = decode_all(BodyKind::UntilClose, b"abcdef", 4).unwrap();
        assert_eq!((body.as_slice(), end), (&b"abcdef"[..], false));
        assert!(BodyDecoder::new(BodyKind::None).is_finished());
    }
}
