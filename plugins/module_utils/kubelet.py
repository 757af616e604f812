# -*- coding: utf-8 -*-
# Copyright: Contributors to the k8s.seccomp_default collection
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The kubelet's side of SeccompDefault: versions, the feature gate, and its configuration files.

The gate lifecycle and the kubelet's merge rules are in k8s-facts.md sections 1 and 2; this file
is the one place that encodes them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import re
import shlex

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


class KubeletConfigError(ValueError):
    """A kubelet configuration we must not touch: names the file, field and value."""


def parse_version(text):
    """(major, minor, patch) from 'v1.30.4', 'Kubernetes v1.30.4', '1.30' or '1.30.4-eks-1'."""
    match = re.search(r"v?(\d+)\.(\d+)(?:\.(\d+))?", str(text or ""))
    if not match:
        raise KubeletConfigError("%r is not a Kubernetes version; expected for example v1.30.4" % (text,))
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
    """The drop-in files the kubelet reads, in the order it applies them: extension exactly .conf."""
    return sorted(name for name in names if name.endswith(".conf") and len(name) > len(".conf")
                  and not name.startswith("."))


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
        return ["%s: a KubeletConfiguration must be a YAML map, not %s" % (name, type(document).__name__)]
    problems = []
    if document.get("apiVersion") != API_VERSION:
        problems.append("%s: apiVersion is %r; expected %r" % (name, document.get("apiVersion"), API_VERSION))
    if document.get("kind") != KIND:
        problems.append("%s: kind is %r; expected %r" % (name, document.get("kind"), KIND))
    for path, kind, expected in FIELD_TYPES:
        value = document.get(path[0])
        if value is not None and (not isinstance(value, kind) or (kind is int and isinstance(value, bool))):
            problems.append("%s: %s is %r; expected %s" % (name, ".".join(path), value, expected))
    for gate, value in sorted((document.get("featureGates") or {}).items()) if isinstance(
            document.get("featureGates"), dict) else ():
        if not isinstance(value, bool):
            problems.append("%s: featureGates.%s is %r; expected true or false" % (name, gate, value))
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
            raise KubeletConfigError("--feature-gates: %r is not Gate=true or Gate=false" % item)
        gates[key.strip()] = value.strip().lower() == "true"
    return gates


def flag_is_true(value):
    return value is not None and str(value).lower() in ("true", "1", "t")


ENV_LINE = re.compile(r"^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_]*)=(.*)$")


def parse_env_file(text):
    """{name: value} of a systemd EnvironmentFile / kubeadm-flags.env (quotes removed)."""
    values = {}
    for line in text.splitlines():
        match = ENV_LINE.match(line)
        if match and not line.lstrip().startswith("#"):
            values[match.group(2)] = _unquote(match.group(3))
    return values


def _unquote(value):
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def edit_env_flags(text, remove_gate=False, remove_seccomp_default=False):
    """Drop the SeccompDefault gate from --feature-gates and/or the --seccomp-default flag.

    Every other line, variable, flag and gate is kept as it was; returns the new text.
    """
    out = []
    for line in text.splitlines(True):
        match = ENV_LINE.match(line.rstrip("\n"))
        if not match or line.lstrip().startswith("#"):
            out.append(line)
            continue
        raw = match.group(3).strip()
        quote = raw[0] if raw[:1] in "\"'" and raw[-1:] == raw[:1] and len(raw) >= 2 else ""
        words = shlex.split(_unquote(raw))
        kept = _edit_words(words, remove_gate, remove_seccomp_default)
        if kept == words:
            out.append(line)
            continue
        ending = "\n" if line.endswith("\n") else ""
        joined = " ".join(shlex.quote(word) for word in kept)
        out.append("%s%s=%s%s%s%s" % (match.group(1), match.group(2), quote or '"', joined, quote or '"', ending))
    return "".join(out)


def _edit_words(words, remove_gate, remove_seccomp_default):
    kept = []
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        name = word.split("=", 1)[0]
        if remove_seccomp_default and name == SECCOMP_DEFAULT_FLAG:
            continue
        if remove_gate and name == FEATURE_GATES_FLAG:
            value = word.split("=", 1)[1] if "=" in word else (words[index] if index < len(words) else "")
            if "=" not in word:
                index += 1
            rest = [item for item in value.split(",") if item.strip() and item.split("=", 1)[0].strip() != GATE]
            if rest:
                kept.append("%s=%s" % (FEATURE_GATES_FLAG, ",".join(rest)))
            continue
        kept.append(word)
    return kept


def env_flag_words(text):
    """Every word of every variable in an environment file, for flag inspection."""
    words = []
    for value in parse_env_file(text).values():
        try:
            words.extend(shlex.split(value))
        except ValueError:
            words.extend(value.split())
    return words
