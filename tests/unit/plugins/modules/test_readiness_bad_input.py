"""readiness given broken input. The module never fails for a node that is not ready: a crictl that prints what
crictl does not print, or a client certificate that is a directory or unreadable, is a blocker row that names the
command or file and what is wrong; a broken kubelet kubeconfig is named in the credentials row. Only options that
cannot mean anything fail the task. Nothing is changed. crictl is a stand-in (tests/lib/fuzz_crictl); the module
runs as Ansible runs it, and readiness.access reads the kubeconfigs in this process."""

import json
import os

import pytest
from lib.badinput import assert_refused, run_module, snapshot
from lib.fuzz_crictl import BAD_PS, PS, stand_in, text

from ansible_collections.k8s.seccomp_default.plugins.module_utils import readiness

ENDPOINT = "unix:///run/containerd/containerd.sock"


def assess(tmp_path, ps=(text(PS).encode(), 0, ""), make=None, **args):
    root = tmp_path / "node"
    crictl = stand_in(root / "bin", ps=ps)
    (root / "client.crt").write_text("cert")
    (root / "client.key").write_text("key")
    if make:
        make(root)
    before = snapshot(root)
    result = run_module("readiness", dict(dict(crictl=crictl, runtime_endpoint=ENDPOINT, timeout=0, client_cert=str(root / "client.crt"),
                                               client_key=str(root / "client.key"), state_dir=str(root / "state")), **args),
                        tmp_path)
    assert snapshot(root) == before
    return result


def row(result, check):
    assert not result.get("failed") and not result.get("crashed"), result
    return dict((entry["check"], entry) for entry in result["checks"])[check]


@pytest.mark.parametrize("case", ["labels-a-string", "id-an-option", "not-utf-8"])
def test_a_broken_crictl_listing_is_a_blocker_naming_the_command(tmp_path, case):
    out, rc, err, words = BAD_PS[case]
    found = row(assess(tmp_path, ps=(out, rc, err)), "crictl")
    assert found["status"] == "blocker"
    for word in ["crictl --runtime-endpoint %s ps -a" % ENDPOINT] + words:
        assert word in found["detail"], found["detail"]


def _unreadable(root):
    os.chmod(str(root / "client.crt"), 0)


@pytest.mark.parametrize("make, words", [
    (lambda root: ((root / "client.crt").unlink(), (root / "client.crt").mkdir()), ["client.crt not readable: is a directory"]),
    (_unreadable, ["client.crt not readable: is not readable by this user"]),
    (lambda root: ((root / "client.key").unlink(), os.mkfifo(str(root / "client.key"))), ["client.key not readable: is not a regular file"]),
], ids=["cert-a-directory", "cert-mode-000", "key-a-fifo"])
def test_a_client_certificate_that_is_no_file_is_a_blocker_naming_it(tmp_path, make, words):
    found = row(assess(tmp_path, make=make), "credentials")
    assert found["status"] == "blocker"
    for word in words:
        assert word in found["detail"], found["detail"]


def test_a_negative_free_space_is_refused(tmp_path):
    assert_refused(assess(tmp_path, min_free_mb=-1), "min_free_mb", "must not be negative")


def kubeconfig(**change):
    document = {"apiVersion": "v1", "kind": "Config", "current-context": "default",
                "clusters": [{"name": "kubernetes", "cluster": {"server": "https://192.0.2.1:6443"}}],
                "contexts": [{"name": "default", "context": {"cluster": "kubernetes", "user": "system:node:w1"}}],
                "users": [{"name": "system:node:w1", "user": {"client-certificate": "/var/lib/kubelet/pki/c.pem"}}]}
    document.update(change)
    return json.dumps(document)


@pytest.mark.parametrize("config, words", [
    (kubeconfig(contexts=[{"name": "default", "context": "kubernetes"}]), ["contexts[0].context", "is not a mapping"]),
    (kubeconfig(clusters=[{"name": "kubernetes", "cluster": ["https://192.0.2.1:6443"]}]), ["clusters[0].cluster"]),
    (kubeconfig(users={"system:node:w1": {}}), ["users", "is not a list"]),
    (kubeconfig(users=[{"name": "system:node:w1", "user": {"tokenFile": "."}}]), ["users[0].user.tokenFile", "is a directory"]),
    (kubeconfig(clusters=[{"name": "kubernetes", "cluster": {"server": "https://h:port"}}]), ["server", "is not a URL"]),
    ("\xff", ["kubelet.conf", "not UTF-8"]),
], ids=["context-a-string", "cluster-a-list", "users-a-mapping", "token-file-a-directory", "server-port-not-a-number",
        "not-utf-8"])
def test_a_broken_kubelet_kubeconfig_is_named_in_the_credentials_row(tmp_path, config, words):
    path = tmp_path / "kubelet.conf"
    path.write_bytes(config.encode("latin-1") if config == "\xff" else config.encode())
    before = snapshot(tmp_path)
    found = readiness.access("/nonexistent/c.crt", "/nonexistent/c.key", str(path), "/root/.kube/config")
    assert snapshot(tmp_path) == before
    assert found["pods"] is None
    for word in words:
        assert word in found["why"], found["why"]
    assert readiness.check_credentials(found)["status"] == "blocker"
