//! What the benchmarks share: both stacks' configurations for the same
//! suite, group, signature scheme, certificates and keys (test-data/), and
//! in-memory handshakes between a client and a server of one stack.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::{Resumption, Tls12Resumption};
use rustls::crypto::{ring as rustls_ring, CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::HandshakeKind;
use tls12::session_store::{MemoryStore, TicketKeys};
use tls12::{
    system_clock, CipherSuite, ClientConfig, Connection, NamedGroup, ServerConfig, SignatureScheme,
};

/// One certificate type: its suite, the one signature scheme both clients
/// offer (so that both servers sign alike), and its test PKI directory.
pub struct Case {
    pub name: &'static str,
    pub suite: CipherSuite,
    pub scheme: SignatureScheme,
    pub pki: &'static str,
}

pub const CASES: [Case; 2] = [
    Case {
        name: "ECDHE-ECDSA-P256_x25519",
        suite: CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        scheme: SignatureScheme::EcdsaSecp256r1Sha256,
        pki: "ecdsa",
    },
    Case {
        name: "ECDHE-RSA-2048_x25519",
        suite: CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        scheme: SignatureScheme::RsaPssRsaeSha256,
        pki: "rsa",
    },
];

/// How the benchmarked handshakes start.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Full,
    ResumedById,
    ResumedByTicket,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Full => "full",
            Kind::ResumedById => "resumed_session_id",
            Kind::ResumedByTicket => "resumed_ticket",
        }
    }
}

pub fn test_data(case: &Case, file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("test-data")
        .join(case.pki)
        .join(file)
}

// ---------------------------------------------------------------------------
// Ours.

/// Our two configs for `case`. The server serves x25519 only; the client
/// also lists P-256, without which neither our server nor OpenSSL will use
/// a P-256 ECDSA certificate (RFC 8422 §5.1), and the rustls client lists
/// the same two.
pub fn our_configs(case: &Case, kind: Kind) -> (Arc<ClientConfig>, Arc<ServerConfig>) {
    let anchors = tls12::load_trust_anchors(&test_data(case, "root.pem")).unwrap();
    let mut client = ClientConfig::new(anchors);
    client.cipher_suites = vec![case.suite];
    client.groups = vec![NamedGroup::X25519, NamedGroup::Secp256r1];
    client.signature_schemes = vec![case.scheme];
    client.enable_tickets = kind == Kind::ResumedByTicket;

    let certified = tls12::load_certified_key(
        &test_data(case, "localhost.chain.pem"),
        &test_data(case, "localhost.key"),
    )
    .unwrap();
    let mut server = ServerConfig::new(vec![certified]);
    server.cipher_suites = vec![case.suite];
    server.groups = vec![NamedGroup::X25519];

    match kind {
        Kind::Full => {}
        Kind::ResumedById => {
            client.session_store = Some(Arc::new(MemoryStore::new(16)));
            server.session_store = Some(Arc::new(MemoryStore::new(16)));
        }
        Kind::ResumedByTicket => {
            // No server cache: session ids are empty, only the ticket resumes.
            client.session_store = Some(Arc::new(MemoryStore::new(16)));
            server.ticket_keys = Some(Arc::new(TicketKeys::new(system_clock()).unwrap()));
        }
    }
    (Arc::new(client), Arc::new(server))
}

/// Moves everything `from` has to send into `to`, which processes it.
/// Returns false if there was nothing to move.
pub fn transfer_ours(from: &mut Connection, to: &mut Connection, buf: &mut Vec<u8>) -> bool {
    buf.clear();
    while from.wants_write() {
        from.write_tls(buf).unwrap();
    }
    let mut rest = &buf[..];
    while !rest.is_empty() {
        to.read_tls(&mut rest).unwrap();
        to.process_new_packets().unwrap();
    }
    !buf.is_empty()
}

/// One complete handshake between two fresh connections of ours; returns
/// whether (client, server) say it resumed.
pub fn handshake_ours(client: &Arc<ClientConfig>, server: &Arc<ServerConfig>) -> (bool, bool) {
    let (c, s) = pair_ours(client, server);
    let resumed = |conn: &Connection| conn.established().unwrap().resumed;
    (resumed(&c), resumed(&s))
}

/// A client and a server connection of ours, handshake complete.
pub fn pair_ours(
    client: &Arc<ClientConfig>,
    server: &Arc<ServerConfig>,
) -> (Connection, Connection) {
    let mut c = Connection::client(client.clone(), "localhost").unwrap();
    let mut s = Connection::server(server.clone());
    let mut buf = Vec::with_capacity(8192);
    while c.is_handshaking() || s.is_handshaking() || c.wants_write() || s.wants_write() {
        let moved =
            transfer_ours(&mut c, &mut s, &mut buf) | transfer_ours(&mut s, &mut c, &mut buf);
        assert!(moved, "our handshake stalled");
    }
    (c, s)
}

// ---------------------------------------------------------------------------
// rustls.

/// rustls's ring provider with only `case`'s suite, x25519 and P-256, and
/// only `case`'s signature scheme for handshake signatures (certificate
/// chains are still checked with every algorithm).
pub fn rustls_provider(case: &Case) -> Arc<CryptoProvider> {
    let default = rustls_ring::default_provider();
    let suite = default
        .cipher_suites
        .iter()
        .copied()
        .find(|s| u16::from(s.suite()) == case.suite.value())
        .unwrap();
    let algorithms = default.signature_verification_algorithms;
    let mapping: Vec<_> = algorithms
        .mapping
        .iter()
        .copied()
        .filter(|(scheme, _)| u16::from(*scheme) == case.scheme.value())
        .collect();
    assert_eq!(mapping.len(), 1, "rustls has no {:?}", case.scheme);
    Arc::new(CryptoProvider {
        cipher_suites: vec![suite],
        kx_groups: vec![
            rustls_ring::kx_group::X25519,
            rustls_ring::kx_group::SECP256R1,
        ],
        signature_verification_algorithms: WebPkiSupportedAlgorithms {
            all: algorithms.all,
            // Built once per configuration, a few times per run.
            mapping: Vec::leak(mapping),
        },
        ..default
    })
}

pub fn rustls_configs(
    case: &Case,
    kind: Kind,
) -> (Arc<rustls::ClientConfig>, Arc<rustls::ServerConfig>) {
    let provider = rustls_provider(case);
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(test_data(case, "root.pem")).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let mut client = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();

    let chain = CertificateDer::pem_file_iter(test_data(case, "localhost.chain.pem"))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(test_data(case, "localhost.key")).unwrap();
    let mut server = rustls::ServerConfig::builder_with_provider(
        // The server may pick x25519 only, as ours.
        Arc::new(CryptoProvider {
            kx_groups: vec![rustls_ring::kx_group::X25519],
            ..(*provider).clone()
        }),
    )
    .with_protocol_versions(&[&rustls::version::TLS12])
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .unwrap();

    let no_server_cache = || Arc::new(rustls::server::NoServerSessionStorage {});
    match kind {
        Kind::Full => {
            client.resumption = Resumption::disabled();
            server.session_storage = no_server_cache();
        }
        Kind::ResumedById => {
            client.resumption =
                Resumption::in_memory_sessions(16).tls12_resumption(Tls12Resumption::SessionIdOnly);
            server.session_storage = rustls::server::ServerSessionMemoryCache::new(16);
        }
        Kind::ResumedByTicket => {
            client.resumption = Resumption::in_memory_sessions(16)
                .tls12_resumption(Tls12Resumption::SessionIdOrTickets);
            server.session_storage = no_server_cache();
            server.ticketer = rustls_ring::Ticketer::new().unwrap();
        }
    }
    (Arc::new(client), Arc::new(server))
}

/// Moves everything `from` has to send into `to`, which processes it.
/// Returns false if there was nothing to move.
pub fn transfer_rustls<A, B>(
    from: &mut rustls::ConnectionCommon<A>,
    to: &mut rustls::ConnectionCommon<B>,
    buf: &mut Vec<u8>,
) -> bool {
    buf.clear();
    while from.wants_write() {
        from.write_tls(buf).unwrap();
    }
    let mut rest = &buf[..];
    while !rest.is_empty() {
        to.read_tls(&mut rest).unwrap();
        to.process_new_packets().unwrap();
    }
    !buf.is_empty()
}

/// One complete rustls handshake; returns whether (client, server) say it
/// resumed.
pub fn handshake_rustls(
    client: &Arc<rustls::ClientConfig>,
    server: &Arc<rustls::ServerConfig>,
) -> (bool, bool) {
    let (c, s) = pair_rustls(client, server);
    let resumed = |kind: Option<HandshakeKind>| kind.unwrap() == HandshakeKind::Resumed;
    (resumed(c.handshake_kind()), resumed(s.handshake_kind()))
}

/// A rustls client and server connection, handshake complete.
pub fn pair_rustls(
    client: &Arc<rustls::ClientConfig>,
    server: &Arc<rustls::ServerConfig>,
) -> (rustls::ClientConnection, rustls::ServerConnection) {
    let name = ServerName::try_from("localhost").unwrap();
    let mut c = rustls::ClientConnection::new(client.clone(), name).unwrap();
    let mut s = rustls::ServerConnection::new(server.clone()).unwrap();
    let mut buf = Vec::with_capacity(8192);
    while c.is_handshaking() || s.is_handshaking() || c.wants_write() || s.wants_write() {
        let moved =
            transfer_rustls(&mut c, &mut s, &mut buf) | transfer_rustls(&mut s, &mut c, &mut buf);
        assert!(moved, "rustls handshake stalled");
    }
    (c, s)
}
