//! A minimal keep-alive server: the sans-IO engine over `std::net`, one
//! connection at a time, no driver and no threads.
//!
//! ```sh
//! cargo run -p h1conn --example server_loop            # 127.0.0.1:8080
//! curl -v http://127.0.0.1:8080/a http://127.0.0.1:8080/b   # one connection
//! ```
//!
//! Each request gets `hello from <path>`. The engine writes the
//! `Connection` and `Keep-Alive` fields, tells when the connection must
//! close (client asked, HTTP/1.0 without keep-alive, `max` used up) and
//! when it has been idle too long (`poll_timeout`).

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant as StdInstant};

use h1conn::time::Instant;
use h1conn::wire::Header;
use h1conn::{Action, Config, Connection, Event, Role};

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let listener = TcpListener::bind(&addr)?;
    println!("listening on http://{}", listener.local_addr()?);
    let origin = StdInstant::now();
    let now = || Instant::from_millis(origin.elapsed().as_millis() as u64);
    for stream in listener.incoming() {
        let mut config = Config::new();
        config.max_requests = Some(10);
        let mut conn = Connection::new(Role::Server, config, now());
        if let Err(e) = serve(stream?, &mut conn, &now) {
            eprintln!("connection ended: {e}");
        }
    }
    Ok(())
}

fn serve(
    mut stream: TcpStream,
    conn: &mut Connection,
    now: &dyn Fn() -> Instant,
) -> Result<(), Box<dyn std::error::Error>> {
    let (mut input, mut filled) = ([0u8; 8192], 0);
    let mut path = String::new();
    loop {
        let step = conn.handle_input(now(), &input[..filled])?;
        let consumed = step.bytes;
        match step.event {
            Event::Request(head) => path = String::from_utf8_lossy(head.target).into_owned(),
            Event::MessageEnd => {
                let body = format!("hello from {path}\n");
                let length = body.len().to_string();
                let fields = [Header {
                    name: b"Content-Length",
                    value: length.as_bytes(),
                }];
                let mut head = [0u8; 512];
                let n = conn.send_response(now(), 200, b"OK", &fields, &mut head)?;
                stream.write_all(&head[..n])?;
                stream.write_all(body.as_bytes())?;
                conn.send_body(body.len())?;
                conn.finish_message(now())?;
            }
            Event::NeedData => {
                input.copy_within(consumed..filled, 0);
                filled -= consumed;
                if let Action::Close(reason) = conn.poll_action() {
                    println!("closing: {}", reason.as_str());
                    return Ok(());
                }
                // Wait for bytes no longer than the engine's next deadline.
                let wait = conn
                    .poll_timeout()
                    .map(|at| Duration::from_millis(at.saturating_since(now()).as_millis().max(1)));
                stream.set_read_timeout(wait)?;
                match stream.read(&mut input[filled..]) {
                    Ok(0) => {
                        conn.handle_eof(now())?;
                        return Ok(());
                    }
                    Ok(n) => filled += n,
                    Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                        conn.handle_timeout(now());
                    }
                    Err(e) => return Err(e.into()),
                }
                continue;
            }
            _ => {}
        }
        input.copy_within(consumed..filled, 0);
        filled -= consumed;
    }
}
