//! Sequential GETs of `/bytes/1024` from an in-process h1conn server over
//! loopback TCP, each client in the same run:
//!
//! - `h1conn_keep_alive`: the pooled `h1conn_std::client::Client`;
//! - `ureq_keep_alive`: ureq's `Agent` (also pools connections);
//! - `h1conn_close`: the h1conn client sending `Connection: close`, so
//!   every GET opens a new connection: the speed-up keep-alive buys is the
//!   ratio of this line to the first.
//!
//! The server runs with its defaults (`Keep-Alive: timeout=5, max=100`),
//! so the keep-alive clients open a new connection every 100 requests.
//! Client and server share the machine: compare ratios within one run.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::io::Read;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use h1conn_std::client::{Client, Request};
// The built-in routes of `h1conn serve` belong to the binary, not to the
// library's API; the tests compile the same file (it names `crate::server`).
#[allow(dead_code, unreachable_pub, unused_imports)]
#[path = "../src/routes.rs"]
mod routes;
use h1conn_std::server;
use h1conn_std::server::{Server, ServerConfig};
use routes::Routes;

const BODY: usize = 1024;

fn throughput(c: &mut Criterion) {
    let server = Server::bind("127.0.0.1:0", ServerConfig::default(), Routes::builtin())
        .expect("bind")
        .spawn()
        .expect("spawn");
    let url = format!("http://{}/bytes/{BODY}", server.local_addr());

    let client = Client::new();
    let h1conn_get = |request: &Request| {
        let mut response = client.send(request).expect("h1conn GET");
        assert_eq!(response.status(), 200);
        let body = response.body().expect("h1conn body");
        assert_eq!(body.len(), BODY);
    };
    let agent = ureq::Agent::new_with_defaults();
    let ureq_get = || {
        let mut response = agent.get(&url).call().expect("ureq GET");
        assert_eq!(response.status(), 200);
        let mut body = Vec::with_capacity(BODY);
        response
            .body_mut()
            .as_reader()
            .read_to_end(&mut body)
            .expect("ureq body");
        assert_eq!(body.len(), BODY);
    };
    let keep_alive = Request::new("GET", &url).expect("url");
    let close = Request::new("GET", &url)
        .expect("url")
        .header("Connection", "close");

    // Warm both pools, and check that keep-alive really reuses.
    let before = client.connections_opened();
    for _ in 0..10 {
        h1conn_get(&keep_alive);
        ureq_get();
    }
    assert_eq!(client.connections_opened() - before, 1, "h1conn must reuse");

    let mut group = c.benchmark_group("get_1KiB");
    group.throughput(Throughput::Elements(1));
    group.bench_function("h1conn_keep_alive", |b| b.iter(|| h1conn_get(&keep_alive)));
    group.bench_function("ureq_keep_alive", |b| b.iter(ureq_get));
    group.bench_function("h1conn_close", |b| b.iter(|| h1conn_get(&close)));
    group.finish();
    server.shutdown();
}

fn config() -> Criterion {
    // Each GET is a few tens of microseconds; short runs keep the number of
    // closed connections (TIME_WAIT sockets) of the close variant modest.
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = throughput
}
criterion_main!(benches);
