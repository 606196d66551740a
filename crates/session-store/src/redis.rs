//! Sessions and ticket keys shared by a server farm, on Redis (RFC 5246
//! §7.4.1.3; RFC 5077 §4, §5.5). Behind the cargo feature `redis`.
//!
//! Behind a load balancer, a session made on server A must resume on
//! server B, or resumption falls to about one connection in N. Two things
//! make that so:
//!
//! - [`RedisStore`], the server session cache (§7.4.1.3: "the server will
//!   look in its session cache for a match") kept in Redis: one `GET` per
//!   resumption attempt, one `SET` (expiring with the session) per new
//!   session, one `DEL` per invalidation (§7.2.2);
//! - [`FarmTicketKeys`], ticket keys (RFC 5077 §5.5: "The keys should be
//!   changed regularly") made once per rotation period by one server of the
//!   farm and read by all, so that a ticket sealed on A opens on B.
//!
//! # Sealed at rest
//!
//! Apache's mod_socache_redis and nginx's shared cache keep session values
//! in the clear: whoever reads the cache (a `redis-cli --scan`, a dump
//! file, the Redis port) reads every master secret. Here each value is
//! sealed, as a ticket is, under a [`FarmKey`] every server of the farm
//! holds in a file; the additional data binds the value to its session id
//! (or ticket key to its period), so a value copied under another name does
//! not open.
//!
//! ```text
//! struct {
//!     uint8 format_version;       /* 1 */
//!     opaque sealed[...];         /* TicketKeys::seal_bytes under the farm key:
//!                                    SessionState with context "session" ‖ session_id,
//!                                    or key_name ‖ aes_key with context
//!                                    "ticket key" ‖ uint64 period */
//! } RedisValue;
//! ```
//!
//! # Bounded failure
//!
//! Every Redis call has connect, read and write timeouts
//! ([`Redis::DEFAULT_TIMEOUT`]); a call that must connect first gets what
//! the connect left of the timeout, so no call waits longer in all. A
//! failed call is a miss: the handshake goes on as a full one (§7.4.1.3: "there is no requirement that the
//! server resume any session"). After a failure the link stays down for
//! [`Redis::RETRY_AFTER`] (calls fail at once instead of each waiting for
//! the timeout), then tries again: resumption comes back by itself when
//! Redis does. An outage is logged once when it starts and once when it
//! ends, not once per connection. A value that does not open or decode is
//! a miss too, counted in [`StoreStats::bad_values`] and logged.

use core::fmt;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use ring::rand::SystemRandom;
use zeroize::Zeroizing;

use crate::ticket::{generate_shared_key, SharedKey};
use crate::{system_clock, Clock, ServerSessionStore, Session, SessionId, StoreError, TicketKeys};

/// `RedisValue.format_version`.
const FORMAT_VERSION: u8 = 1;

/// Where a line of the log goes: warnings about outages, bad values.
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;

/// The log that prints to standard error.
fn stderr_log() -> Log {
    Arc::new(|line| eprintln!("tls12 redis: {line}"))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The key that seals what a farm keeps in Redis: a key file in the
/// format of [`TicketKeys::load_or_create`], copied to every server of the
/// farm (as nginx's `ssl_session_ticket_key` files are), and never rotated
/// by itself.
pub struct FarmKey {
    keys: TicketKeys,
}

impl FarmKey {
    /// The farm key in `path`, or a fresh one saved there (`0600`). A file
    /// that group or others may read is refused: it opens every session in
    /// Redis.
    pub fn load_or_create(path: &Path) -> Result<Self, StoreError> {
        Ok(Self {
            keys: TicketKeys::load_or_create(path, system_clock())?,
        })
    }

    /// A fresh farm key in memory only: for servers in one process (tests,
    /// the demo).
    pub fn generate() -> Result<Self, StoreError> {
        Ok(Self {
            keys: TicketKeys::new(system_clock())?,
        })
    }

    /// A `RedisValue` holding `plaintext` bound to `context`.
    fn seal(&self, plaintext: &[u8], context: &[u8]) -> Result<Vec<u8>, StoreError> {
        let sealed = self.keys.seal_bytes(plaintext, context)?;
        Ok([&[FORMAT_VERSION][..], &sealed].concat())
    }

    /// The plaintext of a `RedisValue`, or why there is none.
    fn open(&self, value: &[u8], context: &[u8]) -> Result<Zeroizing<Vec<u8>>, &'static str> {
        match value.split_first() {
            Some((&FORMAT_VERSION, sealed)) => self.keys.open_bytes(sealed, context).ok_or(
                "it does not open under the farm key (another key, another name, or damage)",
            ),
            _ => Err("unknown format version"),
        }
    }
}

impl fmt::Debug for FarmKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FarmKey(<redacted>)")
    }
}

/// A connection to one Redis server, shared by the store and the ticket
/// keys of a server: a small pool of open connections, each reused, with
/// timeouts on every call and a record of whether Redis is reachable.
pub struct Redis {
    client: redis::Client,
    /// The address, for messages (never the password).
    address: String,
    timeout: Duration,
    /// Open connections not in use. A call takes one (or connects), so
    /// that one slow call never makes another wait behind it.
    idle: Mutex<Vec<redis::Connection>>,
    /// `Some(retry_at)` while Redis is down: calls fail at once until then.
    down: Mutex<Option<Instant>>,
    log: Log,
}

impl Redis {
    /// The connect, read and write timeout unless told otherwise.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(100);

    /// How long the link stays down after a failed call before trying
    /// again.
    pub const RETRY_AFTER: Duration = Duration::from_secs(1);

    /// Idle connections kept open at most: a burst of handshakes opens as
    /// many as run at once, and the ones beyond this are closed after use.
    pub const MAX_IDLE: usize = 16;

    /// A link to the Redis at `url`, `redis://[user:password@]host:port[/db]`
    /// (AUTH with user and password, SELECT db, done by the `redis` crate on
    /// every new connection), with `timeout` on every connect, read and
    /// write, logging to standard error. Nothing is sent yet: see
    /// [`Redis::check`].
    pub fn open(url: &str, timeout: Duration) -> Result<Arc<Self>, StoreError> {
        Self::with_log(url, timeout, stderr_log())
    }

    /// [`Redis::open`], logging to `log`.
    pub fn with_log(url: &str, timeout: Duration, log: Log) -> Result<Arc<Self>, StoreError> {
        let bad_url = |detail: String| StoreError::Remote {
            action: "use the Redis URL".into(),
            detail,
        };
        if !url.starts_with("redis://") {
            return Err(bad_url("it must start with redis://".into()));
        }
        let client = redis::Client::open(url).map_err(|e| bad_url(e.to_string()))?;
        let address = client.get_connection_info().addr().to_string();
        Ok(Arc::new(Self {
            client,
            address,
            timeout,
            idle: Mutex::new(Vec::new()),
            down: Mutex::new(None),
            log,
        }))
    }

    /// Sends `PING`: a server calls this at start, so that an unreachable
    /// Redis is reported (once) before the first handshake.
    pub fn check(&self) -> Result<(), StoreError> {
        self.query("PING", |c| redis::cmd("PING").query::<String>(c))
            .map(drop)
    }

    /// Runs `call` (described by `what` in errors) on an idle connection
    /// or a new one; at once an error while the link is down.
    fn query<T>(
        &self,
        what: &str,
        call: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T, StoreError> {
        let error = |detail: String| StoreError::Remote {
            action: format!("{what} on Redis at {}", self.address),
            detail,
        };
        if let Some(retry_at) = *lock(&self.down) {
            if Instant::now() < retry_at {
                return Err(error("Redis is down; trying again shortly".into()));
            }
        }
        let began = Instant::now();
        let pooled = lock(&self.idle).pop();
        let fresh = pooled.is_none();
        let mut conn = match pooled.map_or_else(|| self.connect(began), Ok) {
            Ok(conn) => conn,
            Err(e) => return Err(error(self.failed(e))),
        };
        match call(&mut conn) {
            Ok(value) => {
                self.keep(conn, fresh);
                self.succeeded();
                Ok(value)
            }
            // Redis answered, with an error: the connection is fine.
            Err(e) if matches!(e.kind(), redis::ErrorKind::Server(_)) => {
                self.keep(conn, fresh);
                Err(error(e.to_string()))
            }
            Err(e) => Err(error(self.failed(e))),
        }
    }

    /// A new connection (connect, AUTH, SELECT) within the timeout counted
    /// from `began`; its first call gets what is left of it, so that a
    /// handshake never waits longer than the timeout in all.
    fn connect(&self, began: Instant) -> redis::RedisResult<redis::Connection> {
        let conn = self.client.get_connection_with_timeout(self.timeout)?;
        let left = self.timeout.saturating_sub(began.elapsed());
        set_timeouts(&conn, left.max(Duration::from_millis(1)))?;
        Ok(conn)
    }

    /// Returns `conn` to the pool, with the whole timeout again if it was
    /// new (closed if that fails, or if the pool is full).
    fn keep(&self, conn: redis::Connection, fresh: bool) {
        if fresh && set_timeouts(&conn, self.timeout).is_err() {
            return;
        }
        let mut idle = lock(&self.idle);
        if idle.len() < Self::MAX_IDLE {
            idle.push(conn);
        }
    }

    /// Marks the link down; logs the first failure of an outage only.
    fn failed(&self, e: redis::RedisError) -> String {
        let detail = e.to_string();
        let mut down = lock(&self.down);
        if down.is_none() {
            (self.log)(&format!(
                "Redis at {} is unreachable ({detail}): full handshakes until it is back",
                self.address
            ));
        }
        *down = Some(Instant::now() + Self::RETRY_AFTER);
        // Connections opened before the outage are as dead as this one.
        lock(&self.idle).clear();
        detail
    }

    fn succeeded(&self) {
        if lock(&self.down).take().is_some() {
            (self.log)(&format!("Redis at {} is reachable again", self.address));
        }
    }
}

fn set_timeouts(conn: &redis::Connection, timeout: Duration) -> redis::RedisResult<()> {
    conn.set_read_timeout(Some(timeout))?;
    conn.set_write_timeout(Some(timeout))
}

impl fmt::Debug for Redis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redis")
            .field("address", &self.address)
            .field("timeout", &self.timeout)
            .field("down", &lock(&self.down).is_some())
            .finish()
    }
}

/// What a [`RedisStore`] has seen since it was made.
#[derive(Debug, Default)]
pub struct StoreStats {
    /// Lookups that found a session to resume.
    pub hits: AtomicU64,
    /// Lookups that found nothing (or an expired, non-resumable session).
    pub misses: AtomicU64,
    /// Values that did not open or decode, or held another session id:
    /// each was treated as a miss.
    pub bad_values: AtomicU64,
    /// Calls that failed (Redis unreachable or too slow).
    pub failures: AtomicU64,
}

/// The server session cache (RFC 5246 §7.4.1.3) in Redis, shared by every
/// server that names the same Redis and holds the same [`FarmKey`].
pub struct RedisStore {
    redis: Arc<Redis>,
    farm_key: Arc<FarmKey>,
    prefix: String,
    clock: Clock,
    stats: StoreStats,
}

impl RedisStore {
    /// The key prefix unless told otherwise.
    pub const DEFAULT_PREFIX: &'static str = "tls12:session:";

    /// A store on `redis`, sealing under `farm_key`, keys under
    /// [`RedisStore::DEFAULT_PREFIX`], expiring by the system clock.
    pub fn new(redis: Arc<Redis>, farm_key: Arc<FarmKey>) -> Self {
        Self {
            redis,
            farm_key,
            prefix: Self::DEFAULT_PREFIX.into(),
            clock: system_clock(),
            stats: StoreStats::default(),
        }
    }

    /// The same store with keys under `prefix` (several farms on one Redis).
    pub fn with_prefix(mut self, prefix: &str) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The same store, reading the time from `clock`.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// What the store has seen.
    pub fn stats(&self) -> &StoreStats {
        &self.stats
    }

    /// The Redis key of a session: the prefix, then the id in hex.
    pub fn key(&self, id: &SessionId) -> String {
        format!("{}{}", self.prefix, hex::encode(id.as_bytes()))
    }

    /// The sealed value's additional data: it names the session.
    fn context(id: &SessionId) -> Vec<u8> {
        [&b"session"[..], id.as_bytes()].concat()
    }

    /// Counts a bad value and says so; the lookup is a miss.
    fn bad_value(&self, key: &str, why: &str) -> Option<Arc<Session>> {
        let n = self.stats.bad_values.fetch_add(1, Ordering::Relaxed) + 1;
        (self.redis.log)(&format!(
            "ignored the value under {key}: {why} ({n} bad values so far)"
        ));
        None
    }

    /// The session in `value`, stored under `id`'s key, if it opens,
    /// decodes, and is the session named `id`.
    fn decode(&self, key: &str, id: &SessionId, value: &[u8]) -> Option<Arc<Session>> {
        let state = match self.farm_key.open(value, &Self::context(id)) {
            Ok(state) => state,
            Err(why) => return self.bad_value(key, why),
        };
        match Session::decode(&state) {
            Ok(session) if session.session_id == *id => Some(Arc::new(session)),
            Ok(_) => self.bad_value(key, "it holds another session id"),
            Err(e) => self.bad_value(key, &format!("it does not decode: {e}")),
        }
    }

    fn failed(&self, e: StoreError) -> StoreError {
        self.stats.failures.fetch_add(1, Ordering::Relaxed);
        e
    }
}

impl ServerSessionStore for RedisStore {
    /// One `SET key value EX seconds`, the seconds the session has left.
    fn put(&self, session: Arc<Session>) -> Result<(), StoreError> {
        let now = (self.clock)();
        let left = session
            .created_at
            .saturating_add(session.lifetime)
            .saturating_sub(now);
        if session.session_id.is_empty() || !session.is_resumable() || left == 0 {
            return Ok(());
        }
        let id = session.session_id;
        let value = self.farm_key.seal(&session.encode(), &Self::context(&id))?;
        let key = self.key(&id);
        self.redis
            .query(&format!("SET {key}"), |c| {
                redis::cmd("SET")
                    .arg(&key)
                    .arg(value)
                    .arg("EX")
                    .arg(left)
                    .query::<()>(c)
            })
            .map_err(|e| self.failed(e))
    }

    /// One `GET key`. Redis expires the key with the session, so an expired
    /// session is not found; a bad value is a miss, and stays until it
    /// expires (removing it would be a second command per lookup).
    fn get(&self, id: &SessionId) -> Result<Option<Arc<Session>>, StoreError> {
        if id.is_empty() {
            return Ok(None);
        }
        let key = self.key(id);
        let value: Option<Vec<u8>> = self
            .redis
            .query(&format!("GET {key}"), |c| {
                redis::cmd("GET").arg(&key).query(c)
            })
            .map_err(|e| self.failed(e))?;
        let now = (self.clock)();
        let found = value
            .and_then(|v| self.decode(&key, id, &v))
            .filter(|s| !s.is_expired(now));
        let counter = match found {
            Some(_) => &self.stats.hits,
            None => &self.stats.misses,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        Ok(found)
    }

    /// One `DEL key` (§7.2.2: "the session identifier MUST be
    /// invalidated").
    fn remove(&self, id: &SessionId) -> Result<(), StoreError> {
        let key = self.key(id);
        self.redis
            .query(&format!("DEL {key}"), |c| {
                redis::cmd("DEL").arg(&key).query::<()>(c)
            })
            .map_err(|e| self.failed(e))
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("redis", &self.redis)
            .field("prefix", &self.prefix)
            .field("stats", &self.stats)
            .finish()
    }
}

/// Ticket keys shared by every server that names the same Redis and holds
/// the same [`FarmKey`] (RFC 5077 §5.5), rotated once per period.
///
/// The key of period `q` (the UNIX time divided by the rotation period)
/// lives in Redis under `tls12:ticket-key:q`, sealed under the farm key.
/// Whichever server first needs it makes it, with `SET ... NX`: Redis
/// keeps the first value set and refuses the others, so every server reads
/// the same key. Each server asks for the current period's key and the
/// next one's, so that it already holds the key another server (a clock a
/// second ahead) starts sealing with. A key keeps opening tickets until the
/// last ticket it sealed expires, [`TicketKeys::LIFETIME`] after its period
/// ends; Redis expires it then too.
///
/// A thread ([`FarmTicketKeys::start`]) refreshes the keys every
/// [`FarmTicketKeys::REFRESH_EVERY`] and at each period's start; a
/// handshake only reads the [`TicketKeys`] in memory, never waits for
/// Redis. While Redis is unreachable, the keys already fetched go on
/// sealing and opening; a server that never reached Redis seals with a key
/// of its own (its tickets open on it only) until it does.
pub struct FarmTicketKeys {
    redis: Arc<Redis>,
    farm_key: Arc<FarmKey>,
    prefix: String,
    /// The rotation period, seconds.
    period: u64,
    clock: Clock,
    keys: Arc<TicketKeys>,
    /// The keys read from Redis, by period.
    known: Mutex<BTreeMap<u64, SharedKey>>,
    rng: SystemRandom,
    bad_values: AtomicU64,
}

impl FarmTicketKeys {
    /// The key prefix.
    pub const PREFIX: &'static str = "tls12:ticket-key:";

    /// The rotation period unless told otherwise.
    pub const DEFAULT_ROTATION: Duration = Duration::from_secs(60 * 60);

    /// How often the thread of [`FarmTicketKeys::start`] refreshes, at most.
    pub const REFRESH_EVERY: Duration = Duration::from_secs(10);

    /// Farm ticket keys with `rotation` as the period (at least a second),
    /// fetched from Redis once now. If Redis cannot be reached, the keys
    /// start as one local key and the failure is logged.
    pub fn new(
        redis: Arc<Redis>,
        farm_key: Arc<FarmKey>,
        rotation: Duration,
        clock: Clock,
    ) -> Result<Arc<Self>, StoreError> {
        let farm = Arc::new(Self {
            redis,
            farm_key,
            prefix: Self::PREFIX.into(),
            period: rotation.as_secs().max(1),
            keys: Arc::new(TicketKeys::new(clock.clone())?),
            clock,
            known: Mutex::new(BTreeMap::new()),
            rng: SystemRandom::new(),
            bad_values: AtomicU64::new(0),
        });
        // Unreachable: already logged by `Redis`; the thread tries again.
        let _ = farm.refresh();
        Ok(farm)
    }

    /// [`FarmTicketKeys::new`], then a thread that refreshes the keys on
    /// time; it ends when the returned value is dropped.
    pub fn start(
        redis: Arc<Redis>,
        farm_key: Arc<FarmKey>,
        rotation: Duration,
        clock: Clock,
    ) -> Result<Arc<Self>, StoreError> {
        let farm = Self::new(redis, farm_key, rotation, clock)?;
        let weak = Arc::downgrade(&farm);
        std::thread::Builder::new()
            .name("tls12 ticket keys".into())
            .spawn(move || refresh_while_alive(&weak))
            .map_err(|source| StoreError::Io {
                action: "start a thread for",
                path: "ticket keys".into(),
                source,
            })?;
        Ok(farm)
    }

    /// The keys to put in `ServerConfig::ticket_keys`.
    pub fn ticket_keys(&self) -> Arc<TicketKeys> {
        self.keys.clone()
    }

    /// Values under the prefix that did not open or decode.
    pub fn bad_values(&self) -> u64 {
        self.bad_values.load(Ordering::Relaxed)
    }

    /// Reads the keys of the current and the next period from Redis
    /// (making them if no server has yet), and any older key still needed
    /// that this server has not seen; then seals with the current period's
    /// key. One round trip: `SET NX` twice, one `MGET`.
    pub fn refresh(&self) -> Result<(), StoreError> {
        let now = (self.clock)();
        let current = now / self.period;
        let fetched = self.fetch(now, current);
        self.install(now, current);
        fetched
    }

    /// The oldest period whose key may still open a ticket at `now`: its
    /// last ticket was sealed when the period ended and lives
    /// [`TicketKeys::LIFETIME`]; and at most [`TicketKeys::MAX_KEYS`] keys.
    fn first_period(&self, now: u64, current: u64) -> u64 {
        let lifetime = u64::from(TicketKeys::LIFETIME);
        let by_lifetime = (now.saturating_sub(lifetime) / self.period).saturating_sub(1);
        let by_count = (current + 2).saturating_sub(TicketKeys::MAX_KEYS as u64);
        by_lifetime.max(by_count)
    }

    fn name(&self, period: u64) -> String {
        format!("{}{period}", self.prefix)
    }

    fn context(period: u64) -> Vec<u8> {
        [&b"ticket key"[..], &period.to_be_bytes()].concat()
    }

    fn fetch(&self, now: u64, current: u64) -> Result<(), StoreError> {
        let first = self.first_period(now, current);
        let mut pipe = redis::pipe();
        for period in [current, current + 1] {
            // Offer the key we hold (after a Redis restart, the farm's keys
            // come back), or a new one; NX keeps whichever came first.
            let candidate = match lock(&self.known).get(&period) {
                Some(key) => key.clone(),
                None => generate_shared_key(&self.rng)?,
            };
            let expires = (period + 1) * self.period + u64::from(TicketKeys::LIFETIME);
            pipe.cmd("SET")
                .arg(self.name(period))
                .arg(
                    self.farm_key
                        .seal(candidate.as_slice(), &Self::context(period))?,
                )
                .arg("NX")
                .arg("EX")
                .arg(expires.saturating_sub(now).max(1))
                .ignore();
        }
        let wanted: Vec<u64> = {
            let known = lock(&self.known);
            (first..current)
                .filter(|p| !known.contains_key(p))
                .chain([current, current + 1])
                .collect()
        };
        let names: Vec<String> = wanted.iter().map(|&p| self.name(p)).collect();
        pipe.cmd("MGET").arg(names);
        let (values,): (Vec<Option<Vec<u8>>>,) = self
            .redis
            .query("SET NX and MGET ticket keys", |c| pipe.query(c))?;
        let mut known = lock(&self.known);
        for (period, value) in wanted.into_iter().zip(values) {
            if let Some(key) = value.and_then(|v| self.decode(period, &v)) {
                known.insert(period, key);
            }
        }
        known.retain(|&p, _| p >= first);
        Ok(())
    }

    /// The key in a value, or `None` (logged and counted).
    fn decode(&self, period: u64, value: &[u8]) -> Option<SharedKey> {
        let why = match self.farm_key.open(value, &Self::context(period)) {
            Ok(plain) => {
                let mut key: SharedKey = Zeroizing::new([0; 48]);
                if plain.len() == key.len() {
                    key.copy_from_slice(&plain);
                    return Some(key);
                }
                "it is not key_name ‖ aes_key"
            }
            Err(why) => why,
        };
        let n = self.bad_values.fetch_add(1, Ordering::Relaxed) + 1;
        (self.redis.log)(&format!(
            "ignored the value under {}: {why} ({n} bad values so far)",
            self.name(period)
        ));
        None
    }

    /// Seals with the current period's key, if known, and opens with every
    /// other known key; keeps the keys as they are otherwise.
    fn install(&self, now: u64, current: u64) {
        let first = self.first_period(now, current);
        let known = lock(&self.known);
        let Some(sealing) = known.get(&current) else {
            return;
        };
        let created = |p: u64| p * self.period;
        let opening: Vec<(u64, &SharedKey)> = known
            .range(first..current)
            .chain(known.range(current + 1..))
            .map(|(&p, key)| (created(p), key))
            .collect();
        self.keys
            .install_shared(&opening, (created(current), sealing));
    }

    /// How long the refresh thread sleeps: until the next period starts,
    /// at most [`FarmTicketKeys::REFRESH_EVERY`], at least a second.
    fn until_next_refresh(&self) -> Duration {
        let now = (self.clock)();
        let next = (now / self.period + 1) * self.period;
        Duration::from_secs(next - now).clamp(Duration::from_secs(1), Self::REFRESH_EVERY)
    }
}

/// The refresh thread: ends once the [`FarmTicketKeys`] is dropped.
fn refresh_while_alive(farm: &Weak<FarmTicketKeys>) {
    while let Some(wait) = farm.upgrade().map(|f| f.until_next_refresh()) {
        std::thread::sleep(wait);
        let Some(farm) = farm.upgrade() else { return };
        // A failure is logged by `Redis` (once per outage).
        let _ = farm.refresh();
    }
}

impl fmt::Debug for FarmTicketKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FarmTicketKeys")
            .field("redis", &self.redis)
            .field("period", &self.period)
            .field("known", &lock(&self.known).len())
            .finish()
    }
}
