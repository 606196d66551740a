//! Interop with rustls 0.23 (ring provider), in-process over loopback TCP:
//! our client to a rustls server and a rustls client to our server, for
//! every suite × group, and client authentication both ways.
//!
//! rustls is restricted to TLS 1.2 and to the suite and group under test
//! through a custom `CryptoProvider`; both sides' views of what was
//! negotiated are asserted, and the bytes are checked both ways.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use rustls::crypto::{ring as rustls_ring, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, StreamOwned};
use tls12::record_layer::suites::SignatureKind;
use tls12::{CipherSuite, ClientAuth, NamedGroup, Stream};

const TIMEOUT: Duration = Duration::from_secs(10);

fn rustls_suite(suite: CipherSuite) -> rustls::SupportedCipherSuite {
    use rustls_ring::cipher_suite as rs;
    match suite {
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => {
            rs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
        }
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => {
            rs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
        }
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 => {
            rs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
        }
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => {
            rs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
        }
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => {
            rs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
        }
        CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => {
            rs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
        }
    }
}

fn rustls_group(group: NamedGroup) -> &'static dyn rustls::crypto::SupportedKxGroup {
    match group {
        NamedGroup::X25519 => rustls_ring::kx_group::X25519,
        NamedGroup::Secp256r1 => rustls_ring::kx_group::SECP256R1,
        NamedGroup::Secp384r1 => rustls_ring::kx_group::SECP384R1,
        NamedGroup::Unknown(v) => panic!("rustls has no group {v}"),
    }
}

/// rustls's ring provider cut down to one suite and the `groups`.
fn provider(suite: CipherSuite, groups: &[NamedGroup]) -> Arc<CryptoProvider> {
    Arc::new(CryptoProvider {
        cipher_suites: vec![rustls_suite(suite)],
        kx_groups: groups.iter().map(|g| rustls_group(*g)).collect(),
        ..rustls_ring::default_provider()
    })
}

/// The groups a client must offer to get `group` with `suite`: our server
/// (like OpenSSL) will not use its P-256 ECDSA certificate for a client whose
/// supported_groups lack P-256 (RFC 8422 §5.1: "servers MUST NOT negotiate
/// the use of an ECC cipher suite unless they can complete the handshake
/// while respecting the choice of curves specified by the client").
fn client_groups(suite: CipherSuite, group: NamedGroup) -> Vec<NamedGroup> {
    match suite.signature_kind() {
        SignatureKind::Ecdsa if group != NamedGroup::Secp256r1 => {
            vec![group, NamedGroup::Secp256r1]
        }
        _ => vec![group],
    }
}

/// The test PKI whose `localhost` certificate serves `suite`.
fn pki(suite: CipherSuite) -> &'static str {
    match suite.signature_kind() {
        SignatureKind::Ecdsa => "ecdsa",
        SignatureKind::Rsa => "rsa",
    }
}

fn rustls_chain(pem: &str) -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_file_iter(common::test_data(pem))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn rustls_key(pem: &str) -> PrivateKeyDer<'static> {
    PrivateKeyDer::from_pem_file(common::test_data(pem)).unwrap()
}

fn rustls_roots(pems: &[&str]) -> Arc<RootCertStore> {
    let mut roots = RootCertStore::empty();
    for pem in pems {
        for cert in rustls_chain(pem) {
            roots.add(cert).unwrap();
        }
    }
    Arc::new(roots)
}

/// What one side saw of a connection.
#[derive(Debug, PartialEq)]
struct Seen {
    suite: u16,
    group: u16,
    peer_certificates: Vec<Vec<u8>>,
}

fn seen_by_rustls(conn: &rustls::CommonState) -> Seen {
    Seen {
        suite: u16::from(conn.negotiated_cipher_suite().unwrap().suite()),
        group: u16::from(conn.negotiated_key_exchange_group().unwrap().name()),
        peer_certificates: conn
            .peer_certificates()
            .unwrap_or_default()
            .iter()
            .map(|c| c.to_vec())
            .collect(),
    }
}

fn seen_by_us(stream: &Stream<TcpStream>) -> Seen {
    let est = stream.connection().established().unwrap();
    Seen {
        suite: est.session.cipher_suite.value(),
        group: est.group.unwrap().value(),
        peer_certificates: est.peer_certificates().to_vec(),
    }
}

fn loopback() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

fn connect(port: u16) -> TcpStream {
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(TIMEOUT)).unwrap();
    sock
}

/// The server's half of every exchange: reads `request.len()` bytes,
/// checks them, answers "pong:" and them reversed, then close_notify.
fn serve_pong(stream: &mut (impl Read + Write), request: &[u8]) -> std::io::Result<()> {
    let mut received = vec![0; request.len()];
    stream.read_exact(&mut received)?;
    assert!(received == request, "the server received other bytes");
    let mut reply = b"pong:".to_vec();
    reply.extend(received.iter().rev());
    stream.write_all(&reply)
}

/// The client's half: sends `request`, reads to close_notify, checks the
/// reply.
fn send_ping(stream: &mut (impl Read + Write), request: &[u8]) {
    stream.write_all(request).unwrap();
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).unwrap();
    let mut expected = b"pong:".to_vec();
    expected.extend(request.iter().rev());
    assert!(reply == expected, "the client received another reply");
}

/// A rustls server for one connection on a loopback port.
fn rustls_server(config: rustls::ServerConfig, request: Vec<u8>) -> (u16, JoinHandle<Seen>) {
    let (listener, port) = loopback();
    let config = Arc::new(config);
    let handle = thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        sock.set_read_timeout(Some(TIMEOUT)).unwrap();
        let conn = rustls::ServerConnection::new(config).unwrap();
        let mut stream = StreamOwned::new(conn, sock);
        serve_pong(&mut stream, &request).unwrap();
        stream.conn.send_close_notify();
        stream.flush().unwrap();
        seen_by_rustls(&stream.conn)
    });
    (port, handle)
}

/// A rustls client for one connection to `port`, checked by [`send_ping`].
fn rustls_client(config: rustls::ClientConfig, port: u16, request: &[u8]) -> Seen {
    let name = ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut stream = StreamOwned::new(conn, connect(port));
    send_ping(&mut stream, request);
    seen_by_rustls(&stream.conn)
}

fn rustls_server_config(suite: CipherSuite, group: NamedGroup) -> rustls::ServerConfig {
    rustls::ServerConfig::builder_with_provider(provider(suite, &[group]))
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            rustls_chain(&format!("{}/localhost.chain.pem", pki(suite))),
            rustls_key(&format!("{}/localhost.pkcs8.key", pki(suite))),
        )
        .unwrap()
}

fn rustls_client_config(suite: CipherSuite, group: NamedGroup) -> rustls::ClientConfig {
    rustls::ClientConfig::builder_with_provider(provider(suite, &client_groups(suite, group)))
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        .with_root_certificates(rustls_roots(&[&format!("{}/root.pem", pki(suite))]))
        .with_no_client_auth()
}

#[test]
fn our_client_to_rustls_server_every_suite_and_group() {
    let request = common::printable_payload(20_000, 3);
    for suite in CipherSuite::ALL {
        for group in NamedGroup::SUPPORTED {
            let (port, server) = rustls_server(rustls_server_config(suite, group), request.clone());
            // Our client offers everything: rustls, limited to one suite and
            // group, decides.
            let sock = connect(port);
            let mut stream = Stream::connect(Arc::new(common::client_config()), "localhost", sock)
                .unwrap_or_else(|e| panic!("{suite:?} {group:?}: {e}"));
            send_ping(&mut stream, &request);
            let ours = seen_by_us(&stream);
            let theirs = server.join().unwrap();
            assert_eq!(ours.suite, suite.value(), "{suite:?} {group:?}");
            assert_eq!(ours.group, group.value(), "{suite:?} {group:?}");
            assert_eq!((theirs.suite, theirs.group), (ours.suite, ours.group));
            let chain = common::certs_der(&format!("{}/localhost.chain.pem", pki(suite)));
            assert_eq!(ours.peer_certificates, chain);
            assert!(theirs.peer_certificates.is_empty());
            let est = stream.connection().established().unwrap();
            assert!(est.session.extended_master_secret, "{suite:?} {group:?}");
            let binding = stream.connection().renegotiation_binding().unwrap();
            assert!(binding.secure_renegotiation, "{suite:?} {group:?}");
        }
    }
}

/// Our server for one connection, answering by [`serve_pong`].
fn our_server(
    config: tls12::ServerConfig,
    request: Vec<u8>,
) -> (u16, JoinHandle<std::io::Result<Seen>>) {
    common::serve_once(config, move |stream| {
        let mut stream = stream?;
        stream.get_ref().set_read_timeout(Some(TIMEOUT))?;
        serve_pong(&mut stream, &request)?;
        stream.close()?;
        Ok(seen_by_us(&stream))
    })
}

#[test]
fn rustls_client_to_our_server_every_suite_and_group() {
    let request = common::printable_payload(20_000, 4);
    for suite in CipherSuite::ALL {
        for group in NamedGroup::SUPPORTED {
            // The rustls client offers only the suite under test; the group
            // is forced on our side, since our order of groups decides.
            let mut config = common::server_config();
            config.groups = vec![group];
            let (port, server) = our_server(config, request.clone());
            let theirs = rustls_client(rustls_client_config(suite, group), port, &request);
            let ours = server
                .join()
                .unwrap()
                .unwrap_or_else(|e| panic!("{suite:?} {group:?}: {e}"));
            assert_eq!(ours.suite, suite.value(), "{suite:?} {group:?}");
            assert_eq!(ours.group, group.value(), "{suite:?} {group:?}");
            assert_eq!((theirs.suite, theirs.group), (ours.suite, ours.group));
            let chain = common::certs_der(&format!("{}/localhost.chain.pem", pki(suite)));
            assert_eq!(theirs.peer_certificates, chain);
            assert!(ours.peer_certificates.is_empty());
        }
    }
}

/// Client authentication with crossed key types (the client's
/// CertificateVerify scheme differs from the suite's signature): a server
/// suite and the test PKI of the client certificate.
const CLIENT_AUTH_CASES: [(CipherSuite, &str); 2] = [
    (CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "rsa"),
    (
        CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        "ecdsa",
    ),
];

#[test]
fn our_client_with_a_certificate_to_rustls_server_requiring_one() {
    let request = b"client auth, our side".to_vec();
    for (suite, client_pki) in CLIENT_AUTH_CASES {
        let provider = provider(suite, &[NamedGroup::Secp256r1]);
        let verifier = WebPkiClientVerifier::builder_with_provider(
            rustls_roots(&[&format!("{client_pki}/root.pem")]),
            provider.clone(),
        )
        .build()
        .unwrap();
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS12])
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(
                rustls_chain(&format!("{}/localhost.chain.pem", pki(suite))),
                rustls_key(&format!("{}/localhost.pkcs8.key", pki(suite))),
            )
            .unwrap();
        let (port, server) = rustls_server(config, request.clone());
        let mut client = common::client_config();
        client.client_certificates = vec![Arc::new(common::certified(
            &format!("{client_pki}/client.chain.pem"),
            &format!("{client_pki}/client.key"),
        ))];
        let mut stream = Stream::connect(Arc::new(client), "localhost", connect(port))
            .unwrap_or_else(|e| panic!("{suite:?} with a {client_pki} client certificate: {e}"));
        send_ping(&mut stream, &request);
        let theirs = server.join().unwrap();
        assert_eq!(theirs.suite, suite.value());
        assert_eq!(theirs.group, NamedGroup::Secp256r1.value());
        assert_eq!(
            theirs.peer_certificates,
            common::certs_der(&format!("{client_pki}/client.chain.pem")),
            "rustls did not see our client chain"
        );
    }
}

#[test]
fn rustls_client_with_a_certificate_to_our_server_requiring_one() {
    let request = b"client auth, rustls side".to_vec();
    for (suite, client_pki) in CLIENT_AUTH_CASES {
        let group = NamedGroup::Secp384r1;
        let mut config = common::server_config();
        config.groups = vec![group];
        config.client_auth = ClientAuth::Required(Arc::new(common::anchors(&[&format!(
            "{client_pki}/root.pem"
        )])));
        let (port, server) = our_server(config, request.clone());
        let provider = provider(suite, &client_groups(suite, group));
        let client = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS12])
            .unwrap()
            .with_root_certificates(rustls_roots(&[&format!("{}/root.pem", pki(suite))]))
            .with_client_auth_cert(
                rustls_chain(&format!("{client_pki}/client.chain.pem")),
                rustls_key(&format!("{client_pki}/client.key")),
            )
            .unwrap();
        rustls_client(client, port, &request);
        let ours = server
            .join()
            .unwrap()
            .unwrap_or_else(|e| panic!("{suite:?} with a {client_pki} client certificate: {e}"));
        assert_eq!((ours.suite, ours.group), (suite.value(), group.value()));
        assert_eq!(
            ours.peer_certificates,
            common::certs_der(&format!("{client_pki}/client.chain.pem")),
            "our server did not see the rustls client's chain"
        );
    }
}
