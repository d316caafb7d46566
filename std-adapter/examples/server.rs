//! A keep-alive server with a custom handler, using the `h1conn_std`
//! server library.
//!
//! ```sh
//! cargo run -p h1conn-std --example server            # 127.0.0.1:8080
//! cargo run -p h1conn-std --example server 0.0.0.0:3000
//! curl -v http://127.0.0.1:8080/hello http://127.0.0.1:8080/count
//! curl -d 'some text' http://127.0.0.1:8080/upper
//! ```
//!
//! Routes: `/hello` (a greeting naming the connection and request number),
//! `/count` (a streamed, chunked count), `/upper` (the request body in
//! upper case, up to 1 MiB); anything else is 404.

use std::io::{self, Write as _};
use std::time::Duration;

use h1conn_std::server::{Request, Server, ServerConfig};

fn handle(request: &mut Request<'_>) -> io::Result<()> {
    let text = [("Content-Type", "text/plain; charset=utf-8")];
    match request.path() {
        "/hello" => {
            let greeting = format!(
                "hello {}: request {} on connection {}\n",
                request.peer_addr(),
                request.request_number(),
                request.connection_id()
            );
            request.respond(200, &text, greeting.as_bytes())
        }
        "/count" => {
            // No length given: chunked for HTTP/1.1 clients.
            let mut body = request.start_response(200, &text, None)?;
            for i in 1..=5 {
                writeln!(body, "{i}")?;
            }
            body.finish()
        }
        "/upper" => match request.read_body(1024 * 1024)? {
            Some(body) => request.respond(200, &text, &body.to_ascii_uppercase()),
            None => request.respond(413, &text, b"body too large\n"),
        },
        _ => request.respond(404, &text, b"not found\n"),
    }
}

fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let config = ServerConfig {
        keep_alive_timeout: Duration::from_secs(10),
        max_requests: 50,
        ..ServerConfig::default()
    };
    let server = Server::bind(addr.as_str(), config, handle)?.with_access_log(|record| {
        eprintln!(
            "conn {} req {} {} {} -> {} ({})",
            record.conn,
            record.request,
            record.method.unwrap_or("-"),
            record.target.unwrap_or("-"),
            record.status,
            if record.persist { "kept" } else { "closing" },
        );
    });
    println!("listening on http://{}", server.local_addr());
    server.run()
}
