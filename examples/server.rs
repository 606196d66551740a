//! A small HTTPS server that describes, for every request, the TLS
//! *connection* it arrived on and the *session* that connection uses.
//!
//! ```sh
//! cargo run --example server -- --listen 127.0.0.1:8443 \
//!     --cert test-data/ecdsa/localhost.chain.pem --key test-data/ecdsa/localhost.key \
//!     --cert test-data/rsa/localhost.chain.pem --key test-data/rsa/localhost.key
//! curl --tlsv1.2 --tls-max 1.2 --cacert test-data/ecdsa/root.pem https://localhost:8443/
//! ```
//!
//! With `--html FILE` the server keeps one page for the whole run (its
//! last 40 connections) and rewrites it, private, each time a connection
//! ends: reload it to see the latest.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use clap::{ArgGroup, Parser};
use tls12::handshake::observe::Observer;
use tls12::handshake::Side;
use tls12::session_store::{FileStore, MemoryStore, ServerSessionStore, TicketKeys};
use tls12::{system_clock, ClientAuth, Connection, KeyLogFile, ServerConfig, Stream};
use tls12_farm::{FarmKey, FarmTicketKeys, Redis, RedisStore};
use tls12_limits::{ConnectionLimit, Deadline, ServerLimits, TimedSocket};
use tls12_trace::html::HtmlReport;
use tls12_trace::text::Tracer;

/// A TLS 1.2 HTTPS server that answers every GET with a page describing
/// this connection and its session.
#[derive(Parser, Debug)]
#[command(version, group(ArgGroup::new("observe").args(["trace", "html"]).multiple(true)))]
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
    /// How long a TLS session this server makes may be resumed, seconds
    /// (RFC 5246 §F.1.4); its tickets' lifetime hint (RFC 5077 §3.3) says
    /// no more.
    #[arg(long, default_value_t = tls12::Session::DEFAULT_LIFETIME)]
    session_lifetime: u64,
    /// How long a login (`GET /login?user=NAME`: an application session,
    /// named by a cookie, not a TLS session) lasts, seconds.
    #[arg(long, default_value_t = login::DEFAULT_LIFETIME)]
    app_session_lifetime: u64,
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
    /// Where sessions are kept for resumption by session id: `memory`, a
    /// directory (sessions then survive a restart of the server), or
    /// `redis://[user:pass@]HOST:PORT[/DB]` (shared by every server naming
    /// it; needs --farm-key).
    #[arg(long, default_value_os_t = default_session_dir())]
    session_cache: PathBuf,
    /// Issue session tickets (RFC 5077), sealed with keys kept in memory.
    #[arg(long)]
    tickets: bool,
    /// Issue session tickets sealed with the keys in this file (created if
    /// missing), so tickets survive a restart of the server; or with keys
    /// shared through `redis://[user:pass@]HOST:PORT[/DB]` by every server
    /// naming it, a new one each --ticket-rotate period (needs --farm-key).
    #[arg(long)]
    ticket_keys: Option<PathBuf>,
    /// Seconds between ticket key rotations (RFC 5077 §5.5: "The keys
    /// should be changed regularly"); previous keys keep opening their
    /// tickets until those expire. With --ticket-keys the schedule is kept
    /// in the file, across restarts.
    #[arg(long, default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..))]
    ticket_rotate: u64,
    /// The key (a file, created 0600 if missing) that seals sessions and
    /// ticket keys kept in Redis; the same file on every server of a farm.
    #[arg(long)]
    farm_key: Option<PathBuf>,
    /// A farm key that opens what it sealed in Redis but seals nothing
    /// (repeatable): the previous --farm-key after a rotation, kept until
    /// what it sealed has expired (see docs/farm.md, "Rotating the farm key").
    #[arg(long, requires = "farm_key")]
    farm_key_previous: Vec<PathBuf>,
    /// Write a fresh farm key to FILE (0600; an existing file is refused),
    /// to copy to every server, and exit.
    #[arg(long, value_name = "FILE", exclusive = true)]
    create_farm_key: Option<PathBuf>,
    /// The time each Redis call may take in all (connect, write, read,
    /// one retry), milliseconds.
    #[arg(long, default_value_t = 100)]
    redis_timeout_ms: u64,
    /// Prefix of this farm's keys in Redis (`<P>session:<id>`,
    /// `<P>ticket-key:<period>`): farms sharing a Redis need one each.
    #[arg(long, default_value = "tls12:")]
    redis_prefix: String,
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
    /// With --trace or --html: also show master secrets, key blocks and keys.
    #[arg(long, requires = "observe")]
    trace_secrets: bool,
    /// Draw the connections of this run (records, messages, keys,
    /// sessions) on one self-contained HTML page at FILE, rewritten each
    /// time a connection ends as a private (0600) file, by a rename that
    /// replaces a symbolic link at FILE rather than following it. The page
    /// keeps the last 40 connections, and of each at most 128 events and
    /// 16 KiB of handshake messages: at most about 4 MB.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
}

/// The address this server listens on, for the page: behind a load
/// balancer it says which server answered.
static ANSWERED_BY: OnceLock<SocketAddr> = OnceLock::new();

#[path = "server/login.rs"]
mod login;

/// Where a resumed session came from, for the page: the session cache
/// named by --session-cache.
static SESSION_CACHE: OnceLock<&'static str> = OnceLock::new();

/// What a farm of servers shares: one Redis and the farm key, when
/// --session-cache or --ticket-keys names a Redis.
struct Farm {
    redis: Option<Arc<Redis>>,
    key: Option<Arc<FarmKey>>,
}

impl Farm {
    fn from_args(args: &Args) -> io::Result<Farm> {
        let urls: Vec<&str> = [Some(&args.session_cache), args.ticket_keys.as_ref()]
            .into_iter()
            .flatten()
            .filter_map(|p| redis_url(p))
            .collect();
        let Some(&url) = urls.first() else {
            return Ok(Farm {
                redis: None,
                key: None,
            });
        };
        if urls.iter().any(|u| *u != url) {
            return Err(io::Error::other(
                "--session-cache and --ticket-keys name two different Redis servers",
            ));
        }
        let path = args.farm_key.as_ref().ok_or_else(|| {
            io::Error::other("a redis:// session cache or ticket keys need --farm-key FILE")
        })?;
        let timeout = Duration::from_millis(args.redis_timeout_ms);
        let redis = Redis::open(url, timeout).map_err(io::Error::other)?;
        // Unreachable now: one warning (printed by `Redis`), full handshakes
        // until it answers.
        let _ = redis.check();
        let mut key = FarmKey::load_or_create(path).map_err(io::Error::other)?;
        for previous in &args.farm_key_previous {
            key = key.with_previous(FarmKey::load(previous).map_err(io::Error::other)?);
        }
        Ok(Farm {
            redis: Some(redis),
            key: Some(Arc::new(key)),
        })
    }

    /// The Redis and farm key, if `path` names a Redis.
    fn shared(&self, path: &std::path::Path) -> Option<(Arc<Redis>, Arc<FarmKey>)> {
        redis_url(path)?;
        Some((self.redis.clone()?, self.key.clone()?))
    }
}

/// `path` as a Redis URL, if it is one.
fn redis_url(path: &std::path::Path) -> Option<&str> {
    path.to_str().filter(|p| p.starts_with("redis://"))
}

/// The session cache --session-cache names: memory, a directory or Redis.
fn session_store(args: &Args, farm: &Farm) -> io::Result<Arc<dyn ServerSessionStore>> {
    let (kind, store): (&str, Arc<dyn ServerSessionStore>) =
        if let Some((redis, key)) = farm.shared(&args.session_cache) {
            let prefix = format!("{}session:", args.redis_prefix);
            (
                "Redis",
                Arc::new(RedisStore::new(redis, key).with_prefix(&prefix)),
            )
        } else if args.session_cache.as_os_str() == "memory" {
            ("memory", Arc::new(MemoryStore::new(10_000)))
        } else {
            let store = FileStore::new(&args.session_cache).map_err(io::Error::other)?;
            ("file", Arc::new(store))
        };
    let _ = SESSION_CACHE.set(kind);
    Ok(store)
}

/// Ticket keys shared through Redis, if --ticket-keys names a Redis.
fn farm_ticket_keys(args: &Args, farm: &Farm) -> io::Result<Option<Arc<FarmTicketKeys>>> {
    let Some((redis, key)) = args.ticket_keys.as_ref().and_then(|p| farm.shared(p)) else {
        return Ok(None);
    };
    let rotation = Duration::from_secs(args.ticket_rotate);
    let prefix = format!("{}ticket-key:", args.redis_prefix);
    FarmTicketKeys::new(redis, key, rotation, system_clock())
        .map_err(io::Error::other)?
        .with_prefix(&prefix)
        .start()
        .map(Some)
        .map_err(io::Error::other)
}

/// Ticket keys of this server alone: from --ticket-keys FILE, or in
/// memory with --tickets.
fn local_ticket_keys(args: &Args) -> io::Result<Option<Arc<TicketKeys>>> {
    let keys = match (&args.ticket_keys, args.tickets) {
        (Some(path), _) => Some(TicketKeys::load_or_create(path, system_clock())),
        (None, true) => Some(TicketKeys::new(system_clock())),
        (None, false) => None,
    };
    let keys = keys.transpose().map_err(io::Error::other)?.map(Arc::new);
    if let Some(keys) = &keys {
        rotate_on_schedule(keys.clone(), args.ticket_rotate);
    }
    Ok(keys)
}

/// Where this connection's session came from: a ticket (RFC 5077 §3.4:
/// the client then sends a fresh session id, which the server echoes, and
/// the session keeps its own), or the session cache.
fn resumed_from(est: &tls12::Established) -> &'static str {
    if !est.resumed {
        "(not resumed)"
    } else if est.server_hello_session_id != est.session.session_id {
        "ticket"
    } else {
        SESSION_CACHE.get().copied().unwrap_or("session cache")
    }
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
        Option<Page>,
    ) -> io::Result<()>,
) -> io::Result<()> {
    if let Some(path) = &args.create_farm_key {
        FarmKey::create(path).map_err(io::Error::other)?;
        println!("wrote a new farm key to {}", path.display());
        return Ok(());
    }
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
    config.session_lifetime = args.session_lifetime;
    let trace = args
        .trace
        .then(|| Tracer::stderr("server", args.trace_secrets) as Arc<dyn Observer>);
    let page = args.html.as_ref().map(|path| {
        (
            HtmlReport::new("tls12 server", args.trace_secrets),
            path.clone(),
        )
    });
    config.observer = match &page {
        Some((page, _)) => Some(page.observer(Side::Server, trace)),
        None => trace,
    };
    // Key logging is opt-in: this example honours SSLKEYLOGFILE.
    config.key_log = KeyLogFile::from_env()?;
    let farm = Farm::from_args(&args)?;
    config.session_store = Some(session_store(&args, &farm)?);
    // Kept for as long as the server runs: its thread refreshes the keys.
    let farm_tickets = farm_ticket_keys(&args, &farm)?;
    config.ticket_keys = match farm_tickets.as_ref() {
        Some(farm) => Some(farm.ticket_keys()),
        None => local_ticket_keys(&args)?,
    };
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
    let listening = listener.local_addr()?;
    let _ = ANSWERED_BY.set(listening);
    let _ = login::LIFETIME.set(args.app_session_lifetime);
    println!("listening on {listening}");
    accept_loop(listener, config, renegotiation, limits(&args), page)
}

/// The run's page (`--html`) and the file it is written to.
pub type Page = (Arc<HtmlReport>, PathBuf);

/// Rewrites the run's page, if there is one, once a connection has ended.
pub fn write_page(page: Option<&Page>) {
    if let Some((page, path)) = page {
        if let Err(e) = page.write(path) {
            eprintln!("{}: {e}", path.display());
        }
    }
}

/// Writes one line to standard error with one system call: stderr is
/// unbuffered, and `eprintln!` writes each piece of its format on its own
/// (fifteen for "127.0.0.1:39816: Connection reset by peer (os error
/// 104)"), which a server logging a line per failed connection pays for.
pub fn log_line(line: std::fmt::Arguments) {
    let _ = io::stderr().write_all(format!("{line}\n").as_bytes());
}

/// Says that `peer` was refused because `open` is at its maximum.
pub fn log_refusal(peer: &dyn std::fmt::Display, open: &ConnectionLimit) {
    log_line(format_args!(
        "{peer}: refused: {} connections open (--max-connections)",
        open.max()
    ));
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
    page: Option<Page>,
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
            log_refusal(&peer, &open);
            continue;
        };
        let config = config.clone();
        let renegotiation = renegotiation.clone();
        let page = page.clone();
        std::thread::spawn(move || {
            if let Err(e) = serve(config, renegotiation, sock, &limits) {
                log_line(format_args!("{peer}: {e}"));
            }
            drop(permit);
            write_page(page.as_ref());
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

/// One connection: the handshake, then HTTP requests until the client
/// closes or asks to (an HTTP/1.0 client asks by not asking for
/// keep-alive); with `renegotiation`, a second handshake with that
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
/// connection stays open for another request. The reply speaks the
/// request's version, and keeps the connection as RFC 9112 §9.3 says:
/// "If the "close" connection option is present [...], the connection will
/// not persist after the current response; else, If the received protocol
/// is HTTP/1.1 (or later), the connection will persist [...]; else, If the
/// received protocol is HTTP/1.0, the "keep-alive" connection option is
/// present, [...] the connection will persist [...]; otherwise, The
/// connection will close after the current response."
pub fn respond(request: &str, conn: &Connection, peer: SocketAddr) -> (String, bool) {
    let (set_cookie, login) = login::application_session(request);
    let body = format!("{}\n{login}", describe(conn, peer));
    let http10 = request
        .lines()
        .next()
        .is_some_and(|line| line.trim_end().ends_with(" HTTP/1.0"));
    let asks = |option: &str| connection_options(request).any(|o| o.eq_ignore_ascii_case(option));
    let keep_alive = !asks("close") && (!http10 || asks("keep-alive"));
    let response = format!(
        "{} 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: {}\r\n{}\r\n{body}",
        if http10 { "HTTP/1.0" } else { "HTTP/1.1" },
        body.len(),
        if keep_alive { "keep-alive" } else { "close" },
        set_cookie.unwrap_or_default(),
    );
    (response, keep_alive)
}

/// The options of the request's Connection header fields (RFC 9110
/// §7.6.1: a comma-separated list, names case-insensitive).
fn connection_options(request: &str) -> impl Iterator<Item = &str> {
    header_values(request, "connection")
        .flat_map(|value| value.split(','))
        .map(str::trim)
}

/// The values of every header field of `request` (its head) named `name`,
/// whatever its case (RFC 9110 §5.1).
fn header_values<'a>(request: &'a str, name: &'a str) -> impl Iterator<Item = &'a str> {
    request
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .filter(move |(field, _)| field.trim().eq_ignore_ascii_case(name))
        .map(|(_, value)| value)
}

/// The page: this connection, then its session.
fn describe(conn: &Connection, peer: SocketAddr) -> String {
    let Some(est) = conn.established() else {
        return "no handshake\n".into();
    };
    let session = &est.session;
    let text = |v: &Option<Vec<u8>>| {
        v.as_ref()
            .map_or("(none)".into(), |p| String::from_utf8_lossy(p).into_owned())
    };
    let client_cert = est
        .peer_certificates()
        .first()
        .map_or("(none)".to_string(), |c| {
            tls12::handshake::x509::leaf_subject(c).unwrap_or_else(|e| e.to_string())
        });
    format!(
        "This connection (RFC 5246 §6.1: its own randoms, keys, sequence numbers)\n\
         \x20 answered by:        {}\n\
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
         \x20 resumed from:       {}\n\
         \x20 extended master secret: {}\n\
         \x20 ticket issued:      {}\n",
        ANSWERED_BY.get().map_or("?".into(), |a| a.to_string()),
        session.cipher_suite.rfc_name(),
        est.group.map_or("(none: resumed)", |g| g.rfc_name()),
        conn.handshake_count(),
        session.server_name.as_deref().unwrap_or("(none)"),
        text(&est.alpn),
        hex::encode(est.client_random.0),
        hex::encode(est.server_random.0),
        if session.session_id.is_empty() {
            "(none)".to_string()
        } else {
            hex::encode(session.session_id.as_bytes())
        },
        session.created_at,
        if est.resumed {
            "resumed"
        } else {
            "new (full handshake)"
        },
        resumed_from(est),
        session.extended_master_secret,
        est.session_ticket,
    )
}
