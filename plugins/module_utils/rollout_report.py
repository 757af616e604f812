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

import json
import os

from ansible_collections.k8s.seccomp_default.plugins.module_utils import errors, spo
from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError

SCHEMA = "k8s.seccomp_default/rollout-report/v1"
# A node's record of each stage is nodes/<host>.<stage>.json; a node preflight stopped has nodes/<host>.preflight.json.
RECORD_KINDS = ("preflight", "feature_gate", "audit", "enforce")
STAGE_TITLES = {"feature_gate": "feature gate", "audit": "audit", "enforce": "enforce"}
READINESS_FILE = "readiness.json"
RUN_FILE = "run.json"
SUGGESTED_DIR = "suggested-profiles"
# The readiness checks as table columns, and how each status shows in a cell.
READINESS_COLUMNS = (("connection", "connection"), ("python", "python"), ("kubelet", "kubelet"), ("kubelet_health", "health"), ("runtime", "runtime"),
                     ("crictl", "crictl"), ("log_action", "log"), ("libseccomp", "libseccomp"), ("records", "records"),
                     ("bpftrace", "bpftrace"), ("credentials", "creds"), ("disk", "disk"))
READINESS_CELLS = {"ok": "ok", "blocker": "BLOCKER", "warning": "warn", "repair": "repair", "n/a": "-"}
UNREADABLE = "record unreadable"

# A name that becomes a file or directory name in the report directory (a host, a run id). 200 bytes leaves room
# for ".stageN.json" and atomic_write's temporary name within the 255 bytes a file name can have.
NAME_BYTES = 200
NAME_RULE = ("1-%d bytes of text without '/', NUL or control characters, not starting with '.' (an inventory "
             "hostname, an IP address or a run id)" % NAME_BYTES)


def name_problem(name):
    """Why ``name`` cannot be one file name in the report directory, or None."""
    if not isinstance(name, str):
        return "is not a string"
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        return "is not valid text"
    if not name:
        return "is empty"
    if "/" in name or "\0" in name:
        return "contains '/' or NUL, which would make it a path, not a name"
    if any(ord(char) < 32 or ord(char) == 127 for char in name):
        return "contains a control character"
    if name.startswith("."):
        # also refuses '.' and '..'; dot-files are how atomic_write's temporary files look, and are not read
        return "starts with '.'"
    if size > NAME_BYTES:
        return "is %d bytes long" % size
    return None


def check_name(name, field, path=None):
    problem = name_problem(name)
    if problem:
        raise InputError(problem, path=path, field=field, value=name, expected=NAME_RULE)
    return name


# Shapes: what a value read from a record, run.json or readiness.json must be for the report to use it. Only what
# the report reads is checked; a field that is only printed may be anything.

NULL = type(None)
KIND_NAMES = {str: "string", bool: "boolean", int: "integer", float: "number", list: "list", dict: "mapping", NULL: "null"}


class Kinds(object):
    def __init__(self, *kinds):
        self.kinds = kinds
        names = " or ".join(KIND_NAMES[kind] for kind in kinds)
        self.expected = ("an " if names[0] in "aeiou" else "a ") + names

    def check(self, value, field, path):
        if not isinstance(value, self.kinds) or (isinstance(value, bool) and bool not in self.kinds):
            raise InputError("is not %s" % self.expected, path=path, field=field, value=value, expected=self.expected)
        return value


class OneOf(object):
    def __init__(self, values, nullable=False):
        self.values = tuple(values)
        self.nullable = nullable
        self.expected = "one of %s" % ", ".join(self.values) + (" or null" if nullable else "")

    def check(self, value, field, path):
        if value is None and self.nullable:
            return value
        if not isinstance(value, str) or value not in self.values:
            raise InputError("is not a value it can have", path=path, field=field, value=value, expected=self.expected)
        return value


class Name(object):
    expected = NAME_RULE

    def check(self, value, field, path):
        return check_name(value, field, path)


class Anything(object):
    expected = "any value"

    def check(self, value, field, path):
        return value


class ListOf(object):
    def __init__(self, item):
        self.item = item
        self.expected = "a list, each item %s" % item.expected

    def check(self, value, field, path):
        if not isinstance(value, list):
            raise InputError("is not a list", path=path, field=field, value=value, expected=self.expected)
        for number, item in enumerate(value):
            self.item.check(item, "%s[%d]" % (field, number), path)
        return value


class Mapping(object):
    """A mapping whose listed ``fields`` have their shapes (``required`` ones must be there), or, with
    ``values``, a mapping of any keys whose every value has that shape."""

    def __init__(self, fields=None, required=(), values=None, nullable=False, expected="a mapping"):
        self.fields = fields or {}
        self.required = required
        self.values = values
        self.nullable = nullable
        self.expected = expected + (" or null" if nullable else "")

    def check(self, value, field, path):
        if value is None and self.nullable:
            return value
        if not isinstance(value, dict):
            raise InputError("is not a mapping", path=path, field=field, value=value, expected=self.expected)
        for key in self.required:
            if key not in value:
                raise InputError("is missing", path=path, field=_join(field, key),
                                 expected="%s (%s)" % (self.fields[key].expected, self.expected))
        for key, shape in self.fields.items():
            if key in value:
                shape.check(value[key], _join(field, key), path)
        if self.values is not None:
            for key, item in value.items():
                self.values.check(item, _join(field, key), path)
        return value


def _join(field, key):
    return "%s.%s" % (field, key) if field else key


TEXT = Kinds(str)
TEXT_OR_NULL = Kinds(str, NULL)
FLAG = Kinds(bool)
COUNT = Kinds(int)
TEXTS = ListOf(TEXT)
LIST = Kinds(list)
STAGE_NAMES = ("feature_gate", "audit", "enforce")

# The results each stage's record has (docs/rollout-report.schema.json lists them all; the roles write these).
RESULTS = {
    "preflight": ("stopped",),
    # "with switch": kubelet 1.22-1.24, whose gate is written with seccompDefault in the batch's one restart.
    "feature_gate": ("changed", "unchanged", "failed", "skipped", "with switch"),
    # "held": the workloads would be blocked; the node stays as it was and the run goes on (not a failure).
    "audit": ("passed", "held", "failed", "planned", "skipped"),
    "enforce": ("enforced", "rolled back", "not retried", "planned", "skipped"),
}
EARLIER = Mapping({"run_id": TEXT_OR_NULL, "at": TEXT_OR_NULL, "details": Kinds(dict, NULL)}, nullable=True,
                  expected="a mapping (the node's state entry of the run that did the stage)")
# "error" is only printed, and a failed task's result can put a mapping there: it is not checked.
COMMON = {"host": Name(), "stage": OneOf(RESULTS), "recorded_at": TEXT, "batch": ListOf(TEXT), "check_mode": FLAG,
          "reason": TEXT, "earlier": EARLIER, "started_at": TEXT, "kubelet_restarts": TEXTS}
WORKLOAD = Mapping({"namespace": TEXT_OR_NULL, "pod": TEXT_OR_NULL, "container": TEXT_OR_NULL, "syscalls": TEXTS, "executables": TEXTS},
                   required=("namespace", "pod", "container", "syscalls"))
CONTAINER = Mapping({"container": TEXT, "ok": Kinds(bool, NULL)})
STAGE_FIELDS = {
    "preflight": {},
    "feature_gate": {"changed_files": TEXTS, "restored": TEXTS, "kubelet_restarted": FLAG, "healthy_after_restore": FLAG,
                     "lasting": Mapping({"survives": Kinds(bool, NULL), "note": TEXT_OR_NULL}, nullable=True)},
    "audit": {"passed": FLAG, "held": FLAG, "handover": FLAG, "kubelet_restarted": FLAG,
              "complete": FLAG, "workloads": ListOf(WORKLOAD), "containers_watched": LIST, "apart": LIST,
              "throttling": Mapping({"detected": Kinds(bool, NULL)}, nullable=True), "suggested_profiles": TEXT_OR_NULL},
    "enforce": {"changed_files": TEXTS, "restored": TEXTS, "healthy_after_rollback": FLAG,
                "kubelet_restarted": FLAG, "handover": FLAG, "containers": ListOf(CONTAINER),
                "recreated": LIST, "not_recreated": LIST, "verified": COUNT,
                "owner": Mapping({"name": TEXT_OR_NULL, "title": TEXT_OR_NULL, "rewritten_by": TEXT_OR_NULL, "keep_with": TEXT_OR_NULL},
                                 nullable=True),
                "lasting": Mapping({"survives": Kinds(bool, NULL), "note": TEXT_OR_NULL}, nullable=True)},
}
RECORD = Mapping(COMMON, required=("host", "stage", "recorded_at", "batch"), expected="a mapping (a node's record of one stage)")

RUN = Mapping({"id": Name(), "started": TEXT, "stages": ListOf(OneOf(STAGE_NAMES)), "serial": Anything(),
               "check_mode": FLAG, "hosts": TEXTS, "preflight_only": FLAG,
               "merged_from": ListOf(Mapping({"id": TEXT, "dir": TEXT, "hosts": TEXTS}, required=("id", "hosts")))},
              required=("id", "started", "stages", "serial", "check_mode", "hosts"),
              expected="a mapping (the run: id, started, stages, serial, check_mode, hosts)")
CHECK = Mapping({"check": TEXT, "status": OneOf(READINESS_CELLS), "detail": TEXT, "fix": TEXT_OR_NULL},
                required=("check", "status", "detail"))
READINESS = Mapping({"policy": OneOf(("stop", "skip_unready")), "stages": ListOf(OneOf(STAGE_NAMES)), "checked_at": TEXT,
                     "left_out": TEXTS,
                     "nodes": Mapping(values=Mapping({"ready": FLAG, "checks": ListOf(CHECK)}, required=("ready", "checks")))},
                    required=("policy", "stages", "nodes"),
                    expected="a mapping (the readiness: policy, stages, nodes)")


def check_record(record, field="", path=None):
    """``record`` if the report can use it: the fields every record has, its stage's result and the fields of that stage."""
    if not isinstance(record, dict):
        RECORD.check(record, field, path)
    stage = COMMON["stage"].check(record.get("stage"), _join(field, "stage"), path)
    OneOf(RESULTS[stage]).check(record.get("result"), _join(field, "result"), path)
    RECORD.check(record, field, path)
    Mapping(STAGE_FIELDS[stage]).check(record, field, path)
    return record


def check_run(run, field="", path=None):
    return RUN.check(run, field, path)


def check_readiness(readiness, field="", path=None):
    return READINESS.check(readiness, field, path)


def read_json(path, missing_ok=False):
    """A JSON file's data (None when missing and ``missing_ok``); InputError naming the file for anything else."""
    text = errors.read_file(path, missing_ok=missing_ok)
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InputError("is not JSON (%s)" % exc, path=path, expected="the JSON this collection writes")


def read_run(report_dir):
    path = os.path.join(report_dir, RUN_FILE)
    run = read_json(path, missing_ok=True)
    return None if run is None else check_run(run, path=path)


def read_readiness(report_dir):
    path = os.path.join(report_dir, READINESS_FILE)
    readiness = read_json(path, missing_ok=True)
    return None if readiness is None else check_readiness(readiness, path=path)


def record_name(host, stage):
    """The file name of ``host``'s record of ``stage`` under nodes/."""
    return "%s.%s.json" % (host, stage)


def read_records(report_dir):
    """({host: {stage: record}}, [unreadable]) from nodes/<host>.<stage>.json.

    A record that cannot be used - not JSON, not a file, a field of the wrong type, not the host or stage its name
    says - is not used; it is listed in ``unreadable`` (dict(path, host, problem)), and its host is kept so that the
    report shows the node rather than leaving it out.
    """
    nodes, unreadable = {}, []
    directory = os.path.join(report_dir, "nodes")
    try:
        names = sorted(os.listdir(directory))
    except OSError as exc:
        if exc.errno == 2:
            return nodes, unreadable
        raise errors.os_error(exc, directory)
    real_directory = os.path.realpath(directory)
    for name in names:
        if name.startswith(".") or not name.endswith(".json"):
            continue  # temporary files of atomic_write, and what is not a record
        path = os.path.join(directory, name)
        host, _sep, kind = name[:-len(".json")].rpartition(".")
        stage = kind if kind in RECORD_KINDS else None
        if stage is None or name_problem(host):
            host = None
        try:
            if host is None:
                raise InputError("is not named <host>.<stage>.json, with a stage of %s" % ", ".join(RECORD_KINDS), path=path)
            nodes.setdefault(host, {})
            if os.path.dirname(os.path.realpath(path)) != real_directory:
                raise InputError("is a symlink to %s, outside %s" % (os.path.realpath(path), directory), path=path)
            record = check_record(read_json(path), path=path)
            if record["host"] != host or record_name(host, record["stage"]) != name:
                raise InputError("is the record of %s %s, not what its name says" % (record["host"], record["stage"]), path=path)
        except InputError as exc:
            unreadable.append(dict(path=path, host=host, problem=str(exc)))
            continue
        nodes[host][stage] = record
    return nodes, unreadable


def node_records(report_dir):
    """{host: {stage: record}} of the records that can be used (see ``read_records``)."""
    return read_records(report_dir)[0]


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
    """Where the node stands at the end of what the run did, in one phrase, whether that is a failure, and whether the
    node is held (the audit found calls the default profile would block: an expected outcome, not a failure)."""
    phrase, failed = _status(stages, ready, preflight_only)
    return phrase, failed, phrase == HELD


HELD = "held at audit"


def _status(stages, ready, preflight_only):
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
        if audit["result"] == "failed":
            return "audit failed", True
        return ("audit passed", False) if audit.get("passed") else (HELD, False)
    if gate:
        if gate["result"] == "with switch":
            return "feature gate planned with the switch", False
        return ("gate failed, restored" if gate["result"] == "failed" else "feature gate done"), gate["result"] == "failed"
    return "not reached", False


def build(report_dir, generated, warn=None, shipped=None):
    """The report of ``report_dir`` (see SCHEMA). run.json and readiness.json must be sound (InputError naming the
    file); a node record that is not is left out with ``warn`` naming it, and its node shows as "record unreadable".
    ``shipped``, when a list, gets what each suggested profile becomes for users (spo.suggestion), for the files the
    rebuild writes beside the report."""
    run = read_run(report_dir)
    readiness = read_readiness(report_dir)
    nodes, unreadable = read_records(report_dir)
    for entry in unreadable:
        shown = " and shows %s as '%s'" % (entry["host"], UNREADABLE) if entry["host"] else ""
        (warn or _ignore)("%s; the report leaves this record out%s. Move the file aside, or run the stage on the node "
                          "again to write it anew" % (entry["problem"], shown))
    broken = set(entry["host"] for entry in unreadable if entry["host"])
    assessed = (readiness or {}).get("nodes") or {}
    hosts = sorted(set(nodes) | set((run or {}).get("hosts") or []) | set(assessed))
    batch_list = batches(nodes)
    entries = {}
    for host in hosts:
        stages = nodes.get(host, {})
        phrase, failed, held = status(stages, (assessed.get(host) or {}).get("ready", True), bool((run or {}).get("preflight_only")))
        if host in broken:
            # What the readable records say would be wrong: the unreadable one may be the node's last stage.
            phrase, failed, held = UNREADABLE, True, False
        entries[host] = {
            "status": phrase,
            "failed": failed,
            "held": held,
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
            entry = {
                "host": host, "namespace": workload["namespace"], "pod": workload["pod"], "container": workload["container"],
                "syscalls": workload["syscalls"],
                "path": os.path.join(audit.get("suggested_profiles") or "", spo.localhost_file(
                    workload["namespace"], workload["pod"], workload["container"])),
            }
            made, problem = shippable(report_dir, entry)
            if made and shipped is not None:
                shipped.append(made)
            entry.update(seccomp_profile=made and made["name"], base_profile=made and made["base"],
                         why_whole=made and made["why_whole"], security_context=made and made["security_context"],
                         not_shippable=problem)
            suggested.append(entry)
    return {
        "schema": SCHEMA,
        "generated": generated,
        "run": run,
        "readiness": readiness,
        "totals": dict(nodes=len(hosts), by_status=totals, failed=sum(1 for e in entries.values() if e["failed"]),
                       held=sum(1 for e in entries.values() if e["held"])),
        "batches": batch_list,
        "nodes": entries,
        "suggested_profiles": suggested,
        "unreadable": [dict(path=os.path.relpath(entry["path"], report_dir), host=entry["host"], problem=entry["problem"])
                       for entry in unreadable],
    }


def shippable(report_dir, suggestion):
    """The audit's ``suggestion`` (an item of suggested_profiles) as SPO objects and pod spec (spo.suggestion), made
    from the kubernetes/default the node's suggestions were made from, with None; or None and why not."""
    path = os.path.join(report_dir, SUGGESTED_DIR, suggestion["host"], spo.BASE_FILE)
    try:
        base = read_json(path, missing_ok=True)
        if base is None:
            return None, "%s is missing: the node's kubernetes/default was not kept" % path
        return spo.suggestion(base, suggestion["namespace"], suggestion["pod"], suggestion["container"],
                              suggestion["syscalls"]), None
    except (InputError, spo.CannotExpress, ValueError) as exc:
        return None, str(exc)


def seccomp_profiles(shipped):
    """Every SPO object of the suggestions ``shipped`` (what ``build`` made of them), each once: the bases first, then
    the workloads' in report order."""
    bases, own = {}, []
    for made in shipped:
        for obj in made["objects"]:
            if obj["metadata"]["name"] == made["base"]:
                bases.setdefault(made["base"], obj)
            else:
                own.append(obj)
    return [bases[name] for name in sorted(bases)] + own


def _ignore(_message):
    pass


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


# Records are checked (check_record) for the type of every field they have; one written by an older version or by
# hand may lack fields, which then read as "not recorded" rather than as a claim.

def _error(r):
    return "%s" % (r.get("error") or "(no error recorded)")


def _earlier(r):
    earlier = r.get("earlier") or {}
    return "run %s (%s)" % (earlier.get("run_id"), earlier.get("at"))


def _files(r, field):
    return ", ".join(r.get(field) or []) or "(none recorded)"


def _gate_what(r):
    if r["result"] == "stopped":
        return "stopped by preflight: " + _error(r)
    if r["result"] == "skipped":
        return "done in " + _earlier(r)
    if r["result"] == "with switch":
        return r.get("reason") or "written with seccompDefault"
    if r["result"] == "unchanged" and r.get("changed_files") is None:
        return r.get("reason") or "already right; nothing written"
    if r["result"] == "failed":
        return "kubelet refused the new configuration: %s; restored %s byte for byte, %s" % (
            _error(r), _files(r, "restored"), "kubelet healthy again" if r.get("healthy_after_restore") else "kubelet STILL UNHEALTHY")
    if r.get("changed_files") is None:
        return "changed files not recorded"
    if not r["changed_files"]:
        return "nothing to change; kubelet not restarted"
    if r.get("check_mode"):
        return "would change " + ", ".join(r["changed_files"])
    lasting = r.get("lasting") or {}
    lost = "; NOT LASTING: %s" % lasting.get("note") if lasting.get("survives") is False else ""
    if r.get("kubelet_restarted"):
        return "changed %s; kubelet restarted, healthy, /configz verified%s" % (", ".join(r["changed_files"]), lost)
    return "changed %s (kubeadm patch only); kubelet not restarted%s" % (", ".join(r["changed_files"]), lost)


def _gate_rows(report):
    rows = []
    for host, entry in sorted(report["nodes"].items()):
        r = entry["stages"].get("preflight") or entry["stages"].get("feature_gate")
        if r is None:
            if entry["status"] == UNREADABLE:
                rows.append("| %s | | | | | | | %s | see the records that could not be read, below |" % (host, UNREADABLE))
            elif not entry["stages"]:
                rows.append("| %s | | | | | | | not reached | the rollout stopped before this node's batch |" % host)
            continue
        rows.append("| %s | %s | %s | %s | %s | %s | %s | %s%s | %s |" % (
            host, r.get("layout") or "-", r.get("kubelet_version", ""), r.get("runtime", ""), r.get("method") or "-",
            r.get("gate_before") or "absent",
            r.get("gate_after") or "absent", r["result"], " (check mode)" if r.get("check_mode") else "", _cell(_gate_what(r))))
    return rows


def _records(report, stage):
    """(host, record) of every node with a record of ``stage``, by host."""
    return [(host, entry["stages"][stage]) for host, entry in sorted(report["nodes"].items()) if stage in entry["stages"]]


def _audit_rows(report):
    rows = []
    for host, r in _records(report, "audit"):
        if r["result"] == "skipped":
            rows.append("| %s | %s | | | | passed in %s | - | | |" % (host, r.get("runtime", ""), _earlier(r)))
            continue
        verdict = _audit_what(r)
        blocked = "; ".join("%s/%s %s (%s): %s" % (w["namespace"], w["pod"], w["container"], ", ".join(w.get("executables") or []),
                                                   ", ".join(w["syscalls"])) for w in r.get("workloads") or []) or "-"
        throttled = r.get("throttling") or {}
        records = r.get("records") if r.get("records") is not None else "trace: %s lines" % r.get("traced_lines")
        if throttled.get("detected"):
            records = "%s (lower bound: %s)" % (records, throttled.get("remedy"))
        rows.append("| %s | %s | %s | %s s | %d | %s%s | %s | %d | %s |" % (
            host, r.get("runtime", ""), r.get("mode", ""), r.get("soak_seconds", "?"), len(r.get("containers_watched") or []), verdict,
            " (check mode)" if r.get("check_mode") else "", _cell(blocked), len(r.get("apart") or []), _cell(records)))
    return rows


def _audit_what(r):
    if r["result"] == "skipped":
        return "passed in " + _earlier(r)
    return "planned" if r["result"] == "planned" else (
        "FAILED: " + _error(r) if r["result"] == "failed" else
        ("may enforce" + (" (handed over, no second kubelet restart)" if r.get("handover") else "")) if r.get("passed") else
        ("HELD" if r.get("complete") else "HELD (records incomplete)"))


def keeping(report):
    """Per node with seccompDefault on (enforced now or before): what owns its kubelet configuration, what rewrites it,
    what to set there so that it stays on, and whether this run's change survives that (``lasts``)."""
    kept = []
    for host, r in _records(report, "enforce"):
        owner = r.get("owner")
        if r["result"] not in ("enforced", "skipped") or not owner or r.get("check_mode"):
            continue
        lasting = r.get("lasting") or {}
        lasts = ("lasts until then" if lasting.get("survives") else "LOST when that runs: %s" % lasting.get("note")
                 if lasting.get("survives") is False else "enforced before" if r["result"] == "skipped" else "-")
        kept.append(dict(host=host, title=owner.get("title") or owner.get("name") or "unknown",
                         rewritten_by=owner.get("rewritten_by") or "-", keep_with=owner.get("keep_with") or "-", lasts=lasts))
    return kept


def what_happened(stage, record):
    """What a stage's record says happened, in words (the summary's last columns, the HTML page's)."""
    return {"preflight": _gate_what, "feature_gate": _gate_what, "audit": _audit_what, "enforce": _enforce_what}[stage](record)


def _enforce_what(r):
    if r["result"] in ("rolled back", "not retried") and r.get("earlier"):
        return "rolled back in %s: %s; not enabled again (seccomp_enforce_retry_rolled_back=true asks for it)" % (
            _earlier(r), (r["earlier"].get("details") or {}).get("error"))
    if r["result"] == "rolled back":
        return "rolled back: %s; restored %s; %s" % (
            _error(r), _files(r, "restored"), "kubelet healthy" if r.get("healthy_after_rollback") else "kubelet NOT healthy")
    if r["result"] == "skipped":
        return "enforced in " + _earlier(r)
    checkable = [c for c in r.get("containers") or [] if c.get("ok") is not None]
    if r["result"] == "enforced" and r.get("verified") == len(checkable):
        return "every running container has the profile it should"
    return ""


def _enforce_rows(report):
    rows = []
    for host, r in _records(report, "enforce"):
        mismatches = [str(c.get("container")) for c in r.get("containers") or [] if c.get("ok") is False]
        not_recreated = r.get("not_recreated") or []
        rows.append("| %s | %s%s | %s | %d%s | %s of %d running%s | %s s | %s |" % (
            host, r["result"], " (check mode)" if r.get("check_mode") else "", ", ".join(r.get("changed_files") or []) or "-",
            len(r.get("recreated") or []), " (%d change at their next restart)" % len(not_recreated) if not_recreated else "",
            r.get("verified", 0), len(r.get("containers") or []), ", mismatches: " + ", ".join(mismatches) if mismatches else "",
            r.get("watch_seconds", 0), _cell(_enforce_what(r))))
    return rows


def markdown(report):
    run = report["run"] or {}
    lines = ["# SeccompDefault rollout report", ""]
    if run:
        lines.append("Run %s, started %s%s: stages %s, batches %s, max_fail_percentage %s, max_held_percentage %s. "
                     "Report updated %s." % (
                         run.get("id"), run.get("started"), " in check mode (nothing was changed)" if run.get("check_mode") else "",
                         ", ".join(run.get("stages") or []), run.get("serial"), run.get("max_fail_percentage"),
                         run.get("max_held_percentage", 100), report["generated"]))
        lines.append("")
    by_status = report["totals"]["by_status"]
    lines.append("%d nodes: %s." % (report["totals"]["nodes"], ", ".join(
        "%d %s" % (count, phrase) for phrase, count in sorted(by_status.items(), key=lambda item: (-item[1], item[0])))))
    lines.append("Held nodes (the audit found calls the default profile would block; they run as they did): %d. Failed: %d." % (
        report["totals"].get("held", 0), report["totals"]["failed"]))
    lines += ["", "| node | batch (feature gate/audit/enforce) | now | failed |", "|---|---|---|---|"]
    for host, entry in sorted(report["nodes"].items()):
        numbers = "/".join(str(entry["batches"].get(stage, "-")) for stage in ("feature_gate", "audit", "enforce"))
        lines.append("| %s | %s | %s | %s |" % (host, numbers, entry["status"], "yes" if entry["failed"] else ""))
    unreadable = report.get("unreadable") or []
    if unreadable:
        lines += ["", "# Records that could not be read", "",
                  "Left out of this report; move each aside, or run its stage on the node again to write it anew:", ""]
        lines += ["- %s" % _cell(entry["problem"]) for entry in unreadable]
    readiness = report.get("readiness")
    if readiness:
        left_out = readiness.get("left_out") or []
        lines += ["", "# Readiness (policy %s, checked %s)" % (readiness.get("policy"), readiness.get("checked_at")), ""]
        if left_out:
            lines += ["Left out of the rollout because they were not ready: %s." % ", ".join(left_out), ""]
        lines += ["| node | ready | blockers, warnings and repairs |", "|---|---|---|"] + _readiness_rows(readiness)
    lines += ["", "# Feature gate", "",
              "| node | layout | kubelet | runtime | method | gate before | gate after | result | what happened |",
              "|---|---|---|---|---|---|---|---|---|"] + _gate_rows(report)
    audit = _audit_rows(report)
    if audit:
        lines += ["", "# Audit: complain or observe mode, soak and gate", "",
                  "| node | runtime | mode | soak | containers watched | result | would be blocked | reported apart | records |",
                  "|---|---|---|---|---|---|---|---|---|"] + audit
    if report["suggested_profiles"]:
        lines += ["", "Suggested Localhost profiles (kubernetes/default plus exactly the missing syscalls):", ""]
        lines += ["- %s: %s/%s %s needs %s: %s" % (s["host"], s["namespace"], s["pod"], s["container"], ", ".join(s["syscalls"]), s["path"])
                  for s in report["suggested_profiles"]]
    enforce = _enforce_rows(report)
    if enforce:
        lines += ["", "# Enforce: seccompDefault on, containers recreated and verified", "",
                  "| node | result | changed files | containers recreated | verified | watch | what happened |",
                  "|---|---|---|---|---|---|---|"] + enforce
    kept = keeping(report)
    if kept:
        lines += ["", "# Keeping it on: what rewrites each node's kubelet configuration, and what to set there", "",
                  "| node | configuration owned by | rewritten by | to keep seccompDefault on, set | this run's change |",
                  "|---|---|---|---|---|"]
        lines += ["| %s | %s | %s | %s | %s |" % tuple(_cell(item[key]) for key in ("host", "title", "rewritten_by", "keep_with", "lasts"))
                  for item in kept]
    return "\n".join(lines) + "\n"
