//! The syntax of the names that name constraints compare (RFC 5280
//! §4.2.1.6, §4.2.1.10): which strings are DNS names and mail addresses at
//! all, in a certificate's names and in a CA's subtrees. Matching a name
//! that is not one of these forms would answer a question nobody asked —
//! `.example.com` "lies within" `example.com` by string suffix, but names
//! no host — so `name_constraints.rs` refuses such a name or subtree
//! instead of matching it.

/// RFC 5280 §4.2.1.6: a dNSName "MUST be in the "preferred name syntax",
/// as specified by Section 3.5 of [RFC1034] and as modified by Section 2.1
/// of [RFC1123]": labels of letters, digits and hyphens, neither starting
/// nor ending with a hyphen, 1 to 63 octets each, 253 in all, no empty
/// label (so no leading, trailing or doubled dot). Underscores are allowed
/// as well, as rustls-webpki does: real names have them.
pub(super) fn is_dns_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 253 && name.split('.').all(is_label)
}

fn is_label(label: &str) -> bool {
    let bytes = label.as_bytes();
    let inner = |b: &u8| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_';
    (1..=63).contains(&bytes.len())
        && bytes.iter().all(inner)
        && bytes.first() != Some(&b'-')
        && bytes.last() != Some(&b'-')
}

/// A subjectAltName dNSName: a DNS name, or one whose left-most label is
/// the wildcard `*` (RFC 6125 §6.4.3; `hostname.rs` says what it matches).
pub(super) fn is_dns_id(name: &str) -> bool {
    is_dns_name(name.strip_prefix("*.").unwrap_or(name))
}

/// A dNSName subtree (RFC 5280 §4.2.1.10: "DNS name restrictions are
/// expressed as host.example.com"): a DNS name, that name with a leading
/// dot (the common "only below it" form, as webpki reads it), or empty
/// (every name: zero labels to add to). Not a wildcard: a subtree already
/// stands for every name below it, and `*.example.com` read as text would
/// hold nothing but the literal `*.example.com`.
pub(super) fn is_dns_subtree(base: &str) -> bool {
    base.is_empty() || is_dns_name(base.strip_prefix('.').unwrap_or(base))
}

/// An rfc822Name: RFC 5280 §4.2.1.6 makes it "a "Mailbox" as defined in
/// Section 4.1.2 of [RFC2821]", `Local-part@Domain`.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Mailbox<'a> {
    /// The Local-part, compared exactly (RFC 5280 §7.5).
    pub(super) local: &'a str,
    /// The Domain, compared ignoring ASCII case.
    pub(super) domain: &'a str,
}

/// Reads `name` as a Mailbox whose Local-part is a Dot-string (RFC 2821
/// §4.1.2: atoms of RFC 5322 §3.2.3 atext joined by single dots) and
/// whose Domain is a DNS name. A Quoted-string Local-part or an address
/// literal (`[192.0.2.1]`) is not read: such names are rare, and under a
/// constraint we would rather refuse them than guess.
pub(super) fn mailbox(name: &str) -> Option<Mailbox<'_>> {
    let (local, domain) = name.split_once('@')?;
    let is_atom = |atom: &str| !atom.is_empty() && atom.bytes().all(is_atext);
    (local.split('.').all(is_atom) && is_dns_name(domain)).then_some(Mailbox { local, domain })
}

/// RFC 5322 §3.2.3 atext: "Printable US-ASCII characters not including
/// specials."
fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b)
}

/// The three rfc822Name subtree forms of RFC 5280 §4.2.1.10: "A name
/// constraint for Internet mail addresses MAY specify a particular
/// mailbox, all addresses at a particular host, or all mailboxes in a
/// domain."
#[derive(Debug, PartialEq, Eq)]
pub(super) enum MailSubtree<'a> {
    /// "To indicate a particular mailbox, the constraint is the complete
    /// mail address."
    Mailbox(Mailbox<'a>),
    /// "To indicate all Internet mail addresses on a particular host, the
    /// constraint is specified as the host name."
    Host(&'a str),
    /// "To specify any address within a domain, the constraint is
    /// specified with a leading period": the domain with its dot, which
    /// holds the hosts below it, "but not Internet mail addresses on the
    /// host "example.com"".
    Domain(&'a str),
}

/// Reads an rfc822Name subtree as one of its three forms; `None` for
/// anything else (an empty one too: the RFC gives it no meaning).
pub(super) fn mail_subtree(base: &str) -> Option<MailSubtree<'_>> {
    if base.contains('@') {
        mailbox(base).map(MailSubtree::Mailbox)
    } else if let Some(domain) = base.strip_prefix('.') {
        is_dns_name(domain).then_some(MailSubtree::Domain(base))
    } else {
        is_dns_name(base).then_some(MailSubtree::Host(base))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names_are_labels_joined_by_single_dots() {
        for good in [
            "example.com",
            "a-b.example.com",
            "x_y.example",
            "localhost",
            "1.2.3",
        ] {
            assert!(is_dns_name(good), "{good}");
        }
        let long_label = "a".repeat(64);
        let long_name = ["a".repeat(63).as_str(); 5].join(".");
        for bad in [
            "",
            ".example.com",
            "example.com.",
            "a..example.com",
            "*.example.com",
            "-a.example.com",
            "a-.example.com",
            "ex ample.com",
            "exämple.com",
            "a@example.com",
            long_label.as_str(),
            long_name.as_str(),
        ] {
            assert!(!is_dns_name(bad), "{bad}");
        }
    }

    #[test]
    fn a_presented_name_may_have_one_leading_wildcard() {
        assert!(is_dns_id("*.example.com"));
        assert!(is_dns_id("www.example.com"));
        assert!(!is_dns_id("*"));
        assert!(!is_dns_id("www.*.example.com"));
        assert!(!is_dns_id("*.*.example.com"));
        assert!(!is_dns_id("f*.example.com"));
        assert!(!is_dns_id(".example.com"));
    }

    #[test]
    fn dns_subtrees_are_names_with_an_optional_leading_dot() {
        for good in ["", "example.com", ".example.com"] {
            assert!(is_dns_subtree(good), "{good}");
        }
        for bad in [".", "*.example.com", "..example.com", "example.com."] {
            assert!(!is_dns_subtree(bad), "{bad}");
        }
    }

    #[test]
    fn mailboxes_are_dot_strings_at_dns_names() {
        assert_eq!(
            mailbox("first.last+tag@Example.com"),
            Some(Mailbox {
                local: "first.last+tag",
                domain: "Example.com"
            })
        );
        for bad in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "a@b@example.com",
            ".alice@example.com",
            "al..ice@example.com",
            "\"a b\"@example.com",
            "alice@[192.0.2.1]",
            "alice@.example.com",
        ] {
            assert_eq!(mailbox(bad), None, "{bad}");
        }
    }

    #[test]
    fn mail_subtrees_have_three_forms() {
        assert_eq!(
            mail_subtree("root@example.com"),
            Some(MailSubtree::Mailbox(Mailbox {
                local: "root",
                domain: "example.com"
            }))
        );
        assert_eq!(
            mail_subtree("example.com"),
            Some(MailSubtree::Host("example.com"))
        );
        assert_eq!(
            mail_subtree(".example.com"),
            Some(MailSubtree::Domain(".example.com"))
        );
        for bad in [
            "",
            ".",
            "@example.com",
            "root@",
            "*.example.com",
            "..example.com",
        ] {
            assert_eq!(mail_subtree(bad), None, "{bad}");
        }
    }
}
