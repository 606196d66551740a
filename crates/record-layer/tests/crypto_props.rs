//! Properties of AEAD record protection (RFC 5246 §6.2.3.3, RFC 5288 §3,
//! RFC 7905 §2) and of the sequence number (§6.1), for every bulk algorithm.
//!
//! Every plaintext length from 0 to 2^14 is round-tripped exhaustively (it
//! takes a few seconds in the dev profile); every bit of small sealed records
//! is flipped exhaustively; proptest adds random keys, IVs, sequence
//! numbers, content types and plaintexts on top.

use proptest::prelude::*;
use record_layer::aead::{BulkAlgorithm, CipherState};
use record_layer::record::{
    write_record, ContentType, ProtocolVersion, RecordHeader, HEADER_LEN, MAX_PLAINTEXT,
};
use record_layer::{AlertDescription, Error};

const ALL_BULK: [BulkAlgorithm; 3] = [
    BulkAlgorithm::Aes128Gcm,
    BulkAlgorithm::Aes256Gcm,
    BulkAlgorithm::ChaCha20Poly1305,
];

const ALL_TYPES: [ContentType; 4] = [
    ContentType::ChangeCipherSpec,
    ContentType::Alert,
    ContentType::Handshake,
    ContentType::ApplicationData,
];

/// A writer and a reader for one direction, keyed alike, at `seq_num`.
fn pair(bulk: BulkAlgorithm, key: &[u8], iv: &[u8], seq_num: u64) -> (CipherState, CipherState) {
    let mut writer = CipherState::new(bulk, key, iv).unwrap();
    let mut reader = CipherState::new(bulk, key, iv).unwrap();
    writer.skip(seq_num);
    reader.skip(seq_num);
    (writer, reader)
}

fn fixed_pair(bulk: BulkAlgorithm) -> (CipherState, CipherState) {
    pair(
        bulk,
        &[0x11; 32][..bulk.key_len()],
        &[0x22; 12][..bulk.fixed_iv_len()],
        0,
    )
}

/// Seals `plaintext` into `out` (cleared first) as one record.
fn seal_into(
    writer: &mut CipherState,
    content_type: ContentType,
    plaintext: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    out.clear();
    write_record(
        out,
        content_type,
        ProtocolVersion::TLS1_2,
        plaintext,
        writer.nonce_explicit_len(),
        writer.tag_len(),
    );
    writer.seal(out)
}

/// What a receiver makes of `record` as bytes off the wire: the header is
/// decoded as the deframer does, the fragment is the `length` bytes after
/// it (padded with zeros if the length now points past the end, as further
/// bytes from the stream would), and the fragment is opened.
fn receive(reader: &mut CipherState, record: &[u8]) -> Result<Vec<u8>, Error> {
    let header = RecordHeader::decode(&record[..HEADER_LEN].try_into().unwrap())?;
    let length = usize::from(header.length);
    let mut stream = record[HEADER_LEN..].to_vec();
    stream.resize(stream.len().max(length), 0);
    let plaintext = reader.open(header.content_type, header.version, &mut stream[..length])?;
    Ok(plaintext.to_vec())
}

#[test]
fn every_plaintext_length_round_trips_for_every_bulk_algorithm() {
    let source: Vec<u8> = (0..MAX_PLAINTEXT).map(|i| (i * 7 + 3) as u8).collect();
    let mut record = Vec::with_capacity(HEADER_LEN + MAX_PLAINTEXT + 8 + 16);
    for bulk in ALL_BULK {
        let (mut writer, mut reader) = fixed_pair(bulk);
        for len in 0..=MAX_PLAINTEXT {
            let content_type = ALL_TYPES[len % ALL_TYPES.len()];
            let plaintext = &source[..len];
            seal_into(&mut writer, content_type, plaintext, &mut record).unwrap();
            assert_eq!(
                record.len(),
                HEADER_LEN + bulk.record_iv_len() + len + bulk.tag_len()
            );
            // Encrypted: only the empty plaintext can show through.
            let body = &record[HEADER_LEN + bulk.record_iv_len()..][..len];
            assert!(len < 8 || body != plaintext, "{bulk:?} {len} not encrypted");
            let opened = reader
                .open(
                    content_type,
                    ProtocolVersion::TLS1_2,
                    &mut record[HEADER_LEN..],
                )
                .unwrap();
            assert!(opened == plaintext, "{bulk:?}: length {len} differs");
        }
        let records = MAX_PLAINTEXT as u64 + 1;
        assert_eq!((writer.seq_num(), reader.seq_num()), (records, records));
    }
}

/// Flips every bit of `record` in turn and checks the reader refuses each
/// version. Returns how many flips were checked.
fn every_bit_flip_fails(reader: &mut CipherState, record: &[u8]) -> usize {
    let seq_num = reader.seq_num();
    let mut flips = 0;
    for bit in 0..record.len() * 8 {
        let mut forged = record.to_vec();
        forged[bit / 8] ^= 1 << (bit % 8);
        let result = receive(reader, &forged);
        let err = result.expect_err("a forged record opened");
        if bit / 8 >= HEADER_LEN {
            // Nonce, ciphertext or tag: RFC 5288 §3 "Implementations MUST
            // send TLS Alert bad_record_mac for all types of failures".
            assert_eq!(err, Error::BadRecordMac, "bit {bit}");
        } else {
            // The header: a type or major version the deframer refuses, a
            // length that makes the record too large, or else the
            // additional data no longer matches.
            assert!(
                matches!(
                    err,
                    Error::BadRecordMac
                        | Error::UnknownContentType(_)
                        | Error::BadRecordVersion(_)
                        | Error::RecordOverflow { .. }
                ),
                "bit {bit}: {err:?}"
            );
            let header = RecordHeader::decode(&forged[..HEADER_LEN].try_into().unwrap());
            if header.is_ok_and(|h| usize::from(h.length) <= MAX_PLAINTEXT) {
                assert_eq!(err, Error::BadRecordMac, "bit {bit}");
            }
        }
        // A refused record uses up no sequence number.
        assert_eq!(reader.seq_num(), seq_num);
        flips += 1;
    }
    flips
}

#[test]
fn flipping_any_bit_of_a_sealed_record_fails() {
    let mut record = Vec::new();
    for bulk in ALL_BULK {
        for len in [0, 1, 16, 33] {
            let (mut writer, mut reader) = fixed_pair(bulk);
            let plaintext = vec![0xa5; len];
            seal_into(
                &mut writer,
                ContentType::ApplicationData,
                &plaintext,
                &mut record,
            )
            .unwrap();
            let flips = every_bit_flip_fails(&mut reader, &record);
            assert_eq!(flips, record.len() * 8);
            // The untouched record still opens: the reader was not disturbed.
            assert_eq!(receive(&mut reader, &record).unwrap(), plaintext);
        }
    }
}

#[test]
fn sequence_numbers_stop_before_they_wrap() {
    let mut record = Vec::new();
    for bulk in ALL_BULK {
        let (mut writer, mut reader) = fixed_pair(bulk);
        writer.skip(u64::MAX - 1);
        reader.skip(u64::MAX - 1);
        // 2^64 - 2 is the last sequence number used.
        seal_into(&mut writer, ContentType::Alert, &[1, 0], &mut record).unwrap();
        if bulk != BulkAlgorithm::ChaCha20Poly1305 {
            assert_eq!(
                record[HEADER_LEN..HEADER_LEN + 8],
                (u64::MAX - 1).to_be_bytes()
            );
        }
        assert_eq!(receive(&mut reader, &record).unwrap(), [1, 0]);
        assert_eq!((writer.seq_num(), reader.seq_num()), (u64::MAX, u64::MAX));

        let err = seal_into(&mut writer, ContentType::Alert, &[1, 0], &mut record).unwrap_err();
        assert_eq!(err, Error::SequenceNumberExhausted);
        assert_eq!(err.alert(), Some(AlertDescription::InternalError));
        let mut fragment = vec![0; 40];
        let err = reader
            .open(ContentType::Alert, ProtocolVersion::TLS1_2, &mut fragment)
            .unwrap_err();
        assert_eq!(err, Error::SequenceNumberExhausted);
        // Exhausted stays exhausted: nothing wraps back to 0.
        writer.skip(5);
        assert_eq!(writer.seq_num(), u64::MAX);
        assert_eq!(
            seal_into(&mut writer, ContentType::Alert, &[1, 0], &mut record),
            Err(Error::SequenceNumberExhausted)
        );
    }
}

fn any_bulk() -> impl Strategy<Value = BulkAlgorithm> {
    prop::sample::select(ALL_BULK.to_vec())
}

fn any_type() -> impl Strategy<Value = ContentType> {
    prop::sample::select(ALL_TYPES.to_vec())
}

/// A bulk algorithm with a random key and IV of its lengths.
fn keyed() -> impl Strategy<Value = (BulkAlgorithm, Vec<u8>, Vec<u8>)> {
    any_bulk().prop_flat_map(|bulk| {
        (
            Just(bulk),
            prop::collection::vec(any::<u8>(), bulk.key_len()),
            prop::collection::vec(any::<u8>(), bulk.fixed_iv_len()),
        )
    })
}

proptest! {
    #[test]
    fn seal_then_open_round_trips(
        (bulk, key, iv) in keyed(),
        seq_num in 0..u64::MAX,
        content_type in any_type(),
        plaintext in prop::collection::vec(any::<u8>(), 0..2048),
    ) {
        let (mut writer, mut reader) = pair(bulk, &key, &iv, seq_num);
        let mut record = Vec::new();
        seal_into(&mut writer, content_type, &plaintext, &mut record).unwrap();
        prop_assert_eq!(record[0], content_type.value());
        prop_assert_eq!(receive(&mut reader, &record).unwrap(), plaintext);
        prop_assert_eq!(reader.seq_num(), seq_num + 1);
    }

    #[test]
    fn opening_at_another_sequence_number_fails(
        (bulk, key, iv) in keyed(),
        sent_at in 0..u64::MAX,
        opened_at in 0..u64::MAX,
        plaintext in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        prop_assume!(sent_at != opened_at);
        let (mut writer, _) = pair(bulk, &key, &iv, sent_at);
        let (_, mut reader) = pair(bulk, &key, &iv, opened_at);
        let mut record = Vec::new();
        seal_into(&mut writer, ContentType::ApplicationData, &plaintext, &mut record).unwrap();
        // For GCM the nonce travels in the record, so only the sequence
        // number in the additional data tells the two apart.
        prop_assert_eq!(receive(&mut reader, &record), Err(Error::BadRecordMac));
    }

    #[test]
    fn another_key_or_iv_cannot_open(
        (bulk, key, iv) in keyed(),
        flip in 0..(32usize + 12) * 8,
        plaintext in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        let (mut other_key, mut other_iv) = (key.clone(), iv.clone());
        let bit = flip % ((key.len() + iv.len()) * 8);
        if bit < key.len() * 8 {
            other_key[bit / 8] ^= 1 << (bit % 8);
        } else {
            let bit = bit - key.len() * 8;
            other_iv[bit / 8] ^= 1 << (bit % 8);
        }
        let (mut writer, _) = pair(bulk, &key, &iv, 0);
        let (_, mut reader) = pair(bulk, &other_key, &other_iv, 0);
        let mut record = Vec::new();
        seal_into(&mut writer, ContentType::Handshake, &plaintext, &mut record).unwrap();
        prop_assert_eq!(receive(&mut reader, &record), Err(Error::BadRecordMac));
    }

    #[test]
    fn any_flipped_bit_of_a_random_record_fails(
        (bulk, key, iv) in keyed(),
        seq_num in 0..u64::MAX,
        plaintext in prop::collection::vec(any::<u8>(), 0..300),
        bit in any::<prop::sample::Index>(),
    ) {
        let (mut writer, mut reader) = pair(bulk, &key, &iv, seq_num);
        let mut record = Vec::new();
        seal_into(&mut writer, ContentType::ApplicationData, &plaintext, &mut record).unwrap();
        let bit = bit.index(record.len() * 8);
        record[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(receive(&mut reader, &record).is_err());
        prop_assert_eq!(reader.seq_num(), seq_num);
    }
}
