"""A property test of the kubelet config reader and editor (module_utils/kubelet_config, config_text) on mutated files.

Size and time: 4,000 texts (the kubelet configs of tests/data/nodes and a few hand-written shapes, each mutated
one to four times: characters YAML cares about inserted, spans deleted, lines duplicated, swapped or re-indented),
each planned for a random version, seccomp_default and gate removal with method in_place - about 3 s here.

The properties: ``plan`` raises nothing but ``InputError`` (``KubeletConfigError``) on any text; and when it
returns, the text it would write reads back as exactly the configuration it promised (``after``), that
configuration is one the kubelet of that version starts with, and seccompDefault is what was asked.
"""

import glob
import math
import os
import random

from ansible_collections.k8s.seccomp_default.plugins.module_utils import errors
from ansible_collections.k8s.seccomp_default.plugins.module_utils import kubelet as K
from ansible_collections.k8s.seccomp_default.plugins.module_utils import kubelet_config as KC

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
HEADER = "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
HANDWRITTEN = [
    HEADER,
    HEADER + "featureGates: {RotateKubeletServerCertificate: true, SeccompDefault: true}  # gates\nport: 10250\n",
    "# written by hand\n" + HEADER + "featureGates:\n    SeccompDefault: false\n    # Other: true\nseccompDefault: true\n",
    HEADER + '"seccompDefault": false   # off for now\nhealthzPort: 10248\n',
    '{"apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration", "featureGates": {"SeccompDefault": true}}',
    HEADER + "staticPodPath: /etc/kubernetes/manifests\nfeatureGates:\n  A: true\n  SeccompDefault: true\nx:\n- 1\n- 2\n",
]
PIECES = [":", ": ", "-", "- ", "{", "}", "[", "]", ",", "#", "&a", "*a", "!!str ", "'", '"', "\n", " ", "  ", "\t",
          "|", ">", "0", "1", "true", "false", "yes", "null", "~", "SeccompDefault", "seccompDefault", "featureGates",
          "featureGates:\n", "  SeccompDefault: true\n", "seccompDefault: true\n", "---\n", "\\", "\u00e9", "{}", "[]"]
VERSIONS = ["1.23.17", "1.25.0", "1.26.15", "1.27.3", "1.28.15", "1.29.4", "1.30.4", "1.33.0"]
COUNT = 4000


def seeds():
    found = []
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "data", "nodes", "*", "**", "*"), recursive=True)):
        if os.path.isfile(path) and path.endswith((".yaml", ".json", "kubelet.conf")):
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            if "KubeletConfiguration" in text:
                found.append(text)
    assert len(found) >= 5, "the node copies under tests/data/nodes hold kubelet configs"
    return found + HANDWRITTEN


def mutate(text, rng):
    for _round in range(rng.randint(1, 4)):
        choice = rng.random()
        lines = text.splitlines(True)
        if choice < 0.4:
            at = rng.randint(0, len(text))
            text = text[:at] + rng.choice(PIECES) + text[at:]
        elif choice < 0.6 and text:
            at = rng.randrange(len(text))
            text = text[:at] + text[at + rng.randint(1, 8):]
        elif choice < 0.75 and lines:
            at = rng.randrange(len(lines))
            lines.insert(at, lines[at])
            text = "".join(lines)
        elif choice < 0.9 and len(lines) > 1:
            first, second = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[first], lines[second] = lines[second], lines[first]
            text = "".join(lines)
        elif lines:
            at = rng.randrange(len(lines))
            lines[at] = rng.choice(["", " ", "  ", "\t"]) + lines[at].lstrip(" ")
            text = "".join(lines)
    return text


def canonical(value):
    """``value`` compared as data: map order does not matter, and NaN equals NaN."""
    if isinstance(value, dict):
        return sorted((repr(key), canonical(item)) for key, item in value.items())
    if isinstance(value, list):
        return [canonical(item) for item in value]
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return (type(value).__name__, value)


def check_one(text, rng):
    version = rng.choice(VERSIONS)
    wanted = rng.choice([True, False, None])
    remove_gate = wanted is False and rng.random() < 0.3
    path = "/etc/kubernetes/kubelet-config.%s" % ("json" if text.lstrip().startswith("{") else "yaml")
    layout = dict(version=version, config=path, config_text=text, config_dir=None, drop_ins=[], env_files=[],
                  kubeadm=False, patches_dir="/p", drop_in_name="90-x.conf", environment={})
    try:
        plan = KC.plan(layout, seccomp_default=wanted, method="in_place", remove_gate=remove_gate)
    except errors.InputError:
        return "refused"
    written = dict(plan["writes"]).get(path)
    new_text = text if written is None else written.decode("utf-8")
    document = KC.load_plain(path, new_text)
    assert canonical(document if document is not None else {"apiVersion": K.API_VERSION, "kind": K.KIND}) == \
        canonical(plan["after"]), (text, new_text)
    gate = (plan["after"].get("featureGates") or {}).get(K.GATE)
    assert K.gate_error(version, gate, bool(plan["after"].get("seccompDefault"))) is None, (version, new_text)
    if wanted is not None:
        assert bool(plan["after"].get("seccompDefault")) is wanted, (wanted, new_text)
    return "planned"


def test_mutated_kubelet_configs_are_planned_exactly_or_refused_as_input_errors():
    rng = random.Random(16)
    texts = seeds()
    outcomes = {"refused": 0, "planned": 0}
    for _index in range(COUNT):
        text = mutate(rng.choice(texts), rng)
        try:
            outcomes[check_one(text, rng)] += 1
        except AssertionError:
            raise
        except Exception as exc:  # pylint: disable=broad-except
            raise AssertionError("%s: %s on the text %r" % (type(exc).__name__, exc, text))
    # Both sides are exercised: most mutations still plan, many are refused.
    assert outcomes["planned"] > COUNT // 10 and outcomes["refused"] > COUNT // 10, outcomes
