//! `Debug` for the types that borrow bytes off the wire: names, values,
//! targets and reason phrases print as escaped strings (`"Host"`,
//! `"caf\xc3\xa9"`, `"a\r\nb"`), not as arrays of numbers, so a logged head
//! reads like the head it was.

use core::fmt;

use super::connection::ConnectionOptions;
use super::fields::{Header, Headers};
use super::head::{RequestHead, ResponseHead};

/// Bytes shown as a string literal: printable ASCII as is, everything else
/// escaped (`\r`, `\n`, `\t`, `\"`, `\\`, `\xNN`).
pub(crate) struct Escaped<'a>(pub(crate) &'a [u8]);

impl fmt::Debug for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.0.escape_ascii())
    }
}

impl fmt::Debug for Header<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Header")
            .field("name", &Escaped(self.name))
            .field("value", &Escaped(self.value))
            .finish()
    }
}

impl fmt::Debug for Headers<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

impl fmt::Debug for RequestHead<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestHead")
            .field("method", &Escaped(self.method))
            .field("target", &Escaped(self.target))
            .field("target_form", &self.target_form)
            .field("version", &self.version)
            .field("facts", &self.facts)
            .field("body", &self.body)
            .field("len", &self.len)
            .field("headers", &self.headers())
            .finish()
    }
}

impl fmt::Debug for ResponseHead<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseHead")
            .field("version", &self.version)
            .field("status", &self.status)
            .field("reason", &Escaped(self.reason))
            .field("facts", &self.facts)
            .field("len", &self.len)
            .field("headers", &self.headers())
            .finish()
    }
}

impl fmt::Debug for ConnectionOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionOptions")
            .field("flags", &self.flags)
            .field("others", &EscapedList(self.others()))
            .field("overflowed", &self.overflowed())
            .finish()
    }
}

/// A list of byte strings, each shown escaped.
struct EscapedList<'a, 'b>(&'a [&'b [u8]]);

impl fmt::Debug for EscapedList<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|bytes| Escaped(bytes)))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::format;

    use super::*;
    use crate::wire::{ParseConfig, Parsed};

    #[test]
    fn heads_print_bytes_as_escaped_strings() {
        let header = Header {
            name: b"X-Name",
            value: b"caf\xc3\xa9 \"q\"",
        };
        assert_eq!(
            format!("{header:?}"),
            r#"Header { name: "X-Name", value: "caf\xc3\xa9 \"q\"" }"#
        );
        let buf = b"GET /a%20b HTTP/1.1\r\nHost: h\r\nConnection: close, foo\r\n\r\n";
        let Ok(Parsed::Complete(head)) = RequestHead::parse(buf, &ParseConfig::default()) else {
            panic!("a complete head");
        };
        let text = format!("{head:?}");
        assert!(
            text.starts_with(r#"RequestHead { method: "GET", target: "/a%20b""#),
            "{text}"
        );
        assert!(
            text.ends_with(
                r#"headers: [Header { name: "Host", value: "h" }, Header { name: "Connection", value: "close, foo" }] }"#
            ),
            "{text}"
        );
        let options = format!("{:?}", head.connection_options());
        assert!(options.contains(r#"others: ["foo"]"#), "{options}");
        let buf = b"HTTP/1.1 404 Not\tFound\r\nContent-Length: 0\r\n\r\n";
        let Ok(Parsed::Complete(head)) = ResponseHead::parse(buf, &ParseConfig::default()) else {
            panic!("a complete head");
        };
        assert!(format!("{head:?}").contains(r#"reason: "Not\tFound""#));
    }
}
