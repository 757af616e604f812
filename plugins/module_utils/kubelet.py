# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The kubelet's side of SeccompDefault: versions, the feature gate, and its configuration files.

The gate lifecycle and the kubelet's merge rules are in docs/kubernetes-facts.md#seccompdefault-gate-lifecycle and
docs/kubernetes-facts.md#kubelet-config-files-and-drop-ins; this file is the one place that encodes them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os
import re

from ansible_collections.k8s.seccomp_default.plugins.module_utils import errors

GATE = "SeccompDefault"
API_VERSION = "kubelet.config.k8s.io/v1beta1"
KIND = "KubeletConfiguration"
DEFAULT_ROOT_DIR = "/var/lib/kubelet"
DEFAULT_HEALTHZ = ("127.0.0.1", 10248)
DEFAULT_PORT = 10250
OLDEST_SUPPORTED = (1, 22)
# --config-dir: alpha 1.28-1.29 behind an environment variable, beta 1.30, GA 1.35 (KEP-3983).
DROP_IN_SINCE = (1, 28)
DROP_IN_ALPHA_UNTIL = (1, 29)
DROP_IN_ALPHA_ENV = "KUBELET_CONFIG_DROPIN_DIR_ALPHA"

# (first minor, last minor or None, stage, gate default, gate locked)
GATE_STAGES = (
    ((1, 22), (1, 24), "alpha", False, False),
    ((1, 25), (1, 26), "beta", True, False),
    ((1, 27), (1, 28), "ga", True, True),
    ((1, 29), None, "removed", None, False),
)


class KubeletConfigError(errors.InputError):
    """A kubelet configuration we must not touch: names the file, field and value."""


def parse_version(text):
    """(major, minor, patch) from 'v1.30.4', 'Kubernetes v1.30.4', '1.30' or '1.30.4-eks-1'."""
    # Parts are bounded: int() of thousands of digits raises (Python's 4300-digit limit) and no version has them.
    match = re.search(r"(?<!\d)v?(\d{1,9})\.(\d{1,9})(?:\.(\d{1,9}))?(?!\d)", str(text or ""))
    if not match:
        raise KubeletConfigError("%s is not a Kubernetes version; expected for example v1.30.4" % errors.short_repr(text))
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


def gate_stage(version):
    """The SeccompDefault gate at ``version``: dict(stage, default, locked, exists)."""
    minor = parse_version(version)[:2]
    if minor < OLDEST_SUPPORTED:
        raise KubeletConfigError(
            "kubelet %s is not supported: SeccompDefault first exists in 1.22 (supported: 1.22 and later)" % format_version(version))
    for first, last, stage, default, locked in GATE_STAGES:
        if first <= minor and (last is None or minor <= last):
            return dict(stage=stage, default=default, locked=locked, exists=stage != "removed")
    raise AssertionError("unreachable: GATE_STAGES covers every version from 1.22")


def format_version(version):
    major, minor, patch = parse_version(version)
    return "%d.%d.%d" % (major, minor, patch)


def drop_ins_supported(version, environment=None):
    """Whether this kubelet accepts --config-dir (the alpha needs its environment variable set)."""
    minor = parse_version(version)[:2]
    if minor < DROP_IN_SINCE:
        return False
    if minor <= DROP_IN_ALPHA_UNTIL:
        return DROP_IN_ALPHA_ENV in (environment or {})
    return True


def wanted_gate(version, current):
    """What the SeccompDefault gate entry should be: True, False, or None for "no entry".

    ``current`` is the merged value now (None when absent). Alpha needs it on; beta accepts
    anything but off; GA tolerates only true; from 1.29 any entry stops the kubelet.
    """
    stage = gate_stage(version)
    if stage["stage"] == "alpha":
        return True
    if stage["stage"] == "removed":
        return None
    if current is False:
        return None if stage["locked"] else True
    return current


def gate_error(version, gate, seccomp_default, source="config"):
    """The error the kubelet stops with for this gate value and seccompDefault, or None."""
    stage = gate_stage(version)
    if gate is not None and not stage["exists"]:
        if source == "flag":
            return ('failed to parse kubelet flag: invalid argument "%s=%s" for "--feature-gates" flag: '
                    "unrecognized feature gate: %s" % (GATE, str(gate).lower(), GATE))
        return "failed to set feature gates from initial flags-based config: unrecognized feature gate: %s" % GATE
    if gate is False and stage["locked"]:
        return "cannot set feature gate %s to false, feature is locked to true" % GATE
    enabled = stage["default"] if gate is None else gate
    if seccomp_default and stage["exists"] and not enabled:
        return "the SeccompDefault feature gate must be enabled in order to use the SeccompDefault configuration"
    return None


# --- merging (kubelet mergeKubeletConfigurations: RFC 7386 merge patch per *.conf, lexical order) ---

def merge_patch(target, patch):
    """RFC 7386 JSON merge patch: maps merge per key, null deletes, everything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def drop_in_names(names):
    """The drop-ins the kubelet merges, in its order, from paths relative to --config-dir.

    mergeKubeletConfigurations walks the directory with filepath.WalkDir - lexical order, depth first, into
    subdirectories - and takes every file whose extension is exactly .conf: hidden files and files in
    subdirectories count too.
    """
    return sorted((name for name in names if name.endswith(".conf")), key=lambda name: name.split("/"))


def list_drop_in_dir(config_dir, read, strict=False):
    """[(path relative to ``config_dir``, text)] of every file under it, for ``drop_in_names`` to choose from.

    ``read(path)`` returns a file's text (None when it cannot be read). Directory links are not followed,
    as WalkDir does not follow them. With ``strict``, a directory that cannot be listed is an error naming
    it (a drop-in we cannot see could override what we write); otherwise it reads as empty.
    """
    found = []

    def walk(directory, prefix):
        try:
            names = sorted(os.listdir(directory))
        except OSError as exc:
            if strict:
                raise KubeletConfigError(str(errors.os_error(exc, directory, "listed")))
            return
        for name in names:
            path = os.path.join(directory, name)
            if os.path.isdir(path) and not os.path.islink(path):
                walk(path, prefix + name + "/")
            else:
                found.append((prefix + name, read(path) if name.endswith(".conf") else None))
    walk(config_dir, "")
    return found


# Types of the fields this collection reads or writes; checked on the merged result and on every file.
FIELD_TYPES = (
    (("seccompDefault",), bool, "true or false"),
    (("featureGates",), dict, "a map of gate names to true or false"),
    (("healthzPort",), int, "a port number"),
    (("healthzBindAddress",), str, "an IP address"),
    (("port",), int, "a port number"),
    (("staticPodPath",), str, "a path"),
)


def config_problems(document, name):
    """Problems with a KubeletConfiguration document, each naming the file, field and value."""
    if not isinstance(document, dict):
        return ["%s: a KubeletConfiguration must be a YAML map, not a %s (found %s)"
                % (name, errors.type_name(document), errors.short_repr(document))]

    def show(key):
        return errors.short_repr(document[key]) if key in document else "missing"
    problems = []
    if document.get("apiVersion") != API_VERSION:
        problems.append("%s: apiVersion is %s; expected %r" % (name, show("apiVersion"), API_VERSION))
    if document.get("kind") != KIND:
        problems.append("%s: kind is %s; expected %r" % (name, show("kind"), KIND))
    for path, kind, expected in FIELD_TYPES:
        value = document.get(path[0])
        if value is not None and (not isinstance(value, kind) or (kind is int and isinstance(value, bool))):
            problems.append("%s: %s is %s; expected %s" % (name, ".".join(path), errors.short_repr(value), expected))
    gates = document.get("featureGates")
    for gate, value in sorted(gates.items(), key=lambda item: str(item[0])) if isinstance(gates, dict) else ():
        if not isinstance(value, bool):
            problems.append("%s: featureGates.%s is %s; expected true or false" % (name, gate, errors.short_repr(value)))
    return problems


def merged_config(base, drop_ins):
    """The configuration the kubelet runs with: ``base`` then each (name, document) in ``drop_ins``."""
    merged = copy.deepcopy(base) if base is not None else {"apiVersion": API_VERSION, "kind": KIND}
    for _name, document in drop_ins:
        merged = merge_patch(merged, json.loads(json.dumps(document)))
    return merged


# --- command line and environment files (systemd EnvironmentFile= and kubeadm-flags.env) ---

FEATURE_GATES_FLAG = "--feature-gates"
SECCOMP_DEFAULT_FLAG = "--seccomp-default"


def parse_flags(argv):
    """{flag: value} from a kubelet argv ('--a=b', '--a b' for known value flags, '--bool')."""
    flags = {}
    items = list(argv)
    index = 0
    while index < len(items):
        item = items[index]
        index += 1
        if not item.startswith("--"):
            continue
        if "=" in item:
            key, value = item.split("=", 1)
        elif item in VALUE_FLAGS and index < len(items):
            key, value = item, items[index]
            index += 1
        else:
            key, value = item, "true"
        if key == FEATURE_GATES_FLAG and key in flags:
            value = flags[key] + "," + value
        flags[key] = value
    return flags


VALUE_FLAGS = frozenset(["--config", "--config-dir", "--root-dir", "--feature-gates", "--kubeconfig",
                         "--container-runtime-endpoint", "--hostname-override", "--node-ip", "--v",
                         "--bootstrap-kubeconfig", "--pod-infra-container-image", "--cgroup-driver"])


def parse_feature_gates(text):
    """{'Gate': bool} from 'A=true,B=false'; raises on a value that is not a bool."""
    gates = {}
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        key, _sep, value = item.partition("=")
        if value.strip().lower() not in ("true", "false"):
            raise KubeletConfigError("--feature-gates: %s is not Gate=true or Gate=false" % errors.short_repr(item))
        gates[key.strip()] = value.strip().lower() == "true"
    return gates


def flag_is_true(value):
    return value is not None and str(value).lower() in ("true", "1", "t")


def parse_env_file(text):
    """{name: value} of a systemd EnvironmentFile / kubeadm-flags.env, read as systemd reads it."""
    # Imported where it is used: a module compiles every module_utils it imports on each run, and most modules that
    # read kubelet versions never parse a systemd file.
    from ansible_collections.k8s.seccomp_default.plugins.module_utils import systemd

    return systemd.parse_env_file(text)


def edit_env_flags(text, remove_gate=False, remove_seccomp_default=False):
    """Drop the SeccompDefault gate from --feature-gates and/or the --seccomp-default flag.

    Only the words that change are touched, where they were written: every other line, variable, flag, gate,
    quote and continuation stays as it was. Returns the new text.
    """
    from ansible_collections.k8s.seccomp_default.plugins.module_utils import systemd  # see parse_env_file

    out = []
    done = 0
    for _name, value, start, end in systemd.env_assignments(text):
        words = systemd.split_words(value)
        edits = _word_edits(words, remove_gate, remove_seccomp_default)
        if not edits:
            continue
        out.append(text[done:start])
        out.append(_edit_assignment(text[start:end], words, edits))
        done = end
    out.append(text[done:])
    return "".join(out)


def _word_edits(words, remove_gate, remove_seccomp_default):
    """{index: replacement or None (removed)} for the words of one variable."""
    edits = {}
    index = 0
    while index < len(words):
        word = words[index]
        name = word.split("=", 1)[0]
        if remove_seccomp_default and name == SECCOMP_DEFAULT_FLAG:
            edits[index] = None
        elif remove_gate and name == FEATURE_GATES_FLAG:
            value_index = index if "=" in word else index + 1
            value = word.split("=", 1)[1] if "=" in word else (words[index + 1] if index + 1 < len(words) else "")
            items = [item for item in value.split(",") if item.strip()]
            rest = [item for item in items if item.split("=", 1)[0].strip() != GATE]
            if rest != items:
                if not rest:
                    edits[index] = None
                    if value_index != index:
                        edits[value_index] = None
                elif value_index == index:
                    edits[index] = "%s=%s" % (FEATURE_GATES_FLAG, ",".join(rest))
                else:
                    edits[value_index] = ",".join(rest)
            index = value_index
        index += 1
    return edits


def _edit_assignment(raw, words, edits):
    """``raw`` (one KEY=VALUE as written) with ``edits`` made where each word was written; a word that was
    quoted or escaped inside itself cannot be found that way, and then the assignment is written anew."""
    result = raw
    cursor = raw.index("=") + 1
    for index in sorted(edits):
        found = result.find(words[index], cursor)
        if found < 0:
            return _rewritten_assignment(raw, words, edits)
        after = found + len(words[index])
        if edits[index] is not None:
            result = result[:found] + edits[index] + result[after:]
            cursor = found + len(edits[index])
            continue
        result, cursor = _remove_span(result, found, after)
    return result


def _remove_span(text, start, end):
    """``text`` without text[start:end] and the blanks that separated it; a line left with nothing but a
    continuation goes, so does a dangling backslash before a removed last line."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    before, after = text[line_start:start], text[end:line_end]
    if not before.strip() and after.strip() in ("\\", ""):
        if after.strip() == "" and line_start > 0:
            previous = text[:line_start - 1].rstrip()
            if previous.endswith("\\"):
                previous = previous[:-1].rstrip()
            return previous + text[line_end:], len(previous)
        return text[:line_start] + text[min(line_end + 1, len(text)):], line_start
    left = start
    while left > line_start and text[left - 1] in " \t":
        left -= 1
    if left == start or left == line_start:  # nothing blank before it: take the blanks after it instead
        while end < line_end and text[end] in " \t":
            end += 1
    return text[:left] + text[end:], left


def _rewritten_assignment(raw, words, edits):
    kept = [edits.get(index, word) for index, word in enumerate(words) if edits.get(index, word) is not None]
    key = raw.split("=", 1)[0]
    return '%s="%s"' % (key, " ".join(word.replace("\\", "\\\\").replace('"', '\\"') for word in kept))


def env_flag_words(text):
    """Every word of every variable in an environment file, for flag inspection."""
    from ansible_collections.k8s.seccomp_default.plugins.module_utils import systemd  # see parse_env_file

    words = []
    for value in parse_env_file(text).values():
        words.extend(systemd.split_words(value))
    return words
