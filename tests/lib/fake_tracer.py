"""A tracer as the audit's window sees one, without bpftrace: a pid file with the identity of a `sleep` (which the
modules take for a running tracer, and stop with SIGTERM) and the state file a tracer saves - traced calls of the
crictl stand-in's app container (tests/lib/fuzz_crictl)."""

import json

from ansible_collections.k8s.seccomp_default.plugins.module_utils import syscall_trace
from lib.fuzz_crictl import APP_ID, POD_UID
from lib.processes import running

TRACER = "k8s.seccomp_default.syscall_trace"  # the pid file says which program wrote it


def trace_state(syscalls=("getpid",), **fields):
    """A tracer's state file: each of ``syscalls`` traced once in the app container, and the process of the kernel
    record of tests' complain mode (pid 4194303) seen in the app."""
    entries = [dict(attribution="container", container_id=APP_ID, pod_uid=POD_UID, exe="/bin/true", comm="true",
                    syscall_nr=syscall_trace.native_syscall_number(name), arg0=None, processes=1, first=1000.5, last=1001.0)
               for name in syscalls]
    seen = {"4194303": dict(attribution="container", container_id=APP_ID, pod_uid=POD_UID, exe="/bin/busybox",
                            seen=1795444100.0)}
    return dict(dict(started=1000.0, saved=1060.0, running=True, error=None, lines=3, entries=entries, processes=seen),
                **fields)


def start(state_dir, **state):
    """A running 'tracer' in ``state_dir``/trace (as audit_window keeps it), with its saved state; the process."""
    process = running(["sleep", "300"])
    (state_dir / "trace").mkdir(parents=True, exist_ok=True)
    (state_dir / "trace" / "tracer.pid").write_text(json.dumps(dict(syscall_trace.process_identity(process.pid), tracer=TRACER)))
    (state_dir / "trace" / "tracer.json").write_text(json.dumps(trace_state(**state)))
    return process
