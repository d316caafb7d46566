//! Byte classes of RFC 9110/9112 as lookup tables, and a word-at-a-time scan
//! for control bytes in field values.

/// `tchar` of RFC 9110 5.6.2, as a 256-entry table.
// Evaluated at compile time: an out-of-range index would fail the build.
#[allow(clippy::indexing_slicing)]
static TCHAR: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table[byte] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            );
        byte += 1;
    }
    table
};

/// Whether `b` may appear in a token (method, field name, list element).
#[inline(always)]
pub(crate) fn is_tchar(b: u8) -> bool {
    // A u8 always indexes a 256-entry table; `get` keeps the lint quiet and
    // compiles to the same unchecked load.
    TCHAR.get(usize::from(b)).copied().unwrap_or(false)
}

/// Whether every byte of `s` is a token character and `s` is not empty.
#[inline]
pub(crate) fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_tchar(b))
}

/// Control bytes as field values see them: everything below SP, and DEL.
/// HTAB is a control byte here too; callers treat it as allowed whitespace.
#[inline(always)]
pub(crate) const fn is_ctl(b: u8) -> bool {
    b < 0x20 || b == 0x7f
}

/// Optional whitespace (`OWS`): SP or HTAB.
#[inline(always)]
pub(crate) const fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

const LOW_BITS: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// Marks the control bytes of the little-endian word `w`: the high bit of
/// each byte below 0x20 or equal to DEL is set.
///
/// `(w - 0x20..) & !w & 0x80..` marks bytes below 0x20 (bytes >= 0x80 are
/// masked by `!w`); XOR with DEL turns DEL into zero, marked the same way.
/// A borrow can only mark bytes *above* a true match, so the lowest mark is
/// always exact, which is all [`first_marked`] needs.
#[inline(always)]
const fn ctl_marks(w: u64) -> u64 {
    let below_space = w.wrapping_sub(LOW_BITS * 0x20) & !w & HIGH_BITS;
    let del = w ^ (LOW_BITS * 0x7f);
    let is_del = del.wrapping_sub(LOW_BITS) & !del & HIGH_BITS;
    below_space | is_del
}

/// Marks the bytes of `w` equal to the byte repeated in `pattern` (lowest mark exact).
#[inline(always)]
const fn byte_marks(w: u64, pattern: u64) -> u64 {
    let x = w ^ pattern;
    x.wrapping_sub(LOW_BITS) & !x & HIGH_BITS
}

/// Index of the lowest marked byte of a non-zero mark word.
#[inline(always)]
const fn first_marked(marks: u64) -> usize {
    (marks.trailing_zeros() / 8) as usize
}

/// Index of the first byte of `s` for which `marks` marks a byte (eight at a
/// time) and `is_match` holds (for the tail shorter than a word).
#[inline(always)]
fn find_marked(
    s: &[u8],
    marks: impl Fn(u64) -> u64,
    is_match: impl Fn(u8) -> bool,
) -> Option<usize> {
    let mut chunks = s.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let word = match <[u8; 8]>::try_from(chunk) {
            Ok(bytes) => u64::from_le_bytes(bytes),
            Err(_) => break,
        };
        let found = marks(word);
        if found != 0 {
            return Some(base + first_marked(found));
        }
        base += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| is_match(b))
        .map(|p| base + p)
}

/// Index of the first control byte (including HTAB) in `s`, eight bytes at a time.
#[inline(always)]
pub(crate) fn find_ctl(s: &[u8]) -> Option<usize> {
    find_marked(s, ctl_marks, is_ctl)
}

/// Index of the first LF in `s`, eight bytes at a time.
///
/// Inlined into its callers: heads have a line every few dozen bytes, so a
/// call into a general-purpose `memchr` per line costs more than it saves.
#[inline(always)]
pub(crate) fn find_lf(s: &[u8]) -> Option<usize> {
    find_marked(
        s,
        |w| byte_marks(w, LOW_BITS * u64::from(b'\n')),
        |b| b == b'\n',
    )
}

/// `s` without leading and trailing OWS.
#[inline]
pub(crate) fn trim_ows(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_ows(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|&b| !is_ows(b)).map_or(start, |p| p + 1);
    s.get(start..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_scan_agrees_with_bytewise_scan() {
        for b in 0..=255u8 {
            for pos in 0..19 {
                let mut s = [b'a'; 19];
                s[pos] = b;
                let expected = s.iter().position(|&c| is_ctl(c));
                assert_eq!(find_ctl(&s), expected, "byte {b:#x} at {pos}");
            }
        }
    }

    #[test]
    fn word_scan_finds_the_first_lf() {
        for pos in 0..19 {
            let mut s = [b'\r'; 19];
            s[pos] = b'\n';
            if pos + 3 < 19 {
                s[pos + 3] = b'\n';
            }
            assert_eq!(find_lf(&s), Some(pos));
        }
        assert_eq!(find_lf(b"no line feed here at all"), None);
    }

    #[test]
    fn tokens() {
        assert!(is_token(b"keep-alive"));
        assert!(is_token(b"X_Custom~!"));
        assert!(!is_token(b""));
        assert!(!is_token(b"a b"));
        assert!(!is_token(b"a,b"));
        assert!(!is_token(b"caf\xc3\xa9"));
    }

    #[test]
    fn trims_only_ows() {
        assert_eq!(trim_ows(b" \t a b \t"), b"a b");
        assert_eq!(trim_ows(b"   "), b"");
        assert_eq!(trim_ows(b""), b"");
    }
}
