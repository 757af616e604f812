#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: rollout_state
short_description: Read or record which rollout stage a node completed, when and with which result
version_added: 0.4.0
description:
  - Keeps the rollout's progress on the node itself, in one JSON file, so that a rollout that was interrupted - killed
    between batches, a node unreachable, a batch rolled back - resumes where it stopped when it is run again, from any
    controller.
  - Without O(stage) the module only reads. With O(stage) alone it also says in RV(resume) what a run does with that
    stage on this node - run it, skip it because it is done, refuse it because the node was rolled back, or recover
    it first because an earlier run was interrupted on it. With O(stage) and O(result) it records that result, with the time and
    O(run_id), and keeps the last 20 results as history. Recording the same result and details again changes nothing.
  - Results per stage - C(feature_gate) C(changed), C(unchanged) (done), C(failed) or C(removed) (by
    C(rollback.yml)); C(audit) C(in progress), C(passed) (done) or C(stopped); C(enforce) C(in progress),
    C(enforced) (done), C(rolled back) or C(not retried). C(in progress) is recorded with the kubelet files' backups
    as soon as they are written.
  - The roles skip a stage that is done, never enable a node whose last C(enforce) result is C(rolled back) unless
    asked, and put an interrupted stage 2 or 3 (still C(in progress)) back byte for byte before running it again.
options:
  path:
    description: The state file on the node.
    type: path
    default: /var/lib/k8s-seccomp-default/rollout-state.json
  stage:
    description: The stage whose result is recorded.
    type: str
    choices: [feature_gate, audit, enforce]
  result:
    description: The stage's result (see the description for the valid results of each stage).
    type: str
  details:
    description: What the caller wants kept with the result (such as the kubelet version or the error).
    type: dict
    default: {}
  run_id:
    description: The run that recorded the result.
    type: str
  kubelet_version:
    description: Without O(result) - the node's kubelet version, for RV(resume) of stage 1.
    type: str
  seccomp_default:
    description: Without O(result) - whether C(seccompDefault) is on now, for RV(resume) of stages 2 and 3.
    type: bool
  retry:
    description: Without O(result) - enable a node again whose stage 3 was rolled back (RV(resume) says C(run)).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Says what would be recorded; writes nothing.
  diff_mode:
    support: full
    description: The state file before and after.
notes:
  - The file is written atomically (temporary file, fsync, rename). A file that is not this collection's state is
    refused, naming the file, rather than overwritten; so is a field of the wrong type, naming the field and the value.
  - The file keeps the C(sha256) of what was recorded. A file whose content no longer matches it (edited by hand, or
    damaged) is read with a warning and never overwritten - recording into it fails, naming the file. Remove its
    C(sha256) field to keep the edit, or move the file aside to start the node afresh.
  - A symlinked state file stays a symlink; the file it points to is written.
author:
  - k8s.seccomp_default contributors (@k8s-seccomp-default)
"""

EXAMPLES = r"""
- name: Read where the rollout stands on this node
  k8s.seccomp_default.rollout_state:
  register: node_state

- name: Decide whether stage 3 runs here
  k8s.seccomp_default.rollout_state:
    stage: enforce
    seccomp_default: "{{ seccomp_node.kubelet.seccomp_default.effective }}"
  register: enforce_resume

- name: Record that stage 3 enforced this node
  k8s.seccomp_default.rollout_state:
    stage: enforce
    result: enforced
    run_id: "{{ seccomp_run_id }}"
    details: {verified: 12}
"""

RETURN = r"""
state:
  description: The node's state after the call - C(schema), C(stages) (per stage C(result), C(at), C(run_id),
    C(details)) and C(history).
  returned: always
  type: dict
previous:
  description: The stage's entry before the call (null when it had none or no O(stage) was given).
  returned: always
  type: dict
resume:
  description: With O(stage) and no O(result) - C(action) (C(run), C(skip), C(refuse) or C(recover)), C(reason) (one sentence
    for the log and the report) and C(earlier) (the stage's last entry).
  returned: when O(stage) is given without O(result)
  type: dict
done:
  description: The stages whose last result counts as done.
  returned: always
  type: list
  elements: str
"""

import datetime
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.k8s.seccomp_default.plugins.module_utils import errors
from ansible_collections.k8s.seccomp_default.plugins.module_utils.files import atomic_write, ensure_directories, text_diff
from ansible_collections.k8s.seccomp_default.plugins.module_utils.rollout_state import (
    SEAL, STAGES, done, dumps, load_checked, record, resume)

EDITED = ("its content is not what this collection recorded (it no longer matches the %s recorded in it): it was edited "
          "or damaged after it was written" % SEAL)


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


def state_module(module):
    params = module.params
    path, stage = params["path"], params["stage"]
    before_bytes, state, edited = read_state(path)
    if edited:
        module.warn("%s: %s; it is read as it is now" % (path, EDITED))
    previous = state["stages"].get(stage) if stage else None
    changed = False
    decision = None
    if stage and params["result"] is None:
        decision = resume(state, stage, params["kubelet_version"], params["seccomp_default"], params["retry"])
    elif stage:
        at = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
        state, changed = record(state, stage, params["result"], at, params["run_id"], params["details"])
    if changed and edited:
        raise errors.InputError("%s; recording %s=%r would overwrite that, so nothing was written. To keep the edit and record "
                                "on top of it, remove its %r field; to start the node afresh, move the file aside"
                                % (EDITED, stage, params["result"], SEAL), path=path)
    result = dict(changed=changed, state=state, previous=previous, done=[name for name in STAGES if done(state, name)])
    if decision is not None:
        result["resume"] = decision
    if changed:
        after_bytes = dumps(state)
        if module._diff:
            result["diff"] = text_diff(path, before_bytes, after_bytes)
        if not module.check_mode:
            write_state(path, before_bytes, after_bytes)
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", default="/var/lib/k8s-seccomp-default/rollout-state.json"),
            stage=dict(type="str", choices=list(STAGES)),
            result=dict(type="str"),
            kubelet_version=dict(type="str"),
            seccomp_default=dict(type="bool"),
            retry=dict(type="bool", default=False),
            details=dict(type="dict", default={}),
            run_id=dict(type="str"),
        ),
        required_by=dict(result="stage"),
        supports_check_mode=True,
    )
    errors.run_module(module, state_module)


if __name__ == "__main__":
    main()
