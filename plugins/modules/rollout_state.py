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
  - Without O(stage) or O(records) the module only reads (with O(kubelet_version), O(seccomp_default), O(retry) and,
    for RV(plan), O(stages) and the options after it), and says in RV(resumes) what a run does with each stage on
    this node - run it, skip it because it is done, refuse it because the node was rolled back, or recover it first
    because an earlier run was interrupted on it. With O(stage) alone it says the same for that stage in RV(resume).
    With O(stage) and O(result) it records that result, with the time and O(run_id), and keeps the last 20 results as
    history; O(records) records several stages' results at once, in one write. Recording the same result and details
    again changes nothing.
  - Results per stage - C(feature_gate) C(changed), C(unchanged) (done), C(failed) or C(removed) (by
    C(rollback.yml)); C(audit) C(in progress), C(passed) (done) or C(held) (the audit found calls the default profile
    would block; C(stopped), written by versions before 0.6.0, is read as C(held)); C(enforce) C(in progress),
    C(enforced) (done), C(rolled back) or C(not retried). C(in progress) is recorded with the kubelet files' backups
    as soon as they are written.
  - The rollout skips a stage that is done, never enables a node whose last C(enforce) result is C(rolled back) unless
    asked, and puts an interrupted audit or enforcement (still C(in progress)) back byte for byte before running it
    again.
options:
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
  records:
    description: Several results to record in one write, in order; each has C(stage), C(result) and optionally
      C(details). Not with O(stage).
    type: list
    elements: dict
  run_id:
    description: The run that recorded the result.
    type: str
  report:
    description:
      - The same stage's records for the run's report, written on the controller once the node's state is recorded -
        what M(k8s.seccomp_default.rollout_report) writes with O(report.dir), O(report.host), O(report.batch) and
        O(report.records), in the same task. The action plugin writes them; the module on the node ignores the option.
      - A node whose state cannot be recorded fails the task with the report unchanged. In check mode the report is
        written all the same (it is the plan), as M(k8s.seccomp_default.rollout_report) with C(check_mode=false).
    type: dict
    suboptions:
      dir:
        description: The report directory on the controller.
        type: path
        required: true
      host:
        description: The node the records are about (C(inventory_hostname)).
        type: str
        required: true
      batch:
        description: The hosts of the node's batch.
        type: list
        elements: str
        default: []
      records:
        description: The records, one per stage, as C(k8s.seccomp_default.seccomp_stage_records) makes them.
        type: list
        elements: dict
extends_documentation_fragment:
  - k8s.seccomp_default.rollout_plan
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

- name: Decide what this run does with each stage here
  k8s.seccomp_default.rollout_state:
    kubelet_version: "{{ seccomp_node.kubelet.version }}"
    seccomp_default: "{{ seccomp_node.kubelet.seccomp_default.effective }}"
  register: node_plan

- name: The audit passed and enforcement takes over
  k8s.seccomp_default.rollout_state:
    records:
      - {stage: audit, result: passed}
      - {stage: enforce, result: in progress, details: {files: []}}

- name: Record that enforcement is done on this node
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
resumes:
  description: Without O(stage) and O(records) - RV(resume) of every stage, by stage name.
  returned: when neither O(stage) nor O(records) is given
  type: dict
plan:
  description:
    - With O(stages) - per stage RV(resume)'s decision (C(not asked) for a stage not in O(stages); C(unchanged) for a
      feature gate already right, see O(gate)); C(audit.mode)
      (C(complain) or C(observe)); C(switch), what this run's one kubelet restart turns on (C(complain), C(enforce) or
      null); C(handover), whether a passing complain-mode audit hands the node to enforcement without another
      restart; and C(feature_gate.with_switch), whether the gate (1.22-1.24) is written with that switch.
  returned: when O(stages) is given
  type: dict
done:
  description: The stages whose last result counts as done.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.k8s.seccomp_default.plugins.module_utils import errors, report_files
from ansible_collections.k8s.seccomp_default.plugins.module_utils.rollout_state import STAGES, done, resume
from ansible_collections.k8s.seccomp_default.plugins.module_utils.state_file import (
    PLAN_ARGUMENT_SPEC, read_warned, record_all, record_entry, resumes_and_plan, save)


def state_module(module):
    params = module.params
    path, stage = params["path"], params["stage"]
    before_bytes, state, edited = read_warned(module, path)
    previous = state["stages"].get(stage) if stage else None
    decision = None
    writes = [dict(stage=stage, result=params["result"], details=params["details"])] if stage and params["result"] else []
    for number, entry in enumerate(params["records"] or []):
        writes.append(record_entry(entry, "records[%d]" % number))
    if stage and params["result"] is None:
        decision = resume(state, stage, params["kubelet_version"], params["seccomp_default"], params["retry"])
    state, changed = record_all(state, writes, params["run_id"], path, edited)
    result = dict(changed=changed, state=state, previous=previous, done=[name for name in STAGES if done(state, name)])
    if decision is not None:
        result["resume"] = decision
    if not stage and not writes:
        result["resumes"], steps = resumes_and_plan(state, params)
        if steps is not None:
            result["plan"] = steps
    if changed:
        save(module, path, before_bytes, state, result)
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            stage=dict(type="str", choices=list(STAGES)),
            result=dict(type="str"),
            details=dict(type="dict", default={}),
            records=dict(type="list", elements="dict"),
            run_id=dict(type="str"),
            report=report_files.HOST_RECORDS_SPEC,
            **PLAN_ARGUMENT_SPEC
        ),
        mutually_exclusive=[("stage", "records"), ("stage", "stages"), ("records", "stages")],
        required_by=dict(result="stage", stages=("kubelet_version", "runtime")),
        supports_check_mode=True,
    )
    errors.run_module(module, state_module)


if __name__ == "__main__":
    main()
