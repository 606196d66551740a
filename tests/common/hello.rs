//! The largest ClientHello RFC 5246 §7.4.1.2 allows, built from a real one:
//! for the malformed-input tests and the handshake bench (which includes
//! this file by path).
//!
//! ```text
//! struct {
//!     ProtocolVersion client_version;                 2
//!     Random random;                                  32
//!     SessionID session_id;                           1 + 32
//!     CipherSuite cipher_suites<2..2^16-2>;           2 + 65534
//!     CompressionMethod compression_methods<1..2^8-1>; 1 + 255
//!     Extension extensions<0..2^16-1>;                2 + 65535
//! } ClientHello;                                      = 131396 bytes
//! ```

use tls12::handshake::messages::ClientHello;
use tls12::record_layer::codec::{put_opaque, put_vector, Codec};

/// The body bytes of the largest legal ClientHello (131396), made from
/// `real`: its version, random, suites (first) and extensions, padded with
/// suites and compression methods we do not know and with distinct unknown
/// extensions, each empty, until every vector is full. Every check the
/// server makes on a hello is then at its largest input.
pub fn largest_client_hello_body(real: &ClientHello) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&real.client_version.to_bytes());
    real.random.encode(&mut body);
    put_opaque(&mut body, 32, &[0x5a; 32]);
    put_vector(&mut body, 0xfffe, |out| {
        let unknown = (0x1000..).filter(|v| !real.cipher_suites.contains(v));
        let suites = real.cipher_suites.iter().copied().chain(unknown);
        for suite in suites.take(0xfffe / 2) {
            out.extend_from_slice(&suite.to_be_bytes());
        }
    });
    // null(0), then the 254 other values.
    let methods: Vec<u8> = (0..=0xfe).collect();
    put_opaque(&mut body, 0xff, &methods);
    let mut encoded = Vec::new();
    real.extensions.encode(&mut encoded);
    // Without the block's own length prefix.
    let mut list = encoded.get(2..).unwrap_or_default().to_vec();
    // Empty unknown extensions, four bytes each, in types no hello of ours
    // uses; the last one takes the remainder as data.
    let mut typ = 0x1000u16;
    while 0xffff - list.len() >= 8 {
        list.extend_from_slice(&typ.to_be_bytes());
        list.extend_from_slice(&[0, 0]);
        typ += 1;
    }
    let rest = 0xffff - list.len() - 4;
    list.extend_from_slice(&typ.to_be_bytes());
    put_opaque(&mut list, 0xffff, &vec![0; rest]);
    put_opaque(&mut body, 0xffff, &list);
    body
}
