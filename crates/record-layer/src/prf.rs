//! The TLS PRF and what it derives (RFC 5246 §5, §8.1, §6.3, §7.4.9; RFC
//! 7627 §4).
//!
//! ```text
//! P_hash(secret, seed) = HMAC_hash(secret, A(1) + seed) +
//!                        HMAC_hash(secret, A(2) + seed) + ...
//!     A(0) = seed
//!     A(i) = HMAC_hash(secret, A(i-1))
//!
//! PRF(secret, label, seed) = P_<hash>(secret, label + seed)
//!
//! master_secret = PRF(pre_master_secret, "master secret",
//!                     ClientHello.random + ServerHello.random)[0..47];
//! master_secret = PRF(pre_master_secret, "extended master secret",
//!                     session_hash)[0..47];                   (RFC 7627)
//! key_block = PRF(master_secret, "key expansion",
//!                 server_random + client_random);
//! verify_data = PRF(master_secret, finished_label,
//!                   Hash(handshake_messages))[0..verify_data_length-1];
//! ```
//!
//! Seeds are passed as lists of parts (`&[&[u8]]`) so that `label + seed`
//! and `server_random + client_random` are never concatenated into a new
//! buffer.
//!
//! The master secret belongs to the *session*; the key block to one
//! *connection*: a resumed connection has the same master secret but its
//! own randoms, so its own keys (§6.3).

use ring::{digest, hmac};
use zeroize::Zeroize;

use crate::aead::BulkAlgorithm;
use crate::error::Error;
use crate::secret::{MasterSecret, SecretBytes};
use crate::states::PendingCipherState;
use crate::suites::PrfHash;

/// `P_hash(secret, seed)` (§5), filling `out`, with the HMAC `hmac` over any
/// hash: TLS 1.2 suites use SHA-256 or SHA-384 (see [`prf`]); other hashes
/// serve published test vectors. The seed is the concatenation of `seed`'s
/// parts.
pub fn p_hash(hmac: hmac::Algorithm, secret: &[u8], seed: &[&[u8]], out: &mut [u8]) {
    p_hash_of_label_and_seed(&hmac::Key::new(hmac, secret), &[], seed, out);
}

/// `P_hash(secret, label + seed)`, `key` being the HMAC key of `secret`,
/// the seed given as parts.
fn p_hash_of_label_and_seed(key: &hmac::Key, label: &[u8], seed: &[&[u8]], out: &mut [u8]) {
    let mut intermediates = [[0; digest::MAX_OUTPUT_LEN]; 2];
    p_hash_wiping(key, label, seed, out, &mut intermediates);
}

/// `P_hash(secret, label + seed)` as [`p_hash_of_label_and_seed`], holding
/// its intermediates in `intermediates` (the first hash-length bytes of
/// each) and zeroing them before it returns:
/// A(i), from which with the seed every later block follows, and each
/// HMAC output, whose bytes past `out` (§5: "the last ... bytes of the
/// final iteration will then be discarded") are as secret as the rest.
///
/// ring's `hmac::Tag` cannot be wiped: it is `Copy` and has no `Zeroize`.
/// So a tag is never kept: [`hmac_into`] copies it out of the temporary
/// ring returns, and only these buffers live from one block to the next.
fn p_hash_wiping(
    key: &hmac::Key,
    label: &[u8],
    seed: &[&[u8]],
    out: &mut [u8],
    intermediates: &mut [[u8; digest::MAX_OUTPUT_LEN]; 2],
) {
    let block_len = key.algorithm().digest_algorithm().output_len();
    let [a, output] = intermediates;
    // Only these parts are used, and only they need wiping (one volatile
    // write per byte): the whole arrays would cost SHA-256 twice as much.
    let (a, output) = (&mut a[..block_len], &mut output[..block_len]);
    // A(1) = HMAC_hash(secret, A(0)), with A(0) = label + seed.
    hmac_into(key, &[label], seed, a);
    let mut blocks = out.chunks_mut(block_len).peekable();
    while let Some(block) = blocks.next() {
        // HMAC_hash(secret, A(i) + label + seed)
        hmac_into(key, &[a, label], seed, output);
        block.copy_from_slice(&output[..block.len()]);
        if blocks.peek().is_some() {
            // A(i+1) = HMAC_hash(secret, A(i))
            hmac_into(key, &[a], &[], output);
            a.copy_from_slice(output);
        }
    }
    a.zeroize();
    output.zeroize();
}

/// The PRF keyed with one secret (§5), for deriving several outputs from
/// it: the HMAC key (the secret absorbed into the hash's inner and outer
/// states) is made once, not once per output. A handshake derives three
/// outputs from its master secret, the key block and both Finished
/// messages' verify_data, and an abbreviated handshake does little else.
///
/// ring does not wipe the key's states; like the key schedules of the
/// record keys, they are dropped with the handshake.
#[derive(Debug)]
pub struct Prf {
    key: hmac::Key,
}

impl Prf {
    /// The PRF of `hash` keyed with `secret`.
    pub fn new(hash: PrfHash, secret: &[u8]) -> Self {
        Self {
            key: hmac::Key::new(hash.hmac_algorithm(), secret),
        }
    }

    /// `PRF(secret, label, seed)`, filling `out` (see [`prf`]).
    pub fn fill(&self, label: &[u8], seed: &[&[u8]], out: &mut [u8]) {
        p_hash_of_label_and_seed(&self.key, label, seed, out);
    }

    /// [`key_block`] with this PRF's secret as the master secret.
    pub fn key_block(
        &self,
        client_random: &[u8; 32],
        server_random: &[u8; 32],
        bulk: BulkAlgorithm,
    ) -> KeyBlock {
        let mut bytes = SecretBytes::zeroed();
        self.fill(
            b"key expansion",
            &[server_random, client_random],
            &mut bytes.as_mut_bytes()[..bulk.key_block_len()],
        );
        KeyBlock { bulk, bytes }
    }

    /// [`verify_data`] with this PRF's secret as the master secret.
    pub fn verify_data(
        &self,
        label: FinishedLabel,
        handshake_hash: &[u8],
    ) -> [u8; VERIFY_DATA_LEN] {
        let mut out = [0; VERIFY_DATA_LEN];
        self.fill(label.as_bytes(), &[handshake_hash], &mut out);
        out
    }
}

/// `HMAC_hash(secret, head + tail)`, each given as parts, copied into `out`
/// (the hash's length).
fn hmac_into(key: &hmac::Key, head: &[&[u8]], tail: &[&[u8]], out: &mut [u8]) {
    let mut ctx = hmac::Context::with_key(key);
    for part in head.iter().chain(tail) {
        ctx.update(part);
    }
    out.copy_from_slice(ctx.sign().as_ref());
}

/// `PRF(secret, label, seed) = P_<hash>(secret, label + seed)` (§5) with the
/// suite's hash, filling `out`. `label` is the exact bytes ("without a
/// length byte or trailing null character"); the seed is the concatenation
/// of `seed`'s parts.
pub fn prf(hash: PrfHash, secret: &[u8], label: &[u8], seed: &[&[u8]], out: &mut [u8]) {
    Prf::new(hash, secret).fill(label, seed, out);
}

/// `master_secret = PRF(pre_master_secret, "master secret",
/// ClientHello.random + ServerHello.random)[0..47]` (§8.1).
pub fn master_secret(
    hash: PrfHash,
    pre_master_secret: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> MasterSecret {
    let mut master_secret = MasterSecret::zeroed();
    prf(
        hash,
        pre_master_secret,
        b"master secret",
        &[client_random, server_random],
        master_secret.as_mut_bytes(),
    );
    master_secret
}

/// `master_secret = PRF(pre_master_secret, "extended master secret",
/// session_hash)[0..47]` (RFC 7627 §4), where `session_hash` is the hash of
/// the handshake messages from ClientHello through ClientKeyExchange (RFC
/// 7627 §3). This binds the session to the handshake that made it.
pub fn extended_master_secret(
    hash: PrfHash,
    pre_master_secret: &[u8],
    session_hash: &[u8],
) -> MasterSecret {
    let mut master_secret = MasterSecret::zeroed();
    prf(
        hash,
        pre_master_secret,
        b"extended master secret",
        &[session_hash],
        master_secret.as_mut_bytes(),
    );
    master_secret
}

/// The largest key block we derive: ChaCha20-Poly1305's two 32-byte keys and
/// two 12-byte IVs.
const MAX_KEY_BLOCK_LEN: usize = 88;

/// The part of `key_block` (§6.3) an AEAD suite uses, split as the RFC
/// partitions it (AEAD suites have no MAC keys, so those parts are empty):
///
/// ```text
/// client_write_key[SecurityParameters.enc_key_length]
/// server_write_key[SecurityParameters.enc_key_length]
/// client_write_IV[SecurityParameters.fixed_iv_length]
/// server_write_IV[SecurityParameters.fixed_iv_length]
/// ```
///
/// Zeroized on drop; `Debug` prints no key.
#[derive(Debug)]
pub struct KeyBlock {
    bulk: BulkAlgorithm,
    bytes: SecretBytes<MAX_KEY_BLOCK_LEN>,
}

/// `key_block = PRF(SecurityParameters.master_secret, "key expansion",
/// SecurityParameters.server_random + SecurityParameters.client_random)`
/// (§6.3), as long as `bulk` needs.
///
/// Note the order: server_random first, unlike the master secret's seed.
/// The randoms are this connection's, so a resumed connection gets fresh
/// keys from the session's master secret.
pub fn key_block(
    hash: PrfHash,
    master_secret: &MasterSecret,
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    bulk: BulkAlgorithm,
) -> KeyBlock {
    Prf::new(hash, master_secret.as_bytes()).key_block(client_random, server_random, bulk)
}

impl KeyBlock {
    /// The AEAD the key block was cut for.
    pub fn bulk(&self) -> BulkAlgorithm {
        self.bulk
    }

    /// The whole key block ([`BulkAlgorithm::key_block_len`] bytes): for
    /// tests, e.g. that two connections of one session have different keys.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes.as_bytes()[..self.bulk.key_block_len()]
    }

    /// `client_write_key`, for tests.
    pub fn client_write_key(&self) -> &[u8] {
        self.part(0, self.bulk.key_len())
    }

    /// `server_write_key`, for tests.
    pub fn server_write_key(&self) -> &[u8] {
        self.part(self.bulk.key_len(), self.bulk.key_len())
    }

    /// `client_write_IV`, for tests.
    pub fn client_write_iv(&self) -> &[u8] {
        self.part(2 * self.bulk.key_len(), self.bulk.fixed_iv_len())
    }

    /// `server_write_IV`, for tests.
    pub fn server_write_iv(&self) -> &[u8] {
        self.part(
            2 * self.bulk.key_len() + self.bulk.fixed_iv_len(),
            self.bulk.fixed_iv_len(),
        )
    }

    fn part(&self, start: usize, len: usize) -> &[u8] {
        &self.as_bytes()[start..start + len]
    }

    /// The pending state that protects what the client writes: the client's
    /// pending write state and the server's pending read state.
    pub fn client_write_state(&self) -> Result<PendingCipherState, Error> {
        PendingCipherState::new(self.bulk, self.client_write_key(), self.client_write_iv())
    }

    /// The pending state that protects what the server writes: the server's
    /// pending write state and the client's pending read state.
    pub fn server_write_state(&self) -> Result<PendingCipherState, Error> {
        PendingCipherState::new(self.bulk, self.server_write_key(), self.server_write_iv())
    }
}

/// `finished_label` (§7.4.9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FinishedLabel {
    /// "For Finished messages sent by the client, the string 'client
    /// finished'."
    ClientFinished,
    /// "For Finished messages sent by the server, the string 'server
    /// finished'."
    ServerFinished,
}

impl FinishedLabel {
    /// The label's bytes.
    pub fn as_bytes(self) -> &'static [u8] {
        match self {
            Self::ClientFinished => b"client finished",
            Self::ServerFinished => b"server finished",
        }
    }
}

/// `verify_data_length` (§7.4.9): "Any cipher suite which does not
/// explicitly specify verify_data_length has a verify_data_length equal to
/// 12. This includes all existing cipher suites."
pub const VERIFY_DATA_LEN: usize = 12;

/// `verify_data = PRF(master_secret, finished_label,
/// Hash(handshake_messages))[0..verify_data_length-1]` (§7.4.9), where
/// `handshake_hash` is that hash, made with
/// [`PrfHash::digest_algorithm`] ("the Hash MUST be the Hash used as the
/// basis for the PRF").
///
/// Compare a received one with
/// [`constant_time_eq`](crate::secret::constant_time_eq).
pub fn verify_data(
    hash: PrfHash,
    master_secret: &MasterSecret,
    label: FinishedLabel,
    handshake_hash: &[u8],
) -> [u8; VERIFY_DATA_LEN] {
    Prf::new(hash, master_secret.as_bytes()).verify_data(label, handshake_hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_does_not_depend_on_how_the_seed_is_split() {
        let mut whole = [0; 100];
        let mut split = [0; 100];
        let mut three = [0; 100];
        prf(
            PrfHash::Sha256,
            b"secret",
            b"label",
            &[b"seedseed"],
            &mut whole,
        );
        prf(
            PrfHash::Sha256,
            b"secret",
            b"lab",
            &[b"elseed", b"seed"],
            &mut split,
        );
        prf(
            PrfHash::Sha256,
            b"secret",
            b"",
            &[b"label", b"seed", b"seed"],
            &mut three,
        );
        assert_eq!(whole, split);
        assert_eq!(whole, three);
    }

    /// One keyed PRF, used for several outputs in turn, gives each what a
    /// PRF keyed for it alone gives: nothing carries over between uses.
    /// P_hash leaves A(i) and its HMAC outputs zeroed, and still gives the
    /// PRF's output (here 100 bytes: four SHA-256 blocks, the last cut).
    #[test]
    fn p_hash_wipes_its_intermediates() {
        let mut expected = [0; 100];
        prf(
            PrfHash::Sha256,
            b"secret",
            b"label",
            &[b"seed"],
            &mut expected,
        );
        let key = hmac::Key::new(hmac::HMAC_SHA256, b"secret");
        let mut out = [0; 100];
        let mut intermediates = [[0; digest::MAX_OUTPUT_LEN]; 2];
        p_hash_wiping(&key, b"label", &[b"seed"], &mut out, &mut intermediates);
        assert_eq!(out, expected);
        assert_eq!(intermediates, [[0; digest::MAX_OUTPUT_LEN]; 2]);
    }

    #[test]
    fn a_prf_keyed_once_serves_every_output() {
        let secret = MasterSecret::from_bytes([7; 48]);
        let keyed = Prf::new(PrfHash::Sha256, secret.as_bytes());
        let bulk = BulkAlgorithm::Aes128Gcm;
        for round in 0..2u8 {
            let (c, s) = ([round; 32], [round + 1; 32]);
            assert_eq!(
                keyed.key_block(&c, &s, bulk).as_bytes(),
                key_block(PrfHash::Sha256, &secret, &c, &s, bulk).as_bytes()
            );
            for label in [FinishedLabel::ClientFinished, FinishedLabel::ServerFinished] {
                assert_eq!(
                    keyed.verify_data(label, &c),
                    verify_data(PrfHash::Sha256, &secret, label, &c)
                );
            }
        }
    }

    #[test]
    fn shorter_output_is_a_prefix_of_longer() {
        // The PRF's output is a stream: truncating at any length must agree,
        // including inside a block and exactly at a block boundary.
        let mut long = [0; 100];
        prf(PrfHash::Sha384, b"k", b"l", &[b"s"], &mut long);
        for len in [0, 1, 47, 48, 49, 96, 99] {
            let mut short = vec![0; len];
            prf(PrfHash::Sha384, b"k", b"l", &[b"s"], &mut short);
            assert_eq!(short, long[..len]);
        }
    }

    #[test]
    fn a_resumed_connection_gets_new_keys_from_the_same_master_secret() {
        let ms = MasterSecret::from_bytes([9; 48]);
        let bulk = BulkAlgorithm::Aes128Gcm;
        let first = key_block(PrfHash::Sha256, &ms, &[1; 32], &[2; 32], bulk);
        let again = key_block(PrfHash::Sha256, &ms, &[1; 32], &[2; 32], bulk);
        let resumed = key_block(PrfHash::Sha256, &ms, &[1; 32], &[3; 32], bulk);
        assert_eq!(first.as_bytes(), again.as_bytes());
        assert_ne!(first.as_bytes(), resumed.as_bytes());
    }

    #[test]
    fn key_block_parts_tile_the_block_in_rfc_order() {
        let ms = MasterSecret::from_bytes([5; 48]);
        for bulk in [
            BulkAlgorithm::Aes128Gcm,
            BulkAlgorithm::Aes256Gcm,
            BulkAlgorithm::ChaCha20Poly1305,
        ] {
            let kb = key_block(PrfHash::Sha256, &ms, &[1; 32], &[2; 32], bulk);
            let joined = [
                kb.client_write_key(),
                kb.server_write_key(),
                kb.client_write_iv(),
                kb.server_write_iv(),
            ]
            .concat();
            assert_eq!(joined, kb.as_bytes());
            assert_eq!(kb.as_bytes().len(), bulk.key_block_len());
            // The randoms go in server first (§6.3).
            let mut expected = vec![0; bulk.key_block_len()];
            prf(
                PrfHash::Sha256,
                &[5; 48],
                b"key expansion",
                &[&[2; 32], &[1; 32]],
                &mut expected,
            );
            assert_eq!(kb.as_bytes(), expected);
        }
    }

    #[test]
    fn the_two_finished_labels_differ() {
        let ms = MasterSecret::from_bytes([1; 48]);
        let client = verify_data(
            PrfHash::Sha256,
            &ms,
            FinishedLabel::ClientFinished,
            &[0; 32],
        );
        let server = verify_data(
            PrfHash::Sha256,
            &ms,
            FinishedLabel::ServerFinished,
            &[0; 32],
        );
        assert_ne!(client, server);
    }
}
