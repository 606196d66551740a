//! Signatures on certificates (RFC 5280 §4.1.1.2 signatureAlgorithm,
//! §6.1.3(a)(1)): which algorithms we verify, with ring.

use ring::signature;
use x509_parser::certificate::X509Certificate;
use x509_parser::oid_registry::{self as oids, Oid};
use x509_parser::x509::SubjectPublicKeyInfo;

use super::error::CertificateError;
use super::key::PublicKeyKind;

/// Verifies `cert`'s signature with the issuer's key `issuer_key`, with the
/// ring algorithm its signatureAlgorithm OID and the issuer's key name.
pub(super) fn check_signature(
    cert: &X509Certificate<'_>,
    issuer_key: &SubjectPublicKeyInfo<'_>,
) -> Result<(), CertificateError> {
    let oid = &cert.signature_algorithm.algorithm;
    let algorithm = PublicKeyKind::of(issuer_key)
        .and_then(|kind| certificate_signature_algorithm(oid, kind))
        .ok_or_else(|| CertificateError::UnsupportedSignatureAlgorithm {
            subject: cert.subject().to_string(),
            algorithm: oid.to_id_string(),
        })?;
    signature::UnparsedPublicKey::new(algorithm, &issuer_key.subject_public_key.data)
        .verify(cert.tbs_certificate.as_ref(), &cert.signature_value.data)
        .map_err(|_| CertificateError::BadSignature {
            subject: cert.subject().to_string(),
        })
}

/// The ring algorithm for a certificate signatureAlgorithm (RFC 4055 §5 for
/// RSA, RFC 5758 §3.2 for ECDSA) and the issuer's key. An ECDSA OID names
/// only the hash; the curve comes from the issuer's key.
fn certificate_signature_algorithm(
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
