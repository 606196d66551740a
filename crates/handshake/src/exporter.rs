//! Keying material exporters (RFC 5705): secrets for an application
//! protocol, bound to one TLS connection.
//!
//! RFC 5705 §4:
//!
//! ```text
//! PRF(SecurityParameters.master_secret, label,
//!     SecurityParameters.client_random +
//!     SecurityParameters.server_random +
//!     context_value_length + context_value
//!     )[length]
//! ```
//!
//! The master secret is the session's, the randoms this connection's last
//! handshake's: two connections that resume one session export different
//! values, as their keys differ (DESIGN.md).

use record_layer::prf::Prf;

use crate::error::Error;
use crate::established::Established;

/// Labels that the PRF already uses inside TLS (RFC 5705 §4: "Labels here
/// have the same definition as in TLS, i.e., an ASCII string with no
/// terminating NULL"; the IANA registry reserves these for TLS itself).
const RESERVED_LABELS: [&[u8]; 4] = [
    b"client finished",
    b"server finished",
    b"master secret",
    b"key expansion",
];

/// Fills `out` with keying material for `label` and, if given, `context`
/// (RFC 5705 §4), from the handshake `est`.
///
/// Refuses a label TLS itself uses, a context longer than its two-byte
/// length can say, and a session without the extended master secret
/// (RFC 7627 §5.4). "No context" and "an empty context" give different
/// values: RFC 5705 §4 only appends the length when there is a context.
pub fn export_keying_material(
    est: &Established,
    label: &[u8],
    context: Option<&[u8]>,
    out: &mut [u8],
) -> Result<(), Error> {
    if RESERVED_LABELS.contains(&label) {
        return Err(Error::Config("exporter label reserved for TLS itself"));
    }
    // RFC 7627 §5.4: a session without the extended master secret may share
    // its master secret with another an attacker set up (§1), so "the
    // client or server MUST NOT export any key material based on the new
    // master secret for any subsequent application-level authentication.
    // In particular, it MUST disable [RFC5705]". We cannot know what the
    // application does with the bytes, so we export none.
    if !est.session.extended_master_secret {
        return Err(Error::ExtendedMasterSecretRequired);
    }
    let prf = Prf::new(
        est.session.cipher_suite.prf_hash(),
        est.session.master_secret().as_bytes(),
    );
    let randoms: [&[u8]; 2] = [&est.client_random.0, &est.server_random.0];
    match context {
        None => prf.fill(label, &randoms, out),
        Some(context) => {
            // RFC 5705 §4: "context_value_length is a uint16".
            let len = u16::try_from(context.len())
                .map_err(|_| Error::Config("exporter context longer than 65535 bytes"))?;
            let len = len.to_be_bytes();
            prf.fill(label, &[randoms[0], randoms[1], &len, context], out);
        }
    }
    Ok(())
}
