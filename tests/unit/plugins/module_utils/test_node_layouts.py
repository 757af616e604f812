"""Node discovery on the files real installers put on a node (tests/data/nodes/<layout>, each with its SOURCES.md).

No kubelet binary answers here, as on a node where it cannot be run: everything the files decide must still
be found - the layout, the config file, the drop-in directory and whether it is active, the runtime endpoint -
and the version is reported as unknown.
"""

import os

import pytest

from ansible_collections.k8s.seccomp_default.plugins.module_utils import kubelet as K
from ansible_collections.k8s.seccomp_default.plugins.module_utils import kubelet_config as KC
from ansible_collections.k8s.seccomp_default.plugins.module_utils import node_facts as N

NODES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "data", "nodes")


def no_binary(argv):
    return 127, "", "%s: not found" % argv[0]


def gather(layout):
    return N.gather_kubelet(no_binary, root=os.path.join(NODES, layout), processes=False)


# layout dir: (layout, config, config dir, endpoint and where it came from, a kubelet flag that must be read)
EXPECTED = {
    "kubeadm-deb": ("kubeadm", "/var/lib/kubelet/config.yaml", None, "unix:///var/run/containerd/containerd.sock", "flag",
                    "--kubeconfig"),
    "kubeadm-rpm": ("kubeadm", "/var/lib/kubelet/config.yaml", None, "unix:///var/run/containerd/containerd.sock", "flag",
                    "--kubeconfig"),
    "kind": ("kind", "/var/lib/kubelet/config.yaml", None, "unix:///run/containerd/containerd.sock", "flag",
             "--node-ip"),
    "kubespray": ("kubespray", "/etc/kubernetes/kubelet-config.yaml", None, "unix:///var/run/containerd/containerd.sock",
                  "config", "--bootstrap-kubeconfig"),
    "eks-al2": ("eks-al2", "/etc/kubernetes/kubelet/kubelet-config.json", None, "unix:///run/containerd/containerd.sock",
                "flag", "--hostname-override"),
    "eks-al2023": ("eks-al2023", "/etc/kubernetes/kubelet/config.json", "/etc/kubernetes/kubelet/config.json.d",
                   "unix:///run/containerd/containerd.sock", "config", "--node-ip"),
    "kops": ("kops", "/var/lib/kubelet/kubelet.conf", None, "unix:///run/containerd/containerd.sock", "config",
             "--cloud-provider"),
    "openshift": ("openshift", "/etc/kubernetes/kubelet.conf", "/etc/openshift/kubelet.conf.d",
                  "/var/run/crio/crio.sock", "flag", "--node-ip"),
}


@pytest.mark.parametrize("directory", sorted(EXPECTED))
def test_each_real_layout_is_read_from_its_files(directory):
    layout, config, config_dir, endpoint, source, flag = EXPECTED[directory]
    facts = gather(directory)
    assert facts["layout"]["name"] == layout
    assert (facts["config"], facts["config_dir"]) == (config, config_dir)
    assert (facts["container_runtime_endpoint"], facts["container_runtime_endpoint_source"]) == (endpoint, source)
    assert flag in facts["flags"]
    assert facts["version"] is None and any("kubelet version" in item for item in facts["unknown"])
    assert facts["unit_argv"][0].endswith("/kubelet")


def test_kubespray_multi_line_exec_start_and_env_file():
    facts = gather("kubespray")
    assert facts["flags"]["--config"] == "/etc/kubernetes/kubelet-config.yaml"
    assert facts["env_files"] == ["/etc/kubernetes/kubelet.env"]


def test_eks_al2023_alpha_variable_comes_from_the_environment_file():
    facts = gather("eks-al2023")
    assert facts["environment"]["KUBELET_CONFIG_DROPIN_DIR_ALPHA"] == "on" and facts["drop_in_alpha_env"] is True
    # nodeadm's own drop-in is read (JSON, in config.json.d): the merged config has its fields.
    assert facts["config_files"] == ["/etc/kubernetes/kubelet/config.json",
                                     "/etc/kubernetes/kubelet/config.json.d/40-nodeadm.conf"]
    assert any("--config-dir" in item for item in facts["unknown"])


def test_openshift_kubelet_behind_kubenswrapper_is_refused_with_what_to_do():
    facts = gather("openshift")
    assert facts["unit_argv"][0] == "/usr/bin/kubelet"
    assert os.path.basename(facts["wrapper"][0]) == "kubenswrapper"
    assert facts["layout"]["managed"] is True
    assert any("KubeletConfig" in problem for problem in facts["problems"])


def test_kops_quoted_daemon_args_split_into_flags():
    # ExecStart=/usr/local/bin/kubelet "$DAEMON_ARGS": a $VAR word splits, quoted or not (systemd.service(5)).
    assert gather("kops")["flags"]["--config"] == "/var/lib/kubelet/kubelet.conf"


@pytest.mark.parametrize("directory, version, method", [
    ("kubeadm-deb", "1.30.4", "kubeadm_patch"), ("kubespray", "1.30.4", "in_place"),
    ("eks-al2", "1.30.4", "in_place"), ("eks-al2023", "1.29.6", "drop_in"), ("kops", "1.30.4", "in_place"),
])
def test_the_plan_on_each_layout_changes_only_seccomp_default_and_keeps_the_format(directory, version, method):
    root = os.path.join(NODES, directory)
    facts = gather(directory)

    def read(path):
        full = os.path.join(root, path.lstrip("/"))
        return open(full).read() if os.path.isfile(full) else None
    config_dir = facts["config_dir"]
    drop_ins = K.list_drop_in_dir(os.path.join(root, config_dir.lstrip("/")), read_file) if config_dir else []
    plan = KC.plan(dict(
        version=version, config=facts["config"], config_text=read(facts["config"]), config_dir=config_dir,
        drop_ins=drop_ins, env_files=[(path, read(path)) for path in facts["env_files"]], kubeadm=facts["kubeadm"],
        patches_dir="/etc/kubernetes/patches", drop_in_name="90-seccomp-default.conf",
        environment=facts["environment"]), seccomp_default=True)
    assert plan["method"] == method and plan["seccomp_default_after"] is True
    for path, data in plan["writes"]:
        before = read(path)
        if before is None:
            continue
        after = data.decode()
        assert before.lstrip().startswith("{") == after.lstrip().startswith("{"), path  # JSON stays JSON
        old, new = KC.load_plain(path, before), KC.load_plain(path, after)
        new.pop("seccompDefault")
        assert new == old, path


def read_file(path):
    with open(path) as handle:
        return handle.read()
