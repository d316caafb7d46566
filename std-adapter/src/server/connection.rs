//! One connection's life: read a request head, run the handler, make sure
//! exactly one complete response went out and the body is out of the way
//! (read and discarded up to a limit), and go on while the engine keeps
//! the connection.

use std::net::{SocketAddr, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

use h1conn::io::DriverError;
use h1conn::io::blocking;
use h1conn::wire::Header;

use super::request::{Completion, Head, Outcome, PLAIN_TEXT, Request};
use super::socket::ConnIo;
use super::{Driver, Handler, Shared};
use crate::net::SystemClock;

/// Bytes of input buffer beyond the longest head: room for body bytes to
/// stream through while the head stays readable.
const INPUT_SLACK: usize = 16 * 1024;
/// Buffer for response heads and chunk-size lines.
const SCRATCH_LEN: usize = 16 * 1024;

/// Runs the handler on `request`, then makes sure exactly one complete
/// response went out and the body is out of the way.
fn exchange(handler: &dyn Handler, request: &mut Request<'_>) -> Outcome {
    let result = panic::catch_unwind(AssertUnwindSafe(|| handler.handle(request)));
    let handler_ok = matches!(result, Ok(Ok(())));
    let mut outcome = match Completion::after(request.phase, &request.body, handler_ok) {
        Completion::Dead => Outcome {
            status: None,
            abort: true,
        },
        Completion::AnswerError(error) => {
            request.wire.transport_mut().start_response();
            Outcome::of(request.wire.send_error(&error), error.status_hint(), None)
        }
        Completion::Answer500(message) => {
            Outcome::of(request.respond(500, &PLAIN_TEXT, message), 500, None)
        }
        Completion::Finish(status) => Outcome::of(request.wire.finish(), status, Some(status)),
        Completion::Ended { status, abort } => Outcome {
            status: Some(status),
            abort,
        },
    };
    let persists = request.wire.connection().persistence().is_keep_alive();
    if !outcome.abort && persists && !request.body.done {
        // Skip the rest of the body now, so that a body error is not
        // mistaken for a bad next request (and answered twice).
        outcome.abort = !request.discard_body();
    }
    outcome
}

/// Serves one connection until the engine, the peer or the handler ends it.
pub(super) fn serve_connection(shared: &Shared, stream: Arc<TcpStream>, peer: SocketAddr, id: u64) {
    let config = &shared.config;
    let Ok(transport) = ConnIo::new(stream, config.silence_limit(), config.write_timeout) else {
        return;
    };
    let clock = SystemClock::new();
    let engine = config.engine();
    let input = vec![0u8; engine.parse.max_head_len + INPUT_SLACK];
    let scratch = vec![0u8; SCRATCH_LEN];
    let mut driver: Driver = blocking::Server::new(transport, clock, engine, input, scratch);
    let mut number = 0u32;
    loop {
        driver.transport_mut().end_response();
        let head = match driver.read_request() {
            Ok(Some(head)) if head.facts.other_codings => {
                // RFC 9112 6.1: a transfer coding we cannot decode gets 501;
                // the body cannot be skipped reliably, so the connection closes.
                let head = Head::of(&head);
                let close = [Header {
                    name: b"Connection",
                    value: b"close",
                }];
                driver.transport_mut().start_response();
                let sent = driver.send_response(501, b"Not Implemented", &close, b"");
                number = number.saturating_add(1);
                if sent.is_ok() {
                    log_exchange(
                        shared,
                        &driver,
                        id,
                        number,
                        peer,
                        Some(&head),
                        Some(501),
                        true,
                    );
                }
                break;
            }
            Ok(Some(head)) => Head::of(&head),
            Ok(None) => break,
            Err(DriverError::Protocol(error)) => {
                // A malformed head (or one too slow): answer it if the
                // engine still allows, then close.
                driver.transport_mut().start_response();
                if driver.send_error(&error).is_ok() {
                    number = number.saturating_add(1);
                    log_exchange(
                        shared,
                        &driver,
                        id,
                        number,
                        peer,
                        None,
                        Some(error.status_hint()),
                        true,
                    );
                }
                break;
            }
            Err(_) => break,
        };
        number = number.saturating_add(1);
        let mut request = Request::new(
            &mut driver,
            head,
            peer,
            (id, number),
            config.max_discard_body,
        );
        let outcome = exchange(shared.handler.as_ref(), &mut request);
        let Request { head, .. } = request;
        log_exchange(
            shared,
            &driver,
            id,
            number,
            peer,
            Some(&head),
            outcome.status,
            outcome.abort,
        );
        if outcome.abort || !driver.connection().persistence().is_keep_alive() {
            break;
        }
    }
    driver.into_transport().close(config.close_linger);
}

#[allow(clippy::too_many_arguments)]
fn log_exchange(
    shared: &Shared,
    driver: &Driver,
    conn: u64,
    number: u32,
    peer: SocketAddr,
    head: Option<&Head>,
    status: Option<u16>,
    abort: bool,
) {
    if let (Some(log), Some(status)) = (&shared.log, status) {
        let exchange = super::Exchange {
            conn,
            number,
            peer,
            head,
            status,
            abort,
        };
        log(&exchange.record(driver.connection()));
    }
}
