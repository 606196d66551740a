//! The server's name against the leaf's subjectAltName (RFC 6125 §6.4 for
//! DNS names, §6.2.1 for IP addresses; RFC 5280 §4.2.1.6).

use std::net::IpAddr;

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;

use super::checks::malformed_extension;
use super::error::CertificateError;

/// RFC 6125 §6.4 (DNS names) and §6.2.1 (IP addresses) against the leaf's
/// subjectAltName. RFC 6125 §6.4.4 would allow falling back to the CN when
/// there is no subjectAltName; we do not.
pub(super) fn check_server_name(
    leaf: &X509Certificate<'_>,
    server_name: &str,
) -> Result<(), CertificateError> {
    let Some(san) = leaf
        .subject_alternative_name()
        .map_err(|_| malformed_extension(0))?
    else {
        return Err(CertificateError::NoSubjectAltName {
            subject: leaf.subject().to_string(),
            expected: server_name.to_string(),
        });
    };
    let names = &san.value.general_names;
    let matched = match server_name.parse::<IpAddr>() {
        Ok(ip) => names
            .iter()
            .any(|name| matches!(name, GeneralName::IPAddress(bytes) if ip_matches(ip, bytes))),
        Err(_) => names.iter().any(
            |name| matches!(name, GeneralName::DNSName(pattern) if dns_name_matches(pattern, server_name)),
        ),
    };
    if matched {
        Ok(())
    } else {
        Err(CertificateError::NameMismatch {
            expected: server_name.to_string(),
            presented: names.iter().filter_map(describe_name).collect(),
        })
    }
}

/// An iPAddress entry is the address in network byte order: 4 octets for
/// IPv4, 16 for IPv6 (RFC 5280 §4.2.1.6).
fn ip_matches(ip: IpAddr, entry: &[u8]) -> bool {
    match ip {
        IpAddr::V4(v4) => entry == v4.octets(),
        IpAddr::V6(v6) => entry == v6.octets(),
    }
}

/// Whether a dNSName `pattern` names the host `name` (RFC 6125 §6.4.1,
/// §6.4.3): ASCII case-insensitive; a `*` may only be the whole left-most
/// label and matches exactly one label, and it must be followed by at least
/// two labels (`*.com` is refused). A trailing dot on `name` (the absolute
/// form) is ignored.
pub(crate) fn dns_name_matches(pattern: &str, name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() || name.contains('*') {
        return false;
    }
    match pattern.strip_prefix("*.") {
        Some(suffix) => {
            suffix.contains('.')
                && name.split_once('.').is_some_and(|(label, rest)| {
                    !label.is_empty() && rest.eq_ignore_ascii_case(suffix)
                })
        }
        None => pattern.eq_ignore_ascii_case(name),
    }
}

/// A subjectAltName entry as text for [`CertificateError::NameMismatch`].
fn describe_name(name: &GeneralName<'_>) -> Option<String> {
    match name {
        GeneralName::DNSName(dns) => Some((*dns).to_string()),
        GeneralName::IPAddress(bytes) => match bytes.len() {
            4 => <[u8; 4]>::try_from(*bytes)
                .ok()
                .map(|b| IpAddr::from(b).to_string()),
            16 => <[u8; 16]>::try_from(*bytes)
                .ok()
                .map(|b| IpAddr::from(b).to_string()),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_names_match_case_insensitively() {
        assert!(dns_name_matches("localhost", "localhost"));
        assert!(dns_name_matches("LocalHost", "localhost"));
        assert!(dns_name_matches("example.com", "EXAMPLE.com."));
        assert!(!dns_name_matches("example.com", "www.example.com"));
        assert!(!dns_name_matches("example.com", "example.co"));
        assert!(!dns_name_matches("example.com", ""));
        assert!(!dns_name_matches("example.com", "."));
    }

    #[test]
    fn wildcard_matches_exactly_one_left_most_label() {
        assert!(dns_name_matches("*.example.com", "a.example.com"));
        assert!(dns_name_matches("*.Example.COM", "A.example.com"));
        assert!(!dns_name_matches("*.example.com", "a.b.example.com"));
        assert!(!dns_name_matches("*.example.com", "example.com"));
        assert!(!dns_name_matches("*.example.com", ".example.com"));
        assert!(!dns_name_matches("*.example.com", "a.example.org"));
    }

    #[test]
    fn other_wildcards_never_match() {
        // A wildcard over a single label, a partial label, a non-left-most
        // one, two of them, and a `*` in the name we look for.
        assert!(!dns_name_matches("*.com", "example.com"));
        assert!(!dns_name_matches("a*.example.com", "ab.example.com"));
        assert!(!dns_name_matches("www.*.com", "www.example.com"));
        assert!(!dns_name_matches("*.*.example.com", "a.b.example.com"));
        assert!(!dns_name_matches("*", "localhost"));
        assert!(!dns_name_matches("*.example.com", "*.example.com"));
    }

    #[test]
    fn ip_entries_compare_octets() {
        let v4: IpAddr = "127.0.0.1".parse().unwrap();
        let v6: IpAddr = "::1".parse().unwrap();
        assert!(ip_matches(v4, &[127, 0, 0, 1]));
        assert!(!ip_matches(v4, &[127, 0, 0, 2]));
        let mut loopback6 = [0u8; 16];
        loopback6[15] = 1;
        assert!(ip_matches(v6, &loopback6));
        assert!(!ip_matches(v6, &[127, 0, 0, 1]));
        assert!(!ip_matches(v4, &loopback6));
    }
}
