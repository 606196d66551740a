//! Sessions (RFC 5246 §7) and where they are kept (RFC 5246 §7.4.1.2-3,
//! RFC 5077).
//!
//! A *session* is what a full handshake negotiates and what later
//! connections resume: session id, cipher suite, master secret, peer
//! identity. It outlives the connection that created it. This crate holds:
//!
//! - [`Session`] and its `SessionState` encoding, and [`SessionId`], the
//!   name a session goes by on the wire (RFC 5246 §7, §7.4.1.2): what both
//!   sides hold, the same on each;
//! - [`ClientSession`]: what only a client keeps beside the session, the
//!   ticket (RFC 5077 §3.3) and the identity it presented;
//! - the session caches a server looks a session id up in and a client
//!   keeps its sessions in: the [`ServerSessionStore`] and
//!   [`ClientSessionStore`] traits, with an in-memory [`MemoryStore`] and a
//!   directory-backed [`FileStore`] (RFC 5246 §7.4.1.3);
//! - [`TicketKeys`], which seal a session into a ticket and open it again
//!   so the server need keep no state at all (RFC 5077 §4), and the
//!   [`SharedKey`]s a server farm installs in them (RFC 5077 §5.5; the
//!   `tls12-farm` crate keeps those in Redis).
//!
//! Time comes from an injected [`Clock`], so expiry can be tested.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod client_session;
mod file;
mod memory;
pub mod private;
mod session;
mod session_id;
mod store;
mod ticket;

use std::sync::Arc;

pub use client_session::{ClientIdentity, ClientSession};
pub use file::{write_private_file, Durability, FileStore, FileStoreOptions};
pub use memory::MemoryStore;
pub use session::{CertificateChain, ChainCheck, Session};
pub use session_id::SessionId;
pub use store::{ClientSessionStore, ServerId, ServerSessionStore, StoreError};
pub use ticket::{generate_shared_key, SharedKey, TicketKeys};

/// The current time as UNIX seconds. Injected so that tests can fix it and
/// expiry and certificate checks are reproducible.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The system clock (a clock set before 1970 reads as 0).
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    })
}
