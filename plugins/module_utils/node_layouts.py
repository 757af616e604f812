# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Which installer laid the node out, and what that means for a change to the kubelet's configuration.

Each installer leaves its marks (the unit's drop-ins and environment files, files of its own) and has its own
way of writing the kubelet's configuration again later: the place a change lasts is different on each. The
table below is the one place that says so; docs/node-layouts.md explains it with sources.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

# name: (title, who rewrites the kubelet's configuration, how to keep SeccompDefault there, managed: refuse to edit)
LAYOUTS = {
    "kubeadm": ("kubeadm (deb/rpm packages)",
                "'kubeadm upgrade node' rewrites /var/lib/kubelet/config.yaml from the kube-system/kubelet-config ConfigMap",
                "a kubeadm patch (kubeadm 1.25+, given with --patches) or a --config-dir drop-in; or the ConfigMap", False),
    "kind": ("kind (kubeadm in a node container)",
             "kubeadm, as on any kubeadm node; a recreated cluster starts from its kind config",
             "kubeadmConfigPatches of kind's cluster config for new clusters", False),
    "kubespray": ("kubespray",
                  "kubespray's cluster.yml and upgrade_cluster.yml render /etc/kubernetes/kubelet-config.yaml again",
                  "kubelet_seccomp_default: true in the inventory, so the next kubespray run keeps it", False),
    "eks-al2": ("Amazon EKS, Amazon Linux 2 (bootstrap.sh)",
                "bootstrap.sh writes /etc/kubernetes/kubelet/kubelet-config.json when an instance is launched",
                "the node group's launch template (--kubelet-extra-args or a config in user data) for new instances",
                False),
    "eks-al2023": ("Amazon EKS, Amazon Linux 2023 (nodeadm)",
                   "nodeadm writes /etc/kubernetes/kubelet/config.json and its own drop-in at every boot",
                   "a drop-in of our own in config.json.d lasts on this instance; the NodeConfig's "
                   "spec.kubelet.config in user data for new instances", False),
    "kops": ("kops (nodeup)",
             "nodeup renders the kubelet's flags and configuration when the node boots",
             "spec.kubelet.seccompDefault in the kops cluster spec", False),
    "openshift": ("OpenShift (Machine Config Operator)",
                  "the Machine Config Operator owns every kubelet file and degrades a node whose files drift",
                  "a KubeletConfig custom resource (kubeletConfig.seccompDefault: true) for the machine config pool",
                  True),
    "k3s": ("k3s", "the kubelet runs inside k3s, configured by /etc/rancher/k3s/config.yaml",
            "kubelet-arg: [seccomp-default=true] in /etc/rancher/k3s/config.yaml", True),
    "rke2": ("RKE2", "the kubelet is started by rke2 from /etc/rancher/rke2/config.yaml",
             "kubelet-arg: [seccomp-default=true] in /etc/rancher/rke2/config.yaml", True),
    "microk8s": ("MicroK8s", "the kubelet runs inside kubelite, with arguments in /var/snap/microk8s/current/args/kubelet",
                 "--seccomp-default in /var/snap/microk8s/current/args/kubelet", True),
    "unknown": ("not recognised", "nothing known", "the kubelet's own configuration file", False),
}


EKS_AL2_CONFIG = "/etc/kubernetes/kubelet/kubelet-config.json"


def detect(unit, command, environment, exists):
    """(name, evidence) for a node; ``unit`` from systemd.read_unit, ``command`` the unit's full command (wrapper
    included), ``environment`` the service's, ``exists(path)`` tells whether a node path exists."""
    drop_ins = [os.path.basename(path) for path in unit.get("drop_ins") or []]
    env_files = [path for path, _optional in unit.get("environment_files") or []]
    for name, path in (("k3s", "/etc/rancher/k3s"), ("rke2", "/etc/rancher/rke2"), ("microk8s", "/var/snap/microk8s")):
        if exists(path) and not unit.get("fragment"):
            return name, "%s exists and there is no kubelet.service" % path
    if any(os.path.basename(word) == "kubenswrapper" for word in command):
        return "openshift", "the unit starts the kubelet through kubenswrapper"
    if exists("/etc/machine-config-daemon"):
        return "openshift", "/etc/machine-config-daemon exists"
    if "/etc/eks/kubelet/environment" in env_files or exists("/usr/bin/nodeadm"):
        return "eks-al2023", "the unit reads /etc/eks/kubelet/environment (nodeadm)"
    if exists("/etc/eks/bootstrap.sh"):
        return "eks-al2", "/etc/eks/bootstrap.sh exists"
    if EKS_AL2_CONFIG in command or "--config=" + EKS_AL2_CONFIG in command:
        return "eks-al2", "the kubelet reads %s (amazon-eks-ami AL2)" % EKS_AL2_CONFIG
    if "DAEMON_ARGS" in environment:
        return "kops", "the unit's environment has DAEMON_ARGS (nodeup's /etc/sysconfig/kubelet)"
    if "11-kind.conf" in drop_ins or exists("/kind"):
        return "kind", "11-kind.conf drop-in" if "11-kind.conf" in drop_ins else "/kind exists"
    if "/etc/kubernetes/kubelet.env" in env_files:
        return "kubespray", "the unit reads /etc/kubernetes/kubelet.env"
    if "10-kubeadm.conf" in drop_ins or exists("/var/lib/kubelet/kubeadm-flags.env"):
        return "kubeadm", "10-kubeadm.conf drop-in" if "10-kubeadm.conf" in drop_ins else "kubeadm-flags.env exists"
    return "unknown", "no installer's marks found"


def describe(name, evidence):
    title, rewrites, keep, managed = LAYOUTS[name]
    return dict(name=name, title=title, evidence=evidence, rewritten_by=rewrites, keep_with=keep, managed=managed)
