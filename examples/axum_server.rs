//! An axum app served over tls12: [`tls12::TlsAcceptor`] runs each
//! handshake, hyper-util's auto builder serves HTTP/2 on a connection whose
//! ALPN (RFC 7301) chose `h2` and HTTP/1.1 otherwise, and the one page
//! shows the TLS connection the request came on and that connection's
//! session, from a [`TlsInfo`] the accept loop attaches to every request.
//!
//! ```sh
//! cargo run --example axum_server -- --listen 127.0.0.1:8443 \
//!     --cert test-data/ecdsa/localhost.chain.pem --key test-data/ecdsa/localhost.key
//! curl --http2 --cacert test-data/ecdsa/root.pem https://localhost:8443/ https://localhost:8443/
//! ```
//!
//! The server keeps sessions in memory, so a client that comes back
//! resumes (RFC 5246 §7.3, Figure 2): the page then says `resumed: true`,
//! with the same session id and new randoms.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::http::Version;
use axum::response::Html;
use axum::routing::get;
use axum::{Extension, Router};
use clap::Parser;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tls12::session_store::MemoryStore;
use tls12::{Connection, ServerConfig, TlsAcceptor};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;

/// An axum app over TLS 1.2 whose page describes the connection and
/// session each request arrived on; HTTP/2 when ALPN chooses it.
#[derive(Parser, Debug)]
#[command(name = "axum_server", version)]
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
}

/// The ALPN protocols served, most preferred first: HTTP/2 (RFC 9113
/// §3.2: "h2" identifies HTTP/2 over TLS), then HTTP/1.1.
pub const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// What the page shows of the connection a request came on and of its
/// session: read once, after the handshake, and cloned into each request
/// on that connection (a connection may carry many, HTTP/2 at once).
#[derive(Clone, Debug)]
pub struct TlsInfo {
    /// The client's address.
    pub peer: SocketAddr,
    /// The ALPN protocol, `None` when the client offered none of ours.
    pub alpn: Option<String>,
    /// The cipher suite's RFC name.
    pub cipher_suite: &'static str,
    /// This handshake's `ClientHello.random`, hex: the connection's own.
    pub client_random: String,
    /// This handshake's `ServerHello.random`, hex.
    pub server_random: String,
    /// The session's id, hex (empty for a session known by ticket only).
    pub session_id: String,
    /// True when this connection resumed an earlier session.
    pub resumed: bool,
}

impl TlsInfo {
    /// The connection's values, once its handshake has completed.
    pub fn of(conn: &Connection, peer: SocketAddr) -> Option<Self> {
        let est = conn.established()?;
        Some(Self {
            peer,
            alpn: conn
                .alpn_protocol()
                .map(|p| String::from_utf8_lossy(p).into_owned()),
            cipher_suite: est.session.cipher_suite.rfc_name(),
            client_random: hex::encode(est.client_random.0),
            server_random: hex::encode(est.server_random.0),
            session_id: hex::encode(est.session.session_id.as_bytes()),
            resumed: est.resumed,
        })
    }
}

/// The app: one page, `/`.
pub fn app() -> Router {
    Router::new().route("/", get(page))
}

/// The page: the request's HTTP version, then its connection and session.
/// Every value is either ours (the ALPN protocol is one of [`ALPN`]) or
/// hex, so nothing needs escaping.
async fn page(Extension(tls): Extension<TlsInfo>, version: Version) -> Html<String> {
    let row = |id: &str, name: &str, value: &str| {
        format!("<tr><th>{name}</th><td id=\"{id}\">{value}</td></tr>\n")
    };
    let rows = [
        row("http", "HTTP version", &format!("{version:?}")),
        row("peer", "peer address", &tls.peer.to_string()),
        row(
            "alpn",
            "ALPN protocol",
            tls.alpn.as_deref().unwrap_or("(none)"),
        ),
        row("suite", "cipher suite", tls.cipher_suite),
        row("client-random", "client random", &tls.client_random),
        row("server-random", "server random", &tls.server_random),
        row("session-id", "session id", &tls.session_id),
        row("resumed", "resumed", &tls.resumed.to_string()),
    ];
    Html(format!(
        "<!DOCTYPE html>\n<html><head><title>tls12 + axum</title></head><body>\n\
         <h1>This connection and its session</h1>\n<table>\n{}</table>\n</body></html>\n",
        rows.concat()
    ))
}

/// Serves HTTP on one TLS connection until the client closes it: HTTP/2
/// when ALPN chose `h2` (the client then starts with the HTTP/2 preface),
/// HTTP/1.1 when it chose `http/1.1`, and when no protocol was agreed
/// whichever the client's first bytes show.
pub async fn serve_http<S>(io: S, tls: TlsInfo, app: Router) -> Result<(), String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let builder = Builder::new(TokioExecutor::new());
    let builder = match tls.alpn.as_deref() {
        Some("h2") => builder.http2_only(),
        Some("http/1.1") => builder.http1_only(),
        _ => builder,
    };
    let service = TowerToHyperService::new(app.layer(Extension(tls)));
    builder
        .serve_connection(TokioIo::new(io), service)
        .await
        .map_err(|e| e.to_string())
}

/// The server config: the certificates, both ALPN protocols, and a session
/// cache in memory so that clients resume.
fn config(args: &Args) -> io::Result<ServerConfig> {
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
    config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
    config.session_store = Some(Arc::new(MemoryStore::new(10_000)));
    Ok(config)
}

async fn run(args: Args) -> io::Result<()> {
    let acceptor = TlsAcceptor::from(Arc::new(config(&args)?));
    let listener = TcpListener::bind(args.listen).await?;
    println!("listening on {}", listener.local_addr()?);
    let app = app();
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Out of file descriptors, or a connection reset while queued:
            // this one is lost, the server goes on.
            Err(e) => {
                eprintln!("accept: {e}");
                continue;
            }
        };
        let (acceptor, app) = (acceptor.clone(), app.clone());
        tokio::spawn(async move {
            let result = match acceptor.accept(tcp).await {
                Ok(tls) => match TlsInfo::of(tls.connection(), peer) {
                    Some(info) => serve_http(tls, info, app).await,
                    None => Err("no handshake".into()),
                },
                Err(e) => Err(format!("handshake: {e}")),
            };
            if let Err(e) = result {
                eprintln!("{peer}: {e}");
            }
        });
    }
}

#[tokio::main]
async fn main() {
    if let Err(e) = run(Args::parse()).await {
        eprintln!("axum_server: {e}");
        std::process::exit(1);
    }
}
