# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Each stage's records: its record in the run's report and its entries in the node's state, built in one place.

The roles hand over the variables they registered, by their names (``facts``: seccomp_node, seccomp_node_state,
seccomp_switch, seccomp_enforce_restarted, ...; roles/core/vars/main.yml gathers them as ``seccomp_record_facts``). A
variable that is absent or null is not set: where the roles read it with ``| default(...)``, the default is used;
where they need it, an ``InputError`` names it. Values are the types the report's schema wants (rollout_report's
STAGE_FIELDS, docs/rollout-report.schema.json): booleans, integers, lists and null, not their text. Every record
built is checked with ``rollout_report.check_record`` before it is returned, so a wrong type fails here, naming the
field, not later in the report.

What each stage builds (``stage_records(stage, facts, what)``):
- ``record``: the stage's record of what it did (preflight: why the node is stopped).
- ``report``: the records the stage writes into the report, with those of the stages before it that were not written
  yet (the audit: the feature gate's; enforcement: the feature gate's and the audit's). Items may be null (no record).
- ``state``: the entries it records in the node's state (k8s.seccomp_default.rollout_state ``records``).
- ``earlier_state`` (enforcement): those entries without enforcement's own, which enforce_containers adds when it
  records a passed enforcement itself (its ``record`` option).
- ``plan``: the record the plan alone decides, or null - the feature gate done before, already right or written with
  the switch; the audit done before; enforcement done before or not retried.
- ``plan_state``: the feature gate's state entries the plan alone decides (a gate already right).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import numbers
import operator

from collections.abc import Mapping

from ansible_collections.k8s.seccomp_default.plugins.module_utils import rollout_report
from ansible_collections.k8s.seccomp_default.plugins.module_utils.durations import FORMS, DurationError, seconds
from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError
from ansible_collections.k8s.seccomp_default.plugins.module_utils.rollout_state import enforce_entry

UNSET = object()
# What each variable is, for the messages about one that is missing or of the wrong shape.
VARIABLES = {
    "inventory_hostname": "the node's inventory name",
    "ansible_check_mode": "a boolean",
    "seccomp_node": "the node facts of k8s.seccomp_default.node_facts",
    "seccomp_node_state": "the result of k8s.seccomp_default.rollout_state with stages (its plan)",
    "seccomp_node_pods": "the node's pods and targets (roles/core/tasks/node_pods.yml)",
    "seccomp_preflight_problems": "a list of texts (the blockers)",
    "seccomp_feature_gate": "the result of k8s.seccomp_default.kubelet_config",
    "seccomp_kubelet_healthy": "the result of k8s.seccomp_default.kubelet_health",
    "seccomp_switch": "the result of k8s.seccomp_default.kubelet_switch",
    "seccomp_audit_record": "the audit's record (seccomp_stage_records('audit', facts, 'record'), or built from _decision)",
    "seccomp_audit_soak": "a duration: " + FORMS,
    "seccomp_enforce_watch": "a duration: " + FORMS,
    "_decision": "the decision of the k8s.seccomp_default.seccomp_audit_gate filter",
}
STAGES = ("preflight", "feature_gate", "audit", "enforce")

RUNS = ("run", "recover")


def _expected(path):
    return VARIABLES.get(path.split(".")[0], "a value")


class Facts(object):
    """The variables by name, read the way the roles' templates read them."""

    def __init__(self, facts):
        if not isinstance(facts, Mapping):
            raise InputError("is not a mapping", field="facts", value=facts,
                             expected="a mapping of the variables by name, such as seccomp_record_facts")
        self.facts = facts

    def given(self, name):
        """Whether the variable is set (``name is defined``)."""
        return self.facts.get(name) is not None

    def need(self, path):
        """The value at the dotted ``path``, which must be there (``a.b.c`` without a default)."""
        names = path.split(".")
        value = self.facts
        for number, name in enumerate(names):
            if not isinstance(value, Mapping):
                raise InputError("is not a mapping", field=".".join(names[:number]), value=value,
                                 expected="a mapping with %s (%s)" % (name, _expected(path)))
            if name not in value or (number == 0 and value[name] is None):
                raise InputError("is not set" if number == 0 else "is missing", field=".".join(names[:number + 1]),
                                 expected=_expected(path))
            value = value[name]
        return value

    def get(self, path, default=None):
        """The value at the dotted ``path``, or ``default`` where a step is not there (``a.b.c | default(d)``)."""
        value = self.facts
        for number, name in enumerate(path.split(".")):
            if not isinstance(value, Mapping) or name not in value or (number == 0 and value[name] is None):
                return default
            value = value[name]
        return value

    def mapping(self, path):
        value = self.need(path)
        if not isinstance(value, Mapping):
            raise InputError("is not a mapping", field=path, value=value, expected=_expected(path))
        return value

    def items(self, path, default=UNSET):
        """A list at ``path`` (``default`` where it is not there, when given)."""
        value = self.need(path) if default is UNSET else self.get(path, default)
        if not isinstance(value, (list, tuple)):
            raise InputError("is not a list", field=path, value=value, expected="a list (%s)" % _expected(path))
        return value

    def duration(self, name):
        value = self.need(name)
        try:
            return int(seconds(value))
        except DurationError as exc:
            raise InputError(exc.problem, field=name, value=value, expected=FORMS)


def runtime_text(name, version):
    """The runtime as the report shows it: ``name version``, or the name alone when the version is not known."""
    return ("%s %s" % (name, version or "")).strip()


def paths(files, field, changed_only=False):
    """The ``path`` of each file (``| map(attribute='path')``); ``changed_only`` leaves out those whose ``state`` is
    unchanged (``| rejectattr('state', 'equalto', 'unchanged')``)."""
    found = []
    for number, entry in enumerate(files):
        where = "%s[%d]" % (field, number)
        if not isinstance(entry, Mapping):
            raise InputError("is not a mapping", field=where, value=entry, expected="a file entry with path and state")
        if changed_only and entry.get("state") == "unchanged":
            continue
        if "path" not in entry:
            raise InputError("is missing", field=where + ".path", expected="the file's path")
        found.append(entry["path"])
    return found


def succeeded(result, field):
    """``result is succeeded``: a task result that did not fail."""
    if not isinstance(result, Mapping):
        raise InputError("is not a task result", field=field, value=result, expected="a mapping (a registered task result)")
    return not result.get("failed")


def to_bool(value):
    """Ansible's ``bool`` filter: yes/on/true/1 (any case) are true, no/off/false/0 false; anything else is ``== 1``."""
    checked = value.lower() if isinstance(value, str) else (str(value).lower() if isinstance(value, int) else value)
    try:
        if checked in ("yes", "on", "true", "1"):
            return True
        if checked in ("no", "off", "false", "0"):
            return False
        return value == 1
    except TypeError:
        return False


def check(record):
    """``record``, checked as the report will read it (rollout_report adds recorded_at and batch when it writes it)."""
    if record is not None:
        rollout_report.check_record(dict(record, recorded_at="", batch=[]), path="the %s record" % record.get("stage"))
    return record


class Stage(object):
    """What every stage's records share: the node, the run's mode and the plan."""

    name = None
    builds = ("record", "report")

    def restarts(self):
        """The results that say when they restarted the kubelet for this stage (``restarted_at``)."""
        return ()

    def __init__(self, facts):
        self.facts = facts if isinstance(facts, Facts) else Facts(facts)

    @property
    def check_mode(self):
        return self.facts.need("ansible_check_mode")

    def plan(self, field):
        """``seccomp_node_state.plan.<this stage>.<field>``."""
        return self.facts.need("seccomp_node_state.plan.%s.%s" % (self.name, field))

    def common(self):
        record = {"host": self.facts.need("inventory_hostname"), "stage": self.name, "check_mode": self.check_mode}
        # When the node's batch began there, and its kubelet restarts: the report's timeline.
        started = self.facts.get("seccomp_node_state.started_at")
        if isinstance(started, str):
            record["started_at"] = started
        restarts = sorted(set(at for at in (self.facts.get(name + ".restarted_at") for name in self.restarts()) if isinstance(at, str)))
        if restarts and not self.check_mode:
            record["kubelet_restarts"] = restarts
        return record

    def runtime(self):
        return runtime_text(self.facts.need("seccomp_node.runtime.name"), self.facts.get("seccomp_node.runtime.version"))

    def kubelet_version(self):
        return self.facts.need("seccomp_node.kubelet.version")

    def report(self):
        return [self.record()]


class Preflight(Stage):
    """A node preflight stopped: its blockers. Its facts may not have been read."""

    name = "preflight"

    def record(self):
        problems = self.facts.items("seccomp_preflight_problems")
        record = self.common()
        record.update(kubelet_version=self.facts.get("seccomp_node.kubelet.version") or "unknown",
                      layout=self.facts.get("seccomp_node.kubelet.layout.name", "unknown"),
                      runtime=runtime_text(self.facts.get("seccomp_node.runtime.name", "unknown"),
                                           self.facts.get("seccomp_node.runtime.version")),
                      result="stopped", error="; ".join("%s" % problem for problem in problems))
        return check(record)


class FeatureGate(Stage):
    """The gate written and the kubelet restarted by the stage itself (seccomp_feature_gate, roles/feature_gate/tasks/
    gate.yml), or what the plan decides: done before, already right, or written with the switch (seccomp_switch)."""

    name = "feature_gate"

    def restarts(self):
        # its own restart, the switch it is written with (if it is), and its rollback
        switch = ("seccomp_switch",) if self.facts.get("seccomp_node_state.plan.feature_gate.with_switch") else ()
        return ("seccomp_kubelet_healthy", "seccomp_feature_gate", "seccomp_feature_gate_restore") + switch
    builds = ("record", "report", "state", "plan", "plan_state")

    def result(self):
        if self.facts.given("seccomp_feature_gate_error"):
            return "failed"
        return "changed" if self.facts.need("seccomp_feature_gate.changed") else "unchanged"

    def record(self):
        facts = self.facts
        error = facts.given("seccomp_feature_gate_error")
        record = self.common()
        record.update(
            kubelet_version=self.kubelet_version(), runtime=self.runtime(), layout=facts.need("seccomp_node.kubelet.layout.name"),
            method=facts.need("seccomp_feature_gate.method"), reason=facts.need("seccomp_feature_gate.reason"),
            lasting=facts.need("seccomp_feature_gate.lasting"), gate_before=facts.need("seccomp_feature_gate.feature_gate.before"),
            gate_after=facts.need("seccomp_feature_gate.feature_gate.after"),
            gate_removed_from=facts.need("seccomp_feature_gate.feature_gate.removed_from"),
            changed_files=paths(facts.items("seccomp_feature_gate.files"), "seccomp_feature_gate.files", changed_only=True),
            kubelet_restarted=facts.need("seccomp_feature_gate.restart_needed") and not self.check_mode,
            result=self.result(), error=facts.get("seccomp_feature_gate_error"),
            restored=paths(facts.items("seccomp_feature_gate_restore.files", []), "seccomp_feature_gate_restore.files"),
            healthy_after_restore=error and succeeded(facts.need("seccomp_kubelet_healthy"), "seccomp_kubelet_healthy"))
        return check(record)

    def state(self):
        facts = self.facts
        earlier = self.plan("earlier")
        details = earlier.get("details", {}) if isinstance(earlier, Mapping) and earlier else {}
        added = to_bool(details.get("gate_added", False) if isinstance(details, Mapping) else False)
        before = facts.need("seccomp_feature_gate.feature_gate.before")
        after = facts.need("seccomp_feature_gate.feature_gate.after")
        return [{"stage": self.name, "result": self.result(),
                 "details": {"kubelet_version": self.kubelet_version(),
                             # Whether this collection added the gate (rollback.yml removes it only then), kept across runs.
                             "gate_added": added or (before is None and operator.eq(after, True)),
                             "error": facts.get("seccomp_feature_gate_error")}}]

    def plan_record(self):
        facts, action = self.facts, self.plan("action")
        if action == "not asked" or (action == "run" and not self.plan("with_switch")):
            return None
        with_switch = self.plan("with_switch")
        record = self.common()
        record.update(kubelet_version=self.kubelet_version(), runtime=self.runtime(), layout=facts.need("seccomp_node.kubelet.layout.name"),
                      earlier=self.plan("earlier"))
        if with_switch:
            record["result"] = "with switch"
            record["reason"] = ("kubelet %s needs the gate only to accept seccompDefault: it is written with seccompDefault, in the one "
                                "kubelet restart of this batch (%s)" % (self.kubelet_version(), facts.need("seccomp_node_state.plan.switch")))
        else:
            record["result"] = "unchanged" if action == "unchanged" else "skipped"
            record["reason"] = self.plan("reason")
        if action == "unchanged":
            record.update(changed_files=[], kubelet_restarted=False)
        switch = facts.get("seccomp_switch")
        if with_switch and isinstance(switch, Mapping) and "feature_gate" in switch:
            record.update(method=facts.need("seccomp_switch.method"), lasting=facts.need("seccomp_switch.lasting"),
                          gate_before=facts.need("seccomp_switch.feature_gate.before"),
                          gate_after=facts.need("seccomp_switch.feature_gate.after"),
                          changed_files=paths(facts.items("seccomp_switch.files"), "seccomp_switch.files", changed_only=True),
                          kubelet_restarted=facts.need("seccomp_switch.restart_needed") and not self.check_mode)
        return check(record)

    def plan_state(self):
        """A feature gate the plan found already right: the stage is done for this kubelet version."""
        if self.plan("action") != "unchanged":
            return []
        earlier = self.plan("earlier") or {}
        details = (earlier.get("details") if isinstance(earlier, Mapping) else None) or {}
        added = details.get("gate_added", False) if isinstance(details, Mapping) else False
        return [{"stage": self.name, "result": "unchanged", "details": {"kubelet_version": self.kubelet_version(), "gate_added": added}}]


class Audit(Stage):
    """The audit's decision (the seccomp_audit_gate filter's, with what kept it from running), observe or complain
    mode. Its record is built from the decision's own variables _decision, _error, _held and _handover, which the
    roles hand over (roles/audit/vars/main.yml; with_audit_record builds it), and written by the stage that ends the
    node's batch."""

    name = "audit"

    def restarts(self):
        # complain mode's switch (observe mode's is enforcement's), and the restart that puts a held node back
        complain = self.facts.get("seccomp_node_state.plan.switch") == "complain"
        return (("seccomp_switch",) if complain else ()) + ("seccomp_audit_kubelet_restore",)
    builds = ("record", "report", "state", "plan")

    def record(self):
        facts = self.facts
        decision = facts.mapping("_decision")
        error = facts.get("_error")
        recover = self.plan("action") == "recover"
        workloads = facts.need("_decision.workloads")
        recovered_first = []
        if recover:
            if facts.get("seccomp_recovered_crio.restored", "nothing") != "nothing":
                recovered_first.append(facts.need("seccomp_recovered_crio.drop_in"))
            recovered_first += paths(facts.items("seccomp_recovered.files", []), "seccomp_recovered.files", changed_only=True)
        blocked = facts.get("seccomp_audit_trace.blocked", [])
        if not isinstance(blocked, (list, tuple, Mapping, str)):
            raise InputError("has no length", field="seccomp_audit_trace.blocked", value=blocked, expected="a list")
        record = self.common()
        record.update(
            runtime=self.runtime(), mode=self.plan("mode"),
            soak_seconds=facts.duration("seccomp_audit_soak"), containers_watched=facts.need("seccomp_node_pods.targets"),
            # Observe mode restarts at its start; complain mode's containers are restarted by the switch.
            restarted=(facts.get("seccomp_switch.restarted", []) if self.plan("mode") == "complain"
                       else facts.get("seccomp_audit_restarted.restarted", [])),
            passed=facts.need("_decision.passed") and error is None, held=facts.need("_held"),
            complete=facts.need("_decision.complete"), workloads=workloads,
            suggested_profiles=("%s/suggested-profiles/%s" % (facts.need("seccomp_report_dir"), facts.need("inventory_hostname"))
                                if workloads else None),
            review=facts.need("_decision.review"), apart=facts.need("_decision.apart"),
            records=facts.get("seccomp_audit_scan.records"), throttling=facts.get("seccomp_audit_scan.throttling"),
            traced_lines=facts.get("seccomp_audit_trace.lines"), trace_blocked=len(blocked),
            kubelet_restarted=(facts.need("seccomp_node_state.plan.switch") == "complain"
                               and facts.get("seccomp_switch.restart_needed", False)),
            handover=facts.need("_handover"),
            result="planned" if self.check_mode else ("failed" if error is not None else ("passed" if decision["passed"] else "held")),
            error=error, recovered_first=recovered_first, recovered_reason=self.plan("reason") if recover else None)
        return check(record)

    def plan_record(self):
        """The audit done before."""
        if self.plan("action") != "skip":
            return None
        record = self.common()
        record.update(result="skipped", passed=True, runtime=self.runtime(), reason=self.plan("reason"), earlier=self.plan("earlier"))
        return check(record)

    def kept(self):
        """The audit's record, as the stage that writes it has it (seccomp_audit_record)."""
        return self.facts.mapping("seccomp_audit_record")

    def state(self):
        """The audit's result (and a feature gate found already right), once complain mode was handed over or left."""
        facts = self.facts
        facts.mapping("seccomp_audit_record")
        return FeatureGate(facts).plan_state() + [
            {"stage": self.name, "result": facts.need("seccomp_audit_record.result"),
             "details": {"mode": self.plan("mode"), "soak_seconds": facts.need("seccomp_audit_record.soak_seconds"),
                         "workloads": len(facts.items("seccomp_audit_record.workloads")),
                         "complete": facts.need("seccomp_audit_record.complete"), "error": facts.need("seccomp_audit_record.error")}}]

    def report(self):
        """The feature gate's record the plan decided, and the audit's with what leaving complain mode put back."""
        facts = self.facts
        restored = {"crio": facts.get("seccomp_audit_crio_restore.restored"),
                    "kubelet": paths(facts.items("seccomp_audit_kubelet_restore.files", []), "seccomp_audit_kubelet_restore.files")}
        return [FeatureGate(facts).plan_record(), check(dict(self.kept(), restored=restored))]


class Enforce(Stage):
    """Enforcement: the containers recreated, what the runtime applied and the watch's first step (enforce_containers,
    registered as seccomp_enforce_restarted), the rest of the watch (seccomp_enforce_watched), and the rollback on
    failure; or what the plan decides (done before, or not retried on a node that was rolled back)."""

    name = "enforce"

    def restarts(self):
        return ("seccomp_switch", "seccomp_enforce_restore", "seccomp_recovered")
    builds = ("record", "report", "state", "earlier_state", "plan")

    def failed(self):
        return self.facts.given("seccomp_enforce_error")

    def kernel_records(self):
        """The kernel's seccomp records of the whole watch: its first step (enforce_containers' ``watched``) and the
        steps after it (node_watch's, in the loop); null without the kernel's records, in check mode, or when the
        watch did not begin."""
        facts = self.facts
        started = facts.get("seccomp_enforce_restarted")
        if not (facts.need("seccomp_enforce_watch_kernel") and not self.check_mode and isinstance(started, Mapping)
                and "watched" in started):
            return None
        steps = [started["watched"]] + list(facts.items("seccomp_enforce_watched.results", []))
        counts = [step["kernel_records"] for step in steps if isinstance(step, Mapping) and "kernel_records" in step]
        return sum(count for count in counts if isinstance(count, numbers.Number))

    def record(self):
        facts = self.facts
        switch = facts.mapping("seccomp_switch")
        switch_failed = bool(switch.get("failed"))
        recover = self.plan("action") == "recover"
        if switch_failed:
            restored = facts.need("seccomp_switch.restored")
        else:
            restored = paths(facts.items("seccomp_enforce_restore.files", []), "seccomp_enforce_restore.files")
        healthy = self.failed() and (facts.need("seccomp_switch.healthy_after_restore") if switch_failed else
                                     succeeded(facts.get("seccomp_kubelet_healthy", {}), "seccomp_kubelet_healthy"))
        record = self.common()
        record.update(
            already_on=not facts.get("seccomp_switch.changed", False) and facts.need("seccomp_node_state.plan.switch") == "enforce",
            changed_files=paths(facts.items("seccomp_switch.files", []), "seccomp_switch.files", changed_only=True),
            kubelet_restarted=facts.get("seccomp_switch.restart_needed", False) and not self.check_mode,
            handover=facts.get("seccomp_audit_handover", False),
            recreated=facts.get("seccomp_enforce_restarted.restarted", []),
            not_recreated=[] if facts.need("seccomp_enforce_recreate") else facts.need("seccomp_node_pods.targets"),
            verified=facts.get("seccomp_enforce_restarted.verified", 0),
            containers=facts.get("seccomp_enforce_restarted.containers", []),
            watch_seconds=facts.duration("seccomp_enforce_watch"), kernel_records=self.kernel_records(),
            result="rolled back" if self.failed() else ("enforced" if not self.check_mode else "planned"),
            error=facts.get("seccomp_enforce_error"), restored=restored,
            recovered_first=(paths(facts.items("seccomp_recovered.files", []), "seccomp_recovered.files", changed_only=True)
                             if recover else []),
            recovered_reason=self.plan("reason") if recover else None,
            healthy_after_rollback=healthy, owner=self.owner(), lasting=facts.get("seccomp_switch.lasting"))
        return check(record)

    def owner(self):
        """What owns the node's kubelet configuration, what rewrites it, and what to set there so that seccompDefault
        stays on (node_facts' layout), for the report's "keeping it on"; null when the node was not read."""
        layout = self.facts.get("seccomp_node.kubelet.layout")
        if not isinstance(layout, Mapping):
            return None
        return dict((key, layout.get(key)) for key in ("name", "title", "rewritten_by", "keep_with"))

    def plan_record(self):
        """Enforcement done before (skipped), or refused on a node that was rolled back (not retried)."""
        action = self.plan("action")
        if action not in ("skip", "refuse"):
            return None
        record = self.common()
        record.update(already_on=self.facts.need("seccomp_node.kubelet.seccomp_default.effective"),
                      result="skipped" if action == "skip" else "not retried",
                      reason=self.plan("reason"), earlier=self.plan("earlier"), owner=self.owner())
        return check(record)

    def state(self):
        """Enforcement's result, with the audit it followed and the gate written with the switch."""
        return self.earlier_state() + [enforce_entry(self.facts.get("seccomp_enforce_error"),
                                                     self.facts.get("seccomp_enforce_restarted.verified", 0))]

    def earlier_state(self):
        """The entries enforcement records with its own: the gate written with the switch, the audit it followed
        (what enforce_containers records before its own entry, when it records a passed enforcement itself)."""
        facts = self.facts
        entries = []
        if facts.need("seccomp_node_state.plan.feature_gate.with_switch") and not self.failed():
            before = facts.need("seccomp_switch.feature_gate.before")
            after = facts.need("seccomp_switch.feature_gate.after")
            entries.append({"stage": "feature_gate", "result": "changed" if after != before else "unchanged",
                            "details": {"kubelet_version": self.kubelet_version(),
                                        "gate_added": before is None and operator.eq(after, True)}})
        entries += FeatureGate(facts).plan_state()
        if facts.need("seccomp_node_state.plan.audit.action") in RUNS:
            entries.append({"stage": "audit", "result": "passed",
                            "details": {"mode": facts.need("seccomp_audit_record.mode"),
                                        "soak_seconds": facts.need("seccomp_audit_record.soak_seconds"), "workloads": 0,
                                        "complete": facts.need("seccomp_audit_record.complete"),
                                        "handover": facts.need("seccomp_audit_record.handover")}})
        return entries

    def report(self):
        """The feature gate's record the plan decided, the audit's (done now, or before), and enforcement's - what it
        did, or why it was not done - where the plan runs or refuses it."""
        facts = self.facts
        audit = Audit(facts)
        action = self.plan("action")
        records = [FeatureGate(facts).plan_record(),
                   check(audit.kept()) if facts.need("seccomp_node_state.plan.audit.action") in RUNS else audit.plan_record()]
        if action in RUNS:
            records.append(self.record())
        elif action in ("skip", "refuse"):
            records.append(self.plan_record())
        return records


BUILDERS = {"preflight": Preflight, "feature_gate": FeatureGate, "audit": Audit, "enforce": Enforce}


def with_audit_record(facts):
    """``facts`` with seccomp_audit_record, built here from the audit's decision where the roles hand over the decision
    (_decision, _error, _held, _handover: roles/audit/vars) and not the record - once per call, in Python."""
    if isinstance(facts, Mapping) and facts.get("seccomp_audit_record") is None and facts.get("_decision") is not None:
        facts = dict(facts, seccomp_audit_record=Audit(facts).record())
    return facts


def stage_records(stage, facts, what="report"):
    """What ``stage`` builds from ``facts`` (the variables by name): see the module's description for ``what``."""
    if not isinstance(stage, str) or stage not in BUILDERS:
        raise InputError("is not a stage", field="stage", value=stage, expected="one of %s" % ", ".join(STAGES))
    builder = BUILDERS[stage]
    if not isinstance(what, str) or what not in builder.builds:
        raise InputError("is not something the %s stage builds" % stage, field="what", value=what,
                         expected="one of %s" % ", ".join(builder.builds))
    built = builder(with_audit_record(facts))
    if what == "plan":
        return built.plan_record()
    return getattr(built, what)()
