"""The lab fleet imitates production nodes: the effective seccomp profile of
docs/kubernetes-facts.md#effective-profile-rules applied by real runc, cgroups named as a node names them, crash-looping containers restarted with back-off,
node facts read like on any node, and nothing left behind by destroy."""

import json
import os
import time

import pytest

from lib.lab import needs_lab
from tests.lab import fleet

pytestmark = needs_lab
CRIO_DROP_IN = '[crio.runtime]\nseccomp_profile = "/var/lib/kubelet/seccomp/lab/custom.json"\n'

WORKLOADS = {
    "name": "workloads",
    "nodes": [
        {"name": "wl-containerd", "version": "1.30.14", "runtime": "containerd", "layout": "dropin",
         "base_config": {"seccompDefault": True}},
        {"name": "wl-crio", "version": "1.33.5", "runtime": "crio", "layout": "kubeadm",
         "base_config": {"seccompDefault": True}},
        {"name": "wl-crio-profile", "version": "1.29.10", "runtime": "crio", "layout": "flags",
         "flags": ["--seccomp-default"], "workloads": ["common"],
         "files": {"/etc/crio/crio.conf.d/10-seccomp.conf": CRIO_DROP_IN}},
    ],
}


def crictl(state, node, *args):
    result = fleet.in_node(state["nodes"][node], ["crictl"] + list(args))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip().startswith("{") else result.stdout


def containers(state, node):
    """{name: [inspect output of every attempt, oldest first]}"""
    found = {}
    for item in crictl(state, node, "ps", "-a", "-o", "json")["containers"]:
        found.setdefault(item["metadata"]["name"], []).append(crictl(state, node, "inspect", item["id"]))
    for attempts in found.values():
        attempts.sort(key=lambda data: data["status"]["metadata"]["attempt"])
    return found


def seccomp_of(inspect):
    return ((inspect["info"]["runtimeSpec"] or {}).get("linux") or {}).get("seccomp")


@pytest.fixture(scope="module")
def lab(make_fleet):
    state = make_fleet(WORKLOADS)
    deadline = time.time() + 60
    while time.time() < deadline:  # needs-unshare fails at once and is restarted after a 10 s back-off
        if len(containers(state, "wl-containerd").get("needs-unshare", [])) >= 2 and \
                len(containers(state, "wl-crio").get("needs-unshare", [])) >= 2:
            break
        time.sleep(1)
    return state


def test_containerd_node_applies_the_effective_profiles(lab):
    found = containers(lab, "wl-containerd")
    with open("%s/containerd.json" % fleet.RUNTIME_DEFAULTS) as handle:
        runtime_default = json.load(handle)
    assert seccomp_of(found["common"][-1]) == runtime_default          # nothing set + seccompDefault: RuntimeDefault
    assert found["common"][-1]["status"]["state"] == "CONTAINER_RUNNING"
    assert seccomp_of(found["privileged"][-1]) is None                  # privileged: no profile
    assert found["privileged"][-1]["status"]["state"] == "CONTAINER_RUNNING"
    assert seccomp_of(found["unconfined"][-1]) is None                  # explicit Unconfined
    assert found["unconfined"][-1]["status"]["state"] == "CONTAINER_RUNNING"
    assert seccomp_of(found["localhost-pod"][-1])["defaultAction"] == "SCMP_ACT_LOG"  # pod-level Localhost
    # unshare is blocked by the runtime default: the container exits and is restarted, attempts counted
    attempts = found["needs-unshare"]
    assert attempts[0]["status"]["state"] == "CONTAINER_EXITED" and attempts[0]["status"]["exitCode"] == 1
    assert attempts[-1]["status"]["annotations"]["io.kubernetes.container.restartCount"] == str(len(attempts) - 1)


def test_cgroups_are_named_with_pod_uid_and_container_id(lab):
    for node, prefix in (("wl-containerd", ""), ("wl-crio", "crio-")):
        running = containers(lab, node)["common"][-1]
        pid = running["info"]["pid"]
        cgroup = fleet.in_node(lab["nodes"][node], ["cat", "/proc/%d/cgroup" % pid]).stdout
        uid = running["status"]["labels"]["io.kubernetes.pod.uid"]
        assert "/kubepods/besteffort/pod%s/%s%s" % (uid, prefix, running["status"]["id"]) in cgroup


def test_crio_default_and_configured_seccomp_profile(lab):
    found = containers(lab, "wl-crio")
    default = seccomp_of(found["common"][-1])
    assert default["defaultAction"] == "SCMP_ACT_ERRNO" and default["defaultErrnoRet"] == 38  # containers/common
    assert any(rule["names"] == ["clone3"] and rule.get("errnoRet") == 38 for rule in default["syscalls"])
    assert found["needs-unshare"][0]["status"]["exitCode"] == 1
    configured = seccomp_of(containers(lab, "wl-crio-profile")["common"][-1])
    assert configured["defaultAction"] == "SCMP_ACT_LOG"  # [crio.runtime] seccomp_profile from crio.conf.d


def test_node_facts_read_the_lab_like_any_node(lab, tmp_path):
    from lib.ansible_run import run_playbook
    playbook = tmp_path / "facts.yml"
    playbook.write_text(
        "- hosts: kube_node\n  gather_facts: false\n  tasks:\n"
        "    - k8s.seccomp_default.node_facts:\n"
        "    - ansible.builtin.copy:\n        content: '{{ ansible_facts.seccomp_node | to_json }}'\n"
        "        dest: '%s/{{ inventory_hostname }}.json'\n      delegate_to: localhost\n" % tmp_path)
    run = run_playbook(str(playbook), lab["inventory"], tmp_path)
    assert run.returncode == 0, run.stdout[-3000:]
    facts = dict((node, json.loads((tmp_path / (node + ".json")).read_text())) for node in lab["nodes"])
    containerd, crio, flags = facts["wl-containerd"], facts["wl-crio"], facts["wl-crio-profile"]
    assert containerd["kubelet"]["version"] == "1.30.14" and containerd["kubelet"]["healthy"] is True
    assert containerd["kubelet"]["config_dir"] == "/etc/kubernetes/kubelet.conf.d"
    assert containerd["kubelet"]["seccomp_default"] == {"effective": True, "flag": False, "config": True}
    assert containerd["runtime"]["name"] == "containerd" and containerd["runtime"]["version"]
    assert crio["kubelet"]["kubeadm"] is True and crio["kubelet"]["config"] == "/var/lib/kubelet/config.yaml"
    assert crio["runtime"] == dict(crio["runtime"], name="cri-o", version="1.33.5")
    assert flags["kubelet"]["seccomp_default"] == {"effective": True, "flag": True, "config": False}
    assert flags["runtime"]["seccomp_profile"] == "/var/lib/kubelet/seccomp/lab/custom.json"
    assert flags["kubelet"]["feature_gate"]["stage"] == "removed"
    assert containerd["kernel"]["supports_log"] is True and containerd["seccomp_log"]["supported"] is True
    assert containerd["audit_sources"]["kmsg"] is True


def test_modules_run_with_the_standard_library_only_and_one_that_imports_a_library_fails(lab, tmp_path):
    """The lab node's module interpreter sees no site packages, as a stock node's Python has none of ours: a module
    that imports yaml (which the machine's own Python has) fails there, and the collection's modules run."""
    from lib.ansible_run import run_playbook
    library = tmp_path / "library"
    library.mkdir()
    (library / "imports_yaml.py").write_text(
        "#!/usr/bin/python\nimport yaml\nfrom ansible.module_utils.basic import AnsibleModule\n"
        "AnsibleModule(argument_spec={}).exit_json(changed=False, yaml=yaml.__version__)\n")
    playbook = tmp_path / "imports.yml"
    playbook.write_text(
        "- hosts: wl-containerd\n  gather_facts: false\n  tasks:\n"
        "    - imports_yaml:\n      register: third_party\n      ignore_errors: true\n"
        "    - k8s.seccomp_default.readiness:\n      register: readiness\n"
        "    - ansible.builtin.copy:\n        content: '{{ {\"third_party\": third_party, \"python\": readiness.checks[0]} | to_json }}'\n"
        "        dest: '%s/out.json'\n      delegate_to: localhost\n" % tmp_path)
    run = run_playbook(str(playbook), lab["inventory"], tmp_path, env={"ANSIBLE_LIBRARY": str(library)})
    assert run.returncode == 0, run.stdout[-3000:]
    out = json.loads((tmp_path / "out.json").read_text())
    assert out["third_party"]["failed"] is True
    assert "No module named 'yaml'" in json.dumps(out["third_party"]), out["third_party"]
    shown = fleet.in_node(lab["nodes"]["wl-containerd"], [fleet.MODULE_PYTHON, "-c", "import sys, json; print(json.dumps(sys.path))"])
    packages = [path for path in json.loads(shown.stdout) if "-packages" in path]
    assert packages and all(path.startswith(fleet.MODULE_PYTHON_DIR) for path in packages)  # the venv's own, empty
    assert all(os.listdir(path) == [] for path in packages if os.path.isdir(path))
    assert out["python"]["check"] == "python" and out["python"]["status"] == "ok"


def test_check_playbook_predicts_what_the_runtime_applied(lab, tmp_path):
    """check.yml over the lab: node state from real node facts, and every container's predicted profile
    (effective_seccomp) is what runc really got (crictl inspect ... .info.runtimeSpec.linux.seccomp)."""
    from ansible_collections.k8s.seccomp_default.plugins.module_utils.effective import effective_seccomp
    from lib.ansible_run import ROOT, run_playbook
    pods = []
    for description in WORKLOADS["nodes"]:
        for workload in description.get("workloads", list(fleet.WORKLOADS)):
            pod = fleet.manifest(workload)
            pod["metadata"]["name"] = "%s-%s" % (workload, description["name"])
            pod["spec"]["nodeName"] = description["name"]
            pods.append(pod)
    (tmp_path / "pods.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": pods}))
    run = run_playbook(os.path.join(ROOT, "playbooks", "check.yml"), lab["inventory"], tmp_path,
                       extra_vars={"pods_file": str(tmp_path / "pods.json")})
    assert run.returncode == 0, run.stdout[-3000:]
    summary = (tmp_path / "seccomp-check-report" / "summary.md").read_text()
    for node in lab["nodes"]:  # every lab node has seccompDefault on, read from its kubelet by node_facts
        assert "| %s | on |" % node in summary
    reports = json.loads((tmp_path / "seccomp-check-report" / "policyreport.json").read_text())["items"]
    assert len(reports) == len(pods)
    for pod in pods:
        node = pod["spec"]["nodeName"]
        running = containers(lab, node)
        for entry in effective_seccomp(pod, True):
            applied = seccomp_of(running[entry["name"]][-1])
            assert (applied is not None) == (entry["type"] in ("RuntimeDefault", "Localhost")), (node, entry)
            if entry["type"] == "Localhost":
                assert applied["defaultAction"] == "SCMP_ACT_LOG"  # lab/custom.json, from localhost_path


def test_a_kubelet_has_written_its_serving_pair_before_it_answers_healthz(lab):
    """As the kubelet, which makes its self-signed pair before any of its servers listens: a test that waits for
    /healthz and then reads the node's files must not see the pair appear afterwards."""
    script = ("import os,sys,time,urllib.request\n"
              "deadline = time.time() + 60\n"
              "while time.time() < deadline:\n"
              "    try:\n"
              "        if urllib.request.urlopen('http://127.0.0.1:10248/healthz', timeout=0.2).read() == b'ok':\n"
              "            print(os.path.exists('/var/lib/kubelet/pki/kubelet.crt')); sys.exit(0)\n"
              "    except OSError:\n"
              "        time.sleep(0.002)\n"
              "print('never healthy')\n")
    result = fleet.in_node(lab["nodes"]["wl-containerd"], ["sh", "-c", (
        "systemctl stop kubelet && rm -rf /var/lib/kubelet/pki && systemctl start kubelet && exec %s -c \"$0\""
        % fleet.NODE_PYTHON), script])
    assert result.stdout.strip() == "True", (result.stdout, result.stderr)
    fleet.wait_healthy(lab)


def test_destroy_leaves_nothing_behind():
    try:
        state = fleet.create({"name": "short-lived", "nodes": [
            {"name": "tmp-1", "version": "1.31.0", "runtime": "containerd", "layout": "dropin"}]})
    except Exception:
        fleet.destroy("short-lived")
        raise
    assert fleet.healthz(state["nodes"]["tmp-1"])
    pids = [int(pid) for pid in open(fleet.fleet_dir("short-lived") + "/nodes/tmp-1/pid").read().split()]
    left = fleet.destroy("short-lived")
    # no process in the node's namespaces (so the namespaces are gone), no mount, no cgroup
    assert left == {"processes": [], "mounts": [], "cgroups": []}
    assert not any(os.path.exists("/proc/%d" % pid) for pid in pids)
    assert not os.path.exists(fleet.fleet_dir("short-lived"))
