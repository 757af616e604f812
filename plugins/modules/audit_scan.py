#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: audit_scan
short_description: Read the kernel's new seccomp records on a node, once each, and say which container made them
version_added: 0.3.0
description:
  - Reads the kernel's seccomp audit records (type 1326 / SECCOMP) that arrived since the last scan from every source
    the node has - auditd's C(audit.log) and its rotated files, journald (its C(audit) and C(kernel) transports), the
    kernel ring buffer C(/dev/kmsg), syslog's C(kern.log), C(syslog) or C(messages).
  - Keeps a cursor per source in O(state_dir) (file inode and offset, journal cursor, ring buffer sequence number),
    so each scan reads only what is new, follows log rotation and never counts a record twice. A record that reaches
    two sources (the kernel log and syslog; journald's two copies) is counted once.
  - Decodes the architecture and syscall number to the syscall's name with libseccomp and C(code) to the action,
    and folds records into one entry per (container, executable, syscall, action) with a count and the first and last
    time, so memory grows with distinct behaviours, not with the size of the log.
  - Attributes each record to its pod and container through C(/proc/<pid>/cgroup) (the pod UID and the container ID
    in the cgroup path, names from C(crictl ps)) while the process lives; otherwise the entry says C(exited).
  - Detects throttling (C(kauditd_printk_skb - N callbacks suppressed), C(audit_lost=), hold queue and backlog
    messages, ring buffer overruns) and then reports counts as lower bounds with the setting that lifts the limit.
  - No log line stops a scan. A line that looks like a seccomp record or a throttling message but cannot be read
    (any local user can write such a line to syslog) is skipped, counted in RV(unparsed), and the cursor moves past it.
  - A cursor file, an O(owners_from) file or a log that cannot be used (a directory, a FIFO, unreadable, not UTF-8,
    not JSON, a field of the wrong type) fails the task with a message naming the file, and no cursor is written.
    A cursor past the end of a log that was truncated or rotated is not an error - the log is read from its start.
options:
  state_dir:
    description: Directory on the node for the cursor file.
    type: path
    default: /var/lib/k8s-seccomp-default/audit-scan
  cursor_name:
    description:
      - Name of the cursor file in O(state_dir). Scans with different names keep separate positions.
    type: str
    default: default
  start:
    description:
      - Where a source without a cursor is read from. C(end) only sets the cursor (the usual first call, before a soak);
        C(beginning) reads everything the source still holds.
    type: str
    choices: [end, beginning]
    default: end
  reset:
    description: Forget the stored cursors first.
    type: bool
    default: false
  attribute:
    description: Look up each record's process in C(/proc) and the runtime's containers with C(crictl).
    type: bool
    default: true
  owners_from:
    description:
      - The state file of a running or stopped M(k8s.seccomp_default.syscall_trace) (C(<state_dir>/tracer.json)). Records
        of processes that exited before the scan are attributed to the container the tracer saw them in.
    type: path
attributes:
  check_mode:
    support: full
    description: Reads the sources but does not store the new cursors, so the next real scan reads the same records.
  diff_mode:
    support: full
    description: Shows the cursors before and after.
notes:
  - Needs root on the node to read C(/dev/kmsg), C(/proc/<pid>/cgroup) of every process and auditd's log.
  - The kernel prints its audit records to its log only when no auditd is connected, and then rate-limited by
    C(kernel.printk_ratelimit) and C(kernel.printk_ratelimit_burst); see RV(throttling).
seealso:
  - plugin: k8s.seccomp_default.seccomp_audit_records
    plugin_type: filter
author:
  - k8s.seccomp_default contributors (@k8s-seccomp-default)
extends_documentation_fragment:
  - k8s.seccomp_default.cri
  - k8s.seccomp_default.kernel_records
"""

EXAMPLES = r"""
- name: Set the cursors before the soak
  k8s.seccomp_default.audit_scan:
    cursor_name: soak
    start: end

- name: Read what the soak produced
  k8s.seccomp_default.audit_scan:
    cursor_name: soak
  register: seccomp_scan

- name: Show what would have been blocked
  ansible.builtin.debug:
    msg: "{{ item.pod }}/{{ item.container }} {{ item.exe }} {{ item.syscall }} x{{ item.count }}"
  loop: "{{ seccomp_scan.entries | selectattr('attribution', 'equalto', 'container') }}"
"""

RETURN = r"""
entries:
  description: One entry per (container, executable, syscall, architecture, action), most frequent first.
  returned: always
  type: list
  elements: dict
  contains:
    attribution:
      description:
        - C(container) (its cgroup names a pod or container of this node's runtime), C(host), C(exited) (the process was
          gone or its pid reused) or C(unmanaged) (a container the runtime's C(crictl ps -a) does not list).
      type: str
    pod:
      description: Pod name (from C(crictl)), when known.
      type: str
    namespace:
      description: Pod namespace, when known.
      type: str
    pod_uid:
      description: Pod UID, from the cgroup path.
      type: str
    container:
      description: Container name, when known.
      type: str
    container_id:
      description: Container ID, from the cgroup path.
      type: str
    exe:
      description: Executable path, as the kernel printed it (decoded when hex).
      type: str
    comm:
      description: Command name of the first record.
      type: str
    syscall:
      description: Syscall name (libseccomp).
      type: str
    syscall_nr:
      description: Syscall number.
      type: int
    arch:
      description: Architecture, such as C(x86_64).
      type: str
    action:
      description: C(log), C(errno), C(kill_thread), C(kill_process), C(trap), C(trace) or C(user_notif).
      type: str
    count:
      description: Number of records (a lower bound when RV(throttling)).
      type: int
    first:
      description: Time of the first record (seconds since the epoch).
      type: float
    last:
      description: Time of the last record.
      type: float
    pids:
      description: Up to 8 process IDs seen.
      type: list
      elements: int
  sample:
    - {attribution: container, pod: needs-unshare, namespace: default, container: needs-unshare, exe: /bin/busybox,
       syscall: unshare, syscall_nr: 272, arch: x86_64, action: log, count: 14, first: 1795444107.756, last: 1795444133.1}
records:
  description: Seccomp records read in this scan (copies excluded).
  returned: always
  type: int
duplicates:
  description: Copies of records already counted (the same timestamp and serial in two sources).
  returned: always
  type: int
overflow:
  description: Records not kept because O(max_entries) distinct entries were already held.
  returned: always
  type: int
unparsed:
  description:
    - Lines that held a seccomp record marker or a throttling message but could not be read (a number longer than the
      kernel prints, a cut or garbled line, a line longer than 1 MiB); they are skipped and a warning says how many.
  returned: always
  type: int
throttling:
  description: C(detected), C(suppressed) (printk callbacks suppressed), C(audit_lost), C(queue_messages) and C(remedy).
  returned: always
  type: dict
complete:
  description: False when throttling, an overrun ring buffer, a log rotated past its cursor or O(max_entries) may have hidden records.
  returned: always
  type: bool
sources:
  description: Per source - C(source), C(path), C(bytes) read, C(records), C(suppressed), C(unparsed), C(notes).
  returned: always
  type: list
  elements: dict
cursor_file:
  description: Where the cursors are kept.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.k8s.seccomp_default.plugins.module_utils import audit_scan, cri, errors


def scan(module):
    params = module.params
    cursor_file, before = audit_scan.checked_cursors(params)
    attribute = audit_scan.unattributed
    if params["attribute"]:
        seen = audit_scan.load_owners(params["owners_from"]) if params["owners_from"] else None
        try:
            containers = cri.identities_or_warn(module)
        except cri.CriError as exc:
            module.fail_json(msg=str(exc))
        attribute = audit_scan.ProcessTable(containers=containers, seen_processes=seen)
    changed, result, diff = audit_scan.scan_and_store(module, params, cursor_file, before, attribute)
    module.exit_json(changed=changed, cursor_file=cursor_file, diff=diff, **result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state_dir=dict(type="path", default="/var/lib/k8s-seccomp-default/audit-scan"),
            cursor_name=dict(type="str", default="default"),
            start=dict(type="str", default="end", choices=["end", "beginning"]),
            reset=dict(type="bool", default=False),
            attribute=dict(type="bool", default=True),
            owners_from=dict(type="path"),
            **dict(audit_scan.SOURCE_ARGUMENT_SPEC, **cri.ARGUMENT_SPEC)
        ),
        supports_check_mode=True,
    )
    errors.run_module(module, scan)


if __name__ == "__main__":
    main()
