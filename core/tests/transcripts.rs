//! Transcript tests: raw HTTP/1.x exchanges in `core/testdata/transcripts/*.http`,
//! each with the sequence of events and decisions a [`Connection`] must produce.
//!
//! A transcript plays one side of a connection: the engine under test (the
//! role named in the header) and the bytes its peer sends. The runner drives a
//! real [`Connection`] through the file top to bottom with a virtual clock that
//! starts at 0 ms, and compares what the engine says with the `=` lines. Every
//! transcript runs twice: once with each block of peer bytes handed over
//! whole, once handed over one byte at a time. Both runs must match the file,
//! so events, decisions and error offsets are independent of how reads split.
//!
//! # Format
//!
//! One directive per line. The first character(s) say what the line is:
//!
//! ```text
//! # role: client                      header: which side the engine plays (required)
//! # config: idle_timeout=5s max_requests=3
//! # known-defect: <what and why>      header: the file states the correct behaviour, which
//!                                     the engine lacks: it is run, but only reported in a
//!                                     notice on stderr (saying whether it still fails)
//! # anything else                     a comment (so are blank lines)
//!
//! < HTTP/1.1 200 OK                   peer bytes: the line, then CRLF
//! <                                   peer bytes: just CRLF (the empty line of a head)
//! << hello\r\n                        peer bytes: exactly these, nothing appended
//! ! eof                               the peer closed its side (handle_eof)
//!
//! > GET /a HTTP/1.1                   a head this side sends: consecutive `>` lines are
//! > Host: example.test                one head (start line, then fields); sent when the
//!                                     next non-`>` line comes (a blank line separates
//!                                     two heads sent back to back)
//! >> hello                            body bytes this side sends (send_body)
//! ! finish                            finish_message
//! ! close                             close
//! @ +4s   or   @ 4000ms               move the clock (by, or to), then handle_timeout
//!
//! = response HTTP/1.1 200             an expected event or decision (below)
//! ```
//!
//! Escapes in `<`, `<<`, `>>`, `= body` and `= switched`: `\r`, `\n`, `\t`,
//! `\0`, `\\` and `\xHH`. A server's status line is `HTTP/1.1 <status>
//! <reason>` (the engine always answers in HTTP/1.1). A header directive
//! (`# key: value`) is only read before the first non-comment line.
//!
//! `# config:` takes space-separated `key=value` settings of [`Config`]:
//! `idle_timeout`, `head_timeout`, `idle_margin`, `continue_timeout` (a
//! duration: `5s` or `500ms`), `max_requests` (a number or `none`),
//! `pipeline_depth`, `body_timeout` (a duration), `body_min_rate`,
//! `max_interim`, `announce_keep_alive` (`yes`/`no`), `max_head_len`, and
//! the parse leniencies `allow_obs_fold_in_responses`, `allow_missing_reason`,
//! `allow_multiple_spaces`, `allow_content_length_with_transfer_encoding`
//! (`yes`/`no`). Anything unknown is an error, so a typo cannot go unnoticed.
//!
//! # When things happen
//!
//! Peer bytes are not fed at once: they wait until the next line that is not
//! peer bytes. Then the runner feeds everything waiting to `handle_input`
//! (keeping unconsumed bytes in front, as a caller must) until the engine
//! needs more data, pauses, switches protocols or reports an error. So a
//! decision line sees the state after all input above it, and putting a
//! decision between two blocks of peer bytes checks the state in between.
//! After an error, the bytes still waiting are dropped (the caller would
//! close). After a pause, each command resumes feeding; a pause is reported
//! once, not again while the response is still unfinished.
//!
//! # Events
//!
//! Events are everything the engine produces, in order, and every one must be
//! matched by an event line (consecutive body pieces count as one event, so
//! the split of the input does not show):
//!
//! ```text
//! = request GET /a HTTP/1.1           Event::Request (server)
//! = response HTTP/1.1 200             Event::Response (client; interim ones too)
//! = body hello                        Event::Body, pieces joined
//! = trailer Expires: never            one field of Event::Trailers (`= trailers none` if empty)
//! = end                               Event::MessageEnd (also from handle_eof)
//! = paused                            Event::Paused
//! = switched \x00rest                 Event::Switched, with every byte not consumed
//!                                     (the bytes handed to the new protocol)
//! = error BareLf at 14                a ProtocolError: kind and offset, counted from the
//!                                     first byte the peer ever sent, so it does not
//!                                     depend on how the input was split
//! = error IncompleteMessage at eof    a ProtocolError from handle_eof
//! = error BodyTimeout at timeout      a ProtocolError from handle_timeout (after `@`)
//! = usage MayNotSend                  a command was refused (UsageError)
//! ```
//!
//! # Decisions
//!
//! A decision line checks the engine's state at that point. All events
//! produced so far must have been matched first, so a decision can never be
//! checked "too early" by accident:
//!
//! ```text
//! = action reuse                      poll_action: continue, reuse, switched, close <reason>
//! = persistence close request_close   persistence: keep-alive, close <reason>
//! = may-send yes                      may_send_request(now): yes or no
//! = may-send-body no                  may_send_body: yes or no
//! = requests-left 2                   requests_left: a number or none
//! = peer-keep-alive timeout=5 max=3   peer_keep_alive (absent parameters omitted; none)
//! = deadline 4000ms                   poll_timeout, absolute (4s also works); none
//! = retry sent-no-response            retry_safety: not-sent, sent-no-response, response-partial
//! = exchanges 2                       exchanges
//! = wrote Connection: close           the last head written has exactly this line
//! = wrote-no Keep-Alive               the last head written has no field of this name
//! = awaits-continue no                awaits_continue (server): yes or no
//! = may-retry yes                     may_retry (client): yes or no
//! = reusable no unsolicited_data      reusable(now) on a copy: yes, busy, no <reason>
//! ```
//!
//! Close reasons are spelled as [`CloseReason::as_str`] spells them.
//!
//! # Failures
//!
//! A mismatch names the file, the line and the feed (`whole input` or
//! `1-byte pieces`), shows the expected and the actual line, and lists what
//! the engine said just before, in transcript syntax. All files are checked
//! before the test fails, so one run reports every broken transcript.
//!
//! [`CloseReason::as_str`]: h1conn::policy::CloseReason::as_str

use std::collections::VecDeque;
use std::io::Write as _;
use std::path::PathBuf;

use h1conn::policy::Persistence;
use h1conn::time::{Duration, Instant};
use h1conn::wire::{Header, Version};
use h1conn::{
    Action, AnyRole, ClientRole, Config, Connection, Consumed, Event, NotReusable, RetrySafety,
    Role, RoleKind, ServerRole,
};

// ----- the format -----

/// A parsed transcript.
struct Script {
    /// The file name, for messages.
    name: String,
    role: Role,
    config: Config,
    /// Set by `# known-defect:`: the file states the correct behaviour,
    /// which the engine does not show yet.
    known_defect: Option<String>,
    lines: Vec<Line>,
}

/// One step of a transcript, with the line it came from.
struct Line {
    no: usize,
    op: Op,
}

enum Op {
    /// Bytes from the peer (`<` and `<<`).
    Peer(Vec<u8>),
    /// `! eof`
    Eof,
    /// A head to send (`>` lines): the start line and the fields.
    Send {
        start: StartLine,
        fields: Vec<(String, String)>,
    },
    /// `>> bytes`
    Body(Vec<u8>),
    /// `! finish`
    Finish,
    /// `! close`
    Close,
    /// `@ +Ns` (relative) or `@ Nms` (absolute), in milliseconds.
    Clock { relative: bool, millis: u64 },
    /// `= <event>`, in canonical form.
    Event(String),
    /// `= <decision> <expected>`, the expected value in canonical form.
    Check(Check, String),
}

enum StartLine {
    Request {
        method: String,
        target: String,
        version: Version,
    },
    Response {
        status: u16,
        reason: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Check {
    Action,
    Persistence,
    MaySend,
    MaySendBody,
    RequestsLeft,
    PeerKeepAlive,
    Deadline,
    Retry,
    Exchanges,
    Wrote,
    WroteNo,
    AwaitsContinue,
    MayRetry,
    Reusable,
}

impl Check {
    fn from_word(word: &str) -> Option<Self> {
        Some(match word {
            "action" => Self::Action,
            "persistence" => Self::Persistence,
            "may-send" => Self::MaySend,
            "may-send-body" => Self::MaySendBody,
            "requests-left" => Self::RequestsLeft,
            "peer-keep-alive" => Self::PeerKeepAlive,
            "deadline" => Self::Deadline,
            "retry" => Self::Retry,
            "exchanges" => Self::Exchanges,
            "wrote" => Self::Wrote,
            "wrote-no" => Self::WroteNo,
            "awaits-continue" => Self::AwaitsContinue,
            "may-retry" => Self::MayRetry,
            "reusable" => Self::Reusable,
            _ => return None,
        })
    }

    fn word(self) -> &'static str {
        match self {
            Self::Action => "action",
            Self::Persistence => "persistence",
            Self::MaySend => "may-send",
            Self::MaySendBody => "may-send-body",
            Self::RequestsLeft => "requests-left",
            Self::PeerKeepAlive => "peer-keep-alive",
            Self::Deadline => "deadline",
            Self::Retry => "retry",
            Self::Exchanges => "exchanges",
            Self::Wrote => "wrote",
            Self::WroteNo => "wrote-no",
            Self::AwaitsContinue => "awaits-continue",
            Self::MayRetry => "may-retry",
            Self::Reusable => "reusable",
        }
    }
}

/// Event words whose argument is bytes (compared after unescaping).
const BYTE_EVENTS: [&str; 2] = ["body", "switched"];
/// Event words whose argument is compared word by word.
const WORD_EVENTS: [&str; 8] = [
    "request", "response", "trailer", "trailers", "end", "paused", "error", "usage",
];

/// Renders bytes the way transcripts write them, so that messages can be
/// pasted back into a file.
fn escape(bytes: &[u8]) -> String {
    let mut out = String::new();
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\0' => out.push_str("\\0"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

fn unescape(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match bytes.next() {
            Some(b'r') => out.push(b'\r'),
            Some(b'n') => out.push(b'\n'),
            Some(b't') => out.push(b'\t'),
            Some(b'0') => out.push(b'\0'),
            Some(b'\\') => out.push(b'\\'),
            Some(b'x') => {
                let hex: Vec<u8> = bytes.by_ref().take(2).collect();
                let value = std::str::from_utf8(&hex)
                    .ok()
                    .filter(|h| h.len() == 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| format!("bad escape `\\x{}`", escape(&hex)))?;
                out.push(value);
            }
            Some(other) => return Err(format!("unknown escape `\\{}`", char::from(other))),
            None => return Err("a lone `\\` at the end of the line".into()),
        }
    }
    Ok(out)
}

/// `5s`, `500ms` or a bare number of milliseconds.
fn parse_millis(text: &str) -> Result<u64, String> {
    let (digits, scale) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 1)
    } else if let Some(s) = text.strip_suffix('s') {
        (s, 1000)
    } else {
        (text, 1)
    };
    digits
        .parse::<u64>()
        .map(|n| n * scale)
        .map_err(|_| format!("`{text}` is not a duration (like 5s or 500ms)"))
}

fn parse_yes_no(text: &str) -> Result<bool, String> {
    match text {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err(format!("`{text}` is not yes or no")),
    }
}

fn parse_config(text: &str) -> Result<Config, String> {
    let mut config = Config::new();
    for setting in text.split_whitespace() {
        let (key, value) = setting
            .split_once('=')
            .ok_or_else(|| format!("config `{setting}` is not key=value"))?;
        let number = || {
            value
                .parse::<u32>()
                .map_err(|_| format!("config {key}: `{value}` is not a number"))
        };
        let duration = || parse_millis(value).map(Duration::from_millis);
        match key {
            "idle_timeout" => config.idle_timeout = duration()?,
            "head_timeout" => config.head_timeout = duration()?,
            "idle_margin" => config.idle_margin = duration()?,
            "continue_timeout" => config.continue_timeout = duration()?,
            "body_timeout" => config.body_timeout = duration()?,
            "body_min_rate" => config.body_min_rate = number()?,
            "max_interim" => {
                config.max_interim = u16::try_from(number()?).map_err(|e| e.to_string())?;
            }
            "max_requests" if value == "none" => config.max_requests = None,
            "max_requests" => config.max_requests = Some(number()?),
            "pipeline_depth" => {
                config.pipeline_depth = u8::try_from(number()?).map_err(|e| e.to_string())?;
            }
            "announce_keep_alive" => config.announce_keep_alive = parse_yes_no(value)?,
            "max_head_len" => config.parse.max_head_len = number()? as usize,
            "allow_obs_fold_in_responses" => {
                config.parse.allow_obs_fold_in_responses = parse_yes_no(value)?;
            }
            "allow_missing_reason" => config.parse.allow_missing_reason = parse_yes_no(value)?,
            "allow_multiple_spaces" => config.parse.allow_multiple_spaces = parse_yes_no(value)?,
            "allow_content_length_with_transfer_encoding" => {
                config.parse.allow_content_length_with_transfer_encoding = parse_yes_no(value)?;
            }
            _ => return Err(format!("unknown config key `{key}`")),
        }
    }
    Ok(config)
}

fn parse_start_line(role: Role, text: &str) -> Result<StartLine, String> {
    match role {
        Role::Client => {
            let parts: Vec<&str> = text.split(' ').collect();
            let [method, target, version] = parts[..] else {
                return Err(format!("`{text}` is not `METHOD TARGET VERSION`"));
            };
            let version = match version {
                "HTTP/1.0" => Version::Http10,
                "HTTP/1.1" => Version::Http11,
                _ => {
                    return Err(format!(
                        "the engine sends HTTP/1.0 or HTTP/1.1, not `{version}`"
                    ));
                }
            };
            Ok(StartLine::Request {
                method: method.into(),
                target: target.into(),
                version,
            })
        }
        Role::Server => {
            let rest = text
                .strip_prefix("HTTP/1.1 ")
                .ok_or_else(|| format!("`{text}` is not `HTTP/1.1 STATUS REASON`"))?;
            let (status, reason) = rest.split_once(' ').unwrap_or((rest, ""));
            let status = status
                .parse()
                .map_err(|_| format!("`{status}` is not a status code"))?;
            Ok(StartLine::Response {
                status,
                reason: reason.into(),
            })
        }
    }
}

/// Parses an event line's text (after `= `) into its canonical form.
fn canonical_event(text: &str) -> Result<Option<String>, String> {
    let (word, rest) = text.split_once(' ').unwrap_or((text, ""));
    if BYTE_EVENTS.contains(&word) {
        let bytes = unescape(rest)?;
        return Ok(Some(byte_event(word, &bytes)));
    }
    if WORD_EVENTS.contains(&word) {
        return Ok(Some(words(text)));
    }
    Ok(None)
}

fn byte_event(word: &str, bytes: &[u8]) -> String {
    if bytes.is_empty() && word == "switched" {
        word.into()
    } else {
        format!("{word} {}", escape(bytes))
    }
}

/// Whitespace-insensitive form of a line.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn parse_check(check: Check, text: &str) -> Result<String, String> {
    Ok(match check {
        Check::Deadline if text.trim() == "none" => "none".into(),
        Check::Deadline => format!("{}ms", parse_millis(text.trim())?),
        // Field lines are compared exactly (minus surrounding space).
        Check::Wrote | Check::WroteNo => text.trim().into(),
        _ => words(text),
    })
}

fn parse_script(name: &str, text: &str) -> Result<Script, String> {
    let mut role = None;
    let mut config = Config::new();
    let mut known_defect = None;
    let mut lines: Vec<Line> = Vec::new();
    let mut in_header = true;
    // The `>` lines of the head being collected, with the first line's number.
    let mut head: Option<(usize, Vec<String>)> = None;
    for (index, raw) in text.lines().enumerate() {
        let no = index + 1;
        let at = |msg: String| format!("{name}:{no}: {msg}");
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(rest) = line.strip_prefix('>').filter(|r| !r.starts_with('>')) {
            let rest = rest.strip_prefix(' ').unwrap_or(rest);
            head.get_or_insert_with(|| (no, Vec::new()))
                .1
                .push(rest.into());
            in_header = false;
            continue;
        }
        if let Some((first, head_lines)) = head.take() {
            let role = role.ok_or_else(|| at("`# role:` must come first".into()))?;
            lines.push(Line {
                no: first,
                op: parse_head(role, &head_lines).map_err(|m| format!("{name}:{first}: {m}"))?,
            });
        }
        if let Some(comment) = line.strip_prefix('#') {
            let directive = comment.trim().split_once(':');
            match directive {
                Some((key @ ("role" | "config" | "known-defect"), _)) if !in_header => {
                    return Err(at(format!("`# {key}:` belongs in the header")));
                }
                Some(("role", value)) => {
                    role = Some(match value.trim() {
                        "client" => Role::Client,
                        "server" => Role::Server,
                        other => return Err(at(format!("unknown role `{other}`"))),
                    });
                }
                Some(("config", value)) => config = parse_config(value).map_err(at)?,
                Some(("known-defect", value)) => known_defect = Some(value.trim().to_string()),
                _ => {}
            }
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        in_header = false;
        if role.is_none() {
            return Err(at("`# role:` must come first".into()));
        }
        let op = parse_op(line).map_err(at)?;
        lines.push(Line { no, op });
    }
    if let Some((first, head_lines)) = head.take() {
        let role = role.ok_or_else(|| format!("{name}: `# role:` is missing"))?;
        lines.push(Line {
            no: first,
            op: parse_head(role, &head_lines).map_err(|m| format!("{name}:{first}: {m}"))?,
        });
    }
    Ok(Script {
        name: name.into(),
        role: role.ok_or_else(|| format!("{name}: `# role:` is missing"))?,
        config,
        known_defect,
        lines,
    })
}

fn parse_head(role: Role, lines: &[String]) -> Result<Op, String> {
    let (start, field_lines) = lines.split_first().ok_or("an empty head")?;
    let start = parse_start_line(role, start)?;
    let fields = field_lines
        .iter()
        .map(|line| {
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| format!("field line `{line}` has no colon"))?;
            Ok((name.to_string(), value.trim().to_string()))
        })
        .collect::<Result<_, String>>()?;
    Ok(Op::Send { start, fields })
}

fn parse_op(line: &str) -> Result<Op, String> {
    // The argument of a sigil starts after one space, which is not part of it.
    let argument = |rest: &str| rest.strip_prefix(' ').unwrap_or(rest).to_string();
    if let Some(rest) = line.strip_prefix("<<") {
        return Ok(Op::Peer(unescape(&argument(rest))?));
    }
    if let Some(rest) = line.strip_prefix('<') {
        let mut bytes = unescape(&argument(rest))?;
        bytes.extend_from_slice(b"\r\n");
        return Ok(Op::Peer(bytes));
    }
    if let Some(rest) = line.strip_prefix(">>") {
        return Ok(Op::Body(unescape(&argument(rest))?));
    }
    if let Some(rest) = line.strip_prefix('!') {
        return match rest.trim() {
            "eof" => Ok(Op::Eof),
            "finish" => Ok(Op::Finish),
            "close" => Ok(Op::Close),
            other => Err(format!("unknown command `! {other}` (eof, finish, close)")),
        };
    }
    if let Some(rest) = line.strip_prefix('@') {
        let rest = rest.trim();
        return Ok(match rest.strip_prefix('+') {
            Some(by) => Op::Clock {
                relative: true,
                millis: parse_millis(by)?,
            },
            None => Op::Clock {
                relative: false,
                millis: parse_millis(rest)?,
            },
        });
    }
    if let Some(rest) = line.strip_prefix('=') {
        let text = argument(rest);
        if let Some(event) = canonical_event(&text)? {
            return Ok(Op::Event(event));
        }
        let (word, value) = text.split_once(' ').unwrap_or((&text, ""));
        let check =
            Check::from_word(word).ok_or_else(|| format!("unknown expectation `= {word}`"))?;
        return Ok(Op::Check(check, parse_check(check, value)?));
    }
    Err(format!("cannot read `{line}`"))
}

// ----- the runner -----

/// How peer bytes are handed to the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Feed {
    /// Each block of waiting bytes at once, as one read.
    Whole,
    /// One byte per read: every split point of a head or body is exercised.
    Bytewise,
}

impl Feed {
    fn describe(self) -> &'static str {
        match self {
            Self::Whole => "whole input",
            Self::Bytewise => "1-byte pieces",
        }
    }
}

/// Why feeding stops after an event.
enum Stop {
    /// It does not: call again.
    No,
    /// Hand over more input, if there is any.
    NeedData,
    /// The server waits for its response to finish.
    Paused,
    /// The rest of the input belongs to another protocol.
    Switched,
}

/// Something the engine produced that an event line must match. Bodies are
/// kept as bytes so that pieces can be joined.
enum Produced {
    Body(Vec<u8>),
    Other(String),
}

impl Produced {
    fn render(&self) -> String {
        match self {
            Self::Body(bytes) => byte_event("body", bytes),
            Self::Other(text) => text.clone(),
        }
    }
}

/// How a run makes its connection: with the role chosen at run time
/// (`Connection::new`), or fixed by its type (`new_client`, `new_server`),
/// which must behave the same.
trait Kind: RoleKind {
    fn connect(role: Role, config: Config, now: Instant) -> Connection<Config, Self>;
}

impl Kind for AnyRole {
    fn connect(role: Role, config: Config, now: Instant) -> Connection<Config, Self> {
        Connection::new(role, config, now)
    }
}

impl Kind for ClientRole {
    fn connect(role: Role, config: Config, now: Instant) -> Connection<Config, Self> {
        assert_eq!(role, Role::Client);
        Connection::new_client(config, now)
    }
}

impl Kind for ServerRole {
    fn connect(role: Role, config: Config, now: Instant) -> Connection<Config, Self> {
        assert_eq!(role, Role::Server);
        Connection::new_server(config, now)
    }
}

struct Run<'s, R: Kind = AnyRole> {
    script: &'s Script,
    feed: Feed,
    conn: Connection<Config, R>,
    now: u64,
    /// Bytes handed to the engine and not consumed yet.
    inbox: Vec<u8>,
    /// Peer bytes from the transcript not handed to the engine yet.
    waiting: VecDeque<u8>,
    /// Bytes the engine consumed so far: error offsets are made absolute
    /// with it.
    consumed: usize,
    /// Events produced and not matched by a line yet.
    unmatched: VecDeque<Produced>,
    /// What the engine said so far, in transcript syntax: for messages, and
    /// to compare the two feeds.
    trace: Vec<String>,
    /// New input since the last feeding.
    dirty: bool,
    /// The last feeding stopped at `Event::Paused`: a command may resume it.
    paused: bool,
    /// The last head this side wrote, for `= wrote` lines.
    last_head: Vec<u8>,
    /// Calls of `handle_input`, to show how finely the input was split.
    calls: usize,
}

impl<'s, R: Kind> Run<'s, R> {
    fn new(script: &'s Script, feed: Feed) -> Self {
        Self {
            script,
            feed,
            conn: R::connect(script.role, script.config, Instant::from_millis(0)),
            now: 0,
            inbox: Vec::new(),
            waiting: VecDeque::new(),
            consumed: 0,
            unmatched: VecDeque::new(),
            trace: Vec::new(),
            dirty: false,
            paused: false,
            last_head: Vec::new(),
            calls: 0,
        }
    }

    fn now(&self) -> Instant {
        Instant::from_millis(self.now)
    }

    fn produce(&mut self, item: Produced) {
        // Body pieces join up, so the split of the input does not show.
        if let (Produced::Body(more), Some(Produced::Body(body))) =
            (&item, self.unmatched.back_mut())
        {
            body.extend_from_slice(more);
            return;
        }
        self.unmatched.push_back(item);
    }

    /// Moves the next piece of waiting bytes into the inbox.
    fn hand_over(&mut self) -> bool {
        let n = match self.feed {
            Feed::Whole => self.waiting.len(),
            Feed::Bytewise => self.waiting.len().min(1),
        };
        self.inbox.extend(self.waiting.drain(..n));
        n > 0
    }

    /// Feeds waiting input until the engine needs more than there is,
    /// pauses, switches, or fails.
    fn feed_input(&mut self) -> Result<(), String> {
        if !self.dirty {
            return Ok(());
        }
        self.dirty = false;
        // A pause is reported once: feeding a server that is still paused
        // (its response is not finished yet) is not news.
        let was_paused = std::mem::take(&mut self.paused);
        let mut produced = false;
        self.hand_over();
        // Generous: every call either consumes a byte, or produces an event
        // that moves the state on.
        let mut budget = 100 * (self.inbox.len() + self.waiting.len()) + 1000;
        loop {
            budget = budget
                .checked_sub(1)
                .ok_or("the engine makes no progress on this input")?;
            let now = self.now();
            self.calls += 1;
            // Every other call through `handle_input_into`: both ways of
            // reading input give every transcript's results.
            let result = if self.calls.is_multiple_of(2) {
                let mut event = Event::Paused;
                let result = self.conn.handle_input_into(now, &self.inbox, &mut event);
                if result.is_err() && event != Event::NeedData {
                    return Err(format!("an error left the event {event:?}"));
                }
                result.map(|bytes| Consumed::new(bytes, event))
            } else {
                self.conn.handle_input(now, &self.inbox)
            };
            let step = match result {
                Ok(step) => step,
                Err(error) => {
                    let at = self.consumed + error.offset;
                    self.produce(Produced::Other(format!("error {:?} at {at}", error.kind)));
                    // The caller would close: nothing more is read.
                    self.inbox.clear();
                    self.waiting.clear();
                    return Ok(());
                }
            };
            if step.bytes > self.inbox.len() {
                return Err(format!(
                    "handle_input consumed {} of {} bytes",
                    step.bytes,
                    self.inbox.len()
                ));
            }
            // Owned copies first: the event borrows the inbox.
            let bytes = step.bytes;
            let (stop, found) = match step.event {
                Event::NeedData => (Stop::NeedData, Vec::new()),
                Event::Paused => (Stop::Paused, Vec::new()),
                Event::Switched => (Stop::Switched, Vec::new()),
                Event::Request(head) => (
                    Stop::No,
                    vec![Produced::Other(format!(
                        "request {} {} {}",
                        escape(head.method),
                        escape(head.target),
                        head.version.as_str()
                    ))],
                ),
                Event::Response(head) => (
                    Stop::No,
                    vec![Produced::Other(format!(
                        "response {} {}",
                        head.version.as_str(),
                        head.status
                    ))],
                ),
                Event::Body(data) => (Stop::No, vec![Produced::Body(data.to_vec())]),
                Event::Trailers(fields) => {
                    let mut lines: Vec<Produced> = fields
                        .map(|f| {
                            let line = format!("trailer {}: {}", escape(f.name), escape(f.value));
                            Produced::Other(line)
                        })
                        .collect();
                    if lines.is_empty() {
                        lines.push(Produced::Other("trailers none".into()));
                    }
                    (Stop::No, lines)
                }
                Event::MessageEnd => (Stop::No, vec![Produced::Other("end".into())]),
                other => (
                    Stop::No,
                    vec![Produced::Other(format!("unknown {other:?}"))],
                ),
            };
            for item in found {
                produced = true;
                self.produce(item);
            }
            self.inbox.drain(..bytes);
            self.consumed += bytes;
            match stop {
                Stop::No => {}
                Stop::NeedData => {
                    if !self.hand_over() {
                        return Ok(());
                    }
                }
                Stop::Paused => {
                    self.paused = true;
                    if produced || !was_paused {
                        self.produce(Produced::Other("paused".into()));
                    }
                    return Ok(());
                }
                Stop::Switched => {
                    // Everything not consumed belongs to the new protocol,
                    // whether it was read already or not.
                    let mut rest = std::mem::take(&mut self.inbox);
                    rest.extend(self.waiting.drain(..));
                    self.produce(Produced::Other(byte_event("switched", &rest)));
                    return Ok(());
                }
            }
        }
    }

    /// A command may let a paused server read on.
    fn after_command(&mut self) {
        if self.paused {
            self.dirty = true;
        }
    }

    fn usage(&mut self, error: h1conn::UsageError) {
        self.produce(Produced::Other(format!(
            "usage {}",
            words(&format!("{error:?}"))
        )));
    }

    fn step(&mut self, op: &Op) -> Result<(), String> {
        if let Op::Peer(bytes) = op {
            self.waiting.extend(bytes.iter().copied());
            self.dirty = true;
            return Ok(());
        }
        self.feed_input()?;
        let now = self.now();
        match op {
            // Handled above: peer bytes only wait.
            Op::Peer(_) => {}
            Op::Eof => {
                match self.conn.handle_eof(now) {
                    Ok(None) => {}
                    Ok(Some(Event::MessageEnd)) => self.produce(Produced::Other("end".into())),
                    Ok(Some(other)) => return Err(format!("handle_eof returned {other:?}")),
                    Err(error) => {
                        let at = match error.offset {
                            0 => "eof".to_string(),
                            n => format!("eof+{n}"),
                        };
                        self.produce(Produced::Other(format!("error {:?} at {at}", error.kind)));
                    }
                }
                // A partial head left over is never completed now.
                self.inbox.clear();
            }
            Op::Send { start, fields } => {
                let headers: Vec<Header<'_>> = fields
                    .iter()
                    .map(|(name, value)| Header {
                        name: name.as_bytes(),
                        value: value.as_bytes(),
                    })
                    .collect();
                let mut buf = [0u8; 4096];
                let result = match start {
                    StartLine::Request {
                        method,
                        target,
                        version,
                    } => self.conn.send_request(
                        now,
                        method.as_bytes(),
                        target.as_bytes(),
                        *version,
                        &headers,
                        &mut buf,
                    ),
                    StartLine::Response { status, reason } => {
                        self.conn
                            .send_response(now, *status, reason.as_bytes(), &headers, &mut buf)
                    }
                };
                match result {
                    Ok(len) => self.last_head = buf[..len].to_vec(),
                    Err(error) => self.usage(error),
                }
                self.after_command();
            }
            Op::Body(bytes) => {
                if let Err(error) = self.conn.send_body(bytes.len()) {
                    self.usage(error);
                }
            }
            Op::Finish => {
                if let Err(error) = self.conn.finish_message(now) {
                    self.usage(error);
                }
                self.after_command();
            }
            Op::Close => self.conn.close(now),
            Op::Clock { relative, millis } => {
                let to = if *relative {
                    self.now + millis
                } else {
                    *millis
                };
                if to < self.now {
                    return Err(format!("the clock cannot go back from {}ms", self.now));
                }
                self.now = to;
                if let Some(error) = self.conn.handle_timeout(self.now()) {
                    self.produce(Produced::Other(format!(
                        "error {:?} at timeout",
                        error.kind
                    )));
                }
            }
            Op::Event(expected) => {
                let Some(got) = self.unmatched.pop_front() else {
                    return Err(format!(
                        "expected `= {expected}`, but the engine produced no further event"
                    ));
                };
                let got = got.render();
                self.trace.push(format!("= {got}"));
                if &got != expected {
                    return Err(format!("expected `= {expected}`, got `= {got}`"));
                }
            }
            Op::Check(check, expected) => {
                if !self.unmatched.is_empty() {
                    return Err(format!(
                        "before `= {} {expected}`, the engine produced events no line expects: {}",
                        check.word(),
                        self.unmatched_list()
                    ));
                }
                let got = self.decision(*check, expected);
                self.trace.push(format!("= {} {got}", check.word()));
                if &got != expected {
                    return Err(format!(
                        "expected `= {} {expected}`, got `= {} {got}`",
                        check.word(),
                        check.word()
                    ));
                }
            }
        }
        Ok(())
    }

    fn unmatched_list(&self) -> String {
        let items: Vec<String> = self
            .unmatched
            .iter()
            .map(|p| format!("`= {}`", p.render()))
            .collect();
        items.join(", ")
    }

    /// The engine's answer to a decision line, in the line's syntax. For the
    /// head checks the answer is the expected text when it holds, else a
    /// description of the head.
    fn decision(&self, check: Check, expected: &str) -> String {
        let yes_no = |b: bool| if b { "yes" } else { "no" }.to_string();
        let now = self.now();
        match check {
            Check::Action => match self.conn.poll_action() {
                Action::Continue => "continue".into(),
                Action::Reuse => "reuse".into(),
                Action::Switched => "switched".into(),
                Action::Close(reason) => format!("close {}", reason.as_str()),
                other => format!("unknown {other:?}"),
            },
            Check::Persistence => match self.conn.persistence() {
                Persistence::KeepAlive => "keep-alive".into(),
                Persistence::Close(reason) => format!("close {}", reason.as_str()),
            },
            Check::MaySend => yes_no(self.conn.may_send_request(now)),
            Check::MaySendBody => yes_no(self.conn.may_send_body()),
            Check::AwaitsContinue => yes_no(self.conn.awaits_continue()),
            Check::MayRetry => yes_no(self.conn.may_retry()),
            Check::Reusable => match self.conn.clone().reusable(now) {
                Ok(()) => "yes".into(),
                Err(NotReusable::Busy) => "busy".into(),
                Err(NotReusable::Closing(reason)) => format!("no {}", reason.as_str()),
                Err(other) => format!("other {other}"),
            },
            Check::RequestsLeft => self
                .conn
                .requests_left()
                .map_or("none".into(), |n| n.to_string()),
            Check::PeerKeepAlive => {
                let params = self.conn.peer_keep_alive();
                let mut parts = Vec::new();
                if let Some(t) = params.timeout {
                    parts.push(format!("timeout={t}"));
                }
                if let Some(m) = params.max {
                    parts.push(format!("max={m}"));
                }
                if parts.is_empty() {
                    "none".into()
                } else {
                    parts.join(" ")
                }
            }
            Check::Deadline => self
                .conn
                .poll_timeout()
                .map_or("none".into(), |at| format!("{}ms", at.as_millis())),
            Check::Retry => match self.conn.retry_safety() {
                RetrySafety::NotSent => "not-sent".into(),
                RetrySafety::SentNoResponse => "sent-no-response".into(),
                RetrySafety::ResponsePartial => "response-partial".into(),
                other => format!("unknown {other:?}"),
            },
            Check::Exchanges => self.conn.exchanges().to_string(),
            Check::Wrote | Check::WroteNo => {
                let head = String::from_utf8_lossy(&self.last_head).into_owned();
                let lines: Vec<&str> = head.split("\r\n").collect();
                let holds = if check == Check::Wrote {
                    lines.contains(&expected)
                } else {
                    !lines.iter().any(|line| {
                        line.split_once(':')
                            .is_some_and(|(name, _)| name.eq_ignore_ascii_case(expected))
                    })
                };
                if holds {
                    expected.into()
                } else {
                    format!("(not so) in the head {:?}", head)
                }
            }
        }
    }

    /// A failure message: file, line, feed, what went wrong, and what the
    /// engine said just before (in transcript syntax, to compare or paste).
    fn failure(&self, no: Option<usize>, message: &str) -> String {
        let place = match no {
            Some(no) => format!("{}:{no}", self.script.name),
            None => format!("{}: at the end", self.script.name),
        };
        let mut text = format!("{place} [{}]: {message}", self.feed.describe());
        let recent = self.trace.len().saturating_sub(12);
        if !self.trace.is_empty() {
            text.push_str("\n  the engine said, up to here:");
            for line in &self.trace[recent..] {
                text.push_str(&format!("\n    {line}"));
            }
        }
        if !self.unmatched.is_empty() {
            text.push_str(&format!("\n  not matched yet: {}", self.unmatched_list()));
        }
        text
    }
}

/// Runs `script` with one way of feeding; returns the trace.
fn run<R: Kind>(script: &Script, feed: Feed) -> Result<Vec<String>, String> {
    execute::<R>(script, feed).map(|run| run.trace)
}

/// Runs `script` with one way of feeding; returns the finished run.
fn execute<R: Kind>(script: &Script, feed: Feed) -> Result<Run<'_, R>, String> {
    let mut run = Run::new(script, feed);
    for line in &script.lines {
        run.step(&line.op)
            .map_err(|message| run.failure(Some(line.no), &message))?;
    }
    run.feed_input()
        .map_err(|message| run.failure(None, &message))?;
    if !run.unmatched.is_empty() {
        let message = format!("events no line expects: {}", run.unmatched_list());
        return Err(run.failure(None, &message));
    }
    Ok(run)
}

/// Runs `script` with both feeds and checks they agree.
fn check_script(script: &Script) -> Result<(), String> {
    let whole = run::<AnyRole>(script, Feed::Whole)?;
    let bytewise = run::<AnyRole>(script, Feed::Bytewise)?;
    if whole != bytewise {
        return Err(format!(
            "{}: the two feeds disagree:\n  whole: {whole:?}\n  1-byte: {bytewise:?}",
            script.name
        ));
    }
    // A connection whose type fixes the role behaves the same.
    let fixed = match script.role {
        Role::Client => run::<ClientRole>(script, Feed::Whole)?,
        Role::Server => run::<ServerRole>(script, Feed::Whole)?,
    };
    if whole != fixed {
        return Err(format!(
            "{}: the fixed role disagrees:\n  any: {whole:?}\n  fixed: {fixed:?}",
            script.name
        ));
    }
    Ok(())
}

fn transcript_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/transcripts")
}

/// Reads and parses every `*.http` file of the transcript directory, by name.
fn load_all() -> Vec<Result<Script, String>> {
    let dir = transcript_dir();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "http"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let name = format!(
                "testdata/transcripts/{}",
                path.file_name().unwrap_or_default().to_string_lossy()
            );
            let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
            parse_script(&name, &text)
        })
        .collect()
}

// ----- the tests -----

#[test]
fn transcripts() {
    let scripts = load_all();
    assert!(
        scripts.len() >= 20,
        "expected at least 20 transcripts in {}, found {}",
        transcript_dir().display(),
        scripts.len()
    );
    let mut failures = Vec::new();
    let mut stderr = std::io::stderr();
    for script in scripts {
        let script = match script {
            Ok(script) => script,
            Err(message) => {
                failures.push(message);
                continue;
            }
        };
        let result = check_script(&script);
        if let Some(defect) = &script.known_defect {
            // Written to stderr directly so the notice shows even when the
            // test passes and its output is captured.
            let status = match &result {
                Ok(()) => "it passes now: remove the `# known-defect:` line".to_string(),
                Err(message) => format!("still fails: {}", message.lines().next().unwrap_or("")),
            };
            let _ = writeln!(
                stderr,
                "NOTICE: skipped {} (known defect: {defect}); {status}",
                script.name
            );
            continue;
        }
        if let Err(message) = result {
            failures.push(message);
        }
    }
    assert!(
        failures.is_empty(),
        "{} transcript(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// A small transcript used by the tests of the runner itself.
const SAMPLE: &str = "\
# role: client
> GET / HTTP/1.1
> Host: a
< HTTP/1.1 200 OK
< Content-Length: 2
<
<< hi
= response HTTP/1.1 200
= body hi
= end
= action reuse
";

#[test]
fn the_sample_passes_with_both_feeds() {
    let script = parse_script("sample.http", SAMPLE).unwrap();
    check_script(&script).unwrap();
}

#[test]
fn the_second_pass_feeds_one_byte_per_read() {
    let script = parse_script("sample.http", SAMPLE).unwrap();
    let peer_bytes = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi".len();
    let whole = execute::<AnyRole>(&script, Feed::Whole).unwrap();
    let bytewise = execute::<AnyRole>(&script, Feed::Bytewise).unwrap();
    // Whole: the head, the body, the end, then "need data".
    assert!(whole.calls <= 5, "{} calls", whole.calls);
    // Bytewise: at least one call per byte.
    assert!(bytewise.calls > peer_bytes, "{} calls", bytewise.calls);
    assert_eq!(whole.consumed, peer_bytes);
    assert_eq!(bytewise.consumed, peer_bytes);
}

#[test]
fn a_wrong_decision_fails_naming_file_line_and_both_values() {
    let text = SAMPLE.replace("= action reuse", "= action close response_close");
    let script = parse_script("sample.http", &text).unwrap();
    let message = check_script(&script).unwrap_err();
    assert!(
        message.starts_with("sample.http:11 [whole input]: "),
        "{message}"
    );
    assert!(
        message.contains("expected `= action close response_close`, got `= action reuse`"),
        "{message}"
    );
}

#[test]
fn a_wrong_event_fails_and_an_unexpected_one_too() {
    let text = SAMPLE.replace("= body hi", "= body ho");
    let message = check_script(&parse_script("sample.http", &text).unwrap()).unwrap_err();
    assert!(message.contains("sample.http:9"), "{message}");
    assert!(
        message.contains("expected `= body ho`, got `= body hi`"),
        "{message}"
    );

    // An event left without a line fails at the next decision.
    let text = SAMPLE.replace("= end\n", "");
    let message = check_script(&parse_script("sample.http", &text).unwrap()).unwrap_err();
    assert!(message.contains("sample.http:10"), "{message}");
    assert!(message.contains("no line expects: `= end`"), "{message}");

    // ... or at the end of the file.
    let text = SAMPLE.replace("= end\n= action reuse\n", "");
    let message = check_script(&parse_script("sample.http", &text).unwrap()).unwrap_err();
    assert!(message.contains("sample.http: at the end"), "{message}");
}

#[test]
fn format_mistakes_are_reported_with_their_line() {
    let cases = [
        (
            SAMPLE.replace("= end", "= ending"),
            "sample.http:10: unknown expectation",
        ),
        (
            SAMPLE.replace("<< hi", "<< h\\q"),
            "sample.http:7: unknown escape",
        ),
        (
            SAMPLE.replace("# role: client", "# role: client\n# config: idle=5s"),
            "sample.http:2: unknown config key `idle`",
        ),
        (
            SAMPLE.replace("# role: client\n", ""),
            "`# role:` must come first",
        ),
        (format!("{SAMPLE}# role: server\n"), "belongs in the header"),
    ];
    for (text, wanted) in cases {
        let message = match parse_script("sample.http", &text) {
            Ok(_) => "parsed".to_string(),
            Err(message) => message,
        };
        assert!(message.contains(wanted), "{wanted:?} not in {message:?}");
    }
}

#[test]
fn escapes_round_trip() {
    let bytes: Vec<u8> = (0..=255).collect();
    assert_eq!(unescape(&escape(&bytes)).unwrap(), bytes);
    assert_eq!(unescape("a\\r\\n\\x41\\\\").unwrap(), b"a\r\nA\\");
}
