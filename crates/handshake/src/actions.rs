//! What a handshake machine asks its connection to do (RFC 5246 §7.1,
//! §7.3): send a message, make keys pending, change cipher spec, complete.
//! The machines do no I/O; each message they send goes through `send`,
//! which adds it to the transcript.

use record_layer::prf::{Prf, VERIFY_DATA_LEN};
use record_layer::states::PendingCipherState;

use crate::established::{Established, Negotiated};
use crate::key_schedule::{verify_data, Side};
use crate::messages::{Finished, HandshakeMessage, HandshakePayload};
use crate::secure_renegotiation::RenegotiationBinding;
use crate::transcript::Transcript;

/// What a handshake machine asks its connection to do, in order.
///
/// The machine does no I/O; the connection carries these out one after the
/// other, so that, e.g., a Finished that follows a ChangeCipherSpec is
/// protected by the new write state (§7.1).
#[derive(Debug)]
pub enum Action {
    /// Send this handshake message under the current write state.
    Send(HandshakeMessage),
    /// Make these the pending read and write states (§6.1): the keys are
    /// computed, but not yet in use.
    SetPendingKeys(PendingKeys),
    /// Send ChangeCipherSpec, then make the pending write state current
    /// (§7.1: "Immediately after sending this message, the sender MUST
    /// instruct the record layer to make the write pending state the write
    /// active state").
    SendChangeCipherSpec,
    /// The handshake is complete; application data may flow. The
    /// connection keeps both: the session in force with its own values,
    /// and the binding the next handshake on it will need.
    Complete {
        /// The session now in force, and this connection's values.
        established: Box<Established>,
        /// RFC 5746 §3.1's state after this handshake.
        renegotiation_binding: RenegotiationBinding,
    },
}

/// This connection's next read and write states (§6.1), from its key block.
#[derive(Debug)]
pub struct PendingKeys {
    /// The state that will protect records we receive.
    pub read: PendingCipherState,
    /// The state that will protect records we send.
    pub write: PendingCipherState,
}

/// Queues a handshake message and adds it to the transcript.
pub(crate) fn send(
    transcript: &mut Transcript,
    actions: &mut Vec<Action>,
    payload: HandshakePayload,
) {
    let msg = HandshakeMessage::new(payload);
    transcript.add(&msg);
    actions.push(Action::Send(msg));
}

/// ChangeCipherSpec, then Finished under the new keys, returning the
/// verify_data sent. §7.1: "The ChangeCipherSpec message is sent during
/// the handshake after the security parameters have been agreed upon, but
/// before the verifying Finished message is sent"; §7.4.9: "A Finished
/// message is always sent immediately after a change cipher spec message".
pub(crate) fn emit_change_cipher_spec_and_finished(
    transcript: &mut Transcript,
    actions: &mut Vec<Action>,
    negotiated: &Negotiated,
    prf: &Prf,
    side: Side,
) -> [u8; VERIFY_DATA_LEN] {
    actions.push(Action::SendChangeCipherSpec);
    let verify_data = verify_data(negotiated, prf, side.finished_label(), transcript);
    send(
        transcript,
        actions,
        HandshakePayload::Finished(Finished { verify_data }),
    );
    verify_data
}
