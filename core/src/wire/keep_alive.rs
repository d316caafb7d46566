//! The `Keep-Alive` field: `timeout` and `max` hints from the peer
//! (RFC 2068 19.7.1.1, as sent by Apache httpd, nginx and others).
//!
//! Reading it never fails: parameters that are unknown, malformed or too
//! large are skipped, because the field is advice, not framing.

use super::chars::{LIST_SPACE, TCHAR, class_run, eq_lower, find_name, no_uppercase};

/// The parameters of a `Keep-Alive` field.
///
/// When several values name the same parameter (on one line or several),
/// the smallest valid one wins: the peer is held to its strictest promise,
/// and the result does not depend on the order of the parameters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct KeepAlive {
    /// `timeout=T`: seconds the peer keeps an idle connection open.
    pub timeout: Option<u32>,
    /// `max=M`: further requests the peer will accept on this connection
    /// (`max=0`: none).
    pub max: Option<u32>,
}

impl KeepAlive {
    /// No parameters.
    pub const fn new() -> Self {
        Self {
            timeout: None,
            max: None,
        }
    }

    /// These parameters with `timeout=secs`.
    #[must_use]
    pub const fn with_timeout(mut self, secs: u32) -> Self {
        self.timeout = Some(secs);
        self
    }

    /// These parameters with `max=requests`.
    #[must_use]
    pub const fn with_max(mut self, requests: u32) -> Self {
        self.max = Some(requests);
        self
    }

    /// Reads one `Keep-Alive` field value.
    pub fn parse(value: &[u8]) -> Self {
        let mut params = Self::new();
        params.add_value(value);
        params
    }

    /// Merges the parameters of one more `Keep-Alive` field value.
    pub fn add_value(&mut self, value: &[u8]) {
        // The common shape (`timeout=5, max=100`) without the general parser
        // (built for size, the general parser alone: the same result).
        if !crate::small()
            && let Some(params) = self.add_simple(value)
        {
            *self = params;
            return;
        }
        self.add_general(value);
    }

    /// Merges the parameters of a `Keep-Alive` value of any shape: a plain
    /// loop over `key [ "=" ( token / quoted-string ) ]` list elements.
    #[inline]
    fn add_general(&mut self, value: &[u8]) {
        let mut rest = value;
        while !rest.is_empty() {
            let element = skip_list_space(rest);
            // `key [ "=" ( token / quoted-string ) ]`, optional space around
            // `=`. (The run bounded as in `param_value`.)
            let (key, mut after) = element
                .split_at_checked(class_run(element, TCHAR).min(element.len()))
                .unwrap_or_default();
            let mut param = None;
            if let [b'=', v @ ..] = skip_list_space(after)
                && let Some((v, after_v)) = param_value(skip_list_space(v))
            {
                param = Some(v);
                after = after_v;
            }
            let tail = skip_list_space(after);
            // Either way `rest` ends up at a separator or the end.
            rest = match tail {
                [] | [b',' | b';', ..] if !key.is_empty() => {
                    self.add_parameter(key, param);
                    tail
                }
                // Not a parameter we can read: skip to the next separator.
                _ => skip_to_separator(element),
            };
            rest = rest.get(1..).unwrap_or_default();
        }
    }

    /// `self` with the parameters of `value` added, if `value` is a list of
    /// `timeout=DIGITS` and `max=DIGITS` separated by a comma and spaces;
    /// `None` (and nothing changed) for anything else. For such a value the
    /// general reader does exactly the same.
    #[inline]
    fn add_simple(&self, value: &[u8]) -> Option<Self> {
        let mut params = *self;
        let mut rest = value;
        loop {
            // The key and its `=` in one comparison.
            let (timeout, after) =
                match (rest.split_first_chunk::<8>(), rest.split_first_chunk::<4>()) {
                    (Some((key, after)), _) if eq_lower(key, b"timeout=") => (true, after),
                    (_, Some((key, after))) if eq_lower(key, b"max=") => (false, after),
                    _ => return None,
                };
            // The digits read and counted in one loop; a number above
            // `u32::MAX` saturates one past it and is ignored, as
            // `parse_u32` would.
            let mut number = 0u64;
            let mut digits = 0;
            for &b in after {
                let digit = b.wrapping_sub(b'0');
                if digit > 9 {
                    break;
                }
                number = (number * 10 + u64::from(digit)).min(1 << 32);
                digits += 1;
            }
            let after = after.get(digits..)?;
            if digits == 0 {
                return None;
            }
            if let Ok(n) = u32::try_from(number) {
                let slot = if timeout {
                    &mut params.timeout
                } else {
                    &mut params.max
                };
                *slot = Some(slot.map_or(n, |old| old.min(n)));
            }
            match after {
                [] => return Some(params),
                [b',', tail @ ..] => {
                    let spaces = tail.iter().take_while(|&&b| b == b' ').count();
                    rest = tail.get(spaces..)?;
                }
                _ => return None,
            }
        }
    }

    fn add_parameter(&mut self, key: &[u8], value: Option<&[u8]>) {
        const KEYS: &[u8] = b"\x07timeout\x03max";
        const _: () = assert!(no_uppercase(KEYS));
        let (slot, number) = match (value, find_name(key, KEYS)) {
            (Some(v), Some(0)) => (&mut self.timeout, v),
            (Some(v), Some(_)) => (&mut self.max, v),
            // The legacy form `Keep-Alive: 300` gives a bare timeout (any
            // other key without a value is no number: nothing changes).
            (None, _) => (&mut self.timeout, key),
            _ => return,
        };
        if let Some(n) = parse_u32(number) {
            *slot = Some(slot.map_or(n, |old| old.min(n)));
        }
    }
}

/// The value of a parameter at the start of `v`, a token or a quoted
/// string (what is between the quotes, escapes left as they are), and
/// what follows it; `None` if there is neither.
fn param_value(v: &[u8]) -> Option<(&[u8], &[u8])> {
    let [b'"', body @ ..] = v else {
        // A run is never longer than `v`: saying so lets the split go
        // unchecked (built for size, the run is counted out of line).
        return v
            .split_at_checked(class_run(v, TCHAR).min(v.len()))
            .filter(|(t, _)| !t.is_empty());
    };
    // A backslash takes the byte after it, whatever it is.
    let mut i = 0;
    loop {
        match body.get(i)? {
            b'"' => break,
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    let (inner, after) = body.split_at_checked(i)?;
    Some((inner, after.get(1..).unwrap_or_default()))
}

/// `s` from its first `,` or `;` on (empty if there is none).
fn skip_to_separator(s: &[u8]) -> &[u8] {
    let at = s.iter().position(|&b| b == b',' || b == b';');
    s.get(at.unwrap_or(s.len())..).unwrap_or_default()
}

fn skip_list_space(s: &[u8]) -> &[u8] {
    let n = class_run(s, LIST_SPACE);
    s.get(n..).unwrap_or_default()
}

/// A plain decimal `u32`: digits only, no sign, no overflow.
#[inline]
pub(crate) fn parse_u32(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() {
        return None;
    }
    // Nine digits cannot overflow: no checks per digit (built for size,
    // the checked loop alone: the same result).
    if digits.len() <= 9 && !crate::small() {
        return digits.iter().try_fold(0u32, |n, &d| {
            let digit = d.wrapping_sub(b'0');
            (digit <= 9).then(|| n * 10 + u32::from(digit))
        });
    }
    digits.iter().try_fold(0u32, |n, &d| {
        let digit = d.checked_sub(b'0').filter(|&d| d <= 9)?;
        n.checked_mul(10)?.checked_add(u32::from(digit))
    })
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::ToString;

    use super::*;

    /// The general reader as it was written with nom combinators before
    /// the plain loop: the oracle the loop is held to.
    mod reference {
        use nom::branch::alt;
        use nom::bytes::complete::{take_while, take_while1};
        use nom::combinator::opt;
        use nom::sequence::preceded;
        use nom::{IResult, Parser};

        use super::super::super::chars::is_tchar;
        use super::super::super::fields::is_list_space;
        use super::super::{KeepAlive, skip_list_space};

        type KeyValue<'a> = (&'a [u8], Option<&'a [u8]>);

        /// The general reader (no `add_simple` shortcut).
        pub(super) fn add_value(params: &mut KeepAlive, value: &[u8]) {
            let mut rest = value;
            while !rest.is_empty() {
                rest = skip_list_space(rest);
                match parameter(rest) {
                    Ok((after, (key, value))) if ends_parameter(after) => {
                        params.add_parameter(key, value);
                        rest = after;
                    }
                    _ => {
                        let skip = rest
                            .iter()
                            .position(|&b| is_separator(b))
                            .unwrap_or(rest.len());
                        rest = rest.get(skip..).unwrap_or_default();
                    }
                }
                rest = skip_list_space(rest);
                if let [b',' | b';', tail @ ..] = rest {
                    rest = tail;
                }
            }
        }

        /// `key [ "=" ( token / quoted-string ) ]`, with optional space around `=`.
        fn parameter(input: &[u8]) -> IResult<&[u8], KeyValue<'_>> {
            let space = || take_while(is_list_space);
            (
                take_while1(is_tchar),
                opt(preceded(
                    (space(), nom::character::complete::char('='), space()),
                    alt((quoted, token)),
                )),
            )
                .parse(input)
        }

        fn token(input: &[u8]) -> IResult<&[u8], &[u8]> {
            take_while1(is_tchar).parse(input)
        }

        /// A quoted string; returns what is between the quotes (escapes left as they are).
        fn quoted(input: &[u8]) -> IResult<&[u8], &[u8]> {
            let fail =
                || nom::Err::Error(nom::error::Error::new(input, nom::error::ErrorKind::Char));
            let [b'"', body @ ..] = input else {
                return Err(fail());
            };
            let mut escaped = false;
            for (i, &b) in body.iter().enumerate() {
                match (escaped, b) {
                    (false, b'"') => {
                        let (inner, after) = body.split_at_checked(i).unwrap_or((body, &[]));
                        return Ok((after.get(1..).unwrap_or_default(), inner));
                    }
                    (false, b'\\') => escaped = true,
                    _ => escaped = false,
                }
            }
            Err(fail())
        }

        fn ends_parameter(rest: &[u8]) -> bool {
            skip_list_space(rest)
                .first()
                .is_none_or(|&b| is_separator(b))
        }

        const fn is_separator(b: u8) -> bool {
            b == b',' || b == b';'
        }
    }

    /// The plain loop reads every value as the nom grammar did: every
    /// short value over an alphabet that reaches each branch, and longer
    /// ones built from the grammar's pieces.
    #[test]
    fn agrees_with_the_reference_grammar() {
        fn check(s: &[u8]) {
            let mut general = KeepAlive::new();
            general.add_general(s);
            let mut expected = KeepAlive::new();
            reference::add_value(&mut expected, s);
            assert_eq!(general, expected, "{:?}", s.escape_ascii().to_string());
            assert_eq!(
                KeepAlive::parse(s),
                expected,
                "{:?}",
                s.escape_ascii().to_string()
            );
        }
        const ALPHABET: &[u8] = b"a=\",; 1\\\rx";
        crate::testing::every_string(ALPHABET, 6, &mut check);
        const PIECES: &[&[u8]] = &[
            b"timeout",
            b"max",
            b"MAX",
            b"=",
            b" = ",
            b"5",
            b"300",
            b"4294967296",
            b"\"",
            b"\"7\"",
            b"\\",
            b",",
            b";",
            b" ",
            b"\t",
            b"\r\n ",
            b"foo",
            b"(",
            b"timeout=5",
        ];
        crate::testing::joined_pieces(PIECES, 0x2545_f491_4f6c_dd1d_u64, 10, 5, 13, check);
    }

    fn ka(timeout: Option<u32>, max: Option<u32>) -> KeepAlive {
        KeepAlive { timeout, max }
    }

    #[test]
    fn reads_timeout_and_max_in_every_common_form() {
        let cases: &[(&[u8], KeepAlive)] = &[
            (b"timeout=5, max=100", ka(Some(5), Some(100))),
            (b"max=100, timeout=5", ka(Some(5), Some(100))),
            (b"Timeout=5,MAX=100", ka(Some(5), Some(100))),
            (b"timeout = 5 , max = 0", ka(Some(5), Some(0))),
            (b"timeout=\"15\", max=\"3\"", ka(Some(15), Some(3))),
            (b"timeout=5; max=7", ka(Some(5), Some(7))),
            (b"300", ka(Some(300), None)),
            (b"timeout=5,max=100", ka(Some(5), Some(100))),
            (b"timeout=5,  max=100, timeout=3", ka(Some(3), Some(100))),
            (b"timeout=5, max=100,", ka(Some(5), Some(100))),
            (b"timeout=99999999999, max=1", ka(None, Some(1))),
            (b"timeout=5, foo=bar, max=9", ka(Some(5), Some(9))),
            (b"foo=\"a,b\", timeout=2", ka(Some(2), None)),
            (b"", ka(None, None)),
        ];
        for &(value, expected) in cases {
            assert_eq!(
                KeepAlive::parse(value),
                expected,
                "{:?}",
                core::str::from_utf8(value)
            );
        }
    }

    #[test]
    fn invalid_or_overflowing_values_are_ignored() {
        let cases: &[(&[u8], KeepAlive)] = &[
            (b"timeout=-1, max=5", ka(None, Some(5))),
            (b"timeout=4294967296, max=2", ka(None, Some(2))),
            (b"timeout=4294967295", ka(Some(u32::MAX), None)),
            (b"timeout=5s, max=+3", ka(None, None)),
            (b"timeout=, max", ka(None, None)),
            (b"timeout=\"5, max=3", ka(None, Some(3))),
            (b"= = ,,; timeout=1", ka(Some(1), None)),
            (b"timeouts=5, maximum=3", ka(None, None)),
        ];
        for &(value, expected) in cases {
            assert_eq!(
                KeepAlive::parse(value),
                expected,
                "{:?}",
                core::str::from_utf8(value)
            );
        }
    }

    #[test]
    fn repeated_parameters_keep_the_smallest() {
        let mut params = KeepAlive::parse(b"timeout=10, max=5");
        params.add_value(b"timeout=3, max=50");
        assert_eq!(params, ka(Some(3), Some(5)));
    }
}
