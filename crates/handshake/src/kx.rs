//! Ephemeral elliptic-curve Diffie-Hellman (RFC 8422 §5.4, §5.7, §5.10).
//!
//! Every suite we offer is ECDHE: the server sends a fresh public key in
//! ServerKeyExchange, the client answers with its own in ClientKeyExchange,
//! and both compute the shared secret that becomes the `pre_master_secret`
//! (RFC 8422 §5.10: "the x-coordinate of the shared point"; for X25519 the
//! 32-byte output of the function).
//!
//! ```text
//! enum {
//!     deprecated(1..22),
//!     secp256r1 (23), secp384r1 (24), secp521r1 (25),
//!     x25519(29), x448(30),
//!     reserved (0xFE00..0xFEFF),
//!     deprecated(0xFF01..0xFF02),
//!     (0xFFFF)
//! } NamedCurve;
//! ```

use ring::agreement;
use ring::rand::SystemRandom;
use zeroize::Zeroizing;

record_layer::tls_enum! {
    /// `NamedCurve` (RFC 8422 §5.1.1), called `NamedGroup` since RFC 7919.
    pub enum NamedGroup(u16), "NamedGroup" {
        /// `secp256r1(23)`, NIST P-256.
        Secp256r1 = 23, "secp256r1";
        /// `secp384r1(24)`, NIST P-384.
        Secp384r1 = 24, "secp384r1";
        /// `x25519(29)`, RFC 7748.
        X25519 = 29, "x25519";
    }
}

impl NamedGroup {
    /// The groups we implement, in our default order of preference.
    pub const SUPPORTED: [NamedGroup; 3] = [Self::X25519, Self::Secp256r1, Self::Secp384r1];

    /// The group with this name (`x25519`, `secp256r1`/`P-256`, `secp384r1`/`P-384`).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::SUPPORTED.into_iter().find(|g| {
            g.rfc_name().eq_ignore_ascii_case(name)
                || matches!(
                    (g, name.to_ascii_uppercase().as_str()),
                    (Self::Secp256r1, "P-256") | (Self::Secp384r1, "P-384")
                )
        })
    }

    fn algorithm(self) -> Option<&'static agreement::Algorithm> {
        match self {
            Self::Secp256r1 => Some(&agreement::ECDH_P256),
            Self::Secp384r1 => Some(&agreement::ECDH_P384),
            Self::X25519 => Some(&agreement::X25519),
            Self::Unknown(_) => None,
        }
    }
}

/// Why a key exchange could not complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyExchangeError {
    /// The group is not one we implement.
    UnsupportedGroup(NamedGroup),
    /// The peer's public value is not a valid point (RFC 8422 §5.10: the
    /// receiver MUST check it), or X25519 gave the all-zero output.
    BadPeerPublicKey,
    /// The system random source failed.
    Random,
}

/// Our half of one ECDHE exchange: a private key used exactly once.
///
/// ring's `EphemeralPrivateKey` can only be consumed by one agreement, so a
/// key can never be reused across handshakes.
pub struct EphemeralKey {
    group: NamedGroup,
    private: agreement::EphemeralPrivateKey,
    public: Vec<u8>,
}

impl core::fmt::Debug for EphemeralKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EphemeralKey")
            .field("group", &self.group)
            .field("public", &self.public.len())
            .finish_non_exhaustive()
    }
}

impl EphemeralKey {
    /// A fresh key pair for `group`.
    pub fn generate(group: NamedGroup, rng: &SystemRandom) -> Result<Self, KeyExchangeError> {
        let alg = group
            .algorithm()
            .ok_or(KeyExchangeError::UnsupportedGroup(group))?;
        let private = agreement::EphemeralPrivateKey::generate(alg, rng)
            .map_err(|_| KeyExchangeError::Random)?;
        let public = private
            .compute_public_key()
            .map_err(|_| KeyExchangeError::Random)?
            .as_ref()
            .to_vec();
        Ok(Self {
            group,
            private,
            public,
        })
    }

    /// The group this key belongs to.
    pub fn group(&self) -> NamedGroup {
        self.group
    }

    /// The public value as sent on the wire (`ECPoint.point`, uncompressed
    /// for the NIST curves, RFC 8422 §5.4).
    pub fn public_key(&self) -> &[u8] {
        &self.public
    }

    /// Completes the exchange with the peer's public value, giving the
    /// `pre_master_secret` (RFC 8422 §5.10).
    pub fn agree(self, peer_public: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyExchangeError> {
        let alg = self
            .group
            .algorithm()
            .ok_or(KeyExchangeError::UnsupportedGroup(self.group))?;
        let peer = agreement::UnparsedPublicKey::new(alg, peer_public);
        // ring validates the point (and refuses X25519's all-zero output).
        agreement::agree_ephemeral(self.private, &peer, |shared| {
            Zeroizing::new(shared.to_vec())
        })
        .map_err(|_| KeyExchangeError::BadPeerPublicKey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_agree_for_every_group() {
        let rng = SystemRandom::new();
        for group in NamedGroup::SUPPORTED {
            let a = EphemeralKey::generate(group, &rng).unwrap();
            let b = EphemeralKey::generate(group, &rng).unwrap();
            let (a_pub, b_pub) = (a.public_key().to_vec(), b.public_key().to_vec());
            let s1 = a.agree(&b_pub).unwrap();
            let s2 = b.agree(&a_pub).unwrap();
            assert_eq!(*s1, *s2, "{group:?}");
        }
    }

    #[test]
    fn invalid_points_are_refused() {
        let rng = SystemRandom::new();
        for group in NamedGroup::SUPPORTED {
            let a = EphemeralKey::generate(group, &rng).unwrap();
            let bad = vec![0u8; a.public_key().len()];
            assert_eq!(
                a.agree(&bad).unwrap_err(),
                KeyExchangeError::BadPeerPublicKey
            );
        }
    }

    #[test]
    fn names() {
        assert_eq!(NamedGroup::from_name("P-256"), Some(NamedGroup::Secp256r1));
        assert_eq!(NamedGroup::from_name("x25519"), Some(NamedGroup::X25519));
        assert_eq!(NamedGroup::from_name("x448"), None);
    }
}
