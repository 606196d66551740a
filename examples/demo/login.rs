//! Chapter 11: a TLS session is not your login session.
//!
//! The demo server also runs a tiny application with its own sessions: a
//! line `LOGIN name` starts one and answers with its cookie (a random
//! token with its own lifetime, here one second); `WHOAMI token` (or
//! `WHOAMI -`, no cookie) asks who the application thinks this is. The
//! application never looks at the TLS session, and TLS never sees the
//! cookie: the two layers have their own names and their own lifetimes.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long an application session lives in this chapter: short, so that
/// the chapter can show one ending while the TLS session goes on.
pub const APP_SESSION_LIFETIME: Duration = Duration::from_secs(1);

/// The application's sessions: cookie → (user, end of life).
fn app_sessions() -> &'static Mutex<HashMap<String, (String, Instant)>> {
    static SESSIONS: OnceLock<Mutex<HashMap<String, (String, Instant)>>> = OnceLock::new();
    SESSIONS.get_or_init(Default::default)
}

/// The application's answer to `line`, when it is one of its requests.
pub fn answer(line: &str) -> Option<String> {
    let line = line.trim_end();
    if let Some(user) = line.strip_prefix("LOGIN ") {
        let mut token = [0u8; 8];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut token).ok()?;
        let cookie = hex::encode(token);
        let mut sessions = app_sessions().lock().unwrap_or_else(|e| e.into_inner());
        let ends = Instant::now() + APP_SESSION_LIFETIME;
        sessions.insert(cookie.clone(), (user.to_owned(), ends));
        return Some(format!("cookie {cookie}"));
    }
    let cookie = line.strip_prefix("WHOAMI ")?;
    if cookie == "-" {
        return Some("not logged in: no cookie".to_owned());
    }
    let sessions = app_sessions().lock().unwrap_or_else(|e| e.into_inner());
    Some(match sessions.get(cookie) {
        Some((user, ends)) if Instant::now() < *ends => format!("logged in as {user}"),
        Some(_) => "not logged in: the application session expired".to_owned(),
        None => "not logged in: unknown cookie".to_owned(),
    })
}

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;

use tls12::Stream;

use super::{client_config, connect, say, server_config, short, Args, Server};

/// The chapter: four connections, each a TLS handshake (new or resumed)
/// and one application request (with or without the cookie).
pub fn chapter(args: &Args, dir: &Path) -> io::Result<()> {
    let server = Server::start(server_config(args, dir)?, 0)?;
    let port = server.port;
    // Alice's browser keeps its TLS session; another device has none.
    let alice = Arc::new(client_config(args)?);
    let other = Arc::new(client_config(args)?);

    let (mut c11, row) = connect(&alice, port, "C11")?;
    let reply = request(&mut c11, "LOGIN alice")?;
    show(&row, "LOGIN alice", &reply);
    let cookie = reply
        .strip_prefix("cookie ")
        .ok_or_else(|| io::Error::other(format!("no cookie: {reply}")))?
        .to_owned();

    let (mut c12, row) = connect(&other, port, "C12")?;
    show(
        &row,
        "WHOAMI (the cookie)",
        &request(&mut c12, &format!("WHOAMI {cookie}"))?,
    );
    let (mut c13, row) = connect(&alice, port, "C13")?;
    show(&row, "WHOAMI (no cookie)", &request(&mut c13, "WHOAMI -")?);
    std::thread::sleep(APP_SESSION_LIFETIME + Duration::from_millis(100));
    let (mut c14, row) = connect(&alice, port, "C14")?;
    show(
        &row,
        "WHOAMI (the cookie)",
        &request(&mut c14, &format!("WHOAMI {cookie}"))?,
    );
    say("  the cookie crossed TLS sessions (C12); a resumed TLS session carried no login (C13),");
    say("  and outlived the application session it once carried (C14)");
    drop((c11, c12, c13, c14));
    server.stop();
    Ok(())
}

fn show(row: &super::Row, request: &str, reply: &str) {
    say(&format!(
        "  {:<4} TLS {:<8} session {}  app: {request:<20} -> {reply}",
        row.name,
        row.how,
        short(&row.session)
    ));
}

/// One application line there and back.
fn request(stream: &mut Stream<TcpStream>, line: &str) -> io::Result<String> {
    stream.write_all(format!("{line}\n").as_bytes())?;
    let mut reply = Vec::new();
    let mut byte = [0u8; 1];
    while stream.read(&mut byte)? == 1 && byte[0] != b'\n' {
        reply.push(byte[0]);
    }
    String::from_utf8(reply).map_err(io::Error::other)
}
