"""node_plan, run as Ansible runs it: the plan of a node's batch, the built-in profiles it installs where a stage needs
them, and its refusals - a missing option, a damaged state file, pods that cannot be read - with nothing written.
The pods' reading itself is kubelet_read's code (tests/unit/plugins/modules/test_kubelet_read_bad_input.py), and the
whole step runs on lab nodes in tests/integration."""

import json
import os

from lib.badinput import assert_refused, run_module, snapshot

PROFILES = ["kubernetes/audit-verbose.json", "kubernetes/default-audit.json", "kubernetes/default.json"]


def plan(tmp_path, **args):
    options = dict(path=str(tmp_path / "state" / "rollout-state.json"), stages=["feature_gate", "audit", "enforce"],
                   kubelet_version="1.30.14", seccomp_default=False, runtime="containerd", kubelet_root_dir=str(tmp_path / "kubelet"),
                   read_pods=False)
    options.update(args)
    return run_module("node_plan", options, tmp_path)


def installed(tmp_path):
    seccomp = tmp_path / "kubelet" / "seccomp"
    return sorted(os.path.relpath(os.path.join(root, name), str(seccomp)) for root, _dirs, names in os.walk(str(seccomp)) for name in names)


def test_a_fresh_node_is_planned_and_gets_the_built_in_profiles(tmp_path):
    result = plan(tmp_path)
    assert result.get("failed") is not True, result
    assert result["plan"]["audit"] == dict(result["plan"]["audit"], action="run", mode="observe")
    assert result["plan"]["switch"] == "enforce"
    assert result["changed"] is True
    assert sorted(entry["name"] for entry in result["profiles"]["profiles"]) == PROFILES
    assert installed(tmp_path) == PROFILES
    assert result["pods"] is None and result["pods_later"] == "given by the caller (read_pods=false)"
    again = plan(tmp_path)
    assert again["changed"] is False and installed(tmp_path) == PROFILES


def test_check_mode_plans_the_profiles_and_writes_nothing(tmp_path):
    result = plan(tmp_path, _ansible_check_mode=True, _ansible_diff=True, runtime="cri-o")
    assert result.get("failed") is not True, result
    assert result["plan"]["audit"]["mode"] == "complain" and result["plan"]["switch"] == "complain"
    assert result["changed"] is True
    assert [entry["state"] for entry in result["profiles"]["profiles"]] == ["created"] * 3
    assert len(result["diff"]) == 3
    assert not (tmp_path / "kubelet").exists() and not (tmp_path / "state").exists()


def test_nothing_to_run_installs_nothing_and_reads_no_pods(tmp_path):
    result = plan(tmp_path, stages=["feature_gate"], read_pods=True)
    assert result.get("failed") is not True, result
    assert result["plan"]["switch"] is None and result["profiles"] is None
    assert result["pods"] is None and result["pods_later"] == "not needed: neither the audit nor enforcement runs"
    assert not (tmp_path / "kubelet").exists()


def test_pods_that_cannot_be_read_fail_the_plan_with_nothing_written(tmp_path):
    result = plan(tmp_path, stages=["audit", "enforce"], read_pods=True, via="api_server", node_name="n1")
    assert_refused(result, "no credentials to read /pods")
    assert not (tmp_path / "kubelet").exists()


def test_refusals_name_the_field_or_file(tmp_path):
    assert_refused(plan(tmp_path, stages=None), "stages", "is required")
    assert_refused(plan(tmp_path, kubelet_port=0), "kubelet_port", "is not a TCP port")
    assert_refused(plan(tmp_path, stages=["audit", "finish"]), "stages", "finish", "is not a stage")
    state = tmp_path / "state" / "rollout-state.json"
    state.parent.mkdir()
    state.write_text(json.dumps({"schema": "something/else", "stages": {}}))
    before = snapshot(tmp_path / "state")
    assert_refused(plan(tmp_path), "rollout-state.json")
    assert snapshot(tmp_path / "state") == before
    assert not (tmp_path / "kubelet").exists()
