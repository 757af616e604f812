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

import os
import platform

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.k8s.seccomp_default.plugins.module_utils import errors, files
from ansible_collections.k8s.seccomp_default.plugins.module_utils import profiles as seccomp

FILE_MODE = 0o644
DIR_MODE = 0o755


def check_name(name, field):
    """A name that becomes a path under the seccomp directory: relative, without '..', and no NUL byte."""
    problem = files.relative_name_problem(name) or ("must not contain a NUL byte" if "\0" in name else None)
    if problem:
        raise errors.InputError("%r %s" % (name, problem), field=field)


def read_base(params):
    """The base profile the built-ins derive from, and where it came from; base_src is read here, checked."""
    if params["base_src"] and params["builtin"]:
        return errors.read_file(params["base_src"]), params["base_src"]
    return params["base"], "base"


def desired_profiles(params, warnings):
    """[(name, profile or None)]: None when the file is to be removed."""
    if params["state"] == "absent":
        names = [seccomp.builtin_file_name(params["subdir"], n) for n in params["builtin"]] + sorted(params["profiles"])
        return [(name, None) for name in names]
    base, base_source = read_base(params)
    # The module runs on the node: resolve for its own architecture and kernel unless told otherwise.
    return seccomp.localhost_profiles(params["builtin"], params["subdir"], params["profiles"], base=base, base_source=base_source,
                                      arch=params["arch"] or platform.machine(), capabilities=params["capabilities"],
                                      kernel=params["kernel"] or platform.release(), warnings=warnings)


def existing_parent(path):
    """The nearest ancestor of ``path`` that exists, refused when it is not a directory (a file in the way)."""
    parent = os.path.dirname(path)
    while parent and not os.path.lexists(parent):
        parent = os.path.dirname(parent)
    parent = parent or "."
    if not os.path.isdir(parent):
        kind = "a symlink to nothing" if os.path.islink(parent) else "a file"
        raise errors.InputError("is %s where a directory belongs: %s is under it" % (kind, path), path=parent)
    return parent


def planned(seccomp_dir, name, profile, check_mode):
    """Everything about one profile file checked, nothing written: (entry, bytes or None, the path written)."""
    try:
        if "\0" in name:
            raise files.UnsafePathError("%r must not contain a NUL byte" % name)
        path = files.path_under(seccomp_dir, name)
    except files.UnsafePathError as exc:
        raise errors.InputError("profile name %s; names are relative to %s" % (exc, seccomp_dir), field="profiles")
    # A link inside the directory is the operator's choice of where the file lives: write its target, keep the link.
    target = os.path.realpath(path) if os.path.islink(path) else path
    parent = existing_parent(target)
    before = errors.read_file(target, encoding=None, missing_ok=True)
    entry = dict(name=name, path=path, sha256=None, bpf_instructions=None, warnings=[])
    content = None
    if profile is not None:
        checked = seccomp.ensure_valid(profile, name)
        entry.update(bpf_instructions=checked["bpf_instructions"], warnings=checked["warnings"])
        content = seccomp.dumps_profile(profile).encode("utf-8")
    if content is None:
        entry["state"] = "absent" if before is None else "removed"
    elif before == content:
        entry["state"] = "unchanged"
    else:
        entry["state"] = "created" if before is None else "updated"
    if content is not None:
        entry["sha256"] = files.sha256_bytes(content)
    if entry["state"] not in ("unchanged", "absent") and not check_mode and not os.access(parent, os.W_OK | os.X_OK):
        raise errors.InputError("cannot be written by this user, so %s cannot be %s" % (
            path, "removed" if content is None else "written"), path=parent)
    return entry, before, content, target


def warn_once(module, warnings):
    """module.warn each finding once, naming every profile it is about (the built-ins share their base's)."""
    names = {}
    for source, text in warnings:
        names.setdefault(text, [])
        if source not in names[text]:
            names[text].append(source)
    for text, sources in names.items():
        module.warn("%s: %s" % (", ".join(sources), text))


def install(module):
    params = module.params
    seccomp_dir = os.path.join(params["kubelet_root_dir"], "seccomp")
    result = dict(changed=False, seccomp_dir=seccomp_dir, profiles=[], diff=[])
    owner = (0, 0) if os.geteuid() == 0 else None
    check_name(params["subdir"], "subdir")

    # Check everything before touching anything: nothing is half-written.
    warnings = []
    plan = []
    for name, profile in desired_profiles(params, warnings):
        entry, before, content, target = planned(seccomp_dir, name, profile, module.check_mode)
        warnings.extend((name, text) for text in entry["warnings"])
        plan.append((entry, before, content, target))
    warn_once(module, warnings)

    for entry, before, content, target in plan:
        if entry["state"] not in ("unchanged", "absent"):
            result["changed"] = True
            result["diff"].append(files.text_diff(entry["path"], before, content))
            if not module.check_mode:
                if params["backup"] and before is not None:
                    entry["backup_file"] = module.backup_local(target)
                if content is None:
                    os.unlink(entry["path"])
                else:
                    files.ensure_directories(target, DIR_MODE, owner)
                    files.atomic_write(target, content, FILE_MODE, owner)
        result["profiles"].append(entry)

    if params["state"] == "absent" and params["builtin"] and not module.check_mode:
        builtin_dir = os.path.join(seccomp_dir, params["subdir"])
        if os.path.isdir(builtin_dir) and not os.path.islink(builtin_dir) and not os.listdir(builtin_dir):
            os.rmdir(builtin_dir)

    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            kubelet_root_dir=dict(type="path", default="/var/lib/kubelet"),
            subdir=dict(type="str", default="kubernetes"),
            builtin=dict(type="list", elements="str", choices=list(seccomp.BUILTIN_PROFILES), default=list(seccomp.BUILTIN_PROFILES)),
            base=dict(type="raw"),
            base_src=dict(type="path"),
            arch=dict(type="str"),
            capabilities=dict(type="list", elements="str"),
            kernel=dict(type="str"),
            profiles=dict(type="dict", default={}),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            backup=dict(type="bool", default=False),
        ),
        mutually_exclusive=[("base", "base_src")],
        supports_check_mode=True,
    )
    errors.run_module(module, install)


if __name__ == "__main__":
    main()
