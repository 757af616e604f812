"""crio_default_profile given broken and hostile input: CRI-O files that are odd or not TOML, a profile of the wrong
shape, a drop-in that is a symlink or was edited since complain mode wrote it, a damaged record.

Every case runs the module the way Ansible does (tests/lib/badinput.run_module) on a copy of OpenShift's CRI-O files
(tests/data/nodes/openshift: crio.conf and crio.conf.d/00-default) in tmp_path/node, with reload off. A refusal must
name the file, the key and the value, and leave the tree byte-for-byte as it was. About 35 module runs, under 15 s.
"""

import json
import os
import shutil

import pytest

from lib.badinput import assert_refused, run_module, snapshot, warnings_of, write

NODES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "data", "nodes")
PROFILE = {"defaultAction": "SCMP_ACT_LOG", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}
TIMEOUT = 60  # a FIFO read would block forever: the run is killed instead of hanging the suite


@pytest.fixture
def node(tmp_path):
    root = tmp_path / "node"
    shutil.copytree(os.path.join(NODES, "openshift", "etc", "crio"), str(root / "etc" / "crio"))
    write(root / "seccomp" / "default-audit.json", PROFILE)
    return root


def options(node, **args):
    return dict(dict(config=str(node / "etc" / "crio" / "crio.conf"), drop_in=str(drop_in(node)),
                     state_dir=str(node / "state"), reload=False, profile=str(node / "seccomp" / "default-audit.json")),
                **args)


def drop_in(node):
    return node / "etc" / "crio" / "crio.conf.d" / "99-k8s-seccomp-default.conf"


def crio(node, tmp_path, **args):
    return run_module("crio_default_profile", options(node, **args), tmp_path, timeout=TIMEOUT)


def put(relative, data, mode=None):
    """A case that writes ``data`` at ``relative`` under the node."""
    def setup(node):
        write(node / relative, data, mode)
        return {}
    return setup


def profile_file(data, mode=None):
    return put("seccomp/default-audit.json", data, mode)


def fifo(relative):
    def setup(node):
        os.mkfifo(str(node / relative))
        return {}
    return setup


def directory(relative):
    def setup(node):
        (node / relative).mkdir(parents=True)
        return {}
    return setup


def drop_in_links_out(node):
    write(node / "elsewhere.conf", "[crio.runtime]\npids_limit = 2048\n")
    drop_in(node).symlink_to(node / "elsewhere.conf")
    return {}


def drop_in_links_inside(node):
    drop_in(node).symlink_to("00-default")
    return {}


def in_complain_mode(node, tmp_path):
    """The drop-in and record complain mode left behind (entered for real, by the module)."""
    write(drop_in(node), "# mine\n[crio.runtime]\npids_limit = 2048\n")
    result = crio(node, tmp_path)
    assert result.get("changed") is True, result


def record(node):
    return node / "state" / ("original-%s.json" % drop_in(node).name)


def edit_record(**fields):
    def setup(node):
        data = json.loads(record(node).read_text())
        data.update(fields)
        write(record(node), data)
        return dict(state="absent")
    return setup


CRIO_D = "etc/crio/crio.conf.d/"

# id: (setup(node) -> extra module args, words the message must hold ("{node}" is the node directory))
CASES = {
    # CRI-O's own files
    "config-is-a-directory": (lambda node: (node / "etc/crio/crio.conf").unlink() or directory("etc/crio/crio.conf")(node),
                              ["{node}/etc/crio/crio.conf: is a directory"]),
    "config-unreadable": (put("etc/crio/crio.conf", "[crio]\n", mode=0o000), ["{node}/etc/crio/crio.conf: is not readable"]),
    "config-not-utf8": (put("etc/crio/crio.conf", b"[crio]\n# caf\xe9\n"), ["{node}/etc/crio/crio.conf", "not UTF-8"]),
    "config-not-toml": (put("etc/crio/crio.conf", "[crio.runtime\n"), ["{node}/etc/crio/crio.conf is not valid TOML"]),
    "config-oversized": (put("etc/crio/crio.conf", "#" * (5 * 1024 * 1024)), ["{node}/etc/crio/crio.conf: is 5242880 bytes"]),
    "crio-a-string": (put("etc/crio/crio.conf", 'crio = "runtime"\n'),
                      ["{node}/etc/crio/crio.conf: crio: is not a table (found string 'runtime')"]),
    "crio-runtime-a-list": (put("etc/crio/crio.conf", "[crio]\nruntime = [1, 2]\n"),
                            ["{node}/etc/crio/crio.conf: crio.runtime: is not a table (found list [1, 2])"]),
    "seccomp-profile-a-number": (put(CRIO_D + "50-site.conf", "[crio.runtime]\nseccomp_profile = 5\n"),
                                 ["50-site.conf: [crio.runtime] seccomp_profile = 5 is not a string"]),
    "drop-in-dir-fifo-entry": (fifo(CRIO_D + "50-pipe"), ["{node}/etc/crio/crio.conf.d/50-pipe: is not a regular file"]),
    "drop-in-dir-unreadable-entry": (put(CRIO_D + "50-site.conf", "[crio]\n", mode=0o000),
                                     ["{node}/etc/crio/crio.conf.d/50-site.conf: is not readable"]),
    "drop-in-dir-is-a-file": (lambda node: shutil.rmtree(str(node / CRIO_D)) or put(CRIO_D.rstrip("/"), "x\n")(node),
                              ["{node}/etc/crio/crio.conf.d: is not a directory"]),
    # our drop-in
    "drop-in-is-a-directory": (directory(CRIO_D + "99-k8s-seccomp-default.conf"), ["99-k8s-seccomp-default.conf: is a directory"]),
    "drop-in-is-a-fifo": (fifo(CRIO_D + "99-k8s-seccomp-default.conf"), ["99-k8s-seccomp-default.conf: is not a regular file"]),
    "drop-in-not-toml": (put(CRIO_D + "99-k8s-seccomp-default.conf", "[crio.runtime\n"),
                         ["99-k8s-seccomp-default.conf cannot be changed safely", "[crio.runtime is not closed"]),
    "drop-in-not-utf8": (put(CRIO_D + "99-k8s-seccomp-default.conf", b"# \xff\n"), ["99-k8s-seccomp-default.conf", "not UTF-8"]),
    "drop-in-links-out": (drop_in_links_out, ["99-k8s-seccomp-default.conf: drop_in: is a symlink (to {node}/elsewhere.conf)"]),
    "drop-in-links-inside": (drop_in_links_inside, ["99-k8s-seccomp-default.conf: drop_in: is a symlink (to 00-default)"]),
    "state-dir-is-a-file": (put("state", "x\n"), ["{node}/state: is not a directory, and {node}/state/original-99"]),
    "drop-in-dir-read-only": (lambda node: os.chmod(str(node / CRIO_D), 0o555) or {},
                              ["{node}/etc/crio/crio.conf.d: cannot be written by this user"]),
    # the profile RuntimeDefault is to mean
    "profile-missing": (lambda node: (node / "seccomp/default-audit.json").unlink() or {}, ["default-audit.json does not exist"]),
    "profile-is-a-directory": (lambda node: dict(profile=str(node / "seccomp")), ["{node}/seccomp: is a directory"]),
    "profile-fifo": (lambda node: os.mkfifo(str(node / "p.json")) or dict(profile=str(node / "p.json")),
                     ["{node}/p.json: is not a regular file"]),
    "profile-unreadable": (profile_file(PROFILE, mode=0o000), ["default-audit.json: is not readable"]),
    "profile-not-utf8": (profile_file(b'{"defaultAction": "\xff"}'), ["default-audit.json: is not UTF-8"]),
    "profile-not-json": (profile_file("defaultAction: SCMP_ACT_LOG\n"), ["default-audit.json is not a valid seccomp profile", "not JSON"]),
    "profile-a-list": (profile_file([PROFILE]), ["default-audit.json", "defaultAction: missing"]),
    "profile-without-default-action": (profile_file({"syscalls": []}), ["default-audit.json", "defaultAction: missing"]),
    "profile-syscalls-a-string": (profile_file(dict(PROFILE, syscalls="read")), ["syscalls: 'read' is not a list"]),
    "profile-names-a-string": (profile_file(dict(PROFILE, syscalls=[{"names": "read", "action": "SCMP_ACT_ALLOW"}])),
                               ["syscalls[0].names: 'read' is not a list"]),
    "profile-architectures-a-string": (profile_file(dict(PROFILE, architectures="SCMP_ARCH_X86_64")),
                                       ["architectures: 'SCMP_ARCH_X86_64' is not a list"]),
    "profile-bad-action": (profile_file(dict(PROFILE, defaultAction="SCMP_ACT_BLOCK")), ["defaultAction: 'SCMP_ACT_BLOCK'"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_refused_naming_what_is_wrong_and_nothing_changes(node, tmp_path, case):
    setup, words = CASES[case]
    args = setup(node)
    before = snapshot(node)
    result = crio(node, tmp_path, **args)
    assert_refused(result, *[word.replace("{node}", str(node)) for word in words])
    assert snapshot(node) == before


# Leaving complain mode: the record and the drop-in are checked before the original goes back.
LEAVING = {
    "record-not-json": (put("state/original-99-k8s-seccomp-default.conf.json", "{"),
                        ["original-99-k8s-seccomp-default.conf.json", "does not hold what complain mode replaced"]),
    "record-a-list": (put("state/original-99-k8s-seccomp-default.conf.json", "[]"), ["does not hold what complain mode replaced"]),
    "record-content-a-number": (edit_record(content=5), ["original-99-k8s-seccomp-default.conf.json: content: is of the wrong type"]),
    "record-content-not-base64": (edit_record(content="***"), ["content: is not base64"]),
    "record-mode-a-string": (edit_record(mode="0644"), ["mode: is of the wrong type (found string '0644')"]),
    "record-of-another-drop-in": (edit_record(path="/etc/crio/crio.conf.d/other.conf"), ["path: is the record of another drop-in"]),
    "record-is-a-directory": (lambda node: record(node).unlink() or record(node).mkdir() or dict(state="absent"),
                              ["original-99-k8s-seccomp-default.conf.json: is a directory"]),
    "drop-in-edited-since": (lambda node: not write(drop_in(node), drop_in(node).read_text() + "log_level = \"debug\"\n")
                             or dict(state="absent"), ["99-k8s-seccomp-default.conf: has changed since complain mode wrote it"]),
}


@pytest.mark.parametrize("case", sorted(LEAVING))
def test_leaving_complain_mode_refuses_a_damaged_record_or_an_edited_drop_in(node, tmp_path, case):
    in_complain_mode(node, tmp_path)
    setup, words = LEAVING[case]
    args = setup(node)
    args.setdefault("state", "absent")
    before = snapshot(node)
    result = crio(node, tmp_path, **args)
    assert_refused(result, *[word.replace("{node}", str(node)) for word in words])
    assert snapshot(node) == before


def test_a_drop_in_given_a_new_profile_since_is_still_put_back(node, tmp_path):
    """What complain mode itself wrote (another profile, on a second run) is ours: leaving puts the original back."""
    in_complain_mode(node, tmp_path)
    write(node / "seccomp" / "other.json", PROFILE)
    assert crio(node, tmp_path, profile=str(node / "seccomp" / "other.json"))["changed"] is True
    left = crio(node, tmp_path, state="absent")
    assert left.get("failed") is not True, left
    assert drop_in(node).read_text() == "# mine\n[crio.runtime]\npids_limit = 2048\n"


def test_unknown_capabilities_in_the_profile_are_task_warnings(node, tmp_path):
    moby = dict(PROFILE, syscalls=[{"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMN"]}}])
    write(node / "seccomp" / "default-audit.json", moby)
    result = crio(node, tmp_path, _ansible_check_mode=True)
    assert result.get("failed") is not True, result
    assert any("CAP_SYS_ADMN is not a Linux capability" in text for text in warnings_of(result)), result


def test_check_mode_shows_the_drop_in_for_a_profile_not_installed_yet(node, tmp_path):
    """A rollout in check mode installs the built-in profiles in a step that wrote nothing: the plan still shows
    CRI-O's drop-in as a real run writes it, with a warning naming the profile; a real run refuses to write it."""
    (node / "seccomp" / "default-audit.json").unlink()
    before = snapshot(node)
    planned = crio(node, tmp_path, _ansible_check_mode=True, _ansible_diff=True)
    assert planned.get("failed") is not True, planned
    assert planned["changed"] is True
    assert 'seccomp_profile = "%s"' % (node / "seccomp" / "default-audit.json") in planned["diff"]["after"], planned["diff"]
    assert any("default-audit.json does not exist yet" in text for text in warnings_of(planned)), planned
    assert snapshot(node) == before
    assert_refused(crio(node, tmp_path), "default-audit.json does not exist: install the built-in profiles first")
    assert snapshot(node) == before
