//! Authentication that cannot be smuggled through stored state (issue 12):
//! a session carries the peer's authentication into every connection that
//! resumes it, so a resumption is only as good as the check that the
//! session still satisfies *this* config.
//!
//! - Server: every combination of `Optional`/`Required` × same/different
//!   anchors × session id/ticket × initial handshake/step-up renegotiation
//!   (`renegotiate_with` a stricter config), for a session made with and
//!   without a client certificate, ends resumed, in a full handshake, or
//!   refused, and the trace says why a session was not resumed.
//! - Client: a session is offered only to a config whose trust anchors
//!   still verify the server chain the session carries, and only by a
//!   config presenting the client certificate it was made with (issue 20,
//!   CVE-2016-5419's class): certificate A / B / none × a session made
//!   with A / none × id / ticket.
//! - Server: a config that asks for no client certificate resumes a
//!   session made with one, as an anonymous client.
//! - Both: the record of the chain check a session keeps, which spares a
//!   resumption that check, holds only while every certificate of the
//!   path is valid, and for the same limits.

mod common;

use std::sync::{Arc, Mutex};

use common::identity::Identity;
use common::wire::{deliver_if_any as deliver, take};
use tls12::handshake::observe::{Observer, ResumptionRefusal, TraceEvent};
use tls12::handshake::proofs::Authentication;
use tls12::session_store::{ClientIdentity, ClientSessionStore, MemoryStore, ServerId, TicketKeys};
use tls12::{ClientAuth, ClientConfig, Connection, Error, ServerConfig, TrustAnchors};

/// Records why sessions were not resumed, structured and as the trace
/// prints it.
#[derive(Debug, Default)]
struct Refusals(Mutex<Vec<(ResumptionRefusal, String)>>);

impl Observer for Refusals {
    fn event(&self, event: &TraceEvent<'_>) {
        if let TraceEvent::ResumptionRefused { reason } = event {
            let line = tls12_trace::text::render(event, false);
            self.0.lock().unwrap().push(((*reason).clone(), line));
        }
    }
}

impl Refusals {
    fn take(&self) -> Vec<(ResumptionRefusal, String)> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// Pumps both ways until neither side has anything to send; the first
/// error is returned with the side that failed.
fn pump(c: &mut Connection, s: &mut Connection) -> Result<(), (&'static str, Error)> {
    while c.wants_write() || s.wants_write() {
        deliver(s, &take(c)).map_err(|e| ("server", e))?;
        deliver(c, &take(s)).map_err(|e| ("client", e))?;
    }
    Ok(())
}

fn roots(root: &str) -> Arc<TrustAnchors> {
    Arc::new(common::anchors(&[root]))
}

/// How the resumed session travels.
#[derive(Clone, Copy, Debug)]
enum Carrier {
    Id,
    Ticket,
}

/// Where the config being checked meets the session.
#[derive(Clone, Copy, Debug)]
enum When {
    /// The first handshake of a connection.
    Initial,
    /// A renegotiation the server starts with `renegotiate_with`, after a
    /// first handshake under a config that asks for nothing; the client
    /// offers the session again.
    StepUp,
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Resumed,
    /// A full handshake, in which the client authenticated with this
    /// chain.
    Full,
    /// The full handshake that followed failed at the server.
    Refused,
}

/// One server-side world: a store or ticket keys shared by every config,
/// a client store shared by every client config.
struct World {
    carrier: Carrier,
    server_store: Arc<MemoryStore>,
    ticket_keys: Arc<TicketKeys>,
    client_store: Arc<MemoryStore>,
    refusals: Arc<Refusals>,
}

impl World {
    fn new(carrier: Carrier) -> Self {
        Self {
            carrier,
            server_store: Arc::new(MemoryStore::new(16)),
            ticket_keys: Arc::new(TicketKeys::new(tls12::system_clock()).unwrap()),
            client_store: Arc::new(MemoryStore::new(16)),
            refusals: Arc::default(),
        }
    }

    fn server(&self, client_auth: ClientAuth) -> ServerConfig {
        let mut config = common::server_config();
        config.client_auth = client_auth;
        match self.carrier {
            Carrier::Id => config.session_store = Some(self.server_store.clone()),
            Carrier::Ticket => config.ticket_keys = Some(self.ticket_keys.clone()),
        }
        config.observer = Some(self.refusals.clone());
        config
    }

    /// A client presenting `chain`/`key` (under test-data/) if given.
    fn client(&self, certificate: Option<(&str, &str)>) -> ClientConfig {
        let mut config = common::client_config();
        config.session_store = Some(self.client_store.clone());
        config.enable_tickets = matches!(self.carrier, Carrier::Ticket);
        config.client_certificates = certificate
            .map(|(c, k)| Arc::new(common::certified(c, k)))
            .into_iter()
            .collect();
        config
    }

    /// Rewrites the client identity of the session the client store holds
    /// for localhost as that of the chain `chain` (under test-data/), or
    /// none: what a client that offers any session would do.
    fn relabel_client_session(&self, chain: Option<&str>) {
        let server = ServerId::parse("localhost").unwrap();
        let stored = ClientSessionStore::get(&*self.client_store, &server);
        let mut kept = stored.unwrap().unwrap();
        kept.client_identity =
            chain.and_then(|c| ClientIdentity::of_chains([&common::certs_der(c)[..]]));
        ClientSessionStore::put(&*self.client_store, &server, kept).unwrap();
    }

    fn connect(&self, client: ClientConfig, server: ServerConfig) -> (Connection, Connection) {
        let c = Connection::client(Arc::new(client), "localhost").unwrap();
        let s = Connection::server(Arc::new(server));
        (c, s)
    }
}

const CLIENT_A: (&str, &str) = ("ecdsa/client.chain.pem", "ecdsa/client.key");
const CLIENT_B: (&str, &str) = ("rsa/client.chain.pem", "rsa/client.key");

/// Makes a session under `Optional(root A)`, by a client with certificate
/// A or without one; then a client that now holds certificate B meets
/// `policy` (`Optional` or `Required` over `anchors`) offering that
/// session, at `when`. Returns what happened and the refusals traced.
fn run(
    carrier: Carrier,
    when: When,
    origin_with_certificate: bool,
    required: bool,
    anchors: &str,
) -> (Outcome, Vec<(ResumptionRefusal, String)>) {
    let world = World::new(carrier);
    let origin_client = world.client(origin_with_certificate.then_some(CLIENT_A));
    let lax = world.server(ClientAuth::Optional(roots("ecdsa/root.pem")));
    let (mut c, mut s) = world.connect(origin_client, lax);
    pump(&mut c, &mut s).unwrap();
    let origin = s.session().unwrap().clone();
    assert_eq!(
        origin.peer_certificates.is_empty(),
        !origin_with_certificate
    );
    // Our client offers a session only with the certificate it was made
    // with; a client that does not check, as an attacker's would, is
    // played by relabelling the stored session as B's.
    world.relabel_client_session(Some(CLIENT_B.0));

    let anchors = roots(anchors);
    let policy = match required {
        true => ClientAuth::Required(anchors),
        false => ClientAuth::Optional(anchors),
    };
    let strict = Arc::new(world.server(policy));
    let client = world.client(Some(CLIENT_B));
    let (mut c, mut s) = match when {
        When::Initial => world.connect(client, (*strict).clone()),
        When::StepUp => {
            let (mut c, mut s) = world.connect(client, world.server(ClientAuth::None));
            pump(&mut c, &mut s).unwrap();
            assert!(
                s.established().unwrap().resumed,
                "a config asking nothing resumes"
            );
            s.renegotiate_with(strict).unwrap();
            // The client offers the session again instead of answering the
            // HelloRequest with a new one, as an attacker holding a
            // session would.
            c.renegotiate_resuming().unwrap();
            (c, s)
        }
    };
    let outcome = match pump(&mut c, &mut s) {
        Err(("server", Error::Certificate(_))) => Outcome::Refused,
        Err(e) => panic!("unexpected failure: {e:?}"),
        Ok(()) => {
            let est = s.established().unwrap();
            assert_eq!(s.handshake_count(), 1 + matches!(when, When::StepUp) as u32);
            if est.resumed {
                assert_eq!(est.session.session_id, origin.session_id);
                Outcome::Resumed
            } else {
                assert_eq!(
                    est.session.peer_certificates,
                    common::certs_der(CLIENT_B.0),
                    "a full handshake authenticates the client afresh"
                );
                Outcome::Full
            }
        }
    };
    (outcome, world.refusals.take())
}

#[test]
fn a_resumption_meets_the_client_auth_policy_of_the_config_it_resumes_into() {
    use Outcome::*;
    const A: &str = "ecdsa/root.pem";
    const B: &str = "rsa/root.pem";
    // (origin has a certificate, required, anchors, outcome, refusal)
    let cases: [(bool, bool, &str, Outcome, Option<&str>); 8] = [
        // An anonymous session satisfies a config that only asks...
        (false, false, A, Resumed, None),
        (false, false, B, Resumed, None),
        // ...never one that requires a certificate: a full handshake, in
        // which certificate B is refused by anchors A and accepted by B.
        (false, true, A, Refused, Some("no client certificate")),
        (false, true, B, Full, Some("no client certificate")),
        // A session with certificate A resumes under anchors A only.
        (true, false, A, Resumed, None),
        (true, false, B, Full, Some("chain not trusted")),
        (true, true, A, Resumed, None),
        (true, true, B, Full, Some("chain not trusted")),
    ];
    for carrier in [Carrier::Id, Carrier::Ticket] {
        for when in [When::Initial, When::StepUp] {
            for (with_cert, required, anchors, expected, why) in &cases {
                let label = format!(
                    "{carrier:?} {when:?}: origin certificate {with_cert}, \
                     required {required}, anchors {anchors}"
                );
                let (outcome, refusals) = run(carrier, when, *with_cert, *required, anchors);
                assert_eq!(outcome, *expected, "{label}");
                match why {
                    None => assert!(refusals.is_empty(), "{label}: {refusals:?}"),
                    Some(why) => {
                        assert_eq!(refusals.len(), 1, "{label}: {refusals:?}");
                        let (reason, line) = &refusals[0];
                        match *why {
                            "no client certificate" => {
                                assert_eq!(*reason, ResumptionRefusal::NoClientCertificate);
                                assert!(line.contains("a client certificate is required"));
                            }
                            _ => {
                                assert!(
                                    matches!(reason, ResumptionRefusal::ClientChainNotTrusted(_)),
                                    "{label}: {reason:?}"
                                );
                                assert!(line.contains("client chain is not trusted now"));
                            }
                        }
                        assert!(line.contains("full handshake"), "{line}");
                    }
                }
            }
        }
    }
}

#[test]
fn a_client_offers_a_session_only_to_anchors_that_still_trust_its_server() {
    let client_store = Arc::new(MemoryStore::new(4));
    let server_store = Arc::new(MemoryStore::new(4));
    let mut server = ServerConfig::new(vec![common::certified(
        "ecdsa/localhost.chain.pem",
        "ecdsa/localhost.key",
    )]);
    server.session_store = Some(server_store);
    let refusals = Arc::new(Refusals::default());
    let client = |roots: &[&str]| {
        let mut config = ClientConfig::new(common::anchors(roots));
        config.session_store = Some(client_store.clone());
        config.observer = Some(refusals.clone());
        config
    };
    let connect = |config: ClientConfig| {
        let mut c = Connection::client(Arc::new(config), "localhost").unwrap();
        let mut s = Connection::server(Arc::new(server.clone()));
        pump(&mut c, &mut s).map(|()| c.established().unwrap().resumed)
    };

    assert_eq!(connect(client(&["ecdsa/root.pem"])), Ok(false));
    // Root A removed from the config: the session it verified is not
    // offered, and the full handshake fails on the server's chain.
    let removed = connect(client(&["rsa/root.pem"]));
    assert!(
        matches!(removed, Err(("client", Error::Certificate(_)))),
        "{removed:?}"
    );
    let traced = refusals.take();
    assert_eq!(traced.len(), 1, "{traced:?}");
    assert!(matches!(
        traced[0].0,
        ResumptionRefusal::ServerChainNotTrusted(_)
    ));
    assert!(traced[0].1.contains("server chain is not trusted now"));
    // Anchors that still include root A go on resuming the session.
    assert_eq!(
        connect(client(&["rsa/root.pem", "ecdsa/root.pem"])),
        Ok(true)
    );
    assert!(refusals.take().is_empty());
}

/// A session id travels in the clear in ClientHello. Whoever saw one can
/// replay it, but cannot finish the handshake: a failure before the
/// client's Finished verifies (here a fatal alert, and a Finished made up
/// without the master secret) must not evict the session of the client
/// that owns it. After the Finished verifies, a failure ends the session
/// (RFC 5246 §7.2.2).
#[test]
fn a_replayed_session_id_cannot_evict_the_session() {
    use tls12::handshake::messages::{HandshakeMessage, HandshakePayload};
    use tls12::record_layer::record::ContentType;
    use tls12::session_store::ServerSessionStore;

    let world = World::new(Carrier::Id);
    let server = world.server(ClientAuth::None);
    let client = world.client(None);
    let (mut c, mut s) = world.connect(client.clone(), server.clone());
    pump(&mut c, &mut s).unwrap();
    let id = s.session().unwrap().session_id;

    // The owner resumes; an eavesdropper copies its ClientHello.
    let (mut owner, _) = world.connect(client.clone(), server.clone());
    let hello = take(&mut owner);
    let alert = common::wire::plaintext_record(ContentType::Alert, &[2, 40]);
    let mut made_up_finished = common::wire::plaintext_record(ContentType::ChangeCipherSpec, &[1]);
    // Without the master secret, any sealed record is a bad one.
    made_up_finished.extend_from_slice(&[22, 3, 3, 0, 40]);
    made_up_finished.extend_from_slice(&[0x5a; 40]);
    for attack in [alert.clone(), made_up_finished] {
        let mut victim = Connection::server(Arc::new(server.clone()));
        deliver(&mut victim, &hello).unwrap();
        let answer = take(&mut victim);
        let first = common::wire::records(&answer)[0].1.clone();
        let resumed = matches!(
            HandshakeMessage::decode(first).unwrap().payload,
            HandshakePayload::ServerHello(ref h) if h.session_id == id
        );
        assert!(resumed, "the server agreed to resume the replayed id");
        assert!(deliver(&mut victim, &attack).is_err());
        let stored = ServerSessionStore::get(&*world.server_store, &id).unwrap();
        assert!(stored.is_some_and(|s| s.is_resumable()), "evicted");
    }

    // The owner still resumes; a failure after its Finished verified ends
    // the session.
    let (mut c, mut s) = world.connect(client, server);
    pump(&mut c, &mut s).unwrap();
    assert!(s.established().unwrap().resumed);
    assert!(deliver(&mut s, &alert).is_err());
    assert!(ServerSessionStore::get(&*world.server_store, &id)
        .unwrap()
        .is_none());
}

/// `Debug` of a connection and of a stream shows lengths, never the bytes:
/// decrypted application data waiting to be read is the peer's secret.
#[test]
fn debug_shows_no_plaintext() {
    use std::io::{Read, Write};

    const SECRET: &[u8] = b"SECRET-PLAINTEXT-0123456789";
    // How derived Debug prints bytes: as a list of numbers.
    let as_list = format!("{:?}", &SECRET[..8]);
    let as_list = as_list.trim_matches(['[', ']']);
    let shows = |debug: &str| debug.contains("SECRET") || debug.contains(as_list);

    let mut pair = common::wire::Pair::new(common::client_config(), common::server_config());
    pair.complete();
    pair.server.write_application_data(SECRET).unwrap();
    pair.flight_to_client(common::wire::untouched).unwrap();
    assert_eq!(pair.client.application_data_available(), SECRET.len());
    let debug = format!("{:?}", pair.client);
    assert!(!shows(&debug), "{debug}");
    assert!(
        debug.contains(&format!("received_bytes: {}", SECRET.len())),
        "{debug}"
    );

    let (port, server) = common::serve_once(common::server_config(), |stream| {
        let mut stream = stream.unwrap();
        stream.write_all(SECRET).unwrap();
        stream.flush().unwrap();
        let mut done = [0u8; 1];
        let _ = stream.read(&mut done);
    });
    let sock = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let config = Arc::new(common::client_config());
    let mut stream = tls12::Stream::connect(config, "localhost", sock).unwrap();
    let mut first = [0u8; 1];
    stream.read_exact(&mut first).unwrap();
    let debug = format!("{stream:?}");
    assert!(!shows(&debug), "{debug}");
    assert!(
        debug.contains(&format!("received_bytes: {}", SECRET.len() - 1)),
        "{debug}"
    );
    stream.write_all(b"x").unwrap();
    server.join().unwrap();
}

/// A clock the test sets, for a config's `clock`.
fn clock_at(now: &Arc<std::sync::atomic::AtomicU64>) -> tls12::session_store::Clock {
    let now = now.clone();
    Arc::new(move || now.load(std::sync::atomic::Ordering::SeqCst))
}

/// 2125-01-01, when every certificate of the test PKI expires.
const TEST_PKI_NOT_AFTER: u64 = 4_891_363_200;

/// A session records the check of the peer's chain so that a resumption
/// need not repeat it (`ChainCheck`), but only for the same anchors, name
/// and limits, and while every certificate of the path is valid: a session
/// that outlives its peer's certificate is refused on both sides, and one
/// resumed into a config with a shorter `max_path_depth` is checked again.
#[test]
fn a_session_does_not_outlive_the_certificates_it_was_checked_with() {
    use std::sync::atomic::{AtomicU64, Ordering};
    let made = TEST_PKI_NOT_AFTER - 100;
    let client_now = Arc::new(AtomicU64::new(made));
    let server_now = Arc::new(AtomicU64::new(made));
    let world = World::new(Carrier::Id);
    let connect = |max_path_depth: usize| {
        let mut client = world.client(Some(CLIENT_A));
        client.clock = clock_at(&client_now);
        client.observer = Some(world.refusals.clone());
        client.max_path_depth = max_path_depth;
        let mut server = world.server(ClientAuth::Required(roots("ecdsa/root.pem")));
        server.clock = clock_at(&server_now);
        let (mut c, mut s) = world.connect(client, server);
        pump(&mut c, &mut s).map(|()| s.established().unwrap().resumed)
    };
    let refusal = |expected: &str| {
        let traced = world.refusals.take();
        assert_eq!(traced.len(), 1, "{traced:?}");
        assert!(traced[0].1.contains(expected), "{traced:?}");
        assert!(traced[0].1.contains("expired"), "{traced:?}");
    };

    assert_eq!(connect(6), Ok(false));
    server_now.store(made + 50, Ordering::SeqCst);
    client_now.store(made + 50, Ordering::SeqCst);
    assert_eq!(connect(6), Ok(true), "within the window");
    assert!(world.refusals.take().is_empty());

    // The server's clock is past the client certificate's notAfter: the
    // server refuses to resume, and the full handshake refuses the client.
    server_now.store(TEST_PKI_NOT_AFTER + 1, Ordering::SeqCst);
    assert!(matches!(connect(6), Err(("server", Error::Certificate(_)))));
    refusal("client chain is not trusted now");

    // A new session, then the client's clock is past the server
    // certificate's notAfter: the client does not offer the session.
    server_now.store(made, Ordering::SeqCst);
    assert_eq!(connect(6), Ok(false));
    client_now.store(TEST_PKI_NOT_AFTER + 1, Ordering::SeqCst);
    assert!(matches!(connect(6), Err(("client", Error::Certificate(_)))));
    refusal("server chain is not trusted now");

    // The session was not offered, but stays in the store. Both chains
    // have one intermediate: a config that allows none checks the stored
    // chain again, and refuses it.
    client_now.store(made, Ordering::SeqCst);
    assert!(matches!(connect(0), Err(("client", Error::Certificate(_)))));
    let traced = world.refusals.take();
    assert_eq!(traced.len(), 1, "{traced:?}");
    assert!(matches!(
        traced[0].0,
        ResumptionRefusal::ServerChainNotTrusted(_)
    ));
}

// ---------------------------------------------------------------------------
// The client's identity (issue 20)
// ---------------------------------------------------------------------------

/// A session made with one client identity is offered only by a config
/// presenting the same one: anything else is a full handshake in which
/// the server sees the identity actually presented, and the client's trace
/// says why. Before, a config with certificate B or none resumed a session
/// made with A, and the server took it for A.
#[test]
fn a_session_is_resumed_only_by_the_client_identity_it_was_made_with() {
    let both = Arc::new(common::anchors(&["ecdsa/root.pem", "rsa/root.pem"]));
    for carrier in [Carrier::Id, Carrier::Ticket] {
        for (origin, now) in Identity::MATRIX {
            let label = format!("{carrier:?}: made with {origin:?}, offered by {now:?}");
            let world = World::new(carrier);
            let server = world.server(ClientAuth::Optional(both.clone()));
            let client_refusals = Arc::new(Refusals::default());
            let client = |who: Identity| {
                let mut config = world.client(who.files());
                config.observer = Some(client_refusals.clone());
                config
            };
            let (mut c, mut s) = world.connect(client(origin), server.clone());
            pump(&mut c, &mut s).unwrap();
            assert!(!s.established().unwrap().resumed, "{label}");
            assert_eq!(s.session().unwrap().peer_certificates, origin.chain());

            let (mut c, mut s) = world.connect(client(now), server);
            pump(&mut c, &mut s).unwrap_or_else(|e| panic!("{label}: {e:?}"));
            let same = origin == now;
            let est = s.established().unwrap();
            assert_eq!(c.established().unwrap().resumed, same, "{label}: client");
            assert_eq!(est.resumed, same, "{label}: server");
            assert_eq!(
                est.peer_certificates(),
                now.chain(),
                "{label}: the server must see the identity presented"
            );
            let refused = client_refusals.take();
            if same {
                assert!(refused.is_empty(), "{label}: {refused:?}");
            } else {
                assert_eq!(refused.len(), 1, "{label}: {refused:?}");
                let (reason, line) = &refused[0];
                assert_eq!(*reason, ResumptionRefusal::ClientIdentityChanged, "{label}");
                assert!(line.contains("another client certificate"), "{line}");
            }
        }
    }
}

/// A config that asks for no client certificate verified none: it resumes
/// a session made with one (its master secret is as good) but reports an
/// anonymous client, not the chain another config accepted. The session
/// keeps the chain, and a config that asks inherits it again. Before, the
/// config that asks for nothing reported the chain, `InheritedFromSession`.
#[test]
fn a_server_asking_for_no_client_certificate_resumes_an_anonymous_client() {
    let chain_a = Identity::A.chain();
    for carrier in [Carrier::Id, Carrier::Ticket] {
        let world = World::new(carrier);
        let asking = world.server(ClientAuth::Optional(roots("ecdsa/root.pem")));
        let connect = |server: &ServerConfig| {
            let (mut c, mut s) = world.connect(world.client(Identity::A.files()), server.clone());
            pump(&mut c, &mut s).unwrap();
            s
        };
        let s = connect(&asking);
        let est = s.established().unwrap();
        assert_eq!(est.peer_certificates(), chain_a);
        assert_eq!(est.peer.how(), Authentication::Signature);

        let s = connect(&world.server(ClientAuth::None));
        let est = s.established().unwrap();
        assert!(est.resumed, "{carrier:?}");
        assert!(
            est.peer_certificates().is_empty(),
            "{carrier:?}: a config that asks for nothing reported a client chain"
        );
        assert_eq!(est.peer.how(), Authentication::Anonymous, "{carrier:?}");
        assert_eq!(est.session.peer_certificates, chain_a, "{carrier:?}");

        let s = connect(&asking);
        let est = s.established().unwrap();
        assert!(est.resumed, "{carrier:?}");
        assert_eq!(est.peer_certificates(), chain_a, "{carrier:?}");
        assert_eq!(est.peer.how(), Authentication::InheritedFromSession);
    }
}

// ---------------------------------------------------------------------------
// The application's verify callback
// ---------------------------------------------------------------------------

/// A `VerifyCallback` that answers as told and counts the chains it saw.
#[derive(Debug)]
struct Callback {
    accept: bool,
    seen: std::sync::atomic::AtomicUsize,
}

impl Callback {
    fn new(accept: bool) -> Arc<Self> {
        Arc::new(Self {
            accept,
            seen: Default::default(),
        })
    }

    fn seen(&self) -> usize {
        self.seen.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl tls12::VerifyCallback for Callback {
    fn check(&self, _chain: &[Vec<u8>]) -> Result<(), tls12::CertificateError> {
        self.seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        match self.accept {
            true => Ok(()),
            false => Err(tls12::CertificateError::RejectedByApplication {
                reason: "test".into(),
            }),
        }
    }
}

/// A session made under a config without a verify callback, resumed into
/// one with a callback: the callback is asked about the session's peer
/// chain on both sides, once per resumption. One that accepts lets the
/// session resume; one that refuses means a full handshake, where it
/// refuses the chain again. Before, the session's record of the path check
/// resumed it without asking the callback, on both sides.
#[test]
fn a_verify_callback_sees_the_chain_of_every_session_it_lets_resume() {
    for carrier in [Carrier::Id, Carrier::Ticket] {
        for accept in [true, false] {
            let label = format!("{carrier:?}, callback accepts: {accept}");
            let world = World::new(carrier);
            let anchors = roots("ecdsa/root.pem");
            let server = |callback: Option<Arc<Callback>>| {
                let mut config = world.server(ClientAuth::Required(anchors.clone()));
                config.verify_callback = callback.map(|c| c as _);
                config
            };
            let client = |callback: Option<Arc<Callback>>| {
                let mut config = world.client(Some(CLIENT_A));
                config.verify_callback = callback.map(|c| c as _);
                config.observer = Some(world.refusals.clone());
                config
            };
            let (mut c, mut s) = world.connect(client(None), server(None));
            pump(&mut c, &mut s).unwrap();

            // The client's callback.
            let callback = Callback::new(accept);
            let (mut c, mut s) = world.connect(client(Some(callback.clone())), server(None));
            let outcome = pump(&mut c, &mut s).map(|()| c.established().unwrap().resumed);
            match accept {
                true => assert_eq!(outcome, Ok(true), "{label}"),
                false => assert!(
                    matches!(outcome, Err(("client", Error::Certificate(_)))),
                    "{label}: {outcome:?}"
                ),
            }
            // Refused: once over the session's chain, once in the full
            // handshake.
            assert_eq!(callback.seen(), 1 + usize::from(!accept), "{label}");
            let traced = world.refusals.take();
            assert_eq!(traced.len(), usize::from(!accept), "{label}: {traced:?}");

            // The server's callback, over a session the client still has.
            let (mut c, mut s) = world.connect(client(None), server(None));
            pump(&mut c, &mut s).unwrap();
            let callback = Callback::new(accept);
            let (mut c, mut s) = world.connect(client(None), server(Some(callback.clone())));
            let outcome = pump(&mut c, &mut s).map(|()| s.established().unwrap().resumed);
            match accept {
                true => assert_eq!(outcome, Ok(true), "{label}"),
                false => assert!(
                    matches!(outcome, Err(("server", Error::Certificate(_)))),
                    "{label}: {outcome:?}"
                ),
            }
            assert_eq!(callback.seen(), 1 + usize::from(!accept), "{label}");
            let traced = world.refusals.take();
            assert_eq!(traced.len(), usize::from(!accept), "{label}: {traced:?}");
        }
    }
}
