//! The four connection states (RFC 5246 §6.1).
//!
//! "Logically, there are always four connection states outstanding: the
//! current read and write states, and the pending read and write states.
//! All records are processed under the current read and write states. The
//! security parameters for the pending states can be set by the TLS
//! Handshake Protocol, and the ChangeCipherSpec can selectively make either
//! of the pending states current ... It is illegal to make a state that has
//! not been initialized with security parameters a current state. The
//! initial current state always specifies that no encryption, compression,
//! or MAC will be used."
//!
//! [`CipherStates`] holds the four. A pending state is a
//! [`PendingCipherState`], which only key material can make, and it becomes
//! current only by being moved out of its slot at ChangeCipherSpec, so "a
//! state that was never initialised cannot become current" holds by
//! construction. This is what refuses an early ChangeCipherSpec
//! (CVE-2014-0224): with nothing pending there is nothing to switch to.
//!
//! These states belong to one *connection*; the session's master secret
//! that the keys came from lives elsewhere (RFC 5246 §7).

use crate::aead::{BulkAlgorithm, CipherState};
use crate::error::Error;
use crate::record::{ContentType, ProtocolVersion};

/// A pending read or write state (§6.1): keys from the key block, not yet in
/// use. Its sequence number is zero, and nothing can change that before it
/// becomes current (§6.1: "The sequence number MUST be set to zero whenever
/// a connection state is made the active state").
///
/// Boxed, as the states of [`CipherStates`] are: an AEAD key with its
/// schedule is over 500 bytes, which then move as a pointer from the key
/// block to pending to current, and a connection holding four of them
/// stays small.
#[derive(Debug)]
pub struct PendingCipherState(Box<CipherState>);

impl PendingCipherState {
    /// A pending state keyed with `write_key` and `write_iv` (§6.3), usually
    /// made by [`KeyBlock`](crate::prf::KeyBlock).
    pub fn new(bulk: BulkAlgorithm, write_key: &[u8], write_iv: &[u8]) -> Result<Self, Error> {
        CipherState::new(bulk, write_key, write_iv).map(|state| Self(Box::new(state)))
    }

    /// The AEAD it will use.
    pub fn bulk(&self) -> BulkAlgorithm {
        self.0.bulk()
    }
}

/// The four connection states of one connection (§6.1).
///
/// A current state of `None` is the initial one, `TLS_NULL_WITH_NULL_NULL`:
/// records pass unprotected. A pending state of `None` is "empty": a
/// ChangeCipherSpec then has nothing to switch to.
#[derive(Debug, Default)]
pub struct CipherStates {
    current_read: Option<Box<CipherState>>,
    current_write: Option<Box<CipherState>>,
    pending_read: Option<PendingCipherState>,
    pending_write: Option<PendingCipherState>,
}

impl CipherStates {
    /// The initial states: both current states unprotected, both pending
    /// states empty (§6.1).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets both pending states, once the handshake has computed the key
    /// block (§6.1: "The security parameters for the pending states can be
    /// set by the TLS Handshake Protocol"). A client reads with the server's
    /// write keys and writes with its own; a server the other way round.
    pub fn set_pending(&mut self, read: PendingCipherState, write: PendingCipherState) {
        self.pending_read = Some(read);
        self.pending_write = Some(write);
    }

    /// On receiving ChangeCipherSpec: the pending read state becomes current
    /// (§7.1: "Reception of this message causes the receiver to instruct the
    /// record layer to immediately copy the read pending state into the read
    /// current state"), and the pending read state is empty again.
    pub fn change_read_state(&mut self) -> Result<(), Error> {
        // §6.1: "It is illegal to make a state that has not been initialized
        // with security parameters a current state." A peer that sends
        // ChangeCipherSpec before the keys exist is out of order
        // (CVE-2014-0224).
        let pending = self.pending_read.take().ok_or(Error::UnexpectedMessage(
            "ChangeCipherSpec before keys were negotiated",
        ))?;
        self.current_read = Some(pending.0);
        Ok(())
    }

    /// After sending ChangeCipherSpec: the pending write state becomes
    /// current (§7.1: "Immediately after sending this message, the sender
    /// MUST instruct the record layer to make the write pending state the
    /// write active state"), and the pending write state is empty again.
    ///
    /// Sending ChangeCipherSpec with no keys is our own bug:
    /// [`Error::Internal`].
    pub fn change_write_state(&mut self) -> Result<(), Error> {
        // §6.1: "It is illegal to make a state that has not been initialized
        // with security parameters a current state."
        let pending = self.pending_write.take().ok_or(Error::Internal(
            "ChangeCipherSpec sent before keys were negotiated",
        ))?;
        self.current_write = Some(pending.0);
        Ok(())
    }

    /// The current read state, or `None` while records arrive unprotected:
    /// for traces.
    pub fn current_read(&self) -> Option<&CipherState> {
        self.current_read.as_deref()
    }

    /// The current write state, or `None` while records leave unprotected:
    /// for traces.
    pub fn current_write(&self) -> Option<&CipherState> {
        self.current_write.as_deref()
    }

    /// Room the current write state needs between a record's header and its
    /// plaintext (the explicit nonce; 0 while unprotected), to pass to
    /// [`write_record`](crate::record::write_record).
    pub fn write_nonce_explicit_len(&self) -> usize {
        self.current_write
            .as_deref()
            .map_or(0, CipherState::nonce_explicit_len)
    }

    /// Room the current write state needs after a record's plaintext (the
    /// tag; 0 while unprotected).
    pub fn write_tag_len(&self) -> usize {
        self.current_write
            .as_deref()
            .map_or(0, CipherState::tag_len)
    }

    /// Protects a record laid out by
    /// [`write_record`](crate::record::write_record) with room from
    /// [`write_nonce_explicit_len`](Self::write_nonce_explicit_len) and
    /// [`write_tag_len`](Self::write_tag_len), in place, under the current
    /// write state ([`CipherState::seal`]). Unprotected, the record is sent
    /// as it is.
    pub fn seal(&mut self, record: &mut [u8]) -> Result<(), Error> {
        match &mut self.current_write {
            Some(state) => state.seal(record),
            None => Ok(()),
        }
    }

    /// Opens a record's fragment in place under the current read state
    /// ([`CipherState::open`]); unprotected, the fragment is the plaintext.
    pub fn open<'a>(
        &mut self,
        content_type: ContentType,
        version: ProtocolVersion,
        fragment: &'a mut [u8],
    ) -> Result<&'a mut [u8], Error> {
        match &mut self.current_read {
            Some(state) => state.open(content_type, version, fragment),
            None => Ok(fragment),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::AlertDescription;
    use crate::record::{write_record, HEADER_LEN};

    const BULK: BulkAlgorithm = BulkAlgorithm::ChaCha20Poly1305;

    fn pending(key_byte: u8) -> PendingCipherState {
        PendingCipherState::new(BULK, &[key_byte; 32], &[key_byte; 12]).unwrap()
    }

    /// A client's states and a server's, with `client_key` and
    /// `server_key` as the two directions' keys, switched on both sides.
    fn client_and_server(client_key: u8, server_key: u8) -> (CipherStates, CipherStates) {
        let mut client = CipherStates::new();
        let mut server = CipherStates::new();
        client.set_pending(pending(server_key), pending(client_key));
        server.set_pending(pending(client_key), pending(server_key));
        for side in [&mut client, &mut server] {
            side.change_write_state().unwrap();
            side.change_read_state().unwrap();
        }
        (client, server)
    }

    fn send(from: &mut CipherStates, to: &mut CipherStates, msg: &[u8]) -> Result<Vec<u8>, Error> {
        let mut record = Vec::new();
        write_record(
            &mut record,
            ContentType::Handshake,
            ProtocolVersion::TLS1_2,
            msg,
            from.write_nonce_explicit_len(),
            from.write_tag_len(),
        );
        from.seal(&mut record)?;
        let opened = to.open(
            ContentType::Handshake,
            ProtocolVersion::TLS1_2,
            &mut record[HEADER_LEN..],
        )?;
        Ok(opened.to_vec())
    }

    #[test]
    fn initial_states_pass_records_unprotected() {
        let mut a = CipherStates::new();
        let mut b = CipherStates::new();
        assert!(a.current_read().is_none() && a.current_write().is_none());
        assert_eq!((a.write_nonce_explicit_len(), a.write_tag_len()), (0, 0));
        let mut record = Vec::new();
        write_record(
            &mut record,
            ContentType::Handshake,
            ProtocolVersion::TLS1_2,
            b"hello",
            0,
            0,
        );
        a.seal(&mut record).unwrap();
        assert_eq!(record, [22, 3, 3, 0, 5, b'h', b'e', b'l', b'l', b'o']);
        assert_eq!(send(&mut a, &mut b, b"clear").unwrap(), b"clear");
    }

    #[test]
    fn early_change_cipher_spec_is_unexpected_message() {
        let mut states = CipherStates::new();
        let err = states.change_read_state().unwrap_err();
        assert_eq!(
            err,
            Error::UnexpectedMessage("ChangeCipherSpec before keys were negotiated")
        );
        assert_eq!(err.alert(), Some(AlertDescription::UnexpectedMessage));
        assert!(states.current_read().is_none(), "still unprotected");
        assert!(matches!(
            states.change_write_state(),
            Err(Error::Internal(_))
        ));
    }

    #[test]
    fn a_pending_state_is_used_once() {
        let (mut client, _) = client_and_server(1, 2);
        // A second ChangeCipherSpec in the same handshake finds the pending
        // state empty again (§6.1 "reinitialized to an empty state").
        assert!(client.change_read_state().is_err());
        assert!(client.change_write_state().is_err());
        assert!(client.current_read().is_some());
    }

    #[test]
    fn switched_states_protect_and_count_from_zero() {
        let (mut client, mut server) = client_and_server(1, 2);
        for n in 0..3u64 {
            assert_eq!(client.current_write().unwrap().seq_num(), n);
            assert_eq!(send(&mut client, &mut server, b"ping").unwrap(), b"ping");
            assert_eq!(send(&mut server, &mut client, b"pong").unwrap(), b"pong");
        }
        assert_eq!(client.current_write().unwrap().seq_num(), 3);
        assert_eq!(client.current_read().unwrap().seq_num(), 3);
        // A peer still unprotected cannot read it: it is not plaintext.
        let mut clear = CipherStates::new();
        assert_ne!(send(&mut client, &mut clear, b"secret").unwrap(), b"secret");
    }

    #[test]
    fn renegotiation_switches_to_new_keys_at_sequence_number_zero() {
        let (mut client, mut server) = client_and_server(1, 2);
        send(&mut client, &mut server, b"before").unwrap();
        client.set_pending(pending(4), pending(3));
        server.set_pending(pending(3), pending(4));
        // Until the switch the old keys stay in use.
        assert_eq!(
            send(&mut client, &mut server, b"still old").unwrap(),
            b"still old"
        );
        client.change_write_state().unwrap();
        assert_eq!(client.current_write().unwrap().seq_num(), 0);
        // The server has not switched its read state yet: the record fails.
        assert_eq!(
            send(&mut client, &mut server, b"new").unwrap_err(),
            Error::BadRecordMac
        );
        // A sender's new records open once the receiver switches too.
        let (mut client, mut server) = client_and_server(1, 2);
        client.set_pending(pending(4), pending(3));
        server.set_pending(pending(3), pending(4));
        client.change_write_state().unwrap();
        server.change_read_state().unwrap();
        assert_eq!(send(&mut client, &mut server, b"new").unwrap(), b"new");
        assert_eq!(server.current_read().unwrap().seq_num(), 1);
    }
}
