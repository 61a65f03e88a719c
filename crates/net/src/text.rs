//! Text from a registry or a service made safe to print: no terminal escape sequences, no
//! control characters, no bidi overrides, no line breaks, and a bounded length.

/// Escape sequences and control characters removed, line breaks and tabs turned into spaces,
/// bidi controls removed, cut to `max_chars` characters (with `…`).
pub fn sanitize(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars * 4));
    let mut chars = text.chars().peekable();
    let mut kept = 0;
    while let Some(c) = chars.next() {
        if kept >= max_chars {
            out.push('…');
            break;
        }
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            // CSI as one C1 character.
            '\u{9b}' => skip_csi(&mut chars),
            '\n' | '\r' | '\t' => {
                if !out.ends_with(' ') {
                    out.push(' ');
                    kept += 1;
                }
            }
            c if c.is_control() || is_bidi_control(c) => {}
            c => {
                out.push(c);
                kept += 1;
            }
        }
    }
    out.trim().to_owned()
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Drops what follows an ESC: a CSI (`ESC [ … final`), an OSC / DCS / APC / PM / SOS string
/// (up to BEL or ESC \), or a single character.
fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.next() {
        Some('[') => skip_csi(chars),
        Some(']' | 'P' | '_' | '^' | 'X') => {
            while let Some(c) = chars.next() {
                if c == '\u{7}' || c == '\u{9c}' {
                    return;
                }
                if c == '\u{1b}' && chars.peek() == Some(&'\\') {
                    chars.next();
                    return;
                }
            }
        }
        _ => {}
    }
}

fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_what_could_rewrite_a_terminal_or_forge_a_line() {
        let cases = [
            ("plain text", "plain text"),
            ("\u{1b}[2J\u{1b}[1;31mred\u{1b}[0m alert", "red alert"),
            (
                "denied\n2026-01-01 INFO: all good\r\n",
                "denied 2026-01-01 INFO: all good",
            ),
            ("\u{1b}]8;;http://evil\u{7}link\u{1b}]8;;\u{1b}\\", "link"),
            ("a\u{0}b\u{7f}c\u{9b}31md", "abcd"),
            ("\u{202e}txt.exe", "txt.exe"),
            ("tab\tsep", "tab sep"),
        ];
        for (input, want) in cases {
            assert_eq!(sanitize(input, 100), want, "{input:?}");
        }
        assert_eq!(sanitize("abcdef", 3), "abc…");
        assert_eq!(sanitize(&"é".repeat(10_000), 5), "ééééé…");
    }
}
