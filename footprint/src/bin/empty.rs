//! The scaffolding alone: the baseline the other images are measured against.
#![no_std]
#![no_main]

use h1conn_footprint as fp;

#[unsafe(no_mangle)]
fn image_main() {
    fp::keep(&fp::request());
    fp::keep(&fp::response());
}
