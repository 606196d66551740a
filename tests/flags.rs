//! The examples' flags do what their `--help` says, tried with peers we did
//! not write (issue 20, item 5). (The servers' timeout flags are in
//! tests/server_limits.rs.)
//!
//! - `no_tickets_offers_no_stored_ticket_to_openssl_s_server`,
//!   `no_tickets_resumes_by_id_with_our_server`: `client --no-tickets`
//!   neither asks for a ticket nor offers one it has stored: the
//!   ClientHello the server logs has no SessionTicket extension, and the
//!   second run resumes by session id (our server, which gives both) or not
//!   at all (`openssl s_server`, whose ticketed sessions have no id), never
//!   "from: ticket".
//! - `an_http10_request_is_answered_and_closed_for_tstclnt`: NSS's
//!   `tstclnt` sends `GET / HTTP/1.0` and waits for the server to close;
//!   both example servers answer in HTTP/1.0 and close (tstclnt exits by
//!   itself) though every timeout of theirs is five minutes long.
//! - `http10_keep_alive_is_kept_then_closed_for_s_client`: `openssl
//!   s_client` sends an HTTP/1.0 request asking for keep-alive, then one
//!   that does not: both are answered on the one connection, which then
//!   closes.
//!
//! `cargo test` builds the examples; `cargo test --test flags` alone does
//! not (run `cargo build --examples` first). The tools come from the Debian
//! packages `openssl` and `libnss3-tools` (`.ci/run` installs them).

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{test_data_arg, ChildGuard, ScratchDir};

/// Far longer than any test needs: a server limit set to this never ends
/// a connection, so only the HTTP semantics can.
const NEVER: &str = "300";

/// How long a peer may take to finish, however loaded the machine.
const GENEROUS: Duration = Duration::from_secs(20);

/// The example client against `port`, keeping sessions in `sessions`:
/// what it printed on stdout (the reply) and stderr (what it resumed).
fn client(port: u16, sessions: &Path, extra: &[&str]) -> (String, String) {
    let out = Command::new(common::example_binary("client"))
        .args(["--connect", &format!("127.0.0.1:{port}")])
        .args(["--server-name", "localhost"])
        .args(["--ca", &test_data_arg("ecdsa/root.pem")])
        .args(["--sessions", sessions.to_str().unwrap()])
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "client failed: {stderr}\n{stdout}");
    (stdout, stderr)
}

/// The ClientHellos in `openssl s_server -trace`'s log, each up to the
/// server's first answer.
fn traced_client_hellos(log: &str) -> Vec<&str> {
    log.split("ClientHello, Length=")
        .skip(1)
        .map(|hello| hello.split("Sent Record").next().unwrap_or(hello))
        .collect()
}

#[test]
fn no_tickets_offers_no_stored_ticket_to_openssl_s_server() {
    let sessions = ScratchDir::new("no-tickets-openssl");
    let mut cmd = common::s_server_command("ecdsa");
    cmd.args(["-www", "-trace"]);
    let (mut server, port) = common::start_s_server(&mut cmd, GENEROUS);
    // The first run asks for a ticket, and stores the session it gets.
    let (first, _) = client(port, &sessions.join("store"), &[]);
    assert!(first.contains("New, TLSv1.2"), "{first}");
    let (second, stderr) = client(port, &sessions.join("store"), &["--no-tickets"]);
    let log = server.stop().stdout;
    let hellos = traced_client_hellos(&log);
    assert_eq!(hellos.len(), 2, "{log}");
    assert!(
        hellos[0].contains("extension_type=session_ticket(35)"),
        "the first run asked for no ticket: {}",
        hellos[0]
    );
    assert!(
        !hellos[1].contains("session_ticket"),
        "--no-tickets sent a SessionTicket extension: {}",
        hellos[1]
    );
    // OpenSSL gives a ticketed session no id: nothing left to offer.
    assert!(
        second.contains("New, TLSv1.2") && !second.contains("Reused"),
        "{second}"
    );
    assert!(stderr.contains("connection 1: new session"), "{stderr}");
}

#[test]
fn no_tickets_resumes_by_id_with_our_server() {
    let sessions = ScratchDir::new("no-tickets-ours");
    let args = ["--session-cache", "memory", "--tickets", "--trace"];
    let (mut server, addr) = common::example_server::start(&args);
    let (first, _) = client(addr.port(), &sessions.join("store"), &[]);
    assert!(first.contains("ticket issued:      true"), "{first}");
    let (second, _) = client(addr.port(), &sessions.join("store"), &["--no-tickets"]);
    // Our session had both an id and a ticket: offered by its id.
    assert!(
        second.contains("this handshake:     resumed")
            && second.contains("resumed from:       memory"),
        "not resumed by session id: {second}"
    );
    let log = server.stop().stdout;
    let tickets: Vec<&str> = log
        .lines()
        .filter(|l| {
            l.contains("[server]") && l.contains("extended_master_secret true session_ticket")
        })
        .filter(|l| !l.contains("extensions:"))
        .collect();
    assert_eq!(tickets.len(), 2, "{log}");
    assert!(
        tickets[0].contains("session_ticket 0 bytes"),
        "{}",
        tickets[0]
    );
    assert!(
        tickets[1].contains("session_ticket absent"),
        "--no-tickets sent a SessionTicket extension: {}",
        tickets[1]
    );
}

/// Panics, naming its Debian package, unless `tstclnt` can be started
/// (it has no option that exits with success).
fn require_tstclnt() {
    let started = Command::new("tstclnt")
        .arg("-Y")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    assert!(
        started.is_ok(),
        "`tstclnt` is not on PATH: install the Debian package libnss3-tools \
         (`apt-get install libnss3-tools`; .ci/run does this)"
    );
}

/// An example server (`server` or `async_server`) whose timeouts never
/// fire.
fn patient_server(example: &str) -> (ChildGuard, u16) {
    let mut args = vec!["--session-cache", "memory"];
    for flag in [
        "--timeout",
        "--handshake-timeout",
        "--request-timeout",
        "--write-timeout",
    ] {
        args.extend([flag, NEVER]);
    }
    let (server, addr) = common::example_server::start_example(example, &args);
    (server, addr.port())
}

#[test]
fn an_http10_request_is_answered_and_closed_for_tstclnt() {
    require_tstclnt();
    let scratch = ScratchDir::new("tstclnt");
    let request = scratch.join("request");
    std::fs::write(&request, "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n").unwrap();
    for example in ["server", "async_server"] {
        let (mut server, port) = patient_server(example);
        // -D: no certificate database; -o: accept the test PKI's chain;
        // -A: send the request from a file, then read until the server
        // closes.
        let mut cmd = Command::new("tstclnt");
        cmd.args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-a",
            "localhost",
        ])
        .args(["-D", "-o", "-V", "tls1.2:tls1.2", "-G"])
        .args(["-A", request.to_str().unwrap()]);
        // Exits only once the server has closed the connection: a server
        // that keeps it leaves tstclnt waiting for NEVER seconds, and
        // `finish` fails.
        let done = ChildGuard::spawn(&mut cmd).finish(GENEROUS);
        assert!(done.status.success(), "{example}: {done:?}");
        assert!(
            done.stdout.starts_with("HTTP/1.0 200 OK\r\n")
                && done.stdout.contains("\r\nConnection: close\r\n"),
            "{example} answered: {}",
            done.stdout
        );
        server.stop();
    }
}

#[test]
fn http10_keep_alive_is_kept_then_closed_for_s_client() {
    for example in ["server", "async_server"] {
        let (mut server, port) = patient_server(example);
        let mut cmd = common::openssl();
        // -ign_eof: after our requests, wait for the server to close.
        cmd.args(["s_client", "-tls1_2", "-quiet", "-ign_eof"])
            .args(["-connect", &format!("127.0.0.1:{port}")])
            .args(["-servername", "localhost"])
            .args(["-CAfile", &test_data_arg("ecdsa/root.pem")]);
        let mut client = ChildGuard::spawn(&mut cmd);
        std::io::Write::write_all(
            client.stdin(),
            b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\nGET / HTTP/1.0\r\n\r\n",
        )
        .unwrap();
        let done = client.finish(GENEROUS);
        let replies: Vec<&str> = done.stdout.split("HTTP/1.0 200 OK\r").skip(1).collect();
        assert_eq!(replies.len(), 2, "{example}: {}", done.stdout);
        assert!(
            replies[0].contains("Connection: keep-alive\r"),
            "{}",
            replies[0]
        );
        assert!(replies[1].contains("Connection: close\r"), "{}", replies[1]);
        assert!(!done.stdout.contains("HTTP/1.1"), "{}", done.stdout);
        server.stop();
    }
}

/// `client --session-lifetime 1`: a session kept from a run more than a
/// second ago is not offered again; without the flag (two hours) it is.
/// `openssl s_server -www` says which: "Reused" or "New".
#[test]
fn client_session_lifetime_bounds_what_it_offers() {
    let dir = ScratchDir::new("client-session-lifetime");
    let mut cmd = common::s_server_command("ecdsa");
    cmd.arg("-www");
    let (_server, port) = common::start_s_server(&mut cmd, GENEROUS);
    let store = dir.join("store");
    let (first, _) = client(port, &store, &["--session-lifetime", "1"]);
    assert!(first.contains("New, TLSv1.2"), "{first}");
    std::thread::sleep(Duration::from_millis(1500));
    let (second, _) = client(port, &store, &["--session-lifetime", "1"]);
    assert!(
        second.contains("New, TLSv1.2"),
        "expired, not offered: {second}"
    );
    // The same wait without the flag: the session is offered and resumed.
    let store = dir.join("default");
    let (third, _) = client(port, &store, &[]);
    assert!(third.contains("New, TLSv1.2"), "{third}");
    std::thread::sleep(Duration::from_millis(1500));
    let (fourth, _) = client(port, &store, &[]);
    assert!(fourth.contains("Reused, TLSv1.2"), "{fourth}");
}
