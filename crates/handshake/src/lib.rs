//! The TLS 1.2 handshake protocol (RFC 5246 §7.3-7.4).
//!
//! | module | RFC |
//! |---|---|
//! | [`messages`] | RFC 5246 §7.4 handshake messages; RFC 8422 §5.4, §5.7; RFC 5077 §3.3 |
//! | [`extensions`] | RFC 5246 §7.4.1.4; RFC 6066, 8422, 7301, 7627, 5077, 5746 |
//! | [`kx`] | RFC 8422 §5.10 ECDHE |
//! | [`sign`] | RFC 5246 §4.7, §7.4.1.4.1 signatures; private keys |
//! | [`x509`] | RFC 5246 §7.4.2, §7.4.6 certificate chains: RFC 5280 §6 path validation, one concern per file |
//! | [`client`] | RFC 5246 §7.3 the client's state machine |
//! | [`server`] | RFC 5246 §7.3 the server's state machine |
//! | [`sequences`] | RFC 5246 §7.3, §7.4 the legal message sequences, as a table |
//! | [`exporter`] | RFC 5705 keying material exporters |
//! | [`common`] | transcript, negotiated values, proof values, actions; what a connection keeps of a completed handshake ([`Established`], RFC 5746 §3.1 [`RenegotiationBinding`]) |
//! | [`config`] | what each side offers and accepts |
//! | [`observe`] | the observer interface that traces use |
//! | [`error`] | RFC 5246 §7.2.2 handshake errors and their alerts |
//! | [`escape`] | peer-chosen text (certificate names) made safe for a line of ours |
//!
//! The machines do no I/O: they take handshake messages and return
//! [`Action`]s for the connection to carry out.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod chain_check;
pub mod client;
pub mod common;
pub mod config;
pub mod error;
pub mod escape;
pub mod exporter;
pub mod extensions;
pub mod kx;
pub mod messages;
pub mod observe;
pub mod sequences;
pub mod server;
pub mod sign;
pub mod x509;

/// The former name of [`x509`], kept so that `handshake::verify::...`
/// paths keep working.
pub use x509 as verify;

pub use client::{ClientHandshake, ClientState};
pub use common::{Action, Established, Negotiated, RenegotiationBinding};
pub use config::{CertifiedKey, ClientAuth, ClientConfig, ServerConfig};
pub use error::Error;
pub use server::{ServerHandshake, ServerState};
