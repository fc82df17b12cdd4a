/// Make a string taken from an input file safe to print on a terminal:
/// control characters (ESC, CR, BEL ...), bidirectional overrides and
/// zero-width characters are written as `\u{..}` escapes, so a hostile
/// PT_INTERP or DT_NEEDED cannot move the cursor, recolour or hide text.
pub fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let hidden = matches!(c,
            '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}');
        if c.is_control() || hidden {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn escapes_terminal_controls() {
        assert_eq!(sanitize("lib\x1b[31mred.so"), "lib\\u{1b}[31mred.so");
        assert_eq!(sanitize("a\u{202e}b\rc"), "a\\u{202e}b\\u{d}c");
        assert_eq!(sanitize("libc.so.6"), "libc.so.6");
    }
}
