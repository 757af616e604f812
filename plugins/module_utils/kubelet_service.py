# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Restarting the kubelet and waiting until it is healthy, with the kubelet's own error text when it is not.

What the kubelet_health module does, for it and kubelet_switch. Commands run through the module's run_command.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re
import time

from ansible_collections.k8s.seccomp_default.plugins.module_utils import errors, health, node_watch, tools

ERROR_LINE = re.compile(r'"command failed" err="((?:[^"\\]|\\.)*)"')
UNIT = "kubelet.service"
URL = "http://127.0.0.1:10248/healthz"
JOURNAL_LINES = 20


class RestartFailed(Exception):
    """``systemctl restart`` failed; ``fields`` are the module's result beside ``msg``."""

    def __init__(self, msg, **fields):
        super(RestartFailed, self).__init__(msg)
        self.msg = msg
        self.fields = fields


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")


def service(module, unit):
    return health.unit_state(tools.runner(module), unit)


def journal(module, unit, lines):
    journalctl = module.get_bin_path("journalctl")
    if not journalctl:
        return []
    _rc, out, _err = module.run_command([journalctl, "-u", unit, "-n", str(lines), "--no-pager", "-o", "cat"])
    # run_command keeps bytes that are not UTF-8 as lone surrogates; the controller is shown U+FFFD instead.
    return out.encode("utf-8", "surrogateescape").decode("utf-8", "replace").splitlines()


def kubelet_error(lines):
    for line in reversed(lines):
        match = ERROR_LINE.search(line)
        if match:
            return match.group(1).replace('\\"', '"')
    for line in reversed(lines):
        if line.startswith(("E", "F", "Error:")) and not line.startswith("Err"):
            return line
    return None


def check_params(params, names=("timeout", "stable_seconds", "restarts_before", "journal_lines")):
    node_watch.health_url(params["url"], "url")
    for name in names:
        if params.get(name) is not None and params[name] < 0:
            raise errors.InputError("must not be negative", field=name, value=params[name], expected="0 or more")


def restart(module, unit, journal_lines=JOURNAL_LINES):
    """Restart ``unit``; when it was restarted (UTC, ISO 8601). Raises RestartFailed with the kubelet's error."""
    at = now()
    rc, _out, err = module.run_command([module.get_bin_path("systemctl", required=True), "restart", unit])
    if rc != 0:
        lines = journal(module, unit, journal_lines)
        raise RestartFailed("systemctl restart %s failed (rc %d): %s" % (unit, rc, kubelet_error(lines) or err.strip()),
                            changed=True, healthy=False, restarted_at=at, journal=lines)
    return at


def wait(module, url, timeout, stable_seconds, restarts_before=None, unit=UNIT, journal_lines=JOURNAL_LINES, restarted_at=None,
         each=None):
    """Wait until ``url`` answers ok for ``stable_seconds`` (at most ``timeout`` seconds), stopping early when ``unit``
    restarted more than ``restarts_before`` times or failed. ``each``, if given, is called with whether ``url`` answered
    ok after every look, for work that may go on meanwhile. The result: changed, healthy, waited, service,
    restarted_at, healthy_at; with error and journal when not healthy."""
    start = time.time()
    healthy_since = None
    state = None
    crashed = False
    while time.time() - start < timeout:
        answered = health.healthz(url)
        if each is not None:
            each(answered)
        if answered:
            healthy_since = healthy_since or time.time()
            if time.time() - healthy_since >= stable_seconds:
                break
        else:
            healthy_since = None
        state = service(module, unit)
        if state and restarts_before is not None and (
                state["n_restarts"] > restarts_before or state["active_state"] == "failed"):
            crashed = True
            break
        time.sleep(0.5)
    state = service(module, unit) or state
    result = dict(changed=restarted_at is not None, healthy=healthy_since is not None and not crashed
                  and time.time() - healthy_since >= stable_seconds,
                  waited=round(time.time() - start, 1), service=state, restarted_at=restarted_at)
    result["healthy_at"] = now() if result["healthy"] else None
    if result["healthy"]:
        return result
    lines = journal(module, unit, journal_lines)
    error = kubelet_error(lines) or "the kubelet did not answer %s within %ds" % (url, timeout)
    result.update(error=error, journal=lines)
    return result


def restart_and_wait(module, url, timeout, stable_seconds, unit=UNIT, journal_lines=JOURNAL_LINES, each=None):
    """``restart`` then ``wait`` (an explicit restart resets systemd's NRestarts, so any restart after it is a
    crash). Raises RestartFailed when systemctl fails; the result of ``wait`` otherwise."""
    at = restart(module, unit, journal_lines)
    return wait(module, url, timeout, stable_seconds, 0, unit, journal_lines, restarted_at=at, each=each)
