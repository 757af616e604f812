# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Seccomp profiles installed as kubelet Localhost profile files: what the profile module does, and node_plan with it
for the built-in profiles a rollout's stages need. ``install`` checks every profile and path before the first write
and returns the module's result; ``ARGUMENT_SPEC`` is the profile module's options."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os
import platform

from ansible_collections.k8s.seccomp_default.plugins.module_utils import errors, files
from ansible_collections.k8s.seccomp_default.plugins.module_utils import profiles as seccomp

FILE_MODE = 0o644
DIR_MODE = 0o755

ARGUMENT_SPEC = dict(
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
)
MUTUALLY_EXCLUSIVE = [("base", "base_src")]


def builtin_params(kubelet_root_dir):
    """The options that install the three built-in profiles from the shipped base under ``kubelet_root_dir``."""
    return dict(copy.deepcopy(dict((name, spec.get("default")) for name, spec in ARGUMENT_SPEC.items())), kubelet_root_dir=kubelet_root_dir)


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


def install(module, params):
    """Install (or with state=absent remove) the profiles ``params`` name; ``module`` is the AnsibleModule (check
    mode, warnings, backups). Returns the result; raises InputError with nothing written."""
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

    return result
