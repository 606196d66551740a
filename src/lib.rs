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
//! Start with [`Stream::connect`] / [`Stream::accept`] over a `TcpStream`.
#![forbid(unsafe_code)]

mod conn;
mod files;
pub mod keylog;
mod stream;
pub mod trace;

pub use conn::{Connection, Event, MAX_BUFFERED_PLAINTEXT};
pub use files::{load_certified_key, load_trust_anchors};
pub use handshake::common::Established;
pub use handshake::config::{system_clock, CertifiedKey, ClientAuth, ClientConfig, ServerConfig};
pub use handshake::kx::NamedGroup;
pub use handshake::sign::{certs_from_pem, SignatureScheme, SigningKey};
pub use handshake::verify::TrustAnchors;
pub use handshake::Error;
pub use record_layer::suites::CipherSuite;
pub use record_layer::{Alert, AlertDescription};
pub use session_store::{Session, SessionId};
pub use stream::{tls_error, Stream};

pub use handshake;
pub use record_layer;
pub use session_store;
