//! `Host` values and CONNECT targets: `uri-host [ ":" port ]` (RFC 9112
//! 3.2, RFC 3986 3.2.2), where `uri-host = IP-literal / IPv4address /
//! reg-name`. An IPv4 address is a valid reg-name, so it needs no rule of
//! its own.

use super::chars::{DIGIT, FUTURE, HEX, REG_NAME, class_len, class_run};

/// Checks `value` as `uri-host [ ":" port ]`, or as `uri-host ":" port`
/// with a non-empty port when `port_required` (authority-form).
///
/// Returns the offset of the first byte that breaks the grammar (the
/// length of `value` when it ends too early).
///
/// Every character class is a bit of one table, and every run of a class
/// one call of [`class_len`]: the grammar is a few short branches around
/// the same loop (small in flash; `Host` values are almost always plain
/// reg-names, which the fast build checks inline before calling this).
pub(crate) fn check_authority(value: &[u8], port_required: bool) -> Result<(), usize> {
    let host_len = match value {
        [b'[', rest @ ..] => {
            let close = rest.iter().position(|&b| b == b']').ok_or(value.len())?;
            let literal = rest.get(..close).unwrap_or_default();
            check_ip_literal(literal).map_err(|at| at + 1)?;
            close + 2
        }
        _ => reg_name_len(value)?,
    };
    match value.get(host_len) {
        Some(b':') => {}
        None if !port_required => return Ok(()),
        _ => return Err(host_len),
    }
    // The port: digits to the end (at least one in authority-form, else
    // the error is where one should be: the end).
    let end = run(value, host_len + 1, DIGIT);
    if end < value.len() || (port_required && end == host_len + 1) {
        Err(end)
    } else {
        Ok(())
    }
}

/// Whether `value` is a `reg-name` without `%` and without a port, the
/// common `Host` value (`example.com`): one run of table look-ups, inlined
/// where `Host` is read; anything else goes to [`check_authority`].
#[inline(always)]
pub(crate) fn is_plain_reg_name(value: &[u8]) -> bool {
    class_len(value, REG_NAME) == value.len()
}

/// Where the run of bytes of the class `bit` that starts at `at` in `s` ends.
fn run(s: &[u8], at: usize, bit: u8) -> usize {
    at + class_run(s.get(at..).unwrap_or_default(), bit)
}

/// The length of the `reg-name` at the start of `s`:
/// `*( unreserved / pct-encoded / sub-delims )`. A `%` not followed by two
/// hex digits is an error at the `%`.
fn reg_name_len(s: &[u8]) -> Result<usize, usize> {
    let mut at = 0;
    loop {
        at = run(s, at, REG_NAME);
        match s.get(at..).unwrap_or_default() {
            [b'%', ..] if run(s, at + 1, HEX) < at + 3 => return Err(at),
            [b'%', ..] => at += 3,
            _ => return Ok(at),
        }
    }
}

/// The inside of `[...]`: `IPv6address / IPvFuture`. Errors are offsets
/// in `s`.
fn check_ip_literal(s: &[u8]) -> Result<(), usize> {
    let [b'v' | b'V', ..] = s else {
        return check_ipv6(s);
    };
    // IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
    let dot = run(s, 1, HEX);
    if dot == 1 || s.get(dot) != Some(&b'.') {
        return Err(dot);
    }
    // At least one byte after the dot (else the error is at the end).
    let end = run(s, dot + 1, FUTURE);
    if end == dot + 1 || end < s.len() {
        Err(end)
    } else {
        Ok(())
    }
}

/// An IPv6 address (RFC 3986 3.2.2): eight groups of 1-4 hex digits, or
/// fewer with one `::`, the last two groups possibly written as IPv4.
fn check_ipv6(s: &[u8]) -> Result<(), usize> {
    let mut groups = 0u8;
    let mut elided = false;
    let mut at = 0;
    while at < s.len() {
        // A group, except where the address starts with its separator
        // (which must then be `::`).
        if at > 0 || s.first() != Some(&b':') {
            let end = run(s, at, HEX);
            if s.get(end) == Some(&b'.') {
                // An IPv4 tail counts as two groups and ends the address.
                check_ipv4(s, at)?;
                groups += 2;
                break;
            }
            if end == at || end > at + 4 {
                return Err(end.min(at + 4));
            }
            if groups >= 8 - u8::from(elided) {
                return Err(at);
            }
            groups += 1;
            at = end;
        }
        match s.get(at..).unwrap_or_default() {
            [] => break,
            [b':', b':', ..] if !elided => {
                elided = true;
                at += 2;
            }
            // A single `:` only between groups.
            [b':', next, ..] if *next != b':' && at > 0 => at += 1,
            _ => return Err(at),
        }
    }
    let fits = if elided { groups <= 7 } else { groups == 8 };
    if fits { Ok(()) } else { Err(s.len()) }
}

/// `dec-octet "." dec-octet "." dec-octet "." dec-octet` at `at` to the
/// end of `s`, each 0-255 without leading zeros. Errors are offsets in `s`.
fn check_ipv4(s: &[u8], mut at: usize) -> Result<(), usize> {
    for octet in 0..4 {
        if octet > 0 {
            if s.get(at) != Some(&b'.') {
                return Err(at);
            }
            at += 1;
        }
        let end = run(s, at, DIGIT);
        // One to three digits, no leading zero, at most 255: compared as
        // text, three digits against "255".
        let ok = match s.get(at..end).unwrap_or_default() {
            [_] => true,
            [b'0', ..] => false,
            [_, _] => true,
            &[a, b, c] => {
                u32::from_be_bytes([0, a, b, c]) <= u32::from_be_bytes([0, b'2', b'5', b'5'])
            }
            _ => false,
        };
        if !ok {
            return Err(at);
        }
        at = end;
    }
    if at == s.len() { Ok(()) } else { Err(at) }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::ToString;

    use super::super::chars::is_class;
    use super::*;

    /// The grammar as it was written before the class-table version
    /// (plain iterator loops per rule): the oracle for the offsets.
    mod reference {
        pub(super) fn check_authority(value: &[u8], port_required: bool) -> Result<(), usize> {
            let host_len = match value {
                [b'[', rest @ ..] => {
                    let close = rest.iter().position(|&b| b == b']').ok_or(value.len())?;
                    let literal = rest.get(..close).unwrap_or_default();
                    check_ip_literal(literal).map_err(|at| at + 1)?;
                    close + 2
                }
                _ => reg_name_len(value)?,
            };
            match value.get(host_len..).unwrap_or_default() {
                [] if port_required => Err(host_len),
                [] => Ok(()),
                [b':', port @ ..] => {
                    if port_required && port.is_empty() {
                        return Err(value.len());
                    }
                    match port.iter().position(|b| !b.is_ascii_digit()) {
                        Some(i) => Err(host_len + 1 + i),
                        None => Ok(()),
                    }
                }
                _ => Err(host_len),
            }
        }

        /// The length of the `reg-name` at the start of `s`:
        /// `*( unreserved / pct-encoded / sub-delims )`. A `%` not followed by two
        /// hex digits is an error at the `%`.
        fn reg_name_len(s: &[u8]) -> Result<usize, usize> {
            // One table look-up per byte on one slice cursor: host names are read
            // on every request, on the hot path of head parsing.
            let mut rest = s;
            loop {
                let run = rest
                    .iter()
                    .position(|&b| !is_reg_name_char(b))
                    .unwrap_or(rest.len());
                rest = rest.get(run..).unwrap_or_default();
                match rest {
                    [b'%', h, l, after @ ..] if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                        rest = after;
                    }
                    [b'%', ..] => return Err(s.len() - rest.len()),
                    _ => return Ok(s.len() - rest.len()),
                }
            }
        }

        /// Whether `b` may appear as itself in a reg-name.
        #[inline(always)]
        fn is_reg_name_char(b: u8) -> bool {
            super::super::super::chars::is_class(b, super::super::super::chars::REG_NAME)
        }

        /// The inside of `[...]`: `IPv6address / IPvFuture`. Errors are offsets
        /// in `s`.
        fn check_ip_literal(s: &[u8]) -> Result<(), usize> {
            match s {
                // IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ),
                // and the reg-name class is exactly unreserved / sub-delims.
                [b'v' | b'V', rest @ ..] => {
                    let digits = rest.iter().take_while(|b| b.is_ascii_hexdigit()).count();
                    if digits == 0 || rest.get(digits) != Some(&b'.') {
                        return Err(1 + digits);
                    }
                    let tail = rest.get(digits + 1..).unwrap_or_default();
                    if tail.is_empty() {
                        return Err(s.len());
                    }
                    match tail
                        .iter()
                        .position(|&b| !(is_reg_name_char(b) || b == b':'))
                    {
                        Some(i) => Err(digits + 2 + i),
                        None => Ok(()),
                    }
                }
                _ => check_ipv6(s),
            }
        }

        /// An IPv6 address (RFC 3986 3.2.2): eight groups of 1-4 hex digits, or
        /// fewer with one `::`, the last two groups possibly written as IPv4.
        fn check_ipv6(s: &[u8]) -> Result<(), usize> {
            let mut groups = 0u8;
            let mut elided = false;
            let mut at = 0;
            if s.starts_with(b"::") {
                elided = true;
                at = 2;
            } else if s.first() == Some(&b':') {
                return Err(0);
            }
            while at < s.len() {
                let rest = s.get(at..).unwrap_or_default();
                let digits = rest.iter().take_while(|b| b.is_ascii_hexdigit()).count();
                if rest.get(digits) == Some(&b'.') {
                    // An IPv4 tail counts as two groups and ends the address.
                    check_ipv4(rest).map_err(|i| at + i)?;
                    groups += 2;
                    break;
                }
                if digits == 0 || digits > 4 {
                    return Err(at + digits.min(4));
                }
                if groups >= if elided { 7 } else { 8 } {
                    return Err(at);
                }
                groups += 1;
                at += digits;
                match s.get(at..).unwrap_or_default() {
                    [] => break,
                    [b':', b':', ..] if !elided => {
                        elided = true;
                        at += 2;
                    }
                    [b':', next, ..] if *next != b':' => at += 1,
                    _ => return Err(at),
                }
            }
            let fits = if elided { groups <= 7 } else { groups == 8 };
            if fits { Ok(()) } else { Err(s.len()) }
        }

        /// `dec-octet "." dec-octet "." dec-octet "." dec-octet`, each 0-255
        /// without leading zeros.
        fn check_ipv4(s: &[u8]) -> Result<(), usize> {
            let mut at = 0;
            for i in 0..4 {
                if i > 0 {
                    if s.get(at) != Some(&b'.') {
                        return Err(at);
                    }
                    at += 1;
                }
                let rest = s.get(at..).unwrap_or_default();
                let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
                let octet = rest.get(..digits).unwrap_or_default();
                let value = octet.iter().fold(0u32, |n, &d| {
                    n.saturating_mul(10)
                        .saturating_add(u32::from(d.wrapping_sub(b'0')))
                });
                if digits == 0
                    || digits > 3
                    || value > 255
                    || (digits > 1 && octet.first() == Some(&b'0'))
                {
                    return Err(at);
                }
                at += digits;
            }
            if at == s.len() { Ok(()) } else { Err(at) }
        }
    }

    /// The class-table grammar gives the same result and offset as the
    /// reference on every short string over an alphabet that reaches each
    /// branch, and on longer strings built from the rules' pieces.
    #[test]
    fn agrees_with_the_reference_grammar() {
        fn check(s: &[u8]) {
            for port_required in [false, true] {
                assert_eq!(
                    check_authority(s, port_required),
                    reference::check_authority(s, port_required),
                    "{:?} {port_required}",
                    s.escape_ascii().to_string()
                );
            }
        }
        const ALPHABET: &[u8] = b"[]:.v10259af%@";
        crate::testing::every_string(ALPHABET, 5, &mut check);
        const PIECES: &[&[u8]] = &[
            b"[",
            b"]",
            b":",
            b"::",
            b".",
            b"ffff",
            b"12345",
            b"1",
            b"0",
            b"00",
            b"255",
            b"256",
            b"199",
            b"1.2.3.4",
            b"v1.",
            b"V",
            b"%41",
            b"%4",
            b"%",
            b"a",
            b"!",
            b"example.org",
            b"80",
            b"\xff",
            b" ",
        ];
        crate::testing::joined_pieces(PIECES, 0x9e37_79b9_7f4a_7c15_u64, 12, 7, 11, check);
    }

    #[test]
    fn host_classes_are_the_rfc_3986_sets() {
        for b in 0..=255u8 {
            let unreserved = b.is_ascii_alphanumeric() || b"-._~".contains(&b);
            let sub_delim = b"!$&'()*+,;=".contains(&b);
            assert_eq!(is_class(b, REG_NAME), unreserved || sub_delim, "{b:#x}");
            let future = unreserved || sub_delim || b == b':';
            assert_eq!(is_class(b, FUTURE), future, "{b:#x}");
            assert_eq!(is_class(b, HEX), b.is_ascii_hexdigit(), "{b:#x}");
            assert_eq!(is_class(b, DIGIT), b.is_ascii_digit(), "{b:#x}");
        }
    }

    #[test]
    fn valid_hosts() {
        for host in [
            &b""[..],
            b"a",
            b"example.com",
            b"example.com:8080",
            b"example.com:",
            b"127.0.0.1:80",
            b"xn--bcher-kva.example",
            b"a%20b",
            b"!$&'()*+,;=-._~",
            b"[::1]",
            b"[::1]:443",
            b"[2001:db8::8a2e:370:7334]",
            b"[1:2:3:4:5:6:7:8]",
            b"[::ffff:192.0.2.1]",
            b"[1::]",
            b"[v1.fe80::a+en1]",
        ] {
            assert_eq!(check_authority(host, false), Ok(()), "{host:?}");
        }
    }

    #[test]
    fn invalid_hosts_with_offsets() {
        let cases: &[(&[u8], usize)] = &[
            (b"a b", 1),
            (b"a/b", 1),
            (b"user@evil", 4),
            (b"[::1", 4),
            (b"[::1]x", 5),
            (b"a:8o", 3),
            (b"a:b:c", 2),
            (b"%zz", 0),
            (b"a%2", 1),
            (b"[1:2:3:4:5:6:7:8:9]", 17),
            (b"[1:2]", 4),
            (b"[:1::]", 1),
            (b"[1:::2]", 4),
            (b"[1::2::3]", 5),
            (b"[12345::]", 5),
            (b"[::1.2.3.256]", 9),
            (b"[g::]", 1),
            (b"[v.x]", 2),
            (b"a?b", 1),
            (b"a\"b", 1),
        ];
        for &(host, at) in cases {
            assert_eq!(
                check_authority(host, false),
                Err(at),
                "{:?}",
                core::str::from_utf8(host)
            );
        }
    }

    #[test]
    fn authority_form_needs_a_port() {
        assert_eq!(check_authority(b"a:443", true), Ok(()));
        assert_eq!(check_authority(b"[::1]:443", true), Ok(()));
        assert_eq!(check_authority(b"a", true), Err(1));
        assert_eq!(check_authority(b"a:", true), Err(2));
        assert_eq!(check_authority(b"[::1]", true), Err(5));
    }
}
