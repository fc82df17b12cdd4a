//! Fuzz `dlcheck::analyze`: any bytes give a report, never a panic, and the
//! report keeps the documented contract (README, "JSON output" and "Exit
//! status"): no error, or an error of a documented kind; exit code 0..=5.

#![no_main]

use libfuzzer_sys::fuzz_target;

const KINDS: [&str; 13] = [
    "not_found",
    "is_directory",
    "permission_denied",
    "not_regular_file",
    "io",
    "empty",
    "script",
    "mach_o",
    "pe",
    "not_executable",
    "debug_info",
    "unknown_format",
    "malformed_elf",
];

fuzz_target!(|data: &[u8]| {
    let report = dlcheck::analyze(data, &dlcheck::Options::default());
    assert!(report.exit_code() <= 5, "exit code {}", report.exit_code());
    if let Some(e) = report.error() {
        assert!(KINDS.contains(&e.kind()), "undocumented error kind {:?}", e.kind());
        let message = e.to_string();
        assert!(!message.contains('\n'), "error message is not one line: {message:?}");
    }
});
