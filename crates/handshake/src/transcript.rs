//! The handshake transcript, `handshake_messages` (RFC 5246 §7.4.9): what
//! the Finished messages hash, what CertificateVerify signs (§7.4.8), and
//! what the extended master secret's session hash covers (RFC 7627 §3).

use record_layer::suites::{CipherSuite, PrfHash};
use ring::digest;

use crate::messages::{HandshakeMessage, HandshakePayload};

/// The messages of this handshake, as sent and received, for the Finished
/// hash (§7.4.9), the CertificateVerify signature (§7.4.8) and the extended
/// master secret's session hash (RFC 7627 §3).
///
/// The bytes are kept because CertificateVerify signs the messages
/// themselves, with the signature's own hash. Once the cipher suite is
/// chosen, and so the PRF's hash (§5), a running hash follows them too:
/// each Finished then costs one copy of a hash state, not a hash of
/// everything again.
#[derive(Clone)]
pub struct Transcript {
    bytes: Vec<u8>,
    running: Option<(PrfHash, digest::Context)>,
}

impl Default for Transcript {
    fn default() -> Self {
        Self {
            // An abbreviated handshake's messages fit, and a full one's
            // grow it two or three times, instead of five or six; and the
            // allocator keeps blocks this small in its per-thread cache.
            bytes: Vec::with_capacity(1024),
            running: None,
        }
    }
}

impl core::fmt::Debug for Transcript {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Transcript")
            .field("bytes", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

impl Transcript {
    /// Adds a message we send. A HelloRequest is never added (§7.4.1.1;
    /// a received one is kept out by the client's `handle_message`).
    pub fn add(&mut self, msg: &HandshakeMessage) {
        if !matches!(msg.payload, HandshakePayload::HelloRequest) {
            self.add_raw(&msg.raw);
        }
    }

    /// Adds a received message's bytes, header included.
    pub fn add_raw(&mut self, raw: &[u8]) {
        self.bytes.extend_from_slice(raw);
        if let Some((_, context)) = &mut self.running {
            context.update(raw);
        }
    }

    /// Starts the running hash once `suite` is chosen.
    pub fn start_hash(&mut self, suite: CipherSuite) {
        let hash = suite.prf_hash();
        let mut context = digest::Context::new(hash.digest_algorithm());
        context.update(&self.bytes);
        self.running = Some((hash, context));
    }

    /// `handshake_messages` so far.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// `Hash(handshake_messages)` with the PRF's hash.
    pub fn hash(&self, suite: CipherSuite) -> digest::Digest {
        match &self.running {
            Some((hash, context)) if *hash == suite.prf_hash() => context.clone().finish(),
            _ => digest::digest(suite.prf_hash().digest_algorithm(), &self.bytes),
        }
    }
}
