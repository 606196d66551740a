//! Helpers shared by the integration tests: a session to store, a clock
//! the test moves, and a private temporary directory.
// Each test file uses a different part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use record_layer::secret::MasterSecret;
use record_layer::suites::CipherSuite;
use ring::rand::{SecureRandom, SystemRandom};
use session_store::{ChainCheck, ClientIdentity, ClientSession, Clock, Session, SessionId};

/// A session with every field set, made at `created_at`.
pub fn session(id: &[u8], created_at: u64) -> Session {
    let mut session = Session::new(
        SessionId::new(id).unwrap(),
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        MasterSecret::from_bytes(std::array::from_fn(|i| i as u8 ^ id.len() as u8)),
        true,
        vec![vec![0x30, 0x82, 1, 2], vec![0x30; 300]],
        Some("example.com".into()),
        created_at,
    );
    session.peer_chain_check = Some(ChainCheck {
        context: [0xcc; 32],
        valid_from: 1,
        valid_until: u64::MAX - 1,
    });
    session
}

/// [`session`] as a client keeps it: with an identity and a ticket of
/// `ticket_len` bytes (none for 0) whose hint is an hour.
pub fn client_session(id: &[u8], created_at: u64, ticket_len: usize) -> ClientSession {
    let identity = Some(ClientIdentity([0xdd; 32]));
    ClientSession::new(Arc::new(session(id, created_at)), identity)
        .with_ticket(vec![0xee; ticket_len], 3600)
}

/// Asserts that two sessions hold the same state (the master secret
/// included; `MasterSecret` compares in constant time).
pub fn assert_same(a: &Session, b: &Session) {
    assert_eq!(a.session_id, b.session_id);
    assert_eq!(a.cipher_suite, b.cipher_suite);
    assert_eq!(a.master_secret(), b.master_secret());
    assert_eq!(a.extended_master_secret, b.extended_master_secret);
    assert_eq!(a.peer_certificates, b.peer_certificates);
    assert_eq!(a.peer_chain_check, b.peer_chain_check);
    assert_eq!(a.server_name, b.server_name);
    assert_eq!(a.created_at, b.created_at);
    assert_eq!(a.lifetime, b.lifetime);
}

/// Asserts that two client sessions hold the same state.
pub fn assert_same_client(a: &ClientSession, b: &ClientSession) {
    assert_same(&a.session, &b.session);
    assert_eq!(a.ticket, b.ticket);
    assert_eq!(a.ticket_lifetime_hint, b.ticket_lifetime_hint);
    assert_eq!(a.client_identity, b.client_identity);
}

/// A clock that reads whatever the test set last.
#[derive(Clone)]
pub struct TestClock(Arc<AtomicU64>);

impl TestClock {
    pub fn at(now: u64) -> Self {
        Self(Arc::new(AtomicU64::new(now)))
    }

    pub fn clock(&self) -> Clock {
        let now = Arc::clone(&self.0);
        Arc::new(move || now.load(Ordering::SeqCst))
    }

    pub fn set(&self, now: u64) {
        self.0.store(now, Ordering::SeqCst);
    }
}

/// A fresh directory under the system temporary directory, removed (with
/// everything in it) when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let mut suffix = [0u8; 8];
        SystemRandom::new().fill(&mut suffix).unwrap();
        let path = std::env::temp_dir().join(format!("session-store-test-{}", hex::encode(suffix)));
        std::fs::create_dir(&path).unwrap();
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

/// The names of the files in `dir`, sorted.
pub fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
