//! A PKI made on the spot by the `openssl` command-line tool (Debian
//! package `openssl`), in a temporary directory removed on drop: each test
//! asks for exactly the certificates its rule needs, so the rule shows in
//! the test instead of in a pile of files. OpenSSL rather than `rcgen`:
//! the certificates then come from the implementation most CAs and
//! servers use, with its defaults (key identifiers, DER choices), and it
//! is already needed by the interop tests.
//!
//! Keys are ECDSA P-256 unless asked otherwise (fast to make); validity
//! runs from now for `days` days.
#![allow(dead_code)] // each test binary uses its own part

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

/// A scratch directory of keys and certificates.
pub struct Pki {
    dir: PathBuf,
    serial: AtomicU64,
}

/// A certificate made by [`Pki::issue`].
#[derive(Clone, Debug)]
pub struct Issued {
    /// DER.
    pub der: Vec<u8>,
    /// The PEM file.
    pub pem: PathBuf,
    /// Its private key (PEM).
    pub key: PathBuf,
    /// The subject as `x509-parser` prints it, e.g. `O=t, CN=x`.
    pub subject: String,
}

/// What to issue.
pub struct Spec<'a> {
    /// Subject, OpenSSL `-subj` form: `/O=t/CN=x`.
    pub subject: &'a str,
    /// Signed by this certificate's key; `None`: self-signed.
    pub issuer: Option<&'a Issued>,
    /// The certificate's key; `None`: a fresh P-256 key.
    pub key: Option<&'a Path>,
    /// The X.509v3 extensions, OpenSSL config lines (see [`ca`], [`leaf`]).
    pub extensions: &'a str,
    /// Validity from now.
    pub days: u32,
    /// `-sha256`, `-sha1`, ... or "" for Ed25519.
    pub digest: &'a str,
    /// `-sigopt` values, for RSA-PSS.
    pub sigopts: &'a [&'a str],
}

impl Default for Spec<'_> {
    fn default() -> Self {
        Self {
            subject: "/CN=unnamed",
            issuer: None,
            key: None,
            extensions: "",
            days: 3650,
            digest: "-sha256",
            sigopts: &[],
        }
    }
}

/// Extensions of a CA certificate, plus `more` lines.
pub fn ca(more: &str) -> String {
    format!("basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n{more}")
}

/// Extensions of a TLS server leaf with subjectAltName `san`.
pub fn leaf(san: &str) -> String {
    format!(
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
         extendedKeyUsage=serverAuth\nsubjectAltName={san}\n"
    )
}

/// Extensions of a TLS client leaf with subjectAltName `san`.
pub fn client_leaf(san: &str) -> String {
    format!(
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
         extendedKeyUsage=clientAuth\nsubjectAltName={san}\n"
    )
}

impl Pki {
    /// A new empty directory.
    pub fn new(tag: &str) -> Self {
        static COUNT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "tls12-pki-{tag}-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self {
            dir,
            serial: AtomicU64::new(1),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn fresh(&self, stem: &str) -> PathBuf {
        self.path(&format!(
            "{stem}-{}",
            self.serial.fetch_add(1, Ordering::Relaxed)
        ))
    }

    /// A new private key: `EC:P-256`, `EC:P-384`, `RSA:2048` or `ED25519`.
    pub fn key(&self, kind: &str) -> PathBuf {
        let out = self.fresh("key");
        let mut cmd = openssl();
        cmd.arg("genpkey").arg("-out").arg(&out);
        match kind.split_once(':') {
            Some(("EC", curve)) => cmd.args([
                "-algorithm",
                "EC",
                "-pkeyopt",
                &format!("ec_paramgen_curve:{curve}"),
            ]),
            Some(("RSA", bits)) => cmd.args([
                "-algorithm",
                "RSA",
                "-pkeyopt",
                &format!("rsa_keygen_bits:{bits}"),
            ]),
            _ => cmd.args(["-algorithm", kind]),
        };
        run(&mut cmd);
        out
    }

    /// Issues a certificate as `spec` says.
    pub fn issue(&self, spec: &Spec<'_>) -> Issued {
        let key = match spec.key {
            Some(key) => key.to_path_buf(),
            None => self.key("EC:P-256"),
        };
        let csr = self.fresh("csr");
        run(openssl()
            .args(["req", "-new", "-subj", spec.subject, "-key"])
            .arg(&key)
            .arg("-out")
            .arg(&csr));
        let ext = self.fresh("ext");
        std::fs::write(&ext, format!("[ext]\n{}", spec.extensions)).unwrap();
        let pem = self.fresh("cert");
        let mut cmd = openssl();
        cmd.args(["x509", "-req", "-in"])
            .arg(&csr)
            .args(["-days", &spec.days.to_string()])
            .args([
                "-set_serial",
                &self.serial.fetch_add(1, Ordering::Relaxed).to_string(),
            ])
            .arg("-extfile")
            .arg(&ext)
            .args(["-extensions", "ext", "-out"])
            .arg(&pem);
        if !spec.digest.is_empty() {
            cmd.arg(spec.digest);
        }
        for opt in spec.sigopts {
            cmd.args(["-sigopt", opt]);
        }
        match spec.issuer {
            Some(issuer) => cmd
                .arg("-CA")
                .arg(&issuer.pem)
                .arg("-CAkey")
                .arg(&issuer.key),
            None => cmd.arg("-signkey").arg(&key),
        };
        run(&mut cmd);
        let der = der_of(&pem);
        let subject = handshake::x509::leaf_subject(&der).unwrap();
        Issued {
            der,
            pem,
            key,
            subject,
        }
    }

    /// `n` CA certificates with subject `subject` and one fresh key, all
    /// signed by `issuer`, without key identifiers (nothing to prune a
    /// path search with): `n` issuers that verify alike.
    pub fn same_key_cas(&self, subject: &str, issuer: &Issued, n: usize) -> Vec<Issued> {
        let key = self.key("EC:P-256");
        (0..n)
            .map(|_| {
                self.issue(&Spec {
                    subject,
                    issuer: Some(issuer),
                    key: Some(&key),
                    extensions: &ca("subjectKeyIdentifier=none\nauthorityKeyIdentifier=none\n"),
                    ..Spec::default()
                })
            })
            .collect()
    }

    /// A chain of [`MAX_CHAIN_LEN`](handshake::x509::MAX_CHAIN_LEN)
    /// certificates, leaf first (with `leaf_extensions`), that verifies
    /// under `root` after a search of 28 signature checks: the leaf's
    /// issuer name, "maze A", has three candidates with one key; the first
    /// two are signed by the key of three "maze B", each signed by the key
    /// of three "maze C", signed by a root nobody trusts — 13 checks of
    /// dead ends per "maze A" — and the last "maze A" is signed by `root`
    /// (2 checks). A path search walks the dead ends first, in the order
    /// sent.
    pub fn maze(&self, root: &Issued, leaf_extensions: &str) -> Vec<Issued> {
        let nowhere = self.issue(&Spec {
            subject: "/O=gen/CN=nowhere",
            extensions: &ca(""),
            ..Spec::default()
        });
        let c = self.same_key_cas("/O=gen/CN=maze C", &nowhere, 3);
        let b = self.same_key_cas("/O=gen/CN=maze B", &c[0], 3);
        let a = self.same_key_cas("/O=gen/CN=maze A", &b[0], 2);
        let exit = self.issue(&Spec {
            subject: "/O=gen/CN=maze A",
            issuer: Some(root),
            key: Some(&a[0].key),
            extensions: &ca("subjectKeyIdentifier=none\nauthorityKeyIdentifier=none\n"),
            ..Spec::default()
        });
        let leaf = self.issue(&Spec {
            subject: "/O=gen/CN=maze leaf",
            issuer: Some(&exit),
            extensions: leaf_extensions,
            ..Spec::default()
        });
        let mut chain = vec![leaf];
        chain.extend(a.into_iter().chain(b).chain(c));
        chain.push(exit);
        chain
    }

    /// A PEM file holding `certs` in this order (for `s_server -cert_chain`).
    pub fn pem_file(&self, certs: &[&Issued]) -> PathBuf {
        let out = self.fresh("chain");
        let mut pem = Vec::new();
        for cert in certs {
            pem.extend(std::fs::read(&cert.pem).unwrap());
        }
        std::fs::write(&out, pem).unwrap();
        out
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The `openssl` command; a missing tool fails the test, naming the package.
fn openssl() -> Command {
    let ok = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "`openssl` is not on PATH: install the Debian package `openssl` (tests/run.sh does)"
    );
    Command::new("openssl")
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn der_of(pem: &Path) -> Vec<u8> {
    let mut certs = handshake::x509::certs_from_pem(&std::fs::read(pem).unwrap()).unwrap();
    assert_eq!(certs.len(), 1);
    certs.remove(0)
}

/// The certificates' DER, as a certificate_list.
pub fn list(certs: &[&Issued]) -> Vec<Vec<u8>> {
    certs.iter().map(|c| c.der.clone()).collect()
}

/// Now, UNIX seconds.
pub fn now() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    i64::try_from(secs).unwrap()
}
