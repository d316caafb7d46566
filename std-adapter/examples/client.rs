//! Fetches a URL twice with the pooled client and shows whether the second
//! request reused the connection.
//!
//! `cargo run -p h1conn-std --example client -- http://127.0.0.1:8080/bytes/64`
//! (start a server first, e.g. `cargo run -p h1conn-std -- serve`).

use h1conn_std::client::Client;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:8080/".to_owned());
    let client = Client::new();
    for _ in 0..2 {
        let mut response = client.get(&url)?;
        let status = response.status();
        let (conn, reused) = (response.connection_id(), response.reused());
        let body = response.body()?;
        let outcome = response.outcome();
        println!(
            "{status} {} bytes on connection {conn} (reused: {reused}); engine: {:?}",
            body.len(),
            outcome.map(|o| o.close_reason.map_or("reuse", |r| r.as_str())),
        );
    }
    Ok(())
}
