//! Helpers shared by the integration tests: test certificates, configs,
//! loopback servers. (Each test binary uses a different subset.)
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread;

use tls12::{CertifiedKey, ClientConfig, ServerConfig, SigningKey, Stream, TrustAnchors};

pub mod chromium;
pub mod gnutls;
pub mod haproxy;
pub mod hello;
pub mod identity;
pub mod redis;

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
    CertifiedKey::new(
        tls12::certs_from_pem(&read(chain)).unwrap(),
        SigningKey::from_pem(&read(key)).unwrap(),
    )
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
/// (tests/run.sh).
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
             (e.g. `apt-get install {tool}`; tests/run.sh does this) to run the interop tests"
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

    /// The child's process id.
    pub fn id(&self) -> u32 {
        self.child.id()
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

/// A file under test-data/, as a command-line argument.
pub fn test_data_arg(path: &str) -> String {
    test_data(path).to_str().unwrap().to_owned()
}

/// The `openssl` command, after checking it can run ([`require_tool`]).
pub fn openssl() -> std::process::Command {
    require_tool("openssl", "version");
    std::process::Command::new("openssl")
}

/// `openssl s_server -tls1_2` on a free loopback port of its choosing
/// (`-accept 127.0.0.1:0`), serving test-data/`pki`'s localhost chain:
/// add its options, then [`start_s_server`].
pub fn s_server_command(pki: &str) -> std::process::Command {
    let mut cmd = openssl();
    cmd.args(["s_server", "-tls1_2", "-accept", "127.0.0.1:0"])
        .args(["-cert", &test_data_arg(&format!("{pki}/localhost.pem"))])
        .args([
            "-cert_chain",
            &test_data_arg(&format!("{pki}/intermediate.pem")),
        ])
        .args(["-key", &test_data_arg(&format!("{pki}/localhost.key"))]);
    cmd
}

/// Spawns `cmd`, an `openssl s_server -accept 127.0.0.1:0`, and waits up
/// to `timeout` for its "ACCEPT 127.0.0.1:PORT" line: the server and its
/// port.
pub fn start_s_server(
    cmd: &mut std::process::Command,
    timeout: std::time::Duration,
) -> (ChildGuard, u16) {
    let mut server = ChildGuard::spawn(cmd);
    let port = server.wait_for_port("ACCEPT", timeout);
    (server, port)
}

/// The port at the end of a server's "listening on 127.0.0.1:PORT" or
/// "ACCEPT 127.0.0.1:PORT" line.
pub fn port_in(line: &str) -> u16 {
    line.rsplit(':')
        .next()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("no port in the server's {line:?}"))
}

impl ChildGuard {
    /// Waits up to `timeout` for the stdout line containing `needle` with
    /// which a server says where it listens, and returns the port in it.
    pub fn wait_for_port(&mut self, needle: &str, timeout: std::time::Duration) -> u16 {
        port_in(&self.wait_for_line(needle, timeout))
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

// ---------------------------------------------------------------------------
// In memory: our client and our server joined by nothing but the test, and
// the wire surgery tests/malformed.rs and tests/attacks.rs do on what they
// send. Kept in a module of its own so its names cannot clash with other
// helpers here.

pub mod example_server;

pub mod wire {
    use std::sync::Arc;

    use tls12::handshake::messages::{HandshakeMessage, HandshakePayload, HandshakeType};
    use tls12::record_layer::aead::CipherState;
    use tls12::record_layer::prf;
    use tls12::record_layer::record::{
        write_record, ContentType, ProtocolVersion, RecordHeader, HEADER_LEN,
    };
    use tls12::record_layer::secret::MasterSecret;
    use tls12::{AlertDescription, CipherSuite, ClientConfig, Connection, Error, Established};
    use tls12::{ServerConfig, Session};

    /// A client and a server connected by nothing but the test.
    pub struct Pair {
        pub client: Connection,
        pub server: Connection,
    }

    impl Pair {
        /// A client connecting to `localhost` (its ClientHello is queued).
        pub fn new(client: ClientConfig, server: ServerConfig) -> Self {
            Self::named(client, server, "localhost")
        }

        /// A client connecting to `server_name`.
        pub fn named(client: ClientConfig, server: ServerConfig, server_name: &str) -> Self {
            Self {
                client: Connection::client(Arc::new(client), server_name).unwrap(),
                server: Connection::server(Arc::new(server)),
            }
        }

        /// Moves what the client wrote, rewritten by `tamper`, to the server.
        pub fn flight_to_server(
            &mut self,
            tamper: impl FnOnce(Vec<u8>) -> Vec<u8>,
        ) -> Result<(), Error> {
            let wire = tamper(take(&mut self.client));
            deliver(&mut self.server, &wire)
        }

        /// Moves what the server wrote, rewritten by `tamper`, to the client.
        pub fn flight_to_client(
            &mut self,
            tamper: impl FnOnce(Vec<u8>) -> Vec<u8>,
        ) -> Result<(), Error> {
            let wire = tamper(take(&mut self.server));
            deliver(&mut self.client, &wire)
        }

        /// Pumps both ways, untouched, until neither side has anything to
        /// send; neither may fail.
        pub fn settle(&mut self) {
            while self.client.wants_write() || self.server.wants_write() {
                self.flight_to_server(untouched).unwrap();
                self.flight_to_client(untouched).unwrap();
            }
        }

        /// [`Pair::settle`], after which both sides must have completed a
        /// handshake.
        pub fn complete(&mut self) {
            self.settle();
            assert!(self.client.established().is_some(), "client incomplete");
            assert!(self.server.established().is_some(), "server incomplete");
        }
    }

    /// The hook that changes nothing.
    pub fn untouched(wire: Vec<u8>) -> Vec<u8> {
        wire
    }

    /// Everything `conn` has queued for the transport.
    pub fn take(conn: &mut Connection) -> Vec<u8> {
        let mut out = Vec::new();
        while conn.wants_write() {
            conn.write_tls(&mut out).unwrap();
        }
        out
    }

    /// Feeds `wire` to `conn` and processes it. The record buffer holds one
    /// record at most, so reading and processing alternate.
    pub fn deliver(conn: &mut Connection, mut wire: &[u8]) -> Result<(), Error> {
        loop {
            let n = conn.read_tls(&mut wire).unwrap();
            conn.process_new_packets()?;
            if wire.is_empty() {
                return Ok(());
            }
            assert!(n > 0, "the connection took no bytes");
        }
    }

    /// Like [`deliver`], but an empty flight is not delivered at all:
    /// `conn` is not even asked to process, so a side with nothing to send
    /// cannot make its peer report an earlier failure again.
    pub fn deliver_if_any(conn: &mut Connection, mut wire: &[u8]) -> Result<(), Error> {
        while !wire.is_empty() {
            let n = conn.read_tls(&mut wire).unwrap();
            conn.process_new_packets()?;
            assert!(n > 0, "the connection took no bytes");
        }
        Ok(())
    }

    /// The records of `wire`, each as its header and fragment.
    pub fn records(mut wire: &[u8]) -> Vec<(RecordHeader, Vec<u8>)> {
        let mut out = Vec::new();
        while let Some((header, rest)) = wire.split_first_chunk::<HEADER_LEN>() {
            let header = RecordHeader::decode(header).unwrap();
            let (fragment, rest) = rest.split_at(usize::from(header.length));
            out.push((header, fragment.to_vec()));
            wire = rest;
        }
        assert!(wire.is_empty(), "a partial record header");
        out
    }

    /// Records back to bytes, each header's length set from its fragment.
    pub fn to_wire(records: &[(RecordHeader, Vec<u8>)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (header, fragment) in records {
            let length = u16::try_from(fragment.len()).unwrap();
            out.extend_from_slice(&RecordHeader { length, ..*header }.encode());
            out.extend_from_slice(fragment);
        }
        out
    }

    /// The content type of each record of `wire`.
    pub fn content_types(wire: &[u8]) -> Vec<ContentType> {
        records(wire).iter().map(|(h, _)| h.content_type).collect()
    }

    /// One unprotected record (§6.2.1), version {3,3}, whatever its length.
    pub fn plaintext_record(content_type: ContentType, fragment: &[u8]) -> Vec<u8> {
        let length = u16::try_from(fragment.len()).unwrap();
        let mut out = RecordHeader {
            content_type,
            version: ProtocolVersion::TLS1_2,
            length,
        }
        .encode()
        .to_vec();
        out.extend_from_slice(fragment);
        out
    }

    /// `msg_type ‖ uint24 length ‖ body` (§7.4) with `length` as given,
    /// whatever the body's real length.
    pub fn handshake_with_length(msg_type: HandshakeType, length: usize, body: &[u8]) -> Vec<u8> {
        let length = u32::try_from(length).unwrap().to_be_bytes();
        let mut out = vec![msg_type.value(), length[1], length[2], length[3]];
        out.extend_from_slice(body);
        out
    }

    /// `msg_type ‖ uint24 length ‖ body` with the body's own length.
    pub fn handshake(msg_type: HandshakeType, body: &[u8]) -> Vec<u8> {
        handshake_with_length(msg_type, body.len(), body)
    }

    /// The raw `msg_type` message (header and body) in the plaintext flight
    /// `wire`. Our peers send one message per record, which this relies on.
    pub fn message(wire: &[u8], msg_type: HandshakeType) -> Vec<u8> {
        records(wire)
            .into_iter()
            .find(|(h, f)| h.content_type == ContentType::Handshake && f[0] == msg_type.value())
            .map(|(_, f)| f)
            .unwrap_or_else(|| panic!("no {} record in flight", msg_type.name()))
    }

    /// The decoded `msg_type` message of the plaintext flight `wire`.
    pub fn payload(wire: &[u8], msg_type: HandshakeType) -> HandshakePayload {
        HandshakeMessage::decode(message(wire, msg_type))
            .unwrap()
            .payload
    }

    /// The flight `wire` with its `msg_type` record replaced by `edit`'s
    /// change to the decoded message, encoded again with a correct length.
    pub fn edit_message(
        wire: Vec<u8>,
        msg_type: HandshakeType,
        edit: impl FnOnce(&mut HandshakePayload),
    ) -> Vec<u8> {
        let mut recs = records(&wire);
        let (_, fragment) = recs
            .iter_mut()
            .find(|(h, f)| h.content_type == ContentType::Handshake && f[0] == msg_type.value())
            .unwrap_or_else(|| panic!("no {} record in flight", msg_type.name()));
        let mut msg = HandshakeMessage::decode(fragment.clone()).unwrap();
        edit(&mut msg.payload);
        *fragment = HandshakeMessage::new(msg.payload).raw;
        to_wire(&recs)
    }

    /// The flight `wire` without the records `drop` picks.
    pub fn without(wire: Vec<u8>, drop: impl Fn(&RecordHeader, &[u8]) -> bool) -> Vec<u8> {
        let mut recs = records(&wire);
        recs.retain(|(h, f)| !drop(h, f));
        to_wire(&recs)
    }

    /// The flight `wire` without its `msg_type` record, which must be the
    /// only one.
    pub fn drop_message(wire: Vec<u8>, msg_type: HandshakeType) -> Vec<u8> {
        let mut recs = records(&wire);
        let before = recs.len();
        recs.retain(|(h, f)| {
            !(h.content_type == ContentType::Handshake && f[0] == msg_type.value())
        });
        assert_eq!(
            recs.len(),
            before - 1,
            "exactly one {} record",
            msg_type.name()
        );
        to_wire(&recs)
    }

    /// The flight `wire` with the (single) record `record` inserted before
    /// its record `at`.
    pub fn insert_record(wire: Vec<u8>, at: usize, record: &[u8]) -> Vec<u8> {
        let mut recs = records(&wire);
        recs.insert(at, records(record).remove(0));
        to_wire(&recs)
    }

    /// A plaintext ChangeCipherSpec record: type 20, version {3,3}, length
    /// 1, the byte 1 (§7.1).
    pub const CHANGE_CIPHER_SPEC: [u8; 6] = [20, 3, 3, 0, 1, 1];

    /// Which side's write keys.
    #[derive(Clone, Copy, Debug)]
    pub enum Writer {
        Client,
        Server,
    }

    /// `writer`'s cipher state at sequence number 0, from the key block
    /// (§6.3: `key_block = PRF(master_secret, "key expansion",
    /// server_random + client_random)`), derived here rather than taken
    /// from a connection.
    pub fn derive_write_state(
        suite: CipherSuite,
        master_secret: &MasterSecret,
        client_random: &[u8; 32],
        server_random: &[u8; 32],
        writer: Writer,
    ) -> CipherState {
        let key_block = prf::key_block(
            suite.prf_hash(),
            master_secret,
            client_random,
            server_random,
            suite.bulk(),
        );
        let (key, iv) = match writer {
            Writer::Client => (key_block.client_write_key(), key_block.client_write_iv()),
            Writer::Server => (key_block.server_write_key(), key_block.server_write_iv()),
        };
        CipherState::new(key_block.bulk(), key, iv).unwrap()
    }

    /// `writer`'s cipher state on the connection `est` describes, at
    /// sequence number `seq`.
    pub fn write_state(est: &Established, writer: Writer, seq: u64) -> CipherState {
        let mut state = derive_write_state(
            est.session.cipher_suite,
            est.session.master_secret(),
            &est.client_random.0,
            &est.server_random.0,
            writer,
        );
        state.skip(seq);
        state
    }

    /// A copy of `conn`'s current write state (`conn` writes as `writer`
    /// on the connection `est` describes), at the sequence number its next
    /// record will use: to seal records as it would, or open the ones it
    /// sends.
    pub fn next_write_state(conn: &Connection, est: &Established, writer: Writer) -> CipherState {
        let seq = conn
            .cipher_states()
            .current_write()
            .expect("no write keys yet")
            .seq_num();
        write_state(est, writer, seq)
    }

    /// Opens a protected record with `state` at its current sequence number.
    pub fn open(state: &mut CipherState, header: RecordHeader, fragment: &[u8]) -> Vec<u8> {
        let mut fragment = fragment.to_vec();
        state
            .open(header.content_type, header.version, &mut fragment)
            .unwrap()
            .to_vec()
    }

    /// Protects `plaintext` as a record of `content_type` with `state`.
    pub fn seal(state: &mut CipherState, content_type: ContentType, plaintext: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        write_record(
            &mut out,
            content_type,
            ProtocolVersion::TLS1_2,
            plaintext,
            state.nonce_explicit_len(),
            state.tag_len(),
        );
        state.seal(&mut out).unwrap();
        out
    }

    /// How the failing side's alert travels: in the clear before that side
    /// sent ChangeCipherSpec (§7.1), else under its write state, positioned
    /// at the alert's sequence number.
    pub enum AlertProtection {
        Clear,
        Sealed(Box<CipherState>),
    }

    /// Checks that `error` is the record layer's out-of-order error
    /// (`Error::Record(UnexpectedMessage(_))`, sent as unexpected_message).
    pub fn assert_unexpected_message(error: &Error, context: &str) {
        assert!(
            matches!(
                error,
                Error::Record(tls12::record_layer::Error::UnexpectedMessage(_))
            ),
            "{context}: {error:?}"
        );
    }

    /// Checks that `error` is the record layer's out-of-place record error
    /// (`Error::Record(UnexpectedRecord(_))`, sent as unexpected_message).
    pub fn assert_unexpected_record(error: &Error, context: &str) {
        assert!(
            matches!(
                error,
                Error::Record(tls12::record_layer::Error::UnexpectedRecord(_))
            ),
            "{context}: {error:?}"
        );
    }

    /// Checks that `failing`, which returned `result`, failed with an error
    /// that maps to `alert`, wrote exactly one record (that fatal alert,
    /// read off the wire and opened if sealed), repeats the error on every
    /// later call and sends nothing more. Returns the error.
    pub fn assert_fatal_alert(
        failing: &mut Connection,
        result: Result<(), Error>,
        protection: AlertProtection,
        alert: AlertDescription,
    ) -> Error {
        let error = result.expect_err("the peer's input must be refused");
        assert_eq!(error.alert(), Some(alert), "{error}");
        take_fatal_alert(failing, &error, protection, alert);
        assert_eq!(failing.process_new_packets(), Err(error.clone()));
        assert!(!failing.wants_write(), "{error}: a second alert");
        error
    }

    /// Takes what `failing` (which failed with `error`) wrote and checks it
    /// is exactly one record, the fatal `alert` (opened if sealed). Returns
    /// that record as it went on the wire, for the peer to read.
    pub fn take_fatal_alert(
        failing: &mut Connection,
        error: &Error,
        protection: AlertProtection,
        alert: AlertDescription,
    ) -> Vec<u8> {
        let wire = take(failing);
        let recs = records(&wire);
        assert_eq!(recs.len(), 1, "{error}: one record, the alert: {recs:?}");
        let (header, fragment) = &recs[0];
        assert_eq!(header.content_type, ContentType::Alert, "{error}");
        assert_eq!(header.version, ProtocolVersion::TLS1_2);
        let body = match protection {
            AlertProtection::Clear => fragment.clone(),
            AlertProtection::Sealed(mut state) => open(&mut state, *header, fragment),
        };
        // §7.2: `struct { AlertLevel level; AlertDescription description; }`
        // with fatal(2).
        assert_eq!(body, [2, alert.value()], "{error}: the alert sent");
        wire
    }

    /// A session made by hand, as a full handshake with `localhost` would
    /// have made it, with the extended master secret.
    pub fn handmade_session(
        id: &[u8],
        master_secret: [u8; 48],
        peer_certificates: Vec<Vec<u8>>,
    ) -> Session {
        Session::new(
            tls12::SessionId::new(id).unwrap(),
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            MasterSecret::from_bytes(master_secret),
            true,
            peer_certificates,
            Some("localhost".into()),
            tls12::system_clock()(),
        )
    }
}
