# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""k8s.seccomp_default.enforce_containers: the module on the node, then - with the ``report`` option, once the module
recorded enforcement's result in the node's state - enforcement's records in the run's report on the controller, in
one task.

Enforcement is the last step of a node's batch. Where nothing follows it (a watch of one step, no site's steps, no
drain to undo), the module records the node's state itself and this action writes the report, so that the batch needs
no task of its own for them. The records are built from ``report.facts`` (the rollout's seccomp_record_facts) and this
task's result, by module_utils/rollout_records, the code the seccomp_stage_records filter runs. Neither a state nor a
report that cannot be written fails the task - the containers are enforced by then, and a failure here would roll the
node back: ``recorded`` and ``reported`` say what was written, and the rollout's own state task records the rest.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.k8s.seccomp_default.plugins.module_utils import report_files, rollout_records
from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError
from ansible_collections.k8s.seccomp_default.plugins.plugin_utils.report_action import ModuleThenReport, write_report


class ActionModule(ModuleThenReport):

    NAME = "k8s.seccomp_default.enforce_containers"
    REPORT_SPEC = dict(report=report_files.HOST_FACTS_SPEC)

    def refuse(self, module_args, name):
        if not module_args.get("record"):
            return dict(failed=True, changed=False, msg="%s: report needs record - the report is written once the node's "
                                                        "state is recorded" % name)
        return None

    def write(self, result, report, name):
        if not result.get("recorded"):
            return result  # the state task records both (record_error says why)
        try:
            facts = dict(report["facts"], seccomp_enforce_restarted=dict(result))
            records = [entry for entry in rollout_records.stage_records("enforce", facts, "report") if entry]
        except InputError as exc:
            written = dict(failed=True, msg="the records could not be built: %s" % exc)
        else:
            written = write_report(dict(dir=report["dir"], host=report["host"], batch=report["batch"], records=records), name)
        result["reported"] = not written.get("failed")
        result["report_error"] = written.get("msg") if written.get("failed") else None
        if written.get("warnings"):
            result["warnings"] = list(result.get("warnings") or []) + written["warnings"]
        return result
