//! Record protection throughput: sealing and opening one full-size record
//! (2^14 bytes of plaintext, §6.2.1's limit) with our [`CipherState`], next
//! to `ring`'s raw `LessSafeKey` doing the same AEAD work on a buffer of the
//! same size. Both sit in one benchmark group per bulk algorithm, so the
//! overhead of the record layer (header parsing, additional data, nonce
//! construction, sequence numbers) reads off as the ratio of the two.
//!
//! Run with `cargo bench --bench record`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use record_layer::aead::{BulkAlgorithm, CipherState};
use record_layer::record::{write_record, ContentType, ProtocolVersion, HEADER_LEN};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey};

const PLAINTEXT_LEN: usize = 1 << 14;

fn record_protection(c: &mut Criterion) {
    let plaintext: Vec<u8> = (0..PLAINTEXT_LEN).map(|i| i as u8).collect();
    for bulk in [
        BulkAlgorithm::Aes128Gcm,
        BulkAlgorithm::Aes256Gcm,
        BulkAlgorithm::ChaCha20Poly1305,
    ] {
        let key = vec![0x42; bulk.key_len()];
        let iv = vec![0x24; bulk.fixed_iv_len()];
        let mut group = c.benchmark_group(format!("seal_open_16384/{bulk:?}"));
        group
            .throughput(Throughput::Bytes(PLAINTEXT_LEN as u64))
            .sample_size(40)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));

        let mut writer = CipherState::new(bulk, &key, &iv).unwrap();
        let mut reader = CipherState::new(bulk, &key, &iv).unwrap();
        let mut record = Vec::new();
        write_record(
            &mut record,
            ContentType::ApplicationData,
            ProtocolVersion::TLS1_2,
            &plaintext,
            writer.nonce_explicit_len(),
            writer.tag_len(),
        );
        group.bench_function("tls12 CipherState", |b| {
            b.iter(|| {
                writer.seal(&mut record).unwrap();
                let opened = reader
                    .open(
                        ContentType::ApplicationData,
                        ProtocolVersion::TLS1_2,
                        &mut record[HEADER_LEN..],
                    )
                    .unwrap();
                black_box(opened.len())
            })
        });

        let raw = LessSafeKey::new(UnboundKey::new(bulk.ring_algorithm(), &key).unwrap());
        let mut buf = plaintext.clone();
        buf.resize(PLAINTEXT_LEN + bulk.tag_len(), 0);
        let mut counter = 0u64;
        group.bench_function("ring LessSafeKey", |b| {
            b.iter(|| {
                let mut nonce = [0u8; 12];
                nonce[4..].copy_from_slice(&counter.to_be_bytes());
                let aad = [0u8; 13];
                let (text, tag_room) = buf.split_at_mut(PLAINTEXT_LEN);
                let tag = raw
                    .seal_in_place_separate_tag(
                        Nonce::assume_unique_for_key(nonce),
                        Aad::from(aad),
                        text,
                    )
                    .unwrap();
                tag_room.copy_from_slice(tag.as_ref());
                let opened = raw
                    .open_in_place(
                        Nonce::assume_unique_for_key(nonce),
                        Aad::from(aad),
                        &mut buf,
                    )
                    .unwrap();
                counter += 1;
                black_box(opened.len())
            })
        });
        group.finish();
    }
}

criterion_group!(benches, record_protection);
criterion_main!(benches);
