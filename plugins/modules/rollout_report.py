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
  - Writes a node's record of a stage (C(nodes/<host>.stage1.json), C(stage2), C(stage3)) into O(dir) and rebuilds
    C(report.json) (schema C(k8s.seccomp_default/rollout-report/v1), see C(docs/rollout-report.schema.json)) and
    C(summary.md) from every record there, so that the report is complete up to the last node that finished a stage -
    also when the run stops on a failed batch, a node that does not answer, or a killed controller.
  - The hosts of a batch record at the same time. A call whose record an other call's rebuild has already read (that
    rebuild began after the record was written) does not rebuild again, so a batch of a hundred nodes costs a few
    rebuilds, not a hundred.
  - With O(start) it begins a run - C(run.json) with its id, start time, stages, batches and hosts. A report of an
    earlier run in O(dir) is moved under C(history/<its run id>/) first.
  - Runs on the controller (C(delegate_to - localhost)). Concurrent calls from the hosts of a batch are serialised
    with a lock; every file is written atomically.
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
  batch:
    description: The hosts that ran the stage together with O(host) (C(ansible_play_batch)).
    type: list
    elements: str
    default: []
  readiness:
    description:
      - The fleet's readiness before any change (C(readiness.json)) - C(policy), C(stages), C(checked_at),
        C(left_out) and C(nodes) (per host C(ready) and the C(checks) of M(k8s.seccomp_default.readiness)).
      - A node that is not ready and has no stage record shows as C(not ready).
    type: dict
attributes:
  check_mode:
    support: none
    description: A report is not a change to any node; callers run it with C(check_mode - false), and a check-mode
      run's report says that nothing was changed.
  diff_mode:
    support: none
    description: Reports are rebuilt, not edited.
author:
  - k8s.seccomp_default contributors (@k8s-seccomp-default)
"""

EXAMPLES = r"""
- name: Record what stage 3 did on this node and rebuild the report
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
"""

import datetime
import fcntl
import json
import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.k8s.seccomp_default.plugins.module_utils.files import atomic_write
from ansible_collections.k8s.seccomp_default.plugins.module_utils import rollout_report
from ansible_collections.k8s.seccomp_default.plugins.module_utils.rollout_report import build, markdown, read_json

STAGE_FILE = {"preflight": "stage1", "feature_gate": "stage1", "audit": "stage2", "enforce": "stage3"}
RUN_ENTRIES = ("run.json", "readiness.json", "report.json", "summary.md", "nodes", "suggested-profiles")
BUILT = ".built"  # the boot and CLOCK_MONOTONIC time at which the last rebuild began reading the records


def clock():
    """A time that never goes back on this machine: (boot id, CLOCK_MONOTONIC in ns)."""
    with open("/proc/sys/kernel/random/boot_id") as handle:
        return handle.read().strip(), time.monotonic_ns()


def rebuilt_since(directory, written):
    """Whether a rebuild began after ``written`` (a clock() taken once a record was in place), so that it read it."""
    try:
        with open(os.path.join(directory, BUILT)) as handle:
            boot, began = handle.read().split()
        return boot == written[0] and int(began) > written[1]
    except (IOError, OSError, ValueError):
        return False


def rebuild(directory):
    began = clock()
    report = build(directory, now())
    atomic_write(os.path.join(directory, "report.json"), dump(report))
    atomic_write(os.path.join(directory, "summary.md"), markdown(report).encode("utf-8"))
    atomic_write(os.path.join(directory, BUILT), ("%s %d\n" % began).encode("utf-8"))
    return report


def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


def dump(value):
    return (json.dumps(value, indent=2, sort_keys=True) + "\n").encode("utf-8")


def start_run(directory, run):
    """Move an earlier run's report under history/<its id>/, then write run.json."""
    run_path = os.path.join(directory, "run.json")
    if os.path.exists(run_path):
        with open(run_path) as handle:
            earlier = json.load(handle).get("id") or "unknown"
        if earlier != run.get("id"):
            target = os.path.join(directory, "history", earlier)
            os.makedirs(target, exist_ok=True)
            for name in RUN_ENTRIES:
                if os.path.exists(os.path.join(directory, name)):
                    os.rename(os.path.join(directory, name), os.path.join(target, name))
    else:
        # Records of a rollout without run.json (an older version, or the roles used on their own) go too.
        loose = [name for name in RUN_ENTRIES if os.path.exists(os.path.join(directory, name))]
        if loose:
            target = os.path.join(directory, "history", "before-" + run.get("id", "run"))
            os.makedirs(target, exist_ok=True)
            for name in loose:
                os.rename(os.path.join(directory, name), os.path.join(target, name))
    atomic_write(run_path, dump(run))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dir=dict(type="path", required=True),
            start=dict(type="dict"),
            host=dict(type="str"),
            record=dict(type="dict"),
            batch=dict(type="list", elements="str", default=[]),
            readiness=dict(type="dict"),
        ),
        required_together=[("host", "record")],
        supports_check_mode=False,
    )
    directory = module.params["dir"]
    record = module.params["record"]
    if record is not None and record.get("stage") not in STAGE_FILE:
        module.fail_json(msg="record.stage=%r is not a stage; valid: %s" % (record.get("stage"), ", ".join(sorted(STAGE_FILE))))
    try:
        os.makedirs(os.path.join(directory, "nodes"), exist_ok=True)
        written = None
        if record is not None:
            # Written before the lock is taken: every host of a batch writes its own file, and one rebuild that
            # begins after several of them were written reads them all.
            host = module.params["host"]
            entry = dict(record, host=host, recorded_at=now(), batch=module.params["batch"] or [host])
            atomic_write(os.path.join(directory, "nodes", "%s.%s.json" % (host, STAGE_FILE[record["stage"]])), dump(entry))
            written = clock()
        with open(os.path.join(directory, ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if module.params["start"] is not None:
                start_run(directory, module.params["start"])
                os.makedirs(os.path.join(directory, "nodes"), exist_ok=True)
            if module.params["readiness"] is not None:
                atomic_write(os.path.join(directory, rollout_report.READINESS_FILE), dump(module.params["readiness"]))
            report = None
            if written and rebuilt_since(directory, written):
                try:
                    report = read_json(os.path.join(directory, "report.json"))
                except (IOError, OSError, ValueError):
                    report = None
            rebuilt = report is None
            if rebuilt:
                report = rebuild(directory)
    except (IOError, OSError, ValueError) as exc:
        module.fail_json(msg="cannot write the report in %s: %s" % (directory, exc))
    extra = {}
    if module.params["readiness"] is not None:
        extra["table"] = rollout_report.readiness_table(module.params["readiness"])
    module.exit_json(changed=False, report=os.path.join(directory, "report.json"), summary=os.path.join(directory, "summary.md"),
                     totals=report["totals"], rebuilt=rebuilt, **extra)


if __name__ == "__main__":
    main()
