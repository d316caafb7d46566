//! A client connection driven by an arbitrary sequence of operations
//! (response bytes in any split, EOF, clock advances, requests, body,
//! finish, close), checking the invariants of `drive::Watch` after each;
//! then a stream of responses to requests sent automatically, fed whole,
//! in arbitrary pieces and byte by byte, which must give the same events
//! and the same final decision.
#![no_main]

use arbitrary::Arbitrary;
use h1conn::Role;
use h1conn_fuzz::drive::{
    Auto, GenCommand, GenConfig, Harness, Op, Part, assert_split_invariant, response_bytes,
    run_ops, stream,
};
use h1conn_fuzz::r#gen::GenResponse;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    config: GenConfig,
    ops: Vec<Op<GenResponse, GenCommand>>,
    parts: Vec<Part<GenResponse>>,
    commands: Vec<GenCommand>,
    cuts: Vec<u8>,
    eof: bool,
}

fuzz_target!(|input: Input| {
    let config = input.config.config();
    let mut harness = Harness::new(Role::Client, config, Auto::Off, false);
    run_ops(
        &mut harness,
        &input.ops,
        response_bytes,
        |h, command, complete| h.request(command, complete),
    );

    let parts = &input.parts[..input.parts.len().min(8)];
    let bytes = stream(parts, response_bytes);
    let commands = input.commands.iter().take(8).copied().collect();
    let auto = Auto::Commands(commands);
    assert_split_invariant(Role::Client, config, &auto, &bytes, &input.cuts, input.eof);
});
