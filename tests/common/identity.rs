//! The client identities of the resumption matrix (issue 20): a session
//! made by a client config with certificate A, or without one, offered by
//! a config with A, with B, or without one. It must be resumed exactly
//! when the two are the same; otherwise a full handshake shows the server
//! the identity actually presented.

/// A client config's certificate, as a server sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Identity {
    /// The ECDSA client certificate of test-data/ecdsa.
    A,
    /// The RSA client certificate of test-data/rsa.
    B,
    /// No client certificate.
    Anonymous,
}

impl Identity {
    /// (made with, offered by): the six cells of the matrix.
    pub const MATRIX: [(Identity, Identity); 6] = [
        (Identity::A, Identity::A),
        (Identity::A, Identity::B),
        (Identity::A, Identity::Anonymous),
        (Identity::Anonymous, Identity::A),
        (Identity::Anonymous, Identity::B),
        (Identity::Anonymous, Identity::Anonymous),
    ];

    /// The chain and key files under test-data/, if any.
    pub fn files(self) -> Option<(&'static str, &'static str)> {
        match self {
            Identity::A => Some(("ecdsa/client.chain.pem", "ecdsa/client.key")),
            Identity::B => Some(("rsa/client.chain.pem", "rsa/client.key")),
            Identity::Anonymous => None,
        }
    }

    /// The chain a client with this identity sends (DER, leaf first).
    pub fn chain(self) -> Vec<Vec<u8>> {
        self.files()
            .map_or_else(Vec::new, |(chain, _)| super::certs_der(chain))
    }

    /// `config` with this identity's certificate (or none).
    pub fn configure(self, mut config: tls12::ClientConfig) -> tls12::ClientConfig {
        config.client_certificates = self
            .files()
            .map(|(chain, key)| std::sync::Arc::new(super::certified(chain, key)))
            .into_iter()
            .collect();
        config
    }
}
