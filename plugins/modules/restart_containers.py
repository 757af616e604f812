#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: restart_containers
short_description: Restart chosen containers on a node through the CRI, so that they get the runtime's current profile
version_added: 0.3.0
description:
  - Stops each running container named in O(containers) with C(crictl stop); the kubelet then creates it again, and the
    new container gets the seccomp profile the runtime and the kubelet give now (a CRI-O C(seccomp_profile) reload,
    C(seccompDefault)). Waits until each has a running successor.
  - A restart costs each container what a crash would - its processes stop, its C(emptyDir) volumes stay, the pod keeps
    its IP. Containers of pods with C(restartPolicy - Never) are not restarted by the kubelet, so they are skipped and
    listed.
  - With O(remove_stopped) (the default), each stopped container is then removed (C(crictl rm)), as deleting its pod
    would remove it. The kubelet backs off before it restarts a container whose last instance exited - 10 s, doubling
    up to 5 min while it keeps exiting, counted from the last restart for 10 min (C(doBackOff) in the kubelet's
    C(kuberuntime_manager.go)) - and it only looks at exited instances that still exist; without this, a container
    restarted twice within 10 minutes (by the audit, then by enforcement) waits out that back-off before its successor
    starts. The stopped instance's log (C(kubectl logs --previous)) goes with it.
  - Fails as soon as a successor exits - a container that crashes under its new profile - instead of waiting out the
    kubelet's back-off.
  - Nothing is stopped unless every item of O(containers) and the whole C(crictl ps) listing are what they should be;
    otherwise the task fails naming the item, or the crictl command and the field.
  - With O(watch_start), first marks the start of enforcement's watch, as M(k8s.seccomp_default.node_watch) with
    C(start=true) does - the node's clock, the kubelet unit's restart count, the kernel record cursor at the end - and
    returns it in RV(watch), so that one task marks the watch and recreates the containers.
options:
  watch_start:
    description:
      - Mark the start of the watch before anything is stopped - C(kernel_state_dir) (the kernel record cursors; omit
        it to leave the kernel's records out of the watch), C(cursor_name) (default C(enforce)) and C(unit) (default
        C(kubelet.service)). O(containers) may then be empty.
    type: dict
  containers:
    description: The containers - each C(pod_uid) (or C(namespace) and C(pod)) and C(container) (its name).
    type: list
    elements: dict
    required: true
  remove_stopped:
    description:
      - Remove each container once stopped, so that the kubelet starts its successor at once instead of after its
        back-off (see the description). Set it to V(false) to keep the stopped instances and their logs.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for all successors to run.
    type: int
    default: 180
attributes:
  check_mode:
    support: full
    description: Lists what would be restarted.
  diff_mode:
    support: none
    description: Containers are not files.
notes:
  - Needs C(crictl) on the node, configured for the runtime (C(/etc/crictl.yaml) or C(CONTAINER_RUNTIME_ENDPOINT)).
author:
  - k8s.seccomp_default contributors (@k8s-seccomp-default)
extends_documentation_fragment:
  - k8s.seccomp_default.cri
"""

EXAMPLES = r"""
- name: Restart the containers that will change, so that complain mode sees them start
  k8s.seccomp_default.restart_containers:
    containers:
      - {namespace: shop, pod: cart-7d9f8-x2x1, container: cart}
"""

RETURN = r"""
watch:
  description: With O(watch_start) - C(since) (nanoseconds on the node's clock) and C(service) (the unit's state, with
    C(n_restarts)), what M(k8s.seccomp_default.node_watch) takes as O(k8s.seccomp_default.node_watch#module:since) and
    O(k8s.seccomp_default.node_watch#module:restarts_before).
  returned: with O(watch_start)
  type: dict
restarted:
  description: Each restarted container - C(namespace), C(pod), C(container), C(old_id), C(new_id).
  returned: always
  type: list
  elements: dict
not_running:
  description: Requested containers that had no running instance (nothing to restart).
  returned: always
  type: list
  elements: dict
crashed:
  description: Containers whose successor exited at once (the task then fails).
  returned: on failure
  type: list
  elements: dict
removed:
  description: IDs of the stopped containers that were removed (O(remove_stopped)).
  returned: once containers were stopped
  type: list
  elements: str
stopped:
  description: IDs of the containers already stopped when crictl failed while they were restarted.
  returned: when crictl fails after the first stop
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.k8s.seccomp_default.plugins.module_utils import cri, errors, node_watch, restarts, tools


def restart(module):
    """Everything is read and checked - the option, crictl and its whole listing - before the first stop."""
    params = module.params
    restarts.wanted_containers(params["containers"])
    restarts.check_timeout(params["timeout"])
    crictl = cri.Crictl.for_module(module)
    watch = start_watch(module, crictl, params["watch_start"]) if params["watch_start"] is not None else None
    chosen, not_running = restarts.plan(crictl, params["containers"])
    extra = dict(watch=watch) if watch is not None else {}
    if module.check_mode or not chosen:
        module.exit_json(changed=bool(chosen), restarted=restarts.planned(chosen), not_running=not_running, **extra)
    try:
        done = restarts.restart(crictl, chosen, params["timeout"], params["remove_stopped"])
    except restarts.RestartError as exc:
        module.fail_json(msg=str(exc), not_running=not_running, **exc.result)
    module.exit_json(changed=True, not_running=not_running, **dict(done, **extra))


def start_watch(module, crictl, options):
    """node_watch's start, before anything is stopped (see the watch_start option)."""
    unknown = sorted(set(options) - set(("kernel_state_dir", "cursor_name", "unit")))
    if unknown:
        raise errors.InputError("has keys this module does not take", field="watch_start", value=unknown[0],
                                expected="kernel_state_dir, cursor_name and unit")
    for key in ("kernel_state_dir", "cursor_name", "unit"):
        if options.get(key) is not None and not isinstance(options[key], str):
            raise errors.InputError("is not a string", field="watch_start.%s" % key, value=options[key])
    cursor = node_watch.cursor_path(options.get("kernel_state_dir"), options.get("cursor_name") or "enforce")
    return node_watch.mark_start(cursor, tools.runner(module), crictl, options.get("unit") or "kubelet.service",
                                 module.check_mode)


def main():
    module = AnsibleModule(
        argument_spec=dict(containers=dict(type="list", elements="dict", required=True),
                           timeout=dict(type="int", default=180), remove_stopped=dict(type="bool", default=True),
                           watch_start=dict(type="dict"), **cri.ARGUMENT_SPEC),
        supports_check_mode=True,
    )
    errors.run_module(module, restart)


if __name__ == "__main__":
    main()
