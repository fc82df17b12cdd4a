#!/usr/bin/python3
"""Helper of scripts/record-crashes.sh.

Usage: exec-in-root.py ROOT PROGRAM [ARG...]

Does what `chroot ROOT PROGRAM` does (chroot(2), chdir("/"), exec PROGRAM),
except that PROGRAM is started with a plain execve(2), as container runtimes
(runc, crun) do. coreutils chroot(1) uses execvp(3) instead: when the kernel
answers ENOEXEC, glibc's execvp retries through /bin/sh, which the distroless
root filesystems do not have, so chroot(1) would report "No such file or
directory" for a Mach-O or foreign-architecture file instead of the kernel's
"Exec format error".

If execve fails, the message and exit status are chroot(1)'s own:
    chroot: failed to run command '<PROGRAM>': <strerror(errno)>
with exit status 127 for ENOENT and 126 otherwise. The environment of the
program is exactly PATH (the distroless image default) and LC_ALL=C.
"""
import errno
import os
import signal
import sys


def main():
    root, prog, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    env = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LC_ALL": "C",
    }
    # Python ignores these at start-up; ignored signals survive execve.
    for sig in (signal.SIGPIPE, signal.SIGXFSZ):
        signal.signal(sig, signal.SIG_DFL)
    os.chroot(root)
    os.chdir("/")
    try:
        os.execve(prog, [prog] + args, env)
    except OSError as e:
        sys.stderr.write("chroot: failed to run command '%s': %s\n" % (prog, os.strerror(e.errno)))
        sys.stderr.flush()
        os._exit(127 if e.errno == errno.ENOENT else 126)


if __name__ == "__main__":
    main()
