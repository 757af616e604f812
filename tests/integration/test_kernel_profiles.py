"""The installed built-in profiles, run by runc on this machine's kernel, and the records it writes.

Profiles come from a real module run into a scratch kubelet root; processes run in runc containers
with a busybox-static rootfs; records are read from /dev/kmsg (no auditd here, so the kernel prints
them there, docs/kubernetes-facts.md#delivery-and-rate-limits).
"""

import json

import pytest

from ansible_collections.k8s.seccomp_default.plugins.module_utils import profiles as P
from ansible_collections.k8s.seccomp_default.plugins.module_utils.audit_records import ARCHES
from lib.ansible_run import run_tasks
from lib.kmsg import KernelLog, printk_unthrottled
from lib.runc import Bundle, runc_available

pyseccomp = pytest.importorskip("pyseccomp")
pytestmark = pytest.mark.skipif(not runc_available(), reason="needs root, runc and busybox-static")

SECCOMP_RET_LOG = "0x7ffc0000"


def native():
    """(this machine's architecture as the record parser names it, syscall number resolver)."""
    token = pyseccomp.system_arch()
    return ARCHES[token], lambda name: pyseccomp.resolve_syscall(token, name)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The three profiles as the profile module installs them on this node."""
    root = tmp_path_factory.mktemp("kubelet")
    result = run_tasks(root, [{"name": "install", "k8s.seccomp_default.profile": {"kubelet_root_dir": str(root)}}]).results[0]
    assert result["changed"] is True, result
    profiles = {}
    for entry in result["profiles"]:
        with open(entry["path"]) as handle:
            profiles[entry["name"]] = json.load(handle)
    return profiles


@pytest.fixture
def bundle(tmp_path):
    return Bundle(tmp_path)


@pytest.fixture(autouse=True)
def every_record_printed():
    """printk's rate limit is global: other messages could use up its burst and hide our records."""
    with printk_unthrottled():
        yield


def run_logged(bundle, argv, profile):
    """Run ``argv`` under ``profile``; return the result and the kernel's seccomp records of this bundle."""
    with KernelLog() as log:
        result = bundle.run(argv, seccomp=profile)
        return result, [r for r in log.seccomp_records() if r.get("exe") == bundle.exe]


def test_unconfined_control_unshare_succeeds(bundle):
    """Without a profile the same command works: the failures below come from the profiles."""
    result = bundle.run(["/bin/unshare", "-U", "/bin/true"], seccomp=None)
    assert result.returncode == 0, result.stderr


def test_default_denies_unshare_with_eperm_and_no_record(installed, bundle):
    result, records = run_logged(bundle, ["/bin/unshare", "-U", "/bin/true"], installed["kubernetes/default.json"])
    assert result.returncode != 0
    assert "Operation not permitted" in result.stderr
    assert records == [], "SCMP_ACT_ERRNO without SECCOMP_FILTER_FLAG_LOG must not log (docs/kubernetes-facts.md#when-the-kernel-logs)"


def test_default_audit_allows_unshare_and_logs_it(installed, bundle):
    arch, number = native()
    result, records = run_logged(bundle, ["/bin/unshare", "-U", "/bin/true"], installed["kubernetes/default-audit.json"])
    assert result.returncode == 0, result.stderr
    unshare = [r for r in records if r["syscall_nr"] == number("unshare")]
    assert unshare, "no record for unshare among %s" % [r["raw"] for r in records]
    record = unshare[0]
    assert (record["arch"], record["code"], record["sig"], record["comm"]) == (arch, SECCOMP_RET_LOG, 0, "unshare")
    assert (record["syscall"], record["action"]) == ("unshare", "log")
    if arch == "x86_64":
        assert record["syscall_nr"] == 272
    # Only calls outside the allow list are logged: nothing that default allows shows up.
    allowed = set(number(n) for n in P.allowed_syscalls(installed["kubernetes/default.json"]))
    assert [r["raw"] for r in records if r["syscall_nr"] in allowed and r["syscall_nr"] != number("clone")] == []


def test_audit_verbose_logs_allowed_calls_such_as_getpid(installed, bundle):
    arch, _resolve = native()
    result, records = run_logged(bundle, ["/bin/sh", "-c", "echo $$"], installed["kubernetes/audit-verbose.json"])
    assert result.returncode == 0, result.stderr
    syscalls = set(r["syscall"] for r in records)
    assert "getpid" in syscalls, "getpid not logged; saw %s" % sorted(syscalls)
    assert "write" in syscalls
    assert all(r["code"] == SECCOMP_RET_LOG and r["arch"] == arch for r in records)


def test_default_audit_logs_what_default_denies_and_nothing_it_allows(installed, bundle):
    """The pair used in complain mode: same decisions, except that the audit one logs instead of EPERM."""
    _arch, _resolve = native()
    script = "/bin/unshare -U /bin/true; /bin/echo done"
    enforced, denied_records = run_logged(bundle, ["/bin/sh", "-c", script], installed["kubernetes/default.json"])
    audited, records = run_logged(bundle, ["/bin/sh", "-c", script], installed["kubernetes/default-audit.json"])
    assert denied_records == []
    assert enforced.stdout == audited.stdout == "done\n"
    assert "Operation not permitted" in enforced.stderr and audited.stderr == ""
    assert sorted(set(r["syscall"] for r in records)) == ["unshare"]
