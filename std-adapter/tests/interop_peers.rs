//! Our client (the real `h1conn get` binary) against real servers from
//! Debian's packages: nginx, Apache httpd, and Python's http.server, each
//! started on a loopback port with a config written here. The connection
//! counts and decisions in the `--trace` lines must be exactly what the
//! rules predict for each server's keep-alive settings.
//!
//! CI installs the servers (`apt-get install -y nginx apache2 python3`);
//! where one is missing, its tests are reported as ignored (`[needs nginx]`),
//! never as passed (see `common/interop_harness.rs`).

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

/// A server process, killed (by its PID) and reaped when dropped.
struct Peer {
    child: Child,
    port: u16,
    _dir: TempDir,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A scratch directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "h1conn-{tag}-{}-{}",
            std::process::id(),
            Instant::now().elapsed().as_nanos()
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(path.join("www")).unwrap();
        fs::write(path.join("www/a.txt"), "a".repeat(100)).unwrap();
        fs::write(path.join("www/b.txt"), "b".repeat(2000)).unwrap();
        // Apache's workers run as www-data and must read the files.
        let _ = Command::new("chmod")
            .arg("-R")
            .arg("a+rX")
            .arg(&path)
            .status();
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program} || test -x {program}"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Waits until the peer accepts connections (or its process died).
fn start(mut child: Child, port: u16, dir: TempDir, name: &str) -> Peer {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Peer {
                child,
                port,
                _dir: dir,
            };
        }
        if let Ok(Some(status)) = child.try_wait() {
            let log = fs::read_to_string(dir.0.join("error.log")).unwrap_or_default();
            panic!("{name} exited with {status} before listening:\n{log}");
        }
        assert!(Instant::now() < deadline, "{name} did not start listening");
        thread::sleep(Duration::from_millis(20));
    }
}

fn nginx() -> Peer {
    let dir = TempDir::new("nginx");
    let port = free_port();
    let root = dir.0.display();
    let config = format!(
        "daemon off;\nmaster_process off;\nworker_processes 1;\npid {root}/nginx.pid;\n\
         error_log {root}/error.log;\nevents {{ worker_connections 64; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {root}/body;\n\
         proxy_temp_path {root}/proxy;\n  fastcgi_temp_path {root}/fastcgi;\n\
         uwsgi_temp_path {root}/uwsgi;\n  scgi_temp_path {root}/scgi;\n\
         keepalive_requests 3;\n  keepalive_timeout 2s 2s;\n\
         server {{ listen 127.0.0.1:{port}; root {root}/www; }}\n}}\n"
    );
    fs::write(dir.0.join("nginx.conf"), config).unwrap();
    let child = Command::new("nginx")
        .arg("-p")
        .arg(&dir.0)
        .arg("-c")
        .arg(dir.0.join("nginx.conf"))
        .arg("-e")
        .arg(dir.0.join("error.log"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    start(child, port, dir, "nginx")
}

fn apache() -> Peer {
    let dir = TempDir::new("apache");
    let port = free_port();
    let root = dir.0.display();
    let modules = "/usr/lib/apache2/modules";
    let config = format!(
        "ServerRoot {root}\nServerName localhost\nListen 127.0.0.1:{port}\n\
         PidFile {root}/httpd.pid\nErrorLog {root}/error.log\n\
         Mutex file:{root} default\n\
         LoadModule mpm_event_module {modules}/mod_mpm_event.so\n\
         LoadModule authz_core_module {modules}/mod_authz_core.so\n\
         User www-data\nGroup www-data\n\
         DocumentRoot {root}/www\n<Directory {root}/www>\n  Require all granted\n</Directory>\n\
         KeepAlive On\nMaxKeepAliveRequests 3\nKeepAliveTimeout 2\n"
    );
    fs::write(dir.0.join("httpd.conf"), config).unwrap();
    let child = Command::new("apache2")
        .arg("-X")
        .arg("-f")
        .arg(dir.0.join("httpd.conf"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    start(child, port, dir, "apache2")
}

fn python(http11: bool) -> Peer {
    let dir = TempDir::new("python");
    let port = free_port();
    let script = format!(
        "import functools, http.server as h\n\
         h.SimpleHTTPRequestHandler.protocol_version = {:?}\n\
         handler = functools.partial(h.SimpleHTTPRequestHandler, directory={:?})\n\
         h.ThreadingHTTPServer(('127.0.0.1', {port}), handler).serve_forever()\n",
        if http11 { "HTTP/1.1" } else { "HTTP/1.0" },
        dir.0.join("www").display().to_string(),
    );
    let child = Command::new("python3")
        .arg("-c")
        .arg(script)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    start(child, port, dir, "python3")
}

/// Runs `h1conn get --trace ARGS` and returns its exchange lines.
fn get(peer: &Peer, paths: &[&str], extra: &[&str]) -> Vec<Value> {
    let urls: Vec<String> = paths
        .iter()
        .map(|p| format!("http://127.0.0.1:{}{p}", peer.port))
        .collect();
    let output: Output = Command::new(env!("CARGO_BIN_EXE_h1conn"))
        .arg("get")
        .arg("--trace")
        .arg("--timeout")
        .arg("10000")
        .args(extra)
        .args(&urls)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "h1conn get failed:\n{stderr}");
    let lines: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .filter(|v: &Value| v["event"] == "exchange")
        .collect();
    assert_eq!(lines.len(), paths.len() * repeat_of(extra), "{stderr}");
    for line in &lines {
        assert_eq!(line["status"], 200, "{line}");
    }
    lines
}

fn repeat_of(extra: &[&str]) -> usize {
    extra
        .iter()
        .position(|a| *a == "--repeat")
        .and_then(|i| extra.get(i + 1))
        .map_or(1, |n| n.parse().unwrap())
}

/// The `conn` number of each exchange.
fn conns(lines: &[Value]) -> Vec<u64> {
    lines.iter().map(|l| l["conn"].as_u64().unwrap()).collect()
}

fn field(lines: &[Value], key: &str) -> Vec<Value> {
    lines.iter().map(|l| l[key].clone()).collect()
}

fn nginx_keepalive_requests_and_timeout() {
    let peer = nginx();
    // keepalive_requests 3: three requests per connection, the third
    // answered with Connection: close.
    let lines = get(&peer, &["/a.txt", "/b.txt"], &["--repeat", "4"]);
    assert_eq!(conns(&lines), [1, 1, 1, 2, 2, 2, 3, 3]);
    assert_eq!(
        field(&lines, "reused"),
        [false, true, true, false, true, true, false, true]
    );
    let third = &lines[2];
    assert_eq!(third["keep_alive"], false);
    assert_eq!(third["close_reason"], "response_close");
    // `keepalive_timeout 2s 2s` announces Keep-Alive: timeout=2.
    assert_eq!(lines[0]["ka_timeout"], 2);
    assert_eq!(lines[0]["keep_alive"], true);
    assert_eq!(lines[0]["close_reason"], Value::Null);

    // Idle 1.5 s with a 1 s margin: beyond 2 s - 1 s, so every request
    // opens a new connection; idle 0.5 s is within it.
    let lines = get(&peer, &["/a.txt"], &["--repeat", "3", "--wait", "1500"]);
    assert_eq!(conns(&lines), [1, 2, 3]);
    let lines = get(&peer, &["/a.txt"], &["--repeat", "3", "--wait", "500"]);
    assert_eq!(conns(&lines), [1, 1, 1]);
}

fn apache_max_countdown_and_http10_keep_alive() {
    let peer = apache();
    // MaxKeepAliveRequests 3: Apache 2.4 serves the first request plus 3
    // keep-alive requests on a connection, then says Connection: close.
    // To HTTP/1.1 requests it sends no Keep-Alive field at all.
    let lines = get(&peer, &["/a.txt"], &["--repeat", "9"]);
    assert_eq!(conns(&lines), [1, 1, 1, 1, 2, 2, 2, 2, 3]);
    assert_eq!(
        field(&lines, "keep_alive")[..4],
        [true, true, true, false].map(Value::from)
    );
    assert_eq!(lines[3]["close_reason"], "response_close", "{}", lines[3]);
    assert!(field(&lines, "ka_max").iter().all(Value::is_null));

    // HTTP/1.0 keep-alive: Apache echoes it with `Keep-Alive: timeout=2,
    // max=M`, M counting the requests still allowed, down to the close.
    let lines = get(&peer, &["/a.txt"], &["--repeat", "9", "--http1.0"]);
    assert_eq!(conns(&lines), [1, 1, 1, 1, 2, 2, 2, 2, 3]);
    assert_eq!(
        field(&lines, "ka_max")[..5],
        [
            Value::from(3),
            Value::from(2),
            Value::from(1),
            Value::Null,
            Value::from(3)
        ]
    );
    assert_eq!(lines[0]["ka_timeout"], 2);
    assert_eq!(lines[3]["keep_alive"], false);
    assert_eq!(lines[3]["close_reason"], "response_close");

    // Idle 1.5 s against timeout=2 and a 1 s margin: never reused.
    let lines = get(
        &peer,
        &["/a.txt"],
        &["--repeat", "2", "--http1.0", "--wait", "1500"],
    );
    assert_eq!(conns(&lines), [1, 2]);
}

fn python_http10_closes_every_time() {
    let peer = python(false);
    let lines = get(&peer, &["/a.txt", "/b.txt", "/a.txt"], &[]);
    assert_eq!(conns(&lines), [1, 2, 3]);
    for line in &lines {
        assert_eq!(line["version"], "HTTP/1.0");
        assert_eq!(line["keep_alive"], false);
        assert_eq!(line["reused"], false);
    }
}

fn python_http11_reuses() {
    let peer = python(true);
    let lines = get(&peer, &["/a.txt", "/b.txt", "/a.txt"], &[]);
    assert_eq!(conns(&lines), [1, 1, 1]);
    assert_eq!(field(&lines, "reused"), [false, true, true]);
    assert_eq!(lines[1]["body_bytes"], 2000);
    assert_eq!(lines[2]["keep_alive"], true);
}

#[path = "common/interop_harness.rs"]
mod interop_harness;
use interop_harness::Interop;

fn main() -> std::process::ExitCode {
    interop_harness::run(vec![
        Interop {
            name: "nginx_keepalive_requests_and_timeout",
            needs: "nginx",
            installed: have("nginx"),
            test: nginx_keepalive_requests_and_timeout,
        },
        Interop {
            name: "apache_max_countdown_and_http10_keep_alive",
            needs: "apache2",
            installed: have("apache2"),
            test: apache_max_countdown_and_http10_keep_alive,
        },
        Interop {
            name: "python_http10_closes_every_time",
            needs: "python3",
            installed: have("python3"),
            test: python_http10_closes_every_time,
        },
        Interop {
            name: "python_http11_reuses",
            needs: "python3",
            installed: have("python3"),
            test: python_http11_reuses,
        },
    ])
}
