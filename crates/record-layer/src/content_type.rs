//! `ContentType` (RFC 5246 §6.2.1): which protocol a record carries.
//!
//! ```text
//! enum {
//!     change_cipher_spec(20), alert(21), handshake(22),
//!     application_data(23), (255)
//! } ContentType;
//! ```
//!
//! Read it as part of [`record`](crate::record), which re-exports it: it
//! has a file of its own only so that [`error`](crate::error) can name it
//! without importing `record`.

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

    /// The content type for a wire value, or `None` for one we do not know
    /// (which [`RecordHeader::decode`](crate::record::RecordHeader::decode)
    /// refuses, §6: "it MUST send an unexpected_message alert").
    pub fn from_value(v: u8) -> Option<Self> {
        Some(match v {
            20 => Self::ChangeCipherSpec,
            21 => Self::Alert,
            22 => Self::Handshake,
            23 => Self::ApplicationData,
            _ => return None,
        })
    }
}
