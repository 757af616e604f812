# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: pss_seccomp
short_description: The Pod Security Standards seccomp check, as Pod Security Admission runs it
version_added: 0.2.0
description:
  - Runs the C(seccompProfile_baseline) or C(seccompProfile_restricted) check of Pod Security Admission on a pod or
    on the pod template of a workload, with PSA's own messages.
  - C(baseline) forbids any explicit type other than C(RuntimeDefault) and C(Localhost) on the pod or on any container
    (init, regular, ephemeral); an unset profile passes.
  - C(restricted) also requires a profile - on the pod, or on every container that does not inherit one.
    From policy version 1.25 Windows pods are exempt.
  - Policy versions before 1.19 check the alpha seccomp annotations instead, as PSA does.
  - PSA reads the spec only - a node with C(seccompDefault) on does not make an unset profile pass.
  - Given one Pod or workload object, returns one result; given a collection (a C(v1 List), a typed list such as
    C(PodList), a C(kubernetes.core.k8s_info) result, or a list), returns a list with one result per object.
positional: _input, level, version
options:
  _input:
    description: A Pod or workload object, or a collection of them.
    type: raw
    required: true
  level:
    description: The Pod Security Standards level.
    type: str
    choices: [privileged, baseline, restricted]
    default: restricted
  version:
    description: The policy version, C(latest) or C(v1.N).
    type: str
    default: latest
author:
  - k8s.seccomp_default contributors (@k8s-seccomp-default)
"""

EXAMPLES = r"""
- name: Pods that the restricted level would reject
  ansible.builtin.debug:
    msg: "{{ pods | k8s.seccomp_default.pss_seccomp('restricted') | rejectattr('allowed') | map(attribute='message') }}"
# would violate PodSecurity "restricted:latest": seccompProfile (pod or container "app" must set
# securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")
"""

RETURN = r"""
_value:
  description: The check result (a list of them for a collection).
  type: raw
  contains:
    resource:
      description: The object checked (apiVersion, kind, name, namespace, uid).
      type: dict
    node:
      description: The pod's C(spec.nodeName), if any.
      type: str
    level:
      description: The level checked.
      type: str
    version:
      description: The policy version checked.
      type: str
    check:
      description: The PSA check run - C(seccompProfile_baseline) or C(seccompProfile_restricted); null for C(privileged).
      type: str
    allowed:
      description: Whether the object passes.
      type: bool
    exempt:
      description: Whether the object is exempt (a Windows pod at restricted 1.25 or later).
      type: bool
    reason:
      description: PSA's forbidden reason, C(seccompProfile), when not allowed.
      type: str
    detail:
      description: PSA's forbidden detail when not allowed.
      type: str
    message:
      description: The warning PSA would give, C(would violate PodSecurity "LEVEL:VERSION" - seccompProfile (DETAIL)).
      type: str
"""

from ansible_collections.k8s.seccomp_default.plugins.module_utils.pod_security import pss_seccomp_all
from ansible_collections.k8s.seccomp_default.plugins.plugin_utils.filters import filter_errors


@filter_errors("pss_seccomp")
def pss_seccomp_filter(data, level="restricted", version="latest"):
    return pss_seccomp_all(data, level, version)


class FilterModule(object):
    def filters(self):
        return {"pss_seccomp": pss_seccomp_filter}
