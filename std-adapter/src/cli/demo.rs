//! `h1conn demo`: starts the server on a loopback port in this process, runs
//! a scripted client session against it, and prints what the engine decided
//! for each exchange. Needs no network and no arguments.

use std::io;
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use crate::client::{Client, ClientConfig, Request};
use crate::routes::Routes;
use crate::server::{Server, ServerConfig};

/// One step of the scripted session.
struct Scene {
    method: &'static str,
    path: &'static str,
    headers: &'static [(&'static str, &'static str)],
    http10: bool,
    /// Idle time before the request.
    pause: Duration,
    /// What the row shows.
    note: &'static str,
}

const fn scene(path: &'static str, note: &'static str) -> Scene {
    Scene {
        method: "GET",
        path,
        headers: &[],
        http10: false,
        pause: Duration::ZERO,
        note,
    }
}

/// The server allows 3 requests per connection and 2 s of idleness.
const SCRIPT: &[Scene] = &[
    scene("/", "first request opens a connection"),
    scene("/bytes/512", "reused: HTTP/1.1 persists"),
    scene("/chunked/300", "server's max used up: it says close"),
    scene("/", "so a new connection"),
    Scene {
        method: "HEAD",
        ..scene("/bytes/100", "HEAD: no body despite Content-Length")
    },
    Scene {
        pause: Duration::from_millis(1_200),
        ..scene("/", "idle 1.2 s > timeout 2 s - margin 1 s: new one")
    },
    Scene {
        http10: true,
        ..scene("/", "HTTP/1.0 with keep-alive: echoed, kept")
    },
    Scene {
        headers: &[("Connection", "close")],
        ..scene("/status/204", "client asked to close")
    },
    Scene {
        http10: true,
        headers: &[("Connection", "close")],
        ..scene("/", "HTTP/1.0 without keep-alive")
    },
];

/// Runs the demo; the exit status is 0 when every exchange completed.
pub(crate) fn run() -> ExitCode {
    match demo() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("h1conn: error: demo failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn demo() -> Result<(), Box<dyn std::error::Error>> {
    let config = ServerConfig {
        keep_alive_timeout: Duration::from_secs(2),
        max_requests: 3,
        ..ServerConfig::default()
    };
    let server = Server::bind("127.0.0.1:0", config, Routes::builtin())?.spawn()?;
    let base = format!("http://{}", server.local_addr());
    println!(
        "h1conn demo: server on {base} (keep-alive timeout 2 s, max 3 requests per connection)"
    );
    println!("client idle margin 1 s\n");
    let header = format!(
        "{:>2}  {:<24} {:>4}  {:<6} {:>6}  {:<10} {:<22} {}",
        "#", "request", "conn", "reused", "status", "keep-alive", "decision", "why"
    );
    println!("{header}");
    println!("{}", "-".repeat(header.len() + 24));

    let client = Client::with_config(ClientConfig::new());
    for (i, scene) in SCRIPT.iter().enumerate() {
        thread::sleep(scene.pause);
        let mut request = Request::new(scene.method, &format!("{base}{}", scene.path))?;
        request.http10 = scene.http10;
        for (name, value) in scene.headers {
            request = request.header(name, value);
        }
        let mut response = client.send(&request)?;
        let outcome = response.copy_to(&mut io::sink())?;
        let version = if scene.http10 { "1.0" } else { "1.1" };
        let keep_alive = match response.keep_alive() {
            Some(ka) => format!(
                "t={} m={}",
                ka.timeout.map_or("-".into(), |t| t.to_string()),
                ka.max.map_or("-".into(), |m| m.to_string())
            ),
            None => "-".into(),
        };
        let decision = match outcome.close_reason {
            None => "reuse".to_owned(),
            Some(reason) => format!("close: {}", reason.as_str()),
        };
        println!(
            "{:>2}  {:<24} {:>4}  {:<6} {:>6}  {:<10} {:<22} {}",
            i + 1,
            format!("{} {} {}", scene.method, scene.path, version),
            response.connection_id(),
            if response.reused() { "yes" } else { "no" },
            response.status(),
            keep_alive,
            decision,
            scene.note,
        );
    }
    println!(
        "\n{} requests on {} connections.",
        SCRIPT.len(),
        client.connections_opened()
    );
    server.shutdown();
    Ok(())
}
