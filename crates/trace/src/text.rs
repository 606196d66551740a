//! A readable trace of a connection: every record, every handshake message
//! with its fields and RFC section, and every change of connection and
//! session state. Written through the library's
//! [`Observer`] interface, not by parsing
//! bytes again. Secrets appear only when asked for.

use std::fmt::Write as _;
use std::io::Write;
use std::sync::{Arc, Mutex};

use handshake::extensions::ClientExtensions;
use handshake::messages::{HandshakeMessage, HandshakePayload};
use handshake::observe::{Direction, Observer, Protection, TraceEvent};
use handshake::proofs::Authentication;
use record_layer::aead::BulkAlgorithm;
use record_layer::record::ContentType;

/// An [`Observer`] that prints each event as text.
pub struct Tracer {
    label: String,
    secrets: bool,
    out: Mutex<Box<dyn Write + Send>>,
}

impl core::fmt::Debug for Tracer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Tracer")
            .field("label", &self.label)
            .field("secrets", &self.secrets)
            .finish_non_exhaustive()
    }
}

impl Tracer {
    /// A tracer that writes to standard error, each line starting with
    /// `[label]`. With `secrets`, master secrets and key blocks are printed
    /// too: only for learning and debugging, never in production.
    pub fn stderr(label: &str, secrets: bool) -> Arc<Self> {
        Self::to_writer(label, secrets, Box::new(std::io::stderr()))
    }

    /// A tracer that writes to `out`.
    pub fn to_writer(label: &str, secrets: bool, out: Box<dyn Write + Send>) -> Arc<Self> {
        Arc::new(Self {
            label: label.to_string(),
            secrets,
            out: Mutex::new(out),
        })
    }
}

impl Observer for Tracer {
    fn event(&self, event: &TraceEvent<'_>) {
        let text = render(event, self.secrets);
        let mut out = match self.out.lock() {
            Ok(out) => out,
            Err(poisoned) => poisoned.into_inner(),
        };
        for line in text.lines() {
            // A trace that cannot be written must not break the connection.
            let _ = writeln!(out, "[{}] {line}", self.label);
        }
    }
}

/// The text for one event (several lines for a handshake message).
pub fn render(event: &TraceEvent<'_>, secrets: bool) -> String {
    let mut s = String::new();
    match event {
        TraceEvent::Record {
            direction,
            content_type,
            length,
            protection,
        } => {
            let _ = write!(
                s,
                "{} record {}, plaintext length {length}, {}",
                arrow(*direction),
                content_type_name(*content_type),
                match protection {
                    Protection::Unprotected => "unprotected (RFC 5246 §6.1 null cipher)".into(),
                    Protection::Aead { bulk, seq_num } =>
                        format!("protected by {} seq_num {seq_num}", bulk_name(*bulk)),
                }
            );
        }
        TraceEvent::Handshake { direction, message } => render_message(&mut s, *direction, message),
        TraceEvent::Alert { direction, alert } => {
            let _ = write!(s, "{} alert: {alert} (RFC 5246 §7.2)", arrow(*direction));
        }
        TraceEvent::KeysPending => {
            s.push_str(
                "   connection: key block computed; pending read and write states set (RFC 5246 §6.1, §6.3)",
            );
        }
        TraceEvent::CipherStateChanged { direction, bulk } => {
            let which = match direction {
                Direction::Sent => "write",
                Direction::Received => "read",
            };
            let _ = write!(
                s,
                "   connection: pending {which} state is now current ({}), sequence number restarts at 0 (RFC 5246 §6.1, §7.1)",
                bulk_name(*bulk)
            );
        }
        TraceEvent::SessionEstablished {
            established,
            replaced,
            handshake_count,
            ..
        } => {
            let session = &established.session;
            let how = if established.resumed {
                "resumed (abbreviated handshake, RFC 5246 §7.3 Figure 2)"
            } else {
                "created (full handshake, RFC 5246 §7.3 Figure 1)"
            };
            let _ = writeln!(
                s,
                "   session {how}: id {} suite {} extended_master_secret {} (handshake {handshake_count} on this connection)",
                hex_or_empty(session.session_id.as_bytes()),
                session.cipher_suite.rfc_name(),
                session.extended_master_secret,
            );
            if let Some(old) = replaced {
                let _ = writeln!(
                    s,
                    "   session replaced on this connection: was id {} (renegotiation, RFC 5746)",
                    hex_or_empty(old.session_id.as_bytes())
                );
            }
            if secrets {
                let _ = writeln!(
                    s,
                    "   secret master_secret {}",
                    hex::encode(session.master_secret().as_bytes())
                );
                let key_block = established.key_block();
                let _ = writeln!(
                    s,
                    "   secret key_block {}",
                    hex::encode(key_block.as_bytes())
                );
            }
            let _ = writeln!(
                s,
                "   peer authenticated by: {}",
                authenticated_by(established.peer.how())
            );
        }
        TraceEvent::SessionInvalidated { session } => {
            let _ = write!(
                s,
                "   session {} invalidated: no longer resumable (RFC 5246 §7.2.2)",
                hex_or_empty(session.session_id.as_bytes())
            );
        }
        TraceEvent::ResumptionRefused { reason } => {
            let _ = write!(
                s,
                "   session not resumed: {reason}; full handshake (RFC 5246 §7.4.1.3)"
            );
        }
    }
    s
}

fn render_message(s: &mut String, direction: Direction, message: &HandshakeMessage) {
    let t = message.handshake_type();
    let _ = writeln!(
        s,
        "{} {} ({}), {} bytes",
        arrow(direction),
        t.name(),
        t.rfc_section(),
        message.raw.len()
    );
    match &message.payload {
        HandshakePayload::ClientHello(h) => {
            let _ = writeln!(s, "     client_version {:#06x}", h.client_version.0);
            let _ = writeln!(s, "     random {}", hex::encode(h.random.0));
            let _ = writeln!(
                s,
                "     session_id {}",
                hex_or_empty(h.session_id.as_bytes())
            );
            let suites: Vec<String> = h.cipher_suites.iter().map(|v| suite_name(*v)).collect();
            let _ = writeln!(s, "     cipher_suites {}", suites.join(", "));
            let _ = writeln!(s, "     compression_methods {:?}", h.compression_methods);
            render_client_extensions(s, &h.extensions);
        }
        HandshakePayload::ServerHello(h) => {
            let e = &h.extensions;
            let _ = writeln!(s, "     server_version {:#06x}", h.server_version.0);
            let _ = writeln!(s, "     random {}", hex::encode(h.random.0));
            let _ = writeln!(
                s,
                "     session_id {}",
                hex_or_empty(h.session_id.as_bytes())
            );
            let _ = writeln!(s, "     cipher_suite {}", suite_name(h.cipher_suite));
            let _ = writeln!(s, "     compression_method {}", h.compression_method);
            let _ = writeln!(
                s,
                "     extensions: extended_master_secret {} session_ticket {} renegotiation_info {} alpn {} server_name {}",
                e.extended_master_secret,
                e.session_ticket_ack,
                e.renegotiation_info.as_deref().map_or("absent".into(), hex_or_empty),
                e.alpn.as_deref().map_or("absent".into(), escaped),
                e.server_name_ack,
            );
        }
        HandshakePayload::Certificate(c) => {
            for (i, cert) in c.certificate_list.iter().enumerate() {
                let subject = handshake::x509::leaf_subject(cert).unwrap_or_else(|e| e.to_string());
                let subject = escaped(subject.as_bytes());
                let _ = writeln!(s, "     certificate[{i}] {} bytes: {subject}", cert.len());
            }
            if c.certificate_list.is_empty() {
                s.push_str("     certificate_list empty\n");
            }
        }
        HandshakePayload::ServerKeyExchange(k) => {
            let _ = writeln!(s, "     named_curve {}", k.named_group.rfc_name());
            let _ = writeln!(s, "     public {}", hex::encode(&k.public));
            let _ = writeln!(
                s,
                "     signed_params {} ({} bytes)",
                k.signed_params.algorithm.rfc_name(),
                k.signed_params.signature.len()
            );
        }
        HandshakePayload::CertificateRequest(r) => {
            let schemes: Vec<&str> = r
                .supported_signature_algorithms
                .iter()
                .map(|a| a.rfc_name())
                .collect();
            let _ = writeln!(s, "     certificate_types {:?}", r.certificate_types);
            let _ = writeln!(
                s,
                "     supported_signature_algorithms {}",
                schemes.join(", ")
            );
        }
        HandshakePayload::CertificateVerify(v) => {
            let _ = writeln!(
                s,
                "     algorithm {} ({} bytes)",
                v.algorithm.rfc_name(),
                v.signature.len()
            );
        }
        HandshakePayload::ClientKeyExchange(k) => {
            let _ = writeln!(s, "     ecdh_Yc {}", hex::encode(&k.ecdh_yc));
        }
        HandshakePayload::Finished(f) => {
            let _ = writeln!(s, "     verify_data {}", hex::encode(f.verify_data));
        }
        HandshakePayload::NewSessionTicket(t) => {
            let _ = writeln!(
                s,
                "     ticket_lifetime_hint {} ticket {} bytes",
                t.ticket_lifetime_hint,
                t.ticket.len()
            );
        }
        HandshakePayload::HelloRequest | HandshakePayload::ServerHelloDone => {}
    }
    for (i, chunk) in message.raw.chunks(16).enumerate() {
        let _ = writeln!(s, "     {:04x}  {}", i * 16, spaced_hex(chunk));
    }
}

fn render_client_extensions(s: &mut String, e: &ClientExtensions) {
    let _ = writeln!(
        s,
        "     server_name {}",
        e.server_name
            .as_deref()
            .map_or("absent".into(), |name| escaped(name.as_bytes()))
    );
    if let Some(groups) = &e.supported_groups {
        let names: Vec<&str> = groups.iter().map(|g| g.rfc_name()).collect();
        let _ = writeln!(s, "     supported_groups {}", names.join(", "));
    }
    if let Some(schemes) = &e.signature_algorithms {
        let names: Vec<&str> = schemes.iter().map(|a| a.rfc_name()).collect();
        let _ = writeln!(s, "     signature_algorithms {}", names.join(", "));
    }
    let _ = writeln!(
        s,
        "     extended_master_secret {} session_ticket {} renegotiation_info {}",
        e.extended_master_secret,
        e.session_ticket
            .as_ref()
            .map_or("absent".into(), |t| format!("{} bytes", t.len())),
        e.renegotiation_info
            .as_deref()
            .map_or("absent".into(), hex_or_empty),
    );
}

fn arrow(direction: Direction) -> &'static str {
    match direction {
        Direction::Sent => "->",
        Direction::Received => "<-",
    }
}

/// How the peer was authenticated, in words (also on the HTML page).
pub(crate) fn authenticated_by(how: Authentication) -> &'static str {
    match how {
        Authentication::Signature => "its signature in this handshake (§7.4.3, §7.4.8)",
        Authentication::Anonymous => "nothing: an anonymous client",
        Authentication::InheritedFromSession => "the full handshake that made the resumed session",
    }
}

pub(crate) fn content_type_name(t: ContentType) -> String {
    let name = match t {
        ContentType::ChangeCipherSpec => "change_cipher_spec",
        ContentType::Alert => "alert",
        ContentType::Handshake => "handshake",
        ContentType::ApplicationData => "application_data",
    };
    format!("{name}({})", t.value())
}

pub(crate) fn bulk_name(bulk: BulkAlgorithm) -> &'static str {
    match bulk {
        BulkAlgorithm::Aes128Gcm => "AES-128-GCM",
        BulkAlgorithm::Aes256Gcm => "AES-256-GCM",
        BulkAlgorithm::ChaCha20Poly1305 => "ChaCha20-Poly1305",
    }
}

pub(crate) fn suite_name(value: u16) -> String {
    match record_layer::suites::CipherSuite::from_value(value) {
        Some(suite) => suite.rfc_name().to_string(),
        None if value == handshake::messages::TLS_EMPTY_RENEGOTIATION_INFO_SCSV => {
            "TLS_EMPTY_RENEGOTIATION_INFO_SCSV".into()
        }
        None => format!("{value:#06x}"),
    }
}

/// A peer-supplied string (a server name, an ALPN protocol, a certificate
/// subject) as printable ASCII: control bytes, escape sequences, quotes and
/// non-ASCII bytes become `\xNN`-style escapes, so that no peer can move
/// the cursor, recolour the terminal or forge a trace line of its own.
fn escaped(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

/// Hex, or `(empty)` for an empty field (an empty session id or
/// renegotiation_info means something in the RFC, and should show).
pub(crate) fn hex_or_empty(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        "(empty)".into()
    } else {
        hex::encode(bytes)
    }
}

fn spaced_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}
