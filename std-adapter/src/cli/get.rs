//! `h1conn get`: fetch URLs in order over pooled keep-alive connections,
//! writing bodies to stdout (or a file) and, with `--trace`, one JSON line
//! per exchange on stderr.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use serde_json::json;

use super::GetArgs;
use crate::client::{Client, ClientConfig, Error, Request, Response, Url};

/// Runs `h1conn get`; the exit status follows the CLI contract (0: every
/// request got a complete final response; 1: a request failed; 2: bad usage).
pub(crate) fn run(args: &GetArgs) -> ExitCode {
    let requests = match build_requests(args) {
        Ok(requests) => requests,
        Err(message) => {
            eprintln!("h1conn: error: {message}");
            return ExitCode::from(2);
        }
    };
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => match File::create(path) {
            Ok(file) => Box::new(BufWriter::new(file)),
            Err(e) => {
                eprintln!("h1conn: error: cannot write {}: {e}", path.display());
                return ExitCode::from(2);
            }
        },
        None => Box::new(BufWriter::new(io::stdout().lock())),
    };
    let mut config = ClientConfig::new();
    config.idle_margin = Duration::from_millis(args.idle_margin);
    config.timeout = Duration::from_millis(args.timeout.max(1));
    let client = Client::with_config(config);

    let total = requests.len().saturating_mul(args.repeat as usize);
    for (i, (url, request)) in requests.iter().cycle().take(total).enumerate() {
        if i > 0 && args.wait > 0 {
            thread::sleep(Duration::from_millis(args.wait));
        }
        if let Err(error) = fetch(&client, url, request, args.trace, &mut out) {
            let _ = out.flush();
            eprintln!("h1conn: error: {url}: {error}");
            return ExitCode::FAILURE;
        }
    }
    if let Err(e) = out.flush() {
        eprintln!("h1conn: error: writing output: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// The requests of the command line, checked before anything is sent.
fn build_requests(args: &GetArgs) -> Result<Vec<(String, Request)>, String> {
    let method = args.method.as_str();
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!("invalid method {method:?}"));
    }
    let mut headers = Vec::new();
    for header in &args.headers {
        let (name, value) = header
            .split_once(':')
            .filter(|(name, _)| !name.is_empty() && !name.contains([' ', '\t']))
            .ok_or_else(|| Error::InvalidHeader(header.clone()).to_string())?;
        headers.push((name.to_owned(), value.trim().to_owned()));
    }
    let user_connection = headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("connection"));
    if args.no_keep_alive && !user_connection {
        headers.push(("Connection".to_owned(), "close".to_owned()));
    }
    args.urls
        .iter()
        .map(|url| {
            let parsed = Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
            let request = Request {
                method: method.to_owned(),
                url: parsed,
                headers: headers.clone(),
                body: args.data.clone().unwrap_or_default().into_bytes(),
                http10: args.http10,
            };
            Ok((url.clone(), request))
        })
        .collect()
}

/// One exchange: send, stream the body out, trace the decision.
fn fetch(
    client: &Client,
    url: &str,
    request: &Request,
    trace: bool,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let mut response = client.send(request)?;
    if trace && let Some(retry) = response.retry() {
        trace_line(&json!({
            "event": "retry",
            "url": url,
            "conn": retry.conn,
            "reason": retry.reason,
        }));
    }
    let outcome = response.copy_to(out)?;
    if trace {
        trace_line(&exchange_line(url, &request.method, &response, outcome));
    }
    Ok(())
}

fn exchange_line(
    url: &str,
    method: &str,
    response: &Response<'_>,
    outcome: crate::client::Outcome,
) -> serde_json::Value {
    let keep_alive = response.keep_alive();
    json!({
        "event": "exchange",
        "url": url,
        "method": method,
        "conn": response.connection_id(),
        "reused": response.reused(),
        "status": response.status(),
        "version": response.version().as_str(),
        "body_bytes": outcome.body_bytes,
        "keep_alive": outcome.keep_alive,
        "ka_timeout": keep_alive.and_then(|k| k.timeout),
        "ka_max": keep_alive.and_then(|k| k.max),
        "close_reason": outcome.close_reason.map(|r| r.as_str()),
    })
}

fn trace_line(value: &serde_json::Value) {
    // One line per object, written at once so lines never interleave.
    let mut stderr = io::stderr().lock();
    let _ = writeln!(stderr, "{value}");
}
