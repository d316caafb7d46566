//! The persistence decision against a reference model. A request and a
//! response are generated with random casing, list forms, duplicates,
//! whitespace and order of their `Connection`, `Keep-Alive` and framing
//! fields; `h1conn_fuzz::model` says what they mean by the rules of
//! design.md ("Persistence", "Message length"). The engine must agree:
//! parsing each head (facts, body framing, or the exact error kind), the
//! pure `exchange_persistence`, a server `Connection` reading the request,
//! and a client `Connection` sending it and reading the response.
#![no_main]

use arbitrary::Arbitrary;
use h1conn::policy::{CloseReason, MessageSummary, Persistence, exchange_persistence};
use h1conn::time::Instant;
use h1conn::wire::{BodyKind, HeadFacts, Header, ParseConfig, Parsed, RequestHead, ResponseHead};
use h1conn::{Action, Config, Connection, Event, Role, UsageError};
use h1conn_fuzz::r#gen::{GenField, GenRequest, GenResponse};
use h1conn_fuzz::model::{self, Facts};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    request: GenRequest,
    response: GenResponse,
    /// Accept `Content-Length` with `Transfer-Encoding` when reading.
    lenient: bool,
}

/// The engine's facts say what the model's do.
fn assert_facts(got: &HeadFacts, want: &Facts) {
    let flags = &got.connection;
    assert_eq!(
        (flags.close, flags.keep_alive, flags.upgrade),
        (want.close, want.keep_alive, want.upgrade_option),
        "Connection options"
    );
    assert_eq!(got.keep_alive, want.params, "Keep-Alive parameters");
    assert_eq!(got.content_length, want.content_length, "Content-Length");
    assert_eq!(
        got.transfer_encoding, want.transfer_encoding,
        "Transfer-Encoding"
    );
    assert_eq!(
        got.content_length_with_transfer_encoding,
        want.framing_conflict
    );
    assert_eq!(got.expect_continue, want.expect_continue, "Expect");
    assert_eq!(got.upgrade, want.upgrade_field, "Upgrade");
    assert_eq!(got.field_count, want.field_count, "field count");
}

/// The engine's decision is the model's: persistent exactly when the
/// model finds no reason to close, and closing for one of its reasons.
fn assert_decision(got: Persistence, reasons: &[CloseReason], what: &str) {
    match got {
        Persistence::KeepAlive => {
            assert!(reasons.is_empty(), "{what}: kept alive despite {reasons:?}")
        }
        Persistence::Close(reason) => assert!(
            reasons.contains(&reason),
            "{what}: closed for {reason:?}, the model says {reasons:?}"
        ),
    }
}

fuzz_target!(|input: Input| {
    let Input {
        request,
        response,
        lenient,
    } = input;
    let mut parse = ParseConfig::strict();
    parse.allow_content_length_with_transfer_encoding = lenient;
    let method = request.method.kind();
    let status = response.status();

    // The request head alone.
    let request_bytes = request.bytes();
    let want_request = model::request(&request, lenient);
    let parsed_request = RequestHead::parse(&request_bytes, &parse);
    match (&parsed_request, &want_request) {
        (Ok(Parsed::Complete(head)), Ok(want)) => {
            assert_facts(&head.facts, want);
            assert_eq!(head.version, want.version);
            assert_eq!(head.body, model::request_body(want), "request body");
        }
        (Err(e), Err(kind)) => assert_eq!(e.kind, *kind, "request error"),
        (got, want) => panic!("request: got {got:?}, the model says {want:?}"),
    }

    // The response head alone.
    let response_bytes = response.bytes();
    let want_response = model::response(&response, lenient);
    let parsed_response = ResponseHead::parse(&response_bytes, &parse);
    match (&parsed_response, &want_response) {
        (Ok(Parsed::Complete(head)), Ok(want)) => {
            assert_facts(&head.facts, want);
            assert_eq!(
                head.body_kind(method),
                model::response_body(method, status, want)
            );
        }
        (Err(e), Err(kind)) => assert_eq!(e.kind, *kind, "response error"),
        (got, want) => panic!("response: got {got:?}, the model says {want:?}"),
    }

    // The pure decision, for a final response.
    let interim = (100..200).contains(&status) && status != 101;
    if !interim
        && let (Ok(Parsed::Complete(rq)), Ok(Parsed::Complete(rs)), Ok(want_rq), Ok(want_rs)) = (
            &parsed_request,
            &parsed_response,
            &want_request,
            &want_response,
        )
    {
        let body = model::response_body(method, status, want_rs);
        let decision = exchange_persistence(
            MessageSummary::of(rq.version, &rq.facts),
            MessageSummary::of(rs.version, &rs.facts),
            rs.body_kind(method),
        );
        let reasons = model::exchange_reasons(want_rq, want_rs, body);
        assert_decision(decision, &reasons, "exchange");
    }

    let now = Instant::from_millis(0);
    let mut config = Config::new();
    config.parse = parse;

    // A server reading the request.
    let mut server = Connection::new(Role::Server, config, now);
    match (server.handle_input(now, &request_bytes), &want_request) {
        (Ok(step), Ok(want)) => {
            let Event::Request(head) = step.event else {
                panic!("server: expected a request head, got {:?}", step.event)
            };
            assert_eq!(step.bytes, request_bytes.len());
            assert_facts(&head.facts, want);
            assert_decision(
                server.persistence(),
                &model::request_reasons(want),
                "server",
            );
            assert_eq!(server.requests_left(), Some(99));
        }
        (Err(e), Err(kind)) => {
            assert_eq!(e.kind, *kind, "server error");
            assert!(matches!(
                server.poll_action(),
                Action::Close(CloseReason::ProtocolError)
            ));
        }
        (got, want) => panic!("server: got {got:?}, the model says {want:?}"),
    }

    // A client sending the request (the engine adds `Connection:
    // keep-alive` to an HTTP/1.0 request without a `Connection` field)
    // and reading the response.
    let fields = request.all_fields();
    let names: Vec<Vec<u8>> = fields
        .iter()
        .map(|f| f.name_casing.apply(f.name()))
        .collect();
    let values: Vec<Vec<u8>> = fields.iter().map(|f| f.value()).collect();
    let headers: Vec<Header<'_>> = names
        .iter()
        .zip(&values)
        .map(|(name, value)| Header { name, value })
        .collect();
    let mut client = Connection::new(Role::Client, config, now);
    let mut buf = vec![0u8; 4096];
    let sent = client.send_request(
        now,
        request.method.text().as_bytes(),
        request.method.target().as_bytes(),
        request.version.version(),
        &headers,
        &mut buf,
    );
    // The client's own head is always read strictly.
    let want_sent = model::request(&request, false).map(|mut facts| {
        let has_connection = fields
            .iter()
            .any(|f| matches!(f.kind, GenField::Connection(..)));
        if facts.version == h1conn::wire::Version::Http10 && !has_connection {
            facts.keep_alive = true;
        }
        facts
    });
    let want_sent = match (sent, want_sent) {
        (Ok(_), Ok(want)) => want,
        (Err(UsageError::InvalidHead(kind)), Err(want)) => {
            assert_eq!(kind, want, "client refused the request");
            return;
        }
        (got, want) => panic!("client: sending gave {got:?}, the model says {want:?}"),
    };
    let body = model::request_body(&want_sent);
    let held = body != BodyKind::None && want_sent.expect_continue;
    if !held {
        match body {
            BodyKind::Length(n) => client.send_body(n as usize).expect("the whole body fits"),
            BodyKind::Chunked => client.send_body(5).expect("a chunked body has no limit"),
            _ => {}
        }
        client.finish_message(now).expect("the body was sent");
    }
    // A 101 answers only a request that asked to switch (Upgrade, listed
    // in Connection); otherwise it is the peer's error.
    let asked_to_switch = want_sent.upgrade_field && want_sent.upgrade_option;
    let want_response = match want_response {
        Ok(_) if status == 101 && !asked_to_switch => Err(h1conn::ErrorKind::UnrequestedSwitch),
        other => other,
    };
    let before = client.persistence();
    assert_decision(
        before,
        &model::request_reasons(&want_sent),
        "client request",
    );
    match (client.handle_input(now, &response_bytes), &want_response) {
        (Ok(step), Ok(want)) => {
            let Event::Response(head) = step.event else {
                panic!("client: expected a response head, got {:?}", step.event)
            };
            assert_facts(&head.facts, want);
            if interim {
                assert_eq!(client.persistence(), before, "an interim response decided");
                return;
            }
            let kind = model::response_body(method, status, want);
            let mut reasons = model::exchange_reasons(&want_sent, want, kind);
            // A switch takes the connection as it is; an early final
            // response stops the held body.
            if held && kind != BodyKind::Tunnel {
                reasons.push(CloseReason::RequestIncomplete);
            }
            let max = want.params.and_then(|p| p.max);
            if max == Some(0) {
                reasons.push(CloseReason::MaxReached);
            }
            assert_decision(client.persistence(), &reasons, "client exchange");
            if let Some(max) = max {
                // A client keeps the server's max in 16 bits: a larger one
                // counts down from 65535 (the connection only ends sooner).
                let kept = max.min(u16::MAX.into());
                assert_eq!(client.requests_left(), Some(kept), "budget after max={max}");
            }
            if kind == BodyKind::Tunnel {
                assert_eq!(client.poll_action(), Action::Switched);
            }
        }
        (Err(e), Err(kind)) => assert_eq!(e.kind, *kind, "client error"),
        (got, want) => panic!("client: got {got:?}, the model says {want:?}"),
    }
});
