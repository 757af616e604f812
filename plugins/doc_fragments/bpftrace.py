# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The bpftrace option of the modules that trace (syscall_trace, audit_window) or check the tracer (readiness):
    # module_utils/tools.find_tool searches for it.
    DOCUMENTATION = r"""
options:
  bpftrace:
    description:
      - Path of C(bpftrace) on the node (package C(bpftrace) on Debian, Ubuntu and RHEL), or another name to search for.
      - By default it is searched in E(PATH), then in C(/usr/local/bin), C(/usr/bin) and C(/opt/bin).
    type: str
"""
