//! The `h1conn` command-line tool: `get`, `serve` and `demo`, as described
//! in the CLI contract. Argument parsing lives here; each command has its
//! own module.

pub(crate) mod demo;
pub(crate) mod get;
pub(crate) mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// h1conn: an HTTP/1.x client and server that show what the connection
/// engine decides (reuse, Keep-Alive timeout and max, why a connection closed).
#[derive(Debug, Parser)]
#[command(name = "h1conn", version, about)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Fetch URLs over pooled keep-alive connections.
    Get(GetArgs),
    /// Serve a small keep-alive-aware HTTP/1.1 server.
    Serve(ServeArgs),
    /// Run a server and a scripted client session in-process and show the
    /// engine's decisions as a table.
    Demo,
}

/// Options of `h1conn get`.
#[derive(Debug, Clone, Args)]
pub(crate) struct GetArgs {
    /// The URLs to fetch, in order (http only).
    #[arg(required = true, value_name = "URL")]
    pub(crate) urls: Vec<String>,
    /// Fetch the whole URL list N times.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub(crate) repeat: u32,
    /// Request method.
    #[arg(
        short = 'X',
        long = "request",
        default_value = "GET",
        value_name = "METHOD"
    )]
    pub(crate) method: String,
    /// Add a request header ('Name: value'); repeatable.
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub(crate) headers: Vec<String>,
    /// Request body (sent with Content-Length).
    #[arg(short = 'd', long = "data", value_name = "DATA")]
    pub(crate) data: Option<String>,
    /// Send HTTP/1.0 requests (with Connection: keep-alive unless --no-keep-alive).
    #[arg(long = "http1.0")]
    pub(crate) http10: bool,
    /// Never reuse a connection; every request says Connection: close.
    #[arg(long)]
    pub(crate) no_keep_alive: bool,
    /// Sleep MS milliseconds between two requests.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub(crate) wait: u64,
    /// Reuse a connection whose peer announced Keep-Alive: timeout=T only
    /// while idle for less than T*1000 - MS milliseconds.
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    pub(crate) idle_margin: u64,
    /// Give up on a connect or a silent peer after MS milliseconds.
    #[arg(long, default_value_t = 30_000, value_name = "MS")]
    pub(crate) timeout: u64,
    /// One JSON object per exchange on stderr.
    #[arg(long)]
    pub(crate) trace: bool,
    /// Write bodies to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
}

/// Options of `h1conn serve`.
#[derive(Debug, Clone, Args)]
pub(crate) struct ServeArgs {
    /// Bind address (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub(crate) addr: String,
    /// Close a connection idle longer than this many seconds.
    #[arg(long, default_value_t = 5, value_name = "SECS")]
    pub(crate) keep_alive_timeout: u64,
    /// Requests served on one connection at most.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub(crate) max_requests: u32,
    /// Serve files under DIR for GET and HEAD instead of the built-in routes.
    #[arg(long, value_name = "DIR")]
    pub(crate) root: Option<PathBuf>,
}

/// Runs the parsed command line.
pub(crate) fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Get(args) => get::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Demo => demo::run(),
    }
}
