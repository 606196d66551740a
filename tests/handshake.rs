//! Our client against our server, in-process over loopback TCP: every
//! suite × group, data checked both ways. (Interop with peers we did not
//! write is in the openssl, rustls and curl tests.)

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use tls12::{CipherSuite, NamedGroup, Stream};

#[test]
fn every_suite_and_group_completes_and_carries_data() {
    let mut checked = 0;
    for suite in CipherSuite::ALL {
        for group in NamedGroup::SUPPORTED {
            // The server picks the group under test; the client also offers
            // secp256r1 because the ECDSA certificate's curve must be one it
            // supports (RFC 8422 §5.3).
            let mut server_config = common::server_config();
            server_config.groups = vec![group];
            let (port, server) = common::serve_once(server_config, |stream| {
                let mut stream = stream.unwrap();
                let mut buf = [0u8; 5];
                stream.read_exact(&mut buf).unwrap();
                stream.write_all(b"pong:").unwrap();
                stream.write_all(&buf).unwrap();
                stream.close().unwrap();
                let est = stream.connection().established().unwrap();
                (est.session.cipher_suite, est.group)
            });
            let mut config = common::client_config();
            config.cipher_suites = vec![suite];
            config.groups = vec![group, NamedGroup::Secp256r1];
            let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
            let mut stream = Stream::connect(Arc::new(config), "localhost", sock).unwrap();
            stream.write_all(b"hello").unwrap();
            let mut reply = Vec::new();
            stream.read_to_end(&mut reply).unwrap();
            assert_eq!(reply, b"pong:hello");
            let est = stream.connection().established().unwrap();
            assert_eq!(est.session.cipher_suite, suite);
            assert_eq!(est.group, Some(group));
            assert!(est.session.extended_master_secret);
            assert!(
                stream
                    .connection()
                    .renegotiation_binding()
                    .unwrap()
                    .secure_renegotiation
            );
            assert_eq!(server.join().unwrap(), (suite, Some(group)));
            checked += 1;
        }
    }
    assert_eq!(checked, 18);
}
