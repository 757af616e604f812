"""restart_containers given broken input: every `containers` item and crictl's whole listing are checked before the
first `crictl stop`, so a bad one fails the task naming it, and nothing is stopped. crictl is a stand-in that prints
a given answer and records any stop (tests/lib/fuzz_crictl); the module runs as Ansible runs it."""

import pytest
from lib.badinput import assert_refused, run_module, snapshot
from lib.fuzz_crictl import APP_ID, BAD_PS, PS, POD_UID, stand_in, text

ENDPOINT = "unix:///run/containerd/containerd.sock"
WANTED = [{"namespace": "shop", "pod": "web-7d9f8-x2x1", "container": "app"}]


def restart(tmp_path, containers=None, ps=(text(PS).encode(), 0, ""), **args):
    crictl = stand_in(tmp_path / "node", ps=ps)
    before = snapshot(tmp_path / "node")
    result = run_module("restart_containers", dict(dict(containers=WANTED if containers is None else containers,
                                                        crictl=crictl, runtime_endpoint=ENDPOINT, timeout=5), **args),
                        tmp_path)
    assert snapshot(tmp_path / "node") == before, "something was stopped"
    return result


@pytest.mark.parametrize("case", sorted(BAD_PS))
def test_a_broken_listing_stops_nothing_and_names_the_command(tmp_path, case):
    out, rc, err, words = BAD_PS[case]
    result = restart(tmp_path, ps=(out, rc, err))
    assert_refused(result, "crictl --runtime-endpoint %s ps -a" % ENDPOINT, *words)


@pytest.mark.parametrize("containers, words", [
    ([{"namspace": "shop", "pod": "web-7d9f8-x2x1", "container": "app"}], ["containers[0]", "namspace", "keys among"]),
    ([{"pod": "web-7d9f8-x2x1", "container": ["app"]}], ["containers[0].container", "is not a string"]),
    ([{"pod_uid": 5, "container": "app"}], ["containers[0].pod_uid", "is not a string"]),
    ([{"namespace": "shop", "container": "app"}], ["containers[0]", "needs container and pod_uid"]),
    (WANTED + [{"pod_uid": POD_UID}], ["containers[1]", "needs container"]),
], ids=["misspelt-key", "container-a-list", "pod-uid-a-number", "no-pod", "second-item-without-container"])
def test_a_bad_item_stops_nothing_and_names_it(tmp_path, containers, words):
    assert_refused(restart(tmp_path, containers), *words)


def test_a_timeout_that_cannot_be_waited_out_stops_nothing(tmp_path):
    assert_refused(restart(tmp_path, timeout=0), "timeout", "at least 1 second")


def test_a_crictl_that_is_a_directory_is_named(tmp_path):
    (tmp_path / "node").mkdir()
    result = run_module("restart_containers", dict(containers=WANTED, crictl=str(tmp_path / "node")), tmp_path)
    assert_refused(result, str(tmp_path / "node"), "not an executable file", "option crictl")


def test_a_good_listing_in_check_mode_plans_the_right_container(tmp_path):
    result = restart(tmp_path, _ansible_check_mode=True)
    assert not result.get("failed"), result
    assert [entry["old_id"] for entry in result["restarted"]] == [APP_ID]
