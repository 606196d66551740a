//! Handshake signatures — the ServerKeyExchange of ECDHE suites (RFC 5246
//! §7.4.3, RFC 8422 §5.4) and the CertificateVerify (§7.4.8) — and loading
//! the keys and certificates that make them from PEM.
//!
//! RFC 5246 §7.4.1.4.1 names a signature by a hash and a signature
//! algorithm:
//!
//! ```text
//! enum {
//!     none(0), md5(1), sha1(2), sha224(3), sha256(4), sha384(5),
//!     sha512(6), (255)
//! } HashAlgorithm;
//!
//! enum { anonymous(0), rsa(1), dsa(2), ecdsa(3), (255) }
//!   SignatureAlgorithm;
//!
//! struct {
//!       HashAlgorithm hash;
//!       SignatureAlgorithm signature;
//! } SignatureAndHashAlgorithm;
//! ```
//!
//! Those two bytes are the same as the TLS 1.3 SignatureScheme code points
//! (RFC 8446 §4.2.3), which also add RSASSA-PSS (0x0804-0x0806) for TLS 1.2
//! use; we use the TLS 1.3 names. One difference matters: in TLS 1.2,
//! `ecdsa_secp256r1_sha256` means only "ECDSA with SHA-256", on whatever
//! curve the certificate's key is. So [`verify_signature`] accepts every
//! curve/hash pair ring can verify, while [`SigningKey`] signs only with the
//! hash that matches its curve.
//!
//! The signature itself travels as `digitally-signed` (§4.7), a
//! SignatureAndHashAlgorithm followed by `opaque signature<0..2^16-1>`.
//! For RSA it is a PKCS#1 (RFC 8017 §8.2) or PSS (§8.1) signature, for ECDSA
//! the DER `Ecdsa-Sig-Value` of RFC 8422 §5.4.

use core::fmt;

use record_layer::codec::{DecodeError, Reader};
use record_layer::suites::SignatureKind;
use record_layer::AlertDescription;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair as _, RsaKeyPair};
use x509_parser::oid_registry as oids;
use x509_parser::pem::Pem;
use zeroize::Zeroize;

use crate::x509::{self, CertificateError, PublicKeyKind};
pub use crate::x509::{certs_from_pem, PemError};

record_layer::tls_enum! {
    /// `SignatureAndHashAlgorithm` (RFC 5246 §7.4.1.4.1), named by its
    /// RFC 8446 §4.2.3 SignatureScheme: the wire value is
    /// `hash << 8 | signature`.
    pub enum SignatureScheme(u16), "SignatureAndHashAlgorithm" {
        /// `rsa_pkcs1_sha256`: {sha256(4), rsa(1)}.
        RsaPkcs1Sha256 = 0x0401, "rsa_pkcs1_sha256";
        /// `rsa_pkcs1_sha384`: {sha384(5), rsa(1)}.
        RsaPkcs1Sha384 = 0x0501, "rsa_pkcs1_sha384";
        /// `rsa_pkcs1_sha512`: {sha512(6), rsa(1)}.
        RsaPkcs1Sha512 = 0x0601, "rsa_pkcs1_sha512";
        /// `ecdsa_secp256r1_sha256`: {sha256(4), ecdsa(3)}; in TLS 1.2 any curve.
        EcdsaSecp256r1Sha256 = 0x0403, "ecdsa_secp256r1_sha256";
        /// `ecdsa_secp384r1_sha384`: {sha384(5), ecdsa(3)}; in TLS 1.2 any curve.
        EcdsaSecp384r1Sha384 = 0x0503, "ecdsa_secp384r1_sha384";
        /// `rsa_pss_rsae_sha256` (RFC 8446 §4.2.3), an rsaEncryption key.
        RsaPssRsaeSha256 = 0x0804, "rsa_pss_rsae_sha256";
        /// `rsa_pss_rsae_sha384` (RFC 8446 §4.2.3).
        RsaPssRsaeSha384 = 0x0805, "rsa_pss_rsae_sha384";
        /// `rsa_pss_rsae_sha512` (RFC 8446 §4.2.3).
        RsaPssRsaeSha512 = 0x0806, "rsa_pss_rsae_sha512";
    }
}

impl SignatureScheme {
    /// The signature algorithm family — `rsa(1)` or `ecdsa(3)` in
    /// §7.4.1.4.1, PSS counting as RSA — `None` for an unknown scheme.
    pub fn kind(self) -> Option<SignatureKind> {
        match self {
            Self::RsaPkcs1Sha256
            | Self::RsaPkcs1Sha384
            | Self::RsaPkcs1Sha512
            | Self::RsaPssRsaeSha256
            | Self::RsaPssRsaeSha384
            | Self::RsaPssRsaeSha512 => Some(SignatureKind::Rsa),
            Self::EcdsaSecp256r1Sha256 | Self::EcdsaSecp384r1Sha384 => Some(SignatureKind::Ecdsa),
            Self::Unknown(_) => None,
        }
    }
}

/// A handshake signature that could not be made or checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureError {
    /// The certificate that should hold the verifying key is unusable.
    Certificate(CertificateError),
    /// The scheme does not fit the key: RSA for an ECDSA key or the reverse,
    /// an unknown scheme, or (signing only) an ECDSA hash other than the
    /// curve's.
    SchemeNotForKey {
        /// The scheme asked for.
        scheme: SignatureScheme,
    },
    /// The signature does not verify.
    BadSignature,
    /// ring could not sign (no randomness).
    SigningFailed,
}

impl SignatureError {
    /// The alert for this error (RFC 5246 §7.2.2).
    pub fn alert(&self) -> AlertDescription {
        match self {
            Self::Certificate(e) => e.alert(),
            // Silent in the RFC; OpenSSL and BoringSSL answer a peer's
            // scheme that does not fit its key (SSL_R_WRONG_SIGNATURE_TYPE)
            // with illegal_parameter. From `sign` this is our own bug
            // (choose_scheme never picks such a scheme).
            Self::SchemeNotForKey { .. } => AlertDescription::IllegalParameter,
            // §7.2.2 decrypt_error: "A handshake cryptographic operation
            // failed, including being unable to correctly verify a
            // signature".
            Self::BadSignature => AlertDescription::DecryptError,
            Self::SigningFailed => AlertDescription::InternalError,
        }
    }
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Certificate(e) => e.fmt(f),
            Self::SchemeNotForKey { scheme } => write!(
                f,
                "signature scheme {} ({:#06x}) does not fit the key",
                scheme.rfc_name(),
                scheme.value()
            ),
            Self::BadSignature => write!(f, "the handshake signature does not verify"),
            Self::SigningFailed => write!(f, "signing failed"),
        }
    }
}

impl std::error::Error for SignatureError {}

impl From<CertificateError> for SignatureError {
    fn from(e: CertificateError) -> Self {
        Self::Certificate(e)
    }
}

/// Verifies a peer's `digitally-signed` value (§4.7) over `message` with the
/// public key of `cert_der`, the peer's end-entity certificate (already
/// checked by [`x509::verify_server_chain`] or
/// [`x509::verify_client_chain`]).
///
/// Whether the peer was allowed to pick `scheme` (it must be one we offered,
/// §7.4.1.4.1) is the caller's check.
pub fn verify_signature(
    cert_der: &[u8],
    scheme: SignatureScheme,
    message: &[u8],
    signature: &[u8],
) -> Result<(), SignatureError> {
    let cert = x509::parse_for_key(cert_der)?;
    let spki = cert.public_key();
    let key = PublicKeyKind::of(spki).ok_or_else(|| CertificateError::UnsupportedKey {
        subject: cert.subject().to_string(),
    })?;
    let algorithm =
        verification_algorithm(scheme, key).ok_or(SignatureError::SchemeNotForKey { scheme })?;
    signature::UnparsedPublicKey::new(algorithm, &spki.subject_public_key.data)
        .verify(message, signature)
        .map_err(|_| SignatureError::BadSignature)
}

/// The ring algorithm that checks `scheme` with a key of kind `key`. RSA
/// keys below 2048 bits never get here (`PublicKeyKind::of` refuses them).
fn verification_algorithm(
    scheme: SignatureScheme,
    key: PublicKeyKind,
) -> Option<&'static dyn signature::VerificationAlgorithm> {
    use PublicKeyKind::{EcdsaP256, EcdsaP384, Rsa};
    use SignatureScheme as S;
    Some(match (scheme, key) {
        (S::RsaPkcs1Sha256, Rsa { .. }) => &signature::RSA_PKCS1_2048_8192_SHA256,
        (S::RsaPkcs1Sha384, Rsa { .. }) => &signature::RSA_PKCS1_2048_8192_SHA384,
        (S::RsaPkcs1Sha512, Rsa { .. }) => &signature::RSA_PKCS1_2048_8192_SHA512,
        (S::RsaPssRsaeSha256, Rsa { .. }) => &signature::RSA_PSS_2048_8192_SHA256,
        (S::RsaPssRsaeSha384, Rsa { .. }) => &signature::RSA_PSS_2048_8192_SHA384,
        (S::RsaPssRsaeSha512, Rsa { .. }) => &signature::RSA_PSS_2048_8192_SHA512,
        (S::EcdsaSecp256r1Sha256, EcdsaP256) => &signature::ECDSA_P256_SHA256_ASN1,
        (S::EcdsaSecp256r1Sha256, EcdsaP384) => &signature::ECDSA_P384_SHA256_ASN1,
        (S::EcdsaSecp384r1Sha384, EcdsaP256) => &signature::ECDSA_P256_SHA384_ASN1,
        (S::EcdsaSecp384r1Sha384, EcdsaP384) => &signature::ECDSA_P384_SHA384_ASN1,
        _ => return None,
    })
}

/// Our schemes for an RSA key, most preferred first: PSS before PKCS#1
/// v1.5, as in OpenSSL's default list.
const RSA_SCHEMES: &[SignatureScheme] = &[
    SignatureScheme::RsaPssRsaeSha256,
    SignatureScheme::RsaPssRsaeSha384,
    SignatureScheme::RsaPssRsaeSha512,
    SignatureScheme::RsaPkcs1Sha256,
    SignatureScheme::RsaPkcs1Sha384,
    SignatureScheme::RsaPkcs1Sha512,
];

/// A private key that signs ServerKeyExchange or CertificateVerify.
pub struct SigningKey {
    key: PrivateKey,
    /// Set by [`SigningKey::with_schemes`]: the only schemes to sign with,
    /// in our order of preference.
    schemes: Option<Vec<SignatureScheme>>,
}

enum PrivateKey {
    Rsa(RsaKeyPair),
    EcdsaP256(EcdsaKeyPair),
    EcdsaP384(EcdsaKeyPair),
}

impl PrivateKey {
    /// Refuses an RSA key that cannot sign. ring checks the CRT exponents
    /// of an RSA key (`exponent1`, `exponent2`, RFC 8017 §A.1.2) only when
    /// it signs: it verifies every signature it makes, against fault
    /// attacks, and fails if that does not verify. So a key file with a
    /// damaged exponent loads, and then every handshake that needs its
    /// signature ends in `internal_error` (found by the `private_key` fuzz
    /// target). One signature at load time, about a millisecond for a
    /// 2048-bit key, refuses it there, naming the file.
    fn signs(self) -> Result<Self, KeyError> {
        if let Self::Rsa(key) = &self {
            let mut signature = vec![0; key.public().modulus_len()];
            let rng = SystemRandom::new();
            key.sign(&signature::RSA_PKCS1_SHA256, &rng, b"load", &mut signature)
                .map_err(|_| KeyError::Rejected {
                    format: "RSA",
                    reason: "it does not make valid signatures (a damaged CRT exponent)".into(),
                })?;
        }
        Ok(self)
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.key {
            PrivateKey::Rsa(_) => "RSA",
            PrivateKey::EcdsaP256(_) => "ECDSA P-256",
            PrivateKey::EcdsaP384(_) => "ECDSA P-384",
        };
        write!(f, "SigningKey({kind}, <redacted>)")
    }
}

impl SigningKey {
    /// Loads the first private key of a PEM file: `PRIVATE KEY` (PKCS#8,
    /// RFC 5208), `RSA PRIVATE KEY` (PKCS#1, RFC 8017 §A.1.2) or `EC PRIVATE
    /// KEY` (SEC1, RFC 5915). RSA (2048-4096 bits, ring's range), ECDSA
    /// P-256 and P-384. Other PEM blocks (certificates, `EC PARAMETERS`)
    /// are skipped; encrypted keys are not supported.
    pub fn from_pem(pem: &[u8]) -> Result<Self, KeyError> {
        for block in Pem::iter_from_buffer(pem) {
            let mut block = block.map_err(|e| KeyError::Pem(e.to_string()))?;
            let key = match block.label.as_str() {
                "PRIVATE KEY" => from_pkcs8(&block.contents),
                "RSA PRIVATE KEY" => RsaKeyPair::from_der(&block.contents)
                    .map(PrivateKey::Rsa)
                    .map_err(rejected("PKCS#1")),
                "EC PRIVATE KEY" => from_sec1(&block.contents),
                "ENCRYPTED PRIVATE KEY" => Err(KeyError::Unsupported("encrypted private keys")),
                _ => continue,
            };
            block.contents.zeroize();
            return key
                .and_then(PrivateKey::signs)
                .map(|key| Self { key, schemes: None });
        }
        Err(KeyError::NoPrivateKey)
    }

    /// Which suites this key can serve: ECDHE_RSA or ECDHE_ECDSA.
    pub fn kind(&self) -> SignatureKind {
        match self.key {
            PrivateKey::Rsa(_) => SignatureKind::Rsa,
            PrivateKey::EcdsaP256(_) | PrivateKey::EcdsaP384(_) => SignatureKind::Ecdsa,
        }
    }

    /// The schemes this key can sign with, most preferred first. An ECDSA
    /// key signs only with its curve's hash (P-256/SHA-256,
    /// P-384/SHA-384): the pairs ring can sign, and the only ones TLS 1.3
    /// allows.
    pub fn supported_schemes(&self) -> &'static [SignatureScheme] {
        match self.key {
            PrivateKey::Rsa(_) => RSA_SCHEMES,
            PrivateKey::EcdsaP256(_) => &[SignatureScheme::EcdsaSecp256r1Sha256],
            PrivateKey::EcdsaP384(_) => &[SignatureScheme::EcdsaSecp384r1Sha384],
        }
    }

    /// Our most preferred scheme among those the peer `offered` in
    /// signature_algorithms (§7.4.1.4.1) or CertificateRequest (§7.4.4).
    ///
    /// A client that sent no signature_algorithms implies {sha1, rsa} or
    /// {sha1, ecdsa} (§7.4.1.4.1); we do not sign with SHA-1, so the caller
    /// passes an empty list and gets `None`.
    pub fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<SignatureScheme> {
        let ours = self.schemes.as_deref().unwrap_or(self.supported_schemes());
        ours.iter()
            .copied()
            .find(|scheme| offered.contains(scheme) && self.supported_schemes().contains(scheme))
    }

    /// This key, signing only with `schemes`, in that order of preference
    /// (a policy such as "RSA-PSS only"); schemes the key cannot make are
    /// never chosen.
    pub fn with_schemes(self, schemes: &[SignatureScheme]) -> Self {
        Self {
            key: self.key,
            schemes: Some(schemes.to_vec()),
        }
    }

    /// Signs `message` (the bytes §7.4.3 or §7.4.8 says to sign; ring
    /// hashes them) with `scheme`, which must be one of
    /// [`SigningKey::supported_schemes`].
    pub fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, SignatureError> {
        use SignatureScheme as S;
        let allowed = self.schemes.as_ref().is_none_or(|s| s.contains(&scheme));
        if !self.supported_schemes().contains(&scheme) || !allowed {
            return Err(SignatureError::SchemeNotForKey { scheme });
        }
        let rng = SystemRandom::new();
        match &self.key {
            PrivateKey::Rsa(key) => {
                let padding: &'static dyn signature::RsaEncoding = match scheme {
                    S::RsaPkcs1Sha256 => &signature::RSA_PKCS1_SHA256,
                    S::RsaPkcs1Sha384 => &signature::RSA_PKCS1_SHA384,
                    S::RsaPkcs1Sha512 => &signature::RSA_PKCS1_SHA512,
                    S::RsaPssRsaeSha256 => &signature::RSA_PSS_SHA256,
                    S::RsaPssRsaeSha384 => &signature::RSA_PSS_SHA384,
                    S::RsaPssRsaeSha512 => &signature::RSA_PSS_SHA512,
                    _ => return Err(SignatureError::SchemeNotForKey { scheme }),
                };
                let mut out = vec![0; key.public().modulus_len()];
                key.sign(padding, &rng, message, &mut out)
                    .map_err(|_| SignatureError::SigningFailed)?;
                Ok(out)
            }
            PrivateKey::EcdsaP256(key) | PrivateKey::EcdsaP384(key) => key
                .sign(&rng, message)
                .map(|sig| sig.as_ref().to_vec())
                .map_err(|_| SignatureError::SigningFailed),
        }
    }

    /// Whether `cert_der` holds this key's public half: a server must send
    /// the certificate that goes with its key (§7.4.2).
    pub fn matches_certificate(&self, cert_der: &[u8]) -> Result<bool, CertificateError> {
        let cert = x509::parse(cert_der, 0)?;
        Ok(cert.public_key().subject_public_key.data.as_ref() == self.public_key())
    }

    /// The public half, as a certificate's `subjectPublicKey` holds it: an
    /// `RSAPublicKey` (RFC 8017 §A.1.1) or an uncompressed `ECPoint` (RFC
    /// 5480 §2.2). Whoever has it can check this key's signatures (the
    /// `private_key` fuzz target does).
    pub fn public_key(&self) -> &[u8] {
        match &self.key {
            PrivateKey::Rsa(key) => key.public_key().as_ref(),
            PrivateKey::EcdsaP256(key) | PrivateKey::EcdsaP384(key) => key.public_key().as_ref(),
        }
    }
}

/// A private key that could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyError {
    /// The PEM armour is broken.
    Pem(String),
    /// No private key block in the PEM input.
    NoPrivateKey,
    /// The key's DER structure is not what its label says.
    Malformed(DecodeError),
    /// A key type, curve or format we do not support.
    Unsupported(&'static str),
    /// ring refused the key.
    Rejected {
        /// PKCS#8, PKCS#1 or SEC1.
        format: &'static str,
        /// ring's reason.
        reason: String,
    },
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pem(e) => write!(f, "bad PEM: {e}"),
            Self::NoPrivateKey => write!(f, "no private key found in the PEM input"),
            Self::Malformed(e) => write!(f, "malformed private key: {e}"),
            Self::Unsupported(what) => write!(f, "unsupported: {what}"),
            Self::Rejected { format, reason } => {
                write!(f, "{format} private key rejected: {reason}")
            }
        }
    }
}

impl std::error::Error for KeyError {}

impl From<DecodeError> for KeyError {
    fn from(e: DecodeError) -> Self {
        Self::Malformed(e)
    }
}

fn rejected(format: &'static str) -> impl Fn(ring::error::KeyRejected) -> KeyError {
    move |e| KeyError::Rejected {
        format,
        reason: e.to_string(),
    }
}

/// The curves we can sign with.
#[derive(Clone, Copy)]
enum Curve {
    P256,
    P384,
}

impl Curve {
    /// The curve named by a namedCurve OID (RFC 5480 §2.1.1.1), as bytes.
    fn from_oid(oid: &[u8]) -> Result<Self, KeyError> {
        if oid == oids::OID_EC_P256.as_bytes() {
            Ok(Self::P256)
        } else if oid == oids::OID_NIST_EC_P384.as_bytes() {
            Ok(Self::P384)
        } else {
            Err(KeyError::Unsupported(
                "elliptic curves other than P-256 and P-384",
            ))
        }
    }
}

/// DER tags (X.690 §8) of the key structures we look into.
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OCTET_STRING: u8 = 0x04;
const OBJECT_IDENTIFIER: u8 = 0x06;
const SEQUENCE: u8 = 0x30;
const CONTEXT_0: u8 = 0xa0;
const CONTEXT_1: u8 = 0xa1;

/// One DER element with tag `tag` (X.690 §8.1): a reader over its contents.
/// Lengths up to 2^16-1 are enough for any key we accept.
fn der<'a>(r: &mut Reader<'a>, tag: u8, what: &'static str) -> Result<Reader<'a>, DecodeError> {
    if r.u8(what)? != tag {
        return Err(DecodeError::InvalidValue { what });
    }
    let len = match r.u8(what)? {
        short @ 0..=0x7f => usize::from(short),
        0x81 => usize::from(r.u8(what)?),
        0x82 => usize::from(r.u16(what)?),
        _ => return Err(DecodeError::InvalidValue { what }),
    };
    r.sub(len, what)
}

/// A PKCS#8 key (RFC 5208 §5). We read its algorithm to pick the ring key
/// type; ring parses and checks the rest.
///
/// ```text
/// PrivateKeyInfo ::= SEQUENCE {
///   version                   Version,
///   privateKeyAlgorithm       PrivateKeyAlgorithmIdentifier,
///   privateKey                PrivateKey,
///   attributes           [0]  IMPLICIT Attributes OPTIONAL }
/// ```
fn from_pkcs8(der_key: &[u8]) -> Result<PrivateKey, KeyError> {
    let mut info = der(&mut Reader::new(der_key), SEQUENCE, "PrivateKeyInfo")?;
    der(&mut info, INTEGER, "PrivateKeyInfo.version")?;
    let mut algorithm = der(&mut info, SEQUENCE, "PrivateKeyInfo.privateKeyAlgorithm")?;
    let oid = der(
        &mut algorithm,
        OBJECT_IDENTIFIER,
        "AlgorithmIdentifier.algorithm",
    )?
    .rest();
    if oid == oids::OID_PKCS1_RSAENCRYPTION.as_bytes() {
        return RsaKeyPair::from_pkcs8(der_key)
            .map(PrivateKey::Rsa)
            .map_err(rejected("PKCS#8"));
    }
    if oid != oids::OID_KEY_TYPE_EC_PUBLIC_KEY.as_bytes() {
        return Err(KeyError::Unsupported(
            "private keys other than RSA and ECDSA",
        ));
    }
    let curve = der(&mut algorithm, OBJECT_IDENTIFIER, "ECParameters.namedCurve")?.rest();
    let rng = SystemRandom::new();
    match Curve::from_oid(curve)? {
        Curve::P256 => {
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, der_key, &rng)
                .map(PrivateKey::EcdsaP256)
        }
        Curve::P384 => {
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P384_SHA384_ASN1_SIGNING, der_key, &rng)
                .map(PrivateKey::EcdsaP384)
        }
    }
    .map_err(rejected("PKCS#8"))
}

/// A SEC1 key (RFC 5915 §3). ring reads ECDSA keys only from PKCS#8 or as
/// raw private and public key bytes; we take the bytes out here (rather
/// than re-wrap the key in PKCS#8, which would copy the secret once more)
/// and ring checks that the public key is the private key's.
///
/// ```text
/// ECPrivateKey ::= SEQUENCE {
///   version        INTEGER { ecPrivkeyVer1(1) } (ecPrivkeyVer1),
///   privateKey     OCTET STRING,
///   parameters [0] ECParameters {{ NamedCurve }} OPTIONAL,
///   publicKey  [1] BIT STRING OPTIONAL
/// }
/// ```
///
/// Both optional fields are required here: the curve to know what the key
/// is, the public key because ring wants it (OpenSSL always writes both).
fn from_sec1(der_key: &[u8]) -> Result<PrivateKey, KeyError> {
    let mut outer = Reader::new(der_key);
    let mut key = der(&mut outer, SEQUENCE, "ECPrivateKey")?;
    outer.expect_empty("ECPrivateKey")?;
    if der(&mut key, INTEGER, "ECPrivateKey.version")?.rest() != [1] {
        return Err(DecodeError::InvalidValue {
            what: "ECPrivateKey.version",
        }
        .into());
    }
    let private_key = der(&mut key, OCTET_STRING, "ECPrivateKey.privateKey")?.rest();
    let mut parameters = der(&mut key, CONTEXT_0, "ECPrivateKey.parameters")
        .map_err(|_| KeyError::Unsupported("SEC1 keys without a named curve"))?;
    let curve = der(
        &mut parameters,
        OBJECT_IDENTIFIER,
        "ECParameters.namedCurve",
    )?
    .rest();
    let mut public = der(&mut key, CONTEXT_1, "ECPrivateKey.publicKey")
        .map_err(|_| KeyError::Unsupported("SEC1 keys without their public key"))?;
    let mut bits = der(&mut public, BIT_STRING, "ECPrivateKey.publicKey")?;
    if bits.u8("ECPrivateKey.publicKey unused bits")? != 0 {
        return Err(DecodeError::InvalidValue {
            what: "ECPrivateKey.publicKey unused bits",
        }
        .into());
    }
    let public_key = bits.rest();
    key.expect_empty("ECPrivateKey")?;

    let rng = SystemRandom::new();
    let (algorithm, wrap): (_, fn(EcdsaKeyPair) -> PrivateKey) = match Curve::from_oid(curve)? {
        Curve::P256 => (
            &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            PrivateKey::EcdsaP256,
        ),
        Curve::P384 => (
            &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
            PrivateKey::EcdsaP384,
        ),
    };
    EcdsaKeyPair::from_private_key_and_public_key(algorithm, private_key, public_key, &rng)
        .map(wrap)
        .map_err(rejected("SEC1"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use record_layer::codec::Codec;

    #[test]
    fn scheme_values_round_trip() {
        for v in [
            0x0401, 0x0501, 0x0601, 0x0403, 0x0503, 0x0804, 0x0805, 0x0806, 0x0201, 0xfefe,
        ] {
            let scheme = SignatureScheme::from_value(v);
            assert_eq!(scheme.value(), v);
            assert_eq!(
                SignatureScheme::from_bytes(&scheme.to_bytes(), "s"),
                Ok(scheme)
            );
        }
        assert_eq!(
            SignatureScheme::from_value(0x0403),
            SignatureScheme::EcdsaSecp256r1Sha256
        );
        assert_eq!(
            SignatureScheme::from_value(0x0201),
            SignatureScheme::Unknown(0x0201)
        );
        assert_eq!(SignatureScheme::RsaPssRsaeSha384.to_bytes(), [0x08, 0x05]);
        assert_eq!(
            SignatureScheme::RsaPkcs1Sha512.rfc_name(),
            "rsa_pkcs1_sha512"
        );
        assert!(SignatureScheme::decode(&mut Reader::new(&[4])).is_err());
    }

    #[test]
    fn scheme_kinds_follow_the_signature_byte() {
        assert_eq!(
            SignatureScheme::RsaPkcs1Sha256.kind(),
            Some(SignatureKind::Rsa)
        );
        assert_eq!(
            SignatureScheme::RsaPssRsaeSha512.kind(),
            Some(SignatureKind::Rsa)
        );
        assert_eq!(
            SignatureScheme::EcdsaSecp384r1Sha384.kind(),
            Some(SignatureKind::Ecdsa)
        );
        assert_eq!(SignatureScheme::Unknown(0x0403 + 1).kind(), None);
    }

    #[test]
    fn der_lengths_short_and_long() {
        let mut r = Reader::new(&[0x04, 0x02, 7, 8, 0x04, 0x81, 0x01, 9]);
        assert_eq!(der(&mut r, OCTET_STRING, "a").unwrap().rest(), [7, 8]);
        assert_eq!(der(&mut r, OCTET_STRING, "b").unwrap().rest(), [9]);
        assert!(der(&mut Reader::new(&[0x30, 0x01]), OCTET_STRING, "c").is_err());
        assert!(der(&mut Reader::new(&[0x04, 0x05, 1]), OCTET_STRING, "d").is_err());
        assert!(der(
            &mut Reader::new(&[0x04, 0x84, 0, 0, 0, 1, 1]),
            OCTET_STRING,
            "e"
        )
        .is_err());
    }

    #[test]
    fn garbage_keys_are_errors() {
        assert_eq!(
            SigningKey::from_pem(b"").unwrap_err(),
            KeyError::NoPrivateKey
        );
        let not_base64 = b"-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n";
        assert!(matches!(
            SigningKey::from_pem(not_base64),
            Err(KeyError::Pem(_))
        ));
        let truncated = b"-----BEGIN EC PRIVATE KEY-----\nMAMCAQ==\n-----END EC PRIVATE KEY-----\n";
        assert!(matches!(
            SigningKey::from_pem(truncated),
            Err(KeyError::Malformed(_))
        ));
        let encrypted =
            b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n";
        assert!(matches!(
            SigningKey::from_pem(encrypted),
            Err(KeyError::Unsupported(_))
        ));
    }
}
