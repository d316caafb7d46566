//! # h1conn-embassy: h1conn on embassy-net
//!
//! A firmware-style HTTP/1.1 client driven by the h1conn engine through its
//! async driver ([`h1conn::io::asynch::Client`]): `no_std`, no heap, fixed
//! buffers. A [`Session`] keeps one connection open across requests for as
//! long as the engine allows (persistence, the server's `Keep-Alive: max`
//! and `timeout`), reconnects when the engine says close, and sends an
//! idempotent request once more when a reused connection turns out dead
//! (the engine's rule: [`h1conn::Connection::may_retry`]).
//!
//! - [`EmbassyClock`]: the engine's clock on `embassy_time`; the driver
//!   races each read against the engine's next deadline with it.
//! - [`Connect`] and [`TcpTransport`]: one embassy-net `TcpSocket`, opened
//!   again for each new connection (smoltcp sockets can be reused after
//!   they close, so no new buffers are needed).
//! - [`Session`]: the request loop with its reuse, close and retry rules.
//!
//! The same code runs in firmware (the NUCLEO-F767ZI build in the
//! repository's `embassy-demo/firmware`), on a Linux host over a TAP device
//! (the `h1conn-embassy-host` binary of `embassy-demo`), and in that
//! package's tests over two in-process embassy-net stacks.
//!
//! ## Features
//!
//! No feature is on by default; without one the crate logs nothing.
//!
//! - `defmt`: log through `defmt` and derive `defmt::Format` for the public
//!   types (firmware). Takes precedence over `log`.
//! - `log`: log through the `log` facade (a host).
//!
//! The crate needs an `embassy-time` time driver in the final binary (a
//! HAL's `time-driver-*` feature on a board, `embassy-time/std` on a host),
//! like every embassy-time user.
//!
//! ## Use
//!
//! ```no_run
//! use embassy_net::tcp::TcpSocket;
//! use embassy_net::{Ipv4Address, Stack};
//! use h1conn::Config;
//! use h1conn::io::Request;
//! use h1conn::wire::Header;
//! use h1conn_embassy::{EmbassyClock, Session, TcpTransport, host_value};
//!
//! async fn poll_server(stack: Stack<'_>) {
//!     let (mut rx, mut tx) = ([0u8; 2048], [0u8; 1024]);
//!     let (mut input, mut scratch) = ([0u8; 1024], [0u8; 512]);
//!     let server = (Ipv4Address::new(192, 0, 2, 1), 8080);
//!     let transport = TcpTransport::new(TcpSocket::new(stack, &mut rx, &mut tx), server);
//!     let host = host_value(transport.remote());
//!     let headers = [Header { name: b"Host", value: host.as_bytes() }];
//!     let mut session =
//!         Session::new(transport, EmbassyClock, Config::new(), &mut input[..], &mut scratch[..]);
//!     let mut body = [0u8; 256];
//!     for _ in 0..10 {
//!         match session.request(&Request::get(b"/status", &headers), &mut body).await {
//!             Ok(outcome) => { /* outcome.status, &body[..outcome.stored], outcome.reused */ }
//!             Err(_) => break,
//!         }
//!     }
//!     session.close().await;
//! }
//! ```
#![cfg_attr(not(test), no_std)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod clock;
mod fmt;
mod session;
mod transport;

pub use clock::EmbassyClock;
pub use session::{Outcome, Session, SessionError};
pub use transport::{CLOSE_TIMEOUT, Connect, NetError, SOCKET_TIMEOUT, TcpTransport};

use core::fmt::Write as _;

use embassy_net::IpEndpoint;

/// Room for the longest `Host` value of an IPv4 endpoint
/// (`255.255.255.255:65535`) with some to spare.
pub const HOST_VALUE_LEN: usize = 32;

/// The `Host` field value for a server known by address: `ip:port`, in a
/// fixed buffer.
pub fn host_value(endpoint: IpEndpoint) -> heapless::String<HOST_VALUE_LEN> {
    let mut value = heapless::String::new();
    // Cannot overflow for IPv4 (the only protocol this crate enables).
    let _ = write!(value, "{}:{}", endpoint.addr, endpoint.port);
    value
}

#[cfg(test)]
mod tests {
    use embassy_net::{IpAddress, Ipv4Address};

    use super::*;

    #[test]
    fn host_value_is_address_and_port() {
        let endpoint = IpEndpoint::new(IpAddress::Ipv4(Ipv4Address::new(10, 69, 0, 1)), 8080);
        assert_eq!(host_value(endpoint).as_str(), "10.69.0.1:8080");
        let widest = IpEndpoint::new(IpAddress::Ipv4(Ipv4Address::new(255, 255, 255, 255)), 65535);
        assert_eq!(host_value(widest).as_str(), "255.255.255.255:65535");
    }
}
