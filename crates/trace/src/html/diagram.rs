//! The sequence diagram of one connection (SVG): a client lane and a
//! server lane, one arrow per record (RFC 5246 §6.2), a line across both
//! lanes where a pending cipher state becomes current (§6.1, §7.1), and a
//! band around each handshake.

use std::fmt::Write as _;

use handshake::observe::{Direction, Protection};
use record_layer::alert::AlertLevel;
use record_layer::record::ContentType;
use record_layer::{Alert, AlertDescription};

use super::{esc, put, Conn, Item, Keys, Sessions};
use crate::text::{bulk_name, content_type_name};

const WIDTH: usize = 900;
const CLIENT_X: usize = 250;
const SERVER_X: usize = 860;
const TOP: usize = 44;
const ARROW_HEIGHT: usize = 44;
const LINE_HEIGHT: usize = 22;

/// One row of the diagram, top to bottom.
enum Row {
    /// A record: what it carried, and how it went.
    Arrow {
        client_to_server: bool,
        class: &'static str,
        labels: Vec<Label>,
        detail: String,
    },
    /// A change of state, drawn across both lanes.
    Rule {
        text: String,
        class: &'static str,
        colour: &'static str,
    },
}

enum Label {
    /// A handshake message, linked to its fields.
    Message {
        anchor: String,
        name: &'static str,
    },
    Text(String),
}

/// A handshake, around rows `first..=last`.
struct Band {
    first: usize,
    last: usize,
    class: &'static str,
    colour: &'static str,
    title: Vec<String>,
}

/// Walks one side's items into rows and bands.
struct Builder<'a> {
    conn: &'a Conn<'a>,
    sessions: &'a Sessions,
    rows: Vec<Row>,
    bands: Vec<Band>,
    /// Labels of records we sent whose Record event is still to come
    /// (a message is reported before the record that carries it).
    pending: Vec<Label>,
    pending_alert: Option<Alert>,
    /// The last row of a received record: the messages it completed follow.
    last_received: Option<usize>,
    band_start: Option<usize>,
    /// Epochs of our write and read states: 0 is the null cipher, each
    /// ChangeCipherSpec starts the next.
    write_epoch: u32,
    read_epoch: u32,
    messages: usize,
}

pub(super) fn render(out: &mut String, conn: &Conn<'_>, sessions: &Sessions) {
    let mut b = Builder {
        conn,
        sessions,
        rows: Vec::new(),
        bands: Vec::new(),
        pending: Vec::new(),
        pending_alert: None,
        last_received: None,
        band_start: None,
        write_epoch: 0,
        read_epoch: 0,
        messages: 0,
    };
    conn.log.items.iter().for_each(|item| b.item(item));
    if let Some(first) = b.band_start.take() {
        b.bands.push(Band {
            first,
            last: b.rows.len().saturating_sub(1),
            class: "incomplete",
            colour: "#777",
            title: vec!["handshake did not".into(), "complete".into()],
        });
    }
    draw(out, conn, &b.rows, &b.bands);
}

impl Builder<'_> {
    fn item(&mut self, item: &Item) {
        match item {
            Item::Record {
                direction,
                content_type,
                length,
                protection,
            } => self.record(*direction, *content_type, *length, *protection),
            Item::Message { direction, message } => {
                self.messages += 1;
                let label = Label::Message {
                    anchor: format!("{}-m{}", self.conn.anchor(), self.messages),
                    name: message.handshake_type().name(),
                };
                self.label(*direction, label);
            }
            Item::Alert { direction, alert } => self.alert(*direction, *alert),
            Item::KeysPending => self.rule(
                "key block computed: pending read and write states set (§6.1, §6.3)".into(),
                "keys",
                "#555",
            ),
            Item::CipherStateChanged { direction, bulk } => {
                let epoch = match direction {
                    Direction::Sent => &mut self.write_epoch,
                    Direction::Received => &mut self.read_epoch,
                };
                *epoch += 1;
                let text = format!(
                    "{}: pending state now current, epoch {} ({}), seq_num from 0 (§6.1, §7.1)",
                    if self.conn.client_to_server(*direction) {
                        "client → server"
                    } else {
                        "server → client"
                    },
                    epoch,
                    bulk_name(*bulk)
                );
                self.rule(text, "ccs", "#83c");
            }
            Item::Established(keys) => self.established(keys),
            Item::Invalidated { session } => {
                let text = format!(
                    "session {} invalidated: no longer resumable (§7.2.2)",
                    self.sessions.label(session)
                );
                self.rule(text, "bad", "#c00");
            }
            Item::ResumptionRefused(reason) => self.rule(
                format!("session not resumed: {reason}; a full handshake follows (§7.4.1.3)"),
                "keys",
                "#555",
            ),
        }
    }

    fn record(
        &mut self,
        direction: Direction,
        content_type: ContentType,
        length: usize,
        protection: Protection,
    ) {
        let epoch = match direction {
            Direction::Sent => self.write_epoch,
            Direction::Received => self.read_epoch,
        };
        // Ours: the messages or alert reported before it; the peer's: the
        // messages it completes follow it.
        let mut labels = match direction {
            Direction::Sent => std::mem::take(&mut self.pending),
            Direction::Received => Vec::new(),
        };
        let (class, fixed) = match content_type {
            ContentType::Handshake => ("handshake", None),
            ContentType::ChangeCipherSpec => ("ccs", Some("ChangeCipherSpec")),
            ContentType::Alert => ("alert", None),
            ContentType::ApplicationData => ("appdata", Some("application data")),
        };
        labels.extend(fixed.map(|text| Label::Text(text.into())));
        if content_type == ContentType::Handshake && self.band_start.is_none() {
            self.band_start = Some(self.rows.len());
        }
        self.rows.push(Row::Arrow {
            client_to_server: self.conn.client_to_server(direction),
            class,
            labels,
            detail: format!(
                "{}, {length} bytes, {}",
                content_type_name(content_type),
                cipher(protection, epoch)
            ),
        });
        match direction {
            Direction::Received => self.last_received = Some(self.rows.len() - 1),
            Direction::Sent => {
                if let Some(alert) = self.pending_alert.take() {
                    self.consequence(alert);
                }
            }
        }
    }

    /// A message or alert label: ours waits for its record, the peer's
    /// joins the record that brought it.
    fn label(&mut self, direction: Direction, label: Label) {
        match (direction, self.last_received) {
            (Direction::Sent, _) => self.pending.push(label),
            (Direction::Received, Some(row)) => {
                if let Some(Row::Arrow { labels, .. }) = self.rows.get_mut(row) {
                    labels.push(label);
                }
            }
            (Direction::Received, None) => {}
        }
    }

    fn alert(&mut self, direction: Direction, alert: Alert) {
        self.label(direction, Label::Text(format!("{alert}")));
        match direction {
            Direction::Sent => self.pending_alert = Some(alert),
            Direction::Received => self.consequence(alert),
        }
    }

    /// What an alert does to the connection and its session (§7.2).
    fn consequence(&mut self, alert: Alert) {
        let (text, class, colour) = match (alert.level, alert.description) {
            (_, AlertDescription::CloseNotify) => (
                "close_notify: the connection ends cleanly; its session stays resumable (§7.2.1)",
                "keys",
                "#555",
            ),
            (AlertLevel::Fatal, _) => (
                "fatal: the connection ends at once, and its session MUST be invalidated (§7.2.2)",
                "bad",
                "#c00",
            ),
            (AlertLevel::Warning, _) => (
                "warning: the connection goes on; the session is not affected (§7.2)",
                "keys",
                "#555",
            ),
        };
        self.rule(text.into(), class, colour);
    }

    fn rule(&mut self, text: String, class: &'static str, colour: &'static str) {
        self.rows.push(Row::Rule {
            text,
            class,
            colour,
        });
    }

    fn established(&mut self, keys: &Keys) {
        let session = self.sessions.label(&keys.master_secret.fingerprint);
        let colour = self.sessions.colour(&keys.master_secret.fingerprint);
        let (class, kind, figure) = match (keys.replaced.is_some(), keys.resumed) {
            (true, _) => ("renegotiation", "renegotiation", "RFC 5746"),
            (false, false) => ("full", "full handshake", "§7.3 Figure 1"),
            (false, true) => ("abbreviated", "abbreviated", "§7.3 Figure 2"),
        };
        let outcome = if keys.resumed { "resumes" } else { "creates" };
        self.rule(
            format!(
                "handshake {} complete: session {session} {}",
                keys.handshake_count,
                if keys.resumed { "resumed" } else { "created" }
            ),
            "session",
            colour,
        );
        let mut title = vec![
            format!("handshake {}: {kind}", keys.handshake_count),
            format!("({figure})"),
            format!("{outcome} {session}"),
        ];
        if let Some(old) = &keys.replaced {
            title.push(format!("replaces {}", self.sessions.label(old)));
            title.push(format!(
                "under epoch {} keys",
                self.write_epoch.saturating_sub(1)
            ));
        }
        self.bands.push(Band {
            first: self.band_start.take().unwrap_or(0),
            last: self.rows.len() - 1,
            class,
            colour,
            title,
        });
    }
}

/// The cipher state that protected a record: the null cipher, or an epoch
/// of AEAD keys and the record's sequence number in it (§6.1).
fn cipher(protection: Protection, epoch: u32) -> String {
    match protection {
        Protection::Unprotected => "null cipher (epoch 0)".to_string(),
        Protection::Aead { bulk, seq_num } => {
            format!("epoch {epoch} {}, seq_num {seq_num}", bulk_name(bulk))
        }
    }
}

fn row_height(row: &Row) -> usize {
    match row {
        Row::Arrow { .. } => ARROW_HEIGHT,
        Row::Rule { .. } => LINE_HEIGHT,
    }
}

fn draw(out: &mut String, conn: &Conn<'_>, rows: &[Row], bands: &[Band]) {
    let mut ys = Vec::with_capacity(rows.len());
    let mut y = TOP;
    for row in rows {
        ys.push(y);
        y += row_height(row);
    }
    let height = y + 10;
    put!(
        out,
        "<svg class=\"sequence\" data-connection=\"{}\" viewBox=\"0 0 {WIDTH} {height}\" \
         width=\"{WIDTH}\" height=\"{height}\" role=\"img\" aria-label=\"records of {}\">\n",
        conn.number,
        esc(&conn.name)
    );
    for band in bands {
        let top = ys.get(band.first).copied().unwrap_or(TOP);
        let bottom =
            ys.get(band.last).copied().unwrap_or(y) + rows.get(band.last).map_or(0, row_height);
        put!(
            out,
            "<rect class=\"band {}\" x=\"4\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{c}\" stroke=\"{c}\" rx=\"6\"/>\n",
            band.class,
            top - 2,
            WIDTH - 8,
            bottom - top + 4,
            c = band.colour
        );
        for (i, line) in band.title.iter().enumerate() {
            put!(
                out,
                "<text x=\"12\" y=\"{}\" fill=\"{}\">{}</text>\n",
                top + 14 + 15 * i,
                band.colour,
                esc(line)
            );
        }
    }
    for (x, name) in [(CLIENT_X, "client"), (SERVER_X, "server")] {
        put!(
            out,
            "<text x=\"{x}\" y=\"20\" text-anchor=\"middle\" font-weight=\"bold\">{name}</text>\
             <line class=\"lane\" x1=\"{x}\" y1=\"28\" x2=\"{x}\" y2=\"{y}\"/>\n"
        );
    }
    for (row, y) in rows.iter().zip(ys) {
        draw_row(out, row, y);
    }
    out.push_str("</svg>\n");
}

fn draw_row(out: &mut String, row: &Row, y: usize) {
    let mid = (CLIENT_X + SERVER_X) / 2;
    match row {
        Row::Arrow {
            client_to_server,
            class,
            labels,
            detail,
        } => {
            draw_arrow(out, *client_to_server, class, y);
            put!(
                out,
                "<text x=\"{mid}\" y=\"{}\" text-anchor=\"middle\" class=\"{}\">{}</text>\n\
                 <text x=\"{mid}\" y=\"{}\" text-anchor=\"middle\" class=\"small\">{}</text>\n",
                y + 14,
                if *class == "alert" { "alert" } else { "" },
                label_text(labels),
                y + 34,
                esc(detail)
            );
        }
        Row::Rule {
            text,
            class,
            colour,
        } => {
            put!(
                out,
                "<line class=\"rule\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{colour}\"/>\
                 <text x=\"{mid}\" y=\"{}\" text-anchor=\"middle\" class=\"t-{class}\" fill=\"{colour}\">{}</text>\n",
                CLIENT_X - 20,
                y + 17,
                SERVER_X + 20,
                y + 17,
                y + 13,
                esc(text)
            );
        }
    }
}

/// A record's arrow, from the sender's lane to the receiver's.
fn draw_arrow(out: &mut String, client_to_server: bool, class: &str, y: usize) {
    let (from, to, head) = if client_to_server {
        (CLIENT_X, SERVER_X, SERVER_X - 9)
    } else {
        (SERVER_X, CLIENT_X, CLIENT_X + 9)
    };
    let line_y = y + 20;
    put!(
        out,
        "<g class=\"{class}\"><line class=\"arrow\" x1=\"{from}\" y1=\"{line_y}\" x2=\"{head}\" y2=\"{line_y}\"/>\
         <polygon points=\"{to},{line_y} {head},{} {head},{}\"/></g>\n",
        line_y - 5,
        line_y + 5
    );
}

/// What a record carried: its messages, linked to their fields; a record
/// with none completed only part of a message.
fn label_text(labels: &[Label]) -> String {
    if labels.is_empty() {
        return "(part of a message)".into();
    }
    let parts: Vec<String> = labels
        .iter()
        .map(|label| match label {
            Label::Message { anchor, name } => {
                format!("<a href=\"#{anchor}\"><tspan>{name}</tspan></a>")
            }
            Label::Text(text) => esc(text),
        })
        .collect();
    parts.join(", ")
}
