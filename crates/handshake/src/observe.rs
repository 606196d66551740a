//! Watching a connection work: a small observer interface.
//!
//! A connection reports what happens on it, in order, to the [`Observer`]
//! in its config: every record (RFC 5246 §6.2) and which cipher state
//! protected it, every handshake message (§7.4), every alert (§7.2), the
//! moments the *connection* state changes (a pending cipher state becomes
//! current at ChangeCipherSpec, §6.1, §7.1) and the moments the *session*
//! changes (created, resumed, replaced by a renegotiation, invalidated).
//! `tls12_trace::text` prints these for people, `tls12_trace::html` draws them as a
//! page (one event stream, two renderings); tests can record them.

use std::sync::Arc;

use record_layer::aead::BulkAlgorithm;
use record_layer::record::ContentType;
use record_layer::Alert;
use session_store::Session;

use crate::established::Established;
use crate::messages::HandshakeMessage;
use crate::secure_renegotiation::RenegotiationBinding;
use crate::x509::CertificateError;

/// Which way something went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// We sent it.
    Sent,
    /// We received it.
    Received,
}

/// How a record was protected: by no cipher (the initial
/// `TLS_NULL_WITH_NULL_NULL` state, §6.1) or by an AEAD cipher state with
/// the sequence number it used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protection {
    /// Sent or read in the clear.
    Unprotected,
    /// Sealed or opened by the current cipher state.
    Aead {
        /// The AEAD algorithm.
        bulk: BulkAlgorithm,
        /// The record's sequence number (§6.1).
        seq_num: u64,
    },
}

/// One thing that happened on a connection.
#[derive(Debug)]
pub enum TraceEvent<'a> {
    /// A record (§6.2.1), with its plaintext length.
    Record {
        /// Sent or received.
        direction: Direction,
        /// Its content type.
        content_type: ContentType,
        /// Plaintext length.
        length: usize,
        /// The cipher state that protected it.
        protection: Protection,
    },
    /// A handshake message (§7.4).
    Handshake {
        /// Sent or received.
        direction: Direction,
        /// The message, decoded, with its raw bytes.
        message: &'a HandshakeMessage,
    },
    /// An alert (§7.2).
    Alert {
        /// Sent or received.
        direction: Direction,
        /// The alert.
        alert: Alert,
    },
    /// The keys of the next cipher states are computed: they are pending,
    /// not yet used (§6.1).
    KeysPending,
    /// A pending cipher state became current at ChangeCipherSpec (§7.1);
    /// its sequence number starts at zero.
    CipherStateChanged {
        /// `Sent`: our write state; `Received`: our read state.
        direction: Direction,
        /// The AEAD it uses from now on.
        bulk: BulkAlgorithm,
    },
    /// A handshake completed: the connection now uses `established.session`.
    SessionEstablished {
        /// The handshake, its session and whether it was resumed.
        established: &'a Established,
        /// The connection's RFC 5746 state after it: its Finished messages.
        renegotiation_binding: &'a RenegotiationBinding,
        /// The session it replaced on this connection (a renegotiation).
        replaced: Option<&'a Arc<Session>>,
        /// 1 for the first handshake, 2 for the first renegotiation, ...
        handshake_count: u32,
    },
    /// A fatal alert ended the connection; its session may no longer be
    /// resumed (§7.2.2).
    SessionInvalidated {
        /// The session.
        session: &'a Arc<Session>,
    },
    /// A stored session was not resumed (server) or not offered (client)
    /// because it expired, or because the authentication it carries does
    /// not hold under this config now; a full handshake follows (RFC 5246 §7.4.1.3: "there is
    /// no requirement that the server resume any session").
    ResumptionRefused {
        /// Why.
        reason: &'a ResumptionRefusal,
    },
}

/// Why a session's authentication did not carry over to this handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResumptionRefusal {
    /// Server: this config requires a client certificate (§7.4.6) and the
    /// session was made without one.
    NoClientCertificate,
    /// Server: the session's client chain does not verify against this
    /// config's client trust anchors at this time.
    ClientChainNotTrusted(CertificateError),
    /// Client: the session's server chain does not verify against this
    /// config's trust anchors, for this server name, at this time.
    ServerChainNotTrusted(CertificateError),
    /// Client: the session was made with another client certificate than
    /// this config's, or with one where this config has none, or without
    /// one where this config has one (RFC 5246 §7.4.6; CVE-2016-5419).
    ClientIdentityChanged,
    /// Either side: the session is past its lifetime (RFC 5246 §F.1.4;
    /// for a client, also past its ticket's lifetime hint, RFC 5077 §3.3)
    /// by this side's clock; it is taken out of the store.
    Expired {
        /// When the session was made, UNIX seconds.
        created_at: u64,
        /// How long it could be resumed, seconds.
        lifetime: u64,
    },
}

impl core::fmt::Display for ResumptionRefusal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NoClientCertificate => {
                f.write_str("a client certificate is required and the session has none")
            }
            Self::ClientChainNotTrusted(e) => {
                write!(f, "the session's client chain is not trusted now: {e}")
            }
            Self::ServerChainNotTrusted(e) => {
                write!(f, "the session's server chain is not trusted now: {e}")
            }
            Self::ClientIdentityChanged => f.write_str(
                "the session was made with another client certificate (or none) than this config's",
            ),
            Self::Expired {
                created_at,
                lifetime,
            } => write!(
                f,
                "the session expired (made at {created_at}, resumable for {lifetime} s)"
            ),
        }
    }
}

/// Receives a connection's [`TraceEvent`]s, in order.
pub trait Observer: Send + Sync + core::fmt::Debug {
    /// Called for each event.
    fn event(&self, event: &TraceEvent<'_>);

    /// Called once as each connection is made: the observer that is to see
    /// that connection's events. By default (`None`) it is this one, and
    /// every connection's events arrive here, interleaved; an observer
    /// that draws each connection apart (`tls12_trace::html`) gives each its own.
    fn connection_observer(&self) -> Option<Arc<dyn Observer>> {
        None
    }
}

/// Tells `observer`, if there is one, about `event`.
pub(crate) fn notify(observer: &Option<Arc<dyn Observer>>, event: TraceEvent<'_>) {
    if let Some(observer) = observer {
        observer.event(&event);
    }
}
