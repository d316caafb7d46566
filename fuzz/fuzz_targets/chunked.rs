//! Chunked bodies (`h1conn::body::BodyDecoder`) from arbitrary bytes, fed
//! whole, in pieces and byte by byte: the data, the trailers, where the
//! body ends and any error (kind and offset in the stream) must not depend
//! on the split, and must match a reference decoder written here from
//! RFC 9112 7.1 (strict: hex size, optional `BWS ;` extension without
//! control bytes, CRLF everywhere, trailer field lines).
#![no_main]

use h1conn::ErrorKind;
use h1conn::body::{BodyDecoder, BodyEvent};
use h1conn::wire::BodyKind;
use h1conn_fuzz::is_token;
use libfuzzer_sys::fuzz_target;

/// The trailer section may be at most this long: small, so that the limit
/// is reached often.
const MAX_TRAILERS: usize = 64;

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
        // chunk-size = 1*HEXDIG, at most 64 bits.
        let mut size: u64 = 0;
        let digits_start = at;
        while let Some(&b) = input.get(at) {
            let Some(digit) = (b as char).to_digit(16) else {
                break;
            };
            size = match size.checked_mul(16) {
                Some(n) => n + u64::from(digit),
                None => return fail(out, ErrorKind::InvalidChunkSize, at),
            };
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
        // [ BWS ";" extension ] CRLF; the extension holds no control bytes.
        while matches!(input.get(at), Some(b' ' | b'\t')) {
            at += 1;
        }
        let mut in_extension = false;
        loop {
            let Some(&b) = input.get(at) else { return out };
            match b {
                b'\r' => break,
                b'\n' => return fail(out, ErrorKind::BareLf, at),
                b';' if !in_extension => in_extension = true,
                _ if !in_extension => return fail(out, ErrorKind::InvalidChunkSize, at),
                b'\t' => {}
                _ if b < 0x20 || b == 0x7f => return fail(out, ErrorKind::InvalidChunkSize, at),
                _ => {}
            }
            at += 1;
        }
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
            return fail(out, ErrorKind::HeadTooLarge, at + MAX_TRAILERS);
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
