#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: syscall_trace
short_description: The audit's observe mode - trace the syscalls of a node's containers and judge them against a profile
version_added: 0.3.0
description:
  - containerd has no setting that makes RuntimeDefault log instead of block (docs/kubernetes-facts.md#containerd-knobs).
    This module watches the containers from outside instead, without restarting or changing any of them.
  - O(state=started) starts a detached tracer on the node - bpftrace on the C(raw_syscalls:sys_enter) tracepoint,
    printing each (process, syscall) once, and a collector that attributes each new process to its pod and container
    through C(/proc/<pid>/cgroup) at once and keeps what it saw in O(state_dir). Host processes are left out.
  - O(state=stopped) stops it and returns every traced syscall of every container with the verdict of O(profile) -
    C(allowed), C(blocked), C(conditional) (the profile decides on an argument other than the first, which is not
    traced) or C(unknown) (a syscall number the node's libseccomp has no name for). O(state=collected) returns the
    same while the tracer keeps running.
  - Needs the system libseccomp to name syscall numbers; without it the module fails rather than judge every call.
  - It works on CRI-O nodes too, as a second opinion beside complain mode.
options:
  state:
    description: C(started), C(stopped) or C(collected).
    type: str
    choices: [started, stopped, collected]
    default: started
  profile:
    description: The profile the containers will get (kubernetes/default.json). Read when the tracer starts, to trace the
      first argument of the syscalls it has argument conditions for, and again to judge.
    type: path
    required: true
  state_dir:
    description: Directory on the node for the tracer's pid and state files.
    type: path
    default: /var/lib/k8s-seccomp-default/trace
  bpftrace:
    description:
      - Path of C(bpftrace) on the node (package C(bpftrace) on Debian, Ubuntu and RHEL), or another name to search for.
      - By default it is searched in E(PATH), then in C(/usr/local/bin), C(/usr/bin) and C(/opt/bin).
    type: str
attributes:
  check_mode:
    support: full
    description: Starts and stops nothing; O(state=collected) reads as usual.
  diff_mode:
    support: none
    description: Nothing on disk is changed that a diff would help with.
notes:
  - Needs root, a kernel with BTF-less tracepoint support (C(CONFIG_FTRACE_SYSCALLS)) and tracefs; tracefs is mounted at
    C(/sys/kernel/tracing) when it is not.
  - A process that makes a syscall and exits before the collector reads its cgroup is counted as C(exited) and left out.
  - Syscalls are recorded with this machine's native numbers; 32-bit (compat) processes are not told apart.
  - The tracer's pid file records the process's start time, boot, executable and command line, and a process is
    signalled only while it still matches them. A pid file whose process is not that tracer (after a reboot, or with
    its pid reused) is stale - a warning says so; O(state=stopped) removes the file, O(state=started) starts a new
    tracer.
  - A profile, pid file or state file that is not what it should be (not JSON, a field of the wrong type, a profile
    without C(defaultAction), a directory or symlink in place of a file) fails the task naming the file and the
    field, with nothing started, signalled or removed.
author:
  - k8s.seccomp_default contributors (@k8s-seccomp-default)
extends_documentation_fragment:
  - k8s.seccomp_default.cri
"""

EXAMPLES = r"""
- name: Watch the node's containers during the soak
  k8s.seccomp_default.syscall_trace:
    profile: /var/lib/kubelet/seccomp/kubernetes/default.json

- name: After the soak - what would kubernetes/default block?
  k8s.seccomp_default.syscall_trace:
    state: stopped
    profile: /var/lib/kubelet/seccomp/kubernetes/default.json
  register: seccomp_trace

- name: Show it
  ansible.builtin.debug:
    msg: "{{ seccomp_trace.entries | selectattr('verdict', 'equalto', 'blocked') | list }}"
"""

RETURN = r"""
running:
  description: Whether the tracer runs after this task.
  returned: always
  type: bool
pid:
  description: The tracer's process ID.
  returned: when it runs
  type: int
entries:
  description: One entry per (container, executable, syscall, first argument where the profile looks at it).
  returned: when O(state=stopped) or O(state=collected)
  type: list
  elements: dict
  contains:
    pod:
      description: Pod name (from C(crictl)), when known.
      type: str
    namespace:
      description: Pod namespace.
      type: str
    pod_uid:
      description: Pod UID from the cgroup.
      type: str
    container:
      description: Container name.
      type: str
    container_id:
      description: Container ID from the cgroup.
      type: str
    exe:
      description: Executable.
      type: str
    syscall:
      description: Syscall name.
      type: str
    arg0:
      description: The first argument, when the profile has conditions on it.
      type: int
    processes:
      description: How many processes made the call.
      type: int
    action:
      description: The profile's action for it.
      type: str
    verdict:
      description: C(allowed), C(blocked), C(conditional) or C(unknown).
      type: str
blocked:
  description: The entries with the verdict C(blocked).
  returned: when O(state=stopped) or O(state=collected)
  type: list
  elements: dict
error:
  description: Why the tracer stopped by itself, if it did.
  returned: when O(state=stopped) or O(state=collected)
  type: str
stale_pid_file:
  description: Why the pid file in O(state_dir) was not the running tracer's (no process was signalled).
  returned: when the pid file was stale
  type: str
seconds:
  description: How long it traced.
  returned: when O(state=stopped) or O(state=collected)
  type: float
"""

import json
import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.k8s.seccomp_default.plugins.module_utils import cri, errors, files, libseccomp, syscall_trace, tools
from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError


def load_profile(path):
    text = errors.read_file(path, missing_ok=True)
    if text is None:
        raise InputError("does not exist: install the built-in profiles first, or give the profile the containers get",
                         path=path)
    try:
        profile = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InputError("is not JSON: %s" % errors.short_repr(str(exc), 200), path=path)
    return syscall_trace.check_profile(profile, path)


def start(profile, pid_path, state_path, bpftrace):
    """Fork the tracer off as a daemon (as async_wrapper does), then wait until bpftrace is attached."""
    if os.path.exists(state_path):
        os.unlink(state_path)
    first = os.fork()
    if first == 0:
        os.setsid()
        if os.fork() != 0:
            os._exit(0)
        null = os.open(os.devnull, os.O_RDWR)
        for descriptor in (0, 1, 2):
            os.dup2(null, descriptor)
        try:
            files.atomic_write(pid_path, (json.dumps(syscall_trace.tracer_record()) + "\n").encode(), 0o600)
            syscall_trace.run_collector(state_path, profile, bpftrace)
        finally:
            os._exit(0)
    os.waitpid(first, 0)
    deadline = time.time() + 10
    record = syscall_trace.read_pid_file(pid_path)
    while record is None and time.time() < deadline:
        time.sleep(0.05)
        record = syscall_trace.read_pid_file(pid_path)
    if record is None:
        raise syscall_trace.TraceError("the tracer did not start: it wrote no pid file within 10 s", path=pid_path)
    try:
        syscall_trace.wait_until_attached(state_path, record["pid"])
    except syscall_trace.TraceError:
        # Nothing is left behind: no tracer half started, and no pid file that a later owner of the pid would inherit.
        tracer = syscall_trace.check_tracer(record)[0]
        if tracer:
            syscall_trace.stop_tracer(tracer)
        os.unlink(pid_path)
        raise
    return record["pid"]


def report(module, state, profile):
    try:
        containers = cri.identities_or_warn(module)
    except cri.CriError as exc:
        raise InputError("the traced processes cannot be attributed to containers: %s" % exc)
    entries = syscall_trace.judge(state.get("entries") or [], profile, containers)
    entries.sort(key=lambda entry: (entry["verdict"] != "blocked", entry.get("pod") or "", entry["syscall"]))
    return dict(entries=entries, blocked=[entry for entry in entries if entry["verdict"] == "blocked"],
                error=state.get("error"), seconds=round(state.get("saved", 0) - state.get("started", 0), 1),
                lines=state.get("lines", 0))


STALE_THEN = dict(started="a new tracer is started", stopped="the file is removed", collected="it is left as it is")


def trace(module):
    params = module.params
    state_dir = params["state_dir"]
    if os.path.lexists(state_dir) and not os.path.isdir(state_dir):
        raise InputError("is not a directory (option state_dir: where the tracer keeps its pid and state files)",
                         path=state_dir)
    pid_path = os.path.join(state_dir, "tracer.pid")
    state_path = os.path.join(state_dir, "tracer.json")
    # Everything is read and checked before anything is started, signalled or removed.
    record = syscall_trace.read_pid_file(pid_path)
    tracer, stale = syscall_trace.check_tracer(record) if record else (None, None)
    profile = load_profile(params["profile"])
    state = syscall_trace.read_state(state_path, own=True)
    if libseccomp.library() is None:
        # Without it no syscall number has a name, and every traced call would fall to the default action.
        raise InputError("%s: the trace's syscall numbers cannot be named, so no call can be judged against %s; "
                         "install the system libseccomp (libseccomp2 on Debian and Ubuntu, libseccomp on RHEL)"
                         % (libseccomp.load_error(), params["profile"]))
    result = {}
    if stale:
        result["stale_pid_file"] = stale
        module.warn("%s is stale, no process was signalled: %s; %s" % (pid_path, stale, STALE_THEN[params["state"]]))
    if params["state"] == "started":
        if tracer:
            module.exit_json(changed=False, running=True, pid=tracer["pid"], **result)
        if module.check_mode:
            module.exit_json(changed=True, running=False, **result)
        try:
            bpftrace = tools.find_tool("bpftrace", params["bpftrace"])
        except tools.ToolNotFound as exc:
            raise InputError("%s (module option bpftrace, variable seccomp_bpftrace)" % exc)
        syscall_trace.own_file(state_path + ".stderr", "the file the tracer keeps bpftrace's errors in")
        syscall_trace.ensure_tracefs(tools.runner(module))
        files.ensure_directories(pid_path, 0o700)
        if record:
            os.unlink(pid_path)
        pid = start(profile, pid_path, state_path, bpftrace)
        module.exit_json(changed=True, running=True, pid=pid, **result)
    if state is None and tracer is None:
        raise InputError("holds no trace: start one with state=started", path=state_dir)
    changed = False
    if params["state"] == "stopped" and record:
        changed = True
        if not module.check_mode:
            if tracer:
                syscall_trace.stop_tracer(tracer)
                state = syscall_trace.read_state(state_path, own=True)  # its last save
            os.unlink(pid_path)
    if state is None:
        raise InputError("holds no trace: the tracer saved none; start one with state=started", path=state_dir)
    result.update(report(module, state, profile))
    running = tracer is not None and syscall_trace.process_identity(tracer["pid"]) == tracer
    module.exit_json(changed=changed, running=running if params["state"] == "collected" or module.check_mode else False,
                     **result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", default="started", choices=["started", "stopped", "collected"]),
            profile=dict(type="path", required=True),
            state_dir=dict(type="path", default="/var/lib/k8s-seccomp-default/trace"),
            bpftrace=dict(type="str"),
            **cri.ARGUMENT_SPEC
        ),
        supports_check_mode=True,
    )
    errors.run_module(module, trace)


if __name__ == "__main__":
    main()
