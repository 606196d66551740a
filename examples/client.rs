//! A TLS 1.2 client: connects, sends `GET /`, prints the reply.
//!
//! ```sh
//! cargo run --example client -- --connect 127.0.0.1:8443 --server-name localhost \
//!     --ca test-data/ecdsa/root.pem
//! ```
//! Exits non-zero on any TLS error, naming the alert that was sent or received.
//! With `--html FILE`, every connection of the run is drawn on one page
//! (written at the end, also after an error).

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{ArgGroup, Parser};
use tls12::handshake::observe::Observer;
use tls12::handshake::Side;
use tls12::session_store::FileStore;
use tls12::{CipherSuite, ClientConfig, KeyLogFile, NamedGroup, Stream};
use tls12_trace::html::HtmlReport;
use tls12_trace::text::Tracer;

/// Connect to a TLS 1.2 server, send `GET /`, print the reply.
#[derive(Parser, Debug)]
#[command(version, group(ArgGroup::new("observe").args(["trace", "html"]).multiple(true)))]
struct Args {
    /// HOST:PORT to connect to.
    #[arg(long)]
    connect: String,
    /// The name to ask for (SNI) and check the certificate against;
    /// defaults to the host part of --connect.
    #[arg(long)]
    server_name: Option<String>,
    /// Trusted root certificates (PEM).
    #[arg(long)]
    ca: PathBuf,
    /// Our certificate chain (PEM), sent if the server asks for one.
    #[arg(long, requires = "key")]
    cert: Option<PathBuf>,
    /// The private key (PEM) for --cert.
    #[arg(long, requires = "cert")]
    key: Option<PathBuf>,
    /// Offer only this cipher suite (RFC or OpenSSL name, e.g.
    /// ECDHE-ECDSA-AES128-GCM-SHA256). Repeat to offer several.
    #[arg(long)]
    cipher: Vec<String>,
    /// Offer only this group (x25519, secp256r1, secp384r1). Repeat to offer several.
    #[arg(long)]
    group: Vec<String>,
    /// ALPN protocols to offer (e.g. --alpn http/1.1).
    #[arg(long)]
    alpn: Vec<String>,
    /// The request path.
    #[arg(long, default_value = "/")]
    path: String,
    /// Where sessions are kept between runs, so that the next run resumes
    /// [default: $XDG_CACHE_HOME/tls12/client-sessions or
    /// ~/.cache/tls12/client-sessions].
    #[arg(long)]
    sessions: Option<PathBuf>,
    /// How long a session this client makes may be offered again, seconds
    /// (RFC 5246 §F.1.4; the server's ticket lifetime hint may say less).
    #[arg(long, default_value_t = tls12::Session::DEFAULT_LIFETIME)]
    session_lifetime: u64,
    /// Keep no sessions: every connection makes a full handshake.
    #[arg(long, conflicts_with = "sessions")]
    no_sessions: bool,
    /// Neither ask for session tickets nor offer one kept from an earlier
    /// run: the ClientHello has no SessionTicket extension, and a kept
    /// session is resumed by its session id only (RFC 5077).
    #[arg(long)]
    no_tickets: bool,
    /// After the first connection, make N more, reporting for each whether
    /// it resumed the session.
    #[arg(long, default_value_t = 0)]
    reconnect: u32,
    /// On the first connection: GET, renegotiate (a new handshake on the
    /// same connection), GET again, and print both sessions side by side.
    /// The first GET asks for `Connection: keep-alive`; a server that
    /// closes anyway (HTTP/1.0) gets a second connection, renegotiated
    /// before its GET, and the client says so.
    #[arg(long)]
    renegotiate: bool,
    /// Print every record, handshake message and connection/session state
    /// change to standard error.
    #[arg(long)]
    trace: bool,
    /// With --trace or --html: also show master secrets, key blocks and keys.
    #[arg(long, requires = "observe")]
    trace_secrets: bool,
    /// Draw every connection of this run (records, messages, keys,
    /// sessions) as one self-contained HTML page written to FILE, a
    /// private (0600) file put in place by a rename (a symbolic link at
    /// FILE is replaced, not followed).
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
}

fn main() {
    let args = Args::parse();
    let page = args
        .html
        .as_ref()
        .map(|_| HtmlReport::new("tls12 client", args.trace_secrets));
    let result = run(&args, page.as_ref());
    // The page is written after a failure too: it shows where it happened.
    if let (Some(path), Some(page)) = (&args.html, &page) {
        if let Err(e) = page.write(path) {
            eprintln!("client: {}: {e}", path.display());
            std::process::exit(1);
        }
    }
    if let Err(e) = result {
        eprintln!("client: {e}");
        std::process::exit(1);
    }
}

fn run(args: &Args, page: Option<&Arc<HtmlReport>>) -> Result<(), String> {
    let config = Arc::new(config(args, page).map_err(|e| e.to_string())?);
    let host = args
        .connect
        .rsplit_once(':')
        .map_or(args.connect.as_str(), |(h, _)| h)
        .trim_matches(|c| c == '[' || c == ']');
    let server_name = args.server_name.as_deref().unwrap_or(host);
    // Name and port key the session store; the name is also SNI.
    let server = match args.connect.rsplit_once(':') {
        Some((_, port)) => format!("{}:{port}", bracket_ipv6(server_name)),
        None => server_name.to_string(),
    };
    let connect = || -> Result<Stream<TcpStream>, String> {
        let sock =
            TcpStream::connect(&args.connect).map_err(|e| format!("{}: {e}", args.connect))?;
        Stream::connect(config.clone(), &server, sock).map_err(describe)
    };
    for i in 0..=args.reconnect {
        let mut stream = connect()?;
        let reply = if args.renegotiate && i == 0 {
            renegotiation(&mut stream, connect, server_name, &args.path)?
        } else {
            get(&mut stream, server_name, &args.path, false)?.bytes
        };
        let est = stream.connection().established().ok_or("no handshake")?;
        eprintln!(
            "connection {}: {} session {} ({})",
            i + 1,
            if est.resumed { "resumed" } else { "new" },
            hex(est.session.session_id.as_bytes()),
            est.session.cipher_suite.rfc_name(),
        );
        if i == 0 {
            io::stdout().write_all(&reply).map_err(|e| e.to_string())?;
        }
        stream.close().map_err(describe)?;
    }
    Ok(())
}

/// `--renegotiate`: GET (asking to keep the connection), renegotiate, GET
/// again on the same connection, and print both handshakes side by side.
///
/// A server that closes after its first reply (HTTP/1.0 servers such as
/// `openssl s_server -www` and `gnutls-serv --http` do) leaves no connection
/// to renegotiate: then a second connection, from `connect`, renegotiates
/// before its GET, and we say so.
fn renegotiation(
    stream: &mut Stream<TcpStream>,
    connect: impl Fn() -> Result<Stream<TcpStream>, String>,
    host: &str,
    path: &str,
) -> Result<Vec<u8>, String> {
    let mut heading = "same connection, two handshakes";
    if get(stream, host, path, true)?.closes {
        eprintln!(
            "the server closed the connection after its reply: \
             renegotiating on a second connection, before its request"
        );
        // Best effort: the server has gone already.
        let _ = stream.close();
        *stream = connect()?;
        heading = "second connection, two handshakes";
    }
    let before = summary(stream);
    let handshakes = stream.connection().handshake_count();
    stream.renegotiate().map_err(describe)?;
    if stream.connection().handshake_count() == handshakes {
        eprintln!("the server declined to renegotiate (no_renegotiation warning, RFC 5246 §7.2.2)");
    }
    let after = summary(stream);
    let reply = get(stream, host, path, false)?;
    eprintln!("{heading} (RFC 5246 §7.4.1.1, RFC 5746):");
    eprintln!("  {:<22} {:<66} after", "", "before renegotiation");
    for ((label, a), (_, b)) in before.iter().zip(&after) {
        eprintln!("  {label:<22} {a:<66} {b}");
    }
    Ok(reply.bytes)
}

/// An HTTP reply, head and body, and whether the server ends the
/// connection after it.
struct Reply {
    bytes: Vec<u8>,
    closes: bool,
}

/// The longest reply head we read.
const MAX_HEAD: usize = 64 * 1024;

/// Sends `GET path`, asking the server to keep the connection open or to
/// close it after the reply, and reads the reply.
///
/// The body is as long as its Content-Length says; without one (an
/// HTTP/1.0 server) it ends where the connection does (RFC 9112 §6.3), and
/// that end must be the server's close_notify: a transport that just stops
/// could be a truncation (RFC 5246 §7.2.1), which `Stream` reports as an
/// error.
fn get(
    stream: &mut Stream<TcpStream>,
    host: &str,
    path: &str,
    keep_alive: bool,
) -> Result<Reply, String> {
    let connection = if keep_alive { "keep-alive" } else { "close" };
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: {connection}\r\n\r\n");
    stream.write_all(request.as_bytes()).map_err(describe)?;
    let mut bytes = Vec::new();
    let mut byte = [0u8; 1];
    while !bytes.ends_with(b"\r\n\r\n") {
        if bytes.len() == MAX_HEAD {
            return Err(format!("reply head longer than {MAX_HEAD} bytes"));
        }
        stream.read_exact(&mut byte).map_err(describe)?;
        bytes.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&bytes).to_ascii_lowercase();
    let closes = !keep_alive || !persistent(&head);
    let length = header(&head, "content-length").and_then(|v| v.parse::<usize>().ok());
    if let Some(length) = length {
        let start = bytes.len();
        bytes.resize(start + length, 0);
        stream.read_exact(&mut bytes[start..]).map_err(describe)?;
    }
    if closes || length.is_none() {
        // Up to the server's close_notify (after the body, nothing more).
        stream.read_to_end(&mut bytes).map_err(describe)?;
    }
    Ok(Reply {
        bytes,
        closes: closes || length.is_none(),
    })
}

/// Whether the server keeps the connection open after the reply with this
/// (lower-cased) head (RFC 9112 §9.3): HTTP/1.1 does unless it says
/// `Connection: close`; HTTP/1.0 only if it says `Connection: keep-alive`.
fn persistent(head: &str) -> bool {
    let connection = header(head, "connection").unwrap_or("");
    if head.starts_with("http/1.0") {
        connection.contains("keep-alive")
    } else {
        !connection.contains("close")
    }
}

/// The value of header `name` in a lower-cased reply head.
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .map(str::trim)
}

/// The connection's and the session's identity, for the side-by-side view.
fn summary(stream: &Stream<TcpStream>) -> Vec<(&'static str, String)> {
    let conn = stream.connection();
    let Some(est) = conn.established() else {
        return Vec::new();
    };
    let key_block = est.key_block();
    vec![
        ("handshakes", conn.handshake_count().to_string()),
        ("client random", hex(&est.client_random.0)),
        ("key block (first 16)", hex(&key_block.as_bytes()[..16])),
        ("session id", hex(est.session.session_id.as_bytes())),
        (
            "cipher suite",
            est.session.cipher_suite.rfc_name().to_string(),
        ),
        ("resumed", est.resumed.to_string()),
    ]
}

fn bracket_ipv6(name: &str) -> String {
    if name.contains(':') {
        format!("[{name}]")
    } else {
        name.to_string()
    }
}

fn hex(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "(no id)".into();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn config(args: &Args, page: Option<&Arc<HtmlReport>>) -> io::Result<ClientConfig> {
    let mut config = ClientConfig::new(tls12::load_trust_anchors(&args.ca)?);
    if let (Some(cert), Some(key)) = (&args.cert, &args.key) {
        config.client_certificates = vec![Arc::new(tls12::load_certified_key(cert, key)?)];
    }
    if !args.cipher.is_empty() {
        config.cipher_suites = args
            .cipher
            .iter()
            .map(|name| {
                CipherSuite::ALL
                    .into_iter()
                    .find(|s| s.rfc_name() == name || s.openssl_name() == name)
                    .ok_or_else(|| io::Error::other(format!("unknown cipher suite {name}")))
            })
            .collect::<io::Result<_>>()?;
    }
    if !args.group.is_empty() {
        config.groups = args
            .group
            .iter()
            .map(|name| {
                NamedGroup::from_name(name)
                    .ok_or_else(|| io::Error::other(format!("unknown group {name}")))
            })
            .collect::<io::Result<_>>()?;
    }
    config.alpn_protocols = args.alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    config.session_lifetime = args.session_lifetime;
    // A per-user directory by default, never a fixed name in the shared
    // temporary directory (another user could create it first).
    let dir = args
        .sessions
        .clone()
        .or_else(|| tls12::user_cache_dir("tls12/client-sessions"));
    match (args.no_sessions, dir) {
        (true, _) => {}
        (false, Some(dir)) => {
            let store = FileStore::new(&dir).map_err(io::Error::other)?;
            config.session_store = Some(Arc::new(store));
        }
        (false, None) => eprintln!("client: no HOME; keeping no sessions (give --sessions)"),
    }
    config.enable_tickets = !args.no_tickets;
    // Key logging is opt-in: this example honours SSLKEYLOGFILE.
    config.key_log = KeyLogFile::from_env()?;
    let trace = args
        .trace
        .then(|| Tracer::stderr("client", args.trace_secrets) as Arc<dyn Observer>);
    config.observer = match page {
        Some(page) => Some(page.observer(Side::Client, trace)),
        None => trace,
    };
    Ok(config)
}

/// An I/O error, with the TLS alert spelled out when it was a TLS failure.
fn describe(e: io::Error) -> String {
    match tls12::tls_error(&e) {
        Some(tls) => match tls.alert() {
            Some(alert) => format!("{tls} (sent fatal alert {})", alert.rfc_name()),
            None => tls.to_string(),
        },
        None => e.to_string(),
    }
}
