#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: node_facts
short_description: What a Kubernetes node needs known before SeccompDefault is turned on
version_added: 0.1.0
description:
  - Reads, from the node itself, everything the SeccompDefault rollout decides on and sets it as the fact
    C(seccomp_node).
  - The kubelet - its process and command line (C(/proc/<pid>/cmdline)), its systemd unit with drop-ins
    (kubeadm's C(10-kubeadm.conf)) and environment files (C(kubeadm-flags.env), C(/etc/default/kubelet),
    C(/etc/sysconfig/kubelet)), the command line the unit would start now, the version of the binary the unit
    starts, the C(--config) file, the C(--config-dir) drop-ins it reads, C(--root-dir), the health endpoint, the
    effective C(seccompDefault) (the C(--seccomp-default) flag OR the merged configuration) and the state of the
    C(SeccompDefault) feature gate with the error the kubelet would stop with, if any.
  - The container runtime named by the kubelet's endpoint (containerd or CRI-O), its version and configuration files,
    and CRI-O's C([crio.runtime] seccomp_profile).
  - The kernel release and C(/proc/sys/kernel/seccomp/actions_avail) and C(actions_logged); the libseccomp and runc
    versions; whether C(SCMP_ACT_LOG) works end to end (kernel 4.14+, libseccomp 2.4+, runc 1.0.0-rc9+).
  - Which sources of kernel seccomp records exist (auditd log, journald, C(/dev/kmsg), syslog files) and the printk
    rate limits that throttle them.
  - Optionally whether the kubelet answers on C(/healthz), and its systemd state.
options:
  check_health:
    description:
      - Request the kubelet's C(/healthz) and read the C(kubelet) unit's state with C(systemctl show).
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for C(/healthz).
    type: int
    default: 5
  as_fact:
    description:
      - Return what was found as the fact C(seccomp_node) in C(ansible_facts). With C(false) it is returned as
        RV(seccomp_node) only, for a caller that keeps it under a variable of its own (ansible-core 2.21 deprecates
        reading an injected fact as a top-level variable).
    type: bool
    default: true
  root:
    description:
      - Read the node's files under this directory instead of C(/) - a copy of a node's files, such as a backup or a
        mounted disk. The kubelet's unit, environment and configuration files and the container runtime's
        configuration are read there; no kubelet process is looked for, the unit's state is not read, and the
        kernel, libseccomp, runc and the logs are still this machine's.
    type: path
    default: /
attributes:
  check_mode:
    support: full
    description: The module only reads; it runs the same in check mode.
  diff_mode:
    support: none
    description: The module changes nothing, so there is nothing to show.
  facts:
    support: full
    description: Sets the fact C(seccomp_node).
notes:
  - Reads C(/proc) of every process, so it needs root on the node.
  - Files that decide what the kubelet runs with - its systemd unit and drop-ins, their C(EnvironmentFile=) files
    (C(kubeadm-flags.env), C(/etc/default/kubelet), ...), its C(--config) file and the C(*.conf) files of its
    C(--config-dir) - must be readable. One that is a directory, a FIFO, unreadable, not UTF-8 or larger than 4 MiB
    makes the module fail naming it, as facts read without it would describe another kubelet. A unit drop-in entry
    that is not a regular file is skipped with a warning, as systemd skips it.
  - A kubelet configuration that is not valid YAML or JSON, is not a map, or has a field of the wrong type is
    reported under C(kubelet.problems) and as a warning; that field's default is reported in its place.
  - The container runtime's files (containerd's C(config.toml) and C(base_runtime_spec), CRI-O's C(crio.conf) and
    C(crio.conf.d/*)) only inform. One that cannot be read, is not valid TOML or JSON, or has a table or value of
    the wrong type is reported under C(runtime.problems) and as a warning, and the module carries on.
  - Files of C(/proc) and C(/sys) that cannot be read are reported as absent.
author:
  - k8s.seccomp_default contributors (@k8s-seccomp-default)
"""

EXAMPLES = r"""
- name: Learn how each node runs its kubelet
  k8s.seccomp_default.node_facts:

- name: Show the kubelet version and the gate state
  ansible.builtin.debug:
    msg: "{{ seccomp_node.kubelet.version }}: gate {{ seccomp_node.kubelet.feature_gate.stage }}, problem {{ seccomp_node.kubelet.feature_gate.problem }}"
"""

RETURN = r"""
seccomp_node:
  description: The same as C(ansible_facts.seccomp_node), returned this way with O(as_fact=false).
  returned: when O(as_fact=false)
  type: dict
ansible_facts:
  description: The fact C(seccomp_node).
  returned: when O(as_fact=true)
  type: dict
  contains:
    seccomp_node:
      description: Everything found.
      type: dict
      contains:
        kubelet:
          description:
            - C(running), C(pid), C(argv) (running) and C(unit_argv) (what a restart would run), C(flags), C(binary),
              C(version), C(unit) (C(fragment), C(drop_ins), C(exec_start)), C(env_files), C(environment) (C(KUBELET*)
              variables), C(root_dir), C(config), C(config_dir), C(config_files) (in the order the kubelet reads them),
              C(kubeadm), C(drop_ins_supported), C(seccomp_default) (C(effective), C(flag), C(config)), C(feature_gate)
              (C(stage) alpha/beta/ga/removed, C(default), C(locked), C(value), C(in_flags), C(in_config), C(problem)),
              C(healthz) (C(address), C(port), C(url)), C(port), C(api_host) (where the kubelet's API answers on the
              node - its C(address), or 127.0.0.1 when that is every address), C(static_pod_path), C(kubeconfig) (its --kubeconfig),
              C(container_runtime_endpoint) and C(container_runtime_endpoint_source) (flag, config or default),
              C(healthy), C(health_error), C(service) (C(active_state), C(sub_state), C(n_restarts)) and C(problems).
            - C(layout) - which installer laid the node out (C(name) - kubeadm, kind, kubespray, eks-al2, eks-al2023,
              kops, openshift, k3s, rke2, microk8s or unknown - C(title), C(evidence), C(rewritten_by), C(keep_with),
              C(managed)); C(wrapper) - the words before the kubelet in its unit's command (OpenShift's
              kubenswrapper); C(kubeadm_version); C(unknown) - what could not be told (the version when no kubelet
              binary answers, whether a 1.28-1.29 kubelet reads its C(--config-dir)). See docs/node-layouts.md.
          type: dict
        runtime:
          description:
            - C(name) (containerd, cri-o or unknown), C(endpoint), C(version), C(config_files), C(seccomp_profile).
            - C(seccomp) - what the runtime's configuration decides about profiles. containerd - C(config), C(version)
              (2, 3 or 4), C(unset_seccomp_profile), C(default_handler), C(handlers) (per handler C(base_runtime_spec)
              and C(base_seccomp)). CRI-O - C(seccomp_profile), C(privileged_seccomp_profile), C(default_handler),
              C(handlers) (per handler C(seccomp_profile)).
          type: dict
        kernel:
          description: C(release), C(version), C(seccomp_actions_avail), C(seccomp_actions_logged), C(supports_log).
          type: dict
        libseccomp:
          description: C(version) of the system libseccomp.
          type: dict
        runc:
          description: C(version) and the C(libseccomp) it was linked with.
          type: dict
        seccomp_log:
          description: C(supported) and C(missing) (why not) for C(SCMP_ACT_LOG).
          type: dict
        audit_sources:
          description: C(auditd_log), C(journald), C(kmsg), C(syslog), C(printk_ratelimit), C(printk_ratelimit_burst).
          type: dict
      sample:
        kubelet:
          version: 1.30.14
          running: true
          config: /etc/kubernetes/kubelet-config.yaml
          config_dir: /etc/kubernetes/kubelet.conf.d
          seccomp_default: {effective: false, flag: false, config: false}
          feature_gate: {stage: removed, value: null, problem: null}
          healthy: true
        runtime: {name: containerd, version: 1.6.20}
        kernel: {release: 6.1.0-18-amd64, supports_log: true}
"""

import json

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.k8s.seccomp_default.plugins.module_utils import errors, node_facts, tools


def discover(module):
    params = module.params
    run = tools.runner(module)
    if params["check_health"]:
        facts = node_facts.gather_with_health(run, params["timeout"], root=params["root"], warn=module.warn)
    else:
        facts = node_facts.gather(run, root=params["root"], warn=module.warn)
    facts = json.loads(json.dumps(facts))
    if params["as_fact"]:
        module.exit_json(changed=False, ansible_facts=dict(seccomp_node=facts))
    module.exit_json(changed=False, seccomp_node=facts)


def main():
    module = AnsibleModule(
        argument_spec=dict(check_health=dict(type="bool", default=True), timeout=dict(type="int", default=5),
                           as_fact=dict(type="bool", default=True), root=dict(type="path", default="/")),
        supports_check_mode=True,
    )
    errors.run_module(module, discover)


if __name__ == "__main__":
    main()
