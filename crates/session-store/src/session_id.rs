//! `SessionID` (RFC 5246 §7.4.1.2).
//!
//! ```text
//! opaque SessionID<0..32>;
//! ```
//!
//! "The session ID is an arbitrary byte sequence chosen by the server to
//! identify a particular session" — the handle by which a later connection
//! asks to resume it. An empty one means "no session".

use record_layer::codec::{put_opaque, Codec, DecodeError, Reader};

/// A session identifier of 0 to 32 bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SessionId {
    len: u8,
    bytes: [u8; 32],
}

impl SessionId {
    /// The longest session id (§7.4.1.2, `<0..32>`).
    pub const MAX_LEN: usize = 32;

    /// The empty session id: "no session to resume" / "will not be cached".
    pub const EMPTY: Self = Self {
        len: 0,
        bytes: [0; 32],
    };

    /// A session id holding `bytes`, or `None` when it is over 32 bytes.
    pub fn new(bytes: &[u8]) -> Option<Self> {
        if bytes.len() > Self::MAX_LEN {
            return None;
        }
        let mut id = Self::EMPTY;
        id.bytes[..bytes.len()].copy_from_slice(bytes);
        id.len = bytes.len() as u8;
        Some(id)
    }

    /// The id's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// True for the empty id.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl core::fmt::Debug for SessionId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SessionId(")?;
        for b in self.as_bytes() {
            write!(f, "{b:02x}")?;
        }
        write!(f, ")")
    }
}

impl Codec for SessionId {
    fn encode(&self, out: &mut Vec<u8>) {
        put_opaque(out, Self::MAX_LEN, self.as_bytes());
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let bytes = r.opaque(0, Self::MAX_LEN, "SessionID")?;
        // The bound was checked by `opaque`; `new` cannot fail here.
        Self::new(bytes).ok_or(DecodeError::InvalidValue { what: "SessionID" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert!(SessionId::new(&[1; 33]).is_none());
        let id = SessionId::new(&[7; 32]).unwrap();
        assert_eq!(SessionId::from_bytes(&id.to_bytes(), "id").unwrap(), id);
        let mut long = vec![33];
        long.extend_from_slice(&[0; 33]);
        assert!(SessionId::from_bytes(&long, "id").is_err());
        assert_eq!(
            format!("{:?}", SessionId::new(&[0xab]).unwrap()),
            "SessionId(ab)"
        );
    }
}
