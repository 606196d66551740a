//! Target `name_constraints`: chain verification alone
//! (`x509::verify_chain`) over the name-constrained PKI of
//! test-data/constrained/ (made by test-data/make-constrained.sh), with
//! leaves, and constrained CAs, that the target signs itself.

use std::sync::OnceLock;

use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use tls12::handshake::x509::{verify_chain, PathLimits, Purpose};
use tls12::TrustAnchors;

/// The time of every verification, UNIX seconds (2027, inside the PKI's
/// validity).
const NOW: i64 = 1_800_000_000;
/// `subjectAltName` (2.5.29.17) and `nameConstraints` (2.5.29.30), as DER.
const SAN_OID: &[u8] = &[0x06, 0x03, 0x55, 0x1d, 0x11];
const NAME_CONSTRAINTS_OID: &[u8] = &[0x06, 0x03, 0x55, 0x1d, 0x1e];
/// The GeneralName tags an item may take (RFC 5280 §4.2.1.6): rfc822Name,
/// dNSName, iPAddress (implicit, primitive), directoryName (explicit).
const TAGS: [u8; 4] = [0x81, 0x82, 0x87, 0xa4];
const RFC822: u8 = 0x81;
const DNS: u8 = 0x82;
/// `name_constraints` flags: the intermediate's nameConstraints are the
/// input's subtrees (signed again by the root key).
const FLAG_OWN_CONSTRAINTS: u8 = 1;
/// `name_constraints` flags: verify for client authentication.
const FLAG_CLIENT: u8 = 2;

/// The constrained intermediate's subtrees (openssl.cnf,
/// `constrained_subtrees`): (tag, permitted, name).
const FIXED_SUBTREES: [(u8, bool, &str); 6] = [
    (DNS, true, "example.com"),
    (DNS, true, ".example.org"),
    (RFC822, true, "example.com"),
    (RFC822, true, ".example.net"),
    (DNS, false, "secret.example.com"),
    (RFC822, false, "boss@example.com"),
];

/// The constrained PKI, parsed once.
struct Pki {
    anchors: TrustAnchors,
    intermediate: Vec<u8>,
    leaf: Vec<u8>,
    root_key: EcdsaKeyPair,
    intermediate_key: EcdsaKeyPair,
    rng: SystemRandom,
}

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let rng = SystemRandom::new();
        let key = |pk8: &[u8]| {
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pk8, &rng)
                .expect("a P-256 PKCS#8 key")
        };
        let root = include_bytes!("../../test-data/constrained/root.pem");
        Pki {
            anchors: TrustAnchors::from_pem(root).expect("the constrained root"),
            intermediate: include_bytes!("../../test-data/constrained/intermediate.der").to_vec(),
            leaf: include_bytes!("../../test-data/constrained/leaf.der").to_vec(),
            root_key: key(include_bytes!("../../test-data/constrained/root.pk8")),
            intermediate_key: key(include_bytes!(
                "../../test-data/constrained/intermediate.pk8"
            )),
            rng,
        }
    })
}

/// One name of the input: its GeneralName tag and contents.
struct Name<'a> {
    tag: u8,
    value: &'a [u8],
}

impl Name<'_> {
    fn text(&self) -> Option<String> {
        std::str::from_utf8(self.value).ok().map(str::to_owned)
    }
}

/// Target `name_constraints`: a leaf, with the subjectAltNames the input
/// gives, signed under the constrained intermediate of
/// test-data/constrained/ (whose nameConstraints the input may replace),
/// verified by `verify_chain` alone (no TLS, no server name) at [`NOW`].
///
/// Input: a flags byte (bit 0: the intermediate gets the input's subtrees
/// as its nameConstraints, signed again by the root key; bit 1: client
/// authentication, else server), then items `kind: u8, len: u8, bytes`:
/// `kind & 3` is the GeneralName type (rfc822Name, dNSName, iPAddress,
/// directoryName), `kind >> 2 & 3` where it goes (1: a permitted subtree,
/// 2: an excluded one, else a subjectAltName; without one the leaf keeps
/// its own).
///
/// Asserted, by name_forms.rs's documented forms, independently of it: a
/// path never passes with a dNSName or rfc822Name subtree not of its form
/// (RFC 5280 §4.2.1.10), nor with a dNSName or rfc822Name SAN not of its
/// form under subtrees of its type; a path that passes has every such SAN
/// inside a permitted subtree of its type (if any) and outside every
/// excluded one; and a leaf of well-formed names all inside the
/// constraints passes.
pub fn name_constraints(data: &[u8]) {
    let Some((&flags, mut rest)) = data.split_first() else {
        return;
    };
    let mut sans = Vec::new();
    let mut subtrees = Vec::new();
    while let [kind, len, after @ ..] = rest {
        let value = &after[..usize::from(*len).min(after.len())];
        rest = &after[value.len()..];
        let name = Name {
            tag: TAGS[usize::from(kind & 3)],
            value,
        };
        match kind >> 2 & 3 {
            1 => subtrees.push((true, name)),
            2 => subtrees.push((false, name)),
            _ => sans.push(name),
        }
    }
    let pki = pki();
    let own = flags & FLAG_OWN_CONSTRAINTS != 0;
    let intermediate = if own {
        let value = name_constraints_value(&subtrees);
        replace_extension(&pki.intermediate, NAME_CONSTRAINTS_OID, &value)
            .and_then(|tbs| sign(&pki.intermediate, &tbs, &pki.root_key))
    } else {
        subtrees = FIXED_SUBTREES
            .iter()
            .map(|&(tag, permitted, name)| {
                (
                    permitted,
                    Name {
                        tag,
                        value: name.as_bytes(),
                    },
                )
            })
            .collect();
        Some(pki.intermediate.clone())
    };
    let leaf = if sans.is_empty() {
        sans = template_sans();
        Some(pki.leaf.clone())
    } else {
        let value = der(
            0x30,
            &sans.iter().map(general_name).collect::<Vec<_>>().concat(),
        );
        replace_extension(&pki.leaf, SAN_OID, &value)
            .and_then(|tbs| sign(&pki.leaf, &tbs, &pki.intermediate_key))
    };
    let (Some(intermediate), Some(leaf)) = (intermediate, leaf) else {
        return;
    };
    let purpose = match flags & FLAG_CLIENT {
        0 => Purpose::ServerAuth,
        _ => Purpose::ClientAuth,
    };
    let chain = [leaf, intermediate];
    let verified = verify_chain(&chain, &pki.anchors, purpose, NOW, &PathLimits::default());
    let passed = verified.result.is_ok();
    check(passed, &sans, &subtrees, own && subtrees.is_empty());
}

/// The oracle of [`name_constraints`]; `empty_constraints`: a
/// nameConstraints with no subtree at all (which RFC 5280 forbids).
fn check(passed: bool, sans: &[Name<'_>], subtrees: &[(bool, Name<'_>)], empty_constraints: bool) {
    let checked = |tag| tag == DNS || tag == RFC822;
    let of_tag = |tag, permitted| {
        subtrees
            .iter()
            .filter(move |(p, s)| s.tag == tag && *p == permitted)
            .map(|(_, s)| s.text().unwrap_or_default())
            .collect::<Vec<_>>()
    };
    let malformed_subtree = subtrees.iter().any(|(_, s)| match (s.tag, s.text()) {
        (DNS, Some(t)) => !is_dns_subtree(&t),
        (RFC822, Some(t)) => !is_mail_subtree(&t),
        (DNS | RFC822, None) => true,
        _ => false,
    });
    assert!(
        !(passed && malformed_subtree),
        "passed with a malformed subtree"
    );
    for san in sans.iter().filter(|n| checked(n.tag)) {
        let constrained = subtrees.iter().any(|(_, s)| s.tag == san.tag);
        let text = san.text().filter(|t| match san.tag {
            DNS => is_dns_id(t),
            _ => mailbox(t).is_some(),
        });
        let Some(text) = text else {
            assert!(
                !(passed && constrained),
                "passed with a malformed {:#x} SAN",
                san.tag
            );
            continue;
        };
        let (permitted, excluded) = (of_tag(san.tag, true), of_tag(san.tag, false));
        let inside = permitted.is_empty() || permitted.iter().any(|b| within(san.tag, &text, b));
        let out = excluded.iter().all(|b| !touches(san.tag, &text, b));
        if passed {
            assert!(inside, "{text} passed outside every permitted subtree");
            assert!(out, "{text} passed inside an excluded subtree");
        }
    }
    let plain = sans.iter().all(|n| checked(n.tag)) && subtrees.iter().all(|(_, s)| checked(s.tag));
    let all_good = plain
        && !malformed_subtree
        && !empty_constraints
        && sans.iter().all(|san| {
            let Some(text) = san.text() else { return false };
            let (permitted, excluded) = (of_tag(san.tag, true), of_tag(san.tag, false));
            let form = match san.tag {
                DNS => is_dns_name(&text),
                _ => mailbox(&text).is_some(),
            };
            form && (permitted.is_empty() || permitted.iter().any(|b| within(san.tag, &text, b)))
                && excluded.iter().all(|b| !touches(san.tag, &text, b))
        });
    assert!(
        passed || !all_good,
        "a leaf inside every constraint was refused"
    );
}

/// Whether the name `text` (of its type's form) lies inside the subtree
/// `base`: RFC 5280 §4.2.1.10 as name_constraints.rs reads it (hosts
/// ignoring case, a mailbox's local part exactly).
fn within(tag: u8, text: &str, base: &str) -> bool {
    if tag == RFC822 {
        let Some((local, host)) = mailbox(text) else {
            return false;
        };
        let host = host.to_ascii_lowercase();
        let base_lower = base.to_ascii_lowercase();
        return match (mailbox(base), base.strip_prefix('.')) {
            (Some((l, h)), _) => local == l && host == h.to_ascii_lowercase(),
            (None, Some(_)) => host.ends_with(&base_lower),
            (None, None) => host == base_lower,
        };
    }
    let (text, base) = (text.to_ascii_lowercase(), base.to_ascii_lowercase());
    let (text, base) = (text.as_str(), base.as_str());
    // A wildcard lies inside if the whole domain it covers does.
    let name = text.strip_prefix("*.").unwrap_or(text);
    match base.strip_prefix('.') {
        _ if base.is_empty() => true,
        Some(b) if name != text => name == b || name.ends_with(base),
        Some(_) => name.ends_with(base),
        None => name == base || name.ends_with(&format!(".{base}")),
    }
}

/// Whether some name that `text` stands for lies inside `base`: for a
/// wildcard, any one label in its place.
fn touches(tag: u8, text: &str, base: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let Some(domain) = lower.strip_prefix("*.").filter(|_| tag == DNS) else {
        return within(tag, text, base);
    };
    let base = base.to_ascii_lowercase();
    let b = base.strip_prefix('.').unwrap_or(&base);
    let one_label_below = b
        .split_once('.')
        .is_some_and(|(_, parent)| parent == domain);
    within(tag, text, &base) || (!base.starts_with('.') && one_label_below)
}

fn is_dns_name(name: &str) -> bool {
    let label = |l: &str| {
        (1..=63).contains(&l.len())
            && l.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    !name.is_empty() && name.len() <= 253 && name.split('.').all(label)
}

fn is_dns_id(name: &str) -> bool {
    is_dns_name(name.strip_prefix("*.").unwrap_or(name))
}

fn is_dns_subtree(base: &str) -> bool {
    base.is_empty() || is_dns_name(base.strip_prefix('.').unwrap_or(base))
}

/// A mailbox's local part and host, if `name` is one (dot-atoms `@` a DNS
/// name).
fn mailbox(name: &str) -> Option<(&str, &str)> {
    let (local, host) = name.split_once('@')?;
    let atext = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b);
    let atom = |a: &str| !a.is_empty() && a.bytes().all(atext);
    (local.split('.').all(atom) && is_dns_name(host)).then_some((local, host))
}

fn is_mail_subtree(base: &str) -> bool {
    if base.contains('@') {
        mailbox(base).is_some()
    } else {
        is_dns_name(base.strip_prefix('.').unwrap_or(base))
    }
}

/// `NameConstraints` (RFC 5280 §4.2.1.10) of the input's subtrees.
fn name_constraints_value(subtrees: &[(bool, Name<'_>)]) -> Vec<u8> {
    let mut value = Vec::new();
    for (tag, permitted) in [(0xa0, true), (0xa1, false)] {
        let trees: Vec<u8> = subtrees
            .iter()
            .filter(|(p, _)| *p == permitted)
            .flat_map(|(_, name)| der(0x30, &general_name(name)))
            .collect();
        if !trees.is_empty() {
            value.extend(der(tag, &trees));
        }
    }
    der(0x30, &value)
}

fn general_name(name: &Name<'_>) -> Vec<u8> {
    der(name.tag, name.value)
}

/// The SANs of test-data/constrained/leaf.der (openssl.cnf,
/// `constrained_leaf`).
fn template_sans() -> Vec<Name<'static>> {
    [
        (DNS, "www.example.com"),
        (DNS, "*.example.org"),
        (RFC822, "alice@example.com"),
        (RFC822, "bob@mail.example.net"),
    ]
    .into_iter()
    .map(|(tag, name)| Name {
        tag,
        value: name.as_bytes(),
    })
    .collect()
}

/// A DER TLV.
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let len = content.len();
    let mut out = vec![tag];
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// The TLVs in `data`, whole (header included), or `None` if it is not
/// a sequence of them. Only for our own templates: short and long forms.
fn children(mut data: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let first = *data.get(1)?;
        let (header, len) = if first < 0x80 {
            (2, usize::from(first))
        } else {
            let n = usize::from(first & 0x7f);
            let len = data
                .get(2..2 + n)?
                .iter()
                .fold(0, |l, &b| l << 8 | usize::from(b));
            (2 + n, len)
        };
        let whole = data.get(..header + len)?;
        out.push(whole);
        data = &data[whole.len()..];
    }
    Some(out)
}

/// The contents of a TLV.
fn content(tlv: &[u8]) -> &[u8] {
    let header = if tlv[1] < 0x80 {
        2
    } else {
        2 + usize::from(tlv[1] & 0x7f)
    };
    &tlv[header..]
}

/// The TBSCertificate of `cert` with the extension `oid` given `value`
/// (its criticality kept).
fn replace_extension(cert: &[u8], oid: &[u8], value: &[u8]) -> Option<Vec<u8>> {
    let parts = children(content(children(cert)?.first()?))?;
    let tbs = children(content(parts.first()?))?;
    let (extensions, fields) = tbs.split_last()?;
    let mut new_extensions = Vec::new();
    for extension in children(content(children(content(extensions))?.first()?))? {
        let parts = children(content(extension))?;
        if parts.first() == Some(&oid) {
            let (_, kept) = parts.split_last()?;
            let body = [kept.concat(), der(0x04, value)].concat();
            new_extensions.extend(der(0x30, &body));
        } else {
            new_extensions.extend_from_slice(extension);
        }
    }
    let extensions = der(0xa3, &der(0x30, &new_extensions));
    Some(der(0x30, &[fields.concat(), extensions].concat()))
}

/// `cert` (for its signatureAlgorithm, ecdsa-with-SHA256) made again of
/// `tbs`, signed by `key`.
fn sign(cert: &[u8], tbs: &[u8], key: &EcdsaKeyPair) -> Option<Vec<u8>> {
    let parts = children(content(children(cert)?.first()?))?;
    let algorithm = parts.get(1)?;
    let signature = key.sign(&pki().rng, tbs).ok()?;
    let bits = der(0x03, &[&[0][..], signature.as_ref()].concat());
    Some(der(0x30, &[tbs, algorithm, &bits].concat()))
}
