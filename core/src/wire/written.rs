//! The facts of a head the engine writes, read from the parts it writes it
//! from instead of by parsing the written bytes back.
//!
//! The parts already passed the writer's checks (token names and method,
//! field values without control bytes other than HTAB, a visible-ASCII
//! target, a status of three digits), so the written head always parses
//! as far as its lines go; what remains are the checks of the fields that
//! matter and of the head as a whole, made here in the order the parser
//! makes them, with the readers it uses. The result is the same facts and
//! the same error kinds as parsing the written head strictly (a test
//! compares the two), without linking the request parser into a client or
//! parsing every head a server sends. One check is left out on purpose:
//! the grammar of a `Host` value the caller gives (see [`request_facts`]).

use super::ParseConfig;
use super::chars::trim_ows;
use super::fields::{FieldLine, Header};
use super::head::{FactsReader, HeadFacts, TargetForm};
use super::start_line::Version;
use crate::error::ErrorKind;

/// Reads `headers` as the parser reads them once written (each value
/// without surrounding whitespace, by the parser's own reader), then the
/// `Connection` field with the value `added` that the writer appends when
/// `headers` have none.
///
/// A `Keep-Alive` field the writer appends is not read: the engine acts
/// on no `Keep-Alive` parameters of a head it sends.
fn read_fields(headers: &[Header<'_>], added: Option<&[u8]>) -> Result<FactsReader, ErrorKind> {
    let mut reader = FactsReader::new();
    let mut read = |name, value| {
        let header = Header { name, value };
        let line = FieldLine {
            header,
            name_offset: 0,
            value_offset: 0,
        };
        reader.line(line, 0, false).map_err(|e| e.kind)
    };
    for header in headers {
        read(header.name, trim_ows(header.value))?;
    }
    // The writer's own test of whether the caller set the field, made
    // only when there is a field to add (not at all for most requests).
    if let Some(value) = added
        && !headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case(b"connection"))
    {
        read(b"Connection", value)?;
    }
    reader.finish();
    Ok(reader)
}

/// The facts of the request head written from these parts (`added`: the
/// value of the `Connection` field the writer appends when `headers` have
/// none), or the kind of error its strict parse would give, except one:
/// the grammar of the `Host` value is not checked (its count is).
///
/// A malformed `Host` from the caller harms neither framing nor reuse (the
/// server answers 400), and checking `uri-host [ ":" port ]`, IPv6
/// literals included, would link about 600 bytes into every client (the
/// grammar stays in the request parser, where RFC 9112 3.2 requires it).
pub(crate) fn request_facts(
    method: &[u8],
    target: &[u8],
    version: Version,
    headers: &[Header<'_>],
    added: Option<&[u8]>,
) -> Result<HeadFacts, ErrorKind> {
    if TargetForm::classify(method, target).is_none() {
        return Err(ErrorKind::InvalidTarget);
    }
    let mut reader = read_fields(headers, added)?;
    reader
        .check(&ParseConfig::strict(), Some(version), 0, false)
        .map_err(|e| e.kind)?;
    Ok(reader.facts)
}

/// The facts of the response head written from these `headers` (`added`
/// as for [`request_facts`]), or the kind of error its strict parse would
/// give.
pub(crate) fn response_facts(
    headers: &[Header<'_>],
    added: Option<&[u8]>,
) -> Result<HeadFacts, ErrorKind> {
    let mut reader = read_fields(headers, added)?;
    reader
        .check(&ParseConfig::strict(), None, 0, false)
        .map_err(|e| e.kind)?;
    Ok(reader.facts)
}

#[cfg(test)]
mod tests {
    //! The facts read from the parts agree with parsing the written head
    //! back strictly, as the engine used to: the same facts, the same
    //! error kinds, in both the fast and the compact builds.

    extern crate std;

    use std::vec::Vec;

    use quickcheck::{Arbitrary, Gen, QuickCheck};

    use super::*;
    use crate::policy::{PersistenceFields, request_fields, response_fields};
    use crate::testing::with_small;
    use crate::wire::{KeepAlive, Parsed, RequestHead, ResponseHead};
    use crate::write::{WriteError, write_request_head, write_response_head};

    const METHODS: &[&[u8]] = &[b"GET", b"HEAD", b"POST", b"CONNECT", b"OPTIONS", b"get"];
    const TARGETS: &[&[u8]] = &[
        b"/",
        b"/a?b",
        b"*",
        b"a.org:443",
        b"a.org",
        b"[::1]:80",
        b"http://a/b",
        b"1http://a",
        b"a",
        b"::",
    ];
    const NAMES: &[&[u8]] = &[
        b"Host",
        b"host",
        b"Connection",
        b"CONNECTION",
        b"Content-Length",
        b"Transfer-Encoding",
        b"Expect",
        b"Upgrade",
        b"Keep-Alive",
        b"X-Other",
        b"Hosts",
    ];
    const VALUES: &[&[u8]] = &[
        b"",
        b" ",
        b"\t",
        b"example.org",
        b" example.org\t",
        b"a.org:80",
        b"[::1]:8080",
        b"a b",
        b"%41",
        b"x@y",
        b"close",
        b" Close ",
        b"keep-alive",
        b"keep-alive, Upgrade",
        b"upgrade",
        b"a b, c",
        b",,",
        b"0",
        b"12",
        b" 12 ",
        b"12, 12",
        b"12, 13",
        b"012",
        b"-1",
        b"18446744073709551616",
        b"chunked",
        b"Chunked ",
        b"gzip, chunked",
        b"chunked, gzip",
        b"chunked, chunked",
        b"chunked;q=1",
        b"gzip",
        b"100-continue",
        b"100-Continue",
        b"timeout=5, max=3",
        b"h2c",
        b"\xff",
    ];

    /// Parts of a head, drawn from the pools above.
    #[derive(Clone, Debug)]
    struct Parts {
        method: &'static [u8],
        target: &'static [u8],
        version: Version,
        headers: Vec<(&'static [u8], &'static [u8])>,
        /// A request's `request_fields(version, keep)`; picks a response's
        /// persistence fields.
        keep: bool,
        status: u16,
    }

    impl Arbitrary for Parts {
        fn arbitrary(g: &mut Gen) -> Self {
            let pick = |g: &mut Gen, pool: &[&'static [u8]]| pool[usize::arbitrary(g) % pool.len()];
            let count = usize::arbitrary(g) % 6;
            Self {
                method: pick(g, METHODS),
                target: pick(g, TARGETS),
                version: if bool::arbitrary(g) {
                    Version::Http11
                } else {
                    Version::Http10
                },
                headers: (0..count)
                    .map(|_| (pick(g, NAMES), pick(g, VALUES)))
                    .collect(),
                keep: bool::arbitrary(g),
                status: [100, 101, 200, 204, 304, 404][usize::arbitrary(g) % 6],
            }
        }
    }

    impl Parts {
        fn headers(&self) -> Vec<Header<'static>> {
            self.headers
                .iter()
                .map(|&(name, value)| Header { name, value })
                .collect()
        }

        fn response_fields(&self) -> PersistenceFields {
            let announce = KeepAlive {
                timeout: Some(5),
                max: Some(9),
            };
            match (self.keep, self.version) {
                (false, _) => response_fields(self.version, false, None),
                (true, Version::Http10) => response_fields(self.version, true, Some(announce)),
                (true, Version::Http11) => response_fields(self.version, true, None),
            }
        }
    }

    /// What the engine reads of a head it wrote: its facts, but not its
    /// own `Keep-Alive` parameters nor its count of fields.
    fn relevant(facts: HeadFacts) -> HeadFacts {
        HeadFacts {
            keep_alive: None,
            field_count: 0,
            ..facts
        }
    }

    fn read_back<T>(
        written: Result<usize, WriteError>,
        parse: impl FnOnce(usize) -> Result<Parsed<T>, crate::ProtocolError>,
        facts: impl FnOnce(T) -> HeadFacts,
    ) -> Option<Result<HeadFacts, ErrorKind>> {
        let len = written.ok()?;
        Some(match parse(len) {
            Ok(Parsed::Complete(head)) => Ok(relevant(facts(head))),
            Ok(Parsed::Partial) => panic!("a written head reads back whole"),
            Err(e) => Err(e.kind),
        })
    }

    fn request_agrees(parts: &Parts) -> bool {
        let headers = parts.headers();
        let fields = request_fields(parts.version, parts.keep);
        let mut buf = [0u8; 1024];
        let written = write_request_head(
            &mut buf,
            parts.method,
            parts.target,
            parts.version,
            &headers,
            fields,
        );
        if written.is_err() {
            return true;
        }
        // The oracle: the same head with every `Host` value a plain name.
        // The engine does not check the grammar of the `Host` it is given
        // (see `request_facts`), and nothing else depends on that value.
        let plain: Vec<Header<'_>> = headers
            .iter()
            .map(|h| match h.name.eq_ignore_ascii_case(b"host") {
                true => Header {
                    name: h.name,
                    value: b"h",
                },
                false => *h,
            })
            .collect();
        let written = write_request_head(
            &mut buf,
            parts.method,
            parts.target,
            parts.version,
            &plain,
            fields,
        );
        let Some(expected) = read_back(
            written,
            |len| RequestHead::parse(&buf[..len], &ParseConfig::strict()),
            |head| head.facts,
        ) else {
            return true;
        };
        let derived = request_facts(
            parts.method,
            parts.target,
            parts.version,
            &headers,
            fields.connection_value(),
        )
        .map(relevant);
        derived == expected
    }

    fn response_agrees(parts: &Parts) -> bool {
        let headers = parts.headers();
        let fields = parts.response_fields();
        let mut buf = [0u8; 1024];
        let written = write_response_head(
            &mut buf,
            Version::Http11,
            parts.status,
            b"Reason",
            &headers,
            fields,
        );
        let Some(expected) = read_back(
            written,
            |len| ResponseHead::parse(&buf[..len], &ParseConfig::strict()),
            |head| head.facts,
        ) else {
            return true;
        };
        let derived = response_facts(&headers, fields.connection_value()).map(relevant);
        derived == expected
    }

    fn agrees(parts: Parts) -> bool {
        request_agrees(&parts)
            && response_agrees(&parts)
            && with_small(|| request_agrees(&parts) && response_agrees(&parts))
    }

    #[test]
    fn facts_from_parts_agree_with_reading_the_head_back() {
        QuickCheck::new()
            .tests(20_000)
            .quickcheck(agrees as fn(Parts) -> bool);
    }

    #[test]
    fn every_kind_of_outcome_is_reached() {
        // The pools reach each error and each framing: a check of the
        // generator, so the comparison above is not vacuous.
        let host = Header {
            name: b"Host",
            value: b"a",
        };
        let bad_host = Header {
            name: b"Host",
            value: b"a b:x",
        };
        let cases: &[(&[u8], &[u8], &[Header<'_>], Result<(), ErrorKind>)] = &[
            (b"GET", b"/", &[host], Ok(())),
            (b"GET", b"a", &[host], Err(ErrorKind::InvalidTarget)),
            (b"GET", b"/", &[], Err(ErrorKind::InvalidHost)),
            (b"GET", b"/", &[host, host], Err(ErrorKind::InvalidHost)),
            // The value's grammar is the caller's: written as given.
            (b"GET", b"/", &[bad_host], Ok(())),
        ];
        for &(method, target, headers, expected) in cases {
            let derived = request_facts(method, target, Version::Http11, headers, None);
            assert_eq!(derived.map(|_| ()), expected);
        }
        let mut seen = std::collections::BTreeSet::new();
        let mut g = Gen::new(10);
        for _ in 0..20_000 {
            let parts = Parts::arbitrary(&mut g);
            let headers = parts.headers();
            let outcome = request_facts(
                parts.method,
                parts.target,
                parts.version,
                &headers,
                request_fields(parts.version, parts.keep).connection_value(),
            );
            seen.insert(std::format!(
                "{:?}",
                outcome.map(|f| (f.content_length.is_some(), f.transfer_encoding))
            ));
        }
        for kind in [
            "InvalidTarget",
            "InvalidHost",
            "InvalidTransferEncoding",
            "InvalidContentLength",
            "ConflictingContentLength",
            "ContentLengthWithTransferEncoding",
            "InvalidConnectionToken",
            "Chunked",
            "Ok((true",
        ] {
            assert!(
                seen.iter().any(|s| s.contains(kind)),
                "no outcome {kind} in {seen:?}"
            );
        }
    }
}
