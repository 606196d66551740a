//! Keying material exporters (RFC 5705) against implementations we did
//! not write, and RFC 7627 §5.4's refusal.
//!
//! - `Connection::export_keying_material` gives the bytes rustls's
//!   `export_keying_material` gives, on our client against a rustls server
//!   and a rustls client against our server, without a context, with an
//!   empty one and with one (RFC 5705 §4: "no context" and "an empty
//!   context" differ).
//! - A session made without the extended master secret (GnuTLS with
//!   `%NO_SESSION_HASH`, both as server and as client) exports nothing:
//!   RFC 7627 §5.4 "MUST disable [RFC5705]".
//! - `Connection::tls_unique` (RFC 5929 §3.1) is the first Finished that
//!   `openssl s_server -msg` printed for the same connection: the client's
//!   on a full handshake, the server's on a resumption.

mod common;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::wire::{deliver_if_any as deliver, take};
use rustls::crypto::ring as rustls_ring;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tls12::{Connection, Error};

const LABEL: &[u8] = b"EXPERIMENTAL tls12 exporter test";
const CONTEXTS: [Option<&[u8]>; 3] = [None, Some(b""), Some(b"some context")];

fn chain(pem: &str) -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_file_iter(common::test_data(pem))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn rustls_client() -> rustls::ClientConnection {
    let mut roots = rustls::RootCertStore::empty();
    for cert in chain("ecdsa/root.pem") {
        roots.add(cert).unwrap();
    }
    let config =
        rustls::ClientConfig::builder_with_provider(Arc::new(rustls_ring::default_provider()))
            .with_protocol_versions(&[&rustls::version::TLS12])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    let name = ServerName::try_from("localhost").unwrap();
    rustls::ClientConnection::new(Arc::new(config), name).unwrap()
}

fn rustls_server() -> rustls::ServerConnection {
    let key = PrivateKeyDer::from_pem_file(common::test_data("ecdsa/localhost.key")).unwrap();
    let config =
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls_ring::default_provider()))
            .with_protocol_versions(&[&rustls::version::TLS12])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain("ecdsa/localhost.chain.pem"), key)
            .unwrap();
    rustls::ServerConnection::new(Arc::new(config)).unwrap()
}

/// Runs the handshake between ours and rustls's, in memory.
fn handshake(ours: &mut Connection, theirs: &mut rustls::Connection) {
    for _ in 0..20 {
        let mut wire = Vec::new();
        while theirs.wants_write() {
            theirs.write_tls(&mut wire).unwrap();
        }
        deliver(ours, &wire).unwrap();
        let wire = take(ours);
        let mut read = wire.as_slice();
        while !read.is_empty() {
            theirs.read_tls(&mut read).unwrap();
            theirs.process_new_packets().unwrap();
        }
        if !ours.is_handshaking() && !theirs.is_handshaking() && !theirs.wants_write() {
            return;
        }
    }
    panic!("the handshake did not finish");
}

/// Both ends export the same bytes for each context, and different bytes
/// for different contexts.
fn same_exports(ours: &Connection, theirs: &rustls::Connection, side: &str) {
    assert!(ours.established().unwrap().session.extended_master_secret);
    let mut seen = Vec::new();
    for context in CONTEXTS {
        let mut mine = [0; 64];
        ours.export_keying_material(LABEL, context, &mut mine)
            .unwrap();
        let rustls = theirs
            .export_keying_material([0; 64], LABEL, context)
            .unwrap();
        assert_eq!(mine, rustls, "{side}, context {context:?}");
        seen.push(mine);
    }
    assert!(seen[0] != seen[1] && seen[1] != seen[2] && seen[0] != seen[2]);
}

#[test]
fn our_client_exports_what_a_rustls_server_exports() {
    let mut ours = Connection::client(Arc::new(common::client_config()), "localhost").unwrap();
    let mut theirs = rustls::Connection::from(rustls_server());
    handshake(&mut ours, &mut theirs);
    same_exports(&ours, &theirs, "our client");
}

#[test]
fn our_server_exports_what_a_rustls_client_exports() {
    let mut ours = Connection::server(Arc::new(common::server_config()));
    let mut theirs = rustls::Connection::from(rustls_client());
    handshake(&mut ours, &mut theirs);
    same_exports(&ours, &theirs, "our server");
}

/// GnuTLS's priority string for TLS 1.2 without the extended master secret.
const NO_EMS: &str = "NORMAL:-VERS-ALL:+VERS-TLS1.2:%NO_SESSION_HASH";

/// A session without the extended master secret exports nothing.
fn refuses_to_export(conn: &Connection) {
    let est = conn.established().unwrap();
    assert!(!est.session.extended_master_secret, "GnuTLS sent EMS");
    for context in CONTEXTS {
        let mut out = [0; 32];
        assert_eq!(
            conn.export_keying_material(LABEL, context, &mut out),
            Err(Error::ExtendedMasterSecretRequired)
        );
        assert_eq!(out, [0; 32], "nothing was written");
    }
}

#[test]
fn our_client_exports_nothing_from_a_session_without_extended_master_secret() {
    let (_server, port) = common::gnutls::gnutls_serv(NO_EMS);
    let sock = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let stream =
        tls12::Stream::connect(Arc::new(common::client_config()), "localhost", sock).unwrap();
    refuses_to_export(stream.connection());
}

#[test]
fn our_server_exports_nothing_from_a_session_without_extended_master_secret() {
    common::require_tool("gnutls-cli", "--version");
    let (port, server) = common::serve_once(common::server_config(), |stream| {
        let stream = stream.unwrap();
        refuses_to_export(stream.connection());
    });
    // Its exit status says how the connection ended after our checks (our
    // server drops it without close_notify), not whether the handshake
    // succeeded: the server's checks say that.
    let _ = Command::new("gnutls-cli")
        .args(["--port", &port.to_string(), "--priority", NO_EMS])
        .args(["--x509cafile", &common::test_data_arg("ecdsa/root.pem")])
        .args([
            "--sni-hostname",
            "localhost",
            "--verify-hostname",
            "localhost",
        ])
        .arg("127.0.0.1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    server
        .join()
        .expect("the handshake and the server's checks");
}

// ---------------------------------------------------------------------------
// tls-unique (RFC 5929 §3.1): "the first Finished message sent ... in the
// most recent TLS handshake".

/// The `verify_data` of every Finished message `s_server -msg` printed, in
/// order, each with whether the server sent it (`>>>`) or received it.
fn finished_messages(out: &str) -> Vec<(bool, Vec<u8>)> {
    let lines: Vec<&str> = out.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if !line.contains("Handshake [length 0010], Finished") {
            continue;
        }
        // One line of 16 hex bytes: the header 14 00 00 0c, then the
        // 12 bytes of verify_data (RFC 5246 §7.4.9).
        let bytes: Vec<u8> = lines[i + 1]
            .split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect();
        assert_eq!(bytes[..4], [0x14, 0, 0, 0x0c], "{line}");
        found.push((line.starts_with(">>>"), bytes[4..].to_vec()));
    }
    found
}

#[test]
fn tls_unique_is_the_first_finished_openssl_saw() {
    let mut cmd = common::s_server_command("ecdsa");
    cmd.args(["-naccept", "2", "-msg"]);
    let (mut server, port) = common::start_s_server(&mut cmd, Duration::from_secs(10));
    let mut config = common::client_config();
    config.session_store = Some(Arc::new(tls12::session_store::MemoryStore::new(4)));
    config.enable_tickets = false;
    let config = Arc::new(config);
    let mut ours = Vec::new();
    for _ in 0..2 {
        let sock = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let mut stream = tls12::Stream::connect(config.clone(), "localhost", sock).unwrap();
        let conn = stream.connection();
        let resumed = conn.established().unwrap().resumed;
        ours.push((resumed, conn.tls_unique().expect("tls-unique").to_vec()));
        stream.close().unwrap();
    }
    let out = server.finish(Duration::from_secs(10));
    let theirs = finished_messages(&out.stdout);
    // Full handshake: client Finished, then server Finished; the
    // resumption: server Finished first (§7.3, Figures 1 and 2).
    assert_eq!(theirs.len(), 4, "{}", out.stdout);
    assert_eq!(ours[0], (false, theirs[0].1.clone()));
    assert!(!theirs[0].0, "the client's Finished comes first");
    assert_eq!(ours[1], (true, theirs[2].1.clone()));
    assert!(
        theirs[2].0,
        "on a resumption the server's Finished comes first"
    );
    assert_ne!(ours[0].1, ours[1].1);
}
