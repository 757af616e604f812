#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: profile
short_description: Install seccomp profiles as kubelet Localhost profiles
version_added: 0.1.0
description:
  - Installs the built-in profiles C(kubernetes/default), C(kubernetes/default-audit) and
    C(kubernetes/audit-verbose), and any custom profiles, as files under C(<kubelet_root_dir>/seccomp/), the
    directory the kubelet resolves C(localhostProfile) against. A pod then uses one with
    C(securityContext.seccompProfile.type=Localhost) and C(localhostProfile=kubernetes/default-audit.json).
  - The built-in profiles are derived from a base profile (by default the moby default shipped with the
    collection; or a node's real runtime default captured with C(crictl inspect)), resolved for the node's
    architecture, capability set and kernel, and written as plain OCI JSON, the only format both containerd and
    CRI-O read from Localhost files.
  - Every profile is validated before anything is written (actions, architectures, argument operators,
    syscall names known to libseccomp, conflicting rules) and compiled with libseccomp when pyseccomp is
    importable on the node. If one profile is invalid, no file is written.
  - Writes are atomic (temporary file in the same directory, then rename); files are C(0644) and directories
    C(0755), owned by root when the module runs as root. Names with C(..), absolute names and names that resolve
    outside the seccomp directory through a symlink are refused.
  - Profiles are read by the container runtime when a container is created; changing a file does not affect
    running containers.
options:
  kubelet_root_dir:
    description:
      - The kubelet C(--root-dir). The profile directory is C(<kubelet_root_dir>/seccomp), as the kubelet derives it.
    type: path
    default: /var/lib/kubelet
  subdir:
    description:
      - Subdirectory of the profile directory that holds the built-in profiles.
      - The default gives the names of the built-in profiles proposal, for example C(kubernetes/default.json).
    type: str
    default: kubernetes
  builtin:
    description:
      - Which built-in profiles to install (O(state=present)) or remove (O(state=absent)).
    type: list
    elements: str
    choices: [default, default-audit, audit-verbose]
    default: [default, default-audit, audit-verbose]
  base:
    description:
      - The base profile for the built-in profiles, as an object or JSON text, in moby format, plain OCI format, or as
        an OCI runtime spec or C(crictl inspect)/C(ctr containers info) output whose C(linux.seccomp) is used.
      - Defaults to the moby default profile shipped with the collection.
      - Mutually exclusive with O(base_src).
    type: raw
  base_src:
    description:
      - Path on the node of a file holding the base profile, in any shape O(base) accepts.
    type: path
  arch:
    description:
      - Architecture to resolve moby-format profiles for. Defaults to the node's architecture.
    type: str
  capabilities:
    description:
      - Capability bounding set to resolve moby-format C(caps) conditions for. Defaults to the CRI default set.
    type: list
    elements: str
  kernel:
    description:
      - Kernel release to resolve moby-format C(minKernel) conditions for. Defaults to the node's running kernel.
    type: str
  profiles:
    description:
      - Custom profiles to install, keyed by their name relative to the profile directory (the value pods give as
        C(localhostProfile)), for example C(team-a/app.json). Values are profile objects or JSON text.
      - Moby-format profiles are resolved for O(arch), O(capabilities) and O(kernel) first, because containerd
        ignores C(archMap), C(includes) and C(excludes) in Localhost files.
      - With O(state=absent) only the names matter.
    type: dict
    default: {}
  state:
    description:
      - V(present) installs the profiles, V(absent) removes them (and the built-in subdirectory once it is empty).
    type: str
    choices: [present, absent]
    default: present
  backup:
    description:
      - Keep a timestamped copy of a profile file before it is replaced or removed.
    type: bool
    default: false
extends_documentation_fragment: []
attributes:
  check_mode:
    support: full
    description: Reports what would change and writes nothing.
  diff_mode:
    support: full
    description: Shows the before and after text of every profile file.
requirements:
  - pyseccomp and libseccomp on the node for syscall name resolution and compilation (without them only
    structural checks run, and the result says so).
notes:
  - Kubernetes has no built-in profiles of these names; they come from the never-merged proposal
    kubernetes/enhancements#1257 and are plain Localhost files.
  - The containerd runtime default also depends on the container's capabilities; containers that add
    capabilities get more syscalls from RuntimeDefault than from C(kubernetes/default) resolved for the default set.
  - Everything is checked before the first write, and the module fails naming the file, field and value, with
    nothing changed, when O(base_src) is not a readable UTF-8 JSON file of a profile (a directory, a FIFO, unreadable,
    larger than 4 MiB, a profile without C(defaultAction), C(syscalls) or C(names) that are not lists, ...), when
    C(<kubelet_root_dir>/seccomp) or a directory below it is a file, when a profile's path is a directory or a
    symlink that leads out of the seccomp directory, or when a directory cannot be written.
  - A profile file that is a symlink to another file inside the seccomp directory is written through, so its target
    gets the new content and the link stays.
  - Syscall names libseccomp does not know and capabilities that do not exist do not stop the installation; they
    are shown as warnings (and kept under RV(profiles[].warnings)).
author:
  - k8s.seccomp_default contributors (@k8s-seccomp-default)
seealso:
  - plugin: k8s.seccomp_default.seccomp_builtin_profiles
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Install the three built-in profiles from the shipped moby default
  k8s.seccomp_default.profile:

- name: Copy this node's real runtime default, captured from a running RuntimeDefault container
  k8s.seccomp_default.profile:
    base_src: /run/seccomp-capture/crictl-inspect.json

- name: Install a custom profile for a team, with a non-default kubelet root
  k8s.seccomp_default.profile:
    kubelet_root_dir: /data/kubelet
    builtin: []
    profiles:
      team-a/app.json: "{{ lookup('ansible.builtin.file', 'files/app-seccomp.json') | from_json }}"

- name: Remove the logging profiles the audit used, once enforcement is done
  k8s.seccomp_default.profile:
    builtin: [default-audit, audit-verbose]
    state: absent
"""

RETURN = r"""
seccomp_dir:
  description: The profile directory, C(<kubelet_root_dir>/seccomp).
  returned: always
  type: str
  sample: /var/lib/kubelet/seccomp
profiles:
  description: One entry per profile handled, in the order built-in then custom.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The name pods use as C(localhostProfile).
      type: str
      sample: kubernetes/default-audit.json
    path:
      description: Absolute path of the file.
      type: str
      sample: /var/lib/kubelet/seccomp/kubernetes/default-audit.json
    state:
      description: V(created), V(updated), V(unchanged), V(removed) or V(absent).
      type: str
      sample: created
    sha256:
      description: SHA-256 of the file content installed (or that would be, in check mode); null when absent.
      type: str
      sample: 3f5b0c...
    bpf_instructions:
      description: Length of the compiled BPF program, or null when libseccomp was not available.
      type: int
      sample: 1001
    warnings:
      description:
        - Validation findings that do not stop installation, e.g. syscall names libseccomp does not know. They are
          also shown as the task's warnings.
      type: list
      elements: str
    backup_file:
      description: Path of the backup copy, when O(backup=true) and a file was replaced or removed.
      type: str
      returned: when a backup was made
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.k8s.seccomp_default.plugins.module_utils import errors, profile_files


def install(module):
    module.exit_json(**profile_files.install(module, module.params))


def main():
    module = AnsibleModule(
        argument_spec=profile_files.ARGUMENT_SPEC,
        mutually_exclusive=profile_files.MUTUALLY_EXCLUSIVE,
        supports_check_mode=True,
    )
    errors.run_module(module, install)


if __name__ == "__main__":
    main()
