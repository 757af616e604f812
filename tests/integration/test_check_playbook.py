"""playbooks/check.yml on the sample cluster dump, as a user runs it: summary printed, PolicyReports written."""

import json
import os

from lib.ansible_run import ROOT, run_playbook

SAMPLE = os.path.join(ROOT, "examples", "cluster-dump")


def sample_pods():
    with open(os.path.join(SAMPLE, "pods.json")) as handle:
        return json.load(handle)["items"]


def unset_containers(pod):
    """Containers that nothing sets a profile for and that are not privileged: the ones SeccompDefault changes."""
    spec = pod["spec"]
    if (spec.get("securityContext") or {}).get("seccompProfile") or (spec.get("os") or {}).get("name") == "windows":
        return []
    return [c["name"] for key in ("initContainers", "containers", "ephemeralContainers") for c in spec.get(key) or []
            if not (c.get("securityContext") or {}).get("seccompProfile")
            and not (c.get("securityContext") or {}).get("privileged")]


def test_check_on_the_sample_dump(tmp_path):
    run = run_playbook(os.path.join(ROOT, "playbooks", "check.yml"), os.path.join(SAMPLE, "inventory.yml"), tmp_path,
                       extra_vars={"pods_file": os.path.join(SAMPLE, "pods.json")})
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    summary = (tmp_path / "seccomp-check-report" / "summary.md").read_text()
    assert "# SeccompDefault check" in run.stdout and "## Per node" in run.stdout  # printed, not only written

    pods = sample_pods()
    running = [p for p in pods if p["status"]["phase"] not in ("Succeeded", "Failed") and p["spec"].get("nodeName")]
    off = [p for p in running if p["spec"]["nodeName"] in ("node-1", "node-2")]  # the inventory: node-3 on, node-4 ?
    changing = sum(len(unset_containers(p)) for p in off)
    assert "changes **%d containers in %d pods**" % (changing, sum(1 for p in off if unset_containers(p))) in summary
    assert "| node-3 | on |" in summary and "| node-1 | off |" in summary and "| node-4 | unknown |" in summary

    reports = json.loads((tmp_path / "seccomp-check-report" / "policyreport.json").read_text())
    assert reports["kind"] == "List" and len(reports["items"]) == len(pods)
    by_name = dict((r["scope"]["name"], r) for r in reports["items"])
    calico = next(name for name in by_name if name.startswith("calico-node-"))
    rows = by_name[calico]["results"]
    assert [r["properties"]["container"] for r in rows if r["rule"] == "effective-unconfined"] == [
        "install-cni", "mount-bpffs", "calico-node"]  # privileged: Unconfined whatever is set
    exporter = next(r for name, r in by_name.items() if name.startswith("node-exporter-"))
    assert {"rule": "psa-baseline-seccomp", "result": "fail"}.items() <= exporter["results"][0].items()
    assert 'container "node-exporter" must not set securityContext.seccompProfile.type to "Unconfined"' in \
        exporter["results"][0]["message"]
    checkout = next(r for name, r in by_name.items() if name.startswith("checkout-"))
    assert checkout["summary"] == {"pass": 2, "fail": 0, "warn": 0, "error": 0, "skip": 0}  # restricted-ready


def test_a_missing_pods_file_is_named(tmp_path):
    run = run_playbook(os.path.join(ROOT, "playbooks", "check.yml"), os.path.join(SAMPLE, "inventory.yml"), tmp_path,
                       extra_vars={"pods_file": str(tmp_path / "nope.json")})
    assert run.returncode != 0
    assert "pods_file %s does not exist" % (tmp_path / "nope.json") in run.stdout


def test_a_yaml_dump_reads_like_json(tmp_path):
    import yaml
    pods = sample_pods()[:5]
    (tmp_path / "pods.yaml").write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": pods}))
    run = run_playbook(os.path.join(ROOT, "playbooks", "check.yml"), os.path.join(SAMPLE, "inventory.yml"), tmp_path,
                       extra_vars={"pods_file": str(tmp_path / "pods.yaml")})
    assert run.returncode == 0, run.stdout[-3000:]
    reports = json.loads((tmp_path / "seccomp-check-report" / "policyreport.json").read_text())["items"]
    assert sorted(r["scope"]["name"] for r in reports) == sorted(p["metadata"]["name"] for p in pods)
