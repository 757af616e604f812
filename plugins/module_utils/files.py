# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Writes that are never half done, and paths that never leave their root."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import tempfile

from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError


class UnsafePathError(InputError):
    pass


def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


def read_bytes(path):
    """File content, or None when the file does not exist."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        if getattr(exc, "errno", None) == 2:
            return None
        raise


def rooted(root, path):
    """A node path under ``root`` (a copy of a node's files), or the path itself when ``root`` is /."""
    return path if root in ("/", "", None) else os.path.join(root, path.lstrip("/"))


def read_text(path):
    """A file's text (undecodable bytes replaced), or None when it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", "replace")
    except (IOError, OSError):
        return None


def planned_change(path, content):
    """What writing ``content`` (bytes, or None to remove) at ``path`` would do: (state, before).

    state is 'created', 'updated', 'unchanged', 'removed' or 'absent'; before is the current content.
    """
    before = read_bytes(path)
    if content is None:
        return ("absent" if before is None else "removed"), before
    if before == content:
        return "unchanged", before
    return ("created" if before is None else "updated"), before


def text_diff(path, before, after):
    """One entry of an Ansible module's ``diff`` list for a file that is changed, created or removed."""
    return dict(
        before_header=path if before is not None else "%s (absent)" % path,
        after_header=path if after is not None else "%s (absent)" % path,
        before=(before or b"").decode("utf-8", "replace"),
        after=(after or b"").decode("utf-8", "replace"),
    )


def relative_name_problem(name):
    """Why ``name`` is not a safe relative path (the API server's rules for localhostProfile), or None."""
    if not name or not isinstance(name, str):
        return "must be a non-empty relative path"
    if name.startswith("/"):
        return "must be a relative path, not absolute"
    if ".." in name.replace("\\", "/").split("/"):
        return "must not contain '..'"
    if name.endswith("/"):
        return "must name a file, not a directory"
    return None


def path_under(root, name):
    """Join ``name`` to ``root`` and refuse anything that resolves outside ``root``.

    Symlinks anywhere on the way (including the file itself) are followed: a link inside the
    kubelet seccomp root that points elsewhere would make us write outside it.
    """
    problem = relative_name_problem(name)
    if problem:
        raise UnsafePathError("%r %s" % (name, problem))
    path = os.path.normpath(os.path.join(root, name))
    real_root = os.path.realpath(root)
    real_path = os.path.realpath(path)
    if real_path != real_root and not real_path.startswith(real_root.rstrip("/") + "/"):
        raise UnsafePathError("%r resolves to %s through a symlink, outside %s" % (name, real_path, real_root))
    return path


def ensure_directories(path, mode=0o755, owner=None):
    """Create the missing parents of ``path`` with ``mode`` and ``owner``; return those created."""
    missing = []
    parent = os.path.dirname(path)
    while parent and not os.path.isdir(parent):
        missing.append(parent)
        parent = os.path.dirname(parent)
    for directory in reversed(missing):
        os.mkdir(directory, mode)
        os.chmod(directory, mode)  # mkdir's mode is filtered by the umask
        if owner is not None:
            os.chown(directory, owner[0], owner[1])
    return list(reversed(missing))


def ownership(path):
    """dict(mode, uid, gid) of ``path`` as it is, to be given back when it is written or restored."""
    stat = os.stat(path)
    return dict(mode=stat.st_mode & 0o7777, uid=stat.st_uid, gid=stat.st_gid)


def write_ownership(recorded, mode=0o644):
    """atomic_write's mode and owner arguments from what ``ownership`` recorded (None: a new file, ``mode``)."""
    if not recorded or recorded.get("mode") is None:
        return dict(mode=mode)
    owner = (recorded["uid"], recorded["gid"]) if recorded.get("uid") is not None else None
    return dict(mode=recorded["mode"], owner=owner)


def atomic_write(path, data, mode=0o644, owner=None):
    """Write ``data`` to a temporary file in the same directory, fsync it, and rename it into place."""
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        if owner is not None:
            os.chown(tmp, owner[0], owner[1])
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
