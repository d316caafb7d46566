//! The compact code paths (built for size, `crate::small`) and the fast
//! ones give the same results, errors and offsets: every input here is
//! parsed both ways in one run and the outcomes compared.

extern crate std;

use std::vec::Vec;

use quickcheck::{Arbitrary, Gen, QuickCheck};

use super::chars::{
    DIGIT, FUTURE, HEX, LIST_SPACE, OWS, REG_NAME, SCHEME, TCHAR, class_len, class_run, eq_lower,
    find_ctl, find_lf, is_token, trim_class, vchar_len,
};
use super::connection::ConnectionFlags;
use super::framing::{ContentLengthReader, TransferEncodingReader};
use super::host::check_authority;
use super::{
    HeadScanner, KeepAlive, Method, ParseConfig, RequestHead, ResponseHead, validate_fields,
};
use crate::testing::with_small;

const CORPUS: &[&[u8]] = &[
    include_bytes!("../../testdata/corpus/apache_http10_keepalive.http"),
    include_bytes!("../../testdata/corpus/browser_request.http"),
    include_bytes!("../../testdata/corpus/chrome_navigation.http"),
    include_bytes!("../../testdata/corpus/chunked_api.http"),
    include_bytes!("../../testdata/corpus/chunked_response.http"),
    include_bytes!("../../testdata/corpus/curl_get.http"),
    include_bytes!("../../testdata/corpus/curl_post_json.http"),
    include_bytes!("../../testdata/corpus/form_post.http"),
    include_bytes!("../../testdata/corpus/get_small.http"),
    include_bytes!("../../testdata/corpus/http10_keepalive.http"),
    include_bytes!("../../testdata/corpus/http10_tiny.http"),
    include_bytes!("../../testdata/corpus/keepalive_response.http"),
    include_bytes!("../../testdata/corpus/nginx_static.http"),
    include_bytes!("../../testdata/corpus/no_content_204.http"),
    include_bytes!("../../testdata/corpus/set_cookie_heavy.http"),
];

/// Pieces that reach the branches of the start lines, the field walk and
/// the readers of the facts.
const PIECES: &[&[u8]] = &[
    b"GET ",
    b"CONNECT ",
    b"OPTIONS ",
    b"/",
    b"*",
    b"http://a/b",
    b"a.org:443",
    b" HTTP/1.1",
    b" HTTP/1.0",
    b" HTTP/1.7",
    b"HTTP/1.1 ",
    b"HTTP/1.0 ",
    b"HTTP/2.0 ",
    b"200 OK",
    b"101 ",
    b"204",
    b"099 ",
    b"\r\n",
    b"\r\n",
    b"\r\n",
    b"\n",
    b"\r",
    b" ",
    b"  ",
    b"\t",
    b"\x00",
    b"\x7f",
    b"\xff",
    b":",
    b",",
    b";",
    b"\"",
    b"=",
    b"Host: ",
    b"host:",
    b"example.org",
    b"[::1]:80",
    b"[v1.x]",
    b"%4",
    b"%41",
    b"1.2.3.4",
    b"Content-Length: ",
    b"content-length:",
    b"12",
    b"18446744073709551616",
    b"Transfer-Encoding: ",
    b"chunked",
    b"gzip",
    b"Connection: ",
    b"close",
    b"keep-alive",
    b"Upgrade",
    b"Keep-Alive: ",
    b"timeout=5",
    b"max=3",
    b"Expect: 100-continue",
    b"X-Long-Name-Here: ",
    b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    b"value with spaces",
    b"[::ffff:1.2.3.4]:8080",
    b"[v7.a:b]",
    b"timeout = \"7\" ; max=2",
    b"\\",
];

/// Bytes built from [`PIECES`], or a corpus head changed in a few places.
#[derive(Clone, Debug)]
struct Input(Vec<u8>);

impl Arbitrary for Input {
    fn arbitrary(g: &mut Gen) -> Self {
        let below = |g: &mut Gen, n: usize| usize::arbitrary(g) % n.max(1);
        let mut bytes = Vec::new();
        if bool::arbitrary(g) {
            bytes.extend_from_slice(CORPUS[below(g, CORPUS.len())]);
            for _ in 0..below(g, 4) {
                let at = below(g, bytes.len() + 1);
                let piece = PIECES[below(g, PIECES.len())];
                match below(g, 3) {
                    0 => bytes.truncate(at),
                    1 => drop(bytes.splice(at..at, piece.iter().copied())),
                    _ => {
                        let end = (at + piece.len()).min(bytes.len());
                        drop(bytes.splice(at..end, piece.iter().copied()));
                    }
                }
            }
        } else {
            for _ in 0..below(g, 40) {
                bytes.extend_from_slice(PIECES[below(g, PIECES.len())]);
            }
        }
        Self(bytes)
    }
}

fn configs() -> [ParseConfig; 3] {
    let lenient = ParseConfig {
        allow_content_length_with_transfer_encoding: true,
        ..ParseConfig::lenient_responses()
    };
    [
        ParseConfig::strict(),
        lenient,
        ParseConfig::strict().with_max_head_len(64),
    ]
}

/// Everything the wire layer reads from `bytes`, as text for comparison.
fn outcomes(bytes: &[u8]) -> std::string::String {
    use core::fmt::Write;
    let mut out = std::string::String::new();
    for config in configs() {
        let request = RequestHead::parse(bytes, &config);
        let response = ResponseHead::parse(bytes, &config);
        let _ = write!(out, "{request:?} {response:?} ");
        // The same bytes in two reads, resumed by the scanner.
        let half = bytes.len() / 2;
        let mut scanner = HeadScanner::new();
        let first = scanner.parse_request(bytes.get(..half).unwrap_or_default(), &config);
        let second = scanner.parse_request(bytes, &config);
        let _ = write!(out, "{first:?} {second:?} ");
        let mut scanner = HeadScanner::new();
        let first = scanner.parse_response(bytes.get(..half).unwrap_or_default(), &config);
        let second = scanner.parse_response(bytes, &config);
        let _ = write!(out, "{first:?} {second:?} ");
        for skip in [false, true] {
            let bounds = HeadScanner::new().scan(bytes, config.max_head_len, skip);
            let _ = write!(out, "{bounds:?} ");
            if let Ok(Some(bounds)) = bounds {
                let request = RequestHead::parse_bounded(bytes, bounds, &config);
                let response = ResponseHead::parse_bounded(bytes, bounds, &config);
                let _ = write!(out, "{request:?} {response:?} ");
            }
        }
    }
    let mut flags = ConnectionFlags::new();
    let connection = flags.add_value(bytes);
    let mut length = ContentLengthReader::default();
    let length = (length.add_value(bytes), length);
    let mut coding = TransferEncodingReader::default();
    let coding = (coding.add_value(bytes), coding);
    let mut keep_alive = KeepAlive::new();
    keep_alive.add_value(bytes);
    let _ = write!(
        out,
        "{connection:?} {flags:?} {length:?} {coding:?} {keep_alive:?} {:?} ",
        validate_fields(bytes)
    );
    let _ = write!(
        out,
        "{:?} {:?} {} {} {}",
        find_ctl(bytes),
        find_lf(bytes),
        vchar_len(bytes),
        class_len(bytes, TCHAR),
        class_len(bytes, REG_NAME),
    );
    let _ = write!(out, " {:?}", Method::from_bytes(bytes));
    // Every class as the hot run (`class_len`) and the plain one (`class_run`).
    for bit in [TCHAR, REG_NAME, HEX, DIGIT, FUTURE, SCHEME, LIST_SPACE, OWS] {
        let _ = write!(
            out,
            " {} {} {:?}",
            class_len(bytes, bit),
            class_run(bytes, bit),
            trim_class(bytes, bit)
        );
    }
    let _ = write!(
        out,
        " {} {:?} {:?}",
        is_token(bytes),
        check_authority(bytes, false),
        check_authority(bytes, true)
    );
    for lower in [&b"keep-alive"[..], b"close", b"transfer-encoding", b"te"] {
        let _ = write!(out, " {}", eq_lower(bytes, lower));
    }
    out
}

fn same_both_ways(input: Input) -> bool {
    let fast = outcomes(&input.0);
    let small = with_small(|| outcomes(&input.0));
    assert_eq!(fast, small, "input \"{}\"", input.0.escape_ascii());
    true
}

#[test]
fn compact_paths_agree_with_fast_paths() {
    for head in CORPUS {
        assert!(same_both_ways(Input(head.to_vec())));
        for cut in 0..head.len() {
            assert!(same_both_ways(Input(head[..cut].to_vec())));
        }
    }
    QuickCheck::new()
        .tests(5000)
        .quickcheck(same_both_ways as fn(Input) -> bool);
}

#[test]
fn methods_agree() {
    let names = "GET HEAD POST PUT DELETE CONNECT OPTIONS TRACE PATCH get Get gET pATCH GETS GE  X";
    for name in names.split(' ') {
        for cut in 0..=name.len() {
            let name = &name.as_bytes()[..cut];
            let fast = Method::from_bytes(name);
            assert_eq!(with_small(|| Method::from_bytes(name)), fast);
        }
    }
    assert_eq!(with_small(|| Method::from_bytes(b"PATCH")), Method::Patch);
}

#[test]
fn compact_paths_can_be_switched_on() {
    assert_eq!(crate::small(), cfg!(h1conn_small));
    assert!(with_small(crate::small));
}
