//! Load on real sockets (issue 16): the async example server
//! (examples/async_server.rs, two worker threads) next to nginx (two worker
//! processes, the distribution's OpenSSL), on loopback, driven by the same
//! load generators: our blocking client ([`tls12::Stream`]) in several
//! threads, and as many `openssl s_time` processes, each with one
//! connection at a time.
//!
//! Both servers get the same certificate (test-data/ecdsa), TLS 1.2 only,
//! one suite (ECDHE-ECDSA-AES128-GCM-SHA256), one group (x25519), a session
//! cache and session tickets. Our client offers that suite, x25519 and
//! P-256 (without which neither server will use a P-256 certificate, RFC
//! 8422 §5.1) and one signature scheme (ecdsa_secp256r1_sha256); every
//! handshake is checked to have negotiated what its case asks for.
//!
//! Six cases, each measured on both servers in alternating order, round
//! after round, so that a busy moment of the machine falls on both. With
//! our client:
//!
//! - full handshakes (RFC 5246 §7.3, Figure 1; the client keeps no
//!   sessions), each then closed with close_notify;
//! - resumed by session id (Figure 2; the client asks for no tickets);
//! - resumed by ticket (RFC 5077);
//! - requests on kept-alive connections: `GET /` over HTTP/1.1 on one
//!   connection per thread, each answer read whole by its Content-Length.
//!
//! With `openssl s_time`, whose client costs less per handshake than ours
//! (it checks no certificate chain): new handshakes (`-new`) and resumed
//! ones (`-reuse`, by ticket).
//!
//! Printed: operations per second, the ratio ours/nginx, the server's own
//! CPU time per operation (user + system time of the server's processes,
//! from /proc), which the client's share of the two cores does not blur,
//! and the client's. Our server's page describes the connection (formatted
//! per request); nginx answers `return 200` with a fixed body of the same
//! length.
//!
//! Run with `cargo bench --bench nginx` (options after `--`: `--threads N`,
//! `--seconds S` per measurement, `--rounds R`). Needs nginx (Debian
//! package `nginx-light` or `nginx`) and openssl. The bench builds the
//! example server itself (`cargo build --profile bench --example
//! async_server`).

mod common;

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use common::{our_configs, test_data, Kind, CASES};
use tls12::{ClientConfig, NamedGroup, Stream};

/// How long one socket operation may wait before the client gives up.
const SOCKET_TIMEOUT: Duration = Duration::from_secs(10);

/// One measured case: a load generator and what it does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Case {
    /// Our client: handshakes of this kind, each closed with close_notify.
    Handshakes(Kind),
    /// Our client: keep-alive requests, one connection per thread.
    Requests,
    /// `openssl s_time`, one process per thread: new handshakes (`-new`)
    /// or resumed ones (`-reuse`, by ticket since both servers issue
    /// them), each closed without close_notify.
    STime(Kind),
}

const CASES_MEASURED: [Case; 6] = [
    Case::Handshakes(Kind::Full),
    Case::Handshakes(Kind::ResumedById),
    Case::Handshakes(Kind::ResumedByTicket),
    Case::Requests,
    Case::STime(Kind::Full),
    Case::STime(Kind::ResumedByTicket),
];

impl Case {
    fn name(self) -> &'static str {
        match self {
            Case::Handshakes(Kind::Full) => "full handshakes",
            Case::Handshakes(Kind::ResumedById) => "resumed, session id",
            Case::Handshakes(Kind::ResumedByTicket) => "resumed, ticket",
            Case::Requests => "requests, kept alive",
            Case::STime(Kind::Full) => "s_time -new",
            Case::STime(_) => "s_time -reuse",
        }
    }

    /// Our client's config: sessions and tickets as the case asks (none
    /// for requests, whose connections are made once).
    fn client(self) -> Arc<ClientConfig> {
        let kind = match self {
            Case::Handshakes(kind) => kind,
            _ => Kind::Full,
        };
        our_configs(&CASES[0], kind).0
    }
}

/// A server under test: a child process, its address, and where its
/// complaints go.
struct Server {
    name: &'static str,
    addr: SocketAddr,
    child: Child,
    /// The file the server's errors go to, counted at the end.
    log: PathBuf,
    /// How to stop it cleanly (nginx's master must stop its workers).
    stop: Option<Command>,
}

impl Server {
    /// The process ids whose CPU time is the server's: the process and,
    /// for nginx, its workers.
    fn pids(&self) -> Vec<u32> {
        let pid = self.child.id();
        let children =
            std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
        let mut pids = vec![pid];
        pids.extend(
            children
                .split_whitespace()
                .filter_map(|p| p.parse::<u32>().ok()),
        );
        pids
    }

    /// User + system CPU time of the server's processes so far, in clock
    /// ticks.
    fn cpu_ticks(&self) -> u64 {
        self.pids()
            .iter()
            .map(|pid| {
                let [user, system, _, _] = cpu_times(&pid.to_string());
                user + system
            })
            .sum()
    }

    /// The lines the server wrote to its error log.
    fn log_lines(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = &mut self.stop {
            let _ = stop.stdout(Stdio::null()).stderr(Stdio::null()).status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// proc(5)'s utime, stime, cutime and cstime (fields 14 to 17, in clock
/// ticks) of process `pid` (or "self"): its own CPU time, and that of
/// its children it has waited for.
fn cpu_times(pid: &str) -> [u64; 4] {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The fields after "(comm)", which may itself hold spaces; field 14 is
    // the 12th after it.
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<u64> = after
        .split(' ')
        .skip(11)
        .take(4)
        .map(|f| f.parse().unwrap())
        .collect();
    [fields[0], fields[1], fields[2], fields[3]]
}

/// The CPU time of this process, its threads, and the children it has
/// waited for: the load generator's.
fn client_ticks() -> u64 {
    cpu_times("self").iter().sum()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn path_arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Builds (if needed) and starts the async example server: two workers,
/// the ECDSA certificate only, sessions in memory, tickets on.
fn start_ours(dir: &Path) -> Server {
    let cargo = env!("CARGO");
    let built = Command::new(cargo)
        .args(["build", "--profile", "bench", "--example", "async_server"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap_or_else(|e| panic!("{cargo}: {e}"));
    assert!(built.success(), "cargo build --example async_server failed");
    // target/release/deps/nginx-* -> target/release/examples/async_server
    let exe = std::env::current_exe().unwrap();
    let binary = exe
        .parent()
        .unwrap()
        .with_file_name("examples/async_server");
    let case = &CASES[0];
    let log = dir.join("async_server.log");
    let mut child = Command::new(&binary)
        .args(["--listen", "127.0.0.1:0", "--workers", "2"])
        .args(["--cert", path_arg(&test_data(case, "localhost.chain.pem"))])
        .args(["--key", path_arg(&test_data(case, "localhost.key"))])
        .args(["--session-cache", "memory", "--tickets"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", binary.display()));
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .rsplit(' ')
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("async_server said {line:?}, not its address"));
    Server {
        name: "ours",
        addr,
        child,
        log,
        stop: None,
    }
}

/// Starts nginx with the same certificate, protocol, suite and group, a
/// shared session cache and tickets, two workers, answering every request
/// with `body`.
fn start_nginx(dir: &Path, body: &str) -> Server {
    let nginx = "/usr/sbin/nginx";
    if !Path::new(nginx).is_file() {
        panic!("{nginx} is missing: install the Debian package nginx-light (or nginx)");
    }
    let case = &CASES[0];
    let port = free_port();
    let d = path_arg(dir);
    let conf = format!(
        "worker_processes 2;
pid {d}/nginx.pid;
error_log {d}/nginx.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    default_type text/plain;
    keepalive_requests 100000000;
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name localhost;
        ssl_certificate {chain};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2;
        ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256;
        ssl_ecdh_curve X25519;
        ssl_session_cache shared:SSL:10m;
        ssl_session_tickets on;
        location / {{ return 200 \"{body}\"; }}
    }}
}}
",
        chain = path_arg(&test_data(case, "localhost.chain.pem")),
        key = path_arg(&test_data(case, "localhost.key")),
    );
    let conf_path = dir.join("nginx.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let run = |extra: &[&str]| {
        let mut cmd = Command::new(nginx);
        cmd.args(["-p", d, "-e", &format!("{d}/nginx.log")])
            .args(["-c", path_arg(&conf_path)])
            .args(extra);
        cmd
    };
    let child = run(&["-g", "daemon off;"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start {nginx} ({e}): install the Debian package nginx-light (or nginx)")
        });
    let mut server = Server {
        name: "nginx",
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        child,
        log: dir.join("nginx.log"),
        stop: Some(run(&["-s", "stop"])),
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(server.addr).is_err() {
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!("nginx exited ({status}): {:?}", server.log_lines());
        }
        assert!(Instant::now() < deadline, "nginx never listened");
        thread::sleep(Duration::from_millis(10));
    }
    // Both workers up, so that the first round does not wait for them.
    while server.pids().len() < 3 {
        assert!(Instant::now() < deadline, "nginx started no workers");
        thread::sleep(Duration::from_millis(10));
    }
    server
}

/// A new connection to `server`, handshake complete.
fn connect(config: &Arc<ClientConfig>, server: SocketAddr) -> Stream<TcpStream> {
    let sock = TcpStream::connect_timeout(&server, SOCKET_TIMEOUT).unwrap();
    sock.set_read_timeout(Some(SOCKET_TIMEOUT)).unwrap();
    sock.set_write_timeout(Some(SOCKET_TIMEOUT)).unwrap();
    let name = format!("localhost:{}", server.port());
    Stream::connect(config.clone(), &name, sock).unwrap_or_else(|e| panic!("handshake: {e}"))
}

/// One handshake of `kind` to `server`, checked, then closed with
/// close_notify.
fn handshake(config: &Arc<ClientConfig>, server: SocketAddr, kind: Kind) {
    let mut stream = connect(config, server);
    let est = stream.connection().established().unwrap();
    match kind {
        Kind::Full => {
            assert!(!est.resumed, "{server}: resumed");
            assert_eq!(est.group, Some(NamedGroup::X25519));
        }
        Kind::ResumedById => assert!(est.resumed, "{server}: not resumed"),
        Kind::ResumedByTicket => {
            assert!(est.resumed, "{server}: not resumed");
            assert!(est.session_ticket, "{server}: no ticket");
        }
    }
    stream.close().unwrap();
}

/// One keep-alive `GET /` on `stream`; returns the body's length.
fn request(stream: &mut Stream<TcpStream>, buf: &mut Vec<u8>) -> usize {
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    buf.clear();
    let mut chunk = [0u8; 4096];
    let (length, body_start) = loop {
        let n = stream.read(&mut chunk).unwrap();
        assert!(n > 0, "the server closed before answering");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buf[..end]).unwrap();
            assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
            let length = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().unwrap())
                })
                .unwrap();
            break (length, end + 4);
        }
    };
    while buf.len() < body_start + length {
        let n = stream.read(&mut chunk).unwrap();
        assert!(n > 0, "the server closed inside its answer");
        buf.extend_from_slice(&chunk[..n]);
    }
    assert_eq!(buf.len(), body_start + length, "more than one answer");
    length
}

/// What one measurement counted.
#[derive(Clone, Copy, Default)]
struct Tally {
    ops: u64,
    seconds: f64,
    server_ticks: u64,
    client_ticks: u64,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.ops += other.ops;
        self.seconds += other.seconds;
        self.server_ticks += other.server_ticks;
        self.client_ticks += other.client_ticks;
    }

    fn per_second(&self) -> f64 {
        self.ops as f64 / self.seconds
    }

    /// CPU time per operation, µs, of `ticks` clock ticks.
    fn us_per_op(&self, ticks: u64, ticks_per_second: f64) -> f64 {
        ticks as f64 / ticks_per_second * 1e6 / self.ops as f64
    }
}

/// `case` against `server` for `seconds`, `threads` at once.
fn measure(server: &Server, case: Case, threads: usize, seconds: f64) -> Tally {
    let (client_before, server_before) = (client_ticks(), server.cpu_ticks());
    let (ops, seconds) = match case {
        Case::STime(kind) => s_time(server.addr, kind, threads, seconds),
        _ => our_client(server.addr, case, threads, seconds),
    };
    Tally {
        ops,
        seconds,
        server_ticks: server.cpu_ticks() - server_before,
        client_ticks: client_ticks() - client_before,
    }
}

/// `threads` threads of our client running `case` against `addr` for
/// `seconds`; returns the operations and the seconds they took.
fn our_client(addr: SocketAddr, case: Case, threads: usize, seconds: f64) -> (u64, f64) {
    let start = Arc::new(Barrier::new(threads + 1));
    let duration = Duration::from_secs_f64(seconds);
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let start = start.clone();
            thread::spawn(move || {
                let config = case.client();
                let mut ops = 0;
                match case {
                    Case::Handshakes(kind) => {
                        // Not counted: the full handshake that makes the
                        // session the others resume.
                        handshake(&config, addr, Kind::Full);
                        start.wait();
                        let deadline = Instant::now() + duration;
                        while Instant::now() < deadline {
                            handshake(&config, addr, kind);
                            ops += 1;
                        }
                    }
                    Case::Requests => {
                        let mut stream = connect(&config, addr);
                        let mut buf = Vec::with_capacity(4096);
                        request(&mut stream, &mut buf);
                        start.wait();
                        let deadline = Instant::now() + duration;
                        while Instant::now() < deadline {
                            request(&mut stream, &mut buf);
                            ops += 1;
                        }
                        stream.close().unwrap();
                    }
                    Case::STime(_) => unreachable!("not our client"),
                }
                ops
            })
        })
        .collect();
    start.wait();
    let began = Instant::now();
    let ops = workers.into_iter().map(|w| w.join().unwrap()).sum();
    (ops, began.elapsed().as_secs_f64())
}

/// `processes` runs of `openssl s_time` at once against `addr`, of whole
/// seconds (its `-time`); returns the handshakes and the wall-clock
/// seconds from the first start to the last exit. Each handshake is
/// checked by the letter s_time prints for it: `r` resumed, `*` new.
fn s_time(addr: SocketAddr, kind: Kind, processes: usize, seconds: f64) -> (u64, f64) {
    let began = Instant::now();
    let children: Vec<Child> = (0..processes)
        .map(|_| {
            Command::new("openssl")
                .args(["s_time", "-connect", &addr.to_string(), "-tls1_2"])
                .args(["-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"])
                .arg(if kind == Kind::Full { "-new" } else { "-reuse" })
                .args(["-time", &(seconds.ceil() as u64).max(1).to_string()])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!("openssl s_time ({e}): install the Debian package openssl")
                })
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let seconds = began.elapsed().as_secs_f64();
    let mut ops = 0;
    for out in outputs {
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "s_time: {}{stdout}",
            String::from_utf8_lossy(&out.stderr)
        );
        // After the letters: "N connections in T real seconds, ...".
        let line = stdout
            .lines()
            .find(|l| l.contains("real seconds"))
            .unwrap_or_else(|| panic!("s_time said {stdout:?}"));
        let n: u64 = line.split(' ').next().unwrap().parse().unwrap();
        let (new, resumed) =
            stdout
                .lines()
                .filter(|l| !l.contains(' '))
                .fold((0, 0), |(new, resumed), l| {
                    let count = |c| l.bytes().filter(|b| *b == c).count() as u64;
                    (new + count(b'*'), resumed + count(b'r'))
                });
        match kind {
            Kind::Full => assert_eq!((new, resumed), (n, 0), "s_time -new: {stdout}"),
            // The session's first, full handshake is outside the count
            // (and so, it seems, is one resumed one).
            _ => assert!(new <= 1 && resumed >= n, "s_time -reuse: {stdout}"),
        }
        ops += n;
    }
    (ops, seconds)
}

/// The value after `--flag` among the arguments, or `default`.
fn option<T: std::str::FromStr>(flag: &str, default: T) -> T {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == flag) {
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{flag} needs a number")),
        None => default,
    }
}

/// Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`).
fn ticks_per_second() -> f64 {
    let out = Command::new("getconf").arg("CLK_TCK").output();
    let out = out.unwrap_or_else(|e| panic!("getconf (package libc-bin): {e}"));
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

fn main() -> io::Result<()> {
    let threads = option("--threads", 4);
    let seconds = option("--seconds", 3.0);
    let rounds = option("--rounds", 3);
    let ticks = ticks_per_second();
    let dir = std::env::temp_dir().join(format!("tls12-bench-nginx-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;

    let ours = start_ours(&dir);
    // nginx's answer is as long as our page.
    let mut page = connect(&Case::Requests.client(), ours.addr);
    let length = request(&mut page, &mut Vec::new());
    page.close()?;
    let body = "x".repeat(length - 1) + "\\n";
    let nginx = start_nginx(&dir, &body);

    println!(
        "{threads} client threads, {rounds} rounds of {seconds} s per case and server, \
         answers of {length} bytes"
    );
    let mut totals = [[Tally::default(); 2]; CASES_MEASURED.len()];
    let servers = [&ours, &nginx];
    for round in 0..rounds {
        for (case, total) in CASES_MEASURED.iter().zip(&mut totals) {
            let mut tallies = [Tally::default(); 2];
            // Who goes first alternates from round to round.
            for i in [round % 2, 1 - round % 2] {
                tallies[i] = measure(servers[i], *case, threads, seconds);
                total[i].add(tallies[i]);
            }
            println!(
                "  round {}: {:<22} ours {:>8.0}/s  nginx {:>8.0}/s  ratio {:.2}",
                round + 1,
                case.name(),
                tallies[0].per_second(),
                tallies[1].per_second(),
                tallies[0].per_second() / tallies[1].per_second(),
            );
        }
    }
    println!(
        "{:<22} {:>9} {:>9} {:>6}   {:>10} {:>10} {:>6}   {:>10}",
        "case", "ours/s", "nginx/s", "ratio", "server µs", "(nginx)", "ratio", "client µs"
    );
    for (case, [o, n]) in CASES_MEASURED.iter().zip(&totals) {
        let server = |t: &Tally| t.us_per_op(t.server_ticks, ticks);
        let client = |t: &Tally| t.us_per_op(t.client_ticks, ticks);
        println!(
            "{:<22} {:>9.0} {:>9.0} {:>6.2}   {:>10.1} {:>10.1} {:>6.2}   {:>4.0}, {:>4.0}",
            case.name(),
            o.per_second(),
            n.per_second(),
            o.per_second() / n.per_second(),
            server(o),
            server(n),
            server(o) / server(n),
            client(o),
            client(n),
        );
    }
    println!(
        "(rates: higher is better; CPU time per operation, the server's, and the \
         client's with ours and with nginx: lower is better)"
    );
    for server in servers {
        let lines = server.log_lines();
        if !lines.is_empty() {
            println!("{} logged {} lines, the first:", server.name, lines.len());
            for line in lines.iter().take(3) {
                println!("  {line}");
            }
        }
    }
    drop(ours);
    drop(nginx);
    std::fs::remove_dir_all(&dir)
}
