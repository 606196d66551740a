//! The checks on one certificate of a path that do not depend on its issuer
//! (RFC 5280 §6.1.3-§6.1.4): version (RFC 5246 §7.4.2), validity
//! (§4.1.2.5), critical extensions (§4.2), the key (§4.1.2.7),
//! extendedKeyUsage (§4.2.1.12), keyUsage (§4.2.1.3) and basicConstraints
//! (§4.2.1.9), for the leaf and for a CA.

use x509_parser::certificate::X509Certificate;
use x509_parser::oid_registry as oids;
use x509_parser::x509::X509Version;

use super::error::CertificateError;
use super::key::PublicKeyKind;
use super::Purpose;

/// The checks every certificate of a path gets, leaf or CA.
pub(super) fn check_any(
    cert: &X509Certificate<'_>,
    index: usize,
    now: i64,
    purpose: Purpose,
) -> Result<(), CertificateError> {
    // RFC 5246 §7.4.2: "The certificate type MUST be X.509v3, unless
    // explicitly negotiated otherwise". (For issuers, basicConstraints needs
    // v3 anyway.)
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
    check_extended_key_usage(cert, index, purpose)
}

/// RFC 5280 §6.1.3(a)(2): "The certificate validity period includes the
/// current time."
fn check_validity(cert: &X509Certificate<'_>, now: i64) -> Result<(), CertificateError> {
    let validity = cert.validity();
    let not_before = validity.not_before.timestamp();
    let not_after = validity.not_after.timestamp();
    if now < not_before {
        return Err(CertificateError::NotYetValid {
            subject: cert.subject().to_string(),
            not_before,
        });
    }
    if now > not_after {
        return Err(CertificateError::Expired {
            subject: cert.subject().to_string(),
            not_after,
        });
    }
    Ok(())
}

/// RFC 5280 §4.2: "A certificate-using system MUST reject the certificate if
/// it encounters a critical extension it does not recognize or a critical
/// extension that contains information that it cannot process."
/// nameConstraints we process (`name_constraints.rs`), critical or not.
fn check_critical_extensions(cert: &X509Certificate<'_>) -> Result<(), CertificateError> {
    let processed = [
        &oids::OID_X509_EXT_BASIC_CONSTRAINTS,
        &oids::OID_X509_EXT_KEY_USAGE,
        &oids::OID_X509_EXT_EXTENDED_KEY_USAGE,
        &oids::OID_X509_EXT_SUBJECT_ALT_NAME,
        &oids::OID_X509_EXT_NAME_CONSTRAINTS,
    ];
    match cert
        .extensions()
        .iter()
        .find(|ext| ext.critical && !processed.contains(&&ext.oid))
    {
        Some(ext) => Err(CertificateError::UnhandledCriticalExtension {
            subject: cert.subject().to_string(),
            oid: ext.oid.to_id_string(),
        }),
        None => Ok(()),
    }
}

/// RFC 5280 §4.2.1.12: "If the extension is present, then the certificate
/// MUST only be used for one of the purposes indicated." anyExtendedKeyUsage
/// alone is not enough, as in OpenSSL and webpki; on CAs too, as they do.
fn check_extended_key_usage(
    cert: &X509Certificate<'_>,
    index: usize,
    purpose: Purpose,
) -> Result<(), CertificateError> {
    let Some(eku) = cert
        .extended_key_usage()
        .map_err(|_| malformed_extension(index))?
    else {
        return Ok(());
    };
    let (allowed, needed) = match purpose {
        Purpose::ServerAuth => (eku.value.server_auth, "serverAuth"),
        Purpose::ClientAuth => (eku.value.client_auth, "clientAuth"),
    };
    if allowed {
        Ok(())
    } else {
        Err(CertificateError::WrongKeyUsage {
            subject: cert.subject().to_string(),
            needed,
        })
    }
}

/// The end-entity key signs the ServerKeyExchange (§7.4.3) or the
/// CertificateVerify (§7.4.8). RFC 5280 §4.2.1.3: when keyUsage is present,
/// digitalSignature must be set for that.
pub(super) fn check_end_entity_key_usage(
    cert: &X509Certificate<'_>,
) -> Result<(), CertificateError> {
    match cert.key_usage().map_err(|_| malformed_extension(0))? {
        Some(ku) if !ku.value.digital_signature() => Err(CertificateError::WrongKeyUsage {
            subject: cert.subject().to_string(),
            needed: "digitalSignature",
        }),
        _ => Ok(()),
    }
}

/// A CA certificate must not serve as a TLS end entity. RFC 5280 §4.2.1.9:
/// "The cA boolean indicates whether the certified public key may be used
/// to verify certificate signatures"; §4.2.1.3: keyCertSign "MUST NOT be
/// asserted" unless cA is set. Either marks a CA key, whose compromise
/// through a TLS server would let the thief issue certificates; webpki
/// refuses such a leaf too (CaUsedAsEndEntity).
pub(super) fn check_not_a_ca(cert: &X509Certificate<'_>) -> Result<(), CertificateError> {
    let subject = || cert.subject().to_string();
    let is_ca = cert
        .basic_constraints()
        .map_err(|_| malformed_extension(0))?
        .is_some_and(|bc| bc.value.ca);
    if is_ca {
        return Err(CertificateError::EndEntityIsCa {
            subject: subject(),
            because: "basicConstraints cA=TRUE",
        });
    }
    let signs_certificates = cert
        .key_usage()
        .map_err(|_| malformed_extension(0))?
        .is_some_and(|ku| ku.value.key_cert_sign());
    if signs_certificates {
        return Err(CertificateError::EndEntityIsCa {
            subject: subject(),
            because: "keyUsage keyCertSign",
        });
    }
    Ok(())
}

/// The checks on the certificate at `index` of the chain as the issuer of
/// a certificate below it, with `intermediates_below` non-self-issued
/// intermediate CAs between it and the leaf.
pub(super) fn check_issuer(
    cert: &X509Certificate<'_>,
    index: usize,
    intermediates_below: usize,
) -> Result<(), CertificateError> {
    let subject = || cert.subject().to_string();
    // RFC 5280 §6.1.4(k): "verify that the certificate is a CA certificate
    // (as specified in a basicConstraints extension with the cA field set
    // to TRUE)".
    let constraints = cert
        .basic_constraints()
        .map_err(|_| malformed_extension(index))?
        .filter(|bc| bc.value.ca)
        .ok_or_else(|| CertificateError::IssuerNotCa { subject: subject() })?;
    // RFC 5280 §4.2.1.9: pathLenConstraint "gives the maximum number of
    // non-self-issued intermediate certificates that may follow this
    // certificate in a valid certification path"; §6.1.4(l): "If
    // certificate i is not self-issued, verify that max_path_length is
    // greater than zero and decrement max_path_length by 1" — so
    // self-issued ones (key rollover certificates) are not counted.
    if let Some(path_len) = constraints.value.path_len_constraint {
        if u32::try_from(intermediates_below).map_or(true, |n| n > path_len) {
            return Err(CertificateError::PathLenExceeded {
                subject: subject(),
                path_len,
            });
        }
    }
    // RFC 5280 §4.2.1.3: "If the keyUsage extension is present, then the
    // subject public key MUST NOT be used to verify signatures on
    // certificates ... unless the keyCertSign bit is set".
    match cert.key_usage().map_err(|_| malformed_extension(index))? {
        Some(ku) if !ku.value.key_cert_sign() => {
            Err(CertificateError::IssuerCannotSign { subject: subject() })
        }
        _ => Ok(()),
    }
}

/// RFC 5280 §6.1 calls a certificate self-issued "if the same DN appears in
/// the subject and issuer fields"; we compare the DER bytes.
pub(super) fn is_self_issued(cert: &X509Certificate<'_>) -> bool {
    cert.subject().as_raw() == cert.issuer().as_raw()
}

/// `parse` already refused malformed and duplicate extensions, so the
/// extension accessors cannot fail; should x509-parser disagree, the
/// certificate at `index` is still rejected.
pub(super) fn malformed_extension(index: usize) -> CertificateError {
    CertificateError::BadEncoding {
        index,
        reason: "malformed extension".into(),
    }
}
