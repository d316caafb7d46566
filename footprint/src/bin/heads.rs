//! h1conn parses a request head and a response head (strict defaults),
//! with everything the engine reads from them (`HeadFacts`: Connection,
//! Keep-Alive, Content-Length, Transfer-Encoding, Expect, Host checks).
#![no_std]
#![no_main]

use h1conn::wire::{ParseConfig, Parsed, RequestHead, ResponseHead};
use h1conn_footprint as fp;

#[unsafe(no_mangle)]
fn image_main() {
    let config = ParseConfig::default();
    let request = RequestHead::parse(fp::request(), &config);
    fp::check(matches!(request, Ok(Parsed::Complete(_))));
    fp::keep(&request);
    let response = ResponseHead::parse(fp::response(), &config);
    fp::check(matches!(response, Ok(Parsed::Complete(_))));
    fp::keep(&response);
}
