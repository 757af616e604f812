# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Bad input as data: what was read, which field, the value, and what would have been valid.

Every error a user can fix is an ``InputError`` (or a subclass). A module's ``main`` hands its worker to
``run_module``, which turns an ``InputError`` into ``fail_json`` and anything else into a failure that says
it is a bug, so no traceback reaches the user as a bare "MODULE FAILURE". Filters do the same through
``plugin_utils.filters``. Files are read through ``read_file``, which bounds their size and says what is
wrong with a path that is not a readable regular file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import stat
import traceback

UNSET = object()
NONE_TYPE = type(None)

# Larger than any kubelet config, unit, profile or state file we read; a file this big is not one of ours.
MAX_FILE_BYTES = 4 * 1024 * 1024


def short_repr(value, limit=80):
    """``repr(value)`` cut to ``limit`` characters: a value from a hostile file can be megabytes long."""
    try:
        text = repr(value)
    except Exception:  # pylint: disable=broad-except
        text = "<%s>" % type(value).__name__
    return text if len(text) <= limit else text[:limit - 3] + "..."


def type_name(value):
    """The name a user knows for a value's type (YAML/JSON words, not Python's)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, (list, tuple)):
        return "list"
    return type(value).__name__


class InputError(ValueError):
    """Input we cannot use. ``str()`` is the whole message a user sees; ``details()`` the same as data.

    ``problem`` says what is wrong; ``path`` is the file or command it came from; ``field`` the dotted path
    inside it (or the object's name: ``namespace/name``); ``value`` what was found; ``expected`` what
    would be valid.
    """

    def __init__(self, problem, path=None, field=None, value=UNSET, expected=None):
        super(InputError, self).__init__(problem)
        self.problem = problem
        self.path = path
        self.field = field
        self.value = value
        self.expected = expected

    def __str__(self):
        where = ": ".join(str(part) for part in (self.path, self.field) if part not in (None, ""))
        text = "%s: %s" % (where, self.problem) if where else str(self.problem)
        if self.value is not UNSET:
            found = type_name(self.value) if self.value is None else "%s %s" % (type_name(self.value), short_repr(self.value))
            text += " (found %s)" % found
        if self.expected:
            text += "; expected %s" % self.expected
        return text

    def details(self):
        data = dict(path=self.path, field=self.field, problem=self.problem, expected=self.expected)
        if self.value is not UNSET:
            data["value"] = short_repr(self.value, 200)
        return data


def os_error(exc, path, doing="read"):
    """An ``InputError`` for an ``OSError`` met while ``doing`` something to ``path``, in words."""
    code = getattr(exc, "errno", None)
    reasons = {
        errno.ENOENT: "does not exist",
        errno.EACCES: "is not readable by this user" if doing == "read" else "cannot be %s by this user" % doing,
        errno.EPERM: "cannot be %s (operation not permitted)" % doing,
        errno.EISDIR: "is a directory, not a file",
        errno.ENOTDIR: "runs through something that is not a directory",
        errno.ELOOP: "is a symlink loop",
        errno.ENOSPC: "cannot be %s: no space left on the device" % doing,
        errno.EROFS: "is on a read-only file system",
        errno.ENAMETOOLONG: "is too long a path",
    }
    reason = reasons.get(code) or "cannot be %s: %s" % (doing, getattr(exc, "strerror", None) or exc)
    return InputError(reason, path=path)


def read_at_most(handle, limit):
    """What ``handle`` (a file or an HTTP response) gives, up to one byte past ``limit`` (so that more can be told
    from exactly ``limit``), read in 64 KiB chunks: a read of the whole limit at once allocates a buffer that large
    (http.client before Python 3.11 does, whatever the answer's length) and /proc answers it with ENOMEM."""
    chunks, size = [], 0
    while size <= limit:
        chunk = handle.read(min(65536, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def read_file(path, limit=MAX_FILE_BYTES, missing_ok=False, encoding="utf-8"):
    """A regular file's text (or bytes with ``encoding=None``), checked, bounded and decoded.

    Returns None for a missing file when ``missing_ok``. Raises ``InputError`` naming the path for a
    directory, a device or FIFO (which could block or never end), an unreadable file, a file larger than
    ``limit`` bytes, and text that is not valid ``encoding``.
    """
    try:
        info = os.stat(path)
    except OSError as exc:
        if missing_ok and exc.errno in (errno.ENOENT,):
            return None
        raise os_error(exc, path)
    if stat.S_ISDIR(info.st_mode):
        raise InputError("is a directory, not a file", path=path)
    if not stat.S_ISREG(info.st_mode):
        raise InputError("is not a regular file (a device, socket or FIFO)", path=path)
    if info.st_size > limit:
        raise InputError("is %d bytes, larger than the %d this file can be" % (info.st_size, limit), path=path)
    # In chunks: /proc and /sys handlers allocate a buffer of the size asked for, and answer a 4 MiB read with ENOMEM.
    try:
        with open(path, "rb") as handle:
            data = read_at_most(handle, limit)
    except OSError as exc:
        raise os_error(exc, path)
    if len(data) > limit:
        raise InputError("grew past %d bytes while it was read" % limit, path=path)
    if encoding is None:
        return data
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        start = int(exc.start)
        raise InputError("is not %s text (byte %d: %s)" % (encoding.upper(), start, short_repr(data[start:start + 4])), path=path)


def expect_type(value, kinds, field, path=None, expected=None):
    """``value`` if it is one of ``kinds`` (a type or tuple), else an ``InputError`` naming ``field``."""
    if isinstance(value, kinds) and not (isinstance(value, bool) and bool not in _as_tuple(kinds)):
        return value
    names = expected or " or ".join("null" if kind is NONE_TYPE else type_name(kind()) for kind in _as_tuple(kinds))
    raise InputError("is not a %s" % names, path=path, field=field, value=value)


def _as_tuple(kinds):
    return kinds if isinstance(kinds, tuple) else (kinds,)


def run_module(module, worker, *args, **kwargs):
    """Call ``worker(module, ...)`` and turn what it raises into ``fail_json``.

    ``InputError`` is the user's to fix: its message, and its details under ``error``. ``OSError`` that a
    worker did not name is reported with its file. Anything else is our bug: a message that says so, the
    traceback under ``exception`` (shown with -vvv), and never a bare MODULE FAILURE.
    """
    try:
        return worker(module, *args, **kwargs)
    except InputError as exc:
        module.fail_json(msg=str(exc), error=exc.details())
    except (IOError, OSError) as exc:
        named = os_error(exc, getattr(exc, "filename", None) or "a file", "used")
        module.fail_json(msg=str(named), error=named.details(), exception=traceback.format_exc())
    except Exception as exc:  # pylint: disable=broad-except
        module.fail_json(msg="%s: %s: %s (this is a bug in k8s.seccomp_default; please report it with -vvv output)"
                         % (module._name, type(exc).__name__, str(exc)[:300]),
                         exception=traceback.format_exc())
