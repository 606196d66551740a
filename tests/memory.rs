//! Memory a peer can make a connection hold: the received-bytes buffers
//! must stay bounded however the application reads (issue 11, item 8).
//!
//! - `reading_100_mib_in_small_pieces_keeps_the_buffers_bounded`: a client
//!   sends 100 MiB of application data; the server, driven through the
//!   sans-I/O API, reads it back 1000 bytes at a time while more keeps
//!   arriving, so its received buffer is never empty. The buffer's
//!   capacity must stay near [`MAX_BUFFERED_PLAINTEXT`] plus one record,
//!   not grow with the bytes read.
//! - `a_transport_taking_a_little_at_a_time_...`: records queued while
//!   earlier ones are half written reach the peer whole and in order
//!   (`write_tls` counts what was written instead of moving the queue on
//!   every partial write).
//! - `a_blocking_stream_gives_its_buffers_back_when_it_waits`: after a
//!   16 KiB record each way over loopback TCP, a blocking `Stream` that
//!   waits for its peer (a read that times out) holds no buffer, as the
//!   async stream does.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use tls12::{Connection, Stream, MAX_BUFFERED_PLAINTEXT};

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

/// A client and a server with their handshake done.
fn connected() -> (Connection, Connection) {
    let mut client = Connection::client(Arc::new(common::client_config()), "localhost").unwrap();
    let mut server = Connection::server(Arc::new(common::server_config()));
    let mut wire = Vec::new();
    while client.is_handshaking() || server.is_handshaking() {
        transfer(&mut client, &mut server, &mut wire);
        transfer(&mut server, &mut client, &mut wire);
    }
    (client, server)
}

#[test]
fn reading_100_mib_in_small_pieces_keeps_the_buffers_bounded() {
    const TOTAL: usize = 100 << 20;
    const CHUNK: usize = 64 * 1024;
    const PIECE: usize = 1000;
    let (mut client, mut server) = connected();
    let mut wire = Vec::new();

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

/// A transport that takes at most `max` bytes per write, as a socket with
/// a slow reader on the other end does.
struct Trickle {
    wire: Vec<u8>,
    max: usize,
}

impl std::io::Write for Trickle {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.max);
        self.wire.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_transport_taking_a_little_at_a_time_gets_every_record_whole_and_in_order() {
    const TOTAL: usize = 1 << 20;
    const CHUNK: usize = 10_000;
    let (mut client, mut server) = connected();

    // Records are queued while earlier ones are still half written: each
    // write takes 997 bytes (a prime, so cuts fall anywhere in a record).
    let data: Vec<u8> = (0..TOTAL).map(|i| (i % 251) as u8).collect();
    let mut trickle = Trickle {
        wire: Vec::new(),
        max: 997,
    };
    for chunk in data.chunks(CHUNK) {
        client.write_application_data(chunk).unwrap();
        client.write_tls(&mut trickle).unwrap();
    }
    while client.wants_write() {
        client.write_tls(&mut trickle).unwrap();
    }

    let mut received = Vec::new();
    let mut rest = &trickle.wire[..];
    let mut piece = [0u8; 64 * 1024];
    while !rest.is_empty() {
        server.read_tls(&mut rest).unwrap();
        server.process_new_packets().unwrap();
        let n = server.read_application_data(&mut piece);
        received.extend_from_slice(&piece[..n]);
    }
    assert_eq!(received.len(), TOTAL);
    assert!(
        received == data,
        "the bytes arrived changed or out of order"
    );
}

/// One application-data record's worth (§6.2.1: 2^14 bytes).
const RECORD: usize = 16 * 1024;

/// A blocking stream, after a burst of traffic, gives its buffers back
/// when it waits for its peer: a read that finds nothing on the socket
/// releases them before it blocks (here until a short read timeout, which
/// only ends the wait; nothing is timed).
#[test]
fn a_blocking_stream_gives_its_buffers_back_when_it_waits() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        let mut stream = Stream::accept(Arc::new(common::server_config()), sock).unwrap();
        let mut record = vec![0; RECORD];
        stream.read_exact(&mut record).unwrap();
        stream.write_all(&record).unwrap();
        // Until the client closes.
        let _ = stream.read_to_end(&mut Vec::new());
    });
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let config = Arc::new(common::client_config());
    let mut client = Stream::connect(config, "localhost", sock).unwrap();

    let mut record = vec![0x5a; RECORD];
    client.write_all(&record).unwrap();
    client.read_exact(&mut record).unwrap();
    let grown = client.connection().buffer_capacity();
    assert!(grown >= RECORD, "a 16 KiB record needs room: {grown}");

    client
        .get_mut()
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let waited = client.read(&mut record).unwrap_err();
    assert!(
        matches!(
            waited.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "{waited}"
    );
    assert_eq!(
        client.connection().buffer_capacity(),
        0,
        "the stream kept the {grown} bytes of buffers a record each way grew while it waited"
    );

    // The stream carries on: its buffers are made again as needed.
    client.get_mut().set_read_timeout(None).unwrap();
    client.close().unwrap();
    server.join().unwrap();
}
