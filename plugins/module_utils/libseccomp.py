# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The system libseccomp, called through ctypes: every node that runs runc has the library, and no node has
Python bindings for it, so nothing else is needed on the node.

Only what the collection uses: the library's version, syscall names and numbers per architecture, and a filter
built and exported the way runc builds it (seccomp.h of libseccomp 2.4 and later).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ctypes
import ctypes.util
import os

# Actions (seccomp.h).  ERRNO and TRACE carry a 16-bit value.
KILL_THREAD = 0x00000000
KILL_PROCESS = 0x80000000
TRAP = 0x00030000
NOTIFY = 0x7FC00000
LOG = 0x7FFC0000
ALLOW = 0x7FFF0000
# Filter attributes (enum scmp_filter_attr).
ATTR_CTL_LOG = 6
ATTR_CTL_SSB = 7
# libseccomp's answer for a name it does not know (__NR_SCMP_ERROR).
NR_SCMP_ERROR = -1


def errno_action(value):
    return 0x00050000 | (value & 0xFFFF)


def trace_action(value):
    return 0x7FF00000 | (value & 0xFFFF)


class LibseccompError(OSError):
    pass


class _ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]


class _Version(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint), ("minor", ctypes.c_uint), ("micro", ctypes.c_uint)]


_LOADED = []


def library():
    """The loaded library, or None when the node has none (loaded once per process)."""
    if not _LOADED:
        _LOADED.append(_load())
    return _LOADED[0][0]


def load_error():
    """Why the library could not be loaded, or None."""
    library()
    return _LOADED[0][1]


def _load():
    errors = []
    for name in (ctypes.util.find_library("seccomp"), "libseccomp.so.2"):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name, use_errno=True)
        except OSError as exc:
            errors.append(str(exc))
            continue
        _declare(lib)
        return lib, None
    return None, "libseccomp is not installed (%s)" % ("; ".join(errors) or "no libseccomp.so.2 on the library path")


def _declare(lib):
    sigs = {
        "seccomp_init": (ctypes.c_void_p, [ctypes.c_uint32]),
        "seccomp_release": (None, [ctypes.c_void_p]),
        "seccomp_arch_native": (ctypes.c_uint32, []),
        "seccomp_arch_add": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_uint32]),
        "seccomp_arch_remove": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_uint32]),
        "seccomp_attr_set": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32]),
        "seccomp_rule_add_array": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint,
                                                  ctypes.POINTER(_ArgCmp)]),
        "seccomp_export_bpf": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_int]),
        "seccomp_syscall_resolve_name_arch": (ctypes.c_int, [ctypes.c_uint32, ctypes.c_char_p]),
        "seccomp_syscall_resolve_num_arch": (ctypes.c_void_p, [ctypes.c_uint32, ctypes.c_int]),
        "seccomp_version": (ctypes.POINTER(_Version), []),
    }
    for name, (restype, argtypes) in sigs.items():
        function = getattr(lib, name, None)
        if function is not None:  # seccomp_version came in 2.3.0
            function.restype, function.argtypes = restype, argtypes


def _require():
    lib = library()
    if lib is None:
        raise LibseccompError(load_error())
    return lib


def version():
    """'2.5.4', or None without the library (or one older than 2.3.0, which cannot say)."""
    lib = library()
    if lib is None or not hasattr(lib, "seccomp_version"):
        return None
    found = lib.seccomp_version().contents
    return "%d.%d.%d" % (found.major, found.minor, found.micro)


def native_arch():
    """The AUDIT_ARCH token of this machine's ABI."""
    return _require().seccomp_arch_native()


def resolve_name(arch, name):
    """The number of syscall ``name`` on ``arch`` (a token); NR_SCMP_ERROR when libseccomp does not know it,
    another negative pseudo-number when it knows it but the architecture lacks it."""
    try:
        encoded = name.encode("ascii")
    except (AttributeError, UnicodeError):
        return NR_SCMP_ERROR
    if b"\0" in encoded:
        return NR_SCMP_ERROR
    return _require().seccomp_syscall_resolve_name_arch(arch, encoded)


def resolve_number(arch, number):
    """The name of syscall ``number`` on ``arch``, or None."""
    lib = _require()
    if not (0 <= arch < 2 ** 32) or not (-2 ** 31 <= number < 2 ** 31):
        return None
    pointer = lib.seccomp_syscall_resolve_num_arch(arch, number)
    if not pointer:
        return None
    try:
        return ctypes.string_at(pointer).decode("ascii", "replace")
    finally:
        _libc_free(pointer)


def _libc_free(pointer):
    libc = ctypes.CDLL(None)
    libc.free.argtypes = [ctypes.c_void_p]
    libc.free(pointer)


class Filter:
    """A libseccomp filter context; released when closed (use ``with``)."""

    def __init__(self, default_action):
        self._lib = _require()
        self._ctx = self._lib.seccomp_init(default_action)
        if not self._ctx:
            raise LibseccompError("libseccomp refused the default action 0x%08x" % default_action)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self._ctx:
            self._lib.seccomp_release(self._ctx)
            self._ctx = None

    def _check(self, rc, what):
        if rc < 0:
            raise LibseccompError(-rc, "%s: %s" % (what, os.strerror(-rc)))

    def add_arch(self, arch):
        rc = self._lib.seccomp_arch_add(self._ctx, arch)
        if rc != -17:  # -EEXIST: already there
            self._check(rc, "adding architecture 0x%08x" % arch)

    def remove_arch(self, arch):
        self._check(self._lib.seccomp_arch_remove(self._ctx, arch), "removing architecture 0x%08x" % arch)

    def set_attr(self, attr, value):
        self._check(self._lib.seccomp_attr_set(self._ctx, attr, value), "setting attribute %d" % attr)

    def add_rule(self, action, number, conditions=()):
        """``conditions``: (argument index, comparison operator, value, second value) each."""
        array = (_ArgCmp * max(len(conditions), 1))(*[_ArgCmp(*c) for c in conditions])
        self._check(self._lib.seccomp_rule_add_array(self._ctx, action, number, len(conditions), array),
                    "adding a rule for syscall %d" % number)

    def export_bpf(self, fd):
        self._check(self._lib.seccomp_export_bpf(self._ctx, fd), "exporting the filter")
