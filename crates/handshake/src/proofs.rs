//! Proof values (RFC 5246 §7.4.3, §7.4.8, §7.4.9): a handshake reaches its
//! end only with values that only the verifying functions can make, so the
//! types show that the peer proved its key and that the Finished messages
//! matched.

use record_layer::prf::VERIFY_DATA_LEN;
use record_layer::secret::constant_time_eq;

use crate::error::Error;

/// Proof that the peer holds the key of the certificate it presented: made
/// only by a verified ServerKeyExchange or CertificateVerify signature, or
/// inherited from the full handshake that created a resumed session.
#[derive(Clone, Debug)]
pub struct PeerAuthenticated {
    how: Authentication,
}

/// How the peer was authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Authentication {
    /// Its signature in this handshake verified against its certificate.
    Signature,
    /// It is an unauthenticated client (no client certificate asked or
    /// given; or a resumption on a server that asks for none, whatever
    /// chain the session holds).
    Anonymous,
    /// The session it resumed was authenticated by an earlier full
    /// handshake (on a server, only under a config that asks for client
    /// certificates and has checked the session's chain again).
    InheritedFromSession,
}

impl PeerAuthenticated {
    /// Only `crate` code that has just verified a signature makes this.
    pub(crate) fn by_signature() -> Self {
        Self {
            how: Authentication::Signature,
        }
    }

    /// On an abbreviated handshake: trust comes from the full handshake
    /// that created the resumed session, proven now by both Finished
    /// messages under its master secret.
    pub(crate) fn inherited() -> Self {
        Self {
            how: Authentication::InheritedFromSession,
        }
    }

    /// A client the server did not ask to authenticate.
    pub(crate) fn anonymous_client() -> Self {
        Self {
            how: Authentication::Anonymous,
        }
    }

    /// How the peer was authenticated.
    pub fn how(&self) -> Authentication {
        self.how
    }
}

/// Proof that the peer's Finished.verify_data was correct (§7.4.9): the
/// handshake was not tampered with.
#[derive(Clone, Copy, Debug)]
pub struct FinishedVerified {
    // Only `check` makes one; the verify_data itself is kept in the
    // connection's `RenegotiationBinding`, for RFC 5746.
    _private: (),
}

impl FinishedVerified {
    /// Checks a received Finished in constant time (§7.4.9: "Recipients of
    /// Finished messages MUST verify that the contents are correct").
    pub(crate) fn check(
        expected: &[u8; VERIFY_DATA_LEN],
        received: &[u8; VERIFY_DATA_LEN],
    ) -> Result<Self, Error> {
        if constant_time_eq(expected, received) {
            Ok(Self { _private: () })
        } else {
            Err(Error::BadFinished)
        }
    }
}
