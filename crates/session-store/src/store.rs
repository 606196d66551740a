//! Session caches (RFC 5246 §7.4.1.2, §7.4.1.3; RFC 5077 §3.4): what a
//! server looks a session id up in, and where a client keeps the session it
//! will offer to a server next time.
//!
//! RFC 5246 §7.4.1.3: "If the ClientHello.session_id was non-empty, the
//! server will look in its session cache for a match." The client side has
//! no such sentence, but needs the mirror image: to offer a session id or a
//! ticket (RFC 5077 §3.4) in its ClientHello, it must remember the session
//! it made with *that* server, keyed by a [`ServerId`].
//!
//! Both traits return `Result` on every operation so that a store backed by
//! a file system or a network can report failure; a handshake treats a
//! failed lookup like a miss (§7.4.1.3: "there is no requirement that the
//! server resume any session"). A store's `get` never returns a session
//! that is not resumable (it removes it instead); one past its lifetime it
//! does return: the handshake judges expiry by its config's clock, says
//! why it refused the session, and removes it (a file store's sweeps and a
//! memory store's LRU drop old ones meanwhile).

use core::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use record_layer::codec::DecodeError;
use zeroize::Zeroizing;

use crate::{ClientSession, Session, SessionId};

/// Why a store or the ticket keys could not do what was asked.
#[derive(Debug)]
pub enum StoreError {
    /// A file system operation failed.
    Io {
        /// What was being done, e.g. "write".
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A file did not decode: a ticket key file, which is never replaced
    /// silently (that would make every issued ticket unusable without a
    /// word).
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The field that was wrong.
        error: DecodeError,
    },
    /// A file or directory that someone other than its owner could have
    /// read or written (see [`private`](crate::private)): it is not used.
    Untrusted {
        /// The file or directory.
        path: PathBuf,
        /// Its owner's user id.
        owner: u32,
        /// Its permission bits.
        mode: u32,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The operating system's random number generator failed.
    Random,
    /// A store on the network (Redis) could not be reached in time, or
    /// refused the request.
    Remote {
        /// What was being done, e.g. "GET tls12:session:…".
        action: String,
        /// What went wrong.
        detail: String,
    },
    /// A sealed ticket would be longer than NewSessionTicket's
    /// `ticket<0..2^16-1>` (RFC 5077 §3.3), e.g. because the session holds
    /// a long certificate chain. The server should fall back to a session
    /// id, or send an empty ticket.
    TicketTooLarge {
        /// The ticket's length in bytes.
        len: usize,
    },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io {
                action,
                path,
                source,
            } => write!(f, "could not {action} {}: {source}", path.display()),
            Self::Corrupt { path, error } => write!(f, "{} is corrupt: {error}", path.display()),
            Self::Untrusted {
                path,
                owner,
                mode,
                problem,
            } => write!(
                f,
                "refusing {} (owner uid {owner}, mode {mode:04o}): {problem}",
                path.display()
            ),
            Self::Random => f.write_str("the system random number generator failed"),
            Self::Remote { action, detail } => write!(f, "could not {action}: {detail}"),
            Self::TicketTooLarge { len } => {
                write!(f, "a ticket of {len} bytes exceeds ticket<0..2^16-1>")
            }
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            Self::Corrupt { error, .. } => Some(error),
            Self::Untrusted { .. }
            | Self::Random
            | Self::Remote { .. }
            | Self::TicketTooLarge { .. } => None,
        }
    }
}

/// The server's session cache (RFC 5246 §7.4.1.3), keyed by session id.
pub trait ServerSessionStore: Send + Sync {
    /// Caches `session` under its `session_id`. A session with an empty id
    /// is not cached (§7.4.1.3: "The server may return an empty session_id
    /// to indicate that the session will not be cached"), nor is one that
    /// is no longer resumable.
    fn put(&self, session: Arc<Session>) -> Result<(), StoreError>;

    /// The resumable session with this id, if any, even past its lifetime:
    /// expiry (§F.1.4) is the handshake's to judge, by its config's clock,
    /// so that it can say it refused a session because it expired (and
    /// remove it). The empty id finds nothing (§7.4.1.2: the client sends
    /// it when "no session_id is available").
    fn get(&self, id: &SessionId) -> Result<Option<Arc<Session>>, StoreError>;

    /// Forgets the session with this id, e.g. after a fatal alert (§7.2.2:
    /// "the session identifier MUST be invalidated").
    fn remove(&self, id: &SessionId) -> Result<(), StoreError>;
}

/// The server a client session belongs to: the name the client connected
/// to, and the port when it matters.
///
/// A client must only offer a session to the server that made it; keying by
/// name *and* port keeps two services on one host apart.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ServerId {
    /// A DNS name or an IP address literal (without brackets).
    pub name: String,
    /// The TCP port, if known.
    pub port: Option<u16>,
}

impl ServerId {
    /// Parses `host`, `host:port`, `[v6addr]` or `[v6addr]:port`; an
    /// unbracketed IPv6 address (two or more colons) is a name without a
    /// port. The name is lowercased, because DNS names compare without
    /// regard to case (RFC 6066 §3, RFC 4343) and one server should have
    /// one entry. `None` for an empty name, a name holding `[` or `]`
    /// (neither a DNS name nor an address literal does, and refusing them
    /// keeps `Display` and `parse` inverse), or a port that is not a number
    /// from 0 to 65535.
    pub fn parse(s: &str) -> Option<ServerId> {
        let (name, port) = if let Some(rest) = s.strip_prefix('[') {
            let (name, after) = rest.split_once(']')?;
            match after {
                "" => (name, None),
                _ => (name, Some(after.strip_prefix(':')?)),
            }
        } else {
            match s.split_once(':') {
                Some((name, port)) if !port.contains(':') => (name, Some(port)),
                _ => (s, None),
            }
        };
        if name.is_empty() || name.contains(['[', ']']) {
            return None;
        }
        let port = match port {
            // `u16::from_str` accepts a leading '+'; a port is digits only.
            Some(p) if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) => return None,
            Some(p) => Some(p.parse().ok()?),
            None => None,
        };
        Some(ServerId {
            name: name.to_ascii_lowercase(),
            port,
        })
    }
}

impl fmt::Display for ServerId {
    /// The form [`ServerId::parse`] reads: an IPv6 address is bracketed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bracketed = self.name.contains(':');
        match (bracketed, self.port) {
            (false, None) => write!(f, "{}", self.name),
            (false, Some(port)) => write!(f, "{}:{port}", self.name),
            (true, None) => write!(f, "[{}]", self.name),
            (true, Some(port)) => write!(f, "[{}]:{port}", self.name),
        }
    }
}

/// The client's session cache: the session to offer when connecting to a
/// server again (RFC 5246 §7.4.1.2; RFC 5077 §3.4 for tickets), with the
/// ticket and identity only the client keeps ([`ClientSession`]).
pub trait ClientSessionStore: Send + Sync {
    /// Remembers `session` as the one to resume with `server`, replacing
    /// any earlier one. A session that is no longer resumable is not kept.
    fn put(&self, server: &ServerId, session: ClientSession) -> Result<(), StoreError>;

    /// The resumable session for `server`, if any, even past its lifetime
    /// or its ticket's hint ([`ClientSession::is_expired`]): the handshake
    /// judges that, says so, and removes it.
    fn get(&self, server: &ServerId) -> Result<Option<ClientSession>, StoreError>;

    /// Forgets the session for `server`, e.g. after a fatal alert (§7.2.2)
    /// or when the server declined to resume it.
    fn remove(&self, server: &ServerId) -> Result<(), StoreError>;
}

/// What a store keeps under each key: a server's `Arc<Session>` or a
/// client's [`ClientSession`]. Both stores handle the two alike through
/// this: when it was made (for eviction), whether it may still be
/// resumed, and its encoding (for files).
pub(crate) trait Kept: Clone + Sized {
    /// When its session was made, UNIX seconds.
    fn created_at(&self) -> u64;
    /// `is resumable` (RFC 5246 §7): not invalidated.
    fn is_resumable(&self) -> bool;
    /// Past its lifetime at `now`.
    fn is_expired(&self, now: u64) -> bool;
    /// Its encoding, wiped when dropped.
    fn encode(&self) -> Zeroizing<Vec<u8>>;
    /// The value `encode` wrote.
    fn decode(bytes: &[u8]) -> Result<Self, DecodeError>;
}

impl Kept for Arc<Session> {
    fn created_at(&self) -> u64 {
        self.created_at
    }

    fn is_resumable(&self) -> bool {
        Session::is_resumable(self)
    }

    fn is_expired(&self, now: u64) -> bool {
        Session::is_expired(self, now)
    }

    fn encode(&self) -> Zeroizing<Vec<u8>> {
        Session::encode(self)
    }

    fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        Session::decode(bytes).map(Arc::new)
    }
}

impl Kept for ClientSession {
    fn created_at(&self) -> u64 {
        self.session.created_at
    }

    fn is_resumable(&self) -> bool {
        self.session.is_resumable()
    }

    fn is_expired(&self, now: u64) -> bool {
        ClientSession::is_expired(self, now)
    }

    fn encode(&self) -> Zeroizing<Vec<u8>> {
        ClientSession::encode(self)
    }

    fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        ClientSession::decode(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str, port: Option<u16>) -> Option<ServerId> {
        Some(ServerId {
            name: name.into(),
            port,
        })
    }

    #[test]
    fn parse_forms() {
        assert_eq!(ServerId::parse("example.com"), id("example.com", None));
        assert_eq!(
            ServerId::parse("Example.COM:443"),
            id("example.com", Some(443))
        );
        assert_eq!(ServerId::parse("[::1]:8443"), id("::1", Some(8443)));
        assert_eq!(ServerId::parse("[::1]"), id("::1", None));
        assert_eq!(ServerId::parse("fe80::1"), id("fe80::1", None));
        assert_eq!(ServerId::parse("127.0.0.1:0"), id("127.0.0.1", Some(0)));
    }

    #[test]
    fn parse_rejects() {
        for bad in [
            "",
            ":443",
            "[]:443",
            "host:",
            "host:+1",
            "host:65536",
            "host:x",
            "[::1",
            "[::1]443",
            "[::1]:",
            "[a]b]",
            "a]:1",
        ] {
            assert_eq!(ServerId::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn display_parses_back() {
        for s in [
            "example.com",
            "example.com:443",
            "[::1]",
            "[2001:db8::1]:443",
        ] {
            let parsed = ServerId::parse(s).unwrap();
            assert_eq!(parsed.to_string(), s);
            assert_eq!(ServerId::parse(&parsed.to_string()), Some(parsed));
        }
    }

    #[test]
    fn errors_name_the_cause() {
        let io = StoreError::Io {
            action: "write",
            path: "/x/y".into(),
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        };
        assert!(io.to_string().starts_with("could not write /x/y: "));
        let corrupt = StoreError::Corrupt {
            path: "/k".into(),
            error: DecodeError::Truncated { what: "TicketKey" },
        };
        assert_eq!(corrupt.to_string(), "/k is corrupt: TicketKey: truncated");
    }
}
