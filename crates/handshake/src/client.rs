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

use record_layer::prf::{self, FinishedLabel};
use record_layer::record::ProtocolVersion;
use record_layer::secret::MasterSecret;
use record_layer::suites::CipherSuite;
use ring::rand::SystemRandom;
use session_store::{Session, SessionId};

use crate::common::{
    new_random, Action, Established, FinishedVerified, Negotiated, PeerAuthenticated, PendingKeys,
    Transcript,
};
use crate::config::{CertifiedKey, ClientConfig};
use crate::error::Error;
use crate::extensions::{ClientExtensions, ServerExtensions, EC_POINT_FORMAT_UNCOMPRESSED};
use crate::kx::{EphemeralKey, KeyExchangeError};
use crate::messages::{
    client_certificate_type, Certificate, CertificateRequest, ClientHello, ClientKeyExchange,
    DigitallySigned, Finished, HandshakeMessage, HandshakePayload, ServerHello, ServerKeyExchange,
    COMPRESSION_NULL,
};
use crate::sign::{self, SignatureScheme};
use crate::verify;

/// Where the client is in the handshake: each variant names what it expects next.
#[derive(Debug)]
pub enum ClientState {
    /// ClientHello not yet sent.
    Start,
    /// ClientHello sent (§7.4.1.3).
    ExpectServerHello(Box<HelloSent>),
    /// ServerHello received (§7.4.2).
    ExpectCertificate(Box<Negotiated>),
    /// The server's chain is valid (§7.4.3).
    ExpectServerKeyExchange(Box<Negotiated>),
    /// The server proved its key (§7.4.4, §7.4.5).
    ExpectCertificateRequestOrServerHelloDone(Box<KeyShareReceived>),
    /// The server asked for our certificate (§7.4.5).
    ExpectServerHelloDone(Box<KeyShareReceived>, CertificateRequest),
    /// Our Finished is sent (§7.1).
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
}

/// A verified server key share, waiting for ServerHelloDone.
#[derive(Debug)]
pub struct KeyShareReceived {
    negotiated: Negotiated,
    server_public: Vec<u8>,
    peer: PeerAuthenticated,
}

/// The master secret is known and our Finished is sent.
#[derive(Debug)]
pub struct KeysComputed {
    negotiated: Negotiated,
    master_secret: MasterSecret,
    client_verify_data: [u8; 12],
    peer: PeerAuthenticated,
}

/// The client side of one handshake (and, later, of the handshakes that
/// renegotiate the same connection).
pub struct ClientHandshake {
    config: Arc<ClientConfig>,
    server_name: String,
    state: ClientState,
    transcript: Transcript,
    rng: SystemRandom,
}

impl core::fmt::Debug for ClientHandshake {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientHandshake")
            .field("server_name", &self.server_name)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl ClientHandshake {
    /// A handshake with the server called `server_name` (a DNS name or an IP
    /// literal), checked against `config`'s trust anchors.
    pub fn new(config: Arc<ClientConfig>, server_name: &str) -> Self {
        Self {
            config,
            server_name: server_name.to_ascii_lowercase(),
            state: ClientState::Start,
            transcript: Transcript::default(),
            rng: SystemRandom::new(),
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

    /// Sends ClientHello (§7.4.1.2).
    pub fn start(&mut self) -> Result<Vec<Action>, Error> {
        match core::mem::replace(&mut self.state, ClientState::Failed) {
            ClientState::Start => {}
            _ => return Err(Error::Internal("handshake already started")),
        }
        let hello = self.client_hello()?;
        let msg = HandshakeMessage::new(HandshakePayload::ClientHello(hello.clone()));
        self.transcript.add(&msg);
        self.state = ClientState::ExpectServerHello(Box::new(HelloSent { hello }));
        Ok(vec![Action::Send(msg)])
    }

    fn client_hello(&self) -> Result<ClientHello, Error> {
        let c = &self.config;
        // RFC 6066 §3: "Literal IPv4 and IPv6 addresses are not permitted
        // in "HostName"."
        let server_name = (self.server_name.parse::<std::net::IpAddr>().is_err())
            .then(|| self.server_name.clone());
        Ok(ClientHello {
            client_version: ProtocolVersion::TLS1_2,
            random: new_random(&self.rng)?,
            session_id: SessionId::EMPTY,
            cipher_suites: c.cipher_suites.iter().map(|s| s.value()).collect(),
            compression_methods: vec![COMPRESSION_NULL],
            extensions: ClientExtensions {
                server_name,
                supported_groups: Some(c.groups.clone()),
                ec_point_formats: Some(vec![EC_POINT_FORMAT_UNCOMPRESSED]),
                signature_algorithms: Some(c.signature_schemes.clone()),
                alpn: (!c.alpn_protocols.is_empty()).then(|| c.alpn_protocols.clone()),
                extended_master_secret: true,
                session_ticket: None,
                // RFC 5746 §3.4: on the initial handshake, an empty
                // renegotiation_info (or the SCSV) signals support.
                renegotiation_info: Some(Vec::new()),
                unknown: Vec::new(),
            },
        })
    }

    /// Feeds one handshake message from the server.
    pub fn handle_message(&mut self, msg: HandshakeMessage) -> Result<Vec<Action>, Error> {
        // §7.4.1.1: "This message will be ignored by the client if the
        // client is currently negotiating a session."
        if matches!(msg.payload, HandshakePayload::HelloRequest)
            && !matches!(self.state, ClientState::Traffic | ClientState::Failed)
        {
            return Ok(Vec::new());
        }
        let state = core::mem::replace(&mut self.state, ClientState::Failed);
        let HandshakeMessage { payload, raw } = msg;
        // The server's Finished is checked against the transcript *before*
        // it, and it is the last message of the handshake, so it is not added.
        if !matches!(payload, HandshakePayload::Finished(_)) {
            self.transcript.add_raw(&raw);
        }
        let mut actions = Vec::new();
        self.state = match (state, payload) {
            (ClientState::ExpectServerHello(sent), HandshakePayload::ServerHello(hello)) => {
                ClientState::ExpectCertificate(Box::new(self.server_hello(&sent, hello)?))
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
            ) => ClientState::ExpectChangeCipherSpec(self.server_hello_done(
                *ks,
                None,
                &mut actions,
            )?),
            (ClientState::ExpectServerHelloDone(ks, req), HandshakePayload::ServerHelloDone) => {
                ClientState::ExpectChangeCipherSpec(self.server_hello_done(
                    *ks,
                    Some(req),
                    &mut actions,
                )?)
            }
            (ClientState::ExpectFinished(keys), HandshakePayload::Finished(fin)) => {
                actions.push(Action::Complete(Box::new(
                    self.server_finished(*keys, fin)?,
                )));
                ClientState::Traffic
            }
            (_, payload) => {
                return Err(Error::unexpected(payload.handshake_type().name()));
            }
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
            _ => Err(Error::unexpected("ChangeCipherSpec out of order")),
        }
    }

    /// ServerHello (§7.4.1.3): check every choice against what we offered.
    fn server_hello(&self, sent: &HelloSent, hello: ServerHello) -> Result<Negotiated, Error> {
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
        // RFC 5746 §3.4: "the client MUST then verify that the length of
        // the "renegotiated_connection" field is zero, and if it is not,
        // MUST abort the handshake (by sending a fatal handshake_failure
        // alert)."
        if ext
            .renegotiation_info
            .as_ref()
            .is_some_and(|ri| !ri.is_empty())
        {
            return Err(Error::SecureRenegotiation(
                "initial ServerHello has a non-empty renegotiation_info",
            ));
        }
        Ok(Negotiated {
            client_random: sent.hello.random,
            server_random: hello.random,
            session_id: hello.session_id,
            cipher_suite,
            group: None,
            server_name: sent.hello.extensions.server_name.clone(),
            alpn: ext.alpn.clone(),
            extended_master_secret: ext.extended_master_secret,
            secure_renegotiation: ext.renegotiation_info.is_some(),
            peer_certificates: Vec::new(),
        })
    }

    /// The server's Certificate (§7.4.2): the chain must lead to a trust
    /// anchor and name the server we asked for.
    fn server_certificate(
        &self,
        mut neg: Box<Negotiated>,
        cert: Certificate,
    ) -> Result<Box<Negotiated>, Error> {
        let now = (self.config.clock)();
        verify::verify_server_chain(
            &cert.certificate_list,
            &self.config.trust_anchors,
            &self.server_name,
            i64::try_from(now).unwrap_or(i64::MAX),
        )?;
        // §7.4.2: "The end entity certificate's public key (and associated
        // restrictions) MUST be compatible with the selected key exchange
        // algorithm."
        let leaf = cert
            .certificate_list
            .first()
            .ok_or(Error::Certificate(verify::CertificateError::EmptyChain))?;
        if verify::public_key_kind(leaf)?.signature_kind() != neg.cipher_suite.signature_kind() {
            return Err(Error::IllegalParameter(
                "server certificate key does not fit the cipher suite",
            ));
        }
        neg.peer_certificates = cert.certificate_list;
        Ok(neg)
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
        Ok(KeyShareReceived {
            negotiated: neg,
            server_public: ske.public,
            peer: PeerAuthenticated::by_signature(),
        })
    }

    /// ServerHelloDone (§7.4.5): send our flight, compute the keys, switch
    /// our write state and send Finished.
    fn server_hello_done(
        &mut self,
        ks: KeyShareReceived,
        request: Option<CertificateRequest>,
        actions: &mut Vec<Action>,
    ) -> Result<Box<KeysComputed>, Error> {
        let KeyShareReceived {
            negotiated: neg,
            server_public,
            peer,
        } = ks;
        // §7.4.6: "This message is only sent if the server requests a
        // certificate. If no suitable certificate is available, the client
        // MUST send a certificate message containing no certificates."
        let client_key = request
            .as_ref()
            .map(|req| (req, self.pick_client_certificate(req)));
        if let Some((_, chosen)) = &client_key {
            let certificate_list = chosen
                .as_ref()
                .map(|(ck, _)| ck.chain.clone())
                .unwrap_or_default();
            self.send(
                actions,
                HandshakePayload::Certificate(Certificate { certificate_list }),
            );
        }

        let group = neg.group.ok_or(Error::Internal("no group negotiated"))?;
        let key = EphemeralKey::generate(group, &self.rng).map_err(kx_error)?;
        let ecdh_yc = key.public_key().to_vec();
        let pre_master_secret = key.agree(&server_public).map_err(kx_error)?;
        self.send(
            actions,
            HandshakePayload::ClientKeyExchange(ClientKeyExchange { ecdh_yc }),
        );
        let master_secret = self.master_secret(&neg, &pre_master_secret);

        // §7.4.8: CertificateVerify signs every handshake message so far.
        if let Some((_, Some((ck, scheme)))) = &client_key {
            let signature = ck
                .key
                .sign(*scheme, self.transcript.bytes())
                .map_err(|_| Error::Internal("signing CertificateVerify failed"))?;
            self.send(
                actions,
                HandshakePayload::CertificateVerify(DigitallySigned {
                    algorithm: *scheme,
                    signature,
                }),
            );
        }

        let key_block = neg.key_block(&master_secret);
        actions.push(Action::SetPendingKeys(Box::new(PendingKeys {
            read: key_block.server_write_state()?,
            write: key_block.client_write_state()?,
        })));
        actions.push(Action::SendChangeCipherSpec);
        let client_verify_data = neg.verify_data(
            &master_secret,
            FinishedLabel::ClientFinished,
            &self.transcript,
        );
        self.send(
            actions,
            HandshakePayload::Finished(Finished {
                verify_data: client_verify_data,
            }),
        );
        Ok(Box::new(KeysComputed {
            negotiated: neg,
            master_secret,
            client_verify_data,
            peer,
        }))
    }

    /// The client certificate to send for `req`, if ours fits: its key type
    /// must be in `certificate_types` and one of its schemes must be in
    /// `supported_signature_algorithms` (§7.4.4).
    fn pick_client_certificate(
        &self,
        req: &CertificateRequest,
    ) -> Option<(Arc<CertifiedKey>, SignatureScheme)> {
        let ck = self.config.client_certificate.clone()?;
        let wanted_type = match ck.key.kind() {
            record_layer::suites::SignatureKind::Ecdsa => client_certificate_type::ECDSA_SIGN,
            record_layer::suites::SignatureKind::Rsa => client_certificate_type::RSA_SIGN,
        };
        if !req.certificate_types.contains(&wanted_type) {
            return None;
        }
        let scheme = ck.key.choose_scheme(&req.supported_signature_algorithms)?;
        Some((ck, scheme))
    }

    /// The master secret (§8.1), or the extended one (RFC 7627 §4) whose
    /// session hash covers the messages through ClientKeyExchange.
    fn master_secret(&self, neg: &Negotiated, pre_master_secret: &[u8]) -> MasterSecret {
        let hash = neg.cipher_suite.prf_hash();
        if neg.extended_master_secret {
            let session_hash = self.transcript.hash(neg.cipher_suite);
            prf::extended_master_secret(hash, pre_master_secret, session_hash.as_ref())
        } else {
            prf::master_secret(
                hash,
                pre_master_secret,
                &neg.client_random.0,
                &neg.server_random.0,
            )
        }
    }

    /// The server's Finished (§7.4.9) completes the handshake.
    fn server_finished(&mut self, keys: KeysComputed, fin: Finished) -> Result<Established, Error> {
        let expected = keys.negotiated.verify_data(
            &keys.master_secret,
            FinishedLabel::ServerFinished,
            &self.transcript,
        );
        let finished = FinishedVerified::check(&expected, &fin.verify_data)?;
        let neg = keys.negotiated;
        let session = Session::new(
            neg.session_id,
            neg.cipher_suite,
            keys.master_secret,
            neg.extended_master_secret,
            neg.peer_certificates.clone(),
            neg.server_name.clone(),
            neg.alpn.clone(),
            (self.config.clock)(),
        );
        Ok(Established {
            session: Arc::new(session),
            resumed: false,
            negotiated: neg,
            client_verify_data: keys.client_verify_data,
            server_verify_data: fin.verify_data,
            peer: keys.peer,
            finished,
        })
    }

    /// Queues a message and adds it to the transcript.
    fn send(&mut self, actions: &mut Vec<Action>, payload: HandshakePayload) {
        let msg = HandshakeMessage::new(payload);
        self.transcript.add(&msg);
        actions.push(Action::Send(msg));
    }
}

/// RFC 5246 §7.4.1.4: "If a client receives an extension type in
/// ServerHello that it did not request in the associated ClientHello, it
/// MUST abort the handshake with an unsupported_extension fatal alert."
fn check_server_extensions(
    offered: &ClientExtensions,
    got: &ServerExtensions,
) -> Result<(), Error> {
    let unsolicited = !got.unknown.is_empty()
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

pub(crate) fn kx_error(e: KeyExchangeError) -> Error {
    match e {
        KeyExchangeError::BadPeerPublicKey => Error::BadKeyShare,
        KeyExchangeError::UnsupportedGroup(_) => Error::NoCommonGroup,
        KeyExchangeError::Random => Error::Internal("key generation failed"),
    }
}
