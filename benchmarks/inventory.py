"""`make bench`: inventory checks over a whole cluster, against only parsing its JSON.

A generated `kubectl get pods -A -o json` dump of BENCH_PODS pods (default 100,000, about 300,000
containers, the realistic mix of tests/lib/cluster.py) on BENCH_NODES nodes. Each run, in one process
and with Python's garbage collector on as Ansible runs: parse the JSON, then compute every container's
effective profile (each node with its own seccompDefault). Also measured, for information: the impact
of turning seccompDefault on (two evaluations per pod), the restricted PSS check, and the PolicyReport.
Medians of BENCH_INVENTORY_RUNS runs (default 3). Target: computing the effective profiles adds no
more than 50% to the parse time; the exit status says whether it did.
"""

import gc
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, os.path.join(ROOT, ".build", "collections"))

from ansible_collections.k8s.seccomp_default.plugins.module_utils.effective import (  # noqa: E402
    effective_seccomp, pods_in)
from ansible_collections.k8s.seccomp_default.plugins.module_utils.impact import seccomp_impact  # noqa: E402
from ansible_collections.k8s.seccomp_default.plugins.module_utils.pod_security import pss_seccomp  # noqa: E402
from ansible_collections.k8s.seccomp_default.plugins.module_utils.policy_report import policy_report  # noqa: E402
from lib.cluster import generate, node_names  # noqa: E402

PODS = int(os.environ.get("BENCH_PODS", "100000"))
NODES = int(os.environ.get("BENCH_NODES", "1000"))
RUNS = int(os.environ.get("BENCH_INVENTORY_RUNS", "3"))
TARGET = 1.5


def timed(function, *args):
    gc.collect()
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def all_effective(pods, nodes):
    count = 0
    for pod in pods_in(pods):
        node = (pod.get("spec") or {}).get("nodeName")
        count += len(effective_seccomp(pod, nodes.get(node, False)))
    return count


def main():
    text = json.dumps(generate(PODS, NODES))
    # Every other node already has seccompDefault on, as in a rollout half done.
    nodes = dict((name, number % 2 == 0) for number, name in enumerate(node_names(NODES)))
    figures = dict(parse=[], effective=[], impact=[], restricted=[], report=[])
    containers = affected = 0
    for run in range(RUNS):
        seconds, pods = timed(json.loads, text)
        figures["parse"].append(seconds)
        seconds, containers = timed(all_effective, pods, nodes)
        figures["effective"].append(seconds)
        seconds, impact = timed(seccomp_impact, pods, nodes)
        figures["impact"].append(seconds)
        affected = sum(len(entry["changes"]) for entry in impact)
        seconds, restricted = timed(lambda: [pss_seccomp(pod) for pod in pods_in(pods)])
        figures["restricted"].append(seconds)
        seconds, _report = timed(policy_report, [restricted, impact], "bench", 0)
        figures["report"].append(seconds)
        del pods, impact, restricted, _report
        print("  run %d: %s" % (run + 1, ", ".join("%s %.2f s" % (k, v[-1]) for k, v in figures.items())), flush=True)
    median = dict((name, statistics.median(values)) for name, values in figures.items())
    parse = median["parse"]
    print()
    print("%d pods, %d containers, %d nodes, %.0f MB of JSON; medians of %d runs" % (
        PODS, containers, NODES, len(text) / 1e6, RUNS))
    print()
    print("| step | median (s) | containers per second | (parse + step) / parse |")
    print("|---|---|---|---|")
    print("| parse the JSON (baseline) | %.2f | %.0f | 1.00x |" % (parse, containers / parse))
    for name, label in (("effective", "effective profile of every container"),
                        ("impact", "seccomp_impact (profile with seccompDefault off and on)"),
                        ("restricted", "pss_seccomp restricted"),
                        ("report", "seccomp_policy_report (restricted + impact)")):
        print("| %s | %.2f | %.0f | %.2fx |" % (label, median[name], containers / median[name],
                                                (parse + median[name]) / parse))
    print()
    print("%d containers change profile when their node turns seccompDefault on" % affected)
    ratio = (parse + median["effective"]) / parse
    if ratio > TARGET:
        sys.exit("target missed: computing the effective profiles adds %.0f%% to the parse time (target %.0f%%)"
                 % ((ratio - 1) * 100, (TARGET - 1) * 100))
    print("target met: computing the effective profiles adds %.0f%% to the parse time (target at most %.0f%%)"
          % ((ratio - 1) * 100, (TARGET - 1) * 100))


if __name__ == "__main__":
    main()
