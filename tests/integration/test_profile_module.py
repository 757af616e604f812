"""k8s.seccomp_default.profile through real ansible-playbook runs (local connection)."""

import hashlib
import json
import os
import platform
import stat

import pytest

from ansible_collections.k8s.seccomp_default.plugins.module_utils import profiles as P
from lib.ansible_run import run_tasks

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CAPTURE = os.path.join(ROOT, "tests", "fixtures", "containerd-1.6.20-x86_64-runtime-default.json")
BUILTIN_FILES = ("kubernetes/default.json", "kubernetes/default-audit.json", "kubernetes/audit-verbose.json")


def profile_task(**args):
    return {"name": "profile", "k8s.seccomp_default.profile": args, "register": "out"}


def files_under(root):
    found = []
    for directory, dummy, names in os.walk(str(root)):
        found.extend(os.path.relpath(os.path.join(directory, n), str(root)) for n in names)
    return sorted(found)


def test_install_twice_reports_changed_then_unchanged(tmp_path):
    kubelet = tmp_path / "kubelet"
    first, second = run_tasks(tmp_path, [profile_task(kubelet_root_dir=str(kubelet))] * 2).results
    assert first["changed"] is True and second["changed"] is False
    assert [p["state"] for p in first["profiles"]] == ["created"] * 3
    assert [p["state"] for p in second["profiles"]] == ["unchanged"] * 3
    assert [p["name"] for p in first["profiles"]] == list(BUILTIN_FILES)
    seccomp_dir = kubelet / "seccomp"
    assert first["seccomp_dir"] == str(seccomp_dir)
    assert files_under(seccomp_dir) == sorted(BUILTIN_FILES)
    for entry in first["profiles"]:
        data = open(entry["path"], "rb").read()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert stat.S_IMODE(os.stat(entry["path"]).st_mode) == 0o644
        assert entry["bpf_instructions"] > 0
    assert stat.S_IMODE(os.stat(str(seccomp_dir / "kubernetes")).st_mode) == 0o755
    if os.geteuid() == 0:
        assert os.stat(first["profiles"][0]["path"]).st_uid == 0
    # Same engine, node's arch and kernel: the files are exactly what the filter derives.
    expected = P.builtin_profiles(None, arch=platform.machine(), kernel=platform.release())
    for name in expected:
        assert json.loads((seccomp_dir / "kubernetes" / (name + ".json")).read_text()) == expected[name]


@pytest.mark.skipif(platform.machine() not in ("x86_64", "aarch64"), reason="profiles/ ships x86_64 and aarch64")
def test_installed_files_equal_the_shipped_profiles(tmp_path):
    run_tasks(tmp_path, [profile_task(kubelet_root_dir=str(tmp_path))])
    for name in BUILTIN_FILES:
        shipped = os.path.join(ROOT, "profiles", platform.machine(), name)
        assert (tmp_path / "seccomp" / name).read_text() == open(shipped).read()


def test_check_mode_writes_nothing_and_diff_shows_the_text(tmp_path):
    kubelet = tmp_path / "kubelet"
    run = run_tasks(tmp_path, [profile_task(kubelet_root_dir=str(kubelet))], check=True, diff=True)
    result = run.results[0]
    assert result["changed"] is True
    assert [p["state"] for p in result["profiles"]] == ["created"] * 3
    assert not kubelet.exists()
    diffs = result["diff"]
    assert [d["after_header"] for d in diffs] == [str(kubelet / "seccomp" / n) for n in BUILTIN_FILES]
    assert json.loads(diffs[1]["after"])["defaultAction"] == "SCMP_ACT_LOG"
    assert diffs[0]["before"] == ""


def test_update_is_atomic_and_backed_up(tmp_path):
    target = tmp_path / "seccomp" / "kubernetes" / "default.json"
    target.parent.mkdir(parents=True)
    target.write_text('{"defaultAction": "SCMP_ACT_ALLOW"}\n')
    result = run_tasks(tmp_path, [profile_task(kubelet_root_dir=str(tmp_path), builtin=["default"], backup=True)]).results[0]
    entry = result["profiles"][0]
    assert entry["state"] == "updated" and result["changed"] is True
    assert open(entry["backup_file"]).read() == '{"defaultAction": "SCMP_ACT_ALLOW"}\n'
    assert json.loads(target.read_text())["defaultAction"] == "SCMP_ACT_ERRNO"
    leftovers = [n for n in os.listdir(str(target.parent)) if n.endswith(".tmp")]
    assert leftovers == []


@pytest.mark.parametrize("custom, message", [
    ({"defaultAction": "SCMP_ACT_BLOCK"},
     "profiles/bad.json is not a valid seccomp profile:\n- defaultAction: 'SCMP_ACT_BLOCK' is not a seccomp action; valid: SCMP_ACT_KILL"),
    ({"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_SPARC64"]},
     "profiles/bad.json is not a valid seccomp profile:\n- architectures: 'SCMP_ARCH_SPARC64' is not a seccomp architecture"),
    ({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}, {"names": ["write"], "action": "SCMP_ACT_PERMIT"}]},
     "profiles/bad.json is not a valid seccomp profile:\n- syscalls[1].action: 'SCMP_ACT_PERMIT' is not a seccomp action"),
])
def test_invalid_profile_is_rejected_and_nothing_is_written(tmp_path, custom, message):
    result = run_tasks(tmp_path, [profile_task(kubelet_root_dir=str(tmp_path / "kubelet"), profiles={"profiles/bad.json": custom})]).results[0]
    assert result.get("failed") is True
    assert message in result["msg"]
    assert not (tmp_path / "kubelet").exists(), "built-ins must not be written when a custom profile is invalid"


@pytest.mark.parametrize("name, message", [
    ("../escape.json", "'../escape.json' must not contain '..'"),
    ("team/../../escape.json", "must not contain '..'"),
    ("/etc/escape.json", "'/etc/escape.json' must be a relative path, not absolute"),
    ("linked/escape.json", "resolves to"),
])
def test_unsafe_names_are_refused(tmp_path, name, message):
    seccomp_dir = tmp_path / "seccomp"
    seccomp_dir.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (seccomp_dir / "linked").symlink_to(outside)
    result = run_tasks(tmp_path, [profile_task(kubelet_root_dir=str(tmp_path), builtin=[],
                                               profiles={name: {"defaultAction": "SCMP_ACT_LOG"}})]).results[0]
    assert result.get("failed") is True
    assert message in result["msg"], result["msg"]
    assert os.listdir(str(outside)) == []


def test_custom_moby_profile_is_resolved_to_plain_oci(tmp_path):
    arch_map = [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]},
                {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}]
    moby = {"defaultAction": "SCMP_ACT_ERRNO", "archMap": arch_map,
            "syscalls": [{"names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW"},
                         {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}}]}
    result = run_tasks(tmp_path, [profile_task(kubelet_root_dir=str(tmp_path), builtin=[], arch="aarch64",
                                               profiles={"team-a/app.json": moby})]).results[0]
    assert result["changed"] is True
    written = json.loads((tmp_path / "seccomp" / "team-a" / "app.json").read_text())
    assert written == {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"],
                       "syscalls": [{"names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW"}]}


@pytest.mark.skipif(platform.machine() != "x86_64", reason="the checked-in capture is from an x86_64 node")
def test_base_src_copies_a_captured_runtime_default(tmp_path):
    result = run_tasks(tmp_path, [profile_task(kubelet_root_dir=str(tmp_path), base_src=CAPTURE)]).results[0]
    assert result["changed"] is True
    with open(CAPTURE) as handle:
        captured = P.normalize_oci(json.load(handle)["linux"]["seccomp"])
    assert json.loads((tmp_path / "seccomp" / "kubernetes" / "default.json").read_text()) == captured


def test_absent_removes_files_and_the_empty_subdirectory(tmp_path):
    run = run_tasks(tmp_path, [profile_task(kubelet_root_dir=str(tmp_path)),
                               profile_task(kubelet_root_dir=str(tmp_path), state="absent"),
                               profile_task(kubelet_root_dir=str(tmp_path), state="absent")])
    dummy, removed, again = run.results
    assert [p["state"] for p in removed["profiles"]] == ["removed"] * 3 and removed["changed"] is True
    assert [p["state"] for p in again["profiles"]] == ["absent"] * 3 and again["changed"] is False
    assert os.listdir(str(tmp_path / "seccomp")) == []


def test_filter_renders_in_a_playbook(tmp_path):
    tasks = [{"name": "derive", "ansible.builtin.set_fact": {
        "built": "{{ None | k8s.seccomp_default.seccomp_builtin_profiles(arch='aarch64', capabilities=omit) }}"}},
        {"name": "show", "ansible.builtin.debug": {"var": "built"}},
        {"name": "bad base", "ansible.builtin.debug": {
            "msg": "{{ {'defaultAction': 'SCMP_ACT_NOPE'} | k8s.seccomp_default.seccomp_builtin_profiles }}"}, "ignore_errors": True}]
    derive, show, bad = run_tasks(tmp_path, tasks).results
    assert not derive.get("failed"), derive
    assert sorted(show["built"]) == ["audit-verbose", "default", "default-audit"]
    assert show["built"] == P.builtin_profiles(None, arch="aarch64")
    assert bad["failed"] is True and "defaultAction: 'SCMP_ACT_NOPE' is not a seccomp action" in bad["msg"]
