"""enforce_containers given broken input: the containers, the pods, the options and crictl's whole listing are checked
before the first `crictl stop`, so a bad one fails the task naming it, and nothing is stopped. crictl is a stand-in
that prints a given answer and records any stop (tests/lib/fuzz_crictl); the module runs as Ansible runs it."""

import os
import shutil

import pytest
from lib.badinput import assert_refused, run_module, snapshot, write
from lib.fuzz_crictl import APP_ID, BAD_PS, PS, stand_in, text

ENDPOINT = "unix:///run/containerd/containerd.sock"
WANTED = [{"namespace": "shop", "pod": "web-7d9f8-x2x1", "container": "app"}]
PODS = {"kind": "PodList", "items": []}


def enforce(tmp_path, containers=None, ps=(text(PS).encode(), 0, ""), **args):
    crictl = stand_in(tmp_path / "node", ps=ps)
    before = snapshot(tmp_path / "node")
    options = dict(containers=WANTED if containers is None else containers, pods=PODS, crictl=crictl,
                   runtime_endpoint=ENDPOINT, timeout=5, unit="no-such-unit-here.service")
    result = run_module("enforce_containers", dict(options, **args), tmp_path)
    assert snapshot(tmp_path / "node") == before, "something was stopped"
    return result


@pytest.mark.parametrize("case", sorted(BAD_PS))
def test_a_broken_listing_stops_nothing_and_names_the_command(tmp_path, case):
    out, rc, err, words = BAD_PS[case]
    assert_refused(enforce(tmp_path, ps=(out, rc, err)), "crictl --runtime-endpoint %s ps -a" % ENDPOINT, *words)


@pytest.mark.parametrize("args, words", [
    (dict(containers=[{"namspace": "shop", "pod": "web-7d9f8-x2x1", "container": "app"}]), ["containers[0]", "namspace", "keys among"]),
    (dict(containers=[{"namespace": "shop", "container": "app"}]), ["containers[0]", "needs container and pod_uid"]),
    (dict(timeout=0), ["timeout", "at least 1 second"]),
    (dict(wait=-1), ["wait", "must not be negative"]),
    (dict(max_restarts=-2), ["max_restarts", "must not be negative"]),
    (dict(healthz_url="ftp://127.0.0.1/healthz"), ["healthz_url", "ftp://127.0.0.1/healthz"]),
    (dict(pods={"kind": "PodList", "items": "nope"}), ["items", "nope"]),
    (dict(kernel_state_dir="{node}/cursors", cursor_name="../out"), ["cursor_name", "'../out'"]),
    (dict(record=dict(path="{node}/state.json", earlier=[dict(stage="audit", result="passed", detail={})])),
     ["record.earlier[0]", "detail", "stage, result and details"]),
    (dict(record=dict(path="{node}/state.json", earlier=[dict(stage="stage2", result="passed")])),
     ["record.earlier[0].stage", "stage2"]),
], ids=["misspelt-key", "no-pod", "timeout", "negative-wait", "negative-max-restarts", "healthz-scheme", "pods-items",
        "cursor-name-escapes", "record-entry-key", "record-entry-stage"])
def test_a_bad_option_stops_nothing_and_names_it(tmp_path, args, words):
    args = dict((key, value.replace("{node}", str(tmp_path / "node")) if isinstance(value, str) else value)
                for key, value in args.items())
    assert_refused(enforce(tmp_path, **args), *words)


def test_check_mode_plans_the_right_container_and_stops_nothing(tmp_path):
    result = enforce(tmp_path, _ansible_check_mode=True)
    assert not result.get("failed"), result
    assert [entry["old_id"] for entry in result["restarted"]] == [APP_ID]
    assert result["changed"] is True and "verified" not in result


def test_an_empty_list_recreates_nothing_and_still_marks_the_watch(tmp_path):
    """seccomp_enforce_recreate=false: the node's clock and the unit's state come back, nothing is stopped."""
    result = enforce(tmp_path, containers=[], _ansible_check_mode=True)
    assert not result.get("failed"), result
    assert result["restarted"] == [] and result["changed"] is False
    assert isinstance(result["watch"]["since"], int) and result["watch"]["since"] > 0
    assert "service" in result["watch"]


# Leaving CRI-O's complain mode on the way (leave_crio_complain, the handover of a complain-mode audit that passed):
# complain mode is entered on a copy of OpenShift's CRI-O files the way kubelet_switch enters it (crio_default_profile,
# reload off), then enforce_containers leaves it before anything is recreated.
NODES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "data", "nodes")
AUDIT_PROFILE = {"defaultAction": "SCMP_ACT_LOG", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}


def in_complain_mode(tmp_path):
    crio_dir = tmp_path / "node" / "etc" / "crio"
    shutil.copytree(os.path.join(NODES, "openshift", "etc", "crio"), str(crio_dir))
    write(tmp_path / "profiles" / "default-audit.json", AUDIT_PROFILE)
    crio = dict(crio_config=str(crio_dir / "crio.conf"), crio_drop_in=str(crio_dir / "crio.conf.d" / "99-k8s-seccomp-default.conf"),
                crio_state_dir=str(tmp_path / "node" / "state" / "crio"), crio_reload=False)
    entered = run_module("crio_default_profile", dict(profile=str(tmp_path / "profiles" / "default-audit.json"), reload=False,
                                                      config=crio["crio_config"], drop_in=crio["crio_drop_in"],
                                                      state_dir=crio["crio_state_dir"]), tmp_path)
    assert entered["changed"] and not entered.get("failed"), entered
    return crio


def test_check_mode_shows_complain_mode_left_and_changes_nothing(tmp_path):
    crio = in_complain_mode(tmp_path)
    result = enforce(tmp_path, leave_crio_complain=True, _ansible_check_mode=True, **crio)
    assert not result.get("failed"), result
    assert result["crio"]["restored"] == "removed" and result["crio"]["changed"] is True, result["crio"]
    assert "default-audit.json" in result["diff"]["before"] and result["diff"]["after"] == ""
    assert os.path.exists(crio["crio_drop_in"])


def test_a_drop_in_edited_since_complain_mode_stops_everything_and_names_it(tmp_path):
    """Putting the original back would lose the edit: refused before any container is stopped, the edit kept."""
    crio = in_complain_mode(tmp_path)
    with open(crio["crio_drop_in"], "a") as handle:
        handle.write('\n[crio.image]\npause_image = "registry.example/pause:3.9"\n')
    assert_refused(enforce(tmp_path, leave_crio_complain=True, **crio), crio["crio_drop_in"], "has changed since complain mode")


def test_without_leave_crio_complain_complain_mode_is_not_touched(tmp_path):
    crio = in_complain_mode(tmp_path)
    result = enforce(tmp_path, _ansible_check_mode=True, **crio)
    assert not result.get("failed"), result
    assert "crio" not in result and "diff" not in result
