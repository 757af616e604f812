# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The kubelet's health on the node: its /healthz and its systemd unit's state.

Small on purpose: the modules that watch the kubelet while it restarts (kubelet_switch, kubelet_health, node_watch,
enforce_containers) import this rather than node_facts, whose readers of the kubelet's and the runtime's files they do
not need - a module's Python compiles every module_utils it imports, on every run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ssl

try:  # Python 3
    from urllib.parse import urlsplit
    import http.client as http_client
except ImportError:  # pragma: no cover - Python 2 is not a node Python for this collection
    raise

from ansible_collections.k8s.seccomp_default.plugins.module_utils import errors

_TLS = []  # one context for the module's life: loading the system's CA bundle costs more than the request


def _tls_context():
    if not _TLS:
        _TLS.append(ssl.create_default_context())
    return _TLS[0]


def get_healthz(url, timeout):
    """The body of a GET of ``url`` (http or https, no proxy: the kubelet's /healthz is on the node), as text; raises
    OSError, ssl.SSLError or http.client.HTTPException when it does not answer, ValueError on a status other than 200.
    Plain http.client rather than ansible.module_utils.urls: a health check runs every half second while the kubelet
    restarts, and open_url builds a new TLS context (the CA bundle read again) for every request, even an http one."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        connection = http_client.HTTPSConnection(parts.hostname, parts.port or 443, timeout=timeout, context=_tls_context())
    else:
        connection = http_client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        connection.request("GET", (parts.path or "/") + ("?" + parts.query if parts.query else ""),
                           headers={"User-Agent": "k8s.seccomp_default"})
        response = connection.getresponse()
        body = response.read(4096).decode("utf-8", "replace").strip()
    finally:
        connection.close()
    if response.status != 200:
        raise ValueError("HTTP Error %d: %s" % (response.status, response.reason))
    return body


def health(url, timeout):
    """(healthy, why not) of the kubelet's /healthz."""
    if not url:
        return False, "the kubelet's healthz endpoint is disabled (healthzPort: 0)"
    try:
        body = get_healthz(url, timeout)
    except Exception as exc:  # any failure to answer is "not healthy"; the text says why
        return False, "%s: %s" % (url, exc)
    return body == "ok", None if body == "ok" else "%s answered %r" % (url, body)


def healthz(url):
    """Whether the kubelet's /healthz answers ``ok`` right now."""
    try:
        return get_healthz(url, 2) == "ok"
    except Exception:  # not answering, refused, reset: all mean "not yet healthy"
        return False


def unit_state(run, unit="kubelet.service"):
    """The unit's ActiveState, SubState, NRestarts and MainPID from `systemctl show`, or None."""
    rc, out, _err = run(["systemctl", "show", unit, "--property=ActiveState,SubState,NRestarts,MainPID"])
    if rc != 0:
        return None
    values = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    counts = {}
    for field in ("NRestarts", "MainPID"):
        text = (values.get(field) or "0").strip()
        # systemd prints a small decimal; anything else is not systemctl's answer, and int() of 4300+ digits raises.
        if not (text.isdigit() and len(text) <= 20):
            raise errors.InputError("is not a count", path="systemctl show %s" % unit, field=field, value=text,
                                    expected="a decimal number as systemd prints it")
        counts[field] = int(text)
    return dict(active_state=values.get("ActiveState"), sub_state=values.get("SubState"),
                n_restarts=counts["NRestarts"], main_pid=counts["MainPID"])
