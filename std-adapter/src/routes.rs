//! The routes of `h1conn serve`: the built-in test routes of the CLI
//! contract, or static files under a directory (`--root`).
//!
//! Built-in routes (any method; HEAD gets the same head without a body):
//!
//! | path | response |
//! | --- | --- |
//! | `/` | 200, `text/plain`, a short greeting |
//! | `/echo` | 200, `text/plain`: the request line, each header field as received (`Name: value`), a blank line, then the request body (lines end in CRLF; bodies over 8 MiB get 413) |
//! | `/bytes/N` | 200, N bytes with `Content-Length` |
//! | `/chunked/N` | 200, N bytes with `Transfer-Encoding: chunked` in chunks of at most 4096 bytes (`Content-Length` for an HTTP/1.0 request, which cannot read chunks) |
//! | `/status/NNN` | status NNN (200 to 599), empty body (none at all for 204 and 304) |
//! | anything else | 404 |
//!
//! The N bytes of `/bytes/N` and `/chunked/N` are the lowercase alphabet
//! repeated (`abc...zabc...`), so a client can check any byte.
//!
//! With a root directory, GET and HEAD serve the file the path names (a
//! directory serves its `index.html`); other methods get 405. The path is
//! percent-decoded and taken segment by segment: `..` segments, and
//! anything that resolves (through symbolic links too) outside the root,
//! get 404.

use std::fs::{self, File};
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::server::{Handler, Request};

/// Largest `/echo` body, in bytes.
const ECHO_LIMIT: usize = 8 * 1024 * 1024;
/// Largest chunk of `/chunked/N`.
const CHUNK: usize = 4096;
/// Largest write of `/bytes/N`.
const PIECE: usize = 16 * 1024;
/// The byte pattern of generated bodies.
const ALPHABET: &[u8; 26] = b"abcdefghijklmnopqrstuvwxyz";

const TEXT: (&str, &str) = ("Content-Type", "text/plain; charset=utf-8");
const OCTETS: (&str, &str) = ("Content-Type", "application/octet-stream");

/// The handler of `h1conn serve`: built-in routes, or files under a root.
#[derive(Clone, Debug, Default)]
pub struct Routes {
    /// Canonical root directory, when serving files.
    root: Option<PathBuf>,
}

impl Routes {
    /// The built-in routes (see the [module docs](self)).
    pub fn builtin() -> Self {
        Self { root: None }
    }

    /// Files under `root` for GET and HEAD. Fails if `root` is not a
    /// readable directory.
    pub fn files(root: impl AsRef<Path>) -> io::Result<Self> {
        let root = root.as_ref().canonicalize()?;
        if !root.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                format!("{} is not a directory", root.display()),
            ));
        }
        Ok(Self { root: Some(root) })
    }

    /// The directory served, if any.
    pub fn root(&self) -> Option<&Path> {
        self.root.as_deref()
    }
}

impl Handler for Routes {
    fn handle(&self, request: &mut Request<'_>) -> io::Result<()> {
        match &self.root {
            Some(root) => serve_file(root, request),
            None => builtin(request),
        }
    }
}

fn builtin(request: &mut Request<'_>) -> io::Result<()> {
    let path = request.path().to_owned();
    if path == "/" {
        return request.respond(
            200,
            &[TEXT],
            b"Hello from h1conn: an HTTP/1.x keep-alive engine.\n",
        );
    }
    if path == "/echo" {
        return echo(request);
    }
    if let Some(n) = path.strip_prefix("/bytes/").and_then(parse_count) {
        return generated(request, n, Some(n), PIECE);
    }
    if let Some(n) = path.strip_prefix("/chunked/").and_then(parse_count) {
        // An HTTP/1.0 client cannot read chunks: give it the length.
        let length = (request.version() == h1conn::wire::Version::Http10).then_some(n);
        return generated(request, n, length, CHUNK);
    }
    if let Some(status) = path.strip_prefix("/status/").and_then(parse_status) {
        return request.respond(status, &[], b"");
    }
    not_found(request)
}

fn not_found(request: &mut Request<'_>) -> io::Result<()> {
    request.respond(404, &[TEXT], b"not found\n")
}

/// A decimal count of at most 19 digits (so it fits a `u64`).
fn parse_count(digits: &str) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// A final status with a body or without: three digits, 200 to 599.
fn parse_status(digits: &str) -> Option<u16> {
    if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|s| (200..=599).contains(s))
}

fn echo(request: &mut Request<'_>) -> io::Result<()> {
    let mut text = format!(
        "{} {} {}\r\n",
        request.method(),
        request.target(),
        request.version().as_str()
    )
    .into_bytes();
    for (name, value) in request.headers() {
        text.extend_from_slice(name.as_bytes());
        text.extend_from_slice(b": ");
        text.extend_from_slice(value);
        text.extend_from_slice(b"\r\n");
    }
    text.extend_from_slice(b"\r\n");
    match request.read_body(ECHO_LIMIT)? {
        Some(body) => text.extend_from_slice(&body),
        None => return request.respond(413, &[TEXT], b"request body too large to echo\n"),
    }
    request.respond(200, &[TEXT], &text)
}

/// `PIECE + 26` bytes of the alphabet pattern: any `n <= PIECE` bytes of
/// it starting at any offset below 26 are in it.
fn pattern() -> &'static [u8] {
    static PATTERN: OnceLock<Vec<u8>> = OnceLock::new();
    PATTERN.get_or_init(|| {
        ALPHABET
            .iter()
            .copied()
            .cycle()
            .take(PIECE + ALPHABET.len())
            .collect()
    })
}

/// `n` bytes of the pattern, in writes of at most `piece` bytes.
fn generated(
    request: &mut Request<'_>,
    n: u64,
    length: Option<u64>,
    piece: usize,
) -> io::Result<()> {
    let mut body = request.start_response(200, &[OCTETS], length)?;
    if body.sends_body() {
        let pattern = pattern();
        let mut sent = 0u64;
        while sent < n {
            let offset = usize::try_from(sent % 26).unwrap_or(0);
            let len = usize::try_from(n - sent).map_or(piece, |left| left.min(piece));
            let slice = pattern.get(offset..offset + len).unwrap_or_default();
            body.write_all(slice)?;
            sent += u64::try_from(len).unwrap_or(u64::MAX);
        }
    }
    body.finish()
}

fn serve_file(root: &Path, request: &mut Request<'_>) -> io::Result<()> {
    let method = request.method();
    if method != "GET" && method != "HEAD" {
        return request.respond(
            405,
            &[TEXT, ("Allow", "GET, HEAD")],
            b"only GET and HEAD are allowed here\n",
        );
    }
    let Some(mut path) = resolve(root, request.path()) else {
        return not_found(request);
    };
    if path.is_dir() {
        path.push("index.html");
        // The index must not lead outside the root either.
        match path.canonicalize() {
            Ok(index) if index.starts_with(root) => path = index,
            _ => return not_found(request),
        }
    }
    let file = match File::open(&path).and_then(|f| f.metadata().map(|m| (f, m))) {
        Ok((file, meta)) if meta.is_file() => (file, meta.len()),
        Ok(_) => return not_found(request),
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            return request.respond(403, &[TEXT], b"forbidden\n");
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => return not_found(request),
        Err(_) => return request.respond(500, &[TEXT], b"cannot read the file\n"),
    };
    let (file, len) = file;
    let content_type = ("Content-Type", content_type(&path));
    let mut body = request.start_response(200, &[content_type], Some(len))?;
    if body.sends_body() {
        // Exactly `len` bytes, as announced, even if the file grows.
        let copied = io::copy(&mut file.take(len), &mut body)?;
        if copied != len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file shrank while being sent",
            ));
        }
    }
    body.finish()
}

/// The file under `root` that `path` names, if it stays under `root`.
fn resolve(root: &Path, path: &str) -> Option<PathBuf> {
    if !path.starts_with('/') {
        return None;
    }
    let decoded = String::from_utf8(percent_decode(path)?).ok()?;
    let mut full = root.to_path_buf();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => return None,
            s if s.contains(['\0', '\\']) => return None,
            s => full.push(s),
        }
    }
    // Symbolic links may point anywhere: judge where the path really leads.
    let real = fs::canonicalize(&full).ok()?;
    real.starts_with(root).then_some(real)
}

/// `%XX` escapes decoded; `None` for a malformed escape.
fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while let Some(&b) = bytes.get(at) {
        if b == b'%' {
            let hex = bytes.get(at + 1..at + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            at += 3;
        } else {
            out.push(b);
            at += 1;
        }
    }
    Some(out)
}

/// A media type from the file extension.
fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "txt" | "md" => "text/plain; charset=utf-8",
        "css" => "text/css",
        "js" | "mjs" => "text/javascript",
        "json" => "application/json",
        "xml" => "application/xml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "wasm" => "application/wasm",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_statuses() {
        assert_eq!(parse_count("0"), Some(0));
        assert_eq!(parse_count("1024"), Some(1024));
        assert_eq!(parse_count(""), None);
        assert_eq!(parse_count("+5"), None);
        assert_eq!(parse_count("99999999999999999999"), None);
        assert_eq!(parse_status("204"), Some(204));
        assert_eq!(parse_status("101"), None);
        assert_eq!(parse_status("600"), None);
        assert_eq!(parse_status("20"), None);
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("/a%20b").as_deref(), Some(&b"/a b"[..]));
        assert_eq!(percent_decode("/%2e%2E").as_deref(), Some(&b"/.."[..]));
        assert_eq!(percent_decode("/%zz"), None);
        assert_eq!(percent_decode("/%4"), None);
    }

    #[test]
    fn pattern_continues_across_pieces() {
        let p = pattern();
        assert_eq!(p.get(..3), Some(&b"abc"[..]));
        assert_eq!(p.get(25..28), Some(&b"zab"[..]));
        assert!(p.len() >= PIECE + 25);
    }

    #[test]
    fn resolution_stays_under_the_root() {
        let dir = std::env::temp_dir().join(format!("h1conn-routes-{}", std::process::id()));
        let inner = dir.join("www");
        fs::create_dir_all(&inner).unwrap();
        fs::write(inner.join("a.txt"), b"a").unwrap();
        fs::write(dir.join("secret"), b"s").unwrap();
        let root = inner.canonicalize().unwrap();
        assert_eq!(resolve(&root, "/a.txt"), Some(root.join("a.txt")));
        assert_eq!(resolve(&root, "/./a.txt"), Some(root.join("a.txt")));
        assert_eq!(resolve(&root, "/../secret"), None);
        assert_eq!(resolve(&root, "/%2e%2e/secret"), None);
        assert_eq!(resolve(&root, "/missing"), None);
        assert_eq!(resolve(&root, "a.txt"), None);
        fs::remove_dir_all(&dir).unwrap();
    }
}
