"""Inside a new lab node (run by `unshare` in new mount, UTS, IPC and network namespaces): mount its own
directories over the production paths, set its hostname, bring up loopback, then become the
node's service manager (tests/lab/systemd.py)."""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run(*argv):
    subprocess.run(argv, check=True)


def main(node_dir):
    with open(os.path.join(node_dir, "node.json")) as handle:
        node = json.load(handle)
    fs = os.path.join(node_dir, "fs")
    run("mount", "--make-rprivate", "/")
    for target, source in node["binds"]:
        run("mount", "--bind", os.path.join(fs, source), target)
    for target, upper in node["overlays"]:
        work = os.path.join(fs, upper + ".work")
        run("mount", "-t", "overlay", "overlay", "-o",
            "lowerdir=%s,upperdir=%s,workdir=%s" % (target, os.path.join(fs, upper), work), target)
    for target, source in node["file_binds"]:
        run("mount", "--bind", source, target)
    run("hostname", node["hostname"])
    run("ip", "link", "set", "lo", "up")
    for address in node.get("addresses") or []:
        run("ip", "addr", "add", address + "/32", "dev", "lo")
    os.environ.clear()
    os.environ.update({"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"})
    os.execv(sys.executable, [sys.executable, "-I", os.path.join(HERE, "systemd.py")])


if __name__ == "__main__":
    main(sys.argv[1])
