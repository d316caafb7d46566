//! The real `h1conn serve` binary against real clients: curl (connection
//! reuse across URLs, `Connection: close`) and ApacheBench (HTTP/1.0
//! keep-alive, and a load run), checked from both sides: what the client
//! reports, and the server's access log on stderr.
//!
//! curl and ab must be installed (`apt-get install -y curl apache2-utils`);
//! when one is missing its tests are reported as ignored (`[needs curl]`),
//! never as passed (see `common/interop_harness.rs`).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The server process, killed (by its own PID) and reaped when dropped,
/// also when a test panics.
struct ServerProcess {
    child: Child,
    addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One parsed access-log line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Access {
    conn: u64,
    req: u32,
    method: String,
    target: String,
    version: String,
    status: u16,
    persist: String,
}

fn parse_access(line: &str) -> Option<Access> {
    let rest = line.strip_prefix("access ")?;
    let mut fields = std::collections::HashMap::new();
    for pair in rest.split(' ') {
        let (key, value) = pair.split_once('=')?;
        fields.insert(key, value);
    }
    let names = [
        "conn", "req", "peer", "method", "target", "version", "status", "persist",
    ];
    // The keys come in exactly this order.
    let keys: Vec<&str> = rest
        .split(' ')
        .filter_map(|p| p.split_once('='))
        .map(|(k, _)| k)
        .collect();
    if keys != names {
        return None;
    }
    fields.get("peer")?.parse::<SocketAddr>().ok()?;
    Some(Access {
        conn: fields.get("conn")?.parse().ok()?,
        req: fields.get("req")?.parse().ok()?,
        method: (*fields.get("method")?).to_owned(),
        target: (*fields.get("target")?).to_owned(),
        version: (*fields.get("version")?).to_owned(),
        status: fields.get("status")?.parse().ok()?,
        persist: (*fields.get("persist")?).to_owned(),
    })
}

impl ServerProcess {
    /// Starts `h1conn serve --addr 127.0.0.1:0` with `extra` options and
    /// waits for its `listening on` line.
    fn start(extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_h1conn"))
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot start h1conn serve");
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&log);
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push(line);
            }
        });
        // Build the guard before reading, so a failure still kills the child.
        let mut server = Self {
            child,
            addr: "0.0.0.0:0".parse().unwrap(),
            log,
        };
        let mut first = String::new();
        BufReader::new(stdout).read_line(&mut first).unwrap();
        let addr = first
            .strip_suffix('\n')
            .and_then(|l| l.strip_prefix("listening on http://"))
            .unwrap_or_else(|| panic!("unexpected first line: {first:?}"));
        server.addr = addr.parse().unwrap();
        assert_eq!(server.addr.ip().to_string(), "127.0.0.1");
        assert_ne!(server.addr.port(), 0);
        server
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Waits until the access log holds at least `n` lines, then returns
    /// them parsed (every line must parse).
    fn access(&self, n: usize) -> Vec<Access> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let lines = self.log.lock().unwrap().clone();
            let parsed: Vec<Access> = lines
                .iter()
                .map(|l| parse_access(l).unwrap_or_else(|| panic!("not an access line: {l:?}")))
                .collect();
            if parsed.len() >= n || Instant::now() > deadline {
                assert!(
                    parsed.len() >= n,
                    "only {} access lines: {lines:?}",
                    parsed.len()
                );
                return parsed;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Whether `tool` can be run.
fn have(tool: &str, probe: &str) -> bool {
    Command::new(tool).arg(probe).output().is_ok()
}

fn run(tool: &str, args: &[&str]) -> Output {
    let output = Command::new(tool).args(args).output().unwrap();
    assert!(
        output.status.success(),
        "{tool} {args:?} failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The number after `label` in ab's report.
fn ab_field(report: &str, label: &str) -> u64 {
    report
        .lines()
        .find_map(|l| l.strip_prefix(label))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {label:?} in ab's report:\n{report}"))
}

fn curl_reuses_one_connection_for_several_urls() {
    let server = ServerProcess::start(&[]);
    let urls = [
        server.url("/"),
        server.url("/bytes/100"),
        server.url("/chunked/5000"),
    ];
    let mut args = vec!["-v", "-s", "--fail"];
    for url in &urls {
        args.extend(["-o", "/dev/null", url.as_str()]);
    }
    let output = run("curl", &args);
    let trace = String::from_utf8_lossy(&output.stderr);
    // curl 7.x says "Re-using existing connection", 8.x "Reusing existing connection".
    let reuses = trace
        .lines()
        .filter(|l| {
            l.contains("Re-using existing connection") || l.contains("Reusing existing connection")
        })
        .count();
    assert_eq!(reuses, 2, "curl did not reuse the connection:\n{trace}");

    let log = server.access(3);
    let seen: Vec<_> = log
        .iter()
        .map(|a| (a.conn, a.req, a.target.as_str(), a.persist.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            (1, 1, "/", "keep-alive"),
            (1, 2, "/bytes/100", "keep-alive"),
            (1, 3, "/chunked/5000", "keep-alive"),
        ]
    );
    assert!(
        log.iter()
            .all(|a| a.method == "GET" && a.version == "HTTP/1.1" && a.status == 200)
    );
}

fn curl_connection_close_makes_the_server_close() {
    let server = ServerProcess::start(&[]);
    let (a, b) = (server.url("/"), server.url("/bytes/10"));
    let output = run(
        "curl",
        &[
            "-v",
            "-s",
            "--fail",
            "-H",
            "Connection: close",
            "-o",
            "/dev/null",
            &a,
            "-o",
            "/dev/null",
            &b,
        ],
    );
    let trace = String::from_utf8_lossy(&output.stderr);
    assert!(
        !trace.contains("Re-using existing") && !trace.contains("Reusing existing"),
        "{trace}"
    );
    assert_eq!(trace.matches("< Connection: close").count(), 2, "{trace}");

    let log = server.access(2);
    let mut seen: Vec<_> = log
        .iter()
        .map(|a| (a.conn, a.req, a.status, a.persist.as_str()))
        .collect();
    // Each connection logs from its own task: lines of different
    // connections may come in either order.
    seen.sort_unstable();
    assert_eq!(seen, [(1, 1, 200, "close"), (2, 1, 200, "close")]);
}

fn ab_http10_keep_alive_serves_every_request_on_kept_connections() {
    // With the default limit of 100, every 100th response rightly says
    // close and ab would not count it as kept alive: lift the limit.
    let server = ServerProcess::start(&["--max-requests", "0"]);
    let url = server.url("/");
    let output = run("ab", &["-k", "-n", "1000", "-c", "10", &url]);
    let report = String::from_utf8_lossy(&output.stdout);
    assert_eq!(ab_field(&report, "Complete requests:"), 1000, "{report}");
    assert_eq!(ab_field(&report, "Failed requests:"), 0, "{report}");
    assert_eq!(ab_field(&report, "Keep-Alive requests:"), 1000, "{report}");
    assert!(!report.contains("Non-2xx responses"), "{report}");

    let log = server.access(1000);
    assert_eq!(log.len(), 1000);
    assert!(
        log.iter()
            .all(|a| a.version == "HTTP/1.0" && a.persist == "keep-alive" && a.status == 200)
    );
    // ab opened one connection per concurrent client, and kept each.
    let conns: std::collections::BTreeSet<u64> = log.iter().map(|a| a.conn).collect();
    assert!(
        conns.len() <= 10,
        "{} connections for 10 clients",
        conns.len()
    );
}

fn ab_load_run_with_the_default_limits_has_no_failures() {
    let server = ServerProcess::start(&[]);
    let url = server.url("/bytes/256");
    let started = Instant::now();
    let output = run("ab", &["-k", "-c", "50", "-n", "20000", &url]);
    let report = String::from_utf8_lossy(&output.stdout);
    eprintln!("ab -k -c 50 -n 20000 took {:?}", started.elapsed());
    assert_eq!(ab_field(&report, "Complete requests:"), 20000, "{report}");
    assert_eq!(ab_field(&report, "Failed requests:"), 0, "{report}");
    // At most one response in 100 closes its connection (max-requests).
    assert!(
        ab_field(&report, "Keep-Alive requests:") >= 19_800,
        "{report}"
    );

    let log = server.access(20000);
    assert_eq!(log.len(), 20000);
    assert!(log.iter().all(|a| a.status == 200 && a.req <= 100));
    // Exactly the 100th request of a connection is answered with close.
    for a in &log {
        assert_eq!(a.persist == "close", a.req == 100, "{a:?}");
    }
}

fn serve_usage_errors_exit_with_2() {
    let bin = env!("CARGO_BIN_EXE_h1conn");
    // Occupy a port so that binding it again fails.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = taken.local_addr().unwrap().to_string();
    for args in [
        vec!["serve", "--addr", "not an address"],
        vec!["serve", "--addr", busy.as_str()],
        vec![
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--root",
            "/nonexistent/h1conn/root",
        ],
    ] {
        let output = Command::new(bin)
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.starts_with("h1conn: error: "), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}

#[path = "common/interop_harness.rs"]
mod interop_harness;
use interop_harness::Interop;

fn main() -> std::process::ExitCode {
    interop_harness::run(vec![
        Interop {
            name: "curl_reuses_one_connection_for_several_urls",
            needs: "curl",
            installed: have("curl", "--version"),
            test: curl_reuses_one_connection_for_several_urls,
        },
        Interop {
            name: "curl_connection_close_makes_the_server_close",
            needs: "curl",
            installed: have("curl", "--version"),
            test: curl_connection_close_makes_the_server_close,
        },
        Interop {
            name: "ab_http10_keep_alive_serves_every_request_on_kept_connections",
            needs: "ab",
            installed: have("ab", "-V"),
            test: ab_http10_keep_alive_serves_every_request_on_kept_connections,
        },
        Interop {
            name: "ab_load_run_with_the_default_limits_has_no_failures",
            needs: "ab",
            installed: have("ab", "-V"),
            test: ab_load_run_with_the_default_limits_has_no_failures,
        },
        Interop {
            name: "serve_usage_errors_exit_with_2",
            needs: "nothing",
            installed: true,
            test: serve_usage_errors_exit_with_2,
        },
    ])
}
