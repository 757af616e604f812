# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""CRI-O's complain mode: point RuntimeDefault at another profile with a drop-in, and put the drop-in back exactly.

What the crio_default_profile module does, for it and kubelet_switch. ``prepare`` checks everything and works out the
drop-in's new bytes, writing nothing; ``commit`` writes them (keeping the original in the state directory first, or
putting it back and forgetting it) and reloads CRI-O. ``prepare`` takes the module's options as a dict: state,
profile, drop_in, config, state_dir and reload.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import platform

from ansible_collections.k8s.seccomp_default.plugins.module_utils import errors, files, runtimes

DROP_IN = "/etc/crio/crio.conf.d/99-k8s-seccomp-default.conf"
STATE_DIR = "/var/lib/k8s-seccomp-default/crio"
CONFIG = runtimes.CRIO_CONFIG

# The options of a module that enters or leaves complain mode on the way (kubelet_switch, enforce_containers); the
# doc fragment k8s.seccomp_default.crio_complain documents them.
ARGUMENT_SPEC = dict(
    crio_drop_in=dict(type="path", default=DROP_IN),
    crio_config=dict(type="path", default=CONFIG),
    crio_state_dir=dict(type="path", default=STATE_DIR),
    crio_reload=dict(type="bool", default=True),
)


class ReloadFailed(Exception):
    """``systemctl reload crio`` failed after the drop-in was written; ``result`` is the result so far."""

    def __init__(self, msg, result):
        super(ReloadFailed, self).__init__(msg)
        self.msg = msg
        self.result = result


def params_from(params, state, profile=None):
    """The options ``prepare`` takes, from a module's ARGUMENT_SPEC options."""
    return dict(state=state, profile=profile, drop_in=params["crio_drop_in"], config=params["crio_config"],
                state_dir=params["crio_state_dir"], reload=params["crio_reload"])


def check_profile(path):
    """Warnings about the profile RuntimeDefault is to mean; refused, by name, when CRI-O could not load it."""
    # Imported where it is used: the profile reader is large, and every module that imports this file (the switch,
    # enforcement) compiles its imports on each run, on containerd nodes too.
    from ansible_collections.k8s.seccomp_default.plugins.module_utils import profiles as seccomp

    text = errors.read_file(path, missing_ok=True)
    if text is None:
        raise runtimes.RuntimeConfigError("profile %s does not exist: install the built-in profiles first "
                                          "(k8s.seccomp_default.profile)" % path)
    data = seccomp.load_profile_text(text, path)
    # CRI-O loads a profile (moby or plain OCI format), not a runtime spec or crictl output around one.
    if not isinstance(data, dict) or "defaultAction" not in data:
        raise seccomp.ProfileError(path, ["defaultAction: missing; this is not a seccomp profile"])
    profile, fmt, dummy = seccomp.parse_profile(data, path)
    warnings = seccomp.profile_warnings(profile) if fmt == "moby" else []
    try:
        arch = seccomp.native_architecture(platform.machine())
    except seccomp.ProfileError:
        arch = None  # a machine this collection has no name for: the structure is checked, not the resolution
    if arch is not None:
        profile = seccomp.resolve_profile(profile, fmt, arch=arch, kernel=platform.release(), source=path)
    return warnings + seccomp.ensure_valid(profile, path, compile_filter=False)["warnings"]


def check_directory(path, target):
    """``path`` may be missing (it is created), else it must be a directory: ``target`` is to be written under it."""
    probe = path
    while probe and not os.path.lexists(probe):
        probe = os.path.dirname(probe)
    if probe and not os.path.isdir(probe):
        raise errors.InputError("is not a directory, and %s is to be written under it" % target, path=probe)


def check_drop_in(path):
    """The drop-in is ours to write: a regular file or nothing, never a link (writing it would replace the link
    with a file, or write through it to wherever it points)."""
    if os.path.islink(path):
        raise errors.InputError("is a symlink (to %s); complain mode writes a regular file of its own here and does not "
                                "write through or replace a link: remove it or give drop_in another name"
                                % os.readlink(path), path=path, field="drop_in")
    check_directory(os.path.dirname(path), path)


def check_writable(check_mode, *directories):
    for directory in directories:
        while directory and not os.path.lexists(directory):
            directory = os.path.dirname(directory)
        if not check_mode and not os.access(directory or ".", os.W_OK | os.X_OK):
            raise errors.InputError("cannot be written by this user", path=directory)


def check_ours(drop_in, current, original, record_path):
    """Leaving complain mode puts the original back only over the file complain mode wrote: a drop-in edited since
    is named, not overwritten (its edits would be lost without a word)."""
    if current is None or current == original["content"]:
        return
    value, source = runtimes.crio_seccomp_profile([drop_in], {drop_in: current})
    if source == drop_in and current == runtimes.drop_in_with_profile(original["content"], value, drop_in):
        return
    raise errors.InputError("has changed since complain mode wrote it, and putting the original back would lose those "
                            "changes; the original is kept in %s: put back what you need by hand and remove that file "
                            "(or remove it to keep the drop-in as it is now)" % record_path, path=drop_in)


def record_path(params):
    return os.path.join(params["state_dir"], "original-%s.json" % os.path.basename(params["drop_in"]))


def prepare(module, params):
    """(result, step): what entering (state present) or leaving (absent) complain mode changes, everything checked and
    nothing written. ``result`` is the module's result (changed, drop_in, reloaded, seccomp_profile,
    seccomp_profile_source, diff, and restored when leaving); ``step`` is what ``commit`` needs."""
    drop_in = params["drop_in"]
    record = record_path(params)
    result = dict(changed=False, drop_in=drop_in, reloaded=False)
    check_drop_in(drop_in)
    check_directory(params["state_dir"], record)
    before = runtimes.read_config(drop_in)
    original = None
    if params["state"] == "present":
        runtimes.load_original(record, drop_in)  # a damaged record is named now, not when it is needed
        if module.check_mode and not os.path.lexists(params["profile"]):
            # A rollout in check mode planned the profile's installation in an earlier step that wrote nothing: the
            # drop-in is shown as a real run writes it, and the profile is checked once it exists.
            module.warn("%s does not exist yet: the drop-in is shown as it would be written; a real run refuses to "
                        "write it until the profile is installed (k8s.seccomp_default.profile)" % params["profile"])
        else:
            for warning in check_profile(params["profile"]):
                module.warn("%s: %s" % (params["profile"], warning))
        after = runtimes.drop_in_with_profile(before, params["profile"], drop_in)
        check_writable(module.check_mode, *([os.path.dirname(drop_in)] if after != before else [])
                       + ([params["state_dir"]] if not os.path.lexists(record) else []))
    else:
        original = runtimes.load_original(record, drop_in)
        if original is not None:
            check_ours(drop_in, before, original, record)
            check_writable(module.check_mode, os.path.dirname(drop_in), params["state_dir"])
        after = original["content"] if original else before
        result["restored"] = "nothing" if original is None else ("content" if original["existed"] else "removed")
    paths = runtimes.crio_config_files(params["config"], os.path.dirname(drop_in), extra=drop_in)
    value, source = runtimes.crio_seccomp_profile(paths, {drop_in: after})
    if params["state"] == "present" and source != drop_in:
        raise errors.InputError("%s sets [crio.runtime] seccomp_profile = %r and CRI-O reads it after %s, so complain "
                                "mode would not take effect: remove the key there or give drop_in a name that sorts after it"
                                % (source, value, drop_in))
    result.update(seccomp_profile=value, seccomp_profile_source=source)
    result["changed"] = after != before
    result["diff"] = dict(before=(before or b"").decode("utf-8", "replace"), after=(after or b"").decode("utf-8", "replace"),
                          before_header=drop_in, after_header=drop_in)
    return result, dict(params=dict(params), record=record, before=before, after=after, original=original)


def commit(module, result, step):
    """Write what ``prepare`` worked out, and reload CRI-O when the drop-in changed (and ``reload``); ``result`` says
    so. Raises ReloadFailed when the reload fails."""
    params, record, before, after, original = (step[key] for key in ("params", "record", "before", "after", "original"))
    drop_in = params["drop_in"]
    if params["state"] == "present":
        runtimes.save_original(record, drop_in, before)
        if result["changed"]:
            files.ensure_directories(drop_in)
            files.atomic_write(drop_in, after, **files.write_ownership(files.ownership(drop_in) if before is not None
                                                                       else None))
    elif result["restored"] != "nothing":
        if after is None:
            if before is not None:
                os.unlink(drop_in)
        elif result["changed"]:
            files.atomic_write(drop_in, after, **files.write_ownership(original))
        if runtimes.read_config(drop_in) != after:
            raise errors.InputError("could not be put back as it was; the original is kept in %s" % record, path=drop_in)
        os.unlink(record)
    if result["changed"] and params["reload"]:
        rc, _out, err = module.run_command([module.get_bin_path("systemctl", required=True), "reload", "crio"])
        if rc != 0:
            raise ReloadFailed("systemctl reload crio failed (rc %d): %s" % (rc, err.strip()), result)
        result["reloaded"] = True
    return result


def complain_mode(module, params):
    """``prepare`` then, unless in check mode, ``commit``: the result."""
    result, step = prepare(module, params)
    if module.check_mode:
        return result
    return commit(module, result, step)
