//! Records (RFC 5246 §6.2.1): the header, its checks (with the §6.2.3
//! ciphertext limit), and the fragmentation of outgoing data.
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

// `ContentType` is written in its own file so that `error.rs`, which names
// it (`Error::EmptyFragment`), need not import this module, which returns
// `Error`s: the record layer's modules import each other in one direction.
pub use crate::content_type::ContentType;

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

/// The largest `TLSPlaintext.length` (§6.2.1: "The length MUST NOT exceed
/// 2^14").
pub const MAX_PLAINTEXT: usize = 1 << 14;

/// The largest `TLSCiphertext.length` (§6.2.3: "The length MUST NOT exceed
/// 2^14 + 2048").
pub const MAX_CIPHERTEXT: usize = (1 << 14) + 2048;

/// Bytes in a record header: `type`, `version` and `length` (§6.2.1).
pub const HEADER_LEN: usize = 5;

/// The header every record starts with (§6.2.1, §6.2.3): `ContentType type;
/// ProtocolVersion version; uint16 length;`. The same five bytes head a
/// `TLSPlaintext` and a `TLSCiphertext`; `length` counts the fragment that
/// follows, whichever it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordHeader {
    /// `type`: the higher-level protocol the fragment belongs to.
    pub content_type: ContentType,
    /// `version`: the record-layer version.
    pub version: ProtocolVersion,
    /// `length`: bytes of fragment after the header.
    pub length: u16,
}

impl RecordHeader {
    /// The five wire bytes.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let [major, minor] = self.version.to_bytes();
        let [len_hi, len_lo] = self.length.to_be_bytes();
        [self.content_type.value(), major, minor, len_hi, len_lo]
    }

    /// Reads a header from the wire and checks what can be checked before
    /// the fragment arrives: a known `type`, a `{3, x}` version, and the
    /// `TLSCiphertext` length limit. Whether the version is the negotiated
    /// one, and the tighter `TLSPlaintext` limit ([`check_plaintext`]), are
    /// the caller's to check, since only it knows the connection's state.
    pub fn decode(bytes: &[u8; HEADER_LEN]) -> Result<Self, Error> {
        let [content_type, major, minor, len_hi, len_lo] = *bytes;
        // §6: "If a TLS implementation receives an unexpected record type, it
        // MUST send an unexpected_message alert."
        let content_type =
            ContentType::from_value(content_type).ok_or(Error::UnknownContentType(content_type))?;
        let version = ProtocolVersion(u16::from_be_bytes([major, minor]));
        // §E.1: servers "MUST accept any value {03,XX} as the record layer
        // version number for ClientHello", so only the major version is
        // checked here.
        if major != 3 {
            return Err(Error::BadRecordVersion(version.0));
        }
        let length = u16::from_be_bytes([len_hi, len_lo]);
        // §6.2.3: TLSCiphertext "length MUST NOT exceed 2^14 + 2048."
        if usize::from(length) > MAX_CIPHERTEXT {
            return Err(Error::RecordOverflow {
                length: usize::from(length),
                limit: MAX_CIPHERTEXT,
            });
        }
        Ok(Self {
            content_type,
            version,
            length,
        })
    }
}

/// Checks a `TLSPlaintext` fragment of `length` bytes and type
/// `content_type` (§6.2.1): the fragment of a record received before any
/// protection is active, or what a protected record opened to.
///
/// §7.2.2 allows a decrypted record up to 2^14 + 1024 bytes, but that bound is
/// for `TLSCompressed`; with the null compression we always use,
/// `TLSCompressed` is `TLSPlaintext`, whose limit is 2^14.
pub fn check_plaintext(content_type: ContentType, length: usize) -> Result<(), Error> {
    // §6.2.1: TLSPlaintext "length MUST NOT exceed 2^14."
    if length > MAX_PLAINTEXT {
        return Err(Error::RecordOverflow {
            length,
            limit: MAX_PLAINTEXT,
        });
    }
    // §6.2.1: "Implementations MUST NOT send zero-length fragments of
    // Handshake, Alert, or ChangeCipherSpec content types. Zero-length
    // fragments of Application data MAY be sent".
    if length == 0 && content_type != ContentType::ApplicationData {
        return Err(Error::EmptyFragment(content_type));
    }
    Ok(())
}

/// Splits `payload`, the data of one content type, into the fragments of
/// successive records (§6.2.1: "The record layer fragments information blocks
/// into TLSPlaintext records carrying data in chunks of 2^14 bytes or less").
///
/// `max_fragment` is clamped to `1..=MAX_PLAINTEXT`, so a smaller limit (RFC
/// 6066's max_fragment_length, or a test) is honoured and the RFC's never
/// exceeded. Every fragment is non-empty, so this never produces the
/// zero-length Handshake, Alert or ChangeCipherSpec fragments §6.2.1 forbids;
/// an empty `payload` produces no fragment at all.
pub fn fragments(payload: &[u8], max_fragment: usize) -> core::slice::Chunks<'_, u8> {
    payload.chunks(max_fragment.clamp(1, MAX_PLAINTEXT))
}

/// Where [`write_record`] put the parts of one record in the output buffer,
/// so record protection can fill them in place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordLayout {
    /// The five header bytes; `length` already counts both overheads.
    pub header: core::ops::Range<usize>,
    /// Room before the fragment, zero-filled: for an AEAD suite, the explicit
    /// nonce (§6.2.3.3 `GenericAEADCipher.nonce_explicit`).
    pub overhead_before: core::ops::Range<usize>,
    /// The fragment's bytes, to be sealed in place.
    pub fragment: core::ops::Range<usize>,
    /// Room after the fragment, zero-filled: for an AEAD suite, the tag.
    pub overhead_after: core::ops::Range<usize>,
}

/// Appends one record to `out`: its header, `overhead_before` zero bytes,
/// `fragment`, and `overhead_after` zero bytes, with the header's `length`
/// counting all three. Nothing is allocated once `out` has grown to hold a
/// record; for an unprotected record both overheads are 0.
///
/// The fragment and overheads are ours, not the peer's; a record over
/// `MAX_PLAINTEXT` plaintext or `MAX_CIPHERTEXT` in all is a bug in the
/// caller and panics rather than send a record the peer must reject.
pub fn write_record(
    out: &mut Vec<u8>,
    content_type: ContentType,
    version: ProtocolVersion,
    fragment: &[u8],
    overhead_before: usize,
    overhead_after: usize,
) -> RecordLayout {
    let length = overhead_before + fragment.len() + overhead_after;
    assert!(
        fragment.len() <= MAX_PLAINTEXT && length <= MAX_CIPHERTEXT,
        "record of {} + {overhead_before} + {overhead_after} bytes is over the limits",
        fragment.len()
    );
    let header = RecordHeader {
        content_type,
        version,
        // Cannot truncate: MAX_CIPHERTEXT < 2^16, checked above.
        length: length as u16,
    };
    let start = out.len();
    out.reserve(HEADER_LEN + length);
    out.extend_from_slice(&header.encode());
    let before = out.len();
    out.resize(before + overhead_before, 0);
    let body = out.len();
    out.extend_from_slice(fragment);
    let after = out.len();
    out.resize(after + overhead_after, 0);
    RecordLayout {
        header: start..before,
        overhead_before: before..body,
        fragment: body..after,
        overhead_after: after..out.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::AlertDescription;

    fn header(content_type: ContentType, length: u16) -> RecordHeader {
        RecordHeader {
            content_type,
            version: ProtocolVersion::TLS1_2,
            length,
        }
    }

    #[test]
    fn header_layout_is_type_version_length() {
        let h = header(ContentType::Handshake, 0x0102);
        assert_eq!(h.encode(), [22, 3, 3, 1, 2]);
        assert_eq!(RecordHeader::decode(&h.encode()), Ok(h));
    }

    #[test]
    fn unknown_content_type_is_unexpected_message() {
        let err = RecordHeader::decode(&[24, 3, 3, 0, 1]).unwrap_err();
        assert_eq!(err, Error::UnknownContentType(24));
        assert_eq!(err.alert(), Some(AlertDescription::UnexpectedMessage));
    }

    #[test]
    fn any_3_x_version_is_accepted_but_not_other_majors() {
        let h = RecordHeader::decode(&[22, 3, 0, 0, 1]).unwrap();
        assert_eq!(h.version, ProtocolVersion(0x0300));
        let err = RecordHeader::decode(&[22, 2, 0, 0, 1]).unwrap_err();
        assert_eq!(err, Error::BadRecordVersion(0x0200));
        assert_eq!(err.alert(), Some(AlertDescription::ProtocolVersion));
    }

    #[test]
    fn ciphertext_limit_is_2_14_plus_2048() {
        let at_limit = (MAX_CIPHERTEXT as u16).to_be_bytes();
        let over = (MAX_CIPHERTEXT as u16 + 1).to_be_bytes();
        assert!(RecordHeader::decode(&[23, 3, 3, at_limit[0], at_limit[1]]).is_ok());
        let err = RecordHeader::decode(&[23, 3, 3, over[0], over[1]]).unwrap_err();
        assert_eq!(
            err,
            Error::RecordOverflow {
                length: MAX_CIPHERTEXT + 1,
                limit: MAX_CIPHERTEXT
            }
        );
        assert_eq!(err.alert(), Some(AlertDescription::RecordOverflow));
    }

    #[test]
    fn plaintext_limit_is_2_14() {
        assert_eq!(
            check_plaintext(ContentType::ApplicationData, MAX_PLAINTEXT),
            Ok(())
        );
        let err = check_plaintext(ContentType::ApplicationData, MAX_PLAINTEXT + 1).unwrap_err();
        assert_eq!(err.alert(), Some(AlertDescription::RecordOverflow));
    }

    #[test]
    fn only_application_data_may_be_empty() {
        assert_eq!(check_plaintext(ContentType::ApplicationData, 0), Ok(()));
        for t in [
            ContentType::Handshake,
            ContentType::Alert,
            ContentType::ChangeCipherSpec,
        ] {
            assert_eq!(check_plaintext(t, 0), Err(Error::EmptyFragment(t)));
            assert_eq!(
                Error::EmptyFragment(t).alert(),
                Some(AlertDescription::UnexpectedMessage)
            );
            assert_eq!(check_plaintext(t, 1), Ok(()));
        }
    }

    #[test]
    fn fragments_cover_the_payload_in_bounded_non_empty_pieces() {
        let payload: Vec<u8> = (0..40_000u32).map(|i| i as u8).collect();
        let pieces: Vec<&[u8]> = fragments(&payload, usize::MAX).collect();
        assert_eq!(
            pieces.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [MAX_PLAINTEXT, MAX_PLAINTEXT, 40_000 - 2 * MAX_PLAINTEXT]
        );
        assert_eq!(pieces.concat(), payload);
        assert_eq!(fragments(&payload[..10], 4).count(), 3);
        // A zero limit would mean empty fragments forever; it is clamped.
        assert_eq!(fragments(&payload[..3], 0).count(), 3);
        assert_eq!(fragments(&[], 100).count(), 0);
    }

    #[test]
    fn write_record_leaves_room_for_protection() {
        let mut out = vec![0xee];
        let layout = write_record(
            &mut out,
            ContentType::ApplicationData,
            ProtocolVersion::TLS1_2,
            b"hello",
            8,
            16,
        );
        assert_eq!(layout.header, 1..6);
        assert_eq!(layout.overhead_before, 6..14);
        assert_eq!(layout.fragment, 14..19);
        assert_eq!(layout.overhead_after, 19..35);
        assert_eq!(out.len(), 35);
        let h = RecordHeader::decode(&[out[1], out[2], out[3], out[4], out[5]]).unwrap();
        assert_eq!(h, header(ContentType::ApplicationData, 8 + 5 + 16));
        assert_eq!(&out[layout.fragment], b"hello");
        assert!(out[layout.overhead_before].iter().all(|b| *b == 0));
    }

    #[test]
    #[should_panic(expected = "over the limits")]
    fn write_record_refuses_oversize_fragment() {
        let big = vec![0; MAX_PLAINTEXT + 1];
        write_record(
            &mut Vec::new(),
            ContentType::ApplicationData,
            ProtocolVersion::TLS1_2,
            &big,
            0,
            0,
        );
    }
}
