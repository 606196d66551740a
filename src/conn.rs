//! A TLS connection (RFC 5246 §1, §6.1): one live link over one transport.
//!
//! A [`Connection`] owns what is *per connection*: the record layer's four
//! cipher states and their sequence numbers, the buffers of bytes in flight,
//! the handshake machine, its last handshake's values ([`Established`]:
//! randoms, group, ALPN, ...) and the RFC 5746 binding of that handshake
//! ([`RenegotiationBinding`]). It *refers* to its [`Session`] (shared,
//! `Arc`), which holds what a later connection may resume: the master
//! secret, the suite, the peer's identity. [`Connection`]'s documentation
//! maps each field of RFC 5246 §6.1's `SecurityParameters` to one of the
//! two.
//!
//! The connection does no I/O of its own ("sans-I/O"): feed it bytes with
//! [`Connection::read_tls`], let it work with [`Connection::process_new_packets`],
//! and send what [`Connection::write_tls`] gives. [`crate::Stream`] wraps
//! this into a blocking `Read + Write` over a socket.
//!
//! How a connection closes (§7.2.1), and what the application sees of it,
//! is told once, on [`Connection`].

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;

use handshake::config::CertifiedKey;
use handshake::kx::NamedGroup;
use handshake::messages::{HandshakeMessage, HandshakePayload, HandshakeType, MessageLimits};
use handshake::observe::{Direction, Observer, Protection, TraceEvent};
use handshake::sign::SignatureScheme;
use handshake::{Action, Established, PreviousHandshake, RenegotiationBinding};
use handshake::{
    ClientConfig, ClientHandshake, ClientOffer, ClientState, Error, ServerConfig, ServerHandshake,
    ServerState,
};
use record_layer::aead::CipherState;
use record_layer::alert::MAX_WARNING_ALERTS;
use record_layer::codec::{Codec, DecodeError};
use record_layer::deframer::{
    HandshakeHeader, HandshakeJoiner, IgnoredRecordLimiter, MessageDeframer, WarningAlertLimiter,
};
use record_layer::record::{
    check_plaintext, fragments, write_record, ContentType, ProtocolVersion,
};
use record_layer::states::CipherStates;
use record_layer::{Alert, AlertDescription, AlertLevel};
use session_store::{ServerId, Session};

use crate::buffers::{OutgoingRecords, ReceivedPlaintext};

/// The most events a connection keeps for [`Connection::next_event`]: an
/// application that never asks (as [`crate::Stream`] does not) must not
/// make a peer that renegotiates again and again grow the queue without
/// bound. Past it, the oldest event is dropped.
pub const MAX_QUEUED_EVENTS: usize = 32;

/// How many of the peer's requests to renegotiate a connection declines
/// (§7.2.2 `no_renegotiation`) before the next one ends it with
/// `unexpected_message`: a peer that asks again and again is making us
/// work and answer for nothing. Each refusal is a warning alert, so the
/// bound is that of a run of warnings,
/// [`MAX_WARNING_ALERTS`](record_layer::alert::MAX_WARNING_ALERTS).
pub const MAX_DECLINED_RENEGOTIATIONS: usize = MAX_WARNING_ALERTS;

/// Which end of the connection we are, and what a new handshake on it needs.
#[derive(Debug)]
enum Role {
    Client {
        config: Arc<ClientConfig>,
        server: ServerId,
    },
    Server {
        config: Arc<ServerConfig>,
    },
}

/// The handshake in progress on this connection.
#[derive(Debug)]
enum Machine {
    Client(Box<ClientHandshake>),
    Server(Box<ServerHandshake>),
}

/// A renegotiation this end starts (§7.4.1.1), as
/// [`Connection::renegotiate`], [`Connection::renegotiate_resuming`] and
/// [`Connection::renegotiate_with`] ask for it.
enum OwnRenegotiation {
    /// A client's new ClientHello.
    ClientHello(ClientOffer),
    /// A server's HelloRequest; the client's ClientHello that answers it
    /// is judged by this config.
    HelloRequest(Arc<ServerConfig>),
}

/// Something the application may want to know about, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A handshake completed: the first one, or a renegotiation. The
    /// connection's session is now [`Connection::session`].
    HandshakeComplete {
        /// 1 for the first handshake, 2 for the first renegotiation, ...
        handshake_count: u32,
        /// It resumed a session instead of making a new one.
        resumed: bool,
    },
    /// The peer declined a renegotiation with a `no_renegotiation`
    /// warning (§7.2.2); the connection goes on under the old keys.
    RenegotiationRefused,
    /// We declined the peer's request to renegotiate (the config's
    /// [`Renegotiation`](crate::Renegotiation) policy, or a peer without
    /// RFC 5746) with a `no_renegotiation` warning.
    RenegotiationDeclined,
}

/// One TLS 1.2 connection, client or server.
///
/// # Connection and session (RFC 5246 §1, §6.1, §7)
///
/// A connection holds its own values and refers to the session in force
/// (`Arc`, shared with the stores and with every connection that resumes
/// it); no value is held by both. RFC 5246 §6.1's `SecurityParameters`,
/// field by field:
///
/// | §6.1 field | here | lives in | whose |
/// |---|---|---|---|
/// | `entity` (ConnectionEnd) | client or server | [`Connection::client`] or [`Connection::server`] made it; [`Side`](crate::handshake::Side) in the machines | connection |
/// | `prf_algorithm` | SHA-256, or SHA-384 for the `_SHA384` suites (RFC 5288 §3) | [`Session::cipher_suite`]`.prf_hash()` | session |
/// | `bulk_cipher_algorithm` | AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305 | [`Session::cipher_suite`]`.bulk()`, a [`BulkAlgorithm`](crate::record_layer::aead::BulkAlgorithm); in use, each [`CipherState::bulk`] | session (choice), connection (state) |
/// | `cipher_type` | `aead`, always | no field: only AEAD suites exist here | — |
/// | `enc_key_length` | 16 or 32 | [`BulkAlgorithm::key_len`](crate::record_layer::aead::BulkAlgorithm::key_len) of the session's suite | session |
/// | `block_length` | none (AEAD) | no field | — |
/// | `fixed_iv_length` | 4 (GCM) or 12 (ChaCha20) | [`BulkAlgorithm::fixed_iv_len`](crate::record_layer::aead::BulkAlgorithm::fixed_iv_len) | session |
/// | `record_iv_length` | 8 (GCM's explicit nonce) or 0 | [`BulkAlgorithm::record_iv_len`](crate::record_layer::aead::BulkAlgorithm::record_iv_len) | session |
/// | `mac_algorithm`, `mac_length`, `mac_key_length` | `null`, 0, 0: an AEAD suite has no MAC (§6.2.3.3) | no field; the key block has no MAC keys | — |
/// | `compression_algorithm` | `null`, always (§7.4.1.2) | no field: a ClientHello must offer it, a ServerHello must choose it | — |
/// | `master_secret` | 48 bytes | [`Session::master_secret`] | session |
/// | `client_random` | 32 bytes | [`Established::client_random`] | connection |
/// | `server_random` | 32 bytes | [`Established::server_random`] | connection |
///
/// What §6.1 derives from them is the connection's: the key block of §6.3
/// ([`Established::key_block`]: the session's master secret with this
/// connection's randoms, so a resumed connection has new keys), installed
/// as the four cipher states with their sequence numbers
/// ([`Connection::cipher_states`]). Beside them, the connection keeps the
/// ALPN protocol ([`Connection::alpn_protocol`]: RFC 7301 §3.1, "only of the
/// connection"), the ServerHello's session id
/// ([`Established::server_hello_session_id`]: on a resumption by ticket the
/// client's own, RFC 5077 §3.4) and RFC 5746 §3.1's state
/// ([`Connection::renegotiation_binding`]); the session keeps its id,
/// suite, master secret, extended-master-secret flag (RFC 7627), peer
/// chain and server name. A client keeps its ticket and its identity
/// beside the session, in its store ([`ClientSession`](crate::ClientSession)).
/// `docs/connection-and-session.md` has the same table and the reasons.
///
/// # Closing (RFC 5246 §7.2.1)
///
/// "Either party may initiate a close by sending a close_notify alert. Any
/// data received after a closure alert is ignored. Unless some other fatal
/// alert has been transmitted, each party is required to send a
/// close_notify alert before closing the write side of the connection. The
/// other party MUST respond with a close_notify alert of its own and close
/// down the connection immediately, discarding any pending writes."
///
/// What the application sees:
///
/// - [`Connection::send_close_notify`] queues our close_notify, once. It
///   closes the write side: from then on
///   [`Connection::write_application_data`] and the renegotiation calls fail
///   with [`Error::Closed`], and nothing else is queued behind the alert (a
///   renegotiation request from the peer goes unanswered, a later fatal
///   alert unsent). Reading goes on: what the peer sent before it saw our
///   alert is still delivered, up to its own close_notify.
/// - When the peer's close_notify arrives, [`Connection::peer_closed`]
///   becomes true and the connection answers by itself: our close_notify is
///   queued, unless we sent one already or a fatal alert ended the
///   connection. The "pending writes" it discards are the application's:
///   from then on [`Connection::write_application_data`] fails with
///   [`Error::Closed`]. Records already sealed and queued for
///   [`Connection::write_tls`] go out before our alert: discarding them
///   would leave a gap in our sequence numbers (the alert would then fail
///   the peer's MAC check) unless their numbers, and with them their AEAD
///   nonces, were used again, and a nonce is never reused here. Send what
///   `write_tls` gives, then close the transport. Application data that
///   came before the alert stays readable; records after it are never
///   processed.
/// - [`crate::Stream`] and the async stream (feature `tokio`): `read` gives
///   `Ok(0)` at the peer's close_notify, once our answer is sent (best
///   effort: §7.2.1 lets the peer close without waiting for it); `write`
///   after either close fails with [`std::io::ErrorKind::BrokenPipe`];
///   `close` / `shutdown` sends close_notify once.
pub struct Connection {
    role: Role,
    /// The handshake in progress, if any: the first one, or a renegotiation.
    handshake: Option<Machine>,
    /// The §6.1 connection states: current and pending, read and write.
    states: CipherStates,
    deframer: MessageDeframer,
    joiner: HandshakeJoiner,
    /// Empty application data, warning alerts and ignored HelloRequests
    /// since the last application data with bytes.
    ignored_records: IgnoredRecordLimiter,
    /// Warning alerts in a row (CVE-2016-8610).
    warning_alerts: WarningAlertLimiter,
    /// Records sealed and waiting for the transport.
    outgoing: OutgoingRecords,
    /// Application data opened and not yet read by the application.
    received: ReceivedPlaintext,
    /// The last completed handshake: the session in force (shared), and
    /// this connection's own values of that handshake (randoms, group,
    /// ALPN, ...).
    established: Option<Box<Established>>,
    /// RFC 5746 §3.1's "Additional Connection State" (the
    /// secure_renegotiation flag, client_verify_data, server_verify_data)
    /// of the last completed handshake: what binds a renegotiation to this
    /// connection. Replaced at each completed handshake.
    renegotiation_binding: Option<RenegotiationBinding>,
    /// How many handshakes have completed on this connection.
    handshake_count: u32,
    /// How many of the peer's requests to renegotiate we took up: what the
    /// config's [`Renegotiation`](crate::Renegotiation) policy counts.
    peer_renegotiations: u32,
    /// How many of the peer's requests to renegotiate we declined.
    declined_renegotiations: usize,
    /// At most [`MAX_QUEUED_EVENTS`], the oldest dropped first.
    events: VecDeque<Event>,
    /// The peer's close_notify has arrived (§7.2.1).
    peer_closed: bool,
    /// Our close_notify is queued: the write side is closed (§7.2.1).
    sent_close: bool,
    /// The error that ended the connection, if any: every later call fails
    /// with it.
    failed: Option<Error>,
    /// Told about every record, message and state change.
    observer: Option<Arc<dyn Observer>>,
}

impl Connection {
    /// A client connection to `server`: a name (`localhost`, `127.0.0.1`)
    /// or a name and port (`localhost:8443`, `[::1]:8443`). The name is sent
    /// as SNI and checked against the certificate; name and port key the
    /// client session store. The ClientHello is queued at once.
    pub fn client(config: Arc<ClientConfig>, server: &str) -> Result<Self, Error> {
        let server = ServerId::parse(server).ok_or(Error::Config("not a server name"))?;
        let observer = connection_observer(&config.observer);
        let mut machine =
            ClientHandshake::new(config.clone(), server.clone()).with_observer(observer.clone());
        let actions = machine.start()?;
        let mut conn = Self::new(
            Role::Client { config, server },
            Machine::Client(Box::new(machine)),
            observer,
        );
        conn.run(actions)?;
        Ok(conn)
    }

    /// A server connection, waiting for a ClientHello.
    pub fn server(config: Arc<ServerConfig>) -> Self {
        let observer = connection_observer(&config.observer);
        let machine = ServerHandshake::new(config.clone()).with_observer(observer.clone());
        Self::new(
            Role::Server { config },
            Machine::Server(Box::new(machine)),
            observer,
        )
    }

    fn new(role: Role, machine: Machine, observer: Option<Arc<dyn Observer>>) -> Self {
        let limits = match &role {
            Role::Client { config, .. } => config.message_limits,
            Role::Server { config } => config.message_limits,
        };
        Self {
            observer,
            role,
            handshake: Some(machine),
            states: CipherStates::new(),
            deframer: MessageDeframer::new(),
            joiner: HandshakeJoiner::with_max_message(limits.ceiling()),
            ignored_records: IgnoredRecordLimiter::new(),
            warning_alerts: WarningAlertLimiter::new(),
            outgoing: OutgoingRecords::default(),
            received: ReceivedPlaintext::default(),
            established: None,
            renegotiation_binding: None,
            handshake_count: 0,
            peer_renegotiations: 0,
            declined_renegotiations: 0,
            events: VecDeque::new(),
            peer_closed: false,
            sent_close: false,
            failed: None,
        }
    }

    /// True until the first handshake has completed.
    pub fn is_handshaking(&self) -> bool {
        self.established.is_none()
    }

    /// The session now in force (RFC 5246 §7), once a handshake completed.
    pub fn session(&self) -> Option<&Arc<Session>> {
        self.established.as_ref().map(|e| &e.session)
    }

    /// The last completed handshake: the session it put in force, whether
    /// it resumed, and this connection's values of it.
    pub fn established(&self) -> Option<&Established> {
        self.established.as_deref()
    }

    /// The ECDHE group of the last handshake on this connection
    /// (RFC 8422 §5.4); `None` before it, or when the last handshake
    /// resumed a session (an abbreviated handshake exchanges no keys).
    pub fn negotiated_group(&self) -> Option<NamedGroup> {
        self.established()?.group
    }

    /// The scheme the peer signed with in the last handshake
    /// (ServerKeyExchange §7.4.3, CertificateVerify §7.4.8); `None` when
    /// it signed nothing (a resumption, a client without a certificate).
    pub fn peer_signature_scheme(&self) -> Option<SignatureScheme> {
        self.established()?.peer_signature_scheme
    }

    /// RFC 5746 §3.1's state of this connection after its last completed
    /// handshake: whether secure renegotiation is in use, and the
    /// `client_verify_data` and `server_verify_data` of that handshake's
    /// Finished messages, which the next handshake on this connection
    /// carries in `renegotiation_info` (§3.2). `None` before the first
    /// handshake completes; replaced by every renegotiation.
    pub fn renegotiation_binding(&self) -> Option<&RenegotiationBinding> {
        self.renegotiation_binding.as_ref()
    }

    /// The application protocol ALPN chose in the last handshake, e.g.
    /// `b"h2"` (RFC 7301 §3.2: "definitive for the connection, until
    /// renegotiated"); `None` before a handshake completed or when none
    /// was agreed. A property of the connection, not of its session
    /// (§3.1): a resumption negotiates it anew.
    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        self.established()?.alpn.as_deref()
    }

    /// Keying material for an application protocol, bound to this
    /// connection (RFC 5705 §4): `out.len()` bytes from `label` and, if
    /// given, `context`. Both ends get the same bytes for the same inputs;
    /// another connection, even one resuming the same session, gets
    /// others. Fails before the first handshake has completed, for a label
    /// TLS itself uses, for a context over 65535 bytes, and
    /// ([`Error::ExtendedMasterSecretRequired`]) when the session was made
    /// without the extended master secret (RFC 7627 §5.4: such a session
    /// "MUST disable \[RFC5705\]").
    pub fn export_keying_material(
        &self,
        label: &[u8],
        context: Option<&[u8]>,
        out: &mut [u8],
    ) -> Result<(), Error> {
        let est = self
            .established()
            .ok_or(Error::Config("no keying material before the handshake"))?;
        handshake::exporter::export_keying_material(est, label, context, out)
    }

    /// The certificate this end presented in the last handshake: the
    /// server's Certificate (§7.4.2) or the client's (§7.4.6), chosen from
    /// its config's list (compare with [`Arc::ptr_eq`]); `None` after an
    /// abbreviated handshake, which presents none, and for a client that
    /// sent no certificate.
    pub fn local_certificate(&self) -> Option<&Arc<CertifiedKey>> {
        self.established()?.local_certificate.as_ref()
    }

    /// The `tls-unique` channel binding (RFC 5929 §3.1): "the first
    /// Finished message sent ... in the most recent TLS handshake of the TLS
    /// connection being bound to", as its `verify_data`. The client sends
    /// the first Finished of a full handshake, the server that of an
    /// abbreviated one (§7.3, Figures 1 and 2). `None` before the first
    /// handshake has completed, and after an abbreviated handshake of a
    /// session without the extended master secret: there the Finished
    /// messages can be the same on two connections, and RFC 7627 §5.4 says
    /// "the client MUST disable ... any use of the "tls-unique" channel
    /// binding" (this stack never resumes such a session; the check stays
    /// where the rule applies).
    pub fn tls_unique(&self) -> Option<[u8; 12]> {
        let est = self.established()?;
        let finished = self.renegotiation_binding.as_ref()?;
        if est.resumed && !est.session.extended_master_secret {
            return None;
        }
        Some(if est.resumed {
            finished.server_verify_data
        } else {
            finished.client_verify_data
        })
    }

    /// How many handshakes have completed on this connection.
    pub fn handshake_count(&self) -> u32 {
        self.handshake_count
    }

    /// True while a renegotiation is in progress.
    pub fn is_renegotiating(&self) -> bool {
        self.established.is_some() && self.handshake.is_some()
    }

    /// The next event (handshake completed, renegotiation refused), if any:
    /// the last [`MAX_QUEUED_EVENTS`] are kept.
    pub fn next_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// True once the peer sent close_notify (§7.2.1); the connection has
    /// answered with its own (see [`Connection`], "Closing").
    pub fn peer_closed(&self) -> bool {
        self.peer_closed
    }

    /// The cipher states, for traces and tests.
    pub fn cipher_states(&self) -> &CipherStates {
        &self.states
    }

    /// True when records are waiting for [`Connection::write_tls`].
    pub fn wants_write(&self) -> bool {
        !self.outgoing.is_empty()
    }

    /// Reads bytes from the transport into the record buffer. `Ok(0)` is
    /// the transport's end of stream.
    ///
    /// Refuses (an `io::Error` of kind `Other`) while more than
    /// [`MAX_BUFFERED_PLAINTEXT`](crate::MAX_BUFFERED_PLAINTEXT) bytes of application data wait to be
    /// read: a peer must not make us buffer without bound.
    pub fn read_tls(&mut self, rd: &mut dyn io::Read) -> io::Result<usize> {
        if self.received.is_full() {
            return Err(io::Error::other(
                "received application data not read: read it before reading more records",
            ));
        }
        self.deframer.read_from(rd)
    }

    /// Writes queued records to the transport, once: the oldest first,
    /// as much as `wr` takes. Call again while
    /// [`wants_write`](Self::wants_write).
    pub fn write_tls(&mut self, wr: &mut dyn io::Write) -> io::Result<usize> {
        self.outgoing.write_to(wr)
    }

    /// Processes every complete record received so far. On an error the
    /// matching fatal alert is queued (§7.2.2), the session is made
    /// non-resumable, and the connection is dead.
    pub fn process_new_packets(&mut self) -> Result<(), Error> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        match self.process_records() {
            Ok(()) => Ok(()),
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Ends the connection for `e`: sends its alert (if any), invalidates the
    /// session (§7.2.2: "the session identifier MUST be invalidated"), and
    /// remembers the error.
    fn fail(&mut self, e: Error) -> Error {
        if let Some(description) = e.alert() {
            // Best effort: the connection is over whatever happens here.
            let _ = self.send_alert(Alert::fatal(description));
        }
        self.invalidate_session();
        self.failed = Some(e.clone());
        e
    }

    /// §7.2.2: after a fatal alert "the session identifier MUST be
    /// invalidated, preventing the failed session from being used to
    /// establish new connections": the session in force is marked
    /// non-resumable for every connection that shares it and taken out of
    /// the store.
    ///
    /// A session being *resumed* is not in force until the peer's Finished
    /// has verified under its master secret (§7.4.9): before that, the
    /// peer has proven nothing, and anyone who saw a session id in a
    /// ClientHello (it travels in the clear) could replay it with a broken
    /// Finished or a fatal alert and evict the session of the client that
    /// owns it. So such a failure leaves it alone; once the Finished has
    /// verified the handshake is complete, the session is in force, and a
    /// failure from then on ends it.
    fn invalidate_session(&self) {
        if let Some(session) = self.session() {
            self.invalidate(session);
        }
    }

    /// Marks `session` non-resumable and takes it out of the store.
    fn invalidate(&self, session: &Arc<Session>) {
        session.invalidate();
        notify(&self.observer, TraceEvent::SessionInvalidated { session });
        match &self.role {
            Role::Client { config, server } => {
                if let Some(store) = &config.session_store {
                    // The session is already marked non-resumable in
                    // memory; a store that fails here cannot be helped.
                    let _ = store.remove(server);
                }
            }
            Role::Server { config } => {
                if let (Some(store), false) = (&config.session_store, session.session_id.is_empty())
                {
                    let _ = store.remove(&session.session_id);
                }
            }
        }
    }

    /// Reads every complete record received so far, as Go's
    /// `readRecordOrCCS` does: each record is taken from the stream and
    /// opened ([`Connection::open_record`]), then read by the rules of its
    /// content type (§6.2.1), one function each.
    fn process_records(&mut self) -> Result<(), Error> {
        // A record is opened in place, in the deframer's buffer, and read
        // from there by a function that acts on the rest of the
        // connection: the deframer stands aside meanwhile.
        let mut deframer = core::mem::take(&mut self.deframer);
        let result = self.read_records(&mut deframer);
        self.deframer = deframer;
        result
    }

    fn read_records(&mut self, deframer: &mut MessageDeframer) -> Result<(), Error> {
        // §7.2.1: "Any data received after a closure alert is ignored."
        while !self.peer_closed {
            let Some((content_type, plaintext)) = self.open_record(deframer)? else {
                break;
            };
            // A run of warning alerts ends with any other record.
            if content_type != ContentType::Alert {
                self.warning_alerts.end_run();
            }
            match content_type {
                ContentType::ChangeCipherSpec => self.change_cipher_spec(plaintext)?,
                ContentType::Alert => self.alert(plaintext)?,
                ContentType::Handshake => self.handshake_fragment(plaintext)?,
                ContentType::ApplicationData => self.application_data(plaintext)?,
            }
        }
        Ok(())
    }

    /// The next complete record from `deframer`, opened under the current
    /// read state (§6.2.3) and checked as a `TLSPlaintext` (§6.2.1), or
    /// `None` until more bytes arrive.
    fn open_record<'d>(
        &mut self,
        deframer: &'d mut MessageDeframer,
    ) -> Result<Option<(ContentType, &'d [u8])>, Error> {
        let version_agreed = !self.awaiting_first_hello();
        let Some(record) = deframer.pop()? else {
            return Ok(None);
        };
        let header = record.header;
        check_record_version(header.version, version_agreed)?;
        let protection = protection(self.states.current_read());
        let plaintext = self
            .states
            .open(header.content_type, header.version, record.fragment)?;
        check_plaintext(header.content_type, plaintext.len())?;
        notify(
            &self.observer,
            TraceEvent::Record {
                direction: Direction::Received,
                content_type: header.content_type,
                length: plaintext.len(),
                protection,
            },
        );
        Ok(Some((header.content_type, plaintext)))
    }

    /// A ChangeCipherSpec record (§7.1): "The message consists of a single
    /// byte of value 1." The machine decides whether it is in order; then
    /// "Reception of this message causes the receiver to instruct the
    /// record layer to immediately copy the read pending state into the
    /// read current state."
    fn change_cipher_spec(&mut self, plaintext: &[u8]) -> Result<(), Error> {
        if plaintext != [1] {
            return Err(record_layer::Error::BadChangeCipherSpec.into());
        }
        match &mut self.handshake {
            Some(Machine::Client(m)) => m.handle_change_cipher_spec()?,
            Some(Machine::Server(m)) => m.handle_change_cipher_spec()?,
            None => {
                return Err(Error::unexpected_record(
                    "ChangeCipherSpec outside a handshake",
                ))
            }
        }
        // The keys change here (§7.1): handshake bytes sent before it were
        // sent under the old ones, and what would complete them comes under
        // the new. RFC 8446 §5.1 states for TLS 1.3 what holds as much for
        // 1.2: "Handshake messages MUST NOT span key changes.
        // Implementations MUST verify that all messages immediately
        // preceding a key change align with a record boundary; if not, then
        // they MUST terminate the connection with an "unexpected_message"
        // alert."
        if !self.joiner.is_empty() {
            return Err(record_layer::Error::ExcessHandshakeData("at ChangeCipherSpec").into());
        }
        self.states.change_read_state()?;
        if let Some(state) = self.states.current_read() {
            notify(
                &self.observer,
                TraceEvent::CipherStateChanged {
                    direction: Direction::Received,
                    bulk: state.bulk(),
                },
            );
        }
        Ok(())
    }

    /// An Alert record (§7.2): close_notify closes (§7.2.1), a fatal alert
    /// ends the connection, a warning asks for nothing.
    fn alert(&mut self, plaintext: &[u8]) -> Result<(), Error> {
        let alert = Alert::from_bytes(plaintext, "Alert")?;
        notify(
            &self.observer,
            TraceEvent::Alert {
                direction: Direction::Received,
                alert,
            },
        );
        match (alert.level, alert.description) {
            (_, AlertDescription::CloseNotify) => {
                self.close_notify_received();
                Ok(())
            }
            // §7.2.2: no_renegotiation answers our HelloRequest or
            // ClientHello; the connection goes on under the old keys.
            (AlertLevel::Warning, AlertDescription::NoRenegotiation)
                if self.is_renegotiating() && self.renegotiation_not_started() =>
            {
                self.handshake = None;
                self.push_event(Event::RenegotiationRefused);
                Ok(())
            }
            // Nothing to do, so a peer could send warnings forever: they
            // meet both limits.
            (AlertLevel::Warning, _) => {
                self.warning_alerts.add()?;
                Ok(self.ignored_records.add()?)
            }
            (AlertLevel::Fatal, _) => Err(record_layer::Error::PeerAlert(alert).into()),
        }
    }

    /// A Handshake record: its bytes join the handshake messages (§6.2.1:
    /// "multiple client messages of the same ContentType MAY be coalesced
    /// into a single TLSPlaintext record, or a single message MAY be
    /// fragmented across several records"), and each complete message is
    /// handled in order.
    fn handshake_fragment(&mut self, plaintext: &[u8]) -> Result<(), Error> {
        self.joiner.push(plaintext)?;
        self.process_handshake_messages()
    }

    /// An ApplicationData record (§10): "Application data messages are
    /// carried by the record layer and are fragmented, compressed, and
    /// encrypted based on the current connection state." Kept for the
    /// application, unless it may not come now.
    fn application_data(&mut self, plaintext: &[u8]) -> Result<(), Error> {
        if let Some(why) = self.application_data_refused() {
            return Err(Error::unexpected_record(why));
        }
        if plaintext.is_empty() {
            // §6.2.1: "Zero-length fragments of Application data MAY be
            // sent as they are potentially useful as a traffic analysis
            // countermeasure." Nothing to keep: an ignored record.
            return Ok(self.ignored_records.add()?);
        }
        self.ignored_records.end_run();
        self.received.push(plaintext);
        Ok(())
    }

    /// The peer's close_notify, answered here and now, whatever the
    /// application does next (§7.2.1): "The other party MUST respond with a
    /// close_notify alert of its own and close down the connection
    /// immediately". [`Connection`] tells what the application sees.
    fn close_notify_received(&mut self) {
        self.peer_closed = true;
        self.send_close_notify();
    }

    /// True until the peer's first hello has been read whole: the first
    /// ClientHello on a server, the first ServerHello on a client.
    fn awaiting_first_hello(&self) -> bool {
        self.established.is_none()
            && match &self.handshake {
                Some(Machine::Client(m)) => matches!(m.state(), ClientState::ExpectServerHello(_)),
                Some(Machine::Server(m)) => matches!(m.state(), ServerState::ExpectClientHello),
                None => false,
            }
    }

    /// Why an application-data record may not come now, if it may not.
    fn application_data_refused(&self) -> Option<&'static str> {
        let expecting_finished = match &self.handshake {
            Some(Machine::Client(m)) => matches!(m.state(), ClientState::ExpectFinished(_)),
            Some(Machine::Server(m)) => matches!(m.state(), ServerState::ExpectFinished(_)),
            None => false,
        };
        if self.established.is_none() {
            // §10: application data is only carried once a handshake has
            // established keys.
            Some("application data before the handshake")
        } else if expecting_finished {
            // §7.4.9: "A Finished message is always sent immediately after
            // a change cipher spec message".
            Some("application data between ChangeCipherSpec and Finished")
        } else if !self.joiner.is_empty() {
            // §6.2.1 lets record types interleave, and recipients "MUST ...
            // process interleaved application layer traffic during
            // handshakes subsequent to the first one": between a
            // renegotiation's messages. Inside one message it says nothing;
            // RFC 8446 §5.1 makes the rule explicit ("if a handshake message
            // is split over two or more records, there MUST NOT be any
            // other records between them"), no TLS 1.2 stack splits a
            // message around its data, and a peer that does would leave us
            // holding half a message (half a HelloRequest) for as long as
            // it likes. BoringSSL and rustls refuse it too.
            Some("application data inside a handshake message")
        } else {
            None
        }
    }

    /// True when the renegotiation in progress has not yet got an answer
    /// from the peer (our HelloRequest or ClientHello is unanswered).
    fn renegotiation_not_started(&self) -> bool {
        match &self.handshake {
            Some(Machine::Client(m)) => matches!(m.state(), ClientState::ExpectServerHello(_)),
            Some(Machine::Server(m)) => matches!(m.state(), ServerState::ExpectClientHello),
            None => false,
        }
    }

    /// Handles each complete handshake message (§7.4) the joiner holds:
    /// its header is judged before its body is buffered, then the message
    /// goes to the handshake in progress, or, outside one, is the peer's
    /// request to renegotiate.
    fn process_handshake_messages(&mut self) -> Result<(), Error> {
        while let Some(header) = self.joiner.next_header() {
            self.check_handshake_header(header)?;
            let Some(raw) = self.joiner.pop()? else {
                break;
            };
            let msg = HandshakeMessage::decode(raw.raw.to_vec())?;
            notify(
                &self.observer,
                TraceEvent::Handshake {
                    direction: Direction::Received,
                    message: &msg,
                },
            );
            if self.handshake.is_none() && !self.peer_renegotiation(&msg)? {
                continue;
            }
            // §7.4.1.1: "This message will be ignored by the client if the
            // client is currently negotiating a session." The machine
            // ignores it; a peer that keeps sending it is stalling us, and
            // each one counts as an ignored record.
            if matches!(msg.payload, HandshakePayload::HelloRequest) {
                self.ignored_records.add()?;
            }
            let actions = match &mut self.handshake {
                Some(Machine::Client(m)) => m.handle_message(msg)?,
                Some(Machine::Server(m)) => m.handle_message(msg)?,
                None => return Err(Error::unexpected("handshake message outside a handshake")),
            };
            self.check_end_of_flight(&actions)?;
            self.run(actions)?;
        }
        Ok(())
    }

    /// Before `actions`, the machine's answer to the message just handled,
    /// are carried out: if that message ended the peer's flight (we answer
    /// it, and the peer must now wait for our flight, §7.3) or completed
    /// the handshake, no handshake bytes may be left behind it. They could
    /// only be the start of a message the peer may send after our answer,
    /// or something packed with the Finished that completes a handshake (a
    /// HelloRequest), which would be read in the state of a handshake it
    /// was not sent in. BoringSSL refuses the same (EXCESS_HANDSHAKE_DATA),
    /// and RFC 8446 §5.1 requires it where a key change follows, as one
    /// does most of these ends.
    ///
    /// On refusal nothing of the answer goes out, only the alert (no
    /// NewSessionTicket for a handshake that failed), and a session the
    /// handshake has just made and stored is invalidated (§7.2.2).
    fn check_end_of_flight(&self, actions: &[Action]) -> Result<(), Error> {
        let ends = actions
            .iter()
            .any(|a| matches!(a, Action::Send(_) | Action::Complete { .. }));
        if !ends || self.joiner.is_empty() {
            return Ok(());
        }
        for action in actions {
            if let Action::Complete { established, .. } = action {
                self.invalidate(&established.session);
            }
        }
        Err(record_layer::Error::ExcessHandshakeData("after the end of the peer's flight").into())
    }

    /// Decides on a handshake message's four header bytes, before its body
    /// is buffered or decoded (RFC 5246 §7.4): its type must be one the
    /// handshake in progress takes now (outside a handshake, only a request
    /// to renegotiate), else `unexpected_message` whatever the body; then
    /// its length must be within that type's limit ([`MessageLimits`]).
    fn check_handshake_header(&mut self, header: HandshakeHeader) -> Result<(), Error> {
        let t = HandshakeType::from_value(header.msg_type)
            .ok_or(Error::unexpected("unknown handshake message type"))?;
        match (&mut self.handshake, &self.role) {
            (Some(Machine::Client(m)), _) => m.check_message_type(t)?,
            (Some(Machine::Server(m)), _) => m.check_message_type(t)?,
            (None, Role::Client { .. }) if t == HandshakeType::HelloRequest => {}
            (None, Role::Server { .. }) if t == HandshakeType::ClientHello => {}
            (None, _) => return Err(Error::unexpected(t.name())),
        }
        let limit = self.message_limits().max_body_len(t);
        if header.length <= limit {
            return Ok(());
        }
        // Over what the message's own vectors can hold, its length is wrong
        // (§7.2.2 decode_error: "the length of the message was incorrect");
        // over a limit of ours, illegal_parameter, as OpenSSL answers an
        // excessive message size.
        Err(match t.max_body_len() {
            Some(bound) if header.length > bound => DecodeError::LengthOutOfRange {
                what: t.name(),
                len: header.length,
                min: 0,
                max: bound,
            }
            .into(),
            _ => record_layer::Error::HandshakeMessageTooLarge {
                length: header.length,
                limit,
            }
            .into(),
        })
    }

    fn message_limits(&self) -> MessageLimits {
        match &self.role {
            Role::Client { config, .. } => config.message_limits,
            Role::Server { config } => config.message_limits,
        }
    }

    /// A handshake message outside a handshake: the peer asks to
    /// renegotiate (a server's HelloRequest, §7.4.1.1; a client's new
    /// ClientHello, §7.4.1.2). True when a new handshake has started and
    /// takes the message (a ClientHello); false when the request is
    /// answered here (a HelloRequest, by our new ClientHello) or declined.
    /// Anything else is unexpected.
    fn peer_renegotiation(&mut self, msg: &HandshakeMessage) -> Result<bool, Error> {
        match (&self.role, &msg.payload) {
            (Role::Client { .. }, HandshakePayload::HelloRequest) => {
                if let Some(prev) = self.take_up_peer_renegotiation()? {
                    let actions = self.renegotiation_client_hello(prev, ClientOffer::NewSession)?;
                    self.check_end_of_flight(&actions)?;
                    self.run(actions)?;
                }
                Ok(false)
            }
            (Role::Server { config }, HandshakePayload::ClientHello(_)) => {
                let config = config.clone();
                let Some(prev) = self.take_up_peer_renegotiation()? else {
                    return Ok(false);
                };
                let machine = ServerHandshake::renegotiation(config, prev)
                    .with_observer(self.observer.clone());
                self.handshake = Some(Machine::Server(Box::new(machine)));
                Ok(true)
            }
            (_, payload) => Err(Error::unexpected(payload.handshake_type().name())),
        }
    }

    /// Whether the peer's request to renegotiate is taken up: the one place
    /// where RFC 5746 and the config's [`Renegotiation`](crate::Renegotiation) policy apply.
    /// `Some` with what the new handshake binds to; `None` when declined
    /// (a `no_renegotiation` warning is queued) or left unanswered after
    /// our close_notify.
    fn take_up_peer_renegotiation(&mut self) -> Result<Option<PreviousHandshake>, Error> {
        // After our close_notify we send nothing more (§7.2.1): neither a
        // new handshake nor a refusal.
        if self.sent_close {
            return Ok(None);
        }
        let Some(prev) = self.previous_handshake() else {
            // The peer never signalled secure renegotiation. A client
            // asked by such a server, RFC 5746 §4.2: "It is RECOMMENDED
            // that clients refuse this renegotiation request. Clients that
            // do so MUST respond to such requests with a "no_renegotiation"
            // alert (RFC 5246 requires this alert to be at the "warning"
            // level)." A server asked by such a client, §4.4: "It is
            // RECOMMENDED that servers not permit legacy renegotiation."
            // Both refuse, always.
            self.decline_renegotiation()?;
            return Ok(None);
        };
        let policy = match &self.role {
            Role::Client { config, .. } => config.peer_renegotiation,
            Role::Server { config } => config.peer_renegotiation,
        };
        if !policy.allows(self.peer_renegotiations) {
            // Of HelloRequest, §7.4.1.1: "This message MAY be ignored by
            // the client if it does not wish to renegotiate a session, or
            // the client may, if it wishes, respond with a no_renegotiation
            // alert." We answer, as a server answers a ClientHello it does
            // not take up (§7.2.2), so that the peer need not wait.
            self.decline_renegotiation()?;
            return Ok(None);
        }
        self.peer_renegotiations = self.peer_renegotiations.saturating_add(1);
        Ok(Some(prev))
    }

    /// §7.2.2 `no_renegotiation`: "This message is always a warning." A
    /// peer that asks again and again, each time declined, is making us
    /// work and answer for nothing: after [`MAX_DECLINED_RENEGOTIATIONS`]
    /// refusals, the next request ends the connection with
    /// `unexpected_message`.
    fn decline_renegotiation(&mut self) -> Result<(), Error> {
        if self.declined_renegotiations == MAX_DECLINED_RENEGOTIATIONS {
            return Err(Error::unexpected(
                "renegotiation requested again after four refusals",
            ));
        }
        self.declined_renegotiations += 1;
        self.push_event(Event::RenegotiationDeclined);
        self.send_alert(Alert {
            level: AlertLevel::Warning,
            description: AlertDescription::NoRenegotiation,
        })
    }

    /// Queues `event`, dropping the oldest beyond [`MAX_QUEUED_EVENTS`].
    fn push_event(&mut self, event: Event) {
        if self.events.len() == MAX_QUEUED_EVENTS {
            self.events.pop_front();
        }
        self.events.push_back(event);
    }

    /// What a renegotiation needs from this connection: its RFC 5746
    /// binding and the session in force; `None` before the first handshake
    /// or when the peer never signalled RFC 5746.
    fn previous_handshake(&self) -> Option<PreviousHandshake> {
        PreviousHandshake::new(self.renegotiation_binding.as_ref()?, self.session()?)
    }

    /// Starts a renegotiation (§7.4.1.1): a client sends a new ClientHello
    /// under the current keys; a server sends HelloRequest and waits for
    /// the client's ClientHello. The connection keeps working meanwhile;
    /// [`Event::HandshakeComplete`] says when the new session is in force.
    ///
    /// Refused unless the first handshake is complete, none is in progress
    /// and the peer signalled RFC 5746 secure renegotiation. Not limited by
    /// the config's [`Renegotiation`](crate::Renegotiation) policy, which is for the peer's
    /// requests.
    ///
    /// A client's renegotiation makes a new session; see
    /// [`Connection::renegotiate_resuming`] for the abbreviated kind, and
    /// [`Connection::renegotiate_with`] for a server that asks for more.
    pub fn renegotiate(&mut self) -> Result<(), Error> {
        let own = match &self.role {
            Role::Client { .. } => OwnRenegotiation::ClientHello(ClientOffer::NewSession),
            Role::Server { config } => OwnRenegotiation::HelloRequest(config.clone()),
        };
        self.start_renegotiation(own)
    }

    /// A client's renegotiation that offers the session its store holds for
    /// this server: if the server agrees, an abbreviated handshake (§7.3
    /// Figure 2) switches the connection to that session with fresh keys.
    pub fn renegotiate_resuming(&mut self) -> Result<(), Error> {
        match self.role {
            Role::Client { .. } => {
                self.start_renegotiation(OwnRenegotiation::ClientHello(ClientOffer::StoredSession))
            }
            Role::Server { .. } => Err(Error::Config("renegotiate_resuming is for clients")),
        }
    }

    /// A server's renegotiation with another configuration: e.g. one that
    /// asks for a client certificate, once the client has asked for
    /// something that needs one (a step-up).
    ///
    /// Once the HelloRequest is sent, `config` replaces the connection's
    /// config for good: every later handshake on it, the client's own
    /// renegotiations included, is judged by the stepped-up policy (its
    /// client auth and anchors, its [`Renegotiation`](crate::Renegotiation) policy, its stores). A
    /// client that renegotiates again after a step-up must meet it again,
    /// by a full handshake or by resuming a session that satisfies it;
    /// otherwise it could trade the connection's checked identity for one
    /// the first config accepts (another chain, or none). Client
    /// renegotiations are kept, not refused, since a client may
    /// renegotiate for reasons of its own (fresh keys). This holds even if
    /// the client declines the HelloRequest: a step-up is never undone.
    pub fn renegotiate_with(&mut self, config: Arc<ServerConfig>) -> Result<(), Error> {
        match self.role {
            Role::Server { .. } => {
                self.start_renegotiation(OwnRenegotiation::HelloRequest(config.clone()))?;
                self.role = Role::Server { config };
                Ok(())
            }
            Role::Client { .. } => Err(Error::Config("renegotiate_with is for servers")),
        }
    }

    fn start_renegotiation(&mut self, own: OwnRenegotiation) -> Result<(), Error> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if self.sent_close {
            return Err(Error::Closed);
        }
        if self.handshake.is_some() {
            return Err(Error::Config("a handshake is already in progress"));
        }
        let prev = self
            .previous_handshake()
            .ok_or(Error::PeerLacksSecureRenegotiation)?;
        match own {
            OwnRenegotiation::ClientHello(offer) => {
                let actions = self.renegotiation_client_hello(prev, offer)?;
                self.run(actions).map_err(|e| self.fail(e))
            }
            OwnRenegotiation::HelloRequest(config) => self
                .send_hello_request(prev, config)
                .map_err(|e| self.fail(e)),
        }
    }

    /// A client's new handshake on this connection, bound to `prev`
    /// (RFC 5746 §3.5): the machine is started and its ClientHello
    /// returned, to be sent.
    fn renegotiation_client_hello(
        &mut self,
        prev: PreviousHandshake,
        offer: ClientOffer,
    ) -> Result<Vec<Action>, Error> {
        let Role::Client { config, server } = &self.role else {
            return Err(Error::Internal("a server does not send ClientHello"));
        };
        let mut machine =
            ClientHandshake::renegotiation(config.clone(), server.clone(), prev, offer)
                .with_observer(self.observer.clone());
        let actions = machine.start()?;
        self.handshake = Some(Machine::Client(Box::new(machine)));
        Ok(actions)
    }

    /// A server's HelloRequest (§7.4.1.1): "HelloRequest is a simple
    /// notification that the client should begin the negotiation process
    /// anew." The handshake it asks for waits for the client's ClientHello,
    /// and judges it by `config`.
    fn send_hello_request(
        &mut self,
        prev: PreviousHandshake,
        config: Arc<ServerConfig>,
    ) -> Result<(), Error> {
        let machine =
            ServerHandshake::renegotiation(config, prev).with_observer(self.observer.clone());
        self.handshake = Some(Machine::Server(Box::new(machine)));
        let hello_request = HandshakeMessage::new(HandshakePayload::HelloRequest);
        // A message like the machine's, so a trace or page shows it as one.
        notify(
            &self.observer,
            TraceEvent::Handshake {
                direction: Direction::Sent,
                message: &hello_request,
            },
        );
        self.send_plaintext(ContentType::Handshake, &hello_request.raw)
    }

    /// Carries out a machine's actions, in order.
    fn run(&mut self, actions: Vec<Action>) -> Result<(), Error> {
        for action in actions {
            match action {
                Action::Send(msg) => {
                    notify(
                        &self.observer,
                        TraceEvent::Handshake {
                            direction: Direction::Sent,
                            message: &msg,
                        },
                    );
                    self.send_plaintext(ContentType::Handshake, &msg.raw)?
                }
                Action::SetPendingKeys(keys) => {
                    self.states.set_pending(keys.read, keys.write);
                    notify(&self.observer, TraceEvent::KeysPending);
                }
                Action::SendChangeCipherSpec => {
                    self.send_plaintext(ContentType::ChangeCipherSpec, &[1])?;
                    self.states.change_write_state()?;
                    if let Some(state) = self.states.current_write() {
                        notify(
                            &self.observer,
                            TraceEvent::CipherStateChanged {
                                direction: Direction::Sent,
                                bulk: state.bulk(),
                            },
                        );
                    }
                }
                Action::Complete {
                    established,
                    renegotiation_binding,
                } => self.complete(established, renegotiation_binding),
            }
        }
        Ok(())
    }

    /// A handshake completed: the connection stays, its session and its
    /// values are replaced, and so is its RFC 5746 binding (§3.1: "the
    /// immediately previous handshake").
    fn complete(&mut self, est: Box<Established>, binding: RenegotiationBinding) {
        self.handshake_count += 1;
        self.push_event(Event::HandshakeComplete {
            handshake_count: self.handshake_count,
            resumed: est.resumed,
        });
        notify(
            &self.observer,
            TraceEvent::SessionEstablished {
                established: &est,
                renegotiation_binding: &binding,
                replaced: self.session(),
                handshake_count: self.handshake_count,
            },
        );
        let key_log = match &self.role {
            Role::Client { config, .. } => config.key_log.as_ref(),
            Role::Server { config } => config.key_log.as_ref(),
        };
        crate::keylog::log(key_log, &est);
        self.established = Some(est);
        self.renegotiation_binding = Some(binding);
        self.handshake = None;
    }

    /// Fragments `data` into records of `content_type` (§6.2.1) and
    /// protects each in place under the current write state.
    ///
    /// Nothing follows our close_notify: §7.2.1 has each party send it
    /// "before closing the write side of the connection".
    fn send_plaintext(&mut self, content_type: ContentType, data: &[u8]) -> Result<(), Error> {
        if self.sent_close {
            return Err(Error::Closed);
        }
        for fragment in fragments(data, record_layer::record::MAX_PLAINTEXT) {
            let queue = self.outgoing.queue();
            let layout = write_record(
                queue,
                content_type,
                ProtocolVersion::TLS1_2,
                fragment,
                self.states.write_nonce_explicit_len(),
                self.states.write_tag_len(),
            );
            let protection = protection(self.states.current_write());
            self.states
                .seal(&mut queue[layout.header.start..layout.overhead_after.end])?;
            notify(
                &self.observer,
                TraceEvent::Record {
                    direction: Direction::Sent,
                    content_type,
                    length: fragment.len(),
                    protection,
                },
            );
        }
        Ok(())
    }

    fn send_alert(&mut self, alert: Alert) -> Result<(), Error> {
        notify(
            &self.observer,
            TraceEvent::Alert {
                direction: Direction::Sent,
                alert,
            },
        );
        self.send_plaintext(ContentType::Alert, &alert.to_bytes())
    }

    /// Queues application data (§10), protected by the current keys.
    ///
    /// Refused with [`Error::Closed`] once close_notify has been sent, ours
    /// or our answer to the peer's (see [`Connection`], "Closing").
    pub fn write_application_data(&mut self, data: &[u8]) -> Result<(), Error> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if self.sent_close {
            return Err(Error::Closed);
        }
        if self.established.is_none() {
            return Err(Error::Internal(
                "application data before the handshake completed",
            ));
        }
        let result = self.send_plaintext(ContentType::ApplicationData, data);
        result.map_err(|e| self.fail(e))
    }

    /// Moves received application data into `buf`; returns how much.
    pub fn read_application_data(&mut self, buf: &mut [u8]) -> usize {
        self.received.read(buf)
    }

    /// Bytes of application data waiting to be read.
    pub fn application_data_available(&self) -> usize {
        self.received.len()
    }

    /// Bytes allocated for received application data, read or not: for
    /// memory accounting and tests. However the application reads, this
    /// stays within about [`MAX_BUFFERED_PLAINTEXT`](crate::MAX_BUFFERED_PLAINTEXT) plus one batch of
    /// records.
    pub fn received_buffer_capacity(&self) -> usize {
        self.received.capacity()
    }

    /// Bytes allocated for all the connection's buffers (records received,
    /// handshake messages, received application data, records to send),
    /// used or not: what [`release_idle_buffers`](Self::release_idle_buffers)
    /// gives back once they are empty. For memory accounting and tests.
    pub fn buffer_capacity(&self) -> usize {
        self.deframer.capacity()
            + self.joiner.capacity()
            + self.received.capacity()
            + self.outgoing.capacity()
    }

    /// Queues close_notify (§7.2.1: "Either party may initiate a close by
    /// sending a close_notify alert"), once, and closes the write side:
    /// nothing more is queued after it (see [`Connection`], "Closing").
    /// Does nothing after a fatal alert: §7.2.1 asks for close_notify
    /// "unless some other fatal alert has been transmitted".
    pub fn send_close_notify(&mut self) {
        if !self.sent_close && self.failed.is_none() {
            // Failing to seal an alert can only be sequence exhaustion; the
            // connection is closing anyway.
            let _ = self.send_alert(Alert::close_notify());
            self.sent_close = true;
        }
    }

    /// Gives back the memory of every buffer that holds nothing: received
    /// records and handshake messages, decrypted application data, records
    /// already sent. For a connection about to wait for its peer: an idle
    /// connection then keeps only its keys and its session (see
    /// docs/benchmarks.md, "Memory per connection"). [`Stream`](crate::Stream) and the
    /// async stream (feature `tokio`) call it whenever their transport has
    /// nothing to read and they are about to wait. Not called on the data
    /// path itself, where reusing the buffers saves an allocation per record.
    pub fn release_idle_buffers(&mut self) {
        self.deframer.release_if_empty();
        self.joiner.release_if_empty();
        self.received.release_if_empty();
        self.outgoing.release_if_empty();
    }

    /// True when the deframer holds part of a record: at end of stream this
    /// means the peer's last record was cut short.
    pub fn has_partial_record(&self) -> bool {
        !self.deframer.is_empty()
    }
}

impl core::fmt::Debug for Connection {
    /// What a log may show: the role, whether a handshake is under way,
    /// the session's id and suite, and how many bytes wait in each buffer.
    /// Never the bytes: decrypted application data and handshake plaintext
    /// are the peer's secrets (an observer such as the `tls12-trace`
    /// crate's prints what it is asked to).
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let side = match self.role {
            Role::Client { .. } => "client",
            Role::Server { .. } => "server",
        };
        f.debug_struct("Connection")
            .field("side", &side)
            .field("handshake_in_progress", &self.handshake.is_some())
            .field("session", &self.session().map(|s| s.session_id))
            .field("cipher_suite", &self.session().map(|s| s.cipher_suite))
            .field("handshake_count", &self.handshake_count)
            .field("outgoing_bytes", &self.outgoing.unsent_len())
            .field("received_bytes", &self.application_data_available())
            .field("peer_closed", &self.peer_closed)
            .field("sent_close", &self.sent_close)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

/// §6.2.1: once the hellos agreed on TLS 1.2, every record carries
/// {03,03}. Before that nothing is agreed: §E.1 has a server "accept any
/// value {03,XX} as the record layer version number for ClientHello", in
/// each record the first ClientHello may take, and a server that does not
/// know our version yet may do the same up to its ServerHello (§6.2.1: a
/// client "may not know what version will be employed before it receives
/// the ServerHello"; Appendix D.4 asks "Do you ignore the TLS record layer
/// version number in all TLS records before ServerHello?"). The version
/// that counts is the hello's, checked in it.
fn check_record_version(version: ProtocolVersion, agreed: bool) -> Result<(), Error> {
    if agreed && version != ProtocolVersion::TLS1_2 {
        return Err(record_layer::Error::BadRecordVersion(version.0).into());
    }
    Ok(())
}

/// Tells the observer, if there is one.
/// The observer of one connection: the config's, or the one it hands each
/// connection ([`Observer::connection_observer`]).
fn connection_observer(config: &Option<Arc<dyn Observer>>) -> Option<Arc<dyn Observer>> {
    config.clone().map(|o| o.connection_observer().unwrap_or(o))
}

fn notify(observer: &Option<Arc<dyn Observer>>, event: TraceEvent<'_>) {
    if let Some(observer) = observer {
        observer.event(&event);
    }
}

/// How the record now being sealed or opened is protected.
fn protection(state: Option<&CipherState>) -> Protection {
    match state {
        Some(state) => Protection::Aead {
            bulk: state.bulk(),
            seq_num: state.seq_num(),
        },
        None => Protection::Unprotected,
    }
}
