//! An in-memory session cache (RFC 5246 §7.4.1.3) for both sides.
//!
//! Bounded: when full, the least recently used session is evicted, so a
//! flood of full handshakes cannot grow memory without limit. Expiry
//! (§F.1.4: "An upper limit of 24 hours is suggested for session ID
//! lifetimes") is the handshake's to judge, by its config's clock: it
//! refuses an expired session by name and removes it.
//!
//! Sessions are held as `Arc<Session>` (a client's inside its
//! [`ClientSession`]): the one a store returns is the one it was given, so
//! [`Session::invalidate`] on any connection is seen here at once.
//!
//! # Locking
//!
//! One `Mutex` per side guards the map. It does not serialise handshakes:
//! it is held only for a hash-map lookup or insert and an O(log n) update
//! of the recency order (a `BTreeMap` from "last used" tick to key), never
//! during crypto or I/O. A resuming handshake holds it for well under a
//! microsecond out of the milliseconds its own work takes, so many threads
//! resume at once; sharding would add code for no measurable gain.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::store::Kept;
use crate::{
    ClientSession, ClientSessionStore, ServerId, ServerSessionStore, Session, SessionId, StoreError,
};

/// A bounded, in-memory store of sessions: the server's cache by session
/// id and the client's by server, each holding up to `capacity` sessions.
///
/// A server looks a ClientHello's session id up in it (§7.4.1.2); a
/// fatal alert on any connection takes the session out (§7.2.2):
///
/// ```
/// use std::sync::Arc;
/// use record_layer::secret::MasterSecret;
/// use record_layer::suites::CipherSuite;
/// use session_store::{system_clock, MemoryStore, ServerSessionStore, Session, SessionId};
///
/// let store = MemoryStore::new(10_000);
/// let id = SessionId::new(&[7; 32]).unwrap();
/// let session = Session::new(
///     id.clone(),
///     CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
///     MasterSecret::from_bytes([1; 48]),
///     true,
///     Vec::new(),
///     None,
///     system_clock()(),
/// );
/// store.put(Arc::new(session)).unwrap();
/// let found = store.get(&id).unwrap().expect("resumable");
/// found.invalidate(); // a fatal alert on a connection using it
/// assert!(store.get(&id).unwrap().is_none());
/// ```
pub struct MemoryStore {
    server: Mutex<Lru<SessionId, Arc<Session>>>,
    client: Mutex<Lru<ServerId, ClientSession>>,
}

impl MemoryStore {
    /// A store holding up to `capacity` sessions per side, the least
    /// recently used dropped first. Whether a session is past its lifetime
    /// is for the handshake to judge, by its config's clock (it says why it
    /// refused one, and removes it).
    pub fn new(capacity: usize) -> Self {
        Self {
            server: Mutex::new(Lru::new(capacity)),
            client: Mutex::new(Lru::new(capacity)),
        }
    }
}

impl core::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("server_sessions", &lock(&self.server).entries.len())
            .field("client_sessions", &lock(&self.client).entries.len())
            .finish()
    }
}

/// Every operation leaves the map consistent before it can panic, so a
/// lock poisoned by a panic elsewhere still guards a usable map.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ServerSessionStore for MemoryStore {
    fn put(&self, session: Arc<Session>) -> Result<(), StoreError> {
        if !session.session_id.is_empty() {
            lock(&self.server).put(session.session_id, session);
        }
        Ok(())
    }

    fn get(&self, id: &SessionId) -> Result<Option<Arc<Session>>, StoreError> {
        Ok(lock(&self.server).get(id))
    }

    fn remove(&self, id: &SessionId) -> Result<(), StoreError> {
        lock(&self.server).remove(id);
        Ok(())
    }
}

impl ClientSessionStore for MemoryStore {
    fn put(&self, server: &ServerId, session: ClientSession) -> Result<(), StoreError> {
        lock(&self.client).put(server.clone(), session);
        Ok(())
    }

    fn get(&self, server: &ServerId) -> Result<Option<ClientSession>, StoreError> {
        Ok(lock(&self.client).get(server))
    }

    fn remove(&self, server: &ServerId) -> Result<(), StoreError> {
        lock(&self.client).remove(server);
        Ok(())
    }
}

/// A map with least-recently-used eviction: `entries` holds each session
/// with the tick of its last use, `order` maps ticks back to keys so that
/// the oldest is `order`'s first entry.
struct Lru<K, V> {
    capacity: usize,
    entries: HashMap<K, Entry<V>>,
    order: BTreeMap<u64, K>,
    tick: u64,
}

struct Entry<V> {
    session: V,
    last_used: u64,
}

impl<K: Clone + Eq + Hash, V: Kept> Lru<K, V> {
    fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: HashMap::new(),
            order: BTreeMap::new(),
            tick: 0,
        }
    }

    fn next_tick(&mut self) -> u64 {
        // A u64 tick incremented once per operation does not wrap.
        self.tick += 1;
        self.tick
    }

    fn put(&mut self, key: K, session: V) {
        self.remove(&key);
        if !session.is_resumable() || self.capacity == 0 {
            return;
        }
        if self.entries.len() >= self.capacity {
            if let Some((_, oldest)) = self.order.pop_first() {
                self.entries.remove(&oldest);
            }
        }
        let last_used = self.next_tick();
        self.order.insert(last_used, key.clone());
        self.entries.insert(key, Entry { session, last_used });
    }

    fn get(&mut self, key: &K) -> Option<V> {
        let session = self.entries.get(key)?.session.clone();
        if !session.is_resumable() {
            self.remove(key);
            return None;
        }
        let tick = self.next_tick();
        if let Some(entry) = self.entries.get_mut(key) {
            // The key moves to its new place in the order, uncopied.
            if let Some(key) = self.order.remove(&entry.last_used) {
                self.order.insert(tick, key);
            }
            entry.last_used = tick;
        }
        Some(session)
    }

    fn remove(&mut self, key: &K) {
        if let Some(entry) = self.entries.remove(key) {
            self.order.remove(&entry.last_used);
        }
    }
}
