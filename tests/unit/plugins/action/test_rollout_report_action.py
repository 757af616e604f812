"""rollout_report as a task runs it: the action plugin, in the Ansible worker process on the controller.

A real ansible-playbook writes the report, and nothing is shipped to or started on any host: at -vvv the task prints
no connection, no PUT and no EXEC, no AnsiballZ_rollout_report is left among the kept remote files, and the task works
delegated to a host that cannot be reached. Bad input fails with the module's own message, options are checked with
the module's argument spec, and the hosts of a batch (the forks) are serialised by the lock as the module's calls are.
"""

import fcntl
import json
import os
import sys
import threading
import time

import pytest
import yaml

from ansible_collections.k8s.seccomp_default.plugins.action import rollout_report as action
from ansible_collections.k8s.seccomp_default.plugins.module_utils import report_files
from lib.ansible_run import run_playbook, run_tasks
from lib.badinput import run_module, snapshot, warnings_of

NAME = "k8s.seccomp_default.rollout_report"
RUN = dict(id="r1", started="2026-11-23T10:00:00+00:00", stages=["feature_gate", "enforce"], serial=1, max_fail_percentage=0,
           check_mode=False, hosts=["n1", "n2"])
GATE = dict(stage="feature_gate", result="changed", check_mode=False, changed_files=[], kubelet_restarted=False)
ENFORCED = dict(stage="enforce", result="enforced", check_mode=False, changed_files=["/d/90-seccomp-default.conf"],
                containers=[dict(container="a", ok=True)], verified=1, watch_seconds=0)


def report_task(check_mode=False, **args):
    task = {NAME: args}
    if check_mode is not None:
        task["check_mode"] = check_mode
    return task


def sections(stdout):
    """{task name: what ansible-playbook printed for it} (each task's first run; -vvv output)."""
    found = {}
    for chunk in stdout.split("TASK [")[1:]:
        name, _sep, rest = chunk.partition("]")
        found.setdefault(name, rest)
    return found


def test_the_report_is_written_on_the_controller_and_no_module_is_shipped(tmp_path, monkeypatch):
    remote = tmp_path / "remote"
    monkeypatch.setenv("ANSIBLE_VERBOSITY", "3")
    monkeypatch.setenv("ANSIBLE_KEEP_REMOTE_FILES", "1")  # a module shipped would stay there as AnsiballZ_<name>.py
    monkeypatch.setenv("ANSIBLE_REMOTE_TMP", str(remote))
    report = str(tmp_path / "report")
    # The last task is delegated to a host that cannot be reached (a closed port on this machine): a module would
    # have to be shipped there; the action never connects to it.
    unreachable = {"delegate_to": "far-node",
                   "vars": {"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 9, "ansible_user": "nobody", "ansible_ssh_timeout": 2}}
    run = run_tasks(tmp_path, [
        dict(report_task(dir=report, start=RUN), name="start"),
        dict(report_task(dir=report, host="n1", batch=["n1"], records=[GATE, ENFORCED]), name="records"),
        dict(report_task(dir=report, host="n2", batch=["n2"], record=ENFORCED), name="record", **unreachable),
    ])
    started, recorded, delegated = run.results
    assert [result.get("failed") for result in run.results] == [False] * 3, run.results
    assert not started["rebuilt"] or started["totals"]["nodes"] == 2
    assert recorded["rebuilt"] and recorded["totals"]["by_status"] == {"enforced": 1, "not reached": 1}
    assert delegated["totals"] == dict(nodes=2, by_status={"enforced": 2}, failed=0, held=0)
    assert delegated["report"] == os.path.join(report, "report.json") and delegated["summary"] == os.path.join(report, "summary.md")
    assert delegated["unreadable"] == [] and delegated["changed"] is False

    assert sorted(os.listdir(os.path.join(report, "nodes"))) == ["n1.enforce.json", "n1.feature_gate.json", "n2.enforce.json"]
    n2 = json.load(open(os.path.join(report, "nodes", "n2.enforce.json")))
    assert (n2["host"], n2["stage"], n2["result"], n2["batch"]) == ("n2", "enforce", "enforced", ["n2"])
    written = json.load(open(os.path.join(report, "report.json")))
    assert written["run"]["id"] == "r1" and sorted(written["nodes"]) == ["n1", "n2"]
    assert written["totals"] == delegated["totals"]
    assert open(os.path.join(report, "summary.md")).read().startswith("# SeccompDefault rollout report\n\nRun r1")
    assert json.load(open(os.path.join(report, "run.json")))["id"] == "r1"

    # What a shipped module leaves, the task that writes the results shows (so the checks below can see one) ...
    printed = sections(run.stdout)
    assert "PUT " in printed["write registered results"] and "AnsiballZ_copy.py" in printed["write registered results"]
    kept = [name for _dir, _dirs, names in os.walk(str(remote)) for name in names]
    assert "AnsiballZ_copy.py" in kept
    # ... and rollout_report's tasks do not: no connection, no file put, no command run, no module file.
    for name in ("start", "records", "record"):
        for word in ("ESTABLISH", "PUT ", "EXEC ", "Using module file", "AnsiballZ"):
            assert word not in printed[name], (name, word, printed[name])
    assert not [name for name in kept if "rollout_report" in name], kept
    assert "AnsiballZ_rollout_report" not in run.stdout + run.stderr


def test_dir_is_expanded_on_the_controller_as_a_path_option_is(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ROLLOUT_REPORT_TEST_BASE", str(tmp_path / "base"))
    run = run_tasks(tmp_path, [report_task(dir="~/report", host="n1", record=ENFORCED),
                               report_task(dir="$ROLLOUT_REPORT_TEST_BASE/report", host="n1", record=ENFORCED)])
    home, base = run.results
    assert home["report"] == str(tmp_path / "home" / "report" / "report.json"), home
    assert base["report"] == str(tmp_path / "base" / "report" / "report.json"), base
    assert os.path.isfile(home["report"]) and os.path.isfile(base["summary"])
    assert os.listdir(str(tmp_path / "base" / "report" / "nodes")) == ["n1.enforce.json"]


def test_in_check_mode_it_is_skipped_unless_the_task_says_check_mode_false(tmp_path):
    skipped, written = str(tmp_path / "skipped"), str(tmp_path / "written")
    run = run_tasks(tmp_path, [report_task(None, dir=skipped, host="n1", record=ENFORCED),
                               report_task(False, dir=written, host="n1", record=ENFORCED),
                               report_task(None, dir=skipped, host="n1", record=dict(ENFORCED), bogus=1)], check=True)
    unchecked, checked, bad = run.results
    assert unchecked["skipped"] and not unchecked.get("failed") and not unchecked["changed"], unchecked
    assert "does not support check mode" in unchecked["msg"]
    assert not os.path.exists(skipped)
    assert not checked.get("failed") and checked["rebuilt"] and os.path.isfile(os.path.join(written, "report.json"))
    # The options are checked first, in check mode too, as AnsibleModule does.
    assert bad["failed"] and "Unsupported parameters" in bad["msg"] and "bogus" in bad["msg"]


def a_report(work):
    report = os.path.join(work, "report")
    os.makedirs(os.path.join(report, "nodes"))
    with open(os.path.join(report, "run.json"), "w") as handle:
        json.dump(RUN, handle)
    with open(os.path.join(report, "nodes", "n2.enforce.json"), "w") as handle:
        json.dump(dict(ENFORCED, host="n2", recorded_at="2026-11-23T10:01:00+00:00", batch=["n2"]), handle)
    return report


REFUSED = [
    ("record-stage-number", lambda r: dict(dir=r, host="n1", record=dict(ENFORCED, stage=3)), ["record.stage", "number 3"]),
    ("record-changed-files-string", lambda r: dict(dir=r, host="n1", record=dict(ENFORCED, changed_files="x")),
     ["record.changed_files", "string 'x'", "a list"]),
    ("records-container-ok-string", lambda r: dict(dir=r, host="n1", records=[GATE, dict(ENFORCED, containers=[dict(container="a", ok="yes")])]),
     ["records[1].containers[0].ok", "'yes'"]),
    ("host-parent-dirs", lambda r: dict(dir=r, host="../../x", record=ENFORCED), ["host", "'../../x'", "without '/'"]),
    ("start-hosts-string", lambda r: dict(dir=r, start=dict(RUN, hosts="n1")), ["start.hosts", "'n1'"]),
    ("dir-is-a-file", lambda r: dict(dir=os.path.join(r, "run.json"), host="n1", record=ENFORCED), ["run.json", "is not a directory"]),
    # What the argument spec refuses.
    ("record-and-records", lambda r: dict(dir=r, host="n1", record=ENFORCED, records=[ENFORCED]), ["mutually exclusive: record|records"]),
    ("record-without-host", lambda r: dict(dir=r, record=ENFORCED), ["missing parameter(s) required by 'record': host"]),
    ("unknown-option", lambda r: dict(dir=r, host="n1", recrod=ENFORCED), ["Unsupported parameters for (%s) module: recrod" % NAME]),
    ("records-a-string", lambda r: dict(dir=r, host="n1", records="x"), ["records", "dict"]),
    ("without-dir", lambda r: dict(host="n1", record=ENFORCED), ["missing required arguments: dir"]),
]


def test_bad_input_fails_with_the_modules_message_and_nothing_written(tmp_path):
    """Every case in one playbook; each message is the one the module itself gives for the same arguments."""
    work = str(tmp_path / "work")
    report = a_report(work)
    before = snapshot(work)
    cases = [(name, args(report), words) for name, args, words in REFUSED]
    run = run_tasks(tmp_path, [dict(report_task(**args), name=name) for name, args, _words in cases])
    assert snapshot(work) == before
    for (name, args, words), result in zip(cases, run.results):
        assert result.get("failed"), (name, result)
        for word in words:
            assert word in result["msg"], (name, word, result["msg"])
        assert "Traceback" not in result["msg"] and "this is a bug" not in result["msg"], (name, result["msg"])
        by_module = run_module("rollout_report", dict(args, _ansible_module_name=NAME), tmp_path)  # named as Ansible names it
        assert result["msg"] == by_module["msg"], name
        assert result.get("error") == by_module.get("error"), name
    assert snapshot(work) == before


def test_an_other_nodes_broken_record_is_a_warning_of_the_task(tmp_path):
    report = a_report(str(tmp_path / "work"))
    with open(os.path.join(report, "nodes", "n2.enforce.json"), "w") as handle:
        handle.write("{broken")
    result = run_tasks(tmp_path, [report_task(dir=report, host="n1", record=ENFORCED)]).results[0]
    assert not result.get("failed"), result
    warnings = " ".join(warnings_of(result))
    assert "nodes/n2.enforce.json" in warnings and "is not JSON" in warnings and "record unreadable" in warnings
    assert [entry["path"] for entry in result["unreadable"]] == ["nodes/n2.enforce.json"]
    assert result["totals"]["by_status"] == {"enforced": 1, "record unreadable": 1}


def waiting_on(inode):
    """How many processes are blocked waiting for a flock of the file with ``inode`` (lines "N: -> FLOCK ...")."""
    with open("/proc/locks") as handle:
        return sum(1 for line in handle if " -> FLOCK " in line and line.split()[6].split(":")[-1] == str(inode))


def test_the_forks_of_a_batch_are_serialised_by_the_lock_and_rebuild_once(tmp_path):
    hosts = ["node-%02d" % number for number in range(8)]
    report = tmp_path / "report"
    (report / "nodes").mkdir(parents=True)
    results = tmp_path / "results.json"
    inventory = tmp_path / "hosts.ini"
    inventory.write_text("".join("%s ansible_connection=local ansible_python_interpreter=%s\n" % (host, sys.executable) for host in hosts))
    playbook = tmp_path / "batch.yml"
    every = "ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars, 'recorded'))"
    playbook.write_text(yaml.safe_dump([{"hosts": "all", "gather_facts": False, "tasks": [
        {"name": "record", NAME: {"dir": str(report), "host": "{{ inventory_hostname }}", "batch": "{{ ansible_play_batch }}",
                                  "records": [GATE, ENFORCED]},
         "delegate_to": "localhost", "check_mode": False, "register": "recorded"},
        {"name": "results", "run_once": True, "delegate_to": "localhost",
         "ansible.builtin.copy": {"dest": str(results), "content": "{{ dict(%s) | to_json }}" % every}},
    ]}]))
    done = {}
    with open(str(report / ".lock"), "a") as lock:
        # The test holds the lock until every fork has written its records and waits for it, as a slow rebuild would.
        fcntl.flock(lock, fcntl.LOCK_EX)
        thread = threading.Thread(target=lambda: done.update(run=run_playbook(str(playbook), str(inventory), str(tmp_path),
                                                                              env={"ANSIBLE_FORKS": str(len(hosts))}, timeout=300)))
        thread.start()
        inode = os.fstat(lock.fileno()).st_ino
        deadline = time.monotonic() + 120
        while waiting_on(inode) < len(hosts) and time.monotonic() < deadline and thread.is_alive():
            time.sleep(0.05)
        fcntl.flock(lock, fcntl.LOCK_UN)
    thread.join(300)
    run = done["run"]
    assert run.returncode == 0, run.stdout + run.stderr
    recorded = json.loads(results.read_text())
    assert sorted(recorded) == hosts
    assert [recorded[host].get("failed", False) for host in hosts] == [False] * len(hosts)
    assert sum(recorded[host]["rebuilt"] for host in hosts) == 1
    written = json.loads((report / "report.json").read_text())
    assert sorted(written["nodes"]) == hosts and written["totals"]["by_status"] == {"enforced": len(hosts)}
    assert all(recorded[host]["totals"] == written["totals"] for host in hosts)
    assert len(os.listdir(str(report / "nodes"))) == 2 * len(hosts)


# In process: the action with a stand-in task, for what a playbook cannot provoke.

class Task(object):
    def __init__(self, args, check_mode=False):
        self.args = args
        self.check_mode = check_mode
        self.async_val = 0
        self.action = self.resolved_action = NAME


class Shell(object):
    tmpdir = "/nonexistent"


class Connection(object):
    _shell = Shell()

    def exec_command(self, *args, **kwargs):
        raise AssertionError("the action ran a command on the target")

    def put_file(self, *args, **kwargs):
        raise AssertionError("the action put a file on the target")


def run_action(args, check_mode=False):
    plugin = action.ActionModule(Task(args, check_mode), Connection(), None, None, None, None)
    plugin._execute_module = lambda *a, **k: pytest.fail("the action executed a module")
    return plugin.run(task_vars={})


def test_an_unexpected_error_fails_as_a_bug_with_its_traceback(tmp_path, monkeypatch):
    def broken(params, warn):
        raise KeyError("totals")
    monkeypatch.setattr(report_files, "report", broken)
    result = run_action(dict(dir=str(tmp_path), host="n1", record=ENFORCED))
    assert result["failed"] and not result["changed"]
    assert result["msg"] == ("%s: KeyError: 'totals' (this is a bug in k8s.seccomp_default; please report it with -vvv output)" % NAME)
    assert "Traceback" in result["exception"] and "KeyError" in result["exception"]


def test_an_os_error_the_work_did_not_name_fails_naming_its_file(tmp_path, monkeypatch):
    def broken(params, warn):
        raise PermissionError(13, "Permission denied", "/r/summary.md")
    monkeypatch.setattr(report_files, "report", broken)
    result = run_action(dict(dir=str(tmp_path), host="n1", record=ENFORCED))
    assert result["failed"] and result["msg"] == "/r/summary.md: cannot be used by this user"


def test_the_work_gets_the_options_as_a_module_does(tmp_path, monkeypatch):
    """Defaulted, path-expanded, and plain JSON data - a copy, not the task's own objects."""
    import datetime
    seen = {}

    def record(params, warn):
        seen.update(params)
        warn("a warning")
        return dict(changed=False, report="r", summary="s", totals={}, rebuilt=True, unreadable=[])
    monkeypatch.setattr(report_files, "report", record)
    monkeypatch.setenv("HOME", str(tmp_path))
    given = dict(ENFORCED, checked=datetime.date(2026, 11, 23), pair=("a", "b"))
    result = run_action(dict(dir="~/r", host="n1", record=given))
    assert not result.get("failed") and result["warnings"] == ["a warning"], result
    assert seen == dict(dir=str(tmp_path / "r"), host="n1", record=dict(ENFORCED, checked="2026-11-23", pair=["a", "b"]), batch=[],
                        start=None, records=None, readiness=None, merge=None)
    assert seen["record"] is not given and given["pair"] == ("a", "b")
    assert set(seen) == set(report_files.ARGUMENT_SPEC)


def test_a_value_json_cannot_hold_is_the_users_error(tmp_path):
    result = run_action(dict(dir=str(tmp_path), host="n1", record=dict(ENFORCED, reason=object())))
    assert result["failed"] and "is not a value an option can have" in result["msg"] and "this is a bug" not in result["msg"]
    assert not os.listdir(str(tmp_path))
