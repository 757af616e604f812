"""`make demo`: the built-in profiles, from generation to the kernel's own records.

1. regenerate profiles/ from the vendored moby default and check it is current;
2. install the three profiles into a scratch kubelet root with playbooks/install_profiles.yml
   (a real ansible-playbook run of the k8s.seccomp_default.profile module), twice: changed, then not;
3. run the same commands in runc containers under each installed profile and print what each did,
   with the seccomp records the kernel wrote to /dev/kmsg.
4. build the 6-node lab fleet (kubelet 1.23 to 1.33, containerd and CRI-O, kubeadm, drop-in and flag
   layouts), run `ansible-playbook playbooks/rollout.yml` (readiness and the feature gate stage, node batches
   of 2), print the per-node summary, run it again (no changes);
5. run the audit and enforcement on the same fleet, each batch through both: complain mode on the CRI-O nodes,
   observe mode (tracing) on the containerd nodes, a short soak, the gate. Nodes 1, 2 and 4 run a workload that
   calls unshare(2) and must be held with a suggested profile - not failed: the run goes on; nodes 3, 5 and 6 are
   enforced and must end with every running container verified (RuntimeDefault where it changed);
6. run the whole rollout again: it resumes - nodes 3, 5 and 6 are done and nothing on them changes (no
   kubelet restart), nodes 1, 2 and 4 are audited again and held again - and print the run's report
   (seccomp-rollout-report/summary.md, with report.json beside it). Then destroy the fleet (KEEP_LAB=1
   keeps it).
   After step 7 the suggested profiles' Security Profiles Operator objects are checked against SPO's CRD, and
   report.html is rendered in headless Chromium and checked (screenshot: demo-output/report-page.png).
A Markdown report is written to demo-output/report.md.
"""

import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, ROOT)

from lib.kmsg import KernelLog, printk_unthrottled  # noqa: E402
from lib.ansible_run import COLLECTION, COLLECTIONS, recap, run_playbook  # noqa: E402
from lib.runc import Bundle, runc_available  # noqa: E402
from lib import report_page  # noqa: E402
from lib.spo_crd import valid_for_spo  # noqa: E402
from tests.lab import fleet  # noqa: E402

import pyseccomp  # noqa: E402
import yaml  # noqa: E402

CLEAN_NODES = ("node-3", "node-5", "node-6")
# node -> real layout: kubeadm's deb packages (1.23: the gate, and a kubeadm that cannot keep a patch), kubespray
# (on CRI-O), EKS AL2023 (nodeadm, 1.28: the drop-in directory's alpha variable), EKS AL2 (JSON config, with a
# stale gate), kubeadm's rpm packages (on CRI-O) and kops.
DEMO_LAYOUTS = {"node-1": "kubeadm-deb", "node-2": "kubespray", "node-3": "eks-al2023", "node-4": "eks-al2",
                "node-5": "kubeadm-rpm", "node-6": "kops"}

COMMANDS = (
    ("unshare -U (blocked by the runtime default)", ["/bin/unshare", "-U", "/bin/true"]),
    ("sh -c 'echo $$' (getpid, allowed)", ["/bin/sh", "-c", "echo pid $$"]),
)
PROFILES = (None, "kubernetes/default.json", "kubernetes/default-audit.json", "kubernetes/audit-verbose.json")


def step(title):
    print("\n== %s" % title, flush=True)


def install(kubelet_root):
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c", "local",
               os.path.join(COLLECTION, "playbooks", "install_profiles.yml"), "-e", "kubelet_root_dir=%s" % kubelet_root,
               "-e", "ansible_python_interpreter=%s" % sys.executable]
    for attempt in ("first run", "second run (idempotent)"):
        print("-- %s: %s" % (attempt, " ".join(command[:5] + ["..."])), flush=True)
        subprocess.run(command, check=True, env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS))


def syscall_name(record):
    try:
        return pyseccomp.resolve_syscall(int(record["arch"], 16), int(record["syscall"])).decode()
    except (ValueError, KeyError):
        return record.get("syscall", "?")


def main():
    if not runc_available():
        sys.exit("make demo needs root, runc and busybox-static (make deps installs them)")
    report = ["# k8s.seccomp_default demo", ""]
    step("1. generate profiles/ from the vendored moby default profile")
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "generate_profiles.py"), "--root", ROOT], check=True)
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "generate_profiles.py"), "--root", ROOT, "--check"], check=True)
    print("profiles/ is current")

    with tempfile.TemporaryDirectory(prefix="seccomp-demo-") as scratch:
        kubelet_root = os.path.join(scratch, "var-lib-kubelet")
        step("2. install them as Localhost profiles under %s/seccomp with the profile module" % kubelet_root)
        install(kubelet_root)
        installed = {}
        for name in PROFILES[1:]:
            with open(os.path.join(kubelet_root, "seccomp", name)) as handle:
                installed[name] = json.load(handle)

        step("3. run processes under each profile with runc on kernel %s" % os.uname().release)
        bundle = Bundle(os.path.join(scratch, "bundle"))
        report += ["| profile | command | exit | stderr | seccomp records (syscall: action) |", "|---|---|---|---|---|"]
        with printk_unthrottled():
            for profile in PROFILES:
                for label, argv in COMMANDS:
                    with KernelLog() as log:
                        result = bundle.run(argv, seccomp=installed.get(profile))
                        records = [r for r in log.seccomp_records() if r.get("exe") == bundle.exe]
                    names = sorted(set(syscall_name(r) for r in records))
                    shown = ", ".join(names[:8]) + (" ... (%d distinct)" % len(names) if len(names) > 8 else "")
                    line = "%-31s %-44s exit %d  %-32s records: %d %s" % (
                        profile or "unconfined", label, result.returncode, result.stderr.strip()[:32], len(records), shown)
                    print(line, flush=True)
                    row = (profile or "unconfined", label, result.returncode, result.stderr.strip() or "-", len(records), shown or "-")
                    report.append("| %s | %s | %d | %s | %d: %s |" % row)
    report += ["", "kubernetes/default refuses unshare with EPERM and logs nothing; default-audit lets it run and the kernel",
               "logs `syscall=unshare code=0x7ffc0000` (SECCOMP_RET_LOG); audit-verbose logs every call, getpid included."]
    output = os.environ.get("DEMO_OUTPUT") or os.path.join(ROOT, "demo-output")
    os.makedirs(output, exist_ok=True)
    report += feature_gate_on_the_lab(output)
    with open(os.path.join(output, "report.md"), "w") as handle:
        handle.write("\n".join(report) + "\n")
    step("report: demo-output/report.md")


def feature_gate_on_the_lab(output):
    step("4. the lab fleet: 6 namespaced nodes laid out as six real distributions lay them out, with stand-in "
         "kubelets and real runc workloads")
    description = dict(fleet.DEFAULT_DESCRIPTION, name="demo")
    # Each node copies a real installer's files (tests/data/nodes, sources in each SOURCES.md; docs/lab.md).
    description["nodes"] = [dict(node, layout=DEMO_LAYOUTS[node["name"]]) for node in description["nodes"]]
    # Half the fleet runs the workload that calls unshare(2); the audit must hold exactly those nodes. The
    # log-everything Localhost workload is left out: on one shared kernel its records would use up the
    # printk rate limit of every node, and the audit rightly refuses to pass a node on throttled records.
    description["nodes"] = [dict(node, workloads=[w for w in fleet.WORKLOADS if w != "localhost-pod" and not (
        w == "needs-unshare" and node["name"] in CLEAN_NODES)]) for node in description["nodes"]]
    state = fleet.create(description)
    try:
        for row in fleet.listing("demo"):
            print("%-7s kubelet %-8s %-10s %-12s healthy=%s" % (
                row["name"], row["version"], row["runtime"], row["layout"], row["healthy"]))
        print("(node-4 was upgraded to 1.30 with SeccompDefault still in its config: its kubelet refuses to start)")
        playbook = os.path.join(COLLECTION, "playbooks", "rollout.yml")
        report_dir = os.path.join(output, "seccomp-rollout-report")
        subprocess.run(["rm", "-rf", report_dir], check=True)
        step("5. ansible-playbook -i %s playbooks/rollout.yml -e seccomp_serial=2" % state["inventory"])
        first = run_playbook(playbook, state["inventory"], output, {"seccomp_serial": 2, "seccomp_stages": ["feature_gate"]})
        with open(os.path.join(output, "rollout-feature-gate.log"), "w") as handle:
            handle.write(first.stdout + first.stderr)
        if first.returncode != 0:
            print(first.stdout[-4000:])
            sys.exit("the rollout failed (rc %d); log in demo-output/rollout-feature-gate.log" % first.returncode)
        with open(os.path.join(report_dir, "summary.md")) as handle:
            summary = handle.read()
        print(summary)
        step("6. the same rollout again: nothing to change")
        second = run_playbook(playbook, state["inventory"], output, {"seccomp_serial": 2, "seccomp_stages": ["feature_gate"]})
        changed = dict((host, counts["changed"]) for host, counts in recap(second.stdout).items() if host in state["nodes"])
        print("changed tasks per node on the second run: %s" % changed)
        if second.returncode != 0 or any(changed.values()):
            sys.exit("the second run was not idempotent")
        report = ["", summary, "", "Second run, changed tasks per node: %s" % changed]
        return report + audit_and_enforce_on_the_lab(state, output, playbook, report_dir)
    finally:
        if os.environ.get("KEEP_LAB"):
            print("the lab fleet is still up: inventory %s; destroy: python -m tests.lab destroy --name demo"
                  % state["inventory"])
        else:
            fleet.destroy("demo")


def audit_and_enforce_on_the_lab(state, output, playbook, report_dir):
    step("7. the audit and enforcement, each batch through both: ansible-playbook playbooks/rollout.yml -e '{\"seccomp_stages\": [\"audit\", \"enforce\"]}' "
         "-e seccomp_audit_soak=15s -e seccomp_enforce_watch=10s -e seccomp_serial=3")
    run = run_playbook(playbook, state["inventory"], output, {
        "seccomp_stages": ["audit", "enforce"], "seccomp_serial": 3, "seccomp_audit_soak": "15s",
        "seccomp_audit_soak_steps": 3, "seccomp_enforce_watch": "10s", "seccomp_enforce_watch_steps": 2})
    with open(os.path.join(output, "rollout-audit-enforce.log"), "w") as handle:
        handle.write(run.stdout + run.stderr)
    failed = sorted(host for host, counts in recap(run.stdout).items() if host in state["nodes"] and counts["failed"])
    for line in run.stdout.splitlines():
        if "The audit held" in line:
            print(line.strip()[:400])
    with open(os.path.join(report_dir, "summary.md")) as handle:
        summary = handle.read()
    with open(os.path.join(report_dir, "report.json")) as handle:
        held = sorted(node for node, entry in json.load(handle)["nodes"].items() if entry["held"])
    audit = summary[summary.index("# Audit"):] if "# Audit" in summary else "(no audit summary)"
    print(audit)
    expected = sorted(set(state["nodes"]) - set(CLEAN_NODES))
    if run.returncode != 0 or failed or held != expected:
        sys.exit("the audit held %s and %s failed (rc %d); expected exactly %s held and none failed "
                 "(log in demo-output/rollout-audit-enforce.log)" % (held, failed, run.returncode, expected))
    sample = os.path.join(report_dir, "suggested-profiles", "node-1", "default_needs-unshare-node-1_needs-unshare.json")
    with open(sample) as handle:
        suggested = json.load(handle)
    print("suggested profile %s: kubernetes/default plus %s" % (
        os.path.relpath(sample, output), [rule for rule in suggested["syscalls"] if "unshare" in rule.get("names", [])]))
    enforced = {}
    for node in CLEAN_NODES:
        with open(os.path.join(report_dir, "nodes", node + ".enforce.json")) as handle:
            record = json.load(handle)
        checkable = [row for row in record["containers"] if row["ok"] is not None]
        enforced[node] = (record["result"], record["verified"], len(checkable))
        if record["result"] != "enforced" or record["verified"] != len(checkable) or not checkable:
            sys.exit("enforcement on %s: %s (log in demo-output/rollout-audit-enforce.log)" % (node, record))
    lines = ["%s %s, %d of %d containers verified" % (node, result, verified, total)
             for node, (result, verified, total) in sorted(enforced.items())]
    print("enforce: %s" % ", ".join(lines))
    shipped = ship_and_show(output, report_dir)
    return ["", audit, ""] + shipped + resume_on_the_lab(state, output, playbook, report_dir)


def ship_and_show(output, report_dir):
    """The suggested profiles as SPO objects, checked against SPO's CRD; report.html in headless Chromium."""
    with open(os.path.join(report_dir, "suggested-profiles", "seccompprofiles.yaml")) as handle:
        objects = list(yaml.safe_load_all(handle))
    for obj in objects:
        valid_for_spo(obj)
    print("suggested-profiles/seccompprofiles.yaml: %d SeccompProfile objects (%s), valid for the Security Profiles "
          "Operator's CRD" % (len(objects), ", ".join(obj["metadata"]["name"] for obj in objects)))
    png = os.path.join(output, "report-page.png")
    counted = report_page.check(report_dir, png)
    print("report.html in headless Chromium: %(batches)d batches, %(bars)d stage bars, %(restarts)d kubelet restarts "
          "marked, %(visible)d texts a person needs visible; screenshot demo-output/report-page.png" % counted)
    return ["## What to ship and the report page", "",
            "- %d SeccompProfile objects in seccomp-rollout-report/suggested-profiles/seccompprofiles.yaml, valid for SPO's CRD" % len(objects),
            "- report.html checked in headless Chromium (%(batches)d batches, %(bars)d stage bars, %(restarts)d restarts marked); "
            "screenshot: report-page.png" % counted]


def kubelet_pid(state, node):
    return fleet.in_node(state["nodes"][node], ["systemctl", "show", "kubelet", "--property=MainPID", "--value"]).stdout.strip()


def resume_on_the_lab(state, output, playbook, report_dir):
    step("8. the whole rollout again: it resumes where it stopped")
    pids = dict((node, kubelet_pid(state, node)) for node in CLEAN_NODES)
    run = run_playbook(playbook, state["inventory"], output, {
        "seccomp_serial": 3, "seccomp_audit_soak": "15s", "seccomp_audit_soak_steps": 3, "seccomp_enforce_watch": "10s",
        "seccomp_enforce_watch_steps": 2})
    with open(os.path.join(output, "rollout-resume.log"), "w") as handle:
        handle.write(run.stdout + run.stderr)
    counts = recap(run.stdout)
    with open(os.path.join(report_dir, "report.json")) as handle:
        report = json.load(handle)
    statuses = dict((node, entry["status"]) for node, entry in sorted(report["nodes"].items()))
    print("where each node stands: %s" % ", ".join("%s %s" % item for item in statuses.items()))
    for node in CLEAN_NODES:
        pid = kubelet_pid(state, node)
        if counts[node]["changed"] or statuses[node] != "enforced (earlier run)" or pid != pids[node]:
            sys.exit("the re-run changed %s (%s, %d changed tasks, kubelet pid %s -> %s); log in demo-output/rollout-resume.log"
                     % (node, statuses[node], counts[node]["changed"], pids[node], pid))
    held = sorted(node for node, status in statuses.items() if status == "held at audit")
    if held != sorted(set(state["nodes"]) - set(CLEAN_NODES)) or run.returncode != 0:
        sys.exit("the re-run should hold exactly nodes 1, 2 and 4 at the audit again and succeed; it held %s (rc %d)"
                 % (held, run.returncode))
    print("nodes 3, 5, 6: done before - 0 changed tasks, kubelet not restarted; nodes 1, 2, 4: audited again, held again")
    step("the run's report: %s (report.json beside it)" % os.path.relpath(os.path.join(report_dir, "summary.md"), ROOT))
    with open(os.path.join(report_dir, "summary.md")) as handle:
        summary = handle.read()
    print(summary)
    return ["", "## The run's report (after the resumed run)", "", summary]


if __name__ == "__main__":
    main()
