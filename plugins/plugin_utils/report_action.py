# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The run's report written on the controller, in the Ansible worker process, by the action plugins that write it
(rollout_report, and rollout_state with its ``report`` option): the options as a module would get them, then
module_utils/report_files - the code the rollout_report module runs too - with its errors as the module's."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
from collections.abc import Mapping, Set

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
