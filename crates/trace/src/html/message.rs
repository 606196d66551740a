//! One handshake message (RFC 5246 §7.4): its fields under the decoder's
//! names, with their byte ranges, next to its bytes in hex. The ranges are
//! the decoder's own ([`HandshakeMessage::field_spans`]); each field's row
//! and its bytes carry the same `data-f`, which is how the page marks one
//! from the other.

use std::fmt::Write as _;

use handshake::kx::NamedGroup;
use handshake::messages::{HandshakeMessage, HandshakeType};
use handshake::observe::Direction;
use handshake::sign::SignatureScheme;
use record_layer::codec::FieldSpan;

use super::{esc, put, rfc_link, Conn};
use crate::text::suite_name;

/// A span and the spans directly inside it.
struct Node {
    span: FieldSpan,
    children: Vec<usize>,
}

/// The spans as a tree, in the order the decoder read them (a vector
/// before its elements); returns the nodes and the top-level ones.
fn tree(spans: &[FieldSpan]) -> (Vec<Node>, Vec<usize>) {
    let mut nodes: Vec<Node> = Vec::with_capacity(spans.len());
    let mut roots = Vec::new();
    // Open spans, each with where its next child must start.
    let mut open: Vec<(usize, usize)> = Vec::new();
    for (i, &span) in spans.iter().enumerate() {
        while let Some(&(top, next)) = open.last() {
            let outer = nodes[top].span;
            // An empty span at a span's end is inside it only when the
            // span's children reach that far.
            let inside = outer.start <= span.start
                && span.end <= outer.end
                && (span.start < outer.end || span.start == next);
            if inside {
                break;
            }
            open.pop();
        }
        match open.last_mut() {
            Some((top, next)) => {
                nodes[*top].children.push(i);
                *next = span.end;
            }
            None => roots.push(i),
        }
        nodes.push(Node {
            span,
            children: Vec::new(),
        });
        open.push((i, span.start));
    }
    (nodes, roots)
}

pub(super) fn render(
    out: &mut String,
    conn: &Conn<'_>,
    number: usize,
    direction: Direction,
    msg: &HandshakeMessage,
) {
    let t = msg.handshake_type();
    let from_client = conn.client_to_server(direction);
    put!(
        out,
        "<article class=\"msg\" id=\"{}-m{number}\" data-type=\"{}\" data-len=\"{}\">\n\
         <h5>{} {} <small>({}, {} bytes)</small> · {}</h5>\n<div class=\"cols\">",
        conn.anchor(),
        t.name(),
        msg.raw.len(),
        if from_client { "→" } else { "←" },
        t.name(),
        if from_client {
            "client → server"
        } else {
            "server → client"
        },
        msg.raw.len(),
        rfc_link(t.rfc_section())
    );
    let spans = msg.field_spans();
    let (nodes, roots) = tree(&spans);
    out.push_str("<table class=\"fields\"><tbody>\n");
    for &root in &roots {
        field_rows(out, &nodes, root, 0, &msg.raw);
    }
    out.push_str("</tbody></table>\n<div class=\"hex\">");
    let mut pos = 0;
    for &root in &roots {
        bytes(out, &msg.raw, pos, nodes[root].span.start);
        hex(out, &nodes, root, &msg.raw);
        pos = nodes[root].span.end;
    }
    bytes(out, &msg.raw, pos, msg.raw.len());
    out.push_str("</div></div>\n</article>\n");
}

/// A row per field, children indented under their parent.
fn field_rows(out: &mut String, nodes: &[Node], i: usize, depth: usize, raw: &[u8]) {
    let node = &nodes[i];
    let span = node.span;
    let value = raw.get(span.start..span.end).unwrap_or_default();
    let shown = if span.length_prefix {
        format!("length {}", uint(value))
    } else if !node.children.is_empty() {
        format!("{} bytes", value.len())
    } else {
        meaning(span.what, value).unwrap_or_else(|| shortened_hex(value))
    };
    put!(
        out,
        "<tr data-f=\"{i}\" data-range=\"{}-{}\" data-depth=\"{depth}\"{}>\
         <td style=\"padding-left:{}em\">{}{}</td><td class=\"mono\">[{}..{})</td><td class=\"v\">{}</td></tr>\n",
        span.start,
        span.end,
        if span.length_prefix { " class=\"length\"" } else { "" },
        depth + 1,
        esc(span.what),
        if span.length_prefix { " (length)" } else { "" },
        span.start,
        span.end,
        // A name such as TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 may wrap
        // after an underscore, never inside a word.
        esc(&shown).replace('_', "_<wbr>")
    );
    for &child in &node.children {
        field_rows(out, nodes, child, depth + 1, raw);
    }
}

/// The bytes of a field, its children's nested inside it.
fn hex(out: &mut String, nodes: &[Node], i: usize, raw: &[u8]) {
    let node = &nodes[i];
    put!(
        out,
        "<span data-f=\"{i}\" title=\"{}\">",
        esc(node.span.what)
    );
    let mut pos = node.span.start;
    for &child in &node.children {
        bytes(out, raw, pos, nodes[child].span.start);
        hex(out, nodes, child, raw);
        pos = pos.max(nodes[child].span.end);
    }
    bytes(out, raw, pos, node.span.end);
    out.push_str("</span>");
}

fn bytes(out: &mut String, raw: &[u8], from: usize, to: usize) {
    for b in raw.get(from..to).unwrap_or_default() {
        put!(out, "{b:02x} ");
    }
}

fn uint(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0, |acc, b| (acc << 8) | u64::from(*b))
}

fn shortened_hex(bytes: &[u8]) -> String {
    const SHOWN: usize = 32;
    if bytes.is_empty() {
        "(empty)".into()
    } else if bytes.len() <= SHOWN {
        hex::encode(bytes)
    } else {
        format!("{}… ({} bytes)", hex::encode(&bytes[..SHOWN]), bytes.len())
    }
}

/// What a field's value means, for the fields whose numbers have names.
fn meaning(what: &str, bytes: &[u8]) -> Option<String> {
    let v = uint(bytes);
    let v16 = u16::try_from(v).ok();
    Some(match what {
        "Handshake.msg_type" => {
            let t = HandshakeType::from_value(u8::try_from(v).ok()?)?;
            format!("{}({v})", t.name())
        }
        "Handshake.length" | "ServerName.name_type" => v.to_string(),
        "ClientHello.client_version" | "ServerHello.server_version" => match v {
            0x0303 => "{3, 3}: TLS 1.2".into(),
            _ => format!("{v:#06x}"),
        },
        "CipherSuite" | "ServerHello.cipher_suite" => suite_name(v16?),
        "NamedGroup" => format!("{}({v})", NamedGroup::from_value(v16?).rfc_name()),
        "SignatureAndHashAlgorithm" => SignatureScheme::from_value(v16?).rfc_name().into(),
        "Extension.extension_type" => format!("{}({v})", extension_name(v16?)),
        "HostName" | "ProtocolName" => format!("\"{}\"", String::from_utf8_lossy(bytes)),
        "NewSessionTicket.ticket_lifetime_hint" => format!("{v} seconds"),
        "ECParameters.curve_type" if v == 3 => "named_curve(3)".into(),
        "ServerHello.compression_method" if v == 0 => "null(0)".into(),
        _ => return None,
    })
}

/// The names of the extension types of RFC 5246 §7.4.1.4 and after.
fn extension_name(typ: u16) -> &'static str {
    use handshake::extensions::extension_type as ext;
    match typ {
        ext::SERVER_NAME => "server_name",
        ext::SUPPORTED_GROUPS => "supported_groups",
        ext::EC_POINT_FORMATS => "ec_point_formats",
        ext::SIGNATURE_ALGORITHMS => "signature_algorithms",
        ext::ALPN => "application_layer_protocol_negotiation",
        ext::EXTENDED_MASTER_SECRET => "extended_master_secret",
        ext::SESSION_TICKET => "session_ticket",
        ext::RENEGOTIATION_INFO => "renegotiation_info",
        _ => "unknown",
    }
}
