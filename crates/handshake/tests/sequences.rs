//! [`LEGAL_SEQUENCES`] against the real client and server machines
//! (RFC 5246 §7.3, §7.4; RFC 5077 §3.1; RFC 5746).
//!
//! 1. Every row is what the machines do: with the configs that row needs
//!    (client authentication, a session cache, ticket keys, an earlier
//!    handshake to renegotiate), the messages the machines send, in order,
//!    are the row's steps, and both sides complete.
//! 2. Every wrong message at every position is refused: the run is
//!    replayed up to step `i`, and the receiver of step `i` is handed, in
//!    its place, each message that may not come there (every other
//!    handshake type, and ChangeCipherSpec where it is not expected). It
//!    must answer `unexpected_message`, as
//!    `Error::Record(UnexpectedMessage(..))` naming the message, and then
//!    refuse everything, the right message included: a machine that
//!    failed never goes on from a half-changed state. This is what catches
//!    an early ChangeCipherSpec (CVE-2014-0224) or a skipped
//!    CertificateVerify or ServerKeyExchange. A client ignores HelloRequest
//!    during a handshake (§7.4.1.1), except right after the server's
//!    ChangeCipherSpec, where only Finished may come (§7.4.9).
//!
//! The machines do no I/O; ChangeCipherSpec is handed over by calling
//! `handle_change_cipher_spec` on the receiver, as the connection does.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;

use handshake::messages::{HandshakeMessage, HandshakePayload, HandshakeType};
use handshake::sequences::{LegalSequence, Message, Step, LEGAL_SEQUENCES};
use handshake::sign::{certs_from_pem, SigningKey};
use handshake::x509::TrustAnchors;
use handshake::{Action, Established, PreviousHandshake, RenegotiationBinding, Side};
use handshake::{
    CertifiedKey, ClientAuth, ClientConfig, ClientHandshake, ClientOffer, ClientState, Error,
    ServerConfig, ServerHandshake, ServerState,
};
use record_layer::AlertDescription;
use session_store::{system_clock, MemoryStore, ServerId, TicketKeys};

// ---------------------------------------------------------------------------
// Configs: one scenario per row
// ---------------------------------------------------------------------------

fn data(path: &str) -> Vec<u8> {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../test-data")
        .join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn certified(chain: &str, key: &str) -> CertifiedKey {
    CertifiedKey::new(
        certs_from_pem(&data(chain)).unwrap(),
        SigningKey::from_pem(&data(key)).unwrap(),
    )
}

fn anchors(roots: &[&str]) -> TrustAnchors {
    let pem: Vec<u8> = roots.iter().flat_map(|r| data(r)).collect();
    TrustAnchors::from_pem(&pem).unwrap()
}

fn server_id() -> ServerId {
    ServerId::parse("localhost").unwrap()
}

/// What makes the machines take one row's path.
struct Scenario {
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
    /// Whether the client offers its stored session.
    resume: bool,
    /// For a renegotiation: the connection's earlier handshake, as the
    /// client and the server saw it.
    previous: Option<(PreviousHandshake, PreviousHandshake)>,
}

impl Scenario {
    fn new(seq: &LegalSequence) -> Self {
        let mut client = ClientConfig::new(anchors(&["ecdsa/root.pem", "rsa/root.pem"]));
        let mut server = ServerConfig::new(vec![
            certified("ecdsa/localhost.chain.pem", "ecdsa/localhost.key"),
            certified("rsa/localhost.chain.pem", "rsa/localhost.key"),
        ]);
        let client_roots = || Arc::new(anchors(&["ecdsa/root.pem", "rsa/root.pem"]));
        let ticket_keys = || Some(Arc::new(TicketKeys::new(system_clock()).unwrap()));
        let resume = match seq.name {
            "full" => false,
            "full with client authentication" => {
                server.client_auth = ClientAuth::Required(client_roots());
                client.client_certificates = vec![Arc::new(certified(
                    "ecdsa/client.chain.pem",
                    "ecdsa/client.key",
                ))];
                false
            }
            "full with an empty client certificate" => {
                server.client_auth = ClientAuth::Optional(client_roots());
                false
            }
            "full with new ticket" => {
                server.ticket_keys = ticket_keys();
                false
            }
            "abbreviated (session id)" => {
                server.session_store = Some(Arc::new(MemoryStore::new(8)));
                client.session_store = Some(Arc::new(MemoryStore::new(8)));
                true
            }
            "abbreviated (ticket) with new ticket" => {
                server.ticket_keys = ticket_keys();
                client.session_store = Some(Arc::new(MemoryStore::new(8)));
                true
            }
            other => panic!("no scenario for the row {other:?}: add one here"),
        };
        let mut scenario = Self {
            client: Arc::new(client),
            server: Arc::new(server),
            resume,
            previous: None,
        };
        // A session to resume, and for a renegotiation the handshake it
        // follows, come from a first full handshake: a connection of its
        // own, or the first handshake of the connection that renegotiates.
        if resume || seq.renegotiation {
            let mut first = Run::start(&scenario);
            first.finish();
            let ((client_est, client_binding), (server_est, server_binding)) = first.established();
            assert!(!client_est.resumed, "{}: the first handshake", seq.name);
            if seq.renegotiation {
                scenario.previous = Some((
                    PreviousHandshake::new(client_binding, &client_est.session).unwrap(),
                    PreviousHandshake::new(server_binding, &server_est.session).unwrap(),
                ));
            }
        }
        scenario
    }
}

// ---------------------------------------------------------------------------
// The driver: two machines and the messages in flight between them
// ---------------------------------------------------------------------------

/// A message in flight.
// Boxing the message would only add noise to a test.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
enum Item {
    Handshake(HandshakeMessage),
    ChangeCipherSpec,
}

impl Item {
    fn message(&self) -> Message {
        match self {
            Self::Handshake(msg) => Message::Handshake(msg.handshake_type()),
            Self::ChangeCipherSpec => Message::ChangeCipherSpec,
        }
    }
}

fn other(side: Side) -> Side {
    match side {
        Side::Client => Side::Server,
        Side::Server => Side::Client,
    }
}

struct Run {
    client: ClientHandshake,
    server: ServerHandshake,
    /// Sent, not yet delivered, oldest first.
    in_flight: VecDeque<(Side, Item)>,
    /// Everything the machines sent, in order.
    sent: Vec<(Side, Item)>,
    client_done: Option<Done>,
    server_done: Option<Done>,
}

/// What a machine handed over when it completed.
type Done = (Box<Established>, RenegotiationBinding);

fn done<'a>(d: &'a Option<Done>, who: &str) -> (&'a Established, &'a RenegotiationBinding) {
    match d {
        Some((est, binding)) => (est, binding),
        None => panic!("the {who} did not complete"),
    }
}

impl Run {
    /// New machines for `scenario`, the ClientHello sent.
    fn start(scenario: &Scenario) -> Self {
        let (client, server) = match &scenario.previous {
            None => (
                ClientHandshake::new(scenario.client.clone(), server_id()),
                ServerHandshake::new(scenario.server.clone()),
            ),
            Some((client_prev, server_prev)) => (
                ClientHandshake::renegotiation(
                    scenario.client.clone(),
                    server_id(),
                    client_prev.clone(),
                    if scenario.resume {
                        ClientOffer::StoredSession
                    } else {
                        ClientOffer::NewSession
                    },
                ),
                ServerHandshake::renegotiation(scenario.server.clone(), server_prev.clone()),
            ),
        };
        let mut run = Self {
            client,
            server,
            in_flight: VecDeque::new(),
            sent: Vec::new(),
            client_done: None,
            server_done: None,
        };
        let hello = run.client.start().unwrap();
        run.carry_out(Side::Client, hello);
        run
    }

    /// Does what `side`'s machine asked.
    fn carry_out(&mut self, side: Side, actions: Vec<Action>) {
        for action in actions {
            let item = match action {
                Action::Send(msg) => Item::Handshake(msg),
                Action::SendChangeCipherSpec => Item::ChangeCipherSpec,
                Action::SetPendingKeys(_) => continue,
                Action::Complete {
                    established,
                    renegotiation_binding,
                } => {
                    let done = match side {
                        Side::Client => &mut self.client_done,
                        Side::Server => &mut self.server_done,
                    };
                    let completed = (established, renegotiation_binding);
                    assert!(
                        done.replace(completed).is_none(),
                        "{side:?} completed twice"
                    );
                    continue;
                }
            };
            self.sent.push((side, item.clone()));
            self.in_flight.push_back((side, item));
        }
    }

    /// The next message in flight, with its sender.
    fn next(&mut self) -> (Side, Item) {
        self.in_flight
            .pop_front()
            .expect("nothing in flight, but the handshake is not over")
    }

    /// Hands `item` to the side that `sender` is talking to, and carries
    /// out whatever that side then asks for.
    fn deliver(&mut self, sender: Side, item: Item) -> Result<(), Error> {
        let receiver = other(sender);
        let actions = match (receiver, item) {
            (Side::Server, Item::Handshake(msg)) => self.server.handle_message(msg)?,
            (Side::Server, Item::ChangeCipherSpec) => {
                self.server.handle_change_cipher_spec()?;
                Vec::new()
            }
            (Side::Client, Item::Handshake(msg)) => self.client.handle_message(msg)?,
            (Side::Client, Item::ChangeCipherSpec) => {
                self.client.handle_change_cipher_spec()?;
                Vec::new()
            }
        };
        self.carry_out(receiver, actions);
        Ok(())
    }

    /// Delivers the first `n` messages as they were sent.
    fn deliver_honestly(&mut self, n: usize) {
        for _ in 0..n {
            let (sender, item) = self.next();
            self.deliver(sender, item).unwrap();
        }
    }

    /// Delivers everything until nothing is in flight.
    fn finish(&mut self) {
        while !self.in_flight.is_empty() {
            self.deliver_honestly(1);
        }
    }

    fn steps(&self) -> Vec<Step> {
        self.sent
            .iter()
            .map(|(sender, item)| Step {
                sender: *sender,
                message: item.message(),
            })
            .collect()
    }

    /// What each side completed with: its `Established` and its RFC 5746
    /// binding.
    #[allow(clippy::type_complexity)]
    fn established(
        &self,
    ) -> (
        (&Established, &RenegotiationBinding),
        (&Established, &RenegotiationBinding),
    ) {
        (
            done(&self.client_done, "client"),
            done(&self.server_done, "server"),
        )
    }

    fn is_failed(&self, side: Side) -> bool {
        match side {
            Side::Client => {
                matches!(self.client.state(), ClientState::Failed) && !self.client.is_complete()
            }
            Side::Server => {
                matches!(self.server.state(), ServerState::Failed) && !self.server.is_complete()
            }
        }
    }
}

/// Runs `seq` without interference and checks it is what the machines do.
fn run_row(seq: &LegalSequence, scenario: &Scenario) -> Run {
    let mut run = Run::start(scenario);
    run.finish();
    let name = describe(seq);
    assert_eq!(run.steps(), seq.steps, "{name}: the machines sent");
    let ((client_est, client_binding), (server_est, server_binding)) = run.established();
    // RFC 5746 §3.1: both sides keep the same two verify_data.
    assert_eq!(client_binding, server_binding, "{name}");
    // An abbreviated handshake is one without a key exchange (§7.3).
    let abbreviated = !seq
        .steps
        .iter()
        .any(|s| s.message == Message::Handshake(HandshakeType::ClientKeyExchange));
    assert_eq!(client_est.resumed, abbreviated, "{name}: client resumed");
    assert_eq!(server_est.resumed, abbreviated, "{name}: server resumed");
    assert_eq!(
        client_est.session.master_secret(),
        server_est.session.master_secret(),
        "{name}"
    );
    // RFC 5746 §3.5: a renegotiating ClientHello carries the previous
    // client Finished; a first one carries an empty renegotiation_info.
    let Some((_, Item::Handshake(hello))) = run.sent.first() else {
        panic!("{name}: no ClientHello");
    };
    let HandshakePayload::ClientHello(hello) = &hello.payload else {
        panic!("{name}: the first message is not a ClientHello");
    };
    let expected_info = match &scenario.previous {
        Some((client_prev, _)) => client_prev.binding.client_verify_data.to_vec(),
        None => Vec::new(),
    };
    assert_eq!(
        hello.extensions.renegotiation_info.as_deref(),
        Some(&expected_info[..]),
        "{name}"
    );
    run
}

fn describe(seq: &LegalSequence) -> String {
    if seq.renegotiation {
        format!("{} (renegotiation)", seq.name)
    } else {
        seq.name.to_string()
    }
}

#[test]
fn the_machines_send_exactly_the_rows_of_the_table() {
    for seq in LEGAL_SEQUENCES {
        run_row(seq, &Scenario::new(seq));
    }
}

// ---------------------------------------------------------------------------
// Wrong messages
// ---------------------------------------------------------------------------

/// Every handshake type the codec knows (§7.4, RFC 5077 §3.3).
fn all_handshake_types() -> Vec<HandshakeType> {
    (0..=u8::MAX)
        .filter_map(HandshakeType::from_value)
        .collect()
}

/// A well-formed message of every kind, taken from the runs of the table
/// (HelloRequest, which no machine sends, is built: its body is empty).
fn samples(runs: &[Run]) -> Vec<Item> {
    let mut samples = vec![
        Item::ChangeCipherSpec,
        Item::Handshake(HandshakeMessage::new(HandshakePayload::HelloRequest)),
    ];
    for t in all_handshake_types() {
        if samples.iter().any(|s| s.message() == Message::Handshake(t)) {
            continue;
        }
        let recorded = runs
            .iter()
            .flat_map(|run| &run.sent)
            .map(|(_, item)| item)
            .find(|item| item.message() == Message::Handshake(t));
        let item = recorded.unwrap_or_else(|| panic!("no row of the table sends {}", t.name()));
        samples.push(item.clone());
    }
    samples
}

/// The one branch the receiver cannot foresee: after ServerKeyExchange, a
/// server may or may not ask for a certificate (§7.4.4: "A non-anonymous
/// server can optionally request a certificate from the client"), so both
/// CertificateRequest and ServerHelloDone are in order there. Every other
/// branch of the table was announced before it is taken: ServerHello's
/// session id and SessionTicket extension say whether a key exchange, a
/// NewSessionTicket follow; the client's Certificate, empty or not,
/// whether a CertificateVerify does. A message of another branch there is
/// wrong.
fn unforeseeable_branch(steps: &[Step], i: usize, wrong: Message) -> bool {
    let after_server_key_exchange = i > 0
        && steps[i - 1].sender == Side::Server
        && steps[i - 1].message == Message::Handshake(HandshakeType::ServerKeyExchange);
    after_server_key_exchange
        && [
            HandshakeType::CertificateRequest,
            HandshakeType::ServerHelloDone,
        ]
        .map(Message::Handshake)
        .contains(&wrong)
}

/// Step `i` follows its sender's ChangeCipherSpec: §7.4.9 "A Finished
/// message is always sent immediately after a change cipher spec message",
/// so there not even the HelloRequest a client otherwise ignores may come.
fn right_after_change_cipher_spec(steps: &[Step], i: usize) -> bool {
    i > 0
        && steps[i - 1].message == Message::ChangeCipherSpec
        && steps[i - 1].sender == steps[i].sender
}

/// The reason an `unexpected_message` error gives (a handshake message out
/// of order, or a record of the wrong type: ChangeCipherSpec where a message
/// is due, a message where ChangeCipherSpec is), or a panic saying what came
/// instead.
fn unexpected_reason(result: Result<(), Error>, what: &str) -> &'static str {
    match result {
        Err(
            e @ Error::Record(
                record_layer::Error::UnexpectedMessage(why)
                | record_layer::Error::UnexpectedRecord(why),
            ),
        ) => {
            assert_eq!(
                e.alert(),
                Some(AlertDescription::UnexpectedMessage),
                "{what}"
            );
            why
        }
        other => panic!("{what}: expected unexpected_message, got {other:?}"),
    }
}

/// How the injections went.
#[derive(Debug, Default, PartialEq, Eq)]
struct Counts {
    /// Refused with `unexpected_message`, the machine dead afterwards.
    rejected: usize,
    /// HelloRequest to a client in the middle of a handshake: ignored.
    ignored: usize,
    /// Accepted because the table has a row that sends it there.
    other_branch: usize,
}

#[test]
fn every_wrong_message_at_every_position_is_unexpected_message() {
    let scenarios: Vec<Scenario> = LEGAL_SEQUENCES.iter().map(Scenario::new).collect();
    let runs: Vec<Run> = LEGAL_SEQUENCES
        .iter()
        .zip(&scenarios)
        .map(|(seq, scenario)| run_row(seq, scenario))
        .collect();
    let samples = samples(&runs);
    assert_eq!(samples.len(), all_handshake_types().len() + 1);

    let mut counts = Counts::default();
    for (seq, scenario) in LEGAL_SEQUENCES.iter().zip(&scenarios) {
        for (i, step) in seq.steps.iter().enumerate() {
            for wrong in samples.iter().filter(|s| s.message() != step.message) {
                inject(seq, scenario, i, wrong, &samples, &mut counts);
            }
        }
    }

    // Computed from the table alone, so that a row or a position skipped
    // by the loop above shows.
    let steps = LEGAL_SEQUENCES.iter().flat_map(|seq| seq.steps);
    let to_client = steps.clone().filter(|s| s.sender == Side::Server).count();
    // The server's Finished, after its ChangeCipherSpec: one per row.
    let server_finished = LEGAL_SEQUENCES.len();
    let branches = LEGAL_SEQUENCES
        .iter()
        .flat_map(|seq| {
            (0..seq.steps.len()).filter(|&i| {
                samples.iter().any(|w| {
                    w.message() != seq.steps[i].message
                        && unforeseeable_branch(seq.steps, i, w.message())
                })
            })
        })
        .count();
    let injections = steps.count() * (samples.len() - 1);
    let expected = Counts {
        rejected: injections - to_client - branches + server_finished,
        ignored: to_client - server_finished,
        other_branch: branches,
    };
    println!(
        "{injections} wrong messages injected over {} rows: {counts:?}",
        LEGAL_SEQUENCES.len()
    );
    assert_eq!(counts, expected);
}

/// Replays `seq` up to step `i`, then hands its receiver `wrong` instead.
fn inject(
    seq: &LegalSequence,
    scenario: &Scenario,
    i: usize,
    wrong: &Item,
    samples: &[Item],
    counts: &mut Counts,
) {
    let mut run = Run::start(scenario);
    run.deliver_honestly(i);
    let (sender, right) = run.next();
    let receiver = other(sender);
    let what = format!(
        "{}, step {i} ({:?} {}): {} to the {receiver:?} instead",
        describe(seq),
        sender,
        right.message().name(),
        wrong.message().name(),
    );
    assert_eq!(sender, seq.steps[i].sender, "{what}");
    assert_eq!(right.message(), seq.steps[i].message, "{what}");

    // RFC 5246 §7.4.1.1: "This message will be ignored by the client if the
    // client is currently negotiating a session." Ignored means no answer,
    // no change of state, and nothing added to the transcript: the
    // handshake then completes as if it had never come (§7.4.9: its
    // Finished covers "all handshake messages ... not including ...
    // HelloRequest").
    if receiver == Side::Client
        && wrong.message() == Message::Handshake(HandshakeType::HelloRequest)
        && !right_after_change_cipher_spec(seq.steps, i)
    {
        let before = std::mem::discriminant(run.client.state());
        let in_flight = run.in_flight.len();
        run.deliver(sender, wrong.clone())
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(std::mem::discriminant(run.client.state()), before, "{what}");
        assert_eq!(run.in_flight.len(), in_flight, "{what}: answered");
        run.deliver(sender, right).unwrap();
        run.finish();
        assert_eq!(run.steps(), seq.steps, "{what}");
        run.established();
        counts.ignored += 1;
        return;
    }

    if receiver == Side::Client && unforeseeable_branch(seq.steps, i, wrong.message()) {
        // The table must agree: some row sends `wrong` after the same steps.
        let in_table = LEGAL_SEQUENCES.iter().any(|other| {
            other.steps.get(..i) == Some(&seq.steps[..i])
                && other.steps.get(i).map(|s| s.message) == Some(wrong.message())
        });
        assert!(
            in_table,
            "{what}: accepted, but no row of the table sends it"
        );
        run.deliver(sender, wrong.clone())
            .unwrap_or_else(|e| panic!("{what}: a legal branch was refused: {e}"));
        counts.other_branch += 1;
        return;
    }

    let why = unexpected_reason(run.deliver(sender, wrong.clone()), &what);
    let wrong_name = wrong.message().name().trim_matches(['[', ']']);
    let instead_of_change_cipher_spec = right.message() == Message::ChangeCipherSpec
        && why == "handshake message where ChangeCipherSpec is due";
    assert!(
        why.contains(wrong_name) || instead_of_change_cipher_spec,
        "{what}: the error says {why:?}"
    );
    assert!(run.is_failed(receiver), "{what}: the machine is not Failed");

    // Dead: the right message, and every other, is refused from now on.
    for item in std::iter::once(&right).chain(samples) {
        let after = format!("{what}; then {}", item.message().name());
        unexpected_reason(run.deliver(sender, item.clone()), &after);
        assert!(
            run.is_failed(receiver),
            "{after}: the machine is not Failed"
        );
    }
    counts.rejected += 1;
}
