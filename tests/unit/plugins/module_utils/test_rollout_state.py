"""The node's rollout state: what counts as done, and what a re-run does with each stage."""

import json

import pytest

from ansible_collections.k8s.seccomp_default.plugins.module_utils import rollout_state as S


def with_results(**results):
    state = S.empty()
    for stage, (result, details) in results.items():
        state, _changed = S.record(state, stage, result, "2026-11-23T10:00:00+00:00", "run-1", details)
    return state


def test_a_fresh_node_runs_every_stage():
    state = S.load(None, "/x")
    for stage in S.STAGES:
        assert S.resume(state, stage, "1.30.1", False)["action"] == "run"


def test_the_same_result_again_changes_nothing_and_history_is_bounded():
    state, changed = S.record(S.empty(), "audit", "passed", "t1", "r1", {"workloads": 0})
    assert changed
    again, changed = S.record(state, "audit", "passed", "t2", "r2", {"workloads": 0})
    assert not changed and again is state
    for n in range(30):
        state = S.record(state, "audit", "stopped" if n % 2 else "passed", "t", "r%d" % n, {"n": n})[0]
    assert len(state["history"]) == S.HISTORY


def test_stage_1_is_done_for_the_kubelet_version_it_ran_on():
    state = with_results(feature_gate=("changed", {"kubelet_version": "1.24.17"}))
    assert S.resume(state, "feature_gate", "1.24.17")["action"] == "skip"
    upgraded = S.resume(state, "feature_gate", "1.30.2")
    assert upgraded["action"] == "run" and "1.24.17" in upgraded["reason"] and "1.30.2" in upgraded["reason"]


def test_a_stopped_audit_runs_again_and_a_passed_one_is_skipped():
    assert S.resume(with_results(audit=("stopped", {})), "audit", None, False)["action"] == "run"
    assert S.resume(with_results(audit=("passed", {})), "audit", None, False)["action"] == "skip"
    enforced = with_results(enforce=("enforced", {}))
    assert S.resume(enforced, "audit", None, True)["action"] == "skip"


def test_a_rolled_back_node_is_refused_unless_asked():
    state = with_results(enforce=("rolled back", {"error": "1 container(s) were restarted during the watch"}))
    refused = S.resume(state, "enforce", None, False)
    assert refused["action"] == "refuse"
    assert "1 container(s) were restarted" in refused["reason"] and "seccomp_enforce_retry_rolled_back=true" in refused["reason"]
    assert S.resume(state, "enforce", None, False, retry=True)["action"] == "run"


def test_an_enforced_node_is_skipped_while_on_and_refused_when_turned_off_by_hand():
    state = with_results(enforce=("enforced", {}))
    assert S.resume(state, "enforce", None, True)["action"] == "skip"
    off = S.resume(state, "enforce", None, False)
    assert off["action"] == "refuse" and "seccompDefault is off now" in off["reason"]


@pytest.mark.parametrize("data, message", [
    (b"{not json", "/var/lib/x/state.json is not the JSON this collection writes"),
    (json.dumps({"schema": "other/v9"}).encode(), "has schema 'other/v9'; this collection reads k8s.seccomp_default/node-state/v1"),
    (b"[1, 2]", "has schema 'list'"),
])
def test_a_file_that_is_not_ours_is_refused_naming_it(data, message):
    with pytest.raises(S.StateError, match=message.replace("(", r"\(").replace(")", r"\)")):
        S.load(data, "/var/lib/x/state.json")


def test_unknown_stages_and_results_are_named_with_the_valid_ones():
    with pytest.raises(S.StateError, match="stage='gate' is not a stage; valid: feature_gate, audit, enforce"):
        S.record(S.empty(), "gate", "changed", "t")
    with pytest.raises(S.StateError, match="result='done' is not a result of stage audit; valid: passed, in progress, held, failed, stopped"):
        S.record(S.empty(), "audit", "done", "t")


def test_an_interrupted_stage_3_is_recovered_and_run_again_not_counted_as_a_rollback():
    files = [{"path": "/d/90-seccomp-default.conf", "state": "created"}]
    state = with_results(enforce=("in progress", {"files": files}))
    decision = S.resume(state, "enforce", None, True)
    assert decision["action"] == "recover" and decision["earlier"]["details"]["files"] == files
    assert "interrupted" in decision["reason"] and "byte for byte" in decision["reason"]


def test_an_interrupted_stage_2_is_recovered_before_it_runs_again():
    state = with_results(audit=("in progress", {"files": [{"path": "/d/90-seccomp-default.conf", "state": "created"}]}))
    decision = S.resume(state, "audit", None, True)
    assert decision["action"] == "recover" and "complain mode may still be on" in decision["reason"]


def _state(**results):
    state = S.empty()
    for stage, result in results.items():
        details = dict(kubelet_version="1.24.17") if stage == "feature_gate" else {}
        state, _changed = S.record(state, stage, result, "t", "r0", details)
    return state


ALL = ("feature_gate", "audit", "enforce")


def test_plan_containerd_observes_then_switches_to_enforce_with_the_gate_in_the_same_restart():
    plan = S.plan(S.empty(), ALL, "1.24.17", False, "containerd")
    assert plan["audit"]["mode"] == "observe"
    assert plan["switch"] == "enforce" and not plan["handover"]
    assert plan["feature_gate"]["with_switch"]


def test_plan_crio_switches_into_complain_mode_and_hands_over_without_a_second_restart():
    plan = S.plan(S.empty(), ALL, "1.27.16", False, "cri-o")
    assert plan["audit"]["mode"] == "complain"
    assert plan["switch"] == "complain" and plan["handover"]
    assert not plan["feature_gate"]["with_switch"]  # 1.27: the gate is locked on, nothing to write with the switch


def test_plan_the_gate_restarts_on_its_own_only_when_nothing_else_switches_the_kubelet():
    assert not S.plan(S.empty(), ("feature_gate",), "1.23.17", False, "containerd")["feature_gate"]["with_switch"]
    only_audit = S.plan(S.empty(), ("feature_gate", "audit"), "1.23.17", False, "containerd")
    assert only_audit["switch"] is None and not only_audit["feature_gate"]["with_switch"]
    complain_only = S.plan(S.empty(), ("feature_gate", "audit"), "1.23.17", False, "cri-o")
    assert complain_only["switch"] == "complain" and not complain_only["handover"]
    assert complain_only["feature_gate"]["with_switch"]


def test_plan_a_finished_node_does_nothing():
    plan = S.plan(_state(feature_gate="changed", audit="passed", enforce="enforced"), ALL, "1.24.17", True, "cri-o")
    assert [plan[stage]["action"] for stage in ALL] == ["skip", "skip", "skip"]
    assert plan["switch"] is None and not plan["handover"] and plan["audit"]["mode"] is None


def test_plan_stages_not_asked_for_and_forced_stages():
    plan = S.plan(_state(audit="passed"), ("enforce",), "1.30.14", False, "containerd")
    assert plan["feature_gate"]["action"] == plan["audit"]["action"] == "not asked"
    assert plan["switch"] == "enforce"
    forced = S.plan(_state(audit="passed"), ALL, "1.30.14", False, "containerd", force=("audit",))
    assert forced["audit"]["action"] == "run" and "seccomp_force_stages" in forced["audit"]["reason"]


def test_plan_a_rolled_back_node_is_not_switched_unless_asked():
    plan = S.plan(_state(enforce="rolled back"), ("enforce",), "1.30.14", False, "containerd")
    assert plan["enforce"]["action"] == "refuse" and plan["switch"] is None
    assert S.plan(_state(enforce="rolled back"), ("enforce",), "1.30.14", False, "containerd", retry=True)["switch"] == "enforce"


def test_plan_refuses_complain_mode_without_crio_and_unknown_stages():
    with pytest.raises(S.InputError, match="audit_mode: needs CRI-O; this node runs containerd"):
        S.plan(S.empty(), ALL, "1.30.14", False, "containerd", asked_mode="complain")
    with pytest.raises(S.InputError, match="stages: is not a stage"):
        S.plan(S.empty(), ("feature_gate", "gate"), "1.30.14", False, "containerd")


@pytest.mark.parametrize("version, gate, right", [
    ("1.24.17", dict(value=True, in_config=True), True),
    ("1.24.17", dict(value=None), False),
    ("1.26.1", dict(value=None), True),
    ("1.26.1", dict(value=False, in_config=True), False),
    ("1.28.15", dict(value=True, in_config=True), True),
    ("1.30.14", dict(value=None, in_flags=False, in_config=False), True),
    ("1.30.14", dict(value=True, in_config=True), False),
    ("1.30.14", dict(value=None, in_flags=True), False),
    ("1.30.14", None, False),
])
def test_a_gate_already_right_needs_no_feature_gate_stage(version, gate, right):
    assert S.gate_is_right(version, gate) is right
    plan = S.plan(S.empty(), ("feature_gate",), version, False, "containerd", gate=gate)
    assert plan["feature_gate"]["action"] == ("unchanged" if right else "run")
    forced = S.plan(S.empty(), ("feature_gate",), version, False, "containerd", gate=gate, force=("feature_gate",))
    assert forced["feature_gate"]["action"] == "run"
