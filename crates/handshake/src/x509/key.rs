//! The public keys a certificate may hold (RFC 5280 §4.1.2.7
//! subjectPublicKeyInfo; RFC 3279 §2.3.1 RSA, RFC 5480 §2.1.1 ECDSA).

use record_layer::suites::SignatureKind;
use x509_parser::oid_registry as oids;
use x509_parser::public_key::PublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

/// The kind of public key a certificate holds: what decides which cipher
/// suites it can serve (ECDHE_RSA or ECDHE_ECDSA, RFC 8422 §2) and which
/// signature schemes can verify with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PublicKeyKind {
    /// rsaEncryption (RFC 3279 §2.3.1), with its modulus size.
    Rsa {
        /// Modulus length in bits.
        bits: usize,
    },
    /// id-ecPublicKey on secp256r1 (RFC 5480 §2.1.1.1).
    EcdsaP256,
    /// id-ecPublicKey on secp384r1 (RFC 5480 §2.1.1.1).
    EcdsaP384,
}

impl PublicKeyKind {
    /// The signature algorithm family this key signs with.
    pub fn signature_kind(self) -> SignatureKind {
        match self {
            Self::Rsa { .. } => SignatureKind::Rsa,
            Self::EcdsaP256 | Self::EcdsaP384 => SignatureKind::Ecdsa,
        }
    }

    /// The kind of `spki`, or `None` when we do not support it. RSA keys
    /// outside 2048..=8192 bits are unsupported: that is ring's range, and
    /// shorter keys are too weak (NIST SP 800-131A).
    pub(crate) fn of(spki: &SubjectPublicKeyInfo<'_>) -> Option<Self> {
        let algorithm = &spki.algorithm.algorithm;
        if *algorithm == oids::OID_PKCS1_RSAENCRYPTION {
            let PublicKey::RSA(rsa) = spki.parsed().ok()? else {
                return None;
            };
            let bits = integer_bits(rsa.modulus);
            (2048..=8192).contains(&bits).then_some(Self::Rsa { bits })
        } else if *algorithm == oids::OID_KEY_TYPE_EC_PUBLIC_KEY {
            let curve = spki.algorithm.parameters.as_ref()?.as_oid().ok()?;
            if curve == oids::OID_EC_P256 {
                Some(Self::EcdsaP256)
            } else if curve == oids::OID_NIST_EC_P384 {
                Some(Self::EcdsaP384)
            } else {
                None
            }
        } else {
            None
        }
    }
}

/// Bit length of a big-endian unsigned integer.
fn integer_bits(be: &[u8]) -> usize {
    let Some(start) = be.iter().position(|b| *b != 0) else {
        return 0;
    };
    let significant = &be[start..];
    significant.len() * 8 - significant[0].leading_zeros() as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_bits_ignores_leading_zeros() {
        assert_eq!(integer_bits(&[]), 0);
        assert_eq!(integer_bits(&[0, 0]), 0);
        assert_eq!(integer_bits(&[1]), 1);
        assert_eq!(integer_bits(&[0, 0x80, 0]), 16);
        assert_eq!(integer_bits(&[0x7f, 0xff]), 15);
    }
}
