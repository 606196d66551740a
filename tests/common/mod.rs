//! Helpers shared by the integration tests: test certificates, configs,
//! loopback servers. (Each test binary uses a different subset.)
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread;

use tls12::{CertifiedKey, ClientConfig, ServerConfig, SigningKey, Stream, TrustAnchors};

/// A file under test-data/.
pub fn test_data(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("test-data")
        .join(path)
}

pub fn read(path: &str) -> Vec<u8> {
    std::fs::read(test_data(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `chain` (PEM, leaf first) with `key` (PEM).
pub fn certified(chain: &str, key: &str) -> CertifiedKey {
    CertifiedKey {
        chain: tls12::certs_from_pem(&read(chain)).unwrap(),
        key: SigningKey::from_pem(&read(key)).unwrap(),
    }
}

/// Trust anchors from one or more PEM root files.
pub fn anchors(roots: &[&str]) -> TrustAnchors {
    let pem: Vec<u8> = roots.iter().flat_map(|r| read(r)).collect();
    TrustAnchors::from_pem(&pem).unwrap()
}

/// A server config with both the RSA and the ECDSA `localhost` chains.
pub fn server_config() -> ServerConfig {
    ServerConfig::new(vec![
        certified("ecdsa/localhost.chain.pem", "ecdsa/localhost.key"),
        certified("rsa/localhost.chain.pem", "rsa/localhost.key"),
    ])
}

/// A client config trusting both test roots.
pub fn client_config() -> ClientConfig {
    ClientConfig::new(anchors(&["ecdsa/root.pem", "rsa/root.pem"]))
}

/// Runs one server connection on a loopback port in a thread: accepts one
/// client and hands the stream (or the handshake error) to `serve`.
pub fn serve_once<T: Send + 'static>(
    config: ServerConfig,
    serve: impl FnOnce(std::io::Result<Stream<TcpStream>>) -> T + Send + 'static,
) -> (u16, thread::JoinHandle<T>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = Arc::new(config);
    let handle = thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        serve(Stream::accept(config, sock))
    });
    (port, handle)
}
