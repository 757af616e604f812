# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Writing and restoring the kubelet's files: what the kubelet_config module does, for it and kubelet_switch.

``configure`` plans (module_utils.kubelet_config) and writes; ``prepare`` and ``commit`` are its two halves, so that a
caller can check everything else it will do before the first write. ``restore`` puts back what a ``files`` list
records, byte for byte. A write that fails part way raises ``WriteFailed``, with the files changed before it in the
caller's result, for ``restore``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.k8s.seccomp_default.plugins.module_utils import errors, files, kubelet_config

# The options that say where the kubelet's files are and how to write them (as the kubelet_config module takes them).
LAYOUT_SPEC = dict(
    version=dict(type="str", required=True),
    method=dict(type="str", choices=list(kubelet_config.METHODS), default="auto"),
    config=dict(type="path"),
    config_dir=dict(type="path"),
    env_files=dict(type="list", elements="path", default=[]),
    environment=dict(type="dict", default={}),
    kubeadm=dict(type="bool", default=False),
    patches_dir=dict(type="path", default="/etc/kubernetes/patches"),
    kubeadm_version=dict(type="str"),
    drop_in_name=dict(type="str", default="90-seccomp-default.conf"),
    backup=dict(type="bool", default=True),
)


class WriteFailed(Exception):
    """A write failed after others were done; the caller's result lists them (``files``) for ``restore``."""

    def __init__(self, named):
        super(WriteFailed, self).__init__(str(named))
        self.named = named

    @property
    def msg(self):
        return "%s; the files changed before it are in files (give them to restore to undo them)" % self.named


def new_result():
    return dict(changed=False, files=[], restart_needed=False, diff=[])


def write(path, target, content, recorded):
    """Put ``content`` (None: remove) at ``path``; ``target`` is where it really goes (a symlink's file)."""
    if content is None:
        os.unlink(path)
    else:
        files.ensure_directories(target)
        files.atomic_write(target, content, **files.write_ownership(recorded))


def _write(path, target, content, recorded):
    try:
        write(path, target, content, recorded)
    except (IOError, OSError) as exc:
        raise WriteFailed(errors.os_error(exc, path, "written"))


def plan_writes(check_mode, writes):
    """[(entry, target, before, content)] for ``writes`` [(path, content or None, read_by_kubelet)], after checking
    each one can be written: nothing is half done for a path that could not be."""
    steps = []
    for path, content, read_by_kubelet in writes:
        before = kubelet_config.read_current(path, encoding=None)
        if before == content or (before is None and content is None):
            state = "unchanged" if content is not None else "absent"
        else:
            state = "removed" if content is None else "created" if before is None else "updated"
        entry = dict(path=path, state=state, backup=None, read_by_kubelet=read_by_kubelet,
                     before_sha256=files.sha256_bytes(before) if before is not None else None,
                     after_sha256=files.sha256_bytes(content) if content is not None else None)
        entry.update(files.ownership(path) if before is not None else {})
        target = path if check_mode or state in ("unchanged", "absent") else \
            kubelet_config.write_target(path, removing=content is None)
        steps.append((entry, target, before, content))
    return steps


def changes(steps):
    """Whether any of ``plan_writes``' steps changes a file."""
    return any(entry["state"] not in ("unchanged", "absent") for entry, _target, _before, _content in steps)


def write_steps(module, steps, result, backup):
    """Do ``plan_writes``' steps (in check mode: only report them) into ``result``."""
    for entry, target, before, content in steps:
        result["files"].append(entry)
        if entry["state"] in ("unchanged", "absent"):
            continue
        result["changed"] = True
        result["restart_needed"] = result["restart_needed"] or entry["read_by_kubelet"]
        result["diff"].append(files.text_diff(entry["path"], before, content))
        if module.check_mode:
            continue
        if backup and before is not None:
            entry["backup"] = module.backup_local(entry["path"])
        _write(entry["path"], target, content, entry if before is not None else None)


def apply(module, writes, result, backup):
    """Write every planned change (``plan_writes`` then ``write_steps``)."""
    write_steps(module, plan_writes(module.check_mode, writes), result, backup)


def restore(module, entries, result):
    """Put each file back as an earlier run recorded it; every entry is checked before any file is touched."""
    steps = []
    for entry, before, content in kubelet_config.restore_plan(entries):
        path = entry["path"]
        target = path if module.check_mode or before == content else kubelet_config.write_target(path, removing=content is None)
        steps.append((entry, target, before, content))
    for entry, target, before, content in steps:
        path = entry["path"]
        restored = dict(path=path, state="unchanged" if before == content else "restored", backup=entry.get("backup"),
                        read_by_kubelet=entry.get("read_by_kubelet", True),
                        before_sha256=files.sha256_bytes(before) if before is not None else None,
                        after_sha256=entry.get("before_sha256"))
        result["files"].append(restored)
        if before == content:
            continue
        result["changed"] = True
        result["restart_needed"] = result["restart_needed"] or restored["read_by_kubelet"]
        result["diff"].append(files.text_diff(path, before, content))
        if module.check_mode:
            continue
        # The mode and owner the file had before we first changed it (recorded then), else as it is now.
        recorded = entry if entry.get("mode") is not None else files.ownership(path) if before is not None else None
        _write(path, target, content, recorded)


def prepare(module, params, seccomp_default, remove_gate=False):
    """(plan, steps): what the kubelet's files must say, and each write checked, with nothing written. ``params`` has
    the options of LAYOUT_SPEC."""
    layout = kubelet_config.read_layout(params)
    plan = kubelet_config.plan(layout, seccomp_default=seccomp_default, method=params["method"], remove_gate=remove_gate)
    patch_dir = params["patches_dir"]
    writes = [(path, content, not (plan["method"] == "kubeadm_patch" and os.path.dirname(path) == patch_dir))
              for path, content in plan["writes"]]
    return plan, plan_writes(module.check_mode, writes)


def commit(module, plan, steps, result, backup):
    """Write ``prepare``'s steps into ``result`` and add what the plan says (method, reason, lasting, seccomp_default,
    feature_gate); warns when the change does not last."""
    write_steps(module, steps, result, backup)
    if plan["lasting"].get("survives") is False:
        module.warn(plan["lasting"]["note"])
    result.update(summary(plan))
    return result


def summary(plan):
    return dict(
        method=plan["method"], reason=plan["reason"], lasting=plan["lasting"],
        seccomp_default=dict(before=plan["seccomp_default_before"], after=plan["seccomp_default_after"],
                             config_after=plan["after"].get("seccompDefault") is True),
        feature_gate=dict(before=plan["gate_before"], after=plan["gate_after"], removed_from=plan["removed_gate_from"]),
    )


def configure(module, params, result, seccomp_default, remove_gate=False):
    """Plan and write the kubelet's files as the kubelet_config module does."""
    plan, steps = prepare(module, params, seccomp_default, remove_gate)
    return commit(module, plan, steps, result, params["backup"])
