# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The audit's window on a node, either mode: its start before the soak and its stop after it (the audit_window
module). The modules that begin or end a batch's step with the window - the plan starts it, the switch and enforcement
stop it and go on only where the audit passed - call the same functions, so that the window is opened and closed one
way, with the same files: the tracer in <state_dir>/trace, the kernel record cursor ``audit`` in <state_dir>/audit-scan.

Each function returns the result the audit_window module returns; a failure after something was done raises
WindowFailed, with what was done; a bad option or file raises InputError before anything is done."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.k8s.seccomp_default.plugins.module_utils import (
    audit_gate, audit_options, audit_scan, cri, errors, restarts, syscall_trace, tools)
from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError

# Under state_dir, where the role's separate tasks kept them: syscall_trace's state_dir and audit_scan's.
TRACE_DIR = "trace"
CURSOR_DIR = "audit-scan"
CURSOR_NAME = "audit"
TRACE_DIR_IS = "the tracer's directory in option state_dir"
NO_TRACER = ("complain mode goes on without it; it only attributes the kernel's records of processes that exit before "
             "they are read")
# audit_window's own options: the window's (module_utils/audit_options) and where the kernel's records are read.
STOP_SPEC = dict(
    audit_options.COMMON_SPEC,
    pods=dict(type="dict"),
    kubelet_root_dir=dict(type="path", default="/var/lib/kubelet"),
    **audit_scan.SOURCE_ARGUMENT_SPEC
)


class WindowFailed(Exception):
    """The window failed after something was done: ``msg`` says what went wrong and what was done, ``result`` is what
    the task returns with it."""

    def __init__(self, msg, result):
        super(WindowFailed, self).__init__(msg)
        self.msg = msg
        self.result = result


def problem(exc):
    """What went wrong, in words: an InputError's message, or an OSError's with its file."""
    if isinstance(exc, InputError):
        return str(exc)
    return str(errors.os_error(exc, getattr(exc, "filename", None) or "a file", "used"))


def failed(exc, done, **result):
    """WindowFailed for ``exc``, which came after what ``done`` says (sentences), with the result so far."""
    msg = problem(exc)
    if done:
        msg = "%s; already done: %s" % (msg, "; ".join(done))
    if isinstance(exc, restarts.RestartError):
        result.update(exc.result)
    elif isinstance(exc, InputError):
        result["error"] = exc.details()
    return WindowFailed(msg, dict(result, done=done))


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


def crictl(module, params):
    """crictl, or an InputError that names the tool and where it was looked for."""
    try:
        return cri.Crictl(module.run_command, params.get("crictl"), params.get("runtime_endpoint"))
    except tools.ToolNotFound as exc:
        raise InputError("%s (module option crictl, variable seccomp_crictl)" % exc)


def crictl_or_warn(module, params):
    """crictl, or None with a warning (as cri.identities_or_warn): the trace then names containers by ID only."""
    try:
        return cri.Crictl(module.run_command, params.get("crictl"), params.get("runtime_endpoint"))
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


def directories(params):
    """(trace_dir, cursor_dir) under the state directory, which is checked."""
    state_dir = params["state_dir"]
    if os.path.lexists(state_dir) and not os.path.isdir(state_dir):
        raise InputError("is not a directory (option state_dir: the rollout's state directory)", path=state_dir)
    return os.path.join(state_dir, TRACE_DIR), os.path.join(state_dir, CURSOR_DIR)


def source_defaults(params):
    """``params`` with where the kernel's records are read (audit_scan.SOURCE_ARGUMENT_SPEC) as their defaults where
    they are not given: a module that opens the window without those options sets its cursor where the stop reads."""
    return dict(dict((name, spec.get("default")) for name, spec in audit_scan.SOURCE_ARGUMENT_SPEC.items()), **params)


def start(module, mode, params):
    """Open the window: the tracer started (best effort in complain mode), the kernel record cursor set at the end
    (complain mode), the containers restarted (``restart``) so that the tracer sees them start. The result."""
    params = source_defaults(params)
    trace_dir, cursor_dir = directories(params)
    complain = mode == "complain"
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
    client, chosen, not_running = None, [], []
    if params["restart"] and containers:
        client = crictl(module, params)
        chosen, not_running = restarts.plan(client, containers)
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
            raise failed(exc, done + undo_start(module, tracer, trace), changed=changed, trace=trace, **result)
        result["cursor"] = dict(cursor_file=cursor_file, sources=scanned["sources"])
        changed = changed or cursor_changed
        done.append("the kernel record cursor was set at the end in %s" % cursor_file)
    if module.check_mode or not chosen:
        return dict(result, changed=changed, trace=trace)
    try:
        result.update(restarts.restart(client, chosen, params["timeout"]))
    except (InputError, OSError) as exc:
        raise failed(exc, done + undo_start(module, tracer, trace), changed=True, trace=trace, **result)
    return dict(result, changed=True, trace=trace)


def check_stop(params):
    """What a stop is given, checked before anything stops: the state directory and a bad pod list, named."""
    directories(params)
    if params["pods"] is not None:
        audit_gate.audit_gate([], params["pods"], params["kubelet_root_dir"])


def close(module, mode, params):
    """check_stop, then stop: for a module that ends the audit as the first part of its step."""
    check_stop(params)
    return stop(module, mode, params)


def stop(module, mode, params):
    """Close the window in ``mode`` (after check_stop): the result, with the audit's decision where ``pods`` is given."""
    params = source_defaults(params)
    trace_dir, cursor_dir = directories(params)
    if mode == "observe":
        return stop_observe(module, params, trace_dir)
    return stop_complain(module, params, trace_dir, cursor_dir)


def stop_observe(module, params, trace_dir):
    """What syscall_trace state=stopped returns; the containers are listed before the tracer is stopped (a check),
    and again once it is (the trace's last containers)."""
    tracer = syscall_trace.Tracer(trace_dir, TRACE_DIR_IS).read(params["profile"])
    result = {}
    stale_warning(module, tracer, "stopped")
    if tracer.stale:
        result["stale_pid_file"] = tracer.stale
    tracer.check_held()
    client = crictl_or_warn(module, params)
    what = "the traced processes cannot be attributed to containers"
    containers = identities(client, what)
    # Everything is checked: the tracer is stopped.
    was = tracer.tracer if not module.check_mode else None
    try:
        changed = tracer.finish(True, module.check_mode)
    except (InputError, OSError) as exc:  # its last save, or its pid file, once it was stopped
        raise failed(exc, ["the tracer (pid %d) was stopped" % was["pid"]] if was else [])
    if was:
        containers = identities(client, what, [
            "the tracer (pid %d) was stopped; its trace is kept in %s, which k8s.seccomp_default.syscall_trace with "
            "state=collected judges" % (was["pid"], tracer.state_path)])
    result.update(syscall_trace.report(tracer.state, tracer.profile, containers))
    decide(params, result, True)
    running = tracer.running()
    return dict(result, changed=changed, running=running if module.check_mode else False)


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
    client = crictl_or_warn(module, params)
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
                raise failed(exc, ["the tracer (pid %d) was stopped" % was["pid"]], changed=True, trace=trace)
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
        raise failed(exc, done, changed=trace["changed"], trace=trace)
    decide(params, result, result["complete"])
    return dict(result, changed=changed or trace["changed"], cursor_file=cursor_file, trace=trace)


def decide(params, result, complete):
    """The audit's decision over the entries in ``result``, with ``pods``."""
    if params["pods"] is not None:
        result["decision"] = audit_gate.audit_gate(result["entries"], params["pods"], params["kubelet_root_dir"], complete)


def in_step(module, call, *args):
    """``call(module, *args)`` for a module whose step begins or ends with the window: its result, or on any failure a
    result with ``failed`` and ``msg`` (and what was done), for the role to record as the audit's error - the step
    itself then does nothing more."""
    try:
        return call(module, *args)
    except WindowFailed as exc:
        return dict(exc.result, failed=True, msg=exc.msg)
    except InputError as exc:
        return dict(changed=False, failed=True, msg=str(exc), error=exc.details())
    except (IOError, OSError) as exc:
        named = errors.os_error(exc, getattr(exc, "filename", None) or "a file", "used")
        return dict(changed=False, failed=True, msg=str(named), error=named.details())
