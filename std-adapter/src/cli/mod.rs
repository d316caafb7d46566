//! The `h1conn` command-line tool: `get`, `serve` and `demo`, as described
//! in the CLI contract. Argument parsing lives here; each command has its
//! own module.

pub mod demo;
pub mod get;
pub mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// h1conn: an HTTP/1.x client and server that show what the connection
/// engine decides (reuse, Keep-Alive timeout and max, why a connection closed).
#[derive(Debug, Parser)]
#[command(name = "h1conn", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
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
pub struct GetArgs {
    /// The URLs to fetch, in order (http only).
    #[arg(required = true, value_name = "URL")]
    pub urls: Vec<String>,
    /// Fetch the whole URL list N times.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub repeat: u32,
    /// Request method.
    #[arg(
        short = 'X',
        long = "request",
        default_value = "GET",
        value_name = "METHOD"
    )]
    pub method: String,
    /// Add a request header ('Name: value'); repeatable.
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,
    /// Request body (sent with Content-Length).
    #[arg(short = 'd', long = "data", value_name = "DATA")]
    pub data: Option<String>,
    /// Send HTTP/1.0 requests (with Connection: keep-alive unless --no-keep-alive).
    #[arg(long = "http1.0")]
    pub http10: bool,
    /// Never reuse a connection; every request says Connection: close.
    #[arg(long)]
    pub no_keep_alive: bool,
    /// Sleep MS milliseconds between two requests.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub wait: u64,
    /// Reuse a connection whose peer announced Keep-Alive: timeout=T only
    /// while idle for less than T*1000 - MS milliseconds.
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    pub idle_margin: u64,
    /// Give up on a connect or a silent peer after MS milliseconds.
    #[arg(long, default_value_t = 30_000, value_name = "MS")]
    pub timeout: u64,
    /// One JSON object per exchange on stderr.
    #[arg(long)]
    pub trace: bool,
    /// Write bodies to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Options of `h1conn serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Bind address (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub addr: String,
    /// Close a connection idle longer than this many seconds.
    #[arg(long, default_value_t = 5, value_name = "SECS")]
    pub keep_alive_timeout: u64,
    /// Requests served on one connection at most.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub max_requests: u32,
    /// Serve files under DIR for GET and HEAD instead of the built-in routes.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Connections served at once at most; above it a new connection gets
    /// 503 with Connection: close at once.
    #[arg(long, default_value_t = 1024, value_name = "N")]
    pub max_connections: usize,
    /// A request body must arrive within SECS, extended by 1 s for every
    /// --body-min-rate bytes received; past it: 408 and a close.
    #[arg(long, default_value_t = 20, value_name = "SECS")]
    pub body_timeout: u64,
    /// Bytes of request body that earn one more second (see --body-timeout).
    #[arg(long, default_value_t = 500, value_name = "BYTES")]
    pub body_min_rate: u32,
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Get(args) => get::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Demo => demo::run(),
    }
}
