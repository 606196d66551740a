//! NSS key log lines, so that Wireshark can decrypt a capture: opt-in.
//!
//! The library logs nothing by itself. A config logs a connection's
//! secrets only when its `key_log` names a
//! [`KeyLog`]; [`KeyLogFile`] is the one that
//! writes a file, one line per completed handshake:
//!
//! ```text
//! CLIENT_RANDOM <ClientHello.random, hex> <master_secret, hex>
//! ```
//!
//! This is the NSS key log format that OpenSSL (`-keylogfile`), curl and
//! browsers write. Each line holds a session's master secret, so the file
//! is guarded like a session file (see `session_store::private`): opened
//! with `O_NOFOLLOW` (a symlink at its name is refused), created `0600`,
//! and refused if it is not the effective user's or group or others may
//! access it. [`KeyLogFile::from_env`] honours `SSLKEYLOGFILE`; the
//! examples use it, a program of yours decides for itself.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use handshake::config::KeyLog;
use handshake::Established;
use zeroize::Zeroizing;

/// Appends NSS key log lines to a private file.
pub struct KeyLogFile {
    path: PathBuf,
    file: Mutex<File>,
}

impl KeyLogFile {
    /// Opens `path` for appending (created `0600` if missing); refuses a
    /// symlink, another user's file, or one group or others may access,
    /// with an error naming the path, its owner and its mode.
    pub fn open(path: &Path) -> io::Result<Self> {
        let mut options = OpenOptions::new();
        options.append(true).create(true);
        let file = session_store::private::open_private(path, &mut options)
            .map_err(io::Error::other)?
            .ok_or_else(|| io::Error::other(format!("{}: not created", path.display())))?;
        Ok(Self {
            path: path.into(),
            file: Mutex::new(file),
        })
    }

    /// The file `SSLKEYLOGFILE` names, opened as [`open`](Self::open)
    /// does; `None` when the variable is not set.
    pub fn from_env() -> io::Result<Option<Arc<dyn KeyLog>>> {
        match std::env::var_os("SSLKEYLOGFILE") {
            Some(path) => Ok(Some(Arc::new(Self::open(Path::new(&path))?))),
            None => Ok(None),
        }
    }
}

impl KeyLog for KeyLogFile {
    /// Failing to write a debugging aid must not fail the connection:
    /// errors only print a warning.
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let line = key_log_line(label, client_random, secret);
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        if let Err(e) = file.write_all(&line) {
            eprintln!("tls12: cannot write key log {}: {e}", self.path.display());
        }
    }
}

impl core::fmt::Debug for KeyLogFile {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeyLogFile")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// `<label> <client_random hex> <secret hex>\n`, in a buffer of exactly
/// its size (a growing one would leave copies of the secret behind) that
/// is wiped when dropped.
fn key_log_line(label: &str, client_random: &[u8], secret: &[u8]) -> Zeroizing<Vec<u8>> {
    let len = label.len() + 1 + 2 * client_random.len() + 1 + 2 * secret.len() + 1;
    let mut line = Zeroizing::new(Vec::with_capacity(len));
    line.extend_from_slice(label.as_bytes());
    for field in [client_random, secret] {
        line.push(b' ');
        let start = line.len();
        line.resize(start + 2 * field.len(), 0);
        // The length is exactly twice the input's, so this cannot fail.
        let _ = hex::encode_to_slice(field, &mut line[start..]);
    }
    line.push(b'\n');
    debug_assert_eq!(line.len(), line.capacity());
    line
}

/// Gives `key_log`, if the config has one, this handshake's line: this
/// connection's client random (a resumed connection has its own) and the
/// session's master secret.
pub(crate) fn log(key_log: Option<&Arc<dyn KeyLog>>, est: &Established) {
    if let Some(key_log) = key_log {
        key_log.log(
            "CLIENT_RANDOM",
            &est.client_random.0,
            est.session.master_secret().as_bytes(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_hex_and_exactly_its_size() {
        let line = key_log_line("CLIENT_RANDOM", &[0xab; 2], &[0x01, 0xff]);
        assert_eq!(&line[..], b"CLIENT_RANDOM abab 01ff\n");
        assert_eq!(line.len(), line.capacity());
    }
}
