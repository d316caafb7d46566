//! Header field lines (RFC 9112 section 5): `name ":" OWS value OWS CRLF`.
//!
//! One cursor does the work for both uses: validating a head once, and then
//! iterating over the already-validated fields as often as the caller likes.

use super::chars::{LIST_SPACE, find_ctl, is_ctl, token_len, trim_class};
use crate::error::{ErrorKind, ProtocolError};

/// One header field line: a name and its value with surrounding whitespace
/// removed. Both borrow the caller's buffer.
///
/// A value received with obsolete line folding (only accepted when
/// [`ParseConfig::allow_obs_fold_in_responses`](super::ParseConfig) is set)
/// still contains the CRLF and whitespace of each fold; the engine's own
/// readers treat each fold as a single space.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Header<'a> {
    /// The field name, as received (compare it case-insensitively).
    pub name: &'a [u8],
    /// The field value, without leading or trailing whitespace.
    pub value: &'a [u8],
}

/// A field line found by the cursor, with where its value starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FieldLine<'a> {
    pub(crate) header: Header<'a>,
    pub(crate) name_offset: usize,
    pub(crate) value_offset: usize,
}

/// Walks the field section of a head: from the first field line up to and
/// including the empty line. Offsets are relative to the start of `block`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FieldCursor<'a> {
    block: &'a [u8],
    pos: usize,
    allow_fold: bool,
    /// The error that stopped [`FieldCursor::next_field`], until taken.
    error: Option<ProtocolError>,
}

impl<'a> FieldCursor<'a> {
    pub(crate) const fn new(block: &'a [u8], allow_fold: bool) -> Self {
        Self {
            block,
            pos: 0,
            allow_fold,
            error: None,
        }
    }

    /// The error that ended the last [`FieldCursor::next_field`], if any.
    pub(crate) fn take_error(&mut self) -> Option<ProtocolError> {
        self.error.take()
    }

    /// The next field line; `None` at the empty line that ends the block,
    /// or on an error, which [`FieldCursor::take_error`] then returns.
    #[inline]
    pub(crate) fn next_field(&mut self) -> Option<FieldLine<'a>> {
        let block = self.block;
        let line = block.get(self.pos..)?;
        // After the empty line or an error there is nothing more to read.
        self.pos = block.len();
        match next_line(block, line, self.allow_fold) {
            Line::Field(field, rest) => {
                self.pos = block.len() - rest.len();
                Some(field)
            }
            Line::End => None,
            Line::Error(error) => {
                self.error = Some(error);
                None
            }
        }
    }
}

impl<'a> Iterator for FieldCursor<'a> {
    type Item = Result<FieldLine<'a>, ProtocolError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self.next_field() {
            Some(line) => Some(Ok(line)),
            None => self.take_error().map(Err),
        }
    }
}

/// What the line at the start of `line` (a suffix of `block`) is.
enum Line<'a> {
    /// A field line, and the rest of the block after its CRLF.
    Field(FieldLine<'a>, &'a [u8]),
    /// The empty line that ends the block.
    End,
    /// A malformed line: what is wrong where, in the block.
    Error(ProtocolError),
}

/// Reads the line at the start of `line`, a suffix of `block`.
///
/// The definition of a field line: [`walk_fields`] is the same, written
/// out for its hot loop, with the same errors ([`not_a_field`],
/// [`value_error`]). Each byte is classified once: the name by the token
/// table, the value by the control-byte scan, which stops at the CR of the
/// line end. Positions are slice lengths subtracted from the block's, so
/// the walk needs no bounds checks.
#[cfg_attr(not(h1conn_small), inline(never))]
fn next_line<'a>(block: &'a [u8], line: &'a [u8], allow_fold: bool) -> Line<'a> {
    let line_at = block.len() - line.len();
    let name_len = token_len(line);
    let Some((name, after_name)) = line.split_at_checked(name_len) else {
        return Line::End;
    };
    let ([b':', value_part @ ..], false) = (after_name, name.is_empty()) else {
        return not_a_field(line_at, name_len, after_name).map_or(Line::End, Line::Error);
    };
    let mut value = value_part;
    // Built for size, the scan starts at the colon and the value is
    // trimmed once the line end is known (below): the same value, as the
    // whitespace skipped here holds no control byte other than HTAB and
    // the CRLF of a fold.
    while !crate::small() {
        match value {
            [b' ' | b'\t', tail @ ..] => value = tail,
            // A fold at the start of a value is whitespace too (RFC 9112 5.2).
            [b'\r', b'\n', b' ' | b'\t', tail @ ..] if allow_fold => value = tail,
            _ => break,
        }
    }
    let mut scan = value;
    let line_end = loop {
        // Built for size, HTAB is skipped by the search itself.
        let ctl = if crate::small() {
            scan.iter().position(|&b| b != b'\t' && is_ctl(b))
        } else {
            find_ctl(scan)
        };
        let Some((_, at_ctl)) = ctl.and_then(|ctl| scan.split_at_checked(ctl)) else {
            let error = ProtocolError::new(ErrorKind::MissingColon, block.len());
            return Line::Error(error);
        };
        match at_ctl {
            [b'\r', b'\n', after @ ..] => match after {
                [b' ' | b'\t', ..] if allow_fold => scan = after,
                _ => break at_ctl,
            },
            // (Built for size, the search never stops at one.)
            [b'\t', after @ ..] if !crate::small() => scan = after,
            _ => return Line::Error(value_error(block.len() - at_ctl.len(), at_ctl)),
        }
    };
    // `line_end` is a suffix of `value`: the subtraction never saturates,
    // and saying so lets the cut go unchecked.
    let mut trimmed = value
        .get(..value.len().saturating_sub(line_end.len()))
        .unwrap_or_default();
    let mut lead = 0;
    if crate::small() {
        // The CR and LF before the line end are those of folds, each
        // between whitespace: trimmed as list space, they go as the
        // loops of the fast build take them (OWS, and CRLF with OWS).
        (lead, trimmed) = trim_class(trimmed, LIST_SPACE);
    }
    let value_at = block.len() - value.len() + lead;
    // Only an accepted fold can leave CRLF in a value: trim it like SP.
    while let [rest @ .., b' ' | b'\t'] | [rest @ .., b'\r', b'\n'] = trimmed
        && !crate::small()
    {
        trimmed = rest;
    }
    let field = FieldLine {
        header: Header {
            name,
            value: trimmed,
        },
        name_offset: line_at,
        value_offset: value_at,
    };
    Line::Field(field, line_end.get(2..).unwrap_or_default())
}

/// The line at `line_at` has a `name_len`-byte name followed by
/// `after_name`, which is not a colon (or the name is empty): either the
/// empty line that ends the block (`None`), or an error.
#[cfg_attr(not(h1conn_small), cold, inline(never))]
fn not_a_field(line_at: usize, name_len: usize, after_name: &[u8]) -> Option<ProtocolError> {
    // A colon after an empty name is an invalid name at the line start,
    // where the name ends.
    let kind = match after_name {
        [] => ErrorKind::MissingColon,
        [b'\r', b'\n', ..] if name_len == 0 => return None,
        [b'\r', b'\n', ..] => ErrorKind::MissingColon,
        [b' ' | b'\t', ..] if name_len == 0 => ErrorKind::ObsFold,
        [b' ' | b'\t', ..] => ErrorKind::WhitespaceBeforeColon,
        [b'\n', ..] => ErrorKind::BareLf,
        [b'\r', ..] => ErrorKind::BareCr,
        _ => ErrorKind::InvalidHeaderName,
    };
    Some(ProtocolError::new(kind, line_at + name_len))
}

/// The error for the control byte at `at` (the start of `at_ctl`) in a
/// field value: not HTAB, and not the CR of a CRLF.
#[cfg_attr(not(h1conn_small), cold, inline(never))]
fn value_error(at: usize, at_ctl: &[u8]) -> ProtocolError {
    let kind = match at_ctl {
        [b'\n', ..] => ErrorKind::BareLf,
        [b'\r', ..] => ErrorKind::BareCr,
        _ => ErrorKind::InvalidHeaderValue,
    };
    ProtocolError::new(kind, at)
}

/// Walks the field lines of `block` (which starts at `base` in the
/// caller's buffer) up to the empty line that ends them, calling `field`
/// for each, and returns where that empty line ends, in `block`.
///
/// The hot loop of head parsing: one cursor (the rest of the block) and
/// locals only, each byte classified once (names by the token table,
/// values by the control-byte scan that stops at the line's CR). A line
/// that is not a valid field line fails with the error (kind and offset)
/// that [`FieldCursor`] gives for it: the same cold helpers decide.
#[cfg_attr(not(h1conn_small), inline(always))]
pub(crate) fn walk_fields<'a>(
    block: &'a [u8],
    base: usize,
    allow_fold: bool,
    mut field: impl FnMut(FieldLine<'a>) -> Result<(), ProtocolError>,
) -> Result<usize, ProtocolError> {
    let mut line = block;
    // Built for size, the cursor's reader does the work: one copy of it.
    while crate::small() {
        match next_line(block, line, allow_fold) {
            Line::Field(found, rest) => {
                field(found)?;
                line = rest;
            }
            Line::End => return Ok(block.len() - line.len() + 2),
            Line::Error(error) => return Err(error.shifted(base)),
        }
    }
    loop {
        let line_at = block.len() - line.len();
        let name_len = token_len(line);
        let Some((name, [b':', value_part @ ..])) = line.split_at_checked(name_len) else {
            if name_len == 0 && line.starts_with(b"\r\n") {
                return Ok(line_at + 2);
            }
            return Err(name_error(line, line_at, name_len).shifted(base));
        };
        if name.is_empty() {
            return Err(name_error(line, line_at, name_len).shifted(base));
        }
        // Almost always exactly one SP before the value, and no SP, HTAB
        // or CR (an empty value, or a fold) after it.
        let mut value = match value_part {
            [b' ', tail @ ..] => tail,
            _ => value_part,
        };
        if value.first().is_some_and(|&b| b <= b' ') {
            value = skip_ows(value, allow_fold);
        }
        let mut scan = value;
        let line_end = loop {
            let Some((_, at_ctl)) = find_ctl(scan).and_then(|ctl| scan.split_at_checked(ctl))
            else {
                return Err(ProtocolError::new(
                    ErrorKind::MissingColon,
                    base + block.len(),
                ));
            };
            match at_ctl {
                [b'\r', b'\n', after @ ..] => {
                    if allow_fold && matches!(after, [b' ' | b'\t', ..]) {
                        scan = after;
                    } else {
                        break at_ctl;
                    }
                }
                [b'\t', after @ ..] => scan = after,
                _ => return Err(value_error(block.len() - at_ctl.len(), at_ctl).shifted(base)),
            }
        };
        let value_at = block.len() - value.len();
        let mut trimmed = value
            .get(..value.len() - line_end.len())
            .unwrap_or_default();
        // Trailing whitespace is rare: one test of the last byte.
        if trimmed.last().is_some_and(|&b| b <= b' ') {
            trimmed = trim_end(trimmed);
        }
        field(FieldLine {
            header: Header {
                name,
                value: trimmed,
            },
            name_offset: line_at,
            value_offset: value_at,
        })?;
        line = line_end.get(2..).unwrap_or_default();
    }
}

/// The error of a line of `name_len` name bytes not followed by a colon
/// (or with an empty name), which is not the empty line.
#[cold]
#[inline(never)]
fn name_error(line: &[u8], line_at: usize, name_len: usize) -> ProtocolError {
    let after_name = line.get(name_len..).unwrap_or_default();
    not_a_field(line_at, name_len, after_name)
        .unwrap_or(ProtocolError::new(ErrorKind::MissingColon, line_at))
}

/// `value` without leading OWS (and, with `allow_fold`, folds, which
/// are whitespace too: RFC 9112 5.2).
#[inline(never)]
fn skip_ows(mut value: &[u8], allow_fold: bool) -> &[u8] {
    loop {
        match value {
            [b' ' | b'\t', tail @ ..] => value = tail,
            [b'\r', b'\n', b' ' | b'\t', tail @ ..] if allow_fold => value = tail,
            _ => return value,
        }
    }
}

/// `value` without trailing OWS. Only an accepted fold can leave CRLF in
/// a value: it is trimmed like SP.
#[inline(never)]
fn trim_end(mut value: &[u8]) -> &[u8] {
    while let [rest @ .., b' ' | b'\t'] | [rest @ .., b'\r', b'\n'] = value {
        value = rest;
    }
    value
}

/// Iterator over the header fields of a parsed head, in the order received.
#[derive(Clone, PartialEq, Eq)]
pub struct Headers<'a> {
    cursor: FieldCursor<'a>,
}

impl<'a> Headers<'a> {
    /// Fields of a block that [`FieldCursor`] has already validated.
    pub(crate) const fn new(block: &'a [u8], allow_fold: bool) -> Self {
        Self {
            cursor: FieldCursor::new(block, allow_fold),
        }
    }

    /// The value of the first field named `name` (case-insensitive), if any.
    pub fn get(self, name: &str) -> Option<&'a [u8]> {
        let name = name.as_bytes();
        self.into_iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    }
}

impl<'a> Iterator for Headers<'a> {
    type Item = Header<'a>;

    fn next(&mut self) -> Option<Header<'a>> {
        // The block was validated when the head was parsed, so no error can
        // occur here; stopping on one keeps the iterator total regardless.
        self.cursor
            .next()
            .and_then(Result::ok)
            .map(|line| line.header)
    }
}

/// Iterates over the elements of a comma-separated list (`#rule` of RFC
/// 9110 5.6.1), trimmed, skipping empty elements, with the offset of each.
/// Whitespace includes CR and LF so that a folded value reads as if each
/// fold were a space.
pub(crate) const fn list_elements(value: &[u8]) -> ListElements<'_> {
    list_elements_at(value, 0)
}

/// [`list_elements`] with offsets from `at`, where `value` starts in the
/// caller's buffer (so no error needs shifting; the offsets stay within
/// the buffer, one past the value at most).
pub(crate) const fn list_elements_at(value: &[u8], at: usize) -> ListElements<'_> {
    ListElements {
        rest: value,
        offset: at,
    }
}

/// Iterator returned by [`list_elements`].
pub(crate) struct ListElements<'a> {
    rest: &'a [u8],
    offset: usize,
}

impl<'a> Iterator for ListElements<'a> {
    type Item = (usize, &'a [u8]);

    #[inline]
    fn next(&mut self) -> Option<(usize, &'a [u8])> {
        loop {
            if self.rest.is_empty() {
                return None;
            }
            let len = self
                .rest
                .iter()
                .position(|&b| b == b',')
                .unwrap_or(self.rest.len());
            let element = self.rest.get(..len).unwrap_or_default();
            let at = self.offset;
            // Past the comma (at the end, past the value: nothing).
            self.rest = self.rest.get(len + 1..).unwrap_or_default();
            self.offset += len + 1;
            let (lead, trimmed) = trim_class(element, LIST_SPACE);
            if !trimmed.is_empty() {
                return Some((at + lead, trimmed));
            }
        }
    }
}

/// Whitespace inside list values: OWS, plus the CRLF of an accepted fold
/// (the `LIST_SPACE` class; kept as the tests' definition of it).
#[cfg(test)]
pub(crate) const fn is_list_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(block: &[u8], fold: bool) -> Result<([(&[u8], &[u8]); 4], usize), ProtocolError> {
        let mut out: [(&[u8], &[u8]); 4] = [(b"", b""); 4];
        let mut n = 0;
        for field in FieldCursor::new(block, fold) {
            let field = field?;
            out[n] = (field.header.name, field.header.value);
            n += 1;
        }
        Ok((out, n))
    }

    /// The walk and the cursor agree on the same fields, the same end and
    /// the same error kind and offset: on every short block over a small
    /// alphabet that reaches each branch, and on longer pseudo-random ones.
    #[test]
    fn walk_agrees_with_the_cursor() {
        const ALPHABET: &[u8] = b"a:\r\n \t\x00(";
        for fold in [false, true] {
            for mut n in 0..ALPHABET.len().pow(5) {
                let mut block = [0u8; 5];
                for b in block.iter_mut() {
                    *b = ALPHABET[n % ALPHABET.len()];
                    n /= ALPHABET.len();
                }
                check_walk(&block, fold);
            }
            let mut seed = 0x2545_f491_4f6c_dd1d_u64;
            for _ in 0..20_000 {
                let mut block = [0u8; 40];
                for b in block.iter_mut() {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    // Mostly letters, so that lines are long enough for
                    // the block scans.
                    let pick = (seed % 24) as usize;
                    *b = ALPHABET.get(pick).copied().unwrap_or(b'a');
                }
                check_walk(&block, fold);
            }
            // Lines built from the pieces of values: folds and whitespace
            // at either end of a value, in the middle, and alone.
            const PIECES: &[&[u8]] = &[
                b"a:", b"a: ", b"b", b" ", b"\t", b"\r\n", b"\r\n ", b"\r\n\t", b"\r", b"\n",
                b"\x00",
            ];
            crate::testing::joined_pieces(PIECES, 0x9e37_79b9_7f4a_7c15, 12, 3, 7, |s| {
                let mut block = heapless::Vec::<u8, 64>::new();
                block.extend_from_slice(b"a:").unwrap();
                block.extend_from_slice(s).unwrap();
                block.extend_from_slice(b"\r\n\r\n").unwrap();
                check_walk(&block, fold);
            });
        }
    }

    fn check_walk(block: &[u8], fold: bool) {
        type Seen<'a> = heapless::Vec<(usize, usize, &'a [u8], &'a [u8]), 32>;
        fn seen(line: FieldLine<'_>) -> (usize, usize, &[u8], &[u8]) {
            let header = line.header;
            (
                line.name_offset,
                line.value_offset,
                header.name,
                header.value,
            )
        }
        let mut walked = Seen::new();
        let walk = walk_fields(block, 7, fold, |line| {
            walked.push(seen(line)).unwrap();
            Ok(())
        });
        let mut cursor = FieldCursor::new(block, fold);
        let mut read = Seen::new();
        let mut error = None;
        for line in cursor.by_ref() {
            match line {
                Ok(line) => read.push(seen(line)).unwrap(),
                Err(e) => {
                    error = Some(e.shifted(7));
                    break;
                }
            }
        }
        assert_eq!(walked, read, "{block:?} fold {fold}");
        // Built for size, the cursor's reader trims the value its own way.
        let mut small = Seen::new();
        let small_error = crate::testing::with_small(|| {
            for line in FieldCursor::new(block, fold) {
                match line {
                    Ok(line) => small.push(seen(line)).unwrap(),
                    Err(e) => return Some(e.shifted(7)),
                }
            }
            None
        });
        assert_eq!(
            (&small, small_error),
            (&read, error),
            "{block:?} fold {fold}"
        );
        match walk {
            Ok(end) => {
                assert_eq!(error, None, "{block:?} fold {fold}");
                assert_eq!(block.get(end - 2..end), Some(&b"\r\n"[..]), "{block:?}");
            }
            Err(e) => assert_eq!(Some(e), error, "{block:?} fold {fold}"),
        }
    }

    /// The classification of a line that is not a field line, as it was
    /// first written (one arm per case): the oracle for [`not_a_field`].
    fn not_a_field_reference(
        line_at: usize,
        name_len: usize,
        after_name: &[u8],
    ) -> Option<ProtocolError> {
        let kind = match (name_len, after_name) {
            (_, []) => ErrorKind::MissingColon,
            (0, [b'\r', b'\n', ..]) => return None,
            (0, [b':', ..]) => {
                return Some(ProtocolError::new(ErrorKind::InvalidHeaderName, line_at));
            }
            (0, [b' ' | b'\t', ..]) => ErrorKind::ObsFold,
            (_, [b' ' | b'\t', ..]) => ErrorKind::WhitespaceBeforeColon,
            (_, [b'\n', ..]) => ErrorKind::BareLf,
            (_, [b'\r', b'\n', ..]) => ErrorKind::MissingColon,
            (_, [b'\r', ..]) => ErrorKind::BareCr,
            _ => ErrorKind::InvalidHeaderName,
        };
        Some(ProtocolError::new(kind, line_at + name_len))
    }

    #[test]
    fn not_a_field_agrees_with_the_reference() {
        crate::testing::every_string(b"\r\n \t:a(", 3, |after| {
            for name_len in [0, 1, 4] {
                assert_eq!(
                    not_a_field(9, name_len, after),
                    not_a_field_reference(9, name_len, after),
                    "{name_len} {after:?}"
                );
            }
        });
    }

    #[test]
    fn splits_names_and_trimmed_values() {
        let (f, n) = fields(b"Host: a\r\nX-Empty:\r\nY:\t b c \t\r\n\r\n", false).unwrap();
        assert_eq!(n, 3);
        assert_eq!(f[0], (&b"Host"[..], &b"a"[..]));
        assert_eq!(f[1], (&b"X-Empty"[..], &b""[..]));
        assert_eq!(f[2], (&b"Y"[..], &b"b c"[..]));
    }

    #[test]
    fn strict_errors_carry_kind_and_offset() {
        let cases: &[(&[u8], ErrorKind, usize)] = &[
            (b"Host : a\r\n\r\n", ErrorKind::WhitespaceBeforeColon, 4),
            (b"Host\t: a\r\n\r\n", ErrorKind::WhitespaceBeforeColon, 4),
            (b": a\r\n\r\n", ErrorKind::InvalidHeaderName, 0),
            (b"Ho(st: a\r\n\r\n", ErrorKind::InvalidHeaderName, 2),
            (b"Host\r\n\r\n", ErrorKind::MissingColon, 4),
            (b"A: b\r\n c\r\n\r\n", ErrorKind::ObsFold, 6),
            (b"A: b\x00c\r\n\r\n", ErrorKind::InvalidHeaderValue, 4),
            (b"A: b\x7fc\r\n\r\n", ErrorKind::InvalidHeaderValue, 4),
            (b"A: b\rc\r\n\r\n", ErrorKind::BareCr, 4),
            (b"A: b\nc\r\n\r\n", ErrorKind::BareLf, 4),
        ];
        for &(block, kind, offset) in cases {
            assert_eq!(fields(block, false), Err(ProtocolError::new(kind, offset)));
        }
    }

    #[test]
    fn folds_are_kept_in_the_value_when_allowed() {
        let (f, n) = fields(b"A: b\r\n  c\r\nD: e\r\n\r\n", true).unwrap();
        assert_eq!(n, 2);
        assert_eq!(f[0], (&b"A"[..], &b"b\r\n  c"[..]));
        assert_eq!(f[1], (&b"D"[..], &b"e"[..]));
    }

    #[test]
    fn list_elements_skip_empty_ones() {
        let mut it = list_elements(b" a ,, b,\r\n c,");
        assert_eq!(it.next(), Some((1, &b"a"[..])));
        assert_eq!(it.next(), Some((6, &b"b"[..])));
        assert_eq!(it.next(), Some((11, &b"c"[..])));
        assert_eq!(it.next(), None);
    }
}
