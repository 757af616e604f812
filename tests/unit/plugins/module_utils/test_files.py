"""Atomic writes and paths that stay under their root."""

import os
import stat

import pytest

from ansible_collections.k8s.seccomp_default.plugins.module_utils import files


@pytest.mark.parametrize("name, problem", [
    ("", "must be a non-empty relative path"),
    ("/etc/passwd", "must be a relative path, not absolute"),
    ("../x.json", "must not contain '..'"),
    ("a/../../x.json", "must not contain '..'"),
    ("a\\..\\x.json", "must not contain '..'"),
    ("team/", "must name a file, not a directory"),
    ("a..b/x.json", None),
    ("kubernetes/default-audit.json", None),
])
def test_relative_name_rules(name, problem):
    """The API server's localhostProfile rules: relative, no '..' element (docs/kubernetes-facts.md#localhost-profile-names)."""
    assert files.relative_name_problem(name) == problem


def test_symlink_escape_is_refused(tmp_path):
    root = tmp_path / "seccomp"
    (root / "inside").mkdir(parents=True)
    (root / "out").symlink_to(tmp_path)
    (root / "ok").symlink_to(root / "inside")
    assert files.path_under(str(root), "ok/p.json") == str(root / "ok" / "p.json")
    with pytest.raises(files.UnsafePathError, match="resolves to .* through a symlink, outside"):
        files.path_under(str(root), "out/p.json")
    (root / "inside" / "file.json").symlink_to("/etc/hostname")
    with pytest.raises(files.UnsafePathError):
        files.path_under(str(root), "inside/file.json")


def test_atomic_write_sets_mode_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "a" / "b" / "p.json"
    created = files.ensure_directories(str(path), 0o755)
    assert created == [str(tmp_path / "a"), str(tmp_path / "a" / "b")]
    old_umask = os.umask(0o077)
    try:
        files.atomic_write(str(path), b"{}\n", 0o644)
    finally:
        os.umask(old_umask)
    assert path.read_bytes() == b"{}\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o755
    assert os.listdir(str(path.parent)) == ["p.json"]


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "p.json"
    path.write_bytes(b"old")

    def broken_rename(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "rename", broken_rename)
    with pytest.raises(OSError):
        files.atomic_write(str(path), b"new", 0o644)
    assert path.read_bytes() == b"old"
    assert os.listdir(str(tmp_path)) == ["p.json"]


def test_read_bytes_of_a_missing_file_is_none(tmp_path):
    assert files.read_bytes(str(tmp_path / "missing")) is None
    assert files.sha256_bytes(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
