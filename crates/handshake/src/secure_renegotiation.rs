//! What a connection keeps for its next handshake, RFC 5746 §3.1
//! ([`RenegotiationBinding`]), and what a renegotiation reads of it
//! ([`PreviousHandshake`]); §4.2 and §4.4: no renegotiation with a peer
//! that never signalled RFC 5746.

use std::sync::Arc;

use record_layer::prf::VERIFY_DATA_LEN;
use session_store::Session;

use crate::error::Error;

/// RFC 5746 §3.1, "Additional Connection State": "Both client and server
/// need to store three additional values for each TLS connection state
/// ... Note that these values are specific to connection (not a TLS
/// session cache entry)." A resumed session says nothing about them.
///
/// A connection keeps the one of its last completed handshake; a
/// renegotiation sends it in `renegotiation_info` (§3.2), binding the new
/// handshake to this connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenegotiationBinding {
    /// "a "secure_renegotiation" flag, indicating whether secure
    /// renegotiation is in use for this connection": both sides signalled
    /// RFC 5746. Without it we never renegotiate (§4.2, §4.4).
    pub secure_renegotiation: bool,
    /// ""client_verify_data": the verify_data from the Finished message
    /// sent by the client on the immediately previous handshake."
    pub client_verify_data: [u8; VERIFY_DATA_LEN],
    /// ""server_verify_data": the verify_data from the Finished message
    /// sent by the server on the immediately previous handshake."
    pub server_verify_data: [u8; VERIFY_DATA_LEN],
}

impl RenegotiationBinding {
    /// `renegotiated_connection` as the server sends it (§3.2):
    /// client_verify_data ‖ server_verify_data.
    pub fn both_verify_data(&self) -> Vec<u8> {
        [self.client_verify_data, self.server_verify_data].concat()
    }
}

/// What a renegotiation needs from the connection it runs on: the
/// binding of its last handshake (RFC 5746 §3.1, connection state), and
/// the session that handshake put in force (whose server chain a client
/// holds the new one to, and whose extended master secret a renegotiation
/// keeps).
#[derive(Clone, Debug)]
pub struct PreviousHandshake {
    /// The connection's RFC 5746 binding; its `secure_renegotiation` is set.
    pub binding: RenegotiationBinding,
    /// The session in force on the connection.
    pub session: Arc<Session>,
}

impl PreviousHandshake {
    /// The context a renegotiation needs on a connection whose last
    /// handshake left `binding` and `session`, or `None` when the peer
    /// never signalled RFC 5746: we never renegotiate insecurely (RFC 5746
    /// §4.2, §4.4).
    pub fn new(binding: &RenegotiationBinding, session: &Arc<Session>) -> Option<Self> {
        binding.secure_renegotiation.then(|| Self {
            binding: binding.clone(),
            session: session.clone(),
        })
    }

    /// A renegotiation keeps the extended master secret as it was. RFC
    /// 7627 only says so of a resumption (§5.3: the peer "MUST abort the
    /// handshake" whichever way it changes), where §5.4 finds such a
    /// change "likely to be the result of transient or inadvertent
    /// misconfigurations"; within one connection, with the same peer, a
    /// change is stranger still, and a drop would leave the new session
    /// open to the attack of RFC 7627 §1. BoringSSL refuses it too.
    pub fn check_extended_master_secret(&self, now: bool) -> Result<(), Error> {
        if now == self.session.extended_master_secret {
            return Ok(());
        }
        Err(Error::IllegalParameter(
            "renegotiation changed the extended master secret",
        ))
    }
}
