//! Closure alerts (RFC 5246 §7.2.1): "Either party may initiate a close by
//! sending a close_notify alert. Any data received after a closure alert is
//! ignored. Unless some other fatal alert has been transmitted, each party
//! is required to send a close_notify alert before closing the write side
//! of the connection. The other party MUST respond with a close_notify
//! alert of its own and close down the connection immediately, discarding
//! any pending writes."
//!
//! First on the connection (in memory), then on the async stream, then
//! against OpenSSL in both directions: `s_server -rev` closes when it reads
//! the line `CLOSE`, `s_client` when its input ends; with `-msg` each
//! prints the alerts it sends (`>>>`) and receives (`<<<`). The bytes we
//! send are recorded, so that no record can hide behind our close_notify.
//! Data after the peer's close_notify is tests/malformed.rs's
//! `garbage_after_close_notify_is_not_read`.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use common::wire::{content_types, deliver, take, Pair};
use common::{openssl, s_server_command, start_s_server, test_data_arg, ChildGuard, Finished};
use tls12::record_layer::record::ContentType;
use tls12::{tls_error, AsyncStream, Connection, Error, Stream, Transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long any one step (a process starting, a handshake, a read) may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// What OpenSSL's `-msg` prints for a close_notify it sends or receives.
const SENT_CLOSE_NOTIFY: &str = ">>> TLS 1.2, Alert [length 0002], warning close_notify";
const RECEIVED_CLOSE_NOTIFY: &str = "<<< TLS 1.2, Alert [length 0002], warning close_notify";

// ---------------------------------------------------------------------------
// The connection, in memory.

/// A client and a server after their handshake; `client_closes` says which
/// of them is the one that closes first, returned first.
fn closer_and_peer(pair: &mut Pair, client_closes: bool) -> (&mut Connection, &mut Connection) {
    pair.complete();
    let Pair { client, server } = pair;
    if client_closes {
        (client, server)
    } else {
        (server, client)
    }
}

fn new_pair() -> Pair {
    Pair::new(common::client_config(), common::server_config())
}

/// All the application data `conn` holds.
fn read_all(conn: &mut Connection) -> Vec<u8> {
    let mut data = vec![0; conn.application_data_available()];
    let n = conn.read_application_data(&mut data);
    data.truncate(n);
    data
}

#[test]
fn nothing_is_written_after_our_close_notify() {
    for client_closes in [true, false] {
        let mut pair = new_pair();
        let (closer, peer) = closer_and_peer(&mut pair, client_closes);
        closer.send_close_notify();
        assert_eq!(closer.write_application_data(b"late"), Err(Error::Closed));
        assert_eq!(closer.renegotiate(), Err(Error::Closed));
        closer.send_close_notify();
        let wire = take(closer);
        assert_eq!(content_types(&wire), [ContentType::Alert]);
        deliver(peer, &wire).unwrap();
        assert!(peer.peer_closed(), "the one record was close_notify");
        assert_eq!(peer.application_data_available(), 0);
    }
}

#[test]
fn close_notify_is_answered_and_later_writes_refused() {
    for client_closes in [true, false] {
        let mut pair = new_pair();
        let (closer, peer) = closer_and_peer(&mut pair, client_closes);
        closer.send_close_notify();
        let close_notify = take(closer);
        deliver(peer, &close_notify).unwrap();
        assert!(peer.peer_closed());
        let answer = take(peer);
        assert_eq!(content_types(&answer), [ContentType::Alert]);
        // §7.2.1's "discarding any pending writes": the application has
        // nothing more to send.
        assert_eq!(peer.write_application_data(b"late"), Err(Error::Closed));
        assert!(!peer.wants_write(), "one answer, nothing after it");
        deliver(closer, &answer).unwrap();
        assert!(closer.peer_closed(), "the answer is a close_notify");
        assert_eq!(closer.application_data_available(), 0);
        assert!(!closer.wants_write(), "the closer has said all it will");
    }
}

#[test]
fn records_sealed_before_the_close_go_out_before_the_answer() {
    // Records already sealed when the close arrives carry sequence numbers
    // the closer expects; they go out whole, in order, and the answer
    // follows them with the next number (no number, so no AEAD nonce, is
    // ever used twice). Whether the transport had begun taking them or
    // not makes no difference.
    let first = common::printable_payload(16 * 1024, 3);
    for begun in [0, 100, 16_000] {
        for client_closes in [true, false] {
            let mut pair = new_pair();
            let (closer, peer) = closer_and_peer(&mut pair, client_closes);
            closer.send_close_notify();
            let close_notify = take(closer);
            peer.write_application_data(&first).unwrap();
            peer.write_application_data(b"queued").unwrap();
            let mut wire = vec![0; begun];
            assert_eq!(peer.write_tls(&mut &mut wire[..]).unwrap(), begun);
            deliver(peer, &close_notify).unwrap();
            wire.extend(take(peer));
            let types = content_types(&wire);
            assert_eq!(
                types,
                [
                    ContentType::ApplicationData,
                    ContentType::ApplicationData,
                    ContentType::Alert
                ]
            );
            deliver(closer, &wire).unwrap();
            let mut expected = first.clone();
            expected.extend_from_slice(b"queued");
            assert!(read_all(closer) == expected, "{begun} bytes begun");
            assert!(closer.peer_closed());
        }
    }
}

#[test]
fn a_renegotiation_request_after_our_close_notify_goes_unanswered() {
    // The server asks to renegotiate before it sees the client's
    // close_notify: the client, closed for writing, neither renegotiates
    // nor declines.
    let mut pair = new_pair();
    pair.complete();
    pair.client.send_close_notify();
    let close_notify = take(&mut pair.client);
    pair.server.renegotiate().unwrap();
    let hello_request = take(&mut pair.server);
    deliver(&mut pair.client, &hello_request).unwrap();
    assert!(!pair.client.wants_write(), "answered a HelloRequest");
    assert!(!pair.client.is_renegotiating());
    deliver(&mut pair.server, &close_notify).unwrap();
    assert!(pair.server.peer_closed());
}

// ---------------------------------------------------------------------------
// The streams, over TCP.

/// A `TcpStream` that keeps a copy of every byte it sends and receives, so
/// that a test can see the records on the wire.
struct Recorded {
    sock: TcpStream,
    sent: Vec<u8>,
    received: Vec<u8>,
}

impl Recorded {
    fn new(sock: TcpStream) -> Self {
        sock.set_read_timeout(Some(TIMEOUT)).unwrap();
        Self {
            sock,
            sent: Vec::new(),
            received: Vec::new(),
        }
    }
}

impl Read for Recorded {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.sock.read(buf)?;
        self.received.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

impl Write for Recorded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.sock.write(buf)?;
        self.sent.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.sock.flush()
    }
}

impl Transport for Recorded {
    fn linger_after_alert(&mut self) {
        tls12::linger(&self.sock);
    }
}

/// Checks that `wire` (everything one side sent) holds one alert, its last
/// record: the close_notify, with nothing behind it.
fn ends_with_the_one_alert(wire: &[u8], who: &str) {
    let types = content_types(wire);
    let alerts = types.iter().filter(|&&t| t == ContentType::Alert).count();
    assert_eq!(alerts, 1, "{who} sent {types:?}");
    assert_eq!(
        types.last(),
        Some(&ContentType::Alert),
        "{who} sent {types:?}"
    );
}

/// A write after close_notify: refused with `BrokenPipe`, wrapping
/// [`Error::Closed`].
fn assert_refused(write: std::io::Result<()>) {
    let e = write.expect_err("written after close_notify");
    assert_eq!(e.kind(), ErrorKind::BrokenPipe, "{e}");
    assert_eq!(tls_error(&e), Some(&Error::Closed));
}

/// Closes `tls` (twice: the second call sends nothing), checks that a
/// write is refused, and reads up to the peer's close_notify in answer: a
/// clean end of stream.
fn close_and_read_the_answer(tls: &mut Stream<Recorded>) {
    tls.close().unwrap();
    tls.close().unwrap();
    assert_refused(tls.write_all(b"late"));
    let mut rest = Vec::new();
    tls.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "data after close_notify");
}

/// Our blocking server, over a [`Recorded`] socket, for one connection
/// handed to `serve` after the handshake.
fn recorded_server<T: Send + 'static>(
    serve: impl FnOnce(Stream<Recorded>) -> T + Send + 'static,
) -> (u16, std::thread::JoinHandle<T>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = Arc::new(common::server_config());
    let server = std::thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        serve(Stream::accept(config, Recorded::new(sock)).unwrap())
    });
    (port, server)
}

async fn async_client(port: u16) -> AsyncStream<tokio::net::TcpStream> {
    let sock = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let config = Arc::new(common::client_config());
    let connecting = AsyncStream::connect(config, "localhost", sock);
    tokio::time::timeout(TIMEOUT, connecting)
        .await
        .expect("handshake timed out")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_shutdown_sends_close_notify_once_and_is_answered() {
    // The server reads to the client's close_notify, which it answers by
    // itself: it never calls close.
    let (port, server) = recorded_server(|mut tls| {
        let mut request = Vec::new();
        tls.read_to_end(&mut request).unwrap();
        assert_refused(tls.write_all(b"late"));
        (request, tls.get_ref().received.clone())
    });
    let mut tls = async_client(port).await;
    tls.write_all(b"hello").await.unwrap();
    tls.shutdown().await.unwrap();
    tls.shutdown().await.unwrap();
    assert_refused(tls.write_all(b"late").await);
    let mut rest = Vec::new();
    let read = tokio::time::timeout(TIMEOUT, tls.read_to_end(&mut rest)).await;
    assert_eq!(read.expect("no answer").unwrap(), 0, "the server's answer");
    let (request, from_client) = server.join().unwrap();
    assert_eq!(request, b"hello");
    ends_with_the_one_alert(&from_client, "the async client");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_read_answers_the_peer_close_notify() {
    let (port, server) = recorded_server(|mut tls| {
        tls.write_all(b"bye").unwrap();
        close_and_read_the_answer(&mut tls);
        tls.get_ref().received.clone()
    });
    let mut tls = async_client(port).await;
    let mut reply = Vec::new();
    let read = tokio::time::timeout(TIMEOUT, tls.read_to_end(&mut reply)).await;
    read.expect("no close").unwrap();
    assert_eq!(reply, b"bye");
    assert_refused(tls.write_all(b"late").await);
    let from_client = server.join().unwrap();
    ends_with_the_one_alert(&from_client, "the async client");
}

// ---------------------------------------------------------------------------
// Against OpenSSL.

/// `openssl s_server -tls1_2 -rev -msg` for one connection.
fn s_server() -> (ChildGuard, u16) {
    let mut cmd = s_server_command("ecdsa");
    cmd.args(["-naccept", "1", "-rev", "-msg"]);
    start_s_server(&mut cmd, TIMEOUT)
}

/// Our client to `port`, over a [`Recorded`] socket.
fn our_client(port: u16) -> Stream<Recorded> {
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let config = Arc::new(common::client_config());
    Stream::connect(config, "localhost", Recorded::new(sock)).unwrap()
}

/// Checks that OpenSSL's `-msg` output shows a close_notify `sent` by it
/// and one `received` from us.
fn openssl_saw(out: &Finished, sent: bool, received: bool, who: &str) {
    let said = |line: &str| out.stdout.contains(line);
    assert_eq!(said(SENT_CLOSE_NOTIFY), sent, "{who} sent: {out:#?}");
    assert_eq!(said(RECEIVED_CLOSE_NOTIFY), received, "{who} got: {out:#?}");
}

#[test]
fn s_server_closes_and_our_client_answers() {
    let (mut server, port) = s_server();
    let mut tls = our_client(port);
    tls.write_all(b"hello\nCLOSE\n").unwrap();
    let mut reply = Vec::new();
    tls.read_to_end(&mut reply).unwrap();
    assert_eq!(reply, b"olleh\n");
    // s_server exits once it has our answer.
    let out = server.finish(TIMEOUT);
    openssl_saw(&out, true, true, "s_server");
    ends_with_the_one_alert(&tls.get_ref().sent, "our client");
    assert_refused(tls.write_all(b"late"));
}

#[test]
fn our_client_closes_and_s_server_answers() {
    let (mut server, port) = s_server();
    let mut tls = our_client(port);
    tls.write_all(b"hello\n").unwrap();
    let mut reply = [0; 6];
    tls.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"olleh\n");
    close_and_read_the_answer(&mut tls);
    let sent = tls.get_ref().sent.clone();
    drop(tls);
    let out = server.finish(TIMEOUT);
    openssl_saw(&out, true, true, "s_server");
    ends_with_the_one_alert(&sent, "our client");
}

/// `openssl s_client -tls1_2 -msg` to our server on `port`; `-ign_eof`
/// keeps it reading after its input ends, until the server closes.
fn s_client(port: u16, ign_eof: bool) -> ChildGuard {
    let mut cmd = openssl();
    cmd.args(["s_client", "-tls1_2", "-msg", "-connect"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-servername", "localhost", "-verify_hostname", "localhost"])
        .args(["-CAfile", &test_data_arg("ecdsa/root.pem")])
        .arg("-verify_return_error");
    if ign_eof {
        cmd.arg("-ign_eof");
    }
    ChildGuard::spawn(&mut cmd)
}

#[test]
fn our_server_closes_and_s_client_answers() {
    let (port, server) = recorded_server(|mut tls| {
        let mut request = [0; 6];
        tls.read_exact(&mut request).unwrap();
        tls.write_all(b"pong\n").unwrap();
        close_and_read_the_answer(&mut tls);
        tls.get_ref().sent.clone()
    });
    let mut client = s_client(port, true);
    client.stdin().write_all(b"hello\n").unwrap();
    let out = client.finish(TIMEOUT);
    let sent = server.join().unwrap();
    assert!(out.status.success(), "{out:#?}");
    assert!(out.stdout.contains("pong"), "{out:#?}");
    // s_client's word for a connection its peer closed with close_notify.
    assert!(out.stdout.lines().any(|l| l == "closed"), "{out:#?}");
    openssl_saw(&out, true, true, "s_client");
    ends_with_the_one_alert(&sent, "our server");
}

#[test]
fn s_client_closes_and_our_server_answers() {
    // At the end of its input s_client sends close_notify and exits
    // without waiting for the answer (§7.2.1 allows it), so only our
    // recording shows the answer.
    let (port, server) = recorded_server(|mut tls| {
        let mut request = Vec::new();
        tls.read_to_end(&mut request).unwrap();
        let sent = tls.get_ref().sent.clone();
        (request, sent, tls.write_all(b"late"))
    });
    let mut client = s_client(port, false);
    client.stdin().write_all(b"hello\n").unwrap();
    let out = client.finish(TIMEOUT);
    let (request, sent, late) = server.join().unwrap();
    assert!(out.status.success(), "{out:#?}");
    assert_eq!(request, b"hello\n");
    assert!(out.stdout.contains(SENT_CLOSE_NOTIFY), "{out:#?}");
    ends_with_the_one_alert(&sent, "our server");
    assert_refused(late);
}
