//! Presentation: two renderings of what a TLS 1.2 connection does, for a
//! reader learning the protocol.
//!
//! Both are [`Observer`](handshake::observe::Observer)s: the handshake
//! machines and the record layer report each record, handshake message,
//! key and state change as a [`TraceEvent`](handshake::observe::TraceEvent),
//! and these turn the events into something to read.
//!
//! - [`text::Tracer`]: one line (and a few indented ones) per event, on
//!   standard error or any writer: what the examples print with `--trace`.
//! - [`html::HtmlReport`]: every connection of a run drawn on one HTML page
//!   (sequence diagram, messages with their fields and bytes, key
//!   schedule): what the examples write with `--html FILE`.
//!
//! Why a crate of its own, not part of `tls12`: nothing here is on the
//! protocol path. A connection works the same with or without an observer,
//! and a program that does not draw its connections should not compile
//! about 1,900 lines of HTML rendering. Keeping it apart also shows the
//! direction of knowledge: the protocol crates know nothing of how they
//! are drawn.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod html;
pub mod text;
