# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""What the node's CRI runtime says, through crictl: the crictl options every module shares, and containers with
their identity. crictl is found as every node tool is (module_utils/tools). Without ``runtime_endpoint`` crictl
reads /etc/crictl.yaml, then tries its built-in list of sockets.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.k8s.seccomp_default.plugins.module_utils.tools import ToolNotFound, find_tool

# The options every module that asks the runtime takes (doc fragment k8s.seccomp_default.cri).
ARGUMENT_SPEC = dict(
    crictl=dict(type="str"),
    runtime_endpoint=dict(type="str"),
)


class CriError(Exception):
    pass


def endpoint_url(endpoint):
    """The kubelet's endpoint as crictl takes it (a bare socket path is a unix socket to both)."""
    if endpoint and endpoint.startswith("/"):
        return "unix://" + endpoint
    return endpoint or None


def identity(container):
    """Pod UID, namespace, pod and container name of a `crictl ps` entry, from the labels the kubelet sets."""
    labels = container.get("labels") or {}
    return dict(pod_uid=labels.get("io.kubernetes.pod.uid"), namespace=labels.get("io.kubernetes.pod.namespace"),
                pod=labels.get("io.kubernetes.pod.name"),
                container=labels.get("io.kubernetes.container.name") or (container.get("metadata") or {}).get("name"))


class Crictl:
    """crictl with the node's endpoint; ``run(argv)`` returns (rc, stdout, stderr) as module.run_command does."""

    def __init__(self, run, crictl=None, runtime_endpoint=None):
        self.run = run
        self.path = find_tool("crictl", crictl)
        self.endpoint = endpoint_url(runtime_endpoint)

    @classmethod
    def for_module(cls, module):
        """The module's crictl, or a failure that names the tool and where it was looked for."""
        try:
            return cls(module.run_command, module.params.get("crictl"), module.params.get("runtime_endpoint"))
        except ToolNotFound as exc:
            module.fail_json(msg="%s (module option crictl, variable seccomp_crictl)" % exc)

    def argv(self, *args):
        return [self.path] + (["--runtime-endpoint", self.endpoint] if self.endpoint else []) + list(args)

    def call(self, *args):
        rc, out, err = self.run(self.argv(*args))
        if rc != 0:
            raise CriError("%s failed (rc %d): %s" % (" ".join(self.argv(*args)), rc, (err or out).strip()[:2000]))
        return out

    def json(self, *args):
        out = self.call(*(list(args) + ["-o", "json"]))
        try:
            document = json.loads(out)
        except ValueError as exc:
            raise CriError("%s printed no JSON (%s): %r" % (" ".join(self.argv(*args)), exc, out[:200]))
        if not isinstance(document, dict):
            raise CriError("%s printed %s, not a JSON object" % (" ".join(self.argv(*args)), type(document).__name__))
        return document

    def containers(self, all_states=True):
        """`crictl ps [-a]` entries."""
        listing = self.json("ps", "-a") if all_states else self.json("ps")
        containers = listing.get("containers") or []
        if not isinstance(containers, list) or not all(isinstance(c, dict) and c.get("id") for c in containers):
            raise CriError("crictl ps printed containers that are not a list of objects with an id")
        return containers

    def inspect(self, container_id):
        return self.json("inspect", container_id)

    def stop(self, container_id):
        self.call("stop", container_id)

    def identities(self):
        """container ID -> identity, for every container the runtime knows (running or not)."""
        return dict((c["id"], identity(c)) for c in self.containers())


def identities_or_warn(module):
    """The node's containers by ID; on a host without crictl (a log read where no runtime runs) none, with a
    warning the user sees, since records and traces can then only name containers by their cgroup's ID."""
    try:
        client = Crictl(module.run_command, module.params.get("crictl"), module.params.get("runtime_endpoint"))
    except ToolNotFound as exc:
        module.warn("%s; containers are told by their IDs only, without pod and container names" % exc)
        return {}
    return client.identities()
