//! A blocking keep-alive client on the core's driver, with the std glue
//! from `h1conn_std::net`: no pool, no retry, just the loop.
//!
//! `cargo run -p h1conn-std --example keep_alive_client`
//!
//! It starts a small server in the same process (3 requests per
//! connection), then sends 7 GETs. Before each one it asks the engine
//! whether the open connection may carry another request *now*; when it
//! may not, it connects again. Expect connections 1, 1, 1, 2, 2, 2, 3.

use std::net::TcpStream;
use std::time::Duration;

use h1conn::Config;
use h1conn::io::Request;
use h1conn::io::blocking::Client;
use h1conn::wire::Header;
use h1conn_std::net::{SystemClock, TcpTransport};
use h1conn_std::server::{Server, ServerConfig};

type Driver = Client<TcpTransport, SystemClock, Vec<u8>>;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = ServerConfig {
        max_requests: 3,
        ..ServerConfig::default()
    };
    let server = Server::bind(
        "127.0.0.1:0",
        config,
        |request: &mut h1conn_std::server::Request<'_>| request.respond(200, &[], b"hi"),
    )?
    .spawn()?;
    let addr = server.local_addr();
    let host = addr.to_string();
    let headers = [Header {
        name: b"Host",
        value: host.as_bytes(),
    }];

    let clock = SystemClock::new();
    let connect = || -> std::io::Result<Driver> {
        let stream = TcpStream::connect(addr)?;
        // The transport turns the engine's deadlines into read timeouts on
        // the socket, and gives up after 10 s of silence.
        let transport =
            TcpTransport::new(stream)?.with_silence_limit(Some(Duration::from_secs(10)));
        Ok(Client::new(
            transport,
            clock,
            Config::new(),
            vec![0; 8192],
            vec![0; 1024],
        ))
    };

    let (mut driver, mut conn) = (connect()?, 1);
    for i in 1..=7 {
        // The one reuse question: the engine answers after it has seen
        // every byte the driver holds and what the socket has waiting.
        if driver.reusable().is_err() {
            driver = connect()?;
            conn += 1;
        }
        driver.send_request(&Request::get(b"/", &headers))?;
        let status = driver.read_response()?.status;
        let mut body = Vec::new();
        while let Some(data) = driver.read_body()? {
            body.extend_from_slice(data);
        }
        let decision = match driver.connection().poll_action() {
            h1conn::Action::Close(reason) => format!("close: {}", reason.as_str()),
            other => format!("{other:?}"),
        };
        println!(
            "request {i}: connection {conn}, status {status}, body {:?}, engine: {decision}",
            String::from_utf8_lossy(&body)
        );
    }
    server.shutdown();
    Ok(())
}
