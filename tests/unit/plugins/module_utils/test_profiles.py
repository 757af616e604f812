"""The profile engine: parsing, moby resolution, the built-in variants, validation, compilation."""

import copy
import json
import os
import re

import pytest

from ansible_collections.k8s.seccomp_default.plugins.module_utils import profiles as P
from ansible_collections.k8s.seccomp_default.plugins.module_utils.moby_default import moby_default

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
SHARED_MOBY = os.path.join(ROOT, "..", "shared", "reference", "runtime-defaults", "moby-default.json")
CONTAINERD_CAPTURE = os.path.join(FIXTURES, "containerd-1.6.20-x86_64-runtime-default.json")


def moby(*rules, **top):
    profile = {"defaultAction": "SCMP_ACT_ERRNO", "archMap": [
        {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
        {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]},
    ], "syscalls": list(rules)}
    profile.update(top)
    return profile


def resolved_names(profile, **kwargs):
    parsed, fmt, dummy = P.parse_profile(profile)
    return P.allowed_syscalls(P.resolve_profile(parsed, fmt, **kwargs))


# --- the vendored moby profile ---------------------------------------------------------------


@pytest.mark.skipif(not os.path.exists(SHARED_MOBY), reason="shared/ reference not beside the checkout")
def test_vendored_moby_profile_equals_the_reference_copy():
    with open(SHARED_MOBY) as handle:
        assert moby_default() == json.load(handle)


def test_shipped_profiles_are_not_stale():
    """profiles/ must be what `make profiles` generates now (tools/generate_profiles.py)."""
    for arch in ("x86_64", "aarch64"):
        for name, profile in P.builtin_profiles(None, arch=arch).items():
            path = os.path.join(ROOT, "profiles", arch, "kubernetes", name + ".json")
            with open(path) as handle:
                assert handle.read() == P.dumps_profile(profile), "%s is stale: run `make profiles`" % path


# --- parsing: every shape users have ----------------------------------------------------------


def test_parse_accepts_crictl_ctr_spec_text_and_plain():
    seccomp = {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}
    shapes = {
        "profile": seccomp,
        "crictl inspect output linux.seccomp": {"status": {}, "info": {"runtimeSpec": {"linux": {"seccomp": seccomp}}}},
        "ctr containers info output linux.seccomp": {"ID": "x", "Spec": {"linux": {"seccomp": seccomp}}},
        "runtime spec linux.seccomp": {"ociVersion": "1.1.0", "linux": {"seccomp": seccomp}},
    }
    for origin, shape in shapes.items():
        profile, fmt, found = P.parse_profile(json.dumps(shape))
        assert (profile, fmt, found) == (seccomp, "oci", origin)


def test_parse_spec_without_seccomp_explains_unconfined():
    with pytest.raises(P.ProfileError, match=r"linux.seccomp: absent .*Unconfined or privileged"):
        P.parse_profile({"info": {"runtimeSpec": {"linux": {"namespaces": []}}}}, "capture.json")


def test_parse_bad_json_names_the_source():
    with pytest.raises(P.ProfileError, match=r"^capture.json is not a valid seccomp profile:\n- not JSON: .*line 1"):
        P.parse_profile('{"defaultAction": ', "capture.json")


def test_parse_detects_moby_format():
    assert P.parse_profile(moby())[1] == "moby"
    assert P.parse_profile({"defaultAction": "SCMP_ACT_LOG"})[1] == "oci"
    assert P.parse_profile({"defaultAction": "SCMP_ACT_LOG", "syscalls": [{"names": ["a"], "action": "SCMP_ACT_ALLOW", "comment": ""}]})[1] == "moby"


@pytest.mark.parametrize("profile, message", [
    (moby(architectures=["SCMP_ARCH_X86_64"]), "archMap: both 'architectures' and 'archMap'"),
    (moby({"name": "read", "names": ["read"], "action": "SCMP_ACT_ALLOW"}), r"syscalls\[0\]: both 'name' and 'names'"),
    (moby({"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"kernel": "4.8"}}), r"syscalls\[0\].includes.kernel: unknown key"),
    (moby({"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4"}}), r"syscalls\[0\].includes.minKernel: '4' is not"),
    (moby({"names": ["read"], "action": "SCMP_ACT_ALLOW", "excludes": {"arches": ["x86_64"]}}), r"syscalls\[0\].excludes.arches: 'x86_64' is not"),
    (moby({"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["SYS_ADMIN"]}}), r"syscalls\[0\].includes.caps: 'SYS_ADMIN' is not"),
    (moby(archMap=[{"architecture": "SCMP_ARCH_FOO"}]), r"archMap\[0\]: 'SCMP_ARCH_FOO' is not a seccomp architecture"),
    (moby({"names": ["mount"], "action": "SCMP_ACT_ERRNO", "errno": "EPERM"}), r"syscalls\[0\].errno: 'EPERM': errno names are not supported"),
    (moby(defaultErrno="ENOSYS"), "defaultErrno: errno names are not supported; write defaultErrnoRet"),
])
def test_moby_structure_errors_name_field_and_value(profile, message):
    with pytest.raises(P.ProfileError, match=message):
        P.parse_profile(profile)


# --- moby resolution (docs/kubernetes-facts.md#moby-format) ----------------------------------


def test_archmap_gives_native_arch_and_subarches():
    for arch, expected in (("x86_64", ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]),
                           ("amd64", ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]),
                           ("aarch64", ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]),
                           ("SCMP_ARCH_AARCH64", ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"])):
        parsed, fmt, dummy = P.parse_profile(moby())
        assert P.resolve_profile(parsed, fmt, arch=arch)["architectures"] == expected


def test_arch_without_archmap_entry_has_no_architectures():
    parsed, fmt, dummy = P.parse_profile(moby())
    assert "architectures" not in P.resolve_profile(parsed, fmt, arch="s390x")


@pytest.mark.parametrize("condition, arch, caps, kernel, kept", [
    ({"includes": {"arches": ["amd64", "x32"]}}, "x86_64", None, None, True),
    ({"includes": {"arches": ["amd64", "x32"]}}, "aarch64", None, None, False),
    ({"excludes": {"arches": ["s390", "s390x"]}}, "x86_64", None, None, True),
    ({"excludes": {"arches": ["arm64"]}}, "aarch64", None, None, False),
    ({"includes": {"caps": ["CAP_SYS_ADMIN"]}}, "x86_64", None, None, False),
    ({"includes": {"caps": ["CAP_SYS_ADMIN"]}}, "x86_64", ["SYS_ADMIN"], None, True),
    ({"includes": {"caps": ["CAP_SYS_ADMIN", "CAP_BPF"]}}, "x86_64", ["CAP_SYS_ADMIN"], None, False),
    ({"excludes": {"caps": ["CAP_SYS_ADMIN"]}}, "x86_64", None, None, True),
    ({"excludes": {"caps": ["CAP_SYS_ADMIN", "CAP_BPF"]}}, "x86_64", ["cap_bpf"], None, False),
    ({"includes": {"caps": ["CAP_SYS_CHROOT"]}}, "x86_64", None, None, True),
    ({"includes": {"minKernel": "4.8"}}, "x86_64", None, "4.7.10", False),
    ({"includes": {"minKernel": "4.8"}}, "x86_64", None, "4.8.0-1-amd64", True),
    ({"includes": {"minKernel": "4.8"}}, "x86_64", None, "4.19", True),
    ({"includes": {"minKernel": "4.8"}}, "x86_64", None, None, True),
    ({"excludes": {"minKernel": "5.10"}}, "x86_64", None, "6.1.0", False),
    ({"excludes": {"minKernel": "5.10"}}, "x86_64", None, "5.4", True),
])
def test_rule_conditions_follow_moby_setup_seccomp(condition, arch, caps, kernel, kept):
    rule = dict({"names": ["probe"], "action": "SCMP_ACT_ALLOW"}, **condition)
    assert ("probe" in resolved_names(moby(rule), arch=arch, capabilities=caps, kernel=kernel)) is kept


def test_default_capabilities_are_the_cri_set():
    assert P.normalize_capabilities(None) == list(P.CRI_DEFAULT_CAPABILITIES)
    assert "CAP_SYS_ADMIN" not in P.CRI_DEFAULT_CAPABILITIES and len(P.CRI_DEFAULT_CAPABILITIES) == 14


def test_moby_default_resolved_for_cri_caps_denies_unshare_and_gates_clone():
    default = P.builtin_profiles(None)["default"]
    allowed = P.allowed_syscalls(default)
    for name in ("unshare", "mount", "setns", "bpf", "perf_event_open", "reboot"):
        assert name not in allowed, name
    assert {"read", "write", "getpid", "lstat", "chroot", "arch_prctl", "process_vm_readv"} <= set(allowed)
    clone = [r for r in default["syscalls"] if r["names"] == ["clone"]]
    assert clone == [{"names": ["clone"], "action": "SCMP_ACT_ALLOW",
                      "args": [{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}]}]
    assert {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38} in default["syscalls"]
    assert default["defaultErrnoRet"] == 1


def test_with_sys_admin_the_runtime_default_allows_unshare_and_clone3():
    allowed = P.allowed_syscalls(P.builtin_profiles(None, capabilities=list(P.CRI_DEFAULT_CAPABILITIES) + ["CAP_SYS_ADMIN"])["default"])
    assert {"unshare", "mount", "clone3", "setns"} <= set(allowed)


def test_resolution_drops_moby_only_keys():
    default = P.builtin_profiles(None, arch="aarch64")["default"]
    assert set(default) <= set(P.OCI_KEYS)
    for rule in default["syscalls"]:
        assert set(rule) <= set(P.OCI_RULE_KEYS)
    assert "arm_fadvise64_64" in P.allowed_syscalls(default) and "arch_prctl" not in P.allowed_syscalls(default)


def test_oci_base_for_another_architecture_is_refused():
    with open(CONTAINERD_CAPTURE) as handle:
        capture = json.load(handle)
    with pytest.raises(P.ProfileError, match="does not include SCMP_ARCH_AARCH64; this profile was captured on another architecture"):
        P.builtin_profiles(capture, arch="aarch64", source="capture")


def test_unknown_arch_parameter():
    with pytest.raises(P.ProfileError, match="'sparc' is not an architecture; valid: .*aarch64"):
        P.builtin_profiles(None, arch="sparc")


def test_bad_kernel_parameter():
    with pytest.raises(P.ProfileError, match="'latest' is not a kernel release"):
        P.builtin_profiles(None, kernel="latest")


# --- the three built-in profiles (docs/kubernetes-facts.md#built-in-profiles) ----------------


def test_builtins_from_a_real_containerd_capture():
    """Acceptance 4 on the checked-in capture; tests/integration repeats it on a live capture."""
    with open(CONTAINERD_CAPTURE) as handle:
        capture = json.load(handle)
    captured = P.normalize_oci(capture["linux"]["seccomp"])
    built = P.builtin_profiles(capture)
    assert built["default"] == captured
    assert P.allowed_syscalls(built["default-audit"]) == P.allowed_syscalls(captured)
    assert not P.denies_anything(built["default-audit"])
    assert P.allowed_syscalls(built["audit-verbose"]) == []
    assert built["audit-verbose"] == {"defaultAction": "SCMP_ACT_LOG", "architectures": captured["architectures"]}


def test_default_audit_turns_every_deny_into_log():
    base = {"defaultAction": "SCMP_ACT_KILL_PROCESS", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [
        {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}]},
        {"names": ["clone"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_GE"}]},
        {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
        {"names": ["ptrace"], "action": "SCMP_ACT_KILL"},
        {"names": ["kexec_load"], "action": "SCMP_ACT_KILL_THREAD"},
        {"names": ["reboot"], "action": "SCMP_ACT_TRAP"},
    ]}
    audit = P.builtin_profiles(base)["default-audit"]
    assert audit == {"defaultAction": "SCMP_ACT_LOG", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": base["syscalls"][:2]}
    assert not P.denies_anything(audit)
    assert P.validate_profile(audit)["errors"] == []


def test_default_is_the_base_unchanged_and_validates():
    for arch in ("x86_64", "aarch64"):
        built = P.builtin_profiles(None, arch=arch)
        for name, profile in built.items():
            result = P.validate_profile(profile)
            assert result["errors"] == [], (arch, name)
            assert 0 < result["bpf_instructions"] < P.BPF_MAXINSNS
        assert built["default"]["defaultAction"] == "SCMP_ACT_ERRNO"
        assert P.allowed_syscalls(built["default-audit"]) == P.allowed_syscalls(built["default"])


# --- validation (errors name the rule index, field and value) --------------------------------


def oci(*rules, **top):
    profile = {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": list(rules)}
    profile.update(top)
    return profile


@pytest.mark.parametrize("profile, message", [
    (oci(defaultAction="SCMP_ACT_BLOCK"), "defaultAction: 'SCMP_ACT_BLOCK' is not a seccomp action; valid: SCMP_ACT_KILL,"),
    ({"syscalls": []}, "defaultAction: missing"),
    (oci(architectures=["SCMP_ARCH_SPARC"]), "architectures: 'SCMP_ARCH_SPARC' is not a seccomp architecture; valid: SCMP_ARCH_AARCH64,"),
    (oci(flags=["SECCOMP_FILTER_FLAG_AUDIT"]), "flags: 'SECCOMP_FILTER_FLAG_AUDIT' is not a seccomp filter flag"),
    (oci(defaultAction="SCMP_ACT_LOG", defaultErrnoRet=1), "defaultErrnoRet: 1 is set but defaultAction SCMP_ACT_LOG returns no errno"),
    (oci(defaultErrnoRet=-1), "defaultErrnoRet: -1 is not an errno number"),
    (oci({"names": ["read"], "action": "SCMP_ACT_BLOCK"}), r"syscalls\[0\].action: 'SCMP_ACT_BLOCK' is not a seccomp action"),
    (oci({"names": ["read"], "action": "SCMP_ACT_ALLOW"}, {"names": ["write"]}), r"syscalls\[1\].action: missing"),
    (oci({"names": [], "action": "SCMP_ACT_ALLOW"}), r"syscalls\[0\].names: \[\]; it must be a non-empty list"),
    (oci({"names": ["Read!"], "action": "SCMP_ACT_ALLOW"}), r"syscalls\[0\].names: 'Read!' is not a syscall name"),
    (oci({"names": ["read"], "action": "SCMP_ACT_ALLOW", "errnoRet": 1}), r"syscalls\[0\].errnoRet: 1 is set but action SCMP_ACT_ALLOW"),
    (oci({"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 6, "value": 0, "op": "SCMP_CMP_EQ"}]}),
     r"syscalls\[0\].args\[0\].index: 6 is not an argument index 0-5"),
    (oci({"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_LIKE"}]}),
     r"syscalls\[0\].args\[0\].op: 'SCMP_CMP_LIKE' is not a comparison operator; valid: SCMP_CMP_NE"),
    (oci({"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": -3, "op": "SCMP_CMP_EQ"}]}),
     r"syscalls\[0\].args\[0\].value: -3 is not an unsigned 64-bit number"),
    (oci({"names": ["read"], "action": "SCMP_ACT_NOTIFY"}), r"syscalls\[0\].action: SCMP_ACT_NOTIFY needs listenerPath"),
    (oci({"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {}}), r"syscalls\[0\].includes: unknown key \(moby format"),
    (oci(archMap=[]), r"archMap: unknown key \(a moby-format key"),
])
def test_validation_errors(profile, message):
    errors = P.validate_profile(profile)["errors"]
    assert any(re.search(message, e) for e in errors), errors
    with pytest.raises(P.ProfileError, match="^my.json is not a valid seccomp profile"):
        P.ensure_valid(profile, "my.json")


def test_unknown_syscall_names_are_reported_by_name():
    result = P.validate_profile(oci({"names": ["read", "no_such_call", "other_fake"], "action": "SCMP_ACT_ALLOW"}))
    assert result["errors"] == []
    assert result["warnings"] == ["syscalls[0].names: no_such_call, other_fake unknown to libseccomp on SCMP_ARCH_X86_64; runc skips "
                                  "unknown names silently, so these calls get defaultAction"]


def test_duplicates_and_redundant_rules_are_warnings():
    result = P.validate_profile(oci({"names": ["read", "read"], "action": "SCMP_ACT_ALLOW"},
                                    {"names": ["write"], "action": "SCMP_ACT_ALLOW"},
                                    {"names": ["write"], "action": "SCMP_ACT_ALLOW"},
                                    {"names": ["mount"], "action": "SCMP_ACT_ERRNO"},
                                    {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}))
    assert result["errors"] == []
    assert result["warnings"] == [
        "syscalls[0].names: 'read' is listed twice in the same rule",
        "syscalls[2].names: 'write' duplicates syscalls[1] (same action SCMP_ACT_ALLOW)",
        "syscalls[3]: action SCMP_ACT_ERRNO equals defaultAction; runc drops the rule as redundant (names mount)",
    ]


def test_conflicting_unconditional_rules_warn_that_the_first_wins():
    """libseccomp keeps the first rule without conditions for a syscall; runc loads such profiles."""
    result = P.validate_profile(oci({"names": ["setns"], "action": "SCMP_ACT_ALLOW"},
                                    {"names": ["setns"], "action": "SCMP_ACT_KILL"}))
    assert result["errors"] == [] and result["bpf_instructions"] > 0
    assert result["warnings"] == ["syscalls[1].names: 'setns' already has action SCMP_ACT_ALLOW in syscalls[0]; libseccomp keeps "
                                  "the first rule without argument conditions, so this SCMP_ACT_KILL has no effect"]


SHARED_CONTAINERS_COMMON = os.path.join(os.path.dirname(SHARED_MOBY), "containers-common-seccomp.json")


@pytest.mark.skipif(not os.path.exists(SHARED_CONTAINERS_COMMON), reason="shared/ reference not beside the checkout")
def test_containers_common_default_resolves_and_compiles():
    """CRI-O's base default (moby-style with errno names and ENOSYS default) is accepted too."""
    with open(SHARED_CONTAINERS_COMMON) as handle:
        built = P.builtin_profiles(json.load(handle))
    assert built["default"]["defaultErrnoRet"] == 38
    for profile in built.values():
        assert P.validate_profile(profile)["errors"] == []
    assert not P.denies_anything(built["default-audit"])


def test_compiled_size_grows_with_rules():
    small = P.validate_profile(oci({"names": ["read"], "action": "SCMP_ACT_ALLOW"}))["bpf_instructions"]
    large = P.validate_profile(oci({"names": ["read", "write", "openat", "close", "mmap"], "action": "SCMP_ACT_ALLOW"}))["bpf_instructions"]
    assert 0 < small < large


def test_repeated_argument_index_compiles_as_separate_rules():
    """runc turns conditions on the same argument into one rule each; libseccomp would refuse them as one."""
    rule = {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [
        {"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}
    assert P.validate_profile(oci(rule))["errors"] == []


def test_too_large_filter_is_refused():
    rules = [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": i, "op": "SCMP_CMP_EQ"}]} for i in range(5000)]
    errors = P.validate_profile(oci(*rules))["errors"]
    assert len(errors) == 1 and "BPF instructions; the kernel loads at most 4096" in errors[0]


def test_validation_never_mutates_the_input():
    profile = P.builtin_profiles(None)["default"]
    before = copy.deepcopy(profile)
    P.validate_profile(profile)
    assert profile == before


def test_dumps_is_stable_two_space_json_with_newline():
    text = P.dumps_profile({"defaultAction": "SCMP_ACT_LOG"})
    assert text == '{\n  "defaultAction": "SCMP_ACT_LOG"\n}\n'
