//! The sans-IO client loop, fed one byte at a time.
//!
//! `cargo run -p h1conn --example byte_by_byte`
//!
//! No socket: a canned server answer (a `Content-Length` response with
//! `Keep-Alive: timeout=5, max=1`, then a chunked one that says
//! `Connection: close`) arrives one byte per "read", the worst split a
//! network can produce. The engine reports the same events however the
//! bytes are split; the caller keeps what it did not consume in front of
//! the next read. After each response the example prints what the engine
//! decided about the connection.

use h1conn::time::Instant;
use h1conn::wire::{Header, Version};
use h1conn::{Action, Config, Connection, Event, Role};

const SERVER: &[u8] = b"HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5, max=1\r\n\
    Content-Length: 5\r\n\r\nhello\
    HTTP/1.1 200 OK\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n\
    3\r\nbye\r\n0\r\n\r\n";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut now = Instant::from_millis(0);
    let mut conn = Connection::new(Role::Client, Config::new(), now);
    let mut wire = SERVER.iter();
    // Bytes read and not consumed yet: they stay in front of the next read.
    let mut pending: Vec<u8> = Vec::new();
    let host = [Header {
        name: b"Host",
        value: b"example.org",
    }];

    for path in ["/first", "/second"] {
        let mut head = [0u8; 256];
        let len = conn.send_request(
            now,
            b"GET",
            path.as_bytes(),
            Version::Http11,
            &host,
            &mut head,
        )?;
        print!("-> {}", String::from_utf8_lossy(&head[..len]));
        let mut body = Vec::new();
        loop {
            let step = conn.handle_input(now, &pending)?;
            let consumed = step.bytes;
            let done = match step.event {
                Event::Response(head) => {
                    println!("<- status {} after {} bytes of head", head.status, head.len);
                    false
                }
                Event::Body(data) => {
                    body.extend_from_slice(data);
                    false
                }
                Event::MessageEnd => true,
                Event::NeedData => {
                    pending.drain(..consumed);
                    // One byte per read: the worst split there is.
                    let Some(&byte) = wire.next() else {
                        return Err("the server closed before the response ended".into());
                    };
                    pending.push(byte);
                    now = now + h1conn::time::Duration::from_millis(1);
                    continue;
                }
                _ => false,
            };
            pending.drain(..consumed);
            if done {
                break;
            }
        }
        println!("<- body {:?}", String::from_utf8_lossy(&body));
        match conn.poll_action() {
            Action::Reuse => println!(
                "   engine: reuse (requests left: {:?}, may send now: {})\n",
                conn.requests_left(),
                conn.may_send_request(now)
            ),
            Action::Close(reason) => println!("   engine: close ({})\n", reason.as_str()),
            other => println!("   engine: {other:?}\n"),
        }
    }
    Ok(())
}
