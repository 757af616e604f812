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
  - k8s.seccomp_default.bpftrace
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

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.k8s.seccomp_default.plugins.module_utils import cri, errors, syscall_trace, tools

# Where callers (and the unit tests) have always found it.
load_profile = syscall_trace.load_profile


def trace(module):
    params = module.params
    # Everything is read and checked before anything is started, signalled or removed.
    tracer = syscall_trace.Tracer(params["state_dir"]).read(params["profile"])
    result = {}
    if tracer.stale:
        result["stale_pid_file"] = tracer.stale
        module.warn("%s is stale, no process was signalled: %s; %s"
                    % (tracer.pid_path, tracer.stale, syscall_trace.STALE_THEN[params["state"]]))
    if params["state"] == "started":
        if tracer.tracer:
            module.exit_json(changed=False, running=True, pid=tracer.tracer["pid"], **result)
        if module.check_mode:
            module.exit_json(changed=True, running=False, **result)
        tracer.prepare_start(params["bpftrace"])
        pid = tracer.start(tools.runner(module))
        module.exit_json(changed=True, running=True, pid=pid, **result)
    changed = tracer.finish(params["state"] == "stopped", module.check_mode)
    result.update(syscall_trace.report(tracer.state, tracer.profile, syscall_trace.traced_containers(module)))
    running = tracer.running()
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
