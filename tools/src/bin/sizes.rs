//! Prints `size_of` of the public state types on the host (for the
//! Cortex-M sizes, see `scripts/footprint.sh`).

use std::mem::size_of;

use h1conn::body::BodyDecoder;
use h1conn::wire::{HeadScanner, KeepAlive, RequestHead, ResponseHead};
use h1conn::{Config, Connection};

fn main() {
    let sizes = [
        ("Connection", size_of::<Connection>()),
        (
            "Connection_borrowing_Config",
            size_of::<Connection<&'static Config>>(),
        ),
        ("Config", size_of::<Config>()),
        ("HeadScanner", size_of::<HeadScanner>()),
        ("BodyDecoder", size_of::<BodyDecoder>()),
        ("RequestHead", size_of::<RequestHead<'static>>()),
        ("ResponseHead", size_of::<ResponseHead<'static>>()),
        ("KeepAlive", size_of::<KeepAlive>()),
    ];
    for (name, size) in sizes {
        println!("{name}\t{size}");
    }
}
