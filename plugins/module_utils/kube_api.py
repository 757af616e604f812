# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Read a node's pods and the kubelet's /configz, by whichever way the credentials at hand allow.

The kubelet's API authorizes /pods and /configz as ``nodes/proxy`` (kubernetes.io, "Kubelet authentication/
authorization"): kubeadm's apiserver-kubelet-client certificate has it, and is on control-plane nodes only. A worker's
own credentials (the kubelet's kubeconfig, user system:node:<name>) may list the pods bound to it from the API
server, as the kubelet itself does (fieldSelector spec.nodeName), but hold no nodes/proxy; a kubeconfig with
nodes/proxy (an admin's, on the controller) reads a node's /configz through the API server's proxy,
GET /api/v1/nodes/<name>/proxy/configz.

Kubeconfigs are read as the client libraries read them: the current context (or a named one), the cluster's server
and CA (file or data), the user's client certificate and key (files or data), token (or token file), or an exec
credential plugin (client.authentication.k8s.io ExecCredential, as EKS nodes use). Standard library only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import shutil
import ssl
import tempfile

try:  # Python 3
    from urllib.parse import quote, urlencode, urlsplit
    import http.client as http_client
except ImportError:  # pragma: no cover - Python 2 is not a node Python for this collection
    raise

from ansible_collections.k8s.seccomp_default.plugins.module_utils import yaml_reader

TIMEOUT = 20
MAX_RESPONSE = 256 * 1024 * 1024
# The client certificate for the kubelet's API, as every module that reads it takes it (doc fragment
# k8s.seccomp_default.kubelet_client).
KUBELET_CLIENT_SPEC = dict(
    client_cert=dict(type="path", default="/etc/kubernetes/pki/apiserver-kubelet-client.crt"),
    client_key=dict(type="path", default="/etc/kubernetes/pki/apiserver-kubelet-client.key"),
)


class KubeApiError(Exception):
    pass


class Credentials:
    """Where to connect and who to be: a server, a CA, and a client certificate or a token."""

    def __init__(self, server, ca_file=None, ca_data=None, cert_file=None, cert_data=None, key_file=None,
                 key_data=None, token=None, verify=True, source=None, user=None):
        self.server, self.ca_file, self.ca_data = server.rstrip("/"), ca_file, ca_data
        self.cert_file, self.cert_data, self.key_file, self.key_data = cert_file, cert_data, key_file, key_data
        self.token, self.verify, self.source, self.user = token, verify, source, user

    def describe(self):
        who = "client certificate %s" % (self.cert_file or "(inline)") if (self.cert_file or self.cert_data) else (
            "a bearer token" if self.token else "no credentials")
        return "%s as %s (%s)" % (self.server, self.user or "?", who) + (" from %s" % self.source if self.source else "")


def _read(path):
    with open(path, "rb") as handle:
        return handle.read()


def _relative(base, path):
    """Paths in a kubeconfig are relative to the kubeconfig's own directory (clientcmd's ResolvePaths)."""
    return path if not path or os.path.isabs(path) else os.path.join(os.path.dirname(base), path)


def load_kubeconfig(path, context=None, run=None):
    """Credentials of ``context`` (default: current-context) in the kubeconfig at ``path``. An exec credential plugin
    is run with ``run(argv, environ_update)`` -> (rc, stdout, stderr), as module.run_command; without ``run`` it is
    left unrun (a check that changes and costs nothing)."""
    try:
        text = _read(path).decode("utf-8")
    except (IOError, OSError) as exc:
        raise KubeApiError("cannot read the kubeconfig %s: %s" % (path, exc))
    except UnicodeDecodeError as exc:
        raise KubeApiError("the kubeconfig %s is not UTF-8: %s" % (path, exc))
    try:
        config = yaml_reader.load(text)
    except yaml_reader.YamlError as exc:
        raise KubeApiError("the kubeconfig %s is not valid YAML: %s" % (path, exc))
    if not isinstance(config, dict):
        raise KubeApiError("the kubeconfig %s is not a mapping" % path)
    name = context or config.get("current-context")
    contexts = dict((c.get("name"), c.get("context") or {}) for c in config.get("contexts") or [] if isinstance(c, dict))
    if name not in contexts:
        raise KubeApiError("the kubeconfig %s has no context %r (contexts: %s)" % (
            path, name, ", ".join(sorted(str(c) for c in contexts)) or "none"))
    chosen = contexts[name]
    clusters = dict((c.get("name"), c.get("cluster") or {}) for c in config.get("clusters") or [] if isinstance(c, dict))
    users = dict((u.get("name"), u.get("user") or {}) for u in config.get("users") or [] if isinstance(u, dict))
    cluster, user = clusters.get(chosen.get("cluster")), users.get(chosen.get("user"), {})
    if not cluster or not cluster.get("server"):
        raise KubeApiError("the kubeconfig %s: context %r names cluster %r, which has no server" % (
            path, name, chosen.get("cluster")))
    credentials = Credentials(
        cluster["server"], ca_file=_relative(path, cluster.get("certificate-authority")),
        ca_data=_b64(cluster.get("certificate-authority-data"), path, "certificate-authority-data"),
        cert_file=_relative(path, user.get("client-certificate")),
        cert_data=_b64(user.get("client-certificate-data"), path, "client-certificate-data"),
        key_file=_relative(path, user.get("client-key")), key_data=_b64(user.get("client-key-data"), path, "client-key-data"),
        token=user.get("token") or (_read(_relative(path, user["tokenFile"])).decode().strip() if user.get("tokenFile") else None),
        verify=not cluster.get("insecure-skip-tls-verify"), source=path, user=chosen.get("user"))
    if user.get("exec") and run is not None:
        _exec_credentials(credentials, user["exec"], path, run)
    return credentials


def _b64(value, path, field):
    if not value:
        return None
    try:
        return base64.b64decode(value)
    except (TypeError, ValueError) as exc:
        raise KubeApiError("the kubeconfig %s: %s is not base64 (%s)" % (path, field, exc))


def _exec_credentials(credentials, spec, path, run):
    """Run the kubeconfig's exec credential plugin and take its ExecCredential status."""
    command = [str(spec.get("command"))] + [str(a) for a in spec.get("args") or []]
    env = dict((str(item.get("name")), str(item.get("value"))) for item in spec.get("env") or [])
    env["KUBERNETES_EXEC_INFO"] = json.dumps({"apiVersion": spec.get("apiVersion"), "kind": "ExecCredential",
                                              "spec": {"interactive": False}})
    try:
        rc, out, err = run(command, environ_update=env)
    except (OSError, ValueError) as exc:
        raise KubeApiError("the kubeconfig %s: its exec credential plugin %s did not run: %s" % (path, command[0], exc))
    if rc != 0:
        raise KubeApiError("the kubeconfig %s: its exec credential plugin %s failed (rc %d): %s" % (
            path, command[0], rc, (err or "").strip()[:500]))
    try:
        status = json.loads(out)["status"]
    except (ValueError, KeyError, TypeError) as exc:
        raise KubeApiError("the kubeconfig %s: its exec credential plugin printed no ExecCredential status (%s)" % (path, exc))
    credentials.token = status.get("token") or credentials.token
    if status.get("clientCertificateData"):
        credentials.cert_data = status["clientCertificateData"].encode()
        credentials.key_data = (status.get("clientKeyData") or "").encode()


def client_certificate(cert_file, key_file, server, ca_file=None, verify=True, source=None, user=None):
    return Credentials(server, ca_file=ca_file, cert_file=cert_file, key_file=key_file, verify=verify, source=source,
                       user=user)


def get_json(credentials, path, query=None, timeout=TIMEOUT):
    """GET ``path`` (with ``query``) and the JSON it answers; KubeApiError with the status and message otherwise."""
    url = urlsplit(credentials.server)
    if url.scheme != "https":
        raise KubeApiError("%s: only https servers are supported" % credentials.server)
    scratch = tempfile.mkdtemp(prefix="k8s-seccomp-default-")  # 0700: inline keys never sit in a readable file
    try:
        context = _tls_context(credentials, scratch)
        connection = http_client.HTTPSConnection(url.hostname, url.port or 443, timeout=timeout, context=context)
        target = (url.path.rstrip("/") + path) + ("?" + urlencode(query) if query else "")
        headers = {"Accept": "application/json", "User-Agent": "k8s.seccomp_default"}
        if credentials.token:
            headers["Authorization"] = "Bearer %s" % credentials.token
        try:
            connection.request("GET", target, headers=headers)
            response = connection.getresponse()
            body = response.read(MAX_RESPONSE + 1)
        except (OSError, ssl.SSLError, http_client.HTTPException) as exc:
            raise KubeApiError("GET %s%s: %s" % (credentials.server, target, exc))
        finally:
            connection.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if len(body) > MAX_RESPONSE:
        raise KubeApiError("GET %s%s: the answer is larger than %d bytes" % (credentials.server, target, MAX_RESPONSE))
    if response.status != 200:
        raise KubeApiError("GET %s%s: %d %s: %s" % (
            credentials.server, target, response.status, response.reason, _message(body)))
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise KubeApiError("GET %s%s answered something that is not JSON: %s" % (credentials.server, target, exc))


def _message(body):
    try:
        return json.loads(body.decode("utf-8")).get("message") or body[:300].decode("utf-8", "replace")
    except (ValueError, AttributeError, UnicodeDecodeError):
        return body[:300].decode("utf-8", "replace")


def _tls_context(credentials, scratch):
    context = ssl.create_default_context()
    # Python 3.13 verifies X.509 strictly (RFC 5280 key usage on CAs); Go's TLS, which every Kubernetes client uses,
    # does not, and CAs made with `openssl req -x509` lack the extension, so a client of ours must not refuse them.
    context.verify_flags &= ~getattr(ssl, "VERIFY_X509_STRICT", 0)
    if not credentials.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif credentials.ca_data:
        context.load_verify_locations(cadata=credentials.ca_data.decode("ascii", "replace"))
    elif credentials.ca_file:
        context.load_verify_locations(cafile=credentials.ca_file)
    cert, key = credentials.cert_file, credentials.key_file
    if credentials.cert_data:
        cert = os.path.join(scratch, "client.crt")
        with open(cert, "wb") as handle:
            handle.write(credentials.cert_data)
    if credentials.key_data:
        key = os.path.join(scratch, "client.key")
        with os.fdopen(os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
            handle.write(credentials.key_data)
    if cert:
        try:
            context.load_cert_chain(cert, key)
        except (OSError, ssl.SSLError) as exc:
            raise KubeApiError("the client certificate %s (key %s) cannot be used: %s" % (
                credentials.cert_file or "(inline)", credentials.key_file or "(inline)", exc))
    return context


def node_pods(credentials, node_name):
    """The PodList of the pods bound to ``node_name``, from the API server."""
    return get_json(credentials, "/api/v1/pods", {"fieldSelector": "spec.nodeName=%s" % node_name})


def proxied_configz(credentials, node_name):
    """The kubelet's /configz through the API server's node proxy."""
    return get_json(credentials, "/api/v1/nodes/%s/proxy/configz" % quote(node_name, safe=""))
