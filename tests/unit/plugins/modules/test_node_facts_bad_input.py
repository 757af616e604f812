"""node_facts given broken and hostile node files: every file discovery reads, broken one at a time.

Each case copies a real node layout (tests/data/nodes: kind for kubeadm's unit, environment files, config.yaml and
containerd; eks-al2023 for --config-dir; openshift for CRI-O) into tmp_path/node, breaks one file, and runs the
module the way Ansible does (tests/lib/badinput.run_module, root=the copy). The policy, as the module's notes say:

- files that decide what the kubelet runs with (unit, drop-ins, EnvironmentFile=, --config, --config-dir/*.conf)
  that cannot be read make the module fail, naming the file;
- content of the wrong shape in the kubelet's configuration, and every problem with the runtime's files, is
  reported (kubelet.problems / runtime.problems) and shown as a task warning, and the module carries on;
- a unit drop-in entry that is not a regular file is skipped with a warning, as systemd skips it.

Nothing is ever written: the copy is byte-for-byte unchanged after every run. FIFO cases run with a timeout, so a
read that blocks fails the test instead of hanging the suite. About 40 module runs, under 20 s; the last tests
call node_facts.gather_kubelet and the runtime readers directly, in-process.
"""

import os
import shutil

import pytest

from lib.badinput import assert_refused, run_module, snapshot, warnings_of

NODES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "data", "nodes")
TIMEOUT = 60
BIG = 5 * 1024 * 1024

UNIT_D = "etc/systemd/system/kubelet.service.d/"
CONFIG = "var/lib/kubelet/config.yaml"
FLAGS_ENV = "var/lib/kubelet/kubeadm-flags.env"
CONTAINERD = "etc/containerd/config.toml"
BASE_SPEC = "etc/containerd/cri-base.json"
EKS_DROP_IN = "etc/kubernetes/kubelet/config.json.d/40-nodeadm.conf"
CRIO = "etc/crio/crio.conf"
CRIO_D = "etc/crio/crio.conf.d/"


def copy(layout, tmp_path):
    root = tmp_path / "node"
    shutil.copytree(os.path.join(NODES, layout), str(root), symlinks=True)
    return root


def facts(root, tmp_path):
    return run_module("node_facts", dict(root=str(root), as_fact=False, check_health=False), tmp_path, timeout=TIMEOUT)


def replace(relative, data=None, mode=None):
    """Put ``data`` (bytes or text; a directory for "DIR", a FIFO for "FIFO") where ``relative`` was."""
    def setup(root):
        path = root / relative
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(str(path))
        elif os.path.lexists(str(path)):
            path.unlink()
        path.parent.mkdir(parents=True, exist_ok=True)
        if data == "DIR":
            path.mkdir()
        elif data == "FIFO":
            os.mkfifo(str(path))
        elif isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data)
        if mode is not None:
            os.chmod(str(path), mode)
    return setup


def chmod(relative, mode):
    def setup(root):
        os.chmod(str(root / relative), mode)
    return setup


def edit(relative, old, new):
    def setup(root):
        text = (root / relative).read_text()
        assert old in text, (relative, old)
        (root / relative).write_text(text.replace(old, new))
    return setup


# id: (layout, setup(root), words the message must hold ("{root}" is the copy))
REFUSED = {
    # A FIFO is never opened (it would block), and is no mask: systemd masks only empty regular files and devices.
    "unit-file-is-a-fifo": ("kind", replace("etc/systemd/system/kubelet.service", "FIFO"),
                            ["{root}/etc/systemd/system/kubelet.service: is not a regular file"]),
    "unit-file-is-a-directory": ("kind", replace("etc/systemd/system/kubelet.service", "DIR"),
                                 ["{root}/etc/systemd/system/kubelet.service: is a directory"]),
    "unit-drop-in-unreadable": ("kind", chmod(UNIT_D + "10-kubeadm.conf", 0o000), ["{root}/" + UNIT_D + "10-kubeadm.conf: is not readable"]),
    "unit-drop-in-not-utf8": ("kind", replace(UNIT_D + "10-kubeadm.conf", b"[Service]\nExecStart=/usr/bin/kubelet \xff\n"),
                              ["10-kubeadm.conf: is not UTF-8 text"]),
    "environment-file-is-a-directory": ("kind", replace(FLAGS_ENV, "DIR"), ["{root}/" + FLAGS_ENV + ": is a directory"]),
    "environment-file-is-a-fifo": ("kind", replace(FLAGS_ENV, "FIFO"), ["kubeadm-flags.env: is not a regular file"]),
    "environment-file-not-utf8": ("kind", replace("etc/default/kubelet", b"KUBELET_EXTRA_ARGS=--v=\xff\n"),
                                  ["etc/default/kubelet: is not UTF-8 text"]),
    "kubelet-config-is-a-directory": ("kind", replace(CONFIG, "DIR"), ["{root}/" + CONFIG + ": is a directory"]),
    "kubelet-config-is-a-fifo": ("kind", replace(CONFIG, "FIFO"), ["config.yaml: is not a regular file"]),
    "kubelet-config-unreadable": ("kind", chmod(CONFIG, 0o000), ["config.yaml: is not readable"]),
    "kubelet-config-not-utf8": ("kind", replace(CONFIG, b"kind: KubeletConfiguration\nstaticPodPath: /\xe9\n"),
                                ["config.yaml: is not UTF-8 text"]),
    "kubelet-config-oversized": ("kind", replace(CONFIG, "#" * BIG), ["config.yaml: is 5242880 bytes"]),
    "config-dir-drop-in-is-a-fifo": ("eks-al2023", replace(EKS_DROP_IN, "FIFO"), ["40-nodeadm.conf: is not a regular file"]),
    "config-dir-drop-in-unreadable": ("eks-al2023", chmod(EKS_DROP_IN, 0o000), ["40-nodeadm.conf: is not readable"]),
    "config-dir-is-a-file": ("eks-al2023", replace("etc/kubernetes/kubelet/config.json.d", "{}"),
                             ["config.json.d: the kubelet's --config-dir: is not a directory"]),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_kubelet_file_that_cannot_be_read_is_refused_by_name(tmp_path, case):
    layout, setup, words = REFUSED[case]
    root = copy(layout, tmp_path)
    setup(root)
    before = snapshot(root)
    result = facts(root, tmp_path)
    assert_refused(result, *[word.replace("{root}", str(root)) for word in words])
    assert snapshot(root) == before


# id: (layout, setup(root), where the problem is reported (kubelet, runtime or None: only warned), words)
WARNED = {
    # the kubelet's configuration: content of the wrong shape
    "kubelet-config-not-yaml": ("kind", replace(CONFIG, "kind: [KubeletConfiguration\n"), "kubelet", ["config.yaml", "not valid YAML"]),
    "kubelet-config-a-list": ("kind", replace(CONFIG, "- kind: KubeletConfiguration\n"), "kubelet", ["config.yaml", "must be a YAML map"]),
    "healthz-address-a-number": ("kind", edit(CONFIG, "healthzBindAddress: 127.0.0.1", "healthzBindAddress: 5"), "kubelet",
                                 ["healthzBindAddress is 5"]),
    "runtime-endpoint-a-list": ("kind", edit(CONFIG, 'containerRuntimeEndpoint: ""', "containerRuntimeEndpoint: [a]"), "kubelet",
                                ["containerRuntimeEndpoint is ['a']"]),
    "address-a-mapping": ("kind", edit(CONFIG, "kind: KubeletConfiguration", "kind: KubeletConfiguration\naddress: {a: 1}"),
                          "kubelet", ["address is {'a': 1}"]),
    "config-dir-drop-in-a-list": ("eks-al2023", replace(EKS_DROP_IN, "[1, 2]"), "kubelet", ["40-nodeadm.conf", "must be a YAML map"]),
    # unit drop-in entries systemd does not read
    "unit-drop-in-entry-a-directory": ("kind", replace(UNIT_D + "20-x.conf", "DIR"), None, ["20-x.conf: is a directory", "skipped"]),
    # never opened (it would block)
    "unit-drop-in-entry-a-fifo": ("kind", replace(UNIT_D + "20-x.conf", "FIFO"), None, []),
    # containerd
    "containerd-config-is-a-directory": ("kind", replace(CONTAINERD, "DIR"), "runtime", ["config.toml: is a directory"]),
    "containerd-config-is-a-fifo": ("kind", replace(CONTAINERD, "FIFO"), "runtime", ["config.toml: is not a regular file"]),
    "containerd-config-not-toml": ("kind", replace(CONTAINERD, "[plugins\n"), "runtime", ["config.toml is not valid TOML"]),
    "containerd-plugins-a-number": ("kind", replace(CONTAINERD, "version = 2\nplugins = 5\n"), "runtime",
                                    ["config.toml: plugins: is not a table (found number 5)"]),
    "containerd-runtimes-a-string": ("kind", replace(CONTAINERD, 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd]\n'
                                                                 'runtimes = "runc"\n'), "runtime",
                                     ['plugins."io.containerd.grpc.v1.cri".containerd.runtimes: is not a table']),
    "containerd-base-spec-path-a-number": ("kind", edit(CONTAINERD, 'base_runtime_spec = "/etc/containerd/cri-base.json"',
                                                        "base_runtime_spec = 7"), "runtime", ["base_runtime_spec: is not a string"]),
    "containerd-version-a-date": ("kind", edit(CONTAINERD, "version = 2", "version = 1979-05-27"), "runtime", ["version = "]),
    "base-runtime-spec-not-json": ("kind", replace(BASE_SPEC, "{"), "runtime", ["cri-base.json is not JSON"]),
    "base-runtime-spec-a-list": ("kind", replace(BASE_SPEC, "[]"), "runtime", ["cri-base.json: is not an OCI runtime spec"]),
    "base-runtime-spec-linux-a-string": ("kind", replace(BASE_SPEC, '{"linux": "x"}'), "runtime",
                                         ["cri-base.json: linux: is not an OCI runtime spec"]),
    # CRI-O
    "crio-config-unreadable": ("openshift", chmod(CRIO, 0o000), "runtime", ["crio.conf: is not readable"]),
    "crio-drop-in-runtime-a-number": ("openshift", replace(CRIO_D + "00-default", "[crio]\nruntime = 5\n"), "runtime",
                                      ["00-default: crio.runtime: is not a table (found number 5)"]),
    "crio-drop-in-a-fifo": ("openshift", replace(CRIO_D + "50-pipe", "FIFO"), "runtime", ["50-pipe: is not a regular file"]),
    "crio-default-runtime-a-list": ("openshift", replace(CRIO_D + "50-x.conf", "[crio.runtime]\ndefault_runtime = [1]\n"),
                                    "runtime", ["crio.runtime.default_runtime: is not a string"]),
    "crio-drop-in-dir-is-a-file": ("openshift", replace(CRIO_D.rstrip("/"), "x"), "runtime", ["crio.conf.d: is not a directory"]),
}


@pytest.mark.parametrize("case", sorted(WARNED))
def test_other_problems_are_reported_and_warned_and_discovery_goes_on(tmp_path, case):
    layout, setup, where, words = WARNED[case]
    root = copy(layout, tmp_path)
    setup(root)
    before = snapshot(root)
    result = facts(root, tmp_path)
    assert not result.get("crashed"), result
    assert result.get("failed") is not True, result.get("msg")
    node = result["seccomp_node"]
    assert node["kernel"]["seccomp_actions_avail"] or not os.path.exists("/proc/sys/kernel/seccomp/actions_avail")
    warned = "\n".join(warnings_of(result))
    for word in words:
        word = word.replace("{root}", str(root))
        assert word in warned, "%r not warned: %s" % (word, warned)
        if where:
            assert any(word in problem for problem in node[where]["problems"]), node[where]["problems"]
    assert node["kubelet"]["layout"]["name"] == {"kind": "kind", "eks-al2023": "eks-al2023", "openshift": "openshift"}[layout]
    assert snapshot(root) == before


def test_a_value_of_the_wrong_type_is_not_reported_as_the_kubelet_s(tmp_path):
    root = copy("kind", tmp_path)
    edit(CONFIG, "healthzBindAddress: 127.0.0.1", "healthzBindAddress: 5")(root)
    edit(CONFIG, "healthzPort: 10248", "healthzPort: ten")(root)
    kubelet = facts(root, tmp_path)["seccomp_node"]["kubelet"]
    assert kubelet["healthz"] == dict(address="127.0.0.1", port=10248, url="http://127.0.0.1:10248/healthz")


# --- The same defects one level down, in the functions the module calls: gather_kubelet and the runtime readers. ---

def no_binary(argv):
    return 127, "", "%s: not found" % argv[0]


@pytest.mark.parametrize("case, setup, words", [
    ("kubelet-config-is-a-directory", replace(CONFIG, "DIR"), [CONFIG + ": is a directory"]),
    ("unit-drop-in-not-utf8", replace(UNIT_D + "10-kubeadm.conf", b"[Service]\n# \xff\n"), ["10-kubeadm.conf: is not UTF-8 text"]),
    ("environment-file-not-utf8", replace(FLAGS_ENV, b"KUBELET_KUBEADM_ARGS=\xff\n"), ["kubeadm-flags.env: is not UTF-8 text"]),
], ids=lambda value: value if isinstance(value, str) else "")
def test_gather_kubelet_names_a_file_it_cannot_read(tmp_path, case, setup, words):
    from ansible_collections.k8s.seccomp_default.plugins.module_utils import node_facts
    root = copy("kind", tmp_path)
    setup(root)
    with pytest.raises(ValueError) as raised:
        node_facts.gather_kubelet(no_binary, root=str(root), processes=False)
    for word in words:
        assert word in str(raised.value)


@pytest.mark.parametrize("case, setup, word", [
    ("kubelet-config-a-list", replace(CONFIG, "- kind: KubeletConfiguration\n"), "must be a YAML map"),
    ("healthz-address-a-number", edit(CONFIG, "healthzBindAddress: 127.0.0.1", "healthzBindAddress: 5"), "healthzBindAddress is 5"),
    ("runtime-endpoint-a-number", edit(CONFIG, 'containerRuntimeEndpoint: ""', "containerRuntimeEndpoint: 5"),
     "containerRuntimeEndpoint is 5"),
], ids=lambda value: value if isinstance(value, str) else "")
def test_gather_kubelet_reports_a_config_of_the_wrong_shape(tmp_path, case, setup, word):
    from ansible_collections.k8s.seccomp_default.plugins.module_utils import node_facts
    root = copy("kind", tmp_path)
    setup(root)
    kubelet = node_facts.gather_kubelet(no_binary, root=str(root), processes=False)
    assert any(word in problem for problem in kubelet["problems"]), kubelet["problems"]
    assert isinstance(kubelet["container_runtime_endpoint"], str) and isinstance(kubelet["healthz"]["address"], str)


@pytest.mark.parametrize("case, text, spec, words", [
    ("plugins-a-number", "version = 2\nplugins = 5\n", None, ["config.toml: plugins: is not a table"]),
    ("runtime-a-string", 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes]\nrunc = "x"\n', None,
     ["config.toml: plugins.", "containerd.runtimes.runc: is not a table"]),
    ("base-spec-a-list", 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\n'
                         'base_runtime_spec = "/spec.json"\n', b"[]", ["/spec.json: is not an OCI runtime spec"]),
    ("unset-profile-a-date", 'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\nunset_seccomp_profile = 1979-05-27\n', None,
     ["config.toml: plugins.", "unset_seccomp_profile: is not a string"]),
], ids=lambda value: value if isinstance(value, str) and "\n" not in value else "")
def test_containerd_settings_of_the_wrong_shape_are_named(case, text, spec, words):
    from ansible_collections.k8s.seccomp_default.plugins.module_utils import runtimes
    with pytest.raises(runtimes.RuntimeConfigError) as raised:
        runtimes.containerd_seccomp_settings("/etc/containerd/config.toml", text.encode(), read=lambda path: spec)
    for word in words:
        assert word in str(raised.value)


@pytest.mark.parametrize("case, text, word", [
    ("runtime-a-number", "[crio]\nruntime = 5\n", "crio.runtime: is not a table"),
    ("handlers-a-string", '[crio.runtime]\nruntimes = "crun"\n', "crio.runtime.runtimes: is not a table"),
    ("handler-profile-a-number", "[crio.runtime.runtimes.kata]\nseccomp_profile = 5\n", "seccomp_profile: is not a string"),
], ids=lambda value: value if isinstance(value, str) and "\n" not in value else "")
def test_crio_settings_of_the_wrong_shape_are_named(tmp_path, case, text, word):
    from ansible_collections.k8s.seccomp_default.plugins.module_utils import runtimes
    (tmp_path / "00-default").write_text(text)
    with pytest.raises(runtimes.RuntimeConfigError) as raised:
        runtimes.crio_seccomp_settings([str(tmp_path / "00-default")])
    assert word in str(raised.value) and str(tmp_path / "00-default") in str(raised.value)
