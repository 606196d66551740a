//! The example HTTPS server (examples/server.rs: the same flags, the same
//! page) on tokio instead of a thread per connection: a fixed number of
//! worker threads (`--workers`), each with a single-threaded runtime that
//! accepts connections and serves each as a task over
//! [`tls12::AsyncStream`] until it ends.
//!
//! ```sh
//! cargo run --example async_server -- --workers 2 --max-connections 10000 \
//!     --cert test-data/ecdsa/localhost.chain.pem --key test-data/ecdsa/localhost.key
//! curl --tlsv1.2 --tls-max 1.2 --cacert test-data/ecdsa/root.pem https://localhost:8443/
//! ```
//!
//! The limits are the blocking server's: `--max-connections` (more are
//! refused by closing them), `--handshake-timeout` (each handshake as a
//! whole, renegotiations too), `--request-timeout` (waiting for a request,
//! reading it and answering it) and `--write-timeout` (one answer, or the
//! close_notify, left unread), and `--timeout` (how long one read waits
//! for a silent client, whatever it is waiting for: [`ReadTimeout`]).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use clap::Parser;
use tls12::{AsyncStream, ServerConfig};
use tls12_limits::{ConnectionLimit, ServerLimits};
use tokio::io::ReadBuf;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};

// The blocking server, for its flags, its setup and its page; its own
// `main` and thread-per-connection loop go unused here.
#[allow(dead_code)]
#[path = "server.rs"]
mod blocking;

/// The example HTTPS server on tokio: the flags and page of `server`, with
/// a fixed number of worker threads serving every connection as a task.
#[derive(Parser, Debug)]
#[command(version)]
struct AsyncArgs {
    #[command(flatten)]
    server: blocking::Args,
    /// Worker threads, whatever the number of connections. Each runs a
    /// single-threaded tokio runtime that accepts connections and serves
    /// them to the end, as nginx's worker processes do: no task moves
    /// between threads, so no thread has to wake another.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..))]
    workers: u16,
}

/// A client's request head may be up to 16 KiB, as in the blocking server;
/// the buffer that reads it is smaller, so that idle connections stay small.
const READ_BUFFER: usize = 1024;

fn main() {
    let args = AsyncArgs::parse();
    let workers = usize::from(args.workers);
    let served = blocking::run(
        args.server,
        |listener, config, renegotiation, limits, page| {
            // One count for the whole server, whichever thread accepts.
            let open = ConnectionLimit::new(limits.max_connections);
            let threads = (0..workers)
                .map(|_| {
                    let listener = listener.try_clone()?;
                    let (config, renegotiation) = (config.clone(), renegotiation.clone());
                    let (page, open) = (page.clone(), open.clone());
                    Ok(std::thread::spawn(move || {
                        tokio::runtime::Builder::new_current_thread()
                            .enable_all()
                            .build()?
                            .block_on(accept_loop(
                                listener,
                                config,
                                renegotiation,
                                limits,
                                page,
                                open,
                            ))
                    }))
                })
                .collect::<io::Result<Vec<_>>>()?;
            for thread in threads {
                thread
                    .join()
                    .map_err(|_| io::Error::other("a worker thread panicked"))??;
            }
            Ok(())
        },
    );
    if let Err(e) = served {
        eprintln!("async_server: {e}");
        std::process::exit(1);
    }
}

/// Accepts connections for ever, each served by its own task while the
/// connection limit allows.
async fn accept_loop(
    listener: std::net::TcpListener,
    config: Arc<ServerConfig>,
    renegotiation: Option<Arc<ServerConfig>>,
    limits: ServerLimits,
    page: Option<blocking::Page>,
    open: ConnectionLimit,
) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let listener = TcpListener::from_std(listener)?;
    loop {
        let (sock, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // E.g. out of file descriptors: wait for some to close
                // rather than spin.
                eprintln!("accept: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let Some(permit) = open.try_acquire() else {
            blocking::log_refusal(&peer, &open);
            continue;
        };
        let config = config.clone();
        let renegotiation = renegotiation.clone();
        let page = page.clone();
        tokio::spawn(async move {
            if let Err(e) = serve(config, renegotiation, sock, peer, &limits).await {
                blocking::log_line(format_args!("{peer}: {e}"));
            }
            drop(permit);
            // Writing the page blocks: it is at most one file per
            // connection, and only with --html.
            blocking::write_page(page.as_ref());
        });
    }
}

/// One connection: the handshake, then HTTP requests until the client
/// closes or asks to (an HTTP/1.0 client asks by not asking for
/// keep-alive), each within its deadline.
async fn serve(
    config: Arc<ServerConfig>,
    mut renegotiation: Option<Arc<ServerConfig>>,
    sock: TcpStream,
    peer: SocketAddr,
    limits: &ServerLimits,
) -> io::Result<()> {
    let sock = ReadTimeout::new(sock, limits.read_timeout);
    let accept = AsyncStream::accept(config, sock);
    let tls = within(limits.handshake_timeout, "the handshake", accept).await?;
    let mut reader = BufReader::with_capacity(READ_BUFFER, tls);
    loop {
        let request = within(limits.request_timeout, "the request", async {
            let Some(request) = read_request(&mut reader).await? else {
                return Ok(None);
            };
            let stream = reader.get_mut();
            let (response, keep_alive) = blocking::respond(&request, stream.connection(), peer);
            within(limits.write_timeout, "writing the answer", async {
                stream.write_all(response.as_bytes()).await?;
                stream.flush().await
            })
            .await?;
            Ok(Some(keep_alive))
        });
        if request.await? != Some(true) {
            break;
        }
        if let Some(second) = renegotiation.take() {
            let renegotiate = reader.get_mut().renegotiate_with(second);
            within(limits.handshake_timeout, "the handshake", renegotiate).await?;
        }
    }
    let close = reader.get_mut().shutdown();
    within(limits.write_timeout, "sending close_notify", close).await
}

/// Reads one request head (up to the blank line); `None` at a clean end.
async fn read_request(
    reader: &mut BufReader<AsyncStream<ReadTimeout>>,
) -> io::Result<Option<String>> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        // A request head over 16 KiB is not one we will read.
        if (&mut *reader).take(16 * 1024).read_line(&mut line).await? == 0 {
            return Ok(None);
        }
        if line == "\r\n" || line == "\n" {
            return Ok(Some(head));
        }
        head.push_str(&line);
        if head.len() > 16 * 1024 {
            return Err(io::Error::other("request head too long"));
        }
    }
}

/// `work`, or a `TimedOut` error naming `what` once `limit` has passed.
async fn within<T>(
    limit: Duration,
    what: &str,
    work: impl Future<Output = io::Result<T>>,
) -> io::Result<T> {
    match tokio::time::timeout(limit, work).await {
        Ok(result) => result,
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("{what} took longer than {limit:?}"),
        )),
    }
}

/// A client's socket whose every read waits at most `limit` for the
/// client (`--timeout`), as the blocking server's `TimedSocket` does: a
/// read that waits longer fails with `TimedOut`. The wait starts when a
/// read finds nothing to read, and ends when one finds something.
struct ReadTimeout {
    sock: TcpStream,
    limit: Duration,
    timer: Pin<Box<Sleep>>,
    waiting: bool,
}

impl ReadTimeout {
    fn new(sock: TcpStream, limit: Duration) -> Self {
        Self {
            sock,
            limit,
            timer: Box::pin(tokio::time::sleep(limit)),
            waiting: false,
        }
    }
}

impl AsyncRead for ReadTimeout {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if let Poll::Ready(read) = Pin::new(&mut this.sock).poll_read(cx, buf) {
            this.waiting = false;
            return Poll::Ready(read);
        }
        if !this.waiting {
            this.waiting = true;
            this.timer.as_mut().reset(Instant::now() + this.limit);
        }
        match this.timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the client sent nothing for {:?}", this.limit),
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Writes are bounded by `within` (`--write-timeout`) where they happen.
impl AsyncWrite for ReadTimeout {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.sock).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.sock).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.sock).poll_shutdown(cx)
    }
}
