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
use std::io::{self, Write as _};

use h1conn::wire::Version;
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
    /// The root directory, open: files are opened beneath it (Linux).
    root_dir: Option<std::sync::Arc<File>>,
    /// Files served lately, kept open (Linux).
    open_files: std::sync::Arc<OpenFiles>,
}

impl Routes {
    /// The built-in routes (see the [module docs](self)).
    pub fn builtin() -> Self {
        Self::default()
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
        let root_dir = File::open(&root).ok().map(std::sync::Arc::new);
        Ok(Self {
            root: Some(root),
            root_dir,
            open_files: std::sync::Arc::default(),
        })
    }

    /// The directory served, if any.
    pub fn root(&self) -> Option<&Path> {
        self.root.as_deref()
    }
}

/// What a route answers, decided from the request line alone; each
/// flavour's handler below only moves the bytes.
enum Reply {
    /// A whole response with a fixed body.
    Fixed {
        status: u16,
        headers: &'static [(&'static str, &'static str)],
        body: &'static [u8],
    },
    /// `/echo`: the request line, head and body.
    Echo,
    /// `n` bytes of the pattern, with that `Content-Length` when `length`
    /// is set (else chunked), in writes of at most `piece` bytes.
    Generated {
        n: u64,
        length: Option<u64>,
        piece: usize,
    },
    /// A file under the root, opened (perhaps shared with other requests:
    /// read it at offsets).
    File {
        file: std::sync::Arc<File>,
        len: u64,
        content_type: &'static str,
    },
}

const NOT_FOUND: Reply = Reply::Fixed {
    status: 404,
    headers: &[TEXT],
    body: b"not found\n",
};

impl Routes {
    /// The reply to `method path` in `version`.
    fn reply(&self, method: &str, path: &str, version: Version) -> Reply {
        match &self.root {
            Some(root) => file_reply(
                root,
                self.root_dir.as_deref(),
                &self.open_files,
                method,
                path,
            ),
            None => builtin(path, version),
        }
    }
}

fn builtin(path: &str, version: Version) -> Reply {
    if path == "/" {
        return Reply::Fixed {
            status: 200,
            headers: &[TEXT],
            body: b"Hello from h1conn: an HTTP/1.x keep-alive engine.\n",
        };
    }
    if path == "/echo" {
        return Reply::Echo;
    }
    if let Some(n) = path.strip_prefix("/bytes/").and_then(parse_count) {
        return Reply::Generated {
            n,
            length: Some(n),
            piece: PIECE,
        };
    }
    if let Some(n) = path.strip_prefix("/chunked/").and_then(parse_count) {
        // An HTTP/1.0 client cannot read chunks: give it the length.
        let length = (version == Version::Http10).then_some(n);
        return Reply::Generated {
            n,
            length,
            piece: CHUNK,
        };
    }
    if let Some(status) = path.strip_prefix("/status/").and_then(parse_status) {
        return Reply::Fixed {
            status,
            headers: &[],
            body: b"",
        };
    }
    NOT_FOUND
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

/// The head part of an `/echo` answer: the request line, then each field
/// as received, then a blank line (the body follows).
fn echo_head<'h>(
    method: &str,
    target: &str,
    version: Version,
    headers: impl Iterator<Item = (&'h str, &'h [u8])>,
) -> Vec<u8> {
    let mut text = format!("{method} {target} {}\r\n", version.as_str()).into_bytes();
    for (name, value) in headers {
        text.extend_from_slice(name.as_bytes());
        text.extend_from_slice(b": ");
        text.extend_from_slice(value);
        text.extend_from_slice(b"\r\n");
    }
    text.extend_from_slice(b"\r\n");
    text
}

const ECHO_TOO_LARGE: &[u8] = b"request body too large to echo\n";

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

/// `n` bytes of the pattern, as slices of at most `piece` bytes.
fn pattern_pieces(n: u64, piece: usize) -> impl Iterator<Item = &'static [u8]> {
    let pattern = pattern();
    let mut sent = 0u64;
    std::iter::from_fn(move || {
        if sent >= n {
            return None;
        }
        let offset = usize::try_from(sent % 26).unwrap_or(0);
        let len = usize::try_from(n - sent).map_or(piece, |left| left.min(piece));
        sent += u64::try_from(len).unwrap_or(u64::MAX);
        pattern.get(offset..offset + len)
    })
}

/// The reply for a file request under `root`: GET and HEAD only, the
/// path resolved without leaving the root, the file opened.
fn file_reply(
    root: &Path,
    root_dir: Option<&File>,
    open_files: &OpenFiles,
    method: &str,
    path: &str,
) -> Reply {
    if method != "GET" && method != "HEAD" {
        return Reply::Fixed {
            status: 405,
            headers: &[TEXT, ("Allow", "GET, HEAD")],
            body: b"only GET and HEAD are allowed here\n",
        };
    }
    if let Some(dir) = root_dir
        && let Some((file, len, content_type)) = open_files.still_there(dir, path)
    {
        return Reply::File {
            file,
            len,
            content_type,
        };
    }
    let opened = match root_dir.map(|dir| open_beneath(dir, root, path)) {
        Some(Some((file, meta, real))) => {
            let file = std::sync::Arc::new(file);
            if meta.is_file()
                && let Ok(relative) = real.strip_prefix(root)
            {
                open_files.keep(path, relative, &file, &meta, content_type(&real));
            }
            Ok(Some((file, meta, real)))
        }
        _ => open_under(root, path)
            .map(|opened| opened.map(|(file, meta, real)| (std::sync::Arc::new(file), meta, real))),
    };
    match opened {
        Ok(Some((file, meta, real))) if meta.is_file() => Reply::File {
            file,
            len: meta.len(),
            content_type: content_type(&real),
        },
        Ok(_) => NOT_FOUND,
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => Reply::Fixed {
            status: 403,
            headers: &[TEXT],
            body: b"forbidden\n",
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => NOT_FOUND,
        Err(_) => Reply::Fixed {
            status: 500,
            headers: &[TEXT],
            body: b"cannot read the file\n",
        },
    }
}

/// How many files [`OpenFiles`] keeps open at most.
const OPEN_FILES_KEPT: usize = 32;

/// Files served lately, kept open so that a request for one of them costs
/// a `stat` of its path instead of an open and a close (nginx's
/// `open_file_cache`, which Debian leaves off, does the same with a
/// validity period; here every use checks).
///
/// A kept file is used only while its path, looked up again, still names
/// the same file, unchanged: same device and inode (not replaced, not a
/// link now pointing elsewhere), same size, modification and change times
/// (not written to, no permission change). Anything else reopens it the
/// usual way, beneath the root. The check follows the path as it is now;
/// it can only confirm the file that was opened safely, never admit
/// another.
#[derive(Debug, Default)]
struct OpenFiles {
    kept: std::sync::Mutex<Vec<KeptFile>>,
}

#[derive(Debug)]
struct KeptFile {
    /// The request path it answers.
    path: Box<str>,
    /// The path opened, relative to the root.
    relative: PathBuf,
    file: std::sync::Arc<File>,
    identity: FileIdentity,
    content_type: &'static str,
}

/// What says a file is the one kept, unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileIdentity {
    dev: u64,
    ino: u64,
    size: u64,
    modified: (i64, i64),
    changed: (i64, i64),
}

impl FileIdentity {
    fn of(meta: &fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt as _;
        Self {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            modified: (meta.mtime(), meta.mtime_nsec()),
            changed: (meta.ctime(), meta.ctime_nsec()),
        }
    }
}

impl OpenFiles {
    /// The kept file for `path` with its length and type, if `path` (looked
    /// up beneath `root_dir` now) still names it unchanged.
    #[cfg(target_os = "linux")]
    fn still_there(
        &self,
        root_dir: &File,
        path: &str,
    ) -> Option<(std::sync::Arc<File>, u64, &'static str)> {
        let (relative, file, identity, content_type) = {
            let kept = self.kept.lock().ok()?;
            let entry = kept.iter().find(|entry| &*entry.path == path)?;
            (
                entry.relative.clone(),
                std::sync::Arc::clone(&entry.file),
                entry.identity,
                entry.content_type,
            )
        };
        let name = if relative.as_os_str().is_empty() {
            Path::new(".")
        } else {
            &relative
        };
        let now = rustix::fs::statat(root_dir, name, rustix::fs::AtFlags::empty()).ok()?;
        // The field types differ between targets (the conversions are
        // no-ops on x86_64).
        #[allow(clippy::useless_conversion, clippy::unnecessary_fallible_conversions)]
        let same = FileIdentity {
            dev: u64::try_from(now.st_dev).ok()?,
            ino: u64::try_from(now.st_ino).ok()?,
            size: u64::try_from(now.st_size).ok()?,
            modified: (
                i64::try_from(now.st_mtime).ok()?,
                i64::try_from(now.st_mtime_nsec).ok()?,
            ),
            changed: (
                i64::try_from(now.st_ctime).ok()?,
                i64::try_from(now.st_ctime_nsec).ok()?,
            ),
        } == identity;
        if !same {
            self.forget(path);
            return None;
        }
        Some((file, identity.size, content_type))
    }

    /// Elsewhere nothing is kept.
    #[cfg(not(target_os = "linux"))]
    fn still_there(
        &self,
        _root_dir: &File,
        _path: &str,
    ) -> Option<(std::sync::Arc<File>, u64, &'static str)> {
        None
    }

    /// Keeps `file`, just opened beneath the root for `path`.
    fn keep(
        &self,
        path: &str,
        relative: &Path,
        file: &std::sync::Arc<File>,
        meta: &fs::Metadata,
        content_type: &'static str,
    ) {
        if !cfg!(target_os = "linux") {
            return;
        }
        let Ok(mut kept) = self.kept.lock() else {
            return;
        };
        kept.retain(|entry| &*entry.path != path);
        if kept.len() >= OPEN_FILES_KEPT {
            // The oldest goes (its descriptor closes with its last use).
            kept.remove(0);
        }
        kept.push(KeptFile {
            path: path.into(),
            relative: relative.to_path_buf(),
            file: std::sync::Arc::clone(file),
            identity: FileIdentity::of(meta),
            content_type,
        });
    }

    fn forget(&self, path: &str) {
        if let Ok(mut kept) = self.kept.lock() {
            kept.retain(|entry| &*entry.path != path);
        }
    }
}

/// The buffer a file of `len` bytes is sent through.
fn piece_for(len: u64) -> usize {
    usize::try_from(len).map_or(PIECE, |len| len.clamp(1, PIECE))
}

/// Reads the next piece of a file sent as `len` bytes, at `offset` (the
/// file may be shared: no file position is used): its length, `None` once
/// `len` bytes went out, an error if the file ends before (exactly `len`
/// bytes are sent, as announced, even if the file grows).
fn read_piece(file: &File, offset: u64, len: u64, piece: &mut [u8]) -> io::Result<Option<usize>> {
    use std::os::unix::fs::FileExt as _;
    let left = len.saturating_sub(offset);
    if left == 0 {
        return Ok(None);
    }
    let want = usize::try_from(left).map_or(piece.len(), |left| left.min(piece.len()));
    let n = file.read_at(piece.get_mut(..want).unwrap_or_default(), offset)?;
    if n == 0 {
        return Err(file_shrank());
    }
    Ok(Some(n))
}

/// Sends `len` bytes of `file` through `piece` to `write`.
fn send_file(
    file: &File,
    len: u64,
    piece: &mut [u8],
    mut write: impl FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<()> {
    let mut offset = 0u64;
    while let Some(n) = read_piece(file, offset, len, piece)? {
        write(piece.get(..n).unwrap_or_default())?;
        offset += u64::try_from(n).unwrap_or(u64::MAX);
    }
    Ok(())
}

fn file_shrank() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "the file shrank while being sent",
    )
}

impl Handler for Routes {
    fn handle(&self, request: &mut Request<'_>) -> io::Result<()> {
        match self.reply(request.method(), request.path(), request.version()) {
            Reply::Fixed {
                status,
                headers,
                body,
            } => request.respond(status, headers, body),
            Reply::Echo => {
                let mut text = echo_head(
                    request.method(),
                    request.target(),
                    request.version(),
                    request.headers(),
                );
                match request.read_body(ECHO_LIMIT)? {
                    Some(body) => text.extend_from_slice(&body),
                    None => return request.respond(413, &[TEXT], ECHO_TOO_LARGE),
                }
                request.respond(200, &[TEXT], &text)
            }
            Reply::Generated { n, length, piece } => {
                let mut body = request.start_response(200, &[OCTETS], length)?;
                if body.sends_body() {
                    for slice in pattern_pieces(n, piece) {
                        body.write_all(slice)?;
                    }
                }
                body.finish()
            }
            Reply::File {
                file,
                len,
                content_type,
            } => {
                let mut body =
                    request.start_response(200, &[("Content-Type", content_type)], Some(len))?;
                if body.sends_body() {
                    let mut piece = vec![0u8; piece_for(len)];
                    send_file(&file, len, &mut piece, |bytes| body.write_all(bytes))?;
                }
                body.finish()
            }
        }
    }
}

#[cfg(feature = "tokio")]
impl h1conn_std::asynch::server::Handler for Routes {
    async fn handle(
        &self,
        request: &mut h1conn_std::asynch::server::Request<'_>,
    ) -> io::Result<()> {
        match self.reply(request.method(), request.path(), request.version()) {
            Reply::Fixed {
                status,
                headers,
                body,
            } => request.respond(status, headers, body).await,
            Reply::Echo => {
                let mut text = echo_head(
                    request.method(),
                    request.target(),
                    request.version(),
                    request.headers(),
                );
                match request.read_body(ECHO_LIMIT).await? {
                    Some(body) => text.extend_from_slice(&body),
                    None => return request.respond(413, &[TEXT], ECHO_TOO_LARGE).await,
                }
                request.respond(200, &[TEXT], &text).await
            }
            Reply::Generated { n, length, piece } => {
                let mut body = request.start_response(200, &[OCTETS], length).await?;
                if body.sends_body() {
                    for slice in pattern_pieces(n, piece) {
                        body.write_all(slice).await?;
                    }
                }
                body.finish().await
            }
            Reply::File {
                file,
                len,
                content_type,
            } => {
                let mut body = request
                    .start_response(200, &[("Content-Type", content_type)], Some(len))
                    .await?;
                if body.sends_body() {
                    // Plain reads: the files served are small and mostly in
                    // the page cache, where tokio::fs would add a thread hop
                    // per call.
                    let mut piece = vec![0u8; piece_for(len)];
                    let mut offset = 0u64;
                    while let Some(n) = read_piece(&file, offset, len, &mut piece)? {
                        body.write_all(piece.get(..n).unwrap_or_default()).await?;
                        offset += u64::try_from(n).unwrap_or(u64::MAX);
                    }
                }
                body.finish().await
            }
        }
    }
}

/// The fast way to [`open_under`] on Linux: `openat2` beneath the open
/// root with `RESOLVE_BENEATH`, so the kernel itself refuses any escape
/// (`..`, absolute or outward symbolic links) during the one path walk,
/// with no `/proc` look-up afterwards. `None` when it cannot answer (an
/// older kernel, a refused link, a missing file): the caller then takes the
/// portable way, which gives the exact answer and error.
#[cfg(target_os = "linux")]
fn open_beneath(root_dir: &File, root: &Path, path: &str) -> Option<(File, fs::Metadata, PathBuf)> {
    use rustix::fs::{Mode, OFlags, ResolveFlags, openat2};
    let mut relative = relative_path(path)?;
    let open = |relative: &str| {
        let name = if relative.is_empty() { "." } else { relative };
        let flags = OFlags::RDONLY | OFlags::CLOEXEC;
        let resolve = ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS;
        let file = File::from(openat2(root_dir, name, flags, Mode::empty(), resolve).ok()?);
        let meta = file.metadata().ok()?;
        Some((file, meta))
    };
    let (mut file, mut meta) = open(&relative)?;
    if meta.is_dir() {
        if !relative.is_empty() {
            relative.push('/');
        }
        relative.push_str("index.html");
        (file, meta) = open(&relative)?;
    }
    Some((file, meta, root.join(relative)))
}

/// Elsewhere there is no fast way.
#[cfg(not(target_os = "linux"))]
fn open_beneath(
    _root_dir: &File,
    _root: &Path,
    _path: &str,
) -> Option<(File, fs::Metadata, PathBuf)> {
    None
}

/// The decoded segments of `path` joined with `/`, relative (empty for the
/// root); `None` for a path that is not absolute, escapes badly, or climbs
/// with `..`.
fn relative_path(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return None;
    }
    let decoded = if path.contains('%') {
        std::borrow::Cow::Owned(String::from_utf8(percent_decode(path)?).ok()?)
    } else {
        std::borrow::Cow::Borrowed(path)
    };
    let mut relative = String::with_capacity(decoded.len() + 16);
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => return None,
            s if s.contains(['\0', '\\']) => return None,
            s => {
                if !relative.is_empty() {
                    relative.push('/');
                }
                relative.push_str(s);
            }
        }
    }
    Some(relative)
}

/// Opens what `path` names under `root` (a directory's `index.html` for a
/// directory), with its metadata and real path; `None` when the path is
/// malformed, climbs with `..`, or really leads outside `root` (through a
/// symbolic link).
///
/// The file is opened first and judged by where the opened file really
/// is, so no link can change between the check and the use, and a request
/// costs one path walk instead of a `realpath` per request.
fn open_under(root: &Path, path: &str) -> io::Result<Option<(File, fs::Metadata, PathBuf)>> {
    let Some(mut full) = join_under(root, path) else {
        return Ok(None);
    };
    let mut file = File::open(&full)?;
    let mut meta = file.metadata()?;
    if meta.is_dir() {
        full.push("index.html");
        file = File::open(&full)?;
        meta = file.metadata()?;
    }
    let real = real_path(&file, &full)?;
    Ok(is_under(&real, root).then_some((file, meta, real)))
}

/// Whether `path` is `root` or below it, both absolute and canonical (a
/// byte comparison: `Path::starts_with` walks components, which costs more
/// than the rest of resolving a request).
fn is_under(path: &Path, root: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt as _;
    let (path, root) = (path.as_os_str().as_bytes(), root.as_os_str().as_bytes());
    match path.strip_prefix(root) {
        Some(rest) => rest.is_empty() || rest.starts_with(b"/") || root.ends_with(b"/"),
        None => false,
    }
}

/// `root` joined with the decoded segments of `path`; `None` for a path
/// that is not absolute, escapes badly, or climbs with `..`.
fn join_under(root: &Path, path: &str) -> Option<PathBuf> {
    let relative = relative_path(path)?;
    Some(root.join(relative))
}

/// Where the open `file` really is: on Linux, what its `/proc/self/fd`
/// entry points to; elsewhere, `opened_as` with its links resolved.
#[cfg(target_os = "linux")]
fn real_path(file: &File, opened_as: &Path) -> io::Result<PathBuf> {
    use std::os::fd::AsRawFd as _;
    let mut link = String::with_capacity(32);
    link.push_str("/proc/self/fd/");
    link.push_str(itoa_fd(file.as_raw_fd()).as_str());
    fs::read_link(link).or_else(|_| fs::canonicalize(opened_as))
}

/// A descriptor number in decimal, without the formatting machinery.
#[cfg(target_os = "linux")]
fn itoa_fd(fd: i32) -> String {
    let mut digits = Vec::with_capacity(10);
    let mut rest = fd.unsigned_abs();
    loop {
        // `rest % 10` is below 10: an ASCII digit.
        digits.push(b'0' + (rest % 10) as u8);
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}

/// Where the open `file` really is: `opened_as` with its links resolved.
#[cfg(not(target_os = "linux"))]
fn real_path(_file: &File, opened_as: &Path) -> io::Result<PathBuf> {
    fs::canonicalize(opened_as)
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
        .unwrap_or_default();
    // Lowercased in a small buffer: no allocation per request.
    let mut lower = [0u8; 8];
    let Some(slot) = lower.get_mut(..ext.len()) else {
        return "application/octet-stream";
    };
    slot.copy_from_slice(ext.as_bytes());
    slot.make_ascii_lowercase();
    match std::str::from_utf8(slot).unwrap_or_default() {
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
    fn under_the_root_by_whole_segments() {
        let root = Path::new("/srv/www");
        assert!(is_under(Path::new("/srv/www"), root));
        assert!(is_under(Path::new("/srv/www/a/b.html"), root));
        assert!(!is_under(Path::new("/srv/wwwx/a"), root));
        assert!(!is_under(Path::new("/srv"), root));
        assert!(is_under(Path::new("/etc/passwd"), Path::new("/")));
    }

    #[test]
    fn content_types_ignore_case() {
        assert_eq!(
            content_type(Path::new("/a/INDEX.HTML")),
            "text/html; charset=utf-8"
        );
        assert_eq!(
            content_type(Path::new("/a/x.verylongext")),
            "application/octet-stream"
        );
        assert_eq!(
            content_type(Path::new("/a/noext")),
            "application/octet-stream"
        );
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

    /// A fresh directory holding `www/a.txt` (`a_txt`) and, outside
    /// `www`, `secret`: the directory and `www`.
    fn site(name: &str, a_txt: &[u8]) -> (PathBuf, PathBuf) {
        let dir = std::env::temp_dir().join(format!("h1conn-{name}-{}", std::process::id()));
        let inner = dir.join("www");
        fs::create_dir_all(&inner).unwrap();
        fs::write(inner.join("a.txt"), a_txt).unwrap();
        fs::write(dir.join("secret"), b"secret").unwrap();
        (dir, inner)
    }

    #[test]
    fn resolution_stays_under_the_root() {
        let (dir, inner) = site("routes", b"a");
        let root = inner.canonicalize().unwrap();
        let root_dir = File::open(&root).unwrap();
        // Both ways must agree: the fast one where it answers, and the
        // portable one.
        let resolve = |root: &Path, path: &str| {
            let portable = open_under(root, path)
                .ok()
                .flatten()
                .map(|(_, _, real)| real);
            if open_beneath(&root_dir, root, path).is_some() {
                assert!(portable.is_some(), "{path}: only the fast way opens it");
            }
            portable
        };
        std::os::unix::fs::symlink(dir.join("secret"), inner.join("link")).unwrap();
        std::os::unix::fs::symlink("../secret", inner.join("up")).unwrap();
        std::os::unix::fs::symlink("a.txt", inner.join("same")).unwrap();
        assert_eq!(resolve(&root, "/up"), None);
        assert_eq!(resolve(&root, "/same"), Some(root.join("a.txt")));
        assert!(open_beneath(&root_dir, &root, "/up").is_none());
        assert!(open_beneath(&root_dir, &root, "/link").is_none());
        assert!(open_beneath(&root_dir, &root, "/a.txt").is_some());
        assert_eq!(resolve(&root, "/link"), None);
        assert_eq!(resolve(&root, "/a.txt"), Some(root.join("a.txt")));
        assert_eq!(resolve(&root, "/./a.txt"), Some(root.join("a.txt")));
        assert_eq!(resolve(&root, "/../secret"), None);
        assert_eq!(resolve(&root, "/%2e%2e/secret"), None);
        assert_eq!(resolve(&root, "/missing"), None);
        assert_eq!(resolve(&root, "a.txt"), None);
        fs::remove_dir_all(&dir).unwrap();
    }

    /// What a file reply sends, read as the handlers read it.
    fn served(routes: &Routes, path: &str) -> Option<Vec<u8>> {
        match routes.reply("GET", path, Version::Http11) {
            Reply::File { file, len, .. } => {
                let mut body = Vec::new();
                let mut piece = vec![0u8; piece_for(len)];
                send_file(&file, len, &mut piece, |bytes| {
                    body.extend_from_slice(bytes);
                    Ok(())
                })
                .ok()?;
                Some(body)
            }
            _ => None,
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn kept_files_are_used_only_while_unchanged() {
        let (dir, inner) = site("kept", b"first");
        let routes = Routes::files(&inner).unwrap();
        let kept = |routes: &Routes| routes.open_files.kept.lock().unwrap().len();

        assert_eq!(served(&routes, "/a.txt").as_deref(), Some(&b"first"[..]));
        assert_eq!(kept(&routes), 1);
        // Served again from the kept descriptor.
        assert_eq!(served(&routes, "/a.txt").as_deref(), Some(&b"first"[..]));
        let descriptor = |routes: &Routes| match routes.reply("GET", "/a.txt", Version::Http11) {
            Reply::File { file, .. } => Some(file),
            _ => None,
        };
        let (one, two) = (descriptor(&routes).unwrap(), descriptor(&routes).unwrap());
        assert!(std::sync::Arc::ptr_eq(&one, &two));

        // Written to: new size and times, read afresh.
        fs::write(inner.join("a.txt"), b"second, longer").unwrap();
        assert_eq!(
            served(&routes, "/a.txt").as_deref(),
            Some(&b"second, longer"[..])
        );
        // Replaced by another file (a new inode).
        fs::write(dir.join("new"), b"third").unwrap();
        fs::rename(dir.join("new"), inner.join("a.txt")).unwrap();
        assert_eq!(served(&routes, "/a.txt").as_deref(), Some(&b"third"[..]));
        // Replaced by a link leading out of the root: never served.
        fs::remove_file(inner.join("a.txt")).unwrap();
        std::os::unix::fs::symlink(dir.join("secret"), inner.join("a.txt")).unwrap();
        assert_eq!(served(&routes, "/a.txt"), None);
        // Gone.
        fs::remove_file(inner.join("a.txt")).unwrap();
        assert_eq!(served(&routes, "/a.txt"), None);

        // A directory's index, and the limit on what is kept.
        fs::write(inner.join("index.html"), b"index").unwrap();
        assert_eq!(served(&routes, "/").as_deref(), Some(&b"index"[..]));
        assert_eq!(served(&routes, "/").as_deref(), Some(&b"index"[..]));
        for n in 0..OPEN_FILES_KEPT + 5 {
            let name = format!("f{n}");
            fs::write(inner.join(&name), name.as_bytes()).unwrap();
            let path = format!("/{name}");
            assert_eq!(served(&routes, &path).as_deref(), Some(name.as_bytes()));
        }
        assert_eq!(kept(&routes), OPEN_FILES_KEPT);
        fs::remove_dir_all(&dir).unwrap();
    }
}
