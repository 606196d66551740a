//! A web stack over tls12, tried with peers we did not write (issue 23):
//! examples/axum_server.rs (axum on hyper-util's auto builder, over
//! `TlsAcceptor`) for curl and headless Chromium, and
//! examples/hyper_client.rs (hyper over `TlsConnector`) against `openssl
//! s_server -www` and the axum example. The axum page shows the connection
//! a request came on (`<td id="alpn">h2</td>`, ...), so each test compares
//! what the peer says it negotiated with what our server saw.
//!
//! - curl `--http2`: ALPN h2, the request is HTTP/2, and the page describes
//!   curl's own connection (its local port); `--http1.1`: the same with
//!   http/1.1.
//! - curl, two URLs with `Connection: close`: the second connection is new
//!   (another port, other randoms) and resumes the first's session.
//! - Chromium: loads the page over h2.
//! - hyper_client: resumes with `openssl s_server -www` (whose page says
//!   "New" then "Reused"), and with the axum example over h2 on every
//!   connection after the first.
//! - Every flag of both examples: `--listen`, `--cert`/`--key` (the
//!   certificate served), `--ca` (what the client trusts), `--connections`,
//!   `--alpn`; `--help` and `--version`.
//!
//! `cargo test` builds the examples; `cargo test --test web` alone does not
//! (run `cargo build --examples` first). The peers come from the Debian
//! packages `curl`, `chromium` and `openssl` (tests/run.sh installs them).

mod common;

use std::net::{SocketAddr, TcpListener};
use std::process::Command;
use std::time::Duration;

use common::{chromium, example_server, test_data_arg, ChildGuard, Finished};

/// How long a peer may take, however loaded the machine.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The axum example with both `localhost` chains, on a free port.
fn axum_server() -> (ChildGuard, SocketAddr) {
    example_server::start_example("axum_server", &[])
}

/// The axum example with exactly `args`, once it says where it listens.
fn axum_server_with(args: &[&str]) -> (ChildGuard, SocketAddr, String) {
    let mut cmd = Command::new(common::example_binary("axum_server"));
    cmd.args(args);
    let mut server = ChildGuard::spawn_merged(&mut cmd);
    let line = server.wait_for_line("listening on", TIMEOUT);
    let port = common::port_in(&line);
    (server, SocketAddr::from(([127, 0, 0, 1], port)), line)
}

/// curl, TLS 1.2 only, trusting `root`, for `urls` requests of
/// `https://localhost:PORT/` (curl's session cache resumes across them);
/// after each page it writes `~ LOCAL_PORT HTTP_VERSION`.
fn curl(addr: SocketAddr, root: &str, urls: usize, extra: &[&str]) -> Finished {
    common::require_tool("curl", "--version");
    let url = format!("https://localhost:{}/", addr.port());
    let mut cmd = Command::new("curl");
    cmd.args(["--silent", "--show-error", "--verbose"])
        .args(["--tlsv1.2", "--tls-max", "1.2"])
        .args(["--cacert", &test_data_arg(root)])
        .args(["--max-time", "20"])
        .args(["--resolve", &format!("localhost:{}:127.0.0.1", addr.port())])
        .args(["--write-out", "~ %{local_port} %{http_version}\n"])
        .args(extra)
        .args(std::iter::repeat_n(url, urls));
    ChildGuard::spawn(&mut cmd).finish(TIMEOUT)
}

/// One page as curl got it, with what curl says of its connection.
struct Got<'a> {
    page: &'a str,
    local_port: u16,
    http_version: &'a str,
}

/// The pages in curl's output, each ended by its `--write-out` line.
fn pages(out: &Finished) -> Vec<Got<'_>> {
    assert!(out.status.success(), "curl failed: {out:#?}");
    let mut got = Vec::new();
    let mut rest = out.stdout.as_str();
    while let Some((page, after)) = rest.split_once("\n~ ") {
        let (written, next) = after.split_once('\n').unwrap_or((after, ""));
        let (port, version) = written.split_once(' ').unwrap();
        got.push(Got {
            page,
            local_port: port.parse().unwrap(),
            http_version: version,
        });
        rest = next;
    }
    got
}

/// The value of `<td id="ID">` on the page.
fn cell<'a>(page: &'a str, id: &str) -> &'a str {
    let open = format!("<td id=\"{id}\">");
    page.split(&open)
        .nth(1)
        .and_then(|rest| rest.split("</td>").next())
        .unwrap_or_else(|| panic!("no {open} on the page:\n{page}"))
}

/// Checks the page's description of one fresh connection from local port
/// `port`: ALPN `alpn`, the request in HTTP `http`, ECDHE_ECDSA (the
/// certificate the server prefers), randoms and a session id of 32 bytes.
fn check_page(page: &str, port: u16, alpn: &str, http: &str) {
    assert_eq!(cell(page, "peer"), format!("127.0.0.1:{port}"), "{page}");
    assert_eq!(cell(page, "alpn"), alpn, "{page}");
    assert_eq!(cell(page, "http"), http, "{page}");
    assert!(
        cell(page, "suite").starts_with("TLS_ECDHE_ECDSA_WITH_"),
        "{page}"
    );
    for id in ["client-random", "server-random", "session-id"] {
        let hex = cell(page, id);
        assert!(
            hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
            "{id}: {page}"
        );
    }
}

/// curl with `flag` (`--http2`, `--http1.1`): ALPN picks `alpn`, curl
/// speaks `http_version` and the page says `page_version`.
fn curl_negotiates(flag: &str, alpn: &str, http_version: &str, page_version: &str) {
    let (_server, addr) = axum_server();
    let out = curl(addr, "ecdsa/root.pem", 1, &[flag]);
    assert!(
        out.stderr
            .contains(&format!("ALPN: server accepted {alpn}")),
        "{}",
        out.stderr
    );
    let got = pages(&out);
    assert_eq!(got.len(), 1, "{out:#?}");
    assert_eq!(got[0].http_version, http_version);
    check_page(got[0].page, got[0].local_port, alpn, page_version);
    assert_eq!(cell(got[0].page, "resumed"), "false");
}

#[test]
fn curl_http2_negotiates_h2_and_gets_the_page() {
    curl_negotiates("--http2", "h2", "2", "HTTP/2.0");
}

#[test]
fn curl_http1_1_negotiates_http_1_1() {
    curl_negotiates("--http1.1", "http/1.1", "1.1", "HTTP/1.1");
}

/// `Connection: close` ends the first connection after its answer, so the
/// second URL needs a new one: curl offers the session it kept, and the
/// server resumes it (RFC 5246 §7.3, Figure 2). Same session, new
/// connection: another port, other randoms.
#[test]
fn curl_resumes_the_session_on_its_second_connection() {
    let (_server, addr) = axum_server();
    let out = curl(
        addr,
        "ecdsa/root.pem",
        2,
        &["--http1.1", "--header", "Connection: close"],
    );
    let got = pages(&out);
    assert_eq!(got.len(), 2, "{out:#?}");
    let (first, second) = (&got[0], &got[1]);
    check_page(first.page, first.local_port, "http/1.1", "HTTP/1.1");
    check_page(second.page, second.local_port, "http/1.1", "HTTP/1.1");
    assert_ne!(first.local_port, second.local_port, "one connection");
    assert_eq!(cell(first.page, "resumed"), "false");
    assert_eq!(cell(second.page, "resumed"), "true");
    assert_eq!(
        cell(first.page, "session-id"),
        cell(second.page, "session-id")
    );
    for id in ["client-random", "server-random"] {
        assert_ne!(cell(first.page, id), cell(second.page, id), "{id}");
    }
}

/// The base64 SHA-256 of a certificate's SubjectPublicKeyInfo, as
/// Chromium's `--ignore-certificate-errors-spki-list` takes it: the way to
/// trust a test root in a fresh headless profile.
fn spki_hash(cert: &str) -> String {
    let pipeline = format!(
        "openssl x509 -in {} -pubkey -noout | openssl pkey -pubin -outform der \
         | openssl dgst -sha256 -binary | openssl base64",
        test_data_arg(cert)
    );
    common::require_tool("openssl", "version");
    let out = Command::new("sh").args(["-c", &pipeline]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn chromium_loads_the_page_over_h2() {
    chromium::require();
    let (_server, addr) = axum_server();
    let trusted = [
        spki_hash("ecdsa/localhost.pem"),
        spki_hash("rsa/localhost.pem"),
    ];
    let dom = chromium::dump_dom_url(
        &format!("https://localhost:{}/", addr.port()),
        &[
            &format!(
                "--ignore-certificate-errors-spki-list={}",
                trusted.join(",")
            ),
            "--host-resolver-rules=MAP localhost 127.0.0.1",
        ],
    );
    assert!(dom.contains("This connection and its session"), "{dom}");
    assert_eq!(cell(&dom, "alpn"), "h2", "{dom}");
    assert_eq!(cell(&dom, "http"), "HTTP/2.0", "{dom}");
    assert!(cell(&dom, "suite").starts_with("TLS_ECDHE_"), "{dom}");
}

/// What hyper_client printed for one connection.
struct Fetched<'a> {
    /// "connection N: status 200 OK, HTTP/2.0, ALPN h2, resumed true"
    line: &'a str,
    body: &'a str,
}

/// Runs the hyper client for `url`; it must succeed.
fn hyper_client(url: &str, extra: &[&str]) -> Finished {
    let mut cmd = Command::new(common::example_binary("hyper_client"));
    cmd.arg(url).args(extra);
    let out = ChildGuard::spawn(&mut cmd).finish(TIMEOUT);
    assert!(out.status.success(), "hyper_client failed: {out:#?}");
    out
}

/// Each connection's line ("connection N: status ...", the prefix
/// stripped) and the body printed after it, up to the next such line.
fn fetched(out: &Finished) -> Vec<Fetched<'_>> {
    let stdout = out.stdout.as_str();
    let mut starts = Vec::new();
    let mut at = 0;
    for line in stdout.split_inclusive('\n') {
        if line.starts_with("connection ") && line.contains(": status ") {
            starts.push(at);
        }
        at += line.len();
    }
    let ends = starts.iter().skip(1).copied().chain([stdout.len()]);
    starts
        .iter()
        .zip(ends)
        .map(|(&start, end)| {
            let report = &stdout[start + "connection ".len()..end];
            let (line, body) = report.split_once('\n').unwrap_or((report, ""));
            Fetched { line, body }
        })
        .collect()
}

#[test]
fn hyper_client_resumes_with_openssl_s_server_www() {
    let mut cmd = common::s_server_command("ecdsa");
    cmd.arg("-www");
    let (_server, port) = common::start_s_server(&mut cmd, TIMEOUT);
    let out = hyper_client(
        &format!("https://localhost:{port}/"),
        &["--ca", &test_data_arg("ecdsa/root.pem")],
    );
    let got = fetched(&out);
    assert_eq!(got.len(), 2, "{out:#?}");
    // s_server -www offers no ALPN and answers in HTTP/1.0; its page says
    // how it saw the handshake.
    assert_eq!(
        got[0].line,
        "1: status 200 OK, HTTP/1.0, ALPN (none), resumed false"
    );
    assert!(got[0].body.contains("New, TLSv1.2, Cipher is ECDHE-ECDSA-"));
    assert_eq!(
        got[1].line,
        "2: status 200 OK, HTTP/1.0, ALPN (none), resumed true"
    );
    assert!(got[1]
        .body
        .contains("Reused, TLSv1.2, Cipher is ECDHE-ECDSA-"));
}

#[test]
fn hyper_client_speaks_h2_to_the_axum_example_and_resumes() {
    let (_server, addr) = axum_server();
    let out = hyper_client(
        &format!("https://localhost:{}/", addr.port()),
        &[
            "--ca",
            &test_data_arg("ecdsa/root.pem"),
            "--connections",
            "3",
        ],
    );
    let got = fetched(&out);
    assert_eq!(got.len(), 3, "{out:#?}");
    for (n, fetched) in got.iter().enumerate() {
        let resumed = n > 0;
        assert_eq!(
            fetched.line,
            format!(
                "{}: status 200 OK, HTTP/2.0, ALPN h2, resumed {resumed}",
                n + 1
            )
        );
        // The server saw the same.
        assert_eq!(cell(fetched.body, "alpn"), "h2");
        assert_eq!(cell(fetched.body, "http"), "HTTP/2.0");
        assert_eq!(cell(fetched.body, "resumed"), resumed.to_string());
        assert_eq!(
            cell(fetched.body, "session-id"),
            cell(got[0].body, "session-id")
        );
    }
    let peers: Vec<&str> = got.iter().map(|f| cell(f.body, "peer")).collect();
    assert!(
        peers[0] != peers[1] && peers[1] != peers[2] && peers[0] != peers[2],
        "{peers:?}"
    );
}

#[test]
fn hyper_client_alpn_flag_offers_what_it_names() {
    let (_server, addr) = axum_server();
    let out = hyper_client(
        &format!("https://localhost:{}/", addr.port()),
        &[
            "--ca",
            &test_data_arg("ecdsa/root.pem"),
            "--connections",
            "1",
            "--alpn",
            "http/1.1",
        ],
    );
    let got = fetched(&out);
    assert_eq!(got.len(), 1, "{out:#?}");
    assert_eq!(
        got[0].line,
        "1: status 200 OK, HTTP/1.1, ALPN http/1.1, resumed false"
    );
    assert_eq!(cell(got[0].body, "alpn"), "http/1.1");
    assert_eq!(cell(got[0].body, "http"), "HTTP/1.1");
}

/// `--ca` is what the client trusts: the RSA root does not vouch for the
/// ECDSA certificate the server presents, so the handshake fails.
#[test]
fn hyper_client_ca_flag_is_what_it_trusts() {
    let (_server, addr) = axum_server();
    let mut cmd = Command::new(common::example_binary("hyper_client"));
    cmd.arg(format!("https://localhost:{}/", addr.port()))
        .args(["--ca", &test_data_arg("rsa/root.pem")]);
    let out = ChildGuard::spawn(&mut cmd).finish(TIMEOUT);
    assert!(!out.status.success(), "{out:#?}");
    assert!(out.stderr.contains("certificate"), "{out:#?}");
    assert!(!out.stdout.contains("connection 1"), "{out:#?}");
}

/// `--cert`/`--key` are the certificate served: with only the RSA chain,
/// curl trusting the RSA root gets the page over ECDHE_RSA, and curl
/// trusting only the ECDSA root refuses the server.
#[test]
fn axum_cert_and_key_flags_choose_the_certificate() {
    let (_server, addr, _) = axum_server_with(&[
        "--listen",
        "127.0.0.1:0",
        "--cert",
        &test_data_arg("rsa/localhost.chain.pem"),
        "--key",
        &test_data_arg("rsa/localhost.key"),
    ]);
    let out = curl(addr, "rsa/root.pem", 1, &[]);
    let got = pages(&out);
    assert!(
        cell(got[0].page, "suite").starts_with("TLS_ECDHE_RSA_WITH_"),
        "{}",
        got[0].page
    );
    let refused = curl(addr, "ecdsa/root.pem", 1, &[]);
    assert!(!refused.status.success(), "{refused:#?}");
    assert!(!refused.stdout.contains("<table>"), "{refused:#?}");
}

/// `--listen` is where the server listens: a port chosen here (free a
/// moment ago), not the default 8443.
#[test]
fn axum_listen_flag_is_where_it_listens() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let (_server, addr, line) = axum_server_with(&[
        "--listen",
        &listen,
        "--cert",
        &test_data_arg("ecdsa/localhost.chain.pem"),
        "--key",
        &test_data_arg("ecdsa/localhost.key"),
    ]);
    assert_eq!(line, format!("listening on {listen}"));
    let got = curl(addr, "ecdsa/root.pem", 1, &[]);
    assert_eq!(pages(&got).len(), 1);
}

/// `--help` names every flag, and `--version` says the crate's version.
#[test]
fn help_lists_every_flag() {
    for (example, flags) in [
        ("axum_server", &["--listen", "--cert", "--key"][..]),
        (
            "hyper_client",
            &["--ca", "--connections", "--alpn", "<URL>"][..],
        ),
    ] {
        let mut cmd = Command::new(common::example_binary(example));
        cmd.arg("--help");
        let out = ChildGuard::spawn(&mut cmd).finish(TIMEOUT);
        assert!(out.status.success(), "{out:#?}");
        for flag in flags {
            assert!(out.stdout.contains(flag), "{example}: {flag}\n{out:#?}");
        }
        let mut cmd = Command::new(common::example_binary(example));
        cmd.arg("--version");
        let out = ChildGuard::spawn(&mut cmd).finish(TIMEOUT);
        assert!(out.status.success(), "{out:#?}");
        assert_eq!(
            out.stdout.trim(),
            format!("{example} {}", env!("CARGO_PKG_VERSION"))
        );
    }
}
