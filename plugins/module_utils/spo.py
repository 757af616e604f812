# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The audit's suggested profiles as objects of the Security Profiles Operator (SPO), and the pod spec that uses them.

SPO's ``SeccompProfile`` (security-profiles-operator.x-k8s.io/v1beta1, served by SPO 0.4 to 1.x; cluster-scoped
since 0.9) holds an OCI profile in its spec, without what its schema has no field for: a rule's ``includes`` and
``excludes`` and the profile's ``defaultErrnoRet`` are dropped by the API server. SPO writes each object to
``<kubelet root>/seccomp/operator/<name>.json`` on every node, so a pod uses it as the Localhost profile
``operator/<name>.json`` (api/seccompprofile/v1beta1/seccompprofile_types.go, GetProfilePath).

``baseProfileName`` names another SeccompProfile whose rules SPO appends to the object's own, taking the
default action and architectures from the object (internal/pkg/daemon/seccompprofile/seccompprofile.go,
internal/pkg/util/union_syscalls.go). That says "kubernetes/default plus these calls" exactly when none of the
calls has a rule in the base: a call the base denies, or allows only for some arguments, would then have two
rules, and the suggestion narrows the base's rule instead (audit_gate.suggest_profile). Such a workload gets
the whole suggested profile as its object, without a base.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import re

API_VERSION = "security-profiles-operator.x-k8s.io/v1beta1"
KIND = "SeccompProfile"
OPERATOR_DIR = "operator"
# Where the Localhost profile files are meant to go, under <kubelet root>/seccomp/.
LOCALHOST_DIR = "k8s.seccomp_default"
# What the object's spec may hold (the CRD's v1beta1 schema); anything else would be dropped on the way in.
SPEC_FIELDS = ("defaultAction", "architectures", "flags", "syscalls")
RULE_FIELDS = ("names", "action", "errnoRet", "args")
ARG_FIELDS = ("index", "value", "valueTwo", "op")
EPERM = 1  # what SCMP_ACT_ERRNO returns when no errno is given, as runc and crun load a profile
NAME_BYTES = 253  # a DNS subdomain, which an object's name must be
LABELS = {"app.kubernetes.io/managed-by": "k8s.seccomp_default"}
# The node's kubernetes/default, kept beside its suggested profiles (roles/audit/tasks/suggest.yml): their base.
BASE_FILE = "kubernetes-default.json"


class CannotExpress(ValueError):
    """The profile has something an SPO object cannot hold."""


def spec_of(profile, what):
    """The SeccompProfile spec that is ``profile`` (an OCI profile); CannotExpress names what it cannot hold."""
    extra = sorted(set(profile) - set(SPEC_FIELDS) - {"defaultErrnoRet", "comment"})
    if extra:
        raise CannotExpress("%s has %s, which a SeccompProfile has no field for" % (what, ", ".join(extra)))
    if profile.get("defaultErrnoRet", EPERM) != EPERM:
        raise CannotExpress("%s returns errno %s by default; a SeccompProfile's default is EPERM" % (what, profile["defaultErrnoRet"]))
    spec = dict((key, profile[key]) for key in SPEC_FIELDS if key in profile)
    rules = []
    for index, rule in enumerate(profile.get("syscalls") or []):
        extra = sorted(set(rule) - set(RULE_FIELDS) - {"comment"})
        if extra:
            raise CannotExpress("%s: rule %d (%s) has %s, which a SeccompProfile's rule has no field for"
                                % (what, index, ", ".join(rule.get("names") or []), ", ".join(extra)))
        rule = dict((key, rule[key]) for key in RULE_FIELDS if key in rule)
        if "args" in rule:
            rule["args"] = [dict((key, arg[key]) for key in ARG_FIELDS if key in arg) for arg in rule["args"]]
        rules.append(rule)
    spec["syscalls"] = rules
    return spec


def seccomp_profile(name, spec, annotations=None):
    metadata = dict(name=name, labels=dict(LABELS))
    if annotations:
        metadata["annotations"] = annotations
    return dict(apiVersion=API_VERSION, kind=KIND, metadata=metadata, spec=spec)


def base_name(spec):
    """The base object's name: the same kubernetes/default (the same runtime default) gives the same name."""
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()
    return "kubernetes-default-%s" % digest[:12]


def object_name(namespace, pod, container):
    """``<namespace>.<pod>.<container>``: namespaces and container names have no dots, so it names one container; a
    name longer than an object's keeps its start and a digest of the whole."""
    name = re.sub(r"[^a-z0-9.-]+", "-", "%s.%s.%s" % (namespace, pod, container)).strip("-.")
    if len(name) > NAME_BYTES:
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:12]
        name = name[:NAME_BYTES - 13].rstrip("-.") + "-" + digest
    return name


def localhost_file(namespace, pod, container):
    """The suggested profile's file name (roles/audit/tasks/suggest.yml writes it)."""
    return "%s_%s_%s.json" % (namespace, pod, container)


def security_context(localhost_profile):
    return {"securityContext": {"seccompProfile": {"type": "Localhost", "localhostProfile": localhost_profile}}}


def suggestion(base, namespace, pod, container, syscalls):
    """What a user can ship for one workload the audit held its node for: ``objects`` (its SeccompProfile, after the
    base it names, if any), ``name``, ``base`` (the base's name or None), ``why_whole`` (why there is no base), and the
    ``security_context`` snippets for SPO (``spo``) and for the Localhost file (``localhost``)."""
    # Here, not at the top: the node modules that import the report's schema (rollout_report) never compile it.
    from ansible_collections.k8s.seccomp_default.plugins.module_utils import audit_gate, profiles
    wanted = audit_gate.syscall_names(syscalls)
    if not isinstance(base, dict):
        raise CannotExpress("kubernetes/default is not an OCI seccomp profile (a mapping with defaultAction)")
    profiles.ensure_valid(base, "kubernetes/default", compile_filter=False)
    base_spec = spec_of(base, "kubernetes/default")
    ruled = sorted(set(name for rule in base_spec["syscalls"] for name in rule.get("names") or []) & set(wanted))
    name = object_name(namespace, pod, container)
    annotations = {"k8s.seccomp-default/workload": "%s/%s/%s" % (namespace, pod, container),
                   "k8s.seccomp-default/adds": ",".join(sorted(wanted))}
    if ruled:
        whole = audit_gate.suggest_profile(base, wanted)
        objects = [seccomp_profile(name, spec_of(whole, "the suggested profile"), annotations)]
        base_object, why = None, ("kubernetes/default has rules for %s; the suggestion replaces them, which a base "
                                  "profile's rules, appended by SPO, cannot" % ", ".join(ruled))
    else:
        base_object = seccomp_profile(base_name(base_spec), base_spec)
        spec = dict((key, base_spec[key]) for key in ("defaultAction", "architectures") if key in base_spec)
        spec.update(baseProfileName=base_object["metadata"]["name"],
                    syscalls=[dict(names=sorted(wanted), action="SCMP_ACT_ALLOW")])
        objects = [base_object, seccomp_profile(name, spec, annotations)]
        why = None
    return dict(objects=objects, name=name, base=base_object and base_object["metadata"]["name"], why_whole=why,
                security_context=dict(
                    spo=security_context("%s/%s.json" % (OPERATOR_DIR, name)),
                    localhost=security_context("%s/%s" % (LOCALHOST_DIR, localhost_file(namespace, pod, container)))))


def resolved(obj, objects_by_name):
    """The OCI profile SPO writes for ``obj``: its spec with the rules of the base it names appended, as SPO does."""
    spec = dict(obj["spec"])
    base = spec.pop("baseProfileName", None)
    if base:
        spec["syscalls"] = list(resolved(objects_by_name[base], objects_by_name)["syscalls"]) + list(spec.get("syscalls") or [])
    return spec


def yaml_documents(objects):
    """Objects as one YAML stream; each document is JSON, which YAML reads as it is."""
    return "".join("---\n%s\n" % json.dumps(obj, indent=2, sort_keys=True) for obj in objects)


def snippet(suggestion):
    """The container's securityContext for a suggestion of the report (with its ``security_context`` and
    ``seccomp_profile``), as YAML with what each way needs first."""
    where = "%s/%s/%s" % (suggestion["namespace"], suggestion["pod"], suggestion["container"])
    local = suggestion["security_context"]["localhost"]["securityContext"]["seccompProfile"]["localhostProfile"]
    lines = [
        "# The suggested profile of container %s, which needs %s beyond kubernetes/default." % (where, ", ".join(suggestion["syscalls"])),
        "# Set it in the container's entry of the pod template (spec.containers[].securityContext), one of two ways:",
        "#",
        "# 1. As a Localhost file: copy %s to <kubelet root dir>/seccomp/%s" % (localhost_file(
            suggestion["namespace"], suggestion["pod"], suggestion["container"]), local),
        "#    (/var/lib/kubelet/seccomp/%s) on every node the pod may run on, then:" % local,
        _yaml(suggestion["security_context"]["localhost"]),
        "# 2. With the Security Profiles Operator: apply the SeccompProfile %s (and its base, if it names one)" % suggestion["seccomp_profile"],
        "#    from seccompprofiles.yaml; the operator installs it on every node, and the container uses:",
    ]
    lines += ["# " + line for line in _yaml(suggestion["security_context"]["spo"]).splitlines()]
    return "\n".join(lines) + "\n"


def _yaml(value, indent=0):
    """A small mapping of strings as block YAML (the securityContext snippets)."""
    lines = []
    for key, item in value.items():
        if isinstance(item, dict):
            lines.append("%s%s:" % (" " * indent, key))
            lines.append(_yaml(item, indent + 2))
        else:
            lines.append("%s%s: %s" % (" " * indent, key, json.dumps(item)))
    return "\n".join(lines)
