#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: rollout_report
short_description: Keep the rollout's report - one JSON document and one Markdown page - up to date on the controller
version_added: 0.4.0
description:
  - Writes a node's record of a stage (C(nodes/<host>.<stage>.json), stage C(preflight), C(feature_gate), C(audit) or C(enforce)) into O(dir) and rebuilds
    C(report.json) (schema C(k8s.seccomp_default/rollout-report/v1), see C(docs/rollout-report.schema.json)) and
    C(summary.md) from every record there, so that the report is complete up to the last node that finished a stage -
    also when the run stops on a failed batch, a node that does not answer, or a killed controller.
  - The hosts of a batch record at the same time. A call whose record an other call's rebuild has already read (that
    rebuild began after the record was written) does not rebuild again, so a batch of a hundred nodes costs a few
    rebuilds, not a hundred.
  - With O(start) it begins a run - C(run.json) with its id, start time, stages, batches and hosts. A report of an
    earlier run in O(dir) is moved under C(history/<its run id>/) first.
  - Runs on the controller as an action plugin, in the Ansible worker process, whatever the task's C(delegate_to) (the
    tasks of this collection say C(delegate_to - localhost)); no module is shipped or started. O(dir) is a path on
    the controller, with C(~) and environment variables expanded there. Concurrent calls from the hosts of a batch
    (the forks) are serialised with a lock; every file is written atomically.
  - O(host) and the run's C(id) become file names, so they must be 1-200 bytes without C(/), NUL or control
    characters and must not start with C(.). Nothing is written through a symlink that leads out of O(dir).
  - The record, O(start) and O(readiness) are checked against C(docs/rollout-report.schema.json) before anything is
    written; a wrong type fails naming the field and the value. A broken C(run.json) or C(readiness.json) fails
    naming the file. An other node's record that cannot be read is left out with a warning naming the file, and
    that node shows as C(record unreadable) rather than disappearing from the report.
options:
  dir:
    description: The report directory on the controller.
    type: path
    required: true
  start:
    description: Begin a run - C(id), C(started), C(stages), C(serial), C(max_fail_percentage), C(check_mode), C(hosts).
    type: dict
  host:
    description: The node the O(record) is about.
    type: str
  record:
    description: The node's record of one stage; its C(stage) is C(preflight), C(feature_gate), C(audit) or C(enforce).
    type: dict
  records:
    description: Several of the node's records at once (one per stage), so that a node's batch writes its report in one
      call. Not with O(record).
    type: list
    elements: dict
  batch:
    description: The hosts that ran the stage together with O(host) (C(ansible_play_batch)).
    type: list
    elements: str
    default: []
  merge:
    description:
      - Report directories of other runs or slices (each one's C(seccomp_report_dir)) to merge into O(dir), for one
        report over a fleet that was rolled out in slices (concurrent runs over disjoint C(--limit)s, as AWX's job
        slicing makes them) or in several runs.
      - Of each node's record of each stage, the latest (C(recorded_at)) of them all and of O(dir)'s own is kept,
        with the suggested profiles of the run it came from; C(run.json) becomes one run over them all (id
        C(merged-<digest>), the earliest start, every stage and host, and C(merged_from) with each run's id, directory
        and hosts), and the readiness of every node is kept. Every node is in the report once.
      - A directory without C(nodes/), or with a record that cannot be read, fails the task naming it, before
        anything is written. Not with O(start), O(record) or O(records).
    type: list
    elements: path
  readiness:
    description:
      - The fleet's readiness before any change (C(readiness.json)) - C(policy), C(stages), C(checked_at),
        C(left_out) and C(nodes) (per host C(ready) and the C(checks) of M(k8s.seccomp_default.readiness)).
      - A node that is not ready and has no stage record shows as C(not ready).
    type: dict
attributes:
  action:
    support: full
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the
      controller. Here all of the work is done there, by the action plugin; a task never runs the module.
  async:
    support: none
    description: Supports being used with the C(async) keyword.
  check_mode:
    support: none
    description: A report is not a change to any node; callers run it with C(check_mode - false), and a check-mode
      run's report says that nothing was changed. In check mode without C(check_mode - false) the task is skipped.
  diff_mode:
    support: none
    description: Reports are rebuilt, not edited.
author:
  - k8s.seccomp_default contributors (@k8s-seccomp-default)
"""

EXAMPLES = r"""
- name: Record what enforcement did on this node and rebuild the report
  k8s.seccomp_default.rollout_report:
    dir: "{{ seccomp_report_dir }}"
    host: "{{ inventory_hostname }}"
    batch: "{{ ansible_play_batch }}"
    record: {stage: enforce, result: enforced, host: "{{ inventory_hostname }}"}
  delegate_to: localhost
  check_mode: false
"""

RETURN = r"""
report:
  description: Path of C(report.json).
  returned: always
  type: str
summary:
  description: Path of C(summary.md).
  returned: always
  type: str
totals:
  description: How many nodes there are, how many failed, and how many are in each status.
  returned: always
  type: dict
table:
  description: The readiness table as lines of text - a node per row, a check per column, then each finding and its fix.
  returned: when O(readiness) is given
  type: list
  elements: str
rebuilt:
  description: Whether this call rebuilt the report; false when a rebuild that began after the record was written had read it.
  returned: always
  type: bool
outcome:
  description:
    - The run's outcome, as a workflow branches on it (C(playbooks/report.yml) hands it to AWX and the Automation
      Platform with C(ansible.builtin.set_stats) as C(seccomp_rollout)) - C(run_id), C(report_dir), C(report),
      C(summary), C(html) (the paths of C(report.json), C(summary.md) and C(report.html)), C(seccomp_profiles) (the
      suggested profiles' Security Profiles Operator objects, or null), C(totals), C(nodes) (each node's status),
      C(held) and C(failed) (their hosts).
  returned: always
  type: dict
  sample: {run_id: 20261201T094751Z-ae4b, totals: {nodes: 6, failed: 0, held: 3}, held: [node-1, node-2, node-4], failed: []}
merged:
  description: What O(merge) merged, per directory - C(dir), C(run) (its run id, or null) and C(records) (how many of
    its records were kept).
  returned: when O(merge) is given
  type: list
  elements: dict
unreadable:
  description:
    - The node records the report left out because they cannot be used - not JSON, not a regular file, a field of the
      wrong type - each with C(path) (relative to O(dir)), C(host) and C(problem). Each is also a warning, and its
      node's status is C(record unreadable).
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.k8s.seccomp_default.plugins.module_utils import errors, report_files


def report(module):
    module.exit_json(**report_files.report(module.params, module.warn))


def main():
    # A task runs the action plugin (plugins/action/rollout_report.py) on the controller instead; this is for whoever
    # runs the module itself. The same options, the same work.
    module = AnsibleModule(
        argument_spec=report_files.ARGUMENT_SPEC,
        required_by=report_files.REQUIRED_BY,
        mutually_exclusive=report_files.MUTUALLY_EXCLUSIVE,
        supports_check_mode=False,
    )
    errors.run_module(module, report)


if __name__ == "__main__":
    main()
