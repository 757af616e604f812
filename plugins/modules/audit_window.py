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

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.k8s.seccomp_default.plugins.module_utils import audit_gate, audit_scan, cri, errors, restarts, syscall_trace, tools
from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError

# Under state_dir, where the role's separate tasks kept them: syscall_trace's state_dir and audit_scan's.
TRACE_DIR = "trace"
CURSOR_DIR = "audit-scan"
CURSOR_NAME = "audit"
TRACE_DIR_IS = "the tracer's directory in option state_dir"
NO_TRACER = ("complain mode goes on without it; it only attributes the kernel's records of processes that exit before "
             "they are read")


def problem(exc):
    """What went wrong, in words: an InputError's message, or an OSError's with its file."""
    if isinstance(exc, InputError):
        return str(exc)
    return str(errors.os_error(exc, getattr(exc, "filename", None) or "a file", "used"))


def fail(module, exc, done, **result):
    """Fail on ``exc``, which came after what ``done`` says (sentences), with the result so far."""
    msg = problem(exc)
    if done:
        msg = "%s; already done: %s" % (msg, "; ".join(done))
    if isinstance(exc, restarts.RestartError):
        result.update(exc.result)
    elif isinstance(exc, InputError):
        result["error"] = exc.details()
    module.fail_json(msg=msg, done=done, **result)


def undo_start(module, tracer, trace):
    """After a started window failed: stop the tracer, so that none is left running (not in check mode, where none
    was started). Sentences saying so."""
    if module.check_mode:
        return []
    try:
        said = tracer.end()
    except (InputError, OSError) as exc:
        return ["the tracer could not be stopped again: %s" % problem(exc)]
    trace["running"] = False
    return [text + ", so that none is left running" for text in said]


def scan_options(params, cursor_dir, **more):
    """audit_scan's options for the kernel's records, as the role gave them to it."""
    return dict(sources=params["sources"], auditd_log=params["auditd_log"], syslog_log=params["syslog_log"],
                max_entries=params["max_entries"], state_dir=cursor_dir, cursor_name=CURSOR_NAME, start="end", **more)


def crictl_or_warn(module):
    """crictl, or None with a warning (as cri.identities_or_warn): the trace then names containers by ID only."""
    try:
        return cri.Crictl(module.run_command, module.params["crictl"], module.params["runtime_endpoint"])
    except tools.ToolNotFound as exc:
        module.warn("%s; containers are told by their IDs only, without pod and container names" % exc)
        return None


def identities(client, what, done=()):
    """The node's containers by ID (none without crictl); a crictl failure says what the listing was for."""
    try:
        return client.identities() if client else {}
    except cri.CriError as exc:
        text = "%s: %s" % (what, exc) if what else str(exc)
        if done:
            text = "%s; already done: %s" % (text, "; ".join(done))
        raise InputError(text)


def stale_warning(module, tracer, state):
    if tracer.stale:
        module.warn("%s is stale, no process was signalled: %s; %s"
                    % (tracer.pid_path, tracer.stale, syscall_trace.STALE_THEN[state]))


def start(module, params, trace_dir, cursor_dir):
    complain = params["mode"] == "complain"
    containers = restarts.wanted_containers(params["containers"] or [])
    restarts.check_timeout(params["timeout"])
    # Everything is read and checked before anything is started, written or restarted.
    tracer = syscall_trace.Tracer(trace_dir, TRACE_DIR_IS)
    trace_error = None
    try:
        tracer.read(params["profile"])
        if not tracer.tracer:
            tracer.prepare_start(params["bpftrace"])
    except (InputError, OSError) as exc:
        if not complain:
            raise
        trace_error = problem(exc)
    stale_warning(module, tracer, "started")
    if complain:
        scan_params = scan_options(params, cursor_dir, reset=True)
        cursor_file, before = audit_scan.checked_cursors(scan_params)
        sources = audit_scan.require_sources(audit_scan.chosen_sources(scan_params))
    crictl, chosen, not_running = None, [], []
    if params["restart"] and containers:
        crictl = cri.Crictl.for_module(module)
        chosen, not_running = restarts.plan(crictl, containers)
    result = dict(restarted=restarts.planned(chosen), not_running=not_running, removed=[])
    if trace_error:
        # None starts; one an interrupted run left running is stopped by state=stopped.
        trace = dict(running=bool(tracer.tracer), changed=False, error=trace_error)
        if tracer.tracer:
            trace["pid"] = tracer.tracer["pid"]
    elif tracer.tracer:
        trace = dict(running=True, changed=False, pid=tracer.tracer["pid"])
    else:
        trace = dict(running=False, changed=True)
    if tracer.stale:
        trace["stale_pid_file"] = tracer.stale
    done = []

    if not module.check_mode and trace["changed"]:
        try:
            pid = tracer.start(tools.runner(module))
        except (InputError, OSError) as exc:
            if not complain:
                raise  # nothing is left behind: syscall_trace.start_tracer stops a tracer that did not attach
            trace = dict(running=False, changed=False, error=problem(exc))
        else:
            trace.update(running=True, pid=pid)
            done.append("the tracer was started (pid %d)" % pid)
    if trace.get("error"):
        module.warn("the tracer cannot be used (%s): %s" % (trace["error"], NO_TRACER))
    changed = bool(trace["changed"] or chosen)

    if complain:
        try:
            cursor_changed, scanned, _diff = audit_scan.scan_and_store(module, scan_params, cursor_file, before,
                                                                       audit_scan.unattributed, sources)
        except (InputError, OSError) as exc:
            fail(module, exc, done + undo_start(module, tracer, trace), changed=changed, trace=trace, **result)
        result["cursor"] = dict(cursor_file=cursor_file, sources=scanned["sources"])
        changed = changed or cursor_changed
        done.append("the kernel record cursor was set at the end in %s" % cursor_file)
    if module.check_mode or not chosen:
        module.exit_json(changed=changed, trace=trace, **result)
    try:
        result.update(restarts.restart(crictl, chosen, params["timeout"]))
    except (InputError, OSError) as exc:
        fail(module, exc, done + undo_start(module, tracer, trace), changed=True, trace=trace, **result)
    module.exit_json(changed=True, trace=trace, **result)


def stop_observe(module, params, trace_dir):
    """What syscall_trace state=stopped returns; the containers are listed before the tracer is stopped (a check),
    and again once it is (the trace's last containers)."""
    tracer = syscall_trace.Tracer(trace_dir, TRACE_DIR_IS).read(params["profile"])
    result = {}
    stale_warning(module, tracer, "stopped")
    if tracer.stale:
        result["stale_pid_file"] = tracer.stale
    tracer.check_held()
    client = crictl_or_warn(module)
    what = "the traced processes cannot be attributed to containers"
    containers = identities(client, what)
    # Everything is checked: the tracer is stopped.
    was = tracer.tracer if not module.check_mode else None
    try:
        changed = tracer.finish(True, module.check_mode)
    except (InputError, OSError) as exc:  # its last save, or its pid file, once it was stopped
        fail(module, exc, ["the tracer (pid %d) was stopped" % was["pid"]] if was else [])
    if was:
        containers = identities(client, what, [
            "the tracer (pid %d) was stopped; its trace is kept in %s, which k8s.seccomp_default.syscall_trace with "
            "state=collected judges" % (was["pid"], tracer.state_path)])
    result.update(syscall_trace.report(tracer.state, tracer.profile, containers))
    decide(params, result, True)
    running = tracer.running()
    module.exit_json(changed=changed, running=running if module.check_mode else False, **result)


def stop_complain(module, params, trace_dir, cursor_dir):
    """What audit_scan returns, with the tracer's stop under ``trace``."""
    owners_from = os.path.join(trace_dir, syscall_trace.STATE_FILE)
    scan_params = scan_options(params, cursor_dir, reset=False)
    cursor_file, before = audit_scan.checked_cursors(scan_params)
    sources = audit_scan.require_sources(audit_scan.chosen_sources(scan_params))
    # The tracer, if one was started: its files are checked, but a problem with them is no failure.
    tracer = syscall_trace.Tracer(trace_dir, TRACE_DIR_IS)
    trace_error = None
    try:
        tracer.read(params["profile"])
        if tracer.record:
            tracer.check_held()
    except (InputError, OSError) as exc:
        trace_error = problem(exc)
    stale_warning(module, tracer, "stopped")
    audit_scan.load_owners(owners_from)  # checked now; read again once the tracer saved its last state
    client = crictl_or_warn(module)
    containers = identities(client, None)
    # Everything is checked: the tracer is stopped.
    was, done = tracer.tracer, []
    if trace_error is None and tracer.record:
        try:
            trace = dict(changed=tracer.finish(True, module.check_mode))
        except (InputError, OSError) as exc:  # its last save or its pid file, once it was stopped
            trace_error = problem(exc)
            trace = dict(changed=True, error=trace_error)
    elif was:
        # A tracer whose trace cannot be judged (its profile or libseccomp is missing): stopped all the same.
        trace = dict(changed=True, error=trace_error)
        if not module.check_mode:
            try:
                tracer.end()
            except (InputError, OSError) as exc:  # its pid file, once it was stopped
                fail(module, exc, ["the tracer (pid %d) was stopped" % was["pid"]], changed=True, trace=trace)
    else:
        trace = dict(changed=False, error=trace_error) if trace_error else dict(changed=False)
    if tracer.stale:
        trace["stale_pid_file"] = tracer.stale
    if was and not module.check_mode:
        done.append("the tracer (pid %d) was stopped; its state is kept in %s" % (was["pid"], owners_from))
        containers = identities(client, None, done)
    trace["running"] = tracer.running() if module.check_mode else False
    if trace_error:
        module.warn("the tracer's files cannot be used (%s): %s" % (trace_error, NO_TRACER))
    elif tracer.record:
        trace.update(syscall_trace.report(tracer.state, tracer.profile, containers))
    try:
        seen = audit_scan.load_owners(owners_from)
        attribute = audit_scan.ProcessTable(containers=containers, seen_processes=seen)
        changed, result, _diff = audit_scan.scan_and_store(module, scan_params, cursor_file, before, attribute, sources)
    except (InputError, OSError) as exc:
        fail(module, exc, done, changed=trace["changed"], trace=trace)
    decide(params, result, result["complete"])
    module.exit_json(changed=changed or trace["changed"], cursor_file=cursor_file, trace=trace, **result)


def decide(params, result, complete):
    """The audit's decision over the entries in ``result``, with O(pods)."""
    if params["pods"] is not None:
        result["decision"] = audit_gate.audit_gate(result["entries"], params["pods"], params["kubelet_root_dir"], complete)


def window(module):
    params = module.params
    state_dir = params["state_dir"]
    if os.path.lexists(state_dir) and not os.path.isdir(state_dir):
        raise InputError("is not a directory (option state_dir: the rollout's state directory)", path=state_dir)
    if params["pods"] is not None:
        audit_gate.audit_gate([], params["pods"], params["kubelet_root_dir"])  # a bad pod list is named before anything stops
    trace_dir, cursor_dir = os.path.join(state_dir, TRACE_DIR), os.path.join(state_dir, CURSOR_DIR)
    if params["state"] == "started":
        start(module, params, trace_dir, cursor_dir)
    elif params["mode"] == "observe":
        stop_observe(module, params, trace_dir)
    else:
        stop_complain(module, params, trace_dir, cursor_dir)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", required=True, choices=["started", "stopped"]),
            mode=dict(type="str", required=True, choices=["observe", "complain"]),
            profile=dict(type="path", required=True),
            state_dir=dict(type="path", default="/var/lib/k8s-seccomp-default"),
            containers=dict(type="list", elements="dict", default=[]),
            restart=dict(type="bool", default=True),
            timeout=dict(type="int", default=180),
            bpftrace=dict(type="str"),
            pods=dict(type="dict"),
            kubelet_root_dir=dict(type="path", default="/var/lib/kubelet"),
            **dict(audit_scan.SOURCE_ARGUMENT_SPEC, **cri.ARGUMENT_SPEC)
        ),
        supports_check_mode=True,
    )
    errors.run_module(module, window)


if __name__ == "__main__":
    main()
