//! Helpers shared by the integration tests: test certificates, configs,
//! loopback servers. (Each test binary uses a different subset.)
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread;

use tls12::{CertifiedKey, ClientConfig, ServerConfig, SigningKey, Stream, TrustAnchors};

/// A file under test-data/.
pub fn test_data(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("test-data")
        .join(path)
}

pub fn read(path: &str) -> Vec<u8> {
    std::fs::read(test_data(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `chain` (PEM, leaf first) with `key` (PEM).
pub fn certified(chain: &str, key: &str) -> CertifiedKey {
    CertifiedKey {
        chain: tls12::certs_from_pem(&read(chain)).unwrap(),
        key: SigningKey::from_pem(&read(key)).unwrap(),
    }
}

/// Trust anchors from one or more PEM root files.
pub fn anchors(roots: &[&str]) -> TrustAnchors {
    let pem: Vec<u8> = roots.iter().flat_map(|r| read(r)).collect();
    TrustAnchors::from_pem(&pem).unwrap()
}

/// A server config with both the RSA and the ECDSA `localhost` chains.
pub fn server_config() -> ServerConfig {
    ServerConfig::new(vec![
        certified("ecdsa/localhost.chain.pem", "ecdsa/localhost.key"),
        certified("rsa/localhost.chain.pem", "rsa/localhost.key"),
    ])
}

/// A client config trusting both test roots.
pub fn client_config() -> ClientConfig {
    ClientConfig::new(anchors(&["ecdsa/root.pem", "rsa/root.pem"]))
}

/// Runs one server connection on a loopback port in a thread: accepts one
/// client and hands the stream (or the handshake error) to `serve`.
pub fn serve_once<T: Send + 'static>(
    config: ServerConfig,
    serve: impl FnOnce(std::io::Result<Stream<TcpStream>>) -> T + Send + 'static,
) -> (u16, thread::JoinHandle<T>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = Arc::new(config);
    let handle = thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        serve(Stream::accept(config, sock))
    });
    (port, handle)
}

// ---------------------------------------------------------------------------
// Peers we did not write: the `openssl` and `curl` command-line tools and our
// example binaries, run as child processes that are always killed.

/// Panics, with a message saying how to install it, if `tool` cannot run.
/// Interop tests must not pass by skipping: CI installs the tools
/// (.ci/run).
pub fn require_tool(tool: &str, version_arg: &str) {
    let ran = std::process::Command::new(tool)
        .arg(version_arg)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    if !matches!(ran, Ok(s) if s.success()) {
        panic!(
            "`{tool}` is not on PATH (or `{tool} {version_arg}` failed): install it \
             (e.g. `apt-get install {tool}`; .ci/run does this) to run the interop tests"
        );
    }
}

/// One of our example binaries (`server`, `client`), as `cargo test` builds
/// them next to the test executables: target/<profile>/examples/<name>.
pub fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/<test> -> target/<profile>/examples/<name>
    let path = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join(name);
    assert!(
        path.is_file(),
        "{} is missing: `cargo test` builds the examples, `cargo test --test X` \
         alone does not (run `cargo build --examples` first)",
        path.display()
    );
    path
}

/// A child process that is killed (and reaped) when dropped, on every
/// path, panics included. Its stdout is read line by line in a thread, so
/// the test can wait for a line ("ACCEPT", "listening on") with a deadline;
/// stderr is collected whole.
pub struct ChildGuard {
    what: String,
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    stdout: Vec<String>,
    stderr: Option<thread::JoinHandle<String>>,
}

/// What a child printed and how it ended.
#[derive(Debug)]
pub struct Finished {
    pub status: std::process::ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl ChildGuard {
    /// Starts `cmd` with piped stdin, stdout and stderr.
    pub fn spawn(cmd: &mut std::process::Command) -> Self {
        use std::io::BufRead;
        use std::process::Stdio;
        let what = format!("{cmd:?}");
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).split(b'\n') {
                let Ok(line) = line else { break };
                if tx
                    .send(String::from_utf8_lossy(&line).into_owned())
                    .is_err()
                {
                    break;
                }
            }
        });
        let mut stderr = child.stderr.take().unwrap();
        let stderr = thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = std::io::Read::read_to_end(&mut stderr, &mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        });
        Self {
            what,
            child,
            lines,
            stdout: Vec::new(),
            stderr: Some(stderr),
        }
    }

    /// The child's stdin (until [`ChildGuard::close_stdin`]).
    pub fn stdin(&mut self) -> &mut std::process::ChildStdin {
        self.child.stdin.as_mut().expect("stdin already closed")
    }

    /// Closes the child's stdin: it sees end of file.
    pub fn close_stdin(&mut self) {
        self.child.stdin.take();
    }

    /// Waits up to `timeout` for a stdout line containing `needle`, and
    /// returns that line. Panics, showing everything printed, if it does
    /// not come.
    pub fn wait_for_line(&mut self, needle: &str, timeout: std::time::Duration) -> String {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.stdout.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(e) => {
                    let stderr = self.take_stderr();
                    panic!(
                        "{} never printed {needle:?} ({e:?}); stdout so far:\n{}\nstderr:\n{stderr}",
                        self.what,
                        self.stdout.join("\n"),
                    );
                }
            }
        }
    }

    /// Waits up to `timeout` for the child to exit by itself, then gathers
    /// everything it printed. Panics (after killing it) if it does not exit.
    pub fn finish(&mut self, timeout: std::time::Duration) -> Finished {
        self.close_stdin();
        let deadline = std::time::Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if std::time::Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                let (stdout, stderr) = (self.drain_stdout(), self.take_stderr());
                panic!(
                    "{} did not exit within {timeout:?}; stdout:\n{stdout}\nstderr:\n{stderr}",
                    self.what
                );
            }
            thread::sleep(std::time::Duration::from_millis(5));
        };
        Finished {
            status,
            stdout: self.drain_stdout(),
            stderr: self.take_stderr(),
        }
    }

    /// Kills the child and gathers everything it printed: for a server
    /// that never exits by itself, or to explain a failure.
    pub fn stop(&mut self) -> Finished {
        let _ = self.child.kill();
        let status = self.child.wait().unwrap();
        Finished {
            status,
            stdout: self.drain_stdout(),
            stderr: self.take_stderr(),
        }
    }

    /// Every stdout line, up to the end of the pipe (the child has exited
    /// or been killed).
    fn drain_stdout(&mut self) -> String {
        // The reader thread ends at end of file; a grandchild holding the
        // pipe open must not hang the test, hence the timeout.
        while let Ok(line) = self.lines.recv_timeout(std::time::Duration::from_secs(5)) {
            self.stdout.push(line);
        }
        self.stdout.join("\n")
    }

    fn take_stderr(&mut self) -> String {
        match self.stderr.take() {
            // The pipe's end of file comes when the child exits; kill it
            // first so that this cannot wait for ever.
            Some(handle) => {
                let _ = self.child.kill();
                handle.join().unwrap_or_default()
            }
            None => String::new(),
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        // Killing an exited child is a harmless error.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `pem` (a file under test-data/) as DER certificates, leaf first.
pub fn certs_der(pem: &str) -> Vec<Vec<u8>> {
    tls12::certs_from_pem(&read(pem)).unwrap()
}

/// `len` bytes of printable ASCII without a newline, in a pattern that
/// repeats only every 94 × 94 bytes: a payload in which a dropped,
/// duplicated or moved chunk shows.
pub fn printable_payload(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| b'!' + ((i * 7 + usize::from(seed) * 13 + i / 94) % 94) as u8)
        .collect()
}

impl ChildGuard {
    /// Like [`ChildGuard::wait_for_line`], but `None` instead of a panic
    /// when the child's stdout ends (it exited) or `timeout` passes first:
    /// for a caller that retries, e.g. a server whose port is not free yet.
    pub fn try_wait_for_line(
        &mut self,
        needle: &str,
        timeout: std::time::Duration,
    ) -> Option<String> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let line = self.lines.recv_timeout(left).ok()?;
            self.stdout.push(line.clone());
            if line.contains(needle) {
                return Some(line);
            }
        }
    }
}

/// A fresh directory under the system's temporary directory, readable by
/// us only, removed (best effort) when dropped: for files that child
/// processes write (key logs, session caches).
pub struct ScratchDir(PathBuf);

impl ScratchDir {
    pub fn new(tag: &str) -> Self {
        static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "tls12-test-{tag}-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Self(path)
    }

    /// `name` inside the directory.
    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl ChildGuard {
    /// Like [`ChildGuard::spawn`], but the child's stderr lines come through
    /// the same channel as its stdout lines, in the order they arrive, so
    /// that [`ChildGuard::wait_for_line`] can wait for what a tool prints on
    /// stderr (`openssl s_client` says "RENEGOTIATING" there). Everything
    /// the child printed is then in [`Finished::stdout`].
    pub fn spawn_merged(cmd: &mut std::process::Command) -> Self {
        use std::io::BufRead;
        use std::process::Stdio;
        let what = format!("{cmd:?}");
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
        let (tx, lines) = std::sync::mpsc::channel();
        let stdout: Box<dyn std::io::Read + Send> = Box::new(child.stdout.take().unwrap());
        let stderr: Box<dyn std::io::Read + Send> = Box::new(child.stderr.take().unwrap());
        for pipe in [stdout, stderr] {
            let tx = tx.clone();
            thread::spawn(move || {
                for line in std::io::BufReader::new(pipe).split(b'\n') {
                    let Ok(line) = line else { break };
                    if tx
                        .send(String::from_utf8_lossy(&line).into_owned())
                        .is_err()
                    {
                        break;
                    }
                }
            });
        }
        Self {
            what,
            child,
            lines,
            stdout: Vec::new(),
            stderr: None,
        }
    }
}
