# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""What the runtime really applied, against what each container should have (k8s-facts.md 3, 6.3).

The check the SeccompDefault announcement does by hand - `crictl inspect <id> | jq .info.runtimeSpec.linux.seccomp`
- for every running container of a node: a container whose effective profile is RuntimeDefault or Localhost must
have a seccomp filter in its runtime spec; one that is Unconfined (privileged, explicit Unconfined, or unset with
seccompDefault off) must not.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.k8s.seccomp_default.plugins.module_utils.effective import (effective_seccomp, pods_in,
                                                                                    runtime_rules)


class AppliedError(ValueError):
    pass


def expected_profiles(pods, seccomp_default, kubelet_root_dir, runtime=None):
    """(pod UID, container name) -> the effective profile entry, for the pods in ``pods``."""
    expected = {}
    runtime = runtime_rules(runtime)
    for pod in pods_in(pods):
        meta = pod.get("metadata") or {}
        for entry in effective_seccomp(pod, seccomp_default, kubelet_root_dir, runtime):
            expected[(meta.get("uid"), entry["name"])] = dict(entry, pod=meta.get("name"),
                                                              namespace=meta.get("namespace") or "default")
    return expected


def compare(inspected, pods, seccomp_default, kubelet_root_dir="/var/lib/kubelet", runtime=None):
    """Each running container (``crictl inspect`` documents) with what it has, what it should have, and whether
    they agree. Containers of pods not in ``pods`` are listed with expected None. ``runtime``: node_facts' runtime
    facts, for filters the runtime adds itself (privileged_seccomp_profile, a base_runtime_spec's seccomp)."""
    expected = expected_profiles(pods, seccomp_default, kubelet_root_dir, runtime)
    rows = []
    for document in inspected:
        if not isinstance(document, dict) or "status" not in document:
            raise AppliedError("expected `crictl inspect` output (a dict with status and info), got %r" % (document,))
        status = document.get("status") or {}
        labels = status.get("labels") or {}
        spec = (document.get("info") or {}).get("runtimeSpec") or {}
        seccomp = (spec.get("linux") or {}).get("seccomp")
        name = labels.get("io.kubernetes.container.name") or (status.get("metadata") or {}).get("name")
        uid = labels.get("io.kubernetes.pod.uid")
        want = expected.get((uid, name))
        row = dict(container=name, pod=labels.get("io.kubernetes.pod.name"),
                   namespace=labels.get("io.kubernetes.pod.namespace"), pod_uid=uid, container_id=status.get("id"),
                   applied="seccomp" if seccomp else "none",
                   default_action=seccomp.get("defaultAction") if seccomp else None,
                   expected=want["type"] if want else None, source=want["source"] if want else None)
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
