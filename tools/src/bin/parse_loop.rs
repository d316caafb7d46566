//! Parses one corpus head in a loop; a target for profilers
//! (`perf record`, `valgrind --tool=callgrind`).
//!
//! Usage: `parse_loop <file.http> [iterations] [httparse|httparse_facts]`;
//! responses are recognised by their `HTTP/` prefix. With `httparse` the
//! same head is parsed by httparse instead (32 header slots), with
//! `httparse_facts` by httparse followed by the field walk its user writes
//! to learn what h1conn's `HeadFacts` holds (`core/benches/support/peer.rs`), for
//! instruction-count ratios.

use std::hint::black_box;

use h1conn::wire::{ParseConfig, Parsed, RequestHead, ResponseHead};

#[allow(dead_code)]
#[path = "../../../core/benches/support/peer.rs"]
mod peer;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .expect("usage: parse_loop <file.http> [iterations] [httparse|httparse_facts]");
    let iterations: u64 = args
        .next()
        .map_or(1_000_000, |n| n.parse().expect("iterations"));
    let buf = std::fs::read(&path).expect("readable corpus file");
    let peer = args.next();
    let config = ParseConfig::default();
    let response = buf.starts_with(b"HTTP/");
    let mut total = 0usize;
    for _ in 0..iterations {
        let buf = black_box(&buf[..]);
        total += match peer.as_deref() {
            Some("httparse") => peer::httparse_head(buf, response).is_some() as usize,
            Some("httparse_facts") => peer::httparse_head_facts(buf, response).is_some() as usize,
            Some(other) => panic!("unknown peer {other}"),
            None if response => {
                matches!(ResponseHead::parse(buf, &config), Ok(Parsed::Complete(_))) as usize
            }
            None => matches!(RequestHead::parse(buf, &config), Ok(Parsed::Complete(_))) as usize,
        };
    }
    assert_eq!(total as u64, iterations, "every iteration must parse");
}
