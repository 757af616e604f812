"""The suggested profiles as Security Profiles Operator objects: valid for SPO's published CRD, and, resolved as SPO
resolves them, the very profile the audit suggests (every syscall decided alike, compiled by libseccomp)."""

import pytest
import yaml

from ansible_collections.k8s.seccomp_default.plugins.module_utils import audit_gate, profiles, spo
from lib.spo_crd import ARCHES, DNS_SUBDOMAIN, default_profile, valid_for_spo


def every_syscall():
    return sorted(set(name for arch in ARCHES for rule in default_profile(arch)["syscalls"] for name in rule["names"])
                  | {"unshare", "mount", "umount2", "ptrace", "bpf", "clone3", "personality", "socket"})


def decides_alike(resolved, localhost):
    for name in every_syscall():
        for args in ({}, {0: 0}, {0: 8}, {0: 38}, {0: 39}, {0: 0x10000000}):
            assert profiles.decide(resolved, name, args) == profiles.decide(localhost, name, args), (name, args)


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("syscalls", [["unshare"], ["mount", "umount2", "unshare"], ["personality"], ["clone3", "unshare"]])
def test_the_objects_are_valid_for_spo_and_resolve_to_the_suggested_profile(arch, syscalls):
    base = default_profile(arch)
    made = spo.suggestion(base, "default", "needs-unshare-node-1", "needs-unshare", syscalls)
    for obj in made["objects"]:
        valid_for_spo(obj)
    by_name = dict((obj["metadata"]["name"], obj) for obj in made["objects"])
    resolved = spo.resolved(by_name[made["name"]], by_name)
    localhost = audit_gate.suggest_profile(base, syscalls)
    decides_alike(resolved, localhost)
    assert profiles.validate_profile(resolved)["errors"] == []
    assert made["security_context"]["spo"]["securityContext"]["seccompProfile"] == {
        "type": "Localhost", "localhostProfile": "operator/default.needs-unshare-node-1.needs-unshare.json"}
    assert made["security_context"]["localhost"]["securityContext"]["seccompProfile"]["localhostProfile"] == \
        "k8s.seccomp_default/default_needs-unshare-node-1_needs-unshare.json"


@pytest.mark.parametrize("arch", ARCHES)
def test_runtime_default_plus_calls_it_has_no_rule_for_is_said_with_a_base(arch):
    made = spo.suggestion(default_profile(arch), "default", "web-0", "nginx", ["unshare", "mount"])
    base, own = made["objects"]
    assert made["base"] == base["metadata"]["name"] and made["why_whole"] is None
    assert own["spec"]["baseProfileName"] == base["metadata"]["name"]
    assert own["spec"]["syscalls"] == [{"names": ["mount", "unshare"], "action": "SCMP_ACT_ALLOW"}]
    # The same kubernetes/default gives the same base, so that a fleet ships it once.
    again = spo.suggestion(default_profile(arch), "kube-system", "agent-x", "agent", ["bpf"])
    assert again["base"] == made["base"]


def test_a_call_the_base_has_a_rule_for_gets_the_whole_profile():
    """personality is allowed for some arguments only: SPO would append an unconditional rule beside them."""
    made = spo.suggestion(default_profile("x86_64"), "default", "legacy-0", "app", ["personality"])
    (only,) = made["objects"]
    assert made["base"] is None and "personality" in made["why_whole"]
    assert "baseProfileName" not in only["spec"]


def test_yaml_documents_read_back_as_the_objects():
    made = spo.suggestion(default_profile("x86_64"), "default", "web-0", "nginx", ["unshare"])
    assert list(yaml.safe_load_all(spo.yaml_documents(made["objects"]))) == made["objects"]


@pytest.mark.parametrize("change, words", [
    (lambda p: p.update(defaultErrnoRet=38), ["errno 38", "EPERM"]),
    (lambda p: p["syscalls"].append({"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}}),
     ["syscalls[%d]", "includes"]),
    (lambda p: p.update(listenerPath="/run/agent.sock"), ["listenerPath"]),
])
def test_what_an_spo_object_cannot_hold_is_named(change, words):
    base = default_profile("x86_64")
    change(base)
    with pytest.raises(ValueError) as caught:  # spo.CannotExpress, or profiles.ProfileError for what no profile may have
        spo.suggestion(base, "default", "web-0", "nginx", ["unshare"])
    for word in words:
        assert word.replace("%d", str(len(base["syscalls"]) - 1)) in str(caught.value)


@pytest.mark.parametrize("namespace, pod, container", [
    ("default", "web-7d4b9c-x2k", "nginx"), ("kube-system", "ip-10-0-0-1.ec2.internal", "agent"),
    ("team-a", "p" * 253, "c" * 63)])
def test_object_names_are_dns_subdomains_and_tell_containers_apart(namespace, pod, container):
    name = spo.object_name(namespace, pod, container)
    assert DNS_SUBDOMAIN.match(name) and len(name) <= 253
    assert spo.object_name(namespace, pod, container + "x") != name
