//! The session state of RFC 5246 §7, and its binary encoding.
//!
//! ```text
//! session identifier, peer certificate, compression method,
//! cipher spec, master secret, is resumable
//! ```
//! (§7, "The session state"), plus what later RFCs tie to a session: whether
//! the master secret is an extended one (RFC 7627), the server name it was
//! made for (RFC 6066 §3), the ALPN protocol (RFC 7301), when it was made and
//! how long it may live, and, on the client, the session ticket the server
//! issued for it (RFC 5077 §3.3) and the client certificate it was made
//! with ([`ClientIdentity`]). It also records what the check of the
//! peer's chain depended on ([`ChainCheck`]), so that a resumption can tell
//! whether that check would still pass without repeating it.
//!
//! A `Session` holds **no keys and no sequence numbers**: those belong to a
//! connection, and every connection that resumes a session derives its own
//! keys from the master secret and its own two randoms (§6.3). Connections
//! share a session as `Arc<Session>`.
//!
//! # Encoding
//!
//! [`Session::encode`] and [`Session::decode`] turn a session into bytes and
//! back, so that it can live in a file ([`FileStore`](crate::FileStore)) or
//! inside a ticket ([`TicketKeys`](crate::TicketKeys)). The layout, in the
//! presentation language of RFC 5246 §4 and modelled on RFC 5077 §4's
//! `StatePlaintext`:
//!
//! ```text
//! struct {
//!     uint8 format_version;                    /* 3 */
//!     opaque session_id<0..32>;
//!     uint16 cipher_suite;
//!     opaque master_secret[48];
//!     uint8 extended_master_secret;            /* 0 or 1 */
//!     ASN.1Cert peer_certificates<0..2^24-1>;  /* as in Certificate, §7.4.2 */
//!     ChainCheck peer_chain_check<0..48>;      /* none or one */
//!     opaque client_identity<0..32>;           /* empty: none, or SHA-256 */
//!     opaque server_name<0..2^16-1>;           /* empty: none */
//!     opaque alpn<0..2^8-1>;                   /* empty: none */
//!     uint64 created_at;                       /* UNIX seconds */
//!     uint64 lifetime;                         /* seconds */
//!     opaque ticket<0..2^16-1>;                /* empty: none */
//!     uint32 ticket_lifetime_hint;
//! } SessionState;
//!
//! opaque ASN.1Cert<1..2^24-1>;
//!
//! struct {
//!     opaque context[32];
//!     uint64 valid_from;                       /* UNIX seconds */
//!     uint64 valid_until;
//! } ChainCheck;
//! ```
//!
//! Each ceiling is the one of the wire message the field comes from (SNI's
//! `HostName<1..2^16-1>`, ALPN's `ProtocolName<1..2^8-1>`, the Certificate
//! message's `certificate_list<0..2^24-1>`, NewSessionTicket's
//! `ticket<0..2^16-1>`), so every session a handshake makes can be encoded.
//! Since none of these may be empty on the wire, an empty field here means
//! "absent". `is resumable` is not encoded: a stored session is resumable,
//! and one that is not is removed from its store instead.
//!
//! Format 1 had no `peer_chain_check`, format 2 no `client_identity`;
//! neither is decoded (a store drops such a session, which costs one full
//! handshake), so that every session has exactly one encoding, and no
//! client session of format 2 can be offered without knowing whose it is.

use core::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use record_layer::codec::{put_opaque, put_vector, DecodeError, Reader};
use record_layer::secret::MasterSecret;
use record_layer::suites::CipherSuite;
use zeroize::Zeroizing;

use crate::SessionId;

/// A negotiated TLS 1.2 session (RFC 5246 §7).
pub struct Session {
    /// `session identifier`: empty when the server will not cache it.
    pub session_id: SessionId,
    /// `cipher spec`: the suite fixes the AEAD and the PRF hash.
    pub cipher_suite: CipherSuite,
    master_secret: MasterSecret,
    /// Whether `master_secret` was made as an extended master secret
    /// (RFC 7627 §4), binding it to the handshake that created it.
    pub extended_master_secret: bool,
    /// `peer certificate`: the peer's chain, DER, leaf first (empty for an
    /// unauthenticated client).
    pub peer_certificates: CertificateChain,
    /// What the check that accepted `peer_certificates` depended on; `None`
    /// when it was not recorded, and a resumption must check the chain
    /// again in full.
    pub peer_chain_check: Option<ChainCheck>,
    /// The server name (SNI) of the handshake that made it (RFC 6066 §3).
    pub server_name: Option<String>,
    /// The ALPN protocol chosen on the handshake that made it (RFC 7301).
    pub alpn: Option<Vec<u8>>,
    /// When the full handshake completed, UNIX seconds.
    pub created_at: u64,
    /// How long it may be resumed for, seconds.
    pub lifetime: u64,
    /// Client side: the opaque ticket the server issued for this session
    /// (RFC 5077 §3.3), to be sent back in the SessionTicket extension when
    /// resuming. `None` on the server and when no ticket was issued.
    pub ticket: Option<Vec<u8>>,
    /// Client side: the server's `ticket_lifetime_hint` (RFC 5077 §3.3),
    /// seconds; 0 means unspecified.
    pub ticket_lifetime_hint: u32,
    /// Client side: the client certificate chain of the config that made
    /// the session, `None` for a config without one (and on the server).
    /// A server treats every connection that resumes the session as the
    /// client it authenticated then, so only a config presenting the same
    /// chain may offer it (see [`ClientIdentity`]).
    pub client_identity: Option<ClientIdentity>,
    // `is resumable`: cleared by a fatal alert on any connection using it
    // (§7.2.2: "the session identifier MUST be invalidated").
    resumable: AtomicBool,
}

impl Session {
    /// Default lifetime: RFC 5246 §F.1.4 suggests "an upper limit of 24
    /// hours on session ID lifetimes".
    pub const DEFAULT_LIFETIME: u64 = 24 * 60 * 60;

    /// The `format_version` that [`encode`](Self::encode) writes and
    /// [`decode`](Self::decode) accepts.
    pub const FORMAT_VERSION: u8 = 3;

    /// A new, resumable session as a full handshake makes it.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        session_id: SessionId,
        cipher_suite: CipherSuite,
        master_secret: MasterSecret,
        extended_master_secret: bool,
        peer_certificates: impl Into<CertificateChain>,
        server_name: Option<String>,
        alpn: Option<Vec<u8>>,
        created_at: u64,
    ) -> Self {
        Self {
            session_id,
            cipher_suite,
            master_secret,
            extended_master_secret,
            peer_certificates: peer_certificates.into(),
            peer_chain_check: None,
            server_name,
            alpn,
            created_at,
            lifetime: Self::DEFAULT_LIFETIME,
            ticket: None,
            ticket_lifetime_hint: 0,
            client_identity: None,
            resumable: AtomicBool::new(true),
        }
    }

    /// Client side: attaches the ticket of a NewSessionTicket message
    /// (RFC 5077 §3.3), before the session is shared.
    ///
    /// An empty ticket is no ticket: §3.3, "If the server determines that
    /// it does not want to include a ticket ... it sends a zero-length
    /// ticket". It replaces a ticket the session had, and its hint, which
    /// is a ticket's lifetime, bounds nothing: the session stays resumable
    /// by its id for its own lifetime.
    ///
    /// A non-zero hint shortens `lifetime` to at most the hint, counted
    /// from `created_at`, so that stores drop the session in time (§3.3: "A
    /// client SHOULD delete the ticket and associated state when the time
    /// expires"). The hint counts from when the ticket arrived; for a
    /// ticket renewed on a later abbreviated handshake this drops the
    /// session earlier than the hint allows, which §3.3 permits ("It MAY
    /// delete the ticket earlier based on local policy").
    pub fn with_ticket(mut self, ticket: Vec<u8>, ticket_lifetime_hint: u32) -> Self {
        if ticket.is_empty() {
            self.ticket = None;
            self.ticket_lifetime_hint = 0;
            return self;
        }
        self.ticket = Some(ticket);
        self.ticket_lifetime_hint = ticket_lifetime_hint;
        if ticket_lifetime_hint != 0 {
            self.lifetime = self.lifetime.min(u64::from(ticket_lifetime_hint));
        }
        self
    }

    /// A copy of this session that can be changed before it is shared:
    /// e.g. a client that receives a renewed ticket on an abbreviated
    /// handshake (RFC 5077 §3.3) stores
    /// `old.duplicate().with_ticket(new_ticket, hint)`.
    pub fn duplicate(&self) -> Self {
        Self {
            session_id: self.session_id,
            cipher_suite: self.cipher_suite,
            master_secret: MasterSecret::from_bytes(*self.master_secret.as_bytes()),
            extended_master_secret: self.extended_master_secret,
            peer_certificates: self.peer_certificates.clone(),
            peer_chain_check: self.peer_chain_check,
            server_name: self.server_name.clone(),
            alpn: self.alpn.clone(),
            created_at: self.created_at,
            lifetime: self.lifetime,
            ticket: self.ticket.clone(),
            ticket_lifetime_hint: self.ticket_lifetime_hint,
            client_identity: self.client_identity,
            resumable: AtomicBool::new(self.is_resumable()),
        }
    }

    /// `master secret` (§8.1): 48 bytes shared with the peer.
    pub fn master_secret(&self) -> &MasterSecret {
        &self.master_secret
    }

    /// `is resumable` (§7): may new connections resume it?
    pub fn is_resumable(&self) -> bool {
        self.resumable.load(Ordering::Acquire)
    }

    /// Marks the session as not resumable, for every connection sharing it
    /// (§7.2.2: after a fatal alert the session "MUST be invalidated").
    ///
    /// This reaches every holder of this `Arc<Session>`, and so a
    /// [`MemoryStore`](crate::MemoryStore); a store that keeps copies (a
    /// [`FileStore`](crate::FileStore)) learns of it only through its
    /// `remove`, which the handshake must call as well.
    pub fn invalidate(&self) {
        self.resumable.store(false, Ordering::Release);
    }

    /// True once `now` (UNIX seconds) is past the session's lifetime.
    pub fn is_expired(&self, now: u64) -> bool {
        now.saturating_sub(self.created_at) >= self.lifetime
    }

    /// The `SessionState` encoding (see the module documentation). It
    /// holds the master secret, so it is wiped when dropped.
    ///
    /// # Panics
    ///
    /// If a field is longer than its ceiling in `SessionState`. The
    /// ceilings are those of the wire messages the fields are parsed from,
    /// so only a session built by hand with oversized fields can hit this;
    /// a silently truncated length prefix would be worse.
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        self.assert_fits();
        // Reserve the exact size up front: a Vec that grows copies its
        // bytes (master secret included) and frees the old buffer without
        // wiping it.
        let mut out = Zeroizing::new(Vec::with_capacity(self.encoded_len()));
        out.push(Self::FORMAT_VERSION);
        put_opaque(&mut out, SessionId::MAX_LEN, self.session_id.as_bytes());
        out.extend_from_slice(&self.cipher_suite.value().to_be_bytes());
        out.extend_from_slice(self.master_secret.as_bytes());
        out.push(u8::from(self.extended_master_secret));
        put_vector(&mut out, CERTIFICATES_MAX, |o| {
            for cert in self.peer_certificates.iter() {
                put_opaque(o, CERTIFICATE_MAX, cert);
            }
        });
        put_vector(&mut out, ChainCheck::LEN, |o| {
            if let Some(check) = &self.peer_chain_check {
                o.extend_from_slice(&check.context);
                o.extend_from_slice(&check.valid_from.to_be_bytes());
                o.extend_from_slice(&check.valid_until.to_be_bytes());
            }
        });
        let identity = self.client_identity.as_ref().map_or(&[][..], |i| &i.0);
        put_opaque(&mut out, ClientIdentity::LEN, identity);
        put_opaque(&mut out, SERVER_NAME_MAX, opt_bytes(&self.server_name));
        put_opaque(&mut out, ALPN_MAX, opt_bytes(&self.alpn));
        out.extend_from_slice(&self.created_at.to_be_bytes());
        out.extend_from_slice(&self.lifetime.to_be_bytes());
        put_opaque(&mut out, TICKET_MAX, opt_bytes(&self.ticket));
        out.extend_from_slice(&self.ticket_lifetime_hint.to_be_bytes());
        debug_assert_eq!(out.len(), out.capacity());
        out
    }

    /// Decodes a `SessionState` that fills `bytes` exactly. The session is
    /// resumable. An unknown `format_version` or cipher suite, a length out
    /// of bounds, a truncated field or trailing bytes are errors naming the
    /// field.
    pub fn decode(bytes: &[u8]) -> Result<Session, DecodeError> {
        let mut r = Reader::new(bytes);
        if r.u8("SessionState.format_version")? != Self::FORMAT_VERSION {
            return Err(DecodeError::InvalidValue {
                what: "SessionState.format_version",
            });
        }
        let session_id =
            SessionId::new(r.opaque(0, SessionId::MAX_LEN, "SessionState.session_id")?).ok_or(
                DecodeError::InvalidValue {
                    what: "SessionState.session_id",
                },
            )?;
        let cipher_suite = CipherSuite::from_value(r.u16("SessionState.cipher_suite")?).ok_or(
            DecodeError::InvalidValue {
                what: "SessionState.cipher_suite",
            },
        )?;
        let master_secret = MasterSecret::from_bytes(r.array("SessionState.master_secret")?);
        let extended_master_secret = match r.u8("SessionState.extended_master_secret")? {
            0 => false,
            1 => true,
            _ => {
                return Err(DecodeError::InvalidValue {
                    what: "SessionState.extended_master_secret",
                })
            }
        };
        let peer_certificates = r
            .vector(0, CERTIFICATES_MAX, "SessionState.peer_certificates")?
            .items(|c| Ok(c.opaque(1, CERTIFICATE_MAX, "ASN.1Cert")?.to_vec()))?;
        let mut check = r.vector(0, ChainCheck::LEN, "SessionState.peer_chain_check")?;
        let peer_chain_check = match check.is_empty() {
            true => None,
            false => Some(ChainCheck {
                context: check.array("ChainCheck.context")?,
                valid_from: check.u64("ChainCheck.valid_from")?,
                valid_until: check.u64("ChainCheck.valid_until")?,
            }),
        };
        check.expect_empty("ChainCheck")?;
        let client_identity = ClientIdentity::decode(&mut r)?;
        let server_name =
            match r.opaque(0, SERVER_NAME_MAX, "SessionState.server_name")? {
                [] => None,
                name => Some(String::from_utf8(name.to_vec()).map_err(|_| {
                    DecodeError::InvalidValue {
                        what: "SessionState.server_name",
                    }
                })?),
            };
        let alpn = non_empty(r.opaque(0, ALPN_MAX, "SessionState.alpn")?);
        let created_at = r.u64("SessionState.created_at")?;
        let lifetime = r.u64("SessionState.lifetime")?;
        let ticket = non_empty(r.opaque(0, TICKET_MAX, "SessionState.ticket")?);
        let ticket_lifetime_hint = r.u32("SessionState.ticket_lifetime_hint")?;
        r.expect_empty("SessionState")?;

        let mut session = Session::new(
            session_id,
            cipher_suite,
            master_secret,
            extended_master_secret,
            peer_certificates,
            server_name,
            alpn,
            created_at,
        );
        session.peer_chain_check = peer_chain_check;
        session.client_identity = client_identity;
        session.lifetime = lifetime;
        session.ticket = ticket;
        session.ticket_lifetime_hint = ticket_lifetime_hint;
        Ok(session)
    }

    /// The exact length of [`encode`](Self::encode)'s output.
    fn encoded_len(&self) -> usize {
        let certificates: usize = self.peer_certificates.iter().map(|c| 3 + c.len()).sum();
        1 + (1 + self.session_id.as_bytes().len())
            + 2
            + MasterSecret::LEN
            + 1
            + (3 + certificates)
            + (1 + self.peer_chain_check.map_or(0, |_| ChainCheck::LEN))
            + (1 + self.client_identity.map_or(0, |_| ClientIdentity::LEN))
            + (2 + opt_bytes(&self.server_name).len())
            + (1 + opt_bytes(&self.alpn).len())
            + 8
            + 8
            + (2 + opt_bytes(&self.ticket).len())
            + 4
    }

    fn assert_fits(&self) {
        let certificates: usize = self.peer_certificates.iter().map(|c| 3 + c.len()).sum();
        let fits = self
            .peer_certificates
            .iter()
            .all(|c| c.len() <= CERTIFICATE_MAX)
            && certificates <= CERTIFICATES_MAX
            && opt_bytes(&self.server_name).len() <= SERVER_NAME_MAX
            && opt_bytes(&self.alpn).len() <= ALPN_MAX
            && opt_bytes(&self.ticket).len() <= TICKET_MAX;
        assert!(fits, "Session field longer than its SessionState ceiling");
    }
}

/// A peer's certificate chain, DER, leaf first: shared, not copied, by
/// the session, the handshakes that resume it and what they negotiated.
/// It reads as the slice of certificates it holds; the empty chain (a
/// client without a certificate, a handshake before the Certificate
/// message) allocates nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertificateChain(Option<Arc<[Vec<u8>]>>);

impl From<Vec<Vec<u8>>> for CertificateChain {
    fn from(certificates: Vec<Vec<u8>>) -> Self {
        Self((!certificates.is_empty()).then(|| certificates.into()))
    }
}

impl core::ops::Deref for CertificateChain {
    type Target = [Vec<u8>];

    fn deref(&self) -> &[Vec<u8>] {
        self.0.as_deref().unwrap_or_default()
    }
}

impl PartialEq<Vec<Vec<u8>>> for CertificateChain {
    fn eq(&self, other: &Vec<Vec<u8>>) -> bool {
        **self == **other
    }
}

/// What the check that accepted a peer's chain depended on, recorded when
/// it passed (issue 12: a session is only as trusted as that check).
///
/// A chain check is a function of the chain, the trust anchors, the path
/// limits, the purpose (server or client), the server's name and the time.
/// The session holds the chain; `context` is a digest of everything else
/// but the time, made by the handshake; and every certificate of the path
/// found is valid from `valid_from` to `valid_until`. So a later check with
/// the same context, at a time within the window, would pass again, and
/// need not be repeated: anything else (other anchors, another name, a
/// time outside the window) means checking the chain again in full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainCheck {
    /// A digest of what the check depended on besides the chain and the
    /// time (the handshake says what goes in).
    pub context: [u8; 32],
    /// The latest notBefore of the path's certificates, UNIX seconds.
    pub valid_from: u64,
    /// The earliest notAfter of the path's certificates, UNIX seconds.
    pub valid_until: u64,
}

impl ChainCheck {
    /// The length of its encoding.
    const LEN: usize = 32 + 8 + 8;

    /// True if the check this records would pass again for `context` at
    /// `now` (UNIX seconds; the window's bounds are inclusive, as RFC 5280
    /// §4.1.2.5's).
    pub fn still_holds(&self, context: &[u8; 32], now: u64) -> bool {
        self.context == *context && (self.valid_from..=self.valid_until).contains(&now)
    }
}

/// Client side: who the client is to the server, as a digest of the
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
        let what = "SessionState.client_identity";
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

/// `ASN.1Cert<1..2^24-1>` (RFC 5246 §7.4.2).
const CERTIFICATE_MAX: usize = 0xff_ffff;
/// `certificate_list<0..2^24-1>` (RFC 5246 §7.4.2).
const CERTIFICATES_MAX: usize = 0xff_ffff;
/// `HostName<1..2^16-1>` (RFC 6066 §3).
const SERVER_NAME_MAX: usize = 0xffff;
/// `ProtocolName<1..2^8-1>` (RFC 7301 §3.1).
const ALPN_MAX: usize = 0xff;
/// `ticket<0..2^16-1>` (RFC 5077 §3.3).
const TICKET_MAX: usize = 0xffff;

fn opt_bytes<T: AsRef<[u8]>>(field: &Option<T>) -> &[u8] {
    field.as_ref().map_or(&[], AsRef::as_ref)
}

fn non_empty(bytes: &[u8]) -> Option<Vec<u8>> {
    (!bytes.is_empty()).then(|| bytes.to_vec())
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The ticket is a bearer credential for the session: print only
        // whether there is one.
        f.debug_struct("Session")
            .field("session_id", &self.session_id)
            .field("cipher_suite", &self.cipher_suite)
            .field("master_secret", &self.master_secret)
            .field("extended_master_secret", &self.extended_master_secret)
            .field("peer_certificates", &self.peer_certificates.len())
            .field("peer_chain_check", &self.peer_chain_check)
            .field("server_name", &self.server_name)
            .field("alpn", &self.alpn)
            .field("created_at", &self.created_at)
            .field("lifetime", &self.lifetime)
            .field("ticket", &self.ticket.as_ref().map(|_| "<present>"))
            .field("ticket_lifetime_hint", &self.ticket_lifetime_hint)
            .field("client_identity", &self.client_identity)
            .field("resumable", &self.is_resumable())
            .finish()
    }
}

/// `len` as a uint24. A certificate or list of 2^24 bytes or more cannot
/// be sent at all (`ASN.1Cert<1..2^24-1>`), so no two chains that can be
/// presented share a digest input.
fn uint24(len: usize) -> [u8; 3] {
    let [_, a, b, c] = u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes();
    [a, b, c]
}
