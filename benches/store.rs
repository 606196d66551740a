//! What a `FileStore` put costs under each `Durability` choice: the price
//! a server pays per full handshake to keep the session on disk.
//!
//! - `every_write`: the temporary file and the directory are flushed
//!   (two fsyncs) before `put` returns;
//! - `directory_every_1s` (the default): no fsync on the put's path, the
//!   directory flushed by the first put of each second;
//! - `get`: a lookup of a stored session (open, check owner and mode,
//!   read, decode).
//!
//! Each put stores a new session, as a full handshake does, so eviction
//! (at 10 000 files, down to 9 000) is part of the cost. The directory is
//! a fresh one under the system's temporary directory, removed at the end;
//! the numbers depend on its file system (tmpfs makes fsync free).
//!
//! Run with `cargo bench --bench store`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use tls12::record_layer::secret::MasterSecret;
use tls12::session_store::{Durability, FileStore, FileStoreOptions, ServerSessionStore};
use tls12::{system_clock, CipherSuite, Session, SessionId};

fn session(n: u64) -> Arc<Session> {
    let mut id = [0u8; 32];
    id[..8].copy_from_slice(&n.to_be_bytes());
    Arc::new(Session::new(
        SessionId::new(&id).unwrap(),
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        MasterSecret::from_bytes([7; 48]),
        true,
        Vec::new(),
        Some("localhost".into()),
        (system_clock())(),
    ))
}

fn store_puts(c: &mut Criterion) {
    // Under the working directory's target/, not /tmp: often a tmpfs,
    // where fsync costs nothing and the comparison would say nothing.
    let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-store");
    let next = AtomicU64::new(0);
    let mut group = c.benchmark_group("file_store");
    for (name, durability) in [
        ("every_write", Durability::EveryWrite),
        ("directory_every_1s", Durability::DirectoryEvery(1)),
    ] {
        let dir = base.join(name);
        let _ = std::fs::remove_dir_all(&dir);
        let options = FileStoreOptions {
            durability,
            ..FileStoreOptions::default()
        };
        let store = FileStore::with_options(&dir, system_clock(), options).unwrap();
        group.bench_function(format!("put_{name}"), |b| {
            b.iter(|| {
                store
                    .put(session(next.fetch_add(1, Ordering::Relaxed)))
                    .unwrap()
            })
        });
        if durability == Durability::EveryWrite {
            let kept = session(u64::MAX);
            store.put(kept.clone()).unwrap();
            group.bench_function("get", |b| {
                b.iter(|| assert!(store.get(&kept.session_id).unwrap().is_some()))
            });
        }
    }
    group.finish();
    let _ = std::fs::remove_dir_all(&base);
}

criterion_group!(benches, store_puts);
criterion_main!(benches);
