//! Reading records out of a byte stream, and handshake messages out of
//! records (RFC 5246 §6.2.1, §7.4).
//!
//! TCP delivers bytes, not records: one read may hold half a record or
//! several. [`MessageDeframer`] buffers them and hands out one complete
//! record at a time, its fragment still in the deframer's buffer so that
//! record protection can open it in place.
//!
//! Records, in turn, do not delimit handshake messages (§6.2.1: "multiple
//! client messages of the same ContentType MAY be coalesced into a single
//! TLSPlaintext record, or a single message MAY be fragmented across several
//! records"). [`HandshakeJoiner`] rebuilds the messages:
//!
//! ```text
//! struct {
//!     HandshakeType msg_type;    /* handshake type */
//!     uint24 length;             /* bytes in message */
//!     select (HandshakeType) { ... } body;
//! } Handshake;
//! ```
//!
//! [`IgnoredRecordLimiter`] stops a peer that sends, forever, records the
//! connection ignores; [`WarningAlertLimiter`], one that sends warning
//! alerts.

use std::io;

use crate::alert::MAX_WARNING_ALERTS;
use crate::error::Error;
use crate::record::{RecordHeader, HEADER_LEN, MAX_CIPHERTEXT};

/// The most bytes the deframer holds: one record of the largest size
/// §6.2.3 allows, with its header.
const BUFFER_LEN: usize = HEADER_LEN + MAX_CIPHERTEXT;

/// How much room one read from the transport asks for: an empty deframer
/// takes a read of this many bytes whole.
pub const READ_SIZE: usize = 4096;

/// One record read from the stream, not yet opened (§6.2.1 `TLSPlaintext` or
/// §6.2.3 `TLSCiphertext`).
#[derive(Debug, PartialEq, Eq)]
pub struct InboundRecord<'a> {
    /// The checked header ([`RecordHeader::decode`]).
    pub header: RecordHeader,
    /// The `fragment`'s bytes, inside the deframer's buffer: record
    /// protection opens them in place.
    pub fragment: &'a mut [u8],
}

/// Splits a byte stream into records (§6.2.1).
///
/// Bytes go in with [`push`](Self::push) or [`read_from`](Self::read_from),
/// records come out with [`pop`](Self::pop). The buffer is allocated once and
/// never holds more than one largest record and its header; bytes of records
/// already popped are discarded by moving the unread tail to the front on
/// the next push or read, so no record costs an allocation.
#[derive(Debug)]
pub struct MessageDeframer {
    buf: Vec<u8>,
    /// The first byte not yet popped.
    start: usize,
    /// The end of the bytes received.
    end: usize,
}

impl Default for MessageDeframer {
    fn default() -> Self {
        Self::new()
    }
}

impl MessageDeframer {
    /// An empty deframer.
    pub fn new() -> Self {
        Self {
            // Grown on demand up to BUFFER_LEN: most connections never
            // see a full-size record during the handshake, and zeroing
            // 18 KiB per connection is a measurable part of a resumption.
            buf: Vec::new(),
            start: 0,
            end: 0,
        }
    }

    /// Appends as much of `data` as fits and returns how many bytes were
    /// taken. It takes none only when a complete record is waiting: pop it
    /// first.
    pub fn push(&mut self, data: &[u8]) -> usize {
        let room = self.room(data.len());
        let n = data.len().min(room.len());
        room[..n].copy_from_slice(&data[..n]);
        self.end += n;
        n
    }

    /// Reads once from `rd` straight into the buffer, without an
    /// intermediate copy, and returns what `rd.read` returned: `Ok(0)` is the
    /// peer's end of stream. Fails when the buffer is full, which happens
    /// only while a complete record is waiting to be popped.
    pub fn read_from(&mut self, rd: &mut dyn io::Read) -> io::Result<usize> {
        let room = self.room(READ_SIZE);
        if room.is_empty() {
            return Err(io::Error::other(
                "record buffer full: pop records before reading more",
            ));
        }
        let room_len = room.len();
        let n = rd.read(room)?;
        // A reader that claims more than it was given breaks `Read`'s
        // contract; clamping keeps our indices in bounds regardless.
        self.end += n.min(room_len);
        Ok(n)
    }

    /// The next complete record, or `None` until more bytes arrive.
    ///
    /// The header is checked as soon as its five bytes are here, so a peer
    /// that is not speaking TLS, or announces an oversize record, is refused
    /// before its fragment arrives. After an error the stream cannot be
    /// resynchronised: the connection must send the alert and close.
    pub fn pop(&mut self) -> Result<Option<InboundRecord<'_>>, Error> {
        let pending = &self.buf[self.start..self.end];
        let Some(header) = pending.first_chunk::<HEADER_LEN>() else {
            return Ok(None);
        };
        let header = RecordHeader::decode(header)?;
        let record_len = HEADER_LEN + usize::from(header.length);
        if pending.len() < record_len {
            return Ok(None);
        }
        let fragment = self.start + HEADER_LEN..self.start + record_len;
        self.start = fragment.end;
        Ok(Some(InboundRecord {
            header,
            fragment: &mut self.buf[fragment],
        }))
    }

    /// True when no bytes are buffered. At the peer's end of stream, after
    /// popping every record, `false` means the stream stopped mid-record.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Bytes allocated for the buffer, used or not.
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Gives the buffer's memory back when it holds no bytes, for a
    /// connection about to sit idle; the next read allocates again.
    pub fn release_if_empty(&mut self) {
        if self.is_empty() {
            *self = Self::new();
        }
    }

    /// The free space after the unread bytes, once the bytes of popped
    /// records have been discarded.
    /// Free space after the unread bytes, made at least `wanted` long where
    /// the bound allows.
    fn room(&mut self, wanted: usize) -> &mut [u8] {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let target = self.end.saturating_add(wanted).min(BUFFER_LEN);
        if self.buf.len() < target {
            self.buf.resize(target, 0);
        }
        &mut self.buf[self.end..]
    }
}

/// Bytes before a handshake message's body: `HandshakeType msg_type;
/// uint24 length;` (§7.4).
pub const HANDSHAKE_HEADER_LEN: usize = 4;

/// The default limit on a handshake message's `length` (its body) for a
/// joiner used on its own: 64 KiB, the limit Go's crypto/tls and rustls use.
///
/// §7.4 allows up to 2^24 - 1 bytes, which no peer should make us buffer. A
/// connection sets its own ceiling, the largest of its per-type limits
/// (a legal ClientHello alone can be 131396 bytes, RFC 5246 §7.4.1.2), and
/// checks each message's type and length itself with
/// [`HandshakeJoiner::next_header`] before the body is buffered.
pub const DEFAULT_MAX_HANDSHAKE_MESSAGE: usize = 1 << 16;

/// One handshake message reassembled from its records (§6.2.1, §7.4):
/// its type and body as bytes, borrowed from the joiner. The handshake
/// layer decodes it into its own `HandshakeMessage`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReassembledMessage<'a> {
    /// `msg_type`, as the wire byte: `HandshakeType` belongs to the
    /// handshake layer.
    pub msg_type: u8,
    /// `body`: the `length` bytes after the header.
    pub body: &'a [u8],
    /// The whole encoding, header and body, exactly as received: what the
    /// transcript hash takes (§7.4.9 `handshake_messages`).
    pub raw: &'a [u8],
}

/// The header of the next handshake message, which may not have fully
/// arrived: `HandshakeType msg_type; uint24 length;` (§7.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HandshakeHeader {
    /// `msg_type`, as the wire byte.
    pub msg_type: u8,
    /// `length`: the body's length as announced.
    pub length: usize,
}

/// Rebuilds handshake messages from the fragments of handshake records
/// (§6.2.1, §7.4).
///
/// [`push`](Self::push) each handshake record's (opened) fragment, then
/// [`pop`](Self::pop) until `None`. A caller that knows which messages may
/// come next looks at each one's [`next_header`](Self::next_header) first,
/// so that a message out of place, or too long for its type, is refused on
/// its four header bytes, before its body is buffered or decoded.
///
/// Messages are checked in order, each when it is next: the state that
/// decides whether the second message of a record is in place is the one
/// the first left. The buffer never holds more than `max_message` plus one
/// fragment: the start of one message, checked, and what just came.
#[derive(Debug)]
pub struct HandshakeJoiner {
    buf: Vec<u8>,
    /// The first byte not yet popped.
    start: usize,
    max_message: usize,
}

impl Default for HandshakeJoiner {
    fn default() -> Self {
        Self::new()
    }
}

impl HandshakeJoiner {
    /// A joiner refusing messages over [`DEFAULT_MAX_HANDSHAKE_MESSAGE`].
    pub fn new() -> Self {
        Self::with_max_message(DEFAULT_MAX_HANDSHAKE_MESSAGE)
    }

    /// A joiner refusing messages whose `length` is over `max_message`.
    pub fn with_max_message(max_message: usize) -> Self {
        Self {
            buf: Vec::new(),
            start: 0,
            max_message,
        }
    }

    /// Appends a handshake record's fragment. Fails when the bytes not yet
    /// popped would be more than one message of the largest size and this
    /// fragment: a caller that pushes without popping.
    pub fn push(&mut self, fragment: &[u8]) -> Result<(), Error> {
        self.buf.drain(..self.start);
        self.start = 0;
        // Popping after each push leaves at most one message's start here.
        if self.buf.len() > HANDSHAKE_HEADER_LEN + self.max_message {
            return Err(Error::HandshakeMessageTooLarge {
                length: self.buf.len() - HANDSHAKE_HEADER_LEN,
                limit: self.max_message,
            });
        }
        self.buf.extend_from_slice(fragment);
        Ok(())
    }

    /// The header of the next message, as soon as its four bytes are here,
    /// whether or not its body has arrived.
    pub fn next_header(&self) -> Option<HandshakeHeader> {
        let &[msg_type, a, b, c] = self
            .buf
            .get(self.start..)?
            .first_chunk::<HANDSHAKE_HEADER_LEN>()?;
        Some(HandshakeHeader {
            msg_type,
            length: usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c),
        })
    }

    /// The next complete message, or `None` until more fragments arrive.
    /// Fails, on its header alone, for a message over the limit.
    pub fn pop(&mut self) -> Result<Option<ReassembledMessage<'_>>, Error> {
        let Some(end) = self.message_end(self.start)? else {
            return Ok(None);
        };
        let raw = &self.buf[self.start..end];
        self.start = end;
        let (header, body) = raw.split_at(HANDSHAKE_HEADER_LEN);
        Ok(Some(ReassembledMessage {
            msg_type: header[0],
            body,
            raw,
        }))
    }

    /// True when bytes of a message that has not fully arrived are buffered,
    /// behind any complete messages not yet popped.
    pub fn has_partial_message(&self) -> bool {
        let mut at = self.start;
        while let Ok(Some(end)) = self.message_end(at) {
            at = end;
        }
        at != self.buf.len()
    }

    /// True when no handshake bytes are buffered: every message that
    /// arrived has been popped, and no part of another is waiting.
    ///
    /// The connection asks this where the peer's handshake data must end:
    /// at its ChangeCipherSpec (the rest would be under other keys), and
    /// once the message that ends its flight or its handshake is popped.
    pub fn is_empty(&self) -> bool {
        self.start == self.buf.len()
    }

    /// Bytes allocated for the buffer, used or not.
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Gives the buffer's memory back when it holds no bytes, as
    /// [`MessageDeframer::release_if_empty`] does.
    pub fn release_if_empty(&mut self) {
        if self.is_empty() {
            self.buf = Vec::new();
            self.start = 0;
        }
    }

    /// Where the message starting at `at` ends, if it is complete.
    fn message_end(&self, at: usize) -> Result<Option<usize>, Error> {
        let Some(&[_msg_type, a, b, c]) = self
            .buf
            .get(at..)
            .and_then(|rest| rest.first_chunk::<HANDSHAKE_HEADER_LEN>())
        else {
            return Ok(None);
        };
        let length = usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c);
        // Decided on the header alone, so a peer cannot make us buffer up to
        // 2^24 bytes before we refuse.
        if length > self.max_message {
            return Err(Error::HandshakeMessageTooLarge {
                length,
                limit: self.max_message,
            });
        }
        let end = at + HANDSHAKE_HEADER_LEN + length;
        Ok((end <= self.buf.len()).then_some(end))
    }
}

/// How many ignored records [`IgnoredRecordLimiter`] accepts with no
/// application data between them.
///
/// Zero-length application data is allowed (§6.2.1), warning alerts need
/// no answer (§7.2.2) and a client ignores HelloRequest while it negotiates
/// (§7.4.1.1), so a peer could send any of them forever, keeping us busy
/// without progress. OpenSSL allows 32 empty records in a row; so do we,
/// for all three together.
pub const MAX_IGNORED_RECORDS: usize = 32;

/// Counts what the peer sends that changes nothing, each one as a record:
/// zero-length application data, warning alerts, HelloRequests a client
/// ignores during a handshake. Only application data with bytes ends the
/// count: handshake records do not, since a stream of ignored
/// HelloRequests is made of them.
#[derive(Debug, Default)]
pub struct IgnoredRecordLimiter {
    run: Run,
}

impl IgnoredRecordLimiter {
    /// A limiter that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one ignored record. Fails on the one after
    /// [`MAX_IGNORED_RECORDS`].
    pub fn add(&mut self) -> Result<(), Error> {
        match self.run.add(MAX_IGNORED_RECORDS) {
            true => Ok(()),
            false => Err(Error::TooManyIgnoredRecords),
        }
    }

    /// Application data with bytes arrived: the count starts again.
    pub fn end_run(&mut self) {
        self.run = Run::default();
    }
}

/// Counts warning alerts in a row ([`MAX_WARNING_ALERTS`]); any other
/// record ends the run.
#[derive(Debug, Default)]
pub struct WarningAlertLimiter {
    run: Run,
}

impl WarningAlertLimiter {
    /// A limiter that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one warning alert. Fails on the one after
    /// [`MAX_WARNING_ALERTS`] in a row.
    pub fn add(&mut self) -> Result<(), Error> {
        match self.run.add(MAX_WARNING_ALERTS) {
            true => Ok(()),
            false => Err(Error::TooManyWarningAlerts),
        }
    }

    /// A record other than an alert arrived: the run ends.
    pub fn end_run(&mut self) {
        self.run = Run::default();
    }
}

/// How many things of one kind came in a run.
#[derive(Debug, Default)]
struct Run(usize);

impl Run {
    /// Counts one more; false for the one after `max`.
    fn add(&mut self, max: usize) -> bool {
        if self.0 == max {
            return false;
        }
        self.0 += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::AlertDescription;
    use crate::record::{
        check_plaintext, write_record, ContentType, ProtocolVersion, MAX_PLAINTEXT,
    };

    fn record(content_type: ContentType, fragment: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        write_record(
            &mut out,
            content_type,
            ProtocolVersion::TLS1_2,
            fragment,
            0,
            0,
        );
        out
    }

    /// Every record the deframer yields, as (type, fragment).
    fn drain(d: &mut MessageDeframer) -> Vec<(ContentType, Vec<u8>)> {
        let mut out = Vec::new();
        while let Some(r) = d.pop().unwrap() {
            out.push((r.header.content_type, r.fragment.to_vec()));
        }
        out
    }

    fn handshake(msg_type: u8, body: &[u8]) -> Vec<u8> {
        let len = body.len().to_be_bytes();
        let mut out = vec![msg_type];
        out.extend_from_slice(&len[len.len() - 3..]);
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn a_record_split_at_every_boundary_reassembles() {
        let wire = record(ContentType::Handshake, b"a handshake fragment");
        for split in 0..=wire.len() {
            let mut d = MessageDeframer::new();
            assert_eq!(d.push(&wire[..split]), split);
            if split < wire.len() {
                assert_eq!(d.pop(), Ok(None), "split at {split}");
                assert_eq!(d.is_empty(), split == 0);
            }
            d.push(&wire[split..]);
            assert_eq!(
                drain(&mut d),
                [(ContentType::Handshake, b"a handshake fragment".to_vec())]
            );
            assert!(d.is_empty());
        }
    }

    #[test]
    fn several_records_in_one_read() {
        let mut wire = record(ContentType::Handshake, b"one");
        wire.extend(record(ContentType::ChangeCipherSpec, &[1]));
        wire.extend(record(ContentType::ApplicationData, b""));
        wire.extend(record(ContentType::Alert, &[1, 0]));
        let mut d = MessageDeframer::new();
        d.read_from(&mut &wire[..]).unwrap();
        assert_eq!(
            drain(&mut d),
            [
                (ContentType::Handshake, b"one".to_vec()),
                (ContentType::ChangeCipherSpec, vec![1]),
                (ContentType::ApplicationData, vec![]),
                (ContentType::Alert, vec![1, 0]),
            ]
        );
    }

    #[test]
    fn fragment_can_be_changed_in_place() {
        let mut d = MessageDeframer::new();
        d.push(&record(ContentType::ApplicationData, b"abc"));
        let r = d.pop().unwrap().unwrap();
        r.fragment.make_ascii_uppercase();
        assert_eq!(r.fragment, b"ABC");
    }

    #[test]
    fn oversize_record_is_refused_from_its_header() {
        let too_long = (MAX_CIPHERTEXT as u16 + 1).to_be_bytes();
        let mut d = MessageDeframer::new();
        d.push(&[23, 3, 3, too_long[0], too_long[1]]);
        let err = d.pop().unwrap_err();
        assert_eq!(err.alert(), Some(AlertDescription::RecordOverflow));
    }

    #[test]
    fn unknown_type_is_unexpected_message() {
        let mut d = MessageDeframer::new();
        d.push(b"GET / HTTP/1.1\r\n");
        let err = d.pop().unwrap_err();
        assert_eq!(err, Error::UnknownContentType(b'G'));
        assert_eq!(err.alert(), Some(AlertDescription::UnexpectedMessage));
    }

    #[test]
    fn unprotected_records_are_checked_against_plaintext_rules() {
        let mut d = MessageDeframer::new();
        d.push(&record(ContentType::Handshake, b""));
        let r = d.pop().unwrap().unwrap();
        let err = check_plaintext(r.header.content_type, r.fragment.len()).unwrap_err();
        assert_eq!(err, Error::EmptyFragment(ContentType::Handshake));
        assert_eq!(err.alert(), Some(AlertDescription::UnexpectedMessage));

        // Legal as a TLSCiphertext, too long for a TLSPlaintext.
        let mut wire = vec![23, 3, 3, 0x40, 0x01];
        wire.resize(HEADER_LEN + MAX_PLAINTEXT + 1, 0);
        d.push(&wire);
        let r = d.pop().unwrap().unwrap();
        let err = check_plaintext(r.header.content_type, r.fragment.len()).unwrap_err();
        assert_eq!(err.alert(), Some(AlertDescription::RecordOverflow));
    }

    #[test]
    fn buffer_is_bounded_to_one_record() {
        let mut wire = record(ContentType::ApplicationData, &[7; MAX_PLAINTEXT]);
        wire.extend(record(ContentType::ApplicationData, &[8; MAX_PLAINTEXT]));
        let mut d = MessageDeframer::new();
        let first = d.push(&wire);
        assert_eq!(first, BUFFER_LEN);
        assert_eq!(d.push(&wire[first..]), 0);
        assert!(d.read_from(&mut &wire[first..]).is_err());
        assert_eq!(d.pop().unwrap().unwrap().fragment, &[7; MAX_PLAINTEXT][..]);
        let second = d.push(&wire[first..]);
        assert_eq!(first + second, wire.len());
        assert_eq!(d.pop().unwrap().unwrap().fragment, &[8; MAX_PLAINTEXT][..]);
        assert!(d.is_empty());
    }

    #[test]
    fn a_message_across_three_records() {
        let msg = handshake(11, &[5; 100]);
        let mut j = HandshakeJoiner::new();
        j.push(&msg[..2]).unwrap();
        assert_eq!(j.pop(), Ok(None));
        assert!(j.has_partial_message());
        j.push(&msg[2..50]).unwrap();
        assert_eq!(j.pop(), Ok(None));
        j.push(&msg[50..]).unwrap();
        let m = j.pop().unwrap().unwrap();
        assert_eq!(m.msg_type, 11);
        assert_eq!(m.body, &[5; 100][..]);
        assert_eq!(m.raw, &msg[..]);
        assert_eq!(j.pop(), Ok(None));
        assert!(!j.has_partial_message());
    }

    #[test]
    fn three_messages_in_one_record() {
        let msgs = [
            handshake(2, b"hello"),
            handshake(11, b"cert"),
            handshake(14, b""),
        ];
        let mut j = HandshakeJoiner::new();
        j.push(&msgs.concat()).unwrap();
        for expected in &msgs {
            assert_eq!(j.pop().unwrap().unwrap().raw, &expected[..]);
        }
        assert_eq!(j.pop(), Ok(None));
        assert!(!j.has_partial_message());
    }

    #[test]
    fn a_partial_message_is_reported_behind_complete_ones() {
        let mut j = HandshakeJoiner::new();
        let mut bytes = handshake(14, b"");
        bytes.extend_from_slice(&handshake(20, &[0; 12])[..6]);
        j.push(&bytes).unwrap();
        assert!(j.has_partial_message());
        assert_eq!(j.pop().unwrap().unwrap().msg_type, 14);
        assert!(j.has_partial_message());
        assert!(!j.is_empty());
    }

    #[test]
    fn a_complete_message_not_yet_popped_is_not_empty() {
        let mut j = HandshakeJoiner::new();
        assert!(j.is_empty());
        j.push(&[handshake(20, &[0; 12]), handshake(0, b"")].concat())
            .unwrap();
        assert_eq!(j.pop().unwrap().unwrap().msg_type, 20);
        assert!(!j.has_partial_message());
        assert!(!j.is_empty(), "a whole HelloRequest is still here");
        j.pop().unwrap().unwrap();
        assert!(j.is_empty());
    }

    #[test]
    fn too_large_message_is_refused_from_its_header() {
        let mut j = HandshakeJoiner::with_max_message(1000);
        j.push(&handshake(11, &[0; 1000])).unwrap();
        assert_eq!(j.pop().unwrap().unwrap().body.len(), 1000);
        // Only the header of a 1001-byte message: refused before its body.
        j.push(&[11, 0, 3]).unwrap();
        assert_eq!(j.next_header(), None);
        j.push(&[0xe9]).unwrap();
        assert_eq!(
            j.next_header(),
            Some(HandshakeHeader {
                msg_type: 11,
                length: 1001
            })
        );
        let err = j.pop().unwrap_err();
        assert_eq!(
            err,
            Error::HandshakeMessageTooLarge {
                length: 1001,
                limit: 1000
            }
        );
        assert!(err.alert().is_some());
    }

    #[test]
    fn messages_are_checked_in_order_each_when_it_is_next() {
        // The second header claims 2^24 - 1 bytes: the first message still
        // comes out, so that the caller can decide on it (and on the second
        // one's type, in the state the first left) before the limit speaks.
        let mut bytes = handshake(1, b"ok");
        bytes.extend_from_slice(&[11, 0xff, 0xff, 0xff]);
        let mut j = HandshakeJoiner::new();
        j.push(&bytes).unwrap();
        assert_eq!(j.pop().unwrap().unwrap().body, b"ok");
        assert_eq!(j.next_header().map(|h| h.length), Some(0xff_ffff));
        assert!(matches!(
            j.pop(),
            Err(Error::HandshakeMessageTooLarge {
                length: 0xff_ffff,
                ..
            })
        ));
    }

    #[test]
    fn pushing_without_popping_is_bounded() {
        let mut j = HandshakeJoiner::with_max_message(100);
        let msg = handshake(14, b"");
        // 27 empty messages: 108 bytes, one more than 4 + 100 can start.
        for _ in 0..27 {
            j.push(&msg).unwrap();
        }
        assert!(matches!(
            j.push(&msg),
            Err(Error::HandshakeMessageTooLarge { .. })
        ));
    }

    #[test]
    fn warning_alerts_are_limited_until_another_record() {
        let mut l = WarningAlertLimiter::new();
        for _ in 0..MAX_WARNING_ALERTS {
            l.add().unwrap();
        }
        l.end_run();
        for _ in 0..MAX_WARNING_ALERTS {
            l.add().unwrap();
        }
        let err = l.add().unwrap_err();
        assert_eq!(err, Error::TooManyWarningAlerts);
        assert_eq!(err.alert(), Some(AlertDescription::UnexpectedMessage));
    }

    #[test]
    fn ignored_records_are_limited_until_application_data() {
        let mut l = IgnoredRecordLimiter::new();
        for _ in 0..MAX_IGNORED_RECORDS {
            l.add().unwrap();
        }
        l.end_run();
        for _ in 0..MAX_IGNORED_RECORDS {
            l.add().unwrap();
        }
        let err = l.add().unwrap_err();
        assert_eq!(err, Error::TooManyIgnoredRecords);
        assert_eq!(err.alert(), Some(AlertDescription::UnexpectedMessage));
    }
}
