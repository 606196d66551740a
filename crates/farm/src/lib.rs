//! The farm: sessions and ticket keys shared by a server farm, on Redis
//! (RFC 5246 §7.4.1.3; RFC 5077 §4, §5.5).
//!
//! Why a crate of its own, not part of `session-store`: the protocol asks
//! only that a server *have* a session cache and ticket keys, through the
//! [`ServerSessionStore`] trait and [`TicketKeys`]. Where a farm keeps
//! them (a Redis client, deadlines, retries, a key that seals values at
//! rest) is operations. A server that runs alone never compiles it, and a
//! reader of the protocol crates never meets it.
//!
//! Behind a load balancer, a session made on server A must resume on
//! server B, or resumption falls to about one connection in N. Two things
//! make that so:
//!
//! - [`RedisStore`], the server session cache (§7.4.1.3: "the server will
//!   look in its session cache for a match") kept in Redis: one `GETRANGE` per
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
//! A call is one round trip, and everything it does (connect, AUTH and
//! SELECT, every write and every read, the retry below) shares one
//! deadline, [`Redis::DEFAULT_TIMEOUT`] unless told otherwise: a socket
//! timeout alone would bound each read, and a reply dripping a byte at a
//! time would hold a handshake for as long as it liked. A failed call is
//! a miss: the handshake goes on as a full one (§7.4.1.3: "there is no
//! requirement that the server resume any session").
//!
//! Connections are kept open between calls. One that fails (Redis
//! restarted, or closed it after its own idle `timeout`) says nothing
//! about Redis now, so the call is tried once more on a new connection,
//! in what is left of the deadline; only if that fails too is Redis down.
//! While down (for [`Redis::RETRY_AFTER`]) calls fail at once instead of
//! each waiting for the deadline; then the next call tries again, so
//! resumption comes back by itself when Redis does. An outage is logged
//! once when it starts and once when it ends, not once per connection.
//!
//! # Bounded replies
//!
//! No good value is longer than [`MAX_VALUE`]; a longer one was planted
//! there. A lookup reads the value with `GETRANGE key 0 MAX_VALUE`, so
//! Redis itself sends at most one byte more than the cap: a longer value
//! costs the same round trip as a session, never its own size in memory
//! or time. It is a bad value (counted in [`StoreStats::bad_values`],
//! logged) and deleted, as no server of any farm key could have written
//! it. Every call also has a budget of reply bytes, past which the
//! connection is dropped, so that even a Redis that ignored the range
//! could not make us read more. A value that does not open or decode is a
//! miss too, counted and logged, but left to expire: it may be sealed
//! under a farm key this server does not hold yet (see rotation below).
//!
//! # Rotating the farm key
//!
//! The farm key seals everything the farm keeps in Redis, so its lifetime
//! bounds forward secrecy there: whoever gets it later opens every value
//! Redis (or a dump of it) still holds. [`FarmKey::with_previous`] adds
//! keys that open values but never seal: servers restarted with a new
//! current key and the old one as previous resume the sessions, and read
//! the ticket keys, the old key sealed, until those expire in Redis. The
//! docs/farm.md gives the steps.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use core::fmt;
use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use redis::Value;
use ring::rand::SystemRandom;
use zeroize::Zeroizing;

use session_store::{
    generate_shared_key, system_clock, Clock, ServerSessionStore, Session, SessionId, SharedKey,
    StoreError, TicketKeys,
};

/// `RedisValue.format_version`.
const FORMAT_VERSION: u8 = 1;

/// The longest value a server of the farm writes or reads, bytes: well
/// above the largest session the default limits let a handshake make (a
/// client chain of 100 KiB, OpenSSL's `max_cert_list`, and a few hundred
/// bytes more); real sessions take a few hundred bytes to a few KiB. A
/// longer value in Redis is a bad value, and deleted.
pub const MAX_VALUE: usize = 128 * 1024;

/// What a reply other than a value may take, bytes: a status, an
/// integer, a null or an error line, with room to spare.
const SHORT_REPLY: usize = 512;

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
/// farm (as nginx's `ssl_session_ticket_key` files are); and, after a
/// rotation, the previous keys, which open what they sealed but seal
/// nothing.
pub struct FarmKey {
    current: TicketKeys,
    previous: Vec<TicketKeys>,
}

impl FarmKey {
    /// The farm key in `path`, or a fresh one saved there (`0600`). A file
    /// that group or others may read is refused: it opens every session in
    /// Redis.
    pub fn load_or_create(path: &Path) -> Result<Self, StoreError> {
        Ok(Self::sealing_with(TicketKeys::load_or_create(
            path,
            system_clock(),
        )?))
    }

    /// The farm key in `path`, which must exist: a previous key (see
    /// [`FarmKey::with_previous`]).
    pub fn load(path: &Path) -> Result<Self, StoreError> {
        Ok(Self::sealing_with(TicketKeys::load(path, system_clock())?))
    }

    /// A fresh farm key saved at `path` (`0600`), to be copied to every
    /// server. An existing file is an error: it may be the key in use.
    pub fn create(path: &Path) -> Result<Self, StoreError> {
        if path.symlink_metadata().is_ok() {
            return Err(StoreError::Io {
                action: "create a new farm key at",
                path: path.into(),
                source: io::ErrorKind::AlreadyExists.into(),
            });
        }
        Self::load_or_create(path)
    }

    /// A fresh farm key in memory only: for servers in one process (tests,
    /// the demo).
    pub fn generate() -> Result<Self, StoreError> {
        Ok(Self::sealing_with(TicketKeys::new(system_clock())?))
    }

    fn sealing_with(current: TicketKeys) -> Self {
        Self {
            current,
            previous: Vec::new(),
        }
    }

    /// The same key, also opening (never sealing) what `previous` sealed,
    /// and what its own previous keys did: after a rotation, so that the
    /// values in Redis outlive the key that sealed them. Keep a previous
    /// key until the last value it sealed has expired in Redis (the
    /// rotation steps in docs/farm.md say when).
    pub fn with_previous(mut self, previous: FarmKey) -> Self {
        self.previous.push(previous.current);
        self.previous.extend(previous.previous);
        self
    }

    /// A `RedisValue` holding `plaintext` bound to `context`.
    fn seal(&self, plaintext: &[u8], context: &[u8]) -> Result<Vec<u8>, StoreError> {
        let sealed = self.current.seal_bytes(plaintext, context)?;
        Ok([&[FORMAT_VERSION][..], &sealed].concat())
    }

    /// The plaintext of a `RedisValue`, or why there is none. The value
    /// names its key (`key_name` in the clear), so only that key tries.
    fn open(&self, value: &[u8], context: &[u8]) -> Result<Zeroizing<Vec<u8>>, &'static str> {
        match value.split_first() {
            Some((&FORMAT_VERSION, sealed)) => core::iter::once(&self.current)
                .chain(&self.previous)
                .find_map(|keys| keys.open_bytes(sealed, context))
                .ok_or(
                    "it does not open under the farm key (another key, another name, or damage)",
                ),
            _ => Err("unknown format version"),
        }
    }
}

impl fmt::Debug for FarmKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FarmKey(<redacted>, {} previous)", self.previous.len())
    }
}

/// Commands sent together in one round trip, and the most bytes their
/// replies may take.
struct Request {
    packed: Vec<u8>,
    replies: usize,
    reply_bytes: usize,
}

impl Request {
    fn new() -> Self {
        Self {
            packed: Vec::new(),
            replies: 0,
            reply_bytes: 0,
        }
    }

    /// `cmd`, whose reply is short: a status, an integer, a null, an error.
    fn short(mut self, cmd: &redis::Cmd) -> Self {
        cmd.write_packed_command(&mut self.packed);
        self.replies += 1;
        self.reply_bytes += SHORT_REPLY;
        self
    }

    /// `GETRANGE key 0 cap`: the value's first `cap + 1` bytes at most,
    /// one more than a good value holds, so that a longer one shows.
    fn get_range(mut self, key: &str, cap: usize) -> Self {
        self = self.short(redis::cmd("GETRANGE").arg(key).arg(0).arg(cap));
        self.reply_bytes += cap + 1;
        self
    }
}

/// What `GETRANGE key 0 cap` found under a key.
enum Found {
    /// No key (or an empty value: GETRANGE does not tell them apart, and
    /// no good value is empty).
    Nothing,
    /// A value of at most `cap` bytes.
    Value(Vec<u8>),
    /// A value longer than `cap`: never one of ours.
    TooLong,
}

impl Found {
    fn from_reply(reply: Value, cap: usize) -> Result<Self, StoreError> {
        match reply {
            Value::BulkString(bytes) if bytes.is_empty() => Ok(Self::Nothing),
            Value::BulkString(bytes) if bytes.len() > cap => Ok(Self::TooLong),
            Value::BulkString(bytes) => Ok(Self::Value(bytes)),
            Value::Nil => Ok(Self::Nothing),
            other => Err(StoreError::Remote {
                action: "read a value from Redis".into(),
                detail: format!("GETRANGE answered {other:?}"),
            }),
        }
    }
}

/// Why a call on a connection failed.
enum Failure {
    /// The connection is unusable (closed, reset, out of time, or a reply
    /// over its budget): it is dropped.
    Link(String),
    /// Redis answered with an error: the connection is fine.
    Server(String),
}

/// The time left before `deadline`, or an error once it has passed.
fn time_left(deadline: Instant) -> io::Result<Duration> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|left| !left.is_zero())
        .ok_or_else(out_of_time)
}

fn out_of_time() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "out of time for this call")
}

/// A socket timeout (set to the time left) says so, not "would block".
fn timed_out_as_such(e: io::Error) -> io::Error {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => out_of_time(),
        _ => e,
    }
}

/// One open connection to Redis, and what its parser has read of the next
/// reply.
struct Link {
    socket: TcpStream,
    parser: redis::Parser,
}

impl Link {
    /// Connects to `info`'s address, then sends AUTH and SELECT as the URL
    /// says, all before `deadline`.
    fn connect(info: &redis::ConnectionInfo, deadline: Instant) -> Result<Self, Failure> {
        let link_error = |e: io::Error| Failure::Link(e.to_string());
        let redis::ConnectionAddr::Tcp(host, port) = info.addr() else {
            return Err(Failure::Link("only redis:// (TCP) is supported".into()));
        };
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
        let mut socket = None;
        for addr in (host.as_str(), *port)
            .to_socket_addrs()
            .map_err(link_error)?
        {
            match TcpStream::connect_timeout(&addr, time_left(deadline).map_err(link_error)?) {
                Ok(s) => {
                    socket = Some(s);
                    break;
                }
                Err(e) => last = e,
            }
        }
        let socket = socket.ok_or_else(|| link_error(last))?;
        // Requests are single small writes: send each at once.
        socket.set_nodelay(true).map_err(link_error)?;
        let mut link = Self {
            socket,
            parser: redis::Parser::new(),
        };
        let settings = info.redis_settings();
        let mut setup = Request::new();
        if let Some(password) = settings.password() {
            let mut auth = redis::cmd("AUTH");
            auth.arg(settings.username()).arg(password);
            setup = setup.short(&auth);
        }
        if settings.db() != 0 {
            setup = setup.short(redis::cmd("SELECT").arg(settings.db()));
        }
        if setup.replies > 0 {
            // Refused AUTH or SELECT: this connection is no use.
            link.exchange(&setup, deadline).map_err(|e| match e {
                Failure::Server(detail) | Failure::Link(detail) => Failure::Link(detail),
            })?;
        }
        Ok(link)
    }

    /// Sends `request` and reads its replies, all before `deadline`.
    fn exchange(&mut self, request: &Request, deadline: Instant) -> Result<Vec<Value>, Failure> {
        let link_error = |e: io::Error| Failure::Link(e.to_string());
        let mut rest = &request.packed[..];
        while !rest.is_empty() {
            self.socket
                .set_write_timeout(Some(time_left(deadline).map_err(link_error)?))
                .map_err(link_error)?;
            match (&self.socket).write(rest) {
                Ok(0) => return Err(link_error(io::ErrorKind::WriteZero.into())),
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(link_error(timed_out_as_such(e))),
            }
        }
        let mut reader = BoundedReader {
            socket: &self.socket,
            deadline,
            bytes_left: request.reply_bytes,
        };
        let mut replies = Vec::with_capacity(request.replies);
        for _ in 0..request.replies {
            let reply = self.parser.parse_value(&mut reader);
            replies.push(reply.map_err(|e| Failure::Link(e.to_string()))?);
        }
        // Every reply read: the connection is in step, whatever they say.
        match replies.iter().find(|r| matches!(r, Value::ServerError(_))) {
            Some(error) => Err(Failure::Server(format!("{error:?}"))),
            None => Ok(replies),
        }
    }
}

/// The socket as the parser reads it in one call: each read waits only
/// until the call's deadline, and no more than the call's replies may
/// take is read.
struct BoundedReader<'a> {
    socket: &'a TcpStream,
    deadline: Instant,
    bytes_left: usize,
}

impl Read for BoundedReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.bytes_left == 0 {
            return Err(io::Error::other("the replies are longer than asked for"));
        }
        self.socket
            .set_read_timeout(Some(time_left(self.deadline)?))?;
        let len = buf.len().min(self.bytes_left);
        let n = self
            .socket
            .read(&mut buf[..len])
            .map_err(timed_out_as_such)?;
        self.bytes_left -= n;
        Ok(n)
    }
}

/// A connection to one Redis server, shared by the store and the ticket
/// keys of a server: a small pool of open connections, each reused, one
/// deadline on every call, and a record of whether Redis is reachable.
pub struct Redis {
    /// Address, user, password and database, from the URL.
    info: redis::ConnectionInfo,
    /// The address, for messages (never the password).
    address: String,
    timeout: Duration,
    /// Open connections not in use. A call takes one (or connects), so
    /// that one slow call never makes another wait behind it.
    idle: Mutex<Vec<Link>>,
    /// `Some(retry_at)` while Redis is down: calls fail at once until then.
    down: Mutex<Option<Instant>>,
    log: Log,
}

impl Redis {
    /// The time one call may take in all unless told otherwise.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(100);

    /// How long the link stays down after a failed call before trying
    /// again.
    pub const RETRY_AFTER: Duration = Duration::from_secs(1);

    /// Idle connections kept open at most: a burst of handshakes opens as
    /// many as run at once, and the ones beyond this are closed after use.
    pub const MAX_IDLE: usize = 16;

    /// A link to the Redis at `url`, `redis://[user:password@]host:port[/db]`
    /// (AUTH with user and password, SELECT db, on every new connection),
    /// with `timeout` for the whole of each call, logging to standard
    /// error. Nothing is sent yet: see [`Redis::check`].
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
        // The redis crate parses the URL (and its percent-escapes).
        let client = redis::Client::open(url).map_err(|e| bad_url(e.to_string()))?;
        let info = client.get_connection_info().clone();
        Ok(Arc::new(Self {
            address: info.addr().to_string(),
            info,
            timeout,
            idle: Mutex::new(Vec::new()),
            down: Mutex::new(None),
            log,
        }))
    }

    /// Sends `PING`: a server calls this at start, so that an unreachable
    /// Redis is reported (once) before the first handshake.
    pub fn check(&self) -> Result<(), StoreError> {
        let ping = Request::new().short(&redis::cmd("PING"));
        self.call("PING", &ping).map(drop)
    }

    /// What is under `key`, read with one `GETRANGE key 0 cap`.
    fn get_range(&self, key: &str, cap: usize) -> Result<Found, StoreError> {
        let request = Request::new().get_range(key, cap);
        let replies = self.call(&format!("GETRANGE {key}"), &request)?;
        // `call` returns as many replies as the request has commands: one.
        let reply = replies.into_iter().next().unwrap_or(Value::Nil);
        Found::from_reply(reply, cap)
    }

    /// Deletes `keys`: one `DEL`.
    fn delete(&self, keys: &[String]) -> Result<(), StoreError> {
        let request = Request::new().short(redis::cmd("DEL").arg(keys));
        self.call(&format!("DEL {}", keys.join(" ")), &request)
            .map(drop)
    }

    /// Sends `request` (described by `what` in errors) on an idle
    /// connection or a new one, and returns its replies; at once an error
    /// while the link is down.
    fn call(&self, what: &str, request: &Request) -> Result<Vec<Value>, StoreError> {
        let error = |detail: String| StoreError::Remote {
            action: format!("{what} on Redis at {}", self.address),
            detail,
        };
        if let Some(retry_at) = *lock(&self.down) {
            if Instant::now() < retry_at {
                return Err(error("Redis is down; trying again shortly".into()));
            }
        }
        let deadline = Instant::now() + self.timeout;
        let pooled = lock(&self.idle).pop();
        let outcome = match pooled {
            Some(link) => match self.exchange(link, request, deadline) {
                // Kept since its last call, it may have died since (Redis
                // restarted, or closed it after its idle `timeout`); so
                // will the other idle ones have. Once more, on a new one.
                Err(Failure::Link(_)) if time_left(deadline).is_ok() => {
                    lock(&self.idle).clear();
                    self.exchange_on_new(request, deadline)
                }
                outcome => outcome,
            },
            None => self.exchange_on_new(request, deadline),
        };
        match outcome {
            Ok(replies) => {
                self.succeeded();
                Ok(replies)
            }
            Err(Failure::Server(detail)) => Err(error(detail)),
            Err(Failure::Link(detail)) => Err(error(self.failed(detail))),
        }
    }

    fn exchange_on_new(&self, request: &Request, deadline: Instant) -> Result<Vec<Value>, Failure> {
        self.exchange(Link::connect(&self.info, deadline)?, request, deadline)
    }

    /// `request` on `link`, which goes back to the pool unless it failed.
    fn exchange(
        &self,
        mut link: Link,
        request: &Request,
        deadline: Instant,
    ) -> Result<Vec<Value>, Failure> {
        let outcome = link.exchange(request, deadline);
        if !matches!(outcome, Err(Failure::Link(_))) {
            let mut idle = lock(&self.idle);
            if idle.len() < Self::MAX_IDLE {
                idle.push(link);
            }
        }
        outcome
    }

    /// Marks the link down; logs the first failure of an outage only.
    fn failed(&self, detail: String) -> String {
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
    /// Values that did not open or decode, held another session id, or
    /// were longer than [`MAX_VALUE`] (those are deleted): each was
    /// treated as a miss.
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

    /// The session in `value`, read under `id`'s key: `None` unless it is
    /// at most [`MAX_VALUE`] bytes, opens under the farm key (current or
    /// previous) bound to `id`, decodes, and is the session named `id`.
    /// Each `None` is a bad value, counted in [`StoreStats::bad_values`]
    /// and logged. An expired session is returned: [`ServerSessionStore::get`]
    /// drops it.
    ///
    /// This is what `get` does with the bytes Redis answered, without
    /// Redis: public so that the decoding can be tested and fuzzed on its
    /// own (fuzz/, target `redis_value`).
    pub fn decode_value(&self, id: &SessionId, value: &[u8]) -> Option<Arc<Session>> {
        let key = self.key(id);
        if value.len() > MAX_VALUE {
            return self.bad_value(&key, &format!("it is over {MAX_VALUE} bytes"));
        }
        let state = match self.farm_key.open(value, &Self::context(id)) {
            Ok(state) => state,
            Err(why) => return self.bad_value(&key, why),
        };
        match Session::decode(&state) {
            Ok(session) if session.session_id == *id => Some(Arc::new(session)),
            Ok(_) => self.bad_value(&key, "it holds another session id"),
            Err(e) => self.bad_value(&key, &format!("it does not decode: {e}")),
        }
    }

    fn failed(&self, e: StoreError) -> StoreError {
        self.stats.failures.fetch_add(1, Ordering::Relaxed);
        e
    }
}

impl ServerSessionStore for RedisStore {
    /// One `SET key value EX seconds`, the seconds the session has left.
    /// A value over [`MAX_VALUE`] is not stored (it would read back as a
    /// bad value): that session resumes on no server.
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
        if value.len() > MAX_VALUE {
            (self.redis.log)(&format!(
                "did not store {key}: {} bytes, over the {MAX_VALUE} a value may take",
                value.len()
            ));
            return Ok(());
        }
        let set = Request::new().short(redis::cmd("SET").arg(&key).arg(value).arg("EX").arg(left));
        self.redis
            .call(&format!("SET {key}"), &set)
            .map(drop)
            .map_err(|e| self.failed(e))
    }

    /// One `GETRANGE key 0 MAX_VALUE` (see "Bounded replies" in the module
    /// docs). Redis expires the key with the session, so an expired
    /// session is not found. A value that does not open is a miss, and
    /// stays until it expires; a value too long to be one of ours is a
    /// miss, and deleted (a second command, for planted values only).
    fn get(&self, id: &SessionId) -> Result<Option<Arc<Session>>, StoreError> {
        if id.is_empty() {
            return Ok(None);
        }
        let key = self.key(id);
        let found = self
            .redis
            .get_range(&key, MAX_VALUE)
            .map_err(|e| self.failed(e))?;
        let found = match found {
            Found::Nothing => None,
            Found::Value(value) => self.decode_value(id, &value),
            Found::TooLong => {
                let deleted = match self.redis.delete(core::slice::from_ref(&key)) {
                    Ok(()) => "deleted",
                    Err(_) => "not deleted: Redis failed",
                };
                self.bad_value(&key, &format!("it is over {MAX_VALUE} bytes; {deleted}"))
            }
        };
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
        self.redis
            .delete(&[self.key(id)])
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
/// lives in Redis under `tls12:ticket-key:q` (the prefix is
/// configurable), sealed under the farm key.
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
    /// The key prefix unless told otherwise.
    pub const DEFAULT_PREFIX: &'static str = "tls12:ticket-key:";

    /// The rotation period unless told otherwise.
    pub const DEFAULT_ROTATION: Duration = Duration::from_secs(60 * 60);

    /// How often the thread of [`FarmTicketKeys::start`] refreshes, at most.
    pub const REFRESH_EVERY: Duration = Duration::from_secs(10);

    /// The longest value under the prefix, bytes: a ticket key's is 93
    /// (`RedisValue` of `key_name ‖ aes_key`); a longer one is a bad value,
    /// and deleted (the next refresh then stores a good one).
    const MAX_KEY_VALUE: usize = 256;

    /// Farm ticket keys with `rotation` as the period (at least a second),
    /// keys under [`FarmTicketKeys::DEFAULT_PREFIX`]; nothing is asked of
    /// Redis before [`FarmTicketKeys::start`] (or
    /// [`FarmTicketKeys::fetched`]), and until then they seal with one
    /// local key.
    pub fn new(
        redis: Arc<Redis>,
        farm_key: Arc<FarmKey>,
        rotation: Duration,
        clock: Clock,
    ) -> Result<Self, StoreError> {
        Ok(Self {
            redis,
            farm_key,
            prefix: Self::DEFAULT_PREFIX.into(),
            period: rotation.as_secs().max(1),
            keys: Arc::new(TicketKeys::new(clock.clone())?),
            clock,
            known: Mutex::new(BTreeMap::new()),
            rng: SystemRandom::new(),
            bad_values: AtomicU64::new(0),
        })
    }

    /// The same keys under `prefix` in Redis, as
    /// [`RedisStore::with_prefix`]: two farms (two farm keys) on one Redis
    /// must not read each other's keys.
    pub fn with_prefix(mut self, prefix: &str) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The keys, fetched from Redis once now; refreshed only by
    /// [`FarmTicketKeys::refresh`]. If Redis cannot be reached, they stay
    /// one local key and the failure is logged.
    pub fn fetched(self) -> Arc<Self> {
        // Unreachable: already logged by `Redis`; a refresh tries again.
        let _ = self.refresh();
        Arc::new(self)
    }

    /// [`FarmTicketKeys::fetched`], then a thread that refreshes the keys
    /// on time; it ends when the returned value is dropped.
    pub fn start(self) -> Result<Arc<Self>, StoreError> {
        let farm = self.fetched();
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
    /// key. One round trip: `SET NX` twice, a `GETRANGE` per key.
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

    /// One round trip: `SET NX` the keys of the current and next periods,
    /// then `GETRANGE` every key wanted (see [`FarmTicketKeys::refresh`]);
    /// a second, `DEL`, only for values too long to be keys.
    fn fetch(&self, now: u64, current: u64) -> Result<(), StoreError> {
        let first = self.first_period(now, current);
        let mut request = Request::new();
        for period in [current, current + 1] {
            // Offer the key we hold (after a Redis restart, the farm's keys
            // come back), or a new one; NX keeps whichever came first.
            let candidate = match lock(&self.known).get(&period) {
                Some(key) => key.clone(),
                None => generate_shared_key(&self.rng)?,
            };
            let expires = (period + 1) * self.period + u64::from(TicketKeys::LIFETIME);
            let value = self
                .farm_key
                .seal(candidate.as_slice(), &Self::context(period))?;
            request = request.short(
                redis::cmd("SET")
                    .arg(self.name(period))
                    .arg(value)
                    .arg("NX")
                    .arg("EX")
                    .arg(expires.saturating_sub(now).max(1)),
            );
        }
        let wanted: Vec<u64> = {
            let known = lock(&self.known);
            (first..current)
                .filter(|p| !known.contains_key(p))
                .chain([current, current + 1])
                .collect()
        };
        for &period in &wanted {
            request = request.get_range(&self.name(period), Self::MAX_KEY_VALUE);
        }
        let replies = self
            .redis
            .call("SET NX and GETRANGE ticket keys", &request)?;
        let mut too_long = Vec::new();
        let mut known = lock(&self.known);
        for (period, reply) in wanted.into_iter().zip(replies.into_iter().skip(2)) {
            let key = match Found::from_reply(reply, Self::MAX_KEY_VALUE)? {
                Found::Nothing => None,
                Found::Value(value) => self.decode(period, &value),
                Found::TooLong => {
                    too_long.push(self.name(period));
                    self.bad_value(period, "it is too long to be a key; deleted")
                }
            };
            if let Some(key) = key {
                known.insert(period, key);
            }
        }
        known.retain(|&p, _| p >= first);
        drop(known);
        if !too_long.is_empty() {
            self.redis.delete(&too_long)?;
        }
        Ok(())
    }

    /// The `key_name` of the ticket key in `value`, read under period
    /// `period`'s name: `None` unless it opens under the farm key (current
    /// or previous) bound to `period` and holds `key_name ‖ aes_key`; each
    /// `None` is counted in [`FarmTicketKeys::bad_values`] and logged.
    ///
    /// This is what a refresh does with each value Redis answered, without
    /// Redis and without installing the key (whose AES half stays inside):
    /// public so that the decoding can be tested and fuzzed on its own
    /// (fuzz/, target `redis_value`).
    pub fn decode_key_name(&self, period: u64, value: &[u8]) -> Option<[u8; 16]> {
        let key = self.decode(period, value)?;
        let mut name = [0; 16];
        name.copy_from_slice(&key[..16]);
        Some(name)
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
        self.bad_value(period, why)
    }

    /// Counts a bad value and says so.
    fn bad_value(&self, period: u64, why: &str) -> Option<SharedKey> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A peer that answers PING one byte at a time, each well within the
    /// timeout, the whole answer well past it: the call must give up at
    /// its deadline, where a timeout per read would wait for the end.
    #[test]
    fn a_reply_dripping_a_byte_at_a_time_fails_at_the_call_deadline() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let dripper = std::thread::spawn(move || {
            let (mut sock, _) = listener.accept().unwrap();
            let mut request = [0u8; 14]; // *1\r\n$4\r\nPING\r\n
            sock.read_exact(&mut request).unwrap();
            for byte in b"+PONG\r\n" {
                std::thread::sleep(Duration::from_millis(40));
                // The client may have given up and closed already.
                if sock.write_all(&[*byte]).is_err() {
                    return;
                }
            }
        });
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        let log: Log = Arc::new(move |l: &str| lock(&sink).push(l.to_owned()));
        let url = format!("redis://127.0.0.1:{port}");
        let redis = Redis::with_log(&url, Duration::from_millis(150), log).unwrap();
        let error = redis.check().unwrap_err().to_string();
        assert!(error.contains("out of time"), "{error}");
        assert_eq!(lock(&lines).len(), 1, "one outage warning");
        dripper.join().unwrap();
    }
}
