//! Finding where a head ends, incrementally.
//!
//! The scanner looks for the empty line that ends a head, from LF to LF,
//! eight bytes at a time, and checks on the way that every LF follows a CR
//! (so an LF-only peer is rejected at once, not when the head limit is hit).
//! It remembers how far it got, so a head that arrives in many small reads
//! is scanned once in total, not once per read.

use super::chars::{VECTOR, block_has, byte_marks, find_lf, first_marked, load_word, split_pair};
use crate::error::{ErrorKind, ProtocolError};

/// Where a complete head lies in the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct HeadBounds {
    /// First byte of the start line (after skipped leading empty lines).
    pub start: usize,
    /// One past the CRLF of the empty line that ends the head.
    pub end: usize,
}

/// Resumable search for the end of a head.
///
/// Feed it the same buffer, grown by each read, until it returns
/// `Ok(Some(bounds))`. Bytes already scanned are not scanned again. Handing it
/// a buffer shorter than before starts the scan over.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct HeadScanner {
    /// First byte of the start line: leading empty lines skipped so far
    /// are behind it.
    start: u32,
    /// The LF that ends the start line, once found (0 before).
    line_end: u32,
    /// Every byte before this one has been scanned. (Three `u32`s, 12
    /// bytes rather than 16, so a connection keeps its body credit beside
    /// a body decoder in the same space.)
    scanned: u32,
}

impl HeadScanner {
    /// A scanner at the beginning of a head.
    pub const fn new() -> Self {
        Self {
            start: 0,
            line_end: 0,
            scanned: 0,
        }
    }

    /// Whether nothing has been scanned yet.
    pub(crate) const fn is_fresh(&self) -> bool {
        self.scanned == 0 && self.start == 0
    }

    /// Scans `buf` for the end of a head no longer than `max_head_len` bytes.
    ///
    /// With `skip_empty_lines` (requests, RFC 9112 2.2), empty lines before
    /// the start line are skipped. Returns `Ok(None)` while the head is
    /// incomplete, and an error for a bare LF or a head that cannot fit.
    pub fn scan(
        &mut self,
        buf: &[u8],
        max_head_len: usize,
        skip_empty_lines: bool,
    ) -> Result<Option<HeadBounds>, ProtocolError> {
        let found = self.find_end(buf, max_head_len, skip_empty_lines)?;
        Ok(found.map(|(_, bounds)| bounds))
    }

    /// [`HeadScanner::scan`], and before the bounds where the LF that ends
    /// the start line is (0 if the first line is empty, which ends a
    /// response head at once): the start line is what lies before its CR.
    ///
    /// (That index first: the bounds' end then shares no word with the
    /// error's kind byte, where the optimiser splits a word into bytes to
    /// store and reassemble it.)
    #[inline]
    pub(crate) fn find_end(
        &mut self,
        buf: &[u8],
        max_head_len: usize,
        skip_empty_lines: bool,
    ) -> Result<Option<(usize, HeadBounds)>, ProtocolError> {
        // The start line never starts past the bytes scanned (both are
        // stored together, `start` at most the window's length), so a
        // shorter buffer is told by `scanned` alone.
        debug_assert!(self.start <= self.scanned);
        if self.scanned as usize > buf.len() {
            *self = Self::new();
        }
        let window = buf.get(..max_head_len.min(buf.len())).unwrap_or(buf);
        let mut start = self.start as usize;
        let mut line_end = self.line_end as usize;
        let mut from = self.scanned as usize;
        // Every LF must follow a CR. An empty line (its CR first in the
        // head or right after an LF) ends the head, unless it comes before
        // the start line and `skip_empty_lines` skips it.
        macro_rules! line_feed {
            ($lf:expr) => {{
                let lf: usize = $lf;
                // (An LF at 0 has no CR before it: the index wraps past
                // the window's end.)
                if window.get(lf.wrapping_sub(1)) != Some(&b'\r') {
                    return Err(ProtocolError::new(ErrorKind::BareLf, lf));
                }
                if lf == start + 1 || window.get(lf.wrapping_sub(2)) == Some(&b'\n') {
                    if !skip_empty_lines || line_end != 0 {
                        return Ok(Some((line_end, HeadBounds { start, end: lf + 1 })));
                    }
                    start = lf + 1;
                } else if line_end == 0 {
                    line_end = lf;
                }
            }};
        }
        // With vectors, sixteen bytes at a time while there is no LF (lines
        // are a few dozen bytes long); then, or without vectors, eight. The
        // LF marks are exact, so every LF of a word is handled without
        // loading it again.
        let mut rest = window.get(from..).unwrap_or_default();
        // Built for size, only the LF-to-LF loop below runs.
        if VECTOR && !crate::small() {
            while let Some((block, tail)) = rest.split_first_chunk::<16>() {
                if block_has(block, b'\n') {
                    let (first, second) = split_pair(block);
                    for (at, word) in [(from, first), (from + 8, second)] {
                        let mut marks = byte_marks(word, b'\n');
                        while marks != 0 {
                            line_feed!(at + first_marked(marks));
                            marks &= marks - 1;
                        }
                    }
                }
                from += 16;
                rest = tail;
            }
        }
        while !crate::small()
            && let Some(word) = load_word(window, from)
        {
            let mut marks = byte_marks(word, b'\n');
            while marks != 0 {
                line_feed!(from + first_marked(marks));
                marks &= marks - 1;
            }
            from += 8;
        }
        while let Some(lf) = window.get(from..).and_then(find_lf).map(|p| p + from) {
            line_feed!(lf);
            from = lf + 1;
        }
        self.start = to_u32(start);
        self.line_end = to_u32(line_end);
        self.scanned = to_u32(window.len());
        // A request whose start line began but did not end in the window
        // (a CR alone may still be the start of an empty line): more bytes
        // from `start` than a first CR.
        let lone_cr = usize::from(window.get(start) == Some(&b'\r'));
        let line_begun = window.len() > start + lone_cr;
        let request_line_open = skip_empty_lines && line_end == 0 && line_begun;
        incomplete(buf, max_head_len, request_line_open)
    }
}

/// `Ok(None)` if more bytes may still complete the head, else the error
/// for a head that would exceed `max_head_len`.
fn incomplete<T>(
    buf: &[u8],
    max_head_len: usize,
    request_line_open: bool,
) -> Result<Option<T>, ProtocolError> {
    if buf.len() < max_head_len {
        Ok(None)
    } else if request_line_open {
        Err(ProtocolError::new(
            ErrorKind::RequestLineTooLong,
            max_head_len,
        ))
    } else {
        Err(ProtocolError::new(ErrorKind::HeadTooLarge, max_head_len))
    }
}

/// Head lengths are bounded by `max_head_len`, which callers keep far below
/// 4 GiB; saturate rather than wrap if one does not.
fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::ToString;

    use super::*;

    fn scan_all(buf: &[u8], skip: bool) -> Result<Option<HeadBounds>, ProtocolError> {
        HeadScanner::new().scan(buf, 1024, skip)
    }

    #[test]
    fn finds_end_of_head() {
        let head = b"GET / HTTP/1.1\r\nHost: a\r\n\r\nbody";
        assert_eq!(
            scan_all(head, true),
            Ok(Some(HeadBounds { start: 0, end: 27 }))
        );
    }

    #[test]
    fn skips_leading_empty_lines_for_requests_only() {
        let head = b"\r\n\r\nGET / HTTP/1.1\r\n\r\n";
        assert_eq!(
            scan_all(head, true),
            Ok(Some(HeadBounds { start: 4, end: 22 }))
        );
        // A response with a leading empty line ends at once; the
        // start-line parser then rejects the empty head.
        assert_eq!(
            scan_all(head, false),
            Ok(Some(HeadBounds { start: 0, end: 2 }))
        );
    }

    #[test]
    fn bare_lf_is_an_error_with_its_offset() {
        let err = scan_all(b"GET / HTTP/1.1\nHost: a\n\n", true).unwrap_err();
        assert_eq!(err, ProtocolError::new(ErrorKind::BareLf, 14));
    }

    #[test]
    fn every_split_gives_partial_then_the_same_bounds() {
        let head = b"\r\nGET / HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\n";
        let whole = scan_all(head, true).unwrap().unwrap();
        for split in 0..head.len() {
            let mut scanner = HeadScanner::new();
            for len in 0..=split {
                assert_eq!(
                    scanner.scan(&head[..len], 1024, true),
                    Ok(None),
                    "len {len}"
                );
            }
            assert_eq!(
                scanner.scan(head, 1024, true),
                Ok(Some(whole)),
                "split {split}"
            );
        }
    }

    #[test]
    fn parse_request_and_response_resume_and_agree_with_parse() {
        use super::super::{ParseConfig, Parsed, RequestHead, ResponseHead};
        let config = ParseConfig::default();
        let request = b"\r\nGET /a HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nbody";
        let response = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nKeep-Alive: timeout=5\r\n\r\nbody";
        let bad = b"GET / HTTP/1.1\r\nHost: a\r\nX : y\r\n\r\n";
        for split in 0..request.len() {
            let mut scanner = HeadScanner::new();
            let mut last = None;
            for len in [split, request.len()] {
                last = Some(scanner.parse_request(&request[..len], &config));
            }
            assert_eq!(
                last,
                Some(RequestHead::parse(request, &config)),
                "split {split}"
            );
            assert!(scanner.is_fresh(), "split {split}");
        }
        for split in 0..response.len() {
            let mut scanner = HeadScanner::new();
            let mut last = None;
            for len in [split, response.len()] {
                last = Some(scanner.parse_response(&response[..len], &config));
            }
            assert_eq!(
                last,
                Some(ResponseHead::parse(response, &config)),
                "split {split}"
            );
        }
        for split in 0..bad.len() {
            let mut scanner = HeadScanner::new();
            let first = scanner.parse_request(&bad[..split], &config);
            assert_eq!(first, Ok(Parsed::Partial), "split {split}");
            assert_eq!(
                scanner.parse_request(bad, &config),
                RequestHead::parse(bad, &config),
                "split {split}"
            );
        }
        assert!(matches!(
            RequestHead::parse(bad, &config),
            Err(ProtocolError {
                kind: ErrorKind::WhitespaceBeforeColon,
                ..
            })
        ));
    }

    #[test]
    fn too_large_heads_are_rejected_with_the_right_kind() {
        let mut scanner = HeadScanner::new();
        let long_line = [b'a'; 64];
        assert_eq!(
            scanner.scan(&long_line, 64, true).unwrap_err().kind,
            ErrorKind::RequestLineTooLong
        );
        let mut head = [b'a'; 64];
        head[10] = b'\r';
        head[11] = b'\n';
        assert_eq!(
            HeadScanner::new().scan(&head, 64, true).unwrap_err().kind,
            ErrorKind::HeadTooLarge
        );
        assert_eq!(HeadScanner::new().scan(&head[..63], 64, true), Ok(None));
    }

    /// The scanner as it was before (leading empty lines skipped by a
    /// loop of their own, the line being scanned tracked by its start), a
    /// byte at a time: the oracle for the current one.
    #[derive(Default)]
    struct Reference {
        start: usize,
        line_start: usize,
        scanned: usize,
    }

    impl Reference {
        fn scan(
            &mut self,
            buf: &[u8],
            max_head_len: usize,
            skip_empty_lines: bool,
        ) -> Result<Option<HeadBounds>, ProtocolError> {
            if self.scanned.max(self.start) > buf.len() {
                *self = Self::default();
            }
            let window = &buf[..max_head_len.min(buf.len())];
            if self.scanned == 0 {
                let mut start = self.start;
                if skip_empty_lines {
                    loop {
                        match window.get(start..) {
                            Some([b'\r', b'\n', ..]) => start += 2,
                            Some([b'\n', ..]) => {
                                return Err(ProtocolError::new(ErrorKind::BareLf, start));
                            }
                            Some([b'\r']) | Some([]) | None => {
                                self.start = start;
                                return incomplete(buf, max_head_len, false);
                            }
                            Some(_) => break,
                        }
                    }
                }
                self.start = start;
                self.line_start = start;
                self.scanned = start;
            }
            let mut from = self.scanned;
            while let Some(lf) = window[from..].iter().position(|&b| b == b'\n') {
                let lf = lf + from;
                if lf == 0 || window[lf - 1] != b'\r' {
                    return Err(ProtocolError::new(ErrorKind::BareLf, lf));
                }
                if lf == self.line_start + 1 {
                    return Ok(Some(HeadBounds {
                        start: self.start,
                        end: lf + 1,
                    }));
                }
                self.line_start = lf + 1;
                from = lf + 1;
            }
            self.scanned = window.len();
            let request_line_open = skip_empty_lines && self.line_start == self.start;
            incomplete(buf, max_head_len, request_line_open)
        }
    }

    #[test]
    fn scans_agree_with_the_reference_in_split_reads() {
        // Both builds' loops; the prefix takes the strings past the word
        // and vector steps.
        let prefix = b"\r\n".repeat(9);
        for small in [false, true] {
            for prefix in [&b""[..], &prefix] {
                let check = || {
                    crate::testing::every_string(b"\r\nG", 8, |s| {
                        agrees_with_reference(&[prefix, s].concat());
                    })
                };
                if small {
                    crate::testing::with_small(check);
                } else {
                    check();
                }
            }
        }
    }

    /// `head`, read in three reads (the first ending anywhere, the second
    /// one byte later or at the end), scans as the reference scans it.
    fn agrees_with_reference(head: &[u8]) {
        for skip in [false, true] {
            for max_head_len in [3, 6, 24, 1024] {
                for first in 0..=head.len() {
                    for second in [first, first + 1, head.len()] {
                        let mut scanner = HeadScanner::new();
                        let mut reference = Reference::default();
                        for len in [first, second, head.len()] {
                            let len = len.min(head.len());
                            let found = scanner.find_end(&head[..len], max_head_len, skip);
                            let got = found.map(|found| found.map(|(_, bounds)| bounds));
                            let want = reference.scan(&head[..len], max_head_len, skip);
                            let context = || {
                                std::format!(
                                    "{:?} read to {len}, skip {skip}, max {max_head_len}",
                                    head.escape_ascii().to_string()
                                )
                            };
                            assert_eq!(got, want, "{}", context());
                            // The start line's LF is the first in the head
                            // (0 for an empty first line).
                            if let Ok(Some((line_end, bounds))) = found {
                                let lf = head[bounds.start..bounds.end]
                                    .iter()
                                    .position(|&b| b == b'\n')
                                    .map(|lf| bounds.start + lf)
                                    .filter(|&lf| lf != bounds.start + 1);
                                assert_eq!(line_end, lf.unwrap_or(0), "{}", context());
                            }
                            if got != Ok(None) {
                                break;
                            }
                        }
                    }
                }
            }
        }
    }
}
