"""Processes the tests start and then take the identity of (pid files of the syscall tracer)."""

import os
import shutil
import subprocess
import time

from ansible_collections.k8s.seccomp_default.plugins.module_utils import syscall_trace


def running(argv):
    """``argv`` started, once it runs its program. Popen returns as soon as the child has switched to the new
    program, before the kernel has laid out its arguments: /proc/<pid>/cmdline is empty until then (for up to tens
    of milliseconds on a loaded machine), and an identity taken in between matches none taken later."""
    process = subprocess.Popen(argv)
    exe = os.path.realpath(shutil.which(argv[0]))
    deadline = time.monotonic() + 10
    while True:
        identity = syscall_trace.process_identity(process.pid)
        if identity is not None and identity["exe"] == exe and identity["cmdline"] == argv:
            return process
        if time.monotonic() > deadline:
            process.kill()
            process.wait()
            raise AssertionError("%s did not run %r within 10 s: %r" % (process.pid, argv, identity))
        time.sleep(0.001)
