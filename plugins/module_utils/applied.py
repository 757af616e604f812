# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""What the runtime really applied, against what each container should have
(docs/kubernetes-facts.md#effective-profile-rules, docs/kubernetes-facts.md#what-reaches-runc).

The check the SeccompDefault announcement does by hand - `crictl inspect <id> | jq .info.runtimeSpec.linux.seccomp`
- for every running container of a node: a container whose effective profile is RuntimeDefault or Localhost must
have a seccomp filter in its runtime spec; one that is Unconfined (privileged, explicit Unconfined, or unset with
seccompDefault off) must not.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.k8s.seccomp_default.plugins.module_utils import cri, pod_shape
from ansible_collections.k8s.seccomp_default.plugins.module_utils.effective import effective_of, pods_in, runtime_rules
from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError, short_repr

INSPECT = "`crictl inspect` output (a mapping with status and info)"


class AppliedError(InputError):
    pass


# What running containers are checked against (doc fragment k8s.seccomp_default.applied).
ARGUMENT_SPEC = dict(
    pods=dict(type="raw", required=True),
    kubelet_root_dir=dict(type="path", default="/var/lib/kubelet"),
    runtime=dict(type="dict"),
    fail_on_mismatch=dict(type="bool", default=True),
)


def expected_profiles(pods, seccomp_default, kubelet_root_dir, runtime=None):
    """(pod UID, container name) -> the effective profile entry, for the pods in ``pods``; every argument checked."""
    seccomp_default = pod_shape.argument_bool(seccomp_default, "seccomp_default")
    kubelet_root_dir = pod_shape.argument_path(kubelet_root_dir, "kubelet_root_dir", "/var/lib/kubelet")
    rules = runtime_rules(runtime)
    expected = {}
    for pod in pods_in(pods):
        meta = pod.get("metadata") or {}
        for entry in effective_of(pod, seccomp_default, kubelet_root_dir, rules):
            expected[(meta.get("uid"), entry["name"])] = dict(entry, pod=meta.get("name"),
                                                              namespace=meta.get("namespace") or "default")
    return expected


def compare(inspected, pods, seccomp_default, kubelet_root_dir="/var/lib/kubelet", runtime=None, sources=None):
    """Each running container (``crictl inspect`` documents) with what it has, what it should have, and whether
    they agree. Containers of pods not in ``pods`` are listed with expected None. ``runtime``: node_facts' runtime
    facts, for filters the runtime adds itself (privileged_seccomp_profile, a base_runtime_spec's seccomp).
    ``sources``: where each document came from (``crictl inspect <id>``), for the errors."""
    return compare_expected(inspected, expected_profiles(pods, seccomp_default, kubelet_root_dir, runtime), sources)


def inspected_seccomp(document, where):
    """(status, seccomp filter or None) of one ``crictl inspect`` document, its shape checked by module_utils/cri."""
    if not isinstance(document, dict):
        raise AppliedError("expected %s" % INSPECT, path=where, value=document)
    if "status" not in document:
        keys = ", ".join(sorted(map(str, document))) or "none"
        raise AppliedError("expected %s, got a mapping with keys %s" % (INSPECT, short_repr(keys)), path=where)
    cri.check_document(document, "inspect", where)
    seccomp = (((document.get("info") or {}).get("runtimeSpec") or {}).get("linux") or {}).get("seccomp")
    return document["status"], seccomp or None


def compare_expected(inspected, expected, sources=None):
    """``compare`` against ``expected_profiles``: the module works the profiles out before it asks crictl."""
    rows = []
    for index, document in enumerate(pod_shape.sequence(inspected, "inspected", expected="a list of " + INSPECT)):
        where = sources[index] if sources else "inspected[%d]" % index
        status, seccomp = inspected_seccomp(document, where)
        who = cri.identity(status)
        want = expected.get((who["pod_uid"], who["container"]))
        row = dict(container=who["container"], pod=who["pod"], namespace=who["namespace"], pod_uid=who["pod_uid"],
                   container_id=status.get("id"), applied="seccomp" if seccomp else "none",
                   default_action=seccomp.get("defaultAction") if seccomp else None,
                   expected=want["type"] if want else None, source=want["source"] if want else None,
                   warnings=list(want["warnings"]) if want else [])
        if want is None:
            row["ok"] = None
        elif want["type"] in ("RuntimeDefault", "Localhost"):
            row["ok"] = bool(seccomp)
        elif want["type"] == "Unconfined":
            row["ok"] = bool(seccomp) if want.get("runtime_filter") else not seccomp
        else:  # NotApplicable, Invalid: nothing to check
            row["ok"] = None
        rows.append(row)
    return rows


# Enough warnings to show a pattern; the rest are counted, so a cluster-wide problem does not bury the result.
MAX_WARNINGS = 20


def running_containers(crictl):
    """(documents, sources): ``crictl inspect`` of every running container, and the command each came from.
    crictl's output is checked by module_utils/cri, whose CriError names the command."""
    documents, sources = [], []
    for container in crictl.containers(all_states=False):
        documents.append(crictl.inspect(container["id"]))
        sources.append("crictl inspect %s" % container["id"])
    return documents, sources


def warnings(rows):
    """The effective-profile warnings (an unknown seccompProfile type, a Localhost name the API server refuses,
    legacy annotations) and the containers that could not be checked, each once, at most MAX_WARNINGS and a count."""
    seen = []
    for row in rows:
        for warning in row["warnings"]:
            text = "%s/%s container %s: %s" % (row["namespace"], row["pod"], row["container"], warning)
            if text not in seen:
                seen.append(text)
    unknown = [row for row in rows if row["expected"] is None]
    if unknown:
        seen.append("%d running container(s) belong to pods not in `pods` and were not checked: %s" % (
            len(unknown), ", ".join("%s/%s %s" % (row["namespace"], row["pod"], row["container"]) for row in unknown[:10])
            + (", ..." if len(unknown) > 10 else "")))
    if len(seen) > MAX_WARNINGS:
        return seen[:MAX_WARNINGS] + ["%d more warnings (see each container's warnings in the result)" % (len(seen) - MAX_WARNINGS)]
    return seen


def check_running(crictl, expected):
    """(result, the failure message or None): every running container's applied profile against ``expected``
    (expected_profiles), with the warnings to show."""
    documents, sources = running_containers(crictl)
    rows = compare_expected(documents, expected, sources)
    mismatches = [row for row in rows if row["ok"] is False]
    result = dict(containers=rows, mismatches=mismatches, verified=sum(1 for row in rows if row["ok"]))
    message = None
    if mismatches:
        message = "%d container(s) do not run with the profile they should: %s" % (len(mismatches), "; ".join(
            "%s/%s %s has %s, should be %s" % (row["namespace"], row["pod"], row["container"], row["applied"],
                                               row["expected"]) for row in mismatches))
    return result, message, warnings(rows)
