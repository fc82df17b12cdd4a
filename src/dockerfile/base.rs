//! What a `FROM` names: a distroless image (in any of its spellings),
//! `scratch`, an earlier stage, a builder image whose Debian or Ubuntu
//! release dlcheck knows, or an image it knows nothing of.
//!
//! The builder facts come from `data/dockerfile.json`, made by
//! `scripts/gen-dockerfile-data.py` from the Docker Official Images' tag
//! lists (every commit of `library/golang`, `rust`, `gcc`, `debian`,
//! `ubuntu`) and the Debian archive; its `provenance` block says how.

use std::sync::OnceLock;

use serde::Serialize;

use crate::catalog::{Catalog, ImageRef, ResolveError};
use crate::elf::version_cmp;

/// The facts of `data/dockerfile.json`, parsed once.
pub fn data() -> &'static serde_json::Value {
    static DATA: OnceLock<serde_json::Value> = OnceLock::new();
    DATA.get_or_init(|| {
        serde_json::from_str(include_str!("../../data/dockerfile.json")).expect("data/dockerfile.json is JSON")
    })
}

/// What a `FROM` reference is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseKind {
    /// A distroless image dlcheck has data for.
    Distroless(ImageRef),
    /// A gcr.io/distroless image dlcheck has no data for (`java17`,
    /// `python3` ...): no shell either, but its files are not known.
    OtherDistroless,
    /// `scratch`: an empty image.
    Scratch,
    /// An earlier stage, by index.
    Stage(usize),
    /// Any other image.
    Other,
}

/// Split `name[:tag][@digest]` into its name, tag (None when absent) and
/// whether a digest pins it. A `:` inside the registry's host:port is not
/// a tag.
pub fn split_reference(reference: &str) -> (&str, Option<&str>, bool) {
    let (rest, digest) = match reference.split_once('@') {
        Some((r, _)) => (r, true),
        None => (reference, false),
    };
    match rest.rfind(':') {
        Some(i) if !rest[i + 1..].contains('/') => (&rest[..i], Some(&rest[i + 1..]), digest),
        _ => (rest, None, digest),
    }
}

/// Classify `reference` as written after substitution; `stages` are the
/// names of the stages before this one (lower-cased, `None` when unnamed).
pub fn classify(reference: &str, stages: &[Option<String>]) -> BaseKind {
    let lower = reference.to_lowercase();
    if let Some(i) = stages.iter().rposition(|n| n.as_deref() == Some(lower.as_str())) {
        return BaseKind::Stage(i);
    }
    if matches!(lower.as_str(), "scratch" | "docker.io/library/scratch") {
        return BaseKind::Scratch;
    }
    let (name, tag, _digest) = split_reference(reference);
    let Some(short) = name.strip_prefix("gcr.io/distroless/") else {
        return BaseKind::Other;
    };
    // An architecture tag (`latest-arm64`) is kept: it names the platform.
    let spelled = format!("{short}:{}", tag.unwrap_or("latest"));
    let catalog = Catalog::embedded();
    let known = |r: &ImageRef| {
        r.variant
            .as_deref()
            .zip(r.generation.as_deref())
            .is_some_and(|(v, g)| catalog.image(v, g).is_some())
    };
    // Known by name and in the image data: its files are known. An
    // architecture tag of a platform distroless does not publish the image
    // for names that image too, and so does a tag it does not publish at
    // all: the pull fails (`base-platform`, `base-tag`).
    let resolved = match catalog.resolve(&spelled) {
        Ok(r) => Some(r),
        Err(ResolveError::Unpublished { reference, .. } | ResolveError::NoSuchTag { reference, .. }) => {
            Some(*reference)
        }
        Err(ResolveError::Unknown(_)) => None,
    };
    match resolved.filter(known) {
        Some(r) => BaseKind::Distroless(ImageRef {
            given: reference.to_string(),
            ..r
        }),
        None => BaseKind::OtherDistroless,
    }
}

/// A builder image dlcheck knows: its language and the release it is
/// built on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Builder {
    /// The Docker Official Image: `golang`, `rust`, `gcc`, `debian`,
    /// `ubuntu`.
    pub image: String,
    /// The tag (`latest` when none is written).
    pub tag: String,
    /// `debian12`, `ubuntu22.04`, `alpine`, or `unknown` (a tag dlcheck's
    /// data does not know, or one that moved to a release it has no facts
    /// for).
    pub release: String,
    /// The release's glibc version (`2.36`), when known.
    pub glibc: Option<String>,
    /// The GCC that builds C and C++ there: the gcc image's own release
    /// (`13.4.0` for `gcc:13`), else the release's packaged major (`12`).
    pub gcc: Option<String>,
    /// The newest `GLIBCXX_` version that GCC's libstdc++ defines, which a
    /// C++ program built there can need: for the gcc image its own GCC's
    /// (it installs that libstdc++ in /usr/local/lib64 and links against
    /// it), else the release's libstdc++6.
    pub glibcxx: Option<String>,
    /// Whether cgo is on by default there: the golang images on Debian
    /// have gcc, so `CGO_ENABLED` defaults to 1; the Alpine ones have none.
    pub cgo_default: bool,
}

/// The codenames and version words that name a release in a tag.
fn release_in_tag(tag: &str) -> Option<String> {
    let codenames = [
        ("stretch", "debian9"),
        ("buster", "debian10"),
        ("bullseye", "debian11"),
        ("bookworm", "debian12"),
        ("trixie", "debian13"),
        ("forky", "debian14"),
        ("bionic", "ubuntu18.04"),
        ("focal", "ubuntu20.04"),
        ("jammy", "ubuntu22.04"),
        ("noble", "ubuntu24.04"),
    ];
    for word in tag.to_lowercase().split(['-', '_', '.']) {
        if let Some((_, r)) = codenames.iter().find(|(c, _)| *c == word) {
            return Some(r.to_string());
        }
        if word.starts_with("alpine") {
            return Some("alpine".into());
        }
    }
    None
}

/// The builder image `reference` names, if it is one of the images
/// `data/dockerfile.json` lists.
pub fn builder(reference: &str) -> Option<Builder> {
    let (name, tag, _) = split_reference(reference);
    let image = name
        .trim_start_matches("docker.io/")
        .trim_start_matches("library/")
        .to_string();
    let tags = data()["tags"].get(&image)?;
    let tag = tag.unwrap_or("latest").to_string();
    let release = release_in_tag(&tag)
        .or_else(|| tags[&tag].as_str().map(str::to_string))
        .unwrap_or_else(|| "unknown".into());
    let facts = &data()["releases"][&release];
    let text = |k: &str| facts[k].as_str().map(str::to_string);
    let own_gcc = data()["gcc"][&tag].as_str().filter(|_| image == "gcc");
    let (gcc, glibcxx) = match own_gcc {
        Some(v) => (Some(v.to_string()), newest_glibcxx(v)),
        None if image == "gcc" => (None, None),
        None => (text("gcc"), text("glibcxx")),
    };
    Some(Builder {
        cgo_default: image == "golang" && release != "alpine",
        glibc: text("glibc"),
        gcc,
        glibcxx,
        image,
        tag,
        release,
    })
}

/// The newest `GLIBCXX_` version the libstdc++ of GCC `version` (`13.4.0`)
/// defines: the entry of `data/dockerfile.json`'s `libstdcxx` table (the
/// libstdc++ manual's "ABI Policy and Guidelines") for the newest GCC
/// release at or before it.
fn newest_glibcxx(version: &str) -> Option<String> {
    data()["libstdcxx"]
        .as_object()?
        .iter()
        .filter(|(gcc, _)| version_cmp(gcc, version).is_le())
        .max_by(|a, b| version_cmp(a.0, b.0))
        .and_then(|(_, v)| v.as_str().map(str::to_string))
}

/// The newest gcc image major tag (`12`) whose programs need at most
/// `glibcxx` (its GCC's libstdc++) and, when given, at most `glibc` (its
/// release's): a builder whose C++ programs the image runs.
pub fn gcc_tag_within(glibcxx: &str, glibc: Option<&str>) -> Option<String> {
    let tags = data()["gcc"].as_object()?;
    tags.keys()
        .filter(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()))
        .filter(|t| {
            builder(&format!("gcc:{t}")).is_some_and(|b| {
                b.glibcxx.as_deref().is_some_and(|v| version_cmp(v, glibcxx).is_le())
                    && glibc.is_none_or(|g| b.glibc.as_deref().is_some_and(|v| version_cmp(v, g).is_le()))
            })
        })
        .max_by(|a, b| version_cmp(a, b))
        .cloned()
}

/// The directories and symbolic links of the base-files package of a
/// distroless generation (`/bin`, `/usr/bin` ...; on debian13 `/bin` is a
/// link to `usr/bin`), from `data/dockerfile.json`.
pub fn base_files(generation: &str) -> (Vec<&'static str>, Vec<(&'static str, &'static str)>) {
    let entry = &data()["base_files"][generation];
    let dirs = entry["directories"]
        .as_array()
        .map(|a| a.iter().filter_map(|d| d.as_str()).collect())
        .unwrap_or_default();
    let links = entry["symlinks"]
        .as_object()
        .map(|o| o.iter().filter_map(|(k, v)| Some((k.as_str(), v.as_str()?))).collect())
        .unwrap_or_default();
    (dirs, links)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn distroless(r: &str) -> (String, String, String) {
        match classify(r, &[]) {
            BaseKind::Distroless(i) => (i.variant.unwrap(), i.generation.unwrap(), i.tag),
            other => panic!("{r}: {other:?}"),
        }
    }

    #[test]
    fn distroless_spellings() {
        let s = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
        assert_eq!(
            distroless("gcr.io/distroless/static-debian12"),
            s("static", "debian12", "latest")
        );
        assert_eq!(
            distroless("gcr.io/distroless/cc-debian12:nonroot"),
            s("cc", "debian12", "nonroot")
        );
        assert_eq!(
            distroless("gcr.io/distroless/base-debian11:debug"),
            s("base", "debian11", "debug")
        );
        assert_eq!(
            distroless(
                "gcr.io/distroless/static-debian12@sha256:0000000000000000000000000000000000000000000000000000000000000000"
            ),
            s("static", "debian12", "latest")
        );
        assert_eq!(
            distroless("gcr.io/distroless/static-debian12:latest-amd64"),
            s("static", "debian12", "latest")
        );
        assert_eq!(
            distroless("gcr.io/distroless/static-debian12:debug-nonroot-arm64"),
            s("static", "debian12", "debug-nonroot")
        );
        let floating = classify("gcr.io/distroless/static", &[]);
        assert!(
            matches!(floating, BaseKind::Distroless(ref i) if i.floating),
            "{floating:?}"
        );
        // The language images are in the image data (scripts/gen-images.py).
        assert!(
            matches!(classify("gcr.io/distroless/java17-debian13", &[]), BaseKind::Distroless(ref i) if i.variant.as_deref() == Some("java17")),
            "java17-debian13"
        );
        assert_eq!(
            classify("gcr.io/distroless/java17-debian12", &[]),
            BaseKind::OtherDistroless
        );
        assert_eq!(classify("scratch", &[]), BaseKind::Scratch);
        assert_eq!(classify("alpine:3.20", &[]), BaseKind::Other);
        assert_eq!(classify("Build", &[None, Some("build".into())]), BaseKind::Stage(1));
    }

    #[test]
    fn builder_releases() {
        let r = |x: &str| builder(x).map(|b| b.release);
        assert_eq!(r("golang:1.22-bookworm").as_deref(), Some("debian12"));
        assert_eq!(r("rust:1-bullseye").as_deref(), Some("debian11"));
        assert_eq!(r("debian:12").as_deref(), Some("debian12"));
        assert_eq!(r("ubuntu:22.04").as_deref(), Some("ubuntu22.04"));
        assert_eq!(r("golang:1.23-alpine").as_deref(), Some("alpine"));
        assert_eq!(r("nginx:1"), None);
        assert!(builder("golang:1.22").unwrap().cgo_default);
        assert!(!builder("golang:alpine").unwrap().cgo_default);
    }

    /// The gcc image links C++ against its own GCC's libstdc++, the other
    /// builders against their release's: gcc:13 is 13.4.0 and gcc:13.1
    /// 13.1.0 (library/gcc's tag lists), GCC 13.1 defines up to
    /// GLIBCXX_3.4.31 and 13.2 up to 3.4.32 (the libstdc++ manual's ABI
    /// policy); bookworm's libstdc++6 is GCC 12's, GLIBCXX_3.4.30.
    #[test]
    fn builder_libstdcxx() {
        let b = |r: &str| builder(r).map(|b| (b.gcc, b.glibcxx));
        let s = |gcc: &str, v: &str| Some((Some(gcc.to_string()), Some(v.to_string())));
        assert_eq!(b("gcc:13"), s("13.4.0", "GLIBCXX_3.4.32"));
        assert_eq!(b("gcc:13.1"), s("13.1.0", "GLIBCXX_3.4.31"));
        assert_eq!(b("gcc:12-bookworm"), s("12.5.0", "GLIBCXX_3.4.30"));
        assert_eq!(b("gcc"), s("16.2.0", "GLIBCXX_3.4.35"));
        assert_eq!(b("debian:bookworm"), s("12", "GLIBCXX_3.4.30"));
        assert_eq!(b("golang:1.22-bookworm"), s("12", "GLIBCXX_3.4.30"));
        // A gcc tag the data does not know: not the release's GCC.
        assert_eq!(b("gcc:99"), Some((None, None)));
        // The newest gcc image each generation's cc runs the C++ programs
        // of: its libstdc++ (GCC 10, 12, 14) and glibc (2.31, 2.36, 2.41).
        let within = |v: &str, g: &str| gcc_tag_within(v, Some(g));
        assert_eq!(within("GLIBCXX_3.4.28", "2.31").as_deref(), Some("10"));
        assert_eq!(within("GLIBCXX_3.4.30", "2.36").as_deref(), Some("12"));
        assert_eq!(within("GLIBCXX_3.4.33", "2.41").as_deref(), Some("14"));
    }
}
