# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Container runtime configuration: CRI-O's default seccomp profile (k8s-facts.md 5.2).

CRI-O reads /etc/crio/crio.conf, then every file of /etc/crio/crio.conf.d in lexical order, a later file's key
replacing an earlier one's; `[crio.runtime] seccomp_profile` replaces the profile RuntimeDefault gets and
is reloaded live on SIGHUP (`systemctl reload crio`). Complain mode points it at kubernetes/default-audit
through a drop-in of ours, and leaving complain mode puts that drop-in back exactly as it was.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os

from ansible_collections.k8s.seccomp_default.plugins.module_utils import files, toml_text

CRIO_CONFIG = "/etc/crio/crio.conf"
CRIO_DROP_IN_DIR = "/etc/crio/crio.conf.d"
DROP_IN_HEADER = ("# Written by k8s.seccomp_default (complain mode): RuntimeDefault logs instead of blocking.\n"
                  "# Removed, or put back as it was, when complain mode ends.\n")


class RuntimeConfigError(ValueError):
    pass


def crio_config_files(config=CRIO_CONFIG, drop_in_dir=CRIO_DROP_IN_DIR, extra=None):
    """The files CRI-O reads, in order; ``extra`` (a path in the drop-in directory) is included as if present."""
    paths = [config] if os.path.exists(config) else []
    # Every file of the directory, whatever its name (crio.conf.d(5); OpenShift ships crio.conf.d/00-default).
    try:
        names = os.listdir(drop_in_dir)
    except OSError:
        names = []
    drop_ins = set(os.path.join(drop_in_dir, name) for name in names if os.path.isfile(os.path.join(drop_in_dir, name)))
    if extra:
        drop_ins.add(extra)
    return paths + sorted(drop_ins)


def parse_toml(path, data):
    """The TOML document in ``data`` (bytes) of ``path``, or an error that names the file."""
    try:
        return toml_text.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise RuntimeConfigError("%s is not UTF-8 text: %s" % (path, exc))
    except toml_text.TomlError as exc:
        raise RuntimeConfigError("%s is not valid TOML: %s" % (path, exc))


def crio_seccomp_profile(paths, overrides=None):
    """(value, path that set it) of `[crio.runtime] seccomp_profile` across ``paths``; ``overrides`` maps a
    path to the bytes it will hold (None: removed)."""
    overrides = overrides or {}
    value, source = None, None
    for path in paths:
        data = overrides[path] if path in overrides else files.read_bytes(path)
        if data is None:
            continue
        document = parse_toml(path, data)
        runtime = (document.get("crio") or {}).get("runtime") or {}
        if not isinstance(runtime, dict):
            raise RuntimeConfigError("%s: [crio.runtime] is not a table" % path)
        if "seccomp_profile" in runtime:
            value, source = runtime["seccomp_profile"], path
            if not isinstance(value, str):
                raise RuntimeConfigError("%s: [crio.runtime] seccomp_profile = %r is not a string (a path, or \"\" for "
                                         "CRI-O's built-in default)" % (path, value))
    return value, source


def drop_in_with_profile(current, profile):
    """Our drop-in's bytes with `[crio.runtime] seccomp_profile = profile`, keeping every other line as it is."""
    try:
        text = current.decode("utf-8") if current else DROP_IN_HEADER
        return toml_text.set_string(text, ["crio", "runtime"], "seccomp_profile", profile).encode("utf-8")
    except UnicodeDecodeError as exc:
        raise RuntimeConfigError("the drop-in is not UTF-8 text: %s" % exc)
    except toml_text.TomlError as exc:
        raise RuntimeConfigError("the drop-in cannot be changed safely: %s" % exc)


# --- what complain mode replaced, kept so that leaving it is exact ---

def save_original(record_path, path, content):
    """Remember ``path``'s bytes (None: absent) before the first change; never overwrite that memory."""
    if os.path.exists(record_path):
        return False
    record = dict(path=path, existed=content is not None,
                  content=base64.b64encode(content).decode("ascii") if content is not None else None,
                  sha256=files.sha256_bytes(content) if content is not None else None)
    if content is not None:
        record.update(files.ownership(path))  # given back with the bytes
    files.ensure_directories(record_path, 0o700)
    files.atomic_write(record_path, (json.dumps(record, indent=1) + "\n").encode(), 0o600)
    return True


def load_original(record_path):
    data = files.read_bytes(record_path)
    if data is None:
        return None
    try:
        record = json.loads(data.decode("utf-8"))
        content = base64.b64decode(record["content"]) if record["existed"] else None
    except (ValueError, KeyError, TypeError) as exc:
        raise RuntimeConfigError("%s does not hold what complain mode replaced (%s); put %s back by hand and remove it"
                                 % (record_path, exc, record_path))
    if content is not None and files.sha256_bytes(content) != record.get("sha256"):
        raise RuntimeConfigError("%s is damaged: its content does not match its sha256" % record_path)
    return dict(record, content=content)


# --- what the runtime itself adds to or changes in a container's seccomp profile (k8s-facts.md 5) ---

# containerd's CRI runtime plugin: version 2 (containerd 1.x) and version 3/4 (containerd 2.x).
CONTAINERD_CRI_PLUGINS = {2: "io.containerd.grpc.v1.cri", 3: "io.containerd.cri.v1.runtime",
                          4: "io.containerd.cri.v1.runtime"}
CONTAINERD_CONFIG = "/etc/containerd/config.toml"


def containerd_seccomp_settings(path, data, read=None):
    """What containerd's config decides about seccomp: ``unset_seccomp_profile``, the default runtime handler and,
    per handler, whether its ``base_runtime_spec`` carries a seccomp filter (kept for containers that request
    none: Unconfined and privileged ones)."""
    read = read or files.read_bytes
    document = parse_toml(path, data) if data is not None else {}
    version = document.get("version", 1)
    if not isinstance(version, int) or version < 1:
        raise RuntimeConfigError("%s: version = %r; expected 2 (containerd 1.x) or 3 (containerd 2.x)" % (path, version))
    plugin = ((document.get("plugins") or {}).get(CONTAINERD_CRI_PLUGINS.get(version, CONTAINERD_CRI_PLUGINS[2])) or {})
    cri = plugin.get("containerd") or {}
    handlers = {}
    for name, runtime in (cri.get("runtimes") or {}).items():
        spec_path = (runtime or {}).get("base_runtime_spec") or ""
        handlers[name] = dict(base_runtime_spec=spec_path or None,
                              base_seccomp=_base_spec_has_seccomp(spec_path, read) if spec_path else False)
    return dict(config=path if data is not None else None, version=version,
                unset_seccomp_profile=plugin.get("unset_seccomp_profile") or None,
                default_handler=cri.get("default_runtime_name") or "runc", handlers=handlers)


def _base_spec_has_seccomp(path, read):
    data = read(path)
    if data is None:
        raise RuntimeConfigError("base_runtime_spec %s does not exist; containerd refuses to start without it" % path)
    try:
        spec = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise RuntimeConfigError("base_runtime_spec %s is not JSON: %s" % (path, exc))
    return bool(((spec or {}).get("linux") or {}).get("seccomp"))


def crio_seccomp_settings(paths, read=None):
    """What CRI-O's files decide about seccomp: the default profile, ``privileged_seccomp_profile`` (CRI-O 1.33+:
    a profile for privileged containers), the default handler and each handler's own ``seccomp_profile`` (1.34+)."""
    read = read or files.read_bytes
    settings = dict(seccomp_profile=None, privileged_seccomp_profile=None, default_handler="runc", handlers={})
    for path in paths:
        data = read(path)
        if data is None:
            continue
        runtime = (parse_toml(path, data).get("crio") or {}).get("runtime") or {}
        for key in ("seccomp_profile", "privileged_seccomp_profile"):
            if key in runtime:
                settings[key] = runtime[key] or None
        if runtime.get("default_runtime"):
            settings["default_handler"] = runtime["default_runtime"]
        for name, handler in (runtime.get("runtimes") or {}).items():
            if isinstance(handler, dict) and "seccomp_profile" in handler:
                settings["handlers"].setdefault(name, {})["seccomp_profile"] = handler["seccomp_profile"] or None
    return settings
