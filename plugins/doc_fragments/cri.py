# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The options of module_utils/cri.py ARGUMENT_SPEC, shared by every module that asks the runtime through crictl.
    DOCUMENTATION = r"""
options:
  crictl:
    description:
      - Path of C(crictl) on the node, or another name to search for.
      - By default C(crictl) is searched in E(PATH), then in C(/usr/local/bin), C(/usr/bin) and C(/opt/bin) (kubespray
        and manual installs use C(/usr/local/bin), which sudo's C(secure_path) leaves out on EL).
    type: str
  runtime_endpoint:
    description:
      - The CRI endpoint crictl talks to, as the kubelet's C(containerRuntimeEndpoint) (C(unix:///run/containerd/containerd.sock)).
      - By default crictl reads C(/etc/crictl.yaml), then tries its built-in list of sockets.
    type: str
"""
