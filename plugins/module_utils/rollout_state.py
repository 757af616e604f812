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

from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError
from ansible_collections.k8s.seccomp_default.plugins.module_utils.rollout_report import Kinds, ListOf, Mapping, OneOf

SCHEMA = "k8s.seccomp_default/node-state/v1"
STAGES = ("feature_gate", "audit", "enforce")
# Results each stage records; the first of each tuple are the results that count as done.
RESULTS = {
    "feature_gate": (("changed", "unchanged"), ("failed", "removed")),
    # "stopped" is what versions before 0.6.0 wrote for "held"; it is read as that.
    "audit": (("passed",), ("in progress", "held", "stopped")),
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
            return dict(action="run", reason="the audit held this node in %s; auditing again" % _when(earlier), earlier=earlier)
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
