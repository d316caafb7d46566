//! The `Connection` field (RFC 9110 7.6.1): connection options as whole,
//! case-insensitive tokens, gathered from every `Connection` line.

use heapless::Vec;

use super::chars::{eq_lower, is_token};
use super::fields::list_elements;
use crate::error::{ErrorKind, ProtocolError};

/// How many options other than `close`, `keep-alive` and `upgrade` are kept.
pub const MAX_CONNECTION_OPTIONS: usize = 8;

/// The three connection options the engine acts on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ConnectionFlags {
    /// `close` was listed: this is the last message on the connection.
    pub close: bool,
    /// `keep-alive` was listed: the sender asks to keep the connection (HTTP/1.0).
    pub keep_alive: bool,
    /// `upgrade` was listed: the `Upgrade` field applies to this hop.
    pub upgrade: bool,
}

impl ConnectionFlags {
    /// No options.
    pub const fn new() -> Self {
        Self {
            close: false,
            keep_alive: false,
            upgrade: false,
        }
    }

    /// Reads one `Connection` field value, calling `other` for each option
    /// that is not one of the three flags.
    ///
    /// An element that is not a token is an error whose offset is relative to
    /// `value`; options read before it are kept.
    #[inline]
    fn add_value_with<'a>(
        &mut self,
        value: &'a [u8],
        mut other: impl FnMut(&'a [u8]),
    ) -> Result<(), ProtocolError> {
        for (offset, option) in list_elements(value) {
            if !is_token(option) {
                return Err(ProtocolError::new(
                    ErrorKind::InvalidConnectionToken,
                    offset,
                ));
            }
            if option.eq_ignore_ascii_case(b"close") {
                self.close = true;
            } else if option.eq_ignore_ascii_case(b"keep-alive") {
                self.keep_alive = true;
            } else if option.eq_ignore_ascii_case(b"upgrade") {
                self.upgrade = true;
            } else {
                other(option);
            }
        }
        Ok(())
    }

    /// Reads one `Connection` field value (see [`ConnectionOptions::add_value`]).
    pub fn add_value(&mut self, value: &[u8]) -> Result<(), ProtocolError> {
        // The common single-option values, without splitting a list (built
        // for size, the list reader alone: the same result).
        if !crate::small() {
            if eq_lower(value, b"keep-alive") {
                self.keep_alive = true;
                return Ok(());
            }
            if eq_lower(value, b"close") {
                self.close = true;
                return Ok(());
            }
        }
        self.add_list(value)
    }

    /// A value that is not one plain option: the list reader, kept out of
    /// the field walk in the fast build (rare, and the walk stays small).
    #[cfg_attr(not(h1conn_small), cold, inline(never))]
    fn add_list(&mut self, value: &[u8]) -> Result<(), ProtocolError> {
        self.add_value_with(value, |_| {})
    }
}

/// All connection options of one message: the three flags, and the other
/// options, which name hop-by-hop fields that a proxy must remove.
///
/// The others are kept as borrowed slices, up to [`MAX_CONNECTION_OPTIONS`];
/// past that [`overflowed`](Self::overflowed) is set: nothing is dropped
/// silently. Parsing a head only records the flags (in
/// [`HeadFacts`](super::HeadFacts)); this type is built on demand by
/// [`RequestHead::connection_options`](super::RequestHead::connection_options)
/// and [`ResponseHead::connection_options`](super::ResponseHead::connection_options).
#[derive(Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ConnectionOptions<'a> {
    /// `close`, `keep-alive` and `upgrade`.
    pub flags: ConnectionFlags,
    others: Vec<&'a [u8], MAX_CONNECTION_OPTIONS>,
    overflowed: bool,
}

impl<'a> ConnectionOptions<'a> {
    /// No options.
    pub const fn new() -> Self {
        Self {
            flags: ConnectionFlags::new(),
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

    /// Adds the options of one `Connection` field value: a comma-separated
    /// list of case-insensitive tokens, matched whole (`closed` is not `close`).
    ///
    /// An element that is not a token is an error whose offset is relative to
    /// `value`; options read before it are kept.
    pub fn add_value(&mut self, value: &'a [u8]) -> Result<(), ProtocolError> {
        let (others, overflowed) = (&mut self.others, &mut self.overflowed);
        self.flags.add_value_with(value, |option| {
            if others.push(option).is_err() {
                *overflowed = true;
            }
        })
    }

    /// Whether `name` is listed as a connection option (case-insensitive):
    /// a field of that name is hop-by-hop.
    pub fn lists(&self, name: &[u8]) -> bool {
        let flag = |option: &[u8], set: bool| set && name.eq_ignore_ascii_case(option);
        flag(b"close", self.flags.close)
            || flag(b"keep-alive", self.flags.keep_alive)
            || flag(b"upgrade", self.flags.upgrade)
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
            let flags = opts.flags;
            assert_eq!(
                (flags.close, flags.keep_alive, flags.upgrade),
                (close, keep_alive, upgrade)
            );
            let mut fast = ConnectionFlags::new();
            for v in values {
                fast.add_value(v).unwrap();
            }
            assert_eq!(fast, flags, "the fast path agrees with the full reader");
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
        assert!(opts.flags.close, "flags are still read after an overflow");
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
