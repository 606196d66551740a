//! A session cache in a directory, for both sides, so sessions outlive the
//! process (RFC 5246 §7: a session lives "across many connections").
//!
//! RFC 5246 §F.1.4 warns: "Applications that may be run in relatively
//! insecure environments should not write session IDs to stable storage."
//! A session file holds a master secret, which lets whoever reads it
//! decrypt every connection of that session and impersonate the peer until
//! the session expires. So:
//!
//! - the directory is created `0700`; one not owned by the effective user,
//!   open to group or others, or under a directory someone else could swap
//!   it from, is refused (see [`private`](crate::private)): they could
//!   plant a session whose master secret they know;
//! - each file is created `0600`, opened with `O_NOFOLLOW`, and checked on
//!   the opened file: one that is not ours and private is reported and
//!   removed, never loaded;
//! - a file is written whole or not at all: to a temporary file in the same
//!   directory, then renamed over the old one (a rename within one file
//!   system is atomic), so a concurrent reader never sees half a session;
//!   when it reaches the disk is the [`Durability`] choice;
//! - a file that does not decode is reported on stderr and removed, and the
//!   lookup is a miss: a broken cache entry costs one full handshake;
//! - the store is bounded ([`FileStoreOptions`]): at most `max_sessions`
//!   files, the oldest evicted past it, and expired files swept every
//!   `sweep_interval`, so clients making full handshakes cannot fill the
//!   disk.
//!
//! One file per session: a server's in the `SessionState` encoding of
//! [`Session::encode`], a client's in the `ClientSessionState` encoding of
//! [`ClientSession::encode`](crate::ClientSession::encode):
//!
//! ```text
//! server-<hex of session_id>     the server's cache, by session id
//! client-<hex of SHA-256(id)>    the client's cache, by ServerId
//! ```
//!
//! File names are hex, so no name a peer or a caller chooses can contain
//! `/`, `..` or anything else a path could be steered with. A server name
//! is hashed rather than hex-encoded whole because a DNS name of up to 253
//! bytes would make a hex file name longer than the usual 255-byte limit.
//!
//! Unlike [`MemoryStore`](crate::MemoryStore), a `FileStore` returns a
//! fresh copy of a session on every `get`, so [`Session::invalidate`] does
//! not reach it: call `remove` too. On platforms other than Unix the
//! permission settings are not applied.

use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use ring::digest;
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use crate::private::{create_private_dir, open_private};
use crate::store::Kept;
use crate::{
    system_clock, ClientSession, ClientSessionStore, Clock, ServerId, ServerSessionStore, Session,
    SessionId, StoreError,
};

/// A store of sessions as files in one directory: sessions survive a
/// restart, and a new server process on the same directory resumes them.
///
/// ```
/// use std::sync::Arc;
/// use record_layer::secret::MasterSecret;
/// use record_layer::suites::CipherSuite;
/// use session_store::{system_clock, FileStore, ServerSessionStore, Session, SessionId};
///
/// let dir = std::env::temp_dir().join(format!("tls12-doc-{}", std::process::id()));
/// let id = SessionId::new(&[7; 32]).unwrap();
/// let session = Session::new(
///     id.clone(),
///     CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
///     MasterSecret::from_bytes([1; 48]),
///     true,
///     Vec::new(),
///     None,
///     system_clock()(),
/// );
/// FileStore::new(&dir).unwrap().put(Arc::new(session)).unwrap();
/// // Another store on the same directory: another process, after a restart.
/// let found = FileStore::new(&dir).unwrap().get(&id).unwrap();
/// assert!(found.is_some());
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub struct FileStore {
    dir: PathBuf,
    clock: Clock,
    options: FileStoreOptions,
    housekeeping: Mutex<Housekeeping>,
}

/// How large a [`FileStore`] may grow, how often it sweeps, and how hard it
/// tries to keep what it writes across a power loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileStoreOptions {
    /// At most this many session files: a put that goes past it evicts
    /// the oldest sessions (by `created_at`) down to nine tenths of it, so
    /// that the scan this costs is paid once per tenth of the limit, not
    /// on every put. Without a limit, clients that make full handshakes
    /// would fill the disk.
    pub max_sessions: usize,
    /// Every this many seconds a put also removes every expired or broken
    /// file; otherwise a file goes only when its own key is looked up.
    pub sweep_interval: u64,
    /// When writes are flushed to disk.
    pub durability: Durability,
}

impl Default for FileStoreOptions {
    /// 10 000 sessions, a sweep a minute, the directory flushed at most
    /// once a second.
    fn default() -> Self {
        Self {
            max_sessions: 10_000,
            sweep_interval: 60,
            durability: Durability::DirectoryEvery(1),
        }
    }
}

/// When a [`FileStore`] flushes its writes to disk (`fsync`).
///
/// Every file is written whole under a temporary name and renamed into
/// place, so a reader never sees half a session whatever is chosen here;
/// durability is only about what a power loss takes away. A session store
/// is a cache: losing a session costs one full handshake, and a file torn
/// by a crash fails the strict decoding and is removed, never loaded. Two
/// fsyncs per full handshake, on the other hand, let anyone who can open
/// connections saturate the disk (see `benches/store.rs` for the cost).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// Each put flushes its file and then the directory: a session
    /// survives a power loss from the moment `put` returns.
    EveryWrite,
    /// No put waits for its own file; the directory is flushed at most
    /// once per this many seconds, by the first put after that time has
    /// passed. A power loss takes at most the sessions of the last
    /// interval (plus whatever the system had not written back).
    DirectoryEvery(u64),
}

/// What the store keeps track of between puts.
#[derive(Debug)]
struct Housekeeping {
    /// Session files in the directory, as far as this store knows (other
    /// processes sharing it are counted at the next sweep).
    files: usize,
    /// When the last sweep ran, UNIX seconds.
    last_sweep: u64,
    /// When the directory was last flushed, UNIX seconds.
    last_flush: u64,
}

impl FileStore {
    /// A store in `dir`, created `0700` if missing, expiring sessions by
    /// the system clock, with the default [`FileStoreOptions`]. Fails, with
    /// [`StoreError::Untrusted`] naming the path, its owner and mode, if
    /// the directory is not owned by the effective user, is open to group
    /// or others, or sits under a directory someone else may write to.
    pub fn new(dir: impl Into<PathBuf>) -> Result<Self, StoreError> {
        Self::with_clock(dir, system_clock())
    }

    /// As [`new`](Self::new), expiring sessions by `clock`.
    pub fn with_clock(dir: impl Into<PathBuf>, clock: Clock) -> Result<Self, StoreError> {
        Self::with_options(dir, clock, FileStoreOptions::default())
    }

    /// As [`with_clock`](Self::with_clock), with `options`.
    pub fn with_options(
        dir: impl Into<PathBuf>,
        clock: Clock,
        options: FileStoreOptions,
    ) -> Result<Self, StoreError> {
        let dir = dir.into();
        create_private_dir(&dir)?;
        let now = clock();
        let store = Self {
            dir,
            clock,
            options,
            housekeeping: Mutex::new(Housekeeping {
                files: 0,
                last_sweep: now,
                last_flush: now,
            }),
        };
        store.sweep()?;
        Ok(store)
    }

    /// Removes every expired or unreadable session file, then the oldest
    /// beyond [`FileStoreOptions::max_sessions`]. Puts call it on their
    /// own every [`FileStoreOptions::sweep_interval`] seconds and when the
    /// store is full.
    pub fn sweep(&self) -> Result<(), StoreError> {
        let mut housekeeping = self.lock();
        self.sweep_locked(&mut housekeeping)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Housekeeping> {
        self.housekeeping
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn sweep_locked(&self, housekeeping: &mut Housekeeping) -> Result<(), StoreError> {
        let entries = fs::read_dir(&self.dir).map_err(|source| StoreError::Io {
            action: "list",
            path: self.dir.clone(),
            source,
        })?;
        let mut kept = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            // `load` removes what does not decode; expired files go here.
            let now = (self.clock)();
            let created_at = if name.starts_with("server-") {
                self.load::<Arc<Session>>(&entry.path(), |_| true)?
                    .map(|s| (s.created_at(), s.is_expired(now)))
            } else if name.starts_with("client-") {
                self.load::<ClientSession>(&entry.path(), |_| true)?
                    .map(|s| (s.created_at(), s.is_expired(now)))
            } else {
                None
            };
            let created_at = match created_at {
                Some((_, true)) => {
                    remove_file(&entry.path())?;
                    None
                }
                other => other.map(|(created_at, _)| created_at),
            };
            if let Some(created_at) = created_at {
                kept.push((created_at, entry.path()));
            }
        }
        if kept.len() > self.options.max_sessions {
            kept.sort_unstable();
            let low_water = self.options.max_sessions - self.options.max_sessions / 10;
            for (_, path) in kept.drain(..kept.len() - low_water) {
                remove_file(&path)?;
            }
        }
        housekeeping.files = kept.len();
        housekeeping.last_sweep = (self.clock)();
        Ok(())
    }

    /// After a file was written: count it, flush the directory if
    /// [`Durability`] says it is time, sweep if the store is full or a
    /// sweep is due.
    fn written(&self, is_new: bool) -> Result<(), StoreError> {
        let mut housekeeping = self.lock();
        housekeeping.files += usize::from(is_new);
        let now = (self.clock)();
        let flush = match self.options.durability {
            Durability::EveryWrite => true,
            Durability::DirectoryEvery(interval) => {
                now.saturating_sub(housekeeping.last_flush) >= interval
            }
        };
        if flush {
            sync_dir(&self.dir)?;
            housekeeping.last_flush = now;
        }
        let sweep_due = now.saturating_sub(housekeeping.last_sweep) >= self.options.sweep_interval;
        if housekeeping.files > self.options.max_sessions || sweep_due {
            self.sweep_locked(&mut housekeeping)?;
        }
        Ok(())
    }

    fn server_path(&self, id: &SessionId) -> PathBuf {
        self.dir
            .join(format!("server-{}", hex::encode(id.as_bytes())))
    }

    fn client_path(&self, server: &ServerId) -> PathBuf {
        // An unambiguous encoding of both fields, so that no two ServerIds
        // hash the same input.
        let mut input = Vec::with_capacity(8 + server.name.len() + 3);
        input.extend_from_slice(&(server.name.len() as u64).to_be_bytes());
        input.extend_from_slice(server.name.as_bytes());
        match server.port {
            Some(port) => {
                input.push(1);
                input.extend_from_slice(&port.to_be_bytes());
            }
            None => input.push(0),
        }
        let hash = digest::digest(&digest::SHA256, &input);
        self.dir
            .join(format!("client-{}", hex::encode(hash.as_ref())))
    }

    /// Writes `session` to `path`, or removes `path` if the session may no
    /// longer be resumed.
    fn store(&self, path: &Path, session: &impl Kept) -> Result<(), StoreError> {
        if !session.is_resumable() {
            return remove_file(path);
        }
        let is_new = fs::symlink_metadata(path).is_err();
        let flush_file = self.options.durability == Durability::EveryWrite;
        write_atomic(path, &session.encode(), flush_file)?;
        self.written(is_new)
    }

    /// The session in `path`, if it decodes and `accept`s it; otherwise the
    /// file is removed. An expired one is returned: a handshake judges and
    /// removes it, a sweep removes it.
    fn load<T: Kept>(
        &self,
        path: &Path,
        accept: impl FnOnce(&T) -> bool,
    ) -> Result<Option<T>, StoreError> {
        let bytes = match read_private(path) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return Ok(None),
            // Not ours, or open to others: someone may have planted it.
            // Never load it; report it and take it out of our directory.
            Err(refused @ StoreError::Untrusted { .. }) => {
                eprintln!("session-store: removing {}: {refused}", path.display());
                remove_file(path)?;
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        let session = match T::decode(&bytes) {
            Ok(session) if accept(&session) => session,
            Ok(_) => {
                eprintln!(
                    "session-store: removing {}: it holds a session for another key",
                    path.display()
                );
                remove_file(path)?;
                return Ok(None);
            }
            Err(error) => {
                eprintln!("session-store: removing {}: {error}", path.display());
                remove_file(path)?;
                return Ok(None);
            }
        };
        Ok(Some(session))
    }
}

impl core::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FileStore")
            .field("dir", &self.dir)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl ServerSessionStore for FileStore {
    fn put(&self, session: Arc<Session>) -> Result<(), StoreError> {
        if session.session_id.is_empty() {
            return Ok(());
        }
        self.store(&self.server_path(&session.session_id), &session)
    }

    fn get(&self, id: &SessionId) -> Result<Option<Arc<Session>>, StoreError> {
        if id.is_empty() {
            return Ok(None);
        }
        // A file renamed or copied under another id must not resume as it.
        self.load(&self.server_path(id), |s: &Arc<Session>| {
            s.session_id == *id
        })
    }

    fn remove(&self, id: &SessionId) -> Result<(), StoreError> {
        if id.is_empty() {
            return Ok(());
        }
        remove_file(&self.server_path(id))
    }
}

impl ClientSessionStore for FileStore {
    fn put(&self, server: &ServerId, session: ClientSession) -> Result<(), StoreError> {
        self.store(&self.client_path(server), &session)
    }

    fn get(&self, server: &ServerId) -> Result<Option<ClientSession>, StoreError> {
        self.load(&self.client_path(server), |_| true)
    }

    fn remove(&self, server: &ServerId) -> Result<(), StoreError> {
        remove_file(&self.client_path(server))
    }
}

/// The bytes of the private file `path` (see [`open_private`]), in a
/// buffer that is wiped when dropped; `None` if there is no such file.
pub(crate) fn read_private(path: &Path) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
    let Some(mut file) = open_private(path, fs::OpenOptions::new().read(true))? else {
        return Ok(None);
    };
    let io = |source| StoreError::Io {
        action: "read",
        path: path.into(),
        source,
    };
    let len = file.metadata().map_err(io)?.len();
    // The exact size up front: a Vec that grows leaves unwiped copies.
    let mut bytes = Zeroizing::new(Vec::with_capacity(usize::try_from(len).unwrap_or(0)));
    file.read_to_end(&mut bytes).map_err(io)?;
    Ok(Some(bytes))
}

/// Removes `path`; one already gone (another thread or process removed it
/// first) is not an error.
fn remove_file(path: &Path) -> Result<(), StoreError> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != ErrorKind::NotFound => Err(StoreError::Io {
            action: "remove",
            path: path.into(),
            source: e,
        }),
        _ => Ok(()),
    }
}

/// Replaces `path` with `bytes` atomically, as a file only its owner can
/// read, and durably: write a temporary file in the same directory, flush
/// it to disk, rename it over `path`, then flush the directory so the
/// rename itself survives a crash.
pub(crate) fn write_private_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    write_atomic(path, bytes, true)?;
    sync_dir(parent_dir(path))
}

/// `parent` of a bare file name is "", which cannot be opened to flush.
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Replaces `path` with `bytes` at once, as a file only its owner can
/// read: a temporary file is created `0600` under a random name in the
/// same directory (never through a symbolic link: it must be new), then
/// renamed over `path`, which replaces a symbolic link there rather than
/// following it. Not flushed to disk: for a file that can be made again
/// (the `--html` page of the examples).
pub fn write_private_file(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    write_atomic(path, bytes, false)
}

/// Replaces `path` with `bytes` atomically (a temporary file renamed over
/// it), as a file only its owner can read; with `flush`, the temporary
/// file is flushed to disk before the rename.
fn write_atomic(path: &Path, bytes: &[u8], flush: bool) -> Result<(), StoreError> {
    let dir = parent_dir(path);
    let mut suffix = [0u8; 8];
    SystemRandom::new()
        .fill(&mut suffix)
        .map_err(|_| StoreError::Random)?;
    let tmp = dir.join(format!(".tmp-{}", hex::encode(suffix)));
    let result = write_then_rename(&tmp, path, bytes, flush);
    if result.is_err() {
        // Best effort: the error being returned matters more.
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn write_then_rename(tmp: &Path, path: &Path, bytes: &[u8], flush: bool) -> Result<(), StoreError> {
    let io = |action, at: &Path| {
        let at = at.to_path_buf();
        move |source| StoreError::Io {
            action,
            path: at,
            source,
        }
    };
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    // The mode is given at creation, so the file is never readable by
    // others, not even for a moment.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(tmp).map_err(io("create", tmp))?;
    file.write_all(bytes).map_err(io("write", tmp))?;
    if flush {
        file.sync_all().map_err(io("flush", tmp))?;
    }
    fs::rename(tmp, path).map_err(io("rename into place", path))
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| StoreError::Io {
            action: "flush directory",
            path: dir.into(),
            source,
        })?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
