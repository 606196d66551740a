//! Records (RFC 5246 §6.2.1). (being written)

/// `ContentType` (RFC 5246 §6.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentType {
    /// `change_cipher_spec(20)`.
    ChangeCipherSpec,
    /// `alert(21)`.
    Alert,
    /// `handshake(22)`.
    Handshake,
    /// `application_data(23)`.
    ApplicationData,
}
