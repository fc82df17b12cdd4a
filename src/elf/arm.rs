//! 32-bit ARM build attributes: the `.ARM.attributes` section
//! (SHT_ARM_ATTRIBUTES), from which the architecture version the code was
//! built for (Tag_CPU_arch) is read: what makes a program `linux/arm/v7`
//! rather than `linux/arm/v6`.
//!
//! Source: "Addenda to, and Errata in, the ABI for the Arm Architecture"
//! (IHI 0045), section "Build Attributes": a format-version byte `A`, then
//! vendor subsections (`u32` length, NUL-terminated vendor name); in the
//! `aeabi` subsection, sub-subsections (`uleb128` tag, `u32` size) whose
//! Tag_File (1) holds the file's attributes as `uleb128` tag and value
//! pairs. Tags 4, 5 and 67, and odd tags above 32, take a NUL-terminated
//! string; Tag_compatibility (32) takes a number and a string; the rest a
//! `uleb128`. The names are binutils readelf's (`readelf -A`).

use super::ElfFile;

/// Tag_CPU_arch's values, as `readelf -A` names them (index = value).
const CPU_ARCH: [&str; 23] = [
    "Pre-v4",
    "v4",
    "v4T",
    "v5T",
    "v5TE",
    "v5TEJ",
    "v6",
    "v6KZ",
    "v6T2",
    "v6K",
    "v7",
    "v6-M",
    "v6S-M",
    "v7E-M",
    "v8",
    "v8-R",
    "v8-M.baseline",
    "v8-M.mainline",
    "v8.1-A",
    "v8.2-A",
    "v8.3-A",
    "v8.1-M.mainline",
    "v9",
];

const TAG_FILE: u64 = 1;
const TAG_CPU_ARCH: u64 = 6;

/// A `uleb128` at `*at`, advancing past it; `None` when cut short or over
/// 64 bits.
fn uleb(b: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*at)?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// Skip a NUL-terminated string at `*at`.
fn skip_str(b: &[u8], at: &mut usize) -> Option<()> {
    let len = memchr::memchr(0, b.get(*at..)?)?;
    *at += len + 1;
    Some(())
}

/// Tag_CPU_arch among the attributes `b` (a Tag_File body).
fn cpu_arch_in(b: &[u8]) -> Option<u64> {
    let mut at = 0;
    while at < b.len() {
        let tag = uleb(b, &mut at)?;
        match tag {
            TAG_CPU_ARCH => return uleb(b, &mut at),
            4 | 5 | 67 => skip_str(b, &mut at)?,
            32 => {
                uleb(b, &mut at)?;
                skip_str(b, &mut at)?;
            }
            t if t > 32 && t % 2 == 1 => skip_str(b, &mut at)?,
            _ => {
                uleb(b, &mut at)?;
            }
        }
    }
    None
}

impl ElfFile<'_> {
    /// Tag_CPU_arch of the file's `aeabi` build attributes, as `readelf -A`
    /// names it (`v7`, `v6KZ`, `v8` ...): `None` when the file has no
    /// `.ARM.attributes` section (stripped section headers) or does not
    /// state it. Every length is checked against the section.
    pub fn arm_cpu_arch(&self) -> Option<&'static str> {
        let s = self.section(".ARM.attributes")?;
        if s.first() != Some(&b'A') {
            return None;
        }
        let mut at = 1;
        while at < s.len() {
            let len = self.order.u32(s, at)? as usize;
            let sub = s.get(at..at.checked_add(len)?)?;
            at += len.max(4);
            let vendor_len = memchr::memchr(0, sub.get(4..)?)?;
            if &sub[4..4 + vendor_len] != b"aeabi" {
                continue;
            }
            let mut p = 4 + vendor_len + 1;
            while p < sub.len() {
                let start = p;
                let tag = uleb(sub, &mut p)?;
                let size = self.order.u32(sub, p)? as usize;
                let body = sub.get(p + 4..start.checked_add(size)?)?;
                if tag == TAG_FILE {
                    let value = cpu_arch_in(body)?;
                    return CPU_ARCH.get(usize::try_from(value).ok()?).copied();
                }
                p = start + size.max(1);
            }
        }
        None
    }
}

/// The OCI platform variant (`v5`, `v6`, `v7`, `v8`) of a Tag_CPU_arch name,
/// for the A and R profiles a Linux program is built for; `None` for the
/// others.
pub fn oci_variant(cpu_arch: &str) -> Option<&'static str> {
    Some(match cpu_arch {
        "v5T" | "v5TE" | "v5TEJ" => "v5",
        "v6" | "v6KZ" | "v6T2" | "v6K" => "v6",
        "v7" => "v7",
        "v8" | "v8-R" | "v8.1-A" | "v8.2-A" | "v8.3-A" => "v8",
        _ => return None,
    })
}
