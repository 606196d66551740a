//! The certification path (RFC 5280 §6.1): from the leaf to a trust anchor.

use x509_parser::certificate::X509Certificate;
use x509_parser::x509::X509Version;

use super::anchors::TrustAnchors;
use super::checks::{
    check_critical_extensions, check_end_entity_key_usage, check_extended_key_usage, check_issuer,
    check_validity,
};
use super::error::CertificateError;
use super::key::PublicKeyKind;
use super::parse::parse;
use super::signature::check_signature;
use super::{Purpose, MAX_CHAIN_LEN};

/// The checks common to both sides; returns the parsed chain, leaf first.
pub(super) fn verify_chain<'a>(
    chain: &'a [Vec<u8>],
    anchors: &TrustAnchors,
    now: i64,
    purpose: Purpose,
) -> Result<Vec<X509Certificate<'a>>, CertificateError> {
    if chain.is_empty() {
        return Err(CertificateError::EmptyChain);
    }
    if chain.len() > MAX_CHAIN_LEN {
        return Err(CertificateError::ChainTooLong {
            len: chain.len(),
            max: MAX_CHAIN_LEN,
        });
    }
    let certs = chain
        .iter()
        .enumerate()
        .map(|(index, der)| parse(der, index))
        .collect::<Result<Vec<_>, _>>()?;

    for (index, cert) in certs.iter().enumerate() {
        // §7.4.2: "The certificate type MUST be X.509v3, unless explicitly
        // negotiated otherwise". (For issuers, basicConstraints needs v3
        // anyway.)
        if cert.version() != X509Version::V3 {
            return Err(CertificateError::NotVersion3 {
                subject: cert.subject().to_string(),
                version: cert.version().0.saturating_add(1),
            });
        }
        check_validity(cert, now)?;
        check_critical_extensions(cert)?;
        if PublicKeyKind::of(cert.public_key()).is_none() {
            return Err(CertificateError::UnsupportedKey {
                subject: cert.subject().to_string(),
            });
        }
        check_extended_key_usage(cert, index, purpose)?;
        if index == 0 {
            check_end_entity_key_usage(cert)?;
        } else {
            check_issuer(cert, index)?;
        }
        match certs.get(index + 1) {
            // §7.4.2: "Each following certificate MUST directly certify the
            // one preceding it."
            Some(issuer) => check_issued_by(cert, issuer)?,
            None => check_issued_by_anchor(cert, anchors)?,
        }
    }
    Ok(certs)
}

/// `cert` names `issuer` as its issuer and carries its signature.
pub(super) fn check_issued_by(
    cert: &X509Certificate<'_>,
    issuer: &X509Certificate<'_>,
) -> Result<(), CertificateError> {
    if cert.issuer().as_raw() != issuer.subject().as_raw() {
        return Err(CertificateError::UnknownIssuer {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
        });
    }
    check_signature(cert, issuer.public_key())
}

/// The last certificate of the chain is issued by a trust anchor (or is one,
/// self-signed). With several anchors of that name, any one will do.
pub(super) fn check_issued_by_anchor(
    cert: &X509Certificate<'_>,
    anchors: &TrustAnchors,
) -> Result<(), CertificateError> {
    let mut last_error = None;
    for anchor in anchors.named(cert.issuer().as_raw()) {
        match check_signature(cert, anchor.public_key()) {
            Ok(()) => return Ok(()),
            Err(e) => last_error = Some(e),
        }
    }
    Err(
        last_error.unwrap_or_else(|| CertificateError::UnknownIssuer {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
        }),
    )
}
