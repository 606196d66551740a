//! A real `redis-server` on a free loopback port, without persistence,
//! stopped (killed) on drop; and `redis-cli` against it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Panics naming the Debian package if `tool version_arg` cannot run.
pub fn require_package(tool: &str, version_arg: &str, package: &str) {
    let ran = Command::new(tool)
        .arg(version_arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !matches!(ran, Ok(s) if s.success()) {
        panic!(
            "`{tool}` is not on PATH: install the Debian package `{package}` \
             (`apt-get install {package}`; tests/run.sh does this)"
        );
    }
}

/// A free loopback port (free when asked; the caller binds it next).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// `redis-server --port P --save '' --appendonly no` on 127.0.0.1, with
/// its working directory (where `SHUTDOWN SAVE` writes) a scratch one.
pub struct RedisServer {
    port: u16,
    child: Option<Child>,
    dir: super::ScratchDir,
}

impl RedisServer {
    /// Starts one on a free port and waits until it answers PING.
    pub fn start() -> Self {
        require_package("redis-server", "--version", "redis-server");
        require_package("redis-cli", "--version", "redis-tools");
        let mut server = Self {
            port: free_port(),
            child: None,
            dir: super::ScratchDir::new("redis"),
        };
        server.restart();
        server
    }

    /// `redis://127.0.0.1:P`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills it (its data is gone: it saves nothing).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops it as an operator would (`SHUTDOWN SAVE`: its clients'
    /// connections closed, its data saved), then starts it again on the
    /// same port with that data.
    pub fn restart_keeping_data(&mut self) {
        let mut child = self.child.take().expect("redis-server is running");
        let out = Command::new("redis-cli")
            .args(["-p", &self.port.to_string(), "SHUTDOWN", "SAVE"])
            .output()
            .unwrap_or_else(|e| panic!("redis-cli: {e}"));
        let status = child.wait().unwrap();
        assert!(status.success(), "SHUTDOWN SAVE: {status}, {out:?}");
        self.restart();
    }

    /// Starts it (again) on the same port: empty after [`Self::stop`],
    /// with the saved data after [`Self::restart_keeping_data`].
    pub fn restart(&mut self) {
        self.stop();
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(self.dir.join(""))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start redis-server: {e}"));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.answers_ping() {
            assert!(
                Instant::now() < deadline,
                "redis-server never answered PING"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn answers_ping(&self) -> bool {
        let Ok(mut sock) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = sock.set_read_timeout(Some(Duration::from_secs(1)));
        let mut reply = [0u8; 7];
        sock.write_all(b"PING\r\n").is_ok()
            && sock.read_exact(&mut reply).is_ok()
            && &reply == b"+PONG\r\n"
    }

    /// Freezes (SIGSTOP) or thaws (SIGCONT) the process: a Redis that
    /// accepts connections and never answers.
    pub fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("redis-server is running").id();
        let status = Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill {signal} {pid}");
    }

    /// `redis-cli -p P args...`, its standard output.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("redis-cli: {e}"));
        assert!(out.status.success(), "redis-cli {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// One command with binary arguments, sent as RESP on a fresh
    /// connection; the reply: `Some(bytes)` for a bulk string, `None` for
    /// a null, the line for a simple string or integer. Panics on an error
    /// reply.
    pub fn command(&self, args: &[&[u8]]) -> Option<Vec<u8>> {
        let mut sock = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut request = format!("*{}\r\n", args.len()).into_bytes();
        for arg in args {
            request.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            request.extend_from_slice(arg);
            request.extend_from_slice(b"\r\n");
        }
        sock.write_all(&request).unwrap();
        let mut reader = std::io::BufReader::new(sock);
        let mut line = String::new();
        std::io::BufRead::read_line(&mut reader, &mut line).unwrap();
        let line = line.trim_end();
        match line.split_at(1) {
            ("$", "-1") => None,
            ("$", len) => {
                let mut data = vec![0u8; len.parse::<usize>().unwrap() + 2];
                reader.read_exact(&mut data).unwrap();
                data.truncate(data.len() - 2);
                Some(data)
            }
            ("+" | ":", rest) => Some(rest.as_bytes().to_vec()),
            _ => panic!("Redis answered {line:?}"),
        }
    }

    /// A counter of `INFO stats`, e.g. `total_connections_received`.
    pub fn stat(&self, name: &str) -> u64 {
        let info = self.cli(&["INFO", "stats"]);
        let prefix = format!("{name}:");
        info.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no {name} in INFO stats"))
            .trim()
            .parse()
            .unwrap()
    }

    /// How many times Redis ran `command` since the last `CONFIG RESETSTAT`,
    /// from `INFO commandstats` (`cmdstat_get:calls=N,...`).
    pub fn calls(&self, command: &str) -> u64 {
        let info = self.cli(&["INFO", "commandstats"]);
        let prefix = format!("cmdstat_{command}:calls=");
        info.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .map_or(0, |rest| rest.split(',').next().unwrap().parse().unwrap())
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(child) = &self.child {
            // A frozen process dies of SIGKILL too; thaw it anyway so that
            // nothing is left stopped if the kill failed.
            let _ = Command::new("kill")
                .args(["-CONT", &child.id().to_string()])
                .status();
        }
        self.stop();
    }
}
