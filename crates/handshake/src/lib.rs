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
//! | [`actions`] | RFC 5246 §7.1, §7.3 what a machine asks its connection to do; ChangeCipherSpec and Finished sent |
//! | [`transcript`] | RFC 5246 §7.4.9 `handshake_messages`, §7.4.8, RFC 7627 §3 |
//! | [`key_schedule`] | RFC 5246 §6.3, §7.4.9, §8.1, RFC 7627 §4 master secret, key block, Finished |
//! | [`proofs`] | RFC 5246 §7.4.3, §7.4.8, §7.4.9 values only a passing check makes |
//! | [`established`] | what a handshake settles ([`Negotiated`]) and what its connection keeps ([`Established`]) |
//! | [`secure_renegotiation`] | RFC 5746 §3.1 [`RenegotiationBinding`], §4 [`PreviousHandshake`] |
//! | [`config`] | what each side offers and accepts |
//! | [`observe`] | the observer interface that traces use |
//! | [`error`] | RFC 5246 §7.2.2 handshake errors and their alerts |
//! | [`escape`] | peer-chosen text (certificate names) made safe for a line of ours |
//!
//! The machines do no I/O: they take handshake messages and return
//! [`Action`]s for the connection to carry out.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod actions;
mod chain_check;
pub mod client;
pub mod config;
pub mod error;
pub mod escape;
pub mod established;
pub mod exporter;
pub mod extensions;
pub mod key_schedule;
pub mod kx;
pub mod messages;
pub mod observe;
pub mod proofs;
mod random;
pub mod secure_renegotiation;
pub mod sequences;
pub mod server;
pub mod sign;
pub mod transcript;
pub mod x509;

pub use actions::Action;
pub use client::{ClientHandshake, ClientOffer, ClientState};
pub use config::{CertifiedKey, ClientAuth, ClientConfig, ServerConfig};
pub use error::Error;
pub use established::{Established, Negotiated};
pub use key_schedule::Side;
pub use secure_renegotiation::{PreviousHandshake, RenegotiationBinding};
pub use server::{ServerHandshake, ServerState};
