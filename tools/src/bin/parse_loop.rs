//! Parses one corpus head in a loop; a target for profilers
//! (`perf record`, `valgrind --tool=callgrind`).
//!
//! Usage: `parse_loop <file.http> [iterations] [httparse]`; responses are
//! recognised by their `HTTP/` prefix. With `httparse` as third argument the
//! same head is parsed by httparse instead, for instruction-count ratios.

use std::hint::black_box;

use h1conn::wire::{ParseConfig, RequestHead, ResponseHead};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .expect("usage: parse_loop <file.http> [iterations]");
    let iterations: u64 = args
        .next()
        .map_or(1_000_000, |n| n.parse().expect("iterations"));
    let buf = std::fs::read(&path).expect("readable corpus file");
    let use_httparse = args.next().as_deref() == Some("httparse");
    let config = ParseConfig::default();
    let response = buf.starts_with(b"HTTP/");
    let mut total = 0usize;
    for _ in 0..iterations {
        let buf = black_box(&buf[..]);
        total += if use_httparse {
            let mut headers = [httparse::EMPTY_HEADER; 64];
            if response {
                httparse::Response::new(&mut headers)
                    .parse(buf)
                    .is_ok_and(|s| s.is_complete()) as usize
            } else {
                httparse::Request::new(&mut headers)
                    .parse(buf)
                    .is_ok_and(|s| s.is_complete()) as usize
            }
        } else if response {
            matches!(
                ResponseHead::parse(buf, &config),
                Ok(h1conn::wire::Parsed::Complete(_))
            ) as usize
        } else {
            matches!(
                RequestHead::parse(buf, &config),
                Ok(h1conn::wire::Parsed::Complete(_))
            ) as usize
        };
    }
    assert_eq!(total as u64, iterations, "every iteration must parse");
}
