//! Heads generated from `arbitrary` choices.
//!
//! Each generated field keeps what it means (which `Connection` options,
//! which `Keep-Alive` parameters, which `Content-Length` values, which
//! codings) apart from how it is written (casing, list separators, empty
//! list elements, whitespace, order, duplicates). The reference model reads
//! the meaning; the engine reads the bytes; the targets compare the two.

use arbitrary::Arbitrary;

/// Most fields in one generated head: enough for duplicates and
/// conflicts, small enough to keep each run fast.
pub const MAX_FIELDS: usize = 8;
/// Most elements in one generated list value.
pub const MAX_ELEMENTS: usize = 5;

/// Upper/lower case for each letter: bit `i % 32` of the mask says
/// whether letter `i` is upper case.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct Casing(pub u32);

impl Casing {
    /// `text` with its letters in this casing.
    pub fn apply(self, text: &str) -> Vec<u8> {
        text.bytes()
            .enumerate()
            .map(|(i, b)| {
                if self.0 >> (i % 32) & 1 == 1 {
                    b.to_ascii_uppercase()
                } else {
                    b.to_ascii_lowercase()
                }
            })
            .collect()
    }
}

/// Optional whitespace around a value or a list separator; the parser
/// trims it, so it never changes the meaning.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Ows {
    /// Nothing.
    None,
    /// One SP.
    Space,
    /// One HTAB.
    Tab,
    /// SP HTAB SP.
    Mixed,
}

impl Ows {
    /// The whitespace as bytes.
    pub const fn bytes(self) -> &'static [u8] {
        match self {
            Self::None => b"",
            Self::Space => b" ",
            Self::Tab => b"\t",
            Self::Mixed => b" \t ",
        }
    }
}

/// How list elements are separated; some forms add empty elements, which
/// a list recipient must skip (RFC 9110 5.6.1).
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Sep {
    /// `,`
    Comma,
    /// `, `
    CommaSpace,
    /// ` , `
    Spaced,
    /// `, ,` (an empty element between)
    Empty,
    /// `,\t,,` (two empty elements, one with a tab)
    Empties,
}

impl Sep {
    /// The separator as bytes.
    pub const fn bytes(self) -> &'static [u8] {
        match self {
            Self::Comma => b",",
            Self::CommaSpace => b", ",
            Self::Spaced => b" , ",
            Self::Empty => b", ,",
            Self::Empties => b",\t,,",
        }
    }
}

/// One `Connection` option.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum ConnToken {
    /// `close`
    Close,
    /// `keep-alive`
    KeepAlive,
    /// `upgrade`
    Upgrade,
    /// `closed`: not `close`, tokens are matched whole.
    Closed,
    /// `keep-alive-ish`: not `keep-alive`.
    KeepAliveIsh,
    /// `x-hop`: a hop-by-hop field name.
    Other,
    /// `"close"`: a quoted string, which is not a token: an error.
    Quoted,
}

impl ConnToken {
    /// The option as written (before casing).
    pub const fn text(self) -> &'static str {
        match self {
            Self::Close => "close",
            Self::KeepAlive => "keep-alive",
            Self::Upgrade => "upgrade",
            Self::Closed => "closed",
            Self::KeepAliveIsh => "keep-alive-ish",
            Self::Other => "x-hop",
            Self::Quoted => "\"close\"",
        }
    }
}

/// One `Keep-Alive` parameter.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum KaParam {
    /// `timeout=N` (quoted if the flag is set).
    Timeout(u32, bool),
    /// `max=N` (quoted if the flag is set).
    Max(u32, bool),
    /// `timeout=` a number that does not fit in 32 bits: ignored.
    TimeoutOverflow,
    /// `max=-1`: ignored.
    MaxNegative,
    /// `foo=bar`: unknown, ignored.
    Unknown,
    /// `timeout = N` with spaces around `=`.
    SpacedTimeout(u16),
    /// A bare number, the legacy form of a timeout.
    Legacy(u16),
}

/// One `Content-Length` list element.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum ClValue {
    /// A valid number, with this many leading zeros (0-3).
    Num(u32, u8),
    /// `18446744073709551615`: the largest valid value.
    Largest,
    /// `+N`: invalid.
    Plus(u8),
    /// `-N`: invalid.
    Minus(u8),
    /// `0xN`: invalid.
    Hex(u8),
    /// `1 2`: a space inside, invalid.
    Inner,
    /// `18446744073709551616`: overflows, invalid.
    Overflow,
}

/// One `Transfer-Encoding` list element.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum TeCoding {
    /// `chunked`
    Chunked,
    /// `chunked;x=1`: chunked with a parameter, an error (RFC 9112 7.1).
    ChunkedParam,
    /// `gzip`
    Gzip,
    /// `identity`
    Identity,
    /// `xchunked`: not chunked.
    XChunked,
    /// `"chunked"`: not a token, an error.
    Quoted,
}

impl TeCoding {
    /// The coding as written (before casing).
    pub const fn text(self) -> &'static str {
        match self {
            Self::Chunked => "chunked",
            Self::ChunkedParam => "chunked;x=1",
            Self::Gzip => "gzip",
            Self::Identity => "identity",
            Self::XChunked => "xchunked",
            Self::Quoted => "\"chunked\"",
        }
    }
}

/// One generated field line.
#[derive(Arbitrary, Debug, Clone)]
pub enum GenField {
    /// `Connection: <options>`
    Connection(Vec<ConnToken>, Casing, Sep),
    /// `Keep-Alive: <parameters>`
    KeepAlive(Vec<KaParam>, Casing, KaSep),
    /// `Content-Length: <values>`
    ContentLength(Vec<ClValue>, Sep),
    /// `Transfer-Encoding: <codings>`
    TransferEncoding(Vec<TeCoding>, Casing, Sep),
    /// Another `Host` field (in addition to the generated one).
    Host,
    /// `Expect: 100-continue`
    Expect,
    /// `Upgrade: websocket`
    Upgrade,
    /// A field of no interest to the engine.
    Other(u8),
}

/// Separators between `Keep-Alive` parameters.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum KaSep {
    /// `, `
    CommaSpace,
    /// `,`
    Comma,
    /// `; `
    Semicolon,
    /// ` ; `
    SpacedSemicolon,
}

impl KaSep {
    /// The separator as bytes.
    pub const fn bytes(self) -> &'static [u8] {
        match self {
            Self::CommaSpace => b", ",
            Self::Comma => b",",
            Self::Semicolon => b"; ",
            Self::SpacedSemicolon => b" ; ",
        }
    }
}

/// A generated field line: what it says, its name's casing, and the
/// whitespace before and after its value.
#[derive(Arbitrary, Debug, Clone)]
pub struct Field {
    /// What the field says.
    pub kind: GenField,
    /// Casing of the field name.
    pub name_casing: Casing,
    /// Whitespace before the value.
    pub lead: Ows,
    /// Whitespace after the value.
    pub trail: Ows,
}

impl Field {
    /// The field name (before casing).
    pub const fn name(&self) -> &'static str {
        match self.kind {
            GenField::Connection(..) => "Connection",
            GenField::KeepAlive(..) => "Keep-Alive",
            GenField::ContentLength(..) => "Content-Length",
            GenField::TransferEncoding(..) => "Transfer-Encoding",
            GenField::Host => "Host",
            GenField::Expect => "Expect",
            GenField::Upgrade => "Upgrade",
            GenField::Other(_) => "X-Other",
        }
    }

    /// The field value, without the surrounding whitespace.
    pub fn value(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match &self.kind {
            GenField::Connection(tokens, casing, sep) => {
                for (i, token) in tokens.iter().take(MAX_ELEMENTS).enumerate() {
                    if i > 0 {
                        out.extend_from_slice(sep.bytes());
                    }
                    out.extend(casing.apply(token.text()));
                }
            }
            GenField::KeepAlive(params, casing, sep) => {
                for (i, param) in params.iter().take(MAX_ELEMENTS).enumerate() {
                    if i > 0 {
                        out.extend_from_slice(sep.bytes());
                    }
                    let text = match *param {
                        KaParam::Timeout(n, false) => format!("timeout={n}"),
                        KaParam::Timeout(n, true) => format!("timeout=\"{n}\""),
                        KaParam::Max(n, false) => format!("max={n}"),
                        KaParam::Max(n, true) => format!("max=\"{n}\""),
                        KaParam::TimeoutOverflow => "timeout=4294967296".into(),
                        KaParam::MaxNegative => "max=-1".into(),
                        KaParam::Unknown => "foo=bar".into(),
                        KaParam::SpacedTimeout(n) => format!("timeout = {n}"),
                        KaParam::Legacy(n) => format!("{n}"),
                    };
                    out.extend(casing.apply(&text));
                }
            }
            GenField::ContentLength(values, sep) => {
                for (i, value) in values.iter().take(MAX_ELEMENTS).enumerate() {
                    if i > 0 {
                        out.extend_from_slice(sep.bytes());
                    }
                    let text = match *value {
                        ClValue::Num(n, zeros) => {
                            format!("{}{n}", "0".repeat(usize::from(zeros % 4)))
                        }
                        ClValue::Largest => u64::MAX.to_string(),
                        ClValue::Plus(n) => format!("+{n}"),
                        ClValue::Minus(n) => format!("-{n}"),
                        ClValue::Hex(n) => format!("0x{n:x}"),
                        ClValue::Inner => "1 2".into(),
                        ClValue::Overflow => "18446744073709551616".into(),
                    };
                    out.extend_from_slice(text.as_bytes());
                }
            }
            GenField::TransferEncoding(codings, casing, sep) => {
                for (i, coding) in codings.iter().take(MAX_ELEMENTS).enumerate() {
                    if i > 0 {
                        out.extend_from_slice(sep.bytes());
                    }
                    out.extend(casing.apply(coding.text()));
                }
            }
            GenField::Host => out.extend_from_slice(b"other.example"),
            GenField::Expect => out.extend_from_slice(b"100-continue"),
            GenField::Upgrade => out.extend_from_slice(b"websocket"),
            GenField::Other(n) => out.extend_from_slice(format!("v{n}").as_bytes()),
        }
        out
    }

    /// The whole field line with its CRLF.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend(self.name_casing.apply(self.name()));
        out.push(b':');
        out.extend_from_slice(self.lead.bytes());
        out.extend(self.value());
        out.extend_from_slice(self.trail.bytes());
        out.extend_from_slice(b"\r\n");
    }
}

/// Protocol versions a generated head may carry.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenVersion {
    /// `HTTP/1.0`
    Http10,
    /// `HTTP/1.1`
    Http11,
    /// `HTTP/1.2`: read as 1.1.
    Http12,
}

impl GenVersion {
    /// The version as written.
    pub const fn text(self) -> &'static str {
        match self {
            Self::Http10 => "HTTP/1.0",
            Self::Http11 => "HTTP/1.1",
            Self::Http12 => "HTTP/1.2",
        }
    }

    /// What the engine reads it as.
    pub const fn version(self) -> h1conn::wire::Version {
        match self {
            Self::Http10 => h1conn::wire::Version::Http10,
            Self::Http11 | Self::Http12 => h1conn::wire::Version::Http11,
        }
    }
}

/// Methods a generated request may use.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenMethod {
    /// `GET`
    Get,
    /// `HEAD`
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `CONNECT` (authority-form target)
    Connect,
    /// `OPTIONS *`
    Options,
    /// `PURGE`, a method the engine does not know.
    Purge,
}

impl GenMethod {
    /// The method token.
    pub const fn text(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Head => "HEAD",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Connect => "CONNECT",
            Self::Options => "OPTIONS",
            Self::Purge => "PURGE",
        }
    }

    /// A request-target of the form this method needs.
    pub const fn target(self) -> &'static str {
        match self {
            Self::Connect => "example.org:443",
            Self::Options => "*",
            _ => "/p?q=1",
        }
    }

    /// The engine's classification.
    pub fn kind(self) -> h1conn::wire::Method {
        h1conn::wire::Method::from_bytes(self.text().as_bytes())
    }
}

/// Where the request's own `Host` field goes.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostPlace {
    /// First, before the generated fields.
    First,
    /// Last, after them.
    Last,
    /// Not sent (an error in HTTP/1.1, unless a generated `Host` field
    /// provides one).
    Missing,
}

/// A generated request head.
#[derive(Arbitrary, Debug, Clone)]
pub struct GenRequest {
    /// The method (and so the target form).
    pub method: GenMethod,
    /// The version.
    pub version: GenVersion,
    /// Where `Host` goes.
    pub host: HostPlace,
    /// The other fields, in order (at most [`MAX_FIELDS`] are written).
    pub fields: Vec<Field>,
}

impl GenRequest {
    /// The fields actually written (the generated `Host` included), in order.
    pub fn all_fields(&self) -> Vec<Field> {
        let host = Field {
            kind: GenField::Host,
            name_casing: Casing(1),
            lead: Ows::Space,
            trail: Ows::None,
        };
        let mut fields: Vec<Field> = self.fields.iter().take(MAX_FIELDS).cloned().collect();
        match self.host {
            HostPlace::First => fields.insert(0, host),
            HostPlace::Last => fields.push(host),
            HostPlace::Missing => {}
        }
        fields
    }

    /// The head as bytes, with its empty line.
    pub fn bytes(&self) -> Vec<u8> {
        let mut out = format!(
            "{} {} {}\r\n",
            self.method.text(),
            self.method.target(),
            self.version.text()
        )
        .into_bytes();
        for field in self.all_fields() {
            field.write(&mut out);
        }
        out.extend_from_slice(b"\r\n");
        out
    }
}

/// Status codes a generated response may carry.
pub const STATUSES: [u16; 12] = [100, 101, 103, 200, 204, 206, 301, 304, 400, 404, 500, 503];

/// A generated response head.
#[derive(Arbitrary, Debug, Clone)]
pub struct GenResponse {
    /// Index into [`STATUSES`].
    pub status: u8,
    /// The version.
    pub version: GenVersion,
    /// The fields, in order (at most [`MAX_FIELDS`] are written).
    pub fields: Vec<Field>,
}

impl GenResponse {
    /// The status code.
    pub fn status(&self) -> u16 {
        STATUSES[usize::from(self.status) % STATUSES.len()]
    }

    /// The fields actually written, in order.
    pub fn all_fields(&self) -> Vec<Field> {
        self.fields.iter().take(MAX_FIELDS).cloned().collect()
    }

    /// The head as bytes, with its empty line.
    pub fn bytes(&self) -> Vec<u8> {
        let mut out = format!("{} {} Status\r\n", self.version.text(), self.status()).into_bytes();
        for field in self.all_fields() {
            field.write(&mut out);
        }
        out.extend_from_slice(b"\r\n");
        out
    }
}

/// Body bytes for a message framed as `kind`: a whole body for lengths up
/// to 300 bytes and for chunked framing, some bytes for a body read until
/// close, nothing otherwise (a longer length stays incomplete).
pub fn body_for(kind: h1conn::wire::BodyKind) -> Vec<u8> {
    use h1conn::wire::BodyKind;
    match kind {
        BodyKind::Length(n) if n <= 300 => vec![b'x'; n as usize],
        BodyKind::Length(_) => b"partial".to_vec(),
        BodyKind::Chunked => b"5;ext=1\r\nhello\r\n3\r\nabc\r\n0\r\nX-Trailer: t\r\n\r\n".to_vec(),
        BodyKind::UntilClose => b"until the end".to_vec(),
        BodyKind::None | BodyKind::Tunnel => Vec::new(),
    }
}
