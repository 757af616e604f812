"""rollout_state reads every stage's next step in one call, and records several stages' results in one write
(the audit handing over to enforcement is one write, so that no kill can fall between the two)."""

import json

import pytest

from lib.badinput import assert_refused, run_module, snapshot


def call(tmp_path, **args):
    return run_module("rollout_state", dict(args, path=str(tmp_path / "node" / "rollout-state.json")), tmp_path)


def test_a_read_says_what_this_run_does_with_every_stage(tmp_path):
    read = call(tmp_path, kubelet_version="1.24.17", seccomp_default=False)
    assert not read["changed"]
    assert sorted(read["resumes"]) == ["audit", "enforce", "feature_gate"]
    assert set(step["action"] for step in read["resumes"].values()) == {"run"}
    assert "resume" not in read


def test_records_are_one_write_and_the_plan_follows_them(tmp_path):
    files = [dict(path="/etc/kubernetes/kubelet.conf.d/90-seccomp-default.conf", state="created")]
    records = [dict(stage="audit", result="passed"), dict(stage="enforce", result="in progress", details=dict(files=files))]
    wrote = call(tmp_path, run_id="r1", records=records)
    assert wrote["changed"] and not wrote.get("failed"), wrote
    with open(str(tmp_path / "node" / "rollout-state.json")) as handle:
        history = json.load(handle)["history"]
    assert [(entry["stage"], entry["result"]) for entry in history] == [("audit", "passed"), ("enforce", "in progress")]
    again = call(tmp_path, run_id="r1", records=records)
    assert not again["changed"]
    plan = call(tmp_path, kubelet_version="1.30.14", seccomp_default=True)["resumes"]
    assert plan["audit"]["action"] == "skip"
    assert plan["enforce"]["action"] == "recover"
    assert plan["enforce"]["earlier"]["details"]["files"] == files


def test_a_held_node_is_audited_again(tmp_path):
    assert call(tmp_path, stage="audit", result="held")["changed"]
    plan = call(tmp_path, seccomp_default=False)["resumes"]
    assert plan["audit"]["action"] == "run"
    assert "held this node" in plan["audit"]["reason"]


@pytest.mark.parametrize("records, words", [
    ([dict(stage="gate", result="changed")], ["records[0].stage", "'gate'", "feature_gate, audit, enforce"]),
    ([dict(stage="audit", result="passed"), dict(stage="audit", result="done")], ["result='done'", "valid: passed"]),
    ([dict(stage="audit", result=3)], ["records[0].result", "number 3"]),
    ([dict(stage="audit", result="passed", details="x")], ["records[0].details", "string 'x'"]),
    ([dict(stage="audit", result="passed", when="now")], ["records[0]", "'when'", "stage, result and details"]),
], ids=["unknown-stage", "second-result-wrong", "result-number", "details-string", "unknown-key"])
def test_a_bad_record_writes_none_of_them(tmp_path, records, words):
    assert call(tmp_path, stage="enforce", result="enforced")["changed"]
    before = snapshot(str(tmp_path / "node"))
    assert_refused(call(tmp_path, records=records), *words)
    assert snapshot(str(tmp_path / "node")) == before
