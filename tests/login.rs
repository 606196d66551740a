//! The example server's login (`GET /login?user=NAME`): an application
//! session named by a cookie, independent of the TLS session. curl (a peer
//! we did not write) keeps the cookie in a jar across its own processes,
//! so each of its requests is a brand-new TLS session; our client resumes
//! one TLS session without sending the cookie.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use common::{test_data_arg, ChildGuard, ScratchDir};
use tls12::session_store::MemoryStore;
use tls12::Stream;

const TIMEOUT: Duration = Duration::from_secs(10);

/// The page of `https://localhost:PORT{path}` as curl gets it, with
/// `extra` arguments.
fn curl(port: u16, path: &str, extra: &[&str]) -> String {
    common::require_tool("curl", "--version");
    let out = ChildGuard::spawn(
        Command::new("curl")
            .args(["--silent", "--show-error", "--tlsv1.2", "--tls-max", "1.2"])
            .args(["--cacert", &test_data_arg("ecdsa/root.pem")])
            .args(["--resolve", &format!("localhost:{port}:127.0.0.1")])
            .args(extra)
            .arg(format!("https://localhost:{port}{path}")),
    )
    .finish(TIMEOUT);
    assert!(out.status.success(), "curl: {out:#?}");
    out.stdout
}

/// [`curl`] with the cookie jar `jar` (read and written).
fn curl_page(port: u16, path: &str, jar: &std::path::Path) -> String {
    let jar = jar.to_str().unwrap();
    curl(port, path, &["--cookie", jar, "--cookie-jar", jar])
}

fn field<'a>(page: &'a str, name: &str) -> &'a str {
    page.lines()
        .find_map(|l| l.trim_start().strip_prefix(name))
        .unwrap_or_else(|| panic!("no {name:?} on the page:\n{page}"))
        .trim()
}

/// `GET /` from our client, with its own TLS session store; no cookie.
fn our_get(config: &Arc<tls12::ClientConfig>, port: u16) -> String {
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut stream = Stream::connect(config.clone(), "localhost", sock).unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn a_cookie_and_a_tls_session_are_independent() {
    let (_server, addr) = common::example_server::start(&["--session-cache", "memory"]);
    let port = addr.port();
    let dir = ScratchDir::new("login");
    let jar = dir.join("cookies");

    // 1. Log in: a new TLS session, and a cookie.
    let page = curl_page(port, "/login?user=alice", &jar);
    assert!(
        field(&page, "login:").starts_with("logged in as alice"),
        "{page}"
    );
    let tls1 = field(&page, "session id:").to_owned();
    assert_eq!(field(&page, "this handshake:"), "new (full handshake)");

    // 2. The same cookie over a brand-new TLS session: still logged in.
    let page = curl_page(port, "/", &jar);
    assert!(
        field(&page, "login:").starts_with("logged in as alice"),
        "{page}"
    );
    assert_eq!(field(&page, "this handshake:"), "new (full handshake)");
    assert_ne!(field(&page, "session id:"), tls1, "another TLS session");

    // 3. One TLS session, resumed, without the cookie: not logged in.
    let mut config = common::client_config();
    config.session_store = Some(Arc::new(MemoryStore::new(4)));
    let config = Arc::new(config);
    let first = our_get(&config, port);
    let again = our_get(&config, port);
    assert_eq!(field(&again, "this handshake:"), "resumed", "{again}");
    assert_eq!(field(&again, "session id:"), field(&first, "session id:"));
    assert_eq!(
        field(&again, "login:"),
        "not logged in: no cookie (log in: /login?user=NAME)"
    );
}

#[test]
fn a_login_ends_with_its_own_lifetime() {
    let (_server, addr) = common::example_server::start(&[
        "--session-cache",
        "memory",
        "--app-session-lifetime",
        "1",
    ]);
    let port = addr.port();
    let dir = ScratchDir::new("login-expiry");
    let jar = dir.join("cookies");
    let page = curl_page(port, "/login?user=bob", &jar);
    assert!(
        field(&page, "login:").starts_with("logged in as bob"),
        "{page}"
    );
    std::thread::sleep(Duration::from_millis(2100));
    // curl drops a cookie past its Max-Age; send it anyway, by hand.
    let cookie = std::fs::read_to_string(&jar).unwrap();
    let value = cookie
        .lines()
        .find_map(|l| {
            l.split_once("app_session\t")
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| panic!("no cookie in the jar: {cookie}"));
    let header = format!("Cookie: app_session={value}");
    let page = curl(port, "/", &["--header", &header]);
    assert_eq!(
        field(&page, "login:"),
        "not logged in: the application session expired"
    );
}
