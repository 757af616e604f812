# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""k8s.seccomp_default.rollout_report on the controller, in the Ansible worker process: no module is shipped or started.

The report directory is on the controller, so a task's work is done where the task runs - whatever its
``delegate_to`` - by module_utils/report_files, the code the module runs too. The options are checked against the
module's argument spec (report_files.ARGUMENT_SPEC), with the same messages; the user's errors fail the task with the
module's message, anything else fails it as a bug, through errors.run_module as the module does.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.k8s.seccomp_default.plugins.module_utils import report_files
from ansible_collections.k8s.seccomp_default.plugins.plugin_utils.report_action import write_report

NAME = "k8s.seccomp_default.rollout_report"


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False  # everything is done on the controller; the target is never contacted
    _supports_check_mode = True  # checked below, after the arguments, as AnsibleModule does
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect

        name = getattr(self._task, "resolved_action", None) or NAME
        try:
            # type=path expands ~ and environment variables in dir, as the module did, here on the controller.
            dummy, params = self.validate_argument_spec(argument_spec=report_files.ARGUMENT_SPEC, required_by=report_files.REQUIRED_BY,
                                                        mutually_exclusive=report_files.MUTUALLY_EXCLUSIVE)
        except AnsibleActionFail as exc:
            # An option missing, unknown or of the wrong type: AnsibleModule's message, naming the module as it did.
            message = to_text(exc.message).replace("(%s) module:" % getattr(self, "_load_name", name), "(%s) module:" % name, 1)
            result.update(failed=True, changed=False, msg=message)
            return result
        if self._task.check_mode:
            # The module does not support check mode; the tasks that write the report say check_mode: false.
            result.update(changed=False, skipped=True, msg="This action (%s) does not support check mode." % name)
            return result

        result.update(write_report(dict((key, params[key]) for key in report_files.ARGUMENT_SPEC), name))
        return result
