# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: seccomp_builtin_profiles
short_description: Derive the kubernetes/default, default-audit and audit-verbose seccomp profiles
version_added: 0.1.0
description:
  - Takes a runtime default seccomp profile and returns the three built-in profiles of the seccomp
    built-in-profiles proposal (kubernetes/enhancements#1257) as plain OCI seccomp objects, ready to be
    written as Localhost profiles under C(<kubelet root>/seccomp/kubernetes/).
  - C(default) is the resolved base unchanged, so it allows exactly what the runtime default allows.
  - C(default-audit) keeps the same allow rules, sets C(defaultAction) to C(SCMP_ACT_LOG) and turns every
    explicit deny rule (C(SCMP_ACT_ERRNO), C(SCMP_ACT_KILL*), C(SCMP_ACT_TRAP)) into C(SCMP_ACT_LOG), so that nothing
    is refused silently in complain mode. A C(SCMP_ACT_LOG) rule under a C(SCMP_ACT_LOG) default is what the default
    already does, so converted rules do not appear in the result.
  - C(audit-verbose) has no rules and C(defaultAction) C(SCMP_ACT_LOG), so the kernel logs every syscall.
  - Moby-format bases (C(archMap), C(includes)/C(excludes) by C(caps), C(arches), C(minKernel)) are resolved the way
    the runtimes resolve them, for O(arch), O(capabilities) and O(kernel). Plain OCI bases, including the
    C(linux.seccomp) object of C(crictl inspect) or C(ctr containers info) output, are taken as they are.
  - The base is validated; an invalid base fails with a message naming the rule index, field and value.
positional: base
options:
  _input:
    description:
      - The base profile, as an object or as JSON text. Omit it (pass V(null)) to use the moby default profile
        shipped with the collection.
      - Accepted shapes are a moby-format profile, a plain OCI profile, an OCI runtime spec, C(crictl inspect) output
        (C(info.runtimeSpec.linux.seccomp)) and C(ctr containers info) output (C(Spec.linux.seccomp)).
    type: raw
    required: true
  arch:
    description:
      - The node architecture, as C(uname -m) prints it (V(x86_64), V(aarch64), ...), a Go name (V(amd64), V(arm64))
        or an C(SCMP_ARCH_*) name.
    type: str
    default: x86_64
  capabilities:
    description:
      - The capability bounding set to resolve C(includes)/C(excludes) C(caps) conditions for, with or without the
        C(CAP_) prefix.
      - Defaults to the CRI default capability set (containerd's default, which Docker shares), i.e. what an
        unprivileged container that adds no capabilities gets.
    type: list
    elements: str
  kernel:
    description:
      - The node kernel release (for example V(6.1.0-18-amd64)) for C(minKernel) conditions.
      - When omitted, every C(minKernel) condition counts as met, as on any kernel from the last decade.
    type: str
author:
  - k8s.seccomp_default contributors (@k8s-seccomp-default)
seealso:
  - module: k8s.seccomp_default.profile
"""

EXAMPLES = r"""
- name: Built-in profiles from the moby default shipped with the collection
  ansible.builtin.set_fact:
    builtin: "{{ None | k8s.seccomp_default.seccomp_builtin_profiles(arch=ansible_facts.architecture) }}"

- name: Built-in profiles that copy this node's real runtime default
  ansible.builtin.command: crictl inspect {{ container_id }}
  register: inspect
  changed_when: false

- name: Derive them from the captured linux.seccomp object
  ansible.builtin.set_fact:
    builtin: "{{ inspect.stdout | k8s.seccomp_default.seccomp_builtin_profiles(arch='aarch64') }}"

- name: Resolve for containers that also have CAP_SYS_PTRACE
  ansible.builtin.debug:
    msg: "{{ base | k8s.seccomp_default.seccomp_builtin_profiles(capabilities=caps) }}"
  vars:
    caps: "{{ ['CAP_SYS_PTRACE'] + default_caps }}"
"""

RETURN = r"""
_value:
  description: The three profiles, keyed by their name without the C(kubernetes/) prefix.
  type: dict
  contains:
    default:
      description: Copy of the runtime default (plain OCI seccomp object).
      type: dict
    default-audit:
      description: Same allow rules as C(default), everything else logged (C(SCMP_ACT_LOG)).
      type: dict
    audit-verbose:
      description: Logs every syscall; C(defaultAction) is C(SCMP_ACT_LOG), with the architectures of the base and no rules.
      type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.k8s.seccomp_default.plugins.module_utils import pod_shape
from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError
from ansible_collections.k8s.seccomp_default.plugins.module_utils.profiles import ProfileError, builtin_profiles
from ansible_collections.k8s.seccomp_default.plugins.plugin_utils.filters import filter_errors


def _omitted(value):
    """A filter argument given as ``omit`` arrives as the omit placeholder (or Omit sentinel)."""
    if value is None or type(value).__name__ in ("Omit", "_OmitType"):  # ansible-core >= 2.19
        return True
    return isinstance(value, str) and value.startswith("__omit_place_holder__")  # older ansible-core


def _arguments(arch, capabilities, kernel):
    """The arguments checked: a capability list that is a list of names, a kernel release that is text."""
    pod_shape.text(arch, "arch", expected="an architecture name such as x86_64 or aarch64", required=True)
    if capabilities is not None and not isinstance(capabilities, str):
        # A comma-separated string is taken as a list of names; a list must hold names only.
        pod_shape.names(capabilities, "capabilities", what="capability name")
    if kernel is not None and (isinstance(kernel, bool) or not isinstance(kernel, (str, int, float))):
        raise InputError("is not a kernel release", field="kernel", value=kernel,
                         expected="a release such as 6.1 or 6.1.0-18-amd64, or null")


@filter_errors("seccomp_builtin_profiles")
def seccomp_builtin_profiles(base, arch="x86_64", capabilities=None, kernel=None):
    arch = "x86_64" if _omitted(arch) else arch
    capabilities = None if _omitted(capabilities) else capabilities
    kernel = None if _omitted(kernel) else kernel
    _arguments(arch, capabilities, kernel)
    try:
        return builtin_profiles(base, arch=arch, capabilities=capabilities, kernel=kernel)
    except ProfileError as exc:
        raise AnsibleFilterError("k8s.seccomp_default.seccomp_builtin_profiles: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"seccomp_builtin_profiles": seccomp_builtin_profiles}
