//! Sessions across a server farm (issue 14): three example servers behind
//! a real HAProxy (TCP, round robin), sharing sessions and ticket keys
//! through a real redis-server; and the Redis store and farm ticket keys
//! driven directly against that redis-server (sealed values, bad data,
//! outages, rotation).
//!
//! Nothing is mocked: each test starts what it needs on free loopback
//! ports and stops it on drop. A missing `redis-server` or `haproxy` fails
//! the test naming the Debian package.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use common::haproxy::Haproxy;
use common::redis::RedisServer;
use common::{example_binary, test_data_arg, ChildGuard, Finished, ScratchDir};
use tls12::record_layer::secret::MasterSecret;
use tls12::record_layer::suites::CipherSuite;
use tls12::session_store::{Clock, MemoryStore, ServerSessionStore, TicketKeys};
use tls12::{ClientConfig, Session, SessionId, Stream};
use tls12_farm::{FarmKey, FarmTicketKeys, Redis, RedisStore};

const SOCKET_TIMEOUT: Duration = Duration::from_secs(10);
/// The Redis timeout of tests that are not about it: long enough that a
/// busy machine cannot make a call time out.
const PATIENT: Duration = Duration::from_secs(2);
const VISITS: usize = 30;

/// Example servers started with `args` (plus the test certificate and a
/// farm key in `dir`), one after the other so that the first creates the
/// farm key the others read.
struct Servers {
    children: Vec<ChildGuard>,
    ports: Vec<u16>,
}

impl Servers {
    fn start(count: usize, dir: &ScratchDir, args: &[&str]) -> Self {
        let farm_key = dir.join("farm.key");
        let farm_key = farm_key.to_str().unwrap();
        Self::start_keyed(count, &["--farm-key", farm_key], args)
    }

    /// [`Servers::start`] with `farm_key_args` for the farm key flags.
    fn start_keyed(count: usize, farm_key_args: &[&str], args: &[&str]) -> Self {
        let mut children = Vec::new();
        let mut ports = Vec::new();
        for _ in 0..count {
            let mut child = ChildGuard::spawn(
                std::process::Command::new(example_binary("server"))
                    .args(["--listen", "127.0.0.1:0"])
                    .args(["--cert", &test_data_arg("ecdsa/localhost.chain.pem")])
                    .args(["--key", &test_data_arg("ecdsa/localhost.key")])
                    .args(farm_key_args)
                    // Generous: a loaded CI machine must not turn a slow
                    // answer into a miss (the timeout has a test of its own).
                    .args(["--redis-timeout-ms", "2000"])
                    .args(args),
            );
            ports.push(child.wait_for_port("listening on", SOCKET_TIMEOUT));
            children.push(child);
        }
        Self { children, ports }
    }

    /// Stops every server; what each printed.
    fn stop(&mut self) -> Vec<Finished> {
        self.children.iter_mut().map(ChildGuard::stop).collect()
    }
}

/// One `GET /` on a new connection to `port`, as server `localhost` (so
/// that every server of the farm is offered the same session).
struct Visit {
    page: String,
    resumed: bool,
}

impl Visit {
    fn field(&self, name: &str) -> &str {
        self.page
            .lines()
            .find_map(|l| l.trim_start().strip_prefix(name))
            .map(str::trim)
            .unwrap_or_else(|| panic!("no {name:?} on the page:\n{}", self.page))
    }
}

fn visit(config: &Arc<ClientConfig>, port: u16) -> Visit {
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(SOCKET_TIMEOUT)).unwrap();
    let mut stream = Stream::connect(config.clone(), "localhost", sock).unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let response = String::from_utf8(response).unwrap();
    let (_, page) = response.split_once("\r\n\r\n").unwrap();
    let est = stream.connection().established().unwrap();
    let visit = Visit {
        page: page.to_owned(),
        resumed: est.resumed,
    };
    // Our side and the server's page agree.
    let expected = if est.resumed {
        "resumed"
    } else {
        "new (full handshake)"
    };
    assert_eq!(visit.field("this handshake:"), expected, "{page}");
    visit
}

/// Our client, keeping its one session for "localhost".
fn client(tickets: bool) -> Arc<ClientConfig> {
    let mut config = common::client_config();
    config.session_store = Some(Arc::new(MemoryStore::new(1)));
    config.enable_tickets = tickets;
    Arc::new(config)
}

/// `VISITS` sequential visits through `proxy`; the resumed ones, and each
/// visit's page.
fn run_visits(config: &Arc<ClientConfig>, proxy: &Haproxy) -> (usize, Vec<Visit>) {
    let visits: Vec<Visit> = (0..VISITS).map(|_| visit(config, proxy.port())).collect();
    let resumed = visits.iter().filter(|v| v.resumed).count();
    (resumed, visits)
}

/// Every server of the farm answered some of the visits (round robin).
fn assert_all_answered(visits: &[Visit], servers: &Servers) {
    for port in &servers.ports {
        let me = format!("127.0.0.1:{port}");
        assert!(
            visits.iter().any(|v| v.field("answered by:") == me),
            "server {me} never answered"
        );
    }
}

#[test]
fn shared_store_resumes_every_reconnect_through_haproxy() {
    let redis = RedisServer::start();
    let dir = ScratchDir::new("farm-store");
    let url = redis.url();
    let servers = Servers::start(3, &dir, &["--session-cache", &url]);
    let proxy = Haproxy::start(&servers.ports);
    redis.cli(&["CONFIG", "RESETSTAT"]);

    // Our client writes the NSS key log line of each handshake.
    let key_log = dir.join("keys.log");
    let mut config = (*client(false)).clone();
    config.key_log = Some(Arc::new(tls12::KeyLogFile::open(&key_log).unwrap()));
    let (resumed, visits) = run_visits(&Arc::new(config), &proxy);
    // Connections are reused: at most one per server (each kept the one it
    // opened at start), and the one asking.
    let connections = redis.stat("total_connections_received");
    assert!(connections <= 4, "{connections} connections for 30 visits");
    let calls = ["getrange", "set", "del"].map(|c| redis.calls(c));
    // What Redis holds never shows the master secret: neither the bytes
    // nor their hex, under any key.
    let lines = std::fs::read_to_string(&key_log).unwrap();
    let first = lines.lines().next().expect("a key log line");
    assert!(first.starts_with("CLIENT_RANDOM "), "{first}");
    let master_hex = first.rsplit(' ').next().unwrap().to_owned();
    let master = hex::decode(&master_hex).unwrap();
    assert_eq!(master.len(), 48);
    let keys = redis.cli(&["--scan"]);
    assert!(!keys.is_empty(), "Redis holds no session");
    for key in keys.lines() {
        let value = redis.command(&[b"GET", key.as_bytes()]).unwrap();
        assert!(value.len() > 48, "{key}");
        assert!(!contains(&value, &master), "{key} holds the master secret");
        assert!(!contains(&value, master_hex.as_bytes()), "{key}: hex");
    }

    assert_eq!(
        resumed,
        VISITS - 1,
        "by session id through the shared store"
    );
    assert_all_answered(&visits, &servers);
    for v in &visits[1..] {
        assert_eq!(v.field("resumed from:"), "Redis", "{}", v.page);
    }

    // One GETRANGE per resumption attempt (every visit after the first
    // offers a session id), one SET per new session (the first), nothing
    // else.
    assert_eq!(calls, [(VISITS - 1) as u64, 1, 0], "GETRANGE, SET, DEL");
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn farm_ticket_keys_resume_every_reconnect_through_haproxy() {
    let redis = RedisServer::start();
    let dir = ScratchDir::new("farm-tickets");
    let url = redis.url();
    // Sessions only in each server's memory: a ticket is the only way a
    // session crosses servers.
    let servers = Servers::start(
        3,
        &dir,
        &["--session-cache", "memory", "--ticket-keys", &url],
    );
    let proxy = Haproxy::start(&servers.ports);

    let (resumed, visits) = run_visits(&client(true), &proxy);
    assert_eq!(resumed, VISITS - 1, "by ticket under the farm's keys");
    assert_all_answered(&visits, &servers);
    for v in &visits[1..] {
        assert_eq!(v.field("resumed from:"), "ticket", "{}", v.page);
    }
}

#[test]
fn farm_ticket_keys_rotating_every_second_still_resume_every_reconnect() {
    let redis = RedisServer::start();
    let dir = ScratchDir::new("farm-rotation");
    let url = redis.url();
    let servers = Servers::start(
        3,
        &dir,
        &[
            "--session-cache",
            "memory",
            "--ticket-keys",
            &url,
            "--ticket-rotate",
            "1",
        ],
    );
    let proxy = Haproxy::start(&servers.ports);
    let config = client(true);
    let store = config.session_store.as_ref().unwrap();
    let server = tls12::session_store::ServerId::parse("localhost").unwrap();
    let mut key_names = std::collections::HashSet::new();
    let mut resumed = 0;
    let began = Instant::now();
    // Spread over several rotations: a ticket sealed under one period's
    // key opens on another server after the next period began.
    for _ in 0..VISITS {
        resumed += usize::from(visit(&config, proxy.port()).resumed);
        let session = store.get(&server).unwrap().unwrap();
        let ticket = session.ticket.as_ref().expect("a ticket");
        key_names.insert(ticket[..16].to_vec());
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(resumed, VISITS - 1, "across rotations");
    assert!(
        key_names.len() >= 2,
        "{} key names in {:?}",
        key_names.len(),
        began.elapsed()
    );
}

#[test]
fn per_server_caches_resume_at_most_half_through_haproxy() {
    let dir = ScratchDir::new("farm-memory");
    let servers = Servers::start(3, &dir, &["--session-cache", "memory", "--tickets"]);
    let proxy = Haproxy::start(&servers.ports);
    for tickets in [false, true] {
        let (resumed, visits) = run_visits(&client(tickets), &proxy);
        assert_all_answered(&visits, &servers);
        assert!(
            resumed <= VISITS / 2,
            "tickets {tickets}: {resumed} resumed with per-server state"
        );
    }
}

#[test]
fn openssl_reconnects_through_haproxy_are_all_reused() {
    let redis = RedisServer::start();
    let dir = ScratchDir::new("farm-openssl");
    let url = redis.url();
    let servers = Servers::start(3, &dir, &["--session-cache", &url, "--ticket-keys", &url]);
    let proxy = Haproxy::start(&servers.ports);
    // By session id, then by ticket.
    for extra in [&["-no_ticket"][..], &[]] {
        let out = common::openssl()
            .args(["s_client", "-tls1_2", "-reconnect", "-connect"])
            .arg(format!("127.0.0.1:{}", proxy.port()))
            .args(extra)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let new = text.matches("\nNew, TLSv1.2").count();
        let reused = text.matches("\nReused, TLSv1.2").count();
        // s_client -reconnect: one connection, then five reconnects.
        assert_eq!((new, reused), (1, 5), "{extra:?}:\n{text}");
    }
    drop(servers);
}

/// Sends a record that cannot decrypt on `sock` (a connection whose
/// handshake is done): the server answers with a fatal alert
/// (bad_record_mac, RFC 5246 §7.2.2) and must invalidate the session.
fn break_connection(mut sock: TcpStream) {
    let mut record = vec![23, 3, 3, 0, 40];
    record.extend_from_slice(&[0x41; 40]);
    sock.write_all(&record).unwrap();
    let mut rest = Vec::new();
    // The server's alert, then its close.
    let _ = sock.read_to_end(&mut rest);
}

#[test]
fn a_fatal_alert_on_one_server_invalidates_the_session_on_all() {
    let redis = RedisServer::start();
    let dir = ScratchDir::new("farm-alert");
    let url = redis.url();
    let servers = Servers::start(2, &dir, &["--session-cache", &url]);
    let (a, b) = (servers.ports[0], servers.ports[1]);
    let config = client(false);
    let first = visit(&config, a);
    assert!(!first.resumed);
    let session_id = first.field("session id:").to_owned();
    // B resumes A's session: the session is in the shared store...
    assert!(visit(&config, b).resumed);
    let store = config.session_store.as_ref().unwrap();
    let server = tls12::session_store::ServerId::parse("localhost").unwrap();
    let session = store.get(&server).unwrap().unwrap();

    // ...until a connection resuming it on A ends in a fatal alert.
    redis.cli(&["CONFIG", "RESETSTAT"]);
    let sock = TcpStream::connect(("127.0.0.1", a)).unwrap();
    sock.set_read_timeout(Some(SOCKET_TIMEOUT)).unwrap();
    let raw = sock.try_clone().unwrap();
    let stream = Stream::connect(config.clone(), "localhost", sock).unwrap();
    assert!(stream.connection().established().unwrap().resumed);
    break_connection(raw);
    drop(stream);
    assert_eq!(redis.calls("del"), 1, "A deleted the session");
    let key = format!("tls12:session:{session_id}");
    assert_eq!(redis.cli(&["EXISTS", &key]).trim(), "0");

    // The client still offers it (as a client that missed the alert
    // would); B refuses it.
    store.put(&server, session.clone()).unwrap();
    let after = visit(&config, b);
    assert!(!after.resumed, "B resumed an invalidated session");
    assert_ne!(after.field("session id:"), session_id);
}

#[test]
fn redis_stopping_mid_run_fails_no_connection_and_resumption_comes_back() {
    let mut redis = RedisServer::start();
    let dir = ScratchDir::new("farm-outage");
    let url = redis.url();
    let mut servers = Servers::start(3, &dir, &["--session-cache", &url]);
    let proxy = Haproxy::start(&servers.ports);
    let config = client(false);
    visit(&config, proxy.port());
    assert!(visit(&config, proxy.port()).resumed);

    redis.stop();
    for _ in 0..6 {
        // Every connection succeeds (visit panics otherwise), as a full
        // handshake: no server can look the session up.
        assert!(!visit(&config, proxy.port()).resumed);
    }

    redis.restart();
    resumption_comes_back(&config, proxy.port());

    // One warning per server for the outage, and one line when it ended.
    for out in servers.stop() {
        let warnings = out.stderr.matches("is unreachable").count();
        assert_eq!(warnings, 1, "{}", out.stderr);
        assert_eq!(out.stderr.matches("is reachable again").count(), 1);
    }
}

/// Visits `port` until three in a row resume, for at most 10 s: Redis is
/// back, and the servers found it without a restart.
fn resumption_comes_back(config: &Arc<ClientConfig>, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut resumed_in_a_row = 0;
    while resumed_in_a_row < 3 {
        assert!(Instant::now() < deadline, "resumption did not come back");
        resumed_in_a_row = if visit(config, port).resumed {
            resumed_in_a_row + 1
        } else {
            0
        };
    }
}

#[test]
fn servers_start_with_redis_down_and_resume_once_it_is_up() {
    let mut redis = RedisServer::start();
    redis.stop();
    let dir = ScratchDir::new("farm-down-at-start");
    let url = redis.url();
    let mut servers = Servers::start(2, &dir, &["--session-cache", &url]);
    let config = client(false);
    for i in 0..4 {
        // Full handshakes, every one served.
        assert!(!visit(&config, servers.ports[i % 2]).resumed);
    }
    redis.restart();
    resumption_comes_back(&config, servers.ports[0]);
    for out in servers.stop() {
        assert_eq!(
            out.stderr.matches("is unreachable").count(),
            1,
            "{}",
            out.stderr
        );
    }
}

#[test]
fn after_redis_restarts_while_idle_the_first_connection_to_every_server_resumes() {
    let mut redis = RedisServer::start();
    let dir = ScratchDir::new("farm-restart");
    let url = redis.url();
    let mut servers = Servers::start(3, &dir, &["--session-cache", &url]);
    let proxy = Haproxy::start(&servers.ports);
    let config = client(false);
    // One session, resumed on every server: each now keeps a connection
    // to Redis open.
    assert!(!visit(&config, proxy.port()).resumed);
    for _ in 0..3 {
        assert!(visit(&config, proxy.port()).resumed);
    }

    // Stopped and started as an operator would, with its data: every
    // connection the servers kept is closed, and the session is still
    // there.
    redis.restart_keeping_data();
    let visits: Vec<Visit> = (0..3).map(|_| visit(&config, proxy.port())).collect();
    assert_all_answered(&visits, &servers);
    for v in &visits {
        assert!(v.resumed, "{}", v.page);
        assert_eq!(v.field("resumed from:"), "Redis");
    }
    // Nobody declared Redis down: each server found its kept connection
    // dead, and made a new one within the same call.
    for out in servers.stop() {
        assert!(!out.stderr.contains("is unreachable"), "{}", out.stderr);
    }
}

#[test]
fn a_planted_oversize_value_is_a_miss_counted_deleted_and_never_read_whole() {
    let redis = RedisServer::start();
    let dir = ScratchDir::new("farm-oversize");
    let url = redis.url();
    let mut servers = Servers::start(1, &dir, &["--session-cache", &url]);
    let port = servers.ports[0];
    let config = client(false);
    let first = visit(&config, port);
    let key = format!("tls12:session:{}", first.field("session id:"));
    // 64 MiB under the session's key, made inside Redis (SETRANGE pads
    // with zeros): a value no server wrote.
    const PLANTED: usize = 64 << 20;
    redis.cli(&["SETRANGE", &key, &(PLANTED - 1).to_string(), "x"]);
    redis.cli(&["CONFIG", "RESETSTAT"]);

    let after = visit(&config, port);
    assert!(!after.resumed, "a planted value resumed");
    // Redis sent a bounded part of the value, not the value: what it sent
    // in all (the GETRANGE, the DEL, the new session's SET) is far below
    // the planted size.
    let sent = redis.stat("total_net_output_bytes");
    assert!(sent < 1 << 20, "Redis sent {sent} bytes");
    assert_eq!(redis.cli(&["EXISTS", &key]).trim(), "0", "not deleted");
    // The server never held it either: its peak memory stayed below it.
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", servers.children[0].id())).unwrap();
    let peak_kb: usize = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    assert!(peak_kb * 1024 < PLANTED, "peak {peak_kb} kB");
    // The miss made a new session, which resumes.
    assert!(visit(&config, port).resumed);
    let out = servers.stop().remove(0);
    let line = format!(
        "ignored the value under {key}: it is over 131072 bytes; deleted (1 bad values so far)"
    );
    assert!(out.stderr.contains(&line), "{}", out.stderr);
    assert!(!out.stderr.contains("is unreachable"), "{}", out.stderr);
}

/// `server --create-farm-key PATH`: a fresh farm key file.
fn create_farm_key(path: &std::path::Path) {
    let out = std::process::Command::new(example_binary("server"))
        .arg("--create-farm-key")
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn a_farm_key_rotation_keeps_every_session_and_ticket_key_in_redis() {
    let redis = RedisServer::start();
    let dir = ScratchDir::new("farm-key-rotation");
    let url = redis.url();
    let (old, new) = (dir.join("old.key"), dir.join("new.key"));
    create_farm_key(&old);
    // Never over a key in use.
    let again = std::process::Command::new(example_binary("server"))
        .arg("--create-farm-key")
        .arg(&old)
        .output()
        .unwrap();
    assert!(!again.status.success());
    let (old, new) = (old.to_str().unwrap(), new.to_str().unwrap());
    let shared = ["--session-cache", &url, "--ticket-keys", &url];
    let by_id = client(false);
    let by_ticket = client(true);
    {
        let servers = Servers::start_keyed(3, &["--farm-key", old], &shared);
        let proxy = Haproxy::start(&servers.ports);
        assert!(!visit(&by_id, proxy.port()).resumed);
        assert!(!visit(&by_ticket, proxy.port()).resumed);
    }

    // The rotation: every server restarted with the new key sealing and
    // the old one opening.
    create_farm_key(std::path::Path::new(new));
    let rotated = ["--farm-key", new, "--farm-key-previous", old];
    let servers = Servers::start_keyed(3, &rotated, &shared);
    let proxy = Haproxy::start(&servers.ports);
    for (config, from) in [(&by_id, "Redis"), (&by_ticket, "ticket")] {
        let visits: Vec<Visit> = (0..3).map(|_| visit(config, proxy.port())).collect();
        assert_all_answered(&visits, &servers);
        for v in &visits {
            assert!(v.resumed, "{from}: {}", v.page);
            assert_eq!(v.field("resumed from:"), from);
        }
    }
    // A session made now is sealed under the new key alone.
    let fresh = visit(&client(false), proxy.port());
    let id = SessionId::new(&hex::decode(fresh.field("session id:")).unwrap()).unwrap();
    let under = |path: &str| store_on(&redis, &Arc::new(FarmKey::load(path.as_ref()).unwrap()));
    assert!(under(new).get(&id).unwrap().is_some());
    assert!(under(old).get(&id).unwrap().is_none());
    drop(servers);

    // Without the previous key, the old session is lost: it was the
    // previous key that kept it.
    let servers = Servers::start_keyed(1, &["--farm-key", new], &shared[..2]);
    assert!(!visit(&by_id, servers.ports[0]).resumed);
}

// ---------------------------------------------------------------------------
// The store and the ticket keys, in process, against the real redis-server.

fn session(id: u8, now: u64) -> Arc<Session> {
    Arc::new(Session::new(
        SessionId::new(&[id; 32]).unwrap(),
        CipherSuite::ALL[0],
        MasterSecret::from_bytes([0x5e; 48]),
        true,
        Vec::new(),
        Some("localhost".into()),
        now,
    ))
}

fn now() -> u64 {
    tls12::system_clock()()
}

/// A log that keeps its lines, for counting warnings.
fn recording_log() -> (tls12_farm::Log, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let log = Arc::new(move |line: &str| sink.lock().unwrap().push(line.to_owned()));
    (log, lines)
}

fn store_on(redis: &RedisServer, farm_key: &Arc<FarmKey>) -> RedisStore {
    let (log, _) = recording_log();
    let link = Redis::with_log(&redis.url(), PATIENT, log).unwrap();
    RedisStore::new(link, farm_key.clone())
}

#[test]
fn bad_values_in_redis_are_misses_counted_never_sessions() {
    let redis = RedisServer::start();
    let farm_key = Arc::new(FarmKey::generate().unwrap());
    let (log, lines) = recording_log();
    let link = Redis::with_log(&redis.url(), PATIENT, log).unwrap();
    let store = RedisStore::new(link, farm_key.clone());
    let good = session(1, now());
    store.put(good.clone()).unwrap();
    let found = store.get(&good.session_id).unwrap().unwrap();
    assert_eq!(found.master_secret().as_bytes(), &[0x5e; 48]);
    let value = redis
        .command(&[b"GET", store.key(&good.session_id).as_bytes()])
        .unwrap();
    assert!(!contains(&value, &[0x5e; 48]), "the value is sealed");

    let other = SessionId::new(&[2; 32]).unwrap();
    let mut wrong_version = value.clone();
    wrong_version[0] = 2;
    let another_farm = store_on(&redis, &Arc::new(FarmKey::generate().unwrap()));
    let bad: [(&str, Vec<u8>); 4] = [
        ("garbage", b"not a session at all".to_vec()),
        ("a wrong version", wrong_version),
        // Sealed right, but under the id of another session.
        ("another id's value", value.clone()),
        ("the value itself", value),
    ];
    let key = store.key(&other);
    for (i, (what, bytes)) in bad.iter().enumerate().take(3) {
        redis.command(&[b"SET", key.as_bytes(), bytes]);
        assert!(store.get(&other).unwrap().is_none(), "{what}");
        assert_eq!(
            store.stats().bad_values.load(Ordering::Relaxed),
            i as u64 + 1
        );
    }
    // The copied value fails its tag (the id is in the additional data),
    // before the id inside it is even read.
    let logged = lines.lock().unwrap().clone();
    assert!(
        logged[2].contains("does not open under the farm key"),
        "{logged:?}"
    );
    // A value sealed under a farm key we do not hold.
    let (_, value) = &bad[3];
    redis.command(&[b"SET", key.as_bytes(), value]);
    assert!(another_farm.get(&other).unwrap().is_none());
    assert!(another_farm.get(&good.session_id).unwrap().is_none());
    assert_eq!(another_farm.stats().bad_values.load(Ordering::Relaxed), 2);
    assert_eq!(store.stats().hits.load(Ordering::Relaxed), 1);

    // An invalidated session is deleted; a non-resumable one never stored.
    store.remove(&good.session_id).unwrap();
    assert!(store.get(&good.session_id).unwrap().is_none());
    good.invalidate();
    store.put(good.clone()).unwrap();
    assert_eq!(
        redis.cli(&["EXISTS", &store.key(&good.session_id)]).trim(),
        "0"
    );
}

#[test]
fn sessions_expire_in_redis_with_their_lifetime() {
    let redis = RedisServer::start();
    let store = store_on(&redis, &Arc::new(FarmKey::generate().unwrap()));
    // Made 24 h minus 100 s ago: 100 s left.
    let s = session(3, now() - Session::DEFAULT_LIFETIME + 100);
    store.put(s.clone()).unwrap();
    let ttl: u64 = redis
        .cli(&["TTL", &store.key(&s.session_id)])
        .trim()
        .parse()
        .unwrap();
    assert!((95..=100).contains(&ttl), "TTL {ttl}");
    // An expired one is not stored at all.
    let old = session(4, now() - Session::DEFAULT_LIFETIME);
    store.put(old.clone()).unwrap();
    assert_eq!(
        redis.cli(&["EXISTS", &store.key(&old.session_id)]).trim(),
        "0"
    );
}

#[test]
fn redis_down_or_frozen_costs_at_most_the_timeout_and_warns_once() {
    let mut redis = RedisServer::start();
    let farm_key = Arc::new(FarmKey::generate().unwrap());
    let (log, lines) = recording_log();
    let link = Redis::with_log(&redis.url(), Redis::DEFAULT_TIMEOUT, log).unwrap();
    let store = RedisStore::new(link.clone(), farm_key.clone());
    let s = session(5, now());
    // Stored by a patient link, so that a busy machine cannot fail it.
    store_on(&redis, &farm_key).put(s.clone()).unwrap();

    // Frozen: it accepts and never answers. The call gives up.
    redis.signal("-STOP");
    let began = Instant::now();
    assert!(store.get(&s.session_id).is_err());
    assert!(
        began.elapsed() < Duration::from_secs(2),
        "{:?}",
        began.elapsed()
    );
    // While down, calls fail at once, and say nothing more.
    for _ in 0..20 {
        let began = Instant::now();
        assert!(store.get(&s.session_id).is_err());
        assert!(began.elapsed() < Redis::DEFAULT_TIMEOUT);
    }
    assert_eq!(lines.lock().unwrap().len(), 1, "{lines:?}");
    redis.signal("-CONT");
    // Back without a restart (retrying, in case a busy machine makes one
    // call slower than the timeout).
    let deadline = Instant::now() + Duration::from_secs(10);
    while !matches!(store.get(&s.session_id), Ok(Some(_))) {
        assert!(Instant::now() < deadline, "resumption did not come back");
        std::thread::sleep(Duration::from_millis(100));
    }
    let outages = |lines: &[String]| -> (usize, usize) {
        let down = lines
            .iter()
            .filter(|l| l.contains("is unreachable"))
            .count();
        let up = lines
            .iter()
            .filter(|l| l.contains("is reachable again"))
            .count();
        (down, up)
    };
    // One warning per outage, one line at its end.
    let (down, up) = outages(&lines.lock().unwrap());
    assert!(down >= 1 && down == up, "{lines:?}");

    // Down (nothing listening): the same.
    redis.stop();
    assert!(link.check().is_err());
    std::thread::sleep(Redis::RETRY_AFTER);
    assert!(store.get(&s.session_id).is_err());
    assert_eq!(outages(&lines.lock().unwrap()), (down + 1, up), "{lines:?}");
    // The frozen call, the twenty while down, the one after the stop.
    assert!(store.stats().failures.load(Ordering::Relaxed) >= 22);
}

/// A clock the test moves.
fn manual_clock(start: u64) -> (Clock, Arc<AtomicU64>) {
    let time = Arc::new(AtomicU64::new(start));
    let t = time.clone();
    (Arc::new(move || t.load(Ordering::Relaxed)), time)
}

#[test]
fn farm_ticket_keys_agree_and_open_each_others_tickets_across_a_rotation() {
    let redis = RedisServer::start();
    let farm_key = Arc::new(FarmKey::generate().unwrap());
    let period = Duration::from_secs(3600);
    let (clock, time) = manual_clock(now() / 3600 * 3600 + 10);

    // Three servers started at the same moment.
    let start = Arc::new(Barrier::new(3));
    let farms: Vec<Arc<FarmTicketKeys>> = (0..3)
        .map(|_| {
            let (start, farm_key, clock) = (start.clone(), farm_key.clone(), clock.clone());
            let url = redis.url();
            std::thread::spawn(move || {
                let link = Redis::open(&url, PATIENT).unwrap();
                start.wait();
                FarmTicketKeys::new(link, farm_key, period, clock)
                    .unwrap()
                    .fetched()
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    let keys: Vec<Arc<TicketKeys>> = farms.iter().map(|f| f.ticket_keys()).collect();
    let current = keys[0].current_key_name();
    for k in &keys {
        assert_eq!(k.current_key_name(), current, "one current key");
    }
    let (a, b) = (&keys[0], &keys[1]);
    let s = session(6, time.load(Ordering::Relaxed));
    let before = a.seal(&s).unwrap();
    assert!(b.open(&before).is_some(), "A's ticket opens on B");

    // The next period: A refreshes first and seals with the new key; B,
    // not yet refreshed, opens it (it fetched the next key ahead).
    time.fetch_add(3600, Ordering::Relaxed);
    farms[0].refresh().unwrap();
    assert_ne!(a.current_key_name(), current, "A rotated");
    let after = a.seal(&s).unwrap();
    assert!(b.open(&after).is_some(), "A's new ticket opens on B");
    farms[1].refresh().unwrap();
    assert_eq!(b.current_key_name(), a.current_key_name());
    assert!(
        a.open(&before).is_some(),
        "old tickets open after a rotation"
    );
    assert!(b.open(&before).is_some());
    assert_eq!(farms[1].bad_values(), 0);

    // In Redis the keys are sealed: no value shows a key_name in use.
    let keys = redis.cli(&["--scan", "--pattern", "tls12:ticket-key:*"]);
    assert!(keys.lines().count() >= 3, "{keys}");
    for key in keys.lines() {
        let value = redis.command(&[b"GET", key.as_bytes()]).unwrap();
        for name in [current, a.current_key_name()] {
            assert!(!contains(&value, &name), "{key} shows its key_name");
        }
    }

    // A server that knows neither key (another farm key) opens nothing.
    let stranger = FarmTicketKeys::new(
        Redis::open(&redis.url(), PATIENT).unwrap(),
        Arc::new(FarmKey::generate().unwrap()),
        period,
        clock,
    )
    .unwrap()
    .fetched();
    assert!(stranger.ticket_keys().open(&after).is_none());
    assert!(stranger.bad_values() > 0);
}

#[test]
fn a_store_behind_a_url_with_a_database_uses_it() {
    let redis = RedisServer::start();
    let farm_key = Arc::new(FarmKey::generate().unwrap());
    let link = Redis::open(&format!("{}/3", redis.url()), PATIENT).unwrap();
    let store = RedisStore::new(link, farm_key).with_prefix("farm-b:");
    let s = session(7, now());
    store.put(s.clone()).unwrap();
    assert_eq!(
        redis.cli(&["-n", "3", "--scan"]).trim(),
        store.key(&s.session_id)
    );
    assert!(store.key(&s.session_id).starts_with("farm-b:"));
    assert_eq!(
        redis.cli(&["DBSIZE"]).trim(),
        "0",
        "database 0 is untouched"
    );
}

#[test]
fn a_store_authenticates_as_the_user_in_its_url() {
    let redis = RedisServer::start();
    redis.cli(&["ACL", "SETUSER", "farm", "on", ">s3cret", "~*", "+@all"]);
    let farm_key = Arc::new(FarmKey::generate().unwrap());
    let s = session(8, now());
    let url = |password: &str| format!("redis://farm:{password}@127.0.0.1:{}", redis.port());
    let wrong = RedisStore::new(
        Redis::open(&url("wrong"), PATIENT).unwrap(),
        farm_key.clone(),
    );
    assert!(wrong.put(s.clone()).is_err(), "AUTH with a wrong password");
    let right = RedisStore::new(Redis::open(&url("s3cret"), PATIENT).unwrap(), farm_key);
    right.put(s.clone()).unwrap();
    assert!(right.get(&s.session_id).unwrap().is_some());
    let clients = redis.cli(&["CLIENT", "LIST"]);
    assert!(clients.contains("user=farm"), "{clients}");
}

#[test]
fn a_farm_key_file_is_made_private_and_refused_when_others_can_read_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = ScratchDir::new("farm-key");
    let path = dir.join("farm.key");
    FarmKey::load_or_create(&path).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // The same key next time: a session sealed by one opens with the other.
    let s = session(9, now());
    let redis = RedisServer::start();
    let first = store_on(&redis, &Arc::new(FarmKey::load_or_create(&path).unwrap()));
    first.put(s.clone()).unwrap();
    let again = store_on(&redis, &Arc::new(FarmKey::load_or_create(&path).unwrap()));
    assert!(again.get(&s.session_id).unwrap().is_some());

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let refused = FarmKey::load_or_create(&path).unwrap_err().to_string();
    assert!(refused.contains("farm.key"), "{refused}");
}

#[test]
fn two_farms_on_one_redis_keep_their_ticket_keys_apart_by_prefix() {
    let redis = RedisServer::start();
    let period = Duration::from_secs(3600);
    let farm = |prefix: &str| {
        let link = Redis::open(&redis.url(), PATIENT).unwrap();
        let farm_key = Arc::new(FarmKey::generate().unwrap());
        FarmTicketKeys::new(link, farm_key, period, tls12::system_clock())
            .unwrap()
            .with_prefix(prefix)
            .fetched()
    };
    let (a, b) = (farm("farm-a:"), farm("farm-b:"));
    // Each made and reads its own keys: none of the other's (sealed under
    // another farm key) came its way.
    assert_eq!((a.bad_values(), b.bad_values()), (0, 0));
    let (a_name, b_name) = (
        a.ticket_keys().current_key_name(),
        b.ticket_keys().current_key_name(),
    );
    assert_ne!(a_name, b_name);
    a.refresh().unwrap();
    assert_eq!(a.ticket_keys().current_key_name(), a_name, "a's key held");
    for prefix in ["farm-a:", "farm-b:"] {
        let keys = redis.cli(&["--scan", "--pattern", &format!("{prefix}*")]);
        assert_eq!(keys.lines().count(), 2, "{prefix}: {keys}");
    }
    assert_eq!(redis.cli(&["DBSIZE"]).trim(), "4");
}

#[test]
fn an_oversize_ticket_key_value_is_counted_deleted_and_replaced() {
    let redis = RedisServer::start();
    let period = Duration::from_secs(3600);
    let current = now() / 3600;
    let name = format!("tls12:ticket-key:{current}");
    redis.cli(&["SETRANGE", &name, &((16 << 20) - 1).to_string(), "x"]);
    let link = Redis::open(&redis.url(), PATIENT).unwrap();
    let farm_key = Arc::new(FarmKey::generate().unwrap());
    let farm = FarmTicketKeys::new(link, farm_key, period, tls12::system_clock())
        .unwrap()
        .fetched();
    assert_eq!(farm.bad_values(), 1);
    // Deleted; the next refresh stores a key in its place.
    assert_eq!(redis.cli(&["EXISTS", &name]).trim(), "0");
    farm.refresh().unwrap();
    let len: usize = redis.cli(&["STRLEN", &name]).trim().parse().unwrap();
    assert!(len > 0 && len < 256, "{len}");
    assert_eq!(farm.bad_values(), 1);
}
