//! `Session` additions and the `SessionState` encoding.

mod common;

use common::{assert_same, session};
use record_layer::codec::DecodeError;
use session_store::{ChainCheck, ClientIdentity, Session};

/// Byte offsets in the encoding of `session(&[1; 4], _)`.
const VERSION_AT: usize = 0;
const SUITE_AT: usize = 1 + 1 + 4;
const EMS_AT: usize = SUITE_AT + 2 + 48;
/// Two certificates of 4 and 300 bytes, each with a uint24 prefix.
const CERTIFICATES_LEN: usize = 3 + 4 + 3 + 300;
const CHAIN_CHECK_AT: usize = EMS_AT + 1 + 3 + CERTIFICATES_LEN;
const CLIENT_IDENTITY_AT: usize = CHAIN_CHECK_AT + 1 + 48;

#[test]
fn encoding_round_trips_every_field() {
    let original = session(&[1; 4], 1_700_000_000).with_ticket(vec![9; 100], 3600);
    let decoded = Session::decode(&original.encode()).unwrap();
    assert_same(&original, &decoded);
    assert!(decoded.is_resumable());
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
    // The client identity: a one-byte length, the SHA-256 digest.
    let identity = &bytes[CLIENT_IDENTITY_AT..CLIENT_IDENTITY_AT + 1 + 32];
    assert_eq!(identity[0], 32);
    assert_eq!(identity[1..], [0xdd; 32]);
    // The tail: no ticket, then a zero hint.
    assert_eq!(bytes[bytes.len() - 6..], [0, 0, 0, 0, 0, 0]);
    // Exactly sized, so no unwiped copy was left behind by a reallocation.
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
    // Format 1, without peer_chain_check, and format 2, without
    // client_identity, are not read.
    for old in [1, 2] {
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
    for len in [1, 31] {
        let mut bytes = good.clone();
        bytes[CLIENT_IDENTITY_AT] = len;
        bytes.drain(CLIENT_IDENTITY_AT + 1 + usize::from(len)..CLIENT_IDENTITY_AT + 1 + 32);
        assert_eq!(
            Session::decode(&bytes).unwrap_err(),
            DecodeError::InvalidValue {
                what: "SessionState.client_identity"
            },
            "client_identity of {len} bytes"
        );
    }
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
    s.alpn = None;
    s.peer_certificates = Vec::new().into();
    s.peer_chain_check = None;
    s.client_identity = None;
    let decoded = Session::decode(&s.encode()).unwrap();
    assert_same(&s, &decoded);
    assert!(decoded.session_id.is_empty());
}

#[test]
fn with_ticket_sets_the_ticket_and_caps_the_lifetime() {
    let s = session(&[1], 5).with_ticket(vec![7; 10], 600);
    assert_eq!(s.ticket.as_deref(), Some(&[7; 10][..]));
    assert_eq!((s.ticket_lifetime_hint, s.lifetime), (600, 600));
    assert!(!s.is_expired(5 + 599) && s.is_expired(5 + 600));

    let unspecified = session(&[1], 5).with_ticket(vec![7], 0);
    assert_eq!(unspecified.lifetime, Session::DEFAULT_LIFETIME);
    let longer = session(&[1], 5).with_ticket(vec![7], u32::MAX);
    assert_eq!(
        longer.lifetime,
        Session::DEFAULT_LIFETIME,
        "never lengthened"
    );
    let empty = session(&[1], 5).with_ticket(Vec::new(), 600);
    assert_eq!(empty.ticket, None, "a zero-length ticket is no ticket");
    assert_eq!(
        (empty.ticket_lifetime_hint, empty.lifetime),
        (0, Session::DEFAULT_LIFETIME),
        "the hint of no ticket bounds nothing"
    );
    let renewed_empty = s.duplicate().with_ticket(Vec::new(), 600);
    assert_eq!(renewed_empty.ticket, None, "it replaces the old ticket");
}

#[test]
fn duplicate_copies_state_but_not_identity() {
    let original = session(&[3; 32], 9).with_ticket(vec![1, 2, 3], 60);
    let copy = original.duplicate();
    assert_same(&original, &copy);
    copy.invalidate();
    assert!(original.is_resumable(), "the copy is a separate session");
    let renewed = original.duplicate().with_ticket(vec![4], 30);
    assert_eq!(renewed.ticket, Some(vec![4]));
    assert_eq!(original.ticket, Some(vec![1, 2, 3]));
}

#[test]
fn debug_hides_the_secret_and_the_ticket() {
    let s = session(&[1], 5).with_ticket(vec![0xee; 4], 60);
    let printed = format!("{s:?}");
    assert!(printed.contains("MasterSecret(<redacted>)"));
    assert!(printed.contains("ticket: Some(\"<present>\")"));
    assert!(!printed.contains("238"), "{printed}");
}

#[test]
#[should_panic(expected = "longer than its SessionState ceiling")]
fn encoding_an_oversized_field_panics_rather_than_truncating() {
    let mut s = session(&[1], 5);
    s.alpn = Some(vec![b'a'; 256]);
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
