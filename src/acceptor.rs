//! [`TlsAcceptor`] and [`TlsConnector`] (feature `tokio`): a config behind
//! an `Arc`, cloned into each connection, shaped like tokio-rustls's pair
//! so that a server or client written for it (hyper, axum, tonic over a
//! `TcpStream`) ports by changing the import and the config. Each returns
//! an [`AsyncStream`] once the handshake (RFC 5246 §7.3) has completed:
//! its [`connection`](AsyncStream::connection) tells what was negotiated.

use std::future::Future;
use std::io;
use std::sync::Arc;

use ::tokio::io::{AsyncRead, AsyncWrite};
use handshake::{ClientConfig, ServerConfig};

use crate::async_stream::AsyncStream;
use crate::conn::Connection;
use crate::stream::io_error;

/// Accepts TLS clients with one [`ServerConfig`]: cheap to clone into
/// each connection's task.
///
/// A server on a loopback port, and a client through [`TlsConnector`]:
///
/// ```
/// use std::path::Path;
/// use std::sync::Arc;
/// use tls12::{ClientConfig, ServerConfig, TlsAcceptor, TlsConnector};
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
/// use tokio::net::{TcpListener, TcpStream};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let certified = tls12::load_certified_key(
///     Path::new("test-data/ecdsa/localhost.chain.pem"),
///     Path::new("test-data/ecdsa/localhost.key"),
/// )?;
/// let acceptor = TlsAcceptor::from(Arc::new(ServerConfig::new(vec![certified])));
/// let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let addr = listener.local_addr()?;
/// let server = tokio::spawn(async move {
///     let (tcp, _) = listener.accept().await?;
///     let mut tls = acceptor.accept(tcp).await?;
///     tls.write_all(b"hello over TLS 1.2").await?;
///     tls.shutdown().await // close_notify, then FIN
/// });
///
/// let roots = tls12::load_trust_anchors(Path::new("test-data/ecdsa/root.pem"))?;
/// let connector = TlsConnector::from(Arc::new(ClientConfig::new(roots)));
/// let mut tls = connector.connect("localhost", TcpStream::connect(addr).await?).await?;
/// let mut greeting = String::new();
/// tls.read_to_string(&mut greeting).await?;
/// assert_eq!(greeting, "hello over TLS 1.2");
/// assert!(!tls.connection().established().unwrap().resumed);
/// # server.await.unwrap()
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct TlsAcceptor(Arc<ServerConfig>);

impl From<Arc<ServerConfig>> for TlsAcceptor {
    fn from(config: Arc<ServerConfig>) -> Self {
        Self(config)
    }
}

impl TlsAcceptor {
    /// Runs the server's side of the handshake over `sock`. The future
    /// owns what it needs (not `self`), so it can be spawned; a failed
    /// handshake is an `io::Error` as [`AsyncStream`] describes.
    pub fn accept<S>(&self, sock: S) -> impl Future<Output = io::Result<AsyncStream<S>>>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        AsyncStream::handshake(Connection::server(self.0.clone()), sock)
    }

    /// The config every accepted connection uses.
    pub fn config(&self) -> &Arc<ServerConfig> {
        &self.0
    }
}

/// Connects to TLS servers with one [`ClientConfig`]: cheap to clone, and
/// the config's `session_store` lets a later connection resume (§7.3,
/// Figure 2) the session of an earlier one.
///
/// A client that offers HTTP/2 and HTTP/1.1 by ALPN (RFC 7301) and keeps
/// its sessions in memory:
///
/// ```no_run
/// use std::path::Path;
/// use std::sync::Arc;
/// use tls12::session_store::MemoryStore;
/// use tls12::{ClientConfig, TlsConnector};
/// use tokio::net::TcpStream;
///
/// # async fn run() -> std::io::Result<()> {
/// let roots = tls12::load_trust_anchors(Path::new("test-data/ecdsa/root.pem"))?;
/// let mut config = ClientConfig::new(roots);
/// config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
/// config.session_store = Some(Arc::new(MemoryStore::new(16)));
/// let connector = TlsConnector::from(Arc::new(config));
/// for _ in 0..2 {
///     let tcp = TcpStream::connect("localhost:8443").await?;
///     let tls = connector.connect("localhost", tcp).await?;
///     let conn = tls.connection();
///     // The second connection resumes the session of the first.
///     println!("ALPN {:?}, resumed {}", conn.alpn_protocol(), conn.established().unwrap().resumed);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct TlsConnector(Arc<ClientConfig>);

impl From<Arc<ClientConfig>> for TlsConnector {
    fn from(config: Arc<ClientConfig>) -> Self {
        Self(config)
    }
}

impl TlsConnector {
    /// Runs the client's side of the handshake with `server_name` (sent
    /// as SNI, RFC 6066 §3, and checked against the server's certificate)
    /// over `sock`. The future owns what it needs (not `self` nor
    /// `server_name`), so it can be spawned.
    pub fn connect<S>(
        &self,
        server_name: &str,
        sock: S,
    ) -> impl Future<Output = io::Result<AsyncStream<S>>>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let conn = Connection::client(self.0.clone(), server_name).map_err(io_error);
        async move { AsyncStream::handshake(conn?, sock).await }
    }

    /// The config every connection uses.
    pub fn config(&self) -> &Arc<ClientConfig> {
        &self.0
    }
}
