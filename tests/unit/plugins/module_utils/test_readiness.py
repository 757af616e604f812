"""module_utils/readiness: which checks the stages asked for need on a node, and what each finding says to do.
Tools are real executables in a temporary directory; the node's facts are shaped as node_facts returns them."""

from lib.commands import executable, run
from ansible_collections.k8s.seccomp_default.plugins.module_utils import readiness

ALL = ["feature_gate", "audit", "enforce"]


def facts(runtime="containerd", **kubelet):
    base = dict(problems=[], feature_gate=dict(problem=None), version="1.30.14", config="/var/lib/kubelet/config.yaml",
                config_dir=None, healthy=True, health_error=None)
    base.update(kubelet)
    return dict(kubelet=base,
                runtime=dict(name=runtime, version="2.0.0", endpoint="unix:///run/containerd/containerd.sock", problems=[]),
                seccomp_log=dict(supported=True, missing=[]), kernel=dict(release="6.1.0"),
                audit_sources=dict(printk_ratelimit=0, printk_ratelimit_burst=0))


def options(tmp_path, **extra):
    cert, key = tmp_path / "client.crt", tmp_path / "client.key"
    cert.write_text("cert")
    key.write_text("key")
    found = dict(crictl=executable(tmp_path, "crictl", "#!/bin/sh\necho '{\"containers\": [{\"id\": \"a\"}]}'\n"),
                 bpftrace=executable(tmp_path, "bpftrace", "#!/bin/sh\nexit 0\n"), client_cert=str(cert),
                 client_key=str(key), state_dir=str(tmp_path / "state"), min_free_mb=1)
    found.update(extra)
    return found


def statuses(rows):
    return dict((r["check"], r["status"]) for r in rows)


def test_a_node_with_everything_is_ready_and_each_row_says_what_was_seen(tmp_path):
    rows = readiness.assess(facts(), run, ALL, options(tmp_path))
    assert [r["check"] for r in rows] == list(readiness.CHECKS)
    by = dict((r["check"], r) for r in rows)
    assert by["crictl"]["detail"].endswith("crictl, 1 containers")
    assert by["kubelet"]["detail"] == "1.30.14, /var/lib/kubelet/config.yaml"
    assert by["credentials"]["detail"].startswith("kubelet API with ")
    assert all(r["fix"] is None for r in rows if r["status"] == "ok")
    assert readiness.blockers([r for r in rows if r["check"] != "records"]) == []


def test_only_what_the_stages_asked_for_is_checked(tmp_path):
    rows = statuses(readiness.assess(facts(), run, ["feature_gate"], options(tmp_path)))
    assert [name for name, status in rows.items() if status == "n/a"] == ["log_action", "libseccomp", "records", "bpftrace"]
    containerd_audit = statuses(readiness.assess(facts(), run, ["audit"], options(tmp_path)))
    assert containerd_audit["bpftrace"] != "n/a" and containerd_audit["records"] == "n/a"  # observed with bpftrace
    crio_audit = statuses(readiness.assess(facts("cri-o"), run, ["audit"], options(tmp_path)))
    assert crio_audit["bpftrace"] == "n/a" and crio_audit["records"] != "n/a"  # complain mode: the kernel's records
    enforce = statuses(readiness.assess(facts(), run, ["enforce"], options(tmp_path, watch_kernel=False)))
    assert enforce["records"] == "n/a" and enforce["libseccomp"] == "ok"


def test_missing_tools_are_blockers_that_name_where_they_were_looked_for(tmp_path):
    rows = readiness.assess(facts(), run, ALL, options(tmp_path, crictl=str(tmp_path / "nowhere" / "crictl"),
                                                       bpftrace="bpftrace-that-is-not-installed"))
    by = dict((r["check"], r) for r in rows)
    assert by["crictl"]["status"] == "blocker" and "nowhere/crictl is not an executable file" in by["crictl"]["detail"]
    assert by["crictl"]["fix"] == "install cri-tools, or set seccomp_crictl to crictl's path"
    assert by["bpftrace"]["status"] == "blocker"
    assert "looked for bpftrace-that-is-not-installed in" in by["bpftrace"]["detail"] and "/opt/bin" in by["bpftrace"]["detail"]


def test_crictl_that_cannot_reach_the_runtime_is_a_blocker(tmp_path):
    broken = executable(tmp_path, "crictl-down", "#!/bin/sh\necho 'connect: connection refused' >&2\nexit 1\n")
    row = readiness.check_crictl(run, broken, "unix:///run/containerd/containerd.sock")
    assert row["status"] == "blocker" and "connection refused" in row["detail"]
    assert "seccomp_runtime_endpoint" in row["fix"]


def test_a_stale_gate_is_repaired_by_stage_1_unless_told_not_to(tmp_path):
    stale = facts(healthy=False, health_error="refused", problems=["gate"], feature_gate=dict(problem="gate"))
    assert statuses(readiness.assess(stale, run, ALL, options(tmp_path)))["kubelet_health"] == "repair"
    assert statuses(readiness.assess(stale, run, ALL, options(tmp_path)))["kubelet"] == "ok"
    refused = readiness.assess(stale, run, ALL, options(tmp_path, repair_stale_gate=False))
    assert statuses(refused)["kubelet_health"] == "blocker"
    assert readiness.blockers(refused)[0] == "kubelet_health: gate"


def test_a_config_that_does_not_parse_blocks_with_the_reason(tmp_path):
    broken = facts(problems=["/var/lib/kubelet/config.yaml: not valid YAML: line 3"])
    row = readiness.assess(broken, run, ALL, options(tmp_path))[1]
    assert row == dict(check="kubelet", status="blocker", detail="/var/lib/kubelet/config.yaml: not valid YAML: line 3",
                       fix=row["fix"]) and row["fix"]


def test_no_record_source_blocks_and_throttled_records_warn_with_the_remedy():
    row = readiness.check_records(facts(), True, run, sources=[])
    assert row["status"] == "blocker" and "run auditd" in row["fix"]
    throttled = facts()
    throttled["audit_sources"] = dict(printk_ratelimit=5, printk_ratelimit_burst=10)
    row = readiness.check_records(throttled, True, run, sources=[("kmsg", "/dev/kmsg")])
    assert row["status"] == "warning" and "printk_ratelimit" in row["fix"] and "(5 s, burst 10)" in row["detail"]
    assert readiness.check_records(facts(), True, run, sources=[("kmsg", "/dev/kmsg")])["status"] == "ok"


KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- cluster: {server: "https://192.0.2.1:6443", certificate-authority-data: Y2E=}
  name: kubernetes
contexts:
- context: {cluster: kubernetes, user: "system:node:w1"}
  name: default
current-context: default
users:
- name: "system:node:w1"
  user: {client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem, client-key: /var/lib/kubelet/pki/kubelet-client-current.pem}
"""


def test_no_credentials_at_all_block_and_name_what_is_missing(tmp_path):
    rows = readiness.assess(facts(), run, ALL, options(tmp_path, client_cert="/nonexistent/c.crt",
                                                       client_key="/nonexistent/c.key"))
    row = dict((r["check"], r) for r in rows)["credentials"]
    assert row["status"] == "blocker"
    assert row["detail"] == ("cannot read the node's pods and /configz: /nonexistent/c.crt not readable; the kubelet has no "
                             "--kubeconfig; no controller kubeconfig for /configz through the API server (seccomp_kubeconfig)")


def test_a_worker_reads_pods_with_its_own_credentials_and_configz_through_the_api_server(tmp_path):
    kubeconfig = tmp_path / "kubelet.conf"
    kubeconfig.write_text(KUBECONFIG)
    found = readiness.access("/nonexistent/c.crt", "/nonexistent/c.key", str(kubeconfig), "/root/.kube/config")
    assert (found["pods"], found["configz"]) == ("api_server", "api_server")
    assert "pods from the API server as system:node:w1 (%s)" % kubeconfig in found["why"]
    assert readiness.check_credentials(found)["status"] == "ok"
    without_controller = readiness.access("/nonexistent/c.crt", "/nonexistent/c.key", str(kubeconfig), "")
    row = readiness.check_credentials(without_controller)
    assert row["status"] == "blocker" and row["detail"].startswith("cannot read the node's /configz: ")
    kubeconfig.write_text("users: [\n")
    broken = readiness.access("/nonexistent/c.crt", "/nonexistent/c.key", str(kubeconfig), "/root/.kube/config")
    assert broken["pods"] is None and "is not valid YAML" in broken["why"]


def test_too_little_free_space_and_an_old_python_block(tmp_path):
    rows = statuses(readiness.assess(facts(), run, ALL, options(tmp_path, min_free_mb=10 ** 12, python_version=(3, 8, 18))))
    assert rows["disk"] == "blocker" and rows["python"] == "blocker"
    assert readiness.check_python((3, 9, 18))["status"] == "ok"


def test_auditd_that_rate_limits_records_warns_with_the_remedy():
    status = "enabled 1\nfailure 1\npid 612\nrate_limit 100\nbacklog_limit 8192\nlost 0\nbacklog 0\n"
    row = readiness.check_records(facts(), True, lambda argv: (0, status, ""), sources=[("auditd", "/var/log/audit/audit.log")])
    assert row["status"] == "warning" and "rate limit is 100 records/s" in row["detail"] and "auditctl -r 0" in row["fix"]
    unlimited = status.replace("rate_limit 100", "rate_limit 0")
    assert readiness.check_records(facts(), True, lambda argv: (0, unlimited, ""),
                                   sources=[("auditd", "/var/log/audit/audit.log")])["status"] == "ok"
