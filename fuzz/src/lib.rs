//! Shared pieces of the h1conn fuzz targets.
//!
//! - [`r#gen`]: heads generated from `arbitrary` choices, with random casing,
//!   list forms, duplicates and whitespace, kept as their meaning (what was
//!   asked for) next to their bytes (how it was written);
//! - [`model`]: a small, obviously-correct reference model of the rules of
//!   design.md ("Persistence", "Message length") that reads the meaning of
//!   a generated head, never its bytes;
//! - [`drive`]: drivers that feed a [`h1conn::Connection`] and check its
//!   invariants, and owned summaries of its events so that runs can be
//!   compared.
//!
//! Targets panic (through `assert!`) on any violated invariant, which is
//! what libFuzzer reports as a crash.

pub mod drive;
pub mod r#gen;
pub mod heads;
pub mod model;

/// Bytes shown as text in assertion messages.
pub fn show(bytes: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(bytes))
}

/// Splits `data` at every `sep` byte: how the raw targets turn one input
/// into several field values (a seed file's lines become values).
pub fn split_values(data: &[u8], sep: u8) -> Vec<&[u8]> {
    data.split(|&b| b == sep).collect()
}

/// Whether `value` can be sent as a field value as it is: no control byte
/// but HTAB (so no CR or LF), and no leading or trailing whitespace, which
/// the field parser would trim.
pub fn is_plain_value(value: &[u8]) -> bool {
    value
        .iter()
        .all(|&b| b == b'\t' || (b >= 0x20 && b != 0x7f))
        && !value.first().is_some_and(|&b| b == b' ' || b == b'\t')
        && !value.last().is_some_and(|&b| b == b' ' || b == b'\t')
}

/// A few cut points inside `len` bytes that depend on nothing but `len`
/// and a cheap hash of the bytes, so a crash reproduces from its input.
pub fn cut_points(data: &[u8]) -> Vec<usize> {
    let len = data.len();
    if len < 2 {
        return Vec::new();
    }
    let hash = data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let mut cuts: Vec<usize> = (1..5).map(|i| i * len / 5).collect();
    cuts.push(1 + (hash as usize) % (len - 1));
    cuts.push(1 + ((hash >> 32) as usize) % (len - 1));
    cuts.sort_unstable();
    cuts.dedup();
    cuts.retain(|&c| c > 0 && c < len);
    cuts
}

/// The elements of a comma-separated list value (RFC 9110 5.6.1) with
/// their offsets: split at every comma, trimmed of SP, HTAB, CR and LF,
/// empty ones skipped. Written independently of the engine's reader.
pub fn list_elements(value: &[u8]) -> Vec<(usize, &[u8])> {
    let space = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let mut out = Vec::new();
    let mut start = 0;
    for piece in value.split(|&b| b == b',') {
        let lead = piece.iter().take_while(|b| space(b)).count();
        let trail = piece[lead..].iter().rev().take_while(|b| space(b)).count();
        let trimmed = &piece[lead..piece.len() - trail];
        if !trimmed.is_empty() {
            out.push((start + lead, trimmed));
        }
        start += piece.len() + 1;
    }
    out
}

/// Whether `s` is a token: one or more token characters.
pub fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| heads::is_tchar(b))
}
