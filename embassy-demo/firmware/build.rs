//! Linker scripts for the firmware: cortex-m-rt's `link.x` (which includes
//! the `memory.x` that embassy-stm32 generates for the chip, feature
//! `memory-x`) and defmt's `defmt.x` (where the log strings go).

fn main() {
    println!("cargo:rustc-link-arg-bins=--nmagic");
    println!("cargo:rustc-link-arg-bins=-Tlink.x");
    println!("cargo:rustc-link-arg-bins=-Tdefmt.x");
    // Rebuild when the server address given at build time changes.
    println!("cargo:rerun-if-env-changed=H1CONN_SERVER");
    println!("cargo:rerun-if-env-changed=H1CONN_DEVICE_IP");
}
