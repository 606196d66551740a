//! Records (RFC 5246 §6.2.1).
//!
//! ```text
//! struct {
//!     uint8 major;
//!     uint8 minor;
//! } ProtocolVersion;
//!
//! enum {
//!     change_cipher_spec(20), alert(21), handshake(22),
//!     application_data(23), (255)
//! } ContentType;
//!
//! struct {
//!     ContentType type;
//!     ProtocolVersion version;
//!     uint16 length;
//!     opaque fragment[TLSPlaintext.length];
//! } TLSPlaintext;
//! ```

use crate::error::Error;

/// `ContentType` (RFC 5246 §6.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentType {
    /// `change_cipher_spec(20)`, §7.1.
    ChangeCipherSpec,
    /// `alert(21)`, §7.2.
    Alert,
    /// `handshake(22)`, §7.4.
    Handshake,
    /// `application_data(23)`, §10.
    ApplicationData,
}

impl ContentType {
    /// The wire value.
    pub fn value(self) -> u8 {
        match self {
            Self::ChangeCipherSpec => 20,
            Self::Alert => 21,
            Self::Handshake => 22,
            Self::ApplicationData => 23,
        }
    }

    /// The content type for a wire value; an unknown one is the peer's error
    /// (§6: "it MUST send an unexpected_message alert").
    pub fn from_value(v: u8) -> Result<Self, Error> {
        Ok(match v {
            20 => Self::ChangeCipherSpec,
            21 => Self::Alert,
            22 => Self::Handshake,
            23 => Self::ApplicationData,
            other => return Err(Error::UnknownContentType(other)),
        })
    }
}

/// `ProtocolVersion` (RFC 5246 §6.2.1), kept as the two bytes `major, minor`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ProtocolVersion(pub u16);

impl ProtocolVersion {
    /// `{3, 1}`: TLS 1.0, which many clients put on their first ClientHello
    /// record for compatibility (§E.1).
    pub const TLS1_0: Self = Self(0x0301);
    /// `{3, 3}`: TLS 1.2.
    pub const TLS1_2: Self = Self(0x0303);

    /// The two wire bytes.
    pub fn to_bytes(self) -> [u8; 2] {
        self.0.to_be_bytes()
    }
}
