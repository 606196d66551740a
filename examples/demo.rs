//! The difference between a TLS *connection* and a TLS *session*, shown.
//!
//! ```sh
//! cargo run --example demo            # the story
//! cargo run --example demo -- --trace # ... with every record and message
//! ```
//!
//! A server and a client run on loopback; eight connections tell the story:
//! a full handshake makes a session, later connections resume it with keys
//! of their own, two at once, even after the server restarts; a
//! renegotiation puts a new session under a live connection; a fatal alert
//! ends a session. Secrets are shown only as fingerprints.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread::{self, JoinHandle};
use std::time::Instant;

use clap::Parser;
use tls12::session_store::{FileStore, MemoryStore, ServerSessionStore, TicketKeys};
use tls12::trace::Tracer;
use tls12::{
    certs_from_pem, system_clock, CertifiedKey, ClientConfig, Connection, KeyLogFile, ServerConfig,
    SigningKey, Stream, TrustAnchors,
};

/// Run a TLS 1.2 server and client on loopback and show, connection by
/// connection, what belongs to a connection and what to a session.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Also print every record, handshake message and state change.
    #[arg(long)]
    trace: bool,
    /// With --trace: also print master secrets and key blocks.
    #[arg(long, requires = "trace")]
    trace_secrets: bool,
}

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
    let dir = scratch_dir()?;
    let result = story(args, &dir);
    // Best effort: the directory is in the system's temporary folder.
    let _ = std::fs::remove_dir_all(&dir);
    result
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
    println!(
        "  C7 sent a forged record; the server answered: {}",
        outcome.err().map_or("nothing".into(), |e| e.to_string())
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
    Ok(())
}

fn chapter(title: &str) {
    println!("\n{title}");
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
        reader.get_mut().write_all(b"ok\n")?;
        line.clear();
    }
    reader.get_mut().close()
}

fn server_config(args: &Args, dir: &Path) -> io::Result<ServerConfig> {
    let certified = CertifiedKey {
        chain: certs_from_pem(CHAIN).map_err(io::Error::other)?,
        key: SigningKey::from_pem(KEY).map_err(io::Error::other)?,
    };
    let mut config = ServerConfig::new(vec![certified]);
    config.session_store = Some(Arc::new(
        FileStore::new(dir.join("sessions")).map_err(io::Error::other)?,
    ));
    let keys = TicketKeys::load_or_create(&dir.join("ticket-keys"), system_clock());
    config.ticket_keys = Some(Arc::new(keys.map_err(io::Error::other)?));
    // Key logging is opt-in: this example honours SSLKEYLOGFILE.
    config.key_log = KeyLogFile::from_env()?;
    if args.trace {
        config.observer = Some(Tracer::stderr("server", args.trace_secrets));
    }
    Ok(config)
}

fn client_config(args: &Args) -> io::Result<ClientConfig> {
    let mut config = ClientConfig::new(TrustAnchors::from_pem(ROOT).map_err(io::Error::other)?);
    config.session_store = Some(Arc::new(MemoryStore::new(16)));
    // Resume by session id, so that the server's store is what keeps S1.
    config.enable_tickets = false;
    config.key_log = KeyLogFile::from_env()?;
    if args.trace {
        config.observer = Some(Tracer::stderr("client", args.trace_secrets));
    }
    Ok(config)
}

/// A new connection that exchanges one line, and its summary row.
fn connect(
    client: &Arc<ClientConfig>,
    port: u16,
    name: &'static str,
) -> io::Result<(Stream<TcpStream>, Row)> {
    let sock = TcpStream::connect(("127.0.0.1", port))?;
    let mut stream = Stream::connect(client.clone(), &format!("localhost:{port}"), sock)?;
    exchange(&mut stream)?;
    let row = row_of(name, &stream)?;
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
    let key_block = est.negotiated.key_block(master);
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
    let neg = &est.negotiated;
    println!("  the session S1 (RFC 5246 §7), shared by every connection that resumes it:");
    println!(
        "    session id      {}",
        hex(est.session.session_id.as_bytes())
    );
    println!("    cipher suite    {}", neg.cipher_suite.rfc_name());
    println!(
        "    master secret   {} (fingerprint)",
        fingerprint(est.session.master_secret().as_bytes())
    );
    println!(
        "    extended master secret (RFC 7627): {}",
        est.session.extended_master_secret
    );
    println!("  the connection C1 (RFC 5246 §6.1), its own and no one else's:");
    println!("    client random   {}", hex(&neg.client_random.0));
    println!("    server random   {}", hex(&neg.server_random.0));
    let key_block = neg.key_block(est.session.master_secret());
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
        hex(&x.negotiated.client_random.0),
        hex(&y.negotiated.client_random.0),
    );
    line(
        "server random",
        hex(&x.negotiated.server_random.0),
        hex(&y.negotiated.server_random.0),
    );
    line(
        "key block",
        fingerprint(x.negotiated.key_block(x.session.master_secret()).as_bytes()),
        fingerprint(y.negotiated.key_block(y.session.master_secret()).as_bytes()),
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
