# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Plan the file edits that give a kubelet the SeccompDefault settings wanted for its version.

A plan is a list of (path, new bytes or None to remove) computed from the files as they are; nothing
here writes. The merged configuration after the plan is validated the way the kubelet would
(types, apiVersion/kind, the gate rules of its version) before a plan is returned.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os
import re

from ansible_collections.k8s.seccomp_default.plugins.module_utils import config_text, errors, files, kubelet, yaml_reader

MANAGED_BY = "# Managed by k8s.seccomp_default (SeccompDefault rollout).\n"
KUBEADM_PATCH_NAME = "kubeletconfiguration90seccompdefault+merge.yaml"
METHODS = ("auto", "drop_in", "in_place", "kubeadm_patch")


class ConfigFile:
    """One kubelet configuration file, YAML or JSON, edited in its own text (module_utils/config_text): other keys,
    their order, comments and layout stay as they were. Each edit is checked by reading the new text back."""

    def __init__(self, path, text, json_when_new=False):
        self.path = path
        self.text = text
        self.exists = text is not None
        self.format = "json" if (text or "").lstrip().startswith("{") or (text is None and json_when_new) else "yaml"
        self.current = text
        self.document = _load(path, text)
        self.edited = False

    def plain(self):
        """The document as plain dicts and lists (what the kubelet decodes)."""
        return copy.deepcopy(self.document)

    def get(self, key, default=None):
        return self.document.get(key, default) if isinstance(self.document, dict) else default

    def gate(self):
        gates = self.get("featureGates")
        return gates.get(kubelet.GATE) if isinstance(gates, dict) else None

    def has_gate(self):
        gates = self.get("featureGates")
        return isinstance(gates, dict) and kubelet.GATE in gates

    def ensure_document(self):
        if self.document is None:
            if self.format == "json":
                self.current = json.dumps({"apiVersion": kubelet.API_VERSION, "kind": kubelet.KIND}, indent=2) + "\n"
            else:
                self.current = "apiVersion: %s\nkind: %s\n" % (kubelet.API_VERSION, kubelet.KIND)
            self.document = _load(self.path, self.current)

    def set(self, key, value):
        self.ensure_document()
        if key in self.document and self.document[key] is value:  # only true and false are written
            return

        def change(document):
            document[key] = value
        self._edit(change, lambda lines: lines.set_top(key, value))

    def set_gate(self, value):
        self.ensure_document()
        if self.gate() is value and self.has_gate():
            return

        def change(document):
            gates = document.get("featureGates")
            if not isinstance(gates, dict):
                gates = document["featureGates"] = {}
            gates[kubelet.GATE] = value
        self._edit(change, lambda lines: lines.set_child("featureGates", kubelet.GATE, value))

    def remove(self, key):
        if isinstance(self.document, dict) and key in self.document:
            self._edit(lambda document: document.pop(key), lambda lines: lines.remove_top(key))

    def remove_gate(self):
        if not self.has_gate():
            return

        def change(document):
            del document["featureGates"][kubelet.GATE]
            if not document["featureGates"]:
                del document["featureGates"]
        self._edit(change, lambda lines: lines.remove_child("featureGates", kubelet.GATE))

    def _edit(self, change, change_lines):
        expected = self.plain()
        change(expected)
        try:
            if self.format == "json":
                text = config_text.json_edit(self.current, change)
            else:
                lines = config_text.YamlLines(self.current)
                change_lines(lines)
                text = lines.text()
        except (config_text.EditError, ValueError) as exc:
            raise kubelet.KubeletConfigError("%s: cannot change it without rewriting other parts of it (%s); make the "
                                             "change by hand or write the file in block style" % (self.path, exc))
        if _load(self.path, text) != expected:
            raise kubelet.KubeletConfigError("%s: editing its text would change more than was asked; nothing was "
                                             "written. Make the change by hand" % self.path)
        self.current, self.document, self.edited = text, expected, True

    def only_type_metadata(self):
        return isinstance(self.document, dict) and set(self.document) <= {"apiVersion", "kind"}

    def new_text(self):
        return self.current if self.edited else self.text


def _load(path, text):
    """A YAML or JSON text as plain data (None when empty), with errors that name the file."""
    if text is None or not text.strip():
        return None
    if text.lstrip().startswith("{"):
        try:  # JSON (EKS, nodeadm): read as JSON, the way the kubelet reads it, duplicate keys refused
            document = json.loads(text, object_pairs_hook=_unique_keys)
        except RecursionError:
            raise kubelet.KubeletConfigError("not valid: the data is nested more than %d levels deep; a kubelet "
                                             "configuration needs far fewer" % yaml_reader.MAX_DEPTH, path=path)
        except ValueError:
            pass  # a YAML flow mapping that is not JSON: read as YAML below, whose error names the line
        else:
            return _shallow(path, document)
    try:
        return yaml_reader.load(text)
    except yaml_reader.YamlError as exc:
        raise kubelet.KubeletConfigError("not valid YAML: %s" % exc, path=path)


def _shallow(path, document):
    """``document`` if it nests no deeper than YAML may here: deeper data would exhaust the recursion of
    copying and merging it later (YAML's reader has the same bound)."""
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > yaml_reader.MAX_DEPTH:
            raise kubelet.KubeletConfigError("not valid: the data is nested more than %d levels deep; a kubelet "
                                             "configuration needs far fewer" % yaml_reader.MAX_DEPTH, path=path)
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    return document


def _unique_keys(pairs):
    document = {}
    for key, value in pairs:
        if key in document:
            raise ValueError("duplicate key %r" % key)
        document[key] = value
    return document


def load_plain(path, text):
    """A YAML or JSON file as plain data (None when empty), with errors that name the file."""
    return _load(path, text)


def choose_method(layout):
    """(method, reason) for a node layout (see ``plan``)."""
    version = layout["version"]
    if layout.get("config_dir"):
        if kubelet.drop_ins_supported(version, layout.get("environment")):
            return "drop_in", "the kubelet runs with --config-dir %s" % layout["config_dir"]
    if layout.get("kubeadm"):
        return "kubeadm_patch", ("kubeadm manages %s and rewrites it on 'kubeadm upgrade node'; a patch in %s "
                                 "keeps the change" % (layout.get("config"), layout.get("patches_dir")))
    if layout.get("config"):
        return "in_place", "the kubelet reads --config %s and has no drop-in directory" % layout["config"]
    raise kubelet.KubeletConfigError(
        "the kubelet runs without --config and without --config-dir; SeccompDefault can only be managed in a "
        "KubeletConfiguration file. Start the kubelet with --config (for example /var/lib/kubelet/config.yaml)")


def plan(layout, seccomp_default=None, method="auto", remove_gate=False):
    """Compute the edits for a node.

    ``layout``: version, config (path), config_text, config_dir, drop_ins [(name, text)], env_files
    [(path, text)], kubeadm (bool), patches_dir, drop_in_name, environment (the kubelet's).
    ``seccomp_default``: True/False, or None to leave the field as it is (the feature gate stage only fixes the gate).
    ``remove_gate``: with seccomp_default False, also drop the gate entry 1.22-1.24 need only for seccompDefault
    (what rollback does where the feature gate stage added it); later versions keep the entry their rules want.

    Returns dict(method, reason, writes [(path, bytes or None)], before, after, gate_before,
    gate_after, seccomp_default_before, seccomp_default_after, removed_gate_from [paths]).
    """
    version = layout["version"]
    kubelet.gate_stage(version)  # refuses unsupported versions first
    if method not in METHODS:
        raise kubelet.KubeletConfigError("method %r is not one of %s" % (method, ", ".join(METHODS)))
    reason = "requested"
    if method == "auto":
        method, reason = choose_method(layout)
    config_dir = layout.get("config_dir")
    if method == "drop_in":
        if not config_dir:
            raise kubelet.KubeletConfigError("method drop_in needs the kubelet's --config-dir; this kubelet has none")
        if not kubelet.drop_ins_supported(version, layout.get("environment")):
            raise kubelet.KubeletConfigError(
                "kubelet %s does not read --config-dir (1.28-1.29 need %s in its environment; 1.30+ always)"
                % (kubelet.format_version(version), kubelet.DROP_IN_ALPHA_ENV))
    if method in ("in_place", "kubeadm_patch") and not layout.get("config"):
        raise kubelet.KubeletConfigError("method %s needs the kubelet's --config file; this kubelet has none" % method)
    if layout.get("config") and layout.get("config_text") is None:
        raise kubelet.KubeletConfigError("%s: the kubelet's --config file does not exist" % layout["config"])

    base = ConfigFile(layout["config"], layout.get("config_text")) if layout.get("config") else None
    drop_ins = []
    if config_dir and kubelet.drop_ins_supported(version, layout.get("environment")):
        texts = dict(layout.get("drop_ins") or [])
        # Our drop-in may exist already (a second run, or a rollback): one file, read once.
        names = kubelet.drop_in_names(sorted(set(texts) | ({layout["drop_in_name"]} if method == "drop_in" else set())))
        # Our drop-in is written in the format of the node's config (EKS: JSON).
        json_when_new = base is not None and base.format == "json"
        drop_ins = [ConfigFile(os.path.join(config_dir, name), texts.get(name), json_when_new) for name in names]
    _check_files([base] + drop_ins)

    env_files = [(path, text) for path, text in (layout.get("env_files") or []) if text is not None]
    flag_words = []
    for _path, text in env_files:
        flag_words.extend(kubelet.env_flag_words(text))
    flags = kubelet.parse_flags(flag_words)

    before = _merged(base, drop_ins)
    flag_gate = kubelet.parse_feature_gates(flags.get(kubelet.FEATURE_GATES_FLAG)).get(kubelet.GATE)
    flag_seccomp = kubelet.flag_is_true(flags.get(kubelet.SECCOMP_DEFAULT_FLAG))
    gate_before = flag_gate if flag_gate is not None else (before.get("featureGates") or {}).get(kubelet.GATE)
    config_gate_before = (before.get("featureGates") or {}).get(kubelet.GATE)
    seccomp_before = flag_seccomp or bool(before.get("seccompDefault"))

    if method == "drop_in":
        target = [item for item in drop_ins if os.path.basename(item.path) == layout["drop_in_name"]][0]
    else:
        target = base
    others = [item for item in [base] + drop_ins if item is not None and item is not target]

    gate_target = kubelet.wanted_gate(version, config_gate_before if flag_gate is None else flag_gate)
    if remove_gate:
        if seccomp_default is not False:
            raise kubelet.KubeletConfigError("remove_gate needs seccomp_default=false: kubelet %s reads seccompDefault only "
                                             "with the gate on" % kubelet.format_version(version))
        if kubelet.gate_stage(version)["stage"] == "alpha":
            gate_target = None

    removed_gate_from = []
    for item in others:
        if item.has_gate() and (gate_target is None or item.gate() is not gate_target):
            item.remove_gate()
            removed_gate_from.append(item.path)
    if gate_target is None:
        if target is not None and target.has_gate():
            target.remove_gate()
            removed_gate_from.append(target.path)
    elif flag_gate is not gate_target and \
            (_merged(base, drop_ins).get("featureGates") or {}).get(kubelet.GATE) is not gate_target:
        target.set_gate(gate_target)

    if seccomp_default is not None:
        if seccomp_default:
            target.set("seccompDefault", True)
        elif target is not None and target.document is not None and "seccompDefault" in target.document:
            if method == "drop_in" or _merged_without(base, drop_ins, target).get("seccompDefault"):
                target.set("seccompDefault", False)
            else:
                target.remove("seccompDefault")

    new_env = []
    for path, text in env_files:
        remove_gate = flag_gate is not None and (gate_target is None or flag_gate is not gate_target)
        new_text = kubelet.edit_env_flags(text, remove_gate=remove_gate,
                                          remove_seccomp_default=seccomp_default is False and flag_seccomp)
        if new_text != text:
            new_env.append((path, new_text))
            if remove_gate:
                removed_gate_from.append(path)
    after = _merged(base, drop_ins)
    after_words = []
    for path, text in env_files:
        after_words.extend(kubelet.env_flag_words(dict(new_env).get(path, text)))
    after_flags = kubelet.parse_flags(after_words)
    after_flag_gate = kubelet.parse_feature_gates(after_flags.get(kubelet.FEATURE_GATES_FLAG)).get(kubelet.GATE)
    gate_after = after_flag_gate if after_flag_gate is not None else (after.get("featureGates") or {}).get(kubelet.GATE)
    seccomp_after = kubelet.flag_is_true(after_flags.get(kubelet.SECCOMP_DEFAULT_FLAG)) or bool(after.get("seccompDefault"))

    problems = kubelet.config_problems(after, "the merged kubelet configuration")
    error = kubelet.gate_error(version, gate_after, seccomp_after,
                               source="flag" if after_flag_gate is not None else "config")
    if error:
        problems.append("kubelet %s would refuse to start: %s" % (kubelet.format_version(version), error))
    if seccomp_default is not None and seccomp_after is not seccomp_default:
        problems.append("seccompDefault would still be %s: %s" % (
            str(seccomp_after).lower(), _who_sets_seccomp(base, drop_ins, target, after_flags, seccomp_default)))
    if problems:
        raise kubelet.KubeletConfigError("; ".join(problems))

    writes = []
    for item in [base] + drop_ins:
        if item is None or not item.edited:
            continue
        if item is target and method == "drop_in" and item.only_type_metadata():
            writes.append((item.path, None if item.exists else False))
        else:
            new_yaml = item is target and method == "drop_in" and not item.exists and item.format == "yaml"
            header = MANAGED_BY if new_yaml else ""  # JSON has no comments
            writes.append((item.path, (header + item.new_text()).encode("utf-8")))
    writes = [(path, data) for path, data in writes if data is not False]
    for path, text in new_env:
        writes.append((path, text.encode("utf-8")))
    lasting = dict(survives=None, note=None)
    if method == "kubeadm_patch":
        patch_text = kubeadm_patch_text(version, seccomp_default if seccomp_default is not None
                                        else after.get("seccompDefault"), gate_target)
        writes.append((os.path.join(layout["patches_dir"], KUBEADM_PATCH_NAME), patch_text.encode("utf-8")))
        patches = [(name, text) for name, text in (layout.get("patches") or []) if name != KUBEADM_PATCH_NAME]
        _check_later_patches(layout["patches_dir"], patches + [(KUBEADM_PATCH_NAME, patch_text)], after)
        lasting = kubeadm_lasting(layout.get("kubeadm_version") or version, layout["patches_dir"])
    return dict(method=method, reason=reason, writes=writes, before=before, after=after, lasting=lasting,
                gate_before=gate_before, gate_after=gate_after,
                seccomp_default_before=seccomp_before, seccomp_default_after=seccomp_after,
                removed_gate_from=removed_gate_from)


def kubeadm_patch_text(version, seccomp_default, gate):
    """A kubeadm --patches merge patch for the kubeletconfiguration target (null deletes a key)."""
    lines = [MANAGED_BY.rstrip("\n"),
             "# kubeadm applies it when it writes /var/lib/kubelet/config.yaml (init, join, upgrade node).",
             "# Kubelet %s." % kubelet.format_version(version)]
    if seccomp_default is not None:
        lines.append("seccompDefault: %s" % str(bool(seccomp_default)).lower())
    lines.append("featureGates:")
    lines.append("  %s: %s" % (kubelet.GATE, "null" if gate is None else str(gate).lower()))
    return "\n".join(lines) + "\n"


# kubeadm's patch files: target[suffix][+patchtype].(yaml|json), applied in the order filepath.Walk finds them
# (lexical, subdirectories included); kubeletconfiguration is a target from kubeadm 1.25 (kubernetes#110405).
KUBEADM_PATCH_FILE = re.compile(r"^kubeletconfiguration[^+.]*(?:\+(strategic|merge|json))?\.(?:yaml|json)$")
KUBEADM_PATCH_TARGET_SINCE = (1, 25)


def kubeadm_lasting(kubeadm_version, patches_dir):
    """Whether the change survives ``kubeadm upgrade node``, which rewrites config.yaml from the ConfigMap."""
    if kubelet.parse_version(kubeadm_version)[:2] < KUBEADM_PATCH_TARGET_SINCE:
        return dict(survives=False, note=(
            "kubeadm %s has no kubeletconfiguration patch target (kubeadm 1.25 added it): the next 'kubeadm upgrade "
            "node' rewrites /var/lib/kubelet/config.yaml from the kube-system/kubelet-config ConfigMap and the setting "
            "is lost. Set it in that ConfigMap (kubectl -n kube-system edit configmap kubelet-config) or run the "
            "rollout again after the upgrade; from kubeadm 1.25 the patch written to %s takes over"
            % (kubelet.format_version(kubeadm_version), patches_dir)))
    return dict(survives=True, note=(
        "kubeadm applies %s/%s when it writes /var/lib/kubelet/config.yaml, as long as 'kubeadm upgrade node' is "
        "given --patches %s (or patches.directory in its configuration)" % (patches_dir, KUBEADM_PATCH_NAME, patches_dir)))


def kubeadm_patch_files(names):
    """The kubeletconfiguration patches among ``names`` (relative paths), in kubeadm's order, with their type."""
    found = []
    for name in sorted(names, key=lambda item: item.split("/")):
        match = KUBEADM_PATCH_FILE.match(os.path.basename(name))
        if match:
            found.append((name, match.group(1) or "strategic"))
    return found


def list_patches(patches_dir, read, strict=False):
    """[(path relative to ``patches_dir``, text)] of the kubeletconfiguration patches under it.

    With ``strict`` a directory under it that cannot be listed is an error naming it: a patch we cannot see
    could undo the change at the next 'kubeadm upgrade node'."""
    found = []

    def refuse(exc):
        if strict:
            raise kubelet.KubeletConfigError(str(errors.os_error(exc, exc.filename or patches_dir, "listed")))
    for directory, subdirectories, names in os.walk(patches_dir, onerror=refuse):
        subdirectories.sort()
        for name in sorted(names):
            if KUBEADM_PATCH_FILE.match(name):
                path = os.path.join(directory, name)
                found.append((os.path.relpath(path, patches_dir), read(path)))
    return found


def _check_later_patches(patches_dir, patches, after):
    """Refuse when a patch kubeadm applies after ours sets seccompDefault or the gate otherwise."""
    texts = dict(patches)
    wanted = dict(seccompDefault=after.get("seccompDefault"), gate=(after.get("featureGates") or {}).get(kubelet.GATE))
    state = dict(wanted)
    setter = {}
    for name, patch_type in kubeadm_patch_files(list(texts)):
        path = os.path.join(patches_dir, name)
        for document in _patch_documents(path, texts[name]):
            for field, value in _patched_fields(path, patch_type, document):
                state[field] = value
                setter[field] = path
    names = dict(seccompDefault="seccompDefault", gate="featureGates.%s" % kubelet.GATE)
    for field in ("seccompDefault", "gate"):
        if state[field] != wanted[field] and setter.get(field) != os.path.join(patches_dir, KUBEADM_PATCH_NAME):
            raise kubelet.KubeletConfigError(
                "%s sets %s to %s and kubeadm applies it after %s, so 'kubeadm upgrade node' would undo the change; "
                "change or remove it there" % (setter[field], names[field], _show(state[field]), KUBEADM_PATCH_NAME))


def _show(value):
    return "null (removed)" if value is None else str(value).lower()


def _patch_documents(path, text):
    documents = []
    for part in re.split(r"\n---", text or ""):
        if part.strip():
            documents.append(_load(path, part))
    return documents


def _patched_fields(path, patch_type, document):
    """(field, value) pairs a kubeadm patch sets for seccompDefault and the gate ('gate')."""
    if patch_type == "json":
        if not isinstance(document, list):
            raise kubelet.KubeletConfigError("%s: a +json patch must be a list of RFC 6902 operations" % path)
        changes = []
        for index, operation in enumerate(document):
            if not isinstance(operation, dict):
                raise kubelet.KubeletConfigError("is not an RFC 6902 operation", path=path, field="[%d]" % index,
                                                 value=operation, expected="a map with op, path and value")
            op, target = operation.get("op"), operation.get("path")
            value = None if op == "remove" else operation.get("value")
            if target == "/seccompDefault" and op in ("add", "replace", "remove"):
                changes.append(("seccompDefault", value))
            elif target == "/featureGates/%s" % kubelet.GATE and op in ("add", "replace", "remove"):
                changes.append(("gate", value))
            elif target == "/featureGates" and op in ("add", "replace", "remove"):
                changes.append(("gate", (value or {}).get(kubelet.GATE) if isinstance(value, dict) else None))
        return changes
    if not isinstance(document, dict):
        return []
    changes = []
    if "seccompDefault" in document:
        changes.append(("seccompDefault", document["seccompDefault"]))
    gates = document.get("featureGates", {}) if "featureGates" in document else {}
    if document.get("featureGates", "") is None:
        changes.append(("gate", None))
    elif isinstance(gates, dict) and kubelet.GATE in gates:
        changes.append(("gate", gates[kubelet.GATE]))
    return changes


def _check_files(files):
    problems = []
    for item in files:
        if item is None or item.document is None:
            continue
        problems.extend(kubelet.config_problems(item.plain(), item.path))
    if problems:
        raise kubelet.KubeletConfigError("; ".join(problems))


def _merged(base, drop_ins):
    return kubelet.merged_config(base.plain() if base is not None else None,
                                 [(item.path, item.plain()) for item in drop_ins if item.document is not None])


def _merged_without(base, drop_ins, skip):
    return kubelet.merged_config(base.plain() if base is not None and base is not skip else None,
                                 [(item.path, item.plain()) for item in drop_ins
                                  if item.document is not None and item is not skip])


def _who_sets_seccomp(base, drop_ins, target, flags, wanted):
    if not wanted and kubelet.flag_is_true(flags.get(kubelet.SECCOMP_DEFAULT_FLAG)):
        return "the kubelet command line has --seccomp-default outside the environment files given"
    later = False
    for item in [base] + drop_ins:
        if item is target:
            later = True
            continue
        if later and item is not None and item.get("seccompDefault") is not None and item.get("seccompDefault") is not wanted:
            return "%s sets seccompDefault: %s and is applied after %s; change it there or use a later drop-in" % (
                item.path, str(item.get("seccompDefault")).lower(), target.path if target else "the config")
    return "no file of this layout can change it"


# --- the module's input: the node's files and the record of an earlier run, read and checked in one place ---

# A KubeletConfiguration, a drop-in, an environment file or a patch is a few KiB; a larger file is not one of them.
MAX_CONFIG_BYTES = 1024 * 1024
RECORD_STATES = ("created", "updated", "removed", "unchanged", "absent", "restored")
NOTHING_TO_RESTORE = ("unchanged", "absent", "restored")
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def read_current(path, encoding="utf-8", limit=MAX_CONFIG_BYTES):
    """A file's text (bytes with ``encoding=None``), None when it does not exist; through a symlink, whose
    target must exist. Anything else that is not a readable regular file of sane size is an error naming it."""
    data = errors.read_file(path, limit=limit, missing_ok=True, encoding=encoding)
    if data is None and os.path.islink(path):
        raise kubelet.KubeletConfigError("is a symlink to %s, which does not exist; point it at the file, or remove it"
                                         % os.readlink(path), path=path)
    return data


def check_drop_in_name(name):
    """``name`` if it is a plain file name the kubelet reads as a drop-in: it becomes a path under --config-dir."""
    problem = None
    if not name.endswith(".conf"):
        problem = "does not end in .conf; the kubelet reads only *.conf in its --config-dir"
    elif "/" in name or "\0" in name:
        problem = "is not a plain file name (it has a '/' or a NUL); it is written in the kubelet's --config-dir"
    elif len(name.encode("utf-8", "surrogateescape")) > 255:
        problem = "is longer than the 255 bytes a file name can have"
    if problem:
        raise kubelet.KubeletConfigError(problem, field="drop_in_name", value=name, expected="a file name such as 90-seccomp-default.conf")
    return name


def _check_path_params(params):
    named = [("config", params.get("config")), ("config_dir", params.get("config_dir")), ("patches_dir", params.get("patches_dir"))]
    named += [("env_files[%d]" % index, path) for index, path in enumerate(params.get("env_files") or [])]
    for field, path in named:
        if path is not None and "\0" in path:
            raise kubelet.KubeletConfigError("has a NUL character, which no path can have", field=field, value=path)


def _directory(path, option):
    """Whether ``path`` is a directory to read (False when it does not exist yet); an error when it is not one."""
    if not os.path.lexists(path):
        return False
    if not os.path.isdir(path):
        what = "a symlink to %s, which does not exist" % os.readlink(path) if os.path.islink(path) else "not a directory"
        raise kubelet.KubeletConfigError("is %s; %s must be a directory" % (what, option), path=path)
    return True


def read_layout(params):
    """The ``layout`` that ``plan`` takes, from the module's parameters and the node's files, all checked.

    Every file the plan depends on is read here (bounded, UTF-8, a regular file); drop-ins are read only
    when this kubelet reads its --config-dir. Raises ``KubeletConfigError`` naming the file or parameter."""
    version = params["version"]
    kubelet.gate_stage(version)  # an unsupported version fails before any file is read
    _check_path_params(params)
    check_drop_in_name(params["drop_in_name"])
    config, config_dir, patches_dir = params["config"], params["config_dir"], params["patches_dir"]
    drop_ins = []
    if config_dir and kubelet.drop_ins_supported(version, params["environment"]) and _directory(config_dir, "config_dir"):
        drop_ins = kubelet.list_drop_in_dir(config_dir, read_current, strict=True)
    patches = []
    if params["kubeadm"] and _directory(patches_dir, "patches_dir"):
        patches = list_patches(patches_dir, read_current, strict=True)
    return dict(
        version=version, config=config, config_text=read_current(config) if config else None,
        config_dir=config_dir, drop_ins=drop_ins, kubeadm=params["kubeadm"], patches_dir=patches_dir,
        drop_in_name=params["drop_in_name"], environment=params["environment"],
        kubeadm_version=params["kubeadm_version"], patches=patches,
        env_files=[(path, read_current(path)) for path in params["env_files"]],
    )


def write_target(path, removing=False):
    """The file a write to ``path`` really changes, checked before anything is written.

    A symlink stays a symlink: what it points to is written (in its own directory, atomically), as
    ``lineinfile`` does. A symlink is never removed, nor a path written whose directory cannot be."""
    target = path
    if os.path.islink(path):
        target = os.path.realpath(path)
        if removing:
            raise kubelet.KubeletConfigError(
                "is a symlink to %s; the module would remove it, and does not remove links: remove it by hand, or "
                "point it at a file of your own" % target, path=path)
    existing = os.path.dirname(target) or "."
    while not os.path.lexists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise kubelet.KubeletConfigError("is not a directory, so %s cannot be written under it" % path, path=existing)
    if not os.access(existing, os.W_OK | os.X_OK):
        raise kubelet.KubeletConfigError("is not writable by this user, so %s cannot be written" % path, path=existing)
    return target


def _bad_entry(where, field, value, expected, problem="is not valid"):
    return errors.InputError(problem, path=where, field=field, value=value, expected=expected)


def check_record(entries):
    """The ``files`` list an earlier run returned (the ``restore`` option), each field checked: [entry]."""
    seen = {}
    for index, entry in enumerate(entries):
        where = "restore[%d]" % index
        if not isinstance(entry, dict):
            raise _bad_entry(where, None, entry, "one entry of the files list this module returned")
        path = entry.get("path")
        if not isinstance(path, str) or not path.startswith("/") or "\0" in path or os.path.normpath(path) != path:
            raise _bad_entry(where, "path", path, "the absolute path of a file, as this module returned it")
        where = "restore[%d] (%s)" % (index, path)
        if entry.get("state") not in RECORD_STATES:
            raise _bad_entry(where, "state", entry.get("state"), "one of %s" % ", ".join(RECORD_STATES))
        for field in ("before_sha256", "after_sha256"):
            value = entry.get(field)
            if value is not None and not (isinstance(value, str) and SHA256.match(value)):
                raise _bad_entry(where, field, value, "64 lowercase hexadecimal digits, or null")
        backup = entry.get("backup")
        if backup is not None and not (isinstance(backup, str) and "\0" not in backup and os.path.normpath(backup) == backup
                                       and os.path.dirname(backup) == os.path.dirname(path)
                                       and os.path.basename(backup).startswith(os.path.basename(path) + ".")):
            raise _bad_entry(where, "backup", backup, "null, or the copy this module kept beside the file (%s.<pid>.<time>~)" % path)
        for field, top in (("mode", 0o7777), ("uid", 2 ** 32 - 1), ("gid", 2 ** 32 - 1)):
            value = entry.get(field)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top):
                raise _bad_entry(where, field, value, "a number from 0 to %d, or null" % top)
        if entry.get("read_by_kubelet") is not None and not isinstance(entry.get("read_by_kubelet"), bool):
            raise _bad_entry(where, "read_by_kubelet", entry.get("read_by_kubelet"), "true or false")
        state = entry["state"]
        if state in NOTHING_TO_RESTORE:
            continue
        needed = dict(created=("after_sha256",), updated=("before_sha256", "after_sha256"), removed=("before_sha256",))[state]
        for field in needed:
            if entry.get(field) is None:
                raise _bad_entry(where, field, None, "the checksum the run recorded; without it the file cannot be checked",
                                 problem="is missing for a file that was %s" % state)
        if path in seen:
            raise errors.InputError("is in the list twice (entries %d and %d): give restore the files list of one run"
                                    % (seen[path], index), path=path)
        seen[path] = index
    return entries


def _changed_since(entry, current):
    """Why ``entry``'s file cannot be put back: it is no longer what the recorded run left."""
    path, state = entry["path"], entry["state"]
    now = "it does not exist now" if current is None else "its sha256 is now %s" % files.sha256_bytes(current)
    left = "left no file there" if entry.get("after_sha256") is None else "left sha256 %s" % entry["after_sha256"]
    if state == "created":
        advice = "that run created it: delete it by hand if what was changed since is not wanted"
    elif entry.get("backup"):
        advice = "merge by hand from the copy taken before that run, %s" % entry["backup"]
    else:
        advice = "put back by hand what it held before that run (sha256 %s)" % entry["before_sha256"]
    return ("%s was changed after the run that recorded it (%s; that run %s), and restoring would lose those changes: "
            "%s, or remove its entry from restore to keep the file as it is" % (path, now, left, advice))


def restore_plan(entries):
    """[(entry, current bytes or None, bytes to put back or None)] for the ``files`` list of an earlier run.

    A file is put back only when it is exactly what that run left (its ``after_sha256``); one that is
    already as it was before the run is left alone. Every entry is checked before any is acted on, so a
    file changed since, a missing or altered backup, or a corrupt entry fails the whole restore with
    nothing touched."""
    steps, problems = [], []
    for entry in check_record(entries):
        path, state = entry["path"], entry["state"]
        if state in NOTHING_TO_RESTORE:
            continue
        current = read_current(path, encoding=None, limit=errors.MAX_FILE_BYTES)
        current_sha = files.sha256_bytes(current) if current is not None else None
        if current_sha == entry.get("before_sha256"):
            steps.append((entry, current, current))  # already as it was
            continue
        if current_sha != entry.get("after_sha256"):
            problems.append(_changed_since(entry, current))
            continue
        if state == "created":
            if os.path.islink(path):
                problems.append("%s is a symlink now, and the run that recorded it created a regular file there; "
                                "remove it by hand if it is not wanted, or remove its entry from restore" % path)
                continue
            steps.append((entry, current, None))
            continue
        if not entry.get("backup"):
            problems.append("%s cannot be put back: it was %s without a backup (backup: false); put back by hand what it "
                            "held (sha256 %s)" % (path, state, entry["before_sha256"]))
            continue
        content = read_current(entry["backup"], encoding=None, limit=errors.MAX_FILE_BYTES)
        if content is None or files.sha256_bytes(content) != entry["before_sha256"]:
            problems.append("%s cannot be put back: its backup %s %s, not sha256 %s as recorded" % (
                path, entry["backup"], "is missing" if content is None else "is now sha256 %s" % files.sha256_bytes(content),
                entry["before_sha256"]))
            continue
        steps.append((entry, current, content))
    if problems:
        raise errors.InputError("; ".join(problems) + ". Nothing was restored")
    return steps
