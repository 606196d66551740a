//! `probe HOST:PORT`: what a TLS 1.2 server does with connections and
//! sessions, each line with the RFC section it tests.
//!
//! ```sh
//! cargo run --example probe -- 127.0.0.1:8443 --name localhost --ca test-data/ecdsa/root.pem
//! ```
//!
//! It makes one full handshake and reports what was negotiated, then
//! reconnects N times offering the session by id (tickets off), N times by
//! ticket, once with a corrupted ticket, renegotiates on one connection as
//! often as the server lets it, times full against resumed handshakes, and
//! says whether the servers behind the address share their sessions. With
//! `--lifetime MAX` it also waits, doubling from one second up to MAX, to
//! find how long the server keeps a session. `--json` prints the same facts.
//!
//! Exit status: 0 when the probe ran; 2, with one line saying why, when the
//! server could not be reached or speaks no TLS 1.2 with us: `refused`,
//! `timeout`, `not TLS`, `version refused`, `certificate not trusted`,
//! `handshake failed`.

use std::io;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::{json, Value};
use tls12::handshake::x509;
use tls12::session_store::{MemoryStore, ServerId};
use tls12::{ClientConfig, ClientSession, Error, Established, Event, Stream};

/// Probe a TLS 1.2 server: what it negotiates, whether and how it resumes
/// sessions, whether it renegotiates, what a resumption saves.
#[derive(Parser, Debug)]
#[command(name = "probe", version)]
struct Args {
    /// HOST:PORT of the server.
    target: String,
    /// The name to ask for (SNI) and check the certificate against;
    /// defaults to HOST.
    #[arg(long)]
    name: Option<String>,
    /// Trusted root certificates (PEM).
    #[arg(long, default_value = "/etc/ssl/certs/ca-certificates.crt")]
    ca: PathBuf,
    /// Reconnections per resumption test (by id, by ticket).
    #[arg(short = 'n', long, default_value_t = 10)]
    connections: u32,
    /// ALPN protocols to offer, most preferred first (RFC 7301).
    #[arg(long, value_delimiter = ',', default_value = "h2,http/1.1")]
    alpn: Vec<String>,
    /// Client-initiated renegotiations to try in a row on one connection.
    #[arg(long, default_value_t = 3)]
    renegotiations: u32,
    /// Also find how long the server keeps a session: wait 1, 2, 4, ...
    /// seconds, up to MAX, between a full handshake and its resumption.
    #[arg(long, value_name = "MAX")]
    lifetime: Option<u64>,
    /// Seconds to wait for the TCP connection and for each read.
    #[arg(long, default_value_t = 5)]
    timeout: u64,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

fn main() {
    let args = Args::parse();
    match Probe::new(&args).and_then(|p| p.run()) {
        Ok(report) if args.json => println!("{report:#}"),
        Ok(report) => print_report(&report),
        Err(why) => {
            eprintln!("probe: {}: {why}", args.target);
            std::process::exit(2);
        }
    }
}

/// Why the probe could not talk TLS 1.2 with the server.
#[derive(Debug)]
struct Unreachable(String);

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A connection attempt's outcome, sorted into the reasons the probe
/// reports (exit status 2).
fn classify(e: &io::Error) -> Unreachable {
    let why = match e.kind() {
        io::ErrorKind::ConnectionRefused => "refused".to_owned(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => "timeout".to_owned(),
        _ => match e.get_ref().and_then(|inner| inner.downcast_ref::<Error>()) {
            Some(Error::Certificate(c)) => format!("certificate not trusted ({c})"),
            Some(Error::UnsupportedVersion(v)) => {
                format!("version refused (the server chose {v:#06x})")
            }
            Some(Error::Record(tls12::record_layer::Error::PeerAlert(a)))
                if a.description == tls12::AlertDescription::ProtocolVersion =>
            {
                "version refused (protocol_version alert)".to_owned()
            }
            Some(Error::Record(r)) if !matches!(r, tls12::record_layer::Error::PeerAlert(_)) => {
                format!("not TLS ({r})")
            }
            Some(other) => format!("handshake failed ({other})"),
            None if e.kind() == io::ErrorKind::UnexpectedEof => {
                "not TLS (the server closed without answering)".to_owned()
            }
            None => format!("transport: {e}"),
        },
    };
    Unreachable(why)
}

struct Probe<'a> {
    args: &'a Args,
    addr: SocketAddr,
    /// The name for SNI and the certificate, with the port: the key of
    /// the client's session store.
    server: String,
    anchors: Arc<tls12::TrustAnchors>,
}

impl<'a> Probe<'a> {
    fn new(args: &'a Args) -> Result<Self, Unreachable> {
        let addr = args
            .target
            .to_socket_addrs()
            .map_err(|e| Unreachable(format!("cannot resolve: {e}")))?
            .next()
            .ok_or_else(|| Unreachable("no address".into()))?;
        let host = args.target.rsplit_once(':').map_or("", |(h, _)| h);
        let name = args.name.clone().unwrap_or_else(|| host.to_owned());
        let anchors = tls12::load_trust_anchors(&args.ca)
            .map_err(|e| Unreachable(format!("--ca {}: {e}", args.ca.display())))?;
        Ok(Self {
            args,
            addr,
            server: format!("{name}:{}", addr.port()),
            anchors: Arc::new(anchors),
        })
    }

    /// A client config: a session store when `store`, tickets when `tickets`.
    fn config(&self, store: bool, tickets: bool) -> ClientConfig {
        let mut config = ClientConfig::new((*self.anchors).clone());
        config.alpn_protocols = self
            .args
            .alpn
            .iter()
            .map(|p| p.as_bytes().to_vec())
            .collect();
        config.enable_tickets = tickets;
        if store {
            config.session_store = Some(Arc::new(MemoryStore::new(4)));
        }
        config
    }

    /// One connection through its handshake, and how long that took.
    fn connect(&self, config: &Arc<ClientConfig>) -> io::Result<(Stream<TcpStream>, Duration)> {
        let timeout = Duration::from_secs(self.args.timeout.max(1));
        let start = Instant::now();
        let sock = TcpStream::connect_timeout(&self.addr, timeout)?;
        sock.set_read_timeout(Some(timeout))?;
        sock.set_write_timeout(Some(timeout))?;
        let stream = Stream::connect(config.clone(), &self.server, sock)?;
        Ok((stream, start.elapsed()))
    }

    fn run(&self) -> Result<Value, Unreachable> {
        let first = Arc::new(self.config(false, false));
        let (stream, _) = self.connect(&first).map_err(|e| classify(&e))?;
        let mut report = negotiated(
            stream
                .connection()
                .established()
                .ok_or_else(|| Unreachable("handshake failed".into()))?,
        );
        close(stream);
        let ids = self.resumptions(false);
        let tickets = self.resumptions(true);
        report["farm"] = json!(farm_verdict(&ids, &tickets));
        report["session_id"] = ids.json;
        report["tickets"] = tickets.json;
        report["tickets"]["corrupted"] = json!(self.corrupted_ticket());
        report["renegotiation"] = self.renegotiation();
        report["cost"] = self.cost(&ids.resumed_times);
        if let Some(max) = self.args.lifetime {
            report["lifetime"] = self.lifetime(max);
        }
        Ok(report)
    }

    /// A full handshake, then `n` reconnections each offering *its*
    /// session again, by id (`tickets` false: no SessionTicket extension,
    /// RFC 5077 §3.2) or by ticket. Offering the first session every time
    /// (not the last one made) measures what share of the connections to
    /// this address can resume one session: all of them when one server,
    /// or servers that share their sessions, answer; about one in k when k
    /// servers keep their own.
    fn resumptions(&self, tickets: bool) -> Resumptions {
        let config = Arc::new(self.config(true, tickets));
        let mut r = Resumptions::default();
        let Ok((first, _)) = self.connect(&config) else {
            return r.finish(tickets, "the first connection failed");
        };
        let issued = first
            .connection()
            .established()
            .is_some_and(|est| est.session_ticket);
        close(first);
        let (Some(store), Some(server)) = (&config.session_store, ServerId::parse(&self.server))
        else {
            return r.finish(tickets, "no session store");
        };
        let Some(original) = store.get(&server).ok().flatten() else {
            // §7.4.1.3: an empty session_id (and no ticket) says "the
            // session will not be cached and therefore cannot be resumed".
            return r.finish(tickets, "the server gave no session to resume");
        };
        for _ in 0..self.args.connections {
            r.attempts += 1;
            if store.put(&server, original.clone()).is_err() {
                continue;
            }
            // A resumption counts for tickets only when a ticket was
            // offered: a server may resume by the id beside it instead.
            let offered_ticket = original.ticket.is_some();
            let Ok((stream, took)) = self.connect(&config) else {
                continue;
            };
            let Some(est) = stream.connection().established() else {
                continue;
            };
            if est.resumed && (offered_ticket || !tickets) {
                r.resumed += 1;
                r.resumed_times.push(took);
                // §7.4.1.3: a server that resumes "MUST respond with the
                // same value as was supplied by the client".
                r.same_id += u32::from(est.server_hello_session_id == est.session.session_id);
                r.new_ticket_on_resumption |= est.session_ticket;
            }
            close(stream);
            let ticket = self.stored(&config).and_then(|kept| kept.ticket);
            r.ticket_changed |= ticket.is_some() && ticket != original.ticket;
        }
        r.json = json!({
            "resumed": r.resumed,
            "attempts": r.attempts,
        });
        if tickets {
            r.json["issued"] = json!(issued);
            r.json["lifetime_hint"] = json!(self
                .stored(&config)
                .map_or(0, |kept| kept.ticket_lifetime_hint));
            r.json["new_ticket_on_resumption"] = json!(r.new_ticket_on_resumption);
            r.json["changes_per_connection"] = json!(r.ticket_changed);
        } else {
            r.json["same_id_returned"] = json!(r.resumed > 0 && r.same_id == r.resumed);
        }
        r
    }

    /// What `config`'s store keeps for this server: the session, and its
    /// ticket and lifetime hint (RFC 5077 §3.3).
    fn stored(&self, config: &ClientConfig) -> Option<ClientSession> {
        let store = config.session_store.as_ref()?;
        store.get(&ServerId::parse(&self.server)?).ok()?
    }

    /// RFC 5077 §3.4: a ticket the server cannot use should cost a full
    /// handshake, not the connection.
    fn corrupted_ticket(&self) -> String {
        let config = Arc::new(self.config(true, true));
        match self.connect(&config) {
            Ok((first, _)) => close(first),
            Err(_) => return "not tried: the first connection failed".into(),
        }
        let (Some(store), Some(id)) = (&config.session_store, ServerId::parse(&self.server)) else {
            return "not tried".into();
        };
        let Some(kept) = store.get(&id).ok().flatten() else {
            return "not tried: no session kept".into();
        };
        let Some(mut ticket) = kept.ticket.clone() else {
            return "not tried: no ticket issued".into();
        };
        let middle = ticket.len() / 2;
        ticket[middle] ^= 0x55;
        let mut corrupted = kept;
        corrupted.ticket = Some(ticket);
        if store.put(&id, corrupted).is_err() {
            return "not tried".into();
        }
        match self.connect(&config) {
            Ok((s, _)) => {
                let resumed = s.connection().established().is_some_and(|e| e.resumed);
                close(s);
                match resumed {
                    true => "resumed (the server accepted a corrupted ticket!)".into(),
                    false => "full handshake (the server ignored it, RFC 5077 §3.4)".into(),
                }
            }
            Err(e) => format!("connection failed: {}", classify(&e)),
        }
    }

    /// RFC 5746: whether the server signals secure renegotiation, and what
    /// it does with client-initiated renegotiations, up to the limit.
    fn renegotiation(&self) -> Value {
        let config = Arc::new(self.config(false, false));
        let Ok((mut stream, _)) = self.connect(&config) else {
            return json!({ "secure": false, "client_initiated": "not tried" });
        };
        let secure = stream
            .connection()
            .renegotiation_binding()
            .is_some_and(|b| b.secure_renegotiation);
        let mut accepted = 0;
        let mut outcome = format!("accepted {} in a row", self.args.renegotiations);
        for _ in 0..self.args.renegotiations {
            match stream.renegotiate() {
                Ok(()) => {
                    let mut refused = false;
                    while let Some(event) = stream.connection_mut().next_event() {
                        refused |= matches!(event, Event::RenegotiationRefused);
                    }
                    if refused {
                        outcome =
                            format!("refused with a no_renegotiation warning after {accepted}");
                        break;
                    }
                    accepted += 1;
                }
                Err(e) => {
                    outcome = format!("fatal after {accepted}: {e}");
                    break;
                }
            }
        }
        close(stream);
        json!({ "secure": secure, "client_initiated": outcome, "in_a_row": accepted })
    }

    /// What a resumption saves: the median full handshake against the
    /// median resumed one (by id).
    fn cost(&self, resumed: &[Duration]) -> Value {
        let config = Arc::new(self.config(false, false));
        let full: Vec<Duration> = (0..resumed.len().clamp(3, 10))
            .filter_map(|_| {
                let (stream, took) = self.connect(&config).ok()?;
                close(stream);
                Some(took)
            })
            .collect();
        match (median(&full), median(resumed)) {
            (Some(f), Some(r)) => json!({
                "full_ms": ms(f),
                "resumed_ms": ms(r),
                "ratio": (f.as_secs_f64() / r.as_secs_f64().max(1e-9) * 10.0).round() / 10.0,
            }),
            (Some(f), None) => json!({ "full_ms": ms(f) }),
            _ => json!({}),
        }
    }

    /// How long the server keeps a session: after waiting 1, 2, 4, ...
    /// seconds (up to `max`), does a session made just before resume?
    fn lifetime(&self, max: u64) -> Value {
        let mut kept = 0;
        let mut gone = None;
        let mut wait = 1;
        while wait <= max.max(1) {
            let config = Arc::new(self.config(true, true));
            match self.connect(&config) {
                Ok((first, _)) => close(first),
                Err(_) => break,
            }
            std::thread::sleep(Duration::from_secs(wait));
            let resumed = self.connect(&config).is_ok_and(|(s, _)| {
                let resumed = s.connection().established().is_some_and(|e| e.resumed);
                close(s);
                resumed
            });
            if !resumed {
                gone = Some(wait);
                break;
            }
            kept = wait;
            wait *= 2;
        }
        json!({ "kept_at_least_s": kept, "gone_by_s": gone, "max_s": max })
    }
}

/// What one resumption test saw.
#[derive(Default)]
struct Resumptions {
    resumed: u32,
    attempts: u32,
    /// Resumptions whose ServerHello carried the session's own id.
    same_id: u32,
    new_ticket_on_resumption: bool,
    ticket_changed: bool,
    resumed_times: Vec<Duration>,
    json: Value,
}

impl Resumptions {
    fn finish(mut self, tickets: bool, why: &str) -> Self {
        self.json = json!({ "resumed": 0, "attempts": 0, "error": why, "tickets": tickets });
        self
    }
}

/// The first handshake's values (§7.4.1.3, RFC 8422 §5.4, RFC 7301, §7.4.2,
/// RFC 7627).
fn negotiated(est: &Established) -> Value {
    let chain: Vec<String> = est
        .session
        .peer_certificates
        .iter()
        .map(|c| x509::leaf_subject(c).unwrap_or_else(|e| e.to_string()))
        .collect();
    json!({
        "version": "TLS 1.2",
        "cipher_suite": est.session.cipher_suite.rfc_name(),
        "group": est.group.map(|g| g.rfc_name()),
        "signature_scheme": est.peer_signature_scheme.map(|s| s.rfc_name()),
        "alpn": est.alpn.as_ref().map(|p| String::from_utf8_lossy(p).into_owned()),
        "chain": chain,
        "chain_verified": true,
        "extended_master_secret": est.session.extended_master_secret,
    })
}

/// One line on whether the servers behind the address share sessions.
fn farm_verdict(ids: &Resumptions, tickets: &Resumptions) -> String {
    let (r, n) = (
        ids.resumed.max(tickets.resumed),
        ids.attempts.max(tickets.attempts),
    );
    if n == 0 {
        "not measured".into()
    } else if r == n {
        format!("every reconnection resumed ({r}/{n}): one server, or servers that share sessions")
    } else if r == 0 {
        format!("no reconnection resumed (0/{n}): the server keeps no sessions")
    } else {
        format!("sessions are not shared between the servers behind this address: {r}/{n} resumed")
    }
}

/// Ends a connection politely (close_notify, RFC 5246 §7.2.1), so that a
/// server serving one connection at a time moves on; a server that already
/// went is no failure here.
fn close(mut stream: Stream<TcpStream>) {
    let _ = stream.close();
}

fn median(times: &[Duration]) -> Option<Duration> {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied()
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}

/// The report as lines, each with the RFC section it tests.
fn print_report(r: &Value) {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => "(none)".into(),
        other => other.to_string(),
    };
    let line = |section: &str, what: &str, value: String| {
        println!("{section:<16} {what:<24} {value}");
    };
    line("§7.4.1.3", "version", text(&r["version"]));
    line("§7.4.1.3, §A.5", "cipher suite", text(&r["cipher_suite"]));
    line("RFC 8422 §5.4", "group", text(&r["group"]));
    line(
        "§7.4.1.4.1",
        "signature scheme",
        text(&r["signature_scheme"]),
    );
    line("RFC 7301 §3.2", "ALPN", text(&r["alpn"]));
    let chain: Vec<String> = r["chain"]
        .as_array()
        .into_iter()
        .flatten()
        .map(text)
        .collect();
    line("§7.4.2", "chain (verifies)", chain.join(" ← "));
    line(
        "RFC 7627 §5.1",
        "extended master secret",
        format!(
            "offered, {}",
            if r["extended_master_secret"] == true {
                "accepted"
            } else {
                "not accepted"
            }
        ),
    );
    let id = &r["session_id"];
    line(
        "§7.4.1.2",
        "resumption by id",
        format!(
            "{}/{} resumed, same id returned: {}",
            id["resumed"],
            id["attempts"],
            text(&id["same_id_returned"])
        ),
    );
    let t = &r["tickets"];
    line(
        "RFC 5077 §3.4",
        "resumption by ticket",
        format!(
            "{}/{} resumed, ticket issued: {}, lifetime hint {} s, new ticket on resumption: {}, changes per connection: {}",
            t["resumed"], t["attempts"], text(&t["issued"]), t["lifetime_hint"],
            text(&t["new_ticket_on_resumption"]), text(&t["changes_per_connection"])
        ),
    );
    line("RFC 5077 §3.4", "corrupted ticket", text(&t["corrupted"]));
    let reneg = &r["renegotiation"];
    line(
        "RFC 5746 §3.6",
        "secure renegotiation",
        format!(
            "{}; client-initiated: {}",
            if reneg["secure"] == true {
                "signalled"
            } else {
                "not signalled"
            },
            text(&reneg["client_initiated"])
        ),
    );
    let cost = &r["cost"];
    line(
        "§7.3",
        "cost",
        format!(
            "full {} ms, resumed {} ms: a resumption costs {}× less",
            cost["full_ms"], cost["resumed_ms"], cost["ratio"]
        ),
    );
    line("§7.4.1.3", "farm", text(&r["farm"]));
    if let Some(l) = r.get("lifetime") {
        let gone = match &l["gone_by_s"] {
            Value::Null => format!(
                "still resumable after {} s (the --lifetime bound)",
                l["max_s"]
            ),
            g => format!("gone by {g} s"),
        };
        line(
            "§F.1.4",
            "session lifetime",
            format!("kept at least {} s, {gone}", l["kept_at_least_s"]),
        );
    }
}
