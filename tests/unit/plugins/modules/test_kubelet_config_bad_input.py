"""kubelet_config given broken and hostile input (issue 16, classes 2, 5, 6 and 7).

Each case runs the module as Ansible does (a subprocess; as root without CAP_DAC_OVERRIDE, so file modes hold)
against kubelet files laid out in a scratch directory, and asserts: the task failed without a traceback, the
message names the file, field or value it should, and the tree is byte for byte what it was (sha256, mode, link
target), with no temporary file left. The few cases that must succeed (a symlinked config edited and restored)
check that the link is still a link.
"""

import hashlib
import json
import os
import shutil

import pytest

from lib.badinput import assert_refused, run_module, snapshot

HEADER = "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
CONFIG = HEADER + "# the runtime's cgroup driver\ncgroupDriver: systemd\n"
VERSION = "1.30.4"


def write(path, data, mode=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    if mode is not None:
        os.chmod(str(path), mode)
    return str(path)


def fifo(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(str(path))
    return str(path)


def in_place(config, **extra):
    return dict(dict(version=VERSION, config=config, seccomp_default=True, method="in_place"), **extra)


def drop_in(root, drop_in_text=None, **extra):
    """A kubelet with --config and --config-dir; ``drop_in_text`` is a site drop-in (10-site.conf)."""
    config_dir = root / "etc" / "kubelet.conf.d"
    config_dir.mkdir(parents=True, exist_ok=True)
    if drop_in_text is not None:
        write(config_dir / "10-site.conf", drop_in_text)
    args = dict(version=VERSION, config=write(root / "etc" / "kubelet-config.yaml", CONFIG), config_dir=str(config_dir),
                seccomp_default=True, method="drop_in")
    args.update(extra)
    return args


# An alias bomb: nine levels of nine aliases each, about 387 million strings when expanded.
LEVELS = "abcdefghi"
BOMB = HEADER + "a: &a [%s]\n" % ",".join(['"lol"'] * 9) + "".join(
    "%s: &%s [%s]\n" % (name, name, ",".join(["*" + LEVELS[level - 1]] * 9)) for level, name in enumerate(LEVELS) if level)


def deep_json(levels):
    return '{"apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration", "x": %s%s}' % (
        "[" * levels, "]" * levels)


def config(root, text=CONFIG, name="kubelet-config.yaml", mode=None):
    return write(root / "etc" / name, text, mode)


def config_dir_with(root, name, make):
    """A drop-in layout whose --config-dir holds ``name`` made by ``make(path)``."""
    args = drop_in(root)
    make(root / "etc" / "kubelet.conf.d" / name)
    return args


def directory(path):
    path.mkdir(parents=True)
    return str(path)


def symlink(target, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, str(path))
    return str(path)


def kubeadm_patch(root, name, make, **extra):
    make(root / "patches" / name)
    return in_place(config(root), method="kubeadm_patch", kubeadm=True, patches_dir=str(root / "patches"), **extra)


def our_drop_in_linked(root):
    """Our drop-in is the user's symlink; on 1.30 its stale gate goes and the file would be removed."""
    args = drop_in(root, seccomp_default=None)
    write(root / "shared" / "ours.conf", HEADER + "featureGates:\n  SeccompDefault: true\n")
    symlink("../../shared/ours.conf", root / "etc" / "kubelet.conf.d" / "90-seccomp-default.conf")
    return args


# (setup(root) -> module arguments, words the message must have); a word with a '/' is a path under root.
FILE_CASES = [
    pytest.param(lambda root: in_place(directory(root / "etc" / "kubelet-config.yaml")),
                 ["etc/kubelet-config.yaml", "is a directory"], id="config-is-a-directory"),
    pytest.param(lambda root: in_place(config(root, mode=0o000)),
                 ["etc/kubelet-config.yaml", "not readable"], id="config-unreadable-mode-000"),
    pytest.param(lambda root: in_place(config(root, CONFIG.encode() + b"x: \xff\xfe\n")),
                 ["etc/kubelet-config.yaml", "not UTF-8"], id="config-not-utf8"),
    pytest.param(lambda root: in_place(fifo(root / "etc" / "kubelet-config.yaml")),
                 ["etc/kubelet-config.yaml", "not a regular file"], id="config-is-a-fifo"),
    pytest.param(lambda root: in_place(write(root / "etc", "a file") + "/kubelet-config.yaml"),
                 ["etc/kubelet-config.yaml", "runs through something that is not a directory"], id="config-runs-through-a-file"),
    pytest.param(lambda root: in_place(config(root, CONFIG + "# " + "x" * (2 * 1024 * 1024) + "\n")),
                 ["etc/kubelet-config.yaml", "larger than"], id="config-oversized"),
    pytest.param(lambda root: in_place(symlink("gone.yaml", root / "etc" / "kubelet-config.yaml")),
                 ["etc/kubelet-config.yaml", "symlink to gone.yaml, which does not exist"], id="config-dangling-symlink"),
    pytest.param(lambda root: in_place(config(root, BOMB)),
                 ["etc/kubelet-config.yaml", "anchor (&a)"], id="yaml-alias-bomb"),
    pytest.param(lambda root: in_place(config(root, CONFIG + "featureGates: *gates\n")),
                 ["etc/kubelet-config.yaml", "alias (*gates)"], id="yaml-alias"),
    pytest.param(lambda root: in_place(config(root, deep_json(50000), "kubelet-config.json")),
                 ["etc/kubelet-config.json", "nested more than"], id="json-nested-too-deep-to-parse"),
    pytest.param(lambda root: in_place(config(root, deep_json(900), "kubelet-config.json")),
                 ["etc/kubelet-config.json", "nested more than"], id="json-nested-too-deep-to-copy"),
    pytest.param(lambda root: in_place(config(root, CONFIG + 'featureGates: "x"\n')),
                 ["etc/kubelet-config.yaml", "featureGates is 'x'", "expected a map"], id="featureGates-a-string"),
    pytest.param(lambda root: in_place(config(root, CONFIG + 'seccompDefault: "yes"\n')),
                 ["etc/kubelet-config.yaml", "seccompDefault is 'yes'", "expected true or false"], id="seccompDefault-a-string"),
    pytest.param(lambda root: in_place(config(root, CONFIG + "featureGates:\n  SeccompDefault: 1\n")),
                 ["etc/kubelet-config.yaml", "featureGates.SeccompDefault is 1"], id="gate-a-number"),
    pytest.param(lambda root: in_place(config(root, "- apiVersion: v1\n")),
                 ["etc/kubelet-config.yaml", "must be a YAML map, not a list"], id="top-level-a-list"),
    pytest.param(lambda root: in_place(config(root, "just some text\n")),
                 ["etc/kubelet-config.yaml", "must be a YAML map, not a string"], id="top-level-a-string"),
    pytest.param(lambda root: in_place(config(root, '[{"kind": "KubeletConfiguration"}]\n', "kubelet-config.json")),
                 ["etc/kubelet-config.json", "must be a YAML map, not a list"], id="json-top-level-a-list"),
    pytest.param(lambda root: config_dir_with(root, "10-site.conf", fifo),
                 ["etc/kubelet.conf.d/10-site.conf", "not a regular file"], id="drop-in-is-a-fifo"),
    pytest.param(lambda root: config_dir_with(root, "20-latin1.conf", lambda path: write(path, (HEADER + "# caf\xe9\n").encode("latin-1"))),
                 ["etc/kubelet.conf.d/20-latin1.conf", "not UTF-8"], id="drop-in-not-utf8"),
    pytest.param(lambda root: drop_in(root, HEADER + "featureGates: [SeccompDefault]\n"),
                 ["etc/kubelet.conf.d/10-site.conf", "featureGates is ['SeccompDefault']"], id="drop-in-featureGates-a-list"),
    pytest.param(lambda root: config_dir_with(root, "50-dir.conf", lambda path: symlink("/", path)),
                 ["etc/kubelet.conf.d/50-dir.conf", "is a directory"], id="drop-in-symlink-to-a-directory"),
    pytest.param(lambda root: dict(drop_in(root), config_dir=write(root / "etc" / "conf.d-file", "x")),
                 ["etc/conf.d-file", "not a directory", "config_dir"], id="config-dir-is-a-file"),
    pytest.param(lambda root: config_dir_with(root, ".", lambda path: os.chmod(str(path), 0o300)),
                 ["etc/kubelet.conf.d", "cannot be listed"], id="config-dir-unlistable"),
    pytest.param(lambda root: in_place(config(root), env_files=[write(root / "etc" / "default" / "kubelet", b"A=\"--v=2 \xe9\"\n")]),
                 ["etc/default/kubelet", "not UTF-8"], id="env-file-not-utf8"),
    pytest.param(lambda root: in_place(config(root), env_files=[directory(root / "etc" / "default" / "kubelet")]),
                 ["etc/default/kubelet", "is a directory"], id="env-file-is-a-directory"),
    pytest.param(lambda root: kubeadm_patch(root, "kubeletconfiguration99+json.yaml", lambda path: write(path, "- remove seccompDefault\n")),
                 ["patches/kubeletconfiguration99+json.yaml", "[0]", "not an RFC 6902 operation"], id="json-patch-operation-a-string"),
    pytest.param(lambda root: kubeadm_patch(root, "kubeletconfiguration99+merge.yaml", fifo),
                 ["patches/kubeletconfiguration99+merge.yaml", "not a regular file"], id="patch-is-a-fifo"),
    pytest.param(lambda root: in_place(config(root), method="kubeadm_patch", patches_dir=write(root / "patches", "a file")),
                 ["patches/", "not a directory"], id="patches-dir-is-a-file"),
    pytest.param(lambda root: drop_in(root, drop_in_name="90-x\0.conf", _ansible_no_log=True),
                 ["drop_in_name", "NUL"], id="drop-in-name-with-a-nul"),
    pytest.param(lambda root: drop_in(root, drop_in_name="../../escape.conf"),
                 ["drop_in_name", "not a plain file name"], id="drop-in-name-a-path"),
    pytest.param(lambda root: in_place(config(root) + "\0x", _ansible_no_log=True),
                 ["config", "NUL"], id="config-path-with-a-nul"),
    pytest.param(lambda root: in_place(config(root), version="1." + "9" * 5000),
                 ["is not a Kubernetes version"], id="version-of-thousands-of-digits"),
    pytest.param(our_drop_in_linked,
                 ["etc/kubelet.conf.d/90-seccomp-default.conf", "is a symlink to", "does not remove links"],
                 id="our-drop-in-to-remove-is-a-symlink"),
]


def check_refused(tmp_path, setup, words):
    root = tmp_path / "node"
    root.mkdir()
    args = setup(root)
    before = snapshot(root)
    result = run_module("kubelet_config", args, tmp_path)
    after = snapshot(root)
    assert_refused(result, *[str(root / word).rstrip("/") if "/" in word else word for word in words])
    assert after == before


@pytest.mark.parametrize("setup, words", FILE_CASES)
def test_odd_files_and_fields_fail_naming_them_and_change_nothing(tmp_path, setup, words):
    check_refused(tmp_path, setup, words)


# --- symlinks: kept, their target written (as lineinfile does) ---

def linked_config(root):
    """/etc/kubernetes/kubelet-config.yaml -> ../../shared/kubelet-config.yaml, as config management lays it out."""
    target = write(root / "shared" / "kubelet-config.yaml", CONFIG, 0o640)
    link = root / "etc" / "kubernetes" / "kubelet-config.yaml"
    link.parent.mkdir(parents=True)
    os.symlink("../../shared/kubelet-config.yaml", str(link))
    return str(link), target


def test_a_symlinked_config_stays_a_link_and_its_target_is_edited_and_restored(tmp_path):
    root = tmp_path / "node"
    link, target = linked_config(root)
    result = run_module("kubelet_config", in_place(link), tmp_path)
    assert result.get("changed") is True, result
    assert os.readlink(link) == "../../shared/kubelet-config.yaml"
    with open(target) as handle:
        assert "seccompDefault: true" in handle.read()
    assert os.stat(target).st_mode & 0o777 == 0o640
    assert not [name for name in os.listdir(os.path.dirname(target)) if name.endswith(".tmp")]
    restored = run_module("kubelet_config", dict(version=VERSION, restore=result["files"]), tmp_path)
    assert restored.get("changed") is True, restored
    assert os.path.islink(link) and open(target).read() == CONFIG


def test_a_symlinked_drop_in_and_env_file_stay_links(tmp_path):
    root = tmp_path / "node"
    args = drop_in(root)
    ours = root / "etc" / "kubelet.conf.d" / "90-seccomp-default.conf"
    write(root / "shared" / "ours.conf", HEADER + "seccompDefault: false\n")
    os.symlink("../../shared/ours.conf", str(ours))
    env = write(root / "shared" / "kubelet.env", 'KUBELET_EXTRA_ARGS="--v=2 --seccomp-default"\n')
    os.symlink("../shared/kubelet.env", str(root / "etc" / "kubelet.env"))
    result = run_module("kubelet_config", dict(args, env_files=[str(root / "etc" / "kubelet.env")]), tmp_path)
    assert result.get("changed") is True, result
    assert os.path.islink(str(ours)) and os.path.islink(str(root / "etc" / "kubelet.env"))
    assert "seccompDefault: true" in (root / "shared" / "ours.conf").read_text()
    assert open(env).read() == 'KUBELET_EXTRA_ARGS="--v=2 --seccomp-default"\n'  # nothing to change there


# --- restore: never delete or overwrite what we did not leave ---

STALE = CONFIG + "featureGates:\n  SeccompDefault: true\n"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """One real run on a 1.30 node with a drop-in directory: the config is updated (its stale gate removed, a backup
    kept beside it) and our drop-in created. (tree, files record); each test restores a copy of the tree."""
    scratch = tmp_path_factory.mktemp("recorded")
    root = scratch / "node"
    args = drop_in(root)
    write(root / "etc" / "kubelet-config.yaml", STALE)
    result = run_module("kubelet_config", args, scratch)
    assert [entry["state"] for entry in result["files"]] == ["updated", "created"], result
    return root, result["files"]


@pytest.fixture
def node(tmp_path, recorded):
    """A copy of the recorded node under tmp_path/node, and its record with the paths moved there."""
    template, files = recorded
    root = tmp_path / "node"
    shutil.copytree(str(template), str(root), symlinks=True)
    moved = json.loads(json.dumps(files).replace(json.dumps(str(template))[1:-1], json.dumps(str(root))[1:-1]))
    return root, moved


def entry_for(files, name):
    return [entry for entry in files if entry["path"].endswith(name)][0]


def restore(tmp_path, files):
    return run_module("kubelet_config", dict(version=VERSION, restore=files), tmp_path)


def test_restore_puts_back_both_files_and_a_second_restore_changes_nothing(tmp_path, node):
    root, files = node
    assert restore(tmp_path, files).get("changed") is True
    assert (root / "etc" / "kubelet-config.yaml").read_text() == STALE
    assert not (root / "etc" / "kubelet.conf.d" / "90-seccomp-default.conf").exists()
    before = snapshot(root)
    again = restore(tmp_path, files)
    assert again.get("changed") is False and not again.get("failed"), again
    assert snapshot(root) == before


def test_restore_refuses_to_delete_a_created_file_edited_since_and_touches_no_other(tmp_path, node):
    """The config could be put back; our drop-in was edited since: neither is touched."""
    root, files = node
    ours = root / "etc" / "kubelet.conf.d" / "90-seccomp-default.conf"
    ours.write_text(ours.read_text() + "maxPods: 250  # the user's later edit\n")
    before = snapshot(root)
    assert_refused(restore(tmp_path, files), str(ours), entry_for(files, "90-seccomp-default.conf")["after_sha256"],
                   hashlib.sha256(ours.read_bytes()).hexdigest(), "was changed after the run", "delete it by hand",
                   "remove its entry from restore", "Nothing was restored")
    assert snapshot(root) == before


def test_restore_refuses_to_overwrite_an_updated_file_edited_since(tmp_path, node):
    root, files = node
    config = root / "etc" / "kubelet-config.yaml"
    config.write_text(config.read_text() + "maxPods: 250\n")
    before = snapshot(root)
    assert_refused(restore(tmp_path, files), str(config), entry_for(files, "kubelet-config.yaml")["backup"], "merge by hand")
    assert snapshot(root) == before


def test_restore_refuses_a_file_removed_and_recreated_since(tmp_path):
    root = tmp_path / "node"
    args = drop_in(root, seccomp_default=None)
    ours = root / "etc" / "kubelet.conf.d" / "90-seccomp-default.conf"
    write(ours, HEADER + "featureGates:\n  SeccompDefault: true\n")  # 1.30 refuses the gate: the drop-in goes
    result = run_module("kubelet_config", args, tmp_path)
    assert entry_for(result["files"], "90-seccomp-default.conf")["state"] == "removed", result
    write(ours, HEADER + "maxPods: 250\n")
    before = snapshot(root)
    assert_refused(restore(tmp_path, result["files"]), str(ours), "that run left no file there")
    assert snapshot(root) == before


def corrupt(field, value):
    def change(files, root):
        entry = entry_for(files, "kubelet-config.yaml")
        entry[field] = value(root, entry) if callable(value) else value
        return files
    return change


def stolen_backup(root, entry):
    """A file outside the config's directory whose checksum matches the record: restore must not copy it in."""
    return write(root / "elsewhere" / "copy", open(entry["backup"], "rb").read())


def alter_backup(files, root):
    with open(entry_for(files, "kubelet-config.yaml")["backup"], "a") as handle:
        handle.write("# changed\n")
    return files


def remove_backup(files, root):
    os.unlink(entry_for(files, "kubelet-config.yaml")["backup"])
    return files


# (change(files, root) -> files, words the message must have); the config's entry is restore[0].
RECORD_CASES = [
    pytest.param(corrupt("path", 5), ["restore[0]", "path", "found number 5"], id="path-a-number"),
    pytest.param(corrupt("path", "etc/kubelet-config.yaml"), ["restore[0]", "path", "absolute path"], id="path-relative"),
    pytest.param(corrupt("path", lambda root, entry: entry["path"].replace("/etc/", "/etc/../etc/")), ["restore[0]", "path"],
                 id="path-with-dotdot"),
    pytest.param(corrupt("state", "deleted"), ["restore[0]", "state", "'deleted'", "one of created"], id="state-unknown"),
    pytest.param(corrupt("state", ["updated"]), ["restore[0]", "state", "found list"], id="state-a-list"),
    pytest.param(corrupt("after_sha256", "zz" * 32), ["restore[0]", "after_sha256", "hexadecimal"], id="sha-not-hex"),
    pytest.param(corrupt("before_sha256", 12), ["restore[0]", "before_sha256", "found number"], id="sha-a-number"),
    pytest.param(corrupt("after_sha256", None), ["restore[0]", "after_sha256", "is missing"], id="sha-missing"),
    pytest.param(corrupt("mode", "0644"), ["restore[0]", "mode", "found string '0644'"], id="mode-a-string"),
    pytest.param(corrupt("mode", 0o170000), ["restore[0]", "mode", "found number 61440"], id="mode-too-large"),
    pytest.param(corrupt("uid", -1), ["restore[0]", "uid"], id="uid-negative"),
    pytest.param(corrupt("read_by_kubelet", "yes"), ["restore[0]", "read_by_kubelet"], id="read-by-kubelet-a-string"),
    pytest.param(corrupt("backup", {"path": "/x"}), ["restore[0]", "backup", "found mapping"], id="backup-a-mapping"),
    pytest.param(corrupt("backup", stolen_backup), ["restore[0]", "backup", "beside the file"], id="backup-elsewhere"),
    pytest.param(alter_backup, ["kubelet-config.yaml", "backup", "is now sha256"], id="backup-altered"),
    pytest.param(remove_backup, ["kubelet-config.yaml", "backup", "is missing"], id="backup-missing"),
    pytest.param(lambda files, root: files + files, ["kubelet-config.yaml", "in the list twice"], id="same-path-twice"),
]


@pytest.mark.parametrize("change, words", RECORD_CASES)
def test_a_corrupt_record_fails_naming_the_entry_and_field_and_changes_nothing(tmp_path, node, change, words):
    root, files = node
    files = change(files, root)
    before = snapshot(root)
    assert_refused(restore(tmp_path, files), *words)
    assert snapshot(root) == before
