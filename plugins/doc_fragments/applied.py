# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The options of module_utils/applied.py ARGUMENT_SPEC: what a running container's profile is checked against.
    DOCUMENTATION = r"""
options:
  pods:
    description: The node's pods - a PodList (the kubelet's C(/pods)), a k8s_info result, or a list of Pods.
    type: raw
    required: true
  kubelet_root_dir:
    description: The kubelet's C(--root-dir).
    type: path
    default: /var/lib/kubelet
  runtime:
    description:
      - The node's runtime facts (C(seccomp_node.runtime) of M(k8s.seccomp_default.node_facts)), for the filters the
        runtime adds itself - CRI-O's C(privileged_seccomp_profile), the seccomp filter of a containerd
        C(base_runtime_spec) - so that a container that has one is not taken for a mismatch.
    type: dict
  fail_on_mismatch:
    description: Fail the task when a running container does not have the profile it should.
    type: bool
    default: true
"""
