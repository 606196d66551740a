//! The difference between a TLS *connection* and a TLS *session*, shown.
//!
//! ```sh
//! cargo run --example demo            # the story
//! cargo run --example demo -- --trace # ... with every record and message
//! cargo run --example demo -- --html demo.html # ... drawn as a page
//! ```
//!
//! A server and a client run on loopback; ten connections tell the story:
//! a full handshake makes a session, later connections resume it with keys
//! of their own, two at once, even after the server restarts; a
//! renegotiation puts a new session under a live connection; a fatal alert
//! ends a session; and a second server sharing the first one's store
//! resumes its session (in Redis when `redis-server` is on PATH). Secrets
//! are shown only as fingerprints.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::Instant;

use clap::{ArgGroup, Parser};
use tls12::handshake::observe::Observer;
use tls12::handshake::Side;
use tls12::session_store::{FileStore, MemoryStore, ServerSessionStore, TicketKeys};
use tls12::{
    certs_from_pem, system_clock, CertifiedKey, ClientConfig, Connection, KeyLogFile, ServerConfig,
    SigningKey, Stream, TrustAnchors,
};
use tls12_farm::{FarmKey, Redis, RedisStore};
use tls12_trace::html::HtmlReport;
use tls12_trace::text::Tracer;

/// Run a TLS 1.2 server and client on loopback and show, connection by
/// connection, what belongs to a connection and what to a session.
#[derive(Parser, Debug)]
#[command(version, group(ArgGroup::new("observe").args(["trace", "html"]).multiple(true)))]
struct Args {
    /// Also print every record, handshake message and state change.
    #[arg(long)]
    trace: bool,
    /// With --trace or --html: also show master secrets, key blocks and keys.
    #[arg(long, requires = "observe")]
    trace_secrets: bool,
    /// Also draw every connection, its records, messages, keys and sessions,
    /// as one self-contained HTML page written to FILE.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
}

#[path = "demo/lifetime.rs"]
mod lifetime;
#[path = "demo/login.rs"]
mod login;
#[path = "demo/tls13.rs"]
mod tls13;

/// The page of `--html`, when asked for.
static PAGE: OnceLock<Arc<HtmlReport>> = OnceLock::new();

// The demo needs no files: the test PKI is built in.
const CHAIN: &[u8] = include_bytes!("../test-data/ecdsa/localhost.chain.pem");
const KEY: &[u8] = include_bytes!("../test-data/ecdsa/localhost.key");
const ROOT: &[u8] = include_bytes!("../test-data/ecdsa/root.pem");

fn main() {
    let args = Args::parse();
    if let Err(e) = run(&args) {
        eprintln!("demo: {e}");
        std::process::exit(1);
    }
}

/// One row of the summary table.
struct Row {
    name: &'static str,
    local_port: u16,
    session: String,
    how: &'static str,
    handshakes: u32,
    master: String,
    keys: String,
}

fn run(args: &Args) -> io::Result<()> {
    if args.html.is_some() {
        let title = "tls12 demo: connections and sessions";
        let _ = PAGE.set(HtmlReport::new(title, args.trace_secrets));
    }
    let dir = scratch_dir()?;
    let result = story(args, &dir);
    // Best effort: the directory is in the system's temporary folder.
    let _ = std::fs::remove_dir_all(&dir);
    // The page is written even when the story failed: it shows where.
    if let (Some(path), Some(page)) = (&args.html, PAGE.get()) {
        page.write(path)?;
        println!("\nThe page: {}", path.display());
    }
    result
}

/// The observer for one side: a tracer, the page's recorder, both or none.
fn observer(args: &Args, side: Side, label: &str) -> Option<Arc<dyn Observer>> {
    let trace = args
        .trace
        .then(|| Tracer::stderr(label, args.trace_secrets) as Arc<dyn Observer>);
    match PAGE.get() {
        Some(page) => Some(page.observer(side, trace)),
        None => trace,
    }
}

fn story(args: &Args, dir: &Path) -> io::Result<()> {
    let client = Arc::new(client_config(args)?);
    let mut rows = Vec::new();

    println!("A server keeps its sessions in {}", dir.display());
    let server = Server::start(server_config(args, dir)?, 0)?;
    let port = server.port;

    chapter("1. C1: a full handshake creates session S1");
    let (c1, row) = connect(&client, port, "C1")?;
    describe(&c1);
    let s1 = row.session.clone();
    rows.push(row);

    chapter("2. C2 resumes S1 by its session id: same master secret, different keys");
    let (c2, row) = connect(&client, port, "C2")?;
    side_by_side(&c1, &c2);
    rows.push(row);

    chapter("3. C3 and C4, at the same time, both resume S1: one session, many connections");
    let barrier = Arc::new(Barrier::new(2));
    let both: Vec<JoinHandle<io::Result<Row>>> = ["C3", "C4"]
        .into_iter()
        .map(|name| {
            let (client, barrier) = (client.clone(), barrier.clone());
            thread::spawn(move || {
                barrier.wait();
                connect(&client, port, name).map(|(_, row)| row)
            })
        })
        .collect();
    for handle in both {
        let row = handle
            .join()
            .map_err(|_| io::Error::other("client thread panicked"))??;
        println!(
            "  {}: {} session {} (local port {})",
            row.name,
            row.how,
            short(&row.session),
            row.local_port
        );
        rows.push(row);
    }

    chapter("4. The server is stopped; a new one on the same file store lets C5 resume S1");
    server.stop();
    note("The first server is gone; a second one starts on the same port and file store.");
    // The same address: the client keys its sessions by name and port.
    let server = Server::start(server_config(args, dir)?, port)?;
    let (_, row) = connect(&client, port, "C5")?;
    println!("  C5: {} session {}", row.how, short(&row.session));
    rows.push(row);

    chapter("5. C6 renegotiates: the same connection (same socket) gets a new session S2");
    let (mut c6, row) = connect(&client, port, "C6")?;
    println!(
        "  before: handshake {} session {} on local port {}",
        row.handshakes,
        short(&row.session),
        row.local_port
    );
    c6.renegotiate()?;
    exchange(&mut c6)?;
    let mut row = row_of("C6", &c6)?;
    row.how = "renegotiated";
    println!(
        "  after:  handshake {} session {} on local port {} (a new session, {})",
        row.handshakes,
        short(&row.session),
        row.local_port,
        if row.session != s1 {
            "not S1"
        } else {
            "still S1?"
        }
    );
    let s2 = c6.connection().session().cloned();
    rows.push(row);

    chapter("6. A fatal alert on C7 ends its session: C8 falls back to a full handshake");
    let (mut c7, row) = connect(&client, port, "C7")?;
    println!("  C7: {} session {}", row.how, short(&row.session));
    let c7_session = c7.connection().session().cloned();
    rows.push(row);
    // A record that fails authentication: the server answers bad_record_mac.
    c7.get_ref().write_all(&[
        23, 3, 3, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ])?;
    let mut byte = [0u8; 1];
    let outcome = c7.read(&mut byte);
    say(&format!(
        "  C7 sent a forged record; the server answered: {}",
        outcome.err().map_or("nothing".into(), |e| e.to_string())
    ));
    note(
        "(the forged record went to the socket past C7's Connection, so only its answer is drawn)",
    );
    if let Some(session) = &c7_session {
        println!(
            "  session {} is resumable: {} (RFC 5246 §7.2.2: \"the session identifier MUST be invalidated\")",
            short(&hex(session.session_id.as_bytes())),
            session.is_resumable()
        );
        let store = FileStore::new(dir.join("sessions")).map_err(io::Error::other)?;
        let kept =
            ServerSessionStore::get(&store, &session.session_id).map_err(io::Error::other)?;
        println!("  the server's store still has it: {}", kept.is_some());
    }
    let (_, row) = connect(&client, port, "C8")?;
    println!("  C8: {} session {}", row.how, short(&row.session));
    rows.push(row);
    drop((c1, c2, c6, s2));
    server.stop();

    chapter("7. Connections × sessions");
    note("The page draws this table first, at its top: connections × sessions.");
    println!(
        "  {:<4} {:>10} {:<16} {:<12} {:>10} {:<16} {:<16}",
        "conn", "local port", "session", "handshake", "handshakes", "master secret", "key block"
    );
    for r in &rows {
        println!(
            "  {:<4} {:>10} {:<16} {:<12} {:>10} {:<16} {:<16}",
            r.name,
            r.local_port,
            short(&r.session),
            r.how,
            r.handshakes,
            r.master,
            r.keys
        );
    }
    println!("  (secrets shown as the first 8 bytes of their SHA-256)");

    chapter("8. Why sessions exist: the cost of a handshake");
    let (full, resumed) = handshake_costs(&client, args)?;
    println!("  full handshake (ECDHE + ECDSA + certificate checks): {full:>8.0} µs");
    println!("  abbreviated handshake (resumed session):             {resumed:>8.0} µs");
    println!("  a resumption costs {:.1}× less", full / resumed);
    note(&format!(
        "A resumption costs {:.1}× less (measured in memory, without the page's recording):",
        full / resumed
    ));
    if let Some(page) = PAGE.get() {
        page.bars(
            &[
                ("full handshake (ECDHE, ECDSA, certificate checks)", full),
                ("abbreviated handshake (resumed session)", resumed),
            ],
            "µs",
        );
    }

    chapter(
        "9. Server B, sharing server A's store, resumes A's session: \
         the session is not on the machine, the connection is",
    );
    farm(args, &client, dir)?;

    chapter("10. What TLS 1.3 changed: resumption without the old secrets, no renegotiation");
    let (c1, c2) = (&rows[0], &rows[1]);
    tls13::chapter(
        CHAIN,
        KEY,
        ROOT,
        (&c1.master, &c1.keys, &c2.keys),
        fingerprint,
        say,
    )?;

    chapter("11. A TLS session is not your login: the application's session rides on top");
    login::chapter(args, dir)?;

    chapter("12. Sessions expire: resumed within their lifetime, a full handshake after");
    lifetime::chapter(args, dir)
}

/// Chapter 9: two servers behind one name, one session store between
/// them: Redis if `redis-server` is on PATH, else one in-process store.
fn farm(args: &Args, client: &Arc<ClientConfig>, dir: &Path) -> io::Result<()> {
    let redis = LocalRedis::start();
    let (store_a, store_b): (Arc<dyn ServerSessionStore>, Arc<dyn ServerSessionStore>) =
        match &redis {
            Some(redis) => {
                say(&format!(
                    "  shared store: Redis at 127.0.0.1:{} (values sealed under a farm key)",
                    redis.port
                ));
                let key = Arc::new(FarmKey::generate().map_err(io::Error::other)?);
                let link = || Redis::open(&redis.url(), Redis::DEFAULT_TIMEOUT);
                let a = RedisStore::new(link().map_err(io::Error::other)?, key.clone());
                let b = RedisStore::new(link().map_err(io::Error::other)?, key);
                (Arc::new(a), Arc::new(b))
            }
            None => {
                say(
                    "  shared store: one in-process store (redis-server is not on PATH; \
                     the Debian package redis-server has it)",
                );
                let store = Arc::new(MemoryStore::new(16));
                (store.clone(), store)
            }
        };
    let a = Server::start(farm_server_config(args, dir, store_a)?, 0)?;
    let b = Server::start(farm_server_config(args, dir, store_b)?, 0)?;
    say(&format!(
        "  the client sees one server, {FARM_NAME} (as behind a load balancer)"
    ));
    let (c9, row9) = connect_as(client, a.port, FARM_NAME, "C9")?;
    say(&format!(
        "  C9 on server A (port {}): {} session {}",
        a.port,
        row9.how,
        short(&row9.session)
    ));
    let (c10, row10) = connect_as(client, b.port, FARM_NAME, "C10")?;
    say(&format!(
        "  C10 on server B (port {}): {} session {}",
        b.port,
        row10.how,
        short(&row10.session)
    ));
    say(&format!(
        "  same master secret: {}",
        row9.master == row10.master
    ));
    say(&format!("  same keys: {}", row9.keys == row10.keys));
    drop((c9, c10));
    a.stop();
    b.stop();
    Ok(())
}

/// The name both farm servers go by, for the client.
const FARM_NAME: &str = "localhost:443";

/// The demo's server config with `store` and no tickets, so that the
/// session id and the shared store are what resumes.
fn farm_server_config(
    args: &Args,
    dir: &Path,
    store: Arc<dyn ServerSessionStore>,
) -> io::Result<ServerConfig> {
    let mut config = server_config(args, dir)?;
    config.session_store = Some(store);
    config.ticket_keys = None;
    Ok(config)
}

/// A `redis-server` of the demo's own, if one is on PATH; killed on drop.
struct LocalRedis {
    child: std::process::Child,
    port: u16,
}

impl LocalRedis {
    fn start() -> Option<Self> {
        let port = TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let child = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()?;
        let redis = Self { child, port };
        let deadline = Instant::now() + std::time::Duration::from_secs(5);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return None;
            }
            thread::sleep(std::time::Duration::from_millis(10));
        }
        Some(redis)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for LocalRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A line of the story, printed and put on the page.
fn say(line: &str) {
    println!("{line}");
    note(line.trim_start());
}

/// A line for the page only.
fn note(line: &str) {
    if let Some(page) = PAGE.get() {
        page.note(line);
    }
}

fn chapter(title: &str) {
    println!("\n{title}");
    if let Some(page) = PAGE.get() {
        page.section(title);
    }
}

/// A running demo server: each connection answers lines with "ok".
struct Server {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl Server {
    /// Listens on `port` (0: any free port).
    fn start(config: ServerConfig, port: u16) -> io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let port = listener.local_addr()?.port();
        let stop = Arc::new(AtomicBool::new(false));
        let config = Arc::new(config);
        let stopping = stop.clone();
        let thread = thread::spawn(move || {
            for sock in listener.incoming() {
                if stopping.load(Ordering::Acquire) {
                    break;
                }
                let Ok(sock) = sock else { continue };
                let config = config.clone();
                // Errors end only that connection (C7's is on purpose).
                thread::spawn(move || {
                    let _ = serve(config, sock);
                });
            }
        });
        Ok(Self { port, stop, thread })
    }

    fn stop(self) {
        self.stop.store(true, Ordering::Release);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        let _ = self.thread.join();
    }
}

fn serve(config: Arc<ServerConfig>, sock: TcpStream) -> io::Result<()> {
    let mut reader = BufReader::new(Stream::accept(config, sock)?);
    let mut line = String::new();
    while reader.read_line(&mut line)? > 0 {
        // Chapter 11's application, or "ok".
        let reply = login::answer(&line).unwrap_or_else(|| "ok".into());
        reader
            .get_mut()
            .write_all(format!("{reply}\n").as_bytes())?;
        line.clear();
    }
    reader.get_mut().close()
}

fn server_config(args: &Args, dir: &Path) -> io::Result<ServerConfig> {
    let certified = CertifiedKey::new(
        certs_from_pem(CHAIN).map_err(io::Error::other)?,
        SigningKey::from_pem(KEY).map_err(io::Error::other)?,
    );
    let mut config = ServerConfig::new(vec![certified]);
    config.session_store = Some(Arc::new(
        FileStore::new(dir.join("sessions")).map_err(io::Error::other)?,
    ));
    let keys = TicketKeys::load_or_create(&dir.join("ticket-keys"), system_clock());
    config.ticket_keys = Some(Arc::new(keys.map_err(io::Error::other)?));
    // Key logging is opt-in: this example honours SSLKEYLOGFILE.
    config.key_log = KeyLogFile::from_env()?;
    config.observer = observer(args, Side::Server, "server");
    Ok(config)
}

fn client_config(args: &Args) -> io::Result<ClientConfig> {
    let mut config = ClientConfig::new(TrustAnchors::from_pem(ROOT).map_err(io::Error::other)?);
    config.session_store = Some(Arc::new(MemoryStore::new(16)));
    // Resume by session id, so that the server's store is what keeps S1.
    config.enable_tickets = false;
    config.key_log = KeyLogFile::from_env()?;
    config.observer = observer(args, Side::Client, "client");
    Ok(config)
}

/// A new connection that exchanges one line, and its summary row.
fn connect(
    client: &Arc<ClientConfig>,
    port: u16,
    name: &'static str,
) -> io::Result<(Stream<TcpStream>, Row)> {
    connect_as(client, port, &format!("localhost:{port}"), name)
}

/// [`connect`] to `port`, with the client keeping the session for
/// `server` (a name and port it believes it talks to).
fn connect_as(
    client: &Arc<ClientConfig>,
    port: u16,
    server: &str,
    name: &'static str,
) -> io::Result<(Stream<TcpStream>, Row)> {
    let sock = TcpStream::connect(("127.0.0.1", port))?;
    let mut stream = Stream::connect(client.clone(), server, sock)?;
    exchange(&mut stream)?;
    let row = row_of(name, &stream)?;
    if let (Some(page), Some(est)) = (PAGE.get(), stream.connection().established()) {
        page.name_connection(&est.client_random.0, name);
    }
    Ok((stream, row))
}

/// One line there and back, to show data flowing.
fn exchange(stream: &mut Stream<TcpStream>) -> io::Result<()> {
    stream.write_all(b"hello\n")?;
    let mut reply = [0u8; 3];
    stream.read_exact(&mut reply)?;
    if &reply != b"ok\n" {
        return Err(io::Error::other("unexpected reply"));
    }
    Ok(())
}

fn row_of(name: &'static str, stream: &Stream<TcpStream>) -> io::Result<Row> {
    let conn = stream.connection();
    let est = conn.established().ok_or(io::Error::other("no handshake"))?;
    let master = est.session.master_secret();
    let key_block = est.key_block();
    Ok(Row {
        name,
        local_port: stream.get_ref().local_addr()?.port(),
        session: hex(est.session.session_id.as_bytes()),
        how: if est.resumed { "resumed" } else { "full" },
        handshakes: conn.handshake_count(),
        master: fingerprint(master.as_bytes()),
        keys: fingerprint(key_block.as_bytes()),
    })
}

/// What C1 holds as a connection, and what its session holds.
fn describe(stream: &Stream<TcpStream>) {
    let conn = stream.connection();
    let Some(est) = conn.established() else {
        return;
    };
    println!("  the session S1 (RFC 5246 §7), shared by every connection that resumes it:");
    println!(
        "    session id      {}",
        hex(est.session.session_id.as_bytes())
    );
    println!(
        "    cipher suite    {}",
        est.session.cipher_suite.rfc_name()
    );
    println!(
        "    master secret   {} (fingerprint)",
        fingerprint(est.session.master_secret().as_bytes())
    );
    println!(
        "    extended master secret (RFC 7627): {}",
        est.session.extended_master_secret
    );
    println!("  the connection C1 (RFC 5246 §6.1), its own and no one else's:");
    println!("    client random   {}", hex(&est.client_random.0));
    println!("    server random   {}", hex(&est.server_random.0));
    let key_block = est.key_block();
    println!(
        "    key block       {} (fingerprint)",
        fingerprint(key_block.as_bytes())
    );
    if let Some(w) = conn.cipher_states().current_write() {
        println!("    write sequence number now {}", w.seq_num());
    }
}

/// C1 and C2 next to each other.
fn side_by_side(a: &Stream<TcpStream>, b: &Stream<TcpStream>) {
    let (Some(x), Some(y)) = (a.connection().established(), b.connection().established()) else {
        return;
    };
    let line = |label: &str, l: String, r: String| {
        let same = if l == r { "same" } else { "different" };
        println!("    {label:<16} {l:<66} {r:<66} {same}");
    };
    println!("    {:<16} {:<66} {:<66}", "", "C1", "C2");
    line(
        "session id",
        hex(x.session.session_id.as_bytes()),
        hex(y.session.session_id.as_bytes()),
    );
    line(
        "master secret",
        fingerprint(x.session.master_secret().as_bytes()),
        fingerprint(y.session.master_secret().as_bytes()),
    );
    line(
        "client random",
        hex(&x.client_random.0),
        hex(&y.client_random.0),
    );
    line(
        "server random",
        hex(&x.server_random.0),
        hex(&y.server_random.0),
    );
    line(
        "key block",
        fingerprint(x.key_block().as_bytes()),
        fingerprint(y.key_block().as_bytes()),
    );
    println!(
        "  key_block = PRF(master_secret, \"key expansion\", server_random + client_random) (§6.3)"
    );
}

/// Mean time of a full and of an abbreviated handshake, in memory.
fn handshake_costs(client: &Arc<ClientConfig>, args: &Args) -> io::Result<(f64, f64)> {
    const ROUNDS: u32 = 30;
    let dir = scratch_dir()?;
    let mut server = server_config(args, &dir)?;
    let _ = std::fs::remove_dir_all(&dir);
    server.observer = None;
    server.session_store = Some(Arc::new(MemoryStore::new(16)));
    let server = Arc::new(server);
    let mut full_client = (**client).clone();
    full_client.observer = None;
    full_client.session_store = None;
    let mut resuming_client = full_client.clone();
    resuming_client.session_store = Some(Arc::new(MemoryStore::new(16)));
    let (full_client, resuming_client) = (Arc::new(full_client), Arc::new(resuming_client));

    let time = |client: &Arc<ClientConfig>, want_resumed: bool| -> io::Result<f64> {
        let start = Instant::now();
        for _ in 0..ROUNDS {
            let resumed = in_memory_handshake(client, &server)?;
            if resumed != want_resumed {
                return Err(io::Error::other(format!(
                    "a handshake did not do what it should: resumed {resumed}, wanted {want_resumed}"
                )));
            }
        }
        Ok(start.elapsed().as_secs_f64() * 1e6 / f64::from(ROUNDS))
    };
    let full = time(&full_client, false)?;
    in_memory_handshake(&resuming_client, &server)?; // a session to resume
    Ok((full, time(&resuming_client, true)?))
}

/// One handshake between two connections in memory; returns whether it resumed.
fn in_memory_handshake(client: &Arc<ClientConfig>, server: &Arc<ServerConfig>) -> io::Result<bool> {
    let tls = |e: tls12::Error| io::Error::other(e.to_string());
    let mut c = Connection::client(client.clone(), "localhost").map_err(tls)?;
    let mut s = Connection::server(server.clone());
    while c.is_handshaking() || s.is_handshaking() {
        let mut bytes = Vec::new();
        c.write_tls(&mut bytes)?;
        s.read_tls(&mut bytes.as_slice())?;
        s.process_new_packets().map_err(tls)?;
        bytes.clear();
        s.write_tls(&mut bytes)?;
        c.read_tls(&mut bytes.as_slice())?;
        c.process_new_packets().map_err(tls)?;
    }
    Ok(c.established().is_some_and(|e| e.resumed))
}

/// A fresh private directory under the system's temporary folder.
fn scratch_dir() -> io::Result<PathBuf> {
    let mut random = [0u8; 8];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut random)
        .map_err(|_| io::Error::other("no randomness"))?;
    let dir = std::env::temp_dir().join(format!("tls12-demo-{}", hex(&random)));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn fingerprint(secret: &[u8]) -> String {
    hex(&ring::digest::digest(&ring::digest::SHA256, secret).as_ref()[..8])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A session id shortened for tables.
fn short(id: &str) -> String {
    if id.is_empty() {
        "(none)".into()
    } else {
        format!("{}…", &id[..id.len().min(12)])
    }
}
