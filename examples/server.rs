//! A small HTTPS server that describes, for every request, the TLS
//! *connection* it arrived on and the *session* that connection uses.
//!
//! ```sh
//! cargo run --example server -- --listen 127.0.0.1:8443 \
//!     --cert test-data/ecdsa/localhost.chain.pem --key test-data/ecdsa/localhost.key \
//!     --cert test-data/rsa/localhost.chain.pem --key test-data/rsa/localhost.key
//! curl --tlsv1.2 --tls-max 1.2 --cacert test-data/ecdsa/root.pem https://localhost:8443/
//! ```

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use tls12::limits::{ConnectionLimit, Deadline, ServerLimits, TimedSocket};
use tls12::session_store::{FileStore, MemoryStore, TicketKeys};
use tls12::trace::Tracer;
use tls12::{system_clock, ClientAuth, Connection, KeyLogFile, ServerConfig, Stream};

/// A TLS 1.2 HTTPS server that answers every GET with a page describing
/// this connection and its session.
#[derive(Parser, Debug)]
#[command(version)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8443")]
    listen: SocketAddr,
    /// Certificate chain (PEM, leaf first). Repeat with --key to serve both
    /// an ECDSA and an RSA certificate.
    #[arg(long, required = true)]
    cert: Vec<PathBuf>,
    /// Private key (PEM: PKCS#8, SEC1 or PKCS#1) for the --cert at the same position.
    #[arg(long, required = true)]
    key: Vec<PathBuf>,
    /// A host name this server serves (repeat for more; `*.example.com`
    /// matches one label). A client asking for another name (SNI, RFC 6066
    /// §3) gets a fatal unrecognized_name. Default: the DNS names in the
    /// certificates' subjectAltName.
    #[arg(long = "server-name")]
    server_names: Vec<String>,
    /// Ask clients for a certificate issued under these roots (PEM).
    #[arg(long)]
    client_ca: Option<PathBuf>,
    /// With --client-ca: refuse clients that send no certificate.
    #[arg(long, requires = "client_ca")]
    require_client_cert: bool,
    /// ALPN protocols to accept, most preferred first (e.g. --alpn http/1.1).
    #[arg(long)]
    alpn: Vec<String>,
    /// Seconds a client may stay silent: each read from it waits at most
    /// this long.
    #[arg(long, default_value_t = ServerLimits::default().read_timeout.as_secs())]
    timeout: u64,
    /// Connections served at once. One more is refused: accepted and closed
    /// at once, before any handshake, so that it costs no thread and the
    /// client learns at once instead of waiting in a queue.
    #[arg(long, default_value_t = ServerLimits::default().max_connections)]
    max_connections: usize,
    /// Seconds the whole handshake may take (each renegotiation too),
    /// however the client spreads its bytes.
    #[arg(long, default_value_t = ServerLimits::default().handshake_timeout.as_secs())]
    handshake_timeout: u64,
    /// Seconds the whole of each request may take: waiting for it, reading
    /// its head and writing the answer.
    #[arg(long, default_value_t = ServerLimits::default().request_timeout.as_secs())]
    request_timeout: u64,
    /// Seconds each write may wait for a client that reads nothing.
    #[arg(long, default_value_t = ServerLimits::default().write_timeout.as_secs())]
    write_timeout: u64,
    /// Where sessions are kept for resumption by session id: `memory`, or a
    /// directory (sessions then survive a restart of the server).
    #[arg(long, default_value_os_t = default_session_dir())]
    session_cache: PathBuf,
    /// Issue session tickets (RFC 5077), sealed with keys kept in memory.
    #[arg(long)]
    tickets: bool,
    /// Issue session tickets sealed with the keys in this file (created if
    /// missing), so tickets survive a restart of the server.
    #[arg(long)]
    ticket_keys: Option<PathBuf>,
    /// Seconds between ticket key rotations (RFC 5077 §5.5: "The keys
    /// should be changed regularly"); previous keys keep opening their
    /// tickets until those expire. With --ticket-keys the schedule is kept
    /// in the file, across restarts.
    #[arg(long, default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..))]
    ticket_rotate: u64,
    /// After answering a connection's first request, renegotiate: send
    /// HelloRequest (RFC 5246 §7.4.1.1) and run a new handshake on the same
    /// connection before reading the next request.
    #[arg(long)]
    renegotiate_after_request: bool,
    /// With --renegotiate-after-request: demand a client certificate issued
    /// under these roots (PEM) in that second handshake only.
    #[arg(long, requires = "renegotiate_after_request")]
    renegotiate_client_ca: Option<PathBuf>,
    /// Print every record, handshake message and connection/session state
    /// change to standard error.
    #[arg(long)]
    trace: bool,
    /// With --trace: also print master secrets and key blocks.
    #[arg(long, requires = "trace")]
    trace_secrets: bool,
}

/// The default session cache: a per-user directory that outlives the
/// process (never a fixed name in the shared temporary directory), or
/// memory when there is no home directory.
fn default_session_dir() -> PathBuf {
    tls12::user_cache_dir("tls12/server-sessions").unwrap_or_else(|| "memory".into())
}

fn main() {
    let args = Args::parse();
    if let Err(e) = run(args, accept_loop) {
        eprintln!("server: {e}");
        std::process::exit(1);
    }
}

/// The listener, configs and limits `args` ask for, handed to
/// `accept_loop` (this server's threads, or examples/async_server.rs's
/// tasks).
pub fn run(
    args: Args,
    accept_loop: impl FnOnce(
        TcpListener,
        Arc<ServerConfig>,
        Option<Arc<ServerConfig>>,
        ServerLimits,
    ) -> io::Result<()>,
) -> io::Result<()> {
    if args.cert.len() != args.key.len() {
        return Err(io::Error::other("give one --key for each --cert"));
    }
    let certificates = args
        .cert
        .iter()
        .zip(&args.key)
        .map(|(c, k)| tls12::load_certified_key(c, k))
        .collect::<io::Result<Vec<_>>>()?;
    let mut config = ServerConfig::new(certificates);
    config.server_names = match args.server_names.is_empty() {
        true => config.certificate_names(),
        false => args.server_names.clone(),
    };
    if let Some(path) = &args.client_ca {
        let anchors = Arc::new(tls12::load_trust_anchors(path)?);
        config.client_auth = if args.require_client_cert {
            ClientAuth::Required(anchors)
        } else {
            ClientAuth::Optional(anchors)
        };
    }
    config.alpn_protocols = args.alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    if args.trace {
        config.observer = Some(Tracer::stderr("server", args.trace_secrets));
    }
    // Key logging is opt-in: this example honours SSLKEYLOGFILE.
    config.key_log = KeyLogFile::from_env()?;
    config.session_store = Some(if args.session_cache.as_os_str() == "memory" {
        Arc::new(MemoryStore::new(10_000))
    } else {
        Arc::new(FileStore::new(&args.session_cache).map_err(io::Error::other)?)
    });
    config.ticket_keys = match (&args.ticket_keys, args.tickets) {
        (Some(path), _) => Some(TicketKeys::load_or_create(path, system_clock())),
        (None, true) => Some(TicketKeys::new(system_clock())),
        (None, false) => None,
    }
    .transpose()
    .map_err(io::Error::other)?
    .map(Arc::new);
    if let Some(keys) = &config.ticket_keys {
        rotate_on_schedule(keys.clone(), args.ticket_rotate);
    }
    let renegotiation = match (&args.renegotiate_client_ca, args.renegotiate_after_request) {
        (Some(path), _) => {
            let mut second = config.clone();
            second.client_auth = ClientAuth::Required(Arc::new(tls12::load_trust_anchors(path)?));
            Some(Arc::new(second))
        }
        (None, true) => Some(Arc::new(config.clone())),
        (None, false) => None,
    };
    let config = Arc::new(config);

    let listener = TcpListener::bind(args.listen)?;
    println!("listening on {}", listener.local_addr()?);
    accept_loop(listener, config, renegotiation, limits(&args))
}

/// The limits set by the command line.
fn limits(args: &Args) -> ServerLimits {
    ServerLimits {
        max_connections: args.max_connections,
        handshake_timeout: Duration::from_secs(args.handshake_timeout),
        request_timeout: Duration::from_secs(args.request_timeout),
        read_timeout: Duration::from_secs(args.timeout),
        write_timeout: Duration::from_secs(args.write_timeout),
    }
}

/// Serves each connection in a thread of its own, up to
/// `limits.max_connections` at once; refuses the ones beyond.
fn accept_loop(
    listener: TcpListener,
    config: Arc<ServerConfig>,
    renegotiation: Option<Arc<ServerConfig>>,
    limits: ServerLimits,
) -> io::Result<()> {
    let open = ConnectionLimit::new(limits.max_connections);
    for sock in listener.incoming() {
        let sock = match sock {
            Ok(s) => s,
            Err(e) => {
                eprintln!("accept: {e}");
                continue;
            }
        };
        let peer = sock.peer_addr().map_or("?".into(), |p| p.to_string());
        let Some(permit) = open.try_acquire() else {
            // Dropping the socket closes it: the refusal.
            eprintln!(
                "{peer}: refused: {} connections open (--max-connections)",
                open.max()
            );
            continue;
        };
        let config = config.clone();
        let renegotiation = renegotiation.clone();
        std::thread::spawn(move || {
            if let Err(e) = serve(config, renegotiation, sock, &limits) {
                eprintln!("{peer}: {e}");
            }
            drop(permit);
        });
    }
    Ok(())
}

/// Rotates `keys` whenever the sealing key is `every` seconds old, for as
/// long as the process runs. A key file that cannot be saved is reported;
/// the new key is in use regardless.
fn rotate_on_schedule(keys: Arc<TicketKeys>, every: u64) {
    std::thread::spawn(move || loop {
        match keys.rotate_if_older_than(every) {
            Ok(true) => eprintln!("ticket keys rotated"),
            Ok(false) => {}
            Err(e) => eprintln!("ticket key rotation: {e}"),
        }
        // Wake when the key is due (a little after: the clock counts whole
        // seconds), never spinning.
        let wait = keys.next_rotation_in(every).max(1);
        std::thread::sleep(Duration::from_secs(wait));
    });
}

/// One connection: the handshake, then HTTP/1.1 requests until the client
/// closes or asks to; with `renegotiation`, a second handshake with that
/// config after the first request.
fn serve(
    config: Arc<ServerConfig>,
    mut renegotiation: Option<Arc<ServerConfig>>,
    sock: TcpStream,
    limits: &ServerLimits,
) -> io::Result<()> {
    let peer = sock.peer_addr()?;
    // No client may hold its thread for ever: not by silence, nor by
    // trickling bytes, nor by leaving our answer unread.
    let mut sock = TimedSocket::new(sock, limits);
    sock.set_deadline(Deadline::after(limits.handshake_timeout, "the handshake"));
    let stream = Stream::accept(config, sock)?;
    let mut reader = BufReader::new(stream);
    loop {
        let request_deadline = Deadline::after(limits.request_timeout, "the request");
        reader.get_mut().get_mut().set_deadline(request_deadline);
        let Some(request) = read_request(&mut reader)? else {
            break;
        };
        let stream = reader.get_mut();
        let (response, keep_alive) = respond(&request, stream.connection(), peer);
        stream.write_all(response.as_bytes())?;
        if !keep_alive {
            break;
        }
        if let Some(second) = renegotiation.take() {
            let handshake_deadline = Deadline::after(limits.handshake_timeout, "the handshake");
            stream.get_mut().set_deadline(handshake_deadline);
            stream.renegotiate_with(second)?;
        }
    }
    reader.get_mut().close()
}

/// Reads one request head (up to the blank line); `None` at a clean end.
fn read_request(reader: &mut BufReader<Stream<TimedSocket>>) -> io::Result<Option<String>> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        // A request head over 16 KiB is not one we will read.
        if reader.by_ref().take(16 * 1024).read_line(&mut line)? == 0 {
            return Ok(None);
        }
        if line == "\r\n" || line == "\n" {
            return Ok(Some(head));
        }
        head.push_str(&line);
        if head.len() > 16 * 1024 {
            return Err(io::Error::other("request head too long"));
        }
    }
}

/// The answer to `request` (its head): the page, and whether the
/// connection stays open for another request.
pub fn respond(request: &str, conn: &Connection, peer: SocketAddr) -> (String, bool) {
    let body = describe(conn, peer);
    let keep_alive = !request.to_ascii_lowercase().contains("connection: close");
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: {}\r\n\r\n{body}",
        body.len(),
        if keep_alive { "keep-alive" } else { "close" },
    );
    (response, keep_alive)
}

/// The page: this connection, then its session.
fn describe(conn: &Connection, peer: SocketAddr) -> String {
    let Some(est) = conn.established() else {
        return "no handshake\n".into();
    };
    let neg = &est.negotiated;
    let session = &est.session;
    let text = |v: &Option<Vec<u8>>| {
        v.as_ref()
            .map_or("(none)".into(), |p| String::from_utf8_lossy(p).into_owned())
    };
    let client_cert = neg
        .peer_certificates
        .first()
        .map_or("(none)".to_string(), |c| {
            tls12::handshake::verify::leaf_subject(c).unwrap_or_else(|e| e.to_string())
        });
    format!(
        "This connection (RFC 5246 §6.1: its own randoms, keys, sequence numbers)\n\
         \x20 peer address:       {peer}\n\
         \x20 cipher suite:       {}\n\
         \x20 ECDHE group:        {}\n\
         \x20 handshakes:         {}\n\
         \x20 server name (SNI):  {}\n\
         \x20 ALPN protocol:      {}\n\
         \x20 client certificate: {client_cert}\n\
         \x20 client random:      {}\n\
         \x20 server random:      {}\n\
         \n\
         Its session (RFC 5246 §7: what a later connection may resume)\n\
         \x20 session id:         {}\n\
         \x20 created at:         {} (UNIX seconds)\n\
         \x20 this handshake:     {}\n\
         \x20 extended master secret: {}\n\
         \x20 ticket issued:      {}\n",
        neg.cipher_suite.rfc_name(),
        neg.group.map_or("(none: resumed)", |g| g.name()),
        conn.handshake_count(),
        neg.server_name.as_deref().unwrap_or("(none)"),
        text(&neg.alpn),
        hex(&neg.client_random.0),
        hex(&neg.server_random.0),
        if session.session_id.is_empty() {
            "(none)".to_string()
        } else {
            hex(session.session_id.as_bytes())
        },
        session.created_at,
        if est.resumed {
            "resumed"
        } else {
            "new (full handshake)"
        },
        session.extended_master_secret,
        neg.session_ticket,
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
