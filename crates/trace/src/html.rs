//! The illustrated connection, live: every handshake of a run drawn as one
//! HTML page a reader can open in a browser.
//!
//! An [`HtmlReport`] is fed by the same [`Observer`] events as
//! [`crate::text::Tracer`] (one event stream, two renderings), so the page
//! and the text trace never disagree. For each connection it draws
//!
//! - a sequence diagram: every record (RFC 5246 §6.2) as an arrow with its
//!   content type, length and protecting cipher state (the null cipher, or
//!   the epoch and sequence number of §6.1), and each ChangeCipherSpec
//!   (§7.1) as a line across both lanes; each handshake sits in a band that
//!   says full (§7.3 Figure 1), abbreviated (Figure 2) or renegotiation
//!   (RFC 5746);
//! - every handshake message (§7.4): its fields under the decoder's RFC
//!   names ([`HandshakeMessage::field_spans`]), a link to its RFC section,
//!   and its bytes, where pointing at a field marks its bytes and the other
//!   way round;
//! - the key schedule of each handshake: pre-master secret → master secret
//!   (§8.1, or RFC 7627's extended master secret) → key block (§6.3) → the
//!   four keys and IVs, as lengths and fingerprints (values only when asked
//!   for secrets);
//! - alerts (§7.2) where they happen, with what they do to the session
//!   (§7.2.2);
//!
//! and for the whole run a connections × sessions table.
//!
//! The page is one file: inline CSS and SVG, no network requests, readable
//! without JavaScript and printable. A few lines of inline JavaScript only
//! add the field ↔ bytes marking; folding is `<details>`.
//!
//! A server may run for long and its peers choose what they send, so the
//! page keeps a bounded amount: the last [`MAX_CONNECTION_LOGS`] connection
//! ends, and of each at most [`MAX_EVENTS_PER_LOG`] events and
//! [`MAX_MESSAGE_BYTES_PER_LOG`] bytes of handshake messages; it says
//! what it left out. [`HtmlReport::write`] writes it as a file only its
//! owner can read (with secrets it holds master secrets).

mod diagram;
mod keys;
mod message;

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use handshake::kx::NamedGroup;
use handshake::messages::{HandshakeMessage, HandshakePayload};
use handshake::observe::{Direction, Observer, Protection, TraceEvent};
use handshake::proofs::Authentication;
use handshake::Side;
use record_layer::aead::BulkAlgorithm;
use record_layer::record::ContentType;
use record_layer::suites::CipherSuite;
use record_layer::Alert;

/// Appends formatted text to a `String` (which cannot fail).
macro_rules! put {
    ($out:expr, $($arg:tt)*) => {{
        let _ = write!($out, $($arg)*);
    }};
}
use put;

/// The most connection ends a page keeps (a connection observed from both
/// ends counts twice): beyond it, the oldest is dropped. With the other
/// two caps this bounds the page: about 120 KB per connection end at
/// most, 4.8 MB in all (measured: docs/tracing.md, the `--html` page).
/// Forty: the demo's seventeen connections, both ends each, fit.
pub const MAX_CONNECTION_LOGS: usize = 40;

/// The most events (records, messages, alerts, state changes) a page keeps
/// of one end of one connection: about four handshakes and their records.
/// Later events of that connection are counted, not kept.
pub const MAX_EVENTS_PER_LOG: usize = 128;

/// The most handshake message bytes a page keeps of one end of one
/// connection: a few handshakes with long certificate chains. A message
/// that would pass it is counted, not kept (nor is anything after it).
pub const MAX_MESSAGE_BYTES_PER_LOG: usize = 16 * 1024;

/// One run's page: its sections (the demo's chapters) and the connections
/// observed, from either side (the last [`MAX_CONNECTION_LOGS`]).
#[derive(Debug)]
pub struct HtmlReport {
    title: String,
    secrets: bool,
    run: Mutex<Run>,
    /// Held by the one [`HtmlReport::write`] at work, so that the last
    /// page written is the latest, while connections go on recording.
    writing: Mutex<()>,
}

#[derive(Debug, Default)]
struct Run {
    sections: Vec<Section>,
    /// Oldest first; ids increase by one from the front to the back.
    sides: VecDeque<SideLog>,
    /// The id of the next log.
    next_id: u64,
    /// How many logs were dropped to keep [`MAX_CONNECTION_LOGS`].
    dropped: u64,
    /// Names given to connections, by their first ClientHello.random.
    names: Vec<([u8; 32], String)>,
}

impl Run {
    /// Starts the log of one end of a new connection, dropping the oldest
    /// beyond [`MAX_CONNECTION_LOGS`]; its id.
    fn start_log(&mut self, side: Side) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let section = self.sections.len().checked_sub(1);
        self.sides.push_back(SideLog {
            id,
            side,
            section,
            items: Vec::new(),
            message_bytes: 0,
            omitted: 0,
        });
        while self.sides.len() > MAX_CONNECTION_LOGS {
            self.sides.pop_front();
            self.dropped += 1;
        }
        id
    }

    /// The log `id`, unless it was dropped.
    fn log_mut(&mut self, id: u64) -> Option<&mut SideLog> {
        let first = self.sides.front()?.id;
        let index = usize::try_from(id.checked_sub(first)?).ok()?;
        self.sides.get_mut(index)
    }
}

#[derive(Debug)]
struct Section {
    title: String,
    notes: Vec<String>,
    /// Bar charts: (label, value) rows and their unit.
    bars: Vec<(Vec<(String, f64)>, String)>,
}

/// What one end of one connection saw, in order, up to the caps.
#[derive(Debug)]
struct SideLog {
    id: u64,
    side: Side,
    /// The section that was current when the connection was made.
    section: Option<usize>,
    items: Vec<Item>,
    /// The handshake message bytes in `items`.
    message_bytes: usize,
    /// Events not kept: past [`MAX_EVENTS_PER_LOG`] or
    /// [`MAX_MESSAGE_BYTES_PER_LOG`].
    omitted: usize,
}

impl SideLog {
    /// Whether an event with `message_bytes` of handshake message is
    /// kept: if so it is counted against the caps, if not as omitted.
    /// Once one event is left out, so is every later one, so that the page
    /// never shows a connection with a hole in it.
    fn reserve(&mut self, message_bytes: usize) -> bool {
        let fits = self.omitted == 0
            && self.items.len() < MAX_EVENTS_PER_LOG
            && self.message_bytes + message_bytes <= MAX_MESSAGE_BYTES_PER_LOG;
        if fits {
            self.message_bytes += message_bytes;
        } else {
            self.omitted += 1;
        }
        fits
    }
}

/// A [`TraceEvent`], kept: the event borrows, the page is drawn later.
#[derive(Debug)]
enum Item {
    Record {
        direction: Direction,
        content_type: ContentType,
        length: usize,
        protection: Protection,
    },
    Message {
        direction: Direction,
        message: Box<HandshakeMessage>,
    },
    Alert {
        direction: Direction,
        alert: Alert,
    },
    KeysPending,
    CipherStateChanged {
        direction: Direction,
        bulk: BulkAlgorithm,
    },
    Established(Box<Keys>),
    Invalidated {
        /// The session's fingerprint (of its master secret).
        session: String,
    },
    /// The session offered could not be resumed; why.
    ResumptionRefused(String),
}

/// What a completed handshake settled, as the page shows it.
#[derive(Debug)]
struct Keys {
    handshake_count: u32,
    resumed: bool,
    /// The fingerprint of the session this handshake replaced (a renegotiation).
    replaced: Option<String>,
    session_id: Vec<u8>,
    suite: CipherSuite,
    group: Option<NamedGroup>,
    extended_master_secret: bool,
    client_random: [u8; 32],
    server_random: [u8; 32],
    peer: Authentication,
    master_secret: SecretView,
    key_block: SecretView,
    /// client_write_key, server_write_key, client_write_IV, server_write_IV.
    parts: [SecretView; 4],
}

/// A secret as the page may show it: always its length and fingerprint,
/// its value only when the report was made with `secrets`.
#[derive(Debug)]
struct SecretView {
    len: usize,
    fingerprint: String,
    hex: Option<String>,
}

impl SecretView {
    fn new(bytes: &[u8], secrets: bool) -> Self {
        // A hash of a 4-byte IV can be inverted by trying all 2^32 values:
        // only secrets of 16 bytes or more get a fingerprint.
        let fingerprint = if bytes.len() >= 16 {
            fingerprint(bytes)
        } else {
            "(too short to fingerprint)".into()
        };
        Self {
            len: bytes.len(),
            fingerprint,
            hex: secrets.then(|| hex::encode(bytes)),
        }
    }
}

/// The first 8 bytes of SHA-256, in hex: the demo's fingerprint, so that
/// page and terminal show the same value.
pub fn fingerprint(bytes: &[u8]) -> String {
    hex::encode(&ring::digest::digest(&ring::digest::SHA256, bytes).as_ref()[..8])
}

impl HtmlReport {
    /// An empty page. With `secrets`, master secrets, key blocks and keys
    /// are written into it: only for learning and debugging.
    pub fn new(title: &str, secrets: bool) -> Arc<Self> {
        Arc::new(Self {
            title: title.to_string(),
            secrets,
            run: Mutex::new(Run::default()),
            writing: Mutex::new(()),
        })
    }

    /// The observer for a client or a server config: each connection made
    /// with it is recorded for the page, and every event is also passed on
    /// to `then` (say, a [`crate::text::Tracer`]), so that `--trace` and
    /// `--html` work together.
    pub fn observer(
        self: &Arc<Self>,
        side: Side,
        then: Option<Arc<dyn Observer>>,
    ) -> Arc<dyn Observer> {
        Arc::new(PageObserver {
            report: self.clone(),
            side,
            then,
        })
    }

    /// Starts a section (a chapter of the demo): connections made from now
    /// on are drawn in it.
    pub fn section(&self, title: &str) {
        self.lock().sections.push(Section {
            title: title.to_string(),
            notes: Vec::new(),
            bars: Vec::new(),
        });
    }

    /// A line of text for the current section.
    pub fn note(&self, text: &str) {
        if let Some(section) = self.lock().sections.last_mut() {
            section.notes.push(text.to_string());
        }
    }

    /// A bar chart for the current section: one bar per `(label, value)`,
    /// lengths proportional to the values, each followed by its value and
    /// `unit` (the demo's cost of a full and of an abbreviated handshake).
    pub fn bars(&self, rows: &[(&str, f64)], unit: &str) {
        if let Some(section) = self.lock().sections.last_mut() {
            let rows = rows.iter().map(|(l, v)| (l.to_string(), *v)).collect();
            section.bars.push((rows, unit.to_string()));
        }
    }

    /// Names the connection whose first ClientHello carried `client_random`
    /// (the demo's "C1", "C2", ...).
    pub fn name_connection(&self, client_random: &[u8; 32], name: &str) {
        self.lock().names.push((*client_random, name.to_string()));
    }

    /// The whole page.
    pub fn render(&self) -> String {
        let run = self.lock();
        page(&self.title, self.secrets, &run)
    }

    /// Writes the page to `path`, replacing what was there at once, so
    /// that a reader who reloads never sees half a page, even when
    /// connections end, and write, at the same time. The file is private
    /// (`0600`), made under a new name in the same directory and renamed
    /// over `path`: a symbolic link at `path` is replaced, not followed.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let _writing = unpoisoned(self.writing.lock());
        let page = self.render();
        session_store::write_private_file(path, page.as_bytes()).map_err(std::io::Error::other)
    }

    fn lock(&self) -> MutexGuard<'_, Run> {
        unpoisoned(self.run.lock())
    }
}

/// A lock's guard even if a panic elsewhere poisoned it: what was
/// recorded stays usable.
fn unpoisoned<T>(lock: std::sync::LockResult<MutexGuard<'_, T>>) -> MutexGuard<'_, T> {
    match lock {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// A config's observer: it hands every new connection its own recorder.
#[derive(Debug)]
struct PageObserver {
    report: Arc<HtmlReport>,
    side: Side,
    then: Option<Arc<dyn Observer>>,
}

impl Observer for PageObserver {
    fn event(&self, event: &TraceEvent<'_>) {
        // Only reached by events outside a connection, of which there are
        // none today; they still reach `then`.
        if let Some(then) = &self.then {
            then.event(event);
        }
    }

    fn connection_observer(&self) -> Option<Arc<dyn Observer>> {
        let id = self.report.lock().start_log(self.side);
        let then = self
            .then
            .as_ref()
            .map(|t| t.connection_observer().unwrap_or_else(|| t.clone()));
        Some(Arc::new(ConnectionRecorder {
            report: self.report.clone(),
            id,
            then,
        }))
    }
}

/// Records one end of one connection.
#[derive(Debug)]
struct ConnectionRecorder {
    report: Arc<HtmlReport>,
    id: u64,
    then: Option<Arc<dyn Observer>>,
}

impl Observer for ConnectionRecorder {
    fn event(&self, event: &TraceEvent<'_>) {
        let message_bytes = match event {
            TraceEvent::Handshake { message, .. } => message.raw.len(),
            _ => 0,
        };
        let kept =
            (self.report.lock().log_mut(self.id)).is_some_and(|log| log.reserve(message_bytes));
        // Made outside the lock (it hashes secrets); events of one
        // connection come one at a time, so they stay in order.
        if kept {
            let item = item(event, self.report.secrets);
            if let Some(log) = self.report.lock().log_mut(self.id) {
                log.items.push(item);
            }
        }
        if let Some(then) = &self.then {
            then.event(event);
        }
    }
}

/// Keeps what the page needs of an event.
fn item(event: &TraceEvent<'_>, secrets: bool) -> Item {
    match *event {
        TraceEvent::Record {
            direction,
            content_type,
            length,
            protection,
        } => Item::Record {
            direction,
            content_type,
            length,
            protection,
        },
        TraceEvent::Handshake { direction, message } => Item::Message {
            direction,
            message: Box::new(message.clone()),
        },
        TraceEvent::Alert { direction, alert } => Item::Alert { direction, alert },
        TraceEvent::KeysPending => Item::KeysPending,
        TraceEvent::CipherStateChanged { direction, bulk } => {
            Item::CipherStateChanged { direction, bulk }
        }
        TraceEvent::SessionEstablished {
            established,
            replaced,
            handshake_count,
            ..
        } => {
            let session = &established.session;
            let master = session.master_secret();
            let key_block = established.key_block();
            let view = |bytes: &[u8]| SecretView::new(bytes, secrets);
            Item::Established(Box::new(Keys {
                handshake_count,
                resumed: established.resumed,
                replaced: replaced.map(|old| fingerprint(old.master_secret().as_bytes())),
                session_id: session.session_id.as_bytes().to_vec(),
                suite: session.cipher_suite,
                group: established.group,
                extended_master_secret: session.extended_master_secret,
                client_random: established.client_random.0,
                server_random: established.server_random.0,
                peer: established.peer.how(),
                master_secret: view(master.as_bytes()),
                key_block: view(key_block.as_bytes()),
                parts: [
                    view(key_block.client_write_key()),
                    view(key_block.server_write_key()),
                    view(key_block.client_write_iv()),
                    view(key_block.server_write_iv()),
                ],
            }))
        }
        TraceEvent::SessionInvalidated { session } => Item::Invalidated {
            session: fingerprint(session.master_secret().as_bytes()),
        },
        TraceEvent::ResumptionRefused { reason } => Item::ResumptionRefused(reason.to_string()),
    }
}

// ---------------------------------------------------------------------------
// The page.

/// One connection as drawn: the record of one of its ends (the client's
/// when both were observed: the two saw the same records).
struct Conn<'a> {
    /// Its place on the page, from 1: anchors are `c{number}-...`.
    number: usize,
    name: String,
    log: &'a SideLog,
}

impl Conn<'_> {
    fn anchor(&self) -> String {
        format!("c{}", self.number)
    }

    /// "client" or "server": whose view this is.
    fn side_name(&self) -> &'static str {
        side_name(self.log.side)
    }

    /// True when the arrow for a record in `direction` points from the
    /// client lane to the server lane.
    fn client_to_server(&self, direction: Direction) -> bool {
        (direction == Direction::Sent) == (self.log.side == Side::Client)
    }
}

fn side_name(side: Side) -> &'static str {
    match side {
        Side::Client => "client",
        Side::Server => "server",
    }
}

/// The first ClientHello.random a side saw: the same on both ends of a
/// connection, and fresh for every connection.
fn first_client_random(log: &SideLog) -> Option<[u8; 32]> {
    log.items.iter().find_map(|item| match item {
        Item::Message { message, .. } => match &message.payload {
            HandshakePayload::ClientHello(hello) => Some(hello.random.0),
            _ => None,
        },
        _ => None,
    })
}

/// The connections to draw: the two ends of one connection are matched by
/// their first ClientHello.random, and drawn once, from the client's end.
fn connections(run: &Run) -> Vec<Conn<'_>> {
    let mut chosen: Vec<(Option<[u8; 32]>, &SideLog)> = Vec::new();
    for log in &run.sides {
        let random = first_client_random(log);
        let twin = random.and_then(|r| chosen.iter().position(|(c, _)| *c == Some(r)));
        match twin {
            Some(i) if log.side == Side::Client => chosen[i].1 = log,
            Some(_) => {}
            None => chosen.push((random, log)),
        }
    }
    chosen
        .into_iter()
        .enumerate()
        .map(|(i, (random, log))| Conn {
            number: i + 1,
            name: random
                .and_then(|r| run.names.iter().find(|(n, _)| *n == r))
                .map_or_else(|| format!("connection {}", i + 1), |(_, name)| name.clone()),
            log,
        })
        .collect()
}

/// The sessions of the run, in order of first appearance, each known by
/// the fingerprint of its master secret (one session, one master secret).
struct Sessions {
    list: Vec<SessionEntry>,
}

struct SessionEntry {
    fingerprint: String,
    session_id: Vec<u8>,
    created_on: String,
}

impl Sessions {
    fn of(conns: &[Conn<'_>]) -> Self {
        let mut list: Vec<SessionEntry> = Vec::new();
        for conn in conns {
            for item in &conn.log.items {
                let Item::Established(keys) = item else {
                    continue;
                };
                if !list
                    .iter()
                    .any(|s| s.fingerprint == keys.master_secret.fingerprint)
                {
                    list.push(SessionEntry {
                        fingerprint: keys.master_secret.fingerprint.clone(),
                        session_id: keys.session_id.clone(),
                        created_on: conn.name.clone(),
                    });
                }
            }
        }
        Self { list }
    }

    fn index(&self, fingerprint: &str) -> Option<usize> {
        self.list.iter().position(|s| s.fingerprint == fingerprint)
    }

    /// "S1", "S2", ...; "a session from an earlier run" for one first seen
    /// only as replaced or invalidated.
    fn label(&self, fingerprint: &str) -> String {
        self.index(fingerprint)
            .map_or("a session from before".into(), |i| format!("S{}", i + 1))
    }

    fn colour(&self, fingerprint: &str) -> &'static str {
        self.index(fingerprint).map_or("#777", colour)
    }
}

/// The colour of session `i`: one hue per session, repeating after eight.
fn colour(i: usize) -> &'static str {
    const PALETTE: [&str; 8] = [
        "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
    ];
    PALETTE[i % PALETTE.len()]
}

fn page(title: &str, secrets: bool, run: &Run) -> String {
    let conns = connections(run);
    let sessions = Sessions::of(&conns);
    let mut out = String::new();
    put!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        esc(title)
    );
    put!(out, "<header><h1>{}</h1>\n{}", esc(title), intro(secrets));
    if run.dropped > 0 {
        put!(
            out,
            "<p class=\"note dropped\">{} earlier connection ends are not shown: the page \
             keeps the last {MAX_CONNECTION_LOGS}.</p>\n",
            run.dropped
        );
    }
    table_of_contents(&mut out, run, &conns);
    out.push_str("</header>\n");
    // The answer first: which connections share which session.
    sessions_view(&mut out, &conns, &sessions);
    let unsorted: Vec<&Conn<'_>> = conns.iter().filter(|c| c.log.section.is_none()).collect();
    if !unsorted.is_empty() {
        out.push_str("<section class=\"chapter\">\n");
        unsorted
            .iter()
            .for_each(|c| connection(&mut out, c, &sessions));
        out.push_str("</section>\n");
    }
    for (i, section) in run.sections.iter().enumerate() {
        chapter(&mut out, i, section, &conns, &sessions);
    }
    put!(out, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
    out
}

fn intro(secrets: bool) -> String {
    format!(
        "<p>Every connection of this run, drawn from the library's own events. A \
         <b>connection</b> is one socket with its own randoms, keys and sequence numbers \
         (RFC 5246 §6.1); a <b>session</b> is what a full handshake negotiated, master \
         secret first, shared by every connection that resumes it (§7). Each session has a \
         colour. {}</p>\n",
        if secrets {
            "This page shows <b>secret values</b>: master secrets, key blocks and keys."
        } else {
            "Secrets appear as their length and fingerprint (the first 8 bytes of their \
             SHA-256), never as values."
        }
    )
}

fn table_of_contents(out: &mut String, run: &Run, conns: &[Conn<'_>]) {
    out.push_str("<nav><ol><li><a href=\"#sessions\">Connections × sessions</a></li>");
    for (i, section) in run.sections.iter().enumerate() {
        put!(
            out,
            "<li><a href=\"#s{i}\">{}</a></li>",
            esc(&section.title)
        );
    }
    if run.sections.is_empty() {
        for c in conns {
            put!(
                out,
                "<li><a href=\"#{}\">{}</a></li>",
                c.anchor(),
                esc(&c.name)
            );
        }
    }
    out.push_str("</ol></nav>\n");
}

fn chapter(out: &mut String, i: usize, section: &Section, conns: &[Conn<'_>], sessions: &Sessions) {
    put!(
        out,
        "<section class=\"chapter\" id=\"s{i}\">\n<h2>{}</h2>\n",
        esc(&section.title)
    );
    for note in &section.notes {
        put!(out, "<p class=\"note\">{}</p>\n", esc(note));
    }
    for (rows, unit) in &section.bars {
        bars(out, rows, unit);
    }
    for conn in conns.iter().filter(|c| c.log.section == Some(i)) {
        connection(out, conn, sessions);
    }
    out.push_str("</section>\n");
}

/// One connection: its diagram, then each handshake's key schedule and
/// messages.
fn connection(out: &mut String, conn: &Conn<'_>, sessions: &Sessions) {
    put!(
        out,
        "<section class=\"connection\" id=\"{}\">\n<h3>{} <small>(as the {} saw it)</small></h3>\n",
        conn.anchor(),
        esc(&conn.name),
        conn.side_name()
    );
    diagram::render(out, conn, sessions);
    let mut message_number = 0;
    for handshake in handshakes(conn.log) {
        keys::render_handshake(out, conn, &handshake, sessions);
        for (direction, msg) in &handshake.messages {
            message_number += 1;
            message::render(out, conn, message_number, *direction, msg);
        }
        out.push_str("</details>\n");
    }
    if conn.log.omitted > 0 {
        put!(
            out,
            "<p class=\"note omitted\">… and {} later events of this connection, not kept: \
             the page keeps at most {MAX_EVENTS_PER_LOG} events and \
             {MAX_MESSAGE_BYTES_PER_LOG} bytes of handshake messages per connection.</p>\n",
            conn.log.omitted
        );
    }
    out.push_str("</section>\n");
}

/// The messages of one handshake, and what it settled (`None` for one
/// that did not complete).
struct HandshakeView<'a> {
    messages: Vec<(Direction, &'a HandshakeMessage)>,
    keys: Option<&'a Keys>,
}

/// A side's messages cut into handshakes: each ends where a session is
/// established.
fn handshakes(log: &SideLog) -> Vec<HandshakeView<'_>> {
    let mut views = Vec::new();
    let mut messages = Vec::new();
    for item in &log.items {
        match item {
            Item::Message { direction, message } => messages.push((*direction, &**message)),
            Item::Established(keys) => views.push(HandshakeView {
                messages: std::mem::take(&mut messages),
                keys: Some(keys),
            }),
            _ => {}
        }
    }
    if !messages.is_empty() {
        views.push(HandshakeView {
            messages,
            keys: None,
        });
    }
    views
}

/// A bar chart: each row's bar as long, relative to the longest, as its
/// value.
fn bars(out: &mut String, rows: &[(String, f64)], unit: &str) {
    let longest = rows
        .iter()
        .map(|(_, v)| *v)
        .fold(f64::MIN_POSITIVE, f64::max);
    out.push_str("<table class=\"bars\">\n");
    for (label, value) in rows {
        put!(
            out,
            "<tr><th>{}</th><td><div class=\"bar\" style=\"width:{:.1}%\"></div></td>\
             <td class=\"value\">{value:.0} {}</td></tr>\n",
            esc(label),
            100.0 * value.max(0.0) / longest,
            esc(unit)
        );
    }
    out.push_str("</table>\n");
}

/// The connections × sessions table.
fn sessions_view(out: &mut String, conns: &[Conn<'_>], sessions: &Sessions) {
    put!(
        out,
        "<section class=\"sessions\" id=\"sessions\" data-sessions=\"{}\">\n\
         <h2>Connections × sessions</h2>\n<p>One row per connection, one column per \
         session. A column's cells share one master secret; every cell has a key block of \
         its own (§6.3).</p>\n<table class=\"grid\"><thead><tr><th>connection</th>",
        sessions.list.len()
    );
    for (i, s) in sessions.list.iter().enumerate() {
        put!(
            out,
            "<th class=\"session\" style=\"border-top:6px solid {}\">S{}<br><small>id {}<br>\
             master_secret {}<br>created on {}</small></th>",
            colour(i),
            i + 1,
            short_hex(&s.session_id),
            s.fingerprint,
            esc(&s.created_on)
        );
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for conn in conns {
        put!(
            out,
            "<tr data-connection=\"{}\"><th><a href=\"#{}\">{}</a></th>",
            conn.number,
            conn.anchor(),
            esc(&conn.name)
        );
        for (i, s) in sessions.list.iter().enumerate() {
            let marks = session_marks(conn, &s.fingerprint, sessions);
            let style = if marks.is_empty() {
                String::new()
            } else {
                format!(" style=\"background:{}22\"", colour(i))
            };
            put!(out, "<td{style}>{}</td>", marks.join("<br>"));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n</section>\n");
}

/// What `conn` did with the session `fingerprint`: created, resumed,
/// renegotiated into, replaced, invalidated.
fn session_marks(conn: &Conn<'_>, fingerprint: &str, sessions: &Sessions) -> Vec<String> {
    let mut marks = Vec::new();
    for item in &conn.log.items {
        match item {
            Item::Established(keys) if keys.master_secret.fingerprint == fingerprint => {
                let how = match (keys.replaced.is_some(), keys.resumed) {
                    (false, false) => "created",
                    (false, true) => "resumed",
                    (true, false) => "renegotiated: created",
                    (true, true) => "renegotiated: resumed",
                };
                marks.push(format!(
                    "<b>{how}</b> (handshake {})<br><small>key_block {}</small>",
                    keys.handshake_count, keys.key_block.fingerprint
                ));
            }
            Item::Established(keys) if keys.replaced.as_deref() == Some(fingerprint) => {
                marks.push(format!(
                    "replaced by {} (handshake {})",
                    sessions.label(&keys.master_secret.fingerprint),
                    keys.handshake_count
                ));
            }
            Item::Invalidated { session } if session == fingerprint => {
                marks.push("<b class=\"bad\">invalidated</b> (§7.2.2)".into());
            }
            _ => {}
        }
    }
    marks
}

// ---------------------------------------------------------------------------
// Small helpers shared by the parts of the page.

/// Text made safe for HTML, in element content and in quoted attributes.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The first 8 bytes in hex, with "…" when there are more.
fn short_hex(bytes: &[u8]) -> String {
    match bytes.len() {
        0 => "(empty)".into(),
        1..=8 => hex::encode(bytes),
        _ => format!("{}…", hex::encode(&bytes[..8])),
    }
}

/// "RFC 5246 §7.4.1.2" as a link to that section of the RFC's text (only a
/// link: the page loads nothing).
fn rfc_link(reference: &str) -> String {
    let link = reference
        .strip_prefix("RFC ")
        .and_then(|rest| rest.split_once(" §"))
        .map(|(number, section)| {
            format!("https://www.rfc-editor.org/rfc/rfc{number}#section-{section}")
        });
    match link {
        Some(href) => format!("<a class=\"rfc\" href=\"{href}\">{}</a>", esc(reference)),
        None => esc(reference),
    }
}

const CSS: &str = "
body{font-family:system-ui,sans-serif;max-width:1100px;margin:1em auto;padding:0 1em;color:#111;background:#fff}
h2{border-bottom:2px solid #444;margin-top:2em}
h3{margin-top:1.5em}
code,.hex,.mono,td.v{font-family:ui-monospace,monospace}
.note{white-space:pre-wrap;font-family:ui-monospace,monospace;font-size:90%}
svg{display:block;max-width:100%;height:auto;font-family:system-ui,sans-serif}
svg text{font-size:12px}
svg .small{font-size:10.5px;fill:#444}
svg .lane{stroke:#888;stroke-width:1.5}
svg .arrow{stroke-width:1.6}
svg .handshake{stroke:#124;fill:#124}
svg .ccs{stroke:#83c;fill:#83c}
svg .appdata{stroke:#888;fill:#888}
svg .alert{stroke:#c00;fill:#c00}
svg text.alert{fill:#c00;stroke:none;font-weight:bold}
svg .t-bad{font-weight:bold}
svg .rule{stroke-dasharray:5 3;stroke-width:1.2}
svg .band{fill-opacity:.08;stroke-width:1.5}
svg .band.abbreviated{stroke-dasharray:8 4}
svg .band.renegotiation{stroke-width:3}
svg .band.incomplete{stroke-dasharray:2 3}
svg a text,svg a tspan{text-decoration:underline}
details{margin:.6em 0;border-left:4px solid #ccc;padding-left:.8em}
summary{cursor:pointer;font-weight:bold}
article.msg{border:1px solid #ddd;border-radius:4px;margin:.6em 0;padding:.3em .6em;break-inside:avoid}
article.msg h5{margin:.2em 0;font-size:100%}
.cols{display:flex;gap:1em;align-items:flex-start}
table.fields{border-collapse:collapse;font-size:85%}
table.fields td{padding:1px 6px;vertical-align:top}
table.fields td.v{overflow-wrap:anywhere;max-width:20em}
table.bars{border-collapse:collapse;margin:.5em 0;width:100%;max-width:60em}
table.bars th{text-align:left;font-weight:normal;padding-right:1em;white-space:nowrap}
table.bars td:nth-child(2){width:100%}
table.bars div.bar{height:1.1em;background:#4a7ebb;border-radius:2px}
table.bars td.value{white-space:nowrap;padding-left:.5em}
table.fields tr.length td{color:#666}
.hex{flex:none;width:49ch;font-size:80%;line-height:1.5;position:sticky;top:0;background:#fff}
.hex span[data-f]{border-radius:2px}
.on,.pin{background:#ffe066 !important}
.pin{outline:1px solid #c90}
table.grid{border-collapse:collapse}
table.grid th,table.grid td{border:1px solid #ccc;padding:4px 8px;vertical-align:top;font-size:90%}
.bad{color:#c00}
.schedule .box{fill:#f6f6f6;stroke:#555}
.schedule .secretbox{fill:#fff7e6;stroke:#a60}
.schedule .flow{stroke:#555;stroke-width:1.5;fill:#555}
ul.formulas{font-size:90%}
table.secrets td{font-family:ui-monospace,monospace;font-size:80%;word-break:break-all}
@media print{body{max-width:none}details>summary{list-style:none}.cols{display:block}.hex{position:static}.on,.pin{background:none !important}}
";

/// Field ↔ bytes marking: pointing at a field row or at its bytes marks
/// both; a click pins the mark. Without JavaScript the rows still give
/// each field's byte range.
const SCRIPT: &str = "
document.querySelectorAll('article.msg').forEach(function(m){
  function all(t){return m.querySelectorAll('[data-f=\"'+t.getAttribute('data-f')+'\"]');}
  function mark(e,cls,on){var t=e.target.closest('[data-f]');if(!t||!m.contains(t))return;
    all(t).forEach(function(x){x.classList.toggle(cls,on);});}
  m.addEventListener('mouseover',function(e){mark(e,'on',true);});
  m.addEventListener('mouseout',function(e){mark(e,'on',false);});
  m.addEventListener('click',function(e){m.querySelectorAll('.pin').forEach(function(x){x.classList.remove('pin');});
    mark(e,'pin',true);});
});
";
