//! The input buffer of a driver: bytes read and not yet consumed, plus the
//! head of the current message, kept in front of them so it stays readable
//! while the body streams through.

use core::ops::Range;

use crate::error::ProtocolError;
use crate::io::Buffer;
use crate::time::Instant;
use crate::wire::{ParseConfig, Parsed, RequestHead, ResponseHead};
use crate::{Config, Connection, Event, RoleKind};

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
    pub(crate) fn feed<R: RoleKind>(
        &mut self,
        conn: &mut Connection<Config, R>,
        now: Instant,
    ) -> Result<Step, ProtocolError> {
        let buf = self.buf.as_ref();
        let base = buf.as_ptr() as usize;
        let input = buf.get(self.start..self.end).unwrap_or_default();
        // In place, matched by reference: no head is moved (see
        // `Connection::handle_input_into`).
        let mut event = Event::NeedData;
        let consumed = conn.handle_input_into(now, input, &mut event)?;
        let step = match &event {
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
            self.head = Some((self.start, consumed));
        }
        self.start = self.start.saturating_add(consumed).min(self.end);
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

#[cfg(test)]
mod tests {
    use super::*;

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
