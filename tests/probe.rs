//! `examples/probe.rs` against servers we did not write, set up so that
//! each fact it reports is known in advance: `openssl s_server -www`
//! (default, `-no_ticket`, `-no_cache`, `-client_renegotiation`,
//! `-no_renegotiation`), `gnutls-serv --http` (default and `%NO_TICKETS`),
//! our example server, and three of our servers behind HAProxy with and
//! without a shared Redis store. Against a closed port, a TCP echo server
//! and a silent one, the documented error and exit status 2.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

use common::haproxy::Haproxy;
use common::redis::RedisServer;
use common::{example_binary, s_server_command, start_s_server, test_data_arg, ChildGuard};
use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(10);

/// Runs the probe against `port` with `extra` (3 reconnections per test
/// unless `extra` says `-n`); its JSON report.
fn probe(port: u16, extra: &[&str]) -> Value {
    let n: &[&str] = if extra.contains(&"-n") {
        &[]
    } else {
        &["-n", "3"]
    };
    let out = Command::new(example_binary("probe"))
        .arg(format!("127.0.0.1:{port}"))
        .args([
            "--name",
            "localhost",
            "--ca",
            &test_data_arg("ecdsa/root.pem"),
        ])
        .arg("--json")
        .args(n)
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "probe failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// The probe's exit status and its one line on stderr.
fn probe_fails(target: &str, extra: &[&str]) -> (Option<i32>, String) {
    let ca = test_data_arg("ecdsa/root.pem");
    let ca: &[&str] = if extra.contains(&"--ca") {
        &[]
    } else {
        &["--ca", &ca]
    };
    let out = Command::new(example_binary("probe"))
        .arg(target)
        .args(["--timeout", "1"])
        .args(ca)
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn s_server(extra: &[&str]) -> (ChildGuard, u16) {
    let mut cmd = s_server_command("ecdsa");
    cmd.args(["-www"]).args(extra);
    start_s_server(&mut cmd, TIMEOUT)
}

fn counts(report: &Value, what: &str) -> (u64, u64) {
    let r = &report[what];
    (
        r["resumed"].as_u64().unwrap(),
        r["attempts"].as_u64().unwrap(),
    )
}

#[test]
fn openssl_s_server_default_resumes_by_id_and_ticket() {
    let (_server, port) = s_server(&[]);
    let r = probe(port, &[]);
    assert_eq!(r["version"], "TLS 1.2");
    assert_eq!(r["extended_master_secret"], true);
    assert_eq!(r["chain"].as_array().unwrap().len(), 2, "{r:#}");
    assert_eq!(counts(&r, "session_id"), (3, 3), "{r:#}");
    assert_eq!(r["session_id"]["same_id_returned"], true);
    assert_eq!(counts(&r, "tickets"), (3, 3), "{r:#}");
    assert_eq!(r["tickets"]["issued"], true);
    assert!(r["tickets"]["lifetime_hint"].as_u64().unwrap() > 0, "{r:#}");
    let corrupted = r["tickets"]["corrupted"].as_str().unwrap();
    assert!(corrupted.starts_with("full handshake"), "{corrupted}");
    assert_eq!(r["renegotiation"]["secure"], true);
    // OpenSSL 3 refuses client-initiated renegotiation unless told to.
    let reneg = r["renegotiation"]["client_initiated"].as_str().unwrap();
    assert!(
        reneg.starts_with("refused with a no_renegotiation warning"),
        "{reneg}"
    );
    assert!(r["cost"]["ratio"].as_f64().unwrap() > 0.0, "{r:#}");
    let farm = r["farm"].as_str().unwrap();
    assert!(
        farm.starts_with("every reconnection resumed (3/3)"),
        "{farm}"
    );
}

#[test]
fn openssl_s_server_without_tickets_resumes_by_id_only() {
    let (_server, port) = s_server(&["-no_ticket"]);
    let r = probe(port, &[]);
    assert_eq!(counts(&r, "session_id"), (3, 3), "{r:#}");
    assert_eq!(r["tickets"]["issued"], false, "{r:#}");
    assert_eq!(counts(&r, "tickets").0, 0, "{r:#}");
    assert!(r["tickets"]["corrupted"]
        .as_str()
        .unwrap()
        .contains("no ticket issued"));
}

#[test]
fn openssl_s_server_without_a_cache_resumes_by_ticket_only() {
    let (_server, port) = s_server(&["-no_cache"]);
    let r = probe(port, &[]);
    // An empty session_id in its ServerHello: "the session will not be
    // cached and therefore cannot be resumed" (§7.4.1.3).
    assert_eq!(counts(&r, "session_id").0, 0, "{r:#}");
    assert_eq!(
        r["session_id"]["error"],
        "the server gave no session to resume"
    );
    assert_eq!(counts(&r, "tickets"), (3, 3), "{r:#}");
}

#[test]
fn openssl_s_server_renegotiation_modes() {
    let (_server, port) = s_server(&["-client_renegotiation"]);
    let r = probe(port, &["--renegotiations", "2"]);
    assert_eq!(
        r["renegotiation"]["client_initiated"], "accepted 2 in a row",
        "{r:#}"
    );
    assert_eq!(r["renegotiation"]["in_a_row"], 2);
    drop(_server);
    let (_server, port) = s_server(&["-no_renegotiation"]);
    let r = probe(port, &[]);
    let reneg = r["renegotiation"]["client_initiated"].as_str().unwrap();
    assert!(!reneg.starts_with("accepted"), "{reneg}");
    assert_eq!(r["renegotiation"]["in_a_row"], 0);
}

#[test]
fn openssl_s_server_keeps_a_session_past_the_lifetime_bound() {
    let (_server, port) = s_server(&[]);
    let r = probe(port, &["--lifetime", "1"]);
    assert_eq!(r["lifetime"]["kept_at_least_s"], 1, "{r:#}");
    assert_eq!(r["lifetime"]["gone_by_s"], Value::Null, "{r:#}");
}

#[test]
fn gnutls_serv_with_and_without_tickets() {
    let (_server, port) = common::gnutls::gnutls_http("NORMAL");
    let r = probe(port, &[]);
    assert_eq!(counts(&r, "session_id"), (3, 3), "{r:#}");
    assert_eq!(counts(&r, "tickets"), (3, 3), "{r:#}");
    drop(_server);
    let (_server, port) = common::gnutls::gnutls_http("NORMAL:%NO_TICKETS");
    let r = probe(port, &[]);
    assert_eq!(counts(&r, "session_id"), (3, 3), "{r:#}");
    assert_eq!(r["tickets"]["issued"], false, "{r:#}");
}

#[test]
fn our_server_by_id_and_by_ticket() {
    let (_server, addr) = common::example_server::start(&["--session-cache", "memory"]);
    let r = probe(addr.port(), &[]);
    assert_eq!(counts(&r, "session_id"), (3, 3), "{r:#}");
    assert_eq!(r["tickets"]["issued"], false, "{r:#}");
    drop(_server);
    let (_server, addr) =
        common::example_server::start(&["--session-cache", "memory", "--tickets"]);
    let r = probe(addr.port(), &[]);
    assert_eq!(counts(&r, "session_id"), (3, 3), "{r:#}");
    assert_eq!(counts(&r, "tickets"), (3, 3), "{r:#}");
    assert_eq!(r["tickets"]["issued"], true, "{r:#}");
    // Ours accepts client renegotiations, up to its limit.
    assert_eq!(r["renegotiation"]["in_a_row"], 3, "{r:#}");
}

/// Three example servers with `args`, one after the other (the first
/// makes the farm key the others read).
fn start_farm(dir: &common::ScratchDir, args: &[&str]) -> (Vec<ChildGuard>, Vec<u16>) {
    let key = dir.join("farm.key");
    let mut children = Vec::new();
    let mut ports = Vec::new();
    for _ in 0..3 {
        let (child, addr) =
            common::example_server::start(&[&["--farm-key", key.to_str().unwrap()], args].concat());
        ports.push(addr.port());
        children.push(child);
    }
    (children, ports)
}

#[test]
fn three_servers_behind_haproxy_share_sessions_only_with_redis() {
    let dir = common::ScratchDir::new("probe-farm");
    let (_servers, ports) = start_farm(&dir, &["--session-cache", "memory"]);
    let proxy = Haproxy::start(&ports);
    let r = probe(proxy.port(), &["-n", "6"]);
    let farm = r["farm"].as_str().unwrap();
    assert!(farm.starts_with("sessions are not shared"), "{farm}");
    drop((_servers, proxy));

    let redis = RedisServer::start();
    let (_servers, ports) = start_farm(&dir, &["--session-cache", &redis.url()]);
    let proxy = Haproxy::start(&ports);
    let r = probe(proxy.port(), &["-n", "6"]);
    assert_eq!(counts(&r, "session_id"), (6, 6), "{r:#}");
    let farm = r["farm"].as_str().unwrap();
    assert!(
        farm.starts_with("every reconnection resumed (6/6)"),
        "{farm}"
    );
}

#[test]
fn a_closed_port_is_refused() {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let (code, stderr) = probe_fails(&format!("127.0.0.1:{port}"), &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains(": refused"), "{stderr}");
}

#[test]
fn an_echo_server_is_not_tls() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for sock in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut sock = sock;
                let mut buf = [0; 4096];
                while let Ok(n @ 1..) = sock.read(&mut buf) {
                    if sock.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            });
        }
    });
    let (code, stderr) = probe_fails(&format!("127.0.0.1:{port}"), &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains(": not TLS"), "{stderr}");
}

#[test]
fn a_silent_server_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accepted by the kernel, never answered.
    let (code, stderr) = probe_fails(&format!("127.0.0.1:{port}"), &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains(": timeout"), "{stderr}");
    drop(listener);
}

#[test]
fn alpn_and_the_text_report() {
    let (_server, addr) =
        common::example_server::start(&["--session-cache", "memory", "--alpn", "http/1.1"]);
    let r = probe(addr.port(), &["--alpn", "h2,http/1.1"]);
    assert_eq!(r["alpn"], "http/1.1", "{r:#}");
    // The text report: one line per fact, each with its RFC section.
    let out = Command::new(example_binary("probe"))
        .arg(format!("127.0.0.1:{}", addr.port()))
        .args([
            "--name",
            "localhost",
            "--ca",
            &test_data_arg("ecdsa/root.pem"),
        ])
        .args(["-n", "2", "--alpn", "http/1.1"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for line in [
        "§7.4.1.3         version                  TLS 1.2",
        "RFC 7301 §3.2    ALPN                     http/1.1",
        "§7.4.1.2         resumption by id         2/2 resumed, same id returned: true",
        "RFC 7627 §5.1    extended master secret   offered, accepted",
    ] {
        assert!(text.lines().any(|l| l == line), "no {line:?} in\n{text}");
    }
}

#[test]
fn a_chain_from_another_root_is_not_trusted() {
    let (_server, port) = s_server(&[]);
    let (code, stderr) = probe_fails(
        &format!("127.0.0.1:{port}"),
        &[
            "--name",
            "localhost",
            "--ca",
            &test_data_arg("rsa/root.pem"),
        ],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains(": certificate not trusted"), "{stderr}");
}

/// `server --session-lifetime 2`: the probe finds a session kept one
/// second and gone at two, by id and by ticket, and a ticket lifetime
/// hint (RFC 5077 §3.3) of no more than the session's two seconds.
#[test]
fn our_server_keeps_a_session_as_long_as_its_session_lifetime() {
    let (_server, addr) = common::example_server::start(&[
        "--session-cache",
        "memory",
        "--tickets",
        "--session-lifetime",
        "2",
    ]);
    let r = probe(addr.port(), &["--lifetime", "4", "-n", "2"]);
    assert_eq!(r["lifetime"]["kept_at_least_s"], 1, "{r:#}");
    assert_eq!(r["lifetime"]["gone_by_s"], 2, "{r:#}");
    let hint = r["tickets"]["lifetime_hint"].as_u64().unwrap();
    assert!((1..=2).contains(&hint), "{r:#}");
}
