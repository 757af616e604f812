"""yaml_reader: the YAML the kubelet reads (go-yaml v2 rules), checked against PyYAML wherever the two agree."""

import ast
import glob
import io
import math
import os
import random

import pytest
import yaml

from ansible_collections.k8s.seccomp_default.plugins.module_utils import yaml_reader as Y

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
NODES = os.path.join(ROOT, "tests", "data", "nodes")
MODULE = os.path.join(ROOT, "plugins", "module_utils", "yaml_reader.py")

try:
    from ruamel.yaml import YAML as RuamelYAML
except ImportError:  # pragma: no cover - ruamel is optional here
    RuamelYAML = None


def canon(value):
    """A comparable form that keeps types apart (1, 1.0, True and "1" differ) and treats nan as equal to nan."""
    if isinstance(value, dict):
        return "{" + ", ".join(sorted("%s: %s" % (canon(key), canon(item)) for key, item in value.items())) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(canon(item) for item in value) + "]"
    if isinstance(value, float):
        return "float:nan" if math.isnan(value) else "float:%r" % value
    return "%s:%r" % (type(value).__name__, value)


def assert_same(ours, theirs, text):
    assert canon(ours) == canon(theirs), "text:\n%s\n%r\nours:   %r\nPyYAML: %r" % (text, text, ours, theirs)


def pyyaml_plain_is_str(text):
    return yaml.resolver.Resolver().resolve(yaml.ScalarNode, text, (True, False)) == "tag:yaml.org,2002:str"


def agree(text):
    """Whether PyYAML (YAML 1.1) and go-yaml v2 read this plain scalar the same way. Where they do not (y/n, 1e3,
    08, 0o17, 1:20, timestamps, '=', '<<' ...), the go-yaml rule is tested in the tables below instead."""
    ours = Y._resolve(text)  # pylint: disable=protected-access
    if pyyaml_plain_is_str(text):
        return isinstance(ours, str)
    try:
        theirs = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    return canon(ours) == canon(theirs)


# 1. Every YAML/JSON file of the node layouts reads as PyYAML reads it.

def node_files():
    found = []
    for path in sorted(glob.glob(os.path.join(NODES, "**", "*"), recursive=True)):
        if os.path.isfile(path) and not path.endswith((".md", ".toml")):
            found.append(os.path.relpath(path, NODES))
    return found


# go-yaml v2 and PyYAML differ on none of these files today. A file where they do (a bare y or n, 1e3, 08, a tab
# after ':' ...) goes here as path -> the data the kubelet reads.
GO_YAML_DIFFERENCES = {}


@pytest.mark.parametrize("name", node_files())
def test_node_files_read_as_pyyaml_reads_them(name):
    path = os.path.join(NODES, name)
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pytest.skip("not text")
    try:
        theirs = yaml.safe_load(text)
    except yaml.YAMLError:
        # Not YAML (systemd units, TOML, INI): refused here too, with a position.
        assert not name.endswith((".yaml", ".yml", ".json")), "%s: a configuration file PyYAML cannot read" % name
        if name in GO_YAML_DIFFERENCES:
            assert_same(Y.load(text), GO_YAML_DIFFERENCES[name], text)
            return
        with pytest.raises(Y.YamlError) as refused:
            Y.load(text)
        assert refused.value.line >= 1 and refused.value.column >= 1
        return
    expected = GO_YAML_DIFFERENCES.get(name, theirs)
    assert_same(Y.load(text), expected, text)
    assert_same(Y.load(data), expected, text)
    if name.endswith((".yaml", ".yml", ".json")) or "kubelet" in os.path.basename(name):
        assert isinstance(theirs, (dict, str)), name


def test_node_files_cover_the_configuration_formats():
    names = node_files()
    assert any(name.endswith("config.yaml") for name in names)
    assert any(name.endswith(".json") for name in names)
    assert any(name.endswith("crictl.yaml") for name in names)
    assert any(name.endswith("kubelet.conf") for name in names)
    assert any(name.endswith("40-nodeadm.conf") for name in names)


def test_kubeadm_patch_stream_and_kind_config():
    text = ("# kubeadm patch for the kubelet\n---\napiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
            "seccompDefault: true\n---\n# nothing in this one\n---\nfeatureGates:\n  SeccompDefault: true\n...\n")
    assert Y.load_all(text) == [
        {"apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration", "seccompDefault": True},
        {"featureGates": {"SeccompDefault": True}}]
    assert Y.load_all(text) == [document for document in yaml.safe_load_all(text) if document is not None]
    kind = ("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n- role: control-plane\n  kubeadmConfigPatches:\n"
            "  - |\n    kind: InitConfiguration\n    nodeRegistration:\n      kubeletExtraArgs:\n        node-labels: \"ingress-ready=true\"\n"
            "  extraPortMappings:\n  - containerPort: 80\n    hostPort: 80\n    protocol: TCP\n- role: worker\n")
    ours = Y.load(kind)
    assert_same(ours, yaml.safe_load(kind), kind)
    assert Y.load(ours["nodes"][0]["kubeadmConfigPatches"][0]) == {
        "kind": "InitConfiguration", "nodeRegistration": {"kubeletExtraArgs": {"node-labels": "ingress-ready=true"}}}


# 2. Differential: thousands of kubelet-config-like documents, dumped by PyYAML and ruamel, and written by hand.

KEYS = ["apiVersion", "kind", "cgroupDriver", "featureGates", "SeccompDefault", "evictionHard", "imagefs.available",
        "memory.available", "clusterDNS", "authentication", "x509", "clientCAFile", "webhook", "cacheTTL", "enabled",
        "kubeReserved", "ephemeral-storage", "tlsCipherSuites", "staticPodPath", "logging", "verbosity", "options",
        "node-labels", "runtime-endpoint", "with space", "a/b", "x.y-z_1", "key:colon", "k#hash", "K"]
WORDS = ["systemd", "cgroupfs", "Webhook", "AlwaysAllow", "10s", "0s", "5m0s", "1h30m", "100Mi", "256Mi", "10%", "0%",
         "500m", "/etc/kubernetes/pki/ca.crt", "/var/lib/kubelet", "unix:///run/containerd/containerd.sock",
         "10.96.0.10", "127.0.0.1", "cluster.local", "kubelet.config.k8s.io/v1beta1", "KubeletConfiguration",
         "TLS_AES_128_GCM_SHA256", "VersionTLS12", "NoSwap", "RuntimeDefault", "pods", "system-reserved", "a b c",
         "two  spaces", "x#y", "a:b", "key=value", "--node-ip=10.0.0.1", "node-role.kubernetes.io/worker", "v1.29.0",
         "1.2.3", "0x", "-", "--", "?x", ":x", "-x", "~x", "yes-no", "True-ish", "null-ish", ".", "..x", "1_", "a'b",
         'a"b', "a\\b", "%x", "@x", "`x", "!x", "&x", "*x", "|x", ">x", "#x", "x,y", "[x]", "{x}", "x]", "x}", "x #y",
         "x: y", "x:", " lead", "trail ", "", "é", "中文", "emoji \U0001F600", "tab\there", "line\nbreak", "two\n\nbreaks",
         "end\n", "quote ' and \"", "back\\slash", "\x07bell", "nel\x85", "bom\ufeff", "yes", "no", "on", "off", "true",
         "False", "null", "~", "NULL", "1", "-1", "0", "0755", "0x1F", "1.5", ".5", "-.inf", ".nan", "1_000"]
SCALARS = [0, 1, -1, 7, 42, 110, 10248, -9223372036854775808, 9223372036854775807, 0.5, -2.25, 1e-05, 1e+20, 3.0,
           float("inf"), float("-inf"), float("nan"), True, False, None]


def random_string(rng):
    if rng.random() < 0.7:
        return rng.choice(WORDS)
    alphabet = "abcXYZ019 _-./:#,'\"\\[]{}!&*?|>%@`\n\t\u00e9\u4e2d\U0001F600"
    return "".join(rng.choice(alphabet) for _unused in range(rng.randint(0, 12)))


def random_data(rng, depth=0):
    roll = rng.random()
    if depth < 4 and roll < 0.3:
        return dict((random_key(rng), random_data(rng, depth + 1)) for _unused in range(rng.randint(0, 5)))
    if depth < 4 and roll < 0.45:
        return [random_data(rng, depth + 1) for _unused in range(rng.randint(0, 4))]
    if roll < 0.75:
        text = random_string(rng)
        return text if agree(text) else "safe"
    return rng.choice(SCALARS)


def random_key(rng):
    if rng.random() < 0.1:
        return rng.choice([1, 2, 10])
    key = rng.choice(KEYS) if rng.random() < 0.8 else random_string(rng)
    return key if agree(key) and key != "" else "key"


def pyyaml_text(rng, data, width):
    return yaml.safe_dump(data, default_flow_style=rng.choice([None, False, True]), width=width,
                          allow_unicode=rng.random() < 0.5, indent=rng.choice([2, 3, 4]), sort_keys=rng.random() < 0.5,
                          default_style=rng.choice([None, None, None, "'", '"', "|", ">"]),
                          explicit_start=rng.random() < 0.3, explicit_end=rng.random() < 0.2)


def ruamel_text(rng, data):
    dumper = RuamelYAML(typ="rt" if rng.random() < 0.5 else "safe", pure=True)
    dumper.default_flow_style = rng.choice([None, False, True])
    dumper.width = rng.choice([20, 80, 4096])
    dumper.allow_unicode = rng.random() < 0.5
    mapping = rng.choice([2, 4])
    offset = rng.choice([0, 2])
    dumper.indent(mapping=mapping, sequence=offset + 2, offset=offset)
    out = io.StringIO()
    dumper.dump(data, out)
    return out.getvalue()


class Writer:
    """Hand-written kubelet-config-like YAML: every style a person or a tool writes, comments anywhere legal."""

    def __init__(self, rng):
        self.rng = rng

    def comment(self):
        return "  # " + self.rng.choice(["note", "set by kubeadm", "x: y", "'quoted'", "#", ""]) if self.rng.random() < 0.15 else ""

    def plain_ok(self, text, flow):
        if not text or text != text.strip() or not pyyaml_plain_is_str(text) or not agree(text) or "\n" in text or "\t" in text:
            return False
        if text[0] in "-?:,[]{}#&*!|>'\"%@`" and not (text[0] in "-?:" and len(text) > 1 and text[1] not in " " and not flow):
            return False
        if ": " in text or " #" in text or text.endswith(":") or "\x85" in text or "\ufeff" in text or "\x07" in text:
            return False
        return not (flow and any(char in text for char in ",[]{}?") or flow and text[0] in "-:")

    def scalar(self, value, indent, flow):
        """(text, is_block_scalar) for a scalar value, in a style chosen at random among those that can hold it."""
        rng = self.rng
        if not isinstance(value, str):
            return self.other(value, flow), False
        choice = rng.random()
        if choice < 0.5 and self.plain_ok(value, flow):
            return value, False
        if not flow and choice < 0.6 and self.literal_ok(value):
            return self.literal(value, indent), True
        if choice < 0.8 and self.single_ok(value):
            return "'%s'" % value.replace("'", "''"), False
        return self.double(value), False

    @staticmethod
    def single_ok(value):
        return all(" " <= char and not "\x7f" <= char <= "\x9f" and char not in "\ufeff\u2028\u2029" for char in value)

    def other(self, value, flow):
        rng = self.rng
        if value is None:
            return rng.choice(["null", "~", "Null"] + ([] if flow else [""]))
        if isinstance(value, bool):
            return rng.choice(["true", "True", "yes", "on", "ON"] if value else ["false", "FALSE", "no", "Off"])
        if isinstance(value, int):
            return rng.choice([str(value), str(value), "{:_}".format(value)] + ([hex(value), "0%o" % value] if value > 0 else []))
        if math.isnan(value):
            return rng.choice([".nan", ".NaN"])
        if value in (float("inf"), float("-inf")):
            return ("" if value > 0 else "-") + rng.choice([".inf", ".Inf", ".INF"])
        text = repr(value)
        return text if "." in text else text.replace("e", ".0e")

    @staticmethod
    def literal_ok(value):
        if any(char < " " and char != "\n" or "\x7f" <= char <= "\x9f" or char in "\ufeff\u2028\u2029" for char in value):
            return False
        lines = [line for line in value.split("\n") if line]
        return not (lines and lines[0].startswith(" ")) and all(line.strip() for line in lines)

    def literal(self, value, indent):
        body = value.rstrip("\n")
        trailing = len(value) - len(body)
        head = "|" + {0: "-", 1: ""}.get(trailing, "+") + self.comment()
        pad = " " * (indent + self.rng.choice([1, 2, 4]))
        text = head + "".join("\n" + (pad + line if line else "") for line in (body.split("\n") if body else []))
        return text + "\n" * max(trailing - 1, 0)

    def double(self, value):
        rng = self.rng
        out = []
        for char in value:
            if char == '"':
                out.append('\\"')
            elif char == "\\":
                out.append("\\\\")
            elif char == "\n":
                out.append("\\n")
            elif char == "\t":
                out.append(rng.choice(["\\t", "\t"]))
            elif ord(char) < 0x20 or char in "\x85\ufeff\u2028\u2029":
                out.append(rng.choice(["\\x%02X" % ord(char), "\\u%04x" % ord(char)]) if ord(char) < 0x100 else "\\u%04X" % ord(char))
            elif ord(char) > 0x7f and rng.random() < 0.3:
                out.append("\\U%08X" % ord(char) if ord(char) > 0xFFFF else "\\u%04X" % ord(char))
            elif char == "/" and rng.random() < 0.3:
                out.append("\\/")
            else:
                out.append(char)
        return '"%s"' % "".join(out)

    def flow(self, value, depth):
        rng = self.rng
        sep = rng.choice([", ", ",", " , "])
        if isinstance(value, dict):
            items = []
            for key, item in value.items():
                items.append("%s: %s" % (self.key(key), self.flow(item, depth + 1)))
            inner = sep.join(items)
            return "{%s}" % inner if rng.random() < 0.7 else "{ %s }" % inner
        if isinstance(value, list):
            inner = sep.join(self.flow(item, depth + 1) for item in value)
            return "[%s]" % inner if rng.random() < 0.7 else "[ %s ]" % inner
        return self.scalar(value, 0, True)[0]

    def flow_lines(self, value, indent):
        """A flow collection spread over lines (continuation lines indented deeper than the key)."""
        text = self.flow(value, 0)
        if len(text) < 10 or self.rng.random() < 0.5:
            return text
        out = text.split(", ")
        pad = "\n" + " " * (indent + 2)
        return ("," + pad).join(out) if all(part.count('"') % 2 == 0 and part.count("'") % 2 == 0 for part in out) else text

    def block(self, value, indent, lines, prefix):
        """Append the lines for value; prefix is the text before it on its first line ('key:' or '-')."""
        rng = self.rng
        if isinstance(value, (dict, list)) and value and rng.random() < 0.15:
            lines.append(prefix + " " + self.flow_lines(value, indent) + self.comment())
            return
        if isinstance(value, dict) and value:
            if prefix.endswith("-") and rng.random() < 0.6:
                # "- key: v" with the other keys of the item under the first one
                for number, (key, item) in enumerate(value.items()):
                    head = prefix + " " if number == 0 else " " * (indent + 2)
                    self.block(item, indent + 2, lines, head + self.key(key) + ":")
                return
            lines.append(prefix + self.comment())
            child = indent + rng.choice([2, 2, 4])
            for key, item in value.items():
                if rng.random() < 0.1:
                    lines.append(" " * rng.randint(0, child) + "# between entries")
                if rng.random() < 0.05:
                    lines.append("")
                self.block(item, child, lines, " " * child + self.key(key) + ":")
            return
        if isinstance(value, list) and value:
            lines.append(prefix + self.comment())
            compact = prefix.endswith(":") and rng.random() < 0.5
            child = indent if compact else indent + rng.choice([2, 4])
            for item in value:
                self.block(item, child, lines, " " * child + "-")
            return
        if isinstance(value, dict):
            lines.append(prefix + " {}" + self.comment())
            return
        if isinstance(value, list):
            lines.append(prefix + " []" + self.comment())
            return
        text, is_block = self.scalar(value, indent, False)
        if not is_block and isinstance(value, str) and rng.random() < 0.2 and " " in text and text == value:
            words = text.split(" ")
            if all(words):
                cut = rng.randint(1, len(words) - 1) if len(words) > 1 else 1
                if cut < len(words):
                    text = " ".join(words[:cut]) + "\n" + " " * (indent + 2) + " ".join(words[cut:])
        if not is_block and text.startswith(("'", '"')) and rng.random() < 0.3 and " " in text[1:-1] and "\n" not in text:
            index = text.index(" ", 1)
            if index < len(text) - 2 and text[index + 1] != " " and text[index - 1] != " " and text[index - 1] != "\\":
                text = text[:index] + "\n" + " " * (indent + 1) + text[index + 1:]
        lines.append(prefix + " " + text + ("" if is_block or text.endswith(":") else self.comment()))

    def key(self, key):
        if not isinstance(key, str) or self.plain_ok(key, True):
            return self.scalar(key, 0, True)[0]
        if not self.single_ok(key) or self.rng.random() < 0.5:
            return self.double(key)
        return "'%s'" % key.replace("'", "''")

    def document(self, data):
        rng = self.rng
        lines = []
        if rng.random() < 0.3:
            lines.append("# generated kubelet configuration")
        if rng.random() < 0.2:
            lines.append("---" + self.comment())
        if isinstance(data, dict) and data:
            for key, item in data.items():
                self.block(item, 0, lines, self.key(key) + ":")
                if rng.random() < 0.05:
                    lines.append("# trailing")
        elif isinstance(data, list) and data:
            for item in data:
                self.block(item, 0, lines, "-")
        else:
            lines.append(self.flow(data, 0))
        if rng.random() < 0.1:
            lines.append("...")
        return "\n".join(lines) + rng.choice(["\n", "", "\n\n", "\n# end\n"])


def explicit_keys(text):
    """Whether the text uses '? ' keys (PyYAML writes them for long, multi-line or block-styled keys); implicit keys
    are zero-width tokens in PyYAML's scanner, '? ' ones are not."""
    return any(isinstance(token, yaml.KeyToken) and token.end_mark.index > token.start_mark.index for token in yaml.scan(text))


UNREADABLE = object()


def check_differential(text):
    """Ours reads the text as PyYAML does. UNREADABLE when PyYAML cannot read it (then ours may refuse it too)."""
    try:
        theirs = yaml.safe_load(text)
    except yaml.YAMLError:
        try:
            Y.load(text)
        except Y.YamlError:
            pass
        return UNREADABLE
    if explicit_keys(text):
        with pytest.raises(Y.YamlError, match=r"complex mapping key \('\? '\) is not supported"):
            Y.load(text)
        return theirs
    assert_same(Y.load(text), theirs, text)
    return theirs


def for_ruamel(value):
    """ruamel writes YAML 1.2: floats like 1e+20 (PyYAML reads a string, go-yaml a float) and keys like yes or on
    unquoted (both then read true, which can collide with a key 1: PyYAML merges the two, this reader refuses)."""
    if isinstance(value, dict):
        return dict((key if not isinstance(key, str) or pyyaml_plain_is_str(key) else "key", for_ruamel(item))
                    for key, item in value.items())
    if isinstance(value, list):
        return [for_ruamel(item) for item in value]
    return 0.25 if isinstance(value, float) and "e" in repr(value) else value


@pytest.mark.parametrize("seed", range(4))
def test_differential_pyyaml_dumps(seed):
    rng = random.Random(1000 + seed)
    for _unused in range(600):
        data = random_data(rng)
        width = rng.choice([10, 40, 80, 4096])
        text = pyyaml_text(rng, data, width)
        theirs = check_differential(text)
        assert theirs is not UNREADABLE, text
        # PyYAML's emitter does not always read back: it writes a raw NEL inside single quotes, and at narrow widths an
        # ambiguous "\\" line continuation; where it does, the data is the one dumped.
        if width == 4096 and u"\x85" not in text:
            assert_same(theirs, data, text)


@pytest.mark.skipif(RuamelYAML is None, reason="ruamel.yaml is not installed")
def test_differential_ruamel_dumps():
    rng = random.Random(2000)
    unreadable = 0
    for _unused in range(500):
        data = for_ruamel(random_data(rng))
        if not isinstance(data, (dict, list)):
            data = {"value": data}
        if check_differential(ruamel_text(rng, data)) is UNREADABLE:
            unreadable += 1  # ruamel writes a few plain scalars ("?'", "a ': b") that YAML 1.1 cannot read back
    assert unreadable < 25


@pytest.mark.parametrize("seed", range(4))
def test_differential_hand_written(seed):
    rng = random.Random(3000 + seed)
    writer = Writer(rng)
    for _unused in range(500):
        data = random_data(rng)
        if rng.random() < 0.8:
            data = dict((random_key(rng), random_data(rng, 1)) for _unused in range(rng.randint(1, 6)))
        text = writer.document(data)
        assert check_differential(text) is not UNREADABLE, text


HAND_WRITTEN = [
    "key:\n- a\n- b\nnext: 1\n",
    "- key: v\n  k2: v2\n- - nested\n  - list\n-\n- {a: 1}\n",
    "a: {b: [x, {c: d}], e: []}\n",
    "a: [1,\n  2, [3,\n    4]]\n",
    "a: {x: 1,\n  z: 2\n  }\n",
    "plain: this is\n  folded over\n\n  lines\nnext: x\n",
    "s: 'it''s'\nd: \"tab\\there \\\"q\\\" \\x41\\u00e9\\U0001F600 \\N\\_\\L\\P\\e\\0\\a\\b\\v\\f\\r \\\\\"\n",
    "d: \"folded\n  line\n\n  para\"\ne: \"escaped \\\n   break\"\n",
    "lit: |\n  a\n   b\n\n  c\nfold: >\n  a\n  b\n\n  c\n   d\n  e\nkeep: |+\n  x\n\nstrip: >-\n  y\n\nlast: 1\n",
    "ind: |2\n    two\n   one\n",
    "ind2: >-1\n  x\n",
    "# comment\nkey: value # trailing\n# between\nlist: # after key\n  - 1 # one\n  # inside\n  - 2\n",
    "url: http://example.com/a#b\nhash: a#b\ncolon: a:b\nrange: 1-2\nq: a?b\n",
    "spaced key: v\n\"quoted key\": v\n'single key': v\n",
    "a: !!str 1\nb: !!int \"2\"\nc: !!float 3\nd: !!bool yes\ne: !!null ''\nf: !!map {x: 1}\ng: !!seq [1]\n",
    "--- # document start\na: 1\n...\n",
    "---\n- 1\n- 2\n",
    "--- |\n  text\n",
    "--- >-\n  folded\n  text\n",
    "key:    spaced value   \n",
    "k: v\n\n\n\n",
    "empty:\n'null': ~\nnone: null\n",
    "a:\n  b:\n    c:\n      d: deep\n  e: back\n",
    "- a\n-   b\n-\n  c\n",
    "[a, b, c]\n",
    "{a: 1}\n",
    "\"just a string\"\n",
    "multi\n  line\n  plain\n",
    "a: 'multi\n  line\n\n  single'\n",
    "unicode: \u00e9\u4e2d\U0001F600\n",
    "a: [x, {b: c}, [d], 'e', \"f\"]\n",
    "{\"json\": true, \"list\": [1, 2.5, -3, null, \"s\"], \"obj\": {\"k\": \"v\"}}\n",
    "a: [ ]\nb: { }\nc: [a, ]\nd: {a: 1, }\n",
    "{a, b: c}\n",
    "[a: 1, b: 2, c]\n",
]


@pytest.mark.parametrize("text", HAND_WRITTEN)
def test_hand_written_texts(text):
    assert check_differential(text) is not UNREADABLE


# 3. The go-yaml v2 rules, where PyYAML (YAML 1.1 as PyYAML reads it) differs or where it matters.

@pytest.mark.parametrize("text, expected", [
    ("~", None), ("null", None), ("Null", None), ("NULL", None), ("", None), ("nULL", "nULL"),
    ("y", True), ("Y", True), ("yes", True), ("Yes", True), ("YES", True), ("yEs", "yEs"),
    ("n", False), ("N", False), ("no", False), ("No", False), ("NO", False),
    ("true", True), ("True", True), ("TRUE", True), ("tRUE", "tRUE"),
    ("false", False), ("False", False), ("FALSE", False),
    ("on", True), ("On", True), ("ON", True), ("off", False), ("Off", False), ("OFF", False),
    ("0", 0), ("-0", 0), ("+5", 5), ("-17", -17), ("1_000", 1000), ("1_", 1), ("10248", 10248),
    ("0x1F", 31), ("0X1f", 31), ("-0x10", -16), ("0b101", 5), ("-0b101", -5), ("0B11", 3), ("0o17", 15), ("0O17", 15),
    ("0755", 493), ("-0755", -493), ("00", 0), ("08", 8.0), ("0999", 999.0),
    ("9223372036854775807", 9223372036854775807), ("-9223372036854775808", -9223372036854775808),
    ("18446744073709551615", 18446744073709551615), ("18446744073709551616", 1.8446744073709552e19),
    ("-9223372036854775809", -9.223372036854775809e18), ("0x10000000000000000", "0x10000000000000000"),
    ("1.5", 1.5), (".5", 0.5), ("-.5", -0.5), ("+.5", 0.5), ("1.", 1.0), ("1e3", 1000.0), ("1E3", 1000.0),
    ("1.5e-3", 0.0015), ("-2.5E+2", -250.0), ("1_0.5", 10.5), (".5e1", 5.0), ("1e400", "1e400"), (".1e400", ".1e400"),
    (".inf", float("inf")), (".Inf", float("inf")), (".INF", float("inf")), ("+.inf", float("inf")),
    ("-.inf", float("-inf")), ("-.Inf", float("-inf")), (".nan", float("nan")), (".NaN", float("nan")),
    (".NAN", float("nan")), ("-.nan", "-.nan"), ("._5", "._5"), (".", "."), ("inf", "inf"), ("nan", "nan"),
    ("10s", "10s"), ("0s", "0s"), ("5m0s", "5m0s"), ("100Mi", "100Mi"), ("1:20", "1:20"), ("190:20:30", "190:20:30"),
    ("2024-01-01", "2024-01-01"), ("2001-12-14t21:59:43.10-05:00", "2001-12-14t21:59:43.10-05:00"),
    ("=", "="), ("<<", "<<"), ("0x", "0x"), ("0b", "0b"), ("0b2", "0b2"), ("+", "+"), ("-x", "-x"), ("1.2.3", "1.2.3"),
    ("0b-101", -5), ("0b+101", 5), ("1__2", 12), ("+-1", "+-1"), ("0x_1F", 31),
])
def test_go_yaml_v2_scalar_resolution(text, expected):
    found = Y.load("v: " + text)["v"] if text else Y.load("v:")["v"]
    assert canon(found) == canon(expected), "%r read as %r" % (text, found)
    assert canon(Y.load("- " + text + "\n")[0] if text else None) == canon(expected)


@pytest.mark.parametrize("text, expected", [
    ("v: 'yes'", "yes"), ('v: "1"', "1"), ("v: '~'", "~"), ('v: ""', ""), ("v: |\n  1\n", "1\n"), ("v: >-\n  true\n", "true"),
    ("v: !!str 1", "1"), ("v: !!str yes", "yes"), ("v: !!str", ""), ("v: !!int '0x1F'", 31), ("v: !!int 1_000", 1000),
    ("v: !!float 1", 1.0), ("v: !!float '2.5'", 2.5), ("v: !!float .inf", float("inf")), ("v: !!bool 'yes'", True),
    ("v: !!bool n", False), ("v: !!null ''", None), ("v: !!null", None), ("v: !!null ~", None),
    ("v: !!map {a: 1}", {"a": 1}), ("v: !!seq [1]", [1]), ("v: !!map\n  a: 1\n", {"a": 1}), ("v: !!seq\n- 1\n", [1]),
    ("v: !<tag:yaml.org,2002:str> 12", "12"), ("v: !!%73tr 12", "12"),
    ("1: a", {1: "a"}), ("true: a", {True: "a"}), ("'1': a", {"1": "a"}), ("1.5: a", {1.5: "a"}),
    ("v: \"\\/\"", "/"), ("v: \"\\uD83D\\uDE00\"", "\U0001F600"), ("v: \"\\t\\\t|\"", "\t\t|"),
    ("v:\tvalue", "value"), ("v: value\t# comment", "value"), ("v: 'a'\t# comment", "a"), ("v: [a,\tb]", ["a", "b"]),
    ("{\n\t\"kind\": \"KubeletConfiguration\",\n\t\"maxPods\": 110\n}\n", {"kind": "KubeletConfiguration", "maxPods": 110}),
    ("v: a:b", "a:b"), ("v: {a:b}", {"a:b": None}), ("v: [a:b]", ["a:b"]), ("v: {a:, b: 1}", {"a:": None, "b": 1}),
    ("v: <<", "<<"), ("\"<<\": 1", {"<<": 1}), ("v: -x", "-x"), ("v: [-1, -a]", [-1, "-a"]),
    ("v: 2024-01-01", "2024-01-01"), ("v: 1:20", "1:20"), ("v: 1e3", 1000.0), ("v: y", True), ("v: n", False),
])
def test_go_yaml_v2_rules_in_context(text, expected):
    found = Y.load(text)
    if isinstance(found, dict) and list(found) == ["v"]:
        found = found["v"]
    assert canon(found) == canon(expected), "%r read as %r" % (text, found)


def test_line_breaks_bom_and_bytes():
    assert Y.load("a: 1\r\nb: |\r\n  x\r\n  y\r\n") == {"a": 1, "b": "x\ny\n"}
    assert Y.load("a: 1\rb: 2\r") == {"a": 1, "b": 2}
    assert Y.load("a: \"x\x85  y\"") == {"a": "x y"}
    assert Y.load(u"\ufeffa: 1\n") == {"a": 1}
    assert Y.load(b"\xef\xbb\xbfa: \xc3\xa9\n") == {"a": u"\xe9"}
    assert Y.load(bytearray(b"a: 1")) == {"a": 1}
    with pytest.raises(TypeError):
        Y.load(None)


def test_load_and_load_all_documents():
    assert Y.load("") is None
    assert Y.load("# only a comment\n\n   \n# and another") is None
    assert Y.load("---\n") is None
    assert Y.load("--- # c\n...\n") is None
    assert Y.load("---\na: 1\n...\n") == {"a": 1}
    assert Y.load("a: 1\n...\n...\n") == {"a": 1}
    assert Y.load_all("") == []
    assert Y.load_all("---\na: 1\n---\n---\n# c\n---\nb: 2\n...\n---\n~\n--- []\n") == [{"a": 1}, {"b": 2}, []]
    assert Y.load_all("a: 1\n...\n---\nb: 2") == [{"a": 1}, {"b": 2}]
    assert Y.load_all("--- 1\n--- 'x'\n--- |\n  t\n") == [1, "x", "t\n"]


# Refused constructs: the line and column (1-based) of the problem, and a message that says what to write instead.

@pytest.mark.parametrize("text, line, column, words", [
    ("a: 1\nbase: &base\n  x: 1\n", 2, 7, "an anchor (&base) is not supported"),
    ("a: 1\nb: *base\n", 2, 4, "an alias (*base) is not supported"),
    ("- &a [1]\n", 1, 3, "anchor (&a)"),
    ("a:\n  <<: {x: 1}\n", 2, 3, "a merge key (<<) is not supported"),
    ("{<<: {x: 1}}", 1, 2, "merge key"),
    ("? a\n: b\n", 1, 1, "complex mapping key ('? ')"),
    ("{? a: b}", 1, 2, "complex mapping key"),
    ("a: !!binary aGk=\n", 1, 4, "the tag !!binary is not supported"),
    ("a: !foo x\n", 1, 4, "the tag !foo is not supported"),
    ("a: !e!x y\n", 1, 4, "tag handle !e! is not defined"),
    ("a: ! x\n", 1, 4, "the tag ! is not supported"),
    ("a: !!timestamp 2001-01-01\n", 1, 4, "!!timestamp is not supported"),
    ("a: !!int abc\n", 1, 4, "the value abc is tagged !!int but is not an integer"),
    ("a: !!bool 1\n", 1, 4, "is not a boolean"),
    ("a: !!null x\n", 1, 4, "is not null"),
    ("a: !!float x\n", 1, 4, "is not a number"),
    ("a: !!str [1]\n", 1, 4, "the tag !!str cannot mark a list"),
    ("a: !!map x\n", 1, 4, "the tag !!map marks a mapping"),
    ("a: !!seq {}\n", 1, 4, "the tag !!seq cannot mark a mapping"),
    ("a: !!str, b\n", 1, 4, "the tag !!str, is not supported"),
    ("a: !!str\"x\"\n", 1, 4, "must be followed by a space"),
    ("a:\n\tb: 1\n", 2, 1, "tab character is used for indentation"),
    ("a:\n  - x\n\t- y\n", 3, 1, "tab character"),
    ("- \tx\n", 1, 3, "tab character"),
    ("a: x\n\ty\n", 2, 1, "tab character is used for indentation"),
    ("a: |\n\tx\n", 2, 1, "tab character is used for indentation in a block scalar"),
    ("a: 1\nb: 2\na: 3\n", 3, 1, "the key a appears twice in this mapping (first at line 1, column 1)"),
    ("x:\n  k: 1\n  'k': 2\n", 3, 3, "the key k appears twice"),
    ("null: 1\n", 1, 1, "a mapping key is empty (or null)"),
    ("{a: 1, a: 2}", 1, 8, "the key a appears twice"),
    ("[{a: 1, b: 2, a: 3}]", 1, 15, "appears twice"),
    ("1: a\ntrue: b\n", 2, 1, "are one and the same key once read"),
    ("a: 1\n---\nb: 2\n", 2, 1, "a second YAML document starts here"),
    ("---\n---\n", 2, 1, "second YAML document"),
    ("%YAML 1.1\n---\na: 1\n", 1, 1, "the directive %YAML is not supported"),
    ("%TAG ! tag:x,2000:\n---\n", 1, 1, "directive %TAG"),
    ("[a]: b\n", 1, 1, "a mapping key must be a plain or quoted string, not a list"),
    ("{a: 1}: b\n", 1, 1, "not a mapping"),
    ("a: 1\n: b\n", 2, 1, "':' with no key before it"),
    ("a:\n  ~: b\n", 2, 3, "a mapping key is empty (or null)"),
    ("{: a}", 1, 2, "found a ':' with no key before it"),
    ("a: 1\nb\nc: 2\n", 2, 1, "could not find the ':' after the key b"),
    ("a:\n  b: 1\n  key:value\n  other: 1\n", 3, 3, "could not find the ':' after the key \"key:value\""),
    ("a:\n  key:value\n  other: 1\n", 3, 8, "a ': ' cannot follow here"),
    ("a: b: c\n", 1, 5, "a ': ' cannot follow here"),
    ("key: - a\n", 1, 6, "a '- ' list item cannot start here"),
    ("a:\n  b: 1\n c: 2\n", 3, 2, "expected a 'key: value' entry of the mapping that starts at line 1, column 1"),
    ("- a\nb: 1\n", 2, 1, "expected the next '- ' item of the list that starts at line 1, column 1"),
    ("a: 1\n- b\n", 2, 1, "found a '- ' list item"),
    ("[a, b]\nc\n", 2, 1, "found the value c after the end of the document"),
    ("a: [1, 2\n", 2, 1, "the list that starts at line 1, column 4 is not closed; add the ']'"),
    ("a: {b: 1\n", 2, 1, "the mapping that starts at line 1, column 4 is not closed; add the '}'"),
    ("a: [1 2, 3 4}\n", 1, 13, "expected ',' or ']'"),
    ("a: [- x]\n", 1, 5, "cannot be used inside [ ] or { }"),
    ("a: [x, |\n", 1, 8, "a block scalar ('|') cannot be used inside"),
    ("a: 'open\n", 1, 4, "this quoted string is not closed; add the closing '"),
    ("a: \"open\\\"\n", 1, 4, "not closed"),
    ("a: \"x\n---\ny\"\n", 2, 1, "a document marker (---) starts a line inside a quoted string"),
    ("a: \"\\q\"\n", 1, 5, "unknown escape \\q"),
    ("a: \"\\x4\"\n", 1, 5, "must be followed by 2 hexadecimal digits"),
    ("a: \"\\uD800\"\n", 1, 5, "is not a Unicode character"),
    ("a: \"\\U00110000\"\n", 1, 5, "is not a Unicode character"),
    ("a: |0\n  x\n", 1, 5, "cannot be 0"),
    ("a: |x\n  y\n", 1, 5, "only a comment may follow"),
    ("a: @x\n", 1, 4, "the character '@' cannot start a value"),
    ("a: `x\n", 1, 4, "'`' cannot start a value"),
    ("a: %x\n", 1, 4, "'%' cannot start a value"),
    ("a: x\x00y\n", 1, 5, "the character U+0000 is not allowed"),
    ("a: \x07\n", 1, 4, "U+0007"),
    ("a: 1\nb: x\u2028y\n", 2, 5, "U+2028"),
    ("a: \ud800\n", 1, 4, "U+D800"),
    ("...\n", 1, 1, "expected a value, but found a '...' document end"),
    ("- - - " * 60, 1, 201, "nested more than 100 levels deep"),
    ("[" * 150, 1, 101, "nested more than 100 levels deep"),
    ("{a: " * 150, 1, 401, "nested more than 100 levels deep"),
    ("".join(" " * depth + "k:\n" for depth in range(120)), 101, 101, "nested more than 100 levels deep"),
    ("a" * 1100 + ": 1\n", 1, 1101, "key is longer than 1024 characters"),
    ("a:\n  " + "k" * 1100 + ": 1\n", 2, 1103, "this line's key is longer than 1024 characters"),
    ("a:\n  b: 1\n  " + "k" * 1100 + ": 1\n", 3, 3, "the key " + "k" * 37 + "... is longer than 1024 characters"),
])
def test_refused_with_position(text, line, column, words):
    with pytest.raises(Y.YamlError) as refused:
        Y.load(text)
    error = refused.value
    assert words in str(error), str(error)
    assert (error.line, error.column) == (line, column), str(error)
    assert str(error).startswith("line %d, column %d: " % (line, column))
    assert isinstance(error, ValueError)


def test_size_bound():
    big = "a: " + "x" * Y.MAX_BYTES + "\n"
    for text in (big, big.encode("utf-8"), u"a: " + u"\u00e9" * (Y.MAX_BYTES // 2 + 1)):
        with pytest.raises(Y.YamlError) as refused:
            Y.load(text)
        assert refused.value.line is None and "4 MiB" in str(refused.value)
    with pytest.raises(Y.YamlError) as refused:
        Y.load(b"a: \xff\n")
    assert "not UTF-8" in str(refused.value)
    assert Y.load("a: " + "x" * (Y.MAX_BYTES - 100)) == {"a": "x" * (Y.MAX_BYTES - 100)}


def test_depth_bound_is_exactly_max_depth():
    assert Y.load("[" * Y.MAX_DEPTH + "]" * Y.MAX_DEPTH) is not None
    value = Y.load("".join(" " * depth + "k:\n" for depth in range(Y.MAX_DEPTH - 1)) + " " * (Y.MAX_DEPTH - 1) + "k: 1\n")
    for _unused in range(Y.MAX_DEPTH):
        value = value["k"]
    assert value == 1


# 4. Robustness: whatever the text, only YamlError comes out, fast.

SEEDS = [
    "a: 1\n", "a:\n  b: c\n", "k:\n- x\n- y\n", "- k: v\n  j: [1]\n", "a: [1, {b: c}]\n", "a: 'x''y'\n",
    "a: \"\\x41\\u00e9\\t\"\n", "a: |\n  x\n", "a: >-\n  x\n\n  y\n", "--- a\n...\n", "a: b # c\n", "a: !!str 1\n",
    "{\"a\": [1, null]}", "a: b\n  c\n", "[a: 1, b]", "a: 0x1F\nb: 1e3\n", "- - a\n  - b\n", "k: 'a\n\n  b'\n",
    "a: \"x\\\n  y\"\n", "a:\n  - b\n  -\n", "{a, b: c}", "a: |+2\n   x\n\n", "---\na: 1\n---\nb: 2\n",
    "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nfeatureGates:\n  SeccompDefault: true\n",
]
PIECES = ["- ", ": ", ":", "?", "[", "]", "{", "}", ",", "#", "&a", "*a", "!!str ", "!x", "|", ">", "'", "\"", "\\", "\n",
          "\t", " ", "  ", "---\n", "...\n", "%", "@", "\x85", "\u2028", "\ufeff", "\x00", "\r", "<<: ", "- - ", "\"\\u12",
          "\\x", "|-2", ">+", "~", "0x", "\u00e9", "\U0001F600", "\n  ", "\n- "]


def mutations(rng, count):
    """Valid seeds mutated (characters and YAML pieces inserted, deleted, replaced; truncation), and deep nesting."""
    for _unused in range(count):
        seed = rng.choice(SEEDS)
        roll = rng.random()
        if roll < 0.004:
            yield rng.choice(["[", "{", "- ", "[a: ", "{a: ", "'", "\"", "? "]) * rng.randint(1, 200)
        elif roll < 0.005:
            yield "".join(" " * depth + "k:\n" for depth in range(rng.randint(95, 110)))
        elif roll < 0.08:
            yield seed[:rng.randint(0, len(seed))]
        else:
            text = list(seed)
            for _unused in range(rng.randint(1, 3)):
                action = rng.random()
                where = rng.randint(0, len(text))
                if action < 0.4:
                    text[where:where] = [rng.choice(PIECES) if action < 0.3 else chr(rng.randint(0, 0x17F))]
                elif action < 0.7:
                    del text[where:where + rng.randint(1, 3)]
                else:
                    text[where:where + 1] = [rng.choice(PIECES) if action < 0.85 else chr(rng.randint(0x20, 0x7E))]
            yield "".join(text)


def plain_data(value):
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif item is not None and not isinstance(item, (str, int, float, bool)):
            return False
    return True


def test_robustness_only_yaml_errors():
    rng = random.Random(4242)
    loaded = refused = 0
    for text in mutations(rng, 200000):
        try:
            value = Y.load(text) if rng.random() < 0.9 else Y.load_all(text)
        except Y.YamlError as exc:
            refused += 1
            assert exc.line is not None and exc.line >= 1 and exc.column >= 1, (text, str(exc))
        except Exception as exc:  # pylint: disable=broad-except
            raise AssertionError("%r raised %s: %s" % (text, type(exc).__name__, exc))
        else:
            loaded += 1
            if loaded % 50 == 0:
                assert plain_data(value), text
    assert loaded > 50000 and refused > 50000, (loaded, refused)


EDGES = [
    "v: " + "9" * 5000, "v: " + "1" * 300, "v: 0x" + "f" * 5000, "v: 0b" + "1" * 5000, "v: 0" + "7" * 5000, "v: -" + "9" * 5000,
    "v: 1e" + "9" * 5000, "v: ." + "5" * 5000, "v: !!int " + "9" * 5000, "v: !!float " + "9" * 5000, "v: " + "0" * 5000 + "1",
    ".nan: 1\n.nan: 2\n", "{.nan: 1, .NaN: 2}", ".inf: 1\n.Inf: 2\n", "1: a\n1.0: b\n", "1: a\n0x1: b\n", "~: x\n",
    "a: \"" + "\\u00e9" * 2000 + "\"", "a: \"\\uD800\\u0041\"", "a: \"\\uDC00\"", "a: \"\\U0010FFFF\\UFFFFFFFF\"",
    "a" * 5000 + ": 1", "- " + "a " * 3000, "[" + "a, " * 3000 + "]", "{" + "a: b, " * 2000 + "}", "k: |" + "\n  x" * 3000,
    "\n" * 5000 + "a: 1", "#" * 5000, " " * 5000, "\t" * 50, "'" + "''" * 3000 + "'", "a: !<" + "x" * 3000 + ">",
    "a: !!" + "%e9" * 10, "a: !!%ff x", "a: !!%", "a: !<>", "a: !<!!str> x", "! x", "!!str", "!!map", "--- !!seq", "- !!null",
]


def test_robustness_edges():
    for text in EDGES:
        for function in (Y.load, Y.load_all):
            try:
                function(text)
            except Y.YamlError as exc:
                assert exc.line is not None, (text[:40], str(exc))
    assert Y.load("v: " + "9" * 5000) == {"v": "9" * 5000}  # out of range even as a float64: a string, as in go-yaml
    assert Y.load("v: " + "1" * 300)["v"] == float("1" * 300)
    assert Y.load("v: " + "0" * 5000 + "1") == {"v": 1}
    with pytest.raises(Y.YamlError, match="the key nan appears twice"):
        Y.load(".nan: 1\n.nan: 2\n")
    with pytest.raises(Y.YamlError, match="are one and the same key once read"):
        Y.load("1: a\n1.0: b\n")


def test_robustness_random_bytes():
    rng = random.Random(7)
    alphabet = "ab1 :-?[]{},#&*!|>'\"%@`\\\n\t~.0x_"
    for _unused in range(20000):
        text = "".join(rng.choice(alphabet) for _unused in range(rng.randint(0, 40)))
        try:
            Y.load_all(text)
        except Y.YamlError:
            pass
        data = bytes(rng.randint(0, 255) for _unused in range(rng.randint(0, 20)))
        try:
            Y.load(data)
        except Y.YamlError:
            pass


# Performance: a 2,000-line kubelet configuration.

def test_two_thousand_lines_read_as_pyyaml_reads_them():
    # No time limit here: a timed assertion fails on a loaded machine (performance targets live in make bench).
    lines = ["apiVersion: kubelet.config.k8s.io/v1beta1", "kind: KubeletConfiguration"]
    index = 0
    while len(lines) < 2000:
        index += 1
        lines += ["section%d:  # comment" % index, "  enabled: true", "  period: 10s", "  list:", "  - 10.96.0.%d" % (index % 250),
                  "  - \"quoted value\"", "  nested:", "    cpu: 100m", "    memory: '256Mi'", "    count: %d" % index,
                  "  flow: {a: 1, b: [x, z]}", "  text: |", "    literal", "# a comment line", ""]
    text = "\n".join(lines[:2000]) + "\n"
    assert_same(Y.load(text), yaml.safe_load(text), "(2,000 lines)")


# The file itself: standard library only, Python 3.8 syntax, lines of at most 160 characters.

def test_module_is_standard_library_and_python38():
    with open(MODULE) as handle:
        source = handle.read()
    tree = ast.parse(source, feature_version=(3, 8))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.module.endswith("plugins.module_utils"):  # errors: YamlError is an InputError; standard library only
                imported.update(alias.name for alias in node.names)
            else:
                imported.add(node.module.split(".")[0])
    assert imported <= {"__future__", "re", "errors"}, imported
    assert max(len(line) for line in source.splitlines()) <= 160
