# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The options of module_utils/node_watch.py ARGUMENT_SPEC: one look at the node during enforcement's watch.
    DOCUMENTATION = r"""
options:
  wait:
    description: Seconds to wait before looking.
    type: int
    default: 0
  max_restarts:
    description: How many restarted or stopped containers are tolerated.
    type: int
    default: 0
  healthz_url:
    description: The kubelet's health endpoint (the C(seccomp_node.kubelet.healthz.url) fact).
    type: str
    default: http://127.0.0.1:10248/healthz
  unit:
    description: The kubelet's systemd unit.
    type: str
    default: kubelet.service
  kernel_state_dir:
    description: Directory on the node for the kernel record cursor. Without it the kernel's records are not read.
    type: path
  cursor_name:
    description: Name of the cursor in O(kernel_state_dir), apart from the cursors other scans keep.
    type: str
    default: enforce
"""
