"""crictl's output, real and broken: samples, a seeded generator of random and mutated outputs, and a stand-in crictl.

The samples are what crictl 1.28-1.31 prints against containerd 1.7/2.0 and CRI-O 1.29 (`crictl ps -a -o json`,
`crictl inspect`, `crictl pods -o json`, `crictl inspectp`, `crictl info`; IDs and timestamps shortened to fit
here), in the shapes the lab's crictl stand-in (tests/lab/crictl.py) prints too: protojson, so int64 fields such
as createdAt are strings of digits and labels are mappings of strings.

``FORMATS`` is ``[(name, generator(seed, count) -> iterable of texts, parse(text))]``, the shape of the other
parser fuzzers: the same seed gives the same texts, so a failure found by a long run is found again by its seed.
Texts are ``str`` as module.run_command hands them over - bytes that are not UTF-8 arrive as lone surrogates
(surrogateescape). ``parse`` is what reads that output on a node: module_utils/cri.parse_output, then what the
modules take from it (identities, node_watch's restart count).

``BAD_PS`` is a table of broken `crictl ps -a -o json` answers for the modules' bad-input tests, and ``stand_in``
writes a crictl that answers with given outputs and records any stop or rm, so that a test sees whether a
module stopped anything.
"""

import copy
import json
import os
import random

from ansible_collections.k8s.seccomp_default.plugins.module_utils import cri, node_watch

POD_UID = "5d3c2b1a-0f9e-4d8c-b7a6-958473625140"
LABELS = {"io.kubernetes.container.name": "app", "io.kubernetes.pod.name": "web-7d9f8-x2x1",
          "io.kubernetes.pod.namespace": "shop", "io.kubernetes.pod.uid": POD_UID}
ANNOTATIONS = {"io.kubernetes.container.hash": "2ee5b4fb", "io.kubernetes.container.restartCount": "0",
               "io.kubernetes.container.ports": '[{"name":"http","containerPort":8080,"protocol":"TCP"}]',
               "io.kubernetes.container.terminationMessagePath": "/dev/termination-log",
               "io.kubernetes.pod.terminationGracePeriod": "30"}
IMAGE = "sha256:ead0a4a53df89fd173874b46093b6e62d8c72967bbf606d672c9e8c9b601a4fc"


def container(cid, name="app", pod="web-7d9f8-x2x1", state="CONTAINER_RUNNING", created="1718000000123456789"):
    """A `crictl ps -o json` entry as containerd's CRI plugin gives it."""
    labels = dict(LABELS, **{"io.kubernetes.container.name": name, "io.kubernetes.pod.name": pod})
    return {"id": cid, "podSandboxId": "9a8b7c6d5e4f" * 4 + "a0b1c2d3e4f5a6b7", "metadata": {"name": name, "attempt": 0},
            "image": {"image": IMAGE, "annotations": {}, "userSpecifiedImage": "", "runtimeHandler": ""},
            "imageRef": IMAGE, "state": state, "createdAt": created, "labels": labels, "annotations": dict(ANNOTATIONS),
            "imageId": ""}


APP_ID = "3f5c0bd4b0d1c1d0c2a9b7d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3"
SIDECAR_ID = "8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a09f"
PS = {"containers": [container(APP_ID), container(SIDECAR_ID, name="sidecar"),
                     container("0c1d2e3f" * 8, name="app", state="CONTAINER_EXITED", created="1717990000000000000")]}
PS_CRIO = {"containers": [{"id": "b1c2d3e4" * 8, "podSandboxId": "a1b2c3d4" * 8,
                           "metadata": {"name": "coredns", "attempt": 2},
                           "image": {"image": "registry.k8s.io/coredns:v1.11.1", "annotations": {}},
                           "imageRef": "registry.k8s.io/coredns@sha256:" + "1e" * 32, "state": "CONTAINER_RUNNING",
                           "createdAt": "1718000000987654321",
                           "labels": {"io.kubernetes.container.name": "coredns",
                                      "io.kubernetes.pod.name": "coredns-7db6d8ff4d-abcde",
                                      "io.kubernetes.pod.namespace": "kube-system", "io.kubernetes.pod.uid": POD_UID},
                           "annotations": {"io.kubernetes.container.restartCount": "2"}}]}
SECCOMP = {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
           "syscalls": [{"names": ["accept", "accept4", "read", "write"], "action": "SCMP_ACT_ALLOW"},
                        {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
                         "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]}]}
RUNTIME_SPEC = {"ociVersion": "1.1.0", "process": {"user": {"uid": 0, "gid": 0}, "args": ["/app"], "cwd": "/",
                                                   "capabilities": {"bounding": ["CAP_CHOWN", "CAP_KILL"]},
                                                   "noNewPrivileges": False, "oomScoreAdj": 1000},
                "root": {"path": "rootfs"}, "hostname": "web-7d9f8-x2x1",
                "linux": {"resources": {"cpu": {"shares": 2}}, "cgroupsPath": "kubepods-besteffort.slice:cri-containerd:" + APP_ID,
                          "namespaces": [{"type": "pid"}, {"type": "ipc", "path": "/proc/4321/ns/ipc"}, {"type": "mount"}],
                          "seccomp": SECCOMP, "maskedPaths": ["/proc/kcore"], "readonlyPaths": ["/proc/sys"]}}
INSPECT = {"status": {"id": APP_ID, "metadata": {"name": "app", "attempt": 0}, "state": "CONTAINER_RUNNING",
                      "createdAt": "1718000000123456789", "startedAt": "1718000000223456789", "finishedAt": "0",
                      "exitCode": 0, "image": {"image": "docker.io/library/nginx:1.27", "annotations": {}}, "imageRef": IMAGE,
                      "reason": "", "message": "", "labels": dict(LABELS), "annotations": dict(ANNOTATIONS),
                      "mounts": [{"containerPath": "/dev/termination-log", "hostPath": "/var/lib/kubelet/pods/x/c", "readonly": False,
                                  "propagation": "PROPAGATION_PRIVATE", "uidMappings": [], "gidMappings": []}],
                      "logPath": "/var/log/pods/shop_web-7d9f8-x2x1_%s/app/0.log" % POD_UID,
                      "resources": {"linux": {"cpuShares": "2", "memoryLimitInBytes": "0", "oomScoreAdj": "1000"}}},
           "info": {"sandboxID": "9a8b7c6d5e4f" * 4 + "a0b1c2d3e4f5a6b7", "pid": 4321, "removing": False,
                    "snapshotKey": APP_ID, "snapshotter": "overlayfs", "runtimeType": "io.containerd.runc.v2",
                    "runtimeOptions": {"systemd_cgroup": True}, "config": {"metadata": {"name": "app"}},
                    "runtimeSpec": RUNTIME_SPEC}}
INSPECT_CRIO = {"status": dict(INSPECT["status"], id="b1c2d3e4" * 8),
                "info": {"sandboxID": "a1b2c3d4" * 8, "pid": 9876, "privileged": False,
                         "runtimeSpec": dict(RUNTIME_SPEC, linux=dict(RUNTIME_SPEC["linux"], seccomp=None))}}
PODS = {"items": [{"id": "9a8b7c6d5e4f" * 4 + "a0b1c2d3e4f5a6b7",
                   "metadata": {"name": "web-7d9f8-x2x1", "uid": POD_UID, "namespace": "shop", "attempt": 0},
                   "state": "SANDBOX_READY", "createdAt": "1717999999000000000",
                   "labels": {"app": "web", "io.kubernetes.pod.name": "web-7d9f8-x2x1", "io.kubernetes.pod.namespace": "shop",
                              "io.kubernetes.pod.uid": POD_UID, "pod-template-hash": "7d9f8"},
                   "annotations": {"kubernetes.io/config.seen": "2024-06-10T10:00:00.000000000Z",
                                   "kubernetes.io/config.source": "api"}, "runtimeHandler": ""}]}
INSPECTP = {"status": {"id": PODS["items"][0]["id"], "metadata": PODS["items"][0]["metadata"], "state": "SANDBOX_READY",
                       "createdAt": "1717999999000000000", "network": {"additionalIps": [], "ip": "10.244.1.7"},
                       "linux": {"namespaces": {"options": {"ipc": "POD", "network": "POD", "pid": "CONTAINER",
                                                            "targetId": "", "usernsOptions": None}}},
                       "labels": PODS["items"][0]["labels"], "annotations": PODS["items"][0]["annotations"],
                       "runtimeHandler": "", "containersStatuses": []},
            "info": {"pid": 4300, "processStatus": "running", "netNamespaceClosed": False,
                     "image": "registry.k8s.io/pause:3.9", "snapshotter": "overlayfs", "runtimeHandler": "",
                     "runtimeType": "io.containerd.runc.v2", "runtimeSpec": {"ociVersion": "1.1.0", "linux": {}}}}
INFO = {"status": {"conditions": [{"type": "RuntimeReady", "status": True, "reason": "", "message": ""},
                                  {"type": "NetworkReady", "status": True, "reason": "", "message": ""}]},
        "cniconfig": {"PluginDirs": ["/opt/cni/bin"], "PluginConfDir": "/etc/cni/net.d", "Prefix": "eth"},
        "config": {"containerd": {"snapshotter": "overlayfs", "defaultRuntimeName": "runc"},
                   "enableSelinux": False, "sandboxImage": "registry.k8s.io/pause:3.9"},
        "golang": "go1.22.7", "lastCNILoadStatus": "OK", "lastCNILoadStatus.default": "OK"}
INFO_CRIO = {"status": {"conditions": [{"type": "RuntimeReady", "status": True, "reason": "", "message": ""},
                                       {"type": "NetworkReady", "status": False, "reason": "NetworkPluginNotReady",
                                        "message": "Network plugin returns error: No CNI configuration file"}]},
             "config": {"crio": {"runtime": {"default_runtime": "crun", "seccomp_profile": ""}}}}

SAMPLES = {"ps": [PS, PS_CRIO, {"containers": []}], "inspect": [INSPECT, INSPECT_CRIO], "pods": [PODS, {"items": []}],
           "inspectp": [INSPECTP], "info": [INFO, INFO_CRIO]}


def text(document):
    """As crictl prints it: indented by two, a newline at the end."""
    return json.dumps(document, indent=2) + "\n"


def undecodable(data):
    """``data`` (bytes) as module.run_command returns it: str, with bytes that are not UTF-8 as lone surrogates."""
    return data.decode("utf-8", "surrogateescape")


# Values a broken runtime or a hostile label can put where another type belongs.
HOSTILE = [None, True, False, 0, -1, 1.5, 2 ** 63, -2 ** 63 - 1, 2 ** 64, "", "x", "-rf", "--all", "9" * 19, "9" * 20,
           "1e3", " 1", "\u0663", "\x00", "a b", "a\nb", [], [1], ["x"], [{}], {}, {"a": 1}, {"a": [1]}, {"a": None},
           "x" * 300, [[[[[[]]]]]]]
# Pieces of text that break JSON or make it odd: structure, escapes, NUL, non-UTF-8 bytes (as surrogates), numbers.
PIECES = ["{", "}", "[", "]", '"', ",", ":", "\\", "\\u", "\\ud800", "\x00", "\n", " ", "null", "true", "NaN",
          "Infinity", "-", "0", "1e999", "9" * 25, "9" * 5000, undecodable(b"\xff"), undecodable(b"\xc3"),
          undecodable(b"\xed\xa0\x80"), "\u2028", "\ufeff", "é", "level=fatal msg=\"connect: connection refused\""]
JUNK = ["", " ", "\n", "null", "true", "0", "[]", "{}", '""', "[" * 3000, "{\"a\":" * 3000, "1" * 5000, "NaN", "-Infinity",
        "WARN[0000] runtime connect using default endpoints: [unix:///run/containerd/containerd.sock]",
        "E0610 10:00:00.000000  1234 remote_runtime.go:390] \"ListContainers with filter from runtime service failed\"",
        "time=\"2024-06-10T10:00:00Z\" level=fatal msg=\"validate service connection: validate CRI v1 runtime API for "
        "endpoint \\\"unix:///run/containerd/containerd.sock\\\": rpc error: code = Unavailable\"",
        undecodable(b"\x80\x81\xfe\xff"), "\x00" * 16]


def _nodes(document, path=()):
    """(path, value) of every mapping entry and list item in ``document``."""
    found = []
    stack = [(document, path)]
    while stack:
        value, at = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                found.append((at + (key,), item))
                stack.append((item, at + (key,)))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                found.append((at + (index,), item))
                stack.append((item, at + (index,)))
    return found


def _parent(document, path):
    for step in path[:-1]:
        document = document[step]
    return document


def mutate_document(document, rng):
    """A copy of ``document`` with one to three entries replaced, removed, duplicated or added."""
    document = copy.deepcopy(document)
    for _round in range(rng.randint(1, 3)):
        nodes = _nodes(document)
        choice = rng.random()
        if not nodes or choice < 0.05:
            return rng.choice(HOSTILE)  # the whole document replaced
        path, _value = rng.choice(nodes)
        parent = _parent(document, path)
        if choice < 0.7:
            parent[path[-1]] = copy.deepcopy(rng.choice(HOSTILE))
        elif choice < 0.85:
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[rng.choice(["id", "labels", "createdAt", "state", "metadata", "containers", "items", "status", "info",
                               "runtimeSpec", "linux", "seccomp", "x"])] = copy.deepcopy(rng.choice(HOSTILE))
        else:
            parent.append(copy.deepcopy(parent[path[-1]]))
    return document


def mutate_text(data, rng):
    """``data`` with one to four cuts, inserted pieces, deletions or swapped characters."""
    for _round in range(rng.randint(1, 4)):
        at = rng.randint(0, len(data))
        choice = rng.random()
        if choice < 0.2:
            data = data[:at]
        elif choice < 0.6:
            data = data[:at] + rng.choice(PIECES) + data[at:]
        elif choice < 0.8:
            data = data[:at] + data[at + rng.randint(1, 8):]
        else:
            data = data[:at] + chr(rng.randint(0, 0x2FF)) + data[at + 1:]
    return data


def generator(subcommand):
    """generator(seed, count): ``count`` texts of `crictl <subcommand>`: a few as they are, most mutated in their
    structure (then printed as crictl prints) or in their text, some junk."""
    def generate(seed, count):
        rng = random.Random(seed)
        samples = SAMPLES[subcommand]
        texts = [text(sample) for sample in samples]
        for _index in range(count):
            choice = rng.random()
            if choice < 0.05:
                yield rng.choice(texts)
            elif choice < 0.55:
                mutated = mutate_document(rng.choice(samples), rng)
                yield json.dumps(mutated, indent=rng.choice([None, 2])) if rng.random() < 0.98 else text(mutated)[:-5]
            elif choice < 0.95:
                yield mutate_text(rng.choice(texts), rng)
            else:
                yield rng.choice(JUNK) if rng.random() < 0.7 else "".join(rng.choice(PIECES) for _piece in range(rng.randint(1, 20)))
    return generate


def parser(subcommand):
    """parse(text): what a node does with `crictl <subcommand>`'s output: cri.parse_output, then the fields taken."""
    command = "crictl %s" % subcommand

    def parse(output):
        document = cri.parse_output(output, subcommand, command)
        if subcommand == "ps":
            identities = dict((entry["id"], cri.identity(entry)) for entry in document["containers"])
            node_watch.restarted(document["containers"], 1718000000000000000, list(identities)[:1])
            return identities
        if subcommand == "inspect":
            spec = (document.get("info") or {}).get("runtimeSpec") or {}
            return cri.identity(document["status"]), ((spec.get("linux") or {}).get("seccomp") or {}).get("defaultAction")
        return document
    return parse


FORMATS = [("crictl ps -o json", generator("ps"), parser("ps")),
           ("crictl inspect", generator("inspect"), parser("inspect")),
           ("crictl pods -o json", generator("pods"), parser("pods")),
           ("crictl inspectp", generator("inspectp"), parser("inspectp")),
           ("crictl info", generator("info"), parser("info"))]


def _broken(change):
    """PS with its second container (the sidecar) changed by ``change(entry)``; the first stays a good match."""
    document = copy.deepcopy(PS)
    change(document["containers"][1])
    return text(document).encode()


# id -> (stdout bytes, rc, stderr, words the failure names): `crictl ps -a -o json` answers no module may take.
BAD_PS = {
    "not-json": (b'time="2024-06-10T10:00:00Z" level=fatal msg="connect: permission denied"\n', 0, "", ["printed no JSON"]),
    "empty-rc-0": (b"", 0, "", ["printed nothing"]),
    "truncated": (text(PS).encode()[:300], 0, "", ["printed no JSON"]),
    "a-list": (b"[]\n", 0, "", ["the document", "is not a mapping"]),
    "containers-a-string": (b'{"containers": "x"}\n', 0, "", ["containers", "is not a list"]),
    "no-containers": (b"{}\n", 0, "", ["containers", "is missing"]),
    "labels-a-string": (_broken(lambda entry: entry.update(labels="x")), 0, "", ["containers[1].labels", "is not a mapping"]),
    "label-a-number": (_broken(lambda entry: entry["labels"].update({"io.kubernetes.pod.name": 5})), 0, "",
                       ['containers[1].labels["io.kubernetes.pod.name"]', "is not a string"]),
    "id-a-number": (_broken(lambda entry: entry.update(id=5)), 0, "", ["containers[1].id", "is not an ID"]),
    "id-an-option": (_broken(lambda entry: entry.update(id="--all")), 0, "", ["containers[1].id", "'--all'"]),
    "created-not-a-number": (_broken(lambda entry: entry.update(createdAt="yesterday")), 0, "",
                             ["containers[1].createdAt", "'yesterday'"]),
    "created-5000-digits": (text(PS).replace('"1718000000123456789"', "9" * 5000, 1).encode(), 0, "", ["5000 digits"]),
    "metadata-a-list": (_broken(lambda entry: entry.update(metadata=["sidecar"])), 0, "", ["containers[1].metadata"]),
    "not-utf-8": (text(PS).encode().replace(b"sidecar", b"side\xffcar", 1), 0, "", ["not UTF-8"]),
    "nested-too-deep": (b"[" * 100000, 0, "", ["nested too deeply"]),
    "rc-1-with-stderr": (b"", 1, "validate service connection: connect: connection refused\n",
                         ["failed (rc 1)", "connection refused"]),
}

STAND_IN = r"""#!/bin/sh
# crictl stand-in: answers <subcommand> with <subcommand>.out, .err and .rc next to it; stop and rm are recorded.
here=$(dirname "$0")
while [ $# -gt 0 ]; do
  case "$1" in
    --runtime-endpoint|-r|--timeout|-t|--config|-c) shift 2 ;;
    -*) shift ;;
    *) break ;;
  esac
done
case "$1" in
  stop|rm) echo "$*" >> "$here/$1.calls"; echo "$2"; exit 0 ;;
esac
[ -f "$here/$1.err" ] && cat "$here/$1.err" >&2
[ -f "$here/$1.out" ] && cat "$here/$1.out"
exit "$(cat "$here/$1.rc" 2>/dev/null || echo 0)"
"""


def stand_in(directory, **answers):
    """A crictl in ``directory`` that answers each subcommand in ``answers`` (``ps=(stdout bytes, rc, stderr)``);
    ``<directory>/stop.calls`` appears when anything is stopped. Returns its path."""
    os.makedirs(str(directory), exist_ok=True)
    path = os.path.join(str(directory), "crictl")
    with open(path, "w") as handle:
        handle.write(STAND_IN)
    os.chmod(path, 0o755)
    for subcommand, (out, rc, err) in answers.items():
        with open(os.path.join(str(directory), subcommand + ".out"), "wb") as handle:
            handle.write(out)
        with open(os.path.join(str(directory), subcommand + ".rc"), "w") as handle:
            handle.write("%d\n" % rc)
        if err:
            with open(os.path.join(str(directory), subcommand + ".err"), "w") as handle:
                handle.write(err)
    return path
