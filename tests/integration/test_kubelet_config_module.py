"""The kubelet_config module through Ansible, on kubelet files laid out as on a node (in a scratch directory):
what a user sees of edits and restores - bytes, mode and owner."""

import os

from lib.ansible_run import run_tasks

CONFIG = ("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
          "# the runtime's cgroup driver\ncgroupDriver: systemd\n")


def module(tmp_path, options, **kwargs):
    return run_tasks(tmp_path, [{"k8s.seccomp_default.kubelet_config": options}], **kwargs).results[0]


def ownership(path):
    stat = os.stat(path)
    return stat.st_mode & 0o7777, stat.st_uid, stat.st_gid


def test_an_edit_and_its_restore_keep_the_files_mode_and_owner(tmp_path):
    config = tmp_path / "kubelet-config.yaml"
    config.write_text(CONFIG)
    os.chmod(str(config), 0o600)
    os.chown(str(config), 1234, 4321)
    changed = module(tmp_path, dict(version="1.30.4", config=str(config), seccomp_default=True, method="in_place"))
    assert changed["changed"] is True and "seccompDefault: true" in config.read_text()
    assert ownership(str(config)) == (0o600, 1234, 4321)
    restored = module(tmp_path, dict(version="1.30.4", restore=changed["files"]))
    assert restored["changed"] is True and config.read_text() == CONFIG
    assert ownership(str(config)) == (0o600, 1234, 4321)
