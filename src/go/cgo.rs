//! Evidence of cgo: runtime/cgo's C functions in the symbol tables,
//! PT_INTERP with DT_NEEDED, runtime/cgo's source files in the function
//! table, and the cmd/cgo stubs (`pkg._Cfunc_*`) that say which packages
//! pulled C code in.

use std::collections::BTreeSet;

use super::pclntab::names_containing;
use super::{CGO_SYMBOLS, Evidence, EvidenceSource, GoInput, Names};
use crate::elf::name_is;

/// What one pass over a symbol table's names finds.
#[derive(Default)]
pub(super) struct NameScan {
    /// Members of [`CGO_SYMBOLS`] present.
    pub(super) cgo: BTreeSet<&'static str>,
    pub(super) x509: bool,
    pub(super) load_location: bool,
    pub(super) tzdata: bool,
    pub(super) user: bool,
    /// musl's start code, `__init_libc` (see [`super::Seen`]).
    pub(super) init_libc: bool,
    /// A function of Go's runtime package: the table is a Go program's.
    pub(super) runtime: bool,
    /// Names seen.
    pub(super) count: usize,
}

impl NameScan {
    pub(super) fn of(names: &Names<'_>) -> NameScan {
        let mut out = NameScan::default();
        // Most names fail on their first byte, so that is tested first.
        for v in names.views() {
            out.count += 1;
            match v.first() {
                Some(b'x' | b'_' | b'c') => {
                    if v.starts_with(b"crypto/x509.") {
                        out.x509 = true;
                    } else if name_is(v, b"__init_libc") {
                        out.init_libc = true;
                    } else if (v.starts_with(b"x_cgo") || v.starts_with(b"_cgo") || v.starts_with(b"crosscall2"))
                        && let Some(s) = CGO_SYMBOLS.iter().find(|s| name_is(v, s.as_bytes()))
                    {
                        out.cgo.insert(s);
                    }
                }
                Some(b't') => {
                    out.load_location |= name_is(v, b"time.LoadLocation");
                    out.tzdata |= v.starts_with(b"time/tzdata.");
                }
                Some(b'o') => out.user |= v.starts_with(b"os/user."),
                Some(b'r') => out.runtime |= v.starts_with(b"runtime."),
                _ => {}
            }
        }
        out
    }
}

/// The most packages reported as pulling cgo in: real programs have a
/// handful, and a hostile file must not turn stub-like names into
/// unbounded memory and output.
pub const MAX_CGO_PACKAGES: usize = 1000;

/// Adds to `out` the packages whose cmd/cgo stubs (`pkg._Cfunc_name`,
/// `pkg._C2func_name`, `pkg._Cmacro_name`, `pkg._Cvar_name`) appear in
/// `names`, up to [`MAX_CGO_PACKAGES`] in all.
fn cgo_packages_in<'a>(out: &mut BTreeSet<String>, names: impl Iterator<Item = &'a [u8]>) {
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"._C"));
    for name in names {
        if out.len() >= MAX_CGO_PACKAGES {
            return;
        }
        // Cheap filter first: most symbols have no "._C" at all.
        let Some(i) = FINDER.find(name) else { continue };
        let rest = &name[i..];
        if !["._Cfunc_", "._C2func_", "._Cmacro_", "._Cvar_"]
            .iter()
            .any(|m| rest.starts_with(m.as_bytes()))
        {
            continue;
        }
        let Ok(pkg) = std::str::from_utf8(&name[..i]) else {
            continue;
        };
        let pkg = pkg.strip_prefix("type:").unwrap_or(pkg);
        let ok = !pkg.is_empty()
            && pkg.chars().all(|c| c.is_ascii_alphanumeric() || "./_-~".contains(c))
            && pkg != "runtime"
            && pkg != "runtime/cgo";
        if ok && !out.contains(pkg) {
            out.insert(pkg.to_string());
        }
    }
}

/// The evidence of cgo in a Go program, and what it says.
pub(super) struct Cgo {
    /// Each piece of evidence, in the order of [`EvidenceSource`].
    pub(super) evidence: Vec<Evidence>,
    /// Members of [`CGO_SYMBOLS`] found, in that list's order.
    pub(super) symbols: Vec<String>,
    /// Packages whose cgo stubs are linked in, sorted.
    pub(super) packages: Vec<String>,
}

/// Gather the evidence of cgo: `symtab` is the scan of a usable `.symtab`
/// (`None` when it is gone or not the program's), `pcln` and `pcln_files`
/// the function table's name and file tables (empty when `.symtab` is
/// usable).
pub(super) fn evidence(
    input: &GoInput<'_>,
    symtab: Option<&NameScan>,
    dynsym: &NameScan,
    pcln: &[u8],
    pcln_files: &[u8],
) -> Cgo {
    let empty = NameScan::default();
    let symtab_scan = symtab.unwrap_or(&empty);
    let mut evidence = Vec::new();
    for (source, scan) in [(EvidenceSource::Symtab, symtab_scan), (EvidenceSource::Dynsym, dynsym)] {
        let hits: Vec<&str> = CGO_SYMBOLS.iter().copied().filter(|s| scan.cgo.contains(s)).collect();
        if !hits.is_empty() {
            evidence.push(Evidence {
                source,
                detail: format!("runtime/cgo symbols {}", hits.join(", ")),
            });
        }
    }
    if let Some((interp, needed)) = &input.dynamic {
        evidence.push(Evidence {
            source: EvidenceSource::Dynamic,
            detail: format!("PT_INTERP {interp} and DT_NEEDED {}", needed.join(", ")),
        });
    }
    // runtime/cgo's own source files: `runtime/cgo/x.go` (-trimpath) or
    // `<GOROOT>/src/runtime/cgo/x.go`, not any directory of that name.
    // One pass over the file table for both.
    let cgo_runtime_in_pcln = memchr::memmem::find_iter(pcln_files, b"runtime/cgo/")
        .any(|at| at == 0 || pcln_files[at - 1] == 0 || pcln_files[..at].ends_with(b"/src/"));
    if cgo_runtime_in_pcln {
        evidence.push(Evidence {
            source: EvidenceSource::Pclntab,
            detail: "runtime/cgo source files in the Go function table".to_string(),
        });
    }
    let mut packages = BTreeSet::new();
    // Every program that uses cgo links runtime/cgo: without that evidence,
    // stub-like names are Go functions that only look like stubs
    // (`func _Cfunc_x()` is legal Go), so they are not looked for.
    if !evidence.is_empty() {
        if symtab.is_some() {
            cgo_packages_in(&mut packages, input.symtab.containing(b"._C"));
        }
        // One search for what the four stub markers (`._Cfunc_`,
        // `._C2func_`, `._Cmacro_`, `._Cvar_`) share; cgo_packages_in
        // checks the rest.
        cgo_packages_in(&mut packages, names_containing(pcln, b"._C"));
    }
    if !packages.is_empty() && !pcln.is_empty() && !cgo_runtime_in_pcln {
        evidence.push(Evidence {
            source: EvidenceSource::Pclntab,
            detail: format!(
                "cgo stubs of {}",
                packages.iter().cloned().collect::<Vec<_>>().join(", ")
            ),
        });
    }
    let symbols = CGO_SYMBOLS
        .iter()
        .filter(|s| symtab_scan.cgo.contains(*s) || dynsym.cgo.contains(*s))
        .map(|s| s.to_string())
        .collect();
    Cgo {
        evidence,
        symbols,
        packages: packages.into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgo_package_names() {
        let names: [&[u8]; 5] = [
            b"net._C2func_getaddrinfo",
            b"os/user._Cfunc_mygetpwnam_r",
            b"main._Cfunc_add",
            b"runtime._cgo_panic_internal",
            b"github.com/mattn/go-sqlite3._Cfunc_sqlite3_open_v2",
        ];
        let mut got = BTreeSet::new();
        cgo_packages_in(&mut got, names.into_iter());
        let got: Vec<String> = got.into_iter().collect();
        assert_eq!(got, ["github.com/mattn/go-sqlite3", "main", "net", "os/user"]);
    }
}
