//! Trust anchors (RFC 5280 §6.1.1(d)): the roots a chain must lead to.

use ring::digest;
use x509_parser::certificate::X509Certificate;

use super::error::CertificateError;
use super::parse::parse;
use super::pem::{certs_from_pem, PemError};

/// The roots we trust: certificates whose key may issue the last
/// certificate of a chain (RFC 5280 §6.1.1(d)). Held as DER.
#[derive(Clone, Debug)]
pub struct TrustAnchors {
    roots: Vec<Vec<u8>>,
    fingerprint: [u8; 32],
}

impl TrustAnchors {
    /// Trust these DER certificates. Each must parse.
    pub fn from_der(roots: Vec<Vec<u8>>) -> Result<Self, CertificateError> {
        for (index, der) in roots.iter().enumerate() {
            parse(der, index)?;
        }
        Ok(Self::new(roots))
    }

    fn new(roots: Vec<Vec<u8>>) -> Self {
        let mut sha256 = digest::Context::new(&digest::SHA256);
        for der in &roots {
            // Each length first, so that no two lists hash alike.
            sha256.update(&(der.len() as u64).to_be_bytes());
            sha256.update(der);
        }
        let mut fingerprint = [0; 32];
        fingerprint.copy_from_slice(sha256.finish().as_ref());
        Self { roots, fingerprint }
    }

    /// SHA-256 over the anchors, in order: two sets with the same
    /// fingerprint hold the same certificates, so they accept the same
    /// chains (what lets a resumption skip checking a stored chain again).
    pub fn fingerprint(&self) -> &[u8; 32] {
        &self.fingerprint
    }

    /// Trust every `CERTIFICATE` block of a PEM file.
    pub fn from_pem(pem: &[u8]) -> Result<Self, PemError> {
        Self::from_der(certs_from_pem(pem)?).map_err(PemError::BadCertificate)
    }

    /// Every anchor, parsed (each parsed when it was added, so none is
    /// lost here and indices stay those of the list given).
    pub(super) fn parsed(&self) -> Vec<X509Certificate<'_>> {
        self.roots
            .iter()
            .filter_map(|der| parse(der, 0).ok())
            .collect()
    }
}

impl Default for TrustAnchors {
    /// No anchors: every chain is refused.
    fn default() -> Self {
        Self::new(Vec::new())
    }
}
