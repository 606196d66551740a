//! `FileStore`: persistence, atomic private files, corrupt entries, names.

mod common;

use std::fs;
use std::path::PathBuf;
use std::sync::Arc;

use common::{
    assert_same, assert_same_client, client_session, file_names, session, TempDir, TestClock,
};
use session_store::{
    ClientSessionStore, FileStore, ServerId, ServerSessionStore, Session, SessionId,
};

const NOW: u64 = 1_700_000_000;

struct Fixture {
    tmp: TempDir,
    clock: TestClock,
}

impl Fixture {
    fn new() -> Self {
        Self {
            tmp: TempDir::new(),
            clock: TestClock::at(NOW),
        }
    }

    fn dir(&self) -> PathBuf {
        self.tmp.path().join("sessions")
    }

    /// A store on the fixture's directory: calling it twice is a restart.
    fn store(&self) -> FileStore {
        FileStore::with_clock(self.dir(), self.clock.clock()).unwrap()
    }

    fn names(&self) -> Vec<String> {
        file_names(&self.dir())
    }

    fn server_file(&self, id: &[u8]) -> PathBuf {
        self.dir().join(format!("server-{}", hex::encode(id)))
    }
}

fn put_server(store: &FileStore, s: Session) {
    ServerSessionStore::put(store, Arc::new(s)).unwrap();
}

fn get_server(store: &FileStore, id: &[u8]) -> Option<Arc<Session>> {
    ServerSessionStore::get(store, &SessionId::new(id).unwrap()).unwrap()
}

#[test]
fn sessions_survive_a_restart() {
    let f = Fixture::new();
    let original = session(&[7; 32], NOW);
    put_server(&f.store(), original.duplicate());
    let server = ServerId::parse("example.com:443").unwrap();
    let client = client_session(&[8; 32], NOW, 40);
    ClientSessionStore::put(&f.store(), &server, client.clone()).unwrap();

    let restarted = f.store();
    assert_same(&original, &get_server(&restarted, &[7; 32]).unwrap());
    let got = ClientSessionStore::get(&restarted, &server)
        .unwrap()
        .unwrap();
    assert_same_client(&client, &got);
    assert_eq!(got.session.master_secret(), client.session.master_secret());
}

#[test]
fn files_are_named_in_hex_and_no_temporary_file_is_left() {
    let f = Fixture::new();
    let store = f.store();
    put_server(&store, session(&[0xab, 0x01], NOW));
    ClientSessionStore::put(
        &store,
        &ServerId::parse("a").unwrap(),
        client_session(&[], NOW, 0),
    )
    .unwrap();
    let names = f.names();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names[0].starts_with("client-") && names[0].len() == 7 + 64);
    assert!(names[0][7..].bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(names[1], "server-ab01");
}

#[test]
fn corrupt_files_are_misses_and_are_removed() {
    let f = Fixture::new();
    let store = f.store();
    fs::write(f.server_file(&[1]), b"not a session").unwrap();
    assert!(get_server(&store, &[1]).is_none());
    assert!(
        !f.server_file(&[1]).exists(),
        "the corrupt file was removed"
    );
}

#[test]
fn truncated_files_are_misses_and_are_removed() {
    let f = Fixture::new();
    let store = f.store();
    put_server(&store, session(&[2], NOW));
    let path = f.server_file(&[2]);
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
    assert!(get_server(&store, &[2]).is_none());
    assert!(!path.exists());
}

#[test]
fn a_session_filed_under_another_id_is_refused() {
    let f = Fixture::new();
    let store = f.store();
    put_server(&store, session(&[3], NOW));
    fs::rename(f.server_file(&[3]), f.server_file(&[4])).unwrap();
    assert!(get_server(&store, &[4]).is_none());
    assert!(!f.server_file(&[4]).exists());
}

/// Expiry is the handshake's to judge (it says why it refuses, and
/// removes the session): `get` returns an expired session; a sweep removes
/// its file.
#[test]
fn expired_sessions_are_returned_by_get_and_removed_by_a_sweep() {
    let f = Fixture::new();
    let store = f.store();
    put_server(&store, session(&[5], NOW));
    f.clock.set(NOW + Session::DEFAULT_LIFETIME);
    let got = get_server(&store, &[5]).expect("returned, expired");
    assert!(got.is_expired(NOW + Session::DEFAULT_LIFETIME));
    store.sweep().unwrap();
    assert!(!f.server_file(&[5]).exists());
}

#[test]
fn opening_the_directory_sweeps_expired_and_corrupt_files() {
    let f = Fixture::new();
    let store = f.store();
    put_server(&store, session(&[6], NOW));
    put_server(&store, session(&[7], NOW + 100));
    fs::write(f.server_file(&[8]), b"not a session").unwrap();
    // Reopened once [6] has expired but [7] has not: only [7] is left.
    f.clock.set(NOW + Session::DEFAULT_LIFETIME);
    let _reopened = f.store();
    assert!(!f.server_file(&[6]).exists());
    assert!(!f.server_file(&[8]).exists());
    assert!(f.server_file(&[7]).exists());
}

#[test]
fn remove_and_invalidated_puts_delete_the_file() {
    let f = Fixture::new();
    let store = f.store();
    put_server(&store, session(&[6], NOW));
    ServerSessionStore::remove(&store, &SessionId::new(&[6]).unwrap()).unwrap();
    assert!(!f.server_file(&[6]).exists());
    ServerSessionStore::remove(&store, &SessionId::new(&[6]).unwrap()).unwrap();

    put_server(&store, session(&[6], NOW));
    let dead = session(&[6], NOW);
    dead.invalidate();
    put_server(&store, dead);
    assert!(!f.server_file(&[6]).exists());
    assert!(get_server(&store, &[6]).is_none());
}

#[test]
fn empty_session_ids_are_not_stored() {
    let f = Fixture::new();
    let store = f.store();
    put_server(&store, session(&[], NOW));
    assert!(f.names().is_empty());
    assert!(get_server(&store, &[]).is_none());
}

#[test]
fn server_names_cannot_steer_the_path() {
    let f = Fixture::new();
    let store = f.store();
    let hostile = [
        "../../outside",
        "/etc/passwd",
        "..",
        "a/../../b",
        "nul\0byte",
        "%2e%2e%2f",
    ];
    for (i, name) in hostile.iter().enumerate() {
        let server = ServerId {
            name: name.to_string(),
            port: Some(443),
        };
        let s = client_session(&[i as u8], NOW, 0);
        ClientSessionStore::put(&store, &server, s.clone()).unwrap();
        assert_same_client(
            &s,
            &ClientSessionStore::get(&store, &server).unwrap().unwrap(),
        );
    }
    let names = f.names();
    assert_eq!(names.len(), hostile.len());
    assert!(names
        .iter()
        .all(|n| n.starts_with("client-") && n[7..].bytes().all(|b| b.is_ascii_hexdigit())));
    // Nothing was written beside the store's directory.
    assert_eq!(file_names(f.tmp.path()), ["sessions"]);
}

#[cfg(unix)]
#[test]
fn files_are_private_to_the_owner() {
    use std::os::unix::fs::PermissionsExt;
    let f = Fixture::new();
    let store = f.store();
    put_server(&store, session(&[9], NOW));
    let mode = |p: PathBuf| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(f.dir()), 0o700);
    assert_eq!(mode(f.server_file(&[9])), 0o600);
}

#[cfg(unix)]
#[test]
fn a_directory_others_can_write_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let f = Fixture::new();
    let dir = f.dir();
    fs::create_dir(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
    let err = FileStore::with_clock(&dir, f.clock.clock()).unwrap_err();
    let message = err.to_string();
    assert!(message.contains(dir.to_str().unwrap()), "{message}");
    assert!(message.contains("777"), "{message}");
}

#[test]
fn io_errors_name_the_path() {
    let f = Fixture::new();
    let not_a_dir = f.tmp.path().join("file");
    fs::write(&not_a_dir, b"").unwrap();
    let err = FileStore::new(not_a_dir.join("sessions")).unwrap_err();
    assert!(err.to_string().contains("file/sessions"), "{err}");
}

/// Another user's uid for the ownership tests. They run as root (as CI
/// does), which may give a file away; as anyone else `chown` fails, and
/// the test says so rather than pass without checking.
#[cfg(unix)]
const SOMEONE_ELSE: u32 = 4242;

#[cfg(unix)]
fn give_away(path: &std::path::Path) {
    std::os::unix::fs::chown(path, Some(SOMEONE_ELSE), None)
        .unwrap_or_else(|e| panic!("chown {} (run the tests as root): {e}", path.display()));
}

#[cfg(unix)]
#[test]
fn a_directory_of_another_user_or_open_to_group_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let f = Fixture::new();
    let dir = f.dir();
    fs::create_dir(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
    give_away(&dir);
    let message = FileStore::with_clock(&dir, f.clock.clock())
        .unwrap_err()
        .to_string();
    assert!(message.contains(dir.to_str().unwrap()), "{message}");
    assert!(message.contains("owner uid 4242"), "{message}");
    assert!(message.contains("mode 0700"), "{message}");
    assert!(
        message.contains("not owned by the effective user"),
        "{message}"
    );

    std::os::unix::fs::chown(&dir, Some(session_store::private::effective_uid()), None).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o750)).unwrap();
    let message = FileStore::with_clock(&dir, f.clock.clock())
        .unwrap_err()
        .to_string();
    assert!(message.contains("mode 0750"), "{message}");
    assert!(message.contains("group or others"), "{message}");
}

#[cfg(unix)]
#[test]
fn a_directory_under_one_others_may_write_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let f = Fixture::new();
    let open = f.tmp.path().join("open");
    fs::create_dir(&open).unwrap();
    fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).unwrap();
    let message = FileStore::new(open.join("sessions"))
        .unwrap_err()
        .to_string();
    assert!(message.contains(open.to_str().unwrap()), "{message}");
    assert!(
        message.contains("may be written by group or others"),
        "{message}"
    );
    // The sticky bit (as on /tmp) makes it safe: no one can rename our
    // directory away.
    fs::set_permissions(&open, fs::Permissions::from_mode(0o1777)).unwrap();
    FileStore::new(open.join("sessions")).unwrap();
}

/// A store directory that is a symlink is refused, even to a private
/// directory of ours: whoever may change the link decides where session
/// files are read from. A dangling link is named as a link too.
#[cfg(unix)]
#[test]
fn a_store_directory_that_is_a_symlink_is_refused() {
    let f = Fixture::new();
    let real = f.tmp.path().join("real");
    FileStore::with_clock(&real, f.clock.clock()).unwrap();
    std::os::unix::fs::symlink(&real, f.dir()).unwrap();
    let message = FileStore::with_clock(f.dir(), f.clock.clock())
        .unwrap_err()
        .to_string();
    assert!(message.contains(f.dir().to_str().unwrap()), "{message}");
    assert!(message.contains("symbolic link"), "{message}");

    fs::remove_dir(&real).unwrap();
    let message = FileStore::with_clock(f.dir(), f.clock.clock())
        .unwrap_err()
        .to_string();
    assert!(message.contains("symbolic link"), "dangling: {message}");
    assert!(!real.exists(), "nothing is created through the link");
}

/// A session file that is not ours, is open to others, or is a symlink is
/// a miss, reported and removed: never loaded (it could be planted).
#[cfg(unix)]
#[test]
fn session_files_not_private_to_us_are_misses_never_loaded() {
    use std::os::unix::fs::PermissionsExt;
    let f = Fixture::new();
    let store = f.store();
    let plant = |file: &std::path::Path| {
        put_server(&store, session(&[9], NOW));
        assert!(file.exists());
    };
    let file = f.server_file(&[9]);

    plant(&file);
    give_away(&file);
    assert!(get_server(&store, &[9]).is_none(), "another user's file");
    assert!(!file.exists());

    plant(&file);
    fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
    assert!(get_server(&store, &[9]).is_none(), "a file others may read");
    assert!(!file.exists());

    // A symlink to a perfectly good session file elsewhere.
    let elsewhere = f.tmp.path().join("elsewhere");
    plant(&file);
    fs::rename(&file, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &file).unwrap();
    assert!(get_server(&store, &[9]).is_none(), "a symlink");
    assert!(fs::symlink_metadata(&file).is_err(), "the link is removed");

    plant(&file);
    assert!(get_server(&store, &[9]).is_some(), "a private file loads");
}

fn bounded(f: &Fixture, max_sessions: usize, sweep_interval: u64) -> FileStore {
    let options = session_store::FileStoreOptions {
        max_sessions,
        sweep_interval,
        durability: session_store::Durability::DirectoryEvery(1),
    };
    FileStore::with_options(f.dir(), f.clock.clock(), options).unwrap()
}

/// Unauthenticated clients making full handshakes must not fill the disk:
/// past `max_sessions` the oldest sessions go, down to nine tenths.
#[test]
fn a_full_store_evicts_its_oldest_sessions() {
    let f = Fixture::new();
    let store = bounded(&f, 10, 3600);
    for i in 0..25u8 {
        put_server(&store, session(&[i + 1; 32], NOW + u64::from(i)));
        assert!(
            f.names().len() <= 10,
            "after {} puts: {:?}",
            i + 1,
            f.names()
        );
    }
    // The newest is always kept, the oldest are gone.
    assert!(get_server(&store, &[25; 32]).is_some());
    assert!(get_server(&store, &[1; 32]).is_none());
    let kept = (1..=25u8)
        .filter(|&i| get_server(&store, &[i; 32]).is_some())
        .min()
        .unwrap();
    assert!(kept >= 16, "the oldest kept was made by put {kept}");
}

/// Expired files go by themselves every `sweep_interval`, not only when
/// their own id is looked up again.
#[test]
fn expired_sessions_are_swept_periodically() {
    let f = Fixture::new();
    let store = bounded(&f, 100, 60);
    let mut short = session(&[1; 32], NOW);
    short.lifetime = 10;
    put_server(&store, short);
    put_server(&store, session(&[2; 32], NOW));
    f.clock.set(NOW + 30);
    put_server(&store, session(&[3; 32], NOW + 30));
    assert_eq!(f.names().len(), 3, "no sweep before the interval");
    f.clock.set(NOW + 61);
    put_server(&store, session(&[4; 32], NOW + 61));
    assert_eq!(f.names().len(), 3, "{:?}", f.names());
    assert!(!f.server_file(&[1; 32]).exists(), "the expired one went");
}
