//! Handshake cost, ours next to rustls 0.23 (ring provider) in the same
//! run: full handshakes (RFC 5246 §7.3, Figure 1) with an ECDSA P-256 and
//! an RSA-2048 certificate, and abbreviated ones (Figure 2) resuming by
//! session id (§7.4.1.2) and by ticket (RFC 5077).
//!
//! Each iteration makes a client and a server connection and pumps bytes
//! between them in memory (no sockets) until both have completed the
//! handshake, so one iteration is the CPU cost of *both* ends. Both stacks
//! get the same suite, the same ECDHE group (x25519), the same single
//! signature scheme, and the same certificates, keys and roots from
//! test-data/.
//!
//! The resumed benchmarks first make one full handshake to fill each
//! side's store, then check on every iteration, for both stacks, that the
//! handshake did resume: a benchmark that silently made full handshakes
//! would be measuring the wrong thing.
//!
//! Run with `cargo bench --bench handshake`.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{handshake_ours, handshake_rustls, our_configs, rustls_configs, Kind, CASES};
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use tls12::{Connection, ServerConfig};

// ---------------------------------------------------------------------------

/// Benchmarks `handshake` after one priming handshake; `resumed` is what
/// both sides must report on every measured handshake.
fn bench<M: criterion::measurement::Measurement>(
    group: &mut BenchmarkGroup<'_, M>,
    stack: &str,
    resumed: bool,
    mut handshake: impl FnMut() -> (bool, bool),
) {
    assert_eq!(
        handshake(),
        (false, false),
        "{stack}: the priming handshake"
    );
    assert_eq!(handshake(), (resumed, resumed), "{stack}: after priming");
    group.bench_function(stack, |b| {
        b.iter(|| {
            let sides = handshake();
            assert_eq!(sides, (resumed, resumed), "{stack}");
        })
    });
}

fn handshakes(c: &mut Criterion) {
    for kind in [Kind::Full, Kind::ResumedById, Kind::ResumedByTicket] {
        for case in &CASES {
            let mut group = c.benchmark_group(format!("{}/{}", kind.name(), case.name));
            group
                .sample_size(30)
                .warm_up_time(Duration::from_secs(1))
                .measurement_time(Duration::from_secs(3));
            let resumed = kind != Kind::Full;
            let (client, server) = our_configs(case, kind);
            bench(&mut group, "tls12", resumed, || {
                handshake_ours(&client, &server)
            });
            let (client, server) = rustls_configs(case, kind);
            bench(&mut group, "rustls", resumed, || {
                handshake_rustls(&client, &server)
            });
            group.finish();
        }
    }
}

// ---------------------------------------------------------------------------
// The worst ClientHello a peer can send (RFC 5246 §7.4.1.2): every vector
// full, 131396 bytes, 32767 cipher suites and 16383 distinct extensions.
// Every check on it must be linear in its size, so that answering it costs
// the server about what a normal hello costs plus the copying (issue 11:
// the duplicate-extension check once made it cost several handshakes).

#[path = "../tests/common/hello.rs"]
mod hello;

/// `msg` as plaintext handshake records of at most 2^14 bytes (§6.2.1).
fn plaintext_records(msg: &[u8]) -> Vec<u8> {
    use tls12::record_layer::record::{write_record, ContentType, ProtocolVersion, MAX_PLAINTEXT};
    let mut out = Vec::new();
    for chunk in msg.chunks(MAX_PLAINTEXT) {
        write_record(
            &mut out,
            ContentType::Handshake,
            ProtocolVersion::TLS1_2,
            chunk,
            0,
            0,
        );
    }
    out
}

/// A fresh server answering `wire` (a ClientHello's records) with its
/// first flight; returns how many bytes it wrote.
fn answer_hello(server: &Arc<ServerConfig>, wire: &[u8]) -> usize {
    let mut s = Connection::server(server.clone());
    let mut rest = wire;
    while !rest.is_empty() {
        s.read_tls(&mut rest).unwrap();
        s.process_new_packets().unwrap();
    }
    let mut out = Vec::new();
    while s.wants_write() {
        s.write_tls(&mut out).unwrap();
    }
    out.len()
}

fn worst_client_hello(c: &mut Criterion) {
    use tls12::handshake::messages::{HandshakeMessage, HandshakePayload};
    let case = &CASES[0];
    let (client, server) = our_configs(case, Kind::Full);
    let mut first = Connection::client(client, "localhost").unwrap();
    let mut wire = Vec::new();
    while first.wants_write() {
        first.write_tls(&mut wire).unwrap();
    }
    let real = HandshakeMessage::decode(wire[5..].to_vec()).unwrap();
    let HandshakePayload::ClientHello(hello) = &real.payload else {
        panic!("not a ClientHello");
    };
    let body = hello::largest_client_hello_body(hello);
    let mut largest = vec![1, 0, 0, 0];
    largest[1..4].copy_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes()[1..]);
    largest.extend_from_slice(&body);
    let largest = plaintext_records(&largest);

    let mut group = c.benchmark_group(format!("server_first_flight/{}", case.name));
    group
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("normal_client_hello", |b| {
        b.iter(|| assert!(answer_hello(&server, &wire) > 0))
    });
    group.bench_function("largest_client_hello", |b| {
        b.iter(|| assert!(answer_hello(&server, &largest) > 0))
    });
    group.finish();
}

criterion_group!(benches, handshakes, worst_client_hello);
criterion_main!(benches);
