# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""A node's pods or its kubelet's /configz, read the way its credentials allow (the kubelet's API with a client
certificate, else the API server with a kubeconfig), and which containers change profile when seccompDefault turns
on: what the kubelet_read module does, and node_plan with it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.k8s.seccomp_default.plugins.module_utils import audit_gate, errors, impact, kube_api, kubelet_configz

# The options of reading (kubelet_read's, and node_plan's for the pods), with kube_api.KUBELET_CLIENT_SPEC.
READ_ARGUMENT_SPEC = dict(
    via=dict(type="str", choices=["auto", "kubelet", "api_server"], default="auto"),
    node_name=dict(type="str"),
    kubelet_host=dict(type="str", default="127.0.0.1"),
    kubelet_port=dict(type="int", default=10250),
    ca_path=dict(type="path"),
    kubeconfig=dict(type="path"),
    context=dict(type="str"),
    timeout=dict(type="int", default=20),
    **kube_api.KUBELET_CLIENT_SPEC
)

# A host goes into https://<host>:<port>; these would make it another URL.
NOT_IN_HOST = set("/?#@ \t\r\n")


def check_params(params):
    host = params["kubelet_host"]
    if not host or set(host) & NOT_IN_HOST:
        raise errors.InputError("is not a host name or address", field="kubelet_host", value=host)
    if not 0 < params["kubelet_port"] < 65536:
        raise errors.InputError("is not a TCP port", field="kubelet_port", value=params["kubelet_port"], expected="1-65535")
    if params["timeout"] < 1:
        raise errors.InputError("must be at least 1 second", field="timeout", value=params["timeout"])


def choose(params):
    """(via, why the kubelet's API is not used): ``auto`` takes the kubelet's API when its client certificate and key
    are readable files."""
    if params["via"] != "auto":
        return params["via"], None
    problem = kube_api.unreadable(params["client_cert"]) or kube_api.unreadable(params["client_key"])
    return ("api_server" if problem else "kubelet"), problem


def read(params, run):
    via, problem = choose(params)
    check = kube_api.pod_list if params["what"] == "pods" else kube_api.configz
    if via == "kubelet":
        credentials = kube_api.client_certificate(
            params["client_cert"], params["client_key"], "https://%s:%d" % (kubelet_configz.url_host(params["kubelet_host"]), params["kubelet_port"]),
            ca_file=params["ca_path"], verify=bool(params["ca_path"]), user="client certificate")
        return via, credentials, kube_api.get_json(credentials, "/" + params["what"], timeout=params["timeout"], check=check)
    if not params["kubeconfig"] or not params["node_name"]:
        raise kube_api.KubeApiError(
            "no credentials to read %s: %s, and no kubeconfig and node name were given for the API server"
            % ("/" + params["what"], problem or "via is api_server"))
    credentials = kube_api.load_kubeconfig(params["kubeconfig"], params["context"], run)
    if params["what"] == "pods":
        return via, credentials, kube_api.node_pods(credentials, params["node_name"], params["timeout"])
    return via, credentials, kube_api.proxied_configz(credentials, params["node_name"], params["timeout"])


def changing(pods, changes_for):
    """The containers of ``pods`` whose profile changes when seccompDefault turns on (see ``changes_for``)."""
    state = dict(seccomp_default=bool(changes_for.get("seccomp_default")), kubelet_root_dir=changes_for.get("kubelet_root_dir"))
    items = pods.get("items") if isinstance(pods, dict) else None
    names = sorted(set((item.get("spec") or {}).get("nodeName") for item in items or [] if isinstance(item, dict)
                       and isinstance(item.get("spec"), dict) and (item.get("spec") or {}).get("nodeName")))
    return audit_gate.targets(impact.seccomp_impact(pods, dict((name, state) for name in names)))
