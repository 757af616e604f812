#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kubelet_read
short_description: Read a node's pods or the kubelet's live configuration, by the way its credentials allow
version_added: 0.5.0
description:
  - Returns the node's pods (O(what=pods)) or the configuration the kubelet runs with, its C(/configz) (O(what=configz)).
  - The kubelet's API authorizes both as C(nodes/proxy), which kubeadm's C(apiserver-kubelet-client) certificate has
    but which is on control-plane nodes only. A worker's own credentials (the kubelet's kubeconfig, user
    C(system:node:<name>)) may list the pods bound to it from the API server, as the kubelet does, and a kubeconfig
    with C(nodes/proxy) reads any node's C(/configz) through the API server's proxy.
  - O(via=auto) uses the kubelet's API when O(client_cert) and O(client_key) are readable, else the API server - with
    O(kubeconfig) (the kubelet's own for pods; for C(/configz) a kubeconfig with C(nodes/proxy), typically on the
    controller, where the module then runs with C(delegate_to)).
  - Kubeconfigs are read as client libraries read them - current context, server, CA (file or data), client
    certificate and key (files or data), token or token file, exec credential plugins.
options:
  what:
    description: C(pods) or C(configz).
    type: str
    choices: [pods, configz]
    required: true
  changes_for:
    description:
      - With O(what=pods), also work out which containers change profile when C(seccompDefault) turns on, as
        P(k8s.seccomp_default.seccomp_impact#filter) and P(k8s.seccomp_default.seccomp_audit_targets#filter) do, into
        RV(targets) - C(seccomp_default), the node's C(seccompDefault) now (false - compare with it off), and
        C(kubelet_root_dir).
    type: dict
  expect:
    description:
      - With O(what=configz), what the running configuration must say, by field of C(kubeletconfig) - a dotted path
        such as C(seccompDefault) or C(featureGates.SeccompDefault); null means the field is absent. The task fails
        naming every field that differs, so that one task reads and checks what a restarted kubelet runs with.
    type: dict
attributes:
  check_mode:
    support: full
    description: The module only reads.
  diff_mode:
    support: none
    description: Nothing is changed.
author:
  - k8s.seccomp_default contributors (@k8s-seccomp-default)
extends_documentation_fragment:
  - k8s.seccomp_default.kubelet_client
  - k8s.seccomp_default.kubelet_reader
"""

EXAMPLES = r"""
- name: The node's pods, from the kubelet or, on a worker, from the API server with the kubelet's own credentials
  k8s.seccomp_default.kubelet_read:
    what: pods
    node_name: "{{ inventory_hostname }}"
    kubeconfig: /etc/kubernetes/kubelet.conf
  register: pods

- name: The kubelet's live configuration through the API server's proxy, from the controller
  k8s.seccomp_default.kubelet_read:
    what: configz
    via: api_server
    node_name: "{{ inventory_hostname }}"
    kubeconfig: ~/.kube/config
  delegate_to: localhost
"""

RETURN = r"""
json:
  description: The document read - a PodList for C(pods), C({kubeletconfig - ...}) for C(configz).
  returned: success
  type: dict
via:
  description: C(kubelet) or C(api_server).
  returned: success
  type: str
source:
  description: Where it was read and as whom.
  returned: success
  type: str
targets:
  description: With O(changes_for) - the containers whose profile changes when C(seccompDefault) turns on (pod_uid,
    namespace, pod, container).
  returned: with O(changes_for)
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.k8s.seccomp_default.plugins.module_utils import errors, kubelet_configz
from ansible_collections.k8s.seccomp_default.plugins.module_utils.kubelet_reader import READ_ARGUMENT_SPEC, changing, check_params, read


def read_document(module):
    check_params(module.params)
    if module.params["changes_for"] is not None and module.params["what"] != "pods":
        raise errors.InputError("is only for what=pods", field="changes_for", value=module.params["changes_for"])
    if module.params["expect"] is not None and module.params["what"] != "configz":
        raise errors.InputError("is only for what=configz", field="expect", value=module.params["expect"])
    via, credentials, document = read(module.params, module.run_command)
    result = dict(changed=False, json=document, via=via, source=credentials.describe())
    if module.params["changes_for"] is not None:
        result["targets"] = changing(document, module.params["changes_for"])
    wrong = kubelet_configz.differences(document, module.params["expect"] or {})
    if wrong:
        module.fail_json(msg=kubelet_configz.mismatch_message(wrong),
                         differences=wrong, **result)
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            what=dict(type="str", choices=["pods", "configz"], required=True),
            expect=dict(type="dict"),
            changes_for=dict(type="dict"),
            **READ_ARGUMENT_SPEC
        ),
        supports_check_mode=True,
    )
    errors.run_module(module, read_document)


if __name__ == "__main__":
    main()
