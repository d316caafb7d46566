//! The `h1conn` command-line tool: `get`, `serve` and `demo`, as described
//! in the CLI contract. Argument parsing lives here; each command has its
//! own module.

pub(crate) mod demo;
pub(crate) mod get;
pub(crate) mod serve;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// Exit statuses, shown by `--help`.
const EXIT_CODES: &str = "\
Exit status:
  0  every request got a complete final response (any status, unless --fail)
  1  a request failed (connection refused, malformed response, peer closed
     mid-message, timeout, or a status >= 400 with --fail); one line
     `h1conn: error: URL: cause` on stderr
  2  bad usage (unknown option, invalid URL or header, https)";

/// `serve`'s routes, shown by `h1conn serve --help`.
const ROUTES: &str = "\
Built-in routes (any method; HEAD gets the head without the body):
  /             200, text/plain, a short greeting
  /echo         200, text/plain: the request line, each request header as
                received, a blank line, then the request body
  /bytes/N      200, N bytes with Content-Length
  /chunked/N    200, N bytes with Transfer-Encoding: chunked
  /status/NNN   status NNN, empty body (no body at all for 204 and 304)
  anything else 404
With --root DIR, GET and HEAD serve files under DIR instead.

Exit status: 2 for bad usage (address, --root), 1 when serving fails.";

/// h1conn: an HTTP/1.x client and server that show what the connection
/// engine decides (reuse, Keep-Alive timeout and max, why a connection closed).
#[derive(Debug, Parser)]
#[command(name = "h1conn", version, about, after_help = EXIT_CODES)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Fetch URLs over pooled keep-alive connections.
    #[command(after_help = EXIT_CODES)]
    Get(GetArgs),
    /// Serve a small keep-alive-aware HTTP/1.1 server.
    #[command(after_help = ROUTES)]
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
    /// Give up when one whole exchange (connect, request, response) takes
    /// longer than SECS (decimals allowed, e.g. 0.5); default: no limit.
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub(crate) max_time: Option<Duration>,
    /// Give up on a TCP connect after SECS (decimals allowed); default:
    /// --timeout.
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub(crate) connect_timeout: Option<Duration>,
    /// One JSON object per exchange on stderr.
    #[arg(long)]
    pub(crate) trace: bool,
    /// Trace on stderr in curl's style: `> ` request head lines, `< `
    /// response head lines, `* ` what the engine decided.
    #[arg(short = 'v', long)]
    pub(crate) verbose: bool,
    /// Print each response head before its body.
    #[arg(short = 'i', long = "include")]
    pub(crate) include: bool,
    /// Send HEAD requests and print only the response heads.
    #[arg(short = 'I', long = "head")]
    pub(crate) head: bool,
    /// Silent: no progress meter (errors still print).
    #[arg(short = 's', long)]
    pub(crate) silent: bool,
    /// Fail (exit 1) when a final status is 400 or more.
    #[arg(short = 'f', long)]
    pub(crate) fail: bool,
    /// Write bodies to FILE instead of stdout (with a progress meter when
    /// stderr is a terminal).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
}

/// A number of seconds as curl takes it: a non-negative decimal.
fn parse_secs(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    Duration::try_from_secs_f64(secs).map_err(|_| format!("{text:?} is out of range"))
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
    /// Connections served at once at most; above it a new connection gets
    /// 503 with Connection: close at once.
    #[arg(long, default_value_t = 1024, value_name = "N")]
    pub(crate) max_connections: usize,
    /// A request body must arrive within SECS, extended by 1 s for every
    /// --body-min-rate bytes received; past it: 408 and a close.
    #[arg(long, default_value_t = 20, value_name = "SECS")]
    pub(crate) body_timeout: u64,
    /// Bytes of request body that earn one more second (see --body-timeout).
    #[arg(long, default_value_t = 500, value_name = "BYTES")]
    pub(crate) body_min_rate: u32,
    /// Serve with one thread per connection (the blocking flavour) instead
    /// of tasks on a multi-threaded tokio runtime.
    #[arg(long)]
    pub(crate) threads: bool,
    /// Worker threads of the tokio runtime (default: one per CPU).
    #[arg(long, value_name = "N", conflicts_with = "threads")]
    pub(crate) workers: Option<usize>,
}

/// Runs the parsed command line.
pub(crate) fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Get(args) => get::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Demo => demo::run(),
    }
}
