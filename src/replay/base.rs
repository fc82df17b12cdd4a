//! Which distroless image a built image is based on, and whether its own
//! files agree with what the catalog says of that image.

use serde::Serialize;

use super::Start;
use crate::imagefs::{ImageFs, Node};
use crate::verdict::ProblemKind;

/// The distroless base an image is built on.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Base {
    /// `static`, `base-nossl`, `base` or `cc`, from the packages in
    /// `/var/lib/dpkg/status.d/`.
    pub variant: String,
    /// `debian12`, from `VERSION_ID` of `/usr/lib/os-release`.
    pub generation: Option<String>,
    /// The Debian packages recorded in `/var/lib/dpkg/status.d/`.
    pub packages: Vec<String>,
}

/// The most of `/usr/lib/os-release` read (bytes): a real one is a few
/// hundred bytes.
const OS_RELEASE: u64 = 64 << 10;

/// The distroless base, from `/usr/lib/os-release` (its `PRETTY_NAME` says
/// "Distroless") and the package names in `/var/lib/dpkg/status.d/`.
pub fn identify(image: &ImageFs) -> Option<Base> {
    let os_release = match image.resolve(b"usr/lib/os-release").ok().flatten()? {
        (p, Node::File(f)) => image.read_small(&p, f, OS_RELEASE).ok().flatten()?,
        _ => return None,
    };
    let os_release = String::from_utf8_lossy(&os_release);
    let field = |k: &str| {
        os_release
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .map(|v| v.trim_matches('"').to_string())
    };
    if !field("PRETTY_NAME")?.contains("Distroless") {
        return None;
    }
    let mut packages: Vec<String> = image
        .resolve(b"var/lib/dpkg/status.d")
        .ok()
        .flatten()
        .map(|(p, _)| image.list(&p))
        .unwrap_or_default()
        .into_iter()
        .map(|n| {
            let n = crate::text::from_bytes(&n);
            n.strip_suffix(".md5sums").unwrap_or(&n).to_string()
        })
        .collect();
    packages.sort();
    packages.dedup();
    let has = |p: &str| packages.iter().any(|x| x == p || x.starts_with(&format!("{p}t64")));
    let variant = if has("libstdc++6") {
        "cc"
    } else if has("libssl3") || has("libssl1.1") {
        "base"
    } else if has("libc6") {
        "base-nossl"
    } else {
        "static"
    };
    Some(Base {
        variant: variant.to_string(),
        generation: field("VERSION_ID").map(|v| format!("debian{v}")),
        packages,
    })
}

/// When the image is a distroless one, compare what its own files say with
/// what dlcheck's built-in data says about the same image: a difference
/// means the image was changed (files added, removed or replaced).
pub fn compare_with_data(r: &mut Start) {
    let (Some(base), Some(bin)) = (&r.base, r.binaries.first().and_then(|b| b.binary())) else {
        return;
    };
    let Some(generation) = &base.generation else { return };
    let loader_only = r.problems.iter().all(|p| {
        matches!(
            p.kind,
            ProblemKind::LibraryMissing { .. }
                | ProblemKind::VersionMissing { .. }
                | ProblemKind::InterpreterMissing { .. }
        )
    });
    if !loader_only {
        return;
    }
    let Some(v) = bin
        .images
        .iter()
        .find(|v| v.variant == base.variant && v.generation == *generation && r.platform.starts_with(&v.platform))
    else {
        return;
    };
    if v.runs != r.starts {
        let (data, files) = if v.runs {
            ("runs", "do not")
        } else {
            ("does not run", "do")
        };
        r.warnings.push(format!(
            "dlcheck's data says {} {data} it, but this image's own files {files}: the image differs from the published one (files added, removed or replaced)",
            v.image
        ));
    }
}
