//! The async example server (`examples/async_server.rs`, two worker
//! threads) holding 5,000 idle TLS connections on loopback, each of which
//! then answers a request correctly; the server's resident memory
//! (VmRSS) is printed before, with the connections idle, and after the
//! requests, and bounded per connection.
//!
//! To stay within seconds on a 2-core CI machine in the debug profile, one
//! connection makes a full handshake and the other 4,999 resume its
//! session by id (RFC 5246 §7.3, Figure 2): a resumed handshake has the
//! same records, keys and buffers as a full one, without the certificate
//! and ECDHE work. The connections are made by our blocking client in a
//! few threads. The test needs about 10,500 open files in each process
//! (`ulimit -n`): it raises its soft limit up to the hard one, and says so
//! if that is not enough.
//!
//! `cargo test` builds the example; `cargo test --test async_load` alone
//! does not (run `cargo build --examples` first).

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use tls12::session_store::MemoryStore;
use tls12::{ClientConfig, Stream};

/// Connections held open at once.
const CONNECTIONS: usize = 5000;

/// Client threads making them.
const THREADS: usize = 4;

/// How long one socket operation may wait before the client gives up, so
/// that the test ends by itself even if the server stops answering.
const SOCKET_TIMEOUT: Duration = Duration::from_secs(30);

/// What one idle connection may add to the server's resident memory, at
/// most: the measured figure is printed, and is well under this.
const MAX_RSS_PER_CONNECTION: usize = 32 * 1024;

/// The soft limit on open files, from /proc/self/limits.
fn open_files_limit() -> usize {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    let soft = line.split_whitespace().nth(3).unwrap();
    soft.parse().unwrap_or(usize::MAX)
}

/// Raises this process's soft limit on open files to `needed` if it is
/// lower (an unprivileged process may, up to its hard limit), with
/// util-linux's `prlimit`; the server started afterwards inherits it.
fn raise_open_files_limit(needed: usize) {
    if open_files_limit() >= needed {
        return;
    }
    let status = std::process::Command::new("prlimit")
        .arg(format!("--pid={}", std::process::id()))
        .arg(format!("--nofile={needed}:"))
        .status();
    if let Err(e) = status {
        panic!("prlimit (package util-linux): {e}");
    }
}

/// VmRSS of process `pid`, in bytes.
fn resident(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: usize = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib * 1024
}

/// A new connection to `server`, handshake complete.
fn connect(config: &Arc<ClientConfig>, server: SocketAddr) -> Stream<TcpStream> {
    let sock = TcpStream::connect_timeout(&server, SOCKET_TIMEOUT).unwrap();
    sock.set_read_timeout(Some(SOCKET_TIMEOUT)).unwrap();
    sock.set_write_timeout(Some(SOCKET_TIMEOUT)).unwrap();
    let name = format!("localhost:{}", server.port());
    Stream::connect(config.clone(), &name, sock).unwrap_or_else(|e| panic!("handshake: {e}"))
}

/// The value of a `  name:   value` line of the example server's page.
fn field<'a>(page: &'a str, name: &str) -> &'a str {
    page.lines()
        .find_map(|l| l.trim_start().strip_prefix(name))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no {name:?} on the page:\n{page}"))
}

/// One keep-alive `GET /` on `stream`: the page, whole (by its
/// Content-Length), checked against what our side knows of the connection.
fn request(stream: &mut Stream<TcpStream>) {
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut response = Vec::new();
    let mut chunk = [0u8; 4096];
    let (head, body_start) = loop {
        let n = stream.read(&mut chunk).unwrap();
        assert!(n > 0, "the server closed before answering");
        response.extend_from_slice(&chunk[..n]);
        if let Some(end) = response.windows(4).position(|w| w == b"\r\n\r\n") {
            break (
                String::from_utf8(response[..end].to_vec()).unwrap(),
                end + 4,
            );
        }
    };
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .unwrap()
        .parse()
        .unwrap();
    while response.len() < body_start + length {
        let n = stream.read(&mut chunk).unwrap();
        assert!(n > 0, "the server closed inside its answer");
        response.extend_from_slice(&chunk[..n]);
    }
    let page = std::str::from_utf8(&response[body_start..]).unwrap();
    let me = stream.get_ref().local_addr().unwrap().to_string();
    assert_eq!(field(page, "peer address:"), me);
    let est = stream.connection().established().unwrap();
    let random = hex::encode(est.client_random.0);
    assert_eq!(field(page, "client random:"), random);
    let kind = if est.resumed {
        "resumed"
    } else {
        "new (full handshake)"
    };
    assert_eq!(field(page, "this handshake:"), kind);
}

#[test]
fn five_thousand_idle_connections_then_a_request_on_each() {
    // The server and this process each hold one socket per connection.
    let needed = 2 * CONNECTIONS + 500;
    raise_open_files_limit(needed);
    assert!(
        open_files_limit() >= needed,
        "this test needs {needed} open files per process: raise the limit (`ulimit -n {needed}`)"
    );
    let (server, addr) = common::example_server::start_example(
        "async_server",
        &[
            "--session-cache",
            "memory",
            "--workers",
            "2",
            "--max-connections",
            "6000",
            "--request-timeout",
            "300",
            "--timeout",
            "300",
        ],
    );
    let pid = server.id();

    let mut config = common::client_config();
    config.enable_tickets = false;
    config.session_store = Some(Arc::new(MemoryStore::new(4)));
    let config = Arc::new(config);
    let began = Instant::now();
    let first = connect(&config, addr);
    assert!(!first.connection().established().unwrap().resumed);
    let before = resident(pid);

    let per_thread = (CONNECTIONS - 1) / THREADS;
    let threads: Vec<_> = (0..THREADS)
        .map(|i| {
            let config = config.clone();
            let count = per_thread + usize::from(i < (CONNECTIONS - 1) % THREADS);
            thread::spawn(move || {
                (0..count)
                    .map(|_| connect(&config, addr))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut streams = vec![first];
    for t in threads {
        streams.extend(t.join().unwrap());
    }
    assert_eq!(streams.len(), CONNECTIONS);
    let handshakes_done = began.elapsed();
    let resumed = streams
        .iter()
        .filter(|s| s.connection().established().unwrap().resumed)
        .count();
    assert_eq!(resumed, CONNECTIONS - 1);
    // Let the server's tasks settle into waiting for their first request.
    thread::sleep(Duration::from_millis(200));
    let idle = resident(pid);

    let chunks: Vec<Vec<_>> = {
        let mut chunks = Vec::new();
        while !streams.is_empty() {
            let rest = streams.split_off(streams.len().min(per_thread + 1));
            chunks.push(std::mem::replace(&mut streams, rest));
        }
        chunks
    };
    let threads: Vec<_> = chunks
        .into_iter()
        .map(|mut chunk| {
            thread::spawn(move || {
                chunk.iter_mut().for_each(request);
                chunk
            })
        })
        .collect();
    let mut streams = Vec::new();
    for t in threads {
        streams.extend(t.join().unwrap());
    }
    let answered = resident(pid);
    println!(
        "{CONNECTIONS} connections ({resumed} resumed) in {handshakes_done:?}, all answered \
         after {:?}; server VmRSS: {} KiB with one connection, {} KiB with all idle, \
         {} KiB after a request on each ({} bytes per idle connection)",
        began.elapsed(),
        before / 1024,
        idle / 1024,
        answered / 1024,
        (idle.saturating_sub(before)) / CONNECTIONS,
    );
    for s in &mut streams {
        s.close().unwrap();
    }
    for (what, rss) in [("idle", idle), ("after the requests", answered)] {
        let per_connection = rss.saturating_sub(before) / CONNECTIONS;
        assert!(
            per_connection < MAX_RSS_PER_CONNECTION,
            "{what}: {per_connection} bytes of resident memory per connection"
        );
    }
    drop(server);
}
