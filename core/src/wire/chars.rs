//! Byte classes of RFC 9110/9112 as lookup tables, and a word-at-a-time scan
//! for control bytes in field values.

/// Bit of a byte class in [`CLASSES`]: `tchar` of RFC 9110 5.6.2.
pub(crate) const TCHAR: u8 = 1;
/// Bit of a byte class in [`CLASSES`]: a byte that stands for itself in a
/// `reg-name` of RFC 3986 (`unreserved / sub-delims`).
pub(crate) const REG_NAME: u8 = 2;
/// Bit of a byte class in [`CLASSES`]: `HEXDIG`.
pub(crate) const HEX: u8 = 4;
/// Bit of a byte class in [`CLASSES`]: `DIGIT`.
pub(crate) const DIGIT: u8 = 8;
/// Bit of a byte class in [`CLASSES`]: the tail of an `IPvFuture`
/// (`unreserved / sub-delims / ":"`).
pub(crate) const FUTURE: u8 = 16;
/// Bit of a byte class in [`CLASSES`]: a URI `scheme` byte after the
/// first (`ALPHA / DIGIT / "+" / "-" / "."`).
pub(crate) const SCHEME: u8 = 32;
/// Bit of a byte class in [`CLASSES`]: whitespace inside list values
/// (OWS, and the CR and LF of an accepted fold).
pub(crate) const LIST_SPACE: u8 = 64;
/// Bit of a byte class in [`CLASSES`]: optional whitespace (`OWS`: SP, HTAB).
pub(crate) const OWS: u8 = 128;

/// Adds `bit` to the bytes of `extra` in `table`, and with `alnum` to the
/// ASCII letters and digits.
// Evaluated at compile time: an out-of-range index would fail the build.
#[allow(clippy::indexing_slicing)]
const fn with(mut table: [u8; 256], bit: u8, alnum: bool, extra: &[u8]) -> [u8; 256] {
    let mut byte = 0;
    while byte < 256 {
        if alnum && (byte as u8).is_ascii_alphanumeric() {
            table[byte] |= bit;
        }
        byte += 1;
    }
    let mut i = 0;
    while i < extra.len() {
        table[extra[i] as usize] |= bit;
        i += 1;
    }
    table
}

/// The byte classes, one bit each, in one table: every character class
/// of the grammar is one look-up and one bit test, and one run-length
/// loop ([`class_len`]) serves them all.
const ALL_CLASSES: [u8; 256] = {
    let reg_name = b"-._~!$&'()*+,;=";
    let t = with([0; 256], TCHAR, true, b"!#$%&'*+-.^_`|~");
    let t = with(t, REG_NAME, true, reg_name);
    let t = with(t, HEX, false, b"0123456789abcdefABCDEF");
    let t = with(t, DIGIT, false, b"0123456789");
    let t = with(t, FUTURE, true, reg_name);
    let t = with(t, FUTURE, false, b":");
    let t = with(t, SCHEME, true, b"+-.");
    let t = with(t, LIST_SPACE, false, b" \t\r\n");
    with(t, OWS, false, b" \t")
};

/// The table as looked up. No class holds a byte above 0x7f, so built for
/// size only the ASCII half is kept (a byte past it is in no class); the
/// fast build keeps all 256 entries, so a look-up needs no range test.
#[cfg(not(h1conn_small))]
static CLASSES: [u8; 256] = ALL_CLASSES;
#[cfg(h1conn_small)]
#[allow(clippy::indexing_slicing)]
static CLASSES: [u8; 128] = {
    let mut half = [0; 128];
    let mut i = 0;
    while i < 128 {
        half[i] = ALL_CLASSES[i];
        i += 1;
    }
    half
};

/// Whether `b` is in the class `bit` of [`CLASSES`].
#[inline(always)]
pub(crate) fn is_class(b: u8, bit: u8) -> bool {
    // A u8 always indexes the 256-entry table; `get` keeps the lint quiet
    // and compiles to the same unchecked load (the 128-entry table of the
    // size build: one compare more).
    CLASSES.get(usize::from(b)).is_some_and(|&c| c & bit != 0)
}

/// Whether `b` may appear in a token (method, field name, list element).
#[inline(always)]
pub(crate) fn is_tchar(b: u8) -> bool {
    is_class(b, TCHAR)
}

/// Whether every byte of `s` is a token character and `s` is not empty.
#[inline]
pub(crate) fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && class_run(s, TCHAR) == s.len()
}

/// Control bytes as field values see them: everything below SP, and DEL.
/// HTAB is a control byte here too; callers treat it as allowed whitespace.
#[inline(always)]
pub(crate) const fn is_ctl(b: u8) -> bool {
    b < 0x20 || b == 0x7f
}

/// Optional whitespace (`OWS`): SP or HTAB (the [`OWS`] class; kept as
/// the tests' definition of it).
#[cfg(test)]
pub(crate) const fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

const LOW_BITS: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// Loads eight bytes of `s` from `at` as a little-endian word, if there are eight.
#[inline(always)]
pub(crate) fn load_word(s: &[u8], at: usize) -> Option<u64> {
    s.get(at..)?
        .first_chunk::<8>()
        .map(|b| u64::from_le_bytes(*b))
}

/// Sixteen bytes as two little-endian words.
#[inline(always)]
pub(crate) fn split_pair(pair: &[u8; 16]) -> (u64, u64) {
    let (first, second) = pair.split_at(8);
    let word = |b: &[u8]| <[u8; 8]>::try_from(b).map_or(0, u64::from_le_bytes);
    (word(first), word(second))
}

/// Whether the target has 128-bit vectors (SSE2, NEON, simd128). There,
/// scans test sixteen bytes at once with a fold that compiles to one vector
/// compare and a mask test; elsewhere they go a word at a time with the
/// zero-byte trick, which is smaller and faster without vectors.
pub(crate) const VECTOR: bool = cfg!(any(
    target_feature = "sse2",
    target_feature = "neon",
    target_feature = "simd128"
));

/// Whether `pred` holds for some byte of `block`, as a vector fold.
#[inline(always)]
fn fold_any(block: &[u8; 16], pred: impl Fn(u8) -> bool) -> bool {
    block.iter().fold(false, |any, &b| any | pred(b))
}

/// Whether `marks` marks some byte of either word of `block`.
#[inline(always)]
fn words_any(block: &[u8; 16], marks: impl Fn(u64) -> u64) -> bool {
    let (first, second) = split_pair(block);
    marks(first) | marks(second) != 0
}

/// Whether some byte of a 16-byte block is `byte`.
#[inline(always)]
pub(crate) fn block_has(block: &[u8; 16], byte: u8) -> bool {
    if VECTOR {
        fold_any(block, |b| b == byte)
    } else {
        words_any(block, |w| byte_marks(w, byte))
    }
}

/// Whether some byte of a 16-byte block is a control byte (HTAB included).
#[inline(always)]
pub(crate) fn block_has_ctl(block: &[u8; 16]) -> bool {
    if VECTOR {
        fold_any(block, is_ctl)
    } else {
        words_any(block, ctl_marks)
    }
}

/// Marks the control bytes of the little-endian word `w`: the high bit of
/// each byte below 0x20 or equal to DEL is set.
///
/// `(w - 0x20..) & !w` marks bytes below 0x20 (a borrow can only mark bytes
/// *above* a true match); `(w & 0x7f..) + 0x01..` carries into the high bit
/// exactly for 0x7f and 0xff, and `!w` leaves only DEL. The lowest mark is
/// therefore always exact, which is all [`first_marked`] needs.
#[inline(always)]
const fn ctl_marks(w: u64) -> u64 {
    (w.wrapping_sub(LOW_BITS * 0x20) | (w & LOW7).wrapping_add(LOW_BITS)) & !w & HIGH_BITS
}

/// Marks the bytes of `w` that are not visible ASCII (0x21..=0x7e): below
/// 0x21, DEL, or 0x80 and above. The lowest mark is exact.
#[inline(always)]
const fn non_vchar_marks(w: u64) -> u64 {
    (w.wrapping_sub(LOW_BITS * 0x21) | (w & LOW7).wrapping_add(LOW_BITS) | w) & HIGH_BITS
}

/// Marks exactly the zero bytes of `x` (no borrows: every mark is exact).
#[inline(always)]
const fn zero_marks(x: u64) -> u64 {
    !((x & LOW7).wrapping_add(LOW7) | x) & HIGH_BITS
}

/// Marks exactly the bytes of `w` equal to `byte`.
#[inline(always)]
pub(crate) const fn byte_marks(w: u64, byte: u8) -> u64 {
    zero_marks(w ^ (LOW_BITS * byte as u64))
}

/// Index of the lowest marked byte of a non-zero mark word.
#[inline(always)]
pub(crate) const fn first_marked(marks: u64) -> usize {
    (marks.trailing_zeros() / 8) as usize
}

/// Index of the first byte of `s`, at or after `from`, for which `marks`
/// marks a byte (eight at a time) and `is_match` holds (for the tail
/// shorter than a word).
#[inline(always)]
fn find_marked(
    s: &[u8],
    from: usize,
    marks: impl Fn(u64) -> u64,
    is_match: impl Fn(u8) -> bool,
) -> Option<usize> {
    let mut rest = s.get(from..)?;
    let mut at = from;
    while let Some((word, tail)) = rest.split_first_chunk::<8>() {
        let found = marks(u64::from_le_bytes(*word));
        if found != 0 {
            return Some(at + first_marked(found));
        }
        at += 8;
        rest = tail;
    }
    rest.iter().position(|&b| is_match(b)).map(|p| at + p)
}

/// Index of the first control byte (including HTAB) in `s`: sixteen bytes
/// at a time with vectors (one compare of the block, then the byte is
/// located in the word that holds it, without a further loop), else eight.
#[cfg_attr(not(h1conn_small), inline(always))]
pub(crate) fn find_ctl(s: &[u8]) -> Option<usize> {
    if crate::small() {
        return s.iter().position(|&b| is_ctl(b));
    }
    let mut rest = s;
    if VECTOR {
        // Two blocks per step: long values (cookies, user agents) pay
        // the loop's own instructions once per 32 bytes.
        while let Some((pair, tail)) = rest.split_first_chunk::<32>() {
            let (first, second) = split_blocks(pair);
            if block_has_ctl(first) {
                return Some(s.len() - rest.len() + ctl_in_block(first));
            }
            if block_has_ctl(second) {
                return Some(s.len() - rest.len() + 16 + ctl_in_block(second));
            }
            rest = tail;
        }
        if let Some((block, tail)) = rest.split_first_chunk::<16>() {
            if block_has_ctl(block) {
                return Some(s.len() - rest.len() + ctl_in_block(block));
            }
            rest = tail;
        }
    } else {
        while let Some((word, tail)) = rest.split_first_chunk::<8>() {
            let marks = ctl_marks(u64::from_le_bytes(*word));
            if marks != 0 {
                return Some(s.len() - rest.len() + first_marked(marks));
            }
            rest = tail;
        }
    }
    let at = s.len() - rest.len();
    // Fewer than sixteen bytes left (eight without vectors).
    if let Some((word, _)) = rest.split_first_chunk::<8>() {
        let marks = ctl_marks(u64::from_le_bytes(*word));
        if marks != 0 {
            return Some(at + first_marked(marks));
        }
        // The last eight bytes, overlapping the word just tested: it has
        // no control byte, so the lowest mark (always exact) is the first.
        let (_, last) = rest.split_last_chunk::<8>()?;
        let marks = ctl_marks(u64::from_le_bytes(*last));
        return (marks != 0).then(|| s.len() - 8 + first_marked(marks));
    }
    rest.iter().position(|&b| is_ctl(b)).map(|p| at + p)
}

/// The two 16-byte halves of a 32-byte block.
#[inline(always)]
fn split_blocks(pair: &[u8; 32]) -> (&[u8; 16], &[u8; 16]) {
    let (first, second) = pair.split_at(16);
    match (<&[u8; 16]>::try_from(first), <&[u8; 16]>::try_from(second)) {
        (Ok(first), Ok(second)) => (first, second),
        // Unreachable: 32 bytes split at 16.
        _ => (&[0; 16], &[0; 16]),
    }
}

/// Index of the first control byte of a block that has one.
#[inline(always)]
fn ctl_in_block(block: &[u8; 16]) -> usize {
    let (first, second) = split_pair(block);
    let marks = ctl_marks(first);
    if marks != 0 {
        first_marked(marks)
    } else {
        8 + first_marked(ctl_marks(second))
    }
}

/// Index of the first byte of `s` that is not visible ASCII, or `s.len()`.
#[inline]
pub(crate) fn vchar_len(s: &[u8]) -> usize {
    let is_vchar = |b: u8| (0x21..=0x7e).contains(&b);
    if crate::small() {
        return s.iter().position(|&b| !is_vchar(b)).unwrap_or(s.len());
    }
    find_marked(s, 0, non_vchar_marks, |b| !is_vchar(b)).unwrap_or(s.len())
}

/// Index of the first LF in `s`, eight bytes at a time.
///
/// Inlined into its callers: heads have a line every few dozen bytes, so a
/// call into a general-purpose `memchr` per line costs more than it saves.
#[cfg_attr(not(h1conn_small), inline(always))]
pub(crate) fn find_lf(s: &[u8]) -> Option<usize> {
    if crate::small() {
        return s.iter().position(|&b| b == b'\n');
    }
    find_marked(s, 0, |w| byte_marks(w, b'\n'), |b| b == b'\n')
}

/// Length of the run of token characters at the start of `s`.
#[inline(always)]
pub(crate) fn token_len(s: &[u8]) -> usize {
    class_len(s, TCHAR)
}

/// [`class_len`] as one plain loop, for the readers off the hot path
/// (lists, `Keep-Alive`, `Host` beyond a plain name, trimming): the fast
/// build keeps the unrolled loop where it pays, and built for size both
/// are the same one loop.
#[inline]
pub(crate) fn class_run(s: &[u8], bit: u8) -> usize {
    if crate::small() {
        return class_len(s, bit);
    }
    s.iter().position(|&b| !is_class(b, bit)).unwrap_or(s.len())
}

/// Length of the run of bytes of the class `bit` at the start of `s`.
#[cfg_attr(not(h1conn_small), inline(always))]
pub(crate) fn class_len(s: &[u8], bit: u8) -> usize {
    if crate::small() {
        return s.iter().position(|&b| !is_class(b, bit)).unwrap_or(s.len());
    }
    // Names are a dozen bytes on average: four look-ups per loop step,
    // each with its own exit, so the loop overhead is paid once per four.
    let is = |b: u8| is_class(b, bit);
    let mut len = 0;
    let mut rest = s;
    while let Some((&[a, b, c, d], tail)) = rest.split_first_chunk::<4>() {
        if !is(a) {
            return len;
        }
        if !is(b) {
            return len + 1;
        }
        if !is(c) {
            return len + 2;
        }
        if !is(d) {
            return len + 3;
        }
        len += 4;
        rest = tail;
    }
    len + rest.iter().position(|&b| !is(b)).unwrap_or(rest.len())
}

/// The bits that fold ASCII case in `lower`: 0x20 in every byte that is a
/// lowercase letter. For a constant `lower` this folds to a constant.
#[inline(always)]
const fn case_bits(lower: u64) -> u64 {
    let t = lower & LOW7;
    let at_least_a = t.wrapping_add(LOW_BITS * (0x80 - b'a' as u64));
    let above_z = t.wrapping_add(LOW_BITS * (0x7f - b'z' as u64));
    ((at_least_a & !above_z & !lower & HIGH_BITS) >> 2) & (LOW_BITS * 0x20)
}

/// Eight bytes of `s` and `lower` from `at` agree, ignoring ASCII case.
#[inline(always)]
fn word_eq_lower(s: &[u8], lower: &[u8], at: usize) -> bool {
    match (load_word(s, at), load_word(lower, at)) {
        (Some(a), Some(b)) => a | case_bits(b) == b,
        _ => false,
    }
}

/// Four bytes of `s` and `lower` from `at` agree, ignoring ASCII case.
#[inline(always)]
fn half_eq_lower(s: &[u8], lower: &[u8], at: usize) -> bool {
    let load = |t: &[u8]| {
        let bytes = t.get(at..)?.first_chunk::<4>()?;
        Some(u64::from(u32::from_le_bytes(*bytes)))
    };
    match (load(s), load(lower)) {
        (Some(a), Some(b)) => a | case_bits(b) == b,
        _ => false,
    }
}

/// `s.eq_ignore_ascii_case(lower)` for a `lower` without uppercase
/// letters, a word at a time: the case bit is ORed in exactly where
/// `lower` has a letter, so every other byte must match exactly.
#[cfg_attr(not(h1conn_small), inline(always))]
pub(crate) fn eq_lower(s: &[u8], lower: &[u8]) -> bool {
    if crate::small() {
        return s.eq_ignore_ascii_case(lower);
    }
    let n = lower.len();
    if s.len() != n {
        return false;
    }
    if n >= 8 {
        let mut at = 0;
        while at + 8 < n {
            if !word_eq_lower(s, lower, at) {
                return false;
            }
            at += 8;
        }
        word_eq_lower(s, lower, n - 8)
    } else if n >= 4 {
        half_eq_lower(s, lower, 0) && half_eq_lower(s, lower, n - 4)
    } else {
        s.eq_ignore_ascii_case(lower)
    }
}

/// The index of `name` (ignoring ASCII case) in `names`, a table of
/// lowercase names (see [`no_uppercase`]) each after its length in one
/// byte, if it is there: one loop for every small set of names (built for
/// size).
pub(crate) fn find_name(name: &[u8], names: &[u8]) -> Option<u8> {
    let mut rest = names;
    let mut index = 0;
    while let [len, tail @ ..] = rest {
        let (known, after) = tail.split_at_checked(usize::from(*len))?;
        // The table is lowercase: only `name` needs folding.
        if name.len() == known.len()
            && name
                .iter()
                .zip(known)
                .all(|(&b, &lower)| b.to_ascii_lowercase() == lower)
        {
            return Some(index);
        }
        rest = after;
        index += 1;
    }
    None
}

/// Whether `table` has no uppercase ASCII letter: what [`find_name`]
/// needs of its table (checked at compile time where a table is defined).
pub(crate) const fn no_uppercase(table: &[u8]) -> bool {
    let mut rest = table;
    while let [first, tail @ ..] = rest {
        if first.is_ascii_uppercase() {
            return false;
        }
        rest = tail;
    }
    true
}

/// `s` without leading and trailing OWS.
#[inline(always)]
pub(crate) fn trim_ows(s: &[u8]) -> &[u8] {
    trim_class(s, OWS).1
}

/// `s` without the bytes of the class `bit` at either end, and how many
/// were cut at the start.
pub(crate) fn trim_class(s: &[u8], bit: u8) -> (usize, &[u8]) {
    let lead = class_run(s, bit);
    let mut rest = s.get(lead..).unwrap_or_default();
    while let [head @ .., last] = rest
        && is_class(*last, bit)
    {
        rest = head;
    }
    (lead, rest)
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
                let expected = s
                    .iter()
                    .position(|&c| !(0x21..=0x7e).contains(&c))
                    .unwrap_or(19);
                assert_eq!(vchar_len(&s), expected, "byte {b:#x} at {pos}");
                let expected = s.iter().position(|&c| !is_tchar(c)).unwrap_or(19);
                assert_eq!(token_len(&s), expected, "byte {b:#x} at {pos}");
            }
        }
    }

    #[test]
    fn find_ctl_agrees_with_bytewise_scan_at_every_length() {
        for len in 0..70 {
            for pos in 0..=len {
                for b in [0u8, b'\t', b'\r', b'\n', 0x1f, 0x7f] {
                    let mut s = [b'a'; 70];
                    let s = &mut s[..len];
                    if pos < len {
                        s[pos] = b;
                        // A second control byte later must not be found first.
                        if pos + 3 < len {
                            s[pos + 3] = 0;
                        }
                    }
                    // Bytes that are not control bytes must not be found.
                    if pos > 0 {
                        s[pos - 1] = 0xff;
                    }
                    let expected = s.iter().position(|&c| is_ctl(c));
                    assert_eq!(find_ctl(s), expected, "len {len} pos {pos} byte {b:#x}");
                }
            }
        }
    }

    #[test]
    fn block_tests_agree_with_bytewise_tests() {
        for b in 0..=255u8 {
            for pos in 0..16 {
                let mut block = [b'a'; 16];
                block[pos] = b;
                for byte in [b'\n', b'a', b'\r', 0, 0xff] {
                    let expected = block.contains(&byte);
                    assert_eq!(block_has(&block, byte), expected);
                    assert_eq!(fold_any(&block, |c| c == byte), expected);
                    assert_eq!(words_any(&block, |w| byte_marks(w, byte)), expected);
                }
                let expected = block.iter().any(|&c| is_ctl(c));
                assert_eq!(block_has_ctl(&block), expected, "byte {b:#x} at {pos}");
                assert_eq!(fold_any(&block, is_ctl), expected);
                assert_eq!(words_any(&block, ctl_marks), expected);
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
    fn word_compare_agrees_with_eq_ignore_ascii_case() {
        let names: &[&[u8]] = &[
            b"host",
            b"keep-alive",
            b"content-length",
            b"transfer-encoding",
            b"100-continue",
            b"ab",
            b"x-1234567",
        ];
        for &lower in names {
            let mut s = [0u8; 17];
            let s = &mut s[..lower.len()];
            s.copy_from_slice(lower);
            assert!(eq_lower(s, lower));
            for i in 0..s.len() {
                for b in 0..=255u8 {
                    let mut t = [0u8; 17];
                    let t = &mut t[..lower.len()];
                    t.copy_from_slice(lower);
                    t[i] = b;
                    assert_eq!(eq_lower(t, lower), t.eq_ignore_ascii_case(lower));
                }
            }
            assert!(!eq_lower(&s[1..], lower));
        }
    }

    #[test]
    fn byte_marks_are_exact() {
        for b in 0..=255u8 {
            for pos in 0..8 {
                let mut s = [b'\n'; 8];
                s[pos] = b;
                let marks = byte_marks(u64::from_le_bytes(s), b'\n');
                for (i, &c) in s.iter().enumerate() {
                    assert_eq!(marks >> (8 * i + 7) & 1 == 1, c == b'\n');
                }
            }
        }
    }

    #[test]
    fn token_scheme_and_list_space_classes_are_the_grammar_sets() {
        for b in 0..=255u8 {
            let tchar = b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
            assert_eq!(is_class(b, TCHAR), tchar, "{b:#x}");
            let scheme = b.is_ascii_alphanumeric() || b"+-.".contains(&b);
            assert_eq!(is_class(b, SCHEME), scheme, "{b:#x}");
            let list_space = super::super::fields::is_list_space(b);
            assert_eq!(is_class(b, LIST_SPACE), list_space, "{b:#x}");
            assert_eq!(is_class(b, OWS), is_ows(b), "{b:#x}");
        }
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
    fn names_are_found_whole_ignoring_case() {
        let names = b"\x04host\x00\x07chunked";
        assert_eq!(find_name(b"Host", names), Some(0));
        assert_eq!(find_name(b"", names), Some(1));
        assert_eq!(find_name(b"CHUNKED", names), Some(2));
        assert_eq!(find_name(b"chunk", names), None);
        assert_eq!(find_name(b"hosts", names), None);
        // A length past the end of the table ends the search.
        assert_eq!(find_name(b"a", b"\x09a"), None);
        assert!(no_uppercase(names));
        assert!(!no_uppercase(b"\x04Host"));
    }

    #[test]
    fn trims_only_ows() {
        assert_eq!(trim_ows(b" \t a b \t"), b"a b");
        assert_eq!(trim_ows(b"   "), b"");
        assert_eq!(trim_ows(b""), b"");
        assert_eq!(trim_class(b" \r\n a b\r\n", LIST_SPACE), (4, &b"a b"[..]));
    }
}
