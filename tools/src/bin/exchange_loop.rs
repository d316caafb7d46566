//! Runs the `exchange` bench's work in a loop: a target for callgrind.
//!
//! Usage: `exchange_loop [iterations] [httparse]`. Each iteration is two
//! keep-alive exchanges (a `Content-Length` body and a chunked body)
//! through a client and a server `h1conn::Connection`, or, with
//! `httparse`, the same job done by hand around httparse. See
//! `scripts/instructions.sh`, which subtracts a zero-iteration run.

#[path = "../../../core/benches/support/exchange_work.rs"]
mod work;

fn main() {
    let mut args = std::env::args().skip(1);
    let iterations: u64 = args
        .next()
        .map_or(100_000, |n| n.parse().expect("iterations"));
    let use_httparse = args.next().as_deref() == Some("httparse");
    let bodies = work::Bodies::new();
    let mut wire = work::Wire::new();
    let mut pair = work::EnginePair::new();
    let mut body_bytes = 0;
    for _ in 0..iterations {
        let outcome = if use_httparse {
            work::httparse(&mut wire, &bodies)
        } else {
            work::engine(&mut pair, &mut wire, &bodies)
        };
        assert!(outcome.reusable, "the connection must persist");
        body_bytes += outcome.body_bytes;
    }
    let expected = work::BODY_LEN + work::CHUNKS * work::CHUNK_LEN;
    assert_eq!(body_bytes as u64, iterations * expected as u64);
}
