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

from ansible_collections.k8s.seccomp_default.plugins.module_utils import pod_shape
from ansible_collections.k8s.seccomp_default.plugins.module_utils.effective import EffectiveError

API_VERSION = "wgpolicyk8s.io/v1alpha2"
POLICY = "seccomp"
OUTCOMES = ("pass", "fail", "warn", "error", "skip")
MANAGED_BY = "k8s.seccomp_default"
TAKEN = "a pss_seccomp result or a seccomp_impact entry (with 'resource')"


def policy_report(results, source=MANAGED_BY, timestamp=None):
    """A v1 List of PolicyReports, one per object, from pss_seccomp results and seccomp_impact entries."""
    pod_shape.text(source, "source", expected="a string, such as k8s.seccomp_default", required=True)
    if timestamp is not None and (isinstance(timestamp, bool) or not isinstance(timestamp, (int, float)) or timestamp < 0):
        raise EffectiveError("is not a time", field="timestamp", value=timestamp,
                             expected="seconds since the epoch (a number of 0 or more), or null for now")
    stamp = dict(seconds=int(time.time() if timestamp is None else timestamp), nanos=0)
    reports = {}
    for index, finding in enumerate(_flatten(results)):
        where = "results[%d]" % index
        _check_finding(finding, where)
        scope = finding["resource"]
        key = (scope.get("namespace"), scope.get("kind"), scope.get("name"), scope.get("uid"))
        report = reports.get(key)
        if report is None:
            report = reports[key] = _report(scope)
        for row in _rows(finding):
            row.update(policy=POLICY, source=source, timestamp=stamp, scored=True)
            report["results"].append(row)
            report["summary"][row["result"]] += 1
    return dict(apiVersion="v1", kind="List", items=[reports[key] for key in sorted(reports, key=_sort_key)])


def _check_finding(finding, where):
    """A pss_seccomp result or seccomp_impact entry with every field the report reads of the type they give."""
    scope = finding.get("resource") if isinstance(finding, dict) else None
    if not isinstance(scope, dict) or not scope.get("name"):
        if not isinstance(finding, dict):
            raise EffectiveError("expected %s" % TAKEN, field=where, value=finding)
        keys = ", ".join(sorted(map(str, finding))) or "none"
        raise EffectiveError("expected %s, got a mapping with keys %s" % (TAKEN, pod_shape.short_repr(keys)), field=where)
    for key in ("apiVersion", "kind", "namespace", "uid"):
        pod_shape.text(scope.get(key), "%s.resource.%s" % (where, key))
    pod_shape.text(scope.get("name"), where + ".resource.name", required=True)
    if "check" in finding and "level" in finding:
        for key in ("level", "version"):
            pod_shape.text(finding.get(key), "%s.%s" % (where, key), required=True)
        for key in ("check", "message"):
            pod_shape.text(finding.get(key), "%s.%s" % (where, key))
        for key in ("exempt", "allowed"):
            if not isinstance(finding.get(key), bool):
                raise EffectiveError("is not a boolean", field="%s.%s" % (where, key), value=finding.get(key),
                                     expected="true or false")
    elif "changes" in finding and "unconfined" in finding:
        pod_shape.text(finding.get("node"), where + ".node", required=True)
        pod_shape.flag(finding.get("applied"), where + ".applied")
        for key, profiles in (("changes", ("before", "after")), ("unconfined", ())):
            for number, container in enumerate(pod_shape.sequence(finding[key], "%s.%s" % (where, key))):
                field = "%s.%s[%d]" % (where, key, number)
                container = pod_shape.mapping(container, field, expected="a container (a mapping with name and kind)",
                                              required=True)
                for name in ("name", "kind") + (() if profiles else ("source",)):
                    pod_shape.text(container.get(name), "%s.%s" % (field, name), required=True)
                for name in profiles:
                    profile = pod_shape.mapping(container.get(name), "%s.%s" % (field, name),
                                                expected="a profile (a mapping with type)", required=True)
                    pod_shape.text(profile.get("type"), "%s.%s.type" % (field, name), required=True)
    else:
        raise EffectiveError("%s/%s is neither a pss_seccomp result nor a seccomp_impact entry"
                             % (scope.get("namespace"), scope.get("name")), field=where)


def _sort_key(key):
    return tuple(part or "" for part in key)


def _flatten(results, depth=0):
    if depth > pod_shape.MAX_NESTING:
        raise EffectiveError("are lists nested more than %d deep" % pod_shape.MAX_NESTING, field="results")
    flat = []
    for item in results if isinstance(results, list) else [results]:
        flat.extend(_flatten(item, depth + 1) if isinstance(item, list) else [item])
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
    raise AssertionError("_check_finding lets only pss_seccomp results and seccomp_impact entries through")


def _pss_row(finding):
    label = '%s:%s' % (finding["level"], finding["version"])
    row = dict(rule="psa-%s-seccomp" % finding["level"], category="Pod Security Standards (%s)"
               % finding["level"].capitalize(), severity="medium", properties=dict(level=label))
    if finding.get("check") is None:
        row.update(result="skip", message='the "%s" level has no seccomp check' % label)
    elif finding["exempt"]:
        row.update(result="skip", message="Windows pods are exempt from %s (PodSecurity %s)" % (finding["check"], label))
    elif finding["allowed"]:
        row.update(result="pass", message='allowed by PodSecurity "%s": %s' % (label, finding["check"]))
    else:
        row.update(result="fail", message=finding.get("message") or finding.get("detail"))
    return row


def _change_row(finding, change):
    before, after = change["before"], change["after"]
    if finding.get("applied"):
        message = ('%s container "%s": node %s has seccompDefault on, so it runs %s (%s before) once created '
                   'after the switch' % (change["kind"], change["name"], finding["node"], after["type"], before["type"]))
    else:
        message = ('%s container "%s" runs %s now and %s after node %s turns seccompDefault on and the pod is '
                   'recreated' % (change["kind"], change["name"], before["type"], after["type"], finding["node"]))
    return dict(rule="seccomp-default-change", category="SeccompDefault", severity="info", result="warn",
                message=message, properties=dict(container=change["name"], node=finding["node"],
                                                 before=before["type"], after=after["type"],
                                                 applied=str(bool(finding.get("applied"))).lower()))


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
