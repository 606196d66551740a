//! curl (built on OpenSSL) against our example HTTPS server,
//! `target/<profile>/examples/server`: the server's page describes the
//! connection it arrived on, and curl's own verbose output says what it
//! negotiated, so the two views are compared.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{test_data_arg, ChildGuard, Finished};
use tls12::CipherSuite;

const TIMEOUT: Duration = Duration::from_secs(10);

/// The example server, running on a loopback port until dropped.
struct ExampleServer {
    process: ChildGuard,
    port: u16,
}

/// Starts the example server on a free loopback port with both the ECDSA
/// and the RSA `localhost` chains, plus `extra` arguments, and waits until
/// it prints "listening on 127.0.0.1:PORT".
fn example_server(extra: &[&str]) -> ExampleServer {
    let mut cmd = Command::new(common::example_binary("server"));
    cmd.args(["--listen", "127.0.0.1:0"])
        .args(["--cert", &test_data_arg("ecdsa/localhost.chain.pem")])
        .args(["--key", &test_data_arg("ecdsa/localhost.key")])
        .args(["--cert", &test_data_arg("rsa/localhost.chain.pem")])
        .args(["--key", &test_data_arg("rsa/localhost.key")])
        .args(extra);
    let mut process = ChildGuard::spawn(&mut cmd);
    let port = process.wait_for_port("listening on", TIMEOUT);
    ExampleServer { process, port }
}

/// `curl` for `https://localhost:PORT/`, TLS 1.2 only, verifying against
/// `root`, with `extra` arguments.
fn run_curl(port: u16, root: &str, extra: &[&str]) -> Finished {
    common::require_tool("curl", "--version");
    let mut cmd = Command::new("curl");
    cmd.args(["--silent", "--show-error", "--verbose"])
        .args(["--tlsv1.2", "--tls-max", "1.2"])
        .args(["--cacert", &test_data_arg(root)])
        .args(["--max-time", "8"])
        .args(["--resolve", &format!("localhost:{port}:127.0.0.1")])
        .args(extra)
        .arg(format!("https://localhost:{port}/"));
    ChildGuard::spawn(&mut cmd).finish(TIMEOUT)
}

/// [`run_curl`] against `server`, which must succeed; on failure the
/// server's own output is shown too.
fn curl(server: &mut ExampleServer, root: &str, extra: &[&str]) -> Finished {
    let out = run_curl(server.port, root, extra);
    if !out.status.success() {
        panic!(
            "curl failed: {out:#?}\nthe server: {:#?}",
            server.process.stop()
        );
    }
    out
}

/// The value of a "  name:   value" line of the server's page.
fn field<'a>(page: &'a str, name: &str) -> &'a str {
    page.lines()
        .find_map(|l| l.trim_start().strip_prefix(name))
        .unwrap_or_else(|| panic!("no {name:?} on the page:\n{page}"))
        .trim()
}

/// The suite curl reports in "SSL connection using TLSv1.2 / NAME" (its
/// OpenSSL name).
fn curl_suite(out: &Finished) -> CipherSuite {
    let name = out
        .stderr
        .lines()
        .find_map(|l| {
            l.split_once("SSL connection using TLSv1.2 / ")
                .map(|(_, n)| n.trim())
        })
        .unwrap_or_else(|| panic!("curl reported no TLS 1.2 connection: {out:#?}"));
    CipherSuite::ALL
        .into_iter()
        .find(|s| s.openssl_name() == name)
        .unwrap_or_else(|| panic!("curl negotiated {name}, not one of our suites"))
}

/// Checks the page for one fresh connection from curl, and that curl and
/// our server agree on the suite; returns the suite.
fn check_page(out: &Finished) -> CipherSuite {
    let page = &out.stdout;
    let suite = curl_suite(out);
    assert_eq!(field(page, "cipher suite:"), suite.rfc_name(), "{page}");
    assert_eq!(field(page, "handshakes:"), "1", "{page}");
    assert_eq!(field(page, "server name (SNI):"), "localhost", "{page}");
    assert_eq!(
        field(page, "this handshake:"),
        "new (full handshake)",
        "{page}"
    );
    assert_eq!(field(page, "extended master secret:"), "true", "{page}");
    assert!(
        out.stderr.contains("SSL certificate verify ok"),
        "curl did not verify our certificate: {out:#?}"
    );
    suite
}

#[test]
fn curl_gets_the_page_over_ecdsa_and_rsa() {
    let mut server = example_server(&[]);

    // Default ciphers: our server's own order puts ECDSA with AES-128-GCM
    // first, and curl offers it.
    let out = curl(&mut server, "ecdsa/root.pem", &[]);
    assert_eq!(
        check_page(&out),
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
    );

    // One RSA suite, verified against the RSA root: the other certificate.
    let out = curl(
        &mut server,
        "rsa/root.pem",
        &["--ciphers", "ECDHE-RSA-AES256-GCM-SHA384"],
    );
    assert_eq!(
        check_page(&out),
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
    );

    // The server is still up: a last request, then its guard kills it.
    let out = curl(
        &mut server,
        "ecdsa/root.pem",
        &["--ciphers", "ECDHE-ECDSA-CHACHA20-POLY1305"],
    );
    assert_eq!(
        check_page(&out),
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
    );
}

#[test]
fn curl_with_alpn_and_a_client_certificate() {
    let mut server = example_server(&[
        "--alpn",
        "http/1.1",
        "--client-ca",
        &test_data_arg("ecdsa/root.pem"),
        "--require-client-cert",
    ]);
    let out = curl(
        &mut server,
        "rsa/root.pem",
        &[
            "--ciphers",
            "ECDHE-RSA-AES128-GCM-SHA256",
            "--cert",
            &test_data_arg("ecdsa/client.chain.pem"),
            "--key",
            &test_data_arg("ecdsa/client.key"),
        ],
    );
    assert_eq!(
        check_page(&out),
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
    );
    // curl offers h2 and http/1.1; the server speaks only http/1.1.
    assert_eq!(field(&out.stdout, "ALPN protocol:"), "http/1.1");
    assert!(
        out.stderr.contains("ALPN: server accepted http/1.1"),
        "{out:#?}"
    );
    assert_eq!(
        field(&out.stdout, "client certificate:"),
        "O=tls12 test PKI, CN=tls12 test ECDSA client"
    );
}

#[test]
fn curl_without_the_required_client_certificate_is_refused() {
    let server = example_server(&[
        "--client-ca",
        &test_data_arg("ecdsa/root.pem"),
        "--require-client-cert",
    ]);
    let out = run_curl(server.port, "ecdsa/root.pem", &[]);
    // curl's exit code 35 is "SSL connect error": here our server's fatal
    // handshake_failure alert for an empty Certificate (RFC 5246 §7.4.6).
    assert_eq!(out.status.code(), Some(35), "{out:#?}");
    assert!(out.stderr.contains("alert handshake failure"), "{out:#?}");
    assert!(out.stdout.is_empty(), "{out:#?}");
}
