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

mod anchors;
mod checks;
mod error;
mod hostname;
mod key;
mod parse;
mod path;
mod pem;
mod signature;

use hostname::check_server_name;
use path::verify_chain;

pub use anchors::TrustAnchors;
pub use error::CertificateError;
pub use key::PublicKeyKind;
pub(crate) use parse::parse;
pub use pem::{certs_from_pem, PemError};

/// The longest certificate chain we accept, leaf included. Real chains have
/// two to four certificates; the bound caps the work a peer can cause.
pub const MAX_CHAIN_LEN: usize = 10;

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
