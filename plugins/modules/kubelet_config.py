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
  - A file that is a symlink stays one - the file it points to is written, atomically in that file's own directory,
    as C(ansible.builtin.lineinfile) does; a symlink is never replaced by a regular file nor removed (where the
    module would remove one, it fails naming it). A dangling symlink fails the task, naming the link and its target.
  - >-
    Every file is read and checked before anything is written, and every write is checked to be possible; a file
    that is a directory, a FIFO or device, unreadable, not UTF-8, larger than 1 MiB, behind a path that runs through
    a file, not valid YAML or JSON (YAML anchors and aliases are refused), or with a field of the wrong type
    (C(seccompDefault: "yes"), C(featureGates: "x"), a list at the top) fails the task naming the file and the
    field, with nothing changed.
  - The running kubelet only reads the files when it starts; C(restart_needed) says whether it must be restarted.
options:
  seccomp_default:
    description:
      - The wanted C(seccompDefault). Omit it to leave the field as it is and only make the gate right for the version
        (the feature gate stage of the rollout).
    type: bool
  remove_gate:
    description:
      - With O(seccomp_default=false), also remove the C(SeccompDefault) gate entry of a 1.22-1.24 kubelet, which needs
        it only for C(seccompDefault) (what C(rollback.yml) does where the feature gate stage added it). Other versions
        keep the entry their rules want.
    type: bool
    default: false
  restore:
    description:
      - The C(files) list returned by an earlier run. Each file is put back as it was (from its backup, or removed if
        that run created it) and checked against its recorded checksum; nothing else is done.
      - A file is put back or removed only while its content is exactly what that run left (C(after_sha256)); a file
        already as it was before the run is left alone. If any file was changed since (or its backup is missing or
        altered, or an entry is malformed), the task fails naming the file and both checksums, and no file is
        touched - merge the changes by hand from the backup, or remove that entry from the list.
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
  - None on the node beyond Python's standard library; YAML is read and edited in place by the collection's own code.
author:
  - k8s.seccomp_default contributors (@k8s-seccomp-default)
extends_documentation_fragment:
  - k8s.seccomp_default.kubelet_layout
"""

EXAMPLES = r"""
- name: The feature gate stage - make the SeccompDefault gate right for this kubelet
  k8s.seccomp_default.kubelet_config:
    version: "{{ seccomp_node.kubelet.version }}"
    config: "{{ seccomp_node.kubelet.config }}"
    config_dir: "{{ seccomp_node.kubelet.config_dir }}"
    env_files: "{{ seccomp_node.kubelet.env_files }}"
    environment: "{{ seccomp_node.kubelet.environment }}"
    kubeadm: "{{ seccomp_node.kubelet.kubeadm }}"
  register: gate

- name: Enforcement - turn seccompDefault on with a drop-in
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
    - When a write fails part way (a disk full, a file system turned read-only), the task fails with the files
      changed before it listed here, for O(restore).
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

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.k8s.seccomp_default.plugins.module_utils import errors, kubelet_files


def run(module):
    params = module.params
    result = kubelet_files.new_result()
    try:
        if params["restore"] is not None:
            kubelet_files.restore(module, params["restore"], result)
        else:
            kubelet_files.configure(module, params, result, params["seccomp_default"], params["remove_gate"])
    except kubelet_files.WriteFailed as exc:
        module.fail_json(msg=exc.msg, error=exc.named.details(), **result)
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            kubelet_files.LAYOUT_SPEC,
            seccomp_default=dict(type="bool"),
            remove_gate=dict(type="bool", default=False),
            restore=dict(type="list", elements="dict"),
        ),
        supports_check_mode=True,
    )
    errors.run_module(module, run)


if __name__ == "__main__":
    main()
