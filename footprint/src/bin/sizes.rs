//! Not a measured image: records `size_of` of the public state types on
//! this target as the sizes of `SIZE_OF_*` symbols, which
//! `scripts/footprint.sh` reads with `llvm-nm --print-size`.
#![no_std]
#![no_main]

use core::mem::size_of;

use h1conn::body::BodyDecoder;
use h1conn::wire::{HeadScanner, KeepAlive, RequestHead, ResponseHead};
use h1conn::{Config, Connection};
use h1conn_footprint as fp;

macro_rules! record {
    ($($name:ident: $ty:ty),* $(,)?) => {
        $(
            #[unsafe(no_mangle)]
            #[allow(non_upper_case_globals)]
            static $name: [u8; size_of::<$ty>()] = [0; size_of::<$ty>()];
        )*
        #[unsafe(no_mangle)]
        fn image_main() {
            $(fp::keep(&&$name);)*
        }
    };
}

record! {
    SIZE_OF_Connection: Connection,
    SIZE_OF_Connection_borrowing_Config: Connection<&'static Config>,
    SIZE_OF_Config: Config,
    SIZE_OF_HeadScanner: HeadScanner,
    SIZE_OF_BodyDecoder: BodyDecoder,
    SIZE_OF_RequestHead: RequestHead<'static>,
    SIZE_OF_ResponseHead: ResponseHead<'static>,
    SIZE_OF_KeepAlive: KeepAlive,
}
