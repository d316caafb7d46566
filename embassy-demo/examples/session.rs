//! The embassy-net client (`h1conn_embassy::Session`) against an h1conn
//! server, each on its own embassy-net stack, the stacks joined
//! in-process by a virtual Ethernet cable. No root, no TAP, no board.
//!
//! `cargo run -p h1conn-embassy-demo --example session`
//!
//! The server allows 3 requests per connection; the session sends 7 GETs
//! and reconnects whenever the engine says the connection is done. On a
//! board, only the stack setup differs (see `embassy-demo/firmware`).

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use embassy_futures::join::{join, join3};
use embassy_futures::select::select;
use embassy_net::driver::{HardwareAddress, LinkState};
use embassy_net::tcp::TcpSocket;
use embassy_net::{Ipv4Address, Ipv4Cidr, Stack, StackResources, StaticConfigV4};
use embassy_net_driver_channel as channel;
use h1conn::Config;
use h1conn::io::Request;
use h1conn::io::asynch::Server;
use h1conn::wire::Header;
use h1conn_embassy::{Connect, EmbassyClock, Session, TcpTransport, host_value};

const MTU: usize = 1514;
const SERVER_IP: Ipv4Address = Ipv4Address::new(10, 0, 0, 1);
const CLIENT_IP: Ipv4Address = Ipv4Address::new(10, 0, 0, 2);

/// The client: one session, seven requests, one line per outcome.
async fn client(stack: Stack<'_>) {
    let (mut rx, mut tx) = ([0u8; 2048], [0u8; 1024]);
    let (mut input, mut scratch) = ([0u8; 1024], [0u8; 512]);
    let transport = TcpTransport::new(TcpSocket::new(stack, &mut rx, &mut tx), (SERVER_IP, 80));
    let host = host_value(transport.remote());
    let headers = [Header {
        name: b"Host",
        value: host.as_bytes(),
    }];
    let mut session = Session::new(
        transport,
        EmbassyClock,
        Config::new(),
        &mut input[..],
        &mut scratch[..],
    );
    for i in 1..=7 {
        let mut body = [0u8; 64];
        match session
            .request(&Request::get(b"/", &headers), &mut body)
            .await
        {
            Ok(o) => println!(
                "request {i}: status {} on connection {} (reused: {}), closed after: {}",
                o.status,
                o.connection,
                o.reused,
                o.closed.map_or("no", |r| r.as_str()),
            ),
            Err(e) => println!("request {i} failed: {e}"),
        }
    }
    session.close().await;
}

/// The server: h1conn's async server driver, 3 requests per connection.
async fn server(stack: Stack<'_>) -> ! {
    let (mut rx, mut tx) = ([0u8; 2048], [0u8; 2048]);
    let mut transport = TcpTransport::new(TcpSocket::new(stack, &mut rx, &mut tx), (CLIENT_IP, 1));
    let mut config = Config::new();
    config.max_requests = Some(3);
    loop {
        if transport.socket_mut().accept(80).await.is_ok() {
            let (mut input, mut scratch) = ([0u8; 1024], [0u8; 512]);
            let mut server = Server::new(
                &mut transport,
                EmbassyClock,
                config,
                &mut input[..],
                &mut scratch[..],
            );
            while let Ok(Some(_)) = server.read_request().await {
                if server.send_response(200, b"OK", &[], b"hi").await.is_err() {
                    break;
                }
            }
        }
        transport.disconnect(true).await;
    }
}

fn main() {
    let mut channels = (
        channel::State::<MTU, 4, 4>::new(),
        channel::State::<MTU, 4, 4>::new(),
    );
    let mut resources = (StackResources::<4>::new(), StackResources::<4>::new());
    let mac = |last| HardwareAddress::Ethernet([0x02, 0, 0, 0, 0, last]);
    let (server_runner, server_device) = channel::new(&mut channels.0, mac(1));
    let (client_runner, client_device) = channel::new(&mut channels.1, mac(2));
    let (server_state, server_rx, server_tx) = server_runner.split();
    let (client_state, client_rx, client_tx) = client_runner.split();
    server_state.set_link_state(LinkState::Up);
    client_state.set_link_state(LinkState::Up);
    let config = |ip| {
        embassy_net::Config::ipv4_static(StaticConfigV4 {
            address: Ipv4Cidr::new(ip, 24),
            gateway: None,
            dns_servers: Default::default(),
        })
    };
    let (server_stack, mut server_net) =
        embassy_net::new(server_device, config(SERVER_IP), &mut resources.0, 1);
    let (client_stack, mut client_net) =
        embassy_net::new(client_device, config(CLIENT_IP), &mut resources.1, 2);

    let network = join3(
        join(server_net.run(), client_net.run()),
        join(cable(server_tx, client_rx), cable(client_tx, server_rx)),
        // Two listeners: smoltcp has no backlog, so a client reconnecting
        // at once always finds one.
        join(server(server_stack), server(server_stack)),
    );
    let session = async {
        client_stack.wait_config_up().await;
        client(client_stack).await;
    };
    block_on(select(session, network));
}

/// Moves every frame one side sends into the other side's receive queue.
async fn cable(mut from: channel::TxRunner<'_, MTU>, mut to: channel::RxRunner<'_, MTU>) -> ! {
    loop {
        let frame = from.tx_buf().await;
        let slot = to.rx_buf().await;
        let n = frame.len().min(slot.len());
        slot[..n].copy_from_slice(&frame[..n]);
        to.rx_done(n);
        from.tx_done();
    }
}

/// A minimal executor: polls on this thread, parks until woken (the
/// embassy-time `std` driver wakes timers from its own thread).
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        thread::park();
    }
}
