#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: enforce_containers
short_description: Recreate the containers whose profile changed, check what the runtime applied, and watch the node once
version_added: 0.6.0
description:
  - Enforcement's step on a node once C(seccompDefault) is on, in one task - what M(k8s.seccomp_default.node_watch)
    (C(start=true)), M(k8s.seccomp_default.restart_containers), M(k8s.seccomp_default.applied_profiles) and one
    M(k8s.seccomp_default.node_watch) step do one after another.
  - Marks the start of the watch (the node's clock, the kubelet unit's restart count, the kernel record cursor at the
    end), restarts each running container of O(containers) and waits for its successor (the stopped instances are
    removed, so that the kubelet does not back off; see M(k8s.seccomp_default.restart_containers)), checks the
    profile every running container really got against its effective profile with C(seccompDefault) on, waits
    O(wait) seconds and watches the node once - containers restarted or stopped since the start, the kubelet's
    health, the kernel's seccomp records.
  - Fails, saying what was already done, when a successor does not run, when a container does not have the profile
    it should (unless O(fail_on_mismatch=false)), or when the watch sees a problem. Every option, O(pods) and the
    C(crictl) listing are checked before anything is stopped.
  - Longer watches go on with M(k8s.seccomp_default.node_watch), with RV(watch) as its start.
attributes:
  check_mode:
    support: full
    description: Lists what would be recreated; nothing is stopped, checked or watched.
  diff_mode:
    support: none
    description: Containers are not files.
notes:
  - Needs C(crictl) on the node, configured for the runtime (C(/etc/crictl.yaml) or C(CONTAINER_RUNTIME_ENDPOINT)).
author:
  - k8s.seccomp_default contributors (@k8s-seccomp-default)
extends_documentation_fragment:
  - k8s.seccomp_default.cri
  - k8s.seccomp_default.restart
  - k8s.seccomp_default.node_watch
  - k8s.seccomp_default.applied
"""

EXAMPLES = r"""
- name: Recreate the containers that change, check them and watch the node once
  k8s.seccomp_default.enforce_containers:
    containers:
      - {namespace: shop, pod: cart-7d9f8-x2x1, container: cart}
    pods: "{{ node_pods.json }}"
    kernel_state_dir: /var/lib/k8s-seccomp-default/audit-scan
"""

RETURN = r"""
watch:
  description: The start of the watch - C(since) (nanoseconds on the node's clock) and C(service) (the unit's state,
    with C(n_restarts)), what M(k8s.seccomp_default.node_watch) takes to go on watching.
  returned: always
  type: dict
restarted:
  description: Each recreated container - C(namespace), C(pod), C(container), C(old_id), C(new_id) (null in check mode).
  returned: always
  type: list
  elements: dict
removed:
  description: IDs of the stopped containers that were removed.
  returned: success
  type: list
  elements: str
not_running:
  description: Requested containers that had no running instance.
  returned: always
  type: list
  elements: dict
containers:
  description: Each running container's check, as M(k8s.seccomp_default.applied_profiles) returns it.
  returned: unless in check mode
  type: list
  elements: dict
mismatches:
  description: The containers whose profile is not what it should be.
  returned: unless in check mode
  type: list
  elements: dict
verified:
  description: How many containers were checked and agreed.
  returned: unless in check mode
  type: int
watched:
  description: The watch's step, as M(k8s.seccomp_default.node_watch) returns it - C(restarted), C(healthy),
    C(service), C(kernel_records), C(kernel_stops).
  returned: unless in check mode, once the check passed
  type: dict
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.k8s.seccomp_default.plugins.module_utils import applied, cri, errors, node_watch, restarts, tools


def enforce(module):
    params = module.params
    restarts.wanted_containers(params["containers"])
    restarts.check_timeout(params["timeout"])
    node_watch.health_url(params["healthz_url"], "healthz_url")
    for name in ("wait", "max_restarts"):
        if params[name] < 0:
            raise errors.InputError("must not be negative", field=name, value=params[name], expected="0 or more")
    expected = applied.expected_profiles(params["pods"], True, params["kubelet_root_dir"], params["runtime"])
    cursor_file = node_watch.cursor_path(params["kernel_state_dir"], params["cursor_name"])
    crictl = cri.Crictl.for_module(module)
    run = tools.runner(module)
    chosen, not_running = restarts.plan(crictl, params["containers"])
    watch = node_watch.mark_start(cursor_file, run, crictl, params["unit"], module.check_mode)
    result = dict(watch=watch, not_running=not_running, restarted=restarts.planned(chosen))
    if module.check_mode:
        module.exit_json(changed=bool(chosen), **result)
    if chosen:
        try:
            result.update(restarts.restart(crictl, chosen, params["timeout"], params["remove_stopped"]))
        except restarts.RestartError as exc:
            module.fail_json(msg=str(exc), **dict(result, **exc.result))
    else:
        result.update(restarted=[], removed=[])
    changed = bool(chosen)
    checked, mismatch, warnings = applied.check_running(crictl, expected)
    for text in warnings:
        module.warn(text)
    result.update(checked)
    if mismatch and params["fail_on_mismatch"]:
        module.fail_json(msg=mismatch, changed=changed, **result)
    time.sleep(params["wait"])
    restarts_before = (watch["service"] or {}).get("n_restarts", 0)
    result["watched"], problems = node_watch.step(
        crictl, run, watch["since"], [row["container_id"] for row in checked["containers"]], restarts_before,
        params["max_restarts"], params["healthz_url"], params["unit"], cursor_file, False)
    if problems:
        module.fail_json(msg="; ".join(problems), changed=changed, **result)
    module.exit_json(changed=changed, **result)


def main():
    module = AnsibleModule(
        argument_spec=dict(dict(restarts.ARGUMENT_SPEC, **applied.ARGUMENT_SPEC), **dict(node_watch.ARGUMENT_SPEC, **cri.ARGUMENT_SPEC)),
        supports_check_mode=True,
    )
    errors.run_module(module, enforce)


if __name__ == "__main__":
    main()
