//! Loading certificates and keys from PEM files, with errors that name the file.

use std::io;
use std::path::{Path, PathBuf};

use handshake::config::CertifiedKey;
use handshake::sign::{certs_from_pem, SigningKey};
use handshake::x509::TrustAnchors;
use zeroize::Zeroizing;

fn bad(path: &Path, what: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{}: {what}", path.display()),
    )
}

fn read(path: &Path) -> io::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

/// A certificate chain (PEM, leaf first) and its private key (PEM: PKCS#8,
/// SEC1 or PKCS#1). Refuses a key that is not the leaf's.
pub fn load_certified_key(chain: &Path, key: &Path) -> io::Result<CertifiedKey> {
    let certs = certs_from_pem(&read(chain)?).map_err(|e| bad(chain, e))?;
    // The PEM text is the private key in base64: wiped once parsed.
    let pem = Zeroizing::new(read(key)?);
    let signing_key = SigningKey::from_pem(&pem).map_err(|e| bad(key, e))?;
    let leaf = certs.first().ok_or_else(|| bad(chain, "no certificate"))?;
    if !signing_key
        .matches_certificate(leaf)
        .map_err(|e| bad(chain, e))?
    {
        return Err(bad(
            key,
            "this key does not belong to the first certificate",
        ));
    }
    Ok(CertifiedKey::new(certs, signing_key))
}

/// Trust anchors: every certificate in a PEM file.
pub fn load_trust_anchors(path: &Path) -> io::Result<TrustAnchors> {
    TrustAnchors::from_pem(&read(path)?).map_err(|e| bad(path, e))
}

/// A per-user directory for `name` (e.g. `tls12/server-sessions`) under
/// `$XDG_CACHE_HOME`, or `~/.cache` when that is unset (the XDG Base
/// Directory Specification, which ignores a relative `$XDG_CACHE_HOME`).
/// `None` without either. The examples keep sessions there rather than
/// under a fixed name in the shared temporary directory, where another
/// user could create it first; [`FileStore`](session_store::FileStore)
/// creates it `0700`.
pub fn user_cache_dir(name: &str) -> Option<PathBuf> {
    let xdg = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    let base = match xdg {
        Some(base) => base,
        None => PathBuf::from(std::env::var_os("HOME")?).join(".cache"),
    };
    Some(base.join(name))
}
