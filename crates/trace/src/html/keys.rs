//! The key schedule of one handshake, drawn: pre-master secret → master
//! secret (RFC 5246 §8.1, or the extended master secret of RFC 7627 §4) →
//! key block (§6.3) → the four keys and IVs of this connection.

use std::fmt::Write as _;

use handshake::kx::NamedGroup;
use handshake::messages::{HandshakePayload, HandshakeType};

use crate::text::authenticated_by;

use super::{esc, put, rfc_link, short_hex, Conn, HandshakeView, Keys, SecretView, Sessions};

/// Opens the handshake's `<details>` (closed by the caller after its
/// messages) with its summary and key schedule.
pub(super) fn render_handshake(
    out: &mut String,
    conn: &Conn<'_>,
    handshake: &HandshakeView<'_>,
    sessions: &Sessions,
) {
    out.push_str("<details open class=\"handshake\">\n<summary>");
    let Some(keys) = handshake.keys else {
        out.push_str("A handshake that did not complete</summary>\n");
        return;
    };
    let session = sessions.label(&keys.master_secret.fingerprint);
    put!(
        out,
        "Handshake {}: {} — session <span style=\"color:{}\">{session}</span>, {}</summary>\n",
        keys.handshake_count,
        match (keys.replaced.is_some(), keys.resumed) {
            (false, false) => "full (§7.3 Figure 1)",
            (false, true) => "abbreviated, resuming (§7.3 Figure 2)",
            (true, false) => "renegotiation with a full handshake (RFC 5746)",
            (true, true) => "renegotiation resuming a session (RFC 5746)",
        },
        sessions.colour(&keys.master_secret.fingerprint),
        keys.suite.rfc_name()
    );
    put!(
        out,
        "<p>Peer authenticated by {}.</p>\n",
        authenticated_by(keys.peer)
    );
    drawing(out, conn, keys, sessions);
    formulas(out, handshake, keys, sessions);
    if keys.master_secret.hex.is_some() {
        secrets_table(out, keys);
    }
}

/// Bytes of the pre-master secret: the x-coordinate of the shared point
/// (RFC 8422 §5.10), or X25519's 32-byte output (RFC 7748 §6.1).
fn pre_master_len(group: NamedGroup) -> Option<usize> {
    match group {
        NamedGroup::X25519 | NamedGroup::Secp256r1 => Some(32),
        NamedGroup::Secp384r1 => Some(48),
        NamedGroup::Unknown(_) => None,
    }
}

fn drawing(out: &mut String, conn: &Conn<'_>, keys: &Keys, sessions: &Sessions) {
    put!(
        out,
        "<svg class=\"schedule\" data-connection=\"{}\" viewBox=\"0 0 900 170\" width=\"900\" height=\"170\" \
         role=\"img\" aria-label=\"key schedule\">\n",
        conn.number
    );
    let first = match (keys.resumed, keys.group) {
        (false, Some(group)) => vec![
            "pre_master_secret".to_string(),
            format!("ECDHE {}", group.rfc_name()),
            pre_master_len(group).map_or("? bytes".into(), |n| format!("{n} bytes")),
            "not kept (§8.1)".into(),
        ],
        _ => vec![
            "the session's".to_string(),
            "master_secret, from".into(),
            format!(
                "{}'s full handshake",
                sessions
                    .list
                    .get(
                        sessions
                            .index(&keys.master_secret.fingerprint)
                            .unwrap_or(usize::MAX)
                    )
                    .map_or("an earlier", |s| s.created_on.as_str())
            ),
            "(no key exchange)".into(),
        ],
    };
    secret_box(out, 10, 40, 190, &first);
    arrow(out, (200, 80), (250, 80));
    let ems = if keys.extended_master_secret {
        "extended (RFC 7627)"
    } else {
        "not extended"
    };
    secret_box(
        out,
        250,
        40,
        190,
        &view_lines("master_secret", ems, &keys.master_secret),
    );
    arrow(out, (440, 80), (490, 80));
    secret_box(
        out,
        490,
        40,
        170,
        &view_lines("key_block", "this connection's", &keys.key_block),
    );
    let names = [
        "client_write_key",
        "server_write_key",
        "client_write_IV",
        "server_write_IV",
    ];
    for (i, (name, part)) in names.iter().zip(&keys.parts).enumerate() {
        let y = 8 + 40 * i;
        arrow(out, (660, 80), (700, y + 17));
        secret_box(
            out,
            700,
            y,
            195,
            &[format!("{name} [{}]", part.len), part.fingerprint.clone()],
        );
    }
    out.push_str("</svg>\n");
}

fn view_lines(name: &str, what: &str, view: &SecretView) -> Vec<String> {
    vec![
        name.to_string(),
        what.to_string(),
        format!("{} bytes", view.len),
        format!("fp {}", view.fingerprint),
    ]
}

fn secret_box(out: &mut String, x: usize, y: usize, width: usize, lines: &[String]) {
    let height = 8 + 15 * lines.len();
    put!(
        out,
        "<rect class=\"secretbox\" x=\"{x}\" y=\"{y}\" width=\"{width}\" height=\"{height}\" rx=\"4\"/>"
    );
    for (i, line) in lines.iter().enumerate() {
        put!(
            out,
            "<text x=\"{}\" y=\"{}\"{}>{}</text>",
            x + 6,
            y + 16 + 15 * i,
            if i == 0 { " font-weight=\"bold\"" } else { "" },
            esc(line)
        );
    }
    out.push('\n');
}

/// An arrow from `from` to `to`, its head pointing right.
fn arrow(out: &mut String, from: (usize, usize), to: (usize, usize)) {
    let ((x1, y1), (x2, y2)) = (from, to);
    put!(
        out,
        "<g class=\"flow\"><line x1=\"{x1}\" y1=\"{y1}\" x2=\"{}\" y2=\"{y2}\"/>\
         <polygon points=\"{x2},{y2} {},{} {},{}\"/></g>\n",
        x2 - 7,
        x2 - 7,
        y2 - 4,
        x2 - 7,
        y2 + 4
    );
}

/// The formulas, with this handshake's inputs.
fn formulas(out: &mut String, handshake: &HandshakeView<'_>, keys: &Keys, sessions: &Sessions) {
    out.push_str("<ul class=\"formulas\">\n");
    if keys.resumed {
        put!(
            out,
            "<li>An abbreviated handshake makes no new master secret: it reuses session {}'s \
             ({}).</li>\n",
            sessions.label(&keys.master_secret.fingerprint),
            rfc_link("RFC 5246 §7.3")
        );
    } else if keys.extended_master_secret {
        let inputs = session_hash_inputs(handshake);
        put!(
            out,
            "<li><code>master_secret = PRF(pre_master_secret, \"extended master secret\", \
             session_hash)[0..47]</code> ({}), where <code>session_hash = Hash(handshake_messages)</code> \
             over {} ({} bytes): the session is bound to this handshake.</li>\n",
            rfc_link("RFC 7627 §4"),
            inputs.0.join(", "),
            inputs.1
        );
    } else {
        put!(
            out,
            "<li><code>master_secret = PRF(pre_master_secret, \"master secret\", \
             ClientHello.random + ServerHello.random)[0..47]</code> ({})</li>\n",
            rfc_link("RFC 5246 §8.1")
        );
    }
    put!(
        out,
        "<li><code>key_block = PRF(master_secret, \"key expansion\", server_random + \
         client_random)</code> ({}) with this connection's randoms: server_random {}, \
         client_random {}. Cut into client_write_key, server_write_key, client_write_IV, \
         server_write_IV; AEAD suites have no MAC keys.</li>\n</ul>\n",
        rfc_link("RFC 5246 §6.3"),
        short_hex(&keys.server_random),
        short_hex(&keys.client_random)
    );
}

/// The messages the extended master secret's session hash covers: this
/// handshake's, ClientHello up to and including ClientKeyExchange
/// (RFC 7627 §3), HelloRequest never (§7.4.1.1); and their length.
fn session_hash_inputs(handshake: &HandshakeView<'_>) -> (Vec<&'static str>, usize) {
    let mut names = Vec::new();
    let mut len = 0;
    for (_, msg) in &handshake.messages {
        if matches!(msg.payload, HandshakePayload::HelloRequest) {
            continue;
        }
        names.push(msg.handshake_type().name());
        len += msg.raw.len();
        if msg.handshake_type() == HandshakeType::ClientKeyExchange {
            break;
        }
    }
    (names, len)
}

fn secrets_table(out: &mut String, keys: &Keys) {
    out.push_str("<table class=\"secrets\"><tbody>\n");
    let rows = [
        ("master_secret", &keys.master_secret),
        ("key_block", &keys.key_block),
        ("client_write_key", &keys.parts[0]),
        ("server_write_key", &keys.parts[1]),
        ("client_write_IV", &keys.parts[2]),
        ("server_write_IV", &keys.parts[3]),
    ];
    for (name, view) in rows {
        put!(
            out,
            "<tr><th>{name}</th><td>{}</td></tr>\n",
            view.hex.as_deref().unwrap_or("")
        );
    }
    out.push_str("</tbody></table>\n");
}
