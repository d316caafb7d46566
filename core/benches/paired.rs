//! Time per head, h1conn / httparse, measured in alternating blocks.
//!
//! Criterion (`benches/parse.rs`) measures one function for a second or
//! two, then the next. On a shared machine a busy second then lands on one
//! side only, and the ratio of the two means moves with it. Here the two
//! parsers take turns in short blocks (a few thousand parses each; which
//! goes first alternates), so both meet the same moments of the machine;
//! each pair of blocks gives one ratio, and the median over the pairs is
//! the head's ratio (a burst of noise spoils a few pairs, not the median).
//!
//! Output, one line per corpus head: `name<TAB>bytes<TAB>h1conn /
//! httparse<TAB>h1conn / (httparse + facts)`. `scripts/bench.sh` runs it
//! several times and reports the range of each ratio over the runs.
//! `PAIRED_ROUNDS` sets the number of pairs (default 1001).

// A bench binary: a failed corpus parse is a broken setup, reported loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use h1conn::wire::ParseConfig;

#[path = "support/corpus.rs"]
mod corpus;
#[allow(dead_code)]
#[path = "support/peer.rs"]
mod peer;

use corpus::{corpus, h1conn_head};

/// How long `iterations` calls of `parse` take.
fn block(iterations: u32, mut parse: impl FnMut() -> Option<usize>) -> Duration {
    let start = Instant::now();
    for _ in 0..iterations {
        black_box(parse());
    }
    start.elapsed()
}

/// Iterations per block: about 50 µs of httparse's work, so that a block
/// is long next to the clock's resolution and short next to the machine's
/// bursts of noise.
fn iterations_for(mut parse: impl FnMut() -> Option<usize>) -> u32 {
    let mut iterations = 16u32;
    while block(iterations, &mut parse) < Duration::from_micros(50) && iterations < 1 << 20 {
        iterations *= 2;
    }
    iterations
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; this harness takes no arguments.
    let rounds: usize = std::env::var("PAIRED_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1001);
    let config = ParseConfig::default();
    for (name, buf) in corpus() {
        let buf = &buf[..];
        let response = buf.starts_with(b"HTTP/");
        let ours = || Some(h1conn_head(black_box(buf), response, &config));
        let plain = || peer::httparse_head(black_box(buf), response);
        let facts = || peer::httparse_head_facts(black_box(buf), response);
        assert_eq!(ours(), plain(), "{name}");
        assert_eq!(ours(), facts(), "{name}");
        let iterations = iterations_for(plain);
        // Warm-up: caches, branch predictors, the CPU's clock.
        for _ in 0..20 {
            block(iterations, ours);
            block(iterations, plain);
            block(iterations, facts);
        }
        let (mut to_plain, mut to_facts) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            let (ours_time, plain_time, facts_time) = if round % 2 == 0 {
                let o = block(iterations, ours);
                (o, block(iterations, plain), block(iterations, facts))
            } else {
                let f = block(iterations, facts);
                let p = block(iterations, plain);
                (block(iterations, ours), p, f)
            };
            to_plain.push(ours_time.as_secs_f64() / plain_time.as_secs_f64());
            to_facts.push(ours_time.as_secs_f64() / facts_time.as_secs_f64());
        }
        println!(
            "{name}\t{}\t{:.3}\t{:.3}",
            buf.len(),
            median(to_plain),
            median(to_facts)
        );
    }
}
