# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""What changes on a node when its kubelet turns seccompDefault on, pod by pod.

Rules: docs/kubernetes-facts.md#effective-profile-algorithm.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.k8s.seccomp_default.plugins.module_utils import pod_shape
from ansible_collections.k8s.seccomp_default.plugins.module_utils.effective import (
    EffectiveError, effective_of, pods_in, resource_ref, runtime_rules)

DEFAULT_ROOT_DIR = "/var/lib/kubelet"
# Pods that ended keep no running containers, and the kubelet does not start them again.
FINISHED_PHASES = ("Succeeded", "Failed")
NODE_STATES = ("true/false, {seccomp_default: true/false} or the node facts of k8s.seccomp_default.node_facts "
               "(seccomp_node)")


def node_state(name, value):
    """(seccomp_default, kubelet_root_dir, runtime rules or None) from node facts, {seccomp_default: ...} or a bare
    bool."""
    field = "nodes.%s" % name
    if isinstance(value, bool):
        return value, DEFAULT_ROOT_DIR, None
    if isinstance(value, dict):
        kubelet = value.get("kubelet")
        if isinstance(kubelet, dict):  # k8s.seccomp_default.node_facts
            where, setting = field + ".kubelet.seccomp_default", kubelet.get("seccomp_default")
            root_dir = pod_shape.text(kubelet.get("root_dir"), field + ".kubelet.root_dir") or DEFAULT_ROOT_DIR
        else:
            pod_shape.mapping(kubelet, field + ".kubelet", expected="the kubelet facts of node_facts (a mapping) or null")
            where, setting = field + ".seccomp_default", value.get("seccomp_default", False)
            root_dir = pod_shape.text(value.get("kubelet_root_dir"), field + ".kubelet_root_dir") or DEFAULT_ROOT_DIR
        if isinstance(setting, dict):
            where, setting = where + ".effective", setting.get("effective")
        if not isinstance(setting, bool):
            raise EffectiveError("node %r: expected %s" % (name, NODE_STATES), field=where, value=setting,
                                 expected="true or false")
        return setting, root_dir, runtime_rules(value.get("runtime"), field + ".runtime")
    raise EffectiveError("node %r: expected %s" % (name, NODE_STATES), field=field, value=value)


def seccomp_impact(pods, nodes):
    """Per pod placed on a node of `nodes`: containers whose profile changes, and those that stay Unconfined."""
    if not isinstance(nodes, dict):
        raise EffectiveError("expected a mapping of node name to its state, such as {node-1: true, node-2: "
                             "seccomp_node}", field="nodes", value=nodes)
    states = dict((name, node_state(name, value)) for name, value in nodes.items())
    entries = []
    for pod in pods_in(pods):
        if pod.get("kind") != "Pod":
            continue  # a template is placed nowhere
        node = (pod.get("spec") or {}).get("nodeName")
        if node not in states or (pod.get("status") or {}).get("phase") in FINISHED_PHASES:
            continue
        seccomp_default, root_dir, rules = states[node]
        entry = pod_impact(pod, node, seccomp_default, root_dir, rules)
        if entry["changes"] or entry["unconfined"]:
            entries.append(entry)
    return entries


def pod_impact(pod, node, seccomp_default, root_dir, rules=None):
    """The impact entry of one checked pod (from ``pods_in``); ``rules`` from ``runtime_rules``."""
    before = effective_of(pod, False, root_dir, rules)
    after = effective_of(pod, True, root_dir, rules)
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
