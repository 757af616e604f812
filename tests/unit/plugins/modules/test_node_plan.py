"""node_plan, run as Ansible runs it: the plan of a node's batch, the built-in profiles it installs where a stage needs
them, and its refusals - a missing option, a damaged state file, pods that cannot be read - with nothing written.
The pods' reading itself is kubelet_read's code (tests/unit/plugins/modules/test_kubelet_read_bad_input.py), and the
whole step runs on lab nodes in tests/integration."""

import json
import os

import pytest

from lib import https_api
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


# The audit's window opened by the plan (option audit): only where the audit comes next, with the pods read here.
PODS = json.dumps({"kind": "PodList", "items": [
    {"metadata": {"name": "web", "namespace": "shop", "uid": "u1"}, "spec": {"nodeName": "n1", "containers": [{"name": "nginx"}]}}]}).encode()


@pytest.fixture(scope="module")
def api_server(tmp_path_factory):
    pki = tmp_path_factory.mktemp("pki")
    https_api.certificates(pki)
    with https_api.serve(pki, lambda request: (200, PODS)) as url:
        yield url


def planned_with_window(tmp_path, url, **args):
    """A plan that reads the pods through the API server and is asked to open the window; bpftrace is not there."""
    (tmp_path / "kubeconfig").write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "k", "cluster": {"server": url, "insecure-skip-tls-verify": True}}],
        "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}], "users": [{"name": "u", "user": {"token": "t"}}]}))
    options = dict(stages=["audit", "enforce"], read_pods=True, via="api_server", node_name="n1",
                   kubeconfig=str(tmp_path / "kubeconfig"),
                   audit=dict(profile=str(tmp_path / "kubelet" / "seccomp" / "kubernetes" / "default.json"),
                              state_dir=str(tmp_path / "state"), bpftrace=str(tmp_path / "no-bpftrace"),
                              crictl=str(tmp_path / "no-crictl")))
    options.update(args)
    return plan(tmp_path, **options)


def test_a_window_that_cannot_be_opened_is_the_audits_error_and_the_plan_stands(tmp_path, api_server):
    result = planned_with_window(tmp_path, api_server)
    assert result.get("failed") is not True, result
    assert [(t["namespace"], t["pod"], t["container"]) for t in result["pods"]["targets"]] == [("shop", "web", "nginx")]
    assert installed(tmp_path) == PROFILES  # the tracer reads kubernetes/default.json: installed first
    window = result["audit"]
    assert window["failed"] is True and "bpftrace" in window["msg"] and "no-bpftrace" in window["msg"], window
    assert not (tmp_path / "state" / "trace" / "tracer.pid").exists()  # nothing started, no container stopped


def test_the_window_is_left_to_the_audits_own_step_where_something_comes_first(tmp_path, api_server):
    # Not asked, check mode, pods given by the caller, or an interrupted audit put back first.
    assert planned_with_window(tmp_path, api_server, audit=None)["audit"] is None
    checked = planned_with_window(tmp_path, api_server, _ansible_check_mode=True)
    assert checked.get("failed") is not True and checked["audit"] is None and checked["pods"]["targets"]
    assert planned_with_window(tmp_path, api_server, read_pods=False)["audit"] is None
    # An audit a killed run left in progress is put back first: its window is opened after that.
    state = str(tmp_path / "state" / "rollout-state.json")
    recorded = run_module("rollout_state", dict(path=state, records=[dict(stage="audit", result="in progress", details={})]), tmp_path)
    assert recorded.get("failed") is not True, recorded
    recover = planned_with_window(tmp_path, api_server, path=state)
    assert recover.get("failed") is not True, recover
    assert recover["plan"]["audit"]["action"] == "recover" and recover["audit"] is None
