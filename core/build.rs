//! Picks the compact code paths when the crate is built for size.
//!
//! With `opt-level = "s"` or `"z"` the user asked for small code, so the
//! crate is compiled with `--cfg h1conn_small`: plain byte loops instead of
//! word-at-a-time scans, no duplicated fast paths, nothing forced inline.
//! Results, errors and offsets are the same either way (tested with the
//! cfg on and off). `H1CONN_SMALL=1` (or `0`) forces the choice, for tests.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(h1conn_small)");
    println!("cargo::rerun-if-env-changed=H1CONN_SMALL");
    let small = match std::env::var("H1CONN_SMALL").as_deref() {
        Ok("1") => true,
        Ok("0") => false,
        _ => matches!(std::env::var("OPT_LEVEL").as_deref(), Ok("s" | "z")),
    };
    if small {
        println!("cargo::rustc-cfg=h1conn_small");
    }
}
