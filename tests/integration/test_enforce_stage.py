"""Enforcement with playbooks/rollout.yml on lab nodes, one per batch: a clean node ends with every changed
container verified under RuntimeDefault; a node whose workload crashes under it is rolled back byte for byte and
healthy, and the rollout stops before the next batch, which stays untouched."""

import hashlib
import json
import os
import time

import jsonschema
import pytest

from lib.ansible_run import ROOT, recap, run_playbook
from lib.lab import needs_lab
from tests.lab import fleet

pytestmark = needs_lab
ROLLOUT = os.path.join(ROOT, "playbooks", "rollout.yml")
FLEET = {"name": "enforce", "nodes": [
    {"name": "en-good", "version": "1.30.14", "runtime": "containerd", "layout": "dropin",
     "workloads": ["common", "privileged", "unconfined", "localhost-pod"]},
    {"name": "en-bad", "version": "1.29.10", "runtime": "crio", "layout": "kubeadm", "workloads": ["common", "needs-unshare"]},
    {"name": "en-later", "version": "1.33.5", "runtime": "containerd", "layout": "dropin", "workloads": ["common"]},
]}
WATCHED = ("/etc/kubernetes", "/var/lib/kubelet/config.yaml", "/var/lib/kubelet/kubeadm-flags.env", "/etc/default")


def tree(state, node):
    digests = {}
    base = os.path.join(fleet.fleet_dir(state["name"]), "nodes", node, "fs")
    for path in WATCHED:
        top = fleet.fs_path(base, path)
        if os.path.isfile(top):
            digests[path] = hashlib.sha256(open(top, "rb").read()).hexdigest()
        for root, _dirs, files in os.walk(top):
            for name in files:
                digests[os.path.join(root, name)] = hashlib.sha256(open(os.path.join(root, name), "rb").read()).hexdigest()
    return digests


def running_seccomp(state, node, container):
    """Whether the running instance of ``container`` has a seccomp filter (None: none is running)."""
    listing = json.loads(fleet.in_node(state["nodes"][node], ["crictl", "ps", "-o", "json"]).stdout)["containers"]
    for item in listing:
        if item["metadata"]["name"] == container:
            inspected = json.loads(fleet.in_node(state["nodes"][node], ["crictl", "inspect", item["id"]]).stdout)
            return bool(((inspected["info"].get("runtimeSpec") or {}).get("linux") or {}).get("seccomp"))
    return None


@pytest.fixture(scope="module")
def stage3(make_fleet, tmp_path_factory):
    state = make_fleet(FLEET)
    before = dict((node, tree(state, node)) for node in state["nodes"])
    output = tmp_path_factory.mktemp("stage3")
    run = run_playbook(ROLLOUT, state["inventory"], output, {
        "seccomp_stages": ["enforce"], "seccomp_serial": 1, "seccomp_enforce_watch": "10s", "seccomp_enforce_watch_steps": 2})
    after = dict((node, tree(state, node)) for node in state["nodes"])
    # The run stopped before its report play; the report is whole anyway (rebuilt as each node finished a
    # stage), and report.yml rebuilds the same from the node records.
    report = output / "seccomp-rollout-report"
    written_by_the_run = json.loads((report / "report.json").read_text())
    rebuilt = run_playbook(os.path.join(ROOT, "playbooks", "report.yml"), state["inventory"], output)
    assert rebuilt.returncode == 0, rebuilt.stdout[-2000:]
    assert json.loads((report / "report.json").read_text())["nodes"] == written_by_the_run["nodes"]
    records = dict((path.name.split(".")[0], json.loads(path.read_text())) for path in (report / "nodes").glob("*.enforce.json"))
    return dict(state=state, run=run, before=before, after=after, records=records, summary=(report / "summary.md").read_text(),
                report=json.loads((report / "report.json").read_text()))


def test_the_run_report_follows_its_published_schema(stage3):
    with open(os.path.join(ROOT, "docs", "rollout-report.schema.json")) as handle:
        jsonschema.validate(stage3["report"], json.load(handle))
    statuses = dict((node, entry["status"]) for node, entry in stage3["report"]["nodes"].items())
    assert statuses == {"en-good": "enforced", "en-bad": "rolled back", "en-later": "not reached"}
    assert stage3["report"]["run"]["stages"] == ["enforce"] and stage3["report"]["totals"]["failed"] == 1
    assert [b["hosts"] for b in stage3["report"]["batches"] if b["stage"] == "enforce"] == [["en-good"], ["en-bad"]]


def test_a_clean_node_ends_verified_under_runtime_default(stage3):
    record = stage3["records"]["en-good"]
    assert record["result"] == "enforced" and record["changed_files"] == ["/etc/kubernetes/kubelet.conf.d/90-seccomp-default.conf"]
    assert [entry["container"] for entry in record["recreated"]] == ["common"]
    rows = dict((row["container"], (row["applied"], row["expected"], row["ok"])) for row in record["containers"])
    assert rows == {"common": ("seccomp", "RuntimeDefault", True), "localhost-pod": ("seccomp", "Localhost", True),
                    "privileged": ("none", "Unconfined", True), "unconfined": ("none", "Unconfined", True)}
    assert running_seccomp(stage3["state"], "en-good", "common") is True


def test_a_crashing_workload_is_rolled_back_and_the_rollout_stops(stage3):
    run = stage3["run"]
    counts = recap(run.stdout)
    assert run.returncode != 0 and counts["en-bad"]["failed"] == 1 and counts["en-good"]["failed"] == 0
    record = stage3["records"]["en-bad"]
    assert record["result"] == "rolled back" and record["healthy_after_rollback"] is True
    assert "needs-unshare-en-bad/needs-unshare" in record["error"]
    assert stage3["after"]["en-bad"] == stage3["before"]["en-bad"]
    # the crashing container comes back without a filter once the kubelet recreates it
    deadline = time.time() + 90
    while running_seccomp(stage3["state"], "en-bad", "needs-unshare") is not False and time.time() < deadline:
        time.sleep(2)
    assert running_seccomp(stage3["state"], "en-bad", "needs-unshare") is False


def test_the_next_batch_is_untouched(stage3):
    assert "en-later" not in recap(stage3["run"].stdout) or recap(stage3["run"].stdout)["en-later"]["changed"] == 0
    assert "en-later" not in stage3["records"]
    assert stage3["after"]["en-later"] == stage3["before"]["en-later"]
    assert "| en-good | enforced |" in stage3["summary"] and "| en-bad | rolled back |" in stage3["summary"]


def test_rollback_turns_it_off_and_recreates_what_changed(stage3, tmp_path):
    state = stage3["state"]
    rollback = os.path.join(ROOT, "playbooks", "rollback.yml")
    run = run_playbook(rollback, state["inventory"], tmp_path, {"seccomp_target_hosts": "en-good"})
    assert run.returncode == 0, run.stdout[-3000:]
    assert fleet.fetch_configz(state["nodes"]["en-good"]).get("seccompDefault", False) is False
    assert running_seccomp(state, "en-good", "common") is False
    assert running_seccomp(state, "en-good", "localhost-pod") is True  # its own Localhost profile stays
    again = run_playbook(rollback, state["inventory"], tmp_path, {"seccomp_target_hosts": "en-good"})
    assert again.returncode == 0 and recap(again.stdout)["en-good"]["changed"] == 0, again.stdout[-3000:]
