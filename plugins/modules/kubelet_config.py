#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kubelet_config
short_description: Set seccompDefault and the SeccompDefault feature gate right for a kubelet's version
version_added: 0.1.0
description:
  - Computes what the kubelet configuration must say for its version and writes only that.
    1.22-1.24 need the C(SeccompDefault) feature gate on for C(seccompDefault) to be accepted; 1.25-1.26 have it on by
    default and refuse it only when set to false; 1.27-1.28 refuse C(SeccompDefault=false) (the gate is locked);
    1.29 and later refuse any C(SeccompDefault) gate entry, so a stale one is removed wherever it is - the
    C(--config) file, every drop-in, and C(--feature-gates) in the environment files - because a drop-in cannot
    delete a key of the base file.
  - O(method=drop_in) writes O(drop_in_name) in the kubelet's C(--config-dir); O(method=in_place) edits the
    C(--config) file, keeping comments, key order and every other key; O(method=kubeadm_patch) edits the C(--config)
    file and writes a C(kubeletconfiguration) merge patch in O(patches_dir) so that C(kubeadm upgrade node), which
    rewrites C(/var/lib/kubelet/config.yaml), keeps the change; O(method=auto) chooses and says why.
  - The result of merging the base file and the drop-ins as the kubelet does (files ending in C(.conf), in lexical
    order, as JSON merge patches) is validated before anything is written - apiVersion, kind, field types, the gate
    rules of the version, and that the wanted C(seccompDefault) is really what the kubelet will see. A malformed
    file, an unsupported version or a missing file fails the task with nothing written.
  - Writes are atomic; with O(backup) each replaced file is kept beside it, and the result lists what O(restore)
    needs to put every file back byte for byte.
  - The running kubelet only reads the files when it starts; C(restart_needed) says whether it must be restarted.
options:
  version:
    description:
      - The kubelet version, for example C(1.30.4) or C(v1.30.4) (the C(seccomp_node.kubelet.version) fact).
    type: str
    required: true
  seccomp_default:
    description:
      - The wanted C(seccompDefault). Omit it to leave the field as it is and only make the gate right for the version
        (stage 1 of the rollout).
    type: bool
  remove_gate:
    description:
      - With O(seccomp_default=false), also remove the C(SeccompDefault) gate entry of a 1.22-1.24 kubelet, which needs
        it only for C(seccompDefault) (what C(rollback.yml) does where stage 1 added it). Other versions keep the entry
        their rules want.
    type: bool
    default: false
  method:
    description:
      - Where the change is written (see the description).
    type: str
    choices: [auto, drop_in, in_place, kubeadm_patch]
    default: auto
  config:
    description:
      - The kubelet's C(--config) file.
    type: path
  config_dir:
    description:
      - The kubelet's C(--config-dir), if it has one.
    type: path
  env_files:
    description:
      - Environment files whose variables feed the kubelet's command line (C(kubeadm-flags.env), C(/etc/default/kubelet),
        C(/etc/sysconfig/kubelet)). A C(SeccompDefault) entry in C(--feature-gates) there is removed when the version
        forbids it, and C(--seccomp-default) is removed when O(seccomp_default=false).
    type: list
    elements: path
    default: []
  environment:
    description:
      - The kubelet's environment; 1.28-1.29 read C(--config-dir) only when C(KUBELET_CONFIG_DROPIN_DIR_ALPHA) is set.
    type: dict
    default: {}
  kubeadm:
    description:
      - Whether kubeadm manages the node (the C(seccomp_node.kubelet.kubeadm) fact); O(method=auto) then prefers
        O(method=kubeadm_patch) when there is no drop-in directory.
    type: bool
    default: false
  patches_dir:
    description:
      - The directory given to C(kubeadm --patches).
    type: path
    default: /etc/kubernetes/patches
  kubeadm_version:
    description:
      - The node's kubeadm version (C(kubeadm version -o short)), which decides whether a C(kubeletconfiguration) patch
        is applied at all (kubeadm 1.25 and later). Defaults to O(version).
      - With O(kubeadm), every C(kubeletconfiguration) patch under O(patches_dir) is read in kubeadm's order; one applied
        after ours that sets C(seccompDefault) or the gate otherwise is refused, naming the file.
    type: str
  drop_in_name:
    description:
      - File name of the drop-in written by O(method=drop_in). It must end in C(.conf); later names win.
    type: str
    default: 90-seccomp-default.conf
  backup:
    description:
      - Keep a copy of each file before it is replaced or removed.
    type: bool
    default: true
  restore:
    description:
      - The C(files) list returned by an earlier run. Each file is put back as it was (from its backup, or removed if
        that run created it) and checked against its recorded checksum; nothing else is done.
    type: list
    elements: dict
attributes:
  check_mode:
    support: full
    description: Computes and reports the same changes, and writes nothing.
  diff_mode:
    support: full
    description: Shows each file before and after.
requirements:
  - ruamel.yaml on the node (Debian and Ubuntu C(python3-ruamel.yaml)), to edit YAML with its comments kept.
author:
  - k8s.seccomp_default contributors (@k8s-seccomp-default)
"""

EXAMPLES = r"""
- name: Stage 1 - make the SeccompDefault gate right for this kubelet
  k8s.seccomp_default.kubelet_config:
    version: "{{ seccomp_node.kubelet.version }}"
    config: "{{ seccomp_node.kubelet.config }}"
    config_dir: "{{ seccomp_node.kubelet.config_dir }}"
    env_files: "{{ seccomp_node.kubelet.env_files }}"
    environment: "{{ seccomp_node.kubelet.environment }}"
    kubeadm: "{{ seccomp_node.kubelet.kubeadm }}"
  register: gate

- name: Stage 3 - turn seccompDefault on with a drop-in
  k8s.seccomp_default.kubelet_config:
    version: 1.30.4
    config: /etc/kubernetes/kubelet-config.yaml
    config_dir: /etc/kubernetes/kubelet.conf.d
    method: drop_in
    seccomp_default: true
  register: enforce

- name: Put every file back as it was
  k8s.seccomp_default.kubelet_config:
    version: 1.30.4
    restore: "{{ enforce.files }}"
"""

RETURN = r"""
method:
  description: The method used.
  returned: unless O(restore) is given
  type: str
  sample: drop_in
reason:
  description: Why the method was chosen.
  returned: unless O(restore) is given
  type: str
  sample: the kubelet runs with --config-dir /etc/kubernetes/kubelet.conf.d
lasting:
  description:
    - Whether the change survives what rewrites the kubelet config later. C(survives) is true, false or null (nothing
      known rewrites it); C(note) says what to do.
    - With O(method=kubeadm_patch) on kubeadm older than 1.25, C(survives) is false - C(kubeadm upgrade node) rewrites
      the config from the C(kube-system/kubelet-config) ConfigMap.
  returned: unless O(restore) is given
  type: dict
  sample: {survives: true, note: "kubeadm applies /etc/kubernetes/patches/... as long as 'kubeadm upgrade node' is given --patches"}
files:
  description:
    - One entry per file written, removed or restored, with C(path), C(state) (created, updated, removed, restored,
      unchanged), C(backup) (path of the copy, or null), C(before_sha256) and C(after_sha256) (null when absent) and
      C(read_by_kubelet); with C(mode), C(uid) and C(gid) of a file that existed, which O(restore) gives back.
  returned: always
  type: list
  elements: dict
restart_needed:
  description: Whether a file the kubelet reads at start changed.
  returned: always
  type: bool
seccomp_default:
  description:
    - The effective C(seccompDefault) (flag OR config) before and after, and C(config_after), the value of the merged
      configuration alone (what C(/configz) shows).
  returned: unless O(restore) is given
  type: dict
  sample: {before: false, after: true, config_after: true}
feature_gate:
  description: The C(SeccompDefault) gate entry (null when absent) before and after, and where it was removed from.
  returned: unless O(restore) is given
  type: dict
  sample: {before: true, after: null, removed_from: [/etc/kubernetes/kubelet-config.yaml]}
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.k8s.seccomp_default.plugins.module_utils import files, kubelet, kubelet_config


def current_text(path):
    data = files.read_bytes(path) if path else None
    return None if data is None else data.decode("utf-8")


def apply(module, path, content, read_by_kubelet, result):
    state, before = files.planned_change(path, content)
    entry = dict(path=path, state=state, backup=None, read_by_kubelet=read_by_kubelet,
                 before_sha256=files.sha256_bytes(before) if before is not None else None,
                 after_sha256=files.sha256_bytes(content) if content is not None else None)
    entry.update(files.ownership(path) if before is not None else {})
    result["files"].append(entry)
    if state in ("unchanged", "absent"):
        return
    result["changed"] = True
    result["restart_needed"] = result["restart_needed"] or read_by_kubelet
    result["diff"].append(files.text_diff(path, before, content))
    if module.check_mode:
        return
    if module.params["backup"] and before is not None:
        entry["backup"] = module.backup_local(path)
    if content is None:
        os.unlink(path)
    else:
        files.atomic_write(path, content, **files.write_ownership(entry if before is not None else None))


def restore(module, entries, result):
    """Put each file back; check every one before changing any, so a bad list changes nothing."""
    plan = []
    for entry in entries:
        path, state = entry.get("path"), entry.get("state")
        if state in ("unchanged", "absent", "restored", None):
            continue
        if state == "created":
            content = None
        else:
            if not entry.get("backup"):
                module.fail_json(msg="cannot restore %s: it was %s without a backup (backup: false)" % (path, state), **result)
            content = files.read_bytes(entry["backup"])
            if content is None or files.sha256_bytes(content) != entry.get("before_sha256"):
                module.fail_json(msg="cannot restore %s: its backup %s is missing or no longer matches sha256 %s"
                                 % (path, entry["backup"], entry.get("before_sha256")), **result)
        plan.append((entry, content))
    for entry, content in plan:
        before = files.read_bytes(entry["path"])
        restored = dict(path=entry["path"], state="unchanged" if before == content else "restored", backup=entry.get("backup"),
                        read_by_kubelet=entry.get("read_by_kubelet", True),
                        before_sha256=files.sha256_bytes(before) if before is not None else None,
                        after_sha256=entry.get("before_sha256"))
        result["files"].append(restored)
        if before == content:
            continue
        result["changed"] = True
        result["restart_needed"] = result["restart_needed"] or restored["read_by_kubelet"]
        result["diff"].append(files.text_diff(entry["path"], before, content))
        if module.check_mode:
            continue
        if content is None:
            os.unlink(entry["path"])
        else:
            # The mode and owner the file had before we first changed it (recorded then), else as it is now.
            recorded = entry if entry.get("mode") is not None else files.ownership(entry["path"]) if before is not None else None
            files.atomic_write(entry["path"], content, **files.write_ownership(recorded))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            version=dict(type="str", required=True),
            seccomp_default=dict(type="bool"),
            remove_gate=dict(type="bool", default=False),
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
            restore=dict(type="list", elements="dict"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    result = dict(changed=False, files=[], restart_needed=False, diff=[])
    if params["restore"] is not None:
        restore(module, params["restore"], result)
        module.exit_json(**result)

    if not params["drop_in_name"].endswith(".conf") or "/" in params["drop_in_name"]:
        module.fail_json(msg="drop_in_name %r: must be a file name ending in .conf (the kubelet reads only *.conf)"
                         % params["drop_in_name"], **result)
    config_dir = params["config_dir"]
    drop_ins = kubelet.list_drop_in_dir(config_dir, current_text) if config_dir and os.path.isdir(config_dir) else []
    layout = dict(
        version=params["version"], config=params["config"], config_text=current_text(params["config"]),
        config_dir=config_dir, drop_ins=drop_ins, kubeadm=params["kubeadm"], patches_dir=params["patches_dir"],
        drop_in_name=params["drop_in_name"], environment=params["environment"],
        kubeadm_version=params["kubeadm_version"],
        patches=kubelet_config.list_patches(params["patches_dir"], current_text) if params["kubeadm"] else [],
        env_files=[(path, current_text(path)) for path in params["env_files"]],
    )
    try:
        plan = kubelet_config.plan(layout, seccomp_default=params["seccomp_default"], method=params["method"],
                                   remove_gate=params["remove_gate"])
    except kubelet.KubeletConfigError as exc:
        module.fail_json(msg=str(exc), **result)
    except UnicodeDecodeError as exc:
        module.fail_json(msg="a kubelet configuration file is not UTF-8 text: %s" % exc, **result)

    patch_dir = params["patches_dir"]
    for path, content in plan["writes"]:
        read_by_kubelet = not (plan["method"] == "kubeadm_patch" and os.path.dirname(path) == patch_dir)
        if content is not None and not module.check_mode:
            files.ensure_directories(path)
        apply(module, path, content, read_by_kubelet, result)
    result.update(
        method=plan["method"], reason=plan["reason"], lasting=plan["lasting"],
        seccomp_default=dict(before=plan["seccomp_default_before"], after=plan["seccomp_default_after"],
                             config_after=plan["after"].get("seccompDefault") is True),
        feature_gate=dict(before=plan["gate_before"], after=plan["gate_after"], removed_from=plan["removed_gate_from"]),
    )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
