//! The h1conn embassy-net client on a NUCLEO-F767ZI: wired Ethernet (the
//! on-board LAN8742A over RMII), a static IPv4 address, and a
//! [`Session`] that asks one server for a few paths, one request every
//! [`PERIOD`], forever. Each outcome is logged over defmt-RTT: status, which
//! connection carried it, whether it was reused or retried, and why a
//! connection closed.
//!
//! The period (2 s) is shorter than the keep-alive window of a server that
//! announces `timeout=5` (5 s minus the client's 1 s margin), so the
//! connection is reused until the server's `max` runs out.
//!
//! Build-time settings (environment variables read by `env!` at compile
//! time, with defaults):
//! - `H1CONN_SERVER`: `ip:port` of the server (default `192.168.1.10:8080`);
//! - `H1CONN_DEVICE_IP`: the board's `ip/prefix` (default `192.168.1.50/24`).
#![no_std]
#![no_main]

use core::net::{Ipv4Addr, SocketAddrV4};
use core::str::FromStr;

use defmt::{info, unwrap, warn};
use embassy_executor::Spawner;
use embassy_net::tcp::TcpSocket;
use embassy_net::{Ipv4Cidr, Runner, StackResources, StaticConfigV4};
use embassy_stm32::eth::{Ethernet, GenericPhy, PacketQueue, Sma};
use embassy_stm32::peripherals::{ETH, ETH_SMA, RNG};
use embassy_stm32::rng::{self, Rng};
use embassy_stm32::time::Hertz;
use embassy_stm32::{bind_interrupts, eth};
use embassy_time::{Duration, Timer, with_timeout};
use h1conn::io::Request;
use h1conn::wire::Header;
use h1conn_embassy::{EmbassyClock, Session, TcpTransport, host_value};
use static_cell::StaticCell;
use {defmt_rtt as _, panic_probe as _};

/// The server, `ip:port`.
const SERVER: &str = match option_env!("H1CONN_SERVER") {
    Some(server) => server,
    None => "192.168.1.10:8080",
};

/// This board's address, `ip/prefix`.
const DEVICE_IP: &str = match option_env!("H1CONN_DEVICE_IP") {
    Some(ip) => ip,
    None => "192.168.1.50/24",
};

/// The paths asked for, in turn.
const PATHS: [&str; 3] = ["/", "/bytes/64", "/chunked/300"];

/// Time between two requests.
const PERIOD: Duration = Duration::from_secs(2);

/// The longest one request may take, connecting included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

bind_interrupts!(struct Irqs {
    ETH => eth::InterruptHandler;
    RNG => rng::InterruptHandler<RNG>;
});

type Device = Ethernet<'static, ETH, GenericPhy<Sma<'static, ETH_SMA>>>;

#[embassy_executor::task]
async fn net_task(mut runner: Runner<'static, Device>) -> ! {
    runner.run().await
}

/// 216 MHz from the ST-LINK's 8 MHz clock, and the 48 MHz the RNG needs.
fn clocks() -> embassy_stm32::Config {
    use embassy_stm32::rcc::*;
    let mut config = embassy_stm32::Config::default();
    config.rcc.hse = Some(Hse {
        freq: Hertz(8_000_000),
        mode: HseMode::Bypass,
    });
    config.rcc.pll_src = PllSource::HSE;
    config.rcc.pll = Some(Pll {
        prediv: PllPreDiv::DIV4,
        mul: PllMul::MUL216,
        divp: Some(PllPDiv::DIV2), // 8 / 4 * 216 / 2 = 216 MHz
        divq: Some(PllQDiv::DIV9), // 8 / 4 * 216 / 9 = 48 MHz
        divr: None,
    });
    config.rcc.sys = Sysclk::PLL1_P;
    config.rcc.ahb_pre = AHBPrescaler::DIV1;
    config.rcc.apb1_pre = APBPrescaler::DIV4;
    config.rcc.apb2_pre = APBPrescaler::DIV2;
    config
}

/// `ip/prefix`, or `None` when malformed.
fn parse_cidr(text: &str) -> Option<Ipv4Cidr> {
    let (ip, prefix) = text.split_once('/')?;
    let prefix = u8::from_str(prefix).ok().filter(|p| *p <= 32)?;
    Some(Ipv4Cidr::new(Ipv4Addr::from_str(ip).ok()?, prefix))
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    let p = embassy_stm32::init(clocks());
    info!("h1conn firmware: server {}, device {}", SERVER, DEVICE_IP);
    let server = unwrap!(
        SocketAddrV4::from_str(SERVER).ok(),
        "H1CONN_SERVER must be ip:port"
    );
    let address = unwrap!(parse_cidr(DEVICE_IP), "H1CONN_DEVICE_IP must be ip/prefix");

    // Random TCP sequence numbers and ports from the hardware RNG, so a
    // reboot does not collide with the server's memory of old connections.
    let mut rng = Rng::new(p.RNG, Irqs);
    let mut seed = [0; 8];
    rng.fill_bytes(&mut seed);
    let seed = u64::from_le_bytes(seed);

    // A locally administered unicast MAC.
    let mac = [0x02, 0x00, 0x68, 0x31, 0x63, 0x6e];
    static PACKETS: StaticCell<PacketQueue<4, 4>> = StaticCell::new();
    // NUCLEO-F767ZI RMII wiring (UM1974): REF_CLK PA1, CRS_DV PA7, RXD0 PC4,
    // RXD1 PC5, TXD0 PG13, TXD1 PB13, TX_EN PG11, MDIO PA2, MDC PC1.
    let device = Ethernet::new(
        PACKETS.init(PacketQueue::new()),
        p.ETH,
        Irqs,
        p.PA1,
        p.PA7,
        p.PC4,
        p.PC5,
        p.PG13,
        p.PB13,
        p.PG11,
        mac,
        p.ETH_SMA,
        p.PA2,
        p.PC1,
    );
    let config = embassy_net::Config::ipv4_static(StaticConfigV4 {
        address,
        gateway: None,
        dns_servers: Default::default(),
    });
    static RESOURCES: StaticCell<StackResources<2>> = StaticCell::new();
    let (stack, runner) =
        embassy_net::new(device, config, RESOURCES.init(StackResources::new()), seed);
    spawner.spawn(unwrap!(net_task(runner)));

    info!("waiting for the Ethernet link");
    stack.wait_config_up().await;
    info!("link up");

    // Every buffer is fixed here, for the life of the program: socket
    // buffers, the engine's input and head buffers, and a body prefix.
    let (mut rx, mut tx) = ([0u8; 2048], [0u8; 1024]);
    let (mut input, mut scratch) = ([0u8; 1024], [0u8; 512]);
    let mut body = [0u8; 256];
    let transport = TcpTransport::new(
        TcpSocket::new(stack, &mut rx, &mut tx),
        (*server.ip(), server.port()),
    );
    let host = host_value(transport.remote());
    let headers = [Header {
        name: b"Host",
        value: host.as_bytes(),
    }];
    let mut session = Session::new(
        transport,
        EmbassyClock,
        h1conn::Config::new(),
        &mut input[..],
        &mut scratch[..],
    );

    let mut n: u32 = 0;
    loop {
        for path in PATHS {
            n = n.wrapping_add(1);
            let request = Request::get(path.as_bytes(), &headers);
            match with_timeout(REQUEST_TIMEOUT, session.request(&request, &mut body)).await {
                Ok(Ok(o)) => info!(
                    "request {} {}: status {} conn {} reused {} retried {} closed {} body {} bytes",
                    n,
                    path,
                    o.status,
                    o.connection,
                    o.reused,
                    o.retried,
                    o.closed.map_or("-", |r| r.as_str()),
                    o.body_len
                ),
                Ok(Err(e)) => warn!("request {} {}: {}", n, path, e),
                // The session notices the unfinished exchange and starts
                // over on a new connection next time.
                Err(_) => warn!("request {} {}: timed out", n, path),
            }
            Timer::after(PERIOD).await;
        }
    }
}
