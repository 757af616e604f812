"""The observe-only tracer on the real kernel: a reused pid is a new process, not the old one's container.

Nodes recycle pids quickly (pid_max is 32768 on many of them, and a kubelet node forks a lot). The test
makes that happen on purpose: a process in one container's cgroup makes a call, is attributed, exits;
its pid is then handed to a process in another container's cgroup (through /proc/sys/kernel/ns_last_pid,
as CRIU does) which makes a second call. That call belongs to the second container. Both processes set
themselves up under a runc init command name, as a container's first process does, so that the tracer
looks at them only once they are in their cgroup.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import uuid

import pytest

from ansible_collections.k8s.seccomp_default.plugins.module_utils import syscall_trace
from lib.ansible_run import ROOT

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("bpftrace"),
                                reason="needs root and bpftrace")
PROFILE = os.path.join(ROOT, "profiles", os.uname()[4], "kubernetes", "default.json")

# Runs as a host process named like runc's init; its children join a container cgroup before they rename
# themselves and make the call the test looks for.
# What both scenarios start with: the tracer's state file is argv[1]; entries(syscall) reads what it has saved.
HELPERS = textwrap.dedent(r"""
    import ctypes, json, os, sys, time
    libc = ctypes.CDLL(None, use_errno=True)
    state_path = sys.argv[1]

    def rename(name):
        libc.prctl(15, name.encode(), 0, 0, 0)  # PR_SET_NAME

    def entries(syscall):
        try:
            state = json.load(open(state_path))
        except (OSError, ValueError):
            return []
        return [entry for entry in state["entries"] if entry["syscall_nr"] == syscall]
""")

SCENARIO = textwrap.dedent(r"""
    first_cgroup, second_cgroup = sys.argv[2:4]

    def wait_for(syscall):
        deadline = time.time() + 30
        while time.time() < deadline:
            found = entries(syscall)
            if found:
                return found
            time.sleep(0.1)
        return []

    def container_process(cgroup, name, call, go, wanted_pid=None):
        pid = os.fork()
        if pid == 0:
            if wanted_pid is not None and os.getpid() != wanted_pid:
                os._exit(3)
            with open(os.path.join(cgroup, "cgroup.procs"), "w") as procs:
                procs.write(str(os.getpid()))
            rename(name)
            call()
            os.read(go, 1)
            os._exit(0)
        return pid

    rename("runc:[0:PARENT]")
    getppid = SYSCALLS["getppid"]
    getpriority = SYSCALLS["getpriority"]
    first_go_r, first_go_w = os.pipe()
    first = container_process(first_cgroup, "first", os.getppid, first_go_r)
    first_seen = wait_for(getppid)
    os.write(first_go_w, b"x")
    os.waitpid(first, 0)

    second_go_r, second_go_w = os.pipe()
    for attempt in range(200):
        with open("/proc/sys/kernel/ns_last_pid", "w") as last:
            last.write(str(first - 1))
        second = container_process(second_cgroup, "second", lambda: os.getpriority(os.PRIO_PROCESS, 0), second_go_r,
                                   wanted_pid=first)
        if second == first:
            break
        os.waitpid(second, 0)
    else:
        print(json.dumps(dict(error="pid %d was never handed out again" % first)))
        sys.exit(0)
    second_seen = wait_for(getpriority)
    os.write(second_go_w, b"x")
    os.waitpid(second, 0)
    print(json.dumps(dict(pid=first, first=first_seen, second=second_seen)))
""")


def run(argv):
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    return done.returncode, done.stdout, done.stderr


def cgroup_root():
    if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        return "/sys/fs/cgroup"
    return "/sys/fs/cgroup/pids"  # cgroup v1: any hierarchy shows in /proc/<pid>/cgroup


@pytest.fixture
def two_containers():
    """Two kubelet-style container cgroups (pod UID, 64-hex container ID); removed afterwards."""
    top = os.path.join(cgroup_root(), "seccomp-trace-test-%d" % os.getpid())
    made = []
    for _index in range(2):
        pod = str(uuid.uuid4())
        container = uuid.uuid4().hex + uuid.uuid4().hex
        path = os.path.join(top, "pod" + pod, container)
        os.makedirs(path)
        made.append(dict(path=path, pod_uid=pod, container_id=container))
    yield made
    for item in made:
        os.rmdir(item["path"])
        os.rmdir(os.path.dirname(item["path"]))
    os.rmdir(top)


def traced(tmp_path, scenario, names, *args):
    """Run ``scenario`` (Python, given SYSCALLS: the native numbers of ``names``, and the tracer's state file
    followed by ``args`` as argv) under a real tracer; its JSON output."""
    state_path = str(tmp_path / "trace.json")
    syscall_trace.ensure_tracefs(run)
    collector = subprocess.Popen(
        [sys.executable, "-c", "import json, sys; from ansible_collections.k8s.seccomp_default.plugins.module_utils "
         "import syscall_trace; syscall_trace.run_collector(sys.argv[1], json.load(open(sys.argv[2])))",
         state_path, PROFILE], env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    try:
        syscall_trace.wait_until_attached(state_path, collector.pid)
        numbers = dict((name, syscall_trace.native_syscall_number(name)) for name in names)
        done = subprocess.run([sys.executable, "-c", "SYSCALLS = %r\n" % numbers + HELPERS + scenario, state_path] + list(args),
                              capture_output=True, text=True, timeout=120, check=True)
    finally:
        collector.send_signal(signal.SIGTERM)
        collector.wait(timeout=30)
    return json.loads(done.stdout), json.load(open(state_path))


def test_a_reused_pid_is_attributed_to_its_new_container(tmp_path, two_containers):
    result, state = traced(tmp_path, SCENARIO, ("getppid", "getpriority"),
                           two_containers[0]["path"], two_containers[1]["path"])
    assert "error" not in result, result
    first, second = two_containers
    assert [entry["container_id"] for entry in result["first"]] == [first["container_id"]]
    # The second call is the second container's, made by the process that has the pid now.
    assert [(entry["container_id"], entry["pod_uid"]) for entry in result["second"]] == [
        (second["container_id"], second["pod_uid"])], result["second"]
    assert state["processes"][str(result["pid"])]["container_id"] == second["container_id"]


# runc 1.1's init as it starts (libcontainer/container_linux.go, libcontainer/nsenter/cloned_binary.c): `runc run`
# forks and execs `/proc/self/exe init` (command name "exe"), which can be put into the container's cgroup while
# it still re-executes itself from a sealed copy (a bind mount of itself, then umount2); the copy names itself
# runc:[0:PARENT]. Here the process joins the cgroup first, as the slowest start does, and makes a call
# (getpriority) as "exe". A process of the container's own, started afterwards, makes another call (getppid):
# once the tracer has it, it has read runc's lines too.
RUNC_START = textwrap.dedent(r"""
    cgroup = sys.argv[2]
    go, release = os.pipe()
    os.set_inheritable(go, True)
    # Each process stays until the tracer has looked it up: one that is gone cannot be attributed at all.
    SECOND = ("import ctypes, os, sys; ctypes.CDLL(None).prctl(15, b'runc:[0:PARENT]', 0, 0, 0); os.getppid(); "
              "os.read(int(sys.argv[1]), 1)")
    FIRST = ("import os, sys; os.getpriority(os.PRIO_PROCESS, 0); "
             "os.execv(sys.argv[1], [sys.argv[1], '-c', %r, sys.argv[2]])" % SECOND)

    def in_container(then):
        pid = os.fork()
        if pid == 0:
            with open(os.path.join(cgroup, "cgroup.procs"), "w") as procs:
                procs.write(str(os.getpid()))
            then()
            os.read(go, 1)
            os._exit(0)
        return pid

    def workload():
        rename("workload")
        os.getppid()

    # As in the other scenario, the children are looked at only once they are in the cgroup and rename themselves.
    rename("runc:[1:CHILD]")
    runc = in_container(lambda: os.execv("/proc/self/exe", ["runc", "-c", FIRST, sys.executable, str(go)]))
    time.sleep(1)
    started = in_container(workload)
    deadline = time.time() + 30
    while time.time() < deadline and not [entry for entry in entries(SYSCALLS["getppid"]) if entry["comm"] == "workload"]:
        time.sleep(0.1)
    os.write(release, b"xx")
    os.waitpid(runc, 0)
    os.waitpid(started, 0)
    print(json.dumps(dict(getpriority=entries(SYSCALLS["getpriority"]), getppid=entries(SYSCALLS["getppid"]))))
""")


def test_what_runc_does_before_it_names_itself_is_not_the_containers(tmp_path, two_containers):
    container = two_containers[0]
    result, _state = traced(tmp_path, RUNC_START, ("getpriority", "getppid"), container["path"])
    assert [(entry["container_id"], entry["comm"]) for entry in result["getppid"]] == [
        (container["container_id"], "workload")], result
    assert result["getpriority"] == [], result
