"""The audit_scan module on this machine's kernel: records of a runc process under kubernetes/default-audit,
read once through the module's cursor, and throttled printk delivery detected when it really happens."""

import contextlib
import json
import os
import shutil
import subprocess
import time

import pytest

from lib.ansible_run import run_tasks
from lib.runc import Bundle, runc_available

pytestmark = pytest.mark.skipif(not runc_available(), reason="needs root, runc and busybox-static")
RATELIMIT = "/proc/sys/kernel/printk_ratelimit"
BURST = "/proc/sys/kernel/printk_ratelimit_burst"


@contextlib.contextmanager
def printk_limits(interval, burst):
    before = [open(path).read() for path in (RATELIMIT, BURST)]
    for path, value in ((RATELIMIT, interval), (BURST, burst)):
        with open(path, "w") as handle:
            handle.write("%d\n" % value)
    try:
        yield
    finally:
        for path, value in zip((RATELIMIT, BURST), before):
            with open(path, "w") as handle:
                handle.write(value)


@pytest.fixture(scope="module")
def audit_profile(tmp_path_factory):
    root = tmp_path_factory.mktemp("kubelet")
    result = run_tasks(root, [{"k8s.seccomp_default.profile": {"kubelet_root_dir": str(root)}}]).results[0]
    paths = dict((entry["name"], entry["path"]) for entry in result["profiles"])
    return dict((name, json.load(open(path))) for name, path in paths.items())


def scan(tmp_path, check=False, **options):
    options = dict({"sources": ["kmsg"], "state_dir": str(tmp_path / "state"), "cursor_name": "t"}, **options)
    return run_tasks(tmp_path, [{"k8s.seccomp_default.audit_scan": options}], check=check).results[0]


def test_a_blocked_call_is_found_once_with_its_executable(tmp_path, audit_profile):
    with printk_limits(0, 0):
        first = scan(tmp_path, start="end")
        assert first["changed"] is True and first["records"] == 0, first
        bundle = Bundle(tmp_path / "bundle")
        ran = bundle.run(["/bin/unshare", "-U", "/bin/true"], seccomp=audit_profile["kubernetes/default-audit.json"])
        assert ran.returncode == 0, ran.stderr
        time.sleep(0.2)
        checked = scan(tmp_path, check=True)
        found = scan(tmp_path)
        again = scan(tmp_path)
    for result in (checked, found):
        mine = [entry for entry in result["entries"] if entry["exe"] == bundle.exe]
        assert [(e["syscall"], e["action"], e["attribution"]) for e in mine] == [("unshare", "log", "exited")], result
        assert mine[0]["count"] == 1 and mine[0]["comm"] == "unshare"
    assert checked["changed"] is True and found["changed"] is True  # check mode did not move the cursor
    assert [e for e in again["entries"] if e["exe"] == bundle.exe] == [] and again["changed"] is False


def test_throttled_printk_delivery_is_detected(tmp_path, audit_profile):
    # A one-second window of ten messages, as printk_ratelimit would allow in a quiet second: the
    # verbose profile's records of one shell loop exceed it, and the kernel says how many it dropped
    # when the next window opens.
    scan(tmp_path, start="end")
    bundle = Bundle(tmp_path / "bundle")
    with printk_limits(1, 10):
        ran = bundle.run(["/bin/sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do echo $i >/dev/null; done"],
                         seccomp=audit_profile["kubernetes/audit-verbose.json"])
        assert ran.returncode == 0, ran.stderr
        time.sleep(1.5)
        bundle.run(["/bin/true"], seccomp=audit_profile["kubernetes/audit-verbose.json"])
        time.sleep(0.2)
        result = scan(tmp_path)
    throttling = result["throttling"]
    assert throttling["detected"] is True and throttling["suppressed"] > 0, result
    assert result["complete"] is False and "kernel.printk_ratelimit=0" in throttling["remedy"]


@pytest.fixture
def journald():
    """systemd-journald, started for the test when the machine does not run one (as here, without systemd as init)."""
    running = subprocess.run(["pgrep", "-x", "systemd-journal"], capture_output=True, check=False).returncode == 0
    if os.path.exists("/run/systemd/journal/socket") and running:
        yield
        return
    binary = "/lib/systemd/systemd-journald"
    if not os.path.exists(binary) or not shutil.which("journalctl"):
        pytest.skip("systemd-journald is not installed")
    process = subprocess.Popen([binary], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.time() + 10
        while not os.path.exists("/run/systemd/journal/socket") and time.time() < deadline:
            time.sleep(0.1)
        yield
    finally:
        process.terminate()
        process.wait(10)


def test_journald_copies_are_read_once(tmp_path, audit_profile, journald):
    """journald keeps each record twice (audit and kernel transports): one record, one duplicate, then nothing."""
    with printk_limits(0, 0):
        first = scan(tmp_path, sources=["journald"], start="end")
        assert first["records"] == 0 and first["changed"] is True, first
        bundle = Bundle(tmp_path / "bundle")
        ran = bundle.run(["/bin/unshare", "-U", "/bin/true"], seccomp=audit_profile["kubernetes/default-audit.json"])
        assert ran.returncode == 0, ran.stderr
        time.sleep(1.5)
        found = scan(tmp_path, sources=["journald"])
        again = scan(tmp_path, sources=["journald"])
    mine = [entry for entry in found["entries"] if entry["exe"] == bundle.exe]
    assert [(e["syscall"], e["count"]) for e in mine] == [("unshare", 1)], found
    assert found["duplicates"] >= 1
    assert [e for e in again["entries"] if e["exe"] == bundle.exe] == []
