//! The async stream ([`tls12::AsyncStream`], feature `tokio`) against
//! peers we did not write, mirroring the blocking stream's tests: OpenSSL's
//! `s_server` and `s_client` for every suite, resumption by session id and
//! by ticket, renegotiation started by either side, and truncation (a
//! transport that ends without close_notify, RFC 5246 §7.2.1).
//!
//! The tests run on tokio's multi-threaded runtime: the test body waits on
//! OpenSSL processes with blocking calls while our side runs in tasks.

mod common;

use std::io::{ErrorKind, Write as _};
use std::sync::Arc;
use std::time::Duration;

use common::{openssl, s_server_command, start_s_server, test_data_arg, ChildGuard};
use tls12::record_layer::suites::SignatureKind;
use tls12::session_store::{MemoryStore, TicketKeys};
use tls12::{system_clock, AsyncStream, CipherSuite, ClientConfig, Event, ServerConfig};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// How long any one step (a process starting, a handshake, a read) may take.
const TIMEOUT: Duration = Duration::from_secs(10);

type Tls = AsyncStream<TcpStream>;

/// The test PKI whose `localhost` certificate can serve `suite`.
fn pki(suite: CipherSuite) -> &'static str {
    match suite.signature_kind() {
        SignatureKind::Ecdsa => "ecdsa",
        SignatureKind::Rsa => "rsa",
    }
}

/// `openssl s_server -tls1_2 -rev` on a free loopback port serving `pki`'s
/// localhost chain, for `naccept` connections; `-rev` answers each line
/// with the line reversed.
fn s_server(pki: &str, naccept: usize, extra: &[&str]) -> (ChildGuard, u16) {
    let mut cmd = s_server_command(pki);
    cmd.arg("-rev")
        .args(["-naccept", &naccept.to_string()])
        .args(extra);
    start_s_server(&mut cmd, TIMEOUT)
}

/// `openssl s_client -tls1_2` to our server on `port`, verifying the
/// certificate under `pki`'s root for localhost; stderr merged into
/// stdout (for "RENEGOTIATING").
fn s_client(port: u16, pki: &str, extra: &[&str]) -> ChildGuard {
    let mut cmd = openssl();
    cmd.args(["s_client", "-tls1_2", "-connect"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-servername", "localhost", "-verify_hostname", "localhost"])
        .args(["-CAfile", &test_data_arg(&format!("{pki}/root.pem"))])
        .arg("-verify_return_error")
        .args(extra);
    ChildGuard::spawn_merged(&mut cmd)
}

async fn connect(config: &Arc<ClientConfig>, port: u16) -> Tls {
    let sock = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let server = format!("localhost:{port}");
    let connecting = AsyncStream::connect(config.clone(), &server, sock);
    tokio::time::timeout(TIMEOUT, connecting)
        .await
        .expect("handshake timed out")
        .unwrap_or_else(|e| panic!("handshake with {server}: {e}"))
}

/// Our async server on a loopback port for `connections` clients, one
/// after the other, each handed to `serve` after the handshake.
async fn our_server<T, F>(
    config: ServerConfig,
    connections: usize,
    serve: impl Fn(Tls) -> F + Send + 'static,
) -> (u16, JoinHandle<Vec<T>>)
where
    F: std::future::Future<Output = T> + Send,
    T: Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = Arc::new(config);
    let task = tokio::spawn(async move {
        let mut results = Vec::new();
        for _ in 0..connections {
            let (sock, _) = tokio::time::timeout(TIMEOUT, listener.accept())
                .await
                .expect("no client came")
                .unwrap();
            let accepting = AsyncStream::accept(config.clone(), sock);
            let tls = tokio::time::timeout(TIMEOUT, accepting)
                .await
                .expect("handshake timed out")
                .unwrap_or_else(|e| panic!("our server's handshake: {e}"));
            results.push(serve(tls).await);
        }
        results
    });
    (port, task)
}

/// Sends `line` to `s_server -rev` and checks it comes back reversed.
async fn check_reversed(tls: &mut Tls, line: &[u8]) {
    tls.write_all(&[line, b"\n"].concat()).await.unwrap();
    let mut reply = vec![0; line.len() + 1];
    tokio::time::timeout(TIMEOUT, tls.read_exact(&mut reply))
        .await
        .expect("no reply")
        .unwrap();
    let mut expected: Vec<u8> = line.iter().rev().copied().collect();
    expected.push(b'\n');
    assert!(reply == expected, "s_server -rev answered something else");
}

/// Reads until close_notify or end of stream, whichever comes.
async fn drain(tls: &mut Tls) {
    let mut buf = [0u8; 4096];
    while let Ok(Ok(n)) = tokio::time::timeout(TIMEOUT, tls.read(&mut buf)).await {
        if n == 0 {
            break;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_async_client_to_s_server_every_suite() {
    let config = Arc::new(common::client_config());
    for suite in CipherSuite::ALL {
        let (mut server, port) = s_server(pki(suite), 1, &["-cipher", suite.openssl_name()]);
        let mut tls = connect(&config, port).await;
        let est = tls.connection().established().unwrap();
        assert_eq!(est.session.cipher_suite, suite);
        check_reversed(&mut tls, b"hello, openssl").await;
        // s_server -rev reverses lines of up to 16 KiB.
        check_reversed(&mut tls, &common::printable_payload(5000, 1)).await;
        tls.shutdown().await.unwrap();
        drop(tls);
        let out = server.finish(TIMEOUT);
        assert!(out.status.success(), "s_server failed: {out:#?}");
        let expected = format!("Ciphersuite: {}", suite.openssl_name());
        assert!(out.stderr.contains(&expected), "{suite:?}: {out:#?}");
        assert!(out.stderr.contains("CONNECTION CLOSED"), "{out:#?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s_client_to_our_async_server_every_suite() {
    let request = common::printable_payload(20_000, 2);
    for suite in CipherSuite::ALL {
        let request_len = request.len();
        let (port, server) = our_server(common::server_config(), 1, move |mut tls| async move {
            let mut received = vec![0; request_len];
            tls.read_exact(&mut received).await?;
            tls.write_all(b"pong:").await?;
            tls.write_all(&received).await?;
            tls.shutdown().await?;
            let suite = tls.connection().established().unwrap().session.cipher_suite;
            std::io::Result::Ok((received, suite))
        })
        .await;
        let mut client = s_client(
            port,
            pki(suite),
            &["-ign_eof", "-cipher", suite.openssl_name()],
        );
        client.stdin().write_all(&request).unwrap();
        let out = client.finish(TIMEOUT);
        let (received, negotiated) = server.await.unwrap().pop().unwrap().unwrap();
        assert!(out.status.success(), "s_client failed: {out:#?}");
        assert!(received == request, "{suite:?}: our server got other bytes");
        assert_eq!(negotiated, suite);
        let reply = [b"pong:".as_slice(), &request].concat();
        assert!(out.stdout.contains(std::str::from_utf8(&reply).unwrap()));
        let cipher_is = format!("Cipher is {}", suite.openssl_name());
        assert!(out.stdout.contains(&cipher_is), "{out:#?}");
        assert!(out.stdout.contains("Verify return code: 0 (ok)"));
    }
}

/// A server that only `tickets` (or only its session cache) can resume.
fn resuming_server(tickets: bool) -> ServerConfig {
    let mut config = common::server_config();
    if tickets {
        config.ticket_keys = Some(Arc::new(TicketKeys::new(system_clock()).unwrap()));
    } else {
        config.session_store = Some(Arc::new(MemoryStore::new(64)));
    }
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s_client_reconnect_resumes_with_our_async_server_by_id_and_ticket() {
    // `s_client -reconnect`: one full handshake, then five reconnections
    // offering the session; `-no_ticket` leaves only the id.
    for (tickets, extra) in [(false, &["-no_ticket"][..]), (true, &[])] {
        let (port, server) = our_server(resuming_server(tickets), 6, |mut tls| async move {
            let resumed = tls.connection().established().unwrap().resumed;
            drain(&mut tls).await;
            resumed
        })
        .await;
        let mut client = s_client(port, "ecdsa", &[&["-reconnect"], extra].concat());
        client.close_stdin();
        let out = client.finish(TIMEOUT);
        assert!(out.status.success(), "s_client failed: {out:#?}");
        let resumed = server.await.unwrap();
        assert_eq!(resumed, [false, true, true, true, true, true], "{out:#?}");
        let reused = out.stdout.matches("Reused, TLSv1.2,").count();
        assert_eq!(reused, 5, "tickets: {tickets}: {out:#?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_async_client_resumes_with_s_server_by_id_and_ticket() {
    for tickets in [false, true] {
        let (mut server, port) = s_server("ecdsa", 2, &[]);
        let mut config = common::client_config();
        config.session_store = Some(Arc::new(MemoryStore::new(64)));
        config.enable_tickets = tickets;
        let config = Arc::new(config);
        let mut sessions = Vec::new();
        for _ in 0..2 {
            let mut tls = connect(&config, port).await;
            check_reversed(&mut tls, b"resume me").await;
            let est = tls.connection().established().unwrap();
            sessions.push((est.resumed, est.session.clone(), est.session_ticket));
            tls.shutdown().await.unwrap();
        }
        let out = server.finish(TIMEOUT);
        assert!(out.status.success(), "s_server failed: {out:#?}");
        let [(false, first, first_ticket), (true, second, _)] = &sessions[..] else {
            panic!("tickets: {tickets}: not full then resumed: {sessions:?}");
        };
        assert_eq!(
            first.master_secret().as_bytes(),
            second.master_secret().as_bytes()
        );
        assert_eq!(*first_ticket, tickets, "{first:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_async_client_renegotiates_with_s_server() {
    // OpenSSL 3 refuses client-initiated renegotiation unless told otherwise.
    let (mut server, port) = s_server("ecdsa", 1, &["-client_renegotiation"]);
    let mut tls = connect(&Arc::new(common::client_config()), port).await;
    check_reversed(&mut tls, b"before the renegotiation").await;
    let first = tls.connection().session().unwrap().clone();
    tokio::time::timeout(TIMEOUT, tls.renegotiate())
        .await
        .expect("renegotiation timed out")
        .unwrap();
    let conn = tls.connection_mut();
    assert_eq!(conn.handshake_count(), 2);
    assert_eq!(conn.next_event(), Some(completed(1)));
    assert_eq!(conn.next_event(), Some(completed(2)));
    let second = conn.session().unwrap().clone();
    assert_ne!(
        first.master_secret().as_bytes(),
        second.master_secret().as_bytes()
    );
    check_reversed(&mut tls, b"after the renegotiation").await;
    tls.shutdown().await.unwrap();
    drop(tls);
    let out = server.finish(TIMEOUT);
    assert!(out.status.success(), "s_server failed: {out:#?}");
    assert!(
        out.stdout.contains("   2 server accepts that finished"),
        "{out:#?}"
    );
}

fn completed(handshake_count: u32) -> Event {
    Event::HandshakeComplete {
        handshake_count,
        resumed: false,
    }
}

/// Our async server for one `s_client`: answers each line with
/// "handshakes: N" (this connection's count so far); with `hello_request`,
/// renegotiates after the first answer. Returns the connection's events.
async fn line_server(hello_request: bool) -> (u16, JoinHandle<Vec<Vec<Event>>>) {
    our_server(common::server_config(), 1, move |tls| async move {
        let mut tls = BufReader::new(tls);
        let mut line = String::new();
        while tls.read_line(&mut line).await.unwrap() > 0 {
            let count = tls.get_ref().connection().handshake_count();
            let answer = format!("handshakes: {count}\n");
            tls.write_all(answer.as_bytes()).await.unwrap();
            if hello_request && count == 1 {
                tls.get_mut().renegotiate().await.unwrap();
            }
            line.clear();
        }
        let conn = tls.get_mut().connection_mut();
        std::iter::from_fn(|| conn.next_event()).collect()
    })
    .await
}

/// Sends a line through `s_client` and waits for our server's answer.
fn ask(client: &mut ChildGuard, expected: &str) {
    client.stdin().write_all(b"hello\n").unwrap();
    client.stdin().flush().unwrap();
    client.wait_for_line(expected, TIMEOUT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s_client_answers_our_async_servers_hello_request() {
    let (port, server) = line_server(true).await;
    let mut client = s_client(port, "ecdsa", &[]);
    ask(&mut client, "handshakes: 1");
    ask(&mut client, "handshakes: 2");
    let out = client.finish(TIMEOUT);
    assert!(out.status.success(), "s_client failed: {out:#?}");
    // OpenSSL answers HelloRequest offering the connection's session; our
    // server has no session cache, so the second handshake is a full one.
    assert_eq!(server.await.unwrap()[0], [completed(1), completed(2)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s_client_renegotiates_with_our_async_server() {
    let (port, server) = line_server(false).await;
    let mut client = s_client(port, "ecdsa", &[]);
    ask(&mut client, "handshakes: 1");
    // A buffer that starts with "R" is s_client's command to renegotiate.
    client.stdin().write_all(b"R\n").unwrap();
    client.stdin().flush().unwrap();
    client.wait_for_line("RENEGOTIATING", TIMEOUT);
    ask(&mut client, "handshakes: 2");
    let out = client.finish(TIMEOUT);
    assert!(out.status.success(), "s_client failed: {out:#?}");
    assert_eq!(server.await.unwrap()[0], [completed(1), completed(2)]);
}

/// Our async server and client on loopback: `serve` gets the server's
/// stream after the handshake; the client's is returned.
async fn loopback<T, F>(serve: impl Fn(Tls) -> F + Send + 'static) -> (Tls, JoinHandle<Vec<T>>)
where
    F: std::future::Future<Output = T> + Send,
    T: Send + 'static,
{
    let (port, server) = our_server(common::server_config(), 1, serve).await;
    let client = connect(&Arc::new(common::client_config()), port).await;
    (client, server)
}

/// Reads `expected` from `tls`, then once more: what that read returns.
async fn read_then_end(tls: &mut Tls, expected: &[u8]) -> std::io::Result<usize> {
    let mut got = vec![0; expected.len()];
    tls.read_exact(&mut got).await?;
    assert_eq!(got, expected);
    tls.read(&mut [0; 16]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncation_missing_close_notify_is_reported() {
    // §7.2.1: a transport that just ends may be an attacker cutting the
    // data short: UnexpectedEof; after close_notify, a clean end, Ok(0).
    let (mut client, server) = loopback(|mut s| async move {
        s.write_all(b"partial data").await.unwrap();
        // Dropped: the socket closes without close_notify.
    })
    .await;
    server.await.unwrap();
    let error = read_then_end(&mut client, b"partial data")
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::UnexpectedEof, "{error}");

    let (mut client, server) = loopback(|mut s| async move {
        s.write_all(b"all the data").await.unwrap();
        s.shutdown().await.unwrap();
    })
    .await;
    server.await.unwrap();
    assert_eq!(
        read_then_end(&mut client, b"all the data").await.unwrap(),
        0
    );
    assert_eq!(client.read(&mut [0; 16]).await.unwrap(), 0, "and again");

    // Cut in the middle of a record.
    let (mut client, server) = loopback(|mut s| async move {
        let conn = s.connection_mut();
        conn.write_application_data(b"a record cut in two").unwrap();
        let mut record = Vec::new();
        conn.write_tls(&mut record).unwrap();
        // Straight onto the socket, past the TLS stream.
        let half = &record[..record.len() / 2];
        s.get_ref().writable().await.unwrap();
        assert_eq!(s.get_ref().try_write(half).unwrap(), half.len());
    })
    .await;
    server.await.unwrap();
    let error = client.read(&mut [0; 32]).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::UnexpectedEof, "{error}");
    assert!(client.connection().has_partial_record());

    // Client to server, both ways of closing.
    for close_notify in [false, true] {
        let (mut client, server) = loopback(|mut s| async move {
            read_then_end(&mut s, b"request")
                .await
                .map_err(|e| e.kind())
        })
        .await;
        client.write_all(b"request").await.unwrap();
        if close_notify {
            client.shutdown().await.unwrap();
        }
        drop(client);
        let expected = if close_notify {
            Ok(0)
        } else {
            Err(ErrorKind::UnexpectedEof)
        };
        assert_eq!(server.await.unwrap(), [expected]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_async_stream_gives_its_empty_buffers_back() {
    // The memory an idle connection holds (benches/memory.rs): once the
    // application has read everything and the socket has nothing more,
    // the received-data buffer is released.
    let record = vec![7u8; 16 * 1024];
    let sent = record.clone();
    let (mut client, server) = loopback(move |mut s| {
        let sent = sent.clone();
        async move {
            s.write_all(&sent).await.unwrap();
            drain(&mut s).await;
        }
    })
    .await;
    let mut got = vec![0; record.len()];
    client.read_exact(&mut got).await.unwrap();
    assert!(got == record);
    assert!(client.connection().received_buffer_capacity() >= record.len());
    // Nothing more comes: this read waits, and the stream goes idle.
    let wait = tokio::time::timeout(Duration::from_millis(50), client.read(&mut got));
    assert!(wait.await.is_err(), "the server sent more");
    assert_eq!(client.connection().received_buffer_capacity(), 0);
    client.shutdown().await.unwrap();
    server.await.unwrap();
}
