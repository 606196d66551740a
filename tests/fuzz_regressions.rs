//! The fuzz targets' saved inputs, replayed in a plain `cargo test`.
//!
//! The bodies of the fuzz targets live in fuzz/src/lib.rs, included here,
//! so the same code runs under libFuzzer (fuzz/README.md) and here, without
//! cargo-fuzz. For each target, every file of fuzz/seeds/<target>/ (inputs
//! cut from a real handshake: the fuzzer's starting corpus) and of
//! fuzz/regressions/<target>/ (inputs that once failed, and edge cases) goes
//! through the target's body, whose assertions must hold.
//!
//! The seeds are rewritten from a fresh handshake by
//! `cargo test --test fuzz_regressions -- --ignored write_seeds`.

#[path = "../fuzz/src/lib.rs"]
mod targets;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tls12::handshake::messages::{Certificate, HandshakeMessage, HandshakePayload, HandshakeType};
use tls12::handshake::observe::{Direction, Observer, TraceEvent};
use tls12::record_layer::record::{write_record, ContentType, ProtocolVersion};
use tls12::session_store::{ClientSessionStore, MemoryStore, ServerId};
use tls12::{CipherSuite, ClientSession, Connection};

/// A fuzz target's body: arbitrary bytes in, a panic on a failed property.
type Body = fn(&[u8]);

/// The targets whose seeds are cut from a handshake ([`seeds`]), by the
/// name of their fuzz/fuzz_targets/ file. The seeds of `private_key`
/// (test-data keys), `key_file`, `farm_key`, `redis_value`, `name_constraints` and the
/// `*_resumed` targets (scenario flags and edits) are fixed files, replayed by their tests below.
const TARGETS: [(&str, Body); 7] = [
    ("deframer", targets::deframer),
    ("handshake_message", targets::handshake_message),
    ("extensions", targets::extensions),
    ("session", targets::session),
    ("ticket", targets::ticket),
    ("server", targets::server),
    ("client", targets::client),
];

fn fuzz_dir(sub: &str, target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(sub)
        .join(target)
}

/// Runs every saved input of `target` through `body`; fails naming the file
/// whose input panicked, or if there is no input at all (a wrong path must
/// not pass).
fn replay(target: &str, body: Body) {
    let mut files = Vec::new();
    for sub in ["seeds", "regressions"] {
        let Ok(dir) = std::fs::read_dir(fuzz_dir(sub, target)) else {
            continue;
        };
        files.extend(dir.map(|entry| entry.unwrap().path()));
    }
    files.retain(|path| path.is_file());
    files.sort();
    assert!(!files.is_empty(), "no saved inputs for target {target}");
    for path in files {
        let input = std::fs::read(&path).unwrap();
        if std::panic::catch_unwind(|| body(&input)).is_err() {
            panic!("fuzz target {target} panicked on {}", path.display());
        }
    }
}

#[test]
fn deframer() {
    replay("deframer", targets::deframer);
}

#[test]
fn handshake_message() {
    replay("handshake_message", targets::handshake_message);
}

#[test]
fn extensions() {
    replay("extensions", targets::extensions);
}

#[test]
fn session() {
    replay("session", targets::session);
}

#[test]
fn ticket() {
    replay("ticket", targets::ticket);
}

/// The saved `SessionState`s (and a client's `ClientSessionState`s, named
/// `-kept`) still decode: a new `format_version` must carry them over, or
/// the session and ticket targets would only ever replay the version
/// check.
#[test]
fn saved_sessions_are_of_the_current_format() {
    let saved = [
        ("seeds", "session", ""),
        ("regressions", "session", ""),
        ("seeds", "ticket", "-session"),
        ("regressions", "ticket", "session-"),
    ];
    for (sub, target, marker) in saved {
        let mut checked = 0;
        for entry in std::fs::read_dir(fuzz_dir(sub, target)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            if !name.contains(marker) {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let decoded = match name.ends_with("-kept") {
                true => ClientSession::decode(&bytes).map(drop),
                false => tls12::Session::decode(&bytes).map(drop),
            };
            if let Err(e) = decoded {
                panic!("{}: {e}", path.display());
            }
            checked += 1;
        }
        assert_ne!(checked, 0, "no saved session in {sub}/{target}");
    }
}

#[test]
fn server() {
    replay("server", targets::server);
}

#[test]
fn client() {
    replay("client", targets::client);
}

#[test]
fn private_key() {
    replay("private_key", targets::private_key);
}

#[test]
fn key_file() {
    replay("key_file", targets::key_file);
}

#[test]
fn redis_value() {
    replay("redis_value", targets::redis_value);
}

#[test]
fn farm_key() {
    replay("farm_key", targets::farm_key);
}

#[test]
fn name_constraints() {
    replay("name_constraints", targets::name_constraints);
}

#[test]
fn client_resumed() {
    replay("client_resumed", targets::client_resumed);
}

#[test]
fn server_resumed() {
    replay("server_resumed", targets::server_resumed);
}

/// Keeps the raw bytes of every handshake message its side sends.
#[derive(Debug, Default)]
struct SentMessages(Mutex<Vec<Vec<u8>>>);

impl Observer for SentMessages {
    fn event(&self, event: &TraceEvent<'_>) {
        if let TraceEvent::Handshake {
            direction: Direction::Sent,
            message,
        } = event
        {
            self.0.lock().unwrap().push(message.raw.clone());
        }
    }
}

/// What one handshake between our client and server put on the wire.
struct Transcript {
    /// Everything the client sent, then everything the server sent.
    client_wire: Vec<u8>,
    server_wire: Vec<u8>,
    /// Each handshake message, decrypted, in the order sent.
    messages: Vec<Vec<u8>>,
    client: Connection,
    server: Connection,
    /// What the client kept of the session afterwards: with its ticket.
    kept: ClientSession,
}

/// A handshake between the fuzz targets' client and server configs, in
/// memory, the client offering `suites` and keeping sessions in `store`.
fn handshake(suites: &[CipherSuite], store: &Arc<MemoryStore>) -> Transcript {
    let sent = Arc::new(SentMessages::default());
    let mut client_config = (*targets::client_config()).clone();
    client_config.cipher_suites = suites.to_vec();
    client_config.session_store = Some(store.clone());
    client_config.observer = Some(sent.clone());
    let mut server_config = (*targets::server_config()).clone();
    server_config.observer = Some(sent.clone());

    let mut client = Connection::client(Arc::new(client_config), "localhost").unwrap();
    let mut server = Connection::server(Arc::new(server_config));
    let (mut client_wire, mut server_wire) = (Vec::new(), Vec::new());
    for _ in 0..10 {
        transfer(&mut client, &mut server, &mut client_wire);
        transfer(&mut server, &mut client, &mut server_wire);
    }
    assert!(!client.is_handshaking() && !server.is_handshaking());
    let messages = sent.0.lock().unwrap().clone();
    let localhost = ServerId::parse("localhost").unwrap();
    let kept = ClientSessionStore::get(&**store, &localhost)
        .unwrap()
        .unwrap();
    Transcript {
        client_wire,
        server_wire,
        messages,
        client,
        server,
        kept,
    }
}

/// Moves what `from` has to send into `to`, keeping a copy in `wire`.
fn transfer(from: &mut Connection, to: &mut Connection, wire: &mut Vec<u8>) {
    let mut bytes = Vec::new();
    while from.wants_write() {
        from.write_tls(&mut bytes).unwrap();
    }
    wire.extend_from_slice(&bytes);
    let mut rest = &bytes[..];
    while !rest.is_empty() {
        to.read_tls(&mut rest).unwrap();
        to.process_new_packets().unwrap();
    }
}

/// The client's flights of a full handshake as a client without a
/// certificate sends them: ClientHello, an empty Certificate,
/// ClientKeyExchange, no CertificateVerify, then the real ChangeCipherSpec
/// and encrypted Finished. Optional client authentication lets a server
/// take this up to the Finished record, which it then has to decrypt (and
/// cannot, its keys being new): a seed that reaches record decryption.
fn without_client_certificate(t: &Transcript) -> Vec<u8> {
    let client_message = |typ: HandshakeType| {
        let raw = t.messages.iter().find(|raw| raw[0] == typ.value());
        raw.unwrap().clone()
    };
    let no_certificate =
        HandshakeMessage::new(HandshakePayload::Certificate(Certificate::default()));
    let mut flight = Vec::new();
    for message in [
        client_message(HandshakeType::ClientHello),
        no_certificate.raw,
        client_message(HandshakeType::ClientKeyExchange),
    ] {
        let version = ProtocolVersion::TLS1_2;
        write_record(&mut flight, ContentType::Handshake, version, &message, 0, 0);
    }
    // The client's last two records: ChangeCipherSpec, Finished.
    let mut records = Vec::new();
    let mut rest = &t.client_wire[..];
    while !rest.is_empty() {
        let len = 5 + usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        records.push(&rest[..len]);
        rest = &rest[len..];
    }
    let [.., change_cipher_spec, finished] = records[..] else {
        panic!("the client sent fewer than two records");
    };
    assert_eq!(change_cipher_spec[0], ContentType::ChangeCipherSpec.value());
    [&flight[..], change_cipher_spec, finished].concat()
}

/// The seed inputs, per target: (target, file name, bytes).
fn seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let store = Arc::new(MemoryStore::new(4));
    let full = handshake(&CipherSuite::ALL, &store);
    let resumed = handshake(&CipherSuite::ALL, &store);
    assert!(resumed.client.established().unwrap().resumed);
    let rsa_suite = [CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384];
    let rsa = handshake(&rsa_suite, &Arc::new(MemoryStore::new(4)));

    let mut seeds = Vec::new();
    for (name, t) in [("full", &full), ("resumed", &resumed), ("rsa", &rsa)] {
        for (side, wire) in [("client", &t.client_wire), ("server", &t.server_wire)] {
            let split = u16::try_from(wire.len() / 2).unwrap().to_be_bytes();
            let input = [&split[..], wire].concat();
            seeds.push(("deframer", format!("{name}-{side}-wire"), input));
        }
        let peer = [("server", &t.client_wire), ("client", &t.server_wire)];
        for (target, wire) in peer {
            seeds.push((target, format!("{name}-whole"), [&[0][..], wire].concat()));
            seeds.push((target, format!("{name}-by-7"), [&[7][..], wire].concat()));
        }
        if name != "resumed" {
            let flight = without_client_certificate(t);
            let input = [&[0][..], &flight].concat();
            seeds.push(("server", format!("{name}-no-client-certificate"), input));
        }
        for (i, raw) in t.messages.iter().enumerate() {
            let msg = HandshakeMessage::decode(raw.clone()).unwrap();
            let file = format!("{name}-{i:02}-{}", msg.handshake_type().name());
            seeds.push(("handshake_message", file, raw.clone()));
            let mut block = Vec::new();
            match &msg.payload {
                HandshakePayload::ClientHello(m) => m.extensions.encode(&mut block),
                HandshakePayload::ServerHello(m) => m.extensions.encode(&mut block),
                _ => continue,
            }
            let file = format!("{name}-{}", msg.handshake_type().name());
            seeds.push(("extensions", file, block));
        }
        for (side, conn) in [("client", &t.client), ("server", &t.server)] {
            let state = conn.session().unwrap().encode().to_vec();
            seeds.push(("session", format!("{name}-{side}"), state.clone()));
            seeds.push(("ticket", format!("{name}-{side}-session"), state));
        }
        let client_state = t.kept.encode().to_vec();
        seeds.push(("session", format!("{name}-client-kept"), client_state));
        let ticket = t.kept.ticket.clone().unwrap();
        seeds.push(("ticket", format!("{name}-ticket"), ticket));
    }
    seeds
}

/// The seeds come from handshakes that complete (client-authenticated full
/// handshakes with an ECDSA and an RSA server certificate, and a ticket
/// resumption) and hold every message they send; a fresh set of them (new
/// randoms, keys and signatures) passes every target.
#[test]
fn fresh_seeds_pass_every_target() {
    let seeds = seeds();
    let types: Vec<HandshakeType> = seeds
        .iter()
        .filter(|(target, _, _)| *target == "handshake_message")
        .map(|(_, _, raw)| HandshakeMessage::decode(raw.clone()).unwrap())
        .map(|m| m.handshake_type())
        .collect();
    for expected in [
        HandshakeType::ClientHello,
        HandshakeType::ServerHello,
        HandshakeType::Certificate,
        HandshakeType::ServerKeyExchange,
        HandshakeType::CertificateRequest,
        HandshakeType::ServerHelloDone,
        HandshakeType::ClientKeyExchange,
        HandshakeType::CertificateVerify,
        HandshakeType::NewSessionTicket,
        HandshakeType::Finished,
    ] {
        assert!(types.contains(&expected), "no {expected:?} in {types:?}");
    }
    for (target, body) in TARGETS {
        let inputs: Vec<_> = seeds.iter().filter(|(t, _, _)| *t == target).collect();
        assert!(!inputs.is_empty(), "no seed for {target}");
        for (_, _, input) in inputs {
            body(input);
        }
    }
}

/// Rewrites fuzz/seeds/ from a fresh handshake.
#[test]
#[ignore = "writes fuzz/seeds/: run by hand"]
fn write_seeds() {
    for (target, file, bytes) in seeds() {
        let dir = fuzz_dir("seeds", target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(file), bytes).unwrap();
    }
}
