//! Line wrapping of the human output's prose (explanations, fixes, notes,
//! reasons): to a width the CLI sets once, as it sets colour. What a
//! container prints is never wrapped (it is quoted verbatim), nor a word
//! (a path stays whole).

use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The width in columns; 0: no wrapping (the library's default).
static WIDTH: AtomicUsize = AtomicUsize::new(0);

/// Wrap the human output's prose to `columns` (at least 40), or not at
/// all with `None`. Process-wide, like `colored`'s override.
pub fn set_width(columns: Option<usize>) {
    WIDTH.store(columns.map_or(0, |c| c.max(40)), Ordering::Relaxed);
}

/// Write `prefix` (already coloured; `prefix_width` columns wide on screen)
/// and then `text`, wrapped so that no line passes the width: the lines
/// after the first are indented to `prefix_width` columns.
pub(super) fn prose(w: &mut dyn Write, prefix: &str, prefix_width: usize, text: &str) -> io::Result<()> {
    hanging(w, prefix, prefix_width, prefix_width, text)
}

/// [`prose`] with the lines after the first indented to `hang` columns.
pub(super) fn hanging(w: &mut dyn Write, prefix: &str, prefix_width: usize, hang: usize, text: &str) -> io::Result<()> {
    let width = WIDTH.load(Ordering::Relaxed);
    if width == 0 || prefix_width + textwrap::core::display_width(text) <= width {
        return writeln!(w, "{prefix}{text}");
    }
    let indent = " ".repeat(hang);
    let options = textwrap::Options::new(width.saturating_sub(prefix_width.max(hang)).max(20))
        .break_words(false)
        .wrap_algorithm(textwrap::WrapAlgorithm::FirstFit)
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    for (i, line) in textwrap::wrap(text, options).iter().enumerate() {
        let lead = if i == 0 { prefix } else { indent.as_str() };
        writeln!(w, "{lead}{line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_prose_under_a_hanging_indent() {
        set_width(Some(40));
        let mut out = Vec::new();
        prose(
            &mut out,
            "  why: ",
            7,
            "libc.so.6 in base-nossl-debian11 lacks GLIBC_2.34 (it defines up to GLIBC_2.30)",
        )
        .unwrap();
        set_width(None);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "  why: libc.so.6 in base-nossl-debian11\n       lacks GLIBC_2.34 (it defines up\n       to GLIBC_2.30)\n"
        );
        assert!(text.lines().all(|l| l.len() <= 40));
    }
}
