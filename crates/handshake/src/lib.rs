//! The TLS 1.2 handshake protocol (RFC 5246 §7.3-7.4).
#![forbid(unsafe_code)]
