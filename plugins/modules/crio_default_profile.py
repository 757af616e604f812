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
  - containerd has no such setting (k8s-facts.md 5.1); use M(k8s.seccomp_default.syscall_trace) there.
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

import json
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.k8s.seccomp_default.plugins.module_utils import files, runtimes


def check_profile(path):
    data = files.read_bytes(path)
    if data is None:
        return "profile %s does not exist: install the built-in profiles first (k8s.seccomp_default.profile)" % path
    try:
        profile = json.loads(data.decode("utf-8"))
    except ValueError as exc:
        return "profile %s is not JSON: %s" % (path, exc)
    if not isinstance(profile, dict) or not profile.get("defaultAction"):
        return "profile %s has no defaultAction: it is not a seccomp profile" % path
    return None


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
    params = module.params
    drop_in = params["drop_in"]
    record_path = os.path.join(params["state_dir"], "original-%s.json" % os.path.basename(drop_in))
    result = dict(changed=False, drop_in=drop_in, reloaded=False)
    try:
        before = files.read_bytes(drop_in)
        if params["state"] == "present":
            problem = check_profile(params["profile"])
            if problem:
                module.fail_json(msg=problem, **result)
            after = runtimes.drop_in_with_profile(before, params["profile"])
        else:
            original = runtimes.load_original(record_path)
            after = original["content"] if original else before
            result["restored"] = "nothing" if original is None else ("content" if original["existed"] else "removed")
        paths = runtimes.crio_config_files(params["config"], os.path.dirname(drop_in), extra=drop_in)
        value, source = runtimes.crio_seccomp_profile(paths, {drop_in: after})
    except runtimes.RuntimeConfigError as exc:
        module.fail_json(msg=str(exc), **result)
    if params["state"] == "present" and source != drop_in:
        module.fail_json(msg="%s sets [crio.runtime] seccomp_profile = %r and CRI-O reads it after %s, so complain "
                         "mode would not take effect: remove the key there or give drop_in a name that sorts after it"
                         % (source, value, drop_in), **result)
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
        if files.read_bytes(drop_in) != after:
            module.fail_json(msg="%s could not be put back as it was; the original is kept in %s" % (drop_in, record_path),
                             **result)
        os.unlink(record_path)
    if result["changed"] and params["reload"]:
        rc, _out, err = module.run_command([module.get_bin_path("systemctl", required=True), "reload", "crio"])
        if rc != 0:
            module.fail_json(msg="systemctl reload crio failed (rc %d): %s" % (rc, err.strip()), **result)
        result["reloaded"] = True
    module.exit_json(**result)


if __name__ == "__main__":
    main()
