//! Response heads from arbitrary bytes, with each configuration: never a
//! panic; every accepted head obeys the rules (status 100-999, reason
//! without control bytes, token field names, trimmed values without
//! control bytes unless folds are allowed); the body framing for every
//! method agrees with the reference model; errors carry a sane offset and
//! status; pieces give the same result as the whole.
#![no_main]

use h1conn::wire::{Method, Parsed, ResponseHead, TransferEncoding};
use h1conn_fuzz::heads::{Kind, check_error, check_fields, check_incremental, configs};
use h1conn_fuzz::model::response_body_of;
use libfuzzer_sys::fuzz_target;

const METHODS: [Method; 10] = [
    Method::Get,
    Method::Head,
    Method::Post,
    Method::Put,
    Method::Delete,
    Method::Connect,
    Method::Options,
    Method::Trace,
    Method::Patch,
    Method::Other,
];

fuzz_target!(|data: &[u8]| {
    for config in configs() {
        let result = ResponseHead::parse(data, &config);
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
                assert_eq!(ResponseHead::parse(bytes, &config), result);
                assert!((100..=999).contains(&head.status));
                assert!(
                    head.reason
                        .iter()
                        .all(|&b| b == b'\t' || (b >= 0x20 && b != 0x7f)),
                    "control byte in the reason phrase"
                );
                check_fields(
                    head.headers(),
                    head.facts.field_count,
                    config.allow_obs_fold_in_responses,
                );
                let has = |name: &[u8]| head.headers().any(|h| h.name.eq_ignore_ascii_case(name));
                assert_eq!(
                    head.facts.transfer_encoding != TransferEncoding::Absent,
                    has(b"transfer-encoding")
                );
                if head.facts.content_length_with_transfer_encoding {
                    assert!(config.allow_content_length_with_transfer_encoding);
                }
                for method in METHODS {
                    assert_eq!(
                        head.body_kind(method),
                        response_body_of(
                            method,
                            head.status,
                            head.facts.transfer_encoding,
                            head.facts.content_length
                        ),
                        "{method:?} {}",
                        head.status
                    );
                }
                assert_eq!(head.connection_options().flags, head.facts.connection);
            }
        }
        check_incremental(data, &config, Kind::Response);
    }
});
