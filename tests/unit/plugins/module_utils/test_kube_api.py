"""module_utils/kube_api against a real HTTPS server on localhost that authenticates by client certificate, with
certificates made by openssl: kubeconfigs with files, inline data, relative paths, tokens and exec plugins."""

import base64
import io
import json
import os
import subprocess
import tracemalloc

import pytest

from lib import https_api

from ansible_collections.k8s.seccomp_default.plugins.module_utils import errors, kube_api


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    https_api.certificates(d, clients=[("node", "/O=system:nodes/CN=system:node:w1")])
    return d


@pytest.fixture(scope="module")
def server(pki):
    seen = []

    def answer(request):
        token = request.headers.get("Authorization")
        seen.append((request.path, request.client, token))
        if request.client is None and token != "Bearer sekret":
            body, code = {"kind": "Status", "message": "Unauthorized"}, 401
        elif request.path.startswith("/api/v1/pods?fieldSelector=spec.nodeName%3Dw1"):
            body, code = {"kind": "PodList", "items": [{"metadata": {"name": "p"}}]}, 200
        elif request.path == "/api/v1/nodes/w1/proxy/configz":
            body, code = {"kind": "Status", "message": 'User "%s" cannot get resource "nodes/proxy"' % request.client}, 403
        else:
            body, code = {"kind": "Status", "message": "not found"}, 404
        return code, json.dumps(body).encode()
    with https_api.serve(pki, answer, verify_clients=True) as url:
        yield url, seen


def run(argv, environ_update=None):
    """module.run_command's shape, for the exec plugin."""
    done = subprocess.run(argv, env=dict(os.environ, **(environ_update or {})), capture_output=True, text=True, check=False)
    return done.returncode, done.stdout, done.stderr


def write_kubeconfig(path, server, user):
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "Config", "current-context": "c",
                                "clusters": [{"name": "k", "cluster": {"server": server, "certificate-authority": "ca.crt"}}],
                                "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u"}}],
                                "users": [{"name": "u", "user": user}]}))
    return str(path)


def test_pods_of_a_node_with_its_own_certificate_and_relative_paths(pki, server):
    url, seen = server
    config = write_kubeconfig(pki / "kubelet.conf", url, {"client-certificate": "node.crt", "client-key": "node.key"})
    credentials = kube_api.load_kubeconfig(config)
    assert credentials.ca_file == str(pki / "ca.crt")  # relative to the kubeconfig, as clientcmd resolves it
    assert kube_api.node_pods(credentials, "w1")["items"] == [{"metadata": {"name": "p"}}]
    assert seen[-1][1] == "system:node:w1"


def test_inline_certificate_data_and_a_refusal_that_keeps_the_servers_message(pki, server):
    url, _seen = server
    data = dict((k, base64.b64encode((pki / f).read_bytes()).decode())
                for k, f in (("client-certificate-data", "node.crt"), ("client-key-data", "node.key")))
    credentials = kube_api.load_kubeconfig(write_kubeconfig(pki / "inline.conf", url, data))
    with pytest.raises(kube_api.KubeApiError) as caught:
        kube_api.proxied_configz(credentials, "w1")
    assert str(caught.value) == ('GET %s/api/v1/nodes/w1/proxy/configz: 403 Forbidden: User "system:node:w1" cannot get '
                                 'resource "nodes/proxy"' % url)


def test_a_token_from_an_exec_plugin(pki, server, tmp_path):
    url, seen = server
    plugin = tmp_path / "get-token"
    plugin.write_text('#!/bin/sh\necho \'{"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential", '
                      '"status": {"token": "sekret"}}\'\n')
    os.chmod(str(plugin), 0o755)
    spec = {"apiVersion": "client.authentication.k8s.io/v1", "command": str(plugin), "args": []}
    config = write_kubeconfig(pki / "exec.conf", url, {"exec": spec})
    assert kube_api.load_kubeconfig(config).token is None  # a check runs nothing
    assert kube_api.node_pods(kube_api.load_kubeconfig(config, run=run), "w1")["kind"] == "PodList"
    assert seen[-1] == ("/api/v1/pods?fieldSelector=spec.nodeName%3Dw1", None, "Bearer sekret")


def test_kubeconfigs_that_cannot_work_say_why(pki, tmp_path, server):
    url, _seen = server
    with pytest.raises(kube_api.KubeApiError, match="cannot read the kubeconfig"):
        kube_api.load_kubeconfig(str(tmp_path / "missing"))
    bad = tmp_path / "bad.conf"
    bad.write_text("current-context: nope\ncontexts: []\n")
    with pytest.raises(kube_api.KubeApiError, match="has no context 'nope' \\(contexts: none\\)"):
        kube_api.load_kubeconfig(str(bad))
    failing = tmp_path / "fail"
    failing.write_text("#!/bin/sh\necho 'no credentials here' >&2\nexit 3\n")
    os.chmod(str(failing), 0o755)
    config = write_kubeconfig(pki / "failing.conf", url, {"exec": {"command": str(failing)}})
    with pytest.raises(kube_api.KubeApiError, match="exec credential plugin .*fail failed \\(rc 3\\): no credentials here"):
        kube_api.load_kubeconfig(config, run=run)
    anonymous = kube_api.load_kubeconfig(write_kubeconfig(pki / "anon.conf", url, {}))
    with pytest.raises(kube_api.KubeApiError, match="401 Unauthorized: Unauthorized"):
        kube_api.node_pods(anonymous, "w1")


@pytest.mark.parametrize("content_length", [True, False])
def test_an_answer_is_read_without_a_buffer_the_size_of_the_limit(pki, content_length):
    """The answer is read in chunks: asking http.client for the whole limit (256 MiB) at once allocates that much
    (before Python 3.11 whatever the answer's length, and on any Python for an answer without Content-Length) - a
    tenth of a second for each call to the kubelet, and a node short of memory fails the call."""
    pods = json.dumps({"kind": "PodList", "items": [{"metadata": {"name": "p"}}]}).encode()
    with https_api.serve(pki, lambda request: (200, pods), content_length=content_length) as url:
        credentials = kube_api.Credentials(url, ca_file=str(pki / "ca.crt"))
        tracemalloc.start()
        try:
            document = kube_api.get_json(credentials, "/pods")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert document["items"][0]["metadata"]["name"] == "p"
    assert peak < 4 * 1024 * 1024, peak


def test_read_at_most_asks_for_small_chunks_and_says_when_there_is_more():
    class Recording(io.BytesIO):
        asked = []

        def read(self, size=-1):
            self.asked.append(size)
            return super(Recording, self).read(size)

    data = b"x" * 200000
    assert errors.read_at_most(Recording(data), 10 ** 9) == data
    assert max(Recording.asked) <= 65536
    assert errors.read_at_most(Recording(data), 100000) == data[:100001]  # one byte past the limit: too large
    assert errors.read_at_most(Recording(data), 200000) == data
