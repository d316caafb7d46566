//! `h1conn serve`: the keep-alive server of the CLI contract, on the
//! async [`server`](crate::asynch::server) (tasks on a multi-threaded tokio
//! runtime), or with `--threads` on the blocking [`server`](crate::server)
//! (a thread per connection), with the [`routes`](crate::routes) handler
//! (built-in routes, or files under `--root`). Both flavours run the
//! same engine and behave the same.
//!
//! # Output
//!
//! The first line on stdout is exactly `listening on http://HOST:PORT`
//! (the real port when `--addr` asks for port 0; IPv6 hosts in brackets),
//! flushed at once, so a script can wait for it and read the port.
//!
//! Then stderr carries one access-log line per answered request, written
//! after its response went out, in exactly this format (other tools parse
//! it):
//!
//! ```text
//! access conn=<N> req=<K> peer=<IP:PORT> method=<METHOD> target=<TARGET> version=<HTTP/1.x> status=<CODE> persist=<keep-alive|close>
//! ```
//!
//! - `conn`: the connection, counting accepted connections from 1;
//! - `req`: the request on that connection, counting from 1;
//! - `peer`: the client's address;
//! - `method`, `target`, `version`: from the request line, as received
//!   (a method and a target never contain spaces);
//! - `status`: the status code sent;
//! - `persist`: `keep-alive` when the engine keeps the connection for
//!   another request after this exchange, `close` when it closes.
//!
//! On the tokio flavour each worker thread gathers its lines and writes
//! them together (whole lines, at most 4 KiB at a time, so a pipe keeps
//! batches whole) when it runs out of work or its batch is full: under
//! load one system call carries dozens of lines, and an idle server has
//! written every line. The blocking flavour writes each line at once.
//!
//! A malformed request answered with an error status (400, 408, 414, 431,
//! 505) is logged too; when its head could not be parsed, `method`,
//! `target` and `version` are `-`. A connection that closes without a
//! request (idle timeout, peer gone) logs nothing.
//!
//! # Options and exit status
//!
//! `--keep-alive-timeout SECS` (default 5) closes idle connections and is
//! announced as `Keep-Alive: timeout=SECS`; a request head must also
//! complete within that time once started. `0` turns keep-alive off: every
//! response says `Connection: close`. `--max-requests N` (default 100; 0
//! for no limit) caps the requests on one connection.
//! `--max-connections N` (default 1024) caps the connections served at
//! once; one more is answered `503` with `Connection: close` at once.
//! `--body-timeout SECS` (default 20) and `--body-min-rate BYTES` (default
//! 500): a request body must arrive within SECS plus 1 s per BYTES
//! received, else `408` and a close.
//!
//! Exit status 2 for bad usage (an address that does not parse or cannot
//! be bound, a `--root` that is not a directory, a zero
//! `--max-connections`, `--body-timeout` or `--body-min-rate`, a timeout
//! longer than a day), 1 when serving fails at run time.

use std::fs::File;
use std::io::{self, Write as _};
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::AsFd as _;
use std::process::ExitCode;
use std::sync::OnceLock;
use std::time::Duration;

use super::ServeArgs;
use crate::asynch;
use crate::routes::Routes;
use crate::server::{self, AccessRecord, ServerConfig};

/// A bound server of either flavour.
enum Bound {
    /// The tokio server and its runtime's worker threads (`None`: one per CPU).
    Tasks(asynch::server::Server<Routes>, Option<usize>),
    Threads(server::Server),
}

impl Bound {
    fn local_addr(&self) -> SocketAddr {
        match self {
            Self::Tasks(server, _) => server.local_addr(),
            Self::Threads(server) => server.local_addr(),
        }
    }

    fn run(self) -> io::Result<()> {
        match self {
            Self::Tasks(server, workers) => {
                let mut runtime = tokio::runtime::Builder::new_multi_thread();
                runtime
                    .enable_all()
                    .thread_name("h1conn-worker")
                    .on_thread_start(access_log::gather)
                    .on_thread_park(access_log::write_gathered);
                if let Some(threads) = workers {
                    runtime.worker_threads(threads);
                }
                runtime
                    .build()?
                    .block_on(server.with_access_log(log_line).serve())
            }
            Self::Threads(server) => server.with_access_log(log_line).run(),
        }
    }
}

/// Runs `h1conn serve` until it fails (it does not stop on its own).
pub(crate) fn run(args: &ServeArgs) -> ExitCode {
    let server = match prepare(args) {
        Ok(server) => server,
        Err(message) => {
            eprintln!("h1conn: error: {message}");
            return ExitCode::from(2);
        }
    };
    let mut stdout = io::stdout().lock();
    let announced = writeln!(stdout, "listening on http://{}", server.local_addr())
        .and_then(|()| stdout.flush());
    drop(stdout);
    if let Err(e) = announced {
        eprintln!("h1conn: error: cannot write to stdout: {e}");
        return ExitCode::FAILURE;
    }
    match server.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("h1conn: error: serving failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Checks the options and binds the socket; the message of a usage error.
fn prepare(args: &ServeArgs) -> Result<Bound, String> {
    let routes = match &args.root {
        Some(dir) => Routes::files(dir).map_err(|e| format!("--root {}: {e}", dir.display()))?,
        None => Routes::builtin(),
    };
    let addrs: Vec<SocketAddr> = args
        .addr
        .to_socket_addrs()
        .map_err(|e| format!("--addr {}: not an address to listen on ({e})", args.addr))?
        .collect();
    if addrs.is_empty() {
        return Err(format!("--addr {}: resolves to no address", args.addr));
    }
    let config = ServerConfig {
        keep_alive_timeout: Duration::from_secs(args.keep_alive_timeout),
        max_requests: args.max_requests,
        max_connections: args.max_connections,
        body_timeout: Duration::from_secs(args.body_timeout),
        body_min_rate: args.body_min_rate,
        ..ServerConfig::default()
    };
    config
        .validate()
        .map_err(|e| format!("invalid options: {e}"))?;
    let bound = if args.threads {
        server::Server::bind(&addrs[..], config, routes).map(Bound::Threads)
    } else {
        asynch::server::Server::bind(&addrs[..], config, routes)
            .map(|server| Bound::Tasks(server, args.workers.map(|n| n.max(1))))
    };
    bound.map_err(|e| format!("cannot listen on {}: {e}", args.addr))
}

/// Writes the access-log line of `record` to stderr, whole, at once or
/// with its thread's batch (see [`access_log`]).
fn log_line(record: &AccessRecord<'_>) {
    access_log::add(|out| {
        push_access_line(out, record);
        out.push(b'\n');
    });
}

/// Where access-log lines go: straight to stderr, or on the tokio
/// workers into a per-thread batch written when the worker runs out of
/// work ([`write_gathered`]) or the batch is full.
mod access_log {
    use super::*;
    use std::cell::RefCell;

    /// The most a batch holds: a write of at most `PIPE_BUF` (4 KiB on
    /// Linux) to a pipe is never interleaved with another thread's.
    const BATCH: usize = 4096;

    /// One thread's lines not yet written.
    struct Batch {
        /// Whether this thread gathers lines (a tokio worker) or writes
        /// each at once.
        gathering: bool,
        lines: Vec<u8>,
    }

    impl Drop for Batch {
        fn drop(&mut self) {
            write_stderr(&self.lines);
        }
    }

    thread_local! {
        static BATCH_OF_THREAD: RefCell<Batch> = const {
            RefCell::new(Batch { gathering: false, lines: Vec::new() })
        };
    }

    /// Makes the current thread gather its lines (a runtime's
    /// `on_thread_start`).
    pub(super) fn gather() {
        BATCH_OF_THREAD.with_borrow_mut(|batch| {
            batch.gathering = true;
            batch.lines.reserve(BATCH);
        });
    }

    /// Writes the current thread's gathered lines (a runtime's
    /// `on_thread_park`: the worker has nothing else to do).
    pub(super) fn write_gathered() {
        BATCH_OF_THREAD.with_borrow_mut(|batch| {
            write_stderr(&batch.lines);
            batch.lines.clear();
        });
    }

    /// Adds the whole line (its newline included) that `write` appends.
    pub(super) fn add(write: impl Fn(&mut Vec<u8>)) {
        let added = BATCH_OF_THREAD.try_with(|cell| {
            let mut batch = cell.borrow_mut();
            if !batch.gathering {
                return false;
            }
            let start = batch.lines.len();
            write(&mut batch.lines);
            if batch.lines.len() > BATCH && start > 0 {
                // The earlier lines go now; this one starts the next batch.
                let Batch { lines, .. } = &mut *batch;
                write_stderr(lines.get(..start).unwrap_or_default());
                lines.drain(..start);
            }
            true
        });
        // Not a worker, or the thread is ending: the line goes at once.
        if added != Ok(true) {
            let mut line = Vec::with_capacity(160);
            write(&mut line);
            write_stderr(&line);
        }
    }

    /// Writes `bytes` to stderr in one system call when it can.
    fn write_stderr(bytes: &[u8]) {
        /// Stderr's descriptor, duplicated once: writing through it takes
        /// no process-wide lock, so worker threads never wait for each
        /// other's lines (`Stderr` serializes every write).
        static STDERR: OnceLock<Option<File>> = OnceLock::new();
        if bytes.is_empty() {
            return;
        }
        let unlocked = STDERR.get_or_init(|| {
            let fd = io::stderr().as_fd().try_clone_to_owned().ok()?;
            Some(File::from(fd))
        });
        let _ = match unlocked.as_ref() {
            Some(file) => (&*file).write_all(bytes),
            None => io::stderr().lock().write_all(bytes),
        };
    }
}

/// The access-log line of `record`, without the newline.
#[cfg(test)]
pub(crate) fn access_line(record: &AccessRecord<'_>) -> String {
    let mut line = Vec::new();
    push_access_line(&mut line, record);
    String::from_utf8_lossy(&line).into_owned()
}

/// Appends the access-log line of `record`, without the newline.
fn push_access_line(line: &mut Vec<u8>, record: &AccessRecord<'_>) {
    // Written piece by piece: a line per request under load, where the
    // `format!` machinery (and `SocketAddr`'s `Display`) cost several times
    // what the rest of answering a small request does.
    line.extend_from_slice(b"access conn=");
    push_decimal(line, record.conn);
    line.extend_from_slice(b" req=");
    push_decimal(line, u64::from(record.request));
    line.extend_from_slice(b" peer=");
    match record.peer {
        SocketAddr::V4(v4) => {
            for (i, octet) in v4.ip().octets().into_iter().enumerate() {
                if i > 0 {
                    line.push(b'.');
                }
                push_decimal(line, u64::from(octet));
            }
            line.push(b':');
            push_decimal(line, u64::from(v4.port()));
        }
        SocketAddr::V6(v6) => line.extend_from_slice(v6.to_string().as_bytes()),
    }
    line.extend_from_slice(b" method=");
    line.extend_from_slice(record.method.unwrap_or("-").as_bytes());
    line.extend_from_slice(b" target=");
    line.extend_from_slice(record.target.unwrap_or("-").as_bytes());
    line.extend_from_slice(b" version=");
    line.extend_from_slice(record.version.map_or("-", |v| v.as_str()).as_bytes());
    line.extend_from_slice(b" status=");
    push_decimal(line, u64::from(record.status));
    line.extend_from_slice(if record.persist {
        b" persist=keep-alive"
    } else {
        b" persist=close"
    });
}

/// Appends `n` in decimal.
fn push_decimal(out: &mut Vec<u8>, n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n;
    while let Some(slot) = at.checked_sub(1).and_then(|i| digits.get_mut(i)) {
        at -= 1;
        // `rest % 10` is below 10, so the digit is ASCII.
        *slot = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(at..).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;
    use h1conn::wire::Version;

    #[test]
    fn access_line_numbers_and_addresses() {
        let record = AccessRecord {
            conn: u64::MAX,
            request: 0,
            peer: "[::1]:8080".parse().unwrap(),
            method: Some("GET"),
            target: Some("/"),
            version: Some(Version::Http11),
            status: 999,
            persist: false,
            close_reason: None,
        };
        assert_eq!(
            access_line(&record),
            "access conn=18446744073709551615 req=0 peer=[::1]:8080 method=GET target=/ \
             version=HTTP/1.1 status=999 persist=close"
        );
        let v4 = AccessRecord {
            peer: "10.0.255.7:65535".parse().unwrap(),
            ..record
        };
        assert!(access_line(&v4).contains(" peer=10.0.255.7:65535 "));
    }

    #[test]
    fn access_line_format() {
        let record = AccessRecord {
            conn: 3,
            request: 2,
            peer: "127.0.0.1:5000".parse().unwrap(),
            method: Some("GET"),
            target: Some("/bytes/10?x=1"),
            version: Some(Version::Http10),
            status: 200,
            persist: true,
            close_reason: None,
        };
        assert_eq!(
            access_line(&record),
            "access conn=3 req=2 peer=127.0.0.1:5000 method=GET target=/bytes/10?x=1 \
             version=HTTP/1.0 status=200 persist=keep-alive"
        );
        let bad = AccessRecord {
            method: None,
            target: None,
            version: None,
            status: 400,
            persist: false,
            ..record
        };
        assert!(
            access_line(&bad).ends_with("method=- target=- version=- status=400 persist=close")
        );
    }
}
