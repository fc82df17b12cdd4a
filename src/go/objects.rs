//! Go's inputs from Mach-O and PE files (via goblin), for Go programs
//! built for macOS or Windows: dlcheck says they will not run, and still
//! reports their Go facts.

use super::{GoInput, Names, Segment};
use crate::endian::ByteOrder;

/// Go input for a Mach-O file (thin, or the first slice of a fat file).
pub fn macho_input(bytes: &[u8]) -> Option<GoInput<'_>> {
    use goblin::mach::{Mach, SingleArch};
    // goblin's Mach-O parser computes the entry address without checking
    // for overflow, which panics in builds with overflow checks: check those
    // numbers first, and contain any other panic.
    if !macho_entry_in_range(bytes) {
        return None;
    }
    let parsed = std::panic::catch_unwind(|| Mach::parse(bytes).ok()).ok().flatten()?;
    let macho = match parsed {
        Mach::Binary(m) => m,
        Mach::Fat(fat) => match fat.get(0).ok()? {
            SingleArch::MachO(m) => m,
            SingleArch::Archive(_) => return None,
        },
    };
    let mut input = GoInput {
        bytes,
        ..GoInput::default()
    };
    for seg in macho.segments.iter() {
        input.segments.push(Segment {
            vaddr: seg.vmaddr,
            offset: seg.fileoff,
            size: seg.filesize,
        });
        // Go's reader: the first non-empty segment mapped read-write.
        if input.data.is_none() && seg.vmaddr != 0 && seg.filesize != 0 && seg.initprot == 3 && seg.maxprot == 3 {
            input.data = usize::try_from(seg.fileoff)
                .ok()
                .zip(usize::try_from(seg.filesize).ok())
                .and_then(|(o, n)| bytes.get(o..o.checked_add(n)?));
        }
        for (sect, data) in seg.sections().ok().into_iter().flatten() {
            let name = sect.name().unwrap_or_default();
            match name {
                "__go_buildinfo" => input.buildinfo = Some(data),
                "__gopclntab" => input.pclntab = Some(data),
                _ => {}
            }
        }
    }
    if let Some(syms) = macho.symbols.as_ref() {
        // LC_SYMTAB's nsyms can claim more symbols than the file holds: stop
        // at the first one that cannot be read.
        input.symtab = Names::List(
            syms.iter()
                .take(bytes.len() / 16)
                .map_while(Result::ok)
                .map(|(n, _)| n.strip_prefix('_').unwrap_or(n).as_bytes())
                .collect(),
        );
    }
    Some(input)
}

/// Whether a thin little-endian Mach-O file's `__TEXT` vmaddr − fileoff +
/// LC_MAIN entryoff stays within 64 bits (the entry address goblin
/// computes). Other layouts (fat, big-endian) are refused.
fn macho_entry_in_range(b: &[u8]) -> bool {
    let u32_at = |o: usize| ByteOrder::Little.u32(b, o);
    let u64_at = |o: usize| ByteOrder::Little.u64(b, o);
    let (is64, header) = match u32_at(0) {
        Some(0xfeed_facf) => (true, 32),
        Some(0xfeed_face) => (false, 28),
        _ => return false,
    };
    let Some(ncmds) = u32_at(16) else { return false };
    let mut off = header;
    let (mut base, mut entry) = (None, 0u64);
    for _ in 0..ncmds.min(4096) {
        let (Some(cmd), Some(size)) = (u32_at(off), u32_at(off + 4)) else {
            return false;
        };
        let text = b.get(off + 8..off + 15) == Some(b"__TEXT\0".as_slice());
        match (cmd, is64) {
            (0x19, true) if text => {
                let (Some(vmaddr), Some(fileoff)) = (u64_at(off + 24), u64_at(off + 40)) else {
                    return false;
                };
                let Some(b) = vmaddr.checked_sub(fileoff) else {
                    return false;
                };
                base = Some(b);
            }
            (0x1, false) if text => {
                let (Some(vmaddr), Some(fileoff)) = (u32_at(off + 24), u32_at(off + 32)) else {
                    return false;
                };
                let Some(b) = u64::from(vmaddr).checked_sub(u64::from(fileoff)) else {
                    return false;
                };
                base = Some(b);
            }
            (0x8000_0028, _) => entry = u64_at(off + 8).unwrap_or(0),
            _ => {}
        }
        if size < 8 {
            return false;
        }
        off += size as usize;
    }
    base.is_none_or(|b| b.checked_add(entry).is_some())
}

/// Go input for a PE file.
pub fn pe_input(bytes: &[u8]) -> Option<GoInput<'_>> {
    let pe = goblin::pe::PE::parse(bytes).ok()?;
    let mut input = GoInput {
        bytes,
        ..GoInput::default()
    };
    // Go's reader: the first section that is only initialised, readable,
    // writable data (IMAGE_SCN_CNT_INITIALIZED_DATA | MEM_READ | MEM_WRITE,
    // alignment bits aside).
    const DATA: u32 = 0x0000_0040 | 0x4000_0000 | 0x8000_0000;
    const ALIGN_32: u32 = 0x0060_0000;
    for s in &pe.sections {
        input.segments.push(Segment {
            vaddr: pe.image_base.wrapping_add(u64::from(s.virtual_address)),
            offset: u64::from(s.pointer_to_raw_data),
            size: u64::from(s.size_of_raw_data.min(s.virtual_size.max(s.size_of_raw_data))),
        });
        if input.data.is_none()
            && s.virtual_address != 0
            && s.size_of_raw_data != 0
            && s.characteristics & !ALIGN_32 == DATA
        {
            let o = s.pointer_to_raw_data as usize;
            input.data = bytes.get(o..o.saturating_add(s.size_of_raw_data as usize));
        }
    }
    Some(input)
}
