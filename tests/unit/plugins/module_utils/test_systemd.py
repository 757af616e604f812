"""systemd units and environment files, read as systemd reads them (systemd.syntax(7), systemd.service(5),
systemd.exec(5)). Texts written the way real installers write them; real files from tests/data/nodes are
read in test_node_layouts.py."""

import os

import pytest

from ansible_collections.k8s.seccomp_default.plugins.module_utils import systemd as S

# kubespray's kubelet.service.j2 rendered: ExecStart over several lines, tab-indented continuations.
KUBESPRAY_UNIT = """[Unit]
Description=Kubernetes Kubelet Server
Documentation=https://github.com/GoogleCloudPlatform/kubernetes
After=containerd.service
Wants=containerd.service

[Service]
EnvironmentFile=-/etc/kubernetes/kubelet.env
ExecStart=/usr/local/bin/kubelet \\
\t\t$KUBE_LOGTOSTDERR \\
\t\t$KUBE_LOG_LEVEL \\
\t\t$KUBELET_API_SERVER \\
\t\t$KUBELET_ADDRESS \\
\t\t$KUBELET_PORT \\
\t\t$KUBELET_HOSTNAME \\
\t\t$KUBELET_ARGS \\
\t\t$DOCKER_SOCKET \\
\t\t$KUBELET_NETWORK_PLUGIN \\
\t\t$KUBELET_VOLUME_PLUGIN \\
\t\t$KUBELET_CLOUDPROVIDER
Restart=always
RestartSec=10s
"""

KUBESPRAY_ENV = """KUBE_LOGTOSTDERR="--logtostderr=true"
KUBE_LOG_LEVEL="--v=2"
KUBELET_ADDRESS="--node-ip=10.0.0.11"
KUBELET_HOSTNAME="--hostname-override=node1"

KUBELET_ARGS="--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf \\
--config=/etc/kubernetes/kubelet-config.yaml \\
--kubeconfig=/etc/kubernetes/kubelet.conf \\
--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock \\
--runtime-cgroups=/system.slice/containerd.service \\
 "
KUBELET_NETWORK_PLUGIN="--network-plugin=cni --cni-conf-dir=/etc/cni/net.d --cni-bin-dir=/opt/cni/bin"
KUBELET_CLOUDPROVIDER=""

PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
"""


def write(root, path, text):
    full = os.path.join(str(root), path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as handle:
        handle.write(text)
    return full


def test_a_continued_exec_start_is_one_command_and_expands_its_variables(tmp_path):
    write(tmp_path, "/etc/systemd/system/kubelet.service", KUBESPRAY_UNIT)
    write(tmp_path, "/etc/kubernetes/kubelet.env", KUBESPRAY_ENV)
    unit = S.read_unit("kubelet.service", root=str(tmp_path))
    environment, problems = S.unit_environment(unit, root=str(tmp_path))
    assert problems == []
    argv = S.expand_command(unit["exec_start"], environment)
    assert argv == [
        "/usr/local/bin/kubelet", "--logtostderr=true", "--v=2", "--node-ip=10.0.0.11", "--hostname-override=node1",
        "--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf", "--config=/etc/kubernetes/kubelet-config.yaml",
        "--kubeconfig=/etc/kubernetes/kubelet.conf",
        "--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock",
        "--runtime-cgroups=/system.slice/containerd.service",
        "--network-plugin=cni", "--cni-conf-dir=/etc/cni/net.d", "--cni-bin-dir=/opt/cni/bin"]


def test_env_file_quotes_continuations_comments_and_last_assignment_wins():
    text = ("# comment\n; also a comment\n  A=plain value  \nB='single \"kept\" $X'\nC=\"double \\\"esc\\\" \\$Y \\n\"\n"
            "D=one\\\n two\nexport E=ignored\nB=again\nF=\nG\n")
    assert S.parse_env_file(text) == {"A": "plain value", "B": "again", "C": 'double "esc" $Y \\n', "D": "one two",
                                      "F": ""}


def test_env_file_comment_ending_in_backslash_does_not_swallow_the_next_line():
    # systemd 254+: the line after a comment that ends in a backslash is read as a line of its own.
    assert S.parse_env_file("# old \\\nA=1\n") == {"A": "1"}


def test_unit_lines_skip_comments_inside_a_continuation():
    text = "[Service]\nExecStart=/usr/bin/kubelet \\\n# a comment\n  --v=2 \\\n  ; another\n  --config=/x\n"
    assert S.unit_lines(text) == [("Service", "ExecStart", "/usr/bin/kubelet  --v=2  --config=/x")]


def test_exec_start_reset_prefixes_and_drop_ins_in_name_order_across_directories(tmp_path):
    write(tmp_path, "/usr/lib/systemd/system/kubelet.service",
          "[Service]\nExecStart=/usr/bin/kubelet\nEnvironment=\"A=1 2\" B=3\n")
    write(tmp_path, "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf",
          "[Service]\nExecStart=\nExecStart=-/usr/bin/kubelet $KUBELET_KUBEADM_ARGS\n")
    # The same name in /etc hides the one in /usr/lib; 20-extra sorts after it wherever it lives.
    write(tmp_path, "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
          "[Service]\nExecStart=\nExecStart=@/usr/bin/kubelet kubelet $KUBELET_EXTRA_ARGS\n")
    write(tmp_path, "/run/systemd/system/kubelet.service.d/20-extra.conf", "[Service]\nEnvironment=B=4\n")
    write(tmp_path, "/usr/lib/systemd/system/kubelet.service.d/notes.txt", "[Service]\nExecStart=/bin/false\n")
    unit = S.read_unit("kubelet.service", root=str(tmp_path))
    assert [os.path.relpath(path, str(tmp_path)) for path in unit["drop_ins"]] == [
        "etc/systemd/system/kubelet.service.d/10-kubeadm.conf", "run/systemd/system/kubelet.service.d/20-extra.conf"]
    assert unit["exec_start"] == "/usr/bin/kubelet kubelet $KUBELET_EXTRA_ARGS" and unit["exec_prefix"] == "@"
    assert unit["environment"] == {"A": "1 2", "B": "4"}


def test_a_drop_in_linked_to_dev_null_or_an_empty_unit_masks(tmp_path):
    write(tmp_path, "/usr/lib/systemd/system/kubelet.service", "[Service]\nExecStart=/usr/bin/kubelet\n")
    write(tmp_path, "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf",
          "[Service]\nEnvironment=A=1\n")
    link = os.path.join(str(tmp_path), "etc/systemd/system/kubelet.service.d/10-kubeadm.conf")
    os.makedirs(os.path.dirname(link))
    os.symlink("/dev/null", link)
    unit = S.read_unit("kubelet.service", root=str(tmp_path))
    assert unit["drop_ins"] == [] and unit["environment"] == {}
    write(tmp_path, "/etc/systemd/system/kubelet.service", "")
    assert S.read_unit("kubelet.service", root=str(tmp_path))["masked"] is True


def test_a_fifo_named_as_a_drop_in_is_not_a_mask_but_a_file_that_cannot_be_read(tmp_path):
    # A FIFO's size is 0 too, but systemd's null_or_empty() masks only empty regular files and character devices.
    write(tmp_path, "/usr/lib/systemd/system/kubelet.service", "[Service]\nExecStart=/usr/bin/kubelet\n")
    fifo = os.path.join(str(tmp_path), "etc/systemd/system/kubelet.service.d/10-kubeadm.conf")
    os.makedirs(os.path.dirname(fifo))
    os.mkfifo(fifo)
    with pytest.raises(S.UnitError) as raised:
        S.read_unit("kubelet.service", root=str(tmp_path))
    assert fifo in str(raised.value) and "not a regular file" in str(raised.value)


def test_environment_files_win_over_environment_and_later_files_over_earlier(tmp_path):
    write(tmp_path, "/etc/systemd/system/kubelet.service",
          "[Service]\nEnvironment=X=unit Y=unit\nEnvironmentFile=-/etc/a\nEnvironmentFile=/etc/b\n"
          "EnvironmentFile=-/etc/missing\nExecStart=/usr/bin/kubelet $X ${Y}suffix $$HOME\n")
    write(tmp_path, "/etc/a", "X=a\nY=a\n")
    write(tmp_path, "/etc/b", "Y=b\n")
    unit = S.read_unit("kubelet.service", root=str(tmp_path))
    environment, problems = S.unit_environment(unit, root=str(tmp_path))
    assert environment == {"X": "a", "Y": "b"} and problems == []
    assert S.expand_command(unit["exec_start"], environment) == ["/usr/bin/kubelet", "a", "bsuffix", "$HOME"]
    os.unlink(os.path.join(str(tmp_path), "etc/b"))
    assert "EnvironmentFile=/etc/b does not exist" in S.unit_environment(unit, root=str(tmp_path))[1][0]


def test_words_quotes_and_c_escapes():
    assert S.split_words("a \"b c\" 'd \"e\"' f\\ g \\x41\\101 \"unterminated") == [
        "a", "b c", 'd "e"', "f g", "AA", "unterminated"]
    # A variable's value is split into words with its quotes honoured.
    assert S.expand_command("/bin/k $A", {"A": "--x='1 2' --y"}) == ["/bin/k", "--x=1 2", "--y"]
