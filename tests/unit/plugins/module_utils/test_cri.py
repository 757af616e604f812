"""module_utils/tools and module_utils/cri: finding the node's tools where installers put them, and crictl's answers
read or refused with a message that names the command. The tools are real executables in a temporary directory."""

import json
import os

import pytest
from lib.commands import executable, run

from ansible_collections.k8s.seccomp_default.plugins.module_utils import cri, tools

ECHO = "#!/bin/sh\necho \"$@\"\n"


def test_a_tool_outside_path_is_found_in_the_directories_installers_use(tmp_path):
    """sudo's secure_path on EL leaves /usr/local/bin out; kubespray puts crictl there."""
    local_bin, path_dir = tmp_path / "usr-local-bin", tmp_path / "on-path"
    local_bin.mkdir()
    path_dir.mkdir()
    crictl = executable(local_bin, "crictl", ECHO)
    assert tools.find_tool("crictl", dirs=(str(local_bin),), path=str(path_dir)) == crictl
    on_path = executable(path_dir, "crictl", ECHO)
    assert tools.find_tool("crictl", dirs=(str(local_bin),), path=str(path_dir)) == on_path  # PATH first


def test_an_explicit_path_wins_and_must_be_executable(tmp_path):
    chosen = executable(tmp_path, "my-crictl", ECHO)
    assert tools.find_tool("crictl", chosen, dirs=(), path="") == chosen
    os.chmod(chosen, 0o644)
    with pytest.raises(tools.ToolNotFound, match="crictl: .*my-crictl is not an executable file"):
        tools.find_tool("crictl", chosen, dirs=(), path="")


def test_a_missing_tool_names_every_place_looked(tmp_path):
    with pytest.raises(tools.ToolNotFound) as caught:
        tools.find_tool("bpftrace", dirs=("/nonexistent/a", "/nonexistent/b"), path="/nonexistent/p")
    assert str(caught.value) == ("bpftrace was not found: looked for bpftrace in /nonexistent/p:/nonexistent/a:"
                                 "/nonexistent/b; install it there or give its path")


def test_the_runner_answers_127_for_a_missing_tool_instead_of_raising():
    class Module:
        def run_command(self, argv):
            return run(argv)
    rc, _out, err = tools.runner(Module())(["no-such-tool-anywhere", "--version"])
    assert rc == tools.NOT_FOUND and "no-such-tool-anywhere was not found" in err
    assert tools.runner(Module())(["true"])[0] == 0


def test_crictl_gets_the_kubelets_endpoint_before_the_command(tmp_path):
    crictl = executable(tmp_path, "crictl", "#!/bin/sh\nprintf '{\"containers\": [], \"argv\": \"%s\"}' \"$*\"\n")
    client = cri.Crictl(run, crictl, "/run/containerd/containerd.sock")
    assert client.containers() == []
    assert client.json("ps", "-a")["argv"] == "--runtime-endpoint unix:///run/containerd/containerd.sock ps -a -o json"
    assert cri.Crictl(run, crictl).json("ps")["argv"] == "ps -o json"  # crictl reads /etc/crictl.yaml itself


def test_crictl_output_that_is_not_its_json_is_an_error_naming_the_command(tmp_path):
    crictl = executable(tmp_path, "crictl", "#!/bin/sh\necho 'level=fatal msg=\"connect: permission denied\"'\n")
    with pytest.raises(cri.CriError, match=r"crictl ps -a printed no JSON"):
        cri.Crictl(run, crictl).containers()
    failing = executable(tmp_path, "failing", "#!/bin/sh\necho 'connect: no such file or directory' >&2; exit 1\n")
    with pytest.raises(cri.CriError, match=r"failing --runtime-endpoint unix:///x.sock inspect abc -o json failed \(rc 1\): "
                                           r"connect: no such file or directory"):
        cri.Crictl(run, failing, "unix:///x.sock").inspect("abc")
    odd = executable(tmp_path, "odd", "#!/bin/sh\necho '{\"containers\": \"none\"}'\n")
    with pytest.raises(cri.CriError, match="not a list of objects with an id"):
        cri.Crictl(run, odd).containers()


def test_identity_comes_from_the_labels_the_kubelet_sets():
    container = {"id": "c1", "metadata": {"name": "fallback"}, "labels": {
        "io.kubernetes.pod.uid": "u1", "io.kubernetes.pod.namespace": "ns", "io.kubernetes.pod.name": "p",
        "io.kubernetes.container.name": "app"}}
    assert cri.identity(container) == dict(pod_uid="u1", namespace="ns", pod="p", container="app")
    assert cri.identity({"id": "c2", "metadata": {"name": "fallback"}})["container"] == "fallback"


def test_identity_with_attempt_and_without_labels():
    status = {"id": "c3", "metadata": {"name": "app", "attempt": 2}, "labels": {"io.kubernetes.pod.uid": "u1"}}
    assert cri.identity(status, attempt=True) == dict(pod_uid="u1", namespace=None, pod=None, container="app", attempt=2)
    # Without attempt a container and its restarted successor are the same container of the same pod.
    assert cri.identity(status) == cri.identity(dict(status, id="c4", metadata={"name": "app", "attempt": 3}))
    assert cri.identity({"id": "c5"}, attempt=True) == dict(pod_uid=None, namespace=None, pod=None, container=None,
                                                            attempt=None)


def listing_client(containers, seen=None):
    """A Crictl whose `crictl ps` answers ``containers``; ``seen`` collects the command lines it ran."""
    def run(argv):
        if seen is not None:
            seen.append(" ".join(argv))
        return 0, json.dumps({"containers": containers}), ""
    return cri.Crictl(run, "/bin/true")


STATES = [{"id": "run1", "state": "CONTAINER_RUNNING", "createdAt": "1718000000123456789"},
          {"id": "run2", "state": "RUNNING", "createdAt": 1718000000000000000},
          {"id": "gone", "state": "CONTAINER_EXITED"},
          {"id": "made", "state": "CONTAINER_CREATED", "createdAt": "0"}]


def test_containers_of_some_states_are_filtered_from_the_whole_listing():
    seen = []
    client = listing_client(STATES, seen)
    assert [c["id"] for c in client.containers(states=cri.RUNNING)] == ["run1", "run2"]
    assert [c["id"] for c in client.containers(states=cri.EXITED)] == ["gone"]
    assert [c["id"] for c in client.containers()] == ["run1", "run2", "gone", "made"]
    assert [c["id"] for c in client.containers(all_states=False)] == ["run1", "run2", "gone", "made"]  # crictl filters
    assert seen == ["/bin/true ps -a -o json"] * 3 + ["/bin/true ps -o json"]
    assert [c["id"] for c in cri.in_state(STATES, cri.RUNNING + cri.EXITED)] == ["run1", "run2", "gone"]


def test_created_at_reads_both_ways_crictl_prints_a_time():
    assert [cri.created_at(c) for c in STATES] == [1718000000123456789, 1718000000000000000, 0, 0]


def test_a_parsed_document_is_checked_and_named_where_it_came_from():
    document = {"status": {"id": "c1", "labels": {"io.kubernetes.pod.name": 5}}}
    with pytest.raises(cri.CriError) as caught:
        cri.check_document(document, "inspect", "inspected[0]")
    assert str(caught.value) == 'inspected[0]: status.labels["io.kubernetes.pod.name"]: is not a string (found number 5)'
    assert caught.value.details()["field"] == 'status.labels["io.kubernetes.pod.name"]'
    good = {"status": {"id": "c1"}, "info": {"runtimeSpec": {"linux": {}}}}
    assert cri.check_document(good, "inspect", "x") is good


def test_parse_output_names_the_command_for_each_kind_of_wrong_answer():
    cases = [("", "printed nothing (rc 0); expected its JSON"),
             ("not json", "printed no JSON"),
             ("[1]", "the document: is not a mapping"),
             ('{"containers": [{"id": "-rf"}]}', "containers[0].id: is not an ID"),
             ('{"containers": [{"id": "c1", "createdAt": "soon"}]}', "containers[0].createdAt: is not a timestamp")]
    for output, words in cases:
        with pytest.raises(cri.CriError) as caught:
            cri.parse_output(output, "ps", "crictl ps -a")
        assert str(caught.value).startswith("crictl ps -a"), str(caught.value)
        assert words in str(caught.value), (output, str(caught.value))
