//! PEM files of certificates (RFC 7468 §5: `-----BEGIN CERTIFICATE-----`).
//! Used by both the chain checks and the loading of our own chain, so it
//! lives here and `sign.rs` imports it one way.

use core::fmt;

use x509_parser::pem::Pem;

use super::error::CertificateError;

/// A PEM file of certificates that could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PemError {
    /// The PEM armour is broken.
    Malformed(String),
    /// No `CERTIFICATE` block.
    NoCertificates,
    /// A certificate does not parse.
    BadCertificate(CertificateError),
}

impl fmt::Display for PemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(e) => write!(f, "bad PEM: {e}"),
            Self::NoCertificates => write!(f, "no CERTIFICATE block in the PEM input"),
            Self::BadCertificate(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for PemError {}

/// The DER bytes of every `CERTIFICATE` block of a PEM file, in order: for a
/// server's chain file that is the certificate_list of §7.4.2, leaf first.
/// Other blocks are skipped. The certificates are not parsed here.
pub fn certs_from_pem(pem: &[u8]) -> Result<Vec<Vec<u8>>, PemError> {
    let mut certs = Vec::new();
    for block in Pem::iter_from_buffer(pem) {
        let block = block.map_err(|e| PemError::Malformed(e.to_string()))?;
        if block.label == "CERTIFICATE" {
            certs.push(block.contents);
        }
    }
    if certs.is_empty() {
        return Err(PemError::NoCertificates);
    }
    Ok(certs)
}
