//! The session state of RFC 5246 §7, and its binary encoding.
//!
//! ```text
//! session identifier, peer certificate, compression method,
//! cipher spec, master secret, is resumable
//! ```
//! (§7, "The session state"), plus what later RFCs tie to a session: whether
//! the master secret is an extended one (RFC 7627), the server name it was
//! made for (RFC 6066 §3), when it was made and how long it may live. It
//! also records what the check of the peer's chain depended on
//! ([`ChainCheck`]), so that a resumption can tell whether that check would
//! still pass without repeating it.
//!
//! A `Session` is what *both* sides hold, the same on each. What only a
//! client keeps beside it (the ticket that names it to a server, and the
//! identity the client presented) is a [`ClientSession`](crate::ClientSession),
//! which wraps the shared `Session`.
//!
//! A `Session` holds **no keys, no sequence numbers, no randoms and no
//! ALPN protocol**: those belong to a connection. Every connection that
//! resumes a session derives its own keys from the master secret and its
//! own two randoms (§6.3), and negotiates its own application protocol
//! (RFC 7301 §3.1: ALPN "does not establish properties of the session,
//! only of the connection"). Connections share a session as
//! `Arc<Session>`.
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
//!     uint8 format_version;                    /* 4 */
//!     opaque session_id<0..32>;
//!     uint16 cipher_suite;
//!     opaque master_secret[48];
//!     uint8 extended_master_secret;            /* 0 or 1 */
//!     ASN.1Cert peer_certificates<0..2^24-1>;  /* as in Certificate, §7.4.2 */
//!     ChainCheck peer_chain_check<0..48>;      /* none or one */
//!     opaque server_name<0..2^16-1>;           /* empty: none */
//!     uint64 created_at;                       /* UNIX seconds */
//!     uint64 lifetime;                         /* seconds */
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
//! A client keeps a `ClientSessionState` (see
//! [`ClientSession::encode`](crate::ClientSession::encode)): this
//! `SessionState` followed by what only the client holds.
//!
//! Each ceiling is the one of the wire message the field comes from (SNI's
//! `HostName<1..2^16-1>`, the Certificate message's
//! `certificate_list<0..2^24-1>`), so every session a handshake makes can
//! be encoded. Since none of these may be empty on the wire, an empty
//! field here means "absent". `is resumable` is not encoded: a stored
//! session is resumable, and one that is not is removed from its store
//! instead.
//!
//! Format 1 had no `peer_chain_check`, format 2 no `client_identity`,
//! format 3 held the ALPN protocol (connection state, RFC 7301 §3.1) and
//! the client's ticket, its hint and its identity inside the session that
//! both sides share. None of them is decoded (a store drops such a
//! session, which costs one full handshake), so that every session has
//! exactly one encoding.

use core::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use record_layer::codec::{put_opaque, put_vector, DecodeError, Reader};
use record_layer::secret::MasterSecret;
use record_layer::suites::CipherSuite;
use zeroize::Zeroizing;

use crate::SessionId;

/// A negotiated TLS 1.2 session (RFC 5246 §7), as both sides hold it.
///
/// A full handshake makes one; every connection that resumes it shares
/// it as `Arc<Session>` and derives keys of its own from its master
/// secret (§6.3). A session outlives connections, even a process, through
/// its encoding:
///
/// ```
/// use record_layer::secret::MasterSecret;
/// use record_layer::suites::CipherSuite;
/// use session_store::{Session, SessionId};
///
/// let session = Session::new(
///     SessionId::new(&[7; 32]).unwrap(),
///     CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
///     MasterSecret::from_bytes([1; 48]),
///     true,             // extended master secret (RFC 7627)
///     Vec::new(),       // the peer's chain: none, an anonymous client
///     Some("example.com".into()),
///     1_700_000_000,    // created at, UNIX seconds
/// );
/// assert!(!session.is_expired(1_700_000_000 + 3600));
/// assert!(session.is_expired(1_700_000_000 + Session::DEFAULT_LIFETIME));
///
/// // What a file store or a ticket keeps: no keys, no randoms, no ALPN.
/// let again = Session::decode(&session.encode()).unwrap();
/// assert_eq!(again.session_id, session.session_id);
/// assert_eq!(again.master_secret(), session.master_secret());
/// ```
pub struct Session {
    /// `session identifier` (§7): the name the server caches the session
    /// under (§7.4.1.3), given in the ServerHello of the full handshake
    /// that made it; empty when the server will not cache it (a server
    /// that only issues tickets). It is not the `session_id` of every
    /// ServerHello that resumes the session: on a resumption by ticket
    /// that is the id the client made up for its ClientHello (RFC 5077
    /// §3.4), a connection's value, not this one.
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
    /// When the full handshake completed, UNIX seconds.
    pub created_at: u64,
    /// How long it may be resumed for, seconds.
    pub lifetime: u64,
    // `is resumable`: cleared by a fatal alert on any connection using it
    // (§7.2.2: "the session identifier MUST be invalidated").
    resumable: AtomicBool,
}

impl Session {
    /// Default lifetime, two hours. The anchors: RFC 5246 §F.1.4 suggests
    /// "an upper limit of 24 hours on session ID lifetimes"; OpenSSL's
    /// default for TLS is 7200 seconds (`SSL_get_default_timeout`, and
    /// the `ticket_lifetime_hint` `openssl s_server` sends); nginx's
    /// `ssl_session_timeout` is 5 minutes. A session's master secret sits
    /// in a store, and in tickets, for as long as it may be resumed, and
    /// anyone who later reads it can decrypt every connection that used it
    /// (docs/security.md): so the shortest bound that still spares the
    /// usual returning client a full handshake, as OpenSSL's does.
    pub const DEFAULT_LIFETIME: u64 = 2 * 60 * 60;

    /// The `format_version` that [`encode`](Self::encode) writes and
    /// [`decode`](Self::decode) accepts.
    pub const FORMAT_VERSION: u8 = 4;

    /// A new, resumable session as a full handshake makes it.
    pub fn new(
        session_id: SessionId,
        cipher_suite: CipherSuite,
        master_secret: MasterSecret,
        extended_master_secret: bool,
        peer_certificates: impl Into<CertificateChain>,
        server_name: Option<String>,
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
            created_at,
            lifetime: Self::DEFAULT_LIFETIME,
            resumable: AtomicBool::new(true),
        }
    }

    /// A copy of this session that can be changed before it is shared
    /// (e.g. to store it elsewhere with another lifetime).
    pub fn duplicate(&self) -> Self {
        Self {
            session_id: self.session_id,
            cipher_suite: self.cipher_suite,
            master_secret: MasterSecret::from_bytes(*self.master_secret.as_bytes()),
            extended_master_secret: self.extended_master_secret,
            peer_certificates: self.peer_certificates.clone(),
            peer_chain_check: self.peer_chain_check,
            server_name: self.server_name.clone(),
            created_at: self.created_at,
            lifetime: self.lifetime,
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
        // Reserve the exact size up front: a Vec that grows copies its
        // bytes (master secret included) and frees the old buffer without
        // wiping it.
        let mut out = Zeroizing::new(Vec::with_capacity(self.encoded_len()));
        self.encode_into(&mut out);
        debug_assert_eq!(out.len(), out.capacity());
        out
    }

    /// Appends the `SessionState` encoding to `out`, which has room for
    /// [`encoded_len`](Self::encoded_len) more bytes.
    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) {
        self.assert_fits();
        out.push(Self::FORMAT_VERSION);
        put_opaque(out, SessionId::MAX_LEN, self.session_id.as_bytes());
        out.extend_from_slice(&self.cipher_suite.value().to_be_bytes());
        out.extend_from_slice(self.master_secret.as_bytes());
        out.push(u8::from(self.extended_master_secret));
        put_vector(out, CERTIFICATES_MAX, |o| {
            for cert in self.peer_certificates.iter() {
                put_opaque(o, CERTIFICATE_MAX, cert);
            }
        });
        put_vector(out, ChainCheck::LEN, |o| {
            if let Some(check) = &self.peer_chain_check {
                o.extend_from_slice(&check.context);
                o.extend_from_slice(&check.valid_from.to_be_bytes());
                o.extend_from_slice(&check.valid_until.to_be_bytes());
            }
        });
        put_opaque(out, SERVER_NAME_MAX, opt_bytes(&self.server_name));
        out.extend_from_slice(&self.created_at.to_be_bytes());
        out.extend_from_slice(&self.lifetime.to_be_bytes());
    }

    /// Decodes a `SessionState` that fills `bytes` exactly. The session is
    /// resumable. An unknown `format_version` or cipher suite, a length out
    /// of bounds, a truncated field or trailing bytes are errors naming the
    /// field.
    pub fn decode(bytes: &[u8]) -> Result<Session, DecodeError> {
        let mut r = Reader::new(bytes);
        let session = Self::decode_from(&mut r)?;
        r.expect_empty("SessionState")?;
        Ok(session)
    }

    /// Reads one `SessionState` from `r`.
    pub(crate) fn decode_from(r: &mut Reader) -> Result<Session, DecodeError> {
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
        let peer_chain_check = ChainCheck::decode(r)?;
        let server_name =
            match r.opaque(0, SERVER_NAME_MAX, "SessionState.server_name")? {
                [] => None,
                name => Some(String::from_utf8(name.to_vec()).map_err(|_| {
                    DecodeError::InvalidValue {
                        what: "SessionState.server_name",
                    }
                })?),
            };
        let created_at = r.u64("SessionState.created_at")?;
        let lifetime = r.u64("SessionState.lifetime")?;

        let mut session = Session::new(
            session_id,
            cipher_suite,
            master_secret,
            extended_master_secret,
            peer_certificates,
            server_name,
            created_at,
        );
        session.peer_chain_check = peer_chain_check;
        session.lifetime = lifetime;
        Ok(session)
    }

    /// The exact length of [`encode`](Self::encode)'s output.
    pub(crate) fn encoded_len(&self) -> usize {
        let certificates: usize = self.peer_certificates.iter().map(|c| 3 + c.len()).sum();
        1 + (1 + self.session_id.as_bytes().len())
            + 2
            + MasterSecret::LEN
            + 1
            + (3 + certificates)
            + (1 + self.peer_chain_check.map_or(0, |_| ChainCheck::LEN))
            + (2 + opt_bytes(&self.server_name).len())
            + 8
            + 8
    }

    fn assert_fits(&self) {
        let certificates: usize = self.peer_certificates.iter().map(|c| 3 + c.len()).sum();
        let fits = self
            .peer_certificates
            .iter()
            .all(|c| c.len() <= CERTIFICATE_MAX)
            && certificates <= CERTIFICATES_MAX
            && opt_bytes(&self.server_name).len() <= SERVER_NAME_MAX;
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

    /// `ChainCheck peer_chain_check<0..48>`: none or one whole check.
    fn decode(r: &mut Reader) -> Result<Option<Self>, DecodeError> {
        let mut check = r.vector(0, Self::LEN, "SessionState.peer_chain_check")?;
        let decoded = match check.is_empty() {
            true => None,
            false => Some(Self {
                context: check.array("ChainCheck.context")?,
                valid_from: check.u64("ChainCheck.valid_from")?,
                valid_until: check.u64("ChainCheck.valid_until")?,
            }),
        };
        check.expect_empty("ChainCheck")?;
        Ok(decoded)
    }
}

/// `ASN.1Cert<1..2^24-1>` (RFC 5246 §7.4.2).
const CERTIFICATE_MAX: usize = 0xff_ffff;
/// `certificate_list<0..2^24-1>` (RFC 5246 §7.4.2).
const CERTIFICATES_MAX: usize = 0xff_ffff;
/// `HostName<1..2^16-1>` (RFC 6066 §3).
const SERVER_NAME_MAX: usize = 0xffff;

pub(crate) fn opt_bytes<T: AsRef<[u8]>>(field: &Option<T>) -> &[u8] {
    field.as_ref().map_or(&[], AsRef::as_ref)
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("session_id", &self.session_id)
            .field("cipher_suite", &self.cipher_suite)
            .field("master_secret", &self.master_secret)
            .field("extended_master_secret", &self.extended_master_secret)
            .field("peer_certificates", &self.peer_certificates.len())
            .field("peer_chain_check", &self.peer_chain_check)
            .field("server_name", &self.server_name)
            .field("created_at", &self.created_at)
            .field("lifetime", &self.lifetime)
            .field("resumable", &self.is_resumable())
            .finish()
    }
}
