//! Building the certification path (RFC 5280 §6.1, RFC 4158 kept small):
//! from the leaf, up through the certificates the peer sent, to one of our
//! trust anchors.
//!
//! RFC 5246 §7.4.2 asks the sender to put each certificate right after
//! the one it certifies, but senders get it wrong (extra certificates,
//! old cross-signed roots, intermediates in the wrong order), and RFC 8446
//! §4.4.2 now tells receivers to cope. So the sent list is a pool: for the
//! certificate at the top of the partial path we look for issuers by name
//! — trust anchors first, since a path that ends there is complete, then
//! the sent certificates in the order sent — skip those whose
//! subjectKeyIdentifier contradicts the authorityKeyIdentifier (RFC 4158
//! §3.5.12) or that already are on the path (§5.2, loops), check each
//! candidate and its signature, and go deeper; when a candidate fails
//! (expired, not a CA, pathLenConstraint, name constraints, bad
//! signature) we try the next one. Depth is bounded by `max_path_depth`,
//! the whole search by the [`Budget`].
//!
//! When no path works we report the failure found deepest in the search
//! (the first one at that depth): the path that got furthest is the one
//! the sender meant.

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::ParsedExtension;

use super::budget::Budget;
use super::checks::{check_any, check_issuer, is_self_issued};
use super::error::{CaRole, CertificateError};
use super::name_constraints::check_name_constraints;
use super::signature::check_signature;
use super::Purpose;

/// A path that verified: positions in the sent chain of the
/// intermediates used, from the leaf's issuer up, and the trust anchor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidPath {
    /// Indices into the certificate_list (the leaf, 0, is not listed).
    pub intermediates: Vec<usize>,
    /// Index of the trust anchor in [`TrustAnchors`](super::TrustAnchors).
    pub anchor: usize,
}

/// One search over a parsed chain (leaf first) and parsed anchors.
pub(super) struct Search<'s, 'a> {
    pub(super) sent: &'s [X509Certificate<'a>],
    pub(super) anchors: &'s [X509Certificate<'a>],
    pub(super) now: i64,
    pub(super) purpose: Purpose,
    pub(super) budget: Budget,
    /// The partial path: indices into `sent`, the leaf first.
    path: Vec<usize>,
    /// The deepest failure so far, and the path length it happened at.
    deepest: Option<(usize, CertificateError)>,
}

impl<'s, 'a> Search<'s, 'a> {
    pub(super) fn new(
        sent: &'s [X509Certificate<'a>],
        anchors: &'s [X509Certificate<'a>],
        now: i64,
        purpose: Purpose,
        budget: Budget,
    ) -> Self {
        Self {
            sent,
            anchors,
            now,
            purpose,
            budget,
            path: vec![0],
            deepest: None,
        }
    }

    /// Searches from the leaf (already checked on its own).
    pub(super) fn run(&mut self) -> Result<ValidPath, CertificateError> {
        match self.extend()? {
            Some(anchor) => Ok(ValidPath {
                intermediates: self.path[1..].to_vec(),
                anchor,
            }),
            // `extend` records a failure before it gives up.
            None => Err(self
                .deepest
                .take()
                .map_or_else(|| no_issuer(&self.sent[0]), |(_, e)| e)),
        }
    }

    /// Tries to complete the path from its top certificate. `Ok(Some(i))`:
    /// done, at anchor `i`; `Ok(None)`: no way up from here (the reasons
    /// are in `deepest`); `Err`: the budget ran out, stop everything.
    fn extend(&mut self) -> Result<Option<usize>, CertificateError> {
        let mut candidates = 0;
        if let Some(anchor) = self.up_to_an_anchor(&mut candidates)? {
            return Ok(Some(anchor));
        }
        if let Some(anchor) = self.up_through_the_sent(&mut candidates)? {
            return Ok(Some(anchor));
        }
        if candidates == 0 {
            self.fail(no_issuer(self.top()))?;
        }
        Ok(None)
    }

    /// Ends the path at an anchor that issued its top certificate, if one
    /// did; counts the anchors tried in `candidates`.
    fn up_to_an_anchor(
        &mut self,
        candidates: &mut usize,
    ) -> Result<Option<usize>, CertificateError> {
        let anchors = self.anchors;
        for (i, anchor) in anchors.iter().enumerate() {
            if !may_have_issued(anchor, self.top()) {
                continue;
            }
            *candidates += 1;
            match self.try_anchor(anchor) {
                Ok(()) => return Ok(Some(i)),
                Err(e) => self.fail(e)?,
            }
        }
        Ok(None)
    }

    /// Tries each sent certificate that may have issued the top one, and
    /// the paths above it; counts them in `candidates`.
    fn up_through_the_sent(
        &mut self,
        candidates: &mut usize,
    ) -> Result<Option<usize>, CertificateError> {
        let sent = self.sent;
        for (i, candidate) in sent.iter().enumerate().skip(1) {
            if !may_have_issued(candidate, self.top()) || self.on_path(candidate) {
                continue;
            }
            *candidates += 1;
            if self.path.len() > self.budget.max_path_depth() {
                let max = self.budget.max_path_depth();
                let subject = self.top().subject().to_string();
                self.fail(CertificateError::PathTooDeep { subject, max })?;
                return Ok(None);
            }
            if let Err(e) = self.try_intermediate(i) {
                self.fail(e)?;
                continue;
            }
            self.path.push(i);
            if let Some(anchor) = self.extend()? {
                return Ok(Some(anchor));
            }
            self.path.pop();
        }
        Ok(None)
    }

    /// The certificate at the top of the partial path.
    fn top(&self) -> &'s X509Certificate<'a> {
        &self.sent[self.path[self.path.len() - 1]]
    }

    /// RFC 4158 §5.2: a certificate with the same subject and key as one
    /// already on the path would make a loop.
    fn on_path(&self, candidate: &X509Certificate<'_>) -> bool {
        self.path.iter().any(|&i| {
            let cert = &self.sent[i];
            cert.subject().as_raw() == candidate.subject().as_raw()
                && cert.public_key().raw == candidate.public_key().raw
        })
    }

    /// The anchor's key signed the top certificate, and the anchor's name
    /// constraints hold for the whole path below it. The anchor itself is
    /// an input, not a checked certificate (RFC 5280 §6.1.1(d)).
    fn try_anchor(&mut self, anchor: &X509Certificate<'_>) -> Result<(), CertificateError> {
        self.budget.signature()?;
        check_signature(self.top(), anchor.public_key())?;
        constraints_hold(
            anchor,
            CaRole::TrustAnchor,
            self.sent,
            &self.path,
            &mut self.budget,
        )
    }

    /// The sent certificate `i` can be the issuer of the top certificate:
    /// it passes the checks of any certificate, those of a CA with the
    /// path below it, its name constraints hold below it, and its
    /// signature on the top certificate verifies.
    fn try_intermediate(&mut self, i: usize) -> Result<(), CertificateError> {
        let cert = &self.sent[i];
        check_any(cert, i, self.now, self.purpose)?;
        let intermediates_below = self.path[1..]
            .iter()
            .filter(|&&k| !is_self_issued(&self.sent[k]))
            .count();
        check_issuer(cert, i, intermediates_below)?;
        constraints_hold(
            cert,
            CaRole::Intermediate,
            self.sent,
            &self.path,
            &mut self.budget,
        )?;
        self.budget.signature()?;
        check_signature(self.top(), cert.public_key())
    }

    /// Records a failure; running out of budget ends the search.
    fn fail(&mut self, error: CertificateError) -> Result<(), CertificateError> {
        if matches!(
            error,
            CertificateError::TooManySignatureChecks { .. }
                | CertificateError::TooManyNameComparisons { .. }
        ) {
            return Err(error);
        }
        let depth = self.path.len();
        if self.deepest.as_ref().is_none_or(|(d, _)| depth > *d) {
            self.deepest = Some((depth, error));
        }
        Ok(())
    }
}

/// RFC 5280 §6.1.3(b)-(c): `ca`'s name constraints hold for every
/// certificate of `path` (indices into `sent`) below it — the leaf, and the
/// intermediates that are not self-issued.
fn constraints_hold(
    ca: &X509Certificate<'_>,
    role: CaRole,
    sent: &[X509Certificate<'_>],
    path: &[usize],
    budget: &mut Budget,
) -> Result<(), CertificateError> {
    for (k, &index) in path.iter().enumerate() {
        let below = &sent[index];
        if k == 0 || !is_self_issued(below) {
            check_name_constraints(ca, role, below, index, budget)?;
        }
    }
    Ok(())
}

/// Whether `issuer` may have issued `cert`: its subject is `cert`'s issuer
/// (RFC 5280 §6.1.3(a)(4), compared as DER bytes), and when both carry key
/// identifiers (§4.2.1.1, §4.2.1.2) they agree.
fn may_have_issued(issuer: &X509Certificate<'_>, cert: &X509Certificate<'_>) -> bool {
    if issuer.subject().as_raw() != cert.issuer().as_raw() {
        return false;
    }
    match (authority_key_id(cert), subject_key_id(issuer)) {
        (Some(authority), Some(subject)) => authority == subject,
        _ => true,
    }
}

fn authority_key_id<'a>(cert: &X509Certificate<'a>) -> Option<&'a [u8]> {
    cert.extensions()
        .iter()
        .find_map(|ext| match ext.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                aki.key_identifier.as_ref().map(|id| id.0)
            }
            _ => None,
        })
}

fn subject_key_id<'a>(cert: &X509Certificate<'a>) -> Option<&'a [u8]> {
    cert.extensions()
        .iter()
        .find_map(|ext| match ext.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0),
            _ => None,
        })
}

/// Nothing we have could have issued `cert`: at a self-issued certificate
/// the chain has reached a root, one we do not trust.
fn no_issuer(cert: &X509Certificate<'_>) -> CertificateError {
    if is_self_issued(cert) {
        CertificateError::UntrustedRoot {
            subject: cert.subject().to_string(),
        }
    } else {
        CertificateError::UnknownIssuer {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
        }
    }
}
