"""The inventory checks, one table: every rule of issue 4, each row citing the fact it checks by its section number:
3.x in docs/kubernetes-facts.md#effective-profile-rules, 4 in docs/kubernetes-facts.md#pod-security-standards.

A row is (fact, what is computed, expected). `what` is a function of nothing, so that rows read as
"this input gives that answer" and each rule can be checked by whatever filter exposes it.
"""

import pytest

from ansible_collections.k8s.seccomp_default.plugins.module_utils.effective import (
    EffectiveError, effective_seccomp, pods_in)
from ansible_collections.k8s.seccomp_default.plugins.module_utils.impact import seccomp_impact
from ansible_collections.k8s.seccomp_default.plugins.module_utils.pod_security import pss_seccomp
from ansible_collections.k8s.seccomp_default.plugins.module_utils.policy_report import policy_report
from ansible_collections.k8s.seccomp_default.plugins.filter.pss_seccomp import pss_seccomp_filter

RD = {"type": "RuntimeDefault"}
UN = {"type": "Unconfined"}
LH = {"type": "Localhost", "localhostProfile": "profiles/app.json"}
MISSING = 'must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"'
NOT_UNCONFINED = 'must not set securityContext.seccompProfile.type to "Unconfined"'
BACKSTEPS = {"type": "Localhost", "localhostProfile": "a/../../x.json"}
BARE_POD = {"metadata": {"name": "a"}, "spec": {"containers": []}}
SERVICE = {"kind": "Service", "metadata": {"name": "s"}}
NODE_FACTS_ON = {"kubelet": {"seccomp_default": {"effective": True}, "root_dir": "/var/lib/kubelet"}}


def c(name="c", profile=None, privileged=None):
    context = {}
    if profile is not None:
        context["seccompProfile"] = profile
    if privileged is not None:
        context["privileged"] = privileged
    return {"name": name, "image": "registry.example.com/%s:1" % name, "securityContext": context}


def pod(*containers, **kw):
    spec = {"containers": list(containers) or [c()]}
    for key in ("initContainers", "ephemeralContainers"):
        if kw.get(key):
            spec[key] = kw[key]
    if "pod_profile" in kw:
        spec["securityContext"] = {"seccompProfile": kw["pod_profile"]}
    if kw.get("os"):
        spec["os"] = {"name": kw["os"]}
    if kw.get("node"):
        spec["nodeName"] = kw["node"]
    meta = {"name": kw.get("name", "p"), "namespace": "ns", "uid": kw.get("uid", "u-" + kw.get("name", "p")),
            "annotations": kw.get("annotations", {})}
    obj = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
    if kw.get("phase"):
        obj["status"] = {"phase": kw["phase"]}
    return obj


def types(obj, on=False, root="/var/lib/kubelet"):
    return [(e["name"], e["source"], e["type"]) for e in effective_seccomp(obj, on, root)]


def first(obj, on=False, root="/var/lib/kubelet", key="type"):
    return effective_seccomp(obj, on, root)[0][key]


def detail(obj, level="restricted", version="latest"):
    return pss_seccomp(obj, level, version)["detail"]


def impact(pods, nodes):
    return [(e["resource"]["name"], [(x["name"], x["before"]["type"], x["after"]["type"]) for x in e["changes"]],
             [(x["name"], x["source"]) for x in e["unconfined"]], e["applied"]) for e in seccomp_impact(pods, nodes)]


def outcomes(results):
    return [(r["rule"], r["result"]) for report in policy_report(results, timestamp=0)["items"]
            for r in report["results"]]


DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "ns"},
              "spec": {"template": {"spec": {"containers": [c("app")]}}}}
CRONJOB = {"kind": "CronJob", "metadata": {"name": "cj"},
           "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [c("job", RD)]}}}}}}

CASES = [
    # --- effective_seccomp: kubelet rules (3.1, 3.3) ---
    ("3.3 nothing set and seccompDefault off: Unconfined, source unset",
     lambda: types(pod()), [("c", "unset", "Unconfined")]),
    ("3.3 nothing set and seccompDefault on: RuntimeDefault, source node-default",
     lambda: types(pod(), on=True), [("c", "node-default", "RuntimeDefault")]),
    ("3.1 the container field is applied first",
     lambda: types(pod(c(profile=UN), pod_profile=RD), on=True), [("c", "container", "Unconfined")]),
    ("3.1 the pod field when the container sets none",
     lambda: types(pod(pod_profile=RD)), [("c", "pod", "RuntimeDefault")]),
    ("3.1 an explicit pod Unconfined wins over seccompDefault",
     lambda: types(pod(pod_profile=UN), on=True), [("c", "pod", "Unconfined")]),
    ("3.1 an explicit container RuntimeDefault with seccompDefault off",
     lambda: types(pod(c(profile=RD))), [("c", "container", "RuntimeDefault")]),
    ("3.1 the pod field applies to each container that sets none, not to one that does",
     lambda: types(pod(c("a"), c("b", LH), pod_profile=RD)),
     [("a", "pod", "RuntimeDefault"), ("b", "container", "Localhost")]),
    ("3.1 Localhost without localhostProfile: the kubelet refuses the container",
     lambda: first(pod(c(profile={"type": "Localhost"}))), "Invalid"),
    ("3.1 Localhost with an empty localhostProfile is the same error",
     lambda: first(pod(c(profile={"type": "Localhost", "localhostProfile": ""}))), "Invalid"),
    ("3.7 an unknown type (OCI, alpha on master) falls through to Unconfined in released kubelets",
     lambda: first(pod(c(profile={"type": "OCI"}))), "Unconfined"),
    ("3.7 an unknown type is said explicitly, not silently Unconfined",
     lambda: "unknown to this kubelet" in first(pod(c(profile={"type": "OCI"})), key="warnings")[0], True),
    # --- privileged (3.2) ---
    ("3.2 privileged with nothing set: Unconfined even with seccompDefault on",
     lambda: types(pod(c(privileged=True)), on=True), [("c", "privileged", "Unconfined")]),
    ("3.2 privileged drops an explicit RuntimeDefault",
     lambda: types(pod(c(profile=RD, privileged=True))), [("c", "privileged", "Unconfined")]),
    ("3.2 privileged drops a pod-level Localhost",
     lambda: types(pod(c(privileged=True), pod_profile=LH)), [("c", "privileged", "Unconfined")]),
    ("3.2 privileged: false is not privileged",
     lambda: types(pod(c(privileged=False)), on=True), [("c", "node-default", "RuntimeDefault")]),
    ("3.2 a dropped explicit profile is warned about",
     lambda: "not applied" in first(pod(c(profile=RD, privileged=True)), key="warnings")[0], True),
    # --- Localhost paths (3.5) ---
    ("3.5 Localhost path is <root-dir>/seccomp/<localhostProfile>",
     lambda: first(pod(c(profile=LH)), key="localhost_path"), "/var/lib/kubelet/seccomp/profiles/app.json"),
    ("3.5 filepath.Join cleans the path (custom root dir with a trailing slash, ./)",
     lambda: first(pod(c(profile={"type": "Localhost", "localhostProfile": "./a//b.json"})), root="/data/kubelet/",
                   key="localhost_path"), "/data/kubelet/seccomp/a/b.json"),
    ("3.5 '..' in the name: the API server rejects it (warned), Join cleans it",
     lambda: (first(pod(c(profile=BACKSTEPS)), key="localhost_path"),
              "must not contain '..'" in " ".join(first(pod(c(profile=BACKSTEPS)), key="warnings"))),
     ("/var/lib/kubelet/x.json", True)),
    ("3.5 a leading '/' must be a relative path (warned); Join does not reset on it",
     lambda: first(pod(c(profile={"type": "Localhost", "localhostProfile": "/etc/p.json"})), key="localhost_path"),
     "/var/lib/kubelet/seccomp/etc/p.json"),
    ("3.5 'a..b' is a fine name: no warning",
     lambda: first(pod(c(profile={"type": "Localhost", "localhostProfile": "a..b.json"})), key="warnings"), []),
    ("3.2 no Localhost path is reported for a privileged container",
     lambda: first(pod(c(profile=LH, privileged=True)), key="localhost_path"), None),
    # --- containers and objects (3.3, 3.6, 3.4) ---
    ("3.3 init, regular and ephemeral containers, in spec order, each with its kind",
     lambda: [(e["name"], e["kind"]) for e in effective_seccomp(
         pod(c("r"), initContainers=[c("i")], ephemeralContainers=[c("e")]), True)],
     [("i", "init"), ("r", "regular"), ("e", "ephemeral")]),
    ("3.3 ephemeral containers carry their own securityContext",
     lambda: types(pod(c("r"), ephemeralContainers=[c("debug", UN)]), on=True)[1], ("debug", "container", "Unconfined")),
    ("3.6 Windows pods: NotApplicable",
     lambda: first(pod(os="windows"), on=True), "NotApplicable"),
    ("3.4 legacy pod annotation: no effect since 1.27, only a warning",
     lambda: (first(pod(annotations={"seccomp.security.alpha.kubernetes.io/pod": "runtime/default"})),
              len(first(pod(annotations={"seccomp.security.alpha.kubernetes.io/pod": "runtime/default"}),
                        key="warnings"))), ("Unconfined", 1)),
    ("3.4 legacy container annotation of another container does not warn this one",
     lambda: first(pod(annotations={"container.seccomp.security.alpha.kubernetes.io/other": "unconfined"}),
                   key="warnings"), []),
    ("3.3 a Deployment is checked through its pod template",
     lambda: types(DEPLOYMENT, on=True), [("app", "node-default", "RuntimeDefault")]),
    ("3.3 a CronJob through spec.jobTemplate.spec.template",
     lambda: types(CRONJOB), [("job", "container", "RuntimeDefault")]),
    # --- inputs as users have them ---
    ("inputs: kubectl get pods -A -o json (v1 List)",
     lambda: len(pods_in({"apiVersion": "v1", "kind": "List", "items": [pod(), pod(name="q")]})), 2),
    ("inputs: a PodList from the API (items carry no kind)",
     lambda: [p["kind"] for p in pods_in({"kind": "PodList", "items": [BARE_POD]})], ["Pod"]),
    ("inputs: a kubernetes.core.k8s_info result (resources)",
     lambda: len(pods_in({"changed": False, "api_found": True, "resources": [pod(), DEPLOYMENT]})), 2),
    ("inputs: kubectl get all mixes in Services; they carry no containers and are skipped",
     lambda: [p["kind"] for p in pods_in({"kind": "List", "items": [SERVICE, DEPLOYMENT]})], ["Deployment"]),
    ("inputs: nested lists of the above",
     lambda: len(pods_in([[pod()], {"kind": "List", "items": [pod(name="q")]}])), 2),
    # --- seccomp_impact ---
    ("impact 3.3: unset containers change Unconfined -> RuntimeDefault on their node",
     lambda: impact([pod(node="n1")], {"n1": False}), [("p", [("c", "Unconfined", "RuntimeDefault")], [], False)]),
    ("impact 3.1: explicit profiles do not change; pods with nothing to say are left out",
     lambda: impact([pod(c(profile=RD), node="n1")], {"n1": False}), []),
    ("impact 3.2: privileged and explicit Unconfined stay Unconfined and are listed apart",
     lambda: impact([pod(c("priv", privileged=True), c("un", UN), c("app"), node="n1")], {"n1": False}),
     [("p", [("app", "Unconfined", "RuntimeDefault")], [("priv", "privileged"), ("un", "container")], False)]),
    ("impact: pods on nodes not in the map, not yet scheduled or finished are left out",
     lambda: impact([pod(node="elsewhere"), pod(name="pending"), pod(name="done", node="n1", phase="Succeeded")],
                    {"n1": False}), []),
    ("impact: node facts of k8s.seccomp_default.node_facts; applied when the node already has it on",
     lambda: impact([pod(node="n1")], {"n1": NODE_FACTS_ON})[0][3], True),
    ("impact 3.5: the node's own kubelet root dir is used for Localhost",
     lambda: seccomp_impact([pod(c("lh", LH), c("app"), node="n1")],
                            {"n1": {"seccomp_default": False, "kubelet_root_dir": "/data/k"}})[0]["changes"][0]["after"],
     {"type": "RuntimeDefault", "source": "node-default", "localhost_path": None}),
    ("impact 3.6: Windows pods never change",
     lambda: impact([pod(os="windows", node="n1")], {"n1": False}), []),
    # --- pss_seccomp (4) ---
    ("4 baseline: unset passes",
     lambda: pss_seccomp(pod(), "baseline")["allowed"], True),
    ("4 baseline: RuntimeDefault and Localhost pass",
     lambda: pss_seccomp(pod(c("a", RD), c("b", LH)), "baseline")["allowed"], True),
    ("4 baseline: an explicit container Unconfined fails with PSA's detail",
     lambda: detail(pod(c("a", UN)), "baseline"), 'container "a" ' + NOT_UNCONFINED),
    ("4 baseline: pod and containers both named, values sorted and quoted",
     lambda: detail(pod(c("a", UN), c("b", {"type": "OCI"}), pod_profile=UN), "baseline"),
     'pod and containers "a", "b" must not set securityContext.seccompProfile.type to "OCI", "Unconfined"'),
    ("4 restricted: unset fails, naming the container",
     lambda: detail(pod(c("a"))), 'pod or container "a" ' + MISSING),
    ("4 restricted: several containers (init and ephemeral too) in spec order",
     lambda: detail(pod(c("b"), initContainers=[c("a")], ephemeralContainers=[c("e")])),
     'pod or containers "a", "b", "e" ' + MISSING),
    ("4 restricted: a pod-level profile covers containers that set none",
     lambda: pss_seccomp(pod(c("a"), c("b", LH), pod_profile=RD))["allowed"], True),
    ("4 restricted: explicit Unconfined is reported before missing ones",
     lambda: detail(pod(c("a", UN), c("b"))), 'container "a" ' + NOT_UNCONFINED),
    ("4 restricted: a pod-level Unconfined does not cover containers",
     lambda: detail(pod(c("a"), pod_profile=UN)), "pod " + NOT_UNCONFINED),
    ("4 PSA reads the spec only: seccompDefault on a node does not make restricted pass",
     lambda: pss_seccomp(pod(node="on-node"))["allowed"], False),
    ("4 the PSA message, as admission warns",
     lambda: pss_seccomp(pod(c("a")), "restricted", "v1.30")["message"],
     'would violate PodSecurity "restricted:v1.30": seccompProfile (pod or container "a" ' + MISSING + ")"),
    ("4/3.6 restricted >= 1.25 exempts Windows pods",
     lambda: (pss_seccomp(pod(os="windows"))["allowed"], pss_seccomp(pod(os="windows"))["exempt"]), (True, True)),
    ("4/3.6 restricted 1.24 does not exempt Windows pods",
     lambda: pss_seccomp(pod(os="windows"), "restricted", "v1.24")["allowed"], False),
    ("4 policy versions before 1.19 check the annotations",
     lambda: detail(pod(c("a", UN), annotations={"seccomp.security.alpha.kubernetes.io/pod": "unconfined"}),
                    "baseline", "v1.18"),
     'forbidden annotation seccomp.security.alpha.kubernetes.io/pod="unconfined"'),
    ("4 the privileged level has no seccomp check",
     lambda: (pss_seccomp(pod(c("a", UN)), "privileged")["allowed"], pss_seccomp(pod(), "privileged")["check"]),
     (True, None)),
    ("4 the pss_seccomp filter: one result for one pod, a list for a k8s_info result",
     lambda: (pss_seccomp_filter(pod())["allowed"],
              [r["allowed"] for r in pss_seccomp_filter({"resources": [pod(pod_profile=RD)], "changed": False})]),
     (False, [True])),
    ("4 workload templates are checked like pods",
     lambda: detail(DEPLOYMENT), 'pod or container "app" ' + MISSING),
    # --- seccomp_policy_report ---
    ("report: pass, fail and skip from PSS; warn from impact; one report per object with it as scope",
     lambda: outcomes([pss_seccomp(pod(c("a", RD), name="ok")), pss_seccomp(pod(name="bad")),
                       pss_seccomp(pod(os="windows", name="win")),
                       seccomp_impact([pod(c("x"), c("y", privileged=True), name="bad", node="n")], {"n": False})]),
     [("psa-restricted-seccomp", "fail"), ("seccomp-default-change", "warn"), ("effective-unconfined", "warn"),
      ("psa-restricted-seccomp", "pass"), ("psa-restricted-seccomp", "skip")]),
]


@pytest.mark.parametrize("fact, compute, expected", CASES, ids=[case[0] for case in CASES])
def test_rule(fact, compute, expected):
    assert compute() == expected, fact


def test_the_table_is_large_enough():
    assert len(CASES) >= 40


def test_policy_report_shape():
    """anchors.md 3: wgpolicyk8s.io PolicyReport - scope, results, summary - the format Kyverno writes."""
    reports = policy_report([pss_seccomp(pod(name="bad")), pss_seccomp(pod(c("a", RD), name="bad"), "baseline")],
                            timestamp=1700000000)
    assert reports["apiVersion"] == "v1" and reports["kind"] == "List"
    (report,) = reports["items"]
    assert report["apiVersion"] == "wgpolicyk8s.io/v1alpha2" and report["kind"] == "PolicyReport"
    assert report["metadata"]["namespace"] == "ns" and report["metadata"]["name"] == "u-bad"
    assert report["scope"] == {"apiVersion": "v1", "kind": "Pod", "name": "bad", "namespace": "ns", "uid": "u-bad"}
    assert report["summary"] == {"pass": 1, "fail": 1, "warn": 0, "error": 0, "skip": 0}
    assert report["results"][0]["timestamp"] == {"seconds": 1700000000, "nanos": 0}
    assert report["results"][0]["source"] == "k8s.seccomp_default"


@pytest.mark.parametrize("call, text", [
    (lambda: pods_in("pods.json"), "expected a Pod, a workload object, a List of them or a k8s_info result, got str"),
    (lambda: pods_in({"kind": "Service", "metadata": {"name": "s"}}), "Service s has no pod template"),
    (lambda: seccomp_impact([pod()], {"n1": "yes"}), "node 'n1': expected true/false"),
    (lambda: seccomp_impact([pod()], ["n1"]), "nodes: expected a mapping"),
    (lambda: pss_seccomp(pod(), "strict"), "level 'strict' is not valid; use one of privileged, baseline, restricted"),
    (lambda: pss_seccomp(pod(), "restricted", "1.x"), "version '1.x' is not valid"),
    (lambda: policy_report([effective_seccomp(pod())]), "results[0]: expected a pss_seccomp result"),
])
def test_bad_input_is_named(call, text):
    with pytest.raises(EffectiveError) as caught:
        call()
    assert text in str(caught.value)
