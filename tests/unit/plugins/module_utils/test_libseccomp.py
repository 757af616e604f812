"""module_utils/libseccomp: the system libseccomp through ctypes, checked against the independent pyseccomp
bindings (a test-only dependency; nodes have neither) on this machine's real library."""

import json
import os
import subprocess
import sys
import tempfile

import pytest

from ansible_collections.k8s.seccomp_default.plugins.module_utils import libseccomp, profiles

pyseccomp = pytest.importorskip("pyseccomp")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


def test_the_library_loads_and_says_its_version():
    assert libseccomp.library() is not None, libseccomp.load_error()
    major, minor, _micro = (int(part) for part in libseccomp.version().split("."))
    assert (major, minor) >= (2, 4)


def test_native_architecture_matches_pyseccomp():
    assert libseccomp.native_arch() == pyseccomp.system_arch()


@pytest.mark.parametrize("arch", sorted(spec[0] for spec in profiles.ARCHITECTURES.values()))
def test_numbers_and_names_agree_with_pyseccomp_on_every_architecture(arch):
    for number in range(0, 600):
        try:
            expected = pyseccomp.resolve_syscall(arch, number)
        except (ValueError, OSError):
            expected = None
        got = libseccomp.resolve_number(arch, number)
        assert got == (expected.decode() if isinstance(expected, bytes) else expected), (arch, number)
    names = sorted(set(name for rule in profiles.moby_default()["syscalls"] for name in rule["names"]))
    for name in names + ["no_such_call", ""]:
        assert libseccomp.resolve_name(arch, name) == pyseccomp.resolve_syscall(arch, name), (arch, name)


def test_names_that_cannot_be_syscalls_are_unknown_not_errors():
    native = libseccomp.native_arch()
    for name in ("read\0write", "r\u00e9ad", None, 42):
        assert libseccomp.resolve_name(native, name) == libseccomp.NR_SCMP_ERROR


def _pyseccomp_bpf(profile):
    """The same profile built with pyseccomp, rule by rule as compile_profile does."""
    def action(name, errno):
        name, errno = profiles._effective_action(name, errno)
        if name == "SCMP_ACT_ERRNO":
            return pyseccomp.ERRNO(errno)
        if name == "SCMP_ACT_TRACE":
            return pyseccomp.TRACE(errno)
        return getattr(pyseccomp, name[len("SCMP_ACT_"):])
    default = action(profile["defaultAction"], profile.get("defaultErrnoRet"))
    bpf_filter = pyseccomp.SyscallFilter(default)
    native = pyseccomp.system_arch()
    arches = [profiles.ARCHITECTURES[a][0] for a in profile.get("architectures") or []]
    for arch in arches:
        if arch != native:
            try:
                bpf_filter.add_arch(arch)
            except OSError:
                pass
    if "SECCOMP_FILTER_FLAG_LOG" in (profile.get("flags") or []):
        bpf_filter.set_attr(pyseccomp.Attr.CTL_LOG, 1)
    for rule in profile.get("syscalls") or []:
        rule_action = action(rule["action"], rule.get("errnoRet"))
        if rule_action == default:
            continue
        args = [pyseccomp.Arg(a["index"], profiles.OPERATORS[a["op"]], a.get("value", 0), a.get("valueTwo", 0))
                for a in rule.get("args") or []]
        indexes = [a["index"] for a in rule.get("args") or []]
        for name in rule["names"]:
            number = pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, name)
            if number == -1:
                continue
            if len(set(indexes)) != len(indexes):
                for arg in args:
                    bpf_filter.add_rule(rule_action, number, arg)
            else:
                bpf_filter.add_rule(rule_action, number, *args)
    with tempfile.TemporaryFile() as handle:
        bpf_filter.export_bpf(handle)
        handle.seek(0)
        return handle.read()


@pytest.mark.parametrize("name", ["default", "default-audit", "audit-verbose"])
def test_a_compiled_built_in_profile_is_the_same_program_pyseccomp_builds(name):
    arch_dir = {"x86_64": "x86_64", "aarch64": "aarch64"}.get(os.uname()[4])
    path = os.path.join(ROOT, "profiles", arch_dir or "x86_64", "kubernetes", name + ".json")
    with open(path) as handle:
        profile = json.load(handle)
    default = profiles._action_value(profile["defaultAction"], profile.get("defaultErrnoRet"))
    with libseccomp.Filter(default) as bpf_filter:
        profiles._build(bpf_filter, profile, default)
        with tempfile.TemporaryFile() as handle:
            bpf_filter.export_bpf(handle.fileno())
            handle.seek(0)
            ours = handle.read()
    assert len(ours) > (100 * 8 if name != "audit-verbose" else 0)  # audit-verbose logs every call: no rules
    assert ours == _pyseccomp_bpf(profile)
    assert profiles.compile_profile(profile)["bpf_bytes"] == len(ours)


def test_a_rule_libseccomp_refuses_is_an_error_with_its_reason():
    with libseccomp.Filter(libseccomp.errno_action(1)) as bpf_filter:
        with pytest.raises(libseccomp.LibseccompError) as caught:
            bpf_filter.add_rule(libseccomp.ALLOW, 0, [(7, 4, 0, 0)])  # argument index 7 does not exist
    assert "adding a rule for syscall 0" in caught.value.strerror


def test_without_the_library_profiles_say_so_and_nothing_raises():
    """A node without libseccomp: the structural checks still run, and validation says why nothing was compiled."""
    code = (
        "import ctypes.util, ctypes\n"
        "ctypes.util.find_library = lambda name: None\n"
        "real = ctypes.CDLL\n"
        "def refuse(name, *a, **k):\n"
        "    if name and 'seccomp' in name: raise OSError(name + ': cannot open shared object file')\n"
        "    return real(name, *a, **k)\n"
        "ctypes.CDLL = refuse\n"
        "from ansible_collections.k8s.seccomp_default.plugins.module_utils import libseccomp, profiles, audit_records\n"
        "assert libseccomp.library() is None\n"
        "assert libseccomp.version() is None\n"
        "assert audit_records.syscall_name(0xC000003E, 0) is None\n"
        "result = profiles.validate_profile({'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': []})\n"
        "print(result['libseccomp'], result['warnings'][0])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("False libseccomp is not available (libseccomp is not installed (libseccomp.so.2: cannot open shared "
                          "object file)): syscall names were not resolved and the filter was not compiled")
