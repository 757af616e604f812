# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: duration_seconds
short_description: A soak or watch duration (C(90), C(90s), C(10m), C(2h)) in seconds
version_added: 0.4.0
description:
  - Reads the durations the roles take (O(k8s.seccomp_default.audit#role:main:seccomp_audit_soak),
    O(k8s.seccomp_default.enforce#role:main:seccomp_enforce_watch)) as a whole number of seconds.
  - Anything else is refused with an error that names the variable, its value and the accepted forms.
positional: _input, name
options:
  _input:
    description: Seconds as a number, or a number followed by C(s), C(m) or C(h).
    type: raw
    required: true
  name:
    description: The variable the value came from, for the error message.
    type: str
    default: duration
author:
  - k8s.seccomp_default contributors (@k8s-seccomp-default)
"""

EXAMPLES = r"""
- name: Wait for the soak
  ansible.builtin.wait_for:
    timeout: "{{ seccomp_audit_soak | k8s.seccomp_default.duration_seconds('seccomp_audit_soak') }}"
"""

RETURN = r"""
_value:
  description: The duration in seconds (0 or more).
  type: int
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.k8s.seccomp_default.plugins.module_utils.durations import DurationError, seconds
from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError, short_repr
from ansible_collections.k8s.seccomp_default.plugins.plugin_utils.filters import filter_errors


@filter_errors("duration_seconds")
def duration_seconds(value, name="duration"):
    if not isinstance(name, str) or not name:
        raise InputError("is not a variable name", field="name", value=name, expected="a string, such as 'seccomp_audit_soak'")
    try:
        return seconds(value)
    except DurationError as exc:
        # The message starts with the variable, as the user wrote it: "seccomp_audit_soak=10x is not a duration".
        shown = value if isinstance(value, str) and len(value) <= 80 else short_repr(value)
        raise AnsibleFilterError("%s=%s %s" % (name, shown, exc.problem))


class FilterModule(object):
    def filters(self):
        return {"duration_seconds": duration_seconds}
