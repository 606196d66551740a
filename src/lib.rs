//! tls12: TLS 1.2 (RFC 5246) written out plainly.
//!
//! The split this crate is built to show (RFC 5246 §1, §7):
//!
//! - a **connection** ([`Connection`]) is one live link: its own randoms,
//!   keys and sequence numbers, ALPN protocol and RFC 5746 binding, over
//!   one transport ([`Established`], [`RenegotiationBinding`]);
//! - a **session** ([`Session`]) is what a full handshake negotiated (master
//!   secret, cipher suite, peer identity), shared by every connection that
//!   resumes it; a client keeps its ticket beside it ([`ClientSession`]).
//!
//! Where each field of RFC 5246 §6.1's `SecurityParameters` lives is
//! mapped in [`Connection`]'s module documentation and in
//! `docs/connection-and-session.md`.
//!
//! Start with [`Stream::connect`] / [`Stream::accept`] over a `TcpStream`:
//!
//! ```
//! use std::io::{Read, Write};
//! use std::net::{TcpListener, TcpStream};
//! use std::sync::Arc;
//! use std::path::Path;
//!
//! # fn main() -> std::io::Result<()> {
//! // A server with the test certificate, in a thread.
//! let certified = tls12::load_certified_key(
//!     Path::new("test-data/ecdsa/localhost.chain.pem"),
//!     Path::new("test-data/ecdsa/localhost.key"),
//! )?;
//! let server_config = Arc::new(tls12::ServerConfig::new(vec![certified]));
//! let listener = TcpListener::bind("127.0.0.1:0")?;
//! let port = listener.local_addr()?.port();
//! let server = std::thread::spawn(move || -> std::io::Result<()> {
//!     let (sock, _) = listener.accept()?;
//!     let mut tls = tls12::Stream::accept(server_config, sock)?;
//!     let mut hello = [0u8; 5];
//!     tls.read_exact(&mut hello)?;
//!     tls.write_all(b"world")?;
//!     tls.close()
//! });
//!
//! // A client that trusts the test root.
//! let roots = tls12::load_trust_anchors(Path::new("test-data/ecdsa/root.pem"))?;
//! let client_config = Arc::new(tls12::ClientConfig::new(roots));
//! let sock = TcpStream::connect(("127.0.0.1", port))?;
//! let mut tls = tls12::Stream::connect(client_config, "localhost", sock)?;
//! tls.write_all(b"hello")?;
//! let mut reply = String::new();
//! tls.read_to_string(&mut reply)?;
//! assert_eq!(reply, "world");
//!
//! // The connection and its session:
//! let conn = tls.connection();
//! assert_eq!(conn.handshake_count(), 1);
//! assert!(!conn.established().unwrap().resumed);
//! let session = conn.session().unwrap();
//! assert!(session.extended_master_secret);
//! # server.join().unwrap()
//! # }
//! ```
//!
//! This crate holds the protocol's drivers only: [`Connection`] (sans-I/O),
//! the configs, the blocking [`Stream`], `AsyncStream` (feature `tokio`)
//! and the key log. What a program builds around a connection lives in
//! crates of its own, which depend on this one and never the other way:
//! `tls12-trace` (the text trace and the HTML page, both fed by the
//! [`Observer`](handshake::observe::Observer) events), `tls12-limits`
//! (a server's connection limit, deadlines and timed sockets) and
//! `tls12-farm` (the session cache and ticket keys a server farm shares on
//! Redis).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "tokio")]
mod acceptor;
#[cfg(feature = "tokio")]
mod async_stream;
mod buffers;
mod conn;
mod files;
pub mod keylog;
mod stream;

#[cfg(feature = "tokio")]
pub use acceptor::{TlsAcceptor, TlsConnector};
#[cfg(feature = "tokio")]
pub use async_stream::AsyncStream;
pub use buffers::MAX_BUFFERED_PLAINTEXT;
pub use conn::{Connection, Event, MAX_DECLINED_RENEGOTIATIONS, MAX_QUEUED_EVENTS};
pub use files::{load_certified_key, load_trust_anchors, user_cache_dir};
/// A client's config, shared by its connections through an `Arc`:
/// [`ClientConfig::new`] takes the roots that server certificates must
/// chain to and sets every suite, group and scheme this crate implements;
/// change a field to narrow them or to add what the defaults leave out.
///
/// ```
/// use std::path::Path;
/// use std::sync::Arc;
/// use tls12::session_store::MemoryStore;
/// use tls12::{CipherSuite, ClientConfig};
///
/// # fn main() -> std::io::Result<()> {
/// let roots = tls12::load_trust_anchors(Path::new("test-data/ecdsa/root.pem"))?;
/// let mut config = ClientConfig::new(roots);
/// // Offer HTTP/2 and HTTP/1.1 (RFC 7301), keep sessions to resume them
/// // (RFC 5246 §7.3), and offer AES-GCM only.
/// config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
/// config.session_store = Some(Arc::new(MemoryStore::new(64)));
/// config.cipher_suites.retain(|s| s.rfc_name().contains("_GCM_"));
/// assert!(config.cipher_suites.contains(&CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256));
/// let config = Arc::new(config); // for Stream::connect, TlsConnector::from, ...
/// # Ok(())
/// # }
/// ```
pub use handshake::config::ClientConfig;
/// A server's config, shared by its connections through an `Arc`:
/// [`ServerConfig::new`] takes the certificates to serve, most preferred
/// first, and sets every suite, group and scheme this crate implements,
/// no client authentication, no session cache and no tickets.
///
/// ```
/// use std::path::Path;
/// use std::sync::Arc;
/// use tls12::session_store::{MemoryStore, TicketKeys};
/// use tls12::ServerConfig;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // An ECDSA certificate first, and an RSA one for clients without ECDSA.
/// let ecdsa = tls12::load_certified_key(
///     Path::new("test-data/ecdsa/localhost.chain.pem"),
///     Path::new("test-data/ecdsa/localhost.key"),
/// )?;
/// let rsa = tls12::load_certified_key(
///     Path::new("test-data/rsa/localhost.chain.pem"),
///     Path::new("test-data/rsa/localhost.key"),
/// )?;
/// let mut config = ServerConfig::new(vec![ecdsa, rsa]);
/// // Resumption by session id (RFC 5246 §7.3) and by ticket (RFC 5077).
/// config.session_store = Some(Arc::new(MemoryStore::new(10_000)));
/// config.ticket_keys = Some(Arc::new(TicketKeys::new(config.clock.clone())?));
/// config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
/// // The names a client may ask for (SNI, RFC 6066 §3): the certificates'.
/// config.server_names = config.certificate_names();
/// assert!(config.server_names.contains(&"localhost".to_string()));
/// let config = Arc::new(config); // for Stream::accept, TlsAcceptor::from, ...
/// # Ok(())
/// # }
/// ```
pub use handshake::config::ServerConfig;
pub use handshake::config::{
    system_clock, CertifiedKey, ClientAuth, KeyLog, Renegotiation, VerifyCallback,
};
pub use handshake::kx::NamedGroup;
pub use handshake::sign::{certs_from_pem, SignatureScheme, SigningKey};
pub use handshake::x509::{CertificateError, TrustAnchors};
pub use handshake::Error;
pub use handshake::{Established, RenegotiationBinding};
pub use keylog::KeyLogFile;
pub use record_layer::suites::CipherSuite;
pub use record_layer::{Alert, AlertDescription};
pub use session_store::{ClientSession, Session, SessionId};
pub use stream::{linger, tls_error, Stream, Transport, ALERT_LINGER_BYTES, ALERT_LINGER_TIME};

pub use handshake;
pub use record_layer;
pub use session_store;
