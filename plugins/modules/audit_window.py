#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: audit_window
short_description: Open the audit's window on a node before the soak, close it after the soak and say what was seen
version_added: 0.6.0
description:
  - The audit in two tasks on each side of the soak, in either mode. Each does what M(k8s.seccomp_default.syscall_trace),
    M(k8s.seccomp_default.audit_scan) and M(k8s.seccomp_default.restart_containers) did one task at a time, with the
    same files, so that an interrupted run and those modules still find them - the tracer in C(<state_dir>/trace), the
    kernel record cursor C(audit) in C(<state_dir>/audit-scan).
  - O(state=started), O(mode=observe) (containerd) - starts the tracer of M(k8s.seccomp_default.syscall_trace) (a
    failure fails the task), then restarts the containers of O(containers), so that it sees them start.
  - O(state=started), O(mode=complain) (CRI-O, once the kubelet gives kubernetes/default-audit) - starts the tracer best
    effort (it only helps attribute the records of processes that exit quickly, so a tracer that cannot start is a
    warning and RV(trace.error), not a failure), sets the kernel record cursor at the end of every source (as
    M(k8s.seccomp_default.audit_scan) with C(start=end) and C(reset=true)), then restarts the containers, so that they
    run under the logging profile.
  - O(state=stopped), O(mode=observe) - stops the tracer and judges every traced call against O(profile); returns what
    M(k8s.seccomp_default.syscall_trace) returns with C(state=stopped).
  - O(state=stopped), O(mode=complain) - stops the tracer if one was started (none is no failure; a tracer whose files
    cannot be judged is stopped all the same, with a warning), then reads the kernel's seccomp records since the cursor,
    attributing those of processes gone by then with the tracer's state file; returns what
    M(k8s.seccomp_default.audit_scan) returns, with the tracer's result in RV(trace). Where the records are read
    (O(sources), O(auditd_log), O(syslog_log)) and O(max_entries) matter in complain mode only.
  - With O(pods) (O(state=stopped)), the audit's decision comes back as well, in RV(decision) - every call a container
    that will get RuntimeDefault made that kubernetes/default would block, grouped per workload, as the
    P(k8s.seccomp_default.seccomp_audit_gate#filter) filter decides it - on the node, where the entries are.
  - A tracer left running by an interrupted run is used as it is. A pid file that names no tracer is stale - a warning
    says so; O(state=started) starts a new tracer, O(state=stopped) removes the file.
  - Every option, O(profile), the tracer's files, the cursor file and the C(crictl ps) listing are read and checked
    before anything is started, stopped, restarted or written; a bad one fails the task naming the file or the field.
    A failure after that says what was already done, and O(state=started) that fails once the tracer runs stops it
    again, so that no tracer is left running.
options:
  state:
    description: V(started) before the soak, V(stopped) after it.
    type: str
    choices: [started, stopped]
    required: true
  mode:
    description:
      - V(observe) - the trace is the audit (containerd, which has no setting that makes RuntimeDefault log).
      - V(complain) - the kernel's seccomp records are the audit (CRI-O with kubernetes/default-audit as RuntimeDefault);
        the trace only attributes records.
    type: str
    choices: [observe, complain]
    required: true
  profile:
    description:
      - The profile the containers will get (kubernetes/default.json). Read when the tracer starts, to trace the first
        argument of the syscalls it has argument conditions for, and again to judge the trace.
    type: path
    required: true
  state_dir:
    description:
      - The rollout's state directory on the node. The tracer keeps its pid and state files in C(<state_dir>/trace) (as
        M(k8s.seccomp_default.syscall_trace) with C(state_dir=<state_dir>/trace)), and the kernel record cursor C(audit)
        is kept in C(<state_dir>/audit-scan) (as M(k8s.seccomp_default.audit_scan) with C(state_dir=<state_dir>/audit-scan)
        and C(cursor_name=audit)).
    type: path
    default: /var/lib/k8s-seccomp-default
  containers:
    description:
      - With O(state=started), the containers to restart once the tracer runs (and the cursor is set) - each C(pod_uid)
        (or C(namespace) and C(pod)) and C(container) (its name). Each stopped instance is removed, so that the kubelet
        does not back off (see M(k8s.seccomp_default.restart_containers)). Empty restarts nothing.
    type: list
    elements: dict
    default: []
  restart:
    description: Restart O(containers) with O(state=started); V(false) restarts nothing.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for the restarted containers' successors to run.
    type: int
    default: 180
  pods:
    description:
      - With O(state=stopped), the node's pods (the kubelet's C(/pods) C(PodList), as
        M(k8s.seccomp_default.kubelet_read) returns it in C(json)). The effective profile of each container with
        C(seccompDefault) on decides which entries count. Checked before the tracer is stopped. Omit it for no
        RV(decision).
    type: dict
  kubelet_root_dir:
    description: The kubelet's root directory, where its Localhost profiles are (C(<kubelet_root_dir>/seccomp)).
    type: path
    default: /var/lib/kubelet
attributes:
  check_mode:
    support: full
    description:
      - Starts, stops, restarts and writes nothing, and says what would be done - C(changed) where something would be
        started, stopped or restarted. O(state=stopped) judges what the tracer saved so far and reads the kernel's
        records without moving the cursor.
  diff_mode:
    support: none
    description: Nothing on disk is changed that a diff would help with.
notes:
  - Needs root on the node, C(crictl) configured for the runtime (C(/etc/crictl.yaml) or O(runtime_endpoint)), and for
    the tracer C(bpftrace), tracefs and the system libseccomp - see M(k8s.seccomp_default.syscall_trace) and
    M(k8s.seccomp_default.audit_scan).
seealso:
  - module: k8s.seccomp_default.syscall_trace
  - module: k8s.seccomp_default.audit_scan
  - module: k8s.seccomp_default.restart_containers
author:
  - k8s.seccomp_default contributors (@k8s-seccomp-default)
extends_documentation_fragment:
  - k8s.seccomp_default.bpftrace
  - k8s.seccomp_default.cri
  - k8s.seccomp_default.kernel_records
"""

EXAMPLES = r"""
- name: Observe mode - start tracing, and restart the containers that will change so that they start under watch
  k8s.seccomp_default.audit_window:
    state: started
    mode: observe
    profile: /var/lib/kubelet/seccomp/kubernetes/default.json
    containers:
      - {namespace: shop, pod: cart-7d9f8-x2x1, container: cart}
  register: seccomp_audit_restarted

- name: Soak
  ansible.builtin.wait_for:
    timeout: 600

- name: Observe mode - stop tracing and judge every traced call against kubernetes/default
  k8s.seccomp_default.audit_window:
    state: stopped
    mode: observe
    profile: /var/lib/kubelet/seccomp/kubernetes/default.json
  register: seccomp_audit_trace

- name: Show what kubernetes/default would block
  ansible.builtin.debug:
    msg: "{{ seccomp_audit_trace.blocked }}"

- name: Complain mode, after the soak - stop tracing and read the kernel's seccomp records
  k8s.seccomp_default.audit_window:
    state: stopped
    mode: complain
    profile: /var/lib/kubelet/seccomp/kubernetes/default.json
  register: seccomp_audit_scan
"""

RETURN = r"""
restarted:
  description: Each restarted container - C(namespace), C(pod), C(container), C(old_id), C(new_id) (null in check mode).
  returned: when O(state=started)
  type: list
  elements: dict
not_running:
  description: Requested containers that had no running instance (nothing to restart).
  returned: when O(state=started)
  type: list
  elements: dict
removed:
  description: IDs of the stopped containers that were removed.
  returned: when O(state=started)
  type: list
  elements: str
stopped:
  description: IDs of the containers already stopped when crictl failed while they were restarted.
  returned: when crictl fails after the first stop
  type: list
  elements: str
crashed:
  description: Containers whose successor exited at once (the task then fails).
  returned: on failure
  type: list
  elements: dict
trace:
  description:
    - The tracer. With O(state=stopped) and O(mode=complain), what O(mode=observe) returns at the top level - only
      C(running) and C(changed) when no tracer was started, and C(error) when its files could not be used.
  returned: unless O(state=stopped) and O(mode=observe)
  type: dict
  contains:
    running:
      description: Whether the tracer runs after this task.
      type: bool
    changed:
      description: Whether it was started or stopped (false for a tracer that already ran at O(state=started)).
      type: bool
    pid:
      description: The tracer's process ID.
      type: int
      returned: with O(state=started), when it runs
    error:
      description:
        - In O(mode=complain), why no tracer runs or its trace could not be used (a warning says so too).
        - With O(state=stopped), also why the tracer stopped by itself, if it did.
      type: str
    stale_pid_file:
      description: Why the tracer's pid file was not the running tracer's (no process was signalled).
      type: str
      returned: when the pid file was stale
    lines:
      description: How many lines bpftrace printed.
      type: int
      returned: with O(state=stopped), when a tracer was started
    blocked:
      description: The traced calls with the verdict C(blocked).
      type: list
      elements: dict
      returned: with O(state=stopped), when a tracer was started
    entries:
      description: Every traced call with its verdict, as RV(k8s.seccomp_default.syscall_trace#module:entries).
      type: list
      elements: dict
      returned: with O(state=stopped), when a tracer was started
    seconds:
      description: How long it traced.
      type: float
      returned: with O(state=stopped), when a tracer was started
cursor:
  description: The kernel record cursor set at the end - C(cursor_file), and C(sources) (per source, where its cursor was set).
  returned: when O(state=started) and O(mode=complain)
  type: dict
running:
  description: Whether the tracer runs after this task (false unless in check mode).
  returned: when O(state=stopped) and O(mode=observe)
  type: bool
entries:
  description:
    - With O(mode=observe), one entry per (container, executable, syscall, first argument where the profile looks at
      it), with its C(verdict) - as RV(k8s.seccomp_default.syscall_trace#module:entries).
    - With O(mode=complain), one entry per (container, executable, syscall, architecture, action) of the kernel's
      records, most frequent first - as RV(k8s.seccomp_default.audit_scan#module:entries).
  returned: when O(state=stopped)
  type: list
  elements: dict
blocked:
  description: The traced calls with the verdict C(blocked).
  returned: when O(state=stopped) and O(mode=observe)
  type: list
  elements: dict
error:
  description: Why the tracer stopped by itself, if it did.
  returned: when O(state=stopped) and O(mode=observe)
  type: str
seconds:
  description: How long it traced.
  returned: when O(state=stopped) and O(mode=observe)
  type: float
lines:
  description: How many lines bpftrace printed (each a new process and syscall).
  returned: when O(state=stopped) and O(mode=observe)
  type: int
stale_pid_file:
  description: Why the tracer's pid file was not the running tracer's (no process was signalled).
  returned: when O(state=stopped), O(mode=observe) and the pid file was stale
  type: str
records:
  description: Seccomp records read (copies excluded).
  returned: when O(state=stopped) and O(mode=complain)
  type: int
duplicates:
  description: Copies of records already counted.
  returned: when O(state=stopped) and O(mode=complain)
  type: int
overflow:
  description: Records not kept because O(max_entries) distinct entries were already held.
  returned: when O(state=stopped) and O(mode=complain)
  type: int
unparsed:
  description: Lines that held a seccomp record marker or a throttling message but could not be read.
  returned: when O(state=stopped) and O(mode=complain)
  type: int
throttling:
  description: C(detected), C(suppressed), C(audit_lost), C(queue_messages) and C(remedy).
  returned: when O(state=stopped) and O(mode=complain)
  type: dict
complete:
  description: False when throttling, an overrun ring buffer, a log rotated past its cursor or O(max_entries) may
    have hidden records.
  returned: when O(state=stopped) and O(mode=complain)
  type: bool
sources:
  description: Per source - C(source), C(path), C(bytes) read, C(records), C(suppressed), C(unparsed), C(notes).
  returned: when O(state=stopped) and O(mode=complain)
  type: list
  elements: dict
cursor_file:
  description: Where the kernel record cursors are kept.
  returned: when O(state=stopped) and O(mode=complain)
  type: str
decision:
  description:
    - With O(pods), the audit's decision, as the P(k8s.seccomp_default.seccomp_audit_gate#filter) filter returns it -
      C(passed), C(complete), C(blocking), C(review), C(apart) and C(workloads). In complain mode C(complete) is
      RV(complete), so that records that may be missing keep the audit from passing.
  returned: when O(state=stopped) and O(pods) is given
  type: dict
done:
  description: What was already done when the task failed - the tracer started or stopped, the cursor set.
  returned: on failure
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.k8s.seccomp_default.plugins.module_utils import audit_options, audit_window, cri, errors


def window(module):
    params = module.params
    mode = params["mode"]
    if params["pods"] is not None or params["state"] == "stopped":
        audit_window.check_stop(params)  # a bad pod list is named before anything stops
    try:
        if params["state"] == "started":
            result = audit_window.start(module, mode, params)
        else:
            result = audit_window.stop(module, mode, params)
    except audit_window.WindowFailed as exc:
        module.fail_json(msg=exc.msg, **exc.result)
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", required=True, choices=["started", "stopped"]),
            mode=dict(type="str", required=True, choices=list(audit_options.MODES)),
            **dict(audit_options.START_SPEC, **dict(audit_window.STOP_SPEC, **cri.ARGUMENT_SPEC))
        ),
        supports_check_mode=True,
    )
    errors.run_module(module, window)


if __name__ == "__main__":
    main()
