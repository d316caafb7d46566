//! The blocking client driver over a scripted transport. Each request the
//! client writes releases its response (a body made of one marker byte of
//! its own), followed at once by what a broken or hostile server adds: an
//! unsolicited response whose body is `#` bytes, and arbitrary junk. The
//! bytes are read in arbitrary segments. Whatever the split and the extra
//! bytes, no byte of one response is ever delivered as part of another: a
//! body that completes is exactly its own response's body, and a connection
//! the engine refuses to reuse is never used again.
#![no_main]

use arbitrary::Arbitrary;
use h1conn::io::blocking::{Client, Clock, Transport};
use h1conn::io::{DriverError, Request};
use h1conn::time::Instant;
use h1conn::wire::Header;
use h1conn::Config;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Scripted {
    /// Body length (small).
    len: u8,
    /// Chunked instead of Content-Length.
    chunked: bool,
    /// The request is a HEAD (the response head still says its length).
    head: bool,
    /// The body length of an unsolicited response sent right after this one.
    unsolicited: Option<u8>,
    /// Junk the server sends after this response.
    extra: Vec<u8>,
}

#[derive(Arbitrary, Debug)]
struct Input {
    responses: Vec<Scripted>,
    /// Segment sizes the transport hands out (cycled; 0 counts as 1).
    cuts: Vec<u8>,
}

/// The server: each request head written releases the next scripted
/// bytes; what is released is read in segments.
struct Wire {
    bytes: Vec<u8>,
    at: usize,
    cuts: Vec<u8>,
    cut: usize,
    /// What each next request releases, in order.
    script: std::collections::VecDeque<Vec<u8>>,
}

impl embedded_io::ErrorType for Wire {
    type Error = embedded_io::ErrorKind;
}

impl embedded_io::Read for Wire {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let size = self.cuts.get(self.cut % self.cuts.len().max(1)).copied().unwrap_or(64);
        self.cut += 1;
        let rest = &self.bytes[self.at..];
        let n = rest.len().min(buf.len()).min(usize::from(size.max(1)));
        buf[..n].copy_from_slice(&rest[..n]);
        self.at += n;
        Ok(n)
    }
}

impl embedded_io::Write for Wire {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        // The driver writes each request head in one call.
        if buf.starts_with(b"GET ") || buf.starts_with(b"HEAD ") {
            if let Some(answer) = self.script.pop_front() {
                self.bytes.extend_from_slice(&answer);
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

impl Transport for Wire {
    fn read_ready(&mut self) -> Result<bool, Self::Error> {
        Ok(self.at < self.bytes.len())
    }
}

/// Time stands still: no deadline passes.
struct Still;

impl Clock for Still {
    fn now(&self) -> Instant {
        Instant::from_millis(0)
    }
}

/// The marker byte of response `i`: never a byte of another response's body.
fn marker(i: usize) -> u8 {
    b'A' + (i % 26) as u8
}

fn response(i: usize, scripted: &Scripted) -> Vec<u8> {
    let len = usize::from(scripted.len % 40);
    let body = vec![marker(i); len];
    let mut out = Vec::new();
    if scripted.chunked {
        out.extend_from_slice(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        if !scripted.head {
            if len > 0 {
                out.extend_from_slice(format!("{len:x}\r\n").as_bytes());
                out.extend_from_slice(&body);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"0\r\n\r\n");
        }
    } else {
        out.extend_from_slice(format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\n\r\n").as_bytes());
        if !scripted.head {
            out.extend_from_slice(&body);
        }
    }
    out
}

fuzz_target!(|input: Input| {
    let responses = &input.responses[..input.responses.len().min(6)];
    let mut script = std::collections::VecDeque::new();
    for (i, scripted) in responses.iter().enumerate() {
        let mut bytes = response(i, scripted);
        if let Some(len) = scripted.unsolicited {
            let len = usize::from(len % 40);
            bytes.extend_from_slice(format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\n\r\n").as_bytes());
            bytes.extend(std::iter::repeat_n(b'#', len));
        }
        // Junk never holds a marker, so a marker of the wrong response can
        // only come from a real response.
        bytes.extend(scripted.extra.iter().take(64).map(|b| if b.is_ascii_uppercase() { b'#' } else { *b }));
        script.push_back(bytes);
    }
    let wire = Wire { bytes: Vec::new(), at: 0, cuts: input.cuts.clone(), cut: 0, script };
    let mut client = Client::new(wire, Still, Config::new(), vec![0u8; 1024], vec![0u8; 1024]);
    let host = [Header { name: b"Host", value: b"fuzz" }];
    for (i, scripted) in responses.iter().enumerate() {
        if i > 0 && client.reusable().is_err() {
            return;
        }
        let method: &[u8] = if scripted.head { b"HEAD" } else { b"GET" };
        let request = Request::new(method, b"/", &host);
        if client.send_request(&request).is_err() {
            return;
        }
        match client.read_response() {
            Ok(head) => assert_eq!(head.status, 200),
            Err(DriverError::Protocol(_) | DriverError::Closed) => return,
            Err(other) => panic!("unexpected driver error {other:?}"),
        }
        let mut body = Vec::new();
        loop {
            match client.read_body() {
                Ok(Some(data)) => body.extend_from_slice(data),
                Ok(None) => break,
                Err(_) => return,
            }
        }
        let expected = if scripted.head { 0 } else { usize::from(scripted.len % 40) };
        assert_eq!(body.len(), expected, "response {i}: body of the wrong length");
        assert!(body.iter().all(|&b| b == marker(i)), "response {i}: foreign bytes {body:?}");
    }
});
