//! Drivers that run a [`Connection`] over a byte
//! transport, so adapters never write the exchange loop themselves.
//!
//! Two flavours with the same shape: `blocking` over
//! `embedded_io::{Read, Write}` (feature `embedded-io`) and `asynch` over
//! `embedded_io_async::{Read, Write}` (feature `embedded-io-async`). The
//! caller lends both buffers (one for input, one for heads), so the drivers
//! allocate nothing. What the two flavours share, the input buffer that keeps
//! the current head readable while its body streams through, lives here.
//!
//! A client driver sends a request, reads the final response head (interim
//! 1xx responses are skipped, `Expect: 100-continue` is honoured), then
//! streams the body as borrowed slices. A server driver reads a request head,
//! streams its body, and writes the response (with `Content-Length` or chunk
//! framing added for the caller). Both leave the persistence decision to the
//! engine: look at [`Connection::poll_action`](crate::Connection::poll_action)
//! through `connection()` after each exchange.

#[cfg(feature = "embedded-io-async")]
#[cfg_attr(docsrs, doc(cfg(feature = "embedded-io-async")))]
pub mod asynch;
#[cfg(feature = "embedded-io")]
#[cfg_attr(docsrs, doc(cfg(feature = "embedded-io")))]
pub mod blocking;
mod exchange;

pub use exchange::{Request, reason_phrase};

use core::fmt;
use core::ops::Range;

use heapless::Vec;

use crate::error::{ErrorKind, ProtocolError, UsageError};
use crate::time::Instant;
use crate::wire::{Header, ParseConfig, Parsed, RequestHead, ResponseHead};
use crate::{Connection, Event};

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

/// Input bytes read from the transport and not yet consumed, plus the head
/// of the current message, kept in front of them so it stays readable while
/// the body streams through.
#[derive(Debug)]
pub(crate) struct Inbox<B> {
    buf: B,
    /// Where the retained head starts, and its length.
    head: Option<(usize, usize)>,
    /// First unconsumed byte.
    start: usize,
    /// One past the last byte read.
    end: usize,
}

/// One step of feeding the engine from the inbox, with no borrow of it
/// (body bytes are given as a range of the buffer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// A head arrived and is retained; `interim` for a 1xx response.
    Head { interim: bool },
    /// Body bytes, at this range of the buffer.
    Body(Range<usize>),
    /// A trailer section (skipped).
    Trailers,
    /// The message ended.
    End,
    /// More bytes are needed: read into [`Inbox::spare`].
    NeedData,
    /// Server: the next request waits until the response is finished.
    Paused,
    /// The connection switched protocols.
    Switched,
}

impl<B: Buffer> Inbox<B> {
    pub(crate) fn new(buf: B) -> Self {
        Self {
            buf,
            head: None,
            start: 0,
            end: 0,
        }
    }

    /// Gives the buffer back (its bytes are stale).
    pub(crate) fn into_inner(self) -> B {
        self.buf
    }

    /// Feeds the unconsumed bytes to the engine once. A head's bytes are
    /// retained until [`release_head`](Self::release_head).
    pub(crate) fn feed(
        &mut self,
        conn: &mut Connection,
        now: Instant,
    ) -> Result<Step, ProtocolError> {
        let buf = self.buf.as_ref();
        let base = buf.as_ptr() as usize;
        let input = buf.get(self.start..self.end).unwrap_or_default();
        let consumed = conn.handle_input(now, input)?;
        let step = match consumed.event {
            Event::Request(_) => Step::Head { interim: false },
            Event::Response(head) => Step::Head {
                interim: head.is_interim(),
            },
            Event::Body(data) => {
                // The data is a sub-slice of the buffer: find where.
                let at = (data.as_ptr() as usize).saturating_sub(base);
                Step::Body(at..at.saturating_add(data.len()))
            }
            Event::Trailers(_) => Step::Trailers,
            Event::MessageEnd => Step::End,
            Event::NeedData => Step::NeedData,
            Event::Paused => Step::Paused,
            Event::Switched => Step::Switched,
        };
        if matches!(step, Step::Head { .. }) {
            self.head = Some((self.start, consumed.bytes));
        }
        self.start = self.start.saturating_add(consumed.bytes).min(self.end);
        Ok(step)
    }

    /// The bytes at `range` of the buffer (from a [`Step::Body`]).
    pub(crate) fn slice(&self, range: Range<usize>) -> &[u8] {
        self.buf.as_ref().get(range).unwrap_or_default()
    }

    /// Unconsumed bytes (after a protocol switch: the new protocol's).
    pub(crate) fn unconsumed(&self) -> &[u8] {
        self.buf
            .as_ref()
            .get(self.start..self.end)
            .unwrap_or_default()
    }

    /// Forgets the retained head (its message is done).
    pub(crate) fn release_head(&mut self) {
        self.head = None;
    }

    /// The retained head's bytes.
    fn head_bytes(&self) -> Option<&[u8]> {
        let (at, len) = self.head?;
        self.buf.as_ref().get(at..at.saturating_add(len))
    }

    /// The retained head, parsed again (cheap, and keeps no borrow alive
    /// while the body is read).
    pub(crate) fn request_head(&self, config: &ParseConfig) -> Option<RequestHead<'_>> {
        match RequestHead::parse(self.head_bytes()?, config) {
            Ok(Parsed::Complete(head)) => Some(head),
            _ => None,
        }
    }

    /// See [`request_head`](Self::request_head).
    pub(crate) fn response_head(&self, config: &ParseConfig) -> Option<ResponseHead<'_>> {
        match ResponseHead::parse(self.head_bytes()?, config) {
            Ok(Parsed::Complete(head)) => Some(head),
            _ => None,
        }
    }

    /// Free space to read into, after moving the retained head and the
    /// unconsumed bytes to the front. Empty when the buffer is full.
    pub(crate) fn spare(&mut self) -> &mut [u8] {
        if self.end == self.buf.as_ref().len() {
            self.compact();
        }
        self.buf.as_mut().get_mut(self.end..).unwrap_or_default()
    }

    /// Records `n` bytes read into [`spare`](Self::spare).
    pub(crate) fn filled(&mut self, n: usize) {
        self.end = self.end.saturating_add(n).min(self.buf.as_ref().len());
    }

    /// The error for a head that does not fit the buffer.
    pub(crate) fn full_error(&self) -> ProtocolError {
        let pending = self.end.saturating_sub(self.start);
        ProtocolError::new(ErrorKind::HeadTooLarge, pending)
    }

    fn compact(&mut self) {
        let mut write_at = 0;
        if let Some((at, len)) = self.head {
            // The head sits before the unconsumed bytes, so moving it to the
            // front never overwrites them.
            self.buf.as_mut().copy_within(at..at.saturating_add(len), 0);
            self.head = Some((0, len));
            write_at = len;
        }
        let pending = self.end.saturating_sub(self.start);
        self.buf
            .as_mut()
            .copy_within(self.start..self.end, write_at);
        self.start = write_at;
        self.end = write_at.saturating_add(pending);
    }
}

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

/// Whether the caller's fields make the body chunked (`chunked` last).
pub(crate) fn is_chunked(headers: &[Header<'_>]) -> bool {
    headers
        .iter()
        .rfind(|h| h.name.eq_ignore_ascii_case(b"transfer-encoding"))
        .is_some_and(|h| {
            let value = h.value.trim_ascii_end();
            value.len() >= 7
                && value
                    .get(value.len() - 7..)
                    .is_some_and(|tail| tail.eq_ignore_ascii_case(b"chunked"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_detection() {
        let te = |v: &'static [u8]| Header {
            name: b"Transfer-Encoding",
            value: v,
        };
        assert!(is_chunked(&[te(b"chunked")]));
        assert!(is_chunked(&[te(b"gzip, CHUNKED ")]));
        assert!(!is_chunked(&[te(b"gzip")]));
        assert!(!is_chunked(&[]));
    }

    #[test]
    fn compaction_keeps_head_and_unconsumed_bytes() {
        let mut storage = [0u8; 16];
        let mut inbox = Inbox::new(&mut storage[..]);
        inbox.spare()[..16].copy_from_slice(b"xxHEADbodyREST..");
        inbox.filled(16);
        inbox.head = Some((2, 4));
        inbox.start = 10;
        assert_eq!(inbox.spare().len(), 6);
        assert_eq!(inbox.head_bytes(), Some(&b"HEAD"[..]));
        assert_eq!(inbox.unconsumed(), b"REST..");
    }
}
