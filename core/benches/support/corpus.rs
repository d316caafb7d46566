//! The corpus heads and h1conn's side of the head benchmarks, shared by
//! `benches/parse.rs` (criterion) and `benches/paired.rs` (alternating
//! blocks).

use std::hint::black_box;
use std::path::PathBuf;

use h1conn::wire::{ParseConfig, Parsed, RequestHead, ResponseHead};

/// Length of the head h1conn parses from `buf` (which must be complete).
pub(crate) fn h1conn_head(buf: &[u8], response: bool, config: &ParseConfig) -> usize {
    let len = if response {
        match ResponseHead::parse(buf, config) {
            Ok(Parsed::Complete(head)) => head.len,
            other => panic!("corpus response must parse: {other:?}"),
        }
    } else {
        match RequestHead::parse(buf, config) {
            Ok(Parsed::Complete(head)) => head.len,
            other => panic!("corpus request must parse: {other:?}"),
        }
    };
    black_box(len)
}

/// The corpus heads (`core/testdata/corpus/`), by name, smallest first.
pub(crate) fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/corpus");
    let mut heads: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("corpus directory")
        .map(|entry| entry.expect("corpus entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "http"))
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).expect("corpus file"))
        })
        .collect();
    heads.sort_by_key(|(name, buf)| (buf.len(), name.clone()));
    heads
}
