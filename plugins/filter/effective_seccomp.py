# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: effective_seccomp
short_description: The seccomp profile each container of a pod really runs with
version_added: 0.2.0
description:
  - Applies the kubelet's rules and then the container runtime's to every container of a pod (init, regular and
    ephemeral containers, in spec order) - the container's C(securityContext.seccompProfile), else the pod's, else
    C(RuntimeDefault) when the node has C(seccompDefault) on, else C(Unconfined); privileged containers run
    C(Unconfined) whatever is set, because containerd and CRI-O drop their profile.
  - C(Localhost) resolves to C(<kubelet_root_dir>/seccomp/<localhostProfile>), joined and cleaned as the kubelet does.
  - The seccomp annotations have had no effect since Kubernetes 1.27; they only produce a warning.
  - Accepts a Pod, or a workload object (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) whose pod
    template is checked.
  - The object is checked first; a field of the wrong type (a string where the API has a mapping or a list) fails
    with an error that names the object, the field path and the value.
positional: _input, seccomp_default, kubelet_root_dir, runtime
options:
  _input:
    description: The Pod or workload object, as the API returns it.
    type: dict
    required: true
  seccomp_default:
    description:
      - Whether the node's kubelet has C(seccompDefault) on (flag or config).
      - The strings Ansible reads as booleans (C(-e seccomp_default=false) gives the string V(false)) are taken as
        such; any other value is refused.
    type: bool
    default: false
  kubelet_root_dir:
    description: The kubelet's C(--root-dir).
    type: str
    default: /var/lib/kubelet
  runtime:
    description:
      - The node's runtime facts (C(seccomp_node.runtime) of M(k8s.seccomp_default.node_facts)). With them, what the
        runtime changes itself is applied too - CRI-O 1.33+ C(privileged_seccomp_profile) gives privileged containers
        that profile (C(source=runtime-privileged)); a containerd C(base_runtime_spec) with a seccomp filter keeps it
        for containers that request none (C(runtime_filter)); a CRI-O 1.34+ handler's own C(seccomp_profile) is named
        in C(runtime_default_profile). The pod's runtime handler is taken to be its C(runtimeClassName).
    type: dict
author:
  - k8s.seccomp_default contributors (@k8s-seccomp-default)
"""

EXAMPLES = r"""
- name: What each container of a pod gets on a node with seccompDefault on
  ansible.builtin.debug:
    msg: "{{ pod | k8s.seccomp_default.effective_seccomp(seccomp_default=true) }}"
"""

RETURN = r"""
_value:
  description: One entry per container.
  type: list
  elements: dict
  contains:
    name:
      description: Container name.
      type: str
    kind:
      description: C(init), C(regular) or C(ephemeral).
      type: str
    source:
      description: Where the profile comes from - C(container), C(pod), C(node-default), C(unset) or C(privileged).
      type: str
    type:
      description: >-
        What the runtime applies - C(RuntimeDefault), C(Localhost), C(Unconfined), C(Invalid) (the kubelet refuses to
        create the container) or C(NotApplicable) (Windows pods).
      type: str
    localhost_path:
      description: The host path of a C(Localhost) profile, else null.
      type: str
    privileged:
      description: Whether the container is privileged.
      type: bool
    warnings:
      description: Legacy annotations without effect, unknown types, Localhost names the API server rejects.
      type: list
      elements: str
"""

from ansible_collections.k8s.seccomp_default.plugins.module_utils.effective import effective_seccomp
from ansible_collections.k8s.seccomp_default.plugins.plugin_utils.filters import filter_errors


@filter_errors("effective_seccomp")
def effective_seccomp_filter(pod, seccomp_default=False, kubelet_root_dir="/var/lib/kubelet", runtime=None):
    return effective_seccomp(pod, seccomp_default=seccomp_default, kubelet_root_dir=kubelet_root_dir, runtime=runtime)


class FilterModule(object):
    def filters(self):
        return {"effective_seccomp": effective_seccomp_filter}
