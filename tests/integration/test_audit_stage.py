"""Acceptance: stage 2 (audit) with playbooks/rollout.yml on lab nodes of both runtime flavours.

A workload that calls unshare(2) runs on a containerd node (observe-only: traced with bpftrace) and on a
CRI-O node (complain mode: RuntimeDefault becomes kubernetes/default-audit and the kernel logs). Both
nodes must stop with a report that names pod, container, executable and syscall, and a suggested profile
that really lets the workload run under runc; the node with clean workloads goes on; privileged and
explicit Unconfined containers never stop a node; and CRI-O and the kubelet are put back byte for byte.
"""

import hashlib
import json
import os

import pytest

from ansible_collections.k8s.seccomp_default.plugins.module_utils import profiles
from lib.ansible_run import ROOT, recap, run_playbook
from lib.kmsg import printk_unthrottled
from lib.lab import needs_lab
from lib.runc import Bundle, runc_available
from tests.lab import fleet

pytestmark = [needs_lab, pytest.mark.skipif(not runc_available(), reason="needs runc")]
ROLLOUT = os.path.join(ROOT, "playbooks", "rollout.yml")
FLEET = {"name": "audit", "nodes": [
    {"name": "au-containerd", "version": "1.30.14", "runtime": "containerd", "layout": "dropin",
     "workloads": ["common", "needs-unshare", "privileged"]},
    {"name": "au-crio", "version": "1.29.10", "runtime": "crio", "layout": "kubeadm",
     "workloads": ["common", "needs-unshare", "unconfined"]},
    {"name": "au-clean", "version": "1.33.5", "runtime": "crio", "layout": "dropin", "workloads": ["common", "privileged"]},
]}


def tree(state, node, *paths):
    """sha256 of every file under ``paths`` of ``node`` (production paths)."""
    digests = {}
    base = os.path.join(fleet.fleet_dir(state["name"]), "nodes", node, "fs")
    for path in paths:
        top = fleet.fs_path(base, path)
        if os.path.isfile(top):
            with open(top, "rb") as handle:
                digests[path] = hashlib.sha256(handle.read()).hexdigest()
        for root, _dirs, files in os.walk(top):
            for name in files:
                with open(os.path.join(root, name), "rb") as handle:
                    digests[os.path.join(path, os.path.relpath(os.path.join(root, name), top))] = \
                        hashlib.sha256(handle.read()).hexdigest()
    return digests


@pytest.fixture(scope="module")
def stage2(make_fleet, tmp_path_factory):
    state = make_fleet(FLEET)
    watched = ("/etc/crio", "/etc/kubernetes", "/var/lib/kubelet/config.yaml", "/var/lib/kubelet/kubeadm-flags.env")
    before = dict((node, tree(state, node, *watched)) for node in state["nodes"])
    output = tmp_path_factory.mktemp("stage2")
    # The lab's nodes share one kernel, so one node's complain-mode records would use up the printk rate limit
    # of all of them (and stage 2 refuses throttled records); lifted as an operator would
    # (docs/kubernetes-facts.md#delivery-and-rate-limits).
    with printk_unthrottled():
        run = run_playbook(ROLLOUT, state["inventory"], output, {
            "seccomp_stages": ["audit"], "seccomp_serial": 3, "seccomp_audit_soak": "12s", "seccomp_audit_soak_steps": 3})
    after = dict((node, tree(state, node, *watched)) for node in state["nodes"])
    report = output / "seccomp-rollout-report"
    records = dict((node, json.loads((report / "nodes" / (node + ".stage2.json")).read_text())) for node in state["nodes"])
    return dict(state=state, run=run, before=before, after=after, report=report, records=records)


def test_the_unshare_workload_stops_its_node_on_both_runtimes(stage2):
    run = stage2["run"]
    counts = recap(run.stdout)
    assert run.returncode != 0
    assert counts["au-containerd"]["failed"] == 1 and counts["au-crio"]["failed"] == 1, run.stdout[-4000:]
    for node, mode in (("au-containerd", "observe"), ("au-crio", "complain")):
        record = stage2["records"][node]
        assert record["mode"] == mode and record["passed"] is False and record["complete"] is True
        (workload,) = record["workloads"]
        assert (workload["pod"], workload["container"], workload["syscalls"]) == (
            "needs-unshare-" + node, "needs-unshare", ["unshare"]), record
        assert workload["executables"] == ["/bin/busybox"]
        message = "Stage 2 (audit) stopped %s" % node
        assert message in run.stdout
        line = [text for text in run.stdout.splitlines() if message in text][0]
        assert "default/needs-unshare-%s container needs-unshare (/bin/busybox) called unshare" % node in line


def test_the_clean_node_proceeds(stage2):
    counts = recap(stage2["run"].stdout)
    assert counts["au-clean"]["failed"] == 0
    record = stage2["records"]["au-clean"]
    assert record["passed"] is True and record["workloads"] == [] and record["mode"] == "complain"
    assert [target["container"] for target in record["containers_watched"]] == ["common"]


def test_containers_that_stay_unconfined_are_reported_apart(stage2):
    apart = stage2["records"]["au-containerd"]["apart"]
    privileged = [entry for entry in apart if entry.get("container") == "privileged"]
    assert privileged and all(entry["reason"] == "privileged: stays Unconfined" for entry in privileged)
    assert {entry["syscall"] for entry in privileged} >= {"unshare"}


def test_complain_mode_is_undone_byte_for_byte(stage2):
    for node in ("au-crio", "au-clean"):
        assert stage2["after"][node] == stage2["before"][node], node
        assert stage2["records"][node]["restored"]["crio"] == "removed"
        assert stage2["records"][node]["restored"]["kubelet"], "seccompDefault was turned on and must be restored"
    assert stage2["after"]["au-containerd"] == stage2["before"]["au-containerd"]


def test_the_suggested_profile_lets_the_workload_run(stage2, tmp_path):
    for node in ("au-containerd", "au-crio"):
        path = stage2["report"] / "suggested-profiles" / node / ("default_needs-unshare-%s_needs-unshare.json" % node)
        suggested = json.loads(path.read_text())
        assert profiles.validate_profile(suggested)["errors"] == []
        default = json.loads(open(fleet.fs_path(os.path.join(fleet.fleet_dir("audit"), "nodes", node, "fs"),
                                                "/var/lib/kubelet/seccomp/kubernetes/default.json")).read())
        added = [rule for rule in suggested["syscalls"] if rule not in default["syscalls"]]
        assert added == [{"names": ["unshare"], "action": "SCMP_ACT_ALLOW"}]
        bundle = Bundle(tmp_path / node)
        assert bundle.run(["/bin/unshare", "-U", "/bin/true"], seccomp=default).returncode != 0
        result = bundle.run(["/bin/unshare", "-U", "/bin/true"], seccomp=suggested)
        assert result.returncode == 0, result.stderr
