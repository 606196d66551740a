//! A fatal alert must reach a peer that sent more than we read (issue 11,
//! item 7).
//!
//! A server that fails on a record and closes its socket at once, while
//! the peer's later bytes sit unread in the kernel, makes the kernel answer
//! with a reset (RFC 1122 §4.2.2.13); the peer's stack then typically
//! throws away what it had not yet read, our alert included, and the peer
//! sees "connection reset" instead of the reason. [`tls12::Stream`] shuts
//! down writing after a fatal alert and drains (bounded in bytes and time)
//! before the socket is closed.
//!
//! - `the_alert_reaches_a_client_that_kept_sending`: a raw TCP client sends
//!   a broken ClientHello and 200 KiB after it, then reads: it must get the
//!   fatal alert record and a clean end of stream, from `Stream::accept`
//!   and from the example server.
//! - `lingering_is_bounded_in_bytes_and_time`: a client that never stops
//!   sending, and one that sends nothing more and never closes, hold the
//!   server only for the bounded drain.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// A handshake record holding a ClientHello whose body is cut short: any
/// server must refuse it with a fatal alert.
const BROKEN_HELLO: [u8; 9] = [22, 3, 3, 0, 4, 1, 0, 0, 0];

/// What the client sends after it: more than the server reads before it
/// fails, less than what [`tls12::ALERT_LINGER_BYTES`] drains.
const MORE: usize = 200 * 1024;

/// Sends the broken hello and `MORE` bytes, then reads to the end. Returns
/// what came back; panics if the connection was reset instead.
fn send_broken_hello_and_more(server: SocketAddr) -> Vec<u8> {
    let mut sock = TcpStream::connect(server).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut bytes = BROKEN_HELLO.to_vec();
    bytes.resize(BROKEN_HELLO.len() + MORE, 0);
    sock.write_all(&bytes).unwrap();
    let mut reply = Vec::new();
    match sock.read_to_end(&mut reply) {
        Ok(_) => reply,
        Err(e) => panic!(
            "read {} bytes ({reply:02x?}), then {e} ({:?}): the alert did not arrive whole",
            reply.len(),
            e.kind()
        ),
    }
}

/// `reply` is exactly one unprotected fatal alert record.
fn assert_one_fatal_alert(reply: &[u8]) {
    assert_eq!(reply.len(), 7, "not one alert record: {reply:02x?}");
    assert_eq!(
        &reply[..5],
        &[21, 3, 3, 0, 2],
        "not an alert record: {reply:02x?}"
    );
    assert_eq!(reply[5], 2, "not a fatal alert: {reply:02x?}");
}

#[test]
fn the_alert_reaches_a_client_that_kept_sending() {
    let (port, server) = common::serve_once(common::server_config(), |r| r.map(|_| ()));
    let reply = send_broken_hello_and_more(SocketAddr::from(([127, 0, 0, 1], port)));
    assert_one_fatal_alert(&reply);
    let err = server.join().unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData, "{err}");
}

#[test]
fn the_example_server_delivers_its_alert_to_a_client_that_kept_sending() {
    let (mut server, addr) = common::example_server::start(&["--session-cache", "memory"]);
    for _ in 0..3 {
        assert_one_fatal_alert(&send_broken_hello_and_more(addr));
    }
    server.stop();
}

/// Runs `client` against a `Stream::accept` that fails on its broken
/// hello; the server must be done (with the error) well within `bound`,
/// while the client is still there.
fn server_is_released(client: impl FnOnce(TcpStream) + Send + 'static, bound: Duration) {
    let (port, server) = common::serve_once(common::server_config(), |r| r.map(|_| ()));
    let mut sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.write_all(&BROKEN_HELLO).unwrap();
    let (done, released) = mpsc::channel();
    thread::spawn(move || {
        let _ = done.send(server.join());
    });
    let peer = thread::spawn(move || client(sock));
    let result = released
        .recv_timeout(bound)
        .unwrap_or_else(|_| panic!("the server still lingers after {bound:?}"));
    assert!(result.unwrap().is_err());
    assert!(
        !peer.is_finished(),
        "the client left first: not a test of the bound"
    );
}

#[test]
fn lingering_is_bounded_in_bytes_and_time() {
    // Far more than ALERT_LINGER_BYTES, as fast as it can; the writes end
    // with an error once the server is gone, and the client then stays
    // (holding its socket) past the bound, so that "the server was
    // released while the client was still there" is what is measured.
    server_is_released(
        |mut sock| {
            let block = [0u8; 64 * 1024];
            let _ = (0..1024).try_for_each(|_| sock.write_all(&block));
            thread::sleep(Duration::from_secs(12));
            drop(sock);
        },
        Duration::from_secs(10),
    );
    // Nothing more, and no close, for longer than the bound.
    server_is_released(
        |sock| {
            thread::sleep(Duration::from_secs(12));
            drop(sock);
        },
        Duration::from_secs(10),
    );
}
