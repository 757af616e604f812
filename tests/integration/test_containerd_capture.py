"""Acceptance: built-in profiles from the runtime default a real containerd computes on this node.

Starts Debian's containerd on a private socket, creates a container with `ctr run --seccomp`, reads
`ctr containers info`, and hands that output, unedited, to the profile module as base_src.
"""

import json

import pytest

from ansible_collections.k8s.seccomp_default.plugins.module_utils import profiles as P
from lib.ansible_run import run_tasks
from lib.containerd import capture_info, containerd_available, private_containerd
from lib.runc import Bundle

pytestmark = pytest.mark.skipif(not containerd_available(),
                                reason="needs root, containerd, ctr, runc and busybox-static")


@pytest.fixture(scope="module")
def containerd(tmp_path_factory):
    with private_containerd(tmp_path_factory.mktemp("containerd")) as ctr:
        yield ctr


@pytest.fixture(scope="module")
def capture(containerd, tmp_path_factory):
    """`ctr containers info` of a container created with containerd's RuntimeDefault (--seccomp)."""
    info = capture_info(containerd, Bundle(tmp_path_factory.mktemp("bundle")))
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
