"""kubelet_switch: bad input refused with the tree unchanged, check mode changing nothing, and the write, record and
put-back parts on a scratch node.

Every case runs the module as Ansible does (tests/lib/badinput.run_module) against a kubelet (--config and
--config-dir, 1.30) and CRI-O (OpenShift's files, tests/data/nodes/openshift) laid out in tmp_path/node, with CRI-O's
reload off. No stand-in systemctl or journalctl is used: the cases that write are ones where the kubelet needs no
restart (only CRI-O's drop-in or a kubeadm patch changes), or fail before the restart (the state file cannot be
written), so the restart, the health wait and the /configz check are left to the integration tests.
"""

import json
import os
import shutil

import pytest

from ansible_collections.k8s.seccomp_default.plugins.module_utils import libseccomp
from lib import fake_tracer
from lib.badinput import assert_refused, run_module, snapshot, write
from lib.fuzz_crictl import APP_ID, POD_UID, PS, stand_in, text

NODES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "data", "nodes")
HEADER = "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
CONFIG = HEADER + "# the runtime's cgroup driver\ncgroupDriver: systemd\n"
ENABLED = CONFIG + "seccompDefault: true\n"
PROFILE = {"defaultAction": "SCMP_ACT_LOG", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}
VERSION = "1.30.4"
DOWN = "http://127.0.0.1:9/healthz"  # nothing answers on the discard port
TARGETS = [dict(pod_uid="u1", namespace="default", pod="web", container="nginx")]
WANTED = [{"namespace": "shop", "pod": "web-7d9f8-x2x1", "container": "app"}]


@pytest.fixture
def node(tmp_path):
    root = tmp_path / "node"
    shutil.copytree(os.path.join(NODES, "openshift", "etc", "crio"), str(root / "etc" / "crio"))
    write(root / "seccomp" / "default-audit.json", PROFILE)
    write(root / "etc" / "kubelet-config.yaml", CONFIG)
    (root / "etc" / "kubelet.conf.d").mkdir()
    (root / "state").mkdir()
    return root


def options(root, complain=True, **args):
    base = dict(version=VERSION, config=str(root / "etc" / "kubelet-config.yaml"), config_dir=str(root / "etc" / "kubelet.conf.d"),
                method="drop_in", url=DOWN, timeout=1, stable_seconds=0, crio_reload=False,
                crio_drop_in=str(crio_drop_in(root)), crio_config=str(root / "etc" / "crio" / "crio.conf"),
                crio_state_dir=str(root / "state" / "crio"),
                record=dict(path=str(state_path(root)), stage="audit" if complain else "enforce", run_id="r1", targets=TARGETS))
    if complain:
        base["complain_profile"] = str(root / "seccomp" / "default-audit.json")
    base.update(args)
    return base


def crio_drop_in(root):
    return root / "etc" / "crio" / "crio.conf.d" / "99-k8s-seccomp-default.conf"


def state_path(root):
    return root / "state" / "rollout-state.json"


def no_systemctl(tmp_path):
    """A PATH without systemctl (only setpriv, which run_module needs as root): no test can restart anything, and one
    that would need to is refused before the first write."""
    bin_dir = tmp_path / "bin"
    if not bin_dir.exists():
        bin_dir.mkdir()
        setpriv = shutil.which("setpriv")
        if setpriv:
            os.symlink(setpriv, str(bin_dir / "setpriv"))
    return dict(PATH=str(bin_dir))


def switch(root, tmp_path, **args):
    return run_module("kubelet_switch", options(root, **args), tmp_path, timeout=60, env=no_systemctl(tmp_path))


def put(relative, data, mode=None):
    def setup(root):
        write(root / relative, data, mode)
        return {}
    return setup


def symlinked_crio_drop_in(root):
    write(root / "elsewhere.conf", "[crio.runtime]\npids_limit = 2048\n")
    crio_drop_in(root).symlink_to(root / "elsewhere.conf")
    return {}


def edited_state(root):
    """A state file this collection wrote, edited by hand since (its seal no longer matches)."""
    done = run_module("rollout_state", dict(path=str(state_path(root)), stage="feature_gate", result="changed"), root.parent)
    assert done.get("changed"), done
    data = json.loads(state_path(root).read_text())
    data["stages"]["feature_gate"]["result"] = "unchanged"
    state_path(root).write_text(json.dumps(data))
    return {}


def record_with(**record):
    def setup(root):
        return dict(record=dict(dict(path=str(state_path(root)), stage="audit"), **record))
    return setup


# (setup(root) -> extra module arguments, words the message must have); a word with a '/' is a path under root.
CASES = [
    pytest.param(lambda root: (root / "etc" / "kubelet-config.yaml").unlink() or (root / "etc" / "kubelet-config.yaml").mkdir() or {},
                 ["etc/kubelet-config.yaml", "is a directory"], id="config-is-a-directory"),
    pytest.param(put("etc/kubelet-config.yaml", CONFIG + 'seccompDefault: "yes"\n'),
                 ["etc/kubelet-config.yaml", "seccompDefault is 'yes'", "expected true or false"], id="seccompDefault-a-string"),
    pytest.param(put("etc/kubelet.conf.d/10-site.conf", HEADER + "featureGates: [SeccompDefault]\n"),
                 ["etc/kubelet.conf.d/10-site.conf", "featureGates is ['SeccompDefault']"], id="drop-in-featureGates-a-list"),
    pytest.param(lambda root: dict(version="1.x"), ["1.x", "is not a Kubernetes version"], id="version-not-a-version"),
    pytest.param(lambda root: dict(drop_in_name="../../escape.conf"), ["drop_in_name", "not a plain file name"],
                 id="drop-in-name-a-path"),
    pytest.param(lambda root: (root / "seccomp" / "default-audit.json").unlink() or {},
                 ["seccomp/default-audit.json", "does not exist"], id="complain-profile-missing"),
    pytest.param(put("seccomp/default-audit.json", {"syscalls": []}),
                 ["seccomp/default-audit.json", "defaultAction"], id="complain-profile-not-a-profile"),
    pytest.param(put("etc/crio/crio.conf.d/00-default", "[crio.runtime\n"),
                 ["etc/crio/crio.conf.d/00-default"], id="crio-drop-in-not-toml"),
    pytest.param(put("etc/crio/crio.conf.d/999-later.conf", '[crio.runtime]\nseccomp_profile = "/x.json"\n'),
                 ["etc/crio/crio.conf.d/999-later.conf", "/x.json", "would not take effect"], id="crio-later-file-wins"),
    pytest.param(symlinked_crio_drop_in, ["99-k8s-seccomp-default.conf", "is a symlink"], id="crio-drop-in-a-symlink"),
    pytest.param(put("state/rollout-state.json", "not json at all"), ["state/rollout-state.json"], id="state-file-not-json"),
    pytest.param(edited_state, ["state/rollout-state.json", "edited", "nothing was written"], id="state-file-edited"),
    pytest.param(record_with(stage="soak"), ["record", "stage", "soak"], id="record-stage-unknown"),
    pytest.param(record_with(colour="red"), ["colour"], id="record-unknown-key"),
    pytest.param(lambda root: dict(url="ftp://127.0.0.1/healthz"), ["url", "not an http(s) URL"], id="ftp-url"),
    pytest.param(lambda root: dict(timeout=-1), ["timeout", "must not be negative"], id="negative-timeout"),
    pytest.param(lambda root: dict(kubelet_port=0), ["kubelet_port", "is not a TCP port"], id="kubelet-port-zero"),
    pytest.param(lambda root: dict(kubelet_host="a/b"), ["kubelet_host", "is not a host name"], id="kubelet-host-a-path"),
    pytest.param(lambda root: dict(restart_containers=[{"namspace": "shop", "pod": "web", "container": "app"}]),
                 ["restart_containers[0]", "namspace", "keys among"], id="restart-containers-misspelt-key"),
]


@pytest.mark.parametrize("setup, words", CASES)
def test_bad_input_is_refused_naming_it_and_changes_nothing(node, tmp_path, setup, words):
    args = setup(node)
    before = snapshot(node)
    result = switch(node, tmp_path, **args)
    assert snapshot(node) == before
    assert_refused(result, *[str(node / word) if "/" in word and not word.startswith("/") else word for word in words])


def test_check_mode_reports_every_change_and_writes_nothing(node, tmp_path):
    before = snapshot(node)
    result = switch(node, tmp_path, _ansible_check_mode=True, _ansible_diff=True)
    assert snapshot(node) == before
    assert result.get("changed") is True and not result.get("failed"), result
    states = dict((os.path.basename(entry["path"]), entry["state"]) for entry in result["files"])
    assert states == {"90-seccomp-default.conf": "created"}, result["files"]
    assert result["restart_needed"] is True
    assert result["seccomp_default"] == dict(before=False, after=True, config_after=True)
    assert result["feature_gate"]["after"] is None
    assert result["method"] == "drop_in"
    assert result["restarted_at"] is None and result["healthy_at"] is None and result["configz"] is None
    assert result["crio"]["changed"] is True and result["crio"]["reloaded"] is False
    assert result["crio"]["seccomp_profile"] == str(node / "seccomp" / "default-audit.json")
    assert result["recorded"] is True
    headers = [diff.get("after_header") for diff in result["diff"]]
    assert str(node / "etc" / "kubelet.conf.d" / "90-seccomp-default.conf") in headers
    assert str(crio_drop_in(node)) in headers


def test_check_mode_on_a_1_24_kubelet_reports_the_gate_with_the_switch(node, tmp_path):
    result = switch(node, tmp_path, complain=False, version="1.24.17", method="in_place",
                    _ansible_check_mode=True)
    assert result.get("changed") is True and not result.get("failed"), result
    assert result["feature_gate"]["after"] is True
    assert result["crio"] is None


def test_nothing_to_change_changes_nothing_and_records_nothing(node, tmp_path):
    write(node / "etc" / "kubelet-config.yaml", ENABLED)
    before = snapshot(node)
    result = switch(node, tmp_path, complain=False, method="in_place")
    assert result.get("changed") is False and not result.get("failed"), result
    assert all(entry["state"] in ("unchanged", "absent") for entry in result["files"]), result["files"]
    assert result["restart_needed"] is False and result["recorded"] is False and result["restarted_at"] is None
    assert snapshot(node) == before


def test_complain_mode_on_a_kubelet_already_enabled_writes_crio_and_records_without_a_restart(node, tmp_path):
    write(node / "etc" / "kubelet-config.yaml", ENABLED)
    result = switch(node, tmp_path, method="in_place")
    assert result.get("changed") is True and not result.get("failed"), result
    assert result["restart_needed"] is False and result["restarted_at"] is None and result["configz"] is None
    assert result["crio"]["changed"] is True
    assert 'seccomp_profile = "%s"' % (node / "seccomp" / "default-audit.json") in crio_drop_in(node).read_text()
    assert os.listdir(str(node / "state" / "crio")), "the drop-in's original is kept for leaving complain mode"
    assert result["recorded"] is True
    state = json.loads(state_path(node).read_text())
    audit = state["stages"]["audit"]
    assert audit["result"] == "in progress" and audit["run_id"] == "r1"
    assert audit["details"] == dict(files=result["files"], targets=TARGETS)
    # Again: nothing changes, nothing is recorded again.
    before = snapshot(node)
    again = switch(node, tmp_path, method="in_place")
    assert again.get("changed") is False and again["recorded"] is False, again
    assert snapshot(node) == before
    # The CRI-O part is left by crio_default_profile, as the rollout leaves complain mode.
    left = run_module("crio_default_profile", dict(state="absent", drop_in=str(crio_drop_in(node)), reload=False,
                                                   config=str(node / "etc" / "crio" / "crio.conf"),
                                                   state_dir=str(node / "state" / "crio")), tmp_path)
    assert left.get("changed") is True and left["restored"] == "removed", left
    assert not crio_drop_in(node).exists()


def test_a_kubeadm_patch_alone_is_written_and_recorded_without_a_restart(node, tmp_path):
    write(node / "etc" / "kubelet-config.yaml", ENABLED)
    patches = node / "patches"
    patches.mkdir()
    result = switch(node, tmp_path, complain=False, method="kubeadm_patch", kubeadm=True, patches_dir=str(patches),
                    config_dir=None)
    assert not result.get("failed"), result
    written = [entry for entry in result["files"] if entry["state"] != "unchanged"]
    assert [os.path.dirname(entry["path"]) for entry in written] == [str(patches)], result["files"]
    assert written[0]["state"] == "created" and written[0]["read_by_kubelet"] is False
    assert result["changed"] is True and result["restart_needed"] is False and result["restarted_at"] is None
    assert json.loads(state_path(node).read_text())["stages"]["enforce"]["details"]["files"] == result["files"]


def test_a_change_that_needs_a_restart_is_refused_without_systemctl_before_any_write(node, tmp_path):
    before = snapshot(node)
    assert_refused(switch(node, tmp_path), "systemctl is not on this node's PATH", "nothing was changed")
    assert snapshot(node) == before


def test_a_record_that_cannot_be_written_puts_everything_back(node, tmp_path):
    """A kubeadm patch and CRI-O's drop-in are written, then the state file cannot be: both go back, the kubelet
    (never restarted, and not needing it) is not restarted, and the task fails saying what failed and what was put
    back."""
    write(node / "etc" / "kubelet-config.yaml", ENABLED)
    patches = node / "patches"
    patches.mkdir()
    locked = node / "state" / "locked"
    locked.mkdir()
    os.chmod(str(locked), 0o500)
    before = snapshot(node)
    result = switch(node, tmp_path, method="kubeadm_patch", kubeadm=True, patches_dir=str(patches), config_dir=None,
                    record=dict(path=str(locked / "rollout-state.json"), stage="audit"))
    assert result.get("failed") and not result.get("crashed"), result
    assert "recording the stage in %s failed" % (locked / "rollout-state.json") in result["msg"], result["msg"]
    assert "everything was put back" in result["msg"], result["msg"]
    after = snapshot(node)
    assert dict((path, entry) for path, entry in after.items() if not path.startswith("state/crio")) == before
    assert after.get("state/crio", ("dir",))[0] == "dir" and not os.listdir(str(node / "state" / "crio")), \
        "leaving complain mode forgets the original"
    patch = [entry for entry in result["files"] if entry["state"] == "created"]
    assert len(patch) == 1 and os.path.dirname(patch[0]["path"]) == str(patches), result["files"]
    assert sorted(result["restored"]) == sorted([str(crio_drop_in(node)), patch[0]["path"]])
    assert result["healthy_after_restore"] is False  # nothing answers at url here
    assert result["restarted_at"] is None and result["restart_needed"] is False
    assert str(locked) in result["error"]


# --- restart_containers: complain mode's containers restarted with the kubelet ---
# crictl is a stand-in (tests/lib/fuzz_crictl) that prints a fixed listing and records any stop: its containers never
# get a successor, which is what a failed restart looks like.

def crictl(tmp_path):
    """The stand-in, and the shell tools it runs in the PATH without systemctl."""
    bin_dir = tmp_path / "bin"
    no_systemctl(tmp_path)
    for tool in ("sh", "dirname", "cat"):
        if not (bin_dir / tool).exists():
            os.symlink(shutil.which(tool), str(bin_dir / tool))
    return dict(crictl=stand_in(tmp_path / "crictl", ps=(text(PS).encode(), 0, "")),
                runtime_endpoint="unix:///var/run/crio/crio.sock")


def test_check_mode_lists_the_containers_it_would_restart(node, tmp_path):
    before = snapshot(node)
    result = switch(node, tmp_path, restart_containers=WANTED, _ansible_check_mode=True, **crictl(tmp_path))
    assert snapshot(node) == before and not result.get("failed"), result
    assert [(entry["container"], entry["old_id"], entry["new_id"]) for entry in result["restarted"]] == [("app", APP_ID, None)]
    assert result["not_running"] == [] and not (tmp_path / "crictl" / "stop.calls").exists()


def test_a_container_without_a_successor_fails_the_switch_and_everything_is_put_back(node, tmp_path):
    """No kubelet restart is needed (seccompDefault is already on), so the containers are restarted after CRI-O's
    drop-in is written; none gets a successor: the drop-in goes back, and they are restarted once more."""
    write(node / "etc" / "kubelet-config.yaml", ENABLED)
    result = switch(node, tmp_path, method="in_place", restart_containers=WANTED, **crictl(tmp_path))
    assert_refused(result, "restarting the containers failed", "no running successor", "shop/web-7d9f8-x2x1/app")
    assert (tmp_path / "crictl" / "stop.calls").exists()
    assert not crio_drop_in(node).exists() and str(crio_drop_in(node)) in result["restored"]
    assert "restarted_again" in result and "could not be restarted once more" in result["msg"]


# --- audit: an observe-mode audit ended first, the switch made only where it passed ---
# The tracer is a stand-in (tests/lib/fake_tracer: a `sleep` in its pid file, and the calls it saved); what it traced is
# judged against a profile that allows getpid only, with the system libseccomp.

def audit_option(root, syscalls):
    """The audit option, with a 'tracer' that traced ``syscalls`` in the stand-in crictl's app container."""
    write(root / "seccomp" / "kubernetes" / "default.json",
          {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW"}]})
    tracer = fake_tracer.start(root / "state", syscalls=syscalls)
    pods = {"apiVersion": "v1", "kind": "PodList", "items": [
        {"metadata": {"name": "web-7d9f8-x2x1", "namespace": "shop", "uid": POD_UID},
         "spec": {"nodeName": "node-1", "containers": [{"name": "app"}]}}]}
    return tracer, dict(mode="observe", profile=str(root / "seccomp" / "kubernetes" / "default.json"),
                        state_dir=str(root / "state"), pods=pods)


@pytest.mark.skipif(libseccomp.library() is None, reason="needs the system libseccomp")
def test_an_audit_that_holds_the_node_ends_and_nothing_is_switched(node, tmp_path):
    tracer, audit = audit_option(node, ["getpid", "unshare"])
    kubelet = snapshot(node / "etc")
    result = switch(node, tmp_path, complain=False, audit=audit, **crictl(tmp_path))
    assert not result.get("failed"), result
    assert result["switched"] is False and result["changed"] is True and result["restart_needed"] is False
    assert result["audit"]["decision"]["passed"] is False
    assert [(w["container"], w["syscalls"]) for w in result["audit"]["decision"]["workloads"]] == [("app", ["unshare"])]
    assert tracer.wait(timeout=10) is not None, "the tracer was not stopped"
    assert snapshot(node / "etc") == kubelet and not state_path(node).exists()  # nothing written, nothing recorded


@pytest.mark.skipif(libseccomp.library() is None, reason="needs the system libseccomp")
def test_an_audit_that_passes_ends_and_the_switch_goes_on(node, tmp_path):
    write(node / "etc" / "kubelet-config.yaml", ENABLED)  # seccompDefault already on: no restart to make here
    tracer, audit = audit_option(node, ["getpid"])
    result = switch(node, tmp_path, complain=False, method="in_place", audit=audit, **crictl(tmp_path))
    assert not result.get("failed"), result
    assert result["switched"] is True and result["audit"]["decision"]["passed"] is True
    assert result["feature_gate"] and result["seccomp_default"]["after"] is True
    assert tracer.wait(timeout=10) is not None


def test_an_audit_that_cannot_be_ended_is_said_and_nothing_is_switched(node, tmp_path):
    kubelet = snapshot(node / "etc")
    audit = dict(mode="observe", profile=str(node / "seccomp" / "default-audit.json"), state_dir=str(node / "state"),
                 pods={"kind": "PodList", "items": []})
    result = switch(node, tmp_path, complain=False, audit=audit, **crictl(tmp_path))
    assert not result.get("failed"), result
    assert result["switched"] is False and result["audit"]["failed"] is True
    assert "holds no trace" in result["audit"]["msg"]
    assert snapshot(node / "etc") == kubelet and not state_path(node).exists()


def test_a_switch_refused_after_the_audit_passed_keeps_the_audit_in_its_failure(node, tmp_path):
    tracer, audit = audit_option(node, ["getpid"])
    result = switch(node, tmp_path, complain=False, audit=audit, restart_containers=[{"namspace": "shop", "container": "app"}],
                    **crictl(tmp_path))
    assert_refused(result, "restart_containers[0]", "namspace")
    assert result["audit"]["decision"]["passed"] is True
    assert tracer.wait(timeout=10) is not None, "the audit was ended before the switch's own checks"
