//! NSS key log lines, so that Wireshark can decrypt a capture.
//!
//! When the environment variable `SSLKEYLOGFILE` names a file, every
//! connection appends one line per completed handshake:
//!
//! ```text
//! CLIENT_RANDOM <ClientHello.random, hex> <master_secret, hex>
//! ```
//!
//! This is the NSS key log format that OpenSSL (`-keylogfile`), curl and
//! browsers write. It contains the session's master secret: set the
//! variable only while debugging.

use std::io::Write;

use handshake::common::Established;

/// The key log line for one completed handshake: this connection's client
/// random (a resumed connection has its own) and the session's master secret.
pub fn key_log_line(est: &Established) -> String {
    format!(
        "CLIENT_RANDOM {} {}",
        hex::encode(est.negotiated.client_random.0),
        hex::encode(est.session.master_secret().as_bytes())
    )
}

/// Appends the line for `est` to `$SSLKEYLOGFILE`, if it is set. Failing to
/// write a debugging aid must not fail the connection, so errors only
/// print a warning.
pub(crate) fn log(est: &Established) {
    let Some(path) = std::env::var_os("SSLKEYLOGFILE") else {
        return;
    };
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let result = options
        .open(&path)
        .and_then(|mut f| writeln!(f, "{}", key_log_line(est)));
    if let Err(e) = result {
        eprintln!(
            "tls12: cannot write SSLKEYLOGFILE {}: {e}",
            path.to_string_lossy()
        );
    }
}
