"""Effective seccomp profile per container, each case citing the rule it checks by its section number (3.x) in
docs/kubernetes-facts.md#effective-profile-rules."""

import pytest

from ansible_collections.k8s.seccomp_default.plugins.module_utils.effective import (
    EffectiveError, effective_seccomp, go_join_clean)

RD = {"type": "RuntimeDefault"}
UN = {"type": "Unconfined"}


def pod(container_sp=None, pod_sp=None, privileged=None, os_name=None, annotations=None, kind="containers"):
    context = {}
    if container_sp is not None:
        context["seccompProfile"] = container_sp
    if privileged is not None:
        context["privileged"] = privileged
    spec = {kind: [{"name": "c", "image": "x", "securityContext": context}]}
    if pod_sp is not None:
        spec["securityContext"] = {"seccompProfile": pod_sp}
    if os_name:
        spec["os"] = {"name": os_name}
    return {"kind": "Pod", "metadata": {"name": "p", "annotations": annotations or {}}, "spec": spec}


def one(obj, seccomp_default=False, root="/var/lib/kubelet"):
    return effective_seccomp(obj, seccomp_default, root)[0]


@pytest.mark.parametrize("fact, obj, node_default, source, kind", [
    ("3.3 nothing set, seccompDefault off -> Unconfined", pod(), False, "unset", "Unconfined"),
    ("3.3 nothing set, seccompDefault on -> RuntimeDefault", pod(), True, "node-default", "RuntimeDefault"),
    ("3.1 container field first", pod(UN, RD), True, "container", "Unconfined"),
    ("3.1 pod field when the container has none", pod(None, RD), False, "pod", "RuntimeDefault"),
    ("3.1 explicit Unconfined beats seccompDefault", pod(None, UN), True, "pod", "Unconfined"),
    ("3.2 privileged with nothing set -> Unconfined", pod(privileged=True), True, "privileged", "Unconfined"),
    ("3.2 privileged drops an explicit RuntimeDefault", pod(RD, privileged=True), False, "privileged", "Unconfined"),
    ("3.2 privileged: false changes nothing", pod(RD, privileged=False), False, "container", "RuntimeDefault"),
    ("3.1 Localhost without a name: the kubelet errors", pod({"type": "Localhost"}), False, "container", "Invalid"),
    ("3.6 Windows pods: not applicable", pod(None, None, os_name="windows"), True, "node-default", "NotApplicable"),
    ("3.7 unknown type falls through to Unconfined", pod({"type": "OCI"}), True, "container", "Unconfined"),
])
def test_rules(fact, obj, node_default, source, kind):
    found = one(obj, node_default)
    assert (found["source"], found["type"]) == (source, kind), fact


def test_localhost_path_is_joined_and_cleaned_as_go_does():
    found = one(pod({"type": "Localhost", "localhostProfile": "profiles/./audit.json"}), root="/var/lib/kubelet/")
    assert found["localhost_path"] == "/var/lib/kubelet/seccomp/profiles/audit.json"   # 3.5 filepath.Join
    assert go_join_clean("/r", "seccomp", "/etc/x.json") == "/r/seccomp/etc/x.json"   # Join does not reset on "/"
    assert go_join_clean("/r", "seccomp", "../../x.json") == "/x.json"


def test_localhost_names_the_api_server_rejects_are_warned():
    for name, text in (("../x.json", "must not contain '..'"), ("/abs.json", "must be a relative path")):
        assert any(text in warning for warning in one(pod({"type": "Localhost", "localhostProfile": name}))["warnings"])
    assert one(pod({"type": "Localhost", "localhostProfile": "a..b.json"}))["warnings"] == []  # 3.5: a..b is fine


def test_legacy_annotations_only_warn():
    found = one(pod(annotations={"seccomp.security.alpha.kubernetes.io/pod": "runtime/default",
                                 "container.seccomp.security.alpha.kubernetes.io/c": "unconfined"}))
    assert found["type"] == "Unconfined" and len(found["warnings"]) == 2  # 3.4: no effect on 1.27+


def test_init_regular_ephemeral_in_spec_order():
    obj = {"kind": "Pod", "spec": {"ephemeralContainers": [{"name": "e"}], "containers": [{"name": "r"}],
                                   "initContainers": [{"name": "i"}]}}
    assert [(c["name"], c["kind"]) for c in effective_seccomp(obj, True)] == [
        ("i", "init"), ("r", "regular"), ("e", "ephemeral")]


def test_workloads_use_their_pod_template():
    template = pod(None, RD)
    deployment = {"kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": template}}
    cronjob = {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": template}}}}
    assert one(deployment)["type"] == one(cronjob)["type"] == "RuntimeDefault"
    with pytest.raises(EffectiveError, match="Service s has no pod template"):
        effective_seccomp({"kind": "Service", "metadata": {"name": "s"}})
