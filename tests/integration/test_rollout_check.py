"""The whole rollout with --check --diff shows the whole plan and changes nothing: every node's kubelet files and, on
CRI-O, the drop-in complain mode writes - even where the built-in profiles it points at are not installed yet (the
check-mode run installs them in a step that writes nothing).
"""

import os

import pytest

from lib.ansible_run import ROOT, run_playbook
from lib.lab import needs_lab
from lib.node_files import fingerprint
from tests.lab import fleet

pytestmark = needs_lab
ROLLOUT = os.path.join(ROOT, "playbooks", "rollout.yml")
DROP_IN = "/etc/crio/crio.conf.d/99-k8s-seccomp-default.conf"


@pytest.fixture(scope="module")
def pair(make_fleet):
    return make_fleet({"name": "check", "nodes": [
        {"name": "ck-containerd", "version": "1.30.14", "runtime": "containerd", "layout": "dropin", "workloads": ["common"]},
        {"name": "ck-crio", "version": "1.33.5", "runtime": "crio", "layout": "dropin", "workloads": ["common"]}]})


def test_check_diff_shows_the_whole_plan_and_changes_nothing(pair, tmp_path):
    before = fingerprint(pair)
    assert not os.path.exists(fleet.fs_path(os.path.join(fleet.fleet_dir("check"), "nodes", "ck-crio", "fs"),
                                            "/var/lib/kubelet/seccomp/kubernetes/default-audit.json"))
    extra = {"seccomp_serial": 2, "seccomp_audit_soak": 0, "seccomp_enforce_watch": 0, "seccomp_report_dir": str(tmp_path / "report")}
    planned = run_playbook(ROLLOUT, pair["inventory"], tmp_path, extra, check=True, diff=True)
    assert planned.returncode == 0, planned.stdout[-4000:]
    out = planned.stdout
    # both kubelets' switch, and CRI-O's complain-mode drop-in with the profile it points RuntimeDefault at
    assert out.count("+seccompDefault: true") >= 2, out[-6000:]
    assert "+++ after: %s" % DROP_IN in out, out[-6000:]
    assert '+seccomp_profile = "/var/lib/kubelet/seccomp/kubernetes/default-audit.json"' in out, out[-6000:]
    assert "default-audit.json does not exist yet" in out + planned.stderr
    assert fingerprint(pair) == before


@pytest.mark.parametrize("setting, value, words", [
    ("seccomp_audit_soak_steps", "lots", ["seccomp_audit_soak_steps", "'settings'"]),
    ("seccomp_enforce_max_restarts", "many", ["seccomp_enforce_max_restarts", "'settings'"]),
    ("seccomp_enforce_drain", "maybe", ["seccomp_enforce_drain", "'settings'"]),
])
def test_a_bad_stage_setting_stops_the_rollout_before_any_change(pair, tmp_path, setting, value, words):
    """The stage roles' own settings are checked once per node by the readiness play, before any node is touched."""
    before = fingerprint(pair)
    extra = {"seccomp_serial": 2, setting: value, "seccomp_report_dir": str(tmp_path / "report")}
    run = run_playbook(ROLLOUT, pair["inventory"], tmp_path, extra)
    assert run.returncode != 0
    for word in words:
        assert word in run.stdout, run.stdout[-3000:]
    assert "Plan the node" not in run.stdout
    assert fingerprint(pair) == before
