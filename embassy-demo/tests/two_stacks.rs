//! The demo client against a small h1conn server, each on its own real
//! embassy-net stack, the two stacks wired together in-process through
//! embassy-net-driver-channel devices (Ethernet frames, ARP included). No
//! root, no TAP: what it checks is when the client reuses, closes and
//! reopens connections, seen from both ends.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use embassy_futures::join::{join, join3};
use embassy_futures::select::{Either, select};
use embassy_net::driver::{HardwareAddress, LinkState};
use embassy_net::tcp::TcpSocket;
use embassy_net::{IpEndpoint, Ipv4Address, Ipv4Cidr, Stack, StackResources, StaticConfigV4};
use embassy_net_driver_channel as channel;
use embassy_time::{Duration, Timer, with_timeout};
use h1conn::io::asynch::Server;
use h1conn::io::{DriverError, Request};
use h1conn::policy::CloseReason;
use h1conn::wire::Header;
use h1conn::{Action, Config};
use h1conn_embassy::{
    Connect, EmbassyClock, Outcome, Session, SessionError, TcpTransport, host_value,
};

// ----- a minimal executor: the test thread parks until something wakes it -----

struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `future` to completion on this thread, sleeping between wakes
/// (the embassy-time std driver wakes timers from its own thread).
fn block_on<F: Future>(future: F) -> F::Output {
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

// ----- two stacks joined by a virtual Ethernet cable -----

const MTU: usize = 1514;
const SERVER_IP: Ipv4Address = Ipv4Address::new(10, 0, 0, 1);
const CLIENT_IP: Ipv4Address = Ipv4Address::new(10, 0, 0, 2);
const PORT: u16 = 80;

/// Everything the two stacks borrow, owned by the test function.
struct Parts {
    server_channel: channel::State<MTU, 4, 4>,
    client_channel: channel::State<MTU, 4, 4>,
    server_resources: StackResources<4>,
    client_resources: StackResources<4>,
}

impl Parts {
    fn new() -> Self {
        Self {
            server_channel: channel::State::new(),
            client_channel: channel::State::new(),
            server_resources: StackResources::new(),
            client_resources: StackResources::new(),
        }
    }
}

fn static_config(ip: Ipv4Address) -> embassy_net::Config {
    embassy_net::Config::ipv4_static(StaticConfigV4 {
        address: Ipv4Cidr::new(ip, 24),
        gateway: None,
        dns_servers: Default::default(),
    })
}

/// Moves every frame one side transmits into the other side's receive queue.
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

// ----- the server: h1conn's async server driver on embassy-net -----

/// How the test server behaves.
#[derive(Clone, Copy)]
struct Plan {
    config: Config,
    /// On this request number of every connection, read the request and
    /// close without answering (a server whose idle timeout fired just as
    /// the request arrived).
    drop_request: Option<u32>,
    /// A `Keep-Alive` value to send on every response (with
    /// `announce_keep_alive` off: a hint the server does not enforce).
    keep_alive: Option<&'static str>,
}

impl Plan {
    fn with(config: Config) -> Self {
        Self {
            config,
            drop_request: None,
            keep_alive: None,
        }
    }
}

/// One line of the server's access log.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Access {
    conn: u32,
    req: u32,
    target: String,
    /// `None`: dropped without an answer.
    status: Option<u16>,
    /// The server's engine keeps the connection after this exchange.
    persist: bool,
}

/// What the server saw of each connection.
#[derive(Default)]
struct ServerLog {
    accesses: RefCell<Vec<Access>>,
    /// Why each connection ended, from the server's engine, by connection.
    ends: RefCell<Vec<(u32, Option<CloseReason>)>>,
    connections: Cell<u32>,
}

impl ServerLog {
    /// (conn, req, persist) of each answered request.
    fn reuse(&self) -> Vec<(u32, u32, bool)> {
        self.accesses
            .borrow()
            .iter()
            .filter(|a| a.status.is_some())
            .map(|a| (a.conn, a.req, a.persist))
            .collect()
    }

    fn end_of(&self, conn: u32) -> Option<CloseReason> {
        self.ends
            .borrow()
            .iter()
            .find(|(c, _)| *c == conn)
            .and_then(|(_, reason)| *reason)
    }
}

/// Accepts connections on one socket forever. Two of these run, so a
/// client reconnecting at once always finds a listening socket (smoltcp
/// has no backlog: a SYN with no socket listening is refused).
async fn serve(stack: Stack<'_>, plan: Plan, log: &ServerLog) -> ! {
    let (mut rx, mut tx) = ([0u8; 4096], [0u8; 4096]);
    let socket = TcpSocket::new(stack, &mut rx, &mut tx);
    // The transport's graceful close (FIN, wait for the peer's) serves
    // the server side too; its remote address is never used here.
    let mut transport = TcpTransport::new(socket, (CLIENT_IP, 1));
    loop {
        if transport.socket_mut().accept(PORT).await.is_err() {
            transport.disconnect(false).await;
            continue;
        }
        let conn = log.connections.get() + 1;
        log.connections.set(conn);
        let (mut input, mut scratch) = ([0u8; 1024], [0u8; 512]);
        let mut server = Server::new(
            &mut transport,
            EmbassyClock,
            plan.config,
            &mut input[..],
            &mut scratch[..],
        );
        let mut req = 0;
        loop {
            let target = match server.read_request().await {
                Ok(Some(head)) => String::from_utf8_lossy(head.target).into_owned(),
                Ok(None) | Err(_) => break,
            };
            req += 1;
            if plan.drop_request == Some(req) {
                log.accesses.borrow_mut().push(Access {
                    conn,
                    req,
                    target,
                    status: None,
                    persist: false,
                });
                break;
            }
            if target == "/drip" {
                // A head promising 100 bytes, then one byte every 300 ms:
                // a server that would hold a client forever.
                let length = [Header {
                    name: b"Content-Length",
                    value: b"100",
                }];
                if server.send_head(200, b"OK", &length).await.is_err() {
                    break;
                }
                for _ in 0..100 {
                    let sent = server.write_body(b"x").await.is_ok()
                        && embedded_io_async::Write::flush(server.transport_mut())
                            .await
                            .is_ok();
                    if !sent {
                        break;
                    }
                    Timer::after_millis(300).await;
                }
                break;
            }
            let mut headers = Vec::new();
            if target == "/close" {
                headers.push(Header {
                    name: b"Connection",
                    value: b"close",
                });
            }
            if let Some(value) = plan.keep_alive {
                headers.push(Header {
                    name: b"Keep-Alive",
                    value: value.as_bytes(),
                });
            }
            let body = format!("{target} conn={conn} req={req}");
            if server
                .send_response(200, b"OK", &headers, body.as_bytes())
                .await
                .is_err()
            {
                break;
            }
            // The request's end is only consumed by the next
            // `read_request`, so ask for the decision, not the action.
            let persist = server.connection().persistence().is_keep_alive();
            log.accesses.borrow_mut().push(Access {
                conn,
                req,
                target,
                status: Some(200),
                persist,
            });
        }
        let end = match server.connection().poll_action() {
            Action::Close(reason) => Some(reason),
            _ => None,
        };
        log.ends.borrow_mut().push((conn, end));
        transport.disconnect(true).await;
    }
}

/// Runs the server stack (with `plan`) and the client stack, and `client`
/// on the client stack, until `client` finishes (at most 30 s).
fn run<T>(plan: Plan, log: &ServerLog, client: impl AsyncFnOnce(Stack<'_>) -> T) -> T {
    let mut parts = Parts::new();
    let mac = |last| HardwareAddress::Ethernet([0x02, 0, 0, 0, 0, last]);
    let (server_runner, server_device) = channel::new(&mut parts.server_channel, mac(1));
    let (client_runner, client_device) = channel::new(&mut parts.client_channel, mac(2));
    let (server_state, server_rx, server_tx) = server_runner.split();
    let (client_state, client_rx, client_tx) = client_runner.split();
    server_state.set_link_state(LinkState::Up);
    client_state.set_link_state(LinkState::Up);

    let (server_stack, mut server_net) = embassy_net::new(
        server_device,
        static_config(SERVER_IP),
        &mut parts.server_resources,
        1,
    );
    let (client_stack, mut client_net) = embassy_net::new(
        client_device,
        static_config(CLIENT_IP),
        &mut parts.client_resources,
        2,
    );

    let background = join3(
        join(server_net.run(), client_net.run()),
        join(cable(server_tx, client_rx), cable(client_tx, server_rx)),
        join(
            serve(server_stack, plan, log),
            serve(server_stack, plan, log),
        ),
    );
    let session = async {
        client_stack.wait_config_up().await;
        with_timeout(Duration::from_secs(30), client(client_stack))
            .await
            .expect("the client finished within 30 s")
    };
    match block_on(select(session, background)) {
        Either::First(output) => output,
        Either::Second(_) => unreachable!("the network never stops"),
    }
}

// ----- the client side -----

fn server() -> IpEndpoint {
    IpEndpoint::from((SERVER_IP, PORT))
}

type Outcomes = Vec<Result<Outcome, SessionError<h1conn_embassy::NetError>>>;

/// Sends `method target` for each step through one session, sleeping
/// `pause_ms` before each; returns every outcome and the bodies.
async fn session(
    stack: Stack<'_>,
    config: Config,
    steps: &[(&str, &str, &[Header<'_>], u64)],
) -> (Outcomes, Vec<String>) {
    let (mut rx, mut tx) = ([0u8; 2048], [0u8; 1024]);
    let (mut input, mut scratch) = ([0u8; 1024], [0u8; 512]);
    let transport = TcpTransport::new(TcpSocket::new(stack, &mut rx, &mut tx), server());
    let host = host_value(transport.remote());
    let mut session = Session::new(
        transport,
        EmbassyClock,
        config,
        &mut input[..],
        &mut scratch[..],
    );
    let (mut outcomes, mut bodies) = (Vec::new(), Vec::new());
    for (method, target, extra, pause_ms) in steps {
        Timer::after_millis(*pause_ms).await;
        let mut headers = vec![Header {
            name: b"Host",
            value: host.as_bytes(),
        }];
        headers.extend_from_slice(extra);
        let request = Request::new(method.as_bytes(), target.as_bytes(), &headers);
        let mut body = [0u8; 128];
        let outcome = session.request(&request, &mut body).await;
        if let Ok(o) = &outcome {
            bodies.push(String::from_utf8_lossy(&body[..o.stored]).into_owned());
        }
        outcomes.push(outcome);
    }
    session.close().await;
    (outcomes, bodies)
}

fn gets(n: usize) -> Vec<(&'static str, &'static str, &'static [Header<'static>], u64)> {
    (0..n).map(|_| ("GET", "/", &[][..], 0)).collect()
}

fn ok(outcomes: &Outcomes) -> Vec<Outcome> {
    outcomes
        .iter()
        .map(|o| *o.as_ref().expect("every request succeeded"))
        .collect()
}

// ----- the rules, end to end -----

#[test]
fn max_requests_bounds_each_connection() {
    let mut config = Config::new();
    config.max_requests = Some(4);
    let log = ServerLog::default();
    let (outcomes, bodies) = run(Plan::with(config), &log, async |stack| {
        session(stack, Config::new(), &gets(10)).await
    });
    let outcomes = ok(&outcomes);

    // 10 requests, 4 per connection: 4 + 4 + 2 on three connections.
    let conns: Vec<u32> = outcomes.iter().map(|o| o.connection).collect();
    assert_eq!(conns, [1, 1, 1, 1, 2, 2, 2, 2, 3, 3]);
    let reused: Vec<bool> = outcomes.iter().map(|o| o.reused).collect();
    assert_eq!(
        reused,
        [
            false, true, true, true, false, true, true, true, false, true
        ]
    );
    // The 4th response of each connection closes it; nothing was retried.
    assert_eq!(outcomes[3].closed, Some(CloseReason::ResponseClose));
    assert_eq!(outcomes[7].closed, Some(CloseReason::ResponseClose));
    assert!(outcomes.iter().all(|o| o.status == 200 && !o.retried));
    assert!(
        outcomes
            .iter()
            .enumerate()
            .all(|(i, o)| (i == 3 || i == 7) == o.closed.is_some())
    );
    assert_eq!(bodies[5], "/ conn=2 req=2");

    // The server saw the same: request numbers 1..4 per connection, and
    // `close` on each 4th.
    let expected: Vec<(u32, u32, bool)> = [(1, 4), (2, 4), (3, 2)]
        .iter()
        .flat_map(|&(conn, n)| (1..=n).map(move |req| (conn, req, req != 4)))
        .collect();
    assert_eq!(log.reuse(), expected);
}

#[test]
fn connection_close_from_either_side_forces_a_new_connection() {
    let close = [Header {
        name: b"Connection",
        value: b"close",
    }];
    let log = ServerLog::default();
    let steps: Vec<(&str, &str, &[Header<'_>], u64)> = vec![
        ("GET", "/a", &[], 0),
        ("GET", "/close", &[], 0), // the server answers `Connection: close`
        ("GET", "/b", &[], 0),
        ("GET", "/c", &close, 0), // the client asks to close
        ("GET", "/d", &[], 0),
    ];
    let (outcomes, _) = run(Plan::with(Config::new()), &log, async |stack| {
        session(stack, Config::new(), &steps).await
    });
    let outcomes = ok(&outcomes);

    let conns: Vec<u32> = outcomes.iter().map(|o| o.connection).collect();
    assert_eq!(conns, [1, 1, 2, 2, 3]);
    assert_eq!(outcomes[1].closed, Some(CloseReason::ResponseClose));
    assert_eq!(outcomes[3].closed, Some(CloseReason::RequestClose));
    assert_eq!(outcomes[4].closed, None);
    assert_eq!(
        log.reuse(),
        [
            (1, 1, true),
            (1, 2, false),
            (2, 1, true),
            (2, 2, false),
            (3, 1, true)
        ]
    );
}

#[test]
fn idle_connection_is_dropped_before_the_servers_keep_alive_timeout() {
    // The server keeps idle connections 3 s and says so
    // (`Keep-Alive: timeout=3`); the client stops reusing one 1 s earlier
    // (its margin), so after 0.5 s idle it reuses, after 2.4 s it does not.
    let mut server_config = Config::new();
    server_config.idle_timeout = h1conn::time::Duration::from_secs(3);
    let log = ServerLog::default();
    let steps: Vec<(&str, &str, &[Header<'_>], u64)> = vec![
        ("GET", "/1", &[], 0),
        ("GET", "/2", &[], 500),
        ("GET", "/3", &[], 2_400),
    ];
    let (outcomes, _) = run(Plan::with(server_config), &log, async |stack| {
        session(stack, Config::new(), &steps).await
    });
    let outcomes = ok(&outcomes);

    let seen: Vec<(u32, bool)> = outcomes.iter().map(|o| (o.connection, o.reused)).collect();
    assert_eq!(seen, [(1, false), (1, true), (2, false)]);
    assert!(outcomes.iter().all(|o| !o.retried));
    assert_eq!(log.reuse(), [(1, 1, true), (1, 2, true), (2, 1, true)]);
    // The client closed the idle connection itself: the server saw it go,
    // it did not have to time it out.
    assert_eq!(log.end_of(1), Some(CloseReason::PeerClosed));
}

#[test]
fn server_idle_timeout_closes_an_unused_connection() {
    // With no margin the client would still reuse at 1.2 s, but this
    // server times idle connections out after 1 s: it closes first, the
    // client sees the FIN and opens a new connection instead of failing.
    let mut server_config = Config::new();
    server_config.idle_timeout = h1conn::time::Duration::from_secs(1);
    server_config.announce_keep_alive = false;
    let mut client_config = Config::new();
    client_config.idle_margin = h1conn::time::Duration::ZERO;
    let log = ServerLog::default();
    let steps: Vec<(&str, &str, &[Header<'_>], u64)> =
        vec![("GET", "/1", &[], 0), ("GET", "/2", &[], 1_200)];
    let (outcomes, _) = run(Plan::with(server_config), &log, async |stack| {
        session(stack, client_config, &steps).await
    });
    let outcomes = ok(&outcomes);

    let seen: Vec<(u32, bool, bool)> = outcomes
        .iter()
        .map(|o| (o.connection, o.reused, o.retried))
        .collect();
    assert_eq!(seen, [(1, false, false), (2, false, false)]);
    assert_eq!(log.end_of(1), Some(CloseReason::IdleTimeout));
}

#[test]
fn dead_reused_connection_retries_idempotent_requests_once() {
    // Every connection's 2nd request is read and dropped unanswered.
    let plan = Plan {
        config: Config::new(),
        drop_request: Some(2),
        keep_alive: None,
    };
    let log = ServerLog::default();
    let steps: Vec<(&str, &str, &[Header<'_>], u64)> = vec![
        ("GET", "/a", &[], 0),
        ("GET", "/b", &[], 0),    // dropped on conn 1, retried on conn 2
        ("DELETE", "/c", &[], 0), // idempotent: dropped on conn 2, retried on conn 3
        ("POST", "/d", &[], 0),   // not idempotent: dropped on conn 3, not retried
        ("GET", "/e", &[], 0),
    ];
    let (outcomes, bodies) = run(plan, &log, async |stack| {
        session(stack, Config::new(), &steps).await
    });

    let get_b = outcomes[1].as_ref().expect("GET /b succeeded on the retry");
    assert_eq!(
        (get_b.connection, get_b.reused, get_b.retried),
        (2, false, true)
    );
    assert_eq!(bodies[1], "/b conn=2 req=1");
    let delete_c = outcomes[2]
        .as_ref()
        .expect("DELETE /c succeeded on the retry");
    assert_eq!((delete_c.connection, delete_c.retried), (3, true));
    assert_eq!(
        outcomes[3],
        Err(SessionError::Exchange(DriverError::Closed)),
        "a POST is never sent twice"
    );
    let get_e = outcomes[4].as_ref().expect("GET /e succeeded");
    assert_eq!(
        (get_e.connection, get_e.reused, get_e.retried),
        (4, false, false)
    );

    let dropped: Vec<(u32, String)> = log
        .accesses
        .borrow()
        .iter()
        .filter(|a| a.status.is_none())
        .map(|a| (a.conn, a.target.clone()))
        .collect();
    assert_eq!(
        dropped,
        [
            (1, "/b".to_string()),
            (2, "/c".to_string()),
            (3, "/d".to_string())
        ]
    );
}

#[test]
fn keep_alive_max_zero_is_honoured_even_if_the_server_would_go_on() {
    // The server would keep every connection, but tells the client
    // `max=0`: no further request. The client closes after each response.
    let mut config = Config::new();
    config.announce_keep_alive = false;
    config.max_requests = None;
    let plan = Plan {
        keep_alive: Some("timeout=5, max=0"),
        ..Plan::with(config)
    };
    let log = ServerLog::default();
    let (outcomes, _) = run(plan, &log, async |stack| {
        session(stack, Config::new(), &gets(3)).await
    });
    let outcomes = ok(&outcomes);

    let seen: Vec<(u32, bool, Option<CloseReason>)> = outcomes
        .iter()
        .map(|o| (o.connection, o.reused, o.closed))
        .collect();
    let max_reached = Some(CloseReason::MaxReached);
    assert_eq!(
        seen,
        [
            (1, false, max_reached),
            (2, false, max_reached),
            (3, false, max_reached)
        ]
    );
    assert_eq!(log.reuse(), [(1, 1, true), (2, 1, true), (3, 1, true)]);
    assert_eq!(log.end_of(1), Some(CloseReason::PeerClosed));
}

#[test]
fn a_dripping_server_cannot_hold_the_session() {
    // The body must arrive within 1 s, plus 1 s per 1000 bytes: one byte
    // every 300 ms earns nothing, so the engine's deadline cuts it off.
    let mut client_config = Config::new();
    client_config.body_timeout = h1conn::time::Duration::from_millis(1000);
    client_config.body_min_rate = 1000;
    let log = ServerLog::default();
    let steps: Vec<(&str, &str, &[Header<'_>], u64)> = vec![("GET", "/drip", &[], 0)];
    let started = std::time::Instant::now();
    let (outcomes, _) = run(Plan::with(Config::new()), &log, async |stack| {
        session(stack, client_config, &steps).await
    });
    let elapsed = started.elapsed();
    match &outcomes[0] {
        Err(SessionError::Exchange(DriverError::Protocol(error))) => {
            assert_eq!(error.kind, h1conn::ErrorKind::BodyTimeout)
        }
        other => panic!("expected a body timeout, got {other:?}"),
    }
    assert!(
        elapsed < std::time::Duration::from_secs(10),
        "cut off after {elapsed:?}"
    );
}
