//! tls12: TLS 1.2 (RFC 5246) written out plainly.
//!
//! The split this crate is built to show (RFC 5246 §1, §7):
//!
//! - a **connection** ([`Connection`]) is one live link: its own randoms,
//!   keys and sequence numbers, over one transport;
//! - a **session** ([`Session`]) is what a full handshake negotiated (master
//!   secret, cipher suite, peer identity), shared by every connection that
//!   resumes it.
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
mod conn;
mod files;
pub mod keylog;
mod stream;

#[cfg(feature = "tokio")]
pub use acceptor::{TlsAcceptor, TlsConnector};
#[cfg(feature = "tokio")]
pub use async_stream::AsyncStream;
pub use conn::{Connection, Event, MAX_BUFFERED_PLAINTEXT, MAX_QUEUED_EVENTS};
pub use files::{load_certified_key, load_trust_anchors, user_cache_dir};
pub use handshake::common::Established;
pub use handshake::config::{
    system_clock, CertifiedKey, ClientAuth, ClientConfig, KeyLog, ServerConfig, VerifyCallback,
};
pub use handshake::kx::NamedGroup;
pub use handshake::sign::{certs_from_pem, SignatureScheme, SigningKey};
pub use handshake::verify::{CertificateError, TrustAnchors};
pub use handshake::Error;
pub use keylog::KeyLogFile;
pub use record_layer::suites::CipherSuite;
pub use record_layer::{Alert, AlertDescription};
pub use session_store::{Session, SessionId};
pub use stream::{linger, tls_error, Stream, Transport, ALERT_LINGER_BYTES, ALERT_LINGER_TIME};

pub use handshake;
pub use record_layer;
pub use session_store;
