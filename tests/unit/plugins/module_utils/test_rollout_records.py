"""Each stage's report records and node-state entries, built from what the roles registered (module_utils
rollout_records, the seccomp_stage_records filter).

Every scenario is shaped like a real run: the plan comes from rollout_state's own ``plan``, the audit's decision from
the seccomp_audit_gate filter's code, and the task results from the RETURN of kubelet_switch, kubelet_config,
restart_containers, applied_profiles, node_watch, syscall_trace and audit_scan. Every record built is checked with
rollout_report.check_record and against docs/rollout-report.schema.json (as a record, and inside a report built from
it), and the tests assert what a user reads in the report: the result, whether the kubelet was restarted, what was
put back first.
"""

import copy
import json
import os

import jsonschema
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.k8s.seccomp_default.plugins.filter.seccomp_stage_records import FilterModule
from ansible_collections.k8s.seccomp_default.plugins.module_utils import rollout_report as R
from ansible_collections.k8s.seccomp_default.plugins.module_utils import rollout_state
from ansible_collections.k8s.seccomp_default.plugins.module_utils import node_layouts
from ansible_collections.k8s.seccomp_default.plugins.module_utils.audit_gate import audit_gate, targets
from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError
from ansible_collections.k8s.seccomp_default.plugins.module_utils.impact import seccomp_impact
from ansible_collections.k8s.seccomp_default.plugins.module_utils.rollout_records import runtime_text, stage_records, to_bool

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
SCHEMA = json.load(open(os.path.join(ROOT, "docs", "rollout-report.schema.json")))
RECORD_SCHEMA = {"$schema": SCHEMA["$schema"], "$defs": SCHEMA["$defs"], "$ref": "#/$defs/record"}
FILTER = FilterModule().filters()["seccomp_stage_records"]

HOST = "node-1"
AT = "2026-11-23T10:00:00+00:00"
REPORT_DIR = "/srv/seccomp-rollout-report"
DROP_IN = "/etc/kubernetes/kubelet.conf.d/90-seccomp-default.conf"
CONFIG = "/var/lib/kubelet/config.yaml"
CRIO_DROP_IN = "/etc/crio/crio.conf.d/99-k8s-seccomp-default-audit.conf"


# --- what the modules return ----------------------------------------------------------------------------------------

def node(kubelet="1.30.14", runtime="containerd", version="1.7.20", layout="kubeadm", seccomp_default=False, gate_value=None):
    """seccomp_node, as node_facts gathers it (the fields the stages read)."""
    endpoint = "unix:///run/containerd/containerd.sock" if runtime == "containerd" else "unix:///var/run/crio/crio.sock"
    return {"kubelet": {"version": kubelet, "running": True, "root_dir": "/var/lib/kubelet", "config": CONFIG,
                        "config_dir": "/etc/kubernetes/kubelet.conf.d", "env_files": [], "environment": {}, "kubeadm": True,
                        "layout": dict(node_layouts.describe(layout, "the test's node") if layout in node_layouts.LAYOUTS else
                                       {"name": layout, "title": layout}, managed=False),
                        "seccomp_default": {"effective": seccomp_default, "flag": False, "config": seccomp_default},
                        "feature_gate": {"stage": "ga", "default": True, "locked": False, "value": gate_value,
                                         "in_flags": False, "in_config": gate_value is not None, "problem": None},
                        "healthz": {"address": "127.0.0.1", "port": 10248, "url": "http://127.0.0.1:10248/healthz"},
                        "port": 10250, "healthy": True},
            "runtime": {"name": runtime, "endpoint": endpoint, "version": version, "config_files": [], "seccomp_profile": None,
                        "problems": []}}


def entry(result, run_id="20261120-090000", **details):
    """An entry of the node's state file (rollout_state)."""
    return {"result": result, "at": "2026-11-20T09:00:00+00:00", "run_id": run_id, "details": details}


def node_state(facts, stages=("feature_gate", "audit", "enforce"), earlier=None, retry=False):
    """seccomp_node_state: rollout_state's result with stages - its own plan for this node."""
    kubelet = facts["seccomp_node"]["kubelet"]
    state = {"stages": dict(earlier or {}), "history": []}
    plan = rollout_state.plan(state, list(stages), kubelet["version"], kubelet["seccomp_default"]["effective"],
                              facts["seccomp_node"]["runtime"]["name"], "auto", [], retry, kubelet["feature_gate"])
    return {"changed": False, "failed": False, "state": state, "previous": None, "done": [], "plan": plan}


def pod(name, uid, containers):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "shop", "uid": uid},
            "spec": {"nodeName": HOST, "containers": [dict({"name": c}, **extra) for c, extra in containers]},
            "status": {"phase": "Running"}}


PODS = {"apiVersion": "v1", "kind": "PodList", "items": [
    pod("cart", "u-cart", [("cart", {}), ("proxy", {"securityContext": {"privileged": True}})]),
    pod("web", "u-web", [("web", {})]),
]}


def node_pods():
    """seccomp_node_pods: the node's pods and the containers whose profile changes."""
    impact = seccomp_impact(PODS, {HOST: {"seccomp_default": False, "kubelet_root_dir": "/var/lib/kubelet"}})
    return {"changed": False, "failed": False, "json": copy.deepcopy(PODS), "targets": targets(impact)}


def file_entry(path, state, backup=None):
    """A file of kubelet_config / kubelet_switch ``files``."""
    return {"path": path, "state": state, "backup": backup, "before_sha256": None if state == "created" else "ab" * 32,
            "after_sha256": "cd" * 32, "read_by_kubelet": True, "mode": "0644", "uid": 0, "gid": 0}


def switch(gate_before=None, gate_after=None, changed=True, restart=True):
    """kubelet_switch's result when it succeeded."""
    return {"changed": changed, "failed": False,
            "files": [file_entry(DROP_IN, "created" if changed else "unchanged"), file_entry(CONFIG, "unchanged")],
            "feature_gate": {"before": gate_before, "after": gate_after, "removed_from": []},
            "seccomp_default": {"before": False, "after": True, "config_after": True}, "method": "drop_in",
            "reason": "the kubelet runs with --config-dir /etc/kubernetes/kubelet.conf.d",
            "lasting": {"survives": True, "note": None}, "restart_needed": restart,
            "restarted_at": "2026-11-23T09:58:00+00:00" if restart else None, "healthy_at": "2026-11-23T09:58:20+00:00",
            "crio": None, "recorded": True, "configz": None}


def switch_failed():
    """kubelet_switch's result when the kubelet did not come back: everything put back."""
    return {"changed": True, "failed": True, "msg": "kubelet_switch: kubelet is not healthy: connection refused; everything was put back",
            "files": [file_entry(DROP_IN, "created")], "feature_gate": {"before": None, "after": None, "removed_from": []},
            "restart_needed": True, "restored": [DROP_IN], "healthy_after_restore": False,
            "error": "kubelet is not healthy: connection refused"}


SKIPPED = {"changed": False, "skipped": True, "skip_reason": "Conditional result was False", "false_condition": "not ansible_check_mode"}


def restarted():
    """restart_containers' result."""
    return {"changed": True, "failed": False, "not_running": [],
            "restarted": [{"namespace": "shop", "pod": "cart", "container": "cart", "old_id": "a1", "new_id": "b1"},
                          {"namespace": "shop", "pod": "web", "container": "web", "old_id": "a2", "new_id": "b2"}],
            "watch": {"since": 1795000000000000000, "service": {"active_state": "active", "n_restarts": 0}}}


def applied_containers():
    """What applied_profiles returns for each running container."""
    containers = [{"namespace": "shop", "pod": name, "container": name, "applied": "seccomp", "default_action": "SCMP_ACT_ERRNO",
                   "expected": "RuntimeDefault", "source": "node-default", "ok": True, "warnings": []} for name in ("cart", "web")]
    containers.append({"namespace": "shop", "pod": "cart", "container": "proxy", "applied": "none", "default_action": None,
                       "expected": "Unconfined", "source": "privileged", "ok": None, "warnings": []})
    return containers


def watch_step(kernel_records):
    """A step of node_watch."""
    return {"since": 1795000000000000000, "restarted": [], "healthy": True, "kernel_records": kernel_records, "kernel_stops": [],
            "service": {"active_state": "active", "n_restarts": 0}}


def enforce_containers(first_step=0, check_mode=False):
    """enforce_containers' result: the containers recreated, what the runtime applied, the watch's first step."""
    result = dict(restarted(), removed=["a1", "a2"])
    if check_mode:
        for container in result["restarted"]:
            container["new_id"] = None
    else:
        result.update(containers=applied_containers(), mismatches=[], verified=2, watched=watch_step(first_step))
    return result


def watched(*kernel_records):
    """node_watch's results, one per step of the loop after the first."""
    return {"changed": False, "msg": "All items completed", "skipped": False,
            "results": [dict(watch_step(count), changed=False, failed=False, item=number, ansible_loop_var="item")
                        for number, count in enumerate(kernel_records, 2)]}


def kubelet_restored(*paths):
    """kubelet_config's result with restore."""
    return {"changed": True, "failed": False, "files": [file_entry(path, "restored") for path in paths], "restart_needed": True}


def trace_finding(pod_name, container, syscall, verdict):
    return {"attribution": "container", "namespace": "shop", "pod": pod_name, "container": container, "exe": "/bin/app",
            "syscall": syscall, "verdict": verdict, "processes": 2, "action": "errno"}


def trace(*findings):
    """syscall_trace's result when stopped."""
    return {"changed": True, "running": False, "entries": list(findings),
            "blocked": [f for f in findings if f["verdict"] == "blocked"], "error": None, "seconds": 600}


def scan(*findings, **kwargs):
    """audit_scan's result of the soak (complain mode)."""
    throttling = {"detected": kwargs.get("throttled", False), "suppressed": 3 if kwargs.get("throttled") else 0, "audit_lost": 0,
                  "queue_messages": 0, "remedy": "read auditd's log" if kwargs.get("throttled") else None}
    return {"changed": False, "entries": list(findings), "records": sum(f["count"] for f in findings), "duplicates": 0,
            "overflow": 0, "unparsed": 0, "throttling": throttling, "complete": not kwargs.get("throttled", False),
            "sources": [{"source": "kmsg", "path": "/dev/kmsg", "bytes": 4096, "records": 2, "suppressed": 0, "unparsed": 0,
                         "notes": []}], "cursor_file": "/var/lib/k8s-seccomp-default/audit-scan/cursors.json"}


def scan_finding(uid, container, syscall):
    return {"attribution": "container", "pod_uid": uid, "container": container, "exe": "/bin/app", "syscall": syscall,
            "action": "log", "count": 2}


# --- the variables of a node at the end of a stage --------------------------------------------------------------------

def base(check_mode=False, **node_args):
    facts = {"inventory_hostname": HOST, "ansible_check_mode": check_mode, "seccomp_node": node(**node_args),
             "seccomp_report_dir": REPORT_DIR, "seccomp_audit_soak": "10m", "seccomp_enforce_watch": "5m",
             "seccomp_enforce_watch_kernel": True, "seccomp_enforce_recreate": True}
    facts["seccomp_node_pods"] = node_pods()
    return facts


def decided(facts, audit_error=None, switch_error=None, audit_gate_setting=True):
    """The audit's decision, as roles/audit/vars/main.yml works it out (its _decision, _error, _held, _handover)."""
    plan = facts["seccomp_node_state"]["plan"]
    results = facts.get("seccomp_audit_scan") if plan["audit"]["mode"] == "complain" else facts.get("seccomp_audit_trace")
    findings = (results or {}).get("entries", [])
    decision = audit_gate(findings, facts["seccomp_node_pods"]["json"], "/var/lib/kubelet",
                          (facts.get("seccomp_audit_scan") or {}).get("complete", True))
    # A failed switch is the audit's error only in complain mode, which the switch began.
    error = audit_error if audit_error is not None else (switch_error if plan["audit"]["mode"] == "complain" else None)
    facts.update(seccomp_audit_error=audit_error, seccomp_switch_error=switch_error, seccomp_audit_gate=audit_gate_setting,
                 _decision=decision, _error=error, _held=error is None and audit_gate_setting and not decision["passed"],
                 _handover=error is None and decision["passed"] and plan["handover"])
    return facts


def audited(facts, **kwargs):
    """A node the audit decided on: its record (seccomp_audit_record, roles/audit/vars), and its facts."""
    decided(facts, **kwargs)
    facts.update(seccomp_audit_record=stage_records("audit", facts, "record"), seccomp_audit_handover=facts["_handover"],
                 seccomp_held=facts["_held"])
    return facts


def gate_with_switch(check_mode=False):
    """Kubelet 1.23: the gate goes in with seccompDefault, in the switch of an observe-mode audit that passed."""
    facts = base(check_mode, kubelet="1.23.17")
    facts["seccomp_node_state"] = node_state(facts)
    facts["seccomp_audit_trace"] = trace(trace_finding("cart", "cart", "read", "allowed"))
    audited(facts)
    facts["seccomp_switch"] = switch(gate_before=None, gate_after=True, restart=True)
    return facts


def gate_with_switch_not_run():
    """Kubelet 1.23, but the audit held the node: the switch did not run."""
    facts = base(kubelet="1.23.17")
    facts["seccomp_node_state"] = node_state(facts)
    facts["seccomp_audit_trace"] = trace(trace_finding("cart", "cart", "unshare", "blocked"))
    audited(facts)
    facts["seccomp_switch"] = dict(SKIPPED)
    return facts


def gate_unchanged():
    """Kubelet 1.30, the gate already right; a run of an earlier version had added it."""
    facts = base()
    facts["seccomp_node_state"] = node_state(facts, stages=["feature_gate"], earlier={
        "feature_gate": entry("changed", kubelet_version="1.29.10", gate_added=True)})
    return facts


def gate_skipped():
    """The feature gate done in an earlier run on this kubelet version."""
    facts = base()
    facts["seccomp_node_state"] = node_state(facts, stages=["feature_gate"], earlier={
        "feature_gate": entry("changed", kubelet_version="1.30.14", gate_added=False)})
    return facts


def gate_changed(check_mode=False):
    """A stale gate on kubelet 1.30: the stage removes it and restarts the kubelet itself."""
    facts = base(check_mode, gate_value=True)
    facts["seccomp_node_state"] = node_state(facts, stages=["feature_gate"])
    facts["seccomp_feature_gate"] = dict(switch(gate_before=True, gate_after=None), method="drop_in")
    facts["seccomp_feature_gate"]["feature_gate"]["removed_from"] = [CONFIG]
    facts["seccomp_kubelet_healthy"] = {"changed": True, "failed": False, "healthy": True}
    return facts


def gate_failed():
    facts = gate_changed()
    facts.update(seccomp_feature_gate_error="kubelet is not healthy: connection refused",
                 seccomp_feature_gate_restore=kubelet_restored(DROP_IN),
                 seccomp_kubelet_healthy={"changed": True, "failed": False, "healthy": True})
    return facts


def audit_observe(blocked=False, check_mode=False, audit_error=None):
    facts = base(check_mode)
    facts["seccomp_node_state"] = node_state(facts, stages=["audit"])
    if not check_mode:
        findings = [trace_finding("cart", "cart", "read", "allowed")]
        if blocked:
            findings.append(trace_finding("cart", "cart", "unshare", "blocked"))
        facts["seccomp_audit_trace"] = trace(*findings)
        facts["seccomp_audit_restarted"] = restarted()
    else:
        facts["seccomp_audit_restarted"] = dict(SKIPPED)
        facts["seccomp_audit_trace"] = dict(SKIPPED)
    facts["seccomp_switch"] = dict(SKIPPED)
    return audited(facts, audit_error=audit_error)


def audit_complain_recovered(throttled=False, blocked=False):
    """CRI-O: an earlier audit was interrupted in complain mode; put back first, audited again, left complain mode."""
    facts = base(runtime="cri-o", version="1.30.4")
    facts["seccomp_node_state"] = node_state(facts, stages=["audit"], earlier={
        "audit": entry("in progress", files=[file_entry(DROP_IN, "created", backup=None)], targets=[])})
    facts["seccomp_recovered_crio"] = {"changed": True, "drop_in": CRIO_DROP_IN, "seccomp_profile": "", "seccomp_profile_source": None,
                                       "reloaded": True, "restored": "removed"}
    facts["seccomp_recovered"] = {"changed": True, "restart_needed": True,
                                  "files": [file_entry(DROP_IN, "restored"), file_entry(CONFIG, "unchanged")]}
    # Complain mode: the audit's start only set the cursors; the switch restarted the containers under the logging profile.
    facts["seccomp_switch"] = dict(switch(restart=True), restarted=restarted()["restarted"], not_running=[])
    findings = [scan_finding("u-cart", "cart", "unshare")] if blocked else [scan_finding("u-cart", "proxy", "mount")]
    facts["seccomp_audit_scan"] = scan(*findings, throttled=throttled)
    facts["seccomp_audit_restarted"] = dict(restarted(), restarted=[])
    audited(facts)
    facts["seccomp_audit_crio_restore"] = {"changed": True, "drop_in": CRIO_DROP_IN, "reloaded": True, "restored": "removed"}
    facts["seccomp_audit_kubelet_restore"] = kubelet_restored(DROP_IN)
    return facts


def audit_skipped():
    facts = base(seccomp_default=False)
    facts["seccomp_node_state"] = node_state(facts, stages=["audit"], earlier={"audit": entry("passed", mode="observe")})
    return facts


def enforced(check_mode=False):
    """containerd: the audit passed in observe mode, the switch turned seccompDefault on, enforcement recreated,
    verified and watched."""
    facts = base(check_mode)
    facts["seccomp_node_state"] = node_state(facts)
    if check_mode:
        facts["seccomp_audit_trace"] = dict(SKIPPED)
    else:
        facts["seccomp_audit_trace"] = trace(trace_finding("cart", "cart", "read", "allowed"))
    audited(facts)
    facts["seccomp_switch"] = switch(restart=True)
    facts["seccomp_enforce_restarted"] = enforce_containers(first_step=0, check_mode=check_mode)
    if check_mode:
        facts["seccomp_enforce_watched"] = {"changed": False, "skipped": True, "msg": "All items skipped",
                                            "results": [dict(SKIPPED, item=2, ansible_loop_var="item")]}
    else:
        facts["seccomp_enforce_watched"] = watched(2, 1)
    return facts


def rolled_back():
    """A container restarted during the watch: the kubelet files put back, the kubelet restarted healthy."""
    facts = enforced()
    facts["seccomp_enforce_watched"] = watched(3)
    facts["seccomp_enforce_error"] = "1 container(s) were restarted during the watch: shop/cart/cart"
    facts["seccomp_enforce_restore"] = kubelet_restored(DROP_IN)
    facts["seccomp_kubelet_healthy"] = {"changed": True, "failed": False, "healthy": True}
    facts["seccomp_enforce_rolled_back_containers"] = restarted()
    return facts


def rolled_back_at_the_check():
    """A container did not get the profile it should: enforce_containers failed before the watch began."""
    facts = enforced()
    containers = applied_containers()
    containers[1].update(applied="none", ok=False)
    facts["seccomp_enforce_restarted"] = dict(enforce_containers(), failed=True, containers=containers, mismatches=[containers[1]],
                                              verified=1, msg="1 container(s) do not run with the profile they should: shop/web/web")
    del facts["seccomp_enforce_restarted"]["watched"]
    facts["seccomp_enforce_watched"] = None  # never reached
    facts["seccomp_enforce_error"] = facts["seccomp_enforce_restarted"]["msg"]
    facts["seccomp_enforce_restore"] = kubelet_restored(DROP_IN)
    facts["seccomp_kubelet_healthy"] = {"changed": True, "failed": True, "healthy": False, "msg": "kubelet is not healthy: timeout"}
    return facts


def rolled_back_by_switch():
    """The switch itself failed (the kubelet did not come back); it put everything back."""
    facts = base()
    facts["seccomp_node_state"] = node_state(facts, stages=["enforce"])
    facts["seccomp_switch"] = switch_failed()
    facts["seccomp_switch_error"] = "kubelet is not healthy: connection refused"
    facts["seccomp_enforce_error"] = facts["seccomp_switch_error"]
    return facts


def enforce_recovered():
    """An earlier enforcement was interrupted: put back first, then enforced (no audit asked for)."""
    facts = base()
    facts["seccomp_node_state"] = node_state(facts, stages=["enforce"], earlier={
        "enforce": entry("in progress", files=[file_entry(DROP_IN, "created")], targets=[])})
    facts["seccomp_recovered"] = {"changed": True, "restart_needed": True,
                                  "files": [file_entry(DROP_IN, "restored"), file_entry(CONFIG, "unchanged")]}
    facts["seccomp_switch"] = switch(restart=True)
    facts["seccomp_enforce_restarted"] = enforce_containers(first_step=0)
    facts["seccomp_enforce_watched"] = {"changed": False, "skipped": True, "msg": "No items in the list", "results": []}
    return facts


def not_retried():
    """Enforcement rolled back in an earlier run: refused (seccomp_enforce_retry_rolled_back is false)."""
    facts = base()
    facts["seccomp_node_state"] = node_state(facts, earlier={
        "feature_gate": entry("unchanged", kubelet_version="1.30.14", gate_added=False),
        "audit": entry("passed", mode="observe"),
        "enforce": entry("rolled back", error="1 container(s) were restarted during the watch: shop/cart/cart")})
    return facts


def enforce_skipped():
    """Enforced in an earlier run and still on."""
    facts = base(seccomp_default=True)
    facts["seccomp_node_state"] = node_state(facts, stages=["audit", "enforce"], earlier={
        "audit": entry("passed", mode="observe"), "enforce": entry("enforced", verified=2)})
    return facts


def preflight_stopped(with_node=True):
    facts = base() if with_node else {"inventory_hostname": HOST, "ansible_check_mode": False, "seccomp_report_dir": REPORT_DIR}
    if not with_node:
        facts["seccomp_node"] = None
    facts["seccomp_preflight_problems"] = ["kubelet: the kubelet is not running", "crictl: crictl was not found in PATH"]
    return facts


SCENARIOS = {
    "gate_with_switch": gate_with_switch, "gate_with_switch_check_mode": lambda: gate_with_switch(check_mode=True),
    "gate_with_switch_not_run": gate_with_switch_not_run, "gate_unchanged": gate_unchanged, "gate_skipped": gate_skipped,
    "gate_changed": gate_changed, "gate_changed_check_mode": lambda: gate_changed(check_mode=True), "gate_failed": gate_failed,
    "audit_passed": audit_observe, "audit_held": lambda: audit_observe(blocked=True),
    "audit_failed": lambda: audit_observe(audit_error="syscall_trace: bpftrace exited: permission denied"),
    "audit_planned": lambda: audit_observe(check_mode=True), "audit_skipped": audit_skipped,
    "audit_recovered_passed": audit_complain_recovered, "audit_recovered_held_throttled": lambda: audit_complain_recovered(True, True),
    "enforced": enforced, "enforce_planned": lambda: enforced(check_mode=True), "rolled_back": rolled_back,
    "rolled_back_at_the_check": rolled_back_at_the_check, "rolled_back_by_switch": rolled_back_by_switch,
    "enforce_recovered": enforce_recovered, "not_retried": not_retried, "enforce_skipped": enforce_skipped, "preflight_stopped": preflight_stopped,
    "preflight_stopped_without_facts": lambda: preflight_stopped(with_node=False),
}


# --- checks -------------------------------------------------------------------------------------------------------------

def valid(record):
    """``record`` as the report writes it (rollout_report adds recorded_at and batch), checked by the report's own
    reader and by the published schema."""
    written = json.loads(json.dumps(dict(record, recorded_at=AT, batch=[HOST])))
    R.check_record(written)
    jsonschema.validate(written, RECORD_SCHEMA)
    return record


def reported(tmp_path, records):
    """The report built from ``records`` as rollout_report writes them: valid against the schema; the node's entry."""
    directory = str(tmp_path)
    os.makedirs(os.path.join(directory, "nodes"), exist_ok=True)
    for record in records:
        valid(record)
        with open(os.path.join(directory, "nodes", R.record_name(HOST, record["stage"])), "w") as handle:
            json.dump(dict(record, host=HOST, recorded_at=AT, batch=[HOST]), handle)
    report = R.build(directory, AT)
    jsonschema.validate(report, SCHEMA)
    assert R.markdown(report).startswith("# SeccompDefault rollout report")
    return report["nodes"][HOST]


def report_of(stage, facts):
    records = FILTER(stage, facts, "report")
    return [record for record in records if record is not None]


def test_every_scenario_gives_records_the_report_reads(tmp_path):
    """Every record each scenario gives is valid for rollout_report and the schema, and JSON as it is (no text
    where the schema wants a boolean, an integer or null)."""
    count = 0
    for name, scenario in SCENARIOS.items():
        facts = scenario()
        stages = ["preflight"] if name.startswith("preflight") else ["feature_gate", "audit", "enforce"]
        for stage in stages:
            for what in ("record", "plan", "report"):
                try:
                    built = FILTER(stage, facts, what)
                except AnsibleFilterError:
                    continue  # not this scenario's stage: a variable it needs is not set (tested below)
                for record in built if isinstance(built, list) else [built]:
                    if record is not None:
                        assert json.loads(json.dumps(record)) == record
                        valid(record)
                        count += 1
    assert count > 40


# --- feature gate -------------------------------------------------------------------------------------------------------

def test_gate_written_with_the_switch(tmp_path):
    facts = gate_with_switch()
    assert facts["seccomp_node_state"]["plan"]["feature_gate"]["with_switch"] is True
    record = FILTER("feature_gate", facts, "plan")
    assert record == {
        "host": HOST, "stage": "feature_gate", "check_mode": False, "kubelet_restarts": ["2026-11-23T09:58:00+00:00"],
        "kubelet_version": "1.23.17", "runtime": "containerd 1.7.20",
        "layout": "kubeadm", "earlier": None, "result": "with switch",
        "reason": "kubelet 1.23.17 needs the gate only to accept seccompDefault: it is written with seccompDefault, in the one "
                  "kubelet restart of this batch (enforce)",
        "method": "drop_in", "lasting": {"survives": True, "note": None}, "gate_before": None, "gate_after": True,
        "changed_files": [DROP_IN], "kubelet_restarted": True}
    assert reported(tmp_path, [record])["status"] == "feature gate planned with the switch"
    # Enforcement's state entries carry the gate: it was added by this collection.
    assert FILTER("enforce", facts, "state")[0] == {"stage": "feature_gate", "result": "changed",
                                                    "details": {"kubelet_version": "1.23.17", "gate_added": True}}


def test_gate_with_the_switch_in_check_mode_restarts_nothing():
    record = FILTER("feature_gate", gate_with_switch(check_mode=True), "plan")
    assert record["check_mode"] is True and record["kubelet_restarted"] is False and record["changed_files"] == [DROP_IN]


def test_gate_with_a_switch_that_did_not_run_says_only_the_plan():
    record = FILTER("feature_gate", gate_with_switch_not_run(), "plan")
    assert record["result"] == "with switch"
    assert not set(record) & {"method", "lasting", "gate_before", "gate_after", "changed_files", "kubelet_restarted"}


def test_gate_already_right(tmp_path):
    facts = gate_unchanged()
    assert facts["seccomp_node_state"]["plan"]["feature_gate"]["action"] == "unchanged"
    record = FILTER("feature_gate", facts, "plan")
    assert record["result"] == "unchanged" and record["changed_files"] == [] and record["kubelet_restarted"] is False
    assert record["reason"] == "the gate is already what kubelet 1.30.14 needs"
    # The earlier run added the gate; that is kept, so that rollback.yml removes it.
    assert FILTER("feature_gate", facts, "plan_state") == [
        {"stage": "feature_gate", "result": "unchanged", "details": {"kubelet_version": "1.30.14", "gate_added": True}}]
    assert reported(tmp_path, [record])["status"] == "feature gate done"


def test_gate_done_before_is_skipped_with_the_earlier_entry():
    facts = gate_skipped()
    record = FILTER("feature_gate", facts, "plan")
    assert record["result"] == "skipped" and record["earlier"]["run_id"] == "20261120-090000"
    assert "changed_files" not in record and FILTER("feature_gate", facts, "plan_state") == []


def test_no_gate_record_where_the_plan_does_not_decide_it():
    assert FILTER("feature_gate", audit_skipped(), "plan") is None  # not asked
    assert FILTER("feature_gate", gate_changed(), "plan") is None  # the stage runs and records itself


def test_gate_changed_by_the_stage(tmp_path):
    facts = gate_changed()
    record = FILTER("feature_gate", facts, "record")
    assert record["result"] == "changed" and record["kubelet_restarted"] is True and record["changed_files"] == [DROP_IN]
    assert record["gate_before"] is True and record["gate_after"] is None and record["gate_removed_from"] == [CONFIG]
    assert record["error"] is None and record["restored"] == [] and record["healthy_after_restore"] is False
    assert FILTER("feature_gate", facts, "state") == [{"stage": "feature_gate", "result": "changed", "details": {
        "kubelet_version": "1.30.14", "gate_added": False, "error": None}}]
    assert FILTER("feature_gate", facts, "report") == [record]
    assert reported(tmp_path, [record])["status"] == "feature gate done"


def test_gate_changed_in_check_mode_restarts_nothing():
    assert FILTER("feature_gate", gate_changed(check_mode=True), "record")["kubelet_restarted"] is False


def test_gate_failed_and_restored(tmp_path):
    record = FILTER("feature_gate", gate_failed(), "record")
    assert record["result"] == "failed" and record["error"] == "kubelet is not healthy: connection refused"
    assert record["restored"] == [DROP_IN] and record["healthy_after_restore"] is True
    node = reported(tmp_path, [record])
    assert node["status"] == "gate failed, restored" and node["failed"] is True


@pytest.mark.parametrize("value, expected", [(True, True), ("yes", True), ("True", True), (1, True), ("1", True),
                                             (False, False), ("no", False), (0, False), (None, False), ("maybe", False)])
def test_gate_added_is_read_as_the_bool_filter_reads_it(value, expected):
    assert to_bool(value) is expected
    facts = gate_changed()
    facts["seccomp_feature_gate"]["feature_gate"].update(before=False, after=None)
    facts["seccomp_node_state"]["plan"]["feature_gate"]["earlier"] = entry("changed", gate_added=value)
    assert FILTER("feature_gate", facts, "state")[0]["details"]["gate_added"] is expected


# --- audit --------------------------------------------------------------------------------------------------------------

def test_audit_passed_in_observe_mode(tmp_path):
    facts = audit_observe()
    record = facts["seccomp_audit_record"]
    assert record["result"] == "passed" and record["passed"] is True and record["held"] is False
    assert record["mode"] == "observe" and record["soak_seconds"] == 600 and record["kubelet_restarted"] is False
    assert record["runtime"] == "containerd 1.7.20" and record["check_mode"] is False
    assert record["containers_watched"] == facts["seccomp_node_pods"]["targets"] and len(record["restarted"]) == 2
    assert record["records"] is None and record["throttling"] is None and record["traced_lines"] is None
    assert record["trace_blocked"] == 0 and record["suggested_profiles"] is None and record["error"] is None
    assert record["recovered_first"] == [] and record["recovered_reason"] is None and record["handover"] is False
    # Written by the audit itself (no enforcement follows): with what leaving complain mode put back - nothing here.
    gate, written = FILTER("audit", facts, "report")
    assert gate is None and written == dict(record, restored={"crio": None, "kubelet": []})
    assert FILTER("audit", facts, "state") == [{"stage": "audit", "result": "passed", "details": {
        "mode": "observe", "soak_seconds": 600, "workloads": 0, "complete": True, "error": None}}]
    assert reported(tmp_path, [written])["status"] == "audit passed"


def test_audit_held_names_the_workloads_and_their_profiles(tmp_path):
    facts = audit_observe(blocked=True)
    record = facts["seccomp_audit_record"]
    assert record["result"] == "held" and record["passed"] is False and record["held"] is True
    assert [(w["pod"], w["container"], w["syscalls"]) for w in record["workloads"]] == [("cart", "cart", ["unshare"])]
    assert record["suggested_profiles"] == REPORT_DIR + "/suggested-profiles/" + HOST and record["trace_blocked"] == 1
    assert FILTER("audit", facts, "state")[0]["details"]["workloads"] == 1
    node = reported(tmp_path, [r for r in FILTER("audit", facts, "report") if r])
    assert node["status"] == "held at audit" and node["held"] is True and node["failed"] is False


def test_audit_failed_keeps_the_error(tmp_path):
    record = audit_observe(audit_error="syscall_trace: bpftrace exited: permission denied")["seccomp_audit_record"]
    assert record["result"] == "failed" and record["passed"] is False and record["held"] is False
    assert record["error"] == "syscall_trace: bpftrace exited: permission denied"
    assert reported(tmp_path, [record])["status"] == "audit failed"


def test_audit_planned_in_check_mode(tmp_path):
    record = audit_observe(check_mode=True)["seccomp_audit_record"]
    assert record["result"] == "planned" and record["check_mode"] is True and record["restarted"] == []
    assert record["trace_blocked"] == 0 and record["soak_seconds"] == 600
    assert reported(tmp_path, [record])["status"] == "audit planned"


def test_audit_done_before_is_skipped(tmp_path):
    facts = audit_skipped()
    record = FILTER("audit", facts, "plan")
    assert record == {"host": HOST, "stage": "audit", "check_mode": False, "result": "skipped", "passed": True,
                      "runtime": "containerd 1.7.20", "reason": "the audit passed in run 20261120-090000 at 2026-11-20T09:00:00+00:00",
                      "earlier": facts["seccomp_node_state"]["plan"]["audit"]["earlier"]}
    assert FILTER("audit", gate_skipped(), "plan") is None  # not asked
    assert reported(tmp_path, [record])["status"] == "audit passed (earlier run)"


def test_audit_recovered_first_in_complain_mode(tmp_path):
    facts = audit_complain_recovered()
    assert facts["seccomp_node_state"]["plan"]["audit"]["action"] == "recover"
    record = facts["seccomp_audit_record"]
    # What the interrupted run left, put back before this audit: CRI-O's drop-in, then the kubelet file it changed.
    assert record["recovered_first"] == [CRIO_DROP_IN, DROP_IN]
    assert record["recovered_reason"].startswith("the audit was interrupted on this node in run 20261120-090000")
    assert record["mode"] == "complain" and record["kubelet_restarted"] is True and record["runtime"] == "cri-o 1.30.4"
    assert record["result"] == "passed" and record["records"] == 2 and record["throttling"]["detected"] is False
    assert record["apart"][0]["reason"] == "privileged: stays Unconfined"
    assert record["restarted"] == restarted()["restarted"]  # by the switch, not by the audit's start
    _gate, written = FILTER("audit", facts, "report")
    assert written["restored"] == {"crio": "removed", "kubelet": [DROP_IN]}
    assert reported(tmp_path, [written])["status"] == "audit passed"


def test_audit_held_because_records_were_lost(tmp_path):
    record = audit_complain_recovered(throttled=True, blocked=True)["seccomp_audit_record"]
    assert record["result"] == "held" and record["complete"] is False and record["throttling"]["detected"] is True
    assert reported(tmp_path, [record])["status"] == "held at audit"


def test_audit_recovered_without_cri_o_has_only_the_kubelet_files():
    facts = audit_complain_recovered()
    facts["seccomp_recovered_crio"] = dict(SKIPPED)
    assert FILTER("audit", facts, "record")["recovered_first"] == [DROP_IN]


# --- enforce ------------------------------------------------------------------------------------------------------------

def test_enforced(tmp_path):
    facts = enforced()
    gate, audit, record = FILTER("enforce", facts, "report")
    # Kubelet 1.30 with no gate set: already right, so the plan records the gate itself.
    assert gate["result"] == "unchanged" and gate["kubelet_restarted"] is False
    assert audit == facts["seccomp_audit_record"] and audit["result"] == "passed"
    assert record["result"] == "enforced" and record["kubelet_restarted"] is True and record["already_on"] is False
    assert record["changed_files"] == [DROP_IN] and record["verified"] == 2 and len(record["containers"]) == 3
    # The report's timeline: the switch's restart is enforcement's, not the observe-mode audit's or the gate's.
    assert record["kubelet_restarts"] == ["2026-11-23T09:58:00+00:00"]
    assert "kubelet_restarts" not in audit and "kubelet_restarts" not in gate
    assert record["recreated"] == restarted()["restarted"] and record["not_recreated"] == []
    assert record["watch_seconds"] == 300 and record["kernel_records"] == 3 and record["error"] is None
    assert record["restored"] == [] and record["healthy_after_rollback"] is False and record["recovered_first"] == []
    assert FILTER("enforce", facts, "state") == [
        {"stage": "feature_gate", "result": "unchanged", "details": {"kubelet_version": "1.30.14", "gate_added": False}},
        {"stage": "audit", "result": "passed",
         "details": {"mode": "observe", "soak_seconds": 600, "workloads": 0, "complete": True, "handover": False}},
        {"stage": "enforce", "result": "enforced", "details": {"error": None, "verified": 2}}]
    assert reported(tmp_path, [gate, audit, record])["status"] == "enforced"


@pytest.mark.parametrize("scenario", ["enforced", "rolled_back", "rolled_back_by_switch"])
def test_enforcements_state_is_the_earlier_entries_and_its_own(scenario):
    """enforce_containers records a passed enforcement itself: the earlier entries the filter gives it, then its own
    entry (rollout_state.enforce_entry) - the same entries the rollout's state task records."""
    facts = globals()[scenario]()
    restarted = facts.get("seccomp_enforce_restarted") or {}
    assert FILTER("enforce", facts, "earlier_state") + [
        rollout_state.enforce_entry(facts.get("seccomp_enforce_error"), restarted.get("verified", 0))] == FILTER("enforce", facts, "state")


def test_the_audit_record_is_built_from_the_decision_the_roles_hand_over():
    """roles/core/vars hands over the audit's decision (_decision, _error, _held, _handover), not its record: the
    filter builds the same record from it, and none where the audit has not decided."""
    facts = enforced()
    kept = facts.pop("seccomp_audit_record")
    assert facts["_decision"] is not None
    _gate, audit, _record = FILTER("enforce", facts, "report")
    assert audit == kept
    assert FILTER("enforce", facts, "state")[1]["details"]["mode"] == "observe"
    undecided = dict(facts, _decision=None)
    with pytest.raises(Exception, match="seccomp_audit_record"):
        FILTER("enforce", undecided, "state")


def test_enforce_planned_in_check_mode(tmp_path):
    record = FILTER("enforce", enforced(check_mode=True), "record")
    assert record["result"] == "planned" and record["kubelet_restarted"] is False and record["kernel_records"] is None
    assert record["verified"] == 0 and record["containers"] == []
    assert reported(tmp_path, [record])["status"] == "planned"


def test_enforce_without_recreating_lists_the_containers_left(tmp_path):
    facts = enforced()
    facts["seccomp_enforce_recreate"] = False
    assert FILTER("enforce", facts, "record")["not_recreated"] == facts["seccomp_node_pods"]["targets"]
    facts["seccomp_enforce_watch_kernel"] = False
    assert FILTER("enforce", facts, "record")["kernel_records"] is None


def test_rolled_back(tmp_path):
    facts = rolled_back()
    record = FILTER("enforce", facts, "record")
    assert record["result"] == "rolled back" and record["error"].startswith("1 container(s) were restarted")
    assert record["restored"] == [DROP_IN] and record["healthy_after_rollback"] is True and record["kernel_records"] == 3
    state = FILTER("enforce", facts, "state")
    assert state[-1] == {"stage": "enforce", "result": "rolled back",
                         "details": {"error": facts["seccomp_enforce_error"], "verified": 2}}
    node = reported(tmp_path, [record])
    assert node["status"] == "rolled back" and node["failed"] is True


def test_rolled_back_at_the_check_of_the_applied_profiles(tmp_path):
    facts = rolled_back_at_the_check()
    record = FILTER("enforce", facts, "record")
    # The watch never began: no count of the kernel's records; the kubelet did not come back healthy.
    assert record["result"] == "rolled back" and record["kernel_records"] is None and record["verified"] == 1
    assert [c["ok"] for c in record["containers"]] == [True, False, None] and record["healthy_after_rollback"] is False
    assert record["restored"] == [DROP_IN]
    assert FILTER("enforce", facts, "state")[-1]["details"] == {"error": facts["seccomp_enforce_error"], "verified": 1}
    assert reported(tmp_path, [record])["status"] == "rolled back"


def test_rolled_back_by_the_switch_says_what_the_switch_put_back(tmp_path):
    facts = rolled_back_by_switch()
    record = FILTER("enforce", facts, "record")
    assert record["result"] == "rolled back" and record["restored"] == [DROP_IN] and record["healthy_after_rollback"] is False
    assert record["already_on"] is False and record["kubelet_restarted"] is True and record["kernel_records"] is None
    assert record["recreated"] == [] and record["verified"] == 0
    assert [e["stage"] for e in FILTER("enforce", facts, "state")] == ["enforce"]
    assert reported(tmp_path, [record])["status"] == "rolled back"


def test_enforcement_recovered_first(tmp_path):
    record = FILTER("enforce", enforce_recovered(), "record")
    assert record["result"] == "enforced" and record["recovered_first"] == [DROP_IN]
    assert record["recovered_reason"].startswith("enforcement was interrupted on this node in run 20261120-090000")
    assert record["kernel_records"] == 0
    assert reported(tmp_path, [record])["status"] == "enforced"


def test_not_retried(tmp_path):
    facts = not_retried()
    assert facts["seccomp_node_state"]["plan"]["enforce"]["action"] == "refuse"
    gate, audit, record = FILTER("enforce", facts, "report")
    assert gate["result"] == "skipped" and audit["result"] == "skipped"
    layout = node_layouts.describe("kubeadm", "the test's node")
    assert record == {"host": HOST, "stage": "enforce", "check_mode": False, "already_on": False, "result": "not retried",
                      "reason": facts["seccomp_node_state"]["plan"]["enforce"]["reason"],
                      "earlier": facts["seccomp_node_state"]["plan"]["enforce"]["earlier"],
                      "owner": dict((key, layout[key]) for key in ("name", "title", "rewritten_by", "keep_with"))}
    node = reported(tmp_path, [gate, audit, record])
    assert node["status"] == "not retried" and node["failed"] is True
    assert FILTER("enforce", enforced(), "plan") is None  # enforcement runs: the plan decides no record


def test_enforce_skipped(tmp_path):
    records = FILTER("enforce", enforce_skipped(), "report")
    assert records[0] is None and [r["result"] for r in records[1:]] == ["skipped", "skipped"]
    assert records[2]["already_on"] is True
    assert reported(tmp_path, records[1:])["status"] == "enforced (earlier run)"


def test_enforce_not_asked_writes_the_records_the_plan_decided(tmp_path):
    facts = gate_skipped()
    assert FILTER("enforce", facts, "report") == [FILTER("feature_gate", facts, "plan"), None]


# --- preflight ----------------------------------------------------------------------------------------------------------

def test_preflight_stopped(tmp_path):
    record = FILTER("preflight", preflight_stopped(), "record")
    assert record == {"host": HOST, "stage": "preflight", "check_mode": False, "kubelet_version": "1.30.14", "layout": "kubeadm",
                      "runtime": "containerd 1.7.20", "result": "stopped",
                      "error": "kubelet: the kubelet is not running; crictl: crictl was not found in PATH"}
    node = reported(tmp_path, [record])
    assert node["status"] == "stopped by preflight" and node["failed"] is True


def test_preflight_stopped_before_the_node_was_read():
    record = FILTER("preflight", preflight_stopped(with_node=False), "record")
    assert (record["kubelet_version"], record["layout"], record["runtime"]) == ("unknown", "unknown", "unknown")


def test_runtime_text_leaves_out_an_unknown_version():
    assert runtime_text("cri-o", "1.30.4") == "cri-o 1.30.4"
    assert runtime_text("containerd", None) == "containerd" and runtime_text("containerd", "") == "containerd"
    facts = audit_skipped()
    facts["seccomp_node"]["runtime"]["version"] = None
    assert FILTER("audit", facts, "plan")["runtime"] == "containerd"


# --- bad input ----------------------------------------------------------------------------------------------------------

def refused(*args):
    with pytest.raises(AnsibleFilterError) as caught:
        FILTER(*args)
    message = str(caught.value)
    assert message.startswith("k8s.seccomp_default.seccomp_stage_records: "), message
    assert "this is a bug" not in message and "Traceback" not in message, message
    return message


def test_facts_that_are_not_a_mapping_are_refused():
    message = refused("enforce", ["seccomp_node"], "record")
    assert "facts: is not a mapping (found list ['seccomp_node'])" in message


def test_an_unknown_stage_or_thing_to_build_is_refused():
    assert "stage: is not a stage (found string 'stage3'); expected one of preflight, feature_gate, audit, enforce" in refused(
        "stage3", enforced(), "record")
    assert "what: is not something the preflight stage builds (found string 'state'); expected one of record, report" in refused(
        "preflight", preflight_stopped(), "state")


def test_a_variable_that_is_not_set_is_named():
    facts = enforced()
    del facts["seccomp_switch"]
    assert "seccomp_switch: is not set; expected the result of k8s.seccomp_default.kubelet_switch" in refused("enforce", facts, "record")
    facts = enforced()
    facts["seccomp_node_state"]["plan"]["enforce"].pop("action")
    assert "seccomp_node_state.plan.enforce.action: is missing" in refused("enforce", facts, "record")


def test_a_value_of_the_wrong_shape_is_named():
    facts = enforced()
    facts["seccomp_switch"]["files"] = "/etc/kubernetes/kubelet.conf.d/90-seccomp-default.conf"
    assert "seccomp_switch.files: is not a list (found string '/etc/kubernetes" in refused("enforce", facts, "record")
    facts = enforced()
    facts["seccomp_switch"]["files"][0] = {"state": "created"}
    assert "seccomp_switch.files[0].path: is missing" in refused("enforce", facts, "record")
    facts = enforced()
    facts["seccomp_enforce_watch"] = "5 minutes"
    assert "seccomp_enforce_watch: is not a duration" in refused("enforce", facts, "record")


def test_a_record_the_report_could_not_read_is_refused_here():
    facts = enforced()
    facts["seccomp_enforce_restarted"]["verified"] = "2"  # text where the report wants an integer
    message = refused("enforce", facts, "record")
    assert "the enforce record: verified: is not an integer (found string '2'); expected an integer" in message
    facts = preflight_stopped()
    facts["inventory_hostname"] = "../etc"
    assert "the preflight record: host: contains '/'" in refused("preflight", facts, "record")


def test_module_utils_raise_input_error():
    with pytest.raises(InputError) as caught:
        stage_records("enforce", None)
    assert caught.value.field == "facts"


def test_every_record_of_a_batch_says_when_the_batch_began_on_the_node(tmp_path):
    facts = enforced()
    facts["seccomp_node_state"]["started_at"] = "2026-11-23T09:57:30.250+00:00"
    facts.pop("seccomp_audit_record")  # built from the decision, now
    for record in FILTER("enforce", facts, "report"):
        assert record["started_at"] == "2026-11-23T09:57:30.250+00:00"
        valid(record)
    assert "kubelet_restarts" not in FILTER("enforce", enforced(check_mode=True), "record")  # nothing was restarted
