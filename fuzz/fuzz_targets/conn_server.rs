//! A server connection driven by an arbitrary sequence of operations
//! (request bytes in any split, EOF, clock advances, responses, body,
//! finish, close), checking the invariants of `drive::Watch` after each;
//! then a stream of requests answered automatically, fed whole, in
//! arbitrary pieces and byte by byte, which must give the same events and
//! the same final decision.
#![no_main]

use arbitrary::Arbitrary;
use h1conn::Role;
use h1conn_fuzz::drive::{
    Auto, GenConfig, GenReply, Harness, Op, Part, assert_split_invariant, request_bytes, run_ops,
    stream,
};
use h1conn_fuzz::r#gen::GenRequest;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    config: GenConfig,
    ops: Vec<Op<GenRequest, GenReply>>,
    parts: Vec<Part<GenRequest>>,
    replies: Vec<GenReply>,
    cuts: Vec<u8>,
    eof: bool,
}

fuzz_target!(|input: Input| {
    let config = input.config.config();
    let mut harness = Harness::new(Role::Server, config, Auto::Off, false);
    run_ops(
        &mut harness,
        &input.ops,
        request_bytes,
        |h, reply, complete| h.reply(reply, complete),
    );

    let parts = &input.parts[..input.parts.len().min(8)];
    let bytes = stream(parts, request_bytes);
    let replies = input.replies.iter().take(8).copied().collect();
    let auto = Auto::Replies(replies);
    assert_split_invariant(Role::Server, config, &auto, &bytes, &input.cuts, input.eof);
});
