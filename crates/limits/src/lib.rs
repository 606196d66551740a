//! Server operations: what a server bounds per client, so that no client
//! can make it work, or hold a thread, for nothing.
//!
//! There is no RFC section for this: these are operational limits the
//! protocol leaves to the implementation. That is also why they live in a
//! crate of their own, not in `tls12`: a [`tls12::Connection`] and a
//! [`tls12::Stream`] do the protocol and nothing else, and a program picks
//! its own limits (or, on another I/O model, its own way to enforce them).
//!
//! - [`ServerLimits`]: the numbers, with their defaults: how many
//!   connections at once, how long a handshake and a request may take as a
//!   whole, how long one read or one write may wait.
//! - [`ConnectionLimit`]: counts connections in progress; a connection over
//!   the limit gets no [`ConnectionPermit`] and is refused.
//! - [`TimedSocket`]: a `TcpStream` for [`Stream`](tls12::Stream) whose
//!   every read and write is bounded by its own timeout and by the
//!   [`Deadline`] of what is in progress (the handshake, the request), so
//!   that a client trickling one byte at a time is cut off at the deadline,
//!   not kept alive by each byte.
//!
//! `ServerLimits` and `ConnectionLimit` do no blocking I/O, so a server on
//! another I/O model (e.g. async) can use them as they are; `TimedSocket`
//! is the blocking way to enforce the durations.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tls12::{linger, Transport};

/// How much a server lets each client have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerLimits {
    /// Connections served at once; more are refused (see [`ConnectionLimit`]).
    pub max_connections: usize,
    /// The whole handshake (each renegotiation too), from its start.
    pub handshake_timeout: Duration,
    /// The whole request: the wait for it, reading it, writing the answer.
    pub request_timeout: Duration,
    /// One read: how long a client may stay silent.
    pub read_timeout: Duration,
    /// One write: how long a client may leave our data unread.
    pub write_timeout: Duration,
}

impl Default for ServerLimits {
    /// 512 connections; 10 s for a handshake, a request, a read, a write.
    fn default() -> Self {
        let ten = Duration::from_secs(10);
        Self {
            max_connections: 512,
            handshake_timeout: ten,
            request_timeout: ten,
            read_timeout: ten,
            write_timeout: ten,
        }
    }
}

/// Counts the connections in progress against a maximum. Cloning gives
/// another handle on the same count.
#[derive(Clone, Debug)]
pub struct ConnectionLimit {
    open: Arc<AtomicUsize>,
    max: usize,
}

/// One connection counted by a [`ConnectionLimit`], until dropped.
#[derive(Debug)]
pub struct ConnectionPermit {
    open: Arc<AtomicUsize>,
}

impl ConnectionLimit {
    /// A limit of `max` connections at once.
    pub fn new(max: usize) -> Self {
        Self {
            open: Arc::new(AtomicUsize::new(0)),
            max,
        }
    }

    /// A permit for one more connection, or `None` when `max` are open:
    /// refuse that connection. Never waits.
    pub fn try_acquire(&self) -> Option<ConnectionPermit> {
        self.open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                (open < self.max).then_some(open + 1)
            })
            .ok()?;
        Some(ConnectionPermit {
            open: self.open.clone(),
        })
    }

    /// How many connections hold a permit now.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Acquire)
    }

    /// The maximum.
    pub fn max(&self) -> usize {
        self.max
    }
}

impl Drop for ConnectionPermit {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::AcqRel);
    }
}

/// When something in progress must be done by, and what it is (for the
/// error that says it was not).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadline {
    at: Instant,
    what: &'static str,
    allowed: Duration,
}

impl Deadline {
    /// `what` (e.g. "the handshake") must be done `allowed` from now.
    pub fn after(allowed: Duration, what: &'static str) -> Self {
        Self {
            at: Instant::now() + allowed,
            what,
            allowed,
        }
    }

    fn passed(&self) -> io::Error {
        io::Error::new(
            io::ErrorKind::TimedOut,
            format!("{} took longer than {:?}", self.what, self.allowed),
        )
    }
}

/// A `TcpStream` whose reads and writes each wait at most their timeout,
/// and never past the current [`Deadline`]. A read or write that runs out
/// of time fails with `TimedOut`, saying which bound it hit.
#[derive(Debug)]
pub struct TimedSocket {
    sock: TcpStream,
    read_timeout: Duration,
    write_timeout: Duration,
    deadline: Option<Deadline>,
}

impl TimedSocket {
    /// `sock` with the read and write timeouts of `limits`, and no deadline
    /// yet.
    pub fn new(sock: TcpStream, limits: &ServerLimits) -> Self {
        Self {
            sock,
            read_timeout: limits.read_timeout,
            write_timeout: limits.write_timeout,
            deadline: None,
        }
    }

    /// From now on, reads and writes fail once `deadline` has passed.
    pub fn set_deadline(&mut self, deadline: Deadline) {
        self.deadline = Some(deadline);
    }

    /// The socket.
    pub fn get_ref(&self) -> &TcpStream {
        &self.sock
    }

    /// How long the next operation may wait: `timeout`, or less if the
    /// deadline comes first (then the deadline, to name it if it fires).
    fn wait(&self, timeout: Duration) -> io::Result<(Duration, Option<Deadline>)> {
        // A socket refuses a zero timeout (it would mean "wait for ever").
        let timeout = timeout.max(Duration::from_millis(1));
        match self.deadline {
            Some(d) => {
                let left = d.at.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(d.passed());
                }
                Ok(if left < timeout {
                    (left, Some(d))
                } else {
                    (timeout, None)
                })
            }
            None => Ok((timeout, None)),
        }
    }
}

/// An operation's error, reworded when it ran out of time: the deadline
/// that passed, or `waiting` (what the client did not do) for `timeout`.
fn timed_out(
    e: io::Error,
    deadline: Option<Deadline>,
    waiting: &str,
    timeout: Duration,
) -> io::Error {
    // SO_RCVTIMEO and SO_SNDTIMEO expire as EAGAIN (WouldBlock) on Unix.
    if !matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    ) {
        return e;
    }
    match deadline {
        Some(d) => d.passed(),
        None => io::Error::new(
            io::ErrorKind::TimedOut,
            format!("{waiting} for {timeout:?}"),
        ),
    }
}

impl Read for TimedSocket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let (wait, deadline) = self.wait(self.read_timeout)?;
        self.sock.set_read_timeout(Some(wait))?;
        let waiting = "the client sent nothing";
        self.sock
            .read(buf)
            .map_err(|e| timed_out(e, deadline, waiting, self.read_timeout))
    }
}

impl Write for TimedSocket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let (wait, deadline) = self.wait(self.write_timeout)?;
        self.sock.set_write_timeout(Some(wait))?;
        let waiting = "the client read nothing of our data";
        self.sock
            .write(buf)
            .map_err(|e| timed_out(e, deadline, waiting, self.write_timeout))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.sock.flush()
    }
}

impl Transport for TimedSocket {
    fn linger_after_alert(&mut self) {
        linger(&self.sock);
    }

    /// Fails as `read` does once the deadline has passed, even while bytes
    /// keep arriving.
    fn read_ready(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.wait(self.read_timeout)?;
        // The socket's own way: one `recv(MSG_DONTWAIT)` on Unix.
        self.sock.read_ready(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permits_are_counted_until_dropped() {
        let limit = ConnectionLimit::new(2);
        let a = limit.try_acquire().unwrap();
        let b = limit.clone().try_acquire().unwrap();
        assert!(limit.try_acquire().is_none());
        assert_eq!(limit.open(), 2);
        drop(a);
        let c = limit.try_acquire().unwrap();
        assert!(limit.try_acquire().is_none());
        drop((b, c));
        assert_eq!(limit.open(), 0);
    }

    #[test]
    fn a_passed_deadline_fails_before_waiting() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let mut sock = TimedSocket::new(client, &ServerLimits::default());
        sock.set_deadline(Deadline::after(Duration::ZERO, "the handshake"));
        let err = sock.read(&mut [0; 8]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(err.to_string(), "the handshake took longer than 0ns");
        let err = sock.write(b"x").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    }
}
