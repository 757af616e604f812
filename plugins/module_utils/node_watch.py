# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""What enforcement's watch judges: containers that restarted or stopped, and the kernel's seccomp records.

The watch starts before the containers are recreated under RuntimeDefault, so its baseline is the set of
containers the verification saw running afterwards: a container created since the start that is not in that
set was restarted (or crashed before it was verified), and one of the set that no longer runs has stopped.
Ordinary EPERM denials of the default profiles leave no kernel record (docs/kubernetes-facts.md#when-the-kernel-logs);
a kill action does, and so does a denial when the runtime set SECCOMP_FILTER_FLAG_LOG: either is a workload being
stopped.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:  # Python 3
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover - Python 2 is not a node Python for this collection
    raise

from ansible_collections.k8s.seccomp_default.plugins.module_utils import cri, errors


def health_url(url, option):
    """``url`` when it is an http(s) URL with a host; the kubelet's /healthz is nothing else, and a typo would
    otherwise read as a kubelet that never became healthy."""
    try:
        parts = urlsplit(url)
        parts.port  # pylint: disable=pointless-statement  # a port that is not a number raises here
    except ValueError as exc:
        raise errors.InputError("is not a URL (%s)" % exc, field=option, value=url, expected="http://<host>:<port>/healthz")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise errors.InputError("is not an http(s) URL with a host", field=option, value=url,
                                expected="http://<host>:<port>/healthz")
    return url


def container_name(container):
    """namespace/pod/container of a `crictl ps` entry (module_utils/cri's identity)."""
    who = cri.identity(container)
    return "%s/%s/%s" % (who["namespace"] or "", who["pod"] or "", who["container"])


def restarted(listing, since_ns, baseline_ids):
    """Names of the containers (`crictl ps -a -o json` entries) that restarted or stopped since ``since_ns``."""
    baseline = set(baseline_ids)
    found = []
    for container in listing:
        if container.get("id") in baseline:
            if container.get("state") not in cri.RUNNING:
                found.append(container_name(container))
        elif cri.created_at(container) > since_ns:
            found.append(container_name(container))
    return sorted(set(found))


def kernel_stops(entries):
    """The kernel record entries that stopped a container's syscall (anything but a logged, allowed call)."""
    return [entry for entry in entries if entry.get("attribution") == "container" and entry.get("action") != "log"]


def describe_stops(entries):
    return "; ".join("%s/%s/%s %s %s" % (entry.get("namespace"), entry.get("pod"), entry.get("container"),
                                         entry.get("syscall"), entry.get("action")) for entry in entries)
