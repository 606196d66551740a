//! The one mapping from our [`Error`] to the reason strings BoringSSL
//! prints (`:DECODE_ERROR:`, `:BAD_SIGNATURE:`, ...), which the runner's
//! tests expect on the shim's stderr.
//!
//! Our errors say what the peer did; BoringSSL's reasons often say the same
//! at a different grain. Where one of our variants covers several of
//! BoringSSL's reasons, its RFC-rule string (the `&'static str` the variant
//! carries) decides.

use tls12::record_layer::codec::DecodeError;
use tls12::record_layer::record::MAX_CIPHERTEXT;
use tls12::record_layer::Error as RecordError;
use tls12::{AlertDescription, CertificateError, Error};

/// BoringSSL's reason for `e`, as `:REASON:`.
pub fn reason(e: &Error) -> String {
    let r = match e {
        Error::Record(e) => return record_reason(e),
        Error::Certificate(e) => certificate_reason(e),
        Error::UnsupportedVersion(_) => "UNSUPPORTED_PROTOCOL",
        // Only a server chooses a scheme with its suite: BoringSSL's TLS 1.2
        // servers choose both at once and report either as no shared cipher.
        Error::NoCommonCipherSuite | Error::NoCommonSignatureScheme => "NO_SHARED_CIPHER",
        Error::CertificateCurveNotOffered(_) => "WRONG_CURVE",
        Error::NoCommonGroup => "NO_SHARED_GROUP",
        Error::UnrecognizedName(_) => "UNRECOGNIZED_NAME",
        Error::NoCommonApplicationProtocol => "NO_APPLICATION_PROTOCOL",
        Error::UnsupportedExtension => "UNEXPECTED_EXTENSION",
        Error::IllegalParameter(why) => illegal_parameter_reason(why),
        Error::BadSignature => "BAD_SIGNATURE",
        Error::BadFinished => "DIGEST_CHECK_FAILED",
        Error::BadKeyShare => "BAD_ECPOINT",
        Error::ClientCertificateRequired => "PEER_DID_NOT_RETURN_A_CERTIFICATE",
        Error::SecureRenegotiation(_) => "RENEGOTIATION_MISMATCH",
        Error::PeerLacksSecureRenegotiation => "NO_RENEGOTIATION",
        Error::ServerCertificateChanged => "SERVER_CERT_CHANGED",
        Error::ExtendedMasterSecretRequired => "RESUMED_EMS_SESSION_WITHOUT_EMS_EXTENSION",
        Error::Config(_) | Error::Internal(_) => "INTERNAL_ERROR",
        Error::Closed => "PROTOCOL_IS_SHUTDOWN",
    };
    format!(":{r}:")
}

/// `illegal_parameter`: our variant names the RFC rule; BoringSSL has a
/// reason per rule.
fn illegal_parameter_reason(why: &str) -> &'static str {
    match why {
        "server chose a cipher suite we did not offer" => "WRONG_CIPHER_RETURNED",
        "server resumed with another cipher suite than the session's" => {
            "OLD_SESSION_CIPHER_NOT_RETURNED"
        }
        "server chose a group we did not offer" => "WRONG_CURVE",
        "server chose an ALPN protocol we did not offer" => "INVALID_ALPN_PROTOCOL",
        "server certificate key does not fit the cipher suite" => "WRONG_CERTIFICATE_TYPE",
        "server certificate key is on a curve we did not offer" => "BAD_ECC_CERT",
        "renegotiation changed the extended master secret" => "RENEGOTIATION_EMS_MISMATCH",
        "signature algorithm not offered or not fitting the suite"
        | "CertificateVerify with a scheme we did not offer"
        | "signature scheme does not fit the key" => "WRONG_SIGNATURE_TYPE",
        "ClientHello without null compression" => "INVALID_COMPRESSION_LIST",
        "server chose a compression method we did not offer" => "UNSUPPORTED_COMPRESSION_ALGORITHM",
        "ec_point_formats without uncompressed" => "ERROR_PARSING_EXTENSION",
        _ => "ILLEGAL_PARAMETER",
    }
}

fn record_reason(e: &RecordError) -> String {
    let r = match e {
        RecordError::Decode(e) => decode_reason(e),
        // §6.2.3's limit on the record as sent, before it is opened.
        RecordError::RecordOverflow { limit, .. } if *limit == MAX_CIPHERTEXT => {
            "ENCRYPTED_LENGTH_TOO_LONG"
        }
        RecordError::RecordOverflow { .. } => "DATA_LENGTH_TOO_LONG",
        RecordError::UnknownContentType(_) | RecordError::EmptyFragment(_) => "UNEXPECTED_RECORD",
        RecordError::TooManyIgnoredRecords => "TOO_MANY_EMPTY_FRAGMENTS",
        RecordError::TooManyWarningAlerts => "TOO_MANY_WARNING_ALERTS",
        RecordError::BadRecordVersion(_) => "WRONG_VERSION_NUMBER",
        RecordError::BadRecordMac => "DECRYPTION_FAILED_OR_BAD_RECORD_MAC",
        RecordError::UnexpectedMessage(_) => "UNEXPECTED_MESSAGE",
        RecordError::UnexpectedRecord(_) => "UNEXPECTED_RECORD",
        RecordError::ExcessHandshakeData(_) => "EXCESS_HANDSHAKE_DATA",
        RecordError::HandshakeMessageTooLarge { .. } => "EXCESSIVE_MESSAGE_SIZE",
        RecordError::BadChangeCipherSpec => "BAD_CHANGE_CIPHER_SPEC",
        RecordError::PeerAlert(alert) => return alert_reason(alert.description),
        _ => "INTERNAL_ERROR",
    };
    format!(":{r}:")
}

/// `decode_error`: BoringSSL names some structures in its reason.
fn decode_reason(e: &DecodeError) -> &'static str {
    match (e, e.what()) {
        (DecodeError::Duplicate { .. }, _) => "DUPLICATE_EXTENSION",
        (DecodeError::InvalidValue { .. }, "Alert.level") => "UNKNOWN_ALERT_TYPE",
        // Cut short (fragmented across records) or followed by another.
        (_, "Alert" | "Alert.level" | "Alert.description") => "BAD_ALERT",
        (_, "HelloRequest") => "BAD_HELLO_REQUEST",
        (_, "ProtocolNameList" | "ProtocolName") => "PARSE_TLSEXT",
        _ => "DECODE_ERROR",
    }
}

fn certificate_reason(e: &CertificateError) -> &'static str {
    match e {
        CertificateError::EmptyChain => "PEER_DID_NOT_RETURN_A_CERTIFICATE",
        CertificateError::BadEncoding { index: 0, .. } => "CANNOT_PARSE_LEAF_CERT",
        CertificateError::WrongKeyUsage {
            needed: "digitalSignature",
            ..
        } => "KEY_USAGE_BIT_INCORRECT",
        // A key BoringSSL cannot parse (an id-RSASSA-PSS one, say).
        CertificateError::UnsupportedKey { .. } => "UNSUPPORTED_ALGORITHM",
        _ => "CERTIFICATE_VERIFY_FAILED",
    }
}

/// A fatal alert from the peer: BoringSSL names it after the SSL 3.0 or
/// TLS 1.0 specification that introduced it.
fn alert_reason(d: AlertDescription) -> String {
    let name = d.rfc_name().to_ascii_uppercase();
    let sslv3 = matches!(
        d,
        AlertDescription::CloseNotify
            | AlertDescription::UnexpectedMessage
            | AlertDescription::BadRecordMac
            | AlertDescription::DecompressionFailure
            | AlertDescription::HandshakeFailure
            | AlertDescription::BadCertificate
            | AlertDescription::UnsupportedCertificate
            | AlertDescription::CertificateRevoked
            | AlertDescription::CertificateExpired
            | AlertDescription::CertificateUnknown
            | AlertDescription::IllegalParameter
    );
    let tls_extension = matches!(
        d,
        AlertDescription::UnsupportedExtension | AlertDescription::UnrecognizedName
    );
    match (sslv3, tls_extension) {
        (true, _) => format!(":SSLV3_ALERT_{name}:"),
        (false, true) => format!(":TLSV1_{name}:"),
        (false, false) => format!(":TLSV1_ALERT_{name}:"),
    }
}
