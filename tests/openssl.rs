//! Interop with OpenSSL 3.0's command-line peers, `openssl s_server` and
//! `openssl s_client`, restricted to TLS 1.2: every suite × group in both
//! directions, and client authentication both ways.
//!
//! Each side checks what the *other* side negotiated as well as its own
//! view: OpenSSL prints its cipher suite ("Ciphersuite:", "Cipher is"), its
//! ECDHE group ("Server Temp Key:") and the verified peer certificate, and we
//! compare those with our [`tls12::Connection`].
//!
//! `s_server -rev` answers each line it receives with the line reversed, so
//! the bytes are checked both ways: OpenSSL must have decrypted ours to
//! reverse them, and we must decrypt its answer to compare it.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use common::{openssl, s_server_command, start_s_server, test_data_arg, ChildGuard, Finished};
use tls12::record_layer::suites::SignatureKind;
use tls12::{
    tls_error, AlertDescription, CipherSuite, ClientAuth, ClientConfig, Error, NamedGroup,
    ServerConfig, Stream,
};

/// How long any one step (a process starting, a handshake, an exit) may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// OpenSSL's name for a group (`-groups`), and the one `s_client` prints in
/// "Server Temp Key:".
fn openssl_group(group: NamedGroup) -> (&'static str, &'static str) {
    match group {
        NamedGroup::X25519 => ("X25519", "X25519, 253 bits"),
        NamedGroup::Secp256r1 => ("P-256", "ECDH, prime256v1, 256 bits"),
        NamedGroup::Secp384r1 => ("P-384", "ECDH, secp384r1, 384 bits"),
        NamedGroup::Unknown(v) => panic!("no OpenSSL name for group {v}"),
    }
}

/// The test PKI (test-data/rsa or test-data/ecdsa) whose `localhost`
/// certificate can serve `suite`.
fn pki(suite: CipherSuite) -> &'static str {
    match suite.signature_kind() {
        SignatureKind::Ecdsa => "ecdsa",
        SignatureKind::Rsa => "rsa",
    }
}

/// `openssl s_server -tls1_2 -rev` for one connection on a free loopback
/// port, serving `pki`'s localhost chain; returns it with its port once it
/// prints "ACCEPT 127.0.0.1:PORT".
fn s_server(pki: &str, extra: &[&str]) -> (ChildGuard, u16) {
    let mut cmd = s_server_command(pki);
    cmd.args(["-naccept", "1", "-rev"]).args(extra);
    start_s_server(&mut cmd, TIMEOUT)
}

fn connect(config: ClientConfig, port: u16) -> std::io::Result<Stream<TcpStream>> {
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(TIMEOUT)).unwrap();
    sock.set_nodelay(true).unwrap();
    Stream::connect(Arc::new(config), "localhost", sock)
}

/// Sends two lines (a short one, and one of several thousand bytes) to
/// `s_server -rev`, checks that each comes back reversed, then closes.
fn check_reversed_echo(stream: &mut Stream<TcpStream>) {
    let long = common::printable_payload(5000, 1);
    let lines: [&[u8]; 2] = [b"hello, openssl", &long];
    let (mut request, mut expected) = (Vec::new(), Vec::new());
    for line in lines {
        request.extend_from_slice(line);
        request.push(b'\n');
        expected.extend(line.iter().rev());
        expected.push(b'\n');
    }
    stream.write_all(&request).unwrap();
    let mut reply = vec![0; expected.len()];
    stream.read_exact(&mut reply).unwrap();
    assert!(reply == expected, "s_server -rev answered something else");
    stream.close().unwrap();
}

/// Waits for `s_server` to exit after its one connection and checks it
/// reports success and `suite`. (In `-rev` mode it prints the connection's
/// details on stderr.)
fn s_server_finished(server: &mut ChildGuard, suite: CipherSuite) -> Finished {
    let out = server.finish(TIMEOUT);
    assert!(out.status.success(), "s_server failed: {out:#?}");
    let expected = format!("Ciphersuite: {}", suite.openssl_name());
    assert!(
        out.stderr.contains(&expected),
        "s_server did not say {expected:?}: {out:#?}"
    );
    assert!(out.stderr.contains("CONNECTION CLOSED"), "{out:#?}");
    out
}

#[test]
fn our_client_to_s_server_every_suite_and_group() {
    for suite in CipherSuite::ALL {
        for group in NamedGroup::SUPPORTED {
            // OpenSSL picks: the suite and the group are forced on its side,
            // while our client offers everything. (It must offer P-256
            // anyway: OpenSSL refuses to use its P-256 ECDSA certificate for a
            // client whose supported_groups lack P-256.)
            let (group_name, _) = openssl_group(group);
            let (mut server, port) = s_server(
                pki(suite),
                &["-cipher", suite.openssl_name(), "-groups", group_name],
            );
            let mut stream = connect(common::client_config(), port)
                .unwrap_or_else(|e| panic!("{suite:?} {group:?}: {e}"));
            let est = stream.connection().established().unwrap();
            assert_eq!(est.session.cipher_suite, suite);
            assert_eq!(est.group, Some(group), "{suite:?}");
            assert!(est.session.extended_master_secret, "{suite:?} {group:?}");
            let binding = stream.connection().renegotiation_binding().unwrap();
            assert!(binding.secure_renegotiation, "{suite:?} {group:?}");
            // s_server sends its leaf and, from -cert_chain, the intermediate.
            let chain = common::certs_der(&format!("{}/localhost.chain.pem", pki(suite)));
            assert_eq!(est.peer_certificates(), chain);
            check_reversed_echo(&mut stream);
            // s_server waits up to half a second for the transport to close
            // before it exits.
            drop(stream);
            s_server_finished(&mut server, suite);
        }
    }
}

/// `openssl s_client -tls1_2` to a server on `port`, verifying the
/// certificate against `root` for the name localhost, with `extra`
/// arguments. `-ign_eof` keeps it reading after its stdin ends, until the
/// server closes.
fn s_client(port: u16, root: &str, extra: &[&str]) -> ChildGuard {
    let mut cmd = openssl();
    cmd.args([
        "s_client",
        "-tls1_2",
        "-connect",
        &format!("127.0.0.1:{port}"),
    ])
    .args(["-servername", "localhost", "-verify_hostname", "localhost"])
    .args([
        "-CAfile",
        &test_data_arg(root),
        "-verify_return_error",
        "-ign_eof",
    ])
    .args(extra);
    ChildGuard::spawn(&mut cmd)
}

/// What our server saw of one `s_client` connection.
struct Served {
    received: Vec<u8>,
    suite: CipherSuite,
    group: Option<NamedGroup>,
    server_name: Option<String>,
    peer_certificates: Vec<Vec<u8>>,
}

/// Our server for one connection: reads `request_len` bytes, answers
/// "pong:" and the bytes, closes with close_notify.
fn serve_pong(
    config: ServerConfig,
    request_len: usize,
) -> (u16, std::thread::JoinHandle<std::io::Result<Served>>) {
    common::serve_once(config, move |stream| {
        let mut stream = stream?;
        stream.get_ref().set_read_timeout(Some(TIMEOUT))?;
        let mut received = vec![0; request_len];
        stream.read_exact(&mut received)?;
        stream.write_all(b"pong:")?;
        stream.write_all(&received)?;
        stream.close()?;
        let est = stream.connection().established().unwrap();
        Ok(Served {
            received,
            suite: est.session.cipher_suite,
            group: est.group,
            server_name: est.session.server_name.clone(),
            peer_certificates: est.peer_certificates().to_vec(),
        })
    })
}

/// Runs `s_client` against our server: sends `request`, and checks the
/// reply, OpenSSL's verdict on our certificate, and the suite and group it
/// reports. Returns what our server saw.
fn s_client_to_our_server(
    config: ServerConfig,
    suite: CipherSuite,
    group: NamedGroup,
    extra: &[&str],
) -> Served {
    let request = common::printable_payload(3000, 2);
    let (port, server) = serve_pong(config, request.len());
    let root = format!("{}/root.pem", pki(suite));
    let mut client = s_client(port, &root, extra);
    client.stdin().write_all(&request).unwrap();
    let out = client.finish(TIMEOUT);
    let served = server
        .join()
        .unwrap()
        .unwrap_or_else(|e| panic!("our server failed: {e}; s_client said: {out:#?}"));
    assert!(out.status.success(), "s_client failed: {out:#?}");
    let mut reply = b"pong:".to_vec();
    reply.extend_from_slice(&request);
    assert!(
        out.stdout.contains(std::str::from_utf8(&reply).unwrap()),
        "s_client did not receive the reply: {out:#?}"
    );
    let checks = [
        format!("Cipher is {}", suite.openssl_name()),
        format!("Server Temp Key: {}", openssl_group(group).1),
        "Verify return code: 0 (ok)".to_owned(),
        "Extended master secret: yes".to_owned(),
        "Secure Renegotiation IS supported".to_owned(),
    ];
    for check in checks {
        assert!(
            out.stdout.contains(&check),
            "s_client did not say {check:?}: {out:#?}"
        );
    }
    assert_eq!(served.received, request);
    assert_eq!(served.suite, suite);
    assert_eq!(served.group, Some(group));
    assert_eq!(served.server_name.as_deref(), Some("localhost"));
    served
}

#[test]
fn s_client_to_our_server_every_suite_and_group() {
    for suite in CipherSuite::ALL {
        for group in NamedGroup::SUPPORTED {
            // We pick (our own order decides), so the group is forced on our
            // side; s_client offers just the suite under test.
            let mut config = common::server_config();
            config.groups = vec![group];
            let served = s_client_to_our_server(
                config,
                suite,
                group,
                &[
                    "-cipher",
                    suite.openssl_name(),
                    "-groups",
                    "X25519:P-256:P-384",
                ],
            );
            assert!(
                served.peer_certificates.is_empty(),
                "no client certificate was asked for"
            );
        }
    }
}

#[test]
fn s_client_with_a_certificate_to_our_server_requiring_one() {
    // Crossed key types, so that the client's CertificateVerify scheme is
    // not simply the suite's: an RSA client to an ECDSA server and back.
    let cases = [
        (CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "rsa"),
        (CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "ecdsa"),
    ];
    for (suite, client_pki) in cases {
        let mut config = common::server_config();
        config.client_auth = ClientAuth::Required(Arc::new(common::anchors(&[
            "rsa/root.pem",
            "ecdsa/root.pem",
        ])));
        let served = s_client_to_our_server(
            config,
            suite,
            NamedGroup::X25519,
            &[
                "-cipher",
                suite.openssl_name(),
                "-cert",
                &test_data_arg(&format!("{client_pki}/client.pem")),
                "-cert_chain",
                &test_data_arg(&format!("{client_pki}/intermediate.pem")),
                "-key",
                &test_data_arg(&format!("{client_pki}/client.key")),
            ],
        );
        // The chain as s_client sent it: its leaf, then the intermediate.
        assert_eq!(
            served.peer_certificates,
            common::certs_der(&format!("{client_pki}/client.chain.pem")),
            "{suite:?} with a {client_pki} client certificate"
        );
    }
}

/// Our client with `client_pki`'s client certificate.
fn client_config_with_certificate(client_pki: &str) -> ClientConfig {
    let mut config = common::client_config();
    config.client_certificates = vec![Arc::new(common::certified(
        &format!("{client_pki}/client.chain.pem"),
        &format!("{client_pki}/client.key"),
    ))];
    config
}

#[test]
fn our_client_with_a_certificate_to_s_server_requiring_one() {
    let cases = [
        (
            CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            "rsa",
        ),
        (CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "ecdsa"),
    ];
    for (suite, client_pki) in cases {
        let client_root = test_data_arg(&format!("{client_pki}/root.pem"));
        let (mut server, port) = s_server(
            pki(suite),
            &[
                "-cipher",
                suite.openssl_name(),
                "-Verify",
                "1",
                "-CAfile",
                &client_root,
                "-verify_return_error",
            ],
        );
        let mut stream = connect(client_config_with_certificate(client_pki), port)
            .unwrap_or_else(|e| panic!("{suite:?} with a {client_pki} client certificate: {e}"));
        assert_eq!(
            stream
                .connection()
                .established()
                .unwrap()
                .session
                .cipher_suite,
            suite
        );
        check_reversed_echo(&mut stream);
        drop(stream);
        let out = s_server_finished(&mut server, suite);
        let kind = client_pki.to_uppercase();
        let expected =
            format!("Peer certificate: O = tls12 test PKI, CN = tls12 test {kind} client");
        assert!(
            out.stderr.contains(&expected),
            "s_server did not say {expected:?}: {out:#?}"
        );
        assert!(out.stderr.contains("Verification: OK"), "{out:#?}");
    }
}

#[test]
fn our_client_without_a_certificate_is_refused_by_s_server_requiring_one() {
    let (mut server, port) = s_server(
        "ecdsa",
        &[
            "-Verify",
            "1",
            "-CAfile",
            &test_data_arg("rsa/root.pem"),
            "-verify_return_error",
        ],
    );
    let err = connect(common::client_config(), port).expect_err("s_server -Verify 1 accepted us");
    // TLS 1.2 OpenSSL answers an empty Certificate with a fatal
    // handshake_failure (RFC 5246 §7.4.6 allows exactly this).
    match tls_error(&err) {
        Some(Error::Record(tls12::record_layer::Error::PeerAlert(alert))) => {
            assert_eq!(
                alert.description,
                AlertDescription::HandshakeFailure,
                "{err}"
            );
        }
        other => panic!("expected a handshake_failure alert, got {other:?} ({err})"),
    }
    let out = server.finish(TIMEOUT);
    assert!(
        out.stderr.contains("peer did not return a certificate"),
        "s_server gave another reason: {out:#?}"
    );
}
