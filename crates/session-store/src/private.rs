//! Files and directories that only their owner may touch: where session
//! files, ticket keys and key logs live.
//!
//! RFC 5246 §F.1.4: "Applications that may be run in relatively insecure
//! environments should not write session IDs to stable storage." Each of
//! these files holds a master secret or a key that opens them. Whoever can
//! *read* one decrypts the connections it covers; whoever can *write* one
//! plants a session whose master secret they know, with the certificates
//! they choose, and is then reported as an authenticated peer. So a file
//! or directory is trusted only if:
//!
//! - it is owned by the effective user, and gives group and others no
//!   access at all (mode `0700` or `0600` and stricter);
//! - a directory is not a symbolic link (the checks would judge its
//!   target, which whoever may change the link chooses), and every
//!   directory above it is owned by the effective user or root and cannot
//!   be written by group or others unless sticky (as `/tmp` is, where only
//!   a name's owner may rename it away);
//! - a file is opened with `O_NOFOLLOW` (a symlink at its name is refused,
//!   not followed) and checked on the opened descriptor, so a rename
//!   between check and use changes nothing.
//!
//! A refusal is [`StoreError::Untrusted`], naming the path, its owner and
//! its mode. On platforms other than Unix none of this is checked.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io::ErrorKind;
use std::path::Path;

use crate::StoreError;

/// Group and others: no bit of theirs may be set on a private file or
/// directory.
const GROUP_OTHER: u32 = 0o077;
/// Group- or other-writable.
const GROUP_OTHER_WRITE: u32 = 0o022;
/// The sticky bit: in such a directory only a name's owner may remove or
/// rename it.
const STICKY: u32 = 0o1000;

/// Opens `path` with `options` for a secret: never through a symlink, a
/// file it creates gets mode `0600`, and the opened file must be a regular
/// file owned by the effective user that group and others cannot access.
/// `Ok(None)` if there is no such file (and `options` does not create it).
pub fn open_private(path: &Path, options: &mut OpenOptions) -> Result<Option<File>, StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
        // A flag the type system cannot check; the value is the
        // platform's, from rustix.
        options.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
    let file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            // O_NOFOLLOW's refusal is an error like any other (ELOOP on
            // Linux): say what it was.
            if let Ok(link) = fs::symlink_metadata(path) {
                if link.file_type().is_symlink() {
                    return Err(untrusted(path, &link, "it is a symbolic link"));
                }
            }
            return Err(StoreError::Io {
                action: "open",
                path: path.into(),
                source,
            });
        }
    };
    let meta = file.metadata().map_err(|source| StoreError::Io {
        action: "inspect",
        path: path.into(),
        source,
    })?;
    if !meta.is_file() {
        return Err(untrusted(path, &meta, "it is not a regular file"));
    }
    check_owner_only(path, &meta)?;
    Ok(Some(file))
}

/// Creates `dir` (and missing parents) with mode `0700`, then checks that
/// it is private and that no one else can replace it (see the module
/// documentation).
///
/// `dir` itself must be a directory, not a symbolic link to one: the
/// checks would pass on the target while whoever may change the link
/// (or the directory holding it) could point it at a directory of theirs
/// between two lookups, and every session file would then be opened
/// there.
pub fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    let io = |action, source| StoreError::Io {
        action,
        path: dir.into(),
        source,
    };
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    // A dangling link makes `create` fail: say it is a link rather than
    // "file exists".
    let created = builder.create(dir);
    let meta = fs::symlink_metadata(dir);
    if let Ok(link) = &meta {
        if link.file_type().is_symlink() {
            return Err(untrusted(dir, link, "it is a symbolic link"));
        }
    }
    created.map_err(|e| io("create directory", e))?;
    let meta = meta.map_err(|e| io("inspect directory", e))?;
    check_owner_only(dir, &meta)?;
    check_dirs_above(dir)
}

/// Refuses `path` unless it is owned by the effective user and gives group
/// and others no access.
fn check_owner_only(path: &Path, meta: &Metadata) -> Result<(), StoreError> {
    if owner(meta) != effective_uid() {
        return Err(untrusted(
            path,
            meta,
            "it is not owned by the effective user",
        ));
    }
    if mode(meta) & GROUP_OTHER != 0 {
        return Err(untrusted(path, meta, "group or others may access it"));
    }
    Ok(())
}

/// Refuses `path` if a directory above it could be used by someone else
/// to swap it for their own: owned by another user than us or root, or
/// writable by group or others without the sticky bit. `path` itself need
/// not exist yet.
pub fn check_dirs_above(path: &Path) -> Result<(), StoreError> {
    let parent = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let parent = fs::canonicalize(parent).map_err(|source| StoreError::Io {
        action: "resolve",
        path: parent.into(),
        source,
    })?;
    for dir in parent.ancestors() {
        let meta = fs::metadata(dir).map_err(|source| StoreError::Io {
            action: "inspect directory",
            path: dir.into(),
            source,
        })?;
        if owner(&meta) != 0 && owner(&meta) != effective_uid() {
            return Err(untrusted(
                dir,
                &meta,
                "a directory above it is owned by someone else",
            ));
        }
        if mode(&meta) & GROUP_OTHER_WRITE != 0 && mode(&meta) & STICKY == 0 {
            return Err(untrusted(
                dir,
                &meta,
                "a directory above it may be written by group or others",
            ));
        }
    }
    Ok(())
}

fn untrusted(path: &Path, meta: &Metadata, problem: &'static str) -> StoreError {
    StoreError::Untrusted {
        path: path.into(),
        owner: owner(meta),
        mode: mode(meta) & 0o7777,
        problem,
    }
}

/// The effective user id: the owner of every file this process creates.
#[cfg(unix)]
pub fn effective_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

#[cfg(unix)]
fn owner(meta: &Metadata) -> u32 {
    std::os::unix::fs::MetadataExt::uid(meta)
}

#[cfg(unix)]
fn mode(meta: &Metadata) -> u32 {
    std::os::unix::fs::MetadataExt::mode(meta)
}

/// Without Unix ownership, every file is taken as ours and private.
#[cfg(not(unix))]
pub fn effective_uid() -> u32 {
    0
}

#[cfg(not(unix))]
fn owner(_: &Metadata) -> u32 {
    0
}

#[cfg(not(unix))]
fn mode(_: &Metadata) -> u32 {
    0o600
}
