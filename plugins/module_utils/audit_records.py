# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The kernel's seccomp audit records (type 1326 / SECCOMP), parsed from any log line (docs/kubernetes-facts.md#kernel-seccomp-record-formats).

Both forms: `audit: type=1326 audit(T:S): ...` (kernel log: /dev/kmsg, dmesg, syslog, journald's kernel
transport) and `type=SECCOMP msg=audit(T:S): ...` (auditd, journald's audit transport). comm= and exe=
are hex-encoded without quotes when they hold a space, a quote or a control byte; auditd's enriched
fields after the 0x1d byte are dropped. No line makes the parser raise: what is not a record is None.

The kernel prints every number of a record as a 64-bit value at most, so a run of more digits is not the
kernel's: such a time or serial makes the line no record, such a field reads as None. Digits are bounded in
the expressions themselves, which also keeps int() away from Python's 4300-digit conversion limit.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.k8s.seccomp_default.plugins.module_utils import libseccomp

# A u64 has 20 decimal digits and 16 hex digits; "0x" may come first.
MAX_DIGITS = 20
RECORD = re.compile(r"(?P<form>audit: type=1326 audit|type=SECCOMP msg=audit)"
                    r"\((?P<time>[0-9]{1,20}(?:\.[0-9]{1,9})?):(?P<serial>[0-9]{1,20})\): (?P<fields>.*)")
NUMBER = {10: re.compile(r"-?[0-9]{1,20}\Z"), 16: re.compile(r"(?:0x)?[0-9a-fA-F]{1,16}\Z")}
# A key starts the line or follows a space: searched from inside a long run of letters, `\w+=` would backtrack
# through the rest of the run at every position (quadratic: minutes for one 100 kB line).
FIELD = re.compile(r'(?:^|(?<=\s))(\w+)=("[^"]*"|\S+)')
HEX = re.compile(r"^(?:[0-9A-F]{2})+$")
FORMATS = {"audit: type=1326 audit": "kernel", "type=SECCOMP msg=audit": "auditd"}
# AUDIT_ARCH_* (EM_* | 64-bit 0x80000000 | little-endian 0x40000000); libseccomp uses the same tokens.
ARCHES = {0xc000003e: "x86_64", 0x40000003: "i386", 0xc00000b7: "aarch64", 0x40000028: "arm",
          0xc0000015: "ppc64le", 0x80000015: "ppc64", 0x80000016: "s390x", 0xc00000f3: "riscv64",
          0xc0000102: "loongarch64"}
X32_SYSCALL_BIT = 0x40000000
X32_TOKEN = 0x4000003e
# code= is filter_ret & SECCOMP_RET_ACTION_FULL (include/uapi/linux/seccomp.h): the errno is not in it.
ACTIONS = {0x80000000: "kill_process", 0x0: "kill_thread", 0x30000: "trap", 0x50000: "errno",
           0x7fc00000: "user_notif", 0x7ff00000: "trace", 0x7ffc0000: "log", 0x7fff0000: "allow"}


def parse_line(line):
    """The seccomp record in `line` as a dict, or None when the line holds none."""
    if not isinstance(line, str):
        if not isinstance(line, bytes):
            return None
        line = line.decode("utf-8", "replace")
    match = RECORD.search(line.split("\x1d", 1)[0])
    if not match:
        return None
    fields = dict((key, value) for key, value in FIELD.findall(match.group("fields")))
    arch_value = _number(fields.get("arch"), 16)
    syscall_nr = _number(fields.get("syscall"), 10)
    code = _number(fields.get("code"), 16)
    compat = _number(fields.get("compat"), 10)
    arch, syscall = arch_and_syscall(arch_value, syscall_nr)
    return dict(
        format=FORMATS[match.group("form")], timestamp=float(match.group("time")), serial=int(match.group("serial")),
        pid=_number(fields.get("pid"), 10), uid=_number(fields.get("uid"), 10), gid=_number(fields.get("gid"), 10),
        auid=_number(fields.get("auid"), 10), comm=untrusted(fields.get("comm")), exe=untrusted(fields.get("exe")),
        sig=_number(fields.get("sig"), 10), arch=arch or fields.get("arch"), syscall_nr=syscall_nr,
        syscall=syscall, compat=compat == 1 if compat is not None else None,
        code=fields.get("code"), action=ACTIONS.get(code) if code is not None else None,
    )


def arch_and_syscall(arch_value, syscall_nr):
    """(architecture name, syscall name) of a record's arch= value and syscall= number; None when unknown."""
    arch = ARCHES.get(arch_value)
    if arch is None:
        return None, None
    token = arch_value
    if arch == "x86_64" and syscall_nr is not None and syscall_nr & X32_SYSCALL_BIT:
        arch, token = "x32", X32_TOKEN
    return arch, syscall_name(token, syscall_nr)


# The kernel prints a record's fields in one order (audit_seccomp, audit_log_task; docs/kubernetes-facts.md#record-layout). Lines that
# follow it exactly are read by this one expression, straight from the log's bytes; any other line goes
# through parse_line. subj= is there only with an LSM; older kernels have no ses=.
KERNEL_ORDER = re.compile(
    rb'(?:msg=)?audit\(([0-9]{1,20}\.[0-9]{1,9}):([0-9]{1,20})\): auid=[0-9]{1,20} uid=[0-9]{1,20} gid=[0-9]{1,20}'
    rb'(?: ses=[0-9]{1,20})?(?: subj=[^ \n]+)? pid=([0-9]{1,20}) '
    rb'comm=("[^"\n]*"|[0-9A-F]+|\(null\)) exe=("[^"\n]*"|[0-9A-F]+|\(null\)) sig=[0-9]{1,20} arch=([0-9a-f]{1,16}) '
    rb'syscall=([0-9]{1,20}) compat=[01] ip=0x[0-9a-f]{1,16} code=0x([0-9a-f]{1,16})(?=[ \n\x1d]|$)')
# The same with its marker (type=1326 or type=SECCOMP, then a space) before it: one match from the marker on.
KERNEL_RECORD = re.compile(rb"type=(?:1326|SECCOMP) " + KERNEL_ORDER.pattern)


def parse_lines(lines):
    """Every seccomp record of `lines` (other lines skipped), in order."""
    records = []
    for line in lines:
        record = parse_line(line)
        if record is not None:
            records.append(record)
    return records


_NAMES = {}
NAMES_KEPT = 1 << 16  # distinct (ABI, number) pairs; more come only from lines no kernel wrote


def syscall_name(arch_token, number):
    """libseccomp's name for syscall `number` of the ABI `arch_token`, or None (also without libseccomp)."""
    if number is None or libseccomp.library() is None:
        return None
    key = (arch_token, number)
    if key not in _NAMES:
        if len(_NAMES) >= NAMES_KEPT:
            _NAMES.clear()
        _NAMES[key] = libseccomp.resolve_number(arch_token, number)  # a call through ctypes costs ~100 us
    return _NAMES[key]


def _number(text, base):
    """The value of a field in ``base``, or None for anything the kernel would not print (no int() surprises:
    no 4300-digit limit, no underscores, no non-ASCII digits)."""
    if text is None or not NUMBER[base].match(text):
        return None
    return int(text, base)


def untrusted(value):
    """audit_log_untrustedstring: quoted when printable, else hex without quotes."""
    if value is None:
        return None
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if HEX.match(value):
        return bytearray.fromhex(value).decode("utf-8", "replace")
    return value  # (null) for tasks without an mm
