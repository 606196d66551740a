//! The live trace (`tls12_trace::text::Tracer`, what `--trace` prints): for
//! handshakes run in memory between our own client and server, each side's
//! trace names every message with its RFC 5246 section in the order of §7.3
//! Figure 1 (full), Figure 2 (abbreviated) and with client authentication;
//! it shows the pending cipher states becoming current at ChangeCipherSpec
//! (§6.1, §7.1) and the first protected record carrying seq_num 0; what one
//! side sent is exactly what the other side received; and secrets appear
//! only when asked for, and then equal the library's own values.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use tls12::session_store::MemoryStore;
use tls12::{ClientAuth, ClientConfig, Connection, Established, ServerConfig};
use tls12_trace::text::Tracer;

// ---------------------------------------------------------------------------
// The harness
// ---------------------------------------------------------------------------

/// A `Write` into a buffer the test keeps a handle on.
#[derive(Clone, Default)]
struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SharedBuf {
    /// Everything written so far, one entry a line, without the
    /// `[label] ` prefix (checked here: every line must carry it).
    fn lines(&self, label: &str) -> Vec<String> {
        let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
        let prefix = format!("[{label}] ");
        text.lines()
            .map(|line| {
                line.strip_prefix(&prefix)
                    .unwrap_or_else(|| panic!("a line without {prefix:?}: {line:?}"))
                    .to_owned()
            })
            .collect()
    }

    /// Forgets what was written (between two handshakes).
    fn clear(&self) {
        self.0.lock().unwrap().clear();
    }
}

/// The two traces of one pair of configs.
struct Traces {
    client: SharedBuf,
    server: SharedBuf,
}

/// Installs a tracer writing to a fresh buffer on each config.
fn traced(client: &mut ClientConfig, server: &mut ServerConfig, secrets: bool) -> Traces {
    let traces = Traces {
        client: SharedBuf::default(),
        server: SharedBuf::default(),
    };
    client.observer = Some(Tracer::to_writer(
        "client",
        secrets,
        Box::new(traces.client.clone()),
    ));
    server.observer = Some(Tracer::to_writer(
        "server",
        secrets,
        Box::new(traces.server.clone()),
    ));
    traces
}

/// Everything `conn` has queued for the transport.
fn take(conn: &mut Connection) -> Vec<u8> {
    let mut out = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut out).unwrap();
    }
    out
}

/// Feeds `wire` to `conn` and processes it, a record buffer at a time.
fn deliver(conn: &mut Connection, mut wire: &[u8]) {
    while !wire.is_empty() {
        let n = conn.read_tls(&mut wire).unwrap();
        conn.process_new_packets().unwrap();
        assert!(n > 0, "the connection took no bytes");
    }
}

/// A handshake between a client and a server connected by nothing but
/// `Vec<u8>`s; then "ping" from the client and "pong" from the server, so
/// that each side also traces a second protected record.
fn handshake(client: &Arc<ClientConfig>, server: &Arc<ServerConfig>) -> (Connection, Connection) {
    let mut c = Connection::client(client.clone(), "localhost").unwrap();
    let mut s = Connection::server(server.clone());
    for _ in 0..10 {
        if !c.wants_write() && !s.wants_write() {
            break;
        }
        let wire = take(&mut c);
        deliver(&mut s, &wire);
        let wire = take(&mut s);
        deliver(&mut c, &wire);
    }
    assert!(c.established().is_some(), "the client did not complete");
    assert!(s.established().is_some(), "the server did not complete");
    c.write_application_data(b"ping").unwrap();
    let wire = take(&mut c);
    deliver(&mut s, &wire);
    s.write_application_data(b"pong").unwrap();
    let wire = take(&mut s);
    deliver(&mut c, &wire);
    let mut buf = [0u8; 4];
    assert_eq!(s.read_application_data(&mut buf), 4);
    assert_eq!(&buf, b"ping");
    assert_eq!(c.read_application_data(&mut buf), 4);
    assert_eq!(&buf, b"pong");
    (c, s)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------------------
// Reading a trace
// ---------------------------------------------------------------------------

/// Whether `line` heads a handshake message: `-> ClientHello (RFC 5246
/// §7.4.1.2), 123 bytes` (records and alerts also start with an arrow).
fn is_message(line: &str) -> bool {
    (line.starts_with("-> ") || line.starts_with("<- "))
        && !line[3..].starts_with("record ")
        && !line[3..].starts_with("alert")
}

/// The trace's outline: each message as `-> Name (RFC section)`, the key
/// block becoming the pending states, each pending state that became
/// current, and each session event, in order.
fn outline(lines: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for line in lines {
        if is_message(line) {
            // Drop the ", N bytes" at the end.
            let (head, size) = line.rsplit_once(", ").unwrap();
            assert!(size.ends_with(" bytes"), "{line:?}");
            out.push(head.to_owned());
        } else if line
            .trim_start()
            .starts_with("connection: key block computed")
        {
            out.push("keys pending".to_owned());
        } else if let Some(rest) = line.trim_start().strip_prefix("connection: pending ") {
            let which = rest.split(" (").next().unwrap();
            out.push(format!("pending {which}"));
        } else if let Some(rest) = line.trim_start().strip_prefix("session ") {
            for event in ["created", "resumed", "replaced"] {
                if rest.starts_with(event) {
                    out.push(format!("session {event}"));
                }
            }
        }
    }
    out
}

/// Each handshake message as a block (its heading, fields and hex dump),
/// with the direction it went: what a side sent (`->`) or received (`<-`).
fn message_blocks(lines: &[String], arrow: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in lines {
        if is_message(line) {
            blocks.extend(current.take());
            current = line.strip_prefix(arrow).map(str::to_owned);
        } else if line.starts_with("     ") {
            if let Some(block) = &mut current {
                block.push('\n');
                block.push_str(line);
            }
        } else {
            blocks.extend(current.take());
        }
    }
    blocks.extend(current);
    blocks
}

/// Record lines going one way (`-> record` or `<- record`).
fn records<'a>(lines: &'a [String], arrow: &str) -> Vec<&'a str> {
    let prefix = format!("{arrow} record ");
    lines
        .iter()
        .filter(|l| l.starts_with(&prefix))
        .map(String::as_str)
        .collect()
}

/// The trace's name for the AEAD of `est`'s cipher suite.
fn bulk_name(est: &Established) -> &'static str {
    let suite = est.session.cipher_suite.rfc_name();
    if suite.contains("AES_128_GCM") {
        "AES-128-GCM"
    } else if suite.contains("AES_256_GCM") {
        "AES-256-GCM"
    } else if suite.contains("CHACHA20_POLY1305") {
        "ChaCha20-Poly1305"
    } else {
        panic!("no AEAD in {suite}")
    }
}

/// The record lines of one direction (`arrow`) around the switch to the
/// new write (`->`) or read (`<-`) state: every record before it is
/// unprotected, the first after it is protected by the negotiated AEAD with
/// seq_num 0, the next with seq_num 1 (the application data).
fn check_switch(lines: &[String], arrow: &str, est: &Established, who: &str) {
    let which = if arrow == "->" { "write" } else { "read" };
    let switch = lines
        .iter()
        .position(|l| l.contains(&format!("pending {which} state is now current")))
        .unwrap_or_else(|| panic!("{who}: no {which} state switch in\n{}", lines.join("\n")));
    let before = records(&lines[..switch], arrow);
    let after = records(&lines[switch..], arrow);
    assert!(
        !before.is_empty(),
        "{who}: no {arrow} record before the switch"
    );
    for line in &before {
        assert!(
            line.ends_with("unprotected (RFC 5246 §6.1 null cipher)"),
            "{who}: {line}"
        );
    }
    assert!(
        before
            .last()
            .unwrap()
            .contains("change_cipher_spec(20), plaintext length 1,"),
        "{who}: the last {arrow} record before the switch is not ChangeCipherSpec: {before:?}"
    );
    let bulk = bulk_name(est);
    let protected = |seq: u64| format!("protected by {bulk} seq_num {seq}");
    assert_eq!(after.len(), 2, "{who}: {after:?}");
    assert!(
        after[0].starts_with(&format!(
            "{arrow} record handshake(22), plaintext length 16,"
        )),
        "{who}: {after:?}"
    );
    assert!(after[0].ends_with(&protected(0)), "{who}: {after:?}");
    assert!(
        after[1].starts_with(&format!(
            "{arrow} record application_data(23), plaintext length 4,"
        )),
        "{who}: {after:?}"
    );
    assert!(after[1].ends_with(&protected(1)), "{who}: {after:?}");
}

/// What one side sent is, block for block, byte for byte, what the other
/// side's trace says it received.
fn check_mirrored(client: &[String], server: &[String]) {
    let sent = message_blocks(client, "-> ");
    let received = message_blocks(server, "<- ");
    assert!(!sent.is_empty());
    assert_eq!(sent, received, "client -> server");
    let sent = message_blocks(server, "-> ");
    let received = message_blocks(client, "<- ");
    assert!(!sent.is_empty());
    assert_eq!(sent, received, "server -> client");
}

/// The field line `name value` inside the first block headed by `heading`.
fn field<'a>(lines: &'a [String], heading: &str, name: &str) -> &'a str {
    let start = lines
        .iter()
        .position(|l| l.starts_with(heading))
        .unwrap_or_else(|| panic!("no {heading:?}"));
    lines[start + 1..]
        .iter()
        .take_while(|l| l.starts_with("     "))
        .find_map(|l| l.trim_start().strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no {name} in {heading:?}"))
}

const CLIENT_HELLO: &str = "ClientHello (RFC 5246 §7.4.1.2)";
const SERVER_HELLO: &str = "ServerHello (RFC 5246 §7.4.1.3)";
const CERTIFICATE: &str = "Certificate (RFC 5246 §7.4.2)";
const SERVER_KEY_EXCHANGE: &str = "ServerKeyExchange (RFC 5246 §7.4.3)";
const CERTIFICATE_REQUEST: &str = "CertificateRequest (RFC 5246 §7.4.4)";
const SERVER_HELLO_DONE: &str = "ServerHelloDone (RFC 5246 §7.4.5)";
const CERTIFICATE_VERIFY: &str = "CertificateVerify (RFC 5246 §7.4.8)";
const CLIENT_KEY_EXCHANGE: &str = "ClientKeyExchange (RFC 5246 §7.4.7)";
const FINISHED: &str = "Finished (RFC 5246 §7.4.9)";

fn sent(m: &str) -> String {
    format!("-> {m}")
}

fn received(m: &str) -> String {
    format!("<- {m}")
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[test]
fn full_handshake_trace_names_every_message_in_order_on_both_sides() {
    let (mut client, mut server) = (common::client_config(), common::server_config());
    // A server with a store gives the session an id (§7.4.1.3), to be traced.
    server.session_store = Some(Arc::new(MemoryStore::new(4)));
    let traces = traced(&mut client, &mut server, false);
    let (c, s) = handshake(&Arc::new(client), &Arc::new(server));
    let (client, server) = (traces.client.lines("client"), traces.server.lines("server"));

    // RFC 5246 §7.3 Figure 1, from each side.
    assert_eq!(
        outline(&client),
        [
            sent(CLIENT_HELLO),
            received(SERVER_HELLO),
            received(CERTIFICATE),
            received(SERVER_KEY_EXCHANGE),
            received(SERVER_HELLO_DONE),
            sent(CLIENT_KEY_EXCHANGE),
            "keys pending".into(),
            "pending write state is now current".into(),
            sent(FINISHED),
            "pending read state is now current".into(),
            received(FINISHED),
            "session created".into(),
        ],
        "client trace:\n{}",
        client.join("\n")
    );
    assert_eq!(
        outline(&server),
        [
            received(CLIENT_HELLO),
            sent(SERVER_HELLO),
            sent(CERTIFICATE),
            sent(SERVER_KEY_EXCHANGE),
            sent(SERVER_HELLO_DONE),
            received(CLIENT_KEY_EXCHANGE),
            "keys pending".into(),
            "pending read state is now current".into(),
            received(FINISHED),
            "pending write state is now current".into(),
            sent(FINISHED),
            "session created".into(),
        ],
        "server trace:\n{}",
        server.join("\n")
    );
    check_mirrored(&client, &server);

    // The records around each ChangeCipherSpec, each side, each direction.
    let (ce, se) = (c.established().unwrap(), s.established().unwrap());
    check_switch(&client, "->", ce, "client");
    check_switch(&client, "<-", ce, "client");
    check_switch(&server, "->", se, "server");
    check_switch(&server, "<-", se, "server");

    // The fields are this connection's and this session's values.
    assert_eq!(
        field(&client, &sent(CLIENT_HELLO), "random"),
        hex(&ce.client_random.0)
    );
    assert_eq!(
        field(&client, &received(SERVER_HELLO), "random"),
        hex(&ce.server_random.0)
    );
    let id = hex(c.session().unwrap().session_id.as_bytes());
    assert_eq!(id.len(), 64, "a server with a store sends a 32-byte id");
    assert_eq!(field(&client, &received(SERVER_HELLO), "session_id"), id);
    assert_eq!(
        field(&client, &received(SERVER_HELLO), "cipher_suite"),
        ce.session.cipher_suite.rfc_name()
    );
    for (who, lines) in [("client", &client), ("server", &server)] {
        let created: Vec<&String> = lines
            .iter()
            .filter(|l| l.contains("session created"))
            .collect();
        assert_eq!(created.len(), 1, "{who}");
        assert!(
            created[0].contains(&format!("id {id} ")),
            "{who}: {}",
            created[0]
        );
        assert!(
            created[0].contains("(handshake 1 on this connection)"),
            "{who}: {}",
            created[0]
        );
    }
    // The proof values of the handshake, as the trace tells them.
    assert!(client.contains(
        &"   peer authenticated by: its signature in this handshake (§7.4.3, §7.4.8)".to_string()
    ));
    assert!(server.contains(&"   peer authenticated by: nothing: an anonymous client".to_string()));
}

#[test]
fn secrets_appear_only_when_asked_for_and_equal_the_librarys() {
    for secrets in [false, true] {
        let (mut client, mut server) = (common::client_config(), common::server_config());
        let traces = traced(&mut client, &mut server, secrets);
        let (c, s) = handshake(&Arc::new(client), &Arc::new(server));
        for (who, conn, lines) in [
            ("client", &c, traces.client.lines("client")),
            ("server", &s, traces.server.lines("server")),
        ] {
            let est = conn.established().unwrap();
            let master = hex(conn.session().unwrap().master_secret().as_bytes());
            let key_block = hex(est.key_block().as_bytes());
            let text = lines.join("\n");
            // "secret" alone also matches the extended_master_secret flag.
            let secret_lines: Vec<&String> = lines
                .iter()
                .filter(|l| l.trim_start().starts_with("secret "))
                .collect();
            if secrets {
                assert_eq!(
                    secret_lines,
                    [
                        &format!("   secret master_secret {master}"),
                        &format!("   secret key_block {key_block}"),
                    ],
                    "{who}"
                );
            } else {
                assert!(secret_lines.is_empty(), "{who}: {secret_lines:?}");
                assert!(
                    !text.contains(&master),
                    "{who}: the master secret is in the trace"
                );
                assert!(
                    !text.contains(&key_block[..32]),
                    "{who}: key material is in the trace"
                );
            }
        }
        // Both sides agree, as they must for the handshake to have worked.
        assert_eq!(
            c.session().unwrap().master_secret().as_bytes(),
            s.session().unwrap().master_secret().as_bytes()
        );
    }
}

#[test]
fn abbreviated_handshake_trace_says_session_resumed() {
    let (mut client, mut server) = (common::client_config(), common::server_config());
    // Resume by session id: the server keeps S1 in a store.
    client.session_store = Some(Arc::new(MemoryStore::new(4)));
    client.enable_tickets = false;
    server.session_store = Some(Arc::new(MemoryStore::new(4)));
    let traces = traced(&mut client, &mut server, true);
    let (client, server) = (Arc::new(client), Arc::new(server));
    let (first, _) = handshake(&client, &server);
    let s1 = hex(first.session().unwrap().session_id.as_bytes());
    let master = hex(first.session().unwrap().master_secret().as_bytes());
    traces.client.clear();
    traces.server.clear();

    let (c, s) = handshake(&client, &server);
    assert!(c.established().unwrap().resumed);
    let (client, server) = (traces.client.lines("client"), traces.server.lines("server"));
    // RFC 5246 §7.3 Figure 2: no certificate, no key exchange; the server
    // sends its Finished first.
    assert_eq!(
        outline(&client),
        [
            sent(CLIENT_HELLO),
            received(SERVER_HELLO),
            "keys pending".into(),
            "pending read state is now current".into(),
            received(FINISHED),
            "pending write state is now current".into(),
            sent(FINISHED),
            "session resumed".into(),
        ],
        "client trace:\n{}",
        client.join("\n")
    );
    assert_eq!(
        outline(&server),
        [
            received(CLIENT_HELLO),
            sent(SERVER_HELLO),
            "keys pending".into(),
            "pending write state is now current".into(),
            sent(FINISHED),
            "pending read state is now current".into(),
            received(FINISHED),
            "session resumed".into(),
        ],
        "server trace:\n{}",
        server.join("\n")
    );
    check_mirrored(&client, &server);
    let (ce, se) = (c.established().unwrap(), s.established().unwrap());
    for (who, lines, est) in [("client", &client, ce), ("server", &server, se)] {
        check_switch(lines, "->", est, who);
        check_switch(lines, "<-", est, who);
        let resumed: Vec<&String> = lines
            .iter()
            .filter(|l| l.contains("session resumed"))
            .collect();
        assert_eq!(resumed.len(), 1, "{who}");
        assert!(
            resumed[0].contains(&format!("id {s1} ")),
            "{who}: {}",
            resumed[0]
        );
        // Same session, same master secret; its own key block.
        assert!(
            lines.contains(&format!("   secret master_secret {master}")),
            "{who}"
        );
        let key_block = hex(est.key_block().as_bytes());
        assert!(
            lines.contains(&format!("   secret key_block {key_block}")),
            "{who}"
        );
        // No signature on a resumption: the client's trust in the server
        // comes from the full handshake; a server that asks for no client
        // certificate authenticates no client, resumed or not.
        let how = match who {
            "client" => "the full handshake that made the resumed session",
            _ => "nothing: an anonymous client",
        };
        assert!(
            lines.contains(&format!("   peer authenticated by: {how}")),
            "{who}"
        );
    }
    // The client offered S1's id, and the server echoed it.
    assert_eq!(field(&client, &sent(CLIENT_HELLO), "session_id"), s1);
    assert_eq!(field(&client, &received(SERVER_HELLO), "session_id"), s1);
}

#[test]
fn client_authentication_trace_shows_certificate_request_and_verify() {
    let mut client = common::client_config();
    client.client_certificates = vec![Arc::new(common::certified(
        "ecdsa/client.chain.pem",
        "ecdsa/client.key",
    ))];
    let mut server = common::server_config();
    server.client_auth = ClientAuth::Required(Arc::new(common::anchors(&["ecdsa/root.pem"])));
    let traces = traced(&mut client, &mut server, false);
    let (c, s) = handshake(&Arc::new(client), &Arc::new(server));
    let (client, server) = (traces.client.lines("client"), traces.server.lines("server"));
    // RFC 5246 §7.3 Figure 1 with every optional message.
    assert_eq!(
        outline(&client),
        [
            sent(CLIENT_HELLO),
            received(SERVER_HELLO),
            received(CERTIFICATE),
            received(SERVER_KEY_EXCHANGE),
            received(CERTIFICATE_REQUEST),
            received(SERVER_HELLO_DONE),
            sent(CERTIFICATE),
            sent(CLIENT_KEY_EXCHANGE),
            sent(CERTIFICATE_VERIFY),
            "keys pending".into(),
            "pending write state is now current".into(),
            sent(FINISHED),
            "pending read state is now current".into(),
            received(FINISHED),
            "session created".into(),
        ],
        "client trace:\n{}",
        client.join("\n")
    );
    assert_eq!(
        outline(&server),
        [
            received(CLIENT_HELLO),
            sent(SERVER_HELLO),
            sent(CERTIFICATE),
            sent(SERVER_KEY_EXCHANGE),
            sent(CERTIFICATE_REQUEST),
            sent(SERVER_HELLO_DONE),
            received(CERTIFICATE),
            received(CLIENT_KEY_EXCHANGE),
            // The server may compute the keys before it checks the
            // signature: pending states are not in use yet.
            "keys pending".into(),
            received(CERTIFICATE_VERIFY),
            "pending read state is now current".into(),
            received(FINISHED),
            "pending write state is now current".into(),
            sent(FINISHED),
            "session created".into(),
        ],
        "server trace:\n{}",
        server.join("\n")
    );
    check_mirrored(&client, &server);
    check_switch(&client, "->", c.established().unwrap(), "client");
    check_switch(&server, "<-", s.established().unwrap(), "server");
    // The client's Certificate names the client certificate's subject.
    let client_leaf = common::certs_der("ecdsa/client.chain.pem").remove(0);
    let subject = tls12::handshake::x509::leaf_subject(&client_leaf).unwrap();
    let heading = sent(CERTIFICATE);
    let certificate = field(&client, &heading, "certificate[0]");
    assert!(
        certificate.ends_with(&subject),
        "{certificate:?} vs {subject:?}"
    );
    assert_eq!(
        s.established().unwrap().peer_certificates().first(),
        Some(&client_leaf)
    );
    // The client proved its key with CertificateVerify.
    assert!(server.contains(
        &"   peer authenticated by: its signature in this handshake (§7.4.3, §7.4.8)".to_string()
    ));
}

#[test]
fn a_servers_hello_request_is_traced_as_a_message_on_both_sides() {
    let mut client = common::client_config();
    let mut server = common::server_config();
    let traces = traced(&mut client, &mut server, false);
    let (mut c, mut s) = handshake(&Arc::new(client), &Arc::new(server));
    traces.client.clear();
    traces.server.clear();
    s.renegotiate().unwrap();
    let wire = take(&mut s);
    deliver(&mut c, &wire);
    let hello_request = "HelloRequest (RFC 5246 §7.4.1.1), 4 bytes";
    let server = traces.server.lines("server");
    let client = traces.client.lines("client");
    assert!(
        server.iter().any(|l| *l == sent(hello_request)),
        "{server:#?}"
    );
    assert!(
        client.iter().any(|l| *l == received(hello_request)),
        "{client:#?}"
    );
}

/// A session past its lifetime is refused by name, on the side whose
/// clock says so: the server (by id and by ticket) and the client, each
/// tracing "session not resumed: the session expired", then a full
/// handshake. Stores return what they hold; the handshake judges.
#[test]
fn an_expired_session_is_refused_by_name_on_each_side() {
    use std::sync::atomic::{AtomicU64, Ordering};
    use tls12::session_store::{Clock, MemoryStore, TicketKeys};
    for (tickets, late_side) in [(false, "server"), (true, "server"), (false, "client")] {
        let (client_now, server_now) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let at = |now: &Arc<AtomicU64>| -> Clock {
            let now = now.clone();
            let base = tls12::system_clock()();
            Arc::new(move || base + now.load(Ordering::Relaxed))
        };
        let mut client = common::client_config();
        client.clock = at(&client_now);
        client.enable_tickets = tickets;
        client.session_store = Some(Arc::new(MemoryStore::new(4)));
        let mut server = common::server_config();
        server.clock = at(&server_now);
        server.session_lifetime = 60;
        client.session_lifetime = 60;
        server.session_store = Some(Arc::new(MemoryStore::new(4)));
        if tickets {
            server.ticket_keys = Some(Arc::new(TicketKeys::new(at(&server_now)).unwrap()));
        }
        let traces = traced(&mut client, &mut server, false);
        let (client, server) = (Arc::new(client), Arc::new(server));
        let (c, _) = handshake(&client, &server);
        assert!(!c.established().unwrap().resumed);
        let (c, _) = handshake(&client, &server);
        assert!(c.established().unwrap().resumed, "within its lifetime");
        traces.client.clear();
        traces.server.clear();
        let late = if late_side == "server" {
            &server_now
        } else {
            &client_now
        };
        late.store(60, Ordering::Relaxed);
        let (c, _) = handshake(&client, &server);
        assert!(!c.established().unwrap().resumed, "expired");
        let lines = match late_side {
            "server" => traces.server.lines("server"),
            _ => traces.client.lines("client"),
        };
        assert!(
            lines
                .iter()
                .any(|l| l.contains("session not resumed: the session expired")),
            "tickets {tickets}, {late_side}: {lines:#?}"
        );
    }
}
