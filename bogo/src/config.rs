//! Our configs from the runner's flags.

use std::path::Path;
use std::sync::Arc;

use tls12::session_store::{MemoryStore, ServerId, TicketKeys};
use tls12::{
    CertificateError, CertifiedKey, CipherSuite, ClientAuth, ClientConfig, Connection, NamedGroup,
    Renegotiation, ServerConfig, SignatureScheme, TrustAnchors, VerifyCallback,
};

use crate::options::{Credential, Options, Policy, Renegotiate};
use crate::Failure;

/// What lives across the connections of one test: the session caches and
/// the ticket keys, so that later connections can resume.
pub struct Shared {
    store: Arc<MemoryStore>,
    ticket_keys: Arc<TicketKeys>,
}

impl Shared {
    pub fn new(_opts: &Options) -> Result<Self, Failure> {
        let ticket_keys = TicketKeys::new(tls12::system_clock())
            .map_err(|e| Failure::Other(format!("ticket keys: {e}")))?;
        Ok(Self {
            store: Arc::new(MemoryStore::new(16)),
            ticket_keys: Arc::new(ticket_keys),
        })
    }
}

/// One connection's config.
pub enum Configs {
    Client(Arc<ClientConfig>, String),
    Server(Arc<ServerConfig>),
}

impl Configs {
    pub fn new(opts: &Options, shared: &mut Shared) -> Result<Self, Failure> {
        if opts.server {
            Ok(Self::Server(Arc::new(server_config(opts, shared)?)))
        } else {
            // Without -host-name BoringSSL sends no SNI. Ours sends none
            // when the server is named by the IP address we connect to
            // (RFC 6066 §3: "Literal IPv4 and IPv6 addresses are not
            // permitted in "HostName""); the chain is not checked, so the
            // name need not match the runner's certificate.
            let name = opts
                .host_name
                .clone()
                .unwrap_or_else(|| opts.runner_address().into());
            Ok(Self::Client(Arc::new(client_config(opts, shared)?), name))
        }
    }

    /// `-expect-selected-credential`'s index of the certificate `conn`
    /// presented: its place among the `-new-x509-credential`s, -1 for the
    /// default one; `None` when it presented none.
    pub fn selected_credential(&self, opts: &Options, conn: &Connection) -> Option<i64> {
        let presented = conn.local_certificate()?;
        let ours = match self {
            Self::Client(config, _) => &config.client_certificates,
            Self::Server(config) => &config.certificates,
        };
        let i = ours.iter().position(|ck| Arc::ptr_eq(ck, presented))?;
        Some(if i < opts.credentials.len() {
            i as i64
        } else {
            -1
        })
    }

    pub fn connection(&self) -> Result<Connection, Failure> {
        match self {
            Self::Client(config, name) => {
                Connection::client(config.clone(), name).map_err(Failure::Tls)
            }
            Self::Server(config) => Ok(Connection::server(config.clone())),
        }
    }

    /// A client's: does it keep a session ticket for the server? The ticket
    /// is the client's alone (RFC 5077 §3.3), kept in its store beside the
    /// session, not in the session a connection holds.
    pub fn ticket_kept(&self) -> bool {
        let Self::Client(config, name) = self else {
            return false;
        };
        let (Some(store), Some(server)) = (&config.session_store, ServerId::parse(name)) else {
            return false;
        };
        matches!(store.get(&server), Ok(Some(kept)) if kept.ticket.is_some())
    }
}

/// The application's callback: `-use-custom-verify-callback` accepts
/// every chain, `-verify-fail` refuses every chain.
#[derive(Debug)]
struct Callback {
    accept: bool,
}

impl VerifyCallback for Callback {
    fn check(&self, _chain: &[Vec<u8>]) -> Result<(), CertificateError> {
        match self.accept {
            true => Ok(()),
            false => Err(CertificateError::RejectedByApplication {
                reason: "-verify-fail".into(),
            }),
        }
    }
}

/// The callback the flags ask for, if any.
fn verify_callback(opts: &Options) -> Option<Arc<dyn VerifyCallback>> {
    (opts.verify_fail || opts.use_custom_verify_callback).then(|| {
        Arc::new(Callback {
            accept: !opts.verify_fail,
        }) as _
    })
}

/// A compliance policy narrows a config's lists (`-fips-202205`, ...).
fn narrow(
    policy: Option<Policy>,
    suites: &mut Vec<CipherSuite>,
    groups: &mut Vec<NamedGroup>,
    schemes: &mut Vec<SignatureScheme>,
) {
    if let Some(p) = policy {
        suites.retain(|s| p.allows_suite(s.value()));
        groups.retain(|g| p.allows_group(g.value()));
        schemes.retain(|s| p.allows_scheme(s.value()));
    }
}

fn client_config(opts: &Options, shared: &Shared) -> Result<ClientConfig, Failure> {
    let mut c = ClientConfig::new(TrustAnchors::default());
    // As BoringSSL's shim: the server's chain is not validated (the runner
    // makes odd certificates); its signatures still are.
    c.dangerous_accept_any_server_certificate = true;
    c.verify_callback = verify_callback(opts);
    if let Some(groups) = groups(opts)? {
        c.groups = groups;
    }
    if let Some(schemes) = schemes(&opts.verify_prefs)? {
        c.signature_schemes = schemes;
    }
    narrow(
        opts.policy,
        &mut c.cipher_suites,
        &mut c.groups,
        &mut c.signature_schemes,
    );
    c.client_certificates = certificates(opts)?;
    c.alpn_protocols = opts.advertise_alpn.clone();
    c.session_store = Some(shared.store.clone());
    c.enable_tickets = !opts.no_ticket;
    c.peer_renegotiation = match opts.renegotiate {
        Renegotiate::Never | Renegotiate::Ignore => Renegotiation::Never,
        Renegotiate::Once => Renegotiation::Once,
        Renegotiate::Freely => Renegotiation::Freely,
    };
    Ok(c)
}

fn server_config(opts: &Options, shared: &Shared) -> Result<ServerConfig, Failure> {
    let mut s = ServerConfig::new(Vec::new());
    s.certificates = certificates(opts)?;
    if s.certificates.is_empty() {
        return Err(Failure::Unimplemented(
            "a server without a certificate".into(),
        ));
    }
    if let Some(groups) = groups(opts)? {
        s.groups = groups;
    }
    if let Some(schemes) = schemes(&opts.verify_prefs)? {
        s.signature_schemes = schemes;
    }
    narrow(
        opts.policy,
        &mut s.cipher_suites,
        &mut s.groups,
        &mut s.signature_schemes,
    );
    s.prefer_client_order = !opts.server_preference;
    let anchors = Arc::new(TrustAnchors::default());
    s.client_auth = if opts.require_any_client_certificate {
        ClientAuth::Required(anchors)
    } else if opts.verify_peer {
        ClientAuth::Optional(anchors)
    } else {
        ClientAuth::None
    };
    // As BoringSSL's shim: any client certificate will do; its
    // CertificateVerify is still checked.
    s.dangerous_accept_any_client_certificate = true;
    s.verify_callback = verify_callback(opts);
    s.alpn_protocols = match (&opts.select_alpn, opts.reject_alpn) {
        // A protocol no client offers: the handshake fails as BoringSSL's
        // does when its selection callback refuses.
        (_, true) => vec![b"\0never offered".to_vec()],
        (Some(p), false) if !opts.decline_alpn => vec![p.clone()],
        _ => Vec::new(),
    };
    s.session_store = Some(shared.store.clone());
    s.ticket_keys = (!opts.no_ticket).then(|| shared.ticket_keys.clone());
    // BoringSSL's servers never renegotiate.
    s.peer_renegotiation = Renegotiation::Never;
    Ok(s)
}

/// `-curves`: the groups to offer or accept, in order; a group we do not
/// implement makes the test one we cannot run.
fn groups(opts: &Options) -> Result<Option<Vec<NamedGroup>>, Failure> {
    if opts.curves.is_empty() {
        return Ok(None);
    }
    opts.curves
        .iter()
        .map(|&v| match NamedGroup::from_value(v) {
            NamedGroup::Unknown(v) => Err(Failure::Unimplemented(format!("group {v}"))),
            g => Ok(g),
        })
        .collect::<Result<_, _>>()
        .map(Some)
}

/// `-verify-prefs` / `-signing-prefs`: signature schemes, in order.
fn schemes(values: &[u16]) -> Result<Option<Vec<SignatureScheme>>, Failure> {
    if values.is_empty() {
        return Ok(None);
    }
    values
        .iter()
        .map(|&v| {
            let scheme = SignatureScheme::from_value(v);
            match scheme.kind() {
                Some(_)
                    if tls12::handshake::config::DEFAULT_SIGNATURE_SCHEMES.contains(&scheme) =>
                {
                    Ok(scheme)
                }
                _ => Err(Failure::Unimplemented(format!("signature scheme {v:#06x}"))),
            }
        })
        .collect::<Result<_, _>>()
        .map(Some)
}

/// Our certificates, most preferred first: each `-new-x509-credential`,
/// then the default one (`-cert-file`/`-key-file` before any of them).
fn certificates(opts: &Options) -> Result<Vec<Arc<CertifiedKey>>, Failure> {
    let mut list = Vec::new();
    for credential in opts.credentials.iter().chain([&opts.default_credential]) {
        if let Some(ck) = certified_key(credential, opts.policy)? {
            list.push(Arc::new(ck));
        }
    }
    Ok(list)
}

/// `-cert-file` / `-key-file`, restricted to `-signing-prefs`, and kept
/// for the issuers the peer names with `-must-match-issuer`.
fn certified_key(
    credential: &Credential,
    policy: Option<Policy>,
) -> Result<Option<CertifiedKey>, Failure> {
    let (Some(cert), Some(key)) = (&credential.cert_file, &credential.key_file) else {
        return Ok(None);
    };
    let mut ck = tls12::load_certified_key(Path::new(cert), Path::new(key))
        .map_err(|e| Failure::Unimplemented(format!("credential: {e}")))?;
    let mut signing = schemes(&credential.signing_prefs)?;
    if let Some(p) = policy {
        let all = tls12::handshake::config::DEFAULT_SIGNATURE_SCHEMES.to_vec();
        let mut list = signing.unwrap_or(all);
        list.retain(|s| p.allows_scheme(s.value()));
        signing = Some(list);
    }
    if let Some(schemes) = signing {
        ck.key = ck.key.with_schemes(&schemes);
    }
    ck.issuer_must_be_listed = credential.must_match_issuer;
    Ok(Some(ck))
}
