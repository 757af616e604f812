"""rollout_state given a broken state file or state directory, a field of the wrong type, or a file edited after
this collection wrote it.

Refused cases fail naming the file, the field and the value, and leave the state directory byte for byte as it was
(no temporary file either). An edited file is read with a warning and never overwritten. Each case runs the module
as Ansible does (as root without CAP_DAC_OVERRIDE, so a mode-000 file is unreadable to it).
"""

import json
import os

import pytest

from lib.badinput import assert_refused, run_module, snapshot

SCHEMA = "k8s.seccomp_default/node-state/v1"
ENTRY = dict(result="enforced", at="2026-11-23T10:00:00+00:00", run_id="r1", details={})
RECORD = dict(stage="enforce", result="enforced", run_id="r2")
READ = dict()


def state(**fields):
    return dict(dict(schema=SCHEMA, stages=dict(enforce=ENTRY), history=[dict(ENTRY, stage="enforce")]), **fields)


def put(path, content):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(content if isinstance(content, bytes) else json.dumps(content).encode())


def file_with(content):
    def setup(root):
        put(os.path.join(root, "state", "rollout-state.json"), content)
        return os.path.join(root, "state", "rollout-state.json")
    return setup


def with_mode(content, mode):
    def setup(root):
        path = file_with(content)(root)
        os.chmod(path, mode)
        return path
    return setup


def a_directory(root):
    os.makedirs(os.path.join(root, "state", "rollout-state.json"))
    return os.path.join(root, "state", "rollout-state.json")


def a_fifo(root):
    os.makedirs(os.path.join(root, "state"))
    os.mkfifo(os.path.join(root, "state", "rollout-state.json"))
    return os.path.join(root, "state", "rollout-state.json")


def state_dir_is_a_file(root):
    put(os.path.join(root, "state"), b"not a directory")
    return os.path.join(root, "state", "rollout-state.json")


def state_dir_unreadable(root):
    path = file_with(state())(root)
    os.chmod(os.path.dirname(path), 0o000)
    return path


def too_big(root):
    return file_with(b" " * (4 * 1024 * 1024 + 1))(root)


def dangling_link(root):
    os.makedirs(os.path.join(root, "state"))
    os.symlink(os.path.join(root, "gone", "state.json"), os.path.join(root, "state", "rollout-state.json"))
    return os.path.join(root, "state", "rollout-state.json")


REFUSED = [
    ("not-json", file_with(b"{half"), ["rollout-state.json is not the JSON this collection writes", "move this one aside"]),
    ("not-utf8", file_with(b'{"schema": "\xff"}'), ["rollout-state.json is not the JSON", "utf-8"]),
    ("other-schema", file_with(dict(schema="other/v9")), ["rollout-state.json has schema 'other/v9'"]),
    ("a-list", file_with([1]), ["rollout-state.json has schema 'list'"]),
    ("stages-list", file_with(state(stages=[])), ["rollout-state.json: stages: is not a mapping", "list []"]),
    ("stage-unknown", file_with(state(stages=dict(gate=ENTRY))), ["rollout-state.json: stages: is not a stage", "'gate'", "feature_gate"]),
    ("stage-entry-string", file_with(state(stages=dict(enforce="done"))), ["stages.enforce: is not a mapping", "'done'"]),
    ("result-null", file_with(state(stages=dict(enforce=dict(ENTRY, result=None)))),
     ["stages.enforce.result", "null", "enforced, in progress, rolled back, not retried"]),
    ("result-number", file_with(state(stages=dict(audit=dict(ENTRY, result=3)))), ["stages.audit.result", "number 3", "passed"]),
    ("result-missing", file_with(state(stages=dict(audit=dict(at="t")))), ["stages.audit.result: is missing"]),
    ("details-string", file_with(state(stages=dict(enforce=dict(ENTRY, details="x")))), ["stages.enforce.details", "string 'x'"]),
    ("at-number", file_with(state(stages=dict(enforce=dict(ENTRY, at=5)))), ["stages.enforce.at", "number 5"]),
    ("history-string", file_with(state(history="x")), ["history: is not a list", "'x'"]),
    ("history-without-stage", file_with(state(history=[ENTRY])), ["history[0].stage", "null"]),
    ("history-result-of-another-stage", file_with(state(history=[dict(ENTRY, stage="audit")])),
     ["history[0].result", "'enforced'", "passed"]),
    ("seal-number", file_with(state(sha256=5)), ["sha256: is not a string", "number 5"]),
    ("a-directory", a_directory, ["rollout-state.json: is a directory"]),
    ("a-fifo", a_fifo, ["rollout-state.json: is not a regular file"]),
    ("unreadable", with_mode(state(), 0o000), ["rollout-state.json: is not readable"]),
    ("too-big", too_big, ["rollout-state.json: is 4194305 bytes"]),
    ("state-dir-is-a-file", state_dir_is_a_file, ["state/rollout-state.json: runs through something that is not a directory"]),
    ("state-dir-unreadable", state_dir_unreadable, ["state/rollout-state.json: is not readable"]),
    ("dangling-symlink", dangling_link, ["rollout-state.json: is a symlink to", "gone/state.json, which does not exist"]),
]


# A read (no stage) refuses the same files; a few of each kind are run both ways.
READ_TOO = ("not-json", "result-null", "history-string", "a-directory", "unreadable", "state-dir-is-a-file")
CASES = [(setup, words, RECORD) for _id, setup, words in REFUSED] + [(setup, words, READ) for id_, setup, words in REFUSED if id_ in READ_TOO]
IDS = ["%s-record" % case[0] for case in REFUSED] + ["%s-read" % case[0] for case in REFUSED if case[0] in READ_TOO]


@pytest.mark.parametrize("setup, words, call", CASES, ids=IDS)
def test_refused_with_nothing_changed(tmp_path, setup, words, call):
    root = str(tmp_path / "node")
    path = setup(root)
    before = snapshot(root)
    result = run_module("rollout_state", dict(call, path=path), tmp_path)
    assert_refused(result, *words)
    assert snapshot(root) == before


def recorded(tmp_path):
    """A state file as the module writes it: stage 3 enforced in run r1."""
    path = str(tmp_path / "node" / "rollout-state.json")
    result = run_module("rollout_state", dict(RECORD, run_id="r1", path=path), tmp_path)
    assert result.get("changed") and not result.get("failed"), result
    return path


def edit(path, change):
    with open(path) as handle:
        data = json.load(handle)
    change(data)
    with open(path, "w") as handle:
        json.dump(data, handle, indent=2)


EDITS = [
    ("result-changed-by-hand", lambda data: data["stages"]["enforce"].update(result="rolled back")),
    ("stage-removed", lambda data: data["stages"].pop("enforce")),
    ("history-emptied", lambda data: data.update(history=[])),
]


@pytest.mark.parametrize("change", [case[1] for case in EDITS], ids=[case[0] for case in EDITS])
@pytest.mark.parametrize("check_mode", [False, True], ids=["apply", "check-mode"])
def test_an_edited_state_file_is_never_overwritten(tmp_path, change, check_mode):
    path = recorded(tmp_path)
    edit(path, change)
    before = snapshot(tmp_path / "node")
    result = run_module("rollout_state", dict(stage="audit", result="passed", run_id="r3", path=path, _ansible_check_mode=check_mode),
                        tmp_path)
    assert_refused(result, path, "is not what this collection recorded", "nothing was written", "'sha256' field", "move the file aside")
    assert snapshot(tmp_path / "node") == before


def test_an_edited_state_file_is_read_with_a_warning_naming_it(tmp_path):
    path = recorded(tmp_path)
    edit(path, EDITS[0][1])
    before = snapshot(tmp_path / "node")
    for args in (dict(path=path), dict(stage="enforce", path=path), dict(stage="enforce", result="rolled back", path=path)):
        result = run_module("rollout_state", args, tmp_path)
        assert not result.get("failed") and not result["changed"], result
        warnings = " ".join(str(warning) for warning in result.get("warnings", []))
        assert path in warnings and "is not what this collection recorded" in warnings, result
        assert result["state"]["stages"]["enforce"]["result"] == "rolled back"
    assert snapshot(tmp_path / "node") == before


def test_a_file_of_an_older_version_without_a_seal_is_used_and_sealed_when_recorded(tmp_path):
    path = str(tmp_path / "node" / "rollout-state.json")
    put(path, state())
    result = run_module("rollout_state", dict(stage="audit", result="passed", path=path), tmp_path)
    assert result["changed"] and not result.get("warnings"), result
    assert json.load(open(path))["sha256"]
    again = run_module("rollout_state", dict(stage="enforce", result="rolled back", path=path), tmp_path)
    assert again["changed"] and not again.get("warnings"), again
    assert sorted(json.load(open(path))["stages"]) == ["audit", "enforce"]
    assert "sha256" not in again["state"]


def test_a_symlinked_state_file_stays_a_symlink(tmp_path):
    target = str(tmp_path / "disk" / "rollout-state.json")
    put(target, state())
    link = str(tmp_path / "node" / "rollout-state.json")
    os.makedirs(os.path.dirname(link))
    os.symlink(target, link)
    result = run_module("rollout_state", dict(stage="audit", result="passed", path=link), tmp_path)
    assert result["changed"] and not result.get("failed"), result
    assert os.readlink(link) == target and json.load(open(target))["stages"]["audit"]["result"] == "passed"
