# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: seccomp_audit_records
short_description: The kernel's seccomp audit records in log lines
version_added: 0.2.0
description:
  - >-
    Finds the seccomp records (type 1326 of the kernel's audit records) in lines from the kernel log (C(/dev/kmsg),
    C(dmesg), syslog, journald) or from auditd's C(audit.log), in either form - C(audit: type=1326 audit(...)) or
    C(type=SECCOMP msg=audit(...)).
  - Decodes hex-encoded C(comm)/C(exe), drops auditd's enriched fields after the C(0x1d) byte, names the architecture,
    the syscall (with libseccomp, when the pyseccomp bindings are installed) and the action of C(code).
  - Other lines are skipped; no line makes the filter fail. A line that looks like a record but cannot be read (a
    number longer than the kernel prints, a cut or garbled line) is skipped too; a field that cannot be read is null.
  - Input that is not log lines - a mapping (such as a whole registered command result instead of its C(stdout)), a
    number, null, or a list holding something other than text - fails with an error naming the item and its value.
positional: _input
options:
  _input:
    description: Log lines, as a list of texts or as one text.
    type: raw
    required: true
author:
  - k8s.seccomp_default contributors (@k8s-seccomp-default)
"""

EXAMPLES = r"""
- name: The syscalls the kernel logged
  ansible.builtin.debug:
    msg: "{{ lookup('ansible.builtin.pipe', 'dmesg') | k8s.seccomp_default.seccomp_audit_records | map(attribute='syscall') | unique }}"
"""

RETURN = r"""
_value:
  description: One entry per record, in order.
  type: list
  elements: dict
  contains:
    format:
      description: C(kernel) (C(audit - type=1326)) or C(auditd) (C(type=SECCOMP)).
      type: str
    timestamp:
      description: Seconds since the epoch, from C(audit(T:S)).
      type: float
    serial:
      description: The record's serial number, from C(audit(T:S)); with the timestamp it identifies a record.
      type: int
    pid:
      description: Process ID (in the host's namespace).
      type: int
    uid:
      description: User ID (in the host's namespace).
      type: int
    gid:
      description: Group ID.
      type: int
    auid:
      description: Audit user ID (4294967295 when unset, as for container processes).
      type: int
    comm:
      description: The task's command name, decoded.
      type: str
    exe:
      description: The executable's path, decoded.
      type: str
    sig:
      description: The signal (31, SIGSYS, for kill actions; else 0).
      type: int
    arch:
      description: The syscall ABI, such as C(x86_64), C(x32), C(i386) or C(aarch64); the raw hex when unknown.
      type: str
    syscall_nr:
      description: The syscall number.
      type: int
    syscall:
      description: The syscall's name, or null when libseccomp does not know it or is not installed.
      type: str
    compat:
      description: Whether it was a compat (32-bit on a 64-bit kernel) syscall.
      type: bool
    code:
      description: The raw C(code=) value.
      type: str
    action:
      description: C(log), C(errno), C(kill_thread), C(kill_process), C(trap), C(trace), C(user_notif) or C(allow).
      type: str
"""

from ansible_collections.k8s.seccomp_default.plugins.module_utils.audit_records import parse_lines
from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError
from ansible_collections.k8s.seccomp_default.plugins.plugin_utils.filters import filter_errors

LINES = "log lines: a text, or a list of texts (a command's stdout or stdout_lines)"


@filter_errors("seccomp_audit_records")
def seccomp_audit_records(lines):
    if isinstance(lines, bytes):
        lines = lines.decode("utf-8", "replace")
    if isinstance(lines, str):
        # newlines only: splitlines() would also cut at auditd's 0x1d separator
        lines = lines.replace("\r\n", "\n").split("\n")
    elif isinstance(lines, dict) or not hasattr(lines, "__iter__"):
        hint = "; a command's result holds them under stdout" if isinstance(lines, dict) and "stdout" in lines else ""
        raise InputError("is not log lines" + hint, field="input", value=lines, expected=LINES)
    else:
        lines = list(lines)  # also what Jinja's select and map hand on: generators
    for index, line in enumerate(lines):
        if not isinstance(line, (str, bytes)):
            raise InputError("is not a line of text", field="input[%d]" % index, value=line, expected=LINES)
    return parse_lines(lines)


class FilterModule(object):
    def filters(self):
        return {"seccomp_audit_records": seccomp_audit_records}
