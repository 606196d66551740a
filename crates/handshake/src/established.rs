//! The values of one handshake: what it settles as it goes
//! ([`Negotiated`], moved from state to state), and what its connection
//! keeps once it completes ([`Established`], beside the shared session).
//! RFC 5246 §1 and §7: a session is shared by many connections; each
//! connection has its own randoms, and so its own keys (§6.3).

use std::sync::Arc;

use record_layer::prf::{self, KeyBlock};
use record_layer::secret::MasterSecret;
use record_layer::suites::CipherSuite;
use session_store::{CertificateChain, ChainCheck, Session, SessionId};

use crate::config::CertifiedKey;
use crate::kx::NamedGroup;
use crate::messages::Random;
use crate::proofs::{Authentication, FinishedVerified, PeerAuthenticated};
use crate::sign::SignatureScheme;

/// What this handshake has settled, moved from state to state: the
/// working values of one handshake, for the connection (randoms, group,
/// ALPN, ...) and for the session a full handshake makes (suite, server
/// name, peer chain, ...). Once the handshake completes it is split:
/// `Negotiated::establish` keeps the connection's values beside the
/// session, and the rest is dropped.
#[derive(Clone, Debug)]
pub struct Negotiated {
    /// `ClientHello.random` of this handshake.
    pub client_random: Random,
    /// `ServerHello.random` of this handshake.
    pub server_random: Random,
    /// `ServerHello.session_id` of this handshake: a new session's id, or
    /// the id the client offered when resuming (see
    /// [`Established::server_hello_session_id`]).
    pub server_hello_session_id: SessionId,
    /// The cipher suite.
    pub cipher_suite: CipherSuite,
    /// The ECDHE group, `None` on an abbreviated handshake.
    pub group: Option<NamedGroup>,
    /// The scheme of the peer's signature in this handshake: the server's
    /// ServerKeyExchange (§7.4.3) or the client's CertificateVerify
    /// (§7.4.8); `None` on an abbreviated handshake or for a client
    /// without a certificate.
    pub peer_signature_scheme: Option<SignatureScheme>,
    /// The server name the client asked for (RFC 6066).
    pub server_name: Option<String>,
    /// The ALPN protocol chosen (RFC 7301).
    pub alpn: Option<Vec<u8>>,
    /// Both sides use the extended master secret (RFC 7627).
    pub extended_master_secret: bool,
    /// Both sides signalled RFC 5746 secure renegotiation.
    pub secure_renegotiation: bool,
    /// The peer's certificate chain, leaf first, as a full handshake
    /// receives it, for the session it makes (empty on an abbreviated
    /// handshake: the resumed session has it).
    pub peer_certificates: CertificateChain,
    /// The record of the check that accepted `peer_certificates`, for the
    /// session (none for a client without a certificate).
    pub peer_chain_check: Option<ChainCheck>,
    /// The server will send NewSessionTicket (RFC 5077 §3.2, §3.3).
    pub session_ticket: bool,
    /// The certificate this end presented in this handshake (§7.4.2,
    /// §7.4.6), one of its config's; `None` on an abbreviated handshake
    /// and for a client that sent none.
    pub local_certificate: Option<Arc<CertifiedKey>>,
}

impl Negotiated {
    /// The session a full handshake makes (§7: "session identifier", "peer
    /// certificate", "cipher spec", "master secret", ...), created `now`,
    /// resumable for `lifetime` seconds (§F.1.4).
    pub(crate) fn new_session(
        &self,
        master_secret: MasterSecret,
        now: u64,
        lifetime: u64,
    ) -> Session {
        let mut session = Session::new(
            self.server_hello_session_id,
            self.cipher_suite,
            master_secret,
            self.extended_master_secret,
            self.peer_certificates.clone(),
            self.server_name.clone(),
            now,
        );
        session.peer_chain_check = self.peer_chain_check;
        session.lifetime = lifetime;
        session
    }

    /// The completed handshake as its connection keeps it: `session` (new
    /// or resumed) and this handshake's connection values; what was only
    /// the session's (suite, server name, peer chain, extended master
    /// secret) is read from the session from now on.
    pub(crate) fn establish(
        self,
        session: Arc<Session>,
        resumed: bool,
        peer: PeerAuthenticated,
        finished: FinishedVerified,
    ) -> Established {
        Established {
            session,
            resumed,
            client_random: self.client_random,
            server_random: self.server_random,
            server_hello_session_id: self.server_hello_session_id,
            group: self.group,
            peer_signature_scheme: self.peer_signature_scheme,
            alpn: self.alpn,
            session_ticket: self.session_ticket,
            local_certificate: self.local_certificate,
            peer,
            finished,
        }
    }
}

/// A completed handshake as its connection keeps it: the session now in
/// force, shared, and this connection's own values of the handshake, none
/// of them a copy of the session's (RFC 5246 §1 and §7: a session is
/// shared by many connections; each connection has its own randoms, and
/// so its own keys, §6.3).
///
/// The connection's §6.1 `SecurityParameters` are split between the two:
/// `master_secret` and the cipher suite (`prf_algorithm`,
/// `bulk_cipher_algorithm`, ...) are the session's, `client_random` and
/// `server_random` this connection's; the table in `docs/connection-and-session.md`
/// (and in the `tls12` crate's `conn` module) maps every field.
#[derive(Debug)]
pub struct Established {
    /// The session, new or resumed; shared with the store and with other
    /// connections that resume it.
    pub session: Arc<Session>,
    /// True for an abbreviated handshake (§7.3, Figure 2).
    pub resumed: bool,
    /// `ClientHello.random` of this handshake (§6.1 `client_random`).
    pub client_random: Random,
    /// `ServerHello.random` of this handshake (§6.1 `server_random`).
    pub server_random: Random,
    /// The `session_id` this handshake's ServerHello carried. On a full
    /// handshake and a resumption by id it is the session's own
    /// [`Session::session_id`]. On a resumption by ticket it is the id
    /// the client made up for its ClientHello, echoed (RFC 5077 §3.4:
    /// "When presenting a ticket, the client MAY generate and include a
    /// Session ID in the TLS ClientHello. If the server accepts the ticket
    /// and the Session ID is not empty, then it MUST respond with the same
    /// Session ID present in the ClientHello."): it tells the client that
    /// the server resumed, and names no session; the session keeps the
    /// id it was made with (empty for a server that only issues tickets).
    /// Hence two names for two values.
    pub server_hello_session_id: SessionId,
    /// The ECDHE group, `None` on an abbreviated handshake (RFC 8422 §5.4).
    pub group: Option<NamedGroup>,
    /// The scheme of the peer's signature in this handshake: the server's
    /// ServerKeyExchange (§7.4.3) or the client's CertificateVerify
    /// (§7.4.8); `None` on an abbreviated handshake or for a client
    /// without a certificate.
    pub peer_signature_scheme: Option<SignatureScheme>,
    /// The application protocol chosen on this handshake (RFC 7301 §3.1:
    /// ALPN "does not establish properties of the session, only of the
    /// connection"): a resumed connection has its own.
    pub alpn: Option<Vec<u8>>,
    /// This handshake carried NewSessionTicket (RFC 5077 §3.3), perhaps an
    /// empty one. The ticket itself is the client's alone, kept beside
    /// the session in its store (a `ClientSession`), not here.
    pub session_ticket: bool,
    /// The certificate this end presented in this handshake (§7.4.2,
    /// §7.4.6), one of its config's; `None` on an abbreviated handshake
    /// and for a client that sent none.
    pub local_certificate: Option<Arc<CertifiedKey>>,
    /// How the peer was authenticated.
    pub peer: PeerAuthenticated,
    /// The peer's Finished was checked.
    pub finished: FinishedVerified,
}

impl Established {
    /// The peer's certificate chain as this connection knows the peer:
    /// the session's, unless the peer is an anonymous client here (a
    /// server that asks for no certificate and resumes a session made with
    /// one verified nothing on this connection, and reports none).
    pub fn peer_certificates(&self) -> &[Vec<u8>] {
        match self.peer.how() {
            Authentication::Anonymous => &[],
            Authentication::Signature | Authentication::InheritedFromSession => {
                &self.session.peer_certificates
            }
        }
    }

    /// The key block of *this* connection (§6.3): the session's master
    /// secret with this handshake's randoms, so every connection has its own.
    pub fn key_block(&self) -> KeyBlock {
        let suite = self.session.cipher_suite;
        prf::key_block(
            suite.prf_hash(),
            self.session.master_secret(),
            &self.client_random.0,
            &self.server_random.0,
            suite.bulk(),
        )
    }
}
