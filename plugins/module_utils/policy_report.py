# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Findings as wgpolicyk8s.io PolicyReports, one per checked object, so they sit beside Kyverno's.

Shape: wgpolicyk8s.io/v1alpha2 PolicyReport with `scope` (the object), `results`
(policy, rule, result pass/fail/warn/error/skip, message, properties, ...) and `summary`.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.k8s.seccomp_default.plugins.module_utils.effective import EffectiveError

API_VERSION = "wgpolicyk8s.io/v1alpha2"
POLICY = "seccomp"
OUTCOMES = ("pass", "fail", "warn", "error", "skip")
MANAGED_BY = "k8s.seccomp_default"


def policy_report(results, source=MANAGED_BY, timestamp=None):
    """A v1 List of PolicyReports, one per object, from pss_seccomp results and seccomp_impact entries."""
    stamp = dict(seconds=int(time.time() if timestamp is None else timestamp), nanos=0)
    reports = {}
    for index, finding in enumerate(_flatten(results)):
        scope = finding.get("resource") if isinstance(finding, dict) else None
        if not isinstance(scope, dict) or not scope.get("name"):
            raise EffectiveError("results[%d]: expected a pss_seccomp result or a seccomp_impact entry (with "
                                 "'resource'), got %r" % (index, finding if not isinstance(finding, dict)
                                                          else sorted(finding)))
        key = (scope.get("namespace"), scope.get("kind"), scope.get("name"), scope.get("uid"))
        report = reports.get(key)
        if report is None:
            report = reports[key] = _report(scope)
        for row in _rows(finding):
            row.update(policy=POLICY, source=source, timestamp=stamp, scored=True)
            report["results"].append(row)
            report["summary"][row["result"]] += 1
    return dict(apiVersion="v1", kind="List", items=[reports[key] for key in sorted(reports, key=_sort_key)])


def _sort_key(key):
    return tuple(part or "" for part in key)


def _flatten(results):
    flat = []
    for item in results if isinstance(results, list) else [results]:
        flat.extend(_flatten(item) if isinstance(item, list) else [item])
    return flat


def _report(scope):
    name = scope.get("uid") or "seccomp-%s-%s" % (str(scope.get("kind")).lower(), scope.get("name"))
    metadata = dict(name=name, labels={"app.kubernetes.io/managed-by": MANAGED_BY})
    if scope.get("namespace"):
        metadata["namespace"] = scope["namespace"]
    return dict(apiVersion=API_VERSION, kind="PolicyReport", metadata=metadata,
                scope=dict((k, v) for k, v in scope.items() if v), results=[],
                summary=dict((outcome, 0) for outcome in OUTCOMES))


def _rows(finding):
    if "check" in finding and "level" in finding:
        return [_pss_row(finding)]
    if "changes" in finding and "unconfined" in finding:
        return [_change_row(finding, change) for change in finding["changes"]] + [
            _unconfined_row(finding, container) for container in finding["unconfined"]]
    raise EffectiveError("results: %s/%s is neither a pss_seccomp result nor a seccomp_impact entry"
                         % (finding["resource"].get("namespace"), finding["resource"].get("name")))


def _pss_row(finding):
    label = '%s:%s' % (finding["level"], finding["version"])
    row = dict(rule="psa-%s-seccomp" % finding["level"], category="Pod Security Standards (%s)"
               % finding["level"].capitalize(), severity="medium", properties=dict(level=label))
    if finding["check"] is None:
        row.update(result="skip", message='the "%s" level has no seccomp check' % label)
    elif finding["exempt"]:
        row.update(result="skip", message="Windows pods are exempt from %s (PodSecurity %s)" % (finding["check"], label))
    elif finding["allowed"]:
        row.update(result="pass", message='allowed by PodSecurity "%s": %s' % (label, finding["check"]))
    else:
        row.update(result="fail", message=finding["message"])
    return row


def _change_row(finding, change):
    before, after = change["before"], change["after"]
    if finding["applied"]:
        message = ('%s container "%s": node %s has seccompDefault on, so it runs %s (%s before) once created '
                   'after the switch' % (change["kind"], change["name"], finding["node"], after["type"], before["type"]))
    else:
        message = ('%s container "%s" runs %s now and %s after node %s turns seccompDefault on and the pod is '
                   'recreated' % (change["kind"], change["name"], before["type"], after["type"], finding["node"]))
    return dict(rule="seccomp-default-change", category="SeccompDefault", severity="info", result="warn",
                message=message, properties=dict(container=change["name"], node=finding["node"],
                                                 before=before["type"], after=after["type"],
                                                 applied=str(finding["applied"]).lower()))


UNCONFINED_REASONS = {
    "privileged": "it is privileged, and the runtime drops the profile of privileged containers",
    "container": "its securityContext sets an Unconfined (or unknown) seccompProfile",
    "pod": "the pod's securityContext sets an Unconfined (or unknown) seccompProfile",
}


def _unconfined_row(finding, container):
    reason = UNCONFINED_REASONS.get(container["source"], container["source"])
    return dict(rule="effective-unconfined", category="SeccompDefault", severity="medium", result="warn",
                message='%s container "%s" stays Unconfined with seccompDefault on: %s' % (
                    container["kind"], container["name"], reason),
                properties=dict(container=container["name"], node=finding["node"], source=container["source"]))
