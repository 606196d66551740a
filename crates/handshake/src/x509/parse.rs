//! Parsing one certificate (RFC 5280 §4.1 Certificate, §4.2 extensions),
//! refusing encodings the rest of the checks cannot trust.

use x509_parser::certificate::{X509Certificate, X509CertificateParser};
use x509_parser::nom::Parser;

use super::error::CertificateError;

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

/// Parses one DER certificate only as far as its public key (RFC 5280
/// §4.1.2.7) needs, its extensions left unparsed: for a certificate that
/// [`parse`] has accepted already, the peer's leaf once its chain is
/// checked, whose key then checks a handshake signature. (Parsing the
/// extensions again was the better part of a leaf's parse.)
pub(crate) fn parse_for_key(der: &[u8]) -> Result<X509Certificate<'_>, CertificateError> {
    let bad = |reason: String| CertificateError::BadEncoding { index: 0, reason };
    let mut parser = X509CertificateParser::new().with_deep_parse_extensions(false);
    let (rest, cert) = parser.parse(der).map_err(|e| bad(e.to_string()))?;
    if !rest.is_empty() {
        return Err(bad(format!("{} bytes after the certificate", rest.len())));
    }
    Ok(cert)
}
