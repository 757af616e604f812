# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: seccomp_policy_report
short_description: Seccomp findings as wgpolicyk8s.io PolicyReports
version_added: 0.2.0
description:
  - Shapes the results of P(k8s.seccomp_default.pss_seccomp#filter) and the entries of
    P(k8s.seccomp_default.seccomp_impact#filter) as C(wgpolicyk8s.io/v1alpha2) PolicyReports, the format Kyverno and
    other policy tools write, one report per object with the object as its C(scope).
  - "Rules: C(psa-baseline-seccomp) and C(psa-restricted-seccomp) (C(pass), C(fail), or C(skip) for exempt Windows
    pods), C(seccomp-default-change) (C(warn), one per container that changes profile) and C(effective-unconfined)
    (C(warn), one per container that stays Unconfined with C(seccompDefault) on)."
  - Returns a C(v1 List) that C(kubectl apply -f) accepts where the PolicyReport CRD is installed.
positional: _input, source, timestamp
options:
  _input:
    description: A list of pss_seccomp results and seccomp_impact entries (nested lists are flattened).
    type: list
    elements: raw
    required: true
  source:
    description: The C(source) of every result.
    type: str
    default: k8s.seccomp_default
  timestamp:
    description: The time of the results, in seconds since the epoch; now when not given.
    type: int
author:
  - k8s.seccomp_default contributors (@k8s-seccomp-default)
"""

EXAMPLES = r"""
- name: Write a PolicyReport for every pod
  ansible.builtin.copy:
    content: >-
      {{ [pods | k8s.seccomp_default.pss_seccomp('baseline'),
          pods | k8s.seccomp_default.pss_seccomp('restricted'),
          pods | k8s.seccomp_default.seccomp_impact(nodes)]
         | k8s.seccomp_default.seccomp_policy_report | to_nice_json }}
    dest: policyreport.json
    mode: "0644"
"""

RETURN = r"""
_value:
  description: A C(v1 List) whose items are PolicyReports.
  type: dict
  contains:
    items:
      description: >-
        One PolicyReport per object - metadata (name, namespace), scope (apiVersion, kind, name, namespace, uid),
        results (policy, rule, result, message, category, severity, properties, source, timestamp, scored) and
        summary (pass, fail, warn, error, skip).
      type: list
      elements: dict
"""

from ansible_collections.k8s.seccomp_default.plugins.module_utils.policy_report import policy_report
from ansible_collections.k8s.seccomp_default.plugins.plugin_utils.filters import filter_errors


@filter_errors("seccomp_policy_report")
def seccomp_policy_report_filter(results, source="k8s.seccomp_default", timestamp=None):
    return policy_report(results, source=source, timestamp=timestamp)


class FilterModule(object):
    def filters(self):
        return {"seccomp_policy_report": seccomp_policy_report_filter}
