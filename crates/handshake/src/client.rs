//! The client's handshake state machine (RFC 5246 §7.3, Figure 1).
//!
//! ```text
//!   Client                                               Server
//!
//!   ClientHello                  -------->
//!                                                   ServerHello
//!                                                  Certificate*
//!                                            ServerKeyExchange*
//!                                           CertificateRequest*
//!                                <--------      ServerHelloDone
//!   Certificate*
//!   ClientKeyExchange
//!   CertificateVerify*
//!   [ChangeCipherSpec]
//!   Finished                     -------->
//!                                            [ChangeCipherSpec]
//!                                <--------             Finished
//!   Application Data             <------->     Application Data
//! ```
//!
//! Each [`ClientState`] variant is named for what it expects next and holds
//! exactly what the handshake has settled so far. A message that does not
//! fit the current state falls through to the one arm that answers
//! `unexpected_message`; after any error the machine stays in `Failed`.

use std::sync::Arc;

use record_layer::codec::DecodeError;
use record_layer::prf::{FinishedLabel, Prf};
use record_layer::record::ProtocolVersion;
use record_layer::secret::constant_time_eq;
use record_layer::suites::{CipherSuite, SignatureKind};
use ring::rand::SystemRandom;
use session_store::{
    CertificateChain, ClientIdentity, ClientSession, ServerId, Session, SessionId,
};
use zeroize::Zeroizing;

use crate::chain_check::ChainPolicy;
use crate::observe::{notify, Observer, ResumptionRefusal, TraceEvent};

use crate::actions::{emit_change_cipher_spec_and_finished, send, Action};
use crate::config::{CertifiedKey, ClientConfig};
use crate::error::Error;
use crate::established::Negotiated;
use crate::extensions::{
    extension_type, ClientExtensions, ServerExtensions, EC_POINT_FORMAT_UNCOMPRESSED,
};
use crate::key_schedule::{
    compute_master_secret, keyed_prf, set_pending_keys, verify_data, SessionSecret, Side,
};
use crate::kx::{EphemeralKey, NamedGroup};
use crate::messages::{
    client_certificate_type, Certificate, CertificateRequest, ClientHello, ClientKeyExchange,
    DigitallySigned, Finished, HandshakeMessage, HandshakePayload, HandshakeType, NewSessionTicket,
    Random, ServerHello, ServerKeyExchange, COMPRESSION_NULL,
};
use crate::proofs::{FinishedVerified, PeerAuthenticated};
use crate::random::random_bytes;
use crate::secure_renegotiation::{PreviousHandshake, RenegotiationBinding};
use crate::sign::{self, SignatureScheme};
use crate::transcript::Transcript;
use crate::x509::{self, PublicKeyKind};

/// Where the client is in the handshake: each variant names what it expects next.
///
/// The abbreviated handshake (§7.3, Figure 2) goes from `ExpectServerHello`
/// straight to `ExpectNewSessionTicket` or `ExpectChangeCipherSpec`.
#[derive(Debug)]
pub enum ClientState {
    /// ClientHello not yet sent.
    Start,
    /// ClientHello sent (§7.4.1.3).
    ExpectServerHello(Box<HelloSent>),
    /// ServerHello received, full handshake (§7.4.2).
    ExpectCertificate(Box<Negotiated>),
    /// The server's chain is valid (§7.4.3).
    ExpectServerKeyExchange(Box<Negotiated>),
    /// The server proved its key (§7.4.4, §7.4.5).
    ExpectCertificateRequestOrServerHelloDone(Box<KeyShareReceived>),
    /// The server asked for our certificate (§7.4.5).
    ExpectServerHelloDone(Box<KeyShareReceived>, CertificateRequest),
    /// The server promised a ticket (RFC 5077 §3.3).
    ExpectNewSessionTicket(Box<KeysComputed>),
    /// Keys are computed; the server's ChangeCipherSpec comes next (§7.1).
    ExpectChangeCipherSpec(Box<KeysComputed>),
    /// The server's ChangeCipherSpec arrived (§7.4.9).
    ExpectFinished(Box<KeysComputed>),
    /// The handshake is complete.
    Traffic,
    /// An error ended the handshake.
    Failed,
}

/// What the client remembers between sending ClientHello and reading ServerHello.
#[derive(Debug)]
pub struct HelloSent {
    hello: ClientHello,
    /// The session we asked to resume, by id or by ticket.
    offered: Option<ClientSession>,
}

/// A verified server key share, waiting for ServerHelloDone.
#[derive(Debug)]
pub struct KeyShareReceived {
    negotiated: Negotiated,
    server_public: Vec<u8>,
    peer: PeerAuthenticated,
}

/// The master secret is known.
#[derive(Debug)]
pub struct KeysComputed {
    negotiated: Negotiated,
    secret: SessionSecret,
    /// The PRF keyed with the master secret.
    prf: Prf,
    /// Our Finished, once sent: at once in a full handshake, after the
    /// server's in an abbreviated one.
    client_verify_data: Option<[u8; 12]>,
    new_ticket: Option<NewSessionTicket>,
    peer: PeerAuthenticated,
}

/// What a client's renegotiation offers the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientOffer {
    /// No session: a full handshake makes a new one (§7.3, Figure 1).
    NewSession,
    /// The session the client's store holds for this server: an
    /// abbreviated handshake (§7.3, Figure 2) if the server agrees.
    StoredSession,
}

/// The client side of one handshake.
pub struct ClientHandshake {
    config: Arc<ClientConfig>,
    server: ServerId,
    state: ClientState,
    transcript: Transcript,
    rng: SystemRandom,
    /// Set when this handshake renegotiates an established connection.
    previous: Option<PreviousHandshake>,
    /// Whether to offer a stored session for resumption.
    offer_session: bool,
    /// Who hears this handshake's refusals: the config's observer, or the
    /// connection's ([`ClientHandshake::with_observer`]).
    observer: Option<Arc<dyn Observer>>,
}

impl core::fmt::Debug for ClientHandshake {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientHandshake")
            .field("server", &self.server)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl ClientHandshake {
    /// A handshake with `server`, whose name (a DNS name or an IP literal)
    /// is sent as SNI and checked against the certificate, and which (with
    /// the port) keys the client session store.
    pub fn new(config: Arc<ClientConfig>, server: ServerId) -> Self {
        Self {
            observer: config.observer.clone(),
            config,
            server,
            state: ClientState::Start,
            transcript: Transcript::default(),
            rng: SystemRandom::new(),
            previous: None,
            offer_session: true,
        }
    }

    /// The same handshake, telling `observer` (a connection's own, see
    /// [`Observer::connection_observer`]) what it refuses.
    pub fn with_observer(mut self, observer: Option<Arc<dyn Observer>>) -> Self {
        self.observer = observer;
        self
    }

    /// A renegotiation of a connection whose last handshake left `previous`
    /// (RFC 5746 §3.5), offering what `offer` says.
    pub fn renegotiation(
        config: Arc<ClientConfig>,
        server: ServerId,
        previous: PreviousHandshake,
        offer: ClientOffer,
    ) -> Self {
        Self {
            previous: Some(previous),
            offer_session: offer == ClientOffer::StoredSession,
            ..Self::new(config, server)
        }
    }

    /// The current state.
    pub fn state(&self) -> &ClientState {
        &self.state
    }

    /// True once the handshake has completed.
    pub fn is_complete(&self) -> bool {
        matches!(self.state, ClientState::Traffic)
    }

    /// Sends ClientHello (§7.4.1.2), offering a stored session if there is
    /// one we may resume.
    pub fn start(&mut self) -> Result<Vec<Action>, Error> {
        match core::mem::replace(&mut self.state, ClientState::Failed) {
            ClientState::Start => {}
            _ => return Err(Error::Internal("handshake already started")),
        }
        let offered = self.session_to_offer();
        let hello = self.client_hello(offered.as_ref())?;
        let mut actions = Vec::new();
        send(
            &mut self.transcript,
            &mut actions,
            HandshakePayload::ClientHello(Box::new(hello.clone())),
        );
        self.state = ClientState::ExpectServerHello(Box::new(HelloSent { hello, offered }));
        Ok(actions)
    }

    /// A stored session for this server that we may offer: resumable, not
    /// expired, made with the extended master secret (RFC 7627 §5.3: we
    /// never resume a session without it), for a suite we still offer, for
    /// this server name, made with our client certificate (or, like us,
    /// without one), and made with a server this config still trusts.
    fn session_to_offer(&self) -> Option<ClientSession> {
        if !self.offer_session {
            return None;
        }
        let store = self.config.session_store.as_ref()?;
        // A store that fails to answer only costs a full handshake.
        let offer = store.get(&self.server).ok().flatten()?;
        let session = &offer.session;
        let usable = session.is_resumable()
            && self.still_alive(&offer)
            && session.extended_master_secret
            && self.config.cipher_suites.contains(&session.cipher_suite)
            && session.server_name.as_deref() == self.sni()
            && self.same_client_identity(&offer)
            // Tickets disabled: a session known by its ticket alone has
            // nothing to offer.
            && (self.config.enable_tickets || !session.session_id.is_empty())
            && self.server_auth_still_holds(session);
        usable.then_some(offer)
    }

    /// RFC 5246 §F.1.4: a session past its lifetime, or past its ticket's
    /// lifetime hint (RFC 5077 §3.3: "A client SHOULD delete the ticket and
    /// associated state when the time expires"), by our clock, is not
    /// offered; the refusal is traced and the session taken out of the
    /// store.
    fn still_alive(&self, offer: &ClientSession) -> bool {
        if !offer.is_expired((self.config.clock)()) {
            return true;
        }
        let reason = &ResumptionRefusal::Expired {
            created_at: offer.session.created_at,
            lifetime: offer.session.lifetime,
        };
        notify(&self.observer, TraceEvent::ResumptionRefused { reason });
        if let Some(store) = &self.config.session_store {
            // A store that fails here only keeps an expired entry.
            let _ = store.remove(&self.server);
        }
        false
    }

    /// Does the server chain a session carries still verify, for this
    /// server name, against this config's trust anchors and clock? A
    /// session is only as trusted as the check that made it: without this,
    /// a root removed from the config, or another config sharing the
    /// store, would keep accepting the server for the session's lifetime.
    /// The session's record of its check answers without checking again
    /// when this config checks alike (`chain_check.rs`). A refusal is traced; the session stays in the store (a config with
    /// other anchors may share it) but is not offered.
    fn server_auth_still_holds(&self, session: &Session) -> bool {
        let checked = self
            .chain_policy()
            .still_holds(session, (self.config.clock)());
        let Err(e) = checked else {
            return true;
        };
        let reason = &ResumptionRefusal::ServerChainNotTrusted(e);
        notify(&self.observer, TraceEvent::ResumptionRefused { reason });
        false
    }

    /// Was the session made with the client certificate this config
    /// presents, or like this config without one? The server takes a
    /// connection that resumes a session for the client that made it
    /// (RFC 5246 §7: the peer certificate is session state), so offering
    /// another identity's session would make us that client, or make a
    /// client without a certificate an authenticated one (curl's
    /// CVE-2016-5419; see [`ClientIdentity`]). A refusal is traced; the
    /// session stays in the store until a new one for this server
    /// replaces it.
    fn same_client_identity(&self, offer: &ClientSession) -> bool {
        if offer.client_identity == self.client_identity() {
            return true;
        }
        let reason = &ResumptionRefusal::ClientIdentityChanged;
        notify(&self.observer, TraceEvent::ResumptionRefused { reason });
        false
    }

    /// Who this config is to a server that asks: a digest of the
    /// certificate chains it may send (§7.4.6), `None` without any.
    fn client_identity(&self) -> Option<ClientIdentity> {
        let chains = self.config.client_certificates.iter();
        ClientIdentity::of_chains(chains.map(|certified| &certified.chain[..]))
    }

    /// How this config checks the server's chain.
    fn chain_policy(&self) -> ChainPolicy<'_> {
        ChainPolicy::server(
            &self.config.trust_anchors,
            &self.server.name,
            self.config.max_path_depth,
        )
        .with_hooks(
            self.config.verify_callback.as_deref(),
            self.config.accepts_any_server_certificate(),
        )
    }

    /// The SNI to send: RFC 6066 §3: "Literal IPv4 and IPv6 addresses are
    /// not permitted in "HostName"."
    fn sni(&self) -> Option<&str> {
        let name = self.server.name.as_str();
        name.parse::<std::net::IpAddr>().is_err().then_some(name)
    }

    fn client_hello(&self, offered: Option<&ClientSession>) -> Result<ClientHello, Error> {
        let c = &self.config;
        // ClientHello.random and the session id a ticket needs, in one read
        // of the system's random source (each read is a system call).
        let mut fresh = [[0u8; 32]; 2];
        random_bytes(&self.rng, fresh.as_flattened_mut())?;
        let [random, ticket_id] = fresh;
        // A session is offered by its ticket if it has one, with a fresh
        // session id of our own, RFC 5077 §3.4: "When presenting a ticket,
        // the client MAY generate and include a Session ID in the TLS
        // ClientHello. If the server accepts the ticket and the Session ID
        // is not empty, then it MUST respond with the same Session ID
        // present in the ClientHello. This allows the client to easily
        // differentiate when the server is resuming a session from when it
        // is falling back to a full handshake." That id names no session:
        // the connection keeps it as `server_hello_session_id`, the session
        // keeps its own. Otherwise the session is offered by its id.
        // Without tickets enabled, no ticket is sent: not even a stored one.
        let ticket = offered
            .and_then(|s| s.ticket.as_ref())
            .filter(|_| c.enable_tickets);
        let (session_id, ticket) = match (offered, ticket) {
            (Some(_), Some(ticket)) => (SessionId::new(&ticket_id), Some(ticket.clone())),
            (Some(offer), None) => (Some(offer.session.session_id), None),
            (None, _) => (Some(SessionId::EMPTY), None),
        };
        let session_ticket = match ticket {
            Some(ticket) => Some(ticket),
            None => c.enable_tickets.then(Vec::new),
        };
        let session_id = session_id.ok_or(Error::Internal("session id"))?;
        Ok(ClientHello {
            client_version: ProtocolVersion::TLS1_2,
            random: Random(random),
            session_id,
            cipher_suites: c.cipher_suites.iter().map(|s| s.value()).collect(),
            compression_methods: vec![COMPRESSION_NULL],
            extensions: ClientExtensions {
                server_name: self.sni().map(str::to_string),
                supported_groups: Some(c.groups.clone()),
                ec_point_formats: Some(vec![EC_POINT_FORMAT_UNCOMPRESSED]),
                signature_algorithms: Some(c.signature_schemes.clone()),
                alpn: (!c.alpn_protocols.is_empty()).then(|| c.alpn_protocols.clone()),
                extended_master_secret: true,
                session_ticket,
                // RFC 5746 §3.4: on the initial handshake, an empty
                // renegotiation_info (or the SCSV) signals support; §3.5: on
                // a renegotiation it carries "the saved client_verify_data".
                renegotiation_info: Some(
                    self.previous
                        .as_ref()
                        .map(|p| p.binding.client_verify_data.to_vec())
                        .unwrap_or_default(),
                ),
                unknown: Vec::new(),
            },
        })
    }

    /// The messages the client takes in its current state (§7.3 Figures 1
    /// and 2, the rows of [`crate::sequences::LEGAL_SEQUENCES`]).
    fn expected(&self) -> &'static [HandshakeType] {
        match self.state {
            ClientState::ExpectServerHello(_) => &[HandshakeType::ServerHello],
            ClientState::ExpectCertificate(_) => &[HandshakeType::Certificate],
            ClientState::ExpectServerKeyExchange(_) => &[HandshakeType::ServerKeyExchange],
            ClientState::ExpectCertificateRequestOrServerHelloDone(_) => &[
                HandshakeType::CertificateRequest,
                HandshakeType::ServerHelloDone,
            ],
            ClientState::ExpectServerHelloDone(..) => &[HandshakeType::ServerHelloDone],
            ClientState::ExpectNewSessionTicket(_) => &[HandshakeType::NewSessionTicket],
            ClientState::ExpectFinished(_) => &[HandshakeType::Finished],
            ClientState::Start
            | ClientState::ExpectChangeCipherSpec(_)
            | ClientState::Traffic
            | ClientState::Failed => &[],
        }
    }

    /// §7.4.1.1: HelloRequest "will be ignored by the client if the client
    /// is currently negotiating a session", except between the server's
    /// ChangeCipherSpec and Finished, where §7.4.9 allows nothing but
    /// Finished: "A Finished message is always sent immediately after a
    /// change cipher spec message".
    fn ignores_hello_request(&self) -> bool {
        !matches!(
            self.state,
            ClientState::Start
                | ClientState::ExpectFinished(_)
                | ClientState::Traffic
                | ClientState::Failed
        )
    }

    /// Decides on a message's type alone, before its body is decoded: the
    /// connection asks on the four header bytes, so that a message out of
    /// place is `unexpected_message` whatever its body (§7.4: "sending
    /// handshake messages in an unexpected order results in a fatal
    /// error"). A refusal ends the machine.
    pub fn check_message_type(&mut self, t: HandshakeType) -> Result<(), Error> {
        let ignored = t == HandshakeType::HelloRequest && self.ignores_hello_request();
        if ignored || self.expected().contains(&t) {
            return Ok(());
        }
        // Where only ChangeCipherSpec may come, a handshake record is out
        // of place whatever message it starts.
        let error = match self.state {
            ClientState::ExpectChangeCipherSpec(_) => {
                Error::unexpected_record("handshake message where ChangeCipherSpec is due")
            }
            _ => Error::unexpected(t.name()),
        };
        self.state = ClientState::Failed;
        Err(error)
    }

    /// Feeds one handshake message from the server.
    pub fn handle_message(&mut self, msg: HandshakeMessage) -> Result<Vec<Action>, Error> {
        self.check_message_type(msg.handshake_type())?;
        // A HelloRequest in the middle of a handshake is ignored, and kept
        // out of the transcript, §7.4.1.1: "This message MUST NOT be
        // included in the message hashes that are maintained throughout the
        // handshake and used in the Finished messages and the certificate
        // verify message."
        if matches!(msg.payload, HandshakePayload::HelloRequest) {
            return Ok(Vec::new());
        }
        let state = core::mem::replace(&mut self.state, ClientState::Failed);
        let HandshakeMessage { payload, raw } = msg;
        // The server's Finished is checked against the transcript *before*
        // it, and added only once checked.
        if !matches!(payload, HandshakePayload::Finished(_)) {
            self.transcript.add_raw(&raw);
        }
        let mut actions = Vec::new();
        self.state = match (state, payload) {
            (ClientState::ExpectServerHello(sent), HandshakePayload::ServerHello(hello)) => {
                self.server_hello(*sent, *hello, &mut actions)?
            }
            (ClientState::ExpectCertificate(neg), HandshakePayload::Certificate(cert)) => {
                ClientState::ExpectServerKeyExchange(self.server_certificate(neg, cert)?)
            }
            (
                ClientState::ExpectServerKeyExchange(neg),
                HandshakePayload::ServerKeyExchange(ske),
            ) => ClientState::ExpectCertificateRequestOrServerHelloDone(Box::new(
                self.server_key_exchange(*neg, ske)?,
            )),
            (
                ClientState::ExpectCertificateRequestOrServerHelloDone(ks),
                HandshakePayload::CertificateRequest(req),
            ) => ClientState::ExpectServerHelloDone(ks, req),
            (
                ClientState::ExpectCertificateRequestOrServerHelloDone(ks),
                HandshakePayload::ServerHelloDone,
            ) => self.server_hello_done(*ks, None, &mut actions)?,
            (ClientState::ExpectServerHelloDone(ks, req), HandshakePayload::ServerHelloDone) => {
                self.server_hello_done(*ks, Some(req), &mut actions)?
            }
            (
                ClientState::ExpectNewSessionTicket(mut keys),
                HandshakePayload::NewSessionTicket(ticket),
            ) => {
                keys.new_ticket = Some(ticket);
                ClientState::ExpectChangeCipherSpec(keys)
            }
            (ClientState::ExpectFinished(keys), HandshakePayload::Finished(fin)) => {
                let complete = self.server_finished(*keys, fin, &raw, &mut actions)?;
                actions.push(complete);
                ClientState::Traffic
            }
            (_, payload) => return Err(Error::unexpected(payload.handshake_type().name())),
        };
        Ok(actions)
    }

    /// Accepts the server's ChangeCipherSpec (§7.1) only right before its
    /// Finished: anywhere else it is `unexpected_message` (this is what
    /// stops the early-CCS attack, CVE-2014-0224).
    pub fn handle_change_cipher_spec(&mut self) -> Result<(), Error> {
        match core::mem::replace(&mut self.state, ClientState::Failed) {
            ClientState::ExpectChangeCipherSpec(keys) => {
                self.state = ClientState::ExpectFinished(keys);
                Ok(())
            }
            _ => Err(Error::unexpected_record("ChangeCipherSpec out of order")),
        }
    }

    /// ServerHello (§7.4.1.3): check every choice against what we offered,
    /// then go on with a full or an abbreviated handshake.
    fn server_hello(
        &mut self,
        sent: HelloSent,
        hello: ServerHello,
        actions: &mut Vec<Action>,
    ) -> Result<ClientState, Error> {
        let neg = self.check_server_hello(&sent, &hello)?;
        self.transcript.start_hash(neg.cipher_suite);
        // §7.4.1.3: a server that resumes answers with the session id we
        // sent; with a ticket, RFC 5077 §3.4: "it MUST respond with the same
        // Session ID".
        let offered = sent.offered.is_some();
        let accepted = !hello.session_id.is_empty() && hello.session_id == sent.hello.session_id;
        let Some(ClientSession { session, .. }) = sent.offered.filter(|_| accepted) else {
            // The server need not resume (§7.4.1.3); a session it declined
            // is not worth offering again, so the store forgets it.
            if let (true, Some(store)) = (offered, &self.config.session_store) {
                let _ = store.remove(&self.server);
            }
            return Ok(ClientState::ExpectCertificate(Box::new(neg)));
        };
        if hello.cipher_suite != session.cipher_suite.value() {
            return Err(Error::IllegalParameter(
                "server resumed with another cipher suite than the session's",
            ));
        }
        // RFC 7627 §5.3: "If the original session used the
        // "extended_master_secret" extension but the new ServerHello does
        // not contain the extension, the client MUST abort the handshake",
        // and "If the original session did not use the
        // "extended_master_secret" extension but the new ServerHello
        // contains the extension, the client MUST abort the handshake."
        // (We offer only sessions with it, so the second cannot happen
        // unless a store hands us one without.)
        if !neg.extended_master_secret || !session.extended_master_secret {
            return Err(Error::ExtendedMasterSecretRequired);
        }
        self.check_same_server(&session.peer_certificates)?;
        let prf = keyed_prf(&neg, session.master_secret());
        set_pending_keys(actions, &neg, &prf, Side::Client)?;
        let keys = Box::new(KeysComputed {
            negotiated: neg,
            secret: SessionSecret::Resumed(session),
            prf,
            client_verify_data: None,
            new_ticket: None,
            peer: PeerAuthenticated::inherited(),
        });
        Ok(if keys.negotiated.session_ticket {
            ClientState::ExpectNewSessionTicket(keys)
        } else {
            ClientState::ExpectChangeCipherSpec(keys)
        })
    }

    fn check_server_hello(
        &self,
        sent: &HelloSent,
        hello: &ServerHello,
    ) -> Result<Negotiated, Error> {
        if hello.server_version != ProtocolVersion::TLS1_2 {
            return Err(Error::UnsupportedVersion(hello.server_version.0));
        }
        let cipher_suite = CipherSuite::from_value(hello.cipher_suite)
            .filter(|s| sent.hello.cipher_suites.contains(&s.value()))
            .ok_or(Error::IllegalParameter(
                "server chose a cipher suite we did not offer",
            ))?;
        if hello.compression_method != COMPRESSION_NULL {
            return Err(Error::IllegalParameter(
                "server chose a compression method we did not offer",
            ));
        }
        let ext = &hello.extensions;
        check_server_extensions(&sent.hello.extensions, ext)?;
        self.check_renegotiation_info(ext.renegotiation_info.as_deref())?;
        if let Some(prev) = &self.previous {
            prev.check_extended_master_secret(ext.extended_master_secret)?;
        }
        Ok(Negotiated {
            client_random: sent.hello.random,
            server_random: hello.random,
            server_hello_session_id: hello.session_id,
            cipher_suite,
            group: None,
            peer_signature_scheme: None,
            server_name: sent.hello.extensions.server_name.clone(),
            alpn: ext.alpn.clone(),
            extended_master_secret: ext.extended_master_secret,
            secure_renegotiation: ext.renegotiation_info.is_some(),
            peer_certificates: CertificateChain::default(),
            peer_chain_check: None,
            session_ticket: ext.session_ticket_ack,
            local_certificate: None,
        })
    }
    /// The server's renegotiation_info (RFC 5746).
    fn check_renegotiation_info(&self, info: Option<&[u8]>) -> Result<(), Error> {
        match (&self.previous, info) {
            // §3.4: "the client MUST then verify that the length of the
            // "renegotiated_connection" field is zero, and if it is not,
            // MUST abort the handshake (by sending a fatal handshake_failure
            // alert)."
            // Its absence is no error, §4.1: "If a client offers the
            // "renegotiation_info" extension or the
            // TLS_EMPTY_RENEGOTIATION_INFO_SCSV SCSV and the server does not
            // reply with "renegotiation_info" in the ServerHello, then this
            // indicates that the server does not support secure
            // renegotiation." We complete the handshake (§4.1: clients that
            // abort instead "will encounter interoperability problems"),
            // with `secure_renegotiation` false: this connection never
            // renegotiates (§4.2).
            (None, None) => Ok(()),
            (None, Some([])) => Ok(()),
            (None, Some(_)) => Err(Error::SecureRenegotiation(
                "initial ServerHello has a non-empty renegotiation_info",
            )),
            // §3.5: "the client MUST verify that the "renegotiation_info"
            // extension is present ... that the first half ... is equal to
            // the saved client_verify_data value, and the second half is
            // equal to the saved server_verify_data value."
            (Some(_), None) => Err(Error::SecureRenegotiation(
                "renegotiation ServerHello without renegotiation_info",
            )),
            (Some(prev), Some(ri)) => {
                if constant_time_eq(ri, &prev.binding.both_verify_data()) {
                    Ok(())
                } else {
                    Err(Error::SecureRenegotiation(
                        "renegotiation_info does not match this connection's Finished messages",
                    ))
                }
            }
        }
    }

    /// A renegotiation must not change who the server is: the leaf
    /// certificate must be the one of the connection's earlier handshake
    /// (the triple-handshake defence, RFC 7627 §1, as OpenSSL and NSS do).
    fn check_same_server(&self, chain: &[Vec<u8>]) -> Result<(), Error> {
        match &self.previous {
            Some(prev) if prev.session.peer_certificates.first() != chain.first() => {
                Err(Error::ServerCertificateChanged)
            }
            _ => Ok(()),
        }
    }

    /// The server's Certificate (§7.4.2): the same server as before on a
    /// renegotiation, a chain that leads to a trust anchor and names the
    /// server we asked for, and a leaf key fit for this handshake.
    fn server_certificate(
        &self,
        mut neg: Box<Negotiated>,
        cert: Certificate,
    ) -> Result<Box<Negotiated>, Error> {
        // RFC 8446 §4.4.2.4 (TLS 1.2 says no more than that the server
        // sends its chain): "If the server supplies an empty Certificate
        // message, the client MUST abort the handshake with a "decode_error"
        // alert."
        let Some(leaf) = cert.certificate_list.first() else {
            return Err(DecodeError::LengthOutOfRange {
                what: "server certificate_list",
                len: 0,
                min: 1,
                max: 0xff_ffff,
            }
            .into());
        };
        self.check_same_server(&cert.certificate_list)?;
        let check = self
            .chain_policy()
            .verify(&cert.certificate_list, (self.config.clock)())?;
        self.check_server_key(leaf, neg.cipher_suite)?;
        neg.peer_certificates = cert.certificate_list.into();
        neg.peer_chain_check = Some(check);
        Ok(neg)
    }

    /// The server's key (which path validation has checked may sign) must
    /// be of the suite's kind (§7.4.2: "The
    /// end entity certificate's public key (and associated restrictions)
    /// MUST be compatible with the selected key exchange algorithm"), and on
    /// a curve we offered (RFC 8422 §5.3: "If the client has used a
    /// Supported Elliptic Curves Extension, the public key in the server's
    /// certificate MUST respect the client's choice of elliptic curves").
    fn check_server_key(&self, leaf: &[u8], suite: CipherSuite) -> Result<(), Error> {
        let kind = x509::public_key_kind(leaf)?;
        if kind.signature_kind() != suite.signature_kind() {
            return Err(Error::IllegalParameter(
                "server certificate key does not fit the cipher suite",
            ));
        }
        match ecdsa_curve(kind) {
            Some(curve) if !self.config.groups.contains(&curve) => Err(Error::IllegalParameter(
                "server certificate key is on a curve we did not offer",
            )),
            _ => Ok(()),
        }
    }

    /// ServerKeyExchange (RFC 8422 §5.4): the group must be one we offered
    /// and the signature must verify with the server's certificate.
    fn server_key_exchange(
        &self,
        mut neg: Negotiated,
        ske: ServerKeyExchange,
    ) -> Result<KeyShareReceived, Error> {
        if !self.config.groups.contains(&ske.named_group) {
            return Err(Error::IllegalParameter(
                "server chose a group we did not offer",
            ));
        }
        let scheme = ske.signed_params.algorithm;
        check_scheme(&self.config.signature_schemes, scheme, neg.cipher_suite)?;
        let message = ServerKeyExchange::signed_message(
            &neg.client_random,
            &neg.server_random,
            &ske.params_bytes(),
        );
        let leaf = neg
            .peer_certificates
            .first()
            .ok_or(Error::Internal("no server certificate"))?;
        sign::verify_signature(leaf, scheme, &message, &ske.signed_params.signature)?;
        neg.group = Some(ske.named_group);
        neg.peer_signature_scheme = Some(scheme);
        Ok(KeyShareReceived {
            negotiated: neg,
            server_public: ske.public,
            peer: PeerAuthenticated::by_signature(),
        })
    }

    /// ServerHelloDone (§7.4.5): our second flight (§7.3 Figure 1), one
    /// message per function in the figure's order: [Certificate],
    /// ClientKeyExchange, [CertificateVerify], ChangeCipherSpec, Finished.
    fn server_hello_done(
        &mut self,
        ks: KeyShareReceived,
        request: Option<CertificateRequest>,
        actions: &mut Vec<Action>,
    ) -> Result<ClientState, Error> {
        let KeyShareReceived {
            negotiated: mut neg,
            server_public,
            peer,
        } = ks;
        let client_key = request
            .as_ref()
            .and_then(|req| self.pick_client_certificate(req));
        neg.local_certificate = client_key.as_ref().map(|(ck, _)| ck.clone());
        if request.is_some() {
            self.emit_certificate(client_key.as_ref().map(|(ck, _)| &**ck), actions);
        }
        let pre_master_secret = self.emit_client_key_exchange(&neg, &server_public, actions)?;
        let master_secret = compute_master_secret(&neg, &pre_master_secret, &self.transcript);
        if let Some((ck, scheme)) = &client_key {
            self.emit_certificate_verify(ck, *scheme, actions)?;
        }
        let prf = keyed_prf(&neg, &master_secret);
        set_pending_keys(actions, &neg, &prf, Side::Client)?;
        let client_verify_data = emit_change_cipher_spec_and_finished(
            &mut self.transcript,
            actions,
            &neg,
            &prf,
            Side::Client,
        );
        let keys = Box::new(KeysComputed {
            negotiated: neg,
            secret: SessionSecret::Fresh(master_secret),
            prf,
            client_verify_data: Some(client_verify_data),
            new_ticket: None,
            peer,
        });
        Ok(if keys.negotiated.session_ticket {
            ClientState::ExpectNewSessionTicket(keys)
        } else {
            ClientState::ExpectChangeCipherSpec(keys)
        })
    }

    /// Certificate (§7.4.6), sent because the server asked: "This message
    /// is only sent if the server requests a certificate. If no suitable
    /// certificate is available, the client MUST send a certificate
    /// message containing no certificates."
    fn emit_certificate(&mut self, ours: Option<&CertifiedKey>, actions: &mut Vec<Action>) {
        let certificate_list = ours.map(|ck| ck.chain.clone()).unwrap_or_default();
        send(
            &mut self.transcript,
            actions,
            HandshakePayload::Certificate(Certificate { certificate_list }),
        );
    }

    /// ClientKeyExchange (§7.4.7, RFC 8422 §5.7): our ECDHE public value on
    /// the server's group. Returns the `pre_master_secret`, the shared
    /// secret with the server's public value (RFC 8422 §5.10).
    fn emit_client_key_exchange(
        &mut self,
        neg: &Negotiated,
        server_public: &[u8],
        actions: &mut Vec<Action>,
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        let group = neg.group.ok_or(Error::Internal("no group negotiated"))?;
        let key = EphemeralKey::generate(group, &self.rng)?;
        let ecdh_yc = key.public_key().to_vec();
        let pre_master_secret = key.agree(server_public)?;
        send(
            &mut self.transcript,
            actions,
            HandshakePayload::ClientKeyExchange(ClientKeyExchange { ecdh_yc }),
        );
        Ok(pre_master_secret)
    }

    /// CertificateVerify (§7.4.8): our certificate's key signs
    /// `handshake_messages`, which "refers to all handshake messages sent
    /// or received, starting at client hello and up to, but not including,
    /// this message".
    fn emit_certificate_verify(
        &mut self,
        ours: &CertifiedKey,
        scheme: SignatureScheme,
        actions: &mut Vec<Action>,
    ) -> Result<(), Error> {
        let signature = ours.key.sign(scheme, self.transcript.bytes())?;
        send(
            &mut self.transcript,
            actions,
            HandshakePayload::CertificateVerify(DigitallySigned {
                algorithm: scheme,
                signature,
            }),
        );
        Ok(())
    }

    /// The client certificate to send for `req`: the first of ours, in our
    /// order of preference, that fits it (§7.4.4): its key type is in
    /// `certificate_types`, one of its schemes is in
    /// `supported_signature_algorithms`, and, for a chain meant only for
    /// the authorities it names, `certificate_authorities` lists its issuer.
    fn pick_client_certificate(
        &self,
        req: &CertificateRequest,
    ) -> Option<(Arc<CertifiedKey>, SignatureScheme)> {
        self.config.client_certificates.iter().find_map(|ck| {
            let certificate_type = match ck.key.kind() {
                SignatureKind::Ecdsa => client_certificate_type::ECDSA_SIGN,
                SignatureKind::Rsa => client_certificate_type::RSA_SIGN,
            };
            if !req.certificate_types.contains(&certificate_type)
                || !ck.fits_authorities(&req.certificate_authorities)
            {
                return None;
            }
            let scheme = ck.key.choose_scheme(&req.supported_signature_algorithms)?;
            Some((ck.clone(), scheme))
        })
    }

    /// The server's Finished (§7.4.9) completes a full handshake; in an
    /// abbreviated one we answer with ChangeCipherSpec and our Finished.
    /// Returns the [`Action::Complete`] that hands the session and this
    /// connection's values over.
    fn server_finished(
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
            FinishedLabel::ServerFinished,
            &self.transcript,
        );
        let finished = FinishedVerified::check(&expected, &fin.verify_data)?;
        self.transcript.add_raw(raw);
        let client_verify_data = match keys.client_verify_data {
            Some(sent) => sent,
            None => emit_change_cipher_spec_and_finished(
                &mut self.transcript,
                actions,
                &neg,
                &keys.prf,
                Side::Client,
            ),
        };
        let renegotiation_binding = RenegotiationBinding {
            secure_renegotiation: neg.secure_renegotiation,
            client_verify_data,
            server_verify_data: fin.verify_data,
        };
        let resumed = matches!(keys.secret, SessionSecret::Resumed(_));
        let session = self.keep_session(&neg, keys.secret, keys.new_ticket);
        Ok(Action::Complete {
            established: Box::new(neg.establish(session, resumed, keys.peer, finished)),
            renegotiation_binding,
        })
    }

    /// The session now in force. It is stored for later connections to
    /// this server, with what only we keep of it (a ticket, our identity),
    /// when it is new, or when the server renewed the ticket of the session
    /// we resumed (RFC 5077 §3.3); a resumption without a new ticket leaves
    /// the store as it was.
    ///
    /// Called once the server's Finished is verified, RFC 5077 §3.3: "The
    /// client MUST NOT treat the ticket as valid until it has verified the
    /// server's Finished message." A zero-length ticket ("If the server
    /// determines that it does not want to include a ticket after it has
    /// included the SessionTicket extension in the ServerHello, then it
    /// sends a zero-length ticket") is no ticket
    /// ([`ClientSession::with_ticket`]): the session is kept by its id.
    fn keep_session(
        &self,
        neg: &Negotiated,
        secret: SessionSecret,
        new_ticket: Option<NewSessionTicket>,
    ) -> Arc<Session> {
        let session = match (secret, &new_ticket) {
            (SessionSecret::Resumed(session), None) => return session,
            (SessionSecret::Resumed(session), Some(_)) => session,
            (SessionSecret::Fresh(master_secret), _) => Arc::new(neg.new_session(
                master_secret,
                (self.config.clock)(),
                self.config.session_lifetime,
            )),
        };
        let mut kept = ClientSession::new(session.clone(), self.client_identity());
        if let Some(t) = new_ticket {
            kept = kept.with_ticket(t.ticket, t.ticket_lifetime_hint);
        }
        if let Some(store) = &self.config.session_store {
            if !session.session_id.is_empty() || kept.ticket.is_some() {
                // A store that fails to keep it only costs a later full handshake.
                let _ = store.put(&self.server, kept);
            }
        }
        session
    }
}

/// RFC 5246 §7.4.1.4: "If a client receives an extension type in
/// ServerHello that it did not request in the associated ClientHello, it
/// MUST abort the handshake with an unsupported_extension fatal alert."
fn check_server_extensions(
    offered: &ClientExtensions,
    got: &ServerExtensions,
) -> Result<(), Error> {
    // The rule is for a type "it did not request": we send
    // supported_groups, which RFC 8422 §5.2 gives no place in ServerHello,
    // but some servers echo it all the same; it asks nothing of us, and is
    // ignored (as BoringSSL does).
    let unrequested = got
        .unknown
        .iter()
        .any(|&t| t != extension_type::SUPPORTED_GROUPS);
    let unsolicited = unrequested
        || (got.server_name_ack && offered.server_name.is_none())
        || (got.alpn.is_some() && offered.alpn.is_none())
        || (got.session_ticket_ack && offered.session_ticket.is_none())
        || (got.ec_point_formats.is_some() && offered.ec_point_formats.is_none());
    if unsolicited {
        return Err(Error::UnsupportedExtension);
    }
    if let (Some(chosen), Some(list)) = (&got.alpn, &offered.alpn) {
        // RFC 7301 §3.2: the client must check the server picked one it offered.
        if !list.contains(chosen) {
            return Err(Error::IllegalParameter(
                "server chose an ALPN protocol we did not offer",
            ));
        }
    }
    // RFC 8422 §5.2: the server's list must include uncompressed.
    if let Some(formats) = &got.ec_point_formats {
        if !formats.contains(&EC_POINT_FORMAT_UNCOMPRESSED) {
            return Err(Error::IllegalParameter(
                "ec_point_formats without uncompressed",
            ));
        }
    }
    Ok(())
}

/// The group that names an ECDSA key's curve in supported_groups (RFC
/// 8422 §5.1.1); `None` for an RSA key.
fn ecdsa_curve(kind: PublicKeyKind) -> Option<NamedGroup> {
    match kind {
        PublicKeyKind::EcdsaP256 => Some(NamedGroup::Secp256r1),
        PublicKeyKind::EcdsaP384 => Some(NamedGroup::Secp384r1),
        PublicKeyKind::Rsa { .. } => None,
    }
}

/// A peer's signature scheme must be one we offered, and of the kind the
/// cipher suite names (ECDSA or RSA).
fn check_scheme(
    offered: &[SignatureScheme],
    scheme: SignatureScheme,
    suite: CipherSuite,
) -> Result<(), Error> {
    if !offered.contains(&scheme) || scheme.kind() != Some(suite.signature_kind()) {
        return Err(Error::IllegalParameter(
            "signature algorithm not offered or not fitting the suite",
        ));
    }
    Ok(())
}
