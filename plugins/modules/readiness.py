#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: readiness
short_description: Check, without changing anything, that a node has what the SeccompDefault stages asked for need
version_added: 0.5.0
description:
  - Reads the node's facts (as M(k8s.seccomp_default.node_facts) with its health) and checks, for the stages in
    O(stages), everything they will need on this node - Python; the kubelet's unit, configuration and drop-ins found
    and parseable; the kubelet healthy (or down only because of a stale C(SeccompDefault) gate that the feature gate
    stage removes); a supported runtime whose configuration reads; C(crictl) found and answering; the kernel's seccomp
    C(log) action; libseccomp resolving syscall names; a source of the kernel's seccomp records and whether it
    throttles them; C(bpftrace) and tracefs where the audit traces the node; the credentials to read the node's pods
    and the kubelet's C(/configz); free space for backups and state.
  - Each check is a row with a status - C(ok), C(blocker), C(warning), C(repair) or C(n/a) - what was seen, and the
    fix. The module never fails for a node that is not ready; it says so in RV(ready) and RV(blockers), so that a
    fleet can be assessed whole before anything changes (C(playbooks/preflight.yml)).
options:
  stages:
    description: The stages that will run on the node.
    type: list
    elements: str
    choices: [feature_gate, audit, enforce]
    default: [feature_gate, audit, enforce]
  audit_mode:
    description: The audit's mode (C(auto) - complain on CRI-O, observe elsewhere).
    type: str
    choices: [auto, observe, complain]
    default: auto
  controller_kubeconfig:
    description:
      - The controller's kubeconfig (with C(nodes/proxy)), when it exists - the way to read C(/configz) through the API
        server's proxy on a node without a client certificate for the kubelet's API. Checked on the controller by the
        caller; empty when there is none.
    type: str
  state_dir:
    description: Where the rollout keeps its state and backups on the node.
    type: path
    default: /var/lib/k8s-seccomp-default
  min_free_mb:
    description: Free space needed where state, backups and the kubelet's configuration are written.
    type: int
    default: 64
  require_log_action:
    description: Whether the audit needs C(SCMP_ACT_LOG) (kernel 4.14+, libseccomp 2.4+, runc 1.0.0-rc9+).
    type: bool
    default: true
  supported_runtimes:
    description: Container runtimes accepted, by the names the node facts use.
    type: list
    elements: str
    default: [containerd, cri-o]
  repair_stale_gate:
    description: A kubelet down only because of a stale C(SeccompDefault) gate is C(repair), not C(blocker).
    type: bool
    default: true
  watch_kernel:
    description: Whether enforcement watches the kernel's seccomp records (so needs a source of them).
    type: bool
    default: true
  timeout:
    description: Seconds to wait for the kubelet's C(/healthz).
    type: int
    default: 5
extends_documentation_fragment:
  - k8s.seccomp_default.bpftrace
  - k8s.seccomp_default.cri
  - k8s.seccomp_default.kubelet_client
attributes:
  check_mode:
    support: full
    description: The module only reads.
  diff_mode:
    support: none
    description: Nothing is changed.
notes:
  - Needs Python 3.9 or newer and its standard library on the node, nothing else.
author:
  - k8s.seccomp_default contributors (@k8s-seccomp-default)
"""

EXAMPLES = r"""
- name: Check the node for all three stages
  k8s.seccomp_default.readiness:
    crictl: /usr/local/bin/crictl
  register: ready

- name: Show what blocks it
  ansible.builtin.debug:
    msg: "{{ ready.blockers }}"
  when: not ready.ready
"""

RETURN = r"""
ready:
  description: No check is a C(blocker).
  returned: always
  type: bool
checks:
  description: One row per check - C(check), C(status) (C(ok), C(blocker), C(warning), C(repair), C(n/a)), C(detail)
    and C(fix) (null when ok).
  returned: always
  type: list
  elements: dict
access:
  description: How the node's C(pods) and the kubelet's C(configz) will be read - C(kubelet) (its API, with O(client_cert)),
    C(api_server) (pods with the kubelet's own kubeconfig, C(/configz) through the API server's proxy with
    O(controller_kubeconfig)) or null - and C(why).
  returned: always
  type: dict
blockers:
  description: C(check - detail) of each blocker.
  returned: always
  type: list
  elements: str
seccomp_node:
  description: The node's facts, as M(k8s.seccomp_default.node_facts) returns them (with health).
  returned: always
  type: dict
"""

import json

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.k8s.seccomp_default.plugins.module_utils import cri, errors, kube_api, node_facts, readiness, tools


def assess(module):
    params = module.params
    for name in ("min_free_mb", "timeout"):
        if params[name] < 0:
            raise errors.InputError("must not be negative", field=name, value=params[name], expected="0 or more")
    run = tools.runner(module)
    facts = node_facts.gather_with_health(run, params["timeout"])
    found = readiness.access(params["client_cert"], params["client_key"], facts["kubelet"].get("kubeconfig"),
                             params["controller_kubeconfig"])
    rows = readiness.assess(facts, run, params["stages"], params, found)
    blockers = readiness.blockers(rows)
    for row in rows:
        if row["status"] == "warning":
            module.warn("readiness %s: %s (%s)" % (row["check"], row["detail"], row["fix"]))
    module.exit_json(changed=False, ready=not blockers, checks=rows, blockers=blockers, access=found,
                     seccomp_node=json.loads(json.dumps(facts)))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            stages=dict(type="list", elements="str", choices=["feature_gate", "audit", "enforce"],
                        default=["feature_gate", "audit", "enforce"]),
            audit_mode=dict(type="str", choices=["auto", "observe", "complain"], default="auto"),
            bpftrace=dict(type="str"),
            controller_kubeconfig=dict(type="str"),
            state_dir=dict(type="path", default="/var/lib/k8s-seccomp-default"),
            min_free_mb=dict(type="int", default=64),
            require_log_action=dict(type="bool", default=True),
            supported_runtimes=dict(type="list", elements="str", default=["containerd", "cri-o"]),
            repair_stale_gate=dict(type="bool", default=True),
            watch_kernel=dict(type="bool", default=True),
            timeout=dict(type="int", default=5),
            **dict(cri.ARGUMENT_SPEC, **kube_api.KUBELET_CLIENT_SPEC)
        ),
        supports_check_mode=True,
    )
    errors.run_module(module, assess)


if __name__ == "__main__":
    main()
