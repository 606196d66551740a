//! Session tickets (RFC 5077): the server keeps no session state, but seals
//! it into a ticket that the client stores and sends back.
//!
//! # Ticket construction (after RFC 5077 §4)
//!
//! ```text
//! struct {
//!     opaque key_name[16];
//!     opaque nonce[12];
//!     opaque encrypted_state[ticket.length - 44];
//!     opaque tag[16];
//! } ticket;
//! ```
//!
//! `encrypted_state ‖ tag` is AES-256-GCM of the [`Session`]'s
//! `SessionState` encoding (see [`Session::encode`](crate::Session::encode)) under
//! the key named `key_name`, with the 96-bit `nonce` and `key_name` as the
//! additional data. `key_name` "serves to identify a particular set of
//! keys used to protect the ticket" and is random (§4: "The key_name should
//! be randomly generated to avoid collisions between servers").
//!
//! §4 recommends AES-128-CBC for confidentiality plus HMAC-SHA-256 over
//! `key_name`, IV and ciphertext for integrity, and allows others ("the
//! ticket is opaque to the client ... implementations may diverge from this
//! format"). An AEAD gives both properties §5.2 and §5.3 ask for ("strong
//! encryption and integrity protection") in one primitive and one key:
//! there is no padding to check, no MAC comparison to get right, no
//! question of MAC-then-encrypt order. Passing `key_name` as additional data
//! authenticates it as §4's MAC does. AES-256 exceeds §5.5's "at least 128
//! bits in strength". `ring` offers no AES-CBC anyway.
//!
//! Nonces are random: NIST SP 800-38D §8.3 allows 2^32 seals per key with
//! random 96-bit nonces, far more than one key seals before it is rotated.
//!
//! # Keys and rotation
//!
//! §5.5: "The keys should be changed regularly." [`TicketKeys::rotate`]
//! makes a new key that seals from then on, and
//! [`TicketKeys::rotate_if_older_than`] does so on a schedule kept in the
//! keys' own creation times (and so in the key file, across restarts); older keys keep *opening* for
//! [`TicketKeys::LIFETIME`] after they stopped sealing, so that tickets
//! issued just before a rotation last their whole lifetime. Then they are
//! dropped.
//!
//! # Key file
//!
//! [`TicketKeys::load_or_create`] keeps the keys in a file, so that tickets
//! survive a server restart. It is written like a session file (`0600`,
//! atomically) and read strictly: a corrupt key file is an error, never a
//! silent new set of keys.
//!
//! ```text
//! struct {
//!     opaque key_name[16];
//!     opaque aes_key[32];
//!     uint64 created_at;                 /* UNIX seconds */
//! } TicketKey;
//!
//! struct {
//!     uint8 format_version;              /* 1 */
//!     TicketKey keys<1..2^16-1>;         /* oldest first; the last seals */
//! } TicketKeyFile;
//! ```

use core::fmt;
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::{PoisonError, RwLock};

use record_layer::codec::{put_vector, DecodeError, Reader};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use crate::file::{read_private, write_private_atomic};
use crate::private::check_dirs_above;
use crate::{Clock, Session, StoreError};

const KEY_NAME_LEN: usize = 16;
const AES_KEY_LEN: usize = 32;
const TAG_LEN: usize = 16;
/// `key_name`, `nonce` and `tag`: what a ticket adds to the encoding.
const OVERHEAD: usize = KEY_NAME_LEN + NONCE_LEN + TAG_LEN;
/// NewSessionTicket's `ticket<0..2^16-1>` (RFC 5077 §3.3).
const TICKET_MAX: usize = 0xffff;
/// One encoded `TicketKey`.
const KEY_RECORD_LEN: usize = KEY_NAME_LEN + AES_KEY_LEN + 8;
const FILE_FORMAT_VERSION: u8 = 1;
/// `TicketKeyFile.keys<1..2^16-1>`.
const KEYS_MAX: usize = 0xffff;

/// A ticket key as the servers of a farm share it (RFC 5077 §5.5):
/// `key_name ‖ aes_key`, 16 + 32 bytes, wiped on drop. The farm crate
/// (`tls12-farm`) stores these, sealed, in Redis; [`TicketKeys::install_shared`]
/// puts them to use.
pub type SharedKey = Zeroizing<[u8; KEY_NAME_LEN + AES_KEY_LEN]>;

/// A fresh random [`SharedKey`] (RFC 5077 §5.5, RFC 4086).
pub fn generate_shared_key(rng: &SystemRandom) -> Result<SharedKey, StoreError> {
    let mut key = Zeroizing::new([0u8; KEY_NAME_LEN + AES_KEY_LEN]);
    rng.fill(key.as_mut_slice())
        .map_err(|_| StoreError::Random)?;
    Ok(key)
}

/// The server's ticket protection keys (RFC 5077 §4, §5.5): the newest
/// seals, all still valid ones open. Safe to share between threads.
///
/// A server that keeps no sessions seals each one into the ticket it
/// gives the client (§3.3), and opens it when the client offers it back
/// (§3.4):
///
/// ```
/// use record_layer::secret::MasterSecret;
/// use record_layer::suites::CipherSuite;
/// use session_store::{system_clock, Session, SessionId, TicketKeys};
///
/// let keys = TicketKeys::new(system_clock()).unwrap();
/// let session = Session::new(
///     SessionId::EMPTY,
///     CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
///     MasterSecret::from_bytes([1; 48]),
///     true,
///     Vec::new(),
///     None,
///     system_clock()(),
/// );
/// let ticket = keys.seal(&session).unwrap();
/// let opened = keys.open(&ticket).expect("our own ticket");
/// assert_eq!(opened.master_secret(), session.master_secret());
/// // A ticket changed in transit opens to nothing: a full handshake.
/// let mut forged = ticket.clone();
/// forged[20] ^= 1;
/// assert!(keys.open(&forged).is_none());
/// ```
pub struct TicketKeys {
    ring: RwLock<KeyRing>,
    clock: Clock,
    /// Where rotations are saved, for keys from `load_or_create`.
    path: Option<PathBuf>,
    rng: SystemRandom,
}

/// The keys in use. Holding the sealing key apart from the others makes
/// "there is always a key to seal with" true by construction.
struct KeyRing {
    /// Keys that only open the tickets they sealed, oldest first.
    retired: Vec<TicketKey>,
    /// The key new tickets are sealed with.
    sealing: TicketKey,
}

struct TicketKey {
    key_name: [u8; KEY_NAME_LEN],
    aes_key: Zeroizing<[u8; AES_KEY_LEN]>,
    // ring's expanded copy of `aes_key`; ring does not wipe it on drop.
    aead: LessSafeKey,
    created_at: u64,
}

impl TicketKey {
    fn new(key_name: [u8; KEY_NAME_LEN], aes_key: [u8; AES_KEY_LEN], created_at: u64) -> Self {
        let aes_key = Zeroizing::new(aes_key);
        // Only a key of the wrong length is refused, and the type fixes it.
        let unbound = UnboundKey::new(&AES_256_GCM, aes_key.as_slice())
            .expect("AES-256-GCM takes a 32-byte key");
        Self {
            key_name,
            aes_key,
            aead: LessSafeKey::new(unbound),
            created_at,
        }
    }

    /// A fresh random key (RFC 5077 §5.5: "The keys should be generated
    /// securely following the randomness recommendations in [RFC4086]").
    fn generate(rng: &SystemRandom, now: u64) -> Result<Self, StoreError> {
        let mut key_name = [0u8; KEY_NAME_LEN];
        let mut aes_key = Zeroizing::new([0u8; AES_KEY_LEN]);
        rng.fill(&mut key_name).map_err(|_| StoreError::Random)?;
        rng.fill(aes_key.as_mut_slice())
            .map_err(|_| StoreError::Random)?;
        Ok(Self::new(key_name, *aes_key, now))
    }
}

impl KeyRing {
    /// Every key, oldest first, the sealing key last: the key file's order.
    fn all(&self) -> impl Iterator<Item = &TicketKey> {
        self.retired.iter().chain(core::iter::once(&self.sealing))
    }

    /// When `retired[i]` stops opening tickets: [`TicketKeys::LIFETIME`]
    /// after its successor took over sealing, which is when the last
    /// ticket it sealed expires.
    fn retired_until(&self, i: usize) -> u64 {
        let successor = self.retired.get(i + 1).unwrap_or(&self.sealing);
        successor
            .created_at
            .saturating_add(u64::from(TicketKeys::LIFETIME))
    }

    /// The key named `key_name`, if it may still open tickets at `now`.
    fn opener(&self, key_name: &[u8], now: u64) -> Option<&TicketKey> {
        if self.sealing.key_name == key_name {
            return Some(&self.sealing);
        }
        let i = self.retired.iter().position(|k| k.key_name == key_name)?;
        (now < self.retired_until(i)).then(|| &self.retired[i])
    }

    /// Makes `key` the sealing key and retires the old one.
    fn rotate(&mut self, key: TicketKey, now: u64) {
        let old = core::mem::replace(&mut self.sealing, key);
        self.retired.push(old);
        self.prune(now);
    }

    /// Drops retired keys that can no longer open tickets, and the oldest
    /// beyond [`TicketKeys::MAX_KEYS`].
    fn prune(&mut self, now: u64) {
        let count = self.retired.len();
        let first_usable = (0..count)
            .find(|&i| now < self.retired_until(i))
            .unwrap_or(count);
        let first_kept = first_usable.max(count.saturating_sub(TicketKeys::MAX_KEYS - 1));
        self.retired.drain(..first_kept);
    }
}

impl TicketKeys {
    /// How long a ticket is good for, seconds: the `ticket_lifetime_hint`
    /// sent to clients, and how long a key keeps opening tickets after it
    /// stopped sealing. The 24 hours RFC 5246 §F.1.4 suggests for session
    /// ids; RFC 5077 §5.6 leaves it to the server.
    pub const LIFETIME: u32 = 24 * 60 * 60;

    /// At most this many keys are kept, so that calling `rotate` in a loop
    /// cannot grow memory, the key file, or the search `open` does; past
    /// it the oldest key is dropped early (its tickets then fall back to a
    /// full handshake).
    pub const MAX_KEYS: usize = 64;

    /// One fresh key, in memory only: tickets do not survive a restart
    /// (RFC 5077 §4: "One possibility is to generate new random keys and
    /// key_name every time the server is started").
    pub fn new(clock: Clock) -> Result<Self, StoreError> {
        let rng = SystemRandom::new();
        let sealing = TicketKey::generate(&rng, clock())?;
        Ok(Self {
            ring: RwLock::new(KeyRing {
                retired: Vec::new(),
                sealing,
            }),
            clock,
            path: None,
            rng,
        })
    }

    /// The keys saved in `path`, or, if there is no such file, a fresh key
    /// saved there. Later rotations are saved there too.
    ///
    /// A file that cannot be read or does not decode is an error naming
    /// it: replacing it would silently turn every ticket issued into a full
    /// handshake, and hide the problem. So is (on Unix) one that is a
    /// symlink, not owned by the effective user, open to group or others,
    /// or in a directory someone else may write to
    /// ([`StoreError::Untrusted`], see [`private`](crate::private)):
    /// whoever reads it opens every ticket, whoever writes it mints them.
    pub fn load_or_create(path: &Path, clock: Clock) -> Result<Self, StoreError> {
        Self::from_file(path, clock, true)
    }

    /// The keys saved in `path`, read as
    /// [`load_or_create`](Self::load_or_create) reads them; a missing file
    /// is an error too: a key that must open what another server sealed
    /// (a farm's previous key) is no use made afresh.
    pub fn load(path: &Path, clock: Clock) -> Result<Self, StoreError> {
        Self::from_file(path, clock, false)
    }

    fn from_file(path: &Path, clock: Clock, create: bool) -> Result<Self, StoreError> {
        let rng = SystemRandom::new();
        let now = clock();
        check_dirs_above(path)?;
        let ring = match read_private(path)? {
            None if !create => {
                return Err(StoreError::Io {
                    action: "read",
                    path: path.into(),
                    source: std::io::ErrorKind::NotFound.into(),
                })
            }
            Some(bytes) => {
                let mut ring = decode_key_file(&bytes).map_err(|error| StoreError::Corrupt {
                    path: path.into(),
                    error,
                })?;
                ring.prune(now);
                ring
            }
            None => {
                let ring = KeyRing {
                    retired: Vec::new(),
                    sealing: TicketKey::generate(&rng, now)?,
                };
                write_private_atomic(path, &encode_key_file(&ring))?;
                ring
            }
        };
        Ok(Self {
            ring: RwLock::new(ring),
            clock,
            path: Some(path.into()),
            rng,
        })
    }

    /// Seals `session` into a ticket under the newest key. Fails if the
    /// random generator fails, or if the ticket would not fit
    /// NewSessionTicket's `ticket<0..2^16-1>`.
    pub fn seal(&self, session: &Session) -> Result<Vec<u8>, StoreError> {
        let state = session.encode();
        let len = OVERHEAD + state.len();
        if len > TICKET_MAX {
            return Err(StoreError::TicketTooLarge { len });
        }
        self.seal_bytes(&state, &[])
    }

    /// The session sealed in `ticket`, or `None` if this server cannot
    /// vouch for it: too short, an unknown or retired `key_name`, a tag
    /// that does not verify (RFC 5077 §5.3, forged tickets), or contents
    /// that do not decode. The caller then falls back to a full handshake
    /// (RFC 5077 §3.1). A session past its lifetime opens: the handshake
    /// refuses it, and says so.
    pub fn open(&self, ticket: &[u8]) -> Option<Session> {
        let state = self.open_bytes(ticket, &[])?;
        Session::decode(&state).ok()
    }

    /// Seals `plaintext` as a ticket is sealed (`key_name ‖ nonce ‖
    /// encrypted ‖ tag`, see the module docs), with `context` appended to
    /// the additional data after `key_name`: the sealed bytes then open
    /// only with the same `context`. A ticket's context is empty; the Redis
    /// store binds a session to its session id this way, so that a value
    /// copied under another id does not open.
    pub fn seal_bytes(&self, plaintext: &[u8], context: &[u8]) -> Result<Vec<u8>, StoreError> {
        let len = OVERHEAD + plaintext.len();
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| StoreError::Random)?;

        let ring = self.ring.read().unwrap_or_else(PoisonError::into_inner);
        let key = &ring.sealing;
        let mut sealed = Vec::with_capacity(len);
        sealed.extend_from_slice(&key.key_name);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(plaintext);
        let tag = key
            .aead
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(additional_data(&key.key_name, context)),
                &mut sealed[KEY_NAME_LEN + NONCE_LEN..],
            )
            // ring fails only for inputs over ~64 GiB.
            .map_err(|_| StoreError::TicketTooLarge { len })?;
        sealed.extend_from_slice(tag.as_ref());
        Ok(sealed)
    }

    /// The plaintext [`TicketKeys::seal_bytes`] sealed with this
    /// `context`, or `None`: too short, an unknown or retired `key_name`,
    /// or a tag that does not verify (a forgery, damage, or another
    /// context).
    pub fn open_bytes(&self, sealed: &[u8], context: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        if sealed.len() < OVERHEAD {
            return None;
        }
        let (key_name, rest) = sealed.split_at(KEY_NAME_LEN);
        let (nonce, encrypted) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let now = (self.clock)();
        let mut plain = Zeroizing::new(encrypted.to_vec());
        let plain_len = {
            let ring = self.ring.read().unwrap_or_else(PoisonError::into_inner);
            // key_name travels in the clear, so finding it need not be
            // constant-time; the tag check that follows is (inside ring).
            ring.opener(key_name, now)?
                .aead
                .open_in_place(
                    nonce,
                    Aad::from(additional_data(key_name, context)),
                    plain.as_mut_slice(),
                )
                .ok()?
                .len()
        };
        plain.truncate(plain_len);
        Some(plain)
    }

    /// Makes a new key that seals from now on (RFC 5077 §5.5: "The keys
    /// should be changed regularly"), drops keys that can no longer open
    /// anything, and saves the result if the keys came from a file.
    ///
    /// The lock is held while the file is written, so that two rotations
    /// save in the order they happened; tickets wait a few milliseconds,
    /// once per rotation. If saving fails the new key is still in use, and
    /// the error says the file is behind.
    pub fn rotate(&self) -> Result<(), StoreError> {
        self.rotate_if_older_than(0).map(drop)
    }

    /// [`rotate`](Self::rotate)s if the sealing key is at least `interval`
    /// seconds old, and says whether it did: a server calls this on a
    /// schedule. The schedule lives in the keys themselves (each key's
    /// `created_at`, saved in the key file), so a server that restarts on
    /// its key file keeps to it rather than counting afresh: a key due
    /// while the server was down is replaced at the first call.
    pub fn rotate_if_older_than(&self, interval: u64) -> Result<bool, StoreError> {
        let now = (self.clock)();
        let mut ring = self.ring.write().unwrap_or_else(PoisonError::into_inner);
        // Decided under the lock, so that two threads rotate once.
        if now.saturating_sub(ring.sealing.created_at) < interval {
            return Ok(false);
        }
        let key = TicketKey::generate(&self.rng, now)?;
        ring.rotate(key, now);
        match &self.path {
            Some(path) => write_private_atomic(path, &encode_key_file(&ring)).map(|()| true),
            None => Ok(true),
        }
    }

    /// Seconds until the sealing key is `interval` old (0: it is already),
    /// when [`rotate_if_older_than`](Self::rotate_if_older_than) will next
    /// rotate.
    pub fn next_rotation_in(&self, interval: u64) -> u64 {
        let now = (self.clock)();
        let ring = self.ring.read().unwrap_or_else(PoisonError::into_inner);
        interval.saturating_sub(now.saturating_sub(ring.sealing.created_at))
    }

    /// The `key_name` new tickets are sealed under (RFC 5077 §4): servers
    /// that share their keys show the same one.
    pub fn current_key_name(&self) -> [u8; KEY_NAME_LEN] {
        let ring = self.ring.read().unwrap_or_else(PoisonError::into_inner);
        ring.sealing.key_name
    }

    /// Replaces every key with keys a farm shares (the `tls12-farm`
    /// crate's `FarmTicketKeys`), each `(created_at, key_name ‖ aes_key)`:
    /// `sealing` seals from now on, `opening` (oldest first) only open, so
    /// that a ticket sealed on one server of the farm opens on every other.
    pub fn install_shared(&self, opening: &[(u64, &SharedKey)], sealing: (u64, &SharedKey)) {
        let key = |(created_at, bytes): (u64, &SharedKey)| {
            let (key_name, aes_key) = bytes.split_at(KEY_NAME_LEN);
            let mut name = [0u8; KEY_NAME_LEN];
            name.copy_from_slice(key_name);
            let mut aes = Zeroizing::new([0u8; AES_KEY_LEN]);
            aes.copy_from_slice(aes_key);
            TicketKey::new(name, *aes, created_at)
        };
        let ring = KeyRing {
            retired: opening.iter().map(|&k| key(k)).collect(),
            sealing: key(sealing),
        };
        *self.ring.write().unwrap_or_else(PoisonError::into_inner) = ring;
    }

    /// The `ticket_lifetime_hint` to send in NewSessionTicket (RFC 5077
    /// §3.3), seconds.
    pub fn lifetime_hint(&self) -> u32 {
        Self::LIFETIME
    }
}

/// The AEAD's additional data: `key_name`, then the caller's context (a
/// ticket has none, and needs no copy).
fn additional_data<'a>(key_name: &'a [u8], context: &[u8]) -> Cow<'a, [u8]> {
    match context {
        [] => Cow::Borrowed(key_name),
        _ => Cow::Owned([key_name, context].concat()),
    }
}

fn encode_key_file(ring: &KeyRing) -> Zeroizing<Vec<u8>> {
    let count = ring.retired.len() + 1;
    // Exact capacity: a growing Vec would leave unwiped copies of the keys.
    let mut out = Zeroizing::new(Vec::with_capacity(1 + 2 + count * KEY_RECORD_LEN));
    out.push(FILE_FORMAT_VERSION);
    put_vector(&mut out, KEYS_MAX, |o| {
        for key in ring.all() {
            o.extend_from_slice(&key.key_name);
            o.extend_from_slice(key.aes_key.as_slice());
            o.extend_from_slice(&key.created_at.to_be_bytes());
        }
    });
    out
}

fn decode_key_file(bytes: &[u8]) -> Result<KeyRing, DecodeError> {
    let mut r = Reader::new(bytes);
    if r.u8("TicketKeyFile.format_version")? != FILE_FORMAT_VERSION {
        return Err(DecodeError::InvalidValue {
            what: "TicketKeyFile.format_version",
        });
    }
    let mut retired = r.vector(1, KEYS_MAX, "TicketKeyFile.keys")?.items(|k| {
        let key_name = k.array("TicketKey.key_name")?;
        let aes_key = Zeroizing::new(k.array::<AES_KEY_LEN>("TicketKey.aes_key")?);
        let created_at = k.u64("TicketKey.created_at")?;
        Ok(TicketKey::new(key_name, *aes_key, created_at))
    })?;
    r.expect_empty("TicketKeyFile")?;
    // `keys<1..>` holds at least one byte, so at least one whole key.
    let sealing = retired.pop().ok_or(DecodeError::InvalidValue {
        what: "TicketKeyFile.keys",
    })?;
    Ok(KeyRing { retired, sealing })
}

impl fmt::Debug for TicketKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ring = self.ring.read().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("TicketKeys")
            .field("keys", &(ring.retired.len() + 1))
            .field("aes_keys", &"<redacted>")
            .field("path", &self.path)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(created_at: u64) -> TicketKey {
        TicketKey::new([created_at as u8; 16], [7; 32], created_at)
    }

    fn ring(created: &[u64]) -> KeyRing {
        let (sealing, retired) = created.split_last().unwrap();
        KeyRing {
            retired: retired.iter().copied().map(key).collect(),
            sealing: key(*sealing),
        }
    }

    fn created(ring: &KeyRing) -> Vec<u64> {
        ring.all().map(|k| k.created_at).collect()
    }

    /// What a farm relies on: two servers given the same shared keys open
    /// each other's tickets, and a key installed as opening still opens.
    #[test]
    fn installed_shared_keys_open_tickets_sealed_elsewhere() {
        let clock: Clock = std::sync::Arc::new(|| 1_000);
        let rng = SystemRandom::new();
        let old = generate_shared_key(&rng).unwrap();
        let new = generate_shared_key(&rng).unwrap();
        let (a, b) = (
            TicketKeys::new(clock.clone()).unwrap(),
            TicketKeys::new(clock).unwrap(),
        );
        let sealed_by_a_alone = a.seal_bytes(b"state", b"context").unwrap();
        b.install_shared(&[], (900, &old));
        let sealed_under_old = b.seal_bytes(b"state", b"context").unwrap();
        for keys in [&a, &b] {
            keys.install_shared(&[(900, &old)], (1_000, &new));
            assert_eq!(keys.current_key_name()[..], new[..KEY_NAME_LEN]);
        }
        let sealed_under_new = a.seal_bytes(b"state", b"context").unwrap();
        for sealed in [&sealed_under_old, &sealed_under_new] {
            let opened = b.open_bytes(sealed, b"context").unwrap();
            assert_eq!(opened.as_slice(), b"state");
        }
        assert!(a.open_bytes(&sealed_by_a_alone, b"context").is_none());
    }

    #[test]
    fn retired_keys_open_until_their_successor_is_a_lifetime_old() {
        let life = u64::from(TicketKeys::LIFETIME);
        let mut keys = ring(&[0, 100, 200]);
        assert!(keys.opener(&[0; 16], 100 + life - 1).is_some());
        assert!(keys.opener(&[0; 16], 100 + life).is_none());
        keys.prune(100 + life - 1);
        assert_eq!(created(&keys), [0, 100, 200]);
        keys.prune(100 + life);
        assert_eq!(created(&keys), [100, 200]);
        keys.prune(u64::MAX);
        assert_eq!(created(&keys), [200], "the sealing key is never dropped");
        assert!(keys.opener(&[200; 16], u64::MAX).is_some());
    }

    #[test]
    fn prune_caps_the_number_of_keys() {
        let all: Vec<u64> = (0..TicketKeys::MAX_KEYS as u64 + 5).collect();
        let mut keys = ring(&all);
        keys.prune(0);
        assert_eq!(keys.all().count(), TicketKeys::MAX_KEYS);
        assert_eq!(created(&keys)[0], 5);
    }

    #[test]
    fn key_file_round_trips_and_rejects_damage() {
        let file = encode_key_file(&ring(&[1, 2]));
        assert_eq!(file.len(), file.capacity());
        let keys = decode_key_file(&file).unwrap();
        assert_eq!(created(&keys), [1, 2]);
        assert_eq!(keys.sealing.key_name, [2; 16]);
        assert_eq!(*keys.sealing.aes_key, [7; 32]);
        for len in 0..file.len() {
            assert!(decode_key_file(&file[..len]).is_err(), "prefix {len}");
        }
        let mut version = file.to_vec();
        version[0] = 2;
        assert!(decode_key_file(&version).is_err());
        let mut trailing = file.to_vec();
        trailing.push(0);
        assert!(decode_key_file(&trailing).is_err());
    }
}
