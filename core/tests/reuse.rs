//! The reuse question and the retry rule as properties: whatever a client
//! connection went through (responses of every framing, `Keep-Alive`
//! hints, bytes nobody asked for, clock jumps, a close), `reusable(now)`,
//! `poll_action()` and `may_send_request(now)` never disagree, a connection
//! that may not be reused never becomes reusable again, and `may_retry()`
//! only ever allows an idempotent request that got no byte of a response on
//! a connection that had served an earlier exchange.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use h1conn::time::{Duration, Instant};
use h1conn::wire::{Header, Version};
use h1conn::{Action, Config, Connection, NotReusable, RetrySafety, Role};
use quickcheck::{Arbitrary, Gen, QuickCheck};

/// One thing that happens to a client connection.
#[derive(Clone, Debug)]
enum Op {
    /// Send a request with this method.
    Send(&'static str),
    /// The server sends these bytes.
    Bytes(&'static [u8]),
    /// Time passes.
    Wait(u64),
    /// The server closes.
    Eof,
}

const METHODS: [&str; 4] = ["GET", "HEAD", "POST", "DELETE"];

const RESPONSES: [&[u8]; 10] = [
    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    b"HTTP/1.1 200 OK\r\nKeep-Alive: timeout=2, max=1\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 204 No Content\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
    b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 100 Continue\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nKeep-Alive: max=0\r\nContent-Length: 0\r\n\r\n",
    // A piece of a head, and stray bytes.
    b"HTTP/1.1 200 O",
    b"EVIL!",
];

impl Arbitrary for Op {
    fn arbitrary(g: &mut Gen) -> Self {
        match u8::arbitrary(g) % 8 {
            0 | 1 => Op::Send(g.choose(&METHODS).unwrap()),
            2..=5 => Op::Bytes(g.choose(&RESPONSES).unwrap()),
            6 => Op::Wait(*g.choose(&[0, 500, 1_000, 3_000, 10_000]).unwrap()),
            _ => Op::Eof,
        }
    }
}

/// Checks that the three answers agree; returns whether it is reusable.
fn agree(conn: &mut Connection, now: Instant) -> bool {
    let answer = conn.reusable(now);
    let action = conn.poll_action();
    match answer {
        Ok(()) => {
            assert_eq!(action, Action::Reuse);
            assert!(conn.may_send_request(now));
        }
        Err(NotReusable::Busy) => assert_eq!(action, Action::Continue),
        Err(NotReusable::Closing(reason)) => {
            assert!(
                action == Action::Close(reason) || action == Action::Switched,
                "reusable says closing ({reason}), poll_action says {action:?}"
            );
            assert!(!conn.may_send_request(now));
        }
        Err(other) => panic!("unexpected answer {other:?}"),
    }
    answer.is_ok()
}

fn run(ops: Vec<Op>) -> bool {
    let mut config = Config::new();
    config.idle_timeout = Duration::from_secs(5);
    let mut now = Instant::from_millis(0);
    let mut conn = Connection::new(Role::Client, config, now);
    let mut inbox: Vec<u8> = Vec::new();
    let mut closed = false;
    let mut head = [0u8; 512];
    let host = [Header {
        name: b"Host",
        value: b"example.test",
    }];
    for op in ops {
        match op {
            Op::Send(method) => {
                let was_reused = conn.exchanges() > 0;
                if conn
                    .send_request(
                        now,
                        method.as_bytes(),
                        b"/",
                        Version::Http11,
                        &host,
                        &mut head,
                    )
                    .is_ok()
                {
                    let _ = conn.finish_message(now);
                    // The connection fails right after the send: the
                    // retry rule must hold.
                    let mut failed = conn.clone();
                    let _ = failed.handle_eof(now);
                    if failed.may_retry() {
                        assert!(was_reused);
                        assert!(matches!(method, "GET" | "HEAD" | "DELETE"));
                        assert_eq!(failed.retry_safety(), RetrySafety::SentNoResponse);
                    }
                }
            }
            Op::Bytes(bytes) => {
                inbox.extend_from_slice(bytes);
                loop {
                    let step = conn
                        .handle_input(now, &inbox)
                        .map(|step| (step.bytes, step.event));
                    match step {
                        Ok((bytes, event)) => {
                            let need = matches!(event, h1conn::Event::NeedData);
                            let switched = matches!(event, h1conn::Event::Switched);
                            inbox.drain(..bytes);
                            if switched {
                                inbox.clear();
                            }
                            if need || switched {
                                break;
                            }
                        }
                        Err(_) => {
                            inbox.clear();
                            break;
                        }
                    }
                }
            }
            Op::Wait(ms) => now = now + Duration::from_millis(ms),
            Op::Eof => {
                let _ = conn.handle_eof(now);
            }
        }
        let reusable = agree(&mut conn, now);
        if closed {
            // Close is absorbing: nothing makes it reusable again.
            assert!(!reusable);
        }
        if let Action::Close(_) = conn.poll_action() {
            closed = true;
        }
    }
    true
}

#[test]
fn reuse_answers_agree_and_close_is_absorbing() {
    QuickCheck::new()
        .tests(2_000)
        .quickcheck(run as fn(Vec<Op>) -> bool);
}
