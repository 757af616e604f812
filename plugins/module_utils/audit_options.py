# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The options of the audit's window (module_utils/audit_window), for audit_window and for the modules that open or
close it as the first part of their own step - node_plan opens it, kubelet_switch and enforce_containers close it.
Apart from audit_window so that those modules compile the window's code only when they are asked to use it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

MODES = ("observe", "complain")

COMMON_SPEC = dict(
    profile=dict(type="path", required=True),
    state_dir=dict(type="path", default="/var/lib/k8s-seccomp-default"),
)
# Opening it: node_plan's option audit (the containers are the plan's); audit_window takes the containers too.
OPEN_SPEC = dict(
    COMMON_SPEC,
    restart=dict(type="bool", default=True),
    timeout=dict(type="int", default=180),
    bpftrace=dict(type="str"),
)
START_SPEC = dict(OPEN_SPEC, containers=dict(type="list", elements="dict", default=[]))
# Closing it with the audit's decision: the option audit of the modules that go on only where it passed.
CLOSE_SPEC = dict(
    COMMON_SPEC,
    mode=dict(type="str", required=True, choices=list(MODES)),
    pods=dict(type="dict", required=True),
    kubelet_root_dir=dict(type="path", default="/var/lib/kubelet"),
)
