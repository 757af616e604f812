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
  - k8s.seccomp_default.restart
"""

EXAMPLES = r"""
- name: Restart the containers that will change, so that complain mode sees them start
  k8s.seccomp_default.restart_containers:
    containers:
      - {namespace: shop, pod: cart-7d9f8-x2x1, container: cart}
"""

RETURN = r"""
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

from ansible_collections.k8s.seccomp_default.plugins.module_utils import cri, errors, restarts


def restart(module):
    """Everything is read and checked - the option, crictl and its whole listing - before the first stop."""
    params = module.params
    restarts.wanted_containers(params["containers"])
    restarts.check_timeout(params["timeout"])
    crictl = cri.Crictl.for_module(module)
    chosen, not_running = restarts.plan(crictl, params["containers"])
    if module.check_mode or not chosen:
        module.exit_json(changed=bool(chosen), restarted=restarts.planned(chosen), not_running=not_running)
    try:
        done = restarts.restart(crictl, chosen, params["timeout"], params["remove_stopped"])
    except restarts.RestartError as exc:
        module.fail_json(msg=str(exc), not_running=not_running, **exc.result)
    module.exit_json(changed=True, not_running=not_running, **done)


def main():
    module = AnsibleModule(
        argument_spec=dict(restarts.ARGUMENT_SPEC, **cri.ARGUMENT_SPEC),
        supports_check_mode=True,
    )
    errors.run_module(module, restart)


if __name__ == "__main__":
    main()
