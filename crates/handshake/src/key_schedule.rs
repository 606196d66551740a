//! The key schedule (RFC 5246 §6.3, §7.4.9, §8.1; RFC 7627 §4): where a
//! handshake's master secret comes from, the PRF keyed with it, the key
//! block made pending, and each side's Finished `verify_data`.

use std::sync::Arc;

use record_layer::prf::{self, FinishedLabel, Prf, VERIFY_DATA_LEN};
use record_layer::secret::MasterSecret;
use session_store::Session;

use crate::actions::{Action, PendingKeys};
use crate::error::Error;
use crate::established::Negotiated;
use crate::transcript::Transcript;

/// Which end of the connection a machine plays (§6.1 `ConnectionEnd`):
/// it decides which half of the key block it writes with and which
/// Finished label it sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The side that sends ClientHello.
    Client,
    /// The side that answers it.
    Server,
}

impl Side {
    /// The label of the Finished this side sends (§7.4.9).
    pub(crate) fn finished_label(self) -> FinishedLabel {
        match self {
            Side::Client => FinishedLabel::ClientFinished,
            Side::Server => FinishedLabel::ServerFinished,
        }
    }
}

/// Where this handshake's master secret comes from: a full handshake makes a
/// fresh one; an abbreviated one takes the resumed session's (§7.3).
#[derive(Debug)]
pub(crate) enum SessionSecret {
    /// Made by this handshake's key exchange (§8.1, RFC 7627 §4).
    Fresh(MasterSecret),
    /// The resumed session's.
    Resumed(Arc<Session>),
}

/// The PRF (§5) of this handshake's suite keyed with `master_secret`, for
/// the key block and both Finished messages.
pub(crate) fn keyed_prf(negotiated: &Negotiated, master_secret: &MasterSecret) -> Prf {
    Prf::new(negotiated.cipher_suite.prf_hash(), master_secret.as_bytes())
}

/// `verify_data` for the Finished sent by `label`'s side (§7.4.9):
/// `PRF(master_secret, finished_label, Hash(handshake_messages))`, with
/// `prf` keyed with the master secret ([`keyed_prf`]).
pub(crate) fn verify_data(
    negotiated: &Negotiated,
    prf: &Prf,
    label: FinishedLabel,
    transcript: &Transcript,
) -> [u8; VERIFY_DATA_LEN] {
    prf.verify_data(label, transcript.hash(negotiated.cipher_suite).as_ref())
}

/// The master secret of a full handshake (§8.1), or the extended one
/// (RFC 7627 §4) whose session hash covers the transcript so far, which is
/// ClientHello through ClientKeyExchange when this is called.
pub(crate) fn compute_master_secret(
    negotiated: &Negotiated,
    pre_master_secret: &[u8],
    transcript: &Transcript,
) -> MasterSecret {
    let hash = negotiated.cipher_suite.prf_hash();
    if negotiated.extended_master_secret {
        let session_hash = transcript.hash(negotiated.cipher_suite);
        prf::extended_master_secret(hash, pre_master_secret, session_hash.as_ref())
    } else {
        prf::master_secret(
            hash,
            pre_master_secret,
            &negotiated.client_random.0,
            &negotiated.server_random.0,
        )
    }
}

/// Derives this connection's keys from the master secret (§6.3), `prf`
/// being keyed with it, and makes them pending: `side` reads with its
/// peer's write keys.
pub(crate) fn set_pending_keys(
    actions: &mut Vec<Action>,
    negotiated: &Negotiated,
    prf: &Prf,
    side: Side,
) -> Result<(), Error> {
    let key_block = prf.key_block(
        &negotiated.client_random.0,
        &negotiated.server_random.0,
        negotiated.cipher_suite.bulk(),
    );
    let (read, write) = match side {
        Side::Client => (
            key_block.server_write_state()?,
            key_block.client_write_state()?,
        ),
        Side::Server => (
            key_block.client_write_state()?,
            key_block.server_write_state()?,
        ),
    };
    actions.push(Action::SetPendingKeys(PendingKeys { read, write }));
    Ok(())
}
