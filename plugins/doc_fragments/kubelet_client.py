# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The options of module_utils/kube_api.py KUBELET_CLIENT_SPEC: the client certificate for the kubelet's API.
    DOCUMENTATION = r"""
options:
  client_cert:
    description:
      - Client certificate the kubelet's API authorizes for C(nodes/proxy) (its C(/pods) and C(/configz)).
      - kubeadm's C(apiserver-kubelet-client) is on control-plane nodes only.
    type: path
    default: /etc/kubernetes/pki/apiserver-kubelet-client.crt
  client_key:
    description: Key of O(client_cert).
    type: path
    default: /etc/kubernetes/pki/apiserver-kubelet-client.key
"""
