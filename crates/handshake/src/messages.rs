//! Handshake messages (RFC 5246 §7.4, RFC 8422 §5, RFC 5077 §3.3).
//!
//! ```text
//! enum {
//!     hello_request(0), client_hello(1), server_hello(2),
//!     new_session_ticket(4),                       /* RFC 5077 */
//!     certificate(11), server_key_exchange (12),
//!     certificate_request(13), server_hello_done(14),
//!     certificate_verify(15), client_key_exchange(16),
//!     finished(20), (255)
//! } HandshakeType;
//!
//! struct {
//!     HandshakeType msg_type;    /* handshake type */
//!     uint24 length;             /* bytes in message */
//!     select (HandshakeType) { ... } body;
//! } Handshake;
//! ```
//!
//! Every decoded [`HandshakeMessage`] keeps the exact bytes it came from,
//! header included, because the transcript hash (§7.4.9
//! `handshake_messages`) is over the bytes as sent, not as we would
//! re-encode them.
//!
//! Only ECDHE key exchange is implemented, so ServerKeyExchange and
//! ClientKeyExchange are decoded as their ECDHE forms (RFC 8422 §5.4, §5.7).

use core::cell::RefCell;

use record_layer::codec::{put_opaque, put_vector, Codec, DecodeError, FieldSpan, Reader};
use record_layer::record::ProtocolVersion;
use record_layer::Error as RecordError;
use session_store::SessionId;

use crate::extensions::{ClientExtensions, ServerExtensions};
use crate::kx::NamedGroup;
use crate::sign::SignatureScheme;

/// `HandshakeType` (RFC 5246 §7.4; `new_session_ticket` from RFC 5077 §3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandshakeType {
    /// `hello_request(0)`, §7.4.1.1.
    HelloRequest,
    /// `client_hello(1)`, §7.4.1.2.
    ClientHello,
    /// `server_hello(2)`, §7.4.1.3.
    ServerHello,
    /// `new_session_ticket(4)`, RFC 5077 §3.3.
    NewSessionTicket,
    /// `certificate(11)`, §7.4.2 and §7.4.6.
    Certificate,
    /// `server_key_exchange(12)`, §7.4.3.
    ServerKeyExchange,
    /// `certificate_request(13)`, §7.4.4.
    CertificateRequest,
    /// `server_hello_done(14)`, §7.4.5.
    ServerHelloDone,
    /// `certificate_verify(15)`, §7.4.8.
    CertificateVerify,
    /// `client_key_exchange(16)`, §7.4.7.
    ClientKeyExchange,
    /// `finished(20)`, §7.4.9.
    Finished,
}

impl HandshakeType {
    /// Every type, in the order of their wire values.
    pub const ALL: [HandshakeType; 11] = [
        Self::HelloRequest,
        Self::ClientHello,
        Self::ServerHello,
        Self::NewSessionTicket,
        Self::Certificate,
        Self::ServerKeyExchange,
        Self::CertificateRequest,
        Self::ServerHelloDone,
        Self::CertificateVerify,
        Self::ClientKeyExchange,
        Self::Finished,
    ];

    /// The wire value.
    pub fn value(self) -> u8 {
        match self {
            Self::HelloRequest => 0,
            Self::ClientHello => 1,
            Self::ServerHello => 2,
            Self::NewSessionTicket => 4,
            Self::Certificate => 11,
            Self::ServerKeyExchange => 12,
            Self::CertificateRequest => 13,
            Self::ServerHelloDone => 14,
            Self::CertificateVerify => 15,
            Self::ClientKeyExchange => 16,
            Self::Finished => 20,
        }
    }

    /// The type for a wire value, `None` for one we do not know.
    pub fn from_value(v: u8) -> Option<Self> {
        Some(match v {
            0 => Self::HelloRequest,
            1 => Self::ClientHello,
            2 => Self::ServerHello,
            4 => Self::NewSessionTicket,
            11 => Self::Certificate,
            12 => Self::ServerKeyExchange,
            13 => Self::CertificateRequest,
            14 => Self::ServerHelloDone,
            15 => Self::CertificateVerify,
            16 => Self::ClientKeyExchange,
            20 => Self::Finished,
            _ => return None,
        })
    }

    /// The RFC's name for the message, e.g. `ClientHello`.
    pub fn name(self) -> &'static str {
        match self {
            Self::HelloRequest => "HelloRequest",
            Self::ClientHello => "ClientHello",
            Self::ServerHello => "ServerHello",
            Self::NewSessionTicket => "NewSessionTicket",
            Self::Certificate => "Certificate",
            Self::ServerKeyExchange => "ServerKeyExchange",
            Self::CertificateRequest => "CertificateRequest",
            Self::ServerHelloDone => "ServerHelloDone",
            Self::CertificateVerify => "CertificateVerify",
            Self::ClientKeyExchange => "ClientKeyExchange",
            Self::Finished => "Finished",
        }
    }

    /// The RFC section that defines the message.
    pub fn rfc_section(self) -> &'static str {
        match self {
            Self::HelloRequest => "RFC 5246 §7.4.1.1",
            Self::ClientHello => "RFC 5246 §7.4.1.2",
            Self::ServerHello => "RFC 5246 §7.4.1.3",
            Self::NewSessionTicket => "RFC 5077 §3.3",
            Self::Certificate => "RFC 5246 §7.4.2",
            Self::ServerKeyExchange => "RFC 5246 §7.4.3",
            Self::CertificateRequest => "RFC 5246 §7.4.4",
            Self::ServerHelloDone => "RFC 5246 §7.4.5",
            Self::CertificateVerify => "RFC 5246 §7.4.8",
            Self::ClientKeyExchange => "RFC 5246 §7.4.7",
            Self::Finished => "RFC 5246 §7.4.9",
        }
    }
}

impl HandshakeType {
    /// The longest body the RFC's own vector bounds allow, for every
    /// message but Certificate, whose `certificate_list<0..2^24-1>` only
    /// configuration can bound ([`MessageLimits`]). Each sum follows the
    /// message's `struct` below, a vector counting its length prefix:
    ///
    /// | message | bound |
    /// |---|---|
    /// | ClientHello | 2 + 32 + (1 + 32) + (2 + 2^16-2) + (1 + 2^8-1) + (2 + 2^16-1) = 131396 |
    /// | ServerHello | 2 + 32 + (1 + 32) + 2 + 1 + (2 + 2^16-1) = 65607 |
    /// | NewSessionTicket | 4 + (2 + 2^16-1) = 65541 |
    /// | ServerKeyExchange (ECDHE) | 1 + 2 + (1 + 2^8-1) + 2 + (2 + 2^16-1) = 65798 |
    /// | CertificateRequest | (1 + 2^8-1) + (2 + 2^16-1) + (2 + 2^16-1) = 131330 |
    /// | CertificateVerify | 2 + (2 + 2^16-1) = 65539 |
    /// | ClientKeyExchange (ECDHE) | 1 + 2^8-1 = 256 |
    /// | Finished | 12 (`verify_data_length` of every suite we have) |
    /// | HelloRequest, ServerHelloDone | 0 |
    pub fn max_body_len(self) -> Option<usize> {
        const U8: usize = 1 + 0xff;
        const U16: usize = 2 + 0xffff;
        Some(match self {
            Self::HelloRequest | Self::ServerHelloDone => 0,
            Self::ClientHello => 2 + 32 + 33 + (2 + 0xfffe) + U8 + U16,
            Self::ServerHello => 2 + 32 + 33 + 2 + 1 + U16,
            Self::NewSessionTicket => 4 + U16,
            Self::ServerKeyExchange => 1 + 2 + U8 + 2 + U16,
            Self::CertificateRequest => U8 + U16 + U16,
            Self::CertificateVerify => 2 + U16,
            Self::ClientKeyExchange => U8,
            Self::Finished => 12,
            Self::Certificate => return None,
        })
    }
}

/// How long a peer's handshake message may be, by type (RFC 5246 §7.4:
/// `uint24 length`, up to 2^24-1, far more than any peer should make us
/// buffer). Checked on the message's header, before its body is buffered.
///
/// - ClientHello and ServerHello: their RFC bound
///   ([`HandshakeType::max_body_len`]), always: a legal hello must be
///   accepted (OpenSSL too accepts a ClientHello of 131396 bytes).
/// - Certificate: `max_certificate_list` bytes of `certificate_list`.
/// - Every other message: its RFC bound, or `max_other` if that is less.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageLimits {
    /// The most bytes of `certificate_list` in a peer's Certificate: the
    /// chain limit in bytes (its length in certificates is checked when it
    /// is verified). Default 100 KiB, OpenSSL's `max_cert_list`.
    pub max_certificate_list: usize,
    /// The cap on every message but the hellos and Certificate. Default
    /// 64 KiB, the limit Go's crypto/tls and rustls put on every message;
    /// only a CertificateRequest with a long `certificate_authorities`
    /// list, or a ServerKeyExchange or CertificateVerify with an oversized
    /// signature, comes near it.
    pub max_other: usize,
}

impl Default for MessageLimits {
    fn default() -> Self {
        Self {
            max_certificate_list: 100 * 1024,
            max_other: 1 << 16,
        }
    }
}

impl MessageLimits {
    /// The most body bytes a message of type `t` may announce.
    pub fn max_body_len(&self, t: HandshakeType) -> usize {
        match (t, t.max_body_len()) {
            // `certificate_list`'s own three-byte length prefix, then the list.
            (HandshakeType::Certificate, _) | (_, None) => 3 + self.max_certificate_list,
            (HandshakeType::ClientHello | HandshakeType::ServerHello, Some(bound)) => bound,
            (_, Some(bound)) => bound.min(self.max_other),
        }
    }

    /// The largest of the per-type limits: what the record layer's joiner
    /// may have to hold.
    pub fn ceiling(&self) -> usize {
        HandshakeType::ALL
            .into_iter()
            .map(|t| self.max_body_len(t))
            .max()
            .unwrap_or(0)
    }
}

/// `Random` (§7.4.1.2): 32 bytes, fresh for every hello. Since RFC 5246 the
/// first four need not be a time; we make all 32 random.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Random(pub [u8; 32]);

impl Codec for Random {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self(r.array("Random")?))
    }
}

fn decode_version(r: &mut Reader<'_>, what: &'static str) -> Result<ProtocolVersion, DecodeError> {
    Ok(ProtocolVersion(r.u16(what)?))
}

/// `CompressionMethod null(0)` (§7.4.1.2), the only one TLS 1.2 peers use.
pub const COMPRESSION_NULL: u8 = 0;

/// `TLS_EMPTY_RENEGOTIATION_INFO_SCSV` (RFC 5746 §3.3): a cipher suite
/// value that means "I support secure renegotiation".
pub const TLS_EMPTY_RENEGOTIATION_INFO_SCSV: u16 = 0x00ff;

/// ClientHello (§7.4.1.2).
///
/// ```text
/// struct {
///     ProtocolVersion client_version;
///     Random random;
///     SessionID session_id;
///     CipherSuite cipher_suites<2..2^16-2>;
///     CompressionMethod compression_methods<1..2^8-1>;
///     select (extensions_present) {
///         case false: struct {};
///         case true:  Extension extensions<0..2^16-1>;
///     };
/// } ClientHello;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientHello {
    /// `client_version`: the highest version the client supports.
    pub client_version: ProtocolVersion,
    /// `random`.
    pub random: Random,
    /// `session_id`: a session to resume, or empty.
    pub session_id: SessionId,
    /// `cipher_suites`, as raw values: the client may offer suites we do
    /// not know, and the SCSV.
    pub cipher_suites: Vec<u16>,
    /// `compression_methods`: must include null (§7.4.1.2).
    pub compression_methods: Vec<u8>,
    /// `extensions`.
    pub extensions: ClientExtensions,
}

impl Codec for ClientHello {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.client_version.to_bytes());
        self.random.encode(out);
        self.session_id.encode(out);
        put_vector(out, 0xfffe, |out| {
            for suite in &self.cipher_suites {
                out.extend_from_slice(&suite.to_be_bytes());
            }
        });
        put_opaque(out, 0xff, &self.compression_methods);
        self.extensions.encode(out);
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let client_version = decode_version(r, "ClientHello.client_version")?;
        let random = Random::decode(r)?;
        let session_id = SessionId::decode(r)?;
        let mut suites = r.vector(2, 0xfffe, "ClientHello.cipher_suites")?;
        if suites.remaining() % 2 != 0 {
            return Err(DecodeError::LengthNotMultiple {
                what: "ClientHello.cipher_suites",
                len: suites.remaining(),
                of: 2,
            });
        }
        let cipher_suites = suites.items(|r| r.u16("CipherSuite"))?;
        let compression_methods = r
            .opaque(1, 0xff, "ClientHello.compression_methods")?
            .to_vec();
        let extensions = ClientExtensions::decode(r)?;
        Ok(Self {
            client_version,
            random,
            session_id,
            cipher_suites,
            compression_methods,
            extensions,
        })
    }
}

/// ServerHello (§7.4.1.3).
///
/// ```text
/// struct {
///     ProtocolVersion server_version;
///     Random random;
///     SessionID session_id;
///     CipherSuite cipher_suite;
///     CompressionMethod compression_method;
///     select (extensions_present) {
///         case false: struct {};
///         case true:  Extension extensions<0..2^16-1>;
///     };
/// } ServerHello;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerHello {
    /// `server_version`.
    pub server_version: ProtocolVersion,
    /// `random`.
    pub random: Random,
    /// `session_id`: the new session's id, the resumed one's, or empty.
    pub session_id: SessionId,
    /// `cipher_suite`, as a raw value (checked against our offer later).
    pub cipher_suite: u16,
    /// `compression_method`.
    pub compression_method: u8,
    /// `extensions`.
    pub extensions: ServerExtensions,
}

impl Codec for ServerHello {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.server_version.to_bytes());
        self.random.encode(out);
        self.session_id.encode(out);
        out.extend_from_slice(&self.cipher_suite.to_be_bytes());
        out.push(self.compression_method);
        self.extensions.encode(out);
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            server_version: decode_version(r, "ServerHello.server_version")?,
            random: Random::decode(r)?,
            session_id: SessionId::decode(r)?,
            cipher_suite: r.u16("ServerHello.cipher_suite")?,
            compression_method: r.u8("ServerHello.compression_method")?,
            extensions: ServerExtensions::decode(r)?,
        })
    }
}

/// Certificate (§7.4.2, and the client's in §7.4.6).
///
/// ```text
/// opaque ASN.1Cert<1..2^24-1>;
/// struct {
///     ASN.1Cert certificate_list<0..2^24-1>;
/// } Certificate;
/// ```
/// The sender's certificate comes first; each following one certifies the
/// one before it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Certificate {
    /// `certificate_list`, DER, leaf first. Empty when a client has none.
    pub certificate_list: Vec<Vec<u8>>,
}

impl Codec for Certificate {
    fn encode(&self, out: &mut Vec<u8>) {
        put_vector(out, 0xff_ffff, |out| {
            for cert in &self.certificate_list {
                put_opaque(out, 0xff_ffff, cert);
            }
        });
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let certificate_list = r
            .vector(0, 0xff_ffff, "Certificate.certificate_list")?
            .items(|r| Ok(r.opaque(1, 0xff_ffff, "ASN.1Cert")?.to_vec()))?;
        Ok(Self { certificate_list })
    }
}

/// `digitally-signed` in TLS 1.2 (§4.7):
///
/// ```text
/// struct {
///    SignatureAndHashAlgorithm algorithm;
///    opaque signature<0..2^16-1>;
/// } DigitallySigned;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigitallySigned {
    /// `algorithm`.
    pub algorithm: SignatureScheme,
    /// `signature`.
    pub signature: Vec<u8>,
}

impl Codec for DigitallySigned {
    fn encode(&self, out: &mut Vec<u8>) {
        self.algorithm.encode(out);
        put_opaque(out, 0xffff, &self.signature);
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            algorithm: SignatureScheme::decode(r)?,
            signature: r.opaque(0, 0xffff, "DigitallySigned.signature")?.to_vec(),
        })
    }
}

/// `ECCurveType named_curve(3)` (RFC 8422 §5.4): the only curve type
/// RFC 8422 still allows.
pub const EC_CURVE_TYPE_NAMED_CURVE: u8 = 3;

/// ServerKeyExchange for ECDHE (RFC 8422 §5.4).
///
/// ```text
/// struct {
///     ECParameters    curve_params;   /* curve_type named_curve(3); NamedCurve namedcurve */
///     ECPoint         public;         /* opaque point <1..2^8-1> */
/// } ServerECDHParams;
///
/// struct {
///     ServerECDHParams    params;
///     digitally-signed struct {
///         opaque client_random[32];
///         opaque server_random[32];
///         ServerECDHParams params;
///     } signed_params;
/// } ServerKeyExchange;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerKeyExchange {
    /// `params.curve_params.namedcurve`.
    pub named_group: NamedGroup,
    /// `params.public.point`: the server's ephemeral public key.
    pub public: Vec<u8>,
    /// `signed_params`.
    pub signed_params: DigitallySigned,
}

impl ServerKeyExchange {
    /// The encoded `ServerECDHParams`, as covered by the signature.
    pub fn params_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.push(EC_CURVE_TYPE_NAMED_CURVE);
        self.named_group.encode(&mut out);
        put_opaque(&mut out, 0xff, &self.public);
        out
    }

    /// The bytes the server signs: `client_random ‖ server_random ‖ params`
    /// (RFC 8422 §5.4).
    pub fn signed_message(client: &Random, server: &Random, params: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + params.len());
        out.extend_from_slice(&client.0);
        out.extend_from_slice(&server.0);
        out.extend_from_slice(params);
        out
    }
}

impl Codec for ServerKeyExchange {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.params_bytes());
        self.signed_params.encode(out);
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        // RFC 8422 §5.4: explicit_prime and explicit_char2 "are deprecated";
        // we accept only named curves.
        if r.u8("ECParameters.curve_type")? != EC_CURVE_TYPE_NAMED_CURVE {
            return Err(DecodeError::InvalidValue {
                what: "ECParameters.curve_type",
            });
        }
        Ok(Self {
            named_group: NamedGroup::decode(r)?,
            public: r.opaque(1, 0xff, "ECPoint.point")?.to_vec(),
            signed_params: DigitallySigned::decode(r)?,
        })
    }
}

/// `ClientCertificateType` values (§7.4.4; `ecdsa_sign(64)` from RFC 8422 §5.5).
pub mod client_certificate_type {
    /// `rsa_sign(1)`.
    pub const RSA_SIGN: u8 = 1;
    /// `ecdsa_sign(64)`.
    pub const ECDSA_SIGN: u8 = 64;
}

/// CertificateRequest (§7.4.4).
///
/// ```text
/// struct {
///     ClientCertificateType certificate_types<1..2^8-1>;
///     SignatureAndHashAlgorithm
///       supported_signature_algorithms<2^16-1>;
///     DistinguishedName certificate_authorities<0..2^16-1>;
/// } CertificateRequest;
/// opaque DistinguishedName<1..2^16-1>;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateRequest {
    /// `certificate_types`.
    pub certificate_types: Vec<u8>,
    /// `supported_signature_algorithms`.
    pub supported_signature_algorithms: Vec<SignatureScheme>,
    /// `certificate_authorities`, DER-encoded names.
    pub certificate_authorities: Vec<Vec<u8>>,
}

impl Codec for CertificateRequest {
    fn encode(&self, out: &mut Vec<u8>) {
        put_opaque(out, 0xff, &self.certificate_types);
        put_vector(out, 0xffff, |out| {
            self.supported_signature_algorithms
                .iter()
                .for_each(|s| s.encode(out))
        });
        put_vector(out, 0xffff, |out| {
            for name in &self.certificate_authorities {
                put_opaque(out, 0xffff, name);
            }
        });
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let certificate_types = r
            .opaque(1, 0xff, "CertificateRequest.certificate_types")?
            .to_vec();
        let mut algs = r.vector(
            0,
            0xffff,
            "CertificateRequest.supported_signature_algorithms",
        )?;
        if algs.remaining() % 2 != 0 {
            return Err(DecodeError::LengthNotMultiple {
                what: "CertificateRequest.supported_signature_algorithms",
                len: algs.remaining(),
                of: 2,
            });
        }
        let supported_signature_algorithms = algs.items(|r| SignatureScheme::decode(r))?;
        let certificate_authorities = r
            .vector(0, 0xffff, "CertificateRequest.certificate_authorities")?
            .items(|r| Ok(r.opaque(1, 0xffff, "DistinguishedName")?.to_vec()))?;
        Ok(Self {
            certificate_types,
            supported_signature_algorithms,
            certificate_authorities,
        })
    }
}

/// ClientKeyExchange for ECDHE (RFC 8422 §5.7).
///
/// ```text
/// struct {
///     select (PublicValueEncoding) {
///         case implicit:  struct { };
///         case explicit:  ECPoint ecdh_Yc;
///     } ecdh_public;
/// } ClientECDiffieHellmanPublic;
/// ```
/// Ephemeral ECDH always sends the point explicitly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientKeyExchange {
    /// `ecdh_Yc.point`: the client's ephemeral public key.
    pub ecdh_yc: Vec<u8>,
}

impl Codec for ClientKeyExchange {
    fn encode(&self, out: &mut Vec<u8>) {
        put_opaque(out, 0xff, &self.ecdh_yc);
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            ecdh_yc: r.opaque(1, 0xff, "ECPoint.point")?.to_vec(),
        })
    }
}

/// Finished (§7.4.9): `opaque verify_data[verify_data_length]`, 12 bytes
/// for every cipher suite we implement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Finished {
    /// `verify_data`.
    pub verify_data: [u8; 12],
}

impl Codec for Finished {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.verify_data);
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            verify_data: r.array("Finished.verify_data")?,
        })
    }
}

/// NewSessionTicket (RFC 5077 §3.3).
///
/// ```text
/// struct {
///     uint32 ticket_lifetime_hint;
///     opaque ticket<0..2^16-1>;
/// } NewSessionTicket;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSessionTicket {
    /// `ticket_lifetime_hint`, seconds; 0 means "unspecified".
    pub ticket_lifetime_hint: u32,
    /// `ticket`: opaque to the client.
    pub ticket: Vec<u8>,
}

impl Codec for NewSessionTicket {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.ticket_lifetime_hint.to_be_bytes());
        put_opaque(out, 0xffff, &self.ticket);
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            ticket_lifetime_hint: r.u32("NewSessionTicket.ticket_lifetime_hint")?,
            ticket: r.opaque(0, 0xffff, "NewSessionTicket.ticket")?.to_vec(),
        })
    }
}

/// The body of a handshake message, by type.
///
/// The hellos are boxed: at 320 and 176 bytes they would make every message
/// that size, and messages move by value through decoding, the machines'
/// actions and the connection (boxed, an abbreviated handshake takes about
/// 7% less time).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HandshakePayload {
    /// HelloRequest (§7.4.1.1): `struct { } HelloRequest;`
    HelloRequest,
    /// ClientHello (§7.4.1.2).
    ClientHello(Box<ClientHello>),
    /// ServerHello (§7.4.1.3).
    ServerHello(Box<ServerHello>),
    /// NewSessionTicket (RFC 5077 §3.3).
    NewSessionTicket(NewSessionTicket),
    /// Certificate (§7.4.2, §7.4.6).
    Certificate(Certificate),
    /// ServerKeyExchange (§7.4.3, RFC 8422 §5.4).
    ServerKeyExchange(ServerKeyExchange),
    /// CertificateRequest (§7.4.4).
    CertificateRequest(CertificateRequest),
    /// ServerHelloDone (§7.4.5): `struct { } ServerHelloDone;`
    ServerHelloDone,
    /// CertificateVerify (§7.4.8): `digitally-signed struct { opaque handshake_messages[handshake_messages_length]; }`
    CertificateVerify(DigitallySigned),
    /// ClientKeyExchange (§7.4.7, RFC 8422 §5.7).
    ClientKeyExchange(ClientKeyExchange),
    /// Finished (§7.4.9).
    Finished(Finished),
}

impl HandshakePayload {
    /// The message's `HandshakeType`.
    pub fn handshake_type(&self) -> HandshakeType {
        match self {
            Self::HelloRequest => HandshakeType::HelloRequest,
            Self::ClientHello(_) => HandshakeType::ClientHello,
            Self::ServerHello(_) => HandshakeType::ServerHello,
            Self::NewSessionTicket(_) => HandshakeType::NewSessionTicket,
            Self::Certificate(_) => HandshakeType::Certificate,
            Self::ServerKeyExchange(_) => HandshakeType::ServerKeyExchange,
            Self::CertificateRequest(_) => HandshakeType::CertificateRequest,
            Self::ServerHelloDone => HandshakeType::ServerHelloDone,
            Self::CertificateVerify(_) => HandshakeType::CertificateVerify,
            Self::ClientKeyExchange(_) => HandshakeType::ClientKeyExchange,
            Self::Finished(_) => HandshakeType::Finished,
        }
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            Self::HelloRequest | Self::ServerHelloDone => {}
            Self::ClientHello(m) => m.encode(out),
            Self::ServerHello(m) => m.encode(out),
            Self::NewSessionTicket(m) => m.encode(out),
            Self::Certificate(m) => m.encode(out),
            Self::ServerKeyExchange(m) => m.encode(out),
            Self::CertificateRequest(m) => m.encode(out),
            Self::CertificateVerify(m) => m.encode(out),
            Self::ClientKeyExchange(m) => m.encode(out),
            Self::Finished(m) => m.encode(out),
        }
    }

    fn decode_body(typ: HandshakeType, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match typ {
            HandshakeType::HelloRequest => Self::HelloRequest,
            HandshakeType::ClientHello => Self::ClientHello(Box::new(ClientHello::decode(r)?)),
            HandshakeType::ServerHello => Self::ServerHello(Box::new(ServerHello::decode(r)?)),
            HandshakeType::NewSessionTicket => Self::NewSessionTicket(NewSessionTicket::decode(r)?),
            HandshakeType::Certificate => Self::Certificate(Certificate::decode(r)?),
            HandshakeType::ServerKeyExchange => {
                Self::ServerKeyExchange(ServerKeyExchange::decode(r)?)
            }
            HandshakeType::CertificateRequest => {
                Self::CertificateRequest(CertificateRequest::decode(r)?)
            }
            HandshakeType::ServerHelloDone => Self::ServerHelloDone,
            HandshakeType::CertificateVerify => {
                Self::CertificateVerify(DigitallySigned::decode(r)?)
            }
            HandshakeType::ClientKeyExchange => {
                Self::ClientKeyExchange(ClientKeyExchange::decode(r)?)
            }
            HandshakeType::Finished => Self::Finished(Finished::decode(r)?),
        })
    }
}

/// A whole handshake message: its decoded payload and the exact bytes
/// (4-byte header included) that it was decoded from or encoded to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandshakeMessage {
    /// The decoded body.
    pub payload: HandshakePayload,
    /// `msg_type ‖ length ‖ body` as on the wire, for the transcript hash.
    pub raw: Vec<u8>,
}

impl HandshakeMessage {
    /// Encodes `payload` with its `Handshake` header.
    pub fn new(payload: HandshakePayload) -> Self {
        // Room for every message of an abbreviated handshake and most of a
        // full one, so that encoding rarely grows (and copies) the buffer.
        let mut raw = Vec::with_capacity(512);
        raw.extend_from_slice(&[payload.handshake_type().value(), 0, 0, 0]);
        payload.encode_body(&mut raw);
        let len = raw.len() - 4;
        debug_assert!(len < 1 << 24, "a handshake body of {len} bytes");
        raw[1..4].copy_from_slice(&(len as u32).to_be_bytes()[1..]);
        Self { payload, raw }
    }

    /// Decodes one complete message, `raw` being exactly
    /// `msg_type ‖ length ‖ body` (as the handshake reassembler hands out).
    ///
    /// An unknown `msg_type` is `unexpected_message`; a body that does not
    /// fill `length` exactly, or that overruns it, is `decode_error`.
    pub fn decode(raw: Vec<u8>) -> Result<Self, RecordError> {
        let payload = Self::decode_payload(Reader::new(&raw))?;
        Ok(Self { payload, raw })
    }

    /// Where each field of the message lies in [`HandshakeMessage::raw`],
    /// as the decoder reads it: the `Handshake` header's fields, the body,
    /// and every field inside it, each vector's length prefix apart from
    /// its contents. A vector's span comes before those of its elements.
    pub fn field_spans(&self) -> Vec<FieldSpan> {
        let spans = RefCell::new(Vec::new());
        // `raw` decoded once already (or is our own encoding), so this
        // cannot fail; if it did, the spans read so far are still true.
        let _ = Self::decode_payload(Reader::recording(&self.raw, &spans));
        spans.into_inner()
    }

    fn decode_payload(mut r: Reader<'_>) -> Result<HandshakePayload, RecordError> {
        let typ = r.u8("Handshake.msg_type")?;
        let typ = HandshakeType::from_value(typ).ok_or(RecordError::UnexpectedMessage(
            "unknown handshake message type",
        ))?;
        let len = r.u24("Handshake.length")? as usize;
        let mut body = r.sub(len, "Handshake.body")?;
        r.expect_empty("Handshake")?;
        let payload = HandshakePayload::decode_body(typ, &mut body)?;
        // §7.4.1.2/§7.4.1.3: "there MUST NOT be any trailing data"; the same
        // holds for every message, whose body must fill `length` exactly.
        body.expect_empty(typ.name())?;
        Ok(payload)
    }

    /// The message's type.
    pub fn handshake_type(&self) -> HandshakeType {
        self.payload.handshake_type()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extensions::EC_POINT_FORMAT_UNCOMPRESSED;

    #[test]
    fn all_lists_every_type_once_in_wire_order() {
        let known: Vec<HandshakeType> = (0..=u8::MAX)
            .filter_map(HandshakeType::from_value)
            .collect();
        assert_eq!(HandshakeType::ALL.to_vec(), known);
    }

    /// Checks that the spans form a tree (in the order recorded, each span
    /// lies inside the last one still open, or after it) and that the
    /// children of every span fill it exactly: every byte belongs to a
    /// named field, and no field overlaps a sibling.
    fn check_tiling(spans: &[FieldSpan], len: usize) -> Result<(), String> {
        let root = FieldSpan {
            what: "message",
            length_prefix: false,
            start: 0,
            end: len,
        };
        let filled = |(top, next): (FieldSpan, usize)| {
            if next == top.start || next == top.end {
                Ok(())
            } else {
                Err(format!("children of {top:?} stop at {next}"))
            }
        };
        // (span, where its next child must start)
        let mut open: Vec<(FieldSpan, usize)> = vec![(root, 0)];
        for &span in spans {
            while let Some((top, next)) = open.last().copied() {
                // An empty span at a span's end belongs to it only if its
                // children reach that far.
                let inside = top.start <= span.start
                    && span.end <= top.end
                    && (span.start < top.end || span.start == next);
                if inside {
                    if span.start != next {
                        return Err(format!("{span:?} leaves a gap or overlaps in {top:?}"));
                    }
                    break;
                }
                filled((top, next))?;
                open.pop();
            }
            let parent = open
                .last_mut()
                .ok_or(format!("{span:?} lies outside the message"))?;
            parent.1 = span.end;
            open.push((span, span.start));
        }
        open.into_iter().try_for_each(filled)
    }

    #[test]
    fn field_spans_cover_every_byte_of_every_message() {
        let hello = ClientHello {
            client_version: ProtocolVersion::TLS1_2,
            random: Random([7; 32]),
            session_id: SessionId::new(&[1; 32]).unwrap(),
            cipher_suites: vec![0xc02b, TLS_EMPTY_RENEGOTIATION_INFO_SCSV],
            compression_methods: vec![COMPRESSION_NULL],
            extensions: ClientExtensions {
                server_name: Some("localhost".into()),
                supported_groups: Some(NamedGroup::SUPPORTED.to_vec()),
                ec_point_formats: Some(vec![EC_POINT_FORMAT_UNCOMPRESSED]),
                signature_algorithms: Some(vec![SignatureScheme::EcdsaSecp256r1Sha256]),
                alpn: Some(vec![b"http/1.1".to_vec()]),
                extended_master_secret: true,
                session_ticket: Some(vec![9; 5]),
                renegotiation_info: Some(vec![]),
                unknown: vec![],
            },
        };
        let server_hello = ServerHello {
            server_version: ProtocolVersion::TLS1_2,
            random: Random([8; 32]),
            session_id: SessionId::new(&[]).unwrap(),
            cipher_suite: 0xc02b,
            compression_method: COMPRESSION_NULL,
            extensions: ServerExtensions {
                extended_master_secret: true,
                renegotiation_info: Some(vec![]),
                ..Default::default()
            },
        };
        let signed = DigitallySigned {
            algorithm: SignatureScheme::EcdsaSecp256r1Sha256,
            signature: vec![3; 70],
        };
        let payloads = [
            HandshakePayload::HelloRequest,
            HandshakePayload::ClientHello(Box::new(hello)),
            HandshakePayload::ServerHello(Box::new(server_hello)),
            HandshakePayload::Certificate(Certificate {
                certificate_list: vec![vec![1; 300], vec![2; 200]],
            }),
            HandshakePayload::ServerKeyExchange(ServerKeyExchange {
                named_group: NamedGroup::X25519,
                public: vec![4; 32],
                signed_params: signed.clone(),
            }),
            HandshakePayload::CertificateRequest(CertificateRequest {
                certificate_types: vec![client_certificate_type::ECDSA_SIGN],
                supported_signature_algorithms: vec![SignatureScheme::EcdsaSecp256r1Sha256],
                certificate_authorities: vec![vec![5; 20]],
            }),
            HandshakePayload::ServerHelloDone,
            HandshakePayload::CertificateVerify(signed),
            HandshakePayload::ClientKeyExchange(ClientKeyExchange {
                ecdh_yc: vec![6; 65],
            }),
            HandshakePayload::Finished(Finished {
                verify_data: [7; 12],
            }),
            HandshakePayload::NewSessionTicket(NewSessionTicket {
                ticket_lifetime_hint: 300,
                ticket: vec![8; 100],
            }),
        ];
        for payload in payloads {
            let msg = HandshakeMessage::new(payload);
            let spans = msg.field_spans();
            assert_eq!(spans[0].what, "Handshake.msg_type");
            assert_eq!((spans[2].start, spans[2].end), (4, msg.raw.len()));
            check_tiling(&spans, msg.raw.len()).unwrap();
        }
    }

    #[test]
    fn a_gap_in_the_spans_is_caught() {
        // The check itself must be able to fail: Finished.verify_data one
        // byte short leaves the body's last byte unnamed.
        let msg = HandshakeMessage::new(HandshakePayload::Finished(Finished {
            verify_data: [7; 12],
        }));
        let mut spans = msg.field_spans();
        assert_eq!(spans[3].what, "Finished.verify_data");
        assert_eq!(check_tiling(&spans, msg.raw.len()), Ok(()));
        spans[3].end -= 1;
        assert!(check_tiling(&spans, msg.raw.len()).is_err());
    }
}
