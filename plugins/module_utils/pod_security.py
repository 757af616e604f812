# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The Pod Security Standards seccomp checks, as Pod Security Admission runs them
(docs/kubernetes-facts.md#pod-security-standards).

Mirrors pod-security-admission `policy/check_seccompProfile_baseline.go` and
`policy/check_seccompProfile_restricted.go`: same versions, same order of containers, same messages.
PSA reads the spec only, so a node's seccompDefault never makes a pod pass.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.k8s.seccomp_default.plugins.module_utils import pod_shape
from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import short_repr
from ansible_collections.k8s.seccomp_default.plugins.module_utils.effective import (
    CONTAINER_LISTS, CONTAINER_ANNOTATION, POD_ANNOTATION, EffectiveError, is_one_object, pods_in, resource_ref,
    template_of)

LEVELS = ("privileged", "baseline", "restricted")
VALID_TYPES = ("RuntimeDefault", "Localhost")
REASON = "seccompProfile"


def parse_version(version):
    """'latest' or 'v1.N' / '1.N' -> None (latest) or the minor number N."""
    if version is None:
        return None
    if not isinstance(version, str):
        # YAML reads an unquoted 1.30 as the number 1.3: the minor version is lost before it arrives here.
        raise EffectiveError("Pod Security Standards version %s is not valid: it is not a string; quote it, such as "
                             "'v1.30' (YAML reads 1.30 as the number 1.3)" % short(version), field="version")
    text = version.strip() or "latest"
    if text == "latest":
        return None
    match = re.match(r"^v?1\.(\d{1,4})$", text)
    if not match:
        raise EffectiveError("Pod Security Standards version %s is not valid; use 'latest' or 'v1.N' such as 'v1.30'"
                             % short(version), field="version")
    return int(match.group(1))


def check_level(level):
    if not isinstance(level, str) or level not in LEVELS:
        raise EffectiveError("Pod Security Standards level %s is not valid; use one of %s" % (short(level), ", ".join(LEVELS)),
                             field="level")
    return level


def short(value):
    return short_repr(value, 60)


def pss_seccomp_all(data, level="restricted", version="latest"):
    """The check of one Pod or workload object, or a list of checks for a collection, arguments checked first."""
    check_level(level)
    parse_version(version)
    if is_one_object(data):
        return pss_seccomp(data, level, version)
    return [_check(obj, level, version) for obj in pods_in(data)]


def pss_seccomp(obj, level="restricted", version="latest"):
    """The PSS seccomp check of one Pod or workload template at `level` and policy `version`."""
    check_level(level)
    parse_version(version)
    return _check(pod_shape.check_object(obj), level, version)


def _check(obj, level, version):
    """The check of an object ``pods_in`` or ``pod_of`` checked."""
    minor = parse_version(version)
    pod = template_of(obj)
    spec = pod.get("spec") or {}
    result = dict(resource=resource_ref(obj), node=spec.get("nodeName"), level=level,
                  version="latest" if minor is None else "v1.%d" % minor, check=None, allowed=True, exempt=False,
                  reason=None, detail=None, message=None)
    if level == "privileged":
        return result
    if not _at_least(minor, 19):
        result["check"] = "seccompProfile_baseline"
        detail = _annotations_detail(pod)
    elif level == "baseline":
        result["check"] = "seccompProfile_baseline"
        detail = _baseline_detail(spec)
    else:
        result["check"] = "seccompProfile_restricted"
        if _at_least(minor, 25) and ((spec.get("os") or {}).get("name")) == "windows":
            result["exempt"] = True  # seccompProfileRestricted_1_25: Windows pods cannot use seccomp
            return result
        detail = _restricted_detail(spec)
    if detail:
        result.update(allowed=False, reason=REASON, detail=detail,
                      message='would violate PodSecurity "%s:%s": %s (%s)' % (level, result["version"], REASON, detail))
    return result


def _at_least(minor, wanted):
    return minor is None or minor >= wanted


def _containers(spec):
    return [container for _kind, key in CONTAINER_LISTS for container in spec.get(key) or []]


def _own_profile(container):
    return (container.get("securityContext") or {}).get("seccompProfile")


def _pod_profile(spec):
    return (spec.get("securityContext") or {}).get("seccompProfile")


def _bad_setters(spec):
    """Who sets a type other than RuntimeDefault/Localhost, and which types: PSA's `badSetters`/`badValues`."""
    setters, values, pod_ok = [], set(), False
    pod_profile = _pod_profile(spec)
    if pod_profile is not None:
        if pod_profile.get("type") in VALID_TYPES:
            pod_ok = True
        else:
            setters.append("pod")
            values.add(str(pod_profile.get("type") or ""))
    explicit, implicit = [], []
    for container in _containers(spec):
        own = _own_profile(container)
        if own is not None:
            if own.get("type") not in VALID_TYPES:
                explicit.append(container.get("name"))
                values.add(str(own.get("type") or ""))
        elif not pod_ok:
            implicit.append(container.get("name"))
    if explicit:
        setters.append("%s %s" % (_pluralize("container", len(explicit)), _join_quote(explicit)))
    return setters, values, implicit


def _baseline_detail(spec):
    setters, values, _implicit = _bad_setters(spec)
    return _must_not(setters, values)


def _restricted_detail(spec):
    setters, values, implicit = _bad_setters(spec)
    if setters:
        return _must_not(setters, values)
    if implicit:
        return 'pod or %s %s must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"' % (
            _pluralize("container", len(implicit)), _join_quote(implicit))
    return None


def _must_not(setters, values):
    if not setters:
        return None
    return "%s must not set securityContext.seccompProfile.type to %s" % (" and ".join(setters),
                                                                          _join_quote(sorted(values)))


def _annotations_detail(pod):
    """Policy versions before 1.19 check the alpha annotations (seccompProfileBaseline_1_0)."""
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    keys = [POD_ANNOTATION] + [CONTAINER_ANNOTATION + str(c.get("name")) for c in _containers(pod.get("spec") or {})]
    forbidden = sorted(set("%s=%s" % (key, _quote(annotations[key])) for key in keys
                           if key in annotations and not _valid_annotation(annotations[key])))
    if not forbidden:
        return None
    return "forbidden %s %s" % (_pluralize("annotation", len(forbidden)), ", ".join(forbidden))


def _valid_annotation(value):
    return value in ("runtime/default", "docker/default") or value.startswith("localhost/")


def _pluralize(word, count):
    return word if count == 1 else word + "s"


def _quote(text):
    return json.dumps(str(text), ensure_ascii=False)  # Go's %q for the names and types PSA quotes


def _join_quote(items):
    return ", ".join(_quote(item) for item in items)
