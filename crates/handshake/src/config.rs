//! What each side is willing to negotiate (RFC 5246 §7.4.1.2-§7.4.1.4,
//! RFC 8422 §5.1, RFC 7301).
//!
//! The configs are plain structs with public fields and safe defaults
//! (DESIGN.md "Security defaults"): AEAD suites only, x25519 / P-256 /
//! P-384, no SHA-1 signatures.

use std::sync::Arc;

use record_layer::suites::CipherSuite;
pub use session_store::{system_clock, Clock};
use session_store::{ClientSessionStore, ServerSessionStore, Session, TicketKeys};
use x509_parser::extensions::GeneralName;

use crate::kx::NamedGroup;
use crate::messages::MessageLimits;
use crate::observe::Observer;
use crate::sign::{SignatureScheme, SigningKey};
use crate::x509::{
    CertificateError, PathLimits, TrustAnchors, DEFAULT_MAX_CLIENT_SIGNATURE_CHECKS,
    DEFAULT_MAX_PATH_DEPTH,
};

/// The signature schemes we accept and offer, strongest-first within each
/// key type (RFC 5246 §7.4.1.4.1).
pub const DEFAULT_SIGNATURE_SCHEMES: [SignatureScheme; 8] = [
    SignatureScheme::EcdsaSecp256r1Sha256,
    SignatureScheme::EcdsaSecp384r1Sha384,
    SignatureScheme::RsaPssRsaeSha256,
    SignatureScheme::RsaPssRsaeSha384,
    SignatureScheme::RsaPssRsaeSha512,
    SignatureScheme::RsaPkcs1Sha256,
    SignatureScheme::RsaPkcs1Sha384,
    SignatureScheme::RsaPkcs1Sha512,
];

/// Which of the peer's requests to renegotiate a connection takes up: a
/// server's HelloRequest (RFC 5246 §7.4.1.1), a client's new ClientHello
/// after the first handshake (§7.4.1.2). Go's `Config.Renegotiation`,
/// BoringSSL's `ssl_renegotiate_mode_t`; here for both sides, as
/// [`ClientConfig::peer_renegotiation`] and
/// [`ServerConfig::peer_renegotiation`].
///
/// A request not taken up is declined with a `no_renegotiation` warning
/// (§7.2.2: "Sent by the client in response to a hello request or by the
/// server in response to a client hello after initial handshaking"), and
/// the connection goes on under its keys. Whatever the policy, a request
/// from a peer that never signalled secure renegotiation (RFC 5746) is
/// declined: §4.2 and §4.4 recommend refusing legacy renegotiation, and
/// this stack never does it. The count is per connection, and only of the
/// peer's requests: a renegotiation this end starts itself is not limited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Renegotiation {
    /// Decline every request (Go's `RenegotiateNever`).
    Never,
    /// Take up the first request only (Go's `RenegotiateOnceAsClient`):
    /// the renegotiation a server may need to ask a client for a
    /// certificate once it knows what the client asked for.
    Once,
    /// Take up the first `n` requests, decline the rest.
    UpTo(u32),
    /// Take up every request (Go's `RenegotiateFreelyAsClient`).
    Freely,
}

impl Renegotiation {
    /// True when one more request may be taken up on a connection that
    /// has taken up `taken` already.
    pub fn allows(self, taken: u32) -> bool {
        match self {
            Self::Never => false,
            Self::Once => taken == 0,
            Self::UpTo(n) => taken < n,
            Self::Freely => true,
        }
    }
}

/// Where a connection writes its secrets for a debugger, as rustls's
/// `KeyLog` does: called once per completed handshake with the NSS key log
/// label `CLIENT_RANDOM`, this connection's `ClientHello.random` (RFC 5246
/// §7.4.1.2) and the session's `master_secret` (§8.1). Whoever reads what
/// it writes decrypts the connection, so nothing is logged unless a config
/// names one (`tls12::keylog::KeyLogFile` is the file kind).
pub trait KeyLog: Send + Sync + core::fmt::Debug {
    /// Records one secret.
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]);
}

/// An application's own check of a peer's certificate chain (pinning, an
/// allow list, a revocation lookup), run after path validation (RFC 5280
/// §6) has accepted the chain: it can refuse a chain, never accept one
/// that validation refused. Its refusal ends the handshake with a fatal
/// `certificate_unknown` (RFC 5246 §7.2.2). A resumed session was checked
/// by the full handshake that made it and is not checked again.
pub trait VerifyCallback: Send + Sync + core::fmt::Debug {
    /// Accepts or refuses `chain` (DER, leaf first, as the peer sent it).
    fn check(&self, chain: &[Vec<u8>]) -> Result<(), CertificateError>;
}

/// A certificate chain and the private key of its leaf.
#[derive(Debug)]
pub struct CertifiedKey {
    /// The chain as sent in Certificate (§7.4.2): DER, leaf first.
    pub chain: Vec<Vec<u8>>,
    /// The leaf's private key.
    pub key: SigningKey,
    /// Present this chain only to a peer whose list of acceptable
    /// authorities names the issuer of one of its certificates
    /// (CertificateRequest.certificate_authorities, §7.4.4: "A list of the
    /// distinguished names of acceptable certificate_authorities"), for a
    /// certificate meant for one relying party only. A client skips it,
    /// and tries its next certificate, when the server lists no such
    /// issuer; a TLS 1.2 ClientHello carries no list, so a server never
    /// presents it. `false` from [`CertifiedKey::new`].
    pub issuer_must_be_listed: bool,
}

impl CertifiedKey {
    /// `chain` (DER, leaf first) and its leaf's `key`, for any peer.
    pub fn new(chain: Vec<Vec<u8>>, key: SigningKey) -> Self {
        Self {
            chain,
            key,
            issuer_must_be_listed: false,
        }
    }

    /// Does `authorities` (DER names, §7.4.4) name the issuer of one of
    /// our certificates, when we present this chain only to such a peer?
    pub fn fits_authorities(&self, authorities: &[Vec<u8>]) -> bool {
        !self.issuer_must_be_listed
            || self.chain.iter().any(|cert| {
                crate::x509::issuer_name(cert)
                    .is_ok_and(|issuer| authorities.iter().any(|name| name[..] == issuer[..]))
            })
    }
}

/// A client's settings.
#[derive(Clone)]
pub struct ClientConfig {
    /// Cipher suites to offer, most preferred first.
    pub cipher_suites: Vec<CipherSuite>,
    /// ECDHE groups to offer (`supported_groups`), most preferred first.
    pub groups: Vec<NamedGroup>,
    /// Signature schemes we accept from the server (`signature_algorithms`).
    pub signature_schemes: Vec<SignatureScheme>,
    /// The roots that server certificates must chain to.
    pub trust_anchors: Arc<TrustAnchors>,
    /// The most intermediate CA certificates a peer's chain may need
    /// between its leaf and a trust anchor (RFC 5280 §6.1); default
    /// [`DEFAULT_MAX_PATH_DEPTH`] (6, as rustls-webpki).
    pub max_path_depth: usize,
    /// The application's own check of the server's chain, after ours.
    pub verify_callback: Option<Arc<dyn VerifyCallback>>,
    /// Test harnesses only (feature `dangerous-test-harness`): accept any
    /// server chain without path validation or a name check. The
    /// ServerKeyExchange signature is still checked against the leaf's key
    /// (and the leaf must still allow it to sign, on a curve we offered),
    /// but nothing says whose key it is: anyone on the path can pose as
    /// the server.
    #[cfg(feature = "dangerous-test-harness")]
    pub dangerous_accept_any_server_certificate: bool,
    /// Our certificates, most preferred first: when the server asks for one
    /// (§7.4.6), we send the first that fits its CertificateRequest (§7.4.4),
    /// or none.
    pub client_certificates: Vec<Arc<CertifiedKey>>,
    /// ALPN protocols to offer, most preferred first (RFC 7301).
    pub alpn_protocols: Vec<Vec<u8>>,
    /// Where sessions are kept for resumption (RFC 5246 §7); `None`: every
    /// connection makes a full handshake.
    pub session_store: Option<Arc<dyn ClientSessionStore>>,
    /// Ask servers for session tickets and offer the ones we hold (RFC
    /// 5077). When false the ClientHello has no SessionTicket extension at
    /// all: a stored session is offered by its session id only, and one
    /// known by its ticket alone is not offered.
    pub enable_tickets: bool,
    /// Which of the server's HelloRequests (RFC 5246 §7.4.1.1) a
    /// connection answers with a new handshake; the others are declined
    /// with a `no_renegotiation` warning. The default,
    /// [`Renegotiation::Freely`], answers them all;
    /// [`Renegotiation::Once`] allows the single renegotiation a server may
    /// need to ask for a client certificate.
    pub peer_renegotiation: Renegotiation,
    /// How long the server's handshake messages may be (RFC 5246 §7.4).
    pub message_limits: MessageLimits,
    /// Told about every record, message and state change (traces, tests).
    pub observer: Option<Arc<dyn Observer>>,
    /// Where master secrets are logged for a debugger; `None` (the
    /// default): nowhere, whatever the environment says.
    pub key_log: Option<Arc<dyn KeyLog>>,
    /// The clock used for certificate validity and session lifetimes.
    pub clock: Clock,
    /// How long a session this side makes may be resumed, seconds
    /// (RFC 5246 §F.1.4: "An upper limit of 24 hours is suggested for
    /// session ID lifetimes"); the default, [`Session::DEFAULT_LIFETIME`],
    /// says why two hours. A server's `ticket_lifetime_hint` (RFC 5077 §3.3)
    /// never promises more. Checked again on every resumption, on both
    /// sides, by each side's clock.
    pub session_lifetime: u64,
}

impl ClientConfig {
    /// Defaults: every suite, group and scheme we implement, trusting `anchors`.
    pub fn new(trust_anchors: TrustAnchors) -> Self {
        Self {
            cipher_suites: CipherSuite::ALL.to_vec(),
            groups: NamedGroup::SUPPORTED.to_vec(),
            signature_schemes: DEFAULT_SIGNATURE_SCHEMES.to_vec(),
            trust_anchors: Arc::new(trust_anchors),
            max_path_depth: DEFAULT_MAX_PATH_DEPTH,
            verify_callback: None,
            #[cfg(feature = "dangerous-test-harness")]
            dangerous_accept_any_server_certificate: false,
            client_certificates: Vec::new(),
            alpn_protocols: Vec::new(),
            session_store: None,
            enable_tickets: true,
            peer_renegotiation: Renegotiation::Freely,
            message_limits: MessageLimits::default(),
            observer: None,
            key_log: None,
            clock: system_clock(),
            session_lifetime: Session::DEFAULT_LIFETIME,
        }
    }
}

/// Whether, and how, the server asks for a client certificate (§7.4.4).
#[derive(Clone)]
pub enum ClientAuth {
    /// No CertificateRequest.
    None,
    /// Ask; a client may send an empty Certificate.
    Optional(Arc<TrustAnchors>),
    /// Ask, and refuse a client without one with `handshake_failure`
    /// (§7.4.6).
    Required(Arc<TrustAnchors>),
}

/// A server's settings.
#[derive(Clone)]
pub struct ServerConfig {
    /// Our certificates, most preferred first (for example an ECDSA one,
    /// then an RSA one for clients without ECDSA). We present the first
    /// that the client can use: one of its suites fits the key type
    /// (§7.4.2), its key signs with a scheme the client offered
    /// (§7.4.1.4.1), and an ECDSA key is on a curve the client supports
    /// (RFC 8422 §5.1).
    pub certificates: Vec<Arc<CertifiedKey>>,
    /// Cipher suites we accept, most preferred first.
    pub cipher_suites: Vec<CipherSuite>,
    /// When true, the client's order of suites wins; otherwise ours.
    pub prefer_client_order: bool,
    /// ECDHE groups we accept, most preferred first.
    pub groups: Vec<NamedGroup>,
    /// Signature schemes we accept for a client's CertificateVerify.
    pub signature_schemes: Vec<SignatureScheme>,
    /// Client certificate policy.
    pub client_auth: ClientAuth,
    /// The application's own check of a client's chain, after ours.
    pub verify_callback: Option<Arc<dyn VerifyCallback>>,
    /// Test harnesses only (feature `dangerous-test-harness`): accept any
    /// client chain without path validation, whatever the anchors of
    /// [`ClientAuth`] say. The CertificateVerify signature is still checked
    /// against the leaf's key (whose keyUsage must allow signing), but
    /// nothing says whose key it is.
    #[cfg(feature = "dangerous-test-harness")]
    pub dangerous_accept_any_client_certificate: bool,
    /// The most intermediate CA certificates a peer's chain may need
    /// between its leaf and a trust anchor (RFC 5280 §6.1); default
    /// [`DEFAULT_MAX_PATH_DEPTH`] (6, as rustls-webpki).
    pub max_path_depth: usize,
    /// The most certificate signatures one search for a client's path may
    /// verify; a chain that needs more is refused with `unknown_ca`.
    /// Default [`DEFAULT_MAX_CLIENT_SIGNATURE_CHECKS`] (16), lower than the
    /// 100 a client spends on a server's chain: the client sends its chain
    /// before proving it holds the key (CertificateVerify, RFC 5246
    /// §7.4.8), so any client that can connect makes us search it.
    pub max_client_signature_checks: usize,
    /// ALPN protocols we speak, most preferred first (empty: ignore ALPN).
    pub alpn_protocols: Vec<Vec<u8>>,
    /// Where sessions are kept so that clients can resume them by session
    /// id (RFC 5246 §7.3); `None`: session ids are empty, nothing is cached.
    pub session_store: Option<Arc<dyn ServerSessionStore>>,
    /// Keys that seal session tickets (RFC 5077); `None`: no tickets.
    pub ticket_keys: Option<Arc<TicketKeys>>,
    /// Which of the client's renegotiations (a new ClientHello on a live
    /// connection, RFC 5246 §7.4.1.2) a connection takes up; the others are
    /// declined with a `no_renegotiation` warning. The default,
    /// [`Renegotiation::UpTo`]`(3)`, is a bound because each costs the
    /// server a full handshake (CVE-2011-1473); [`Renegotiation::Never`]
    /// refuses all.
    pub peer_renegotiation: Renegotiation,
    /// How long the client's handshake messages may be (RFC 5246 §7.4).
    pub message_limits: MessageLimits,
    /// The host names we serve (RFC 6066 §3), as in a subjectAltName:
    /// `*.example.com` matches one label. A client asking for another name
    /// is refused with a fatal `unrecognized_name`; one that sends no
    /// server_name is served. Empty (the default): every name is served.
    /// [`ServerConfig::certificate_names`] gives the names our
    /// certificates are for.
    pub server_names: Vec<String>,
    /// Told about every record, message and state change (traces, tests).
    pub observer: Option<Arc<dyn Observer>>,
    /// Where master secrets are logged for a debugger; `None` (the
    /// default): nowhere, whatever the environment says.
    pub key_log: Option<Arc<dyn KeyLog>>,
    /// The clock used for certificate validity and session lifetimes.
    pub clock: Clock,
    /// How long a session this side makes may be resumed, seconds
    /// (RFC 5246 §F.1.4: "An upper limit of 24 hours is suggested for
    /// session ID lifetimes"); the default, [`Session::DEFAULT_LIFETIME`],
    /// says why two hours. A server's `ticket_lifetime_hint` (RFC 5077 §3.3)
    /// never promises more. Checked again on every resumption, on both
    /// sides, by each side's clock.
    pub session_lifetime: u64,
}

impl ServerConfig {
    /// Defaults: every suite, group and scheme we implement, serving
    /// `certificates`, no client authentication.
    pub fn new(certificates: Vec<CertifiedKey>) -> Self {
        Self {
            certificates: certificates.into_iter().map(Arc::new).collect(),
            cipher_suites: CipherSuite::ALL.to_vec(),
            prefer_client_order: false,
            groups: NamedGroup::SUPPORTED.to_vec(),
            signature_schemes: DEFAULT_SIGNATURE_SCHEMES.to_vec(),
            client_auth: ClientAuth::None,
            verify_callback: None,
            #[cfg(feature = "dangerous-test-harness")]
            dangerous_accept_any_client_certificate: false,
            max_path_depth: DEFAULT_MAX_PATH_DEPTH,
            max_client_signature_checks: DEFAULT_MAX_CLIENT_SIGNATURE_CHECKS,
            alpn_protocols: Vec::new(),
            session_store: None,
            ticket_keys: None,
            peer_renegotiation: Renegotiation::UpTo(3),
            message_limits: MessageLimits::default(),
            server_names: Vec::new(),
            observer: None,
            key_log: None,
            clock: system_clock(),
            session_lifetime: Session::DEFAULT_LIFETIME,
        }
    }
}

impl ServerConfig {
    /// The DNS names in the subjectAltName of our certificates (RFC 5280
    /// §4.2.1.6), each once, in order: what a server usually serves, for
    /// [`ServerConfig::server_names`].
    pub fn certificate_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        let leaves = self.certificates.iter().filter_map(|c| c.chain.first());
        for leaf in leaves {
            let Ok((_, cert)) = x509_parser::parse_x509_certificate(leaf) else {
                continue;
            };
            let Ok(Some(san)) = cert.subject_alternative_name() else {
                continue;
            };
            for name in &san.value.general_names {
                if let GeneralName::DNSName(dns) = name {
                    if !names.iter().any(|n| n.eq_ignore_ascii_case(dns)) {
                        names.push(dns.to_ascii_lowercase());
                    }
                }
            }
        }
        names
    }
}

impl ClientConfig {
    /// True when (feature `dangerous-test-harness`) any server chain is
    /// accepted without path validation.
    pub(crate) fn accepts_any_server_certificate(&self) -> bool {
        #[cfg(feature = "dangerous-test-harness")]
        return self.dangerous_accept_any_server_certificate;
        #[cfg(not(feature = "dangerous-test-harness"))]
        false
    }
}

impl ServerConfig {
    /// True when (feature `dangerous-test-harness`) any client chain is
    /// accepted without path validation.
    pub(crate) fn accepts_any_client_certificate(&self) -> bool {
        #[cfg(feature = "dangerous-test-harness")]
        return self.dangerous_accept_any_client_certificate;
        #[cfg(not(feature = "dangerous-test-harness"))]
        false
    }

    /// The limits for checking a client's chain (RFC 5246 §7.4.6).
    pub(crate) fn client_path_limits(&self) -> PathLimits {
        PathLimits {
            max_path_depth: self.max_path_depth,
            max_signature_checks: self.max_client_signature_checks,
            ..PathLimits::for_client_chains()
        }
    }
}

/// The limits for checking a server's chain with `max_path_depth`, the
/// other bounds at their defaults.
pub(crate) fn path_limits(max_path_depth: usize) -> PathLimits {
    PathLimits {
        max_path_depth,
        ..PathLimits::default()
    }
}

impl core::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("cipher_suites", &self.cipher_suites)
            .field("groups", &self.groups)
            .field("client_certificates", &self.client_certificates.len())
            .field("session_store", &self.session_store.is_some())
            .field("enable_tickets", &self.enable_tickets)
            .field("peer_renegotiation", &self.peer_renegotiation)
            .field("key_log", &self.key_log.is_some())
            .field("session_lifetime", &self.session_lifetime)
            .finish_non_exhaustive()
    }
}

impl core::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("certificates", &self.certificates.len())
            .field("cipher_suites", &self.cipher_suites)
            .field("groups", &self.groups)
            .field("session_store", &self.session_store.is_some())
            .field("ticket_keys", &self.ticket_keys.is_some())
            .field("peer_renegotiation", &self.peer_renegotiation)
            .field("server_names", &self.server_names)
            .field("key_log", &self.key_log.is_some())
            .field("session_lifetime", &self.session_lifetime)
            .finish_non_exhaustive()
    }
}
