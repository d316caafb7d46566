//! Errors: what went wrong, whose fault it was, and where.
//!
//! A [`ProtocolError`] is the peer's fault: bytes on the wire that break the
//! rules. It carries an [`ErrorKind`], the byte offset where the problem was
//! found, and a hint of the status code a server should answer with. After a
//! protocol error the connection must close; nothing else is affected.

use core::fmt;

/// What was wrong with the bytes a peer sent.
///
/// Every kind maps to the status code a server would answer with
/// ([`ErrorKind::status_hint`]) and has a short human description
/// ([`ErrorKind::description`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ErrorKind {
    /// The head did not end within the configured maximum length.
    HeadTooLarge,
    /// The request line alone exceeded the maximum head length.
    RequestLineTooLong,
    /// A line ended with LF alone instead of CRLF.
    BareLf,
    /// A CR was not followed by LF.
    BareCr,
    /// A header line began with whitespace (obsolete line folding).
    ObsFold,
    /// Whitespace between a field name and its colon.
    WhitespaceBeforeColon,
    /// A field name was empty or held a byte that is not a token character.
    InvalidHeaderName,
    /// A field line had no colon.
    MissingColon,
    /// A field value held NUL, DEL or another control byte.
    InvalidHeaderValue,
    /// The method was empty or held a byte that is not a token character.
    InvalidMethod,
    /// The request-target was empty, held a forbidden byte, or its form did
    /// not fit the method (`*` outside OPTIONS, authority-form outside CONNECT).
    InvalidTarget,
    /// The start line did not have the shape `a SP b SP c`.
    InvalidStartLine,
    /// The version was not of the form `HTTP/<digit>.<digit>`.
    InvalidVersion,
    /// A well-formed version this engine does not speak (`HTTP/2.0`, `HTTP/0.9`).
    UnsupportedVersion,
    /// The status code was not three digits.
    InvalidStatusCode,
    /// The reason phrase held a control byte.
    InvalidReasonPhrase,
    /// An HTTP/1.1 request had no `Host` field, or more than one.
    InvalidHost,
    /// A `Content-Length` value was not a plain decimal number, or overflowed.
    InvalidContentLength,
    /// Several `Content-Length` values that differ.
    ConflictingContentLength,
    /// `Content-Length` and `Transfer-Encoding` in the same message.
    ContentLengthWithTransferEncoding,
    /// A `Transfer-Encoding` list that is malformed, applies `chunked` twice,
    /// or (in a request) does not end in `chunked`.
    InvalidTransferEncoding,
    /// A `Connection` list element that is not a token.
    InvalidConnectionToken,
    /// A chunk-size line that is not hexadecimal, overflows, or is malformed.
    InvalidChunkSize,
    /// Chunk data was not followed by CRLF.
    MissingChunkCrlf,
    /// A trailer section that is malformed.
    InvalidTrailer,
    /// Bytes arrived when no message may start (while idle with nothing
    /// outstanding, or after the connection was marked to close).
    UnexpectedData,
    /// A response arrived for a request that was never sent.
    UnsolicitedResponse,
    /// The peer closed the connection in the middle of a message.
    IncompleteMessage,
    /// The peer did not send a complete head in time.
    HeadTimeout,
    /// A body did not arrive in time: slower than the configured base time
    /// plus one second per `body_min_rate` bytes.
    BodyTimeout,
    /// The whole exchange took longer than the deadline the caller set.
    ExchangeTimeout,
    /// More interim (1xx) responses than the configured cap before the
    /// final one.
    TooManyInterim,
    /// A protocol switch the request did not ask for: a `101` without
    /// `Upgrade` in the request.
    UnrequestedSwitch,
    /// A chunk size with more hex digits (leading zeros included) than the
    /// configured limit.
    ChunkSizeTooLong,
    /// A chunk extension that breaks the grammar of RFC 9112 7.1: an empty
    /// name or value, whitespace before the line end, an unterminated quoted
    /// string or an invalid escape in one.
    InvalidChunkExtension,
    /// More bytes after a chunk size (whitespace and extensions) than the
    /// configured limit.
    ChunkExtensionTooLong,
    /// A trailer section longer, or with more field lines, than the limits.
    TrailerTooLarge,
    /// A `Host` value that is not a uri-host with an optional `:port`
    /// (RFC 9112 3.2, RFC 3986 3.2.2).
    MalformedHost,
}

impl ErrorKind {
    /// The status code a server should answer with when a request fails this way.
    pub const fn status_hint(self) -> u16 {
        match self {
            Self::HeadTooLarge => 431,
            Self::RequestLineTooLong => 414,
            Self::UnsupportedVersion => 505,
            Self::HeadTimeout | Self::BodyTimeout | Self::ExchangeTimeout => 408,
            Self::TrailerTooLarge => 431,
            _ => 400,
        }
    }

    /// A short, lower-case description of the problem.
    pub const fn description(self) -> &'static str {
        match self {
            Self::HeadTooLarge => "head too large",
            Self::RequestLineTooLong => "request line too long",
            Self::BareLf => "bare LF without CR",
            Self::BareCr => "bare CR without LF",
            Self::ObsFold => "obsolete line folding",
            Self::WhitespaceBeforeColon => "whitespace between field name and colon",
            Self::InvalidHeaderName => "invalid field name",
            Self::MissingColon => "field line without colon",
            Self::InvalidHeaderValue => "control byte in field value",
            Self::InvalidMethod => "invalid method",
            Self::InvalidTarget => "invalid request-target",
            Self::InvalidStartLine => "malformed start line",
            Self::InvalidVersion => "malformed HTTP version",
            Self::UnsupportedVersion => "unsupported HTTP version",
            Self::InvalidStatusCode => "invalid status code",
            Self::InvalidReasonPhrase => "invalid reason phrase",
            Self::InvalidHost => "missing or repeated Host",
            Self::InvalidContentLength => "invalid Content-Length",
            Self::ConflictingContentLength => "conflicting Content-Length values",
            Self::ContentLengthWithTransferEncoding => "Content-Length with Transfer-Encoding",
            Self::InvalidTransferEncoding => "invalid Transfer-Encoding",
            Self::InvalidConnectionToken => "invalid Connection token",
            Self::InvalidChunkSize => "invalid chunk size",
            Self::MissingChunkCrlf => "chunk data not followed by CRLF",
            Self::InvalidTrailer => "invalid trailer section",
            Self::UnexpectedData => "unexpected data",
            Self::UnsolicitedResponse => "response without a request",
            Self::IncompleteMessage => "connection closed mid-message",
            Self::HeadTimeout => "head not received in time",
            Self::BodyTimeout => "body not received in time",
            Self::ExchangeTimeout => "exchange deadline passed",
            Self::TooManyInterim => "too many interim responses",
            Self::UnrequestedSwitch => "switching protocols without an Upgrade request",
            Self::ChunkSizeTooLong => "chunk size has too many digits",
            Self::InvalidChunkExtension => "invalid chunk extension",
            Self::ChunkExtensionTooLong => "chunk extension too long",
            Self::TrailerTooLarge => "trailer section too large",
            Self::MalformedHost => "invalid Host value",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

/// The peer broke the protocol: what was wrong and where.
///
/// `offset` counts bytes from the start of the input slice handed to the
/// call that failed (for a head, the first byte of the head).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ProtocolError {
    /// What was wrong.
    pub kind: ErrorKind,
    /// Where: the byte offset of the offending byte in the input.
    pub offset: usize,
}

impl ProtocolError {
    /// An error of `kind` found at `offset`.
    pub const fn new(kind: ErrorKind, offset: usize) -> Self {
        Self { kind, offset }
    }

    /// The status code a server should answer with (400, 414, 431, 505, ...).
    pub const fn status_hint(&self) -> u16 {
        self.kind.status_hint()
    }

    /// The same error with its offset moved `base` bytes further, for errors
    /// found in a sub-slice of a larger input.
    pub(crate) const fn shifted(self, base: usize) -> Self {
        Self {
            kind: self.kind,
            offset: self.offset.saturating_add(base),
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind, self.offset)
    }
}

impl core::error::Error for ProtocolError {}

/// The caller used the engine wrongly: a command in the wrong state, or a
/// part that cannot go on the wire. The connection's state is unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum UsageError {
    /// The command is not allowed in the connection's current state.
    WrongState,
    /// The engine says no request may be sent now (see `may_send_request`).
    MayNotSend,
    /// The caller's buffer is too small for the head.
    BufferTooSmall {
        /// Bytes the head needs.
        needed: usize,
    },
    /// A head part given by the caller is invalid (the kind says which).
    InvalidHead(ErrorKind),
    /// More body bytes than the `Content-Length` announced.
    BodyTooLong,
    /// The message was finished before all of its `Content-Length` was sent.
    BodyIncomplete,
    /// A chunked response to an HTTP/1.0 request (which cannot read it).
    ChunkedToHttp10,
    /// An interim (1xx) response to an HTTP/1.0 request (which would take
    /// it as the final one).
    InterimToHttp10,
    /// The request body is held back until `100 Continue` or a deadline.
    BodyHeld,
    /// A `101 Switching Protocols` answer to a request that did not ask for
    /// a switch with `Upgrade`.
    UnrequestedSwitch,
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongState => f.write_str("command not allowed in this state"),
            Self::MayNotSend => f.write_str("no request may be sent on this connection now"),
            Self::BufferTooSmall { needed } => {
                write!(f, "buffer too small: head needs {needed} bytes")
            }
            Self::InvalidHead(kind) => write!(f, "invalid head: {kind}"),
            Self::BodyTooLong => f.write_str("body longer than its Content-Length"),
            Self::BodyIncomplete => f.write_str("body shorter than its Content-Length"),
            Self::ChunkedToHttp10 => f.write_str("chunked response to an HTTP/1.0 request"),
            Self::InterimToHttp10 => f.write_str("interim response to an HTTP/1.0 request"),
            Self::BodyHeld => f.write_str("request body held until 100 Continue"),
            Self::UnrequestedSwitch => f.write_str("101 answer to a request without Upgrade"),
        }
    }
}

impl core::error::Error for UsageError {}
