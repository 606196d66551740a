//! Driving one connection over its socket, and the `-expect-*` checks.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use tls12::handshake::proofs::Authentication;
use tls12::handshake::Established;
use tls12::{Connection, Event};

use crate::options::{Options, TLS1_2};
use crate::Failure;

/// A connection and its socket, as the runner's test drives them.
pub struct Io<'a> {
    conn: &'a mut Connection,
    sock: &'a mut TcpStream,
    opts: &'a Options,
    renegotiations: u32,
}

impl<'a> Io<'a> {
    pub fn new(conn: &'a mut Connection, sock: &'a mut TcpStream, opts: &'a Options) -> Self {
        Self {
            conn,
            sock,
            opts,
            renegotiations: 0,
        }
    }

    pub fn conn(&self) -> &Connection {
        self.conn
    }

    /// Renegotiations completed on this connection.
    pub fn renegotiations(&self) -> u32 {
        self.renegotiations
    }

    pub fn handshake(&mut self) -> Result<(), Failure> {
        while self.conn.is_handshaking() {
            self.flush()?;
            if !self.read()? {
                return Err(Failure::Other("peer closed during the handshake".into()));
            }
        }
        self.flush()
    }

    /// What the shim does once the handshake is done, before echoing:
    /// `-shim-writes-first`, `-export-keying-material`, `-tls-unique`,
    /// `-shim-shuts-down`.
    pub fn after_handshake(&mut self) -> Result<(), Failure> {
        if self.opts.shim_writes_first {
            self.write(b"hello")?;
        }
        if self.opts.export_keying_material > 0 {
            let mut out = vec![0; self.opts.export_keying_material];
            let context = self
                .opts
                .use_export_context
                .then_some(self.opts.export_context.as_bytes());
            self.conn
                .export_keying_material(self.opts.export_label.as_bytes(), context, &mut out)
                .map_err(Failure::Tls)?;
            self.write(&out)?;
        }
        if self.opts.tls_unique {
            let binding = self.conn.tls_unique().ok_or_else(|| {
                Failure::Other("failed to get tls-unique (RFC 7627 \u{a7}5.4)".into())
            })?;
            self.write(&binding)?;
        }
        if self.opts.shim_shuts_down {
            self.conn.send_close_notify();
            self.flush()?;
        }
        Ok(())
    }

    /// Echoes application data, each byte XORed with 0xff, until the peer
    /// closes.
    pub fn echo(&mut self) -> Result<(), Failure> {
        let mut buf = vec![0; self.opts.read_size.unwrap_or(16384).max(1)];
        loop {
            self.count_events();
            let n = self.conn.read_application_data(&mut buf);
            if n > 0 {
                if self.opts.shim_shuts_down {
                    return Err(Failure::Other(
                        ":APPLICATION_DATA_ON_SHUTDOWN: (data after our close_notify)".into(),
                    ));
                }
                buf[..n].iter_mut().for_each(|b| *b ^= 0xff);
                self.write(&buf[..n])?;
                continue;
            }
            if self.conn.peer_closed() {
                // §7.2.1: answer close_notify with our own.
                self.conn.send_close_notify();
                // The runner may have gone already.
                let _ = self.flush();
                return Ok(());
            }
            if !self.read()? {
                return self.eof();
            }
        }
    }

    /// The transport ended without close_notify.
    fn eof(&self) -> Result<(), Failure> {
        // BoringSSL's shim, whose words the runner expects: our
        // close_notify was never answered.
        if self.opts.shim_shuts_down && self.opts.check_close_notify {
            return Err(Failure::Other(
                "Unexpected SSL_shutdown result: -1 != 1 (the peer closed the transport \
                 without answering our close_notify)"
                    .into(),
            ));
        }
        if self.opts.check_close_notify {
            return Err(Failure::Other(
                ":CLOSE_WITHOUT_CLOSE_NOTIFY: the peer closed the transport without \
                 close_notify"
                    .into(),
            ));
        }
        Ok(())
    }

    fn count_events(&mut self) {
        while let Some(event) = self.conn.next_event() {
            if let Event::HandshakeComplete {
                handshake_count, ..
            } = event
            {
                self.renegotiations = handshake_count.saturating_sub(1);
            }
        }
    }

    fn write(&mut self, data: &[u8]) -> Result<(), Failure> {
        self.conn
            .write_application_data(data)
            .map_err(Failure::Tls)?;
        self.flush()
    }

    /// After our fatal alert: close our side and read what the runner
    /// still sends, for a while, before the process exits. A socket closed
    /// with unread bytes answers with a TCP reset, which can reach the
    /// runner before it has read the alert (it then sees a broken pipe).
    fn linger(&mut self) {
        let _ = self.sock.shutdown(Shutdown::Write);
        let deadline = Instant::now() + Duration::from_secs(1);
        let mut sink = [0; 4096];
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            let _ = self
                .sock
                .set_read_timeout(Some(left.max(Duration::from_millis(1))));
            if !matches!(self.sock.read(&mut sink), Ok(n) if n > 0) {
                break;
            }
        }
    }

    fn flush(&mut self) -> Result<(), Failure> {
        while self.conn.wants_write() {
            self.conn.write_tls(self.sock)?;
        }
        Ok(self.sock.flush()?)
    }

    /// Reads once and processes what came; false at end of stream. A TLS
    /// error sends its alert first.
    fn read(&mut self) -> Result<bool, Failure> {
        let n = match self.conn.read_tls(self.sock) {
            Ok(n) => n,
            // The runner may reset the connection after its last alert.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => 0,
            Err(e) => return Err(e.into()),
        };
        if n == 0 {
            return Ok(false);
        }
        if let Err(e) = self.conn.process_new_packets() {
            let _ = self.flush();
            self.linger();
            return Err(Failure::Tls(e));
        }
        self.flush()?;
        Ok(true)
    }
}

/// The `-expect-*` checks of connection `n`'s first handshake; a client
/// says whether it keeps a ticket for the server (`ticket_kept`).
pub fn check_handshake(
    opts: &Options,
    n: usize,
    conn: &Connection,
    ticket_kept: bool,
) -> Result<(), Failure> {
    let est = conn
        .established()
        .ok_or(Failure::Other("no handshake".into()))?;
    let resumed = est.resumed;
    let want_resumed = n > 0 && !opts.expect_session_miss;
    check(resumed == want_resumed, || {
        format!("resumed: {resumed}, expected {want_resumed}")
    })?;
    if let Some(v) = opts.expect_version {
        check(v == TLS1_2, || {
            format!("version is TLS 1.2, expected {v:#06x}")
        })?;
    }
    if let Some(v) = opts.expect_cipher {
        let got = est.session.cipher_suite.value();
        check(got == v, || format!("cipher {got:#06x}, expected {v:#06x}"))?;
    }
    // On a resumption BoringSSL reports the session's group and peer
    // signature; ours are the connection's, and an abbreviated handshake
    // has neither.
    if let (Some(v), false) = (opts.expect_curve_id, resumed) {
        let got = conn.negotiated_group().map(|g| g.value());
        check(got == Some(v), || format!("group {got:?}, expected {v}"))?;
    }
    if let (Some(v), false) = (opts.expect_peer_signature_algorithm, resumed) {
        let got = conn.peer_signature_scheme().map(|s| s.value());
        check(got == Some(v), || {
            format!("peer signature {got:?}, expected {v:#06x}")
        })?;
    }
    check_alpn(opts, conn.alpn_protocol())?;
    check_server_name(opts, est.session.server_name.as_deref())?;
    let ems = est.session.extended_master_secret;
    check(!opts.expect_extended_master_secret || ems, || {
        "extended master secret not negotiated".into()
    })?;
    check(!opts.expect_no_extended_master_secret || !ems, || {
        "extended master secret negotiated".into()
    })?;
    let secure = conn
        .renegotiation_binding()
        .is_some_and(|b| b.secure_renegotiation);
    check(!opts.expect_secure_renegotiation || secure, || {
        "secure renegotiation not negotiated".into()
    })?;
    check(!opts.expect_no_secure_renegotiation || !secure, || {
        "secure renegotiation negotiated".into()
    })?;
    check_session(opts, conn, ticket_kept)?;
    check_verify_result(opts, est)?;
    check_peer_certificate(opts, conn)
}

/// `-expect-verify-result` (BoringSSL's `X509_V_OK`): no chain was
/// refused. The peer was authenticated by this handshake's signature over
/// an accepted chain, or by the full handshake of the session it resumed
/// (whose chain, if any, our config's checks saw again); or, on a server,
/// it is an anonymous client that sent no chain.
fn check_verify_result(opts: &Options, est: &Established) -> Result<(), Failure> {
    if !opts.expect_verify_result {
        return Ok(());
    }
    let how = est.peer.how();
    let verified = match how {
        Authentication::Signature | Authentication::InheritedFromSession => true,
        Authentication::Anonymous => est.peer_certificates().is_empty(),
    };
    check(verified, || format!("peer not verified: {how:?}"))
}

fn check_alpn(opts: &Options, alpn: Option<&[u8]>) -> Result<(), Failure> {
    if let Some(want) = &opts.expect_alpn {
        check(alpn == Some(want.as_slice()), || {
            format!("ALPN {alpn:?}, expected {want:?}")
        })?;
    }
    check(!opts.expect_no_alpn || alpn.is_none(), || {
        format!("ALPN {alpn:?}, expected none")
    })
}

fn check_server_name(opts: &Options, name: Option<&str>) -> Result<(), Failure> {
    if let Some(want) = &opts.expect_server_name {
        check(name == Some(want.as_str()), || {
            format!("server name {name:?}, expected {want:?}")
        })?;
    }
    check(!opts.expect_no_server_name || name.is_none(), || {
        format!("server name {name:?}, expected none")
    })
}

fn check_session(opts: &Options, conn: &Connection, ticket_kept: bool) -> Result<(), Failure> {
    let Some(session) = conn.session() else {
        return Err(Failure::Other("no session".into()));
    };
    let has_id = !session.session_id.is_empty();
    check(!opts.expect_session_id || has_id, || "no session id".into())?;
    check(!opts.expect_no_session_id || !has_id, || {
        "a session id, expected none".into()
    })?;
    let resumable = has_id || ticket_kept;
    check(!opts.expect_no_session || !resumable, || {
        "a resumable session, expected none".into()
    })
}

fn check_peer_certificate(opts: &Options, conn: &Connection) -> Result<(), Failure> {
    let Some(path) = &opts.expect_peer_cert_file else {
        return Ok(());
    };
    let pem = std::fs::read(path)?;
    let want = tls12::certs_from_pem(&pem).map_err(|e| Failure::Other(format!("{path}: {e}")))?;
    let got: Vec<Vec<u8>> = conn
        .session()
        .map(|s| s.peer_certificates.iter().cloned().collect())
        .unwrap_or_default();
    check(got == want, || "peer certificate differs".into())
}

/// `-expect-total-renegotiations`, at the end of the connection.
pub fn check_renegotiations(opts: &Options, done: u32) -> Result<(), Failure> {
    match opts.expect_total_renegotiations {
        Some(want) => check(done == want, || {
            format!("{done} renegotiations, expected {want}")
        }),
        None => Ok(()),
    }
}

fn check(ok: bool, why: impl FnOnce() -> String) -> Result<(), Failure> {
    if ok {
        Ok(())
    } else {
        Err(Failure::Other(why()))
    }
}
