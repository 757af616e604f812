# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Where CRI-O's complain mode lives, for the modules that enter it (kubelet_switch) or leave it on the way to
    # enforcement (enforce_containers): module_utils/crio_complain.ARGUMENT_SPEC.
    DOCUMENTATION = r"""
options:
  crio_drop_in:
    description:
      - The CRI-O drop-in of complain mode, which sets C([crio.runtime] seccomp_profile) (C(drop_in) of
        M(k8s.seccomp_default.crio_default_profile)). Used only where complain mode is entered or left.
    type: path
    default: /etc/crio/crio.conf.d/99-k8s-seccomp-default.conf
  crio_config:
    description:
      - CRI-O's main configuration file, read to know which file sets C(seccomp_profile) last.
    type: path
    default: /etc/crio/crio.conf
  crio_state_dir:
    description:
      - Where the drop-in's original content is kept while complain mode is on (the C(state_dir) of
        M(k8s.seccomp_default.crio_default_profile)); leaving complain mode puts it back from there.
    type: path
    default: /var/lib/k8s-seccomp-default/crio
  crio_reload:
    description:
      - Reload CRI-O (C(systemctl reload crio)) after its drop-in changed.
    type: bool
    default: true
"""
