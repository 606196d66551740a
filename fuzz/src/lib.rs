//! The bodies of the fuzz targets, one function per target.
//!
//! Each `fuzz/fuzz_targets/<name>.rs` is one line calling `<name>` here, and
//! `tests/fuzz_regressions.rs` includes this file to replay the saved inputs
//! (`fuzz/seeds/`, `fuzz/regressions/`) through the same code in a plain
//! `cargo test`. It therefore depends on nothing but `tls12` and `ring`
//! (a dependency of `tls12`, used here to check signatures and seal key
//! files independently of our code).
//!
//! Every body takes arbitrary bytes and must not panic: "Peer input never
//! panics" (DESIGN.md), and every malformed input is an error. Where a
//! property must hold for *any* input (a decoder and its encoder agree, the
//! deframer gives back exactly the bytes it was given), the body asserts it,
//! so the fuzzer searches for counterexamples to it too.
#![forbid(unsafe_code)]

mod farm;
mod keys;
mod names;
mod resumed;

pub use farm::{farm_key, redis_value};
pub use keys::{key_file, private_key};
pub use names::name_constraints;
pub use resumed::{client_resumed, server_resumed};

use std::sync::{Arc, OnceLock};

use tls12::handshake::extensions::{ClientExtensions, ServerExtensions};
use tls12::handshake::messages::{HandshakeMessage, HandshakePayload};
use tls12::record_layer::codec::{put_u24, Reader};
use tls12::record_layer::deframer::{
    HandshakeJoiner, MessageDeframer, DEFAULT_MAX_HANDSHAKE_MESSAGE,
};
use tls12::record_layer::record::{ContentType, RecordHeader};
use tls12::record_layer::Error as RecordError;
use tls12::session_store::{MemoryStore, StoreError, TicketKeys};
use tls12::{
    certs_from_pem, CertifiedKey, ClientAuth, ClientConfig, ClientSession, Connection,
    ServerConfig, Session, SigningKey, TrustAnchors,
};

/// `ticket<0..2^16-1>` (RFC 5077 §3.3): the largest ticket `seal` makes.
const TICKET_MAX: usize = 0xffff;
/// What a ticket adds to the session it seals: `key_name`, `nonce`, `tag`.
const TICKET_OVERHEAD: usize = 16 + 12 + 16;
/// The fixed "now" of the `ticket` target, UNIX seconds (2023-11-14).
const TICKET_NOW: u64 = 1_700_000_000;

/// Target `deframer`: records out of a byte stream (RFC 5246 §6.2.1), then
/// handshake messages out of the handshake records (§7.4).
///
/// Input: two bytes choosing where the stream is split (big-endian, modulo
/// the stream's length + 1), then the stream. The part before the split is
/// given with `push`, the rest with `read_from`, popping records as they
/// complete. Asserted: the records, and the first error, are the same as
/// when the whole stream is pushed; the records are the stream's own bytes,
/// in order; the deframer never stops taking bytes without giving a record,
/// and is empty at the end exactly when every byte went into a record; the
/// handshake messages are the same whether the handshake fragments are
/// joined record by record or all at once, and each one's `length` is its
/// body's, within the limit.
pub fn deframer(data: &[u8]) {
    let Some((split, stream)) = data.split_first_chunk::<2>() else {
        return;
    };
    let split = usize::from(u16::from_be_bytes(*split)) % (stream.len() + 1);
    let split_run = deframe(stream, split);
    let whole_run = deframe(stream, stream.len());
    assert_eq!(split_run, whole_run, "split at {split}");

    let rebuilt: Vec<u8> = split_run
        .records
        .iter()
        .flat_map(|(header, fragment)| header.encode().into_iter().chain(fragment.clone()))
        .collect();
    assert!(
        stream.starts_with(&rebuilt),
        "records differ from the stream"
    );
    if split_run.error.is_none() {
        assert_eq!(split_run.drained, rebuilt.len() == stream.len());
    }

    let fragments: Vec<&[u8]> = split_run
        .records
        .iter()
        .filter(|(header, _)| header.content_type == ContentType::Handshake)
        .map(|(_, fragment)| fragment.as_slice())
        .collect();
    let by_record = join(&fragments);
    let all = fragments.concat();
    let at_once = join(&[&all]);
    assert_eq!(by_record.error, at_once.error);
    if by_record.error.is_none() {
        assert_eq!(by_record, at_once);
        let raws: Vec<u8> = by_record.messages.concat();
        assert!(all.starts_with(&raws), "messages differ from the fragments");
        assert_eq!(by_record.partial, raws.len() != all.len());
    }
    for raw in &by_record.messages {
        let body_len = raw.len() - 4;
        assert!(body_len <= DEFAULT_MAX_HANDSHAKE_MESSAGE);
        let mut length = Vec::new();
        put_u24(&mut length, body_len as u32);
        assert_eq!(raw[1..4], length, "a message's length is not its body's");
    }
}

/// What one run of the deframer gave.
#[derive(Debug, PartialEq)]
struct Deframed {
    records: Vec<(RecordHeader, Vec<u8>)>,
    /// The error that stopped it, if any.
    error: Option<RecordError>,
    /// `is_empty()` at the end.
    drained: bool,
}

/// Deframes `stream`, pushing `stream[..split]` and reading the rest. Bytes
/// are offered twice before each round of popping, so that the deframer is
/// also offered bytes while full (it must then take none).
fn deframe(stream: &[u8], split: usize) -> Deframed {
    let mut d = MessageDeframer::new();
    let mut out = Deframed {
        records: Vec::new(),
        error: None,
        drained: false,
    };
    let (pushed, read) = stream.split_at(split);
    for (mut rest, by_read) in [(pushed, false), (read, true)] {
        while !rest.is_empty() {
            let took = feed(&mut d, &mut rest, by_read) + feed(&mut d, &mut rest, by_read);
            let popped = match pop_all(&mut d, &mut out.records) {
                Ok(popped) => popped,
                Err(e) => {
                    out.error = Some(e);
                    return out;
                }
            };
            assert!(took > 0 || popped > 0, "deframer is stuck");
        }
    }
    out.drained = d.is_empty();
    out
}

/// Offers `rest` with `push` or `read_from`; moves `rest` past what was
/// taken and returns how much that was.
fn feed(d: &mut MessageDeframer, rest: &mut &[u8], by_read: bool) -> usize {
    if by_read {
        // `&[u8]` is a `Read` that moves past what it gives; an error means
        // the buffer is full.
        d.read_from(rest).unwrap_or(0)
    } else {
        let n = d.push(rest);
        *rest = &rest[n..];
        n
    }
}

/// Pops every complete record; returns how many.
fn pop_all(
    d: &mut MessageDeframer,
    records: &mut Vec<(RecordHeader, Vec<u8>)>,
) -> Result<usize, RecordError> {
    let mut popped = 0;
    while let Some(record) = d.pop()? {
        assert_eq!(usize::from(record.header.length), record.fragment.len());
        records.push((record.header, record.fragment.to_vec()));
        popped += 1;
    }
    Ok(popped)
}

/// What one run of the handshake joiner gave.
#[derive(Debug, PartialEq)]
struct Joined {
    /// Each message's `raw` bytes.
    messages: Vec<Vec<u8>>,
    error: Option<RecordError>,
    /// `has_partial_message()` at the end.
    partial: bool,
}

/// Joins `fragments`, popping messages after each push.
fn join(fragments: &[&[u8]]) -> Joined {
    let mut j = HandshakeJoiner::new();
    let mut out = Joined {
        messages: Vec::new(),
        error: None,
        partial: false,
    };
    for fragment in fragments {
        let pushed = j.push(fragment);
        if let Err(e) = pushed.and_then(|()| pop_messages(&mut j, &mut out.messages)) {
            out.error = Some(e);
            return out;
        }
    }
    out.partial = j.has_partial_message();
    out
}

fn pop_messages(j: &mut HandshakeJoiner, messages: &mut Vec<Vec<u8>>) -> Result<(), RecordError> {
    while let Some(m) = j.pop()? {
        assert_eq!(m.raw.first(), Some(&m.msg_type));
        assert!(m.raw.ends_with(m.body));
        messages.push(m.raw.to_vec());
    }
    Ok(())
}

/// Target `handshake_message`: `HandshakeMessage::decode` (RFC 5246 §7.4)
/// of the whole input, as the joiner hands it out.
///
/// Asserted for every message that decodes: it keeps its raw bytes; its
/// payload encoded again with `HandshakeMessage::new` decodes to the same
/// payload (less the types of unknown extensions, which are not re-sent);
/// and that encoding is a fixed point.
pub fn handshake_message(data: &[u8]) {
    let Ok(msg) = HandshakeMessage::decode(data.to_vec()) else {
        return;
    };
    assert_eq!(msg.raw, data);
    let again = HandshakeMessage::new(msg.payload.clone());
    let decoded = HandshakeMessage::decode(again.raw.clone())
        .unwrap_or_else(|e| panic!("re-encoded {:?} does not decode: {e}", msg.payload));
    assert_eq!(decoded.payload, without_unknown(msg.payload));
    assert_eq!(HandshakeMessage::new(decoded.payload).raw, again.raw);
}

/// `payload` with the lists of skipped extension types emptied: they are
/// recorded for traces, not encoded.
fn without_unknown(mut payload: HandshakePayload) -> HandshakePayload {
    match &mut payload {
        HandshakePayload::ClientHello(m) => m.extensions.unknown.clear(),
        HandshakePayload::ServerHello(m) => m.extensions.unknown.clear(),
        _ => {}
    }
    payload
}

/// Target `extensions`: the input as a ClientHello's and as a ServerHello's
/// extensions block (RFC 5246 §7.4.1.4).
///
/// Asserted for each that decodes: its encoding decodes, with nothing left
/// over, to the same extensions (less the unknown types).
pub fn extensions(data: &[u8]) {
    if let Ok(e) = ClientExtensions::decode(&mut Reader::new(data)) {
        let mut out = Vec::new();
        e.encode(&mut out);
        let mut r = Reader::new(&out);
        let again = ClientExtensions::decode(&mut r)
            .unwrap_or_else(|err| panic!("re-encoded {e:?} does not decode: {err}"));
        assert!(r.is_empty());
        let expected = ClientExtensions {
            unknown: Vec::new(),
            ..e
        };
        assert_eq!(again, expected);
    }
    if let Ok(e) = ServerExtensions::decode(&mut Reader::new(data)) {
        let mut out = Vec::new();
        e.encode(&mut out);
        let mut r = Reader::new(&out);
        let again = ServerExtensions::decode(&mut r)
            .unwrap_or_else(|err| panic!("re-encoded {e:?} does not decode: {err}"));
        assert!(r.is_empty());
        let expected = ServerExtensions {
            unknown: Vec::new(),
            ..e
        };
        assert_eq!(again, expected);
    }
}

/// Target `session`: `Session::decode` of a `SessionState`, what a
/// server's session file or an opened ticket holds, and
/// `ClientSession::decode` of a `ClientSessionState`, what a client's
/// session file holds.
///
/// Asserted: a session that decodes encodes back to exactly the input (the
/// encoding has one form per session), and so does a client's.
pub fn session(data: &[u8]) {
    if let Ok(session) = Session::decode(data) {
        assert_eq!(&session.encode()[..], data);
    }
    if let Ok(kept) = ClientSession::decode(data) {
        assert_eq!(&kept.encode()[..], data);
    }
}

/// Target `ticket`: `TicketKeys::open` (RFC 5077 §4) of the input, under a
/// fixed key and a fixed clock.
///
/// Asserted: the input never opens (it would take forging AES-GCM's tag).
/// Since that alone stops at the tag check, an input that decodes as a
/// `SessionState` is also sealed and opened again: it must open to the same
/// session (expired or not), must fail to seal only when too large for
/// `ticket<0..2^16-1>`, and must not open with one bit flipped.
pub fn ticket(data: &[u8]) {
    static KEYS: OnceLock<TicketKeys> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        TicketKeys::new(Arc::new(|| TICKET_NOW)).expect("the system random generator works")
    });
    assert!(keys.open(data).is_none(), "a forged ticket opened");

    let Ok(session) = Session::decode(data) else {
        return;
    };
    let mut ticket = match keys.seal(&session) {
        Ok(ticket) => ticket,
        Err(StoreError::TicketTooLarge { .. }) => {
            assert!(data.len() + TICKET_OVERHEAD > TICKET_MAX);
            return;
        }
        Err(e) => panic!("sealing failed: {e}"),
    };
    assert_eq!(ticket.len(), data.len() + TICKET_OVERHEAD);
    // Expired or not, it opens: expiry is the handshake's to judge.
    let opened = keys.open(&ticket).expect("a ticket we sealed did not open");
    assert_eq!(&opened.encode()[..], data);
    let flip = data.len() % ticket.len();
    ticket[flip] ^= 1;
    assert!(keys.open(&ticket).is_none(), "a changed ticket opened");
}

/// Target `server`: a whole server connection ([`server_config`]) fed the
/// input as what the client sends.
///
/// Input: one byte giving the size of each `read_tls` (0: as much as fits),
/// then the bytes. After each read the connection processes its records,
/// its output is written and its application data read. Errors are
/// expected; asserted: a failed connection stays failed.
pub fn server(data: &[u8]) {
    drive(Connection::server(server_config()), data);
}

/// Target `client`: a whole client connection ([`client_config`], to
/// `localhost`) fed the input as what the server sends; the input format is
/// [`server`]'s.
///
/// The client's random is fresh on every run, so no input can carry a
/// valid ServerKeyExchange signature (it covers that random): the client is
/// explored up to ServerKeyExchange, with a real certificate chain (from
/// the seeds) verifying.
pub fn client(data: &[u8]) {
    let conn =
        Connection::client(client_config(), "localhost").expect("the client config is valid");
    drive(conn, data);
}

fn drive(mut conn: Connection, data: &[u8]) {
    let Some((&chunk, mut rest)) = data.split_first() else {
        return;
    };
    let chunk = if chunk == 0 {
        usize::MAX
    } else {
        usize::from(chunk)
    };
    let mut wire = Vec::new();
    flush(&mut conn, &mut wire);
    while !rest.is_empty() {
        let mut piece = &rest[..chunk.min(rest.len())];
        // An error here is the record buffer refusing more (records left
        // after close_notify): the connection reads no further.
        let Ok(n) = conn.read_tls(&mut piece) else {
            break;
        };
        if n == 0 {
            break;
        }
        rest = &rest[n..];
        let processed = conn.process_new_packets();
        flush(&mut conn, &mut wire);
        let mut plaintext = [0u8; 4096];
        while conn.read_application_data(&mut plaintext) > 0 {}
        if let Err(e) = processed {
            assert_eq!(
                conn.process_new_packets(),
                Err(e),
                "a failed connection recovered"
            );
            return;
        }
    }
    conn.send_close_notify();
    flush(&mut conn, &mut wire);
}

fn flush(conn: &mut Connection, wire: &mut Vec<u8>) {
    while conn.wants_write() {
        let n = conn.write_tls(wire).expect("writing to a Vec cannot fail");
        assert!(n > 0, "write_tls made no progress");
    }
    wire.clear();
}

/// The server of the `server` target, built once: the ECDSA and RSA
/// `localhost` chains of test-data/, a session cache and ticket keys (so
/// that a ClientHello's session id and ticket are looked up), and optional
/// client authentication against both test roots (so that a client's
/// Certificate is parsed and verified).
pub fn server_config() -> Arc<ServerConfig> {
    static CONFIG: OnceLock<Arc<ServerConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut config = ServerConfig::new(vec![
                certified(
                    include_bytes!("../../test-data/ecdsa/localhost.chain.pem"),
                    include_bytes!("../../test-data/ecdsa/localhost.key"),
                ),
                certified(
                    include_bytes!("../../test-data/rsa/localhost.chain.pem"),
                    include_bytes!("../../test-data/rsa/localhost.key"),
                ),
            ]);
            config.client_auth = ClientAuth::Optional(Arc::new(test_roots()));
            config.session_store = Some(Arc::new(MemoryStore::new(64)));
            config.ticket_keys = Some(Arc::new(
                TicketKeys::new(config.clock.clone()).expect("the system random generator works"),
            ));
            Arc::new(config)
        })
        .clone()
}

/// The client of the `client` target, built once: trusts both test roots,
/// and has the ECDSA client certificate to answer a CertificateRequest.
pub fn client_config() -> Arc<ClientConfig> {
    static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut config = ClientConfig::new(test_roots());
            config.client_certificates = vec![Arc::new(certified(
                include_bytes!("../../test-data/ecdsa/client.chain.pem"),
                include_bytes!("../../test-data/ecdsa/client.key"),
            ))];
            Arc::new(config)
        })
        .clone()
}

fn certified(chain: &[u8], key: &[u8]) -> CertifiedKey {
    CertifiedKey::new(
        certs_from_pem(chain).expect("test-data chain"),
        SigningKey::from_pem(key).expect("test-data key"),
    )
}

fn test_roots() -> TrustAnchors {
    let roots = [
        &include_bytes!("../../test-data/ecdsa/root.pem")[..],
        &include_bytes!("../../test-data/rsa/root.pem")[..],
    ]
    .concat();
    TrustAnchors::from_pem(&roots).expect("test-data roots")
}
