//! Requests per second for the axum example's app (examples/axum_server.rs:
//! the same router, page and hyper-util auto builder) served over tls12's
//! `TlsAcceptor` and over tokio-rustls's, in one process, same run (issue
//! 23).
//!
//! Each server runs on a thread of its own (a single-threaded tokio
//! runtime); the load comes from another thread: our hyper client over
//! `TlsConnector`, the same for both servers, with `--connections`
//! connections at once, each with one request in flight. Both servers use
//! TLS 1.2, ECDHE-ECDSA-AES128-GCM-SHA256 over x25519 (benches/common), a
//! session cache, and offer ALPN h2 and http/1.1. Three cases:
//!
//! - `h2 keep-alive`: GET / over HTTP/2, many requests per connection;
//! - `http/1.1 keep-alive`: the same over HTTP/1.1;
//! - `http/1.1 resumed`: one request per connection (`Connection: close`),
//!   each connection resuming the session by id (RFC 5246 §7.3, Figure 2).
//!
//! Each case alternates the two servers, round after round, so that a busy
//! moment of the machine falls on both. Printed: requests per second, the
//! ratio tls12/rustls, and the server thread's own CPU time per request
//! (user + system, /proc), which the client's share of the cores does not
//! blur.
//!
//! Run with `cargo bench --bench web` (options after `--`: `--connections
//! N`, `--seconds S` per measurement, `--rounds R`); about 40 s.

mod common;

use std::net::SocketAddr;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{our_configs, rustls_configs, Kind, CASES};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::Request;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tls12::{ClientConfig, TlsAcceptor, TlsConnector};
use tokio::net::{TcpListener, TcpStream};

// The example's app, page and HTTP serving; its `main` goes unused here.
#[allow(dead_code)]
#[path = "../examples/axum_server.rs"]
mod axum_server;

use axum_server::{serve_http, TlsInfo, ALPN};

/// The two TLS stacks under the same app.
#[derive(Clone, Copy)]
enum Stack {
    Tls12,
    Rustls,
}

/// A server thread: where it listens and its thread id, for its CPU time.
struct Server {
    addr: SocketAddr,
    tid: String,
}

/// Starts the app over `stack` on a thread with its own runtime.
fn start(stack: Stack) -> Server {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            // "/proc/thread-self" links to "PID/task/TID".
            let link = std::fs::read_link("/proc/thread-self").unwrap();
            let tid = link.file_name().unwrap().to_string_lossy().into_owned();
            tx.send(Server {
                addr: listener.local_addr().unwrap(),
                tid,
            })
            .unwrap();
            match stack {
                Stack::Tls12 => serve_tls12(listener).await,
                Stack::Rustls => serve_rustls(listener).await,
            }
        })
    });
    rx.recv().unwrap()
}

/// The example's accept loop, over our acceptor.
async fn serve_tls12(listener: TcpListener) {
    let (_, config) = our_configs(&CASES[0], Kind::ResumedById);
    let mut config = (*config).clone();
    config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let app = axum_server::app();
    loop {
        let (tcp, peer) = listener.accept().await.unwrap();
        let (acceptor, app) = (acceptor.clone(), app.clone());
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            if let Some(info) = TlsInfo::of(tls.connection(), peer) {
                let _ = serve_http(tls, info, app).await;
            }
        });
    }
}

/// The same loop over tokio-rustls; rustls tells no randoms nor session
/// id, so the page shows less there (its length differs by a few bytes).
async fn serve_rustls(listener: TcpListener) {
    let (_, config) = rustls_configs(&CASES[0], Kind::ResumedById);
    let mut config = (*config).clone();
    config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let app = axum_server::app();
    loop {
        let (tcp, peer) = listener.accept().await.unwrap();
        let (acceptor, app) = (acceptor.clone(), app.clone());
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let conn = tls.get_ref().1;
            let info = TlsInfo {
                peer,
                alpn: conn
                    .alpn_protocol()
                    .map(|p| String::from_utf8_lossy(p).into_owned()),
                cipher_suite: conn
                    .negotiated_cipher_suite()
                    .and_then(|s| s.suite().as_str())
                    .unwrap_or("?"),
                client_random: "(not told)".into(),
                server_random: "(not told)".into(),
                session_id: "(not told)".into(),
                resumed: conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed),
            };
            let _ = serve_http(tls, info, app).await;
        });
    }
}

/// What the load does.
#[derive(Clone, Copy)]
enum Load {
    H2KeepAlive,
    Http1KeepAlive,
    Http1Resumed,
}

impl Load {
    const ALL: [Load; 3] = [Load::H2KeepAlive, Load::Http1KeepAlive, Load::Http1Resumed];

    fn name(self) -> &'static str {
        match self {
            Load::H2KeepAlive => "h2 keep-alive",
            Load::Http1KeepAlive => "http/1.1 keep-alive",
            Load::Http1Resumed => "http/1.1 resumed",
        }
    }

    /// A client config (with its own session store) for this load.
    fn connector(self) -> TlsConnector {
        let (config, _) = our_configs(&CASES[0], Kind::ResumedById);
        let mut config: ClientConfig = (*config).clone();
        config.alpn_protocols = match self {
            Load::H2KeepAlive => vec![b"h2".to_vec()],
            _ => vec![b"http/1.1".to_vec()],
        };
        TlsConnector::from(Arc::new(config))
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn get(authority: &str, close: bool) -> Request<Empty<Bytes>> {
    let mut request = Request::get("/").header(hyper::header::HOST, authority);
    if close {
        request = request.header(hyper::header::CONNECTION, "close");
    }
    request.body(Empty::new()).unwrap()
}

/// One client connection's requests until `until`: how many got a 200.
async fn one_connection(
    load: Load,
    connector: TlsConnector,
    addr: SocketAddr,
    until: Instant,
) -> Result<u64, BoxError> {
    let authority = format!("localhost:{}", addr.port());
    let mut done = 0;
    while Instant::now() < until {
        let tcp = TcpStream::connect(addr).await?;
        tcp.set_nodelay(true)?;
        let tls = TokioIo::new(connector.connect("localhost", tcp).await?);
        match load {
            Load::H2KeepAlive => {
                let (mut sender, conn) =
                    hyper::client::conn::http2::handshake(TokioExecutor::new(), tls).await?;
                tokio::spawn(conn);
                let url = format!("https://{authority}/");
                while Instant::now() < until {
                    let request = Request::get(url.as_str()).body(Empty::<Bytes>::new())?;
                    done += answered(sender.send_request(request).await?).await?;
                }
            }
            Load::Http1KeepAlive | Load::Http1Resumed => {
                let close = matches!(load, Load::Http1Resumed);
                let (mut sender, conn) = hyper::client::conn::http1::handshake(tls).await?;
                let conn = tokio::spawn(conn);
                loop {
                    done += answered(sender.send_request(get(&authority, close)).await?).await?;
                    if close || Instant::now() >= until {
                        break;
                    }
                }
                drop(sender);
                conn.await??;
            }
        }
    }
    Ok(done)
}

/// 1 for a 200 whose body (the page) was read whole.
async fn answered(response: hyper::Response<hyper::body::Incoming>) -> Result<u64, BoxError> {
    let ok = response.status() == hyper::StatusCode::OK;
    let body = response.into_body().collect().await?.to_bytes();
    Ok(u64::from(ok && body.windows(7).any(|w| w == b"<table>")))
}

/// `connections` clients on one thread for `seconds`: requests answered.
fn drive(load: Load, addr: SocketAddr, connections: usize, seconds: f64) -> u64 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let connector = load.connector();
    runtime.block_on(async {
        let until = Instant::now() + Duration::from_secs_f64(seconds);
        let tasks: Vec<_> = (0..connections)
            .map(|_| tokio::spawn(one_connection(load, connector.clone(), addr, until)))
            .collect();
        let mut total = 0;
        for task in tasks {
            total += task
                .await
                .unwrap()
                .unwrap_or_else(|e| panic!("{}: {e}", load.name()));
        }
        total
    })
}

/// utime + stime (proc(5) fields 14 and 15, clock ticks) of thread `tid`.
fn thread_ticks(tid: &str) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).unwrap();
    // The fields after "(comm)", which may hold spaces; field 14 is the
    // 12th after it.
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    after
        .split(' ')
        .skip(11)
        .take(2)
        .map(|f| f.parse::<u64>().unwrap())
        .sum()
}

/// Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`).
fn ticks_per_second() -> f64 {
    let out = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output();
    let out = out.unwrap_or_else(|e| panic!("getconf (package libc-bin): {e}"));
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// `--name VALUE` from the command line, or `default`.
fn option<T: std::str::FromStr>(name: &str, default: T) -> T {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name) {
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} needs a value")),
        None => default,
    }
}

/// Requests and server CPU ticks over one measurement.
#[derive(Default)]
struct Tally {
    requests: u64,
    seconds: f64,
    ticks: u64,
}

fn main() {
    let connections = option("--connections", 4);
    let seconds = option("--seconds", 3.0);
    let rounds = option("--rounds", 2);
    let ticks = ticks_per_second();
    let servers = [start(Stack::Tls12), start(Stack::Rustls)];
    println!(
        "axum app, TLS 1.2 ECDHE-ECDSA-AES128-GCM-SHA256, {connections} connections, \
         {rounds} x {seconds} s per server and case\n"
    );
    println!(
        "{:<22} {:>12} {:>12} {:>7}   server CPU µs/request: tls12  rustls",
        "case", "tls12 req/s", "rustls req/s", "ratio"
    );
    for load in Load::ALL {
        let mut tallies = [Tally::default(), Tally::default()];
        for _ in 0..rounds {
            for (server, tally) in servers.iter().zip(&mut tallies) {
                let (before, start) = (thread_ticks(&server.tid), Instant::now());
                tally.requests += drive(load, server.addr, connections, seconds);
                tally.seconds += start.elapsed().as_secs_f64();
                tally.ticks += thread_ticks(&server.tid) - before;
            }
        }
        let rate = |t: &Tally| t.requests as f64 / t.seconds;
        let cpu = |t: &Tally| t.ticks as f64 / ticks * 1e6 / t.requests.max(1) as f64;
        let [ours, rustls] = &tallies;
        println!(
            "{:<22} {:>12.0} {:>12.0} {:>7.2}   {:>28.1} {:>7.1}",
            load.name(),
            rate(ours),
            rate(rustls),
            rate(ours) / rate(rustls),
            cpu(ours),
            cpu(rustls),
        );
    }
}
