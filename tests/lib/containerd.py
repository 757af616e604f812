"""Debian's containerd on a private socket (no CRI plugin), and the runtime default it computes."""

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid

from lib.runc import Bundle


def containerd_available():
    return os.geteuid() == 0 and all(shutil.which(tool) for tool in ("containerd", "ctr", "runc"))


@contextlib.contextmanager
def private_containerd(base):
    """Yield the `ctr` argv prefix of a containerd that lives in ``base`` and stops afterwards."""
    base = str(base)
    address = os.path.join(base, "containerd.sock")
    config = os.path.join(base, "config.toml")
    with open(config, "w") as handle:
        handle.write('version = 2\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n')
    log_path = os.path.join(base, "containerd.log")
    with open(log_path, "w") as log:
        daemon = subprocess.Popen(["containerd", "--config", config, "--root", os.path.join(base, "root"),
                                   "--state", os.path.join(base, "state"), "--address", address],
                                  stdout=log, stderr=subprocess.STDOUT)
        ctr = ["ctr", "--address", address, "--namespace", "seccomp-test"]
        try:
            deadline = time.time() + 30
            while subprocess.run(ctr + ["version"], capture_output=True, check=False).returncode != 0:
                if time.time() > deadline or daemon.poll() is not None:
                    raise RuntimeError("containerd did not start: %s" % open(log_path).read()[-2000:])
                time.sleep(0.2)
            yield ctr
        finally:
            daemon.terminate()
            daemon.wait(timeout=30)


def capture_info(ctr, bundle):
    """`ctr containers info` (text) of a container created with containerd's RuntimeDefault (--seccomp)."""
    name = "capture-" + uuid.uuid4().hex[:8]
    subprocess.run(ctr + ["run", "--seccomp", "--rootfs", bundle.rootfs, name, bundle.exe, "true"],
                   check=True, capture_output=True, timeout=120)
    try:
        return subprocess.run(ctr + ["containers", "info", name], check=True, capture_output=True, text=True).stdout
    finally:
        subprocess.run(ctr + ["containers", "delete", name], check=False, capture_output=True)


def capture_runtime_default():
    """The OCI seccomp profile this machine's containerd gives a RuntimeDefault container."""
    base = tempfile.mkdtemp(prefix="containerd-capture-")
    try:
        with private_containerd(base) as ctr:
            info = capture_info(ctr, Bundle(os.path.join(base, "bundle")))
        return json.loads(info)["Spec"]["linux"]["seccomp"]
    finally:
        shutil.rmtree(base, ignore_errors=True)
