# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The options of module_utils/audit_scan.py SOURCE_ARGUMENT_SPEC: where the kernel's seccomp records are read.
    DOCUMENTATION = r"""
options:
  sources:
    description:
      - Where the kernel's seccomp records are read. C(auto) reads every source the node has.
    type: list
    elements: str
    choices: [auto, auditd, journald, kmsg, syslog]
    default: [auto]
  auditd_log:
    description: auditd's log file.
    type: path
    default: /var/log/audit/audit.log
  syslog_log:
    description:
      - The syslog file with kernel messages; by default the first of C(/var/log/kern.log), C(/var/log/syslog) and
        C(/var/log/messages) that exists.
    type: path
  max_entries:
    description:
      - Most distinct (container, executable, syscall, action) entries kept; the records past it are counted, not kept.
    type: int
    default: 20000
"""
