"""syscall_trace's records read in-process, case by case: pid files, state files, profiles and bpftrace's lines.

The module-level cases (a real run, as Ansible does it) are in test_syscall_trace_bad_input; here every kind of
broken record is handed to the one reader the module uses for it, which must refuse it with an InputError
naming the file, the field and the value, and change nothing on disk.
"""

import json
import os
import signal

import pytest

from ansible_collections.k8s.seccomp_default.plugins.module_utils import syscall_trace
from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError
from ansible_collections.k8s.seccomp_default.plugins.modules import syscall_trace as module
from lib.processes import running
from lib.badinput import snapshot

TRACER = "k8s.seccomp_default.syscall_trace"  # the pid file says which program wrote it
PROFILE = {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW"}]}


def entry(**fields):
    return dict(dict(attribution="container", container_id="c" * 64, pod_uid="0b5e", exe="/bin/true", comm="true",
                     syscall_nr=39, arg0=None, processes=1, first=1000.5, last=1001.0), **fields)


def state(**fields):
    return dict(dict(started=1000.0, saved=1060.0, running=False, error=None, lines=3, entries=[entry()],
                     processes={"12": dict(attribution="container", container_id="c" * 64, pod_uid="0b5e",
                                           exe="/bin/true", seen=1000.5)}), **fields)


def pid_record(**fields):
    return json.dumps(dict(dict(tracer=TRACER, pid=4242, start_time=1, boot_id=None, exe=None, cmdline=[]), **fields))


def refused(reader, path, *words):
    """``reader(path)`` raises an InputError naming each of ``words``, and the directory is as it was."""
    before = snapshot(os.path.dirname(str(path)))
    with pytest.raises(InputError) as caught:
        reader(str(path))
    message = str(caught.value)
    for word in words:
        assert str(word) in message, "%r not in %s" % (word, message)
    assert before == snapshot(os.path.dirname(str(path)))
    return message


def write(path, content):
    path.write_bytes(content if isinstance(content, bytes) else content.encode())


# --- pid files ---

PID_FILES = [
    ("minus-one-every-process", "-1\n", ["tracer.pid", "-1"]),
    ("zero-process-group", "0\n", ["tracer.pid", "pid", "0"]),
    ("beyond-pid-max", "99999999\n", ["tracer.pid", "pid", "99999999"]),
    ("thousands-of-digits", "9" * 5000, ["tracer.pid", "not JSON"]),
    ("superscript-digit", "\u00b2\n", ["tracer.pid", "not JSON"]),
    ("words", "tracer is running\n", ["tracer.pid", "not JSON"]),
    ("empty", "", ["tracer.pid", "empty"]),
    ("not-utf8", b"\xff\xfe1\n", ["tracer.pid", "UTF-8"]),
    ("a-list", "[4242]", ["tracer.pid", "tracer", "[4242]"]),
    ("another-programs-json", json.dumps(dict(pid=4242)), ["tracer.pid", "tracer"]),
    ("pid-as-string", pid_record(pid="4242"), ["tracer.pid", "pid", "'4242'"]),
    ("pid-negative", pid_record(pid=-1), ["tracer.pid", "pid", "-1"]),
    ("pid-boolean", pid_record(pid=True), ["tracer.pid", "pid", "True"]),
    ("start-time-missing", pid_record(start_time=None), ["tracer.pid", "start_time", "found null"]),
    ("cmdline-a-string", pid_record(cmdline="bpftrace"), ["tracer.pid", "cmdline", "'bpftrace'"]),
    ("cmdline-a-number", pid_record(cmdline=["python", 3]), ["tracer.pid", "cmdline[]", "3"]),
    ("unknown-field", pid_record(signal=9), ["tracer.pid", "signal"]),
]


@pytest.mark.parametrize("content,words", [case[1:] for case in PID_FILES], ids=[case[0] for case in PID_FILES])
def test_a_pid_file_that_is_not_ours_is_refused(tmp_path, content, words):
    write(tmp_path / "tracer.pid", content)
    refused(read_pid_file, tmp_path / "tracer.pid", *words)


@pytest.mark.parametrize("content,pid", [("4242\n", 4242), (" 17 ", 17)])
def test_a_pid_file_of_the_previous_version_is_read_as_legacy(tmp_path, content, pid):
    write(tmp_path / "tracer.pid", content)
    assert syscall_trace.read_pid_file(str(tmp_path / "tracer.pid")) == dict(pid=pid, legacy=True)


@pytest.fixture
def sleeper():
    process = running(["sleep", "300"])
    yield process
    process.kill()
    process.wait()


def test_a_process_is_not_signalled_when_it_is_not_the_one_recorded(sleeper):
    identity = syscall_trace.process_identity(sleeper.pid)
    for changed in (dict(start_time=identity["start_time"] + 1), dict(exe="/usr/bin/bpftrace"), dict(cmdline=["x"])):
        assert not syscall_trace.signal_tracer(dict(identity, **changed), signal.SIGTERM)
    assert syscall_trace.check_tracer(dict(pid=sleeper.pid, legacy=True))[0] is None
    assert sleeper.poll() is None
    assert syscall_trace.signal_tracer(identity, signal.SIGTERM)
    assert sleeper.wait(timeout=10) == -signal.SIGTERM


def test_a_process_that_is_gone_is_stale(sleeper):
    identity = syscall_trace.process_identity(sleeper.pid)
    sleeper.kill()
    sleeper.wait()
    assert syscall_trace.check_tracer(dict(identity, tracer=TRACER)) == (None, "no process %d runs any more" % sleeper.pid)
    assert not syscall_trace.signal_tracer(identity, signal.SIGTERM)


def test_the_tracer_records_what_identifies_it():
    record = syscall_trace.tracer_record()
    assert record["pid"] == os.getpid() and record["tracer"] == TRACER
    assert record["start_time"] > 0 and record["cmdline"] and record["exe"]
    assert syscall_trace.check_tracer(record) == (syscall_trace.process_identity(os.getpid()), None)


# --- state files ---

STATES = [
    ("not-json", "{entries: []", ["tracer.json", "not JSON"]),
    ("empty", "", ["tracer.json", "empty"]),
    ("a-list", "[]", ["tracer.json", "mapping"]),
    ("not-utf8", b'{"entries": ["\xff"]}', ["tracer.json", "UTF-8"]),
    ("entries-missing", json.dumps(dict((k, v) for k, v in state().items() if k != "entries")), ["tracer.json", "entries", "missing"]),
    ("entries-a-mapping", json.dumps(state(entries={})), ["tracer.json", "entries", "list"]),
    ("entry-a-string", json.dumps(state(entries=["getpid"])), ["tracer.json", "entries[0]", "getpid"]),
    ("syscall-as-string", json.dumps(state(entries=[entry(syscall_nr="39")])), ["tracer.json", "entries[0].syscall_nr", "'39'"]),
    ("syscall-missing", json.dumps(state(entries=[{"exe": "/bin/true"}])), ["tracer.json", "entries[0].syscall_nr", "missing"]),
    ("syscall-beyond-64-bits", json.dumps(state(entries=[entry(syscall_nr=2 ** 70)])), ["tracer.json", "entries[0].syscall_nr", "range"]),
    ("arg0-a-list", json.dumps(state(entries=[entry(arg0=[1])])), ["tracer.json", "entries[0].arg0", "[1]"]),
    ("container-id-a-number", json.dumps(state(entries=[entry(container_id=7)])), ["tracer.json", "entries[0].container_id", "7"]),
    ("entry-unknown-field", json.dumps(state(entries=[entry(verdict="allowed")])), ["tracer.json", "entries[0].verdict"]),
    ("running-as-string", json.dumps(state(running="no")), ["tracer.json", "running", "'no'"]),
    ("started-as-string", json.dumps(state(started="yesterday")), ["tracer.json", "started", "'yesterday'"]),
    ("saved-not-a-number", json.dumps(state(saved=float("nan"))), ["tracer.json", "not JSON", "NaN"]),
    ("saved-infinite", json.dumps(state()).replace('"saved": 1060.0', '"saved": 1e999'), ["tracer.json", "saved", "finite"]),
    ("error-a-mapping", json.dumps(state(error={"code": 1})), ["tracer.json", "error"]),
    ("unknown-field", json.dumps(state(verdicts="all allowed")), ["tracer.json", "verdicts"]),
    ("processes-a-list", json.dumps(state(processes=[])), ["tracer.json", "processes", "mapping"]),
    ("process-pid-not-a-number", json.dumps(state(processes={"x": {}})), ["tracer.json", "processes", "'x'"]),
    ("process-a-string", json.dumps(state(processes={"12": "runc"})), ["tracer.json", "processes.12", "'runc'"]),
    ("huge-number", '{"started": 1%s}' % ("0" * 5000), ["tracer.json", "not JSON"]),
    ("nested-deep", "[" * 100000, ["tracer.json", "not JSON"]),
]


@pytest.mark.parametrize("content,words", [case[1:] for case in STATES], ids=[case[0] for case in STATES])
def test_a_corrupt_state_file_is_refused(tmp_path, content, words):
    write(tmp_path / "tracer.json", content)
    refused(syscall_trace.read_state, tmp_path / "tracer.json", *words)


def test_state_files_of_every_version_are_read(tmp_path):
    """Before 0.4 the state had no processes, and running tracers keep one written by the version that started them."""
    older = dict((k, v) for k, v in state().items() if k != "processes")
    for content in (state(), older, state(entries=[], error="bpftrace stopped: ERROR")):
        write(tmp_path / "tracer.json", json.dumps(content))
        assert syscall_trace.read_state(str(tmp_path / "tracer.json")) == content
    assert syscall_trace.read_state(str(tmp_path / "absent.json")) is None


def make_fifo(path):
    os.mkfifo(str(path))


def make_dir(path):
    path.mkdir()


def make_link_elsewhere(path):
    os.symlink("/etc/hostname", str(path))


def make_link_to_a_good_file(path):
    write(path.parent / "elsewhere.json", json.dumps(state()))
    os.symlink("elsewhere.json", str(path))


ODD = [("fifo", make_fifo, "not a regular file"), ("directory", make_dir, "directory"),
       ("symlink-elsewhere", make_link_elsewhere, "symlink"), ("symlink-to-a-good-state", make_link_to_a_good_file, "symlink")]


def read_pid_file(path):
    return syscall_trace.read_pid_file(path)


def read_own_state(path):
    return syscall_trace.read_state(path, own=True)


@pytest.mark.parametrize("reader,name", [(read_pid_file, "tracer.pid"), (read_own_state, "tracer.json")],
                         ids=["pid-file", "state-file"])
@pytest.mark.parametrize("make,words", [case[1:] for case in ODD], ids=[case[0] for case in ODD])
def test_an_odd_file_where_the_tracer_keeps_its_own_is_refused(tmp_path, reader, name, make, words):
    make(tmp_path / name)
    refused(reader, tmp_path / name, name, words)


def test_a_state_file_read_elsewhere_may_be_a_link(tmp_path):
    """audit_scan's owners_from only reads the state: a link to a copy of it is fine there."""
    make_link_to_a_good_file(tmp_path / "tracer.json")
    assert syscall_trace.read_state(str(tmp_path / "tracer.json")) == state()
    make_dir(tmp_path / "dir.json")
    refused(syscall_trace.read_state, tmp_path / "dir.json", "dir.json", "directory")


def test_a_state_file_through_a_file_is_refused(tmp_path):
    write(tmp_path / "trace", "")
    refused(syscall_trace.read_state, tmp_path / "trace" / "tracer.json", "trace/tracer.json", "not a directory")


# --- profiles ---

def profile_with(**fields):
    return json.dumps(dict(PROFILE, **fields))


def rule(**fields):
    return profile_with(syscalls=[dict(PROFILE["syscalls"][0], **fields)])


PROFILES = [
    ("no-default-action", json.dumps({"syscalls": PROFILE["syscalls"]}), ["profile.json", "defaultAction", "missing"]),
    ("default-action-not-an-action", profile_with(defaultAction="ALLOW"), ["profile.json", "defaultAction", "'ALLOW'", "SCMP_ACT_ERRNO"]),
    ("default-action-a-list", profile_with(defaultAction=["SCMP_ACT_ERRNO"]), ["profile.json", "defaultAction", "list"]),
    ("default-action-null", profile_with(defaultAction=None), ["profile.json", "defaultAction", "null"]),
    ("a-list", json.dumps([PROFILE]), ["profile.json", "JSON object"]),
    ("a-string", json.dumps("SCMP_ACT_ERRNO"), ["profile.json", "JSON object"]),
    ("syscalls-a-string", profile_with(syscalls="getpid"), ["profile.json", "syscalls", "'getpid'"]),
    ("rule-a-string", profile_with(syscalls=["getpid"]), ["profile.json", "syscalls[0]", "'getpid'"]),
    ("names-a-string", rule(names="ptrace"), ["profile.json", "syscalls[0].names", "'ptrace'"]),
    ("names-empty", rule(names=[]), ["profile.json", "syscalls[0].names"]),
    ("names-with-a-number", rule(names=["getpid", 39]), ["profile.json", "syscalls[0].names"]),
    ("action-missing", json.dumps(dict(PROFILE, syscalls=[{"names": ["getpid"]}])), ["profile.json", "syscalls[0].action"]),
    ("action-unknown", rule(action="SCMP_ACT_MAYBE"), ["profile.json", "syscalls[0].action", "SCMP_ACT_MAYBE"]),
    ("args-a-mapping", rule(args={"index": 0}), ["profile.json", "syscalls[0].args"]),
    ("arg-a-number", rule(args=[0]), ["profile.json", "syscalls[0].args[0]"]),
    ("arg-index-9", rule(args=[{"index": 9, "value": 1, "op": "SCMP_CMP_EQ"}]), ["profile.json", "syscalls[0].args[0].index", "9"]),
    ("arg-index-a-string", rule(args=[{"index": "0", "value": 1, "op": "SCMP_CMP_EQ"}]), ["profile.json", "args[0].index", "'0'"]),
    ("arg-op-unknown", rule(args=[{"index": 0, "value": 1, "op": "=="}]), ["profile.json", "syscalls[0].args[0].op", "'=='"]),
    ("arg-value-negative", rule(args=[{"index": 0, "value": -1, "op": "SCMP_CMP_EQ"}]), ["profile.json", "syscalls[0].args[0].value", "-1"]),
    ("arg-value-two-a-string", rule(args=[{"index": 0, "value": 1, "valueTwo": "1", "op": "SCMP_CMP_MASKED_EQ"}]),
     ["profile.json", "syscalls[0].args[0].valueTwo", "'1'"]),
    ("arg-unknown-key", rule(args=[{"index": 0, "value": 1, "op": "SCMP_CMP_EQ", "mask": 1}]), ["profile.json", "args[0].mask"]),
    ("moby-includes", rule(includes={"caps": ["CAP_SYS_ADMIN"]}), ["profile.json", "syscalls[0].includes"]),
    ("moby-arch-map", profile_with(archMap=[]), ["profile.json", "archMap"]),
    ("not-json", "{defaultAction: SCMP_ACT_ERRNO}", ["profile.json", "not JSON"]),
    ("not-utf8", b'{"defaultAction": "\xff"}', ["profile.json", "UTF-8"]),
    ("nested-deep", "[" * 100000, ["profile.json", "not JSON"]),
    ("huge-number", '{"defaultErrnoRet": 1%s}' % ("0" * 5000), ["profile.json", "not JSON"]),
]


@pytest.mark.parametrize("content,words", [case[1:] for case in PROFILES], ids=[case[0] for case in PROFILES])
def test_a_profile_that_cannot_judge_is_refused(tmp_path, content, words):
    write(tmp_path / "profile.json", content)
    refused(module.load_profile, tmp_path / "profile.json", *words)


@pytest.mark.parametrize("make,words", [(make_fifo, "not a regular file"), (make_dir, "directory"), (lambda path: None, "does not exist")],
                         ids=["fifo", "directory", "missing"])
def test_an_odd_profile_file_is_refused(tmp_path, make, words):
    make(tmp_path / "profile.json")
    refused(module.load_profile, tmp_path / "profile.json", "profile.json", words)


def test_the_shipped_profiles_can_judge():
    root = os.path.join(os.path.dirname(module.__file__), "..", "..", "profiles")
    for arch in ("x86_64", "aarch64"):
        for name in ("default.json", "default-audit.json", "audit-verbose.json"):
            path = os.path.join(root, arch, "kubernetes", name)
            if os.path.exists(path):
                assert module.load_profile(path)["defaultAction"]


# --- bpftrace's output ---

def test_bpftrace_lines_that_are_not_its_format_are_skipped(tmp_path):
    collector = syscall_trace.Collector(str(tmp_path / "state.json"), [])
    collector.owner = lambda pid, generation=0: ({"attribution": "container", "container_id": "c1"}, "/bin/busybox")
    for line in ["", "Attaching 3 probes...", "1 2 3", "x y z w comm", "9" * 5000 + " 0 0 39 0 comm",
                 "1 0 0 " + "9" * 5000 + " 0 comm", "-1 -1 -1 -1 -1 comm", "1 0 0 39 0 \udcff\x00", "1\t0\t0\t39\t0\tcomm"]:
        collector.add(line)
    collector.add("1 0 0 39 0 busybox")
    collector.save(False)
    saved = syscall_trace.read_state(str(tmp_path / "state.json"))
    # pid 1 made the call under two command names: one process
    assert [(item["syscall_nr"], item["processes"]) for item in saved["entries"]] == [(-1, 1), (39, 1)]
