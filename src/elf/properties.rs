//! What a file asks of the machine and of the loader beyond its libraries:
//! the x86-64 ISA level it needs (the GNU property note), whether it needs
//! an executable stack (PT_GNU_STACK), the oldest kernel its C library
//! supports (the GNU ABI tag), and whether it is a program at all or only
//! the separate debug information of one.
//!
//! Sources: the x86-64 psABI ("Program Property", GNU_PROPERTY_X86_ISA_1_NEEDED
//! and its x86-64-v2/v3/v4 bits); glibc's `sysdeps/x86/dl-prop.h` (the
//! loader refuses a program whose needed ISA level the CPU lacks, "CPU ISA
//! level is lower than required", from glibc 2.33), `elf/dl-load.c`
//! (PT_GNU_STACK; glibc 2.41 refuses to `dlopen` an object that needs an
//! executable stack) and `csu/abi-note.S` (NT_GNU_ABI_TAG: OS, then the
//! kernel's major, minor and patch numbers); binutils' `objcopy
//! --only-keep-debug`, whose output keeps the headers but no code bytes.

use goblin::elf::program_header::{PF_X, PT_GNU_STACK, PT_LOAD};

use super::ElfFile;
use super::notes::NT_GNU_ABI_TAG;

/// `NT_GNU_PROPERTY_TYPE_0`: the GNU program property note.
const NT_GNU_PROPERTY_TYPE_0: u32 = 5;

/// `GNU_PROPERTY_X86_ISA_1_NEEDED`: the x86 ISA levels the object needs.
const GNU_PROPERTY_X86_ISA_1_NEEDED: u32 = 0xc000_8002;

/// The x86-64 micro-architecture levels, in the bit order of
/// `GNU_PROPERTY_X86_ISA_1_*` (bit 0 the baseline).
const X86_ISA_LEVELS: [&str; 4] = ["x86-64", "x86-64-v2", "x86-64-v3", "x86-64-v4"];

impl ElfFile<'_> {
    /// Whether this is separate debug information rather than a program or
    /// library (`objcopy --only-keep-debug`, `/usr/lib/debug/.build-id/*`):
    /// it keeps the program headers, but its executable PT_LOAD segments
    /// hold no bytes in the file. Run, a static one crashes (SIGSEGV) and a
    /// dynamic one is refused (ENOEXEC, "exec format error").
    pub fn is_debug_only(&self) -> bool {
        let mut code = self
            .phdrs
            .iter()
            .filter(|p| p.p_type == PT_LOAD && p.p_flags & PF_X != 0)
            .peekable();
        code.peek().is_some() && code.all(|p| p.p_filesz == 0 && p.p_memsz > 0)
    }

    /// The highest x86-64 ISA level the GNU property note says the file
    /// needs (`x86-64-v2`, `x86-64-v3`, `x86-64-v4`), when it says one above
    /// the baseline. Properties are 8-byte aligned in 64-bit files and
    /// 4-byte aligned in 32-bit ones.
    pub fn isa_level_needed(&self) -> Option<&'static str> {
        let align = if self.ctx.container == goblin::container::Container::Big {
            8
        } else {
            4
        };
        let mut needed = 0u32;
        for note in self
            .notes()
            .filter(|n| n.owner == b"GNU" && n.ty == NT_GNU_PROPERTY_TYPE_0)
        {
            let d = note.desc;
            let mut at = 0usize;
            while let (Some(ty), Some(size)) = (self.order.u32(d, at), self.order.u32(d, at + 4)) {
                let data = at + 8;
                if ty == GNU_PROPERTY_X86_ISA_1_NEEDED {
                    needed |= self.order.u32(d, data).unwrap_or(0);
                }
                let Some(next) = (size as usize)
                    .checked_next_multiple_of(align)
                    .and_then(|s| data.checked_add(s))
                else {
                    break;
                };
                at = next;
            }
        }
        (1..X86_ISA_LEVELS.len())
            .rev()
            .find(|bit| needed & (1 << bit) != 0)
            .map(|bit| X86_ISA_LEVELS[bit])
    }

    /// PT_GNU_STACK's permissions (`RW` or `RWX`), or `None` when the file
    /// has no PT_GNU_STACK (the loader then gives the stack the platform's
    /// default, executable on x86).
    pub fn gnu_stack(&self) -> Option<&'static str> {
        let p = self.phdrs.iter().find(|p| p.p_type == PT_GNU_STACK)?;
        Some(if p.p_flags & PF_X != 0 { "RWX" } else { "RW" })
    }

    /// Whether the object needs an executable stack: PT_GNU_STACK is `RWX`,
    /// or a dynamic object has none (the loader then makes the stack
    /// executable on x86). glibc 2.41 and later refuse to `dlopen` it.
    pub fn needs_executable_stack(&self) -> bool {
        match self.gnu_stack() {
            Some(flags) => flags == "RWX",
            None => !self.dyns.is_empty(),
        }
    }

    /// The oldest Linux kernel the file's C library runs on, from the GNU
    /// ABI tag (`3.2.0`), when it has one for Linux (OS 0).
    pub fn min_kernel(&self) -> Option<String> {
        let note = self.notes().find(|n| n.owner == b"GNU" && n.ty == NT_GNU_ABI_TAG)?;
        let word = |i: usize| self.order.u32(note.desc, i * 4);
        if word(0)? != 0 {
            return None;
        }
        Some(format!("{}.{}.{}", word(1)?, word(2)?, word(3)?))
    }
}
