//! The server test suite (`common/server_suite.rs`) against the blocking flavour (one thread per connection).

#[path = "common/server_support.rs"]
mod server_support;

// The built-in routes of `h1conn serve` belong to the binary, not to the
// library's API; the tests compile the same file.
#[allow(dead_code, unreachable_pub)]
#[path = "../src/routes.rs"]
mod routes;

use h1conn_std::server;

#[path = "common/server_suite.rs"]
mod suite;

const FLAVOUR: server_support::Flavour = server_support::Flavour::Threads;
