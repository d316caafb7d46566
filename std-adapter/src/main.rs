//! The `h1conn` command-line tool (see `h1conn --help` and `docs/cli.md`).

use std::process::ExitCode;

use clap::Parser;
// The tool's modules name the library's modules as `crate::client` and
// `crate::server` (and `crate::asynch`).
use h1conn_std::{asynch, client, server};

mod cli;
// The routes of `h1conn serve`: part of the tool, not of the library's API.
// The integration tests compile the same file and use all of it.
#[allow(unreachable_pub, dead_code)]
mod routes;

/// The tool's allocator. `h1conn serve` allocates per connection (a task
/// and its I/O registration, both cache-line aligned, a head, a log line);
/// glibc's malloc spends several hundred instructions on each aligned
/// allocation, mimalloc a few dozen.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    cli::run(cli::Cli::parse())
}
