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

import re
import time

import datetime

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.k8s.seccomp_default.plugins.module_utils import errors, node_facts, node_watch, tools

ERROR_LINE = re.compile(r'"command failed" err="((?:[^"\\]|\\.)*)"')


def service(module, unit):
    return node_facts.unit_state(tools.runner(module), unit)


def journal(module, unit, lines):
    journalctl = module.get_bin_path("journalctl")
    if not journalctl:
        return []
    _rc, out, _err = module.run_command([journalctl, "-u", unit, "-n", str(lines), "--no-pager", "-o", "cat"])
    # run_command keeps bytes that are not UTF-8 as lone surrogates; the controller is shown U+FFFD instead.
    return out.encode("utf-8", "surrogateescape").decode("utf-8", "replace").splitlines()


def kubelet_error(lines):
    for line in reversed(lines):
        match = ERROR_LINE.search(line)
        if match:
            return match.group(1).replace('\\"', '"')
    for line in reversed(lines):
        if line.startswith(("E", "F", "Error:")) and not line.startswith("Err"):
            return line
    return None


def check_params(params):
    node_watch.health_url(params["url"], "url")
    for name in ("timeout", "stable_seconds", "restarts_before", "journal_lines"):
        if params[name] is not None and params[name] < 0:
            raise errors.InputError("must not be negative", field=name, value=params[name], expected="0 or more")


def restart(module, unit):
    """Restart ``unit``; when it was restarted (UTC, ISO 8601)."""
    at = now()
    rc, _out, err = module.run_command([module.get_bin_path("systemctl", required=True), "restart", unit])
    if rc != 0:
        lines = journal(module, unit, module.params["journal_lines"])
        module.fail_json(msg="systemctl restart %s failed (rc %d): %s" % (unit, rc, kubelet_error(lines) or err.strip()),
                         changed=True, healthy=False, restarted_at=at, journal=lines)
    return at


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")


def wait_for_health(module):
    params = module.params
    check_params(params)
    restarted_at = None
    if params["restart"]:
        if module.check_mode:
            module.exit_json(changed=True, healthy=None, restarted_at=None, healthy_at=None, waited=0)
        restarted_at = restart(module, params["unit"])
        if params["restarts_before"] is None:
            params["restarts_before"] = 0
    start = time.time()
    healthy_since = None
    state = None
    crashed = False
    while time.time() - start < params["timeout"]:
        if node_facts.healthz(params["url"]):
            healthy_since = healthy_since or time.time()
            if time.time() - healthy_since >= params["stable_seconds"]:
                break
        else:
            healthy_since = None
        state = service(module, params["unit"])
        if state and params["restarts_before"] is not None and (
                state["n_restarts"] > params["restarts_before"] or state["active_state"] == "failed"):
            crashed = True
            break
        time.sleep(0.5)
    state = service(module, params["unit"]) or state
    result = dict(changed=restarted_at is not None, healthy=healthy_since is not None and not crashed
                  and time.time() - healthy_since >= params["stable_seconds"],
                  waited=round(time.time() - start, 1), service=state, restarted_at=restarted_at)
    result["healthy_at"] = now() if result["healthy"] else None
    if result["healthy"]:
        module.exit_json(**result)
    lines = journal(module, params["unit"], params["journal_lines"])
    error = kubelet_error(lines) or "the kubelet did not answer %s within %ds" % (params["url"], params["timeout"])
    result.update(error=error, journal=lines)
    module.fail_json(msg="kubelet is not healthy: %s" % error, **result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", default="http://127.0.0.1:10248/healthz"),
            restart=dict(type="bool", default=False),
            timeout=dict(type="int", default=120),
            stable_seconds=dict(type="int", default=3),
            restarts_before=dict(type="int"),
            unit=dict(type="str", default="kubelet.service"),
            journal_lines=dict(type="int", default=20),
        ),
        supports_check_mode=True,
    )
    errors.run_module(module, wait_for_health)


if __name__ == "__main__":
    main()
