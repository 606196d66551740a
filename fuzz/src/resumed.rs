//! Targets `client_resumed` and `server_resumed`: a connection that resumes
//! a planted session, fuzzed through a correct record layer.
//!
//! The `client` and `server` targets stop at the first signature or
//! encrypted record: every run has fresh randoms and keys, so no saved
//! input carries a valid signature, Finished or record MAC. Here both ends
//! are real — our client and our server, in memory — and the fuzzer sits
//! between them as an editor of the records going to one of them, the
//! *victim*:
//!
//! - Both stores hold copies of one session, made once by a real full
//!   handshake (so its chain check record and, on the client, its ticket
//!   are genuine); the server's ticket keys are that handshake's. The
//!   client offers it, so the handshake is abbreviated (RFC 5246 §7.3
//!   Figure 2) and its master secret is known here.
//! - The harness follows each side's view of the handshake (the randoms,
//!   the session ids, the suite) from the handshake messages, opening
//!   records as it goes; at a ChangeCipherSpec it derives that side's keys
//!   from the planted master secret (§6.3). So it can open what the peer
//!   seals, let the input change the *plaintext*, and seal the result
//!   under the keys the victim reads with. Encrypted Finished, a
//!   NewSessionTicket, a HelloRequest or a renegotiating ClientHello under
//!   the first keys, alerts and application data all reach the victim
//!   with a valid MAC, whatever the fuzzer wrote.
//! - Records the harness cannot open (after a full handshake's
//!   ChangeCipherSpec, whose master secret comes from an ECDHE exchange
//!   it does not see) pass through unchanged.
//!
//! Input: one byte of scenario flags (the `FLAG_*` constants), then edits,
//! each `index: u8, op: u8, length: u16, data[length]`. `index` counts the
//! records the peer sends over the whole run (0: its first); `op`'s low
//! two bits: 0 replaces the record's plaintext with `data`, 1 drops the
//! record, 2 or 3 inserts before it a record of the content type in bits
//! 2-3 (change_cipher_spec, alert, handshake, application_data) with
//! `data` as plaintext. Inserts at an index the peer never reaches are
//! delivered at the end, after the scenario.

use std::sync::{Arc, Mutex, OnceLock};

use tls12::handshake::messages::{HandshakeMessage, HandshakePayload};
use tls12::handshake::observe::{Observer, TraceEvent};
use tls12::record_layer::aead::CipherState;
use tls12::record_layer::deframer::HandshakeJoiner;
use tls12::record_layer::prf::{self, VERIFY_DATA_LEN};
use tls12::record_layer::record::{
    write_record, ContentType, ProtocolVersion, RecordHeader, HEADER_LEN, MAX_PLAINTEXT,
};
use tls12::record_layer::secret::MasterSecret;
use tls12::session_store::{ClientSessionStore, MemoryStore, ServerId, ServerSessionStore};
use tls12::session_store::{Clock, TicketKeys};
use tls12::{CipherSuite, ClientConfig, ClientSession, Connection, Error, ServerConfig, Session};

/// The fixed clock of both ends, UNIX seconds (2025-10-09): inside the
/// test PKI's validity.
const NOW: u64 = 1_760_000_000;

/// The client's planted session carries its ticket (RFC 5077 §3.4): it is
/// offered by ticket. Without, by session id.
pub const FLAG_OFFER_TICKET: u8 = 1;
/// The server's store holds the planted session (resumption by id).
pub const FLAG_SERVER_CACHES: u8 = 2;
/// The planted sessions keep the record of their chain check; without it,
/// resuming checks the recorded chain again in full.
pub const FLAG_CHAIN_CHECK_RECORDED: u8 = 4;
/// After the handshake, each end writes application data.
pub const FLAG_APPLICATION_DATA: u8 = 8;
/// Then the client renegotiates, offering its session (abbreviated).
pub const FLAG_RENEGOTIATE_RESUMING: u8 = 16;
/// Then the server sends HelloRequest (a full renegotiation).
pub const FLAG_HELLO_REQUEST: u8 = 32;

/// At most this many exchanges per step: a peer and victim that keep
/// answering each other end here.
const MAX_ROUNDS: usize = 64;

/// Target `client_resumed`: the victim is our client, the records it
/// receives are edited.
pub fn client_resumed(data: &[u8]) {
    resumed(Victim::Client, data);
}

/// Target `server_resumed`: the victim is our server.
pub fn server_resumed(data: &[u8]) {
    resumed(Victim::Server, data);
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Victim {
    Client,
    Server,
}

/// Runs the scenario the flags choose, with the edits, and asserts:
///
/// - every handshake the victim completed, the peer completed with the
///   same two Finished messages (§7.4.9): an edit to the transcript never
///   gets through;
/// - a handshake the victim completed as a resumption resumed the planted
///   session or one an earlier handshake of the run made (by master
///   secret);
/// - a failed victim stays failed, with the same error;
/// - without edits, every handshake of the scenario completes, the first
///   resumed when the client offers a session the server can find.
fn resumed(victim: Victim, data: &[u8]) {
    let Some((&flags, edits)) = data.split_first() else {
        return;
    };
    let mut run = Run::new(victim, flags, parse_edits(edits));
    run.pump();
    if flags & FLAG_APPLICATION_DATA != 0 {
        let _ = run.victim.write_application_data(b"from the victim");
        let _ = run.peer.write_application_data(b"from the peer");
        run.pump();
    }
    if flags & FLAG_RENEGOTIATE_RESUMING != 0 {
        let _ = run.client().renegotiate_resuming();
        run.pump();
    }
    if flags & FLAG_HELLO_REQUEST != 0 {
        let _ = run.server().renegotiate();
        run.pump();
    }
    run.deliver_late_inserts();
    run.pump();
    run.victim.send_close_notify();
    run.peer.send_close_notify();
    run.pump();
    run.check(flags);
}

/// One change to the records going to the victim.
struct Edit {
    /// The peer's record it applies to, counted from 0 over the run.
    index: usize,
    op: Op,
    data: Vec<u8>,
}

#[derive(Clone, Copy)]
enum Op {
    Replace,
    Drop,
    Insert(ContentType),
}

fn parse_edits(mut input: &[u8]) -> Vec<Edit> {
    const INSERTED: [ContentType; 4] = [
        ContentType::ChangeCipherSpec,
        ContentType::Alert,
        ContentType::Handshake,
        ContentType::ApplicationData,
    ];
    let mut edits = Vec::new();
    while let Some((&[index, op, hi, lo], rest)) = input.split_first_chunk::<4>() {
        let len = usize::from(u16::from_be_bytes([hi, lo])).min(rest.len());
        let (data, rest) = rest.split_at(len);
        input = rest;
        let op = match op & 3 {
            0 => Op::Replace,
            1 => Op::Drop,
            _ => Op::Insert(INSERTED[usize::from(op >> 2 & 3)]),
        };
        // One record's worth: `write_record` takes no more.
        let data = data[..data.len().min(MAX_PLAINTEXT)].to_vec();
        edits.push(Edit {
            index: usize::from(index),
            op,
            data,
        });
    }
    edits
}

/// The two ends' configs and the session planted in their stores, made
/// once by a real full handshake.
struct Planted {
    client_config: ClientConfig,
    server_config: ServerConfig,
    client_session: ClientSession,
    server_session: Session,
}

fn planted() -> &'static Planted {
    static PLANTED: OnceLock<Planted> = OnceLock::new();
    PLANTED.get_or_init(|| {
        let clock: Clock = Arc::new(|| NOW);
        let mut client_config = (*super::client_config()).clone();
        client_config.clock = clock.clone();
        let mut server_config = (*super::server_config()).clone();
        server_config.clock = clock.clone();
        let keys = TicketKeys::new(clock.clone()).expect("the system random generator works");
        server_config.ticket_keys = Some(Arc::new(keys));

        let mut client = client_config.clone();
        let client_store = Arc::new(MemoryStore::new(4));
        client.session_store = Some(client_store.clone());
        let mut server = server_config.clone();
        server.session_store = Some(Arc::new(MemoryStore::new(4)));
        let mut client = Connection::client(Arc::new(client), "localhost").expect("client");
        let mut server = Connection::server(Arc::new(server));
        for _ in 0..MAX_ROUNDS {
            if !(exchange(&mut client, &mut server) | exchange(&mut server, &mut client)) {
                break;
            }
        }
        let localhost = ServerId::parse("localhost").expect("a server name");
        let client_session = ClientSessionStore::get(&*client_store, &localhost)
            .expect("a memory store answers")
            .expect("the handshake completed");
        Planted {
            client_session,
            server_session: server.session().expect("completed").duplicate(),
            client_config,
            server_config,
        }
    })
}

/// Moves what `from` has to send into `to`; false if there was nothing.
fn exchange(from: &mut Connection, to: &mut Connection) -> bool {
    let bytes = written(from);
    feed(to, &bytes);
    !bytes.is_empty()
}

fn written(conn: &mut Connection) -> Vec<u8> {
    let mut bytes = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut bytes)
            .expect("writing to a Vec cannot fail");
    }
    bytes
}

/// Gives `conn` `bytes` and lets it process them; its errors are its own.
fn feed(conn: &mut Connection, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        match conn.read_tls(&mut bytes) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let _ = conn.process_new_packets();
    }
}

/// The handshakes one end completed, as its observer saw them.
#[derive(Debug, Default)]
struct Completed(Mutex<CompletedList>);

#[derive(Debug, Default)]
struct CompletedList {
    handshakes: Vec<Handshake>,
    /// The master secrets of the sessions this end has had: the planted
    /// one, and those its full handshakes made.
    master_secrets: Vec<[u8; 48]>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Handshake {
    client_verify_data: [u8; VERIFY_DATA_LEN],
    server_verify_data: [u8; VERIFY_DATA_LEN],
    resumed: bool,
    /// The session is the planted one or one this end made before.
    known_session: bool,
}

impl Completed {
    fn list(&self) -> Vec<Handshake> {
        self.0.lock().expect("not poisoned").handshakes.clone()
    }
}

impl Observer for Completed {
    fn event(&self, event: &TraceEvent<'_>) {
        if let TraceEvent::SessionEstablished {
            established,
            renegotiation_binding,
            ..
        } = event
        {
            let mut done = self.0.lock().expect("not poisoned");
            if done.master_secrets.is_empty() {
                let planted = planted().client_session.session.master_secret().as_bytes();
                done.master_secrets.push(*planted);
            }
            let secret = *established.session.master_secret().as_bytes();
            let known_session = done.master_secrets.contains(&secret);
            done.master_secrets.push(secret);
            done.handshakes.push(Handshake {
                client_verify_data: renegotiation_binding.client_verify_data,
                server_verify_data: renegotiation_binding.server_verify_data,
                resumed: established.resumed,
                known_session,
            });
        }
    }
}

/// One run: the two ends, the edits, and the harness's record layer.
struct Run {
    victim: Connection,
    peer: Connection,
    side: Victim,
    edits: Vec<Edit>,
    /// Records the peer has sent so far: the index of its next.
    peer_records: usize,
    victim_done: Arc<Completed>,
    peer_done: Arc<Completed>,
    victim_view: View,
    peer_view: View,
    /// Opens the peer's records: its write state.
    peer_write: Keys,
    /// Seals the records given to the victim: its read state.
    victim_read: Keys,
    /// Opens the victim's records: its write state.
    victim_write: Keys,
}

impl Run {
    fn new(side: Victim, flags: u8, edits: Vec<Edit>) -> Self {
        let planted = planted();
        let (victim_done, peer_done) = (Arc::<Completed>::default(), Arc::<Completed>::default());
        let (client_done, server_done) = match side {
            Victim::Client => (victim_done.clone(), peer_done.clone()),
            Victim::Server => (peer_done.clone(), victim_done.clone()),
        };
        let keep_check = |mut session: Session| {
            if flags & FLAG_CHAIN_CHECK_RECORDED == 0 {
                session.peer_chain_check = None;
            }
            Arc::new(session)
        };

        let planted_client = &planted.client_session;
        let mut client_session = ClientSession {
            session: keep_check(planted_client.session.duplicate()),
            ..planted_client.clone()
        };
        if flags & FLAG_OFFER_TICKET == 0 {
            client_session.ticket = None;
        }
        let client_store = MemoryStore::new(4);
        let server_id = ServerId::parse("localhost").expect("a server name");
        ClientSessionStore::put(&client_store, &server_id, client_session)
            .expect("a memory store takes it");
        let mut client_config = planted.client_config.clone();
        client_config.session_store = Some(Arc::new(client_store));
        client_config.observer = Some(client_done);

        let server_store = MemoryStore::new(4);
        if flags & FLAG_SERVER_CACHES != 0 {
            let session = keep_check(planted.server_session.duplicate());
            ServerSessionStore::put(&server_store, session).expect("a memory store takes it");
        }
        let mut server_config = planted.server_config.clone();
        server_config.session_store = Some(Arc::new(server_store));
        server_config.observer = Some(server_done);

        let client = Connection::client(Arc::new(client_config), "localhost").expect("client");
        let server = Connection::server(Arc::new(server_config));
        let (victim, peer) = match side {
            Victim::Client => (client, server),
            Victim::Server => (server, client),
        };
        Self {
            victim,
            peer,
            side,
            edits,
            peer_records: 0,
            victim_done,
            peer_done,
            victim_view: View::default(),
            peer_view: View::default(),
            peer_write: Keys::Plain,
            victim_read: Keys::Plain,
            victim_write: Keys::Plain,
        }
    }

    fn client(&mut self) -> &mut Connection {
        match self.side {
            Victim::Client => &mut self.victim,
            Victim::Server => &mut self.peer,
        }
    }

    fn server(&mut self) -> &mut Connection {
        match self.side {
            Victim::Client => &mut self.peer,
            Victim::Server => &mut self.victim,
        }
    }

    /// Which end writes what the victim reads.
    fn peer_writes(&self) -> Writer {
        match self.side {
            Victim::Client => Writer::Server,
            Victim::Server => Writer::Client,
        }
    }

    /// Moves records both ways until neither end has more to say.
    fn pump(&mut self) {
        for _ in 0..MAX_ROUNDS {
            if !(self.relay_victim() | self.relay_peer()) {
                break;
            }
        }
    }

    /// The victim's records, followed in the views, go to the peer as they
    /// are.
    fn relay_victim(&mut self) -> bool {
        let bytes = written(&mut self.victim);
        let own = self.peer_writes().other();
        for (header, fragment) in split_records(&bytes) {
            let Some(plain) = self.victim_write.open(&header, fragment) else {
                continue;
            };
            if header.content_type == ContentType::Handshake {
                self.victim_view.handshake(Seen::Sent, &plain);
                self.peer_view.handshake(Seen::Received, &plain);
            }
            if header.content_type == ContentType::ChangeCipherSpec {
                self.victim_write = self.victim_view.keys(own);
            }
        }
        feed(&mut self.peer, &bytes);
        !bytes.is_empty()
    }

    /// The peer's records, opened, edited, sealed again and given to the
    /// victim one by one (its answer to each is passed on at once, so the
    /// views see messages in the order the ends do).
    fn relay_peer(&mut self) -> bool {
        let bytes = written(&mut self.peer);
        let writer = self.peer_writes();
        for (header, fragment) in split_records(&bytes) {
            let index = self.peer_records;
            self.peer_records += 1;
            let Some(plain) = self.peer_write.open(&header, fragment) else {
                // Keys the harness does not have: passed on untouched.
                let raw = [&header.encode()[..], fragment].concat();
                self.give_victim(&raw);
                continue;
            };
            if header.content_type == ContentType::Handshake {
                self.peer_view.handshake(Seen::Sent, &plain);
            }
            if header.content_type == ContentType::ChangeCipherSpec {
                self.peer_write = self.peer_view.keys(writer);
            }
            let mut record = Some((header.content_type, header.version, plain));
            let mut out = Vec::new();
            for edit in self.edits.iter().filter(|e| e.index == index) {
                match edit.op {
                    Op::Insert(t) => out.push((t, ProtocolVersion::TLS1_2, edit.data.clone())),
                    Op::Replace => {
                        if let Some(r) = &mut record {
                            r.2 = edit.data.clone();
                        }
                    }
                    Op::Drop => record = None,
                }
            }
            out.extend(record);
            for (content_type, version, plain) in out {
                self.deliver(content_type, version, &plain);
            }
        }
        !bytes.is_empty()
    }

    /// Inserts whose index the peer never reached, in order.
    fn deliver_late_inserts(&mut self) {
        let late: Vec<(ContentType, Vec<u8>)> = self
            .edits
            .iter()
            .filter(|e| e.index >= self.peer_records)
            .filter_map(|e| match e.op {
                Op::Insert(t) => Some((t, e.data.clone())),
                _ => None,
            })
            .collect();
        for (content_type, plain) in late {
            self.deliver(content_type, ProtocolVersion::TLS1_2, &plain);
        }
    }

    /// Seals one record under the victim's read state and gives it to the
    /// victim.
    fn deliver(&mut self, content_type: ContentType, version: ProtocolVersion, plain: &[u8]) {
        if content_type == ContentType::Handshake {
            self.victim_view.handshake(Seen::Received, plain);
        }
        let record = self.victim_read.seal(content_type, version, plain);
        if content_type == ContentType::ChangeCipherSpec {
            self.victim_read = self.victim_view.keys(self.peer_writes());
        }
        self.give_victim(&record);
    }

    fn give_victim(&mut self, record: &[u8]) {
        feed(&mut self.victim, record);
        self.relay_victim();
    }

    fn check(&mut self, flags: u8) {
        let victim_done = self.victim_done.list();
        let peer_done = self.peer_done.list();
        for handshake in &victim_done {
            assert!(
                peer_done.iter().any(|p| same_finished(p, handshake)),
                "{:?} completed a handshake the peer did not: {handshake:?}, peer {peer_done:?}",
                self.side
            );
            assert!(
                !handshake.resumed || handshake.known_session,
                "resumed a session that was neither planted nor made before"
            );
        }
        if let Err(e) = self.victim.process_new_packets() {
            assert_eq!(
                self.victim.process_new_packets(),
                Err(e),
                "a failed connection recovered"
            );
        }
        if self.edits.is_empty() {
            self.check_unedited(flags, &victim_done);
        }
    }

    /// Without edits the scenario runs as the flags say.
    fn check_unedited(&mut self, flags: u8, done: &[Handshake]) {
        let failed: Result<(), Error> = self.victim.process_new_packets();
        assert_eq!(failed, Ok(()), "{:?} failed without edits", self.side);
        let expected = 1
            + usize::from(flags & FLAG_RENEGOTIATE_RESUMING != 0)
            + usize::from(flags & FLAG_HELLO_REQUEST != 0);
        assert_eq!(done.len(), expected, "{:?}: {done:?}", self.side);
        let offered = flags & (FLAG_OFFER_TICKET | FLAG_SERVER_CACHES) != 0;
        assert_eq!(done[0].resumed, offered);
    }
}

/// Same Finished messages, whatever the rest.
fn same_finished(a: &Handshake, b: &Handshake) -> bool {
    a.client_verify_data == b.client_verify_data && a.server_verify_data == b.server_verify_data
}

/// The records of bytes an end wrote: an end writes whole records.
fn split_records(mut bytes: &[u8]) -> Vec<(RecordHeader, &[u8])> {
    let mut records = Vec::new();
    while let Some((header, rest)) = bytes.split_first_chunk::<HEADER_LEN>() {
        let Ok(header) = RecordHeader::decode(header) else {
            break;
        };
        let Some((fragment, rest)) = rest.split_at_checked(usize::from(header.length)) else {
            break;
        };
        records.push((header, fragment));
        bytes = rest;
    }
    records
}

/// Which end's write keys (§6.3: `client_write_key`, `server_write_key`).
#[derive(Clone, Copy)]
enum Writer {
    Client,
    Server,
}

impl Writer {
    fn other(self) -> Self {
        match self {
            Self::Client => Self::Server,
            Self::Server => Self::Client,
        }
    }
}

/// One direction's protection as the harness knows it.
enum Keys {
    /// Before the first ChangeCipherSpec.
    Plain,
    /// The keys of an abbreviated handshake of the planted session.
    Known(Box<CipherState>),
    /// Any other keys: records pass through unopened.
    Unknown,
}

impl Keys {
    /// The plaintext of a record, or `None` when it cannot be opened.
    fn open(&mut self, header: &RecordHeader, fragment: &[u8]) -> Option<Vec<u8>> {
        match self {
            Self::Plain => Some(fragment.to_vec()),
            Self::Known(state) => {
                let mut copy = fragment.to_vec();
                let plain = state.open(header.content_type, header.version, &mut copy);
                plain.ok().map(|p| p.to_vec())
            }
            Self::Unknown => None,
        }
    }

    /// A record of `plain`, sealed if the keys are known (else sent as it
    /// is: the victim will not open it).
    fn seal(
        &mut self,
        content_type: ContentType,
        version: ProtocolVersion,
        plain: &[u8],
    ) -> Vec<u8> {
        let mut record = Vec::new();
        match self {
            Self::Known(state) => {
                let (before, after) = (state.nonce_explicit_len(), state.tag_len());
                write_record(&mut record, content_type, version, plain, before, after);
                state.seal(&mut record).expect("sealing a laid out record");
            }
            Self::Plain | Self::Unknown => {
                write_record(&mut record, content_type, version, plain, 0, 0);
            }
        }
        record
    }
}

/// What one end has seen of the handshake in progress.
#[derive(Default)]
struct View {
    sent: HandshakeJoiner,
    received: HandshakeJoiner,
    client_random: Option<[u8; 32]>,
    client_session_id: Vec<u8>,
    /// ServerHello's random, suite and session id.
    server_hello: Option<([u8; 32], u16, Vec<u8>)>,
}

#[derive(Clone, Copy)]
enum Seen {
    Sent,
    Received,
}

impl View {
    /// Follows the messages of one handshake record; a record that does
    /// not join is skipped (the end that got it fails on it).
    fn handshake(&mut self, seen: Seen, fragment: &[u8]) {
        let joiner = match seen {
            Seen::Sent => &mut self.sent,
            Seen::Received => &mut self.received,
        };
        if joiner.push(fragment).is_err() {
            *joiner = HandshakeJoiner::new();
            return;
        }
        let mut raws = Vec::new();
        while let Ok(Some(m)) = joiner.pop() {
            raws.push(m.raw.to_vec());
        }
        for raw in raws {
            match HandshakeMessage::decode(raw).map(|m| m.payload) {
                Ok(HandshakePayload::ClientHello(hello)) => {
                    self.client_random = Some(hello.random.0);
                    self.client_session_id = hello.session_id.as_bytes().to_vec();
                    self.server_hello = None;
                }
                Ok(HandshakePayload::ServerHello(hello)) => {
                    let id = hello.session_id.as_bytes().to_vec();
                    self.server_hello = Some((hello.random.0, hello.cipher_suite, id));
                }
                _ => {}
            }
        }
    }

    /// `writer`'s keys for the handshake this end is in (§6.3), if it is an
    /// abbreviated one: a ServerHello echoing the ClientHello's non-empty
    /// session id (§7.4.1.3; RFC 5077 §3.4 for tickets). The session it
    /// resumes can only be the planted one.
    fn keys(&self, writer: Writer) -> Keys {
        let (Some(client_random), Some((server_random, suite, id))) =
            (self.client_random, &self.server_hello)
        else {
            return Keys::Unknown;
        };
        let Some(suite) = CipherSuite::from_value(*suite) else {
            return Keys::Unknown;
        };
        if id.is_empty() || *id != self.client_session_id {
            return Keys::Unknown;
        }
        let master_secret =
            MasterSecret::from_bytes(*planted().client_session.session.master_secret().as_bytes());
        let block = prf::key_block(
            suite.prf_hash(),
            &master_secret,
            &client_random,
            server_random,
            suite.bulk(),
        );
        let (key, iv) = match writer {
            Writer::Client => (block.client_write_key(), block.client_write_iv()),
            Writer::Server => (block.server_write_key(), block.server_write_iv()),
        };
        match CipherState::new(suite.bulk(), key, iv) {
            Ok(state) => Keys::Known(Box::new(state)),
            Err(_) => Keys::Unknown,
        }
    }
}
