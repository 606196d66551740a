//! What the client and server machines share: the actions they ask the
//! connection to take, the transcript, the values negotiated so far, and the
//! proof values that only a successful check can make (RFC 5246 §7.3, §7.4.9).

use std::sync::Arc;

use record_layer::prf::{self, FinishedLabel, KeyBlock, Prf, VERIFY_DATA_LEN};
use record_layer::secret::{constant_time_eq, MasterSecret};
use record_layer::states::PendingCipherState;
use record_layer::suites::{CipherSuite, PrfHash};
use ring::digest;
use session_store::{CertificateChain, ChainCheck, Session, SessionId};

use crate::config::CertifiedKey;
use crate::error::Error;
use crate::kx::NamedGroup;
use crate::messages::{HandshakeMessage, HandshakePayload, Random};
use crate::sign::SignatureScheme;

/// What a handshake machine asks its connection to do, in order.
///
/// The machine does no I/O; the connection carries these out one after the
/// other, so that, e.g., a Finished that follows a ChangeCipherSpec is
/// protected by the new write state (§7.1).
#[derive(Debug)]
pub enum Action {
    /// Send this handshake message under the current write state.
    Send(HandshakeMessage),
    /// Make these the pending read and write states (§6.1): the keys are
    /// computed, but not yet in use.
    SetPendingKeys(PendingKeys),
    /// Send ChangeCipherSpec, then make the pending write state current
    /// (§7.1: "Immediately after sending this message, the sender MUST
    /// instruct the record layer to make the write pending state the write
    /// active state").
    SendChangeCipherSpec,
    /// The handshake is complete; application data may flow.
    Complete(Box<Established>),
}

/// This connection's next read and write states (§6.1), from its key block.
#[derive(Debug)]
pub struct PendingKeys {
    /// The state that will protect records we receive.
    pub read: PendingCipherState,
    /// The state that will protect records we send.
    pub write: PendingCipherState,
}

/// The messages of this handshake, as sent and received, for the Finished
/// hash (§7.4.9), the CertificateVerify signature (§7.4.8) and the extended
/// master secret's session hash (RFC 7627 §3).
///
/// The bytes are kept because CertificateVerify signs the messages
/// themselves, with the signature's own hash. Once the cipher suite is
/// chosen, and so the PRF's hash (§5), a running hash follows them too:
/// each Finished then costs one copy of a hash state, not a hash of
/// everything again.
#[derive(Clone)]
pub struct Transcript {
    bytes: Vec<u8>,
    running: Option<(PrfHash, digest::Context)>,
}

impl Default for Transcript {
    fn default() -> Self {
        Self {
            // An abbreviated handshake's messages fit, and a full one's
            // grow it two or three times, instead of five or six; and the
            // allocator keeps blocks this small in its per-thread cache.
            bytes: Vec::with_capacity(1024),
            running: None,
        }
    }
}

impl core::fmt::Debug for Transcript {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Transcript")
            .field("bytes", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

impl Transcript {
    /// Adds a message. HelloRequest is never added (§7.4.1.1: "This message
    /// MUST NOT be included in the message hashes").
    pub fn add(&mut self, msg: &HandshakeMessage) {
        if !matches!(msg.payload, HandshakePayload::HelloRequest) {
            self.add_raw(&msg.raw);
        }
    }

    /// Adds a received message's bytes, header included.
    pub fn add_raw(&mut self, raw: &[u8]) {
        self.bytes.extend_from_slice(raw);
        if let Some((_, context)) = &mut self.running {
            context.update(raw);
        }
    }

    /// Starts the running hash once `suite` is chosen.
    pub fn start_hash(&mut self, suite: CipherSuite) {
        let hash = suite.prf_hash();
        let mut context = digest::Context::new(hash.digest_algorithm());
        context.update(&self.bytes);
        self.running = Some((hash, context));
    }

    /// `handshake_messages` so far.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// `Hash(handshake_messages)` with the PRF's hash.
    pub fn hash(&self, suite: CipherSuite) -> digest::Digest {
        match &self.running {
            Some((hash, context)) if *hash == suite.prf_hash() => context.clone().finish(),
            _ => digest::digest(suite.prf_hash().digest_algorithm(), &self.bytes),
        }
    }
}

/// What this handshake has settled, moved from state to state.
#[derive(Clone, Debug)]
pub struct Negotiated {
    /// `ClientHello.random` of this handshake.
    pub client_random: Random,
    /// `ServerHello.random` of this handshake.
    pub server_random: Random,
    /// The session id the server chose (or echoed, when resuming).
    pub session_id: SessionId,
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
    /// The peer's certificate chain, leaf first (on an abbreviated
    /// handshake: the chain of the full handshake that made the session,
    /// except on a server that asks for no client certificate, where it is
    /// empty: that config authenticated no client).
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
    /// The key block of *this* connection (§6.3): the session's master
    /// secret with this handshake's randoms, so every connection has its own.
    pub fn key_block(&self, master_secret: &MasterSecret) -> KeyBlock {
        prf::key_block(
            self.cipher_suite.prf_hash(),
            master_secret,
            &self.client_random.0,
            &self.server_random.0,
            self.cipher_suite.bulk(),
        )
    }

    /// The PRF (§5) of this handshake's suite keyed with `master_secret`,
    /// for the key block and both Finished messages.
    pub fn prf(&self, master_secret: &MasterSecret) -> Prf {
        Prf::new(self.cipher_suite.prf_hash(), master_secret.as_bytes())
    }

    /// `verify_data` for the Finished sent by `label`'s side (§7.4.9), with
    /// the PRF keyed with the master secret ([`Negotiated::prf`]).
    pub fn verify_data(
        &self,
        prf: &Prf,
        label: FinishedLabel,
        transcript: &Transcript,
    ) -> [u8; VERIFY_DATA_LEN] {
        prf.verify_data(label, transcript.hash(self.cipher_suite).as_ref())
    }
}

/// Proof that the peer holds the key of the certificate it presented: made
/// only by a verified ServerKeyExchange or CertificateVerify signature, or
/// inherited from the full handshake that created a resumed session.
#[derive(Clone, Debug)]
pub struct PeerAuthenticated {
    how: Authentication,
}

/// How the peer was authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Authentication {
    /// Its signature in this handshake verified against its certificate.
    Signature,
    /// It is an unauthenticated client (no client certificate asked or
    /// given; or a resumption on a server that asks for none, whatever
    /// chain the session holds).
    Anonymous,
    /// The session it resumed was authenticated by an earlier full
    /// handshake (on a server, only under a config that asks for client
    /// certificates and has checked the session's chain again).
    InheritedFromSession,
}

impl PeerAuthenticated {
    /// Only `crate` code that has just verified a signature makes this.
    pub(crate) fn by_signature() -> Self {
        Self {
            how: Authentication::Signature,
        }
    }

    /// On an abbreviated handshake: trust comes from the full handshake
    /// that created the resumed session, proven now by both Finished
    /// messages under its master secret.
    pub(crate) fn inherited() -> Self {
        Self {
            how: Authentication::InheritedFromSession,
        }
    }

    /// A client the server did not ask to authenticate.
    pub(crate) fn anonymous_client() -> Self {
        Self {
            how: Authentication::Anonymous,
        }
    }

    /// How the peer was authenticated.
    pub fn how(&self) -> Authentication {
        self.how
    }
}

/// Proof that the peer's Finished.verify_data was correct (§7.4.9): the
/// handshake was not tampered with.
#[derive(Clone, Copy, Debug)]
pub struct FinishedVerified {
    // Only `check` makes one; the verify_data itself is kept in
    // `Established`, for RFC 5746.
    _private: (),
}

impl FinishedVerified {
    /// Checks a received Finished in constant time (§7.4.9: "Recipients of
    /// Finished messages MUST verify that the contents are correct").
    pub(crate) fn check(
        expected: &[u8; VERIFY_DATA_LEN],
        received: &[u8; VERIFY_DATA_LEN],
    ) -> Result<Self, Error> {
        if constant_time_eq(expected, received) {
            Ok(Self { _private: () })
        } else {
            Err(Error::BadFinished)
        }
    }
}

/// A completed handshake: the session now in force, and the values of this
/// connection that the next handshake on it (a renegotiation) will need.
#[derive(Debug)]
pub struct Established {
    /// The session, new or resumed; shared with the store and with other
    /// connections that resume it.
    pub session: Arc<Session>,
    /// True for an abbreviated handshake (§7.3, Figure 2).
    pub resumed: bool,
    /// What this handshake negotiated (connection-level values included:
    /// randoms, group, ALPN).
    pub negotiated: Negotiated,
    /// This connection's last client Finished.verify_data (RFC 5746 §3.1:
    /// connection state, not session state).
    pub client_verify_data: [u8; VERIFY_DATA_LEN],
    /// This connection's last server Finished.verify_data.
    pub server_verify_data: [u8; VERIFY_DATA_LEN],
    /// How the peer was authenticated.
    pub peer: PeerAuthenticated,
    /// The peer's Finished was checked.
    pub finished: FinishedVerified,
}

/// Which end of the connection a machine plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The side that sends ClientHello.
    Client,
    /// The side that answers it.
    Server,
}

/// Where this handshake's master secret comes from: a full handshake makes a
/// fresh one; an abbreviated one takes the resumed session's (§7.3).
#[derive(Debug)]
pub(crate) enum SessionSecret {
    /// Made by this handshake's key exchange (§8.1, RFC 7627 §4).
    Fresh(MasterSecret),
    /// The resumed session's.
    Resumed(Arc<Session>),
}

/// Queues a handshake message and adds it to the transcript.
pub(crate) fn send(
    transcript: &mut Transcript,
    actions: &mut Vec<Action>,
    payload: HandshakePayload,
) {
    let msg = HandshakeMessage::new(payload);
    transcript.add(&msg);
    actions.push(Action::Send(msg));
}

/// Derives this connection's keys from the master secret (§6.3), `prf`
/// being keyed with it, and makes them pending: `side` reads with its
/// peer's write keys.
pub(crate) fn set_pending_keys(
    actions: &mut Vec<Action>,
    negotiated: &Negotiated,
    prf: &Prf,
    side: Side,
) -> Result<(), Error> {
    let key_block = prf.key_block(
        &negotiated.client_random.0,
        &negotiated.server_random.0,
        negotiated.cipher_suite.bulk(),
    );
    let (read, write) = match side {
        Side::Client => (
            key_block.server_write_state()?,
            key_block.client_write_state()?,
        ),
        Side::Server => (
            key_block.client_write_state()?,
            key_block.server_write_state()?,
        ),
    };
    actions.push(Action::SetPendingKeys(PendingKeys { read, write }));
    Ok(())
}

/// Sends ChangeCipherSpec and then Finished under the new keys (§7.4.9),
/// returning the verify_data sent.
pub(crate) fn send_change_cipher_spec_and_finished(
    transcript: &mut Transcript,
    actions: &mut Vec<Action>,
    negotiated: &Negotiated,
    prf: &Prf,
    side: Side,
) -> [u8; VERIFY_DATA_LEN] {
    let label = match side {
        Side::Client => FinishedLabel::ClientFinished,
        Side::Server => FinishedLabel::ServerFinished,
    };
    actions.push(Action::SendChangeCipherSpec);
    let verify_data = negotiated.verify_data(prf, label, transcript);
    send(
        transcript,
        actions,
        HandshakePayload::Finished(crate::messages::Finished { verify_data }),
    );
    verify_data
}

/// The master secret of a full handshake (§8.1), or the extended one
/// (RFC 7627 §4) whose session hash covers the transcript so far, which is
/// ClientHello through ClientKeyExchange when this is called.
pub(crate) fn compute_master_secret(
    negotiated: &Negotiated,
    pre_master_secret: &[u8],
    transcript: &Transcript,
) -> MasterSecret {
    let hash = negotiated.cipher_suite.prf_hash();
    if negotiated.extended_master_secret {
        let session_hash = transcript.hash(negotiated.cipher_suite);
        prf::extended_master_secret(hash, pre_master_secret, session_hash.as_ref())
    } else {
        prf::master_secret(
            hash,
            pre_master_secret,
            &negotiated.client_random.0,
            &negotiated.server_random.0,
        )
    }
}

/// What a renegotiation needs from the handshake before it on the same
/// connection. This is *connection* state (RFC 5746 §3.1: "the
/// client_verify_data and server_verify_data from the previously completed
/// handshake"), not session state: a resumed session says nothing about it.
#[derive(Clone, Debug)]
pub struct PreviousHandshake {
    /// The last client Finished.verify_data on this connection.
    pub client_verify_data: [u8; VERIFY_DATA_LEN],
    /// The last server Finished.verify_data on this connection.
    pub server_verify_data: [u8; VERIFY_DATA_LEN],
    /// The server's certificate chain so far: a client refuses a
    /// renegotiation that changes it (the triple-handshake defence).
    pub server_certificates: CertificateChain,
    /// Whether the last handshake used the extended master secret
    /// (RFC 7627): a renegotiation must not change it.
    pub extended_master_secret: bool,
}

impl PreviousHandshake {
    /// The context a renegotiation after `est` needs, or `None` when the
    /// peer never signalled RFC 5746: we never renegotiate insecurely
    /// (RFC 5746 §4.2, §4.4).
    pub fn after(est: &Established, side: Side) -> Option<Self> {
        est.negotiated.secure_renegotiation.then(|| Self {
            client_verify_data: est.client_verify_data,
            server_verify_data: est.server_verify_data,
            server_certificates: match side {
                Side::Client => est.negotiated.peer_certificates.clone(),
                Side::Server => CertificateChain::default(),
            },
            extended_master_secret: est.negotiated.extended_master_secret,
        })
    }

    /// A renegotiation keeps the extended master secret as it was. RFC
    /// 7627 only says so of a resumption (§5.3: the peer "MUST abort the
    /// handshake" whichever way it changes), where §5.4 finds such a
    /// change "likely to be the result of transient or inadvertent
    /// misconfigurations"; within one connection, with the same peer, a
    /// change is stranger still, and a drop would leave the new session
    /// open to the attack of RFC 7627 §1. BoringSSL refuses it too.
    pub fn check_extended_master_secret(&self, now: bool) -> Result<(), Error> {
        if now == self.extended_master_secret {
            return Ok(());
        }
        Err(Error::IllegalParameter(
            "renegotiation changed the extended master secret",
        ))
    }

    /// `renegotiated_connection` as the server sends it (RFC 5746 §3.2):
    /// client_verify_data ‖ server_verify_data.
    pub fn both_verify_data(&self) -> Vec<u8> {
        [self.client_verify_data, self.server_verify_data].concat()
    }
}

/// Fills `buf` with fresh random bytes.
pub(crate) fn random_bytes(rng: &ring::rand::SystemRandom, buf: &mut [u8]) -> Result<(), Error> {
    use ring::rand::SecureRandom;
    rng.fill(buf)
        .map_err(|_| Error::Internal("system random source failed"))
}

/// A fresh `Random` (§7.4.1.2).
pub(crate) fn new_random(rng: &ring::rand::SystemRandom) -> Result<Random, Error> {
    let mut r = Random::default();
    random_bytes(rng, &mut r.0)?;
    Ok(r)
}
