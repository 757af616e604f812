# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The audit's observe mode: trace the syscalls containers make, without touching them
(docs/kubernetes-facts.md#containerd-knobs).

containerd has no setting that turns RuntimeDefault into a logging profile, so on such nodes the syscalls
are watched from outside: bpftrace on the raw_syscalls:sys_enter tracepoint prints each (process, syscall,
first argument) once, a collector beside it looks up the process's cgroup at once (pod UID and container
ID), folds what it sees per (container, executable, syscall, argument) and keeps it in a state file. At the
end, each syscall is judged against the profile the container will get (kubernetes/default): allowed,
blocked, or depends on an argument that was not traced.

Only the first argument is traced, and only for the syscalls the profile has argument conditions on (clone
flags, personality, socket family...), so the kernel's map stays small.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import json
import math
import os
import re
import select
import signal
import stat
import time

from ansible_collections.k8s.seccomp_default.plugins.module_utils import audit_scan, cri, errors, files, libseccomp, profiles, tools
from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError

TRACEFS = ("/sys/kernel/tracing", "/sys/kernel/debug/tracing")
FLUSH_SECONDS = 1.0
MAP_KEYS_MAX = 262144
# runc's init stages name themselves runc:[0:PARENT], runc:[1:CHILD] and runc:[2:INIT]; what they call
# (mount, pivot_root, sethostname...) sets the container up and runs before its seccomp filter exists.
RUNTIME_SETUP_COMMS = ("runc:[",)
# runc 1.1 starts its init as `/proc/self/exe init` (command name "exe"), and before that process names itself
# runc:[0:PARENT] it re-executes itself from a sealed copy (libcontainer/nsenter/cloned_binary.c: a read-only bind
# mount of /proc/self/exe, then umount2). By the time the tracer looks the process up it may be in the container's
# cgroup and its /proc/<pid>/exe unreadable ("/"), so it is told by what it becomes: whatever a process did in
# the images it ran before it named itself runc:[0:PARENT] is the runtime's.
RUNTIME_PARENT_COMM = "runc:[0:PARENT]"
# A process whose executable is the OCI runtime is the runtime, not the workload (a workload that runs runc itself,
# such as Docker in Docker, is not told apart).
RUNTIME_BINARIES = ("runc", "crun")

# What the tracer writes into its pid file, so that a later run can tell it from a process that got its pid.
TRACER_NAME = "k8s.seccomp_default.syscall_trace"
PID_MAX = 4194304  # PID_MAX_LIMIT on 64-bit kernels
PID_FILE_BYTES = 1024 * 1024
# A long soak on a busy node keeps many processes in the state; still far below this.
STATE_FILE_BYTES = 256 * 1024 * 1024
INT64_MIN, UINT64_MAX = -2 ** 63, 2 ** 64 - 1


class TraceError(InputError):
    """The tracer cannot start or run, or its files are not what it wrote."""


class Stop(Exception):
    """SIGTERM: leave the read loop even while it waits for a line."""


def _stop(_signum, _frame):
    raise Stop()


def native_syscall_number(name):
    """This machine's number for ``name`` (libseccomp), or None."""
    number = libseccomp.resolve_name(libseccomp.native_arch(), name)
    return number if number >= 0 else None


def native_syscall_name(number):
    token = native_arch_token()
    return audit_scan.audit_records.syscall_name(token, number) if token is not None else None


def native_arch_token():
    machine = os.uname()[4]
    wanted = {"x86_64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64", "ppc64le": "ppc64le", "s390x": "s390x",
              "riscv64": "riscv64"}.get(machine)
    for token, name in audit_scan.audit_records.ARCHES.items():
        if name == wanted:
            return token
    return None


def arg_syscalls(profile):
    """Syscall numbers the profile has conditions on the first argument for."""
    numbers = set()
    for rule in profile.get("syscalls") or []:
        if any(condition.get("index") == 0 for condition in rule.get("args") or []):
            for name in rule.get("names") or []:
                number = native_syscall_number(name)
                if number is not None:
                    numbers.add(number)
    return sorted(numbers)


def bpftrace_program(arg_numbers, own_pid):
    """Print each (pid, generation, image, command name, syscall, first argument when it matters) once.

    A pid's generation counts the exits of processes that had it: pids are reused (pid_max is 32768 on
    many nodes, and a kubelet node forks a lot), and without it the first process's owner would be lent
    to every later process with the same pid - a host mount attributed to a container. The image counts
    the process's execs, so that what runc did before it named itself can be told apart from what the
    container's process does after its exec (RUNTIME_PARENT_COMM). The command name is in the key so that
    what runc's init does before it execs the container's process does not hide the same call made by that
    process. The maps are cleared at the end: printed, they would fill the pipe the collector has stopped
    reading, and bpftrace would hang until it is killed."""
    if arg_numbers:
        test = " || ".join("args->id == %d" % number for number in arg_numbers)
        key = "$a = (%s) ? args->args[0] : 0;" % test
    else:
        key = "$a = 0;"
    return ("tracepoint:sched:sched_process_exit /pid == tid/ { @generation[pid] = @generation[pid] + 1; "
            "delete(@image[pid]); } "
            "tracepoint:sched:sched_process_exec { @image[pid] = @image[pid] + 1; } "
            "tracepoint:raw_syscalls:sys_enter /pid != %d/ { %s $g = @generation[pid]; $i = @image[pid]; "
            "if (@seen[pid, $g, $i, comm, args->id, $a] == 0) { @seen[pid, $g, $i, comm, args->id, $a] = 1; "
            "printf(\"%%d %%d %%d %%d %%lu %%s\\n\", pid, $g, $i, args->id, $a, comm); } } "
            "END { clear(@seen); clear(@generation); clear(@image); }" % (own_pid, key))


def ensure_tracefs(run):
    """The tracepoint format files bpftrace reads; mounted if the node has not (systemd mounts it at boot)."""
    for path in TRACEFS:
        if os.path.isdir(os.path.join(path, "events", "raw_syscalls")):
            return path
    rc, _out, err = run(["mount", "-t", "tracefs", "nodev", TRACEFS[0]])
    if rc != 0 or not os.path.isdir(os.path.join(TRACEFS[0], "events", "raw_syscalls")):
        raise TraceError("the raw_syscalls tracepoints are not available: tracefs is not mounted at %s and mounting it "
                         "failed (%s); the kernel needs CONFIG_FTRACE_SYSCALLS" % (TRACEFS[0], err.strip()))
    return TRACEFS[0]


class Collector:
    """Reads bpftrace's lines, attributes each new process at once, and keeps the folded view on disk."""

    def __init__(self, state_path, arg_numbers):
        self.state_path = state_path
        self.arg_numbers = set(arg_numbers)
        self.processes = {}
        self.entries = {}
        self.lines = 0
        self.started = time.time()
        self.table = audit_scan.ProcessTable()
        self.containers = {}
        # (pid, generation) -> {image: the entries it added to}, and entry key -> {(pid, generation): how many of
        # its images added to it}: so that images found to be runc's after their lines were read can be taken
        # back out (runtime_parent).
        self.images = {}
        self.sources = {}
        # (pid, generation) -> the image in which it named itself runc:[0:PARENT]
        self.runtime_parents = {}

    def owner(self, pid, generation=0):
        """Who ``pid`` in its ``generation`` is; looked up once, when its first line is read."""
        if (pid, generation) not in self.processes:
            _started, owner = self.table.lookup(pid)
            exe = None
            try:
                exe = os.readlink("/proc/%d/exe" % pid)
            except OSError:
                pass
            self.processes[(pid, generation)] = (owner or dict(attribution="exited"), exe, time.time())
        return self.processes[(pid, generation)][:2]

    def add(self, line):
        parts = line.split(" ", 5)
        if len(parts) < 6:
            return
        try:
            pid, generation, image, number, arg = (int(part) for part in parts[:5])
        except ValueError:
            return
        self.lines += 1
        comm = parts[5].strip()
        if comm.startswith(RUNTIME_SETUP_COMMS):
            if comm == RUNTIME_PARENT_COMM:
                self.runtime_parent(pid, generation, image)
            return  # the runtime setting the container up, before its seccomp filter is loaded
        parent_image = self.runtime_parents.get((pid, generation))
        if parent_image is not None and image < parent_image:
            return  # runc's init before it named itself (its lines may be read after the rename's)
        owner, exe = self.owner(pid, generation)
        if owner.get("attribution") != "container":
            return  # host processes stay unconfined: not what the rollout changes
        if os.path.basename(exe or "") in RUNTIME_BINARIES:
            return  # the runtime itself, before it became runc:[0:PARENT]
        key = (owner.get("container_id"), exe, number, arg if number in self.arg_numbers else None)
        entry = self.entries.get(key)
        if entry is None:
            if len(self.entries) >= audit_scan.MAX_ENTRIES:
                return
            entry = dict(owner, exe=exe, comm=comm, syscall_nr=number,
                         arg0=arg if number in self.arg_numbers else None, processes=0, first=time.time())
            self.entries[key] = entry
        added = self.images.setdefault((pid, generation), {}).setdefault(image, set())
        counts = self.sources.setdefault(key, {})
        if key not in added:
            added.add(key)
            counts[(pid, generation)] = counts.get((pid, generation), 0) + 1
        entry["processes"] = len(counts)
        entry["last"] = time.time()

    def runtime_parent(self, pid, generation, image):
        """``pid`` is runc's init: what it did in its earlier images was the runtime's, not the container's."""
        known = self.runtime_parents.get((pid, generation))
        if known is not None and known <= image:
            return
        self.runtime_parents[(pid, generation)] = image
        images = self.images.get((pid, generation), {})
        for earlier in [number for number in images if number < image]:
            for key in images.pop(earlier):
                counts = self.sources[key]
                counts[(pid, generation)] -= 1
                if not counts[(pid, generation)]:
                    del counts[(pid, generation)]
                if counts:
                    self.entries[key]["processes"] = len(counts)
                else:
                    del self.sources[key], self.entries[key]

    def save(self, running, error=None):
        # The container processes seen, so that kernel records of processes gone by the time the log is
        # read can still be attributed (audit_scan's owners_from).
        # A reused pid keeps its latest container owner (audit_scan checks the time a record was made against it).
        processes = {}
        for (pid, _generation), (owner, exe, seen) in sorted(self.processes.items(), key=lambda item: item[1][2]):
            if owner.get("attribution") == "container":
                processes[str(pid)] = dict(owner, exe=exe, seen=seen)
        state = dict(started=self.started, saved=time.time(), running=running, error=error, lines=self.lines,
                     entries=list(self.entries.values()), processes=processes)
        files.atomic_write(self.state_path, (json.dumps(state) + "\n").encode(), 0o600)


def _spawn(argv, env, stderr_path):
    """Start ``argv`` with its stdout on a pipe (returned as its read descriptor) and its stderr in a file."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            os.dup2(write_end, 1)
            # A fresh file: never through a link someone left at this name.
            os.dup2(os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600), 2)
            os.execvpe(argv[0], argv, env)
        finally:
            os._exit(127)
    os.close(write_end)
    return pid, read_end


def _lines(fd, on_idle):
    """Each line bpftrace prints; ``on_idle`` is called at least every FLUSH_SECONDS, lines or not, so that the
    state on disk never lags behind on a quiet node."""
    pending = b""
    while True:
        ready = select.select([fd], [], [], FLUSH_SECONDS)[0]
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                return
            complete = (pending + chunk).split(b"\n")
            pending = complete.pop()
            for line in complete:
                yield line.decode("utf-8", "replace")
        on_idle()


def _end(pid, timeout=10.0):
    """SIGTERM, then SIGKILL after ``timeout``; reap it."""
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        pass
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def run_collector(state_path, profile, bpftrace="bpftrace"):
    """The tracing process (runs detached until SIGTERM): bpftrace plus the collector."""
    arg_numbers = arg_syscalls(profile)
    collector = Collector(state_path, arg_numbers)
    env = dict(os.environ, BPFTRACE_MAP_KEYS_MAX=str(MAP_KEYS_MAX), BPFTRACE_STRLEN="16")
    stderr_path = state_path + ".stderr"
    if os.path.lexists(stderr_path):
        os.unlink(stderr_path)
    pid, output = _spawn([bpftrace, "-e", bpftrace_program(arg_numbers, os.getpid())], env, stderr_path)
    stopped = False
    signal.signal(signal.SIGTERM, _stop)
    saved = [time.time()]

    def save_now_and_then():
        if time.time() - saved[0] > FLUSH_SECONDS:
            collector.save(True)
            saved[0] = time.time()
    try:
        collector.save(True)
        for line in _lines(output, save_now_and_then):
            if not line.startswith("Attaching"):
                collector.add(line)
    except Stop:
        stopped = True
    except (IOError, OSError):
        pass
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _end(pid)
    os.close(output)
    error = None
    if not stopped:
        with open(stderr_path, "rb") as handle:
            error = "bpftrace stopped: %s" % handle.read().decode("utf-8", "replace").strip()[-2000:]
    collector.save(False, error)


def wait_until_attached(state_path, pid, timeout=30.0):
    """Wait for the collector's first save and for bpftrace to have attached (it prints 'Attaching')."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        state = read_state(state_path)
        if state and not state["running"]:
            raise TraceError(state.get("error") or "the tracer stopped at once", path=state_path)
        if not _alive(pid):
            raise TraceError("the tracer exited at once, before it saved its state", path=state_path)
        if state and _bpftrace_attached(pid):
            return state
        time.sleep(0.1)
    raise TraceError("bpftrace did not attach within %d s" % timeout)


def _children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as handle:
            return handle.read().split()
    except (IOError, OSError):
        return []


def _bpftrace_attached(collector_pid):
    """bpftrace is attached once it holds a perf event for the tracepoint (an anon_inode:[perf_event] fd)."""
    for child in _children(collector_pid):
        try:
            for fd in os.listdir("/proc/%s/fd" % child):
                if "perf_event" in os.readlink("/proc/%s/fd/%s" % (child, fd)):
                    return True
        except (IOError, OSError):
            continue
    return False


def _alive(pid):
    return pid > 0 and process_identity(pid) is not None


# --- which process is the tracer ---
# A pid alone names no process: the pid file outlives reboots and its pid is handed to other processes.

def _boot_id():
    try:
        with open("/proc/sys/kernel/random/boot_id") as handle:
            return handle.read().strip()
    except (IOError, OSError):
        return None


def _cmdline(pid):
    with open("/proc/%s/cmdline" % pid, "rb") as handle:
        return [arg.decode("utf-8", "replace") for arg in handle.read().split(b"\0")[:-1]]


def process_identity(pid):
    """What tells process ``pid`` from any later one with its pid: the boot, its start time (clock ticks after
    boot, /proc/<pid>/stat field 22), its executable and command line. None when no process (or a zombie) has it."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as handle:
            fields = handle.read().decode("utf-8", "replace").rsplit(")", 1)[1].split()
        if fields[0] in ("Z", "X"):
            return None
        start_time = int(fields[19])
        cmdline = _cmdline(pid)
    except (IOError, OSError, IndexError, ValueError):
        return None
    try:
        # An upgraded interpreter shows as "<path> (deleted)" in a tracer started before the upgrade.
        exe = os.readlink("/proc/%d/exe" % pid)
        exe = exe[:-len(" (deleted)")] if exe.endswith(" (deleted)") else exe
    except OSError:
        exe = None
    return dict(pid=pid, boot_id=_boot_id(), start_time=start_time, exe=exe, cmdline=cmdline)


def tracer_record():
    """What this process (the tracer) writes into its pid file."""
    return dict(process_identity(os.getpid()), tracer=TRACER_NAME)


def read_pid_file(path):
    """The tracer's pid file as written (None when there is none); an ``InputError`` naming it when it is no pid
    file of ours. A file of the previous version holds only the pid: ``legacy`` is then set."""
    own_file(path, "the tracer's pid file")
    text = errors.read_file(path, limit=PID_FILE_BYTES, missing_ok=True)
    if text is None:
        return None
    if re.match(r"^\s*[0-9]{1,12}\s*$", text):
        return dict(pid=_pid(int(text), path), legacy=True)
    record = _json(text, path, "a pid file the tracer wrote (JSON with pid, start_time, boot_id, exe and cmdline)")
    if not isinstance(record, dict) or record.get("tracer") != TRACER_NAME:
        raise InputError("is not a pid file the tracer wrote", path=path, field="tracer",
                         value=record.get("tracer") if isinstance(record, dict) else record, expected=repr(TRACER_NAME))
    for field, kinds in (("pid", int), ("start_time", int), ("boot_id", (str, type(None))), ("exe", (str, type(None))),
                         ("cmdline", list)):
        errors.expect_type(record.get(field), kinds, field, path)
    for arg in record["cmdline"]:
        errors.expect_type(arg, str, "cmdline[]", path)
    unknown = sorted(set(record) - set(("tracer", "pid", "start_time", "boot_id", "exe", "cmdline")))
    if unknown:
        raise InputError("is not a field of the tracer's pid file", path=path, field=unknown[0],
                         expected="tracer, pid, start_time, boot_id, exe and cmdline")
    _pid(record["pid"], path)
    return record


def _pid(pid, path):
    # kill() takes 0 and negative numbers as process groups, -1 as every process: such a pid is never ours.
    if not 0 < pid <= PID_MAX:
        raise InputError("is not a process ID", path=path, field="pid", value=pid, expected="1 to %d" % PID_MAX)
    return pid


def check_tracer(record):
    """(identity, None) when the process the pid file names is the tracer that wrote it; (None, why not) when the
    file is stale. A file of the previous version is trusted only when the process has a bpftrace child running
    the program the tracer gives it, which names the tracer's own pid."""
    pid = record["pid"]
    live = process_identity(pid)
    if live is None:
        return None, "no process %d runs any more" % pid
    if record.get("legacy"):
        mark = "tracepoint:raw_syscalls:sys_enter /pid != %d/" % pid
        for child in _children(pid):
            try:
                argv = _cmdline(child)
            except (IOError, OSError):
                continue
            if "-e" in argv[1:-1] and mark in argv[argv.index("-e", 1) + 1]:
                return live, None
        return None, "process %d (%s) is not a tracer this module started" % (pid, errors.short_repr(" ".join(live["cmdline"])))
    if record["boot_id"] and live["boot_id"] and record["boot_id"] != live["boot_id"]:
        return None, "it was written before the node last booted"
    for field, what in (("start_time", "start time"), ("exe", "executable"), ("cmdline", "command line")):
        if live[field] != record[field]:
            return None, "pid %d now belongs to another process than the tracer that wrote the file (%s; its %s differs)" % (
                pid, errors.short_repr(" ".join(live["cmdline"])), what)
    return live, None


def _same_process(identity):
    return process_identity(identity["pid"]) == identity


def signal_tracer(identity, signum):
    """Send ``signum`` to the process ``identity`` describes, only while it is that process; True when sent.

    Through a pidfd where the kernel has them (5.3): it refers to the process checked, not to whoever gets
    the pid should the tracer exit in between."""
    handle = None
    if hasattr(os, "pidfd_open") and hasattr(signal, "pidfd_send_signal"):
        try:
            handle = os.pidfd_open(identity["pid"])
        except OSError as exc:
            if exc.errno == errno.ESRCH:
                return False
    try:
        if not _same_process(identity):
            return False
        if handle is not None:
            signal.pidfd_send_signal(handle, signum)
        else:
            os.kill(identity["pid"], signum)
        return True
    except ProcessLookupError:
        return False
    finally:
        if handle is not None:
            os.close(handle)


def stop_tracer(identity, timeout=20.0):
    """SIGTERM (the tracer then saves its last state), SIGKILL when it is still there after ``timeout``."""
    signal_tracer(identity, signal.SIGTERM)
    deadline = time.time() + timeout
    while _same_process(identity) and time.time() < deadline:
        time.sleep(0.05)
    signal_tracer(identity, signal.SIGKILL)


# --- the files the tracer keeps ---

def own_file(path, what):
    """Refuse a link or special file where the tracer keeps its own regular files: it would be replaced or removed."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return
        raise errors.os_error(exc, path)
    if stat.S_ISLNK(info.st_mode):
        raise InputError("is a symlink (to %s), not %s" % (errors.short_repr(os.readlink(path)), what), path=path,
                         expected="a regular file the tracer writes, or nothing")
    if stat.S_ISDIR(info.st_mode):
        raise InputError("is a directory, not %s" % what, path=path)
    if not stat.S_ISREG(info.st_mode):
        raise InputError("is not a regular file (a device, socket or FIFO), not %s" % what, path=path)


def _no_constants(name):
    raise ValueError("%s is not a JSON number" % name)


def _json(text, path, expected):
    if not text.strip():
        raise InputError("is empty", path=path, expected=expected)
    try:
        return json.loads(text, parse_constant=_no_constants)
    except (ValueError, RecursionError) as exc:
        raise InputError("is not JSON: %s" % errors.short_repr(str(exc), 200), path=path, expected=expected)


_NUMBER = (int, float)
_TEXT = (str, type(None))
_INT = (int, type(None))
STATE_FIELDS = dict(started=_NUMBER, saved=_NUMBER, running=bool, error=_TEXT, lines=int, entries=list, processes=dict)
OWNER_FIELDS = dict(attribution=str, container_id=_TEXT, pod_uid=_TEXT)
ENTRY_FIELDS = dict(OWNER_FIELDS, exe=_TEXT, comm=_TEXT, syscall_nr=int, arg0=_INT, processes=int, first=_NUMBER,
                    last=_NUMBER)
PROCESS_FIELDS = dict(OWNER_FIELDS, exe=_TEXT, seen=_NUMBER)
STATE_REQUIRED = ("started", "saved", "running", "entries")


def _check_record(record, fields, where, path, required=()):
    errors.expect_type(record, dict, where, path)
    for field in required:
        if field not in record:
            raise InputError("is missing", path=path, field="%s.%s" % (where, field) if where else field)
    for field, value in record.items():
        at = "%s.%s" % (where, field) if where else field
        if field not in fields:
            raise InputError("is not a field the tracer writes", path=path, field=at, expected=", ".join(sorted(fields)))
        errors.expect_type(value, fields[field], at, path)
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError("is not a finite number", path=path, field=at, value=value)
        if isinstance(value, int) and not INT64_MIN <= value <= UINT64_MAX:
            raise InputError("is out of range", path=path, field=at, value=value, expected="a 64-bit number")


def read_state(path, own=False):
    """The collector's state file, checked (None when there is none); an ``InputError`` naming the file and the
    field when it is not a state the collector wrote - read as "no trace", it would hide every traced call.
    ``own``: the file in the tracer's state_dir, which it replaces and so must be a regular file, not a link."""
    if own:
        own_file(path, "the tracer's state file")
    text = errors.read_file(path, limit=STATE_FILE_BYTES, missing_ok=True)
    if text is None:
        return None
    state = _json(text, path, "the JSON state the tracer writes")
    _check_record(state, STATE_FIELDS, "", path, STATE_REQUIRED)
    for index, entry in enumerate(state["entries"]):
        _check_record(entry, ENTRY_FIELDS, "entries[%d]" % index, path, ("syscall_nr",))
    for pid, process in (state.get("processes") or {}).items():
        if not pid.isdigit():
            raise InputError("is not a process ID", path=path, field="processes", value=pid)
        _check_record(process, PROCESS_FIELDS, "processes.%s" % pid, path)
    return state


# --- the profile the trace is judged against ---

def check_profile(profile, path):
    """``profile`` when every traced call can be judged by it; else an ``InputError`` naming the field.

    ``decide`` falls back to defaultAction and reads rules as plain OCI: a profile without a valid
    defaultAction, or in moby's format (includes/excludes it does not apply), would give wrong verdicts."""
    if not isinstance(profile, dict):
        raise InputError("is not a seccomp profile", path=path, value=profile,
                         expected="a JSON object with defaultAction and syscalls")
    actions = "one of %s" % ", ".join(profiles.ACTIONS)
    for key in profile:
        if key not in profiles.OCI_KEYS:
            raise InputError("is not a key of a plain OCI seccomp profile (the one the containers get)", path=path,
                             field=key, expected=", ".join(profiles.OCI_KEYS))
    if "defaultAction" not in profile:
        raise InputError("is missing: without it every call the rules do not name would be judged 'blocked'",
                         path=path, field="defaultAction", expected=actions)
    if profile["defaultAction"] not in profiles.ACTIONS:
        raise InputError("is not a seccomp action", path=path, field="defaultAction", value=profile["defaultAction"],
                         expected=actions)
    rules = errors.expect_type(profile.get("syscalls"), (list, type(None)), "syscalls", path) or []
    for index, rule in enumerate(rules):
        where = "syscalls[%d]" % index
        errors.expect_type(rule, dict, where, path, expected="mapping with names and action")
        for key in rule:
            if key not in profiles.OCI_RULE_KEYS:
                raise InputError("is not a key of a plain OCI rule", path=path, field="%s.%s" % (where, key),
                                 expected=", ".join(profiles.OCI_RULE_KEYS))
        names = rule.get("names")
        if not isinstance(names, list) or not names or not all(isinstance(name, str) and name for name in names):
            raise InputError("is not a list of syscall names", path=path, field=where + ".names", value=names,
                             expected="a non-empty list of strings")
        if rule.get("action") not in profiles.ACTIONS:
            raise InputError("is not a seccomp action", path=path, field=where + ".action", value=rule.get("action"),
                             expected=actions)
        conditions = errors.expect_type(rule.get("args"), (list, type(None)), where + ".args", path) or []
        for number, condition in enumerate(conditions):
            _check_condition(condition, "%s.args[%d]" % (where, number), path)
    return profile


def _check_condition(condition, where, path):
    errors.expect_type(condition, dict, where, path, expected="mapping with index, value and op")
    for key in condition:
        if key not in profiles.OCI_ARG_KEYS:
            raise InputError("is not a key of an argument condition", path=path, field="%s.%s" % (where, key),
                             expected=", ".join(profiles.OCI_ARG_KEYS))
    index = condition.get("index")
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < profiles.SYSCALL_ARGUMENTS:
        raise InputError("is not an argument index", path=path, field=where + ".index", value=index, expected="0 to 5")
    if condition.get("op") not in profiles.OPERATORS:
        raise InputError("is not a comparison operator", path=path, field=where + ".op", value=condition.get("op"),
                         expected="one of %s" % ", ".join(profiles.OPERATORS))
    for key in ("value", "valueTwo"):
        value = condition.get(key, 0)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= UINT64_MAX:
            raise InputError("is not an unsigned 64-bit number", path=path, field="%s.%s" % (where, key), value=value)


def judge(entries, profile, containers=None):
    """Each traced syscall with the verdict of ``profile``: allowed, blocked, conditional, or unknown (a number
    this libseccomp has no name for)."""
    containers = containers or {}
    judged = []
    for entry in entries:
        entry = dict(entry)
        known = containers.get(entry.get("container_id"))
        if containers and not known:
            continue  # not a container of this node's CRI runtime (another runtime, or a nested node's)
        entry.update(known or {})
        name = native_syscall_name(entry["syscall_nr"])
        entry["syscall"] = name or str(entry["syscall_nr"])
        if name is None:  # newer than this libseccomp: the profile's rules, by name, cannot be matched
            entry.update(action=None, verdict="unknown")
            judged.append(entry)
            continue
        args = {0: entry["arg0"]} if entry.get("arg0") is not None else {}
        action, certain = profiles.decide(profile, entry["syscall"], args)
        entry["action"] = action
        entry["verdict"] = ("blocked" if profiles.blocks(action) else "allowed") if certain else "conditional"
        judged.append(entry)
    return judged


# --- the tracer of one state_dir, as the modules drive it (syscall_trace, audit_window) ---

PID_FILE = "tracer.pid"
STATE_FILE = "tracer.json"
STALE_THEN = dict(started="a new tracer is started", stopped="the file is removed", collected="it is left as it is")
STATE_DIR_IS = "option state_dir: where the tracer keeps its pid and state files"


def load_profile(path):
    """The profile the trace is judged against (kubernetes/default.json), read and checked (check_profile)."""
    text = errors.read_file(path, missing_ok=True)
    if text is None:
        raise InputError("does not exist: install the built-in profiles first, or give the profile the containers get",
                         path=path)
    try:
        profile = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InputError("is not JSON: %s" % errors.short_repr(str(exc), 200), path=path)
    return check_profile(profile, path)


def find_bpftrace(explicit):
    try:
        return tools.find_tool("bpftrace", explicit)
    except tools.ToolNotFound as exc:
        raise InputError("%s (module option bpftrace, variable seccomp_bpftrace)" % exc)


def start_tracer(profile, pid_path, state_path, bpftrace):
    """Fork the tracer off as a daemon (as async_wrapper does), then wait until bpftrace is attached; the record of
    its pid file. When it does not attach, nothing is left behind."""
    if os.path.exists(state_path):
        os.unlink(state_path)
    first = os.fork()
    if first == 0:
        os.setsid()
        if os.fork() != 0:
            os._exit(0)
        null = os.open(os.devnull, os.O_RDWR)
        for descriptor in (0, 1, 2):
            os.dup2(null, descriptor)
        try:
            files.atomic_write(pid_path, (json.dumps(tracer_record()) + "\n").encode(), 0o600)
            run_collector(state_path, profile, bpftrace)
        finally:
            os._exit(0)
    os.waitpid(first, 0)
    deadline = time.time() + 10
    record = read_pid_file(pid_path)
    while record is None and time.time() < deadline:
        time.sleep(0.05)
        record = read_pid_file(pid_path)
    if record is None:
        raise TraceError("the tracer did not start: it wrote no pid file within 10 s", path=pid_path)
    try:
        wait_until_attached(state_path, record["pid"])
    except TraceError:
        # Nothing is left behind: no tracer half started, and no pid file that a later owner of the pid would inherit.
        tracer = check_tracer(record)[0]
        if tracer:
            stop_tracer(tracer)
        os.unlink(pid_path)
        raise
    return record


def traced_containers(module):
    """The node's containers by ID, to name the traced ones (cri.identities_or_warn); crictl failing is an
    InputError that says what the listing was for."""
    try:
        return cri.identities_or_warn(module)
    except cri.CriError as exc:
        raise InputError("the traced processes cannot be attributed to containers: %s" % exc)


def report(state, profile, containers):
    """What state=stopped and state=collected return: the traced calls of ``state`` judged against ``profile``,
    named after ``containers`` (by ID)."""
    entries = judge(state.get("entries") or [], profile, containers)
    entries.sort(key=lambda entry: (entry["verdict"] != "blocked", entry.get("pod") or "", entry["syscall"]))
    return dict(entries=entries, blocked=[entry for entry in entries if entry["verdict"] == "blocked"],
                error=state.get("error"), seconds=round(state.get("saved", 0) - state.get("started", 0), 1),
                lines=state.get("lines", 0))


class Tracer:
    """The tracer of one ``state_dir`` - its pid file and state file - and the profile its trace is judged against.

    ``read`` reads and checks them all before anything is started, signalled or removed; the attributes it sets
    (``record``: the pid file, ``tracer``: the live process it names, ``stale``: why the file names no tracer,
    ``profile``, ``state``) are kept as far as it got when it raises."""

    def __init__(self, state_dir, what=STATE_DIR_IS):
        self.state_dir = state_dir
        self.what = what
        self.pid_path = os.path.join(state_dir, PID_FILE)
        self.state_path = os.path.join(state_dir, STATE_FILE)
        self.record = self.tracer = self.stale = self.profile = self.state = self.bpftrace = None

    def read(self, profile_path):
        if os.path.lexists(self.state_dir) and not os.path.isdir(self.state_dir):
            raise InputError("is not a directory (%s)" % self.what, path=self.state_dir)
        self.record = read_pid_file(self.pid_path)
        self.tracer, self.stale = check_tracer(self.record) if self.record else (None, None)
        self.profile = load_profile(profile_path)
        self.state = read_state(self.state_path, own=True)
        if libseccomp.library() is None:
            # Without it no syscall number has a name, and every traced call would fall to the default action.
            raise InputError("%s: the trace's syscall numbers cannot be named, so no call can be judged against %s; "
                             "install the system libseccomp (libseccomp2 on Debian and Ubuntu, libseccomp on RHEL)"
                             % (libseccomp.load_error(), profile_path))
        return self

    def prepare_start(self, bpftrace):
        """What a start needs, checked before anything starts: bpftrace, and the file it keeps bpftrace's errors in."""
        self.bpftrace = find_bpftrace(bpftrace)
        own_file(self.state_path + ".stderr", "the file the tracer keeps bpftrace's errors in")

    def start(self, run):
        """Start a new tracer (after ``prepare_start``), in place of a stale pid file; its pid."""
        ensure_tracefs(run)
        files.ensure_directories(self.pid_path, 0o700)
        if self.record:
            os.unlink(self.pid_path)
            self.record = self.tracer = None
        self.record = start_tracer(self.profile, self.pid_path, self.state_path, self.bpftrace)
        self.tracer = check_tracer(self.record)[0]
        return self.record["pid"]

    def check_held(self):
        """A trace to stop or read: a tracer, or the state one saved."""
        if self.state is None and self.tracer is None:
            raise InputError("holds no trace: start one with state=started", path=self.state_dir)

    def finish(self, stop, check_mode):
        """state=stopped (``stop``) or collected: the tracer stopped (its last save read) and its pid file removed,
        or a stale pid file removed, unless ``check_mode``. Whether that changes something."""
        self.check_held()
        changed = False
        if stop and self.record:
            changed = True
            if not check_mode:
                if self.tracer:
                    stop_tracer(self.tracer)
                    self.state = read_state(self.state_path, own=True)  # its last save
                os.unlink(self.pid_path)
        if self.state is None:
            raise InputError("holds no trace: the tracer saved none; start one with state=started", path=self.state_dir)
        return changed

    def end(self):
        """Stop the tracer (if it runs) and remove its pid file, its state file left as it saved it: what undoes a
        start. The words saying what was done."""
        done = []
        if self.tracer and _same_process(self.tracer):
            stop_tracer(self.tracer)
            done.append("the tracer (pid %d) was stopped" % self.tracer["pid"])
        if self.record and os.path.lexists(self.pid_path):
            os.unlink(self.pid_path)
        self.record = self.tracer = None
        return done

    def running(self):
        return self.tracer is not None and process_identity(self.tracer["pid"]) == self.tracer
