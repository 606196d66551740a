//! Memory a peer can make a connection hold: the received-bytes buffers
//! must stay bounded however the application reads (issue 11, item 8).
//!
//! - `reading_100_mib_in_small_pieces_keeps_the_buffers_bounded`: a client
//!   sends 100 MiB of application data; the server, driven through the
//!   sans-I/O API, reads it back 1000 bytes at a time while more keeps
//!   arriving, so its received buffer is never empty. The buffer's
//!   capacity must stay near [`MAX_BUFFERED_PLAINTEXT`] plus one record,
//!   not grow with the bytes read.

mod common;

use std::sync::Arc;

use tls12::{Connection, MAX_BUFFERED_PLAINTEXT};

/// Moves everything `from` has queued into `to` and processes it.
fn transfer(from: &mut Connection, to: &mut Connection, wire: &mut Vec<u8>) {
    wire.clear();
    while from.wants_write() {
        from.write_tls(wire).unwrap();
    }
    let mut rest = &wire[..];
    while !rest.is_empty() {
        to.read_tls(&mut rest).unwrap();
        to.process_new_packets().unwrap();
    }
}

#[test]
fn reading_100_mib_in_small_pieces_keeps_the_buffers_bounded() {
    const TOTAL: usize = 100 << 20;
    const CHUNK: usize = 64 * 1024;
    const PIECE: usize = 1000;
    let mut client = Connection::client(Arc::new(common::client_config()), "localhost").unwrap();
    let mut server = Connection::server(Arc::new(common::server_config()));
    let mut wire = Vec::new();
    while client.is_handshaking() || server.is_handshaking() {
        transfer(&mut client, &mut server, &mut wire);
        transfer(&mut server, &mut client, &mut wire);
    }

    let chunk: Vec<u8> = (0..CHUNK).map(|i| (i % 251) as u8).collect();
    let mut piece = [0u8; PIECE];
    let (mut sent, mut read, mut largest) = (0, 0, 0);
    while read < TOTAL {
        // Keep about half a megabyte unread, so that the buffer is never
        // drained empty: the case a "clear when empty" rule never helps.
        while sent < TOTAL && sent - read < MAX_BUFFERED_PLAINTEXT / 2 {
            client.write_application_data(&chunk).unwrap();
            transfer(&mut client, &mut server, &mut wire);
            sent += CHUNK;
        }
        let n = server.read_application_data(&mut piece);
        assert!(n > 0, "nothing to read after {read} bytes");
        // The bytes come back in order.
        for (i, b) in piece[..n].iter().enumerate() {
            assert_eq!(*b, ((read + i) % CHUNK % 251) as u8, "byte {}", read + i);
        }
        read += n;
        largest = largest.max(server.received_buffer_capacity());
    }
    // What the connection may hold unread, one more batch of records, and
    // an allocator's rounding: anything near the 100 MiB read is a leak.
    let bound = 2 * (MAX_BUFFERED_PLAINTEXT + CHUNK);
    assert!(
        largest <= bound,
        "received buffer grew to {largest} bytes while reading {TOTAL} (bound {bound})"
    );
    println!("read {TOTAL} bytes {PIECE} at a time; received buffer at most {largest} bytes");
}
