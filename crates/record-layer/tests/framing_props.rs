//! Properties of record framing and deframing (RFC 5246 §6.2.1), handshake
//! reassembly (§7.4), alerts (§7.2) and the vector codec (§4.3), over random
//! inputs and random ways of cutting the byte stream.

use std::io;

use proptest::prelude::*;
use record_layer::codec::{length_prefix_bytes, put_opaque, Reader};
use record_layer::deframer::{HandshakeJoiner, MessageDeframer};
use record_layer::record::{
    write_record, ContentType, ProtocolVersion, RecordHeader, HEADER_LEN, MAX_CIPHERTEXT,
    MAX_PLAINTEXT,
};
use record_layer::{Alert, AlertDescription, AlertLevel, Codec, DecodeError, Error};

fn content_type() -> impl Strategy<Value = ContentType> {
    prop_oneof![
        Just(ContentType::ChangeCipherSpec),
        Just(ContentType::Alert),
        Just(ContentType::Handshake),
        Just(ContentType::ApplicationData),
    ]
}

/// A `{3, x}` version, as every record we accept carries.
fn version() -> impl Strategy<Value = ProtocolVersion> {
    any::<u8>().prop_map(|minor| ProtocolVersion(0x0300 | u16::from(minor)))
}

/// Fragment lengths: mostly small, sometimes up to the ciphertext limit.
fn fragment() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::collection::vec(any::<u8>(), 0..600),
        1 => prop::collection::vec(any::<u8>(), 0..=MAX_CIPHERTEXT),
    ]
}

type Plain = (ContentType, ProtocolVersion, Vec<u8>);

/// The records' wire bytes. Written out by hand, since [`write_record`]
/// refuses (rightly) fragments over the plaintext limit.
fn encode_all(records: &[Plain]) -> Vec<u8> {
    let mut wire = Vec::new();
    for (t, v, f) in records {
        let header = RecordHeader {
            content_type: *t,
            version: *v,
            length: u16::try_from(f.len()).unwrap(),
        };
        wire.extend_from_slice(&header.encode());
        wire.extend_from_slice(f);
    }
    wire
}

/// Splits `bytes` into pieces whose sizes cycle through `sizes`.
fn chunks<'a>(bytes: &'a [u8], sizes: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut rest = bytes;
    for size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (piece, tail) = rest.split_at((*size).min(rest.len()));
        out.push(piece);
        rest = tail;
    }
    out
}

/// A socket that delivers its bytes in the given pieces, one per read.
struct ChunkedReader<'a> {
    pieces: std::vec::IntoIter<&'a [u8]>,
    current: &'a [u8],
}

impl io::Read for ChunkedReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.current.is_empty() {
            self.current = self.pieces.next().unwrap_or_default();
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = &self.current[n..];
        Ok(n)
    }
}

/// Pops every record, stopping at the first error.
fn pop_all(d: &mut MessageDeframer, out: &mut Vec<Plain>) -> Result<(), Error> {
    while let Some(r) = d.pop()? {
        out.push((r.header.content_type, r.header.version, r.fragment.to_vec()));
    }
    Ok(())
}

/// Bytes that look like records often enough to get past the header checks:
/// header fields near the legal values, then random fragment bytes.
fn record_like_bytes() -> impl Strategy<Value = Vec<u8>> {
    let record = (
        18u8..26,
        2u8..5,
        any::<u8>(),
        prop_oneof![0u16..300, any::<u16>()],
        prop::collection::vec(any::<u8>(), 0..400),
    )
        .prop_map(|(t, major, minor, len, body)| {
            let [hi, lo] = len.to_be_bytes();
            let mut out = vec![t, major, minor, hi, lo];
            out.extend(body);
            out
        });
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..2000),
        prop::collection::vec(record, 0..8).prop_map(|rs| rs.concat()),
    ]
}

fn handshake(msg_type: u8, body: &[u8]) -> Vec<u8> {
    let len = body.len().to_be_bytes();
    let mut out = vec![msg_type];
    out.extend_from_slice(&len[len.len() - 3..]);
    out.extend_from_slice(body);
    out
}

proptest! {
    #[test]
    fn deframer_never_panics(bytes in record_like_bytes(),
                             sizes in prop::collection::vec(1usize..3000, 1..8)) {
        let mut d = MessageDeframer::new();
        let mut got = Vec::new();
        'feed: for mut piece in chunks(&bytes, &sizes) {
            while !piece.is_empty() {
                let n = d.push(piece);
                piece = &piece[n..];
                // Every record was popped before this push, so there was
                // room: the deframer never stalls.
                prop_assert!(n > 0);
                if pop_all(&mut d, &mut got).is_err() {
                    break 'feed;
                }
            }
        }
    }

    #[test]
    fn joiner_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..3000),
                           sizes in prop::collection::vec(1usize..500, 1..8),
                           max in 0usize..2000) {
        let mut j = HandshakeJoiner::with_max_message(max);
        // A message over the limit is refused when it is next, by pop.
        'feed: for piece in chunks(&bytes, &sizes) {
            if j.push(piece).is_err() {
                break;
            }
            loop {
                match j.pop() {
                    Ok(Some(m)) => {
                        prop_assert!(m.body.len() <= max);
                        prop_assert_eq!(&m.raw[4..], m.body);
                    }
                    Ok(None) => break,
                    Err(_) => break 'feed,
                }
            }
            let _ = j.has_partial_message();
        }
    }

    #[test]
    fn records_survive_any_chunking(
        records in prop::collection::vec((content_type(), version(), fragment()), 0..6),
        sizes in prop::collection::vec(1usize..20_000, 1..8),
    ) {
        let wire = encode_all(&records);
        let mut d = MessageDeframer::new();
        let mut got = Vec::new();
        for mut piece in chunks(&wire, &sizes) {
            while !piece.is_empty() {
                let n = d.push(piece);
                piece = &piece[n..];
                pop_all(&mut d, &mut got).unwrap();
            }
        }
        prop_assert!(d.is_empty());
        prop_assert_eq!(got, records);
    }

    #[test]
    fn records_survive_any_socket_reads(
        records in prop::collection::vec((content_type(), version(), fragment()), 0..6),
        sizes in prop::collection::vec(1usize..20_000, 1..8),
    ) {
        let wire = encode_all(&records);
        let mut socket = ChunkedReader { pieces: chunks(&wire, &sizes).into_iter(), current: &[] };
        let mut d = MessageDeframer::new();
        let mut got = Vec::new();
        while d.read_from(&mut socket).unwrap() > 0 {
            pop_all(&mut d, &mut got).unwrap();
        }
        prop_assert!(d.is_empty());
        prop_assert_eq!(got, records);
    }

    #[test]
    fn written_records_deframe_with_their_overheads(
        t in content_type(), v in version(),
        before in 0usize..=1024,
        fragment in prop::collection::vec(any::<u8>(), 0..=MAX_PLAINTEXT),
        after in 0usize..=1024,
    ) {
        let mut wire = vec![0xaa; 3];
        let layout = write_record(&mut wire, t, v, &fragment, before, after);
        prop_assert_eq!(&wire[layout.fragment.clone()], &fragment[..]);
        prop_assert_eq!(layout.overhead_before.len(), before);
        prop_assert_eq!(layout.overhead_after.len(), after);
        prop_assert_eq!(layout.overhead_after.end, wire.len());

        let mut d = MessageDeframer::new();
        prop_assert_eq!(d.push(&wire[3..]), wire.len() - 3);
        let r = d.pop().unwrap().unwrap();
        prop_assert_eq!(r.header, RecordHeader { content_type: t, version: v, length: (before + fragment.len() + after) as u16 });
        let (head, rest) = r.fragment.split_at(before);
        let (body, tail) = rest.split_at(fragment.len());
        prop_assert!(head.iter().chain(tail.iter()).all(|b| *b == 0));
        prop_assert_eq!(body, &fragment[..]);
    }

    #[test]
    fn record_header_round_trips(t in content_type(), v in version(), length in 0..=MAX_CIPHERTEXT as u16) {
        let h = RecordHeader { content_type: t, version: v, length };
        prop_assert_eq!(RecordHeader::decode(&h.encode()), Ok(h));
    }

    #[test]
    fn any_header_bytes_decode_to_themselves_or_fail(bytes in any::<[u8; HEADER_LEN]>()) {
        if let Ok(h) = RecordHeader::decode(&bytes) {
            prop_assert_eq!(h.encode(), bytes);
        }
    }

    #[test]
    fn no_strict_prefix_of_a_record_is_a_record(t in content_type(), v in version(),
                                                fragment in prop::collection::vec(any::<u8>(), 0..2000)) {
        let wire = encode_all(&[(t, v, fragment.clone())]);
        let mut d = MessageDeframer::new();
        let (last, prefix) = wire.split_last().unwrap();
        for byte in prefix {
            d.push(&[*byte]);
            prop_assert_eq!(d.pop(), Ok(None));
        }
        d.push(&[*last]);
        let r = d.pop().unwrap().unwrap();
        prop_assert_eq!(&r.fragment[..], &fragment[..]);
    }

    #[test]
    fn handshake_messages_survive_any_fragmentation(
        msgs in prop::collection::vec((any::<u8>(), prop::collection::vec(any::<u8>(), 0..3000)), 0..6),
        sizes in prop::collection::vec(1usize..4000, 1..8),
    ) {
        let encoded: Vec<Vec<u8>> = msgs.iter().map(|(t, b)| handshake(*t, b)).collect();
        let stream = encoded.concat();
        let mut j = HandshakeJoiner::new();
        let mut got = Vec::new();
        let mut fed = 0;
        for piece in chunks(&stream, &sizes) {
            j.push(piece).unwrap();
            fed += piece.len();
            while let Some(m) = j.pop().unwrap() {
                got.push((m.msg_type, m.body.to_vec(), m.raw.to_vec()));
            }
            let at_boundary = encoded
                .iter()
                .scan(0, |end, m| { *end += m.len(); Some(*end) })
                .any(|end| end == fed);
            prop_assert_eq!(j.has_partial_message(), fed > 0 && !at_boundary);
        }
        let want: Vec<_> = msgs.iter().zip(&encoded).map(|((t, b), e)| (*t, b.clone(), e.clone())).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn alert_round_trips(fatal in any::<bool>(), description in any::<u8>()) {
        let alert = Alert {
            level: if fatal { AlertLevel::Fatal } else { AlertLevel::Warning },
            description: AlertDescription::from_value(description),
        };
        let bytes = alert.to_bytes();
        prop_assert_eq!(Alert::from_bytes(&bytes, "Alert"), Ok(alert));
        for len in 0..bytes.len() {
            prop_assert!(Alert::from_bytes(&bytes[..len], "Alert").is_err());
        }
    }

    #[test]
    fn any_alert_bytes_decode_to_themselves_or_fail(bytes in any::<[u8; 2]>()) {
        match Alert::from_bytes(&bytes, "Alert") {
            Ok(a) => prop_assert_eq!(a.to_bytes(), bytes.to_vec()),
            Err(_) => prop_assert!(bytes[0] != 1 && bytes[0] != 2),
        }
    }

    #[test]
    fn opaque_vectors_round_trip(
        max in prop_oneof![1usize..=0xff, 0x100usize..=0xffff, 0x1_0000usize..=0xff_ffff],
        contents in prop::collection::vec(any::<u8>(), 0..1000),
        floor_pick in any::<prop::sample::Index>(),
    ) {
        let contents = &contents[..contents.len().min(max)];
        let mut out = Vec::new();
        put_opaque(&mut out, max, contents);
        prop_assert_eq!(out.len(), length_prefix_bytes(max) + contents.len());

        let mut r = Reader::new(&out);
        prop_assert_eq!(r.opaque(0, max, "v"), Ok(contents));
        prop_assert!(r.is_empty());

        // Any floor up to the length accepts it; one above refuses it.
        let min = floor_pick.index(contents.len() + 1);
        prop_assert_eq!(Reader::new(&out).opaque(min, max, "v"), Ok(contents));
        prop_assert_eq!(
            Reader::new(&out).opaque(contents.len() + 1, max, "v"),
            Err(DecodeError::LengthOutOfRange { what: "v", len: contents.len(), min: contents.len() + 1, max })
        );

        for len in 0..out.len() {
            prop_assert_eq!(
                Reader::new(&out[..len]).opaque(0, max, "v"),
                Err(DecodeError::Truncated { what: "v" })
            );
        }
    }
}
