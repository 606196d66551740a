//! Chapter 10: what TLS 1.3 changed, shown with **rustls**, not tls12.
//!
//! This stack is TLS 1.2 only; rustls speaks TLS 1.3, so two in-process
//! rustls endpoints (a peer we did not write) show the contrast:
//!
//! - RFC 8446 §2.2: a resumption no longer reuses a master secret. The
//!   first handshake leaves a `resumption_master_secret`, a ticket names a
//!   PSK derived from it, and a resumption mixes that PSK with a *fresh*
//!   ECDHE exchange (`psk_dhe_ke`, §4.2.9) into new secrets: C2 shares no
//!   secret with C1, where TLS 1.2's C2 shares C1's master secret.
//! - §4.6.1 and Appendix C.4: tickets are meant to be used once; the
//!   server sent new ones, and the client uses each only once.
//! - §4.1.2: "Because TLS 1.3 forbids renegotiation, if a server has
//!   negotiated TLS 1.3 and receives a ClientHello at any other time, it
//!   MUST terminate the connection with an "unexpected_message" alert."
//!
//! Every claim is read from rustls's key log (the secrets of each
//! connection, by its client random); with `SSLKEYLOGFILE` set, the same
//! lines go to that file, where tests/demo.rs checks them.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex};

use rustls::crypto::ring as provider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConnection, Connection, HandshakeKind, ServerConnection};

/// One connection's secrets, as rustls logged them: (label, secret).
type Logged = Vec<(String, Vec<u8>)>;

/// The secrets rustls logged, per connection (client random), in order.
#[derive(Debug, Default)]
struct Secrets {
    by_client_random: Mutex<HashMap<Vec<u8>, Logged>>,
    file: Option<rustls::KeyLogFile>,
}

impl rustls::KeyLog for Secrets {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        if let Some(file) = &self.file {
            file.log(label, client_random, secret);
        }
        let mut map = self
            .by_client_random
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        map.entry(client_random.to_vec())
            .or_default()
            .push((label.to_owned(), secret.to_vec()));
    }

    fn will_log(&self, _label: &str) -> bool {
        true
    }
}

impl Secrets {
    /// The secrets of the connection whose ClientHello carried `random`.
    fn of(&self, random: &[u8]) -> Logged {
        let map = self
            .by_client_random
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        map.get(random).cloned().unwrap_or_default()
    }
}

/// Runs the chapter: C1 (full), C2 (resumed), then a ClientHello sent
/// again on C2. `tls12_c1_c2` is TLS 1.2's pair from chapter 2: (master
/// secret, C1's key block, C2's key block) fingerprints.
pub fn chapter(
    chain: &[u8],
    key: &[u8],
    root: &[u8],
    tls12_c1_c2: (&str, &str, &str),
    fingerprint: fn(&[u8]) -> String,
    say: fn(&str),
) -> io::Result<()> {
    say("  (this chapter runs rustls 0.23 at TLS 1.3 in memory: rustls, not tls12)");
    let secrets = Arc::new(Secrets {
        file: std::env::var_os("SSLKEYLOGFILE").map(|_| rustls::KeyLogFile::new()),
        ..Secrets::default()
    });
    let (client, server) = configs(chain, key, root, secrets.clone())?;

    let (c1, _, hello1) = connect(&client, &server)?;
    let (mut c2, mut s2, hello2) = connect(&client, &server)?;
    // ClientHello.random: after the record header (5 bytes), the message
    // header (4) and client_version (2).
    let random = |hello: &[u8]| hello.get(11..43).map(<[u8]>::to_vec).unwrap_or_default();
    let first = secrets.of(&random(&hello1));
    let kind = |c: &ClientConnection| match c.handshake_kind() {
        Some(HandshakeKind::Resumed) => "resumed",
        _ => "full",
    };
    let group = |c: &ClientConnection| {
        c.negotiated_key_exchange_group()
            .map_or("none".to_owned(), |g| format!("{:?}", g.name()))
    };
    say(&format!(
        "  C1: {} handshake, key exchange {}",
        kind(&c1),
        group(&c1)
    ));
    print_secrets(&first, fingerprint, say);
    let second = secrets.of(&random(&hello2));
    say(&format!(
        "  C2: {} handshake, key exchange {} (psk_dhe_ke: the PSK and a fresh ECDHE, RFC 8446 §4.2.9)",
        kind(&c2),
        group(&c2)
    ));
    print_secrets(&second, fingerprint, say);
    let shared = first
        .iter()
        .filter(|(_, s)| second.iter().any(|(_, t)| t == s))
        .count();
    say(&format!("  secrets C1 and C2 share: {shared}"));
    let (master, k1, k2) = tls12_c1_c2;
    say(&format!(
        "  TLS 1.2, chapter 2: C1 and C2 share master secret {master}; keys {k1} and {k2}"
    ));
    say("  TLS 1.3: C1 and C2 share nothing; a stolen C1 secret does not open C2");

    // §4.1.2: no renegotiation. A ClientHello sent on C2 the way a TLS
    // 1.2 client renegotiates: inside the connection, under C2's client
    // application keys (from the key log), as its first record.
    let traffic = second
        .iter()
        .find(|(label, _)| label == "CLIENT_TRAFFIC_SECRET_0")
        .map(|(_, secret)| secret.clone())
        .ok_or_else(|| io::Error::other("no CLIENT_TRAFFIC_SECRET_0 for C2"))?;
    let record = protected_record(&traffic, hello1.get(5..).unwrap_or_default())?;
    let mut wire = &record[..];
    let refused = s2
        .read_tls(&mut wire)
        .map_err(io::Error::other)
        .and_then(|_| s2.process_new_packets().map_err(io::Error::other));
    match refused {
        Err(e) => say(&format!(
            "  C2 sends a new ClientHello, as a TLS 1.2 client would to renegotiate: refused, {e} \
             (RFC 8446 §4.1.2: unexpected_message)"
        )),
        Ok(_) => say("  C2 sends a new ClientHello: accepted (not what RFC 8446 §4.1.2 says)"),
    }
    let _ = c2.process_new_packets();
    Ok(())
}

fn print_secrets(secrets: &Logged, fingerprint: fn(&[u8]) -> String, say: fn(&str)) {
    for (label, secret) in secrets {
        say(&format!("      {label:<32} {}", fingerprint(secret)));
    }
}

/// A TLS 1.3-only rustls client and server over the demo's test PKI,
/// both logging their secrets into `secrets`.
fn configs(
    chain: &[u8],
    key: &[u8],
    root: &[u8],
    secrets: Arc<Secrets>,
) -> io::Result<(Arc<rustls::ClientConfig>, Arc<rustls::ServerConfig>)> {
    let certs = CertificateDer::pem_slice_iter(chain)
        .collect::<Result<Vec<_>, _>>()
        .map_err(io::Error::other)?;
    let key = PrivateKeyDer::from_pem_slice(key).map_err(io::Error::other)?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(root) {
        roots
            .add(cert.map_err(io::Error::other)?)
            .map_err(io::Error::other)?;
    }
    // One suite, so that the record the chapter builds by hand matches.
    let provider = Arc::new(rustls::crypto::CryptoProvider {
        cipher_suites: vec![provider::cipher_suite::TLS13_AES_128_GCM_SHA256],
        ..provider::default_provider()
    });
    let mut client = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(io::Error::other)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    client.key_log = secrets;
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(io::Error::other)?;
    Ok((Arc::new(client), Arc::new(server)))
}

/// One connection, handshake done and the server's tickets read by the
/// client; with the bytes of the client's first flight (its ClientHello).
fn connect(
    client: &Arc<rustls::ClientConfig>,
    server: &Arc<rustls::ServerConfig>,
) -> io::Result<(ClientConnection, ServerConnection, Vec<u8>)> {
    let name = ServerName::try_from("localhost").map_err(io::Error::other)?;
    let mut c = ClientConnection::new(client.clone(), name).map_err(io::Error::other)?;
    let mut s = ServerConnection::new(server.clone()).map_err(io::Error::other)?;
    let mut hello = Vec::new();
    c.write_tls(&mut hello)?;
    let mut first = &hello[..];
    s.read_tls(&mut first)?;
    s.process_new_packets().map_err(io::Error::other)?;
    let (mut cc, mut sc) = (Connection::from(c), Connection::from(s));
    for _ in 0..10 {
        pass(&mut sc, &mut cc)?;
        pass(&mut cc, &mut sc)?;
        if !cc.is_handshaking() && !sc.is_handshaking() && !sc.wants_write() {
            break;
        }
    }
    match (cc, sc) {
        (Connection::Client(c), Connection::Server(s)) if !c.is_handshaking() => Ok((c, s, hello)),
        _ => Err(io::Error::other("the TLS 1.3 handshake did not finish")),
    }
}

/// Moves what `from` has to send into `to`.
fn pass(from: &mut Connection, to: &mut Connection) -> io::Result<()> {
    let mut wire = Vec::new();
    while from.wants_write() {
        from.write_tls(&mut wire)?;
    }
    let mut rest = &wire[..];
    while !rest.is_empty() {
        to.read_tls(&mut rest)?;
        to.process_new_packets().map_err(io::Error::other)?;
    }
    Ok(())
}

/// `plaintext` (a handshake message) as the TLS 1.3 record a client with
/// traffic secret `secret` sends first (RFC 8446 §5.2: the inner content
/// type after the message; §5.3: nonce = iv XOR sequence number 0; §7.3:
/// key and iv by HKDF-Expand-Label), for TLS_AES_128_GCM_SHA256.
fn protected_record(secret: &[u8], plaintext: &[u8]) -> io::Result<Vec<u8>> {
    use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_128_GCM};
    let key = expand_label(secret, b"key", 16)?;
    let iv = expand_label(secret, b"iv", 12)?;
    let key = UnboundKey::new(&AES_128_GCM, &key).map_err(|_| io::Error::other("key"))?;
    let nonce = Nonce::try_assume_unique_for_key(&iv).map_err(|_| io::Error::other("iv"))?;
    let mut body = [plaintext, &[22]].concat(); // ContentType handshake(22)
    let len = u16::try_from(body.len() + 16).map_err(io::Error::other)?;
    let mut header = vec![23, 3, 3]; // application_data, legacy version {3, 3}
    header.extend_from_slice(&len.to_be_bytes());
    LessSafeKey::new(key)
        .seal_in_place_append_tag(nonce, Aad::from(&header), &mut body)
        .map_err(|_| io::Error::other("seal"))?;
    Ok([header, body].concat())
}

/// HKDF-Expand-Label(secret, label, "", len) with SHA-256 (RFC 8446 §7.1).
fn expand_label(secret: &[u8], label: &[u8], len: usize) -> io::Result<Vec<u8>> {
    use ring::hkdf::{KeyType, Prk, HKDF_SHA256};
    struct Len(usize);
    impl KeyType for Len {
        fn len(&self) -> usize {
            self.0
        }
    }
    let full = [&b"tls13 "[..], label].concat();
    let info = [
        &u16::try_from(len).map_err(io::Error::other)?.to_be_bytes()[..],
        &[u8::try_from(full.len()).map_err(io::Error::other)?],
        &full,
        &[0], // empty context
    ]
    .concat();
    let mut out = vec![0; len];
    Prk::new_less_safe(HKDF_SHA256, secret)
        .expand(&[&info], Len(len))
        .and_then(|okm| okm.fill(&mut out))
        .map_err(|_| io::Error::other("HKDF-Expand-Label"))?;
    Ok(out)
}
