//! The example client (`examples/client.rs`) against HTTP/1.0 servers we did
//! not write, which answer without Content-Length and close (issue 11, item
//! 12): `openssl s_server -www` and `gnutls-serv --http`.
//!
//! - `renegotiate_with_openssl_s_server_www`, `renegotiate_with_gnutls_serv_http`:
//!   `client --renegotiate` reads the close-delimited reply to the server's
//!   close_notify, says the server closed, and renegotiates on a second
//!   connection: two handshakes, two client randoms.
//! - `a_declined_renegotiation_is_reported`: OpenSSL 3.0 refuses
//!   client-initiated renegotiation unless `-client_renegotiation`; the
//!   client says the server declined instead of showing one handshake as two.
//! - `renegotiate_with_our_server_stays_on_one_connection`: an HTTP/1.1
//!   server that keeps the connection gets both requests and both
//!   handshakes on it, with no second connection.
//!
//! `cargo test` builds the example client; `cargo test --test http10` alone
//! does not (run `cargo build --examples` first). The tools come from the
//! Debian packages `openssl` and `gnutls-bin` (`tests/run.sh` installs them).

mod common;

use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::ChildGuard;

const TIMEOUT: Duration = Duration::from_secs(20);

fn data(file: &str) -> String {
    common::test_data(file).to_str().unwrap().to_owned()
}

/// Panics, naming the Debian package, unless `tool version_arg` runs.
fn require(tool: &str, version_arg: &str, package: &str) {
    let ran = Command::new(tool)
        .arg(version_arg)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    assert!(
        matches!(ran, Ok(s) if s.success()),
        "`{tool}` is not on PATH: install the Debian package {package} \
         (`apt-get install {package}`; tests/run.sh does this)"
    );
}

/// `openssl s_server -www` on a free loopback port, with the ECDSA
/// `localhost` chain; and its port.
fn s_server_www(extra: &[&str]) -> (ChildGuard, u16) {
    let mut cmd = common::s_server_command("ecdsa");
    cmd.arg("-www").args(extra);
    common::start_s_server(&mut cmd, TIMEOUT)
}

/// A loopback port free a moment ago, for a server that cannot pick its own.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// `gnutls-serv --http` with the ECDSA `localhost` chain, once it accepts
/// connections; and its port.
fn gnutls_serv_http() -> (ChildGuard, u16) {
    require("gnutls-serv", "--version", "gnutls-bin");
    let port = free_port();
    let mut cmd = Command::new("gnutls-serv");
    cmd.args(["--http", "--port", &port.to_string()])
        .args(["--x509certfile", &data("ecdsa/localhost.chain.pem")])
        .args(["--x509keyfile", &data("ecdsa/localhost.key")]);
    // It announces its port on a buffered stdout: ask the port instead.
    let server = ChildGuard::spawn(&mut cmd);
    let began = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(began.elapsed() < TIMEOUT, "gnutls-serv never accepted");
        thread::sleep(Duration::from_millis(20));
    }
    (server, port)
}

/// `client --renegotiate` against `port`, trusting the ECDSA root.
fn client_renegotiate(port: u16) -> (String, String) {
    let out: Output = Command::new(common::example_binary("client"))
        .args(["--connect", &format!("127.0.0.1:{port}")])
        .args(["--server-name", "localhost"])
        .args(["--ca", &data("ecdsa/root.pem")])
        .args(["--no-sessions", "--renegotiate"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "client failed: {stderr}\n{stdout}");
    (stdout, stderr)
}

/// The two values of a row of the client's side-by-side table.
fn row<'a>(table: &'a str, label: &str) -> (&'a str, &'a str) {
    let line = table
        .lines()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no {label:?} row in:\n{table}"));
    let values: Vec<&str> = line.trim_start()[label.len()..]
        .split_whitespace()
        .collect();
    match values[..] {
        [before, after] => (before, after),
        _ => panic!("not two values: {line}"),
    }
}

/// The client renegotiated on a second connection after an HTTP/1.0
/// reply it read whole.
fn assert_renegotiated_on_a_second_connection(stdout: &str, stderr: &str) {
    assert!(stdout.starts_with("HTTP/1.0 200"), "reply: {stdout}");
    assert!(
        stderr.contains("the server closed the connection after its reply")
            && stderr.contains("second connection, two handshakes"),
        "the client did not say it used a second connection:\n{stderr}"
    );
    assert_eq!(row(stderr, "handshakes"), ("1", "2"), "{stderr}");
    let (before, after) = row(stderr, "client random");
    assert_ne!(before, after, "one handshake shown twice:\n{stderr}");
}

#[test]
fn renegotiate_with_openssl_s_server_www() {
    let (mut server, port) = s_server_www(&["-client_renegotiation"]);
    let (stdout, stderr) = client_renegotiate(port);
    assert_renegotiated_on_a_second_connection(&stdout, &stderr);
    // s_server -www describes the connection: the page ends whole.
    assert!(
        stdout.trim_end().ends_with("</HTML>"),
        "cut short: {stdout}"
    );
    server.stop();
}

#[test]
fn renegotiate_with_gnutls_serv_http() {
    let (mut server, port) = gnutls_serv_http();
    let (stdout, stderr) = client_renegotiate(port);
    assert_renegotiated_on_a_second_connection(&stdout, &stderr);
    assert!(
        stdout.trim_end().ends_with("</HTML>"),
        "cut short: {stdout}"
    );
    server.stop();
}

#[test]
fn a_declined_renegotiation_is_reported() {
    let (mut server, port) = s_server_www(&[]);
    let (stdout, stderr) = client_renegotiate(port);
    assert!(stdout.starts_with("HTTP/1.0 200"), "reply: {stdout}");
    assert!(
        stderr.contains("the server declined to renegotiate"),
        "{stderr}"
    );
    assert_eq!(row(&stderr, "handshakes"), ("1", "1"), "{stderr}");
    server.stop();
}

#[test]
fn renegotiate_with_our_server_stays_on_one_connection() {
    let (mut server, addr) = common::example_server::start(&["--session-cache", "memory"]);
    let (stdout, stderr) = client_renegotiate(addr.port());
    assert!(stdout.starts_with("HTTP/1.1 200 OK"), "reply: {stdout}");
    assert!(
        stderr.contains("same connection, two handshakes") && !stderr.contains("second connection"),
        "{stderr}"
    );
    assert_eq!(row(&stderr, "handshakes"), ("1", "2"), "{stderr}");
    // Our page names the handshake count: the second request saw both.
    assert!(stdout.contains("handshakes:         2"), "{stdout}");
    server.stop();
}
