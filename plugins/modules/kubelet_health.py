#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kubelet_health
short_description: Wait for a kubelet to be healthy, and say why when it is not
version_added: 0.1.0
description:
  - Polls the kubelet's C(/healthz) until it answers C(ok) and has kept answering for O(stable_seconds).
  - Watches the kubelet's systemd unit at the same time. A kubelet that refuses its configuration exits at once
    and systemd restarts it; when the unit's restart counter passes O(restarts_before), or the unit is failed, the
    module stops waiting and fails with the kubelet's own error text, taken from C(journalctl -u kubelet)
    (the C("command failed" err=...) line, or the last lines of the journal).
  - With O(restart), restarts the unit first (C(systemctl restart)), so that one task restarts the kubelet and waits
    until it is healthy again; RV(restarted_at) and RV(healthy_at) say when, for the run's report. Otherwise it changes
    nothing, so check mode and normal mode behave the same.
options:
  restart:
    description:
      - Restart the unit before waiting. O(restarts_before) is then 0, the unit's count right after the restart
        (systemd resets it on an explicit restart), unless given.
    type: bool
    default: false
  url:
    description:
      - The health endpoint (the C(seccomp_node.kubelet.healthz.url) fact).
    type: str
    default: http://127.0.0.1:10248/healthz
  timeout:
    description:
      - Seconds to wait in all.
    type: int
    default: 120
  stable_seconds:
    description:
      - Seconds the endpoint must keep answering C(ok), to catch a kubelet that starts and then falls over.
    type: int
    default: 3
  restarts_before:
    description:
      - The unit's C(NRestarts) before the kubelet was restarted by the caller. More restarts than this mean the new
        kubelet has already exited. Omit it to wait for O(timeout) whatever the unit does.
    type: int
  unit:
    description:
      - The kubelet's systemd unit.
    type: str
    default: kubelet.service
  journal_lines:
    description:
      - How many journal lines to return when the kubelet is not healthy.
    type: int
    default: 20
attributes:
  check_mode:
    support: full
    description: With O(restart), says that the kubelet would be restarted and neither restarts nor waits; otherwise
      it runs the same in check mode.
  diff_mode:
    support: none
    description: A restart changes no file, so there is nothing to show.
author:
  - k8s.seccomp_default contributors (@k8s-seccomp-default)
"""

EXAMPLES = r"""
- name: Restart the kubelet and wait until it is healthy again
  k8s.seccomp_default.kubelet_health:
    url: "{{ seccomp_node.kubelet.healthz.url }}"
    restart: true

- name: Wait for the restarted kubelet
  k8s.seccomp_default.kubelet_health:
    url: "{{ seccomp_node.kubelet.healthz.url }}"
    # an explicit restart resets systemd's NRestarts, so any restart after it is a crash
    restarts_before: 0
  register: kubelet_health
"""

RETURN = r"""
healthy:
  description: Whether C(/healthz) answered C(ok) for O(stable_seconds) (null in check mode with O(restart)).
  returned: always
  type: bool
restarted_at:
  description: When the unit was restarted (UTC), with O(restart).
  returned: always
  type: str
healthy_at:
  description: When the kubelet had been healthy for O(stable_seconds) (UTC).
  returned: always
  type: str
waited:
  description: Seconds waited.
  returned: always
  type: float
error:
  description: The kubelet's error text when it is not healthy.
  returned: when not healthy
  type: str
  sample: 'failed to set feature gates from initial flags-based config: unrecognized feature gate: SeccompDefault'
journal:
  description: The last O(journal_lines) lines of the unit's journal when it is not healthy.
  returned: when not healthy
  type: list
  elements: str
service:
  description: The unit's C(active_state), C(sub_state) and C(n_restarts) at the end.
  returned: when systemctl is there
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.k8s.seccomp_default.plugins.module_utils import errors, kubelet_service


def wait_for_health(module):
    params = module.params
    kubelet_service.check_params(params)
    restarted_at = None
    if params["restart"]:
        if module.check_mode:
            module.exit_json(changed=True, healthy=None, restarted_at=None, healthy_at=None, waited=0)
        try:
            restarted_at = kubelet_service.restart(module, params["unit"], params["journal_lines"])
        except kubelet_service.RestartFailed as exc:
            module.fail_json(msg=exc.msg, **exc.fields)
        if params["restarts_before"] is None:
            params["restarts_before"] = 0
    result = kubelet_service.wait(module, params["url"], params["timeout"], params["stable_seconds"],
                                  params["restarts_before"], params["unit"], params["journal_lines"], restarted_at)
    if result["healthy"]:
        module.exit_json(**result)
    module.fail_json(msg="kubelet is not healthy: %s" % result["error"], **result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", default=kubelet_service.URL),
            restart=dict(type="bool", default=False),
            timeout=dict(type="int", default=120),
            stable_seconds=dict(type="int", default=3),
            restarts_before=dict(type="int"),
            unit=dict(type="str", default=kubelet_service.UNIT),
            journal_lines=dict(type="int", default=kubelet_service.JOURNAL_LINES),
        ),
        supports_check_mode=True,
    )
    errors.run_module(module, wait_for_health)


if __name__ == "__main__":
    main()
