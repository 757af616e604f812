"""The run's report: built from node records as they arrive, valid against its published schema, readable."""

import html
import json
import os

import jsonschema
import pytest
import yaml

from ansible_collections.k8s.seccomp_default.plugins.module_utils import report_files
from ansible_collections.k8s.seccomp_default.plugins.module_utils import rollout_report as R
from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError
from lib import report_page
from lib.spo_crd import default_profile, valid_for_spo

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
SCHEMA = json.load(open(os.path.join(ROOT, "docs", "rollout-report.schema.json")))


def put(directory, host, kind, record):
    os.makedirs(os.path.join(directory, "nodes"), exist_ok=True)
    record = dict(record, host=host, recorded_at=record.get("recorded_at", "2026-11-23T10:00:00+00:00"),
                  batch=record.get("batch", [host]), check_mode=False)
    with open(os.path.join(directory, "nodes", "%s.%s.json" % (host, kind)), "w") as handle:
        json.dump(record, handle)


ENFORCED = dict(stage="enforce", result="enforced", changed_files=["/d/90-seccomp-default.conf"], recreated=[{}], not_recreated=[],
                verified=2, containers=[{"container": "a", "ok": True}, {"container": "b", "ok": True}], watch_seconds=0,
                error=None, restored=[], healthy_after_rollback=False, already_on=False)


def test_a_stopped_run_reports_every_node_with_where_it_stands(tmp_path):
    directory = str(tmp_path)
    with open(os.path.join(directory, "run.json"), "w") as handle:
        json.dump(dict(id="r1", started="2026-11-23T10:00:00+00:00", stages=["audit", "enforce"], serial=[1, "50%"],
                       max_fail_percentage=0, check_mode=False, hosts=["n1", "n2", "n3", "n4"]), handle)
    put(directory, "n1", "enforce", dict(ENFORCED, batch=["n1"], recorded_at="2026-11-23T10:01:00+00:00"))
    put(directory, "n2", "enforce", dict(ENFORCED, result="rolled back", error="1 container(s) were restarted during the watch: p/c",
                                         restored=["/d/90-seccomp-default.conf"], healthy_after_rollback=True,
                                         batch=["n2", "n3"], recorded_at="2026-11-23T10:02:00+00:00"))
    put(directory, "n3", "audit", dict(stage="audit", result="held", passed=False, complete=True, runtime="cri-o 1.30", mode="complain",
                                       soak_seconds=60, containers_watched=[{}], apart=[], records=3, traced_lines=None,
                                       throttling=None, suggested_profiles="/r/suggested-profiles/n3",
                                       workloads=[dict(namespace="default", pod="p", container="c", syscalls=["unshare"],
                                                       executables=["/bin/busybox"])],
                                       batch=["n2", "n3"], recorded_at="2026-11-23T10:00:30+00:00"))
    report = R.build(directory, "2026-11-23T10:03:00+00:00")
    jsonschema.validate(report, SCHEMA)
    statuses = dict((host, entry["status"]) for host, entry in report["nodes"].items())
    assert statuses == {"n1": "enforced", "n2": "rolled back", "n3": "held at audit", "n4": "not reached"}
    assert report["totals"]["failed"] == 1 and report["totals"]["held"] == 1 and report["totals"]["nodes"] == 4
    assert report["nodes"]["n3"]["held"] and not report["nodes"]["n3"]["failed"]
    assert [(b["stage"], b["number"], b["hosts"]) for b in report["batches"]] == [
        ("audit", 1, ["n2", "n3"]), ("enforce", 1, ["n1"]), ("enforce", 2, ["n2", "n3"])]
    missing = os.path.join(directory, "suggested-profiles", "n3", "kubernetes-default.json")
    assert report["suggested_profiles"] == [dict(
        host="n3", namespace="default", pod="p", container="c", syscalls=["unshare"], path="/r/suggested-profiles/n3/default_p_c.json",
        seccomp_profile=None, base_profile=None, why_whole=None, security_context=None,
        not_shippable="%s is missing: the node's kubernetes/default was not kept" % missing)]
    page = R.markdown(report)
    assert page.startswith("# SeccompDefault rollout report\n\nRun r1")
    assert "| n4 | -/-/- | not reached |  |" in page
    assert "| n2 | rolled back | /d/90-seccomp-default.conf | 1 | 2 of 2 running | 0 s | rolled back: 1 container(s)" in page
    assert "default/p c (/bin/busybox): unshare" in page


def test_skipped_and_refused_stages_say_which_run_did_them(tmp_path):
    directory = str(tmp_path)
    earlier = {"result": "rolled back", "at": "2026-11-20T09:00:00+00:00", "run_id": "r0", "details": {"error": "crash"}}
    put(directory, "n1", "enforce", dict(stage="enforce", result="not retried", earlier=earlier, reason="rolled back in run r0"))
    put(directory, "n2", "enforce", dict(stage="enforce", result="skipped", reason="enforced in run r0",
                                         earlier=dict(earlier, result="enforced", details={})))
    report = R.build(directory, "2026-11-23T10:03:00+00:00")
    jsonschema.validate(report, SCHEMA)
    assert report["run"] is None
    assert report["nodes"]["n1"]["status"] == "not retried" and report["nodes"]["n1"]["failed"]
    assert report["nodes"]["n2"]["status"] == "enforced (earlier run)" and not report["nodes"]["n2"]["failed"]
    page = R.markdown(report)
    assert "rolled back in run r0 (2026-11-20T09:00:00+00:00): crash; not enabled again" in page
    assert "enforced in run r0" in page


def test_a_batch_is_one_batch_even_after_some_of_its_hosts_failed(tmp_path):
    """ansible_play_batch drops failed hosts: records of one batch written before and after a failure overlap."""
    directory = str(tmp_path)
    put(directory, "n1", "audit", dict(stage="audit", result="held", batch=["n1", "n2", "n3"], recorded_at="t2"))
    put(directory, "n3", "audit", dict(stage="audit", result="skipped", batch=["n3"], recorded_at="t3"))
    put(directory, "n4", "audit", dict(stage="audit", result="passed", batch=["n4", "n5"], recorded_at="t5"))
    put(directory, "n5", "audit", dict(stage="audit", result="skipped", batch=["n5"], recorded_at="t4"))
    assert [(b["number"], b["hosts"]) for b in R.batches(R.node_records(directory))] == [(1, ["n1", "n2", "n3"]), (2, ["n4", "n5"])]


READINESS = dict(policy="skip_unready", stages=["feature_gate", "audit", "enforce"], checked_at="2026-11-30T10:00:00+00:00",
                 left_out=["n2"], nodes={
                     "n1": dict(ready=True, checks=[dict(check="connection", status="ok", detail="reachable", fix=None),
                                                    dict(check="records", status="warning", detail="kmsg; printk_ratelimit",
                                                         fix="sysctl -w kernel.printk_ratelimit=0")]),
                     "n2": dict(ready=False, checks=[dict(check="connection", status="ok", detail="reachable", fix=None),
                                                     dict(check="crictl", status="blocker", detail="crictl was not found",
                                                          fix="install cri-tools, or set seccomp_crictl")])})


def test_readiness_is_in_the_report_and_a_node_left_out_says_so(tmp_path):
    directory = str(tmp_path)
    with open(os.path.join(directory, "run.json"), "w") as handle:
        json.dump(dict(id="r2", started="2026-11-30T10:00:00+00:00", stages=["feature_gate"], serial=1,
                       max_fail_percentage=0, check_mode=False, hosts=["n1", "n2"]), handle)
    with open(os.path.join(directory, R.READINESS_FILE), "w") as handle:
        json.dump(READINESS, handle)
    put(directory, "n1", "enforce", ENFORCED)
    report = R.build(directory, "2026-11-30T10:05:00+00:00")
    jsonschema.validate(report, SCHEMA)
    assert report["nodes"]["n2"]["status"] == "not ready" and report["nodes"]["n1"]["status"] == "enforced"
    assert report["readiness"]["left_out"] == ["n2"]
    page = R.markdown(report)
    assert "Left out of the rollout because they were not ready: n2." in page
    assert "| n2 | **no** | blocker crictl: crictl was not found (fix: install cri-tools, or set seccomp_crictl) |" in page


def test_a_preflight_only_run_calls_ready_nodes_ready(tmp_path):
    directory = str(tmp_path)
    with open(os.path.join(directory, "run.json"), "w") as handle:
        json.dump(dict(id="r3", started="2026-11-30T10:00:00+00:00", stages=["feature_gate"], serial=1, preflight_only=True,
                       max_fail_percentage=0, check_mode=False, hosts=["n1", "n2"]), handle)
    with open(os.path.join(directory, R.READINESS_FILE), "w") as handle:
        json.dump(dict(READINESS, policy="stop", left_out=[]), handle)
    report = R.build(directory, "2026-11-30T10:05:00+00:00")
    jsonschema.validate(report, SCHEMA)
    assert report["totals"]["by_status"] == {"ready": 1, "not ready": 1}


def test_the_readiness_table_has_a_column_per_check_and_the_fix_of_each_finding():
    lines = R.readiness_table(READINESS)
    header = lines[0].split()
    assert header[:3] == ["node", "ready", "connection"] and "creds" in header
    n1, n2 = lines[1].split(), lines[2].split()
    assert n1[:3] == ["n1", "yes", "ok"] and n2[:3] == ["n2", "NO", "ok"]
    assert n2[header.index("crictl")] == "BLOCKER" and n1[header.index("records")] == "warn"
    assert n1[header.index("bpftrace")] == "?"  # not in the rows given
    assert lines[4:] == ["n1 warning records: kmsg; printk_ratelimit -> fix: sysctl -w kernel.printk_ratelimit=0",
                         "n2 blocker crictl: crictl was not found -> fix: install cri-tools, or set seccomp_crictl"]


def test_a_held_nodes_suggestions_are_written_as_spo_objects_and_security_contexts(tmp_path):
    """What a user ships: every SeccompProfile of the run in one YAML stream, valid for SPO's CRD, the node's
    kubernetes/default as one base for both of its workloads; beside each Localhost profile, its securityContext."""
    directory = str(tmp_path)
    base = default_profile(os.uname()[4] if os.uname()[4] in ("x86_64", "aarch64") else "x86_64")
    os.makedirs(os.path.join(directory, "suggested-profiles", "n3"))
    with open(os.path.join(directory, "suggested-profiles", "n3", "kubernetes-default.json"), "w") as handle:
        json.dump(base, handle)
    put(directory, "n3", "audit", dict(stage="audit", result="held", passed=False, complete=True, runtime="containerd 1.7",
                                       mode="observe", soak_seconds=60, containers_watched=[{}], apart=[], records=None,
                                       traced_lines=10, throttling=None,
                                       suggested_profiles=os.path.join(directory, "suggested-profiles", "n3"),
                                       workloads=[dict(namespace="default", pod="p", container="c", syscalls=["unshare"], executables=[]),
                                                  dict(namespace="ci", pod="runner-0", container="build", syscalls=["mount", "unshare"],
                                                       executables=[]),
                                                  dict(namespace="legacy", pod="old-0", container="app", syscalls=["personality"],
                                                       executables=[])]))
    report = report_files.rebuild(directory, lambda message: None)
    jsonschema.validate(report, SCHEMA)
    stream = open(os.path.join(directory, "suggested-profiles", "seccompprofiles.yaml")).read()
    objects = list(yaml.safe_load_all(stream))
    for obj in objects:
        valid_for_spo(obj)
    names = [obj["metadata"]["name"] for obj in objects]
    (base_name,) = [name for name in names if name.startswith("kubernetes-default-")]
    assert names == [base_name, "default.p.c", "ci.runner-0.build", "legacy.old-0.app"]
    by_workload = dict((s["pod"], s) for s in report["suggested_profiles"])
    assert [by_workload[pod]["base_profile"] for pod in ("p", "runner-0", "old-0")] == [base_name, base_name, None]
    assert "personality" in by_workload["old-0"]["why_whole"]
    snippet = open(os.path.join(directory, "suggested-profiles", "n3", "ci_runner-0_build.security-context.yaml")).read()
    assert yaml.safe_load(snippet) == {"securityContext": {"seccompProfile": {
        "type": "Localhost", "localhostProfile": "k8s.seccomp_default/ci_runner-0_build.json"}}}
    assert "localhostProfile: \"operator/ci.runner-0.build.json\"" in snippet and "mount, unshare" in snippet
    # the report page shows the same words as the file beside the profile, each way to use it
    page = html.unescape(open(os.path.join(directory, "report.html")).read())
    assert snippet.rstrip("\n") in page


def test_the_report_page_draws_each_batch_node_stage_and_restart(tmp_path):
    """report.html's timeline, read back as SVG: a band per batch, a bar per node and stage from the batch's start on
    the node to its record, placed in time, and a mark per kubelet restart; the page fetches nothing."""
    directory = str(tmp_path)
    with open(os.path.join(directory, "run.json"), "w") as handle:
        json.dump(dict(id="r9", started="2026-11-23T10:00:00+00:00", stages=["feature_gate", "audit", "enforce"], serial=1,
                       max_fail_percentage=0, check_mode=False, hosts=["n1", "n2"]), handle)
    for host, start, end, restart in (("n1", "10:00:05", "10:00:35", "10:00:20"), ("n2", "10:00:40", "10:01:40", "10:01:00")):
        times = dict(batch=[host], started_at="2026-11-23T%s.000+00:00" % start, recorded_at="2026-11-23T%s+00:00" % end)
        put(directory, host, "feature_gate", dict(times, stage="feature_gate", result="with switch", kubelet_restarted=False))
        put(directory, host, "audit", dict(times, stage="audit", result="passed", passed=True, mode="observe"))
        put(directory, host, "enforce", dict(ENFORCED, kubelet_restarts=["2026-11-23T%s.500+00:00" % restart], **times))
    report = report_files.rebuild(directory, lambda message: None)
    jsonschema.validate(report, SCHEMA)
    text = open(os.path.join(directory, "report.html")).read()
    assert not report_page.FETCHES.search(text)
    svg = report_page.svg_of(text)
    bars = dict(((rect.get("data-host"), rect.get("data-stage")), rect) for rect in report_page.elements(svg, "rect", "stage"))
    assert sorted(bars) == [(host, stage) for host in ("n1", "n2") for stage in ("audit", "enforce", "feature_gate")]
    assert [rect.get("data-batch") for rect in report_page.elements(svg, "rect", "batch")] == ["1", "2"]
    # Placed in time: n2's batch begins after n1's ended, and lasts twice as long.
    n1, n2 = bars[("n1", "enforce")], bars[("n2", "enforce")]
    assert float(n2.get("x")) > float(n1.get("x")) + float(n1.get("width"))
    assert abs(float(n2.get("width")) - 2 * float(n1.get("width"))) < 1.0
    marks = [line for line in report_page.elements(svg, "line", "restart") if line.get("data-host")]
    assert [line.get("data-host") for line in marks] == ["n1", "n2"]
    assert float(n1.get("x")) < float(marks[0].get("x1")) < float(n1.get("x")) + float(n1.get("width"))
    assert "every running container has the profile it should" in text and "Batch 2" in text


def slice_report(directory, run_id, started, hosts):
    os.makedirs(directory)
    with open(os.path.join(directory, "run.json"), "w") as handle:
        json.dump(dict(id=run_id, started=started, stages=["audit", "enforce"], serial="50%", max_fail_percentage=0,
                       check_mode=False, hosts=hosts), handle)
    with open(os.path.join(directory, "readiness.json"), "w") as handle:
        json.dump(dict(policy="stop", stages=["audit", "enforce"], checked_at=started, left_out=[],
                       nodes=dict((host, dict(ready=True, checks=[])) for host in hosts)), handle)
    return directory


def test_the_reports_of_two_slices_merge_into_one_with_every_node_once(tmp_path):
    """Job slicing: two runs over disjoint halves of a fleet, each with its own report directory, merged by
    report.yml's seccomp_report_merge. Each node's latest record of each stage is kept, with the suggested profiles
    of the run it came from; the merged run says where each part came from; the outcome is what a workflow reads."""
    first = slice_report(str(tmp_path / "slice-1"), "r1", "2026-11-23T10:00:00+00:00", ["n1", "n2"])
    second = slice_report(str(tmp_path / "slice-2"), "r2", "2026-11-23T10:00:02+00:00", ["n3", "n4"])
    put(first, "n1", "enforce", dict(ENFORCED, recorded_at="2026-11-23T10:05:00+00:00"))
    put(first, "n2", "audit", dict(stage="audit", result="held", passed=False, complete=True, mode="observe",
                                   suggested_profiles=os.path.join(first, "suggested-profiles", "n2"),
                                   workloads=[dict(namespace="default", pod="p", container="c", syscalls=["unshare"], executables=[])],
                                   recorded_at="2026-11-23T10:04:00+00:00"))
    os.makedirs(os.path.join(first, "suggested-profiles", "n2"))
    with open(os.path.join(first, "suggested-profiles", "n2", "default_p_c.json"), "w") as handle:
        handle.write("{}")
    # An older run's record of n1 in the second slice's directory: the first slice's later one is kept.
    put(second, "n1", "enforce", dict(ENFORCED, result="rolled back", error="watch", recorded_at="2026-11-22T09:00:00+00:00"))
    for host in ("n3", "n4"):
        put(second, host, "enforce", dict(ENFORCED, recorded_at="2026-11-23T10:06:00+00:00"))
    merged = str(tmp_path / "merged")
    result = report_files.report(dict(dir=merged, merge=[first, second]), lambda message: None)
    report = json.load(open(os.path.join(merged, "report.json")))
    jsonschema.validate(report, SCHEMA)
    assert sorted(report["nodes"]) == ["n1", "n2", "n3", "n4"]
    assert dict((host, entry["status"]) for host, entry in report["nodes"].items()) == {
        "n1": "enforced", "n2": "held at audit", "n3": "enforced", "n4": "enforced"}
    assert report["run"]["hosts"] == ["n1", "n2", "n3", "n4"] and report["run"]["started"] == "2026-11-23T10:00:00+00:00"
    assert [(item["id"], item["hosts"]) for item in report["run"]["merged_from"]] == [("r1", ["n1", "n2"]), ("r2", ["n3", "n4"])]
    assert sorted(report["readiness"]["nodes"]) == ["n1", "n2", "n3", "n4"]
    assert os.path.exists(os.path.join(merged, "suggested-profiles", "n2", "default_p_c.json"))
    # The merged report names its own copy, not the slice's directory (which an AWX job throws away).
    (suggestion,) = report["suggested_profiles"]
    assert suggestion["path"] == os.path.join(merged, "suggested-profiles", "n2", "default_p_c.json")
    assert report["nodes"]["n2"]["stages"]["audit"]["suggested_profiles"] == os.path.join(merged, "suggested-profiles", "n2")
    # What each directory gave: the second's older record of n1 is not among them.
    assert [(item["dir"], item["run"], item["records"]) for item in result["merged"]] == [(first, "r1", 2), (second, "r2", 2)]
    assert result["outcome"]["held"] == ["n2"] and result["outcome"]["failed"] == []
    assert result["outcome"]["nodes"]["n1"] == "enforced" and result["outcome"]["run_id"] == report["run"]["id"]
    # Merged again, with the merged report among the sources: the same report, its parts still named.
    again = report_files.report(dict(dir=str(tmp_path / "again"), merge=[merged, second]), lambda message: None)
    assert again["totals"] == result["totals"]
    assert [item["id"] for item in json.load(open(str(tmp_path / "again" / "run.json")))["merged_from"]] == ["r1", "r2"]


def test_a_directory_that_is_not_a_report_is_refused_before_anything_is_written(tmp_path):
    first = slice_report(str(tmp_path / "slice-1"), "r1", "2026-11-23T10:00:00+00:00", ["n1"])
    put(first, "n1", "enforce", dict(ENFORCED))
    (tmp_path / "elsewhere").mkdir()
    merged = tmp_path / "merged"
    with pytest.raises(InputError) as caught:
        report_files.report(dict(dir=str(merged), merge=[first, str(tmp_path / "elsewhere")]), lambda message: None)
    assert "merge[1]" in str(caught.value) and "elsewhere" in str(caught.value) and "nodes/" in str(caught.value)
    assert not merged.exists()  # not even the directory


def test_the_report_says_per_node_what_owns_its_config_and_what_to_set_to_keep_it_on(tmp_path):
    directory = str(tmp_path)
    kubespray = dict(name="kubespray", title="kubespray", rewritten_by="kubespray's cluster.yml renders the config again",
                     keep_with="kubelet_seccomp_default: true in the inventory")
    put(directory, "n1", "enforce", dict(ENFORCED, owner=kubespray, lasting=dict(survives=True, note="a drop-in")))
    put(directory, "n2", "enforce", dict(ENFORCED, owner=dict(kubespray, name="kubeadm", title="kubeadm (deb/rpm packages)",
                                                              keep_with="a kubeadm patch"),
                                         lasting=dict(survives=False, note="kubeadm upgrade node rewrites config.yaml")))
    put(directory, "n3", "enforce", dict(ENFORCED, result="rolled back", owner=kubespray))
    report = report_files.rebuild(directory, lambda message: None)
    jsonschema.validate(report, SCHEMA)
    kept = dict((item["host"], item) for item in R.keeping(report))
    assert sorted(kept) == ["n1", "n2"]  # a rolled-back node has nothing to keep
    assert kept["n1"]["keep_with"] == "kubelet_seccomp_default: true in the inventory" and kept["n1"]["lasts"] == "lasts until then"
    assert kept["n2"]["lasts"] == "LOST when that runs: kubeadm upgrade node rewrites config.yaml"
    summary = open(os.path.join(directory, "summary.md")).read()
    assert "| n1 | kubespray | kubespray's cluster.yml renders the config again | kubelet_seccomp_default: true in the inventory |" in summary
    assert "<td>a kubeadm patch</td>" in open(os.path.join(directory, "report.html")).read()
