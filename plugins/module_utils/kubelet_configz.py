# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The configuration a kubelet runs with (its /configz, read from its API with a client certificate), and how it
differs from what was written: for kubelet_switch, and for kubelet_read's O(expect)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.k8s.seccomp_default.plugins.module_utils import errors, kube_api

# A host goes into https://<host>:<port>; these would make it another URL.
NOT_IN_HOST = set("/?#@ \t\r\n")
TIMEOUT = 20
ABSENT = object()


def check_host(host, port, host_field="kubelet_host", port_field="kubelet_port"):
    if not host or set(host) & NOT_IN_HOST:
        raise errors.InputError("is not a host name or address", field=host_field, value=host)
    if not 0 < port < 65536:
        raise errors.InputError("is not a TCP port", field=port_field, value=port, expected="1-65535")


def url_host(host):
    """``host`` as it goes into a URL (an IPv6 address in brackets)."""
    return "[%s]" % host if ":" in host else host


def kubelet_credentials(host, port, client_cert, client_key, ca_path=None):
    """Credentials for the kubelet's API at ``host``:``port`` with a client certificate; its serving certificate is
    verified against ``ca_path`` when given."""
    return kube_api.client_certificate(client_cert, client_key, "https://%s:%d" % (url_host(host), port),
                                       ca_file=ca_path, verify=bool(ca_path), user="client certificate")


def read_configz(credentials, timeout=TIMEOUT):
    """The kubelet's /configz, checked to be {kubeletconfig: {...}}; KubeApiError naming the request otherwise."""
    return kube_api.get_json(credentials, "/configz", timeout=timeout, check=kube_api.configz)


def field_value(config, path):
    """The value at the dotted ``path`` of ``config``, or ABSENT."""
    value = config
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return ABSENT
        value = value[key]
    return value


def differences(document, expect):
    """'<field>=<running>, intended <value>' for each field of ``expect`` that the running configuration does not have."""
    config = document.get("kubeletconfig") if isinstance(document, dict) else None
    config = config if isinstance(config, dict) else {}
    found = []
    for path in sorted(expect):
        running = field_value(config, path)
        wanted = ABSENT if expect[path] is None else expect[path]
        # A field the kubelet defaults is absent from /configz only when it is off: false and absent are the same.
        if running is not wanted and running != wanted and not (wanted is False and running is ABSENT):
            found.append("%s=%s, intended %s" % (path, "absent" if running is ABSENT else json.dumps(running),
                                                 "absent" if wanted is ABSENT else json.dumps(wanted)))
    return found


def mismatch_message(wrong):
    return "the kubelet does not run with what was written: /configz shows %s" % "; ".join(wrong)
