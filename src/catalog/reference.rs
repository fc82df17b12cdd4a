//! `--image` references: a distroless image by name, tag, architecture tag
//! and digest, resolved against the catalog.
//!
//! The names and tags are the ones distroless's top-level `BUILD` publishes:
//! `gcr.io/distroless/<image>-<generation>` and, for the default
//! generation, `gcr.io/distroless/<image>`; tags `latest`, `nonroot`,
//! `debug`, `debug-nonroot`, each also with an architecture suffix
//! (`latest-amd64`, `nonroot-arm`) naming one platform of the index.

use super::{Catalog, Image, PLATFORMS};

/// A resolved `--image` reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// As the user wrote it.
    pub given: String,
    /// The image's name (`cc`, `python3` ...); `None` for `scratch` (an
    /// empty image).
    pub variant: Option<String>,
    /// The generation it resolves to (`None` for `scratch`).
    pub generation: Option<String>,
    /// The tag without its architecture suffix (`latest`, `nonroot`,
    /// `debug`, `debug-nonroot`).
    pub tag: String,
    /// The name carried no generation (`gcr.io/distroless/base`): it follows
    /// the default generation, which moves.
    pub floating: bool,
    /// The OCI architecture an architecture tag names (`latest-arm64` →
    /// `arm64`): the image is that platform's, not an index.
    pub arch: Option<String>,
    /// The digest given after `@` (`sha256:...`): it pins one build of the
    /// image, whose generation the name still tells.
    pub digest: Option<String>,
    /// A language image (`python3`, `java21` ...), judged only when named.
    pub language: bool,
}

impl ImageRef {
    /// The full reference it resolves to, `gcr.io/distroless/cc-debian12:nonroot`
    /// (no tag shown for `latest`), with the architecture tag and the digest
    /// as given, or `scratch`.
    pub fn resolved(&self) -> String {
        if self.variant.is_none() {
            return "scratch".to_string();
        }
        let mut out = self.name();
        match &self.arch {
            Some(a) => out.push_str(&format!(":{}-{a}", self.tag)),
            None if self.tag != "latest" => out.push_str(&format!(":{}", self.tag)),
            None => {}
        }
        if let Some(d) = &self.digest {
            out.push_str(&format!("@{d}"));
        }
        out
    }

    /// The unpinned name, without tag or digest: `gcr.io/distroless/cc-debian12`.
    pub fn name(&self) -> String {
        match (&self.variant, &self.generation) {
            (Some(v), Some(g)) => format!("gcr.io/distroless/{v}-{g}"),
            (Some(v), None) => format!("gcr.io/distroless/{v}"),
            _ => "scratch".to_string(),
        }
    }

    fn scratch(given: &str) -> ImageRef {
        ImageRef {
            given: given.to_string(),
            variant: None,
            generation: None,
            tag: "latest".into(),
            floating: false,
            arch: None,
            digest: None,
            language: false,
        }
    }
}

/// Why an image reference does not resolve ([`Catalog::resolve`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolveError {
    /// Not a name, tag or digest distroless publishes: the message says
    /// what is wrong, with the closest known name when there is one.
    Unknown(String),
    /// A known image and tag whose architecture suffix names a platform
    /// distroless does not publish the image for
    /// (`static-debian12:latest-riscv64`). A registry answers its pull
    /// with "manifest unknown".
    Unpublished {
        /// What the reference would resolve to: its `arch` is that platform.
        reference: Box<ImageRef>,
        /// The one-line message, which says the platforms published.
        message: String,
    },
    /// A known image with a tag distroless does not publish
    /// (`static-debian12:latest-mips64le`, `:lastest`). A registry answers
    /// its pull with "manifest unknown".
    NoSuchTag {
        /// What the reference would resolve to: its `tag` the one given.
        reference: Box<ImageRef>,
        /// The one-line message, which says the tags there are.
        message: String,
    },
}

impl std::fmt::Display for ResolveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResolveError::Unknown(m)
            | ResolveError::Unpublished { message: m, .. }
            | ResolveError::NoSuchTag { message: m, .. } => f.write_str(m),
        }
    }
}

impl std::error::Error for ResolveError {}

/// A digest as OCI writes it: `sha256:` and 64 lowercase hex digits (or
/// `sha512:` and 128).
fn valid_digest(d: &str) -> bool {
    let hex = |h: &str, n: usize| h.len() == n && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    match d.split_once(':') {
        Some(("sha256", h)) => hex(h, 64),
        Some(("sha512", h)) => hex(h, 128),
        _ => false,
    }
}

impl Catalog {
    /// Resolve an image reference: `gcr.io/distroless/static-debian11`,
    /// `static-debian11`, a language image (`python3-debian13`,
    /// `java21-debian13`, `nodejs22-debian13`), with a tag (`:nonroot`,
    /// `:debug`, `:debug-nonroot`, `:latest`, or one with an architecture
    /// suffix, `:latest-arm64`), a digest (`@sha256:...`, accepted and
    /// noted), an unsuffixed name (`gcr.io/distroless/base`, resolved
    /// through the data's `also_published_as`, the generation the tag points
    /// to today), or `scratch`.
    ///
    /// Errors: [`ResolveError::Unpublished`] for an architecture tag of a
    /// platform the image is not published for; [`ResolveError::Unknown`]
    /// otherwise, whose one-line message names the closest known name
    /// ("did you mean cc-debian12?"), or what names look like.
    pub fn resolve(&self, given: &str) -> Result<ImageRef, ResolveError> {
        let message = |why: &str| match self.did_you_mean(given) {
            hint if hint.is_empty() => format!("unknown image '{given}' ({why})"),
            hint => format!("unknown image '{given}' ({why}); {hint}"),
        };
        let unknown = |why: &str| ResolveError::Unknown(message(why));
        let trimmed = given.trim();
        let (trimmed, digest) = match trimmed.split_once('@') {
            Some((name, d)) if valid_digest(d) => (name, Some(d.to_string())),
            Some(_) => return Err(unknown("a digest is sha256: and 64 hex digits")),
            None => (trimmed, None),
        };
        if matches!(trimmed, "scratch" | "docker.io/library/scratch") {
            return Ok(ImageRef::scratch(given));
        }
        let name = trimmed
            .strip_prefix("gcr.io/distroless/")
            .or_else(|| trimmed.strip_prefix("distroless/"))
            .unwrap_or(trimmed);
        if name.contains('/') {
            return Err(unknown("not a gcr.io/distroless image"));
        }
        let (name, tag) = name.split_once(':').unwrap_or((name, "latest"));
        let Some((image, floating)) = self.named(name) else {
            // A distroless image the data does not know: no data, not a
            // usage error (a newer generation, an image it does not model).
            let distroless = trimmed.starts_with("gcr.io/distroless/") || trimmed.starts_with("distroless/");
            // A variant unknown even without its version digits (`statc`,
            // `base-nosl`; not `nodejs20` or `java8`, real images the data
            // does not model) close to a known name is a misspelling.
            let family = |v: &str| v.trim_end_matches(|c: char| c.is_ascii_digit()).to_string();
            let misspelt = |r: &ImageRef| {
                let variant = family(r.variant.as_deref().unwrap_or_default());
                !self.all_images().any(|i| family(i.variant) == variant)
                    && self.closest(name).is_some_and(|(s, _)| s < 1.0)
            };
            return match unknown_name(name, tag, digest) {
                Some(r) if (distroless || r.generation.is_some()) && !misspelt(&r) => Ok(ImageRef {
                    given: given.to_string(),
                    ..r
                }),
                _ => Err(unknown("no such distroless image")),
            };
        };
        let resolved = |tag: String, arch: Option<String>| ImageRef {
            given: given.to_string(),
            variant: Some(image.variant.to_string()),
            generation: Some(image.generation.to_string()),
            tag,
            floating,
            arch,
            digest: digest.clone(),
            language: image.language,
        };
        match split_tag(image, tag) {
            Ok(Tag::Published(tag, arch)) => Ok(resolved(tag, arch)),
            Ok(Tag::Unpublished(tag, arch)) => Err(ResolveError::Unpublished {
                message: message(&format!(
                    "{} is not published for {arch}: only for {}",
                    image.reference,
                    image.architectures.join(", ")
                )),
                reference: Box::new(resolved(tag, Some(arch))),
            }),
            Err(why) => Err(ResolveError::NoSuchTag {
                message: message(&why),
                reference: Box::new(resolved(tag.to_string(), None)),
            }),
        }
    }

    /// The closest known image name to `given` (Jaro-Winkler similarity of
    /// the names without `gcr.io/distroless/` and the tag, at least 0.85),
    /// as "did you mean ...?", or what names look like.
    fn did_you_mean(&self, given: &str) -> String {
        let trimmed = given.trim();
        let (name, tag) = trimmed.split_once(':').unwrap_or((trimmed, ""));
        let name = name.split('@').next().unwrap_or(name);
        let bare = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
        match self.closest(&bare) {
            // Image names are lower case.
            Some((score, known)) if score >= 1.0 && !name.ends_with(known) => {
                let tag = closest_tag(tag).map(|t| format!(":{t}")).unwrap_or_default();
                format!("did you mean {known}{tag}? (image names are lower case)")
            }
            // The name is right, on another registry or path.
            Some((score, known))
                if score >= 1.0
                    && name.contains('/')
                    && !name.starts_with("gcr.io/distroless/")
                    && !name.starts_with("distroless/") =>
            {
                let tag = closest_tag(tag).map(|t| format!(":{t}")).unwrap_or_default();
                format!("did you mean gcr.io/distroless/{known}{tag}?")
            }
            // The name is right: the tag or digest is what is wrong.
            Some((score, known)) if score >= 1.0 => match closest_tag(tag) {
                Some(t) if t != tag => format!("did you mean {known}:{t}?"),
                _ => String::new(),
            },
            Some((_, known)) => {
                let tag = closest_tag(tag).map(|t| format!(":{t}")).unwrap_or_default();
                format!("did you mean {known}{tag}?")
            }
            None => "distroless images are static, base-nossl, base and cc, and python3, java17/21/25 and nodejs22/24/26, each -debian11, -debian12 or -debian13 (as published), with a tag such as :nonroot; or scratch".to_string(),
        }
    }

    /// The known image name most like `name` (without `gcr.io/distroless/`
    /// and the tag), if one is at least 0.85 alike (Jaro-Winkler), and how
    /// alike (1.0: the same).
    fn closest(&self, name: &str) -> Option<(f64, &'static str)> {
        self.all_images()
            .map(|i| i.reference.strip_prefix("gcr.io/distroless/").unwrap_or(i.reference))
            .chain(["scratch"])
            .map(|known| (strsim::jaro_winkler(name, known), known))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .filter(|(score, _)| *score >= 0.85)
    }

    /// The image a name (`cc-debian12`, or the unversioned `cc`) names,
    /// and whether the name was unversioned.
    fn named(&self, name: &str) -> Option<(&'static Image, bool)> {
        self.all_images()
            .find(|i| i.reference.strip_prefix("gcr.io/distroless/") == Some(name))
            .map(|i| (i, false))
            .or_else(|| {
                let floating = format!("gcr.io/distroless/{name}");
                self.all_images()
                    .find(|i| i.also_published_as == Some(floating.as_str()))
                    .map(|i| (i, true))
            })
    }
}

/// The distroless tag most like `tag` (Jaro-Winkler at least 0.85), its
/// architecture suffix kept: `nonrot` → `nonroot`.
fn closest_tag(tag: &str) -> Option<String> {
    if tag.is_empty() {
        return None;
    }
    let lower = tag.to_ascii_lowercase();
    let (base, arch) = match lower.rsplit_once('-') {
        Some((b, a)) if ["amd64", "arm64", "arm", "s390x", "ppc64le", "riscv64"].contains(&a) => (b, Some(a)),
        _ => (lower.as_str(), None),
    };
    ["latest", "nonroot", "debug", "debug-nonroot"]
        .into_iter()
        .map(|t| (strsim::jaro_winkler(base, t), t))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .filter(|(score, _)| *score >= 0.85)
        .map(|(_, t)| match arch {
            Some(a) => format!("{t}-{a}"),
            None => t.to_string(),
        })
}

/// An image name the data does not know, as distroless names images:
/// `<name>-debian<N>` or `<name>`, with its tag and its architecture suffix.
fn unknown_name(name: &str, tag: &str, digest: Option<String>) -> Option<ImageRef> {
    let valid = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if !valid(name) || !valid(tag) {
        return None;
    }
    let (variant, generation) = match name.rsplit_once("-debian") {
        Some((v, n)) if !v.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            (v, Some(format!("debian{n}")))
        }
        _ => (name, None),
    };
    let arch = PLATFORMS
        .iter()
        .find_map(|(a, _)| Some((tag.strip_suffix(a)?.strip_suffix('-')?, *a)));
    let (tag, arch) = match arch {
        Some((base, a)) if !base.is_empty() => (base.to_string(), Some(a.to_string())),
        _ => (tag.to_string(), None),
    };
    Some(ImageRef {
        given: String::new(),
        variant: Some(variant.to_string()),
        generation,
        tag,
        floating: false,
        arch,
        digest,
        language: false,
    })
}

/// A tag of a known image, as its base tag and the architecture of its
/// suffix (`debug-nonroot-arm64` → `debug-nonroot`, `arm64`).
enum Tag {
    /// One the image is published under.
    Published(String, Option<String>),
    /// A known base tag whose suffix names a platform the image is not
    /// published for.
    Unpublished(String, String),
}

/// Split `tag` into its base tag and architecture (see [`Tag`]); errors
/// say what tags there are.
fn split_tag(image: &Image, tag: &str) -> Result<Tag, String> {
    if image.tags.contains(&tag) {
        return Ok(Tag::Published(tag.to_string(), None));
    }
    let suffixed = PLATFORMS
        .iter()
        .find_map(|(arch, _)| Some((tag.strip_suffix(arch)?.strip_suffix('-')?, *arch)));
    match suffixed {
        Some((base, arch)) if image.tags.contains(&base) && image.published_for(arch) => {
            Ok(Tag::Published(base.to_string(), Some(arch.to_string())))
        }
        Some((base, arch)) if image.tags.contains(&base) => Ok(Tag::Unpublished(base.to_string(), arch.to_string())),
        _ => Err(format!(
            "tag '{tag}' is not one of {}, or one of them with an architecture suffix (latest-{})",
            image.tags.join(", "),
            image.architectures.first().unwrap_or(&"amd64")
        )),
    }
}
