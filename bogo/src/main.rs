//! `bogo-shim`: BoringSSL's test runner (BoGo) drives our TLS 1.2 stack
//! through this binary.
//!
//! For each connection of a test (the first, then `-resume-count` more)
//! the shim connects to the runner, sends its shim id, and speaks TLS as
//! client or (`-server`) server through the public [`tls12::Connection`]
//! API, echoing application data with each byte XORed with 0xff. A failure
//! prints BoringSSL's reason string ([`reason::reason`]) on stderr and
//! exits 1; a flag for something this stack deliberately does not do exits
//! 89 ("unimplemented"). See `bogo/run.sh` and `../shared/bogo/README.md`.
#![forbid(unsafe_code)]

mod config;
mod options;
mod reason;
mod session;

use std::io::{self, Write};
use std::net::TcpStream;
use std::process::ExitCode;

use options::{Options, Parsed};
use tls12::Error;

/// The runner's code for "this flag or feature is not implemented".
const UNIMPLEMENTED: u8 = 89;

/// Why a connection failed.
pub enum Failure {
    /// Our stack refused the peer: printed as BoringSSL's reason.
    Tls(Error),
    /// A `-expect-*` check did not hold, or the transport failed: the
    /// message is printed as it is.
    Other(String),
    /// The test needs something this stack does not do.
    Unimplemented(String),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Self::Other(format!("transport: {e}"))
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let per_connection = match options::parse(&args) {
        Parsed::HandshakerQuery => {
            println!("No");
            return ExitCode::SUCCESS;
        }
        Parsed::Unimplemented(flag) => return unimplemented(&flag),
        Parsed::Bad(why) => {
            eprintln!("bad command line: {why}");
            return ExitCode::FAILURE;
        }
        Parsed::Run(per_connection) => per_connection,
    };
    let mut shared = match config::Shared::new(&per_connection[0]) {
        Ok(shared) => shared,
        Err(failure) => return report(failure),
    };
    for (n, opts) in per_connection.iter().enumerate() {
        let result = config::Configs::new(opts, &mut shared)
            .and_then(|configs| run_connection(opts, n, &configs));
        if let Err(failure) = result {
            return report(failure);
        }
    }
    ExitCode::SUCCESS
}

/// Exit 89. The reason goes to stderr, and, when `BOGO_SKIP_LOG` names a
/// file, one line is appended to it: `bogo/run.sh` tallies what the
/// skipped tests need from those lines (the runner keeps no output of a
/// skipped test).
fn unimplemented(what: &str) -> ExitCode {
    eprintln!("unimplemented: {what}");
    if let Some(path) = std::env::var_os("BOGO_SKIP_LOG") {
        let line = format!("{}\n", what.replace('\n', " "));
        // A lost line only loses a count.
        let _ = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| f.write_all(line.as_bytes()));
    }
    ExitCode::from(UNIMPLEMENTED)
}

fn report(failure: Failure) -> ExitCode {
    match failure {
        Failure::Tls(e) => eprintln!("{} ({e})", reason::reason(&e)),
        Failure::Other(why) => eprintln!("{why}"),
        Failure::Unimplemented(what) => return unimplemented(&what),
    }
    ExitCode::FAILURE
}

/// One connection of the test: the handshake, the checks, then the echo.
fn run_connection(opts: &Options, n: usize, configs: &config::Configs) -> Result<(), Failure> {
    let mut sock = TcpStream::connect((opts.runner_address(), opts.port))?;
    sock.set_nodelay(true)?;
    sock.write_all(&opts.shim_id.to_le_bytes())?;
    let mut conn = configs.connection()?;
    let mut io = session::Io::new(&mut conn, &mut sock, opts);
    io.handshake()?;
    session::check_handshake(opts, n, io.conn(), configs.ticket_kept())?;
    if let Some(want) = opts.expect_selected_credential {
        let got = configs.selected_credential(opts, io.conn());
        if got != Some(want) {
            return Err(Failure::Other(format!(
                "selected credential {got:?}, expected {want}"
            )));
        }
    }
    io.after_handshake()?;
    io.echo()?;
    session::check_renegotiations(opts, io.renegotiations())
}
