"""Acceptance: the whole rollout on lab nodes built from real distributions' files (tests/data/nodes).

kubeadm's deb and rpm packages, kind, kubespray, EKS AL2 (JSON config) and AL2023 (nodeadm: environment file,
JSON config and drop-in directory, the 1.28-1.29 alpha variable), kops ("$DAEMON_ARGS") and OpenShift
(kubenswrapper, CRI-O with crio.conf.d/00-default). Every node but OpenShift's ends enforced, each file written in
its own format with nothing else in it changed; OpenShift's is found not ready by the readiness check, with what to
do instead, left out of the rollout (seccomp_preflight_policy=skip_unready), and not one of its files is touched.
"""

import hashlib
import json
import os

import pytest
import yaml

from lib.ansible_run import ROOT, recap, run_playbook
from lib.lab import needs_lab
from lib.runc import runc_available
from tests.lab import fleet

pytestmark = [needs_lab, pytest.mark.skipif(not runc_available(), reason="needs runc")]
ROLLOUT = os.path.join(ROOT, "playbooks", "rollout.yml")
FLEET = {"name": "real", "nodes": [
    {"name": "rl-kubeadm-deb", "version": "1.30.14", "runtime": "containerd", "layout": "kubeadm-deb", "workloads": ["common"]},
    {"name": "rl-kubeadm-rpm", "version": "1.24.17", "runtime": "crio", "layout": "kubeadm-rpm", "workloads": ["common"]},
    {"name": "rl-kind", "version": "1.31.0", "runtime": "containerd", "layout": "kind", "workloads": ["common"]},
    {"name": "rl-kubespray", "version": "1.30.14", "runtime": "containerd", "layout": "kubespray", "workloads": ["common"]},
    {"name": "rl-eks-al2", "version": "1.29.10", "runtime": "containerd", "layout": "eks-al2", "workloads": ["common"]},
    {"name": "rl-eks-al2023", "version": "1.29.10", "runtime": "containerd", "layout": "eks-al2023",
     "workloads": ["common"]},
    {"name": "rl-kops", "version": "1.33.5", "runtime": "containerd", "layout": "kops", "workloads": ["common"]},
    {"name": "rl-openshift", "version": "1.30.14", "runtime": "crio", "layout": "openshift", "workloads": ["common"]},
]}
EXTRA = {"seccomp_serial": 4, "seccomp_audit_soak": "6s", "seccomp_audit_soak_steps": 2, "seccomp_enforce_watch": "4s",
         "seccomp_enforce_watch_steps": 2, "seccomp_max_fail_percentage": 100, "seccomp_preflight_policy": "skip_unready"}


def read(state, node, path):
    """A file of ``node`` at its production path."""
    with open(fleet.fs_path(os.path.join(fleet.fleet_dir(state["name"]), "nodes", node, "fs"), path)) as handle:
        return handle.read()


@pytest.fixture(scope="module")
def rolled_out(make_fleet, tmp_path_factory):
    state = make_fleet(FLEET)
    before = dict((node["name"], read(state, node["name"], fleet.REAL_LAYOUTS[node["layout"]][1]))
                  for node in FLEET["nodes"])
    openshift = sorted(hashlib.sha256(read(state, "rl-openshift", path).encode()).hexdigest()
                       for path in ("/etc/kubernetes/kubelet.conf", "/etc/crio/crio.conf", "/etc/crio/crio.conf.d/00-default"))
    work = tmp_path_factory.mktemp("real")
    run = run_playbook(ROLLOUT, state["inventory"], str(work), EXTRA)
    with open(os.path.join(str(work), "seccomp-rollout-report", "report.json")) as handle:
        report = json.load(handle)
    return dict(state=state, run=run, report=report, before=before, openshift=openshift)


def test_every_layout_but_openshift_is_enforced(rolled_out):
    nodes = rolled_out["report"]["nodes"]
    assert dict((name, entry["status"]) for name, entry in nodes.items()) == dict(
        [(node["name"], "enforced") for node in FLEET["nodes"] if node["layout"] != "openshift"]
        + [("rl-openshift", "not ready")]), rolled_out["run"].stdout[-3000:]
    layouts = dict((name, entry["stages"]["feature_gate"].get("layout")) for name, entry in nodes.items()
                   if name != "rl-openshift")
    assert layouts == {"rl-kubeadm-deb": "kubeadm", "rl-kubeadm-rpm": "kubeadm", "rl-kind": "kind",
                       "rl-kubespray": "kubespray", "rl-eks-al2": "eks-al2", "rl-eks-al2023": "eks-al2023",
                       "rl-kops": "kops"}
    assert rolled_out["report"]["readiness"]["left_out"] == ["rl-openshift"]
    assert recap(rolled_out["run"].stdout)["rl-openshift"]["failed"] == 0  # assessed, left out, never failed


def test_openshift_is_refused_with_what_to_do_and_left_alone(rolled_out):
    kubelet = [c for c in rolled_out["report"]["readiness"]["nodes"]["rl-openshift"]["checks"] if c["check"] == "kubelet"][0]
    assert kubelet["status"] == "blocker"
    assert "Machine Config Operator" in kubelet["detail"] and "KubeletConfig" in kubelet["detail"]
    state = rolled_out["state"]
    assert sorted(hashlib.sha256(read(state, "rl-openshift", path).encode()).hexdigest() for path in (
        "/etc/kubernetes/kubelet.conf", "/etc/crio/crio.conf", "/etc/crio/crio.conf.d/00-default")) == rolled_out["openshift"]


def test_each_config_keeps_its_format_and_only_gains_seccomp_default(rolled_out):
    state = rolled_out["state"]
    for node in FLEET["nodes"]:
        if node["layout"] == "openshift":
            continue
        path = fleet.REAL_LAYOUTS[node["layout"]][1]
        before, after = rolled_out["before"][node["name"]], read(state, node["name"], path)
        assert before.lstrip().startswith("{") == after.lstrip().startswith("{"), node["name"]
        old, new = yaml.safe_load(before), yaml.safe_load(after)
        if node["layout"] == "eks-al2023":
            # nodeadm's node: a drop-in of ours (JSON, like nodeadm's own), the base config untouched.
            assert new == old
            drop_in = read(state, node["name"], "/etc/kubernetes/kubelet/config.json.d/90-seccomp-default.conf")
            assert json.loads(drop_in)["seccompDefault"] is True
            continue
        assert new.pop("seccompDefault") is True, node["name"]
        if node["version"].startswith("1.24"):
            assert new["featureGates"].pop("SeccompDefault") is True  # alpha: stage 1 adds the gate
            if not new["featureGates"]:
                new.pop("featureGates")
        assert new == old, node["name"]
        # Every line that was there is still there, in the same order.
        kept = [line for line in after.splitlines() if line in set(before.splitlines())]
        assert kept == [line for line in before.splitlines() if line in set(after.splitlines())], node["name"]


def test_kubeadm_before_1_25_is_reported_as_not_lasting(rolled_out):
    record = rolled_out["report"]["nodes"]["rl-kubeadm-rpm"]["stages"]["feature_gate"]
    assert record["lasting"]["survives"] is False and "kubelet-config" in record["lasting"]["note"]
