# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: suggest_seccomp_profile
short_description: A Localhost profile - the default profile plus exactly the syscalls a workload needs
version_added: 0.3.0
description:
  - Returns O(_input) (kubernetes/default, plain OCI) with one more rule that allows exactly O(syscalls). Rules that
    decide on arguments for, or deny, one of those syscalls are narrowed to their other names, so the new rule is the
    only one for them.
  - The result is validated like every profile of the collection, and compiled with libseccomp when it is installed;
    a profile libseccomp refuses makes the filter fail.
positional: _input, syscalls
options:
  _input:
    description: The base profile (the content of C(kubernetes/default.json)).
    type: dict
    required: true
  syscalls:
    description: Syscall names to allow. A string alone is refused (it is not read as a list of its letters), as is a
      list holding anything but syscall names.
    type: list
    elements: str
    required: true
author:
  - k8s.seccomp_default contributors (@k8s-seccomp-default)
"""

EXAMPLES = r"""
- name: Write a profile for each workload that the audit held its node for
  ansible.builtin.copy:
    dest: "suggested/{{ item.namespace }}_{{ item.pod }}_{{ item.container }}.json"
    content: "{{ default_profile | k8s.seccomp_default.suggest_seccomp_profile(item.syscalls) | to_nice_json }}"
    mode: "0644"
  loop: "{{ seccomp_gate.workloads }}"
"""

RETURN = r"""
_value:
  description: The suggested profile (plain OCI; install it under the kubelet's C(seccomp/) directory and reference it as a Localhost profile).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.k8s.seccomp_default.plugins.module_utils.audit_gate import suggest_profile
from ansible_collections.k8s.seccomp_default.plugins.module_utils.profiles import ProfileError
from ansible_collections.k8s.seccomp_default.plugins.plugin_utils.filters import filter_errors


@filter_errors("suggest_seccomp_profile")
def suggest_seccomp_profile(base, syscalls):
    try:
        return suggest_profile(base, syscalls)
    except ProfileError as exc:
        raise AnsibleFilterError("k8s.seccomp_default.suggest_seccomp_profile: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"suggest_seccomp_profile": suggest_seccomp_profile}
