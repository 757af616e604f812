# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""What changes on a node when its kubelet turns seccompDefault on, pod by pod (k8s-facts.md 3.3)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.k8s.seccomp_default.plugins.module_utils.effective import (
    EffectiveError, effective_seccomp, pods_in, resource_ref, runtime_rules)

DEFAULT_ROOT_DIR = "/var/lib/kubelet"
# Pods that ended keep no running containers, and the kubelet does not start them again.
FINISHED_PHASES = ("Succeeded", "Failed")


def node_state(name, value):
    """(seccomp_default, kubelet_root_dir, runtime facts or None) from node facts, {seccomp_default: ...} or a bare
    bool."""
    if isinstance(value, bool):
        return value, DEFAULT_ROOT_DIR, None
    if isinstance(value, dict):
        kubelet = value.get("kubelet")
        if isinstance(kubelet, dict):  # k8s.seccomp_default.node_facts
            setting = kubelet.get("seccomp_default")
            root_dir = kubelet.get("root_dir") or DEFAULT_ROOT_DIR
        else:
            setting = value.get("seccomp_default", False)
            root_dir = value.get("kubelet_root_dir") or DEFAULT_ROOT_DIR
        if isinstance(setting, dict):
            setting = setting.get("effective")
        if isinstance(setting, bool):
            return setting, root_dir, runtime_rules(value.get("runtime"))
    raise EffectiveError("node %r: expected true/false, {seccomp_default: true/false} or the node facts of "
                         "k8s.seccomp_default.node_facts, got %r" % (name, value))


def seccomp_impact(pods, nodes):
    """Per pod placed on a node of `nodes`: containers whose profile changes, and those that stay Unconfined."""
    if not isinstance(nodes, dict):
        raise EffectiveError("nodes: expected a mapping of node name to its state, got %s" % type(nodes).__name__)
    states = dict((name, node_state(name, value)) for name, value in nodes.items())
    entries = []
    for pod in pods_in(pods):
        if pod.get("kind") != "Pod":
            continue  # a template is placed nowhere
        node = (pod.get("spec") or {}).get("nodeName")
        if node not in states or (pod.get("status") or {}).get("phase") in FINISHED_PHASES:
            continue
        seccomp_default, root_dir, runtime = states[node]
        entry = pod_impact(pod, node, seccomp_default, root_dir, runtime)
        if entry["changes"] or entry["unconfined"]:
            entries.append(entry)
    return entries


def pod_impact(pod, node, seccomp_default, root_dir, runtime=None):
    before = effective_seccomp(pod, False, root_dir, runtime)
    after = effective_seccomp(pod, True, root_dir, runtime)
    changes, unconfined = [], []
    for old, new in zip(before, after):
        if old["type"] != new["type"]:
            changes.append(dict(name=new["name"], kind=new["kind"], before=_profile(old), after=_profile(new)))
        elif new["type"] == "Unconfined":
            unconfined.append(dict(name=new["name"], kind=new["kind"], source=new["source"],
                                   privileged=new["privileged"], warnings=new["warnings"]))
    owners = (pod.get("metadata") or {}).get("ownerReferences") or []
    owner = next((o for o in owners if o.get("controller")), owners[0] if owners else None)
    return dict(node=node, resource=resource_ref(pod), applied=seccomp_default, affected=bool(changes),
                owner=dict(kind=owner.get("kind"), name=owner.get("name")) if owner else None,
                changes=changes, unconfined=unconfined)


def _profile(entry):
    return dict(type=entry["type"], source=entry["source"], localhost_path=entry["localhost_path"])
