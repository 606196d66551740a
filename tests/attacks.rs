//! Named attacks on TLS 1.2, one test each, asserting the defence.
//!
//! | test | attack | defence |
//! |---|---|---|
//! | `renegotiation_prefix_injection_cve_2009_3555` | Ray and Dispensa 2009: a man in the middle splices a victim's initial handshake into his own connection as a renegotiation | RFC 5746 §3.4, §3.7: renegotiation_info binds each handshake to the connection's previous Finished |
//! | `triple_handshake_requires_ems_for_resumption` | Bhargavan et al. 2014 (3SHAKE), steps 1-2: two connections with one master secret, then resumption across them | RFC 7627 §5.3: no resumption without the extended master secret |
//! | `triple_handshake_server_certificate_fixed_across_renegotiation` | 3SHAKE step 3: a renegotiation that changes the server's certificate | the client refuses another server certificate in a renegotiation, full or abbreviated (the mitigation browsers shipped in 2014) |
//! | `resumption_across_sni_names_is_refused` | a session made for one virtual host resumed on another | RFC 6066 §3: the server name must match |
//! | `resumption_across_sni_names_is_refused_by_the_example_server` | the same, by `openssl s_client` against the example server | the same |
//! | `ticketbleed_session_id_echo_length` | CVE-2016-9244: a server echoing a 32-byte session id to a client that sent a shorter one, leaking memory | RFC 5077 §3.4: echo the same session id |
//! | `early_change_cipher_spec_cve_2014_0224` | OpenSSL's early CCS: keys switched before the master secret is known | ChangeCipherSpec only where the handshake expects it |
//! | `skipped_server_key_exchange_smack` | SMACK / FREAK (Beurdouche et al. 2015): skipped messages accepted by a loose state machine | the state machines take each message only in order |
//! | `client_initiated_renegotiation_flood_cve_2011_1473` | a client making the server do handshake after handshake | a per-connection limit; further requests get `no_renegotiation`, and after four refusals the connection ends |
//! | `hello_request_flood_to_a_client_that_does_not_renegotiate` | a server asking a client to renegotiate forever | four refusals, then the connection ends |
//! | `events_nobody_reads_are_bounded` | a peer filling a queue the application never drains | the last `MAX_QUEUED_EVENTS` events are kept |
//! | `truncation_missing_close_notify_is_reported` | truncation: the transport closed without close_notify (RFC 5246 §7.2.1) | `Stream::read` reports `UnexpectedEof`, not a clean end |
//!
//! All but two run our client and our server in memory (see
//! tests/common/mod.rs, `wire`); the last runs over loopback TCP, and the
//! example-server one against `openssl s_client`.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use common::wire::{
    assert_fatal_alert, content_types, deliver, edit_message, handmade_session, message,
    next_write_state, payload, seal, take, untouched, without, AlertProtection, Pair, Writer,
    CHANGE_CIPHER_SPEC,
};
use tls12::handshake::messages::{
    ClientHello, HandshakeMessage, HandshakePayload, HandshakeType, ServerHello,
};
use tls12::record_layer::record::ContentType;
use tls12::session_store::{
    ClientSessionStore, MemoryStore, ServerId, ServerSessionStore, TicketKeys,
};
use tls12::{
    system_clock, AlertDescription, ClientConfig, Connection, Error, Event, Renegotiation,
    ServerConfig, Stream, MAX_DECLINED_RENEGOTIATIONS, MAX_QUEUED_EVENTS,
};

type RecordError = tls12::record_layer::Error;

/// `TLS_EMPTY_RENEGOTIATION_INFO_SCSV` (RFC 5746 §3.3).
const SCSV: u16 = 0x00ff;

/// `plaintext` sealed as the next record `writer`'s side of the
/// established `pair` would send.
fn sealed_by(pair: &Pair, writer: Writer, content_type: ContentType, plaintext: &[u8]) -> Vec<u8> {
    let est = pair.client.established().unwrap();
    let conn = match writer {
        Writer::Client => &pair.client,
        Writer::Server => &pair.server,
    };
    seal(
        &mut next_write_state(conn, est, writer),
        content_type,
        plaintext,
    )
}

/// How the next record of `writer`'s side of the established `pair` (its
/// alert) is protected.
fn alert_sealed_by(pair: &Pair, writer: Writer) -> AlertProtection {
    let est = pair.client.established().unwrap();
    let conn = match writer {
        Writer::Client => &pair.client,
        Writer::Server => &pair.server,
    };
    AlertProtection::Sealed(Box::new(next_write_state(conn, est, writer)))
}

fn client_hello(wire: &[u8]) -> ClientHello {
    match payload(wire, HandshakeType::ClientHello) {
        HandshakePayload::ClientHello(hello) => *hello,
        other => panic!("{other:?}"),
    }
}

fn server_hello(wire: &[u8]) -> ServerHello {
    match payload(wire, HandshakeType::ServerHello) {
        HandshakePayload::ServerHello(hello) => *hello,
        other => panic!("{other:?}"),
    }
}

/// The flight is a full handshake's: it carries the server's Certificate.
fn is_full_handshake(flight: &[u8]) -> bool {
    common::wire::records(flight).iter().any(|(h, f)| {
        h.content_type == ContentType::Handshake && f[0] == HandshakeType::Certificate.value()
    })
}

// ---------------------------------------------------------------------------

#[test]
fn renegotiation_prefix_injection_cve_2009_3555() {
    // The attacker holds an established connection to our server (with
    // RFC 5746, as any client of ours has). He forwards a victim's
    // *initial* ClientHello inside it, so that the server would take the
    // victim's handshake as a renegotiation and the attacker's earlier
    // traffic as the victim's. RFC 5746 §3.7: the server "MUST verify that
    // the "renegotiated_connection" field is equal to the saved
    // client_verify_data value; if it is not, the server MUST abort the
    // handshake", and must refuse the SCSV and a missing extension.
    let victim_hello = {
        let mut victim =
            Connection::client(Arc::new(common::client_config()), "localhost").unwrap();
        message(&take(&mut victim), HandshakeType::ClientHello)
    };
    let edited = |edit: &dyn Fn(&mut ClientHello)| {
        let mut hello = match HandshakeMessage::decode(victim_hello.clone())
            .unwrap()
            .payload
        {
            HandshakePayload::ClientHello(h) => h,
            other => panic!("{other:?}"),
        };
        edit(&mut hello);
        HandshakeMessage::new(HandshakePayload::ClientHello(hello)).raw
    };
    let victims = [
        (
            "empty renegotiation_info (§3.4)",
            victim_hello.clone(),
            "renegotiation_info does not match this connection's client Finished",
        ),
        (
            "SCSV only (§3.4)",
            edited(&|h| {
                h.extensions.renegotiation_info = None;
                h.cipher_suites.push(SCSV);
            }),
            "renegotiation ClientHello carries the SCSV",
        ),
        (
            "neither: a client without RFC 5746",
            edited(&|h| h.extensions.renegotiation_info = None),
            "renegotiation ClientHello without renegotiation_info",
        ),
    ];
    for (case, hello, why) in victims {
        let mut attacker = Pair::new(common::client_config(), common::server_config());
        attacker.complete();
        let record = sealed_by(&attacker, Writer::Client, ContentType::Handshake, &hello);
        let protection = alert_sealed_by(&attacker, Writer::Server);
        let result = deliver(&mut attacker.server, &record);
        let error = assert_fatal_alert(
            &mut attacker.server,
            result,
            protection,
            AlertDescription::HandshakeFailure,
        );
        assert_eq!(error, Error::SecureRenegotiation(why), "{case}");
        assert_eq!(attacker.server.handshake_count(), 1, "{case}");
    }

    // The client side (§3.4): a victim client making its initial
    // handshake gets the server's answer to the spliced renegotiation,
    // whose renegotiation_info carries the attacker's connection's
    // verify_data. "If it is not [zero length], MUST abort the handshake
    // (by sending a fatal handshake_failure alert)."
    let mut attacker = Pair::new(common::client_config(), common::server_config());
    attacker.complete();
    let spliced = attacker
        .client
        .renegotiation_binding()
        .unwrap()
        .both_verify_data();
    let mut victim = Pair::new(common::client_config(), common::server_config());
    victim.flight_to_server(untouched).unwrap();
    let result = victim.flight_to_client(|wire| {
        edit_message(wire, HandshakeType::ServerHello, |msg| match msg {
            HandshakePayload::ServerHello(h) => h.extensions.renegotiation_info = Some(spliced),
            other => panic!("{other:?}"),
        })
    });
    let error = assert_fatal_alert(
        &mut victim.client,
        result,
        AlertProtection::Clear,
        AlertDescription::HandshakeFailure,
    );
    assert_eq!(
        error,
        Error::SecureRenegotiation("initial ServerHello has a non-empty renegotiation_info")
    );
}

// ---------------------------------------------------------------------------

/// A client and a server that keep sessions by id (no tickets), after a
/// full handshake between them made one.
fn resumable() -> (ClientConfig, ServerConfig) {
    let mut client = common::client_config();
    client.session_store = Some(Arc::new(MemoryStore::new(4)));
    client.enable_tickets = false;
    let mut server = common::server_config();
    server.session_store = Some(Arc::new(MemoryStore::new(4)));
    Pair::new(client.clone(), server.clone()).complete();
    (client, server)
}

/// A client and a server that resume by ticket only (the server keeps no
/// store), after a full handshake between them made one.
fn resumable_by_ticket() -> (ClientConfig, ServerConfig) {
    let mut client = common::client_config();
    client.session_store = Some(Arc::new(MemoryStore::new(4)));
    let mut server = common::server_config();
    server.ticket_keys = Some(Arc::new(TicketKeys::new(system_clock()).unwrap()));
    Pair::new(client.clone(), server.clone()).complete();
    (client, server)
}

#[test]
fn triple_handshake_requires_ems_for_resumption() {
    // 3SHAKE steps 1-2: without the extended master secret, a man in the
    // middle can make two connections share one master secret and then
    // resume it on either. RFC 7627 §5.3 cuts that off at resumption.
    let (client, server) = resumable();

    // Control: the offer, untouched, resumes.
    let mut pair = Pair::new(client.clone(), server.clone());
    pair.flight_to_server(untouched).unwrap();
    assert!(!is_full_handshake(&take(&mut pair.server)));

    // The server: "If the original session used the "extended_master_secret"
    // extension but the new ClientHello does not contain it, the server
    // MUST abort the abbreviated handshake": handshake_failure, by session
    // id and by ticket, and the session survives the attempt.
    for by_ticket in [false, true] {
        let (client, server) = if by_ticket {
            resumable_by_ticket()
        } else {
            (client.clone(), server.clone())
        };
        let mut pair = Pair::new(client.clone(), server.clone());
        let hello = take(&mut pair.client);
        let offered = client_hello(&hello);
        assert!(!offered.session_id.is_empty());
        assert_eq!(
            offered
                .extensions
                .session_ticket
                .as_ref()
                .is_some_and(|t| !t.is_empty()),
            by_ticket
        );
        let stripped = edit_message(hello, HandshakeType::ClientHello, |msg| match msg {
            HandshakePayload::ClientHello(h) => h.extensions.extended_master_secret = false,
            other => panic!("{other:?}"),
        });
        let result = deliver(&mut pair.server, &stripped);
        let error = assert_fatal_alert(
            &mut pair.server,
            result,
            AlertProtection::Clear,
            AlertDescription::HandshakeFailure,
        );
        assert_eq!(
            error,
            Error::ExtendedMasterSecretRequired,
            "ticket: {by_ticket}"
        );
        // A client that did not strip it still resumes.
        let mut pair = Pair::new(client, server);
        pair.flight_to_server(untouched).unwrap();
        assert!(
            !is_full_handshake(&take(&mut pair.server)),
            "ticket: {by_ticket}"
        );
    }

    // A session made without the extension (by a legacy client), offered
    // without it: never resumed, but a full handshake rather than the
    // abort RFC 7627 §5.3 says the server "SHOULD" send, so that a legacy
    // client holding such a session can still connect.
    let mut legacy_server = common::server_config();
    let store = Arc::new(MemoryStore::new(4));
    let legacy_id = tls12::SessionId::new(&[9; 32]).unwrap();
    let legacy = tls12::Session::new(
        legacy_id,
        tls12::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        tls12::record_layer::secret::MasterSecret::from_bytes([9; 48]),
        false,
        Vec::new(),
        Some("localhost".into()),
        system_clock()(),
    );
    ServerSessionStore::put(&*store, Arc::new(legacy)).unwrap();
    legacy_server.session_store = Some(store);
    let mut pair = Pair::new(common::client_config(), legacy_server);
    let offer = edit_message(
        take(&mut pair.client),
        HandshakeType::ClientHello,
        |msg| match msg {
            HandshakePayload::ClientHello(h) => {
                h.session_id = legacy_id;
                h.extensions.extended_master_secret = false;
            }
            other => panic!("{other:?}"),
        },
    );
    deliver(&mut pair.server, &offer).unwrap();
    let answer = take(&mut pair.server);
    assert!(is_full_handshake(&answer), "{:?}", content_types(&answer));
    assert_ne!(server_hello(&answer).session_id, legacy_id);

    // Without a session to resume, a client without the extension gets a
    // full handshake without it (RFC 7627 §5.2 allows legacy clients).
    let mut pair = Pair::new(common::client_config(), server.clone());
    let stripped = edit_message(
        take(&mut pair.client),
        HandshakeType::ClientHello,
        |msg| match msg {
            HandshakePayload::ClientHello(h) => h.extensions.extended_master_secret = false,
            other => panic!("{other:?}"),
        },
    );
    deliver(&mut pair.server, &stripped).unwrap();
    let answer = take(&mut pair.server);
    assert!(is_full_handshake(&answer), "{:?}", content_types(&answer));
    assert!(!server_hello(&answer).extensions.extended_master_secret);

    // The client: "If the original session used the extension but the new
    // ServerHello does not contain it, the client MUST abort the
    // handshake."
    let mut pair = Pair::new(client, server);
    pair.flight_to_server(untouched).unwrap();
    let result = pair.flight_to_client(|wire| {
        assert!(!is_full_handshake(&wire));
        edit_message(wire, HandshakeType::ServerHello, |msg| match msg {
            HandshakePayload::ServerHello(h) => h.extensions.extended_master_secret = false,
            other => panic!("{other:?}"),
        })
    });
    let error = assert_fatal_alert(
        &mut pair.client,
        result,
        AlertProtection::Clear,
        AlertDescription::HandshakeFailure,
    );
    assert_eq!(error, Error::ExtendedMasterSecretRequired);
}

#[test]
fn triple_handshake_server_certificate_fixed_across_renegotiation() {
    // 3SHAKE step 3: after a resumption has synchronised two connections,
    // the attacker renegotiates and the honest server's certificate takes
    // the place of his own. The client refuses a renegotiation, full or
    // abbreviated, that presents another server certificate than the
    // connection's first handshake.
    let rsa_only = Arc::new(ServerConfig::new(vec![common::certified(
        "rsa/localhost.chain.pem",
        "rsa/localhost.key",
    )]));
    let ecdsa_only = || {
        ServerConfig::new(vec![common::certified(
            "ecdsa/localhost.chain.pem",
            "ecdsa/localhost.key",
        )])
    };

    // Full renegotiation: the server asks (HelloRequest) and answers the
    // client's new ClientHello with its RSA chain.
    let mut pair = Pair::new(common::client_config(), ecdsa_only());
    pair.complete();
    pair.server.renegotiate_with(rsa_only.clone()).unwrap();
    pair.flight_to_client(untouched).unwrap();
    pair.flight_to_server(untouched).unwrap();
    let protection = alert_sealed_by(&pair, Writer::Client);
    let result = pair.flight_to_client(|wire| {
        // Under the first handshake's keys: ServerHello, Certificate,
        // ServerKeyExchange, ServerHelloDone.
        assert_eq!(content_types(&wire), [ContentType::Handshake; 4]);
        wire
    });
    let error = assert_fatal_alert(
        &mut pair.client,
        result,
        protection,
        AlertDescription::HandshakeFailure,
    );
    assert_eq!(error, Error::ServerCertificateChanged);

    // Control: the same server certificate renegotiates.
    let mut pair = Pair::new(common::client_config(), ecdsa_only());
    pair.complete();
    pair.server.renegotiate().unwrap();
    pair.settle();
    assert_eq!(pair.client.handshake_count(), 2);

    // Abbreviated renegotiation: the client offers a session it holds for
    // this server, made (by the attacker's doing) with the RSA
    // certificate; the server resumes it.
    let client_store = Arc::new(MemoryStore::new(4));
    let server_store = Arc::new(MemoryStore::new(4));
    let mut client = common::client_config();
    client.session_store = Some(client_store.clone());
    client.enable_tickets = false;
    let mut server = ecdsa_only();
    server.session_store = Some(server_store.clone());
    let mut pair = Pair::new(client, server);
    pair.complete();
    let id = [0x3a; 32];
    let rsa_chain = common::certs_der("rsa/localhost.chain.pem");
    let localhost = ServerId::parse("localhost").unwrap();
    ClientSessionStore::put(
        &*client_store,
        &localhost,
        tls12::ClientSession::new(Arc::new(handmade_session(&id, [7; 48], rsa_chain)), None),
    )
    .unwrap();
    ServerSessionStore::put(
        &*server_store,
        Arc::new(handmade_session(&id, [7; 48], Vec::new())),
    )
    .unwrap();
    pair.client.renegotiate_resuming().unwrap();
    pair.flight_to_server(untouched).unwrap();
    let protection = alert_sealed_by(&pair, Writer::Client);
    let result = pair.flight_to_client(|wire| {
        // The server resumes: ServerHello, ChangeCipherSpec, Finished.
        assert_eq!(
            content_types(&wire),
            [
                ContentType::Handshake,
                ContentType::ChangeCipherSpec,
                ContentType::Handshake
            ]
        );
        wire
    });
    let error = assert_fatal_alert(
        &mut pair.client,
        result,
        protection,
        AlertDescription::HandshakeFailure,
    );
    assert_eq!(error, Error::ServerCertificateChanged);
}

#[test]
fn resumption_across_sni_names_is_refused() {
    // RFC 6066 §3: "the server MUST NOT accept the request to resume the
    // session if the server_name extension contains a different name":
    // the ClientHello that offers a `localhost` session is changed in
    // flight to ask for another host. By id and by ticket.
    for by_ticket in [false, true] {
        let mut client = common::client_config();
        client.session_store = Some(Arc::new(MemoryStore::new(4)));
        client.enable_tickets = by_ticket;
        let mut server = common::server_config();
        server.session_store = Some(Arc::new(MemoryStore::new(4)));
        if by_ticket {
            server.ticket_keys = Some(Arc::new(TicketKeys::new(system_clock()).unwrap()));
        }
        Pair::new(client.clone(), server.clone()).complete();

        // Control: the offer, untouched, resumes, and the server does not
        // acknowledge the name ("When resuming a session, the server MUST
        // NOT include a server_name extension in the server hello").
        let mut pair = Pair::new(client.clone(), server.clone());
        let hello = take(&mut pair.client);
        deliver(&mut pair.server, &hello).unwrap();
        let answer = take(&mut pair.server);
        assert!(!is_full_handshake(&answer), "ticket: {by_ticket}");
        assert!(!server_hello(&answer).extensions.server_name_ack);

        let mut pair = Pair::new(client, server);
        let hello = take(&mut pair.client);
        let offered = client_hello(&hello);
        assert_eq!(offered.extensions.session_ticket.is_some(), by_ticket);
        let moved = edit_message(hello, HandshakeType::ClientHello, |msg| match msg {
            HandshakePayload::ClientHello(h) => {
                h.extensions.server_name = Some("other.localhost".into())
            }
            other => panic!("{other:?}"),
        });
        deliver(&mut pair.server, &moved).unwrap();
        let answer = take(&mut pair.server);
        assert!(is_full_handshake(&answer), "ticket: {by_ticket}");
        assert_ne!(server_hello(&answer).session_id, offered.session_id);
        assert!(server_hello(&answer).extensions.server_name_ack);
    }
}

#[test]
fn resumption_across_sni_names_is_refused_by_the_example_server() {
    // The same rule against a client we did not write: `openssl s_client`
    // saves the session it got for `localhost` and offers it for another
    // name the server also serves (its certificate's `*.test.localhost`):
    // a full handshake ("New"); offered for `localhost` again, it resumes.
    use std::process::Command;
    let dir = common::ScratchDir::new("sni-resume");
    let session = dir.join("session.pem");
    let session = session.to_str().unwrap();
    let mut cmd = Command::new(common::example_binary("server"));
    cmd.args(["--listen", "127.0.0.1:0", "--session-cache", "memory"])
        .args([
            "--cert",
            &common::test_data_arg("ecdsa/localhost.chain.pem"),
        ])
        .args(["--key", &common::test_data_arg("ecdsa/localhost.key")]);
    let mut server = common::ChildGuard::spawn(&mut cmd);
    let port = server.wait_for_port("listening on", TIMEOUT);
    let s_client = |name: &str, sess: &str| {
        let mut cmd = common::openssl();
        cmd.args(["s_client", "-tls1_2", "-no_ticket", "-connect"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-servername", name, sess, session, "-verify_return_error"])
            .args(["-CAfile", &common::test_data_arg("ecdsa/root.pem")]);
        let out = common::ChildGuard::spawn_merged(&mut cmd).finish(TIMEOUT);
        assert!(out.status.success(), "{name}: {out:#?}");
        out.stdout
    };
    assert!(s_client("localhost", "-sess_out").contains("New, TLSv1.2"));
    let other = s_client("a.test.localhost", "-sess_in");
    assert!(other.contains("New, TLSv1.2"), "{other}");
    let same = s_client("localhost", "-sess_in");
    assert!(same.contains("Reused, TLSv1.2"), "{same}");
}

#[test]
fn ticketbleed_session_id_echo_length() {
    // CVE-2016-9244: F5's servers echoed 32 bytes of session id to a
    // client that sent a ticket with a shorter one, the rest from
    // uninitialised memory. RFC 5077 §3.4: "If the server accepts the
    // ticket and the Session ID is not empty, then it MUST respond with the
    // same Session ID present in the ClientHello." Checked on the wire:
    // the length byte and the bytes.
    let mut client = common::client_config();
    client.session_store = Some(Arc::new(MemoryStore::new(4)));
    let mut server = common::server_config();
    server.ticket_keys = Some(Arc::new(TicketKeys::new(system_clock()).unwrap()));
    Pair::new(client.clone(), server.clone()).complete();

    for len in [1, 31, 32] {
        let sent: Vec<u8> = (0..len).map(|i| 0xa0 ^ i as u8).collect();
        let mut pair = Pair::new(client.clone(), server.clone());
        let hello = take(&mut pair.client);
        assert!(client_hello(&hello).extensions.session_ticket.is_some());
        let hello = edit_message(hello, HandshakeType::ClientHello, |msg| match msg {
            HandshakePayload::ClientHello(h) => {
                h.session_id = tls12::SessionId::new(&sent).unwrap()
            }
            other => panic!("{other:?}"),
        });
        deliver(&mut pair.server, &hello).unwrap();
        let answer = take(&mut pair.server);
        assert!(!is_full_handshake(&answer), "resumed by ticket, {len}");
        let raw = message(&answer, HandshakeType::ServerHello);
        // msg_type, length[3], server_version[2], random[32], then
        // `opaque SessionID<0..32>`.
        let at = 4 + 2 + 32;
        assert_eq!(usize::from(raw[at]), len, "session id length echoed");
        assert_eq!(&raw[at + 1..at + 1 + len], sent, "session id bytes echoed");
    }
}

#[test]
fn early_change_cipher_spec_cve_2014_0224() {
    // A ChangeCipherSpec right after the hellos, before any key exchange:
    // OpenSSL took it and switched to keys made from an empty master
    // secret. Ours is unexpected_message, and no read keys are ever
    // installed. (tests/negative.rs tries every other position.)
    let mut pair = Pair::new(common::client_config(), common::server_config());
    pair.flight_to_server(untouched).unwrap();
    let result = pair.flight_to_client(|wire| {
        let mut recs = common::wire::records(&wire);
        recs.insert(1, common::wire::records(&CHANGE_CIPHER_SPEC).remove(0));
        common::wire::to_wire(&recs)
    });
    assert!(pair.client.cipher_states().current_read().is_none());
    let error = assert_fatal_alert(
        &mut pair.client,
        result,
        AlertProtection::Clear,
        AlertDescription::UnexpectedMessage,
    );
    assert_eq!(
        error,
        Error::Record(RecordError::UnexpectedRecord(
            "ChangeCipherSpec out of order"
        ))
    );

    let mut pair = Pair::new(common::client_config(), common::server_config());
    pair.flight_to_server(untouched).unwrap();
    pair.flight_to_client(untouched).unwrap();
    let result = pair.flight_to_server(|wire| {
        let mut out = CHANGE_CIPHER_SPEC.to_vec();
        out.extend(wire);
        out
    });
    assert!(pair.server.cipher_states().current_read().is_none());
    let error = assert_fatal_alert(
        &mut pair.server,
        result,
        AlertProtection::Clear,
        AlertDescription::UnexpectedMessage,
    );
    assert_eq!(
        error,
        Error::Record(RecordError::UnexpectedRecord(
            "ChangeCipherSpec out of order"
        ))
    );
}

#[test]
fn skipped_server_key_exchange_smack() {
    // A state machine that lets messages be skipped lets an attacker drop
    // the ones that authenticate (SKIP-TLS) or downgrade the key exchange
    // (FREAK). Every message the ECDHE handshake needs, dropped alone or
    // with others, is refused with unexpected_message, naming the message
    // that came instead.
    use HandshakeType as T;
    let cases: [(&[T], &str); 3] = [
        (&[T::ServerKeyExchange], "ServerHelloDone"),
        (&[T::Certificate], "ServerKeyExchange"),
        (&[T::Certificate, T::ServerKeyExchange], "ServerHelloDone"),
    ];
    for (dropped, instead) in cases {
        let mut pair = Pair::new(common::client_config(), common::server_config());
        pair.flight_to_server(untouched).unwrap();
        let result = pair.flight_to_client(|wire| {
            without(wire, |_, f| dropped.iter().any(|t| f[0] == t.value()))
        });
        let error = assert_fatal_alert(
            &mut pair.client,
            result,
            AlertProtection::Clear,
            AlertDescription::UnexpectedMessage,
        );
        assert_eq!(
            error,
            Error::Record(RecordError::UnexpectedMessage(instead)),
            "without {dropped:?}"
        );
    }

    // Without ServerKeyExchange and ServerHelloDone the client waits: it
    // never sends a key exchange or a Finished on the server's word alone.
    let mut pair = Pair::new(common::client_config(), common::server_config());
    pair.flight_to_server(untouched).unwrap();
    pair.flight_to_client(|wire| {
        without(wire, |_, f| {
            f[0] == T::ServerKeyExchange.value() || f[0] == T::ServerHelloDone.value()
        })
    })
    .unwrap();
    assert!(!pair.client.wants_write());
    assert!(pair.client.is_handshaking());

    // The server: a client flight without ClientKeyExchange (straight to
    // ChangeCipherSpec and Finished).
    let mut pair = Pair::new(common::client_config(), common::server_config());
    pair.flight_to_server(untouched).unwrap();
    pair.flight_to_client(untouched).unwrap();
    let result = pair.flight_to_server(|wire| {
        without(wire, |h, f| {
            h.content_type == ContentType::Handshake && f[0] == T::ClientKeyExchange.value()
        })
    });
    let error = assert_fatal_alert(
        &mut pair.server,
        result,
        AlertProtection::Clear,
        AlertDescription::UnexpectedMessage,
    );
    assert_eq!(
        error,
        Error::Record(RecordError::UnexpectedRecord(
            "ChangeCipherSpec out of order"
        ))
    );
}

#[test]
fn client_initiated_renegotiation_flood_cve_2011_1473() {
    // Each renegotiation costs the server a full handshake's work; a
    // client asking again and again would tie it up. The server allows
    // a few per connection (`peer_renegotiation`, by default
    // `Renegotiation::UpTo(3)`) and declines the rest with a
    // no_renegotiation warning (§7.2.2), which costs it nothing; the
    // connection goes on.
    let server = common::server_config();
    let Renegotiation::UpTo(limit) = server.peer_renegotiation else {
        panic!(
            "a server's default is a bound: {:?}",
            server.peer_renegotiation
        );
    };
    assert!(limit > 0);
    let mut pair = Pair::new(common::client_config(), server);
    pair.complete();
    let events =
        |conn: &mut Connection| std::iter::from_fn(|| conn.next_event()).collect::<Vec<_>>();
    events(&mut pair.client);
    events(&mut pair.server);

    for n in 1..=limit {
        pair.client.renegotiate().unwrap();
        pair.settle();
        let done = Event::HandshakeComplete {
            handshake_count: n + 1,
            resumed: false,
        };
        assert_eq!(events(&mut pair.client), std::slice::from_ref(&done));
        assert_eq!(events(&mut pair.server), [done]);
    }

    for extra in 0..MAX_DECLINED_RENEGOTIATIONS {
        pair.client.renegotiate().unwrap();
        pair.settle();
        assert_eq!(
            events(&mut pair.client),
            [Event::RenegotiationRefused],
            "{extra}"
        );
        assert_eq!(events(&mut pair.server), [Event::RenegotiationDeclined]);
        assert!(!pair.client.is_renegotiating());
        assert_eq!(pair.server.handshake_count(), limit + 1);
    }

    // The connection survives a few refusals, both ways.
    pair.client.write_application_data(b"still here?").unwrap();
    pair.server.write_application_data(b"yes").unwrap();
    pair.settle();
    let mut buf = [0; 16];
    let n = pair.server.read_application_data(&mut buf);
    assert_eq!(&buf[..n], b"still here?");
    let n = pair.client.read_application_data(&mut buf);
    assert_eq!(&buf[..n], b"yes");

    // But a client that goes on asking is making the server answer for
    // nothing: after MAX_DECLINED_RENEGOTIATIONS refusals, the next request ends the
    // connection.
    pair.client.renegotiate().unwrap();
    let protection = alert_sealed_by(&pair, Writer::Server);
    let result = pair.flight_to_server(untouched);
    assert_asked_once_too_often(&mut pair.server, result, protection);
}

/// `conn`, which returned `result`, declined MAX_DECLINED_RENEGOTIATIONS requests to
/// renegotiate and ended the connection at the next one.
fn assert_asked_once_too_often(
    conn: &mut Connection,
    result: Result<(), Error>,
    protection: AlertProtection,
) {
    let error = assert_fatal_alert(
        conn,
        result,
        protection,
        AlertDescription::UnexpectedMessage,
    );
    assert_eq!(
        error,
        Error::Record(RecordError::UnexpectedMessage(
            "renegotiation requested again after four refusals"
        ))
    );
}

#[test]
fn hello_request_flood_to_a_client_that_does_not_renegotiate() {
    // The server's side of the same flood: HelloRequest after HelloRequest
    // to a client that declines each (here by policy; equally one whose
    // server never signalled RFC 5746). Each refusal is a no_renegotiation
    // warning; after MAX_DECLINED_RENEGOTIATIONS of them the client ends the
    // connection.
    let mut client = common::client_config();
    client.peer_renegotiation = Renegotiation::Never;
    let mut pair = Pair::new(client, common::server_config());
    pair.complete();
    let hello_request = [0, 0, 0, 0];
    let est = pair.client.established().unwrap();
    let mut server_writes = next_write_state(&pair.server, est, Writer::Server);
    for i in 0..MAX_DECLINED_RENEGOTIATIONS {
        let record = seal(&mut server_writes, ContentType::Handshake, &hello_request);
        deliver(&mut pair.client, &record).unwrap_or_else(|e| panic!("{i}: {e}"));
        let answer = take(&mut pair.client);
        assert_eq!(content_types(&answer), [ContentType::Alert], "{i}");
    }
    let record = seal(&mut server_writes, ContentType::Handshake, &hello_request);
    let protection = alert_sealed_by(&pair, Writer::Client);
    let result = deliver(&mut pair.client, &record);
    assert_asked_once_too_often(&mut pair.client, result, protection);
}

#[test]
fn events_nobody_reads_are_bounded() {
    // Stream never asks for events; a server that renegotiates again and
    // again must not grow the client's queue without bound: the last
    // MAX_QUEUED_EVENTS are kept.
    let mut pair = Pair::new(common::client_config(), common::server_config());
    pair.complete();
    let rounds = MAX_QUEUED_EVENTS as u32 + 8;
    for _ in 0..rounds {
        pair.server.renegotiate().unwrap();
        pair.settle();
    }
    let events: Vec<Event> = std::iter::from_fn(|| pair.client.next_event()).collect();
    assert_eq!(events.len(), MAX_QUEUED_EVENTS);
    assert_eq!(
        events.last(),
        Some(&Event::HandshakeComplete {
            handshake_count: rounds + 1,
            resumed: false
        })
    );
}

// ---------------------------------------------------------------------------

const TIMEOUT: Duration = Duration::from_secs(10);

/// A loopback connection with our server in a thread: `serve` gets the
/// server's stream after the handshake; the client's is returned.
fn loopback<T: Send + 'static>(
    serve: impl FnOnce(Stream<TcpStream>) -> T + Send + 'static,
) -> (Stream<TcpStream>, std::thread::JoinHandle<T>) {
    let (port, handle) = common::serve_once(common::server_config(), move |stream| {
        let stream = stream.unwrap();
        stream.get_ref().set_read_timeout(Some(TIMEOUT)).unwrap();
        serve(stream)
    });
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(TIMEOUT)).unwrap();
    let client = Stream::connect(Arc::new(common::client_config()), "localhost", sock).unwrap();
    (client, handle)
}

/// Reads `expected` from `stream`, then once more: what that read returns.
fn read_then_end(stream: &mut Stream<TcpStream>, expected: &[u8]) -> std::io::Result<usize> {
    let mut got = vec![0; expected.len()];
    stream.read_exact(&mut got).unwrap();
    assert_eq!(got, expected);
    stream.read(&mut [0; 16])
}

#[test]
fn truncation_missing_close_notify_is_reported() {
    // §7.2.1: "Unless some other fatal alert has been transmitted, each
    // party is required to send a close_notify alert before closing the
    // write side of the connection." A transport that just ends may be an
    // attacker cutting the data short: Stream::read says UnexpectedEof; a
    // close_notify gives a clean end of stream, Ok(0), every time.

    // Server to client: the server's socket closes without close_notify.
    let (mut client, server) = loopback(|mut s| s.write_all(b"partial data"));
    server.join().unwrap().unwrap();
    let error = read_then_end(&mut client, b"partial data").unwrap_err();
    assert_eq!(error.kind(), ErrorKind::UnexpectedEof, "{error}");

    // With close_notify.
    let (mut client, server) = loopback(|mut s| {
        s.write_all(b"all the data")?;
        s.close()
    });
    server.join().unwrap().unwrap();
    assert_eq!(read_then_end(&mut client, b"all the data").unwrap(), 0);
    assert_eq!(client.read(&mut [0; 16]).unwrap(), 0, "and again");

    // Cut in the middle of a record.
    let (mut client, server) = loopback(|mut s| {
        let conn = s.connection_mut();
        conn.write_application_data(b"a record cut in two").unwrap();
        let mut record = Vec::new();
        conn.write_tls(&mut record).unwrap();
        s.get_ref().write_all(&record[..record.len() / 2])
    });
    server.join().unwrap().unwrap();
    let error = client.read(&mut [0; 32]).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::UnexpectedEof, "{error}");
    assert!(client.connection().has_partial_record());

    // Client to server, both ways of closing.
    for close_notify in [false, true] {
        let (mut client, server) =
            loopback(|mut s| read_then_end(&mut s, b"request").map_err(|e| e.kind()));
        client.write_all(b"request").unwrap();
        if close_notify {
            client.close().unwrap();
        }
        drop(client);
        let expected = if close_notify {
            Ok(0)
        } else {
            Err(ErrorKind::UnexpectedEof)
        };
        assert_eq!(server.join().unwrap(), expected);
    }
}
