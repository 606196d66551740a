//! Resumption (RFC 5246 §7.3 Figure 2; RFC 5077 §3.1): a *session* outlives
//! the *connection* that made it.
//!
//! - Connections that resume one session share its master secret, yet each
//!   has keys of its own, from its own randoms (§6.3: `key_block =
//!   PRF(master_secret, "key expansion", server_random + client_random)`).
//! - Eight threads resume one session at the same moment, over loopback TCP.
//! - The example server, restarted on its session directory or its ticket
//!   key file, still resumes; restarted without them, it cannot.
//! - Every reason to decline a session (another server name, no extended
//!   master secret, expiry, a fatal alert, a ticket it cannot open) gives a
//!   full handshake with a fresh master secret, not an error (§7.4.1.3:
//!   "there is no requirement that the server resume any session").
//! - Tickets resume a session on a server that keeps no session store.
//! - A client with tickets disabled sends no SessionTicket extension, not
//!   even to offer a ticket it holds: a session with an id is offered by
//!   its id, one with a ticket alone not at all.
//!
//! Most tests join a client and a server [`Connection`] in memory. That
//! also lets them read the ClientHello off the wire, to see what the client
//! offered: a session id, a ticket, or nothing.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::Duration;

use common::wire::{deliver_if_any as deliver, take};
use common::ChildGuard;
use tls12::handshake::messages::{ClientHello, HandshakeMessage, HandshakePayload};
use tls12::record_layer::record::{ContentType, RecordHeader, HEADER_LEN};
use tls12::record_layer::secret::MasterSecret;
use tls12::session_store::{
    ClientSessionStore, Clock, FileStore, MemoryStore, ServerId, ServerSessionStore, StoreError,
    TicketKeys,
};
use tls12::{
    system_clock, AlertDescription, CipherSuite, ClientConfig, ClientSession, Connection, Error,
    Established, ServerConfig, Session, SessionId, Stream,
};

type RecordError = tls12::record_layer::Error;

/// The longest any network step of these tests may take.
const TIMEOUT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------
// In memory: a client and a server joined by this file
// ---------------------------------------------------------------------------

/// A client and a server connection whose handshake has completed and
/// carried data both ways.
struct Pair {
    client: Connection,
    server: Connection,
    /// The ClientHello as the client sent it.
    hello: ClientHello,
}

impl Pair {
    /// Connects `client` to `server` as `name` and completes the handshake;
    /// panics on any error.
    fn connect(client: &ClientConfig, server: &ServerConfig, name: &str) -> Self {
        let mut c = Connection::client(Arc::new(client.clone()), name).unwrap();
        let mut s = Connection::server(Arc::new(server.clone()));
        let first = take(&mut c);
        let hello = client_hello(&first);
        deliver(&mut s, &first).unwrap_or_else(|e| panic!("server: {e}"));
        // A full handshake has four flights, an abbreviated one three.
        for _ in 0..3 {
            let to_client = take(&mut s);
            deliver(&mut c, &to_client).unwrap_or_else(|e| panic!("client: {e}"));
            let to_server = take(&mut c);
            deliver(&mut s, &to_server).unwrap_or_else(|e| panic!("server: {e}"));
        }
        assert!(
            !c.is_handshaking() && !s.is_handshaking() && !c.wants_write() && !s.wants_write(),
            "the handshake did not complete"
        );
        send_data(&mut c, &mut s, b"from the client");
        send_data(&mut s, &mut c, b"from the server");
        Self {
            client: c,
            server: s,
            hello,
        }
    }

    /// Whether the handshake was abbreviated, which both sides must agree on.
    fn resumed(&self) -> bool {
        let (c, s) = (est(&self.client).resumed, est(&self.server).resumed);
        assert_eq!(c, s, "client and server disagree on resumption");
        c
    }

    /// The session's master secret, the same on both sides.
    fn master_secret(&self) -> [u8; 48] {
        let c = *est(&self.client).session.master_secret().as_bytes();
        assert_eq!(
            c,
            *est(&self.server).session.master_secret().as_bytes(),
            "client and server hold different master secrets"
        );
        c
    }

    /// This connection's key block, the same on both sides.
    fn key_block(&self) -> Vec<u8> {
        let c = key_block(est(&self.client));
        assert_eq!(c, key_block(est(&self.server)), "key blocks differ");
        c
    }
}

fn est(conn: &Connection) -> &Established {
    conn.established().expect("the handshake completed")
}

/// §6.3: the key block of the connection `est` describes.
fn key_block(est: &Established) -> Vec<u8> {
    est.key_block().as_bytes().to_vec()
}

/// Sends `data` from one side to the other and checks it arrives whole.
fn send_data(from: &mut Connection, to: &mut Connection, data: &[u8]) {
    from.write_application_data(data).unwrap();
    let wire = take(from);
    deliver(to, &wire).unwrap_or_else(|e| panic!("application data: {e}"));
    let mut buf = vec![0; data.len() + 1];
    let n = to.read_application_data(&mut buf);
    assert_eq!(&buf[..n], data);
}

/// The ClientHello in the client's first flight: one handshake record.
fn client_hello(wire: &[u8]) -> ClientHello {
    let (header, rest) = wire.split_first_chunk::<HEADER_LEN>().unwrap();
    let header = RecordHeader::decode(header).unwrap();
    assert_eq!(header.content_type, ContentType::Handshake);
    assert_eq!(rest.len(), usize::from(header.length), "one record");
    match HandshakeMessage::decode(rest.to_vec()).unwrap().payload {
        HandshakePayload::ClientHello(hello) => *hello,
        other => panic!("the client's first message is {other:?}"),
    }
}

/// The ticket a ClientHello offers (RFC 5077 §3.4); an empty SessionTicket
/// extension only asks for one.
fn offered_ticket(hello: &ClientHello) -> Option<&[u8]> {
    hello
        .extensions
        .session_ticket
        .as_deref()
        .filter(|t| !t.is_empty())
}

/// How a test's sessions are resumed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum By {
    /// The server keeps a session store and issues no tickets; the client
    /// does not ask for them.
    SessionId,
    /// The server seals tickets and keeps no session store.
    Ticket,
}

/// Checks that `hello` offers `kept` the way `by` says.
fn assert_offered(by: By, hello: &ClientHello, kept: &ClientSession) {
    match by {
        By::SessionId => {
            let session = &kept.session;
            assert!(!session.session_id.is_empty());
            assert_eq!(hello.session_id, session.session_id, "session id offered");
            assert_eq!(offered_ticket(hello), None);
        }
        By::Ticket => {
            assert!(kept.ticket.is_some());
            assert_eq!(offered_ticket(hello), kept.ticket.as_deref(), "ticket");
        }
    }
}

fn assert_nothing_offered(hello: &ClientHello) {
    assert!(hello.session_id.is_empty(), "a session id was offered");
    assert_eq!(offered_ticket(hello), None, "a ticket was offered");
}

/// The declined offer led to a full handshake that made a new master
/// secret.
fn assert_full_handshake(pair: &Pair, old_master_secret: &[u8; 48]) {
    assert!(!pair.resumed(), "the session was resumed");
    assert_ne!(&pair.master_secret(), old_master_secret, "no fresh secret");
}

fn localhost() -> ServerId {
    ServerId::parse("localhost").unwrap()
}

/// A client and a server that resume `by` session id or by ticket, with
/// in-memory stores on the system clock that the test can look into.
struct Setup {
    client: ClientConfig,
    server: ServerConfig,
    client_store: Arc<dyn ClientSessionStore>,
    server_store: Arc<dyn ServerSessionStore>,
}

impl Setup {
    fn new(by: By) -> Self {
        let client_store: Arc<dyn ClientSessionStore> = Arc::new(MemoryStore::new(16));
        let server_store: Arc<dyn ServerSessionStore> = Arc::new(MemoryStore::new(16));
        let mut client = common::client_config();
        client.session_store = Some(client_store.clone());
        let mut server = common::server_config();
        match by {
            By::SessionId => {
                server.session_store = Some(server_store.clone());
                client.enable_tickets = false;
            }
            By::Ticket => server.ticket_keys = Some(new_ticket_keys()),
        }
        Self {
            client,
            server,
            client_store,
            server_store,
        }
    }

    fn connect(&self, name: &str) -> Pair {
        Pair::connect(&self.client, &self.server, name)
    }

    /// The session the client would offer `localhost` now.
    fn client_session(&self) -> ClientSession {
        self.client_store
            .get(&localhost())
            .unwrap()
            .expect("the client kept a session for localhost")
    }
}

fn new_ticket_keys() -> Arc<TicketKeys> {
    Arc::new(TicketKeys::new(system_clock()).unwrap())
}

/// A clock the test sets by hand, starting at the system time.
#[derive(Clone)]
struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    fn new() -> Self {
        Self(Arc::new(AtomicU64::new(system_clock()())))
    }

    fn clock(&self) -> Clock {
        let now = self.0.clone();
        Arc::new(move || now.load(Ordering::SeqCst))
    }

    fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }

    fn set(&self, now: u64) {
        self.0.store(now, Ordering::SeqCst);
    }
}

/// A server store that remembers which ids were looked up, and whether
/// they were found.
struct RecordingStore {
    inner: MemoryStore,
    lookups: Mutex<Vec<(SessionId, bool)>>,
}

impl RecordingStore {
    fn new() -> Self {
        Self {
            inner: MemoryStore::new(16),
            lookups: Mutex::new(Vec::new()),
        }
    }

    fn lookups(&self) -> Vec<(SessionId, bool)> {
        self.lookups.lock().unwrap().clone()
    }
}

impl ServerSessionStore for RecordingStore {
    fn put(&self, session: Arc<Session>) -> Result<(), StoreError> {
        ServerSessionStore::put(&self.inner, session)
    }

    fn get(&self, id: &SessionId) -> Result<Option<Arc<Session>>, StoreError> {
        let found = ServerSessionStore::get(&self.inner, id)?;
        self.lookups.lock().unwrap().push((*id, found.is_some()));
        Ok(found)
    }

    fn remove(&self, id: &SessionId) -> Result<(), StoreError> {
        ServerSessionStore::remove(&self.inner, id)
    }
}

/// A session made by hand, as a full handshake with `localhost` would
/// have made it: on the client side `peer_certificates` is the server's
/// chain, on the server side it is empty (no client certificate).
fn handmade(
    id: SessionId,
    extended_master_secret: bool,
    master_secret: [u8; 48],
    peer_certificates: Vec<Vec<u8>>,
) -> Session {
    Session::new(
        id,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        MasterSecret::from_bytes(master_secret),
        extended_master_secret,
        peer_certificates,
        Some("localhost".into()),
        system_clock()(),
    )
}

// ---------------------------------------------------------------------------
// 1. One session, many connections: same master secret, different keys
// ---------------------------------------------------------------------------

#[test]
fn resumed_connections_share_the_master_secret_but_not_the_keys() {
    for by in [By::SessionId, By::Ticket] {
        let setup = Setup::new(by);
        let full = setup.connect("localhost");
        assert!(!full.resumed(), "{by:?}");
        let mut conns = vec![full];
        for _ in 0..2 {
            let offer = setup.client_session();
            let pair = setup.connect("localhost");
            assert!(pair.resumed(), "{by:?}");
            assert_offered(by, &pair.hello, &offer);
            conns.push(pair);
        }

        // The session: one master secret on all three connections, both sides.
        let master_secret = conns[0].master_secret();
        for (i, pair) in conns.iter().enumerate() {
            assert_eq!(pair.master_secret(), master_secret, "{by:?} connection {i}");
        }
        // The connections: each its own randoms, hence its own key block.
        for (i, a) in conns.iter().enumerate() {
            for (j, b) in conns.iter().enumerate().skip(i + 1) {
                let (a_est, b_est) = (est(&a.server), est(&b.server));
                assert_ne!(a_est.client_random, b_est.client_random, "{by:?} {i},{j}");
                assert_ne!(a_est.server_random, b_est.server_random, "{by:?} {i},{j}");
                assert_ne!(a.key_block(), b.key_block(), "{by:?} {i},{j}");
            }
        }

        let (full, resumed) = (&conns[0], &conns[1..]);
        match by {
            By::SessionId => {
                // Both stores hand back the very session the full handshake
                // made: one `Arc`, shared by every connection using it.
                for pair in resumed {
                    for (side, a, b) in [
                        ("client", &full.client, &pair.client),
                        ("server", &full.server, &pair.server),
                    ] {
                        assert!(
                            Arc::ptr_eq(&est(a).session, &est(b).session),
                            "{side}: not the same session"
                        );
                    }
                    assert_eq!(
                        est(&pair.server).server_hello_session_id,
                        est(&full.server).server_hello_session_id
                    );
                }
            }
            By::Ticket => {
                // No store, so no id: only the ticket can have resumed it.
                assert!(setup.server.session_store.is_none());
                assert!(est(&full.server).session.session_id.is_empty());
            }
        }
    }
}

// ---------------------------------------------------------------------------
// 2. Eight threads resume one session at once, over loopback TCP
// ---------------------------------------------------------------------------

/// What the server saw on one connection.
struct Served {
    resumed: bool,
    /// The ServerHello echoed a session id other than the session's own:
    /// the fresh one a client sends with a ticket (RFC 5077 §3.4).
    by_ticket: bool,
    master_secret: [u8; 48],
    received: Vec<u8>,
}

/// A listener on a loopback port that accepts `count` connections and
/// serves each in its own thread, all sharing `config`: it reads 16 bytes
/// and answers `echo:` and those bytes.
fn serve_echo(config: ServerConfig, count: usize) -> (u16, thread::JoinHandle<Vec<Served>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = Arc::new(config);
    let handle = thread::spawn(move || {
        let workers: Vec<_> = (0..count)
            .map(|_| {
                let (sock, _) = listener.accept().unwrap();
                let config = config.clone();
                thread::spawn(move || {
                    sock.set_read_timeout(Some(TIMEOUT)).unwrap();
                    let mut stream = Stream::accept(config, sock).unwrap();
                    let mut received = vec![0; 16];
                    stream.read_exact(&mut received).unwrap();
                    stream.write_all(b"echo:").unwrap();
                    stream.write_all(&received).unwrap();
                    stream.close().unwrap();
                    let est = stream.connection().established().unwrap();
                    Served {
                        resumed: est.resumed,
                        by_ticket: est.server_hello_session_id != est.session.session_id,
                        master_secret: *est.session.master_secret().as_bytes(),
                        received,
                    }
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    (port, handle)
}

/// Connects to `port`, sends `message`, checks the echo; returns whether
/// the connection resumed and its master secret.
fn echo_client(config: Arc<ClientConfig>, port: u16, message: &[u8; 16]) -> (bool, [u8; 48]) {
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut stream = Stream::connect(config, "localhost", sock).unwrap();
    stream.write_all(message).unwrap();
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).unwrap();
    assert_eq!(reply, [&b"echo:"[..], message].concat());
    let est = stream.connection().established().unwrap();
    (est.resumed, *est.session.master_secret().as_bytes())
}

fn eight_threads_resume_one_session_at_once(by: By) {
    let setup = Setup::new(by);
    // One ServerConfig with a MemoryStore, shared by every connection; with
    // tickets it also seals them, and the client offers the ticket.
    let mut server = setup.server.clone();
    server.session_store = Some(setup.server_store.clone());
    let (port, served) = serve_echo(server, 1 + 8);
    let client = Arc::new(setup.client.clone());

    let first = *b"full handshake!!";
    let (resumed, master_secret) = echo_client(client.clone(), port, &first);
    assert!(!resumed);

    let barrier = Arc::new(Barrier::new(8));
    let messages: Vec<[u8; 16]> = (0..8u8)
        .map(|i| b"resumption #0...".map(|b| if b == b'0' { b'0' + i } else { b }))
        .collect();
    let clients: Vec<_> = messages
        .iter()
        .map(|message| {
            let (client, barrier, message) = (client.clone(), barrier.clone(), *message);
            thread::spawn(move || {
                barrier.wait();
                echo_client(client, port, &message)
            })
        })
        .collect();
    // Clients first: if one fails, the listener still waits for it, and
    // joining it would hang.
    for (i, c) in clients.into_iter().enumerate() {
        let (resumed, secret) = c.join().unwrap();
        assert!(resumed, "{by:?}: client {i} made a full handshake");
        assert_eq!(secret, master_secret, "{by:?}: client {i}");
    }

    let served = served.join().unwrap();
    assert_eq!(served.len(), 9);
    let mut received: Vec<Vec<u8>> = served.iter().map(|s| s.received.clone()).collect();
    let mut sent: Vec<Vec<u8>> = messages.iter().map(|m| m.to_vec()).collect();
    sent.push(first.to_vec());
    received.sort();
    sent.sort();
    assert_eq!(received, sent);
    let resumed: Vec<&Served> = served.iter().filter(|s| s.resumed).collect();
    assert_eq!(resumed.len(), 8, "{by:?}");
    for s in resumed {
        assert_eq!(s.master_secret, master_secret);
        assert_eq!(s.by_ticket, by == By::Ticket, "{by:?}");
    }
}

#[test]
fn eight_threads_resume_one_session_id_at_once() {
    eight_threads_resume_one_session_at_once(By::SessionId);
}

#[test]
fn eight_threads_resume_one_ticket_at_once() {
    eight_threads_resume_one_session_at_once(By::Ticket);
}

// ---------------------------------------------------------------------------
// 3. The example server, restarted
// ---------------------------------------------------------------------------

/// A fresh directory under the system's temporary directory, readable by
/// us only, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static COUNT: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "tls12-resumption-{tag}-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&path).unwrap();
        Self(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn file(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn test_data(file: &str) -> String {
    common::test_data(file).to_str().unwrap().to_owned()
}

/// The example server listening on `127.0.0.1:port` (0: a free port) with
/// both `localhost` chains and `extra` arguments, once it says it listens;
/// and its port. A port not yet free (the server that held it is being
/// torn down) is tried again a few times, waiting longer each time.
fn example_server(port: u16, extra: &[&str]) -> (ChildGuard, u16) {
    for attempt in 1..=8 {
        let mut cmd = Command::new(common::example_binary("server"));
        cmd.args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--cert", &test_data("ecdsa/localhost.chain.pem")])
            .args(["--key", &test_data("ecdsa/localhost.key")])
            .args(["--cert", &test_data("rsa/localhost.chain.pem")])
            .args(["--key", &test_data("rsa/localhost.key")])
            .args(["--timeout", "5"])
            .args(extra);
        let mut server = ChildGuard::spawn(&mut cmd);
        if let Some(line) = server.try_wait_for_line("listening on", TIMEOUT) {
            let port = common::port_in(&line);
            return (server, port);
        }
        let out = server.finish(TIMEOUT);
        assert!(
            out.stderr.contains("in use"),
            "the example server did not start: {out:#?}"
        );
        thread::sleep(Duration::from_millis(50 * attempt));
    }
    panic!("port {port} stayed in use");
}

/// The value of a `  name:   value` line of the example server's page.
fn field<'a>(page: &'a str, name: &str) -> &'a str {
    page.lines()
        .find_map(|l| l.trim_start().strip_prefix(name))
        .unwrap_or_else(|| panic!("no {name:?} on the page:\n{page}"))
        .trim()
}

/// One `GET /` to the example server, as our client sees it.
struct Visit {
    page: String,
    resumed: bool,
    /// ServerHello echoed the fresh id sent with a ticket (RFC 5077 §3.4),
    /// not the session's own.
    by_ticket: bool,
    master_secret: [u8; 48],
}

/// Fetches the example server's page over a new connection to
/// `localhost:port`, and checks that the page and our client agree on
/// whether it resumed.
fn visit(config: &Arc<ClientConfig>, port: u16) -> Visit {
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut stream = Stream::connect(config.clone(), &format!("localhost:{port}"), sock).unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).unwrap();
    let page = String::from_utf8(reply).unwrap();
    let est = stream.connection().established().unwrap();
    let expected = if est.resumed {
        "resumed"
    } else {
        "new (full handshake)"
    };
    assert_eq!(field(&page, "this handshake:"), expected, "{page}");
    Visit {
        resumed: est.resumed,
        by_ticket: est.server_hello_session_id != est.session.session_id,
        master_secret: *est.session.master_secret().as_bytes(),
        page,
    }
}

/// Starts the example server with `args`, visits it twice, stops it (kill,
/// reap), starts it again on the same port with the same `args`, and
/// visits it once more.
fn visits_across_a_restart(args: &[&str], client: ClientConfig) -> [Visit; 3] {
    let client = Arc::new(client);
    let (server, port) = example_server(0, args);
    let first = visit(&client, port);
    let second = visit(&client, port);
    drop(server);
    let (_server, again) = example_server(port, args);
    assert_eq!(again, port);
    let after = visit(&client, port);
    assert!(!first.resumed, "{}", first.page);
    assert!(second.resumed, "{}", second.page);
    [first, second, after]
}

#[test]
fn example_server_restarted_on_its_session_directory_resumes_by_id() {
    let dir = TempDir::new("restart-id");
    let cache = dir.file("server-sessions");
    let mut client = common::client_config();
    let store = FileStore::new(dir.path().join("client-sessions")).unwrap();
    client.session_store = Some(Arc::new(store));
    client.enable_tickets = false;
    let [first, _, after] = visits_across_a_restart(&["--session-cache", &cache], client);
    assert!(after.resumed, "{}", after.page);
    assert!(!after.by_ticket);
    assert_eq!(after.master_secret, first.master_secret);
    assert_eq!(
        field(&after.page, "session id:"),
        field(&first.page, "session id:")
    );
    assert_eq!(field(&after.page, "ticket issued:"), "false");
}

#[test]
fn example_server_restarted_with_a_memory_cache_makes_a_full_handshake() {
    let mut client = common::client_config();
    client.session_store = Some(Arc::new(MemoryStore::new(16)));
    client.enable_tickets = false;
    let [first, _, after] = visits_across_a_restart(&["--session-cache", "memory"], client);
    assert!(!after.resumed, "{}", after.page);
    assert_ne!(after.master_secret, first.master_secret);
}

#[test]
fn example_server_restarted_on_its_ticket_key_file_resumes_by_ticket() {
    let dir = TempDir::new("restart-ticket");
    let keys = dir.file("ticket-keys");
    let mut client = common::client_config();
    client.session_store = Some(Arc::new(MemoryStore::new(16)));
    // The session cache is in memory: after the restart only the ticket
    // can resume the session.
    let args = ["--session-cache", "memory", "--ticket-keys", &keys];
    let [first, second, after] = visits_across_a_restart(&args, client);
    assert!(second.by_ticket);
    assert!(after.resumed, "{}", after.page);
    assert!(after.by_ticket);
    assert_eq!(after.master_secret, first.master_secret);
    assert_eq!(field(&after.page, "ticket issued:"), "true");
}

/// How many keys a ticket key file holds: `format_version`, a 2-byte
/// length, then 56 bytes a key (see `session_store::TicketKeys`).
fn keys_in(file: &Path) -> usize {
    let len = std::fs::metadata(file).map_or(0, |m| m.len() as usize);
    len.saturating_sub(3) / 56
}

/// RFC 5077 §5.5: "The keys should be changed regularly." The example
/// server rotates every `--ticket-rotate` seconds and saves each rotation
/// in its key file; a ticket sealed before a rotation still resumes, on
/// the running server and after a restart.
#[test]
fn example_server_rotates_its_ticket_keys_and_old_tickets_still_resume() {
    let dir = TempDir::new("ticket-rotate");
    let keys = dir.file("ticket-keys");
    let mut client = common::client_config();
    client.session_store = Some(Arc::new(MemoryStore::new(16)));
    let client = Arc::new(client);
    let args = ["--session-cache", "memory", "--ticket-keys", &keys];
    let args = [&args[..], &["--ticket-rotate", "1"]].concat();
    let (server, port) = example_server(0, &args);
    let first = visit(&client, port);
    assert!(!first.resumed, "{}", first.page);
    let deadline = std::time::Instant::now() + TIMEOUT;
    while keys_in(Path::new(&keys)) < 2 {
        assert!(std::time::Instant::now() < deadline, "no rotation saved");
        thread::sleep(Duration::from_millis(100));
    }
    let second = visit(&client, port);
    assert!(second.resumed && second.by_ticket, "{}", second.page);
    assert_eq!(second.master_secret, first.master_secret);
    drop(server);
    let (_server, again) = example_server(port, &args);
    assert_eq!(again, port);
    let after = visit(&client, port);
    assert!(after.resumed && after.by_ticket, "{}", after.page);
    assert_eq!(after.master_secret, first.master_secret);
}

#[test]
fn example_server_restarted_with_ticket_keys_in_memory_makes_a_full_handshake() {
    let mut client = common::client_config();
    client.session_store = Some(Arc::new(MemoryStore::new(16)));
    let args = ["--session-cache", "memory", "--tickets"];
    let [first, second, after] = visits_across_a_restart(&args, client);
    assert!(second.by_ticket);
    assert!(!after.resumed, "{}", after.page);
    assert_ne!(after.master_secret, first.master_secret);
}

// ---------------------------------------------------------------------------
// 4. Declined: a full handshake, not an error
// ---------------------------------------------------------------------------

/// RFC 6066 §3: a session is resumed only for the server name it was made
/// for. The certificate covers `a.test.localhost` too, so only the name
/// the session remembers stands in the way.
#[test]
fn session_offered_for_another_server_name_is_refused() {
    for by in [By::SessionId, By::Ticket] {
        let setup = Setup::new(by);
        let full = setup.connect("localhost");
        let session = setup.client_session();
        // The client would not offer a session made for another name, so
        // the test files it under the new name itself.
        let mut moved = session.session.duplicate();
        moved.server_name = Some("a.test.localhost".into());
        let other = ServerId::parse("a.test.localhost").unwrap();
        let moved = ClientSession {
            session: Arc::new(moved),
            ..session.clone()
        };
        setup.client_store.put(&other, moved).unwrap();

        let pair = setup.connect("a.test.localhost");
        assert_eq!(
            pair.hello.extensions.server_name.as_deref(),
            Some("a.test.localhost")
        );
        assert_offered(by, &pair.hello, &session);
        assert_full_handshake(&pair, &full.master_secret());
        // Declining it did not spoil it: under its own name it resumes.
        assert!(setup.connect("localhost").resumed(), "{by:?}");
    }
}

/// RFC 7627 §5.3: a server that receives a ClientHello with the extension
/// "MUST NOT" resume a session made without it. The server finds the
/// session (it is in its store), yet declines; the same session with the
/// flag set resumes.
#[test]
fn session_without_extended_master_secret_is_refused_by_the_server() {
    let store = Arc::new(RecordingStore::new());
    let client_store: Arc<dyn ClientSessionStore> = Arc::new(MemoryStore::new(16));
    let mut server = common::server_config();
    server.session_store = Some(store.clone());
    let mut client = common::client_config();
    client.session_store = Some(client_store.clone());
    client.enable_tickets = false;
    let master_secret = [0x5a; 48];
    let chain = common::certs_der("ecdsa/localhost.chain.pem");

    for (n, ems) in [(1, true), (2, false)] {
        let id = SessionId::new(&[n; 32]).unwrap();
        store
            .put(Arc::new(handmade(id, ems, master_secret, vec![])))
            .unwrap();
        // The client's copy claims the extended master secret, so it offers it.
        let claimed = handmade(id, true, master_secret, chain.clone());
        let claimed = ClientSession::new(Arc::new(claimed), None);
        client_store.put(&localhost(), claimed).unwrap();

        let pair = Pair::connect(&client, &server, "localhost");
        assert_eq!(pair.hello.session_id, id);
        assert!(store.lookups().contains(&(id, true)), "the server found it");
        if ems {
            assert!(pair.resumed());
            assert_eq!(pair.master_secret(), master_secret);
        } else {
            assert_full_handshake(&pair, &master_secret);
        }
    }
}

/// RFC 7627 §5.3: a client "SHOULD NOT" offer a session made without the
/// extended master secret; ours never does, by id or by ticket. The same
/// session with the flag set is offered and resumes.
#[test]
fn session_without_extended_master_secret_is_not_offered_by_the_client() {
    let store = Arc::new(RecordingStore::new());
    let keys = new_ticket_keys();
    let mut server = common::server_config();
    server.session_store = Some(store.clone());
    server.ticket_keys = Some(keys.clone());
    let client_store: Arc<dyn ClientSessionStore> = Arc::new(MemoryStore::new(16));
    let mut client = common::client_config();
    client.session_store = Some(client_store.clone());
    let master_secret = [0xa5; 48];
    let chain = common::certs_der("ecdsa/localhost.chain.pem");

    let mut n = 0;
    for with_ticket in [false, true] {
        for ems in [true, false] {
            n += 1;
            let id = SessionId::new(&[n; 32]).unwrap();
            let server_copy = handmade(id, ems, master_secret, vec![]);
            let client_copy = handmade(id, ems, master_secret, chain.clone());
            let mut client_copy = ClientSession::new(Arc::new(client_copy), None);
            if with_ticket {
                client_copy.ticket = Some(keys.seal(&server_copy).unwrap());
            }
            store.put(Arc::new(server_copy)).unwrap();
            client_store.put(&localhost(), client_copy.clone()).unwrap();

            let pair = Pair::connect(&client, &server, "localhost");
            let case = format!("ticket: {with_ticket}, EMS: {ems}");
            if ems {
                let by = if with_ticket {
                    By::Ticket
                } else {
                    By::SessionId
                };
                assert_offered(by, &pair.hello, &client_copy);
                assert!(pair.resumed(), "{case}");
                assert_eq!(pair.master_secret(), master_secret, "{case}");
            } else {
                assert_nothing_offered(&pair.hello);
                assert!(!store.lookups().iter().any(|(l, _)| *l == id), "{case}");
                assert_full_handshake(&pair, &master_secret);
            }
        }
    }
}

/// The server judges a session's age by its own clock: one second before
/// `created_at + lifetime` it resumes, at that instant it declines, though
/// the client (on the system clock) still offers it.
#[test]
fn expired_session_is_refused_by_the_server() {
    for by in [By::SessionId, By::Ticket] {
        let clock = ManualClock::new();
        let mut setup = Setup::new(by);
        setup.server.clock = clock.clock();
        let full = setup.connect("localhost");
        let session = &est(&full.server).session;
        assert_eq!(session.created_at, clock.now());
        let end = session.created_at + session.lifetime;

        clock.set(end - 1);
        assert!(setup.connect("localhost").resumed(), "{by:?}");

        clock.set(end);
        let offer = setup.client_session();
        let pair = setup.connect("localhost");
        assert_offered(by, &pair.hello, &offer);
        assert_full_handshake(&pair, &full.master_secret());
    }
}

/// The client judges a session's age by its own clock and does not offer
/// an expired one.
#[test]
fn expired_session_is_not_offered_by_the_client() {
    for by in [By::SessionId, By::Ticket] {
        let clock = ManualClock::new();
        let mut setup = Setup::new(by);
        setup.client.clock = clock.clock();
        let full = setup.connect("localhost");
        let session = setup.client_session();
        assert_eq!(session.session.created_at, clock.now());
        let end = session.session.created_at + session.session.lifetime;

        clock.set(end - 1);
        let pair = setup.connect("localhost");
        assert_offered(by, &pair.hello, &session);
        assert!(pair.resumed(), "{by:?}");

        clock.set(end);
        let pair = setup.connect("localhost");
        assert_nothing_offered(&pair.hello);
        assert_full_handshake(&pair, &full.master_secret());
    }
}

/// Breaks the connection after its handshake: the client sends a record
/// whose tag is wrong, the server answers with a fatal bad_record_mac,
/// and the client receives it.
fn fail_with_a_fatal_alert(pair: &mut Pair) {
    pair.client.write_application_data(b"spoiled").unwrap();
    let mut wire = take(&mut pair.client);
    *wire.last_mut().unwrap() ^= 1;
    let err = deliver(&mut pair.server, &wire).unwrap_err();
    assert_eq!(err.alert(), Some(AlertDescription::BadRecordMac), "{err}");
    let alert = take(&mut pair.server);
    match deliver(&mut pair.client, &alert) {
        Err(Error::Record(RecordError::PeerAlert(a))) => {
            assert_eq!(a.description, AlertDescription::BadRecordMac)
        }
        other => panic!("the client did not receive the alert: {other:?}"),
    }
}

/// Client and server stores in memory (sharing the session's `Arc`, so
/// that `Session::invalidate` reaches them) or in files (holding copies,
/// reached only by `remove`), with the store handles the test looks into.
fn with_stores(mut setup: Setup, files: Option<&TempDir>) -> Setup {
    if let Some(dir) = files {
        setup.client_store = Arc::new(FileStore::new(dir.path().join("client")).unwrap());
        setup.client.session_store = Some(setup.client_store.clone());
        if setup.server.session_store.is_some() {
            setup.server_store = Arc::new(FileStore::new(dir.path().join("server")).unwrap());
            setup.server.session_store = Some(setup.server_store.clone());
        }
    }
    setup
}

/// §7.2.2: after a fatal alert "the session identifier MUST be invalidated,
/// preventing the failed session from being used to establish new
/// connections". Both stores forget the session, so the client offers
/// nothing next time, and even a client that kept a copy of it makes a
/// full handshake.
#[test]
fn fatal_alert_on_a_resumed_connection_invalidates_the_session() {
    for files in [false, true] {
        let dir = TempDir::new("fatal-alert");
        let setup = with_stores(Setup::new(By::SessionId), files.then_some(&dir));
        let case = if files { "FileStore" } else { "MemoryStore" };
        let full = setup.connect("localhost");
        let kept_copy = setup.client_session().session.duplicate();
        let id = kept_copy.session_id;

        let mut pair = setup.connect("localhost");
        assert!(pair.resumed());
        fail_with_a_fatal_alert(&mut pair);

        for (side, conn) in [("server", &pair.server), ("client", &pair.client)] {
            let session = conn.session().unwrap();
            assert!(!session.is_resumable(), "{case}: {side}");
            if !files {
                // The full handshake's connections share that very session.
                let first = if side == "server" {
                    &full.server
                } else {
                    &full.client
                };
                assert!(!est(first).session.is_resumable(), "{case}: {side}");
            }
        }
        assert!(setup.server_store.get(&id).unwrap().is_none(), "{case}");
        assert!(setup.client_store.get(&localhost()).unwrap().is_none());

        let next = setup.connect("localhost");
        assert_nothing_offered(&next.hello);
        assert_full_handshake(&next, &full.master_secret());

        setup
            .client_store
            .put(&localhost(), ClientSession::new(Arc::new(kept_copy), None))
            .unwrap();
        let stale = setup.connect("localhost");
        assert_eq!(stale.hello.session_id, id, "{case}");
        assert_full_handshake(&stale, &full.master_secret());
    }
}

/// On a ticket-resumed connection a fatal alert cannot reach the ticket
/// (the server keeps nothing to remove); the client forgets it, and its
/// next connection makes a full handshake.
#[test]
fn fatal_alert_on_a_ticket_resumed_connection_makes_the_client_forget_it() {
    for files in [false, true] {
        let dir = TempDir::new("fatal-alert-ticket");
        let setup = with_stores(Setup::new(By::Ticket), files.then_some(&dir));
        let case = if files { "FileStore" } else { "MemoryStore" };
        let full = setup.connect("localhost");
        let mut pair = setup.connect("localhost");
        assert!(pair.resumed());
        fail_with_a_fatal_alert(&mut pair);
        assert!(!pair.client.session().unwrap().is_resumable(), "{case}");
        assert!(!pair.server.session().unwrap().is_resumable(), "{case}");
        assert!(setup.client_store.get(&localhost()).unwrap().is_none());
        let next = setup.connect("localhost");
        assert_nothing_offered(&next.hello);
        assert_full_handshake(&next, &full.master_secret());
    }
}

/// RFC 5077 §3.1, §5.3: a ticket the server cannot open (sealed under
/// keys it does not have, or altered) means a full handshake, which issues
/// a ticket it can open.
#[test]
fn ticket_from_an_unknown_key_or_altered_is_refused() {
    let setup = Setup::new(By::Ticket);
    let full = setup.connect("localhost");
    let stale = setup.client_session();

    // Same certificates, new ticket keys: as after a restart with keys
    // kept in memory only.
    let mut other = setup.server.clone();
    other.ticket_keys = Some(new_ticket_keys());
    let pair = Pair::connect(&setup.client, &other, "localhost");
    assert_offered(By::Ticket, &pair.hello, &stale);
    assert_full_handshake(&pair, &full.master_secret());

    let fresh = setup.client_session();
    assert_ne!(fresh.ticket, stale.ticket);
    let again = Pair::connect(&setup.client, &other, "localhost");
    assert_offered(By::Ticket, &again.hello, &fresh);
    assert!(again.resumed());
    assert_eq!(again.master_secret(), pair.master_secret());

    // One bit of the (encrypted) state changed: the tag no longer verifies.
    let mut altered = fresh.clone();
    let ticket = altered.ticket.as_mut().unwrap();
    let middle = ticket.len() / 2;
    ticket[middle] ^= 0x01;
    setup
        .client_store
        .put(&localhost(), altered.clone())
        .unwrap();
    let pair = Pair::connect(&setup.client, &other, "localhost");
    assert_offered(By::Ticket, &pair.hello, &altered);
    assert_full_handshake(&pair, fresh.session.master_secret().as_bytes());
}

// ---------------------------------------------------------------------------
// 5. Tickets without a server session store
// ---------------------------------------------------------------------------

/// RFC 5077 §3.4: the server keeps nothing; the client sends its ticket
/// with a fresh session id, which the server echoes to accept it. Each
/// resumption brings a renewed ticket for the same session (§3.3), which
/// the next connection offers.
#[test]
fn tickets_resume_on_a_server_without_a_session_store() {
    let setup = Setup::new(By::Ticket);
    assert!(setup.server.session_store.is_none());
    let full = setup.connect("localhost");
    // §7.4.1.3: an empty session id, "the session will not be cached".
    assert!(est(&full.server).server_hello_session_id.is_empty());
    assert!(est(&full.client).session.session_id.is_empty());
    assert!(
        setup.client_session().ticket.is_some(),
        "a ticket was issued"
    );

    let mut offer = setup.client_session();
    for i in 0..2 {
        let pair = setup.connect("localhost");
        assert_offered(By::Ticket, &pair.hello, &offer);
        assert!(pair.resumed(), "resumption {i}");
        assert_eq!(pair.master_secret(), full.master_secret());
        assert_eq!(pair.hello.session_id.as_bytes().len(), 32);
        for side in [&pair.client, &pair.server] {
            assert_eq!(est(side).server_hello_session_id, pair.hello.session_id);
            assert!(est(side).session.session_id.is_empty());
        }
        let renewed = setup.client_session();
        assert_ne!(renewed.ticket, offer.ticket, "resumption {i}");
        offer = renewed;
    }
}

#[test]
fn a_client_with_tickets_disabled_never_sends_a_stored_ticket() {
    // A session known by its ticket alone (no server store): not offered.
    let mut setup = Setup::new(By::Ticket);
    setup.connect("localhost");
    assert!(setup.client_session().ticket.is_some());
    setup.client.enable_tickets = false;
    let pair = setup.connect("localhost");
    assert_eq!(pair.hello.extensions.session_ticket, None, "extension sent");
    assert_nothing_offered(&pair.hello);
    assert!(!pair.resumed());

    // A session with both an id and a ticket: offered by its id alone.
    let mut setup = Setup::new(By::Ticket);
    setup.server.session_store = Some(setup.server_store.clone());
    let full = setup.connect("localhost");
    let session = setup.client_session();
    assert!(session.ticket.is_some() && !session.session.session_id.is_empty());
    setup.client.enable_tickets = false;
    let pair = setup.connect("localhost");
    assert_eq!(pair.hello.extensions.session_ticket, None, "extension sent");
    assert_offered(By::SessionId, &pair.hello, &session);
    assert!(pair.resumed());
    assert_eq!(pair.master_secret(), full.master_secret());
}
