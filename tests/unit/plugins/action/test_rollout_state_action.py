"""rollout_state with its report option, as a task runs it: the module writes the node's state (here localhost, with a
real ansible-playbook), then the action writes the same stage's records into the run's report on the controller, in one
task. A node whose state cannot be written fails the task with the report unchanged; a bad report option fails before
anything is written."""

import json
import os

from lib.ansible_run import run_tasks

NAME = "k8s.seccomp_default.rollout_state"
RUN = dict(id="r1", started="2026-11-23T10:00:00+00:00", stages=["enforce"], serial=1, max_fail_percentage=0,
           check_mode=False, hosts=["n1"])
ENFORCED = dict(stage="enforce", result="enforced", check_mode=False, changed_files=["/d/90-seccomp-default.conf"],
                containers=[dict(container="a", ok=True)], verified=1, watch_seconds=0)


def start(report):
    return {"k8s.seccomp_default.rollout_report": dict(dir=report, start=RUN), "check_mode": False}


def state_task(path, report, **more):
    return {NAME: dict(path=path, run_id="r1", records=[dict(stage="enforce", result="enforced", details={"verified": 1})],
                       report=dict(dict(dir=report, host="n1", batch=["n1"], records=[ENFORCED]), **more))}


def test_the_state_on_the_node_and_the_record_in_the_report_in_one_task(tmp_path):
    report, state = str(tmp_path / "report"), str(tmp_path / "node" / "rollout-state.json")
    run = run_tasks(tmp_path, [start(report), state_task(state, report)])
    started, recorded = run.results
    assert not started.get("failed") and not recorded.get("failed"), run.results
    assert recorded["changed"] is True
    assert json.load(open(state))["stages"]["enforce"]["result"] == "enforced"
    assert recorded["report"]["totals"]["by_status"] == {"enforced": 1}
    assert json.load(open(os.path.join(report, "nodes", "n1.enforce.json")))["batch"] == ["n1"]
    again = run_tasks(tmp_path, [state_task(state, report)]).results[0]
    assert again["changed"] is False and not again.get("failed"), again


def test_a_state_that_cannot_be_written_leaves_the_report_as_it_was(tmp_path):
    report, state = str(tmp_path / "report"), tmp_path / "node" / "rollout-state.json"
    state.mkdir(parents=True)  # a directory where the state file belongs
    run = run_tasks(tmp_path, [start(report), state_task(str(state), report)])
    recorded = run.results[1]
    assert recorded["failed"] and "rollout-state.json" in recorded["msg"], recorded
    assert not os.path.exists(os.path.join(report, "nodes", "n1.enforce.json"))


def test_a_bad_report_option_fails_before_anything_is_written(tmp_path):
    report, state = str(tmp_path / "report"), str(tmp_path / "node" / "rollout-state.json")
    task = state_task(state, report)
    del task[NAME]["report"]["host"]
    recorded = run_tasks(tmp_path, [task]).results[0]
    assert recorded["failed"] and "report" in recorded["msg"] and "host" in recorded["msg"], recorded
    assert not os.path.exists(state) and not os.path.exists(report)
