//! Our example server (`examples/server.rs`) as a child process on a free
//! loopback port, killed on drop.

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use super::ChildGuard;

/// The example server with both `localhost` chains and `extra` arguments,
/// once it says it listens; and its address. Its stderr lines come through
/// [`ChildGuard::wait_for_line`] too.
pub fn start(extra: &[&str]) -> (ChildGuard, SocketAddr) {
    start_example("server", extra)
}

/// [`start`] for another example with the server's flags (`async_server`).
pub fn start_example(name: &str, extra: &[&str]) -> (ChildGuard, SocketAddr) {
    let data = |file: &str| super::test_data(file).to_str().unwrap().to_owned();
    let mut cmd = Command::new(super::example_binary(name));
    cmd.args(["--listen", "127.0.0.1:0"])
        .args(["--cert", &data("ecdsa/localhost.chain.pem")])
        .args(["--key", &data("ecdsa/localhost.key")])
        .args(["--cert", &data("rsa/localhost.chain.pem")])
        .args(["--key", &data("rsa/localhost.key")])
        .args(extra);
    let mut server = ChildGuard::spawn_merged(&mut cmd);
    let line = server.wait_for_line("listening on", Duration::from_secs(10));
    let addr = line
        .rsplit(' ')
        .next()
        .and_then(|a| a.trim().parse().ok())
        .unwrap_or_else(|| panic!("no address in the server's {line:?}"));
    (server, addr)
}
