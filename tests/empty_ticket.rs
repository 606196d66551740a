//! A session too large to seal into a ticket (RFC 5077 §3.3). Once its
//! ServerHello has promised a ticket, the server must still send
//! NewSessionTicket; §3.3: "If the server determines that it does not want
//! to include a ticket after it has included the SessionTicket extension
//! in the ServerHello, then it sends a zero-length ticket in the
//! NewSessionTicket handshake message." The handshake completes, and the
//! session stays resumable by its id.
//!
//! What makes a session too large is the client chain it carries: a
//! client certificate made by the `openssl` CLI with a 70,000-byte
//! extension takes the session's encoding past the 65,535 bytes of
//! `ticket<0..2^16-1>`.
//!
//! - Our client and our server, in memory: an empty ticket, no ticket
//!   kept by the client, and the next connection resumes by id.
//! - `openssl s_client -sess_out` to our server, then `-sess_in`: OpenSSL
//!   takes the empty ticket and resumes by id.
//! - Our client to a rustls server whose ticketer declines to seal (rustls
//!   then sends an empty ticket with its usual lifetime hint): no ticket
//!   kept, the session's lifetime untouched by the hint of a ticket that
//!   does not exist, and the next connection resumes by id.

mod common;

#[path = "../crates/handshake/tests/pki/mod.rs"]
mod pki;

use std::io::Read;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::wire::{deliver, take};
use common::{openssl, test_data_arg, ChildGuard};
use pki::{ca, Issued, Pki, Spec};
use rustls::crypto::ring as rustls_ring;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tls12::handshake::messages::HandshakePayload;
use tls12::handshake::observe::{Observer, TraceEvent};
use tls12::session_store::{MemoryStore, ServerId, TicketKeys};
use tls12::{
    system_clock, CertifiedKey, ClientAuth, ClientConfig, ClientSession, Connection, ServerConfig,
    Session, SigningKey, Stream, TrustAnchors,
};

const TIMEOUT: Duration = Duration::from_secs(10);

/// What `client` keeps for `localhost`: the session, and the ticket that
/// only a client holds beside it.
fn kept(client: &ClientConfig) -> ClientSession {
    let store = client.session_store.as_ref().expect("a client store");
    let localhost = ServerId::parse("localhost").unwrap();
    store
        .get(&localhost)
        .unwrap()
        .expect("a session for localhost")
}

/// A root, and a client certificate it issued that is too large for a
/// ticket: a 70,000-byte private extension (non-critical, so verifiers
/// skip it).
struct BigClient {
    pki: Pki,
    root: Issued,
    leaf: Issued,
}

impl BigClient {
    fn new(tag: &str) -> Self {
        let pki = Pki::new(tag);
        let root = pki.issue(&Spec {
            subject: "/O=big/CN=root",
            extensions: &ca(""),
            ..Spec::default()
        });
        let padding = "x".repeat(70_000);
        let leaf = pki.issue(&Spec {
            subject: "/O=big/CN=client",
            issuer: Some(&root),
            extensions: &format!(
                "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
                 extendedKeyUsage=clientAuth\n1.3.6.1.4.1.55555.1=ASN1:UTF8String:{padding}\n"
            ),
            ..Spec::default()
        });
        assert!(leaf.der.len() > 0xffff, "{} bytes", leaf.der.len());
        Self { pki, root, leaf }
    }

    /// Our server: it requires a client certificate from this root, seals
    /// tickets, and keeps sessions by id.
    fn our_server(&self, observer: &Arc<Seen>) -> Arc<ServerConfig> {
        let mut config = common::server_config();
        let anchors = TrustAnchors::from_der(vec![self.root.der.clone()]).unwrap();
        config.client_auth = ClientAuth::Required(Arc::new(anchors));
        config.ticket_keys = Some(Arc::new(TicketKeys::new(system_clock()).unwrap()));
        config.session_store = Some(Arc::new(MemoryStore::new(8)));
        config.observer = Some(observer.clone());
        Arc::new(config)
    }

    /// Our client, presenting the large certificate, keeping its sessions.
    fn our_client(&self, observer: &Arc<Seen>) -> Arc<ClientConfig> {
        let mut config = common::client_config();
        config.client_certificates = vec![Arc::new(CertifiedKey::new(
            vec![self.leaf.der.clone()],
            SigningKey::from_pem(&std::fs::read(&self.leaf.key).unwrap()).unwrap(),
        ))];
        config.session_store = Some(Arc::new(MemoryStore::new(8)));
        config.observer = Some(observer.clone());
        Arc::new(config)
    }
}

/// The tickets of the NewSessionTicket messages an endpoint sent or
/// received, in order.
#[derive(Debug, Default)]
struct Seen(Mutex<Vec<Vec<u8>>>);

impl Observer for Seen {
    fn event(&self, event: &TraceEvent<'_>) {
        if let TraceEvent::Handshake { message, .. } = event {
            if let HandshakePayload::NewSessionTicket(t) = &message.payload {
                self.0.lock().unwrap().push(t.ticket.clone());
            }
        }
    }
}

impl Seen {
    fn take(&self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.0.lock().unwrap())
    }
}

/// One handshake of our client and our server in memory, both sides'
/// results checked against each other; returns the client's session and
/// whether it was resumed.
fn connect_in_memory(
    client: &Arc<ClientConfig>,
    server: &Arc<ServerConfig>,
) -> (Arc<Session>, bool) {
    let mut c = Connection::client(client.clone(), "localhost").unwrap();
    let mut s = Connection::server(server.clone());
    while c.wants_write() || s.wants_write() {
        deliver(&mut s, &take(&mut c)).unwrap();
        deliver(&mut c, &take(&mut s)).unwrap();
    }
    let (ours, theirs) = (c.established().unwrap(), s.established().unwrap());
    assert_eq!(ours.resumed, theirs.resumed);
    assert_eq!(ours.session.master_secret(), theirs.session.master_secret());
    (ours.session.clone(), ours.resumed)
}

#[test]
fn our_server_sends_an_empty_ticket_for_a_session_too_large_and_resumes_it_by_id() {
    let big = BigClient::new("empty-ticket-ours");
    let sent = Arc::new(Seen::default());
    let received = Arc::new(Seen::default());
    let server = big.our_server(&sent);
    let client = big.our_client(&received);

    let (session, resumed) = connect_in_memory(&client, &server);
    assert!(!resumed);
    assert_eq!(session.peer_certificates.len(), 2, "our server's chain");
    assert_eq!(sent.take(), [Vec::<u8>::new()], "one empty ticket sent");
    assert_eq!(received.take(), [Vec::<u8>::new()]);
    let first = kept(&client);
    assert!(Arc::ptr_eq(&first.session, &session), "the session kept");
    assert!(first.ticket.is_none(), "an empty ticket is no ticket");
    assert_eq!(first.ticket_lifetime_hint, 0);
    assert!(!session.session_id.is_empty());

    // Offered by id (there is no ticket to offer), resumed, and the
    // server's fresh ticket for it is empty again.
    let (again, resumed) = connect_in_memory(&client, &server);
    assert!(resumed, "the session resumes by its id");
    assert_eq!(again.session_id, session.session_id);
    assert_eq!(sent.take(), [Vec::<u8>::new()]);
    assert!(kept(&client).ticket.is_none());
}

/// Our server for `count` connections over loopback; each result says
/// whether the handshake resumed.
fn serve(config: Arc<ServerConfig>, count: usize) -> (u16, thread::JoinHandle<Vec<bool>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = thread::spawn(move || {
        (0..count)
            .map(|_| {
                let (sock, _) = listener.accept().unwrap();
                sock.set_read_timeout(Some(TIMEOUT)).unwrap();
                let mut stream = Stream::accept(config.clone(), sock).unwrap();
                let resumed = stream.connection().established().unwrap().resumed;
                // s_client closes once its handshake is done.
                let _ = stream.read_to_end(&mut Vec::new());
                resumed
            })
            .collect()
    });
    (port, server)
}

fn s_client(port: u16, big: &BigClient, session: &str) -> common::Finished {
    let mut cmd = openssl();
    cmd.args([
        "s_client",
        "-tls1_2",
        "-connect",
        &format!("127.0.0.1:{port}"),
    ])
    .args(["-servername", "localhost", "-verify_return_error"])
    .args(["-CAfile", &test_data_arg("ecdsa/root.pem")])
    .args(["-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"])
    .arg("-cert")
    .arg(&big.leaf.pem)
    .arg("-key")
    .arg(&big.leaf.key)
    .args(session.split(' '));
    let out = ChildGuard::spawn(&mut cmd).finish(TIMEOUT);
    assert!(out.status.success(), "s_client failed: {out:#?}");
    out
}

#[test]
fn openssl_s_client_takes_our_empty_ticket_and_resumes_by_id() {
    let big = BigClient::new("empty-ticket-openssl");
    let sent = Arc::new(Seen::default());
    let (port, server) = serve(big.our_server(&sent), 2);
    let saved = big.pki.pem_file(&[]);
    let saved = saved.to_str().unwrap();

    let first = s_client(port, &big, &format!("-sess_out {saved}"));
    assert!(first.stdout.contains("New, TLSv1.2"), "{first:#?}");
    // s_client prints the ticket it holds; it kept none.
    assert!(!first.stdout.contains("TLS session ticket:"), "{first:#?}");
    let second = s_client(port, &big, &format!("-sess_in {saved}"));
    assert!(second.stdout.contains("Reused, TLSv1.2"), "{second:#?}");

    assert_eq!(server.join().unwrap(), [false, true]);
    assert_eq!(sent.take(), [Vec::<u8>::new(), Vec::new()]);
}

/// rustls's ticketer, declining every ticket: rustls then sends a
/// NewSessionTicket with an empty ticket and this lifetime hint.
#[derive(Debug)]
struct Declining;

impl rustls::server::ProducesTickets for Declining {
    fn enabled(&self) -> bool {
        true
    }

    fn lifetime(&self) -> u32 {
        60
    }

    fn encrypt(&self, _: &[u8]) -> Option<Vec<u8>> {
        None
    }

    fn decrypt(&self, _: &[u8]) -> Option<Vec<u8>> {
        None
    }
}

fn rustls_server_config() -> Arc<rustls::ServerConfig> {
    let chain = CertificateDer::pem_file_iter(common::test_data("ecdsa/localhost.chain.pem"))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(common::test_data("ecdsa/localhost.pkcs8.key"));
    let mut config =
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls_ring::default_provider()))
            .with_protocol_versions(&[&rustls::version::TLS12])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key.unwrap())
            .unwrap();
    config.session_storage = rustls::server::ServerSessionMemoryCache::new(8);
    config.ticketer = Arc::new(Declining);
    Arc::new(config)
}

/// One handshake of our client with a rustls server, in memory; returns
/// our session and whether both sides resumed.
fn connect_to_rustls(
    client: &Arc<ClientConfig>,
    server: &Arc<rustls::ServerConfig>,
) -> (Arc<Session>, bool) {
    let mut c = Connection::client(client.clone(), "localhost").unwrap();
    let mut s = rustls::ServerConnection::new(server.clone()).unwrap();
    while c.wants_write() || s.wants_write() {
        let wire = take(&mut c);
        let mut rest = &wire[..];
        while !rest.is_empty() {
            s.read_tls(&mut rest).unwrap();
            s.process_new_packets().unwrap();
        }
        let mut back = Vec::new();
        while s.wants_write() {
            s.write_tls(&mut back).unwrap();
        }
        deliver(&mut c, &back).unwrap();
    }
    let est = c.established().unwrap();
    let theirs = s.handshake_kind() == Some(rustls::HandshakeKind::Resumed);
    assert_eq!(est.resumed, theirs, "we and rustls disagree");
    (est.session.clone(), est.resumed)
}

#[test]
fn our_client_takes_an_empty_ticket_from_rustls_and_resumes_by_id() {
    let mut config = common::client_config();
    config.session_store = Some(Arc::new(MemoryStore::new(8)));
    let received = Arc::new(Seen::default());
    config.observer = Some(received.clone());
    let client = Arc::new(config);
    let server = rustls_server_config();

    let (session, resumed) = connect_to_rustls(&client, &server);
    assert!(!resumed);
    assert_eq!(received.take(), [Vec::<u8>::new()], "rustls sent no ticket");
    let first = kept(&client);
    assert!(first.ticket.is_none());
    assert_eq!(first.ticket_lifetime_hint, 0);
    assert_eq!(session.lifetime, Session::DEFAULT_LIFETIME);
    assert!(
        !first.is_expired(session.created_at + Session::DEFAULT_LIFETIME - 1),
        "the hint of a ticket that was not sent shortened the session"
    );
    let (again, resumed) = connect_to_rustls(&client, &server);
    assert!(resumed, "the session resumes by its id");
    assert_eq!(again.session_id, session.session_id);
}
