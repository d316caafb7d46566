//! Head parsing, h1conn side by side with httparse in the same run, on
//! every head of `core/testdata/corpus/` (27 B to 1.5 KiB: curl and browser
//! requests, HTTP/1.0 keep-alive, POST, 204, nginx and Apache responses,
//! chunked, Set-Cookie-heavy).
//!
//! Three lines per head: `h1conn` validates every byte and reads
//! Connection, Keep-Alive, Content-Length, Transfer-Encoding, Expect, Upgrade
//! and Host into `HeadFacts`; `httparse` parses into 32 header slots (as a
//! typical user sizes the array); `httparse_facts` is httparse plus the
//! field walk its user writes to learn the same facts (`benches/support/peer.rs`).
//! Compare the lines of each group (the ratio), not absolute times: these
//! machines are shared.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use h1conn::wire::ParseConfig;

#[path = "support/corpus.rs"]
mod corpus;
#[allow(dead_code)]
#[path = "support/peer.rs"]
mod peer;

use corpus::{corpus, h1conn_head};

fn parse_heads(c: &mut Criterion) {
    let config = ParseConfig::default();
    for (name, buf) in corpus() {
        let buf = &buf[..];
        let response = buf.starts_with(b"HTTP/");
        let len = h1conn_head(buf, response, &config);
        assert_eq!(Some(len), peer::httparse_head(buf, response), "{name}");
        assert_eq!(
            Some(len),
            peer::httparse_head_facts(buf, response),
            "{name}"
        );
        let mut group = c.benchmark_group(format!("{name}_{}B", buf.len()));
        group.throughput(Throughput::Bytes(buf.len() as u64));
        group.bench_function("h1conn", |b| {
            b.iter(|| h1conn_head(black_box(buf), response, &config))
        });
        group.bench_function("httparse", |b| {
            b.iter(|| peer::httparse_head(black_box(buf), response))
        });
        group.bench_function("httparse_facts", |b| {
            b.iter(|| peer::httparse_head_facts(black_box(buf), response))
        });
        group.finish();
    }
}

criterion_group!(benches, parse_heads);
criterion_main!(benches);
