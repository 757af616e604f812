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

import json
import os
import time

from ansible_collections.k8s.seccomp_default.plugins.module_utils import audit_scan, cri, errors, files, health


# The options of one look at the node (doc fragment k8s.seccomp_default.node_watch).
ARGUMENT_SPEC = dict(
    wait=dict(type="int", default=0),
    max_restarts=dict(type="int", default=0),
    healthz_url=dict(type="str", default="http://127.0.0.1:10248/healthz"),
    unit=dict(type="str", default="kubelet.service"),
    kernel_state_dir=dict(type="path"),
    cursor_name=dict(type="str", default="enforce"),
)


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


def cursor_path(kernel_state_dir, cursor_name):
    """The kernel record cursor's file, or None without ``kernel_state_dir``; a cursor that is not a readable regular
    file is refused before the watch reads or writes anything."""
    if not kernel_state_dir:
        return None
    problem = files.relative_name_problem(cursor_name + ".json")
    if problem:
        raise errors.InputError(problem, field="cursor_name", value=cursor_name)
    cursor_file = os.path.join(kernel_state_dir, cursor_name + ".json")
    if os.path.exists(kernel_state_dir) and not os.path.isdir(kernel_state_dir):
        raise errors.InputError("is not a directory", path=kernel_state_dir, field="kernel_state_dir")
    errors.read_file(cursor_file, missing_ok=True)
    return cursor_file


def read_kernel(cursor_file, run, crictl, reset, check_mode):
    """The kernel's seccomp records since the cursor (``reset``: none - the cursor moves to the end of every source),
    attributed to containers; the cursor is written unless ``check_mode``."""
    if not cursor_file:
        return dict(records=None, entries=[])
    try:
        attribute = audit_scan.ProcessTable(containers=crictl.identities())
        _before, result, after = audit_scan.read_new(cursor_file, run, attribute, reset=reset)
    except audit_scan.ScanError as exc:
        raise errors.InputError("reading the kernel's seccomp records: %s" % exc)
    if not check_mode:
        files.ensure_directories(cursor_file, 0o700)
        files.atomic_write(cursor_file, (json.dumps(after, sort_keys=True) + "\n").encode(), 0o600)
    return result


def mark_start(cursor_file, run, crictl, unit, check_mode):
    """The start of a watch, before anything is recreated: the node's clock in nanoseconds (as the runtime stamps a
    container's createdAt), the kubelet unit's state (its NRestarts), and the kernel record cursor at the end."""
    since = time.time_ns()
    service = health.unit_state(run, unit)
    read_kernel(cursor_file, run, crictl, True, check_mode)
    return dict(since=since, service=service)


def step(crictl, run, since, baseline, restarts_before, max_restarts, healthz_url, unit, cursor_file, check_mode):
    """One step of the watch, after its wait: (the result, the problems seen - none when the node is fine)."""
    containers = crictl.containers()
    changed = restarted(containers, since, baseline)
    service = health.unit_state(run, unit)
    answers_ok = health.healthz(healthz_url)
    healthy = answers_ok and (service is None or service["n_restarts"] <= restarts_before and service["active_state"] != "failed")
    scanned = read_kernel(cursor_file, run, crictl, False, check_mode)
    stops = kernel_stops(scanned["entries"])
    result = dict(since=since, restarted=changed, healthy=healthy, service=service, kernel_records=scanned["records"],
                  kernel_stops=stops)
    problems = []
    if len(changed) > max_restarts:
        problems.append("%d container(s) were restarted or stopped during the watch (%d tolerated): %s"
                        % (len(changed), max_restarts, ", ".join(changed)))
    if not healthy:
        problems.append("the kubelet is not healthy (%s answers %s; unit %s)" % (
            healthz_url, "ok" if answers_ok else "not ok",
            "%s/%s, restarted by systemd %d time(s) since the start" % (
                service["active_state"], service["sub_state"], service["n_restarts"] - restarts_before)
            if service else "unknown"))
    if stops:
        problems.append("the kernel recorded seccomp denials during the watch: %s" % describe_stops(stops))
    return result, problems
