//! What only a client keeps of a session: the ticket that names it to the
//! server (RFC 5077 §3.3, §3.4) and the identity the client presented
//! (RFC 5246 §7.4.6), beside the [`Session`] both sides share.
//!
//! A server keeps a [`Session`] (in its cache, or sealed in a ticket it
//! gave away); a client keeps a [`ClientSession`]: the same shared
//! `Arc<Session>`, plus
//!
//! - the **ticket**, opaque to the client (RFC 5077 §3.3: "The ticket is
//!   opaque to the client"), which it sends back to resume, and the
//!   server's `ticket_lifetime_hint` for it. A server holds no ticket: it
//!   *is* the ticket's contents;
//! - the **client identity**, a digest of the certificate chain the client
//!   presented, so that only a config presenting the same chain offers
//!   the session again ([`ClientIdentity`]).
//!
//! A ticket renewed on an abbreviated handshake (RFC 5077 §3.3) makes a new
//! `ClientSession` around the *same* `Arc<Session>`: the session did not
//! change, only the name the server will know it by.
//!
//! # Encoding
//!
//! [`ClientSession::encode`] writes, for a client's
//! [`FileStore`](crate::FileStore):
//!
//! ```text
//! struct {
//!     SessionState session;                    /* see Session::encode */
//!     opaque client_identity<0..32>;           /* empty: none, or SHA-256 */
//!     opaque ticket<0..2^16-1>;                /* empty: none */
//!     uint32 ticket_lifetime_hint;
//! } ClientSessionState;
//! ```
//!
//! `ticket`'s ceiling is NewSessionTicket's (RFC 5077 §3.3), and a ticket
//! is never empty (a zero-length one is no ticket), so empty means absent.

use core::fmt;
use std::sync::Arc;

use record_layer::codec::{put_opaque, DecodeError, Reader};
use zeroize::Zeroizing;

use crate::session::opt_bytes;
use crate::Session;

/// A session as a client keeps it: the session both sides share, and what
/// only the client holds (RFC 5077 §3.3's ticket, the identity it
/// presented).
#[derive(Clone)]
pub struct ClientSession {
    /// The session, the same one the connections that use it hold.
    pub session: Arc<Session>,
    /// The opaque ticket the server issued for this session (RFC 5077
    /// §3.3), to be sent back in the SessionTicket extension when
    /// resuming; `None` when no ticket was issued.
    pub ticket: Option<Vec<u8>>,
    /// The server's `ticket_lifetime_hint` for `ticket` (RFC 5077 §3.3),
    /// seconds; 0 means unspecified.
    pub ticket_lifetime_hint: u32,
    /// The client certificate chain of the config that made the session,
    /// `None` for a config without one. A server treats every connection
    /// that resumes the session as the client it authenticated then, so
    /// only a config presenting the same chain may offer it (see
    /// [`ClientIdentity`]).
    pub client_identity: Option<ClientIdentity>,
}

impl ClientSession {
    /// `session`, made by a client presenting `client_identity`, without a
    /// ticket.
    pub fn new(session: Arc<Session>, client_identity: Option<ClientIdentity>) -> Self {
        Self {
            session,
            ticket: None,
            ticket_lifetime_hint: 0,
            client_identity,
        }
    }

    /// Attaches the ticket of a NewSessionTicket message (RFC 5077 §3.3).
    ///
    /// An empty ticket is no ticket: §3.3, "If the server determines that
    /// it does not want to include a ticket ... it sends a zero-length
    /// ticket". It replaces a ticket there was, and its hint, which is a
    /// ticket's lifetime, bounds nothing: the session stays resumable by
    /// its id for its own lifetime.
    pub fn with_ticket(mut self, ticket: Vec<u8>, ticket_lifetime_hint: u32) -> Self {
        let issued = !ticket.is_empty();
        self.ticket = issued.then_some(ticket);
        self.ticket_lifetime_hint = if issued { ticket_lifetime_hint } else { 0 };
        self
    }

    /// True once `now` (UNIX seconds) is past the session's lifetime, or
    /// past a non-zero `ticket_lifetime_hint` counted from the session's
    /// creation (§3.3: "A client SHOULD delete the ticket and associated
    /// state when the time expires"). The hint counts from when the ticket
    /// arrived; for a ticket renewed on a later abbreviated handshake this
    /// drops the session earlier than the hint allows, which §3.3 permits
    /// ("It MAY delete the ticket earlier based on local policy").
    pub fn is_expired(&self, now: u64) -> bool {
        let age = now.saturating_sub(self.session.created_at);
        let hint = u64::from(self.ticket_lifetime_hint);
        self.session.is_expired(now) || (hint != 0 && age >= hint)
    }

    /// The `ClientSessionState` encoding (see the module documentation),
    /// wiped when dropped: it holds the master secret.
    ///
    /// # Panics
    ///
    /// As [`Session::encode`], or for a ticket longer than
    /// `ticket<0..2^16-1>`.
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        let ticket = opt_bytes(&self.ticket);
        assert!(ticket.len() <= TICKET_MAX, "ticket longer than 2^16-1");
        let identity = self.client_identity.as_ref().map_or(&[][..], |i| &i.0);
        let len = self.session.encoded_len() + 1 + identity.len() + 2 + ticket.len() + 4;
        // Exact capacity: a growing Vec would leave unwiped copies.
        let mut out = Zeroizing::new(Vec::with_capacity(len));
        self.session.encode_into(&mut out);
        put_opaque(&mut out, ClientIdentity::LEN, identity);
        put_opaque(&mut out, TICKET_MAX, ticket);
        out.extend_from_slice(&self.ticket_lifetime_hint.to_be_bytes());
        debug_assert_eq!(out.len(), out.capacity());
        out
    }

    /// Decodes a `ClientSessionState` that fills `bytes` exactly; errors
    /// name the field, as [`Session::decode`]'s do.
    pub fn decode(bytes: &[u8]) -> Result<ClientSession, DecodeError> {
        let mut r = Reader::new(bytes);
        let session = Arc::new(Session::decode_from(&mut r)?);
        let client_identity = ClientIdentity::decode(&mut r)?;
        let ticket = r
            .opaque(0, TICKET_MAX, "ClientSessionState.ticket")?
            .to_vec();
        let hint = r.u32("ClientSessionState.ticket_lifetime_hint")?;
        r.expect_empty("ClientSessionState")?;
        // No ticket, no hint: `with_ticket` never writes one alone, and
        // each client session has one encoding.
        if ticket.is_empty() && hint != 0 {
            return Err(DecodeError::InvalidValue {
                what: "ClientSessionState.ticket_lifetime_hint",
            });
        }
        Ok(ClientSession::new(session, client_identity).with_ticket(ticket, hint))
    }
}

impl fmt::Debug for ClientSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The ticket is a bearer credential for the session: print only
        // whether there is one.
        f.debug_struct("ClientSession")
            .field("session", &self.session)
            .field("ticket", &self.ticket.as_ref().map(|_| "<present>"))
            .field("ticket_lifetime_hint", &self.ticket_lifetime_hint)
            .field("client_identity", &self.client_identity)
            .finish()
    }
}

/// `ticket<0..2^16-1>` (RFC 5077 §3.3).
const TICKET_MAX: usize = 0xffff;

/// Who the client is to the server, as a digest of the
/// certificate chain it presents (RFC 5246 §7.4.6).
///
/// A session carries the client's authentication into every connection
/// that resumes it: the server does not see a certificate again, it takes
/// the client to be the one of the full handshake (RFC 5246 §7, "peer
/// certificate" is session state). A client that offered any stored
/// session whatever its own certificate would let a config with another
/// certificate, or with none, be taken for the client that made the
/// session: curl's CVE-2016-5419, where a transfer without a client
/// certificate resumed a session authenticated with one. RFC 5246 §F.1.4:
/// "Sessions cannot be resumed unless both the client and server agree";
/// a client agrees only to sessions made with the identity it would
/// present now.
///
/// The identity is the *config's* certificates (all it holds, in order),
/// not what the server asked for: a session made by a config holding
/// certificate A is A's even if the server never requested it (and then
/// resumes as the anonymous client it was), so that a client with a
/// certificate still resumes with servers that never ask for one. A config
/// without a certificate has no identity (`Option<ClientIdentity>::None`),
/// and offers only sessions made without one.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ClientIdentity(pub [u8; 32]);

impl ClientIdentity {
    /// The length of the digest.
    const LEN: usize = 32;

    /// The identity of a client holding `chains` (each DER, leaf first),
    /// any of which it may present: SHA-256 over each chain as the
    /// Certificate message encodes its `certificate_list` (the list's
    /// uint24 length, then each certificate behind its own, §7.4.2), so
    /// that two lists differing only in where one certificate or chain
    /// ends and the next begins differ here too. `None` when it holds
    /// none.
    pub fn of_chains<'a>(chains: impl IntoIterator<Item = &'a [Vec<u8>]>) -> Option<Self> {
        let mut sha256 = ring::digest::Context::new(&ring::digest::SHA256);
        let mut any = false;
        for chain in chains {
            any = true;
            let list_len: usize = chain.iter().map(|cert| 3 + cert.len()).sum();
            sha256.update(&uint24(list_len));
            for cert in chain {
                sha256.update(&uint24(cert.len()));
                sha256.update(cert);
            }
        }
        let mut digest = [0; Self::LEN];
        digest.copy_from_slice(sha256.finish().as_ref());
        any.then_some(Self(digest))
    }

    /// `opaque client_identity<0..32>`: empty for none, else a whole
    /// digest.
    fn decode(r: &mut Reader) -> Result<Option<Self>, DecodeError> {
        let what = "ClientSessionState.client_identity";
        match r.opaque(0, Self::LEN, what)? {
            [] => Ok(None),
            digest => digest
                .try_into()
                .map(|d| Some(Self(d)))
                .map_err(|_| DecodeError::InvalidValue { what }),
        }
    }
}

impl fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClientIdentity({})", hex::encode(self.0))
    }
}

/// `len` as a uint24. A certificate or list of 2^24 bytes or more cannot
/// be sent at all (`ASN.1Cert<1..2^24-1>`), so no two chains that can be
/// presented share a digest input.
fn uint24(len: usize) -> [u8; 3] {
    let [_, a, b, c] = u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes();
    [a, b, c]
}
