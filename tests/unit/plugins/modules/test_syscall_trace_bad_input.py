"""syscall_trace given broken and hostile input: a stale pid file, a corrupt state file, a profile that cannot judge.

Every case runs the module the way Ansible does (tests/lib/badinput.run_module) against real files and real
processes: a stale pid file names a live `sleep` that must survive; a tracer is faked only where the real one
would need bpftrace and a kernel to attach to. Each refusal must name the file and the field, and leave the
tree byte-for-byte as it was.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from ansible_collections.k8s.seccomp_default.plugins.module_utils import libseccomp, syscall_trace
from lib.processes import running
from lib.badinput import assert_refused, run_module, snapshot
from lib.commands import executable

pytestmark = pytest.mark.skipif(libseccomp.library() is None, reason="needs the system libseccomp")

TRACER = "k8s.seccomp_default.syscall_trace"  # the pid file says which program wrote it
PROFILE = {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW"}]}


def entry(**fields):
    return dict(dict(attribution="container", container_id="c" * 64, pod_uid="0b5e", exe="/bin/true", comm="true",
                     syscall_nr=syscall_trace.native_syscall_number("getpid"), arg0=None, processes=1, first=1000.5,
                     last=1001.0), **fields)


def state(**fields):
    return dict(dict(started=1000.0, saved=1060.0, running=False, error=None, lines=3, entries=[entry()],
                     processes={}), **fields)


@pytest.fixture
def node(tmp_path):
    """tmp_path/node: profile.json and trace/ with a finished trace."""
    root = tmp_path / "node"
    (root / "trace").mkdir(parents=True)
    (root / "profile.json").write_text(json.dumps(PROFILE))
    (root / "trace" / "tracer.json").write_text(json.dumps(state()))
    return root


def trace(node, tmp_path, **args):
    args = dict(dict(profile=str(node / "profile.json"), state_dir=str(node / "trace"), state="collected",
                     crictl=str(tmp_path / "no-crictl")), **args)
    return run_module("syscall_trace", args, tmp_path)


@pytest.fixture
def unrelated():
    """A process that is not a tracer: a stale pid file names it."""
    process = running(["sleep", "300"])
    yield process
    process.kill()
    process.wait()


def cmdline(pid):
    try:
        with open("/proc/%s/cmdline" % pid, "rb") as handle:
            return handle.read().decode().split("\0")[:-1]
    except OSError:
        return []


def alive(process):
    return process.poll() is None


# --- 1. a stale pid file never gets a process signalled ---

def stale_record(process, kind):
    """The pid file a tracer left, now naming ``process``: of the previous version (the pid only), or of this one
    with what identified the tracer, which ``process`` does not match."""
    if kind == "previous-version-pid-only":
        return "%d\n" % process.pid
    identity = dict(syscall_trace.process_identity(process.pid), tracer=TRACER)
    identity.update({
        "reused-pid-other-start-time": dict(start_time=identity["start_time"] + 1),
        "reused-pid-other-command": dict(exe=sys.executable, cmdline=[sys.executable, "-m", "tracer"]),
        "written-before-a-reboot": dict(boot_id="00000000-0000-0000-0000-000000000000"),
    }[kind])
    return json.dumps(identity)


STALE = ["previous-version-pid-only", "reused-pid-other-start-time", "reused-pid-other-command", "written-before-a-reboot"]
STARTED_STALE = STALE[:2]


@pytest.mark.parametrize("kind", STALE)
def test_stopped_with_a_stale_pid_file_signals_nothing_and_removes_only_the_pid_file(node, tmp_path, unrelated, kind):
    (node / "trace" / "tracer.pid").write_text(stale_record(unrelated, kind))
    before = snapshot(node)
    result = trace(node, tmp_path, state="stopped")
    time.sleep(0.2)
    assert alive(unrelated), "the module signalled an unrelated process: %r" % (result,)
    assert not result.get("failed"), result
    assert result["changed"] and not result["running"]
    assert "stale" in str(result.get("warnings")) and result["stale_pid_file"], result
    assert [item["syscall"] for item in result["entries"]] == ["getpid"]
    after = snapshot(node)
    assert "trace/tracer.pid" not in after
    del before["trace/tracer.pid"]
    assert before == after


@pytest.mark.parametrize("kind", STARTED_STALE)
def test_started_with_a_stale_pid_file_starts_a_new_tracer(node, tmp_path, unrelated, kind):
    if not any(os.path.isdir(os.path.join(path, "events", "raw_syscalls")) for path in syscall_trace.TRACEFS):
        pytest.skip("needs tracefs with the raw_syscalls tracepoints")
    # A bpftrace that fails at once: the tracer this test sees started is the module's own, not the sleep.
    fake = executable(tmp_path, "bpftrace", "#!/bin/sh\necho 'ERROR: the fake bpftrace ran' >&2\nexit 1\n")
    (node / "trace" / "tracer.pid").write_text(stale_record(unrelated, kind))
    result = trace(node, tmp_path, state="started", bpftrace=fake)
    assert alive(unrelated)
    assert result.get("pid") != unrelated.pid, result
    assert_refused(result, "the fake bpftrace ran", "tracer.json")
    assert not (node / "trace" / "tracer.pid").exists(), "the failed tracer's pid file was left behind"


def test_collected_with_a_stale_pid_file_warns_and_changes_nothing(node, tmp_path, unrelated):
    (node / "trace" / "tracer.pid").write_text(stale_record(unrelated, "reused-pid-other-start-time"))
    before = snapshot(node)
    result = trace(node, tmp_path, state="collected")
    assert not result.get("failed"), result
    assert not result["running"] and not result["changed"] and result["stale_pid_file"]
    assert before == snapshot(node)
    assert alive(unrelated)


LEGACY_TRACER = """
import os, subprocess, sys
subprocess.call([sys.argv[1], "-e", sys.argv[2].replace("/pid != 0/", "/pid != %d/" % os.getpid())])
"""


@pytest.fixture
def tracer_of_the_previous_version(tmp_path):
    """A process with a bpftrace child running the previous version's program, which names its parent's pid."""
    child = executable(tmp_path, "bpftrace", "#!/bin/sh\nsleep 300 &\nwait\n")
    process = subprocess.Popen([sys.executable, "-c", LEGACY_TRACER, child, syscall_trace.bpftrace_program([], 0)],
                               start_new_session=True)
    children = "/proc/%d/task/%d/children" % (process.pid, process.pid)
    # Until the child has run the stand-in (not only been forked), its cmdline is its parent's, then empty.
    argv = [child, "-e", syscall_trace.bpftrace_program([], process.pid)]
    try:
        deadline = time.time() + 10
        while not any(cmdline(pid)[-3:] == argv for pid in open(children).read().split()) and time.time() < deadline:
            time.sleep(0.01)
        yield process
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # its bpftrace stand-in outlives it
        process.wait()


def test_a_tracer_of_the_previous_version_is_still_stopped(node, tmp_path, tracer_of_the_previous_version):
    (node / "trace" / "tracer.pid").write_text("%d\n" % tracer_of_the_previous_version.pid)
    result = trace(node, tmp_path, state="stopped")
    assert not result.get("failed"), result
    assert result["changed"] and "stale_pid_file" not in result
    assert tracer_of_the_previous_version.wait(timeout=10) == -signal.SIGTERM
    assert not (node / "trace" / "tracer.pid").exists()


def test_a_running_tracer_is_recognised_by_what_it_recorded(node, tmp_path, unrelated):
    """The identity in a pid file of this version is enough: started leaves it running, stopped ends it."""
    record = dict(syscall_trace.process_identity(unrelated.pid), tracer=TRACER)
    (node / "trace" / "tracer.pid").write_text(json.dumps(record))
    started = trace(node, tmp_path, state="started", bpftrace="/nonexistent/bpftrace")
    assert not started.get("failed") and not started["changed"] and started["pid"] == unrelated.pid, started
    stopped = trace(node, tmp_path, state="stopped")
    assert not stopped.get("failed") and stopped["changed"], stopped
    assert unrelated.wait(timeout=10) == -signal.SIGTERM


# --- pid files that are no pid file of ours: refused, nothing signalled or removed ---

PID_FILES = [
    pytest.param("-1\n", ["tracer.pid", "pid", "-1"], "stopped", id="minus-one-every-process"),
    pytest.param("-1\n", ["tracer.pid", "pid", "-1"], "started", id="minus-one-started"),
    pytest.param("tracer is running\n", ["tracer.pid", "not JSON"], "collected", id="words"),
    pytest.param(b"\xff\xfe1\n", ["tracer.pid", "UTF-8"], "stopped", id="not-utf8"),
]


@pytest.mark.parametrize("content,words,state_", PID_FILES)
def test_a_pid_file_that_is_not_ours_is_refused(node, tmp_path, content, words, state_):
    """Every other kind of pid file is in test_syscall_trace_records."""
    path = node / "trace" / "tracer.pid"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    before = snapshot(node)
    # Check mode: the code before this fix sent SIGTERM to pid -1 (every process) outside it.
    result = trace(node, tmp_path, state=state_, _ansible_check_mode=True)
    assert_refused(result, *words)
    assert before == snapshot(node)


# --- odd files where the module reads and writes ---

def make_fifo(path):
    os.mkfifo(str(path))


def make_dir(path):
    path.mkdir()


def make_unreadable(path):
    path.write_text("{}")
    path.chmod(0)


def make_link_elsewhere(path):
    os.symlink("/etc/hostname", str(path))


def make_big(path):
    path.write_bytes(b" " * (5 * 1024 * 1024))


ODD = [("fifo", make_fifo, "not a regular file"), ("directory", make_dir, "directory"),
       ("unreadable", make_unreadable, "not readable"), ("symlink-elsewhere", make_link_elsewhere, "symlink")]


ODD_STATE_FILES = [pytest.param("tracer.pid", make_fifo, "not a regular file", id="pid-file-fifo"),
                   pytest.param("tracer.pid", make_link_elsewhere, "symlink", id="pid-file-symlink-elsewhere"),
                   pytest.param("tracer.json", make_dir, "directory", id="state-file-directory"),
                   pytest.param("tracer.json", make_unreadable, "not readable", id="state-file-unreadable")]


@pytest.mark.parametrize("name,make,words", ODD_STATE_FILES)
def test_an_odd_file_in_state_dir_is_refused(node, tmp_path, name, make, words):
    path = node / "trace" / name
    if path.exists():
        path.unlink()
    make(path)
    before = snapshot(node)
    result = trace(node, tmp_path, state="stopped")
    assert_refused(result, name, words)
    assert before == snapshot(node)


# --- 2. a corrupt state file is no "no trace" ---

STATES = [
    pytest.param("{entries: []", ["tracer.json", "not JSON"], "collected", id="not-json"),
    pytest.param(json.dumps(state(entries=[entry(syscall_nr="39")])), ["tracer.json", "entries[0].syscall_nr", "'39'"],
                 "collected", id="syscall-as-string"),
    pytest.param("", ["tracer.json", "empty"], "stopped", id="empty-stopped"),
]


@pytest.mark.parametrize("content,words,state_", STATES)
def test_a_corrupt_state_file_is_refused(node, tmp_path, content, words, state_):
    """Every other kind of corrupt state is in test_syscall_trace_records."""
    (node / "trace" / "tracer.json").write_bytes(content.encode())
    before = snapshot(node)
    result = trace(node, tmp_path, state=state_)
    assert_refused(result, *words)
    assert before == snapshot(node)


def test_a_link_where_bpftrace_errors_go_is_not_written_through(node, tmp_path):
    (node / "elsewhere").write_text("keep me\n")
    os.symlink("../elsewhere", str(node / "trace" / "tracer.json.stderr"))
    before = snapshot(node)
    result = trace(node, tmp_path, state="started", bpftrace=executable(tmp_path, "bpftrace", "#!/bin/sh\nexit 1\n"))
    assert_refused(result, "tracer.json.stderr", "symlink")
    assert before == snapshot(node)


def test_a_corrupt_state_file_is_not_replaced_by_a_new_trace(node, tmp_path):
    (node / "trace" / "tracer.json").write_text("{entries: []")
    before = snapshot(node)
    result = trace(node, tmp_path, state="started", bpftrace=str(tmp_path / "no-bpftrace"))
    assert_refused(result, "tracer.json", "not JSON")
    assert before == snapshot(node)


# --- 3. a profile that cannot judge a call ---

PROFILES = [
    pytest.param(json.dumps({"syscalls": PROFILE["syscalls"]}), ["profile.json", "defaultAction", "missing"],
                 id="no-default-action"),
    pytest.param(json.dumps(dict(PROFILE, syscalls=[{"names": "ptrace", "action": "SCMP_ACT_ALLOW"}])),
                 ["profile.json", "syscalls[0].names", "'ptrace'"], id="names-a-string"),
    pytest.param(json.dumps(dict(PROFILE, syscalls=[dict(PROFILE["syscalls"][0], includes={"caps": ["CAP_SYS_ADMIN"]})])),
                 ["profile.json", "syscalls[0].includes"], id="moby-includes"),
]


@pytest.mark.parametrize("content,words", PROFILES)
def test_a_profile_that_cannot_judge_is_refused(node, tmp_path, content, words):
    """Every other kind of profile that cannot judge is in test_syscall_trace_records."""
    (node / "profile.json").write_text(content)
    before = snapshot(node)
    result = trace(node, tmp_path)
    assert_refused(result, *words)
    assert before == snapshot(node)


ODD_PROFILES = [ODD[0], ODD[2], ("oversized", make_big, "larger")]


@pytest.mark.parametrize("make,words", [case[1:] for case in ODD_PROFILES], ids=[case[0] for case in ODD_PROFILES])
def test_an_odd_profile_file_is_refused(node, tmp_path, make, words):
    path = node / "odd.json"
    make(path)
    before = snapshot(node)
    result = trace(node, tmp_path, profile=str(path))
    assert_refused(result, "odd.json", words)
    assert before == snapshot(node)


def test_a_profile_through_a_file_is_refused(node, tmp_path):
    before = snapshot(node)
    result = trace(node, tmp_path, profile=str(node / "profile.json" / "default.json"))
    assert_refused(result, "profile.json/default.json", "not a directory")
    assert before == snapshot(node)


@pytest.mark.parametrize("where,state_", [("a-file", "started"), ("through-a-file", "stopped")])
def test_a_state_dir_that_is_no_directory_is_refused(node, tmp_path, where, state_):
    state_dir = node / "profile.json" if where == "a-file" else node / "profile.json" / "trace"
    before = snapshot(node)
    result = trace(node, tmp_path, state=state_, state_dir=str(state_dir), bpftrace=str(tmp_path / "no-bpftrace"))
    assert_refused(result, str(state_dir) if where == "a-file" else "profile.json/trace", "not a directory")
    assert before == snapshot(node)


def test_a_bpftrace_that_is_a_directory_is_refused(node, tmp_path):
    (node / "trace" / "tracer.json").unlink()
    before = snapshot(node)
    result = trace(node, tmp_path, state="started", bpftrace=str(node / "trace"))
    assert_refused(result, "bpftrace", "not an executable file")
    assert before == snapshot(node)
