"""Acceptance: nodes without an admin certificate, and the drain, against the lab's API server.

A worker (kind's layout, its kubelet's own kubeconfig, no apiserver-kubelet-client certificate) reads its pods from
the API server as system:node:<name> and the kubelet's /configz through the API server's proxy with the controller's
kubeconfig, and ends enforced. A node drained with kubernetes.core.k8s_drain has its pod evicted, is enforced and
uncordoned, and gets its pod back. A node whose pod a PodDisruptionBudget protects fails the drain cleanly: it is
uncordoned, not one of its files changed, and the report says why.
"""

import hashlib
import json
import os

import pytest

from lib.ansible_run import ROOT, run_playbook
from lib.lab import needs_lab
from lib.runc import runc_available
from tests.lab import fleet

pytestmark = [needs_lab, pytest.mark.skipif(not runc_available(), reason="needs runc")]
ROLLOUT = os.path.join(ROOT, "playbooks", "rollout.yml")
FLEET = {"name": "workers", "api_server": True, "nodes": [
    {"name": "wk-worker", "version": "1.31.0", "runtime": "containerd", "layout": "kind", "workloads": ["common"],
     "admin_cert": False},
    {"name": "wk-drain", "version": "1.30.14", "runtime": "containerd", "layout": "kubeadm-deb", "workloads": ["common"]},
    {"name": "wk-pdb", "version": "1.30.14", "runtime": "containerd", "layout": "kubeadm-deb", "workloads": ["unconfined"]},
], "pdbs": [{"namespace": "default", "name": "keep-unconfined", "selector": {"app": "unconfined"}, "maxUnavailable": 0}]}
FAST = {"seccomp_serial": 3, "seccomp_audit_soak": "4s", "seccomp_audit_soak_steps": 1, "seccomp_enforce_watch": "2s",
        "seccomp_enforce_watch_steps": 1, "seccomp_max_fail_percentage": 100, "seccomp_enforce_drain_timeout": 30}


def config_hash(state, node):
    path = fleet.fs_path(os.path.join(fleet.fleet_dir(state["name"]), "nodes", node, "fs"), "/var/lib/kubelet/config.yaml")
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


@pytest.fixture(scope="module")
def rolled_out(make_fleet, tmp_path_factory):
    state = make_fleet(FLEET)
    pdb_before = config_hash(state, "wk-pdb")
    work = tmp_path_factory.mktemp("workers")
    # The drain runs on every node of the run; only wk-pdb's pod is protected.
    run = run_playbook(ROLLOUT, state["inventory"], str(work), dict(FAST, seccomp_enforce_drain=True))
    with open(os.path.join(str(work), "seccomp-rollout-report", "report.json")) as handle:
        report = json.load(handle)
    with open(os.path.join(fleet.fleet_dir(state["name"]), "apiserver.log")) as handle:
        log = handle.read()
    with open(os.path.join(fleet.fleet_dir(state["name"]), "apiserver-state.json")) as handle:
        server = json.load(handle)
    return dict(state=state, run=run, report=report, log=log, server=server, pdb_before=pdb_before)


def test_a_worker_without_the_admin_certificate_is_enforced(rolled_out):
    report = rolled_out["report"]
    assert report["nodes"]["wk-worker"]["status"] == "enforced", rolled_out["run"].stdout[-4000:]
    access = report["readiness"]["nodes"]["wk-worker"]["access"]
    assert (access["pods"], access["configz"]) == ("api_server", "api_server")
    assert "pods from the API server as system:node:wk-worker (/etc/kubernetes/kubelet.conf)" in access["why"]
    # The API server saw the node list its own pods and the controller read /configz through the proxy.
    assert '"GET /api/v1/pods?fieldSelector=spec.nodeName%3Dwk-worker HTTP/1.1" 200' in rolled_out["log"]
    assert '"GET /api/v1/nodes/wk-worker/proxy/configz HTTP/1.1" 200' in rolled_out["log"]


def test_a_drained_node_is_enforced_uncordoned_and_gets_its_pod_back(rolled_out):
    report, log = rolled_out["report"], rolled_out["log"]
    assert report["nodes"]["wk-drain"]["status"] == "enforced", rolled_out["run"].stdout[-4000:]
    assert '"POST /api/v1/namespaces/default/pods/common-wk-drain/eviction HTTP/1.1" 201' in log
    assert rolled_out["server"]["unschedulable"]["wk-drain"] is False
    assert rolled_out["server"]["evicted"].get("wk-drain", {}) == {}
    manifests = os.path.join(fleet.fleet_dir(rolled_out["state"]["name"]), "nodes", "wk-drain", "fs", "etc-kubernetes",
                             "manifests")
    assert "common.yaml" in os.listdir(manifests)


def test_a_pod_disruption_budget_fails_the_drain_cleanly(rolled_out):
    node = rolled_out["report"]["nodes"]["wk-pdb"]
    assert node["status"] == "rolled back" and node["failed"] is True
    assert "disruption budget" in node["stages"]["enforce"]["error"]
    assert '"POST /api/v1/namespaces/default/pods/unconfined-wk-pdb/eviction HTTP/1.1" 429' in rolled_out["log"]
    assert rolled_out["server"]["unschedulable"]["wk-pdb"] is False  # uncordoned again
    assert config_hash(rolled_out["state"], "wk-pdb") == rolled_out["pdb_before"]
