"""What the runtime applied (crictl inspect) against the effective profile of each container
(docs/kubernetes-facts.md#kubelet-precedence, docs/kubernetes-facts.md#privileged-containers)."""

import pytest

from ansible_collections.k8s.seccomp_default.plugins.module_utils.applied import AppliedError, compare
from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError

POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "shop", "uid": "u1"},
       "spec": {"containers": [{"name": "app"}, {"name": "proxy", "securityContext": {"privileged": True}},
                               {"name": "legacy", "securityContext": {"seccompProfile": {"type": "Unconfined"}}}]}}


def inspected(name, seccomp, uid="u1"):
    spec = {"linux": {"seccomp": seccomp}} if seccomp else {"linux": {}}
    return {"status": {"id": "c-" + name, "metadata": {"name": name},
                       "labels": {"io.kubernetes.container.name": name, "io.kubernetes.pod.uid": uid,
                                  "io.kubernetes.pod.name": "web", "io.kubernetes.pod.namespace": "shop"}},
            "info": {"runtimeSpec": spec}}


FILTER = {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": []}


def test_every_container_agrees_with_its_effective_profile():
    rows = compare([inspected("app", FILTER), inspected("proxy", None), inspected("legacy", None)], POD, True)
    assert [(r["container"], r["applied"], r["expected"], r["ok"]) for r in rows] == [
        ("app", "seccomp", "RuntimeDefault", True), ("proxy", "none", "Unconfined", True),
        ("legacy", "none", "Unconfined", True)]


def test_a_container_still_unconfined_after_enforcement_is_a_mismatch():
    rows = compare([inspected("app", None)], POD, True)
    assert rows[0]["ok"] is False and rows[0]["expected"] == "RuntimeDefault"
    assert compare([inspected("app", None)], POD, False)[0]["ok"] is True  # with seccompDefault off, none is right
    assert compare([inspected("app", FILTER, uid="other")], POD, True)[0]["ok"] is None  # not in the pod list


def test_bad_input_is_named():
    with pytest.raises(AppliedError, match="expected `crictl inspect` output"):
        compare([{"containers": []}], POD, True)


def test_a_document_of_the_wrong_shape_is_named_by_its_source_and_field():
    """The shape of a `crictl inspect` document is module_utils/cri's: the same check, the same words."""
    document = inspected("app", {"defaultAction": 2})
    with pytest.raises(InputError) as caught:
        compare([document], POD, True, sources=["crictl inspect c-app"])
    assert str(caught.value) == ("crictl inspect c-app: info.runtimeSpec.linux.seccomp.defaultAction: is not a string "
                                 "(found number 2)")
    document = inspected("app", FILTER)
    document["status"]["labels"]["io.kubernetes.pod.uid"] = ["u1"]
    with pytest.raises(InputError, match=r"inspected\[0\]: status.labels\[\"io.kubernetes.pod.uid\"\]: is not a string"):
        compare([document], POD, True)
