//! Body decoders: by length, chunked (with extensions and trailers), and
//! until the peer closes. Each call says how many bytes it consumed and
//! hands body data back as a slice of the caller's buffer.

use crate::error::{ErrorKind, ProtocolError};
use crate::time::Split64;
use crate::wire::{BodyKind, HEX, Headers, ParseConfig, is_class, is_tchar};

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

/// Where a chunked decoder is. The states from `Size` to `ValueEnd` walk
/// one chunk-size line: `chunk-size [ chunk-ext ] CRLF` with
/// `chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )`.
/// The discriminants of the states up to `DataLf` are the rows of
/// [`LINE_TABLE`], so the size build converts neither way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(u8)]
enum Chunk {
    /// Before the first hex digit of a chunk size.
    Size = 0,
    /// In the hex digits of a chunk size (the count is `BodyDecoder::digits`).
    SizeDigits = 1,
    /// Whitespace after the size (`BWS`): only `;` may follow, so `5 5`
    /// is not read as a chunk of 5 and `5 CRLF` is refused.
    SizeSpace = 2,
    /// After `;` (and BWS): an extension name must start.
    NameStart = 3,
    /// In an extension name.
    Name = 4,
    /// Whitespace after a name: only `;` or `=` may follow.
    SpaceAfterName = 5,
    /// Whitespace after a value: only `;` may follow.
    SpaceAfterValue = 6,
    /// After `=` (and BWS): a token or a quoted string must start.
    ValueStart = 7,
    /// In a token value.
    Token = 8,
    /// In a quoted-string value.
    Quoted = 9,
    /// After a backslash in a quoted string.
    QuotedEscape = 10,
    /// After the closing quote of a value.
    ValueEnd = 11,
    /// After the CR of a size line.
    SizeLf = 12,
    /// After chunk data: CR expected.
    DataCr = 13,
    /// After chunk data and CR: LF expected.
    DataLf = 14,
    /// In chunk data.
    Data = 15,
    /// After the last chunk: the trailer section.
    Trailers = 16,
    /// Trailers delivered; the end follows.
    TrailersDone = 17,
}

impl Chunk {
    /// The state whose discriminant is `row` (the last one past them).
    // Matched in discriminant order: compiles to no more than a clamp.
    const fn from_row(row: u8) -> Self {
        match row {
            0 => Self::Size,
            1 => Self::SizeDigits,
            2 => Self::SizeSpace,
            3 => Self::NameStart,
            4 => Self::Name,
            5 => Self::SpaceAfterName,
            6 => Self::SpaceAfterValue,
            7 => Self::ValueStart,
            8 => Self::Token,
            9 => Self::Quoted,
            10 => Self::QuotedEscape,
            11 => Self::ValueEnd,
            12 => Self::SizeLf,
            13 => Self::DataCr,
            14 => Self::DataLf,
            15 => Self::Data,
            16 => Self::Trailers,
            _ => Self::TrailersDone,
        }
    }
}

/// Decodes one message body incrementally.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BodyDecoder {
    framing: Framing,
    /// Bytes left in the body (length) or in the current chunk (chunked).
    remaining: Split64,
    /// Hex digits read of the current chunk size (leading zeros too).
    digits: u8,
    /// Bytes read after the digits of the current chunk-size line.
    extension_len: u16,
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
            BodyKind::Chunked => (Framing::Chunked(Chunk::Size), 0),
            BodyKind::UntilClose => (Framing::UntilClose, 0),
        };
        Self {
            framing,
            remaining: Split64::new(remaining),
            digits: 0,
            extension_len: 0,
        }
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
    /// section must fit in `max_trailer_len` bytes; the other limits are
    /// those of [`ParseConfig::strict`].
    pub fn decode<'a>(
        &mut self,
        input: &'a [u8],
        max_trailer_len: usize,
    ) -> Result<(usize, BodyEvent<'a>), ProtocolError> {
        self.decode_with(
            input,
            &ParseConfig::strict().with_max_head_len(max_trailer_len),
        )
    }

    /// Decodes from `input` within the chunk-line limits of `config` (the
    /// trailer section within `max_head_len`): returns how many bytes were consumed and what was found.
    /// Error offsets are relative to `input`.
    ///
    /// Resumable: chunk-size lines are consumed as they arrive (never
    /// buffered), so any split of the input gives the same result. Only a
    /// trailer section is left unconsumed until it is complete.
    // Not inlined into the connection: one copy of the decoder, and less
    // flash (measured: 270 bytes less for the client engine on thumbv7em).
    #[inline(never)]
    pub fn decode_with<'a>(
        &mut self,
        input: &'a [u8],
        config: &ParseConfig,
    ) -> Result<(usize, BodyEvent<'a>), ProtocolError> {
        self.decode_found(input, config)
    }

    /// [`BodyDecoder::decode_with`], writing what it found into `out` as
    /// `wrap` makes it (`out` is untouched after an error) and returning
    /// the bytes consumed: the caller's own event is written in place, at
    /// each place the decoder finds something, with no conversion after.
    // One outlined copy in a size build; the speed build inlines it into
    // the connection (measured: fewer instructions per exchange).
    #[cfg_attr(h1conn_small, inline(never))]
    #[cfg_attr(not(h1conn_small), inline)]
    pub(crate) fn decode_into<'a, O>(
        &mut self,
        input: &'a [u8],
        config: &ParseConfig,
        out: &mut O,
        wrap: impl FnOnce(BodyEvent<'a>) -> O,
    ) -> Result<usize, ProtocolError> {
        let (bytes, found) = self.decode_found(input, config)?;
        *out = wrap(found);
        Ok(bytes)
    }

    /// The work of [`BodyDecoder::decode_with`], inlined into its two
    /// forms.
    #[inline(always)]
    fn decode_found<'a>(
        &mut self,
        input: &'a [u8],
        config: &ParseConfig,
    ) -> Result<(usize, BodyEvent<'a>), ProtocolError> {
        match self.framing {
            Framing::Finished => Ok((0, BodyEvent::End)),
            Framing::UntilClose if input.is_empty() => Ok((0, BodyEvent::NeedData)),
            Framing::UntilClose => Ok((input.len(), BodyEvent::Data(input))),
            // Built for size, the data of a chunk is read by the same code.
            Framing::Length if !crate::small() => Ok(self.take_data(input, 0, Framing::Finished)),
            Framing::Length | Framing::Chunked(_) => {
                let state = match self.framing {
                    Framing::Chunked(state) => state,
                    _ => Chunk::Data,
                };
                self.decode_chunked(state, input, config)
            }
        }
    }

    /// [`BodyDecoder::decode_with`] from `state` of a chunked body (or,
    /// built for size, in the data of a body of known length).
    // Outlined in the speed build: `decode_with` stays small for the
    // other framings (measured: 170 instructions less per exchange than
    // one loop for all). Inlined in a size build, with one `take_data`
    // call: 60 B less for the client engine on thumbv7em.
    #[cfg_attr(not(h1conn_small), inline(never))]
    fn decode_chunked<'a>(
        &mut self,
        mut state: Chunk,
        input: &'a [u8],
        config: &ParseConfig,
    ) -> Result<(usize, BodyEvent<'a>), ProtocolError> {
        let mut at = 0;
        loop {
            match state {
                Chunk::Data => {
                    // Only a size build reads a body of known length here.
                    let then = if crate::small() && self.framing == Framing::Length {
                        Framing::Finished
                    } else {
                        Framing::Chunked(Chunk::DataCr)
                    };
                    return Ok(self.take_data(input, at, then));
                }
                Chunk::Trailers => return self.trailers(input, at, config),
                Chunk::TrailersDone => {
                    // Trailers were handed back by the call before: `at` is 0.
                    self.framing = Framing::Finished;
                    return Ok((at, BodyEvent::End));
                }
                _ => {}
            }
            let Some(&byte) = input.get(at) else {
                return Ok((at, BodyEvent::NeedData));
            };
            state = self
                .chunk_byte(state, byte, config)
                .map_err(|kind| ProtocolError::new(kind, at))?;
            self.framing = Framing::Chunked(state);
            at += 1;
        }
    }

    /// Hands out up to `remaining` bytes of `input` after `at`; when the
    /// count reaches zero, moves to `then`. The count is never zero here:
    /// a body or chunk of zero bytes is never entered.
    fn take_data<'a>(
        &mut self,
        input: &'a [u8],
        at: usize,
        then: Framing,
    ) -> (usize, BodyEvent<'a>) {
        let available = input.get(at..).unwrap_or_default();
        if available.is_empty() {
            return (at, BodyEvent::NeedData);
        }
        let remaining = self.remaining.get();
        debug_assert!(remaining != 0, "an empty body or chunk was entered");
        // (Compared in 64 bits: no conversion of a count past `usize`.)
        let n = remaining.min(available.len() as u64) as usize;
        let remaining = remaining - n as u64;
        self.remaining = Split64::new(remaining);
        if remaining == 0 {
            self.framing = then;
        }
        (
            at + n,
            BodyEvent::Data(available.get(..n).unwrap_or_default()),
        )
    }

    /// The state after `byte` outside chunk data and trailers.
    // Outlined in a size build: 24 B smaller at opt-level z.
    #[cfg_attr(h1conn_small, inline(never))]
    fn chunk_byte(
        &mut self,
        state: Chunk,
        byte: u8,
        config: &ParseConfig,
    ) -> Result<Chunk, ErrorKind> {
        if crate::small() {
            return self.chunk_byte_by_table(state, byte, config);
        }
        use ErrorKind::{BareLf, InvalidChunkExtension as Ext};
        let in_line = !matches!(
            state,
            Chunk::SizeLf
                | Chunk::DataCr
                | Chunk::DataLf
                | Chunk::Size
                | Chunk::SizeDigits
                | Chunk::Data
                | Chunk::Trailers
                | Chunk::TrailersDone
        );
        if (in_line || (state == Chunk::SizeDigits && !byte.is_ascii_hexdigit())) && byte != b'\r' {
            if self.extension_len >= config.max_chunk_extension_len {
                return Err(ErrorKind::ChunkExtensionTooLong);
            }
            self.extension_len += 1;
        }
        let space = matches!(byte, b' ' | b'\t');
        let next = match (state, byte) {
            (Chunk::Size | Chunk::SizeDigits, b) if b.is_ascii_hexdigit() => {
                self.size_digit(b, config)?
            }
            (Chunk::SizeDigits, b'\r') => Chunk::SizeLf,
            (Chunk::SizeDigits | Chunk::SizeSpace, b';') => Chunk::NameStart,
            (Chunk::SizeDigits | Chunk::SizeSpace, _) if space => Chunk::SizeSpace,
            (
                Chunk::Size
                | Chunk::SizeDigits
                | Chunk::SizeSpace
                | Chunk::NameStart
                | Chunk::Name
                | Chunk::SpaceAfterName
                | Chunk::SpaceAfterValue
                | Chunk::ValueStart
                | Chunk::Token
                | Chunk::ValueEnd,
                b'\n',
            ) => return Err(BareLf),
            (Chunk::Size | Chunk::SizeDigits | Chunk::SizeSpace, _) => {
                return Err(ErrorKind::InvalidChunkSize);
            }
            (Chunk::NameStart, _) if space => state,
            (Chunk::NameStart | Chunk::Name, b) if is_tchar(b) => Chunk::Name,
            (Chunk::Name | Chunk::Token | Chunk::ValueEnd, b'\r') => Chunk::SizeLf,
            (
                Chunk::Name
                | Chunk::SpaceAfterName
                | Chunk::SpaceAfterValue
                | Chunk::Token
                | Chunk::ValueEnd,
                b';',
            ) => Chunk::NameStart,
            (Chunk::Name, _) if space => Chunk::SpaceAfterName,
            (Chunk::Token | Chunk::ValueEnd, _) if space => Chunk::SpaceAfterValue,
            (Chunk::SpaceAfterName | Chunk::SpaceAfterValue, _) if space => state,
            (Chunk::Name | Chunk::SpaceAfterName, b'=') => Chunk::ValueStart,
            (Chunk::ValueStart, _) if space => state,
            (Chunk::ValueStart, b'"') => Chunk::Quoted,
            (Chunk::ValueStart | Chunk::Token, b) if is_tchar(b) => Chunk::Token,
            (Chunk::Quoted, b'"') => Chunk::ValueEnd,
            (Chunk::Quoted, b'\\') => Chunk::QuotedEscape,
            // qdtext, and quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
            (Chunk::Quoted | Chunk::QuotedEscape, b) if b == b'\t' || (b >= 0x20 && b != 0x7f) => {
                Chunk::Quoted
            }
            (Chunk::SizeLf, b'\n') if self.remaining.get() == 0 => Chunk::Trailers,
            (Chunk::SizeLf, b'\n') => Chunk::Data,
            (Chunk::SizeLf, _) => return Err(ErrorKind::BareCr),
            (Chunk::DataCr, b'\r') => Chunk::DataLf,
            (Chunk::DataLf, b'\n') => self.next_size_line(),
            (Chunk::DataCr | Chunk::DataLf, _) => return Err(ErrorKind::MissingChunkCrlf),
            (Chunk::Data | Chunk::Trailers | Chunk::TrailersDone, _) => state,
            _ => return Err(Ext),
        };
        Ok(next)
    }

    /// One more hex digit `b` of the chunk size.
    #[inline(always)]
    fn size_digit(&mut self, b: u8, config: &ParseConfig) -> Result<Chunk, ErrorKind> {
        if self.digits >= config.max_chunk_size_digits {
            return Err(ErrorKind::ChunkSizeTooLong);
        }
        let remaining = self.remaining.get();
        // A fifth hex digit in the top nibble would not fit in 64 bits.
        if remaining >> 60 != 0 {
            return Err(ErrorKind::InvalidChunkSize);
        }
        self.remaining = Split64::new(remaining << 4 | u64::from(hex_value(b)));
        self.digits += 1;
        Ok(Chunk::SizeDigits)
    }

    /// The CRLF after chunk data read: a new size line starts.
    #[inline(always)]
    fn next_size_line(&mut self) -> Chunk {
        self.digits = 0;
        self.extension_len = 0;
        Chunk::Size
    }

    /// [`BodyDecoder::chunk_byte`] built for size: the grammar read from
    /// [`LINE_TABLE`] rather than matched arm by arm (a test compares the
    /// two on every state and byte).
    fn chunk_byte_by_table(
        &mut self,
        state: Chunk,
        byte: u8,
        config: &ParseConfig,
    ) -> Result<Chunk, ErrorKind> {
        let row = state as u8;
        let Some(&row_error) = ROW_ERRORS.get(usize::from(row)) else {
            // Data and trailers: decode_with reads them itself.
            return Ok(state);
        };
        let class = byte_class(byte);
        let cell = usize::from(row) * CLASS_COUNT + usize::from(class);
        let pair = LINE_TABLE.get(cell / 2).copied().unwrap_or(0);
        let entry = pair >> (4 * (cell & 1)) & 0xf;
        // The bytes after the digits of a size line count, but its CR; the
        // limit is checked before the grammar, so it wins over an error.
        if row.wrapping_sub(S1) <= VE - S1 && class != C_CR && entry != DIGIT {
            if self.extension_len >= config.max_chunk_extension_len {
                return Err(ErrorKind::ChunkExtensionTooLong);
            }
            self.extension_len += 1;
        }
        Ok(match entry {
            DIGIT => return self.size_digit(byte, config),
            END if state == Chunk::SizeLf && self.remaining.get() == 0 => Chunk::Trailers,
            END if state == Chunk::SizeLf => Chunk::Data,
            END => self.next_size_line(),
            BARE_LF => return Err(ErrorKind::BareLf),
            X_ROW => return Err(row_error),
            next => Chunk::from_row(next),
        })
    }

    /// The trailer section: either an empty line, or field lines and an
    /// empty line, complete in `input` from `at`.
    fn trailers<'a>(
        &mut self,
        input: &'a [u8],
        at: usize,
        config: &ParseConfig,
    ) -> Result<(usize, BodyEvent<'a>), ProtocolError> {
        let max_trailer_len = config.max_head_len;
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
                // Within `input` (`rest` is its tail from `at`): no overflow.
                return Err(ProtocolError::new(
                    ErrorKind::TrailerTooLarge,
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

// The chunk-line grammar as a table, for size builds: rows are the line
// states (their discriminants), columns the classes of a byte
// ([`byte_class`]), entries (4 bits) the next state or what to do.
const S0: u8 = Chunk::Size as u8;
const S1: u8 = Chunk::SizeDigits as u8;
const SS: u8 = Chunk::SizeSpace as u8;
const N0: u8 = Chunk::NameStart as u8;
const N1: u8 = Chunk::Name as u8;
const SPN: u8 = Chunk::SpaceAfterName as u8;
const SPV: u8 = Chunk::SpaceAfterValue as u8;
const VS: u8 = Chunk::ValueStart as u8;
const TK: u8 = Chunk::Token as u8;
const QT: u8 = Chunk::Quoted as u8;
const QE: u8 = Chunk::QuotedEscape as u8;
const VE: u8 = Chunk::ValueEnd as u8;
const SLF: u8 = Chunk::SizeLf as u8;
const DCR: u8 = Chunk::DataCr as u8;
const DLF: u8 = Chunk::DataLf as u8;
// What the grammar ([`line_step`]) says besides a next state.
/// One more digit of the chunk size.
const DIGIT: u8 = S1;
/// The end of a size line: data, or the trailers after the last chunk.
const DATA: u8 = 16;
const X_LF: u8 = 17; // BareLf
const X_SIZE: u8 = 18; // InvalidChunkSize
const X_CR: u8 = 19; // BareCr
const X_CRLF: u8 = 20; // MissingChunkCrlf
const X_EXT: u8 = 21; // InvalidChunkExtension
// The entries of [`LINE_TABLE`] besides a next state, in the numbers of
// the states that are never one (`SizeDigits` is reached by a digit,
// `DataCr` by the end of chunk data, `Size` only by [`END`]).
/// The LF that ends a line: data or trailers after a size line, a new
/// size line after chunk data.
const END: u8 = S0;
/// The error of the row ([`ROW_ERRORS`]).
const X_ROW: u8 = DCR;
/// A bare LF ([`X_LF`]): the one number past the states.
const BARE_LF: u8 = DLF + 1;

/// The error of each row: its one error but a bare LF.
const ROW_ERRORS: [ErrorKind; 15] = {
    use ErrorKind::MissingChunkCrlf as Crlf;
    use ErrorKind::{BareCr, InvalidChunkExtension as Ext, InvalidChunkSize as Size};
    [
        Size, Size, Size, Ext, Ext, Ext, Ext, Ext, Ext, Ext, Ext, Ext, BareCr, Crlf, Crlf,
    ]
};

// The columns of [`LINE_TABLE`]: the byte classes.
const C_HEX: u8 = 0; // HEXDIG
const C_TCHAR: u8 = 1; // other tchar
const C_SPACE: u8 = 2; // SP, HTAB
const C_CR: u8 = 3;
const C_LF: u8 = 4;
const C_SEMI: u8 = 5; // ;
const C_EQ: u8 = 6; // =
const C_QUOTE: u8 = 7; // "
const C_BACKSLASH: u8 = 8;
const C_TEXT: u8 = 9; // other VCHAR, obs-text
const C_CTL: u8 = 10; // other control bytes, DEL
const CLASS_COUNT: usize = 11;

/// The class of `b` (a column of [`LINE_TABLE`]), as the grammar says it.
#[cfg(test)]
const fn class_of(b: u8) -> u8 {
    match b {
        b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' => C_HEX,
        b' ' | b'\t' => C_SPACE,
        b'\r' => C_CR,
        b'\n' => C_LF,
        b';' => C_SEMI,
        b'=' => C_EQ,
        b'"' => C_QUOTE,
        b'\\' => C_BACKSLASH,
        b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_'
        | b'`' | b'|' | b'~' => C_TCHAR,
        _ if b.is_ascii_alphanumeric() => C_TCHAR,
        0x21..=0x7e | 0x80.. => C_TEXT,
        _ => C_CTL,
    }
}

/// The chunk-line grammar: what `class` does in the state of `row`,
/// (the entries of [`LINE_TABLE`] before [`table_entry`]).
const fn line_step(row: u8, class: u8) -> u8 {
    let name = class == C_HEX || class == C_TCHAR;
    match (row, class) {
        (S0 | S1, C_HEX) => DIGIT,
        (S1 | N1 | TK | VE, C_CR) => SLF,
        (S1 | SS | N1 | SPN | SPV | TK | VE, C_SEMI) => N0,
        (S1 | SS, C_SPACE) => SS,
        (S0..=VE, C_LF) if row != QT && row != QE => X_LF,
        (S0 | S1 | SS, _) => X_SIZE,
        (N0, C_SPACE) => N0,
        (N0 | N1, _) if name => N1,
        (N1 | SPN, C_SPACE) => SPN,
        (N1 | SPN, C_EQ) => VS,
        (SPV | TK | VE, C_SPACE) => SPV,
        (VS, C_SPACE) => VS,
        (VS, C_QUOTE) => QT,
        (VS | TK, _) if name => TK,
        (QT, C_QUOTE) => VE,
        (QT, C_BACKSLASH) => QE,
        // qdtext, and quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
        (QT | QE, C_CR | C_LF | C_CTL) => X_EXT,
        (QT | QE, _) => QT,
        (SLF, C_LF) => DATA,
        (SLF, _) => X_CR,
        (DCR, C_CR) => DLF,
        (DLF, C_LF) => S0,
        (DCR | DLF, _) => X_CRLF,
        _ => X_EXT,
    }
}

/// The entry of [`LINE_TABLE`] for what [`line_step`] says in `row`.
const fn table_entry(row: u8, step: u8) -> u8 {
    match step {
        DIGIT => DIGIT,
        DATA | S0 => END,
        X_LF => BARE_LF,
        X_SIZE | X_CR | X_CRLF | X_EXT => {
            // Checked at compile time: an error other than the row's would
            // not fit the table.
            let expected = match row {
                S0..=SS => X_SIZE,
                N0..=VE => X_EXT,
                SLF => X_CR,
                _ => X_CRLF,
            };
            assert!(step == expected, "one error per row but a bare LF");
            X_ROW
        }
        _ => {
            assert!(step != DCR && step <= DLF, "a state the table cannot name");
            step
        }
    }
}

/// [`line_step`] for every state and class, two entries to a byte (low
/// nibble first), row after row.
// Evaluated at compile time: an out-of-range index would fail the build.
#[allow(clippy::indexing_slicing)]
static LINE_TABLE: [u8; (15 * CLASS_COUNT).div_ceil(2)] = {
    let mut table = [0; (15 * CLASS_COUNT).div_ceil(2)];
    let mut cell = 0;
    while cell < 15 * CLASS_COUNT {
        let row = (cell / CLASS_COUNT) as u8;
        let entry = table_entry(row, line_step(row, (cell % CLASS_COUNT) as u8));
        assert!(entry < 16, "an entry past 4 bits");
        table[cell / 2] |= entry << (4 * (cell % 2));
        cell += 1;
    }
    table
};

/// The bytes of the classes from [`C_SPACE`] to [`C_BACKSLASH`], in
/// column order (HTAB and SP both in [`C_SPACE`]).
const SPECIAL_BYTES: &[u8; 8] = b"\t \r\n;=\"\\";

/// The column of `b` in [`LINE_TABLE`] ([`class_of`], by a search of
/// [`SPECIAL_BYTES`] and the shared byte-class table, whose `tchar` and
/// `HEXDIG` bits are one load, rather than a table of its own).
fn byte_class(b: u8) -> u8 {
    if let Some(i) = SPECIAL_BYTES.iter().position(|&c| c == b) {
        // HTAB (0) and SP (1) are one class.
        return C_SPACE + (i as u8).saturating_sub(1);
    }
    if is_tchar(b) {
        // (Hex digits are tchars.)
        if is_class(b, HEX) { C_HEX } else { C_TCHAR }
    } else if b > b' ' && b != 0x7f {
        C_TEXT
    } else {
        C_CTL
    }
}

/// The value of an ASCII hex digit (callers check it is one): the low
/// nibble, plus 9 for the letters (0x41.., 0x61..).
const fn hex_value(b: u8) -> u8 {
    (b & 0xf) + 9 * (b >> 6)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec::Vec;

    use super::*;

    /// The table of a size build gives what the arms give, for every
    /// state, byte, chunk size so far and count of line bytes.
    #[test]
    fn line_table_agrees_with_the_arms() {
        let states = (0..=Chunk::TrailersDone as u8).map(Chunk::from_row);
        let configs = [
            ParseConfig::default(),
            ParseConfig::default().with_chunk_line_limits(2, 3),
        ];
        for state in states {
            for byte in 0..=u8::MAX {
                for remaining in [0, 5, 0x0fff_ffff_ffff_ffff, 0x1000_0000_0000_0000] {
                    for digits in [0, 1, 2, 3, 15, 16, 17, 255] {
                        for extension_len in [0, 2, 3, 256] {
                            for config in &configs {
                                let decoder = BodyDecoder {
                                    framing: Framing::Chunked(state),
                                    remaining: Split64::new(remaining),
                                    digits,
                                    extension_len,
                                };
                                let (mut arms, mut table) = (decoder, decoder);
                                let by_arms = arms.chunk_byte(state, byte, config);
                                let by_table = crate::testing::with_small(|| {
                                    table.chunk_byte(state, byte, config)
                                });
                                assert_eq!(
                                    (by_arms, arms),
                                    (by_table, table),
                                    "{state:?} {byte:#x} {remaining} {digits} {extension_len}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    /// The classes looked up are those of [`class_of`], for every byte.
    #[test]
    fn packed_byte_classes_agree() {
        for b in 0..=u8::MAX {
            assert_eq!(byte_class(b), class_of(b), "{b:#x}");
        }
    }

    /// Every state is its own row.
    #[test]
    fn states_are_their_rows() {
        for row in 0..=Chunk::TrailersDone as u8 {
            assert_eq!(Chunk::from_row(row) as u8, row);
        }
        assert_eq!(Chunk::from_row(u8::MAX), Chunk::TrailersDone);
    }

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

    /// [`decode_all`] within `config`, and with the decoder's state at the
    /// end (when no error came).
    fn decode_all_with(
        kind: BodyKind,
        input: &[u8],
        step: usize,
        config: &ParseConfig,
    ) -> Result<(Vec<u8>, usize, bool, BodyDecoder), ProtocolError> {
        let mut decoder = BodyDecoder::new(kind);
        let (mut body, mut trailers) = (Vec::new(), 0);
        let (mut fed, mut base) = (0, 0);
        let mut buf: Vec<u8> = Vec::new();
        loop {
            let (n, event) = decoder
                .decode_with(&buf, config)
                .map_err(|e| ProtocolError::new(e.kind, e.offset + base))?;
            match event {
                BodyEvent::Data(d) => body.extend_from_slice(d),
                BodyEvent::Trailers(h) => trailers += h.count(),
                BodyEvent::End => return Ok((body, trailers, true, decoder)),
                BodyEvent::NeedData if fed >= input.len() => {
                    return Ok((body, trailers, false, decoder));
                }
                BodyEvent::NeedData => {
                    let next = (fed + step).min(input.len());
                    buf.extend_from_slice(&input[fed..next]);
                    fed = next;
                }
            }
            buf.drain(..n);
            base += n;
        }
    }

    /// The size build's decoding (table, one loop, a body of known length
    /// read as chunk data) gives what the speed build's gives: the same
    /// data, trailers, end, errors and offsets, and the same state after,
    /// for every body framing, split and chunk-line limit.
    #[test]
    fn size_build_decodes_like_the_speed_build() {
        let configs = [
            ParseConfig::strict(),
            ParseConfig::strict()
                .with_chunk_line_limits(2, 3)
                .with_max_head_len(12),
        ];
        let compare = |kinds: &[BodyKind], input: &[u8]| {
            for &kind in kinds {
                for config in &configs {
                    for step in [1, 3, input.len().max(1)] {
                        let fast = decode_all_with(kind, input, step, config);
                        let small = crate::testing::with_small(|| {
                            decode_all_with(kind, input, step, config)
                        });
                        assert_eq!(
                            fast,
                            small,
                            "{kind:?} {step} {:?}",
                            std::string::String::from_utf8_lossy(input)
                        );
                    }
                }
            }
        };
        let every_kind = [
            BodyKind::Chunked,
            BodyKind::Length(1),
            BodyKind::Length(5),
            BodyKind::UntilClose,
        ];
        crate::testing::every_string(b"01f;= \"\\\r\nx\x00", 4, |input| {
            compare(&every_kind, input)
        });
        let pieces: &[&[u8]] = &[
            b"0",
            b"1",
            b"5",
            b"a",
            b"F",
            b"\r\n",
            b"\r",
            b"\n",
            b";",
            b"=",
            b" ",
            b"\t",
            b"\"",
            b"\\",
            b"x",
            b"name",
            b"tok",
            b"\x7f",
            b"\x80",
            b"\x01",
            b"hello",
            b"X-T: 1\r\n",
            b"Bad Line\r\n",
            b"\r\n\r\n",
        ];
        crate::testing::joined_pieces(pieces, 0x5eed_b0d1, 14, 7, 17, |input| {
            compare(&[BodyKind::Chunked], input)
        });
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
    fn extension_grammar_accepted() {
        for line in [
            &b"5 ;a=b"[..],
            b"5;a",
            b"5 \t; a ; b = c ;d=\"q \\\" \\\\ \x80\"",
            b"5;a=\"\";b=tok!#$%&'*+-.^_`|~9",
            b"5;a=\"x\" ;b",
            b"0005;a",
        ] {
            let mut input = line.to_vec();
            input.extend_from_slice(b"\r\nhello\r\n0\r\n\r\n");
            for step in 1..=input.len() {
                let (body, _, end) = decode_all(BodyKind::Chunked, &input, step).unwrap();
                assert_eq!((body.as_slice(), end), (&b"hello"[..], true));
            }
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
            (b"10000000000000000\r\n", ErrorKind::ChunkSizeTooLong, 16),
            (b"1;a\x00b\r\n", ErrorKind::InvalidChunkExtension, 3),
            // Whitespace after the size may only lead to `;` or CR.
            (b"5 5\r\nhello\r\n", ErrorKind::InvalidChunkSize, 2),
            (b"5\tx\r\nhello\r\n", ErrorKind::InvalidChunkSize, 2),
            (b"5 \nhello", ErrorKind::BareLf, 2),
            // RFC 9112 7.1: BWS only before `;` or `=`, never before CRLF.
            (b"5  \r\nhello", ErrorKind::InvalidChunkSize, 3),
            (b"5;a \r\nhello", ErrorKind::InvalidChunkExtension, 4),
            (b"5;a=b \r\nhello", ErrorKind::InvalidChunkExtension, 6),
            (b"5;a=\"b\"\t\r\n", ErrorKind::InvalidChunkExtension, 8),
            // Empty names and values.
            (b"5;\r\nhello", ErrorKind::InvalidChunkExtension, 2),
            (b"5; ;a\r\n", ErrorKind::InvalidChunkExtension, 3),
            (b"5;=b\r\n", ErrorKind::InvalidChunkExtension, 2),
            (b"5;a=\r\n", ErrorKind::InvalidChunkExtension, 4),
            (b"5;a==b\r\n", ErrorKind::InvalidChunkExtension, 4),
            (b"5;a b\r\n", ErrorKind::InvalidChunkExtension, 4),
            (b"5;a=b c\r\n", ErrorKind::InvalidChunkExtension, 6),
            (b"5;a/b\r\n", ErrorKind::InvalidChunkExtension, 3),
            // Quoted strings: closed, no control bytes, valid escapes.
            (b"5;a=\"b\r\nhello", ErrorKind::InvalidChunkExtension, 6),
            (b"5;a=\"b\nhello", ErrorKind::InvalidChunkExtension, 6),
            (b"5;a=\"b\\\r\n", ErrorKind::InvalidChunkExtension, 7),
            (b"5;a=\"\x7f\"\r\n", ErrorKind::InvalidChunkExtension, 5),
            (b"5;a=\"b\"c\r\n", ErrorKind::InvalidChunkExtension, 7),
            (b"5;a=b\"c\"\r\n", ErrorKind::InvalidChunkExtension, 5),
            // Bare CR or LF in the line.
            (b"5;a\nhello", ErrorKind::BareLf, 3),
            (b"5;a=b\rhello", ErrorKind::BareCr, 6),
            (b"5;a\r\r\n", ErrorKind::BareCr, 4),
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
    fn chunk_line_limits_stop_at_the_first_byte_past_them() {
        let config = ParseConfig::strict().with_chunk_line_limits(4, 8);
        let cases: &[(&[u8], Result<usize, (ErrorKind, usize)>)] = &[
            (b"0005\r\n", Ok(6)),
            (b"00005\r\n", Err((ErrorKind::ChunkSizeTooLong, 4))),
            (b"5;abcdefg\r\n", Ok(11)),
            (
                b"5;abcdefgh\r\n",
                Err((ErrorKind::ChunkExtensionTooLong, 9)),
            ),
            (
                b"5        ;a\r\n",
                Err((ErrorKind::ChunkExtensionTooLong, 9)),
            ),
            (
                b"5;a=\"\\\\\\\\\\\\",
                Err((ErrorKind::ChunkExtensionTooLong, 9)),
            ),
        ];
        for &(input, expected) in cases {
            // Byte by byte: the verdict comes at the first byte past the limit.
            let mut decoder = BodyDecoder::new(BodyKind::Chunked);
            let mut result = Ok(0);
            for (i, byte) in input.iter().enumerate() {
                match decoder.decode_with(core::slice::from_ref(byte), &config) {
                    Ok((1, BodyEvent::NeedData)) => result = Ok(i + 1),
                    Ok(other) => panic!("{other:?}"),
                    Err(e) => {
                        result = Err((e.kind, i + e.offset));
                        break;
                    }
                }
            }
            assert_eq!(
                result,
                expected,
                "{:?}",
                std::string::String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn endless_leading_zeros_or_extension_are_refused_without_buffering() {
        let config = ParseConfig::strict();
        for (first, fill) in [(&b"0"[..], b'0'), (b"1;", b'a'), (b"1;a=\"", b'b')] {
            let mut decoder = BodyDecoder::new(BodyKind::Chunked);
            let mut fed = 0usize;
            let mut err = None;
            let mut chunk = [fill; 64];
            chunk[..first.len()].copy_from_slice(first);
            while fed < 1 << 20 {
                match decoder.decode_with(&chunk, &config) {
                    Ok((n, BodyEvent::NeedData)) => assert_eq!(n, chunk.len()),
                    Ok(other) => panic!("{other:?}"),
                    Err(e) => {
                        err = Some((e.kind, fed + e.offset));
                        break;
                    }
                }
                fed += chunk.len();
                chunk = [fill; 64];
            }
            let (kind, at) = err.unwrap();
            assert!(
                matches!(
                    kind,
                    ErrorKind::ChunkSizeTooLong | ErrorKind::ChunkExtensionTooLong
                ),
                "{kind:?}"
            );
            assert!(at <= 300, "refused only at byte {at}");
        }
    }

    #[test]
    fn trailer_section_is_bounded_like_a_head() {
        let config = ParseConfig::strict().with_max_head_len(16);
        let input = b"0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
        let mut decoder = BodyDecoder::new(BodyKind::Chunked);
        let err = decoder.decode_with(input, &config).unwrap_err();
        assert_eq!(err, ProtocolError::new(ErrorKind::TrailerTooLarge, 19));
        let mut decoder = BodyDecoder::new(BodyKind::Chunked);
        let (n, event) = decoder
            .decode_with(input, &config.with_max_head_len(20))
            .unwrap();
        assert_eq!((n, matches!(event, BodyEvent::Trailers(_))), (23, true));
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
