//! The published test vectors in `vectors/` (see `vectors/README.md` for
//! where each comes from), checked against the record layer: the PRF and
//! what it derives (RFC 5246 §5, §6.3, §7.4.9, §8.1; RFC 7627 §4) and AEAD
//! record protection (RFC 5246 §6.2.3.3, RFC 5288 §3, RFC 7905 §2).
//!
//! Every test counts the vectors it checked and asserts the count, which is
//! also in its name, so a vector dropped from a file, or skipped by a
//! mistake here, fails a test instead of passing quietly.

use std::collections::BTreeSet;

use record_layer::aead::{BulkAlgorithm, CipherState};
use record_layer::prf::{self, FinishedLabel};
use record_layer::record::{write_record, ContentType, ProtocolVersion, RecordHeader, HEADER_LEN};
use record_layer::secret::MasterSecret;
use record_layer::states::CipherStates;
use record_layer::suites::{CipherSuite, PrfHash};
use record_layer::Error;
use ring::{digest, hmac};
use serde_json::Value;

/// Every file `vectors/` holds, each read by the tests named beside it.
const VECTOR_FILES: [&str; 5] = [
    "prf.json",                       // prf_json_*
    "ems.json",                       // ems_json_*
    "aead-records.json",              // aead_records_json_*
    "go-tls12-aead-transcripts.json", // go_tls12_aead_transcripts_json_*
    "illustrated-tls12.json",         // illustrated_tls12_json_*
];

const ALL_BULK: [BulkAlgorithm; 3] = [
    BulkAlgorithm::Aes128Gcm,
    BulkAlgorithm::Aes256Gcm,
    BulkAlgorithm::ChaCha20Poly1305,
];

fn vectors_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors")
}

fn load(file: &str) -> Value {
    assert!(VECTOR_FILES.contains(&file), "{file} is not listed");
    let text = std::fs::read_to_string(vectors_dir().join(file)).expect(file);
    serde_json::from_str(&text).expect(file)
}

fn list<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} is not a list"))
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{} has no string {key}", v["id"]))
}

fn num(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{} has no number {key}", v["id"]))
}

fn bytes(v: &Value, key: &str) -> Vec<u8> {
    hex::decode(text(v, key)).unwrap_or_else(|e| panic!("{} {key}: {e}", v["id"]))
}

fn random(v: &Value, key: &str) -> [u8; 32] {
    bytes(v, key).try_into().expect("randoms are 32 bytes")
}

fn master_secret_of(v: &Value, key: &str) -> MasterSecret {
    MasterSecret::from_bytes(bytes(v, key).try_into().expect("48-byte master secret"))
}

/// The hash a vector names. SHA-512 is no TLS 1.2 suite's PRF hash, so it has
/// no [`PrfHash`]; its vectors are checked through the generic
/// [`prf::p_hash`] with HMAC-SHA512.
#[derive(Clone, Copy, Debug)]
enum VectorHash {
    Suite(PrfHash),
    Sha512,
}

fn hash_of(v: &Value) -> VectorHash {
    match text(v, "hash") {
        "sha256" => VectorHash::Suite(PrfHash::Sha256),
        "sha384" => VectorHash::Suite(PrfHash::Sha384),
        "sha512" => VectorHash::Sha512,
        other => panic!("{}: unknown hash {other}", v["id"]),
    }
}

/// PRF(secret, label, seed) with the vector's hash: through [`prf::prf`] for
/// the suites' hashes, through [`prf::p_hash`] for SHA-512.
fn any_prf(hash: VectorHash, secret: &[u8], label: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
    let mut out = vec![0; len];
    match hash {
        VectorHash::Suite(h) => prf::prf(h, secret, label, &[seed], &mut out),
        VectorHash::Sha512 => prf::p_hash(hmac::HMAC_SHA512, secret, &[label, seed], &mut out),
    }
    out
}

fn hash_bytes(hash: VectorHash, data: &[u8]) -> Vec<u8> {
    let alg = match hash {
        VectorHash::Suite(h) => h.digest_algorithm(),
        VectorHash::Sha512 => &digest::SHA512,
    };
    digest::digest(alg, data).as_ref().to_vec()
}

fn sha256(data: &[u8]) -> Vec<u8> {
    digest::digest(&digest::SHA256, data).as_ref().to_vec()
}

/// Checks that our key_block() for each AEAD is the first bytes of the
/// vector's full key block, derived from the given randoms.
fn check_key_block_prefixes(
    hash: PrfHash,
    master_secret: &MasterSecret,
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    expected: &[u8],
    id: &str,
) {
    for bulk in ALL_BULK {
        let kb = prf::key_block(hash, master_secret, client_random, server_random, bulk);
        assert_eq!(
            kb.as_bytes(),
            &expected[..bulk.key_block_len()],
            "{id} {bulk:?}"
        );
    }
}

#[test]
fn every_vector_file_is_checked() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(vectors_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".json"))
        .collect();
    let checked: BTreeSet<String> = VECTOR_FILES.iter().map(|s| s.to_string()).collect();
    assert_eq!(on_disk, checked);
}

// ---------------------------------------------------------------- prf.json

#[test]
fn prf_json_prf_checks_12_vectors() {
    let file = load("prf.json");
    let mut checked = 0;
    for v in list(&file, "prf") {
        let id = text(v, "id");
        // label_hex, not label: BoringSSL's labels end in a 0x00 byte.
        let out = any_prf(
            hash_of(v),
            &bytes(v, "secret"),
            &bytes(v, "label_hex"),
            &bytes(v, "seed"),
            num(v, "length") as usize,
        );
        assert_eq!(hex::encode(out), text(v, "output"), "{id}");
        checked += 1;
    }
    assert_eq!(checked, 12);
}

#[test]
fn prf_json_master_secret_and_key_block_checks_7_vectors() {
    let file = load("prf.json");
    let mut checked = 0;
    let mut key_blocks = 0;
    for v in list(&file, "master_secret_and_key_block") {
        let id = text(v, "id");
        let hash = hash_of(v);
        let pre_master_secret = bytes(v, "pre_master_secret");
        let client_hello_random = random(v, "client_hello_random");
        let server_hello_random = random(v, "server_hello_random");
        assert_eq!(text(v, "master_secret_label"), "master secret", "{id}");
        // §8.1's seed is ClientHello.random + ServerHello.random.
        assert_eq!(
            bytes(v, "master_secret_seed"),
            [client_hello_random, server_hello_random].concat(),
            "{id}"
        );
        let expected_ms = bytes(v, "master_secret");
        let ms = any_prf(
            hash,
            &pre_master_secret,
            b"master secret",
            &bytes(v, "master_secret_seed"),
            48,
        );
        assert_eq!(ms, expected_ms, "{id}");
        if let VectorHash::Suite(h) = hash {
            let ours = prf::master_secret(
                h,
                &pre_master_secret,
                &client_hello_random,
                &server_hello_random,
            );
            assert_eq!(ours.as_bytes()[..], expected_ms[..], "{id}");
        }

        if v.get("key_block").is_some() {
            // CAVP/ACVP use other randoms for the key block than for the
            // master secret; the vector's key_block_seed is authoritative.
            let client_random = random(v, "key_expansion_client_random");
            let server_random = random(v, "key_expansion_server_random");
            assert_eq!(
                bytes(v, "key_block_seed"),
                [server_random, client_random].concat(),
                "{id}: §6.3 seed is server_random + client_random"
            );
            assert_eq!(text(v, "key_block_label"), "key expansion", "{id}");
            let expected = bytes(v, "key_block");
            assert_eq!(expected.len(), num(v, "key_block_length") as usize);
            let full = any_prf(
                hash,
                &expected_ms,
                b"key expansion",
                &bytes(v, "key_block_seed"),
                expected.len(),
            );
            assert_eq!(full, expected, "{id}");
            if let VectorHash::Suite(h) = hash {
                let ms = master_secret_of(v, "master_secret");
                check_key_block_prefixes(h, &ms, &client_random, &server_random, &expected, id);
            }
            key_blocks += 1;
        }
        checked += 1;
    }
    assert_eq!((checked, key_blocks), (7, 6));
}

#[test]
fn prf_json_finished_verify_data_checks_3_vectors() {
    let file = load("prf.json");
    let mut checked = 0;
    for v in list(&file, "finished_verify_data") {
        let id = text(v, "id");
        let VectorHash::Suite(hash) = hash_of(v) else {
            panic!("{id}: Finished uses a suite's hash");
        };
        let ms = master_secret_of(v, "master_secret");
        // The tlslite vectors give the messages and one hash for both
        // sides; the Illustrated one gives each side's hash.
        let (client_hash, server_hash) = if v.get("handshake_messages").is_some() {
            let h = bytes(v, "handshake_hash");
            assert_eq!(
                hash_bytes(VectorHash::Suite(hash), &bytes(v, "handshake_messages")),
                h,
                "{id}"
            );
            (h.clone(), h)
        } else {
            (
                bytes(v, "client_handshake_hash"),
                bytes(v, "server_handshake_hash"),
            )
        };
        let client = prf::verify_data(hash, &ms, FinishedLabel::ClientFinished, &client_hash);
        let server = prf::verify_data(hash, &ms, FinishedLabel::ServerFinished, &server_hash);
        assert_eq!(hex::encode(client), text(v, "client_verify_data"), "{id}");
        assert_eq!(hex::encode(server), text(v, "server_verify_data"), "{id}");
        checked += 1;
    }
    assert_eq!(checked, 3);
}

// ---------------------------------------------------------------- ems.json

#[test]
fn ems_json_checks_10_vectors() {
    let file = load("ems.json");
    let mut checked = 0;
    let mut key_blocks = 0;
    for v in list(&file, "ems") {
        let id = text(v, "id");
        let hash = hash_of(v);
        let pre_master_secret = bytes(v, "pre_master_secret");
        let session_hash = bytes(v, "session_hash");
        assert_eq!(text(v, "label"), "extended master secret", "{id}");
        if v.get("handshake_messages").is_some() {
            // RFC 7627 §3: session_hash = Hash(handshake_messages).
            assert_eq!(
                hash_bytes(hash, &bytes(v, "handshake_messages")),
                session_hash,
                "{id}"
            );
        }
        let expected_ms = bytes(v, "master_secret");
        match hash {
            VectorHash::Suite(h) => {
                let ours = prf::extended_master_secret(h, &pre_master_secret, &session_hash);
                assert_eq!(ours.as_bytes()[..], expected_ms[..], "{id}");
            }
            VectorHash::Sha512 => {
                let ms = any_prf(
                    hash,
                    &pre_master_secret,
                    b"extended master secret",
                    &session_hash,
                    48,
                );
                assert_eq!(ms, expected_ms, "{id}");
            }
        }

        if v.get("key_block").is_some() {
            let client_random = random(v, "client_random");
            let server_random = random(v, "server_random");
            assert_eq!(
                bytes(v, "key_block_seed"),
                [server_random, client_random].concat(),
                "{id}"
            );
            let expected = bytes(v, "key_block");
            assert_eq!(expected.len(), num(v, "key_block_length") as usize);
            let full = any_prf(
                hash,
                &expected_ms,
                b"key expansion",
                &bytes(v, "key_block_seed"),
                expected.len(),
            );
            assert_eq!(full, expected, "{id}");
            if let VectorHash::Suite(h) = hash {
                let ms = master_secret_of(v, "master_secret");
                check_key_block_prefixes(h, &ms, &client_random, &server_random, &expected, id);
            }
            key_blocks += 1;
        }
        checked += 1;
    }
    assert_eq!((checked, key_blocks), (10, 7));
}

// ------------------------------------------------------- aead-records.json

fn bulk_named(name: &str) -> BulkAlgorithm {
    match name {
        "aes128gcm" => BulkAlgorithm::Aes128Gcm,
        "aes256gcm" => BulkAlgorithm::Aes256Gcm,
        "chacha20poly1305" => BulkAlgorithm::ChaCha20Poly1305,
        other => panic!("unknown AEAD {other}"),
    }
}

fn suite_named(name: &str) -> CipherSuite {
    CipherSuite::ALL
        .into_iter()
        .find(|s| s.rfc_name() == name)
        .unwrap_or_else(|| panic!("unsupported suite {name}"))
}

/// A state for `bulk` at sequence number `seq_num`.
fn state_at(bulk: BulkAlgorithm, key: &[u8], iv: &[u8], seq_num: u64) -> CipherState {
    let mut state = CipherState::new(bulk, key, iv).unwrap();
    state.skip(seq_num);
    assert_eq!(state.seq_num(), seq_num);
    state
}

/// Opens `record` (header and fragment) at `seq_num`, returning the
/// plaintext or the error, and checks the sequence number moved on only on
/// success.
fn open_record(
    bulk: BulkAlgorithm,
    key: &[u8],
    iv: &[u8],
    seq_num: u64,
    record: &[u8],
) -> Result<Vec<u8>, Error> {
    let mut state = state_at(bulk, key, iv, seq_num);
    let mut record = record.to_vec();
    let header = RecordHeader::decode(&record[..HEADER_LEN].try_into().unwrap())?;
    assert_eq!(usize::from(header.length), record.len() - HEADER_LEN);
    let opened = state
        .open(
            header.content_type,
            header.version,
            &mut record[HEADER_LEN..],
        )
        .map(|p| p.to_vec());
    let advanced = if opened.is_ok() { 1 } else { 0 };
    assert_eq!(state.seq_num(), seq_num + advanced);
    opened
}

/// Seals `plaintext` as a TLS 1.2 record of `content_type` at `seq_num`.
fn seal_record(
    bulk: BulkAlgorithm,
    key: &[u8],
    iv: &[u8],
    seq_num: u64,
    content_type: u8,
    plaintext: &[u8],
) -> Vec<u8> {
    let mut state = state_at(bulk, key, iv, seq_num);
    let mut record = Vec::new();
    write_record(
        &mut record,
        ContentType::from_value(content_type).unwrap(),
        ProtocolVersion::TLS1_2,
        plaintext,
        state.nonce_explicit_len(),
        state.tag_len(),
    );
    state.seal(&mut record).unwrap();
    assert_eq!(state.seq_num(), seq_num + 1);
    record
}

/// The 16384-byte plaintext of the max-size vectors: "byte i = i mod 256".
fn max_size_plaintext(v: &Value) -> Vec<u8> {
    let len = num(v, "plaintext_length") as usize;
    let plaintext: Vec<u8> = (0..len).map(|i| i as u8).collect();
    assert_eq!(hex::encode(sha256(&plaintext)), text(v, "plaintext_sha256"));
    plaintext
}

#[test]
fn aead_records_json_checks_17_positive_vectors() {
    let file = load("aead-records.json");
    let (mut checked, mut sealed, mut max_size) = (0, 0, 0);
    for suite in list(&file, "suites") {
        let bulk = bulk_named(text(suite, "suite"));
        let key = bytes(suite, "write_key");
        let iv = bytes(suite, "write_iv");
        for v in list(suite, "vectors") {
            let id = text(v, "id");
            let seq_num = num(v, "seq_num");
            let record = bytes(v, "record");
            assert_eq!(record.len() as u64, num(v, "record_length"), "{id}");
            assert_eq!(hex::encode(&record[1..3]), text(v, "version"), "{id}");
            let plaintext = if v.get("plaintext").is_some() {
                bytes(v, "plaintext")
            } else {
                max_size += 1;
                assert_eq!(hex::encode(sha256(&record)), text(v, "record_sha256"));
                max_size_plaintext(v)
            };

            let opened = open_record(bulk, &key, &iv, seq_num, &record).expect(id);
            assert!(opened == plaintext, "{id}: plaintext differs");

            // We send seq_num as the explicit nonce, so we can reproduce every
            // record whose nonce is the sequence number, byte for byte.
            let explicit = v.get("explicit_nonce").and_then(Value::as_str);
            if explicit.is_none_or(|e| e == text(v, "seq_num_hex")) {
                let content_type = num(v, "content_type") as u8;
                let ours = seal_record(bulk, &key, &iv, seq_num, content_type, &plaintext);
                assert!(ours == record, "{id}: sealed record differs");
                assert_eq!(
                    hex::encode(&ours[ours.len() - 16..]),
                    text(v, "tag"),
                    "{id}"
                );
                sealed += 1;
            }
            checked += 1;
        }
    }
    // Two GCM vectors carry an explicit nonce that is not seq_num.
    assert_eq!((checked, sealed, max_size), (17, 15, 3));
}

#[test]
fn aead_records_json_checks_6_negative_vectors() {
    let file = load("aead-records.json");
    let mut checked = 0;
    for suite in list(&file, "suites") {
        let bulk = bulk_named(text(suite, "suite"));
        let key = bytes(suite, "write_key");
        let iv = bytes(suite, "write_iv");
        for v in list(suite, "negative_vectors") {
            let id = text(v, "id");
            let result = open_record(bulk, &key, &iv, num(v, "seq_num"), &bytes(v, "record"));
            assert_eq!(result, Err(Error::BadRecordMac), "{id}");
            checked += 1;
        }
    }
    assert_eq!(checked, 6);
}

#[test]
fn aead_records_json_checks_12_real_records() {
    let file = load("aead-records.json");
    let (mut checked, mut sealed) = (0, 0);
    for v in list(&file["from_public_transcripts"], "records") {
        let id = text(v, "id");
        let bulk = suite_named(text(v, "cipher_suite")).bulk();
        let key = bytes(v, "write_key");
        let iv = bytes(v, "write_iv");
        let seq_num = num(v, "seq_num");
        let record = bytes(v, "record");
        let plaintext = bytes(v, "plaintext");
        let opened = open_record(bulk, &key, &iv, seq_num, &record).expect(id);
        assert_eq!(opened, plaintext, "{id}");
        let explicit = text(v, "explicit_nonce");
        if explicit.is_empty() || explicit == hex::encode(seq_num.to_be_bytes()) {
            let content_type = num(v, "content_type") as u8;
            let ours = seal_record(bulk, &key, &iv, seq_num, content_type, &plaintext);
            assert_eq!(hex::encode(ours), text(v, "record"), "{id}");
            sealed += 1;
        }
        checked += 1;
    }
    // OpenSSL's two GCM server Finished records use non-sequential nonces.
    assert_eq!((checked, sealed), (12, 10));
}

// -------------------------------------------- go-tls12-aead-transcripts.json

/// The handshake messages' bytes, in order, up to (not including) `end`.
fn transcript(messages: &[Value], end: usize) -> Vec<u8> {
    messages[..end]
        .iter()
        .flat_map(|m| bytes(m, "hex"))
        .collect()
}

/// A Finished handshake message: `HandshakeType finished(20)`, uint24
/// length 12, verify_data (§7.4, §7.4.9).
fn finished_message(verify_data: &[u8]) -> Vec<u8> {
    [&[20, 0, 0, 12][..], verify_data].concat()
}

#[test]
fn go_tls12_aead_transcripts_json_checks_3_connections_36_records() {
    let file = load("go-tls12-aead-transcripts.json");
    let (mut connections, mut records_checked) = (0, 0);
    for t in list(&file, "transcripts") {
        let id = text(t, "id");
        let suite = suite_named(text(&t["cipher_suite"], "name"));
        assert_eq!(
            format!("{:04x}", suite.value()),
            text(&t["cipher_suite"], "id")
        );
        let (hash, bulk) = (suite.prf_hash(), suite.bulk());
        let client_random = random(t, "client_random");
        let server_random = random(t, "server_random");

        // §8.1, §6.3. (The pre-master secret comes from the file: ring
        // cannot import the fixed ECDH private key the Go test used.)
        let ms = prf::master_secret(
            hash,
            &bytes(t, "pre_master_secret"),
            &client_random,
            &server_random,
        );
        assert_eq!(hex::encode(ms.as_bytes()), text(t, "master_secret"), "{id}");
        let kb = prf::key_block(hash, &ms, &client_random, &server_random, bulk);
        assert_eq!(hex::encode(kb.as_bytes()), text(t, "key_block"), "{id}");
        assert_eq!(
            hex::encode(kb.client_write_key()),
            text(t, "client_write_key")
        );
        assert_eq!(
            hex::encode(kb.server_write_key()),
            text(t, "server_write_key")
        );
        assert_eq!(
            hex::encode(kb.client_write_iv()),
            text(t, "client_write_iv")
        );
        assert_eq!(
            hex::encode(kb.server_write_iv()),
            text(t, "server_write_iv")
        );

        // §7.4.9: each Finished covers the messages before it.
        let messages = list(t, "handshake_messages");
        assert_eq!(messages.len(), 8, "{id}");
        let digest_of = |end| hash_bytes(VectorHash::Suite(hash), &transcript(messages, end));
        let client_hash = digest_of(6);
        let server_hash = digest_of(7);
        assert_eq!(
            hex::encode(&client_hash),
            text(t, "transcript_hash_client_finished")
        );
        assert_eq!(
            hex::encode(&server_hash),
            text(t, "transcript_hash_server_finished")
        );
        let client_vd = prf::verify_data(hash, &ms, FinishedLabel::ClientFinished, &client_hash);
        let server_vd = prf::verify_data(hash, &ms, FinishedLabel::ServerFinished, &server_hash);
        assert_eq!(
            hex::encode(client_vd),
            text(t, "client_verify_data"),
            "{id}"
        );
        assert_eq!(
            hex::encode(server_vd),
            text(t, "server_verify_data"),
            "{id}"
        );
        assert_eq!(bytes(&messages[6], "hex"), finished_message(&client_vd));
        assert_eq!(bytes(&messages[7], "hex"), finished_message(&server_vd));

        // Replay the records through both ends' four connection states.
        let mut client = CipherStates::new();
        let mut server = CipherStates::new();
        client.set_pending(
            kb.server_write_state().unwrap(),
            kb.client_write_state().unwrap(),
        );
        server.set_pending(
            kb.client_write_state().unwrap(),
            kb.server_write_state().unwrap(),
        );
        let expected_plaintexts = [
            finished_message(&client_vd), // client Finished
            finished_message(&server_vd), // server Finished
            bytes(&t["application_data"], "client_to_server"),
            vec![1, 0], // close_notify, warning (§7.2.1)
        ];
        let mut protected = 0;
        for r in list(t, "records") {
            let index = num(r, "index") as usize;
            let raw = bytes(r, "raw");
            let header = RecordHeader::decode(&raw[..HEADER_LEN].try_into().unwrap()).unwrap();
            assert_eq!(
                u64::from(header.content_type.value()),
                num(r, "content_type")
            );
            let (sender, receiver) = match text(r, "direction") {
                "client_to_server" => (&mut client, &mut server),
                "server_to_client" => (&mut server, &mut client),
                other => panic!("{id}: direction {other}"),
            };
            let mut fragment = raw[HEADER_LEN..].to_vec();
            if header.content_type == ContentType::ChangeCipherSpec {
                assert_eq!(fragment, [1], "{id} record {index}");
                sender.change_write_state().unwrap();
                receiver.change_read_state().unwrap();
            } else if let Some(protection) = r.get("protection") {
                let seq_num = num(protection, "seq_num");
                assert_eq!(receiver.current_read().unwrap().seq_num(), seq_num);
                let plaintext = receiver
                    .open(header.content_type, header.version, &mut fragment)
                    .unwrap_or_else(|e| panic!("{id} record {index}: {e}"))
                    .to_vec();
                assert_eq!(plaintext, bytes(protection, "plaintext"), "{id} {index}");
                assert_eq!(plaintext, expected_plaintexts[protected], "{id} {index}");
                // The sender seals the same plaintext at the same sequence
                // number; where its nonce is the sequence number (always for
                // ChaCha20, and for the Go client's GCM) the bytes match.
                let mut ours = Vec::new();
                write_record(
                    &mut ours,
                    header.content_type,
                    header.version,
                    &plaintext,
                    sender.write_nonce_explicit_len(),
                    sender.write_tag_len(),
                );
                sender.seal(&mut ours).unwrap();
                let explicit = text(protection, "explicit_nonce");
                if explicit.is_empty() || explicit == hex::encode(seq_num.to_be_bytes()) {
                    assert_eq!(ours, raw, "{id} record {index}");
                } else {
                    assert_eq!(ours.len(), raw.len(), "{id} record {index}");
                }
                protected += 1;
            } else {
                // Records 0..=5 each hold one handshake message, in the clear.
                let plaintext = receiver
                    .open(header.content_type, header.version, &mut fragment)
                    .unwrap();
                assert_eq!(plaintext, bytes(&messages[index], "hex"), "{id} {index}");
            }
            records_checked += 1;
        }
        assert_eq!(protected, 4, "{id}");
        connections += 1;
    }
    assert_eq!((connections, records_checked), (3, 36));
}

// ---------------------------------------------------- illustrated-tls12.json

#[test]
fn illustrated_tls12_json_checks_1_connection_and_8_cleartext_records() {
    let v = load("illustrated-tls12.json");
    // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: CBC, which we do not implement.
    // Its PRF is SHA-256 like every TLS 1.2 suite's, so everything but the
    // record protection is checked; the CBC records (indexes 7, 9, 10, 11,
    // 12) are skipped, and only their plaintext Finished messages are used.
    assert_eq!(text(&v["cipher_suite"], "id"), "c013");
    let hash = PrfHash::Sha256;
    let client_random = random(&v, "client_random");
    let server_random = random(&v, "server_random");

    let ms = prf::master_secret(
        hash,
        &bytes(&v, "pre_master_secret"),
        &client_random,
        &server_random,
    );
    assert_eq!(hex::encode(ms.as_bytes()), text(&v, "master_secret"));
    // The key log line a client would write for this connection.
    assert_eq!(
        format!(
            "CLIENT_RANDOM {} {}",
            hex::encode(client_random),
            hex::encode(ms.as_bytes())
        ),
        text(&v, "nss_keylog_line")
    );

    // §6.3 for a CBC suite: 2 x 20-byte MAC keys, 2 x 16-byte keys, 2 x 16-byte
    // IVs (unused by TLS 1.2 CBC, but part of the block).
    let mut key_block = vec![0; 104];
    prf::prf(
        hash,
        ms.as_bytes(),
        b"key expansion",
        &[&server_random, &client_random],
        &mut key_block,
    );
    assert_eq!(hex::encode(&key_block), text(&v, "key_block"));
    let parts = [
        ("client_write_mac_key", 20),
        ("server_write_mac_key", 20),
        ("client_write_key", 16),
        ("server_write_key", 16),
        ("client_write_iv", 16),
        ("server_write_iv", 16),
    ];
    let mut rest = &key_block[..];
    for (name, len) in parts {
        let (part, tail) = rest.split_at(len);
        assert_eq!(hex::encode(part), text(&v, name), "{name}");
        rest = tail;
    }
    assert!(rest.is_empty());

    let messages = list(&v, "handshake_messages");
    assert_eq!(messages.len(), 8);
    let client_hash = sha256(&transcript(messages, 6));
    let server_hash = sha256(&transcript(messages, 7));
    assert_eq!(
        hex::encode(&client_hash),
        text(&v, "transcript_hash_client_finished")
    );
    assert_eq!(
        hex::encode(&server_hash),
        text(&v, "transcript_hash_server_finished")
    );
    let client_vd = prf::verify_data(hash, &ms, FinishedLabel::ClientFinished, &client_hash);
    let server_vd = prf::verify_data(hash, &ms, FinishedLabel::ServerFinished, &server_hash);
    assert_eq!(hex::encode(client_vd), text(&v, "client_verify_data"));
    assert_eq!(hex::encode(server_vd), text(&v, "server_verify_data"));
    assert_eq!(bytes(&messages[6], "hex"), finished_message(&client_vd));
    assert_eq!(bytes(&messages[7], "hex"), finished_message(&server_vd));

    // The records before each ChangeCipherSpec pass the initial (null)
    // state unchanged: one handshake message each.
    let mut clear = CipherStates::new();
    let (mut cleartext, mut cbc_skipped) = (0, 0);
    for r in list(&v, "records") {
        let index = num(r, "index") as usize;
        let raw = bytes(r, "raw");
        let header = RecordHeader::decode(&raw[..HEADER_LEN].try_into().unwrap()).unwrap();
        assert_eq!(
            u64::from(header.content_type.value()),
            num(r, "content_type")
        );
        let mut fragment = raw[HEADER_LEN..].to_vec();
        if r.get("protection").is_some() {
            cbc_skipped += 1;
            continue;
        }
        let plaintext = clear
            .open(header.content_type, header.version, &mut fragment)
            .unwrap();
        if header.content_type == ContentType::ChangeCipherSpec {
            assert_eq!(plaintext, [1], "record {index}");
        } else {
            assert_eq!(plaintext, bytes(&messages[index], "hex"), "record {index}");
        }
        cleartext += 1;
    }
    assert_eq!((cleartext, cbc_skipped), (8, 5));
}
