//! Handshakes that must fail, and fail loudly (RFC 5246 §7.2.2, §7.4).
//!
//! Each test runs our client against our server in memory and breaks one
//! thing: a certificate, a signature, a Finished, an offer, the order of
//! messages. It then checks the three things a failure must show:
//!
//! 1. the failing side's `process_new_packets` returns the specific
//!    [`Error`], and keeps returning it (the connection is dead);
//! 2. the failing side wrote exactly one record, a fatal alert with the
//!    description §7.2.2 names for that error, read off the wire (and
//!    decrypted, when the failing side had already sent ChangeCipherSpec);
//! 3. the other side, fed that record, fails with
//!    `Error::Record(PeerAlert(..))` carrying the same description, and
//!    answers nothing.
//!
//! A connection that completed and then reads a fatal alert must leave its
//! session non-resumable (§7.2.2: "the session identifier MUST be
//! invalidated"); so must a side of a failed resumption whose peer had
//! proven the master secret by a verified Finished, and only that side (a
//! failure before that proof may be anyone's, replaying a session id seen
//! in the clear), which
//! `a_failed_resumption_ends_the_session_where_the_peer_had_proven_it`
//! checks.
//!
//! The harness moves the bytes one side wrote into the other through a
//! hook that can rewrite them: insert, drop or edit records, or re-encode a
//! handshake message. To change an encrypted Finished, it derives the
//! record keys on its own (§6.3: `key_block = PRF(master_secret, "key
//! expansion", server_random + client_random)`) from the session of the
//! side that completed first, or, on a resumption, from the resumed
//! session and the randoms read off the hellos in flight; it opens the
//! record, changes `verify_data` and seals it again at the same sequence
//! number. In a full handshake the client's Finished cannot be opened that
//! way (no side has completed when it is sent), so it is tested on a
//! resumption, and in a full handshake through a change to what it covers.

mod common;

use std::sync::Arc;

use tls12::handshake::messages::{HandshakePayload, HandshakeType};
use tls12::handshake::x509::CertificateError;
use tls12::record_layer::aead::CipherState;
use tls12::record_layer::record::{ContentType, ProtocolVersion};
use tls12::session_store::{ClientSessionStore, MemoryStore, ServerId, ServerSessionStore};
use tls12::{
    AlertDescription, CipherSuite, ClientAuth, ClientConfig, Connection, Error, NamedGroup,
    ServerConfig, Session,
};

use common::wire::{
    assert_unexpected_message, assert_unexpected_record, content_types, deliver,
    derive_write_state, drop_message, edit_message, insert_record, message, open, payload, records,
    seal, take, take_fatal_alert, to_wire, untouched, write_state, AlertProtection, Pair, Writer,
    CHANGE_CIPHER_SPEC,
};

type RecordError = tls12::record_layer::Error;

// ---------------------------------------------------------------------------
// The harness: common::wire, and the check every rejection must pass
// ---------------------------------------------------------------------------

/// Checks a rejection and returns the error for the caller to match.
///
/// `failing` returned `result`. It must: be an error that maps to `alert`
/// and that every later call repeats; have written exactly one record, a
/// fatal `alert`; have no session. `peer`, fed that record, must fail with
/// `PeerAlert` of the same description, keep failing, write nothing back,
/// and hold no resumable session.
fn rejected(
    failing: &mut Connection,
    result: Result<(), Error>,
    protection: AlertProtection,
    peer: &mut Connection,
    alert: AlertDescription,
) -> Error {
    let error = result.expect_err("the tampered handshake must fail");
    assert_eq!(error.alert(), Some(alert), "{error}");

    // (b) The alert on the wire.
    let wire = take_fatal_alert(failing, &error, protection, alert);

    // (a) The failing side stays failed, sends nothing more, has no session.
    assert_eq!(failing.process_new_packets(), Err(error.clone()));
    assert_eq!(failing.write_application_data(b"x"), Err(error.clone()));
    assert!(!failing.wants_write(), "{error}: a second alert");
    assert!(failing.established().is_none());
    assert!(failing.session().is_none());

    // (c) The peer reads the alert.
    let peer_error = Error::Record(RecordError::PeerAlert(tls12::Alert::fatal(alert)));
    assert_eq!(deliver(peer, &wire), Err(peer_error.clone()));
    assert_eq!(peer.process_new_packets(), Err(peer_error));
    assert!(!peer.wants_write(), "no alert answers a fatal alert");
    if let Some(session) = peer.session() {
        assert!(!session.is_resumable(), "§7.2.2: session invalidated");
    }
    error
}

// ---------------------------------------------------------------------------
// Configurations
// ---------------------------------------------------------------------------

/// A server with one chain and its key (files under test-data/).
fn server_with(chain: &str, key: &str) -> ServerConfig {
    ServerConfig::new(vec![common::certified(chain, key)])
}

/// A client offering only `suites`.
fn client_with_suites(suites: &[CipherSuite]) -> ClientConfig {
    let mut config = common::client_config();
    config.cipher_suites = suites.to_vec();
    config
}

/// A server that asks for a client certificate and requires one chaining
/// to `roots`.
fn server_requiring_client_auth(roots: &[&str]) -> ServerConfig {
    let mut config = common::server_config();
    config.client_auth = ClientAuth::Required(Arc::new(common::anchors(roots)));
    config
}

/// A client with the ECDSA client certificate.
fn client_with_certificate() -> ClientConfig {
    let mut config = common::client_config();
    config.client_certificates = vec![Arc::new(common::certified(
        "ecdsa/client.chain.pem",
        "ecdsa/client.key",
    ))];
    config
}

/// Runs a pair up to the client's failure on the server's first flight:
/// ClientHello to the server, the server's flight (through `tamper`) to the
/// client. Checks the rejection; returns the client's error.
fn client_rejects_server_flight(
    mut pair: Pair,
    tamper: impl FnOnce(Vec<u8>) -> Vec<u8>,
    alert: AlertDescription,
) -> Error {
    pair.flight_to_server(untouched).unwrap();
    let result = pair.flight_to_client(tamper);
    rejected(
        &mut pair.client,
        result,
        AlertProtection::Clear,
        &mut pair.server,
        alert,
    )
}

/// Runs a pair up to the server's failure on the ClientHello (through
/// `tamper`). Checks the rejection; returns the server's error.
fn server_rejects_client_hello(
    mut pair: Pair,
    tamper: impl FnOnce(Vec<u8>) -> Vec<u8>,
    alert: AlertDescription,
) -> Error {
    let result = pair.flight_to_server(tamper);
    rejected(
        &mut pair.server,
        result,
        AlertProtection::Clear,
        &mut pair.client,
        alert,
    )
}

/// Runs a pair up to the server's failure on the client's second flight
/// (through `tamper`). Checks the rejection (the server has not sent
/// ChangeCipherSpec, so its alert is in the clear); returns its error.
fn server_rejects_client_flight(
    mut pair: Pair,
    tamper: impl FnOnce(Vec<u8>) -> Vec<u8>,
    alert: AlertDescription,
) -> Error {
    pair.flight_to_server(untouched).unwrap();
    pair.flight_to_client(untouched).unwrap();
    let result = pair.flight_to_server(tamper);
    rejected(
        &mut pair.server,
        result,
        AlertProtection::Clear,
        &mut pair.client,
        alert,
    )
}

// ---------------------------------------------------------------------------
// The harness itself
// ---------------------------------------------------------------------------

#[test]
fn harness_completes_an_untouched_handshake() {
    // What every negative test departs from: the same pumping, no tampering.
    let mut pair = Pair::new(common::client_config(), common::server_config());
    pair.complete();
    // RFC 5746 §3.1: both ends keep the same two verify_data.
    assert_eq!(
        pair.client.renegotiation_binding().unwrap(),
        pair.server.renegotiation_binding().unwrap()
    );
    assert!(pair.server.session().unwrap().is_resumable());
}

#[test]
fn harness_keys_open_the_finished_and_a_resealed_copy_is_accepted() {
    // Shows the key derivation and re-sealing of the Finished tests are
    // right: without a change, the client accepts the re-sealed record.
    for suite in CipherSuite::ALL {
        let (mut pair, result, _) = server_finished_resealed(suite, |_| {});
        result.unwrap();
        let est = pair.client.established().expect("client completes");
        assert_eq!(est.session.cipher_suite, suite);
        pair.client.write_application_data(b"ping").unwrap();
        pair.flight_to_server(untouched).unwrap();
        let mut buf = [0u8; 4];
        assert_eq!(pair.server.read_application_data(&mut buf), 4);
        assert_eq!(&buf, b"ping");
    }
}

// ---------------------------------------------------------------------------
// 1-4: the server's certificate (§7.4.2)
// ---------------------------------------------------------------------------

#[test]
fn certificate_for_another_name_is_bad_certificate() {
    // The server's chain names only wrong.example.
    let pair = Pair::new(
        common::client_config(),
        server_with("bad/wrong-name.chain.pem", "bad/leaf.key"),
    );
    let error = client_rejects_server_flight(pair, untouched, AlertDescription::BadCertificate);
    let Error::Certificate(CertificateError::NameMismatch {
        expected,
        presented,
    }) = error
    else {
        panic!("{error:?}");
    };
    assert_eq!(expected, "localhost");
    assert_eq!(presented, ["wrong.example"]);

    // A good localhost chain, but the client asked for another name.
    let pair = Pair::named(
        common::client_config(),
        common::server_config(),
        "other.example",
    );
    let error = client_rejects_server_flight(pair, untouched, AlertDescription::BadCertificate);
    let Error::Certificate(CertificateError::NameMismatch {
        expected,
        presented,
    }) = error
    else {
        panic!("{error:?}");
    };
    assert_eq!(expected, "other.example");
    assert!(
        presented.contains(&"localhost".to_string()),
        "{presented:?}"
    );
}

#[test]
fn expired_certificate_is_certificate_expired() {
    let pair = Pair::new(
        common::client_config(),
        server_with("bad/expired.chain.pem", "bad/leaf.key"),
    );
    let error = client_rejects_server_flight(pair, untouched, AlertDescription::CertificateExpired);
    assert!(
        matches!(
            error,
            Error::Certificate(CertificateError::Expired {
                not_after: 978307200,
                ..
            })
        ),
        "{error:?}"
    );
}

#[test]
fn certificate_not_yet_valid_is_certificate_expired() {
    // §7.2.2 certificate_expired: "A certificate has expired or is not
    // currently valid." The test PKI starts on 2025-01-01.
    let mut client = common::client_config();
    client.clock = Arc::new(|| 1_700_000_000);
    let pair = Pair::new(client, common::server_config());
    let error = client_rejects_server_flight(pair, untouched, AlertDescription::CertificateExpired);
    assert!(
        matches!(
            error,
            Error::Certificate(CertificateError::NotYetValid {
                not_before: 1735689600,
                ..
            })
        ),
        "{error:?}"
    );
}

#[test]
fn certificate_from_an_untrusted_root_is_unknown_ca() {
    let pair = Pair::new(
        common::client_config(),
        server_with("untrusted/localhost.chain.pem", "untrusted/localhost.key"),
    );
    let error = client_rejects_server_flight(pair, untouched, AlertDescription::UnknownCa);
    assert!(
        matches!(
            error,
            Error::Certificate(CertificateError::UnknownIssuer { .. })
        ),
        "{error:?}"
    );
}

#[test]
fn certificate_issued_by_a_non_ca_is_unknown_ca() {
    let pair = Pair::new(
        common::client_config(),
        server_with("bad/not-ca.chain.pem", "bad/leaf.key"),
    );
    let error = client_rejects_server_flight(pair, untouched, AlertDescription::UnknownCa);
    assert!(
        matches!(
            error,
            Error::Certificate(CertificateError::IssuerNotCa { .. })
        ),
        "{error:?}"
    );
}

// ---------------------------------------------------------------------------
// 5: Finished (§7.4.9)
// ---------------------------------------------------------------------------

/// Takes the last record of `wire`, a Finished sealed at sequence number 0,
/// opens it with `opener`, lets `edit` change its plaintext (header and
/// verify_data), and seals it again with `sealer`, a fresh state of the
/// same key. Returns the flight and the verify_data as it was sent.
fn reseal_finished(
    wire: Vec<u8>,
    mut opener: CipherState,
    mut sealer: CipherState,
    edit: impl FnOnce(&mut Vec<u8>),
) -> (Vec<u8>, Vec<u8>) {
    let mut recs = records(&wire);
    let (header, fragment) = recs.pop().unwrap();
    assert_eq!(header.content_type, ContentType::Handshake);
    let mut finished = open(&mut opener, header, &fragment);
    // §7.4.9: Finished is msg_type 20, length 12, verify_data.
    assert_eq!(finished[..4], [20, 0, 0, 12]);
    let sent = finished[4..].to_vec();
    edit(&mut finished);
    let mut out = to_wire(&recs);
    out.extend(seal(&mut sealer, ContentType::Handshake, &finished));
    (out, sent)
}

/// Takes the ChangeCipherSpec and Finished that `sender`, the side that
/// completed first, has queued; reseals that Finished changed by `edit`
/// with the write key derived from `sender`'s session (see
/// [`reseal_finished`]) and delivers the flight to the other side. Returns
/// the other side's result and its write state positioned after its own
/// Finished (sequence number 1).
fn finished_resealed_in_flight(
    pair: &mut Pair,
    sender: Writer,
    edit: impl FnOnce(&mut Vec<u8>),
) -> (Result<(), Error>, CipherState) {
    let (from, to, receiver) = match sender {
        Writer::Server => (&mut pair.server, &mut pair.client, Writer::Client),
        Writer::Client => (&mut pair.client, &mut pair.server, Writer::Server),
    };
    let est = from.established().expect("the sender has completed");
    let opener = write_state(est, sender, 0);
    let sealer = write_state(est, sender, 0);
    let receiver_write = write_state(est, receiver, 1);
    let finished = from
        .renegotiation_binding()
        .expect("the sender has completed");
    let verify_data = match sender {
        Writer::Server => finished.server_verify_data,
        Writer::Client => finished.client_verify_data,
    };

    let wire = take(from);
    assert_eq!(
        content_types(&wire),
        [ContentType::ChangeCipherSpec, ContentType::Handshake]
    );
    let (tampered, sent) = reseal_finished(wire, opener, sealer, edit);
    assert_eq!(sent, verify_data);
    (deliver(to, &tampered), receiver_write)
}

/// A full handshake offering only `suite` up to the server's Finished; that
/// record is opened with the server write key derived from the server's
/// session, changed by `edit` and sealed again (see [`reseal_finished`]),
/// then delivered to the client. Returns the pair, the client's result, and
/// the client's write state positioned after its own Finished (sequence
/// number 1).
fn server_finished_resealed(
    suite: CipherSuite,
    edit: impl FnOnce(&mut Vec<u8>),
) -> (Pair, Result<(), Error>, CipherState) {
    let mut pair = Pair::new(client_with_suites(&[suite]), common::server_config());
    pair.flight_to_server(untouched).unwrap();
    pair.flight_to_client(untouched).unwrap();
    pair.flight_to_server(untouched).unwrap();
    pair.server.established().expect("server completes first");
    let (result, client_write) = finished_resealed_in_flight(&mut pair, Writer::Server, edit);
    (pair, result, client_write)
}

#[test]
fn tampered_server_finished_is_decrypt_error() {
    for suite in CipherSuite::ALL {
        let (mut pair, result, client_write) =
            server_finished_resealed(suite, |finished| finished[4] ^= 0x01);
        let session = pair.server.session().unwrap().clone();
        // The client has sent ChangeCipherSpec: its alert is sealed under
        // its write key, after its Finished (sequence number 1).
        let error = rejected(
            &mut pair.client,
            result,
            AlertProtection::Sealed(Box::new(client_write)),
            &mut pair.server,
            AlertDescription::DecryptError,
        );
        assert_eq!(error, Error::BadFinished, "{suite:?}");
        // The server had completed; the client's fatal alert invalidates
        // the session it made (§7.2.2).
        assert!(!session.is_resumable(), "{suite:?}");
    }
}

#[test]
fn client_finished_over_a_tampered_client_hello_is_decrypt_error() {
    // The client's Finished cannot be re-sealed here: its keys exist only
    // inside the two connections until the server accepts it. So change
    // what it covers instead (§7.4.9: verify_data hashes all handshake
    // messages). Removing extended_master_secret from the ClientHello keeps
    // both sides' keys equal (the master secret then hangs on the randoms
    // alone, §8.1) while their transcripts differ: the record opens, the
    // verify_data does not match.
    let mut pair = Pair::new(common::client_config(), common::server_config());
    let result = pair.flight_to_server(|wire| {
        edit_message(wire, HandshakeType::ClientHello, |msg| match msg {
            HandshakePayload::ClientHello(hello) => {
                assert!(hello.extensions.extended_master_secret);
                hello.extensions.extended_master_secret = false;
            }
            other => panic!("{other:?}"),
        })
    });
    result.unwrap();
    pair.flight_to_client(untouched).unwrap();
    let result = pair.flight_to_server(untouched);
    // The server has not sent ChangeCipherSpec yet: its alert is clear.
    let error = rejected(
        &mut pair.server,
        result,
        AlertProtection::Clear,
        &mut pair.client,
        AlertDescription::DecryptError,
    );
    assert_eq!(error, Error::BadFinished);
}

#[test]
fn flipped_bit_in_a_finished_record_is_bad_record_mac() {
    // §6.2.3.3: "If the decryption fails, a fatal bad_record_mac alert MUST
    // be generated." The client's Finished, as sent:
    let mut pair = Pair::new(common::client_config(), common::server_config());
    pair.flight_to_server(untouched).unwrap();
    pair.flight_to_client(untouched).unwrap();
    let result = pair.flight_to_server(|wire| {
        let mut recs = records(&wire);
        let (header, fragment) = recs.last_mut().unwrap();
        assert_eq!(header.content_type, ContentType::Handshake);
        let middle = fragment.len() / 2;
        fragment[middle] ^= 0x80;
        to_wire(&recs)
    });
    let error = rejected(
        &mut pair.server,
        result,
        AlertProtection::Clear,
        &mut pair.client,
        AlertDescription::BadRecordMac,
    );
    assert_eq!(error, Error::Record(RecordError::BadRecordMac));

    // The server's Finished: the client's alert is sealed, after its
    // Finished.
    let mut pair = Pair::new(common::client_config(), common::server_config());
    pair.flight_to_server(untouched).unwrap();
    pair.flight_to_client(untouched).unwrap();
    pair.flight_to_server(untouched).unwrap();
    let mut client_write = write_state(pair.server.established().unwrap(), Writer::Client, 0);
    client_write.skip(1);
    let result = pair.flight_to_client(|wire| {
        let mut recs = records(&wire);
        let (_, fragment) = recs.last_mut().unwrap();
        let last = fragment.len() - 1;
        fragment[last] ^= 0x01;
        to_wire(&recs)
    });
    let error = rejected(
        &mut pair.client,
        result,
        AlertProtection::Sealed(Box::new(client_write)),
        &mut pair.server,
        AlertDescription::BadRecordMac,
    );
    assert_eq!(error, Error::Record(RecordError::BadRecordMac));
}

// ---------------------------------------------------------------------------
// 6: ServerKeyExchange signature (RFC 8422 §5.4)
// ---------------------------------------------------------------------------

#[test]
fn bad_server_key_exchange_signature_is_decrypt_error() {
    // Once with the ECDSA certificate, once with the RSA one.
    for suite in [
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    ] {
        let pair = Pair::new(client_with_suites(&[suite]), common::server_config());
        let error = client_rejects_server_flight(
            pair,
            |wire| {
                edit_message(wire, HandshakeType::ServerKeyExchange, |msg| match msg {
                    HandshakePayload::ServerKeyExchange(ske) => {
                        let signature = &mut ske.signed_params.signature;
                        let middle = signature.len() / 2;
                        signature[middle] ^= 0x01;
                    }
                    other => panic!("{other:?}"),
                })
            },
            AlertDescription::DecryptError,
        );
        assert_eq!(error, Error::BadSignature, "{suite:?}");
    }
}

#[test]
fn server_key_exchange_with_another_key_share_is_decrypt_error() {
    // The signature covers the ECDHE public key: replacing the key (what a
    // man in the middle needs) breaks it. Our own fresh x25519 share serves
    // as the attacker's.
    let mut client = common::client_config();
    client.groups = vec![NamedGroup::X25519];
    let mut other = Pair::new(client.clone(), common::server_config());
    other.flight_to_server(untouched).unwrap();
    let mut attacker_share = None;
    let _ = edit_message(
        take(&mut other.server),
        HandshakeType::ServerKeyExchange,
        |msg| {
            if let HandshakePayload::ServerKeyExchange(ske) = msg {
                attacker_share = Some(ske.public.clone());
            }
        },
    );
    let attacker_share = attacker_share.unwrap();

    let pair = Pair::new(client, common::server_config());
    let error = client_rejects_server_flight(
        pair,
        |wire| {
            edit_message(wire, HandshakeType::ServerKeyExchange, |msg| match msg {
                HandshakePayload::ServerKeyExchange(ske) => {
                    assert_ne!(ske.public, attacker_share);
                    ske.public = attacker_share;
                }
                other => panic!("{other:?}"),
            })
        },
        AlertDescription::DecryptError,
    );
    assert_eq!(error, Error::BadSignature);
}

// ---------------------------------------------------------------------------
// 7-8: nothing in common (§7.4.1.3, RFC 8422 §5.1)
// ---------------------------------------------------------------------------

#[test]
fn no_common_cipher_suite_is_handshake_failure() {
    let client = client_with_suites(&[CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]);
    let mut server = common::server_config();
    server.cipher_suites = vec![
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ];
    let pair = Pair::new(client, server);
    let error = server_rejects_client_hello(pair, untouched, AlertDescription::HandshakeFailure);
    assert_eq!(error, Error::NoCommonCipherSuite);
}

#[test]
fn no_common_group_is_handshake_failure() {
    let mut client = client_with_suites(&[CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]);
    client.groups = vec![NamedGroup::X25519];
    let mut server = common::server_config();
    server.groups = vec![NamedGroup::Secp256r1, NamedGroup::Secp384r1];
    let pair = Pair::new(client, server);
    let error = server_rejects_client_hello(pair, untouched, AlertDescription::HandshakeFailure);
    assert_eq!(error, Error::NoCommonGroup);
}

#[test]
fn client_groups_without_the_certificates_curve_name_the_curve() {
    // RFC 8422 §5.3: the server certificate's key "MUST respect the
    // client's choice of elliptic curves". The client offers ECDSA suites
    // and schemes, but only x25519: our P-256 certificate cannot be used,
    // and the error says so, not "no signature algorithm in common".
    let mut client = client_with_suites(&[CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]);
    client.groups = vec![NamedGroup::X25519];
    let pair = Pair::new(client, common::server_config());
    let error = server_rejects_client_hello(pair, untouched, AlertDescription::HandshakeFailure);
    assert_eq!(
        error,
        Error::CertificateCurveNotOffered(NamedGroup::Secp256r1)
    );
    let message = error.to_string();
    assert!(
        message.contains("secp256r1") && message.contains("supported_groups"),
        "{message}"
    );
}

#[test]
fn an_empty_server_certificate_is_decode_error() {
    // RFC 8446 §4.4.2.4 (RFC 5246 names no alert for it): "If the server
    // supplies an empty Certificate message, the client MUST abort the
    // handshake with a "decode_error" alert."
    let pair = Pair::new(common::client_config(), common::server_config());
    let error = client_rejects_server_flight(
        pair,
        |wire| {
            edit_message(wire, HandshakeType::Certificate, |msg| match msg {
                HandshakePayload::Certificate(cert) => cert.certificate_list.clear(),
                other => panic!("{other:?}"),
            })
        },
        AlertDescription::DecodeError,
    );
    assert!(
        matches!(error, Error::Record(RecordError::Decode(_))),
        "{error:?}"
    );
}

#[test]
fn a_server_certificate_on_a_curve_we_did_not_offer_is_illegal_parameter() {
    // RFC 8422 §5.3: "If the client has used a Supported Elliptic Curves
    // Extension, the public key in the server's certificate MUST respect
    // the client's choice of elliptic curves." Our client offers x25519
    // and P-384; in flight, secp256r1 is added to its list, so that our
    // server (which keeps the rule) sends its P-256 certificate.
    let mut client = client_with_suites(&[CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]);
    client.groups = vec![NamedGroup::X25519, NamedGroup::Secp384r1];
    let mut pair = Pair::new(client, common::server_config());
    pair.flight_to_server(|wire| {
        edit_message(wire, HandshakeType::ClientHello, |msg| match msg {
            HandshakePayload::ClientHello(hello) => {
                let groups = hello.extensions.supported_groups.as_mut().unwrap();
                groups.push(NamedGroup::Secp256r1);
            }
            other => panic!("{other:?}"),
        })
    })
    .unwrap();
    let result = pair.flight_to_client(untouched);
    let error = rejected(
        &mut pair.client,
        result,
        AlertProtection::Clear,
        &mut pair.server,
        AlertDescription::IllegalParameter,
    );
    assert_eq!(
        error,
        Error::IllegalParameter("server certificate key is on a curve we did not offer")
    );
}

// ---------------------------------------------------------------------------
// 9: client certificates (§7.4.6, §7.4.8)
// ---------------------------------------------------------------------------

#[test]
fn missing_client_certificate_when_required_is_handshake_failure() {
    let pair = Pair::new(
        common::client_config(),
        server_requiring_client_auth(&["ecdsa/root.pem", "rsa/root.pem"]),
    );
    let error = server_rejects_client_flight(
        pair,
        |wire| {
            // §7.4.6: a client with no suitable certificate "MUST send a
            // certificate message containing no certificates".
            let certificate = message(&wire, HandshakeType::Certificate);
            assert_eq!(certificate[..], [11, 0, 0, 3, 0, 0, 0]);
            wire
        },
        AlertDescription::HandshakeFailure,
    );
    assert_eq!(error, Error::ClientCertificateRequired);
}

#[test]
fn client_certificate_from_an_untrusted_root_is_unknown_ca() {
    // The server trusts only the RSA root for clients; the client's chain
    // leads to the ECDSA root.
    let pair = Pair::new(
        client_with_certificate(),
        server_requiring_client_auth(&["rsa/root.pem"]),
    );
    let error = server_rejects_client_flight(pair, untouched, AlertDescription::UnknownCa);
    assert!(
        matches!(
            error,
            Error::Certificate(CertificateError::UnknownIssuer { .. })
        ),
        "{error:?}"
    );
}

#[test]
fn client_certificate_without_certificate_verify_is_unexpected_message() {
    // A client that presents a certificate must prove it holds the key
    // (§7.4.8). Dropping CertificateVerify leaves ChangeCipherSpec where it
    // is expected: refused, or anyone could present anyone's certificate.
    let pair = Pair::new(
        client_with_certificate(),
        server_requiring_client_auth(&["ecdsa/root.pem"]),
    );
    let error = server_rejects_client_flight(
        pair,
        |wire| drop_message(wire, HandshakeType::CertificateVerify),
        AlertDescription::UnexpectedMessage,
    );
    assert_unexpected_record(&error, "");
}

#[test]
fn client_certificate_verify_with_a_bad_signature_is_decrypt_error() {
    let pair = Pair::new(
        client_with_certificate(),
        server_requiring_client_auth(&["ecdsa/root.pem"]),
    );
    let error = server_rejects_client_flight(
        pair,
        |wire| {
            edit_message(wire, HandshakeType::CertificateVerify, |msg| match msg {
                HandshakePayload::CertificateVerify(signed) => {
                    let middle = signed.signature.len() / 2;
                    signed.signature[middle] ^= 0x01;
                }
                other => panic!("{other:?}"),
            })
        },
        AlertDescription::DecryptError,
    );
    assert_eq!(error, Error::BadSignature);
}

// ---------------------------------------------------------------------------
// 10: the state machines' order (§7.3, §7.1)
// ---------------------------------------------------------------------------

#[test]
fn early_change_cipher_spec_to_the_client_is_unexpected_message() {
    // CVE-2014-0224: a ChangeCipherSpec before the keys exist would switch
    // to keys an attacker can compute. Before each message of the server's
    // first flight: ServerHello, Certificate, ServerKeyExchange,
    // ServerHelloDone.
    for at in 0..4 {
        let pair = Pair::new(common::client_config(), common::server_config());
        let error = client_rejects_server_flight(
            pair,
            |wire| {
                assert_eq!(content_types(&wire), [ContentType::Handshake; 4]);
                insert_record(wire, at, &CHANGE_CIPHER_SPEC)
            },
            AlertDescription::UnexpectedMessage,
        );
        assert_unexpected_record(&error, &format!("at {at}"));
    }
}

#[test]
fn early_change_cipher_spec_to_the_server_is_unexpected_message() {
    // Before the ClientHello.
    let pair = Pair::new(common::client_config(), common::server_config());
    let error = server_rejects_client_hello(
        pair,
        |wire| insert_record(wire, 0, &CHANGE_CIPHER_SPEC),
        AlertDescription::UnexpectedMessage,
    );
    assert_unexpected_record(&error, "");

    // Before ClientKeyExchange.
    let pair = Pair::new(common::client_config(), common::server_config());
    let error = server_rejects_client_flight(
        pair,
        |wire| {
            let types = content_types(&wire);
            assert_eq!(types[0], ContentType::Handshake);
            insert_record(wire, 0, &CHANGE_CIPHER_SPEC)
        },
        AlertDescription::UnexpectedMessage,
    );
    assert_unexpected_record(&error, "");

    // With client authentication, before each of Certificate,
    // ClientKeyExchange and CertificateVerify: the last skips the proof of
    // the client's key.
    for at in 0..3 {
        let pair = Pair::new(
            client_with_certificate(),
            server_requiring_client_auth(&["ecdsa/root.pem"]),
        );
        let error = server_rejects_client_flight(
            pair,
            |wire| {
                let types = content_types(&wire);
                assert_eq!(types[..3], [ContentType::Handshake; 3]);
                assert_eq!(types[3], ContentType::ChangeCipherSpec);
                insert_record(wire, at, &CHANGE_CIPHER_SPEC)
            },
            AlertDescription::UnexpectedMessage,
        );
        assert_unexpected_record(&error, &format!("at {at}"));
    }
}

#[test]
fn skipped_server_key_exchange_is_unexpected_message() {
    // Without it the client would have no signed key share: the ECDHE suites
    // require it (RFC 8422 §5.4).
    let pair = Pair::new(common::client_config(), common::server_config());
    let error = client_rejects_server_flight(
        pair,
        |wire| drop_message(wire, HandshakeType::ServerKeyExchange),
        AlertDescription::UnexpectedMessage,
    );
    assert_unexpected_message(&error, "");
}

#[test]
fn application_data_before_the_handshake_is_unexpected_message() {
    // An application_data(23) record, in the clear, first thing.
    const APPLICATION_DATA: [u8; 10] = [23, 3, 3, 0, 5, b'h', b'e', b'l', b'l', b'o'];

    let pair = Pair::new(common::client_config(), common::server_config());
    let error = server_rejects_client_hello(
        pair,
        |wire| insert_record(wire, 0, &APPLICATION_DATA),
        AlertDescription::UnexpectedMessage,
    );
    assert_unexpected_record(&error, "");

    let pair = Pair::new(common::client_config(), common::server_config());
    let error = client_rejects_server_flight(
        pair,
        |wire| insert_record(wire, 0, &APPLICATION_DATA),
        AlertDescription::UnexpectedMessage,
    );
    assert_unexpected_record(&error, "");
}

#[test]
fn server_hello_with_a_suite_not_offered_is_illegal_parameter() {
    // §7.4.1.3 cipher_suite: "The single cipher suite selected by the server
    // from the list in ClientHello.cipher_suites." One we implement but did
    // not offer, and one we do not know (TLS_RSA_WITH_AES_128_GCM_SHA256).
    let not_offered = [
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384.value(),
        0x009c,
    ];
    for chosen in not_offered {
        let client = client_with_suites(&[CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]);
        let pair = Pair::new(client, common::server_config());
        let error = client_rejects_server_flight(
            pair,
            |wire| {
                edit_message(wire, HandshakeType::ServerHello, |msg| match msg {
                    HandshakePayload::ServerHello(hello) => hello.cipher_suite = chosen,
                    other => panic!("{other:?}"),
                })
            },
            AlertDescription::IllegalParameter,
        );
        assert!(
            matches!(error, Error::IllegalParameter(_)),
            "{chosen:#06x}: {error:?}"
        );
    }
}

/// The flight `wire` with an extension (`typ`, `data`) appended to its
/// ServerHello's extensions block (§7.4.1.3), both lengths fixed.
fn with_server_hello_extension(wire: Vec<u8>, typ: u16, data: &[u8]) -> Vec<u8> {
    let mut recs = records(&wire);
    let (_, hello) = recs
        .iter_mut()
        .find(|(h, f)| {
            h.content_type == ContentType::Handshake && f[0] == HandshakeType::ServerHello.value()
        })
        .unwrap();
    // Header (4), server_version (2), random (32), session_id<0..32>,
    // cipher_suite (2), compression_method (1), then the block's length.
    let block_at = 4 + 2 + 32 + 1 + usize::from(hello[38]) + 2 + 1;
    let added = [&typ.to_be_bytes()[..], &[0, data.len() as u8], data].concat();
    let block_len = u16::from_be_bytes([hello[block_at], hello[block_at + 1]]);
    let block_len = block_len + added.len() as u16;
    hello[block_at..block_at + 2].copy_from_slice(&block_len.to_be_bytes());
    hello.extend_from_slice(&added);
    let body_len = (hello.len() - 4) as u32;
    hello[1..4].copy_from_slice(&body_len.to_be_bytes()[1..]);
    to_wire(&recs)
}

#[test]
fn a_server_hello_echoing_supported_groups_is_let_pass() {
    // §7.4.1.4: "If a client receives an extension type in ServerHello that
    // it did not request in the associated ClientHello, it MUST abort the
    // handshake with an unsupported_extension fatal alert." We did send
    // supported_groups; a server that echoes it (RFC 8422 §5.2 gives it no
    // place there, some servers send it anyway) is not refused for it.
    // The change to the transcript still ends the handshake, at the
    // client's Finished (its extended master secret differs from the
    // server's, so the record does not even open).
    let mut pair = Pair::new(common::client_config(), common::server_config());
    pair.flight_to_server(untouched).unwrap();
    pair.flight_to_client(|wire| {
        let wire = with_server_hello_extension(wire, 10, &[0, 2, 0, 0x1d]);
        let HandshakePayload::ServerHello(hello) = payload(&wire, HandshakeType::ServerHello)
        else {
            panic!("no ServerHello")
        };
        assert_eq!(hello.extensions.unknown, [10]);
        wire
    })
    .unwrap();
    let result = pair.flight_to_server(untouched);
    let error = rejected(
        &mut pair.server,
        result,
        AlertProtection::Clear,
        &mut pair.client,
        AlertDescription::BadRecordMac,
    );
    assert_eq!(error, Error::Record(RecordError::BadRecordMac));

    // Any other type we did not send is refused, as before.
    let pair = Pair::new(common::client_config(), common::server_config());
    let error = client_rejects_server_flight(
        pair,
        |wire| with_server_hello_extension(wire, 0xaaaa, &[]),
        AlertDescription::UnsupportedExtension,
    );
    assert_eq!(error, Error::UnsupportedExtension);
}

#[test]
fn record_version_other_than_tls_1_2_after_the_hellos_is_protocol_version() {
    // §E.1 lets only the ClientHello's record say {3,1}; the server accepts
    // that (the handshake goes on), and nothing later.
    let tls1_0 = |wire: Vec<u8>, at: usize| {
        let mut recs = records(&wire);
        recs[at].0.version = ProtocolVersion::TLS1_0;
        to_wire(&recs)
    };
    let mut pair = Pair::new(common::client_config(), common::server_config());
    pair.flight_to_server(|wire| tls1_0(wire, 0)).unwrap();
    pair.flight_to_client(untouched).unwrap();
    // The client's ClientKeyExchange record.
    let result = pair.flight_to_server(|wire| tls1_0(wire, 0));
    let error = rejected(
        &mut pair.server,
        result,
        AlertProtection::Clear,
        &mut pair.client,
        AlertDescription::ProtocolVersion,
    );
    assert_eq!(error, Error::Record(RecordError::BadRecordVersion(0x0301)));

    // The server's Certificate record, to the client.
    let pair = Pair::new(common::client_config(), common::server_config());
    let error = client_rejects_server_flight(
        pair,
        |wire| tls1_0(wire, 1),
        AlertDescription::ProtocolVersion,
    );
    assert_eq!(error, Error::Record(RecordError::BadRecordVersion(0x0301)));
}

#[test]
fn records_before_the_server_hello_may_carry_any_3_x_version() {
    // Before the ServerHello no version is agreed (§6.2.1: a client "may
    // not know what version will be employed before it receives the
    // ServerHello"), and Appendix D.4 asks "Do you ignore the TLS record
    // layer version number in all TLS records before ServerHello?". The
    // ServerHello's own server_version decides; after it, the test above.
    let mut pair = Pair::new(common::client_config(), common::server_config());
    pair.flight_to_server(untouched).unwrap();
    pair.flight_to_client(|wire| {
        let mut recs = records(&wire);
        recs[0].0.version = ProtocolVersion::TLS1_0;
        to_wire(&recs)
    })
    .unwrap();
    pair.flight_to_server(untouched).unwrap();
    pair.flight_to_client(untouched).unwrap();
    assert!(!pair.client.is_handshaking());

    // So application data there, in a {3,1} record, is refused for what it
    // is: a record of the wrong type before the handshake.
    const APPLICATION_DATA: [u8; 10] = [23, 3, 1, 0, 5, b'h', b'e', b'l', b'l', b'o'];
    let pair = Pair::new(common::client_config(), common::server_config());
    let error = client_rejects_server_flight(
        pair,
        |wire| insert_record(wire, 0, &APPLICATION_DATA),
        AlertDescription::UnexpectedMessage,
    );
    assert_eq!(
        error,
        Error::Record(RecordError::UnexpectedRecord(
            "application data before the handshake"
        ))
    );
}

// ---------------------------------------------------------------------------
// Finished on an abbreviated handshake (§7.3, Figure 2), and what a fatal
// alert does to the session (§7.2.2)
// ---------------------------------------------------------------------------

/// A client and a server that cache sessions by id (no tickets), after a
/// full handshake between them made one.
struct Resumable {
    client: ClientConfig,
    server: ServerConfig,
    client_store: Arc<MemoryStore>,
    server_store: Arc<MemoryStore>,
    /// The session the full handshake made, as the client holds it.
    session: Arc<Session>,
}

impl Resumable {
    fn new() -> Self {
        let client_store = Arc::new(MemoryStore::new(8));
        let server_store = Arc::new(MemoryStore::new(8));
        let mut client = common::client_config();
        client.session_store = Some(client_store.clone());
        client.enable_tickets = false;
        let mut server = common::server_config();
        server.session_store = Some(server_store.clone());
        let mut first = Pair::new(client.clone(), server.clone());
        first.complete();
        let session = first.client.session().unwrap().clone();
        let resumable = Self {
            client,
            server,
            client_store,
            server_store,
            session,
        };
        assert!(resumable.client_would_offer() && resumable.server_would_resume());
        resumable
    }

    fn pair(&self) -> Pair {
        Pair::new(self.client.clone(), self.server.clone())
    }

    /// The client store still holds the session, resumable.
    fn client_would_offer(&self) -> bool {
        let server = ServerId::parse("localhost").unwrap();
        ClientSessionStore::get(&*self.client_store, &server)
            .unwrap()
            .is_some_and(|s| s.session.is_resumable())
    }

    /// The server store still holds the session, resumable.
    fn server_would_resume(&self) -> bool {
        ServerSessionStore::get(&*self.server_store, &self.session.session_id)
            .unwrap()
            .is_some_and(|s| s.is_resumable())
    }
}

/// `random` of the ClientHello or ServerHello in the plaintext flight `wire`.
fn hello_random(wire: &[u8], msg_type: HandshakeType) -> [u8; 32] {
    match payload(wire, msg_type) {
        HandshakePayload::ClientHello(hello) => hello.random.0,
        HandshakePayload::ServerHello(hello) => hello.random.0,
        other => panic!("{other:?}"),
    }
}

/// A resumption up to the server's Finished, which comes first in an
/// abbreviated handshake. Neither side has completed, so the keys come from
/// the session's master secret and the randoms read off the hellos in
/// flight (§6.3). The Finished is changed by `edit`, re-sealed and
/// delivered to the client. Returns the pair and the client's result.
fn resumed_server_finished(
    r: &Resumable,
    edit: impl FnOnce(&mut Vec<u8>),
) -> (Pair, Result<(), Error>) {
    let mut pair = r.pair();
    let hello = take(&mut pair.client);
    let client_random = hello_random(&hello, HandshakeType::ClientHello);
    deliver(&mut pair.server, &hello).unwrap();
    let flight = take(&mut pair.server);
    // ServerHello, ChangeCipherSpec, Finished: the abbreviated handshake.
    assert_eq!(
        content_types(&flight),
        [
            ContentType::Handshake,
            ContentType::ChangeCipherSpec,
            ContentType::Handshake
        ]
    );
    let server_random = hello_random(&flight, HandshakeType::ServerHello);
    let server_write = || {
        derive_write_state(
            r.session.cipher_suite,
            r.session.master_secret(),
            &client_random,
            &server_random,
            Writer::Server,
        )
    };
    let (tampered, _) = reseal_finished(flight, server_write(), server_write(), edit);
    let result = deliver(&mut pair.client, &tampered);
    (pair, result)
}

/// A resumption up to the client's Finished: the client has completed, so
/// the keys come from its established session. The Finished is changed by
/// `edit`, re-sealed and delivered to the server. Returns the pair, the
/// server's result, and the server's write state positioned after its own
/// Finished (sequence number 1).
fn resumed_client_finished(
    r: &Resumable,
    edit: impl FnOnce(&mut Vec<u8>),
) -> (Pair, Result<(), Error>, CipherState) {
    let mut pair = r.pair();
    pair.flight_to_server(untouched).unwrap();
    pair.flight_to_client(untouched).unwrap();
    let est = pair
        .client
        .established()
        .expect("resuming, the client completes first");
    assert!(est.resumed);
    assert!(Arc::ptr_eq(&est.session, &r.session));
    let (result, server_write) = finished_resealed_in_flight(&mut pair, Writer::Client, edit);
    (pair, result, server_write)
}

#[test]
fn harness_reseals_both_finished_of_a_resumption_faithfully() {
    let r = Resumable::new();
    let (mut pair, result) = resumed_server_finished(&r, |_| {});
    result.unwrap();
    pair.flight_to_server(untouched).unwrap();
    assert!(pair.client.established().unwrap().resumed);
    assert!(pair.server.established().unwrap().resumed);

    let (pair, result, _) = resumed_client_finished(&r, |_| {});
    result.unwrap();
    assert!(pair.server.established().unwrap().resumed);
    assert!(r.client_would_offer() && r.server_would_resume());
}

#[test]
fn tampered_server_finished_on_resumption_is_decrypt_error() {
    let r = Resumable::new();
    let (mut pair, result) = resumed_server_finished(&r, |finished| finished[4] ^= 0x01);
    // The client has not sent ChangeCipherSpec: its alert is clear.
    let error = rejected(
        &mut pair.client,
        result,
        AlertProtection::Clear,
        &mut pair.server,
        AlertDescription::DecryptError,
    );
    assert_eq!(error, Error::BadFinished);
    // The server read the fatal alert before the client had proven the
    // master secret: it keeps the session, and so does the client, whose
    // server never proved it either.
    assert!(r.server_would_resume() && r.client_would_offer());
}

#[test]
fn tampered_client_finished_on_resumption_is_decrypt_error() {
    // The case a full handshake cannot show (see
    // client_finished_over_a_tampered_client_hello_is_decrypt_error): here
    // the client's Finished itself is changed.
    let r = Resumable::new();
    let (mut pair, result, server_write) =
        resumed_client_finished(&r, |finished| finished[4] ^= 0x01);
    // The server has sent ChangeCipherSpec and Finished: its alert is sealed
    // at sequence number 1.
    let error = rejected(
        &mut pair.server,
        result,
        AlertProtection::Sealed(Box::new(server_write)),
        &mut pair.client,
        AlertDescription::DecryptError,
    );
    assert_eq!(error, Error::BadFinished);
    // The client, which had completed, read the fatal alert: it forgot the
    // session.
    assert!(!r.session.is_resumable());
    assert!(!r.client_would_offer());
}

#[test]
fn a_failed_resumption_ends_the_session_where_the_peer_had_proven_it() {
    // The server's Finished tampered: the client fails before the server
    // proved the master secret, and the server reads the alert before the
    // client did. Neither side may let this evict the session: the next
    // connection resumes it.
    let r = Resumable::new();
    let (mut pair, result) = resumed_server_finished(&r, |finished| finished[4] ^= 0x01);
    assert_eq!(result, Err(Error::BadFinished));
    let alert = take(&mut pair.client);
    assert!(deliver(&mut pair.server, &alert).is_err());
    assert!(r.session.is_resumable() && r.client_would_offer() && r.server_would_resume());
    let mut next = r.pair();
    next.complete();
    assert!(next.server.established().unwrap().resumed);

    // The client's Finished tampered: the client had verified the server's
    // Finished and completed, so the alert it reads ends the session on its
    // side (§7.2.2); the server, which never verified the client's
    // Finished, keeps it.
    let r = Resumable::new();
    let (mut pair, result, _) = resumed_client_finished(&r, |finished| finished[4] ^= 0x01);
    assert_eq!(result, Err(Error::BadFinished));
    let alert = take(&mut pair.server);
    assert!(deliver(&mut pair.client, &alert).is_err());
    assert!(!r.session.is_resumable(), "client's session object");
    assert!(!r.client_would_offer(), "client store");
    assert!(r.server_would_resume(), "server store");
    let mut next = r.pair();
    next.complete();
    assert!(!next.client.established().unwrap().resumed);
}

// ---------------------------------------------------------------------------
// Refusals of our own: no alert that never went on the wire
// ---------------------------------------------------------------------------

#[test]
fn renegotiation_with_a_server_without_rfc_5746_is_refused_and_says_so() {
    // GnuTLS with safe renegotiation disabled sends no renegotiation_info:
    // a server that never signalled RFC 5746. Our client connects (legacy
    // servers are allowed, RFC 5746 §4.1) but will not renegotiate with
    // it. The error must say what happened, and that nothing was sent: no
    // alert is reported, because none went on the wire, and the connection
    // goes on.
    use std::io::{Read, Write};
    let (_server, port) =
        common::gnutls::gnutls_serv("NORMAL:-VERS-ALL:+VERS-TLS1.2:%DISABLE_SAFE_RENEGOTIATION");
    let sock = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut stream =
        tls12::Stream::connect(Arc::new(common::client_config()), "localhost", sock).unwrap();
    let binding = stream.connection().renegotiation_binding().unwrap();
    assert!(!binding.secure_renegotiation, "GnuTLS signalled RFC 5746");

    let error = stream.renegotiate().unwrap_err();
    let tls = tls12::tls_error(&error).expect("a TLS error");
    assert_eq!(tls, &Error::PeerLacksSecureRenegotiation);
    assert_eq!(tls.alert(), None, "no alert was sent");
    let message = tls.to_string();
    assert!(
        message.contains("RFC 5746") && message.contains("nothing was sent"),
        "{message}"
    );
    assert!(!stream.connection().wants_write());

    stream.write_all(b"still here\n").unwrap();
    let mut echo = [0; 11];
    stream.read_exact(&mut echo).unwrap();
    assert_eq!(&echo, b"still here\n");
}

// ---------------------------------------------------------------------------
// RFC 6066 §3: the names a server serves
// ---------------------------------------------------------------------------

#[test]
fn a_server_name_not_served_is_a_fatal_unrecognized_name() {
    // "abort the handshake by sending a fatal-level unrecognized_name(112)
    // alert": the choice RFC 6066 §3 recommends over a warning.
    let mut server = common::server_config();
    server.server_names = server.certificate_names();
    assert_eq!(server.server_names, ["localhost", "*.test.localhost"]);

    let pair = Pair::named(common::client_config(), server.clone(), "nothere.example");
    let error = server_rejects_client_hello(pair, untouched, AlertDescription::UnrecognizedName);
    assert_eq!(error, Error::UnrecognizedName("nothere.example".into()));
    assert!(error.to_string().contains("\"nothere.example\""), "{error}");

    // Served: a name, one matching the wildcard, and no name at all (an IP
    // address is not sent as SNI), which gets the default certificate.
    for name in ["localhost", "a.test.localhost", "127.0.0.1"] {
        let mut pair = Pair::named(common::client_config(), server.clone(), name);
        pair.complete();
    }
}

#[test]
fn the_example_server_answers_an_unserved_name_with_unrecognized_name() {
    // A peer we did not write: `openssl s_client -servername` against the
    // example server, once with the names given by --server-name, once
    // with the default taken from the certificate's subjectAltName.
    use std::process::Command;
    let timeout = std::time::Duration::from_secs(10);
    for (names, served, refused) in [
        (
            &["--server-name", "www.test.localhost"][..],
            "www.test.localhost",
            "localhost",
        ),
        (&[][..], "b.test.localhost", "nothere.example"),
    ] {
        let mut cmd = Command::new(common::example_binary("server"));
        cmd.args(["--listen", "127.0.0.1:0", "--session-cache", "memory"])
            .args([
                "--cert",
                &common::test_data_arg("ecdsa/localhost.chain.pem"),
            ])
            .args(["--key", &common::test_data_arg("ecdsa/localhost.key")])
            .args(names);
        let mut server = common::ChildGuard::spawn(&mut cmd);
        let port = server.wait_for_port("listening on", timeout);
        let s_client = |name: &str| {
            let mut cmd = common::openssl();
            cmd.args([
                "s_client",
                "-tls1_2",
                "-connect",
                &format!("127.0.0.1:{port}"),
            ])
            .args(["-servername", name, "-verify_return_error"])
            .args(["-CAfile", &common::test_data_arg("ecdsa/root.pem")]);
            common::ChildGuard::spawn_merged(&mut cmd).finish(timeout)
        };
        let out = s_client(refused);
        assert!(!out.status.success(), "{refused}: {out:#?}");
        assert!(
            out.stdout.contains("unrecognized name") && out.stdout.contains("alert number 112"),
            "{refused}: {}",
            out.stdout
        );
        let out = s_client(served);
        assert!(out.status.success(), "{served}: {out:#?}");
        assert!(
            out.stdout.contains("New, TLSv1.2"),
            "{served}: {}",
            out.stdout
        );
        let log = server.stop();
        assert!(
            log.stderr.contains(&format!("asked for \"{refused}\"")),
            "{}",
            log.stderr
        );
    }
}
