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
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use h1conn::wire::{ParseConfig, Parsed, RequestHead, ResponseHead};

#[allow(dead_code)]
#[path = "support/peer.rs"]
mod peer;

fn h1conn_head(buf: &[u8], response: bool, config: &ParseConfig) -> usize {
    let len = if response {
        match ResponseHead::parse(buf, config) {
            Ok(Parsed::Complete(head)) => head.len,
            other => panic!("corpus response must parse: {other:?}"),
        }
    } else {
        match RequestHead::parse(buf, config) {
            Ok(Parsed::Complete(head)) => head.len,
            other => panic!("corpus request must parse: {other:?}"),
        }
    };
    black_box(len)
}

/// The corpus heads, by name, smallest first.
fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus");
    let mut heads: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("corpus directory")
        .map(|entry| entry.expect("corpus entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "http"))
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).expect("corpus file"))
        })
        .collect();
    heads.sort_by_key(|(name, buf)| (buf.len(), name.clone()));
    heads
}

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
