# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The audit's decision: may this node enforce the default profile?

The findings (audit_scan entries from complain mode, syscall_trace entries from observe mode) are
joined to the node's pods. A finding blocks the gate only when its container will run under RuntimeDefault
once SeccompDefault is on (docs/kubernetes-facts.md#effective-profile-rules): containers that stay Unconfined
(privileged, explicit Unconfined) or keep their Localhost profile, host processes, and processes that cannot be attributed are
reported apart. For each blocked workload the suggested Localhost profile is kubernetes/default plus
exactly the syscalls it was seen to need.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

from ansible_collections.k8s.seccomp_default.plugins.module_utils import pod_shape, profiles
from ansible_collections.k8s.seccomp_default.plugins.module_utils.effective import effective_of, pods_in
from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError, short_repr

APART_REASONS = {
    "host": "a host process: not in a container",
    "exited": "the process was gone before it could be attributed",
    "unmanaged": "a container the node's CRI runtime does not run",
    "unknown": "not attributed (attribute: false)",
}
VERDICTS = ("allowed", "blocked", "conditional", "unknown")
FINDING_TEXTS = ("attribution", "action", "pod_uid", "namespace", "pod", "container", "container_id", "exe", "syscall")
# Syscall names as libseccomp and the kernel's tables spell them (_llseek, rt_sigreturn, io_uring_setup).
SYSCALL_NAME = re.compile(r"^[a-z0-9_]{1,64}$")


class GateError(InputError):
    pass


def containers_after(pods, kubelet_root_dir):
    """(pod UID or (namespace, name), container name) -> the effective profile once SeccompDefault is on."""
    after = {}
    for pod in pods_in(pods):
        meta = pod.get("metadata") or {}
        for entry in effective_of(pod, True, kubelet_root_dir):
            found = dict(entry, pod=meta.get("name"), namespace=meta.get("namespace") or "default", pod_uid=meta.get("uid"))
            if meta.get("uid"):
                after[(meta["uid"], entry["name"])] = found
            after[((found["namespace"], meta.get("name")), entry["name"])] = found
    return after


def check_findings(findings):
    """The entries of audit_scan or syscall_trace, each a mapping whose fields have the types those modules give."""
    if not isinstance(findings, (list, tuple)):
        raise GateError("findings must be the entries list of audit_scan or syscall_trace", value=findings,
                        expected="a list such as seccomp_scan.entries")
    for index, finding in enumerate(findings):
        where = "findings[%d]" % index
        if not isinstance(finding, dict):
            raise GateError("each finding must be a dict (an audit_scan or syscall_trace entry)", field=where,
                            value=finding, expected="a mapping with attribution, container, syscall and action or verdict")
        for key in FINDING_TEXTS:
            pod_shape.text(finding.get(key), "%s.%s" % (where, key))
        for key in ("count", "processes"):
            pod_shape.count(finding.get(key), "%s.%s" % (where, key))
        if "verdict" in finding and finding["verdict"] not in VERDICTS:
            raise GateError("is not a verdict of syscall_trace", field=where + ".verdict", value=finding["verdict"],
                            expected="one of %s" % ", ".join(VERDICTS))
    return findings


def _would_block(finding):
    if "verdict" in finding:  # syscall_trace
        return finding["verdict"]
    action = finding.get("action")  # audit_scan: complain mode logs what would be blocked
    return "allowed" if action in (None, "allow") else "blocked"


def audit_gate(findings, pods, kubelet_root_dir="/var/lib/kubelet", complete=True):
    """Split ``findings`` into blocking, review (undecidable) and apart; group the blocking ones per workload.

    ``complete`` false (records were throttled or lost) keeps the gate from passing even without a blocking finding
    (the node is held): a missing record cannot be told from a clean workload. Every argument is checked before anything is decided.
    """
    check_findings(findings)
    complete = pod_shape.argument_bool(complete, "complete")
    after = containers_after(pods, pod_shape.argument_path(kubelet_root_dir, "kubelet_root_dir", "/var/lib/kubelet"))
    blocking, review, apart = [], [], []
    for finding in findings:
        verdict = _would_block(finding)
        if verdict == "allowed":
            continue
        attribution = finding.get("attribution", "container")
        if attribution != "container":
            apart.append(dict(finding, reason=APART_REASONS.get(attribution, attribution)))
            continue
        container = after.get((finding.get("pod_uid"), finding.get("container"))) or after.get(
            ((finding.get("namespace"), finding.get("pod")), finding.get("container")))
        if container is None:
            apart.append(dict(finding, reason="its pod or container is not in the node's pod list"))
            continue
        finding = dict(finding, pod=container["pod"], namespace=container["namespace"], pod_uid=container["pod_uid"])
        if container["type"] != "RuntimeDefault":
            where = " " + container["localhost_path"] if container["localhost_path"] else ""
            reason = ("privileged: stays Unconfined" if container["source"] == "privileged" else
                      "keeps its %s profile%s" % (container["type"], where))
            apart.append(dict(finding, reason=reason))
        elif verdict == "conditional":
            review.append(dict(finding, reason="kubernetes/default decides on an argument that was not traced"))
        elif verdict == "unknown":
            review.append(dict(finding, reason="the node's libseccomp has no name for syscall %s, so kubernetes/default's "
                                               "rules could not be matched" % finding.get("syscall")))
        else:
            blocking.append(finding)
    return dict(passed=not blocking and complete, complete=complete, blocking=blocking, review=review,
                apart=apart, workloads=workloads(blocking))


def targets(impact):
    """The containers that change profile, from seccomp_impact entries: what complain mode must watch start."""
    if not isinstance(impact, (list, tuple)):
        raise GateError("expected the list seccomp_impact returns", value=impact,
                        expected="the list of entries k8s.seccomp_default.seccomp_impact returns")
    found = []
    for index, entry in enumerate(impact):
        where = "[%d]" % index
        if not isinstance(entry, dict):
            raise GateError("expected seccomp_impact entries (with resource and changes)", field=where, value=entry)
        if "changes" not in entry or "resource" not in entry:
            keys = ", ".join(sorted(str(key) for key in entry)) or "none"
            raise GateError("expected seccomp_impact entries (with resource and changes), got a mapping with keys %s"
                            % short_repr(keys), field=where)
        resource = pod_shape.mapping(entry["resource"], where + ".resource",
                                     expected="the pod (a mapping with name, namespace and uid)", required=True)
        for key in ("uid", "namespace", "name"):
            pod_shape.text(resource.get(key), "%s.resource.%s" % (where, key))
        changes = pod_shape.sequence(entry["changes"], where + ".changes", expected="a list of containers that change")
        for number, change in enumerate(changes):
            field = "%s.changes[%d]" % (where, number)
            change = pod_shape.mapping(change, field, expected="a container that changes (a mapping with a name)",
                                       required=True)
            found.append(dict(pod_uid=resource.get("uid"), namespace=resource.get("namespace") or "default",
                              pod=resource.get("name"), container=pod_shape.text(
                                  change.get("name"), field + ".name", expected="the container's name", required=True)))
    return found


def workloads(blocking):
    """The blocking findings per (namespace, pod, container): executables and syscalls."""
    grouped = {}
    for finding in blocking:
        key = (finding["namespace"], finding["pod"], finding.get("container"))
        entry = grouped.setdefault(key, dict(namespace=key[0], pod=key[1], container=key[2], pod_uid=finding.get("pod_uid"),
                                             executables=[], syscalls=[], count=0))
        if finding.get("exe") and finding["exe"] not in entry["executables"]:
            entry["executables"].append(finding["exe"])
        if finding.get("syscall") and finding["syscall"] not in entry["syscalls"]:
            entry["syscalls"].append(finding["syscall"])
        entry["count"] += finding.get("count") or finding.get("processes") or 1
    for entry in grouped.values():
        entry["executables"].sort()
        entry["syscalls"].sort()
    return [grouped[key] for key in sorted(grouped, key=lambda key: tuple(part or "" for part in key))]


def syscall_names(syscalls, field="syscalls"):
    """A list of syscall names; a string alone is refused, not taken for the list of its letters."""
    for index, name in enumerate(pod_shape.names(syscalls, field, what="syscall name")):
        if not SYSCALL_NAME.match(name):
            raise GateError("is not a syscall name", field="%s[%d]" % (field, index), value=name,
                            expected="a name such as unshare or rt_sigreturn (lower-case letters, digits and _)")
    return sorted(set(syscalls or []))


def suggest_profile(base, syscalls, source="suggested profile"):
    """``base`` (kubernetes/default) that also allows exactly ``syscalls``, validated like every profile.

    Rules that decide on arguments or deny one of these syscalls are narrowed to the other names, so the
    new allow rule is the only rule for them. ``base`` is checked before it is read, so a rule of the wrong
    shape is named by ``profiles`` instead of failing half-way.
    """
    if not isinstance(base, dict) or "defaultAction" not in base:
        raise GateError("the base profile must be an OCI seccomp profile (a dict with defaultAction)", value=base,
                        expected="the content of kubernetes/default.json")
    wanted = syscall_names(syscalls)
    profiles.ensure_valid(base, "the base profile", compile_filter=False)
    profile = copy.deepcopy(base)
    rules = []
    for rule in profile.get("syscalls") or []:
        names = rule.get("names") or []
        if rule.get("action") != "SCMP_ACT_ALLOW" or rule.get("args"):
            names = [name for name in names if name not in wanted]
        if names:
            rules.append(dict(rule, names=names))
    allowed = set(profiles.allowed_syscalls(dict(profile, syscalls=rules)))
    missing = [name for name in wanted if name not in allowed or any(
        name in rule["names"] and rule.get("args") for rule in rules)]
    if missing:
        rules.append(dict(names=missing, action="SCMP_ACT_ALLOW"))
    profile["syscalls"] = rules
    profiles.ensure_valid(profile, source)
    return profile
