//! Request heads from arbitrary bytes, with each configuration: never a
//! panic; every accepted head obeys the rules it was checked against (token
//! method and field names, visible-ASCII target, trimmed values without
//! control bytes, one `Host` in 1.1, framing consistent with its fields);
//! errors carry a sane offset and status; a complete head does not depend
//! on the bytes after it, every prefix of it is partial, and pieces give
//! the same result as the whole.
#![no_main]

use h1conn::wire::{Parsed, RequestHead, TransferEncoding, Version, request_body_kind};
use h1conn_fuzz::heads::{Kind, check_error, check_fields, check_incremental, configs, is_tchar};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for config in configs() {
        let result = RequestHead::parse(data, &config);
        match &result {
            Err(e) => check_error(e, data, &config),
            Ok(Parsed::Partial) => {
                assert!(
                    data.len() < config.max_head_len,
                    "partial past the head limit"
                );
            }
            Ok(Parsed::Complete(head)) => {
                assert!(head.len <= data.len() && head.len <= config.max_head_len);
                let bytes = &data[..head.len];
                assert!(
                    bytes.ends_with(b"\r\n\r\n"),
                    "head does not end with an empty line"
                );
                assert_eq!(
                    RequestHead::parse(bytes, &config),
                    result,
                    "bytes after the head changed it"
                );
                for cut in h1conn_fuzz::cut_points(bytes) {
                    assert_eq!(
                        RequestHead::parse(&bytes[..cut], &config),
                        Ok(Parsed::Partial),
                        "a prefix of a complete head is not partial"
                    );
                }
                assert!(!head.method.is_empty() && head.method.iter().all(|&b| is_tchar(b)));
                assert!(!head.target.is_empty());
                assert!(head.target.iter().all(|b| (0x21..=0x7e).contains(b)));
                check_fields(head.headers(), head.facts.field_count, false);
                let hosts = head
                    .headers()
                    .filter(|h| h.name.eq_ignore_ascii_case(b"host"))
                    .count();
                match head.version {
                    Version::Http11 => assert_eq!(hosts, 1, "HTTP/1.1 needs exactly one Host"),
                    Version::Http10 => assert!(hosts <= 1, "repeated Host"),
                }
                assert_ne!(head.facts.transfer_encoding, TransferEncoding::NotChunked);
                assert_eq!(
                    head.body,
                    request_body_kind(head.facts.content_length, head.facts.transfer_encoding)
                );
                let has = |name: &[u8]| head.headers().any(|h| h.name.eq_ignore_ascii_case(name));
                assert_eq!(
                    head.facts.transfer_encoding != TransferEncoding::Absent,
                    has(b"transfer-encoding")
                );
                if head.facts.content_length.is_some() {
                    assert!(has(b"content-length"));
                }
                if head.facts.content_length_with_transfer_encoding {
                    assert!(config.allow_content_length_with_transfer_encoding);
                    assert_eq!(
                        head.facts.content_length, None,
                        "Content-Length not overridden"
                    );
                }
                assert_eq!(head.connection_options().flags, head.facts.connection);
            }
        }
        check_incremental(data, &config, Kind::Request);
    }
});
