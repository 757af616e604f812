# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The seccomp profile each container really gets: kubelet rules, then runtime rules
(docs/kubernetes-facts.md#effective-profile-rules).

Plain Python over plain dicts (Pods as the API returns them), fast enough for whole clusters.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.k8s.seccomp_default.plugins.module_utils import pod_shape
from ansible_collections.k8s.seccomp_default.plugins.module_utils.pod_shape import (CONTAINER_LISTS, POD_TEMPLATES,
                                                                                    ShapeError)

KNOWN_TYPES = ("RuntimeDefault", "Localhost", "Unconfined")
POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
CONTAINER_ANNOTATION = "container.seccomp.security.alpha.kubernetes.io/"

WORKLOAD_API_VERSIONS = {
    "Deployment": "apps/v1", "StatefulSet": "apps/v1", "DaemonSet": "apps/v1", "ReplicaSet": "apps/v1",
    "ReplicationController": "v1", "Job": "batch/v1", "CronJob": "batch/v1", "PodTemplate": "v1",
}

# The name the effective-profile rules and their callers know; every error here is about the input's shape.
EffectiveError = ShapeError


def pod_of(obj):
    """The Pod, or the pod template of a workload object, as a Pod-shaped dict; the object is checked first."""
    return template_of(pod_shape.check_object(obj))


def template_of(obj):
    """The pod of an object ``pods_in`` or ``pod_of`` has checked."""
    kind = obj.get("kind") or "Pod"
    if kind == "Pod":
        return obj
    template = obj
    for key in POD_TEMPLATES[kind]:
        template = (template or {}).get(key)
    return dict(template or {}, kind="Pod")


def pods_in(data):
    """Every Pod or workload object in the input, as users have it, each checked (module_utils/pod_shape).

    A Pod or workload object; a `v1 List` or typed list (PodList, DeploymentList, ...) as `kubectl get -o json`
    or the API returns it; the result of kubernetes.core.k8s_info (its `resources`); or a list of any of these.
    Objects of other kinds inside a collection (Services in `kubectl get all`) carry no containers and are skipped.
    """
    return pod_shape.objects(data)


def is_one_object(data):
    """Whether the input is a single Pod or workload object rather than a collection of them."""
    if not isinstance(data, dict) or "items" in data or "resources" in data:
        return False
    kind = data.get("kind")
    if kind is None:
        return "spec" in data or "metadata" in data
    return isinstance(kind, str) and (kind == "Pod" or kind in POD_TEMPLATES)


def resource_ref(obj):
    """The object's ObjectReference: apiVersion, kind, name, namespace, uid (the PolicyReport `scope`)."""
    meta = obj.get("metadata") or {}
    kind = obj.get("kind", "Pod")
    return dict(apiVersion=obj.get("apiVersion") or ("v1" if kind == "Pod" else WORKLOAD_API_VERSIONS.get(kind, "")),
                kind=kind, name=meta.get("name"), namespace=meta.get("namespace"), uid=meta.get("uid"))


def go_join_clean(*parts):
    """filepath.Join then Clean, as the kubelet builds the Localhost path (an absolute part does not reset it)."""
    path = "/".join(part for part in parts if part)
    absolute = path.startswith("/")
    out = []
    for element in path.split("/"):
        if element in ("", "."):
            continue
        if element == "..":
            if out and out[-1] != "..":
                out.pop()
            elif not absolute:
                out.append("..")
            continue
        out.append(element)
    return ("/" if absolute else "") + "/".join(out) or ("/" if absolute else ".")


def localhost_name_problem(name):
    """The API server's rules for localhostProfile (docs/kubernetes-facts.md#localhost-profile-names), or None."""
    if name.startswith("/"):
        return "must be a relative path"
    if ".." in re.split(r"[/\\]", name):
        return "must not contain '..'"
    return None


def runtime_rules(runtime, field="runtime"):
    """What a node's runtime adds to the kubelet's rules, from node_facts' ``runtime`` (or None: nothing).

    CRI-O 1.33+ ``privileged_seccomp_profile`` gives privileged containers that profile; a containerd runtime handler
    whose ``base_runtime_spec`` holds a seccomp filter keeps it for containers that request none (Unconfined,
    privileged); CRI-O 1.34+ lets a handler replace what RuntimeDefault means
    (docs/kubernetes-facts.md#runtime-default-profiles-and-knobs).
    """
    if runtime is None:
        return None
    runtime = pod_shape.mapping(runtime, field, expected="the runtime facts of k8s.seccomp_default.node_facts "
                                                         "(seccomp_node.runtime), or null")
    if "base_seccomp" in runtime:
        return _converted_rules(runtime, field)
    if "seccomp" in runtime:
        field += ".seccomp"
        if runtime["seccomp"] is None:
            return None
        seccomp = pod_shape.mapping(runtime["seccomp"], field, expected="the runtime's seccomp settings (a mapping) or null")
    else:
        seccomp = runtime
    handlers = pod_shape.mapping(seccomp.get("handlers"), field + ".handlers",
                                 expected="a mapping of runtime handler name to its settings, or null")
    base_seccomp, handler_profiles = [], {}
    for name, handler in handlers.items():
        where = "%s.handlers.%s" % (field, name)
        handler = pod_shape.mapping(handler, where, expected="the handler's settings (a mapping) or null")
        if pod_shape.flag(handler.get("base_seccomp"), where + ".base_seccomp"):
            base_seccomp.append(name)
        profile = pod_shape.text(handler.get("seccomp_profile"), where + ".seccomp_profile")
        if profile:
            handler_profiles[name] = profile
    return dict(privileged_profile=pod_shape.text(seccomp.get("privileged_seccomp_profile"),
                                                  field + ".privileged_seccomp_profile"),
                default_handler=pod_shape.text(seccomp.get("default_handler"), field + ".default_handler") or "runc",
                base_seccomp=sorted(base_seccomp), handler_profiles=handler_profiles)


def _converted_rules(rules, field):
    """Rules ``runtime_rules`` returned already, handed back in: checked, not converted again."""
    pod_shape.text(rules.get("privileged_profile"), field + ".privileged_profile")
    pod_shape.text(rules.get("default_handler"), field + ".default_handler", required=True)
    pod_shape.names(rules.get("base_seccomp"), field + ".base_seccomp", what="runtime handler name")
    for name, profile in pod_shape.mapping(rules.get("handler_profiles"), field + ".handler_profiles").items():
        pod_shape.text(profile, "%s.handler_profiles.%s" % (field, name), required=True)
    return rules


def effective_seccomp(pod, seccomp_default=False, kubelet_root_dir="/var/lib/kubelet", runtime=None):
    """One entry per container (init, regular, ephemeral, in spec order): what the runtime applies.

    ``runtime``: node_facts' runtime facts (or ``runtime_rules`` of them), for what the runtime itself changes.
    The pod's runtime handler is taken to be its runtimeClassName (RuntimeClass handlers usually share the name).
    Every argument is checked; a wrong shape is an ``EffectiveError`` naming the object, field and value.
    """
    seccomp_default = pod_shape.argument_bool(seccomp_default, "seccomp_default")
    kubelet_root_dir = pod_shape.argument_path(kubelet_root_dir, "kubelet_root_dir", "/var/lib/kubelet")
    return effective_of(pod_of(pod), seccomp_default, kubelet_root_dir, runtime_rules(runtime))


def effective_of(obj, seccomp_default, kubelet_root_dir, rules=None):
    """``effective_seccomp`` of an object ``pods_in`` or ``pod_of`` checked, with arguments checked already and
    ``rules`` from ``runtime_rules``: what callers that checked their input once use for each pod."""
    pod = template_of(obj)
    spec = pod.get("spec") or {}
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    windows = ((spec.get("os") or {}).get("name") or "").lower() == "windows"
    pod_profile = (spec.get("securityContext") or {}).get("seccompProfile")
    entries = []
    for kind, key in CONTAINER_LISTS:
        for container in spec.get(key) or []:
            entry = _container_entry(container, kind, pod_profile, annotations, windows, seccomp_default,
                                     kubelet_root_dir)
            if rules:
                _runtime_entry(entry, rules, spec.get("runtimeClassName") or rules["default_handler"])
            entries.append(entry)
    return entries


def _runtime_entry(entry, rules, handler):
    if entry["source"] == "privileged" and rules["privileged_profile"]:
        entry.update(type="Localhost", source="runtime-privileged", localhost_path=rules["privileged_profile"])
        entry["warnings"].append("the runtime gives privileged containers %s (privileged_seccomp_profile)"
                                 % rules["privileged_profile"])
    elif entry["type"] == "Unconfined" and handler in rules["base_seccomp"]:
        entry["runtime_filter"] = "base_runtime_spec of runtime handler %s" % handler
        entry["warnings"].append("no profile is requested, but the seccomp filter of the base_runtime_spec of runtime "
                                 "handler %s stays" % handler)
    elif entry["type"] == "RuntimeDefault" and handler in rules["handler_profiles"]:
        entry["runtime_default_profile"] = rules["handler_profiles"][handler]


def _container_entry(container, kind, pod_profile, annotations, windows, seccomp_default, root_dir):
    context = container.get("securityContext") or {}
    own = context.get("seccompProfile")
    privileged = context.get("privileged") is True
    if own is not None:
        chosen, source = own, "container"
    elif pod_profile is not None:
        chosen, source = pod_profile, "pod"
    else:
        chosen, source = None, "node-default" if seccomp_default else "unset"
    entry = dict(name=container.get("name"), kind=kind, source=source, type=None, localhost_path=None,
                 privileged=privileged, warnings=[])
    warnings = entry["warnings"]
    for annotation in (POD_ANNOTATION, CONTAINER_ANNOTATION + str(container.get("name"))):
        if annotation in annotations:
            warnings.append("annotation %s=%s has no effect since Kubernetes 1.27; set securityContext.seccompProfile"
                            % (annotation, annotations[annotation]))
    if windows:
        entry["type"] = "NotApplicable"
        return entry
    if chosen is None:
        requested = "RuntimeDefault" if seccomp_default else "Unconfined"
    else:
        requested = chosen.get("type")
        if requested == "Localhost":
            name = chosen.get("localhostProfile") or ""
            if not name:
                entry["type"] = "Invalid"
                warnings.append("localhostProfile must be set if seccompProfile type is Localhost "
                                "(the kubelet refuses to create the container)")
                return entry
            problem = localhost_name_problem(name)
            if problem:
                warnings.append("localhostProfile %r %s; the API server rejects it" % (name, problem))
            entry["localhost_path"] = go_join_clean(root_dir, "seccomp", name)
        elif requested not in KNOWN_TYPES:
            warnings.append("seccompProfile type %r is unknown to this kubelet, which applies Unconfined" % requested)
            requested = "Unconfined"
    if privileged:
        # The runtimes drop the profile of privileged containers (docs/kubernetes-facts.md#privileged-containers).
        if chosen is not None and requested != "Unconfined":
            warnings.append("privileged containers run Unconfined; the %s profile is not applied" % requested)
        entry.update(type="Unconfined", source="privileged", localhost_path=None)
        return entry
    entry["type"] = requested
    return entry
