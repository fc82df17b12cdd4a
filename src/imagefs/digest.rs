//! Content digests (`sha256:<hex>`, `sha512:<hex>`), as the OCI image
//! spec's "Digests" section defines them, computed while bytes stream by.

use sha2::Digest as _;

/// A digest: its algorithm and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Digest {
    /// `sha256` or `sha512`.
    pub algorithm: &'static str,
    /// The hash, as lowercase hex.
    pub hex: String,
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.hex)
    }
}

impl Digest {
    /// Parse `algorithm:hex`. Errors: the text says what is wrong.
    pub(super) fn parse(s: &str) -> Result<Digest, String> {
        let (algorithm, hex) = s.split_once(':').ok_or_else(|| format!("bad digest {s:?}"))?;
        let (algorithm, len) = match algorithm {
            "sha256" => ("sha256", 64),
            "sha512" => ("sha512", 128),
            _ => return Err(format!("digest {s:?}: only sha256 and sha512 are supported")),
        };
        if hex.len() != len || !hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(format!("bad digest {s:?}"));
        }
        Ok(Digest {
            algorithm,
            hex: hex.to_string(),
        })
    }

    /// A hasher of this digest's algorithm.
    pub(super) fn hasher(&self) -> Hasher {
        match self.algorithm {
            "sha512" => Hasher::Sha512(sha2::Sha512::new()),
            _ => Hasher::sha256(),
        }
    }

    /// The digest of `bytes` in this digest's algorithm.
    pub(super) fn of(&self, bytes: &[u8]) -> Digest {
        let mut h = self.hasher();
        h.update(bytes);
        h.finish()
    }
}

/// A running hash.
pub(super) enum Hasher {
    /// SHA-256.
    Sha256(sha2::Sha256),
    /// SHA-512.
    Sha512(sha2::Sha512),
}

impl Hasher {
    /// A SHA-256 hasher.
    pub(super) fn sha256() -> Hasher {
        Hasher::Sha256(sha2::Sha256::new())
    }

    /// Feed bytes.
    pub(super) fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Sha512(h) => h.update(bytes),
        }
    }

    /// The digest.
    pub(super) fn finish(self) -> Digest {
        let (algorithm, bytes): (&'static str, Vec<u8>) = match self {
            Hasher::Sha256(h) => ("sha256", h.finalize().to_vec()),
            Hasher::Sha512(h) => ("sha512", h.finalize().to_vec()),
        };
        Digest {
            algorithm,
            hex: bytes.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }
}
