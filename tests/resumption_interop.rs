//! Session resumption (RFC 5246 §7.3, Figure 2) with peers we did not
//! write: OpenSSL 3's `s_client` and `s_server`, and rustls 0.23, both by
//! session id (§7.4.1.2) and by session ticket (RFC 5077 §3.4).
//!
//! Every case makes a full handshake, then one or more connections that
//! must resume it, and asks *both* sides whether they did: our
//! [`tls12::Established::resumed`], OpenSSL's "Reused" / "New" line or its
//! session cache counters, rustls's `handshake_kind()`. Each case is set up
//! so that only the mechanism under test can resume: a server with ticket
//! keys but no session cache answers with an empty session id
//! (§7.4.1.3), so a resumption can only have come from the ticket; a client
//! that does not send the SessionTicket extension can only resume by id.

mod common;

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use common::identity::Identity;
use common::{openssl, s_server_command, start_s_server, test_data_arg, ChildGuard};
use rustls::client::{Resumption, Tls12Resumption};
use rustls::crypto::ring as rustls_ring;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::HandshakeKind;
use tls12::session_store::{MemoryStore, TicketKeys};
use tls12::{system_clock, ClientConfig, ServerConfig, Session, SessionId, Stream};

/// How long any one step (a process starting or exiting, an accept, a
/// handshake, a read) may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// How `s_client -reconnect` behaves: one full handshake, then this many
/// reconnections offering the session (fixed in OpenSSL's s_client.c).
const S_CLIENT_RECONNECTS: usize = 5;

// ---------------------------------------------------------------------------
// Our side.

/// Which resumption mechanism a case exercises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mechanism {
    /// The server caches sessions by id; no tickets anywhere.
    SessionId,
    /// The server seals sessions into tickets and caches nothing.
    Ticket,
}

/// Our server, set up so that only `mechanism` can resume: a session cache
/// for ids, ticket keys (and no cache, hence empty session ids) for tickets.
fn our_server_config(mechanism: Mechanism) -> ServerConfig {
    let mut config = common::server_config();
    match mechanism {
        Mechanism::SessionId => config.session_store = Some(Arc::new(MemoryStore::new(64))),
        Mechanism::Ticket => {
            config.ticket_keys = Some(Arc::new(TicketKeys::new(system_clock()).unwrap()));
        }
    }
    config
}

/// Our client with its own session store, asking for tickets only for
/// [`Mechanism::Ticket`].
fn our_client_config(mechanism: Mechanism) -> Arc<ClientConfig> {
    let mut config = common::client_config();
    config.session_store = Some(Arc::new(MemoryStore::new(64)));
    config.enable_tickets = mechanism == Mechanism::Ticket;
    Arc::new(config)
}

/// What our side saw of one connection. (`Session`'s Debug redacts the
/// master secret and the ticket.)
#[derive(Debug)]
struct Seen {
    resumed: bool,
    /// The session in force.
    session: Arc<Session>,
    /// This connection's ServerHello.session_id (for a resumption by
    /// ticket, the client's own choice echoed, RFC 5077 §3.4).
    hello_session_id: SessionId,
    /// This handshake carried NewSessionTicket (RFC 5077 §3.3).
    session_ticket: bool,
    /// The connection's ALPN protocol (RFC 7301 §3.1: not the session's).
    alpn: Option<Vec<u8>>,
}

impl Seen {
    /// Same master secret: the same session, whatever object holds it.
    fn same_secret(&self, other: &Seen) -> bool {
        self.session.master_secret().as_bytes() == other.session.master_secret().as_bytes()
    }
}

fn seen(stream: &Stream<TcpStream>) -> Seen {
    let est = stream.connection().established().unwrap();
    Seen {
        resumed: est.resumed,
        session: est.session.clone(),
        hello_session_id: est.server_hello_session_id,
        session_ticket: est.session_ticket,
        alpn: est.alpn.clone(),
    }
}

/// Accepts one connection on `listener`, giving up after [`TIMEOUT`] so
/// that a client that never came cannot hang the test.
fn accept(listener: &TcpListener) -> TcpStream {
    listener.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + TIMEOUT;
    loop {
        match listener.accept() {
            Ok((sock, _)) => {
                sock.set_nonblocking(false).unwrap();
                sock.set_read_timeout(Some(TIMEOUT)).unwrap();
                return sock;
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                assert!(Instant::now() < deadline, "no client connected");
                thread::sleep(Duration::from_millis(5));
            }
            Err(e) => panic!("accept: {e}"),
        }
    }
}

fn loopback() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

fn connect(port: u16) -> TcpStream {
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(TIMEOUT)).unwrap();
    sock
}

/// Reads until the peer's close_notify or end of stream; what is read, and
/// how it ends, do not matter here.
fn drain(stream: &mut impl Read) {
    let mut buf = [0u8; 4096];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
    }
}

/// Our server on a loopback port for `connections` clients, one after the
/// other, all sharing `config` (and so its session cache or ticket keys).
/// Each connection is read until the client closes it.
fn our_server(
    config: ServerConfig,
    connections: usize,
) -> (u16, JoinHandle<Vec<Result<Seen, String>>>) {
    let (listener, port) = loopback();
    let config = Arc::new(config);
    let handle = thread::spawn(move || {
        (0..connections)
            .map(|_| {
                let mut stream =
                    Stream::accept(config.clone(), accept(&listener)).map_err(|e| e.to_string())?;
                let seen = seen(&stream);
                drain(&mut stream);
                // The client may be gone already.
                let _ = stream.close();
                Ok(seen)
            })
            .collect()
    });
    (port, handle)
}

/// Waits for our server and returns what it saw of each connection.
fn served(server: JoinHandle<Vec<Result<Seen, String>>>, peer: &str) -> Vec<Seen> {
    server
        .join()
        .unwrap()
        .into_iter()
        .enumerate()
        .map(|(i, r)| r.unwrap_or_else(|e| panic!("our server, connection {i} from {peer}: {e}")))
        .collect()
}

/// Our client to `localhost:port` (name and port key its session store).
fn our_connect(config: &Arc<ClientConfig>, port: u16) -> Seen {
    let server = format!("localhost:{port}");
    let mut stream = Stream::connect(config.clone(), &server, connect(port))
        .unwrap_or_else(|e| panic!("our client to {server}: {e}"));
    let seen = seen(&stream);
    stream.close().unwrap();
    seen
}

/// The full handshake and its resumption, as our server saw them: one
/// new session, then `resumptions` connections resuming it through
/// `mechanism` alone.
fn assert_server_resumed(seen: &[Seen], mechanism: Mechanism, resumptions: usize) {
    assert_eq!(seen.len(), 1 + resumptions, "{seen:#?}");
    let (first, rest) = seen.split_first().unwrap();
    assert!(!first.resumed, "the first connection resumed: {seen:#?}");
    for (i, later) in rest.iter().enumerate() {
        assert!(
            later.resumed,
            "connection {} did not resume: {seen:#?}",
            i + 1
        );
        assert!(later.same_secret(first), "connection {}", i + 1);
    }
    match mechanism {
        Mechanism::SessionId => {
            assert!(!first.session.session_id.is_empty(), "no id to resume by");
            for later in rest {
                assert_eq!(later.hello_session_id, first.session.session_id);
            }
        }
        Mechanism::Ticket => assert!(
            first.session.session_id.is_empty(),
            "a server without a cache must not name the session (§7.4.1.3)"
        ),
    }
}

// ---------------------------------------------------------------------------
// OpenSSL.

/// `openssl s_client -tls1_2` to our server on `port`, verifying our ECDSA
/// certificate for localhost, with `extra` arguments. Its stdin is closed at
/// once: it completes the handshake(s), prints them, and closes.
fn s_client(port: u16, extra: &[&str]) -> common::Finished {
    let mut cmd = openssl();
    cmd.args([
        "s_client",
        "-tls1_2",
        "-connect",
        &format!("127.0.0.1:{port}"),
    ])
    .args(["-servername", "localhost", "-verify_hostname", "localhost"])
    .args([
        "-CAfile",
        &test_data_arg("ecdsa/root.pem"),
        "-verify_return_error",
    ])
    .args(["-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"])
    .args(extra);
    let out = ChildGuard::spawn(&mut cmd).finish(TIMEOUT);
    assert!(out.status.success(), "s_client failed: {out:#?}");
    assert!(
        out.stdout.contains("Verify return code: 0 (ok)"),
        "s_client did not verify us: {out:#?}"
    );
    out
}

/// s_client's verdict on each of its handshakes, in order: true for
/// "Reused, TLSv1.2, ...", false for "New, TLSv1.2, ...".
fn s_client_reused(out: &common::Finished) -> Vec<bool> {
    out.stdout
        .lines()
        .filter_map(|line| {
            if line.starts_with("Reused, TLSv1.2,") {
                Some(true)
            } else if line.starts_with("New, TLSv1.2,") {
                Some(false)
            } else {
                None
            }
        })
        .collect()
}

/// `s_client -sess_out`, then `s_client -sess_in` with the saved session.
fn s_client_sess_out_then_in(mechanism: Mechanism, extra: &[&str]) {
    let dir = std::env::temp_dir().join(format!(
        "tls12-resumption-{}-{mechanism:?}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let sess = dir.join("session.pem");
    let sess = sess.to_str().unwrap();

    let (port, server) = our_server(our_server_config(mechanism), 2);
    let first = s_client(port, &[extra, &["-sess_out", sess]].concat());
    assert!(Path::new(sess).is_file(), "s_client wrote no session");
    let second = s_client(port, &[extra, &["-sess_in", sess]].concat());
    let seen = served(server, "s_client");
    std::fs::remove_dir_all(&dir).unwrap();

    assert_eq!(s_client_reused(&first), [false], "{first:#?}");
    assert_eq!(s_client_reused(&second), [true], "{second:#?}");
    assert_server_resumed(&seen, mechanism, 1);
}

#[test]
fn s_client_resumes_a_saved_session_by_id() {
    // Without the SessionTicket extension only the id can resume.
    s_client_sess_out_then_in(Mechanism::SessionId, &["-no_ticket"]);
}

#[test]
fn s_client_resumes_a_saved_session_by_ticket() {
    s_client_sess_out_then_in(Mechanism::Ticket, &[]);
}

/// `s_client -reconnect`: one full handshake, then five reconnections
/// that must all resume.
fn s_client_reconnect(mechanism: Mechanism, extra: &[&str]) {
    let (port, server) = our_server(our_server_config(mechanism), 1 + S_CLIENT_RECONNECTS);
    let out = s_client(port, &[extra, &["-reconnect"]].concat());
    let seen = served(server, "s_client -reconnect");
    let mut expected = vec![true; 1 + S_CLIENT_RECONNECTS];
    expected[0] = false;
    assert_eq!(s_client_reused(&out), expected, "{out:#?}");
    assert_server_resumed(&seen, mechanism, S_CLIENT_RECONNECTS);
}

#[test]
fn s_client_reconnect_resumes_by_id() {
    s_client_reconnect(Mechanism::SessionId, &["-no_ticket"]);
}

#[test]
fn s_client_reconnect_resumes_by_ticket() {
    s_client_reconnect(Mechanism::Ticket, &[]);
}

/// `openssl s_server -tls1_2 -naccept 2 -rev` on a free loopback port,
/// serving the RSA localhost chain; returns it with its port.
fn s_server(extra: &[&str]) -> (ChildGuard, u16) {
    let mut cmd = s_server_command("rsa");
    cmd.args(["-naccept", "2", "-rev"]).args(extra);
    start_s_server(&mut cmd, TIMEOUT)
}

/// Our client connects twice to `s_server` and must resume the second time.
fn our_client_to_s_server(mechanism: Mechanism, extra: &[&str]) -> common::Finished {
    let (mut server, port) = s_server(extra);
    let config = our_client_config(mechanism);
    let first = our_connect(&config, port);
    let second = our_connect(&config, port);
    let out = server.finish(TIMEOUT);
    assert!(out.status.success(), "s_server failed: {out:#?}");
    assert_client_resumed(&first, &second, mechanism);
    out
}

/// The full handshake and its resumption, as our client saw them.
fn assert_client_resumed(first: &Seen, second: &Seen, mechanism: Mechanism) {
    assert!(!first.resumed, "the first connection resumed: {first:#?}");
    assert!(
        second.resumed,
        "the second connection did not resume: {second:#?}"
    );
    assert!(second.same_secret(first));
    match mechanism {
        Mechanism::SessionId => {
            assert!(!first.session_ticket, "a ticket: {first:#?}");
            assert!(!first.session.session_id.is_empty(), "no id: {first:#?}");
            assert_eq!(second.hello_session_id, first.session.session_id);
        }
        Mechanism::Ticket => {
            assert!(first.session_ticket, "no ticket: {first:#?}");
            assert!(
                first.session.session_id.is_empty(),
                "the server named the session, so an id could have resumed it: {first:#?}"
            );
        }
    }
}

#[test]
fn our_client_resumes_with_s_server_by_id() {
    let out = our_client_to_s_server(Mechanism::SessionId, &[]);
    // s_server prints its cache statistics (SSL_CTX_sess_*) to stdout.
    assert!(
        out.stdout.contains("   1 session cache hits"),
        "s_server did not count a resumption: {out:#?}"
    );
}

#[test]
fn our_client_resumes_with_s_server_by_ticket() {
    // -no_cache: s_server keeps no sessions and sends empty session ids,
    // so only the ticket can resume.
    let out = our_client_to_s_server(Mechanism::Ticket, &["-no_cache"]);
    // OpenSSL counts a resumption by ticket as a cache hit too; the empty
    // cache shows where it came from.
    for counter in ["   1 session cache hits", "   0 items in the session cache"] {
        assert!(
            out.stdout.contains(counter),
            "s_server did not say {counter:?}: {out:#?}"
        );
    }
}

// ---------------------------------------------------------------------------
// ALPN is the connection's (RFC 7301 §3.1): a connection that resumes a
// session made over `h2` speaks the protocol it negotiates itself.

/// What a resumed connection must show: the full handshake's connection
/// spoke h2, the resumption `http/1.1`, over the same session; and what
/// its ServerHello carried, when resumed by ticket, is the client's fresh
/// id (RFC 5077 §3.4), not the session's (which such a server leaves
/// empty).
fn assert_alpn_of_each_connection(first: &Seen, second: &Seen, mechanism: Mechanism) {
    assert!(!first.resumed && second.resumed, "{first:#?} {second:#?}");
    assert!(second.same_secret(first), "not the same session");
    assert_eq!(first.alpn.as_deref(), Some(&b"h2"[..]));
    assert_eq!(second.alpn.as_deref(), Some(&b"http/1.1"[..]));
    // Nor does the session hold a protocol: its state has no
    // `ProtocolName` (`opaque<1..2^8-1>`, here 02 'h' '2'), as format 3's
    // `alpn` field had.
    let state = first.session.encode();
    assert!(
        !state.windows(3).any(|w| w == b"\x02h2"),
        "ALPN in the session"
    );
    if mechanism == Mechanism::Ticket {
        assert_eq!(second.hello_session_id.as_bytes().len(), 32);
        assert_ne!(second.hello_session_id, second.session.session_id);
    }
}

/// Our client, offering `h2` and then only `http/1.1` with the session it
/// kept, to `s_server -alpn h2,http/1.1`.
fn our_client_alpn_against_s_server(mechanism: Mechanism, extra: &[&str]) {
    let (mut server, port) = s_server(&[extra, &["-alpn", "h2,http/1.1"]].concat());
    let config = our_client_config(mechanism);
    let offering = |alpn: &[u8]| {
        let mut c = (*config).clone();
        c.alpn_protocols = vec![alpn.to_vec()];
        Arc::new(c)
    };
    let first = our_connect(&offering(b"h2"), port);
    let second = our_connect(&offering(b"http/1.1"), port);
    let out = server.finish(TIMEOUT);
    assert!(out.status.success(), "s_server failed: {out:#?}");
    assert_alpn_of_each_connection(&first, &second, mechanism);
}

#[test]
fn our_client_resuming_with_s_server_by_id_negotiates_its_own_alpn() {
    our_client_alpn_against_s_server(Mechanism::SessionId, &[]);
}

#[test]
fn our_client_resuming_with_s_server_by_ticket_negotiates_its_own_alpn() {
    our_client_alpn_against_s_server(Mechanism::Ticket, &["-no_cache"]);
}

/// `s_client -alpn h2 -sess_out`, then `s_client -alpn http/1.1 -sess_in`
/// with the saved session, to our server offering both.
fn s_client_alpn_against_our_server(mechanism: Mechanism, extra: &[&str]) {
    let dir = std::env::temp_dir().join(format!("tls12-alpn-{}-{mechanism:?}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sess = dir.join("session.pem");
    let sess = sess.to_str().unwrap();

    let mut config = our_server_config(mechanism);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let (port, server) = our_server(config, 2);
    let first = s_client(port, &[extra, &["-alpn", "h2", "-sess_out", sess]].concat());
    let second = s_client(
        port,
        &[extra, &["-alpn", "http/1.1", "-sess_in", sess]].concat(),
    );
    let seen = served(server, "s_client");
    std::fs::remove_dir_all(&dir).unwrap();

    assert_eq!(s_client_reused(&first), [false], "{first:#?}");
    assert_eq!(s_client_reused(&second), [true], "{second:#?}");
    // OpenSSL's view of each connection, as s_client prints it.
    assert!(first.stdout.contains("ALPN protocol: h2\n"), "{first:#?}");
    assert!(
        second.stdout.contains("ALPN protocol: http/1.1\n"),
        "{second:#?}"
    );
    let [first, second] = &seen[..] else {
        panic!("two connections: {seen:#?}");
    };
    assert_alpn_of_each_connection(first, second, mechanism);
}

#[test]
fn s_client_resuming_by_id_negotiates_its_own_alpn_with_our_server() {
    s_client_alpn_against_our_server(Mechanism::SessionId, &["-no_ticket"]);
}

#[test]
fn s_client_resuming_by_ticket_negotiates_its_own_alpn_with_our_server() {
    s_client_alpn_against_our_server(Mechanism::Ticket, &[]);
}

// ---------------------------------------------------------------------------
// Our client's identity, against `s_server -verify` (issue 20).

/// What `s_server -rev` prints on stderr of a connection's client
/// (OpenSSL's `print_ssl_summary`: for a resumed session, the peer
/// certificate the session holds).
fn s_server_sees(identity: Identity) -> &'static str {
    match identity {
        Identity::A => "Peer certificate: O = tls12 test PKI, CN = tls12 test ECDSA client",
        Identity::B => "Peer certificate: O = tls12 test PKI, CN = tls12 test RSA client",
        Identity::Anonymous => "No peer certificate",
    }
}

/// For each cell of [`Identity::MATRIX`]: `s_server -verify` (asking for a
/// client certificate, trusting both client roots) and two connections of
/// our client sharing one session store, the first with the identity the
/// session is made with, the second with the one that offers it. Both
/// sides must agree that the second resumed exactly when the identities
/// are the same, and s_server must name the identity the second presented.
/// Before, a config with B or none resumed the session made with A, and
/// s_server reported the ECDSA client.
fn identity_matrix_against_s_server(mechanism: Mechanism) {
    let dir = common::ScratchDir::new("identity");
    let client_roots = dir.join("client-roots.pem");
    let roots = [common::read("ecdsa/root.pem"), common::read("rsa/root.pem")];
    std::fs::write(&client_roots, roots.concat()).unwrap();
    let mut extra = vec!["-verify", "1", "-verify_return_error", "-CAfile"];
    extra.push(client_roots.to_str().unwrap());
    if mechanism == Mechanism::Ticket {
        extra.push("-no_cache");
    }
    for (origin, now) in Identity::MATRIX {
        let label = format!("{mechanism:?}: made with {origin:?}, offered by {now:?}");
        let (mut server, port) = s_server(&extra);
        let store = Arc::new(MemoryStore::new(4));
        let config = |who: Identity| {
            let mut config = who.configure(common::client_config());
            config.session_store = Some(store.clone());
            config.enable_tickets = mechanism == Mechanism::Ticket;
            Arc::new(config)
        };
        let first = our_connect(&config(origin), port);
        let second = our_connect(&config(now), port);
        let out = server.finish(TIMEOUT);
        assert!(out.status.success(), "{label}: s_server failed: {out:#?}");

        let clients: Vec<&str> = out
            .stderr
            .lines()
            .filter(|l| l.starts_with("Peer certificate: ") || *l == "No peer certificate")
            .collect();
        assert_eq!(
            clients,
            [s_server_sees(origin), s_server_sees(now)],
            "{label}: s_server saw another client"
        );
        let same = origin == now;
        let hits = format!("   {} session cache hits", u8::from(same));
        assert!(
            out.stdout.contains(&hits),
            "{label}: not {hits:?}: {out:#?}"
        );
        assert!(!first.resumed, "{label}");
        assert_eq!(second.resumed, same, "{label}: our client");
    }
}

#[test]
fn our_client_resumes_with_s_server_only_as_the_same_client_by_id() {
    identity_matrix_against_s_server(Mechanism::SessionId);
}

#[test]
fn our_client_resumes_with_s_server_only_as_the_same_client_by_ticket() {
    identity_matrix_against_s_server(Mechanism::Ticket);
}

// ---------------------------------------------------------------------------
// rustls.

fn rustls_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls_ring::default_provider())
}

fn rustls_chain(pem: &str) -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_file_iter(common::test_data(pem))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// A rustls client, TLS 1.2 only, trusting both test roots, with rustls's
/// own in-memory session cache resuming by `mechanism`.
fn rustls_client_config(mechanism: Mechanism) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for pem in ["ecdsa/root.pem", "rsa/root.pem"] {
        for cert in rustls_chain(pem) {
            roots.add(cert).unwrap();
        }
    }
    let mut config = rustls::ClientConfig::builder_with_provider(rustls_provider())
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.resumption = Resumption::in_memory_sessions(8).tls12_resumption(match mechanism {
        Mechanism::SessionId => Tls12Resumption::SessionIdOnly,
        Mechanism::Ticket => Tls12Resumption::SessionIdOrTickets,
    });
    Arc::new(config)
}

/// A rustls server, TLS 1.2 only, serving the ECDSA localhost chain,
/// resuming only by `mechanism`.
fn rustls_server_config(mechanism: Mechanism) -> Arc<rustls::ServerConfig> {
    let mut config = rustls::ServerConfig::builder_with_provider(rustls_provider())
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            rustls_chain("ecdsa/localhost.chain.pem"),
            PrivateKeyDer::from_pem_file(common::test_data("ecdsa/localhost.pkcs8.key")).unwrap(),
        )
        .unwrap();
    match mechanism {
        Mechanism::SessionId => {
            config.session_storage = rustls::server::ServerSessionMemoryCache::new(64);
        }
        Mechanism::Ticket => {
            config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
            config.ticketer = rustls_ring::Ticketer::new().unwrap();
        }
    }
    Arc::new(config)
}

/// Drives a rustls connection's handshake to its end over `sock`.
fn rustls_handshake<D>(
    conn: &mut rustls::ConnectionCommon<D>,
    sock: &mut TcpStream,
) -> std::io::Result<()> {
    while conn.is_handshaking() {
        conn.complete_io(sock)?;
    }
    while conn.wants_write() {
        conn.write_tls(sock)?;
    }
    Ok(())
}

/// One rustls client connection to our server: the handshake, then
/// close_notify. Returns how rustls says the handshake went.
fn rustls_connect(config: &Arc<rustls::ClientConfig>, port: u16) -> HandshakeKind {
    let name = ServerName::try_from("localhost").unwrap();
    let mut conn = rustls::ClientConnection::new(config.clone(), name).unwrap();
    let mut sock = connect(port);
    rustls_handshake(&mut conn, &mut sock).unwrap_or_else(|e| panic!("rustls client: {e}"));
    let kind = conn.handshake_kind().unwrap();
    conn.send_close_notify();
    conn.complete_io(&mut sock).unwrap();
    kind
}

/// A rustls server for `connections` clients, one after the other; returns
/// how rustls says each handshake went.
fn rustls_server(
    config: Arc<rustls::ServerConfig>,
    connections: usize,
) -> (u16, JoinHandle<Vec<Result<HandshakeKind, String>>>) {
    let (listener, port) = loopback();
    let handle = thread::spawn(move || {
        (0..connections)
            .map(|_| {
                let mut sock = accept(&listener);
                let mut conn = rustls::ServerConnection::new(config.clone()).unwrap();
                rustls_handshake(&mut conn, &mut sock).map_err(|e| e.to_string())?;
                let kind = conn.handshake_kind().ok_or("no handshake kind")?;
                drain(&mut rustls::Stream::new(&mut conn, &mut sock));
                conn.send_close_notify();
                // The client may be gone already.
                let _ = conn.complete_io(&mut sock);
                Ok(kind)
            })
            .collect()
    });
    (port, handle)
}

fn rustls_client_to_our_server(mechanism: Mechanism) {
    let (port, server) = our_server(our_server_config(mechanism), 2);
    let config = rustls_client_config(mechanism);
    let kinds = [rustls_connect(&config, port), rustls_connect(&config, port)];
    let seen = served(server, "rustls");
    assert_eq!(kinds, [HandshakeKind::Full, HandshakeKind::Resumed]);
    assert_server_resumed(&seen, mechanism, 1);
}

#[test]
fn rustls_client_resumes_with_our_server_by_id() {
    rustls_client_to_our_server(Mechanism::SessionId);
}

#[test]
fn rustls_client_resumes_with_our_server_by_ticket() {
    rustls_client_to_our_server(Mechanism::Ticket);
}

fn our_client_to_rustls_server(mechanism: Mechanism) {
    let (port, server) = rustls_server(rustls_server_config(mechanism), 2);
    let config = our_client_config(mechanism);
    let first = our_connect(&config, port);
    let second = our_connect(&config, port);
    let kinds: Vec<HandshakeKind> = server
        .join()
        .unwrap()
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| panic!("rustls server: {e}")))
        .collect();
    assert_client_resumed(&first, &second, mechanism);
    assert_eq!(kinds, [HandshakeKind::Full, HandshakeKind::Resumed]);
}

#[test]
fn our_client_resumes_with_rustls_server_by_id() {
    our_client_to_rustls_server(Mechanism::SessionId);
}

#[test]
fn our_client_resumes_with_rustls_server_by_ticket() {
    our_client_to_rustls_server(Mechanism::Ticket);
}
