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
    description: Reports what would change; writes and reloads nothing. A O(profile) that does not exist yet (a
      rollout in check mode installs the built-in profiles in an earlier step, which wrote nothing) is a warning, and
      the drop-in is shown as it would be written.
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

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.k8s.seccomp_default.plugins.module_utils import crio_complain, errors


def complain_mode(module):
    try:
        result = crio_complain.complain_mode(module, module.params)
    except crio_complain.ReloadFailed as exc:
        module.fail_json(msg=exc.msg, **exc.result)
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", default="present", choices=["present", "absent"]),
            profile=dict(type="path"),
            drop_in=dict(type="path", default=crio_complain.DROP_IN),
            config=dict(type="path", default=crio_complain.CONFIG),
            state_dir=dict(type="path", default=crio_complain.STATE_DIR),
            reload=dict(type="bool", default=True),
        ),
        required_if=[("state", "present", ["profile"])],
        supports_check_mode=True,
    )
    errors.run_module(module, complain_mode)


if __name__ == "__main__":
    main()
