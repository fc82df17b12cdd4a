//! [`Table`]: a list of the embedded data stored as one string, an entry per
//! line, fields separated by tabs, with each line's byte offset.
//!
//! A `&'static [&'static str]` costs the dynamic loader one relocation per
//! entry at every start (and a written page for each page of pointers); a
//! table costs two, whatever its length. The image data holds thousands of
//! names (every version definition of every library of every platform), so
//! build.rs writes them as tables.

use std::cmp::Ordering;

/// A list stored as lines, each ending with a newline (see the module
/// documentation). Keyed tables are sorted by their first field.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    text: &'static str,
    starts: &'static [u32],
}

impl Table {
    /// A table over `text`, whose lines start at `starts` (byte offsets,
    /// ascending). Made by build.rs.
    pub const fn new(text: &'static str, starts: &'static [u32]) -> Table {
        Table { text, starts }
    }

    /// How many entries.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether it has no entry.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// Entry `i`, its fields still joined by tabs.
    pub fn line(&self, i: usize) -> &'static str {
        let start = self.starts[i] as usize;
        // Every line ends with a newline, the last one too.
        let end = self.starts.get(i + 1).map_or(self.text.len(), |e| *e as usize) - 1;
        &self.text[start..end]
    }

    /// Every entry, in order.
    pub fn iter(&self) -> impl Iterator<Item = &'static str> + use<> {
        let t = *self;
        (0..t.len()).map(move |i| t.line(i))
    }

    /// Every entry as (first field, the rest).
    pub fn pairs(&self) -> impl Iterator<Item = (&'static str, &'static str)> + use<> {
        self.iter().map(|l| l.split_once('\t').unwrap_or((l, "")))
    }

    /// Whether an entry is exactly `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.iter().any(|l| l == name)
    }

    /// The rest of the entry whose first field is `key`, in a table sorted
    /// by its first field (binary search).
    pub fn get(&self, key: &str) -> Option<&'static str> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            let line = self.line(mid);
            match first_field_cmp(line.as_bytes(), key.as_bytes()) {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => return Some(line.get(key.len() + 1..).unwrap_or_default()),
            }
        }
        None
    }
}

/// The order of a line's first field and `key`, without looking for the
/// tab first: the tab (0x09) sorts before every character a key holds, so
/// comparing the whole line with the key orders the first field.
fn first_field_cmp(line: &[u8], key: &[u8]) -> Ordering {
    match line.get(..key.len()) {
        Some(prefix) => match prefix.cmp(key) {
            Ordering::Equal if line.len() == key.len() || line[key.len()] == b'\t' => Ordering::Equal,
            Ordering::Equal => Ordering::Greater,
            other => other,
        },
        None => line.cmp(key),
    }
}

#[cfg(test)]
mod tests {
    use super::Table;

    #[test]
    fn lines_and_keyed_lookup() {
        // Keys that are prefixes of each other, sorted as build.rs sorts them.
        static T: Table = Table::new(
            "lib\tA\nlibc.so.6\t/lib/libc.so.6\nlibc.so.6x\tB\nz\t\n",
            &[0, 6, 31, 44],
        );
        assert_eq!(T.len(), 4);
        assert_eq!(T.iter().collect::<Vec<_>>()[3], "z\t");
        assert_eq!(T.get("libc.so.6"), Some("/lib/libc.so.6"));
        assert_eq!(T.get("libc.so.6x"), Some("B"));
        assert_eq!(T.get("lib"), Some("A"));
        assert_eq!(T.get("z"), Some(""));
        for absent in ["", "li", "libc", "libc.so.7", "zz", "a"] {
            assert_eq!(T.get(absent), None, "{absent}");
        }
        static L: Table = Table::new("GLIBC_2.2.5\nGLIBC_2.34\n", &[0, 12]);
        assert!(L.contains("GLIBC_2.34") && !L.contains("GLIBC_2.3"));
        assert_eq!(L.line(1), "GLIBC_2.34");
        static E: Table = Table::new("", &[]);
        assert!(E.is_empty() && E.get("x").is_none());
    }
}
