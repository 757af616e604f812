# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: seccomp_audit_gate
short_description: Decide whether a node may enforce the default seccomp profile, from what its soak showed
version_added: 0.3.0
description:
  - Joins the findings of the audit - the C(entries) of M(k8s.seccomp_default.audit_scan) in complain mode, or of
    M(k8s.seccomp_default.syscall_trace) in observe mode - to the node's pods.
  - A finding blocks the gate only when its container will run under RuntimeDefault once C(seccompDefault) is on.
    Containers that stay Unconfined (privileged, explicit Unconfined) or keep a Localhost profile, host processes and
    processes that could not be attributed are reported apart and never block.
  - Trace findings the profile decides on an argument that was not traced are listed for review, not blocking.
positional: _input, pods
options:
  _input:
    description: The findings (a list of entries).
    type: list
    elements: dict
    required: true
  pods:
    description: The node's pods - a Pod, a v1 List or PodList (the kubelet's C(/pods)), or a k8s_info result.
    type: raw
    required: true
  kubelet_root_dir:
    description: The kubelet's C(--root-dir), where Localhost profiles are read.
    type: str
    default: /var/lib/kubelet
  complete:
    description:
      - Whether the findings are complete - the C(complete) of M(k8s.seccomp_default.audit_scan). When records were
        throttled or lost the gate does not pass, since a missing record cannot be told from a clean workload.
    type: bool
    default: true
author:
  - k8s.seccomp_default contributors (@k8s-seccomp-default)
"""

EXAMPLES = r"""
- name: Decide
  ansible.builtin.set_fact:
    seccomp_gate: "{{ seccomp_scan.entries | k8s.seccomp_default.seccomp_audit_gate(node_pods.json) }}"

- name: Say why a node is held - its workloads would break; it stays as it was and the run goes on
  ansible.builtin.debug:
    msg: "{{ seccomp_gate.workloads }}"
  when: not seccomp_gate.passed
"""

RETURN = r"""
_value:
  description: The decision.
  type: dict
  contains:
    passed:
      description: True when nothing blocks and the findings are complete.
      type: bool
    complete:
      description: The O(complete) given.
      type: bool
    blocking:
      description: Findings from containers that will get RuntimeDefault, with C(pod), C(namespace) and C(pod_uid) set.
      type: list
      elements: dict
    review:
      description: Findings that could not be decided (C(reason) says why).
      type: list
      elements: dict
    apart:
      description: Findings that do not block, each with its C(reason).
      type: list
      elements: dict
    workloads:
      description: The blocking findings per (namespace, pod, container) - C(executables), C(syscalls), C(count).
      type: list
      elements: dict
"""

from ansible_collections.k8s.seccomp_default.plugins.module_utils.audit_gate import audit_gate
from ansible_collections.k8s.seccomp_default.plugins.plugin_utils.filters import filter_errors


@filter_errors("seccomp_audit_gate")
def seccomp_audit_gate(findings, pods, kubelet_root_dir="/var/lib/kubelet", complete=True):
    return audit_gate(findings, pods, kubelet_root_dir, complete)


class FilterModule(object):
    def filters(self):
        return {"seccomp_audit_gate": seccomp_audit_gate}
