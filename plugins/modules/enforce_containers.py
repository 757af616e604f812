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
  - With O(leave_crio_complain=true) (a CRI-O node whose complain-mode audit passed), CRI-O's complain mode is left
    first, as M(k8s.seccomp_default.crio_default_profile) with C(state=absent) leaves it - the drop-in put back as it
    was, CRI-O reloaded - so that the recreated containers get the runtime's own default; the kubelet is not restarted.
  - Marks the start of the watch (the node's clock, the kubelet unit's restart count, the kernel record cursor at the
    end), restarts each running container of O(containers) and waits for its successor (the stopped instances are
    removed, so that the kubelet does not back off; see M(k8s.seccomp_default.restart_containers)), checks the
    profile every running container really got against its effective profile with C(seccompDefault) on, waits
    O(wait) seconds and watches the node once - containers restarted or stopped since the start, the kubelet's
    health, the kernel's seccomp records.
  - Fails, saying what was already done, when CRI-O's reload fails (no container is stopped then), when a successor
    does not run, when a container does not have the profile it should (unless O(fail_on_mismatch=false)), or when
    the watch sees a problem. Every option, O(pods) and the
    C(crictl) listing are checked before anything is stopped.
  - Longer watches go on with M(k8s.seccomp_default.node_watch), with RV(watch) as its start.
attributes:
  check_mode:
    support: full
    description: Lists what would be recreated; nothing is stopped, checked or watched.
  diff_mode:
    support: partial
    description: Containers are not files; with O(leave_crio_complain=true), the CRI-O drop-in put back is shown.
notes:
  - Needs C(crictl) on the node, configured for the runtime (C(/etc/crictl.yaml) or C(CONTAINER_RUNTIME_ENDPOINT)).
author:
  - k8s.seccomp_default contributors (@k8s-seccomp-default)
options:
  leave_crio_complain:
    description:
      - Leave CRI-O's complain mode before any container is recreated (see the O(crio_drop_in), O(crio_config),
        O(crio_state_dir) and O(crio_reload) options). Everything about it is checked with the other options, before
        the first change; a drop-in edited since complain mode wrote it is named and left as it is.
    type: bool
    default: false
  record:
    description:
      - Once the watch's step passed, record enforcement's result (C(enforced), with RV(verified)) in the node's rollout
        state, after O(record.earlier), in one write - what M(k8s.seccomp_default.rollout_state) with O(k8s.seccomp_default.rollout_state#module:records) does.
        For the last step of a node's batch, so that no task of its own is needed to record it.
      - A state that cannot be recorded does not fail the task - the containers are enforced by then; RV(recorded) is
        false and RV(record_error) says why, for the caller to record it another way (the rollout's own state task).
      - Not in check mode.
    type: dict
    suboptions:
      path:
        description: The node's rollout state file.
        type: path
        default: /var/lib/k8s-seccomp-default/rollout-state.json
      run_id:
        description: The run that records the result.
        type: str
      earlier:
        description: The entries recorded before enforcement's own (C(stage), C(result), C(details)) - the feature
          gate written with the switch and the audit it followed.
        type: list
        elements: dict
        default: []
  report:
    description:
      - With O(record) - once the node's state is recorded, enforcement's records in the run's report on the controller,
        built from O(report.facts) and this task's result the way the C(k8s.seccomp_default.seccomp_stage_records)
        filter builds them (C(enforce), C(report)), and written as M(k8s.seccomp_default.rollout_report) writes them.
        The action plugin writes them; the module on the node ignores the option.
      - A report that cannot be written does not fail the task; RV(reported) is false and RV(report_error) says why.
    type: dict
    suboptions:
      dir:
        description: The report directory on the controller.
        type: path
        required: true
      host:
        description: The node's inventory name.
        type: str
        required: true
      batch:
        description: The nodes of the batch.
        type: list
        elements: str
        default: []
      facts:
        description: The variables the records are built from, by name (the rollout's C(seccomp_record_facts)).
        type: dict
        required: true
extends_documentation_fragment:
  - k8s.seccomp_default.cri
  - k8s.seccomp_default.crio_complain
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

- name: On a CRI-O node whose complain-mode audit passed - leave complain mode, then recreate
  k8s.seccomp_default.enforce_containers:
    leave_crio_complain: true
    containers: "{{ node_pods.targets }}"
    pods: "{{ node_pods.json }}"
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
crio:
  description: With O(leave_crio_complain=true), what leaving complain mode did, as
    M(k8s.seccomp_default.crio_default_profile) returns it - C(drop_in), C(restored) (C(content), C(removed) or
    C(nothing)), C(reloaded), C(seccomp_profile), C(seccomp_profile_source), C(changed).
  returned: when O(leave_crio_complain=true)
  type: dict
watched:
  description: The watch's step, as M(k8s.seccomp_default.node_watch) returns it - C(restarted), C(healthy),
    C(service), C(kernel_records), C(kernel_stops).
  returned: unless in check mode, once the check passed
  type: dict
recorded:
  description: Whether enforcement's result is in the node's rollout state (written now, or there already).
  returned: with O(record), once the watch's step passed
  type: bool
record_error:
  description: Why the result could not be recorded in the node's state (null when it was).
  returned: with O(record), once the watch's step passed
  type: str
reported:
  description: Whether enforcement's records were written into the run's report.
  returned: with O(report), once the node's state is recorded
  type: bool
report_error:
  description: Why the report could not be written (null when it was).
  returned: with O(report), once the node's state is recorded
  type: str
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.k8s.seccomp_default.plugins.module_utils import (applied, cri, crio_complain, errors, node_watch, report_files,
                                                                          restarts, state_file, tools)
from ansible_collections.k8s.seccomp_default.plugins.module_utils.rollout_state import enforce_entry


def enforce(module):
    params = module.params
    restarts.wanted_containers(params["containers"])
    restarts.check_timeout(params["timeout"])
    node_watch.health_url(params["healthz_url"], "healthz_url")
    for name in ("wait", "max_restarts"):
        if params[name] < 0:
            raise errors.InputError("must not be negative", field=name, value=params[name], expected="0 or more")
    expected = applied.expected_profiles(params["pods"], True, params["kubelet_root_dir"], params["runtime"])
    # The entries to record with enforcement's own are checked with the other options, before anything is stopped.
    earlier = [state_file.record_entry(entry, "record.earlier[%d]" % number)
               for number, entry in enumerate((params["record"] or {}).get("earlier") or [])]
    cursor_file = node_watch.cursor_path(params["kernel_state_dir"], params["cursor_name"])
    crictl = cri.Crictl.for_module(module)
    run = tools.runner(module)
    chosen, not_running = restarts.plan(crictl, params["containers"])
    crio = None
    if params["leave_crio_complain"]:
        crio, crio_step = crio_complain.prepare(module, crio_complain.params_from(params, "absent"))
    watch = node_watch.mark_start(cursor_file, run, crictl, params["unit"], module.check_mode)
    result = dict(watch=watch, not_running=not_running, restarted=restarts.planned(chosen))
    if crio is not None:
        diff = crio.pop("diff")
        if crio["changed"]:
            result["diff"] = diff
        result["crio"] = crio
    if module.check_mode:
        module.exit_json(changed=bool(chosen) or bool(crio and crio["changed"]), **result)
    if crio is not None:
        # Before any container is stopped: the recreated containers are to get the runtime's own default.
        try:
            crio_complain.commit(module, crio, crio_step)
        except crio_complain.ReloadFailed as exc:
            module.fail_json(msg="leaving CRI-O's complain mode: the drop-in was put back, but %s; no container was "
                                 "recreated" % exc.msg, changed=True, **result)
    if chosen:
        try:
            result.update(restarts.restart(crictl, chosen, params["timeout"], params["remove_stopped"]))
        except restarts.RestartError as exc:
            module.fail_json(msg=str(exc), **dict(result, **exc.result))
    else:
        result.update(restarted=[], removed=[])
    changed = bool(chosen) or bool(crio and crio["changed"])
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
    if params["record"]:
        written, result["record_error"] = record(params["record"], earlier, result["verified"])
        result["recorded"] = result["record_error"] is None
        changed = changed or written
    module.exit_json(changed=changed, **result)


def record(options, earlier, verified):
    """(whether the state file changed, why it could not be written or None): enforcement's result in the node's
    state, after the ``earlier`` entries (checked). The containers are enforced by now, so a state that cannot be
    written is said, not failed: the caller records it another way."""
    try:
        return state_file.record_on_node(options["path"], earlier + [enforce_entry(None, verified)], options["run_id"]), None
    except errors.InputError as exc:
        return False, str(exc)


def main():
    module = AnsibleModule(
        argument_spec=dict(dict(restarts.ARGUMENT_SPEC, **applied.ARGUMENT_SPEC), leave_crio_complain=dict(type="bool", default=False),
                           record=dict(type="dict", options=dict(path=dict(type="path", default=state_file.PATH), run_id=dict(type="str"),
                                                                 earlier=dict(type="list", elements="dict", default=[]))),
                           report=report_files.HOST_FACTS_SPEC,
                           **dict(dict(node_watch.ARGUMENT_SPEC, **cri.ARGUMENT_SPEC), **crio_complain.ARGUMENT_SPEC)),
        supports_check_mode=True,
    )
    errors.run_module(module, enforce)


if __name__ == "__main__":
    main()
