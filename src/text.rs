//! Text that came from the data, made safe to print: a file's bytes never steer the user's terminal,
//! and one huge value never floods it. The warehouse keeps the full text; only what is printed is cut.

/// How many characters of one value are printed.
pub const CAP: usize = 200;

/// `text` with every control character escaped (`\n`, `\t`, `\x1b`, `\u{9b}`, ...) and, when longer than
/// `cap` characters, cut there with `... (N bytes)` saying how long it was.
pub fn printable(text: &str, cap: usize) -> String {
    escaped(text, cap, false)
}

/// A message of several lines (an error) made safe the same way, its line breaks kept.
pub fn printable_lines(text: &str, cap: usize) -> String {
    escaped(text, cap, true)
}

fn escaped(text: &str, cap: usize, keep_newlines: bool) -> String {
    let mut out = String::with_capacity(text.len().min(cap + 32));
    // Blanks at the very end print as nothing: they are written as escapes (a space as \x20, a
    // no-break space as \u{a0}), so that "x " reads unlike "x".
    let trailing_from = text.trim_end().len();
    for (shown, (at, c)) in text.char_indices().enumerate() {
        if shown == cap {
            out.push_str(&format!("... ({} bytes)", text.len()));
            break;
        }
        // (control characters, a line break or tab among them, are escaped, or kept, as anywhere)
        if at >= trailing_from && !c.is_control() {
            match c {
                ' ' => out.push_str("\\x20"),
                c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            }
        } else {
            push_escaped(&mut out, c, keep_newlines);
        }
    }
    out
}

fn push_escaped(out: &mut String, c: char, keep_newlines: bool) {
    match c {
        '\n' if keep_newlines => out.push('\n'),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        // a backslash of the data is doubled, so that it cannot pass for one of these escapes
        '\\' => out.push_str("\\\\"),
        c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
        c if c.is_control() || is_bidi_control(c) || is_zero_width(c) => {
            out.push_str(&format!("\\u{{{:x}}}", c as u32))
        }
        c => out.push(c),
    }
}

/// The invisible characters that reorder text on screen (left-to-right and right-to-left marks,
/// embeddings, overrides, isolates): printed raw they can make a name read as another.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The characters that print as nothing (zero-width space, joiners, word joiner, the byte-order mark):
/// printed raw, a line holding one reads exactly like one without it.
fn is_zero_width(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_plain_text_kept() {
        assert_eq!(printable("plain, ünïcode", CAP), "plain, ünïcode");
        assert_eq!(
            printable("\u{1b}]0;owned\u{7}\ttab\nnl\r\u{9b}31m\u{7f}", CAP),
            "\\x1b]0;owned\\x07\\ttab\\nnl\\r\\u{9b}31m\\x7f"
        );
        assert_eq!(printable_lines("a\nb\u{1b}[2J", CAP), "a\nb\\x1b[2J");
        // a literal backslash in the data is not read as an escape
        assert_eq!(printable("C:\\x1b\\n", CAP), "C:\\\\x1b\\\\n");
        assert_ne!(printable("\\x1b", CAP), printable("\u{1b}", CAP));
        assert_eq!(printable_lines("ab\ncd", 4), "ab\nc... (5 bytes)");
        assert_eq!(
            printable("evil\u{202e}txt.exe", CAP),
            "evil\\u{202e}txt.exe"
        );
        // a byte-order mark inside a line (not the file's first bytes) would make it read as the header
        assert_eq!(printable("\u{feff}Date,Open", CAP), "\\u{feff}Date,Open");
        assert_eq!(printable("a\u{200b}b", CAP), "a\\u{200b}b");
    }

    #[test]
    fn spaces_at_the_end_are_shown() {
        assert_eq!(printable("x ", CAP), "x\\x20");
        assert_eq!(printable("a b  ", CAP), "a b\\x20\\x20");
        assert_eq!(printable(" ", CAP), "\\x20");
        assert_eq!(printable(" x", CAP), " x");
        assert_ne!(printable("x ", CAP), printable("x", CAP));
        assert_eq!(printable_lines("a \nb ", CAP), "a \nb\\x20");
        assert_eq!(printable("x\u{a0}", CAP), "x\\u{a0}");
        assert_eq!(printable("x\u{3000}\t ", CAP), "x\\u{3000}\\t\\x20");
    }

    #[test]
    fn a_long_value_is_cut_and_says_how_long_it_was() {
        let long = "9".repeat(2_000_000);
        let shown = printable(&long, CAP);
        assert_eq!(shown, format!("{}... (2000000 bytes)", "9".repeat(CAP)));
        assert_eq!(printable("12345", 5), "12345");
        assert_eq!(printable("123456", 5), "12345... (6 bytes)");
    }
}
