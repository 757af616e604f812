# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The options of module_utils/restarts.py ARGUMENT_SPEC, shared by the modules that restart containers.
    DOCUMENTATION = r"""
options:
  containers:
    description:
      - The containers - each C(pod_uid) (or C(namespace) and C(pod)) and C(container) (its name). Empty, nothing is
        restarted.
    type: list
    elements: dict
    required: true
  remove_stopped:
    description:
      - Remove each container once stopped (C(crictl rm)), so that the kubelet starts its successor at once instead of
        after its back-off - it backs off only while an exited instance exists. Set it to V(false) to keep the stopped
        instances and their logs.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for all successors to run.
    type: int
    default: 180
"""
