//! A blocking TLS stream over a [`Transport`] (a `TcpStream`, or any
//! `Read + Write` given an `impl Transport`), shaped like
//! `std::net::TcpStream`: `read`, `write`, `flush`, and close_notify on close.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use handshake::{ClientConfig, Error, ServerConfig};
use record_layer::deframer::READ_SIZE;

use crate::conn::Connection;

/// A TLS connection driven over a blocking transport (usually a `TcpStream`).
///
/// TLS failures come back as `io::Error`s of kind `InvalidData` that wrap
/// the [`Error`]; [`tls_error`] gets it back out.
///
/// Closing follows §7.2.1 as [`Connection`] tells ("Closing"): `read` gives
/// `Ok(0)` at the peer's close_notify, after sending ours in answer; a
/// `write` after either side's close_notify fails with kind `BrokenPipe`
/// (wrapping [`Error::Closed`]), as a write on a shut-down socket does. A
/// peer that closes the transport without close_notify gives
/// `UnexpectedEof` (a possible truncation attack), not a clean end of
/// stream. For the same reason, end a connection with [`Stream::close`],
/// which sends close_notify: dropping a `Stream` just closes the transport,
/// and the peer is right to report that as a truncation.
///
/// After sending a fatal alert, a `Stream` asks its [`Transport`] to make
/// sure the alert arrives ([`Transport::linger_after_alert`]) before it
/// returns the error.
#[derive(Debug)]
pub struct Stream<S: Transport> {
    conn: Connection,
    sock: S,
}

/// The TLS error inside an `io::Error` from a [`Stream`], if there is one.
pub fn tls_error(e: &io::Error) -> Option<&Error> {
    e.get_ref()?.downcast_ref::<Error>()
}

/// `e` as the `io::Error` a [`Stream`] returns: `BrokenPipe` for a write
/// after close_notify, `InvalidData` for a TLS failure.
pub(crate) fn io_error(e: Error) -> io::Error {
    let kind = match e {
        Error::Closed => io::ErrorKind::BrokenPipe,
        _ => io::ErrorKind::InvalidData,
    };
    io::Error::new(kind, e)
}

/// What a [`Stream`] needs of its transport beyond `Read + Write`: a way to
/// make a fatal alert (RFC 5246 §7.2.2) reach the peer before the
/// transport is closed, and a way to read without waiting.
pub trait Transport: Read + Write {
    /// Called once a fatal alert has been written and flushed, before the
    /// error goes to the application (which then closes the transport).
    /// The default does nothing; a `TcpStream` lingers ([`linger`]).
    fn linger_after_alert(&mut self) {}

    /// Reads what has already arrived, without waiting: `WouldBlock` if
    /// nothing has. A [`Stream`] reads this way first; only when nothing
    /// is there does it give back the buffers that hold nothing
    /// ([`Connection::release_idle_buffers`]) and then wait in `read`, as
    /// the async stream does whenever its socket is not ready. So a
    /// connection waiting for its peer holds only its keys and session,
    /// while one that keeps receiving reuses its buffers and allocates
    /// nothing per record. The default cannot tell and reads as `read`
    /// does: its connections keep their buffers. A `TcpStream` answers
    /// with one `recv(MSG_DONTWAIT)` on Unix.
    fn read_ready(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read(buf)
    }
}

impl Transport for TcpStream {
    fn linger_after_alert(&mut self) {
        linger(self);
    }

    fn read_ready(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_without_waiting(self, buf)
    }
}

/// What has arrived on `sock`, or `WouldBlock`, whatever the socket's own
/// blocking mode and timeout: `MSG_DONTWAIT` makes this one call
/// non-blocking, so the socket is not switched back and forth.
#[cfg(unix)]
pub(crate) fn read_without_waiting(sock: &mut TcpStream, buf: &mut [u8]) -> io::Result<usize> {
    let (n, _) = rustix::net::recv(&*sock, buf, rustix::net::RecvFlags::DONTWAIT)?;
    Ok(n)
}

/// Elsewhere: a plain read, which may wait (the buffers are then kept).
#[cfg(not(unix))]
pub(crate) fn read_without_waiting(sock: &mut TcpStream, buf: &mut [u8]) -> io::Result<usize> {
    sock.read(buf)
}

/// A transport read through [`Transport::read_ready`].
struct Ready<'a, S>(&'a mut S);

impl<S: Transport> Read for Ready<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read_ready(buf)
    }
}

/// How long [`linger`] keeps reading after a fatal alert: 1 s.
pub const ALERT_LINGER_TIME: Duration = Duration::from_secs(1);

/// How many bytes [`linger`] reads and discards after a fatal alert, at
/// most: 256 KiB.
pub const ALERT_LINGER_BYTES: usize = 256 * 1024;

/// Shuts down writing and reads what the peer still sends, until it closes
/// its side, [`ALERT_LINGER_BYTES`] have come or [`ALERT_LINGER_TIME`] has
/// passed.
///
/// A socket closed while the peer's bytes sit unread makes the kernel send
/// a reset instead of a FIN (RFC 1122 §4.2.2.13); the peer then reports
/// "connection reset", and may discard data it had not read yet, our alert
/// included. The shutdown puts a FIN right behind the alert; the drain
/// empties the receive queue so that the close that follows sends no
/// reset. Both bounds keep a peer from holding us here.
pub fn linger(sock: &TcpStream) {
    if sock.shutdown(Shutdown::Write).is_err() {
        return;
    }
    let deadline = Instant::now() + ALERT_LINGER_TIME;
    let mut discard = [0u8; 4096];
    let mut drained = 0;
    while drained < ALERT_LINGER_BYTES {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || sock.set_read_timeout(Some(left)).is_err() {
            return;
        }
        match (&mut &*sock).read(&mut discard) {
            Ok(0) | Err(_) => return,
            Ok(n) => drained += n,
        }
    }
}

impl<S: Transport> Stream<S> {
    /// Connects as a client to `server_name` over `sock` and completes the
    /// handshake. `server_name` is sent as SNI (RFC 6066 §3) and checked
    /// against the server's certificate; a failed handshake is an
    /// `io::Error` ([`tls_error`] tells the TLS error in it).
    ///
    /// ```no_run
    /// use std::io::{Read, Write};
    /// use std::net::TcpStream;
    /// use std::path::Path;
    /// use std::sync::Arc;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let roots = tls12::load_trust_anchors(Path::new("test-data/ecdsa/root.pem"))?;
    /// let config = Arc::new(tls12::ClientConfig::new(roots));
    /// let sock = TcpStream::connect("localhost:8443")?;
    /// let mut tls = tls12::Stream::connect(config, "localhost", sock)?;
    /// tls.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
    /// let mut page = String::new();
    /// tls.read_to_string(&mut page)?; // to the server's close_notify
    /// let conn = tls.connection();
    /// println!("{:?} resumed: {}", conn.session().unwrap().cipher_suite, conn.established().unwrap().resumed);
    /// tls.close() // our close_notify (RFC 5246 §7.2.1)
    /// # }
    /// ```
    pub fn connect(config: Arc<ClientConfig>, server_name: &str, sock: S) -> io::Result<Self> {
        let conn = Connection::client(config, server_name).map_err(io_error)?;
        Self::handshake(conn, sock)
    }

    /// Accepts a client over `sock` and completes the handshake: the
    /// server's side of RFC 5246 §7.3, full or abbreviated as the client
    /// and the config's session store allow.
    ///
    /// ```no_run
    /// use std::io::Write;
    /// use std::net::TcpListener;
    /// use std::path::Path;
    /// use std::sync::Arc;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let certified = tls12::load_certified_key(
    ///     Path::new("test-data/ecdsa/localhost.chain.pem"),
    ///     Path::new("test-data/ecdsa/localhost.key"),
    /// )?;
    /// let config = Arc::new(tls12::ServerConfig::new(vec![certified]));
    /// let listener = TcpListener::bind("127.0.0.1:8443")?;
    /// for sock in listener.incoming() {
    ///     let config = config.clone();
    ///     std::thread::spawn(move || -> std::io::Result<()> {
    ///         let mut tls = tls12::Stream::accept(config, sock?)?;
    ///         tls.write_all(b"HTTP/1.0 200 OK\r\n\r\nhello over TLS 1.2\n")?;
    ///         tls.close()
    ///     });
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn accept(config: Arc<ServerConfig>, sock: S) -> io::Result<Self> {
        Self::handshake(Connection::server(config), sock)
    }

    fn handshake(conn: Connection, sock: S) -> io::Result<Self> {
        let mut stream = Self { conn, sock };
        handshake(&mut stream.conn, &mut stream.sock)?;
        Ok(stream)
    }

    /// The connection: its session, its handshake count, its cipher states.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The connection, mutably.
    pub fn connection_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// The transport.
    pub fn get_ref(&self) -> &S {
        &self.sock
    }

    /// The transport, mutably: to change its timeouts or deadline. Reading
    /// or writing it directly would break the TLS stream.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.sock
    }

    /// Renegotiates (§7.4.1.1, RFC 5746) and waits until the new handshake
    /// completes or the peer declines it ([`Event`](crate::Event) says
    /// which). The connection and its socket stay; its session is replaced.
    /// Application data that arrives meanwhile is kept for `read`.
    pub fn renegotiate(&mut self) -> io::Result<()> {
        if let Err(e) = self.conn.renegotiate() {
            return Err(failed(&mut self.conn, &mut self.sock, e));
        }
        finish_renegotiation(&mut self.conn, &mut self.sock)
    }

    /// A server's renegotiation with another configuration, e.g. one that
    /// requires a client certificate; waits as [`Stream::renegotiate`] does.
    pub fn renegotiate_with(&mut self, config: Arc<ServerConfig>) -> io::Result<()> {
        if let Err(e) = self.conn.renegotiate_with(config) {
            return Err(failed(&mut self.conn, &mut self.sock, e));
        }
        finish_renegotiation(&mut self.conn, &mut self.sock)
    }

    /// Sends close_notify (§7.2.1) and flushes it; after the first call, and
    /// after the peer's close_notify (already answered), it sends nothing
    /// more. Reading may go on until the peer's close_notify.
    pub fn close(&mut self) -> io::Result<()> {
        close(&mut self.conn, &mut self.sock)
    }
}

impl<S: Transport> Read for Stream<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read(&mut self.conn, &mut self.sock, buf)
    }
}

impl<S: Transport> Write for Stream<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        write(&mut self.conn, &mut self.sock, buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        flush_records(&mut self.conn, &mut self.sock)
    }
}

// How a connection is driven over a transport, shared by [`Stream`] and the
// async stream. Each function can be called again after the transport
// failed with `WouldBlock` (how the async stream says "not ready"): it
// picks up from the connection's state, never from where it stopped.

/// Runs the first handshake to its end.
pub(crate) fn handshake(conn: &mut Connection, sock: &mut impl Transport) -> io::Result<()> {
    while conn.is_handshaking() {
        flush_records(conn, sock)?;
        if conn.peer_closed() || !read_records(conn, sock)? {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "peer closed the connection during the handshake",
            ));
        }
    }
    flush_records(conn, sock)
}

/// Waits until the renegotiation started on `conn` completes or the peer
/// declines it.
pub(crate) fn finish_renegotiation(
    conn: &mut Connection,
    sock: &mut impl Transport,
) -> io::Result<()> {
    flush_records(conn, sock)?;
    while conn.is_renegotiating() {
        if conn.peer_closed() || !read_records(conn, sock)? {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "peer closed the connection during renegotiation",
            ));
        }
    }
    Ok(())
}

/// Sends close_notify (§7.2.1) and flushes it.
pub(crate) fn close(conn: &mut Connection, sock: &mut impl Transport) -> io::Result<()> {
    conn.send_close_notify();
    if conn.peer_closed() {
        return flush_answer(conn, sock);
    }
    flush_records(conn, sock)
}

/// Flushes our close_notify in answer to the peer's, best effort: §7.2.1
/// lets the peer close "without waiting for the responding close_notify",
/// so a transport it has closed is no failure. Only `WouldBlock` (not
/// ready yet, the async stream's "try again") is passed on.
fn flush_answer(conn: &mut Connection, sock: &mut impl Transport) -> io::Result<()> {
    match flush_records(conn, sock) {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Err(e),
        _ => Ok(()),
    }
}

/// Reads application data, reading records from the transport until some
/// arrives, the peer sends close_notify (`Ok(0)`), or the transport ends.
pub(crate) fn read(
    conn: &mut Connection,
    sock: &mut impl Transport,
    buf: &mut [u8],
) -> io::Result<usize> {
    loop {
        let n = conn.read_application_data(buf);
        if n > 0 || buf.is_empty() {
            return Ok(n);
        }
        if conn.peer_closed() {
            // The clean end (§7.2.1), once our answer is on its way.
            return flush_answer(conn, sock).map(|()| 0);
        }
        if !read_records(conn, sock)? {
            // §7.2.1: a transport that ends without close_notify may be
            // a truncation attack; say so instead of a clean EOF.
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "peer closed the connection without close_notify",
            ));
        }
    }
}

/// Queues `buf` as application data and sends it. Once queued, the bytes
/// are taken even if the transport is not ready for them (`WouldBlock`):
/// a later write or flush sends them, and a write first sends what is
/// still queued, so a slow peer holds back the writer.
pub(crate) fn write(
    conn: &mut Connection,
    sock: &mut impl Transport,
    buf: &[u8],
) -> io::Result<usize> {
    flush_records(conn, sock)?;
    if let Err(e) = conn.write_application_data(buf) {
        return Err(failed(conn, sock, e));
    }
    match flush_records(conn, sock) {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(buf.len()),
        result => result.map(|()| buf.len()),
    }
}

/// Writes every queued record to the transport.
pub(crate) fn flush_records(conn: &mut Connection, sock: &mut impl Transport) -> io::Result<()> {
    while conn.wants_write() {
        conn.write_tls(sock)?;
    }
    sock.flush()
}

/// Reads once from the transport and processes what came. Returns false
/// at the transport's end of stream. A TLS error queues its alert, which
/// is flushed before the error is returned.
fn read_records(conn: &mut Connection, sock: &mut impl Transport) -> io::Result<bool> {
    let n = match conn.read_tls(&mut Ready(sock)) {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => wait_for_records(conn, sock)?,
        read => read?,
    };
    if n == 0 {
        return Ok(false);
    }
    if let Err(e) = conn.process_new_packets() {
        return Err(failed(conn, sock, e));
    }
    // Answers the peer's flight may need: a renegotiation, or our
    // close_notify after the peer's.
    if conn.peer_closed() {
        flush_answer(conn, sock)?;
    } else {
        flush_records(conn, sock)?;
    }
    Ok(true)
}

/// Nothing has arrived: waits for the peer without keeping buffers that
/// hold nothing (see [`Transport::read_ready`]). They are given back, and
/// the wait reads onto the stack, so that a waiting connection holds no
/// buffer at all; what arrives is then copied in, one copy per wake-up.
/// A partial record keeps its buffer, and the wait reads straight into it.
fn wait_for_records(conn: &mut Connection, sock: &mut impl Transport) -> io::Result<usize> {
    conn.release_idle_buffers();
    if conn.has_partial_record() {
        return conn.read_tls(sock);
    }
    let mut arrived = [0; READ_SIZE];
    let n = sock.read(&mut arrived)?;
    // An empty record buffer takes READ_SIZE bytes whole.
    conn.read_tls(&mut &arrived[..n])
}

/// The connection failed with `e`: sends the fatal alert it queued (if
/// any) and lingers so that it arrives, then gives `e` back.
pub(crate) fn failed(conn: &mut Connection, sock: &mut impl Transport, e: Error) -> io::Error {
    // The alert is best effort: the peer may already be gone.
    if flush_records(conn, sock).is_ok() && e.alert().is_some() {
        sock.linger_after_alert();
    }
    io_error(e)
}
