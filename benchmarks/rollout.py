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


RESTART_TASKS = ("preflight : Restart the kubelet so that it reads its configuration", "Restart the kubelet]")
WAIT_TASKS = ("preflight : Wait for the kubelet to be healthy", "Wait for /healthz to be stable again")
ELAPSED = re.compile(r"\((\d+):(\d+):([\d.]+)\)\s+\d+:\d+:[\d.]+ \*+\s*$")
RAN = re.compile(r"^(ok|changed|failed|fatal): \[")


def task_blocks(stdout):
    """(task header, how long it took, whether any host ran it) for every task, from profile_tasks' time stamps:
    the elapsed time printed under a task header is the time the previous task took."""
    blocks = []
    for line in stdout.splitlines():
        if line.startswith(("TASK [", "PLAY [")):
            blocks.append([line, 0.0, False])
            continue
        elapsed = ELAPSED.search(line)
        if elapsed and len(blocks) > 1:
            blocks[-2][1] += int(elapsed.group(1)) * 3600 + int(elapsed.group(2)) * 60 + float(elapsed.group(3))
        elif blocks and RAN.match(line):
            blocks[-1][2] = True
    return blocks


def kubelet_restarts(stdout):
    """How many kubelet restarts ran one after another (a batch's nodes restart together), and their time with the
    wait for /healthz."""
    blocks = [block for block in task_blocks(stdout) if block[2]]
    waits = [block for block in blocks if any(name in block[0] for name in WAIT_TASKS)]
    restarts = [block for block in blocks if any(name in block[0] for name in RESTART_TASKS)]
    return len(waits), sum(block[1] for block in waits + restarts)


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
    waits, restart_time = kubelet_restarts(run.stdout)
    floor_waits, _floor_restart_time = kubelet_restarts(base.stdout)
    print("kubelet restarts one after another: rollout %d, floor %d - stage 1 restarts a batch's kubelets where the gate "
          "is added (1.22-1.24), stage 2 twice on CRI-O (complain mode on, then off), stage 3 once" % (waits, floor_waits))
    print("restarts and /healthz waits alone: %.1f s = %.2fx the floor; all other work: %.1f s = %.2fx the floor" % (
        restart_time, restart_time / floor, full - restart_time, (full - restart_time) / floor))
    print("slowest tasks of the rollout (ansible.posix.profile_tasks, summed over batches):")
    print("\n".join(slowest(run.stdout)))
    if enforced != NODES:
        sys.exit("the rollout did not enforce every node")
    if ratio > TARGET:
        sys.exit("the rollout took %.2fx its floor; the target is at most %.0fx" % (ratio, TARGET))


if __name__ == "__main__":
    main()
