//! Targets for the two readers of our own secret files: `private_key`
//! (`SigningKey::from_pem`, with its hand-written PKCS#8 and SEC1 readers)
//! and `key_file` (the ticket key file of `TicketKeys::load_or_create`).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use ring::signature::{self, UnparsedPublicKey};
use tls12::session_store::{StoreError, TicketKeys};
use tls12::{SignatureScheme, SigningKey};

/// The PEM labels `from_pem` reads, for input forms 1 to 3.
const LABELS: [&str; 3] = ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"];
/// What the `private_key` target signs.
const MESSAGE: &[u8] = b"ServerKeyExchange params";

/// Target `private_key`: `SigningKey::from_pem`, the loader of every
/// server's and client's private key.
///
/// Input: one byte, then the key. The byte's low two bits choose the form:
/// 0, the rest is PEM text as it is; 1 to 3, the rest is DER, armoured here
/// as `PRIVATE KEY` (PKCS#8), `RSA PRIVATE KEY` (PKCS#1) or `EC PRIVATE
/// KEY` (SEC1), so that the fuzzer works on the DER that our readers
/// (`from_pkcs8`, `from_sec1`) and ring parse, not on base64. The other six
/// bits choose which of the key's schemes signs.
///
/// Asserted for a key that loads: its `Debug` shows no key material; its
/// schemes are all of its kind, and `choose_scheme` picks the first; it
/// signs with the chosen scheme, and the signature verifies (with ring,
/// directly) under its public half, and not over another message; a scheme
/// of the other kind is refused.
pub fn private_key(data: &[u8]) {
    let Some((&form, key)) = data.split_first() else {
        return;
    };
    let pem = match usize::from(form % 4) {
        0 => key.to_vec(),
        n => armour(LABELS[n - 1], key),
    };
    let Ok(key) = SigningKey::from_pem(&pem) else {
        return;
    };
    let debug = format!("{key:?}");
    assert!(debug.ends_with(", <redacted>)"), "{debug}");

    let schemes = key.supported_schemes();
    assert!(schemes.iter().all(|s| s.kind() == Some(key.kind())));
    assert_eq!(key.choose_scheme(schemes), schemes.first().copied());
    let scheme = schemes[usize::from(form >> 2) % schemes.len()];
    let signature = key
        .sign(scheme, MESSAGE)
        .unwrap_or_else(|e| panic!("a key that loads does not sign with {scheme:?}: {e}"));
    let public = UnparsedPublicKey::new(verification(scheme), key.public_key());
    assert!(public.verify(MESSAGE, &signature).is_ok(), "{scheme:?}");
    assert!(public.verify(b"another message", &signature).is_err());

    let other_kind = match scheme.kind() {
        Some(tls12::record_layer::suites::SignatureKind::Rsa) => {
            SignatureScheme::EcdsaSecp256r1Sha256
        }
        _ => SignatureScheme::RsaPkcs1Sha256,
    };
    assert!(key.sign(other_kind, MESSAGE).is_err());
}

/// ring's verifier for a scheme our keys sign with. An ECDSA key signs
/// only with its curve's hash, so the scheme names the curve.
fn verification(scheme: SignatureScheme) -> &'static dyn signature::VerificationAlgorithm {
    use SignatureScheme as S;
    match scheme {
        S::RsaPkcs1Sha256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        S::RsaPkcs1Sha384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        S::RsaPkcs1Sha512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        S::RsaPssRsaeSha256 => &signature::RSA_PSS_2048_8192_SHA256,
        S::RsaPssRsaeSha384 => &signature::RSA_PSS_2048_8192_SHA384,
        S::RsaPssRsaeSha512 => &signature::RSA_PSS_2048_8192_SHA512,
        S::EcdsaSecp256r1Sha256 => &signature::ECDSA_P256_SHA256_ASN1,
        S::EcdsaSecp384r1Sha384 => &signature::ECDSA_P384_SHA384_ASN1,
        S::Unknown(v) => panic!("a key offers the unknown scheme {v:#06x}"),
    }
}

/// `der` as a PEM block (RFC 7468 §2): base64 in lines of 64.
fn armour(label: &str, der: &[u8]) -> Vec<u8> {
    const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = Vec::new();
    for chunk in der.chunks(3) {
        let bits = chunk
            .iter()
            .enumerate()
            .fold(0u32, |bits, (i, &b)| bits | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            let sextet = (bits >> (18 - 6 * i)) & 63;
            text.push(if i <= chunk.len() {
                BASE64[sextet as usize]
            } else {
                b'='
            });
        }
    }
    let mut pem = format!("-----BEGIN {label}-----\n").into_bytes();
    for line in text.chunks(64) {
        pem.extend_from_slice(line);
        pem.push(b'\n');
    }
    pem.extend_from_slice(format!("-----END {label}-----\n").as_bytes());
    pem
}

/// The fixed "now" of the `key_file` target, UNIX seconds (2023-11-14).
const KEY_FILE_NOW: u64 = 1_700_000_000;
/// `TicketKeyFile.format_version`.
const KEY_FILE_VERSION: u8 = 1;
/// One `TicketKey`: `key_name[16]`, `aes_key[32]`, `created_at`.
const KEY_RECORD_LEN: usize = 16 + 32 + 8;

/// Target `key_file`: `TicketKeys::load_or_create` of a ticket key file
/// holding the input, with the clock at [`KEY_FILE_NOW`].
///
/// The file is written (mode 0600) in a private directory made for the run
/// (on tmpfs if there is one), so the whole read path runs: the checks
/// of the file and the directories above it, the read, the decoding and
/// the pruning of keys past their use.
///
/// Asserted: the file loads exactly when it has the documented layout
/// (`TicketKeyFile` in session-store's `ticket.rs`: version 1, a 16-bit
/// length, one or more whole 56-byte keys, nothing after), and is
/// otherwise `StoreError::Corrupt`; once loaded, the newest key seals, and
/// a ticket sealed by hand (AES-256-GCM, `key_name` as additional data)
/// under each key of the file opens exactly when RFC 5077 §5.5's rotation
/// rules as documented say it may: the newest key always, an older one
/// until [`TicketKeys::LIFETIME`] after its successor was made, the oldest
/// beyond [`TicketKeys::MAX_KEYS`] never; a key whose name an earlier key
/// of the file already has is found as that earlier key.
pub fn key_file(data: &[u8]) {
    let dir = PrivateDir::new();
    let path = dir.0.join("ticket-keys");
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut file, 0o600);
    file.open(&path)
        .and_then(|mut f| f.write_all(data))
        .expect("the key file can be written");

    let loaded = TicketKeys::load_or_create(&path, Arc::new(|| KEY_FILE_NOW));
    let keys = match (loaded, decode_key_file(data)) {
        (Ok(keys), Some(file)) => (keys, file),
        (Err(StoreError::Corrupt { .. }), None) => return,
        (Ok(_), None) => panic!("a malformed key file loaded"),
        (Err(e), _) => panic!("the key file did not load: {e}"),
    };
    let (keys, file) = keys;
    let newest = file.last().expect("at least one key");
    assert_eq!(keys.current_key_name()[..], newest[..16]);
    for (i, key) in file.iter().enumerate() {
        let ticket = seal_by_hand(key, b"session", &[]);
        let opened = keys.open_bytes(&ticket, &[]);
        assert_eq!(
            opened.is_some(),
            opens(&file, key, KEY_FILE_NOW),
            "key {i} of {}",
            file.len()
        );
        if let Some(plain) = opened {
            assert_eq!(&plain[..], b"session");
        }
    }
}

/// A private directory of this process's own, made for one run and
/// removed after it: on tmpfs (`/dev/shm`) where there is one. On a disk,
/// ext4 writes out a file truncated and rewritten when it is closed, which
/// held the target to about 200 runs a second.
pub(crate) struct PrivateDir(pub(crate) PathBuf);

impl PrivateDir {
    pub(crate) fn new() -> Self {
        // Targets replayed by the tests run on threads of one process.
        static RUNS: AtomicUsize = AtomicUsize::new(0);
        let run = RUNS.fetch_add(1, Ordering::Relaxed);
        let shm = Path::new("/dev/shm");
        let base = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("tls12-fuzz-key-file-{}-{run}", std::process::id()));
        tls12::session_store::private::create_private_dir(&dir)
            .expect("a private directory under the temporary directory");
        Self(dir)
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The keys of a well-formed `TicketKeyFile`, oldest first, or `None`:
/// the layout in ticket.rs, read independently of its decoder.
pub(crate) fn decode_key_file(data: &[u8]) -> Option<Vec<&[u8]>> {
    let [KEY_FILE_VERSION, hi, lo, keys @ ..] = data else {
        return None;
    };
    let len = usize::from(u16::from_be_bytes([*hi, *lo]));
    let whole = len == keys.len() && len > 0 && len % KEY_RECORD_LEN == 0;
    whole.then(|| keys.chunks(KEY_RECORD_LEN).collect())
}

fn created_at(key: &[u8]) -> u64 {
    let mut bytes = [0; 8];
    bytes.copy_from_slice(&key[48..]);
    u64::from_be_bytes(bytes)
}

/// Whether something sealed under `key` (a `TicketKey` record) should open
/// with the keys of `file`, by the rules of `TicketKeys` (module docs of
/// ticket.rs), at `now`.
pub(crate) fn opens(file: &[&[u8]], key: &[u8], now: u64) -> bool {
    let newest = file.len() - 1;
    let retired_until =
        |k: usize| created_at(file[k + 1]).saturating_add(u64::from(TicketKeys::LIFETIME));
    // Loading drops the retired keys before the first one still usable,
    // and the oldest beyond MAX_KEYS.
    let first_usable = (0..newest)
        .find(|&k| now < retired_until(k))
        .unwrap_or(newest);
    let first_kept = first_usable.max(newest.saturating_sub(TicketKeys::MAX_KEYS - 1));
    let name = &key[..16];
    let found = if file[newest][..16] == *name {
        Some(newest)
    } else {
        (first_kept..newest)
            .find(|&k| file[k][..16] == *name)
            .filter(|&k| now < retired_until(k))
    };
    // Under another key of the same name, the tag does not verify.
    found.is_some_and(|k| file[k][16..48] == key[16..48])
}

/// `key_name ‖ nonce ‖ encrypted ‖ tag`, as `TicketKeys::seal_bytes` makes
/// it, under one key of a key file (a `TicketKey` record, or `key_name ‖
/// aes_key`), with a zero nonce and `key_name ‖ context` as additional data.
pub(crate) fn seal_by_hand(key: &[u8], plaintext: &[u8], context: &[u8]) -> Vec<u8> {
    let aead = UnboundKey::new(&AES_256_GCM, &key[16..48]).expect("a 32-byte key");
    let aead = LessSafeKey::new(aead);
    let nonce = [0u8; 12];
    let mut sealed = [&key[..16], &nonce[..], plaintext].concat();
    let tag = aead
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from([&key[..16], context].concat()),
            &mut sealed[28..],
        )
        .expect("a short plaintext seals");
    sealed.extend_from_slice(tag.as_ref());
    sealed
}
