//! Files that are not what they seem, through the command line: each gets
//! its exit code (README, "Exit status"), exactly one line on stderr,
//! `dlcheck: PATH: message`, and nothing on stdout in human mode. Nothing
//! blocks (FIFOs, devices) and every run has a time limit.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Every run must end within this; a FIFO or device that is read would not.
const TIME_LIMIT: Duration = Duration::from_secs(30);

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bin").join(name)
}

/// Wait for `cmd` (stdin closed, stdout and stderr captured unless set
/// otherwise), killing it after `limit`.
fn finish(mut cmd: Command, limit: Duration) -> Result<Output, String> {
    cmd.stdin(Stdio::null());
    let child = cmd.spawn().map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.map_err(|e| e.to_string()),
        Err(_) => {
            // SAFETY: kill(2) on the pid of the child this test started.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            Err(format!("{cmd:?} did not finish within {limit:?}"))
        }
    }
}

/// Run `program` with `args`, stdin closed, killing it after [`TIME_LIMIT`].
fn run_program(program: &OsStr, args: &[&OsStr]) -> Output {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .args(["--color", "never"])
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    finish(cmd, TIME_LIMIT).unwrap_or_else(|e| panic!("{e}"))
}

fn run(args: &[&OsStr]) -> Output {
    run_program(OsStr::new(env!("CARGO_BIN_EXE_dlcheck")), args)
}

/// The path as dlcheck shows it (README, "JSON output"): valid UTF-8 as it
/// is with `\` doubled, every other byte as `\xNN`.
fn shown(path: &Path) -> String {
    let mut out = String::new();
    for chunk in path.as_os_str().as_bytes().utf8_chunks() {
        out.push_str(&chunk.valid().replace('\\', "\\\\"));
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Exit `code`, nothing on stdout, and one stderr line naming `path` and
/// containing `needle`.
fn assert_refused(path: &Path, code: i32, needle: &str) -> String {
    let out = run(&[path.as_os_str()]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(code), "{path:?}: {stderr}");
    assert_eq!(stdout, "", "{path:?}: stdout must be empty");
    assert_eq!(stderr.lines().count(), 1, "{path:?}: {stderr:?}");
    assert!(stderr.ends_with('\n'), "{stderr:?}");
    let prefix = format!("dlcheck: {}: ", shown(path));
    assert!(stderr.starts_with(&prefix), "want {prefix:?}, got {stderr:?}");
    assert!(stderr.contains(needle), "want {needle:?} in {stderr:?}");
    stderr
}

/// The JSON error kind dlcheck gives `path`.
fn json_kind(path: &Path) -> String {
    let out = run(&[OsStr::new("--json"), path.as_os_str()]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["reports"][0]["error"]["kind"]
        .as_str()
        .unwrap_or("null")
        .to_string()
}

#[test]
fn a_missing_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing");
    assert_refused(&path, 3, "no such file");
    assert_eq!(json_kind(&path), "not_found");
}

#[test]
fn a_directory() {
    let dir = tempfile::tempdir().unwrap();
    assert_refused(dir.path(), 3, "is a directory");
    assert_eq!(json_kind(dir.path()), "is_directory");
}

#[test]
fn a_fifo_without_a_writer_does_not_block() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    let c = std::ffi::CString::new(fifo.as_os_str().as_bytes()).unwrap();
    // SAFETY: mkfifo(3) with a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
    assert_refused(&fifo, 3, "not a regular file (a FIFO)");
    assert_eq!(json_kind(&fifo), "not_regular_file");
}

#[test]
fn endless_character_devices() {
    for dev in ["/dev/zero", "/dev/urandom"] {
        assert_refused(Path::new(dev), 3, "not a regular file (a character device)");
        assert_eq!(json_kind(Path::new(dev)), "not_regular_file");
    }
}

#[test]
fn a_unix_socket() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sock");
    let _listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    // open(2) on a socket fails with ENXIO before the handle can be checked.
    assert_refused(&path, 3, "");
    let kind = json_kind(&path);
    assert!(["not_regular_file", "io"].contains(&kind.as_str()), "{kind}");
}

#[test]
fn an_empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty");
    std::fs::write(&path, b"").unwrap();
    assert_refused(&path, 4, "empty file");
    assert_eq!(json_kind(&path), "empty");
}

#[test]
fn a_file_without_read_permission() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let secret = dir.path().join("secret");
    std::fs::copy(fixture("c-static"), &secret).unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    let out = unprivileged(dir.path(), &[secret.as_os_str()]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(out.stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(
        stderr.starts_with(&format!("dlcheck: {}: permission denied", secret.display())),
        "{stderr:?}"
    );
}

/// dlcheck run with `args` as an unprivileged user: as this user, or when
/// that is root (which reads anything), a copy of dlcheck in `dir` run as
/// nobody.
fn unprivileged(dir: &Path, args: &[&OsStr]) -> std::process::Output {
    // SAFETY: geteuid(2) has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return run(args);
    }
    let exe = dir.join("dlcheck");
    std::fs::copy(env!("CARGO_BIN_EXE_dlcheck"), &exe).unwrap();
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    let args: Vec<&OsStr> = ["--reuid=65534", "--regid=65534", "--clear-groups"]
        .iter()
        .map(OsStr::new)
        .chain([exe.as_os_str()])
        .chain(args.iter().copied())
        .collect();
    // Another test may still hold the fresh copy open while forking
    // (ETXTBSY, "Text file busy"): try again a few times.
    let mut out = run_program(OsStr::new("setpriv"), &args);
    for _ in 0..20 {
        if !String::from_utf8_lossy(&out.stderr).contains("Text file busy") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        out = run_program(OsStr::new("setpriv"), &args);
    }
    out
}

/// A root file system that cannot be searched is an input error, not an
/// image without the program (it said "stat /a: no such file or
/// directory", exit 1).
#[test]
fn a_root_without_search_permission() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    std::fs::copy(fixture("c-static"), root.join("a")).unwrap();
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o700)).unwrap();
    // SAFETY: geteuid(2) has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o000)).unwrap();
    }
    let out = unprivileged(dir.path(), &[OsStr::new("--root"), root.as_os_str(), OsStr::new("/a")]);
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert_eq!(
        stderr,
        format!(
            "dlcheck: {}: permission denied: make it readable, or run dlcheck as a user who can read it\n",
            root.display()
        )
    );
}

#[test]
fn a_symlink_loop() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::os::unix::fs::symlink(&b, &a).unwrap();
    std::os::unix::fs::symlink(&a, &b).unwrap();
    assert_refused(&a, 3, "symbolic links");
    assert_eq!(json_kind(&a), "io");
}

#[test]
fn a_path_that_is_not_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let mut name = dir.path().as_os_str().as_bytes().to_vec();
    name.extend_from_slice(b"/c-static-\xff\xfe");
    let path = PathBuf::from(OsString::from_vec(name));
    std::fs::copy(fixture("c-static"), &path).unwrap();
    let escaped = format!("{}/c-static-\\xff\\xfe", dir.path().display());
    assert_eq!(shown(&path), escaped);

    // Analysed as any other path, and named with the bytes escaped.
    let out = run(&[path.as_os_str()]);
    let stdout = String::from_utf8(out.stdout).expect("stdout is UTF-8");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty());
    assert_eq!(stdout.lines().next(), Some(escaped.as_str()), "{stdout}");

    let out = run(&[OsStr::new("--json"), path.as_os_str()]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["reports"][0]["path"], escaped.as_str());
    assert!(doc["reports"][0]["error"].is_null());

    // And an error for such a path names it the same way.
    let mut missing = path.into_os_string().into_vec();
    missing.extend_from_slice(b"-missing");
    assert_refused(Path::new(OsStr::from_bytes(&missing)), 3, "no such file");
}

#[test]
fn a_proc_file_that_reports_size_zero() {
    let path = Path::new("/proc/self/status");
    assert_eq!(std::fs::metadata(path).unwrap().len(), 0);
    assert_refused(path, 4, "not an ELF binary (text)");
    assert_eq!(json_kind(path), "unknown_format");
}

#[test]
fn one_bad_path_among_good_ones() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let empty = dir.path().join("empty");
    std::fs::write(&empty, b"").unwrap();
    let (good, none) = (fixture("c-static"), fixture("musl-dynamic"));
    let run_all = |paths: &[&Path]| {
        let args: Vec<&OsStr> = paths.iter().map(|p| p.as_os_str()).collect();
        let out = run(&args);
        let stdout = String::from_utf8(out.stdout).unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        (out.status.code(), stdout, stderr)
    };

    // 0, 3, 1: the missing path is reported, the others are judged; the
    // status keeps both: 8 (a program fails) + 3 (an input cannot be read).
    let (code, stdout, stderr) = run_all(&[&good, &missing, &none]);
    assert_eq!(code, Some(11), "{stderr}");
    assert_eq!(
        stderr,
        format!("dlcheck: {}: no such file: check the path\n", missing.display())
    );
    let headers: Vec<&str> = stdout.lines().filter(|l| l.starts_with('/')).collect();
    assert_eq!(headers, [good.to_str().unwrap(), none.to_str().unwrap()], "{stdout}");

    // 4 and 3 among good ones: two error lines in path order, exit 4.
    let (code, stdout, stderr) = run_all(&[&empty, &good, &missing]);
    assert_eq!(code, Some(4), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(lines[0].starts_with(&format!("dlcheck: {}: empty file", empty.display())));
    assert!(lines[1].starts_with(&format!("dlcheck: {}: no such file", missing.display())));
    assert!(stdout.lines().any(|l| l == good.to_str().unwrap()), "{stdout}");

    // A malformed ELF file (5) is the worst input error; with a program
    // that no image runs, 8 + 5.
    let (code, _, stderr) = run_all(&[&missing, &fixture("truncated-64"), &empty, &none]);
    assert_eq!(code, Some(13), "{stderr}");
    let (code, _, _) = run_all(&[&missing, &fixture("truncated-64"), &empty, &good]);
    assert_eq!(code, Some(5));
    assert_eq!(stderr.lines().count(), 3, "{stderr}");
}

/// Every reproducer kept in testdata/malformed/ is answered with a report or
/// an error (exit 0 to 5) within 10 s, in at most 512 MiB of data.
#[test]
fn malformed_reproducers_end_quickly_in_bounded_memory() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/malformed");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    let mut failures = Vec::new();
    for path in &paths {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dlcheck"));
        cmd.arg(path).stdout(Stdio::null()).stderr(Stdio::piped());
        // SAFETY: setrlimit(2) only, between fork and exec.
        unsafe {
            std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
                let limit = libc::rlimit {
                    rlim_cur: 512 << 20,
                    rlim_max: 512 << 20,
                };
                if libc::setrlimit(libc::RLIMIT_DATA, &limit) == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
        let name = path.file_name().unwrap().to_string_lossy();
        match finish(cmd, Duration::from_secs(10)) {
            Err(e) => failures.push(format!("{name}: {e}")),
            Ok(out) if !matches!(out.status.code(), Some(0..=5)) => {
                let stderr = String::from_utf8_lossy(&out.stderr);
                let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
                failures.push(format!("{name}: {} {first}", out.status));
            }
            Ok(out) => {
                // The right outcome for each kind of reproducer.
                // Hostile names: malformed ELF; Mach-O, PE and the README: not
                // a Linux executable.
                let want = if name.starts_with("c-dynamic-") { 5 } else { 4 };
                let stderr = String::from_utf8_lossy(&out.stderr);
                if out.status.code() != Some(want) || stderr.lines().count() != 1 {
                    failures.push(format!("{name}: {} (want {want}) {stderr}", out.status));
                }
            }
        }
    }
    assert!(!paths.is_empty());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// What dlcheck says when SIGBUS ends it (a mapped input truncated while
/// it is read): one line, exit 3.
const SIGBUS_LINE: &str = "dlcheck: an input file was cut short while it was being read (SIGBUS on its mapped pages): is a build still writing it? Run dlcheck again once it is complete";

/// SIGBUS gives one line on stderr and exit 3, not a silent death by the
/// signal (exit 135): dlcheck waiting on stdin is sent the signal the
/// kernel raises for a truncated mapping; `--quiet` keeps stderr empty.
#[test]
fn sigbus_is_one_line_and_exit_3() {
    for (quiet, want) in [(false, format!("{SIGBUS_LINE}\n")), (true, String::new())] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dlcheck"));
        if quiet {
            cmd.arg("--quiet");
        }
        let child = cmd
            .arg("-")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The handler is installed before stdin is read; give it the time
        // to start.
        std::thread::sleep(Duration::from_millis(300));
        let killed = Command::new("kill")
            .args(["-BUS", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(3), "quiet {quiet}: {:?}", out.status);
        assert_eq!(String::from_utf8_lossy(&out.stderr), want);
    }
}

/// A real race: a 2 MB Go program (mapped, over 64 KiB) truncated while
/// dlcheck reads it. Each run ends with an exit status, never by a signal;
/// a run the truncation caught mid-read says so in the one line (the
/// others read it whole, or the truncated file: exit 0, 1 or 5).
#[test]
fn a_file_truncated_while_read_never_kills_dlcheck_silently() {
    let src = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bin/go-cgo-net")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("race-bin");
    let mut seen = std::collections::BTreeMap::new();
    for i in 0..40u64 {
        std::fs::write(&file, &src).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_dlcheck"))
            .arg(&file)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(300 * (i % 10)));
        std::fs::OpenOptions::new()
            .write(true)
            .open(&file)
            .unwrap()
            .set_len(20_000)
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let code = out.status.code();
        assert!(code.is_some(), "run {i} was killed: {:?}", out.status);
        if code == Some(3) {
            assert_eq!(String::from_utf8_lossy(&out.stderr), format!("{SIGBUS_LINE}\n"));
        }
        *seen.entry(code).or_insert(0) += 1;
    }
    eprintln!("exit statuses of 40 racing runs: {seen:?}");
}

/// A file of zero bytes (sparse, 1 GiB: allocated, never written) is said
/// to be so, not "text" (a NUL is valid UTF-8, but no text holds one).
#[test]
fn a_file_of_zero_bytes_is_not_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app");
    std::fs::File::create(&path).unwrap().set_len(1 << 30).unwrap();
    assert_refused(
        &path,
        4,
        "not an ELF binary (all zero bytes, as a copy or download cut short leaves a file)",
    );
}
