# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Restarting chosen containers through the CRI so that the kubelet creates them again with the profile it gives now
(restart_containers, and the modules that restart as one part of a larger step)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.k8s.seccomp_default.plugins.module_utils import cri, errors
from ansible_collections.k8s.seccomp_default.plugins.module_utils.cri import identity

KEYS = ("pod_uid", "namespace", "pod", "container")
# The options of the modules that restart containers (doc fragment k8s.seccomp_default.restart).
ARGUMENT_SPEC = dict(
    containers=dict(type="list", elements="dict", required=True),
    remove_stopped=dict(type="bool", default=True),
    timeout=dict(type="int", default=180),
)
# The kubelet notices an exited container within its PLEG relist period (1 s); a successor is looked for 5 times as often.
POLL = 0.2


class RestartError(errors.InputError):
    """A restart that went wrong after something was stopped: ``result`` is what the module returns with it."""

    def __init__(self, message, result, error=None):
        super(RestartError, self).__init__(message)
        self.result = dict(result, error=error) if error is not None else result


def wanted_containers(items, field="containers"):
    """The containers asked for, checked: a misspelt key would silently match another pod's container."""
    for index, wanted in enumerate(items):
        item = "%s[%d]" % (field, index)
        if not isinstance(wanted, dict):
            raise errors.InputError("is not a mapping", field=item, value=wanted, expected="pod_uid (or namespace and pod) and container")
        unknown = sorted(set(wanted) - set(KEYS))
        if unknown:
            raise errors.InputError("has keys this module does not know: %s" % ", ".join(unknown), field=item,
                                    value=wanted, expected="keys among %s" % ", ".join(KEYS))
        for key in KEYS:
            if wanted.get(key) is not None:
                errors.expect_type(wanted[key], str, "%s.%s" % (item, key))
        if not wanted.get("container") or not (wanted.get("pod_uid") or wanted.get("pod")):
            raise errors.InputError("needs container and pod_uid (or namespace and pod)", field=item, value=wanted)
    return items


def matches(wanted, found):
    if wanted.get("container") != found["container"]:
        return False
    if wanted.get("pod_uid"):
        return wanted["pod_uid"] == found["pod_uid"]
    return (wanted.get("namespace") or "default", wanted.get("pod")) == (found["namespace"], found["pod"])


def check_timeout(timeout, field="timeout"):
    if timeout < 1:
        raise errors.InputError("must be at least 1 second: containers are stopped, then waited for", field=field, value=timeout)


def plan(crictl, containers):
    """(the running containers to restart, the wanted ones that have no running instance)."""
    current = crictl.containers(states=cri.RUNNING)
    chosen, not_running = [], []
    for wanted in containers:
        found = [c for c in current if matches(wanted, identity(c))]
        if found:
            chosen.extend(found)
        else:
            not_running.append(wanted)
    return chosen, not_running


def planned(chosen):
    return [dict(identity(c), old_id=c["id"], new_id=None) for c in chosen]


class Restart(object):
    """A restart of ``chosen`` (crictl ps entries) in steps, so that a caller can wait for something else meanwhile
    (kubelet_switch restarts complain mode's containers while the kubelet proves stable): ``begin`` stops each and
    removes it once stopped (``remove_stopped``: the kubelet backs off before restarting a container whose exited
    instance still exists), ``check`` looks once for their successors, ``wait`` looks until each has a running one.
    Each raises RestartError when crictl fails; ``wait`` also when a successor exits at once or none runs in time."""

    def __init__(self, crictl, chosen, remove_stopped=True):
        self.crictl, self.chosen, self.remove_stopped = crictl, list(chosen), remove_stopped
        self.started = time.time_ns() if hasattr(time, "time_ns") else int(time.time() * 1e9)
        self.restarted, self.stopped, self.removed, self.crashed = [], [], [], []
        self.waiting = list(chosen)

    def begin(self):
        for container in self.chosen:
            try:
                self.crictl.stop(container["id"])
            except cri.CriError as exc:
                raise RestartError("%s; stopped before it: %s" % (exc, ", ".join(self.stopped) or "none"),
                                   dict(restarted=self.restarted, stopped=self.stopped), exc.details())
            self.stopped.append(container["id"])
        if self.remove_stopped:
            for container_id in self.stopped:
                try:
                    self.crictl.remove(container_id)
                except cri.CriError as exc:
                    raise RestartError("%s; stopped: %s, removed before it: %s" % (
                        exc, ", ".join(self.stopped), ", ".join(self.removed) or "none"),
                        dict(stopped=self.stopped, removed=self.removed), exc.details())
                self.removed.append(container_id)

    def check(self):
        """Look once for the successors; True when none is waited for any more."""
        try:
            everything = self.crictl.containers()
        except cri.CriError as exc:
            raise RestartError("%s; after stopping %s" % (exc, ", ".join(self.stopped)),
                               dict(restarted=self.restarted, stopped=self.stopped, removed=self.removed), exc.details())
        now = cri.in_state(everything, cri.RUNNING)
        still = []
        for container in self.waiting:
            successor = [c for c in now if c["id"] != container["id"] and identity(c) == identity(container)]
            # A successor that already exited is a crash: no need to wait out the back-off to know.
            failed = [c for c in cri.in_state(everything, cri.EXITED)
                      if c["id"] != container["id"] and identity(c) == identity(container) and cri.created_at(c) > self.started]
            if successor:
                self.restarted.append(dict(identity(container), old_id=container["id"], new_id=successor[0]["id"]))
            elif failed:
                self.crashed.append(dict(identity(container), old_id=container["id"], new_id=failed[0]["id"]))
            else:
                still.append(container)
        self.waiting = still
        return not still

    def wait(self, timeout):
        """Look until every successor runs (at most ``timeout`` seconds): {restarted, removed}."""
        deadline = time.time() + timeout
        while not self.check() and time.time() < deadline:
            time.sleep(POLL)
        if self.crashed:
            raise RestartError("the new container exited at once for %s" % ", ".join(
                "%(namespace)s/%(pod)s/%(container)s" % entry for entry in self.crashed),
                dict(restarted=self.restarted, crashed=self.crashed, removed=self.removed))
        if self.waiting:
            raise RestartError("no running successor within %d s for %s" % (
                timeout, ", ".join("%(namespace)s/%(pod)s/%(container)s" % identity(c) for c in self.waiting)),
                dict(restarted=self.restarted, removed=self.removed))
        return dict(restarted=self.restarted, removed=self.removed)


def restart(crictl, chosen, timeout, remove_stopped=True):
    """Stop each of ``chosen`` (crictl ps entries), remove it once stopped, and wait until each has a running successor
    (see Restart). Returns {restarted, removed}; raises RestartError when crictl fails, a successor exits at once or
    none runs in time."""
    restarting = Restart(crictl, chosen, remove_stopped)
    restarting.begin()
    return restarting.wait(timeout)
