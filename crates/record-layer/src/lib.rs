//! The TLS 1.2 record layer and the pieces every layer above it shares.
//!
//! | module | RFC |
//! |---|---|
//! | [`codec`] | RFC 5246 §4, the presentation language |
//! | [`record`] | §6.2.1 records, fragmentation |
//! | [`deframer`] | §6.2.1 reading records from a byte stream; handshake message reassembly |
//! | [`suites`] | §A.5, RFC 5288, RFC 7905: the AEAD cipher suites |
//! | [`aead`] | §6.2.3.3, RFC 5288 §3, RFC 7905 §2: record protection |
//! | [`states`] | §6.1 the four connection states |
//! | [`prf`] | §5 PRF, §8.1 master secret, RFC 7627 §4 EMS, §6.3 key block |
//! | [`secret`] | secrets that zeroize on drop and compare in constant time |
//! | [`alert`] | §7.2 alerts |
//! | [`error`] | §7.2.2 errors and the alert each maps to |
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod aead;
pub mod alert;
pub mod codec;
mod content_type;
pub mod deframer;
pub mod error;
pub mod prf;
pub mod record;
pub mod secret;
pub mod states;
pub mod suites;

pub use alert::{Alert, AlertDescription, AlertLevel};
pub use codec::{Codec, DecodeError, Reader};
pub use error::Error;
