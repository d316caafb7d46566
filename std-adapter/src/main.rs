//! The `h1conn` command-line tool (see `h1conn --help`).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    h1conn_std::cli::run(h1conn_std::cli::Cli::parse())
}
