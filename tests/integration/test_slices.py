"""Job slicing: a fleet rolled out by two runs at the same time over disjoint --limits, as AWX's sliced jobs do, each
with its own report directory (an execution environment's working directory is its own), then one report.

Each slice must complete on its own nodes - per-node state lives on the nodes, nothing is shared on the controller
but the inventory - and playbooks/report.yml with seccomp_report_merge must give one report with every node once,
naming the two runs it came from. The outcome a workflow branches on is handed over with set_stats: AWX reads it
from the run's custom stats, shown here with ANSIBLE_SHOW_CUSTOM_STATS.
"""

import json
import os

import pytest

from lib.ansible_run import ROOT, recap, run_playbook, start_playbook
from lib.lab import needs_lab
from lib.runc import runc_available
from tests.lab import fleet

pytestmark = [needs_lab, pytest.mark.skipif(not runc_available(), reason="needs runc")]
FLEET = {"name": "slices", "nodes": [
    {"name": "sl-1", "version": "1.30.14", "runtime": "containerd", "layout": "dropin", "workloads": ["common"]},
    {"name": "sl-2", "version": "1.29.10", "runtime": "crio", "layout": "kubeadm", "workloads": ["common"]},
    {"name": "sl-3", "version": "1.33.5", "runtime": "crio", "layout": "dropin", "workloads": ["common"]},
    {"name": "sl-4", "version": "1.27.16", "runtime": "containerd", "layout": "kubeadm", "workloads": ["common"]},
]}
SLICES = ("sl-1,sl-2", "sl-3,sl-4")
SETTINGS = {"seccomp_serial": 1, "seccomp_audit_soak": "0s", "seccomp_enforce_watch": "0s"}


def custom_stats(stdout):
    """The set_stats data ansible-playbook prints at the end (ANSIBLE_SHOW_CUSTOM_STATS)."""
    text = stdout[stdout.index("CUSTOM STATS:"):]
    start = text.index("{")
    return json.JSONDecoder().raw_decode(text[start:])[0]


@pytest.fixture(scope="module")
def sliced(make_fleet, tmp_path_factory):
    state = make_fleet(FLEET)
    playbook = os.path.join(ROOT, "playbooks", "rollout.yml")
    outputs = [tmp_path_factory.mktemp("slice") for _slice in SLICES]
    env = {"ANSIBLE_SHOW_CUSTOM_STATS": "1"}
    started = [start_playbook(playbook, state["inventory"], output, SETTINGS, env=env, limit=limit)
               for output, limit in zip(outputs, SLICES)]
    runs = [process.communicate(timeout=1200) + (process.returncode,) for process in started]
    merged = tmp_path_factory.mktemp("merged")
    report = run_playbook(os.path.join(ROOT, "playbooks", "report.yml"), state["inventory"], merged, {
        "seccomp_report_dir": str(merged / "report"),
        "seccomp_report_merge": [str(output / "seccomp-rollout-report") for output in outputs]}, env=env)
    return dict(state=state, runs=runs, outputs=outputs, merged=merged, report=report)


def test_each_slice_completes_on_its_own_nodes(sliced):
    for (stdout, stderr, returncode), limit in zip(sliced["runs"], SLICES):
        assert returncode == 0, stdout[-4000:] + stderr[-2000:]
        counts = recap(stdout)
        assert sorted(host for host in counts if host.startswith("sl-")) == sorted(limit.split(","))
        assert all(counts[host]["failed"] == 0 and counts[host]["unreachable"] == 0 for host in limit.split(","))
        stats = custom_stats(stdout)["seccomp_rollout"]
        assert stats["finished"] is True and stats["failed"] == [] and stats["totals"]["nodes"] == 2
        assert sorted(stats["nodes"]) == sorted(limit.split(",")) and set(stats["nodes"].values()) == {"enforced"}


def test_the_merged_report_has_every_node_once(sliced):
    report_run = sliced["report"]
    assert report_run.returncode == 0, report_run.stdout[-4000:]
    report = json.loads((sliced["merged"] / "report" / "report.json").read_text())
    assert sorted(report["nodes"]) == ["sl-1", "sl-2", "sl-3", "sl-4"]
    assert set(entry["status"] for entry in report["nodes"].values()) == {"enforced"}
    ids = [json.loads((output / "seccomp-rollout-report" / "run.json").read_text())["id"] for output in sliced["outputs"]]
    assert sorted(item["id"] for item in report["run"]["merged_from"]) == sorted(ids)
    assert (sliced["merged"] / "report" / "report.html").exists()
    stats = custom_stats(report_run.stdout)["seccomp_rollout"]
    assert stats["totals"]["nodes"] == 4 and stats["run_id"] == report["run"]["id"]


def test_check_flags_a_node_whose_config_owner_turned_seccomp_default_off_again(sliced, tmp_path):
    """What owns a node's kubelet configuration may write it again (kubespray's cluster.yml, nodeadm at boot, nodeup):
    here sl-1 loses the file the rollout wrote and its kubelet restarts without seccompDefault. check.yml reads the
    node's rollout progress and its kubelet, and names the node with what to set to keep it on."""
    state = sliced["state"]
    report = json.loads((sliced["merged"] / "report" / "report.json").read_text())
    record = report["nodes"]["sl-1"]["stages"]["enforce"]
    assert record["owner"]["keep_with"] and record["changed_files"], record
    for path in record["changed_files"]:
        fleet.in_node(state["nodes"]["sl-1"], ["rm", "-f", path])
    fleet.in_node(state["nodes"]["sl-1"], ["systemctl", "restart", "kubelet"])
    pods = tmp_path / "pods.json"
    pods.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": []}))
    run = run_playbook(os.path.join(ROOT, "playbooks", "check.yml"), state["inventory"], tmp_path, {"pods_file": str(pods)})
    assert run.returncode == 0, run.stdout[-4000:]
    summary = (tmp_path / "seccomp-check-report" / "summary.md").read_text()
    assert "**1 nodes lost seccompDefault** after a rollout enforced it: sl-1" in summary, summary
    (row,) = [line for line in summary.splitlines() if line.startswith("| sl-1 |")]
    assert record["owner"]["keep_with"] in row
    # in the rollout's own words: what a re-run would do with the node (its resume of enforcement)
    (why,) = [line for line in summary.splitlines() if line.startswith("- sl-")]
    assert why.startswith("- sl-1: was enforced in run ") and "seccompDefault is off now" in why, summary
    assert why.endswith("not enabled again unless asked (seccomp_enforce_retry_rolled_back=true)"), why
    assert "lost seccompDefault after a rollout enforced it: sl-1" in run.stdout
