//! A TLS connection (RFC 5246 §1, §6.1): one live link over one transport.
//!
//! A [`Connection`] owns what is *per connection*: the record layer's four
//! cipher states and their sequence numbers, the buffers of bytes in flight,
//! the handshake machine, and the verify_data of its last handshake. It
//! *refers* to its [`Session`] (shared, `Arc`), which holds what a later
//! connection may resume: the master secret, the suite, the peer's identity.
//!
//! The connection does no I/O of its own ("sans-I/O"): feed it bytes with
//! [`Connection::read_tls`], let it work with [`Connection::process_new_packets`],
//! and send what [`Connection::write_tls`] gives. [`crate::Stream`] wraps
//! this into a blocking `Read + Write` over a socket.

use std::io;
use std::sync::Arc;

use handshake::common::{Action, Established};
use handshake::messages::HandshakeMessage;
use handshake::{ClientConfig, ClientHandshake, Error, ServerConfig, ServerHandshake};
use record_layer::codec::Codec;
use record_layer::deframer::{EmptyRecordLimiter, HandshakeJoiner, MessageDeframer};
use record_layer::record::{
    check_plaintext, fragments, write_record, ContentType, ProtocolVersion,
};
use record_layer::states::CipherStates;
use record_layer::{Alert, AlertDescription, AlertLevel};
use session_store::{ServerId, Session};

/// Which end of the connection we are, with that side's handshake machine.
#[derive(Debug)]
enum Side {
    Client(Box<ClientHandshake>),
    Server(Box<ServerHandshake>),
}

/// One TLS 1.2 connection, client or server.
#[derive(Debug)]
pub struct Connection {
    side: Side,
    /// The §6.1 connection states: current and pending, read and write.
    states: CipherStates,
    deframer: MessageDeframer,
    joiner: HandshakeJoiner,
    empty_records: EmptyRecordLimiter,
    /// Records ready for the transport.
    outgoing: Vec<u8>,
    /// Decrypted application data not yet read by the application.
    received: Vec<u8>,
    received_start: usize,
    /// The completed handshake now in force: session, verify_data.
    established: Option<Box<Established>>,
    /// How many handshakes have completed on this connection.
    handshake_count: u32,
    /// Whether any record has been read yet (the first ClientHello may
    /// carry an older record version, §E.1).
    first_record_seen: bool,
    peer_closed: bool,
    sent_close: bool,
    /// The error that ended the connection, if any: every later call fails
    /// with it.
    failed: Option<Error>,
}

impl Connection {
    /// A client connection to `server`: a name (`localhost`, `127.0.0.1`)
    /// or a name and port (`localhost:8443`, `[::1]:8443`). The name is sent
    /// as SNI and checked against the certificate; name and port key the
    /// client session store. The ClientHello is queued at once.
    pub fn client(config: Arc<ClientConfig>, server: &str) -> Result<Self, Error> {
        let server = ServerId::parse(server).ok_or(Error::Config("not a server name"))?;
        let mut machine = ClientHandshake::new(config, server);
        let actions = machine.start()?;
        let mut conn = Self::new(Side::Client(Box::new(machine)));
        conn.run(actions)?;
        Ok(conn)
    }

    /// A server connection, waiting for a ClientHello.
    pub fn server(config: Arc<ServerConfig>) -> Self {
        Self::new(Side::Server(Box::new(ServerHandshake::new(config))))
    }

    fn new(side: Side) -> Self {
        Self {
            side,
            states: CipherStates::new(),
            deframer: MessageDeframer::new(),
            joiner: HandshakeJoiner::new(),
            empty_records: EmptyRecordLimiter::new(),
            outgoing: Vec::new(),
            received: Vec::new(),
            received_start: 0,
            established: None,
            handshake_count: 0,
            first_record_seen: false,
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

    /// The last completed handshake: what it negotiated, whether it resumed.
    pub fn established(&self) -> Option<&Established> {
        self.established.as_deref()
    }

    /// How many handshakes have completed on this connection.
    pub fn handshake_count(&self) -> u32 {
        self.handshake_count
    }

    /// True once the peer sent close_notify (§7.2.1).
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
    pub fn read_tls(&mut self, rd: &mut dyn io::Read) -> io::Result<usize> {
        self.deframer.read_from(rd)
    }

    /// Writes queued records to the transport.
    pub fn write_tls(&mut self, wr: &mut dyn io::Write) -> io::Result<usize> {
        let n = wr.write(&self.outgoing)?;
        self.outgoing.drain(..n);
        Ok(n)
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
    /// establish new connections": the session in force, or the one being
    /// resumed, is marked non-resumable for every connection that shares
    /// it and taken out of the store.
    fn invalidate_session(&self) {
        match &self.side {
            Side::Client(m) => {
                if let Some(session) = self.session().or(m.resuming()) {
                    session.invalidate();
                    m.forget_session();
                }
            }
            Side::Server(m) => {
                if let Some(session) = self.session().or(m.resuming()) {
                    session.invalidate();
                    m.forget_session(session);
                }
            }
        }
    }

    fn process_records(&mut self) -> Result<(), Error> {
        while let Some(record) = self.deframer.pop()? {
            let header = record.header;
            // §6.2.1: after the hellos, every record carries the negotiated
            // version; only a server's very first record (the ClientHello)
            // may carry an older one (§E.1).
            let lenient = !self.first_record_seen && matches!(self.side, Side::Server(_));
            if !lenient && header.version != ProtocolVersion::TLS1_2 {
                return Err(record_layer::Error::BadRecordVersion(header.version.0).into());
            }
            self.first_record_seen = true;
            let plaintext =
                self.states
                    .open(header.content_type, header.version, record.fragment)?;
            check_plaintext(header.content_type, plaintext.len())?;
            match header.content_type {
                ContentType::Handshake => self.joiner.push(plaintext)?,
                ContentType::ApplicationData => {
                    // §10: application data is only carried once a handshake
                    // has established keys.
                    if self.established.is_none() {
                        return Err(Error::unexpected("application data before the handshake"));
                    }
                    self.empty_records.count(plaintext.is_empty())?;
                    self.received.extend_from_slice(plaintext);
                }
                ContentType::ChangeCipherSpec => {
                    // §7.1: the message "consists of a single byte of value 1".
                    if plaintext != [1] {
                        return Err(record_layer::Error::BadChangeCipherSpec.into());
                    }
                    self.change_cipher_spec()?;
                }
                ContentType::Alert => {
                    let alert = Alert::from_bytes(plaintext, "Alert")?;
                    self.alert_received(alert)?;
                }
            }
            self.process_handshake_messages()?;
        }
        Ok(())
    }

    /// The peer's ChangeCipherSpec: the machine decides whether it is in
    /// order, then the pending read state becomes current (§7.1).
    fn change_cipher_spec(&mut self) -> Result<(), Error> {
        // A handshake message must not straddle a ChangeCipherSpec: its
        // first part would be under one key and the rest under another.
        if self.joiner.has_partial_message() {
            return Err(Error::unexpected(
                "ChangeCipherSpec inside a handshake message",
            ));
        }
        match &mut self.side {
            Side::Client(m) => m.handle_change_cipher_spec()?,
            Side::Server(m) => m.handle_change_cipher_spec()?,
        }
        self.states.change_read_state()?;
        Ok(())
    }

    fn alert_received(&mut self, alert: Alert) -> Result<(), Error> {
        match (alert.level, alert.description) {
            // §7.2.1: close_notify; we answer with our own on close.
            (_, AlertDescription::CloseNotify) => {
                self.peer_closed = true;
                Ok(())
            }
            (AlertLevel::Warning, _) => {
                self.empty_records.count(true)?;
                Ok(())
            }
            (AlertLevel::Fatal, _) => {
                let e = Error::Record(record_layer::Error::PeerAlert(alert));
                Err(e)
            }
        }
    }

    fn process_handshake_messages(&mut self) -> Result<(), Error> {
        while let Some(raw) = self.joiner.pop()? {
            let msg = HandshakeMessage::decode(raw.raw.to_vec())?;
            let actions = match &mut self.side {
                Side::Client(m) => m.handle_message(msg)?,
                Side::Server(m) => m.handle_message(msg)?,
            };
            self.run(actions)?;
        }
        Ok(())
    }

    /// Carries out a machine's actions, in order.
    fn run(&mut self, actions: Vec<Action>) -> Result<(), Error> {
        for action in actions {
            match action {
                Action::Send(msg) => self.send_plaintext(ContentType::Handshake, &msg.raw)?,
                Action::SetPendingKeys(keys) => self.states.set_pending(keys.read, keys.write),
                Action::SendChangeCipherSpec => {
                    self.send_plaintext(ContentType::ChangeCipherSpec, &[1])?;
                    self.states.change_write_state()?;
                }
                Action::Complete(est) => {
                    self.handshake_count += 1;
                    self.established = Some(est);
                }
            }
        }
        Ok(())
    }

    /// Fragments `data` into records of `content_type` (§6.2.1) and
    /// protects each in place under the current write state.
    fn send_plaintext(&mut self, content_type: ContentType, data: &[u8]) -> Result<(), Error> {
        for fragment in fragments(data, record_layer::record::MAX_PLAINTEXT) {
            let layout = write_record(
                &mut self.outgoing,
                content_type,
                ProtocolVersion::TLS1_2,
                fragment,
                self.states.write_nonce_explicit_len(),
                self.states.write_tag_len(),
            );
            self.states
                .seal(&mut self.outgoing[layout.header.start..layout.overhead_after.end])?;
        }
        Ok(())
    }

    fn send_alert(&mut self, alert: Alert) -> Result<(), Error> {
        self.send_plaintext(ContentType::Alert, &alert.to_bytes())
    }

    /// Queues application data (§10), protected by the current keys.
    pub fn write_application_data(&mut self, data: &[u8]) -> Result<(), Error> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
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
        let available = &self.received[self.received_start..];
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.received_start += n;
        if self.received_start == self.received.len() {
            self.received.clear();
            self.received_start = 0;
        }
        n
    }

    /// Bytes of application data waiting to be read.
    pub fn application_data_available(&self) -> usize {
        self.received.len() - self.received_start
    }

    /// Queues close_notify (§7.2.1: "Either party may initiate a close by
    /// sending a close_notify alert").
    pub fn send_close_notify(&mut self) {
        if !self.sent_close && self.failed.is_none() {
            self.sent_close = true;
            // Failing to seal an alert can only be sequence exhaustion; the
            // connection is closing anyway.
            let _ = self.send_alert(Alert::close_notify());
        }
    }

    /// True when the deframer holds part of a record: at end of stream this
    /// means the peer's last record was cut short.
    pub fn has_partial_record(&self) -> bool {
        !self.deframer.is_empty()
    }
}
