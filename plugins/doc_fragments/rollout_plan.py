# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The options of module_utils/rollout_state.py PLAN_ARGUMENT_SPEC: the node's state file and what a run's plan of
    # the node is made from (rollout_state when it reads, node_plan).
    DOCUMENTATION = r"""
options:
  path:
    description: The state file on the node.
    type: path
    default: /var/lib/k8s-seccomp-default/rollout-state.json
  kubelet_version:
    description: The node's kubelet version, for the feature gate's step (done for this version, or run again).
    type: str
  seccomp_default:
    description: Whether C(seccompDefault) is on now, for the audit's and enforcement's steps.
    type: bool
  retry:
    description: Enable a node again whose enforcement was rolled back (its step is then C(run), not C(refuse)).
    type: bool
    default: false
  stages:
    description: The stages this run was asked for; with them the plan says what the run does on this node.
    type: list
    elements: str
  force:
    description: With O(stages) - stages to run again even though they are done (C(seccomp_force_stages)).
    type: list
    elements: str
    default: []
  runtime:
    description: With O(stages) - the node's container runtime (C(containerd) or C(cri-o)), which decides the audit's mode.
    type: str
  gate:
    description: With O(stages) - the node's SeccompDefault gate as the node facts give it (C(kubelet.feature_gate));
      a feature gate stage that finds it already right is C(unchanged) in the plan, with nothing to write.
    type: dict
  audit_mode:
    description: With O(stages) - C(auto) (CRI-O complain, containerd observe), C(complain) (CRI-O only) or C(observe).
    type: str
    choices: [auto, complain, observe]
    default: auto
"""
