//! `MemoryStore`: both caches, LRU eviction, expiry, invalidation, threads.

mod common;

use std::sync::{Arc, Barrier};

use common::session;
use session_store::{
    ClientSession, ClientSessionStore, MemoryStore, ServerId, ServerSessionStore, Session,
    SessionId,
};

const NOW: u64 = 1_700_000_000;

fn id(b: u8) -> SessionId {
    SessionId::new(&[b; 32]).unwrap()
}

fn put(store: &MemoryStore, b: u8) -> Arc<Session> {
    let s = Arc::new(session(&[b; 32], NOW));
    ServerSessionStore::put(store, Arc::clone(&s)).unwrap();
    s
}

fn has(store: &MemoryStore, b: u8) -> bool {
    ServerSessionStore::get(store, &id(b)).unwrap().is_some()
}

fn server(name: &str) -> ServerId {
    ServerId::parse(name).unwrap()
}

#[test]
fn get_returns_the_session_that_was_put() {
    let store = MemoryStore::new(10);
    let s = put(&store, 1);
    let got = ServerSessionStore::get(&store, &id(1)).unwrap().unwrap();
    assert!(Arc::ptr_eq(&s, &got));
    assert!(!has(&store, 2));
    ServerSessionStore::remove(&store, &id(1)).unwrap();
    assert!(!has(&store, 1));
}

#[test]
fn least_recently_used_is_evicted_first() {
    let store = MemoryStore::new(3);
    put(&store, 1);
    put(&store, 2);
    put(&store, 3);
    assert!(has(&store, 1)); // 1 is now more recent than 2 and 3
    put(&store, 4);
    assert!(!has(&store, 2), "2 was least recently used");
    assert!(has(&store, 3));
    put(&store, 5); // evicts 1: 3 was just used, 4 and 5 are newer
    assert!(!has(&store, 1));
    assert!(has(&store, 3) && has(&store, 4) && has(&store, 5));
}

#[test]
fn replacing_an_entry_does_not_evict_another() {
    let store = MemoryStore::new(2);
    put(&store, 1);
    put(&store, 2);
    let newer = put(&store, 1);
    assert!(has(&store, 2));
    let got = ServerSessionStore::get(&store, &id(1)).unwrap().unwrap();
    assert!(Arc::ptr_eq(&newer, &got));
}

/// Expiry is the handshake's to judge, by its config's clock (it says why
/// it refuses, and removes the session): the store returns what it holds.
#[test]
fn expired_sessions_are_returned_for_the_handshake_to_judge() {
    let store = MemoryStore::new(10);
    let s = put(&store, 1);
    assert!(s.is_expired(s.created_at + Session::DEFAULT_LIFETIME));
    assert!(has(&store, 1));
}

#[test]
fn invalidated_sessions_are_not_returned_nor_stored() {
    let store = MemoryStore::new(10);
    let s = put(&store, 1);
    s.invalidate();
    assert!(!has(&store, 1));

    let dead = Arc::new(session(&[2; 32], NOW));
    dead.invalidate();
    ServerSessionStore::put(&store, dead).unwrap();
    assert!(!has(&store, 2));
}

#[test]
fn empty_session_ids_are_not_cached() {
    let store = MemoryStore::new(10);
    ServerSessionStore::put(&store, Arc::new(session(&[], NOW))).unwrap();
    assert!(ServerSessionStore::get(&store, &SessionId::EMPTY)
        .unwrap()
        .is_none());
}

#[test]
fn zero_capacity_stores_nothing() {
    let store = MemoryStore::new(0);
    put(&store, 1);
    assert!(!has(&store, 1));
}

#[test]
fn client_sessions_are_keyed_by_server_and_port() {
    let store = MemoryStore::new(10);
    let a = ClientSession::new(Arc::new(session(&[1], NOW)), None);
    let b = ClientSession::new(Arc::new(session(&[2], NOW)), None);
    ClientSessionStore::put(&store, &server("example.com:443"), a.clone()).unwrap();
    ClientSessionStore::put(&store, &server("example.com:8443"), b.clone()).unwrap();
    let got = |name| ClientSessionStore::get(&store, &server(name)).unwrap();
    // The very session put in, so an invalidation reaches it.
    assert!(Arc::ptr_eq(
        &got("EXAMPLE.com:443").unwrap().session,
        &a.session
    ));
    assert!(Arc::ptr_eq(
        &got("example.com:8443").unwrap().session,
        &b.session
    ));
    assert!(got("example.com").is_none());
    // Client and server caches are separate.
    assert!(ServerSessionStore::get(&store, &a.session.session_id)
        .unwrap()
        .is_none());

    ClientSessionStore::put(&store, &server("example.com:443"), b.clone()).unwrap();
    assert!(
        Arc::ptr_eq(&got("example.com:443").unwrap().session, &b.session),
        "replaced"
    );
    b.session.invalidate();
    assert!(got("example.com:443").is_none(), "invalidated");
    ClientSessionStore::remove(&store, &server("example.com:443")).unwrap();
    assert!(got("example.com:443").is_none());
}

/// A client session expires by its ticket's hint too (RFC 5077 §3.3);
/// the store returns it, for the handshake to judge.
#[test]
fn client_sessions_expire_by_the_ticket_hint() {
    let store = MemoryStore::new(10);
    let s = ClientSession::new(Arc::new(session(&[], NOW)), None).with_ticket(vec![1; 8], 60);
    ClientSessionStore::put(&store, &server("a:1"), s).unwrap();
    let kept = ClientSessionStore::get(&store, &server("a:1"))
        .unwrap()
        .expect("kept");
    assert!(!kept.is_expired(NOW + 59));
    assert!(kept.is_expired(NOW + 60));
}

#[test]
fn many_threads_resume_at_once() {
    const THREADS: usize = 8;
    let store = Arc::new(MemoryStore::new(100));
    let sessions: Vec<_> = (0..THREADS as u8).map(|b| put(&store, b)).collect();
    let start = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (store, start) = (Arc::clone(&store), Arc::clone(&start));
            std::thread::spawn(move || {
                start.wait();
                let mut found = Vec::new();
                for i in 0..1000 {
                    let b = ((t + i) % THREADS) as u8;
                    found.push((b, ServerSessionStore::get(&*store, &id(b)).unwrap()));
                }
                found
            })
        })
        .collect();
    for handle in handles {
        for (b, got) in handle.join().unwrap() {
            let got = got.expect("every session is found");
            assert!(Arc::ptr_eq(&got, &sessions[usize::from(b)]));
        }
    }
}
