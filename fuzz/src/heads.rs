//! Checks shared by the request-head and response-head targets: what must
//! hold of any parse result, and that feeding the same bytes in pieces to
//! a `HeadScanner` gives the same head or the same error.

use h1conn::ProtocolError;
use h1conn::wire::{
    HeadBounds, HeadScanner, Headers, ParseConfig, Parsed, RequestHead, ResponseHead,
};

/// The configurations every head is parsed with: strict, every leniency,
/// and a tiny head limit (so the limit checks run often).
pub fn configs() -> [ParseConfig; 3] {
    let mut lenient = ParseConfig::lenient_responses();
    lenient.allow_content_length_with_transfer_encoding = true;
    [
        ParseConfig::strict(),
        lenient,
        ParseConfig::strict().with_max_head_len(64),
    ]
}

/// What must hold of any error: an offset inside what was examined and a
/// status a server can send.
pub fn check_error(e: &ProtocolError, data: &[u8], config: &ParseConfig) {
    assert!(
        e.offset <= data.len().max(config.max_head_len),
        "{e:?} points past the input"
    );
    assert!(
        matches!(e.status_hint(), 400 | 414 | 431 | 505),
        "{e:?} has status hint {}",
        e.status_hint()
    );
}

/// What must hold of the fields of any accepted head.
pub fn check_fields(headers: Headers<'_>, field_count: usize, folds: bool) {
    let mut count = 0;
    for header in headers {
        count += 1;
        assert!(
            !header.name.is_empty() && header.name.iter().all(|&b| is_tchar(b)),
            "field name {:?} is not a token",
            crate::show(header.name)
        );
        for (i, &b) in header.value.iter().enumerate() {
            // A fold (allowed in responses) keeps its CRLF and whitespace.
            let folded = folds
                && match b {
                    b'\r' => header.value.get(i + 1) == Some(&b'\n'),
                    b'\n' => i > 0 && header.value[i - 1] == b'\r',
                    _ => false,
                };
            assert!(
                b == b'\t' || (b >= 0x20 && b != 0x7f) || folded,
                "control byte in value {:?}",
                crate::show(header.value)
            );
        }
        let edge = |b: Option<&u8>| b.is_some_and(|&b| b == b' ' || b == b'\t');
        assert!(
            !edge(header.value.first()) && !edge(header.value.last()),
            "value {:?} not trimmed",
            crate::show(header.value)
        );
    }
    assert_eq!(
        count, field_count,
        "field count differs from the fields iterated"
    );
}

/// Whether `b` is a token character (RFC 9110 5.6.2), written out again.
pub fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Which kind of head is scanned.
#[derive(Clone, Copy)]
pub enum Kind {
    /// A request (leading empty lines skipped).
    Request,
    /// A response.
    Response,
}

/// The same head or the same error whether the bytes arrive at once or in
/// the pieces `cuts` gives; and every prefix of a complete head is partial.
pub fn check_incremental(data: &[u8], config: &ParseConfig, kind: Kind) {
    let request = matches!(kind, Kind::Request);
    let parse_bounded = |buf: &[u8], bounds: HeadBounds| -> Result<String, ProtocolError> {
        // Compared through Debug: the two head types share no trait.
        if request {
            RequestHead::parse_bounded(buf, bounds, config).map(|h| format!("{h:?}"))
        } else {
            ResponseHead::parse_bounded(buf, bounds, config).map(|h| format!("{h:?}"))
        }
    };
    let whole: Result<Option<String>, ProtocolError> = if request {
        RequestHead::parse(data, config).map(|p| match p {
            Parsed::Complete(h) => Some(format!("{h:?}")),
            Parsed::Partial => None,
        })
    } else {
        ResponseHead::parse(data, config).map(|p| match p {
            Parsed::Complete(h) => Some(format!("{h:?}")),
            Parsed::Partial => None,
        })
    };
    let mut scanner = HeadScanner::new();
    let mut result = None;
    for cut in crate::cut_points(data).into_iter().chain([data.len()]) {
        let prefix = &data[..cut];
        match scanner.scan(prefix, config.max_head_len, request) {
            Ok(None) => {}
            Ok(Some(bounds)) => {
                result = Some(parse_bounded(prefix, bounds).map(Some));
                break;
            }
            Err(e) => {
                result = Some(Err(e));
                break;
            }
        }
    }
    let pieces = result.unwrap_or(Ok(None));
    assert_eq!(
        whole,
        pieces,
        "pieces changed the result for {}",
        crate::show(data)
    );
}
