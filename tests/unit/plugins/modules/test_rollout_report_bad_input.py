"""rollout_report given broken and hostile input: a host or run id that is not a file name, a record, run or
readiness of the wrong shape, odd files in the report directory, symlinks out of it, other nodes' broken records.

Refused cases fail naming the file or field and the value, and leave the whole tree byte for byte as it was (no
temporary file either). Another node's broken record does not fail the call: it is left out with a warning naming
the file, and its node stays in the report as "record unreadable". Each case runs the module as Ansible does.
"""

import json
import os
import shutil

import pytest

from lib.badinput import assert_refused, run_module, snapshot

RUN = dict(id="r1", started="2026-11-23T10:00:00+00:00", stages=["enforce"], serial=1, max_fail_percentage=0,
           check_mode=False, hosts=["n1", "n2"])
ENFORCED = dict(stage="enforce", result="enforced", check_mode=False, changed_files=["/d/90-seccomp-default.conf"],
                containers=[dict(container="a", ok=True)], verified=1, watch_seconds=0)
READINESS = dict(policy="stop", stages=["enforce"], checked_at="t", left_out=[],
                 nodes=dict(n1=dict(ready=True, checks=[dict(check="connection", status="ok", detail="reachable", fix=None)])))


def good_record(host, **fields):
    return dict(dict(ENFORCED, host=host, recorded_at="2026-11-23T10:01:00+00:00", batch=[host]), **fields)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data if isinstance(data, bytes) else json.dumps(data).encode())


def a_report(work):
    """A report directory of a run with n2's record already in it; the tree outside it has a file a symlink can aim at."""
    report = os.path.join(work, "site", "report")
    write(os.path.join(report, "run.json"), RUN)
    write(os.path.join(report, "nodes", "n2.enforce.json"), good_record("n2"))
    write(os.path.join(work, "elsewhere", "precious.json"), b"{}")
    return report


def record_args(report, **overrides):
    return dict(dict(dir=report, host="n1", record=dict(ENFORCED)), **overrides)


def with_record(**fields):
    return lambda report: record_args(report, record=dict(ENFORCED, **fields))


def without(field):
    return lambda report: record_args(report, record=dict((k, v) for k, v in ENFORCED.items() if k != field))


def setup_nothing(report, work):
    pass


def replace(name, data):
    def setup(report, work):
        path = os.path.join(report, name)
        if os.path.isdir(path):
            shutil.rmtree(path)
        write(path, data)
    return setup


def link(name, target):
    def setup(report, work):
        path = os.path.join(report, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        elif os.path.lexists(path):
            os.unlink(path)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        os.symlink(os.path.join(work, target), path)
    return setup


def directory(name):
    def setup(report, work):
        os.makedirs(os.path.join(report, name))
    return setup


def unreadable(name):
    def setup(report, work):
        os.chmod(os.path.join(report, name), 0o000)
    return setup


def fifo(name):
    def setup(report, work):
        os.unlink(os.path.join(report, name))
        os.mkfifo(os.path.join(report, name))
    return setup


REFUSED = [
    # What becomes a file name: the host and the run's id.
    ("host-parent-dirs", setup_nothing, lambda r: record_args(r, host="../../x"), ["host", "'../../x'", "without '/'"]),
    ("host-too-long", setup_nothing, lambda r: record_args(r, host="n" * 201), ["host", "201 bytes"]),
    ("start-id-escapes", setup_nothing, lambda r: dict(dir=r, start=dict(RUN, id="../../x")), ["start.id", "'../../x'"]),
    ("earlier-run-id-escapes", replace("run.json", dict(RUN, id="../../../elsewhere")),
     lambda r: dict(dir=r, start=dict(RUN, id="r2")), ["run.json", "id", "'../../../elsewhere'"]),
    # The record, the run and the readiness, checked as the report reads them.
    ("record-stage-number", setup_nothing, with_record(stage=3), ["record.stage", "number 3", "enforce"]),
    ("record-result-null", setup_nothing, with_record(result=None), ["record.result", "null", "rolled back"]),
    ("record-result-of-another-stage", setup_nothing, with_record(result="passed"), ["record.result", "'passed'", "enforced"]),
    ("record-without-result", setup_nothing, without("result"), ["record.result", "null"]),
    ("record-changed-files-string", setup_nothing, with_record(changed_files="x"), ["record.changed_files", "string 'x'", "a list"]),
    ("record-container-ok-string", setup_nothing, with_record(containers=[dict(container="a", ok="yes")]),
     ["record.containers[0].ok", "'yes'", "boolean or null"]),
    ("start-hosts-string", setup_nothing, lambda r: dict(dir=r, start=dict(RUN, hosts="n1")), ["start.hosts", "'n1'"]),
    ("start-without-stages", setup_nothing, lambda r: dict(dir=r, start=dict((k, v) for k, v in RUN.items() if k != "stages")),
     ["start.stages", "is missing"]),
    ("readiness-policy", setup_nothing, lambda r: dict(dir=r, readiness=dict(READINESS, policy="maybe")),
     ["readiness.policy", "'maybe'", "skip_unready"]),
    ("readiness-checks-string", setup_nothing,
     lambda r: dict(dir=r, readiness=dict(READINESS, nodes=dict(n1=dict(ready=True, checks="x")))), ["readiness.nodes.n1.checks", "'x'"]),
    # The report directory and the files in it.
    ("dir-is-a-file", replace("run.json", {}), lambda r: record_args(os.path.join(r, "run.json")), ["run.json", "is not a directory"]),
    ("dir-runs-through-a-file", setup_nothing, lambda r: record_args(os.path.join(r, "run.json", "report")),
     ["run.json/report", "not a directory"]),
    ("nodes-links-to-a-file-outside", link("nodes", "elsewhere/precious.json"), None, ["nodes", "outside the report directory"]),
    ("nodes-links-out", link("nodes", "elsewhere"), None, ["report/nodes", "outside the report directory"]),
    ("record-links-out", link("nodes/n1.enforce.json", "elsewhere/precious.json"), None,
     ["nodes/n1.enforce.json", "outside the report directory"]),
    ("report-json-links-out", link("report.json", "elsewhere/precious.json"), None, ["report.json", "outside"]),
    ("lock-links-out", link(".lock", "elsewhere/precious.json"), None, [".lock", "outside"]),
    ("history-links-out", link("history", "elsewhere"), lambda r: dict(dir=r, start=dict(RUN, id="r2")), ["history", "outside"]),
    ("report-json-is-a-directory", directory("report.json"), None, ["report.json", "is a directory"]),
    ("nodes-is-a-real-file", replace("nodes", b"x"), None, ["nodes", "is not a directory"]),
    ("run-json-not-json", replace("run.json", b"{not json"), None, ["run.json", "is not JSON"]),
    ("run-json-not-utf8", replace("run.json", b'{"id": "\xff"}'), None, ["run.json", "not UTF-8"]),
    ("run-json-unreadable", unreadable("run.json"), None, ["run.json", "not readable"]),
    ("run-json-fifo", fifo("run.json"), None, ["run.json", "not a regular file"]),
    ("run-json-hosts-string", replace("run.json", dict(RUN, hosts="n1")), None, ["run.json", "hosts", "'n1'"]),
    ("readiness-json-nodes-list", replace("readiness.json", dict(READINESS, nodes=[])), None, ["readiness.json", "nodes", "list"]),
]


@pytest.mark.parametrize("setup, args, words", [case[1:] for case in REFUSED], ids=[case[0] for case in REFUSED])
def test_refused_with_nothing_changed(tmp_path, setup, args, words):
    work = str(tmp_path / "work")
    report = a_report(work)
    setup(report, work)
    before = snapshot(work)
    result = run_module("rollout_report", (args or record_args)(report), tmp_path)
    assert_refused(result, *words)
    assert snapshot(work) == before


BROKEN = [
    ("not-json", b"{broken", ["is not JSON"]),
    ("not-utf8", b'{"host": "\xff"}', ["not UTF-8"]),
    ("stage-number", good_record("n2", stage=3), ["stage", "number 3"]),
    ("result-null", good_record("n2", result=None), ["result", "null"]),
    ("changed-files-string", good_record("n2", changed_files="x"), ["changed_files", "string 'x'"]),
    ("another-host-inside", good_record("n9"), ["the record of n9 enforce"]),
    ("a-directory", None, ["is a directory"]),
    ("unreadable", "000", ["not readable"]),
    ("links-out", "link", ["outside"]),
]


@pytest.mark.parametrize("content, words", [case[1:] for case in BROKEN], ids=[case[0] for case in BROKEN])
def test_an_other_nodes_broken_record_is_left_out_with_a_warning_and_its_node_kept(tmp_path, content, words):
    work = str(tmp_path / "work")
    report = a_report(work)
    broken = os.path.join(report, "nodes", "n2.enforce.json")
    os.unlink(broken)
    if content is None:
        os.mkdir(broken)
    elif content == "link":
        os.symlink(os.path.join(work, "elsewhere", "precious.json"), broken)
    else:
        write(broken, good_record("n2") if content == "000" else content)
        if content == "000":
            os.chmod(broken, 0o000)
    write(os.path.join(report, "nodes", "n3.enforce.json"), good_record("n3"))
    others = dict((path, entry) for path, entry in snapshot(work).items() if "n1." not in path)
    result = run_module("rollout_report", record_args(report), tmp_path)
    assert not result.get("failed"), result
    warnings = " ".join(str(warning) for warning in result.get("warnings", []))
    assert "nodes/n2.enforce.json" in warnings and "record unreadable" in warnings
    for word in words:
        assert word in warnings, (word, warnings)
    assert [entry["path"] for entry in result["unreadable"]] == ["nodes/n2.enforce.json"]
    written = json.loads(open(os.path.join(report, "report.json")).read())
    assert written["nodes"]["n2"]["status"] == "record unreadable" and written["nodes"]["n2"]["failed"]
    assert written["nodes"]["n1"]["status"] == written["nodes"]["n3"]["status"] == "enforced"
    assert "nodes/n2.enforce.json" in open(os.path.join(report, "summary.md")).read()
    after = snapshot(work)
    assert dict((path, entry) for path, entry in after.items() if path in others) == others  # the broken record untouched
    assert not [path for path in after if os.path.basename(path).startswith(".") and path.endswith(".tmp")]


def test_host_names_of_real_inventories_are_file_names(tmp_path):
    report = str(tmp_path / "report")
    hosts = ["node-1.example.com", "fe80::1", "w\u00f6rker_02"]
    for host in hosts:
        result = run_module("rollout_report", dict(dir=report, host=host, record=ENFORCED), tmp_path)
        assert not result.get("failed"), result
    assert sorted(os.listdir(os.path.join(report, "nodes"))) == sorted(host + ".enforce.json" for host in hosts)
    assert sorted(json.load(open(os.path.join(report, "report.json")))["nodes"]) == sorted(hosts)


def test_a_new_run_never_mixes_into_a_history_entry_already_there(tmp_path):
    report = str(tmp_path / "report")
    write(os.path.join(report, "run.json"), RUN)
    write(os.path.join(report, "nodes", "n1.enforce.json"), good_record("n1"))
    write(os.path.join(report, "history", "r1", "nodes", "n1.enforce.json"), b"an earlier copy")
    result = run_module("rollout_report", dict(dir=report, start=dict(RUN, id="r2")), tmp_path)
    assert not result.get("failed"), result
    assert open(os.path.join(report, "history", "r1", "nodes", "n1.enforce.json"), "rb").read() == b"an earlier copy"
    assert json.load(open(os.path.join(report, "history", "r1.2", "run.json")))["id"] == "r1"
    assert json.load(open(os.path.join(report, "run.json")))["id"] == "r2"


# The same rules in process (fast): what the module runs above for a few, here for each. (Imported in the tests, so
# that the module runs above also run against a version without these functions.)
NAMES = [("dot-dot", "..", "starts with '.'"), ("dot", ".", "starts with '.'"), ("hidden", ".n1", "starts with '.'"),
         ("empty", "", "is empty"), ("slash", "a/b", "'/'"), ("nul", "a\x00b", "NUL"), ("newline", "a\nb", "control character"),
         ("too-long", "n" * 201, "201 bytes"), ("not-text", 7, "is not a string"), ("surrogate", "a\udc80", "not valid text")]


@pytest.mark.parametrize("name, words", [case[1:] for case in NAMES], ids=[case[0] for case in NAMES])
def test_a_name_that_is_not_one_file_name_is_refused(name, words):
    from ansible_collections.k8s.seccomp_default.plugins.module_utils import rollout_report
    from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError
    with pytest.raises(InputError) as refused:
        rollout_report.check_name(name, "host")
    assert str(refused.value).startswith("host: ") and words in str(refused.value) and "expected 1-200 bytes" in str(refused.value)


RECORDS = [("reason-list", dict(reason=["x"]), "reason: is not a string (found list ['x'])"),
           ("earlier-details-string", dict(result="skipped", earlier=dict(run_id="r0", details="x")),
            "earlier.details: is not a mapping or null (found string 'x')"),
           ("check-mode-string", dict(check_mode="no"), "check_mode: is not a boolean (found string 'no')"),
           ("workload-without-pod", dict(stage="audit", result="held", workloads=[dict(namespace="d", container="c", syscalls=[])]),
            "workloads[0].pod: is missing"),
           ("syscalls-string", dict(stage="audit", result="held",
                                    workloads=[dict(namespace="d", pod="p", container="c", syscalls="ptrace")]),
            "workloads[0].syscalls: is not a list (found string 'ptrace'); expected a list, each item a string"),
           ("verified-boolean", dict(verified=True), "verified: is not an integer (found boolean True)"),
           ("containers-item-string", dict(containers=["a"]), "containers[0]: is not a mapping (found string 'a')"),
           ("batch-string", dict(batch="n1"), "batch: is not a list (found string 'n1')"),
           ("a-list", None, "is not a mapping (found list []); expected a mapping (a node's record of one stage)"),
           ("lasting-string", dict(stage="feature_gate", result="changed", lasting="yes"),
            "lasting: is not a mapping (found string 'yes'); expected a mapping or null")]


@pytest.mark.parametrize("fields, message", [case[1:] for case in RECORDS], ids=[case[0] for case in RECORDS])
def test_a_record_field_of_the_wrong_type_is_named_with_its_value(fields, message):
    from ansible_collections.k8s.seccomp_default.plugins.module_utils import rollout_report
    from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError
    record = good_record("n1", **fields) if fields is not None else []
    with pytest.raises(InputError) as refused:
        rollout_report.check_record(record, path="/r/nodes/n1.enforce.json")
    assert str(refused.value).startswith("/r/nodes/n1.enforce.json: " + message), str(refused.value)
