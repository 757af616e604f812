# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""What the rollout did on a node, kept on the node, so that an interrupted rollout resumes where it stopped.

The file holds, per stage, the last result with its time and run, and a short history. Which results count as done
and what a re-run does with them is decided here, once, for the roles and rollback.yml.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json

from ansible_collections.k8s.seccomp_default.plugins.module_utils import kubelet
from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError
from ansible_collections.k8s.seccomp_default.plugins.module_utils.rollout_report import Kinds, ListOf, Mapping, OneOf

SCHEMA = "k8s.seccomp_default/node-state/v1"
STAGES = ("feature_gate", "audit", "enforce")
# Results each stage records; the first of each tuple are the results that count as done.
RESULTS = {
    "feature_gate": (("changed", "unchanged"), ("failed", "removed")),
    # "stopped" is what versions before 0.6.0 wrote for "held"; it is read as that.
    "audit": (("passed",), ("in progress", "held", "failed", "stopped")),
    "enforce": (("enforced",), ("in progress", "rolled back", "not retried")),
}
HISTORY = 20
# The sha256 of the state as it was written, kept in the file: an edit by hand or a damaged file does not match it.
SEAL = "sha256"
FRESH = "the state file this collection writes (move this one aside to start the node afresh)"


class StateError(InputError):
    def __str__(self):
        if self.path is None or self.field is not None:
            return super(StateError, self).__str__()
        # About the file as a whole, which is the subject of the sentence: "<file> is not the JSON ...".
        return "%s %s" % (self.path, InputError(self.problem, value=self.value, expected=self.expected))


def _entry(stage):
    return Mapping({"result": OneOf(RESULTS[stage][0] + RESULTS[stage][1]), "at": Kinds(str, type(None)),
                    "run_id": Kinds(str, type(None)), "details": Kinds(dict, type(None))},
                   required=("result",), expected="a mapping (result, at, run_id, details)")


def empty():
    return {"schema": SCHEMA, "stages": {}, "history": []}


def seal(state):
    """The sha256 of ``state`` without its seal, over a canonical form (the same data always gives the same seal)."""
    data = dict((key, value) for key, value in state.items() if key != SEAL)
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()


def load(data, path):
    """The state in ``data`` (bytes or None for no file yet), refusing what this collection did not write."""
    return load_checked(data, path)[0]


def load_checked(data, path):
    """(state, edited): the state in ``data``, checked field by field, and whether its content is no longer what
    this collection recorded (its seal does not match). A file without a seal was written by an older version."""
    if data is None:
        return empty(), False
    try:
        state = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise StateError("is not the JSON this collection writes (%s)" % exc, path=path, expected=FRESH)
    if not isinstance(state, dict) or state.get("schema") != SCHEMA:
        found = state.get("schema") if isinstance(state, dict) else type(state).__name__
        raise StateError("has schema %r; this collection reads %s" % (found, SCHEMA), path=path, expected=FRESH)
    stages = Mapping(expected="a mapping of stage to its last result").check(state.setdefault("stages", {}), "stages", path)
    for stage, entry in stages.items():
        if stage not in RESULTS:
            raise InputError("is not a stage", path=path, field="stages", value=stage, expected="one of %s" % ", ".join(STAGES))
        _entry(stage).check(entry, "stages.%s" % stage, path)
    history = ListOf(Mapping(expected="a mapping (stage, result, at, run_id, details)")).check(
        state.setdefault("history", []), "history", path)
    for number, entry in enumerate(history):
        field = "history[%d]" % number
        OneOf(STAGES).check(entry.get("stage"), field + ".stage", path)
        _entry(entry["stage"]).check(entry, field, path)
    recorded = state.pop(SEAL, None)
    if recorded is not None and not isinstance(recorded, str):
        raise InputError("is not a string", path=path, field=SEAL, value=recorded, expected="the sha256 this collection wrote")
    return state, recorded is not None and recorded != seal(state)


def check_result(stage, result):
    if stage not in RESULTS:
        raise StateError("stage=%r is not a stage; valid: %s" % (stage, ", ".join(STAGES)))
    valid = RESULTS[stage][0] + RESULTS[stage][1]
    if result not in valid:
        raise StateError("result=%r is not a result of stage %s; valid: %s" % (result, stage, ", ".join(valid)))


def resume_all(state, kubelet_version=None, seccomp_default=None, retry=False):
    """``resume`` of every stage, by stage name."""
    return dict((stage, resume(state, stage, kubelet_version, seccomp_default, retry)) for stage in STAGES)


def record(state, stage, result, at, run_id=None, details=None):
    """``state`` with ``stage``'s result; the same result again only refreshes nothing (a re-run changes nothing)."""
    check_result(stage, result)
    entry = {"result": result, "at": at, "run_id": run_id, "details": details or {}}
    previous = state["stages"].get(stage)
    if previous and previous.get("result") == result and previous.get("details") == entry["details"]:
        return state, False
    new = json.loads(json.dumps(state))
    new["stages"][stage] = entry
    new["history"] = (new["history"] + [dict(entry, stage=stage)])[-HISTORY:]
    return new, True


def enforce_entry(error, verified):
    """Enforcement's own entry in the node's state: enforced, or rolled back with its error; how many containers were
    checked and agreed. The rollout's records (rollout_records) and enforce_containers, which records a passed
    enforcement itself, both build it here."""
    return {"stage": "enforce", "result": "rolled back" if error is not None else "enforced", "details": {"error": error, "verified": verified}}


def done(state, stage):
    entry = state["stages"].get(stage)
    return bool(entry) and entry.get("result") in RESULTS[stage][0]


def dumps(state):
    return (json.dumps(dict(state, **{SEAL: seal(state)}), indent=2, sort_keys=True) + "\n").encode("utf-8")


def _when(entry):
    return "run %s at %s" % (entry.get("run_id") or "?", entry.get("at") or "?")


def resume(state, stage, kubelet_version=None, seccomp_default=None, retry=False):
    """What a (re-)run does with ``stage`` on this node: {'action': run|skip|refuse|recover, 'reason', 'earlier'}.

    The feature gate is done for the kubelet version it ran on (an upgraded kubelet may need its gate removed). The
    audit is done once passed, or once the node is enforced; a held node is audited again, since the audit changes
    nothing for good. Enforcement is done while seccompDefault is still on; a node that was rolled back - by the
    enforce stage, by rollback.yml or by hand - is refused unless ``retry``. A stage left "in progress" was
    interrupted, not failed: it is recovered (its files put back from the recorded backups) and run again.
    """
    if stage not in RESULTS:
        raise StateError("stage=%r is not a stage; valid: %s" % (stage, ", ".join(STAGES)))
    earlier = state["stages"].get(stage)
    enforce = state["stages"].get("enforce")
    if stage == "feature_gate":
        if earlier and done(state, stage):
            ran_on = (earlier.get("details") or {}).get("kubelet_version")
            if ran_on == kubelet_version:
                return dict(action="skip", reason="the feature gate was done in %s (kubelet %s)" % (_when(earlier), ran_on),
                            earlier=earlier)
            return dict(action="run", reason="the feature gate was done on kubelet %s in %s; the kubelet is %s now" % (
                ran_on, _when(earlier), kubelet_version), earlier=earlier)
        return dict(action="run", reason="the feature gate is not done yet", earlier=earlier)
    if stage == "audit":
        if earlier and earlier.get("result") == "in progress":
            return dict(action="recover", reason="the audit was interrupted on this node in %s (complain mode may still be "
                        "on); its files are put back byte for byte and the audit starts again" % _when(earlier), earlier=earlier)
        if enforce and done(state, "enforce") and seccomp_default:
            return dict(action="skip", reason="already enforced in %s" % _when(enforce), earlier=earlier)
        if earlier and done(state, stage):
            return dict(action="skip", reason="the audit passed in %s" % _when(earlier), earlier=earlier)
        if earlier:
            what = "failed on" if earlier.get("result") == "failed" else "held"
            return dict(action="run", reason="the audit %s this node in %s; auditing again" % (what, _when(earlier)), earlier=earlier)
        return dict(action="run", reason="the audit is not done yet", earlier=earlier)
    # enforce
    if earlier and earlier.get("result") == "in progress":
        return dict(action="recover", reason="enforcement was interrupted on this node in %s (the run stopped or lost the "
                    "node before it finished); its files are put back byte for byte and enforcement starts again" % _when(earlier),
                    earlier=earlier)
    if earlier and done(state, stage):
        if seccomp_default:
            return dict(action="skip", reason="enforced in %s" % _when(earlier), earlier=earlier)
        why = "was enforced in %s, but seccompDefault is off now (turned off outside this rollout)" % _when(earlier)
    elif earlier:
        why = "rolled back in %s: %s" % (_when(earlier), (earlier.get("details") or {}).get("error") or earlier.get("result"))
    else:
        return dict(action="run", reason="enforcement is not done yet", earlier=earlier)
    if retry:
        return dict(action="run", reason=why + "; enabling again as asked (seccomp_enforce_retry_rolled_back)", earlier=earlier)
    return dict(action="refuse", reason=why + "; not enabled again unless asked (seccomp_enforce_retry_rolled_back=true)",
                earlier=earlier)


AUDIT_MODES = ("auto", "complain", "observe")
RUNS = ("run", "recover")


def audit_mode(asked, runtime):
    """complain (CRI-O: RuntimeDefault logs instead of blocking) or observe (a trace from outside, nothing changed)."""
    if asked not in AUDIT_MODES:
        raise InputError("is not an audit mode", field="audit_mode", value=asked, expected=", ".join(AUDIT_MODES))
    if asked == "auto":
        return "complain" if runtime == "cri-o" else "observe"
    if asked == "complain" and runtime != "cri-o":
        raise InputError("needs CRI-O; this node runs %s, which has no setting that makes RuntimeDefault log" % runtime,
                         field="audit_mode", value=asked, expected="observe (or auto) on this node")
    return asked


def gate_is_right(kubelet_version, gate):
    """Whether the node's SeccompDefault gate (the node facts' kubelet.feature_gate: value, in_flags, in_config) is
    already what kubelet ``kubelet_version`` needs, so that the feature gate stage has nothing to write."""
    if not isinstance(gate, dict):
        return False
    value = gate.get("value")
    wanted = kubelet.wanted_gate(kubelet_version, value)
    if wanted is None:
        return value is None and not gate.get("in_flags") and not gate.get("in_config")
    return value is wanted


def plan(state, stages, kubelet_version, seccomp_default, runtime, asked_mode="auto", force=(), retry=False, gate=None):
    """What this run does on the node, stage by stage, so that every stage of a batch runs in one pass and the kubelet
    restarts once.

    Per stage in ``stages``: ``resume``'s decision (``force`` turns skip and refuse into run). Then:
    - ``audit.mode``: complain or observe (see ``audit_mode``).
    - ``switch``: what the one kubelet restart of this run turns on - "complain" (CRI-O: seccompDefault on with the
      logging profile as RuntimeDefault, before the soak), "enforce" (seccompDefault on for good, after an observe
      audit passed) or None (nothing to switch).
    - ``handover``: a complain-mode audit that passes hands the node to enforcement without a second restart: CRI-O's
      RuntimeDefault goes back to the runtime's own and CRI-O is reloaded; the kubelet keeps seccompDefault on.
    - ``feature_gate.with_switch``: on 1.22-1.24 the gate only lets seccompDefault be set, so it is written with the
      switch, in the same restart, instead of in a restart of its own.
    With ``gate`` (the node facts' kubelet.feature_gate), a feature gate stage that would run but finds the gate
    already right is "unchanged" at once: there is nothing to write, so nothing is read again.
    """
    unknown = [stage for stage in list(stages) + list(force) if stage not in STAGES]
    if unknown:
        raise InputError("is not a stage", field="stages", value=unknown[0], expected="one of %s" % ", ".join(STAGES))
    steps = {}
    for stage in STAGES:
        if stage not in stages:
            steps[stage] = dict(action="not asked", reason="not among the stages asked for", earlier=state["stages"].get(stage))
            continue
        step = resume(state, stage, kubelet_version, seccomp_default, retry)
        if stage in force and step["action"] in ("skip", "refuse"):
            step = dict(step, action="run", reason=step["reason"] + "; run again as asked (seccomp_force_stages)")
        steps[stage] = step
    if steps["feature_gate"]["action"] == "run" and "feature_gate" not in force and gate_is_right(kubelet_version, gate):
        steps["feature_gate"] = dict(steps["feature_gate"], action="unchanged",
                                     reason="the gate is already what kubelet %s needs" % kubelet.format_version(kubelet_version))
    audit, enforce, gate = steps["audit"], steps["enforce"], steps["feature_gate"]
    audit["mode"] = audit_mode(asked_mode, runtime) if audit["action"] in RUNS else None
    complain = audit["mode"] == "complain"
    enforcing = enforce["action"] in RUNS
    switch = "complain" if complain else ("enforce" if enforcing else None)
    gate["with_switch"] = bool(gate["action"] == "run" and switch and kubelet.gate_stage(kubelet_version)["stage"] == "alpha")
    return dict(steps, switch=switch, handover=complain and enforcing)
