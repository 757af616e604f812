"""What the runtime itself does to a container's seccomp profile, read from its real configuration files
(tests/data/nodes) and applied by the effective-profile rules and stage 3's verification."""

import json
import os

from ansible_collections.k8s.seccomp_default.plugins.module_utils import applied as A
from ansible_collections.k8s.seccomp_default.plugins.module_utils import effective as E
from ansible_collections.k8s.seccomp_default.plugins.module_utils import runtimes as R

NODES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "data", "nodes")


def config(layout, path):
    with open(os.path.join(NODES, layout, path.lstrip("/")), "rb") as handle:
        return handle.read()


def test_containerd_v2_v3_and_v4_configs_are_read():
    # kubespray's base_runtime_spec is `ctr oci spec` output (no seccomp) with its rlimits changed.
    v2 = R.containerd_seccomp_settings("/etc/containerd/config.toml", config("kubespray-v2.26", "/etc/containerd/config.toml"),
                                       read=lambda path: b'{"ociVersion": "1.1.0", "linux": {"namespaces": []}}')
    assert v2["version"] == 2 and v2["default_handler"] == "runc"
    assert v2["handlers"]["runc"] == {"base_runtime_spec": "/etc/containerd/cri-base.json", "base_seccomp": False}
    v3 = R.containerd_seccomp_settings("/etc/containerd/config.toml", config("containerd-2", "/etc/containerd/config.toml"))
    assert v3["version"] == 3 and v3["default_handler"] == "runc" and v3["handlers"]["runc"]["base_seccomp"] is False
    v4 = R.containerd_seccomp_settings("/etc/containerd/config.toml", config("containerd-2.3", "/etc/containerd/config.toml"))
    assert v4["version"] == 4 and "runc" in v4["handlers"]


def test_a_base_runtime_spec_with_seccomp_is_seen(tmp_path):
    spec = tmp_path / "cri-base.json"
    spec.write_text(json.dumps({"ociVersion": "1.1.0", "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ERRNO"}}}))
    text = ('version = 3\n[plugins."io.containerd.cri.v1.runtime".containerd]\ndefault_runtime_name = "runc"\n'
            '[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]\nbase_runtime_spec = "%s"\n' % spec)
    settings = R.containerd_seccomp_settings("/etc/containerd/config.toml", text.encode())
    assert settings["handlers"]["runc"] == {"base_runtime_spec": str(spec), "base_seccomp": True}


def test_crio_privileged_and_per_handler_profiles(tmp_path):
    (tmp_path / "crio.conf").write_text('[crio.runtime]\nseccomp_profile = "/etc/crio/default.json"\n')
    (tmp_path / "00-default").write_text('[crio.runtime]\nprivileged_seccomp_profile = "/etc/crio/privileged.json"\n'
                                         'default_runtime = "crun"\n[crio.runtime.runtimes.kata]\n'
                                         'seccomp_profile = "/etc/crio/kata.json"\n')
    settings = R.crio_seccomp_settings([str(tmp_path / "crio.conf"), str(tmp_path / "00-default")])
    assert settings == dict(seccomp_profile="/etc/crio/default.json", privileged_seccomp_profile="/etc/crio/privileged.json",
                            default_handler="crun", handlers={"kata": {"seccomp_profile": "/etc/crio/kata.json"}})


POD = {"kind": "Pod", "metadata": {"name": "p", "namespace": "ns", "uid": "u1"},
       "spec": {"containers": [{"name": "plain"}, {"name": "priv", "securityContext": {"privileged": True}}]}}


def inspected(name, seccomp):
    spec = {"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ERRNO"}}} if seccomp else {"linux": {}}
    return {"status": {"id": name, "labels": {"io.kubernetes.container.name": name, "io.kubernetes.pod.uid": "u1",
                                              "io.kubernetes.pod.name": "p", "io.kubernetes.pod.namespace": "ns"}},
            "info": {"runtimeSpec": spec}}


def test_crio_privileged_seccomp_profile_is_expected_not_a_mismatch():
    runtime = {"name": "cri-o", "seccomp": {"privileged_seccomp_profile": "/etc/crio/privileged.json",
                                            "default_handler": "runc", "handlers": {}}}
    entries = E.effective_seccomp(POD, True, runtime=runtime)
    assert (entries[1]["type"], entries[1]["source"], entries[1]["localhost_path"]) == (
        "Localhost", "runtime-privileged", "/etc/crio/privileged.json")
    rows = A.compare([inspected("plain", True), inspected("priv", True)], POD, True, runtime=runtime)
    assert [row["ok"] for row in rows] == [True, True]
    # Without the runtime's rules, stage 3 would have rolled this node back for a correct profile.
    assert [row["ok"] for row in A.compare([inspected("plain", True), inspected("priv", True)], POD, True)] == [True, False]


def test_a_base_runtime_spec_filter_is_expected_for_unconfined_containers():
    runtime = {"name": "containerd", "seccomp": {"default_handler": "runc", "handlers": {
        "runc": {"base_runtime_spec": "/etc/containerd/cri-base.json", "base_seccomp": True}}}}
    rows = A.compare([inspected("plain", True), inspected("priv", True)], POD, False, runtime=runtime)
    assert [row["ok"] for row in rows] == [True, True]
    other = dict(POD, spec=dict(POD["spec"], runtimeClassName="kata"))
    assert "runtime_filter" not in E.effective_seccomp(other, False, runtime=runtime)[0]
