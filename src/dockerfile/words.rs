//! Words as the Dockerfile frontend reads them: variable substitution and
//! quote removal (BuildKit's `frontend/dockerfile/shell` lexer), and the
//! `name=value` lists of `ARG` and `ENV`.
//!
//! Covered: `$name`, `${name}`, `${name:-word}`, `${name-word}`,
//! `${name:+word}`, `${name+word}`; single quotes (literal), double quotes
//! (the escape character escapes only `"`, `$` and itself) and the escape
//! character outside quotes (escapes anything, and is dropped). An unset
//! variable expands to nothing, as BuildKit does. Not covered (the word is
//! kept as written): the pattern forms `${name#p}`, `${name%p}`,
//! `${name/p/r}` and the failing `${name:?msg}`.

use std::collections::BTreeMap;

/// The variables an instruction sees: the stage's `ENV` and `ARG` values.
pub type Vars = BTreeMap<String, String>;

/// `word` with its variables substituted and quotes removed; `escape` is
/// the escape character (`\` or the `# escape=` directive's).
pub fn expand(word: &str, vars: &Vars, escape: char) -> String {
    let mut out = String::new();
    let mut chars = word.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some('\''), '\'') | (Some('"'), '"') => quote = None,
            (Some('\''), _) => out.push(c),
            (None, '\'' | '"') => quote = Some(c),
            (Some('"'), e) if e == escape => match chars.peek() {
                Some(&n) if n == '"' || n == '$' || n == escape => {
                    out.push(n);
                    chars.next();
                }
                _ => out.push(c),
            },
            (None, e) if e == escape => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            (_, '$') => out.push_str(&variable(&mut chars, vars, escape)),
            _ => out.push(c),
        }
    }
    out
}

/// What follows a `$`: `name`, `{name}` or `{name<op>word}`.
fn variable(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, vars: &Vars, escape: char) -> String {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    if chars.peek() != Some(&'{') {
        let mut name = String::new();
        while let Some(&c) = chars.peek().filter(|c| is_name(**c)) {
            name.push(c);
            chars.next();
        }
        return if name.is_empty() {
            "$".to_string()
        } else {
            vars.get(&name).cloned().unwrap_or_default()
        };
    }
    chars.next();
    let mut body = String::new();
    let mut depth = 1;
    for c in chars.by_ref() {
        depth += match c {
            '{' => 1,
            '}' => -1,
            _ => 0,
        };
        if depth == 0 {
            break;
        }
        body.push(c);
    }
    let name_end = body.find(|c: char| !is_name(c)).unwrap_or(body.len());
    let (name, rest) = body.split_at(name_end);
    let value = vars.get(name);
    let word = |w: &str| expand(w, vars, escape);
    match rest {
        "" => value.cloned().unwrap_or_default(),
        r if r.starts_with(":-") => value
            .filter(|v| !v.is_empty())
            .cloned()
            .unwrap_or_else(|| word(&r[2..])),
        r if r.starts_with('-') => value.cloned().unwrap_or_else(|| word(&r[1..])),
        r if r.starts_with(":+") => value
            .filter(|v| !v.is_empty())
            .map(|_| word(&r[2..]))
            .unwrap_or_default(),
        r if r.starts_with('+') => value.map(|_| word(&r[1..])).unwrap_or_default(),
        // A form dlcheck does not evaluate: keep it as written.
        _ => format!("${{{body}}}"),
    }
}

/// The `name=value` pairs of `ENV` or `LABEL` text, with BuildKit's legacy
/// form (`ENV name rest of the line`) when the first word has no `=`.
/// Values are expanded against `vars` (the values before this instruction:
/// `ENV a=1 b=$a` sees the old `a`).
pub fn pairs(text: &str, vars: &Vars, escape: char) -> Vec<(String, String)> {
    let words = split(text, escape);
    match words.first() {
        Some(first) if !first.contains('=') => {
            let rest = text.trim_start()[first.len()..].trim();
            vec![(expand(first, vars, escape), expand(rest, vars, escape))]
        }
        _ => words
            .iter()
            .filter_map(|w| w.split_once('='))
            .map(|(k, v)| (expand(k, vars, escape), expand(v, vars, escape)))
            .collect(),
    }
}

/// The names and defaults of `ARG` text: `name`, `name=default`; defaults
/// are expanded against `vars`.
pub fn args(text: &str, vars: &Vars, escape: char) -> Vec<(String, Option<String>)> {
    split(text, escape)
        .iter()
        .map(|w| match w.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(expand(v, vars, escape))),
            None => (w.clone(), None),
        })
        .collect()
}

/// Split on unquoted whitespace, keeping quotes and escapes in the words.
pub fn split(text: &str, escape: char) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, c) if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                continue;
            }
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (_, e) if e == escape => {
                word.push(c);
                if let Some(n) = chars.next() {
                    word.push(n);
                }
                continue;
            }
            _ => {}
        }
        word.push(c);
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars {
        [("A", "1"), ("E", ""), ("DIR", "/srv")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn substitution_forms() {
        let v = vars();
        assert_eq!(expand("$A/${A}x", &v, '\\'), "1/1x");
        assert_eq!(expand("${B:-d}${E:-e}${E-f}${A:+p}${B+q}", &v, '\\'), "dep");
        assert_eq!(expand("${DIR}/bin", &v, '\\'), "/srv/bin");
        assert_eq!(expand("$UNSET", &v, '\\'), "");
    }

    #[test]
    fn quotes_and_escapes() {
        let v = vars();
        assert_eq!(expand("'$A'", &v, '\\'), "$A");
        assert_eq!(expand("\"$A b\"", &v, '\\'), "1 b");
        assert_eq!(expand("\\$A", &v, '\\'), "$A");
        assert_eq!(expand("a\\nb", &v, '\\'), "anb");
        assert_eq!(expand("\"a\\nb\"", &v, '\\'), "a\\nb");
        assert_eq!(expand("`$A", &v, '`'), "$A");
    }

    #[test]
    fn env_and_arg_lists() {
        let v = vars();
        assert_eq!(
            pairs("X=\"a b\" Y=$A", &v, '\\'),
            vec![("X".into(), "a b".into()), ("Y".into(), "1".into())]
        );
        assert_eq!(
            pairs("PATH /bin:/usr/bin", &v, '\\'),
            vec![("PATH".into(), "/bin:/usr/bin".into())]
        );
        assert_eq!(
            args("V=1.2 N", &v, '\\'),
            vec![("V".into(), Some("1.2".into())), ("N".into(), None)]
        );
    }
}
