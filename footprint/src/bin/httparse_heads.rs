//! httparse parses a request head and a response head into 16 header
//! slots each: the comparison point for the `heads` image.
#![no_std]
#![no_main]

use h1conn_footprint as fp;

#[unsafe(no_mangle)]
fn image_main() {
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut request = httparse::Request::new(&mut headers);
    let parsed = request.parse(fp::request());
    fp::check(matches!(parsed, Ok(httparse::Status::Complete(_))));
    fp::keep(&parsed);
    fp::keep(&request);
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut response = httparse::Response::new(&mut headers);
    let parsed = response.parse(fp::response());
    fp::check(matches!(parsed, Ok(httparse::Status::Complete(_))));
    fp::keep(&parsed);
    fp::keep(&response);
}
