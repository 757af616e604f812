# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Container runtime configuration: CRI-O's default seccomp profile (docs/kubernetes-facts.md#cri-o-knobs).

CRI-O reads /etc/crio/crio.conf, then every file of /etc/crio/crio.conf.d in lexical order, a later file's key
replacing an earlier one's; `[crio.runtime] seccomp_profile` replaces the profile RuntimeDefault gets and
is reloaded live on SIGHUP (`systemctl reload crio`). Complain mode points it at kubernetes/default-audit
through a drop-in of ours, and leaving complain mode puts that drop-in back exactly as it was.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import errno
import json
import os

from ansible_collections.k8s.seccomp_default.plugins.module_utils import errors, files

CRIO_CONFIG = "/etc/crio/crio.conf"
CRIO_DROP_IN_DIR = "/etc/crio/crio.conf.d"
DROP_IN_HEADER = ("# Written by k8s.seccomp_default (complain mode): RuntimeDefault logs instead of blocking.\n"
                  "# Removed, or put back as it was, when complain mode ends.\n")


class RuntimeConfigError(errors.InputError):
    """A runtime configuration file (or our record of one) that cannot be used; names the file and the field."""


def read_config(path):
    """A configuration file's bytes, None when it does not exist; a directory, FIFO, unreadable or oversized file is
    refused by name (CRI-O and containerd would fail on it too)."""
    return errors.read_file(path, encoding=None, missing_ok=True)


def crio_config_files(config=CRIO_CONFIG, drop_in_dir=CRIO_DROP_IN_DIR, extra=None):
    """The files CRI-O reads, in order; ``extra`` (a path in the drop-in directory) is included as if present."""
    paths = [config] if os.path.lexists(config) else []
    # Every file of the directory, whatever its name (crio.conf.d(5); OpenShift ships crio.conf.d/00-default).
    if os.path.lexists(drop_in_dir) and not os.path.isdir(drop_in_dir):
        raise RuntimeConfigError("is not a directory; CRI-O reads its drop-ins from it", path=drop_in_dir)
    try:
        names = os.listdir(drop_in_dir)
    except OSError as exc:
        if exc.errno != errno.ENOENT:
            raise errors.os_error(exc, drop_in_dir)
        names = []
    # Directories are skipped; anything else is read, and a FIFO or unreadable file is refused by name when it is.
    drop_ins = set(os.path.join(drop_in_dir, name) for name in names if not os.path.isdir(os.path.join(drop_in_dir, name)))
    if extra:
        drop_ins.add(extra)
    return paths + sorted(drop_ins)


def parse_toml(path, data):
    """The TOML document in ``data`` (bytes) of ``path``, or an error that names the file."""
    # Imported where it is used: a module that imports this file compiles every module_utils it imports on each run,
    # and most runs of most modules read no TOML.
    from ansible_collections.k8s.seccomp_default.plugins.module_utils import toml_text

    try:
        return toml_text.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise RuntimeConfigError("%s is not UTF-8 text: %s" % (path, exc))
    except toml_text.TomlError as exc:
        raise RuntimeConfigError("%s is not valid TOML: %s" % (path, exc))
    except RecursionError:
        raise RuntimeConfigError("%s is not valid TOML: it is nested too deeply to read" % path)


def table(value, path, field):
    """``value`` when it is a TOML table (None: an empty one), else an error naming the file and the table."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RuntimeConfigError("is not a table", path=path, field=field, value=value, expected="a TOML table [%s]" % field)
    return value


def string(value, path, field, expected="a string"):
    """``value`` when it is a string or absent, else an error naming the file and the key."""
    if value is None or isinstance(value, str):
        return value
    raise RuntimeConfigError("is not a string", path=path, field=field, value=value, expected=expected)


def crio_runtime_table(path, document):
    """``[crio.runtime]`` of one of CRI-O's files ({} when absent)."""
    return table(table(document.get("crio"), path, "crio").get("runtime"), path, "crio.runtime")


def crio_seccomp_profile(paths, overrides=None):
    """(value, path that set it) of `[crio.runtime] seccomp_profile` across ``paths``; ``overrides`` maps a
    path to the bytes it will hold (None: removed)."""
    overrides = overrides or {}
    value, source = None, None
    for path in paths:
        data = overrides[path] if path in overrides else read_config(path)
        if data is None:
            continue
        runtime = crio_runtime_table(path, parse_toml(path, data))
        if "seccomp_profile" in runtime:
            value, source = runtime["seccomp_profile"], path
            if not isinstance(value, str):
                raise RuntimeConfigError("%s: [crio.runtime] seccomp_profile = %r is not a string (a path, or \"\" for "
                                         "CRI-O's built-in default)" % (path, value))
    return value, source


def drop_in_with_profile(current, profile, path="the drop-in"):
    """Our drop-in's bytes with `[crio.runtime] seccomp_profile = profile`, keeping every other line as it is."""
    from ansible_collections.k8s.seccomp_default.plugins.module_utils import toml_text  # see parse_toml

    try:
        text = current.decode("utf-8") if current else DROP_IN_HEADER
        return toml_text.set_string(text, ["crio", "runtime"], "seccomp_profile", profile).encode("utf-8")
    except UnicodeDecodeError as exc:
        raise RuntimeConfigError("%s is not UTF-8 text: %s" % (path, exc))
    except toml_text.TomlError as exc:
        raise RuntimeConfigError("%s cannot be changed safely: %s" % (path, exc))


# --- what complain mode replaced, kept so that leaving it is exact ---

def save_original(record_path, path, content):
    """Remember ``path``'s bytes (None: absent) before the first change; never overwrite that memory."""
    if os.path.lexists(record_path):
        return False
    record = dict(path=path, existed=content is not None,
                  content=base64.b64encode(content).decode("ascii") if content is not None else None,
                  sha256=files.sha256_bytes(content) if content is not None else None)
    if content is not None:
        record.update(files.ownership(path))  # given back with the bytes
    files.ensure_directories(record_path, 0o700)
    files.atomic_write(record_path, (json.dumps(record, indent=1) + "\n").encode(), 0o600)
    return True


# The record's fields and their types, when the file existed; a record of an absent file needs only path and existed.
RECORD_FIELDS = (("path", str, "the drop-in's path"), ("existed", bool, "true or false"),
                 ("content", str, "the drop-in's bytes in base64"), ("sha256", str, "the sha256 of those bytes"),
                 ("mode", int, "a file mode"), ("uid", int, "a user id"), ("gid", int, "a group id"))


def load_original(record_path, path=None):
    """What complain mode replaced, as save_original recorded it (content as bytes), or None when there is no record.

    Every field is checked: a damaged record must not put the wrong bytes or mode on the drop-in.
    """
    data = read_config(record_path)
    if data is None:
        return None
    hint = "put %s back by hand and remove %s" % (path or "the drop-in", record_path)
    try:
        record = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise RuntimeConfigError("does not hold what complain mode replaced (%s); %s" % (exc, hint), path=record_path)
    if not isinstance(record, dict):
        raise RuntimeConfigError("does not hold what complain mode replaced", path=record_path, value=record,
                                 expected="a JSON object; %s" % hint)
    needed = RECORD_FIELDS if record.get("existed") is not False else RECORD_FIELDS[:2]
    for field, kind, expected in needed:
        value = record.get(field)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise RuntimeConfigError("is missing or of the wrong type" if value is None else "is of the wrong type",
                                     path=record_path, field=field, value=value, expected="%s; %s" % (expected, hint))
    if path is not None and record["path"] != path:
        raise RuntimeConfigError("is the record of another drop-in", path=record_path, field="path", value=record["path"],
                                 expected="%s; %s" % (path, hint))
    content = None
    if record["existed"]:
        try:
            content = base64.b64decode(record["content"].encode("ascii"), validate=True)
        except (ValueError, TypeError) as exc:
            raise RuntimeConfigError("is not base64 (%s)" % exc, path=record_path, field="content",
                                     value=record["content"], expected=hint)
        if files.sha256_bytes(content) != record.get("sha256"):
            raise RuntimeConfigError("%s is damaged: its content does not match its sha256" % record_path)
    return dict(record, content=content)


# --- what the runtime itself adds to or changes in a container's seccomp profile
# (docs/kubernetes-facts.md#runtime-default-profiles-and-knobs) ---

# containerd's CRI runtime plugin: version 2 (containerd 1.x) and version 3/4 (containerd 2.x).
CONTAINERD_CRI_PLUGINS = {2: "io.containerd.grpc.v1.cri", 3: "io.containerd.cri.v1.runtime",
                          4: "io.containerd.cri.v1.runtime"}
CONTAINERD_CONFIG = "/etc/containerd/config.toml"


def containerd_seccomp_settings(path, data, read=None):
    """What containerd's config decides about seccomp: ``unset_seccomp_profile``, the default runtime handler and,
    per handler, whether its ``base_runtime_spec`` carries a seccomp filter (kept for containers that request
    none: Unconfined and privileged ones).

    ``read(path)`` gives a base runtime spec's bytes (None: missing); every table and value is checked for its
    type, and an error names the file and the key.
    """
    read = read or read_config
    document = parse_toml(path, data) if data is not None else {}
    version = document.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise RuntimeConfigError("%s: version = %r; expected 2 (containerd 1.x) or 3 (containerd 2.x)" % (path, version))
    name = CONTAINERD_CRI_PLUGINS.get(version, CONTAINERD_CRI_PLUGINS[2])
    plugin = table(table(document.get("plugins"), path, "plugins").get(name), path, 'plugins."%s"' % name)
    where = 'plugins."%s".containerd' % name
    cri = table(plugin.get("containerd"), path, where)
    handlers = {}
    for handler, runtime in table(cri.get("runtimes"), path, where + ".runtimes").items():
        at = "%s.runtimes.%s" % (where, handler)
        spec_path = string(table(runtime, path, at).get("base_runtime_spec"), path, at + ".base_runtime_spec", "a path") or ""
        handlers[handler] = dict(base_runtime_spec=spec_path or None,
                                 base_seccomp=_base_spec_has_seccomp(spec_path, read) if spec_path else False)
    unset = plugin.get("unset_seccomp_profile")
    return dict(config=path if data is not None else None, version=version,
                unset_seccomp_profile=string(unset, path, 'plugins."%s".unset_seccomp_profile' % name, "a path") or None,
                default_handler=string(cri.get("default_runtime_name"), path, where + ".default_runtime_name",
                                       "a runtime handler name") or "runc",
                handlers=handlers)


def _base_spec_has_seccomp(path, read):
    data = read(path)
    if data is None:
        raise RuntimeConfigError("base_runtime_spec %s does not exist; containerd refuses to start without it" % path)
    try:
        spec = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise RuntimeConfigError("base_runtime_spec %s is not JSON: %s" % (path, exc))
    if not isinstance(spec, dict) or not isinstance(spec.get("linux") or {}, dict):
        raise RuntimeConfigError("is not an OCI runtime spec", path=path, field="linux" if isinstance(spec, dict) else None,
                                 value=spec.get("linux") if isinstance(spec, dict) else spec,
                                 expected="a JSON object whose linux is an object")
    return bool((spec.get("linux") or {}).get("seccomp"))


def crio_seccomp_settings(paths, read=None):
    """What CRI-O's files decide about seccomp: the default profile, ``privileged_seccomp_profile`` (CRI-O 1.33+:
    a profile for privileged containers), the default handler and each handler's own ``seccomp_profile`` (1.34+)."""
    read = read or read_config
    settings = dict(seccomp_profile=None, privileged_seccomp_profile=None, default_handler="runc", handlers={})
    for path in paths:
        data = read(path)
        if data is None:
            continue
        runtime = crio_runtime_table(path, parse_toml(path, data))
        for key in ("seccomp_profile", "privileged_seccomp_profile"):
            if key in runtime:
                settings[key] = string(runtime[key], path, "crio.runtime." + key, "a path") or None
        if runtime.get("default_runtime"):
            settings["default_handler"] = string(runtime["default_runtime"], path, "crio.runtime.default_runtime",
                                                 "a runtime handler name")
        for name, handler in table(runtime.get("runtimes"), path, "crio.runtime.runtimes").items():
            where = "crio.runtime.runtimes.%s" % name
            handler = table(handler, path, where)
            if "seccomp_profile" in handler:
                settings["handlers"].setdefault(name, {})["seccomp_profile"] = string(
                    handler["seccomp_profile"], path, where + ".seccomp_profile", "a path") or None
    return settings
