//! Heap bytes one established connection holds while it waits for its
//! peer: ours next to rustls 0.23, same suite, group, certificates and
//! keys (see `benches/common`), full handshakes, no session stores.
//!
//! A counting global allocator keeps the bytes live at each moment. For
//! each stack and certificate type, the bench opens `N` client/server pairs
//! and reads the count: after the handshake, and again after one 16 KiB
//! application-data record each way (written, carried to the peer, read
//! out by the application). Dropping the clients first splits the total
//! between the client side and the server side. The connection structs
//! themselves are counted (they live in a `Vec` allocated after the first
//! reading); the configurations, shared by every connection, are not.
//!
//! Ours is measured twice: as sans-I/O [`tls12::Connection`]s in memory
//! that call `release_idle_buffers` when they would wait (what the async
//! stream does whenever its socket is not ready), and as blocking
//! [`tls12::Stream`]s over loopback TCP, each measured where a thread
//! serving it sits: in a read that found nothing on the socket (made
//! non-blocking for that one read, so that the bench need not wait). The
//! sockets' kernel buffers are not heap and are not counted. rustls's
//! connections are in memory, and keep their buffers.
//!
//! Run with `cargo bench --bench memory` (or `-- 2000` for another `N`).

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use tls12::Stream;

use common::{our_configs, pair_ours, pair_rustls, rustls_configs, transfer_ours, Kind};
use common::{transfer_rustls, CASES};

/// The system allocator, counting the bytes it has handed out and not yet
/// been given back.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call goes to `System` unchanged; the counter is only
// arithmetic on the sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_add(new_size, Ordering::Relaxed);
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// One application-data record's worth of plaintext (§6.2.1: 2^14).
const RECORD: usize = 16 * 1024;

/// Bytes per connection, each side.
#[derive(Clone, Copy)]
struct PerConnection {
    client: usize,
    server: usize,
}

/// What one stack does for the measurement.
trait Stack {
    type Client;
    type Server;
    fn pair(&self) -> (Self::Client, Self::Server);
    /// One 16 KiB record from the client to the server and one back, each
    /// read out by the receiving application.
    fn exchange(&self, c: &mut Self::Client, s: &mut Self::Server, wire: &mut Vec<u8>);
}

/// Opens `n` pairs (and with `records`, exchanges a record each way on
/// each), and returns the heap bytes per client and per server connection.
fn measure<T: Stack>(stack: &T, n: usize, records: bool) -> PerConnection {
    let mut wire = Vec::with_capacity(2 * RECORD);
    let before = live();
    let mut clients = Vec::with_capacity(n);
    let mut servers = Vec::with_capacity(n);
    for _ in 0..n {
        let (mut c, mut s) = stack.pair();
        if records {
            stack.exchange(&mut c, &mut s, &mut wire);
        }
        clients.push(c);
        servers.push(s);
    }
    let both = live() - before;
    drop(clients);
    let servers_only = live() - before;
    drop(servers);
    PerConnection {
        client: (both - servers_only) / n,
        server: servers_only / n,
    }
}

/// Our configs, for sans-I/O connections that give back their empty
/// buffers once idle ([`tls12::Connection::release_idle_buffers`], as the
/// async stream does whenever its socket is not ready).
struct Ours(Arc<tls12::ClientConfig>, Arc<tls12::ServerConfig>);

impl Stack for Ours {
    type Client = tls12::Connection;
    type Server = tls12::Connection;

    fn pair(&self) -> (Self::Client, Self::Server) {
        let (mut c, mut s) = pair_ours(&self.0, &self.1);
        c.release_idle_buffers();
        s.release_idle_buffers();
        (c, s)
    }

    fn exchange(&self, c: &mut Self::Client, s: &mut Self::Server, wire: &mut Vec<u8>) {
        let mut plaintext = vec![0x5a; RECORD];
        c.write_application_data(&plaintext).unwrap();
        transfer_ours(c, s, wire);
        assert_eq!(s.read_application_data(&mut plaintext), RECORD);
        s.write_application_data(&plaintext).unwrap();
        transfer_ours(s, c, wire);
        assert_eq!(c.read_application_data(&mut plaintext), RECORD);
        c.release_idle_buffers();
        s.release_idle_buffers();
    }
}

/// Our configs, for blocking [`Stream`]s over loopback TCP.
struct Streams(
    Arc<tls12::ClientConfig>,
    Arc<tls12::ServerConfig>,
    TcpListener,
);

/// Brings `stream` to where a thread serving it waits: a read with nothing
/// on the socket.
fn wait(stream: &mut Stream<TcpStream>) {
    stream.get_mut().set_nonblocking(true).unwrap();
    let nothing = stream.read(&mut [0; 1]).unwrap_err();
    assert_eq!(nothing.kind(), ErrorKind::WouldBlock, "{nothing}");
    stream.get_mut().set_nonblocking(false).unwrap();
}

impl Stack for Streams {
    type Client = Stream<TcpStream>;
    type Server = Stream<TcpStream>;

    fn pair(&self) -> (Self::Client, Self::Server) {
        let (mut c, mut s) = thread::scope(|scope| {
            let server = scope.spawn(|| {
                let (sock, _) = self.2.accept().unwrap();
                Stream::accept(self.1.clone(), sock).unwrap()
            });
            let sock = TcpStream::connect(self.2.local_addr().unwrap()).unwrap();
            let client = Stream::connect(self.0.clone(), "localhost", sock).unwrap();
            (client, server.join().unwrap())
        });
        wait(&mut c);
        wait(&mut s);
        (c, s)
    }

    fn exchange(&self, c: &mut Self::Client, s: &mut Self::Server, _: &mut Vec<u8>) {
        let mut plaintext = vec![0x5a; RECORD];
        c.write_all(&plaintext).unwrap();
        s.read_exact(&mut plaintext).unwrap();
        s.write_all(&plaintext).unwrap();
        c.read_exact(&mut plaintext).unwrap();
        wait(c);
        wait(s);
    }
}

struct Rustls(Arc<rustls::ClientConfig>, Arc<rustls::ServerConfig>);

impl Stack for Rustls {
    type Client = rustls::ClientConnection;
    type Server = rustls::ServerConnection;

    fn pair(&self) -> (Self::Client, Self::Server) {
        pair_rustls(&self.0, &self.1)
    }

    fn exchange(&self, c: &mut Self::Client, s: &mut Self::Server, wire: &mut Vec<u8>) {
        let mut plaintext = vec![0x5a; RECORD];
        c.writer().write_all(&plaintext).unwrap();
        transfer_rustls(c, s, wire);
        s.reader().read_exact(&mut plaintext).unwrap();
        s.writer().write_all(&plaintext).unwrap();
        transfer_rustls(s, c, wire);
        c.reader().read_exact(&mut plaintext).unwrap();
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a number among the arguments is N.
    let n = std::env::args()
        .filter_map(|a| a.parse().ok())
        .next()
        .unwrap_or(500);
    println!(
        "heap bytes per established connection waiting for its peer, {n} pairs, full handshakes"
    );
    println!(
        "{:<24} {:<18} {:>16} {:>16} {:>22} {:>22}",
        "case", "stack", "client", "server", "client +16K each way", "server +16K each way"
    );
    for case in &CASES {
        let row = |stack: &str, idle: PerConnection, used: PerConnection| {
            println!(
                "{:<24} {:<18} {:>16} {:>16} {:>22} {:>22}",
                case.name, stack, idle.client, idle.server, used.client, used.server
            );
        };
        let (client, server) = our_configs(case, Kind::Full);
        let ours = Ours(client.clone(), server.clone());
        let streams = Streams(client, server, TcpListener::bind("127.0.0.1:0").unwrap());
        let (client, server) = rustls_configs(case, Kind::Full);
        let theirs = Rustls(client, server);
        // A first round, not counted: anything made once on first use
        // (lazily built tables, a thread's caches) is not a connection's.
        measure(&ours, 1, true);
        measure(&streams, 1, true);
        measure(&theirs, 1, true);
        row(
            "ours, Connection",
            measure(&ours, n, false),
            measure(&ours, n, true),
        );
        row(
            "ours, Stream",
            measure(&streams, n, false),
            measure(&streams, n, true),
        );
        row(
            "rustls",
            measure(&theirs, n, false),
            measure(&theirs, n, true),
        );
    }
}
