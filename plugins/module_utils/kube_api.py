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
import re
import shutil
import ssl
import tempfile

try:  # Python 3
    from urllib.parse import quote, urlencode, urlsplit
    import http.client as http_client
except ImportError:  # pragma: no cover - Python 2 is not a node Python for this collection
    raise

from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError, read_at_most, read_file, type_name

TIMEOUT = 20
MAX_RESPONSE = 256 * 1024 * 1024
# The client certificate for the kubelet's API, as every module that reads it takes it (doc fragment
# k8s.seccomp_default.kubelet_client).
KUBELET_CLIENT_SPEC = dict(
    client_cert=dict(type="path", default="/etc/kubernetes/pki/apiserver-kubelet-client.crt"),
    client_key=dict(type="path", default="/etc/kubernetes/pki/apiserver-kubelet-client.key"),
)
# What an HTTP header carries: a token with a space, a line break or a non-ASCII character is not one.
TOKEN = re.compile(r"[\x21-\x7e]+\Z")


class KubeApiError(InputError):
    """A kubeconfig, a file it names, or an answer that cannot be used. ``path`` is the kubeconfig, the file, or
    the request (``GET <url>``); ``field`` where in it."""


class Credentials:
    """Where to connect and who to be: a server, a CA, and a client certificate or a token. ``origins`` says where
    each came from ("ca", "cert", "key": a file, or the kubeconfig field that held it inline), for errors."""

    def __init__(self, server, ca_file=None, ca_data=None, cert_file=None, cert_data=None, key_file=None,
                 key_data=None, token=None, verify=True, source=None, user=None, origins=None):
        self.server, self.ca_file, self.ca_data = server.rstrip("/"), ca_file, ca_data
        self.cert_file, self.cert_data, self.key_file, self.key_data = cert_file, cert_data, key_file, key_data
        self.token, self.verify, self.source, self.user = token, verify, source, user
        self.origins = dict(origins or {})

    def describe(self):
        who = "client certificate %s" % (self.cert_file or "(inline)") if (self.cert_file or self.cert_data) else (
            "a bearer token" if self.token else "no credentials")
        return "%s as %s (%s)" % (self.server, self.user or "?", who) + (" from %s" % self.source if self.source else "")


def _typed(value, kind, path, field, expected=None, required=False):
    """``value`` when it is a ``kind`` (or absent and not ``required``), else a KubeApiError naming the field."""
    if value is None and not required:
        return None
    if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
        return value
    problem = "is missing" if value is None else "is not a %s" % type_name(kind())
    raise KubeApiError(problem, path=path, field=field, value=value, expected=expected)


def _file(path, what, origin=None):
    """The bytes of a file the credentials name, or a KubeApiError naming it and where it was named."""
    try:
        return read_file(path, encoding=None)
    except InputError as exc:
        raise KubeApiError("%s %s%s" % (what, exc.problem, " (named by %s)" % origin if origin else ""), path=path)


def unreadable(path):
    """Why the file at ``path`` cannot be used (``<path> not readable``, with the reason unless it is missing), or
    None: a directory, a FIFO or a mode-000 file is no certificate, though os.access may say it is readable."""
    if not path:
        return "no file given"
    try:
        read_file(path, encoding=None)
    except InputError as exc:
        return "%s not readable" % path + ("" if exc.problem == "does not exist" else ": %s" % exc.problem)
    return None


def _relative(base, path):
    """Paths in a kubeconfig are relative to the kubeconfig's own directory (clientcmd's ResolvePaths)."""
    return path if not path or os.path.isabs(path) else os.path.join(os.path.dirname(base), path)


def _read_kubeconfig(path):
    # Imported where it is used: a module compiles every module_utils it imports on each run, and the YAML reader is
    # needed only where a kubeconfig is read.
    from ansible_collections.k8s.seccomp_default.plugins.module_utils import yaml_reader

    try:
        text = read_file(path)
    except InputError as exc:
        raise KubeApiError("cannot read the kubeconfig: %s" % exc.problem, path=path)
    try:
        config = yaml_reader.load(text)
    except yaml_reader.YamlError as exc:
        raise KubeApiError("is not valid YAML: %s" % exc, path=path)
    return _typed(config, dict, path, "the kubeconfig", expected="a mapping (apiVersion: v1, kind: Config)", required=True)


def _named(config, path, kind, item):
    """name -> (field, mapping) of ``kind`` (clusters, users, contexts), each an entry {name, ``item``: mapping}."""
    entries = _typed(config.get(kind), list, path, kind, expected="a list of {name, %s} mappings" % item) or []
    found = {}
    for index, entry in enumerate(entries):
        field = "%s[%d]" % (kind, index)
        entry = _typed(entry, dict, path, field, expected="a mapping with name and %s" % item, required=True)
        name = _typed(entry.get("name"), str, path, field + ".name", required=True)
        found[name] = (field + "." + item, _typed(entry.get(item), dict, path, field + "." + item) or {})
    return found


def _server(value, path, field):
    server = _typed(value, str, path, field, expected="an https:// URL", required=True)
    try:
        url = urlsplit(server)
        url.port  # pylint: disable=pointless-statement  # a port that is not a number raises here, not at the request
        server.encode("ascii")
    except (ValueError, UnicodeEncodeError) as exc:
        raise KubeApiError("is not a URL (%s)" % exc, path=path, field=field, value=server, expected="an https:// URL")
    if url.scheme != "https" or not url.hostname:
        raise KubeApiError("is not an https:// URL with a host", path=path, field=field, value=server,
                           expected="https://<host>[:<port>]; only https servers are supported")
    return server


def _token(value, path, field):
    if value is not None and not TOKEN.match(value):
        raise KubeApiError("is not a bearer token (it has spaces, line breaks or characters that are not ASCII)",
                           path=path, field=field, value="(%d characters, not shown)" % len(value))
    return value


def load_kubeconfig(path, context=None, run=None):
    """Credentials of ``context`` (default: current-context) in the kubeconfig at ``path``. An exec credential plugin
    is run with ``run(argv, environ_update)`` -> (rc, stdout, stderr), as module.run_command; without ``run`` it is
    left unrun (a check that changes and costs nothing). Every field used is checked; KubeApiError names it."""
    config = _read_kubeconfig(path)
    clusters, users = _named(config, path, "clusters", "cluster"), _named(config, path, "users", "user")
    contexts = _named(config, path, "contexts", "context")
    name = context or _typed(config.get("current-context"), str, path, "current-context")
    if name not in contexts:
        raise KubeApiError("has no context %r (contexts: %s)" % (name, ", ".join(sorted(contexts)) or "none"), path=path,
                           field="context option" if context else "current-context")
    where, chosen = contexts[name]
    cluster_name = _typed(chosen.get("cluster"), str, path, where + ".cluster", required=True)
    user_name = _typed(chosen.get("user"), str, path, where + ".user")
    if cluster_name not in clusters:
        raise KubeApiError("names no cluster of the kubeconfig (clusters: %s)" % (", ".join(sorted(clusters)) or "none"),
                           path=path, field=where + ".cluster", value=cluster_name)
    if user_name and user_name not in users:
        raise KubeApiError("names no user of the kubeconfig (users: %s)" % (", ".join(sorted(users)) or "none"),
                           path=path, field=where + ".user", value=user_name)
    at, cluster = clusters[cluster_name]
    by, user = users[user_name] if user_name else ("", {})

    def text(mapping, field, prefix):
        return _typed(mapping.get(field), str, path, "%s.%s" % (prefix, field))

    def origin(prefix, field):
        return "%s.%s of the kubeconfig %s" % (prefix, field, path)

    token_file = _relative(path, text(user, "tokenFile", by))
    token = _token(text(user, "token", by), path, by + ".token")
    if not token and token_file:  # clientcmd: an inline token wins over tokenFile
        token = _token(_file(token_file, "the token file", origin(by, "tokenFile")).decode("utf-8", "replace").strip(),
                       token_file, "the token")
    credentials = Credentials(
        _server(cluster.get("server"), path, at + ".server"),
        ca_file=_relative(path, text(cluster, "certificate-authority", at)),
        ca_data=_b64(cluster.get("certificate-authority-data"), path, at + ".certificate-authority-data"),
        cert_file=_relative(path, text(user, "client-certificate", by)),
        cert_data=_b64(user.get("client-certificate-data"), path, by + ".client-certificate-data"),
        key_file=_relative(path, text(user, "client-key", by)),
        key_data=_b64(user.get("client-key-data"), path, by + ".client-key-data"),
        token=token,
        verify=not _typed(cluster.get("insecure-skip-tls-verify"), bool, path, at + ".insecure-skip-tls-verify"),
        source=path, user=user_name,
        origins=dict(ca=origin(at, "certificate-authority" + ("-data" if cluster.get("certificate-authority-data") else "")),
                     cert=origin(by, "client-certificate" + ("-data" if user.get("client-certificate-data") else "")),
                     key=origin(by, "client-key" + ("-data" if user.get("client-key-data") else ""))))
    spec = _typed(user.get("exec"), dict, path, by + ".exec")
    if spec:
        command = _exec_command(spec, path, by + ".exec")
        if run is not None:
            _exec_credentials(credentials, command, path, by + ".exec", run)
    return credentials


def _b64(value, path, field):
    if value is None or value == "":
        return None
    _typed(value, str, path, field, expected="base64 text")
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except ValueError as exc:  # binascii.Error, and non-ASCII text
        raise KubeApiError("is not base64 (%s)" % exc, path=path, field=field, value=value)


def _exec_command(spec, path, field):
    """(argv, environment) of an exec credential plugin entry, checked."""
    command = [_typed(spec.get("command"), str, path, field + ".command", required=True)]
    for index, arg in enumerate(_typed(spec.get("args"), list, path, field + ".args") or []):
        command.append(_typed(arg, str, path, "%s.args[%d]" % (field, index), required=True))
    env = {}
    for index, item in enumerate(_typed(spec.get("env"), list, path, field + ".env") or []):
        at = "%s.env[%d]" % (field, index)
        item = _typed(item, dict, path, at, expected="a mapping with name and value", required=True)
        env[_typed(item.get("name"), str, path, at + ".name", required=True)] = _typed(
            item.get("value"), str, path, at + ".value", required=True)
    env["KUBERNETES_EXEC_INFO"] = json.dumps({"apiVersion": _typed(spec.get("apiVersion"), str, path, field + ".apiVersion"),
                                              "kind": "ExecCredential", "spec": {"interactive": False}})
    return command, env


def _exec_credentials(credentials, command, path, field, run):
    """Run the kubeconfig's exec credential plugin and take its ExecCredential status."""
    argv, env = command
    try:
        rc, out, err = run(argv, environ_update=env)
    except (OSError, ValueError) as exc:
        raise KubeApiError("its exec credential plugin %s did not run: %s" % (argv[0], exc), path=path, field=field)
    if rc != 0:
        raise KubeApiError("its exec credential plugin %s failed (rc %d): %s" % (argv[0], rc, (err or "").strip()[:500]),
                           path=path, field=field)
    plugin = "the exec credential plugin %s (%s of %s)" % (argv[0], field, path)
    try:
        document = json.loads(out)
    except (ValueError, RecursionError) as exc:
        raise KubeApiError("printed no ExecCredential (%s)" % exc, path=plugin, value=out)
    document = _typed(document, dict, plugin, "the ExecCredential", required=True)
    status = _typed(document.get("status"), dict, plugin, "status", expected="a mapping with token or "
                    "clientCertificateData and clientKeyData", required=True)
    credentials.token = _token(_typed(status.get("token"), str, plugin, "status.token"), plugin, "status.token") \
        or credentials.token
    cert = _typed(status.get("clientCertificateData"), str, plugin, "status.clientCertificateData")
    if cert:
        credentials.cert_data = cert.encode("utf-8", "replace")
        credentials.key_data = (_typed(status.get("clientKeyData"), str, plugin, "status.clientKeyData") or "").encode(
            "utf-8", "replace")
        credentials.origins.update(cert=plugin, key=plugin)


def client_certificate(cert_file, key_file, server, ca_file=None, verify=True, source=None, user=None):
    return Credentials(server, ca_file=ca_file, cert_file=cert_file, key_file=key_file, verify=verify, source=source,
                       user=user)


def get_json(credentials, path, query=None, timeout=TIMEOUT, check=None):
    """GET ``path`` (with ``query``) and the JSON it answers, checked by ``check(document, request)`` when given;
    KubeApiError with the status and message otherwise."""
    url = urlsplit(credentials.server)
    request = "GET %s%s" % (credentials.server, path) + ("?" + urlencode(query) if query else "")
    try:
        port = url.port or 443
    except ValueError as exc:
        raise KubeApiError("is not a server URL (%s)" % exc, path=request)
    if url.scheme != "https" or not url.hostname:
        raise KubeApiError("only https servers are supported", path=credentials.server)
    scratch = tempfile.mkdtemp(prefix="k8s-seccomp-default-")  # 0700: inline keys never sit in a readable file
    try:
        context = _tls_context(credentials, scratch)
        connection = http_client.HTTPSConnection(url.hostname, port, timeout=timeout, context=context)
        target = (url.path.rstrip("/") + path) + ("?" + urlencode(query) if query else "")
        headers = {"Accept": "application/json", "User-Agent": "k8s.seccomp_default"}
        if credentials.token:
            headers["Authorization"] = "Bearer %s" % credentials.token
        try:
            connection.request("GET", target, headers=headers)
            response = connection.getresponse()
            body = read_at_most(response, MAX_RESPONSE)
        except (OSError, ssl.SSLError, http_client.HTTPException) as exc:
            raise KubeApiError(str(exc) or type(exc).__name__, path=request)
        finally:
            connection.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if len(body) > MAX_RESPONSE:
        raise KubeApiError("the answer is larger than %d bytes" % MAX_RESPONSE, path=request)
    if response.status != 200:
        raise KubeApiError("%d %s: %s" % (response.status, response.reason, _message(body)), path=request)
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise KubeApiError("answered something that is not JSON: %s" % exc, path=request,
                           value=body[:200].decode("utf-8", "replace"))
    if check:
        check(document, request)
    return document


def _message(body):
    try:
        message = json.loads(body.decode("utf-8")).get("message")
        if isinstance(message, str) and message:
            return message
    except (ValueError, AttributeError, UnicodeDecodeError, RecursionError):
        pass
    return body[:300].decode("utf-8", "replace")


def _tls_context(credentials, scratch):
    """The TLS context for ``credentials``; every file or inline datum is checked and named when it cannot be used."""
    # The server's certificate and name verified (PROTOCOL_TLS_CLIENT), against the CA given or else the system's
    # store, as client-go does: a CA given replaces the system's, it is not added to it.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # Python 3.13 verifies X.509 strictly (RFC 5280 key usage on CAs); Go's TLS, which every Kubernetes client uses,
    # does not, and CAs made with `openssl req -x509` lack the extension, so a client of ours must not refuse them.
    context.verify_flags &= ~getattr(ssl, "VERIFY_X509_STRICT", 0)
    origins = credentials.origins
    if credentials.verify and not (credentials.ca_data or credentials.ca_file):
        context.load_default_certs()
    if not credentials.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif credentials.ca_data or credentials.ca_file:
        ca = credentials.ca_data or _file(credentials.ca_file, "the CA file", origins.get("ca"))
        try:
            context.load_verify_locations(cadata=ca.decode("ascii"))
        except (ValueError, ssl.SSLError) as exc:  # UnicodeDecodeError is a ValueError
            raise KubeApiError("is not a PEM CA certificate (%s)" % exc, path=credentials.ca_file or origins.get("ca"))
    cert = credentials.cert_data or (credentials.cert_file and _file(credentials.cert_file, "the client certificate",
                                                                     origins.get("cert")))
    key = credentials.key_data or (credentials.key_file and _file(credentials.key_file, "the client key",
                                                                  origins.get("key")))
    if cert:
        # Both go through a private copy, so that a FIFO or a directory is refused above and never reaches OpenSSL.
        cert_path, key_path = os.path.join(scratch, "client.crt"), os.path.join(scratch, "client.key")
        with open(cert_path, "wb") as handle:
            handle.write(cert)
        if key:
            with os.fdopen(os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
                handle.write(key)
        try:
            context.load_cert_chain(cert_path, key_path if key else None)
        except (OSError, ssl.SSLError) as exc:
            raise KubeApiError("the client certificate %s (key %s) cannot be used: %s" % (
                credentials.cert_file or origins.get("cert") or "(inline)",
                credentials.key_file or origins.get("key") or "(inline)", exc))
    return context


def _checked(value, kind, request, field, expected):
    return _typed(value, kind, request, field, expected=expected, required=True)


def pod_list(document, request):
    """A PodList (API server or kubelet /pods): items a list of pods, each a mapping with mapping parts."""
    _checked(document, dict, request, "the answer", "a PodList")
    for index, pod in enumerate(_typed(document.get("items"), list, request, "items", expected="a list of pods") or []):
        field = "items[%d]" % index
        _checked(pod, dict, request, field, "a pod")
        for part in ("metadata", "spec", "status"):
            _typed(pod.get(part), dict, request, "%s.%s" % (field, part))
    return document


def configz(document, request):
    """The kubelet's /configz: {kubeletconfig: the KubeletConfiguration it runs with}."""
    _checked(document, dict, request, "the answer", "{kubeletconfig: ...}")
    _checked(document.get("kubeletconfig"), dict, request, "kubeletconfig", "the kubelet's configuration, a mapping")
    return document


def node_pods(credentials, node_name, timeout=TIMEOUT):
    """The PodList of the pods bound to ``node_name``, from the API server."""
    return get_json(credentials, "/api/v1/pods", {"fieldSelector": "spec.nodeName=%s" % node_name}, timeout, pod_list)


def proxied_configz(credentials, node_name, timeout=TIMEOUT):
    """The kubelet's /configz through the API server's node proxy."""
    return get_json(credentials, "/api/v1/nodes/%s/proxy/configz" % quote(node_name, safe=""), timeout=timeout,
                    check=configz)
