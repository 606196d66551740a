//! Why a certificate chain was refused (RFC 5280 §6.1.6 "failure
//! indication"), and the alert each reason sends (RFC 5246 §7.2.2).

use core::fmt;

use record_layer::AlertDescription;
use x509_parser::time::ASN1Time;

/// Why a certificate chain was not accepted. Each variant names the
/// certificate concerned by its subject; [`CertificateError::alert`] is the
/// one place it becomes an alert (RFC 5246 §7.2.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertificateError {
    /// The certificate_list was empty where a certificate was required.
    EmptyChain,
    /// More than [`MAX_CHAIN_LEN`](super::MAX_CHAIN_LEN) certificates.
    ChainTooLong {
        /// Certificates received.
        len: usize,
        /// [`MAX_CHAIN_LEN`](super::MAX_CHAIN_LEN).
        max: usize,
    },
    /// A certificate is not valid DER X.509.
    BadEncoding {
        /// Position in the chain, 0 for the leaf.
        index: usize,
        /// What the parser or we found wrong.
        reason: String,
    },
    /// A critical extension we do not process (RFC 5280 §4.2).
    UnhandledCriticalExtension {
        /// The certificate's subject.
        subject: String,
        /// The extension's OID, dotted.
        oid: String,
    },
    /// A certificate other than X.509 version 3.
    NotVersion3 {
        /// The certificate's subject.
        subject: String,
        /// Its version as people count (1 for v1), saturating.
        version: u32,
    },
    /// A public key that is not RSA 2048-8192, ECDSA P-256 or P-384.
    UnsupportedKey {
        /// The certificate's subject.
        subject: String,
    },
    /// A signature algorithm we cannot verify with the issuer's key.
    UnsupportedSignatureAlgorithm {
        /// The certificate's subject.
        subject: String,
        /// The signatureAlgorithm OID, dotted.
        algorithm: String,
    },
    /// `now` is after notAfter.
    Expired {
        /// The certificate's subject.
        subject: String,
        /// notAfter, UNIX seconds.
        not_after: i64,
    },
    /// `now` is before notBefore.
    NotYetValid {
        /// The certificate's subject.
        subject: String,
        /// notBefore, UNIX seconds.
        not_before: i64,
    },
    /// The next certificate does not certify this one, or (for the last
    /// one) no trust anchor has the issuer's name.
    UnknownIssuer {
        /// The certificate's subject.
        subject: String,
        /// The certificate's issuer.
        issuer: String,
    },
    /// The signature on a certificate does not verify with its issuer's key.
    BadSignature {
        /// The certificate's subject.
        subject: String,
    },
    /// An issuing certificate lacks basicConstraints `cA` TRUE.
    IssuerNotCa {
        /// The issuing certificate's subject.
        subject: String,
    },
    /// An issuing certificate's pathLenConstraint is exceeded.
    PathLenExceeded {
        /// The issuing certificate's subject.
        subject: String,
        /// Its pathLenConstraint.
        path_len: u32,
    },
    /// An issuing certificate's keyUsage lacks keyCertSign.
    IssuerCannotSign {
        /// The issuing certificate's subject.
        subject: String,
    },
    /// keyUsage or extendedKeyUsage forbids this use.
    WrongKeyUsage {
        /// The certificate's subject.
        subject: String,
        /// The usage that was missing, e.g. `serverAuth`.
        needed: &'static str,
    },
    /// The server's certificate does not name the server we connected to.
    NameMismatch {
        /// The name we connected to.
        expected: String,
        /// The subjectAltName entries the certificate has.
        presented: Vec<String>,
    },
    /// The server's certificate has no subjectAltName (we never use the CN).
    NoSubjectAltName {
        /// The certificate's subject.
        subject: String,
        /// The name we connected to.
        expected: String,
    },
}

impl CertificateError {
    /// The alert for this error (RFC 5246 §7.2.2). Where the RFC names a
    /// case we follow it; where it is silent we follow OpenSSL's
    /// `ssl_x509err2alert` table, named in each arm.
    pub fn alert(&self) -> AlertDescription {
        use AlertDescription as A;
        match self {
            // §7.4.6 is the only place the RFC speaks of a missing
            // certificate: the server "MAY respond with a fatal
            // handshake_failure alert".
            Self::EmptyChain => A::HandshakeFailure,
            // §7.2.2 bad_certificate: "A certificate was corrupt, contained
            // signatures that did not verify correctly, etc." (OpenSSL sends
            // decrypt_error for a bad certificate signature; the RFC wins.)
            Self::BadEncoding { .. } | Self::BadSignature { .. } => A::BadCertificate,
            // §7.2.2 certificate_expired: "A certificate has expired or is
            // not currently valid." (OpenSSL: bad_certificate for
            // not-yet-valid; the RFC wins.)
            Self::Expired { .. } | Self::NotYetValid { .. } => A::CertificateExpired,
            // §7.2.2 unknown_ca: "the CA certificate could not be located or
            // couldn't be matched with a known, trusted CA."
            Self::UnknownIssuer { .. } => A::UnknownCa,
            // §7.2.2 unsupported_certificate: "A certificate was of an
            // unsupported type."
            Self::NotVersion3 { .. }
            | Self::UnsupportedKey { .. }
            | Self::UnsupportedSignatureAlgorithm { .. } => A::UnsupportedCertificate,
            // Silent in the RFC. OpenSSL: X509_V_ERR_CERT_CHAIN_TOO_LONG,
            // X509_V_ERR_INVALID_CA (also its answer to a CA whose keyUsage
            // lacks keyCertSign) and X509_V_ERR_PATH_LENGTH_EXCEEDED all map
            // to unknown_ca.
            Self::ChainTooLong { .. }
            | Self::IssuerNotCa { .. }
            | Self::IssuerCannotSign { .. }
            | Self::PathLenExceeded { .. } => A::UnknownCa,
            // Silent in the RFC. OpenSSL: X509_V_ERR_INVALID_PURPOSE ->
            // unsupported_certificate.
            Self::WrongKeyUsage { .. } => A::UnsupportedCertificate,
            // Silent in the RFC. OpenSSL: X509_V_ERR_HOSTNAME_MISMATCH and
            // X509_V_ERR_IP_ADDRESS_MISMATCH -> bad_certificate.
            Self::NameMismatch { .. } | Self::NoSubjectAltName { .. } => A::BadCertificate,
            // Silent in the RFC; OpenSSL falls back to certificate_unknown
            // for X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION. We say
            // bad_certificate: the certificate is unusable as encoded, not
            // for an "unspecified" reason.
            Self::UnhandledCriticalExtension { .. } => A::BadCertificate,
        }
    }
}

impl fmt::Display for CertificateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmptyChain => write!(f, "the peer sent no certificate"),
            Self::ChainTooLong { len, max } => write!(
                f,
                "the certificate chain has {len} certificates, more than our limit of {max}"
            ),
            Self::BadEncoding { index, reason } => {
                write!(
                    f,
                    "certificate #{index} of the chain is malformed: {reason}"
                )
            }
            Self::UnhandledCriticalExtension { subject, oid } => write!(
                f,
                "certificate \"{subject}\" has a critical extension {oid} that we do not understand"
            ),
            Self::NotVersion3 { subject, version } => write!(
                f,
                "certificate \"{subject}\" is X.509 version {version}; only version 3 is supported"
            ),
            Self::UnsupportedKey { subject } => write!(
                f,
                "certificate \"{subject}\" has a public key we do not support \
                 (only RSA 2048-8192 bits, ECDSA P-256 and P-384)"
            ),
            Self::UnsupportedSignatureAlgorithm { subject, algorithm } => write!(
                f,
                "certificate \"{subject}\" is signed with algorithm {algorithm}, \
                 which we cannot verify with its issuer's key"
            ),
            Self::Expired { subject, not_after } => write!(
                f,
                "certificate \"{subject}\" expired on {}",
                show_time(*not_after)
            ),
            Self::NotYetValid {
                subject,
                not_before,
            } => write!(
                f,
                "certificate \"{subject}\" is not valid before {}",
                show_time(*not_before)
            ),
            Self::UnknownIssuer { subject, issuer } => write!(
                f,
                "certificate \"{subject}\" was issued by \"{issuer}\", \
                 which is neither the next certificate of the chain nor a trusted root"
            ),
            Self::BadSignature { subject } => {
                write!(
                    f,
                    "the signature on certificate \"{subject}\" does not verify"
                )
            }
            Self::IssuerNotCa { subject } => write!(
                f,
                "certificate \"{subject}\" signed another certificate but is not a CA"
            ),
            Self::PathLenExceeded { subject, path_len } => write!(
                f,
                "CA certificate \"{subject}\" allows {path_len} intermediate CA(s) below it, \
                 the chain has more"
            ),
            Self::IssuerCannotSign { subject } => write!(
                f,
                "CA certificate \"{subject}\" may not sign certificates (no keyCertSign)"
            ),
            Self::WrongKeyUsage { subject, needed } => {
                write!(f, "certificate \"{subject}\" may not be used for {needed}")
            }
            Self::NameMismatch {
                expected,
                presented,
            } => write!(
                f,
                "certificate for {} is not valid for {expected}",
                presented.join(", ")
            ),
            Self::NoSubjectAltName { subject, expected } => write!(
                f,
                "certificate \"{subject}\" has no subjectAltName, so it is not valid for \
                 {expected} (the subject's common name is not used)"
            ),
        }
    }
}

impl std::error::Error for CertificateError {}

/// A UNIX time as a readable UTC date, for error messages.
fn show_time(unix: i64) -> String {
    ASN1Time::from_timestamp(unix).map_or_else(|_| format!("{unix} (UNIX time)"), |t| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_names_its_alert() {
        // A few spot checks of the single mapping; the integration tests
        // cover each variant from a real chain.
        let subject = "CN=x".to_string();
        assert_eq!(
            CertificateError::NotYetValid {
                subject: subject.clone(),
                not_before: 0
            }
            .alert(),
            AlertDescription::CertificateExpired
        );
        assert_eq!(
            CertificateError::IssuerNotCa { subject }.alert(),
            AlertDescription::UnknownCa
        );
        assert_eq!(
            CertificateError::EmptyChain.alert(),
            AlertDescription::HandshakeFailure
        );
    }
}
