//! Certificate paths against a real peer: `openssl s_server` presents
//! chains made by the generated PKI of `crates/handshake/tests/pki/`, and
//! our client (through `Stream`, as a user would) builds the path
//! (RFC 5280 §6.1) and applies name constraints (§4.2.1.10); `openssl
//! s_client` presents client chains to our server, which does the same
//! within its lower signature budget for client chains.

mod common;

#[path = "../crates/handshake/tests/pki/mod.rs"]
mod pki;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::Finished;
use common::{openssl, serve_once, ChildGuard};
use pki::{ca, client_leaf, leaf, Issued, Pki, Spec};
use tls12::handshake::x509::{CaRole, CertificateError};
use tls12::{tls_error, ClientAuth, ClientConfig, Error, ServerConfig, Stream, TrustAnchors};

const TIMEOUT: Duration = Duration::from_secs(10);

/// `openssl s_server -rev` for one connection, sending `leaf` and then the
/// certificates of `chain_file` in the file's order.
fn s_server(leaf: &Issued, chain_file: &Path) -> (ChildGuard, u16) {
    let mut cmd = openssl();
    cmd.args([
        "s_server",
        "-tls1_2",
        "-accept",
        "127.0.0.1:0",
        "-naccept",
        "1",
        "-rev",
    ])
    .arg("-cert")
    .arg(&leaf.pem)
    .arg("-key")
    .arg(&leaf.key)
    .arg("-cert_chain")
    .arg(chain_file);
    let mut server = ChildGuard::spawn(&mut cmd);
    let port = server.wait_for_port("ACCEPT", TIMEOUT);
    (server, port)
}

/// Connects our client, trusting `root` only, asking for `name`; on
/// success checks one reversed line.
fn connect(root: &Issued, port: u16, name: &str) -> Result<(), Error> {
    connect_with(ClientConfig::new(trusting(root)), port, name)
}

fn trusting(root: &Issued) -> TrustAnchors {
    TrustAnchors::from_der(vec![root.der.clone()]).unwrap()
}

fn connect_with(config: ClientConfig, port: u16, name: &str) -> Result<(), Error> {
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut stream = match Stream::connect(Arc::new(config), name, sock) {
        Ok(stream) => stream,
        Err(e) => return Err(tls_error(&e).cloned().unwrap_or_else(|| panic!("{e}"))),
    };
    stream.write_all(b"path\n").unwrap();
    let mut reply = [0; 5];
    stream.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"htap\n");
    stream.close().unwrap();
    Ok(())
}

fn issue(pki: &Pki, subject: &str, issuer: Option<&Issued>, extensions: &str) -> Issued {
    pki.issue(&Spec {
        subject,
        issuer,
        extensions,
        ..Spec::default()
    })
}

#[test]
fn our_client_builds_the_path_from_an_out_of_order_chain_with_an_extra() {
    let pki = Pki::new("e2e-order");
    let root = issue(&pki, "/O=e2e/CN=root", None, &ca(""));
    let upper = issue(&pki, "/O=e2e/CN=upper", Some(&root), &ca(""));
    let lower = issue(&pki, "/O=e2e/CN=lower", Some(&upper), &ca(""));
    let host = issue(
        &pki,
        "/O=e2e/CN=localhost",
        Some(&lower),
        &leaf("DNS:localhost"),
    );
    let extra = issue(&pki, "/O=e2e/CN=unrelated", None, &ca(""));
    // Sent: host, then upper before lower, with an unrelated root between.
    let (mut server, port) = s_server(&host, &pki.pem_file(&[&upper, &extra, &lower]));
    assert_eq!(connect(&root, port, "localhost"), Ok(()));
    assert!(server.finish(TIMEOUT).status.success());

    // The same chain without `upper` has no path: unknown_ca, naming the
    // certificate whose issuer is missing.
    let (mut server, port) = s_server(&host, &pki.pem_file(&[&extra, &lower]));
    assert_eq!(
        connect(&root, port, "localhost"),
        Err(Error::Certificate(CertificateError::UnknownIssuer {
            subject: "O=e2e, CN=lower".into(),
            issuer: "O=e2e, CN=upper".into()
        }))
    );
    let out = server.finish(TIMEOUT);
    assert!(
        out.stderr.contains("alert unknown ca") || out.stdout.contains("alert unknown ca"),
        "s_server did not report our unknown_ca alert: {out:#?}"
    );
}

#[test]
fn our_client_applies_an_intermediates_name_constraints() {
    let pki = Pki::new("e2e-nc");
    let root = issue(&pki, "/O=e2e/CN=root", None, &ca(""));
    let constrained = issue(
        &pki,
        "/O=e2e/CN=constrained",
        Some(&root),
        &ca("nameConstraints=critical,permitted;DNS:localhost\n"),
    );
    let inside = issue(
        &pki,
        "/O=e2e/CN=inside",
        Some(&constrained),
        &leaf("DNS:localhost"),
    );
    let (mut server, port) = s_server(&inside, &pki.pem_file(&[&constrained]));
    assert_eq!(connect(&root, port, "localhost"), Ok(()));
    assert!(server.finish(TIMEOUT).status.success());

    let outside = issue(
        &pki,
        "/O=e2e/CN=outside",
        Some(&constrained),
        &leaf("DNS:localhost,DNS:evil.test"),
    );
    let (mut server, port) = s_server(&outside, &pki.pem_file(&[&constrained]));
    let err = connect(&root, port, "localhost").unwrap_err();
    assert_eq!(
        err.to_string(),
        "certificate rejected: intermediate O=e2e, CN=constrained: name evil.test of certificate \
         \"O=e2e, CN=outside\" is outside its permitted subtrees (localhost) \
         (RFC 5280 §4.2.1.10)"
    );
    let out = server.finish(TIMEOUT);
    assert!(
        out.stderr.contains("alert bad certificate")
            || out.stdout.contains("alert bad certificate"),
        "s_server did not report our bad_certificate alert: {out:#?}"
    );
}

/// root <- upper <- lower <- a `localhost` leaf with `eku`.
fn two_deep(pki: &Pki, eku: &str) -> (Issued, Issued, Issued, Issued) {
    let root = issue(pki, "/O=e2e/CN=root", None, &ca(""));
    let upper = issue(pki, "/O=e2e/CN=upper", Some(&root), &ca(""));
    let lower = issue(pki, "/O=e2e/CN=lower", Some(&upper), &ca(""));
    let host = issue(
        pki,
        "/O=e2e/CN=localhost",
        Some(&lower),
        &format!(
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
             extendedKeyUsage={eku}\nsubjectAltName=DNS:localhost\n"
        ),
    );
    (root, upper, lower, host)
}

#[test]
fn the_clients_max_path_depth_is_applied() {
    let pki = Pki::new("e2e-depth");
    let (root, upper, lower, host) = two_deep(&pki, "serverAuth");
    let chain = pki.pem_file(&[&lower, &upper]);
    let mut config = ClientConfig::new(trusting(&root));
    config.max_path_depth = 1;
    let (mut server, port) = s_server(&host, &chain);
    assert_eq!(
        connect_with(config.clone(), port, "localhost"),
        Err(Error::Certificate(CertificateError::PathTooDeep {
            subject: "O=e2e, CN=lower".into(),
            max: 1
        }))
    );
    server.finish(TIMEOUT);
    config.max_path_depth = 2;
    let (mut server, port) = s_server(&host, &chain);
    assert_eq!(connect_with(config, port, "localhost"), Ok(()));
    assert!(server.finish(TIMEOUT).status.success());
}

/// Our server, requiring a client certificate under `root`, its config
/// then changed by `configure`, and `openssl s_client` sending `client`
/// with the certificates of `chain_file` in the file's order. What our
/// server's handshake gave, and what `s_client` printed.
fn client_chain_to_our_server(
    root: &Issued,
    configure: impl FnOnce(&mut ServerConfig),
    client: &Issued,
    chain_file: &Path,
) -> (Result<(), Error>, Finished) {
    let mut config = common::server_config();
    config.client_auth = ClientAuth::Required(Arc::new(trusting(root)));
    configure(&mut config);
    let (port, handle) = serve_once(config, |accepted| match accepted {
        Ok(mut stream) => {
            let _ = stream.close();
            Ok(())
        }
        Err(e) => Err(tls_error(&e).cloned().unwrap_or_else(|| panic!("{e}"))),
    });
    let mut cmd = openssl();
    cmd.args([
        "s_client",
        "-tls1_2",
        "-connect",
        &format!("127.0.0.1:{port}"),
    ])
    .arg("-cert")
    .arg(&client.pem)
    .arg("-key")
    .arg(&client.key)
    .arg("-cert_chain")
    .arg(chain_file)
    .stdin(std::process::Stdio::null());
    let mut client = ChildGuard::spawn(&mut cmd);
    let result = handle.join().unwrap();
    (result, client.finish(TIMEOUT))
}

/// Whether `s_client` reported the fatal `alert` our server sent.
fn reported(out: &Finished, alert: &str) -> bool {
    let needle = format!("alert {alert}");
    out.stderr.contains(&needle) || out.stdout.contains(&needle)
}

#[test]
fn our_server_builds_the_clients_path_within_its_max_path_depth() {
    let pki = Pki::new("e2e-client");
    let (root, upper, lower, client) = two_deep(&pki, "clientAuth");
    let extra = issue(&pki, "/O=e2e/CN=unrelated", None, &ca(""));
    // Out of order, with an extra.
    let chain = pki.pem_file(&[&upper, &extra, &lower]);
    let depth = |max_path_depth| {
        move |config: &mut ServerConfig| {
            config.max_path_depth = max_path_depth;
        }
    };
    let (result, _) = client_chain_to_our_server(&root, depth(6), &client, &chain);
    assert_eq!(result, Ok(()));
    let (result, _) = client_chain_to_our_server(&root, depth(1), &client, &chain);
    assert_eq!(
        result,
        Err(Error::Certificate(CertificateError::PathTooDeep {
            subject: "O=e2e, CN=lower".into(),
            max: 1
        }))
    );
}

/// A good chain whose path costs 28 signature checks to find
/// ([`Pki::maze`]): our server refuses it from a client, within its
/// default budget of 16 for client chains, with `unknown_ca`; raised to
/// 100 it accepts it. Our client accepts the same maze from a server: the
/// budget for server chains stays 100.
#[test]
fn our_server_spends_less_on_a_client_chain_than_our_client_on_a_server_chain() {
    let pki = Pki::new("e2e-maze");
    let root = issue(&pki, "/O=e2e/CN=root", None, &ca(""));
    let client = pki.maze(&root, &client_leaf("DNS:client.test"));
    let chain = pki.pem_file(&client[1..].iter().collect::<Vec<_>>());
    let (result, out) = client_chain_to_our_server(&root, |_| {}, &client[0], &chain);
    assert_eq!(
        result,
        Err(Error::Certificate(
            CertificateError::TooManySignatureChecks { max: 16 }
        ))
    );
    assert!(reported(&out, "unknown ca"), "{out:#?}");
    let budget = |config: &mut ServerConfig| config.max_client_signature_checks = 100;
    let (result, _) = client_chain_to_our_server(&root, budget, &client[0], &chain);
    assert_eq!(result, Ok(()));

    let server = pki.maze(&root, &leaf("DNS:localhost"));
    let chain = pki.pem_file(&server[1..].iter().collect::<Vec<_>>());
    let (mut s_server, port) = s_server(&server[0], &chain);
    assert_eq!(connect(&root, port, "localhost"), Ok(()));
    assert!(s_server.finish(TIMEOUT).status.success());
}

/// RFC 5280 §4.2.1.10's rfc822Name constraints on a client chain: a CA
/// permitting the mail domain `.example.com` vouches for a client named
/// alice@mail.example.com, not for one named alice@example.org.
#[test]
fn our_server_applies_email_constraints_to_a_client_chain() {
    let pki = Pki::new("e2e-mail");
    let root = issue(&pki, "/O=e2e/CN=root", None, &ca(""));
    let mail_ca = issue(
        &pki,
        "/O=e2e/CN=mail ca",
        Some(&root),
        &ca("nameConstraints=critical,permitted;email:.example.com\n"),
    );
    let chain = pki.pem_file(&[&mail_ca]);
    let inside = issue(
        &pki,
        "/O=e2e/CN=alice",
        Some(&mail_ca),
        &client_leaf("email:alice@mail.example.com"),
    );
    let (result, _) = client_chain_to_our_server(&root, |_| {}, &inside, &chain);
    assert_eq!(result, Ok(()));
    let outside = issue(
        &pki,
        "/O=e2e/CN=alice",
        Some(&mail_ca),
        &client_leaf("email:alice@example.org"),
    );
    let (result, out) = client_chain_to_our_server(&root, |_| {}, &outside, &chain);
    assert_eq!(
        result,
        Err(Error::Certificate(CertificateError::NameNotPermitted {
            role: CaRole::Intermediate,
            ca: "O=e2e, CN=mail ca".into(),
            subject: "O=e2e, CN=alice".into(),
            name: "alice@example.org".into(),
            permitted: vec![".example.com".into()]
        }))
    );
    assert!(reported(&out, "bad certificate"), "{out:#?}");
}

#[test]
fn a_forged_subject_stays_on_its_line_in_the_example_servers_log() {
    // Names that would end the server's log line, forge one of their own
    // and turn the terminal red, in a chain no root of the server's signs.
    let pki = Pki::new("escape");
    let forged = "\n127.0.0.1:1: forged line \u{1b}[31mred";
    let ca_subject = format!("/CN=evil CA{forged}");
    let issuer = issue(&pki, &ca_subject, None, &ca(""));
    let leaf_subject = format!("/CN=evil client{forged}");
    let client = issue(
        &pki,
        &leaf_subject,
        Some(&issuer),
        "extendedKeyUsage=clientAuth",
    );
    assert!(client.subject.contains(forged), "{:?}", client.subject);
    let args = ["--session-cache", "memory", "--require-client-cert"];
    let root = common::test_data_arg("ecdsa/root.pem");
    let (mut server, addr) =
        common::example_server::start(&[&args[..], &["--client-ca", &root]].concat());
    let mut cmd = openssl();
    cmd.args(["s_client", "-tls1_2", "-connect", &addr.to_string()])
        .arg("-cert")
        .arg(&client.pem)
        .arg("-key")
        .arg(&client.key)
        .stdin(std::process::Stdio::null());
    // The leaf alone: its issuer unknown, both names in the message.
    ChildGuard::spawn(&mut cmd).finish(TIMEOUT);
    let line = server.wait_for_line("certificate rejected", TIMEOUT);
    let log = server.stop().stdout;
    // Both names, escaped, on the one line that refuses them.
    let escaped = "\\n127.0.0.1:1: forged line \\u{1b}[31mred";
    assert!(
        line.contains(&format!("evil client{escaped}"))
            && line.contains(&format!("evil CA{escaped}")),
        "{line:?}"
    );
    assert!(!log.contains('\u{1b}'), "a raw escape in the log: {log:?}");
    assert!(
        !log.lines().any(|l| l.starts_with("127.0.0.1:1: forged")),
        "a forged line in the log: {log:?}"
    );
}
