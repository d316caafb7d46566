//! A whole keep-alive exchange, h1conn side by side with httparse in the
//! same run: a client and a server `h1conn::Connection` (head writing,
//! parsing, persistence decision, state machine, body framing) against the
//! same job done by hand around httparse (see `support/exchange_work.rs`).
//!
//! Each iteration is two exchanges on one connection: a GET answered with
//! a 1 KiB `Content-Length` body and a GET answered with four 256-byte
//! chunks. Compare the two lines of the group (the ratio), not absolute
//! times: these machines are shared.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[path = "support/exchange_work.rs"]
mod work;

fn exchange(c: &mut Criterion) {
    let bodies = work::Bodies::new();
    let mut wire = work::Wire::new();
    let mut pair = work::EnginePair::new();
    let engine = work::engine(&mut pair, &mut wire, &bodies);
    let by_hand = work::httparse(&mut wire, &bodies);
    assert_eq!(engine, by_hand, "both sides must see the same exchange");
    assert!(engine.reusable, "the connection must persist");
    assert_eq!(
        engine.body_bytes,
        work::BODY_LEN + work::CHUNKS * work::CHUNK_LEN
    );

    let mut group = c.benchmark_group("exchange_2x");
    // Two exchanges per iteration.
    group.throughput(Throughput::Elements(2));
    group.bench_function("h1conn", |b| {
        b.iter(|| work::engine(&mut pair, &mut wire, &bodies))
    });
    group.bench_function("httparse", |b| {
        b.iter(|| work::httparse(&mut wire, &bodies))
    });
    group.finish();
}

criterion_group!(benches, exchange);
criterion_main!(benches);
