//! `Session` and `ClientSession`, and their `SessionState` and
//! `ClientSessionState` encodings.

mod common;

use std::sync::Arc;

use common::{assert_same, assert_same_client, client_session, session};
use record_layer::codec::DecodeError;
use session_store::{ChainCheck, ClientIdentity, ClientSession, Session};

/// Byte offsets in the encoding of `session(&[1; 4], _)`.
const VERSION_AT: usize = 0;
const SUITE_AT: usize = 1 + 1 + 4;
const EMS_AT: usize = SUITE_AT + 2 + 48;
/// Two certificates of 4 and 300 bytes, each with a uint24 prefix.
const CERTIFICATES_LEN: usize = 3 + 4 + 3 + 300;
const CHAIN_CHECK_AT: usize = EMS_AT + 1 + 3 + CERTIFICATES_LEN;
const SERVER_NAME_AT: usize = CHAIN_CHECK_AT + 1 + 48;
/// The length of `SessionState` for `session(&[1; 4], _)`: what follows
/// the server name "example.com" is two uint64.
const SESSION_STATE_LEN: usize = SERVER_NAME_AT + 2 + 11 + 8 + 8;

#[test]
fn encoding_round_trips_every_field() {
    let original = session(&[1; 4], 1_700_000_000);
    let decoded = Session::decode(&original.encode()).unwrap();
    assert_same(&original, &decoded);
    assert!(decoded.is_resumable());
    let client = client_session(&[1; 4], 1_700_000_000, 100);
    assert_same_client(&client, &ClientSession::decode(&client.encode()).unwrap());
}

#[test]
fn encoding_layout_follows_session_state() {
    let s = session(&[1; 4], 0x0102_0304_0506_0708);
    let bytes = s.encode();
    assert_eq!(bytes[VERSION_AT], Session::FORMAT_VERSION);
    assert_eq!(bytes[1..6], [4, 1, 1, 1, 1], "opaque session_id<0..32>");
    assert_eq!(bytes[SUITE_AT..SUITE_AT + 2], [0xc0, 0x30]);
    assert_eq!(
        bytes[SUITE_AT + 2..EMS_AT],
        s.master_secret().as_bytes()[..]
    );
    assert_eq!(bytes[EMS_AT], 1);
    let certificates_len = u32::try_from(CERTIFICATES_LEN).unwrap().to_be_bytes();
    assert_eq!(bytes[EMS_AT + 1..EMS_AT + 4], certificates_len[1..]);
    // One ChainCheck: a one-byte length, the context, two uint64.
    let check = &bytes[CHAIN_CHECK_AT..CHAIN_CHECK_AT + 1 + 48];
    assert_eq!(check[0], 48);
    assert_eq!(check[1..33], [0xcc; 32]);
    assert_eq!(check[33..41], 1u64.to_be_bytes());
    assert_eq!(check[41..], (u64::MAX - 1).to_be_bytes());
    assert_eq!(
        bytes[SERVER_NAME_AT..SERVER_NAME_AT + 13],
        *b"\0\x0bexample.com"
    );
    // The tail: created_at and lifetime, and nothing of a connection (no
    // ALPN) or of the client alone (no ticket, no identity).
    let tail = &bytes[SESSION_STATE_LEN - 16..];
    assert_eq!(tail[..8], 0x0102_0304_0506_0708u64.to_be_bytes());
    assert_eq!(tail[8..], Session::DEFAULT_LIFETIME.to_be_bytes());
    assert_eq!(bytes.len(), SESSION_STATE_LEN);
    // Exactly sized, so no unwiped copy was left behind by a reallocation.
    assert_eq!(bytes.len(), bytes.capacity());
}

#[test]
fn a_client_session_state_is_the_session_state_then_the_client_fields() {
    let c = client_session(&[1; 4], 0x0102_0304_0506_0708, 3);
    let bytes = c.encode();
    assert_eq!(bytes[..SESSION_STATE_LEN], c.session.encode()[..]);
    // The client identity: a one-byte length, the SHA-256 digest.
    let identity = &bytes[SESSION_STATE_LEN..SESSION_STATE_LEN + 1 + 32];
    assert_eq!(identity[0], 32);
    assert_eq!(identity[1..], [0xdd; 32]);
    // The ticket behind a uint16 length, then the hint.
    let tail = &bytes[SESSION_STATE_LEN + 1 + 32..];
    assert_eq!(tail, [0, 3, 0xee, 0xee, 0xee, 0, 0, 0x0e, 0x10]);
    assert_eq!(bytes.len(), bytes.capacity());
}

#[test]
fn an_invalidated_session_decodes_resumable() {
    let s = session(&[1; 4], 5);
    s.invalidate();
    assert!(Session::decode(&s.encode()).unwrap().is_resumable());
}

#[test]
fn decode_names_the_bad_field() {
    let good = session(&[1; 4], 5).encode().to_vec();
    let with = |at: usize, value: u8| {
        let mut bytes = good.clone();
        bytes[at] = value;
        Session::decode(&bytes).unwrap_err()
    };
    // Format 1, without peer_chain_check, format 2, without
    // client_identity, and format 3, with the ALPN protocol and the
    // client's fields inside the session, are not read.
    for old in [1, 2, 3] {
        assert_eq!(
            with(VERSION_AT, old),
            DecodeError::InvalidValue {
                what: "SessionState.format_version"
            }
        );
    }
    assert_eq!(
        with(SUITE_AT, 0x00),
        DecodeError::InvalidValue {
            what: "SessionState.cipher_suite"
        }
    );
    assert_eq!(
        with(EMS_AT, 2),
        DecodeError::InvalidValue {
            what: "SessionState.extended_master_secret"
        }
    );
    assert!(matches!(
        with(1, 33),
        DecodeError::LengthOutOfRange {
            what: "SessionState.session_id",
            ..
        }
    ));
    // A ChainCheck is all there or absent.
    for len in [1, 47, 49] {
        let mut bytes = good.clone();
        bytes[CHAIN_CHECK_AT] = len;
        assert!(
            Session::decode(&bytes).is_err(),
            "peer_chain_check of {len} bytes"
        );
    }
    // A client identity is a whole SHA-256 digest or absent.
    let client = client_session(&[1; 4], 5, 0).encode().to_vec();
    for len in [1, 31] {
        let mut bytes = client.clone();
        bytes[SESSION_STATE_LEN] = len;
        bytes.drain(SESSION_STATE_LEN + 1 + usize::from(len)..SESSION_STATE_LEN + 1 + 32);
        assert_eq!(
            ClientSession::decode(&bytes).unwrap_err(),
            DecodeError::InvalidValue {
                what: "ClientSessionState.client_identity"
            },
            "client_identity of {len} bytes"
        );
    }
    // A hint is a ticket's: none without one.
    let mut hint_alone = client.clone();
    let at = hint_alone.len() - 1;
    hint_alone[at] = 1;
    assert_eq!(
        ClientSession::decode(&hint_alone).unwrap_err(),
        DecodeError::InvalidValue {
            what: "ClientSessionState.ticket_lifetime_hint"
        }
    );
    // A session's state is not a client's, nor the other way round.
    assert!(ClientSession::decode(&good).is_err());
    assert!(Session::decode(&client).is_err());
    let mut trailing = good.clone();
    trailing.push(0);
    assert_eq!(
        Session::decode(&trailing).unwrap_err(),
        DecodeError::TrailingBytes {
            what: "SessionState"
        }
    );
}

#[test]
fn server_name_must_be_utf8() {
    let mut s = session(&[1; 4], 5);
    s.server_name = Some("ab".into());
    let mut bytes = s.encode().to_vec();
    let at = bytes.windows(2).position(|w| w == b"ab").unwrap();
    bytes[at] = 0xff;
    assert_eq!(
        Session::decode(&bytes).unwrap_err(),
        DecodeError::InvalidValue {
            what: "SessionState.server_name"
        }
    );
}

#[test]
fn empty_fields_mean_absent() {
    let mut s = session(&[], 5);
    s.server_name = None;
    s.peer_certificates = Vec::new().into();
    s.peer_chain_check = None;
    let decoded = Session::decode(&s.encode()).unwrap();
    assert_same(&s, &decoded);
    assert!(decoded.session_id.is_empty());
    let c = ClientSession::new(Arc::new(s), None);
    assert_same_client(&c, &ClientSession::decode(&c.encode()).unwrap());
}

#[test]
fn with_ticket_sets_the_ticket_and_its_hint_bounds_the_lifetime() {
    let shared = Arc::new(session(&[1], 5));
    let c = ClientSession::new(shared.clone(), None).with_ticket(vec![7; 10], 600);
    assert_eq!(c.ticket.as_deref(), Some(&[7; 10][..]));
    assert_eq!(c.ticket_lifetime_hint, 600);
    assert!(!c.is_expired(5 + 599) && c.is_expired(5 + 600));
    assert!(
        !shared.is_expired(5 + 600),
        "the session's own lifetime stands"
    );

    let unspecified = ClientSession::new(shared.clone(), None).with_ticket(vec![7], 0);
    assert!(!unspecified.is_expired(5 + Session::DEFAULT_LIFETIME - 1));
    let longer = ClientSession::new(shared.clone(), None).with_ticket(vec![7], u32::MAX);
    assert!(
        longer.is_expired(5 + Session::DEFAULT_LIFETIME),
        "never lengthened"
    );
    let empty = ClientSession::new(shared.clone(), None).with_ticket(Vec::new(), 600);
    assert_eq!(empty.ticket, None, "a zero-length ticket is no ticket");
    assert_eq!(empty.ticket_lifetime_hint, 0);
    assert!(
        !empty.is_expired(5 + 600),
        "the hint of no ticket bounds nothing"
    );
    let renewed_empty = c.clone().with_ticket(Vec::new(), 600);
    assert_eq!(renewed_empty.ticket, None, "it replaces the old ticket");
    assert!(Arc::ptr_eq(&renewed_empty.session, &shared), "same session");
}

#[test]
fn duplicate_copies_state_but_not_identity() {
    let original = session(&[3; 32], 9);
    let copy = original.duplicate();
    assert_same(&original, &copy);
    copy.invalidate();
    assert!(original.is_resumable(), "the copy is a separate session");
}

#[test]
fn debug_hides_the_secret_and_the_ticket() {
    let c = client_session(&[1], 5, 4);
    let printed = format!("{c:?}");
    assert!(printed.contains("MasterSecret(<redacted>)"));
    assert!(printed.contains("ticket: Some(\"<present>\")"));
    assert!(!printed.contains("238"), "{printed}");
}

#[test]
#[should_panic(expected = "longer than its SessionState ceiling")]
fn encoding_an_oversized_field_panics_rather_than_truncating() {
    let mut s = session(&[1], 5);
    s.server_name = Some("a".repeat(0x1_0000));
    let _ = s.encode();
}

#[test]
fn a_chain_check_holds_for_its_context_within_its_window() {
    let check = ChainCheck {
        context: [7; 32],
        valid_from: 100,
        valid_until: 200,
    };
    assert!(check.still_holds(&[7; 32], 100));
    assert!(check.still_holds(&[7; 32], 200), "bounds inclusive");
    assert!(!check.still_holds(&[7; 32], 99));
    assert!(!check.still_holds(&[7; 32], 201));
    let mut other = [7; 32];
    other[31] = 8;
    assert!(!check.still_holds(&other, 150));
}

#[test]
fn a_client_identity_is_a_digest_of_every_chain_it_holds() {
    let a = vec![vec![1, 2, 3], vec![4, 5]];
    let of = |chains: &[&Vec<Vec<u8>>]| ClientIdentity::of_chains(chains.iter().map(|c| &c[..]));
    let id = of(&[&a]).unwrap();
    assert_eq!(of(&[&a]), Some(id), "deterministic");
    // certificate_list's encoding, §7.4.2: the list behind a uint24, each
    // certificate behind its own.
    let encoded = [&[0, 0, 11, 0, 0, 3, 1, 2, 3, 0, 0, 2, 4, 5][..]].concat();
    let sha256 = ring::digest::digest(&ring::digest::SHA256, &encoded);
    assert_eq!(id.0[..], *sha256.as_ref());
    // The same bytes cut elsewhere, another leaf, another order, the
    // chain split in two, a second chain: others.
    let b = vec![vec![4, 5]];
    for other in [
        vec![vec![1, 2], vec![3, 4, 5]],
        vec![vec![1, 2, 3]],
        vec![vec![4, 5], vec![1, 2, 3]],
    ] {
        assert_ne!(of(&[&other]), Some(id), "{other:?}");
    }
    assert_ne!(of(&[&vec![vec![1, 2, 3]], &b]), Some(id), "split");
    assert_ne!(of(&[&a, &b]), Some(id), "one more chain");
    assert_ne!(of(&[&a, &b]), of(&[&b, &a]), "order of preference");
    assert_eq!(of(&[]), None, "no certificate");
    assert!(format!("{id:?}").starts_with("ClientIdentity("));
}
