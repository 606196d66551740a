//! Chapter 12: sessions expire.
//!
//! Sessions that live two seconds (`session_lifetime` on both configs,
//! RFC 5246 §F.1.4: "An upper limit of 24 hours is suggested for session
//! ID lifetimes"; the default is two hours). C15 makes a session, C16
//! resumes it at once, C17 comes back after its lifetime: the client
//! refuses to offer it, by name ("the session expired", in the trace and
//! on the page), and a full handshake makes a new one.

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::{client_config, connect, say, server_config, short, Args, Server};

/// The lifetime this chapter gives its sessions, seconds.
const LIFETIME: u64 = 2;

pub fn chapter(args: &Args, dir: &Path) -> io::Result<()> {
    let mut config = server_config(args, &dir.join("lifetime"))?;
    config.session_lifetime = LIFETIME;
    let server = Server::start(config, 0)?;
    let mut client = client_config(args)?;
    client.session_lifetime = LIFETIME;
    let client = Arc::new(client);
    say(&format!("  sessions live {LIFETIME} s, on both sides"));
    let (c15, row) = connect(&client, server.port, "C15")?;
    show(&row, "at 0 s");
    let (c16, row) = connect(&client, server.port, "C16")?;
    show(&row, "at once");
    std::thread::sleep(Duration::from_millis(LIFETIME * 1000 + 100));
    let (c17, row) = connect(&client, server.port, "C17")?;
    show(&row, &format!("after {LIFETIME} s"));
    say("  the session expired: the client no longer offers it (the server would refuse it too),");
    say("  and C17 makes a new one in a full handshake");
    drop((c15, c16, c17));
    server.stop();
    Ok(())
}

fn show(row: &super::Row, when: &str) {
    say(&format!(
        "  {:<4} {when:<10} {:<8} session {}",
        row.name,
        row.how,
        short(&row.session)
    ));
}
