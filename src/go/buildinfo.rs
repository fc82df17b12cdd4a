//! Go's build information block (Go's `debug/buildinfo`,
//! `src/debug/buildinfo/buildinfo.go`): the header, the inline (Go 1.18+)
//! and pointer (older) layouts, and the module information lines as
//! `runtime/debug.BuildInfo.String` writes them.

use std::collections::BTreeMap;

use super::Module;
use crate::endian::ByteOrder;

/// The magic that starts Go's build information block.
pub const BUILDINFO_MAGIC: &[u8] = b"\xff Go buildinf:";

/// The decoded build information block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildInfo {
    /// Go release, such as `go1.19.8`.
    pub version: String,
    /// The module information text (sentinels removed).
    pub modinfo: String,
}

impl BuildInfo {
    fn lines<'s>(&'s self, tag: &'s str) -> impl Iterator<Item = &'s str> + 's {
        self.modinfo
            .lines()
            .filter_map(move |l| l.strip_prefix(tag)?.strip_prefix('\t'))
    }

    /// The `path` line: the main package path.
    pub fn path(&self) -> Option<String> {
        self.lines("path").next().map(str::to_string)
    }

    /// The `build` lines as key → value. A key or value that Go quoted
    /// (one with a space, a quote, `=` in a key, or a non-printable byte;
    /// `runtime/debug.BuildSetting.String`) is unquoted by Go's rules
    /// (`strconv.Unquote`); one that does not unquote is kept as written.
    pub fn settings(&self) -> BTreeMap<String, String> {
        self.lines("build")
            .filter_map(|kv| {
                let (k, v) = match quoted_prefix(kv) {
                    Some(n) => (&kv[..n], kv[n..].strip_prefix('=')?),
                    None => kv.split_once('=')?,
                };
                Some((unquote(k), unquote(v)))
            })
            .collect()
    }

    /// The `mod` line.
    pub fn main_module(&self) -> Option<Module> {
        self.lines("mod").next().and_then(module)
    }

    /// The `dep` lines, each with the `=>` line that follows it.
    pub fn deps(&self) -> Vec<Module> {
        let mut out: Vec<Module> = Vec::new();
        for line in self.modinfo.lines() {
            if let Some(rest) = line.strip_prefix("dep\t") {
                out.extend(module(rest));
            } else if let Some(rest) = line.strip_prefix("=>\t")
                && let Some(last) = out.last_mut()
            {
                last.replace = module(rest).map(Box::new);
            }
        }
        out
    }
}

fn module(fields: &str) -> Option<Module> {
    let mut f = fields.split('\t');
    let path = f.next().filter(|p| !p.is_empty())?.to_string();
    let version = f.next().unwrap_or_default().to_string();
    let sum = f.next().filter(|s| !s.is_empty()).map(str::to_string);
    Some(Module {
        path,
        version,
        sum,
        replace: None,
    })
}

/// The length of the Go double-quoted string at the start of `s` (text as
/// [`crate::text`] keeps it), if `s` starts with one.
fn quoted_prefix(s: &str) -> Option<usize> {
    let raw = crate::text::to_bytes(s)?;
    let mut i = 1;
    if raw.first() != Some(&b'"') {
        return None;
    }
    while let Some(&b) = raw.get(i) {
        match b {
            b'"' => return Some(crate::text::from_bytes(&raw[..=i]).len()),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    None
}

/// `v` unquoted by Go's `strconv.Unquote` rules when it is a double-quoted
/// string, otherwise as it is. `v` and the result are lossless text (see
/// [`crate::text`]): the quoted bytes are decoded, unescaped, and encoded
/// again.
fn unquote(v: &str) -> String {
    crate::text::to_bytes(v)
        .and_then(|raw| go_unquote(&raw))
        .map(|b| crate::text::from_bytes(&b))
        .unwrap_or_else(|| v.to_string())
}

/// Go's `strconv.Unquote` for a double-quoted string: `\a \b \f \n \r
/// \t \v \\ \"`, `\xNN` and octal `\NNN` (one byte each), `\uNNNN` and
/// `\UNNNNNNNN` (a code point, written as UTF-8). `None` when `raw` is not
/// one quoted string or an escape is invalid.
fn go_unquote(raw: &[u8]) -> Option<Vec<u8>> {
    let inner = raw.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    let hex = |d: &[u8]| {
        d.iter()
            .try_fold(0u32, |n, &c| Some(n * 16 + (c as char).to_digit(16)?))
    };
    while i < inner.len() {
        let b = inner[i];
        if b == b'"' || b == b'\n' {
            return None;
        }
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let e = *inner.get(i + 1)?;
        i += 2;
        let simple = match e {
            b'a' => Some(7),
            b'b' => Some(8),
            b'f' => Some(12),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(11),
            b'\\' => Some(b'\\'),
            b'"' => Some(b'"'),
            _ => None,
        };
        if let Some(c) = simple {
            out.push(c);
            continue;
        }
        match e {
            b'x' => {
                out.push(u8::try_from(hex(inner.get(i..i + 2)?)?).ok()?);
                i += 2;
            }
            b'0'..=b'7' => {
                let d = inner.get(i - 1..i + 2)?;
                let n = d.iter().try_fold(0u32, |n, &c| {
                    (b'0'..=b'7').contains(&c).then(|| n * 8 + u32::from(c - b'0'))
                })?;
                out.push(u8::try_from(n).ok()?);
                i += 2;
            }
            b'u' | b'U' => {
                let n = if e == b'u' { 4 } else { 8 };
                let c = char::from_u32(hex(inner.get(i..i + n)?)?)?;
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                i += n;
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Read an unsigned LEB128 varint (Go's `binary.Uvarint`).
fn uvarint(b: &[u8]) -> Option<(u64, usize)> {
    let mut x = 0u64;
    for (i, &byte) in b.iter().enumerate().take(10) {
        x |= u64::from(byte & 0x7f) << (7 * i);
        if byte < 0x80 {
            return Some((x, i + 1));
        }
    }
    None
}

/// Decode the build information block starting at `block` (which begins
/// with [`BUILDINFO_MAGIC`]). `read_mem(addr, len)` returns `len` bytes of
/// the program's memory at virtual address `addr`, for the pre-1.18
/// pointer layout. Every length and pointer is checked; `None` when the
/// block is malformed.
pub fn decode<'a>(block: &[u8], read_mem: &dyn Fn(u64, u64) -> Option<&'a [u8]>) -> Option<BuildInfo> {
    let header = block.get(..32)?;
    if !header.starts_with(BUILDINFO_MAGIC) {
        return None;
    }
    let ptr_size = usize::from(header[14]);
    let flags = header[15];
    let (version, modinfo): (Vec<u8>, Vec<u8>) = if flags & 2 != 0 {
        let mut rest = &block[32..];
        let mut read = || {
            let (len, n) = uvarint(rest)?;
            let len = usize::try_from(len).ok()?;
            let s = rest.get(n..n.checked_add(len)?)?;
            rest = &rest[n + len..];
            Some(s.to_vec())
        };
        (read()?, read()?)
    } else {
        if ptr_size != 4 && ptr_size != 8 {
            return None;
        }
        let order = if flags & 1 != 0 {
            ByteOrder::Big
        } else {
            ByteOrder::Little
        };
        let word = |b: &[u8]| order.word(b, 0, ptr_size);
        let string_at = |ptr: u64| -> Option<Vec<u8>> {
            let hdr = read_mem(ptr, 2 * ptr_size as u64)?;
            let data = word(hdr)?;
            let len = word(&hdr[ptr_size..])?;
            // Module information is kilobytes; 16 MiB bounds a hostile length.
            if len > 16 << 20 {
                return None;
            }
            read_mem(data, len).map(<[u8]>::to_vec)
        };
        let v = string_at(word(&header[16..])?)?;
        let m = word(&header[16 + ptr_size..]).and_then(string_at).unwrap_or_default();
        (v, m)
    };
    // The module information is framed by 16-byte binary sentinels.
    let modinfo = if modinfo.len() >= 33 && modinfo[modinfo.len() - 17] == b'\n' {
        &modinfo[16..modinfo.len() - 16]
    } else {
        &[][..]
    };
    Some(BuildInfo {
        version: crate::text::from_bytes(&version),
        modinfo: crate::text::from_bytes(modinfo),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uvarint_matches_go() {
        assert_eq!(uvarint(&[0x07]), Some((7, 1)));
        assert_eq!(uvarint(&[0x96, 0x01]), Some((150, 2)));
        assert_eq!(uvarint(&[0x80; 11]), None);
    }

    #[test]
    fn inline_block_with_hostile_length_is_rejected() {
        let mut b = BUILDINFO_MAGIC.to_vec();
        b.extend_from_slice(&[8, 2]);
        b.resize(32, 0);
        b.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert_eq!(decode(&b, &|_, _| None), None);
    }

    #[test]
    fn settings_are_unquoted_by_go_rules() {
        // The bytes as Go writes them (runtime/debug.BuildSetting.String,
        // strconv.Quote), kept as lossless text the way decode() keeps them.
        let raw = br#"build	-ldflags="-s -w -X \"main.v=a b\""
build	-gcflags="all=-N \t\x41\101\u00e9\U0001F600"
build	"we=ird"=x
build	bad="\q"
build	plain=a\b
"#;
        let info = BuildInfo {
            version: "go1.23.5".into(),
            modinfo: crate::text::from_bytes(raw),
        };
        let s = info.settings();
        assert_eq!(s["-ldflags"], r#"-s -w -X "main.v=a b""#);
        assert_eq!(s["-gcflags"], "all=-N \tAA\u{e9}\u{1F600}");
        assert_eq!(s["we=ird"], "x");
        // Not valid Go quoting, or not quoted: kept, backslashes as `\\`.
        assert_eq!(s["bad"], r#""\\q""#);
        assert_eq!(s["plain"], r"a\\b");
        assert_eq!(go_unquote(br#""\400""#), None);
        assert_eq!(go_unquote(br#""\x+1""#), None);
    }

    #[test]
    fn dep_lines_with_replacement() {
        let info = BuildInfo {
            version: "go1.23.5".into(),
            modinfo: "path\tex/app\nmod\tex/app\t(devel)\t\ndep\tgithub.com/mattn/go-sqlite3\tv1.14.16\t\n=>\t/src/sqlite\t(devel)\t\ndep\tgolang.org/x/sys\tv0.1.0\th1:abc=\nbuild\t-tags=netgo,osusergo\nbuild\tCGO_ENABLED=0\n".into(),
        };
        let deps = info.deps();
        assert_eq!(deps.len(), 2);
        assert_eq!(deps[0].path, "github.com/mattn/go-sqlite3");
        assert_eq!(deps[0].replace.as_ref().unwrap().path, "/src/sqlite");
        assert_eq!(deps[1].sum.as_deref(), Some("h1:abc="));
        assert_eq!(info.main_module().unwrap().version, "(devel)");
        assert_eq!(info.settings()["-tags"], "netgo,osusergo");
    }
}
