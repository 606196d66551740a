//! Trust anchors (RFC 5280 §6.1.1(d)): the roots a chain must lead to.

use x509_parser::certificate::X509Certificate;

use super::error::CertificateError;
use super::parse::parse;
use super::pem::{certs_from_pem, PemError};

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

    /// Every anchor, parsed (each parsed when it was added, so none is
    /// lost here and indices stay those of the list given).
    pub(super) fn parsed(&self) -> Vec<X509Certificate<'_>> {
        self.roots
            .iter()
            .filter_map(|der| parse(der, 0).ok())
            .collect()
    }
}
