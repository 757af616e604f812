"""applied_profiles given broken input (issue 16, classes 4, 5 and 8): pods and runtime facts of the wrong shape are
refused naming the object, field and value before crictl runs; crictl's answers that are not what it prints (not
JSON, the wrong shape, not UTF-8, a failure) are refused naming the command. The module only reads, so the node's
tree (the crictl stand-in and its answers) must be byte-for-byte the same afterwards and nothing stopped. Warnings
about a container's effective profile reach the user through module.warn. crictl is a stand-in that prints given
answers (tests/lib/fuzz_crictl); the module runs as Ansible runs it. About 40 module runs, ~15 s."""

import copy
import json

import pytest
from lib.badinput import assert_refused, run_module, snapshot
from lib.fuzz_crictl import BAD_PS, INSPECT, LABELS, POD_UID, PS, stand_in, text

ENDPOINT = "unix:///run/containerd/containerd.sock"
POD = {"apiVersion": "v1", "kind": "Pod",
       "metadata": {"name": LABELS["io.kubernetes.pod.name"], "namespace": "shop", "uid": POD_UID},
       "spec": {"nodeName": "node-1", "containers": [{"name": "app"}, {"name": "sidecar"}]}}
PODS = {"apiVersion": "v1", "kind": "PodList", "items": [POD]}
POD_LABEL = "Pod shop/%s at items[0]" % LABELS["io.kubernetes.pod.name"]


def answers(ps=None, inspect=None):
    return dict(ps=(text(PS if ps is None else ps).encode(), 0, ""),
                inspect=(text(INSPECT if inspect is None else inspect).encode(), 0, ""))


def check(tmp_path, pods=None, crictl_answers=None, **args):
    """Run applied_profiles against the stand-in; the node's tree must be unchanged whatever happened."""
    pods = PODS if pods is None else pods
    node = tmp_path / "node"
    crictl = stand_in(node, **(crictl_answers or answers()))
    before = snapshot(node)
    result = run_module("applied_profiles", dict(dict(pods=pods, seccomp_default=True, crictl=crictl,
                                                      runtime_endpoint=ENDPOINT), **args), tmp_path)
    assert snapshot(node) == before, "the node's tree changed"
    return result


def broken(document, path, value):
    document = copy.deepcopy(document)
    node = document
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return document


POD_CASES = [
    ("pods-a-file-name", "pods.json", ["input", "'pods.json'", "k8s_info result"]),
    ("pods-json-text", json.dumps(PODS), ["input", "from_json"]),
    ("pods-a-number", 5, ["input", "number 5"]),
    ("items-a-string", dict(PODS, items="web"), ["PodList", "items:", "'web'"]),
    ("item-a-string", dict(PODS, items=["web"]), ["input items[0]", "'web'"]),
    ("containers-a-string", broken(PODS, ("items", 0, "spec", "containers"), "app"),
     [POD_LABEL, "spec.containers:", "'app'"]),
    ("container-a-string", broken(PODS, ("items", 0, "spec", "containers", 1), "sidecar"),
     [POD_LABEL, "spec.containers[1]:", "'sidecar'"]),
    ("container-name-a-number", broken(PODS, ("items", 0, "spec", "containers", 0, "name"), 7),
     [POD_LABEL, "spec.containers[0].name:", "7"]),
    ("security-context-a-string", broken(PODS, ("items", 0, "spec", "containers", 0, "securityContext"), "privileged"),
     [POD_LABEL, "spec.containers[0].securityContext:", "'privileged'"]),
    ("privileged-a-string", broken(PODS, ("items", 0, "spec", "containers", 0, "securityContext"), {"privileged": "true"}),
     [POD_LABEL, "spec.containers[0].securityContext.privileged:", "'true'"]),
    ("seccomp-profile-a-string", broken(PODS, ("items", 0, "spec", "securityContext"), {"seccompProfile": "RuntimeDefault"}),
     [POD_LABEL, "spec.securityContext.seccompProfile:", "'RuntimeDefault'"]),
    ("annotations-a-list", broken(PODS, ("items", 0, "metadata", "annotations"), ["a=b"]),
     [POD_LABEL, "metadata.annotations:", "['a=b']"]),
]


@pytest.mark.parametrize("pods, words", [pytest.param(pods, words, id=case) for case, pods, words in POD_CASES])
def test_pods_of_the_wrong_shape_are_named_before_crictl_runs(tmp_path, pods, words):
    # crictl would fail if it ran: the pods are refused first.
    result = check(tmp_path, pods, crictl_answers=dict(ps=(b"", 1, "must not run\n"), inspect=(b"", 1, "must not run\n")))
    assert_refused(result, *words)
    assert "must not run" not in result["msg"]


@pytest.mark.parametrize("runtime, words", [
    pytest.param("containerd", ["argument 'runtime'", "dict"], id="a-string"),  # AnsibleModule's own check
    pytest.param({"seccomp": ["x"]}, ["runtime.seccomp:", "['x']"], id="seccomp-a-list"),
    pytest.param({"seccomp": {"handlers": "runc"}}, ["runtime.seccomp.handlers:", "'runc'"], id="handlers-a-string"),
    pytest.param({"seccomp": {"handlers": {"runc": {"base_seccomp": "yes"}}}},
                 ["runtime.seccomp.handlers.runc.base_seccomp:", "'yes'"], id="base-seccomp-a-string"),
    pytest.param({"seccomp": {"privileged_seccomp_profile": 5}}, ["runtime.seccomp.privileged_seccomp_profile:", "5"],
                 id="privileged-profile-a-number"),
])
def test_runtime_facts_of_the_wrong_shape_are_named(tmp_path, runtime, words):
    assert_refused(check(tmp_path, runtime=runtime), *words)


@pytest.mark.parametrize("case", sorted(BAD_PS))
def test_a_broken_listing_is_refused_naming_the_command(tmp_path, case):
    out, rc, err, words = BAD_PS[case]
    result = check(tmp_path, crictl_answers=dict(answers(), ps=(out, rc, err)))
    assert_refused(result, "crictl --runtime-endpoint %s ps" % ENDPOINT, *words)


INSPECT_CASES = [
    ("not-json", b"level=fatal msg=\"container not found\"\n", ["printed no JSON"]),
    ("empty", b"", ["printed nothing"]),
    ("a-list", b"[]\n", ["is not a mapping"]),
    ("no-status", text({"info": {}}).encode(), ["status", "is missing"]),
    ("status-a-string", text(dict(INSPECT, status="running")).encode(), ["status", "'running'"]),
    ("labels-a-list", text(broken(INSPECT, ("status", "labels"), ["app"])).encode(), ["status.labels", "['app']"]),
    ("runtime-spec-a-string", text(broken(INSPECT, ("info", "runtimeSpec"), "spec")).encode(), ["runtimeSpec", "'spec'"]),
    ("seccomp-a-string", text(broken(INSPECT, ("info", "runtimeSpec", "linux", "seccomp"), "on")).encode(), ["seccomp", "'on'"]),
    ("default-action-a-number", text(broken(INSPECT, ("info", "runtimeSpec", "linux", "seccomp", "defaultAction"), 2)).encode(),
     ["defaultAction", "2"]),
    ("not-utf-8", text(INSPECT).encode().replace(b"nginx", b"ngi\xffnx", 1), ["not UTF-8"]),
]


@pytest.mark.parametrize("out, words", [pytest.param(out, words, id=case) for case, out, words in INSPECT_CASES])
def test_a_broken_inspect_is_refused_naming_the_command(tmp_path, out, words):
    result = check(tmp_path, crictl_answers=dict(answers(), inspect=(out, 0, "")))
    assert_refused(result, "crictl --runtime-endpoint %s inspect" % ENDPOINT, *words)


def test_a_failing_inspect_names_the_command_and_its_error(tmp_path):
    result = check(tmp_path, crictl_answers=dict(answers(), inspect=(b"", 1, "container not found\n")))
    assert_refused(result, "inspect", "failed (rc 1)", "container not found")


def test_a_crictl_that_is_a_directory_is_named(tmp_path):
    (tmp_path / "node").mkdir()
    result = run_module("applied_profiles", dict(pods=PODS, seccomp_default=True, crictl=str(tmp_path / "node")), tmp_path)
    assert_refused(result, str(tmp_path / "node"), "not an executable file")


def test_a_good_node_agrees_and_warnings_reach_the_user(tmp_path):
    """An unknown seccompProfile type and containers of pods not given are told through module.warn."""
    pods = broken(PODS, ("items", 0, "spec", "containers", 0, "securityContext"), {"seccompProfile": {"type": "Strict"}})
    result = check(tmp_path, pods, seccomp_default=False, fail_on_mismatch=False)
    assert not result.get("failed"), result
    # The stand-in answers every inspect with the app container, which has a filter: Strict means Unconfined.
    assert [row["ok"] for row in result["containers"]] == [False] * 3, result["containers"]
    assert "seccompProfile type 'Strict' is unknown" in warnings(result), result
    other = check(tmp_path / "other", {"kind": "PodList", "items": []}, fail_on_mismatch=False)
    assert "belong to pods not in `pods`" in warnings(other), other


def warnings(result):
    """The warnings a module gave, as text: ansible-core 2.19+ returns each as a WarningSummary with its event."""
    return "\n".join(item if isinstance(item, str) else json.dumps(item) for item in result.get("warnings", []))
