//! Handshake errors and the alert each one sends (RFC 5246 §7.2.2).
//!
//! Every variant says what the peer did, or what we could not agree on, at
//! least as precisely as the alert it maps to. [`Error::alert`] is the one
//! place where an error becomes an alert; it delegates record-layer and
//! certificate errors to their own single mappings.

use core::fmt;

use record_layer::{AlertDescription, DecodeError};

use crate::escape::EscapeControls;
use crate::kx::{KeyExchangeError, NamedGroup};
use crate::sign::SignatureError;
use crate::x509::CertificateError;

/// Why a handshake (or the connection) failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// A record-layer failure, or a malformed / out-of-order message.
    Record(record_layer::Error),
    /// The peer's certificate chain was not acceptable.
    Certificate(CertificateError),
    /// The peer offered or chose a protocol version other than TLS 1.2
    /// (§7.4.1.3, §E.1): `protocol_version`.
    UnsupportedVersion(u16),
    /// No cipher suite both sides support (§7.4.1.3): `handshake_failure`.
    NoCommonCipherSuite,
    /// No elliptic-curve group both sides support (RFC 8422 §5.1):
    /// `handshake_failure`.
    NoCommonGroup,
    /// No signature algorithm both sides support: `handshake_failure`.
    NoCommonSignatureScheme,
    /// The suites and signature algorithms match, but our ECDSA
    /// certificate's curve is not in the client's `supported_groups`
    /// (RFC 8422 §5.3): `handshake_failure`.
    CertificateCurveNotOffered(NamedGroup),
    /// The client asked for a server name we do not serve (RFC 6066 §3):
    /// a fatal `unrecognized_name`.
    UnrecognizedName(String),
    /// No ALPN protocol both sides support (RFC 7301 §3.2):
    /// `no_application_protocol`.
    NoCommonApplicationProtocol,
    /// The server answered with an extension we did not offer (§7.4.1.4):
    /// `unsupported_extension`.
    UnsupportedExtension,
    /// The peer sent a value we did not offer or the RFC forbids here; the
    /// string says which rule: `illegal_parameter`.
    IllegalParameter(&'static str),
    /// A signature (ServerKeyExchange or CertificateVerify) did not verify:
    /// `decrypt_error` (§7.2.2).
    BadSignature,
    /// The peer's Finished.verify_data was wrong: `decrypt_error` (§7.4.9:
    /// "Recipients of Finished messages MUST verify that the contents are
    /// correct").
    BadFinished,
    /// The peer's key share was not a valid point: `illegal_parameter`.
    BadKeyShare,
    /// We require a client certificate and got none: `handshake_failure`
    /// (§7.4.6: "it MAY respond with a fatal handshake_failure alert").
    ClientCertificateRequired,
    /// The peer did not support secure renegotiation (RFC 5746) or got its
    /// renegotiation_info wrong: `handshake_failure` (RFC 5746 §3.4-3.7).
    SecureRenegotiation(&'static str),
    /// We were asked to renegotiate, but the peer never signalled RFC 5746
    /// secure renegotiation, so we did not (RFC 5746 §4.1, §4.3: without
    /// it a renegotiation can be spliced onto an attacker's connection).
    /// Nothing was sent and the connection goes on: no alert.
    PeerLacksSecureRenegotiation,
    /// A renegotiation presented another server certificate than the
    /// connection's earlier handshake: `handshake_failure`.
    ServerCertificateChanged,
    /// The peer did not negotiate extended master secret where we require
    /// it (RFC 7627 §5.2, §5.3): `handshake_failure`. Also the exporter's
    /// refusal for a session without it (§5.4), where no alert is sent.
    ExtendedMasterSecretRequired,
    /// Our own configuration cannot make this handshake (no certificate for
    /// any offered suite, a key that cannot sign, ...): `internal_error`
    /// towards the peer, the reason for the caller.
    Config(&'static str),
    /// Randomness or key generation failed: `internal_error`.
    Internal(&'static str),
    /// The connection's write side is closed (RFC 5246 §7.2.1): we sent
    /// close_notify, on our own or in answer to the peer's, and nothing may
    /// follow it, so this write or renegotiation was refused. No alert, and
    /// the connection is not failed: what the peer sent before its own
    /// close_notify can still be read.
    Closed,
}

impl Error {
    /// The alert to send for this error, `None` when nothing should be sent
    /// (the peer already ended the connection with a fatal alert, or we
    /// refused a request of our own application without telling the peer).
    pub fn alert(&self) -> Option<AlertDescription> {
        use AlertDescription as A;
        Some(match self {
            Self::Record(e) => return e.alert(),
            Self::PeerLacksSecureRenegotiation | Self::Closed => return None,
            Self::Certificate(e) => e.alert(),
            Self::UnsupportedVersion(_) => A::ProtocolVersion,
            Self::NoCommonCipherSuite
            | Self::NoCommonGroup
            | Self::NoCommonSignatureScheme
            | Self::CertificateCurveNotOffered(_)
            | Self::ClientCertificateRequired
            | Self::SecureRenegotiation(_)
            | Self::ServerCertificateChanged
            | Self::ExtendedMasterSecretRequired => A::HandshakeFailure,
            Self::NoCommonApplicationProtocol => A::NoApplicationProtocol,
            Self::UnrecognizedName(_) => A::UnrecognizedName,
            Self::UnsupportedExtension => A::UnsupportedExtension,
            Self::IllegalParameter(_) | Self::BadKeyShare => A::IllegalParameter,
            Self::BadSignature | Self::BadFinished => A::DecryptError,
            Self::Config(_) | Self::Internal(_) => A::InternalError,
        })
    }

    /// An out-of-order message: `unexpected_message`.
    pub fn unexpected(why: &'static str) -> Self {
        Self::Record(record_layer::Error::UnexpectedMessage(why))
    }

    /// A record whose type is out of place: `unexpected_message` (§6).
    pub fn unexpected_record(why: &'static str) -> Self {
        Self::Record(record_layer::Error::UnexpectedRecord(why))
    }
}

/// Written through [`EscapeControls`]: a message that quotes the peer
/// (a certificate subject, a server name) stays on one line.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.describe(&mut EscapeControls(f))
    }
}

impl Error {
    /// The message, with what the peer sent as it is.
    fn describe(&self, f: &mut impl fmt::Write) -> fmt::Result {
        match self {
            Self::Record(e) => write!(f, "{e}"),
            Self::Certificate(e) => write!(f, "certificate rejected: {e}"),
            Self::UnsupportedVersion(v) => write!(f, "peer wants version {v:#06x}, not TLS 1.2"),
            Self::NoCommonCipherSuite => write!(f, "no cipher suite in common"),
            Self::NoCommonGroup => write!(f, "no elliptic-curve group in common"),
            Self::NoCommonSignatureScheme => write!(f, "no signature algorithm in common"),
            Self::CertificateCurveNotOffered(curve) => write!(
                f,
                "our ECDSA certificate is on {}, which the client's supported_groups \
                 do not list (RFC 8422 §5.3)",
                curve.rfc_name()
            ),
            Self::NoCommonApplicationProtocol => write!(f, "no ALPN protocol in common"),
            Self::UnrecognizedName(name) => {
                write!(
                    f,
                    "the client asked for {name:?}, a name this server does not serve"
                )
            }
            Self::UnsupportedExtension => write!(f, "server sent an extension we did not offer"),
            Self::IllegalParameter(why) => write!(f, "illegal parameter: {why}"),
            Self::BadSignature => write!(f, "handshake signature did not verify"),
            Self::BadFinished => write!(f, "Finished.verify_data is wrong"),
            Self::BadKeyShare => write!(f, "peer's ECDHE public key is invalid"),
            Self::ClientCertificateRequired => write!(f, "client certificate required"),
            Self::SecureRenegotiation(why) => write!(f, "secure renegotiation: {why}"),
            Self::PeerLacksSecureRenegotiation => write!(
                f,
                "not renegotiating: the peer never signalled RFC 5746 secure \
                 renegotiation, so a renegotiation could be spliced onto another \
                 connection; nothing was sent and the connection goes on"
            ),
            Self::ServerCertificateChanged => {
                write!(f, "server certificate changed across renegotiation")
            }
            Self::ExtendedMasterSecretRequired => {
                write!(f, "peer did not use extended master secret (RFC 7627)")
            }
            Self::Config(why) => write!(f, "configuration: {why}"),
            Self::Internal(why) => write!(f, "internal error: {why}"),
            Self::Closed => write!(
                f,
                "the connection is closed: close_notify was sent, and nothing \
                 may follow it (RFC 5246 §7.2.1)"
            ),
        }
    }
}

impl std::error::Error for Error {}

impl From<record_layer::Error> for Error {
    fn from(e: record_layer::Error) -> Self {
        Self::Record(e)
    }
}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Self::Record(e.into())
    }
}

/// A signature check's failure, with the alert each cause deserves: a
/// certificate that holds no usable key keeps its certificate alert, a scheme
/// that does not fit the key is `illegal_parameter`, a signature that does
/// not verify is `decrypt_error`.
impl From<SignatureError> for Error {
    fn from(e: SignatureError) -> Self {
        match e {
            SignatureError::Certificate(c) => Self::Certificate(c),
            SignatureError::SchemeNotForKey { .. } => {
                Self::IllegalParameter("signature scheme does not fit the key")
            }
            SignatureError::BadSignature => Self::BadSignature,
            SignatureError::SigningFailed => Self::Internal("signing failed"),
        }
    }
}

/// An ECDHE failure: a bad peer point is `illegal_parameter` (RFC 8422
/// §5.10 asks the receiver to check it), the rest are our own.
impl From<KeyExchangeError> for Error {
    fn from(e: KeyExchangeError) -> Self {
        match e {
            KeyExchangeError::BadPeerPublicKey => Self::BadKeyShare,
            KeyExchangeError::UnsupportedGroup(_) => Self::NoCommonGroup,
            KeyExchangeError::Random => Self::Internal("key generation failed"),
        }
    }
}

impl From<CertificateError> for Error {
    fn from(e: CertificateError) -> Self {
        Self::Certificate(e)
    }
}
