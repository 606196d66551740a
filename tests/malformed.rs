//! Malformed input (RFC 5246 §4.3, §6.2, §7.1, §7.2.2, §7.4): the bytes of a
//! real handshake cut short, padded, given wrong lengths, empty where the
//! RFC forbids it, repeated or out of place, and the alert each one gets.
//!
//! Every case is delivered to one of our connections, client or server,
//! brought to the state where the message is expected, and checks:
//!
//! 1. `process_new_packets` returns the specific error (the variant, and
//!    the alert [`Error::alert`] maps it to);
//! 2. the connection wrote exactly one record, a fatal alert with that
//!    description, read off the wire (and opened with keys derived here
//!    from the master secret, RFC 5246 §6.3, when the failing side was
//!    already protecting its records);
//! 3. the connection stays failed and sends nothing more.
//!
//! The messages come from one real full handshake between our client and
//! our server ([`Capture`]). A message whose validity does not depend on
//! the randoms of its handshake (ServerHello, Certificate, a
//! ServerKeyExchange's encoding, ClientHello, ClientKeyExchange) is
//! replayed to a fresh connection; one that does (what follows a signed
//! ServerKeyExchange) gets a real handshake of its own.
//!
//! Where tests/negative.rs already covers a case (early ChangeCipherSpec at
//! every position, application data before the first handshake message,
//! suites not offered, record versions), it is not repeated here.

mod common;

use std::sync::Arc;

use common::wire::{
    assert_fatal_alert, assert_unexpected_message, assert_unexpected_record, content_types,
    deliver, handshake, handshake_with_length, message, next_write_state, open, plaintext_record,
    records, seal, take, to_wire, untouched, write_state, AlertProtection, Pair, Writer,
    CHANGE_CIPHER_SPEC,
};
use tls12::handshake::messages::{
    HandshakeMessage, HandshakePayload, HandshakeType, MessageLimits,
};
use tls12::handshake::x509::{CertificateError, MAX_CHAIN_LEN};
use tls12::record_layer::aead::CipherState;
use tls12::record_layer::alert::MAX_WARNING_ALERTS;
use tls12::record_layer::codec::{DecodeError, Reader};
use tls12::record_layer::deframer::MAX_IGNORED_RECORDS;
use tls12::record_layer::record::{
    ContentType, ProtocolVersion, HEADER_LEN, MAX_CIPHERTEXT, MAX_PLAINTEXT,
};
use tls12::session_store::{ClientSessionStore, MemoryStore, ServerId, TicketKeys};
use tls12::{
    system_clock, AlertDescription, ClientAuth, ClientConfig, Connection, Error, ServerConfig,
    MAX_BUFFERED_PLAINTEXT,
};
use tls12_trace::text::Tracer;

type RecordError = tls12::record_layer::Error;
use AlertDescription as A;
use HandshakeType as T;

// ---------------------------------------------------------------------------
// One real handshake, taken apart
// ---------------------------------------------------------------------------

/// A server with both `localhost` chains that issues session tickets, so
/// that its last flight carries a NewSessionTicket in the clear.
fn server_config() -> ServerConfig {
    let mut config = common::server_config();
    config.ticket_keys = Some(Arc::new(TicketKeys::new(system_clock()).unwrap()));
    config
}

/// The raw messages (header and body) of one full handshake, as sent, and
/// the configurations that made them.
struct Capture {
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
    client_hello: Vec<u8>,
    server_hello: Vec<u8>,
    certificate: Vec<u8>,
    server_key_exchange: Vec<u8>,
    server_hello_done: Vec<u8>,
    client_key_exchange: Vec<u8>,
    new_session_ticket: Vec<u8>,
    /// With client authentication (§7.4.4, §7.4.6, §7.4.8).
    client_auth: Option<ClientAuthMessages>,
}

/// The messages a handshake with client authentication adds.
struct ClientAuthMessages {
    certificate_request: Vec<u8>,
    client_certificate: Vec<u8>,
    certificate_verify: Vec<u8>,
}

/// What a fresh connection made by [`Capture::receiver`] waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expecting {
    ClientHello,
    ServerHello,
    Certificate,
    ServerKeyExchange,
    ServerHelloDone,
    ClientKeyExchange,
    NewSessionTicket,
    /// The client's side of client authentication: these need
    /// [`Capture::with_client_auth`].
    CertificateRequest,
    ClientCertificate,
    CertificateVerify,
}

impl Capture {
    fn new() -> Self {
        Self::of_handshake(common::client_config(), server_config())
    }

    /// A handshake in which the server requires a client certificate and
    /// the client has one (ECDSA).
    fn with_client_auth() -> Self {
        let mut client = common::client_config();
        client.client_certificates = vec![Arc::new(common::certified(
            "ecdsa/client.chain.pem",
            "ecdsa/client.key",
        ))];
        let mut server = server_config();
        server.client_auth = ClientAuth::Required(Arc::new(common::anchors(&["ecdsa/root.pem"])));
        Self::of_handshake(client, server)
    }

    /// The capture `what` needs.
    fn for_message(what: Expecting) -> Self {
        match what {
            Expecting::CertificateRequest
            | Expecting::ClientCertificate
            | Expecting::CertificateVerify => Self::with_client_auth(),
            _ => Self::new(),
        }
    }

    /// The messages of a full handshake between `client` and `server`.
    fn of_handshake(client: ClientConfig, server: ServerConfig) -> Self {
        let client = Arc::new(client);
        let server = Arc::new(server);
        let mut pair = Self::real_pair(&client, &server);
        let hello = take(&mut pair.client);
        deliver(&mut pair.server, &hello).unwrap();
        let flight = take(&mut pair.server);
        deliver(&mut pair.client, &flight).unwrap();
        let second = take(&mut pair.client);
        deliver(&mut pair.server, &second).unwrap();
        let last = take(&mut pair.server);
        assert!(pair.client.established().is_none() && pair.server.established().is_some());
        let asked = !matches!(server.client_auth, ClientAuth::None);
        let client_auth = asked.then(|| ClientAuthMessages {
            certificate_request: message(&flight, T::CertificateRequest),
            client_certificate: message(&second, T::Certificate),
            certificate_verify: message(&second, T::CertificateVerify),
        });
        Self {
            client_auth,
            client_hello: message(&hello, T::ClientHello),
            server_hello: message(&flight, T::ServerHello),
            certificate: message(&flight, T::Certificate),
            server_key_exchange: message(&flight, T::ServerKeyExchange),
            server_hello_done: message(&flight, T::ServerHelloDone),
            client_key_exchange: message(&second, T::ClientKeyExchange),
            new_session_ticket: message(&last, T::NewSessionTicket),
            client,
            server,
        }
    }

    fn real_pair(client: &Arc<ClientConfig>, server: &Arc<ServerConfig>) -> Pair {
        Pair {
            client: Connection::client(client.clone(), "localhost").unwrap(),
            server: Connection::server(server.clone()),
        }
    }

    /// The captured message of type `what` expects.
    fn message(&self, what: Expecting) -> &[u8] {
        match what {
            Expecting::ClientHello => &self.client_hello,
            Expecting::ServerHello => &self.server_hello,
            Expecting::Certificate => &self.certificate,
            Expecting::ServerKeyExchange => &self.server_key_exchange,
            Expecting::ServerHelloDone => &self.server_hello_done,
            Expecting::ClientKeyExchange => &self.client_key_exchange,
            Expecting::NewSessionTicket => &self.new_session_ticket,
            Expecting::CertificateRequest => &self.client_auth().certificate_request,
            Expecting::ClientCertificate => &self.client_auth().client_certificate,
            Expecting::CertificateVerify => &self.client_auth().certificate_verify,
        }
    }

    fn client_auth(&self) -> &ClientAuthMessages {
        self.client_auth
            .as_ref()
            .expect("a capture made with_client_auth")
    }

    /// A fresh connection that waits for `what`: brought there with the
    /// captured messages before it, or, past a signed ServerKeyExchange
    /// (bound to its handshake's randoms, RFC 8422 §5.4), by a real
    /// handshake of its own.
    fn receiver(&self, what: Expecting) -> Connection {
        self.receiver_and_alert_protection(what).0
    }

    /// [`Capture::receiver`], and how its alert will travel: in the clear,
    /// except for a client waiting for NewSessionTicket, which has sent its
    /// ChangeCipherSpec and Finished (sequence number 0) already. Its keys
    /// come from the server, which is made to complete for that.
    fn receiver_and_alert_protection(&self, what: Expecting) -> (Connection, AlertProtection) {
        let fed = |mut conn: Connection, messages: &[&[u8]]| {
            for msg in messages {
                deliver(&mut conn, &plaintext_record(ContentType::Handshake, msg)).unwrap();
            }
            take(&mut conn);
            conn
        };
        let client = || {
            let mut conn = Connection::client(self.client.clone(), "localhost").unwrap();
            take(&mut conn);
            conn
        };
        let conn = match what {
            Expecting::ClientHello => Connection::server(self.server.clone()),
            Expecting::ClientKeyExchange => fed(
                Connection::server(self.server.clone()),
                &[&self.client_hello],
            ),
            Expecting::ServerHello => client(),
            Expecting::Certificate => fed(client(), &[&self.server_hello]),
            Expecting::ServerKeyExchange => fed(client(), &[&self.server_hello, &self.certificate]),
            Expecting::ServerHelloDone => {
                let mut pair = Self::real_pair(&self.client, &self.server);
                pair.flight_to_server(untouched).unwrap();
                pair.flight_to_client(|wire| {
                    common::wire::without(wire, |_, f| f[0] == T::ServerHelloDone.value())
                })
                .unwrap();
                assert!(!pair.client.wants_write());
                pair.client
            }
            Expecting::CertificateRequest => {
                let mut pair = Self::real_pair(&self.client, &self.server);
                pair.flight_to_server(untouched).unwrap();
                pair.flight_to_client(|wire| {
                    common::wire::without(wire, |_, f| {
                        f[0] == T::CertificateRequest.value() || f[0] == T::ServerHelloDone.value()
                    })
                })
                .unwrap();
                pair.client
            }
            Expecting::ClientCertificate => fed(
                Connection::server(self.server.clone()),
                &[&self.client_hello],
            ),
            Expecting::CertificateVerify => {
                let auth = self.client_auth();
                fed(
                    Connection::server(self.server.clone()),
                    &[
                        &self.client_hello,
                        &auth.client_certificate,
                        &self.client_key_exchange,
                    ],
                )
            }
            Expecting::NewSessionTicket => {
                let mut pair = Self::real_pair(&self.client, &self.server);
                pair.flight_to_server(untouched).unwrap();
                pair.flight_to_client(untouched).unwrap();
                pair.flight_to_server(untouched).unwrap();
                take(&mut pair.server);
                let est = pair.server.established().unwrap();
                let state = write_state(est, Writer::Client, 1);
                return (pair.client, AlertProtection::Sealed(Box::new(state)));
            }
        };
        (conn, AlertProtection::Clear)
    }

    /// Delivers `msg` (a whole handshake message, in one plaintext record)
    /// to a fresh connection that expects `what`, and checks that it is
    /// refused with `alert` (see the module docs); returns the error.
    fn refused(&self, what: Expecting, msg: &[u8], alert: A, case: &str) -> Error {
        self.refused_record(
            what,
            &plaintext_record(ContentType::Handshake, msg),
            alert,
            case,
        )
    }

    /// [`Capture::refused`] for any bytes on the wire.
    fn refused_record(&self, what: Expecting, wire: &[u8], alert: A, case: &str) -> Error {
        let (mut conn, protection) = self.receiver_and_alert_protection(what);
        let result = deliver(&mut conn, wire);
        match &result {
            Ok(()) => panic!("{case}: accepted"),
            Err(e) => assert_eq!(e.alert(), Some(alert), "{case}: {e}"),
        }
        assert_fatal_alert(&mut conn, result, protection, alert)
    }

    /// Delivers `msg` to a fresh connection that expects `what`: it must be
    /// taken without an error.
    fn accepted(&self, what: Expecting, msg: &[u8]) -> Connection {
        let mut conn = self.receiver(what);
        deliver(&mut conn, &plaintext_record(ContentType::Handshake, msg))
            .unwrap_or_else(|e| panic!("{what:?}: {e}"));
        conn
    }
}

/// A `decode_error` from the codec: what every malformed encoding must be.
fn assert_decode_error(error: &Error, case: &str) {
    assert!(
        matches!(error, Error::Record(RecordError::Decode(_))),
        "{case}: {error:?}"
    );
}

fn msg_type(raw: &[u8]) -> HandshakeType {
    HandshakeType::from_value(raw[0]).unwrap()
}

fn body(raw: &[u8]) -> &[u8] {
    &raw[4..]
}

// ---------------------------------------------------------------------------
// Message bodies, field by field (RFC 5246 §4.3 vectors)
// ---------------------------------------------------------------------------

/// One vector's length prefix inside a [`Body`].
#[derive(Clone, Debug)]
struct LengthField {
    /// The RFC's name of the vector, with the extension it is in.
    name: String,
    /// Where the prefix starts in the body.
    at: usize,
    /// Its width in bytes: 1, 2 or 3 (§4.3).
    width: usize,
    /// The value it holds in the real message.
    value: usize,
}

/// A message body built field by field, remembering every length prefix,
/// so that a test can give one of them a wrong value.
#[derive(Default)]
struct Body {
    bytes: Vec<u8>,
    lengths: Vec<LengthField>,
}

impl Body {
    fn put(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
    }

    /// A vector `name<..>` with a `width`-byte length prefix, its content
    /// written by `content`.
    fn vector(&mut self, name: impl Into<String>, width: usize, content: impl FnOnce(&mut Body)) {
        let at = self.bytes.len();
        self.bytes.resize(at + width, 0);
        content(self);
        let value = self.bytes.len() - at - width;
        self.bytes[at..at + width].copy_from_slice(&value.to_be_bytes()[8 - width..]);
        self.lengths.push(LengthField {
            name: name.into(),
            at,
            width,
            value,
        });
    }

    /// The body with the length prefix `field` set to `value`.
    fn with_length(&self, field: &LengthField, value: usize) -> Vec<u8> {
        let mut bytes = self.bytes.clone();
        bytes[field.at..field.at + field.width]
            .copy_from_slice(&value.to_be_bytes()[8 - field.width..]);
        bytes
    }
}

/// `Extension extensions<0..2^16-1>` as (type, data) pairs, or `None`
/// when the hello has no extensions block.
type Extensions = Option<Vec<(u16, Vec<u8>)>>;

fn parse_extensions(r: &mut Reader<'_>) -> Extensions {
    if r.is_empty() {
        return None;
    }
    let mut list = r.vector(0, 0xffff, "extensions").unwrap();
    let mut out = Vec::new();
    while !list.is_empty() {
        let typ = list.u16("type").unwrap();
        out.push((typ, list.opaque(0, 0xffff, "data").unwrap().to_vec()));
    }
    Some(out)
}

/// The extension's name and, for those whose data is itself one vector,
/// that vector's name and prefix width.
fn extension_layout(typ: u16) -> (&'static str, Option<(&'static str, usize)>) {
    match typ {
        0 => ("server_name", None),
        10 => ("supported_groups", Some(("NamedCurveList", 2))),
        11 => ("ec_point_formats", Some(("ECPointFormatList", 1))),
        13 => (
            "signature_algorithms",
            Some(("supported_signature_algorithms", 2)),
        ),
        23 => ("extended_master_secret", None),
        35 => ("SessionTicket", None),
        0xff01 => ("renegotiation_info", Some(("renegotiated_connection", 1))),
        _ => ("unknown", None),
    }
}

fn put_extensions(b: &mut Body, extensions: &Extensions) {
    let Some(extensions) = extensions else {
        return;
    };
    b.vector("extensions", 2, |b| {
        for (typ, data) in extensions {
            let (name, inner) = extension_layout(*typ);
            b.put(&typ.to_be_bytes());
            b.vector(format!("extension_data({name})"), 2, |b| match inner {
                _ if *typ == 0 && server_name_list(data).is_some() => {
                    put_server_name_list(b, server_name_list(data).unwrap())
                }
                Some((inner, width)) => {
                    b.vector(format!("{name}.{inner}"), width, |b| b.put(&data[width..]))
                }
                None => b.put(data),
            });
        }
    });
}

/// The one `host_name` of an RFC 6066 §3 `ServerName
/// server_name_list<1..2^16-1>`, as our client sends it; `None` for
/// anything else (a test's malformed list, a server's empty extension).
fn server_name_list(data: &[u8]) -> Option<&[u8]> {
    let mut r = Reader::new(data);
    let mut list = r.vector(1, 0xffff, "ServerNameList").ok()?;
    let name_type = list.u8("name_type").ok()?;
    let host = list.opaque(1, 0xffff, "HostName").ok()?;
    (name_type == 0 && list.is_empty() && r.is_empty()).then_some(host)
}

fn put_server_name_list(b: &mut Body, host: &[u8]) {
    b.vector("server_name.ServerNameList", 2, |b| {
        b.put(&[0]);
        b.vector("server_name.HostName", 2, |b| b.put(host));
    });
}

/// ClientHello (§7.4.1.2), field by field.
#[derive(Clone)]
struct ClientHelloParts {
    client_version: [u8; 2],
    random: Vec<u8>,
    session_id: Vec<u8>,
    cipher_suites: Vec<u8>,
    compression_methods: Vec<u8>,
    extensions: Extensions,
}

impl ClientHelloParts {
    fn parse(raw: &[u8]) -> Self {
        let mut r = Reader::new(body(raw));
        let parts = Self {
            client_version: r.array("client_version").unwrap(),
            random: r.take(32, "random").unwrap().to_vec(),
            session_id: r.opaque(0, 32, "session_id").unwrap().to_vec(),
            cipher_suites: r.opaque(2, 0xfffe, "cipher_suites").unwrap().to_vec(),
            compression_methods: r.opaque(1, 0xff, "compression_methods").unwrap().to_vec(),
            extensions: parse_extensions(&mut r),
        };
        let b = parts.body();
        assert_eq!(b.bytes, body(raw), "ClientHello re-encodes byte for byte");
        parts
    }

    fn body(&self) -> Body {
        let mut b = Body::default();
        b.put(&self.client_version);
        b.put(&self.random);
        b.vector("session_id", 1, |b| b.put(&self.session_id));
        b.vector("cipher_suites", 2, |b| b.put(&self.cipher_suites));
        b.vector("compression_methods", 1, |b| {
            b.put(&self.compression_methods)
        });
        put_extensions(&mut b, &self.extensions);
        b
    }

    fn message(&self) -> Vec<u8> {
        handshake(T::ClientHello, &self.body().bytes)
    }

    fn extensions_mut(&mut self) -> &mut Vec<(u16, Vec<u8>)> {
        self.extensions.as_mut().unwrap()
    }

    fn extension_mut(&mut self, typ: u16) -> &mut Vec<u8> {
        self.extensions_mut()
            .iter_mut()
            .find(|(t, _)| *t == typ)
            .map(|(_, d)| d)
            .unwrap_or_else(|| panic!("no extension {typ:#06x}"))
    }
}

/// ServerHello (§7.4.1.3), field by field.
#[derive(Clone)]
struct ServerHelloParts {
    server_version: [u8; 2],
    random: Vec<u8>,
    session_id: Vec<u8>,
    cipher_suite: [u8; 2],
    compression_method: u8,
    extensions: Extensions,
}

impl ServerHelloParts {
    fn parse(raw: &[u8]) -> Self {
        let mut r = Reader::new(body(raw));
        let parts = Self {
            server_version: r.array("server_version").unwrap(),
            random: r.take(32, "random").unwrap().to_vec(),
            session_id: r.opaque(0, 32, "session_id").unwrap().to_vec(),
            cipher_suite: r.array("cipher_suite").unwrap(),
            compression_method: r.u8("compression_method").unwrap(),
            extensions: parse_extensions(&mut r),
        };
        assert_eq!(parts.body().bytes, body(raw), "ServerHello re-encodes");
        parts
    }

    fn body(&self) -> Body {
        let mut b = Body::default();
        b.put(&self.server_version);
        b.put(&self.random);
        b.vector("session_id", 1, |b| b.put(&self.session_id));
        b.put(&self.cipher_suite);
        b.put(&[self.compression_method]);
        put_extensions(&mut b, &self.extensions);
        b
    }

    fn message(&self) -> Vec<u8> {
        handshake(T::ServerHello, &self.body().bytes)
    }
}

/// Certificate (§7.4.2): `ASN.1Cert certificate_list<0..2^24-1>`.
fn certificate_body(chain: &[Vec<u8>]) -> Body {
    let mut b = Body::default();
    b.vector("certificate_list", 3, |b| {
        for (i, cert) in chain.iter().enumerate() {
            b.vector(format!("ASN.1Cert[{i}]"), 3, |b| b.put(cert));
        }
    });
    b
}

fn parse_certificate(raw: &[u8]) -> Vec<Vec<u8>> {
    match HandshakeMessage::decode(raw.to_vec()).unwrap().payload {
        HandshakePayload::Certificate(c) => c.certificate_list,
        other => panic!("{other:?}"),
    }
}

/// ServerKeyExchange for ECDHE (RFC 8422 §5.4), field by field.
fn server_key_exchange_body(raw: &[u8]) -> Body {
    let mut r = Reader::new(body(raw));
    let curve = r.take(3, "ECParameters").unwrap();
    let point = r.opaque(1, 0xff, "ECPoint").unwrap();
    let algorithm = r.take(2, "algorithm").unwrap();
    let signature = r.opaque(0, 0xffff, "signature").unwrap();
    let mut b = Body::default();
    b.put(curve);
    b.vector("ECPoint.point", 1, |b| b.put(point));
    b.put(algorithm);
    b.vector("DigitallySigned.signature", 2, |b| b.put(signature));
    assert_eq!(b.bytes, body(raw), "ServerKeyExchange re-encodes");
    b
}

/// ClientKeyExchange for ECDHE (RFC 8422 §5.7): `ECPoint ecdh_Yc`.
fn client_key_exchange_body(raw: &[u8]) -> Body {
    let mut r = Reader::new(body(raw));
    let point = r.opaque(1, 0xff, "ECPoint").unwrap();
    let mut b = Body::default();
    b.vector("ECPoint.point", 1, |b| b.put(point));
    assert_eq!(b.bytes, body(raw), "ClientKeyExchange re-encodes");
    b
}

/// CertificateRequest (§7.4.4), field by field.
fn certificate_request_body(raw: &[u8]) -> Body {
    let mut r = Reader::new(body(raw));
    let types = r.opaque(1, 0xff, "certificate_types").unwrap();
    let algorithms = r.opaque(0, 0xffff, "algorithms").unwrap();
    let mut names = r.vector(0, 0xffff, "certificate_authorities").unwrap();
    let mut authorities = Vec::new();
    while !names.is_empty() {
        authorities.push(names.opaque(1, 0xffff, "DistinguishedName").unwrap());
    }
    let mut b = Body::default();
    b.vector("certificate_types", 1, |b| b.put(types));
    b.vector("supported_signature_algorithms", 2, |b| b.put(algorithms));
    b.vector("certificate_authorities", 2, |b| {
        for (i, name) in authorities.iter().enumerate() {
            b.vector(format!("DistinguishedName[{i}]"), 2, |b| b.put(name));
        }
    });
    assert_eq!(b.bytes, body(raw), "CertificateRequest re-encodes");
    b
}

/// CertificateVerify (§7.4.8): a `digitally-signed` struct (§4.7).
fn certificate_verify_body(raw: &[u8]) -> Body {
    let mut r = Reader::new(body(raw));
    let algorithm = r.take(2, "algorithm").unwrap();
    let signature = r.opaque(0, 0xffff, "signature").unwrap();
    let mut b = Body::default();
    b.put(algorithm);
    b.vector("DigitallySigned.signature", 2, |b| b.put(signature));
    assert_eq!(b.bytes, body(raw), "CertificateVerify re-encodes");
    b
}

/// NewSessionTicket (RFC 5077 §3.3), field by field.
fn new_session_ticket_body(raw: &[u8]) -> Body {
    let mut r = Reader::new(body(raw));
    let hint = r.take(4, "ticket_lifetime_hint").unwrap();
    let ticket = r.opaque(0, 0xffff, "ticket").unwrap();
    let mut b = Body::default();
    b.put(hint);
    b.vector("ticket", 2, |b| b.put(ticket));
    assert_eq!(b.bytes, body(raw), "NewSessionTicket re-encodes");
    b
}

/// Every message whose body we take apart, with who receives it.
const MESSAGES: [Expecting; 9] = [
    Expecting::ClientHello,
    Expecting::ServerHello,
    Expecting::Certificate,
    Expecting::ServerKeyExchange,
    Expecting::ClientKeyExchange,
    Expecting::NewSessionTicket,
    Expecting::CertificateRequest,
    Expecting::ClientCertificate,
    Expecting::CertificateVerify,
];

/// The body of `what`'s captured message, field by field.
fn fields(capture: &Capture, what: Expecting) -> Body {
    let raw = capture.message(what);
    match what {
        Expecting::ClientHello => ClientHelloParts::parse(raw).body(),
        Expecting::ServerHello => ServerHelloParts::parse(raw).body(),
        Expecting::Certificate | Expecting::ClientCertificate => {
            certificate_body(&parse_certificate(raw))
        }
        Expecting::CertificateRequest => certificate_request_body(raw),
        Expecting::CertificateVerify => certificate_verify_body(raw),
        Expecting::ServerKeyExchange => server_key_exchange_body(raw),
        Expecting::ClientKeyExchange => client_key_exchange_body(raw),
        Expecting::NewSessionTicket => new_session_ticket_body(raw),
        Expecting::ServerHelloDone => Body::default(),
    }
}

// ---------------------------------------------------------------------------
// 1. Truncation at every length, trailing bytes
// ---------------------------------------------------------------------------

/// Every strict prefix of `what`'s body, under a correct header that
/// claims the shorter length, is `decode_error`, except the prefixes in
/// `legal`: those are a complete, shorter message of the same type.
fn every_prefix_is_decode_error(what: Expecting, legal: &[usize]) -> usize {
    let capture = Capture::for_message(what);
    let raw = capture.message(what);
    let typ = msg_type(raw);
    let body = body(raw);
    for len in (0..body.len()).filter(|len| !legal.contains(len)) {
        let case = format!("{} body cut to {len} of {} bytes", typ.name(), body.len());
        let error = capture.refused(what, &handshake(typ, &body[..len]), A::DecodeError, &case);
        assert_decode_error(&error, &case);
    }
    body.len()
}

#[test]
fn client_hello_cut_at_every_length_is_decode_error() {
    // §7.4.1.2: the extensions block may be absent ("the presence of
    // extensions can be detected by determining whether there are bytes
    // following the compression_methods field"), so the prefix that ends
    // right after compression_methods is a whole ClientHello. Without
    // signature_algorithms the client accepts only SHA-1 signatures
    // (§7.4.1.4.1), which we never make: handshake_failure.
    let capture = Capture::new();
    let parts = ClientHelloParts::parse(&capture.client_hello);
    let without_extensions = ClientHelloParts {
        extensions: None,
        ..parts
    };
    let legal = without_extensions.body().bytes.len();
    let error = capture.refused(
        Expecting::ClientHello,
        &without_extensions.message(),
        A::HandshakeFailure,
        "ClientHello without extensions",
    );
    assert_eq!(error, Error::NoCommonSignatureScheme);
    let len = every_prefix_is_decode_error(Expecting::ClientHello, &[legal]);
    assert!(len > legal);
}

#[test]
fn server_hello_cut_at_every_length_is_decode_error() {
    // The prefix ending right after compression_method is a ServerHello
    // without extensions (§7.4.1.3), which a client must take: the server
    // then simply declined every extension.
    let capture = Capture::new();
    let parts = ServerHelloParts::parse(&capture.server_hello);
    let without_extensions = ServerHelloParts {
        extensions: None,
        ..parts
    };
    let conn = capture.accepted(Expecting::ServerHello, &without_extensions.message());
    assert!(!conn.wants_write(), "waiting for Certificate");
    every_prefix_is_decode_error(
        Expecting::ServerHello,
        &[without_extensions.body().bytes.len()],
    );
}

#[test]
fn certificate_cut_at_every_length_is_decode_error() {
    let len = every_prefix_is_decode_error(Expecting::Certificate, &[]);
    assert!(len > 500, "a real chain: {len} bytes");
}

#[test]
fn server_key_exchange_cut_at_every_length_is_decode_error() {
    every_prefix_is_decode_error(Expecting::ServerKeyExchange, &[]);
}

#[test]
fn client_key_exchange_cut_at_every_length_is_decode_error() {
    every_prefix_is_decode_error(Expecting::ClientKeyExchange, &[]);
}

#[test]
fn new_session_ticket_cut_at_every_length_is_decode_error() {
    every_prefix_is_decode_error(Expecting::NewSessionTicket, &[]);
}

#[test]
fn certificate_request_cut_at_every_length_is_decode_error() {
    every_prefix_is_decode_error(Expecting::CertificateRequest, &[]);
}

#[test]
fn client_certificate_cut_at_every_length_is_decode_error() {
    every_prefix_is_decode_error(Expecting::ClientCertificate, &[]);
}

#[test]
fn certificate_verify_cut_at_every_length_is_decode_error() {
    every_prefix_is_decode_error(Expecting::CertificateVerify, &[]);
}

#[test]
fn trailing_bytes_after_each_message_body_are_decode_error() {
    // §7.4.1.2: "there MUST NOT be any trailing data"; the header's length
    // counts the extra bytes, so the message itself is complete. A
    // ServerHelloDone has an empty body (no strict prefix to cut it to):
    // it is covered here.
    let all = [Expecting::ServerHelloDone]
        .into_iter()
        .chain(MESSAGES.iter().copied());
    for what in all {
        let capture = Capture::for_message(what);
        let raw = capture.message(what);
        for extra in [&[0u8][..], &[0xff, 0xff, 0xff]] {
            let mut body = body(raw).to_vec();
            body.extend_from_slice(extra);
            let typ = msg_type(raw);
            let case = format!("{} + {} trailing bytes", typ.name(), extra.len());
            let error = capture.refused(what, &handshake(typ, &body), A::DecodeError, &case);
            assert_decode_error(&error, &case);
        }
    }
}

// ---------------------------------------------------------------------------
// 2. Length fields too long and too short
// ---------------------------------------------------------------------------

/// Each length prefix of each message set one too high, one too low, and
/// past the end of the message: every one is `decode_error`, whether the
/// vector then overruns its container, leaves bytes over, or shifts every
/// field after it.
#[test]
fn every_length_field_too_long_or_too_short_is_decode_error() {
    let mut cases = 0;
    for what in MESSAGES {
        let capture = Capture::for_message(what);
        let raw = capture.message(what);
        let typ = msg_type(raw);
        let b = fields(&capture, what);
        assert!(!b.lengths.is_empty());
        for field in &b.lengths {
            let after = b.bytes.len() - (field.at + field.width + field.value);
            let max = (1usize << (8 * field.width)) - 1;
            let wrong = [
                Some(field.value + 1),
                field.value.checked_sub(1),
                Some(field.value + after + 1),
            ];
            for value in wrong.into_iter().flatten().filter(|v| *v <= max) {
                let case = format!(
                    "{}.{} = {value} instead of {}",
                    typ.name(),
                    field.name,
                    field.value
                );
                let msg = handshake(typ, &b.with_length(field, value));
                let error = capture.refused(what, &msg, A::DecodeError, &case);
                assert_decode_error(&error, &case);
                cases += 1;
            }
        }
    }
    assert!(cases > 60, "{cases} cases");
}

#[test]
fn handshake_header_length_too_long_or_too_short() {
    let capture = Capture::new();
    let raw = &capture.server_hello;
    let body = body(raw);

    // Too short: the message ends early (a truncation) and its last byte
    // would start the next one.
    let error = capture.refused(
        Expecting::ServerHello,
        &handshake_with_length(T::ServerHello, body.len() - 1, body),
        A::DecodeError,
        "ServerHello length - 1",
    );
    assert_decode_error(&error, "ServerHello length - 1");

    // Too long, alone: the message is not complete yet. Nothing is decoded,
    // nothing is sent: the connection waits for the rest.
    let long = handshake_with_length(T::ServerHello, body.len() + 1, body);
    let mut client = capture.receiver(Expecting::ServerHello);
    deliver(
        &mut client,
        &plaintext_record(ContentType::Handshake, &long),
    )
    .unwrap();
    assert!(!client.wants_write());
    assert!(client.is_handshaking());

    // Too long, followed by the next message: the ServerHello takes that
    // message's first byte as its own, a trailing byte. (The next message is
    // a ServerHelloDone, whose remaining three bytes are too few to be read
    // as a header.)
    let mut wire = plaintext_record(ContentType::Handshake, &long);
    wire.extend(plaintext_record(
        ContentType::Handshake,
        &capture.server_hello_done,
    ));
    let error = capture.refused_record(
        Expecting::ServerHello,
        &wire,
        A::DecodeError,
        "ServerHello length + 1, then ServerHelloDone",
    );
    assert_eq!(
        error,
        Error::Record(RecordError::Decode(DecodeError::TrailingBytes {
            what: "ServerHello"
        }))
    );

    // The same before a longer message: messages are decided in order, so
    // the ServerHello, with its trailing byte, is refused before the
    // misframed header after it (which claims far more than any limit) is
    // looked at.
    let mut wire = plaintext_record(ContentType::Handshake, &long);
    wire.extend(plaintext_record(
        ContentType::Handshake,
        &capture.certificate,
    ));
    let error = capture.refused_record(
        Expecting::ServerHello,
        &wire,
        A::DecodeError,
        "ServerHello length + 1, then Certificate",
    );
    assert_eq!(
        error,
        Error::Record(RecordError::Decode(DecodeError::TrailingBytes {
            what: "ServerHello"
        }))
    );
}

#[test]
fn record_length_over_the_limits_is_record_overflow() {
    let capture = Capture::new();
    for what in [Expecting::ClientHello, Expecting::ServerHello] {
        // §6.2.3: "The length MUST NOT exceed 2^14 + 2048": refused from the
        // five header bytes alone.
        let over = u16::try_from(MAX_CIPHERTEXT + 1).unwrap().to_be_bytes();
        let header = [22, 3, 3, over[0], over[1]];
        let error = capture.refused_record(what, &header, A::RecordOverflow, "header only");
        assert_eq!(
            error,
            Error::Record(RecordError::RecordOverflow {
                length: MAX_CIPHERTEXT + 1,
                limit: MAX_CIPHERTEXT
            })
        );

        // §6.2.1: a TLSPlaintext "length MUST NOT exceed 2^14": a record
        // under the ciphertext limit but over the plaintext one, received
        // before any protection is on.
        let mut fragment = capture.message(what).to_vec();
        fragment.resize(MAX_PLAINTEXT + 1, 0);
        let record = plaintext_record(ContentType::Handshake, &fragment);
        let error = capture.refused_record(what, &record, A::RecordOverflow, "2^14 + 1");
        assert_eq!(
            error,
            Error::Record(RecordError::RecordOverflow {
                length: MAX_PLAINTEXT + 1,
                limit: MAX_PLAINTEXT
            })
        );
    }
}

#[test]
fn record_length_too_long_waits_and_too_short_misframes() {
    let capture = Capture::new();
    let record = plaintext_record(ContentType::Handshake, &capture.client_hello);

    // One more than sent, under the limits: the record is incomplete and
    // nothing is processed yet.
    let mut long = record.clone();
    let length = u16::from_be_bytes([long[3], long[4]]) + 1;
    long[3..5].copy_from_slice(&length.to_be_bytes());
    let mut server = capture.receiver(Expecting::ClientHello);
    deliver(&mut server, &long).unwrap();
    assert!(
        !server.wants_write(),
        "no ServerHello for an incomplete record"
    );

    // One less: the record carries a partial message, and the next
    // "record" starts with the message's last byte. Our server's hello
    // ends with renegotiation_info's empty `renegotiated_connection`,
    // a 0 byte: content type 0, unexpected_message (§6).
    let mut flight = plaintext_record(ContentType::Handshake, &capture.server_hello);
    assert_eq!(flight.last(), Some(&0));
    let length = u16::from_be_bytes([flight[3], flight[4]]) - 1;
    flight[3..5].copy_from_slice(&length.to_be_bytes());
    flight.extend(plaintext_record(
        ContentType::Handshake,
        &capture.certificate,
    ));
    let error = capture.refused_record(
        Expecting::ServerHello,
        &flight,
        A::UnexpectedMessage,
        "ServerHello record length - 1",
    );
    assert_eq!(error, Error::Record(RecordError::UnknownContentType(0)));
}

// ---------------------------------------------------------------------------
// 3. Values the RFC forbids
// ---------------------------------------------------------------------------

#[test]
fn duplicated_extensions_are_illegal_parameter() {
    // §7.4.1.4: "There MUST NOT be more than one extension of the same
    // type." Known and unknown types alike, in either hello.
    let capture = Capture::new();
    let hello = ClientHelloParts::parse(&capture.client_hello);
    for typ in [0, 10, 23, 0xff01, 0x7a7a] {
        let mut dup = hello.clone();
        let data = match dup.extensions_mut().iter().find(|(t, _)| *t == typ) {
            Some((_, d)) => d.clone(),
            None => Vec::new(),
        };
        dup.extensions_mut().push((typ, data.clone()));
        if typ == 0x7a7a {
            dup.extensions_mut().push((typ, data));
        }
        let case = format!("ClientHello with extension {typ:#06x} twice");
        let error = capture.refused(
            Expecting::ClientHello,
            &dup.message(),
            A::IllegalParameter,
            &case,
        );
        assert_eq!(
            error,
            Error::Record(RecordError::Decode(DecodeError::Duplicate {
                what: "Extension"
            })),
            "{case}"
        );
    }

    // RFC 6066 §3: "The ServerNameList MUST NOT contain more than one name
    // of the same name_type."
    let mut dup = hello.clone();
    let host = b"localhost";
    let mut list = Vec::new();
    for _ in 0..2 {
        list.push(0);
        list.extend_from_slice(&u16::try_from(host.len()).unwrap().to_be_bytes());
        list.extend_from_slice(host);
    }
    let mut data = u16::try_from(list.len()).unwrap().to_be_bytes().to_vec();
    data.extend(list);
    *dup.extension_mut(0) = data;
    let error = capture.refused(
        Expecting::ClientHello,
        &dup.message(),
        A::IllegalParameter,
        "two host_names",
    );
    assert_eq!(
        error,
        Error::Record(RecordError::Decode(DecodeError::Duplicate {
            what: "HostName"
        }))
    );

    let hello = ServerHelloParts::parse(&capture.server_hello);
    for typ in [23, 0xff01] {
        let mut dup = hello.clone();
        let extensions = dup.extensions.as_mut().unwrap();
        let data = extensions
            .iter()
            .find(|(t, _)| *t == typ)
            .unwrap()
            .1
            .clone();
        extensions.insert(0, (typ, data));
        let case = format!("ServerHello with extension {typ:#06x} twice");
        let error = capture.refused(
            Expecting::ServerHello,
            &dup.message(),
            A::IllegalParameter,
            &case,
        );
        assert!(
            matches!(
                error,
                Error::Record(RecordError::Decode(DecodeError::Duplicate { .. }))
            ),
            "{case}: {error:?}"
        );
    }
}

#[test]
fn empty_vectors_the_rfc_forbids_are_decode_error() {
    let capture = Capture::new();
    let hello = ClientHelloParts::parse(&capture.client_hello);
    let mut cases: Vec<(&str, ClientHelloParts)> = Vec::new();
    // §7.4.1.2 `CipherSuite cipher_suites<2..2^16-2>`.
    let mut c = hello.clone();
    c.cipher_suites.clear();
    cases.push(("cipher_suites<2..>", c));
    // §7.4.1.2 `CompressionMethod compression_methods<1..2^8-1>`.
    let mut c = hello.clone();
    c.compression_methods.clear();
    cases.push(("compression_methods<1..>", c));
    // RFC 6066 §3 `ServerName server_name_list<1..2^16-1>`.
    let mut c = hello.clone();
    *c.extension_mut(0) = vec![0, 0];
    cases.push(("ServerNameList<1..>", c));
    // RFC 6066 §3 `opaque HostName<1..2^16-1>`.
    let mut c = hello.clone();
    *c.extension_mut(0) = vec![0, 3, 0, 0, 0];
    cases.push(("HostName<1..>", c));
    // RFC 8422 §5.1.1 `NamedCurve named_curve_list<2..2^16-1>`.
    let mut c = hello.clone();
    *c.extension_mut(10) = vec![0, 0];
    cases.push(("NamedCurveList<2..>", c));
    // RFC 8422 §5.1.2 `ECPointFormat ec_point_format_list<1..2^8-1>`.
    let mut c = hello.clone();
    *c.extension_mut(11) = vec![0];
    cases.push(("ECPointFormatList<1..>", c));
    // §7.4.1.4.1 `supported_signature_algorithms<2..2^16-2>`.
    let mut c = hello.clone();
    *c.extension_mut(13) = vec![0, 0];
    cases.push(("supported_signature_algorithms<2..>", c));
    for (case, c) in cases {
        let error = capture.refused(Expecting::ClientHello, &c.message(), A::DecodeError, case);
        assert!(
            matches!(
                error,
                Error::Record(RecordError::Decode(DecodeError::LengthOutOfRange {
                    len: 0,
                    ..
                }))
            ),
            "{case}: {error:?}"
        );
    }

    // RFC 8422 §5.4 / §5.7 `opaque point <1..2^8-1>`: an empty ECPoint in
    // either key exchange.
    let ske = body(&capture.server_key_exchange);
    let point_len = usize::from(ske[3]);
    let mut empty = ske[..3].to_vec();
    empty.push(0);
    empty.extend_from_slice(&ske[4 + point_len..]);
    let error = capture.refused(
        Expecting::ServerKeyExchange,
        &handshake(T::ServerKeyExchange, &empty),
        A::DecodeError,
        "ServerKeyExchange ECPoint<1..>",
    );
    let empty_point = Error::Record(RecordError::Decode(DecodeError::LengthOutOfRange {
        what: "ECPoint.point",
        len: 0,
        min: 1,
        max: 0xff,
    }));
    assert_eq!(error, empty_point);
    let error = capture.refused(
        Expecting::ClientKeyExchange,
        &handshake(T::ClientKeyExchange, &[0]),
        A::DecodeError,
        "ClientKeyExchange ECPoint<1..>",
    );
    assert_eq!(error, empty_point);
}

#[test]
fn session_id_over_32_bytes_is_decode_error() {
    // §7.4.1.2 `opaque SessionID<0..32>`.
    let capture = Capture::new();
    let mut hello = ClientHelloParts::parse(&capture.client_hello);
    hello.session_id = vec![7; 33];
    let error = capture.refused(
        Expecting::ClientHello,
        &hello.message(),
        A::DecodeError,
        "ClientHello session_id of 33",
    );
    let too_long = Error::Record(RecordError::Decode(DecodeError::LengthOutOfRange {
        what: "SessionID",
        len: 33,
        min: 0,
        max: 32,
    }));
    assert_eq!(error, too_long);

    let mut hello = ServerHelloParts::parse(&capture.server_hello);
    hello.session_id = vec![7; 33];
    let error = capture.refused(
        Expecting::ServerHello,
        &hello.message(),
        A::DecodeError,
        "ServerHello session_id of 33",
    );
    assert_eq!(error, too_long);
}

#[test]
fn compression_methods_without_null_are_illegal_parameter() {
    // §7.4.1.2: "this vector MUST contain, and all implementations MUST
    // support, CompressionMethod.null".
    let capture = Capture::new();
    let mut hello = ClientHelloParts::parse(&capture.client_hello);
    hello.compression_methods = vec![1, 64];
    let error = capture.refused(
        Expecting::ClientHello,
        &hello.message(),
        A::IllegalParameter,
        "ClientHello without null compression",
    );
    assert_eq!(
        error,
        Error::IllegalParameter("ClientHello without null compression")
    );

    // §7.4.1.3: the server's choice must be one the client offered (null).
    let mut hello = ServerHelloParts::parse(&capture.server_hello);
    hello.compression_method = 1;
    let error = capture.refused(
        Expecting::ServerHello,
        &hello.message(),
        A::IllegalParameter,
        "ServerHello with DEFLATE",
    );
    assert!(matches!(error, Error::IllegalParameter(_)), "{error:?}");
}

/// The ServerNameList of one host_name (RFC 6066 §3), as extension data.
fn server_name_data(host: &[u8]) -> Vec<u8> {
    let mut entry = vec![0];
    entry.extend_from_slice(&u16::try_from(host.len()).unwrap().to_be_bytes());
    entry.extend_from_slice(host);
    let mut data = u16::try_from(entry.len()).unwrap().to_be_bytes().to_vec();
    data.extend(entry);
    data
}

#[test]
fn server_names_that_are_not_dns_host_names_are_illegal_parameter() {
    // RFC 6066 §3: HostName is "the fully qualified DNS hostname of the
    // server ... using ASCII encoding without a trailing dot". Bytes no
    // host name has (NUL, control, ESC that could forge a trace line,
    // non-ASCII) are well-formed but illegal: illegal_parameter, not
    // decode_error.
    let capture = Capture::new();
    let bad: [&[u8]; 9] = [
        b"local\0host",
        b"evil\x1b[2K\rfake trace line",
        b"line\nbreak",
        "caf\u{e9}.example".as_bytes(),
        b"\xff\xfe",
        b"localhost.",
        b"under_score.example",
        b"a..b",
        b"-leading.example",
    ];
    for host in bad {
        let mut hello = ClientHelloParts::parse(&capture.client_hello);
        *hello.extension_mut(0) = server_name_data(host);
        let case = format!("HostName {:?}", String::from_utf8_lossy(host));
        let error = capture.refused(
            Expecting::ClientHello,
            &hello.message(),
            A::IllegalParameter,
            &case,
        );
        assert!(
            matches!(
                error,
                Error::Record(RecordError::Decode(DecodeError::Illegal { .. }))
            ),
            "{case}: {error:?}"
        );
    }
    // Upper case is a DNS name too, compared without case (RFC 4343).
    let mut hello = ClientHelloParts::parse(&capture.client_hello);
    *hello.extension_mut(0) = server_name_data(b"LocalHost");
    let mut server = capture.accepted(Expecting::ClientHello, &hello.message());
    message(&take(&mut server), T::ServerHello);
}

/// A writer into a buffer the test keeps: what a [`Tracer`] printed.
#[derive(Clone, Default)]
struct Printed(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Printed {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn peer_strings_reach_the_trace_escaped() {
    // The client traces the ServerHello before checking it: a server
    // "choosing" an ALPN protocol made of terminal escapes and a newline
    // must not clear the user's screen or forge a trace line.
    let printed = Printed::default();
    let mut client = common::client_config();
    client.alpn_protocols = vec![b"h2".to_vec()];
    client.observer = Some(Tracer::to_writer(
        "client",
        false,
        Box::new(printed.clone()),
    ));
    let mut server = common::server_config();
    server.alpn_protocols = vec![b"h2".to_vec()];
    let mut pair = Pair::new(client, server);
    pair.flight_to_server(untouched).unwrap();
    let forged = b"\x1b[2J\x1b[31mh2\n[client] <- forged line\x07".to_vec();
    let result = pair.flight_to_client(|wire| {
        common::wire::edit_message(wire, T::ServerHello, |msg| match msg {
            HandshakePayload::ServerHello(h) => h.extensions.alpn = Some(forged.clone()),
            other => panic!("{other:?}"),
        })
    });
    assert!(result.is_err(), "a protocol we did not offer");
    let trace = printed.0.lock().unwrap().clone();
    let text = String::from_utf8(trace).unwrap();
    assert!(
        text.contains("alpn \\x1b[2J\\x1b[31mh2\\n[client] <- forged line\\x07"),
        "{text}"
    );
    assert!(
        !text.bytes().any(|b| b.is_ascii_control() && b != b'\n'),
        "a control byte reached the trace:\n{text}"
    );
    assert!(
        !text.lines().any(|l| l.starts_with("[client] <- forged")),
        "{text}"
    );
}

#[test]
fn ec_point_formats_without_uncompressed_are_illegal_parameter() {
    // RFC 8422 §5.1.2: "If the client sends the extension and the
    // extension does not contain the uncompressed point format, and the
    // client has used the Supported Groups extension to indicate support
    // for any of the curves defined in this specification, then the server
    // MUST abort the handshake and return an illegal_parameter alert."
    let capture = Capture::new();
    for formats in [vec![1], vec![1, 2], vec![2, 1, 7]] {
        let mut hello = ClientHelloParts::parse(&capture.client_hello);
        let mut data = vec![u8::try_from(formats.len()).unwrap()];
        data.extend(&formats);
        *hello.extension_mut(11) = data;
        let case = format!("ec_point_formats {formats:?}");
        let error = capture.refused(
            Expecting::ClientHello,
            &hello.message(),
            A::IllegalParameter,
            &case,
        );
        assert_eq!(
            error,
            Error::IllegalParameter("ec_point_formats without uncompressed"),
            "{case}"
        );
    }
    // With uncompressed anywhere in the list, the handshake goes on.
    let mut hello = ClientHelloParts::parse(&capture.client_hello);
    *hello.extension_mut(11) = vec![3, 1, 2, 0];
    let mut server = capture.accepted(Expecting::ClientHello, &hello.message());
    message(&take(&mut server), T::ServerHello);
}

#[test]
fn versions_other_than_tls_1_2_are_protocol_version() {
    // §E.1: a client offering less than TLS 1.2 gets protocol_version.
    let capture = Capture::new();
    for version in [0x0301u16, 0x0300] {
        let mut hello = ClientHelloParts::parse(&capture.client_hello);
        hello.client_version = version.to_be_bytes();
        let case = format!("ClientHello.client_version {version:#06x}");
        let error = capture.refused(
            Expecting::ClientHello,
            &hello.message(),
            A::ProtocolVersion,
            &case,
        );
        assert_eq!(error, Error::UnsupportedVersion(version), "{case}");
    }

    // §E.1: a client offering more is answered with TLS 1.2, "the highest
    // version supported by the server".
    for version in [0x0304u16, 0x0400] {
        let mut hello = ClientHelloParts::parse(&capture.client_hello);
        hello.client_version = version.to_be_bytes();
        let mut server = capture.accepted(Expecting::ClientHello, &hello.message());
        let answer = ServerHelloParts::parse(&message(&take(&mut server), T::ServerHello));
        assert_eq!(answer.server_version, [3, 3], "to {version:#06x}");
    }

    // A server that answers with anything but TLS 1.2: the client offered
    // only TLS 1.2.
    for version in [0x0302u16, 0x0301, 0x0304] {
        let mut hello = ServerHelloParts::parse(&capture.server_hello);
        hello.server_version = version.to_be_bytes();
        let case = format!("ServerHello.server_version {version:#06x}");
        let error = capture.refused(
            Expecting::ServerHello,
            &hello.message(),
            A::ProtocolVersion,
            &case,
        );
        assert_eq!(error, Error::UnsupportedVersion(version), "{case}");
    }
}

// ---------------------------------------------------------------------------
// 4. Empty records and endless runs of them
// ---------------------------------------------------------------------------

#[test]
fn zero_length_handshake_alert_and_change_cipher_spec_records_are_unexpected_message() {
    // §6.2.1: "Implementations MUST NOT send zero-length fragments of
    // Handshake, Alert, or ChangeCipherSpec content types."
    let capture = Capture::new();
    for what in [Expecting::ClientHello, Expecting::ServerHello] {
        for typ in [
            ContentType::Handshake,
            ContentType::Alert,
            ContentType::ChangeCipherSpec,
        ] {
            let case = format!("empty {typ:?} record to the {what:?} receiver");
            let error = capture.refused_record(
                what,
                &plaintext_record(typ, &[]),
                A::UnexpectedMessage,
                &case,
            );
            assert_eq!(error, Error::Record(RecordError::EmptyFragment(typ)));
        }
    }

    // The same under protection, after the handshake, both ways.
    for typ in [
        ContentType::Handshake,
        ContentType::Alert,
        ContentType::ChangeCipherSpec,
    ] {
        for to_server in [true, false] {
            let mut t = Traffic::new();
            let record = t.sealed_by_peer(to_server, typ, &[]);
            let (result, protection) = t.deliver(to_server, &record);
            let error = assert_fatal_alert(
                t.receiver(to_server),
                result,
                protection,
                A::UnexpectedMessage,
            );
            assert_eq!(error, Error::Record(RecordError::EmptyFragment(typ)));
        }
    }
}

/// A completed full handshake, for what may arrive after it.
struct Traffic {
    pair: Pair,
}

impl Traffic {
    fn new() -> Self {
        let mut pair = Pair::new(common::client_config(), common::server_config());
        pair.complete();
        Self { pair }
    }

    fn receiver(&mut self, to_server: bool) -> &mut Connection {
        if to_server {
            &mut self.pair.server
        } else {
            &mut self.pair.client
        }
    }

    /// The write state of the receiver's peer (the client when `to_server`),
    /// at the sequence number of its next record: to seal records as it
    /// would.
    fn peer_write_state(&self, to_server: bool) -> CipherState {
        let est = self.pair.client.established().unwrap();
        if to_server {
            next_write_state(&self.pair.client, est, Writer::Client)
        } else {
            next_write_state(&self.pair.server, est, Writer::Server)
        }
    }

    /// A record sealed as the receiver's peer would seal its next one.
    fn sealed_by_peer(&self, to_server: bool, typ: ContentType, plaintext: &[u8]) -> Vec<u8> {
        seal(&mut self.peer_write_state(to_server), typ, plaintext)
    }

    /// Delivers `wire` to one side; returns its result and how its alert
    /// (if any) is protected: under its write state at its next sequence
    /// number.
    fn deliver(&mut self, to_server: bool, wire: &[u8]) -> (Result<(), Error>, AlertProtection) {
        let state = self.peer_write_state(!to_server);
        let result = deliver(self.receiver(to_server), wire);
        (result, AlertProtection::Sealed(Box::new(state)))
    }

    /// Sends `n` records made by `make` to one side, one at a time, each
    /// sealed at the peer's next sequence number; returns the first error,
    /// the index of the record that caused it, and the alert's protection.
    fn send_many(
        &mut self,
        to_server: bool,
        n: usize,
        make: impl Fn(usize) -> (ContentType, Vec<u8>),
    ) -> Option<(usize, Result<(), Error>, AlertProtection)> {
        let mut sender = self.peer_write_state(to_server);
        for i in 0..n {
            let (typ, plaintext) = make(i);
            let record = seal(&mut sender, typ, &plaintext);
            let (result, protection) = self.deliver(to_server, &record);
            if result.is_err() {
                return Some((i, result, protection));
            }
        }
        None
    }
}

#[test]
fn endless_empty_records_and_warning_alerts_are_cut_off() {
    // Zero-length application data is legal (§6.2.1) and warnings need no
    // answer; a run of them is allowed up to MAX_IGNORED_RECORDS, then the
    // connection ends with unexpected_message. (Warnings alone meet the
    // lower bound of the next test first.)
    type Make = fn(usize) -> (ContentType, Vec<u8>);
    let empty: Make = |_| (ContentType::ApplicationData, Vec::new());
    // user_canceled(90) as a warning (§7.2.2), each after an empty record:
    // no run of warnings, but a run of records that carry nothing.
    let mixed: Make = |i| {
        if i % 2 == 0 {
            (ContentType::ApplicationData, Vec::new())
        } else {
            (ContentType::Alert, vec![1, 90])
        }
    };
    for (name, make) in [("empty", empty), ("mixed", mixed)] {
        for to_server in [true, false] {
            let mut t = Traffic::new();
            let (i, result, protection) = t
                .send_many(to_server, MAX_IGNORED_RECORDS + 10, make)
                .unwrap_or_else(|| panic!("{name}: never cut off"));
            assert_eq!(i, MAX_IGNORED_RECORDS, "{name}: cut off after the limit");
            let error = assert_fatal_alert(
                t.receiver(to_server),
                result,
                protection,
                A::UnexpectedMessage,
            );
            assert_eq!(error, Error::Record(RecordError::TooManyIgnoredRecords));
        }
    }

    // A record that carries data ends the run: 1000 empty records with a
    // byte every MAX_IGNORED_RECORDS go through.
    let mut t = Traffic::new();
    let result = t.send_many(true, 1000, |i| {
        let data = if i % MAX_IGNORED_RECORDS == MAX_IGNORED_RECORDS - 1 {
            vec![b'x']
        } else {
            Vec::new()
        };
        (ContentType::ApplicationData, data)
    });
    assert!(result.is_none(), "a run broken by data is fine");
    assert_eq!(
        t.pair.server.application_data_available(),
        1000 / MAX_IGNORED_RECORDS
    );
}

#[test]
fn warning_alerts_in_a_row_are_cut_off_after_four() {
    // CVE-2016-8610 ("SSL Death Alert"): warnings need no answer, so a
    // peer can send them as fast as we read them. Like OpenSSL
    // (MAX_WARN_ALERT_COUNT), the fifth in a row is fatal
    // unexpected_message: during the handshake, in the clear, to either
    // side, and after it, under the keys.
    let user_canceled = plaintext_record(ContentType::Alert, &[1, 90]);
    let capture = Capture::new();
    for what in [
        Expecting::ClientHello,
        Expecting::ServerHello,
        Expecting::ClientKeyExchange,
    ] {
        let mut conn = capture.receiver(what);
        for _ in 0..MAX_WARNING_ALERTS {
            deliver(&mut conn, &user_canceled).unwrap_or_else(|e| panic!("{what:?}: {e}"));
        }
        let result = deliver(&mut conn, &user_canceled);
        let error = assert_fatal_alert(
            &mut conn,
            result,
            AlertProtection::Clear,
            A::UnexpectedMessage,
        );
        assert_eq!(
            error,
            Error::Record(RecordError::TooManyWarningAlerts),
            "{what:?}"
        );
    }
    for to_server in [true, false] {
        let mut t = Traffic::new();
        let (i, result, protection) = t
            .send_many(to_server, 10, |_| (ContentType::Alert, vec![1, 90]))
            .expect("never cut off");
        assert_eq!(i, MAX_WARNING_ALERTS);
        let error = assert_fatal_alert(
            t.receiver(to_server),
            result,
            protection,
            A::UnexpectedMessage,
        );
        assert_eq!(error, Error::Record(RecordError::TooManyWarningAlerts));
    }
    // Any other record ends the run: four warnings and a byte of data,
    // again and again, go through.
    let mut t = Traffic::new();
    let result = t.send_many(true, 100, |i| match i % 5 {
        4 => (ContentType::ApplicationData, vec![b'x']),
        _ => (ContentType::Alert, vec![1, 90]),
    });
    assert!(result.is_none(), "a run broken by data is fine");
    assert_eq!(t.pair.server.application_data_available(), 20);
}

#[test]
fn endless_hello_requests_during_a_handshake_are_cut_off() {
    // §7.4.1.1: a client ignores HelloRequest while it negotiates; a server
    // that keeps sending them is stalling it, and meets the limit on
    // ignored records.
    let mut pair = Pair::new(common::client_config(), common::server_config());
    take(&mut pair.client); // the ClientHello
    let hello_request = plaintext_record(ContentType::Handshake, &[0, 0, 0, 0]);
    for _ in 0..MAX_IGNORED_RECORDS {
        deliver(&mut pair.client, &hello_request).expect("ignored");
        assert!(!pair.client.wants_write(), "a HelloRequest is not answered");
    }
    let result = deliver(&mut pair.client, &hello_request);
    let error = assert_fatal_alert(
        &mut pair.client,
        result,
        AlertProtection::Clear,
        A::UnexpectedMessage,
    );
    assert_eq!(error, Error::Record(RecordError::TooManyIgnoredRecords));
}

// ---------------------------------------------------------------------------
// 5. ChangeCipherSpec out of place or malformed, application data too early,
//    a message split by ChangeCipherSpec
// ---------------------------------------------------------------------------

/// A full handshake up to the server's last flight: the server has
/// completed, its `[NewSessionTicket] ChangeCipherSpec Finished` are
/// returned unsent; the client has sent its Finished and waits.
fn full_handshake_before_server_finished() -> (Pair, Vec<u8>) {
    let mut pair = Pair::new(common::client_config(), common::server_config());
    pair.flight_to_server(untouched).unwrap();
    pair.flight_to_client(untouched).unwrap();
    pair.flight_to_server(untouched).unwrap();
    let flight = take(&mut pair.server);
    assert_eq!(
        content_types(&flight),
        [ContentType::ChangeCipherSpec, ContentType::Handshake]
    );
    (pair, flight)
}

/// A resumption (by session id) up to the client's last flight: the
/// client has completed, its `ChangeCipherSpec Finished` are returned
/// unsent; the server has sent its Finished and waits.
fn resumption_before_client_finished() -> (Pair, Vec<u8>) {
    let mut client = common::client_config();
    client.session_store = Some(Arc::new(MemoryStore::new(4)));
    client.enable_tickets = false;
    let mut server = common::server_config();
    server.session_store = Some(Arc::new(MemoryStore::new(4)));
    Pair::new(client.clone(), server.clone()).complete();
    let mut pair = Pair::new(client, server);
    pair.flight_to_server(untouched).unwrap();
    pair.flight_to_client(untouched).unwrap();
    assert!(pair.client.established().unwrap().resumed);
    let flight = take(&mut pair.client);
    assert_eq!(
        content_types(&flight),
        [ContentType::ChangeCipherSpec, ContentType::Handshake]
    );
    (pair, flight)
}

/// Where a side's last flight is `ChangeCipherSpec Finished` and its peer
/// waits for it (the server in a resumption, the client in a full
/// handshake).
struct LastFlight {
    /// The side waiting for `ChangeCipherSpec Finished`.
    receiver: Connection,
    /// The sender's new write state, at sequence number 0.
    sender: CipherState,
    /// The sender's Finished message, as it would seal it.
    finished: Vec<u8>,
    /// The receiver has sent its own ChangeCipherSpec and Finished: its
    /// alert is sealed at its next sequence number.
    alert: AlertProtection,
}

fn last_flight(to_server: bool) -> LastFlight {
    let (pair, flight) = if to_server {
        resumption_before_client_finished()
    } else {
        full_handshake_before_server_finished()
    };
    let (receiver, completed, sender, writer) = if to_server {
        (pair.server, pair.client, Writer::Client, Writer::Server)
    } else {
        (pair.client, pair.server, Writer::Server, Writer::Client)
    };
    let est = completed.established().unwrap();
    let recs = records(&flight);
    let finished = open(&mut write_state(est, sender, 0), recs[1].0, &recs[1].1);
    let alert_state = next_write_state(&receiver, est, writer);
    LastFlight {
        receiver,
        sender: write_state(est, sender, 0),
        finished,
        alert: AlertProtection::Sealed(Box::new(alert_state)),
    }
}

/// [`last_flight`]: its ChangeCipherSpec, then what `make` seals with the
/// sender's new write state instead of its Finished (`make` is given that
/// Finished). Returns the receiver, its result, and its alert's protection.
fn in_place_of_finished(
    to_server: bool,
    make: impl FnOnce(&mut CipherState, &[u8]) -> Vec<u8>,
) -> (Connection, Result<(), Error>, AlertProtection) {
    let LastFlight {
        mut receiver,
        mut sender,
        finished,
        alert,
    } = last_flight(to_server);
    let mut wire = CHANGE_CIPHER_SPEC.to_vec();
    wire.extend(make(&mut sender, &finished));
    let result = deliver(&mut receiver, &wire);
    (receiver, result, alert)
}

#[test]
fn change_cipher_spec_twice_is_unexpected_message() {
    // §7.1: one ChangeCipherSpec per handshake, right before Finished. The
    // second one sealed under the new keys, as a peer would send it.
    for to_server in [true, false] {
        let (mut conn, result, protection) = in_place_of_finished(to_server, |sender, _| {
            seal(sender, ContentType::ChangeCipherSpec, &[1])
        });
        let error = assert_fatal_alert(&mut conn, result, protection, A::UnexpectedMessage);
        assert_eq!(
            error,
            Error::Record(RecordError::UnexpectedRecord(
                "ChangeCipherSpec out of order"
            )),
            "to the server: {to_server}"
        );
    }

    // A second one in the clear cannot even be read: the read state
    // changed at the first, and the record does not authenticate.
    for to_server in [true, false] {
        let (mut conn, result, protection) =
            in_place_of_finished(to_server, |_, _| CHANGE_CIPHER_SPEC.to_vec());
        let error = assert_fatal_alert(&mut conn, result, protection, A::BadRecordMac);
        assert_eq!(error, Error::Record(RecordError::BadRecordMac));
    }
}

#[test]
fn finished_cut_short_or_padded_is_decode_error() {
    // §7.4.9 `opaque verify_data[verify_data_length]`, 12 bytes for every
    // suite we have: 11 or 13 under a header that says so, sealed under
    // the new keys as the real one would be.
    for to_server in [true, false] {
        for len in [0, 11, 13] {
            let (mut conn, result, protection) = in_place_of_finished(to_server, |sender, _| {
                let finished = handshake(T::Finished, &vec![0x5a; len]);
                seal(sender, ContentType::Handshake, &finished)
            });
            let error = assert_fatal_alert(&mut conn, result, protection, A::DecodeError);
            assert_decode_error(&error, &format!("Finished of {len} bytes"));
        }
    }
}

#[test]
fn hello_request_between_change_cipher_spec_and_finished_is_unexpected_message() {
    // §7.4.1.1 lets a client ignore HelloRequest during a handshake, but
    // §7.4.9: "A Finished message is always sent immediately after a
    // change cipher spec message": nothing may come between them.
    let (mut conn, result, protection) = in_place_of_finished(false, |sender, _| {
        seal(
            sender,
            ContentType::Handshake,
            &handshake(T::HelloRequest, &[]),
        )
    });
    let error = assert_fatal_alert(&mut conn, result, protection, A::UnexpectedMessage);
    assert_eq!(
        error,
        Error::Record(RecordError::UnexpectedMessage("HelloRequest"))
    );
}

#[test]
fn application_data_between_change_cipher_spec_and_finished_is_unexpected_message() {
    // §7.4.9: "A Finished message is always sent immediately after a
    // change cipher spec message".
    for to_server in [true, false] {
        let (mut conn, result, protection) = in_place_of_finished(to_server, |sender, _| {
            seal(sender, ContentType::ApplicationData, b"too early")
        });
        let error = assert_fatal_alert(&mut conn, result, protection, A::UnexpectedMessage);
        assert_unexpected_record(&error, "");
        assert_eq!(conn.application_data_available(), 0, "nothing delivered");
    }
}

#[test]
fn application_data_in_the_middle_of_the_hellos_is_unexpected_message() {
    // tests/negative.rs puts it before the first message; here it comes
    // between ServerKeyExchange and ServerHelloDone, in the clear.
    let capture = Capture::new();
    let mut wire = plaintext_record(ContentType::Handshake, &capture.server_hello);
    wire.extend(plaintext_record(
        ContentType::Handshake,
        &capture.certificate,
    ));
    wire.extend(plaintext_record(ContentType::ApplicationData, b"GET /"));
    let error = capture.refused_record(
        Expecting::ServerHello,
        &wire,
        A::UnexpectedMessage,
        "application data after Certificate",
    );
    assert_unexpected_record(&error, "");
}

#[test]
fn change_cipher_spec_after_the_handshake_is_unexpected_message() {
    // Late: in the application-data phase, under the connection's keys.
    for to_server in [true, false] {
        let mut t = Traffic::new();
        let record = t.sealed_by_peer(to_server, ContentType::ChangeCipherSpec, &[1]);
        let (result, protection) = t.deliver(to_server, &record);
        let error = assert_fatal_alert(
            t.receiver(to_server),
            result,
            protection,
            A::UnexpectedMessage,
        );
        assert_eq!(
            error,
            Error::Record(RecordError::UnexpectedRecord(
                "ChangeCipherSpec outside a handshake"
            ))
        );
    }
}

#[test]
fn change_cipher_spec_with_a_wrong_body_is_decode_error() {
    // §7.1: "The message consists of a single byte of value 1." Sent where
    // a ChangeCipherSpec is due, so only its body is wrong.
    for bad in [&[2u8][..], &[1, 1], &[0]] {
        // To the server, after ClientKeyExchange: it has not sent its own,
        // so its alert is in the clear.
        let mut pair = Pair::new(common::client_config(), common::server_config());
        pair.flight_to_server(untouched).unwrap();
        pair.flight_to_client(untouched).unwrap();
        let flight = take(&mut pair.client);
        let mut recs = records(&flight);
        assert_eq!(recs[1].0.content_type, ContentType::ChangeCipherSpec);
        recs[1].1 = bad.to_vec();
        let result = deliver(&mut pair.server, &to_wire(&recs[..2]));
        let error = assert_fatal_alert(
            &mut pair.server,
            result,
            AlertProtection::Clear,
            A::DecodeError,
        );
        assert_eq!(error, Error::Record(RecordError::BadChangeCipherSpec));

        // To the client, in the server's last flight: the client has sent
        // its Finished, so its alert is sealed at sequence number 1.
        let (mut pair, flight) = full_handshake_before_server_finished();
        let est = pair.server.established().unwrap();
        let alert_state = write_state(est, Writer::Client, 1);
        let mut recs = records(&flight);
        recs[0].1 = bad.to_vec();
        let result = deliver(&mut pair.client, &to_wire(&recs));
        let error = assert_fatal_alert(
            &mut pair.client,
            result,
            AlertProtection::Sealed(Box::new(alert_state)),
            A::DecodeError,
        );
        assert_eq!(error, Error::Record(RecordError::BadChangeCipherSpec));
    }
}

#[test]
fn a_handshake_message_split_by_change_cipher_spec_is_unexpected_message() {
    // The first part of a message, then ChangeCipherSpec where one is due:
    // the rest would come under other keys (§7.1; RFC 8446 §5.1 "Handshake
    // messages MUST NOT span key changes").
    let capture = Capture::new();
    let finished_start = [T::Finished.value(), 0];

    // To the client, after NewSessionTicket: the first two bytes of a
    // Finished header, then ChangeCipherSpec.
    let mut fragment = capture.new_session_ticket.clone();
    fragment.extend_from_slice(&finished_start);
    let mut wire = plaintext_record(ContentType::Handshake, &fragment);
    wire.extend_from_slice(&CHANGE_CIPHER_SPEC);
    let error = capture.refused_record(
        Expecting::NewSessionTicket,
        &wire,
        A::UnexpectedMessage,
        "NewSessionTicket and part of a Finished header, then ChangeCipherSpec",
    );
    assert_eq!(
        error,
        Error::Record(RecordError::ExcessHandshakeData("at ChangeCipherSpec"))
    );

    // To the server, after ClientKeyExchange, the same.
    let mut fragment = capture.client_key_exchange.clone();
    fragment.extend_from_slice(&finished_start);
    let mut wire = plaintext_record(ContentType::Handshake, &fragment);
    wire.extend_from_slice(&CHANGE_CIPHER_SPEC);
    let error = capture.refused_record(
        Expecting::ClientKeyExchange,
        &wire,
        A::UnexpectedMessage,
        "ClientKeyExchange and part of a Finished header, then ChangeCipherSpec",
    );
    assert_eq!(
        error,
        Error::Record(RecordError::ExcessHandshakeData("at ChangeCipherSpec"))
    );

    // Half a ClientKeyExchange, then ChangeCipherSpec: out of order before
    // anything else, a record where a handshake message is due.
    let cke = &capture.client_key_exchange;
    let mut wire = plaintext_record(ContentType::Handshake, &cke[..cke.len() / 2]);
    wire.extend_from_slice(&CHANGE_CIPHER_SPEC);
    let error = capture.refused_record(
        Expecting::ClientKeyExchange,
        &wire,
        A::UnexpectedMessage,
        "half a ClientKeyExchange, then ChangeCipherSpec",
    );
    assert_eq!(
        error,
        Error::Record(RecordError::UnexpectedRecord(
            "ChangeCipherSpec out of order"
        ))
    );
}

#[test]
fn finished_begun_before_change_cipher_spec_is_unexpected_message() {
    // BoGo's FragmentAcrossChangeCipherSpec: the first five bytes of
    // Finished in the clear, then ChangeCipherSpec, then the rest. Where
    // only ChangeCipherSpec may come, a handshake record is refused on its
    // header, before its key change could be crossed.
    for to_server in [true, false] {
        let mut f = last_flight(to_server);
        let mut wire = plaintext_record(ContentType::Handshake, &f.finished[..5]);
        wire.extend_from_slice(&CHANGE_CIPHER_SPEC);
        wire.extend(seal(
            &mut f.sender,
            ContentType::Handshake,
            &f.finished[5..],
        ));
        let result = deliver(&mut f.receiver, &wire);
        let error = assert_fatal_alert(&mut f.receiver, result, f.alert, A::UnexpectedMessage);
        assert_eq!(
            error,
            Error::Record(RecordError::UnexpectedRecord(
                "handshake message where ChangeCipherSpec is due"
            )),
            "to the server: {to_server}"
        );
    }
}

#[test]
fn handshake_data_after_finished_in_its_record_is_unexpected_message() {
    // BoGo's TrailingDataWithFinished and Renegotiate-Client-Packed: the
    // Finished that completes the handshake (the server's in a full one,
    // the client's in a resumption) with a byte, or a whole HelloRequest,
    // after it in its record. Whatever they are, they would be read in
    // the state of a handshake they were not sent in; nothing of the
    // receiver's answer goes out, only the alert.
    for to_server in [true, false] {
        for extra in [&[0u8][..], &handshake(T::HelloRequest, &[])] {
            let (mut conn, result, protection) = in_place_of_finished(to_server, |sender, fin| {
                seal(sender, ContentType::Handshake, &[fin, extra].concat())
            });
            let error = assert_fatal_alert(&mut conn, result, protection, A::UnexpectedMessage);
            assert_eq!(
                error,
                Error::Record(RecordError::ExcessHandshakeData(
                    "after the end of the peer's flight"
                )),
                "to the server: {to_server}, {extra:?}"
            );
            assert!(conn.is_handshaking(), "the handshake did not complete");
        }
    }
}

#[test]
fn a_session_refused_with_its_last_finished_is_not_resumable() {
    // The client stored the session its handshake made when the server's
    // Finished verified; the data packed after that Finished ends the
    // connection with a fatal alert, and §7.2.2 has the session
    // invalidated.
    let store = Arc::new(MemoryStore::new(4));
    let mut client = common::client_config();
    client.session_store = Some(store.clone());
    let mut pair = Pair::new(client, common::server_config());
    pair.flight_to_server(untouched).unwrap();
    pair.flight_to_client(untouched).unwrap();
    pair.flight_to_server(untouched).unwrap();
    let recs = records(&take(&mut pair.server));
    let est = pair.server.established().unwrap();
    let finished = open(
        &mut write_state(est, Writer::Server, 0),
        recs[1].0,
        &recs[1].1,
    );
    let mut wire = to_wire(&recs[..1]);
    let packed = [finished, vec![0]].concat();
    wire.extend(seal(
        &mut write_state(est, Writer::Server, 0),
        ContentType::Handshake,
        &packed,
    ));
    let protection = AlertProtection::Sealed(Box::new(next_write_state(
        &pair.client,
        est,
        Writer::Client,
    )));
    let result = deliver(&mut pair.client, &wire);
    assert_fatal_alert(&mut pair.client, result, protection, A::UnexpectedMessage);
    let server = ServerId::parse("localhost").unwrap();
    assert!(store.get(&server).unwrap().is_none(), "the session is gone");
}

#[test]
fn handshake_data_after_the_end_of_a_flight_is_unexpected_message() {
    // BoGo's PartialClientKeyExchangeWithClientHello: a ClientHello with
    // the start of a ClientKeyExchange in its record. The client cannot
    // have made that message before our ServerHello; the server answers
    // only with the alert.
    let capture = Capture::new();
    let cke = &capture.client_key_exchange;
    let fragment = [&capture.client_hello[..], &cke[..5]].concat();
    let error = capture.refused_record(
        Expecting::ClientHello,
        &plaintext_record(ContentType::Handshake, &fragment),
        A::UnexpectedMessage,
        "ClientHello and the start of a ClientKeyExchange",
    );
    assert_eq!(
        error,
        Error::Record(RecordError::ExcessHandshakeData(
            "after the end of the peer's flight"
        ))
    );

    // PartialNewSessionTicketWithServerHelloDone: the first byte of a
    // NewSessionTicket behind ServerHelloDone; and a whole one.
    for extra in [
        &capture.new_session_ticket[..1],
        &capture.new_session_ticket,
    ] {
        let fragment = [&capture.server_hello_done[..], extra].concat();
        let error = capture.refused_record(
            Expecting::ServerHelloDone,
            &plaintext_record(ContentType::Handshake, &fragment),
            A::UnexpectedMessage,
            "ServerHelloDone and a NewSessionTicket",
        );
        assert_eq!(
            error,
            Error::Record(RecordError::ExcessHandshakeData(
                "after the end of the peer's flight"
            ))
        );
    }
}

#[test]
fn application_data_inside_a_handshake_message_is_unexpected_message() {
    // BoGo's SendHalfHelloRequest: after the handshake, half a HelloRequest
    // (to the client) or half a ClientHello (to the server), then
    // application data. The message is never finished; its peer may not
    // go on as if it had not begun.
    for to_server in [true, false] {
        let half = if to_server {
            [T::ClientHello.value(), 0]
        } else {
            [T::HelloRequest.value(), 0]
        };
        let mut t = Traffic::new();
        let result = t.send_many(to_server, 2, |i| match i {
            0 => (ContentType::Handshake, half.to_vec()),
            _ => (ContentType::ApplicationData, b"data".to_vec()),
        });
        let (at, result, protection) = result.expect("refused");
        assert_eq!(at, 1, "the half message is taken, the data is not");
        let error = assert_fatal_alert(
            t.receiver(to_server),
            result,
            protection,
            A::UnexpectedMessage,
        );
        assert_eq!(
            error,
            Error::Record(RecordError::UnexpectedRecord(
                "application data inside a handshake message"
            ))
        );
        assert_eq!(t.receiver(to_server).application_data_available(), 0);
    }
}

// ---------------------------------------------------------------------------
// 6. Limits
// ---------------------------------------------------------------------------

/// `msg` (a whole handshake message) in plaintext records of at most 2^14
/// bytes each (§6.2.1), as a peer sends a message longer than a record.
fn plaintext_records(msg: &[u8]) -> Vec<u8> {
    msg.chunks(MAX_PLAINTEXT)
        .flat_map(|chunk| plaintext_record(ContentType::Handshake, chunk))
        .collect()
}

#[test]
fn the_largest_legal_client_hello_is_accepted() {
    // §7.4.1.2: cipher_suites<2..2^16-2>, compression_methods<1..2^8-1>
    // and extensions<0..2^16-1> all full make a ClientHello of 131396
    // bytes, which OpenSSL accepts too. Sent in nine records.
    let capture = Capture::new();
    let HandshakePayload::ClientHello(real) =
        HandshakeMessage::decode(capture.client_hello.clone())
            .unwrap()
            .payload
    else {
        panic!("not a ClientHello");
    };
    let body = common::hello::largest_client_hello_body(&real);
    assert_eq!(body.len(), 131_396);
    assert_eq!(T::ClientHello.max_body_len(), Some(body.len()));
    let mut server = capture.receiver(Expecting::ClientHello);
    deliver(
        &mut server,
        &plaintext_records(&handshake(T::ClientHello, &body)),
    )
    .unwrap_or_else(|e| panic!("the largest ClientHello: {e}"));
    let answer = take(&mut server);
    message(&answer, T::ServerHello);
    message(&answer, T::ServerHelloDone);
}

#[test]
fn handshake_message_over_its_limit_is_refused_from_its_header() {
    // The four header bytes alone, one byte over the type's limit: refused
    // before any of the body is buffered. Over what the message's own
    // vectors can hold (RFC 5246 §7.4.1.2 and the rest,
    // `HandshakeType::max_body_len`) its length is wrong: decode_error
    // (§7.2.2: "the length of the message was incorrect"). Over a limit of
    // ours (`MessageLimits`): illegal_parameter, as OpenSSL answers an
    // excessive message size. At the limit, the connection waits.
    let capture = Capture::new();
    let limits = MessageLimits::default();
    for (what, typ, alert) in [
        (Expecting::ClientHello, T::ClientHello, A::DecodeError),
        (Expecting::ServerHello, T::ServerHello, A::DecodeError),
        (
            Expecting::ClientKeyExchange,
            T::ClientKeyExchange,
            A::DecodeError,
        ),
        (Expecting::Certificate, T::Certificate, A::IllegalParameter),
        (
            Expecting::ClientCertificate,
            T::Certificate,
            A::IllegalParameter,
        ),
        (
            Expecting::ServerKeyExchange,
            T::ServerKeyExchange,
            A::IllegalParameter,
        ),
        (
            Expecting::NewSessionTicket,
            T::NewSessionTicket,
            A::IllegalParameter,
        ),
    ] {
        let capture_for = match what {
            Expecting::ClientCertificate => Capture::with_client_auth(),
            _ => Capture::new(),
        };
        let capture = if what == Expecting::ClientCertificate {
            &capture_for
        } else {
            &capture
        };
        let limit = limits.max_body_len(typ);
        let header = handshake_with_length(typ, limit + 1, &[]);
        let case = format!("{what:?}: {} of {} bytes", typ.name(), limit + 1);
        let error = capture.refused(what, &header, alert, &case);
        let expected = match alert {
            A::DecodeError => Error::Record(RecordError::Decode(DecodeError::LengthOutOfRange {
                what: typ.name(),
                len: limit + 1,
                min: 0,
                max: limit,
            })),
            _ => Error::Record(RecordError::HandshakeMessageTooLarge {
                length: limit + 1,
                limit,
            }),
        };
        assert_eq!(error, expected, "{case}");

        let mut conn = capture.receiver(what);
        let header = handshake_with_length(typ, limit, &[]);
        deliver(
            &mut conn,
            &plaintext_record(ContentType::Handshake, &header),
        )
        .unwrap();
        assert!(!conn.wants_write(), "{what:?}: at the limit it waits");
    }
    // The hellos are held to their RFC bound whatever the cap on the rest.
    assert_eq!(limits.max_body_len(T::ClientHello), 131_396);
    assert_eq!(limits.max_body_len(T::ServerHello), 65_607);
    assert_eq!(limits.max_body_len(T::Certificate), 3 + 100 * 1024);
    assert_eq!(limits.max_body_len(T::Finished), 12);
    assert_eq!(limits.ceiling(), 131_396);
}

/// Every `msg_type` the codec knows, and three it does not.
fn every_handshake_type() -> Vec<u8> {
    (0..=u8::MAX)
        .filter(|v| T::from_value(*v).is_some())
        .chain([3, 99, 255])
        .collect()
}

/// A message of type `msg_type` in two forms no body decoding can save:
/// three bytes no message decodes from, and a header alone announcing
/// 2^24 - 1 bytes (over every limit).
fn out_of_place(msg_type: u8) -> [Vec<u8>; 2] {
    [
        vec![msg_type, 0, 0, 3, 0xff, 0xff, 0xff],
        vec![msg_type, 0xff, 0xff, 0xff],
    ]
}

#[test]
fn a_message_out_of_place_is_unexpected_message_whatever_its_body() {
    // §7.4: "sending handshake messages in an unexpected order results in a
    // fatal error", §7.2.2 unexpected_message; decided on the header, so no
    // body (malformed, or too long to buffer) changes the answer. Each
    // state the handshake waits in, on both sides, and every other type.
    let capture = Capture::new();
    let auth = Capture::with_client_auth();
    let states: [(Expecting, &[T]); 8] = [
        (Expecting::ClientHello, &[T::ClientHello]),
        (Expecting::ClientKeyExchange, &[T::ClientKeyExchange]),
        (Expecting::CertificateVerify, &[T::CertificateVerify]),
        (Expecting::ServerHello, &[T::ServerHello]),
        (Expecting::Certificate, &[T::Certificate]),
        (Expecting::ServerKeyExchange, &[T::ServerKeyExchange]),
        (
            Expecting::ServerHelloDone,
            &[T::CertificateRequest, T::ServerHelloDone],
        ),
        (Expecting::NewSessionTicket, &[T::NewSessionTicket]),
    ];
    let mut cases = 0;
    for (what, takes) in states {
        let capture = if what == Expecting::CertificateVerify {
            &auth
        } else {
            &capture
        };
        let to_client = !matches!(
            what,
            Expecting::ClientHello | Expecting::ClientKeyExchange | Expecting::CertificateVerify
        );
        for typ in every_handshake_type() {
            // §7.4.1.1: a client ignores HelloRequest while it negotiates.
            let taken = T::from_value(typ)
                .is_some_and(|t| takes.contains(&t) || (to_client && t == T::HelloRequest));
            if taken {
                continue;
            }
            for msg in out_of_place(typ) {
                let case = format!("{what:?}: type {typ}, {} bytes", msg.len());
                let error = capture.refused(what, &msg, A::UnexpectedMessage, &case);
                assert_unexpected_message(&error, &case);
                cases += 1;
            }
        }
    }
    // 14 types in 8 states, less the 14 (state, type) pairs that are taken.
    assert_eq!(cases, 2 * (8 * 14 - 14), "{cases} cases");
}

#[test]
fn a_message_out_of_place_after_the_handshake_is_unexpected_message_whatever_its_body() {
    // Once established, a server takes only a ClientHello (a renegotiation)
    // and a client only a HelloRequest; anything else, under the
    // connection's keys, is refused on its header.
    let mut cases = 0;
    for to_server in [true, false] {
        let takes = if to_server {
            T::ClientHello
        } else {
            T::HelloRequest
        };
        for typ in every_handshake_type() {
            if typ == takes.value() {
                continue;
            }
            for msg in out_of_place(typ) {
                let mut t = Traffic::new();
                let case = format!("type {typ} to_server {to_server}");
                refused_on_its_header(&mut t, to_server, &msg, &case);
                cases += 1;
            }
        }
    }
    assert_eq!(cases, 2 * 2 * 13);

    // And in a renegotiation the receiver started (the server's
    // HelloRequest, the client's ClientHello sent): only the peer's hello
    // is in place.
    for to_server in [true, false] {
        let takes = if to_server {
            T::ClientHello
        } else {
            T::ServerHello
        };
        for typ in every_handshake_type() {
            let ignored = !to_server && typ == T::HelloRequest.value();
            if typ == takes.value() || ignored {
                continue;
            }
            for msg in out_of_place(typ) {
                let mut t = Traffic::new();
                t.receiver(to_server).renegotiate().unwrap();
                take(t.receiver(to_server));
                let case = format!("renegotiating, type {typ} to_server {to_server}");
                refused_on_its_header(&mut t, to_server, &msg, &case);
            }
        }
    }
}

/// Delivers `msg`, sealed by the peer, to the server (`to_server`) or the
/// client of `t`, which must answer with a fatal unexpected_message
/// (RFC 5246 §7.2.2).
fn refused_on_its_header(t: &mut Traffic, to_server: bool, msg: &[u8], case: &str) {
    let record = t.sealed_by_peer(to_server, ContentType::Handshake, msg);
    let (result, protection) = t.deliver(to_server, &record);
    let error = assert_fatal_alert(
        t.receiver(to_server),
        result,
        protection,
        A::UnexpectedMessage,
    );
    assert_unexpected_message(&error, case);
}

#[test]
fn certificate_chain_over_max_chain_len_is_unknown_ca() {
    // The real chain padded with copies of its intermediate.
    let capture = Capture::new();
    let real = parse_certificate(&capture.certificate);
    let padded = |len: usize| {
        let mut chain = real.clone();
        chain.resize(len, real[1].clone());
        handshake(T::Certificate, &certificate_body(&chain).bytes)
    };
    let error = capture.refused(
        Expecting::Certificate,
        &padded(MAX_CHAIN_LEN + 1),
        A::UnknownCa,
        "server chain too long",
    );
    assert_eq!(
        error,
        Error::Certificate(CertificateError::ChainTooLong {
            len: MAX_CHAIN_LEN + 1,
            max: MAX_CHAIN_LEN
        })
    );
    // At the limit the length is no objection (whatever else is checked).
    let mut client = capture.receiver(Expecting::Certificate);
    let result = deliver(
        &mut client,
        &plaintext_record(ContentType::Handshake, &padded(MAX_CHAIN_LEN)),
    );
    assert!(
        !matches!(
            result,
            Err(Error::Certificate(CertificateError::ChainTooLong { .. }))
        ),
        "{result:?}"
    );

    // A client's chain, to a server that asks for one.
    let mut server = common::server_config();
    server.client_auth = ClientAuth::Required(Arc::new(common::anchors(&["ecdsa/root.pem"])));
    let mut client = common::client_config();
    client.client_certificates = vec![Arc::new(common::certified(
        "ecdsa/client.chain.pem",
        "ecdsa/client.key",
    ))];
    let mut pair = Pair::new(client, server);
    pair.flight_to_server(untouched).unwrap();
    pair.flight_to_client(untouched).unwrap();
    let flight = take(&mut pair.client);
    let chain = parse_certificate(&message(&flight, T::Certificate));
    let mut long = chain.clone();
    long.resize(MAX_CHAIN_LEN + 1, chain[chain.len() - 1].clone());
    let msg = handshake(T::Certificate, &certificate_body(&long).bytes);
    let result = deliver(
        &mut pair.server,
        &plaintext_record(ContentType::Handshake, &msg),
    );
    let error = assert_fatal_alert(
        &mut pair.server,
        result,
        AlertProtection::Clear,
        A::UnknownCa,
    );
    assert!(
        matches!(
            error,
            Error::Certificate(CertificateError::ChainTooLong { .. })
        ),
        "{error:?}"
    );
}

#[test]
fn garbage_after_close_notify_is_not_read() {
    // §7.2.1: "Any data received after a closure alert is ignored": what
    // follows is ignored, without a panic and without an answer beyond our
    // own close_notify: bytes that are not TLS, a record of an unknown type,
    // a run of bytes, and even well-formed application data (`None`: sealed
    // after the close_notify).
    for to_server in [true, false] {
        let garbage = [
            Some(b"GET / HTTP/1.1\r\n\r\n".to_vec()),
            Some(vec![99, 3, 3, 0, 2, 1, 2]),
            Some(vec![0xff; 4000]),
            None,
        ];
        for (i, junk) in garbage.into_iter().enumerate() {
            let mut t = Traffic::new();
            let mut sender = t.peer_write_state(to_server);
            let mut wire = seal(&mut sender, ContentType::Alert, &[1, 0]);
            wire.extend(
                junk.unwrap_or_else(|| seal(&mut sender, ContentType::ApplicationData, b"late")),
            );
            let conn = t.receiver(to_server);
            assert_eq!(deliver(conn, &wire), Ok(()), "garbage {i}");
            assert!(conn.peer_closed());
            let answer = content_types(&take(conn));
            assert_eq!(
                answer,
                [ContentType::Alert],
                "garbage {i}: only close_notify"
            );
            assert_eq!(conn.process_new_packets(), Ok(()));
            assert_eq!(conn.application_data_available(), 0);
        }

        // More garbage than the record buffer holds: reading stops with an
        // I/O error (the buffer is full), never a panic or a fatal alert.
        let mut t = Traffic::new();
        let mut sender = t.peer_write_state(to_server);
        let mut wire = seal(&mut sender, ContentType::Alert, &[1, 0]);
        wire.extend(vec![0x17; 64 * 1024]);
        let conn = t.receiver(to_server);
        let mut rest = &wire[..];
        let refused = loop {
            match conn.read_tls(&mut rest) {
                Ok(0) => panic!("all of the garbage was buffered"),
                Ok(_) => assert_eq!(conn.process_new_packets(), Ok(())),
                Err(e) => break e,
            }
        };
        assert_eq!(refused.kind(), std::io::ErrorKind::Other);
        assert!(conn.peer_closed());
        assert_eq!(content_types(&take(conn)), [ContentType::Alert]);
    }
}

#[test]
fn unread_application_data_over_the_limit_stops_reading() {
    // A peer must not make us buffer without bound: once more than
    // MAX_BUFFERED_PLAINTEXT bytes wait for the application, read_tls
    // refuses until they are read. Nothing is lost, no alert is sent.
    for to_server in [true, false] {
        let mut t = Traffic::new();
        let data = common::printable_payload(MAX_BUFFERED_PLAINTEXT + 3 * MAX_PLAINTEXT, 7);
        let sender = if to_server {
            &mut t.pair.client
        } else {
            &mut t.pair.server
        };
        sender.write_application_data(&data).unwrap();
        let wire = take(sender);
        let conn = t.receiver(to_server);
        let mut rest = &wire[..];
        let refused = loop {
            match conn.read_tls(&mut rest) {
                Ok(n) => {
                    assert!(n > 0, "all data taken without a refusal");
                    conn.process_new_packets().unwrap();
                }
                Err(e) => break e,
            }
        };
        assert_eq!(refused.kind(), std::io::ErrorKind::Other, "{refused}");
        assert!(conn.application_data_available() > MAX_BUFFERED_PLAINTEXT);
        assert!(
            conn.application_data_available() <= MAX_BUFFERED_PLAINTEXT + MAX_PLAINTEXT,
            "it stopped at the first record over the limit"
        );
        assert!(!conn.wants_write(), "no alert");

        // Reading the data lets the rest in; all of it arrives intact.
        let mut received = vec![0; conn.application_data_available()];
        assert_eq!(conn.read_application_data(&mut received), received.len());
        while !rest.is_empty() {
            conn.read_tls(&mut rest).unwrap();
            conn.process_new_packets().unwrap();
        }
        let mut tail = vec![0; conn.application_data_available()];
        conn.read_application_data(&mut tail);
        received.extend(tail);
        assert!(received == data, "the data arrived intact");
    }
}

#[test]
fn protected_record_over_the_plaintext_limit_is_record_overflow() {
    // §6.2.3.3: the ciphertext's length fixes the plaintext's, which may not
    // exceed 2^14 (§6.2.1): refused before decryption. At 2^14 it is fine.
    for to_server in [true, false] {
        let mut t = Traffic::new();
        let ok = t.sealed_by_peer(
            to_server,
            ContentType::ApplicationData,
            &[b'a'; MAX_PLAINTEXT],
        );
        let (result, _) = t.deliver(to_server, &ok);
        result.unwrap();
        assert_eq!(
            t.receiver(to_server).application_data_available(),
            MAX_PLAINTEXT
        );

        let overhead = ok.len() - HEADER_LEN - MAX_PLAINTEXT;
        let fragment = vec![0; overhead + MAX_PLAINTEXT + 1];
        let mut record = vec![23, 3, 3];
        record.extend_from_slice(&u16::try_from(fragment.len()).unwrap().to_be_bytes());
        record.extend(fragment);
        let (result, protection) = t.deliver(to_server, &record);
        let error =
            assert_fatal_alert(t.receiver(to_server), result, protection, A::RecordOverflow);
        assert_eq!(
            error,
            Error::Record(RecordError::RecordOverflow {
                length: MAX_PLAINTEXT + 1,
                limit: MAX_PLAINTEXT
            })
        );
    }
}

#[test]
fn client_hello_record_version_may_be_old_but_must_be_3_x() {
    // §E.1: servers "MUST accept any value {03,XX} as the record layer
    // version number for ClientHello"; a major version other than 3 is not
    // TLS at all.
    let capture = Capture::new();
    for version in [ProtocolVersion(0x0300), ProtocolVersion(0x0301)] {
        let mut record = plaintext_record(ContentType::Handshake, &capture.client_hello);
        record[1..3].copy_from_slice(&version.to_bytes());
        let mut server = capture.receiver(Expecting::ClientHello);
        deliver(&mut server, &record).unwrap();
        assert!(server.wants_write(), "answered {version:?}");
    }
    let mut record = plaintext_record(ContentType::Handshake, &capture.client_hello);
    record[1] = 2;
    let error = capture.refused_record(
        Expecting::ClientHello,
        &record,
        A::ProtocolVersion,
        "record version 2.3",
    );
    assert_eq!(error, Error::Record(RecordError::BadRecordVersion(0x0203)));
}

/// The captured ClientHello cut into records of `size` bytes, each with
/// the record-layer `version`.
fn fragmented_client_hello(capture: &Capture, size: usize, version: [u8; 2]) -> Vec<u8> {
    let mut wire = Vec::new();
    for part in capture.client_hello.chunks(size) {
        let mut record = plaintext_record(ContentType::Handshake, part);
        record[1..3].copy_from_slice(&version);
        wire.extend(record);
    }
    wire
}

#[test]
fn client_hello_fragmented_across_records_is_accepted() {
    // §6.2.1: "a single message MAY be fragmented across several records".
    let capture = Capture::new();
    for size in [1, 2, 3, 4, 5, 50] {
        let mut server = capture.receiver(Expecting::ClientHello);
        deliver(
            &mut server,
            &fragmented_client_hello(&capture, size, [3, 3]),
        )
        .unwrap();
        let answer = take(&mut server);
        assert_eq!(
            ServerHelloParts::parse(&message(&answer, T::ServerHello)).server_version,
            [3, 3],
            "ClientHello in records of {size} bytes"
        );
    }
}

#[test]
fn client_hello_fragmented_in_records_of_an_old_version_is_accepted() {
    // §E.1: servers "MUST accept any value {03,XX} as the record layer
    // version number for ClientHello", and a ClientHello may take several
    // records (§6.2.1), as it does from clients that send {3,1} there.
    let capture = Capture::new();
    for version in [[3, 1], [3, 0]] {
        let mut server = capture.receiver(Expecting::ClientHello);
        let result = deliver(&mut server, &fragmented_client_hello(&capture, 50, version));
        assert_eq!(result, Ok(()), "records of version {version:?}");
        assert!(server.wants_write(), "a ServerHello");
    }
}

#[test]
fn malformed_alert_records_are_decode_error() {
    // §7.2 `struct { AlertLevel level; AlertDescription description; }`:
    // exactly two bytes, the level warning(1) or fatal(2). One alert per
    // record, whole: we neither join an alert split across records nor split
    // two coalesced ones (RFC 5246 does not say; OpenSSL 1.1 and later, and
    // RFC 8446 §5.1, refuse both).
    let capture = Capture::new();
    let cases: [(&[u8], DecodeError); 4] = [
        (
            &[1],
            DecodeError::Truncated {
                what: "Alert.description",
            },
        ),
        (&[1, 90, 1], DecodeError::TrailingBytes { what: "Alert" }),
        (
            &[1, 90, 1, 90],
            DecodeError::TrailingBytes { what: "Alert" },
        ),
        (
            &[3, 0],
            DecodeError::InvalidValue {
                what: "Alert.level",
            },
        ),
    ];
    for what in [Expecting::ClientHello, Expecting::ServerHello] {
        for (body, expected) in &cases {
            let case = format!("alert {body:?} to the {what:?} receiver");
            let error = capture.refused_record(
                what,
                &plaintext_record(ContentType::Alert, body),
                A::DecodeError,
                &case,
            );
            assert_eq!(
                error,
                Error::Record(RecordError::Decode(expected.clone())),
                "{case}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// 7. The same over TCP, against the example server
// ---------------------------------------------------------------------------

#[test]
fn the_example_server_refuses_out_of_place_messages_and_warning_floods_on_the_wire() {
    // Raw bytes over loopback to the example binary, and the alert read
    // back off the socket: a Finished (with a body no message decodes
    // from) as the first message, a header alone announcing a Certificate
    // of 2^24 - 1 bytes, and five warning alerts before any hello: each
    // gets a fatal unexpected_message, `21 3 3 0 2 2 10`.
    use std::io::{Read, Write};
    use std::process::Command;
    let timeout = std::time::Duration::from_secs(10);
    let mut cmd = Command::new(common::example_binary("server"));
    cmd.args(["--listen", "127.0.0.1:0", "--session-cache", "memory"])
        .args([
            "--cert",
            &common::test_data_arg("ecdsa/localhost.chain.pem"),
        ])
        .args(["--key", &common::test_data_arg("ecdsa/localhost.key")]);
    let mut server = common::ChildGuard::spawn(&mut cmd);
    let port = server.wait_for_port("listening on", timeout);
    let warnings: Vec<u8> = (0..MAX_WARNING_ALERTS + 1)
        .flat_map(|_| plaintext_record(ContentType::Alert, &[1, 90]))
        .collect();
    let cases = [
        (
            "Finished first",
            plaintext_record(ContentType::Handshake, &[20, 0, 0, 3, 0xff, 0xff, 0xff]),
        ),
        (
            "a Certificate header of 2^24 - 1 bytes first",
            plaintext_record(ContentType::Handshake, &[11, 0xff, 0xff, 0xff]),
        ),
        ("five warning alerts", warnings),
    ];
    for (case, wire) in cases {
        let mut sock = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        sock.set_read_timeout(Some(timeout)).unwrap();
        sock.write_all(&wire).unwrap();
        let mut answer = Vec::new();
        let _ = sock.read_to_end(&mut answer);
        assert_eq!(
            answer,
            [21, 3, 3, 0, 2, 2, A::UnexpectedMessage.value()],
            "{case}"
        );
    }
}
