//! A real `haproxy` in TCP mode, round-robin over backends on loopback,
//! with the configuration written by the test; killed on drop.

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::redis::{free_port, require_package};
use super::ScratchDir;

pub struct Haproxy {
    port: u16,
    child: Child,
    _dir: ScratchDir,
}

impl Haproxy {
    /// Balances TCP connections over `backends` (loopback ports) in turn,
    /// without health checks (so that the turn order is exact).
    pub fn start(backends: &[u16]) -> Self {
        require_package("haproxy", "-v", "haproxy");
        let dir = ScratchDir::new("haproxy");
        let (port, ready) = (free_port(), free_port());
        let servers: String = backends
            .iter()
            .enumerate()
            .map(|(i, p)| format!("    server s{i} 127.0.0.1:{p}\n"))
            .collect();
        // `ready` accepts and closes: haproxy binds every listener before
        // it serves any, so a connection to it says `port` is up too,
        // without taking a turn of the round robin.
        let config = format!(
            "global\n    maxconn 256\n\
             defaults\n    mode tcp\n    timeout connect 2s\n    timeout client 10s\n    timeout server 10s\n\
             frontend tls\n    bind 127.0.0.1:{port}\n    default_backend servers\n\
             frontend ready\n    bind 127.0.0.1:{ready}\n    tcp-request connection reject\n\
             backend servers\n    balance roundrobin\n{servers}"
        );
        let path = dir.join("haproxy.cfg");
        std::fs::write(&path, config).unwrap();
        let child = Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start haproxy: {e}"));
        let proxy = Self {
            port,
            child,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", ready)).is_err() {
            assert!(Instant::now() < deadline, "haproxy never listened");
            std::thread::sleep(Duration::from_millis(20));
        }
        proxy
    }

    /// The port clients connect to.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
