//! The demo (`cargo run --example demo`) tells a story about connections
//! and sessions; these tests run the built example and check that every
//! fact it prints holds: which connection resumed which session, that a
//! resumed connection has the session's master secret but keys of its own
//! (RFC 5246 §6.3), that a renegotiation keeps the socket and replaces the
//! session, that a fatal alert ends the session (§7.2.2), and that an
//! abbreviated handshake costs less than a full one, and that a second
//! server sharing the first one's store resumes its session. Chapter 10's
//! claims about TLS 1.3 (rustls, in memory) are checked against the key
//! log rustls writes to `SSLKEYLOGFILE`.
//!
//! The demo prints secrets only as fingerprints (the first 8 bytes of their
//! SHA-256). With `--trace --trace-secrets` the library's tracer prints the
//! secrets themselves; the second test hashes those here, with ring, and
//! checks them against the demo's table.

mod common;

use std::collections::HashSet;
use std::process::Command;
use std::time::Duration;

use common::{ChildGuard, Finished};

/// The whole demo, eight connections and 60 in-memory handshakes, takes
/// well under a second; this allows for a slow, busy machine.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Runs the demo with `args` to its end; it must succeed.
fn run_demo(args: &[&str]) -> Finished {
    let mut demo = ChildGuard::spawn(Command::new(common::example_binary("demo")).args(args));
    let out = demo.finish(TIMEOUT);
    assert!(out.status.success(), "the demo failed: {out:#?}");
    out
}

/// One row of the table in chapter 7, "Connections × sessions".
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    conn: String,
    local_port: u16,
    /// Shortened: the first 12 hex digits of the id and "…".
    session: String,
    handshake: String,
    handshakes: u32,
    master: String,
    keys: String,
}

/// What the demo printed, cut into chapters ("1. ...", "2. ...").
struct Story {
    chapters: Vec<Vec<String>>,
}

impl Story {
    fn parse(stdout: &str) -> Self {
        let mut chapters: Vec<Vec<String>> = vec![Vec::new()];
        for line in stdout.lines() {
            let starts_chapter = line
                .split_once(". ")
                .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
            if starts_chapter {
                chapters.push(Vec::new());
            }
            chapters.last_mut().unwrap().push(line.to_owned());
        }
        assert_eq!(
            chapters.len(),
            13,
            "expected a preface and twelve chapters:\n{stdout}"
        );
        Self { chapters }
    }

    /// Chapter `n`'s lines (its title first).
    fn chapter(&self, n: usize) -> &[String] {
        &self.chapters[n]
    }

    /// The one line of chapter `n` that, trimmed, starts with `prefix`;
    /// returns the rest of it.
    fn line(&self, n: usize, prefix: &str) -> &str {
        let found: Vec<&str> = self
            .chapter(n)
            .iter()
            .filter_map(|l| l.trim_start().strip_prefix(prefix))
            .collect();
        assert_eq!(
            found.len(),
            1,
            "chapter {n} has {} lines starting with {prefix:?}:\n{}",
            found.len(),
            self.chapter(n).join("\n")
        );
        found[0]
    }

    /// The rows of the table in chapter 7, C1 to C8.
    fn table(&self) -> Vec<Row> {
        let lines = self.chapter(7);
        let header = lines
            .iter()
            .position(|l| l.trim_start().starts_with("conn "))
            .unwrap();
        let rows: Vec<Row> = lines[header + 1..]
            .iter()
            .take_while(|l| l.trim_start().starts_with('C'))
            .map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                assert_eq!(f.len(), 7, "a table row of 7 columns: {l:?}");
                Row {
                    conn: f[0].into(),
                    local_port: f[1].parse().unwrap(),
                    session: f[2].into(),
                    handshake: f[3].into(),
                    handshakes: f[4].parse().unwrap(),
                    master: f[5].into(),
                    keys: f[6].into(),
                }
            })
            .collect();
        let names: Vec<&str> = rows.iter().map(|r| r.conn.as_str()).collect();
        assert_eq!(names, ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8"]);
        for r in &rows {
            assert!(is_hex(&r.master, 16) && is_hex(&r.keys, 16), "{r:?}");
            let id = r
                .session
                .strip_suffix('…')
                .unwrap_or_else(|| panic!("{r:?}"));
            assert!(is_hex(id, 12), "{r:?}");
        }
        rows
    }
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// How the demo shortens a session id.
fn short(id: &str) -> String {
    format!("{}…", &id[..12])
}

/// The first 8 bytes of SHA-256, as the demo prints secrets.
fn fingerprint(secret: &[u8]) -> String {
    hex::encode(&ring::digest::digest(&ring::digest::SHA256, secret).as_ref()[..8])
}

/// A number of microseconds: "   3409 µs" -> 3409.
fn micros(text: &str) -> f64 {
    let number = text
        .trim()
        .strip_suffix("µs")
        .unwrap_or_else(|| panic!("{text:?}"));
    number
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

#[test]
fn demo_prints_a_story_whose_facts_hold() {
    let out = run_demo(&[]);
    let story = Story::parse(&out.stdout);
    let rows = story.table();
    let [c1, c2, c3, c4, c5, c6, c7, c8] = <[Row; 8]>::try_from(rows.clone()).unwrap();

    // 1. C1 makes S1 in a full handshake; the chapter's values are its row's.
    let s1 = story.line(1, "session id").trim().to_owned();
    assert!(is_hex(&s1, 64), "a 32-byte session id: {s1:?}");
    assert_eq!(c1.handshake, "full");
    assert_eq!(c1.session, short(&s1));
    let master = story.line(1, "master secret").trim();
    assert_eq!(master, format!("{} (fingerprint)", c1.master));
    let keys = story.line(1, "key block").trim();
    assert_eq!(keys, format!("{} (fingerprint)", c1.keys));
    assert_eq!(
        story.line(1, "extended master secret (RFC 7627):").trim(),
        "true"
    );
    let c1_random = story.line(1, "client random").trim().to_owned();
    assert!(is_hex(&c1_random, 64));

    // 2. C2 resumes S1: the same id and master secret, its own keys.
    assert_eq!(c2.handshake, "resumed");
    assert_eq!((&c2.session, &c2.master), (&c1.session, &c1.master));
    assert_ne!(c2.keys, c1.keys);
    let side = |label: &str| -> Vec<String> {
        story
            .line(2, label)
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(side("session id"), [&s1, &s1, "same"]);
    assert_eq!(side("master secret"), [&c1.master, &c1.master, "same"]);
    assert_eq!(side("key block"), [&c1.keys, &c2.keys, "different"]);
    let randoms = side("client random");
    assert_eq!(randoms[0], c1_random);
    assert_eq!(randoms[2], "different");
    assert_ne!(randoms[0], randoms[1]);
    let server_randoms = side("server random");
    assert_eq!(server_randoms[2], "different");

    // 3. C3 and C4 resume S1 at the same time, each with its own keys.
    for (row, name) in [(&c3, "C3"), (&c4, "C4")] {
        assert_eq!(row.handshake, "resumed", "{row:?}");
        assert_eq!(
            (&row.session, &row.master),
            (&c1.session, &c1.master),
            "{row:?}"
        );
        let line = story.line(3, &format!("{name}:")).trim().to_owned();
        assert_eq!(
            line,
            format!(
                "resumed session {} (local port {})",
                c1.session, row.local_port
            )
        );
    }

    // 4. After the restart, C5 resumes S1 from the file store.
    assert_eq!(c5.handshake, "resumed");
    assert_eq!((&c5.session, &c5.master), (&c1.session, &c1.master));
    assert_eq!(
        story.line(4, "C5:").trim(),
        format!("resumed session {}", c1.session)
    );

    // Every connection has keys of its own: RFC 5246 §6.3 mixes in both
    // randoms, fresh for every handshake.
    let keys: HashSet<&str> = rows.iter().map(|r| r.keys.as_str()).collect();
    assert_eq!(
        keys.len(),
        rows.len(),
        "two connections share a key block: {rows:#?}"
    );

    // 5. C6 renegotiates on the same socket: handshake 2, a new session.
    assert_eq!(c6.handshake, "renegotiated");
    assert_eq!(c6.handshakes, 2);
    assert_ne!(c6.session, c1.session);
    assert_ne!(c6.master, c1.master);
    let before = story.line(5, "before:").trim().to_owned();
    assert_eq!(
        before,
        format!(
            "handshake 1 session {} on local port {}",
            c1.session, c6.local_port
        ),
        "C6 first resumes S1"
    );
    let after = story.line(5, "after:").trim().to_owned();
    assert_eq!(
        after,
        format!(
            "handshake 2 session {} on local port {} (a new session, not S1)",
            c6.session, c6.local_port
        )
    );
    for row in [&c1, &c2, &c3, &c4, &c5, &c7, &c8] {
        assert_eq!(row.handshakes, 1, "{row:?}");
    }

    // 6. C7 resumes S2; a fatal alert ends S2; C8 cannot resume it.
    assert_eq!(c7.handshake, "resumed");
    assert_eq!((&c7.session, &c7.master), (&c6.session, &c6.master));
    assert_eq!(
        story.line(6, "C7:").trim(),
        format!("resumed session {}", c6.session)
    );
    let alert = story.line(6, "C7 sent a forged record; the server answered:");
    assert!(alert.contains("bad_record_mac"), "{alert:?}");
    let resumable = story.line(6, &format!("session {} is resumable:", c7.session));
    assert!(
        resumable.trim_start().starts_with("false "),
        "{resumable:?}"
    );
    assert_eq!(
        story.line(6, "the server's store still has it:").trim(),
        "false"
    );
    assert_eq!(c8.handshake, "full");
    assert_ne!(c8.session, c7.session);
    assert_ne!(c8.session, c1.session);
    assert_ne!(c8.master, c7.master);
    assert_ne!(c8.master, c1.master);
    assert_eq!(
        story.line(6, "C8:").trim(),
        format!("full session {}", c8.session)
    );

    // 8. The measured cost of a full and an abbreviated handshake. Which is
    // cheaper is a timing fact, and timing goals live in the benchmarks
    // (benches/handshake.rs), not in a test that a loaded CI machine could
    // fail: here only that both were measured and that the printed ratio is
    // the one of the printed times.
    let full = micros(story.line(8, "full handshake (ECDHE + ECDSA + certificate checks):"));
    let resumed = micros(story.line(8, "abbreviated handshake (resumed session):"));
    assert!(
        full > 0.0 && resumed > 0.0,
        "full {full} µs, resumed {resumed} µs"
    );
    let ratio: f64 = story
        .line(8, "a resumption costs")
        .trim()
        .strip_suffix("× less")
        .unwrap()
        .parse()
        .unwrap();
    let expected = full / resumed;
    assert!(
        (ratio - expected).abs() <= 0.06 * expected + 0.1,
        "printed ratio {ratio}, times give {expected}"
    );

    check_farm_chapter(&story);
    check_login_chapter(&story);
    check_lifetime_chapter(&story);
}

/// Chapter 12: a session resumed within its two seconds, not after.
fn check_lifetime_chapter(story: &Story) {
    let case = |name: &str| {
        let f: Vec<String> = story
            .line(12, &format!("{name}  "))
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        // "at 0 s full session 0eb6347875ef…" / "after 2 s full session …"
        let session = f.last().unwrap().clone();
        let how = f[f.len() - 3].clone();
        (how, session)
    };
    let (how15, s15) = case("C15");
    let (how16, s16) = case("C16");
    let (how17, s17) = case("C17");
    assert_eq!((how15.as_str(), how16.as_str()), ("full", "resumed"));
    assert_eq!(s16, s15, "C16 resumes C15's session");
    assert_eq!(how17, "full", "the session expired");
    assert_ne!(s17, s15);
}

/// Chapter 11's four cases: the application session (a cookie) and the
/// TLS session are independent.
fn check_login_chapter(story: &Story) {
    // "C11  TLS full     session 10cfdc1a338c…  app: LOGIN alice -> cookie ..."
    let case = |name: &str| {
        let line = story.line(11, &format!("{name}  TLS "));
        let (tls, app) = line.split_once("  app: ").unwrap();
        let f: Vec<&str> = tls.split_whitespace().collect();
        assert_eq!(f[1], "session", "{line}");
        let (_, reply) = app.split_once(" -> ").unwrap();
        (f[0].to_owned(), f[2].to_owned(), reply.trim().to_owned())
    };
    let (how11, tls11, reply11) = case("C11");
    assert_eq!(how11, "full");
    let cookie = reply11.strip_prefix("cookie ").unwrap();
    assert!(is_hex(cookie, 16), "{reply11}");
    // The same cookie over a new TLS session: still logged in.
    let (how12, tls12, reply12) = case("C12");
    assert_eq!(
        (how12.as_str(), reply12.as_str()),
        ("full", "logged in as alice")
    );
    assert_ne!(tls12, tls11, "C12 has a TLS session of its own");
    // The same TLS session without the cookie: not logged in.
    let (how13, tls13, reply13) = case("C13");
    assert_eq!(
        (how13.as_str(), tls13.as_str()),
        ("resumed", tls11.as_str())
    );
    assert_eq!(reply13, "not logged in: no cookie");
    // The same TLS session, the cookie past the application's lifetime.
    let (how14, tls14, reply14) = case("C14");
    assert_eq!(
        (how14.as_str(), tls14.as_str()),
        ("resumed", tls11.as_str())
    );
    assert_eq!(reply14, "not logged in: the application session expired");
}

/// Chapter 9: server B resumes the session C9 made on server A, through the store
/// they share: Redis, since redis-server is installed wherever the tests
/// run (tests/run.sh installs it).
fn check_farm_chapter(story: &Story) {
    common::redis::require_package("redis-server", "--version", "redis-server");
    let store = story.line(9, "shared store:");
    assert!(store.trim().starts_with("Redis at 127.0.0.1:"), "{store}");
    let c9 = story.line(9, "C9 on server A (port ");
    let c10 = story.line(9, "C10 on server B (port ");
    let (port_a, c9) = c9.split_once("): ").unwrap();
    let (port_b, c10) = c10.split_once("): ").unwrap();
    assert_ne!(port_a, port_b, "two servers");
    let session = c9.strip_prefix("full session ").unwrap();
    assert_eq!(c10, format!("resumed session {session}"));
    assert_eq!(story.line(9, "same master secret:").trim(), "true");
    assert_eq!(story.line(9, "same keys:").trim(), "false");
}

/// One `session created/resumed` event of a traced handshake, with the
/// secrets `--trace-secrets` prints under it.
#[derive(Debug)]
struct Traced {
    resumed: bool,
    session_id: String,
    handshake_count: u32,
    replaced: bool,
    master_secret: Vec<u8>,
    key_block: Vec<u8>,
}

/// The handshakes in the lines of stderr that start with `[label]`, in the
/// order the tracer reported them. (The tracer writes an event's lines
/// together, so another connection's event cannot come between them.)
fn traced_handshakes(stderr: &str, label: &str) -> Vec<Traced> {
    let prefix = format!("[{label}] ");
    let lines: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .map(str::trim_start)
        .collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let resumed = if line.starts_with("session created (full handshake") {
            false
        } else if line.starts_with("session resumed (abbreviated handshake") {
            true
        } else {
            continue;
        };
        let session_id = line
            .split_once(": id ")
            .and_then(|(_, rest)| rest.split(' ').next())
            .unwrap_or_else(|| panic!("{line:?}"))
            .to_owned();
        let handshake_count = line
            .split_once("(handshake ")
            .and_then(|(_, rest)| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{line:?}"));
        let mut rest = lines[i + 1..].iter();
        let mut next = rest.next().copied().unwrap_or_default();
        let replaced = next.starts_with("session replaced on this connection");
        if replaced {
            next = rest.next().copied().unwrap_or_default();
        }
        let secret = |line: &str, name: &str| {
            let value = line
                .strip_prefix(&format!("secret {name} "))
                .unwrap_or_else(|| panic!("no {name} after {:?}: {line:?}", lines[i]));
            hex::decode(value).unwrap()
        };
        let master_secret = secret(next, "master_secret");
        let key_block = secret(rest.next().copied().unwrap_or_default(), "key_block");
        out.push(Traced {
            resumed,
            session_id,
            handshake_count,
            replaced,
            master_secret,
            key_block,
        });
    }
    out
}

#[test]
fn demo_fingerprints_are_those_of_the_secrets_the_library_traces() {
    let out = run_demo(&["--trace", "--trace-secrets"]);
    let rows = Story::parse(&out.stdout).table();
    let client = traced_handshakes(&out.stderr, "client");
    let server = traced_handshakes(&out.stderr, "server");

    // Chapter 8 traces nothing, so: C1, C2, C3 and C4 (either order), C5,
    // C6's first handshake and its renegotiation, C7, C8; then chapter 9's
    // C9 and C10; chapter 10 is rustls's; chapter 11's C11 to C14;
    // chapter 12's C15 to C17.
    assert_eq!(client.len(), 18, "{client:#?}");
    let order = [0, 1, 2, 3, 4, 6, 7, 8];
    let mut c3_c4: Vec<usize> = Vec::new();
    for (row, &index) in rows.iter().zip(&order) {
        let index = if row.conn == "C3" || row.conn == "C4" {
            // The one of events 2 and 3 with this row's keys.
            let i = (2..4)
                .find(|&i| fingerprint(&client[i].key_block) == row.keys)
                .unwrap_or_else(|| panic!("no traced handshake has {row:?}'s keys"));
            c3_c4.push(i);
            i
        } else {
            index
        };
        let t = &client[index];
        assert_eq!(fingerprint(&t.master_secret), row.master, "{row:?} {t:?}");
        assert_eq!(fingerprint(&t.key_block), row.keys, "{row:?} {t:?}");
        assert_eq!(t.master_secret.len(), 48, "§8.1: 48 bytes");
        assert_eq!(short(&t.session_id), row.session, "{row:?} {t:?}");
        assert_eq!(t.resumed, row.handshake == "resumed", "{row:?} {t:?}");
        assert_eq!(t.handshake_count, row.handshakes, "{row:?} {t:?}");
        assert_eq!(t.replaced, row.conn == "C6", "{row:?} {t:?}");
    }
    c3_c4.sort();
    assert_eq!(c3_c4, [2, 3], "C3 and C4 are two different handshakes");

    // C6's first handshake resumed S1, before the renegotiation replaced it.
    let c6_first = &client[5];
    assert!(
        c6_first.resumed && c6_first.handshake_count == 1,
        "{c6_first:?}"
    );
    assert_eq!(c6_first.session_id, client[0].session_id);
    assert_eq!(c6_first.master_secret, client[0].master_secret);

    // The server computed the same secrets for the same handshakes.
    let pairs = |events: &[Traced]| -> HashSet<(String, Vec<u8>, Vec<u8>)> {
        events
            .iter()
            .map(|t| {
                (
                    t.session_id.clone(),
                    t.master_secret.clone(),
                    t.key_block.clone(),
                )
            })
            .collect()
    };
    assert_eq!(server.len(), client.len(), "{server:#?}");
    assert_eq!(pairs(&server), pairs(&client));
}

/// Chapter 10's secrets: label and fingerprint, for connection `name`
/// ("C1", "C2"), as printed under its line.
fn tls13_secrets(story: &Story, name: &str) -> Vec<(String, String)> {
    let lines = story.chapter(10);
    let start = lines
        .iter()
        .position(|l| l.trim_start().starts_with(&format!("{name}: ")))
        .unwrap_or_else(|| panic!("no {name} line: {lines:#?}"));
    lines[start + 1..]
        .iter()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .take_while(|f| f.len() == 2 && f[0].contains("SECRET"))
        .map(|f| (f[0].to_owned(), f[1].to_owned()))
        .collect()
}

#[test]
fn demo_tls13_chapter_claims_hold_in_rustlss_key_log() {
    let dir = common::ScratchDir::new("demo-tls13");
    let log = dir.join("keys.log");
    let mut demo =
        ChildGuard::spawn(Command::new(common::example_binary("demo")).env("SSLKEYLOGFILE", &log));
    let out = demo.finish(TIMEOUT);
    assert!(out.status.success(), "the demo failed: {out:#?}");
    let story = Story::parse(&out.stdout);
    assert!(story
        .line(10, "(this chapter runs rustls")
        .contains("rustls, not tls12"));
    assert!(story
        .line(10, "C1: ")
        .starts_with("full handshake, key exchange X25519"));
    assert!(story
        .line(10, "C2: ")
        .starts_with("resumed handshake, key exchange X25519"));

    // The key log: TLS 1.3 lines (label, client random, secret), grouped by
    // connection.
    let text = std::fs::read_to_string(&log).unwrap();
    let mut by_random: std::collections::BTreeMap<String, Vec<(String, String)>> =
        Default::default();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() == 3 && f[0] != "CLIENT_RANDOM" {
            let secret = hex::decode(f[2]).unwrap();
            by_random
                .entry(f[1].to_owned())
                .or_default()
                .push((f[0].to_owned(), fingerprint(&secret)));
        }
    }
    assert_eq!(by_random.len(), 2, "two TLS 1.3 connections: {text}");
    // Each connection's printed secrets are those of one logged
    // connection, and the two share none.
    let c1 = tls13_secrets(&story, "C1");
    let c2 = tls13_secrets(&story, "C2");
    assert_eq!(c1.len(), 5, "{c1:?}");
    assert_eq!(c2.len(), 5, "{c2:?}");
    let logged: Vec<&Vec<(String, String)>> = by_random.values().collect();
    for printed in [&c1, &c2] {
        assert!(
            logged.contains(&printed),
            "{printed:?} not in the key log {logged:#?}"
        );
    }
    assert_ne!(c1, c2);
    for (_, secret) in &c1 {
        assert!(!c2.iter().any(|(_, s)| s == secret), "{secret} in both");
    }
    assert_eq!(story.line(10, "secrets C1 and C2 share:").trim(), "0");
    // RFC 8446 §4.1.2: no renegotiation.
    let refused = story.line(10, "C2 sends a new ClientHello");
    assert!(
        refused.contains("refused") && refused.contains("got ClientHello"),
        "{refused}"
    );
    // Beside it, TLS 1.2's C1 and C2 (chapter 7's table): one master
    // secret, two key blocks.
    let rows = story.table();
    let tls12 = story.line(10, "TLS 1.2, chapter 2:");
    assert_eq!(
        tls12.trim(),
        format!(
            "C1 and C2 share master secret {}; keys {} and {}",
            rows[0].master, rows[0].keys, rows[1].keys
        )
    );
    assert_eq!(rows[0].master, rows[1].master);
}
