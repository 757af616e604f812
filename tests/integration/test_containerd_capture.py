"""Acceptance: built-in profiles from the runtime default a real containerd computes on this node.

Starts Debian's containerd on a private socket, creates a container with `ctr run --seccomp`, reads
`ctr containers info`, and hands that output, unedited, to the profile module as base_src.
"""

import json
import shutil
import subprocess
import time
import uuid

import pytest

from ansible_collections.k8s.seccomp_default.plugins.module_utils import profiles as P
from lib.ansible_run import run_tasks
from lib.runc import Bundle, runc_available

pytestmark = pytest.mark.skipif(not (runc_available() and shutil.which("containerd") and shutil.which("ctr")),
                                reason="needs root, containerd, ctr, runc and busybox-static")


@pytest.fixture(scope="module")
def containerd(tmp_path_factory):
    base = tmp_path_factory.mktemp("containerd")
    address = str(base / "containerd.sock")
    config = base / "config.toml"
    config.write_text('version = 2\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n')
    log = open(str(base / "containerd.log"), "w")
    daemon = subprocess.Popen(["containerd", "--config", str(config), "--root", str(base / "root"), "--state", str(base / "state"),
                               "--address", address], stdout=log, stderr=subprocess.STDOUT)
    ctr = ["ctr", "--address", address, "--namespace", "seccomp-test"]
    deadline = time.time() + 30
    while subprocess.run(ctr + ["version"], capture_output=True, check=False).returncode != 0:
        if time.time() > deadline or daemon.poll() is not None:
            daemon.kill()
            pytest.fail("containerd did not start: %s" % open(str(base / "containerd.log")).read()[-2000:])
        time.sleep(0.2)
    yield ctr
    daemon.terminate()
    daemon.wait(timeout=30)
    log.close()


@pytest.fixture(scope="module")
def capture(containerd, tmp_path_factory):
    """`ctr containers info` of a container created with containerd's RuntimeDefault (--seccomp)."""
    bundle = Bundle(tmp_path_factory.mktemp("bundle"))
    name = "capture-" + uuid.uuid4().hex[:8]
    subprocess.run(containerd + ["run", "--seccomp", "--rootfs", bundle.rootfs, name, bundle.exe, "true"],
                   check=True, capture_output=True, timeout=120)
    info = subprocess.run(containerd + ["containers", "info", name], check=True, capture_output=True, text=True).stdout
    subprocess.run(containerd + ["containers", "delete", name], check=False, capture_output=True)
    path = tmp_path_factory.mktemp("capture") / "ctr-containers-info.json"
    path.write_text(info)
    return path, json.loads(info)["Spec"]["linux"]["seccomp"]


def test_builtins_derived_from_a_live_containerd_runtime_default(capture, tmp_path):
    path, captured = capture
    result = run_tasks(tmp_path, [{"name": "install", "k8s.seccomp_default.profile": {
        "kubelet_root_dir": str(tmp_path), "base_src": str(path)}}]).results[0]
    assert result["changed"] is True, result
    installed = {}
    for name in ("default", "default-audit", "audit-verbose"):
        with open(str(tmp_path / "seccomp" / "kubernetes" / (name + ".json"))) as handle:
            installed[name] = json.load(handle)

    assert P.allowed_syscalls(installed["default"]) == P.allowed_syscalls(captured)
    assert installed["default"] == P.normalize_oci(captured)
    assert P.allowed_syscalls(installed["default-audit"]) == P.allowed_syscalls(captured)
    assert not P.denies_anything(installed["default-audit"])
    assert P.allowed_syscalls(installed["audit-verbose"]) == []
    assert installed["audit-verbose"]["defaultAction"] == "SCMP_ACT_LOG"


def test_the_capture_runs_like_containerd_default(capture, tmp_path):
    """The copied profile, run by runc, refuses what containerd's default refuses."""
    dummy, captured = capture
    bundle = Bundle(tmp_path)
    denied = bundle.run(["/bin/unshare", "-U", "/bin/true"], seccomp=P.normalize_oci(captured))
    assert denied.returncode != 0 and "Operation not permitted" in denied.stderr
