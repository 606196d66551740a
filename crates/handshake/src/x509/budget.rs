//! Bounds on the work one path search may do (RFC 4158 §5 warns that path
//! building over crafted certificates can be made exponential). The
//! numbers are rustls-webpki's: 100 signature checks (from Go's fix for
//! CVE-2018-16875) and 250 000 name-constraint comparisons (Go's
//! default). webpki also counts path-building calls; we need not: the
//! search only goes deeper after a signature verified, so the calls are at
//! most the signature checks, each looking at no more than
//! [`MAX_CHAIN_LEN`](super::MAX_CHAIN_LEN) candidates and the anchors.
//!
//! A server checking a client's chain gets a lower signature budget,
//! [`DEFAULT_MAX_CLIENT_SIGNATURE_CHECKS`]: the client's Certificate
//! comes before its CertificateVerify (RFC 5246 §7.4.6, §7.4.8), so
//! anyone who can open a connection makes the server search a chain of
//! its choosing before proving anything, and the server, one machine
//! for many clients, pays for each connection. A client checking a
//! server's chain has chosen that server.

use super::error::CertificateError;

/// The limits of one chain verification; `Default` gives webpki's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathLimits {
    /// The most intermediate CA certificates between the leaf and the
    /// trust anchor (webpki's MAX_SUB_CA_COUNT: 6).
    pub max_path_depth: usize,
    /// The most certificate signatures one search may verify.
    pub max_signature_checks: usize,
    /// The most (name, subtree) comparisons of name constraints.
    pub max_name_comparisons: usize,
}

/// webpki's bound on intermediates, the default `max_path_depth`.
pub const DEFAULT_MAX_PATH_DEPTH: usize = 6;

/// The signature checks a server spends at most on one client's chain
/// (`ServerConfig::max_client_signature_checks`), against 100 for a
/// server's chain. A path verifies with one signature per certificate on
/// it: at most `DEFAULT_MAX_PATH_DEPTH + 1` = 7 with the default depth;
/// 16 leaves room for a wrong candidate at every level of such a path
/// (14 checks), and cuts the 100 that a chain of candidate issuers built
/// to be searched could otherwise cost the server per connection.
pub const DEFAULT_MAX_CLIENT_SIGNATURE_CHECKS: usize = 16;

impl Default for PathLimits {
    fn default() -> Self {
        Self {
            max_path_depth: DEFAULT_MAX_PATH_DEPTH,
            max_signature_checks: 100,
            max_name_comparisons: 250_000,
        }
    }
}

impl PathLimits {
    /// The defaults for a client's chain checked by a server: as
    /// [`Default`], with [`DEFAULT_MAX_CLIENT_SIGNATURE_CHECKS`].
    pub fn for_client_chains() -> Self {
        Self {
            max_signature_checks: DEFAULT_MAX_CLIENT_SIGNATURE_CHECKS,
            ..Self::default()
        }
    }
}

/// What a search has spent so far, against its [`PathLimits`]. Running out
/// ends the whole search, not just the path being tried.
#[derive(Debug)]
pub(super) struct Budget {
    limits: PathLimits,
    /// Signatures verified so far.
    pub(super) signature_checks: usize,
    name_comparisons: usize,
}

impl Budget {
    pub(super) fn new(limits: PathLimits) -> Self {
        Self {
            limits,
            signature_checks: 0,
            name_comparisons: 0,
        }
    }

    pub(super) fn max_path_depth(&self) -> usize {
        self.limits.max_path_depth
    }

    /// Takes one signature check from the budget.
    pub(super) fn signature(&mut self) -> Result<(), CertificateError> {
        if self.signature_checks >= self.limits.max_signature_checks {
            return Err(CertificateError::TooManySignatureChecks {
                max: self.limits.max_signature_checks,
            });
        }
        self.signature_checks += 1;
        Ok(())
    }

    /// Takes one name-constraint comparison from the budget.
    pub(super) fn name_comparison(&mut self) -> Result<(), CertificateError> {
        if self.name_comparisons >= self.limits.max_name_comparisons {
            return Err(CertificateError::TooManyNameComparisons {
                max: self.limits.max_name_comparisons,
            });
        }
        self.name_comparisons += 1;
        Ok(())
    }
}
