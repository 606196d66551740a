//! The example servers' limits against slow and greedy clients (issue 11,
//! item 11; issue 20, item 5: every timeout flag of both servers takes
//! effect): each test starts `examples/server.rs`, then
//! `examples/async_server.rs`, with one limit short and the others long, so
//! that only the limit under test can end the client.
//!
//! - `a_client_trickling_its_hello_is_dropped_at_the_handshake_deadline`:
//!   one byte every 100 ms, so no single read ever waits long: only
//!   `--handshake-timeout` can end it.
//! - `a_client_trickling_its_request_is_dropped_at_the_request_deadline`:
//!   the same after the handshake, one byte per record: `--request-timeout`.
//! - `a_client_that_stops_reading_is_dropped_after_the_write_timeout`:
//!   pipelines requests and never reads the answers: `--write-timeout`.
//! - `a_silent_client_is_dropped_after_the_read_timeout`: completes the
//!   handshake, then sends nothing: `--timeout 1` closes it, and the
//!   client's read (which would wait 20 s) sees the end of the connection.
//! - `connections_beyond_the_limit_are_refused_until_one_ends`: with
//!   `--max-connections 2` and two clients holding their slots, a third is
//!   refused (closed at once); once one ends, a new client is served.
//!
//! The bounds are generous (seconds to spare): the tests assert that a
//! client is dropped, and by which limit, not how fast. `cargo test` builds
//! the example servers; `cargo test --test server_limits` alone does not
//! (run `cargo build --examples` first).

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::ChildGuard;
use tls12::Stream;

/// Longer than any test needs: a limit set to this never fires.
const NEVER: &str = "300";

/// A limit under test fires this long after its start, at the latest,
/// however loaded the machine: the tests fail if a client lasts longer.
const GENEROUS: Duration = Duration::from_secs(20);

/// How often a trickling client sends its next byte.
const TRICKLE: Duration = Duration::from_millis(100);

/// The two example servers: one thread per connection, and tokio tasks.
const EXAMPLES: [&str; 2] = ["server", "async_server"];

/// The example server `example` with every limit at [`NEVER`] but
/// `limits`.
fn server_with(example: &str, limits: &[&str]) -> (ChildGuard, SocketAddr) {
    let mut args = vec!["--session-cache", "memory"];
    for flag in [
        "--timeout",
        "--handshake-timeout",
        "--request-timeout",
        "--write-timeout",
    ] {
        if !limits.contains(&flag) {
            args.extend([flag, NEVER]);
        }
    }
    args.extend(limits);
    common::example_server::start_example(example, &args)
}

/// Waits for the server's line about the client at `client`, and checks
/// that it says `why`.
fn assert_dropped_for(server: &mut ChildGuard, client: SocketAddr, why: &str) {
    let line = server.wait_for_line(&format!("{client}: "), GENEROUS);
    assert!(line.contains(why), "dropped, but not for {why:?}: {line}");
}

/// Sends `bytes` one at a time through `send`, [`TRICKLE`] apart, until
/// a send fails (the server is gone), the bytes run out or [`GENEROUS`] has
/// passed. Returns how long it went on.
fn trickle(bytes: &[u8], mut send: impl FnMut(u8) -> std::io::Result<()>) -> Duration {
    let began = Instant::now();
    for &b in bytes {
        if send(b).is_err() || began.elapsed() > GENEROUS {
            break;
        }
        thread::sleep(TRICKLE);
    }
    began.elapsed()
}

#[test]
fn a_client_trickling_its_hello_is_dropped_at_the_handshake_deadline() {
    for example in EXAMPLES {
        let (mut server, addr) = server_with(example, &["--handshake-timeout", "2"]);
        let mut sock = TcpStream::connect(addr).unwrap();
        let me = sock.local_addr().unwrap();
        // A handshake record header announcing 16 KiB, then its body byte by
        // byte: at this pace it would take 27 minutes to arrive.
        let mut hello = vec![22, 3, 1, 0x40, 0x00];
        hello.resize(5 + 0x4000, 0);
        let lasted = trickle(&hello, |b| sock.write_all(&[b]));
        assert!(
            lasted < GENEROUS,
            "still connected after {lasted:?} of trickling"
        );
        assert_dropped_for(&mut server, me, "the handshake took longer than 2s");
        server.stop();
    }
}

#[test]
fn a_client_trickling_its_request_is_dropped_at_the_request_deadline() {
    for example in EXAMPLES {
        let (mut server, addr) = server_with(example, &["--request-timeout", "2"]);
        let sock = TcpStream::connect(addr).unwrap();
        let me = sock.local_addr().unwrap();
        let config = Arc::new(common::client_config());
        let mut tls = Stream::connect(config, "localhost", sock).unwrap();
        // A request head that never ends, one byte per record.
        let mut head = b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ".to_vec();
        head.resize(4096, b'a');
        let lasted = trickle(&head, |b| tls.write_all(&[b]));
        assert!(
            lasted < GENEROUS,
            "still connected after {lasted:?} of trickling"
        );
        assert_dropped_for(&mut server, me, "the request took longer than 2s");
        server.stop();
    }
}

#[test]
fn a_client_that_stops_reading_is_dropped_after_the_write_timeout() {
    for example in EXAMPLES {
        let (mut server, addr) = server_with(example, &["--write-timeout", "2"]);
        let sock = TcpStream::connect(addr).unwrap();
        let me = sock.local_addr().unwrap();
        // Our own writes block once the server stops reading: never for ever.
        sock.set_write_timeout(Some(GENEROUS * 2)).unwrap();
        let config = Arc::new(common::client_config());
        let mut tls = Stream::connect(config, "localhost", sock).unwrap();
        // Far more answers than the sockets' buffers hold (about 1.4 KiB
        // each), and none of them read.
        let writer = thread::spawn(move || {
            let batch = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".repeat(100);
            let _ = (0..300).try_for_each(|_| tls.write_all(&batch));
            tls
        });
        // The blocking server bounds each write; the async one each answer.
        let why = match example {
            "server" => "the client read nothing of our data for 2s",
            _ => "writing the answer took longer than 2s",
        };
        assert_dropped_for(&mut server, me, why);
        // The writer's blocked write fails once the server is gone.
        drop(writer.join().unwrap());
        server.stop();
    }
}

#[test]
fn a_silent_client_is_dropped_after_the_read_timeout() {
    for example in EXAMPLES {
        let (mut server, addr) = server_with(example, &["--timeout", "1"]);
        let sock = TcpStream::connect(addr).unwrap();
        let me = sock.local_addr().unwrap();
        let config = Arc::new(common::client_config());
        let mut tls = Stream::connect(config, "localhost", sock).unwrap();
        // Say nothing, and wait far longer than the timeout for the server.
        tls.get_ref().set_read_timeout(Some(GENEROUS)).unwrap();
        let read = tls.read(&mut [0; 64]);
        let waited_out = matches!(&read, Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut));
        assert!(!waited_out, "{example} kept a silent client: {read:?}");
        assert!(!matches!(read, Ok(n) if n > 0), "{example} sent data");
        assert_dropped_for(&mut server, me, "the client sent nothing for 1s");
        server.stop();
    }
}

/// One `GET /` over a new connection; `Err` if the server refused it.
fn visit(addr: SocketAddr) -> Result<String, std::io::Error> {
    let sock = TcpStream::connect(addr)?;
    sock.set_read_timeout(Some(GENEROUS))?;
    let config = Arc::new(common::client_config());
    let mut tls = Stream::connect(config, "localhost", sock)?;
    tls.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
    let mut page = String::new();
    tls.read_to_string(&mut page)?;
    Ok(page)
}

/// True when the server closed `sock` without a word: end of stream or a
/// reset, not a read that waited out its timeout.
fn closed_at_once(mut sock: &TcpStream) -> bool {
    sock.set_read_timeout(Some(GENEROUS)).unwrap();
    match sock.read(&mut [0; 16]) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
    }
}

#[test]
fn connections_beyond_the_limit_are_refused_until_one_ends() {
    for example in EXAMPLES {
        let (mut server, addr) = server_with(example, &["--max-connections", "2"]);
        // Two clients that say nothing hold both slots (their handshakes
        // would wait for NEVER seconds).
        let first = TcpStream::connect(addr).unwrap();
        let _second = TcpStream::connect(addr).unwrap();
        let third = TcpStream::connect(addr).unwrap();
        assert!(
            closed_at_once(&third),
            "the third connection was not refused"
        );
        let line = server.wait_for_line("refused", GENEROUS);
        assert!(
            line.starts_with(&format!("{}: ", third.local_addr().unwrap())),
            "refused someone else: {line}"
        );
        assert!(visit(addr).is_err(), "served a client over the limit");

        // The first one leaves: its slot is free again (as soon as its thread
        // has ended: keep asking, a refusal at a time).
        let me = first.local_addr().unwrap();
        drop(first);
        server.wait_for_line(&format!("{me}: "), GENEROUS);
        let began = Instant::now();
        let page = loop {
            match visit(addr) {
                Ok(page) => break page,
                Err(e) if began.elapsed() < GENEROUS => {
                    eprintln!("not yet: {e}");
                    thread::sleep(Duration::from_millis(50));
                }
                Err(e) => panic!("no client served after a slot came free: {e}"),
            }
        };
        assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "{page}");
        server.stop();
    }
}
