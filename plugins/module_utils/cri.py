# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""What the node's CRI runtime says, through crictl: the crictl options every module shares, and containers with
their identity. crictl is found as every node tool is (module_utils/tools). Without ``runtime_endpoint`` crictl
reads /etc/crictl.yaml, then tries its built-in list of sockets.

crictl's JSON is read and checked in one place, ``parse_output`` (``check_document`` for a document already
parsed): every field the collection uses has the type crictl prints (protojson: int64 as a string of digits, labels
as a mapping of strings), and anything else - no JSON, JSON of another shape, bytes that are not UTF-8 - is a
``CriError`` naming the command, the field and the value. Fields the collection does not use are not looked at, so
a newer crictl that adds some is still read.

What the modules take from a container is read here too: who it is (``identity``, from the labels the kubelet
sets), whether it runs (``in_state`` with ``RUNNING`` or ``EXITED``) and when it was created (``created_at``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError
from ansible_collections.k8s.seccomp_default.plugins.module_utils.tools import ToolNotFound, find_tool

# The options every module that asks the runtime takes (doc fragment k8s.seccomp_default.cri).
ARGUMENT_SPEC = dict(
    crictl=dict(type="str"),
    runtime_endpoint=dict(type="str"),
)

# A node with thousands of containers prints a few MiB; more is not crictl's answer.
MAX_OUTPUT = 64 * 1024 * 1024
INT64 = 2 ** 63
# IDs go back to crictl as arguments (stop, inspect): one that starts with '-' would be read as an option.
ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z_.-]{0,127}\Z")
DIGITS = re.compile(r"-?[0-9]{1,19}\Z")

# The labels the kubelet sets on every container it creates (pkg/kubelet/types/labels.go).
POD_UID = "io.kubernetes.pod.uid"
POD_NAMESPACE = "io.kubernetes.pod.namespace"
POD_NAME = "io.kubernetes.pod.name"
CONTAINER_NAME = "io.kubernetes.container.name"

# Container states: crictl's JSON has the CRI enum names; the short names are how its tables print them.
RUNNING = ("CONTAINER_RUNNING", "RUNNING")
EXITED = ("CONTAINER_EXITED", "EXITED")


class CriError(InputError):
    """crictl failed or printed what crictl does not print. ``path`` is the command line.

    Without a field the message is a sentence about the command ("<command> failed (rc 1): ...").
    """

    def __str__(self):
        if self.field or not self.path:
            return super(CriError, self).__str__()
        return "%s %s" % (self.path, InputError(self.problem, value=self.value, expected=self.expected))


def endpoint_url(endpoint):
    """The kubelet's endpoint as crictl takes it (a bare socket path is a unix socket to both)."""
    if endpoint and endpoint.startswith("/"):
        return "unix://" + endpoint
    return endpoint or None


def identity(container, attempt=False):
    """Pod UID, namespace, pod and container name of a container - a `crictl ps` entry or the ``status`` of a
    `crictl inspect` - from the labels the kubelet sets (the container's metadata.name when its label is missing).

    With ``attempt``, also its ``attempt`` (metadata.attempt: 0 for the first run, one more for each restart; None
    when crictl gives none). It is left out by default so that a container and its restarted successor have the
    same identity."""
    labels = container.get("labels") or {}
    metadata = container.get("metadata") or {}
    found = dict(pod_uid=labels.get(POD_UID), namespace=labels.get(POD_NAMESPACE), pod=labels.get(POD_NAME),
                 container=labels.get(CONTAINER_NAME) or metadata.get("name"))
    if attempt:
        found["attempt"] = metadata.get("attempt")
    return found


def in_state(containers, states):
    """The containers (`crictl ps` entries or inspect statuses) whose state is one of ``states`` (RUNNING, EXITED)."""
    return [container for container in containers if container.get("state") in states]


def created_at(container):
    """When the runtime created the container, in nanoseconds since the epoch (0 when crictl gives no time).
    parse_output has checked createdAt: a number, or a string of at most 19 digits."""
    return int(container.get("createdAt") or 0)


# The shapes: each checker takes (value, field) and raises CriError without a path; parse_output adds the command.

def _join(field, key):
    return "%s.%s" % (field, key) if field else key


def _string(value, field):
    if not isinstance(value, str):
        raise CriError("is not a string", field=field, value=value)


def _boolean(value, field):
    if not isinstance(value, bool):
        raise CriError("is not a boolean", field=field, value=value)


def _integer(value, field):
    if isinstance(value, bool) or not isinstance(value, int) or not -INT64 <= value < INT64:
        raise CriError("is not a 64-bit integer", field=field, value=value)


def _timestamp(value, field):
    """Nanoseconds since the epoch: protojson prints an int64 as a string of digits, older crictl as a number."""
    if isinstance(value, str) and DIGITS.match(value) and -INT64 <= int(value) < INT64:
        return
    if isinstance(value, int) and not isinstance(value, bool) and -INT64 <= value < INT64:
        return
    raise CriError("is not a timestamp", field=field, value=value, expected="nanoseconds as a string of at most 19 digits")


def _identifier(value, field):
    if not isinstance(value, str) or not ID.match(value):
        raise CriError("is not an ID", field=field, value=value,
                       expected="1-128 letters, digits, '_', '.' or '-', not starting with '-'")


def _strings(value, field):
    if not isinstance(value, dict):
        raise CriError("is not a mapping", field=field, value=value, expected="a mapping of names to strings")
    for key, item in value.items():
        if not isinstance(item, str):
            raise CriError("is not a string", field="%s[%s]" % (field, json.dumps(key)), value=item)


def _list(item, what):
    def check(value, field):
        if not isinstance(value, list):
            raise CriError("is not a list of %s" % what, field=field, value=value)
        for index, entry in enumerate(value):
            item(entry, "%s[%d]" % (field, index))
    return check


def _mapping(required=(), **fields):
    """A mapping whose ``fields`` have their shapes (null as absent) and whose ``required`` fields are there."""
    def check(value, field):
        if not isinstance(value, dict):
            raise CriError("is not a mapping", field=field or "the document", value=value)
        for key in required:
            if value.get(key) is None:
                raise CriError("is missing or null", field=_join(field, key))
        for key, shape in fields.items():
            if value.get(key) is not None:
                shape(value[key], _join(field, key))
    return check


METADATA = _mapping(name=_string, uid=_string, namespace=_string, attempt=_integer)
IMAGE = _mapping(image=_string)
CONTAINER = _mapping(("id",), id=_identifier, podSandboxId=_identifier, metadata=METADATA, image=IMAGE, imageRef=_string,
                     state=_string, createdAt=_timestamp, labels=_strings, annotations=_strings)
RULE = _mapping(names=_list(_string, "syscall names"), action=_string)
SECCOMP = _mapping(defaultAction=_string, syscalls=_list(RULE, "rules"))
RUNTIME_SPEC = _mapping(linux=_mapping(seccomp=SECCOMP))
CONTAINER_STATUS = _mapping(("id",), id=_identifier, metadata=METADATA, state=_string, createdAt=_timestamp,
                            startedAt=_timestamp, finishedAt=_timestamp, exitCode=_integer, image=IMAGE, imageRef=_string,
                            reason=_string, message=_string, labels=_strings, annotations=_strings, logPath=_string)
SANDBOX = _mapping(("id",), id=_identifier, metadata=METADATA, state=_string, createdAt=_timestamp, labels=_strings,
                   annotations=_strings, runtimeHandler=_string)
SANDBOX_STATUS = _mapping(("id",), id=_identifier, metadata=METADATA, state=_string, createdAt=_timestamp,
                          network=_mapping(ip=_string), labels=_strings, annotations=_strings, runtimeHandler=_string)
CONDITION = _mapping(("type", "status"), type=_string, status=_boolean, reason=_string, message=_string)

# crictl's subcommand -> the shape of what it prints with -o json (inspect, inspectp and info print JSON by default).
SHAPES = {
    "ps": _mapping(("containers",), containers=_list(CONTAINER, "objects with an id")),
    "inspect": _mapping(("status",), status=CONTAINER_STATUS, info=_mapping(pid=_integer, sandboxID=_string,
                                                                            runtimeSpec=RUNTIME_SPEC)),
    "pods": _mapping(("items",), items=_list(SANDBOX, "objects with an id")),
    "inspectp": _mapping(("status",), status=SANDBOX_STATUS, info=_mapping(pid=_integer, runtimeSpec=RUNTIME_SPEC)),
    "info": _mapping(("status",), status=_mapping(conditions=_list(CONDITION, "conditions"))),
}


def _refuse_constant(name):
    raise CriError("printed %s, which JSON has no number for" % name)


def _bounded_int(text):
    """No field of crictl's is wider than int64; a longer number is refused before int() spends time on it."""
    if len(text.lstrip("-")) > 19:
        raise CriError("printed a number of %d digits" % len(text.lstrip("-")), expected="at most 19 (int64)")
    return int(text)


def parse_output(output, subcommand, command=None):
    """crictl ``subcommand``'s JSON ``output`` (text as module.run_command decodes it, or bytes), checked against its
    shape; ``command`` (the command line) names it in errors."""
    command = command or "crictl %s" % subcommand
    if isinstance(output, bytes):
        try:
            output = output.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CriError("printed bytes that are not UTF-8 (at byte %d)" % exc.start, path=command)
    if len(output) > MAX_OUTPUT:
        raise CriError("printed %d characters, more than the %d crictl prints" % (len(output), MAX_OUTPUT), path=command)
    if not output.strip():
        raise CriError("printed nothing (rc 0)", path=command, expected="its JSON")
    try:
        output.encode("utf-8")
    except UnicodeEncodeError as exc:  # run_command keeps undecodable bytes as lone surrogates
        raise CriError("printed bytes that are not UTF-8 (at character %d)" % exc.start, path=command)
    try:
        document = json.loads(output, parse_constant=_refuse_constant, parse_int=_bounded_int)
    except RecursionError:
        raise CriError("printed JSON nested too deeply", path=command)
    except CriError as exc:
        exc.path = command
        raise
    except ValueError as exc:
        raise CriError("printed no JSON (%s)" % exc, path=command, value=output)
    return check_document(document, subcommand, command)


def check_document(document, subcommand, where):
    """``document``, crictl ``subcommand``'s JSON already parsed, checked against its shape; a CriError names
    ``where`` (the command line, or where the document came from)."""
    try:
        SHAPES[subcommand](document, "")
    except CriError as exc:
        exc.path = where
        raise
    return document


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
        command = " ".join(self.argv(*args))
        rc, out, err = self.run(self.argv(*args))
        if rc != 0:
            where = "" if self.endpoint else " (no runtime_endpoint given: crictl used /etc/crictl.yaml or its default sockets)"
            raise CriError("failed (rc %d): %s%s" % (rc, (err or out or "").strip()[:2000], where), path=command)
        return out

    def json(self, *args):
        return parse_output(self.call(*(list(args) + ["-o", "json"])), args[0], " ".join(self.argv(*args)))

    def containers(self, all_states=True, states=None):
        """`crictl ps -a` entries: every container the runtime knows; without ``all_states`` `crictl ps`, the ones
        the runtime lists as running. With ``states`` (RUNNING, EXITED), only the containers in one of them."""
        listing = self.json("ps", "-a") if all_states else self.json("ps")
        return listing["containers"] if states is None else in_state(listing["containers"], states)

    def inspect(self, container_id):
        """`crictl inspect <id>`: the container's status and info (info.runtimeSpec: what the runtime gave runc)."""
        return self.json("inspect", container_id)

    def stop(self, container_id):
        self.call("stop", container_id)

    def remove(self, container_id):
        self.call("rm", container_id)

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
