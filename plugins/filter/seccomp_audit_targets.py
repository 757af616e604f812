# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: seccomp_audit_targets
short_description: The containers whose seccomp profile changes, as a list to restart or watch
version_added: 0.3.0
description:
  - Flattens the result of P(k8s.seccomp_default.seccomp_impact#filter) to one item per container that changes profile
    when its node turns C(seccompDefault) on - the containers the audit watches and, optionally, restarts.
  - The items are what M(k8s.seccomp_default.restart_containers) takes.
positional: _input
options:
  _input:
    description: The list P(k8s.seccomp_default.seccomp_impact#filter) returns.
    type: list
    elements: dict
    required: true
author:
  - k8s.seccomp_default contributors (@k8s-seccomp-default)
"""

EXAMPLES = r"""
- name: Restart what will change
  k8s.seccomp_default.restart_containers:
    containers: "{{ pods | k8s.seccomp_default.seccomp_impact({'node-1': false}) | k8s.seccomp_default.seccomp_audit_targets }}"
"""

RETURN = r"""
_value:
  description: One item per changing container.
  type: list
  elements: dict
  contains:
    pod_uid:
      description: The pod's UID.
      type: str
    namespace:
      description: The pod's namespace.
      type: str
    pod:
      description: The pod's name.
      type: str
    container:
      description: The container's name.
      type: str
"""

from ansible_collections.k8s.seccomp_default.plugins.module_utils.audit_gate import targets
from ansible_collections.k8s.seccomp_default.plugins.plugin_utils.filters import filter_errors


@filter_errors("seccomp_audit_targets")
def seccomp_audit_targets(impact):
    return targets(impact)


class FilterModule(object):
    def filters(self):
        return {"seccomp_audit_targets": seccomp_audit_targets}
