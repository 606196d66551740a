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
    /// The handshake is complete; application data may flow. The
    /// connection keeps both: the session in force with its own values,
    /// and the binding the next handshake on it will need.
    Complete {
        /// The session now in force, and this connection's values.
        established: Box<Established>,
        /// RFC 5746 §3.1's state after this handshake.
        renegotiation_binding: RenegotiationBinding,
    },
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
    // Only `check` makes one; the verify_data itself is kept in the
    // connection's `RenegotiationBinding`, for RFC 5746.
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

/// RFC 5746 §3.1, "Additional Connection State": "Both client and server
/// need to store three additional values for each TLS connection state
/// ... Note that these values are specific to connection (not a TLS
/// session cache entry)." A resumed session says nothing about them.
///
/// A connection keeps the one of its last completed handshake; a
/// renegotiation sends it in `renegotiation_info` (§3.2), binding the new
/// handshake to this connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenegotiationBinding {
    /// "a "secure_renegotiation" flag, indicating whether secure
    /// renegotiation is in use for this connection": both sides signalled
    /// RFC 5746. Without it we never renegotiate (§4.2, §4.4).
    pub secure_renegotiation: bool,
    /// ""client_verify_data": the verify_data from the Finished message
    /// sent by the client on the immediately previous handshake."
    pub client_verify_data: [u8; VERIFY_DATA_LEN],
    /// ""server_verify_data": the verify_data from the Finished message
    /// sent by the server on the immediately previous handshake."
    pub server_verify_data: [u8; VERIFY_DATA_LEN],
}

impl RenegotiationBinding {
    /// `renegotiated_connection` as the server sends it (§3.2):
    /// client_verify_data ‖ server_verify_data.
    pub fn both_verify_data(&self) -> Vec<u8> {
        [self.client_verify_data, self.server_verify_data].concat()
    }
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

/// What a renegotiation needs from the connection it runs on: the
/// binding of its last handshake (RFC 5746 §3.1, connection state), and
/// the session that handshake put in force (whose server chain a client
/// holds the new one to, and whose extended master secret a renegotiation
/// keeps).
#[derive(Clone, Debug)]
pub struct PreviousHandshake {
    /// The connection's RFC 5746 binding; its `secure_renegotiation` is set.
    pub binding: RenegotiationBinding,
    /// The session in force on the connection.
    pub session: Arc<Session>,
}

impl PreviousHandshake {
    /// The context a renegotiation needs on a connection whose last
    /// handshake left `binding` and `session`, or `None` when the peer
    /// never signalled RFC 5746: we never renegotiate insecurely (RFC 5746
    /// §4.2, §4.4).
    pub fn new(binding: &RenegotiationBinding, session: &Arc<Session>) -> Option<Self> {
        binding.secure_renegotiation.then(|| Self {
            binding: binding.clone(),
            session: session.clone(),
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
        if now == self.session.extended_master_secret {
            return Ok(());
        }
        Err(Error::IllegalParameter(
            "renegotiation changed the extended master secret",
        ))
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
