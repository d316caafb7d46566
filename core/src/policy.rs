//! Persistence rules (RFC 9112 section 9.3) as pure functions.
//!
//! Given what the request and the response heads say, and how the response
//! body is framed, decide whether the connection may carry another exchange,
//! and if not, why. Also: which `Connection`/`Keep-Alive` fields a sender
//! must emit to say what it means.

use crate::wire::{BodyKind, HeadFacts, KeepAlive, TransferEncoding, Version};

/// Why a connection must close (or was closed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum CloseReason {
    /// The request said `Connection: close`.
    RequestClose,
    /// The response said `Connection: close`.
    ResponseClose,
    /// An HTTP/1.0 message without `Connection: keep-alive` (or a response to
    /// an HTTP/1.0 request that did not echo it).
    Http10NoKeepAlive,
    /// The response body is delimited by closing the connection.
    CloseDelimited,
    /// `Content-Length` together with `Transfer-Encoding`.
    FramingConflict,
    /// `Transfer-Encoding` in an HTTP/1.0 message (RFC 9112 6.1).
    Http10TransferEncoding,
    /// The connection switched protocols (101, or 2xx to CONNECT).
    ProtocolSwitch,
    /// The peer broke the protocol.
    ProtocolError,
    /// The `Keep-Alive: max` budget of requests is used up.
    MaxReached,
    /// The connection was idle longer than allowed.
    IdleTimeout,
    /// The peer did not send a complete head in time.
    HeadTimeout,
    /// The peer closed its side of the connection.
    PeerClosed,
    /// The local side asked to close.
    LocalClose,
    /// A final response arrived before the request body was completely sent.
    RequestIncomplete,
    /// Bytes arrived when no response was outstanding (after a complete
    /// response, or after a bodiless HEAD, 204 or 304 response).
    UnsolicitedData,
    /// A body did not arrive in time.
    BodyTimeout,
    /// The exchange deadline the caller set passed.
    ExchangeTimeout,
}

impl CloseReason {
    /// A short snake_case name, as used in logs and traces.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::RequestClose => "request_close",
            Self::ResponseClose => "response_close",
            Self::Http10NoKeepAlive => "http10_no_keep_alive",
            Self::CloseDelimited => "close_delimited",
            Self::FramingConflict => "framing_error",
            Self::Http10TransferEncoding => "http10_transfer_encoding",
            Self::ProtocolSwitch => "upgrade",
            Self::ProtocolError => "protocol_error",
            Self::MaxReached => "max_reached",
            Self::IdleTimeout => "idle_timeout",
            Self::HeadTimeout => "head_timeout",
            Self::PeerClosed => "peer_closed",
            Self::LocalClose => "local_close",
            Self::RequestIncomplete => "request_incomplete",
            Self::UnsolicitedData => "unsolicited_data",
            Self::BodyTimeout => "body_timeout",
            Self::ExchangeTimeout => "exchange_timeout",
        }
    }
}

impl core::fmt::Display for CloseReason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a connection may carry another exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Persistence {
    /// The connection may be reused.
    KeepAlive,
    /// The connection must close after the current exchange.
    Close(CloseReason),
}

impl Persistence {
    /// Whether the connection may be reused.
    pub const fn is_keep_alive(self) -> bool {
        matches!(self, Self::KeepAlive)
    }

    /// Combines two decisions. Close is absorbing: once either says close,
    /// the result is close, with the first reason given.
    pub const fn and(self, later: Self) -> Self {
        match self {
            Self::Close(_) => self,
            Self::KeepAlive => later,
        }
    }
}

/// What the persistence rules need to know of one message head: small and
/// `Copy`, so a connection can keep it for the whole exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct MessageSummary {
    /// The message's protocol version.
    pub version: Version,
    /// `Connection: close` was present.
    pub close: bool,
    /// `Connection: keep-alive` was present.
    pub keep_alive: bool,
    /// A `Transfer-Encoding` field was present.
    pub transfer_encoding: bool,
    /// Both `Content-Length` and `Transfer-Encoding` were present.
    pub framing_conflict: bool,
}

impl MessageSummary {
    /// Summarises a parsed head.
    pub fn of(version: Version, facts: &HeadFacts) -> Self {
        Self {
            version,
            close: facts.connection.close,
            keep_alive: facts.connection.keep_alive,
            transfer_encoding: facts.transfer_encoding != TransferEncoding::Absent,
            framing_conflict: facts.content_length_with_transfer_encoding,
        }
    }

    /// A message of `version` with no `Connection` options and plain framing.
    pub const fn plain(version: Version) -> Self {
        Self {
            version,
            close: false,
            keep_alive: false,
            transfer_encoding: false,
            framing_conflict: false,
        }
    }

    /// The rules that apply to one message on its own, whoever sent it.
    /// (The first rule that closes gives the reason: a chain of tests,
    /// smaller than combining every rule's verdict.)
    // Inlined in a size build too: at each caller the reasons fold into
    // what it makes of them (client image: 124 B less).
    #[cfg_attr(h1conn_small, inline(always))]
    const fn own_persistence(self, close_reason: CloseReason) -> Persistence {
        let http10 = matches!(self.version, Version::Http10);
        let reason = if self.close {
            close_reason
        } else if http10 && self.transfer_encoding {
            CloseReason::Http10TransferEncoding
        } else if self.framing_conflict {
            CloseReason::FramingConflict
        } else if http10 && !self.keep_alive {
            CloseReason::Http10NoKeepAlive
        } else {
            return Persistence::KeepAlive;
        };
        Persistence::Close(reason)
    }
}

/// Whether the connection may outlive the exchange, judging by the request
/// alone: what a server knows once it has read a request head.
#[cfg_attr(not(h1conn_small), inline)]
pub const fn request_persistence(request: MessageSummary) -> Persistence {
    request.own_persistence(CloseReason::RequestClose)
}

/// Whether the connection may carry another exchange after `request` was
/// answered by `response`, whose body is framed as `response_body`.
///
/// RFC 9112 9.3: `close` from either side ends it; HTTP/1.1 persists by
/// default; HTTP/1.0 only with `keep-alive`, which a response to an HTTP/1.0
/// request must echo; a close-delimited body, a protocol switch, or a
/// framing conflict end it too. Interim (1xx) responses other than 101 do
/// not decide anything and should not be passed here.
pub const fn exchange_persistence(
    request: MessageSummary,
    response: MessageSummary,
    response_body: BodyKind,
) -> Persistence {
    exchange_persistence_after(
        request_persistence(request),
        request.version,
        response,
        response_body,
    )
}

/// [`exchange_persistence`] from what is kept of a request once its head
/// is gone: its own verdict ([`request_persistence`]) and its version.
#[cfg_attr(not(h1conn_small), inline)]
pub(crate) const fn exchange_persistence_after(
    request: Persistence,
    request_version: Version,
    response: MessageSummary,
    response_body: BodyKind,
) -> Persistence {
    // The first rule that closes gives the reason, as in `own_persistence`
    // (whose rules follow the body's here, written out: the response's
    // own missing `keep-alive` and the missing echo to an HTTP/1.0
    // request are one test, as they give one reason).
    let http10 = matches!(response.version, Version::Http10);
    let reason = if !request.is_keep_alive() {
        return request;
    } else if response.close {
        CloseReason::ResponseClose
    } else if matches!(response_body, BodyKind::Tunnel) {
        CloseReason::ProtocolSwitch
    } else if matches!(response_body, BodyKind::UntilClose) {
        CloseReason::CloseDelimited
    } else if http10 && response.transfer_encoding {
        CloseReason::Http10TransferEncoding
    } else if response.framing_conflict {
        CloseReason::FramingConflict
    } else if (http10 || matches!(request_version, Version::Http10)) && !response.keep_alive {
        CloseReason::Http10NoKeepAlive
    } else {
        return Persistence::KeepAlive;
    };
    Persistence::Close(reason)
}

/// A `Connection` option a sender emits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ConnectionValue {
    /// `Connection: close`
    Close,
    /// `Connection: keep-alive`
    KeepAlive,
}

impl ConnectionValue {
    /// The option as written on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Close => "close",
            Self::KeepAlive => "keep-alive",
        }
    }
}

/// The persistence fields a head must carry to say what its sender means.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PersistenceFields {
    /// The `Connection` field to send, if any.
    pub connection: Option<ConnectionValue>,
    /// The `Keep-Alive` field to send, if any.
    pub keep_alive: Option<KeepAlive>,
}

impl PersistenceFields {
    /// The value of the `Connection` field these fields add to a head.
    pub(crate) fn connection_value(self) -> Option<&'static [u8]> {
        self.connection.map(|c| c.as_str().as_bytes())
    }
}

/// What a request of `version` must say so the connection is kept
/// (`keep_alive`) or closed after the exchange.
///
/// HTTP/1.1 persists by default and needs nothing; HTTP/1.0 needs
/// `Connection: keep-alive`; closing is always said explicitly.
pub const fn request_fields(version: Version, keep_alive: bool) -> PersistenceFields {
    let connection = match (keep_alive, version) {
        (false, _) => Some(ConnectionValue::Close),
        (true, Version::Http10) => Some(ConnectionValue::KeepAlive),
        (true, Version::Http11) => None,
    };
    PersistenceFields {
        connection,
        keep_alive: None,
    }
}

/// What a response to a request of `request_version` must say.
///
/// When the connection will close, `Connection: close`. When it persists,
/// `Connection: keep-alive` with `Keep-Alive: timeout=T, max=M` from
/// `announce` (the limits the server enforces); an HTTP/1.0 client needs
/// the echo even when nothing is announced.
pub const fn response_fields(
    request_version: Version,
    keep_alive: bool,
    announce: Option<KeepAlive>,
) -> PersistenceFields {
    match (keep_alive, request_version, announce) {
        (false, _, _) => PersistenceFields {
            connection: Some(ConnectionValue::Close),
            keep_alive: None,
        },
        (true, Version::Http11, None) => PersistenceFields {
            connection: None,
            keep_alive: None,
        },
        (true, _, announce) => PersistenceFields {
            connection: Some(ConnectionValue::KeepAlive),
            keep_alive: announce,
        },
    }
}

#[cfg(test)]
mod tests {
    //! The rules as a chain of tests agree with the rules as first written
    //! (every rule's verdict combined with `and`), for every input.

    use super::*;

    const fn unless(close: bool, reason: CloseReason) -> Persistence {
        if close {
            Persistence::Close(reason)
        } else {
            Persistence::KeepAlive
        }
    }

    fn own_reference(m: MessageSummary, close_reason: CloseReason) -> Persistence {
        let http10 = matches!(m.version, Version::Http10);
        unless(m.close, close_reason)
            .and(unless(
                http10 && m.transfer_encoding,
                CloseReason::Http10TransferEncoding,
            ))
            .and(unless(m.framing_conflict, CloseReason::FramingConflict))
            .and(unless(
                http10 && !m.keep_alive,
                CloseReason::Http10NoKeepAlive,
            ))
    }

    fn exchange_reference(
        request: Persistence,
        request_version: Version,
        response: MessageSummary,
        body: BodyKind,
    ) -> Persistence {
        let echo_missing = matches!(request_version, Version::Http10) && !response.keep_alive;
        request
            .and(unless(response.close, CloseReason::ResponseClose))
            .and(unless(
                matches!(body, BodyKind::Tunnel),
                CloseReason::ProtocolSwitch,
            ))
            .and(unless(
                matches!(body, BodyKind::UntilClose),
                CloseReason::CloseDelimited,
            ))
            .and(own_reference(response, CloseReason::ResponseClose))
            .and(unless(echo_missing, CloseReason::Http10NoKeepAlive))
    }

    #[test]
    fn chain_agrees_with_the_combined_verdicts() {
        extern crate std;
        use std::vec::Vec;
        let versions = [Version::Http10, Version::Http11];
        let summaries: Vec<MessageSummary> = (0..32u8)
            .map(|bits| MessageSummary {
                version: versions[usize::from(bits & 1)],
                close: bits & 2 != 0,
                keep_alive: bits & 4 != 0,
                transfer_encoding: bits & 8 != 0,
                framing_conflict: bits & 16 != 0,
            })
            .collect();
        let bodies = [
            BodyKind::None,
            BodyKind::Length(0),
            BodyKind::Length(5),
            BodyKind::Chunked,
            BodyKind::UntilClose,
            BodyKind::Tunnel,
        ];
        let requests = [
            Persistence::KeepAlive,
            Persistence::Close(CloseReason::RequestClose),
            Persistence::Close(CloseReason::Http10NoKeepAlive),
        ];
        for &m in &summaries {
            for reason in [CloseReason::RequestClose, CloseReason::ResponseClose] {
                assert_eq!(m.own_persistence(reason), own_reference(m, reason));
            }
            for request in requests {
                for version in versions {
                    for body in bodies {
                        assert_eq!(
                            exchange_persistence_after(request, version, m, body),
                            exchange_reference(request, version, m, body),
                            "{request:?} {version:?} {m:?} {body:?}"
                        );
                    }
                }
            }
        }
    }
}
