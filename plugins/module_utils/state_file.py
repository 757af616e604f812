# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Reading and writing the node's rollout state file (module_utils.rollout_state says what it holds).

What the rollout_state module does with the file, for it and kubelet_switch: read it (checked against its seal),
record results into it, and write it atomically where a symlink leads, unless it changed since it was read.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import os

from ansible_collections.k8s.seccomp_default.plugins.module_utils import errors
from ansible_collections.k8s.seccomp_default.plugins.module_utils.files import atomic_write, ensure_directories, text_diff
from ansible_collections.k8s.seccomp_default.plugins.module_utils.rollout_state import AUDIT_MODES, SEAL, STAGES, dumps, load_checked, plan, record, resume_all

PATH = "/var/lib/k8s-seccomp-default/rollout-state.json"
# What a node's plan is made from (rollout_state when it reads, node_plan; the doc fragment rollout_plan).
PLAN_ARGUMENT_SPEC = dict(
    path=dict(type="path", default=PATH),
    kubelet_version=dict(type="str"),
    seccomp_default=dict(type="bool"),
    retry=dict(type="bool", default=False),
    stages=dict(type="list", elements="str"),
    force=dict(type="list", elements="str", default=[]),
    runtime=dict(type="str"),
    gate=dict(type="dict"),
    audit_mode=dict(type="str", choices=list(AUDIT_MODES), default="auto"),
)
EDITED = ("its content is not what this collection recorded (it no longer matches the %s recorded in it): it was edited "
          "or damaged after it was written" % SEAL)


def read_warned(module, path):
    """read_state, with a task warning where the file was edited or damaged since it was written."""
    before_bytes, state, edited = read_state(path)
    if edited:
        module.warn("%s: %s; it is read as it is now" % (path, EDITED))
    return before_bytes, state, edited


def resumes_and_plan(state, params):
    """(resume_all, plan or None without ``stages``) of ``state``, from the options of PLAN_ARGUMENT_SPEC."""
    resumes = resume_all(state, params["kubelet_version"], params["seccomp_default"], params["retry"])
    if params["stages"] is None:
        return resumes, None
    return resumes, plan(state, params["stages"], params["kubelet_version"], params["seccomp_default"], params["runtime"],
                         params["audit_mode"], params["force"], params["retry"], params["gate"])


def read_state(path):
    """(bytes or None, state, edited) of the state file at ``path``."""
    if os.path.islink(path) and not os.path.exists(path):
        raise errors.InputError("is a symlink to %s, which does not exist" % os.path.realpath(path), path=path,
                                expected="a regular file, or a symlink to one")
    before = errors.read_file(path, missing_ok=True, encoding=None)
    state, edited = load_checked(before, path)
    return before, state, edited


def write_state(path, before, after):
    """Write ``after`` where ``path`` leads (a symlinked state file stays a symlink), unless the file changed since it
    was read as ``before``."""
    target = os.path.realpath(path)
    try:
        ensure_directories(target, mode=0o700)
    except (IOError, OSError) as exc:
        raise errors.os_error(exc, os.path.dirname(target), "created")
    if errors.read_file(target, missing_ok=True, encoding=None) != before:
        raise errors.InputError("changed while this call ran; nothing was written", path=path, expected="run the task again")
    try:
        atomic_write(target, after, mode=0o600)
    except (IOError, OSError) as exc:
        raise errors.os_error(exc, target, "written")


def record_entry(entry, field):
    """One item of ``records``: stage, result and details, checked."""
    unknown = sorted(set(entry) - set(("stage", "result", "details")))
    if unknown:
        raise errors.InputError("has keys this module does not take", field=field, value=unknown[0],
                                expected="stage, result and details")
    if entry.get("stage") not in STAGES:
        raise errors.InputError("is not a stage", field=field + ".stage", value=entry.get("stage"),
                                expected="one of %s" % ", ".join(STAGES))
    if not isinstance(entry.get("result"), str):
        raise errors.InputError("is not a result", field=field + ".result", value=entry.get("result"),
                                expected="one of the stage's results (see the module's description)")
    details = entry.get("details") or {}
    if not isinstance(details, dict):
        raise errors.InputError("is not a mapping", field=field + ".details", value=details, expected="a mapping")
    return dict(stage=entry["stage"], result=entry["result"], details=details)


def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


def record_all(state, writes, run_id, path, edited, at=None):
    """(state, changed): ``writes`` (dicts of stage, result, details) recorded into ``state``. Refused, naming
    ``path``, when that changes a file that was ``edited`` since it was written."""
    at = at or now()
    changed = False
    for entry in writes:
        state, one_changed = record(state, entry["stage"], entry["result"], at, run_id, entry["details"])
        changed = changed or one_changed
    if changed and edited:
        raise edited_refusal(path, writes)
    return state, changed


def record_on_node(path, writes, run_id):
    """``writes`` recorded in the state file at ``path`` in one write (record_all, then write_state): whether it
    changed. Raises InputError, naming the file, when it cannot be read, was edited, or cannot be written."""
    before, state, edited = read_state(path)
    state, changed = record_all(state, writes, run_id, path, edited)
    if changed:
        write_state(path, before, dumps(state))
    return changed


def edited_refusal(path, writes):
    return errors.InputError("%s; recording %s would overwrite that, so nothing was written. To keep the edit and record "
                             "on top of it, remove its %r field; to start the node afresh, move the file aside"
                             % (EDITED, ", ".join("%s=%r" % (entry["stage"], entry["result"]) for entry in writes), SEAL),
                             path=path)


def save(module, path, before, state, result):
    """Write ``state`` (read as ``before``) at ``path``, unless in check mode; ``result["diff"]`` in diff mode."""
    after = dumps(state)
    if module._diff:
        result["diff"] = text_diff(path, before, after)
    if not module.check_mode:
        write_state(path, before, after)
