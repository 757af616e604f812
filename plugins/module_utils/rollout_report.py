# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The whole run's report, rebuilt from the per-node stage records each time a node finishes a stage.

Because every node's record rebuilds it, the report is complete up to the last node that finished, also when the
run stops: a failed batch (max_fail_percentage), a node that never answered, or a controller that was killed.
report.json follows SCHEMA (docs/rollout-report.schema.json); summary.md is the page a person reads first.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import json
import os

SCHEMA = "k8s.seccomp_default/rollout-report/v1"
STAGE_FILES = (("stage1", "feature_gate"), ("stage2", "audit"), ("stage3", "enforce"))
STAGE_TITLES = {"feature_gate": "stage 1", "audit": "stage 2", "enforce": "stage 3"}
READINESS_FILE = "readiness.json"
# The readiness checks as table columns, and how each status shows in a cell.
READINESS_COLUMNS = (("connection", "connection"), ("python", "python"), ("kubelet", "kubelet"), ("kubelet_health", "health"), ("runtime", "runtime"),
                     ("crictl", "crictl"), ("log_action", "log"), ("libseccomp", "libseccomp"), ("records", "records"),
                     ("bpftrace", "bpftrace"), ("credentials", "creds"), ("disk", "disk"))
READINESS_CELLS = {"ok": "ok", "blocker": "BLOCKER", "warning": "warn", "repair": "repair", "n/a": "-"}


def read_json(path):
    with open(path) as handle:
        return json.load(handle)


def node_records(report_dir):
    """{host: {stage: record}} from nodes/<host>.<stageN>.json (preflight writes stage1 with stage=preflight)."""
    nodes = {}
    for path in sorted(glob.glob(os.path.join(report_dir, "nodes", "*.json"))):
        name = os.path.basename(path)[:-len(".json")]
        host, _sep, kind = name.rpartition(".")
        stage = dict(STAGE_FILES).get(kind)
        if not host or stage is None:
            continue
        record = read_json(path)
        nodes.setdefault(host, {})["preflight" if record.get("stage") == "preflight" else stage] = record
    return nodes


def batches(nodes):
    """Per stage, the batches in the order they ran. A record names the hosts still active in its batch
    (ansible_play_batch drops a host once it failed), so records whose hosts overlap are one batch."""
    groups = dict((stage, []) for stage in ("feature_gate", "audit", "enforce"))
    for host, stages in nodes.items():
        for stage, record in stages.items():
            members = set(record.get("batch") or []) | {host}
            at = record.get("recorded_at") or ""
            group = groups["feature_gate" if stage == "preflight" else stage]
            touching = [entry for entry in group if entry[1] & members]
            for entry in touching:
                group.remove(entry)
                members |= entry[1]
                at = min(at, entry[0])
            group.append((at, members))
    result = []
    for stage in ("feature_gate", "audit", "enforce"):
        for number, (_at, members) in enumerate(sorted(groups[stage], key=lambda entry: (entry[0], sorted(entry[1]))), 1):
            result.append({"stage": stage, "number": number, "hosts": sorted(members)})
    return result


def status(stages, ready=True, preflight_only=False):
    """Where the node stands at the end of what the run did, in one phrase, and whether that is a failure."""
    if not stages and (not ready or preflight_only):
        return ("ready" if ready else "not ready"), False
    pre = stages.get("preflight")
    if pre:
        return "stopped by preflight", True
    enforce, audit, gate = stages.get("enforce"), stages.get("audit"), stages.get("feature_gate")
    if enforce:
        result = enforce["result"]
        failed = result in ("rolled back", "not retried")
        return (result if result != "skipped" else "enforced (earlier run)"), failed
    if audit:
        if audit["result"] == "planned":
            return "audit planned", False
        if audit["result"] == "skipped":
            return "audit passed (earlier run)", False
        return ("audit passed" if audit.get("passed") else "stopped at audit"), not audit.get("passed")
    if gate:
        return ("gate failed, restored" if gate["result"] == "failed" else "stage 1 done"), gate["result"] == "failed"
    return "not reached", False


def build(report_dir, generated):
    run_path = os.path.join(report_dir, "run.json")
    run = read_json(run_path) if os.path.exists(run_path) else None
    nodes = node_records(report_dir)
    readiness_path = os.path.join(report_dir, READINESS_FILE)
    readiness = read_json(readiness_path) if os.path.exists(readiness_path) else None
    assessed = (readiness or {}).get("nodes") or {}
    hosts = sorted(set(nodes) | set((run or {}).get("hosts") or []) | set(assessed))
    batch_list = batches(nodes)
    entries = {}
    for host in hosts:
        stages = nodes.get(host, {})
        phrase, failed = status(stages, (assessed.get(host) or {}).get("ready", True), bool((run or {}).get("preflight_only")))
        entries[host] = {
            "status": phrase,
            "failed": failed,
            "batches": dict((b["stage"], b["number"]) for b in batch_list if host in b["hosts"]),
            "stages": stages,
        }
    totals = {}
    for entry in entries.values():
        totals[entry["status"]] = totals.get(entry["status"], 0) + 1
    suggested = []
    for host in hosts:
        audit = entries[host]["stages"].get("audit") or {}
        for workload in audit.get("workloads") or []:
            suggested.append({
                "host": host, "namespace": workload["namespace"], "pod": workload["pod"], "container": workload["container"],
                "syscalls": workload["syscalls"],
                "path": os.path.join(audit.get("suggested_profiles") or "", "%s_%s_%s.json" % (
                    workload["namespace"], workload["pod"], workload["container"])),
            })
    return {
        "schema": SCHEMA,
        "generated": generated,
        "run": run,
        "readiness": readiness,
        "totals": dict(nodes=len(hosts), by_status=totals, failed=sum(1 for e in entries.values() if e["failed"])),
        "batches": batch_list,
        "nodes": entries,
        "suggested_profiles": suggested,
    }


def readiness_table(readiness):
    """Lines of text: one row per node and one column per check, then each node's blockers, warnings and repairs
    with their fixes."""
    nodes = readiness.get("nodes") or {}
    width = max([len("node")] + [len(host) for host in nodes])
    columns = [(name, title, max(len(title), 7)) for name, title in READINESS_COLUMNS]
    lines = ["%-*s  %-5s  %s" % (width, "node", "ready", "  ".join("%-*s" % (w, title) for _n, title, w in columns))]
    notes = []
    for host in sorted(nodes):
        node = nodes[host]
        checks = dict((c["check"], c) for c in node.get("checks") or [])
        lines.append("%-*s  %-5s  %s" % (width, host, "yes" if node.get("ready") else "NO", "  ".join(
            "%-*s" % (w, READINESS_CELLS.get((checks.get(name) or {}).get("status"), "?")) for name, _t, w in columns)))
        for check in node.get("checks") or []:
            if check["status"] in ("blocker", "warning", "repair"):
                notes.append("%s %s %s: %s%s" % (host, check["status"], check["check"], check["detail"],
                                                 " -> fix: " + check["fix"] if check.get("fix") else ""))
    return lines + ([""] + notes if notes else [])


def _readiness_rows(readiness):
    rows = []
    for host, node in sorted((readiness.get("nodes") or {}).items()):
        findings = ["%s %s: %s%s" % (c["status"], c["check"], c["detail"], " (fix: %s)" % c["fix"] if c.get("fix") else "")
                    for c in node.get("checks") or [] if c["status"] in ("blocker", "warning", "repair")]
        rows.append("| %s | %s | %s |" % (host, "yes" if node.get("ready") else "**no**", _cell("; ".join(findings)) or "-"))
    return rows


def _cell(value):
    return str(value).replace("|", "\\|").replace("\n", " ")


def _stage1_what(r):
    if r["result"] == "stopped":
        return "stopped by preflight: " + r["error"]
    if r["result"] == "skipped":
        return "done in run %s (%s)" % (r["earlier"].get("run_id"), r["earlier"].get("at"))
    if r["result"] == "failed":
        return "kubelet refused the new configuration: %s; restored %s byte for byte, %s" % (
            r["error"], ", ".join(r["restored"]), "kubelet healthy again" if r["healthy_after_restore"] else "kubelet STILL UNHEALTHY")
    if not r["changed_files"]:
        return "nothing to change; kubelet not restarted"
    if r["check_mode"]:
        return "would change " + ", ".join(r["changed_files"])
    lasting = r.get("lasting") or {}
    lost = "; NOT LASTING: %s" % lasting["note"] if lasting.get("survives") is False else ""
    if r["kubelet_restarted"]:
        return "changed %s; kubelet restarted, healthy, /configz verified%s" % (", ".join(r["changed_files"]), lost)
    return "changed %s (kubeadm patch only); kubelet not restarted%s" % (", ".join(r["changed_files"]), lost)


def _stage1_rows(report):
    rows = []
    for host, entry in sorted(report["nodes"].items()):
        r = entry["stages"].get("preflight") or entry["stages"].get("feature_gate")
        if r is None:
            if not entry["stages"]:
                rows.append("| %s | | | | | | | not reached | the rollout stopped before this node's batch |" % host)
            continue
        rows.append("| %s | %s | %s | %s | %s | %s | %s | %s%s | %s |" % (
            host, r.get("layout") or "-", r.get("kubelet_version", ""), r.get("runtime", ""), r.get("method") or "-",
            r.get("gate_before") or "absent",
            r.get("gate_after") or "absent", r["result"], " (check mode)" if r.get("check_mode") else "", _cell(_stage1_what(r))))
    return rows


def _records(report, stage):
    """(host, record) of every node with a record of ``stage``, by host."""
    return [(host, entry["stages"][stage]) for host, entry in sorted(report["nodes"].items()) if stage in entry["stages"]]


def _stage2_rows(report):
    rows = []
    for host, r in _records(report, "audit"):
        if r["result"] == "skipped":
            rows.append("| %s | %s | | | | passed in run %s (%s) | - | | |" % (
                host, r.get("runtime", ""), r["earlier"].get("run_id"), r["earlier"].get("at")))
            continue
        verdict = "planned" if r["result"] == "planned" else (
            "may enforce" if r["passed"] else ("STOPPED" if r["complete"] else "STOPPED (records incomplete)"))
        blocked = "; ".join("%s/%s %s (%s): %s" % (w["namespace"], w["pod"], w["container"], ", ".join(w["executables"]),
                                                   ", ".join(w["syscalls"])) for w in r["workloads"]) or "-"
        throttled = r.get("throttling") or {}
        records = r["records"] if r["records"] is not None else "trace: %s lines" % r["traced_lines"]
        if throttled.get("detected"):
            records = "%s (lower bound: %s)" % (records, throttled.get("remedy"))
        rows.append("| %s | %s | %s | %s s | %d | %s%s | %s | %d | %s |" % (
            host, r["runtime"], r["mode"], r["soak_seconds"], len(r["containers_watched"]), verdict,
            " (check mode)" if r["check_mode"] else "", _cell(blocked), len(r["apart"]), _cell(records)))
    return rows


def _stage3_what(r):
    if r["result"] in ("rolled back", "not retried") and r.get("earlier"):
        return "rolled back in run %s (%s): %s; not enabled again (seccomp_enforce_retry_rolled_back=true asks for it)" % (
            r["earlier"].get("run_id"), r["earlier"].get("at"), (r["earlier"].get("details") or {}).get("error"))
    if r["result"] == "rolled back":
        return "rolled back: %s; restored %s; %s" % (
            r["error"], ", ".join(r["restored"]), "kubelet healthy" if r["healthy_after_rollback"] else "kubelet NOT healthy")
    if r["result"] == "skipped":
        return "enforced in run %s (%s)" % (r["earlier"].get("run_id"), r["earlier"].get("at"))
    checkable = [c for c in r["containers"] if c["ok"] is not None]
    if r["result"] == "enforced" and r["verified"] == len(checkable):
        return "every running container has the profile it should"
    return ""


def _stage3_rows(report):
    rows = []
    for host, r in _records(report, "enforce"):
        mismatches = [c["container"] for c in r.get("containers", []) if c["ok"] is False]
        not_recreated = r.get("not_recreated") or []
        rows.append("| %s | %s%s | %s | %d%s | %s of %d running%s | %s s | %s |" % (
            host, r["result"], " (check mode)" if r.get("check_mode") else "", ", ".join(r.get("changed_files") or []) or "-",
            len(r.get("recreated") or []), " (%d change at their next restart)" % len(not_recreated) if not_recreated else "",
            r.get("verified", 0), len(r.get("containers") or []), ", mismatches: " + ", ".join(mismatches) if mismatches else "",
            r.get("watch_seconds", 0), _cell(_stage3_what(r))))
    return rows


def markdown(report):
    run = report["run"] or {}
    lines = ["# SeccompDefault rollout report", ""]
    if run:
        lines.append("Run %s, started %s%s: stages %s, batches %s, max_fail_percentage %s. Report updated %s." % (
            run.get("id"), run.get("started"), " in check mode (nothing was changed)" if run.get("check_mode") else "",
            ", ".join(run.get("stages") or []), run.get("serial"), run.get("max_fail_percentage"), report["generated"]))
        lines.append("")
    by_status = report["totals"]["by_status"]
    lines.append("%d nodes: %s." % (report["totals"]["nodes"], ", ".join(
        "%d %s" % (count, phrase) for phrase, count in sorted(by_status.items(), key=lambda item: (-item[1], item[0])))))
    lines += ["", "| node | batch (stage 1/2/3) | now | failed |", "|---|---|---|---|"]
    for host, entry in sorted(report["nodes"].items()):
        numbers = "/".join(str(entry["batches"].get(stage, "-")) for stage in ("feature_gate", "audit", "enforce"))
        lines.append("| %s | %s | %s | %s |" % (host, numbers, entry["status"], "yes" if entry["failed"] else ""))
    readiness = report.get("readiness")
    if readiness:
        left_out = readiness.get("left_out") or []
        lines += ["", "# Readiness (policy %s, checked %s)" % (readiness.get("policy"), readiness.get("checked_at")), ""]
        if left_out:
            lines += ["Left out of the rollout because they were not ready: %s." % ", ".join(left_out), ""]
        lines += ["| node | ready | blockers, warnings and repairs |", "|---|---|---|"] + _readiness_rows(readiness)
    lines += ["", "# Stage 1 (feature gate)", "",
              "| node | layout | kubelet | runtime | method | gate before | gate after | result | what happened |",
              "|---|---|---|---|---|---|---|---|---|"] + _stage1_rows(report)
    stage2 = _stage2_rows(report)
    if stage2:
        lines += ["", "# Stage 2 (audit): complain mode, soak and gate", "",
                  "| node | runtime | mode | soak | containers watched | result | would be blocked | reported apart | records |",
                  "|---|---|---|---|---|---|---|---|---|"] + stage2
    if report["suggested_profiles"]:
        lines += ["", "Suggested Localhost profiles (kubernetes/default plus exactly the missing syscalls):", ""]
        lines += ["- %s: %s/%s %s needs %s: %s" % (s["host"], s["namespace"], s["pod"], s["container"], ", ".join(s["syscalls"]), s["path"])
                  for s in report["suggested_profiles"]]
    stage3 = _stage3_rows(report)
    if stage3:
        lines += ["", "# Stage 3 (enforce): seccompDefault on, containers recreated and verified", "",
                  "| node | result | changed files | containers recreated | verified | watch | what happened |",
                  "|---|---|---|---|---|---|---|"] + stage3
    return "\n".join(lines) + "\n"
