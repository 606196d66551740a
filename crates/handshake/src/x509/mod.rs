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
//! | file | RFC 5280 concern |
//! |---|---|
//! | `parse.rs` | §4.1, §4.2: one DER certificate, strictly |
//! | `pem.rs` | RFC 7468: PEM files of certificates |
//! | `key.rs` | §4.1.2.7: the public keys we support |
//! | `anchors.rs` | §6.1.1(d): trust anchors |
//! | `checks.rs` | §4.1.2.5, §4.2, §4.2.1.3, §4.2.1.9, §4.2.1.12: one certificate's own checks |
//! | `signature.rs` | §4.1.1.2, §6.1.3(a)(1): certificate signature algorithms |
//! | `path.rs` | §6.1, RFC 4158: building the path, trying alternatives |
//! | `budget.rs` | RFC 4158 §5: bounds on the search |
//! | `name_constraints.rs` | §4.2.1.10, §6.1.3(b)-(c): name constraints |
//! | `name_forms.rs` | §4.2.1.6, §4.2.1.10: DNS names and mailboxes, in names and subtrees |
//! | `hostname.rs` | RFC 6125 §6.4: the server's name |
//! | `error.rs` | §6.1.6: why a chain was refused, and its alert |
//!
//! The certificate_list is a pool, not a path: the leaf comes first
//! (§7.4.2: "The sender's certificate MUST come first in the list"), the
//! rest may come in any order and include certificates no path uses
//! (`path.rs` says how the path is found). The last certificate of a path
//! must be issued by one of our [`TrustAnchors`]; a root the peer sends
//! anyway is just another candidate.
//!
//! What we check, for the leaf and each CA certificate of the path:
//! - it parses as DER X.509 (x509-parser) with no bytes after it, is
//!   version 3 (§7.4.2: "The certificate type MUST be X.509v3"), has the
//!   same signature algorithm inside and outside the TBSCertificate
//!   (RFC 5280 §4.1.1.2) and no malformed or duplicate extension (§4.2) —
//!   this for every certificate sent, used or not;
//! - the chain holds at most [`MAX_CHAIN_LEN`] certificates, the path at
//!   most `max_path_depth` intermediates ([`PathLimits`]), and the search
//!   at most 100 signature checks for a server's chain, 16 for a client's
//!   ([`DEFAULT_MAX_CLIENT_SIGNATURE_CHECKS`]: a server searches before
//!   the client has proven anything);
//! - `now` lies within its validity period (§4.1.2.5, bounds inclusive);
//! - it has no critical extension other than basicConstraints, keyUsage,
//!   extendedKeyUsage, subjectAltName and nameConstraints (§4.2: "A
//!   certificate-using system MUST reject the certificate if it encounters
//!   a critical extension it does not recognize");
//! - its public key is RSA (2048 to 8192 bits), ECDSA P-256 or P-384;
//! - its issuer's subject equals its issuer name (byte for byte), the
//!   key identifiers agree where both are present, and its signature
//!   verifies with the issuer's key (`signature.rs` lists the algorithms:
//!   RSA PKCS#1 and PSS with SHA-256/384/512, ECDSA with SHA-256/384;
//!   SHA-1 and MD5 are refused with their own error);
//! - every issuer has basicConstraints `cA` TRUE (§4.2.1.9), its
//!   pathLenConstraint holds (self-issued intermediates not counted,
//!   §6.1.4(l)), and its keyUsage, if present, has keyCertSign (§4.2.1.3);
//! - the name constraints of the trust anchor (from its certificate) and
//!   of every intermediate hold for the certificates below it
//!   (`name_constraints.rs`: rfc822Name, dNSName, iPAddress and
//!   directoryName subtrees); they fail closed: a subtree that is not its
//!   type's name form fails every path through its CA, and a name that is
//!   not its type's form fails the path under constraints of its type;
//! - extendedKeyUsage, if present, has serverAuth (server) or clientAuth
//!   (client) — on the intermediates too, as OpenSSL and webpki do;
//! - the leaf is not a CA (no basicConstraints `cA` TRUE, no keyUsage
//!   keyCertSign), and its keyUsage, if present, has digitalSignature: in
//!   our ECDHE suites the key only signs (§7.4.2, ECDHE_RSA: "the
//!   digitalSignature bit MUST be set if the key usage extension is
//!   present"; for ECDHE_ECDSA and for the client's rsa_sign/ecdsa_sign of
//!   §7.4.6 "the certificate MUST allow the key to be used for signing");
//! - for a server, the name we connected to is in the subjectAltName
//!   (RFC 6125 §6.4): a dNSName, case-insensitive, with at most one `*`
//!   standing for the whole left-most label; or an iPAddress when the name
//!   is an IPv4 or IPv6 literal.
//!
//! RFC 5246 §7.4.2 also says: "If the client provided a
//! "signature_algorithms" extension, then all certificates provided by the
//! server MUST be signed by a hash/signature algorithm pair that appears in
//! that extension." We deliberately do not enforce it, on either side: the
//! server cannot re-sign the chain its CA gave it, so the rule can only
//! break connections; RFC 8446 §4.2.3 replaced it by a separate
//! signature_algorithms_cert list for that reason, and OpenSSL, BoringSSL,
//! Go and rustls do not apply it to TLS 1.2 certificates either. What
//! protects the client is the list of algorithms this module verifies at
//! all: nothing weaker than SHA-256 is accepted in any certificate.
//!
//! What we do NOT check — know this before trusting a peer with it:
//! - revocation: no CRLs, no OCSP, no OCSP stapling;
//! - certificate policies, policy mappings and policy constraints
//!   (§4.2.1.4-4.2.1.5, 4.2.1.11, §6.1.3-6.1.5): a certificate that makes
//!   any of them critical is rejected, a non-critical one is ignored;
//!   inhibitAnyPolicy likewise;
//! - name constraints of types other than rfc822Name, dNSName, iPAddress
//!   and directoryName (they fail a path only when a certificate below has
//!   a name of that type); mailboxes with a quoted local part or an
//!   address-literal host (refused under rfc822Name constraints, not
//!   matched); the subject's common name as a DNS name under
//!   dNSName constraints (we never use the CN as a name); the minimum and
//!   maximum fields of a subtree (x509-parser does not expose them);
//! - the subject's common name: with no subjectAltName a server certificate
//!   is refused; we never fall back to the CN (RFC 6125 §6.4.4 allows it,
//!   CA/Browser Forum rules made SANs mandatory, and browsers dropped it);
//! - RFC 5280 §7.1 name comparison (case folding, string types): issuer and
//!   subject names must be byte-identical, which real CAs produce;
//! - the trust anchors' own validity period, basicConstraints,
//!   pathLenConstraint and keyUsage (RFC 5280 §6.1.1(d): the anchor is an
//!   input, not a checked certificate); only its name constraints apply;
//! - Ed25519 and other signature algorithms than those above (refused as
//!   unsupported; `signature.rs` says why for Ed25519);
//! - the §7.4.2 signature_algorithms rule above, and that an ECDSA leaf's
//!   curve is one the client offered (the handshake's business, not the
//!   chain's);
//! - partial wildcards (`f*.example.com`), IDNA mapping of U-labels, IP
//!   addresses inside dNSName entries or IPv6 literals in brackets.

mod anchors;
mod budget;
mod checks;
mod error;
mod hostname;
mod key;
mod name_constraints;
mod name_forms;
mod parse;
mod path;
mod pem;
mod signature;

use checks::{check_any, check_end_entity_key_usage, check_not_a_ca};
use hostname::check_server_name;
use path::Search;

pub use anchors::TrustAnchors;
pub use budget::{PathLimits, DEFAULT_MAX_CLIENT_SIGNATURE_CHECKS, DEFAULT_MAX_PATH_DEPTH};
pub use error::{CaRole, CertificateError};
pub(crate) use hostname::dns_name_matches;
pub use key::PublicKeyKind;
pub(crate) use parse::{parse, parse_for_key};
pub use path::ValidPath;
pub use pem::{certs_from_pem, PemError};

/// The longest certificate chain we accept, leaf included. Real chains have
/// two to four certificates; the bound caps the work a peer can cause.
pub const MAX_CHAIN_LEN: usize = 10;

/// What the peer's certificate is for: RFC 5280 §4.2.1.12's KeyPurposeId.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// id-kp-serverAuth: the server's chain (RFC 5246 §7.4.2).
    ServerAuth,
    /// id-kp-clientAuth: the client's chain (RFC 5246 §7.4.6).
    ClientAuth,
}

/// When a verified path is valid (RFC 5280 §4.1.2.5): from the latest
/// notBefore to the earliest notAfter of its certificates, the leaf and the
/// intermediates (the anchor's own validity is not checked, see above),
/// UNIX seconds, bounds inclusive. Time is the only input of the check not
/// fixed by the chain, the anchors, the purpose, the name and the limits:
/// at any time within this window, those verify again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathValidity {
    /// The latest notBefore.
    pub not_before: i64,
    /// The earliest notAfter.
    pub not_after: i64,
}

/// The outcome of [`verify_chain`] and what it cost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    /// The path found, or why there is none.
    pub result: Result<ValidPath, CertificateError>,
    /// How many certificate signatures the search verified: what bounds
    /// its time (the budget is [`PathLimits::max_signature_checks`]).
    pub signature_checks: usize,
}

/// Finds and checks a path from the leaf of `chain` (the certificate_list
/// as received: DER, leaf first) to one of `anchors`, for `purpose`, at
/// `now` (UNIX seconds, injected so tests and traces are reproducible),
/// within `limits`. The server's name is not checked here.
pub fn verify_chain(
    chain: &[Vec<u8>],
    anchors: &TrustAnchors,
    purpose: Purpose,
    now: i64,
    limits: &PathLimits,
) -> Verification {
    let mut signature_checks = 0;
    let result = search(
        chain,
        anchors,
        purpose,
        None,
        now,
        limits,
        &mut signature_checks,
    )
    .map(|(path, _)| path);
    Verification {
        result,
        signature_checks,
    }
}

/// The body of [`verify_chain`], and for a server the check of its name
/// (done here, where the leaf is parsed already).
fn search(
    chain: &[Vec<u8>],
    anchors: &TrustAnchors,
    purpose: Purpose,
    server_name: Option<&str>,
    now: i64,
    limits: &PathLimits,
    signature_checks: &mut usize,
) -> Result<(ValidPath, PathValidity), CertificateError> {
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
    let leaf = &certs[0];
    check_any(leaf, 0, now, purpose)?;
    check_end_entity_key_usage(leaf)?;
    let roots = anchors.parsed();
    let mut search = Search::new(&certs, &roots, now, purpose, budget::Budget::new(*limits));
    let path = search.run();
    *signature_checks = search.budget.signature_checks;
    let path = path?;
    // Checked once a path is found, so that a self-signed CA certificate
    // we do not trust is reported as the untrusted root it is.
    check_not_a_ca(leaf)?;
    if let Some(name) = server_name {
        check_server_name(leaf, name)?;
    }
    let on_path = path.intermediates.iter().map(|&i| &certs[i]);
    let validity = core::iter::once(leaf)
        .chain(on_path)
        .map(|cert| cert.validity())
        .fold(
            PathValidity {
                not_before: i64::MIN,
                not_after: i64::MAX,
            },
            |window, v| PathValidity {
                not_before: window.not_before.max(v.not_before.timestamp()),
                not_after: window.not_after.min(v.not_after.timestamp()),
            },
        );
    Ok((path, validity))
}

/// Checks a server's certificate chain (RFC 5246 §7.4.2) for
/// `server_name` — a DNS name, or an IPv4/IPv6 literal without brackets —
/// at `now` (UNIX seconds), within the default [`PathLimits`].
///
/// `chain` is the certificate_list as received: DER, leaf first.
pub fn verify_server_chain(
    chain: &[Vec<u8>],
    anchors: &TrustAnchors,
    server_name: &str,
    now: i64,
) -> Result<(), CertificateError> {
    verify_server_chain_with(chain, anchors, server_name, now, &PathLimits::default()).map(drop)
}

/// [`verify_server_chain`] within `limits`; returns when the path found
/// is valid.
pub fn verify_server_chain_with(
    chain: &[Vec<u8>],
    anchors: &TrustAnchors,
    server_name: &str,
    now: i64,
    limits: &PathLimits,
) -> Result<PathValidity, CertificateError> {
    let mut signature_checks = 0;
    search(
        chain,
        anchors,
        Purpose::ServerAuth,
        Some(server_name),
        now,
        limits,
        &mut signature_checks,
    )
    .map(|(_, validity)| validity)
}

/// Checks a client's certificate chain (RFC 5246 §7.4.6) at `now` (UNIX
/// seconds), within [`PathLimits::for_client_chains`]. An empty chain is
/// [`CertificateError::EmptyChain`]; a server that makes client
/// certificates optional checks for that first. This is also the check to
/// repeat on a stored client chain when a session is resumed.
pub fn verify_client_chain(
    chain: &[Vec<u8>],
    anchors: &TrustAnchors,
    now: i64,
) -> Result<(), CertificateError> {
    verify_client_chain_with(chain, anchors, now, &PathLimits::for_client_chains()).map(drop)
}

/// [`verify_client_chain`] within `limits`; returns when the path found
/// is valid.
pub fn verify_client_chain_with(
    chain: &[Vec<u8>],
    anchors: &TrustAnchors,
    now: i64,
    limits: &PathLimits,
) -> Result<PathValidity, CertificateError> {
    let mut signature_checks = 0;
    search(
        chain,
        anchors,
        Purpose::ClientAuth,
        None,
        now,
        limits,
        &mut signature_checks,
    )
    .map(|(_, validity)| validity)
}

/// The subject of a certificate as text, e.g. `O=tls12 test PKI,
/// CN=localhost`, for pages and traces.
pub fn leaf_subject(cert_der: &[u8]) -> Result<String, CertificateError> {
    Ok(parse(cert_der, 0)?.subject().to_string())
}

/// A certificate's issuer name as DER, as a CertificateRequest's
/// `certificate_authorities` lists names (§7.4.4), to compare byte for
/// byte.
pub fn issuer_name(cert_der: &[u8]) -> Result<Vec<u8>, CertificateError> {
    Ok(parse_for_key(cert_der)?.issuer().as_raw().to_vec())
}

/// The kind of the key a peer's end-entity certificate holds, once its
/// keyUsage lets it sign: in TLS 1.2 with ECDHE that key only ever signs
/// (ServerKeyExchange, §7.4.3; CertificateVerify, §7.4.8). RFC 5246
/// §7.4.2: "the certificate MUST allow the key to be used for signing
/// (the digitalSignature bit MUST be set if the key usage extension is
/// present)". Checked with the handshake, whatever checked the chain (a
/// path validation does too), so that no way of trusting a chain lets a
/// key sign that its certificate keeps from signing.
pub fn signing_key_kind(cert_der: &[u8]) -> Result<PublicKeyKind, CertificateError> {
    let cert = parse(cert_der, 0)?;
    check_end_entity_key_usage(&cert)?;
    PublicKeyKind::of(cert.public_key()).ok_or_else(|| CertificateError::UnsupportedKey {
        subject: cert.subject().to_string(),
    })
}

/// The kind of public key in a certificate, to match it with a cipher
/// suite. Only the certificate's outline and key are parsed, not its
/// extensions: checking it is [`verify_server_chain`]'s business.
pub fn public_key_kind(cert_der: &[u8]) -> Result<PublicKeyKind, CertificateError> {
    let cert = parse_for_key(cert_der)?;
    PublicKeyKind::of(cert.public_key()).ok_or_else(|| CertificateError::UnsupportedKey {
        subject: cert.subject().to_string(),
    })
}
