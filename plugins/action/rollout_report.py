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

import datetime
import json
from collections.abc import Mapping, Set

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.k8s.seccomp_default.plugins.module_utils import errors, report_files
from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError

NAME = "k8s.seccomp_default.rollout_report"


def _json_value(value):
    """What the JSON encoder of module arguments makes of the few values that are not JSON by themselves."""
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, Set):
        return list(value)
    raise InputError("is not a value an option can have (a %s)" % type(value).__name__, field="an option of %s" % NAME, value=value,
                     expected="data that JSON can hold: mappings, lists, text, numbers, booleans and null")


def as_module_args(params):
    """``params`` as a module gets them - through JSON: plain dicts, lists and strings (no tagged or lazy values of
    the templating), tuples as lists, dates as text - and a copy, so that nothing reaches back into the task."""
    return json.loads(json.dumps(params, default=_json_value))


class _Outcome(object):
    """What errors.run_module needs of a module: its name and fail_json, which here keeps the failure."""

    def __init__(self, name):
        self._name = name
        self.failure = None

    def fail_json(self, **result):
        self.failure = dict(result, failed=True, changed=False)


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

        warnings = []
        outcome = _Outcome(name)

        def work(module):
            return report_files.report(as_module_args(dict((key, params[key]) for key in report_files.ARGUMENT_SPEC)), warnings.append)

        done = errors.run_module(outcome, work)
        result.update(outcome.failure if outcome.failure is not None else done)
        if warnings:
            result["warnings"] = warnings
        return result
