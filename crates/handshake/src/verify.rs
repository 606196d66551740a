//! Checking the peer's certificate chain: the Certificate message of the
//! server (RFC 5246 §7.4.2) and of the client (§7.4.6), against RFC 5280 §6
//! as far as listed below.
//!
//! ```text
//! opaque ASN.1Cert<1..2^24-1>;
//! struct {
//!     ASN.1Cert certificate_list<0..2^24-1>;
//! } Certificate;
//! ```
//!
//! §7.4.2: "The sender's certificate MUST come first in the list. Each
//! following certificate MUST directly certify the one preceding it.
//! Because certificate validation requires that root keys be distributed
//! independently, the self-signed certificate that specifies the root
//! certificate authority MAY be omitted from the chain". So we build no
//! paths: the chain is taken in the order sent, and its last certificate
//! must be issued by one of our [`TrustAnchors`] (a root that is sent anyway
//! is checked like any other CA certificate, then against itself).
//!
//! What we check, for every certificate of the chain:
//! - it parses as DER X.509 (x509-parser) with no bytes after it, is
//!   version 3 (§7.4.2: "The certificate type MUST be X.509v3"), has the
//!   same signature algorithm inside and outside the TBSCertificate
//!   (RFC 5280 §4.1.1.2) and no malformed or duplicate extension (§4.2);
//! - the chain holds at most [`MAX_CHAIN_LEN`] certificates;
//! - `now` lies within its validity period (§4.1.2.5, bounds inclusive);
//! - it has no critical extension other than basicConstraints, keyUsage,
//!   extendedKeyUsage and subjectAltName (§4.2: "A certificate-using system
//!   MUST reject the certificate if it encounters a critical extension it
//!   does not recognize");
//! - its public key is RSA (2048 to 8192 bits), ECDSA P-256 or P-384;
//! - its issuer name equals the next certificate's subject (byte for byte)
//!   and its signature verifies with that certificate's key, or for the last
//!   one with a trust anchor's key: sha256/384/512WithRSAEncryption,
//!   ecdsa-with-SHA256/384 on either curve;
//! - every issuer has basicConstraints `cA` TRUE (§4.2.1.9), its
//!   pathLenConstraint holds, and its keyUsage, if present, has keyCertSign
//!   (§4.2.1.3);
//! - extendedKeyUsage, if present, has serverAuth (server) or clientAuth
//!   (client) — on the intermediates too, as OpenSSL and webpki do;
//! - the end-entity keyUsage, if present, has digitalSignature: in our
//!   ECDHE suites the key only signs (§7.4.2, ECDHE_RSA: "the
//!   digitalSignature bit MUST be set if the key usage extension is
//!   present"; for ECDHE_ECDSA and for the client's rsa_sign/ecdsa_sign of
//!   §7.4.6 "the certificate MUST allow the key to be used for signing");
//! - for a server, the name we connected to is in the subjectAltName
//!   (RFC 6125 §6.4): a dNSName, case-insensitive, with at most one `*`
//!   standing for the whole left-most label; or an iPAddress when the name
//!   is an IPv4 or IPv6 literal.
//!
//! What we do NOT check — know this before trusting a peer with it:
//! - revocation: no CRLs, no OCSP, no OCSP stapling;
//! - name constraints, certificate policies, policy mappings and policy
//!   constraints (§4.2.1.4-4.2.1.11, §6.1.3-6.1.5): a certificate that makes
//!   any of them critical is rejected, a non-critical one is ignored;
//! - the subject's common name: with no subjectAltName a server certificate
//!   is refused; we never fall back to the CN (RFC 6125 §6.4.4 allows it,
//!   CA/Browser Forum rules made SANs mandatory, and browsers dropped it);
//! - RFC 5280 §7.1 name comparison (case folding, string types): issuer and
//!   subject names must be byte-identical, which real CAs produce;
//! - path building: no reordering, no skipping of extra certificates, no
//!   alternative issuers; certificates are used in the order sent;
//! - the trust anchors' own validity period, basicConstraints and
//!   keyUsage (RFC 5280 §6.1.1(d): the anchor is an input, not a checked
//!   certificate), unless the peer sends the root in the chain;
//! - authority/subject key identifiers (only an aid to path building);
//! - RSASSA-PSS, SHA-1, Ed25519 and other signature algorithms in
//!   certificates (refused as unsupported), and RSA signature parameters;
//! - that an end-entity certificate is not itself a CA;
//! - that the certificates are signed with a scheme from the client's
//!   signature_algorithms (§7.4.2 asks it; RFC 8446 §4.2.3 dropped the
//!   rule and no common peer follows it), and that an ECDSA leaf's curve is
//!   one the client offered (the handshake's business, not the chain's);
//! - partial wildcards (`f*.example.com`), IDNA mapping of U-labels, IP
//!   addresses inside dNSName entries or IPv6 literals in brackets.

use core::fmt;
use std::net::IpAddr;

use record_layer::suites::SignatureKind;
use record_layer::AlertDescription;
use ring::signature;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::oid_registry::{self as oids, Oid};
use x509_parser::public_key::PublicKey;
use x509_parser::time::ASN1Time;
use x509_parser::x509::{SubjectPublicKeyInfo, X509Version};

use crate::sign::{certs_from_pem, PemError};

/// The longest certificate chain we accept, leaf included. Real chains have
/// two to four certificates; the bound caps the work a peer can cause.
pub const MAX_CHAIN_LEN: usize = 10;

/// Why a certificate chain was not accepted. Each variant names the
/// certificate concerned by its subject; [`CertificateError::alert`] is the
/// one place it becomes an alert (RFC 5246 §7.2.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertificateError {
    /// The certificate_list was empty where a certificate was required.
    EmptyChain,
    /// More than [`MAX_CHAIN_LEN`] certificates.
    ChainTooLong {
        /// Certificates received.
        len: usize,
        /// [`MAX_CHAIN_LEN`].
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

/// The roots we trust: certificates whose key may issue the last
/// certificate of a chain (RFC 5280 §6.1.1(d)). Held as DER.
#[derive(Clone, Debug, Default)]
pub struct TrustAnchors {
    roots: Vec<Vec<u8>>,
}

impl TrustAnchors {
    /// Trust these DER certificates. Each must parse.
    pub fn from_der(roots: Vec<Vec<u8>>) -> Result<Self, CertificateError> {
        for (index, der) in roots.iter().enumerate() {
            parse(der, index)?;
        }
        Ok(Self { roots })
    }

    /// Trust every `CERTIFICATE` block of a PEM file.
    pub fn from_pem(pem: &[u8]) -> Result<Self, PemError> {
        Self::from_der(certs_from_pem(pem)?).map_err(PemError::BadCertificate)
    }

    /// The anchors whose subject is `issuer` (raw DER name).
    fn named<'a>(&'a self, issuer: &'a [u8]) -> impl Iterator<Item = X509Certificate<'a>> + 'a {
        self.roots
            .iter()
            .filter_map(|der| parse(der, 0).ok())
            .filter(move |anchor| anchor.subject().as_raw() == issuer)
    }
}

/// What the peer's certificate is for: RFC 5280 §4.2.1.12's KeyPurposeId.
#[derive(Clone, Copy)]
enum Purpose {
    ServerAuth,
    ClientAuth,
}

/// Checks a server's certificate chain (RFC 5246 §7.4.2) for
/// `server_name` — a DNS name, or an IPv4/IPv6 literal without brackets —
/// at `now` (UNIX seconds, injected so tests and traces are reproducible).
///
/// `chain` is the certificate_list as received: DER, leaf first.
pub fn verify_server_chain(
    chain: &[Vec<u8>],
    anchors: &TrustAnchors,
    server_name: &str,
    now: i64,
) -> Result<(), CertificateError> {
    let certs = verify_chain(chain, anchors, now, Purpose::ServerAuth)?;
    let leaf = certs.first().ok_or(CertificateError::EmptyChain)?;
    check_server_name(leaf, server_name)
}

/// Checks a client's certificate chain (RFC 5246 §7.4.6) at `now` (UNIX
/// seconds). An empty chain is [`CertificateError::EmptyChain`]; a server
/// that makes client certificates optional checks for that first.
pub fn verify_client_chain(
    chain: &[Vec<u8>],
    anchors: &TrustAnchors,
    now: i64,
) -> Result<(), CertificateError> {
    verify_chain(chain, anchors, now, Purpose::ClientAuth).map(drop)
}

/// The subject of a certificate as text, e.g. `O=tls12 test PKI,
/// CN=localhost`, for pages and traces.
pub fn leaf_subject(cert_der: &[u8]) -> Result<String, CertificateError> {
    Ok(parse(cert_der, 0)?.subject().to_string())
}

/// The kind of public key in a certificate, to match it with a cipher suite.
pub fn public_key_kind(cert_der: &[u8]) -> Result<PublicKeyKind, CertificateError> {
    let cert = parse(cert_der, 0)?;
    PublicKeyKind::of(cert.public_key()).ok_or_else(|| CertificateError::UnsupportedKey {
        subject: cert.subject().to_string(),
    })
}

/// Parses one DER certificate, refusing trailing bytes, a signature
/// algorithm that differs from the TBSCertificate's, and malformed or
/// duplicate extensions.
pub(crate) fn parse(der: &[u8], index: usize) -> Result<X509Certificate<'_>, CertificateError> {
    let bad = |reason: String| CertificateError::BadEncoding { index, reason };
    let (rest, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| bad(e.to_string()))?;
    if !rest.is_empty() {
        return Err(bad(format!("{} bytes after the certificate", rest.len())));
    }
    // RFC 5280 §4.1.1.2: signatureAlgorithm "MUST contain the same algorithm
    // identifier as the signature field in the sequence tbsCertificate".
    if cert.signature_algorithm != cert.tbs_certificate.signature {
        return Err(bad(
            "signatureAlgorithm differs from tbsCertificate.signature".into(),
        ));
    }
    // RFC 5280 §4.2: "A certificate MUST NOT include more than one instance
    // of a particular extension."
    cert.extensions_map().map_err(|e| bad(e.to_string()))?;
    // x509-parser keeps a malformed extension as ParseError, and its
    // accessors would then report the extension as absent.
    if let Some(ext) = cert
        .extensions()
        .iter()
        .find(|ext| ext.parsed_extension().error().is_some())
    {
        return Err(bad(format!(
            "malformed extension {}",
            ext.oid.to_id_string()
        )));
    }
    Ok(cert)
}

/// The checks common to both sides; returns the parsed chain, leaf first.
fn verify_chain<'a>(
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
fn check_critical_extensions(cert: &X509Certificate<'_>) -> Result<(), CertificateError> {
    let processed = [
        &oids::OID_X509_EXT_BASIC_CONSTRAINTS,
        &oids::OID_X509_EXT_KEY_USAGE,
        &oids::OID_X509_EXT_EXTENDED_KEY_USAGE,
        &oids::OID_X509_EXT_SUBJECT_ALT_NAME,
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
/// alone is not enough, as in OpenSSL and webpki.
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
fn check_end_entity_key_usage(cert: &X509Certificate<'_>) -> Result<(), CertificateError> {
    match cert.key_usage().map_err(|_| malformed_extension(0))? {
        Some(ku) if !ku.value.digital_signature() => Err(CertificateError::WrongKeyUsage {
            subject: cert.subject().to_string(),
            needed: "digitalSignature",
        }),
        _ => Ok(()),
    }
}

/// The checks on the certificate at `index` (at least 1) of the chain, which
/// issued the one before it.
fn check_issuer(cert: &X509Certificate<'_>, index: usize) -> Result<(), CertificateError> {
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
    // certificate in a valid certification path".
    // The certificates between this one and the leaf are all intermediates.
    let intermediates_below = index - 1;
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

/// `parse` already refused malformed and duplicate extensions, so the
/// extension accessors cannot fail; should x509-parser disagree, the
/// certificate at `index` is still rejected.
fn malformed_extension(index: usize) -> CertificateError {
    CertificateError::BadEncoding {
        index,
        reason: "malformed extension".into(),
    }
}

/// `cert` names `issuer` as its issuer and carries its signature.
fn check_issued_by(
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
fn check_issued_by_anchor(
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

/// Verifies `cert`'s signature with the issuer's key `issuer_key`, with the
/// ring algorithm its signatureAlgorithm OID and the issuer's key name.
fn check_signature(
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

/// RFC 6125 §6.4 (DNS names) and §6.2.1 (IP addresses) against the leaf's
/// subjectAltName. RFC 6125 §6.4.4 would allow falling back to the CN when
/// there is no subjectAltName; we do not.
fn check_server_name(
    leaf: &X509Certificate<'_>,
    server_name: &str,
) -> Result<(), CertificateError> {
    let Some(san) = leaf
        .subject_alternative_name()
        .map_err(|_| malformed_extension(0))?
    else {
        return Err(CertificateError::NoSubjectAltName {
            subject: leaf.subject().to_string(),
            expected: server_name.to_string(),
        });
    };
    let names = &san.value.general_names;
    let matched = match server_name.parse::<IpAddr>() {
        Ok(ip) => names
            .iter()
            .any(|name| matches!(name, GeneralName::IPAddress(bytes) if ip_matches(ip, bytes))),
        Err(_) => names.iter().any(
            |name| matches!(name, GeneralName::DNSName(pattern) if dns_name_matches(pattern, server_name)),
        ),
    };
    if matched {
        Ok(())
    } else {
        Err(CertificateError::NameMismatch {
            expected: server_name.to_string(),
            presented: names.iter().filter_map(describe_name).collect(),
        })
    }
}

/// An iPAddress entry is the address in network byte order: 4 octets for
/// IPv4, 16 for IPv6 (RFC 5280 §4.2.1.6).
fn ip_matches(ip: IpAddr, entry: &[u8]) -> bool {
    match ip {
        IpAddr::V4(v4) => entry == v4.octets(),
        IpAddr::V6(v6) => entry == v6.octets(),
    }
}

/// Whether a dNSName `pattern` names the host `name` (RFC 6125 §6.4.1,
/// §6.4.3): ASCII case-insensitive; a `*` may only be the whole left-most
/// label and matches exactly one label, and it must be followed by at least
/// two labels (`*.com` is refused). A trailing dot on `name` (the absolute
/// form) is ignored.
pub(crate) fn dns_name_matches(pattern: &str, name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() || name.contains('*') {
        return false;
    }
    match pattern.strip_prefix("*.") {
        Some(suffix) => {
            suffix.contains('.')
                && name.split_once('.').is_some_and(|(label, rest)| {
                    !label.is_empty() && rest.eq_ignore_ascii_case(suffix)
                })
        }
        None => pattern.eq_ignore_ascii_case(name),
    }
}

/// A subjectAltName entry as text for [`CertificateError::NameMismatch`].
fn describe_name(name: &GeneralName<'_>) -> Option<String> {
    match name {
        GeneralName::DNSName(dns) => Some((*dns).to_string()),
        GeneralName::IPAddress(bytes) => match bytes.len() {
            4 => <[u8; 4]>::try_from(*bytes)
                .ok()
                .map(|b| IpAddr::from(b).to_string()),
            16 => <[u8; 16]>::try_from(*bytes)
                .ok()
                .map(|b| IpAddr::from(b).to_string()),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_names_match_case_insensitively() {
        assert!(dns_name_matches("localhost", "localhost"));
        assert!(dns_name_matches("LocalHost", "localhost"));
        assert!(dns_name_matches("example.com", "EXAMPLE.com."));
        assert!(!dns_name_matches("example.com", "www.example.com"));
        assert!(!dns_name_matches("example.com", "example.co"));
        assert!(!dns_name_matches("example.com", ""));
        assert!(!dns_name_matches("example.com", "."));
    }

    #[test]
    fn wildcard_matches_exactly_one_left_most_label() {
        assert!(dns_name_matches("*.example.com", "a.example.com"));
        assert!(dns_name_matches("*.Example.COM", "A.example.com"));
        assert!(!dns_name_matches("*.example.com", "a.b.example.com"));
        assert!(!dns_name_matches("*.example.com", "example.com"));
        assert!(!dns_name_matches("*.example.com", ".example.com"));
        assert!(!dns_name_matches("*.example.com", "a.example.org"));
    }

    #[test]
    fn other_wildcards_never_match() {
        // A wildcard over a single label, a partial label, a non-left-most
        // one, two of them, and a `*` in the name we look for.
        assert!(!dns_name_matches("*.com", "example.com"));
        assert!(!dns_name_matches("a*.example.com", "ab.example.com"));
        assert!(!dns_name_matches("www.*.com", "www.example.com"));
        assert!(!dns_name_matches("*.*.example.com", "a.b.example.com"));
        assert!(!dns_name_matches("*", "localhost"));
        assert!(!dns_name_matches("*.example.com", "*.example.com"));
    }

    #[test]
    fn ip_entries_compare_octets() {
        let v4: IpAddr = "127.0.0.1".parse().unwrap();
        let v6: IpAddr = "::1".parse().unwrap();
        assert!(ip_matches(v4, &[127, 0, 0, 1]));
        assert!(!ip_matches(v4, &[127, 0, 0, 2]));
        let mut loopback6 = [0u8; 16];
        loopback6[15] = 1;
        assert!(ip_matches(v6, &loopback6));
        assert!(!ip_matches(v6, &[127, 0, 0, 1]));
        assert!(!ip_matches(v4, &loopback6));
    }

    #[test]
    fn integer_bits_ignores_leading_zeros() {
        assert_eq!(integer_bits(&[]), 0);
        assert_eq!(integer_bits(&[0, 0]), 0);
        assert_eq!(integer_bits(&[1]), 1);
        assert_eq!(integer_bits(&[0, 0x80, 0]), 16);
        assert_eq!(integer_bits(&[0x7f, 0xff]), 15);
    }

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
