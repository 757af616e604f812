"""Acceptance: the feature gate stage with playbooks/rollout.yml on the 6-node lab fleet.

The fleet spreads versions over 1.23, 1.26, 1.28, 1.30 and 1.33, both runtime flavours and the
kubeadm, drop-in and flag layouts; the 1.30 node was "upgraded" with SeccompDefault still in its
base config, so its kubelet refuses to start until the feature gate stage removes it.
"""

import json
import os

import pytest
import yaml

from lib.ansible_run import ROOT, recap, run_playbook
from lib.lab import needs_lab
from lib.node_files import fingerprint
from tests.lab import fleet

pytestmark = needs_lab
ROLLOUT = os.path.join(ROOT, "playbooks", "rollout.yml")


def node_file(state, node, path):
    with open(fleet.fs_path(os.path.join(fleet.fleet_dir(state["name"]), "nodes", node, "fs"), path)) as handle:
        return handle.read()


def main_pid(state, node):
    result = fleet.in_node(state["nodes"][node], ["systemctl", "show", "kubelet", "--property=MainPID", "--value"])
    return int(result.stdout.strip())


@pytest.fixture(scope="module")
def demo(make_fleet):
    return make_fleet(dict(fleet.DEFAULT_DESCRIPTION, name="stage1"))


def test_stage1_on_the_demo_fleet(demo, tmp_path):
    inventory = demo["inventory"]
    before_tree = fingerprint(demo)
    node1_before = yaml.safe_load(node_file(demo, "node-1", "/var/lib/kubelet/config.yaml"))
    pids_before = dict((node, main_pid(demo, node)) for node in demo["nodes"] if node != "node-4")

    # --check --diff: shows the plan, changes nothing on any node
    planned = run_playbook(ROLLOUT, inventory, tmp_path, {"seccomp_serial": 3, "seccomp_stages": ["feature_gate"]}, check=True, diff=True)
    assert planned.returncode == 0, planned.stdout[-3000:]
    assert "+  SeccompDefault: true" in planned.stdout  # node-1's planned gate
    assert "-  SeccompDefault: true" in planned.stdout  # node-4's stale gate, planned removal
    assert fingerprint(demo) == before_tree
    assert dict((node, main_pid(demo, node)) for node in pids_before) == pids_before

    # the real run
    first = run_playbook(ROLLOUT, inventory, tmp_path, {"seccomp_serial": 3, "seccomp_stages": ["feature_gate"]})
    assert first.returncode == 0, first.stdout[-5000:]
    counts = recap(first.stdout)

    # 1.23 (alpha): the gate is on and nothing else in the file changed
    node1_after = yaml.safe_load(node_file(demo, "node-1", "/var/lib/kubelet/config.yaml"))
    assert node1_after.pop("featureGates") == {"SeccompDefault": True}
    assert node1_after == node1_before
    configz = fleet.fetch_configz(demo["nodes"]["node-1"])
    assert configz["featureGates"] == {"SeccompDefault": True} and configz["seccompDefault"] is False

    # 1.30: the stale gate is gone from the base config and the kubelet is healthy
    node4 = yaml.safe_load(node_file(demo, "node-4", "/etc/kubernetes/kubelet-config.yaml"))
    assert "featureGates" not in node4
    assert node_file(demo, "node-4", "/etc/kubernetes/kubelet-config.yaml").startswith("# Kubelet configuration of node-4")
    assert fleet.healthz(demo["nodes"]["node-4"])
    assert "SeccompDefault" not in fleet.fetch_configz(demo["nodes"]["node-4"]).get("featureGates", {})

    # no kubelet restarted that needed no change (node-1 and node-4 needed one)
    for node, pid in pids_before.items():
        if node != "node-1":
            assert main_pid(demo, node) == pid, "%s was restarted" % node
    assert main_pid(demo, "node-1") != pids_before["node-1"]

    # the report: one record per node, and the summary
    records = dict((node, json.load(open(str(tmp_path / "seccomp-rollout-report" / "nodes" / (node + ".feature_gate.json")))))
                   for node in demo["nodes"])
    assert records["node-1"]["result"] == "changed" and records["node-1"]["kubelet_restarted"] is True
    assert records["node-4"]["gate_removed_from"] == ["/etc/kubernetes/kubelet-config.yaml"]
    assert records["node-3"]["result"] == "unchanged" and records["node-3"]["kubelet_restarted"] is False
    summary = (tmp_path / "seccomp-rollout-report" / "summary.md").read_text()
    assert summary[summary.index("# Feature gate"):].count("\n| node-") == 6
    report = json.load(open(str(tmp_path / "seccomp-rollout-report" / "report.json")))
    assert report["run"]["stages"] == ["feature_gate"] and report["totals"]["nodes"] == 6 and report["totals"]["failed"] == 0
    assert report["nodes"]["node-1"]["stages"]["feature_gate"]["result"] == "changed"
    assert [b["hosts"] for b in report["batches"]] == [["node-1", "node-2", "node-3"], ["node-4", "node-5", "node-6"]]

    # a second run reports no changes anywhere
    second = run_playbook(ROLLOUT, inventory, tmp_path, {"seccomp_serial": 3, "seccomp_stages": ["feature_gate"]})
    assert second.returncode == 0, second.stdout[-3000:]
    assert all(recap(second.stdout)[node]["changed"] == 0 for node in demo["nodes"]), recap(second.stdout)
    assert counts["node-1"]["changed"] > 0


REFUSING = {
    "name": "refuse",
    "nodes": [
        {"name": "node-a", "version": "1.23.17", "runtime": "containerd", "layout": "kubeadm", "workloads": ["common"],
         "refuse_config_change": "invalid configuration: featureGates: SeccompDefault rejected by site policy"},
        {"name": "node-b", "version": "1.24.17", "runtime": "crio", "layout": "flags", "workloads": ["common"]},
    ],
}


def test_a_refused_configuration_is_restored_and_stops_the_rollout(make_fleet, tmp_path):
    state = make_fleet(REFUSING)
    config_before = node_file(state, "node-a", "/var/lib/kubelet/config.yaml")
    tree_before = fingerprint(state)
    node_b_pid = main_pid(state, "node-b")

    run = run_playbook(ROLLOUT, state["inventory"], tmp_path, {"seccomp_serial": 1, "seccomp_stages": ["feature_gate"]})

    assert run.returncode != 0
    assert "SeccompDefault rejected by site policy" in run.stdout  # the kubelet's own error text
    assert "The feature gate stage failed on node-a" in run.stdout
    assert node_file(state, "node-a", "/var/lib/kubelet/config.yaml") == config_before  # byte for byte
    assert not os.path.exists(fleet.fs_path(os.path.join(fleet.fleet_dir("refuse"), "nodes", "node-a", "fs"),
                                            "/etc/kubernetes/patches/kubeletconfiguration90seccompdefault+merge.yaml"))
    assert fleet.healthz(state["nodes"]["node-a"])
    # the next batch was not touched: same files, same kubelet process
    after = fingerprint(state)
    assert dict((k, v) for k, v in after.items() if k.startswith("node-b")) == \
        dict((k, v) for k, v in tree_before.items() if k.startswith("node-b"))
    assert main_pid(state, "node-b") == node_b_pid
    # node-b was only looked at, with every node, by the readiness check before any change: nothing changed there
    batches = run.stdout.split("each batch through every stage")[1].split("PLAY RECAP")[0]
    assert recap(run.stdout)["node-b"]["changed"] == 0 and "node-b" not in batches
    record = json.load(open(str(tmp_path / "seccomp-rollout-report" / "nodes" / "node-a.feature_gate.json")))
    assert record["result"] == "failed" and record["healthy_after_restore"] is True
