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

use record_layer::prf::{self, FinishedLabel};
use record_layer::record::ProtocolVersion;
use record_layer::secret::MasterSecret;
use record_layer::suites::CipherSuite;
use ring::rand::SystemRandom;
use session_store::{Session, SessionId};

use crate::client::kx_error;
use crate::common::{
    new_random, random_bytes, Action, Established, FinishedVerified, Negotiated, PeerAuthenticated,
    PendingKeys, Transcript,
};
use crate::config::{CertifiedKey, ClientAuth, ServerConfig};
use crate::error::Error;
use crate::extensions::{ClientExtensions, ServerExtensions, EC_POINT_FORMAT_UNCOMPRESSED};
use crate::kx::{EphemeralKey, NamedGroup};
use crate::messages::{
    client_certificate_type, Certificate, CertificateRequest, ClientHello, ClientKeyExchange,
    DigitallySigned, Finished, HandshakeMessage, HandshakePayload, ServerHello, ServerKeyExchange,
    COMPRESSION_NULL, TLS_EMPTY_RENEGOTIATION_INFO_SCSV,
};
use crate::sign::{self, SignatureScheme};
use crate::verify;

/// Where the server is in the handshake: each variant names what it expects next.
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
    master_secret: MasterSecret,
    requested: Option<Vec<SignatureScheme>>,
    peer: PeerAuthenticated,
}

/// The server side of one handshake.
pub struct ServerHandshake {
    config: Arc<ServerConfig>,
    state: ServerState,
    transcript: Transcript,
    rng: SystemRandom,
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
            config,
            state: ServerState::ExpectClientHello,
            transcript: Transcript::default(),
            rng: SystemRandom::new(),
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

    /// Feeds one handshake message from the client.
    pub fn handle_message(&mut self, msg: HandshakeMessage) -> Result<Vec<Action>, Error> {
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
                let sent = self.client_hello(hello, &mut actions)?;
                if sent.requested.is_some() {
                    ServerState::ExpectCertificate(sent)
                } else {
                    ServerState::ExpectClientKeyExchange(sent)
                }
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
                let est = self.client_finished(*keys, fin, &raw, &mut actions)?;
                actions.push(Action::Complete(Box::new(est)));
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
            _ => Err(Error::unexpected("ChangeCipherSpec out of order")),
        }
    }

    /// ClientHello (§7.4.1.2): choose, then send ServerHello, Certificate,
    /// ServerKeyExchange, [CertificateRequest] and ServerHelloDone.
    fn client_hello(
        &mut self,
        hello: ClientHello,
        actions: &mut Vec<Action>,
    ) -> Result<Box<KeyShareSent>, Error> {
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
        let ext = &hello.extensions;
        let secure_renegotiation = check_initial_renegotiation_info(&hello)?;
        let (cipher_suite, certified, scheme) = self.choose_suite(&hello)?;
        let group = self.choose_group(ext)?;
        let alpn = self.choose_alpn(ext)?;

        let mut session_id = [0u8; 32];
        random_bytes(&self.rng, &mut session_id)?;
        let neg = Negotiated {
            client_random: hello.random,
            server_random: new_random(&self.rng)?,
            session_id: SessionId::new(&session_id).ok_or(Error::Internal("session id"))?,
            cipher_suite,
            group: Some(group),
            server_name: ext.server_name.clone(),
            alpn,
            extended_master_secret: ext.extended_master_secret,
            secure_renegotiation,
            peer_certificates: Vec::new(),
        };
        self.send(
            actions,
            HandshakePayload::ServerHello(ServerHello {
                server_version: ProtocolVersion::TLS1_2,
                random: neg.server_random,
                session_id: neg.session_id,
                cipher_suite: cipher_suite.value(),
                compression_method: COMPRESSION_NULL,
                extensions: ServerExtensions {
                    server_name_ack: ext.server_name.is_some(),
                    ec_point_formats: ext
                        .ec_point_formats
                        .as_ref()
                        .map(|_| vec![EC_POINT_FORMAT_UNCOMPRESSED]),
                    alpn: neg.alpn.clone(),
                    extended_master_secret: neg.extended_master_secret,
                    session_ticket_ack: false,
                    renegotiation_info: secure_renegotiation.then(Vec::new),
                    unknown: Vec::new(),
                },
            }),
        );
        self.send(
            actions,
            HandshakePayload::Certificate(Certificate {
                certificate_list: certified.chain.clone(),
            }),
        );

        // RFC 8422 §5.4: sign client_random ‖ server_random ‖ ServerECDHParams.
        let key = EphemeralKey::generate(group, &self.rng).map_err(kx_error)?;
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
        ske.signed_params.signature = certified
            .key
            .sign(scheme, &message)
            .map_err(|_| Error::Internal("signing ServerKeyExchange failed"))?;
        self.send(actions, HandshakePayload::ServerKeyExchange(ske));

        let requested = match &self.config.client_auth {
            ClientAuth::None => None,
            ClientAuth::Optional(_) | ClientAuth::Required(_) => {
                let schemes = self.config.signature_schemes.clone();
                self.send(
                    actions,
                    HandshakePayload::CertificateRequest(CertificateRequest {
                        certificate_types: vec![
                            client_certificate_type::ECDSA_SIGN,
                            client_certificate_type::RSA_SIGN,
                        ],
                        supported_signature_algorithms: schemes.clone(),
                        certificate_authorities: Vec::new(),
                    }),
                );
                Some(schemes)
            }
        };
        self.send(actions, HandshakePayload::ServerHelloDone);
        Ok(Box::new(KeyShareSent {
            negotiated: neg,
            key,
            requested,
            peer: PeerAuthenticated::anonymous_client(),
        }))
    }

    /// The first suite, in the preferred order, that both sides support and
    /// for which we have a certificate whose key can sign with a scheme the
    /// client accepts.
    fn choose_suite(
        &self,
        hello: &ClientHello,
    ) -> Result<(CipherSuite, Arc<CertifiedKey>, SignatureScheme), Error> {
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
        // §7.4.1.4.1: without signature_algorithms the client supports only
        // SHA-1 signatures, which we never make.
        let offered = hello
            .extensions
            .signature_algorithms
            .as_deref()
            .unwrap_or(&[]);
        let mut any_common_suite = false;
        for suite in first.iter().filter(|s| second.contains(s)) {
            any_common_suite = true;
            for certified in &self.config.certificates {
                if certified.key.kind() != suite.signature_kind() {
                    continue;
                }
                let Some(scheme) = certified.key.choose_scheme(offered) else {
                    continue;
                };
                if ecdsa_curve_acceptable(scheme, &hello.extensions) {
                    return Ok((*suite, certified.clone(), scheme));
                }
            }
        }
        Err(if any_common_suite {
            Error::NoCommonSignatureScheme
        } else {
            Error::NoCommonCipherSuite
        })
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
        let now = (self.config.clock)();
        verify::verify_client_chain(
            &cert.certificate_list,
            anchors,
            i64::try_from(now).unwrap_or(i64::MAX),
        )?;
        sent.negotiated.peer_certificates = cert.certificate_list;
        Ok(())
    }

    /// ClientKeyExchange (RFC 8422 §5.7): finish ECDHE and derive the keys.
    fn client_key_exchange(
        &mut self,
        sent: KeyShareSent,
        cke: ClientKeyExchange,
        actions: &mut Vec<Action>,
    ) -> Result<Box<KeysComputed>, Error> {
        let pre_master_secret = sent.key.agree(&cke.ecdh_yc).map_err(kx_error)?;
        let neg = sent.negotiated;
        let hash = neg.cipher_suite.prf_hash();
        // RFC 7627 §4: the session hash covers ClientHello through
        // ClientKeyExchange, which the transcript now holds.
        let master_secret = if neg.extended_master_secret {
            let session_hash = self.transcript.hash(neg.cipher_suite);
            prf::extended_master_secret(hash, &pre_master_secret, session_hash.as_ref())
        } else {
            prf::master_secret(
                hash,
                &pre_master_secret,
                &neg.client_random.0,
                &neg.server_random.0,
            )
        };
        let key_block = neg.key_block(&master_secret);
        actions.push(Action::SetPendingKeys(Box::new(PendingKeys {
            read: key_block.client_write_state()?,
            write: key_block.server_write_state()?,
        })));
        Ok(Box::new(KeysComputed {
            negotiated: neg,
            master_secret,
            requested: sent.requested,
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
        keys.peer = PeerAuthenticated::by_signature();
        Ok(())
    }

    /// The client's Finished (§7.4.9); answer with ChangeCipherSpec and ours.
    fn client_finished(
        &mut self,
        keys: KeysComputed,
        fin: Finished,
        raw: &[u8],
        actions: &mut Vec<Action>,
    ) -> Result<Established, Error> {
        let neg = keys.negotiated;
        let expected = neg.verify_data(
            &keys.master_secret,
            FinishedLabel::ClientFinished,
            &self.transcript,
        );
        let finished = FinishedVerified::check(&expected, &fin.verify_data)?;
        self.transcript.add_raw(raw);

        actions.push(Action::SendChangeCipherSpec);
        let server_verify_data = neg.verify_data(
            &keys.master_secret,
            FinishedLabel::ServerFinished,
            &self.transcript,
        );
        self.send(
            actions,
            HandshakePayload::Finished(Finished {
                verify_data: server_verify_data,
            }),
        );
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
            client_verify_data: fin.verify_data,
            server_verify_data,
            peer: keys.peer,
            finished,
        })
    }

    fn send(&mut self, actions: &mut Vec<Action>, payload: HandshakePayload) {
        let msg = HandshakeMessage::new(payload);
        self.transcript.add(&msg);
        actions.push(Action::Send(msg));
    }
}

/// RFC 8422 §5.3: "the public key in the server's certificate MUST respect
/// the client's choice of elliptic curves. A server that cannot satisfy this
/// requirement MUST NOT choose an ECC cipher suite". Our ECDSA keys sign with
/// the scheme named for their curve, so the scheme says which curve it is.
fn ecdsa_curve_acceptable(scheme: SignatureScheme, ext: &ClientExtensions) -> bool {
    let curve = match scheme {
        SignatureScheme::EcdsaSecp256r1Sha256 => NamedGroup::Secp256r1,
        SignatureScheme::EcdsaSecp384r1Sha384 => NamedGroup::Secp384r1,
        _ => return true,
    };
    ext.supported_groups
        .as_ref()
        .is_none_or(|groups| groups.contains(&curve))
}

/// RFC 5746 §3.6 on an initial handshake: the client signals support with
/// the SCSV or an empty renegotiation_info. "If the extension is present
/// and the renegotiated_connection field is not empty, the server MUST
/// abort the handshake." Returns whether the client signalled support.
fn check_initial_renegotiation_info(hello: &ClientHello) -> Result<bool, Error> {
    let scsv = hello
        .cipher_suites
        .contains(&TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
    match &hello.extensions.renegotiation_info {
        Some(ri) if !ri.is_empty() => Err(Error::SecureRenegotiation(
            "initial ClientHello has a non-empty renegotiation_info",
        )),
        Some(_) => Ok(true),
        None => Ok(scsv),
    }
}
