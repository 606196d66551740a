//! Hello extensions (RFC 5246 §7.4.1.4) and the ones we implement.
//!
//! ```text
//! struct {
//!     ExtensionType extension_type;
//!     opaque extension_data<0..2^16-1>;
//! } Extension;
//! ```
//!
//! | type | name | defined in |
//! |---|---|---|
//! | 0 | server_name | RFC 6066 §3 |
//! | 10 | supported_groups (elliptic_curves) | RFC 8422 §5.1.1 |
//! | 11 | ec_point_formats | RFC 8422 §5.1.2 |
//! | 13 | signature_algorithms | RFC 5246 §7.4.1.4.1 |
//! | 16 | application_layer_protocol_negotiation | RFC 7301 §3.1 |
//! | 23 | extended_master_secret | RFC 7627 §5.1 |
//! | 35 | session_ticket (SessionTicket TLS) | RFC 5077 §3.2 |
//! | 0xff01 | renegotiation_info | RFC 5746 §3.2 |
//!
//! Each hello's extensions decode into one struct with a field per extension
//! we know. Unknown extensions are skipped (`for_each_extension`) but their
//! types are kept, so a trace can show them. A repeated type is refused (§7.4.1.4: "There MUST NOT be more than
//! one extension of the same type").

use record_layer::codec::{put_opaque, put_vector, Codec, DecodeError, Reader};

use crate::kx::NamedGroup;
use crate::sign::SignatureScheme;

/// `ExtensionType` values (see the table in the module docs).
pub mod extension_type {
    /// `server_name(0)`, RFC 6066 §3.
    pub const SERVER_NAME: u16 = 0;
    /// `supported_groups(10)`, RFC 8422 §5.1.1.
    pub const SUPPORTED_GROUPS: u16 = 10;
    /// `ec_point_formats(11)`, RFC 8422 §5.1.2.
    pub const EC_POINT_FORMATS: u16 = 11;
    /// `signature_algorithms(13)`, RFC 5246 §7.4.1.4.1.
    pub const SIGNATURE_ALGORITHMS: u16 = 13;
    /// `application_layer_protocol_negotiation(16)`, RFC 7301 §3.1.
    pub const ALPN: u16 = 16;
    /// `extended_master_secret(23)`, RFC 7627 §5.1.
    pub const EXTENDED_MASTER_SECRET: u16 = 23;
    /// `SessionTicket TLS(35)`, RFC 5077 §3.2.
    pub const SESSION_TICKET: u16 = 35;
    /// `renegotiation_info(0xff01)`, RFC 5746 §3.2.
    pub const RENEGOTIATION_INFO: u16 = 0xff01;
}
use extension_type as ext;

/// `ECPointFormat uncompressed(0)` (RFC 8422 §5.1.2), the only format TLS
/// 1.2 peers must support and the only one we use.
pub const EC_POINT_FORMAT_UNCOMPRESSED: u8 = 0;

/// The extensions of a ClientHello that we understand.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientExtensions {
    /// `server_name`: the `host_name` entry of the ServerNameList (RFC 6066 §3).
    pub server_name: Option<String>,
    /// `supported_groups`: `NamedCurve named_curve_list<2..2^16-1>`.
    pub supported_groups: Option<Vec<NamedGroup>>,
    /// `ec_point_formats`: `ECPointFormat ec_point_format_list<1..2^8-1>`.
    pub ec_point_formats: Option<Vec<u8>>,
    /// `signature_algorithms`:
    /// `SignatureAndHashAlgorithm supported_signature_algorithms<2..2^16-2>`.
    pub signature_algorithms: Option<Vec<SignatureScheme>>,
    /// ALPN: `ProtocolName protocol_name_list<2..2^16-1>` (RFC 7301 §3.1).
    pub alpn: Option<Vec<Vec<u8>>>,
    /// `extended_master_secret`, always empty (RFC 7627 §5.1).
    pub extended_master_secret: bool,
    /// `SessionTicket`: empty to ask for a ticket, or a ticket to resume
    /// (RFC 5077 §3.2).
    pub session_ticket: Option<Vec<u8>>,
    /// `renegotiation_info`: `opaque renegotiated_connection<0..255>`, empty
    /// on an initial handshake, the previous client verify_data on a
    /// renegotiation (RFC 5746 §3.2).
    pub renegotiation_info: Option<Vec<u8>>,
    /// Types of extensions we skipped, in the order received.
    pub unknown: Vec<u16>,
}

/// The extensions of a ServerHello that we understand.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerExtensions {
    /// An empty `server_name`: the server used the client's name (RFC 6066 §3).
    pub server_name_ack: bool,
    /// `ec_point_formats` (RFC 8422 §5.2).
    pub ec_point_formats: Option<Vec<u8>>,
    /// ALPN: exactly one selected protocol (RFC 7301 §3.1).
    pub alpn: Option<Vec<u8>>,
    /// `extended_master_secret` (RFC 7627 §5.2).
    pub extended_master_secret: bool,
    /// An empty `SessionTicket`: the server will send NewSessionTicket
    /// (RFC 5077 §3.2).
    pub session_ticket_ack: bool,
    /// `renegotiation_info`: empty on an initial handshake, client
    /// verify_data ‖ server verify_data on a renegotiation (RFC 5746 §3.2).
    pub renegotiation_info: Option<Vec<u8>>,
    /// Types of extensions we skipped, in the order received.
    pub unknown: Vec<u16>,
}

/// Reads `Extension extensions<0..2^16-1>` and hands each (type, data) to
/// `each`, refusing a repeated type. Hellos may omit the extensions block
/// entirely (§7.4.1.2, §7.4.1.3), which reads as no extensions.
fn for_each_extension(
    r: &mut Reader<'_>,
    mut each: impl FnMut(u16, &mut Reader<'_>) -> Result<bool, DecodeError>,
) -> Result<Vec<u16>, DecodeError> {
    let mut unknown = Vec::new();
    if r.is_empty() {
        return Ok(unknown);
    }
    let mut list = r.vector(0, 0xffff, "extensions")?;
    let mut seen = SeenTypes::default();
    while !list.is_empty() {
        let typ = list.u16("Extension.extension_type")?;
        if !seen.insert(typ) {
            return Err(DecodeError::Duplicate { what: "Extension" });
        }
        let mut data = list.vector(0, 0xffff, "Extension.extension_data")?;
        if each(typ, &mut data)? {
            data.expect_empty("Extension.extension_data")?;
        } else {
            // A type we do not know is ignored: §7.4.1.4.1, "the rules
            // specified in [TLSEXT] require servers to ignore extensions
            // they do not understand". (A client refuses those it did not
            // ask for: `check_server_extensions` in client.rs.)
            unknown.push(typ);
        }
    }
    Ok(unknown)
}

/// The extension types seen so far. A list searched for each new type
/// made a 64 KiB block of 16383 empty extensions cost over 10^8
/// comparisons, the CPU of about twenty handshakes; so past the first
/// [`FEW_TYPES`] (a real hello has about a dozen) they are one bit for
/// each of the 2^16, and the check costs the same for every extension.
/// The 8 KiB of bits are not made for every hello: zeroing them twice was
/// a measurable part of a resumption.
enum SeenTypes {
    Few { types: [u16; FEW_TYPES], len: usize },
    Many(Vec<u64>),
}

/// How many types [`SeenTypes`] compares one by one.
const FEW_TYPES: usize = 16;

impl Default for SeenTypes {
    fn default() -> Self {
        Self::Few {
            types: [0; FEW_TYPES],
            len: 0,
        }
    }
}

impl SeenTypes {
    /// Marks `typ` as seen; false if it already was.
    fn insert(&mut self, typ: u16) -> bool {
        match self {
            Self::Few { types, len } => {
                if types[..*len].contains(&typ) {
                    return false;
                }
                if *len < FEW_TYPES {
                    types[*len] = typ;
                    *len += 1;
                    return true;
                }
                let mut bits = vec![0; (1 << 16) / 64];
                for &seen in types.iter() {
                    set_bit(&mut bits, seen);
                }
                set_bit(&mut bits, typ);
                *self = Self::Many(bits);
                true
            }
            Self::Many(bits) => set_bit(bits, typ),
        }
    }
}

/// Sets `typ`'s bit; false if it was set already.
fn set_bit(bits: &mut [u64], typ: u16) -> bool {
    let (word, bit) = (usize::from(typ / 64), 1u64 << (typ % 64));
    let fresh = bits[word] & bit == 0;
    bits[word] |= bit;
    fresh
}

/// Appends one extension, its body written by `body`.
fn put_extension(out: &mut Vec<u8>, typ: u16, body: impl FnOnce(&mut Vec<u8>)) {
    out.extend_from_slice(&typ.to_be_bytes());
    put_vector(out, 0xffff, body);
}

/// `ProtocolName protocol_name_list<2..2^16-1>; opaque ProtocolName<1..2^8-1>`.
fn decode_alpn_list(r: &mut Reader<'_>) -> Result<Vec<Vec<u8>>, DecodeError> {
    r.vector(2, 0xffff, "ProtocolNameList")?
        .items(|r| Ok(r.opaque(1, 0xff, "ProtocolName")?.to_vec()))
}

fn put_alpn_list(out: &mut Vec<u8>, names: &[Vec<u8>]) {
    put_vector(out, 0xffff, |out| {
        for name in names {
            put_opaque(out, 0xff, name);
        }
    });
}

/// `ECPointFormat ec_point_format_list<1..2^8-1>`.
fn decode_point_formats(r: &mut Reader<'_>) -> Result<Vec<u8>, DecodeError> {
    Ok(r.opaque(1, 0xff, "ECPointFormatList")?.to_vec())
}

/// The `host_name` in a ServerNameList (RFC 6066 §3). The RFC allows one
/// name per type; we take the host_name and skip other (unknown) types.
fn decode_server_name(r: &mut Reader<'_>) -> Result<String, DecodeError> {
    let mut list = r.vector(1, 0xffff, "ServerNameList")?;
    let mut host = None;
    while !list.is_empty() {
        let name_type = list.u8("ServerName.name_type")?;
        let name = list.opaque(1, 0xffff, "HostName")?;
        if name_type == 0 {
            if host.is_some() {
                // RFC 6066 §3: "The ServerNameList MUST NOT contain more
                // than one name of the same name_type."
                return Err(DecodeError::Duplicate { what: "HostName" });
            }
            if !is_dns_host_name(name) {
                return Err(DecodeError::Illegal {
                    what: "HostName is not a DNS host name (RFC 6066 §3)",
                });
            }
            host = Some(String::from_utf8_lossy(name).to_ascii_lowercase());
        }
    }
    host.ok_or(DecodeError::InvalidValue {
        what: "ServerNameList without host_name",
    })
}

/// RFC 6066 §3: "HostName" contains the fully qualified DNS hostname of
/// the server ... represented as a byte string using ASCII encoding
/// without a trailing dot". A DNS host name (RFC 1123 §2.1, RFC 952) is
/// labels of letters, digits and hyphens, neither first nor last a hyphen,
/// 1 to 63 bytes each, joined by dots, 253 bytes at most. Anything else
/// (NUL, control or escape bytes, spaces, non-ASCII, an empty label, a
/// trailing dot) cannot name a host, and is refused before it reaches a
/// session, a log line or a terminal.
pub fn is_dns_host_name(name: &[u8]) -> bool {
    let label_ok = |label: &[u8]| {
        (1..=63).contains(&label.len())
            && label
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
            && label.first() != Some(&b'-')
            && label.last() != Some(&b'-')
    };
    (1..=253).contains(&name.len()) && name.split(|b| *b == b'.').all(label_ok)
}

impl ClientExtensions {
    /// Reads the optional extensions block that ends a ClientHello.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut e = Self::default();
        e.unknown = for_each_extension(r, |typ, data| {
            match typ {
                ext::SERVER_NAME => e.server_name = Some(decode_server_name(data)?),
                ext::SUPPORTED_GROUPS => {
                    e.supported_groups = Some(
                        data.vector(2, 0xffff, "NamedCurveList")?
                            .items(|r| NamedGroup::decode(r))?,
                    )
                }
                ext::EC_POINT_FORMATS => e.ec_point_formats = Some(decode_point_formats(data)?),
                ext::SIGNATURE_ALGORITHMS => {
                    let mut list = data.vector(2, 0xfffe, "supported_signature_algorithms")?;
                    if list.remaining() % 2 != 0 {
                        return Err(DecodeError::LengthNotMultiple {
                            what: "supported_signature_algorithms",
                            len: list.remaining(),
                            of: 2,
                        });
                    }
                    e.signature_algorithms = Some(list.items(|r| SignatureScheme::decode(r))?);
                }
                ext::ALPN => e.alpn = Some(decode_alpn_list(data)?),
                ext::EXTENDED_MASTER_SECRET => e.extended_master_secret = true,
                ext::SESSION_TICKET => e.session_ticket = Some(data.rest().to_vec()),
                ext::RENEGOTIATION_INFO => {
                    e.renegotiation_info =
                        Some(data.opaque(0, 0xff, "renegotiated_connection")?.to_vec())
                }
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        Ok(e)
    }

    /// Appends the extensions block (omitted when there is nothing to send).
    pub fn encode(&self, out: &mut Vec<u8>) {
        // Written in place, the length filled in after; an empty block
        // is taken back out.
        let start = out.len();
        put_vector(out, 0xffff, |body| {
            if let Some(name) = &self.server_name {
                put_extension(body, ext::SERVER_NAME, |out| {
                    put_vector(out, 0xffff, |out| {
                        out.push(0); // host_name
                        put_opaque(out, 0xffff, name.as_bytes());
                    })
                });
            }
            if let Some(groups) = &self.supported_groups {
                put_extension(body, ext::SUPPORTED_GROUPS, |out| {
                    put_vector(out, 0xffff, |out| groups.iter().for_each(|g| g.encode(out)))
                });
            }
            if let Some(formats) = &self.ec_point_formats {
                put_extension(body, ext::EC_POINT_FORMATS, |out| {
                    put_opaque(out, 0xff, formats)
                });
            }
            if let Some(schemes) = &self.signature_algorithms {
                put_extension(body, ext::SIGNATURE_ALGORITHMS, |out| {
                    put_vector(out, 0xfffe, |out| {
                        schemes.iter().for_each(|s| s.encode(out))
                    })
                });
            }
            if let Some(names) = &self.alpn {
                put_extension(body, ext::ALPN, |out| put_alpn_list(out, names));
            }
            if self.extended_master_secret {
                put_extension(body, ext::EXTENDED_MASTER_SECRET, |_| {});
            }
            if let Some(ticket) = &self.session_ticket {
                put_extension(body, ext::SESSION_TICKET, |out| {
                    out.extend_from_slice(ticket)
                });
            }
            if let Some(info) = &self.renegotiation_info {
                put_extension(body, ext::RENEGOTIATION_INFO, |out| {
                    put_opaque(out, 0xff, info)
                });
            }
        });
        if out.len() == start + 2 {
            out.truncate(start);
        }
    }
}

impl ServerExtensions {
    /// Reads the optional extensions block that ends a ServerHello.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut e = Self::default();
        e.unknown = for_each_extension(r, |typ, data| {
            match typ {
                // RFC 6066 §3: the server's "extension_data" field "SHALL be empty".
                ext::SERVER_NAME => e.server_name_ack = true,
                ext::EC_POINT_FORMATS => e.ec_point_formats = Some(decode_point_formats(data)?),
                ext::ALPN => {
                    // RFC 7301 §3.1: the list "MUST contain exactly one ProtocolName".
                    let mut names = decode_alpn_list(data)?;
                    if names.len() != 1 {
                        return Err(DecodeError::InvalidValue {
                            what: "ALPN: server selected more than one protocol",
                        });
                    }
                    e.alpn = names.pop();
                }
                ext::EXTENDED_MASTER_SECRET => e.extended_master_secret = true,
                ext::SESSION_TICKET => e.session_ticket_ack = true,
                ext::RENEGOTIATION_INFO => {
                    e.renegotiation_info =
                        Some(data.opaque(0, 0xff, "renegotiated_connection")?.to_vec())
                }
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        Ok(e)
    }

    /// Appends the extensions block (omitted when there is nothing to send).
    pub fn encode(&self, out: &mut Vec<u8>) {
        // Written in place, the length filled in after; an empty block
        // is taken back out.
        let start = out.len();
        put_vector(out, 0xffff, |body| {
            if self.server_name_ack {
                put_extension(body, ext::SERVER_NAME, |_| {});
            }
            if let Some(formats) = &self.ec_point_formats {
                put_extension(body, ext::EC_POINT_FORMATS, |out| {
                    put_opaque(out, 0xff, formats)
                });
            }
            if let Some(name) = &self.alpn {
                put_extension(body, ext::ALPN, |out| {
                    put_alpn_list(out, core::slice::from_ref(name))
                });
            }
            if self.extended_master_secret {
                put_extension(body, ext::EXTENDED_MASTER_SECRET, |_| {});
            }
            if self.session_ticket_ack {
                put_extension(body, ext::SESSION_TICKET, |_| {});
            }
            if let Some(info) = &self.renegotiation_info {
                put_extension(body, ext::RENEGOTIATION_INFO, |out| {
                    put_opaque(out, 0xff, info)
                });
            }
        });
        if out.len() == start + 2 {
            out.truncate(start);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client_round_trip(e: &ClientExtensions) -> ClientExtensions {
        let mut out = Vec::new();
        e.encode(&mut out);
        let mut r = Reader::new(&out);
        let back = ClientExtensions::decode(&mut r).unwrap();
        r.expect_empty("test").unwrap();
        back
    }

    #[test]
    fn client_extensions_round_trip() {
        let e = ClientExtensions {
            server_name: Some("example.com".into()),
            supported_groups: Some(NamedGroup::SUPPORTED.to_vec()),
            ec_point_formats: Some(vec![EC_POINT_FORMAT_UNCOMPRESSED]),
            signature_algorithms: Some(vec![SignatureScheme::EcdsaSecp256r1Sha256]),
            alpn: Some(vec![b"h2".to_vec(), b"http/1.1".to_vec()]),
            extended_master_secret: true,
            session_ticket: Some(vec![]),
            renegotiation_info: Some(vec![]),
            unknown: vec![],
        };
        assert_eq!(client_round_trip(&e), e);
        assert_eq!(
            client_round_trip(&ClientExtensions::default()),
            Default::default()
        );
    }

    #[test]
    fn duplicate_extension_is_refused() {
        // extensions<..> holding extended_master_secret twice.
        let bytes = [0, 8, 0, 23, 0, 0, 0, 23, 0, 0];
        assert_eq!(
            ClientExtensions::decode(&mut Reader::new(&bytes)),
            Err(DecodeError::Duplicate { what: "Extension" })
        );
    }

    /// Duplicates are found among the first few types, which are compared
    /// one by one, and after the switch to one bit per type, whichever
    /// side of it the first copy came.
    #[test]
    fn duplicates_are_found_before_and_after_the_first_few() {
        let block = |types: &[u16]| {
            let mut body = Vec::new();
            for t in types {
                body.extend_from_slice(&t.to_be_bytes());
                body.extend_from_slice(&[0, 0]);
            }
            let mut bytes = u16::try_from(body.len()).unwrap().to_be_bytes().to_vec();
            bytes.extend_from_slice(&body);
            ClientExtensions::decode(&mut Reader::new(&bytes))
        };
        let distinct: Vec<u16> = (1000..1000 + 3 * FEW_TYPES as u16).collect();
        assert_eq!(block(&distinct).unwrap().unknown, distinct);
        for (first, again) in [
            (0, 3),
            (2, FEW_TYPES),
            (0, FEW_TYPES + 5),
            (FEW_TYPES + 1, 40),
        ] {
            let mut types = distinct.clone();
            types[again] = types[first];
            assert_eq!(
                block(&types),
                Err(DecodeError::Duplicate { what: "Extension" }),
                "type at {first} again at {again}"
            );
        }
    }

    #[test]
    fn host_names_are_ldh_labels_joined_by_dots() {
        for good in [
            "localhost",
            "a.b-c.example",
            "xn--bcher-kva.example",
            "0.example",
            "A1",
        ] {
            assert!(is_dns_host_name(good.as_bytes()), "{good}");
        }
        let long_label = "a".repeat(64);
        let long_name = ["a".repeat(63).as_str(); 5].join(".");
        for bad in [
            "",
            "example.com.",
            ".example.com",
            "a..b",
            "-a.example",
            "a-.example",
            "a_b.example",
            "a b",
            "a\0b",
            "evil\x1b[31m.example",
            "caf\u{e9}.example",
            long_label.as_str(),
            long_name.as_str(),
        ] {
            assert!(!is_dns_host_name(bad.as_bytes()), "{bad:?}");
        }
    }

    #[test]
    fn every_extension_type_is_seen_once() {
        let mut seen = SeenTypes::default();
        assert!((0..=u16::MAX).all(|t| seen.insert(t)));
        assert!((0..=u16::MAX).all(|t| !seen.insert(t)));
    }

    #[test]
    fn a_type_repeated_after_16382_others_is_refused() {
        let mut list = Vec::new();
        for typ in (0x1000u16..).take(16382).chain([0x1000]) {
            list.extend_from_slice(&typ.to_be_bytes());
            list.extend_from_slice(&[0, 0]);
        }
        assert_eq!(
            ClientExtensions::decode(&mut Reader::new(&block_of(&list))),
            Err(DecodeError::Duplicate { what: "Extension" })
        );
        list.truncate(list.len() - 4);
        let e = ClientExtensions::decode(&mut Reader::new(&block_of(&list))).unwrap();
        assert_eq!(e.unknown.len(), 16382);
    }

    fn block_of(list: &[u8]) -> Vec<u8> {
        let mut block = Vec::new();
        put_opaque(&mut block, 0xffff, list);
        block
    }

    #[test]
    fn unknown_extensions_are_skipped_and_listed() {
        let bytes = [0, 9, 0xaa, 0xaa, 0, 1, 7, 0, 23, 0, 0];
        let e = ClientExtensions::decode(&mut Reader::new(&bytes)).unwrap();
        assert!(e.extended_master_secret);
        assert_eq!(e.unknown, vec![0xaaaa]);
    }

    #[test]
    fn known_extension_with_trailing_bytes_is_refused() {
        // extended_master_secret must be empty.
        let bytes = [0, 5, 0, 23, 0, 1, 0];
        assert_eq!(
            ClientExtensions::decode(&mut Reader::new(&bytes)),
            Err(DecodeError::TrailingBytes {
                what: "Extension.extension_data"
            })
        );
    }

    #[test]
    fn server_alpn_must_name_one_protocol() {
        let mut out = Vec::new();
        put_extension(&mut out, ext::ALPN, |out| {
            put_alpn_list(out, &[b"a".to_vec(), b"b".to_vec()])
        });
        let mut block = Vec::new();
        put_opaque(&mut block, 0xffff, &out);
        assert!(ServerExtensions::decode(&mut Reader::new(&block)).is_err());
    }
}
