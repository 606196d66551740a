//! An async TLS stream over any tokio `AsyncRead + AsyncWrite` transport
//! (feature `tokio`): the same [`Connection`] as the blocking
//! [`Stream`](crate::Stream), driven by the same functions, with the same
//! close_notify (RFC 5246 §7.2.1) and renegotiation (§7.4.1.1, RFC 5746)
//! behaviour.
//!
//! How it works: for each poll, the socket and the task's [`Context`] are
//! lent to the blocking stream's logic as a `Read + Write` that answers
//! `WouldBlock` where the socket is not ready (having registered the task's
//! waker), and `WouldBlock` is turned back into `Poll::Pending`. That logic
//! works from the connection's state, so calling it again on the next poll
//! carries on where the transport stopped it.

use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use ::tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use handshake::{ClientConfig, ServerConfig};

use crate::conn::Connection;
use crate::stream::{self, io_error};

/// A TLS connection over an async transport (usually a
/// `tokio::net::TcpStream`), implementing `AsyncRead` and `AsyncWrite`.
///
/// As with [`Stream`](crate::Stream): TLS failures are `io::Error`s of
/// kind `InvalidData` ([`tls_error`](crate::tls_error) gets the TLS error
/// out), a transport that ends without close_notify is `UnexpectedEof`.
/// Closing is §7.2.1's, as [`Connection`] tells ("Closing"): a read gives
/// end of stream at the peer's close_notify, once ours is sent in answer; a
/// write after either side's close_notify fails with `BrokenPipe`; and
/// `shutdown` (`poll_shutdown`) sends close_notify, once, before it shuts
/// the transport's write side. Dropping the stream sends nothing.
///
/// [`TlsAcceptor`](crate::TlsAcceptor) and
/// [`TlsConnector`](crate::TlsConnector) make one for each connection;
/// [`AsyncStream::accept`] and [`AsyncStream::connect`] do it directly. A
/// client and a server on a loopback port:
///
/// ```
/// use std::path::Path;
/// use std::sync::Arc;
/// use tls12::{AsyncStream, ClientConfig, ServerConfig};
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
/// use tokio::net::{TcpListener, TcpStream};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let certified = tls12::load_certified_key(
///     Path::new("test-data/ecdsa/localhost.chain.pem"),
///     Path::new("test-data/ecdsa/localhost.key"),
/// )?;
/// let server_config = Arc::new(ServerConfig::new(vec![certified]));
/// let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let addr = listener.local_addr()?;
/// let server = tokio::spawn(async move {
///     let (tcp, _) = listener.accept().await?;
///     let mut tls = AsyncStream::accept(server_config, tcp).await?;
///     let mut ping = [0; 4];
///     tls.read_exact(&mut ping).await?;
///     tls.write_all(b"pong").await?;
///     tls.shutdown().await // close_notify, then FIN
/// });
///
/// let roots = tls12::load_trust_anchors(Path::new("test-data/ecdsa/root.pem"))?;
/// let client_config = Arc::new(ClientConfig::new(roots));
/// let tcp = TcpStream::connect(addr).await?;
/// let mut tls = AsyncStream::connect(client_config, "localhost", tcp).await?;
/// tls.write_all(b"ping").await?;
/// let mut pong = Vec::new();
/// tls.read_to_end(&mut pong).await?; // ends at the server's close_notify
/// assert_eq!(pong, b"pong");
/// assert_eq!(tls.connection().handshake_count(), 1);
/// # server.await.unwrap()
/// # }
/// ```
#[derive(Debug)]
pub struct AsyncStream<S> {
    conn: Connection,
    sock: S,
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncStream<S> {
    /// Connects as a client to `server_name` over `sock` and completes the
    /// handshake.
    pub async fn connect(
        config: Arc<ClientConfig>,
        server_name: &str,
        sock: S,
    ) -> io::Result<Self> {
        let conn = Connection::client(config, server_name).map_err(io_error)?;
        Self::handshake(conn, sock).await
    }

    /// Accepts a client over `sock` and completes the handshake.
    pub async fn accept(config: Arc<ServerConfig>, sock: S) -> io::Result<Self> {
        Self::handshake(Connection::server(config), sock).await
    }

    /// Completes the handshake `conn` starts, over `sock`.
    pub(crate) async fn handshake(conn: Connection, sock: S) -> io::Result<Self> {
        let mut tls = Self { conn, sock };
        poll_fn(|cx| tls.drive(cx, stream::handshake)).await?;
        Ok(tls)
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

    /// Renegotiates (§7.4.1.1, RFC 5746) and waits until the new handshake
    /// completes or the peer declines it, as
    /// [`Stream::renegotiate`](crate::Stream::renegotiate) does.
    pub async fn renegotiate(&mut self) -> io::Result<()> {
        self.conn.renegotiate().map_err(io_error)?;
        poll_fn(|cx| self.drive(cx, stream::finish_renegotiation)).await
    }

    /// A server's renegotiation with another configuration, e.g. one that
    /// requires a client certificate.
    pub async fn renegotiate_with(&mut self, config: Arc<ServerConfig>) -> io::Result<()> {
        self.conn.renegotiate_with(config).map_err(io_error)?;
        poll_fn(|cx| self.drive(cx, stream::finish_renegotiation)).await
    }

    /// Runs one of the blocking stream's steps over the socket for this
    /// poll: `WouldBlock` means the socket is not ready, and the task is
    /// woken when it is.
    fn drive<'a, 'b, T>(
        &'a mut self,
        cx: &'a mut Context<'b>,
        step: impl FnOnce(&mut Connection, &mut Polled<'a, 'b, S>) -> io::Result<T>,
    ) -> Poll<io::Result<T>> {
        let mut sock = Polled {
            sock: &mut self.sock,
            cx,
        };
        match step(&mut self.conn, &mut sock) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                // Waiting for the peer (or for room to write): buffers
                // that hold nothing need not be kept meanwhile.
                self.conn.release_idle_buffers();
                Poll::Pending
            }
            result => Poll::Ready(result),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for AsyncStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = match self.get_mut().drive(cx, |conn, sock| {
            stream::read(conn, sock, buf.initialize_unfilled())
        }) {
            Poll::Ready(Ok(n)) => n,
            other => return other.map_ok(|_| ()),
        };
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for AsyncStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .drive(cx, |conn, sock| stream::write(conn, sock, buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().drive(cx, stream::flush_records)
    }

    /// Sends close_notify (§7.2.1), then shuts the transport's write side.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match this.drive(cx, stream::close) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.sock).poll_shutdown(cx),
            other => other,
        }
    }
}

/// The socket as a `Read + Write` for the duration of one poll.
struct Polled<'a, 'b, S> {
    sock: &'a mut S,
    cx: &'a mut Context<'b>,
}

/// `Pending` as the `WouldBlock` that the blocking logic passes up.
fn would_block<T>(poll: Poll<io::Result<T>>) -> io::Result<T> {
    match poll {
        Poll::Ready(result) => result,
        Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
    }
}

impl<S: AsyncRead + Unpin> Read for Polled<'_, '_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut buf = ReadBuf::new(buf);
        would_block(Pin::new(&mut *self.sock).poll_read(self.cx, &mut buf))?;
        Ok(buf.filled().len())
    }
}

/// No lingering after a fatal alert: a lingering read would block the
/// task's thread (see [`Transport::linger_after_alert`]).
impl<S: AsyncRead + AsyncWrite + Unpin> stream::Transport for Polled<'_, '_, S> {}

impl<S: AsyncWrite + Unpin> Write for Polled<'_, '_, S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        would_block(Pin::new(&mut *self.sock).poll_write(self.cx, buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        would_block(Pin::new(&mut *self.sock).poll_flush(self.cx))
    }
}
