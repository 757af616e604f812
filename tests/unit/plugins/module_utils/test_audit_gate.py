"""Stage 2's decision and its suggested profiles; the profile reading it rests on (profiles.decide)."""

import pytest

from ansible_collections.k8s.seccomp_default.plugins.filter.seccomp_audit_gate import seccomp_audit_gate
from ansible_collections.k8s.seccomp_default.plugins.filter.seccomp_audit_targets import seccomp_audit_targets
from ansible_collections.k8s.seccomp_default.plugins.filter.seccomp_impact import seccomp_impact
from ansible_collections.k8s.seccomp_default.plugins.filter.suggest_seccomp_profile import suggest_seccomp_profile
from ansible_collections.k8s.seccomp_default.plugins.module_utils import profiles
from ansible_collections.k8s.seccomp_default.plugins.module_utils.profiles import builtin_profiles
from ansible.errors import AnsibleFilterError


def kubernetes_default():
    return builtin_profiles()["default"]


def pod(name, uid, containers, pod_context=None):
    spec = {"nodeName": "node-1", "containers": [dict({"name": c}, **extra) for c, extra in containers]}
    if pod_context:
        spec["securityContext"] = pod_context
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "shop", "uid": uid}, "spec": spec}


PODS = {"apiVersion": "v1", "kind": "PodList", "items": [
    pod("cart", "u-cart", [("cart", {}), ("proxy", {"securityContext": {"privileged": True}})]),
    pod("legacy", "u-legacy", [("app", {"securityContext": {"seccompProfile": {"type": "Unconfined"}}})]),
    pod("custom", "u-custom", [("app", {})], {"seccompProfile": {"type": "Localhost", "localhostProfile": "my.json"}}),
    pod("already", "u-already", [("app", {"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}})]),
]}


def finding(pod_uid, container, syscall, **extra):
    return dict(dict(attribution="container", pod_uid=pod_uid, container=container, exe="/bin/app", syscall=syscall,
                     action="log", count=3), **extra)


def test_only_containers_that_will_get_runtime_default_block():
    findings = [finding("u-cart", "cart", "unshare"), finding("u-cart", "proxy", "mount"),
                finding("u-legacy", "app", "ptrace"), finding("u-custom", "app", "bpf"),
                finding("u-already", "app", "keyctl"),
                dict(attribution="host", exe="/usr/sbin/sshd", syscall="unshare", action="log", count=1),
                dict(attribution="exited", exe="/bin/sh", syscall="unshare", action="log", count=1)]
    gate = seccomp_audit_gate(findings, PODS)
    assert gate["passed"] is False
    assert [(f["pod"], f["container"], f["syscall"]) for f in gate["blocking"]] == [
        ("cart", "cart", "unshare"), ("already", "app", "keyctl")]
    reasons = dict((f["syscall"], f["reason"]) for f in gate["apart"])
    assert reasons["mount"] == "privileged: stays Unconfined"
    assert reasons["ptrace"] == "keeps its Unconfined profile"
    assert reasons["bpf"] == "keeps its Localhost profile /var/lib/kubelet/seccomp/my.json"
    assert reasons["unshare"] in ("a host process: not in a container", "the process was gone before it could be attributed")
    assert len(gate["apart"]) == 5
    assert gate["workloads"][0] == dict(namespace="shop", pod="already", container="app", pod_uid="u-already",
                                        executables=["/bin/app"], syscalls=["keyctl"], count=3)


def test_trace_verdicts_and_names_instead_of_uids():
    findings = [dict(attribution="container", namespace="shop", pod="cart", container="cart", exe="/bin/app",
                     syscall="read", verdict="allowed", processes=4),
                dict(attribution="container", namespace="shop", pod="cart", container="cart", exe="/bin/app",
                     syscall="socket", verdict="conditional", processes=1),
                dict(attribution="container", namespace="shop", pod="cart", container="cart", exe="/bin/app",
                     syscall="unshare", verdict="blocked", processes=2)]
    gate = seccomp_audit_gate(findings, PODS["items"])
    assert [f["syscall"] for f in gate["blocking"]] == ["unshare"] and gate["workloads"][0]["count"] == 2
    assert [f["syscall"] for f in gate["review"]] == ["socket"]


def test_a_clean_node_passes_and_unknown_pods_are_apart():
    gate = seccomp_audit_gate([finding("u-gone", "x", "unshare")], PODS)
    assert gate["passed"] is True and gate["apart"][0]["reason"] == "its pod or container is not in the node's pod list"


def test_throttled_records_never_pass():
    """A missing record cannot be told from a clean workload: incomplete findings stop the node."""
    gate = seccomp_audit_gate([], PODS, complete=False)
    assert (gate["passed"], gate["complete"], gate["blocking"]) == (False, False, [])


def test_bad_input_is_named():
    with pytest.raises(AnsibleFilterError, match="findings must be the entries list"):
        seccomp_audit_gate({"entries": []}, PODS)
    with pytest.raises(AnsibleFilterError, match="each finding must be a dict"):
        seccomp_audit_gate(["unshare"], PODS)
    with pytest.raises(AnsibleFilterError, match="expected seccomp_impact entries"):
        seccomp_audit_targets([{"node": "x"}])


def test_targets_are_the_containers_that_change():
    impact = seccomp_impact(PODS, {"node-1": False})
    assert seccomp_audit_targets(impact) == [dict(pod_uid="u-cart", namespace="shop", pod="cart", container="cart")]


def test_the_suggested_profile_is_the_default_plus_exactly_the_missing_calls():
    base = kubernetes_default()
    suggested = suggest_seccomp_profile(base, ["unshare", "clone", "read"])
    added = [rule for rule in suggested["syscalls"] if rule not in base["syscalls"]]
    # read is allowed already; clone's argument-checked rules give way to one plain rule
    assert added[-1] == {"names": ["clone", "unshare"], "action": "SCMP_ACT_ALLOW"}
    assert profiles.decide(suggested, "unshare") == ("SCMP_ACT_ALLOW", True)
    assert profiles.decide(suggested, "clone", {0: 0x10000000}) == ("SCMP_ACT_ALLOW", True)
    assert profiles.decide(base, "unshare")[0] == base["defaultAction"]
    for name in profiles.allowed_syscalls(base):
        if name != "clone":
            assert profiles.decide(suggested, name)[0] in ("SCMP_ACT_ALLOW",) or any(
                rule.get("args") for rule in suggested["syscalls"] if name in rule["names"])
    assert profiles.validate_profile(suggested)["errors"] == []


def test_a_profile_libseccomp_refuses_is_an_error():
    with pytest.raises(AnsibleFilterError, match="base profile must be an OCI seccomp profile"):
        suggest_seccomp_profile(["not", "a", "profile"], ["unshare"])
    with pytest.raises(AnsibleFilterError, match="not a valid seccomp profile"):
        suggest_seccomp_profile({"defaultAction": "SCMP_ACT_NOPE", "syscalls": []}, ["unshare"])


def test_decide_follows_argument_conditions():
    profile = {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
        {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
        {"names": ["socket"], "action": "SCMP_ACT_ERRNO",
         "args": [{"index": 0, "value": 16, "op": "SCMP_CMP_EQ"}, {"index": 2, "value": 9, "op": "SCMP_CMP_EQ"}]},
        {"names": ["socket", "read"], "action": "SCMP_ACT_ALLOW"}]}
    assert profiles.decide(profile, "clone", {0: 0x11}) == ("SCMP_ACT_ALLOW", True)
    assert profiles.decide(profile, "clone", {0: 0x10000000}) == ("SCMP_ACT_ERRNO", True)  # CLONE_NEWUSER
    assert profiles.decide(profile, "socket", {0: 16}) == ("SCMP_ACT_ERRNO", False)  # depends on the protocol
    assert profiles.decide(profile, "socket", {0: 2}) == ("SCMP_ACT_ALLOW", True)
    assert profiles.blocks("SCMP_ACT_ERRNO") and not profiles.blocks("SCMP_ACT_LOG")
