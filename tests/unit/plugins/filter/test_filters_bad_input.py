"""The filters given broken input (issue 16, class 4): pods from users' dumps and API servers of many versions, and
every other argument, of the wrong type or shape.

Each case calls the filter through the FilterModule().filters() mapping Ansible uses and asserts an
AnsibleFilterError (not another exception type, not the "this is a bug" fallback) whose message names the filter,
the object (kind namespace/name, and its place in a collection), the field path and the value found. A last test
renders a few through a real ansible-playbook, to show what a user reads. Input the API allows (absent fields,
null where the API allows null) must still work. About 700 cases; runs in a few seconds plus one playbook run.
"""

import copy

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.k8s.seccomp_default.plugins.filter import (
    duration_seconds, effective_seccomp, pss_seccomp, seccomp_audit_gate, seccomp_audit_targets, seccomp_builtin_profiles,
    seccomp_impact, seccomp_policy_report, suggest_seccomp_profile)
from ansible_collections.k8s.seccomp_default.plugins.module_utils import profiles
from ansible_collections.k8s.seccomp_default.plugins.module_utils.profiles import builtin_profiles

FILTERS = {}
for _plugin in (duration_seconds, effective_seccomp, pss_seccomp, seccomp_audit_gate, seccomp_audit_targets,
                seccomp_builtin_profiles, seccomp_impact, seccomp_policy_report, suggest_seccomp_profile):
    FILTERS.update(_plugin.FilterModule().filters())


def short_repr(value, limit=80):
    """The value as messages show it: its repr, cut to ``limit`` characters."""
    if value is None:
        return "(found null)"  # errors.InputError writes the YAML word alone for null
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def refused(name, *args, **kwargs):
    """The message of the AnsibleFilterError filter ``name`` raises: a clean refusal, not a crash."""
    with pytest.raises(AnsibleFilterError) as caught:
        FILTERS[name](*args, **kwargs)
    message = str(caught.value)
    assert "this is a bug" not in message, message
    assert "object has no attribute" not in message and "Traceback" not in message, message
    return message


def assert_names(message, *words):
    for word in words:
        assert word in message, "%r is not in the message: %s" % (word, message)


def web_pod():
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web", "namespace": "shop", "uid": "u-web",
                         "annotations": {"team": "shop"},
                         "ownerReferences": [{"kind": "ReplicaSet", "name": "web-6d4f", "controller": True}]},
            "spec": {"nodeName": "node-1", "runtimeClassName": "runc", "os": {"name": "linux"},
                     "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                     "initContainers": [{"name": "migrate"}],
                     "containers": [{"name": "app"},
                                    {"name": "proxy", "securityContext": {"privileged": False,
                                                                          "seccompProfile": {"type": "Localhost",
                                                                                             "localhostProfile": "p.json"}}}],
                     "ephemeralContainers": [{"name": "debug"}]},
            "status": {"phase": "Running"}}


OTHER_POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "db", "namespace": "shop", "uid": "u-db"},
             "spec": {"nodeName": "node-1", "containers": [{"name": "db"}]}}


def put(tree, path, value):
    tree = copy.deepcopy(tree)
    node = tree
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return tree


def in_workload(kind, template_path):
    def wrap(pod):
        workload = {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": "web", "namespace": "shop"}}
        node = workload
        for key in template_path[:-1]:
            node = node.setdefault(key, {})
        node[template_path[-1]] = {"metadata": {"labels": {"app": "web"}}, "spec": pod["spec"]}
        return workload
    return wrap


# How a pod reaches a filter: (id, wrap(pod), the object as the message names it, prefix of the field path).
PLACES = [
    ("pod", lambda pod: pod, "Pod shop/web", ""),
    ("podlist", lambda pod: {"apiVersion": "v1", "kind": "PodList", "items": [OTHER_POD, pod]}, "Pod shop/web at items[1]", ""),
    ("v1-list", lambda pod: {"apiVersion": "v1", "kind": "List", "items": [pod]}, "Pod shop/web at items[0]", ""),
    ("k8s_info", lambda pod: {"changed": False, "api_found": True, "resources": [OTHER_POD, pod]},
     "Pod shop/web at resources[1]", ""),
    ("list", lambda pod: [OTHER_POD, [pod]], "Pod shop/web at [1][0]", ""),
    ("deployment", in_workload("Deployment", ("spec", "template")), "Deployment shop/web", "spec.template."),
    ("cronjob", in_workload("CronJob", ("spec", "jobTemplate", "spec", "template")), "CronJob shop/web",
     "spec.jobTemplate.spec.template."),
]

# A wrong value somewhere in the pod: (path in the pod, the value), at every depth the rules read.
SPEC_BREAKS = [
    (("spec",), "web"),
    (("spec",), ["app"]),
    (("spec", "securityContext"), "RuntimeDefault"),
    (("spec", "securityContext"), ["runAsNonRoot"]),
    (("spec", "securityContext", "seccompProfile"), "RuntimeDefault"),
    (("spec", "securityContext", "seccompProfile"), 5),
    (("spec", "securityContext", "seccompProfile", "type"), ["RuntimeDefault"]),
    (("spec", "securityContext", "seccompProfile", "type"), True),
    (("spec", "containers"), "app"),
    (("spec", "containers"), {"name": "app"}),
    (("spec", "containers", 0), "app"),
    (("spec", "containers", 0), None),
    (("spec", "containers", 1, "name"), 7),
    (("spec", "containers", 1, "name"), None),
    (("spec", "containers", 1, "securityContext"), "privileged"),
    (("spec", "containers", 1, "securityContext"), 0),
    (("spec", "containers", 1, "securityContext", "privileged"), "true"),
    (("spec", "containers", 1, "securityContext", "seccompProfile"), "Localhost"),
    (("spec", "containers", 1, "securityContext", "seccompProfile", "localhostProfile"), ["p.json"]),
    (("spec", "initContainers"), "migrate"),
    (("spec", "initContainers", 0), ["migrate"]),
    (("spec", "ephemeralContainers", 0, "securityContext"), "x"),
    (("spec", "os"), "linux"),
    (("spec", "os", "name"), 1),
    (("spec", "nodeName"), ["node-1"]),
    (("spec", "runtimeClassName"), {"name": "runc"}),
]
META_BREAKS = [
    (("metadata", "annotations"), "seccomp=runtime/default"),
    (("metadata", "annotations"), ["a"]),
    (("metadata", "annotations", "team"), 5),
    (("metadata", "ownerReferences"), "web-6d4f"),
    (("metadata", "ownerReferences", 0), "ReplicaSet/web-6d4f"),
    (("metadata", "ownerReferences", 0, "controller"), "yes"),
    (("metadata", "uid"), 12345),
    (("status",), "Running"),
    (("status", "phase"), ["Running"]),
    (("apiVersion",), 1),
]

POD_FILTERS = {
    "effective_seccomp": lambda data: FILTERS["effective_seccomp"](data, True),
    "pss_seccomp": lambda data: FILTERS["pss_seccomp"](data, "restricted"),
    "seccomp_impact": lambda data: FILTERS["seccomp_impact"](data, {"node-1": False}),
    "seccomp_audit_gate": lambda data: FILTERS["seccomp_audit_gate"](
        [{"attribution": "container", "pod_uid": "u-web", "container": "app", "syscall": "unshare", "action": "log"}], data),
}
ONE_OBJECT_ONLY = ("effective_seccomp",)


def field_of(path):
    field = ""
    for step in path:
        if isinstance(step, int):
            field += "[%d]" % step
        elif step == "team":
            field += "['team']"  # an annotation is named by its key
        else:
            field += ("." if field else "") + step
    return field


def pod_cases():
    for filter_name in POD_FILTERS:
        for place, wrap, label, prefix in PLACES:
            if filter_name in ONE_OBJECT_ONLY and place not in ("pod", "deployment", "cronjob"):
                continue
            breaks = SPEC_BREAKS + (META_BREAKS if prefix == "" else [])
            for path, value in breaks:
                case_id = "%s-%s-%s=%s" % (filter_name, place, field_of(path), short_repr(value, 20))
                yield pytest.param(filter_name, wrap, label, prefix, path, value, id=case_id)


@pytest.mark.parametrize("filter_name, wrap, label, prefix, path, value", list(pod_cases()))
def test_a_pod_of_the_wrong_shape_is_named_with_its_field_and_value(filter_name, wrap, label, prefix, path, value):
    data = wrap(put(web_pod(), path, value))
    with pytest.raises(AnsibleFilterError) as caught:
        POD_FILTERS[filter_name](data)
    message = str(caught.value)
    assert "this is a bug" not in message, message
    field = prefix + field_of(path)
    assert_names(message, "k8s.seccomp_default.%s: " % filter_name, label, field + ":", short_repr(value))


# Every other argument, and collections of the wrong shape: (id, filter, args, kwargs, words the message must hold).
POD = web_pod()
FINDING = {"attribution": "container", "pod_uid": "u-web", "container": "app", "exe": "/bin/app", "syscall": "unshare",
           "action": "log", "count": 3}
PSS_RESULT = {"resource": {"apiVersion": "v1", "kind": "Pod", "name": "web", "namespace": "shop", "uid": "u-web"},
              "node": "node-1", "level": "restricted", "version": "latest", "check": "seccompProfile_restricted",
              "allowed": True, "exempt": False, "reason": None, "detail": None, "message": None}
IMPACT_ENTRY = {"node": "node-1", "resource": dict(PSS_RESULT["resource"]), "owner": None, "applied": False,
                "affected": True,
                "changes": [{"name": "app", "kind": "regular",
                             "before": {"type": "Unconfined", "source": "unset", "localhost_path": None},
                             "after": {"type": "RuntimeDefault", "source": "node-default", "localhost_path": None}}],
                "unconfined": [{"name": "proxy", "kind": "regular", "source": "privileged", "privileged": True,
                                "warnings": []}]}
BASE = builtin_profiles()["default"]


def with_key(mapping, key, value):
    return dict(copy.deepcopy(mapping), **{key: value})


def deep_list(depth):
    nested = []
    for _level in range(depth):
        nested = [nested]
    return nested


ARGUMENT_CASES = [
    # effective_seccomp
    ("effective-pod-is-json-text", "effective_seccomp", ['{"kind": "Pod"}'], {}, ["input", "from_json", "'{\"kind\": \"Pod\"}'"]),
    ("effective-pod-is-null", "effective_seccomp", [None], {}, ["input", "expected a Pod or a workload object", "null"]),
    ("effective-pod-is-number", "effective_seccomp", [5], {}, ["input", "number 5"]),
    ("effective-pod-is-list", "effective_seccomp", [[POD]], {}, ["input", "expected a Pod or a workload object", "list"]),
    ("effective-kind-service", "effective_seccomp", [{"kind": "Service", "metadata": {"name": "s"}}], {},
     ["Service s has no pod template", "kind", "Deployment"]),
    ("effective-kind-number", "effective_seccomp", [with_key(POD, "kind", 3)], {}, ["object shop/web", "kind:", "3"]),
    ("effective-empty-mapping", "effective_seccomp", [{}], {}, ["input", "without kind"]),
    ("effective-metadata-string", "effective_seccomp", [with_key(POD, "metadata", "web")], {},
     ["Pod without metadata.name", "metadata:", "'web'"]),
    ("effective-name-number", "effective_seccomp", [put(POD, ("metadata", "name"), 5)], {},
     ["Pod without metadata.name", "metadata.name:", "5"]),
    ("effective-seccomp-default-word", "effective_seccomp", [POD], {"seccomp_default": "maybe"},
     ["seccomp_default:", "'maybe'", "true or false"]),
    ("effective-seccomp-default-list", "effective_seccomp", [POD], {"seccomp_default": [True]}, ["seccomp_default:", "[True]"]),
    ("effective-root-dir-number", "effective_seccomp", [POD], {"kubelet_root_dir": 5}, ["kubelet_root_dir:", "5"]),
    ("effective-root-dir-empty", "effective_seccomp", [POD], {"kubelet_root_dir": ""}, ["kubelet_root_dir:", "empty"]),
    ("effective-runtime-string", "effective_seccomp", [POD], {"runtime": "containerd"}, ["runtime:", "'containerd'"]),
    ("effective-runtime-seccomp-list", "effective_seccomp", [POD], {"runtime": {"seccomp": ["x"]}},
     ["runtime.seccomp:", "['x']"]),
    ("effective-runtime-handlers-string", "effective_seccomp", [POD], {"runtime": {"seccomp": {"handlers": "runc"}}},
     ["runtime.seccomp.handlers:", "'runc'"]),
    ("effective-runtime-handler-string", "effective_seccomp", [POD], {"runtime": {"seccomp": {"handlers": {"runc": "x"}}}},
     ["runtime.seccomp.handlers.runc:", "'x'"]),
    ("effective-runtime-base-seccomp-word", "effective_seccomp", [POD],
     {"runtime": {"seccomp": {"handlers": {"runc": {"base_seccomp": "yes"}}}}},
     ["runtime.seccomp.handlers.runc.base_seccomp:", "'yes'"]),
    ("effective-runtime-privileged-profile-number", "effective_seccomp", [POD],
     {"runtime": {"seccomp": {"privileged_seccomp_profile": 1}}}, ["runtime.seccomp.privileged_seccomp_profile:", "1"]),
    ("effective-runtime-default-handler-list", "effective_seccomp", [POD],
     {"runtime": {"seccomp": {"default_handler": ["runc"]}}}, ["runtime.seccomp.default_handler:", "['runc']"]),
    # pss_seccomp
    ("pss-level-number", "pss_seccomp", [POD, 5], {}, ["level", "5", "privileged, baseline, restricted"]),
    ("pss-level-unknown", "pss_seccomp", [POD, "strict"], {}, ["level", "'strict'", "privileged, baseline, restricted"]),
    ("pss-level-unknown-empty-list", "pss_seccomp", [[], "strict"], {}, ["level", "'strict'"]),
    ("pss-version-number", "pss_seccomp", [POD, "restricted", 1.3], {}, ["version", "1.3", "quote it", "'v1.30'"]),
    ("pss-version-list", "pss_seccomp", [POD, "restricted", ["v1.30"]], {}, ["version", "['v1.30']"]),
    ("pss-version-v2", "pss_seccomp", [POD, "restricted", "v2.0"], {}, ["version", "'v2.0'", "v1.N"]),
    ("pss-version-huge", "pss_seccomp", [POD, "restricted", "v1." + "9" * 5000], {}, ["version", "v1.999"]),
    ("pss-input-string", "pss_seccomp", ["pods.json"], {}, ["input", "'pods.json'", "k8s_info result"]),
    ("pss-input-null", "pss_seccomp", [None], {}, ["input", "null"]),
    ("pss-items-string", "pss_seccomp", [{"kind": "PodList", "items": "web"}], {}, ["PodList", "items:", "'web'"]),
    ("pss-items-entry-number", "pss_seccomp", [{"kind": "List", "items": [POD, 5]}], {}, ["input items[1]", "number 5"]),
    ("pss-resources-string", "pss_seccomp", [{"resources": "web"}], {}, ["resources:", "'web'"]),
    ("pss-lists-5000-deep", "pss_seccomp", [deep_list(5000)], {}, ["input", "nested more than"]),
    ("pss-list-kind-number", "pss_seccomp", [{"kind": 5, "items": []}], {}, ["object without metadata.name", "kind:", "5"]),
    ("pss-mapping-of-nothing", "pss_seccomp", [{"changed": False, "failed": True}], {}, ["input", "without kind", "failed"]),
    # seccomp_impact
    ("impact-nodes-string", "seccomp_impact", [[POD], "node-1"], {}, ["nodes:", "'node-1'", "mapping of node name"]),
    ("impact-nodes-null", "seccomp_impact", [[POD], None], {}, ["nodes:", "null"]),
    ("impact-node-word", "seccomp_impact", [[POD], {"node-1": "yes"}], {}, ["nodes.node-1:", "node 'node-1'", "'yes'"]),
    ("impact-node-facts-setting-word", "seccomp_impact", [[POD], {"node-1": {"kubelet": {"seccomp_default": "on"}}}], {},
     ["nodes.node-1.kubelet.seccomp_default:", "'on'", "true or false"]),
    ("impact-node-facts-effective-null", "seccomp_impact",
     [[POD], {"node-1": {"kubelet": {"seccomp_default": {"effective": None}}}}], {},
     ["nodes.node-1.kubelet.seccomp_default.effective:", "null"]),
    ("impact-node-facts-root-dir-number", "seccomp_impact",
     [[POD], {"node-1": {"kubelet": {"seccomp_default": True, "root_dir": 5}}}], {}, ["nodes.node-1.kubelet.root_dir:", "5"]),
    ("impact-node-facts-kubelet-string", "seccomp_impact", [[POD], {"node-1": {"kubelet": "x", "seccomp_default": True}}], {},
     ["nodes.node-1.kubelet:", "'x'"]),
    ("impact-node-runtime-string", "seccomp_impact", [[POD], {"node-1": {"seccomp_default": True, "runtime": "crio"}}], {},
     ["nodes.node-1.runtime:", "'crio'"]),
    ("impact-node-root-dir-list", "seccomp_impact", [[POD], {"node-1": {"seccomp_default": True, "kubelet_root_dir": ["/x"]}}],
     {}, ["nodes.node-1.kubelet_root_dir:", "['/x']"]),
    ("impact-pods-string", "seccomp_impact", ["pods", {"node-1": True}], {}, ["input", "'pods'"]),
    ("impact-pods-number-in-list", "seccomp_impact", [[POD, 3], {"node-1": True}], {}, ["input [1]", "number 3"]),
    ("impact-pods-items-number", "seccomp_impact", [{"kind": "List", "items": 3}, {"node-1": True}], {}, ["items:", "3"]),
    # seccomp_audit_gate
    ("gate-findings-string", "seccomp_audit_gate", ["unshare", [POD]], {}, ["findings must be the entries list", "'unshare'"]),
    ("gate-findings-null", "seccomp_audit_gate", [None, [POD]], {}, ["findings must be the entries list", "null"]),
    ("gate-findings-mapping", "seccomp_audit_gate", [{"entries": []}, [POD]], {}, ["findings must be the entries list", "entries"]),
    ("gate-finding-string", "seccomp_audit_gate", [[FINDING, "unshare"], [POD]], {}, ["findings[1]:", "'unshare'"]),
    ("gate-finding-count-text", "seccomp_audit_gate", [[with_key(FINDING, "count", "3")], [POD]], {},
     ["findings[0].count:", "'3'"]),
    ("gate-finding-count-negative", "seccomp_audit_gate", [[with_key(FINDING, "count", -1)], [POD]], {},
     ["findings[0].count:", "-1"]),
    ("gate-finding-syscall-number", "seccomp_audit_gate", [[with_key(FINDING, "syscall", 272)], [POD]], {},
     ["findings[0].syscall:", "272"]),
    ("gate-finding-container-list", "seccomp_audit_gate", [[with_key(FINDING, "container", ["app"])], [POD]], {},
     ["findings[0].container:", "['app']"]),
    ("gate-finding-attribution-mapping", "seccomp_audit_gate", [[with_key(FINDING, "attribution", {})], [POD]], {},
     ["findings[0].attribution:", "{}"]),
    ("gate-finding-verdict-unknown", "seccomp_audit_gate", [[with_key(FINDING, "verdict", "maybe")], [POD]], {},
     ["findings[0].verdict:", "'maybe'", "allowed, blocked, conditional, unknown"]),
    ("gate-pods-string", "seccomp_audit_gate", [[FINDING], "pods"], {}, ["input", "'pods'"]),
    ("gate-pods-null", "seccomp_audit_gate", [[FINDING], None], {}, ["input", "null"]),
    ("gate-root-dir-number", "seccomp_audit_gate", [[FINDING], [POD]], {"kubelet_root_dir": 5}, ["kubelet_root_dir:", "5"]),
    ("gate-complete-word", "seccomp_audit_gate", [[FINDING], [POD]], {"complete": "partly"}, ["complete:", "'partly'"]),
    # seccomp_audit_targets
    ("targets-string", "seccomp_audit_targets", ["web"], {}, ["expected the list seccomp_impact returns", "'web'"]),
    ("targets-null", "seccomp_audit_targets", [None], {}, ["expected the list seccomp_impact returns", "null"]),
    ("targets-entry-string", "seccomp_audit_targets", [[IMPACT_ENTRY, "web"]], {}, ["[1]:", "'web'"]),
    ("targets-entry-without-changes", "seccomp_audit_targets", [[{"node": "node-1"}]], {},
     ["[0]:", "expected seccomp_impact entries", "node"]),
    ("targets-resource-string", "seccomp_audit_targets", [[with_key(IMPACT_ENTRY, "resource", "shop/web")]], {},
     ["[0].resource:", "'shop/web'"]),
    ("targets-resource-uid-number", "seccomp_audit_targets", [[put(IMPACT_ENTRY, ("resource", "uid"), 5)]], {},
     ["[0].resource.uid:", "5"]),
    ("targets-changes-string", "seccomp_audit_targets", [[with_key(IMPACT_ENTRY, "changes", "app")]], {},
     ["[0].changes:", "'app'"]),
    ("targets-change-string", "seccomp_audit_targets", [[with_key(IMPACT_ENTRY, "changes", ["app"])]], {},
     ["[0].changes[0]:", "'app'"]),
    ("targets-change-name-number", "seccomp_audit_targets", [[put(IMPACT_ENTRY, ("changes", 0, "name"), 1)]], {},
     ["[0].changes[0].name:", "1"]),
    # seccomp_policy_report
    ("report-results-string", "seccomp_policy_report", ["web"], {}, ["results[0]:", "'web'", "pss_seccomp result"]),
    ("report-result-number", "seccomp_policy_report", [[PSS_RESULT, 5]], {}, ["results[1]:", "5"]),
    ("report-resource-string", "seccomp_policy_report", [[with_key(PSS_RESULT, "resource", "web")]], {},
     ["results[0]:", "resource"]),
    ("report-resource-namespace-list", "seccomp_policy_report", [[put(PSS_RESULT, ("resource", "namespace"), ["shop"])]], {},
     ["results[0].resource.namespace:", "['shop']"]),
    ("report-neither", "seccomp_policy_report", [[{"resource": {"name": "web", "namespace": "shop"}}]], {},
     ["results[0]", "shop/web is neither"]),
    ("report-pss-level-number", "seccomp_policy_report", [[with_key(PSS_RESULT, "level", 5)]], {}, ["results[0].level:", "5"]),
    ("report-pss-allowed-word", "seccomp_policy_report", [[with_key(PSS_RESULT, "allowed", "yes")]], {},
     ["results[0].allowed:", "'yes'"]),
    ("report-pss-exempt-missing", "seccomp_policy_report", [[dict((k, v) for k, v in PSS_RESULT.items() if k != "exempt")]],
     {}, ["results[0].exempt:", "null"]),
    ("report-impact-changes-string", "seccomp_policy_report", [[with_key(IMPACT_ENTRY, "changes", "app")]], {},
     ["results[0].changes:", "'app'"]),
    ("report-impact-change-string", "seccomp_policy_report", [[with_key(IMPACT_ENTRY, "changes", ["app"])]], {},
     ["results[0].changes[0]:", "'app'"]),
    ("report-impact-before-string", "seccomp_policy_report", [[put(IMPACT_ENTRY, ("changes", 0, "before"), "Unconfined")]],
     {}, ["results[0].changes[0].before:", "'Unconfined'"]),
    ("report-impact-unconfined-source-missing", "seccomp_policy_report",
     [[put(IMPACT_ENTRY, ("unconfined", 0, "source"), None)]], {}, ["results[0].unconfined[0].source:", "null"]),
    ("report-impact-applied-word", "seccomp_policy_report", [[with_key(IMPACT_ENTRY, "applied", "no")]], {},
     ["results[0].applied:", "'no'"]),
    ("report-lists-5000-deep", "seccomp_policy_report", [deep_list(5000)], {}, ["results:", "nested more than"]),
    ("report-source-number", "seccomp_policy_report", [[PSS_RESULT]], {"source": 5}, ["source:", "5"]),
    ("report-timestamp-word", "seccomp_policy_report", [[PSS_RESULT]], {"timestamp": "now"}, ["timestamp:", "'now'"]),
    ("report-timestamp-bool", "seccomp_policy_report", [[PSS_RESULT]], {"timestamp": True}, ["timestamp:", "True"]),
    ("report-timestamp-negative", "seccomp_policy_report", [[PSS_RESULT]], {"timestamp": -5}, ["timestamp:", "-5"]),
    # suggest_seccomp_profile: a list of names never takes a string for its letters
    ("suggest-syscalls-string", "suggest_seccomp_profile", [BASE, "ptrace"], {}, ["syscalls:", "'ptrace'", "is a string"]),
    ("suggest-syscalls-mapping", "suggest_seccomp_profile", [BASE, {"ptrace": True}], {}, ["syscalls:", "{'ptrace': True}"]),
    ("suggest-syscalls-number", "suggest_seccomp_profile", [BASE, 101], {}, ["syscalls:", "101"]),
    ("suggest-syscall-number", "suggest_seccomp_profile", [BASE, ["ptrace", 101]], {}, ["syscalls[1]:", "101"]),
    ("suggest-syscall-empty", "suggest_seccomp_profile", [BASE, ["ptrace", ""]], {}, ["syscalls[1]:", "empty"]),
    ("suggest-syscall-null", "suggest_seccomp_profile", [BASE, [None]], {}, ["syscalls[0]:", "null"]),
    ("suggest-syscall-list", "suggest_seccomp_profile", [BASE, [["ptrace"]]], {}, ["syscalls[0]:", "['ptrace']"]),
    ("suggest-syscall-two-words", "suggest_seccomp_profile", [BASE, ["ptrace unshare"]], {},
     ["syscalls[0]:", "'ptrace unshare'", "not a syscall name"]),
    ("suggest-base-string", "suggest_seccomp_profile", ["kubernetes/default.json", ["ptrace"]], {},
     ["base profile must be an OCI seccomp profile", "'kubernetes/default.json'"]),
    ("suggest-base-rules-string", "suggest_seccomp_profile", [with_key(BASE, "syscalls", "read"), ["ptrace"]], {},
     ["base profile", "syscalls", "'read'"]),
    ("suggest-base-rule-string", "suggest_seccomp_profile", [with_key(BASE, "syscalls", ["read"]), ["ptrace"]], {},
     ["base profile", "syscalls[0]", "'read'"]),
    ("suggest-base-rule-names-string", "suggest_seccomp_profile",
     [with_key(BASE, "syscalls", [{"names": "read", "action": "SCMP_ACT_ALLOW"}]), ["ptrace"]], {},
     ["base profile", "syscalls[0].names", "'read'"]),
    # seccomp_builtin_profiles
    ("builtin-arch-number", "seccomp_builtin_profiles", [None], {"arch": 64}, ["arch:", "64"]),
    ("builtin-capabilities-mapping", "seccomp_builtin_profiles", [None], {"capabilities": {"SYS_ADMIN": True}},
     ["capabilities:", "{'SYS_ADMIN': True}"]),
    ("builtin-capability-number", "seccomp_builtin_profiles", [None], {"capabilities": ["CAP_CHOWN", 5]},
     ["capabilities[1]:", "5"]),
    ("builtin-capability-empty", "seccomp_builtin_profiles", [None], {"capabilities": [""]}, ["capabilities[0]:", "empty"]),
    ("builtin-kernel-list", "seccomp_builtin_profiles", [None], {"kernel": [6, 1]}, ["kernel:", "[6, 1]"]),
    ("builtin-base-number", "seccomp_builtin_profiles", [5], {}, ["base profile", "number"]),
    # duration_seconds
    ("duration-null", "duration_seconds", [None, "seccomp_audit_soak"], {}, ["seccomp_audit_soak=None", "90s or 10m"]),
    ("duration-list", "duration_seconds", [["10m"], "seccomp_audit_soak"], {}, ["seccomp_audit_soak=['10m']"]),
    ("duration-mapping", "duration_seconds", [{"m": 10}, "seccomp_audit_soak"], {}, ["seccomp_audit_soak={'m': 10}"]),
    ("duration-float", "duration_seconds", [1.5, "seccomp_enforce_watch"], {}, ["seccomp_enforce_watch=1.5"]),
    ("duration-days", "duration_seconds", ["2d", "seccomp_enforce_watch"], {}, ["seccomp_enforce_watch=2d"]),
    ("duration-5000-digits", "duration_seconds", ["9" * 5000, "seccomp_audit_soak"], {},
     ["seccomp_audit_soak='99999", "...", "not a duration"]),
    ("duration-name-number", "duration_seconds", ["10m", 5], {}, ["name:", "5"]),
]


@pytest.mark.parametrize("name, args, kwargs, words", [pytest.param(*case[1:], id=case[0]) for case in ARGUMENT_CASES])
def test_a_wrong_argument_is_named_with_its_value(name, args, kwargs, words):
    message = refused(name, *args, **kwargs)
    if name != "duration_seconds" or "name:" in words:
        assert_names(message, "k8s.seccomp_default.%s: " % name)
    assert_names(message, *words)
    assert len(message) < 2000, "a message stays readable: %d characters" % len(message)


def test_a_string_of_syscalls_never_allows_its_letters():
    """suggest_seccomp_profile(syscalls: "ptrace") allowed syscalls named a, c, e, p, r, t."""
    message = refused("suggest_seccomp_profile", BASE, "ptrace")
    assert "['ptrace']" in message  # what was meant, as the valid form
    allowed = profiles.allowed_syscalls(FILTERS["suggest_seccomp_profile"](BASE, ["ptrace", "unshare"]))
    assert "ptrace" in allowed and "unshare" in allowed
    assert not set("ptrace") & set(allowed)


# Input the API gives, or allows, keeps working: absent fields, and null where the API allows null.
SPARSE_POD = {"kind": "Pod", "metadata": {"name": "bare", "namespace": None, "annotations": None, "ownerReferences": None},
              "spec": {"nodeName": "node-1", "securityContext": None, "os": None, "initContainers": None,
                       "containers": [{"name": "app", "securityContext": None},
                                      {"name": "side", "securityContext": {"privileged": None, "seccompProfile": None}},
                                      {"name": "loose", "securityContext": {"seccompProfile": {"type": "RuntimeDefault",
                                                                                               "localhostProfile": None}}}],
                       "ephemeralContainers": None},
              "status": None}


@pytest.mark.parametrize("data", [
    pytest.param(SPARSE_POD, id="nulls-the-api-allows"),
    pytest.param({"kind": "Pod", "metadata": {"name": "empty"}}, id="no-spec"),
    pytest.param({"kind": "Deployment", "metadata": {"name": "d"}, "spec": None}, id="workload-without-template"),
    pytest.param({"kind": "PodList", "items": None}, id="list-with-null-items"),
    pytest.param({"resources": [SPARSE_POD], "changed": False}, id="k8s_info"),
    pytest.param({"kind": "List", "items": [{"kind": "Service", "metadata": {"name": "s"}, "spec": "skipped"}, SPARSE_POD]},
                 id="other-kinds-in-a-list-are-skipped"),
])
def test_what_the_api_allows_still_works(data):
    FILTERS["pss_seccomp"](data, "restricted")
    FILTERS["seccomp_impact"](data, {"node-1": {"kubelet": {"seccomp_default": {"effective": True}, "root_dir": None},
                                                "runtime": {"seccomp": None}}})
    FILTERS["seccomp_audit_gate"]([FINDING], data, kubelet_root_dir=None, complete=True)


def test_booleans_as_extra_vars_give_them_are_read_as_booleans():
    """``-e seccomp_default=false`` hands the filter the string "false", which Python took for true."""
    pod = {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "app"}]}}
    assert FILTERS["effective_seccomp"](pod, "false")[0]["type"] == "Unconfined"
    assert FILTERS["effective_seccomp"](pod, "yes")[0]["type"] == "RuntimeDefault"
    assert FILTERS["seccomp_audit_gate"]([], pod, complete="false")["passed"] is False


def test_a_user_sees_the_object_field_and_value_in_a_playbook(tmp_path):
    """What ansible-playbook prints for a task whose filter got broken input: the filter, object, field and value."""
    from lib.ansible_run import run_tasks
    broken = put(web_pod(), ("spec", "containers", 1, "securityContext"), "privileged")
    dump = {"apiVersion": "v1", "kind": "List", "items": [OTHER_POD, broken]}
    tasks = [
        {"name": "effective", "ansible.builtin.debug": {"msg": "{{ pod | k8s.seccomp_default.effective_seccomp }}"},
         "vars": {"pod": broken}},
        {"name": "impact", "ansible.builtin.debug": {"msg": "{{ dump | k8s.seccomp_default.seccomp_impact({'node-1': 'on'}) }}"},
         "vars": {"dump": {"kind": "List", "items": [OTHER_POD]}}},
        {"name": "pss", "ansible.builtin.debug": {"msg": "{{ dump | k8s.seccomp_default.pss_seccomp('restricted') }}"},
         "vars": {"dump": dump}},
        {"name": "suggest", "ansible.builtin.debug": {
            "msg": "{{ base | k8s.seccomp_default.suggest_seccomp_profile('ptrace') }}"}, "vars": {"base": BASE}},
        {"name": "duration", "ansible.builtin.debug": {
            "msg": "{{ '10x' | k8s.seccomp_default.duration_seconds('seccomp_audit_soak') }}"}},
    ]
    effective, impact, pss, suggest, duration = run_tasks(tmp_path, tasks).results
    for result in (effective, impact, pss, suggest, duration):
        assert result.get("failed") is True, result
        assert "this is a bug" not in result["msg"] and "object has no attribute" not in result["msg"], result["msg"]
    assert_names(effective["msg"], "k8s.seccomp_default.effective_seccomp", "Pod shop/web",
                 "spec.containers[1].securityContext", "'privileged'")
    assert_names(impact["msg"], "k8s.seccomp_default.seccomp_impact", "nodes.node-1", "'on'")
    assert_names(pss["msg"], "Pod shop/web at items[1]", "spec.containers[1].securityContext", "'privileged'")
    assert_names(suggest["msg"], "syscalls", "'ptrace'")
    assert_names(duration["msg"], "seccomp_audit_soak=10x")
