//! Sessions (RFC 5246 §7) and where they are kept.
//!
//! A *session* is what a full handshake negotiates and what later connections
//! resume: session id, cipher suite, master secret, peer identity. It outlives
//! the connection that created it. The stores, tickets and the `Session` type
//! itself come with the sessions work; this crate already holds [`SessionId`],
//! the name a session goes by on the wire, and [`Session`].
#![forbid(unsafe_code)]

mod session;
mod session_id;

pub use session::Session;
pub use session_id::SessionId;
