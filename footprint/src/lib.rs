//! What every footprint image shares: a vector table, a reset handler that
//! calls the image's `image_main`, a panic handler, and an input buffer in
//! RAM that the compiler cannot see through (so nothing is constant-folded
//! away). The `empty` image is exactly this scaffolding; `scripts/footprint.sh`
//! subtracts it from the others.
//!
//! With the `stack` feature the reset handler also fills the input with a
//! real request and response, paints the free stack, runs the image under
//! qemu, and prints over semihosting how deep the stack went.
//!
//! The images: `empty` (this scaffolding only), `heads` (h1conn parses a
//! request head and a response head), `httparse_heads` (the same with
//! httparse), `client` (the whole client engine: one exchange through a
//! `Connection`), and `sizes` (not measured: records `size_of` of the
//! public state types as symbol sizes).
#![no_std]

use core::hint::black_box;

/// Size of each half of the input buffer.
pub const HALF: usize = 1024;

/// The input: a request in the first half, a response in the second. In
/// size builds RAM is never written; `black_box` hides that from the
/// optimizer, as if a network driver had filled it.
static mut INBOX: [u8; 2 * HALF] = [0; 2 * HALF];
/// Lengths of the request and the response in `INBOX`.
static mut LENGTHS: [usize; 2] = [0; 2];
/// Where an image writes the heads it sends: a `static`, as a firmware's
/// transmit buffer usually is. (A zeroed array on the stack would link
/// `memclr` into the image, code the engine never calls.)
static mut OUTBOX: [u8; 256] = [0; 256];

fn half(index: usize) -> &'static [u8] {
    let inbox = black_box(&raw const INBOX);
    let lengths = black_box(&raw const LENGTHS);
    // SAFETY: single-threaded bare-metal image; the buffers are only
    // written by `reset` before `image_main` runs, and the length is
    // clamped to the half.
    unsafe {
        let lengths: &[usize; 2] = &*lengths;
        let len = lengths[index & 1].min(HALF);
        let start = (index & 1) * HALF;
        let all: &'static [u8; 2 * HALF] = &*inbox;
        all.get(start..start + len).unwrap_or_default()
    }
}

/// The request bytes received.
pub fn request() -> &'static [u8] {
    half(0)
}

/// The response bytes received.
pub fn response() -> &'static [u8] {
    half(1)
}

/// The transmit buffer. Call it once per image: it hands out the one
/// buffer.
pub fn outbox() -> &'static mut [u8] {
    let outbox = &raw mut OUTBOX;
    // SAFETY: single-threaded bare-metal image, and each image takes the
    // buffer once (see above), so this is the only reference to it.
    unsafe { &mut *outbox }
}

/// Under qemu (`stack` feature), ends the run with exit code 2 unless
/// `ok`; compiled out of size builds.
#[inline(always)]
pub fn check(ok: bool) {
    #[cfg(feature = "stack")]
    if !ok {
        stack::exit(2);
    }
    #[cfg(not(feature = "stack"))]
    let _ = ok;
}

/// Hands `value` to the outside world, so the work producing it is kept.
#[inline(always)]
pub fn keep<T>(value: &T) {
    black_box(value);
}

unsafe extern "Rust" {
    /// Defined by each image with `#[unsafe(no_mangle)]`.
    safe fn image_main();
}

/// Reset vector: the second word of the vector table (the first, the
/// initial stack pointer, comes from `link.x`).
#[unsafe(link_section = ".vector_table.reset")]
#[unsafe(no_mangle)]
#[used]
pub static RESET_VECTOR: extern "C" fn() -> ! = reset;

/// The reset handler.
#[unsafe(no_mangle)]
pub extern "C" fn reset() -> ! {
    #[cfg(feature = "stack")]
    stack::run();
    #[cfg(not(feature = "stack"))]
    image_main();
    #[allow(clippy::empty_loop)]
    loop {}
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    #[cfg(feature = "stack")]
    stack::exit(1);
    #[cfg(not(feature = "stack"))]
    #[allow(clippy::empty_loop)]
    loop {}
}

#[cfg(feature = "stack")]
mod stack {
    //! Stack painting and semihosting, for runs under qemu.

    use core::arch::asm;

    const REQUEST: &[u8] = b"GET /index.html HTTP/1.1\r\nHost: example.org\r\n\
        User-Agent: fw/1.0\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n";
    const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\
        Keep-Alive: timeout=5, max=99\r\nTransfer-Encoding: chunked\r\n\r\n\
        5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n";
    const PAINT: u32 = 0x5a5a_a5a5;

    unsafe extern "C" {
        static __ebss: u8;
    }

    fn semihost(op: u32, arg: *const u8) {
        // SAFETY: the ARMv7-M semihosting call; qemu runs with semihosting on.
        unsafe {
            asm!("bkpt 0xab", inout("r0") op => _, in("r1") arg, options(nostack));
        }
    }

    /// Prints `text` (without NUL) to the host.
    pub(crate) fn print(text: &[u8]) {
        let mut line = [0u8; 96];
        let n = text.len().min(line.len() - 1);
        line[..n].copy_from_slice(&text[..n]);
        semihost(0x04, line.as_ptr());
    }

    /// Prints `label` followed by `n` in decimal and a newline.
    pub(crate) fn print_number(label: &[u8], n: usize) {
        let mut line = [0u8; 80];
        let mut at = label.len().min(60);
        line[..at].copy_from_slice(&label[..at]);
        let mut digits = [0u8; 10];
        let (mut d, mut n) = (digits.len(), n);
        loop {
            d -= 1;
            digits[d] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for &b in &digits[d..] {
            line[at] = b;
            at += 1;
        }
        line[at] = b'\n';
        print(&line[..=at]);
    }

    /// Ends the qemu run with `code`.
    pub(crate) fn exit(code: u32) -> ! {
        // ADP_Stopped_ApplicationExit, then the exit code.
        let block = [0x2_0026u32, code];
        semihost(0x20, block.as_ptr().cast());
        semihost(0x18, 0x2_0026 as *const u8);
        #[allow(clippy::empty_loop)]
        loop {}
    }

    pub(crate) fn run() {
        // SAFETY: nothing else runs; the input is written before use, and
        // painting stops well below the current stack pointer.
        unsafe {
            // Enable the FPU (CP10, CP11): hard-float code may use it.
            let cpacr = 0xE000_ED88 as *mut u32;
            cpacr.write_volatile(cpacr.read_volatile() | (0xF << 20));
            asm!("dsb", "isb");

            let inbox = &raw mut super::INBOX;
            let inbox: &mut [u8; 2 * super::HALF] = &mut *inbox;
            inbox[..REQUEST.len()].copy_from_slice(REQUEST);
            inbox[super::HALF..super::HALF + RESPONSE.len()].copy_from_slice(RESPONSE);
            let lengths = &raw mut super::LENGTHS;
            lengths.write([REQUEST.len(), RESPONSE.len()]);

            let sp: usize;
            asm!("mov {}, sp", out(reg) sp);
            let bottom = (&raw const __ebss as usize + 3) & !3;
            let mut at = bottom;
            while at < sp {
                (at as *mut u32).write_volatile(PAINT);
                at += 4;
            }
            super::image_main();
            let mut deepest = bottom;
            while deepest < sp && (deepest as *const u32).read_volatile() == PAINT {
                deepest += 4;
            }
            print_number(b"stack high-water (bytes): ", sp - deepest);
        }
        exit(0);
    }
}
