//! A hyper client over tls12: `GET URL` on several connections, one after
//! the other, each a new TCP connection through [`tls12::TlsConnector`].
//! The client keeps its sessions in memory, so every connection after the
//! first resumes the session of the first (RFC 5246 §7.3, Figure 2). It
//! speaks HTTP/2 on a connection whose ALPN (RFC 7301) chose `h2`, and
//! HTTP/1.1 otherwise.
//!
//! ```sh
//! cargo run --example hyper_client -- --ca test-data/ecdsa/root.pem https://localhost:8443/
//! ```
//!
//! For each connection it prints a line with the status, the HTTP version,
//! the ALPN protocol and whether the connection resumed, then the body.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::{Request, Uri};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tls12::session_store::MemoryStore;
use tls12::{AsyncStream, ClientConfig, TlsConnector};
use tokio::net::TcpStream;

/// GET an https URL over TLS 1.2 on several connections, resuming the
/// session of the first; print each answer.
#[derive(Parser, Debug)]
#[command(name = "hyper_client", version)]
struct Args {
    /// The page to get: https://HOST[:PORT]/PATH. HOST is also the name
    /// asked for (SNI) and checked against the server's certificate.
    url: Uri,
    /// Trusted root certificates (PEM).
    #[arg(long)]
    ca: PathBuf,
    /// How many connections to make, one after the other, each with one
    /// request.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..))]
    connections: u32,
    /// ALPN protocols to offer, most preferred first (repeat for several).
    #[arg(long, default_values_t = ["h2".to_string(), "http/1.1".to_string()])]
    alpn: Vec<String>,
}

/// One answer and the connection it came on.
struct Answer {
    status: hyper::StatusCode,
    version: hyper::Version,
    alpn: Option<String>,
    resumed: bool,
    body: Bytes,
}

/// Connects, runs the handshake, and GETs `url` over HTTP/2 or HTTP/1.1 as
/// ALPN chose.
async fn get(connector: &TlsConnector, url: &Uri) -> Result<Answer, BoxError> {
    let host = url.host().ok_or("the URL has no host")?;
    let port = url.port_u16().unwrap_or(443);
    let tcp = TcpStream::connect((host, port)).await?;
    let tls = connector.connect(host, tcp).await?;
    let conn = tls.connection();
    let alpn = conn
        .alpn_protocol()
        .map(|p| String::from_utf8_lossy(p).into_owned());
    let resumed = conn.established().is_some_and(|e| e.resumed);
    let (parts, body) = if alpn.as_deref() == Some("h2") {
        http2_get(tls, url).await?
    } else {
        http1_get(tls, url).await?
    };
    Ok(Answer {
        status: parts.status,
        version: parts.version,
        alpn,
        resumed,
        body,
    })
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A response's head and its whole body.
type Read = (hyper::http::response::Parts, Bytes);

/// HTTP/2 (RFC 9113): the request carries the whole URL (its `:scheme`,
/// `:authority` and `:path`). Once the body is read, the client's handle
/// is dropped and the connection ends (GOAWAY, then close_notify, RFC
/// 5246 §7.2.1) before the next one begins.
async fn http2_get(tls: AsyncStream<TcpStream>, url: &Uri) -> Result<Read, BoxError> {
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls)).await?;
    let connection = tokio::spawn(connection);
    let request = Request::get(url.clone()).body(Empty::<Bytes>::new())?;
    let (parts, body) = sender.send_request(request).await?.into_parts();
    let body = body.collect().await?.to_bytes();
    drop(sender);
    connection.await??;
    Ok((parts, body))
}

/// HTTP/1.1 (RFC 9112): the path in the request line, the host in `Host`,
/// and `Connection: close`, since the connection serves one request and
/// then ends (close_notify, RFC 5246 §7.2.1) before the next one begins.
async fn http1_get(tls: AsyncStream<TcpStream>, url: &Uri) -> Result<Read, BoxError> {
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;
    let connection = tokio::spawn(connection);
    let path = url.path_and_query().map_or("/", |p| p.as_str());
    let authority = url.authority().map_or("", |a| a.as_str());
    let request = Request::get(path)
        .header(hyper::header::HOST, authority)
        .header(hyper::header::CONNECTION, "close")
        .body(Empty::<Bytes>::new())?;
    let (parts, body) = sender.send_request(request).await?.into_parts();
    let body = body.collect().await?.to_bytes();
    drop(sender);
    connection.await??;
    Ok((parts, body))
}

async fn run(args: Args) -> Result<(), BoxError> {
    if args.url.scheme_str() != Some("https") {
        return Err("give an https:// URL".into());
    }
    let mut config = ClientConfig::new(tls12::load_trust_anchors(&args.ca)?);
    config.alpn_protocols = args.alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    config.session_store = Some(Arc::new(MemoryStore::new(16)));
    let connector = TlsConnector::from(Arc::new(config));
    for n in 1..=args.connections {
        let answer = get(&connector, &args.url).await?;
        println!(
            "connection {n}: status {}, {:?}, ALPN {}, resumed {}",
            answer.status,
            answer.version,
            answer.alpn.as_deref().unwrap_or("(none)"),
            answer.resumed,
        );
        println!("{}", String::from_utf8_lossy(&answer.body));
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = run(Args::parse()).await {
        eprintln!("hyper_client: {e}");
        std::process::exit(1);
    }
}
