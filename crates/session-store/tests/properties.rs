//! Property tests: the `SessionState` and `ClientSessionState` encodings,
//! ticket opening and `ServerId` parsing hold for arbitrary input, and
//! never panic.

mod common;

use std::sync::Arc;

use common::{assert_same, assert_same_client, TestClock};
use proptest::collection::vec;
use proptest::prelude::*;
use record_layer::secret::MasterSecret;
use record_layer::suites::CipherSuite;
use session_store::{
    ChainCheck, ClientIdentity, ClientSession, ServerId, Session, SessionId, TicketKeys,
};

fn any_session() -> impl Strategy<Value = Session> {
    (
        (
            vec(any::<u8>(), 0..=32),
            prop::sample::select(CipherSuite::ALL.to_vec()),
            any::<[u8; 32]>(),
            any::<[u8; 16]>(),
            any::<bool>(),
            vec(vec(any::<u8>(), 1..64), 0..4),
            prop::option::of(any::<([u8; 32], u64, u64)>()),
        ),
        (prop::option::of("\\PC{1,40}"), any::<u64>(), any::<u64>()),
    )
        .prop_map(
            |((id, suite, ms_head, ms_tail, ems, certs, check), (name, created_at, lifetime))| {
                let mut master_secret = [0u8; 48];
                master_secret[..32].copy_from_slice(&ms_head);
                master_secret[32..].copy_from_slice(&ms_tail);
                let mut s = Session::new(
                    SessionId::new(&id).unwrap(),
                    suite,
                    MasterSecret::from_bytes(master_secret),
                    ems,
                    certs,
                    name,
                    created_at,
                );
                s.peer_chain_check = check.map(|(context, valid_from, valid_until)| ChainCheck {
                    context,
                    valid_from,
                    valid_until,
                });
                s.lifetime = lifetime;
                s
            },
        )
}

fn any_client_session() -> impl Strategy<Value = ClientSession> {
    (
        any_session(),
        vec(any::<u8>(), 0..200),
        any::<u32>(),
        prop::option::of(any::<[u8; 32]>()),
    )
        .prop_map(|(s, ticket, hint, identity)| {
            ClientSession::new(Arc::new(s), identity.map(ClientIdentity)).with_ticket(ticket, hint)
        })
}

proptest! {
    #[test]
    fn encoding_round_trips(s in any_session()) {
        let bytes = s.encode();
        let decoded = Session::decode(&bytes).unwrap();
        assert_same(&s, &decoded);
        prop_assert_eq!(&decoded.encode()[..], &bytes[..]);
    }

    #[test]
    fn client_encoding_round_trips(c in any_client_session()) {
        let bytes = c.encode();
        let decoded = ClientSession::decode(&bytes).unwrap();
        assert_same_client(&c, &decoded);
        prop_assert_eq!(&decoded.encode()[..], &bytes[..]);
        for len in 0..bytes.len() {
            prop_assert!(ClientSession::decode(&bytes[..len]).is_err(), "prefix {}", len);
        }
    }

    #[test]
    fn no_strict_prefix_decodes(s in any_session()) {
        let bytes = s.encode();
        for len in 0..bytes.len() {
            prop_assert!(Session::decode(&bytes[..len]).is_err(), "prefix {}", len);
        }
    }

    /// Whatever decodes re-encodes to the same bytes: the encoding is
    /// canonical, so a stored session has exactly one form.
    #[test]
    fn arbitrary_bytes_never_panic_decode(bytes in vec(any::<u8>(), 0..300)) {
        if let Ok(s) = Session::decode(&bytes) {
            prop_assert_eq!(&s.encode()[..], &bytes[..]);
        }
        if let Ok(c) = ClientSession::decode(&bytes) {
            prop_assert_eq!(&c.encode()[..], &bytes[..]);
        }
    }

    /// Arbitrary bytes after a valid prefix (this version, a short id, a
    /// known suite) reach the later fields' checks.
    #[test]
    fn arbitrary_tails_never_panic_decode(tail in vec(any::<u8>(), 0..200)) {
        let mut bytes = vec![Session::FORMAT_VERSION, 1, 0xaa, 0xc0, 0x2f];
        bytes.extend_from_slice(&tail);
        if let Ok(s) = Session::decode(&bytes) {
            prop_assert_eq!(&s.encode()[..], &bytes[..]);
        }
    }

    #[test]
    fn arbitrary_tickets_never_open(ticket in vec(any::<u8>(), 0..300)) {
        let keys = TicketKeys::new(TestClock::at(0).clock()).unwrap();
        prop_assert!(keys.open(&ticket).is_none());
    }

    #[test]
    fn altered_tickets_never_open(
        s in any_session(),
        at in any::<prop::sample::Index>(),
        flip in 1u8..,
    ) {
        prop_assume!(!s.is_expired(0));
        let keys = TicketKeys::new(TestClock::at(0).clock()).unwrap();
        let mut ticket = keys.seal(&s).unwrap();
        prop_assert!(keys.open(&ticket).is_some());
        let i = at.index(ticket.len());
        ticket[i] ^= flip;
        prop_assert!(keys.open(&ticket).is_none());
    }

    /// `parse` never panics, and what it reads prints back to itself.
    #[test]
    fn server_id_display_parses_back(
        text in prop_oneof!["\\PC{0,40}", "[a-fA-F0-9:.\\[\\]]{0,16}"],
    ) {
        if let Some(id) = ServerId::parse(&text) {
            prop_assert_eq!(ServerId::parse(&id.to_string()), Some(id));
        }
    }
}
