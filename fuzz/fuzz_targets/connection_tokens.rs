//! `Connection` values from arbitrary bytes (one value per line of the
//! input): the fast flag reader and the full options reader agree with
//! each other and with a reference reading of RFC 9110 7.6.1 (a list of
//! tokens matched whole and case-insensitively; anything else is an error
//! at the element's offset); and a head carrying the same values says the
//! same, with the error at the same place in the head.
#![no_main]

use h1conn::ErrorKind;
use h1conn::wire::{
    ConnectionFlags, ConnectionOptions, MAX_CONNECTION_OPTIONS, Parsed, RequestHead,
};
use h1conn_fuzz::{is_plain_value, is_token, list_elements, split_values};
use libfuzzer_sys::fuzz_target;

/// What the reference reading finds.
#[derive(Debug, Default)]
struct Expected<'a> {
    flags: ConnectionFlags,
    others: Vec<&'a [u8]>,
    /// The value and offset of the first element that is not a token.
    error: Option<(usize, usize)>,
}

fn reference<'a>(values: &[&'a [u8]]) -> Expected<'a> {
    let mut out = Expected::default();
    for (i, value) in values.iter().enumerate() {
        for (offset, element) in list_elements(value) {
            if !is_token(element) {
                out.error = Some((i, offset));
                return out;
            }
            let lower = element.to_ascii_lowercase();
            match &lower[..] {
                b"close" => out.flags.close = true,
                b"keep-alive" => out.flags.keep_alive = true,
                b"upgrade" => out.flags.upgrade = true,
                _ => out.others.push(element),
            }
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let values: Vec<&[u8]> = split_values(data, b'\n').into_iter().take(12).collect();
    let expected = reference(&values);

    let mut flags = ConnectionFlags::new();
    let mut options = ConnectionOptions::new();
    let mut error = None;
    for (i, value) in values.iter().enumerate() {
        let fast = flags.add_value(value);
        let full = options.add_value(value);
        assert_eq!(
            fast,
            full,
            "the two readers disagree on {}",
            h1conn_fuzz::show(value)
        );
        if let Err(e) = full {
            assert_eq!(e.kind, ErrorKind::InvalidConnectionToken);
            error = Some((i, e.offset));
            break;
        }
    }
    assert_eq!(error, expected.error, "error position");
    if error.is_none() {
        assert_eq!(flags, expected.flags);
        assert_eq!(options.flags, expected.flags);
        let kept = expected.others.len().min(MAX_CONNECTION_OPTIONS);
        assert_eq!(options.others(), &expected.others[..kept]);
        assert_eq!(
            options.overflowed(),
            expected.others.len() > MAX_CONNECTION_OPTIONS
        );
        for other in options.others() {
            assert!(options.lists(other) && options.lists(&other.to_ascii_uppercase()));
        }
        assert_eq!(options.lists(b"CLOSE"), expected.flags.close);
    }

    // The same values as `Connection` fields of a request head.
    if values.iter().all(|v| is_plain_value(v)) {
        let mut head = b"GET / HTTP/1.1\r\nHost: a\r\n".to_vec();
        let mut starts = Vec::new();
        for value in &values {
            head.extend_from_slice(b"Connection: ");
            starts.push(head.len());
            head.extend_from_slice(value);
            head.extend_from_slice(b"\r\n");
        }
        head.extend_from_slice(b"\r\n");
        let config = h1conn::wire::ParseConfig::strict().with_max_head_len(1 << 20);
        match (RequestHead::parse(&head, &config), expected.error) {
            (Ok(Parsed::Complete(parsed)), None) => {
                assert_eq!(parsed.facts.connection, expected.flags);
                assert_eq!(parsed.connection_options(), options);
            }
            (Err(e), Some((i, offset))) => {
                assert_eq!(
                    (e.kind, e.offset),
                    (ErrorKind::InvalidConnectionToken, starts[i] + offset)
                );
            }
            (other, expected) => panic!("head gave {other:?}, expected error at {expected:?}"),
        }
    }
});
