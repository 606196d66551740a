//! The example server under load, on loopback only.
//!
//! - `two_hundred_clients_at_once_each_full_then_resumed`: 200 clients,
//!   released together by a barrier, each make a full handshake and then a
//!   resumed one (by session ticket) with `examples/server.rs`, and check
//!   the page it sends back: it must describe *their* connection (their
//!   source port, their randoms, their session) and say whether it
//!   resumed. No connection may be lost, and the whole test has a deadline
//!   after which it fails instead of hanging.
//! - `a_silent_client_is_dropped_after_the_timeout_and_blocks_no_one`: a
//!   client that connects and sends nothing (and one that stops inside a
//!   record header) is cut off after the server's `--timeout`, while other
//!   clients are served meanwhile.
//!
//! The two tests take turns (a lock), so that the timing of the second is
//! not disturbed by the first. `cargo test` builds the example server;
//! `cargo test --test load` alone does not (run `cargo build --examples`
//! first).

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::ChildGuard;
use tls12::session_store::MemoryStore;
use tls12::{ClientConfig, Stream};

/// How many clients run at once.
const CLIENTS: usize = 200;

/// The whole load test must be done by then.
const DEADLINE: Duration = Duration::from_secs(60);

/// How long one client waits on its socket before it gives up (so that a
/// stuck client ends by itself, after the deadline has failed the test).
const SOCKET_TIMEOUT: Duration = Duration::from_secs(30);

/// The tests of this file run one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// The example server on a free loopback port (see [`common::example_server`]).
fn example_server(extra: &[&str]) -> (ChildGuard, SocketAddr) {
    common::example_server::start(extra)
}

/// The value of a `  name:   value` line of the example server's page.
fn field<'a>(page: &'a str, name: &str) -> Result<&'a str, String> {
    page.lines()
        .find_map(|l| l.trim_start().strip_prefix(name))
        .map(str::trim)
        .ok_or_else(|| format!("no {name:?} on the page:\n{page}"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Fails with `what` and both values unless they are equal.
fn expect_eq(what: &str, got: &str, expected: &str) -> Result<(), String> {
    if got == expected {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, expected {expected:?}"))
    }
}

/// One `GET /` over a new connection: the handshake, the request, the
/// whole response. Checks the response byte count against its
/// Content-Length and the page against what our side of the connection
/// knows; returns how the handshake went.
fn visit(config: &Arc<ClientConfig>, server: SocketAddr) -> Result<Handshake, String> {
    let sock = TcpStream::connect_timeout(&server, SOCKET_TIMEOUT).map_err(|e| e.to_string())?;
    sock.set_read_timeout(Some(SOCKET_TIMEOUT))
        .and_then(|()| sock.set_write_timeout(Some(SOCKET_TIMEOUT)))
        .map_err(|e| e.to_string())?;
    let me = sock.local_addr().map_err(|e| e.to_string())?;
    let name = format!("localhost:{}", server.port());
    let mut stream =
        Stream::connect(config.clone(), &name, sock).map_err(|e| format!("handshake: {e}"))?;
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .map_err(|e| format!("request: {e}"))?;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .map_err(|e| format!("response: {e}"))?;
    let response = String::from_utf8(response).map_err(|e| e.to_string())?;
    let (head, page) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("no end of head in {response:?}"))?;
    if !head.starts_with("HTTP/1.1 200 OK\r\n") {
        return Err(format!("status: {head}"));
    }
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .ok_or("no Content-Length")?;
    expect_eq("Content-Length", length, &page.len().to_string())?;

    let est = stream.connection().established().ok_or("no handshake")?;
    expect_eq(
        "peer address",
        field(page, "peer address:")?,
        &me.to_string(),
    )?;
    expect_eq(
        "cipher suite",
        field(page, "cipher suite:")?,
        est.session.cipher_suite.rfc_name(),
    )?;
    expect_eq(
        "client random",
        field(page, "client random:")?,
        &hex(&est.client_random.0),
    )?;
    expect_eq(
        "server random",
        field(page, "server random:")?,
        &hex(&est.server_random.0),
    )?;
    expect_eq(
        "session id",
        field(page, "session id:")?,
        &hex(est.session.session_id.as_bytes()),
    )?;
    let kind = if est.resumed {
        "resumed"
    } else {
        "new (full handshake)"
    };
    expect_eq("this handshake", field(page, "this handshake:")?, kind)?;
    Ok(
        match (
            est.resumed,
            est.server_hello_session_id == est.session.session_id,
        ) {
            (false, _) => Handshake::Full,
            (true, true) => Handshake::ResumedById,
            // RFC 5077 §3.4: with a ticket the client sends a fresh session id,
            // which the server echoes; the session keeps its own.
            (true, false) => Handshake::ResumedByTicket,
        },
    )
}

/// What kind of handshake a visit made.
#[derive(Debug, PartialEq, Eq)]
enum Handshake {
    Full,
    ResumedById,
    ResumedByTicket,
}

/// One client of the load test: waits for the others, then a full
/// handshake and a resumed one.
fn client(config: Arc<ClientConfig>, server: SocketAddr, start: &Barrier) -> Result<(), String> {
    start.wait();
    let first = visit(&config, server).map_err(|e| format!("first visit: {e}"))?;
    let second = visit(&config, server).map_err(|e| format!("second visit: {e}"))?;
    match (first, second) {
        (Handshake::Full, Handshake::ResumedByTicket) => Ok(()),
        other => Err(format!(
            "expected a full handshake, then a resumption by ticket: {other:?}"
        )),
    }
}

#[test]
fn two_hundred_clients_at_once_each_full_then_resumed() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (mut server, addr) = example_server(&["--session-cache", "memory", "--tickets"]);
    let base = common::client_config();
    let start = Arc::new(Barrier::new(CLIENTS));
    let (done, results) = mpsc::channel();
    let began = Instant::now();
    for i in 0..CLIENTS {
        // Each client keeps its own sessions, so each resumes its own.
        let mut config = base.clone();
        config.session_store = Some(Arc::new(MemoryStore::new(1)));
        let config = Arc::new(config);
        let (start, done) = (start.clone(), done.clone());
        thread::Builder::new()
            .name(format!("client {i}"))
            .spawn(move || {
                let result = client(config, addr, &start);
                // The receiver is gone only when the test already failed.
                let _ = done.send((i, result));
            })
            .unwrap();
    }
    drop(done);

    let mut failures = Vec::new();
    let mut finished = 0;
    while finished < CLIENTS {
        let left = DEADLINE.saturating_sub(began.elapsed());
        match results.recv_timeout(left) {
            Ok((i, result)) => {
                finished += 1;
                if let Err(e) = result {
                    failures.push(format!("client {i}: {e}"));
                }
            }
            Err(e) => {
                let out = server.stop();
                panic!(
                    "{finished} of {CLIENTS} clients done after {:?} ({e:?}); \
                     failures: {failures:#?}\nserver output:\n{}",
                    began.elapsed(),
                    out.stdout
                );
            }
        }
    }
    let elapsed = began.elapsed();
    let out = server.stop();
    assert!(
        failures.is_empty(),
        "{} of {CLIENTS} clients failed: {failures:#?}\nserver output:\n{}",
        failures.len(),
        out.stdout
    );
    // Any line but "listening on" is an error about a client.
    let errors: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| !l.starts_with("listening on"))
        .collect();
    assert!(errors.is_empty(), "the server reported errors: {errors:#?}");
    println!(
        "{CLIENTS} clients, {} handshakes, in {elapsed:?}",
        2 * CLIENTS
    );
}

#[test]
fn a_silent_client_is_dropped_after_the_timeout_and_blocks_no_one() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let timeout = Duration::from_secs(2);
    let (mut server, addr) = example_server(&["--session-cache", "memory", "--timeout", "2"]);
    let opened = Instant::now();
    // One says nothing at all; one stops after three bytes of a record
    // header ("slowloris").
    let silent = TcpStream::connect(addr).unwrap();
    let mut slow = TcpStream::connect(addr).unwrap();
    slow.write_all(&[22, 3, 1]).unwrap();

    // Meanwhile, other clients are served.
    let config = Arc::new(common::client_config());
    for _ in 0..5 {
        assert_eq!(visit(&config, addr), Ok(Handshake::Full));
    }
    let served = opened.elapsed();

    // Then both are dropped: the server closes them (end of stream).
    let mut dropped_at = Vec::new();
    for mut sock in [&silent, &slow] {
        sock.set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let read = sock.read(&mut [0; 64]);
        let at = opened.elapsed();
        assert!(
            matches!(read, Ok(0))
                || read
                    .as_ref()
                    .is_err_and(|e| e.kind() != std::io::ErrorKind::WouldBlock),
            "not closed by the server: {read:?} after {at:?}"
        );
        dropped_at.push(at);
    }
    for at in &dropped_at {
        assert!(
            *at >= timeout - Duration::from_millis(100),
            "dropped before the timeout: {at:?}"
        );
        assert!(*at < timeout * 5, "dropped long after the timeout: {at:?}");
        assert!(
            served < *at,
            "the others were served ({served:?}) only after the silent one went ({at:?})"
        );
    }

    // The server says why, naming each. (It prints after closing the
    // socket, so the lines may come a moment after the end of stream.)
    let said: Vec<String> = (0..2)
        .map(|_| server.wait_for_line("127.0.0.1:", Duration::from_secs(5)))
        .collect();
    for sock in [&silent, &slow] {
        let me = sock.local_addr().unwrap().to_string();
        assert!(
            said.iter().any(|l| l.starts_with(&format!("{me}: "))),
            "no error for {me} in {said:#?}"
        );
    }
    server.stop();
    println!("served 5 while two sat silent; they were dropped at {dropped_at:?}");
}
