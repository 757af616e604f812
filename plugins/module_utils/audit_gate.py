# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Stage 2's decision: may this node enforce the default profile?

The findings (audit_scan entries from complain mode, syscall_trace entries from observe-only mode) are
joined to the node's pods. A finding blocks the gate only when its container will run under RuntimeDefault
once SeccompDefault is on (k8s-facts.md 3): containers that stay Unconfined (privileged, explicit
Unconfined) or keep their Localhost profile, host processes, and processes that cannot be attributed are
reported apart. For each blocked workload the suggested Localhost profile is kubernetes/default plus
exactly the syscalls it was seen to need.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.k8s.seccomp_default.plugins.module_utils import profiles
from ansible_collections.k8s.seccomp_default.plugins.module_utils.effective import effective_seccomp, pods_in

APART_REASONS = {
    "host": "a host process: not in a container",
    "exited": "the process was gone before it could be attributed",
    "unmanaged": "a container the node's CRI runtime does not run",
    "unknown": "not attributed (attribute: false)",
}


class GateError(ValueError):
    pass


def containers_after(pods, kubelet_root_dir):
    """(pod UID or (namespace, name), container name) -> the effective profile once SeccompDefault is on."""
    after = {}
    for pod in pods_in(pods):
        meta = pod.get("metadata") or {}
        for entry in effective_seccomp(pod, True, kubelet_root_dir):
            found = dict(entry, pod=meta.get("name"), namespace=meta.get("namespace") or "default", pod_uid=meta.get("uid"))
            if meta.get("uid"):
                after[(meta["uid"], entry["name"])] = found
            after[((found["namespace"], meta.get("name")), entry["name"])] = found
    return after


def _would_block(finding):
    if "verdict" in finding:  # syscall_trace
        return finding["verdict"]
    action = finding.get("action")  # audit_scan: complain mode logs what would be blocked
    return "allowed" if action in (None, "allow") else "blocked"


def audit_gate(findings, pods, kubelet_root_dir="/var/lib/kubelet", complete=True):
    """Split ``findings`` into blocking, review (undecidable) and apart; group the blocking ones per workload.

    ``complete`` false (records were throttled or lost) fails the gate even without a blocking finding: a
    missing record cannot be told from a clean workload.
    """
    if not isinstance(findings, list):
        raise GateError("findings must be the entries list of audit_scan or syscall_trace, got %s" % type(findings).__name__)
    after = containers_after(pods, kubelet_root_dir)
    blocking, review, apart = [], [], []
    for finding in findings:
        if not isinstance(finding, dict):
            raise GateError("each finding must be a dict (an audit_scan or syscall_trace entry), got %r" % (finding,))
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
    return dict(passed=not blocking and bool(complete), complete=bool(complete), blocking=blocking, review=review,
                apart=apart, workloads=workloads(blocking))


def targets(impact):
    """The containers that change profile, from seccomp_impact entries: what complain mode must watch start."""
    if not isinstance(impact, list):
        raise GateError("expected the list seccomp_impact returns, got %s" % type(impact).__name__)
    found = []
    for entry in impact:
        if not isinstance(entry, dict) or "changes" not in entry or "resource" not in entry:
            raise GateError("expected seccomp_impact entries (with resource and changes), got %r" % (entry,))
        resource = entry["resource"]
        for change in entry["changes"]:
            found.append(dict(pod_uid=resource.get("uid"), namespace=resource.get("namespace") or "default",
                              pod=resource.get("name"), container=change["name"]))
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


def suggest_profile(base, syscalls, source="suggested profile"):
    """``base`` (kubernetes/default) that also allows exactly ``syscalls``, validated like every profile.

    Rules that decide on arguments or deny one of these syscalls are narrowed to the other names, so the
    new allow rule is the only rule for them.
    """
    if not isinstance(base, dict) or "defaultAction" not in base:
        raise GateError("the base profile must be an OCI seccomp profile (a dict with defaultAction), got %r"
                        % (type(base).__name__,))
    wanted = sorted(set(name for name in syscalls or [] if name))
    if not all(isinstance(name, str) for name in wanted):
        raise GateError("syscalls must be names, got %r" % (wanted,))
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
