//! Targets for what a server farm keeps in Redis (the `tls12-farm` crate,
//! crates/farm): `redis_value`, the two decoders of the values Redis
//! answers (`RedisStore::decode_value`, `FarmTicketKeys::decode_key_name`),
//! and `farm_key`, the farm key files (`FarmKey::load`,
//! `FarmKey::with_previous`). No Redis is needed: the decoders take the
//! bytes a `GETRANGE` answered, and a `Redis` link sends nothing until a
//! call.

use std::sync::{Arc, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use ring::rand::{SecureRandom, SystemRandom};
use tls12::session_store::{system_clock, StoreError};
use tls12::{Session, SessionId};
use tls12_farm::{FarmKey, FarmTicketKeys, Redis, RedisStore, MAX_VALUE};

use super::keys::{decode_key_file, opens, seal_by_hand, PrivateDir};

/// `RedisValue.format_version`.
const VALUE_VERSION: u8 = 1;
/// `redis_value`'s input header: flags, bit to flip (2 bytes), format
/// version, period (8 bytes).
const HEADER_LEN: usize = 12;
/// `redis_value` flags: decode a ticket key (else a session).
const FLAG_TICKET_KEY: u8 = 1;
/// `redis_value` flags, bits 1-2: who seals the value.
const SEALER_SHIFT: u8 = 1;
/// `redis_value` flags: look it up under another session id or period.
const FLAG_OTHER_NAME: u8 = 1 << 3;
/// `redis_value` flags: flip one bit of the sealed value.
const FLAG_FLIP: u8 = 1 << 4;
/// `redis_value` flags: the header's format version replaces the value's.
const FLAG_VERSION: u8 = 1 << 5;
/// `redis_value` flags: the session (if the plaintext is one) gets a peer
/// chain of one certificate of `(flip bytes) * 4` bytes, so that the value
/// may pass [`MAX_VALUE`].
const FLAG_GROW: u8 = 1 << 6;

/// The farm of the `redis_value` target, made once per process: a farm
/// key of one current and one previous key (files written and loaded as
/// servers load them, the key bytes kept here to seal by hand), a key
/// that shares the current key's `key_name` but not its AES key, and a
/// store and farm ticket keys on a Redis that is never called.
struct Farm {
    /// `TicketKey` records (`key_name ‖ aes_key ‖ created_at`): current,
    /// previous, unknown.
    keys: [Vec<u8>; 3],
    store: RedisStore,
    ticket_keys: FarmTicketKeys,
}

fn farm() -> &'static Farm {
    static FARM: OnceLock<Farm> = OnceLock::new();
    FARM.get_or_init(|| {
        let rng = SystemRandom::new();
        let now = unix_now();
        let record = || {
            let mut key = vec![0; 48];
            rng.fill(&mut key)
                .expect("the system random generator works");
            key.extend_from_slice(&now.to_be_bytes());
            key
        };
        let current = record();
        let previous = record();
        let mut unknown = record();
        unknown[..16].copy_from_slice(&current[..16]);
        let dir = PrivateDir::new();
        let load = |name: &str, key: &[u8]| {
            let path = dir.0.join(name);
            let file = [&[1, 0, 56][..], key].concat();
            tls12::session_store::write_private_file(&path, &file).expect("a key file");
            FarmKey::load(&path).expect("a farm key file loads")
        };
        let farm_key = load("current", &current).with_previous(load("previous", &previous));
        let farm_key = Arc::new(farm_key);
        let redis = idle_redis();
        let ticket_keys = FarmTicketKeys::new(
            redis.clone(),
            farm_key.clone(),
            FarmTicketKeys::DEFAULT_ROTATION,
            system_clock(),
        )
        .expect("the system random generator works");
        Farm {
            keys: [current, previous, unknown],
            store: RedisStore::new(redis, farm_key),
            ticket_keys,
        }
    })
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Target `redis_value`: the bytes Redis answered for a session
/// (`RedisStore::decode_value`) or a ticket key
/// (`FarmTicketKeys::decode_key_name`), under the farm key of [`farm`].
///
/// Input: a 12-byte header (flags; a big-endian u16 choosing the bit to
/// flip, or the size of a grown chain; a format version; a big-endian
/// u64 period), then the plaintext. Flags bits 1-2 choose the value: 0,
/// the plaintext as it is; 1, 2, 3, `format_version ‖` the plaintext
/// sealed by hand (AES-256-GCM, a zero nonce) under the current key, the
/// previous key, or a key of the current key's name that the farm does
/// not hold, bound to the session id (the plaintext's own, if it is a
/// `SessionState`) or to the period.
///
/// Asserted: a value opens exactly when it is sealed under the current or
/// previous key, looked up under the name it was bound to, undamaged, of
/// format version 1, and (a session) at most [`MAX_VALUE`] bytes, a
/// `SessionState` of that session id, or (a ticket key) 48 bytes; what
/// opens is the plaintext: the same `SessionState` encoding, the same
/// `key_name`.
pub fn redis_value(data: &[u8]) {
    let Some((header, plaintext)) = data.split_first_chunk::<HEADER_LEN>() else {
        return;
    };
    let flags = header[0];
    let flip = u16::from_be_bytes([header[1], header[2]]);
    let mut period_bytes = [0; 8];
    period_bytes.copy_from_slice(&header[4..]);
    let period = u64::from_be_bytes(period_bytes);
    let sealer = usize::from(flags >> SEALER_SHIFT & 3);
    let farm = farm();

    let mut plaintext = plaintext.to_vec();
    let session = Session::decode(&plaintext).ok();
    if let Some(mut session) = session.filter(|_| flags & FLAG_GROW != 0) {
        session.peer_certificates = vec![vec![0x30; usize::from(flip) * 4]].into();
        plaintext = session.encode().to_vec();
    }
    let ticket_key = flags & FLAG_TICKET_KEY != 0;
    let id = Session::decode(&plaintext)
        .map_or_else(|_| SessionId::new(&[7; 32]), |s| Some(s.session_id))
        .expect("a session id of 32 bytes");
    let context = if ticket_key {
        [&b"ticket key"[..], &period.to_be_bytes()].concat()
    } else {
        [&b"session"[..], id.as_bytes()].concat()
    };
    let mut value = match sealer {
        0 => plaintext.clone(),
        n => {
            let sealed = seal_by_hand(&farm.keys[n - 1], &plaintext, &context);
            [&[VALUE_VERSION][..], &sealed].concat()
        }
    };
    let sealed = value.clone();
    if flags & FLAG_VERSION != 0 && !value.is_empty() {
        value[0] = header[3];
    }
    if flags & FLAG_FLIP != 0 && !value.is_empty() && flags & FLAG_GROW == 0 {
        let bit = usize::from(flip) % (value.len() * 8);
        value[bit / 8] ^= 1 << (bit % 8);
    }
    // A flipped bit may undo a changed version.
    let intact = value == sealed;
    let other_name = flags & FLAG_OTHER_NAME != 0;
    let opens_here = intact && !other_name && (sealer == 1 || sealer == 2);

    if ticket_key {
        let period = if other_name { period ^ 1 } else { period };
        let opened = farm.ticket_keys.decode_key_name(period, &value);
        let expected = opens_here && plaintext.len() == 48;
        assert_eq!(opened.is_some(), expected, "ticket key, sealer {sealer}");
        if let Some(name) = opened {
            assert_eq!(name[..], plaintext[..16]);
        }
    } else {
        let lookup = if other_name { other_id(&id) } else { id };
        let opened = farm.store.decode_value(&lookup, &value);
        let decodes = Session::decode(&plaintext).is_ok_and(|s| s.session_id == id);
        let expected = opens_here && decodes && value.len() <= MAX_VALUE;
        assert_eq!(opened.is_some(), expected, "session, sealer {sealer}");
        if let Some(session) = opened {
            assert_eq!(session.encode()[..], plaintext[..]);
        }
    }
}

/// A session id other than `id`.
fn other_id(id: &SessionId) -> SessionId {
    let mut bytes = id.as_bytes().to_vec();
    match bytes.first_mut() {
        Some(b) => *b ^= 1,
        None => bytes.push(1),
    }
    SessionId::new(&bytes).expect("as long as a session id")
}

/// The most key files of a `farm_key` input.
const MAX_FILES: usize = 3;

/// Target `farm_key`: up to three farm key files, loaded with
/// `FarmKey::load` (the system clock: that is what servers use) from a
/// private directory, the first the current key, the others previous
/// keys (`with_previous`, nested as the flags byte says); then a session
/// sealed by hand under every key of every file is looked up
/// (`RedisStore::decode_value`).
///
/// Input: a flags byte (bit 0: the third file is the second's previous,
/// not the first's), then each file as a big-endian u16 length and the
/// bytes (a short last one takes what is left).
///
/// Asserted: each file loads exactly when it has the `TicketKeyFile`
/// layout (else `StoreError::Corrupt`); a session sealed under a key of a
/// file opens exactly when some file, by `TicketKeys`'s rules at this
/// time, opens with that key's name and AES key; under a key that no file
/// holds, or with one bit flipped, it never opens.
pub fn farm_key(data: &[u8]) {
    let Some((&flags, mut rest)) = data.split_first() else {
        return;
    };
    let mut files = Vec::new();
    while !rest.is_empty() && files.len() < MAX_FILES {
        let (len, body) = match rest.split_first_chunk::<2>() {
            Some((len, body)) => (usize::from(u16::from_be_bytes(*len)), body),
            None => (rest.len(), rest),
        };
        let (file, after) = body.split_at(len.min(body.len()));
        files.push(file);
        rest = after;
    }
    let dir = PrivateDir::new();
    let before = unix_now();
    let mut loaded = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let path = dir.0.join(format!("farm-key-{i}"));
        tls12::session_store::write_private_file(&path, file).expect("a key file");
        match (FarmKey::load(&path), decode_key_file(file)) {
            (Ok(key), Some(_)) => loaded.push(key),
            (Err(StoreError::Corrupt { .. }), None) => return,
            (Ok(_), None) => panic!("a malformed farm key file loaded"),
            (Err(e), _) => panic!("the farm key file did not load: {e}"),
        }
    }
    let mut loaded = loaded.into_iter();
    let Some(mut farm_key) = loaded.next() else {
        return;
    };
    match (loaded.next(), loaded.next()) {
        (Some(second), Some(third)) if flags & 1 != 0 => {
            farm_key = farm_key.with_previous(second.with_previous(third));
        }
        (second, third) => {
            for previous in second.into_iter().chain(third) {
                farm_key = farm_key.with_previous(previous);
            }
        }
    }
    let debug = format!("{farm_key:?}");
    assert!(debug.starts_with("FarmKey(<redacted>, "), "{debug}");
    let store = RedisStore::new(idle_redis(), Arc::new(farm_key));
    let files: Vec<Vec<&[u8]>> = files.iter().filter_map(|f| decode_key_file(f)).collect();
    let session = farm_session();
    let id = session.session_id;
    let context = [&b"session"[..], id.as_bytes()].concat();
    let plaintext = session.encode();
    let unknown = &farm().keys[2];
    for key in files.iter().flatten().copied().chain([&unknown[..]]) {
        let mut value = [
            &[VALUE_VERSION][..],
            &seal_by_hand(key, &plaintext, &context),
        ]
        .concat();
        let opened = store.decode_value(&id, &value).is_some();
        let after = unix_now();
        let expected = |now| files.iter().any(|file| opens(file, key, now));
        assert!(
            opened == expected(before) || opened == expected(after),
            "opened: {opened}, {} files",
            files.len()
        );
        let last = value.len() - 1;
        value[last] ^= 0x80;
        assert!(
            store.decode_value(&id, &value).is_none(),
            "a damaged value opened"
        );
    }
}

/// A `Redis` link that is never called (nothing is sent before a call).
fn idle_redis() -> Arc<Redis> {
    static REDIS: OnceLock<Arc<Redis>> = OnceLock::new();
    REDIS
        .get_or_init(|| {
            Redis::with_log(
                "redis://127.0.0.1:9",
                Redis::DEFAULT_TIMEOUT,
                Arc::new(|_| {}),
            )
            .expect("a Redis URL")
        })
        .clone()
}

/// The session `farm_key` seals: a fixed one, which does not expire.
fn farm_session() -> Session {
    static SESSION: OnceLock<Vec<u8>> = OnceLock::new();
    let encoded = SESSION.get_or_init(|| {
        let resumed = include_bytes!("../seeds/session/resumed-server");
        let mut session = Session::decode(resumed).expect("a saved session");
        session.session_id = SessionId::new(&[9; 32]).expect("32 bytes");
        session.encode().to_vec()
    });
    Session::decode(encoded).expect("it decodes")
}
