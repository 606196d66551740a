//! tls12: TLS 1.2 (RFC 5246) written out plainly.
#![forbid(unsafe_code)]

pub use record_layer;
