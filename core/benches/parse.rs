//! Head parsing, h1conn side by side with httparse in the same run.
//!
//! Both parsers get the same complete head. httparse fills an array of 64
//! header slots; h1conn validates every byte and also reads Connection,
//! Keep-Alive and framing into `HeadFacts`. Compare the two lines of each
//! group (the ratio), not absolute times: these machines are shared.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use h1conn::wire::{ParseConfig, Parsed, RequestHead, ResponseHead};

const GET_SMALL: &[u8] = include_bytes!("../testdata/corpus/get_small.http");
const BROWSER_REQUEST: &[u8] = include_bytes!("../testdata/corpus/browser_request.http");
const KEEPALIVE_RESPONSE: &[u8] = include_bytes!("../testdata/corpus/keepalive_response.http");
const CHUNKED_RESPONSE: &[u8] = include_bytes!("../testdata/corpus/chunked_response.http");

fn h1conn_request(buf: &[u8], config: &ParseConfig) -> usize {
    match RequestHead::parse(buf, config) {
        Ok(Parsed::Complete(head)) => head.len,
        other => panic!("corpus request must parse: {other:?}"),
    }
}

fn h1conn_response(buf: &[u8], config: &ParseConfig) -> usize {
    match ResponseHead::parse(buf, config) {
        Ok(Parsed::Complete(head)) => head.len,
        other => panic!("corpus response must parse: {other:?}"),
    }
}

fn httparse_request(buf: &[u8]) -> usize {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        other => panic!("corpus request must parse: {other:?}"),
    }
}

fn httparse_response(buf: &[u8]) -> usize {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        other => panic!("corpus response must parse: {other:?}"),
    }
}

fn parse_heads(c: &mut Criterion) {
    let config = ParseConfig::default();
    let requests = [
        ("get_small_37B", GET_SMALL),
        ("browser_request_704B", BROWSER_REQUEST),
    ];
    for (name, buf) in requests {
        assert_eq!(h1conn_request(buf, &config), httparse_request(buf));
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Bytes(buf.len() as u64));
        group.bench_function("h1conn", |b| {
            b.iter(|| h1conn_request(black_box(buf), &config))
        });
        group.bench_function("httparse", |b| b.iter(|| httparse_request(black_box(buf))));
        group.finish();
    }
    let responses = [
        ("keepalive_response_326B", KEEPALIVE_RESPONSE),
        ("chunked_response_199B", CHUNKED_RESPONSE),
    ];
    for (name, buf) in responses {
        assert_eq!(h1conn_response(buf, &config), httparse_response(buf));
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Bytes(buf.len() as u64));
        group.bench_function("h1conn", |b| {
            b.iter(|| h1conn_response(black_box(buf), &config))
        });
        group.bench_function("httparse", |b| b.iter(|| httparse_response(black_box(buf))));
        group.finish();
    }
}

criterion_group!(benches, parse_heads);
criterion_main!(benches);
