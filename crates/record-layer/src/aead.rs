//! AEAD record protection (RFC 5246 §6.2.3.3, RFC 5288 §3 for AES-GCM,
//! RFC 7905 §2 for ChaCha20-Poly1305).
//!
//! ```text
//! struct {
//!    opaque nonce_explicit[SecurityParameters.record_iv_length];
//!    aead-ciphered struct {
//!        opaque content[TLSCompressed.length];
//!    };
//! } GenericAEADCipher;
//!
//! additional_data = seq_num + TLSCompressed.type +
//!                   TLSCompressed.version + TLSCompressed.length;
//! ```
//!
//! With null compression (the only kind we speak), `TLSCompressed` is the
//! `TLSPlaintext`: `length` in the additional data is the *plaintext*
//! length, not the length on the wire.
//!
//! A [`CipherState`] protects one direction of one connection (Go's
//! `halfConn`): an AEAD key, the fixed IV from the key block, and the 64-bit
//! sequence number. It seals and opens records in place in the caller's
//! buffer; no record costs an allocation.

use core::fmt;

use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey, NONCE_LEN};

use crate::error::Error;
use crate::record::{ContentType, ProtocolVersion, HEADER_LEN, MAX_PLAINTEXT};
use crate::secret::SecretBytes;

/// The AEAD of a cipher suite, with the lengths RFC 5246 §6.2.3.3 asks
/// each AEAD suite to specify.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BulkAlgorithm {
    /// AEAD_AES_128_GCM (RFC 5116 §5.1) as RFC 5288 §3 uses it.
    Aes128Gcm,
    /// AEAD_AES_256_GCM (RFC 5116 §5.2) as RFC 5288 §3 uses it.
    Aes256Gcm,
    /// AEAD_CHACHA20_POLY1305 (RFC 8439 §2.8) as RFC 7905 §2 uses it.
    ChaCha20Poly1305,
}

impl BulkAlgorithm {
    /// `SecurityParameters.enc_key_length`: bytes of `client_write_key` and
    /// of `server_write_key` (§6.3).
    pub fn key_len(self) -> usize {
        match self {
            Self::Aes128Gcm => 16,
            Self::Aes256Gcm | Self::ChaCha20Poly1305 => 32,
        }
    }

    /// `SecurityParameters.fixed_iv_length`: bytes of `client_write_IV` and
    /// of `server_write_IV` (§6.3). RFC 5288 §3: "The salt length
    /// (SecurityParameters.fixed_iv_length) is 4 octets"; RFC 7905 §2:
    /// "SecurityParameters.fixed_iv_length is twelve bytes".
    pub fn fixed_iv_len(self) -> usize {
        match self {
            Self::Aes128Gcm | Self::Aes256Gcm => 4,
            Self::ChaCha20Poly1305 => 12,
        }
    }

    /// `SecurityParameters.record_iv_length`: bytes of
    /// `GenericAEADCipher.nonce_explicit` in each record. RFC 5288 §3: "The
    /// nonce_explicit length (SecurityParameters.record_iv_length) is 8
    /// octets"; RFC 7905 §2: "record_iv_length is zero bytes".
    pub fn record_iv_len(self) -> usize {
        match self {
            Self::Aes128Gcm | Self::Aes256Gcm => 8,
            Self::ChaCha20Poly1305 => 0,
        }
    }

    /// Bytes the authentication tag adds after the ciphertext: 16 for all
    /// three (RFC 5288 §3: "each of these AEAD algorithms uses a 128-bit
    /// authentication tag"; RFC 8439 §2.8).
    pub fn tag_len(self) -> usize {
        16
    }

    /// Bytes of key_block an AEAD suite uses (§6.3; AEAD suites have no MAC
    /// keys): two write keys and two write IVs.
    pub fn key_block_len(self) -> usize {
        2 * self.key_len() + 2 * self.fixed_iv_len()
    }

    /// The `ring` algorithm that implements it.
    pub fn ring_algorithm(self) -> &'static aead::Algorithm {
        match self {
            Self::Aes128Gcm => &aead::AES_128_GCM,
            Self::Aes256Gcm => &aead::AES_256_GCM,
            Self::ChaCha20Poly1305 => &aead::CHACHA20_POLY1305,
        }
    }
}

/// The protection of one direction of a connection (§6.1's "connection
/// state", for one of read or write): the AEAD keyed with `client_write_key`
/// or `server_write_key`, the matching write IV, and the sequence number.
///
/// Made active only through [`CipherStates`](crate::states::CipherStates)
/// in a connection; usable on its own for tests and benchmarks.
pub struct CipherState {
    bulk: BulkAlgorithm,
    key: LessSafeKey,
    /// The write IV, left-aligned in a nonce-sized buffer: RFC 5288's 4-byte
    /// salt followed by 8 zero bytes, or RFC 7905's whole 12-byte IV.
    iv: SecretBytes<NONCE_LEN>,
    /// The sequence number of the next record (§6.1).
    seq_num: u64,
}

impl CipherState {
    /// A state at sequence number 0 (§6.1: "the first record transmitted
    /// under a particular connection state MUST use sequence number 0"),
    /// keyed with `write_key` and `write_iv` from the key block (§6.3).
    ///
    /// Lengths that do not fit `bulk` are a bug in the caller:
    /// [`Error::Internal`].
    pub fn new(bulk: BulkAlgorithm, write_key: &[u8], write_iv: &[u8]) -> Result<Self, Error> {
        if write_key.len() != bulk.key_len() {
            return Err(Error::Internal("write key length does not fit the AEAD"));
        }
        if write_iv.len() != bulk.fixed_iv_len() {
            return Err(Error::Internal("write IV length does not fit the AEAD"));
        }
        let key = UnboundKey::new(bulk.ring_algorithm(), write_key)
            .map_err(|_| Error::Internal("write key rejected by the AEAD"))?;
        let mut iv = SecretBytes::zeroed();
        // fixed_iv_len() <= NONCE_LEN for every bulk algorithm.
        iv.as_mut_bytes()[..write_iv.len()].copy_from_slice(write_iv);
        Ok(Self {
            bulk,
            key: LessSafeKey::new(key),
            iv,
            seq_num: 0,
        })
    }

    /// The AEAD in use.
    pub fn bulk(&self) -> BulkAlgorithm {
        self.bulk
    }

    /// The sequence number the next record will be sealed or opened with
    /// (§6.1), for traces and tests.
    pub fn seq_num(&self) -> u64 {
        self.seq_num
    }

    /// Moves the sequence number forward as if `records` records had been
    /// processed; at the top it stays exhausted rather than wrap. Only
    /// forward, so a nonce can never be reused. For replaying captured
    /// records that start mid-connection, and for test vectors at sequence
    /// numbers above 2^32; the protocol itself never skips.
    pub fn skip(&mut self, records: u64) {
        self.seq_num = self.seq_num.saturating_add(records);
    }

    /// Bytes [`seal`](Self::seal) expects between the header and the
    /// plaintext: room for `GenericAEADCipher.nonce_explicit`.
    pub fn nonce_explicit_len(&self) -> usize {
        self.bulk.record_iv_len()
    }

    /// Bytes [`seal`](Self::seal) expects after the plaintext: room for the
    /// tag.
    pub fn tag_len(&self) -> usize {
        self.bulk.tag_len()
    }

    /// Protects one record in place (§6.2.3.3).
    ///
    /// `record` is the whole record as
    /// [`write_record`](crate::record::write_record) lays it out: the
    /// 5-byte header, whose `length` already counts the overheads, then
    /// [`nonce_explicit_len`](Self::nonce_explicit_len) bytes of room, the
    /// plaintext, and [`tag_len`](Self::tag_len) bytes of room. Afterwards
    /// it is the `TLSCiphertext` to send. A layout that does not add up is a
    /// bug in the caller: [`Error::Internal`].
    pub fn seal(&mut self, record: &mut [u8]) -> Result<(), Error> {
        let (header, fragment) = record
            .split_at_mut_checked(HEADER_LEN)
            .ok_or(Error::Internal("record shorter than its header"))?;
        let length = u16::from_be_bytes([header[3], header[4]]);
        if usize::from(length) != fragment.len() {
            return Err(Error::Internal(
                "record header length is not the fragment's",
            ));
        }
        let plaintext_len = fragment
            .len()
            .checked_sub(self.nonce_explicit_len() + self.tag_len())
            .ok_or(Error::Internal("record has no room for nonce and tag"))?;
        // §6.2.1: "The length MUST NOT exceed 2^14"; the caller fragments.
        if plaintext_len > MAX_PLAINTEXT {
            return Err(Error::Internal("plaintext over 2^14 bytes: fragment first"));
        }
        let seq_num = self.usable_seq_num()?;
        let aad = additional_data(seq_num, [header[0], header[1], header[2]], plaintext_len);

        let (nonce_explicit, rest) = fragment.split_at_mut(self.nonce_explicit_len());
        let (plaintext, tag_room) = rest.split_at_mut(plaintext_len);
        let nonce = match self.bulk {
            BulkAlgorithm::Aes128Gcm | BulkAlgorithm::Aes256Gcm => {
                // RFC 5288 §3: "Each value of the nonce_explicit MUST be
                // distinct for each distinct invocation of the GCM encrypt
                // function for any fixed key ... The nonce_explicit MAY be
                // the 64-bit sequence number." The sequence number never
                // repeats under one key, so neither does the nonce.
                let explicit = seq_num.to_be_bytes();
                nonce_explicit.copy_from_slice(&explicit);
                self.gcm_nonce(explicit)
            }
            BulkAlgorithm::ChaCha20Poly1305 => self.chacha_nonce(seq_num),
        };
        let tag = self
            .key
            .seal_in_place_separate_tag(nonce, Aad::from(aad), plaintext)
            .map_err(|_| Error::Internal("AEAD refused to seal"))?;
        tag_room.copy_from_slice(tag.as_ref());
        self.seq_num += 1;
        Ok(())
    }

    /// Authenticates and decrypts one record's fragment in place
    /// (§6.2.3.3), returning the plaintext: a sub-slice of `fragment`.
    ///
    /// `content_type` and `version` are the record header's; `fragment` is
    /// everything after the header (`nonce_explicit`, ciphertext, tag).
    pub fn open<'a>(
        &mut self,
        content_type: ContentType,
        version: ProtocolVersion,
        fragment: &'a mut [u8],
    ) -> Result<&'a mut [u8], Error> {
        let seq_num = self.usable_seq_num()?;
        // RFC 5288 §3: "Implementations MUST send TLS Alert bad_record_mac
        // for all types of failures encountered in processing the AES-GCM
        // algorithm": a fragment too short to hold a nonce and a tag is one.
        let plaintext_len = fragment
            .len()
            .checked_sub(self.nonce_explicit_len() + self.tag_len())
            .ok_or(Error::BadRecordMac)?;
        // §6.2.1: TLSPlaintext "length MUST NOT exceed 2^14". An AEAD's
        // plaintext length is fixed by its ciphertext's, so an oversized one
        // is refused before spending the work to decrypt it.
        if plaintext_len > MAX_PLAINTEXT {
            return Err(Error::RecordOverflow {
                length: plaintext_len,
                limit: MAX_PLAINTEXT,
            });
        }
        let [major, minor] = version.to_bytes();
        let aad = additional_data(seq_num, [content_type.value(), major, minor], plaintext_len);

        let (nonce_explicit, ciphertext_and_tag) = fragment.split_at_mut(self.nonce_explicit_len());
        let nonce = match self.bulk {
            BulkAlgorithm::Aes128Gcm | BulkAlgorithm::Aes256Gcm => {
                // RFC 5288 §3: nonce_explicit "is chosen by the sender and is
                // carried in each TLS record": take the peer's, which need
                // not be the sequence number (OpenSSL's servers send others).
                let explicit =
                    <[u8; 8]>::try_from(&*nonce_explicit).map_err(|_| Error::BadRecordMac)?;
                self.gcm_nonce(explicit)
            }
            BulkAlgorithm::ChaCha20Poly1305 => self.chacha_nonce(seq_num),
        };
        // §6.2.3.3: "If the decryption fails, a fatal bad_record_mac alert
        // MUST be generated."
        let plaintext = self
            .key
            .open_in_place(nonce, Aad::from(aad), ciphertext_and_tag)
            .map_err(|_| Error::BadRecordMac)?;
        self.seq_num += 1;
        Ok(plaintext)
    }

    /// The sequence number for this record, if it may still be used.
    ///
    /// §6.1: "Sequence numbers are of type uint64 and may not exceed
    /// 2^64-1. Sequence numbers do not wrap. If a TLS implementation would
    /// need to wrap a sequence number, it must renegotiate instead." We stop
    /// one short and never use 2^64-1 itself, so the increment after each
    /// record cannot overflow; one record in 2^64 is a fair price for that.
    fn usable_seq_num(&self) -> Result<u64, Error> {
        if self.seq_num == u64::MAX {
            return Err(Error::SequenceNumberExhausted);
        }
        Ok(self.seq_num)
    }

    /// RFC 5288 §3: `struct { opaque salt[4]; opaque nonce_explicit[8]; }
    /// GCMNonce;` where the salt is the write IV.
    fn gcm_nonce(&self, nonce_explicit: [u8; 8]) -> Nonce {
        let mut nonce = *self.iv.as_bytes();
        nonce[4..].copy_from_slice(&nonce_explicit);
        Nonce::assume_unique_for_key(nonce)
    }

    /// RFC 7905 §2: "The 64-bit record sequence number is serialized as an
    /// 8-byte, big-endian value and padded on the left with four 0x00 bytes.
    /// The padded sequence number is XORed with the client_write_IV ... or
    /// server_write_IV".
    fn chacha_nonce(&self, seq_num: u64) -> Nonce {
        let mut nonce = *self.iv.as_bytes();
        for (n, s) in nonce[4..].iter_mut().zip(seq_num.to_be_bytes()) {
            *n ^= s;
        }
        Nonce::assume_unique_for_key(nonce)
    }
}

impl fmt::Debug for CipherState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CipherState")
            .field("bulk", &self.bulk)
            .field("key", &format_args!("<redacted>"))
            .field("iv", &self.iv)
            .field("seq_num", &self.seq_num)
            .finish()
    }
}

/// The additional data of §6.2.3.3, `seq_num + TLSCompressed.type +
/// TLSCompressed.version + TLSCompressed.length`; `type_and_version` is the
/// first three bytes of the record header.
fn additional_data(seq_num: u64, type_and_version: [u8; 3], plaintext_len: usize) -> [u8; 13] {
    let mut aad = [0u8; 13];
    aad[..8].copy_from_slice(&seq_num.to_be_bytes());
    aad[8..11].copy_from_slice(&type_and_version);
    // plaintext_len <= MAX_PLAINTEXT < 2^16, checked by both callers.
    aad[11..].copy_from_slice(&(plaintext_len as u16).to_be_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::write_record;

    fn pair(bulk: BulkAlgorithm) -> (CipherState, CipherState) {
        let key = vec![0x42; bulk.key_len()];
        let iv = vec![0x24; bulk.fixed_iv_len()];
        (
            CipherState::new(bulk, &key, &iv).unwrap(),
            CipherState::new(bulk, &key, &iv).unwrap(),
        )
    }

    fn sealed(cs: &mut CipherState, plaintext: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        write_record(
            &mut out,
            ContentType::ApplicationData,
            ProtocolVersion::TLS1_2,
            plaintext,
            cs.nonce_explicit_len(),
            cs.tag_len(),
        );
        cs.seal(&mut out).unwrap();
        out
    }

    const ALL: [BulkAlgorithm; 3] = [
        BulkAlgorithm::Aes128Gcm,
        BulkAlgorithm::Aes256Gcm,
        BulkAlgorithm::ChaCha20Poly1305,
    ];

    #[test]
    fn lengths_are_the_rfcs() {
        assert_eq!(BulkAlgorithm::Aes128Gcm.key_block_len(), 40);
        assert_eq!(BulkAlgorithm::Aes256Gcm.key_block_len(), 72);
        assert_eq!(BulkAlgorithm::ChaCha20Poly1305.key_block_len(), 88);
        for bulk in ALL {
            assert_eq!(bulk.key_len(), bulk.ring_algorithm().key_len());
            assert_eq!(bulk.tag_len(), bulk.ring_algorithm().tag_len());
            assert_eq!(bulk.fixed_iv_len() + bulk.record_iv_len(), NONCE_LEN);
        }
    }

    #[test]
    fn seal_then_open_gives_the_plaintext_and_advances_both_sides() {
        for bulk in ALL {
            let (mut writer, mut reader) = pair(bulk);
            for msg in [&b"hello"[..], b"", b"again"] {
                let mut record = sealed(&mut writer, msg);
                let plaintext = reader
                    .open(
                        ContentType::ApplicationData,
                        ProtocolVersion::TLS1_2,
                        &mut record[HEADER_LEN..],
                    )
                    .unwrap();
                assert_eq!(plaintext, msg);
            }
            assert_eq!((writer.seq_num(), reader.seq_num()), (3, 3));
        }
    }

    #[test]
    fn gcm_sends_the_sequence_number_as_explicit_nonce() {
        let (mut writer, _) = pair(BulkAlgorithm::Aes128Gcm);
        writer.skip(0x0102);
        let record = sealed(&mut writer, b"x");
        assert_eq!(record[HEADER_LEN..HEADER_LEN + 8], [0, 0, 0, 0, 0, 0, 1, 2]);
    }

    #[test]
    fn fragment_too_short_for_nonce_and_tag_is_bad_record_mac() {
        for bulk in ALL {
            let (_, mut reader) = pair(bulk);
            let mut short = vec![0; bulk.record_iv_len() + bulk.tag_len() - 1];
            let err = reader
                .open(ContentType::Alert, ProtocolVersion::TLS1_2, &mut short)
                .unwrap_err();
            assert_eq!(err, Error::BadRecordMac);
            assert_eq!(reader.seq_num(), 0);
        }
    }

    #[test]
    fn plaintext_over_2_14_is_record_overflow() {
        for bulk in ALL {
            let (_, mut reader) = pair(bulk);
            let mut big = vec![0; bulk.record_iv_len() + MAX_PLAINTEXT + 1 + bulk.tag_len()];
            let err = reader
                .open(
                    ContentType::ApplicationData,
                    ProtocolVersion::TLS1_2,
                    &mut big,
                )
                .unwrap_err();
            assert_eq!(
                err,
                Error::RecordOverflow {
                    length: MAX_PLAINTEXT + 1,
                    limit: MAX_PLAINTEXT
                }
            );
        }
    }

    #[test]
    fn a_layout_that_does_not_add_up_is_an_internal_error() {
        let (mut writer, _) = pair(BulkAlgorithm::ChaCha20Poly1305);
        let mut record = sealed(&mut writer, b"abc");
        // Header length one more than the buffer holds.
        record[4] += 1;
        assert!(matches!(writer.seal(&mut record), Err(Error::Internal(_))));
        assert!(matches!(
            writer.seal(&mut [23, 3, 3]),
            Err(Error::Internal(_))
        ));
        // No room for the tag.
        assert!(matches!(
            writer.seal(&mut [23, 3, 3, 0, 3, 1, 2, 3]),
            Err(Error::Internal(_))
        ));
        assert_eq!(writer.seq_num(), 1, "failed seals use no sequence number");
    }

    #[test]
    fn wrong_key_or_iv_length_is_refused() {
        let bulk = BulkAlgorithm::Aes128Gcm;
        assert!(CipherState::new(bulk, &[0; 32], &[0; 4]).is_err());
        assert!(CipherState::new(bulk, &[0; 16], &[0; 12]).is_err());
    }

    #[test]
    fn debug_hides_key_and_iv() {
        let (writer, _) = pair(BulkAlgorithm::Aes256Gcm);
        let printed = format!("{writer:?}");
        assert!(printed.contains("<redacted>") && !printed.contains("36"));
    }
}
