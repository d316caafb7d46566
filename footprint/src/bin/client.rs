//! The whole client engine: a `Connection` in the client role writes a
//! request head (`send_request`), reads the response head, decides
//! persistence (`Connection`, `Keep-Alive` timeout and max), decodes the
//! body (length, chunked with trailers, or until close), and answers
//! `poll_action`, `poll_timeout`, `may_send_request`, `handle_eof`,
//! `handle_timeout` and `retry_safety`. Input goes through
//! `handle_input_into`, as firmware reads it: the event is written in
//! place and matched by reference, so no large value is moved (and no
//! `memcpy` linked).
#![no_std]
#![no_main]

use h1conn::time::Instant;
use h1conn::wire::{Header, Version};
use h1conn::{Action, Config, Connection, Event};
use h1conn_footprint as fp;

#[unsafe(no_mangle)]
fn image_main() {
    let now = Instant::from_millis(0);
    // The role in the type: the server's code (the request parser) drops out.
    let mut conn = Connection::new_client(Config::new(), now);
    let out = fp::outbox();
    let host = Header {
        name: b"Host",
        value: b"example.org",
    };
    let sent = conn.send_request(now, b"GET", b"/index.html", Version::Http11, &[host], out);
    fp::keep(&sent);
    fp::keep(&out);
    let input = fp::response();
    let mut at = 0;
    let mut body = 0usize;
    let mut event = Event::NeedData;
    while let Some(rest) = input.get(at..) {
        match conn.handle_input_into(now, rest, &mut event) {
            Ok(bytes) => {
                at += bytes;
                match &event {
                    Event::Body(data) => body += data.len(),
                    Event::NeedData => {
                        fp::keep(&conn.handle_eof(now));
                        break;
                    }
                    Event::MessageEnd => break,
                    event => fp::keep(event),
                }
            }
            Err(error) => {
                fp::keep(&error);
                fp::keep(&conn.retry_safety());
                break;
            }
        }
    }
    fp::keep(&body);
    let action = conn.poll_action();
    // The sample response has a 12-byte chunked body and keeps the connection.
    fp::check(body == 12 && action == Action::Reuse);
    fp::keep(&action);
    fp::keep(&conn.poll_timeout());
    conn.handle_timeout(Instant::from_millis(10_000));
    fp::keep(&conn.may_send_request(Instant::from_millis(10_000)));
}
