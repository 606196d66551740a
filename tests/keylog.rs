//! SSLKEYLOGFILE (`tls12::keylog`): the NSS key log lines our example
//! server and client write are byte for byte the ones OpenSSL writes for
//! the same connection (`s_client`/`s_server -keylogfile`), so that
//! Wireshark, given either file, decrypts the same capture; and a resumed
//! connection logs its own client random with the session's master secret.
//!
//! Key logging is opt-in: the library logs nothing unless a config's
//! `key_log` says where (the examples choose `KeyLogFile::from_env`, which
//! honours SSLKEYLOGFILE), and `KeyLogFile` writes only a private file of
//! its own. SSLKEYLOGFILE is set on the child processes; the one test that
//! sets it in this process checks that the library alone ignores it.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::wire::Pair;
use common::{
    openssl, s_server_command, start_s_server, test_data_arg, ChildGuard, Finished, ScratchDir,
};
use tls12::KeyLogFile;

/// How long any one step (a process starting, a handshake, an exit) may take.
const TIMEOUT: Duration = Duration::from_secs(20);

/// The `CLIENT_RANDOM <client random> <master secret>` lines of a key log,
/// each checked for form: 32 and 48 bytes in lowercase hex.
fn client_random_lines(file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(file)
        .unwrap_or_else(|e| panic!("no key log at {}: {e}", file.display()));
    let lines: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with("CLIENT_RANDOM "))
        .map(str::to_owned)
        .collect();
    for line in &lines {
        let fields: Vec<&str> = line.split(' ').collect();
        assert_eq!(fields.len(), 3, "{line:?}");
        assert!(is_lower_hex(fields[1], 64), "client random: {line:?}");
        assert!(is_lower_hex(fields[2], 96), "master secret: {line:?}");
    }
    lines
}

fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Our example server on a free loopback port, logging keys to `keylog`;
/// returns it with its port once it says where it listens.
fn our_server(keylog: &Path) -> (ChildGuard, u16) {
    let mut cmd = Command::new(common::example_binary("server"));
    cmd.args(["--listen", "127.0.0.1:0", "--session-cache", "memory"])
        .args(["--cert", &test_data_arg("ecdsa/localhost.chain.pem")])
        .args(["--key", &test_data_arg("ecdsa/localhost.key")])
        .env("SSLKEYLOGFILE", keylog);
    let mut server = ChildGuard::spawn(&mut cmd);
    let port = server.wait_for_port("listening on", TIMEOUT);
    (server, port)
}

/// Our example client, run to its end against `port` with `extra`
/// arguments, logging keys to `keylog`; it must succeed.
fn our_client(port: u16, keylog: &Path, extra: &[&str]) -> Finished {
    let mut cmd = Command::new(common::example_binary("client"));
    cmd.args(["--connect", &format!("127.0.0.1:{port}")])
        .args([
            "--server-name",
            "localhost",
            "--ca",
            &test_data_arg("ecdsa/root.pem"),
        ])
        .args(extra)
        .env("SSLKEYLOGFILE", keylog);
    let out = ChildGuard::spawn(&mut cmd).finish(TIMEOUT);
    assert!(out.status.success(), "our client failed: {out:#?}");
    out
}

#[test]
fn our_server_logs_the_line_s_client_logs() {
    let dir = ScratchDir::new("keylog-server");
    let (ours, theirs) = (dir.join("server.keys"), dir.join("s_client.keys"));
    let (mut server, port) = our_server(&ours);

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
        &test_data_arg("ecdsa/root.pem"),
        "-verify_return_error",
    ])
    .args(["-keylogfile", theirs.to_str().unwrap()])
    // Keep reading after stdin ends, until the server closes.
    .arg("-ign_eof");
    let mut s_client = ChildGuard::spawn(&mut cmd);
    std::io::Write::write_all(
        s_client.stdin(),
        b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let out = s_client.finish(TIMEOUT);
    assert!(out.status.success(), "s_client failed: {out:#?}");
    // The server answered: the handshake completed on its side too.
    assert!(out.stdout.contains("HTTP/1.1 200 OK"), "{out:#?}");
    let client_random = out
        .stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("client random:"))
        .map(|r| r.trim().to_owned());
    server.stop();

    let (ours, theirs) = (client_random_lines(&ours), client_random_lines(&theirs));
    assert_eq!(ours.len(), 1, "one handshake, one line: {ours:?}");
    assert_eq!(ours, theirs);
    // Our page names the connection's client random: it is the logged one.
    let client_random = client_random.expect("our server's page names the client random");
    assert!(
        ours[0].starts_with(&format!("CLIENT_RANDOM {client_random} ")),
        "{ours:?}"
    );
}

#[test]
fn our_client_logs_the_line_s_server_logs() {
    let dir = ScratchDir::new("keylog-client");
    let (ours, theirs) = (dir.join("client.keys"), dir.join("s_server.keys"));
    let mut cmd = s_server_command("ecdsa");
    cmd.args(["-naccept", "1"])
        // Answers a GET with a page describing the connection.
        .arg("-www")
        .args(["-keylogfile", theirs.to_str().unwrap()]);
    let (mut s_server, port) = start_s_server(&mut cmd, TIMEOUT);

    let out = our_client(port, &ours, &["--no-sessions"]);
    // s_server -www's page: the handshake completed on its side too.
    assert!(out.stdout.contains("HTTP/1.0 200 ok"), "{out:#?}");
    let served = s_server.finish(TIMEOUT);
    assert!(served.status.success(), "s_server failed: {served:#?}");

    let (ours, theirs) = (client_random_lines(&ours), client_random_lines(&theirs));
    assert_eq!(ours.len(), 1, "one handshake, one line: {ours:?}");
    assert_eq!(ours, theirs);
}

#[test]
fn a_resumed_connection_logs_its_own_client_random_with_the_same_master_secret() {
    let dir = ScratchDir::new("keylog-resumed");
    let (server_log, client_log) = (dir.join("server.keys"), dir.join("client.keys"));
    let (mut server, port) = our_server(&server_log);
    // Resume by session id (the server issues no tickets), from a session
    // store of this test's own.
    let sessions = dir.join("sessions");
    let out = our_client(
        port,
        &client_log,
        &["--sessions", sessions.to_str().unwrap(), "--reconnect", "1"],
    );
    server.stop();
    assert!(
        out.stderr.contains("connection 1: new session "),
        "{out:#?}"
    );
    assert!(
        out.stderr.contains("connection 2: resumed session "),
        "{out:#?}"
    );

    let lines = client_random_lines(&server_log);
    assert_eq!(lines.len(), 2, "two handshakes, two lines: {lines:?}");
    let fields: Vec<Vec<&str>> = lines.iter().map(|l| l.split(' ').collect()).collect();
    assert_ne!(
        fields[0][1], fields[1][1],
        "each connection has its own client random"
    );
    assert_eq!(fields[0][2], fields[1][2], "one session, one master secret");
    // The client logged the same two lines.
    let ours: BTreeSet<String> = client_random_lines(&client_log).into_iter().collect();
    assert_eq!(ours, lines.into_iter().collect::<BTreeSet<_>>());
}

#[test]
fn the_library_logs_nothing_unless_a_config_asks() {
    let dir = ScratchDir::new("keylog-opt-in");
    let file = dir.join("keys");
    // The only test of this binary that sets it here: the others set it on
    // their children, which this value does not reach.
    std::env::set_var("SSLKEYLOGFILE", &file);
    let mut pair = Pair::new(common::client_config(), common::server_config());
    pair.complete();
    assert!(!file.exists(), "SSLKEYLOGFILE alone must log nothing");

    let mut client = common::client_config();
    client.key_log = KeyLogFile::from_env().unwrap();
    let mut pair = Pair::new(client, common::server_config());
    pair.complete();
    std::env::remove_var("SSLKEYLOGFILE");
    let lines = client_random_lines(&file);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let est = pair.client.established().unwrap();
    assert_eq!(
        lines[0],
        format!(
            "CLIENT_RANDOM {} {}",
            hex::encode(est.client_random.0),
            hex::encode(est.session.master_secret().as_bytes())
        )
    );
}

#[cfg(unix)]
#[test]
fn a_key_log_file_is_private_and_never_followed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = ScratchDir::new("keylog-private");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;

    let created = dir.join("created.keys");
    KeyLogFile::open(&created).unwrap();
    assert_eq!(mode(&created), 0o600);

    let readable = dir.join("readable.keys");
    std::fs::write(&readable, b"").unwrap();
    std::fs::set_permissions(&readable, std::fs::Permissions::from_mode(0o644)).unwrap();
    let message = KeyLogFile::open(&readable).unwrap_err().to_string();
    assert!(message.contains("readable.keys"), "{message}");
    assert!(message.contains("mode 0644"), "{message}");

    let link = dir.join("link.keys");
    std::os::unix::fs::symlink(&created, &link).unwrap();
    let message = KeyLogFile::open(&link).unwrap_err().to_string();
    assert!(message.contains("symbolic link"), "{message}");

    // Another user's file, even private, is not ours to append secrets to.
    let theirs = dir.join("theirs.keys");
    KeyLogFile::open(&theirs).unwrap();
    std::os::unix::fs::chown(&theirs, Some(4242), None)
        .unwrap_or_else(|e| panic!("chown (run the tests as root): {e}"));
    let message = KeyLogFile::open(&theirs).unwrap_err().to_string();
    assert!(message.contains("owner uid 4242"), "{message}");
}
