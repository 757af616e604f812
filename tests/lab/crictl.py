"""`crictl` of a lab node: ps, inspect, pods, stop and rm, in crictl's JSON shapes.

Reads the node runtime's state (tests/lab/runtime.py); which runtime is the one whose state
directory exists under the node's /run, as crictl would find one socket or the other.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from tests.lab import runtime as lab_runtime  # noqa: E402


# The socket each lab runtime answers on, as crictl's --runtime-endpoint, /etc/crictl.yaml or its defaults name it.
SOCKETS = {"/run/containerd/containerd.sock": "containerd", "/var/run/containerd/containerd.sock": "containerd",
           "/run/crio/crio.sock": "crio", "/var/run/crio/crio.sock": "crio"}


def configured_endpoint():
    """runtime-endpoint of /etc/crictl.yaml (crictl's config file; flat `key: value` lines)."""
    try:
        with open("/etc/crictl.yaml") as handle:
            for line in handle:
                key, _sep, value = line.partition(":")
                if key.strip() == "runtime-endpoint":
                    return value.strip().strip("'\"")
    except OSError:
        pass
    return None


def node_runtime(endpoint):
    endpoint = endpoint or configured_endpoint()
    if endpoint:
        flavour = SOCKETS.get(endpoint.split("unix://", 1)[-1])
        candidates = [flavour] if flavour else []
    else:
        candidates = ["containerd", "crio"]  # crictl's default list, containerd first
    for flavour in candidates:
        if os.path.isdir("/run/%s/lab-cri" % flavour):
            return lab_runtime.Runtime(flavour)
    sys.stderr.write('validate service connection: validate CRI v1 runtime API for endpoint "%s": connect: no such '
                     'file or directory\n' % (endpoint or "unix:///run/containerd/containerd.sock"))
    sys.exit(1)


def global_options(argv):
    """(runtime endpoint, the rest): crictl's global flags come before the command."""
    endpoint, rest = None, list(argv)
    while rest and rest[0].startswith("-"):
        flag = rest.pop(0)
        if flag in ("--runtime-endpoint", "-r") and rest:
            endpoint = rest.pop(0)
        elif flag.startswith("--runtime-endpoint="):
            endpoint = flag.split("=", 1)[1]
        elif flag in ("--timeout", "-t", "--config", "-c", "--image-endpoint", "-i") and rest:
            rest.pop(0)
    return endpoint, rest


def status(record):
    return {
        "id": record["id"], "metadata": record["metadata"], "state": record["state"],
        "createdAt": str(record["createdAt"]), "startedAt": str(record.get("startedAt", 0)),
        "finishedAt": str(record.get("finishedAt", 0)), "exitCode": record.get("exitCode", 0),
        "image": record["image"], "imageRef": record["imageRef"], "reason": record.get("reason", ""),
        "message": record.get("create_error", ""), "labels": record["labels"], "annotations": record["annotations"],
        "logPath": record["logPath"],
    }


def summary(record):
    return {"id": record["id"], "podSandboxId": record["podSandboxId"], "metadata": record["metadata"],
            "image": record["image"], "imageRef": record["imageRef"], "state": record["state"],
            "createdAt": str(record["createdAt"]), "labels": record["labels"], "annotations": record["annotations"]}


def find(runtime, prefix):
    matches = [record for record in runtime.records() if record["id"].startswith(prefix)]
    if len(matches) != 1:
        sys.stderr.write('getting the status of the container "%s": rpc error: code = NotFound desc = an error occurred '
                         'when try to find container "%s": not found\n' % (prefix, prefix))
        sys.exit(1)
    return matches[0]


def main(argv):
    endpoint, argv = global_options(argv)
    args = [arg for arg in argv if arg not in ("-o", "json", "--output=json", "--output")]
    if not args:
        sys.stderr.write("usage: crictl ps|inspect|pods|stop|rm\n")
        return 1
    command, rest = args[0], args[1:]
    runtime = node_runtime(endpoint)
    if command == "ps":
        records = runtime.records()
        if "-a" not in rest and "--all" not in rest:
            records = [record for record in records if record["state"] == "CONTAINER_RUNNING"]
        for index, arg in enumerate(rest):
            if arg == "--name" and index + 1 < len(rest):
                records = [record for record in records if rest[index + 1] in record["metadata"]["name"]]
            if arg in ("--label", "-l") and index + 1 < len(rest):
                key, _sep, value = rest[index + 1].partition("=")
                records = [record for record in records if record["labels"].get(key) == value]
        if "-q" in rest:
            sys.stdout.write("".join(record["id"] + "\n" for record in records))
        else:
            json.dump({"containers": [summary(record) for record in records]}, sys.stdout, indent=2)
            sys.stdout.write("\n")
        return 0
    if command == "inspect":
        for prefix in [arg for arg in rest if not arg.startswith("-")]:
            record = find(runtime, prefix)
            pid = runtime.pid(record["id"]) if record["state"] == "CONTAINER_RUNNING" else 0
            info = {"sandboxID": record["podSandboxId"], "pid": pid, "privileged": record["privileged"],
                    "runtimeSpec": record.get("runtimeSpec")}
            json.dump({"status": status(record), "info": info}, sys.stdout, indent=2)
            sys.stdout.write("\n")
        return 0
    if command == "pods":
        pods = {}
        for record in runtime.records():
            labels = record["labels"]
            pods[record["podSandboxId"]] = {"id": record["podSandboxId"], "metadata": {
                "name": labels["io.kubernetes.pod.name"], "uid": labels["io.kubernetes.pod.uid"],
                "namespace": labels["io.kubernetes.pod.namespace"], "attempt": 0}, "state": "SANDBOX_READY",
                "labels": {key: value for key, value in labels.items() if "container" not in key}}
        json.dump({"items": list(pods.values())}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if command in ("stop", "rm"):
        # crictl stop --timeout N (default 0): SIGTERM, then SIGKILL after N seconds, as StopContainer does;
        # a shell as PID 1 of its namespace ignores SIGTERM, so most containers end by the SIGKILL.
        timeout, ids = 0, []
        for index, arg in enumerate(rest):
            if arg in ("--timeout", "-t") and index + 1 < len(rest):
                timeout = int(rest[index + 1])
            elif arg.startswith("--timeout="):
                timeout = int(arg.split("=", 1)[1])
            elif not arg.startswith("-") and not (index and rest[index - 1] in ("--timeout", "-t")):
                ids.append(arg)
        for prefix in ids:
            record = find(runtime, prefix)
            if command == "rm":
                runtime.remove(record)
            else:
                os.system("runc --root /run/runc kill %s TERM >/dev/null 2>&1" % record["id"])
                deadline = time.time() + timeout
                while time.time() < deadline and runtime.refresh(record)["state"] == "CONTAINER_RUNNING":
                    time.sleep(0.1)
                if runtime.refresh(record)["state"] == "CONTAINER_RUNNING":
                    os.system("runc --root /run/runc kill %s KILL >/dev/null 2>&1" % record["id"])
            sys.stdout.write(record["id"] + "\n")
        return 0
    sys.stderr.write("crictl (lab): unsupported command %s\n" % command)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
