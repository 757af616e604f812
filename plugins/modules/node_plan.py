#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: node_plan
short_description: Plan a node's batch - where each stage stands, the built-in profiles, the pods that change
version_added: 0.6.0
description:
  - The first step of a node's batch in the rollout, in one task. It does what M(k8s.seccomp_default.rollout_state)
    (reading, with O(stages)), M(k8s.seccomp_default.profile) and M(k8s.seccomp_default.kubelet_read) (C(what=pods) with
    C(changes_for)) do, with the same code.
  - Reads where every stage stands on the node (its state file, O(path)) and says in RV(plan) what this run does with
    each - run it, skip it because it is done, refuse it because the node was rolled back, or recover it first because
    an earlier run was interrupted - the audit's mode, and what the run's one kubelet restart turns on.
  - Where the plan runs the audit or switches the kubelet, installs the built-in profiles C(kubernetes/default),
    C(kubernetes/default-audit) and C(kubernetes/audit-verbose) under C(<kubelet_root_dir>/seccomp), as
    M(k8s.seccomp_default.profile) does with its defaults (RV(profiles)).
  - Where the audit or enforcement runs, reads the node's pods and works out the containers whose profile changes when
    C(seccompDefault) turns on (RV(pods)) - unless O(read_pods=false), or the plan first puts back an interrupted stage
    or restarts the kubelet for the feature gate alone - the pods are then read after that (RV(pods) is null and
    RV(pods_later) says why), since what changes depends on the kubelet's configuration then, and a kubelet a stale
    gate keeps down answers only after the gate's restart.
  - With O(audit), where the plan runs the audit now and nothing has to come between the plan and the audit (the pods
    are read here - no interrupted stage is put back first, no feature gate restarts the kubelet on its own), opens the
    audit's window right after the built-in profiles are installed, as M(k8s.seccomp_default.audit_window) with
    O(k8s.seccomp_default.audit_window#module:state=started) does in the plan's mode, with the same code - so that the
    batch's first two steps are one task. RV(audit) is what that module returns; a window that cannot be opened does
    not fail the plan but comes back with C(failed) and C(msg), for the audit to record as its error (the node is then
    not switched).
  - Everything is read and checked before the first profile is written; a bad state file or option fails the task
    naming the file or the field, with nothing written.
options:
  audit:
    description:
      - Open the audit's window where the plan allows it (see the description). Omit it to leave the window to
        M(k8s.seccomp_default.audit_window). Nothing is started in check mode.
    type: dict
    suboptions:
      profile:
        description: The profile the containers will get (kubernetes/default.json), which the tracer reads.
        type: path
        required: true
      state_dir:
        description: The rollout's state directory on the node, as O(k8s.seccomp_default.audit_window#module:state_dir).
        type: path
        default: /var/lib/k8s-seccomp-default
      restart:
        description:
          - In observe mode, restart the containers whose profile changes (C(targets) of RV(pods)) once the tracer runs, so
            that it sees them start. In complain mode nothing is restarted here (the switch restarts them under the
            logging profile).
        type: bool
        default: true
      timeout:
        description: As O(k8s.seccomp_default.audit_window#module:timeout), for the containers restarted here.
        type: int
        default: 180
      bpftrace:
        description: Path of C(bpftrace) on the node, or another name to search for, as
          O(k8s.seccomp_default.audit_window#module:bpftrace).
        type: str
      crictl:
        description: Path of C(crictl) on the node, or another name to search for, as
          O(k8s.seccomp_default.audit_window#module:crictl).
        type: str
      runtime_endpoint:
        description: The CRI endpoint crictl talks to, as O(k8s.seccomp_default.audit_window#module:runtime_endpoint).
        type: str
  kubelet_root_dir:
    description: The kubelet C(--root-dir) - where the built-in profiles go (C(<kubelet_root_dir>/seccomp)), and what
      C(localhostProfile) paths of the pods are relative to.
    type: path
    default: /var/lib/kubelet
  read_pods:
    description: Read the node's pods where the plan needs them. V(false) when the caller has them (C(seccomp_pods)).
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Reads the state file and the pods as in a real run, and installs no profile (RV(profiles) and the diff
      say what would be written).
  diff_mode:
    support: full
    description: The profile files before and after.
notes:
  - O(stages), O(kubelet_version) and O(runtime) are required.
  - The pods are read as M(k8s.seccomp_default.kubelet_read) reads them - the kubelet's API with O(client_cert) where it
    is readable, else the API server with O(kubeconfig) and O(node_name).
author:
  - k8s.seccomp_default contributors (@k8s-seccomp-default)
extends_documentation_fragment:
  - k8s.seccomp_default.rollout_plan
  - k8s.seccomp_default.kubelet_client
  - k8s.seccomp_default.kubelet_reader
seealso:
  - module: k8s.seccomp_default.rollout_state
  - module: k8s.seccomp_default.profile
  - module: k8s.seccomp_default.kubelet_read
"""

EXAMPLES = r"""
- name: Plan the node - what each stage does here, the built-in profiles, and which containers change profile
  k8s.seccomp_default.node_plan:
    path: /var/lib/k8s-seccomp-default/rollout-state.json
    stages: [feature_gate, audit, enforce]
    kubelet_version: "{{ seccomp_node.kubelet.version }}"
    seccomp_default: "{{ seccomp_node.kubelet.seccomp_default.effective }}"
    runtime: "{{ seccomp_node.runtime.name }}"
    gate: "{{ seccomp_node.kubelet.feature_gate }}"
    kubelet_root_dir: "{{ seccomp_node.kubelet.root_dir }}"
    node_name: "{{ inventory_hostname }}"
    kubeconfig: /etc/kubernetes/kubelet.conf
  register: seccomp_node_state
"""

RETURN = r"""
started_at:
  description: When the plan began on the node (UTC, ISO 8601), the start of the node's batch in the report's timeline.
  returned: always
  type: str
  sample: "2026-12-01T09:48:31.120+00:00"
plan:
  description: What this run does on the node, per stage (C(action) run, skip, refuse, recover or not asked, with
    C(reason) and C(earlier)), with the audit's C(mode), C(switch) (complain, enforce or null) and C(handover), as
    M(k8s.seccomp_default.rollout_state) returns it.
  returned: always
  type: dict
resumes:
  description: Per stage, what a run would do with it, as M(k8s.seccomp_default.rollout_state) returns it.
  returned: always
  type: dict
state:
  description: The node's state file as read.
  returned: always
  type: dict
done:
  description: The stages done on the node.
  returned: always
  type: list
  elements: str
profiles:
  description: The built-in profiles installed, as M(k8s.seccomp_default.profile) returns them (C(seccomp_dir),
    C(profiles), C(changed)); null where the plan needs none.
  returned: always
  type: dict
pods:
  description: The node's pods - C(json) (the PodList), C(via), C(source) and C(targets) (the containers whose profile
    changes - pod_uid, namespace, pod, container) - as M(k8s.seccomp_default.kubelet_read) returns them; null where they
    are not read here.
  returned: always
  type: dict
audit:
  description:
    - Where this task opened the audit's window (O(audit)), what M(k8s.seccomp_default.audit_window) returns with
      O(k8s.seccomp_default.audit_window#module:state=started) - C(restarted), C(not_running), C(removed), C(trace), and in
      complain mode C(cursor); with C(failed), C(msg) and C(done) where it could not be opened. Null where it was not
      opened here.
  returned: always
  type: dict
pods_later:
  description: Why the pods are not read here (they are read after the step named), or null.
  returned: always
  type: str
  sample: the feature gate's own kubelet restart
"""

import datetime

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.k8s.seccomp_default.plugins.module_utils import audit_options, cri, errors, kubelet_reader, profile_files
from ansible_collections.k8s.seccomp_default.plugins.module_utils.rollout_state import RUNS, STAGES, done
from ansible_collections.k8s.seccomp_default.plugins.module_utils.state_file import PLAN_ARGUMENT_SPEC, read_warned, resumes_and_plan


def pods_later(steps, read_pods):
    """Why the pods are not read now (None: they are read now)."""
    if not read_pods:
        return "given by the caller (read_pods=false)"
    if steps["audit"]["action"] not in RUNS and steps["enforce"]["action"] not in RUNS:
        return "not needed: neither the audit nor enforcement runs"
    if "recover" in (steps["audit"]["action"], steps["enforce"]["action"]):
        return "the interrupted stage is put back first"
    if steps["feature_gate"]["action"] == "run" and not steps["feature_gate"]["with_switch"]:
        return "the feature gate's own kubelet restart"
    return None


def audit_now(module, steps, result):
    """The audit's mode where this task opens its window: the audit runs now, with nothing before it (the pods were
    read here), and O(audit) asks for it; None otherwise."""
    if module.params["audit"] is None or module.check_mode or result["pods"] is None:
        return None
    if steps["audit"]["action"] != "run" or steps["enforce"]["action"] == "recover":
        return None
    return steps["audit"]["mode"]


def open_window(module, mode, targets):
    """The window opened in ``mode``, on the pods' targets; its result, failed or not."""
    from ansible_collections.k8s.seccomp_default.plugins.module_utils import audit_window  # only a plan that opens it compiles it
    params = dict(module.params["audit"], containers=targets)
    params["restart"] = params["restart"] and mode == "observe"
    return audit_window.in_step(module, audit_window.start, mode, params)


def node_plan(module):
    params = module.params
    for name in ("stages", "kubelet_version", "runtime"):
        if params[name] is None:
            raise errors.InputError("is required: the plan is made from it", field=name)
    kubelet_reader.check_params(params)
    path = params["path"]
    dummy, state, dummy = read_warned(module, path)
    resumes, steps = resumes_and_plan(state, params)
    result = dict(changed=False, started_at=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds"),
                  state=state, done=[stage for stage in STAGES if done(state, stage)], plan=steps,
                  resumes=resumes, profiles=None, pods=None, pods_later=pods_later(steps, params["read_pods"]), audit=None)
    # The pods are read before anything is written: a kubelet that cannot answer fails the task with nothing changed.
    if result["pods_later"] is None:
        via, credentials, document = kubelet_reader.read(dict(params, what="pods"), module.run_command)
        result["pods"] = dict(json=document, via=via, source=credentials.describe(), targets=kubelet_reader.changing(
            document, dict(seccomp_default=params["seccomp_default"], kubelet_root_dir=params["kubelet_root_dir"])))
    if steps["audit"]["action"] in RUNS or steps["switch"] is not None:
        installed = profile_files.install(module, profile_files.builtin_params(params["kubelet_root_dir"]))
        result["diff"] = installed.pop("diff")
        result["changed"] = installed["changed"]
        result["profiles"] = installed
    mode = audit_now(module, steps, result)
    if mode:
        result["audit"] = open_window(module, mode, result["pods"]["targets"])
        result["changed"] = result["changed"] or result["audit"]["changed"]
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            kubelet_root_dir=dict(type="path", default="/var/lib/kubelet"),
            read_pods=dict(type="bool", default=True),
            audit=dict(type="dict", options=dict(audit_options.OPEN_SPEC, **cri.ARGUMENT_SPEC)),
            **dict(PLAN_ARGUMENT_SPEC, **kubelet_reader.READ_ARGUMENT_SPEC)
        ),
        supports_check_mode=True,
    )
    errors.run_module(module, node_plan)


if __name__ == "__main__":
    main()
