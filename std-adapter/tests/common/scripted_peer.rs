//! A scripted raw-socket peer for the client tests: what a well-behaved
//! server never does, byte for byte.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// A peer that runs `script` on each of the first `connections` accepted
/// connections, in order, and records every byte each one received after
/// its script, until the client closed it.
pub(crate) fn scripted<F>(connections: usize, script: F) -> (SocketAddr, JoinHandle<Vec<String>>)
where
    F: Fn(usize, &TcpStream, &mut BufReader<&TcpStream>) + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = thread::spawn(move || {
        let mut received = Vec::new();
        for (i, stream) in listener.incoming().take(connections).enumerate() {
            let stream = stream.unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut reader = BufReader::new(&stream);
            script(i, &stream, &mut reader);
            // Whatever else the client sends until it closes.
            let mut rest = Vec::new();
            let _ = reader.read_to_end(&mut rest);
            received.push(String::from_utf8_lossy(&rest).into_owned());
        }
        received
    });
    (addr, handle)
}

/// Reads one request head (up to the empty line).
pub(crate) fn read_head(reader: &mut BufReader<&TcpStream>) -> String {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return head;
        }
        head.push_str(&line);
        if line == "\r\n" {
            return head;
        }
    }
}

/// Writes `bytes` to the client.
pub(crate) fn answer(mut stream: &TcpStream, bytes: &[u8]) {
    stream.write_all(bytes).unwrap();
}
