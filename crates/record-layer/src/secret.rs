//! Secrets: the master secret (RFC 5246 §8.1) and the key material expanded
//! from it (§6.3).
//!
//! ```text
//! struct {
//!     ...
//!     opaque                  master_secret[48];
//!     ...
//! } SecurityParameters;        (RFC 5246 §A.6)
//! ```
//!
//! Every type here zeroizes its bytes when dropped, prints `<redacted>`
//! instead of its bytes, and compares in constant time, so a secret does not
//! outlive its use, leak into a log, or leak through the time a comparison
//! takes. The bytes themselves are reachable only through an accessor whose
//! name says what it is for.
//!
//! What this cannot cover: `ring` keeps its own copies of keys (the HMAC key
//! inside the PRF, the expanded AES/ChaCha key inside a [`CipherState`]) and
//! does not zeroize them.
//!
//! [`CipherState`]: crate::aead::CipherState

use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

/// Compares two byte strings in constant time: the time taken depends on
/// their lengths (which are public: they follow from the cipher suite), not
/// on where they first differ. Use it for Finished `verify_data` and
/// anything else derived from a secret.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    // Fold every difference into one byte, with no early exit; black_box
    // keeps the optimiser from turning the fold back into a search.
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    core::hint::black_box(diff) == 0
}

/// `N` bytes of key material (§6.3): zeroized on drop, redacted in `Debug`,
/// compared in constant time.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct SecretBytes<const N: usize>([u8; N]);

impl<const N: usize> SecretBytes<N> {
    /// Takes ownership of `bytes`.
    pub fn new(bytes: [u8; N]) -> Self {
        Self(bytes)
    }

    /// `N` zero bytes, for a key derivation to fill in.
    pub(crate) fn zeroed() -> Self {
        Self([0; N])
    }

    /// The secret bytes. Every use is a place the secret goes: keep it to
    /// key derivation, key logging (SSLKEYLOGFILE), session storage and
    /// tests.
    pub fn as_bytes(&self) -> &[u8; N] {
        &self.0
    }

    /// The secret bytes, to be written by a key derivation.
    pub(crate) fn as_mut_bytes(&mut self) -> &mut [u8; N] {
        &mut self.0
    }
}

impl<const N: usize> fmt::Debug for SecretBytes<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<const N: usize> PartialEq for SecretBytes<N> {
    fn eq(&self, other: &Self) -> bool {
        constant_time_eq(&self.0, &other.0)
    }
}

impl<const N: usize> Eq for SecretBytes<N> {}

/// `SecurityParameters.master_secret` (RFC 5246 §8.1): "The master secret
/// is always exactly 48 bytes in length."
///
/// It belongs to the *session* (§7: "master secret: 48-byte secret shared
/// between the client and server"): a resumed connection reuses it, and
/// derives fresh keys from it with its own randoms (§6.3).
#[derive(PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct MasterSecret(SecretBytes<48>);

impl MasterSecret {
    /// 48 bytes (§8.1).
    pub const LEN: usize = 48;

    /// A master secret from its bytes: one restored from session storage,
    /// or a test vector's. Handshakes make theirs with
    /// [`prf::master_secret`](crate::prf::master_secret) or
    /// [`prf::extended_master_secret`](crate::prf::extended_master_secret).
    pub fn from_bytes(bytes: [u8; Self::LEN]) -> Self {
        Self(SecretBytes::new(bytes))
    }

    /// The 48 secret bytes: for the key log (SSLKEYLOGFILE's `CLIENT_RANDOM`
    /// lines), for session storage, and for tests. Nothing else needs them.
    pub fn as_bytes(&self) -> &[u8; Self::LEN] {
        self.0.as_bytes()
    }

    pub(crate) fn as_mut_bytes(&mut self) -> &mut [u8; Self::LEN] {
        self.0.as_mut_bytes()
    }

    pub(crate) fn zeroed() -> Self {
        Self(SecretBytes::zeroed())
    }
}

impl fmt::Debug for MasterSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterSecret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_the_bytes() {
        let secret = MasterSecret::from_bytes([0xab; 48]);
        let printed = format!("{secret:?} {:?}", SecretBytes::new([0xab_u8; 12]));
        assert_eq!(printed, "MasterSecret(<redacted>) <redacted>");
        assert!(!printed.contains("ab") && !printed.contains("171"));
    }

    #[test]
    fn equality_compares_every_byte() {
        let a = MasterSecret::from_bytes([7; 48]);
        let mut last_differs = [7; 48];
        last_differs[47] = 8;
        assert_eq!(a, MasterSecret::from_bytes([7; 48]));
        assert_ne!(a, MasterSecret::from_bytes(last_differs));
        assert!(constant_time_eq(b"", b""));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn zeroize_clears_the_bytes() {
        let mut key = SecretBytes::new([0x5a_u8; 32]);
        key.zeroize();
        assert_eq!(key.as_bytes(), &[0; 32]);
    }
}
