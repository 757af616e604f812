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
    refused, naming the file, rather than overwritten.
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

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.k8s.seccomp_default.plugins.module_utils.files import atomic_write, ensure_directories, read_bytes, text_diff
from ansible_collections.k8s.seccomp_default.plugins.module_utils.rollout_state import STAGES, StateError, done, dumps, load, record, resume


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
    path = module.params["path"]
    stage = module.params["stage"]
    try:
        before_bytes = read_bytes(path)
        state = load(before_bytes, path)
        previous = state["stages"].get(stage) if stage else None
        changed = False
        decision = None
        if stage and module.params["result"] is None:
            decision = resume(state, stage, module.params["kubelet_version"], module.params["seccomp_default"], module.params["retry"])
        elif stage:
            at = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
            state, changed = record(state, stage, module.params["result"], at, module.params["run_id"], module.params["details"])
    except StateError as exc:
        module.fail_json(msg="%s" % exc)
    except (IOError, OSError) as exc:
        module.fail_json(msg="cannot read %s: %s" % (path, exc))
    result = dict(changed=changed, state=state, previous=previous, done=[name for name in STAGES if done(state, name)])
    if decision is not None:
        result["resume"] = decision
    if changed:
        after_bytes = dumps(state)
        if module._diff:
            result["diff"] = text_diff(path, before_bytes, after_bytes)
        if not module.check_mode:
            try:
                ensure_directories(path, mode=0o700)
                atomic_write(path, after_bytes, mode=0o600)
            except (IOError, OSError) as exc:
                module.fail_json(msg="cannot write %s: %s" % (path, exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
