# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""k8s.seccomp_default.rollout_state: the module on the node, then - with the ``report`` option - the same stage's
records in the run's report on the controller, in one task.

The stage that ends a node's batch keeps its result in two places, the node's state file (the module, on the node)
and the run's report (module_utils/report_files, here in the controller's worker, as the rollout_report action writes
it): one task instead of two. The report is written only after the node's state was: a node whose state could not be
written fails the task, with the report unchanged, as the two tasks did. Without ``report`` this is the module alone.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.k8s.seccomp_default.plugins.module_utils import report_files
from ansible_collections.k8s.seccomp_default.plugins.plugin_utils.report_action import ModuleThenReport, write_report


class ActionModule(ModuleThenReport):

    NAME = "k8s.seccomp_default.rollout_state"
    REPORT_SPEC = dict(report=report_files.HOST_RECORDS_SPEC)

    def write(self, result, report, name):
        written = write_report(report, name)
        if written.get("failed"):
            # The node's state is written; the report is not: the task fails naming the report's problem.
            return dict(result, failed=True, msg="the node's state was recorded, the run's report was not: %s" % written["msg"],
                        report=written)
        result["report"] = written
        if written.get("warnings"):
            result["warnings"] = list(result.get("warnings") or []) + written["warnings"]
        return result
