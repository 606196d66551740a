//! Why a certificate chain was refused (RFC 5280 §6.1.5/§6.1.6: the
//! "failure indication" of path validation), and the alert each reason
//! sends (RFC 5246 §7.2.2).
//!
//! Every message names the certificate concerned by its subject and the
//! rule that refused it, with its RFC section, so that the person reading
//! it knows which certificate to reissue and why.

use core::fmt;

use record_layer::AlertDescription;
use x509_parser::time::ASN1Time;

use crate::escape::EscapeControls;

/// Which kind of CA imposed a name constraint: the message says
/// "trust anchor CN=X" or "intermediate CN=X".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaRole {
    /// One of our [`TrustAnchors`](super::TrustAnchors).
    TrustAnchor,
    /// A CA certificate the peer sent.
    Intermediate,
}

impl fmt::Display for CaRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TrustAnchor => "trust anchor",
            Self::Intermediate => "intermediate",
        })
    }
}

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
    /// A signature algorithm we cannot verify with the issuer's key, or
    /// RSASSA-PSS with parameters other than the three we accept.
    UnsupportedSignatureAlgorithm {
        /// The certificate's subject.
        subject: String,
        /// The algorithm's name and OID, e.g. `Ed25519 (1.3.101.112)`.
        algorithm: String,
    },
    /// A signature with SHA-1 or MD5: refused whoever the issuer is.
    WeakSignatureAlgorithm {
        /// The certificate's subject.
        subject: String,
        /// The algorithm's name, e.g. `sha1WithRSAEncryption`.
        algorithm: &'static str,
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
    /// No certificate we were sent and no trust anchor has the issuer's
    /// name (and, where both say, its key identifier).
    UnknownIssuer {
        /// The certificate's subject.
        subject: String,
        /// The certificate's issuer.
        issuer: String,
    },
    /// The path ends at a self-issued certificate that is not one of our
    /// trust anchors: a root we do not trust (or a self-signed leaf).
    UntrustedRoot {
        /// The root's subject.
        subject: String,
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
    /// The end-entity certificate is a CA certificate (basicConstraints
    /// `cA` TRUE, or keyUsage keyCertSign): a CA key must not also serve a
    /// TLS connection.
    EndEntityIsCa {
        /// The leaf's subject.
        subject: String,
        /// `basicConstraints cA=TRUE` or `keyUsage keyCertSign`.
        because: &'static str,
    },
    /// Every path we could build needs more intermediates than the limit.
    PathTooDeep {
        /// The subject of the certificate whose issuer would pass the limit.
        subject: String,
        /// The limit on intermediates (`max_path_depth`).
        max: usize,
    },
    /// The search for a path used up its budget of signature checks: the
    /// certificates were built to make path building slow.
    TooManySignatureChecks {
        /// The budget.
        max: usize,
    },
    /// A name of a certificate lies outside every permitted subtree of a
    /// CA's nameConstraints (RFC 5280 §4.2.1.10).
    NameNotPermitted {
        /// Who imposed the constraint.
        role: CaRole,
        /// The constraining CA's subject.
        ca: String,
        /// The subject of the certificate with the name.
        subject: String,
        /// The name.
        name: String,
        /// The permitted subtrees of the name's type.
        permitted: Vec<String>,
    },
    /// A name of a certificate lies inside an excluded subtree of a CA's
    /// nameConstraints (RFC 5280 §4.2.1.10).
    NameExcluded {
        /// Who imposed the constraint.
        role: CaRole,
        /// The constraining CA's subject.
        ca: String,
        /// The subject of the certificate with the name.
        subject: String,
        /// The name.
        name: String,
        /// The excluded subtree it falls into.
        excluded: String,
    },
    /// A CA constrains a name type we do not check, and a certificate below
    /// it has a name of that type: we cannot tell that it is allowed.
    UnsupportedNameConstraint {
        /// Who imposed the constraint.
        role: CaRole,
        /// The constraining CA's subject.
        ca: String,
        /// The subject of the certificate with such a name.
        subject: String,
        /// The GeneralName type, e.g. `uniformResourceIdentifier`.
        kind: &'static str,
    },
    /// A nameConstraints subtree that is not its type's name form (RFC
    /// 5280 §4.2.1.10): a dNSName that is not a DNS name with an optional
    /// leading period (`*.example.com`), an rfc822Name that is not a
    /// mailbox, host or `.domain`, an iPAddress that is not address and
    /// contiguous mask, a GeneralName we cannot parse. Refused whether
    /// permitted or excluded: a malformed excluded subtree would otherwise
    /// exclude nothing.
    MalformedNameConstraint {
        /// The constraining CA's subject.
        ca: String,
        /// The subtree as text.
        subtree: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A certificate has a name that is not its type's form (RFC 5280
    /// §4.2.1.6: a dNSName such as `.example.com`, an rfc822Name that is
    /// not a mailbox) under a CA that constrains names of that type: it
    /// can be shown neither inside a permitted subtree nor outside an
    /// excluded one.
    MalformedName {
        /// Who imposed the constraint.
        role: CaRole,
        /// The constraining CA's subject.
        ca: String,
        /// The subject of the certificate with the name.
        subject: String,
        /// The name.
        name: String,
        /// The GeneralName type, e.g. `dNSName`.
        kind: &'static str,
    },
    /// Checking names against constraints would take more comparisons
    /// than our budget: refused rather than spend the time.
    TooManyNameComparisons {
        /// The budget.
        max: usize,
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
    /// The application's [`VerifyCallback`](crate::config::VerifyCallback)
    /// refused a chain that path validation accepted.
    RejectedByApplication {
        /// The callback's reason.
        reason: String,
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
            Self::UnknownIssuer { .. } | Self::UntrustedRoot { .. } => A::UnknownCa,
            // §7.2.2 unsupported_certificate: "A certificate was of an unsupported type."
            Self::NotVersion3 { .. }
            | Self::UnsupportedKey { .. }
            | Self::UnsupportedSignatureAlgorithm { .. } => A::UnsupportedCertificate,
            // Silent in the RFC; OpenSSL: X509_V_ERR_CA_MD_TOO_WEAK -> bad_certificate.
            Self::WeakSignatureAlgorithm { .. } => A::BadCertificate,
            // Silent in the RFC. OpenSSL: X509_V_ERR_CERT_CHAIN_TOO_LONG,
            // X509_V_ERR_INVALID_CA (also its answer to a CA whose keyUsage
            // lacks keyCertSign) and X509_V_ERR_PATH_LENGTH_EXCEEDED all map
            // to unknown_ca; a path search that gives up is the same
            // "could not be located".
            Self::ChainTooLong { .. }
            | Self::IssuerNotCa { .. }
            | Self::IssuerCannotSign { .. }
            | Self::PathLenExceeded { .. }
            | Self::PathTooDeep { .. }
            | Self::TooManySignatureChecks { .. } => A::UnknownCa,
            // Silent in the RFC. OpenSSL: X509_V_ERR_INVALID_PURPOSE ->
            // unsupported_certificate; a CA certificate as the leaf is a
            // purpose it may not serve.
            Self::WrongKeyUsage { .. } | Self::EndEntityIsCa { .. } => A::UnsupportedCertificate,
            // Silent in the RFC. OpenSSL: X509_V_ERR_HOSTNAME_MISMATCH and
            // X509_V_ERR_IP_ADDRESS_MISMATCH -> bad_certificate.
            Self::NameMismatch { .. } | Self::NoSubjectAltName { .. } => A::BadCertificate,
            // §7.2.2 certificate_unknown: "Some other (unspecified) issue
            // arose in processing the certificate, rendering it
            // unacceptable": the application's reason is its own.
            Self::RejectedByApplication { .. } => A::CertificateUnknown,
            // Silent in the RFC; OpenSSL falls back to certificate_unknown
            // for X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION and the
            // X509_V_ERR_*_NAME_CONSTRAINT* errors. We say bad_certificate:
            // the certificate is unusable as issued, not for an
            // "unspecified" reason.
            Self::UnhandledCriticalExtension { .. }
            | Self::NameNotPermitted { .. }
            | Self::NameExcluded { .. }
            | Self::UnsupportedNameConstraint { .. }
            | Self::MalformedNameConstraint { .. }
            | Self::MalformedName { .. }
            | Self::TooManyNameComparisons { .. } => A::BadCertificate,
        }
    }
}

/// Subjects and names come from the peer, whose chain may be the one
/// refused: written through [`EscapeControls`], so that none can break the
/// line.
impl fmt::Display for CertificateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.describe(&mut EscapeControls(f))
    }
}

impl CertificateError {
    /// The message, with the peer's names as they are: one function per
    /// kind of failure.
    fn describe(&self, f: &mut impl fmt::Write) -> fmt::Result {
        match self {
            Self::EmptyChain | Self::ChainTooLong { .. } | Self::BadEncoding { .. } => {
                self.describe_chain(f)
            }
            Self::UnhandledCriticalExtension { .. }
            | Self::NotVersion3 { .. }
            | Self::UnsupportedKey { .. }
            | Self::UnsupportedSignatureAlgorithm { .. }
            | Self::WeakSignatureAlgorithm { .. }
            | Self::Expired { .. }
            | Self::NotYetValid { .. } => self.describe_certificate(f),
            Self::UnknownIssuer { .. }
            | Self::UntrustedRoot { .. }
            | Self::BadSignature { .. }
            | Self::IssuerNotCa { .. }
            | Self::PathLenExceeded { .. }
            | Self::IssuerCannotSign { .. }
            | Self::PathTooDeep { .. }
            | Self::TooManySignatureChecks { .. } => self.describe_path(f),
            Self::NameNotPermitted { .. }
            | Self::NameExcluded { .. }
            | Self::UnsupportedNameConstraint { .. } => self.describe_name_constraints(f),
            Self::MalformedNameConstraint { .. }
            | Self::MalformedName { .. }
            | Self::TooManyNameComparisons { .. } => self.describe_unchecked_name(f),
            Self::WrongKeyUsage { .. }
            | Self::EndEntityIsCa { .. }
            | Self::NameMismatch { .. }
            | Self::NoSubjectAltName { .. }
            | Self::RejectedByApplication { .. } => self.describe_use(f),
        }
    }

    /// The chain as a whole: empty, too long, or not DER (RFC 5280 §4.1).
    fn describe_chain(&self, f: &mut impl fmt::Write) -> fmt::Result {
        match self {
            Self::EmptyChain => write!(f, "the peer sent no certificate (RFC 5246 §7.4.6)"),
            Self::ChainTooLong { len, max } => write!(
                f,
                "the certificate chain has {len} certificates, more than our limit of {max}"
            ),
            Self::BadEncoding { index, reason } => write!(
                f,
                "certificate #{index} of the chain is malformed: {reason} (RFC 5280 §4.1)"
            ),
            // `describe` sends no other variant here.
            other => write!(f, "{other:?}"),
        }
    }

    /// One certificate's own content: its version, extensions, key, signature
    /// algorithm and validity (RFC 5280 §4.1, §4.2).
    fn describe_certificate(&self, f: &mut impl fmt::Write) -> fmt::Result {
        match self {
            Self::UnhandledCriticalExtension { subject, oid } => write!(
                f,
                "certificate \"{subject}\" has a critical extension {oid} that we do not \
                 understand (RFC 5280 §4.2)"
            ),
            Self::NotVersion3 { subject, version } => write!(
                f,
                "certificate \"{subject}\" is X.509 version {version}; only version 3 is \
                 supported (RFC 5246 §7.4.2)"
            ),
            Self::UnsupportedKey { subject } => write!(
                f,
                "certificate \"{subject}\" has a public key we do not support \
                 (only RSA 2048-8192 bits, ECDSA P-256 and P-384)"
            ),
            Self::UnsupportedSignatureAlgorithm { subject, algorithm } => write!(
                f,
                "certificate \"{subject}\" is signed with {algorithm}, which we do not verify \
                 with its issuer's key (RFC 5280 §4.1.1.2)"
            ),
            Self::WeakSignatureAlgorithm { subject, algorithm } => write!(
                f,
                "certificate \"{subject}\" is signed with {algorithm}; SHA-1 and MD5 signatures \
                 are refused, collisions for them can be made (RFC 5280 §4.1.1.2, RFC 9155)"
            ),
            Self::Expired { subject, not_after } => write!(
                f,
                "certificate \"{subject}\" expired on {} (RFC 5280 §4.1.2.5)",
                show_time(*not_after)
            ),
            Self::NotYetValid {
                subject,
                not_before,
            } => write!(
                f,
                "certificate \"{subject}\" is not valid before {} (RFC 5280 §4.1.2.5)",
                show_time(*not_before)
            ),
            // `describe` sends no other variant here.
            other => write!(f, "{other:?}"),
        }
    }

    /// The path from the leaf to a trust anchor: issuers, their signatures and
    /// their right to issue (RFC 5280 §6.1, §4.2.1.3, §4.2.1.9).
    fn describe_path(&self, f: &mut impl fmt::Write) -> fmt::Result {
        match self {
            Self::UnknownIssuer { subject, issuer } => write!(
                f,
                "certificate \"{subject}\" was issued by \"{issuer}\", which is neither a \
                 certificate of the chain nor a trusted root (RFC 5280 §6.1)"
            ),
            Self::UntrustedRoot { subject } => {
                write!(f, "the chain ends at a root that is not trusted: {subject}")
            }
            Self::BadSignature { subject } => write!(
                f,
                "the signature on certificate \"{subject}\" does not verify with its issuer's \
                 key (RFC 5280 §6.1.3(a)(1))"
            ),
            Self::IssuerNotCa { subject } => write!(
                f,
                "certificate \"{subject}\" signed another certificate but is not a CA \
                 (RFC 5280 §4.2.1.9: no basicConstraints cA=TRUE)"
            ),
            Self::PathLenExceeded { subject, path_len } => write!(
                f,
                "CA certificate \"{subject}\" allows {path_len} intermediate CA(s) below it, \
                 the chain has more (RFC 5280 §4.2.1.9 pathLenConstraint)"
            ),
            Self::IssuerCannotSign { subject } => write!(
                f,
                "CA certificate \"{subject}\" may not sign certificates \
                 (RFC 5280 §4.2.1.3: no keyCertSign)"
            ),
            Self::PathTooDeep { subject, max } => write!(
                f,
                "no path from \"{subject}\" to a trusted root within {max} intermediate CAs \
                 (max_path_depth; RFC 5280 §6.1)"
            ),
            Self::TooManySignatureChecks { max } => write!(
                f,
                "gave up building a certification path after {max} signature checks: the chain \
                 has too many candidate issuers (RFC 4158 §5)"
            ),
            // `describe` sends no other variant here.
            other => write!(f, "{other:?}"),
        }
    }

    /// A name outside what a CA's name constraints allow (RFC 5280
    /// §4.2.1.10).
    fn describe_name_constraints(&self, f: &mut impl fmt::Write) -> fmt::Result {
        match self {
            Self::NameNotPermitted {
                role,
                ca,
                subject,
                name,
                permitted,
            } => write!(
                f,
                "{role} {ca}: name {name} of certificate \"{subject}\" is outside its permitted \
                 subtrees ({}) (RFC 5280 §4.2.1.10)",
                permitted.join(", ")
            ),
            Self::NameExcluded {
                role,
                ca,
                subject,
                name,
                excluded,
            } => write!(
                f,
                "{role} {ca}: name {name} of certificate \"{subject}\" is inside its excluded \
                 subtree {excluded} (RFC 5280 §4.2.1.10)"
            ),
            Self::UnsupportedNameConstraint {
                role,
                ca,
                subject,
                kind,
            } => write!(
                f,
                "{role} {ca}: constrains {kind} names, which we do not check, and certificate \
                 \"{subject}\" has one (RFC 5280 §4.2.1.10)"
            ),
            // `describe` sends no other variant here.
            other => write!(f, "{other:?}"),
        }
    }

    /// A name a CA's constraints could not be checked against: a
    /// constraint or a name not of its type's form, or too many to compare
    /// (RFC 5280 §4.2.1.6, §4.2.1.10).
    fn describe_unchecked_name(&self, f: &mut impl fmt::Write) -> fmt::Result {
        match self {
            Self::MalformedNameConstraint {
                ca,
                subtree,
                reason,
            } => write!(
                f,
                "CA certificate \"{ca}\" has a name constraint {subtree} we cannot read: \
                 {reason} (RFC 5280 §4.2.1.10)"
            ),
            Self::MalformedName {
                role,
                ca,
                subject,
                name,
                kind,
            } => write!(
                f,
                "{role} {ca}: constrains {kind} names, and the {kind} {name} of certificate \
                 \"{subject}\" is not well-formed, so it cannot be checked against them \
                 (RFC 5280 §4.2.1.6, §4.2.1.10)"
            ),
            Self::TooManyNameComparisons { max } => write!(
                f,
                "gave up checking name constraints after {max} comparisons (RFC 5280 §4.2.1.10)"
            ),
            // `describe` sends no other variant here.
            other => write!(f, "{other:?}"),
        }
    }

    /// The leaf for this use: its key usage, its role, the name we connected
    /// to, and the application's own verdict.
    fn describe_use(&self, f: &mut impl fmt::Write) -> fmt::Result {
        match self {
            Self::WrongKeyUsage { subject, needed } => write!(
                f,
                "certificate \"{subject}\" may not be used for {needed} \
                 (RFC 5280 §4.2.1.3, §4.2.1.12)"
            ),
            Self::EndEntityIsCa { subject, because } => write!(
                f,
                "certificate \"{subject}\" is a CA certificate ({because}) and may not be used \
                 as a server or client certificate (RFC 5280 §4.2.1.9, §4.2.1.3)"
            ),
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
            Self::RejectedByApplication { reason } => {
                write!(f, "the application refused the certificate: {reason}")
            }
            // `describe` sends no other variant here.
            other => write!(f, "{other:?}"),
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
