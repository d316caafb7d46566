//! Whole heads: the start line, the field section, and the facts the rest
//! of the engine needs from them, read in one pass over the bytes.

use super::chars::{
    SCHEME, class_run, eq_lower, find_lf, find_name, is_token, no_uppercase, trim_ows,
};
use super::connection::{ConnectionFlags, ConnectionOptions};
use super::fields::{FieldLine, Headers, list_elements_at, walk_fields};
use super::framing::{
    BodyKind, ContentLengthReader, Method, TransferEncoding, TransferEncodingReader, parse_u64,
    request_body_kind, response_body_kind,
};
use super::host::{check_authority, is_plain_reg_name};
use super::keep_alive::KeepAlive;
use super::scan::{HeadBounds, HeadScanner};
use super::start_line::{
    RequestLine, StatusLine, Version, compact_request_line, compact_status_line,
    plain_request_line, plain_status_line, request_line, start_line_error, status_line,
};
use super::{ParseConfig, Parsed};
use crate::error::{ErrorKind, ProtocolError};

/// What the fields of a head say about the connection and the framing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct HeadFacts {
    /// `close`, `keep-alive` and `upgrade` from every `Connection` field
    /// (the other options: `connection_options()` on the head).
    pub connection: ConnectionFlags,
    /// Parameters from every `Keep-Alive` field, if there was one.
    pub keep_alive: Option<KeepAlive>,
    /// The `Content-Length` (all values agreed), if present.
    pub content_length: Option<u64>,
    /// What `Transfer-Encoding` says.
    pub transfer_encoding: TransferEncoding,
    /// `Transfer-Encoding` lists a coding other than `chunked` (`gzip`,
    /// ...): a server that decodes only `chunked` answers 501 (RFC 9112 6.1).
    pub other_codings: bool,
    /// `Expect: 100-continue` was present.
    pub expect_continue: bool,
    /// An `Upgrade` field was present.
    pub upgrade: bool,
    /// Both `Content-Length` and `Transfer-Encoding` were present (only
    /// possible with [`ParseConfig::allow_content_length_with_transfer_encoding`];
    /// `Transfer-Encoding` wins and the connection must close).
    pub content_length_with_transfer_encoding: bool,
    /// Number of field lines.
    pub field_count: usize,
}

/// The fields whose values the engine reads, and the words read in their
/// values, as indexes of [`Field::NAMES`].
struct Field;

impl Field {
    const HOST: u8 = 0;
    const EXPECT: u8 = 1;
    const UPGRADE: u8 = 2;
    const CONNECTION: u8 = 3;
    const KEEP_ALIVE: u8 = 4;
    const CONTENT_LENGTH: u8 = 5;
    const TRANSFER_ENCODING: u8 = 6;
    /// The `Connection` option (`upgrade` and `keep-alive` are the names
    /// of fields too).
    const CLOSE: u8 = 7;
    /// The transfer coding.
    const CHUNKED: u8 = 8;
    /// The `Expect` value.
    const CONTINUE: u8 = 9;
    /// The names, each after its length in one byte: one small table for
    /// the field names and the words of their values (built for size).
    const NAMES: &'static [u8] = b"\x04host\x06expect\x07upgrade\x0aconnection\x0akeep-alive\
        \x0econtent-length\x11transfer-encoding\x05close\x07chunked\x0c100-continue";

    /// Which of the names `name` is (ignoring ASCII case), if any, by one
    /// loop over the table (built for size; the fast build compares
    /// lengths first). One copy: its callers pass the name alone.
    #[inline(never)]
    fn find(name: &[u8]) -> Option<u8> {
        find_name(name, Self::NAMES)
    }
}

// `find_name` compares against a lowercase table.
const _: () = assert!(no_uppercase(Field::NAMES));

/// Reads the fields that matter while the head is validated.
pub(super) struct FactsReader {
    pub(super) facts: HeadFacts,
    content_length: ContentLengthReader,
    transfer_encoding: TransferEncodingReader,
    /// Offset of the first byte of the last `Transfer-Encoding` value.
    transfer_encoding_at: usize,
    /// Offset of the last `Content-Length` value.
    content_length_at: usize,
    hosts: u8,
    /// Offset of the second `Host` field line, if any.
    second_host_at: usize,
    /// Offset of the first byte that breaks the `Host` grammar, if any.
    bad_host_at: Option<usize>,
}

impl FactsReader {
    // Built for size, one copy of the initial state, not one per caller.
    #[cfg_attr(h1conn_small, inline(never))]
    pub(super) fn new() -> Self {
        Self {
            facts: HeadFacts::default(),
            content_length: ContentLengthReader::default(),
            transfer_encoding: TransferEncodingReader::default(),
            transfer_encoding_at: 0,
            content_length_at: 0,
            hosts: 0,
            second_host_at: 0,
            bad_host_at: None,
        }
    }

    /// Validates every field line of `block` (which starts at `base` in the
    /// caller's buffer) and reads the ones that matter. Returns where the
    /// empty line that ends the field section ends, in `block`; bytes after
    /// it are not read.
    fn read(
        &mut self,
        block: &[u8],
        base: usize,
        allow_fold: bool,
        check_host: bool,
    ) -> Result<usize, ProtocolError> {
        let end = walk_fields(block, base, allow_fold, |line| {
            self.line(line, base, check_host)
        })?;
        self.finish();
        Ok(end)
    }

    /// Counts one field line (at `base` in the caller's buffer) and reads
    /// it if it is one of the fields that matter. Also reads the fields of
    /// heads the engine writes (`written`), built for size as one copy.
    ///
    /// With `check_host` (a received request) the `Host` value's grammar
    /// is checked too. Where every caller passes `false` (a client: it
    /// reads responses and its own requests), the grammar is not linked.
    #[cfg_attr(not(h1conn_small), inline(always))]
    pub(super) fn line(
        &mut self,
        line: FieldLine<'_>,
        base: usize,
        check_host: bool,
    ) -> Result<(), ProtocolError> {
        self.facts.field_count += 1;
        let name = line.header.name;
        if crate::small() {
            return Field::find(name)
                .map_or(Ok(()), |field| self.field(field, line, base, check_host));
        }
        // Compare lengths first: most fields are none of these.
        match name.len() {
            4 if eq_lower(name, b"host") => self.field(Field::HOST, line, base, check_host),
            6 if eq_lower(name, b"expect") => self.field(Field::EXPECT, line, base, check_host),
            7 if eq_lower(name, b"upgrade") => self.field(Field::UPGRADE, line, base, check_host),
            10 if eq_lower(name, b"connection") => {
                self.field(Field::CONNECTION, line, base, check_host)
            }
            10 if eq_lower(name, b"keep-alive") => {
                self.field(Field::KEEP_ALIVE, line, base, check_host)
            }
            14 if eq_lower(name, b"content-length") => {
                self.field(Field::CONTENT_LENGTH, line, base, check_host)
            }
            17 if eq_lower(name, b"transfer-encoding") => {
                self.field(Field::TRANSFER_ENCODING, line, base, check_host)
            }
            _ => Ok(()),
        }
    }

    /// Moves what the readers gathered into the facts, once every line is read.
    /// (Built for size, the one list reader writes the facts itself.)
    pub(super) fn finish(&mut self) {
        if crate::small() {
            return;
        }
        self.facts.content_length = self.content_length.value;
        self.facts.transfer_encoding = self.transfer_encoding.state;
        self.facts.other_codings = self.transfer_encoding.other_codings;
    }

    /// Reads the value of one field that matters (`field`, a [`Field`]).
    #[inline(always)]
    fn field(
        &mut self,
        field: u8,
        line: FieldLine<'_>,
        base: usize,
        check_host: bool,
    ) -> Result<(), ProtocolError> {
        let value = line.header.value;
        let at = base + line.value_offset;
        match field {
            Field::HOST => {
                // Where the second one is, if one came before.
                if self.hosts == 1 {
                    self.second_host_at = base + line.name_offset;
                }
                self.hosts = self.hosts.saturating_add(1);
                // The plain case first, inlined (built for size, the
                // full check alone: the same result).
                if check_host
                    && (crate::small() || !is_plain_reg_name(value))
                    && let Err(i) = check_authority(value, false)
                {
                    self.bad_host_at.get_or_insert(at + i);
                }
            }
            Field::EXPECT => {
                self.facts.expect_continue |= if crate::small() {
                    Field::find(value) == Some(Field::CONTINUE)
                } else {
                    eq_lower(value, b"100-continue")
                };
            }
            Field::UPGRADE => {
                self.facts.upgrade = true;
            }
            Field::KEEP_ALIVE => {
                self.facts
                    .keep_alive
                    .get_or_insert_with(KeepAlive::new)
                    .add_value(value);
            }
            // The readers that can fail: their offsets are in the value.
            // (An offset recorded before a failure is never read: the
            // head is rejected.)
            Field::CONNECTION | Field::CONTENT_LENGTH | Field::TRANSFER_ENCODING
                if crate::small() =>
            {
                if field == Field::CONTENT_LENGTH {
                    self.content_length_at = at;
                }
                if field == Field::TRANSFER_ENCODING {
                    self.transfer_encoding_at = at;
                }
                return self.list(field, value, at);
            }
            Field::CONNECTION => {
                return self
                    .facts
                    .connection
                    .add_value(value)
                    .map_err(|e| e.shifted(at));
            }
            Field::CONTENT_LENGTH => {
                self.content_length_at = at;
                return self
                    .content_length
                    .add_value(value)
                    .map_err(|e| e.shifted(at));
            }
            Field::TRANSFER_ENCODING => {
                self.transfer_encoding_at = at;
                return self
                    .transfer_encoding
                    .add_value(value)
                    .map_err(|e| e.shifted(at));
            }
            _ => {}
        }
        Ok(())
    }

    /// The value of a `Connection`, `Content-Length` or
    /// `Transfer-Encoding` field (`field`), built for size: one loop over
    /// the list for the three, with the readers' results and errors.
    /// Names are looked up in the one table of [`Field`]. Offsets in
    /// errors are from `at`, where `value` starts in the caller's buffer.
    fn list(&mut self, field: u8, value: &[u8], at: usize) -> Result<(), ProtocolError> {
        // The error kind of each field, by one look-up: `field & 3` is 3
        // for `Connection`, 1 for `Content-Length`, 2 for `Transfer-Encoding`.
        const KINDS: [ErrorKind; 4] = [
            ErrorKind::InvalidTransferEncoding,
            ErrorKind::InvalidContentLength,
            ErrorKind::InvalidTransferEncoding,
            ErrorKind::InvalidConnectionToken,
        ];
        const _: () = assert!(
            Field::CONNECTION & 3 == 3
                && Field::CONTENT_LENGTH & 3 == 1
                && Field::TRANSFER_ENCODING & 3 == 2
        );
        let kind = KINDS
            .get(usize::from(field & 3))
            .copied()
            .unwrap_or(ErrorKind::InvalidTransferEncoding);
        // An empty list is an error, but not in `Connection`.
        let mut empty = field != Field::CONNECTION;
        for (offset, element) in list_elements_at(value, at) {
            empty = false;
            let fail = ProtocolError::new(kind, offset);
            if field == Field::CONTENT_LENGTH {
                let n = parse_u64(element).ok_or(fail)?;
                let length = &mut self.facts.content_length;
                if length.is_some_and(|old| old != n) {
                    return Err(ProtocolError::new(
                        ErrorKind::ConflictingContentLength,
                        offset,
                    ));
                }
                *length = Some(n);
                continue;
            }
            // `token *( OWS ";" OWS parameter )`: parameters only in a
            // coding other than `chunked` (a connection option is one
            // token: the element, already trimmed).
            let name_len = element
                .iter()
                .position(|&b| b == b';')
                .unwrap_or(element.len());
            let name = trim_ows(element.get(..name_len).unwrap_or_default());
            let parameters = name_len < element.len();
            if !is_token(name) || (parameters && field == Field::CONNECTION) {
                return Err(fail);
            }
            let facts = &mut self.facts;
            let flags = &mut facts.connection;
            let chunked_seen = &mut self.transfer_encoding.chunked_seen;
            match (field, Field::find(name)) {
                (Field::CONNECTION, Some(Field::CLOSE)) => flags.close = true,
                (Field::CONNECTION, Some(Field::KEEP_ALIVE)) => flags.keep_alive = true,
                (Field::CONNECTION, Some(Field::UPGRADE)) => flags.upgrade = true,
                (Field::CONNECTION, _) => {}
                (_, Some(Field::CHUNKED)) => {
                    // RFC 9112 7.1: `chunked` takes no parameters, once.
                    if *chunked_seen || parameters {
                        return Err(fail);
                    }
                    *chunked_seen = true;
                    facts.transfer_encoding = TransferEncoding::Chunked;
                }
                _ => {
                    facts.transfer_encoding = TransferEncoding::NotChunked;
                    facts.other_codings = true;
                }
            }
        }
        if empty {
            return Err(ProtocolError::new(kind, at));
        }
        Ok(())
    }

    /// The checks after the fields are read: framing for every head and,
    /// with `request_version`, the request's own rules (Host, a final
    /// chunked coding). With `check_host` (as [`FactsReader::line`] was
    /// called), a `Host` value that broke its grammar too; without it no
    /// such value was recorded, and where every caller passes `false` (a
    /// client, and the heads the engine writes) the test is not linked.
    #[inline(always)]
    pub(super) fn check(
        &mut self,
        config: &ParseConfig,
        request_version: Option<Version>,
        fields_at: usize,
        check_host: bool,
    ) -> Result<(), ProtocolError> {
        self.check_framing(config)?;
        let Some(version) = request_version else {
            return Ok(());
        };
        // RFC 9112 3.2: exactly one Host in HTTP/1.1, at most one in HTTP/1.0.
        if self.hosts > 1 {
            return Err(ProtocolError::new(
                ErrorKind::InvalidHost,
                self.second_host_at,
            ));
        }
        if self.hosts == 0 && version == Version::Http11 {
            return Err(ProtocolError::new(ErrorKind::InvalidHost, fields_at));
        }
        if check_host && let Some(at) = self.bad_host_at {
            return Err(ProtocolError::new(ErrorKind::MalformedHost, at));
        }
        if self.facts.transfer_encoding == TransferEncoding::NotChunked {
            // A request body must be chunked last, or its length is unknowable.
            return Err(ProtocolError::new(
                ErrorKind::InvalidTransferEncoding,
                self.transfer_encoding_at,
            ));
        }
        Ok(())
    }

    /// The framing conflict check shared by requests and responses (built
    /// for size, inlined where the compiler finds it pays).
    #[cfg_attr(not(h1conn_small), inline(always))]
    fn check_framing(&mut self, config: &ParseConfig) -> Result<(), ProtocolError> {
        let both = self.facts.content_length.is_some()
            && self.facts.transfer_encoding != TransferEncoding::Absent;
        if both {
            if !config.allow_content_length_with_transfer_encoding {
                let at = self.transfer_encoding_at.max(self.content_length_at);
                return Err(ProtocolError::new(
                    ErrorKind::ContentLengthWithTransferEncoding,
                    at,
                ));
            }
            // Transfer-Encoding overrides Content-Length (RFC 9112 6.3 rule 3).
            self.facts.content_length_with_transfer_encoding = true;
            self.facts.content_length = None;
        }
        Ok(())
    }
}

/// A parsed request head, borrowing the caller's buffer.
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RequestHead<'a> {
    /// The method token, as received.
    pub method: &'a [u8],
    /// The request-target, as received (not decoded).
    pub target: &'a [u8],
    /// Which of the four forms the target has.
    pub target_form: TargetForm,
    /// The protocol version.
    pub version: Version,
    /// What the fields say about connection and framing.
    pub facts: HeadFacts,
    /// How the body is delimited.
    pub body: BodyKind,
    /// Bytes the head took, from the start of the buffer (leading empty
    /// lines included) to the end of its empty line.
    pub len: usize,
    fields: &'a [u8],
    allow_fold: bool,
}

/// The four forms of request-target (RFC 9112 3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TargetForm {
    /// `/path?query`
    Origin,
    /// `scheme://authority/path`, as sent to proxies.
    Absolute,
    /// `host:port`, for CONNECT only.
    Authority,
    /// `*`, for server-wide OPTIONS only.
    Asterisk,
}

impl TargetForm {
    /// The form of `target`, if it fits `method` (compared as bytes:
    /// only `CONNECT` and `OPTIONS` matter here, so no classification).
    // Inlined into the parser's hot path, as before the writer used it too.
    #[cfg_attr(not(h1conn_small), inline(always))]
    pub(super) fn classify(method: &[u8], target: &[u8]) -> Option<Self> {
        let connect = method == b"CONNECT";
        let form = match target {
            [b'/', ..] if !connect => return Some(Self::Origin),
            [b'/', ..] => Self::Origin,
            b"*" => Self::Asterisk,
            _ if connect => Self::Authority,
            _ => {
                // absolute-URI starts with `scheme ":"`, scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ):
                // a run of scheme bytes up to the first `:` (which is none).
                let scheme_len = class_run(target, SCHEME);
                let valid = target.first().is_some_and(u8::is_ascii_alphabetic)
                    && target.get(scheme_len) == Some(&b':');
                return valid.then_some(Self::Absolute);
            }
        };
        let fits = match form {
            Self::Asterisk => method == b"OPTIONS",
            // RFC 9112 3.2.3: authority-form is `uri-host ":" port`.
            Self::Authority => check_authority(target, true).is_ok(),
            _ => !connect,
        };
        fits.then_some(form)
    }
}

impl<'a> RequestHead<'a> {
    /// Parses a request head at the start of `buf`, scanning it from byte 0.
    ///
    /// Returns [`Parsed::Partial`] if the head is not complete yet. To avoid
    /// scanning the same bytes again on every read, keep a [`HeadScanner`]
    /// and call [`RequestHead::parse_bounded`] once it finds the end.
    pub fn parse(buf: &'a [u8], config: &ParseConfig) -> Result<Parsed<Self>, ProtocolError> {
        HeadScanner::new().parse_request(buf, config)
    }

    /// A well-formed head in one pass over the bytes: the fields are
    /// walked up to the empty line without looking for it first. Anything
    /// else (incomplete, invalid, lenient forms) is left to the slow way
    /// (find the end first, then say exactly what is wrong where): the
    /// result is then `Ok(Parsed::Partial)` or an error the caller drops.
    #[inline(always)]
    fn parse_one_pass(buf: &'a [u8], config: &ParseConfig) -> Result<Parsed<Self>, ProtocolError> {
        let window = buf.get(..config.max_head_len).unwrap_or(buf);
        let mut start = 0;
        while let Some([b'\r', b'\n', ..]) = window.get(start..) {
            start += 2;
        }
        Self::parse_from(window, start, None, false, config)
    }

    /// [`RequestHead::parse`] the slow way: find the end (resuming where
    /// `scanner` stopped), then parse. Built for size, the steps up to the
    /// start line are one copy for both kinds of head.
    #[cold]
    #[cfg_attr(not(h1conn_small), inline(never))]
    fn parse_scanned(
        scanner: &mut HeadScanner,
        buf: &'a [u8],
        config: &ParseConfig,
    ) -> Result<Parsed<Self>, ProtocolError> {
        if crate::small() {
            return match scanner.scan_start_line(buf, config.max_head_len, true)? {
                Some(start) => {
                    Self::from_line(buf, start.bounds, start.line, start.fields_at, config)
                }
                None => Ok(Parsed::Partial),
            };
        }
        match scanner.scan(buf, config.max_head_len, true)? {
            Some(bounds) => {
                *scanner = HeadScanner::new();
                Self::bounded(buf, bounds, config)
            }
            None => Ok(Parsed::Partial),
        }
    }

    /// Parses the complete head that `bounds` (from a [`HeadScanner`]) locates in `buf`.
    pub fn parse_bounded(
        buf: &'a [u8],
        bounds: HeadBounds,
        config: &ParseConfig,
    ) -> Result<Self, ProtocolError> {
        complete(Self::bounded(buf, bounds, config), bounds)
    }

    /// [`RequestHead::parse_bounded`], never `Ok(Parsed::Partial)`, in the
    /// shape the callers return (so the head is written once, in place).
    fn bounded(
        buf: &'a [u8],
        bounds: HeadBounds,
        config: &ParseConfig,
    ) -> Result<Parsed<Self>, ProtocolError> {
        if !crate::small() {
            // The field section runs to the bounds' end, as given.
            let head = buf.get(..bounds.end).unwrap_or_default();
            let plain = Self::parse_from(head, bounds.start, None, true, config);
            if !matches!(plain, Ok(Parsed::Partial)) {
                return plain;
            }
        }
        let (line, fields_at) = split_start_line(buf, bounds)?;
        Self::from_line(buf, bounds, line, fields_at, config)
    }

    /// The head in `bounds` whose request line is `line` (without CRLF)
    /// and whose fields start at `fields_at`: the line parsed (built for
    /// size by the compact parser, else by nom), then the rest.
    fn from_line(
        buf: &'a [u8],
        bounds: HeadBounds,
        line: &'a [u8],
        fields_at: usize,
        config: &ParseConfig,
    ) -> Result<Parsed<Self>, ProtocolError> {
        let head = buf.get(..bounds.end).unwrap_or_default();
        let line_at = bounds.start;
        let parsed = if crate::small() {
            compact_request_line(line, line_at, config.allow_multiple_spaces)?
        } else {
            match request_line(line, config.allow_multiple_spaces) {
                Ok((_, parsed)) => parsed,
                Err(e) => return Err(start_line_error(e, line, line_at)),
            }
        };
        Self::parse_from(head, fields_at, Some(&parsed), true, config)
    }

    /// The head whose request line starts at `at` in `buf` (read by the
    /// plain loop, `Ok(Parsed::Partial)` if it declines) or, with
    /// `parsed`, whose fields start at `at`: the target's form, the fields
    /// walked once up to the empty line (validated, facts read), framing
    /// and Host checked. With `to_end` the head ends where `buf` does (the
    /// caller's bounds), else at its empty line. Built once, where the
    /// caller returns it: no copy of the head on the way out.
    #[cfg_attr(not(h1conn_small), inline(never))]
    fn parse_from(
        buf: &'a [u8],
        at: usize,
        parsed: Option<&RequestLine<'a>>,
        to_end: bool,
        config: &ParseConfig,
    ) -> Result<Parsed<Self>, ProtocolError> {
        let (parsed, fields_at) = match parsed {
            Some(parsed) => (*parsed, at),
            None if crate::small() => return Ok(Parsed::Partial),
            None => match buf.get(at..).and_then(plain_request_line) {
                Some((line, line_len)) => (line, at + line_len),
                None => return Ok(Parsed::Partial),
            },
        };
        let Some(target_form) = TargetForm::classify(parsed.method, parsed.target) else {
            // The target is a sub-slice of the buffer: its offset is the pointer distance.
            let target_at = (parsed.target.as_ptr() as usize).saturating_sub(buf.as_ptr() as usize);
            return Err(ProtocolError::new(ErrorKind::InvalidTarget, target_at));
        };
        let block = buf.get(fields_at..).unwrap_or_default();
        let mut reader = FactsReader::new();
        let fields_len = reader.read(block, fields_at, false, true)?;
        reader.check(config, Some(parsed.version), fields_at, true)?;
        // The head ends at its empty line, or where the caller's bounds say.
        let len = if to_end {
            buf.len()
        } else {
            fields_at + fields_len
        };
        let facts = reader.facts;
        Ok(Parsed::Complete(Self {
            method: parsed.method,
            target: parsed.target,
            target_form,
            version: parsed.version,
            body: request_body_kind(facts.content_length, facts.transfer_encoding),
            facts,
            len,
            fields: block
                .get(..len.saturating_sub(fields_at))
                .unwrap_or_default(),
            allow_fold: false,
        }))
    }

    /// The method, classified.
    pub fn method_kind(&self) -> Method {
        Method::from_bytes(self.method)
    }

    /// The header fields, in the order received.
    pub fn headers(&self) -> Headers<'a> {
        Headers::new(self.fields, self.allow_fold)
    }

    /// Every option of every `Connection` field, including the names of
    /// hop-by-hop fields (read again from the validated head on each call).
    pub fn connection_options(&self) -> ConnectionOptions<'a> {
        connection_options(self.headers())
    }
}

/// A parsed response head, borrowing the caller's buffer.
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ResponseHead<'a> {
    /// The protocol version.
    pub version: Version,
    /// The three-digit status code (100-999).
    pub status: u16,
    /// The reason phrase, possibly empty.
    pub reason: &'a [u8],
    /// What the fields say about connection and framing.
    pub facts: HeadFacts,
    /// Bytes the head took, including its empty line.
    pub len: usize,
    fields: &'a [u8],
    allow_fold: bool,
}

impl<'a> ResponseHead<'a> {
    /// Parses a response head at the start of `buf`, scanning it from byte 0.
    ///
    /// Returns [`Parsed::Partial`] if the head is not complete yet.
    pub fn parse(buf: &'a [u8], config: &ParseConfig) -> Result<Parsed<Self>, ProtocolError> {
        HeadScanner::new().parse_response(buf, config)
    }

    /// As for requests: a well-formed head in one pass, else
    /// `Ok(Parsed::Partial)` or an error that the caller drops.
    #[inline(always)]
    fn parse_one_pass(buf: &'a [u8], config: &ParseConfig) -> Result<Parsed<Self>, ProtocolError> {
        let window = buf.get(..config.max_head_len).unwrap_or(buf);
        Self::parse_from(window, 0, None, false, config)
    }

    /// [`ResponseHead::parse`] the slow way: find the end (resuming where
    /// `scanner` stopped), then parse.
    #[cold]
    #[cfg_attr(not(h1conn_small), inline(never))]
    fn parse_scanned(
        scanner: &mut HeadScanner,
        buf: &'a [u8],
        config: &ParseConfig,
    ) -> Result<Parsed<Self>, ProtocolError> {
        if crate::small() {
            return match scanner.scan_start_line(buf, config.max_head_len, false)? {
                Some(start) => {
                    Self::from_line(buf, start.bounds, start.line, start.fields_at, config)
                }
                None => Ok(Parsed::Partial),
            };
        }
        match scanner.scan(buf, config.max_head_len, false)? {
            Some(bounds) => {
                *scanner = HeadScanner::new();
                Self::bounded(buf, bounds, config)
            }
            None => Ok(Parsed::Partial),
        }
    }

    /// Parses the complete head that `bounds` (from a [`HeadScanner`]) locates in `buf`.
    pub fn parse_bounded(
        buf: &'a [u8],
        bounds: HeadBounds,
        config: &ParseConfig,
    ) -> Result<Self, ProtocolError> {
        complete(Self::bounded(buf, bounds, config), bounds)
    }

    /// As for requests: [`ResponseHead::parse_bounded`] in the shape the
    /// callers return.
    fn bounded(
        buf: &'a [u8],
        bounds: HeadBounds,
        config: &ParseConfig,
    ) -> Result<Parsed<Self>, ProtocolError> {
        if !crate::small() {
            let head = buf.get(..bounds.end).unwrap_or_default();
            let plain = Self::parse_from(head, bounds.start, None, true, config);
            if !matches!(plain, Ok(Parsed::Partial)) {
                return plain;
            }
        }
        let (line, fields_at) = split_start_line(buf, bounds)?;
        Self::from_line(buf, bounds, line, fields_at, config)
    }

    /// The head in `bounds` whose status line is `line` (without CRLF)
    /// and whose fields start at `fields_at`, as for requests.
    fn from_line(
        buf: &'a [u8],
        bounds: HeadBounds,
        line: &'a [u8],
        fields_at: usize,
        config: &ParseConfig,
    ) -> Result<Parsed<Self>, ProtocolError> {
        let head = buf.get(..bounds.end).unwrap_or_default();
        let line_at = bounds.start;
        let (spaces, reason) = (config.allow_multiple_spaces, config.allow_missing_reason);
        let parsed = if crate::small() {
            compact_status_line(line, line_at, spaces, reason)?
        } else {
            match status_line(line, spaces, reason) {
                Ok((_, parsed)) => parsed,
                Err(e) => return Err(start_line_error(e, line, line_at)),
            }
        };
        Self::parse_from(head, fields_at, Some(&parsed), true, config)
    }

    /// The head whose status line starts at `at` in `buf` (read by the
    /// plain loop, `Ok(Parsed::Partial)` if it declines) or, with
    /// `parsed`, whose fields start at `at`: the fields walked once up to
    /// the empty line (validated, facts read), framing checked; `to_end`
    /// as for requests.
    #[cfg_attr(not(h1conn_small), inline(never))]
    fn parse_from(
        buf: &'a [u8],
        at: usize,
        parsed: Option<&StatusLine<'a>>,
        to_end: bool,
        config: &ParseConfig,
    ) -> Result<Parsed<Self>, ProtocolError> {
        let (parsed, fields_at) = match parsed {
            Some(parsed) => (*parsed, at),
            None if crate::small() => return Ok(Parsed::Partial),
            None => match buf
                .get(at..)
                .and_then(|line| plain_status_line(line, config.allow_multiple_spaces))
            {
                Some((line, line_len)) => (line, at + line_len),
                None => return Ok(Parsed::Partial),
            },
        };
        let allow_fold = config.allow_obs_fold_in_responses;
        let block = buf.get(fields_at..).unwrap_or_default();
        let mut reader = FactsReader::new();
        let fields_len = reader.read(block, fields_at, allow_fold, false)?;
        reader.check(config, None, fields_at, false)?;
        let len = if to_end {
            buf.len()
        } else {
            fields_at + fields_len
        };
        Ok(Parsed::Complete(Self {
            version: parsed.version,
            status: parsed.status,
            reason: parsed.reason,
            facts: HeadFacts { ..reader.facts },
            len,
            fields: block
                .get(..len.saturating_sub(fields_at))
                .unwrap_or_default(),
            allow_fold,
        }))
    }

    /// How the body of this response is delimited, given the method of the
    /// request it answers.
    #[cfg_attr(not(h1conn_small), inline)]
    pub fn body_kind(&self, request_method: Method) -> BodyKind {
        response_body_kind(
            request_method,
            self.status,
            self.facts.content_length,
            self.facts.transfer_encoding,
        )
    }

    /// An interim (1xx) response other than 101: a final response follows.
    pub const fn is_interim(&self) -> bool {
        self.status >= 100 && self.status < 200 && self.status != 101
    }

    /// The header fields, in the order received.
    pub fn headers(&self) -> Headers<'a> {
        Headers::new(self.fields, self.allow_fold)
    }

    /// Every option of every `Connection` field, including the names of
    /// hop-by-hop fields (read again from the validated head on each call).
    pub fn connection_options(&self) -> ConnectionOptions<'a> {
        connection_options(self.headers())
    }
}

/// A complete head's bounds and its start line, cut off (without CRLF).
struct StartLine<'a> {
    bounds: HeadBounds,
    line: &'a [u8],
    /// Where the field section starts in the buffer.
    fields_at: usize,
}

impl HeadScanner {
    /// Built for size, the slow way's first steps for both kinds of head
    /// in one copy: once [`HeadScanner::scan`] finds the end of the head
    /// (the scanner is then ready for the next one), its bounds, its start
    /// line (without CRLF) and where its fields start.
    fn scan_start_line<'a>(
        &mut self,
        buf: &'a [u8],
        max_head_len: usize,
        skip_empty_lines: bool,
    ) -> Result<Option<StartLine<'a>>, ProtocolError> {
        let Some((line_end, bounds)) = self.find_end(buf, max_head_len, skip_empty_lines)? else {
            return Ok(None);
        };
        *self = Self::new();
        // The scanner found the start line's LF, after a CR: what
        // `split_start_line` would find, without a search.
        let line = buf.get(bounds.start..line_end.saturating_sub(1));
        match line {
            Some(line) if !line.is_empty() => Ok(Some(StartLine {
                bounds,
                line,
                fields_at: line_end + 1,
            })),
            // An empty first line: a response head that ended at once.
            _ => Err(ProtocolError::new(
                ErrorKind::InvalidStartLine,
                bounds.start,
            )),
        }
    }

    /// Parses a request head from `buf`, which holds what has arrived so
    /// far (from the first byte of the head), resuming where earlier calls
    /// on a growing `buf` stopped.
    ///
    /// A head that arrives in one read is parsed in one pass over its
    /// bytes. Otherwise each call scans only the new bytes for the end of
    /// the head, and the head is parsed once it is complete (the scanner is
    /// then ready for the next head). Results and errors are those of
    /// [`HeadScanner::scan`] followed by [`RequestHead::parse_bounded`].
    #[inline]
    pub fn parse_request<'a>(
        &mut self,
        buf: &'a [u8],
        config: &ParseConfig,
    ) -> Result<Parsed<RequestHead<'a>>, ProtocolError> {
        // Built for size, the slow way alone: it gives the same results.
        if self.is_fresh() && !crate::small() {
            let head = RequestHead::parse_one_pass(buf, config);
            if let Ok(Parsed::Complete(_)) = head {
                return head;
            }
        }
        RequestHead::parse_scanned(self, buf, config)
    }

    /// Parses a response head from `buf`, as
    /// [`HeadScanner::parse_request`] does a request head.
    #[inline]
    pub fn parse_response<'a>(
        &mut self,
        buf: &'a [u8],
        config: &ParseConfig,
    ) -> Result<Parsed<ResponseHead<'a>>, ProtocolError> {
        // Built for size, the slow way alone: it gives the same results.
        if self.is_fresh() && !crate::small() {
            let head = ResponseHead::parse_one_pass(buf, config);
            if let Ok(Parsed::Complete(_)) = head {
                return head;
            }
        }
        ResponseHead::parse_scanned(self, buf, config)
    }
}

/// The head of a `bounded` parse, which is never `Ok(Parsed::Partial)`
/// (kept total: that would read as an invalid start line).
fn complete<T>(
    parsed: Result<Parsed<T>, ProtocolError>,
    bounds: HeadBounds,
) -> Result<T, ProtocolError> {
    match parsed? {
        Parsed::Complete(head) => Ok(head),
        Parsed::Partial => Err(ProtocolError::new(
            ErrorKind::InvalidStartLine,
            bounds.start,
        )),
    }
}

fn connection_options(headers: Headers<'_>) -> ConnectionOptions<'_> {
    let mut options = ConnectionOptions::new();
    for header in headers.filter(|h| h.name.eq_ignore_ascii_case(b"connection")) {
        // Validated while parsing the head: cannot fail here.
        let _ = options.add_value(header.value);
    }
    options
}

/// Cuts the start line (without CRLF, at `bounds.start`) off a bounded
/// head: the line, and where the field section starts in `buf`.
fn split_start_line(buf: &[u8], bounds: HeadBounds) -> Result<(&[u8], usize), ProtocolError> {
    let head = buf.get(bounds.start..bounds.end).unwrap_or_default();
    let lf = find_lf(head).ok_or(ProtocolError::new(
        ErrorKind::InvalidStartLine,
        bounds.start,
    ))?;
    if lf == 0 || head.get(lf - 1) != Some(&b'\r') {
        return Err(ProtocolError::new(ErrorKind::BareLf, bounds.start + lf));
    }
    let line = head.get(..lf - 1).unwrap_or_default();
    if line.is_empty() {
        return Err(ProtocolError::new(
            ErrorKind::InvalidStartLine,
            bounds.start,
        ));
    }
    Ok((line, bounds.start + lf + 1))
}
