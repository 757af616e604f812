#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: applied_profiles
short_description: Check the seccomp profile each running container really got, against what it should have
version_added: 0.4.0
description:
  - Reads every running container of the node with C(crictl inspect) and compares C(.info.runtimeSpec.linux.seccomp)
    with the container's effective profile worked out from its pod (docs/kubernetes-facts.md#effective-profile-rules)
    - a RuntimeDefault or Localhost container must have a seccomp filter, an Unconfined one (privileged, explicit
    Unconfined, unset with C(seccompDefault) off) must not.
  - Fails when any container disagrees, unless O(fail_on_mismatch=false).
  - Fails, naming the object, field and value, when O(pods) or O(runtime) is not shaped as the API or
    M(k8s.seccomp_default.node_facts) gives it, and naming the command when C(crictl) fails or prints something that
    is not the JSON it should; it only reads, so nothing is changed.
options:
  seccomp_default:
    description: Whether C(seccompDefault) is on for this node now.
    type: bool
    required: true
attributes:
  check_mode:
    support: full
    description: Only reads.
  diff_mode:
    support: none
    description: Only reads.
author:
  - k8s.seccomp_default contributors (@k8s-seccomp-default)
extends_documentation_fragment:
  - k8s.seccomp_default.cri
  - k8s.seccomp_default.applied
"""

EXAMPLES = r"""
- name: Every container that should run under RuntimeDefault really has a filter
  k8s.seccomp_default.applied_profiles:
    pods: "{{ node_pods.json }}"
    seccomp_default: true
"""

RETURN = r"""
containers:
  description: Each running container - C(namespace), C(pod), C(container), C(applied) (C(seccomp) or C(none)),
    C(default_action), C(expected) (the effective profile type), C(source), C(ok) (null when there is nothing to check),
    C(warnings) (about its effective profile, also shown as task warnings).
  returned: always
  type: list
  elements: dict
mismatches:
  description: The containers whose C(ok) is false.
  returned: always
  type: list
  elements: dict
verified:
  description: How many containers were checked and agreed.
  returned: always
  type: int
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.k8s.seccomp_default.plugins.module_utils import applied, cri, errors
from ansible_collections.k8s.seccomp_default.plugins.module_utils.applied import check_running, expected_profiles


def check_applied(module):
    params = module.params
    # The pods and runtime facts are checked before crictl runs: a wrong argument fails without touching the node.
    expected = expected_profiles(params["pods"], params["seccomp_default"], params["kubelet_root_dir"], params["runtime"])
    result, message, warnings = check_running(cri.Crictl.for_module(module), expected)
    for text in warnings:
        module.warn(text)
    if message and params["fail_on_mismatch"]:
        module.fail_json(msg=message, changed=False, **result)
    module.exit_json(changed=False, **result)


def main():
    module = AnsibleModule(
        argument_spec=dict(dict(seccomp_default=dict(type="bool", required=True), **applied.ARGUMENT_SPEC), **cri.ARGUMENT_SPEC),
        supports_check_mode=True,
    )
    errors.run_module(module, check_applied)


if __name__ == "__main__":
    main()
