# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: seccomp_impact
short_description: Which containers change profile when their node turns SeccompDefault on
version_added: 0.2.0
description:
  - For every pod placed on a node of O(nodes) (its C(spec.nodeName)), compares the profile each container gets with
    C(seccompDefault) off and on, by the rules of P(k8s.seccomp_default.effective_seccomp#filter).
  - Returns one entry per pod that has a container whose profile changes (C(Unconfined) to C(RuntimeDefault)), or a
    container that stays C(Unconfined) with C(seccompDefault) on (privileged, or an explicit C(Unconfined)). Select
    C(affected) for the first kind only.
  - Pods on nodes missing from O(nodes), pods that have finished (C(Succeeded), C(Failed)) and workload templates
    (placed on no node) are left out.
  - A change only takes effect when the pod is recreated; C(applied) says whether the node already has
    C(seccompDefault) on.
positional: _input, nodes
options:
  _input:
    description: >-
      Pods - a Pod, a C(v1 List) or C(PodList) (C(kubectl get pods -A -o json)), a C(kubernetes.core.k8s_info)
      result, or a list of these.
    type: raw
    required: true
  nodes:
    description: >-
      Node name to its state - the node facts of M(k8s.seccomp_default.node_facts) (C(seccomp_node)), a dict with
      C(seccomp_default) (and optionally C(kubelet_root_dir)), or just C(true)/C(false).
    type: dict
    required: true
author:
  - k8s.seccomp_default contributors (@k8s-seccomp-default)
"""

EXAMPLES = r"""
- name: Pods whose containers change when node-1 and node-2 turn SeccompDefault on
  ansible.builtin.debug:
    msg: "{{ pods | k8s.seccomp_default.seccomp_impact({'node-1': false, 'node-2': hostvars['node-2'].seccomp_node})
             | selectattr('affected') }}"
"""

RETURN = r"""
_value:
  description: One entry per pod with a container that changes or stays Unconfined.
  type: list
  elements: dict
  contains:
    node:
      description: The node the pod runs on.
      type: str
    resource:
      description: The pod (apiVersion, kind, name, namespace, uid).
      type: dict
    owner:
      description: The pod's controller (kind, name), if any.
      type: dict
    applied:
      description: Whether the node already has C(seccompDefault) on.
      type: bool
    affected:
      description: Whether any container changes profile.
      type: bool
    changes:
      description: The containers that change - name, kind, C(before) and C(after) (each type, source, localhost_path).
      type: list
      elements: dict
    unconfined:
      description: The containers that stay Unconfined - name, kind, source (C(privileged), C(container), C(pod)).
      type: list
      elements: dict
"""

from ansible_collections.k8s.seccomp_default.plugins.module_utils.impact import seccomp_impact
from ansible_collections.k8s.seccomp_default.plugins.plugin_utils.filters import filter_errors


@filter_errors("seccomp_impact")
def seccomp_impact_filter(pods, nodes):
    return seccomp_impact(pods, nodes)


class FilterModule(object):
    def filters(self):
        return {"seccomp_impact": seccomp_impact_filter}
