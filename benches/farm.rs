//! What a shared session cache costs (issue 14): resumed handshakes (RFC
//! 5246 §7.3, Figure 2, by session id) with the server's cache in a real
//! redis-server on loopback ([`RedisStore`]: one GETRANGE, values sealed under
//! the farm key) next to the in-process [`MemoryStore`], in the same run.
//!
//! Each handshake is a fresh client and server connection of ours pumped
//! in memory, as in benches/handshake.rs; only the server's store differs.
//! Every handshake is checked to have resumed. The rounds alternate
//! between the two stores, so that a slow moment of the machine falls on
//! both. Printed: handshakes per second, the ratio, and the p50/p99
//! latency of one resumption with each store and the difference (what
//! Redis adds).
//!
//! Run with `cargo bench --bench farm` (needs `redis-server`, Debian
//! package `redis-server`).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tls12::session_store::{MemoryStore, ServerSessionStore};
use tls12::{CipherSuite, ClientConfig, Connection, NamedGroup, ServerConfig};
use tls12_farm::{FarmKey, Redis, RedisStore};

const ROUNDS: usize = 10;
const PER_ROUND: usize = 400;

fn test_data(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("test-data/ecdsa")
        .join(file)
}

fn configs(store: Arc<dyn ServerSessionStore>) -> (Arc<ClientConfig>, Arc<ServerConfig>) {
    let anchors = tls12::load_trust_anchors(&test_data("root.pem")).unwrap();
    let mut client = ClientConfig::new(anchors);
    let suite = CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
    client.cipher_suites = vec![suite];
    client.groups = vec![NamedGroup::X25519, NamedGroup::Secp256r1];
    client.enable_tickets = false;
    client.session_store = Some(Arc::new(MemoryStore::new(16)));
    let certified = tls12::load_certified_key(
        &test_data("localhost.chain.pem"),
        &test_data("localhost.key"),
    )
    .unwrap();
    let mut server = ServerConfig::new(vec![certified]);
    server.cipher_suites = vec![suite];
    server.groups = vec![NamedGroup::X25519];
    server.session_store = Some(store);
    (Arc::new(client), Arc::new(server))
}

fn transfer(from: &mut Connection, to: &mut Connection, buf: &mut Vec<u8>) -> bool {
    buf.clear();
    while from.wants_write() {
        from.write_tls(buf).unwrap();
    }
    let mut rest = &buf[..];
    while !rest.is_empty() {
        to.read_tls(&mut rest).unwrap();
        to.process_new_packets().unwrap();
    }
    !buf.is_empty()
}

/// One handshake; whether the server resumed.
fn handshake(client: &Arc<ClientConfig>, server: &Arc<ServerConfig>) -> bool {
    let mut c = Connection::client(client.clone(), "localhost").unwrap();
    let mut s = Connection::server(server.clone());
    let mut buf = Vec::with_capacity(8192);
    while c.is_handshaking() || s.is_handshaking() || c.wants_write() || s.wants_write() {
        let moved = transfer(&mut c, &mut s, &mut buf) | transfer(&mut s, &mut c, &mut buf);
        assert!(moved, "handshake stalled");
    }
    s.established().unwrap().resumed
}

/// A redis-server on a free loopback port, killed on drop.
struct RedisServer(Child, u16);

impl RedisServer {
    fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start redis-server ({e}): install the Debian package redis-server")
            });
        Self(child, port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One store under test: its configs and every resumption's latency.
struct Subject {
    name: &'static str,
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
    times: Vec<Duration>,
    total: Duration,
}

impl Subject {
    fn new(name: &'static str, store: Arc<dyn ServerSessionStore>) -> Self {
        let (client, server) = configs(store);
        assert!(!handshake(&client, &server), "the first handshake is full");
        Self {
            name,
            client,
            server,
            times: Vec::new(),
            total: Duration::ZERO,
        }
    }

    fn round(&mut self) {
        for _ in 0..PER_ROUND {
            let began = Instant::now();
            assert!(
                handshake(&self.client, &self.server),
                "{}: not resumed",
                self.name
            );
            let took = began.elapsed();
            self.times.push(took);
            self.total += took;
        }
    }

    fn per_second(&self) -> f64 {
        self.times.len() as f64 / self.total.as_secs_f64()
    }

    /// The `p` quantile of the latencies (sorted once the rounds are done).
    fn percentile(&self, p: f64) -> f64 {
        let i = ((self.times.len() - 1) as f64 * p).round() as usize;
        self.times[i].as_secs_f64() * 1e6
    }
}

fn main() {
    let redis = RedisServer::start();
    let url = format!("redis://127.0.0.1:{}", redis.1);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", redis.1)).is_err() {
        assert!(Instant::now() < deadline, "redis-server never listened");
        std::thread::sleep(Duration::from_millis(10));
    }
    // Patient: on a loaded machine a stall past the default 100 ms would
    // turn a lookup into a miss, and this measures lookups, not timeouts.
    let link = Redis::open(&url, Duration::from_secs(2)).unwrap();
    let farm_key = Arc::new(FarmKey::generate().unwrap());
    let mut memory = Subject::new("MemoryStore", Arc::new(MemoryStore::new(16)));
    let store = Arc::new(RedisStore::new(link.clone(), farm_key));
    let mut redis_store = Subject::new("RedisStore", store.clone());
    for _ in 0..ROUNDS {
        memory.round();
        redis_store.round();
    }
    memory.times.sort();
    redis_store.times.sort();
    // One bare round trip on the same link (PING), for comparison.
    let mut trips: Vec<Duration> = (0..ROUNDS * PER_ROUND)
        .map(|_| {
            let began = Instant::now();
            link.check().unwrap();
            began.elapsed()
        })
        .collect();
    trips.sort();
    // One lookup alone (GETRANGE, open, decode) of a session in the store.
    let server = tls12::session_store::ServerId::parse("localhost").unwrap();
    let client_store = redis_store.client.session_store.as_ref().unwrap();
    let stored = client_store
        .get(&server)
        .unwrap()
        .unwrap()
        .session
        .session_id;
    let mut gets: Vec<Duration> = (0..ROUNDS * PER_ROUND)
        .map(|_| {
            let began = Instant::now();
            assert!(store.get(&stored).unwrap().is_some());
            began.elapsed()
        })
        .collect();
    gets.sort();
    let get = |p: f64| gets[((gets.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e6;
    let trip = |p: f64| trips[((trips.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e6;
    println!(
        "resumed handshakes (session id, ECDHE-ECDSA-AES128-GCM, both ends in one thread), \
         {} each:",
        ROUNDS * PER_ROUND
    );
    for s in [&memory, &redis_store] {
        println!(
            "  {:<12} {:>8.0}/s   p50 {:>7.1} µs   p99 {:>7.1} µs",
            s.name,
            s.per_second(),
            s.percentile(0.50),
            s.percentile(0.99),
        );
    }
    let added = |p: f64| redis_store.percentile(p) - memory.percentile(p);
    println!(
        "  RedisStore/MemoryStore: {:.2} of the rate; added per resumption: p50 {:.1} µs, p99 {:.1} µs",
        redis_store.per_second() / memory.per_second(),
        added(0.50),
        added(0.99),
    );
    println!(
        "  one Redis round trip (PING on the same link): p50 {:.1} µs, p99 {:.1} µs",
        trip(0.50),
        trip(0.99)
    );
    println!(
        "  one RedisStore::get (GETRANGE, open, decode):   p50 {:.1} µs, p99 {:.1} µs",
        get(0.50),
        get(0.99)
    );
}
