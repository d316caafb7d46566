//! A small reference model of the rules in design.md ("Persistence",
//! "Message length", "Strict by default"), written to be read, not to be
//! fast. It works on the *meaning* of a generated head (see [`crate::r#gen`]),
//! so the engine's byte-level parsing is checked against intent, not
//! against a second parser.
//!
//! Where several problems are present, the engine reports one; the order
//! below (field lines in order, then framing, then `Host`, then a request
//! coding that is not chunked) is the order the engine documents checking
//! them in.

use h1conn::ErrorKind;
use h1conn::policy::CloseReason;
use h1conn::wire::{BodyKind, KeepAlive, Method, TransferEncoding, Version};

use crate::r#gen::{
    ClValue, ConnToken, Field, GenField, GenRequest, GenResponse, KaParam, MAX_ELEMENTS, TeCoding,
};

/// What a head means, by the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The version as the engine must read it.
    pub version: Version,
    /// Some `Connection` field listed `close`.
    pub close: bool,
    /// Some `Connection` field listed `keep-alive`.
    pub keep_alive: bool,
    /// Some `Connection` field listed `upgrade`.
    pub upgrade_option: bool,
    /// The `Keep-Alive` parameters, if such a field was present.
    pub params: Option<KeepAlive>,
    /// The `Content-Length` (absent when `Transfer-Encoding` overrides it).
    pub content_length: Option<u64>,
    /// What `Transfer-Encoding` says.
    pub transfer_encoding: TransferEncoding,
    /// Both framing fields were present (accepted only when lenient).
    pub framing_conflict: bool,
    /// `Expect: 100-continue` was present.
    pub expect_continue: bool,
    /// An `Upgrade` field was present.
    pub upgrade_field: bool,
    /// Number of field lines.
    pub field_count: usize,
}

/// Reads the fields of a head of `version`. `lenient` accepts
/// `Content-Length` with `Transfer-Encoding` (the latter wins).
fn read_fields(
    version: Version,
    fields: &[Field],
    lenient: bool,
) -> Result<(Facts, usize), ErrorKind> {
    let mut facts = Facts {
        version,
        close: false,
        keep_alive: false,
        upgrade_option: false,
        params: None,
        content_length: None,
        transfer_encoding: TransferEncoding::Absent,
        framing_conflict: false,
        expect_continue: false,
        upgrade_field: false,
        field_count: 0,
    };
    let mut hosts = 0;
    let mut chunked_seen = false;
    for field in fields {
        facts.field_count += 1;
        match &field.kind {
            GenField::Connection(tokens, _, _) => {
                for token in tokens.iter().take(MAX_ELEMENTS) {
                    match token {
                        ConnToken::Close => facts.close = true,
                        ConnToken::KeepAlive => facts.keep_alive = true,
                        ConnToken::Upgrade => facts.upgrade_option = true,
                        ConnToken::Closed | ConnToken::KeepAliveIsh | ConnToken::Other => {}
                        ConnToken::Quoted => return Err(ErrorKind::InvalidConnectionToken),
                    }
                }
            }
            GenField::KeepAlive(params, _, _) => {
                let merged = facts.params.get_or_insert_with(KeepAlive::new);
                keep_alive_params(merged, params);
            }
            GenField::ContentLength(values, _) => {
                let values = &values[..values.len().min(MAX_ELEMENTS)];
                if values.is_empty() {
                    return Err(ErrorKind::InvalidContentLength);
                }
                for value in values {
                    let n = match *value {
                        ClValue::Num(n, _) => u64::from(n),
                        ClValue::Largest => u64::MAX,
                        _ => return Err(ErrorKind::InvalidContentLength),
                    };
                    match facts.content_length {
                        Some(old) if old != n => return Err(ErrorKind::ConflictingContentLength),
                        _ => facts.content_length = Some(n),
                    }
                }
            }
            GenField::TransferEncoding(codings, _, _) => {
                let codings = &codings[..codings.len().min(MAX_ELEMENTS)];
                if codings.is_empty() {
                    return Err(ErrorKind::InvalidTransferEncoding);
                }
                for coding in codings {
                    match coding {
                        // `chunked` takes no parameters (RFC 9112 7.1).
                        TeCoding::Quoted | TeCoding::ChunkedParam => {
                            return Err(ErrorKind::InvalidTransferEncoding);
                        }
                        TeCoding::Chunked => {
                            // chunked may be applied only once (RFC 9112 6.1).
                            if chunked_seen {
                                return Err(ErrorKind::InvalidTransferEncoding);
                            }
                            chunked_seen = true;
                            facts.transfer_encoding = TransferEncoding::Chunked;
                        }
                        TeCoding::Gzip | TeCoding::Identity | TeCoding::XChunked => {
                            facts.transfer_encoding = TransferEncoding::NotChunked;
                        }
                    }
                }
            }
            GenField::Host => hosts += 1,
            GenField::Expect => facts.expect_continue = true,
            GenField::Upgrade => facts.upgrade_field = true,
            GenField::Other(_) => {}
        }
    }
    if facts.content_length.is_some() && facts.transfer_encoding != TransferEncoding::Absent {
        if !lenient {
            return Err(ErrorKind::ContentLengthWithTransferEncoding);
        }
        // RFC 9112 6.3 rule 3: Transfer-Encoding overrides Content-Length.
        facts.framing_conflict = true;
        facts.content_length = None;
    }
    Ok((facts, hosts))
}

/// Merges the parameters of one generated `Keep-Alive` value into `merged`:
/// the smallest valid value of each parameter wins; invalid and unknown
/// ones are ignored.
pub fn keep_alive_params(merged: &mut KeepAlive, params: &[KaParam]) {
    let keep_min = |slot: &mut Option<u32>, n: u32| {
        *slot = Some(slot.map_or(n, |old| old.min(n)));
    };
    for param in params.iter().take(MAX_ELEMENTS) {
        match *param {
            KaParam::Timeout(n, _) => keep_min(&mut merged.timeout, n),
            KaParam::SpacedTimeout(n) | KaParam::Legacy(n) => {
                keep_min(&mut merged.timeout, u32::from(n));
            }
            KaParam::Max(n, _) => keep_min(&mut merged.max, n),
            KaParam::TimeoutOverflow | KaParam::MaxNegative | KaParam::Unknown => {}
        }
    }
}

/// What a generated request means, or the error the engine must report.
pub fn request(req: &GenRequest, lenient: bool) -> Result<Facts, ErrorKind> {
    request_with(req, &req.all_fields(), lenient)
}

/// Like [`request`], for the given field lines of `req`.
pub fn request_with(req: &GenRequest, fields: &[Field], lenient: bool) -> Result<Facts, ErrorKind> {
    let version = req.version.version();
    let (facts, hosts) = read_fields(version, fields, lenient)?;
    // RFC 9112 3.2: exactly one Host in HTTP/1.1, at most one in HTTP/1.0.
    if hosts > 1 || (hosts == 0 && version == Version::Http11) {
        return Err(ErrorKind::InvalidHost);
    }
    // RFC 9112 6.3 rule 4: a request body must be chunked last.
    if facts.transfer_encoding == TransferEncoding::NotChunked {
        return Err(ErrorKind::InvalidTransferEncoding);
    }
    Ok(facts)
}

/// What a generated response means, or the error the engine must report.
pub fn response(resp: &GenResponse, lenient: bool) -> Result<Facts, ErrorKind> {
    read_fields(resp.version.version(), &resp.all_fields(), lenient).map(|(facts, _)| facts)
}

/// How a request body is delimited (RFC 9112 6.3).
pub fn request_body(facts: &Facts) -> BodyKind {
    match (facts.transfer_encoding, facts.content_length) {
        (TransferEncoding::Chunked, _) => BodyKind::Chunked,
        (_, Some(n)) => BodyKind::Length(n),
        _ => BodyKind::None,
    }
}

/// How a response body is delimited (RFC 9112 6.3), answering `method`.
pub fn response_body(method: Method, status: u16, facts: &Facts) -> BodyKind {
    response_body_of(
        method,
        status,
        facts.transfer_encoding,
        facts.content_length,
    )
}

/// How a response body is delimited, from its status and framing fields,
/// answering `method`.
pub fn response_body_of(
    method: Method,
    status: u16,
    transfer_encoding: TransferEncoding,
    content_length: Option<u64>,
) -> BodyKind {
    if status == 101 || (method == Method::Connect && (200..300).contains(&status)) {
        return BodyKind::Tunnel;
    }
    if method == Method::Head || (100..200).contains(&status) || status == 204 || status == 304 {
        return BodyKind::None;
    }
    match (transfer_encoding, content_length) {
        (TransferEncoding::Chunked, _) => BodyKind::Chunked,
        (TransferEncoding::NotChunked, _) => BodyKind::UntilClose,
        (TransferEncoding::Absent, Some(n)) => BodyKind::Length(n),
        (TransferEncoding::Absent, None) => BodyKind::UntilClose,
    }
}

/// Every reason the rules give to close after one message on its own;
/// none means it allows persistence. `own_close` is the reason for its
/// `Connection: close`.
fn message_reasons(facts: &Facts, own_close: CloseReason, out: &mut Vec<CloseReason>) {
    let http10 = facts.version == Version::Http10;
    if facts.close {
        out.push(own_close);
    }
    if http10 && !facts.keep_alive {
        out.push(CloseReason::Http10NoKeepAlive);
    }
    if http10 && facts.transfer_encoding != TransferEncoding::Absent {
        out.push(CloseReason::Http10TransferEncoding);
    }
    if facts.framing_conflict {
        out.push(CloseReason::FramingConflict);
    }
}

/// Reasons to close that a server knows from the request head alone.
pub fn request_reasons(request: &Facts) -> Vec<CloseReason> {
    let mut out = Vec::new();
    message_reasons(request, CloseReason::RequestClose, &mut out);
    out
}

/// Reasons to close after `request` was answered by a final `response`
/// whose body is framed as `body` (RFC 9112 9.3). Empty: persistent.
pub fn exchange_reasons(request: &Facts, response: &Facts, body: BodyKind) -> Vec<CloseReason> {
    let mut out = request_reasons(request);
    message_reasons(response, CloseReason::ResponseClose, &mut out);
    // An HTTP/1.0 client asked for keep-alive: the response must echo it.
    if request.version == Version::Http10 && !response.keep_alive {
        out.push(CloseReason::Http10NoKeepAlive);
    }
    match body {
        BodyKind::Tunnel => out.push(CloseReason::ProtocolSwitch),
        BodyKind::UntilClose => out.push(CloseReason::CloseDelimited),
        _ => {}
    }
    out
}
