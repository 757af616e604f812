# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The options of module_utils/kubelet_reader.py READ_ARGUMENT_SPEC: how a node's pods or /configz are read.
    DOCUMENTATION = r"""
options:
  via:
    description:
      - C(kubelet) - the kubelet's API on the node with O(client_cert); C(api_server) - the API server with
        O(kubeconfig) (pods by C(spec.nodeName), C(/configz) through C(nodes/<name>/proxy)); C(auto) - the first
        that the credentials at hand allow.
    type: str
    choices: [auto, kubelet, api_server]
    default: auto
  node_name:
    description: The node's name in the API server (needed with the API server).
    type: str
  kubelet_host:
    description: Where the kubelet's API answers.
    type: str
    default: 127.0.0.1
  kubelet_port:
    description: The kubelet's API port.
    type: int
    default: 10250
  ca_path:
    description: CA that signed the kubelet's serving certificate; without it the kubelet's certificate is not verified
      (kubelets serve a self-signed one by default).
    type: path
  kubeconfig:
    description: Kubeconfig for the API server.
    type: path
  context:
    description: Context of O(kubeconfig) (default - its current context).
    type: str
  timeout:
    description: Seconds to wait for an answer.
    type: int
    default: 20
"""
