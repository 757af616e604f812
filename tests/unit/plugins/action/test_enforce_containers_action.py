"""enforce_containers recording a passed enforcement itself, as the rollout's last step of a batch runs it: the module
(here on localhost, with a real ansible-playbook and a crictl stand-in that records any stop) records enforcement's
result in the node's state after the earlier entries, then the action writes enforcement's records - built from the
roles' variables and this task's result - into the run's report. A state or report that cannot be written does not
fail the task (the containers are enforced by then; a failure would roll the node back): it says so, and the
rollout's own state task records it."""

import importlib.util
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from lib.ansible_run import run_tasks
from lib.fuzz_crictl import stand_in, text

NAME = "k8s.seccomp_default.enforce_containers"
HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = importlib.util.spec_from_file_location("records_scenarios", os.path.join(HERE, "..", "module_utils", "test_rollout_records.py"))
SCENARIOS = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(SCENARIOS)
RUN = dict(id="r1", started="2026-11-23T10:00:00+00:00", stages=["feature_gate", "audit", "enforce"], serial=1,
           max_fail_percentage=0, check_mode=False, hosts=[SCENARIOS.HOST])


class Healthy(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def healthz():
    httpd = HTTPServer(("127.0.0.1", 0), Healthy)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d/healthz" % httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def facts():
    """The roles' variables before enforcement's task: the audit passed in observe mode, the switch turned seccompDefault on."""
    built = SCENARIOS.enforced()
    for name in ("seccomp_enforce_restarted", "seccomp_enforce_watched"):
        built.pop(name)
    return dict(built, seccomp_enforce_watch=0)


def enforce_task(tmp_path, healthz, state, report, **more):
    crictl = stand_in(tmp_path / "node", ps=(text({"containers": []}).encode(), 0, ""))
    given = facts()
    args = dict(containers=[], pods={"kind": "PodList", "items": []}, crictl=crictl, runtime_endpoint="unix:///run/containerd/containerd.sock",
                unit="no-such-unit-here.service", healthz_url=healthz, wait=0, fail_on_mismatch=False,
                record=dict(path=state, run_id="r1", earlier=SCENARIOS.FILTER("enforce", given, "earlier_state")),
                report=dict(dir=report, host=SCENARIOS.HOST, batch=[SCENARIOS.HOST], facts=given))
    args.update(more)
    return {NAME: args}


def start(report):
    return {"k8s.seccomp_default.rollout_report": dict(dir=report, start=RUN), "check_mode": False}


def test_enforcement_records_the_node_state_and_the_report_in_its_own_task(tmp_path, healthz):
    report, state = str(tmp_path / "report"), str(tmp_path / "state" / "rollout-state.json")
    started, enforced = run_tasks(tmp_path, [start(report), enforce_task(tmp_path, healthz, state, report)]).results
    assert not started.get("failed") and not enforced.get("failed"), enforced
    assert enforced["recorded"] is True and enforced["record_error"] is None
    assert enforced["reported"] is True and enforced["report_error"] is None
    stages = json.load(open(state))["stages"]
    # The same entries the rollout's own state task records (seccomp_stage_records 'state'), in one write.
    expected = SCENARIOS.FILTER("enforce", dict(facts(), seccomp_enforce_restarted=enforced), "state")
    assert {name: (entry["result"], entry["details"]) for name, entry in stages.items()} == {
        entry["stage"]: (entry["result"], entry["details"]) for entry in expected}
    assert stages["enforce"]["result"] == "enforced" and stages["enforce"]["run_id"] == "r1"
    written = json.load(open(os.path.join(report, "report.json")))
    node = written["nodes"][SCENARIOS.HOST]
    assert node["status"] == "enforced", node
    assert sorted(node["stages"]) == ["audit", "enforce", "feature_gate"]
    assert node["stages"]["enforce"]["verified"] == enforced["verified"]


def test_a_state_that_cannot_be_written_is_said_and_nothing_is_reported(tmp_path, healthz):
    """The containers are enforced: the task does not fail (that would roll the node back), the state task records it."""
    report, state = str(tmp_path / "report"), tmp_path / "state" / "rollout-state.json"
    state.mkdir(parents=True)  # a directory where the state file belongs
    started, enforced = run_tasks(tmp_path, [start(report), enforce_task(tmp_path, healthz, str(state), report)]).results
    assert not enforced.get("failed"), enforced
    assert enforced["recorded"] is False and "rollout-state.json" in enforced["record_error"]
    assert "reported" not in enforced
    assert not os.path.exists(os.path.join(report, "nodes", "%s.enforce.json" % SCENARIOS.HOST))


def test_an_edited_state_file_is_not_overwritten(tmp_path, healthz):
    report, state = str(tmp_path / "report"), tmp_path / "state" / "rollout-state.json"
    state.parent.mkdir(parents=True)
    edited = json.dumps({"version": 1, "stages": {"audit": {"result": "held", "at": "x", "run_id": None, "details": {}}},
                         "history": [], "sha256": "0" * 64})
    state.write_text(edited)
    _started, enforced = run_tasks(tmp_path, [start(report), enforce_task(tmp_path, healthz, str(state), report)]).results
    assert not enforced.get("failed") and enforced["recorded"] is False, enforced
    assert str(state) in enforced["record_error"]
    assert state.read_text() == edited


def test_report_without_record_is_refused_before_anything_runs(tmp_path, healthz):
    report, state = str(tmp_path / "report"), str(tmp_path / "state" / "rollout-state.json")
    task = enforce_task(tmp_path, healthz, state, report)
    del task[NAME]["record"]
    enforced = run_tasks(tmp_path, [task]).results[0]
    assert enforced["failed"] and "report needs record" in enforced["msg"], enforced
    assert not os.path.exists(str(tmp_path / "node" / "stop.calls")) and not os.path.exists(report)
