"""kubelet_read given broken input: kubeconfigs (odd files, fields of the wrong type, a context naming nothing,
data that is not base64), the files they and the options name, answers of the wrong shape, options that make no
URL. Each fails naming the file and field, or the request and field, and the tree is unchanged. The API server is
a real HTTPS server on localhost (certificates made by openssl). The module runs as Ansible runs it for a case of
each kind; the whole tables also run through module_utils/kube_api in this process (a module run costs half a
second), which is what the module calls - all but the mode-000 file, which root reads in this process."""

import base64
import json
import os
import subprocess
from urllib.parse import unquote

import pytest
from lib import https_api
from lib.badinput import assert_refused, run_module, snapshot

from ansible_collections.k8s.seccomp_default.plugins.module_utils import kube_api

# node name -> what the API server answers for its pods and its /configz
ANSWERS = {
    "good": b'{"kind": "PodList", "items": [{"metadata": {"name": "p"}, "spec": {"containers": []}}]}',
    "items-a-string": b'{"kind": "PodList", "items": "x"}',
    "item-a-number": b'{"kind": "PodList", "items": [1]}',
    "metadata-a-list": b'{"kind": "PodList", "items": [{"metadata": ["p"]}]}',
    "not-json": b"<html>503 Service Unavailable</html>",
    "nested-too-deep": b"[" * 100000,
    "a-list": b"[]",
    "no-kubeletconfig": b'{"kubeletconfiguration": {}}',
    "enforcing": b'{"kubeletconfig": {"seccompDefault": true, "featureGates": {"SeccompDefault": true}}}',
    "default-off": b'{"kubeletconfig": {"featureGates": {}}}',
    "pods-of-a-node": json.dumps({"kind": "PodList", "items": [
        {"metadata": {"name": "web", "namespace": "shop", "uid": "u1"},
         "spec": {"nodeName": "pods-of-a-node", "containers": [{"name": "nginx"}, {"name": "pinned", "securityContext": {
             "seccompProfile": {"type": "Unconfined"}}}]}},
        {"metadata": {"name": "locked", "namespace": "shop", "uid": "u2"},
         "spec": {"nodeName": "pods-of-a-node", "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                  "containers": [{"name": "app"}]}}]}).encode(),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    pki = tmp_path_factory.mktemp("pki")

    def answer(request):
        path = unquote(request.path)
        node = path.split("spec.nodeName=", 1)[-1] if "nodeName=" in path else path.split("/")[4]
        return (200, ANSWERS[node]) if node in ANSWERS else (404, b'{"kind": "Status", "message": "not found"}')
    https_api.certificates(pki)
    with https_api.serve(pki, answer) as url:
        yield url, pki


def kubeconfig(url, cluster=None, user=None):
    return {"apiVersion": "v1", "kind": "Config", "current-context": "c",
            "clusters": [{"name": "k", "cluster": dict({"server": url, "insecure-skip-tls-verify": True}, **(cluster or {}))}],
            "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}],
            "users": [{"name": "u", "user": user or {"token": "sekret"}}]}


def read(tmp_path, args, make=None):
    """Run kubelet_read in a tree that ``make(root)`` prepared; assert the tree is unchanged."""
    root = tmp_path / "node"
    root.mkdir()
    if make:
        make(root)
    before = snapshot(root)
    result = run_module("kubelet_read", dict(dict(what="pods", via="api_server", node_name="good"), **args), tmp_path)
    assert snapshot(root) == before
    return result


def config_file(document=None, text=None, mode=None):
    """make(root): the kubeconfig root/kubeconfig, as ``document`` (JSON is YAML) or raw ``text`` bytes."""
    def make(root):
        path = root / "kubeconfig"
        path.write_bytes(text if text is not None else json.dumps(document).encode())
        if mode is not None:
            os.chmod(str(path), mode)
    return make


def changed(url, change):
    document = kubeconfig(url)
    change(document)
    return config_file(document)


def directory_at(name):
    return lambda root: (root / name).mkdir()


def plugin(output):
    def make(root):
        (root / "plugin").write_text("#!/bin/sh\necho '%s'\n" % output)
        os.chmod(str(root / "plugin"), 0o755)
    return make


KUBECONFIGS = {
    "a-directory": (directory_at("kubeconfig"), ["kubeconfig", "cannot read the kubeconfig", "is a directory"]),
    "unreadable": (config_file(text=b"apiVersion: v1\n", mode=0), ["kubeconfig", "not readable by this user"]),
    "not-utf-8": (config_file(text=b"current-context: \xff\n"), ["kubeconfig", "not UTF-8"]),
    "not-yaml": (config_file(text=b"users: [\n"), ["kubeconfig", "not valid YAML"]),
    "a-list": (config_file(text=b"- a\n- b\n"), ["kubeconfig: the kubeconfig", "is not a mapping"]),
    "contexts-a-string": (lambda url: changed(url, lambda d: d.update(contexts="c")), ["kubeconfig: contexts", "not a list"]),
    "context-a-string": (lambda url: changed(url, lambda d: d["contexts"][0].update(context="k")),
                         ["contexts[0].context", "is not a mapping"]),
    "clusters-a-mapping": (lambda url: changed(url, lambda d: d.update(clusters={"k": {}})), ["clusters", "is not a list"]),
    "cluster-a-list": (lambda url: changed(url, lambda d: d["clusters"][0].update(cluster=[url])),
                       ["clusters[0].cluster", "is not a mapping"]),
    "users-a-mapping": (lambda url: changed(url, lambda d: d.update(users={"u": {}})), ["users", "is not a list"]),
    "current-context-names-nothing": (lambda url: changed(url, lambda d: d.update({"current-context": "nope"})),
                                      ["current-context", "has no context 'nope' (contexts: c)"]),
    "current-context-a-number": (lambda url: changed(url, lambda d: d.update({"current-context": 5})),
                                 ["current-context", "is not a string"]),
    "context-names-no-user": (lambda url: changed(url, lambda d: d["contexts"][0]["context"].update(user="v")),
                              ["contexts[0].context.user", "names no user", "'v'"]),
    "server-port-not-a-number": (lambda url: changed(url, lambda d: d["clusters"][0]["cluster"].update(
        server="https://127.0.0.1:port")), ["clusters[0].cluster.server", "is not a URL"]),
    "server-http": (lambda url: changed(url, lambda d: d["clusters"][0]["cluster"].update(server="http://127.0.0.1")),
                    ["clusters[0].cluster.server", "https"]),
    "ca-data-not-base64": (lambda url: changed(url, lambda d: d["clusters"][0]["cluster"].update({
        "certificate-authority-data": "not base64!", "insecure-skip-tls-verify": False})),
        ["clusters[0].cluster.certificate-authority-data", "is not base64"]),
    "ca-data-not-a-certificate": (lambda url: changed(url, lambda d: d["clusters"][0]["cluster"].update({
        "certificate-authority-data": base64.b64encode(b"hello").decode(), "insecure-skip-tls-verify": False})),
        ["clusters[0].cluster.certificate-authority-data", "is not a PEM CA certificate"]),
    "client-key-data-not-base64": (lambda url: changed(url, lambda d: d["users"][0].update(user={
        "client-certificate-data": "Y2VydA==", "client-key-data": "@@@"})), ["users[0].user.client-key-data", "base64"]),
    "token-with-a-line-break": (lambda url: changed(url, lambda d: d["users"][0].update(user={"token": "abc\ndef"})),
                                ["users[0].user.token", "is not a bearer token"]),
    "token-file-a-directory": (lambda url: lambda root: (directory_at("token")(root), changed(url, lambda d: d["users"][0].update(
        user={"tokenFile": "token"}))(root)), ["node/token", "is a directory", "users[0].user.tokenFile"]),
    "ca-file-a-directory": (lambda url: lambda root: (directory_at("ca")(root), changed(url, lambda d: d["clusters"][0][
        "cluster"].update({"certificate-authority": "ca", "insecure-skip-tls-verify": False}))(root)),
        ["node/ca", "the CA file", "is a directory"]),
    "exec-command-a-list": (lambda url: changed(url, lambda d: d["users"][0].update(user={"exec": {"command": ["get-token"]}})),
                            ["users[0].user.exec.command", "is not a string"]),
    "exec-status-a-string": (lambda url: lambda root: (plugin('{"status": "x"}')(root), changed(url, lambda d: d["users"][0].update(
        user={"exec": {"command": str(root / "plugin")}}))(root)), ["exec credential plugin", "status", "is not a mapping"]),
}


FILE_CASES = ("a-directory", "unreadable", "not-utf-8", "not-yaml", "a-list")


def maker(case, url):
    make, words = KUBECONFIGS[case]
    return (make if case in FILE_CASES else make(url)), words


def run(argv, environ_update=None):
    """module.run_command's shape, for the exec plugin."""
    done = subprocess.run(argv, env=dict(os.environ, **(environ_update or {})), capture_output=True, text=True, check=False)
    return done.returncode, done.stdout, done.stderr


def read_here(tmp_path, make, node="good", what="pods"):
    """What the module does with a kubeconfig, in this process: the KubeApiError it fails with, tree unchanged."""
    root = tmp_path / "node"
    root.mkdir()
    make(root)
    before = snapshot(root)
    with pytest.raises(kube_api.KubeApiError) as caught:
        credentials = kube_api.load_kubeconfig(str(root / "kubeconfig"), run=run)
        (kube_api.node_pods if what == "pods" else kube_api.proxied_configz)(credentials, node)
    assert snapshot(root) == before
    return str(caught.value)


@pytest.mark.parametrize("case", sorted(set(KUBECONFIGS) - {"unreadable"}))
def test_a_broken_kubeconfig_is_named_with_its_field(server, tmp_path, case):
    make, words = maker(case, server[0])
    message = read_here(tmp_path, make)
    for word in words:
        assert word in message, message


@pytest.mark.parametrize("case", ["a-directory", "unreadable", "context-a-string", "ca-data-not-base64",
                                  "token-file-a-directory", "exec-status-a-string"])
def test_the_module_fails_naming_the_kubeconfig_and_field(server, tmp_path, case):
    make, words = maker(case, server[0])
    assert_refused(read(tmp_path, dict(kubeconfig=str(tmp_path / "node" / "kubeconfig")), make), *words)


ANSWER_CASES = {
    "items-a-string": ("pods", ["items", "is not a list"]),
    "item-a-number": ("pods", ["items[0]", "is not a mapping"]),
    "metadata-a-list": ("pods", ["items[0].metadata", "is not a mapping"]),
    "not-json": ("pods", ["not JSON", "503 Service Unavailable"]),
    "nested-too-deep": ("pods", ["not JSON"]),
    "a-list": ("configz", ["the answer", "is not a mapping"]),
    "no-kubeletconfig": ("configz", ["kubeletconfig", "is missing"]),
}


@pytest.mark.parametrize("node", sorted(ANSWER_CASES))
def test_an_answer_of_the_wrong_shape_is_named_with_the_request(server, tmp_path, node):
    url, _pki = server
    what, words = ANSWER_CASES[node]
    message = read_here(tmp_path, config_file(kubeconfig(url)), node, what)
    for word in ["GET %s/api/v1/" % url] + words:
        assert word in message, message


@pytest.mark.parametrize("node", ["items-a-string", "nested-too-deep"])
def test_the_module_fails_naming_the_request_and_field(server, tmp_path, node):
    url, _pki = server
    what, words = ANSWER_CASES[node]
    result = read(tmp_path, dict(kubeconfig=str(tmp_path / "node" / "kubeconfig"), node_name=node, what=what),
                  config_file(kubeconfig(url)))
    assert_refused(result, "GET %s/api/v1/" % url, *words)


@pytest.mark.parametrize("args, make, words", [
    (dict(kubelet_port=70000), None, ["kubelet_port", "1-65535"]),
    (dict(kubelet_host="127.0.0.1/x"), None, ["kubelet_host", "not a host"]),
    (dict(via="kubelet", client_cert="{root}/cert", client_key="{root}/key"), directory_at("cert"),
     ["node/cert", "the client certificate", "is a directory"]),
    (dict(via="kubelet", client_cert="{root}/cert", client_key="{root}/cert", ca_path="{root}/ca"),
     lambda root: ((root / "cert").write_text("x"), directory_at("ca")(root)), ["node/ca", "the CA file", "is a directory"]),
    (dict(via="auto", client_cert="{root}/cert", client_key="{root}/cert"), directory_at("cert"),
     ["no credentials to read /pods", "node/cert not readable: is a directory"]),
], ids=["port-out-of-range", "host-with-a-path", "client-cert-a-directory", "ca-path-a-directory", "auto-with-a-directory"])
def test_options_that_cannot_be_used_are_named(tmp_path, args, make, words):
    args = dict((key, value.format(root=tmp_path / "node") if isinstance(value, str) else value) for key, value in args.items())
    assert_refused(read(tmp_path, dict(args, via=args.get("via", "kubelet")), make), *words)


def test_a_good_kubeconfig_and_answer_are_read(server, tmp_path):
    url, _pki = server
    result = read(tmp_path, dict(kubeconfig=str(tmp_path / "node" / "kubeconfig")), config_file(kubeconfig(url)))
    assert not result.get("failed"), result
    assert result["json"]["items"][0]["metadata"] == {"name": "p"}


@pytest.mark.parametrize("node, expect, differs", [
    ("enforcing", {"seccompDefault": True, "featureGates.SeccompDefault": True}, []),
    ("enforcing", {"seccompDefault": True, "featureGates.SeccompDefault": None}, ["featureGates.SeccompDefault=true, intended absent"]),
    ("default-off", {"seccompDefault": True}, ["seccompDefault=absent, intended true"]),
    ("default-off", {"seccompDefault": False, "featureGates.SeccompDefault": None}, []),
], ids=["as-written", "gate-still-there", "not-on", "off-is-absent"])
def test_configz_is_checked_against_what_was_written(server, tmp_path, node, expect, differs):
    url, _pki = server
    result = read(tmp_path, dict(what="configz", node_name=node, kubeconfig=str(tmp_path / "node" / "kubeconfig"), expect=expect),
                  config_file(kubeconfig(url)))
    assert not result.get("crashed"), result
    assert result.get("differences", []) == differs
    assert bool(result.get("failed")) == bool(differs)
    if differs:
        assert_refused(result, "the kubelet does not run with what was written: /configz shows", *differs)


def test_the_containers_that_change_come_with_the_pods(server, tmp_path):
    url, _pki = server
    result = read(tmp_path, dict(node_name="pods-of-a-node", kubeconfig=str(tmp_path / "node" / "kubeconfig"),
                                 changes_for=dict(seccomp_default=False, kubelet_root_dir="/var/lib/kubelet")),
                  config_file(kubeconfig(url)))
    assert not result.get("failed"), result
    assert [(t["namespace"], t["pod"], t["container"]) for t in result["targets"]] == [("shop", "web", "nginx")]


def test_expect_and_changes_for_are_refused_with_the_other_document(tmp_path):
    assert_refused(read(tmp_path, dict(expect={"seccompDefault": True})), "expect", "is only for what=configz")
