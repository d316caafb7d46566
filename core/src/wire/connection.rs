//! The `Connection` field (RFC 9110 7.6.1): connection options as whole,
//! case-insensitive tokens, gathered from every `Connection` line.

use heapless::Vec;

use super::chars::is_token;
use super::fields::list_elements;
use crate::error::{ErrorKind, ProtocolError};

/// How many options other than `close`, `keep-alive` and `upgrade` are kept.
pub const MAX_CONNECTION_OPTIONS: usize = 8;

/// The connection options of one message.
///
/// `close`, `keep-alive` and `upgrade` are flags; every other option names a
/// hop-by-hop field that a proxy must remove, kept here as borrowed slices
/// (up to [`MAX_CONNECTION_OPTIONS`]; past that [`overflowed`](Self::overflowed)
/// is set, nothing is dropped silently).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ConnectionOptions<'a> {
    /// `close` was listed: this is the last message on the connection.
    pub close: bool,
    /// `keep-alive` was listed: the sender asks to keep the connection (HTTP/1.0).
    pub keep_alive: bool,
    /// `upgrade` was listed: the `Upgrade` field applies to this hop.
    pub upgrade: bool,
    others: Vec<&'a [u8], MAX_CONNECTION_OPTIONS>,
    overflowed: bool,
}

impl<'a> ConnectionOptions<'a> {
    /// No options.
    pub const fn new() -> Self {
        Self {
            close: false,
            keep_alive: false,
            upgrade: false,
            others: Vec::new(),
            overflowed: false,
        }
    }

    /// Options other than `close`, `keep-alive` and `upgrade`, in order received.
    pub fn others(&self) -> &[&'a [u8]] {
        &self.others
    }

    /// Whether more options were listed than [`MAX_CONNECTION_OPTIONS`] can hold.
    pub const fn overflowed(&self) -> bool {
        self.overflowed
    }

    /// Adds the options of one `Connection` field value.
    ///
    /// An element that is not a token is an error whose offset is relative to
    /// `value`; options read before it are kept.
    pub fn add_value(&mut self, value: &'a [u8]) -> Result<(), ProtocolError> {
        for (offset, option) in list_elements(value) {
            if !is_token(option) {
                return Err(ProtocolError::new(
                    ErrorKind::InvalidConnectionToken,
                    offset,
                ));
            }
            self.add_option(option);
        }
        Ok(())
    }

    fn add_option(&mut self, option: &'a [u8]) {
        if option.eq_ignore_ascii_case(b"close") {
            self.close = true;
        } else if option.eq_ignore_ascii_case(b"keep-alive") {
            self.keep_alive = true;
        } else if option.eq_ignore_ascii_case(b"upgrade") {
            self.upgrade = true;
        } else if self.others.push(option).is_err() {
            self.overflowed = true;
        }
    }

    /// Whether `name` is listed as a connection option (case-insensitive):
    /// a field of that name is hop-by-hop.
    pub fn lists(&self, name: &[u8]) -> bool {
        let flag = |option: &[u8], set: bool| set && name.eq_ignore_ascii_case(option);
        flag(b"close", self.close)
            || flag(b"keep-alive", self.keep_alive)
            || flag(b"upgrade", self.upgrade)
            || self.others.iter().any(|o| o.eq_ignore_ascii_case(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(values: &[&'static [u8]]) -> Result<ConnectionOptions<'static>, ProtocolError> {
        let mut opts = ConnectionOptions::new();
        for v in values {
            opts.add_value(v)?;
        }
        Ok(opts)
    }

    #[test]
    fn flags_are_whole_case_insensitive_tokens() {
        let cases: &[(&[&[u8]], bool, bool, bool)] = &[
            (&[b"close"], true, false, false),
            (&[b"Keep-Alive"], false, true, false),
            (&[b"keep-alive, Upgrade"], false, true, true),
            (&[b"CLOSE"], true, false, false),
            (&[b"closed"], false, false, false),
            (&[b"keep-alive-ish"], false, false, false),
            (&[b"keep-alive", b"close"], true, true, false),
            (&[b" , close ,"], true, false, false),
            (&[b""], false, false, false),
        ];
        for &(values, close, keep_alive, upgrade) in cases {
            let opts = options(values).unwrap();
            assert_eq!(
                (opts.close, opts.keep_alive, opts.upgrade),
                (close, keep_alive, upgrade)
            );
        }
    }

    #[test]
    fn other_options_are_exposed_and_overflow_is_reported() {
        let opts = options(&[b"close, X-Trace", b"Proxy-Foo"]).unwrap();
        assert_eq!(opts.others(), &[&b"X-Trace"[..], &b"Proxy-Foo"[..]]);
        assert!(opts.lists(b"x-trace") && opts.lists(b"Close") && !opts.lists(b"upgrade"));
        assert!(!opts.overflowed());
        let opts = options(&[b"a, b, c, d, e, f, g, h, i, close"]).unwrap();
        assert_eq!(opts.others().len(), MAX_CONNECTION_OPTIONS);
        assert!(opts.overflowed());
        assert!(opts.close, "flags are still read after an overflow");
    }

    #[test]
    fn non_tokens_are_errors_with_offsets() {
        assert_eq!(
            options(&[b"close, a b"]),
            Err(ProtocolError::new(ErrorKind::InvalidConnectionToken, 7))
        );
        assert_eq!(
            options(&[b"\"close\""]),
            Err(ProtocolError::new(ErrorKind::InvalidConnectionToken, 0))
        );
    }
}
