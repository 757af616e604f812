#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: crio_default_profile
short_description: Point CRI-O's RuntimeDefault profile at another profile (complain mode), and put it back exactly
version_added: 0.3.0
description:
  - With O(state=present), writes C([crio.runtime] seccomp_profile = O(profile\)) in a drop-in of
    C(/etc/crio/crio.conf.d/) (one line edited in place, so anything else in that file stays), then reloads CRI-O,
    which reads this option live. Every container that gets RuntimeDefault from then on runs under O(profile) - with
    C(kubernetes/default-audit.json), it logs what the default profile would block instead of failing.
  - Before the first change the drop-in's bytes (or its absence) are kept in O(state_dir); O(state=absent) puts them
    back byte for byte, checks their sha256, reloads CRI-O and forgets them.
  - Fails, changing nothing, when a file CRI-O reads after the drop-in sets C(seccomp_profile) too (it would win), when
    a CRI-O configuration file is not valid TOML, or when O(profile) is not a readable JSON profile.
  - containerd has no such setting (docs/kubernetes-facts.md#containerd-knobs); use M(k8s.seccomp_default.syscall_trace)
    there.
options:
  state:
    description: C(present) enters complain mode; C(absent) leaves it.
    type: str
    choices: [present, absent]
    default: present
  profile:
    description: The profile RuntimeDefault should mean. Required with O(state=present).
    type: path
  drop_in:
    description: The drop-in file to write; CRI-O reads drop-ins in lexical order, so it should sort last.
    type: path
    default: /etc/crio/crio.conf.d/99-k8s-seccomp-default.conf
  config:
    description: CRI-O's main configuration file.
    type: path
    default: /etc/crio/crio.conf
  state_dir:
    description: Directory on the node where the drop-in's original content is kept until O(state=absent).
    type: path
    default: /var/lib/k8s-seccomp-default/crio
  reload:
    description: Reload CRI-O (C(systemctl reload crio)) after a change.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Reports what would change; writes and reloads nothing.
  diff_mode:
    support: full
    description: Shows the drop-in before and after.
notes:
  - Containers that already run keep their profile; only containers created after the reload get the new one.
  - Everything is checked before the first write; the module fails naming the file, the key and the value, with
    nothing changed, when a CRI-O configuration file or drop-in is a FIFO, unreadable, not UTF-8, not valid TOML, or
    has C([crio]), C([crio.runtime]) or C(seccomp_profile) of the wrong type; when O(profile) is not a readable JSON
    seccomp profile of the right shape (C(defaultAction), C(syscalls) and C(names) as lists, ...); when O(drop_in)
    is a symlink (it is never written through or replaced); or when the record in O(state_dir) is damaged.
  - O(state=absent) puts the original back only over the drop-in complain mode wrote. A drop-in edited since is
    named and left as it is, with the original kept in O(state_dir), to be put back by hand.
  - Syscall names libseccomp does not know and capabilities that do not exist in O(profile) are shown as warnings.
author:
  - k8s.seccomp_default contributors (@k8s-seccomp-default)
"""

EXAMPLES = r"""
- name: Complain mode - RuntimeDefault logs what kubernetes/default would block
  k8s.seccomp_default.crio_default_profile:
    profile: /var/lib/kubelet/seccomp/kubernetes/default-audit.json

- name: Leave complain mode - the drop-in goes back exactly as it was
  k8s.seccomp_default.crio_default_profile:
    state: absent
"""

RETURN = r"""
drop_in:
  description: The drop-in path.
  returned: always
  type: str
seccomp_profile:
  description: C([crio.runtime] seccomp_profile) as CRI-O will merge it after this task (empty or null - its built-in default).
  returned: always
  type: str
  sample: /var/lib/kubelet/seccomp/kubernetes/default-audit.json
seccomp_profile_source:
  description: The file that sets it, if any.
  returned: always
  type: str
reloaded:
  description: Whether CRI-O was reloaded.
  returned: always
  type: bool
restored:
  description:
    - With O(state=absent), what was put back - C(content) (the original bytes), C(removed) (there was no drop-in) or
      C(nothing) (complain mode was not on).
  returned: when O(state=absent)
  type: str
"""

import os
import platform

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.k8s.seccomp_default.plugins.module_utils import errors, files, runtimes
from ansible_collections.k8s.seccomp_default.plugins.module_utils import profiles as seccomp


def check_profile(path):
    """Warnings about the profile RuntimeDefault is to mean; refused, by name, when CRI-O could not load it."""
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


def check_writable(module, *directories):
    for directory in directories:
        while directory and not os.path.lexists(directory):
            directory = os.path.dirname(directory)
        if not module.check_mode and not os.access(directory or ".", os.W_OK | os.X_OK):
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


def complain_mode(module):
    params = module.params
    drop_in = params["drop_in"]
    record_path = os.path.join(params["state_dir"], "original-%s.json" % os.path.basename(drop_in))
    result = dict(changed=False, drop_in=drop_in, reloaded=False)
    check_drop_in(drop_in)
    check_directory(params["state_dir"], record_path)
    before = runtimes.read_config(drop_in)
    if params["state"] == "present":
        runtimes.load_original(record_path, drop_in)  # a damaged record is named now, not when it is needed
        for warning in check_profile(params["profile"]):
            module.warn("%s: %s" % (params["profile"], warning))
        after = runtimes.drop_in_with_profile(before, params["profile"], drop_in)
        check_writable(module, *([os.path.dirname(drop_in)] if after != before else [])
                       + ([params["state_dir"]] if not os.path.lexists(record_path) else []))
    else:
        original = runtimes.load_original(record_path, drop_in)
        if original is not None:
            check_ours(drop_in, before, original, record_path)
            check_writable(module, os.path.dirname(drop_in), params["state_dir"])
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
    if module.check_mode:
        module.exit_json(**result)
    if params["state"] == "present":
        runtimes.save_original(record_path, drop_in, before)
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
            raise errors.InputError("could not be put back as it was; the original is kept in %s" % record_path, path=drop_in)
        os.unlink(record_path)
    if result["changed"] and params["reload"]:
        rc, _out, err = module.run_command([module.get_bin_path("systemctl", required=True), "reload", "crio"])
        if rc != 0:
            module.fail_json(msg="systemctl reload crio failed (rc %d): %s" % (rc, err.strip()), **result)
        result["reloaded"] = True
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", default="present", choices=["present", "absent"]),
            profile=dict(type="path"),
            drop_in=dict(type="path", default="/etc/crio/crio.conf.d/99-k8s-seccomp-default.conf"),
            config=dict(type="path", default=runtimes.CRIO_CONFIG),
            state_dir=dict(type="path", default="/var/lib/k8s-seccomp-default/crio"),
            reload=dict(type="bool", default=True),
        ),
        required_if=[("state", "present", ["profile"])],
        supports_check_mode=True,
    )
    errors.run_module(module, complain_mode)


if __name__ == "__main__":
    main()
