//! The legal message sequences of a TLS 1.2 handshake (RFC 5246 §7.3
//! Figures 1 and 2, §7.4; RFC 5077 §3.1 Figures 1 and 2; RFC 5746 §3.5).
//!
//! RFC 5246 §7.4: "The handshake protocol messages are presented below in
//! the order they MUST be sent; sending handshake messages in an unexpected
//! order results in a fatal error." [`LEGAL_SEQUENCES`] lists every order
//! our client and server machines produce, one row per kind of handshake,
//! and `crates/handshake/tests/sequences.rs` checks it both ways: it runs
//! the real machines through each row and compares what they send with the
//! row, then sends each receiver every other message at every position and
//! expects `unexpected_message` and a machine that refuses everything after.
//!
//! **C** is the client, **S** the server; each "→" hands the turn to the
//! other side. \[ChangeCipherSpec\] is in brackets as in the RFC: it is a
//! protocol of its own (§7.1), not a handshake message.
//!
//! | # | handshake | renegotiation | messages |
//! |---|---|---|---|
//! | 1 | full | no | C: ClientHello → S: ServerHello, Certificate, ServerKeyExchange, ServerHelloDone → C: ClientKeyExchange, \[ChangeCipherSpec\], Finished → S: \[ChangeCipherSpec\], Finished |
//! | 2 | full with client authentication | no | C: ClientHello → S: ServerHello, Certificate, ServerKeyExchange, CertificateRequest, ServerHelloDone → C: Certificate, ClientKeyExchange, CertificateVerify, \[ChangeCipherSpec\], Finished → S: \[ChangeCipherSpec\], Finished |
//! | 3 | full with an empty client certificate | no | C: ClientHello → S: ServerHello, Certificate, ServerKeyExchange, CertificateRequest, ServerHelloDone → C: Certificate, ClientKeyExchange, \[ChangeCipherSpec\], Finished → S: \[ChangeCipherSpec\], Finished |
//! | 4 | full with new ticket | no | C: ClientHello → S: ServerHello, Certificate, ServerKeyExchange, ServerHelloDone → C: ClientKeyExchange, \[ChangeCipherSpec\], Finished → S: NewSessionTicket, \[ChangeCipherSpec\], Finished |
//! | 5 | abbreviated (session id) | no | C: ClientHello → S: ServerHello, \[ChangeCipherSpec\], Finished → C: \[ChangeCipherSpec\], Finished |
//! | 6 | abbreviated (ticket) with new ticket | no | C: ClientHello → S: ServerHello, NewSessionTicket, \[ChangeCipherSpec\], Finished → C: \[ChangeCipherSpec\], Finished |
//! | 7 | full | yes | C: ClientHello → S: ServerHello, Certificate, ServerKeyExchange, ServerHelloDone → C: ClientKeyExchange, \[ChangeCipherSpec\], Finished → S: \[ChangeCipherSpec\], Finished |
//! | 8 | full with client authentication | yes | C: ClientHello → S: ServerHello, Certificate, ServerKeyExchange, CertificateRequest, ServerHelloDone → C: Certificate, ClientKeyExchange, CertificateVerify, \[ChangeCipherSpec\], Finished → S: \[ChangeCipherSpec\], Finished |
//! | 9 | full with an empty client certificate | yes | C: ClientHello → S: ServerHello, Certificate, ServerKeyExchange, CertificateRequest, ServerHelloDone → C: Certificate, ClientKeyExchange, \[ChangeCipherSpec\], Finished → S: \[ChangeCipherSpec\], Finished |
//! | 10 | full with new ticket | yes | C: ClientHello → S: ServerHello, Certificate, ServerKeyExchange, ServerHelloDone → C: ClientKeyExchange, \[ChangeCipherSpec\], Finished → S: NewSessionTicket, \[ChangeCipherSpec\], Finished |
//! | 11 | abbreviated (session id) | yes | C: ClientHello → S: ServerHello, \[ChangeCipherSpec\], Finished → C: \[ChangeCipherSpec\], Finished |
//! | 12 | abbreviated (ticket) with new ticket | yes | C: ClientHello → S: ServerHello, NewSessionTicket, \[ChangeCipherSpec\], Finished → C: \[ChangeCipherSpec\], Finished |
//!
//! A renegotiation (RFC 5746) sends the same messages as a first handshake,
//! under the connection's current keys and with `renegotiation_info`
//! carrying the previous Finished messages. A server asks for one with
//! HelloRequest (§7.4.1.1); that message belongs to the connection, which
//! answers it by starting a new client machine, so it is not a step of any
//! machine's sequence. Once a client machine has started, HelloRequest is
//! the one message it ignores (§7.4: it "can be sent at any time, but ...
//! SHOULD be ignored by the client if it arrives in the middle of a
//! handshake"), anywhere but between the server's ChangeCipherSpec and
//! Finished (§7.4.9: "A Finished message is always sent immediately after
//! a change cipher spec message").
//!
//! The machines decide on a message's type before its body is decoded
//! (`check_message_type`, which the connection calls on the four header
//! bytes), so a message out of place is `unexpected_message` whatever its
//! body.
//!
//! Two more branches are not rows of their own: RFC 5077 §3.1 Figure 3 (a
//! server resuming by ticket without renewing it) sends the messages of
//! row 5, and Figure 4 (a rejected ticket, a full handshake and a new
//! ticket) those of row 4.

use crate::key_schedule::Side;
use crate::messages::HandshakeType;
use HandshakeType::{
    Certificate, CertificateRequest, CertificateVerify, ClientHello, ClientKeyExchange, Finished,
    NewSessionTicket, ServerHello, ServerHelloDone, ServerKeyExchange,
};

/// One message of a handshake as it is sent: a handshake message by its
/// type (§7.4), or ChangeCipherSpec (§7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message {
    /// A handshake message (§7.4).
    Handshake(HandshakeType),
    /// ChangeCipherSpec (§7.1): "an independent TLS protocol content type,
    /// and ... not actually a TLS handshake message" (§7.3).
    ChangeCipherSpec,
}

impl Message {
    /// The RFC's name, with ChangeCipherSpec in brackets as in §7.3's figures.
    pub fn name(self) -> &'static str {
        match self {
            Self::Handshake(t) => t.name(),
            Self::ChangeCipherSpec => "[ChangeCipherSpec]",
        }
    }
}

/// Who sends which message (§7.3 Figure 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// The side that sends it; the other side receives it.
    pub sender: Side,
    /// What is sent.
    pub message: Message,
}

/// One legal order of messages, from ClientHello to the last Finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LegalSequence {
    /// What kind of handshake this is.
    pub name: &'static str,
    /// True when it runs inside an established connection (RFC 5746).
    pub renegotiation: bool,
    /// The messages, in the order they are sent.
    pub steps: &'static [Step],
}

const fn client(t: HandshakeType) -> Step {
    Step {
        sender: Side::Client,
        message: Message::Handshake(t),
    }
}

const fn server(t: HandshakeType) -> Step {
    Step {
        sender: Side::Server,
        message: Message::Handshake(t),
    }
}

const CLIENT_CHANGE_CIPHER_SPEC: Step = Step {
    sender: Side::Client,
    message: Message::ChangeCipherSpec,
};

const SERVER_CHANGE_CIPHER_SPEC: Step = Step {
    sender: Side::Server,
    message: Message::ChangeCipherSpec,
};

/// §7.3 Figure 1 without the optional messages.
const FULL: &[Step] = &[
    client(ClientHello),
    server(ServerHello),
    server(Certificate),
    server(ServerKeyExchange),
    server(ServerHelloDone),
    client(ClientKeyExchange),
    CLIENT_CHANGE_CIPHER_SPEC,
    client(Finished),
    SERVER_CHANGE_CIPHER_SPEC,
    server(Finished),
];

/// §7.3 Figure 1 with CertificateRequest, the client's Certificate and its
/// CertificateVerify (§7.4.4, §7.4.6, §7.4.8).
const FULL_WITH_CLIENT_AUTH: &[Step] = &[
    client(ClientHello),
    server(ServerHello),
    server(Certificate),
    server(ServerKeyExchange),
    server(CertificateRequest),
    server(ServerHelloDone),
    client(Certificate),
    client(ClientKeyExchange),
    client(CertificateVerify),
    CLIENT_CHANGE_CIPHER_SPEC,
    client(Finished),
    SERVER_CHANGE_CIPHER_SPEC,
    server(Finished),
];

/// §7.4.6: "If no suitable certificate is available, the client MUST send
/// a certificate message containing no certificates"; with nothing to sign
/// for, there is no CertificateVerify (§7.4.8).
const FULL_WITH_EMPTY_CLIENT_CERTIFICATE: &[Step] = &[
    client(ClientHello),
    server(ServerHello),
    server(Certificate),
    server(ServerKeyExchange),
    server(CertificateRequest),
    server(ServerHelloDone),
    client(Certificate),
    client(ClientKeyExchange),
    CLIENT_CHANGE_CIPHER_SPEC,
    client(Finished),
    SERVER_CHANGE_CIPHER_SPEC,
    server(Finished),
];

/// RFC 5077 §3.1 Figure 1: NewSessionTicket right before the server's
/// ChangeCipherSpec.
const FULL_WITH_NEW_TICKET: &[Step] = &[
    client(ClientHello),
    server(ServerHello),
    server(Certificate),
    server(ServerKeyExchange),
    server(ServerHelloDone),
    client(ClientKeyExchange),
    CLIENT_CHANGE_CIPHER_SPEC,
    client(Finished),
    server(NewSessionTicket),
    SERVER_CHANGE_CIPHER_SPEC,
    server(Finished),
];

/// §7.3 Figure 2.
const ABBREVIATED: &[Step] = &[
    client(ClientHello),
    server(ServerHello),
    SERVER_CHANGE_CIPHER_SPEC,
    server(Finished),
    CLIENT_CHANGE_CIPHER_SPEC,
    client(Finished),
];

/// RFC 5077 §3.1 Figure 2.
const ABBREVIATED_WITH_NEW_TICKET: &[Step] = &[
    client(ClientHello),
    server(ServerHello),
    server(NewSessionTicket),
    SERVER_CHANGE_CIPHER_SPEC,
    server(Finished),
    CLIENT_CHANGE_CIPHER_SPEC,
    client(Finished),
];

/// Every legal handshake, first as a connection's first handshake, then as
/// a renegotiation. The module documentation shows it as a table.
pub const LEGAL_SEQUENCES: &[LegalSequence] = &[
    row("full", false, FULL),
    row(
        "full with client authentication",
        false,
        FULL_WITH_CLIENT_AUTH,
    ),
    row(
        "full with an empty client certificate",
        false,
        FULL_WITH_EMPTY_CLIENT_CERTIFICATE,
    ),
    row("full with new ticket", false, FULL_WITH_NEW_TICKET),
    row("abbreviated (session id)", false, ABBREVIATED),
    row(
        "abbreviated (ticket) with new ticket",
        false,
        ABBREVIATED_WITH_NEW_TICKET,
    ),
    row("full", true, FULL),
    row(
        "full with client authentication",
        true,
        FULL_WITH_CLIENT_AUTH,
    ),
    row(
        "full with an empty client certificate",
        true,
        FULL_WITH_EMPTY_CLIENT_CERTIFICATE,
    ),
    row("full with new ticket", true, FULL_WITH_NEW_TICKET),
    row("abbreviated (session id)", true, ABBREVIATED),
    row(
        "abbreviated (ticket) with new ticket",
        true,
        ABBREVIATED_WITH_NEW_TICKET,
    ),
];

const fn row(name: &'static str, renegotiation: bool, steps: &'static [Step]) -> LegalSequence {
    LegalSequence {
        name,
        renegotiation,
        steps,
    }
}

/// [`LEGAL_SEQUENCES`] as the Markdown table in this module's
/// documentation (a unit test keeps the two equal), e.g. for a README.
pub fn markdown_table() -> String {
    let mut out = String::from("| # | handshake | renegotiation | messages |\n|---|---|---|---|\n");
    for (i, seq) in LEGAL_SEQUENCES.iter().enumerate() {
        let renegotiation = if seq.renegotiation { "yes" } else { "no" };
        out.push_str(&format!(
            "| {} | {} | {renegotiation} | {} |\n",
            i + 1,
            seq.name,
            flights(seq.steps)
        ));
    }
    out
}

/// `C: A, B → S: C, D`: the steps grouped into flights, one per turn.
fn flights(steps: &[Step]) -> String {
    let mut out = String::new();
    let mut turn = None;
    for step in steps {
        if turn == Some(step.sender) {
            out.push_str(", ");
        } else {
            if turn.is_some() {
                out.push_str(" → ");
            }
            out.push_str(match step.sender {
                Side::Client => "C: ",
                Side::Server => "S: ",
            });
            turn = Some(step.sender);
        }
        // Brackets would be taken for a link in rustdoc.
        out.push_str(&step.message.name().replace('[', "\\[").replace(']', "\\]"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_table_is_the_const() {
        let documented: Vec<&str> = include_str!("sequences.rs")
            .lines()
            .filter_map(|line| line.strip_prefix("//! |"))
            .collect();
        let table = markdown_table();
        let rendered: Vec<&str> = table
            .lines()
            .filter_map(|line| line.strip_prefix('|'))
            .collect();
        assert_eq!(documented, rendered);
        assert_eq!(rendered.len(), LEGAL_SEQUENCES.len() + 2);
    }

    /// §7.4.9: "A Finished message is always sent immediately after a
    /// change cipher spec message", and each side sends one of each.
    #[test]
    fn every_finished_follows_its_senders_change_cipher_spec() {
        for seq in LEGAL_SEQUENCES {
            for side in [Side::Client, Side::Server] {
                let ours: Vec<Message> = seq
                    .steps
                    .iter()
                    .filter(|s| s.sender == side)
                    .map(|s| s.message)
                    .collect();
                let finished = Message::Handshake(Finished);
                assert_eq!(ours.iter().filter(|&&m| m == finished).count(), 1);
                let ccs_at = ours.iter().position(|&m| m == Message::ChangeCipherSpec);
                let finished_at = ours.iter().position(|&m| m == finished);
                assert_eq!(ccs_at.map(|i| i + 1), finished_at, "{}", seq.name);
            }
        }
    }

    #[test]
    fn every_row_starts_with_client_hello_and_has_a_renegotiation_twin() {
        for seq in LEGAL_SEQUENCES {
            assert_eq!(
                seq.steps.first(),
                Some(&client(ClientHello)),
                "{}",
                seq.name
            );
            let twins = LEGAL_SEQUENCES
                .iter()
                .filter(|other| other.name == seq.name && other.steps == seq.steps)
                .map(|other| other.renegotiation)
                .collect::<Vec<_>>();
            assert_eq!(twins.len(), 2, "{}", seq.name);
            assert_ne!(twins[0], twins[1], "{}", seq.name);
        }
    }
}
