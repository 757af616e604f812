# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Observe-only complain mode: trace the syscalls containers make, without touching them (k8s-facts.md 5.1).

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

import json
import os
import select
import signal
import time

from ansible_collections.k8s.seccomp_default.plugins.module_utils import audit_scan, files, libseccomp, profiles

TRACEFS = ("/sys/kernel/tracing", "/sys/kernel/debug/tracing")
FLUSH_SECONDS = 1.0
MAP_KEYS_MAX = 262144
# runc's init stages name themselves runc:[0:PARENT], runc:[1:CHILD] and runc:[2:INIT]; what they call
# (mount, pivot_root, sethostname...) sets the container up and runs before its seccomp filter exists.
RUNTIME_SETUP_COMMS = ("runc:[",)
# Before it names itself, `runc init` makes sure it runs from a sealed copy of itself (runc 1.1 cloned_binary.c:
# a read-only bind mount of /proc/self/exe, then umount2), sometimes already inside the container's cgroup. A
# process whose executable is the OCI runtime is the runtime, not the workload (a workload that runs runc itself,
# such as Docker in Docker, is not told apart).
RUNTIME_BINARIES = ("runc", "crun")


class TraceError(Exception):
    pass


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
    """Print each (pid, generation, command name, syscall, first argument when it matters) once.

    A pid's generation counts the exits of processes that had it: pids are reused (pid_max is 32768 on
    many nodes, and a kubelet node forks a lot), and without it the first process's owner would be lent
    to every later process with the same pid - a host mount attributed to a container. The command name
    is in the key so that what runc's init does before it execs the container's process does not hide
    the same call made by that process. The maps are cleared at the end: printed, they would fill the
    pipe the collector has stopped reading, and bpftrace would hang until it is killed."""
    if arg_numbers:
        test = " || ".join("args->id == %d" % number for number in arg_numbers)
        key = "$a = (%s) ? args->args[0] : 0;" % test
    else:
        key = "$a = 0;"
    return ("tracepoint:sched:sched_process_exit /pid == tid/ { @generation[pid] = @generation[pid] + 1; } "
            "tracepoint:raw_syscalls:sys_enter /pid != %d/ { %s $g = @generation[pid]; "
            "if (@seen[pid, $g, comm, args->id, $a] == 0) { @seen[pid, $g, comm, args->id, $a] = 1; "
            "printf(\"%%d %%d %%d %%lu %%s\\n\", pid, $g, args->id, $a, comm); } } "
            "END { clear(@seen); clear(@generation); }" % (own_pid, key))


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
        parts = line.split(" ", 4)
        if len(parts) < 5:
            return
        try:
            pid, generation, number, arg = int(parts[0]), int(parts[1]), int(parts[2]), int(parts[3])
        except ValueError:
            return
        self.lines += 1
        comm = parts[4].strip()
        if comm.startswith(RUNTIME_SETUP_COMMS):
            return  # the runtime setting the container up, before its seccomp filter is loaded
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
        entry["processes"] += 1
        entry["last"] = time.time()

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
            os.dup2(os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 2)
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
        with open(stderr_path) as handle:
            error = "bpftrace stopped: %s" % handle.read().strip()[-2000:]
    collector.save(False, error)


def wait_until_attached(state_path, pid, timeout=30.0):
    """Wait for the collector's first save and for bpftrace to have attached (it prints 'Attaching')."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        state = read_state(state_path)
        if state and not state["running"]:
            raise TraceError(state.get("error") or "the tracer stopped at once")
        if not _alive(pid):
            raise TraceError("the tracer exited at once; see %s" % state_path)
        if state and _bpftrace_attached(pid):
            return state
        time.sleep(0.1)
    raise TraceError("bpftrace did not attach within %d s" % timeout)


def _bpftrace_attached(collector_pid):
    """bpftrace is attached once it holds a perf event for the tracepoint (an anon_inode:[perf_event] fd)."""
    try:
        children = open("/proc/%d/task/%d/children" % (collector_pid, collector_pid)).read().split()
    except (IOError, OSError):
        return False
    for child in children:
        try:
            for fd in os.listdir("/proc/%s/fd" % child):
                if "perf_event" in os.readlink("/proc/%s/fd/%s" % (child, fd)):
                    return True
        except (IOError, OSError):
            continue
    return False


def _alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    stat = open("/proc/%d/stat" % pid).read() if os.path.exists("/proc/%d/stat" % pid) else ""
    return ") Z " not in stat


def read_state(path):
    data = files.read_bytes(path)
    if not data:
        return None
    try:
        return json.loads(data.decode("utf-8"))
    except ValueError:
        return None


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
