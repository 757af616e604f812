#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: node_watch
short_description: Watch a node after seccompDefault turned on - restarted containers, kubelet health, kernel seccomp records
version_added: 0.4.0
description:
  - Enforcement's watch, one step at a time. The first call (O(start=true)) is made before the containers are recreated
    under RuntimeDefault. It returns the node's clock (RV(since)) and, with O(kernel_state_dir), marks where the
    kernel's seccomp records stand.
  - Every later call waits O(wait) seconds and then judges the node. It fails, naming what it saw, when any of these happened
    since the start.
  - More than O(max_restarts) containers restarted or stopped. A container counts when it was created since the
    start and is not one of the O(baseline) containers (those the verification saw running), or when it is one of
    them and no longer runs.
  - The kubelet's C(/healthz) does not answer C(ok), or systemd restarted the unit since the start (its C(NRestarts)
    went past O(restarts_before)), or the unit failed.
  - The kernel recorded a seccomp kill, or a logged denial, of one of the node's containers. Ordinary EPERM
    denials of the default profiles leave no record (docs/kubernetes-facts.md#when-the-kernel-logs), so restarts and
    health are the primary signals.
  - Calling it in a loop of short O(wait) steps shows progress and stops a bad batch at the first step that sees it.
options:
  start:
    description: Only mark the start of the watch. Returns RV(since) and sets the kernel record cursor to the end of every source.
    type: bool
    default: false
  since:
    description: The RV(since) of the start call (nanoseconds, node clock, as the runtime stamps C(createdAt)). Required unless O(start).
    type: int
  baseline:
    description: IDs of the containers that run as they should after recreation (M(k8s.seccomp_default.applied_profiles)'s C(container_id)s).
    type: list
    elements: str
    default: []
  restarts_before:
    description: The kubelet unit's C(NRestarts) at the start (the start call's RV(service)).
    type: int
    default: 0
attributes:
  check_mode:
    support: full
    description: Judges the node the same way but does not move the kernel record cursor.
  diff_mode:
    support: none
    description: Changes nothing on the node but its own cursor file.
notes:
  - The cursor file is the watch's own bookkeeping, so the module never reports C(changed).
author:
  - k8s.seccomp_default contributors (@k8s-seccomp-default)
extends_documentation_fragment:
  - k8s.seccomp_default.cri
  - k8s.seccomp_default.node_watch
"""

EXAMPLES = r"""
- name: Mark the start of the watch, before the containers are recreated
  k8s.seccomp_default.node_watch:
    start: true
    kernel_state_dir: /var/lib/k8s-seccomp-default/audit-scan
  register: watch_start

- name: Watch the node for a minute, in six steps
  k8s.seccomp_default.node_watch:
    since: "{{ watch_start.since }}"
    restarts_before: "{{ watch_start.service.n_restarts }}"
    wait: 10
    baseline: "{{ applied.containers | map(attribute='container_id') | list }}"
    kernel_state_dir: /var/lib/k8s-seccomp-default/audit-scan
  loop: "{{ range(6) | list }}"
"""

RETURN = r"""
since:
  description: The start of the watch, in nanoseconds on the node's clock.
  returned: always
  type: int
restarted:
  description: C(namespace/pod/container) of every container that restarted or stopped since the start.
  returned: unless O(start)
  type: list
  elements: str
healthy:
  description: Whether C(/healthz) answered C(ok) and systemd had not restarted the kubelet.
  returned: unless O(start)
  type: bool
service:
  description: The kubelet unit's C(active_state), C(sub_state), C(n_restarts) and C(main_pid) (null without systemd).
  returned: always
  type: dict
kernel_records:
  description: How many seccomp records the kernel wrote since the previous step (none without O(kernel_state_dir)).
  returned: unless O(start)
  type: int
kernel_stops:
  description:
    - The kernel record entries (as M(k8s.seccomp_default.audit_scan) returns them) that stopped a container's syscall.
  returned: unless O(start)
  type: list
  elements: dict
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.k8s.seccomp_default.plugins.module_utils import cri, errors, node_watch, tools


def watch(module):
    params = module.params
    node_watch.health_url(params["healthz_url"], "healthz_url")
    for name in ("wait", "restarts_before", "max_restarts"):
        if params[name] < 0:
            raise errors.InputError("must not be negative", field=name, value=params[name], expected="0 or more")
    cursor_file = node_watch.cursor_path(params["kernel_state_dir"], params["cursor_name"])
    crictl = cri.Crictl.for_module(module)
    run = tools.runner(module)
    if params["start"]:
        module.exit_json(changed=False, **node_watch.mark_start(cursor_file, run, crictl, params["unit"], module.check_mode))

    time.sleep(params["wait"])
    result, problems = node_watch.step(crictl, run, params["since"], params["baseline"], params["restarts_before"],
                                       params["max_restarts"], params["healthz_url"], params["unit"], cursor_file, module.check_mode)
    if problems:
        module.fail_json(msg="; ".join(problems), changed=False, **result)
    module.exit_json(changed=False, **result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dict(start=dict(type="bool", default=False), since=dict(type="int"), baseline=dict(type="list", elements="str", default=[]),
                 restarts_before=dict(type="int", default=0), **node_watch.ARGUMENT_SPEC),
            **cri.ARGUMENT_SPEC
        ),
        required_if=[("start", False, ("since",))],
        supports_check_mode=True,
    )
    errors.run_module(module, watch)


if __name__ == "__main__":
    main()
