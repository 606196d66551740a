//! The session state of RFC 5246 §7.
//!
//! ```text
//! session identifier, peer certificate, compression method,
//! cipher spec, master secret, is resumable
//! ```
//! (§7, "The session state"), plus what later RFCs tie to a session: whether
//! the master secret is an extended one (RFC 7627), the server name it was
//! made for (RFC 6066 §3), and when it was made and how long it may live.
//!
//! A `Session` holds **no keys and no sequence numbers**: those belong to a
//! connection, and every connection that resumes a session derives its own
//! keys from the master secret and its own two randoms (§6.3). Connections
//! share a session as `Arc<Session>`.

use core::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

use record_layer::secret::MasterSecret;
use record_layer::suites::CipherSuite;

use crate::SessionId;

/// A negotiated TLS 1.2 session (RFC 5246 §7).
pub struct Session {
    /// `session identifier`: empty when the server will not cache it.
    pub session_id: SessionId,
    /// `cipher spec`: the suite fixes the AEAD and the PRF hash.
    pub cipher_suite: CipherSuite,
    master_secret: MasterSecret,
    /// Whether `master_secret` was made as an extended master secret
    /// (RFC 7627 §4), binding it to the handshake that created it.
    pub extended_master_secret: bool,
    /// `peer certificate`: the peer's chain, DER, leaf first (empty for an
    /// unauthenticated client).
    pub peer_certificates: Vec<Vec<u8>>,
    /// The server name (SNI) of the handshake that made it (RFC 6066 §3).
    pub server_name: Option<String>,
    /// The ALPN protocol chosen on the handshake that made it (RFC 7301).
    pub alpn: Option<Vec<u8>>,
    /// When the full handshake completed, UNIX seconds.
    pub created_at: u64,
    /// How long it may be resumed for, seconds.
    pub lifetime: u64,
    // `is resumable`: cleared by a fatal alert on any connection using it
    // (§7.2.2: "the session identifier MUST be invalidated").
    resumable: AtomicBool,
}

impl Session {
    /// Default lifetime: RFC 5246 §F.1.4 suggests "an upper limit of 24
    /// hours on session ID lifetimes".
    pub const DEFAULT_LIFETIME: u64 = 24 * 60 * 60;

    /// A new, resumable session as a full handshake makes it.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        session_id: SessionId,
        cipher_suite: CipherSuite,
        master_secret: MasterSecret,
        extended_master_secret: bool,
        peer_certificates: Vec<Vec<u8>>,
        server_name: Option<String>,
        alpn: Option<Vec<u8>>,
        created_at: u64,
    ) -> Self {
        Self {
            session_id,
            cipher_suite,
            master_secret,
            extended_master_secret,
            peer_certificates,
            server_name,
            alpn,
            created_at,
            lifetime: Self::DEFAULT_LIFETIME,
            resumable: AtomicBool::new(true),
        }
    }

    /// `master secret` (§8.1): 48 bytes shared with the peer.
    pub fn master_secret(&self) -> &MasterSecret {
        &self.master_secret
    }

    /// `is resumable` (§7): may new connections resume it?
    pub fn is_resumable(&self) -> bool {
        self.resumable.load(Ordering::Acquire)
    }

    /// Marks the session as not resumable, for every connection sharing it
    /// (§7.2.2: after a fatal alert the session "MUST be invalidated").
    pub fn invalidate(&self) {
        self.resumable.store(false, Ordering::Release);
    }

    /// True once `now` (UNIX seconds) is past the session's lifetime.
    pub fn is_expired(&self, now: u64) -> bool {
        now.saturating_sub(self.created_at) >= self.lifetime
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("session_id", &self.session_id)
            .field("cipher_suite", &self.cipher_suite)
            .field("master_secret", &self.master_secret)
            .field("extended_master_secret", &self.extended_master_secret)
            .field("peer_certificates", &self.peer_certificates.len())
            .field("server_name", &self.server_name)
            .field("created_at", &self.created_at)
            .field("resumable", &self.is_resumable())
            .finish()
    }
}
