"""Acceptance: fleet-wide readiness before any change (playbooks/preflight.yml, the first plays of rollout.yml).

A lab fleet where each node lacks a different prerequisite, run with the PATH sudo's secure_path gives on EL (no
/usr/local/bin, where crictl is on every lab node): one table names every node's blockers and their fixes, no file
changes and no kubelet restarts (sha256 and PIDs compared); the rollout with the default policy stops before its
first batch, and with skip_unready enforces only the ready nodes.
"""

import json
import os

import pytest

from lib import node_files
from lib.ansible_run import BIN, ROOT, run_playbook
from lib.lab import needs_lab
from lib.runc import runc_available
from tests.lab import fleet

pytestmark = [needs_lab, pytest.mark.skipif(not runc_available(), reason="needs runc")]
PREFLIGHT = os.path.join(ROOT, "playbooks", "preflight.yml")
ROLLOUT = os.path.join(ROOT, "playbooks", "rollout.yml")
BROKEN_YAML = "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication: {x509: [\n"
FLEET = {"name": "ready", "nodes": [
    {"name": "rd-ok", "version": "1.30.14", "runtime": "containerd", "layout": "kubeadm-deb", "workloads": ["common"]},
    {"name": "rd-no-bpftrace", "version": "1.30.14", "runtime": "containerd", "layout": "kubespray",
     "workloads": ["common"], "hide": ["/usr/bin/bpftrace"]},
    {"name": "rd-no-records", "version": "1.30.14", "runtime": "crio", "layout": "kubeadm-rpm", "workloads": ["common"],
     "hide": ["/dev/kmsg"]},
    {"name": "rd-worker", "version": "1.31.0", "runtime": "containerd", "layout": "kind", "workloads": ["common"],
     "admin_cert": False},
    {"name": "rd-bad-config", "version": "1.30.14", "runtime": "containerd", "layout": "kubeadm-deb",
     "workloads": ["common"], "files": {"/var/lib/kubelet/config.yaml": BROKEN_YAML}, "expect_down": True},
    {"name": "rd-stale-gate", "version": "1.30.14", "runtime": "containerd", "layout": "dropin", "workloads": ["common"],
     "base_config": {"featureGates": {"SeccompDefault": True}}, "expect_down": True},
]}
READY = ["rd-ok", "rd-stale-gate"]
# EL's sudo secure_path: /usr/local/bin is not on it.
SECURE_PATH = {"PATH": "%s:/sbin:/bin:/usr/sbin:/usr/bin" % BIN}
FAST = {"seccomp_serial": 3, "seccomp_audit_soak": "4s", "seccomp_audit_soak_steps": 1, "seccomp_enforce_watch": "2s",
        "seccomp_enforce_watch_steps": 1, "seccomp_max_fail_percentage": 100}


def fingerprint(state):
    """sha256 of every file of every node (lib.node_files), and each running kubelet's PID (for a kubelet that cannot
    run, how often it was stopped)."""
    found = node_files.fingerprint(state)
    for node in FLEET["nodes"]:
        fs = os.path.join(fleet.fleet_dir(state["name"]), "nodes", node["name"], "fs")
        if node.get("expect_down"):
            # A kubelet that cannot run is restarted by systemd itself every RestartSec (Restart=always), so its PID
            # changes on its own: what must not change is how often it was stopped by someone (systemctl stop/restart).
            with open(os.path.join(fs, "var-log", "journal-lab", "kubelet.service.log"), "rb") as handle:
                found[node["name"] + " kubelet stops"] = handle.read().count(b"Stopping kubelet.service...")
            continue
        shown = fleet.in_node(state["nodes"][node["name"]], ["systemctl", "show", "kubelet.service", "--property=MainPID"])
        found[node["name"] + " kubelet pid"] = shown.stdout.strip()
    return found


@pytest.fixture(scope="module")
def lab(make_fleet):
    return make_fleet(FLEET)


@pytest.fixture(scope="module")
def preflight(lab, tmp_path_factory):
    before = fingerprint(lab)
    work = tmp_path_factory.mktemp("preflight")
    run = run_playbook(PREFLIGHT, lab["inventory"], str(work), env=SECURE_PATH)
    with open(os.path.join(str(work), "seccomp-rollout-report", "report.json")) as handle:
        report = json.load(handle)
    return dict(run=run, report=report, before=before, after=fingerprint(lab), work=str(work))


def findings(report, host):
    return dict((c["check"], c) for c in report["readiness"]["nodes"][host]["checks"] if c["status"] != "ok")


def test_the_table_names_each_nodes_blockers_and_their_fixes(preflight):
    out, report = preflight["run"].stdout, preflight["report"]
    assert preflight["run"].returncode == 2, out[-3000:]  # policy stop: the run fails when a node is not ready
    assert "4 of 6 nodes are not ready: rd-bad-config, rd-no-bpftrace, rd-no-records, rd-worker. Nothing was changed." in out
    assert sorted(h for h, n in report["readiness"]["nodes"].items() if n["ready"]) == READY
    assert set(findings(report, "rd-no-bpftrace")) == {"bpftrace"}
    assert "bpftrace was not found" in findings(report, "rd-no-bpftrace")["bpftrace"]["detail"]
    assert findings(report, "rd-no-bpftrace")["bpftrace"]["fix"] == "install bpftrace, or set seccomp_bpftrace to its path"
    assert findings(report, "rd-no-records")["records"]["status"] == "blocker"
    assert findings(report, "rd-no-records")["records"]["fix"] == "run auditd, or make /dev/kmsg readable"
    assert "apiserver-kubelet-client.crt" in findings(report, "rd-worker")["credentials"]["detail"]
    bad = findings(report, "rd-bad-config")
    assert bad["kubelet"]["status"] == "blocker" and "/var/lib/kubelet/config.yaml" in bad["kubelet"]["detail"]
    assert bad["kubelet_health"]["status"] == "blocker"
    stale = findings(report, "rd-stale-gate")
    assert stale["kubelet_health"]["status"] == "repair"
    # crictl is not on this PATH but in /usr/local/bin, where kubespray and manual installs put it: found.
    for host, node in report["readiness"]["nodes"].items():
        crictl = dict((c["check"], c) for c in node["checks"])["crictl"]
        assert crictl["status"] == "ok" and crictl["detail"].startswith("/usr/local/bin/crictl"), (host, crictl)
    table = out[out.index("Readiness of every node"):]
    for host in [n["name"] for n in FLEET["nodes"]]:
        assert host in table
    assert "rd-no-bpftrace blocker bpftrace: bpftrace was not found" in table
    assert "-> fix: install bpftrace, or set seccomp_bpftrace to its path" in table


def test_nothing_changed_and_no_kubelet_restarted(preflight):
    assert preflight["after"] == preflight["before"]
    assert all(pid.startswith("MainPID=") for key, pid in preflight["before"].items() if key.endswith("kubelet pid"))


def test_the_report_says_which_nodes_are_not_ready(preflight):
    report = preflight["report"]
    assert report["run"]["preflight_only"] is True
    assert dict((h, n["status"]) for h, n in report["nodes"].items()) == dict(
        [(n["name"], "ready" if n["name"] in READY else "not ready") for n in FLEET["nodes"]])
    with open(os.path.join(preflight["work"], "seccomp-rollout-report", "summary.md")) as handle:
        assert "# Readiness (policy stop" in handle.read()


def test_the_rollout_stops_before_its_first_batch(lab, preflight, tmp_path):
    before = fingerprint(lab)
    run = run_playbook(ROLLOUT, lab["inventory"], str(tmp_path), FAST, env=SECURE_PATH)
    assert run.returncode == 2
    assert "SeccompDefault rollout - each batch through every stage" not in run.stdout, run.stdout[-3000:]
    assert fingerprint(lab) == before


def test_skip_unready_enforces_only_the_ready_nodes(lab, preflight, tmp_path):
    run = run_playbook(ROLLOUT, lab["inventory"], str(tmp_path), dict(FAST, seccomp_preflight_policy="skip_unready"),
                       env=SECURE_PATH)
    with open(os.path.join(str(tmp_path), "seccomp-rollout-report", "report.json")) as handle:
        report = json.load(handle)
    assert dict((h, n["status"]) for h, n in report["nodes"].items()) == dict(
        [(n["name"], "enforced" if n["name"] in READY else "not ready") for n in FLEET["nodes"]]), run.stdout[-4000:]
    assert sorted(report["readiness"]["left_out"]) == ["rd-bad-config", "rd-no-bpftrace", "rd-no-records", "rd-worker"]
