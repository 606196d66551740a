//! What can go wrong below the handshake, and which alert says so (RFC 5246 §7.2.2).
//!
//! Each variant says what the *peer* did (or what we refused to do), at least
//! as precisely as the alert it maps to. [`Error::alert`] is the one place
//! where a record-layer error becomes an alert description.

use core::fmt;

use crate::alert::{Alert, AlertDescription};
use crate::codec::DecodeError;
use crate::content_type::ContentType;

/// A record-layer failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// A structure could not be decoded (§7.2.2 `decode_error`).
    Decode(DecodeError),
    /// A record's length field is over the limit for its kind
    /// (§6.2.1: TLSPlaintext.length MUST NOT exceed 2^14; §6.2.3: a
    /// TLSCiphertext MUST NOT exceed 2^14 + 2048).
    RecordOverflow {
        /// The length field's value.
        length: usize,
        /// The most allowed.
        limit: usize,
    },
    /// A record with a content type we do not know (§6: "If a TLS
    /// implementation receives an unexpected record type, it MUST send an
    /// unexpected_message alert").
    UnknownContentType(u8),
    /// A zero-length Handshake, Alert or ChangeCipherSpec fragment (§6.2.1).
    EmptyFragment(ContentType),
    /// More ignored records (empty application data, warning alerts,
    /// HelloRequests during a handshake) with no application data between
    /// them than we accept
    /// ([`crate::deframer::MAX_IGNORED_RECORDS`]): a peer that sends an
    /// endless run of them is stalling us.
    TooManyIgnoredRecords,
    /// More warning alerts in a row than we accept
    /// ([`crate::alert::MAX_WARNING_ALERTS`]).
    TooManyWarningAlerts,
    /// A record header whose version is not TLS-like (major version 3) or not
    /// the negotiated one (§6.2.1 `protocol_version`).
    BadRecordVersion(u16),
    /// A record failed AEAD authentication (§6.2.3.3 `bad_record_mac`).
    BadRecordMac,
    /// A handshake message arrived where the protocol does not allow it
    /// (§7.3, §7.4: the messages come in one order); the string says which
    /// message or rule.
    UnexpectedMessage(&'static str),
    /// A record of a known type arrived where its type is not allowed (§6:
    /// "If a TLS implementation receives an unexpected record type, it MUST
    /// send an unexpected_message alert"): application data before the
    /// first handshake's keys, a ChangeCipherSpec where a handshake message
    /// is due or the other way round; the string says which rule.
    UnexpectedRecord(&'static str),
    /// Handshake bytes buffered where the peer's handshake data must end:
    /// at its ChangeCipherSpec (§7.1: the rest would be read under other
    /// keys), at the end of a flight it must wait after (§7.3), or at the
    /// end of a handshake. The string says which boundary.
    ExcessHandshakeData(&'static str),
    /// A handshake message longer than we are willing to buffer.
    HandshakeMessageTooLarge {
        /// The message's `uint24 length`.
        length: usize,
        /// The most we buffer.
        limit: usize,
    },
    /// A ChangeCipherSpec whose body is not the single byte 1 (§7.1).
    BadChangeCipherSpec,
    /// The 64-bit sequence number would wrap (§6.1: "Sequence numbers ...
    /// may not exceed 2^64-1"); the connection must be renegotiated or closed.
    SequenceNumberExhausted,
    /// Our own code broke a rule of the record layer's API (a bug here, never
    /// the peer's doing), e.g. a ChangeCipherSpec sent with no pending write
    /// state. §7.2.2 `internal_error`: "An internal error unrelated to the
    /// peer or the correctness of the protocol ... makes it impossible to
    /// continue."
    Internal(&'static str),
    /// The peer sent us this alert. Nothing is sent back for a fatal one.
    PeerAlert(Alert),
}

impl Error {
    /// The alert to send for this error, or `None` when nothing should be
    /// sent (the peer already ended the connection with an alert).
    ///
    /// This is the single mapping from record-layer errors to alerts.
    pub fn alert(&self) -> Option<AlertDescription> {
        Some(match self {
            // A duplicate is well-formed bytes with an illegal meaning; this
            // is the alert OpenSSL and RFC 8446 §4.2 use for it.
            Self::Decode(DecodeError::Duplicate { .. } | DecodeError::Illegal { .. }) => {
                AlertDescription::IllegalParameter
            }
            Self::Decode(_) | Self::BadChangeCipherSpec => AlertDescription::DecodeError,
            Self::RecordOverflow { .. } => AlertDescription::RecordOverflow,
            Self::UnknownContentType(_)
            | Self::EmptyFragment(_)
            | Self::TooManyIgnoredRecords
            | Self::TooManyWarningAlerts
            | Self::UnexpectedMessage(_)
            | Self::UnexpectedRecord(_)
            | Self::ExcessHandshakeData(_) => AlertDescription::UnexpectedMessage,
            Self::BadRecordVersion(_) => AlertDescription::ProtocolVersion,
            Self::BadRecordMac => AlertDescription::BadRecordMac,
            // OpenSSL answers an excessive message size the same way.
            Self::HandshakeMessageTooLarge { .. } => AlertDescription::IllegalParameter,
            Self::SequenceNumberExhausted | Self::Internal(_) => AlertDescription::InternalError,
            Self::PeerAlert(_) => return None,
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Decode(e) => write!(f, "malformed message: {e}"),
            Self::RecordOverflow { length, limit } => {
                write!(f, "record of {length} bytes is over the limit of {limit}")
            }
            Self::UnknownContentType(t) => write!(f, "record with unknown content type {t}"),
            Self::EmptyFragment(t) => write!(f, "zero-length {t:?} fragment"),
            Self::TooManyIgnoredRecords => write!(
                f,
                "more than {} ignored records (empty application data, warning alerts, \
                 HelloRequests) without application data",
                crate::deframer::MAX_IGNORED_RECORDS
            ),
            Self::TooManyWarningAlerts => write!(
                f,
                "more than {} warning alerts in a row",
                crate::alert::MAX_WARNING_ALERTS
            ),
            Self::BadRecordVersion(v) => write!(f, "record version {v:#06x} not accepted"),
            Self::BadRecordMac => write!(f, "record failed authentication (bad_record_mac)"),
            Self::UnexpectedMessage(why) => write!(f, "unexpected message: {why}"),
            Self::UnexpectedRecord(why) => write!(f, "unexpected record: {why}"),
            Self::ExcessHandshakeData(why) => write!(f, "handshake data left over {why}"),
            Self::HandshakeMessageTooLarge { length, limit } => {
                write!(
                    f,
                    "handshake message of {length} bytes is over the limit of {limit}"
                )
            }
            Self::BadChangeCipherSpec => write!(f, "ChangeCipherSpec body is not the byte 1"),
            Self::SequenceNumberExhausted => write!(f, "sequence number space exhausted"),
            Self::Internal(why) => write!(f, "internal error: {why}"),
            Self::PeerAlert(a) => write!(f, "peer sent {a}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Self::Decode(e)
    }
}
