//! The connection/session split (RFC 5246 §1, §7), as the types hold it
//! (issue 19 item 1): what a resumed connection negotiates is its own, the
//! session holds session state only, the two session ids are named apart,
//! and the RFC 5746 binding is the connection's.
//!
//! In memory, our client and our server; `tests/resumption_interop.rs`
//! checks the ALPN of resumed connections against OpenSSL as well.

mod common;

use std::sync::{Arc, Mutex};

use common::wire::Pair;
use tls12::handshake::messages::HandshakePayload;
use tls12::handshake::observe::{Direction, Observer, TraceEvent};
use tls12::session_store::{ClientSessionStore, MemoryStore, ServerId, TicketKeys};
use tls12::{
    system_clock, ClientConfig, ClientSession, Connection, Event, RenegotiationBinding,
    ServerConfig, SessionId,
};

/// How a session is resumed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum By {
    /// The server caches sessions; the client sends no SessionTicket.
    Id,
    /// The server seals tickets and caches nothing (its ServerHello names
    /// no session, §7.4.1.3).
    Ticket,
}

/// A client and a server for `by`, the client keeping its sessions in a
/// store the test can read, offering `alpn`.
struct Setup {
    client: ClientConfig,
    server: Arc<ServerConfig>,
    client_store: Arc<MemoryStore>,
}

impl Setup {
    fn new(by: By) -> Self {
        let client_store = Arc::new(MemoryStore::new(8));
        let mut client = common::client_config();
        client.session_store = Some(client_store.clone());
        client.enable_tickets = by == By::Ticket;
        let mut server = common::server_config();
        match by {
            By::Id => server.session_store = Some(Arc::new(MemoryStore::new(8))),
            By::Ticket => {
                server.ticket_keys = Some(Arc::new(TicketKeys::new(system_clock()).unwrap()))
            }
        }
        server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Self {
            client,
            server: Arc::new(server),
            client_store,
        }
    }

    /// A completed connection whose client offers `alpn` (none if empty).
    fn connect(&self, alpn: &[&[u8]]) -> Pair {
        let mut client = self.client.clone();
        client.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        let mut pair = Pair {
            client: Connection::client(Arc::new(client), "localhost").unwrap(),
            server: Connection::server(self.server.clone()),
        };
        pair.complete();
        pair
    }

    /// What the client keeps for localhost.
    fn kept(&self) -> ClientSession {
        let localhost = ServerId::parse("localhost").unwrap();
        let kept = ClientSessionStore::get(&*self.client_store, &localhost).unwrap();
        kept.expect("the client kept the session")
    }
}

/// RFC 7301 §3.1: ALPN "does not establish properties of the session, only
/// of the connection. When session resumption or session tickets [RFC5077]
/// are used, the previous contents of this extension are irrelevant, and
/// only the values in the new handshake messages are considered." A
/// session made on an `h2` connection, resumed by one that speaks
/// `http/1.1`: the resumed connection reports `http/1.1` on both sides,
/// and the session has no ALPN field at all (`Session` has none; its
/// encoding is as long as that of a session made without ALPN).
#[test]
fn a_resumed_connection_has_its_own_alpn_and_the_session_none() {
    for by in [By::Id, By::Ticket] {
        let setup = Setup::new(by);
        let full = setup.connect(&[b"h2"]);
        for conn in [&full.client, &full.server] {
            assert_eq!(conn.alpn_protocol(), Some(&b"h2"[..]), "{by:?}");
        }
        let made_with_h2 = setup.kept();

        let resumed = setup.connect(&[b"http/1.1"]);
        for (side, conn) in [("client", &resumed.client), ("server", &resumed.server)] {
            let est = conn.established().unwrap();
            assert!(est.resumed, "{by:?} {side}");
            assert_eq!(
                est.session.master_secret(),
                made_with_h2.session.master_secret(),
                "{by:?} {side}: the same session"
            );
            assert_eq!(
                conn.alpn_protocol(),
                Some(&b"http/1.1"[..]),
                "{by:?} {side}"
            );
            assert_eq!(est.alpn.as_deref(), Some(&b"http/1.1"[..]), "{by:?} {side}");
        }
        // The full handshake's connection still speaks h2: its own value.
        assert_eq!(full.client.alpn_protocol(), Some(&b"h2"[..]), "{by:?}");

        // A session from a handshake without ALPN: the fields differ only
        // in values of fixed length (id, master secret, time), so equal
        // lengths mean no ALPN was stored with the h2 session.
        let without = Setup::new(by);
        without.connect(&[]);
        let plain = without.kept();
        assert_eq!(
            made_with_h2.session.encode().len(),
            plain.session.encode().len(),
            "{by:?}: the SessionState of an h2 session holds more"
        );
        assert_eq!(
            made_with_h2.encode().len(),
            plain.encode().len(),
            "{by:?}: the ClientSessionState of an h2 session holds more"
        );
    }
}

/// Records the session_id of every ClientHello a client sends.
#[derive(Debug, Default)]
struct HelloIds(Mutex<Vec<SessionId>>);

impl Observer for HelloIds {
    fn event(&self, event: &TraceEvent<'_>) {
        if let TraceEvent::Handshake {
            direction: Direction::Sent,
            message,
        } = event
        {
            if let HandshakePayload::ClientHello(hello) = &message.payload {
                self.0.lock().unwrap().push(hello.session_id);
            }
        }
    }
}

/// RFC 5077 §3.4: "When presenting a ticket, the client MAY generate and
/// include a Session ID in the TLS ClientHello. If the server accepts the
/// ticket and the Session ID is not empty, then it MUST respond with the
/// same Session ID present in the ClientHello." That id is the
/// connection's (`Established::server_hello_session_id`); the session
/// keeps the id it was made with (`Session::session_id`). Both sides agree
/// on each; on a resumption by ticket they are two values under two names,
/// by id one value.
#[test]
fn the_server_hello_id_and_the_session_id_are_named_apart() {
    for (by, server_caches) in [(By::Id, true), (By::Ticket, false), (By::Ticket, true)] {
        let mut setup = Setup::new(by);
        if server_caches {
            let mut server = (*setup.server).clone();
            server.session_store = Some(Arc::new(MemoryStore::new(8)));
            setup.server = Arc::new(server);
        }
        let hellos = Arc::new(HelloIds::default());
        setup.client.observer = Some(hellos.clone());
        let case = format!("{by:?}, server caches: {server_caches}");

        let full = setup.connect(&[]);
        let made = full.client.established().unwrap();
        // A full handshake: the ServerHello names the new session (or, on
        // a server that does not cache, nothing, §7.4.1.3).
        assert_eq!(made.server_hello_session_id, made.session.session_id);
        assert_eq!(made.session.session_id.is_empty(), !server_caches, "{case}");

        let resumed = setup.connect(&[]);
        let offered = *hellos.0.lock().unwrap().last().unwrap();
        let (c, s) = (
            resumed.client.established().unwrap(),
            resumed.server.established().unwrap(),
        );
        assert!(c.resumed && s.resumed, "{case}");
        // What the ServerHello carried: the ClientHello's id, echoed; the
        // same on both sides.
        assert_eq!(c.server_hello_session_id, offered, "{case}");
        assert_eq!(s.server_hello_session_id, offered, "{case}");
        // What the session is called: the same on both sides, and what the
        // full handshake named it.
        assert_eq!(c.session.session_id, s.session.session_id, "{case}");
        assert_eq!(c.session.session_id, made.session.session_id, "{case}");
        match by {
            By::Id => assert_eq!(offered, made.session.session_id, "{case}"),
            By::Ticket => {
                // A fresh id of the client's own, so that it can tell the
                // server resumed; it names no session.
                assert_eq!(offered.as_bytes().len(), 32, "{case}");
                assert_ne!(offered, c.session.session_id, "{case}");
            }
        }
    }
}

/// Records the verify_data of every Finished a connection sends and
/// receives, in order.
#[derive(Debug, Default)]
struct Finisheds(Mutex<Vec<(Direction, [u8; 12])>>);

impl Observer for Finisheds {
    fn event(&self, event: &TraceEvent<'_>) {
        if let TraceEvent::Handshake { direction, message } = event {
            if let HandshakePayload::Finished(fin) = &message.payload {
                self.0.lock().unwrap().push((*direction, fin.verify_data));
            }
        }
    }
}

impl Finisheds {
    /// The last handshake's pair, from the client's view: what it sent and
    /// what it received.
    fn last_pair(&self) -> ([u8; 12], [u8; 12]) {
        let seen = self.0.lock().unwrap();
        let sent = seen.iter().rev().find(|(d, _)| *d == Direction::Sent);
        let received = seen.iter().rev().find(|(d, _)| *d == Direction::Received);
        (sent.unwrap().1, received.unwrap().1)
    }
}

/// RFC 5746 §3.1: "Both client and server need to store three additional
/// values for each TLS connection state ... Note that these values are
/// specific to connection (not a TLS session cache entry)": the
/// secure_renegotiation flag and the client_verify_data and
/// server_verify_data "from the Finished message sent ... on the
/// immediately previous handshake". The connection holds them as a field,
/// equal on both sides to the Finished messages of its last handshake, and
/// replaced by a renegotiation's, whether it makes a new session or resumes
/// one.
#[test]
fn the_rfc_5746_binding_is_the_connections_and_follows_each_handshake() {
    let setup = Setup::new(By::Id);
    let finisheds = Arc::new(Finisheds::default());
    let mut client = setup.client.clone();
    client.observer = Some(finisheds.clone());
    let mut pair = Pair {
        client: Connection::client(Arc::new(client), "localhost").unwrap(),
        server: Connection::server(setup.server.clone()),
    };
    assert!(
        pair.client.renegotiation_binding().is_none(),
        "no handshake yet"
    );
    pair.complete();
    for conn in [&mut pair.client, &mut pair.server] {
        assert!(matches!(
            conn.next_event(),
            Some(Event::HandshakeComplete { .. })
        ));
    }

    let expect = |finisheds: &Finisheds| {
        let (client_verify_data, server_verify_data) = finisheds.last_pair();
        RenegotiationBinding {
            secure_renegotiation: true,
            client_verify_data,
            server_verify_data,
        }
    };
    let first = expect(&finisheds);
    for conn in [&pair.client, &pair.server] {
        assert_eq!(conn.renegotiation_binding(), Some(&first));
    }
    let first_session = pair.client.session().unwrap().clone();

    for (round, resume) in [(2, false), (3, true)] {
        if resume {
            pair.client.renegotiate_resuming().unwrap();
        } else {
            pair.client.renegotiate().unwrap();
        }
        pair.settle();
        for conn in [&mut pair.client, &mut pair.server] {
            let event = conn.next_event();
            assert!(
                matches!(event, Some(Event::HandshakeComplete { handshake_count, resumed })
                    if handshake_count == round && resumed == resume),
                "round {round}: {event:?}"
            );
        }
        let now = expect(&finisheds);
        assert_ne!(now, first, "round {round}: the binding was not replaced");
        for conn in [&pair.client, &pair.server] {
            assert_eq!(conn.renegotiation_binding(), Some(&now), "round {round}");
        }
    }
    // The binding is the connection's, not the session's: the last
    // renegotiation resumed a session (the second handshake's), yet the
    // binding is that of the handshake just made.
    assert!(pair.client.established().unwrap().resumed);
    assert!(!Arc::ptr_eq(pair.client.session().unwrap(), &first_session));
}
