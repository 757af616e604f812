"""rollout_report as the hosts of a batch call it: at the same time, each with its own record."""

import fcntl
import json
import os
import subprocess
import sys
import time

from ansible_collections.k8s.seccomp_default.plugins.module_utils import rollout_report

COLLECTIONS = os.path.abspath(os.path.join(os.path.dirname(rollout_report.__file__), *[".."] * 5))
MODULE = "ansible_collections.k8s.seccomp_default.plugins.modules.rollout_report"


def record_in_background(tmp_path, report_dir, host, batch):
    args = tmp_path / ("%s.args.json" % host)
    args.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {
        "dir": str(report_dir), "host": host, "batch": batch,
        "record": {"stage": "feature_gate", "result": "changed", "check_mode": False, "changed_files": [],
                   "kubelet_restarted": False}}}))
    env = dict(os.environ, PYTHONPATH=COLLECTIONS)
    return subprocess.Popen([sys.executable, "-m", MODULE, str(args)], env=env, stdout=subprocess.PIPE, text=True)


def waiting_on(inode):
    """How many processes are blocked waiting for a flock of the file with ``inode`` (lines "N: -> FLOCK ...")."""
    with open("/proc/locks") as handle:
        return sum(1 for line in handle if " -> FLOCK " in line and line.split()[6].split(":")[-1] == str(inode))


def test_a_batch_recording_at_once_rebuilds_the_report_once_and_loses_no_node(tmp_path):
    report_dir = tmp_path / "report"
    (report_dir / "nodes").mkdir(parents=True)
    hosts = ["node-%02d" % number for number in range(12)]
    with open(report_dir / ".lock", "a") as lock:
        # The test holds the lock until every host has written its record, as a slow rebuild would.
        fcntl.flock(lock, fcntl.LOCK_EX)
        calls = [record_in_background(tmp_path, report_dir, host, hosts) for host in hosts]
        deadline = time.monotonic() + 60
        # Every call waits on the lock only after its record is in place and it has noted when; releasing the
        # lock earlier (a slow machine) would let a call that noted its time after the rebuild began rebuild again,
        # as it should. So wait until the kernel shows all of them blocked on this lock (/proc/locks "->" lines).
        inode = os.fstat(lock.fileno()).st_ino
        while waiting_on(inode) < len(hosts) and time.monotonic() < deadline:
            time.sleep(0.05)
        fcntl.flock(lock, fcntl.LOCK_UN)
    results = [json.loads(call.communicate(timeout=60)[0]) for call in calls]
    assert [result.get("failed", False) for result in results] == [False] * len(hosts)
    assert sum(result["rebuilt"] for result in results) == 1
    report = json.loads((report_dir / "report.json").read_text())
    assert sorted(report["nodes"]) == hosts
    assert all(result["totals"] == report["totals"] for result in results)


def test_a_record_written_after_the_last_rebuild_rebuilds_again(tmp_path):
    report_dir = tmp_path / "report"
    first = record_in_background(tmp_path, report_dir, "node-a", ["node-a"])
    assert json.loads(first.communicate(timeout=60)[0])["rebuilt"]
    second = record_in_background(tmp_path, report_dir, "node-b", ["node-b"])
    assert json.loads(second.communicate(timeout=60)[0])["rebuilt"]
    assert sorted(json.loads((report_dir / "report.json").read_text())["nodes"]) == ["node-a", "node-b"]
