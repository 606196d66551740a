//! Text from a peer, written on a line of our own (an error message, a log
//! line, a terminal). No RFC section: RFC 5280 lets a certificate's names
//! hold any character, and a peer chooses them.
//!
//! Error messages name certificates by their subject, often from a chain
//! that is then refused: a subject with a newline would forge a line in a
//! server's log, one with an escape sequence would move the cursor or
//! recolour the terminal. [`EscapeControls`] is the one place where such
//! characters become visible escapes; the `Display` of [`crate::Error`]
//! and of [`crate::x509::CertificateError`] write through it.

use core::fmt;

/// A [`fmt::Write`] that passes text on to `W`, writing every character
/// that could end, move or disguise a line as a Rust escape (`\n`,
/// `\u{1b}`, `\u{202e}`): control characters (C0, DEL, C1), the line and
/// paragraph separators, and the bidirectional formatting characters.
/// Everything else passes as it is, quotes included: the messages quote
/// names themselves. Escaping twice changes nothing more.
pub struct EscapeControls<W>(pub W);

impl<W: fmt::Write> fmt::Write for EscapeControls<W> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        for c in text.chars() {
            if breaks_a_line(c) {
                write!(self.0, "{}", c.escape_debug())?;
            } else {
                self.0.write_char(c)?;
            }
        }
        Ok(())
    }
}

/// Does `c` end the line, move the cursor or reorder what is shown?
fn breaks_a_line(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' // line, paragraph separator
                | '\u{061c}' | '\u{200e}' | '\u{200f}' // bidi marks
                | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' // bidi embeddings, isolates
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::fmt::Write;

    fn escaped(text: &str) -> String {
        let mut out = EscapeControls(String::new());
        out.write_str(text).unwrap();
        out.0
    }

    #[test]
    fn controls_become_escapes_and_the_rest_stays() {
        assert_eq!(
            escaped("CN=a\nb\r\u{1b}[31m\u{7f}\u{85}\u{202e}\u{2028}"),
            "CN=a\\nb\\r\\u{1b}[31m\\u{7f}\\u{85}\\u{202e}\\u{2028}"
        );
        assert_eq!(
            escaped("\"Zoë\" O'Brien, ünïcode"),
            "\"Zoë\" O'Brien, ünïcode"
        );
        let once = escaped("a\n\u{1b}b");
        assert_eq!(escaped(&once), once);
    }
}
