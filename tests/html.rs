//! The HTML page of `tls12_trace::html` (`--html FILE` on the examples): drawn
//! from the same Observer events as the trace, it must show every handshake
//! message of the run with its exact bytes, give every byte of every
//! message to a field (the decoder's byte ranges, nested like the RFC's
//! structs), draw one sequence diagram per connection and one column per
//! session, and load nothing from the network.
//!
//! The run: in memory, our client and our server make a full handshake, a
//! resumption, a resumption followed by a renegotiation, and a resumption
//! that a forged record ends with a fatal alert. A second observer, beside
//! the page's, writes down what the client saw; the page is checked
//! against that.
//!
//! Then the examples' `--html FILE` against peers we did not write: our
//! example server's page of two `curl` connections (its ClientHellos are
//! curl's, with extensions we do not know, and their bytes must still be
//! covered field by field), and our example client's page of a connection
//! to `openssl s_server`.

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::wire::{deliver, take, Pair};
use common::{s_server_command, start_s_server, test_data_arg, ChildGuard, ScratchDir};
use tls12::handshake::observe::{Observer, TraceEvent};
use tls12::handshake::Side;
use tls12::session_store::MemoryStore;
use tls12_trace::html::{fingerprint, HtmlReport, MAX_CONNECTION_LOGS, MAX_EVENTS_PER_LOG};

/// What the client saw: every handshake message (type, bytes), every
/// session's master secret, every connection.
#[derive(Debug, Default)]
struct Log {
    messages: Mutex<Vec<(&'static str, Vec<u8>)>>,
    master_secrets: Mutex<Vec<Vec<u8>>>,
}

impl Observer for Log {
    fn event(&self, event: &TraceEvent<'_>) {
        match event {
            TraceEvent::Handshake { message, .. } => {
                let name = message.handshake_type().name();
                self.messages
                    .lock()
                    .unwrap()
                    .push((name, message.raw.clone()));
            }
            TraceEvent::SessionEstablished { established, .. } => {
                let master = established.session.master_secret().as_bytes().to_vec();
                self.master_secrets.lock().unwrap().push(master);
            }
            _ => {}
        }
    }
}

/// Four connections, as the module docs say; returns the page and the log.
fn run(secrets: bool) -> (String, Arc<Log>) {
    let page = HtmlReport::new("test run", secrets);
    let log = Arc::new(Log::default());
    let mut client = common::client_config();
    client.session_store = Some(Arc::new(MemoryStore::new(4)));
    client.enable_tickets = false;
    client.observer = Some(page.observer(Side::Client, Some(log.clone())));
    let mut server = common::server_config();
    server.session_store = Some(Arc::new(MemoryStore::new(4)));
    server.observer = Some(page.observer(Side::Server, None));

    page.section("full, then resumed");
    for _ in 0..2 {
        Pair::new(client.clone(), server.clone()).complete();
    }
    page.section("renegotiated");
    let mut renegotiated = Pair::new(client.clone(), server.clone());
    renegotiated.complete();
    renegotiated.client.renegotiate().unwrap();
    renegotiated.settle();
    assert_eq!(renegotiated.client.handshake_count(), 2);

    page.section("ended by a fatal alert");
    let mut failed = Pair::new(client.clone(), server.clone());
    failed.complete();
    // application_data that no key sealed: bad_record_mac (§7.2.2).
    let forged = [
        23, 3, 3, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    assert!(deliver(&mut failed.server, &forged).is_err());
    let alert = take(&mut failed.server);
    assert!(deliver(&mut failed.client, &alert).is_err());
    (page.render(), log)
}

/// The value of attribute `name` in the tag that starts `tag`.
fn attribute<'a>(tag: &'a str, name: &str) -> &'a str {
    let end = tag.find('>').unwrap();
    let needle = format!(" {name}=\"");
    let start = tag[..end]
        .find(&needle)
        .unwrap_or_else(|| panic!("no {name} in {tag:.80}"))
        + needle.len();
    let len = tag[start..].find('"').unwrap();
    &tag[start..start + len]
}

/// One `<article class="msg">`: its type, length, field rows and bytes.
struct Article {
    typ: String,
    len: usize,
    /// (start, end, depth) of each field row, in page order.
    rows: Vec<(usize, usize, usize)>,
    hex: Vec<u8>,
}

fn articles(page: &str) -> Vec<Article> {
    page.split("<article class=\"msg\"")
        .skip(1)
        .map(|a| {
            let a = &a[..a.find("</article>").unwrap()];
            let rows = a
                .split("<tr data-f=")
                .skip(1)
                .map(|row| {
                    let row = format!(" data-f={row}");
                    let (start, end) = attribute(&row, "data-range").split_once('-').unwrap();
                    let depth = attribute(&row, "data-depth").parse().unwrap();
                    (start.parse().unwrap(), end.parse().unwrap(), depth)
                })
                .collect();
            let hex = &a[a.find("<div class=\"hex\">").unwrap()..];
            Article {
                typ: attribute(a, "data-type").to_string(),
                len: attribute(a, "data-len").parse().unwrap(),
                rows,
                hex: hex_bytes(hex),
            }
        })
        .collect()
}

/// The bytes written in hex in `html`, tags left out.
fn hex_bytes(html: &str) -> Vec<u8> {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

/// The rows `rows[from..]` at `depth` (until one shallower) must fill
/// `start..end` exactly, each in turn filled by its own children; returns
/// the index after the last row used.
fn check_filled(
    rows: &[(usize, usize, usize)],
    from: usize,
    depth: usize,
    start: usize,
    end: usize,
) -> usize {
    let mut next = start;
    let mut i = from;
    while let Some(&(s, e, d)) = rows.get(i) {
        if d < depth {
            break;
        }
        assert_eq!(d, depth, "row {i} skips a level");
        assert_eq!(
            s, next,
            "row {i} [{s}..{e}) leaves a gap or overlaps (expected it at {next})"
        );
        next = e;
        i += 1;
        let children = rows.get(i).is_some_and(|&(_, _, cd)| cd > depth);
        if children {
            i = check_filled(rows, i, depth + 1, s, e);
        }
    }
    assert_eq!(
        next, end,
        "the rows at depth {depth} stop at {next}, not {end}"
    );
    i
}

#[test]
fn every_message_of_the_run_is_on_the_page_with_its_exact_bytes() {
    let (page, log) = run(false);
    let messages = log.messages.lock().unwrap();
    let articles = articles(&page);
    assert_eq!(
        articles.len(),
        messages.len(),
        "one article per handshake message"
    );
    for ((name, raw), article) in messages.iter().zip(&articles) {
        assert_eq!(&article.typ, name);
        assert_eq!(article.len, raw.len());
        assert_eq!(&article.hex, raw, "the bytes shown for a {name}");
    }
    // Both renegotiation's messages and the alert's connection are there.
    let hellos = articles.iter().filter(|a| a.typ == "ClientHello").count();
    assert_eq!(
        hellos, 5,
        "four connections, one of them with two handshakes"
    );
}

#[test]
fn the_byte_ranges_cover_each_message_exactly() {
    let (page, _) = run(false);
    for article in articles(&page) {
        let rows = &article.rows;
        assert!(rows.len() >= 3, "{}: header and body at least", article.typ);
        let used = check_filled(rows, 0, 0, 0, article.len);
        assert_eq!(used, rows.len(), "{}: rows outside the tree", article.typ);
    }
}

#[test]
fn the_range_check_can_fail() {
    // A body one byte short of its message is caught.
    let rows = [(0, 1, 0), (1, 4, 0), (4, 9, 0), (4, 8, 1)];
    let gap = std::panic::catch_unwind(|| check_filled(&rows, 0, 0, 0, 9));
    assert!(gap.is_err());
    let rows = [(0, 1, 0), (1, 4, 0), (4, 9, 0), (4, 9, 1)];
    assert_eq!(check_filled(&rows, 0, 0, 0, 9), 4);
}

#[test]
fn one_diagram_per_connection_and_one_column_per_session() {
    let (page, log) = run(false);
    assert_eq!(page.matches("<svg class=\"sequence\"").count(), 4);
    let sessions: HashSet<Vec<u8>> = log.master_secrets.lock().unwrap().iter().cloned().collect();
    // The full handshake's session, resumed twice, and the renegotiation's.
    assert_eq!(sessions.len(), 2);
    let view = &page[page.find("<section class=\"sessions\"").unwrap()..];
    assert_eq!(attribute(view, "data-sessions"), sessions.len().to_string());
    assert_eq!(
        view.matches("<th class=\"session\"").count(),
        sessions.len()
    );
    for master in &sessions {
        assert!(
            view.contains(&fingerprint(master)),
            "each session's fingerprint is shown"
        );
    }
    assert!(
        view.contains("invalidated"),
        "the fatal alert's consequence"
    );
    assert!(page.contains("fatal alert bad_record_mac"));
    // Full, abbreviated and renegotiated handshakes are drawn apart; the
    // renegotiation runs under epoch 1 and switches to epoch 2.
    for band in ["band full", "band abbreviated", "band renegotiation"] {
        assert!(page.contains(&format!("<rect class=\"{band}\"")), "{band}");
    }
    assert!(page.contains("under epoch 1 keys"));
    assert!(page.contains("epoch 2 AES-128-GCM, seq_num 0"));
    assert!(page.contains("null cipher (epoch 0)"));
    for heading in [
        "full, then resumed",
        "renegotiated",
        "ended by a fatal alert",
    ] {
        assert!(page.contains(&format!("<h2>{heading}</h2>")));
    }
}

#[test]
fn the_page_loads_nothing_it_only_links() {
    let (page, _) = run(false);
    for loader in [
        "src=", "<link", "url(", "@import", "<iframe", "<object", "<embed",
    ] {
        assert!(
            !page.contains(loader),
            "the page must not load anything: {loader}"
        );
    }
    let mut links = 0;
    for (at, _) in page.match_indices("http") {
        let rest = &page[at..];
        if !(rest.starts_with("http://") || rest.starts_with("https://")) {
            continue;
        }
        let tag = &page[page[..at].rfind('<').unwrap()..at];
        assert!(
            tag.starts_with("<a ") && tag.ends_with(" href=\""),
            "a URL outside a link: {:.80}",
            &page[at..]
        );
        links += 1;
    }
    assert!(links > 0, "every message links its RFC section");
    assert!(page.contains("https://www.rfc-editor.org/rfc/rfc5246#section-7.4.1.2"));
}

#[test]
fn secrets_appear_only_when_asked_for() {
    let (page, log) = run(false);
    let master = log.master_secrets.lock().unwrap()[0].clone();
    assert!(page.contains(&fingerprint(&master)));
    assert!(!page.contains(&hex::encode(&master)));
    let (page, log) = run(true);
    let master = log.master_secrets.lock().unwrap()[0].clone();
    assert!(page.contains(&hex::encode(&master)));
}

const TIMEOUT: Duration = Duration::from_secs(20);

/// Every article's byte ranges fill its message, and every message shown
/// is a whole message of its type.
fn check_articles(page: &str) -> Vec<Article> {
    let articles = articles(page);
    for article in &articles {
        assert_eq!(article.hex.len(), article.len, "{}", article.typ);
        let used = check_filled(&article.rows, 0, 0, 0, article.len);
        assert_eq!(used, article.rows.len(), "{}", article.typ);
    }
    articles
}

/// The page at `path` once it holds `diagrams` connections (the example
/// server rewrites it as each connection ends).
fn page_with(path: &Path, diagrams: usize) -> String {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let page = std::fs::read_to_string(path).unwrap_or_default();
        if page.matches("<svg class=\"sequence\"").count() >= diagrams || Instant::now() > deadline
        {
            return page;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_example_server_draws_curls_connections() {
    common::require_tool("curl", "--version");
    let dir = ScratchDir::new("html-server");
    let path = dir.join("server.html");
    let mut server = ChildGuard::spawn(
        Command::new(common::example_binary("server"))
            .args(["--listen", "127.0.0.1:0", "--session-cache", "memory"])
            .args(["--cert", &test_data_arg("ecdsa/localhost.chain.pem")])
            .args(["--key", &test_data_arg("ecdsa/localhost.key")])
            .arg("--html")
            .arg(&path),
    );
    let port = server.wait_for_port("listening on", TIMEOUT);
    for _ in 0..2 {
        let out = ChildGuard::spawn(
            Command::new("curl")
                .args(["--silent", "--show-error", "--tlsv1.2", "--tls-max", "1.2"])
                .args(["--cacert", &test_data_arg("ecdsa/root.pem")])
                .args(["--resolve", &format!("localhost:{port}:127.0.0.1")])
                .arg(format!("https://localhost:{port}/")),
        )
        .finish(TIMEOUT);
        assert!(out.status.success(), "curl failed: {out:#?}");
    }
    let page = page_with(&path, 2);
    drop(server);
    assert_eq!(
        page.matches("<svg class=\"sequence\"").count(),
        2,
        "two curl connections"
    );
    assert_eq!(page.matches("(as the server saw it)").count(), 2);
    let articles = check_articles(&page);
    let types: Vec<&str> = articles.iter().map(|a| a.typ.as_str()).collect();
    assert_eq!(types.iter().filter(|t| **t == "ClientHello").count(), 2);
    assert!(types.contains(&"ClientKeyExchange"), "{types:?}");
    // curl offers extensions we do not implement: shown, and covered.
    assert!(
        page.contains("unknown("),
        "curl's unknown extensions are listed"
    );
    assert!(
        page.contains("data-sessions=\"2\""),
        "curl resumes nothing: two sessions"
    );
}

#[test]
fn the_example_client_draws_its_connection_to_s_server() {
    let dir = ScratchDir::new("html-client");
    let path = dir.join("client.html");
    let mut cmd = s_server_command("ecdsa");
    cmd.args(["-naccept", "1", "-www"]);
    let (mut s_server, port) = start_s_server(&mut cmd, TIMEOUT);
    let out = ChildGuard::spawn(
        Command::new(common::example_binary("client"))
            .args([
                "--connect",
                &format!("127.0.0.1:{port}"),
                "--server-name",
                "localhost",
            ])
            .args(["--ca", &test_data_arg("ecdsa/root.pem"), "--no-sessions"])
            .arg("--html")
            .arg(&path),
    )
    .finish(TIMEOUT);
    assert!(out.status.success(), "the client failed: {out:#?}");
    assert!(s_server.finish(TIMEOUT).status.success());
    let page = std::fs::read_to_string(&path).unwrap();
    assert_eq!(page.matches("<svg class=\"sequence\"").count(), 1);
    assert!(page.contains("(as the client saw it)"));
    let types: Vec<String> = check_articles(&page).into_iter().map(|a| a.typ).collect();
    let expected = [
        "ClientHello",
        "ServerHello",
        "Certificate",
        "ServerKeyExchange",
        "ServerHelloDone",
        "ClientKeyExchange",
        "Finished",
    ];
    assert!(types.starts_with(&expected.map(String::from)), "{types:?}");
    assert!(page.contains("data-sessions=\"1\""));
}

/// The example server with `--html` at `path` (and `extra`), and its
/// address.
fn html_server(path: &Path, extra: &[&str]) -> (ChildGuard, std::net::SocketAddr) {
    let html = ["--html", path.to_str().unwrap()];
    common::example_server::start(&[&["--session-cache", "memory"][..], &html, extra].concat())
}

/// One `GET /` to `addr` with a header of `pad` bytes, the head sent in
/// records of `record` bytes.
fn visit(addr: std::net::SocketAddr, pad: usize, record: usize) {
    use std::io::{Read, Write};
    let sock = std::net::TcpStream::connect(addr).unwrap();
    sock.set_read_timeout(Some(TIMEOUT)).unwrap();
    let config = Arc::new(common::client_config());
    let mut tls = tls12::Stream::connect(config, "localhost", sock).unwrap();
    let head = format!(
        "GET / HTTP/1.1\r\nHost: localhost\r\nX-Pad: {}\r\nConnection: close\r\n\r\n",
        "a".repeat(pad)
    );
    for chunk in head.as_bytes().chunks(record) {
        tls.write_all(chunk).unwrap();
    }
    let mut reply = String::new();
    tls.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200 OK"), "{reply}");
}

#[test]
fn a_flooding_connection_does_not_grow_the_page_past_its_cap() {
    let dir = ScratchDir::new("html-cap");
    let path = dir.join("server.html");
    let (mut server, addr) = html_server(&path, &[]);
    visit(addr, 0, 4096);
    let one = page_with(&path, 1).len();
    // 15,000 records of one byte each: 5.3 MB more on the page uncapped.
    visit(addr, 15_000, 1);
    let two = page_with(&path, 2);
    server.stop();
    let added = two.len() - one;
    assert!(added < 128 * 1024, "the flood added {added} bytes");
    assert!(
        two.contains(&format!(
            "not kept: the page keeps at most {MAX_EVENTS_PER_LOG} events"
        )),
        "the page does not say what it left out"
    );
}

#[test]
fn the_page_keeps_the_last_connections_only() {
    let page = HtmlReport::new("capped", false);
    let mut server = common::server_config();
    server.observer = Some(page.observer(Side::Server, None));
    let extra = 3;
    for _ in 0..MAX_CONNECTION_LOGS + extra {
        Pair::new(common::client_config(), server.clone()).complete();
    }
    let html = page.render();
    assert_eq!(
        html.matches("<svg class=\"sequence\"").count(),
        MAX_CONNECTION_LOGS
    );
    assert!(
        html.contains(&format!("{extra} earlier connection ends are not shown")),
        "the page does not say it dropped some"
    );
}

#[cfg(unix)]
#[test]
fn the_page_is_private_and_replaces_symlinks_without_following_them() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let dir = ScratchDir::new("html-private");
    let path = dir.join("server.html");
    // Links at the page's name, and at the fixed name under which the
    // page used to be written before its rename, to files the page must
    // not overwrite.
    let mut victims = Vec::new();
    for (i, link) in [path.clone(), dir.join("server.html.partial")]
        .iter()
        .enumerate()
    {
        let victim = dir.join(&format!("victim{i}"));
        std::fs::write(&victim, "untouched").unwrap();
        symlink(&victim, link).unwrap();
        victims.push(victim);
    }
    // With secrets, as a page that holds master secrets.
    let (mut server, addr) = html_server(&path, &["--trace-secrets"]);
    visit(addr, 0, 4096);
    page_with(&path, 1);
    server.stop();
    let meta = std::fs::symlink_metadata(&path).unwrap();
    assert!(
        meta.file_type().is_file(),
        "the page is not a file of its own"
    );
    assert_eq!(
        meta.permissions().mode() & 0o777,
        0o600,
        "the page is not private"
    );
    for victim in &victims {
        let text = std::fs::read_to_string(victim).unwrap();
        assert_eq!(
            text,
            "untouched",
            "{} was written through a link",
            victim.display()
        );
    }
}
