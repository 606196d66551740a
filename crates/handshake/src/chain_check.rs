//! The check of a peer's chain, recorded in the session it authenticates
//! ([`ChainCheck`]), and repeated on resumption only when the record does
//! not show that it would pass again (issue 12).
//!
//! A session carries the peer's chain into every connection that resumes
//! it, so a resumption must still satisfy the config it resumes into: its
//! trust anchors, its path limits, the server's name, and the time. The
//! check itself costs signature verifications (two P-384 ones for the test
//! PKI's ECDSA chain: far more than the rest of an abbreviated handshake),
//! so the session records a digest of those inputs and the window in which
//! the path is valid; a config with the same digest, at a time within the
//! window, would find the same path valid again. Any difference — other
//! anchors, another name, other limits, a session without a record — means
//! the full check, which decides (and whose refusal is traced) exactly as
//! before.

use ring::digest;
use session_store::{ChainCheck, Session};

use crate::config::VerifyCallback;
use crate::x509::{self, CertificateError, PathLimits, Purpose, TrustAnchors};

/// Everything a chain check depends on besides the chain and the time.
pub(crate) struct ChainPolicy<'a> {
    purpose: Purpose,
    anchors: &'a TrustAnchors,
    /// The server's name, for [`Purpose::ServerAuth`].
    server_name: Option<&'a str>,
    limits: PathLimits,
    /// The application's own check, run after path validation.
    callback: Option<&'a dyn VerifyCallback>,
    /// Feature `dangerous-test-harness`: no path validation at all.
    accept_any: bool,
}

impl<'a> ChainPolicy<'a> {
    /// A client's check of the server it connects to as `server_name`
    /// (RFC 5246 §7.4.2).
    pub(crate) fn server(
        anchors: &'a TrustAnchors,
        server_name: &'a str,
        max_path_depth: usize,
    ) -> Self {
        Self {
            purpose: Purpose::ServerAuth,
            anchors,
            server_name: Some(server_name),
            limits: crate::config::path_limits(max_path_depth),
            callback: None,
            accept_any: false,
        }
    }

    /// A server's check of a client certificate (RFC 5246 §7.4.6), within
    /// `limits` (`ServerConfig::client_path_limits`).
    pub(crate) fn client(anchors: &'a TrustAnchors, limits: PathLimits) -> Self {
        Self {
            purpose: Purpose::ClientAuth,
            anchors,
            server_name: None,
            limits,
            callback: None,
            accept_any: false,
        }
    }

    /// The config's own hooks: its [`VerifyCallback`], and (feature
    /// `dangerous-test-harness`) whether it skips path validation.
    pub(crate) fn with_hooks(
        mut self,
        callback: Option<&'a dyn VerifyCallback>,
        accept_any: bool,
    ) -> Self {
        self.callback = callback;
        self.accept_any = accept_any;
        self
    }

    /// Checks `chain` in full at `now` (UNIX seconds), and returns the
    /// record of the check for the session it authenticates.
    pub(crate) fn verify(
        &self,
        chain: &[Vec<u8>],
        now: u64,
    ) -> Result<ChainCheck, CertificateError> {
        let (valid_from, valid_until) = match self.accept_any {
            true => {
                // Without path validation, its leaf check still holds:
                // §7.4.2/§7.4.6, the leaf's key must be allowed to sign.
                if let Some(leaf) = chain.first() {
                    x509::signing_key_kind(leaf)?;
                }
                (0, u64::MAX)
            }
            false => self.validate(chain, now)?,
        };
        if let Some(callback) = self.callback {
            callback.check(chain)?;
        }
        Ok(ChainCheck {
            context: self.context(),
            valid_from,
            valid_until,
        })
    }

    /// RFC 5280 §6 path validation at `now`: the window in which the path
    /// is valid.
    fn validate(&self, chain: &[Vec<u8>], now: u64) -> Result<(u64, u64), CertificateError> {
        let at = i64::try_from(now).unwrap_or(i64::MAX);
        let validity = match self.server_name {
            Some(name) => {
                x509::verify_server_chain_with(chain, self.anchors, name, at, &self.limits)?
            }
            None => x509::verify_client_chain_with(chain, self.anchors, at, &self.limits)?,
        };
        // The path verified at `now`, so its window holds `now` and both
        // bounds are at least 0.
        Ok((
            u64::try_from(validity.not_before).unwrap_or(0),
            u64::try_from(validity.not_after).unwrap_or(0),
        ))
    }

    /// Would the chain `session` carries pass this check at `now`? If the
    /// session's record says its path validation would, only this
    /// config's callback runs over the chain; otherwise the chain is
    /// checked in full. The record says nothing of callbacks (an
    /// application's check is not a function of anything we could digest),
    /// so a config with one always asks it: a session made under a config
    /// without it, or one whose callback has since changed its mind, must
    /// not let a chain the callback never accepted in.
    pub(crate) fn still_holds(&self, session: &Session, now: u64) -> Result<(), CertificateError> {
        let chain = &session.peer_certificates;
        match (session.peer_chain_check, self.callback) {
            (Some(check), callback) if check.still_holds(&self.context(), now) => {
                callback.map_or(Ok(()), |callback| callback.check(chain))
            }
            _ => self.verify(chain, now).map(drop),
        }
    }

    /// SHA-256 over the inputs, each of fixed length or length-prefixed.
    fn context(&self) -> [u8; 32] {
        let mut sha256 = digest::Context::new(&digest::SHA256);
        sha256.update(b"tls12 chain check 1");
        sha256.update(&[match self.purpose {
            Purpose::ServerAuth => 1,
            Purpose::ClientAuth => 2,
        }]);
        sha256.update(self.anchors.fingerprint());
        // A record made without validation never stands for one made with it.
        sha256.update(&[u8::from(self.accept_any)]);
        let PathLimits {
            max_path_depth,
            max_signature_checks,
            max_name_comparisons,
        } = self.limits;
        for limit in [max_path_depth, max_signature_checks, max_name_comparisons] {
            sha256.update(&(limit as u64).to_be_bytes());
        }
        if let Some(name) = self.server_name {
            sha256.update(&(name.len() as u64).to_be_bytes());
            sha256.update(name.as_bytes());
        }
        let mut context = [0; 32];
        context.copy_from_slice(sha256.finish().as_ref());
        context
    }
}

#[cfg(test)]
mod tests {
    use record_layer::secret::MasterSecret;
    use record_layer::suites::CipherSuite;
    use session_store::SessionId;

    use super::*;
    use crate::x509::certs_from_pem;

    const ECDSA_ROOT: &[u8] = include_bytes!("../../../test-data/ecdsa/root.pem");
    const RSA_ROOT: &[u8] = include_bytes!("../../../test-data/rsa/root.pem");
    const CHAIN: &[u8] = include_bytes!("../../../test-data/ecdsa/localhost.chain.pem");
    /// 2025-01-01 and 2125-01-01, the test PKI's validity.
    const NOT_BEFORE: u64 = 1_735_689_600;
    const NOT_AFTER: u64 = 4_891_363_200;
    const NOW: u64 = NOT_BEFORE + 1000;

    fn session(chain: Vec<Vec<u8>>, check: ChainCheck) -> Session {
        let mut s = Session::new(
            SessionId::EMPTY,
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            MasterSecret::from_bytes([0; 48]),
            true,
            chain,
            None,
            NOW,
        );
        s.peer_chain_check = Some(check);
        s
    }

    #[test]
    fn the_record_spans_the_path_and_stands_for_the_check() {
        let ecdsa = TrustAnchors::from_pem(ECDSA_ROOT).unwrap();
        let rsa = TrustAnchors::from_pem(RSA_ROOT).unwrap();
        let chain = certs_from_pem(CHAIN).unwrap();
        let policy = ChainPolicy::server(&ecdsa, "localhost", 6);
        let check = policy.verify(&chain, NOW).unwrap();
        assert_eq!(
            (check.valid_from, check.valid_until),
            (NOT_BEFORE, NOT_AFTER)
        );

        // Same policy, within the window: the record answers, so even a
        // chain that would not parse passes (the session is trusted for
        // what it holds; this shows the chain is not checked again).
        let recorded = session(vec![vec![0x30]], check);
        assert_eq!(policy.still_holds(&recorded, NOT_AFTER), Ok(()));
        assert!(policy.still_holds(&recorded, NOT_AFTER + 1).is_err());
        assert!(policy.still_holds(&recorded, NOT_BEFORE - 1).is_err());

        // Anything else checks the real chain again, and decides as a full
        // check does.
        let real = session(chain.clone(), check);
        for (other, passes) in [
            (ChainPolicy::server(&ecdsa, "localhost", 6), true),
            (ChainPolicy::server(&rsa, "localhost", 6), false),
            (ChainPolicy::server(&ecdsa, "example.com", 6), false),
            (ChainPolicy::server(&ecdsa, "localhost", 0), false),
            (ChainPolicy::client(&ecdsa, PathLimits::default()), false),
        ] {
            assert_eq!(other.still_holds(&real, NOW).is_ok(), passes);
            if !passes {
                assert!(other.still_holds(&recorded, NOW).is_err());
            }
        }
        assert!(policy.still_holds(&real, NOT_AFTER + 1).is_err());
    }

    #[test]
    fn anchors_fingerprint_their_certificates_in_order() {
        let both = |a: &[u8], b: &[u8]| TrustAnchors::from_pem(&[a, b].concat()).unwrap();
        let ecdsa = TrustAnchors::from_pem(ECDSA_ROOT).unwrap();
        assert_eq!(
            ecdsa.fingerprint(),
            TrustAnchors::from_pem(ECDSA_ROOT).unwrap().fingerprint()
        );
        assert_ne!(ecdsa.fingerprint(), TrustAnchors::default().fingerprint());
        assert_ne!(
            both(ECDSA_ROOT, RSA_ROOT).fingerprint(),
            both(RSA_ROOT, ECDSA_ROOT).fingerprint()
        );
        assert_ne!(
            ecdsa.fingerprint(),
            both(ECDSA_ROOT, RSA_ROOT).fingerprint()
        );
    }
}
