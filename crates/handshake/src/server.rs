//! The server's handshake state machine (RFC 5246 §7.3, Figure 1).
//!
//! ```text
//!   Client                                               Server
//!
//!   ClientHello                  -------->
//!                                                   ServerHello
//!                                                   Certificate
//!                                             ServerKeyExchange
//!                                           CertificateRequest*
//!                                <--------      ServerHelloDone
//!   Certificate*
//!   ClientKeyExchange
//!   CertificateVerify*
//!   [ChangeCipherSpec]
//!   Finished                     -------->
//!                                            [ChangeCipherSpec]
//!                                <--------             Finished
//! ```
//!
//! Each [`ServerState`] variant is named for what it expects next. A message
//! that does not fit falls to the one arm that answers `unexpected_message`;
//! after any error the machine stays in `Failed`.

use std::sync::Arc;

use record_layer::prf::{FinishedLabel, Prf};
use record_layer::record::ProtocolVersion;
use record_layer::secret::constant_time_eq;
use record_layer::suites::CipherSuite;
use ring::rand::SystemRandom;
use session_store::{CertificateChain, Session, SessionId, StoreError};

use crate::actions::{emit_change_cipher_spec_and_finished, send, Action};
use crate::chain_check::ChainPolicy;
use crate::config::{CertifiedKey, ClientAuth, ServerConfig};
use crate::error::Error;
use crate::established::Negotiated;
use crate::extensions::{ClientExtensions, ServerExtensions, EC_POINT_FORMAT_UNCOMPRESSED};
use crate::key_schedule::{
    compute_master_secret, keyed_prf, set_pending_keys, verify_data, SessionSecret, Side,
};
use crate::kx::{EphemeralKey, NamedGroup};
use crate::messages::{
    client_certificate_type, Certificate, CertificateRequest, ClientHello, ClientKeyExchange,
    DigitallySigned, Finished, HandshakeMessage, HandshakePayload, HandshakeType, NewSessionTicket,
    ServerHello, ServerKeyExchange, COMPRESSION_NULL, TLS_EMPTY_RENEGOTIATION_INFO_SCSV,
};
use crate::observe::{notify, Observer, ResumptionRefusal, TraceEvent};
use crate::proofs::{FinishedVerified, PeerAuthenticated};
use crate::random::{new_random, random_bytes};
use crate::secure_renegotiation::{PreviousHandshake, RenegotiationBinding};
use crate::sign::{self, SignatureScheme};
use crate::transcript::Transcript;
use crate::x509;

/// Where the server is in the handshake: each variant names what it expects next.
///
/// The abbreviated handshake (§7.3, Figure 2) goes from `ExpectClientHello`
/// straight to `ExpectChangeCipherSpec`, our ServerHello, [NewSessionTicket],
/// ChangeCipherSpec and Finished having been sent.
#[derive(Debug)]
pub enum ServerState {
    /// Waiting for the ClientHello (§7.4.1.2).
    ExpectClientHello,
    /// We asked for a client certificate (§7.4.6).
    ExpectCertificate(Box<KeyShareSent>),
    /// Our flight is sent (§7.4.7).
    ExpectClientKeyExchange(Box<KeyShareSent>),
    /// The client sent a certificate; it must prove its key (§7.4.8).
    ExpectCertificateVerify(Box<KeysComputed>),
    /// Keys are computed; the client's ChangeCipherSpec comes next (§7.1).
    ExpectChangeCipherSpec(Box<KeysComputed>),
    /// The client's ChangeCipherSpec arrived (§7.4.9).
    ExpectFinished(Box<KeysComputed>),
    /// The handshake is complete.
    Traffic,
    /// An error ended the handshake.
    Failed,
}

/// Our ECDHE key, waiting for the client's.
#[derive(Debug)]
pub struct KeyShareSent {
    negotiated: Negotiated,
    key: EphemeralKey,
    /// The schemes we offered in CertificateRequest, when we sent one.
    requested: Option<Vec<SignatureScheme>>,
    peer: PeerAuthenticated,
}

/// The master secret is known.
#[derive(Debug)]
pub struct KeysComputed {
    negotiated: Negotiated,
    secret: SessionSecret,
    /// The PRF keyed with the master secret.
    prf: Prf,
    requested: Option<Vec<SignatureScheme>>,
    /// Our Finished, once sent: first in an abbreviated handshake (§7.3
    /// Figure 2), last in a full one.
    server_verify_data: Option<[u8; 12]>,
    peer: PeerAuthenticated,
}

/// The server side of one handshake.
pub struct ServerHandshake {
    config: Arc<ServerConfig>,
    state: ServerState,
    transcript: Transcript,
    rng: SystemRandom,
    /// Set when this handshake renegotiates an established connection.
    previous: Option<PreviousHandshake>,
    /// Who hears this handshake's refusals: the config's observer, or the
    /// connection's ([`ServerHandshake::with_observer`]).
    observer: Option<Arc<dyn Observer>>,
}

impl core::fmt::Debug for ServerHandshake {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServerHandshake")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl ServerHandshake {
    /// A handshake that will answer a ClientHello with `config`.
    pub fn new(config: Arc<ServerConfig>) -> Self {
        Self {
            observer: config.observer.clone(),
            config,
            state: ServerState::ExpectClientHello,
            transcript: Transcript::default(),
            rng: SystemRandom::new(),
            previous: None,
        }
    }

    /// The same handshake, telling `observer` (a connection's own, see
    /// [`Observer::connection_observer`]) what it refuses.
    pub fn with_observer(mut self, observer: Option<Arc<dyn Observer>>) -> Self {
        self.observer = observer;
        self
    }

    /// A renegotiation of a connection whose last handshake left `previous`
    /// (RFC 5746 §3.7), waiting for the client's new ClientHello. `config`
    /// may differ from the first handshake's, e.g. to ask for a client
    /// certificate only now.
    pub fn renegotiation(config: Arc<ServerConfig>, previous: PreviousHandshake) -> Self {
        Self {
            previous: Some(previous),
            ..Self::new(config)
        }
    }

    /// The current state.
    pub fn state(&self) -> &ServerState {
        &self.state
    }

    /// True once the handshake has completed.
    pub fn is_complete(&self) -> bool {
        matches!(self.state, ServerState::Traffic)
    }

    /// The messages the server takes in its current state (§7.3 Figures 1
    /// and 2, the rows of [`crate::sequences::LEGAL_SEQUENCES`]).
    fn expected(&self) -> &'static [HandshakeType] {
        match self.state {
            ServerState::ExpectClientHello => &[HandshakeType::ClientHello],
            ServerState::ExpectCertificate(_) => &[HandshakeType::Certificate],
            ServerState::ExpectClientKeyExchange(_) => &[HandshakeType::ClientKeyExchange],
            ServerState::ExpectCertificateVerify(_) => &[HandshakeType::CertificateVerify],
            ServerState::ExpectFinished(_) => &[HandshakeType::Finished],
            ServerState::ExpectChangeCipherSpec(_) | ServerState::Traffic | ServerState::Failed => {
                &[]
            }
        }
    }

    /// Decides on a message's type alone, before its body is decoded: the
    /// connection asks on the four header bytes, so that a message out of
    /// place is `unexpected_message` whatever its body (§7.4: "sending
    /// handshake messages in an unexpected order results in a fatal
    /// error"). A refusal ends the machine.
    pub fn check_message_type(&mut self, t: HandshakeType) -> Result<(), Error> {
        if self.expected().contains(&t) {
            return Ok(());
        }
        // Where only ChangeCipherSpec may come, a handshake record is out
        // of place whatever message it starts.
        let error = match self.state {
            ServerState::ExpectChangeCipherSpec(_) => {
                Error::unexpected_record("handshake message where ChangeCipherSpec is due")
            }
            _ => Error::unexpected(t.name()),
        };
        self.state = ServerState::Failed;
        Err(error)
    }

    /// Feeds one handshake message from the client.
    pub fn handle_message(&mut self, msg: HandshakeMessage) -> Result<Vec<Action>, Error> {
        self.check_message_type(msg.handshake_type())?;
        let state = core::mem::replace(&mut self.state, ServerState::Failed);
        let HandshakeMessage { payload, raw } = msg;
        // The client's Finished and CertificateVerify are checked against the
        // transcript before them, and added once checked.
        if !matches!(
            payload,
            HandshakePayload::Finished(_) | HandshakePayload::CertificateVerify(_)
        ) {
            self.transcript.add_raw(&raw);
        }
        let mut actions = Vec::new();
        self.state = match (state, payload) {
            (ServerState::ExpectClientHello, HandshakePayload::ClientHello(hello)) => {
                self.client_hello(*hello, &mut actions)?
            }
            (ServerState::ExpectCertificate(mut sent), HandshakePayload::Certificate(cert)) => {
                self.client_certificate(&mut sent, cert)?;
                ServerState::ExpectClientKeyExchange(sent)
            }
            (
                ServerState::ExpectClientKeyExchange(sent),
                HandshakePayload::ClientKeyExchange(cke),
            ) => {
                let keys = self.client_key_exchange(*sent, cke, &mut actions)?;
                if keys.negotiated.peer_certificates.is_empty() {
                    ServerState::ExpectChangeCipherSpec(keys)
                } else {
                    ServerState::ExpectCertificateVerify(keys)
                }
            }
            (
                ServerState::ExpectCertificateVerify(mut keys),
                HandshakePayload::CertificateVerify(cv),
            ) => {
                self.certificate_verify(&mut keys, &cv)?;
                self.transcript.add_raw(&raw);
                ServerState::ExpectChangeCipherSpec(keys)
            }
            (ServerState::ExpectFinished(keys), HandshakePayload::Finished(fin)) => {
                let complete = self.client_finished(*keys, fin, &raw, &mut actions)?;
                actions.push(complete);
                ServerState::Traffic
            }
            (_, payload) => return Err(Error::unexpected(payload.handshake_type().name())),
        };
        Ok(actions)
    }

    /// Accepts the client's ChangeCipherSpec (§7.1) only once the keys are
    /// computed and any CertificateVerify has been checked; anywhere else it
    /// is `unexpected_message` (CVE-2014-0224).
    pub fn handle_change_cipher_spec(&mut self) -> Result<(), Error> {
        match core::mem::replace(&mut self.state, ServerState::Failed) {
            ServerState::ExpectChangeCipherSpec(keys) => {
                self.state = ServerState::ExpectFinished(keys);
                Ok(())
            }
            _ => Err(Error::unexpected_record("ChangeCipherSpec out of order")),
        }
    }

    /// ClientHello (§7.4.1.2): resume the session it offers if we may,
    /// otherwise start a full handshake.
    fn client_hello(
        &mut self,
        hello: ClientHello,
        actions: &mut Vec<Action>,
    ) -> Result<ServerState, Error> {
        // §E.1: a client that offers less than TLS 1.2 gets protocol_version.
        if hello.client_version < ProtocolVersion::TLS1_2 {
            return Err(Error::UnsupportedVersion(hello.client_version.0));
        }
        // §7.4.1.2: "this vector MUST contain, and all implementations MUST
        // support, CompressionMethod.null".
        if !hello.compression_methods.contains(&COMPRESSION_NULL) {
            return Err(Error::IllegalParameter(
                "ClientHello without null compression",
            ));
        }
        self.check_server_name(&hello.extensions)?;
        check_point_formats(&hello.extensions)?;
        let secure_renegotiation = self.check_renegotiation_info(&hello)?;
        if let Some(prev) = &self.previous {
            prev.check_extended_master_secret(hello.extensions.extended_master_secret)?;
        }
        self.check_offer_has_ems(&hello)?;
        let alpn = self.choose_alpn(&hello.extensions)?;
        match self.resumable_session(&hello) {
            Some(session) => self.resume(hello, session, alpn, secure_renegotiation, actions),
            None => self.full_handshake(hello, alpn, secure_renegotiation, actions),
        }
    }

    /// RFC 6066 §3: "If the server understood the ClientHello extension but
    /// does not recognize the server name, the server SHOULD take one of
    /// two actions: either abort the handshake by sending a fatal-level
    /// unrecognized_name(112) alert or continue the handshake. It is NOT
    /// RECOMMENDED to send a warning-level unrecognized_name(112) alert,
    /// because the client's behavior in response to warning-level alerts is
    /// unpredictable." We abort, fatal: a client that reached the wrong
    /// server learns it at once, not from a certificate for another name.
    fn check_server_name(&self, ext: &ClientExtensions) -> Result<(), Error> {
        let served = &self.config.server_names;
        match &ext.server_name {
            Some(name) if !served.is_empty() => {
                if served.iter().any(|p| x509::dns_name_matches(p, name)) {
                    Ok(())
                } else {
                    Err(Error::UnrecognizedName(name.clone()))
                }
            }
            _ => Ok(()),
        }
    }

    /// The client's renegotiation_info or SCSV (RFC 5746); returns whether
    /// the connection has secure renegotiation.
    fn check_renegotiation_info(&self, hello: &ClientHello) -> Result<bool, Error> {
        let scsv = hello
            .cipher_suites
            .contains(&TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
        let info = hello.extensions.renegotiation_info.as_deref();
        match &self.previous {
            // §3.6: the client signals support with the SCSV or an empty
            // extension. "If the extension is present and the
            // renegotiated_connection field is not empty, the server MUST
            // abort the handshake."
            None => match info {
                Some([]) => Ok(true),
                Some(_) => Err(Error::SecureRenegotiation(
                    "initial ClientHello has a non-empty renegotiation_info",
                )),
                None => Ok(scsv),
            },
            // §3.7: "the server MUST verify that it does not contain the
            // TLS_EMPTY_RENEGOTIATION_INFO_SCSV SCSV", that the extension
            // "is present", and that it "is equal to the saved
            // client_verify_data value".
            Some(prev) => {
                if scsv {
                    return Err(Error::SecureRenegotiation(
                        "renegotiation ClientHello carries the SCSV",
                    ));
                }
                match info {
                    Some(ri) if constant_time_eq(ri, &prev.binding.client_verify_data) => Ok(true),
                    Some(_) => Err(Error::SecureRenegotiation(
                        "renegotiation_info does not match this connection's client Finished",
                    )),
                    None => Err(Error::SecureRenegotiation(
                        "renegotiation ClientHello without renegotiation_info",
                    )),
                }
            }
        }
    }

    /// The session the client offers, by ticket (RFC 5077 §3.4) or by id
    /// (§7.4.1.2), if we may resume it: known and resumable, not expired,
    /// for a suite the client still offers and we still accept, for the
    /// same server name (RFC 6066 §3), with a client certificate if we
    /// require one, and with the extended master secret
    /// on both the old and the new handshake (RFC 7627 §5.3). Anything else
    /// means a full handshake, not an error.
    fn resumable_session(&self, hello: &ClientHello) -> Option<Arc<Session>> {
        let ext = &hello.extensions;
        let session = self.offered_session(hello)?;
        let suite = session.cipher_suite;
        let ok = session.is_resumable()
            && self.still_alive(&session)
            && session.extended_master_secret
            && ext.extended_master_secret
            && hello.cipher_suites.contains(&suite.value())
            && self.config.cipher_suites.contains(&suite)
            && session.server_name == ext.server_name
            && self.client_auth_still_holds(&session);
        ok.then_some(session)
    }

    /// RFC 5246 §F.1.4: "An upper limit of 24 hours is suggested for
    /// session ID lifetimes"; each session carries its own, by our clock.
    /// A session past it is not resumed: the refusal is traced and the
    /// session taken out of the store (a ticket cannot be taken back, but
    /// it is as useless).
    fn still_alive(&self, session: &Session) -> bool {
        if !session.is_expired((self.config.clock)()) {
            return true;
        }
        let reason = &ResumptionRefusal::Expired {
            created_at: session.created_at,
            lifetime: session.lifetime,
        };
        notify(&self.observer, TraceEvent::ResumptionRefused { reason });
        if let (Some(store), false) = (&self.config.session_store, session.session_id.is_empty()) {
            // A store that fails here only keeps an expired entry.
            let _ = store.remove(&session.session_id);
        }
        false
    }

    /// The session the client offers, by ticket (RFC 5077 §3.4) or by id
    /// (§7.4.1.2), if we know it.
    ///
    /// A ticket we cannot open (a key we no longer hold, another server's,
    /// a forgery) means a full handshake, RFC 5077 §3.1: "If the server
    /// cannot or does not want to honor the ticket, then it can initiate a
    /// full handshake with the client." The session id beside a ticket is
    /// not looked up, §3.4: "If a ticket is presented by the client, the
    /// server MUST NOT attempt to use the Session ID in the ClientHello for
    /// stateful session resumption." (A server without ticket keys does
    /// not speak RFC 5077, and resumes by id as any server would.)
    fn offered_session(&self, hello: &ClientHello) -> Option<Arc<Session>> {
        match (&hello.extensions.session_ticket, &self.config.ticket_keys) {
            (Some(ticket), Some(keys)) if !ticket.is_empty() => keys.open(ticket).map(Arc::new),
            _ if !hello.session_id.is_empty() => {
                let store = self.config.session_store.as_ref()?;
                store.get(&hello.session_id).ok().flatten()
            }
            _ => None,
        }
    }

    /// RFC 7627 §5.3: "If the original session used the
    /// "extended_master_secret" extension but the new ClientHello does not
    /// contain it, the server MUST abort the abbreviated handshake": a
    /// client offering such a session without the extension is refused (a
    /// man in the middle stripping it is the triple handshake's first
    /// step). Only then is the store asked, so a normal hello costs nothing
    /// more. When neither used it the RFC says the server "SHOULD abort";
    /// we make a full handshake instead (we never resume such a session),
    /// so that a legacy client holding one can still connect.
    fn check_offer_has_ems(&self, hello: &ClientHello) -> Result<(), Error> {
        if hello.extensions.extended_master_secret {
            return Ok(());
        }
        match self.offered_session(hello) {
            Some(session) if session.extended_master_secret => {
                Err(Error::ExtendedMasterSecretRequired)
            }
            _ => Ok(()),
        }
    }

    /// Does the client authentication a session carries satisfy this
    /// config *now*? A session remembers the client chain of the full
    /// handshake that made it, not the policy that accepted it: a config
    /// that asks for client certificates checks that chain again, against
    /// its own anchors and clock, so that a session made under other
    /// anchors or a laxer policy (an initial handshake before a step-up
    /// renegotiation with [`ClientAuth::Required`]) cannot stand in for a
    /// certificate this config would refuse (the session's record of its
    /// check answers without checking again when this config checks alike,
    /// `chain_check.rs`). A session without a certificate never satisfies a
    /// config that requires one. A refusal is traced, and means a full
    /// handshake.
    fn client_auth_still_holds(&self, session: &Session) -> bool {
        let chain = &session.peer_certificates;
        let refusal = match (&self.config.client_auth, chain.is_empty()) {
            (ClientAuth::None, _) | (ClientAuth::Optional(_), true) => return true,
            (ClientAuth::Required(_), true) => ResumptionRefusal::NoClientCertificate,
            (ClientAuth::Optional(anchors) | ClientAuth::Required(anchors), false) => {
                let policy = self.client_chain_policy(anchors);
                match policy.still_holds(session, (self.config.clock)()) {
                    Ok(()) => return true,
                    Err(e) => ResumptionRefusal::ClientChainNotTrusted(e),
                }
            }
        };
        let reason = &refusal;
        notify(&self.observer, TraceEvent::ResumptionRefused { reason });
        false
    }

    /// Will we send NewSessionTicket? Only to a client that sent the
    /// extension (RFC 5077 §3.2), and only if we have ticket keys.
    fn will_send_ticket(&self, ext: &ClientExtensions) -> bool {
        ext.session_ticket.is_some() && self.config.ticket_keys.is_some()
    }

    /// The abbreviated handshake (§7.3, Figure 2): ServerHello echoing the
    /// client's session id, [NewSessionTicket], ChangeCipherSpec, Finished.
    ///
    /// The id echoed is the session's for a resumption by id (§7.4.1.3);
    /// for one by ticket, RFC 5077 §3.4: "If the server accepts the ticket
    /// and the Session ID is not empty, then it MUST respond with the same
    /// Session ID present in the ClientHello", an id the client made up
    /// ("Since the client generates a Session ID, the server MUST NOT rely
    /// upon the Session ID having a particular value when validating the
    /// ticket"). It is the connection's `server_hello_session_id`, not the
    /// session's id.
    fn resume(
        &mut self,
        hello: ClientHello,
        session: Arc<Session>,
        alpn: Option<Vec<u8>>,
        secure_renegotiation: bool,
        actions: &mut Vec<Action>,
    ) -> Result<ServerState, Error> {
        let ext = &hello.extensions;
        self.transcript.start_hash(session.cipher_suite);
        let neg = Negotiated {
            client_random: hello.random,
            server_random: new_random(&self.rng)?,
            // Echoed byte for byte and length for length (Ticketbleed sent
            // back 32 bytes whatever the client's length was).
            server_hello_session_id: hello.session_id,
            cipher_suite: session.cipher_suite,
            group: None,
            peer_signature_scheme: None,
            server_name: session.server_name.clone(),
            alpn,
            extended_master_secret: true,
            secure_renegotiation,
            // The session has them; this handshake receives none.
            peer_certificates: CertificateChain::default(),
            peer_chain_check: None,
            session_ticket: self.will_send_ticket(ext),
            local_certificate: None,
        };
        let peer = self.inherit_client();
        self.emit_server_hello(&neg, ext, false, actions);
        if neg.session_ticket {
            // A fresh ticket, sealed over the same session, RFC 5077 §3.3:
            // the server "MAY renew the ticket by including a
            // NewSessionTicket handshake message after the ServerHello in
            // the abbreviated handshake".
            self.emit_new_session_ticket(&session, actions)?;
        }
        let prf = keyed_prf(&neg, session.master_secret());
        set_pending_keys(actions, &neg, &prf, Side::Server)?;
        let server_verify_data = emit_change_cipher_spec_and_finished(
            &mut self.transcript,
            actions,
            &neg,
            &prf,
            Side::Server,
        );
        Ok(ServerState::ExpectChangeCipherSpec(Box::new(
            KeysComputed {
                negotiated: neg,
                secret: SessionSecret::Resumed(session),
                prf,
                requested: None,
                server_verify_data: Some(server_verify_data),
                peer,
            },
        )))
    }

    /// Who the client of a resumed session is to this connection. A
    /// config that asks for client certificates has just checked the
    /// session's chain against its own policy (`client_auth_still_holds`),
    /// and inherits it. One that asks for none (§7.4.4: no
    /// CertificateRequest) verified nothing: the chain was accepted under
    /// another config, perhaps another server's sharing the store or ticket
    /// keys, so the connection reports an anonymous client (no peer
    /// certificates, [`Established::peer_certificates`](crate::Established::peer_certificates)),
    /// as its own full handshake would have. The session keeps the chain,
    /// for a config that asks.
    fn inherit_client(&self) -> PeerAuthenticated {
        match self.config.client_auth {
            ClientAuth::None => PeerAuthenticated::anonymous_client(),
            ClientAuth::Optional(_) | ClientAuth::Required(_) => PeerAuthenticated::inherited(),
        }
    }

    /// The full handshake (§7.3, Figure 1): the server's first flight, one
    /// message per function in the figure's order, then the client's
    /// answer is awaited.
    fn full_handshake(
        &mut self,
        hello: ClientHello,
        alpn: Option<Vec<u8>>,
        secure_renegotiation: bool,
        actions: &mut Vec<Action>,
    ) -> Result<ServerState, Error> {
        let ext = &hello.extensions;
        let (cipher_suite, certified, scheme) = self.choose_suite(&hello)?;
        self.transcript.start_hash(cipher_suite);
        let group = self.choose_group(ext)?;
        let neg = Negotiated {
            client_random: hello.random,
            server_random: new_random(&self.rng)?,
            server_hello_session_id: self.new_session_id()?,
            cipher_suite,
            group: Some(group),
            peer_signature_scheme: None,
            server_name: ext.server_name.clone(),
            alpn,
            extended_master_secret: ext.extended_master_secret,
            secure_renegotiation,
            peer_certificates: CertificateChain::default(),
            peer_chain_check: None,
            session_ticket: self.will_send_ticket(ext),
            local_certificate: Some(certified.clone()),
        };
        self.emit_server_hello(&neg, ext, ext.server_name.is_some(), actions);
        self.emit_certificate(&certified, actions);
        let key = self.emit_server_key_exchange(&neg, group, &certified, scheme, actions)?;
        let requested = self.emit_certificate_request(actions);
        self.emit_server_hello_done(actions);
        let sent = Box::new(KeyShareSent {
            negotiated: neg,
            key,
            requested,
            peer: PeerAuthenticated::anonymous_client(),
        });
        Ok(if sent.requested.is_some() {
            ServerState::ExpectCertificate(sent)
        } else {
            ServerState::ExpectClientKeyExchange(sent)
        })
    }

    /// Certificate (§7.4.2): our chain as configured, leaf first: the
    /// certificate whose key signs ServerKeyExchange.
    fn emit_certificate(&mut self, certified: &CertifiedKey, actions: &mut Vec<Action>) {
        let certificate_list = certified.chain.clone();
        let certificate = Certificate { certificate_list };
        send(
            &mut self.transcript,
            actions,
            HandshakePayload::Certificate(certificate),
        );
    }

    /// ServerKeyExchange (§7.4.3, RFC 8422 §5.4): a fresh ECDHE key on
    /// `group`, its `ServerECDHParams` signed with our certificate's key
    /// over "ClientHello.random + ServerHello.random +
    /// ServerKeyExchange.params". Returns the key, for the client's share.
    fn emit_server_key_exchange(
        &mut self,
        neg: &Negotiated,
        group: NamedGroup,
        certified: &CertifiedKey,
        scheme: SignatureScheme,
        actions: &mut Vec<Action>,
    ) -> Result<EphemeralKey, Error> {
        let key = EphemeralKey::generate(group, &self.rng)?;
        let mut ske = ServerKeyExchange {
            named_group: group,
            public: key.public_key().to_vec(),
            signed_params: DigitallySigned {
                algorithm: scheme,
                signature: Vec::new(),
            },
        };
        let message = ServerKeyExchange::signed_message(
            &neg.client_random,
            &neg.server_random,
            &ske.params_bytes(),
        );
        ske.signed_params.signature = certified.key.sign(scheme, &message)?;
        send(
            &mut self.transcript,
            actions,
            HandshakePayload::ServerKeyExchange(ske),
        );
        Ok(key)
    }

    /// CertificateRequest (§7.4.4), when this config asks for a client
    /// certificate: the two certificate types we verify and our signature
    /// schemes, naming no authorities. Returns the schemes offered, which
    /// the client's CertificateVerify must use (§7.4.8); `None` when we
    /// ask for nothing.
    fn emit_certificate_request(
        &mut self,
        actions: &mut Vec<Action>,
    ) -> Option<Vec<SignatureScheme>> {
        match &self.config.client_auth {
            ClientAuth::None => return None,
            ClientAuth::Optional(_) | ClientAuth::Required(_) => {}
        }
        let schemes = self.config.signature_schemes.clone();
        let request = CertificateRequest {
            certificate_types: vec![
                client_certificate_type::ECDSA_SIGN,
                client_certificate_type::RSA_SIGN,
            ],
            supported_signature_algorithms: schemes.clone(),
            certificate_authorities: Vec::new(),
        };
        send(
            &mut self.transcript,
            actions,
            HandshakePayload::CertificateRequest(request),
        );
        Some(schemes)
    }

    /// ServerHelloDone (§7.4.5): "The ServerHelloDone message is sent by the
    /// server to indicate the end of the ServerHello and associated
    /// messages."
    fn emit_server_hello_done(&mut self, actions: &mut Vec<Action>) {
        send(
            &mut self.transcript,
            actions,
            HandshakePayload::ServerHelloDone,
        );
    }

    /// A new session's id: random when we keep sessions in a store, empty
    /// ("this session will not be cached", §7.4.1.3) when we do not.
    fn new_session_id(&self) -> Result<SessionId, Error> {
        if self.config.session_store.is_none() {
            return Ok(SessionId::EMPTY);
        }
        let mut id = [0u8; 32];
        random_bytes(&self.rng, &mut id)?;
        SessionId::new(&id).ok_or(Error::Internal("session id"))
    }

    /// ServerHello (§7.4.1.3): our choices, and the extensions that answer
    /// the client's.
    fn emit_server_hello(
        &mut self,
        neg: &Negotiated,
        ext: &ClientExtensions,
        server_name_ack: bool,
        actions: &mut Vec<Action>,
    ) {
        let hello = ServerHello {
            server_version: ProtocolVersion::TLS1_2,
            random: neg.server_random,
            session_id: neg.server_hello_session_id,
            cipher_suite: neg.cipher_suite.value(),
            compression_method: COMPRESSION_NULL,
            extensions: ServerExtensions {
                // RFC 6066 §3: "When resuming a session, the server MUST NOT
                // include a server_name extension in the server hello."
                server_name_ack,
                ec_point_formats: ext
                    .ec_point_formats
                    .as_ref()
                    .map(|_| vec![EC_POINT_FORMAT_UNCOMPRESSED]),
                alpn: neg.alpn.clone(),
                extended_master_secret: neg.extended_master_secret,
                session_ticket_ack: neg.session_ticket,
                // RFC 5746 §3.6: empty on an initial handshake; §3.7: "the
                // saved client_verify_data and server_verify_data" on a
                // renegotiation.
                renegotiation_info: neg.secure_renegotiation.then(|| {
                    self.previous
                        .as_ref()
                        .map(|prev| prev.binding.both_verify_data())
                        .unwrap_or_default()
                }),
                unknown: Vec::new(),
            },
        };
        send(
            &mut self.transcript,
            actions,
            HandshakePayload::ServerHello(Box::new(hello)),
        );
    }

    /// NewSessionTicket (RFC 5077 §3.3): `session` sealed under our
    /// current ticket key, or no ticket if it is too large to seal (a
    /// client chain near NewSessionTicket's 64 KiB): the session is still
    /// kept by its id. §3.3: "If the server determines that it does not
    /// want to include a ticket after it has included the SessionTicket
    /// extension in the ServerHello, then it sends a zero-length ticket in
    /// the NewSessionTicket handshake message."
    fn emit_new_session_ticket(
        &mut self,
        session: &Session,
        actions: &mut Vec<Action>,
    ) -> Result<(), Error> {
        let keys = self
            .config
            .ticket_keys
            .as_ref()
            .ok_or(Error::Internal("no ticket keys"))?;
        // RFC 5077 §3.3: the hint is "the lifetime of the ticket in
        // seconds"; ours never outlives the session sealed in it, nor the
        // key that seals it.
        let left = (session.created_at + session.lifetime).saturating_sub((self.config.clock)());
        let hint = keys
            .lifetime_hint()
            .min(u32::try_from(left).unwrap_or(u32::MAX));
        let (ticket, ticket_lifetime_hint) = match keys.seal(session) {
            Ok(ticket) => (ticket, hint),
            // A hint of 0: "the lifetime of the ticket is unspecified".
            Err(StoreError::TicketTooLarge { .. }) => (Vec::new(), 0),
            Err(_) => return Err(Error::Internal("sealing a session ticket failed")),
        };
        send(
            &mut self.transcript,
            actions,
            HandshakePayload::NewSessionTicket(NewSessionTicket {
                ticket_lifetime_hint,
                ticket,
            }),
        );
        Ok(())
    }

    /// The certificate to present, the suite and the signature scheme: the
    /// first of our certificates, in our order of preference, that the
    /// client can use, with the first suite of its key type, in the
    /// preferred order, that both sides support (§7.4.2: "The end entity
    /// certificate's public key ... MUST be compatible with the selected
    /// key exchange algorithm"), a scheme the client offered (§7.4.1.4.1)
    /// and, for ECDSA, a curve it supports (RFC 8422 §5.1).
    fn choose_suite(
        &self,
        hello: &ClientHello,
    ) -> Result<(CipherSuite, Arc<CertifiedKey>, SignatureScheme), Error> {
        let common = self.common_suites(hello);
        if common.is_empty() {
            return Err(Error::NoCommonCipherSuite);
        }
        // §7.4.1.4.1: without signature_algorithms the client supports only
        // SHA-1 signatures, which we never make.
        let offered = hello
            .extensions
            .signature_algorithms
            .as_deref()
            .unwrap_or(&[]);
        let mut curve_not_offered = None;
        for certified in &self.config.certificates {
            let kind = certified.key.kind();
            let Some(suite) = common.iter().find(|s| s.signature_kind() == kind) else {
                continue;
            };
            if !certified.fits_authorities(&[]) {
                continue; // a ClientHello names no authorities
            }
            let Some(scheme) = certified.key.choose_scheme(offered) else {
                continue;
            };
            match ecdsa_curve_not_offered(scheme, &hello.extensions) {
                None => return Ok((*suite, certified.clone(), scheme)),
                Some(curve) => curve_not_offered = Some(curve),
            }
        }
        Err(match curve_not_offered {
            Some(curve) => Error::CertificateCurveNotOffered(curve),
            None => Error::NoCommonSignatureScheme,
        })
    }

    /// The suites both sides support, in the preferred order: ours, or the
    /// client's when the config prefers it (§7.4.1.2: the client's list is
    /// "in order of the client's preference"). The others are dropped,
    /// §7.4.1.2: "If the list contains cipher suites the server does not
    /// recognize, support, or wish to use, the server MUST ignore those
    /// cipher suites, and process the remaining ones as usual."
    fn common_suites(&self, hello: &ClientHello) -> Vec<CipherSuite> {
        let ours = &self.config.cipher_suites;
        let theirs: Vec<CipherSuite> = hello
            .cipher_suites
            .iter()
            .filter_map(|v| CipherSuite::from_value(*v))
            .collect();
        let (first, second) = if self.config.prefer_client_order {
            (&theirs, ours)
        } else {
            (ours, &theirs)
        };
        first
            .iter()
            .copied()
            .filter(|s| second.contains(s))
            .collect()
    }

    /// RFC 8422 §5.1.1: the group must be one the client listed. A client
    /// that lists none is taken to support secp256r1, the group every ECC
    /// implementation has.
    fn choose_group(&self, ext: &ClientExtensions) -> Result<NamedGroup, Error> {
        let theirs = ext
            .supported_groups
            .as_deref()
            .unwrap_or(&[NamedGroup::Secp256r1]);
        self.config
            .groups
            .iter()
            .copied()
            .find(|g| theirs.contains(g))
            .ok_or(Error::NoCommonGroup)
    }

    /// RFC 7301 §3.2: the server picks one of the client's protocols, or
    /// answers `no_application_protocol` when it supports none of them.
    fn choose_alpn(&self, ext: &ClientExtensions) -> Result<Option<Vec<u8>>, Error> {
        match (&ext.alpn, self.config.alpn_protocols.is_empty()) {
            (Some(theirs), false) => self
                .config
                .alpn_protocols
                .iter()
                .find(|p| theirs.contains(p))
                .cloned()
                .map(Some)
                .ok_or(Error::NoCommonApplicationProtocol),
            _ => Ok(None),
        }
    }

    /// How this config checks a client's chain against `anchors`.
    fn client_chain_policy<'a>(&'a self, anchors: &'a x509::TrustAnchors) -> ChainPolicy<'a> {
        ChainPolicy::client(anchors, self.config.client_path_limits()).with_hooks(
            self.config.verify_callback.as_deref(),
            self.config.accepts_any_client_certificate(),
        )
    }

    /// The client's Certificate (§7.4.6).
    fn client_certificate(&self, sent: &mut KeyShareSent, cert: Certificate) -> Result<(), Error> {
        let anchors = match &self.config.client_auth {
            ClientAuth::None => return Err(Error::unexpected("Certificate")),
            ClientAuth::Optional(anchors) | ClientAuth::Required(anchors) => anchors,
        };
        if cert.certificate_list.is_empty() {
            return match self.config.client_auth {
                ClientAuth::Required(_) => Err(Error::ClientCertificateRequired),
                _ => Ok(()),
            };
        }
        // Path validation checks that the leaf's key may sign (§7.4.6: "the
        // certificate MUST allow the key to be used for signing").
        let check = self
            .client_chain_policy(anchors)
            .verify(&cert.certificate_list, (self.config.clock)())?;
        sent.negotiated.peer_certificates = cert.certificate_list.into();
        sent.negotiated.peer_chain_check = Some(check);
        Ok(())
    }

    /// ClientKeyExchange (RFC 8422 §5.7): finish ECDHE and derive the keys.
    fn client_key_exchange(
        &mut self,
        sent: KeyShareSent,
        cke: ClientKeyExchange,
        actions: &mut Vec<Action>,
    ) -> Result<Box<KeysComputed>, Error> {
        let pre_master_secret = sent.key.agree(&cke.ecdh_yc)?;
        let neg = sent.negotiated;
        let master_secret = compute_master_secret(&neg, &pre_master_secret, &self.transcript);
        let prf = keyed_prf(&neg, &master_secret);
        set_pending_keys(actions, &neg, &prf, Side::Server)?;
        Ok(Box::new(KeysComputed {
            negotiated: neg,
            secret: SessionSecret::Fresh(master_secret),
            prf,
            requested: sent.requested,
            server_verify_data: None,
            peer: sent.peer,
        }))
    }

    /// CertificateVerify (§7.4.8): the client signs every handshake message
    /// before this one with its certificate's key.
    fn certificate_verify(
        &self,
        keys: &mut KeysComputed,
        cv: &DigitallySigned,
    ) -> Result<(), Error> {
        let offered = keys.requested.as_deref().unwrap_or(&[]);
        if !offered.contains(&cv.algorithm) {
            return Err(Error::IllegalParameter(
                "CertificateVerify with a scheme we did not offer",
            ));
        }
        let leaf = keys
            .negotiated
            .peer_certificates
            .first()
            .ok_or(Error::Internal("no client certificate"))?;
        sign::verify_signature(leaf, cv.algorithm, self.transcript.bytes(), &cv.signature)?;
        keys.negotiated.peer_signature_scheme = Some(cv.algorithm);
        keys.peer = PeerAuthenticated::by_signature();
        Ok(())
    }

    /// The client's Finished (§7.4.9). In a full handshake we answer with
    /// [NewSessionTicket], ChangeCipherSpec and our Finished; in an
    /// abbreviated one ours was sent first and the handshake is done.
    /// Returns the [`Action::Complete`] that hands the session and this
    /// connection's values over.
    fn client_finished(
        &mut self,
        keys: KeysComputed,
        fin: Finished,
        raw: &[u8],
        actions: &mut Vec<Action>,
    ) -> Result<Action, Error> {
        let neg = keys.negotiated;
        let expected = verify_data(
            &neg,
            &keys.prf,
            FinishedLabel::ClientFinished,
            &self.transcript,
        );
        let finished = FinishedVerified::check(&expected, &fin.verify_data)?;
        self.transcript.add_raw(raw);
        let (session, resumed, server_verify_data) = match (keys.secret, keys.server_verify_data) {
            (SessionSecret::Resumed(session), Some(sent)) => (session, true, sent),
            (SessionSecret::Fresh(master_secret), None) => {
                let session = Arc::new(neg.new_session(
                    master_secret,
                    (self.config.clock)(),
                    self.config.session_lifetime,
                ));
                let sent = self.emit_last_flight(&neg, &keys.prf, &session, actions)?;
                self.keep_session(&session);
                (session, false, sent)
            }
            _ => return Err(Error::Internal("Finished state out of step")),
        };
        let renegotiation_binding = RenegotiationBinding {
            secure_renegotiation: neg.secure_renegotiation,
            client_verify_data: fin.verify_data,
            server_verify_data,
        };
        Ok(Action::Complete {
            established: Box::new(neg.establish(session, resumed, keys.peer, finished)),
            renegotiation_binding,
        })
    }

    /// The server's last flight of a full handshake (§7.3 Figure 1; RFC
    /// 5077 §3.1 Figure 1): [NewSessionTicket], ChangeCipherSpec, Finished.
    /// Returns our verify_data.
    ///
    /// RFC 5077 §3.3: NewSessionTicket "MUST be sent if the server
    /// included a SessionTicket extension in the ServerHello. This message
    /// MUST NOT be sent if the server did not include a SessionTicket
    /// extension in the ServerHello": `session_ticket` is what our
    /// ServerHello said. Called once the client's Finished is verified:
    /// "In the case of a full handshake, the server MUST verify the
    /// client's Finished message before sending the ticket."
    fn emit_last_flight(
        &mut self,
        neg: &Negotiated,
        prf: &Prf,
        session: &Session,
        actions: &mut Vec<Action>,
    ) -> Result<[u8; 12], Error> {
        if neg.session_ticket {
            self.emit_new_session_ticket(session, actions)?;
        }
        Ok(emit_change_cipher_spec_and_finished(
            &mut self.transcript,
            actions,
            neg,
            prf,
            Side::Server,
        ))
    }

    /// Puts a new session in the store, if we keep one, so that a later
    /// connection can resume it by id.
    fn keep_session(&self, session: &Arc<Session>) {
        if let (Some(store), false) = (&self.config.session_store, session.session_id.is_empty()) {
            // A store that fails to keep it only costs a later full handshake.
            let _ = store.put(session.clone());
        }
    }
}

/// RFC 8422 §5.1.2: "If the client sends the extension and the extension
/// does not contain the uncompressed point format, and the client has used
/// the Supported Groups extension to indicate support for any of the curves
/// defined in this specification, then the server MUST abort the handshake
/// and return an illegal_parameter alert."
fn check_point_formats(ext: &ClientExtensions) -> Result<(), Error> {
    let Some(formats) = &ext.ec_point_formats else {
        return Ok(());
    };
    // secp256r1, secp384r1, secp521r1, x25519, x448 (RFC 8422 §5.1.1).
    const RFC_8422_CURVES: [u16; 5] = [23, 24, 25, 29, 30];
    let rfc_8422_curve = ext
        .supported_groups
        .iter()
        .flatten()
        .any(|g| RFC_8422_CURVES.contains(&g.value()));
    if rfc_8422_curve && !formats.contains(&EC_POINT_FORMAT_UNCOMPRESSED) {
        return Err(Error::IllegalParameter(
            "ec_point_formats without uncompressed",
        ));
    }
    Ok(())
}

/// RFC 8422 §5.3: "the public key in the server's certificate MUST respect
/// the client's choice of elliptic curves. A server that cannot satisfy this
/// requirement MUST NOT choose an ECC cipher suite". Our ECDSA keys sign with
/// the scheme named for their curve, so the scheme says which curve it is;
/// returns that curve when the client's supported_groups leave it out.
fn ecdsa_curve_not_offered(scheme: SignatureScheme, ext: &ClientExtensions) -> Option<NamedGroup> {
    let curve = match scheme {
        SignatureScheme::EcdsaSecp256r1Sha256 => NamedGroup::Secp256r1,
        SignatureScheme::EcdsaSecp384r1Sha384 => NamedGroup::Secp384r1,
        _ => return None,
    };
    let offered = ext
        .supported_groups
        .as_ref()
        .is_none_or(|groups| groups.contains(&curve));
    (!offered).then_some(curve)
}
