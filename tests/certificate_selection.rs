//! Choosing which of several certificates to present, against OpenSSL 3.
//!
//! - A server (`ServerConfig::certificates`, most preferred first) presents
//!   the first certificate the client can use: `openssl s_client` offering
//!   every suite gets the first (ECDSA); offering only ECDHE_RSA suites it
//!   gets the RSA one (§7.4.2: the key "MUST be compatible with the selected
//!   key exchange algorithm"); offering only RSA-PSS signatures too.
//! - A client (`ClientConfig::client_certificates`) sends the first that fits
//!   `openssl s_server -Verify`'s CertificateRequest (§7.4.4): its
//!   `supported_signature_algorithms` (`-client_sigalgs`), and, for a chain
//!   marked `issuer_must_be_listed`, its `certificate_authorities` (the
//!   names of `-CAfile`).
//!
//! Each side's `Connection::local_certificate` names the one it presented,
//! and the peer we did not write says which it received.

mod common;

use std::net::TcpStream;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use common::{openssl, s_server_command, start_s_server, test_data_arg};
use tls12::{ClientConfig, Stream};

const TIMEOUT: Duration = Duration::from_secs(10);

/// Our server holding an ECDSA then an RSA certificate; `s_client` with
/// `extra` connects once. Returns the index of the certificate our server
/// presented and what `s_client` printed.
fn s_client_to_two_certificate_server(extra: &[&str]) -> (usize, String) {
    let mut config = common::server_config();
    config.certificates = vec![
        Arc::new(common::certified(
            "ecdsa/localhost.chain.pem",
            "ecdsa/localhost.key",
        )),
        Arc::new(common::certified(
            "rsa/localhost.chain.pem",
            "rsa/localhost.key",
        )),
    ];
    let certificates = config.certificates.clone();
    let (port, server) = common::serve_once(config, move |stream| {
        let stream = stream.expect("our server's handshake");
        let presented = stream.connection().local_certificate().cloned().unwrap();
        certificates
            .iter()
            .position(|ck| Arc::ptr_eq(ck, &presented))
            .unwrap()
    });
    let out = openssl()
        .args([
            "s_client",
            "-tls1_2",
            "-connect",
            &format!("127.0.0.1:{port}"),
        ])
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (server.join().unwrap(), stdout)
}

#[test]
fn our_server_presents_its_first_certificate_when_the_client_takes_any() {
    let (presented, s_client) = s_client_to_two_certificate_server(&[]);
    assert_eq!(presented, 0);
    assert!(s_client.contains("ECDSA intermediate CA"), "{s_client}");
}

#[test]
fn our_server_presents_rsa_to_a_client_with_only_rsa_suites() {
    let (presented, s_client) =
        s_client_to_two_certificate_server(&["-cipher", "ECDHE-RSA-AES128-GCM-SHA256"]);
    assert_eq!(presented, 1);
    assert!(s_client.contains("RSA intermediate CA"), "{s_client}");
    assert!(!s_client.contains("ECDSA intermediate CA"), "{s_client}");
}

#[test]
fn our_server_presents_rsa_to_a_client_that_verifies_only_rsa_pss() {
    let (presented, s_client) = s_client_to_two_certificate_server(&["-sigalgs", "RSA-PSS+SHA256"]);
    assert_eq!(presented, 1);
    assert!(s_client.contains("RSA intermediate CA"), "{s_client}");
}

/// Our client holding an ECDSA chain (restricted to listed issuers when
/// `ecdsa_only_if_listed`) then an RSA one connects to `s_server -Verify 1`
/// with `extra`. Returns the index of the chain our client presented and
/// the subject `s_server` printed for it.
fn our_client_to_s_server(ecdsa_only_if_listed: bool, extra: &[&str]) -> (usize, String) {
    let mut cmd = s_server_command("ecdsa");
    cmd.args(["-naccept", "1", "-Verify", "1"]).args(extra);
    let (mut server, port) = start_s_server(&mut cmd, TIMEOUT);
    let mut ecdsa = common::certified("ecdsa/client.chain.pem", "ecdsa/client.key");
    ecdsa.issuer_must_be_listed = ecdsa_only_if_listed;
    let rsa = common::certified("rsa/client.chain.pem", "rsa/client.key");
    let mut config: ClientConfig = common::client_config();
    config.client_certificates = vec![Arc::new(ecdsa), Arc::new(rsa)];
    let config = Arc::new(config);
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut stream = Stream::connect(config.clone(), "localhost", sock).unwrap();
    let presented = stream.connection().local_certificate().cloned().unwrap();
    let index = config
        .client_certificates
        .iter()
        .position(|ck| Arc::ptr_eq(ck, &presented))
        .unwrap();
    stream.close().unwrap();
    let out = server.finish(TIMEOUT);
    let subject = out
        .stdout
        .lines()
        .find(|l| l.starts_with("subject="))
        .unwrap_or_else(|| panic!("s_server saw no client certificate: {out:#?}"))
        .to_owned();
    (index, subject)
}

#[test]
fn our_client_sends_its_first_certificate_when_the_server_takes_any() {
    let (presented, subject) = our_client_to_s_server(false, &[]);
    assert_eq!(presented, 0);
    assert!(subject.contains("ECDSA client"), "{subject}");
}

#[test]
fn our_client_sends_rsa_when_the_server_verifies_only_rsa_pss() {
    let (presented, subject) =
        our_client_to_s_server(false, &["-client_sigalgs", "RSA-PSS+SHA256"]);
    assert_eq!(presented, 1);
    assert!(subject.contains("RSA client"), "{subject}");
}

#[test]
fn our_client_sends_a_restricted_chain_only_to_a_server_naming_its_issuer() {
    let ecdsa_root = test_data_arg("ecdsa/root.pem");
    let rsa_root = test_data_arg("rsa/root.pem");
    // The ECDSA chain's intermediate is issued by the ECDSA root.
    let (presented, subject) = our_client_to_s_server(true, &["-CAfile", &ecdsa_root]);
    assert_eq!(presented, 0);
    assert!(subject.contains("ECDSA client"), "{subject}");
    // A server naming only the RSA root gets the next chain.
    let (presented, subject) = our_client_to_s_server(true, &["-CAfile", &rsa_root]);
    assert_eq!(presented, 1);
    assert!(subject.contains("RSA client"), "{subject}");
}
