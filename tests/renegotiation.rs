//! Renegotiation (RFC 5246 §7.4.1.1, RFC 5746): a new handshake inside a
//! live connection, started by either side.
//!
//! What must hold (DESIGN.md, "Connection" and "Session"): the
//! *connection* stays (the same [`Connection`], the same socket, its
//! handshake count going up) while its *session* is replaced, by a new one
//! or by a resumed one; every handshake derives keys of its own (§6.3);
//! RFC 5746 binds each renegotiation to this connection's previous Finished
//! messages, so a tampered or missing renegotiation_info ends the
//! connection, and a peer that never signalled RFC 5746 is never
//! renegotiated with; a renegotiation must not change who the server is.
//!
//! Three kinds of tests:
//! - in memory: our client and our server, moved one flight at a time by
//!   the test through a hook that can open, edit and reseal records. As in
//!   tests/negative.rs, the record keys are derived here, independently of
//!   the connections, from the master secret and the randoms (§6.3:
//!   `key_block = PRF(master_secret, "key expansion", server_random +
//!   client_random)`), and sequence numbers are read off the connection's
//!   current write state;
//! - over loopback TCP with [`Stream`];
//! - against OpenSSL 3.0's `s_client` and `s_server` (child processes,
//!   killed on every path), with our example server or in process, each
//!   side started by either; and rustls 0.23, which declines both ways.
//!
//! A peer that never signalled RFC 5746 cannot be had from OpenSSL or
//! rustls; see the comment above `strip_renegotiation_info` for how such a
//! connection is made here.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use common::{openssl, s_server_command, start_s_server, test_data_arg, ChildGuard};
use rustls::pki_types::pem::PemObject;

use tls12::handshake::messages::{
    ClientHello, Finished, HandshakeMessage, HandshakePayload, HandshakeType, ServerHello,
    TLS_EMPTY_RENEGOTIATION_INFO_SCSV,
};
use tls12::handshake::proofs::Authentication;
use tls12::handshake::transcript::Transcript;
use tls12::handshake::PreviousHandshake;
use tls12::record_layer::aead::CipherState;
use tls12::record_layer::prf::{self, FinishedLabel};
use tls12::record_layer::record::ContentType;
use tls12::session_store::{ClientSessionStore, MemoryStore, ServerId};
use tls12::RenegotiationBinding;
use tls12::{
    AlertDescription, ClientAuth, ClientConfig, ClientSession, Connection, Error, Event,
    Renegotiation, ServerConfig, Session, Stream,
};

use common::wire::{
    content_types, deliver_if_any as deliver, derive_write_state, next_write_state, open, records,
    seal, take, take_fatal_alert, to_wire, write_state, AlertProtection, Writer,
};

type RecordError = tls12::record_layer::Error;

/// How long any one step with a real peer (a process starting, a
/// handshake, a reply) may take.
const TIMEOUT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------
// The in-memory harness
// ---------------------------------------------------------------------------

/// A client and a server connected by nothing but this test.
struct Pair {
    client: Connection,
    server: Connection,
}

impl Pair {
    /// A client connecting to `localhost` (its ClientHello is queued).
    fn new(client: &ClientConfig, server: &ServerConfig) -> Self {
        Self {
            client: Connection::client(Arc::new(client.clone()), "localhost").unwrap(),
            server: Connection::server(Arc::new(server.clone())),
        }
    }

    /// A pair whose first handshake (a full one) has completed, with its
    /// events taken.
    fn connected(client: &ClientConfig, server: &ServerConfig) -> Self {
        let mut pair = Self::new(client, server);
        pair.run().unwrap();
        for conn in [&mut pair.client, &mut pair.server] {
            assert_eq!(events(conn), [completed(1, false)]);
        }
        pair
    }

    /// Moves everything the client wrote to the server.
    fn client_to_server(&mut self) -> Result<(), Error> {
        let wire = take(&mut self.client);
        deliver(&mut self.server, &wire)
    }

    /// Moves everything the server wrote to the client.
    fn server_to_client(&mut self) -> Result<(), Error> {
        let wire = take(&mut self.server);
        deliver(&mut self.client, &wire)
    }

    /// Moves flights both ways until neither side has anything to send.
    fn run(&mut self) -> Result<(), Error> {
        for _ in 0..10 {
            if !self.client.wants_write() && !self.server.wants_write() {
                return Ok(());
            }
            self.client_to_server()?;
            self.server_to_client()?;
        }
        panic!("the flights never ended");
    }

    /// Application data both ways; each side must read exactly what the
    /// other wrote.
    fn exchange(&mut self, label: &str) {
        let up = format!("client to server: {label}");
        let down = format!("server to client: {label}");
        self.client.write_application_data(up.as_bytes()).unwrap();
        self.server.write_application_data(down.as_bytes()).unwrap();
        self.run().unwrap();
        assert_eq!(read_all(&mut self.server), up.as_bytes(), "{label}");
        assert_eq!(read_all(&mut self.client), down.as_bytes(), "{label}");
    }

    /// Both sides agree on the session in force and on this handshake's
    /// keys.
    fn assert_agree(&self) {
        let (c, s) = (Keys::of(&self.client), Keys::of(&self.server));
        assert_eq!(c.session.session_id, s.session.session_id);
        assert!(c.session.master_secret() == s.session.master_secret());
        assert!(
            c.key_block == s.key_block,
            "the two sides' key blocks differ"
        );
        assert_eq!(c.resumed, s.resumed);
        assert_eq!(self.client.handshake_count(), self.server.handshake_count());
    }
}

/// All the application data `conn` has received and not yet read.
fn read_all(conn: &mut Connection) -> Vec<u8> {
    let mut out = vec![0; conn.application_data_available()];
    let n = conn.read_application_data(&mut out);
    assert_eq!(n, out.len());
    out
}

/// Every event `conn` has queued.
fn events(conn: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| conn.next_event()).collect()
}

fn completed(handshake_count: u32, resumed: bool) -> Event {
    Event::HandshakeComplete {
        handshake_count,
        resumed,
    }
}

/// What one completed handshake left on a connection: the session in
/// force and this connection's key block (§6.3).
struct Keys {
    session: Arc<Session>,
    resumed: bool,
    client_random: [u8; 32],
    key_block: Vec<u8>,
}

impl Keys {
    fn of(conn: &Connection) -> Self {
        let est = conn.established().expect("a completed handshake");
        Self {
            session: est.session.clone(),
            resumed: est.resumed,
            client_random: est.client_random.0,
            key_block: est.key_block().as_bytes().to_vec(),
        }
    }

    fn same_master_secret(&self, other: &Keys) -> bool {
        self.session.master_secret() == other.session.master_secret()
    }
}

// Record protection, derived by the test (§6.3; see common::wire).

/// The sequence number of the next record `conn` will protect.
fn next_write_seq(conn: &Connection) -> u64 {
    conn.cipher_states().current_write().unwrap().seq_num()
}

/// `conn`'s current write state, derived here, positioned at its next
/// record.
fn current_write_state(conn: &Connection, writer: Writer) -> CipherState {
    next_write_state(conn, conn.established().unwrap(), writer)
}

/// A flight of records as (content type, plaintext).
type Plaintexts = Vec<(ContentType, Vec<u8>)>;

/// Opens every record of `wire` with `state()`, lets `edit` change the
/// plaintexts, and seals them again with another `state()`: the same
/// sequence numbers, so the receiver cannot tell.
fn reseal(
    wire: &[u8],
    state: impl Fn() -> CipherState,
    edit: impl FnOnce(&mut Plaintexts),
) -> Vec<u8> {
    let mut opener = state();
    let mut plain: Plaintexts = records(wire)
        .into_iter()
        .map(|(h, f)| (h.content_type, open(&mut opener, h, &f)))
        .collect();
    edit(&mut plain);
    let mut sealer = state();
    plain
        .iter()
        .flat_map(|(content_type, p)| seal(&mut sealer, *content_type, p))
        .collect()
}

/// Decodes the `msg_type` message among `plain`, lets `edit` change it,
/// and encodes it again. Our connections send one message per record.
fn edit_message(
    plain: &mut Plaintexts,
    msg_type: HandshakeType,
    edit: impl FnOnce(&mut HandshakePayload),
) {
    let fragment = plain
        .iter_mut()
        .find(|(t, p)| *t == ContentType::Handshake && p.first() == Some(&msg_type.value()))
        .map(|(_, p)| p)
        .unwrap_or_else(|| panic!("no {} in flight", msg_type.name()));
    let mut msg = HandshakeMessage::decode(fragment.clone()).unwrap();
    edit(&mut msg.payload);
    *fragment = HandshakeMessage::new(msg.payload).raw;
}

/// Checks that `failing` wrote exactly one record, the fatal `alert`,
/// protected by `state`; that `peer`, fed it, fails with that alert; and
/// that both sides stay failed with their sessions invalidated (§7.2.2).
fn assert_fatal_alert(
    failing: &mut Connection,
    error: &Error,
    state: CipherState,
    peer: &mut Connection,
    alert: AlertDescription,
) {
    assert_eq!(error.alert(), Some(alert), "{error}");
    let protection = AlertProtection::Sealed(Box::new(state));
    let wire = take_fatal_alert(failing, error, protection, alert);
    assert_eq!(failing.process_new_packets(), Err(error.clone()));
    assert_eq!(failing.write_application_data(b"x"), Err(error.clone()));

    let peer_error = Error::Record(RecordError::PeerAlert(tls12::Alert::fatal(alert)));
    assert_eq!(deliver(peer, &wire), Err(peer_error.clone()));
    assert_eq!(peer.write_application_data(b"x"), Err(peer_error));
    assert!(!peer.wants_write(), "no alert answers a fatal alert");
    for conn in [failing, peer] {
        assert!(!conn.session().unwrap().is_resumable(), "§7.2.2");
    }
}

/// Checks that `conn` wrote exactly one record: the warning
/// `no_renegotiation` (§7.2.2: "This message is always a warning"),
/// protected by `state`. Returns the record.
fn assert_no_renegotiation_warning(conn: &mut Connection, mut state: CipherState) -> Vec<u8> {
    let wire = take(conn);
    let recs = records(&wire);
    assert_eq!(recs.len(), 1, "one record, the warning");
    let (header, fragment) = &recs[0];
    assert_eq!(header.content_type, ContentType::Alert);
    // warning(1), no_renegotiation(100) (§7.2).
    assert_eq!(open(&mut state, *header, fragment), [1, 100]);
    wire
}

// ---------------------------------------------------------------------------
// Configurations
// ---------------------------------------------------------------------------

/// Configs whose sessions are kept by id in memory stores on both sides
/// (so sessions have ids, and can be resumed), without tickets.
struct Stores {
    client: ClientConfig,
    server: ServerConfig,
    client_store: Arc<MemoryStore>,
}

fn with_stores() -> Stores {
    let client_store = Arc::new(MemoryStore::new(8));
    let mut client = common::client_config();
    client.session_store = Some(client_store.clone());
    client.enable_tickets = false;
    let mut server = common::server_config();
    server.session_store = Some(Arc::new(MemoryStore::new(8)));
    Stores {
        client,
        server,
        client_store,
    }
}

fn localhost() -> ServerId {
    ServerId::parse("localhost").unwrap()
}

impl Stores {
    /// What the client keeps for `localhost`: the session and what only a
    /// client holds beside it.
    fn kept(&self) -> ClientSession {
        let kept = ClientSessionStore::get(&*self.client_store, &localhost()).unwrap();
        kept.expect("a session kept for localhost")
    }
}

/// A server config with one chain and its key (files under test-data/).
fn server_with(chain: &str, key: &str) -> ServerConfig {
    ServerConfig::new(vec![common::certified(chain, key)])
}

// ---------------------------------------------------------------------------
// A new session, a resumed session, the same connection
// ---------------------------------------------------------------------------

#[test]
fn client_renegotiation_makes_a_new_session() {
    let s = with_stores();
    let mut pair = Pair::connected(&s.client, &s.server);
    pair.exchange("before");
    let first = Keys::of(&pair.client);
    let server_first = Keys::of(&pair.server);

    pair.client.renegotiate().unwrap();
    assert!(pair.client.is_renegotiating());
    pair.run().unwrap();
    for conn in [&mut pair.client, &mut pair.server] {
        assert!(!conn.is_renegotiating());
        assert_eq!(conn.handshake_count(), 2);
        assert_eq!(events(conn), [completed(2, false)]);
    }
    pair.assert_agree();
    let second = Keys::of(&pair.client);
    assert!(!second.resumed);
    assert!(!Arc::ptr_eq(&first.session, &second.session));
    assert!(!second.session.session_id.is_empty());
    assert_ne!(second.session.session_id, first.session.session_id);
    assert!(!second.same_master_secret(&first));
    assert_ne!(second.client_random, first.client_random);
    assert!(second.key_block != first.key_block);
    // The server's connection switched session too.
    assert!(!Arc::ptr_eq(
        &server_first.session,
        pair.server.session().unwrap()
    ));
    pair.exchange("after");
}

#[test]
fn server_renegotiation_makes_a_new_session() {
    let s = with_stores();
    let mut pair = Pair::connected(&s.client, &s.server);
    pair.exchange("before");
    let first = Keys::of(&pair.server);

    // §7.4.1.1: the server sends HelloRequest; the client answers with a
    // ClientHello, and the handshake is the same as any other.
    let seq = next_write_seq(&pair.server);
    pair.server.renegotiate().unwrap();
    assert!(pair.server.is_renegotiating());
    assert!(!pair.client.is_renegotiating());
    // What went out is one HelloRequest, under the current keys.
    let wire = take(&mut pair.server);
    let hello_request = HandshakeMessage::new(HandshakePayload::HelloRequest).raw;
    let sent = reseal(
        &wire,
        || write_state(pair.server.established().unwrap(), Writer::Server, seq),
        |plain| assert_eq!(*plain, [(ContentType::Handshake, hello_request)]),
    );
    deliver(&mut pair.client, &sent).unwrap();
    assert!(pair.client.is_renegotiating());
    pair.run().unwrap();
    for conn in [&mut pair.client, &mut pair.server] {
        assert!(!conn.is_renegotiating());
        assert_eq!(conn.handshake_count(), 2);
        assert_eq!(events(conn), [completed(2, false)]);
    }
    pair.assert_agree();
    let second = Keys::of(&pair.server);
    assert!(!Arc::ptr_eq(&first.session, &second.session));
    assert_ne!(second.session.session_id, first.session.session_id);
    assert!(!second.same_master_secret(&first));
    assert!(second.key_block != first.key_block);
    pair.exchange("after");
}

/// Runs a client renegotiation (resuming the stored session or not) to
/// its end; checks both sides' events and count, that they agree, and that
/// data flows; returns what the client now has.
fn client_renegotiation(pair: &mut Pair, resuming: bool) -> Keys {
    let count = pair.client.handshake_count() + 1;
    let started = if resuming {
        pair.client.renegotiate_resuming()
    } else {
        pair.client.renegotiate()
    };
    started.unwrap();
    pair.run().unwrap();
    let keys = Keys::of(&pair.client);
    for conn in [&mut pair.client, &mut pair.server] {
        assert_eq!(events(conn), [completed(count, keys.resumed)]);
        assert_eq!(conn.handshake_count(), count);
    }
    pair.assert_agree();
    pair.exchange(&format!("after handshake {count}"));
    keys
}

#[test]
fn renegotiate_resuming_switches_the_connection_back_to_an_earlier_session() {
    let s = with_stores();
    let mut pair = Pair::connected(&s.client, &s.server);
    let first = Keys::of(&pair.client);

    // 2: the client store holds the first session; an abbreviated handshake
    // (§7.3, Figure 2) brings it back: the same master secret, new keys.
    let second = client_renegotiation(&mut pair, true);
    assert!(second.resumed);
    assert!(Arc::ptr_eq(&second.session, &first.session));
    assert!(second.same_master_secret(&first));

    // 3: a full renegotiation: a new session, which the client store now
    // keeps for this server in place of the first.
    let third = client_renegotiation(&mut pair, false);
    assert!(!third.resumed);
    assert_ne!(third.session.session_id, first.session.session_id);
    assert!(!third.same_master_secret(&first));
    let stored = ClientSessionStore::get(&*s.client_store, &localhost()).unwrap();
    assert!(Arc::ptr_eq(&stored.unwrap().session, &third.session));

    // 4: with the first session put back in the store, the connection
    // returns to it.
    let first_kept = ClientSession::new(first.session.clone(), None);
    ClientSessionStore::put(&*s.client_store, &localhost(), first_kept).unwrap();
    let fourth = client_renegotiation(&mut pair, true);
    assert!(fourth.resumed);
    assert!(Arc::ptr_eq(&fourth.session, &first.session));
    assert_eq!(
        pair.server.session().unwrap().session_id,
        first.session.session_id
    );
    assert!(fourth.same_master_secret(&first));

    // §6.3: every handshake made keys of its own, even the three that
    // share one master secret.
    let all = [&first, &second, &third, &fourth];
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            assert_ne!(a.client_random, b.client_random);
            assert!(a.key_block != b.key_block, "two handshakes, one key block");
        }
    }
}

#[test]
fn over_tcp_the_connection_stays_while_its_session_changes() {
    let s = with_stores();
    // The server answers each 4-byte ping with its handshake count, and
    // reports what it saw of the connection each time.
    let (port, server) = common::serve_once(s.server.clone(), |stream| {
        let mut stream = stream.unwrap();
        stream.get_ref().set_read_timeout(Some(TIMEOUT)).unwrap();
        let mut seen = Vec::new();
        for _ in 0..3 {
            let mut ping = [0u8; 4];
            stream.read_exact(&mut ping).unwrap();
            let conn = stream.connection();
            let count = conn.handshake_count();
            let id = conn.session().unwrap().session_id;
            seen.push((count, id, stream.get_ref().peer_addr().unwrap()));
            stream.write_all(&[u8::try_from(count).unwrap()]).unwrap();
        }
        stream.close().unwrap();
        seen
    });
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(TIMEOUT)).unwrap();
    let local = sock.local_addr().unwrap();
    let mut stream = Stream::connect(Arc::new(s.client.clone()), "localhost", sock).unwrap();
    let mut sessions: Vec<Arc<Session>> = Vec::new();
    for round in 1..=3 {
        if round > 1 {
            // Blocks until the server (inside its `read`) has answered.
            stream.renegotiate().unwrap();
        }
        let conn = stream.connection_mut();
        assert_eq!(conn.handshake_count(), round);
        assert_eq!(conn.next_event(), Some(completed(round, false)));
        sessions.push(conn.session().unwrap().clone());
        stream.write_all(b"ping").unwrap();
        let mut count = [0u8];
        stream.read_exact(&mut count).unwrap();
        assert_eq!(u32::from(count[0]), round);
        assert_eq!(stream.get_ref().local_addr().unwrap(), local);
    }
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty() && stream.connection().peer_closed());
    let seen = server.join().unwrap();
    for (i, (count, id, peer)) in seen.into_iter().enumerate() {
        assert_eq!(count as usize, i + 1);
        assert_eq!(id, sessions[i].session_id, "handshake {count}");
        assert_eq!(peer, local, "one socket all along");
    }
    for (i, a) in sessions.iter().enumerate() {
        for b in &sessions[i + 1..] {
            assert!(!Arc::ptr_eq(a, b));
            assert_ne!(a.session_id, b.session_id);
        }
    }
}

// ---------------------------------------------------------------------------
// RFC 5746: renegotiation_info ties the renegotiation to this connection
// ---------------------------------------------------------------------------

/// A pair whose client has started a renegotiation; its ClientHello,
/// protected under the current keys, is opened, given to `edit` (with the
/// client's view of the last handshake) and resealed, and then reaches the
/// server. Returns the pair, the server's result, and the server's write
/// state for the alert it may send (it has not sent ChangeCipherSpec in
/// this handshake: its current keys).
fn renegotiation_client_hello(
    edit: impl FnOnce(&mut ClientHello, &RenegotiationBinding),
) -> (Pair, Result<(), Error>, CipherState) {
    let mut pair = Pair::connected(&common::client_config(), &common::server_config());
    pair.exchange("before");
    let seq = next_write_seq(&pair.client);
    pair.client.renegotiate().unwrap();
    let wire = take(&mut pair.client);
    let est = pair.client.established().unwrap();
    let binding = pair.client.renegotiation_binding().unwrap();
    let tampered = reseal(
        &wire,
        || write_state(est, Writer::Client, seq),
        |plain| {
            assert_eq!(plain.len(), 1, "one record: the ClientHello");
            edit_message(plain, HandshakeType::ClientHello, |payload| {
                let HandshakePayload::ClientHello(hello) = payload else {
                    panic!("{payload:?}")
                };
                // RFC 5746 §3.5: "the saved client_verify_data".
                assert_eq!(
                    hello.extensions.renegotiation_info.as_deref(),
                    Some(&binding.client_verify_data[..])
                );
                assert!(!hello
                    .cipher_suites
                    .contains(&TLS_EMPTY_RENEGOTIATION_INFO_SCSV));
                edit(hello, binding);
            });
        },
    );
    let server_state = current_write_state(&pair.server, Writer::Server);
    let result = deliver(&mut pair.server, &tampered);
    (pair, result, server_state)
}

/// A pair whose client has started a renegotiation; the server's answer
/// (ServerHello, Certificate, ServerKeyExchange, ServerHelloDone under the
/// current keys) is opened, its ServerHello given to `edit` (with the
/// client's view of the last handshake), resealed, and delivered to the
/// client. Returns the pair, the client's result, and the client's write
/// state for its alert.
fn renegotiation_server_hello(
    edit: impl FnOnce(&mut ServerHello, &RenegotiationBinding),
) -> (Pair, Result<(), Error>, CipherState) {
    let mut pair = Pair::connected(&common::client_config(), &common::server_config());
    pair.exchange("before");
    let seq = next_write_seq(&pair.server);
    pair.client.renegotiate().unwrap();
    pair.client_to_server().unwrap();
    let wire = take(&mut pair.server);
    let est = pair.client.established().unwrap();
    let binding = pair.client.renegotiation_binding().unwrap();
    let tampered = reseal(
        &wire,
        || write_state(est, Writer::Server, seq),
        |plain| {
            assert_eq!(plain.len(), 4, "the server's flight of a full handshake");
            edit_message(plain, HandshakeType::ServerHello, |payload| {
                let HandshakePayload::ServerHello(hello) = payload else {
                    panic!("{payload:?}")
                };
                // RFC 5746 §3.7: "the saved client_verify_data and
                // server_verify_data".
                assert_eq!(
                    hello.extensions.renegotiation_info,
                    Some(binding.both_verify_data())
                );
                edit(hello, binding);
            });
        },
    );
    let client_state = current_write_state(&pair.client, Writer::Client);
    let result = deliver(&mut pair.client, &tampered);
    (pair, result, client_state)
}

#[test]
fn harness_reseals_renegotiation_hellos_faithfully() {
    // Opened and sealed again unchanged, both hellos are accepted and the
    // renegotiation completes: what the tests below change is all that
    // makes them fail.
    let (mut pair, result, _) = renegotiation_client_hello(|_, _| {});
    result.unwrap();
    pair.run().unwrap();
    assert_eq!(pair.client.handshake_count(), 2);
    pair.assert_agree();

    let (mut pair, result, _) = renegotiation_server_hello(|_, _| {});
    result.unwrap();
    pair.run().unwrap();
    assert_eq!(pair.server.handshake_count(), 2);
    pair.assert_agree();
    pair.exchange("after");
}

type ClientHelloEdit = fn(&mut ClientHello, &RenegotiationBinding);

#[test]
fn tampered_renegotiation_info_in_the_client_hello_is_handshake_failure() {
    // RFC 5746 §3.7: the server "MUST verify that it does not contain the
    // TLS_EMPTY_RENEGOTIATION_INFO_SCSV SCSV", that the extension is
    // present, and that it "is equal to the saved client_verify_data
    // value"; "If they are not, the server MUST abort the handshake."
    let cases: [(&str, ClientHelloEdit); 7] = [
        ("one bit of client_verify_data flipped", |hello, _| {
            hello.extensions.renegotiation_info.as_mut().unwrap()[5] ^= 0x10;
        }),
        ("empty, as on an initial handshake", |hello, _| {
            hello.extensions.renegotiation_info = Some(Vec::new());
        }),
        ("absent", |hello, _| {
            hello.extensions.renegotiation_info = None;
        }),
        ("absent, with the SCSV instead", |hello, _| {
            hello.extensions.renegotiation_info = None;
            hello.cipher_suites.push(TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
        }),
        ("correct, but with the SCSV", |hello, _| {
            hello.cipher_suites.push(TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
        }),
        ("the server's verify_data", |hello, binding| {
            hello.extensions.renegotiation_info = Some(binding.server_verify_data.to_vec());
        }),
        (
            "both verify_data, as a server sends them",
            |hello, binding| {
                let both = [binding.client_verify_data, binding.server_verify_data].concat();
                hello.extensions.renegotiation_info = Some(both);
            },
        ),
    ];
    for (case, edit) in cases {
        let (mut pair, result, server_state) = renegotiation_client_hello(edit);
        let error = result.expect_err(case);
        assert!(
            matches!(error, Error::SecureRenegotiation(_)),
            "{case}: {error:?}"
        );
        assert_fatal_alert(
            &mut pair.server,
            &error,
            server_state,
            &mut pair.client,
            AlertDescription::HandshakeFailure,
        );
    }
}

type ServerHelloEdit = fn(&mut ServerHello, &RenegotiationBinding);

#[test]
fn tampered_renegotiation_info_in_the_server_hello_is_handshake_failure() {
    // RFC 5746 §3.5: the client "MUST verify that the "renegotiation_info"
    // extension is present", that its first half "is equal to the saved
    // client_verify_data value, and the second half is equal to the saved
    // server_verify_data value. If they are not, the client MUST abort the
    // handshake."
    let cases: [(&str, ServerHelloEdit); 6] = [
        (
            "a bit of the client_verify_data half flipped",
            |hello, _| {
                hello.extensions.renegotiation_info.as_mut().unwrap()[0] ^= 0x01;
            },
        ),
        (
            "a bit of the server_verify_data half flipped",
            |hello, _| {
                hello.extensions.renegotiation_info.as_mut().unwrap()[23] ^= 0x80;
            },
        ),
        ("client_verify_data only", |hello, binding| {
            hello.extensions.renegotiation_info = Some(binding.client_verify_data.to_vec());
        }),
        ("the halves swapped", |hello, binding| {
            let swapped = [binding.server_verify_data, binding.client_verify_data].concat();
            hello.extensions.renegotiation_info = Some(swapped);
        }),
        ("empty, as on an initial handshake", |hello, _| {
            hello.extensions.renegotiation_info = Some(Vec::new());
        }),
        ("absent", |hello, _| {
            hello.extensions.renegotiation_info = None;
        }),
    ];
    for (case, edit) in cases {
        let (mut pair, result, client_state) = renegotiation_server_hello(edit);
        let error = result.expect_err(case);
        assert!(
            matches!(error, Error::SecureRenegotiation(_)),
            "{case}: {error:?}"
        );
        assert_fatal_alert(
            &mut pair.client,
            &error,
            client_state,
            &mut pair.server,
            AlertDescription::HandshakeFailure,
        );
    }
}

#[test]
fn a_renegotiation_that_changes_the_extended_master_secret_is_refused() {
    // The first handshake used the extended master secret (RFC 7627); a
    // renegotiation on the same connection must not drop it. RFC 7627
    // §5.3 demands this of a resumption ("the client MUST abort the
    // handshake"); within one connection, with the same peer, the change
    // is no less a sign of misconfiguration or tampering. Each side checks
    // the other's hello, before any key is derived.
    let case = "renegotiation changed the extended master secret";
    let (mut pair, result, client_state) = renegotiation_server_hello(|hello, _| {
        assert!(hello.extensions.extended_master_secret, "kept, untampered");
        hello.extensions.extended_master_secret = false;
    });
    let error = result.expect_err("the client must refuse");
    assert_eq!(error, Error::IllegalParameter(case));
    assert_fatal_alert(
        &mut pair.client,
        &error,
        client_state,
        &mut pair.server,
        AlertDescription::IllegalParameter,
    );

    let (mut pair, result, server_state) = renegotiation_client_hello(|hello, _| {
        hello.extensions.extended_master_secret = false;
    });
    let error = result.expect_err("the server must refuse");
    assert_eq!(error, Error::IllegalParameter(case));
    assert_fatal_alert(
        &mut pair.server,
        &error,
        server_state,
        &mut pair.client,
        AlertDescription::IllegalParameter,
    );
}

// A peer that never signalled RFC 5746.
//
// Neither OpenSSL nor rustls can be told to leave RFC 5746 out, and our own
// client always signals it, so the test makes such a connection itself, as
// a man in the middle who knows the session: it strips the empty
// renegotiation_info from the client's first ClientHello, in the clear.
// The server then records that the client never signalled RFC 5746, and
// (§3.6) says nothing of it in its ServerHello, so the client records the
// same of the server: each side's own code decides, from what it received.
// The strip changes what the two sides hash, so the Finished messages no
// longer match (the next test shows that this is caught). To get past them
// the handshake is a resumption, whose master secret the test holds: it
// recomputes each Finished over the messages its receiver saw (§7.4.9) and
// reseals it under the new keys (§6.3). What follows is a connection that
// really completed with `secure_renegotiation` false on both sides.

/// `verify_data` over `messages` with `session`'s master secret (§7.4.9:
/// `PRF(master_secret, finished_label, Hash(handshake_messages))`).
fn verify_data_over(session: &Session, label: FinishedLabel, messages: &[&[u8]]) -> [u8; 12] {
    let mut transcript = Transcript::default();
    for message in messages {
        transcript.add_raw(message);
    }
    let suite = session.cipher_suite;
    prf::verify_data(
        suite.prf_hash(),
        session.master_secret(),
        label,
        transcript.hash(suite).as_ref(),
    )
}

fn finished_message(verify_data: [u8; 12]) -> Vec<u8> {
    HandshakeMessage::new(HandshakePayload::Finished(Finished { verify_data })).raw
}

/// A resumption whose ClientHello loses its renegotiation_info in flight.
/// With `fix_finished`, the test recomputes both Finished messages (see
/// above); the result is the last delivery's.
fn strip_renegotiation_info(fix_finished: bool) -> (Pair, Result<(), Error>) {
    let s = with_stores();
    let session = Pair::connected(&s.client, &s.server)
        .client
        .session()
        .unwrap()
        .clone();
    let mut pair = Pair::new(&s.client, &s.server);

    // The ClientHello offers the session and signals RFC 5746 with an empty
    // renegotiation_info (§3.4), not with the SCSV.
    let mut hello = records(&take(&mut pair.client));
    assert_eq!(hello.len(), 1);
    let original = hello[0].1.clone();
    let mut msg = HandshakeMessage::decode(original.clone()).unwrap();
    let HandshakePayload::ClientHello(client_hello) = &mut msg.payload else {
        panic!("{msg:?}")
    };
    assert_eq!(client_hello.session_id, session.session_id);
    assert_eq!(client_hello.extensions.renegotiation_info, Some(Vec::new()));
    assert!(!client_hello
        .cipher_suites
        .contains(&TLS_EMPTY_RENEGOTIATION_INFO_SCSV));
    client_hello.extensions.renegotiation_info = None;
    let client_random = client_hello.random.0;
    let stripped = HandshakeMessage::new(msg.payload).raw;
    hello[0].1 = stripped.clone();
    deliver(&mut pair.server, &to_wire(&hello)).unwrap();

    // ServerHello, ChangeCipherSpec, Finished: the server resumes, and says
    // nothing of RFC 5746.
    let flight = take(&mut pair.server);
    assert_eq!(
        content_types(&flight),
        [
            ContentType::Handshake,
            ContentType::ChangeCipherSpec,
            ContentType::Handshake
        ]
    );
    let mut flight = records(&flight);
    let server_hello = flight[0].1.clone();
    let HandshakePayload::ServerHello(sh) = HandshakeMessage::decode(server_hello.clone())
        .unwrap()
        .payload
    else {
        panic!("no ServerHello")
    };
    assert_eq!(sh.session_id, session.session_id);
    assert_eq!(sh.extensions.renegotiation_info, None);
    let state = |writer| {
        derive_write_state(
            session.cipher_suite,
            session.master_secret(),
            &client_random,
            &sh.random.0,
            writer,
        )
    };
    let server_finished = open(&mut state(Writer::Server), flight[2].0, &flight[2].1);
    if fix_finished {
        // What the client hashed: its own ClientHello, not the stripped one.
        let verify_data = verify_data_over(
            &session,
            FinishedLabel::ServerFinished,
            &[&original, &server_hello],
        );
        let resealed = seal(
            &mut state(Writer::Server),
            ContentType::Handshake,
            &finished_message(verify_data),
        );
        flight[2] = records(&resealed).remove(0);
    }
    let result = deliver(&mut pair.client, &to_wire(&flight));
    if result.is_err() || !fix_finished {
        return (pair, result);
    }

    // The client's ChangeCipherSpec and Finished; the server hashed the
    // stripped ClientHello and its own Finished.
    let mut reply = records(&take(&mut pair.client));
    assert_eq!(reply.len(), 2);
    let verify_data = verify_data_over(
        &session,
        FinishedLabel::ClientFinished,
        &[&stripped, &server_hello, &server_finished],
    );
    let resealed = seal(
        &mut state(Writer::Client),
        ContentType::Handshake,
        &finished_message(verify_data),
    );
    reply[1] = records(&resealed).remove(0);
    let result = deliver(&mut pair.server, &to_wire(&reply));
    (pair, result)
}

#[test]
fn renegotiation_info_stripped_in_flight_is_caught_by_finished() {
    let (mut pair, result) = strip_renegotiation_info(false);
    assert_eq!(result, Err(Error::BadFinished));
    // The client has not sent ChangeCipherSpec: its alert is in the clear.
    let alert = records(&take(&mut pair.client));
    assert_eq!(alert.len(), 1);
    assert_eq!(alert[0].0.content_type, ContentType::Alert);
    assert_eq!(alert[0].1, [2, AlertDescription::DecryptError.value()]);
}

#[test]
fn no_renegotiation_with_a_peer_that_never_signalled_rfc_5746() {
    let (mut pair, result) = strip_renegotiation_info(true);
    result.unwrap();
    for conn in [&mut pair.client, &mut pair.server] {
        assert_eq!(events(conn), [completed(1, true)]);
    }
    pair.exchange("a connection without RFC 5746");
    for conn in [&pair.client, &pair.server] {
        let binding = conn.renegotiation_binding().unwrap();
        assert!(!binding.secure_renegotiation);
        assert!(PreviousHandshake::new(binding, conn.session().unwrap()).is_none());
    }

    // RFC 5746 §4.2 and §4.4 allow renegotiating with such a peer; we never
    // do (DESIGN.md, "insecure renegotiation refused"): neither side starts
    // one, and the connection goes on.
    let attempts = [
        pair.client.renegotiate(),
        pair.client.renegotiate_resuming(),
        pair.server.renegotiate(),
        pair.server
            .renegotiate_with(Arc::new(common::server_config())),
    ];
    for attempt in attempts {
        // Refused here, without an alert: nothing went on the wire.
        assert_eq!(attempt, Err(Error::PeerLacksSecureRenegotiation));
    }
    for conn in [&pair.client, &pair.server] {
        assert!(!conn.wants_write() && !conn.is_renegotiating());
    }
    pair.exchange("after refusing to start");

    // Nor does either side follow one the peer starts. A HelloRequest,
    // sealed by the test in place of a server record: the client declines.
    let seq = next_write_seq(&pair.server);
    pair.server.write_application_data(b"replaced").unwrap();
    let wire = take(&mut pair.server);
    let hello_request = reseal(
        &wire,
        || write_state(pair.server.established().unwrap(), Writer::Server, seq),
        |plain| {
            assert_eq!(
                *plain,
                [(ContentType::ApplicationData, b"replaced".to_vec())]
            );
            plain[0] = (
                ContentType::Handshake,
                HandshakeMessage::new(HandshakePayload::HelloRequest).raw,
            );
        },
    );
    let client_state = current_write_state(&pair.client, Writer::Client);
    deliver(&mut pair.client, &hello_request).unwrap();
    assert_eq!(events(&mut pair.client), [Event::RenegotiationDeclined]);
    assert!(!pair.client.is_renegotiating());
    let warning = assert_no_renegotiation_warning(&mut pair.client, client_state);
    deliver(&mut pair.server, &warning).unwrap();
    assert_eq!(events(&mut pair.server), []);

    // A ClientHello of a client that knows nothing of RFC 5746 (a fresh
    // one, stripped), sealed in place of a client record: the server
    // declines.
    let mut fresh = Connection::client(Arc::new(common::client_config()), "localhost").unwrap();
    let fresh_hello = records(&take(&mut fresh)).remove(0).1;
    let seq = next_write_seq(&pair.client);
    pair.client.write_application_data(b"replaced").unwrap();
    let wire = take(&mut pair.client);
    let client_hello = reseal(
        &wire,
        || write_state(pair.client.established().unwrap(), Writer::Client, seq),
        |plain| {
            plain[0] = (ContentType::Handshake, fresh_hello);
            edit_message(plain, HandshakeType::ClientHello, |payload| {
                let HandshakePayload::ClientHello(hello) = payload else {
                    panic!("{payload:?}")
                };
                hello.extensions.renegotiation_info = None;
            });
        },
    );
    let server_state = current_write_state(&pair.server, Writer::Server);
    deliver(&mut pair.server, &client_hello).unwrap();
    assert_eq!(events(&mut pair.server), [Event::RenegotiationDeclined]);
    assert!(!pair.server.is_renegotiating());
    let warning = assert_no_renegotiation_warning(&mut pair.server, server_state);
    deliver(&mut pair.client, &warning).unwrap();
    assert_eq!(events(&mut pair.client), []);

    pair.exchange("the connection goes on");
    assert_eq!(pair.client.handshake_count(), 1);
    assert_eq!(pair.server.handshake_count(), 1);
}

// ---------------------------------------------------------------------------
// Policy: how many renegotiations, whether to answer HelloRequest, whether
// the server may change
// ---------------------------------------------------------------------------

#[test]
fn client_initiated_renegotiations_are_limited_per_connection() {
    // Each policy that bounds them, with the number it allows.
    for (policy, max) in [
        (Renegotiation::Never, 0),
        (Renegotiation::Once, 1),
        (Renegotiation::UpTo(2), 2),
    ] {
        let mut server = common::server_config();
        server.peer_renegotiation = policy;
        let mut pair = Pair::connected(&common::client_config(), &server);
        for _ in 0..max {
            client_renegotiation(&mut pair, false);
        }
        // Over the limit: declined with a no_renegotiation warning, every
        // time; the connection goes on under its last keys.
        for attempt in 1..=2 {
            let before = Keys::of(&pair.client);
            pair.client.renegotiate().unwrap();
            let server_state = current_write_state(&pair.server, Writer::Server);
            pair.client_to_server().unwrap();
            assert_eq!(events(&mut pair.server), [Event::RenegotiationDeclined]);
            assert!(!pair.server.is_renegotiating());
            let warning = assert_no_renegotiation_warning(&mut pair.server, server_state);
            assert!(pair.client.is_renegotiating());
            deliver(&mut pair.client, &warning).unwrap();
            assert_eq!(events(&mut pair.client), [Event::RenegotiationRefused]);
            assert!(!pair.client.is_renegotiating());

            pair.exchange(&format!("{policy:?}, refused attempt {attempt}"));
            for conn in [&pair.client, &pair.server] {
                assert_eq!(conn.handshake_count(), max + 1, "{policy:?}");
            }
            let after = Keys::of(&pair.client);
            assert!(Arc::ptr_eq(&before.session, &after.session));
            assert!(before.key_block == after.key_block);
        }
        // The limit is on the client's requests: the server may still
        // start one itself.
        pair.server.renegotiate().unwrap();
        pair.run().unwrap();
        for conn in [&mut pair.client, &mut pair.server] {
            assert_eq!(events(conn), [completed(max + 2, false)]);
        }
        pair.exchange("after the server's renegotiation");
    }
}

#[test]
fn a_client_answers_as_many_hello_requests_as_its_limit() {
    // Renegotiation::Once: the first HelloRequest gets a new handshake,
    // the second a no_renegotiation warning (Go's RenegotiateOnceAsClient,
    // BoringSSL's "renegotiate once"); the client may still renegotiate on
    // its own.
    let mut client = common::client_config();
    client.peer_renegotiation = Renegotiation::Once;
    let mut pair = Pair::connected(&client, &common::server_config());
    pair.server.renegotiate().unwrap();
    pair.run().unwrap();
    assert_eq!(events(&mut pair.client), [completed(2, false)]);
    assert_eq!(events(&mut pair.server), [completed(2, false)]);

    pair.server.renegotiate().unwrap();
    let client_state = current_write_state(&pair.client, Writer::Client);
    pair.server_to_client().unwrap();
    assert_eq!(events(&mut pair.client), [Event::RenegotiationDeclined]);
    let warning = assert_no_renegotiation_warning(&mut pair.client, client_state);
    deliver(&mut pair.server, &warning).unwrap();
    assert_eq!(events(&mut pair.server), [Event::RenegotiationRefused]);
    pair.exchange("after the refusal");
    client_renegotiation(&mut pair, false);
    assert_eq!(pair.client.handshake_count(), 3);
}

#[test]
fn a_client_that_disallows_renegotiation_declines_hello_request() {
    let mut client = common::client_config();
    client.peer_renegotiation = Renegotiation::Never;
    let mut pair = Pair::connected(&client, &common::server_config());
    let before = Keys::of(&pair.client);

    pair.server.renegotiate().unwrap();
    let client_state = current_write_state(&pair.client, Writer::Client);
    pair.server_to_client().unwrap();
    assert_eq!(events(&mut pair.client), [Event::RenegotiationDeclined]);
    assert!(!pair.client.is_renegotiating());
    let warning = assert_no_renegotiation_warning(&mut pair.client, client_state);
    assert!(pair.server.is_renegotiating());
    deliver(&mut pair.server, &warning).unwrap();
    assert_eq!(events(&mut pair.server), [Event::RenegotiationRefused]);
    assert!(!pair.server.is_renegotiating());

    pair.exchange("after the refusal");
    for conn in [&pair.client, &pair.server] {
        assert_eq!(conn.handshake_count(), 1);
    }
    let after = Keys::of(&pair.client);
    assert!(Arc::ptr_eq(&before.session, &after.session));
    assert!(before.key_block == after.key_block);

    // The setting is about answering HelloRequest: the client may still
    // renegotiate when it wants to.
    client_renegotiation(&mut pair, false);
}

#[test]
fn a_renegotiation_with_another_server_certificate_is_refused() {
    let mut pair = Pair::connected(&common::client_config(), &common::server_config());
    // Our server prefers the ECDSA suites, so the first handshake used the
    // ECDSA certificate.
    let first = pair.client.established().unwrap();
    assert_eq!(
        first.peer_certificates(),
        common::certs_der("ecdsa/localhost.chain.pem")
    );
    // The renegotiation is served with the RSA certificate only: valid for
    // the same name and trusted by the client, but another certificate, so
    // possibly another server (the triple-handshake attack, RFC 7627 §1).
    let rsa_only = server_with("rsa/localhost.chain.pem", "rsa/localhost.key");
    pair.server.renegotiate_with(Arc::new(rsa_only)).unwrap();
    pair.server_to_client().unwrap(); // HelloRequest
    pair.client_to_server().unwrap(); // ClientHello
    let client_state = current_write_state(&pair.client, Writer::Client);
    let error = pair.server_to_client().unwrap_err();
    assert_eq!(error, Error::ServerCertificateChanged);
    assert_fatal_alert(
        &mut pair.client,
        &error,
        client_state,
        &mut pair.server,
        AlertDescription::HandshakeFailure,
    );
}

#[test]
fn a_renegotiation_resuming_a_session_of_another_server_certificate_is_refused() {
    // Two servers for one name share a session cache: one has only the RSA
    // certificate, the other prefers ECDSA.
    let shared = Arc::new(MemoryStore::new(8));
    let mut rsa_server = server_with("rsa/localhost.chain.pem", "rsa/localhost.key");
    rsa_server.session_store = Some(shared.clone());
    let mut ecdsa_server = common::server_config();
    ecdsa_server.session_store = Some(shared);
    let s = with_stores();

    Pair::connected(&s.client, &rsa_server);
    let rsa_session = s.kept();
    ClientSessionStore::remove(&*s.client_store, &localhost()).unwrap();
    let mut pair = Pair::connected(&s.client, &ecdsa_server);
    let ecdsa_chain = common::certs_der("ecdsa/localhost.chain.pem");
    assert_eq!(
        pair.client.established().unwrap().peer_certificates(),
        ecdsa_chain
    );
    // The client offers the RSA server's session; the server resumes it.
    ClientSessionStore::put(&*s.client_store, &localhost(), rsa_session).unwrap();
    pair.client.renegotiate_resuming().unwrap();
    pair.client_to_server().unwrap();
    let client_state = current_write_state(&pair.client, Writer::Client);
    let error = pair.server_to_client().unwrap_err();
    assert_eq!(error, Error::ServerCertificateChanged);
    assert_fatal_alert(
        &mut pair.client,
        &error,
        client_state,
        &mut pair.server,
        AlertDescription::HandshakeFailure,
    );
}

// ---------------------------------------------------------------------------
// Client certificates asked for only in the renegotiation
// ---------------------------------------------------------------------------

/// A server config that requires a client certificate under the ECDSA root.
fn requiring_client_certificate(mut config: ServerConfig) -> ServerConfig {
    config.client_auth = ClientAuth::Required(Arc::new(common::anchors(&["ecdsa/root.pem"])));
    config
}

fn client_with_certificate(mut config: ClientConfig) -> ClientConfig {
    config.client_certificates = vec![Arc::new(common::certified(
        "ecdsa/client.chain.pem",
        "ecdsa/client.key",
    ))];
    config
}

#[test]
fn a_server_renegotiation_can_demand_a_client_certificate() {
    let client = client_with_certificate(common::client_config());
    let mut pair = Pair::connected(&client, &common::server_config());
    let est = pair.server.established().unwrap();
    assert!(est.peer_certificates().is_empty());
    assert_eq!(est.peer.how(), Authentication::Anonymous);

    let demanding = requiring_client_certificate(common::server_config());
    pair.server.renegotiate_with(Arc::new(demanding)).unwrap();
    pair.run().unwrap();
    for conn in [&mut pair.client, &mut pair.server] {
        assert_eq!(events(conn), [completed(2, false)]);
    }
    let est = pair.server.established().unwrap();
    let chain = common::certs_der("ecdsa/client.chain.pem");
    assert_eq!(est.peer_certificates(), chain);
    assert_eq!(est.session.peer_certificates, chain);
    assert_eq!(est.peer.how(), Authentication::Signature);
    pair.assert_agree();
    pair.exchange("as an authenticated client");

    // A client without one is refused (§7.4.6), under the keys in force.
    let mut pair = Pair::connected(&common::client_config(), &common::server_config());
    let demanding = requiring_client_certificate(common::server_config());
    pair.server.renegotiate_with(Arc::new(demanding)).unwrap();
    pair.server_to_client().unwrap(); // HelloRequest
    pair.client_to_server().unwrap(); // ClientHello
    pair.server_to_client().unwrap(); // ... CertificateRequest, ServerHelloDone
    let server_state = current_write_state(&pair.server, Writer::Server);
    let error = pair.client_to_server().unwrap_err();
    assert_eq!(error, Error::ClientCertificateRequired);
    assert_fatal_alert(
        &mut pair.server,
        &error,
        server_state,
        &mut pair.client,
        AlertDescription::HandshakeFailure,
    );
}

/// After a step-up the stepped-up config governs the connection: a client
/// that renegotiates again must meet it again. Before, the client's own
/// renegotiations were judged by the connection's first config, which asks
/// for no certificate: a full one left the connection with an anonymous
/// client, and the session of the first handshake (no client certificate)
/// was resumed instead of refused.
#[test]
fn after_a_step_up_client_renegotiations_meet_the_stepped_up_policy() {
    let s = with_stores();
    let client = client_with_certificate(s.client.clone());
    let chain = common::certs_der("ecdsa/client.chain.pem");
    let mut pair = Pair::connected(&client, &s.server);
    let anonymous = s.kept();
    assert!(Arc::ptr_eq(
        &anonymous.session,
        pair.client.session().unwrap()
    ));
    assert!(pair.server.session().unwrap().peer_certificates.is_empty());

    let demanding = requiring_client_certificate(s.server.clone());
    pair.server.renegotiate_with(Arc::new(demanding)).unwrap();
    pair.run().unwrap();
    for conn in [&mut pair.client, &mut pair.server] {
        assert_eq!(events(conn), [completed(2, false)]);
    }
    assert_eq!(
        pair.server.established().unwrap().peer_certificates(),
        chain
    );

    // A full renegotiation: the certificate is asked for, and checked, again.
    pair.client.renegotiate().unwrap();
    pair.run().unwrap();
    for conn in [&mut pair.client, &mut pair.server] {
        assert_eq!(events(conn), [completed(3, false)]);
    }
    let est = pair.server.established().unwrap();
    assert_eq!(
        est.peer_certificates(),
        chain,
        "the client renegotiated its authentication away"
    );
    assert_eq!(est.peer.how(), Authentication::Signature);

    // Offering the first handshake's session, made without a certificate
    // (the first config asked for none): refused, a full handshake.
    ClientSessionStore::put(&*s.client_store, &localhost(), anonymous.clone()).unwrap();
    pair.client.renegotiate_resuming().unwrap();
    pair.run().unwrap();
    for conn in [&mut pair.client, &mut pair.server] {
        assert_eq!(events(conn), [completed(4, false)]);
    }
    let est = pair.server.established().unwrap();
    assert_ne!(est.session.session_id, anonymous.session.session_id);
    assert_eq!(est.peer_certificates(), chain);
    pair.assert_agree();
    pair.exchange("still the authenticated client");
}

#[test]
fn a_server_requiring_a_client_certificate_does_not_resume_a_session_without_one() {
    // The same steps against a server that only asks (it resumes) and one
    // that requires (it must make a full handshake, with the certificate).
    for required in [false, true] {
        let anchors = Arc::new(common::anchors(&["ecdsa/root.pem"]));
        let mut asking = common::server_config();
        asking.client_auth = ClientAuth::Optional(anchors);
        asking.session_store = Some(Arc::new(MemoryStore::new(8)));
        let server = if required {
            requiring_client_certificate(asking.clone())
        } else {
            asking.clone()
        };
        let s = with_stores();
        let client = client_with_certificate(s.client.clone());
        // A session made without a client certificate, by this client
        // (whose certificate a server sharing the store did not ask for),
        // so that it offers the session again: a client offers only
        // sessions made with its own certificate.
        let mut not_asking = asking.clone();
        not_asking.client_auth = ClientAuth::None;
        let anonymous = Pair::connected(&client, &not_asking);
        assert!(anonymous
            .server
            .session()
            .unwrap()
            .peer_certificates
            .is_empty());
        let anonymous = s.kept();

        ClientSessionStore::remove(&*s.client_store, &localhost()).unwrap();
        let mut pair = Pair::connected(&client, &server);
        ClientSessionStore::put(&*s.client_store, &localhost(), anonymous.clone()).unwrap();
        pair.client.renegotiate_resuming().unwrap();
        pair.run().unwrap();
        let resumed = !required;
        for conn in [&mut pair.client, &mut pair.server] {
            assert_eq!(
                events(conn),
                [completed(2, resumed)],
                "required: {required}"
            );
        }
        let session = pair.server.session().unwrap();
        if required {
            assert_ne!(session.session_id, anonymous.session.session_id);
            assert_eq!(
                session.peer_certificates,
                common::certs_der("ecdsa/client.chain.pem")
            );
        } else {
            assert_eq!(session.session_id, anonymous.session.session_id);
            assert!(session.peer_certificates.is_empty());
        }
        pair.exchange("after");
    }
}

// ---------------------------------------------------------------------------
// Application data during the renegotiation
// ---------------------------------------------------------------------------

/// One direction's application data during [`interleave`].
#[derive(Default)]
struct Flow {
    sent: Vec<u8>,
    received: Vec<u8>,
    /// Writes made while the writer was renegotiating.
    sent_during: usize,
    /// Records of data that arrived while the reader was renegotiating.
    received_during: usize,
}

impl Flow {
    fn write(&mut self, conn: &mut Connection, seed: u8) {
        // Now and then more than one record holds (2^14, §6.2.1).
        let len = [1, 700, 16_385, 40][usize::from(seed % 4)];
        let data = common::printable_payload(len, seed);
        if conn.is_renegotiating() {
            self.sent_during += 1;
        }
        conn.write_application_data(&data).unwrap();
        self.sent.extend_from_slice(&data);
    }

    /// Moves what `from` wrote into `to` one record at a time, taking the
    /// application data as it arrives.
    fn pump(&mut self, from: &mut Connection, to: &mut Connection) {
        let wire = take(from);
        for record in records(&wire) {
            deliver(to, &to_wire(&[record])).unwrap();
            let data = read_all(to);
            if !data.is_empty() && to.is_renegotiating() {
                self.received_during += 1;
            }
            self.received.extend_from_slice(&data);
        }
    }
}

/// How a renegotiation starts.
type Start = fn(&mut Pair);

/// Runs the renegotiation `start` begins one flight at a time; before and
/// after every flight it receives, each side writes application data.
/// Everything must arrive, in order, byte for byte.
fn interleave(pair: &mut Pair, start: Start) {
    let (mut up, mut down) = (Flow::default(), Flow::default());
    let mut seed = 0u8;
    let mut next = || {
        seed += 1;
        seed
    };
    start(pair);
    for _ in 0..6 {
        up.write(&mut pair.client, next());
        down.write(&mut pair.server, next());
        up.pump(&mut pair.client, &mut pair.server);
        down.write(&mut pair.server, next());
        up.write(&mut pair.client, next());
        down.pump(&mut pair.server, &mut pair.client);
        if !pair.client.is_renegotiating() && !pair.server.is_renegotiating() {
            break;
        }
    }
    assert!(!pair.client.is_renegotiating() && !pair.server.is_renegotiating());
    up.pump(&mut pair.client, &mut pair.server);
    for (flow, what) in [(&up, "client to server"), (&down, "server to client")] {
        assert!(
            flow.received == flow.sent,
            "{what}: {} bytes sent, {} received, not the same",
            flow.sent.len(),
            flow.received.len()
        );
        assert!(flow.sent_during >= 2, "{what}: {}", flow.sent_during);
        assert!(
            flow.received_during >= 1,
            "{what}: {}",
            flow.received_during
        );
    }
}

#[test]
fn application_data_interleaved_with_renegotiation_arrives_intact_and_in_order() {
    let starts: [(&str, Start, bool); 3] = [
        (
            "client, new session",
            |p| p.client.renegotiate().unwrap(),
            false,
        ),
        (
            "server's HelloRequest",
            |p| p.server.renegotiate().unwrap(),
            false,
        ),
        (
            "client, resuming",
            |p| p.client.renegotiate_resuming().unwrap(),
            true,
        ),
    ];
    for (what, start, resumed) in starts {
        let s = with_stores();
        let mut pair = Pair::connected(&s.client, &s.server);
        interleave(&mut pair, start);
        for conn in [&mut pair.client, &mut pair.server] {
            assert_eq!(events(conn), [completed(2, resumed)], "{what}");
        }
        pair.assert_agree();
        pair.exchange(what);
    }
}

// ---------------------------------------------------------------------------
// OpenSSL 3.0: s_client against our example server, our client against
// s_server
// ---------------------------------------------------------------------------

/// Our example HTTPS server on a free loopback port with both `localhost`
/// chains, sessions cached in memory, and `extra` arguments; returned with
/// its port once it prints "listening on 127.0.0.1:PORT". Each page it
/// serves describes the connection and its session.
fn example_server(extra: &[&str]) -> (ChildGuard, u16) {
    let mut cmd = Command::new(common::example_binary("server"));
    cmd.args(["--listen", "127.0.0.1:0", "--session-cache", "memory"])
        .args(["--cert", &test_data_arg("ecdsa/localhost.chain.pem")])
        .args(["--key", &test_data_arg("ecdsa/localhost.key")])
        .args(["--cert", &test_data_arg("rsa/localhost.chain.pem")])
        .args(["--key", &test_data_arg("rsa/localhost.key")])
        .args(extra);
    let mut server = ChildGuard::spawn(&mut cmd);
    let port = server.wait_for_port("listening on", TIMEOUT);
    (server, port)
}

/// `openssl s_client -tls1_2` to `port`, verifying our ECDSA chain for
/// `localhost`. Without `-ign_eof` and `-quiet`, a line "R" on its stdin
/// is a command: renegotiate. Its stderr comes with its stdout, for the
/// "RENEGOTIATING" it prints there; its stdin stays open until the test
/// closes it.
fn s_client(port: u16, extra: &[&str]) -> ChildGuard {
    let mut cmd = openssl();
    cmd.args(["s_client", "-tls1_2", "-connect"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-servername", "localhost", "-verify_hostname", "localhost"])
        .args([
            "-CAfile",
            &test_data_arg("ecdsa/root.pem"),
            "-verify_return_error",
        ])
        .args(extra);
    ChildGuard::spawn_merged(&mut cmd)
}

/// What the example server's page said about the connection.
#[derive(Debug)]
struct Page {
    handshakes: u32,
    client_certificate: String,
    client_random: String,
    session_id: String,
    this_handshake: String,
}

/// Sends `GET /` through `s_client` and reads the page's fields as they
/// come (in the order the page prints them).
fn get_page(client: &mut ChildGuard) -> Page {
    client
        .stdin()
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    client.stdin().flush().unwrap();
    let mut field = |name: &str| {
        let line = client.wait_for_line(name, TIMEOUT);
        line.split_once(name).unwrap().1.trim().to_owned()
    };
    let handshakes = field("handshakes:").parse().unwrap();
    let client_certificate = field("client certificate:");
    let client_random = field("client random:");
    let session_id = field("session id:");
    let this_handshake = field("this handshake:");
    Page {
        handshakes,
        client_certificate,
        client_random,
        session_id,
        this_handshake,
    }
}

/// Closes `s_client`'s stdin (it sends close_notify and exits) and checks
/// it succeeded; returns everything it printed.
fn s_client_done(client: &mut ChildGuard) -> String {
    let out = client.finish(TIMEOUT);
    assert!(out.status.success(), "s_client failed: {out:#?}");
    assert!(
        out.stdout.contains("Secure Renegotiation IS supported"),
        "{out:#?}"
    );
    out.stdout
}

const NEW: &str = "new (full handshake)";

#[test]
fn s_client_renegotiates_with_our_example_server() {
    let (_server, port) = example_server(&[]);
    let mut client = s_client(port, &[]);
    let first = get_page(&mut client);
    assert_eq!(first.handshakes, 1, "{first:?}");
    assert_eq!(first.this_handshake, NEW);

    // s_client reads its stdin a buffer at a time and takes a buffer that
    // starts with "R" as the command, dropping the rest: the next request
    // waits until it has said RENEGOTIATING. (SSL_renegotiate: a full
    // handshake; OpenSSL offers no session for it.)
    client.stdin().write_all(b"R\n").unwrap();
    client.stdin().flush().unwrap();
    client.wait_for_line("RENEGOTIATING", TIMEOUT);
    let second = get_page(&mut client);
    assert_eq!(second.handshakes, 2, "{second:?}");
    assert_eq!(second.this_handshake, NEW);
    assert_ne!(second.session_id, "(none)");
    assert_ne!(second.session_id, first.session_id);
    assert_ne!(second.client_random, first.client_random);
    s_client_done(&mut client);
}

#[test]
fn s_client_answers_our_example_servers_hello_request() {
    // After answering the first request, the server sends HelloRequest and
    // runs the new handshake before it reads the next request (which may
    // arrive meanwhile: it is kept).
    let (_server, port) = example_server(&["--renegotiate-after-request"]);
    let mut client = s_client(port, &[]);
    let first = get_page(&mut client);
    assert_eq!(first.handshakes, 1, "{first:?}");
    let second = get_page(&mut client);
    assert_eq!(second.handshakes, 2, "{second:?}");
    assert_ne!(second.client_random, first.client_random);
    // OpenSSL answers a HelloRequest offering the connection's session, and
    // our server (which cached it) resumes it: the same session, new keys.
    assert_eq!(second.this_handshake, "resumed");
    assert_eq!(second.session_id, first.session_id);
    s_client_done(&mut client);
}

#[test]
fn s_client_presents_a_certificate_when_our_renegotiation_demands_one() {
    let (_server, port) = example_server(&[
        "--renegotiate-after-request",
        "--renegotiate-client-ca",
        &test_data_arg("rsa/root.pem"),
    ]);
    let mut client = s_client(
        port,
        &[
            "-cert",
            &test_data_arg("rsa/client.pem"),
            "-cert_chain",
            &test_data_arg("rsa/intermediate.pem"),
            "-key",
            &test_data_arg("rsa/client.key"),
        ],
    );
    let first = get_page(&mut client);
    assert_eq!(first.handshakes, 1, "{first:?}");
    assert_eq!(first.client_certificate, "(none)");
    let second = get_page(&mut client);
    assert_eq!(second.handshakes, 2, "{second:?}");
    let leaf = &common::certs_der("rsa/client.pem")[0];
    let subject = tls12::handshake::x509::leaf_subject(leaf).unwrap();
    assert_eq!(second.client_certificate, subject);
    // OpenSSL offered the first session (see the test above), made without
    // a certificate: a server that requires one must not resume it.
    assert_eq!(second.this_handshake, NEW);
    assert_ne!(second.session_id, first.session_id);
    s_client_done(&mut client);
}

/// `openssl s_server -tls1_2 -rev` for one connection, serving the ECDSA
/// `localhost` chain with its default session cache (so sessions have
/// ids), plus `extra`; returned with its port once it prints "ACCEPT".
/// `-rev` answers each line with the line reversed.
fn s_server(extra: &[&str]) -> (ChildGuard, u16) {
    let mut cmd = s_server_command("ecdsa");
    cmd.args(["-naccept", "1", "-rev"]).args(extra);
    start_s_server(&mut cmd, TIMEOUT)
}

/// Our client to `port`, asking for no tickets: OpenSSL gives a session
/// that it will resume by ticket an empty session id, and the tests tell
/// sessions apart by id.
fn connect(port: u16) -> Stream<TcpStream> {
    let mut config = common::client_config();
    config.enable_tickets = false;
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(TIMEOUT)).unwrap();
    Stream::connect(Arc::new(config), "localhost", sock).unwrap()
}

/// Sends `line` to `s_server -rev` and checks it comes back reversed.
fn check_reversed(stream: &mut Stream<TcpStream>, line: &[u8]) {
    stream.write_all(&[line, b"\n"].concat()).unwrap();
    let mut reply = vec![0; line.len() + 1];
    stream.read_exact(&mut reply).unwrap();
    let mut expected: Vec<u8> = line.iter().rev().copied().collect();
    expected.push(b'\n');
    assert_eq!(reply, expected);
}

fn client_keys(stream: &Stream<TcpStream>) -> Keys {
    Keys::of(stream.connection())
}

#[test]
fn our_client_renegotiates_with_s_server() {
    // OpenSSL 3 refuses client-initiated renegotiation unless told
    // otherwise (-client_renegotiation, SSL_OP_ALLOW_CLIENT_RENEGOTIATION).
    let (mut server, port) = s_server(&["-client_renegotiation"]);
    let mut stream = connect(port);
    check_reversed(&mut stream, b"before the renegotiation");
    let first = client_keys(&stream);

    stream.renegotiate().unwrap();
    let conn = stream.connection_mut();
    assert_eq!(conn.handshake_count(), 2);
    assert_eq!(events(conn), [completed(1, false), completed(2, false)]);
    let second = client_keys(&stream);
    assert!(!second.resumed);
    assert!(!first.session.session_id.is_empty() && !second.session.session_id.is_empty());
    assert_ne!(second.session.session_id, first.session.session_id);
    assert!(!second.same_master_secret(&first));
    assert!(second.key_block != first.key_block);
    check_reversed(&mut stream, b"after the renegotiation");

    stream.close().unwrap();
    drop(stream);
    let out = server.finish(TIMEOUT);
    assert!(out.status.success(), "s_server failed: {out:#?}");
    // OpenSSL's view (its SSL_CTX_sess_* counters, printed on exit): two
    // handshakes finished, each making a session.
    assert_s_server_counted(
        &out,
        &[
            "   2 server accepts that finished",
            "   2 items in the session cache",
        ],
    );
}

#[test]
fn s_server_declines_our_renegotiation_by_default() {
    let (mut server, port) = s_server(&[]);
    let mut stream = connect(port);
    check_reversed(&mut stream, b"before");
    let first = client_keys(&stream);

    // Returns once the server has answered: with a no_renegotiation warning.
    stream.renegotiate().unwrap();
    let conn = stream.connection_mut();
    assert_eq!(
        events(conn),
        [completed(1, false), Event::RenegotiationRefused]
    );
    assert_eq!(conn.handshake_count(), 1);
    assert!(!conn.is_renegotiating());
    let after = client_keys(&stream);
    assert!(Arc::ptr_eq(&first.session, &after.session));
    check_reversed(&mut stream, b"the connection goes on");

    stream.close().unwrap();
    drop(stream);
    let out = server.finish(TIMEOUT);
    assert!(out.status.success(), "s_server failed: {out:#?}");
    // OpenSSL's view: it saw the request, and finished one handshake only.
    assert_s_server_counted(
        &out,
        &[
            "   1 server renegotiates",
            "   1 server accepts that finished",
            "   1 items in the session cache",
        ],
    );
}

/// `s_server` printed each of `counters` (its SSL_CTX_sess_* statistics).
fn assert_s_server_counted(out: &common::Finished, counters: &[&str]) {
    for counter in counters {
        assert!(
            out.stdout.lines().any(|l| l.starts_with(counter)),
            "s_server did not say {counter:?}: {out:#?}"
        );
    }
}

/// Drives `conn` over `sock` until `done`: sends what it has queued, then
/// reads and processes what comes. (A [`Stream`] only waits for a
/// renegotiation it started itself; this one is started by the peer.)
fn drive(conn: &mut Connection, sock: &mut TcpStream, done: impl Fn(&Connection) -> bool) {
    loop {
        while conn.wants_write() {
            conn.write_tls(sock).unwrap();
        }
        if done(conn) {
            return;
        }
        // The socket's read timeout bounds the wait.
        assert!(conn.read_tls(sock).unwrap() > 0, "s_server closed");
        conn.process_new_packets().unwrap();
    }
}

#[test]
fn our_client_answers_s_servers_hello_request() {
    // `s_server` (without -rev) prints what it receives and sends what it
    // reads on stdin; a line "r" makes it renegotiate (SSL_renegotiate:
    // HelloRequest), and "R" the same while asking for a client
    // certificate.
    for (command, with_certificate) in [("r\n", false), ("R\n", true)] {
        let client_root = test_data_arg("ecdsa/root.pem");
        let (mut server, port) = s_server_echoing(&["-CAfile", &client_root]);
        let mut config = common::client_config();
        config.enable_tickets = false;
        if with_certificate {
            config = client_with_certificate(config);
        }
        let mut sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
        sock.set_read_timeout(Some(TIMEOUT)).unwrap();
        let mut conn = Connection::client(Arc::new(config), "localhost").unwrap();
        drive(&mut conn, &mut sock, |c| !c.is_handshaking());
        let first = Keys::of(&conn);
        conn.write_application_data(b"before\n").unwrap();
        drive(&mut conn, &mut sock, |_| true);
        server.wait_for_line("before", TIMEOUT);

        server.stdin().write_all(command.as_bytes()).unwrap();
        server.stdin().flush().unwrap();
        // Nothing to wait for: what s_server says of it ("SSL_do_handshake
        // -> 1") is buffered, and may come later.
        drive(&mut conn, &mut sock, |c| c.handshake_count() == 2);
        if with_certificate {
            // s_server's verify callback (on stderr, unbuffered) on our
            // certificate chain, leaf last.
            server.wait_for_line(
                "depth=0 O = tls12 test PKI, CN = tls12 test ECDSA client",
                TIMEOUT,
            );
            let verdict = server.wait_for_line("verify ", TIMEOUT);
            assert_eq!(verdict, "verify return:1");
        }
        assert_eq!(
            events(&mut conn),
            [completed(1, false), completed(2, false)],
            "{command:?}"
        );
        let second = Keys::of(&conn);
        assert!(!second.resumed);
        assert_ne!(second.session.session_id, first.session.session_id);
        assert!(!second.same_master_secret(&first));

        conn.write_application_data(b"after\n").unwrap();
        drive(&mut conn, &mut sock, |_| true);
        server.wait_for_line("after", TIMEOUT);
        server.stdin().write_all(b"from s_server\n").unwrap();
        server.stdin().flush().unwrap();
        drive(&mut conn, &mut sock, |c| {
            c.application_data_available() >= 14
        });
        assert_eq!(read_all(&mut conn), b"from s_server\n");
        conn.send_close_notify();
        drive(&mut conn, &mut sock, |_| true);
        drop(sock);
        let out = server.finish(TIMEOUT);
        assert!(out.status.success(), "s_server failed: {out:#?}");
        assert!(out.stdout.contains("SSL_do_handshake -> 1"), "{out:#?}");
        assert_eq!(out.stdout.contains("ECDSA client"), with_certificate);
        assert_s_server_counted(
            &out,
            &[
                "   2 server accepts that finished",
                "   2 items in the session cache",
            ],
        );
    }
}

/// `openssl s_server -tls1_2` for one connection, without -rev, serving
/// the ECDSA `localhost` chain; see [`s_server`].
fn s_server_echoing(extra: &[&str]) -> (ChildGuard, u16) {
    let mut cmd = s_server_command("ecdsa");
    cmd.args(["-naccept", "1"]).args(extra);
    let mut server = ChildGuard::spawn_merged(&mut cmd);
    let port = server.wait_for_port("ACCEPT", TIMEOUT);
    (server, port)
}

// ---------------------------------------------------------------------------
// rustls 0.23, which does not renegotiate: a real peer that declines
// ---------------------------------------------------------------------------

fn rustls_roots(pem: &str) -> Arc<rustls::RootCertStore> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_file_iter(common::test_data(pem)).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    Arc::new(roots)
}

#[test]
fn a_rustls_client_declines_our_hello_request() {
    // Our server: a request, then HelloRequest (Stream::renegotiate waits
    // for the answer), then the reply.
    let (port, server) = common::serve_once(common::server_config(), |stream| {
        let mut stream = stream.unwrap();
        stream.get_ref().set_read_timeout(Some(TIMEOUT)).unwrap();
        let mut request = [0u8; 4];
        stream.read_exact(&mut request).unwrap();
        stream.renegotiate().unwrap();
        let conn = stream.connection_mut();
        let seen = (
            events(conn),
            conn.handshake_count(),
            conn.is_renegotiating(),
        );
        stream.write_all(b"pong").unwrap();
        stream.close().unwrap();
        seen
    });
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        .with_root_certificates(rustls_roots("ecdsa/root.pem"))
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut client = rustls::StreamOwned::new(conn, sock);
    client.write_all(b"ping").unwrap();
    // Reading takes in the HelloRequest and answers it, then the reply.
    let mut reply = [0u8; 4];
    client.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"pong");
    let (events, count, renegotiating) = server.join().unwrap();
    assert_eq!(events, [completed(1, false), Event::RenegotiationRefused]);
    assert_eq!(count, 1);
    assert!(!renegotiating);
}

#[test]
fn a_rustls_server_declines_our_renegotiation() {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = rustls::pki_types::CertificateDer::pem_file_iter(common::test_data(
        "ecdsa/localhost.chain.pem",
    ))
    .unwrap()
    .collect::<Result<Vec<_>, _>>()
    .unwrap();
    let key = rustls::pki_types::PrivateKeyDer::from_pem_file(common::test_data(
        "ecdsa/localhost.pkcs8.key",
    ))
    .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        sock.set_read_timeout(Some(TIMEOUT)).unwrap();
        let conn = rustls::ServerConnection::new(Arc::new(config)).unwrap();
        let mut stream = rustls::StreamOwned::new(conn, sock);
        let mut buf = [0u8; 4];
        let result = stream
            .read_exact(&mut buf)
            .and_then(|()| stream.write_all(b"pong"));
        (result.map_err(|e| e.to_string()), buf)
    });
    let mut stream = connect(port);
    // Returns once rustls has answered: with a no_renegotiation warning.
    stream.renegotiate().unwrap();
    let conn = stream.connection_mut();
    assert_eq!(
        events(conn),
        [completed(1, false), Event::RenegotiationRefused]
    );
    assert_eq!(conn.handshake_count(), 1);
    assert!(!conn.is_renegotiating());
    stream.write_all(b"ping").unwrap();
    let mut reply = [0u8; 4];
    stream.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"pong");
    let (result, request) = server.join().unwrap();
    assert_eq!(result, Ok(()), "the rustls server");
    assert_eq!(&request, b"ping");
}
