//! The Alert protocol (RFC 5246 §7.2).
//!
//! ```text
//! enum { warning(1), fatal(2), (255) } AlertLevel;
//!
//! struct {
//!     AlertLevel level;
//!     AlertDescription description;
//! } Alert;
//! ```

use crate::codec::{Codec, DecodeError, Reader};

/// How many warning alerts in a row we accept. A warning needs no answer
/// (§7.2.2), so a peer could send them forever, keeping us busy for
/// nothing (CVE-2016-8610, "SSL Death Alert"); OpenSSL ends the connection
/// on the fifth in a row (`MAX_WARN_ALERT_COUNT`), and so do we, with
/// `unexpected_message`.
pub const MAX_WARNING_ALERTS: usize = 4;

/// `AlertLevel` (RFC 5246 §7.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertLevel {
    /// `warning(1)`.
    Warning,
    /// `fatal(2)`: the connection ends and its session is no longer resumable
    /// (§7.2: "the session identifier MUST be invalidated").
    Fatal,
}

crate::tls_enum! {
    /// `AlertDescription` (RFC 5246 §7.2, plus the extensions' additions).
    pub enum AlertDescription(u8), "Alert.description" {
        /// `close_notify(0)`, §7.2.1.
        CloseNotify = 0, "close_notify";
        /// `unexpected_message(10)`.
        UnexpectedMessage = 10, "unexpected_message";
        /// `bad_record_mac(20)`.
        BadRecordMac = 20, "bad_record_mac";
        /// `decryption_failed_RESERVED(21)`: never sent.
        DecryptionFailedReserved = 21, "decryption_failed_RESERVED";
        /// `record_overflow(22)`.
        RecordOverflow = 22, "record_overflow";
        /// `decompression_failure(30)`.
        DecompressionFailure = 30, "decompression_failure";
        /// `handshake_failure(40)`.
        HandshakeFailure = 40, "handshake_failure";
        /// `no_certificate_RESERVED(41)`: never sent.
        NoCertificateReserved = 41, "no_certificate_RESERVED";
        /// `bad_certificate(42)`.
        BadCertificate = 42, "bad_certificate";
        /// `unsupported_certificate(43)`.
        UnsupportedCertificate = 43, "unsupported_certificate";
        /// `certificate_revoked(44)`.
        CertificateRevoked = 44, "certificate_revoked";
        /// `certificate_expired(45)`.
        CertificateExpired = 45, "certificate_expired";
        /// `certificate_unknown(46)`.
        CertificateUnknown = 46, "certificate_unknown";
        /// `illegal_parameter(47)`.
        IllegalParameter = 47, "illegal_parameter";
        /// `unknown_ca(48)`.
        UnknownCa = 48, "unknown_ca";
        /// `access_denied(49)`.
        AccessDenied = 49, "access_denied";
        /// `decode_error(50)`.
        DecodeError = 50, "decode_error";
        /// `decrypt_error(51)`.
        DecryptError = 51, "decrypt_error";
        /// `export_restriction_RESERVED(60)`: never sent.
        ExportRestrictionReserved = 60, "export_restriction_RESERVED";
        /// `protocol_version(70)`.
        ProtocolVersion = 70, "protocol_version";
        /// `insufficient_security(71)`.
        InsufficientSecurity = 71, "insufficient_security";
        /// `internal_error(80)`.
        InternalError = 80, "internal_error";
        /// `inappropriate_fallback(86)`, RFC 7507.
        InappropriateFallback = 86, "inappropriate_fallback";
        /// `user_canceled(90)`.
        UserCanceled = 90, "user_canceled";
        /// `no_renegotiation(100)`, §7.2.2: always a warning.
        NoRenegotiation = 100, "no_renegotiation";
        /// `unsupported_extension(110)`.
        UnsupportedExtension = 110, "unsupported_extension";
        /// `unrecognized_name(112)`, RFC 6066 §3.
        UnrecognizedName = 112, "unrecognized_name";
        /// `no_application_protocol(120)`, RFC 7301 §3.2.
        NoApplicationProtocol = 120, "no_application_protocol";
    }
}

/// An `Alert` record body (RFC 5246 §7.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Alert {
    /// `level`.
    pub level: AlertLevel,
    /// `description`.
    pub description: AlertDescription,
}

impl Alert {
    /// A fatal alert with this description.
    pub fn fatal(description: AlertDescription) -> Self {
        Self {
            level: AlertLevel::Fatal,
            description,
        }
    }

    /// `close_notify` (§7.2.1), sent as a warning as every peer expects.
    pub fn close_notify() -> Self {
        Self {
            level: AlertLevel::Warning,
            description: AlertDescription::CloseNotify,
        }
    }
}

impl core::fmt::Display for Alert {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let level = match self.level {
            AlertLevel::Warning => "warning",
            AlertLevel::Fatal => "fatal",
        };
        write!(f, "{level} alert {}", self.description.rfc_name())?;
        if let AlertDescription::Unknown(v) = self.description {
            write!(f, "({v})")?;
        }
        Ok(())
    }
}

impl Codec for Alert {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(match self.level {
            AlertLevel::Warning => 1,
            AlertLevel::Fatal => 2,
        });
        out.push(self.description.value());
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let level = match r.u8("Alert.level")? {
            1 => AlertLevel::Warning,
            2 => AlertLevel::Fatal,
            _ => {
                return Err(DecodeError::InvalidValue {
                    what: "Alert.level",
                })
            }
        };
        let description = AlertDescription::from_value(r.u8("Alert.description")?);
        Ok(Self { level, description })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip() {
        for v in 0..=255u8 {
            assert_eq!(AlertDescription::from_value(v).value(), v);
        }
        assert_eq!(AlertDescription::BadRecordMac.value(), 20);
        assert_eq!(
            AlertDescription::from_value(112),
            AlertDescription::UnrecognizedName
        );
    }

    #[test]
    fn alert_encoding() {
        let a = Alert::fatal(AlertDescription::HandshakeFailure);
        assert_eq!(a.to_bytes(), [2, 40]);
        assert_eq!(Alert::from_bytes(&[2, 40], "Alert").unwrap(), a);
        assert!(Alert::from_bytes(&[3, 40], "Alert").is_err());
        assert!(Alert::from_bytes(&[2], "Alert").is_err());
        assert_eq!(a.to_string(), "fatal alert handshake_failure");
    }
}
