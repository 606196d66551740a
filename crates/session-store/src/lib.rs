//! Sessions (RFC 5246 §7) and where they are kept.
//!
//! A *session* is what a full handshake negotiates and what later connections
//! resume: session id, cipher suite, master secret, peer identity. It outlives
//! the connection that created it. This crate is filled in by the sessions work
//! (issue 4); for now it only fixes its place in the dependency order
//! `record-layer` ← `session-store` ← `handshake` ← `tls12`.
#![forbid(unsafe_code)]
