//! SIGBUS from a mapped input: a file larger than 64 KiB is memory-mapped
//! (README, "Reading files"), and if another process truncates it while it
//! is read, the kernel raises SIGBUS on the lost pages. Without a handler
//! that kills dlcheck with no word (exit 135); with this one it says why
//! on stderr, in one line, and exits 3 (an input that cannot be read).

use std::sync::atomic::{AtomicBool, Ordering};

/// `--quiet`: the exit status alone tells.
static QUIET: AtomicBool = AtomicBool::new(false);

const MESSAGE: &[u8] = b"dlcheck: an input file was cut short while it was being read (SIGBUS on its mapped pages): is a build still writing it? Run dlcheck again once it is complete\n";

/// The exit status: an input that cannot be read.
const STATUS: i32 = 3;

extern "C" fn on_sigbus(_: libc::c_int) {
    // Only async-signal-safe calls: an atomic load, write(2), _exit(2).
    #[allow(unsafe_code)]
    unsafe {
        if !QUIET.load(Ordering::Relaxed) {
            libc::write(2, MESSAGE.as_ptr().cast(), MESSAGE.len());
        }
        libc::_exit(STATUS);
    }
}

/// Install the handler for the whole process (every thread).
pub fn install(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
    #[allow(unsafe_code)]
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigbus as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
    }
}
