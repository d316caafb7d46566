//! The firmware client on a host: embassy-net over a Linux TAP device, on
//! embassy's std executor. Run it as root inside a network namespace that
//! holds the TAP (see `scripts/tap-demo.sh`):
//!
//! ```text
//! h1conn-embassy-host --server 10.69.0.1:8080 [--tap tap0] [--ip 10.69.0.2/24]
//!                     [--paths /,/a,/b] [--count 10] [--pause-ms 0] [--timeout-ms 10000]
//! ```
//!
//! Prints one line per request on stdout (`request=N method=GET path=/a
//! status=200 conn=C reused=true|false retried=true|false closed=REASON|-
//! body=LEN`), then `summary requests=N ok=N failed=N connections=C`; logs
//! go to stderr (`RUST_LOG=debug` for more). Exits 1 if a request failed.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::str::FromStr;

use embassy_executor::Spawner;
use embassy_net::tcp::TcpSocket;
use embassy_net::{Ipv4Cidr, Runner, Stack, StackResources, StaticConfigV4};
use embassy_net_tuntap::TunTapDevice;
use embassy_time::{Duration, Instant, Timer, with_timeout};
use h1conn::Config;
use h1conn::io::Request;
use h1conn::wire::Header;
use h1conn_embassy::{EmbassyClock, Session, TcpTransport, host_value};

/// The command line.
#[derive(Debug)]
struct Args {
    tap: String,
    ip: Ipv4Addr,
    prefix: u8,
    server: SocketAddrV4,
    paths: Vec<String>,
    count: usize,
    pause: Duration,
    timeout: Duration,
}

const USAGE: &str = "usage: h1conn-embassy-host --server IP:PORT [--tap NAME] [--ip IP/PREFIX] \
                     [--paths /a,/b] [--count N] [--pause-ms MS] [--timeout-ms MS]";

impl Args {
    fn parse(mut words: impl Iterator<Item = String>) -> Result<Self, String> {
        let mut args = Args {
            tap: "tap0".into(),
            ip: Ipv4Addr::new(10, 69, 0, 2),
            prefix: 24,
            server: SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0),
            paths: vec!["/".into()],
            count: 10,
            pause: Duration::from_millis(0),
            timeout: Duration::from_secs(10),
        };
        let mut server = None;
        while let Some(flag) = words.next() {
            let value = words
                .next()
                .ok_or_else(|| format!("{flag} needs a value"))?;
            match flag.as_str() {
                "--tap" => args.tap = value,
                "--ip" => {
                    let (ip, prefix) = value.split_once('/').unwrap_or((&value, "24"));
                    args.ip = parse(ip, "--ip")?;
                    args.prefix = parse(prefix, "--ip prefix")?;
                }
                "--server" => server = Some(parse(&value, "--server")?),
                "--paths" => args.paths = value.split(',').map(str::to_owned).collect(),
                "--count" => args.count = parse(&value, "--count")?,
                "--pause-ms" => args.pause = Duration::from_millis(parse(&value, "--pause-ms")?),
                "--timeout-ms" => {
                    args.timeout = Duration::from_millis(parse(&value, "--timeout-ms")?);
                }
                _ => return Err(format!("unknown option {flag}")),
            }
        }
        args.server = server.ok_or("--server is required")?;
        if args.paths.iter().any(|p| !p.starts_with('/')) {
            return Err("each path must start with /".into());
        }
        Ok(args)
    }
}

fn parse<T: FromStr>(text: &str, what: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("{what}: cannot parse {text:?}"))
}

/// Waits until the kernel reports the TAP running (`IFF_RUNNING`: carrier
/// on once our file descriptor is attached, and the kernel's link watcher
/// has caught up, which can take a moment). Before that the kernel drops
/// what we send, so smoltcp's first ARP request would be lost and the first
/// connect would stall for a second. `IFF_RUNNING` is derived from the
/// operational state, which sysfs shows (`ip netns exec` mounts a sysfs of
/// the namespace), so no ioctl and no unsafe code is needed.
async fn wait_running(tap: &str) -> Result<(), String> {
    let path = format!("/sys/class/net/{tap}/operstate");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let state = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        // The kernel sets IFF_RUNNING for these two (netif_oper_up).
        if matches!(state.trim(), "up" | "unknown") {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "{tap} is not running after 5 s (operstate {}; is it up?)",
                state.trim()
            ));
        }
        Timer::after_millis(10).await;
    }
}

/// A random seed for smoltcp (initial sequence numbers, local ports), so
/// two runs do not reuse the same ports and sequence numbers.
fn seed() -> u64 {
    use std::io::Read as _;
    let mut bytes = [0u8; 8];
    match std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes)) {
        Ok(()) => u64::from_le_bytes(bytes),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x5eed, |d| d.as_nanos() as u64),
    }
}

#[embassy_executor::task]
async fn net_task(mut runner: Runner<'static, TunTapDevice>) -> ! {
    runner.run().await
}

/// Runs the scripted session; returns whether every request succeeded.
async fn session(stack: Stack<'static>, args: &Args) -> bool {
    let (mut rx, mut tx) = ([0u8; 4096], [0u8; 2048]);
    let (mut input, mut scratch) = ([0u8; 2048], [0u8; 512]);
    let server = (*args.server.ip(), args.server.port());
    let transport = TcpTransport::new(TcpSocket::new(stack, &mut rx, &mut tx), server);
    let host = host_value(transport.remote());
    let headers = [
        Header {
            name: b"Host",
            value: host.as_bytes(),
        },
        Header {
            name: b"User-Agent",
            value: b"h1conn-embassy-host",
        },
    ];
    let mut session = Session::new(
        transport,
        EmbassyClock,
        Config::new(),
        &mut input[..],
        &mut scratch[..],
    );
    let mut body = [0u8; 512];
    let mut failed = 0;
    for (i, path) in args.paths.iter().cycle().take(args.count).enumerate() {
        if i > 0 && args.pause.as_ticks() > 0 {
            Timer::after(args.pause).await;
        }
        let request = Request::get(path.as_bytes(), &headers);
        let n = i + 1;
        match with_timeout(args.timeout, session.request(&request, &mut body)).await {
            Ok(Ok(o)) => println!(
                "request={n} method=GET path={path} status={} conn={} reused={} retried={} closed={} body={}",
                o.status,
                o.connection,
                o.reused,
                o.retried,
                o.closed.map_or("-", |r| r.as_str()),
                o.body_len,
            ),
            Ok(Err(e)) => {
                failed += 1;
                println!("request={n} method=GET path={path} error=\"{e}\"");
            }
            Err(_) => {
                failed += 1;
                println!("request={n} method=GET path={path} error=\"timed out\"");
            }
        }
    }
    session.close().await;
    println!(
        "summary requests={} ok={} failed={failed} connections={}",
        args.count,
        args.count - failed,
        session.connections()
    );
    failed == 0
}

async fn run(spawner: Spawner) -> Result<bool, String> {
    let args = Args::parse(std::env::args().skip(1)).map_err(|e| format!("{e}\n{USAGE}"))?;
    let device = TunTapDevice::new(&args.tap).map_err(|e| format!("open {}: {e}", args.tap))?;
    wait_running(&args.tap).await?;
    let config = embassy_net::Config::ipv4_static(StaticConfigV4 {
        address: Ipv4Cidr::new(args.ip, args.prefix),
        gateway: None,
        dns_servers: Default::default(),
    });
    // The stack lives as long as the process; leaking is how a std binary
    // gets the `'static` a spawned task needs.
    let resources = Box::leak(Box::new(StackResources::<2>::new()));
    let (stack, runner) = embassy_net::new(device, config, resources, seed());
    spawner.spawn(net_task(runner).map_err(|e| format!("spawn: {e:?}"))?);
    stack.wait_config_up().await;
    log::info!("{} on {} up, server {}", args.ip, args.tap, args.server);
    Ok(session(stack, &args).await)
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format_timestamp_millis()
        .init();
    // The executor never returns: leave the process from here.
    let code = match run(spawner).await {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    };
    std::process::exit(code);
}
