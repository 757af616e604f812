"""audit_window given broken input: the options, the profile, the tracer's files, the cursor file and crictl's whole
listing are checked before anything is started, stopped, restarted or written, so a bad one fails the task naming the
field or the file, and the tree is byte-for-byte as it was - no tracer started, no container stopped (crictl is a
stand-in that records any stop: tests/lib/fuzz_crictl), no cursor written.

A tracer is faked as in test_syscall_trace_bad_input: a pid file with the identity of a `sleep`, which the module
takes for a running tracer (and must leave alive when it refuses). Complain mode reads a syslog file only, so that
the tests do not depend on the host's kernel log. The module runs as Ansible runs it (tests/lib/badinput).
"""

import json

import pytest

from ansible_collections.k8s.seccomp_default.plugins.module_utils import libseccomp, syscall_trace
from lib import fake_tracer
from lib.fake_tracer import TRACER, trace_state
from lib.badinput import assert_refused, run_module, snapshot, warnings_of
from lib.fuzz_crictl import APP_ID, BAD_PS, PS, POD_UID, stand_in, text

pytestmark = pytest.mark.skipif(libseccomp.library() is None, reason="needs the system libseccomp")

ENDPOINT = "unix:///run/containerd/containerd.sock"
WANTED = [{"namespace": "shop", "pod": "web-7d9f8-x2x1", "container": "app"}]
PROFILE = {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW"}]}
RECORD = ('Nov 23 10:00:01 node-1 kernel: [20508.45] audit: type=1326 audit(1795444107.816:%d): auid=4294967295 uid=0 '
          'gid=0 ses=4294967295 pid=4194303 comm="unshare" exe="/bin/busybox" sig=0 arch=c000003e syscall=272 compat=0 '
          'ip=0x4815c7 code=0x7ffc0000\n')


@pytest.fixture
def node(tmp_path):
    """tmp_path/node: the profile, a crictl stand-in, the rollout's state directory and a syslog file."""
    root = tmp_path / "node"
    (root / "state").mkdir(parents=True)
    (root / "profile.json").write_text(json.dumps(PROFILE))
    (root / "kern.log").write_text(RECORD % 1)
    stand_in(root / "bin", ps=(text(PS).encode(), 0, ""))
    return root


def window(node, tmp_path, state, mode, **args):
    options = dict(state=state, mode=mode, profile=str(node / "profile.json"), state_dir=str(node / "state"),
                   crictl=str(node / "bin" / "crictl"), runtime_endpoint=ENDPOINT, sources=["syslog"],
                   syslog_log=str(node / "kern.log"), bpftrace=str(node / "no-bpftrace"), timeout=5)
    options.update(args)
    return run_module("audit_window", options, tmp_path)


def refused_unchanged(node, tmp_path, state, mode, words, ps=None, **args):
    """The task fails naming ``words`` (crictl answering ``ps`` to `crictl ps`), and the node's tree - the tracer's
    files, the cursor, crictl's stop and rm records - is as it was."""
    if ps is not None:
        stand_in(node / "bin", ps=ps)
    before = snapshot(node)
    result = window(node, tmp_path, state, mode, **args)
    assert_refused(result, *words)
    assert snapshot(node) == before, "something was started, stopped or written"
    return result


@pytest.fixture
def tracer(node):
    """A process the module takes for a running tracer (its identity in the pid file), with a saved state."""
    process = fake_tracer.start(node / "state")
    yield process
    process.kill()
    process.wait()


# --- options and containers: nothing starts ---

@pytest.mark.parametrize("mode", ["observe", "complain"])
@pytest.mark.parametrize("args, words", [
    (dict(containers=[{"namspace": "shop", "pod": "web-7d9f8-x2x1", "container": "app"}]), ["containers[0]", "namspace", "keys among"]),
    (dict(containers=[{"pod": "web-7d9f8-x2x1", "container": ["app"]}]), ["containers[0].container", "is not a string"]),
    (dict(containers=WANTED + [{"pod_uid": POD_UID}]), ["containers[1]", "needs container"]),
    (dict(containers=WANTED, timeout=0), ["timeout", "at least 1 second"]),
    (dict(state_dir="{node}/profile.json"), ["profile.json", "not a directory", "option state_dir"]),
], ids=["misspelt-key", "container-a-list", "second-item-without-container", "timeout", "state-dir-a-file"])
def test_a_bad_option_starts_nothing_and_names_it(node, tmp_path, mode, args, words):
    args = dict((key, value.replace("{node}", str(node)) if isinstance(value, str) else value) for key, value in args.items())
    refused_unchanged(node, tmp_path, "started", mode, words, **args)


@pytest.mark.parametrize("args, words", [
    (dict(max_entries=0), ["max_entries", "1 or more"]),
    (dict(sources=["kmesg"]), ["sources", "kmesg"]),
    (dict(mode="complaint"), ["mode", "complaint"]),
], ids=["max-entries", "unknown-source", "unknown-mode"])
def test_a_bad_scan_option_sets_no_cursor(node, tmp_path, args, words):
    args = dict(dict(mode="complain"), **args)
    refused_unchanged(node, tmp_path, "started", args.pop("mode"), words, **args)


def test_without_the_required_options_nothing_runs(node, tmp_path):
    result = run_module("audit_window", dict(state="started", state_dir=str(node / "state")), tmp_path)
    assert_refused(result, "mode", "profile")


@pytest.mark.parametrize("case", sorted(BAD_PS))
def test_a_broken_listing_starts_no_tracer_and_stops_nothing(node, tmp_path, case):
    out, rc, err, words = BAD_PS[case]
    refused_unchanged(node, tmp_path, "started", "observe", ["crictl --runtime-endpoint %s ps -a" % ENDPOINT] + words,
                      ps=(out, rc, err), containers=WANTED, bpftrace=str(node / "bin" / "crictl"))


def test_a_crictl_that_is_not_there_is_named_before_the_tracer_starts(node, tmp_path):
    refused_unchanged(node, tmp_path, "started", "observe", ["crictl", "not an executable file", "option crictl"],
                      containers=WANTED, crictl=str(node / "state"), bpftrace=str(node / "bin" / "crictl"))


# --- the tracer's files and the profile ---

@pytest.mark.parametrize("state", ["started", "stopped"])
@pytest.mark.parametrize("setup, words", [
    (lambda node: (node / "profile.json").unlink(), ["profile.json", "does not exist"]),
    (lambda node: (node / "profile.json").write_text(json.dumps({"syscalls": []})), ["profile.json", "defaultAction"]),
    (lambda node: ((node / "state" / "trace").mkdir(), (node / "state" / "trace" / "tracer.pid").write_text("-1\n")),
     ["tracer.pid", "pid", "-1"]),
    (lambda node: ((node / "state" / "trace").mkdir(), (node / "state" / "trace" / "tracer.json").write_text("{entries")),
     ["tracer.json", "not JSON"]),
    (lambda node: (node / "state" / "trace").write_text(""), ["trace", "not a directory", "option state_dir"]),
], ids=["no-profile", "profile-without-default-action", "pid-file-minus-one", "state-not-json", "trace-dir-a-file"])
def test_observe_mode_refuses_tracer_files_it_cannot_use(node, tmp_path, state, setup, words):
    setup(node)
    refused_unchanged(node, tmp_path, state, "observe", words, containers=WANTED)


def test_observe_mode_refuses_a_bpftrace_that_is_not_there(node, tmp_path):
    refused_unchanged(node, tmp_path, "started", "observe", ["bpftrace", "not an executable file", "seccomp_bpftrace"],
                      containers=WANTED, bpftrace=str(node / "state"))


def test_observe_mode_refuses_to_stop_when_there_is_no_trace(node, tmp_path):
    refused_unchanged(node, tmp_path, "stopped", "observe", ["trace", "holds no trace"])


def test_complain_mode_goes_on_without_a_tracer_that_cannot_start(node, tmp_path):
    """Best effort: a warning and trace.error, the cursor set; nothing of the tracer's is written."""
    (node / "profile.json").unlink()
    result = window(node, tmp_path, "started", "complain")
    assert not result.get("failed"), result
    assert result["trace"]["running"] is False and "profile.json" in result["trace"]["error"]
    assert any("complain mode goes on without it" in text for text in warnings_of(result)), result
    assert result["cursor"]["cursor_file"] == str(node / "state" / "audit-scan" / "audit.json")
    assert (node / "state" / "audit-scan" / "audit.json").exists()
    assert not (node / "state" / "trace").exists()
    assert result["restarted"] == [] and result["changed"] is True


def test_complain_mode_refuses_a_cursor_that_is_a_directory_and_starts_no_tracer(node, tmp_path):
    (node / "state" / "audit-scan" / "audit.json").mkdir(parents=True)
    refused_unchanged(node, tmp_path, "started", "complain", ["audit.json", "is a directory"],
                      bpftrace=str(node / "bin" / "crictl"))


# --- stopping: nothing is stopped when a check fails ---

@pytest.mark.parametrize("mode", ["observe", "complain"])
def test_a_broken_listing_stops_no_tracer(node, tmp_path, tracer, mode):
    out, rc, err, words = BAD_PS["rc-1-with-stderr"]
    refused_unchanged(node, tmp_path, "stopped", mode, words, ps=(out, rc, err))
    assert tracer.poll() is None, "the tracer was stopped"


@pytest.mark.parametrize("content, words", [
    ("{\"syslog:", ["audit.json", "is not JSON", "reset: true"]),
    (json.dumps({"syslog:x": "end"}), ["audit.json", "syslog:x", "inode and offset"]),
], ids=["not-json", "cursor-a-string"])
def test_a_broken_cursor_file_stops_no_tracer(node, tmp_path, tracer, content, words):
    (node / "state" / "audit-scan").mkdir()
    (node / "state" / "audit-scan" / "audit.json").write_text(content)
    refused_unchanged(node, tmp_path, "stopped", "complain", words)
    assert tracer.poll() is None, "the tracer was stopped"


def test_an_owners_file_that_is_not_the_tracers_stops_no_tracer(node, tmp_path, tracer):
    (node / "state" / "trace" / "tracer.json").write_text(json.dumps(trace_state(processes={"12": {"seen": "now"}})))
    refused_unchanged(node, tmp_path, "stopped", "complain", ["tracer.json", "processes.12"])
    assert tracer.poll() is None, "the tracer was stopped"


# --- what comes back ---

def test_check_mode_plans_the_restart_and_starts_nothing(node, tmp_path):
    before = snapshot(node)
    result = window(node, tmp_path, "started", "observe", containers=WANTED, bpftrace=str(node / "bin" / "crictl"),
                    _ansible_check_mode=True)
    assert not result.get("failed"), result
    assert [entry["old_id"] for entry in result["restarted"]] == [APP_ID]
    assert result["trace"] == dict(running=False, changed=True) and result["changed"] is True
    assert snapshot(node) == before


def test_a_running_tracer_is_kept_at_start_and_stopped_and_judged_at_the_end(node, tmp_path, tracer):
    started = window(node, tmp_path, "started", "observe")
    assert not started.get("failed"), started
    assert started["trace"] == dict(running=True, changed=False, pid=tracer.pid) and started["changed"] is False
    stopped = window(node, tmp_path, "stopped", "observe")
    assert not stopped.get("failed"), stopped
    assert tracer.wait(timeout=10) < 0, "the tracer was not signalled"
    assert stopped["changed"] and stopped["running"] is False
    assert [(entry["syscall"], entry["pod"], entry["verdict"]) for entry in stopped["entries"]] == [
        ("getpid", "web-7d9f8-x2x1", "allowed")]
    assert stopped["blocked"] == [] and stopped["lines"] == 3 and stopped["seconds"] == 60.0
    assert not (node / "state" / "trace" / "tracer.pid").exists()


def test_complain_mode_stops_the_tracer_and_attributes_records_with_what_it_saw(node, tmp_path, tracer):
    (node / "state" / "audit-scan").mkdir()
    started = window(node, tmp_path, "started", "complain")  # the cursor at the end of kern.log
    assert not started.get("failed"), started
    with open(str(node / "kern.log"), "a") as handle:
        handle.write(RECORD % 2)
    result = window(node, tmp_path, "stopped", "complain")
    assert not result.get("failed"), result
    assert tracer.wait(timeout=10) < 0, "the tracer was not signalled"
    assert result["records"] == 1 and result["complete"] is True
    assert [(entry["pod"], entry["container"], entry["syscall"]) for entry in result["entries"]] == [
        ("web-7d9f8-x2x1", "app", "unshare")]
    assert result["trace"]["lines"] == 3 and result["trace"]["blocked"] == [] and result["trace"]["running"] is False
    assert result["cursor_file"] == str(node / "state" / "audit-scan" / "audit.json")


def test_complain_mode_stops_without_a_tracer(node, tmp_path):
    result = window(node, tmp_path, "stopped", "complain")
    assert not result.get("failed"), result
    assert result["trace"] == dict(changed=False, running=False)
    assert result["records"] == 0 and "entries" in result and "throttling" in result


def test_a_stale_pid_file_is_removed_at_the_end_and_no_process_signalled(node, tmp_path, tracer):
    record = dict(syscall_trace.process_identity(tracer.pid), tracer=TRACER)
    (node / "state" / "trace" / "tracer.pid").write_text(json.dumps(dict(record, start_time=record["start_time"] + 1)))
    result = window(node, tmp_path, "stopped", "observe")
    assert not result.get("failed"), result
    assert tracer.poll() is None, "an unrelated process was signalled"
    assert result["stale_pid_file"] and any("stale" in text for text in warnings_of(result))
    assert not (node / "state" / "trace" / "tracer.pid").exists()


# --- the decision on the node (pods) ---

def pods(container_context=None):
    """The kubelet's /pods with the app container of the crictl sample (RuntimeDefault once seccompDefault is on)."""
    container = dict({"name": "app"}, **({"securityContext": container_context} if container_context else {}))
    return {"apiVersion": "v1", "kind": "PodList", "items": [
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-7d9f8-x2x1", "namespace": "shop", "uid": POD_UID},
         "spec": {"nodeName": "node-1", "containers": [container]}}]}


def test_complain_mode_decides_on_the_node_a_call_that_would_be_blocked_holds_the_workload(node, tmp_path, tracer):
    (node / "state" / "audit-scan").mkdir()
    assert not window(node, tmp_path, "started", "complain").get("failed")
    with open(str(node / "kern.log"), "a") as handle:
        handle.write(RECORD % 2)
    result = window(node, tmp_path, "stopped", "complain", pods=pods())
    assert not result.get("failed"), result
    decision = result["decision"]
    assert decision["passed"] is False and decision["complete"] is True
    assert [(w["namespace"], w["pod"], w["container"], w["syscalls"]) for w in decision["workloads"]] == [
        ("shop", "web-7d9f8-x2x1", "app", ["unshare"])]


def test_a_container_that_keeps_its_profile_does_not_hold_the_node(node, tmp_path, tracer):
    (node / "state" / "audit-scan").mkdir()
    assert not window(node, tmp_path, "started", "complain").get("failed")
    with open(str(node / "kern.log"), "a") as handle:
        handle.write(RECORD % 2)
    result = window(node, tmp_path, "stopped", "complain", pods=pods({"privileged": True}))
    assert not result.get("failed"), result
    assert result["decision"]["passed"] is True and result["decision"]["workloads"] == []
    assert [finding["reason"] for finding in result["decision"]["apart"]] == ["privileged: stays Unconfined"]


@pytest.mark.parametrize("mode", ["observe", "complain"])
def test_a_bad_pod_list_stops_no_tracer_and_names_it(node, tmp_path, tracer, mode):
    refused_unchanged(node, tmp_path, "stopped", mode, ["items", "nope"], pods={"kind": "PodList", "items": "nope"})
    assert tracer.poll() is None, "the tracer was stopped"


def test_without_pods_there_is_no_decision(node, tmp_path):
    result = window(node, tmp_path, "stopped", "complain")
    assert not result.get("failed"), result
    assert "decision" not in result
