"""Seeded random and mutated input for the node file parsers: systemd units, environment files, kubelet
configurations (YAML and JSON), containerd and CRI-O TOML.

``FORMATS`` is ``[(name, generator(seed, count) -> iterable of texts, parse(text))]``, the shape of the other
parser fuzzers (tests/lib/fuzz.py, tests/lib/fuzz_crictl.py), for tests/unit/.../test_parser_fuzz.py and the
benchmark. The same seed gives the same texts, so a failure found by a long run is found again by its seed.
``ERRORS[name]`` is the error class ``parse`` may raise for a text it refuses; anything else is a bug.

One text is one file as a node holds it, a few lines long: for the line-oriented formats (systemd units and
environment files) "one input" of a benchmark is one such file of 1 to 40 lines, not one line. Texts start
from the real files under tests/data/nodes (cut to a window of at most WINDOW lines) and a few hand-written
ones, and are then mutated as a broken or hostile node would have them: characters each format cares about
inserted, spans deleted or cut, lines duplicated (duplicate keys), swapped and re-indented, NUL and control
characters, carriage returns, a byte order mark, unknown escapes, unterminated quotes, digit runs past Python's
4300-digit int() limit, long lines, deep nesting, YAML anchors, aliases and an alias bomb; some texts are random
bytes decoded with replacement. A few in every ten thousand are large (a line past systemd's 1 MiB limit,
nesting thousands deep).
"""

import glob
import os
import random

from ansible_collections.k8s.seccomp_default.plugins.module_utils import kubelet, kubelet_config, systemd, toml_text, yaml_reader

NODES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "nodes")
WINDOW = 40  # lines of a real file kept in one text: small texts keep a million of them within minutes

UNIT = "systemd unit"
ENV = "environment file"
KUBELET_YAML = "kubelet config YAML"
KUBELET_JSON = "kubelet config JSON"
CONTAINERD = "containerd TOML"
CRIO = "CRI-O TOML"


def _classify(relative):
    """The format of a file of tests/data/nodes (its path under the layout), or None."""
    name = os.path.basename(relative)
    if "/systemd/" in "/" + relative and name.endswith((".service", ".conf")):
        return UNIT
    if relative.startswith(("etc/sysconfig/", "etc/default/")) or name.endswith(".env") or name == "environment":
        return ENV
    if relative.startswith("etc/containerd/") and name.endswith(".toml"):
        return CONTAINERD
    if relative.startswith("etc/crio/"):
        return CRIO
    if name.endswith(".json") and "containerd" not in relative or "config.json.d" in relative:
        return KUBELET_JSON
    if name in ("config.yaml", "kubelet-config.yaml", "kubelet.conf", "crictl.yaml"):
        return KUBELET_YAML
    return None


def _node_files():
    found = dict((name, []) for name in (UNIT, ENV, KUBELET_YAML, KUBELET_JSON, CONTAINERD, CRIO))
    for path in sorted(glob.glob(os.path.join(NODES, "*", "**", "*"), recursive=True)):
        if not os.path.isfile(path) or path.endswith(".md"):
            continue
        layout_relative = os.path.relpath(path, NODES).split(os.sep, 1)[-1].replace(os.sep, "/")
        kind = _classify(layout_relative)
        if kind is not None:
            with open(path, encoding="utf-8") as handle:
                found[kind].append(handle.read())
    return found


HANDWRITTEN = {
    UNIT: [
        "[Unit]\nDescription=kubelet\n[Service]\nType=notify\nEnvironment=\"A=1 2\" B=3 'C=x y'\n"
        "EnvironmentFile=-/etc/default/kubelet\nExecStart=\nExecStart=-/usr/bin/kubelet $KUBELET_ARGS \\\n"
        "  --v=2 \"--node-labels=a=b,c=d\" \\x41\\101 ${B}x $$HOME\n# comment \\\nRestart=always\n",
        "[Service]\r\nExecStart=/usr/bin/kubelet --config=/var/lib/kubelet/config.yaml\r\n",
        "\ufeff[Service]\nExecStartPre=/bin/true\nExecStart=@/usr/bin/kubelet kubelet \"$ARGS\" '\\n' \\s \\u00e9\n",
    ],
    ENV: [
        "KUBELET_KUBEADM_ARGS=\"--container-runtime-endpoint=unix:///run/containerd/containerd.sock --v=2\"\n",
        "# c\n; c\nA=plain value  \nB='single \"kept\" $X'\nC=\"double \\\"esc\\\" \\$Y \\n\"\nD=one\\\n two\n"
        "export E=ignored\nB=again\nF=\nG\n",
        "KUBELET_EXTRA_ARGS=--node-ip=10.0.0.1 \\\n  --feature-gates=SeccompDefault=true,A=false\r\n",
    ],
    KUBELET_YAML: [
        "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nfeatureGates:\n  SeccompDefault: true\n"
        "seccompDefault: true\nport: 10250\nclusterDNS:\n- 10.96.0.10\nevictionHard: {memory.available: 100Mi}\n",
        "# written by hand\napiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
        "staticPodPath: \"/etc/kubernetes/manifests\"\nsystemReserved:\n  cpu: '500m'\n  memory: |\n    1Gi\n",
    ],
    KUBELET_JSON: [
        '{"apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration", "featureGates": '
        '{"SeccompDefault": true}, "seccompDefault": true, "port": 10250, "clusterDNS": ["10.96.0.10"]}',
    ],
    CONTAINERD: [
        'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\n  runtime_type = "io.containerd.runc.v2"\n'
        '  base_runtime_spec = "/etc/containerd/cri-base.json"\n  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n'
        "    SystemdCgroup = true\n",
    ],
    CRIO: [
        '[crio.runtime]\nseccomp_profile = "/etc/crio/seccomp.json"  # ours\ndefault_runtime = "runc"\n'
        "[crio.runtime.runtimes.runc]\nruntime_path = ''\nallowed_annotations = [\n  \"io.kubernetes.cri-o.Devices\",\n]\n",
    ],
}

COMMON = ["\0", "\x01", "\x1b", "\x7f", "\r", "\r\n", "\n", "\t", " ", "  ", "\ufeff", "\u2028", "\u00e9", "\U0001F600",
          "\ufffd", "\\", '"', "'", "=", "#", ";", ":", ",", "[", "]", "{", "}", "-", "$", "`", "\\\n", "\n\n"]
PIECES = {
    UNIT: ["[Service]", "[Service", "[Serv\"ice]", "[Service] # x", "\n[Service]\n", "ExecStart=", "\nExecStart=/usr/bin/kubelet ",
           "\nExecStart=\n", "Type=oneshot\n", "Environment=", "EnvironmentFile=", "EnvironmentFile=-rel", "-", "@", "+", "!!",
           "\\x00", "\\x4", "\\xe9", "\\377", "\\400", "\\000", "\\u0000", "\\ud800", "\\U0011FFFF", "\\U0001F600", "\\q", "\\s",
           "\\ ", "$X", "${X}", "$$", "${", "\"", "'", "\\\\", " \\", "\\\\\\"],
    ENV: ["export ", "KUBELET_ARGS=", "\nA=", "1A=", "A B=", "\"", "'", "\\\"", "\\$", "\\`", "\\\\", "\\\n", "\\\r\n", "#", ";",
          "--feature-gates=SeccompDefault=true", "--seccomp-default", "=\"\n", "='\n"],
    KUBELET_YAML: [": ", "- ", "? ", "&a ", "*a", "&a [x, y]", "<<: *a", "!!str ", "!!int ", "!!binary ", "!foo ", "%YAML 1.1\n",
                   "---\n", "...\n", "|", ">-", "|+2", "'", '"', '"\\', '\\x', '"\\q"', '"\\ud800"', '"\\U0011FFFF"', "{", "}", "[", "]",
                   "~", "null", "yes", "0x", "0o17", "1e999", ".nan", "0b102", "seccompDefault: true\n", "featureGates:\n",
                   "  SeccompDefault: true\n", "\t", "  ", "\n  ", "#", " #"],
    KUBELET_JSON: ["{", "}", "[", "]", ",", ":", '"', '\\"', "\\u", "\\ud800", "\\uDC00", "\\x", "NaN", "Infinity", "-Infinity",
                   "1e999", "-0", "00", "true", "null", '"seccompDefault": true, ', '"port": 10250, ', '"a": ', "//", "/*"],
    CONTAINERD: ["[", "]", "[[", "]]", "[plugins]\n", "\n[a]\n", "\n[[a]]\n", "a.b", " = ", '"""', "'''", '"\\u', '"\\U0001',
                 '"\\q"', '"\\x41"', "0x", "0o", "0b", "1e", "inf", "nan", "+inf", "1979-05-27", "T07:32:00", "Z", "+01:00",
                 "24:00:00", "2024-02-30", "true", "True", "{}", "[]", "{a = 1, }", "\na = 1\n", "# c\n", ".5", "1.", "_"],
}
PIECES[CRIO] = PIECES[CONTAINERD] + ["[crio.runtime]\n", "seccomp_profile = ", "crio.runtime.seccomp_profile = \"x\"\n",
                                     "[crio]\nruntime = 5\n", "[[crio.runtime]]\n", "[crio.runtime.x]\n"]
DEEP = {
    UNIT: lambda n: "[Service]\nExecStart=/usr/bin/kubelet " + "\"'" * n + "\n",
    ENV: lambda n: "A=" + "\"\\" * n + "\n",
    KUBELET_YAML: lambda n: "a:\n" + "- " * n + "x\n" + "b: " + "[" * n + "]" * n + "\n",
    KUBELET_JSON: lambda n: '{"a": ' + "[" * n + "]" * n + "}",
    CONTAINERD: lambda n: "a = " + "[" * n + "]" * n + "\n",
    CRIO: lambda n: "a = " + "{b = " * n + "1" + "}" * n + "\n",
}
# A billion laughs: nine levels of nine aliases (the kubelet's go-yaml refuses it only by an expansion limit).
ALIAS_BOMB = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n" + "".join(
    "%s: &%s [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]\n" % ((chr(98 + level),) * 2 + (chr(97 + level),) * 9) for level in range(8))


def _seeds(found):
    """Windows of at most WINDOW lines of every file, then the hand-written texts."""
    seeds = {}
    for name, texts in found.items():
        windows = []
        for text in texts + HANDWRITTEN[name]:
            lines = text.split("\n")
            if len(lines) <= WINDOW or name == KUBELET_JSON:
                windows.append(text)
                continue
            for start in range(0, len(lines), WINDOW // 2):
                windows.append("\n".join(lines[start:start + WINDOW]))
        seeds[name] = windows
    return seeds


SEEDS = _seeds(_node_files())


def _digits(rng):
    """A run of digits: mostly short, sometimes past the 4300 int() takes, sometimes past any number reader's bound."""
    size = rng.choice((1, 3, 19, 20, 21, 64, 65, 309, 4300, 4301, 5001, rng.randint(1, 12000)))
    block = "%d%018d" % (rng.randint(1, 9), rng.getrandbits(59))
    return (block * (size // len(block) + 1))[:size]


def mutate(name, text, rng):
    """``text`` with one to four of the changes a broken or hostile file has."""
    pieces = PIECES[name]
    for _round in range(rng.randint(1, 4)):
        at = rng.randint(0, len(text))
        roll = rng.random()
        if roll < 0.3:
            text = text[:at] + rng.choice(pieces) + text[at:]
        elif roll < 0.45:
            text = text[:at] + rng.choice(COMMON) + text[at:]
        elif roll < 0.55:
            text = text[:at] + text[at + rng.randint(1, 40):]
        elif roll < 0.6:
            text = text[:at]
        elif roll < 0.68:
            text = text[:at] + _digits(rng) + text[at:]
        elif roll < 0.72:
            text = text[:at] + chr(rng.choice((rng.randint(0, 0x7f), rng.randint(0x80, 0xd7ff), rng.randint(0xe000, 0x10ffff)))) + text[at:]
        elif roll < 0.74:
            text = text[:at] + rng.choice("x=\\\"'[ ") * rng.randint(100, 3000) + text[at:]
        else:
            lines = text.split("\n")
            index = rng.randrange(len(lines))
            if roll < 0.84:  # a line twice: duplicate keys, sections, assignments
                lines.insert(rng.randrange(len(lines) + 1), lines[index])
            elif roll < 0.9:
                other = rng.randrange(len(lines))
                lines[index], lines[other] = lines[other], lines[index]
            elif roll < 0.96:
                lines[index] = rng.choice(("", " ", "  ", "    ", "\t", " \t")) + lines[index].lstrip(" \t") if rng.random() < 0.7 \
                    else lines[index].lstrip(" \t")
            else:
                del lines[index]
            text = "\n".join(lines)
    return text


def _random_text(rng):
    size = rng.randint(0, 300)
    return rng.getrandbits(8 * size).to_bytes(size, "little").decode("utf-8", "replace") if size else ""


def _large(name, rng):
    """One of the rare large texts: a line past systemd's 1 MiB, nesting thousands deep, a 100 KiB value, an alias
    bomb."""
    roll = rng.random()
    if roll < 0.3:
        return DEEP[name](rng.choice((101, 1000, 20000)))
    if roll < 0.5 and name == KUBELET_YAML:
        return ALIAS_BOMB
    if roll < 0.7:
        return "[Service]\nExecStart=/bin/x " + "y" * (1024 * 1024 + 1) + "\n" if name == UNIT else \
            rng.choice(SEEDS[name]) + "\n" + "#" * (1024 * 1024 + 1)
    return mutate(name, rng.choice(SEEDS[name]), rng) + "\n" + "x" * 100000


def generator(name):
    """generator(seed, count): ``count`` texts of format ``name``: a tenth as they are, most mutated, a twentieth
    random bytes, about one in five thousand large."""
    def generate(seed, count):
        rng = random.Random("%s/%s" % (name, seed))
        seeds = SEEDS[name]
        for _index in range(count):
            roll = rng.random()
            if roll < 0.0002:
                yield _large(name, rng)
            elif roll < 0.05:
                yield _random_text(rng)
            elif roll < 0.15:
                yield rng.choice(seeds)
            else:
                yield mutate(name, rng.choice(seeds), rng)
    return generate


# --- what a node does with each text ---

def parse_unit(text):
    """kubelet.service as node_facts reads it: its [Service] settings, then the command a start would run."""
    settings = systemd.service_settings([("/etc/systemd/system/kubelet.service", text)])
    argv = systemd.expand_command(settings["exec_start"], settings["environment"]) if settings["exec_start"] else []
    return settings, argv


def parse_env(text):
    """An EnvironmentFile=: its variables, what systemd skips, and each value split into words as a command's
    $NAME is."""
    skipped = []
    found = systemd.env_assignments(text, skipped)
    environment = dict((key, value) for key, value, _start, _end in found)
    words = dict((key, systemd.split_words(value, systemd.VARIABLE)) for key, value in environment.items())
    return found, skipped, words


def parse_kubelet_json(text):
    """A kubelet configuration file as kubelet_config reads it (JSON when it starts with '{', else YAML)."""
    return kubelet_config.load_plain("/etc/kubernetes/kubelet/config.json", text)


def parse_crio(text):
    """A CRI-O drop-in: read, then the edit crio_default_profile makes to it."""
    document = toml_text.loads(text)
    return document, toml_text.set_string(text, ["crio", "runtime"], "seccomp_profile", "/var/lib/kubelet/seccomp/x.json")


FORMATS = [
    (UNIT, generator(UNIT), parse_unit),
    (ENV, generator(ENV), parse_env),
    (KUBELET_YAML, generator(KUBELET_YAML), yaml_reader.load),
    (KUBELET_JSON, generator(KUBELET_JSON), parse_kubelet_json),
    (CONTAINERD, generator(CONTAINERD), toml_text.loads),
    (CRIO, generator(CRIO), parse_crio),
]
ERRORS = {UNIT: systemd.UnitError, ENV: systemd.UnitError, KUBELET_YAML: yaml_reader.YamlError,
          KUBELET_JSON: kubelet.KubeletConfigError, CONTAINERD: toml_text.TomlError, CRIO: toml_text.TomlError}
