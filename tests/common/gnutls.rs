//! GnuTLS's `gnutls-serv` (Debian package `gnutls-bin`) as a peer we did
//! not write: started on a free loopback port, killed on drop.

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::{test_data_arg, ChildGuard};

/// `gnutls-serv --echo` serving the ECDSA `localhost` chain with the
/// priority string `priority`; returned with its port once it listens.
pub fn gnutls_serv(priority: &str) -> (ChildGuard, u16) {
    start("--echo", priority)
}

/// [`gnutls_serv`], but `--http`: a web server whose page describes the
/// connection.
pub fn gnutls_http(priority: &str) -> (ChildGuard, u16) {
    start("--http", priority)
}

fn start(mode: &str, priority: &str) -> (ChildGuard, u16) {
    let ran = Command::new("gnutls-serv")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    assert!(
        matches!(ran, Ok(s) if s.success()),
        "`gnutls-serv` is not on PATH: install the Debian package gnutls-bin \
         (`apt-get install gnutls-bin`; tests/run.sh does this)"
    );
    // gnutls-serv does not say which port it got for port 0: take a free
    // one and hand it over (another process could take it in between; the
    // wait below would then fail loudly, not pass).
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let mut cmd = Command::new("gnutls-serv");
    cmd.args(["--port", &port.to_string(), mode, "--disable-client-cert"])
        .args([
            "--x509certfile",
            &test_data_arg("ecdsa/localhost.chain.pem"),
        ])
        .args(["--x509keyfile", &test_data_arg("ecdsa/localhost.key")])
        .args(["--priority", priority]);
    // It says so on stderr ("Echo Server listening on IPv4 ...", "HTTP
    // Server listening on IPv4 ...").
    let mut server = ChildGuard::spawn_merged(&mut cmd);
    server.wait_for_line("Server listening on IPv4", Duration::from_secs(10));
    (server, port)
}
