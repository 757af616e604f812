"""`make bench`: the whole rollout on a lab fleet of BENCH_ROLLOUT_NODES nodes (default 12) against its floor.

The floor is benchmarks/baseline_restart.yml: restart each node's kubelet and wait for /healthz, in the same
batches - the one step no SeccompDefault rollout can avoid. The rollout is playbooks/rollout.yml with every stage,
soak and watch 0, on the same fleet right after. Reported: both wall times, their ratio, and the task executions
per node (from PLAY RECAP: ok + failed, i.e. tasks that ran; skipped ones apart). Target: at most 3x the floor;
the exit status says whether it was met, and whether the rollout enforced every node.
"""

import json
import re
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, ROOT)

from lib.ansible_run import recap  # noqa: E402
from tests.lab import fleet  # noqa: E402

NODES = int(os.environ.get("BENCH_ROLLOUT_NODES", "12"))
SERIAL = os.environ.get("BENCH_ROLLOUT_SERIAL", "25%")
TARGET = 3.0
KINDS = [("1.24.17", "containerd", "kubeadm"), ("1.27.16", "crio", "flags"), ("1.30.14", "containerd", "dropin"),
         ("1.33.5", "crio", "dropin")]


def playbook(path, inventory, extra, output):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"),
               ANSIBLE_FORKS="50", ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks", PROFILE_TASKS_TASK_OUTPUT_LIMIT="12")
    start = time.monotonic()
    run = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", inventory, path,
                          "-e", json.dumps(extra)], cwd=output, env=env, capture_output=True, text=True, check=False)
    return time.monotonic() - start, run


def slowest(stdout, count=12):
    """The profile_tasks summary lines, slowest first."""
    lines = [line for line in stdout.splitlines() if re.search(r" -+ \d+\.\d+s$", line)]
    return lines[-count:] if lines else ["(no profile)"]


def main():
    output = os.path.join(ROOT, ".build", "bench-rollout")
    subprocess.run(["rm", "-rf", output], check=True)
    os.makedirs(output)
    nodes = [dict(name="bench-%02d" % (number + 1), version=KINDS[number % 4][0], runtime=KINDS[number % 4][1],
                  layout=KINDS[number % 4][2], workloads=["common"]) for number in range(NODES)]
    state = fleet.create({"name": "bench", "nodes": nodes})
    try:
        common = {"seccomp_serial": SERIAL}
        floor, base = playbook(os.path.join(HERE, "baseline_restart.yml"), state["inventory"], common, output)
        if base.returncode != 0:
            sys.exit("the baseline failed:\n" + base.stdout[-3000:])
        full, run = playbook(os.path.join(ROOT, "playbooks", "rollout.yml"), state["inventory"], dict(
            common, seccomp_audit_soak=0, seccomp_enforce_watch=0, seccomp_report_dir=os.path.join(output, "report")), output)
        with open(os.path.join(output, "rollout.log"), "w") as handle:
            handle.write(run.stdout + run.stderr)
        if run.returncode != 0:
            sys.exit("the rollout failed (log in .build/bench-rollout/rollout.log):\n" + run.stdout[-3000:])
        counts = recap(run.stdout)
        base_counts = recap(base.stdout)
        with open(os.path.join(output, "report", "report.json")) as handle:
            report = json.load(handle)
    finally:
        fleet.destroy("bench")
    executed = sorted(counts[n]["ok"] + counts[n]["failed"] for n in state["nodes"])
    skipped = sorted(counts[n]["skipped"] for n in state["nodes"])
    enforced = sum(1 for entry in report["nodes"].values() if entry["status"] == "enforced")
    ratio = full / floor
    print("rollout benchmark: %d lab nodes (%s), batches of %s, soak 0, watch 0" % (
        NODES, ", ".join("%s %s" % (v, r) for v, r, _l in KINDS), SERIAL))
    print("| run | wall time (s) | task executions per node | ratio to the floor |")
    print("|---|---|---|---|")
    print("| floor: restart kubelet + /healthz | %.1f | %d | 1.00x |" % (floor, base_counts[nodes[0]["name"]]["ok"]))
    print("| rollout: preflight, stages 1-3, report | %.1f | %d-%d (skipped %d-%d) | **%.2fx** (target <= %.0fx) |" % (
        full, executed[0], executed[-1], skipped[0], skipped[-1], ratio, TARGET))
    print("enforced: %d of %d nodes" % (enforced, NODES))
    print("slowest tasks of the rollout (ansible.posix.profile_tasks, summed over batches):")
    print("\n".join(slowest(run.stdout)))
    if enforced != NODES:
        sys.exit("the rollout did not enforce every node")
    if ratio > TARGET:
        sys.exit("the rollout took %.2fx its floor; the target is at most %.0fx" % (ratio, TARGET))


if __name__ == "__main__":
    main()
