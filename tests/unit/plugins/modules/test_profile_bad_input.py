"""profile given broken and hostile input: odd files where the seccomp directory or base_src should be, profiles of
the wrong shape, paths that lead out of the kubelet's seccomp directory.

Every case runs the module the way Ansible does (tests/lib/badinput.run_module) on real files in tmp_path/node.
A refusal must name the file or field and the value, and leave the tree byte-for-byte as it was (no profile
half-installed, no temporary file). What is installed all the same (an unknown syscall name or capability) must
reach the user as a task warning, not only inside the result. About 40 module runs, under 20 s.
"""

import json
import os

import pytest

from lib.badinput import assert_refused, run_module, snapshot, warnings_of, write

OCI = {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}
TIMEOUT = 60  # a FIFO read would block forever: the run is killed instead of hanging the suite


@pytest.fixture
def node(tmp_path):
    root = tmp_path / "node"
    (root / "kubelet").mkdir(parents=True)
    return root


def profile(node, tmp_path, **args):
    args = dict(dict(kubelet_root_dir=str(node / "kubelet")), **args)
    return run_module("profile", args, tmp_path, timeout=TIMEOUT)


def base_src(data, mode=None):
    """A case whose base_src file holds ``data``."""
    def setup(node):
        return dict(base_src=write(node / "base.json", data, mode))
    return setup


def custom(value, name="team/app.json"):
    def setup(node):
        return dict(builtin=[], profiles={name: value})
    return setup


def seccomp_dir_is_a_file(node):
    write(node / "kubelet" / "seccomp", "not a directory\n")
    return {}


def subdir_is_a_file(node):
    write(node / "kubelet" / "seccomp" / "kubernetes", "not a directory\n")
    return {}


def profile_is_a_directory(node):
    (node / "kubelet" / "seccomp" / "kubernetes" / "default-audit.json").mkdir(parents=True)
    return {}


def profile_links_out(node):
    (node / "kubelet" / "seccomp" / "team").mkdir(parents=True)
    write(node / "elsewhere.json", "{}\n")
    (node / "kubelet" / "seccomp" / "team" / "app.json").symlink_to(node / "elsewhere.json")
    return dict(builtin=[], profiles={"team/app.json": OCI})


def directory_links_out(node):
    (node / "outside").mkdir()
    (node / "kubelet" / "seccomp").mkdir()
    (node / "kubelet" / "seccomp" / "team").symlink_to(node / "outside")
    return dict(builtin=[], profiles={"team/app.json": OCI})


def second_profile_unreadable(node):
    """default.json would be written first; default-audit.json cannot be read, so nothing may be written."""
    write(node / "kubelet" / "seccomp" / "kubernetes" / "default-audit.json", "{}\n", mode=0o000)
    return {}


def seccomp_dir_read_only(node):
    (node / "kubelet" / "seccomp").mkdir(mode=0o555)
    return {}


def base_src_fifo(node):
    os.mkfifo(str(node / "base.fifo"))
    return dict(base_src=str(node / "base.fifo"))


def base_src_directory(node):
    (node / "base.d").mkdir()
    return dict(base_src=str(node / "base.d"))


def base_src_through_a_file(node):
    write(node / "file", "x\n")
    return dict(base_src=str(node / "file" / "base.json"))


def base_src_missing(node):
    return dict(base_src=str(node / "missing.json"))


def symlink_loop(node):
    (node / "kubelet" / "seccomp").mkdir()
    os.symlink("loop.json", str(node / "kubelet" / "seccomp" / "loop.json"))
    return dict(builtin=[], profiles={"loop.json": OCI})


# id: (setup(node) -> module args, words the message must hold ("{node}" is the node directory))
CASES = {
    # the kubelet's seccomp directory and what is under it
    "seccomp-root-is-a-file": (seccomp_dir_is_a_file, ["{node}/kubelet/seccomp: is a file where a directory belongs"]),
    "subdir-is-a-file": (subdir_is_a_file, ["{node}/kubelet/seccomp/kubernetes: is a file"]),
    "profile-path-is-a-directory": (profile_is_a_directory, ["default-audit.json: is a directory"]),
    "profile-is-a-symlink-out": (profile_links_out, ["'team/app.json' resolves to", "outside"]),
    "directory-is-a-symlink-out": (directory_links_out, ["'team/app.json' resolves to", "outside"]),
    "profile-is-a-symlink-loop": (symlink_loop, ["loop.json: is a symlink loop"]),
    "second-profile-unreadable": (second_profile_unreadable, ["default-audit.json: is not readable"]),
    "seccomp-dir-read-only": (seccomp_dir_read_only, ["{node}/kubelet/seccomp: cannot be written by this user"]),
    "subdir-escapes": (lambda node: dict(subdir="../elsewhere"), ["subdir: '../elsewhere' must not contain '..'"]),
    "subdir-absolute": (lambda node: dict(subdir="/etc"), ["subdir: '/etc' must be a relative path"]),
    # base_src: odd files
    "base-src-directory": (base_src_directory, ["{node}/base.d: is a directory"]),
    "base-src-fifo": (base_src_fifo, ["{node}/base.fifo: is not a regular file"]),
    "base-src-unreadable": (base_src(OCI, mode=0o000), ["{node}/base.json: is not readable"]),
    "base-src-not-utf8": (base_src(b'{"defaultAction": "SCMP_ACT_ERRNO\xff"}'), ["{node}/base.json: is not UTF-8"]),
    "base-src-through-a-file": (base_src_through_a_file, ["{node}/file/base.json: runs through something"]),
    "base-src-missing": (base_src_missing, ["{node}/missing.json: does not exist"]),
    "base-src-empty": (base_src(""), ["{node}/base.json is not a valid seccomp profile", "not JSON"]),
    "base-src-not-json": (base_src("defaultAction: SCMP_ACT_ERRNO\n"), ["{node}/base.json is not a valid", "not JSON"]),
    "base-src-deeply-nested": (base_src("[" * 100000 + "]" * 100000), ["{node}/base.json", "nested too deeply"]),
    # base_src: JSON of the wrong shape
    "base-src-a-list": (base_src([OCI]), ["{node}/base.json", "top level: expected a JSON object, got list"]),
    "no-default-action": (base_src({"syscalls": []}), ["{node}/base.json", "defaultAction: missing"]),
    "default-action-a-list": (base_src({"defaultAction": ["SCMP_ACT_ERRNO"]}), ["defaultAction: [\"SCMP_ACT_ERRNO\"] is not a string"]),
    "syscalls-a-string": (base_src(dict(OCI, syscalls="read")), ["{node}/base.json", "syscalls: 'read' is not a list"]),
    "syscalls-a-number": (base_src(dict(OCI, syscalls=5)), ["syscalls: 5 is not a list"]),
    "rule-a-string": (base_src(dict(OCI, syscalls=["read"])), ["syscalls[0]: expected an object with names and action, got 'read'"]),
    "names-a-string": (base_src(dict(OCI, syscalls=[{"names": "read", "action": "SCMP_ACT_ALLOW"}])),
                       ["syscalls[0].names: 'read' is not a list"]),
    "architectures-a-string": (base_src(dict(OCI, architectures="SCMP_ARCH_X86_64")),
                               ["architectures: 'SCMP_ARCH_X86_64' is not a list"]),
    "architectures-of-lists": (base_src(dict(OCI, architectures=[["SCMP_ARCH_X86_64"]])),
                               ["architectures: [\"SCMP_ARCH_X86_64\"] is not a string"]),
    "flags-a-number": (base_src(dict(OCI, flags=1)), ["flags: 1 is not a list"]),
    "args-op-a-list": (base_src(dict(OCI, syscalls=[{"names": ["read"], "action": "SCMP_ACT_ALLOW",
                                                     "args": [{"index": 0, "value": 1, "op": ["SCMP_CMP_EQ"]}]}])),
                       ["syscalls[0].args[0].op: [\"SCMP_CMP_EQ\"] is not a comparison operator"]),
    "moby-arch-map-of-strings": (base_src(dict(OCI, archMap=["SCMP_ARCH_X86_64"])),
                                 ["archMap[0]: 'SCMP_ARCH_X86_64' is not an object"]),
    "moby-sub-architectures-a-number": (base_src(dict(OCI, archMap=[{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": 3}])),
                                        ["archMap[0].subArchitectures: 3 is not a list"]),
    "moby-caps-a-string": (base_src(dict(OCI, syscalls=[{"names": ["mount"], "action": "SCMP_ACT_ALLOW",
                                                         "includes": {"caps": "CAP_SYS_ADMIN"}}])),
                           ["syscalls[0].includes.caps: 'CAP_SYS_ADMIN' is not a list"]),
    "crictl-linux-a-string": (base_src({"info": {"runtimeSpec": {"linux": "seccomp"}}}),
                              ["linux: 'seccomp' in this crictl inspect output is not an object"]),
    "crictl-seccomp-a-list": (base_src({"info": {"runtimeSpec": {"linux": {"seccomp": []}}}}),
                              ["linux.seccomp: [] in this crictl inspect output is not an object"]),
    # custom profiles given inline
    "custom-a-number": (custom(5), ["team/app.json is not a valid seccomp profile", "got number"]),
    "custom-null": (custom(None), ["team/app.json", "got null"]),
    "custom-name-with-nul": (custom(OCI, name="team/a\0b.json"), ["must not contain a NUL byte"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_refused_naming_what_is_wrong_and_nothing_changes(node, tmp_path, case):
    setup, words = CASES[case]
    args = setup(node)
    before = snapshot(node)
    result = profile(node, tmp_path, **args)
    assert_refused(result, *[word.replace("{node}", str(node)) for word in words])
    assert snapshot(node) == before


def test_a_valid_built_in_is_not_written_when_a_custom_profile_is_bad(node, tmp_path):
    before = snapshot(node)
    result = profile(node, tmp_path, profiles={"team/app.json": {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": "read"}})
    assert_refused(result, "team/app.json", "syscalls: 'read' is not a list")
    assert snapshot(node) == before


def test_unknown_syscall_names_and_capabilities_are_task_warnings(node, tmp_path):
    moby = {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
        {"names": ["read", "no_such_call"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMN"]}}]}
    result = profile(node, tmp_path, builtin=[], capabilities=["CAP_CHOWN", "NET_ADMN"], profiles={"team/app.json": moby})
    assert result.get("failed") is not True, result
    warned = "\n".join(warnings_of(result))
    assert "team/app.json: syscalls[0].names: no_such_call unknown to libseccomp" in warned or "libseccomp is not available" in warned
    assert "capabilities: CAP_NET_ADMN is not a Linux capability" in warned
    assert "team/app.json: syscalls[1].includes.caps: CAP_SYS_ADMN is not a Linux capability" in warned
    # still in the result, per profile, as before
    assert any("no_such_call" in text for text in result["profiles"][0]["warnings"]) or "libseccomp is not available" in warned


def test_a_link_inside_the_seccomp_directory_is_written_through_and_kept(node, tmp_path):
    seccomp = node / "kubelet" / "seccomp"
    write(seccomp / "shared" / "app.json", "{}\n")
    (seccomp / "team").mkdir()
    (seccomp / "team" / "app.json").symlink_to("../shared/app.json")
    result = profile(node, tmp_path, builtin=[], profiles={"team/app.json": OCI})
    assert result.get("failed") is not True, result
    assert os.readlink(str(seccomp / "team" / "app.json")) == "../shared/app.json"
    assert json.loads((seccomp / "shared" / "app.json").read_text()) == OCI
