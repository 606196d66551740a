//! The connection's two byte queues: decrypted application data waiting for
//! the application, and sealed records waiting for the transport. Each is a
//! performance device behind a small type, so that the protocol code that
//! fills and empties them reads as the RFC ("Records and connections" in
//! `docs/performance.md`).

use std::collections::VecDeque;
use std::io;

/// The most decrypted application data a connection holds for the
/// application before it stops reading records: 1 MiB.
pub const MAX_BUFFERED_PLAINTEXT: usize = 1 << 20;

/// Application data (RFC 5246 §10) opened and not yet read by the
/// application.
///
/// Bounded: past [`MAX_BUFFERED_PLAINTEXT`] the connection reads no more
/// records until the application reads, so a peer cannot make us buffer
/// without bound. A ring: reading in small pieces frees space at the front
/// as records add at the back, with no compaction copy and no growth past
/// what is unread. Each record's plaintext is copied once, as one slice,
/// out of the record buffer where it was opened.
#[derive(Debug, Default)]
pub(crate) struct ReceivedPlaintext(VecDeque<u8>);

impl ReceivedPlaintext {
    /// Appends one record's plaintext.
    pub(crate) fn push(&mut self, plaintext: &[u8]) {
        // VecDeque copies a slice as a whole, not byte by byte.
        self.0.extend(plaintext);
    }

    /// True when more than [`MAX_BUFFERED_PLAINTEXT`] bytes wait: no more
    /// records are read until the application reads.
    pub(crate) fn is_full(&self) -> bool {
        self.0.len() > MAX_BUFFERED_PLAINTEXT
    }

    /// Moves the oldest bytes into `buf`; returns how many.
    pub(crate) fn read(&mut self, buf: &mut [u8]) -> usize {
        // The unread bytes are at most two slices: before and after the
        // ring's wrap point.
        let (front, back) = self.0.as_slices();
        let from_front = front.len().min(buf.len());
        buf[..from_front].copy_from_slice(&front[..from_front]);
        let from_back = back.len().min(buf.len() - from_front);
        buf[from_front..from_front + from_back].copy_from_slice(&back[..from_back]);
        let n = from_front + from_back;
        self.0.drain(..n);
        n
    }

    /// Bytes waiting to be read.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// Bytes allocated, used or not.
    pub(crate) fn capacity(&self) -> usize {
        self.0.capacity()
    }

    /// Gives the memory back when nothing waits.
    pub(crate) fn release_if_empty(&mut self) {
        if self.0.is_empty() {
            self.0 = VecDeque::new();
        }
    }
}

/// Records sealed and waiting for the transport, in order.
///
/// A transport that takes a little at a time (a slow reader on the other
/// end) must not make each write move everything still queued: what was
/// written is only counted, and the queue is moved down once more than
/// half of it has gone, so each byte is moved at most once on average.
#[derive(Debug, Default)]
pub(crate) struct OutgoingRecords {
    buf: Vec<u8>,
    /// The first `sent` bytes of `buf` have been written already.
    sent: usize,
}

impl OutgoingRecords {
    /// The queue, for a record to be encoded and sealed in place at its
    /// end.
    pub(crate) fn queue(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// True when nothing waits for the transport.
    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Bytes waiting for the transport.
    pub(crate) fn unsent_len(&self) -> usize {
        self.buf.len() - self.sent
    }

    /// Writes once to `wr` from the oldest unsent byte; returns what
    /// `wr.write` returned.
    pub(crate) fn write_to(&mut self, wr: &mut dyn io::Write) -> io::Result<usize> {
        let n = wr.write(&self.buf[self.sent..])?;
        // A writer that claims more than it was given breaks `Write`'s
        // contract; clamping keeps the count in bounds regardless.
        self.sent = (self.sent + n).min(self.buf.len());
        if self.sent == self.buf.len() {
            self.buf.clear();
            self.sent = 0;
        } else if self.sent > self.buf.len() / 2 {
            self.buf.drain(..self.sent);
            self.sent = 0;
        }
        Ok(n)
    }

    /// Bytes allocated, used or not.
    pub(crate) fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Gives the memory back when nothing waits.
    pub(crate) fn release_if_empty(&mut self) {
        if self.buf.is_empty() {
            self.buf = Vec::new();
        }
    }
}
