//! Drivers that run a [`Connection`](crate::Connection) over a byte
//! transport, so adapters never write the exchange loop themselves.
//!
//! Two flavours with the same shape: `blocking` over
//! `embedded_io::{Read, Write}` (feature `embedded-io`) and `asynch` over
//! `embedded_io_async::{Read, Write}` (feature `embedded-io-async`). The
//! caller lends both buffers (one for input, one for heads), so the drivers
//! allocate nothing. Both flavours are generated from one source (the
//! `driver!` macro in `driver.rs`); each adds only how it reads with a
//! deadline.
//!
//! A client driver sends a request, reads the final response head (interim
//! 1xx responses are skipped, `Expect: 100-continue` is honoured), then
//! streams the body as borrowed slices. A server driver reads a request head,
//! streams its body, and writes the response (with `Content-Length` added,
//! or chunk framing when the head the engine wrote says `chunked`).
//!
//! The drivers decide nothing themselves: reuse is
//! [`Connection::reusable`](crate::Connection::reusable) (asked through the
//! client's `reusable()`, which first hands the engine every byte the driver
//! holds), retry is [`Connection::may_retry`](crate::Connection::may_retry),
//! and the framing of what is sent comes from the head the engine wrote.

#[cfg(feature = "embedded-io-async")]
#[cfg_attr(docsrs, doc(cfg(feature = "embedded-io-async")))]
pub mod asynch;
#[cfg(feature = "embedded-io")]
#[cfg_attr(docsrs, doc(cfg(feature = "embedded-io")))]
pub mod blocking;
mod driver;
mod exchange;
mod inbox;

pub use exchange::{Request, reason_phrase};
pub(crate) use inbox::{Inbox, Step};

use core::fmt;

use heapless::Vec;

use crate::error::{ProtocolError, UsageError};
use crate::wire::Header;

/// Most header fields a request or response given to a driver may carry
/// (the driver copies them to add `Content-Length`).
pub const MAX_HEADERS: usize = 32;

/// Why a driver call failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum DriverError<E> {
    /// The transport failed.
    Io(E),
    /// The peer broke the protocol (the connection is marked to close).
    Protocol(ProtocolError),
    /// The driver was used wrongly; the connection is unchanged.
    Usage(UsageError),
    /// The peer closed the connection before any byte of the response
    /// arrived (see [`RetrySafety`](crate::RetrySafety) for whether to retry).
    Closed,
    /// The transport reported a timeout that was not one of the engine's own
    /// deadlines (the caller's overall limit).
    TimedOut,
    /// More header fields than [`MAX_HEADERS`].
    TooManyHeaders,
    /// The input buffer is full and the head still incomplete: the buffer
    /// is smaller than the configured head limit (the caller's sizing, not
    /// the peer's fault). The connection is closed.
    InputBufferFull,
}

impl<E> From<UsageError> for DriverError<E> {
    fn from(error: UsageError) -> Self {
        Self::Usage(error)
    }
}

impl<E> From<ProtocolError> for DriverError<E> {
    fn from(error: ProtocolError) -> Self {
        Self::Protocol(error)
    }
}

impl<E: fmt::Display> fmt::Display for DriverError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "transport error: {e}"),
            Self::Protocol(e) => write!(f, "protocol error: {e}"),
            Self::Usage(e) => write!(f, "usage error: {e}"),
            Self::Closed => f.write_str("peer closed the connection before responding"),
            Self::TimedOut => f.write_str("timed out"),
            Self::TooManyHeaders => f.write_str("too many header fields"),
            Self::InputBufferFull => f.write_str(
                "input buffer full before the head ended (buffer smaller than the head limit)",
            ),
        }
    }
}

impl<E: core::error::Error + 'static> core::error::Error for DriverError<E> {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            Self::Protocol(e) => Some(e),
            Self::Usage(e) => Some(e),
            _ => None,
        }
    }
}

/// Storage a driver reads into or writes heads through: `&mut [u8]` or an
/// array in firmware, `Vec<u8>` or `Box<[u8]>` where there is a heap (so a
/// driver can own its buffers and be kept in a pool).
pub trait Buffer: AsRef<[u8]> + AsMut<[u8]> {}

impl<B: AsRef<[u8]> + AsMut<[u8]> + ?Sized> Buffer for B {}

/// `headers` plus a `Content-Length` for `body`, unless the caller framed
/// the message already or `add_length` is false.
pub(crate) fn with_length<'h>(
    headers: &[Header<'h>],
    add_length: bool,
    digits: &'h [u8],
) -> Option<Vec<Header<'h>, MAX_HEADERS>> {
    let mut all = Vec::new();
    for header in headers {
        all.push(*header).ok()?;
    }
    let framed = headers.iter().any(|h| {
        h.name.eq_ignore_ascii_case(b"content-length")
            || h.name.eq_ignore_ascii_case(b"transfer-encoding")
    });
    if add_length && !framed {
        all.push(Header {
            name: b"Content-Length",
            value: digits,
        })
        .ok()?;
    }
    Some(all)
}
