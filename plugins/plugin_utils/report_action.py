# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The run's report written on the controller, in the Ansible worker process, by the action plugins that write it
(rollout_report, and rollout_state and enforce_containers with their ``report`` option): the options as a module would
get them, then module_utils/report_files - the code the rollout_report module runs too - with its errors as the
module's. ModuleThenReport is what the actions that run a module and then write the report share."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
from collections.abc import Mapping, Set

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.k8s.seccomp_default.plugins.module_utils import errors, report_files
from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError


def _json_value(value, name):
    """What the JSON encoder of module arguments makes of the few values that are not JSON by themselves."""
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, Set):
        return list(value)
    raise InputError("is not a value an option can have (a %s)" % type(value).__name__, field="an option of %s" % name, value=value,
                     expected="data that JSON can hold: mappings, lists, text, numbers, booleans and null")


def as_module_args(params, name):
    """``params`` as a module gets them - through JSON: plain dicts, lists and strings (no tagged or lazy values of
    the templating), tuples as lists, dates as text - and a copy, so that nothing reaches back into the task."""
    return json.loads(json.dumps(params, default=lambda value: _json_value(value, name)))


class _Outcome(object):
    """What errors.run_module needs of a module: its name and fail_json, which here keeps the failure."""

    def __init__(self, name):
        self._name = name
        self.failure = None

    def fail_json(self, **result):
        self.failure = dict(result, failed=True, changed=False)


def split_report(task_args, spec, name):
    """(the module's arguments, the checked ``report`` option or None, a failed result or None): the ``report`` option
    of an action that runs a module and then writes the run's report, taken out of the task's arguments (the module
    on the node ignores it) and checked against ``spec`` - one option, ``report``, of an argument spec."""
    module_args = dict(task_args)
    report = module_args.pop("report", None)
    if report is None:
        return module_args, None, None
    checked = ArgumentSpecValidator(spec).validate(dict(report=report))
    if checked.error_messages:
        return module_args, None, dict(failed=True, changed=False, msg="Unsupported or invalid option of report (%s): %s"
                                       % (name, "; ".join(checked.error_messages)))
    return module_args, checked.validated_parameters["report"], None


def write_report(params, name):
    """report_files.report over ``params`` (checked options of report_files.ARGUMENT_SPEC): the result, failed with the
    module's message on the user's errors and as a bug on anything else, as errors.run_module makes them, with any
    warnings."""
    warnings = []
    outcome = _Outcome(name)

    def work(module):
        return report_files.report(as_module_args(dict((key, params.get(key)) for key in report_files.ARGUMENT_SPEC
                                                       if key in params), name), warnings.append)

    done = errors.run_module(outcome, work)
    result = dict(outcome.failure if outcome.failure is not None else done)
    if warnings:
        result["warnings"] = warnings
    return result


class ModuleThenReport(ActionBase):
    """An action that runs its module (``NAME``) on the node and then, with the ``report`` option (one option of
    ``REPORT_SPEC``, taken out before the module runs), writes the run's report on the controller (``write``).
    ``refuse`` may refuse the task before anything runs."""

    NAME = None
    REPORT_SPEC = None

    def refuse(self, module_args, name):
        """A failed result when the options, with ``report``, cannot go together; None otherwise."""
        return None

    def write(self, result, report, name):
        """The task's result, once the module succeeded and ``report`` was given."""
        raise NotImplementedError

    def run(self, tmp=None, task_vars=None):
        result = super(ModuleThenReport, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect

        name = getattr(self._task, "resolved_action", None) or self.NAME
        # type=path expands ~ and environment variables in report.dir, on the controller where the report is.
        module_args, report, refused = split_report(self._task.args, self.REPORT_SPEC, name)
        refused = refused or (report is not None and self.refuse(module_args, name))
        if refused:
            result.update(refused)
            return result
        result.update(self._execute_module(module_name=self.NAME, module_args=module_args, task_vars=task_vars))
        if report is None or result.get("failed") or result.get("unreachable"):
            return result
        return self.write(result, report, name)
