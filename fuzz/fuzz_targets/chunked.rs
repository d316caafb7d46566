//! Chunked bodies (`h1conn::body::BodyDecoder`) from arbitrary bytes, fed
//! whole, in pieces and byte by byte: the data, the trailers, where the
//! body ends and any error (kind and offset in the stream) must not depend
//! on the split, and must match a reference decoder written here from
//! RFC 9112 7.1 (strict: at most 16 hex digits in a size, leading zeros
//! included; `chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS ( token /
//! quoted-string ) ] )` within 256 bytes after the size; CRLF everywhere;
//! trailer field lines).
#![no_main]

use h1conn::ErrorKind;
use h1conn::body::{BodyDecoder, BodyEvent};
use h1conn::wire::BodyKind;
use h1conn_fuzz::heads::is_tchar;
use h1conn_fuzz::is_token;
use libfuzzer_sys::fuzz_target;

/// The trailer section may be at most this long: small, so that the limit
/// is reached often.
const MAX_TRAILERS: usize = 64;

/// The default chunk-size digit limit of `ParseConfig::strict()`.
const MAX_SIZE_DIGITS: usize = 16;
/// The default limit on bytes after a chunk size, in its line.
const MAX_EXTENSION: usize = 256;

/// How the rest of a chunk-size line after the digits reads.
enum Line {
    /// Valid up to the CR at this offset.
    Cr(usize),
    /// The grammar breaks at this offset.
    Error(ErrorKind, usize),
    /// The input ends first.
    Incomplete,
}

/// Reads `chunk-ext` from `at` up to the line's CR, by descent over the
/// grammar: `*( BWS ";" BWS name [ BWS "=" BWS ( token / quoted ) ] )`.
fn extension(input: &[u8], mut at: usize) -> Line {
    let ws = |b: u8| b == b' ' || b == b'\t';
    // The byte at `at` is not what the grammar wants there: a bare LF says
    // so first, except inside a quoted string.
    let bad = |input: &[u8], at: usize, kind: ErrorKind| match input.get(at) {
        None => Line::Incomplete,
        Some(b'\n') => Line::Error(ErrorKind::BareLf, at),
        Some(_) => Line::Error(kind, at),
    };
    let skip_ws = |at: &mut usize| {
        while input.get(*at).is_some_and(|&b| ws(b)) {
            *at += 1;
        }
    };
    // Before the first `;`: BWS, and then `;` is required (CR only right
    // after the digits).
    let start = at;
    skip_ws(&mut at);
    match input.get(at) {
        None => return Line::Incomplete,
        Some(b'\r') if at == start => return Line::Cr(at),
        Some(b';') => {}
        Some(_) => return bad(input, at, ErrorKind::InvalidChunkSize),
    }
    loop {
        // At a `;`.
        at += 1;
        skip_ws(&mut at);
        let name_start = at;
        while input.get(at).is_some_and(|&b| is_tchar(b)) {
            at += 1;
        }
        if at == name_start {
            return bad(input, at, ErrorKind::InvalidChunkExtension);
        }
        let after_name = at;
        skip_ws(&mut at);
        match input.get(at) {
            None => return Line::Incomplete,
            Some(b';') => continue,
            Some(b'\r') if at == after_name => return Line::Cr(at),
            Some(b'=') => {}
            Some(_) => return bad(input, at, ErrorKind::InvalidChunkExtension),
        }
        at += 1;
        skip_ws(&mut at);
        match input.get(at) {
            None => return Line::Incomplete,
            Some(b'"') => {
                at += 1;
                loop {
                    match input.get(at) {
                        None => return Line::Incomplete,
                        Some(b'"') => break,
                        Some(b'\\') => {
                            at += 1;
                            match input.get(at) {
                                None => return Line::Incomplete,
                                Some(&b) if b == b'\t' || (b >= 0x20 && b != 0x7f) => {}
                                Some(_) => {
                                    return Line::Error(ErrorKind::InvalidChunkExtension, at);
                                }
                            }
                        }
                        Some(&b) if b == b'\t' || (b >= 0x20 && b != 0x7f) => {}
                        Some(_) => return Line::Error(ErrorKind::InvalidChunkExtension, at),
                    }
                    at += 1;
                }
                at += 1;
            }
            Some(&b) if is_tchar(b) => {
                while input.get(at).is_some_and(|&b| is_tchar(b)) {
                    at += 1;
                }
            }
            Some(_) => return bad(input, at, ErrorKind::InvalidChunkExtension),
        }
        let after_value = at;
        skip_ws(&mut at);
        match input.get(at) {
            None => return Line::Incomplete,
            Some(b';') => {}
            Some(b'\r') if at == after_value => return Line::Cr(at),
            Some(_) => return bad(input, at, ErrorKind::InvalidChunkExtension),
        }
    }
}

/// What decoding a stream gave.
#[derive(Debug, PartialEq, Eq)]
struct Decoded {
    data: Vec<u8>,
    /// The raw trailer field lines (without the final empty line).
    trailers: Option<Vec<(Vec<u8>, Vec<u8>)>>,
    /// Where the body ended, if it did.
    end: Option<usize>,
    /// The error and its offset in the stream, if any.
    error: Option<(ErrorKind, usize)>,
}

/// Feeds `input` to a decoder in pieces of the given sizes (cycling;
/// everything at once if empty).
fn engine(input: &[u8], sizes: &[usize]) -> Decoded {
    let mut decoder = BodyDecoder::new(BodyKind::Chunked);
    let mut out = Decoded {
        data: Vec::new(),
        trailers: None,
        end: None,
        error: None,
    };
    let (mut buf, mut base, mut fed, mut piece) = (Vec::new(), 0, 0, 0);
    for _ in 0..4 * input.len() + 16 {
        let (consumed, event) = match decoder.decode(&buf, MAX_TRAILERS) {
            Ok(step) => step,
            Err(e) => {
                out.error = Some((e.kind, base + e.offset));
                return out;
            }
        };
        assert!(consumed <= buf.len());
        match event {
            BodyEvent::Data(d) => {
                assert!(!d.is_empty());
                out.data.extend_from_slice(d);
            }
            BodyEvent::Trailers(headers) => {
                let fields = headers
                    .map(|h| (h.name.to_vec(), h.value.to_vec()))
                    .collect();
                assert!(out.trailers.replace(fields).is_none(), "trailers twice");
            }
            BodyEvent::End => {
                assert!(decoder.is_finished());
                out.end = Some(base + consumed);
                // A finished decoder stays finished and consumes nothing.
                assert_eq!(
                    decoder.decode(b"more", MAX_TRAILERS),
                    Ok((0, BodyEvent::End))
                );
                return out;
            }
            BodyEvent::NeedData => {
                if fed == input.len() {
                    return out;
                }
                let size = if sizes.is_empty() {
                    input.len()
                } else {
                    sizes[piece % sizes.len()]
                };
                piece += 1;
                let next = (fed + size).min(input.len());
                buf.extend_from_slice(&input[fed..next]);
                fed = next;
            }
        }
        buf.drain(..consumed);
        base += consumed;
    }
    panic!("the decoder made no progress");
}

/// The reference decoder over the whole input.
fn reference(input: &[u8]) -> Decoded {
    let mut out = Decoded {
        data: Vec::new(),
        trailers: None,
        end: None,
        error: None,
    };
    let mut at = 0;
    let fail = |mut out: Decoded, kind, at| {
        out.error = Some((kind, at));
        out
    };
    loop {
        // chunk-size = 1*HEXDIG, at most 16 digits (leading zeros count).
        let mut size: u64 = 0;
        let digits_start = at;
        while let Some(&b) = input.get(at) {
            let Some(digit) = (b as char).to_digit(16) else {
                break;
            };
            if at - digits_start == MAX_SIZE_DIGITS {
                return fail(out, ErrorKind::ChunkSizeTooLong, at);
            }
            size = size * 16 + u64::from(digit);
            at += 1;
        }
        let Some(&next) = input.get(at) else {
            return out;
        };
        if at == digits_start {
            let kind = if next == b'\n' {
                ErrorKind::BareLf
            } else {
                ErrorKind::InvalidChunkSize
            };
            return fail(out, kind, at);
        }
        // [ chunk-ext ] CR, where at most MAX_EXTENSION bytes may follow
        // the digits: the first byte past that is refused, unless the
        // grammar failed before it, or it is the CR that ends the line.
        let limit_at = at + MAX_EXTENSION;
        let too_long = |input: &[u8]| input.get(limit_at).is_some_and(|&b| b != b'\r');
        at = match extension(input, at) {
            Line::Cr(cr) if cr > limit_at => return fail(out, ErrorKind::ChunkExtensionTooLong, limit_at),
            Line::Cr(cr) => cr,
            Line::Error(_, p) if p >= limit_at && too_long(input) => {
                return fail(out, ErrorKind::ChunkExtensionTooLong, limit_at);
            }
            Line::Error(kind, p) => return fail(out, kind, p),
            Line::Incomplete if too_long(input) => {
                return fail(out, ErrorKind::ChunkExtensionTooLong, limit_at);
            }
            Line::Incomplete => return out,
        };
        match input.get(at + 1) {
            None => return out,
            Some(b'\n') => at += 2,
            Some(_) => return fail(out, ErrorKind::BareCr, at + 1),
        }
        if size == 0 {
            break;
        }
        let available = (input.len() - at) as u64;
        let take = size.min(available) as usize;
        out.data.extend_from_slice(&input[at..at + take]);
        at += take;
        if (take as u64) < size {
            return out;
        }
        for expected in *b"\r\n" {
            match input.get(at) {
                None => return out,
                Some(&b) if b == expected => at += 1,
                Some(_) => return fail(out, ErrorKind::MissingChunkCrlf, at),
            }
        }
    }
    // The trailer section: field lines, then an empty line.
    let rest = &input[at..];
    if rest.starts_with(b"\r\n") {
        out.end = Some(at + 2);
        return out;
    }
    if rest.starts_with(b"\n") {
        return fail(out, ErrorKind::BareLf, at);
    }
    let window = &rest[..rest.len().min(MAX_TRAILERS)];
    let Some(end) = window
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
    else {
        if rest.len() >= MAX_TRAILERS {
            return fail(out, ErrorKind::TrailerTooLarge, at + MAX_TRAILERS);
        }
        return out;
    };
    let block = &rest[..end - 4];
    let mut fields = Vec::new();
    let lines: Vec<&[u8]> = block.split(|&b| b == b'\n').collect();
    for (i, &line) in lines.iter().enumerate() {
        // Every line but the last was cut at an LF, which must follow a CR.
        let line = if i + 1 < lines.len() {
            match line.strip_suffix(b"\r") {
                Some(line) => line,
                None => {
                    out.error = Some((ErrorKind::InvalidTrailer, usize::MAX));
                    return out;
                }
            }
        } else {
            line
        };
        let colon = line.iter().position(|&b| b == b':');
        let valid = colon.is_some_and(|c| {
            is_token(&line[..c])
                && line[c + 1..]
                    .iter()
                    .all(|&b| b == b'\t' || (b >= 0x20 && b != 0x7f))
        });
        if !valid {
            // Reported as invalid trailers or as the bad line ending.
            out.error = Some((ErrorKind::InvalidTrailer, usize::MAX));
            return out;
        }
        let c = colon.unwrap_or(0);
        let value = &line[c + 1..];
        let ows = |b: &u8| *b == b' ' || *b == b'\t';
        let lead = value.iter().take_while(|b| ows(b)).count();
        let trail = value[lead..].iter().rev().take_while(|b| ows(b)).count();
        fields.push((
            line[..c].to_vec(),
            value[lead..value.len() - trail].to_vec(),
        ));
    }
    out.trailers = Some(fields);
    out.end = Some(at + end);
    out
}

fuzz_target!(|data: &[u8]| {
    let whole = engine(data, &[]);
    let sizes: Vec<usize> = h1conn_fuzz::cut_points(data)
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|&n| n > 0)
        .collect();
    assert_eq!(
        whole,
        engine(data, &sizes),
        "pieces {sizes:?} changed the result"
    );
    if data.len() <= 512 {
        assert_eq!(
            whole,
            engine(data, &[1]),
            "byte-at-a-time changed the result"
        );
    }
    let mut expected = reference(data);
    let mut got = whole;
    // A malformed trailer line may be reported as a bad line ending or as
    // an invalid trailer, at the place the field parser finds it.
    if let (Some((kind, _)), Some((ErrorKind::InvalidTrailer, usize::MAX))) =
        (got.error, expected.error)
    {
        assert!(
            matches!(
                kind,
                ErrorKind::InvalidTrailer | ErrorKind::BareCr | ErrorKind::BareLf
            ),
            "malformed trailers reported as {kind:?}"
        );
        got.error = None;
        expected.error = None;
    }
    assert_eq!(
        got,
        expected,
        "engine and reference differ on {}",
        h1conn_fuzz::show(data)
    );
});
