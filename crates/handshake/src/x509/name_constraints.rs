//! Name constraints (RFC 5280 §4.2.1.10, applied as §6.1.3(b)-(c) says):
//! a CA's nameConstraints bound the names of every certificate below it.
//!
//! "The name constraints extension, which MUST be used only in a CA
//! certificate, indicates a name space within which all subject names in
//! subsequent certificates in a certification path MUST be located."
//!
//! We check rfc822Name, dNSName, iPAddress and directoryName subtrees, from
//! the trust anchor's own certificate and from every intermediate,
//! critical or not. Against each certificate below the CA (the leaf, and
//! intermediates that are not self-issued, §6.1.3(b)), we take its names:
//! the subject as a directoryName (when not empty), an emailAddress
//! attribute of the subject as an rfc822Name (§4.2.1.10 asks it), and
//! every subjectAltName entry. For each name:
//! - if it falls into an excluded subtree of its type, it is refused —
//!   excluded wins over permitted ("any name matching a restriction in the
//!   excludedSubtrees field is invalid regardless of information appearing
//!   in the permittedSubtrees");
//! - else, if there are permitted subtrees of its type, it must fall into
//!   one of them;
//! - a name of a type we do not check (URI, otherName, ...) under a CA
//!   that constrains that type fails the path: we cannot say it is
//!   allowed. Constraints of such a type do not matter to certificates
//!   without such names.
//!
//! Failing closed: a subtree that is not its type's name form
//! (`name_forms.rs`: a dNSName subtree like `*.example.com`, an
//! rfc822Name subtree that is neither a mailbox, a host nor a `.domain`,
//! an iPAddress without a contiguous mask, a GeneralName x509-parser
//! cannot read) fails every path through its CA, permitted or excluded —
//! a malformed excluded subtree would otherwise exclude nothing. Likewise
//! a name that is not its type's form (the dNSName `.example.com`, an
//! rfc822Name that is not a mailbox, an iPAddress of neither 4 nor 16
//! octets, an entry of that type x509-parser cannot read) fails the path when a CA above constrains that type: it can
//! neither be shown inside a permitted subtree nor outside an excluded
//! one.
//!
//! Matching: a dNSName subtree `example.com` holds `example.com` and every
//! name with labels added on the left ("host.example.com", not
//! "notexample.com"); `.example.com` holds only the names below it
//! (webpki's reading of the common leading-dot form). A wildcard name
//! `*.example.com` is within a permitted subtree only if the whole domain
//! it covers is, and falls into an excluded subtree that any name it can
//! match falls into (so `*.example.com` is refused under excluded
//! `secret.example.com`). An rfc822Name subtree is a mailbox
//! (`root@example.com`: that address, its local part compared exactly and
//! its host ignoring case, §7.5), a host (`example.com`: every mailbox on
//! that host) or a domain (`.example.com`: every mailbox on a host below
//! it, not on `example.com` itself). An iPAddress subtree is an address
//! and a mask of the same family. A directoryName subtree holds the names
//! whose RDN sequence begins with its RDNs, compared attribute by
//! attribute (type, string tag and bytes), not with §7.1's case folding.
//! Every comparison is counted against the [`Budget`](super::budget::Budget).

use std::net::IpAddr;

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{GeneralName, GeneralSubtree};
use x509_parser::oid_registry as oids;
use x509_parser::x509::{RelativeDistinguishedName, X509Name};

use super::budget::Budget;
use super::checks::malformed_extension;
use super::error::{CaRole, CertificateError};
use super::name_forms::{is_dns_id, is_dns_subtree, mail_subtree, mailbox, MailSubtree};

/// The GeneralName types (RFC 5280 §4.2.1.6) whose constraints we check.
const CHECKED: [&str; 4] = ["rfc822Name", "dNSName", "iPAddress", "directoryName"];

/// Checks the names of `cert` (at `index` in the chain) against the
/// nameConstraints of `ca`, if it has any.
pub(super) fn check_name_constraints(
    ca: &X509Certificate<'_>,
    role: CaRole,
    cert: &X509Certificate<'_>,
    index: usize,
    budget: &mut Budget,
) -> Result<(), CertificateError> {
    let Some(constraints) = ca
        .name_constraints()
        .map_err(|_| malformed_extension(index))?
    else {
        return Ok(());
    };
    let permitted = constraints
        .value
        .permitted_subtrees
        .as_deref()
        .unwrap_or(&[]);
    let excluded = constraints
        .value
        .excluded_subtrees
        .as_deref()
        .unwrap_or(&[]);
    // A subtree we cannot read might have been an excluded one: refuse
    // rather than ignore it.
    for subtree in permitted.iter().chain(excluded) {
        subtree_form(&subtree.base).map_err(|reason| {
            CertificateError::MalformedNameConstraint {
                ca: ca.subject().to_string(),
                subtree: show(&subtree.base),
                reason,
            }
        })?;
    }
    let check = Check {
        role,
        ca,
        cert,
        permitted,
        excluded,
    };
    for name in names_of(cert, index)? {
        check.name(&name, budget)?;
    }
    Ok(())
}

/// One CA's constraints against one certificate's names.
struct Check<'c, 'a> {
    role: CaRole,
    ca: &'c X509Certificate<'a>,
    cert: &'c X509Certificate<'a>,
    permitted: &'c [GeneralSubtree<'a>],
    excluded: &'c [GeneralSubtree<'a>],
}

impl Check<'_, '_> {
    fn name(&self, name: &GeneralName<'_>, budget: &mut Budget) -> Result<(), CertificateError> {
        let kind = kind_of(name);
        let excluded = of_kind(self.excluded, kind);
        let permitted = of_kind(self.permitted, kind);
        if excluded.is_empty() && permitted.is_empty() {
            return Ok(());
        }
        if !CHECKED.contains(&kind) {
            return Err(CertificateError::UnsupportedNameConstraint {
                role: self.role,
                ca: self.ca.subject().to_string(),
                subject: self.cert.subject().to_string(),
                kind,
            });
        }
        if !is_name_form(name) {
            return Err(CertificateError::MalformedName {
                role: self.role,
                ca: self.ca.subject().to_string(),
                subject: self.cert.subject().to_string(),
                name: show(name),
                kind,
            });
        }
        self.not_excluded(name, &excluded, budget)?;
        if permitted.is_empty() {
            return Ok(());
        }
        self.permitted(name, &permitted, budget)
    }

    /// "any name matching a restriction in the excludedSubtrees field is
    /// invalid regardless of information appearing in the
    /// permittedSubtrees" (§4.2.1.10).
    fn not_excluded(
        &self,
        name: &GeneralName<'_>,
        excluded: &[&GeneralName<'_>],
        budget: &mut Budget,
    ) -> Result<(), CertificateError> {
        for base in excluded {
            budget.name_comparison()?;
            if within(name, base, SubtreeList::Excluded) {
                return Err(CertificateError::NameExcluded {
                    role: self.role,
                    ca: self.ca.subject().to_string(),
                    subject: self.cert.subject().to_string(),
                    name: show(name),
                    excluded: show(base),
                });
            }
        }
        Ok(())
    }

    /// The name lies in one of the `permitted` subtrees of its type.
    fn permitted(
        &self,
        name: &GeneralName<'_>,
        permitted: &[&GeneralName<'_>],
        budget: &mut Budget,
    ) -> Result<(), CertificateError> {
        for base in permitted {
            budget.name_comparison()?;
            if within(name, base, SubtreeList::Permitted) {
                return Ok(());
            }
        }
        Err(CertificateError::NameNotPermitted {
            role: self.role,
            ca: self.ca.subject().to_string(),
            subject: self.cert.subject().to_string(),
            name: show(name),
            permitted: permitted.iter().map(|base| show(base)).collect(),
        })
    }
}

/// Whether a subtree is of its type's form (`Err` says how it is not).
/// Types we do not check pass here; they fail a path only when a name of
/// their type meets them ([`Check::name`]).
fn subtree_form(base: &GeneralName<'_>) -> Result<(), &'static str> {
    match base {
        GeneralName::Invalid(..) => Err("a subtree that does not parse as a GeneralName"),
        GeneralName::RFC822Name(base) if mail_subtree(base).is_none() => Err(
            "an rfc822Name subtree must be a mailbox, a host, or a domain with a leading period",
        ),
        GeneralName::DNSName(base) if !is_dns_subtree(base) => {
            Err("a dNSName subtree must be a DNS name, optionally with a leading period")
        }
        GeneralName::IPAddress(subtree) => ip_subtree(subtree).map(drop),
        _ => Ok(()),
    }
}

/// Whether a certificate's name is of its type's form: a mailbox, a DNS
/// name (with at most a leading wildcard label), an IPv4 or IPv6 address;
/// never an entry x509-parser could not read.
fn is_name_form(name: &GeneralName<'_>) -> bool {
    match name {
        GeneralName::Invalid(..) => false,
        GeneralName::RFC822Name(name) => mailbox(name).is_some(),
        GeneralName::DNSName(name) => is_dns_id(name),
        GeneralName::IPAddress(address) => matches!(address.len(), 4 | 16),
        _ => true,
    }
}

/// Whether `name` lies in the subtree `base`: both of the same type,
/// and of their type's form ([`subtree_form`], [`is_name_form`]).
fn within(name: &GeneralName<'_>, base: &GeneralName<'_>, from: SubtreeList) -> bool {
    match (name, base) {
        (GeneralName::RFC822Name(name), GeneralName::RFC822Name(base)) => mail_within(name, base),
        (GeneralName::DNSName(name), GeneralName::DNSName(base)) => match from {
            SubtreeList::Permitted => dns_within(name, base),
            SubtreeList::Excluded => dns_may_be_within(name, base),
        },
        (GeneralName::IPAddress(address), GeneralName::IPAddress(subtree)) => {
            ip_within(address, subtree)
        }
        (GeneralName::DirectoryName(name), GeneralName::DirectoryName(base)) => {
            dn_within(name, base)
        }
        _ => false,
    }
}

/// Which list a subtree comes from: a wildcard name is judged by what it
/// may match when that could exclude it.
#[derive(Clone, Copy)]
enum SubtreeList {
    Permitted,
    Excluded,
}

/// The bases of the `subtrees` of type `kind`.
fn of_kind<'c, 'a>(subtrees: &'c [GeneralSubtree<'a>], kind: &str) -> Vec<&'c GeneralName<'a>> {
    subtrees
        .iter()
        .map(|subtree| &subtree.base)
        .filter(|base| kind_of(base) == kind)
        .collect()
}

/// The names of `cert` that name constraints apply to.
fn names_of<'c, 'a>(
    cert: &'c X509Certificate<'a>,
    index: usize,
) -> Result<Vec<GeneralName<'c>>, CertificateError> {
    let mut names = Vec::new();
    let subject = cert.subject();
    if subject.iter().next().is_some() {
        names.push(GeneralName::DirectoryName(subject.clone()));
    }
    // §4.2.1.10: rfc822Name constraints apply to "the subject field in the
    // certificate" where it holds emailAddress attributes.
    for email in subject.iter_by_oid(&oids::OID_PKCS9_EMAIL_ADDRESS) {
        names.push(GeneralName::RFC822Name(email.as_str().unwrap_or("")));
    }
    if let Some(san) = cert
        .subject_alternative_name()
        .map_err(|_| malformed_extension(index))?
    {
        names.extend(san.value.general_names.iter().cloned());
    }
    Ok(names)
}

/// The RFC 5280 §4.2.1.6 GeneralName types, by their context tag number.
const KINDS: [&str; 9] = [
    "otherName",
    "rfc822Name",
    "dNSName",
    "x400Address",
    "directoryName",
    "ediPartyName",
    "uniformResourceIdentifier",
    "iPAddress",
    "registeredID",
];

/// The RFC 5280 §4.2.1.6 name of a GeneralName's type. An entry
/// x509-parser could not read (`Invalid`: an rfc822Name or dNSName that
/// is not ASCII, a directoryName that is not a Name) is of the type its
/// tag says, so that a CA constraining that type refuses it
/// ([`is_name_form`]) instead of passing it as a type nobody constrains.
fn kind_of(name: &GeneralName<'_>) -> &'static str {
    let tag = match name {
        GeneralName::OtherName(..) => 0,
        GeneralName::RFC822Name(_) => 1,
        GeneralName::DNSName(_) => 2,
        GeneralName::X400Address(_) => 3,
        GeneralName::DirectoryName(_) => 4,
        GeneralName::EDIPartyName(_) => 5,
        GeneralName::URI(_) => 6,
        GeneralName::IPAddress(_) => 7,
        GeneralName::RegisteredID(_) => 8,
        GeneralName::Invalid(tag, _) => tag.0,
    };
    usize::try_from(tag)
        .ok()
        .and_then(|tag| KINDS.get(tag))
        .copied()
        .unwrap_or("unreadable GeneralName")
}

/// A name or subtree as text for error messages.
fn show(name: &GeneralName<'_>) -> String {
    match name {
        GeneralName::RFC822Name(mail) | GeneralName::DNSName(mail) => (*mail).to_string(),
        GeneralName::IPAddress(bytes) => show_ip(bytes),
        GeneralName::DirectoryName(dn) => format!("\"{dn}\""),
        GeneralName::Invalid(..) => format!("an unreadable {}", kind_of(name)),
        other => kind_of(other).to_string(),
    }
}

/// An address, or an address and mask as `net/prefix`.
fn show_ip(bytes: &[u8]) -> String {
    let address = |b: &[u8]| match b.len() {
        4 => <[u8; 4]>::try_from(b).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(b).ok().map(IpAddr::from),
        _ => None,
    };
    if let Some(ip) = address(bytes) {
        return ip.to_string();
    }
    let (net, mask) = bytes.split_at(bytes.len() / 2);
    match (address(net), address(mask)) {
        (Some(ip), _) if is_contiguous(mask) => {
            let prefix: u32 = mask.iter().map(|b| b.count_ones()).sum();
            format!("{ip}/{prefix}")
        }
        (Some(ip), Some(mask)) => format!("{ip}/{mask}"),
        _ => format!("iPAddress of {} octets", bytes.len()),
    }
}

/// Whether `suffix` ends `name`, ASCII case-insensitively.
fn ends_with(name: &str, suffix: &str) -> bool {
    name.len() >= suffix.len()
        && name.as_bytes()[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

/// RFC 5280 §4.2.1.10: "Any DNS name that can be constructed by simply
/// adding zero or more labels to the left-hand side of the name satisfies
/// the name constraint." A leading dot means "only below it". A `*` label
/// is taken literally: `*.example.com` is within `example.com`, not within
/// `a.example.com`.
pub(super) fn dns_within(name: &str, base: &str) -> bool {
    if base.is_empty() {
        return true;
    }
    if base.starts_with('.') {
        return name.len() > base.len() && ends_with(name, base);
    }
    name.eq_ignore_ascii_case(base)
        || (name.len() > base.len()
            && ends_with(name, base)
            && name.as_bytes()[name.len() - base.len() - 1] == b'.')
}

/// For excluded subtrees: whether `name`, or a name the wildcard `name`
/// can stand for, is within `base`. `*.example.com` matches exactly one
/// label more than `example.com`, so it can be `secret.example.com`.
pub(super) fn dns_may_be_within(name: &str, base: &str) -> bool {
    if dns_within(name, base) {
        return true;
    }
    let Some(domain) = name.strip_prefix("*.") else {
        return false;
    };
    match base.split_once('.') {
        Some((label, rest)) => !label.is_empty() && rest.eq_ignore_ascii_case(domain),
        None => false,
    }
}

/// RFC 5280 §4.2.1.10 (§7.5 for the comparison): whether the mailbox
/// `name` lies in the rfc822Name subtree `base`. The local part is
/// compared exactly ("the local-part ... is case-sensitive"), the host
/// ignoring ASCII case.
fn mail_within(name: &str, base: &str) -> bool {
    let Some(mailbox) = mailbox(name) else {
        return false;
    };
    match mail_subtree(base) {
        Some(MailSubtree::Mailbox(only)) => {
            mailbox.local == only.local && mailbox.domain.eq_ignore_ascii_case(only.domain)
        }
        Some(MailSubtree::Host(host)) => mailbox.domain.eq_ignore_ascii_case(host),
        Some(MailSubtree::Domain(dot_domain)) => dns_within(mailbox.domain, dot_domain),
        None => false,
    }
}

/// An iPAddress subtree is "the address and mask" (§4.2.1.10): 8 octets
/// for IPv4, 32 for IPv6; the mask must be contiguous. The network and
/// the mask, or why the subtree is malformed.
fn ip_subtree(subtree: &[u8]) -> Result<(&[u8], &[u8]), &'static str> {
    if subtree.len() != 8 && subtree.len() != 32 {
        return Err("an iPAddress subtree must be 8 or 32 octets (address and mask)");
    }
    let (net, mask) = subtree.split_at(subtree.len() / 2);
    if !is_contiguous(mask) {
        return Err("an iPAddress subtree's mask is not a prefix of one bits");
    }
    Ok((net, mask))
}

/// Whether `address` lies in `subtree`. An address of the other family is
/// not within it, nor anything within a malformed subtree.
pub(super) fn ip_within(address: &[u8], subtree: &[u8]) -> bool {
    ip_subtree(subtree).is_ok_and(|(net, mask)| {
        address.len() == net.len()
            && address
                .iter()
                .zip(net)
                .zip(mask)
                .all(|((a, n), m)| a & m == n & m)
    })
}

/// Whether `mask` is some one bits followed only by zero bits.
fn is_contiguous(mask: &[u8]) -> bool {
    let bits = mask
        .iter()
        .flat_map(|byte| (0..8).rev().map(move |i| byte >> i & 1 == 1));
    let mut seen_zero = false;
    for bit in bits {
        if bit && seen_zero {
            return false;
        }
        seen_zero |= !bit;
    }
    true
}

/// Whether the RDN sequence of `base` begins the RDN sequence of `name`.
fn dn_within(name: &X509Name<'_>, base: &X509Name<'_>) -> bool {
    let name_len = name.iter().count();
    let base_len = base.iter().count();
    base_len <= name_len && name.iter().zip(base.iter()).all(|(n, b)| rdn_eq(n, b))
}

/// Two RDNs with the same attributes, in order (DER sorts a SET OF), by
/// type, string tag and value bytes.
fn rdn_eq(a: &RelativeDistinguishedName<'_>, b: &RelativeDistinguishedName<'_>) -> bool {
    a.iter().count() == b.iter().count()
        && a.iter().zip(b.iter()).all(|(x, y)| {
            x.attr_type() == y.attr_type()
                && x.attr_value().tag() == y.attr_value().tag()
                && x.attr_value().data == y.attr_value().data
        })
}

#[cfg(test)]
mod tests {
    use x509_parser::der_parser::asn1_rs::Tag;

    use super::*;

    #[test]
    fn dns_subtrees_add_labels_on_the_left_only() {
        assert!(dns_within("example.com", "example.com"));
        assert!(dns_within("www.Example.com", "example.COM"));
        assert!(dns_within("a.b.example.com", "example.com"));
        assert!(!dns_within("notexample.com", "example.com"));
        assert!(!dns_within("example.com.evil", "example.com"));
        assert!(!dns_within("com", "example.com"));
        assert!(dns_within("anything", ""));
        // The leading-dot form holds only names below it.
        assert!(dns_within("www.example.com", ".example.com"));
        assert!(!dns_within("example.com", ".example.com"));
    }

    #[test]
    fn wildcards_are_judged_by_what_they_can_match() {
        assert!(dns_within("*.example.com", "example.com"));
        assert!(!dns_within("*.example.com", "a.example.com"));
        assert!(dns_may_be_within("*.example.com", "secret.example.com"));
        assert!(dns_may_be_within("*.example.com", "example.com"));
        assert!(!dns_may_be_within("*.example.com", "a.b.example.com"));
        assert!(!dns_may_be_within("*.example.com", "other.org"));
        assert!(!dns_may_be_within("www.example.com", "secret.example.com"));
    }

    #[test]
    fn ip_subtrees_are_address_and_mask() {
        let net10 = [10, 0, 0, 0, 255, 0, 0, 0];
        assert!(ip_within(&[10, 1, 2, 3], &net10));
        assert!(!ip_within(&[11, 1, 2, 3], &net10));
        assert!(!ip_within(&[0; 16], &net10));
        let host = [192, 168, 1, 7, 255, 255, 255, 255];
        assert!(ip_within(&[192, 168, 1, 7], &host));
        assert!(!ip_within(&[192, 168, 1, 8], &host));
        let mut v6 = [0u8; 32];
        v6[0] = 0xfd;
        v6[16] = 0xff;
        let mut inside = [0u8; 16];
        inside[0] = 0xfd;
        inside[15] = 1;
        assert!(ip_within(&inside, &v6));
        assert!(!ip_within(&[10, 0, 0, 1], &v6));
        let gappy = [10, 0, 0, 0, 255, 0, 255, 0];
        assert!(ip_subtree(&gappy).is_err());
        assert!(!ip_within(&[10, 0, 0, 1], &gappy));
        assert!(ip_subtree(&[10, 0, 0, 0]).is_err());
    }

    #[test]
    fn mail_subtrees_hold_a_mailbox_a_host_or_a_domain() {
        // A mailbox: the local part exactly, the host in any case.
        assert!(mail_within("root@example.com", "root@example.com"));
        assert!(mail_within("root@EXAMPLE.com", "root@example.com"));
        assert!(!mail_within("Root@example.com", "root@example.com"));
        assert!(!mail_within("root@mail.example.com", "root@example.com"));
        // A host: every mailbox on it, none below it.
        assert!(mail_within("anyone@example.com", "Example.COM"));
        assert!(!mail_within("anyone@mail.example.com", "example.com"));
        assert!(!mail_within("anyone@notexample.com", "example.com"));
        // A domain: every host below it, not the host itself.
        assert!(mail_within("anyone@mail.example.com", ".example.com"));
        assert!(mail_within("anyone@a.b.example.com", ".example.com"));
        assert!(!mail_within("anyone@example.com", ".example.com"));
        assert!(!mail_within("anyone@notexample.com", ".example.com"));
        // Neither a name nor a subtree out of form is within anything.
        assert!(!mail_within("not-an-address", "example.com"));
        assert!(!mail_within("anyone@example.com", "@example.com"));
    }

    #[test]
    fn subtrees_and_names_out_of_form_are_told_apart() {
        let dns = GeneralName::DNSName;
        let mail = GeneralName::RFC822Name;
        assert!(subtree_form(&dns("*.example.com")).is_err());
        assert!(subtree_form(&dns(".example.com")).is_ok());
        assert!(subtree_form(&mail("")).is_err());
        assert!(subtree_form(&mail(".example.com")).is_ok());
        assert!(subtree_form(&GeneralName::IPAddress(&[10, 0, 0, 0])).is_err());
        assert!(subtree_form(&GeneralName::URI("whatever")).is_ok());
        assert!(!is_name_form(&dns(".example.com")));
        assert!(is_name_form(&dns("*.example.com")));
        assert!(!is_name_form(&mail("example.com")));
        assert!(!is_name_form(&GeneralName::IPAddress(&[10, 0, 0])));
    }

    #[test]
    fn unreadable_names_are_of_the_type_their_tag_says() {
        // An rfc822Name that is not ASCII (found by the fuzz target
        // name_constraints): x509-parser gives `Invalid`, which passed
        // every rfc822Name constraint as a type nobody constrains.
        let mail = GeneralName::Invalid(Tag(1), b"a@exam\xf1ple.com");
        assert_eq!(kind_of(&mail), "rfc822Name");
        assert!(!is_name_form(&mail));
        assert_eq!(show(&mail), "an unreadable rfc822Name");
        assert_eq!(kind_of(&GeneralName::Invalid(Tag(4), b"")), "directoryName");
        assert_eq!(
            kind_of(&GeneralName::Invalid(Tag(9), b"")),
            "unreadable GeneralName"
        );
    }

    #[test]
    fn ip_subtrees_show_as_prefixes() {
        assert_eq!(show_ip(&[10, 0, 0, 0, 255, 0, 0, 0]), "10.0.0.0/8");
        assert_eq!(show_ip(&[127, 0, 0, 1]), "127.0.0.1");
        assert_eq!(
            show_ip(&[10, 0, 0, 0, 255, 0, 255, 0]),
            "10.0.0.0/255.0.255.0"
        );
        assert_eq!(show_ip(&[10, 0, 0]), "iPAddress of 3 octets");
    }
}
