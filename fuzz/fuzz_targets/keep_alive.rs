//! `Keep-Alive` values, both from arbitrary bytes (one value per line) and
//! generated from parameters with random casing, quoting, separators and
//! invalid or overflowing numbers. Never a panic; merging values is
//! order-free and idempotent (the smallest valid value of each parameter
//! wins); a generated value reads as the reference model says; a response
//! head carrying the values reports the same parameters.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use h1conn::wire::{KeepAlive, ParseConfig, Parsed, ResponseHead};
use h1conn_fuzz::r#gen::{Casing, Field, GenField, KaParam, KaSep, Ows};
use h1conn_fuzz::{is_plain_value, split_values};
use libfuzzer_sys::fuzz_target;

fn merge(values: &[&[u8]]) -> KeepAlive {
    let mut params = KeepAlive::new();
    for value in values {
        params.add_value(value);
    }
    params
}

fn min(a: Option<u32>, b: Option<u32>) -> Option<u32> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fuzz_target!(|data: &[u8]| {
    let values: Vec<&[u8]> = split_values(data, b'\n').into_iter().take(8).collect();
    let forward = merge(&values);
    let mut reversed = values.clone();
    reversed.reverse();
    assert_eq!(
        forward,
        merge(&reversed),
        "the order of values changed the result"
    );
    let mut twice = forward;
    for value in &values {
        twice.add_value(value);
    }
    assert_eq!(
        forward, twice,
        "adding the same values again changed the result"
    );
    // Merging values is the smallest of what each value says alone.
    let alone = values
        .iter()
        .map(|v| KeepAlive::parse(v))
        .fold(KeepAlive::new(), |mut acc, p| {
            acc.timeout = min(acc.timeout, p.timeout);
            acc.max = min(acc.max, p.max);
            acc
        });
    assert_eq!(forward, alone);

    if values.iter().all(|v| is_plain_value(v)) {
        let mut head = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n".to_vec();
        for value in &values {
            head.extend_from_slice(b"Keep-Alive: ");
            head.extend_from_slice(value);
            head.extend_from_slice(b"\r\n");
        }
        head.extend_from_slice(b"\r\n");
        let config = ParseConfig::strict().with_max_head_len(1 << 20);
        match ResponseHead::parse(&head, &config) {
            Ok(Parsed::Complete(parsed)) => assert_eq!(parsed.facts.keep_alive, Some(forward)),
            other => panic!("a head with valid Keep-Alive values failed: {other:?}"),
        }
    }

    // Generated parameters against the model.
    let mut u = Unstructured::new(data);
    let (Ok(params), Ok(casing), Ok(sep)) = (
        Vec::<KaParam>::arbitrary(&mut u),
        Casing::arbitrary(&mut u),
        KaSep::arbitrary(&mut u),
    ) else {
        return;
    };
    let field = Field {
        kind: GenField::KeepAlive(params.clone(), casing, sep),
        name_casing: casing,
        lead: Ows::None,
        trail: Ows::None,
    };
    let value = field.value();
    let mut expected = KeepAlive::new();
    h1conn_fuzz::model::keep_alive_params(&mut expected, &params);
    assert_eq!(
        KeepAlive::parse(&value),
        expected,
        "generated value {}",
        h1conn_fuzz::show(&value)
    );
});
