//! The cipher suites this implementation supports (RFC 5246 §A.5, RFC 5289
//! §3.2 for ECDHE with AES-GCM, RFC 7905 §2 for ChaCha20-Poly1305).
//!
//! ```text
//! uint8 CipherSuite[2];    /* Cryptographic suite selector */
//! ```
//!
//! A suite name reads `TLS_<key exchange>_WITH_<bulk cipher>_<PRF hash>`.
//! Every suite here uses ephemeral ECDH (RFC 8422) for the key exchange, an
//! AEAD for record protection (§6.2.3.3), and the TLS PRF (§5) with the hash
//! in its name. There is no CBC, no static RSA key exchange and no NULL
//! cipher: see DESIGN.md's security defaults.

use ring::{digest, hmac};

use crate::aead::BulkAlgorithm;

/// A supported `CipherSuite` (RFC 5246 §7.4.1.2), named as its RFC names it.
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CipherSuite {
    /// `{0xC0,0x2B}`, RFC 5289 §3.2.
    TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    /// `{0xC0,0x2C}`, RFC 5289 §3.2.
    TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    /// `{0xCC,0xA9}`, RFC 7905 §2.
    TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    /// `{0xC0,0x2F}`, RFC 5289 §3.2.
    TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    /// `{0xC0,0x30}`, RFC 5289 §3.2.
    TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    /// `{0xCC,0xA8}`, RFC 7905 §2.
    TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

/// The hash of the TLS PRF (RFC 5246 §5) and of the Finished transcript
/// (§7.4.9: "the Hash MUST be the Hash used as the basis for the PRF").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrfHash {
    /// SHA-256: the TLS 1.2 default (§5), and every `_SHA256` suite.
    Sha256,
    /// SHA-384: the `_SHA384` suites (RFC 5289 §3.2: "For cipher suites
    /// ending with _SHA384, the PRF is the TLS PRF \[RFC5246\] with SHA-384 as
    /// the hash function").
    Sha384,
}

/// What the server signs its ServerKeyExchange with, and so what kind of
/// public key its certificate must carry (RFC 8422 §5.3: "ECDHE_ECDSA:
/// Certificate MUST contain an ECDSA- or EdDSA-capable public key";
/// "ECDHE_RSA: Certificate MUST contain an RSA public key").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignatureKind {
    /// `ECDHE_ECDSA` suites.
    Ecdsa,
    /// `ECDHE_RSA` suites.
    Rsa,
}

use CipherSuite::*;

impl CipherSuite {
    /// Every supported suite: ECDSA before RSA, and for each AES-128-GCM,
    /// AES-256-GCM, then ChaCha20-Poly1305.
    pub const ALL: [CipherSuite; 6] = [
        TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ];

    /// The two wire bytes as a `u16`, e.g. `0xc02b`.
    pub fn value(self) -> u16 {
        match self {
            TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => 0xc02b,
            TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => 0xc02c,
            TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 => 0xcca9,
            TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => 0xc02f,
            TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => 0xc030,
            TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => 0xcca8,
        }
    }

    /// The suite with this wire value, or `None` for one we do not support
    /// (which a ClientHello may well offer: it is skipped, not an error).
    pub fn from_value(value: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.value() == value)
    }

    /// The AEAD that protects records (§6.2.3.3).
    pub fn bulk(self) -> BulkAlgorithm {
        match self {
            TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 | TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => {
                BulkAlgorithm::Aes128Gcm
            }
            TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 | TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => {
                BulkAlgorithm::Aes256Gcm
            }
            TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
            | TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => BulkAlgorithm::ChaCha20Poly1305,
        }
    }

    /// The PRF hash (RFC 5289 §3.2 for the GCM suites; RFC 7905 §2: "The
    /// pseudorandom function (PRF) for all the cipher suites defined in this
    /// document is the TLS PRF with SHA-256").
    pub fn prf_hash(self) -> PrfHash {
        match self {
            TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 | TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => {
                PrfHash::Sha384
            }
            _ => PrfHash::Sha256,
        }
    }

    /// What the server's certificate key and ServerKeyExchange signature must
    /// be (RFC 8422 §5.3).
    pub fn signature_kind(self) -> SignatureKind {
        match self {
            TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
            | TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
            | TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 => SignatureKind::Ecdsa,
            _ => SignatureKind::Rsa,
        }
    }

    /// The RFC's name, e.g. `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`.
    pub fn rfc_name(self) -> &'static str {
        match self {
            TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 => {
                "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
            }
            TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => {
                "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"
            }
        }
    }

    /// OpenSSL's name (as `openssl ciphers` and `s_client -cipher` take it),
    /// e.g. `ECDHE-RSA-AES128-GCM-SHA256`: handy for command lines and
    /// interop tests.
    pub fn openssl_name(self) -> &'static str {
        match self {
            TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => "ECDHE-ECDSA-AES128-GCM-SHA256",
            TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => "ECDHE-ECDSA-AES256-GCM-SHA384",
            TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 => "ECDHE-ECDSA-CHACHA20-POLY1305",
            TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => "ECDHE-RSA-AES128-GCM-SHA256",
            TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => "ECDHE-RSA-AES256-GCM-SHA384",
            TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => "ECDHE-RSA-CHACHA20-POLY1305",
        }
    }
}

impl PrfHash {
    /// The HMAC that P_hash is built on (§5).
    pub fn hmac_algorithm(self) -> hmac::Algorithm {
        match self {
            Self::Sha256 => hmac::HMAC_SHA256,
            Self::Sha384 => hmac::HMAC_SHA384,
        }
    }

    /// The hash for the handshake transcript: Finished (§7.4.9) and RFC 7627's
    /// session_hash (§3: "the 'Hash' function is the one defined in Section
    /// 7.4.9 of \[RFC5246\] for the Finished message computation").
    pub fn digest_algorithm(self) -> &'static digest::Algorithm {
        match self {
            Self::Sha256 => &digest::SHA256,
            Self::Sha384 => &digest::SHA384,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_values_round_trip_and_unknown_ones_are_none() {
        for suite in CipherSuite::ALL {
            assert_eq!(CipherSuite::from_value(suite.value()), Some(suite));
        }
        // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: a real suite we refuse.
        assert_eq!(CipherSuite::from_value(0xc013), None);
        assert_eq!(CipherSuite::from_value(0x0000), None);
    }

    #[test]
    fn names_follow_the_enum_and_the_rfc_name_says_every_property() {
        for suite in CipherSuite::ALL {
            let name = suite.rfc_name();
            assert_eq!(format!("{suite:?}"), name);
            let sig = match suite.signature_kind() {
                SignatureKind::Ecdsa => "_ECDSA_",
                SignatureKind::Rsa => "_RSA_",
            };
            let bulk = match suite.bulk() {
                BulkAlgorithm::Aes128Gcm => "_AES_128_GCM_",
                BulkAlgorithm::Aes256Gcm => "_AES_256_GCM_",
                BulkAlgorithm::ChaCha20Poly1305 => "_CHACHA20_POLY1305_",
            };
            let hash = match suite.prf_hash() {
                PrfHash::Sha256 => "_SHA256",
                PrfHash::Sha384 => "_SHA384",
            };
            assert!(name.contains(sig) && name.contains(bulk), "{name}");
            assert!(name.ends_with(hash), "{name}");
        }
    }

    #[test]
    fn openssl_names_are_distinct() {
        let mut names: Vec<_> = CipherSuite::ALL.iter().map(|s| s.openssl_name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CipherSuite::ALL.len());
        assert_eq!(
            CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256.openssl_name(),
            "ECDHE-RSA-CHACHA20-POLY1305"
        );
    }
}
