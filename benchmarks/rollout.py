"""`make bench`: the whole rollout on a lab fleet of BENCH_ROLLOUT_NODES nodes (default 12) against its floor.

The floor is benchmarks/baseline_restart.yml: restart each node's kubelet and wait for /healthz, in the same
batches - the one step no SeccompDefault rollout can avoid. The rollout is playbooks/rollout.yml with every stage,
soak and watch 0, on the same fleet right after. Reported:
- both wall times and their ratio (target: at most 3x);
- task executions per node (PLAY RECAP ok + failed: tasks that ran, includes counted as Ansible counts them;
  skipped ones apart), and the same without the fleet-wide steps (run_once) that Ansible counts against the first
  node of a play (target: at most 20);
- kubelet restarts one after another - restart tasks that ran, each a round over its batch - against the floor's
  (target: equal);
- the controller's CPU seconds per node: the kernel's process accounting (acct(2)) of every ansible-playbook
  process of the run (the main process and its workers), apart from the modules and commands they ran on the
  nodes, which in the lab share this machine.
The exit status says whether every target was met, and whether the rollout enforced every node.
"""

import ctypes
import glob
import json
import re
import os
import struct
import subprocess
import sys
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, ROOT)

from lib.ansible_run import recap  # noqa: E402
from tests.lab import fleet  # noqa: E402

NODES = int(os.environ.get("BENCH_ROLLOUT_NODES", "12"))
SERIAL = os.environ.get("BENCH_ROLLOUT_SERIAL", "25%")
TARGET = 3.0
TASKS_TARGET = 20
KINDS = [("1.24.17", "containerd", "kubeadm"), ("1.27.16", "crio", "flags"), ("1.30.14", "containerd", "dropin"),
         ("1.33.5", "crio", "dropin")]


# struct acct_v3 (linux/acct.h): flag, version, tty, exitcode, uid, gid, pid, ppid, btime, etime, utime, stime, mem,
# io, rw, minflt, majflt, swaps, comm[16]; the times are comp_t (13-bit mantissa, base-8 exponent) in AHZ (100) ticks.
ACCT = struct.Struct("<BBHIIIIIIf8H16s")
AHZ = 100.0


def comp_t(value):
    return (value & 0x1fff) << (3 * ((value >> 13) & 7))


def accounted(path):
    """[(comm, cpu seconds)] of every process that exited while process accounting wrote ``path``."""
    with open(path, "rb") as handle:
        data = handle.read()
    found = []
    for offset in range(0, len(data) - ACCT.size + 1, ACCT.size):
        fields = ACCT.unpack_from(data, offset)
        if fields[1] != 3:
            continue
        found.append((fields[-1].split(b"\0")[0].decode("ascii", "replace"), (comp_t(fields[10]) + comp_t(fields[11])) / AHZ))
    return found


def playbook(path, inventory, extra, output):
    """(wall seconds, the run, controller CPU seconds or None where process accounting is not allowed)."""
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"),
               ANSIBLE_FORKS="50", ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks", PROFILE_TASKS_TASK_OUTPUT_LIMIT="12")
    libc = ctypes.CDLL(None, use_errno=True)
    acct = os.path.join(output, "acct-%s" % os.path.basename(path))
    open(acct, "wb").close()
    accounting = libc.acct(acct.encode()) == 0
    start = time.monotonic()
    try:
        run = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", inventory, path,
                              "-e", json.dumps(extra)], cwd=output, env=env, capture_output=True, text=True, check=False)
    finally:
        wall = time.monotonic() - start
        if accounting:
            libc.acct(None)
    # The main process and its workers (forks keep its name); modules and commands on the nodes have their own.
    cpu = sum(seconds for comm, seconds in accounted(acct) if comm.startswith("ansible-playboo")) if accounting else None
    return wall, run, cpu


def run_once_tasks():
    """Names of the tasks that run once for the whole fleet (run_once), from the playbooks and roles."""
    names = set()

    def walk(node):
        if isinstance(node, dict):
            if node.get("run_once") is True and node.get("name"):
                names.add(node["name"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    for path in (glob.glob(os.path.join(ROOT, "playbooks", "*.yml")) + glob.glob(os.path.join(ROOT, "playbooks", "tasks", "*.yml"))
                 + glob.glob(os.path.join(ROOT, "roles", "*", "tasks", "*.yml"))):
        with open(path) as handle:
            walk(yaml.safe_load(handle))
    return names


def fleet_wide(stdout, host):
    """How many run_once tasks ran and were counted against ``host``."""
    names = run_once_tasks()
    count, current = 0, None
    for line in stdout.splitlines():
        if line.startswith("TASK ["):
            current = line[len("TASK ["):].split("]")[0].split(" : ")[-1]
        elif current in names and RAN.match(line) and ("[%s]" % host in line or "[%s ->" % host in line):
            count += 1
            current = None
    return count


def slowest(stdout, count=12):
    """The profile_tasks summary lines, slowest first."""
    lines = [line for line in stdout.splitlines() if re.search(r" -+ \d+\.\d+s$", line)]
    return lines[-count:] if lines else ["(no profile)"]


# The rollout restarts and waits in one task (the batch's switch, or a restart of its own); the floor in two.
RESTART_TASKS = ("core : Turn seccompDefault on and restart the kubelet once", "core : Restart the kubelet and wait until it is healthy",
                 "Restart the kubelet]")
WAIT_TASKS = ("core : Restart the kubelet and wait until it is healthy", "Wait for /healthz to be stable again")
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
    """How many kubelet restarts ran one after another (a batch's nodes restart together, in one task), and their
    time with the wait for /healthz."""
    blocks = [block for block in task_blocks(stdout) if block[2]]
    restarts = [block for block in blocks if any(name in block[0] for name in RESTART_TASKS)]
    waits = [block for block in blocks if any(name in block[0] for name in WAIT_TASKS) and block not in restarts]
    return len(restarts), sum(block[1] for block in restarts + waits)


def main():
    output = os.path.join(ROOT, ".build", "bench-rollout")
    subprocess.run(["rm", "-rf", output], check=True)
    os.makedirs(output)
    nodes = [dict(name="bench-%02d" % (number + 1), version=KINDS[number % 4][0], runtime=KINDS[number % 4][1],
                  layout=KINDS[number % 4][2], workloads=["common"]) for number in range(NODES)]
    state = fleet.create({"name": "bench", "nodes": nodes})
    try:
        common = {"seccomp_serial": SERIAL}
        floor, base, _floor_cpu = playbook(os.path.join(HERE, "baseline_restart.yml"), state["inventory"], common, output)
        if base.returncode != 0:
            sys.exit("the baseline failed:\n" + base.stdout[-3000:])
        full, run, cpu = playbook(os.path.join(ROOT, "playbooks", "rollout.yml"), state["inventory"], dict(
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
    per_node = sorted(counts[n]["ok"] + counts[n]["failed"] - fleet_wide(run.stdout, n) for n in state["nodes"])
    skipped = sorted(counts[n]["skipped"] for n in state["nodes"])
    enforced = sum(1 for entry in report["nodes"].values() if entry["status"] == "enforced")
    ratio = full / floor
    print("rollout benchmark: %d lab nodes (%s), batches of %s, soak 0, watch 0" % (
        NODES, ", ".join("%s %s" % (v, r) for v, r, _l in KINDS), SERIAL))
    print("| run | wall time (s) | task executions per node | ratio to the floor |")
    print("|---|---|---|---|")
    print("| floor: restart kubelet + /healthz | %.1f | %d | 1.00x |" % (floor, base_counts[nodes[0]["name"]]["ok"]))
    print("| rollout: readiness, each batch through every stage, report | %.1f | %d-%d (skipped %d-%d) | **%.2fx** (target <= %.0fx) |" % (
        full, executed[0], executed[-1], skipped[0], skipped[-1], ratio, TARGET))
    print("enforced: %d of %d nodes" % (enforced, NODES))
    print("task executions per node without the fleet-wide steps (run_once) counted against a play's first node: %d-%d "
          "(target <= %d)" % (per_node[0], per_node[-1], TASKS_TARGET))
    restarts, restart_time = kubelet_restarts(run.stdout)
    floor_restarts, _floor_restart_time = kubelet_restarts(base.stdout)
    print("kubelet restarts one after another: rollout %d, floor %d (target: equal) - one switch per batch; a batch "
          "restarts twice only where a stage needs it (a gate on its own, complain mode left without enforcement)"
          % (restarts, floor_restarts))
    print("restarts and /healthz waits alone: %.1f s = %.2fx the floor; all other work: %.1f s = %.2fx the floor" % (
        restart_time, restart_time / floor, full - restart_time, (full - restart_time) / floor))
    if cpu is None:
        print("controller CPU: not measured (process accounting, acct(2), is not allowed here)")
    else:
        print("controller CPU (ansible-playbook and its workers, acct(2)): %.1f s, %.2f s per node - a thousand-node run: "
              "about %.0f s of one core" % (cpu, cpu / NODES, cpu / NODES * 1000))
    print("slowest tasks of the rollout (ansible.posix.profile_tasks, summed over batches):")
    print("\n".join(slowest(run.stdout)))
    missed = []
    if enforced != NODES:
        missed.append("the rollout did not enforce every node")
    if ratio > TARGET:
        missed.append("the rollout took %.2fx its floor; the target is at most %.0fx" % (ratio, TARGET))
    if per_node[-1] > TASKS_TARGET:
        missed.append("up to %d task executions per node; the target is at most %d" % (per_node[-1], TASKS_TARGET))
    if restarts != floor_restarts:
        missed.append("%d kubelet restarts one after another; the floor has %d" % (restarts, floor_restarts))
    if missed:
        sys.exit("targets missed: " + "; ".join(missed))


if __name__ == "__main__":
    main()
