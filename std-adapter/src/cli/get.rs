//! `h1conn get`: fetch URLs in order over pooled keep-alive connections,
//! writing bodies to stdout (or a file). Diagnostics go to stderr: with
//! `--trace` one JSON line per exchange, with `-v` a curl-style trace
//! (`> ` request head, `< ` response head, `* ` the engine's decisions).

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal as _, Write};
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use super::GetArgs;
use crate::client::{Client, ClientConfig, Error, Outcome, Request, Response, Url};
use h1conn::wire::KeepAlive;

/// For `-v`: the connection each origin's last exchange left open, so a
/// new connection to that origin can say what became of it.
#[derive(Debug, Default)]
struct LeftOpen(HashMap<(String, u16), Kept>);

/// A connection the engine allowed to reuse after its last exchange.
#[derive(Debug)]
struct Kept {
    conn: u64,
    since: Instant,
    keep_alive: Option<KeepAlive>,
}

fn origin(url: &Url) -> (String, u16) {
    (url.host.to_ascii_lowercase(), url.port)
}

/// Runs `h1conn get`; the exit status follows the CLI contract (0: every
/// request got a complete final response; 1: a request failed, or with
/// `--fail` a status was 400 or more; 2: bad usage).
pub(crate) fn run(args: &GetArgs) -> ExitCode {
    let requests = match build_requests(args) {
        Ok(requests) => requests,
        Err(message) => {
            eprintln!("h1conn: error: {message}");
            return ExitCode::from(2);
        }
    };
    let to_file = args.output.is_some();
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
    config.connect_timeout = args.connect_timeout.map(at_least_a_millisecond);
    config.max_time = args.max_time.map(at_least_a_millisecond);
    let client = Client::with_config(config);
    // A progress meter only where someone watches it: bodies go to a file
    // and stderr is a terminal.
    let meter = to_file && !args.silent && io::stderr().is_terminal();

    let mut left_open = LeftOpen::default();
    let total = requests.len().saturating_mul(args.repeat as usize);
    for (i, (url, request)) in requests.iter().cycle().take(total).enumerate() {
        if i > 0 && args.wait > 0 {
            thread::sleep(Duration::from_millis(args.wait));
        }
        if let Err(message) = fetch(&client, url, request, args, meter, &mut left_open, &mut out) {
            let _ = out.flush();
            eprintln!("h1conn: error: {url}: {message}");
            return ExitCode::FAILURE;
        }
    }
    if let Err(e) = out.flush() {
        eprintln!("h1conn: error: writing output: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// A zero limit would mean "wait forever" to a socket.
fn at_least_a_millisecond(limit: Duration) -> Duration {
    limit.max(Duration::from_millis(1))
}

/// The requests of the command line, checked before anything is sent.
fn build_requests(args: &GetArgs) -> Result<Vec<(String, Request)>, String> {
    let method = if args.head {
        "HEAD"
    } else {
        args.method.as_str()
    };
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

/// One exchange: send, print the head if asked, stream the body out,
/// trace the decision. The error is the message of the one error line.
fn fetch(
    client: &Client,
    url: &str,
    request: &Request,
    args: &GetArgs,
    meter: bool,
    left_open: &mut LeftOpen,
    out: &mut dyn Write,
) -> Result<(), String> {
    let started = Instant::now();
    let failed = |error: Error| describe(&error, args, started);
    let mut response = client.send(request).map_err(failed)?;
    if let Some(retry) = response.retry() {
        if args.trace {
            trace_line(&json!({
                "event": "retry",
                "url": url,
                "conn": retry.conn,
                "reason": retry.reason,
            }));
        }
        if args.verbose {
            verbose(&[format!(
                "* connection #{} failed before any byte of the response ({}); \
                 {} is idempotent: sent again on a new connection",
                retry.conn, retry.reason, request.method
            )]);
        }
    }
    if args.verbose {
        let mut lines = Vec::new();
        if let Some(kept) = left_open.0.remove(&origin(&request.url))
            && !response.reused()
            && response.retry().is_none()
        {
            lines.push(not_reused_line(&kept, args));
        }
        lines.extend(head_lines(request, &response));
        verbose(&lines);
    }
    if args.fail && response.status() >= 400 {
        return Err(format!(
            "the server answered {} {}",
            response.status(),
            response.reason()
        ));
    }
    if args.include || args.head {
        out.write_all(&response_head(&response))
            .map_err(|e| format!("writing output: {e}"))?;
    }
    let outcome = if meter && !args.head {
        let bar = progress_bar(&response);
        let outcome = response.copy_to(&mut bar.wrap_write(&mut *out));
        bar.finish_and_clear();
        outcome
    } else {
        response.copy_to(out)
    }
    .map_err(failed)?;
    if args.trace {
        trace_line(&exchange_line(url, &request.method, &response, outcome));
    }
    if args.verbose {
        verbose(&[decision_line(&response, outcome)]);
        if outcome.keep_alive {
            let kept = Kept {
                conn: response.connection_id(),
                since: Instant::now(),
                keep_alive: response.keep_alive(),
            };
            left_open.0.insert(origin(&request.url), kept);
        }
    }
    Ok(())
}

/// The message of an error line; a timeout says which limit it hit.
fn describe(error: &Error, args: &GetArgs, started: Instant) -> String {
    match (error, args.max_time) {
        (Error::TimedOut, Some(limit)) if started.elapsed() >= limit => format!(
            "timed out: the exchange took longer than --max-time {} s",
            limit.as_secs_f64()
        ),
        (Error::Connect(e), _) if e.kind() == io::ErrorKind::TimedOut => {
            format!("connect timed out ({e})")
        }
        (error, _) => error.to_string(),
    }
}

/// A bar for a body of known length, a counter otherwise; both show bytes,
/// rate and (with a length) time left.
fn progress_bar(response: &Response<'_>) -> ProgressBar {
    let length = response
        .header("content-length")
        .and_then(|v| v.trim().parse::<u64>().ok());
    let bar = match length {
        Some(len) => ProgressBar::new(len).with_style(
            ProgressStyle::with_template(
                "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} {eta} left",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} {bytes} {binary_bytes_per_sec} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    };
    bar.set_draw_target(ProgressDrawTarget::stderr());
    bar
}

/// `-v`: which connection, the request head, the response head and the
/// `Keep-Alive` parameters the engine took from it.
fn head_lines(request: &Request, response: &Response<'_>) -> Vec<String> {
    let url = &request.url;
    let id = response.connection_id();
    let mut lines = vec![if response.reused() {
        format!(
            "* re-using connection #{id} to {} port {}: the engine allows another request on it now",
            url.host, url.port
        )
    } else {
        format!(
            "* connected to {} port {} (connection #{id})",
            url.host, url.port
        )
    }];
    let version = if request.http10 {
        "HTTP/1.0"
    } else {
        "HTTP/1.1"
    };
    lines.push(format!("> {} {} {version}", request.method, url.target));
    let has = |name: &str| {
        request
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    if !has("host") {
        lines.push(format!("> Host: {}", url.authority));
    }
    for (name, value) in &request.headers {
        lines.push(format!("> {name}: {value}"));
    }
    if !request.body.is_empty() && !has("content-length") && !has("transfer-encoding") {
        lines.push(format!("> Content-Length: {}", request.body.len()));
    }
    if request.http10 && !has("connection") {
        lines.push("> Connection: keep-alive".to_owned());
    }
    lines.push(">".to_owned());
    lines.push(format!(
        "< {} {} {}",
        response.version().as_str(),
        response.status(),
        response.reason()
    ));
    for (name, value) in response.headers() {
        lines.push(format!("< {name}: {value}"));
    }
    lines.push("<".to_owned());
    if let Some(ka) = response.keep_alive() {
        let timeout = ka
            .timeout
            .map_or("none".to_owned(), |t| format!("{t} s idle"));
        let max = ka
            .max
            .map_or("no limit".to_owned(), |m| format!("{m} more requests"));
        lines.push(format!(
            "* Keep-Alive from the server: timeout {timeout}, max {max}"
        ));
    }
    lines
}

/// `-v`: why a connection left open was not used: the facts the pool's
/// check (the engine's `may_send_request`, then a look at the socket) saw.
fn not_reused_line(kept: &Kept, args: &GetArgs) -> String {
    let idle = kept.since.elapsed().as_secs_f64();
    let announced = match kept.keep_alive {
        Some(KeepAlive { max: Some(0), .. }) => {
            "the server's Keep-Alive max was used up".to_owned()
        }
        Some(KeepAlive {
            timeout: Some(t), ..
        }) => format!(
            "the server announced Keep-Alive timeout {t} s, reused only below {:.1} s idle",
            (f64::from(t) - args.idle_margin as f64 / 1000.0).max(0.0)
        ),
        _ => "the server announced no Keep-Alive timeout".to_owned(),
    };
    format!(
        "* connection #{} not reused after {idle:.1} s idle ({announced}), \
         or the server closed it meanwhile",
        kept.conn
    )
}

/// `-v`: what the engine decided once the exchange was complete.
fn decision_line(response: &Response<'_>, outcome: Outcome) -> String {
    let id = response.connection_id();
    match outcome.close_reason {
        None => format!(
            "* {} body bytes; connection #{id} left open: the engine allows reuse",
            outcome.body_bytes
        ),
        Some(reason) => format!(
            "* {} body bytes; closing connection #{id}: {}",
            outcome.body_bytes,
            reason.as_str()
        ),
    }
}

/// The response head as text, for `-i` and `-I`.
fn response_head(response: &Response<'_>) -> Vec<u8> {
    let mut head = format!(
        "{} {} {}\r\n",
        response.version().as_str(),
        response.status(),
        response.reason()
    );
    for (name, value) in response.headers() {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

fn verbose(lines: &[String]) {
    let mut text = String::new();
    for line in lines {
        text.push_str(line);
        text.push('\n');
    }
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

fn exchange_line(
    url: &str,
    method: &str,
    response: &Response<'_>,
    outcome: Outcome,
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
