# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The options of module_utils/kubelet_files.py LAYOUT_SPEC - the kubelet's files and where a change is written -
    # shared by k8s.seccomp_default.kubelet_config and k8s.seccomp_default.kubelet_switch.
    DOCUMENTATION = r"""
options:
  version:
    description:
      - The kubelet version, for example C(1.30.4) or C(v1.30.4) (the C(seccomp_node.kubelet.version) fact).
    type: str
    required: true
  method:
    description:
      - Where the change is written (see the description).
    type: str
    choices: [auto, drop_in, in_place, kubeadm_patch]
    default: auto
  config:
    description:
      - The kubelet's C(--config) file.
    type: path
  config_dir:
    description:
      - The kubelet's C(--config-dir), if it has one.
    type: path
  env_files:
    description:
      - Environment files whose variables feed the kubelet's command line (C(kubeadm-flags.env), C(/etc/default/kubelet),
        C(/etc/sysconfig/kubelet)). A C(SeccompDefault) entry in C(--feature-gates) there is removed when the version
        forbids it, and C(--seccomp-default) is removed when O(seccomp_default=false).
    type: list
    elements: path
    default: []
  environment:
    description:
      - The kubelet's environment; 1.28-1.29 read C(--config-dir) only when C(KUBELET_CONFIG_DROPIN_DIR_ALPHA) is set.
    type: dict
    default: {}
  kubeadm:
    description:
      - Whether kubeadm manages the node (the C(seccomp_node.kubelet.kubeadm) fact); O(method=auto) then prefers
        O(method=kubeadm_patch) when there is no drop-in directory.
    type: bool
    default: false
  patches_dir:
    description:
      - The directory given to C(kubeadm --patches).
    type: path
    default: /etc/kubernetes/patches
  kubeadm_version:
    description:
      - The node's kubeadm version (C(kubeadm version -o short)), which decides whether a C(kubeletconfiguration) patch
        is applied at all (kubeadm 1.25 and later). Defaults to O(version).
      - With O(kubeadm), every C(kubeletconfiguration) patch under O(patches_dir) is read in kubeadm's order; one applied
        after ours that sets C(seccompDefault) or the gate otherwise is refused, naming the file.
    type: str
  drop_in_name:
    description:
      - File name of the drop-in written by O(method=drop_in). It must end in C(.conf); later names win.
    type: str
    default: 90-seccomp-default.conf
  backup:
    description:
      - Keep a copy of each file before it is replaced or removed.
    type: bool
    default: true
"""
