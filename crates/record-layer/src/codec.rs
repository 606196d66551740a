//! The presentation language of RFC 5246 §4, as code.
//!
//! Every wire structure in TLS is written in the RFC as a C-like `struct`
//! built from a few pieces: fixed-width unsigned integers (§4.4), fixed
//! arrays, and variable-length vectors `T name<floor..ceiling>` whose length
//! prefix is "as many bytes as required to hold the vector's specified
//! maximum length" (§4.3). This module gives one [`Reader`] that walks a byte
//! slice and a few `put_*` functions that append to a `Vec<u8>`,
//! so a decoder reads like the RFC's struct, field by field.
//!
//! Decoding never panics: every read that runs past the end, every length out
//! of its declared bounds and every byte left over is a [`DecodeError`] that
//! names the field (so the error says *what* the peer got wrong).

use core::cell::RefCell;
use core::fmt;

/// A malformed encoding, with the RFC name of the field that was wrong.
///
/// All variants map to the `decode_error` alert (RFC 5246 §7.2.2: "A message
/// could not be decoded because some field was out of the specified range or
/// the length of the message was incorrect"), except where a caller maps a
/// semantic check to something more specific.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The input ended before `what` was complete.
    Truncated {
        /// The RFC name of the field or structure.
        what: &'static str,
    },
    /// Bytes were left over after `what` was complete.
    TrailingBytes {
        /// The RFC name of the field or structure.
        what: &'static str,
    },
    /// A vector's length prefix was outside `<min..max>` (RFC 5246 §4.3).
    LengthOutOfRange {
        /// The RFC name of the field or structure.
        what: &'static str,
        /// The length the prefix gave.
        len: usize,
        /// The floor.
        min: usize,
        /// The ceiling.
        max: usize,
    },
    /// A vector's length was not a whole number of its elements.
    LengthNotMultiple {
        /// The RFC name of the field or structure.
        what: &'static str,
        /// The length the prefix gave.
        len: usize,
        /// The size of one element.
        of: usize,
    },
    /// A field held a value the RFC does not allow.
    InvalidValue {
        /// The RFC name of the field or structure.
        what: &'static str,
    },
    /// A well-formed field held a value the RFC forbids there (e.g. RFC
    /// 6066 §3: a HostName that is not a DNS host name): §7.2.2
    /// `illegal_parameter`, "A field in the handshake was out of range or
    /// inconsistent with other fields", not `decode_error`.
    Illegal {
        /// The RFC name of the field, and what was wrong with it.
        what: &'static str,
    },
    /// An item that may appear once appeared twice (e.g. RFC 5246 §7.4.1.4:
    /// "There MUST NOT be more than one extension of the same type").
    Duplicate {
        /// The RFC name of the field or structure.
        what: &'static str,
    },
}

impl DecodeError {
    /// The RFC name of the field or structure that did not decode.
    pub fn what(&self) -> &'static str {
        match self {
            Self::Truncated { what }
            | Self::TrailingBytes { what }
            | Self::LengthOutOfRange { what, .. }
            | Self::LengthNotMultiple { what, .. }
            | Self::InvalidValue { what }
            | Self::Illegal { what }
            | Self::Duplicate { what } => what,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated { what } => write!(f, "{what}: truncated"),
            Self::TrailingBytes { what } => write!(f, "{what}: unexpected trailing bytes"),
            Self::LengthOutOfRange {
                what,
                len,
                min,
                max,
            } => write!(f, "{what}: length {len} outside <{min}..{max}>"),
            Self::LengthNotMultiple { what, len, of } => {
                write!(f, "{what}: length {len} is not a multiple of {of}")
            }
            Self::InvalidValue { what } => write!(f, "{what}: invalid value"),
            Self::Illegal { what } => write!(f, "{what}"),
            Self::Duplicate { what } => write!(f, "{what}: appears more than once"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Number of length-prefix bytes for a vector whose ceiling is `max`
/// (RFC 5246 §4.3): 1 up to 2^8-1, 2 up to 2^16-1, 3 up to 2^24-1.
pub const fn length_prefix_bytes(max: usize) -> usize {
    if max <= 0xff {
        1
    } else if max <= 0xffff {
        2
    } else {
        3
    }
}

/// Where one field lay in the bytes a recording [`Reader`] decoded: the
/// decoder's own account of the layout, for pages that mark a field's bytes
/// (`tls12_trace::html`). Offsets count from the first byte of the outermost
/// reader; `start..end` is half-open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldSpan {
    /// The RFC name the decoder gave the field, e.g. `ClientHello.random`.
    pub what: &'static str,
    /// True for the length prefix of a vector `what<floor..ceiling>`
    /// (§4.3), false for a value or a vector's contents.
    pub length_prefix: bool,
    /// Offset of the field's first byte.
    pub start: usize,
    /// Offset just past its last byte.
    pub end: usize,
}

/// A cursor over peer bytes. Every method either advances past a complete
/// field or returns a [`DecodeError`] naming it; it never panics.
///
/// A reader made with [`Reader::recording`] also notes every field it
/// reads as a [`FieldSpan`], in the order read (a vector's span before the
/// spans of its elements), so the spans nest like the RFC's structs.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    /// Offset of `buf[0]` from the start of the outermost reader.
    pos: usize,
    spans: Option<&'a RefCell<Vec<FieldSpan>>>,
}

impl<'a> Reader<'a> {
    /// Reads `buf` from its first byte.
    pub fn new(buf: &'a [u8]) -> Self {
        Self {
            buf,
            pos: 0,
            spans: None,
        }
    }

    /// Reads `buf` like [`Reader::new`], and appends a [`FieldSpan`] to
    /// `spans` for every field read (and for every sub-reader's fields).
    pub fn recording(buf: &'a [u8], spans: &'a RefCell<Vec<FieldSpan>>) -> Self {
        Self {
            buf,
            pos: 0,
            spans: Some(spans),
        }
    }

    fn note(&self, what: &'static str, length_prefix: bool, start: usize) {
        if let Some(spans) = self.spans {
            spans.borrow_mut().push(FieldSpan {
                what,
                length_prefix,
                start,
                end: self.pos,
            });
        }
    }

    /// The next `n` bytes, unrecorded.
    fn advance(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        if n > self.buf.len() {
            return Err(DecodeError::Truncated { what });
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        self.pos += n;
        Ok(head)
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// True when every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The next `n` bytes, as a fixed-length `opaque x[n]` (§4.3).
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        let start = self.pos;
        let head = self.advance(n, what)?;
        self.note(what, false, start);
        Ok(head)
    }

    /// The next `N` bytes as an array, e.g. `opaque random_bytes[28]`.
    pub fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    /// Everything not yet read.
    pub fn rest(&mut self) -> &'a [u8] {
        self.pos += self.buf.len();
        core::mem::take(&mut self.buf)
    }

    /// `uint8` (§4.4).
    pub fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(self.take(1, what)?[0])
    }

    /// `uint16`, network byte order (§4.4).
    pub fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    /// `uint24`, network byte order (§4.4).
    pub fn u24(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        let [a, b, c] = self.array(what)?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }

    /// `uint32`, network byte order (§4.4).
    pub fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    /// `uint64`, network byte order (§4.4; the sequence number of §6.1).
    pub fn u64(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }

    /// The length prefix of `what`, a big-endian unsigned integer of `n`
    /// (1..=3) bytes.
    fn length_prefix(&mut self, n: usize, what: &'static str) -> Result<usize, DecodeError> {
        let start = self.pos;
        let len = self
            .advance(n, what)?
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        self.note(what, true, start);
        Ok(len)
    }

    /// A sub-reader over the next `len` bytes; this reader moves past them.
    pub fn sub(&mut self, len: usize, what: &'static str) -> Result<Reader<'a>, DecodeError> {
        let pos = self.pos;
        let buf = self.take(len, what)?;
        Ok(Reader {
            buf,
            pos,
            spans: self.spans,
        })
    }

    /// A variable-length vector `T what<min..max>` (§4.3): reads the length
    /// prefix (its width follows from `max`), checks the bounds, and returns
    /// a reader over exactly the vector's bytes.
    pub fn vector(
        &mut self,
        min: usize,
        max: usize,
        what: &'static str,
    ) -> Result<Reader<'a>, DecodeError> {
        let len = self.length_prefix(length_prefix_bytes(max), what)?;
        if len < min || len > max {
            return Err(DecodeError::LengthOutOfRange {
                what,
                len,
                min,
                max,
            });
        }
        self.sub(len, what)
    }

    /// `opaque what<min..max>`: the bytes of a variable-length vector.
    pub fn opaque(
        &mut self,
        min: usize,
        max: usize,
        what: &'static str,
    ) -> Result<&'a [u8], DecodeError> {
        Ok(self.vector(min, max, what)?.rest())
    }

    /// Fails unless every byte was read: a structure must fill its container
    /// exactly (e.g. RFC 5246 §7.4.1.2: "there MUST NOT be any trailing data").
    pub fn expect_empty(&self, what: &'static str) -> Result<(), DecodeError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes { what })
        }
    }

    /// Reads `T`s until this reader is empty: the elements of a vector whose
    /// bytes this reader holds.
    pub fn items<T>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Vec<T>, DecodeError> {
        let mut out = Vec::new();
        while !self.is_empty() {
            out.push(item(self)?);
        }
        Ok(out)
    }
}

/// Appends a `uint24` (§4.4). Values of 2^24 or more are our own bug.
pub fn put_u24(out: &mut Vec<u8>, v: u32) {
    debug_assert!(v < 1 << 24, "uint24 overflow");
    out.extend_from_slice(&v.to_be_bytes()[1..]);
}

/// Appends a variable-length vector `<min..max>` (§4.3) whose body `body`
/// writes, with a length prefix as wide as `max` needs. The length is
/// back-patched, so no body is built twice.
///
/// The bodies we encode are our own; one over `max` is a programming error,
/// not peer input, and panics in debug builds.
pub fn put_vector(out: &mut Vec<u8>, max: usize, body: impl FnOnce(&mut Vec<u8>)) {
    let width = length_prefix_bytes(max);
    let start = out.len();
    out.resize(start + width, 0);
    body(out);
    let len = out.len() - start - width;
    debug_assert!(len <= max, "vector of {len} bytes over its ceiling {max}");
    let be = len.to_be_bytes();
    out[start..start + width].copy_from_slice(&be[be.len() - width..]);
}

/// Appends `opaque x<..max>` holding `bytes`.
pub fn put_opaque(out: &mut Vec<u8>, max: usize, bytes: &[u8]) {
    put_vector(out, max, |o| o.extend_from_slice(bytes));
}

/// A wire structure that encodes to, and decodes from, its RFC layout.
pub trait Codec: Sized {
    /// Appends the encoding of `self`.
    fn encode(&self, out: &mut Vec<u8>);

    /// Reads one value; leaves the reader just past it.
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError>;

    /// The encoding of `self` as a new vector.
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// Decodes a value that must fill `bytes` exactly.
    fn from_bytes(bytes: &[u8], what: &'static str) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let v = Self::decode(&mut r)?;
        r.expect_empty(what)?;
        Ok(v)
    }
}

/// An `enum` of the presentation language (RFC 5246 §4.5: "enum { e1(v1),
/// e2(v2), ... , en(vn) [[, (n)]] } Te;") whose list a peer may extend: the
/// values we know by name, each with its RFC name, and every other value
/// of its width kept as `Unknown(value)`, so that a peer's list decodes
/// whole and a value we do not know is ours to refuse or ignore, not a
/// decode error. Written once, for `AlertDescription`, `NamedGroup` and
/// `SignatureScheme`:
///
/// ```
/// record_layer::tls_enum! {
///     /// `enum { red(1), blue(2), (255) } Colour;`
///     pub enum Colour(u8), "Colour" {
///         /// `red(1)`.
///         Red = 1, "red";
///         /// `blue(2)`.
///         Blue = 2, "blue";
///     }
/// }
/// assert_eq!(Colour::from_value(2), Colour::Blue);
/// assert_eq!(Colour::from_value(3).rfc_name(), "unknown");
/// ```
///
/// The width (`u8` or `u16`) is the wire's; the string names the field in
/// a [`DecodeError`].
#[macro_export]
macro_rules! tls_enum {
    (
        $(#[$doc:meta])*
        $vis:vis enum $name:ident($width:ident), $what:literal {
            $($(#[$variant_doc:meta])* $variant:ident = $value:literal, $rfc:literal;)*
        }
    ) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis enum $name {
            $($(#[$variant_doc])* $variant,)*
            /// A value this implementation does not know.
            Unknown($width),
        }

        impl $name {
            /// The wire value.
            pub fn value(self) -> $width {
                match self {
                    $(Self::$variant => $value,)*
                    Self::Unknown(v) => v,
                }
            }

            /// The value for a wire value; one we do not know is `Unknown`.
            pub fn from_value(v: $width) -> Self {
                match v {
                    $($value => Self::$variant,)*
                    other => Self::Unknown(other),
                }
            }

            /// The RFC's own name, e.g. `bad_record_mac`; `unknown` for a
            /// value we do not know.
            pub fn rfc_name(self) -> &'static str {
                match self {
                    $(Self::$variant => $rfc,)*
                    Self::Unknown(_) => "unknown",
                }
            }
        }

        impl $crate::codec::Codec for $name {
            fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.value().to_be_bytes());
            }

            fn decode(
                r: &mut $crate::codec::Reader<'_>,
            ) -> Result<Self, $crate::codec::DecodeError> {
                Ok(Self::from_value(r.$width($what)?))
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_big_endian() {
        let mut r = Reader::new(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert_eq!(r.u8("a").unwrap(), 1);
        assert_eq!(r.u16("b").unwrap(), 0x0203);
        assert_eq!(r.u24("c").unwrap(), 0x040506);
        assert_eq!(r.u32("d").unwrap(), 0x0708090a);
        assert_eq!(r.u8("e"), Err(DecodeError::Truncated { what: "e" }));
    }

    #[test]
    fn prefix_width_follows_ceiling() {
        assert_eq!(length_prefix_bytes(32), 1);
        assert_eq!(length_prefix_bytes(255), 1);
        assert_eq!(length_prefix_bytes(256), 2);
        assert_eq!(length_prefix_bytes(0xffff), 2);
        assert_eq!(length_prefix_bytes(0xff_ffff), 3);
    }

    #[test]
    fn vector_bounds_are_checked() {
        let mut out = Vec::new();
        put_opaque(&mut out, 0xffff, &[9; 3]);
        assert_eq!(out, [0, 3, 9, 9, 9]);
        assert_eq!(Reader::new(&out).opaque(0, 0xffff, "v").unwrap(), &[9; 3]);
        assert_eq!(
            Reader::new(&out).opaque(4, 0xffff, "v"),
            Err(DecodeError::LengthOutOfRange {
                what: "v",
                len: 3,
                min: 4,
                max: 0xffff
            })
        );
        assert_eq!(
            Reader::new(&out[..4]).opaque(0, 0xffff, "v"),
            Err(DecodeError::Truncated { what: "v" })
        );
    }

    #[test]
    fn a_recording_reader_notes_each_field_where_it_lies() {
        let spans = RefCell::new(Vec::new());
        let bytes = [7, 0, 2, 0xaa, 0xbb, 9];
        let mut r = Reader::recording(&bytes, &spans);
        r.u8("a").unwrap();
        let mut v = r.vector(0, 0xffff, "v").unwrap();
        v.u16("item").unwrap();
        r.u8("b").unwrap();
        let span = |what, length_prefix, start, end| FieldSpan {
            what,
            length_prefix,
            start,
            end,
        };
        assert_eq!(
            spans.into_inner(),
            [
                span("a", false, 0, 1),
                span("v", true, 1, 3),
                span("v", false, 3, 5),
                span("item", false, 3, 5),
                span("b", false, 5, 6),
            ]
        );
    }

    #[test]
    fn expect_empty_names_the_structure() {
        let mut r = Reader::new(&[1, 2]);
        r.u8("x").unwrap();
        assert_eq!(
            r.expect_empty("Thing"),
            Err(DecodeError::TrailingBytes { what: "Thing" })
        );
    }
}
