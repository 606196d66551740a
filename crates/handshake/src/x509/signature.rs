//! Signatures on certificates (RFC 5280 §4.1.1.2 signatureAlgorithm,
//! §6.1.3(a)(1)): which algorithms we verify, with ring.
//!
//! Accepted, as rustls-webpki accepts them:
//! - sha256/384/512WithRSAEncryption (RFC 4055 §5), parameters NULL or
//!   absent ("Implementations MUST accept the parameters being absent as
//!   well as present");
//! - RSASSA-PSS (RFC 4055 §3.1) with SHA-256, SHA-384 or SHA-512, MGF1 with
//!   the same hash, a salt as long as the hash and the default trailer
//!   field: exactly the three parameter encodings of [`PSS_PARAMETERS`],
//!   and only from an rsaEncryption issuer key;
//! - ecdsa-with-SHA256 and ecdsa-with-SHA384 (RFC 5758 §3.2, parameters
//!   absent) from a P-256 or P-384 key, any pairing.
//!
//! Refused: SHA-1 and MD5 in any form ([`WEAK`]), with their own error;
//! Ed25519 (RFC 8410) and everything else as unsupported. Ed25519 is a
//! choice: no publicly trusted CA issues it (the CA/Browser Forum Baseline
//! Requirements §6.1.5 allow RSA and ECDSA only), and our TLS 1.2 suites
//! could not use an Ed25519 leaf anyway, so accepting it on intermediates
//! alone would be code no real chain exercises.

use ring::signature;
use x509_parser::certificate::X509Certificate;
use x509_parser::oid_registry::{self as oids, Oid};
use x509_parser::x509::{AlgorithmIdentifier, SubjectPublicKeyInfo};

use super::error::CertificateError;
use super::key::PublicKeyKind;

/// SHA-1 and MD5 signature OIDs, dotted, with their names: refused with
/// [`CertificateError::WeakSignatureAlgorithm`].
const WEAK: [(&str, &str); 5] = [
    ("1.2.840.113549.1.1.5", "sha1WithRSAEncryption"),
    ("1.2.840.113549.1.1.4", "md5WithRSAEncryption"),
    ("1.2.840.113549.1.1.2", "md2WithRSAEncryption"),
    ("1.2.840.10045.4.1", "ecdsa-with-SHA1"),
    ("1.2.840.10040.4.3", "dsa-with-sha1"),
];

/// The contents of the `RSASSA-PSS-params` SEQUENCE (RFC 4055 §3.1) we
/// accept, per hash: hashAlgorithm [0] and maskGenAlgorithm [1] (MGF1 with
/// the same hash, hash parameters NULL), saltLength [2] the hash length,
/// trailerField absent (its default, 1). These are the encodings OpenSSL
/// and the CAs that use PSS write.
const PSS_PARAMETERS: [(&[u8], &dyn signature::VerificationAlgorithm); 3] = [
    (
        &[
            0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x01, 0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
            0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
            0x04, 0x02, 0x01, 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x20,
        ],
        &signature::RSA_PSS_2048_8192_SHA256,
    ),
    (
        &[
            0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x02, 0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
            0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
            0x04, 0x02, 0x02, 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x30,
        ],
        &signature::RSA_PSS_2048_8192_SHA384,
    ),
    (
        &[
            0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x03, 0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
            0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
            0x04, 0x02, 0x03, 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x40,
        ],
        &signature::RSA_PSS_2048_8192_SHA512,
    ),
];

/// id-RSASSA-PSS (RFC 4055 §3.1), dotted.
const RSASSA_PSS: &str = "1.2.840.113549.1.1.10";
/// id-Ed25519 (RFC 8410 §3), dotted.
const ED25519: &str = "1.3.101.112";

/// Verifies `cert`'s signature with the issuer's key `issuer_key`.
pub(super) fn check_signature(
    cert: &X509Certificate<'_>,
    issuer_key: &SubjectPublicKeyInfo<'_>,
) -> Result<(), CertificateError> {
    let algorithm = certificate_signature_algorithm(cert, issuer_key)?;
    signature::UnparsedPublicKey::new(algorithm, &issuer_key.subject_public_key.data)
        .verify(cert.tbs_certificate.as_ref(), &cert.signature_value.data)
        .map_err(|_| CertificateError::BadSignature {
            subject: cert.subject().to_string(),
        })
}

/// The ring algorithm for `cert`'s signatureAlgorithm and the issuer's key.
/// An ECDSA OID names only the hash; the curve comes from the issuer's key.
fn certificate_signature_algorithm(
    cert: &X509Certificate<'_>,
    issuer_key: &SubjectPublicKeyInfo<'_>,
) -> Result<&'static dyn signature::VerificationAlgorithm, CertificateError> {
    let id = &cert.signature_algorithm;
    let dotted = id.algorithm.to_id_string();
    if let Some((_, name)) = WEAK.iter().find(|(oid, _)| *oid == dotted) {
        return Err(CertificateError::WeakSignatureAlgorithm {
            subject: cert.subject().to_string(),
            algorithm: name,
        });
    }
    let unsupported = |what: &str| CertificateError::UnsupportedSignatureAlgorithm {
        subject: cert.subject().to_string(),
        algorithm: format!("{what} ({dotted})"),
    };
    if dotted == ED25519 {
        return Err(unsupported("Ed25519"));
    }
    let Some(issuer) = PublicKeyKind::of(issuer_key) else {
        return Err(unsupported(
            "an algorithm whose issuer key we do not support",
        ));
    };
    if dotted == RSASSA_PSS {
        return pss_algorithm(id, issuer)
            .ok_or_else(|| unsupported("RSASSA-PSS with parameters other than SHA-256/384/512, MGF1 with the same hash and salt length"));
    }
    pkcs1_or_ecdsa_algorithm(&id.algorithm, issuer)
        .filter(|_| parameters_fit(id))
        .ok_or_else(|| unsupported("this algorithm"))
}

/// RSA PKCS#1 v1.5 (RFC 4055 §5) and ECDSA (RFC 5758 §3.2) by OID.
fn pkcs1_or_ecdsa_algorithm(
    oid: &Oid<'_>,
    issuer: PublicKeyKind,
) -> Option<&'static dyn signature::VerificationAlgorithm> {
    use PublicKeyKind::{EcdsaP256, EcdsaP384, Rsa};
    let ecdsa_sha256 = *oid == oids::OID_SIG_ECDSA_WITH_SHA256;
    let ecdsa_sha384 = *oid == oids::OID_SIG_ECDSA_WITH_SHA384;
    Some(match issuer {
        Rsa { .. } if *oid == oids::OID_PKCS1_SHA256WITHRSA => {
            &signature::RSA_PKCS1_2048_8192_SHA256
        }
        Rsa { .. } if *oid == oids::OID_PKCS1_SHA384WITHRSA => {
            &signature::RSA_PKCS1_2048_8192_SHA384
        }
        Rsa { .. } if *oid == oids::OID_PKCS1_SHA512WITHRSA => {
            &signature::RSA_PKCS1_2048_8192_SHA512
        }
        EcdsaP256 if ecdsa_sha256 => &signature::ECDSA_P256_SHA256_ASN1,
        EcdsaP256 if ecdsa_sha384 => &signature::ECDSA_P256_SHA384_ASN1,
        EcdsaP384 if ecdsa_sha256 => &signature::ECDSA_P384_SHA256_ASN1,
        EcdsaP384 if ecdsa_sha384 => &signature::ECDSA_P384_SHA384_ASN1,
        _ => return None,
    })
}

/// RFC 4055 §5: for the RSA PKCS#1 OIDs "the parameters MUST be NULL.
/// Implementations MUST accept the parameters being absent as well as
/// present." RFC 5758 §3.2, ECDSA: "the encoding MUST omit the parameters
/// field".
fn parameters_fit(id: &AlgorithmIdentifier<'_>) -> bool {
    let ecdsa = id.algorithm == oids::OID_SIG_ECDSA_WITH_SHA256
        || id.algorithm == oids::OID_SIG_ECDSA_WITH_SHA384;
    match &id.parameters {
        None => true,
        Some(_) if ecdsa => false,
        Some(any) => {
            any.tag() == x509_parser::der_parser::asn1_rs::Tag::Null && any.data.is_empty()
        }
    }
}

/// RSASSA-PSS: only with an rsaEncryption issuer key and one of the
/// [`PSS_PARAMETERS`].
fn pss_algorithm(
    id: &AlgorithmIdentifier<'_>,
    issuer: PublicKeyKind,
) -> Option<&'static dyn signature::VerificationAlgorithm> {
    if !matches!(issuer, PublicKeyKind::Rsa { .. }) {
        return None;
    }
    let parameters = id.parameters.as_ref()?;
    if parameters.tag() != x509_parser::der_parser::asn1_rs::Tag::Sequence {
        return None;
    }
    PSS_PARAMETERS
        .iter()
        .find(|(encoding, _)| *encoding == parameters.data)
        .map(|(_, algorithm)| *algorithm)
}
