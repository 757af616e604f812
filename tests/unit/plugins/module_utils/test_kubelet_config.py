"""Version-aware kubelet configuration: the gate matrix (docs/kubernetes-facts.md#seccompdefault-gate-lifecycle),
merge rules and file edits (docs/kubernetes-facts.md#kubelet-config-files-and-drop-ins)."""

import pytest

from ansible_collections.k8s.seccomp_default.plugins.module_utils import kubelet as K
from ansible_collections.k8s.seccomp_default.plugins.module_utils import kubelet_config as KC

HEADER = "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
BASE = ("# Kubelet configuration, written by hand\n" + HEADER +
        "cgroupDriver: systemd   # must match the runtime\nfeatureGates:\n  RotateKubeletServerCertificate: true\n"
        "healthzPort: 10248\n")
STALE = BASE.replace("  RotateKubeletServerCertificate: true\n", "  RotateKubeletServerCertificate: true\n  SeccompDefault: true\n")


def layout(version, config_text=BASE, **extra):
    data = dict(version=version, config="/etc/kubernetes/kubelet-config.yaml", config_text=config_text,
                config_dir=None, drop_ins=[], env_files=[], kubeadm=False, patches_dir="/etc/kubernetes/patches",
                drop_in_name="90-seccomp-default.conf", environment={})
    data.update(extra)
    return data


def writes(plan):
    return dict((path, None if data is None else data.decode()) for path, data in plan["writes"])


@pytest.mark.parametrize("version, stage, default, locked", [
    ("1.22.0", "alpha", False, False), ("v1.24.17", "alpha", False, False),    # 1: alpha 1.22-1.24, default false
    ("1.25.0", "beta", True, False), ("1.26.15", "beta", True, False),         # 1: beta 1.25-1.26, default true
    ("Kubernetes v1.27.3", "ga", True, True), ("1.28.15", "ga", True, True),  # 1: GA locked 1.27-1.28
    ("1.29.0", "removed", None, False), ("1.34.1", "removed", None, False),    # 1: removed 1.29+
])
def test_gate_stages(version, stage, default, locked):
    found = K.gate_stage(version)
    assert (found["stage"], found["default"], found["locked"]) == (stage, default, locked)


def test_versions_before_122_are_refused():
    with pytest.raises(K.KubeletConfigError, match="1.21.14 is not supported: SeccompDefault first exists in 1.22"):
        K.gate_stage("v1.21.14")
    with pytest.raises(K.KubeletConfigError, match="not a Kubernetes version"):
        K.parse_version("latest")


@pytest.mark.parametrize("version, gate, seccomp, error", [
    ("1.23.0", None, True, "the SeccompDefault feature gate must be enabled in order to use the SeccompDefault configuration"),
    ("1.23.0", True, True, None),
    ("1.23.0", None, False, None),                       # gate without seccompDefault: silently a no-op
    ("1.26.0", False, True, "the SeccompDefault feature gate must be enabled"),
    ("1.26.0", None, True, None),
    ("1.27.0", False, False, "cannot set feature gate SeccompDefault to false, feature is locked to true"),
    ("1.28.0", True, True, None),
    ("1.29.0", True, False, "failed to set feature gates from initial flags-based config: unrecognized feature gate: SeccompDefault"),
    ("1.33.0", False, True, "unrecognized feature gate: SeccompDefault"),
    ("1.33.0", None, True, None),
])
def test_the_kubelet_errors_are_predicted(version, gate, seccomp, error):
    found = K.gate_error(version, gate, seccomp)
    if error is None:
        assert found is None
    else:
        assert error in found


def test_merge_patch_is_rfc7386():
    base = {"a": 1, "featureGates": {"X": True, "SeccompDefault": True}, "list": [1, 2]}
    patch = {"featureGates": {"Y": False}, "list": [3], "a": None}
    assert K.merge_patch(base, patch) == {"featureGates": {"X": True, "SeccompDefault": True, "Y": False}, "list": [3]}


def test_drop_ins_are_every_dot_conf_file_in_the_kubelets_walk_order():
    # filepath.WalkDir: lexical, depth first; filepath.Ext(name) == ".conf" takes hidden files and subdirectories too.
    assert K.drop_in_names(["20-b.conf", "10-a.conf", "x.yaml", "99.conf.bak", ".hidden.conf", "05-c.conf",
                            "15/z.conf", "15/a.txt", "15.conf", ".conf"]) == [
        ".conf", ".hidden.conf", "05-c.conf", "10-a.conf", "15/z.conf", "15.conf", "20-b.conf"]


def test_the_drop_in_directory_is_walked_into_subdirectories(tmp_path):
    (tmp_path / "10-a.conf").write_text("a")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.conf").write_text("x")
    (tmp_path / ".hidden.conf").write_text("h")
    listing = K.list_drop_in_dir(str(tmp_path), lambda path: open(path).read())
    assert listing == [(".hidden.conf", "h"), ("10-a.conf", "a"), ("sub/x.conf", "x")]


@pytest.mark.parametrize("version, alpha_env, supported", [
    ("1.27.0", True, False), ("1.28.0", False, False), ("1.28.0", True, True), ("1.29.9", True, True),
    ("1.30.0", False, True),
])
def test_drop_ins_need_the_alpha_variable_on_128_129(version, alpha_env, supported):
    env = {K.DROP_IN_ALPHA_ENV: "on"} if alpha_env else {}
    assert K.drop_ins_supported(version, env) is supported


def test_alpha_in_place_adds_the_gate_and_keeps_comments_and_order():
    plan = KC.plan(layout("1.23.17"), method="in_place")
    text = writes(plan)["/etc/kubernetes/kubelet-config.yaml"]
    assert text == BASE.replace("  RotateKubeletServerCertificate: true\n",
                                "  RotateKubeletServerCertificate: true\n  SeccompDefault: true\n")
    assert plan["gate_before"] is None and plan["gate_after"] is True


def test_beta_and_ga_need_nothing():
    for version in ("1.25.0", "1.26.15", "1.27.1", "1.28.15"):
        assert KC.plan(layout(version), method="in_place")["writes"] == []


def test_ga_tolerates_a_true_gate_but_removes_a_false_one():
    assert KC.plan(layout("1.27.0", STALE), method="in_place")["writes"] == []
    plan = KC.plan(layout("1.28.0", STALE.replace("SeccompDefault: true", "SeccompDefault: false")), method="in_place")
    assert "SeccompDefault" not in writes(plan)["/etc/kubernetes/kubelet-config.yaml"]


def test_beta_turns_a_false_gate_on():
    plan = KC.plan(layout("1.26.0", STALE.replace("SeccompDefault: true", "SeccompDefault: false")), method="in_place")
    assert "SeccompDefault: true" in writes(plan)["/etc/kubernetes/kubelet-config.yaml"]


def test_removed_gate_goes_from_base_file_and_every_drop_in_and_the_flags():
    drop = HEADER + "featureGates:\n  SeccompDefault: true\n  Other: false\n"
    plan = KC.plan(layout("1.30.2", STALE, config_dir="/etc/kubernetes/kubelet.conf.d", drop_ins=[("50-x.conf", drop)],
                          env_files=[("/etc/default/kubelet",
                                      'KUBELET_EXTRA_ARGS="--v=2 --feature-gates=SeccompDefault=true,Foo=false"\n')]),
                   method="drop_in")
    found = writes(plan)
    assert found["/etc/kubernetes/kubelet-config.yaml"] == BASE
    assert found["/etc/kubernetes/kubelet.conf.d/50-x.conf"] == HEADER + "featureGates:\n  Other: false\n"
    assert found["/etc/default/kubelet"] == 'KUBELET_EXTRA_ARGS="--v=2 --feature-gates=Foo=false"\n'
    assert "/etc/kubernetes/kubelet.conf.d/90-seccomp-default.conf" not in found  # nothing to set
    assert plan["gate_after"] is None and len(plan["removed_gate_from"]) == 3


def test_drop_in_seccomp_default_on():
    plan = KC.plan(layout("1.30.2", config_dir="/d"), seccomp_default=True, method="drop_in")
    text = writes(plan)["/d/90-seccomp-default.conf"]
    assert text.startswith(KC.MANAGED_BY) and "seccompDefault: true" in text and "featureGates" not in text
    assert plan["seccomp_default_before"] is False and plan["seccomp_default_after"] is True


def test_our_drop_in_turned_back_off_is_one_file():
    """Rollback: the drop-in we wrote already exists; it is edited, not read twice as its own later override."""
    on = writes(KC.plan(layout("1.30.2", config_dir="/d"), seccomp_default=True, method="drop_in"))["/d/90-seccomp-default.conf"]
    plan = KC.plan(layout("1.30.2", config_dir="/d", drop_ins=[("90-seccomp-default.conf", on)]), seccomp_default=False,
                   method="drop_in")
    assert plan["seccomp_default_before"] is True and plan["seccomp_default_after"] is False
    assert "seccompDefault: false" in writes(plan)["/d/90-seccomp-default.conf"]


def test_alpha_drop_in_on_128_sets_gate_too_when_seccomp_default_wanted():
    lay = layout("1.28.3", config_dir="/d", environment={K.DROP_IN_ALPHA_ENV: "1"})
    plan = KC.plan(lay, seccomp_default=True)
    assert plan["method"] == "drop_in" and "KUBELET_CONFIG_DROPIN_DIR_ALPHA" not in plan["reason"]
    assert "featureGates" not in writes(plan)["/d/90-seccomp-default.conf"]  # GA: the gate is on by default


def test_alpha_version_gets_gate_with_seccomp_default():
    plan = KC.plan(layout("1.22.5"), seccomp_default=True, method="in_place")
    text = writes(plan)["/etc/kubernetes/kubelet-config.yaml"]
    assert "SeccompDefault: true" in text and "seccompDefault: true" in text


def test_a_later_drop_in_that_overrides_us_is_an_error_naming_it():
    lay = layout("1.30.0", config_dir="/d", drop_ins=[("95-site.conf", HEADER + "seccompDefault: false\n")])
    with pytest.raises(K.KubeletConfigError, match="/d/95-site.conf sets seccompDefault: false and is applied after"):
        KC.plan(lay, seccomp_default=True, method="drop_in")


def test_in_place_with_a_drop_in_that_overrides_is_an_error():
    lay = layout("1.30.0", config_dir="/d", drop_ins=[("10-site.conf", HEADER + "seccompDefault: false\n")])
    with pytest.raises(K.KubeletConfigError, match="10-site.conf sets seccompDefault: false"):
        KC.plan(lay, seccomp_default=True, method="in_place")


def test_turning_off_removes_the_flag_too():
    lay = layout("1.30.0", BASE + "seccompDefault: true\n",
                 env_files=[("/etc/default/kubelet", 'KUBELET_EXTRA_ARGS="--seccomp-default --v=2"\n')])
    found = writes(KC.plan(lay, seccomp_default=False, method="in_place"))
    assert "seccompDefault" not in found["/etc/kubernetes/kubelet-config.yaml"]
    assert found["/etc/default/kubelet"] == 'KUBELET_EXTRA_ARGS="--v=2"\n'


def test_auto_method_and_its_reason():
    assert KC.choose_method(layout("1.30.0", config_dir="/d"))[0] == "drop_in"
    assert KC.choose_method(layout("1.28.0", config_dir="/d"))[0] == "in_place"  # no alpha variable: dir not read
    method, reason = KC.choose_method(layout("1.26.0", kubeadm=True))
    assert method == "kubeadm_patch" and "kubeadm upgrade node" in reason
    assert KC.choose_method(layout("1.26.0"))[0] == "in_place"
    with pytest.raises(K.KubeletConfigError, match="without --config"):
        KC.choose_method(layout("1.26.0", config=None, config_text=None))


def test_kubeadm_patch_deletes_with_null():
    plan = KC.plan(layout("1.30.0", STALE, kubeadm=True), method="kubeadm_patch")
    patch = writes(plan)["/etc/kubernetes/patches/" + KC.KUBEADM_PATCH_NAME]
    assert patch.endswith("featureGates:\n  SeccompDefault: null\n")


@pytest.mark.parametrize("text, message", [
    ("apiVersion: [unclosed", "/etc/kubernetes/kubelet-config.yaml: not valid YAML"),
    ("apiVersion: kubelet.config.k8s.io/v1\nkind: KubeletConfiguration\n", "apiVersion is 'kubelet.config.k8s.io/v1'; expected"),
    (HEADER + "seccompDefault: 'yes'\n", "seccompDefault is 'yes'; expected true or false"),
    (HEADER + "featureGates:\n  SeccompDefault: maybe\n", "featureGates.SeccompDefault is 'maybe'"),
    (HEADER + "healthzPort: ten\n", "healthzPort is 'ten'; expected a port number"),
    ("- a list\n", "must be a YAML map"),
])
def test_bad_files_are_named_with_field_and_value(text, message):
    with pytest.raises(K.KubeletConfigError) as error:
        KC.plan(layout("1.30.0", text), seccomp_default=True, method="in_place")
    assert message in str(error.value)


def test_a_missing_config_file_is_an_error():
    with pytest.raises(K.KubeletConfigError, match="does not exist"):
        KC.plan(layout("1.30.0", None), method="in_place")


def test_env_flags_are_edited_word_by_word():
    text = '# comment\nKUBELET_KUBEADM_ARGS="--a=b --feature-gates SeccompDefault=true --seccomp-default"\nOTHER=x\n'
    assert K.edit_env_flags(text, remove_gate=True, remove_seccomp_default=True) == \
        '# comment\nKUBELET_KUBEADM_ARGS="--a=b"\nOTHER=x\n'
    assert K.edit_env_flags(text) == text


def test_rollback_removes_the_gate_stage_1_added_on_alpha_and_gives_back_the_original_bytes():
    on = writes(KC.plan(layout("1.23.17"), seccomp_default=True, method="in_place"))["/etc/kubernetes/kubelet-config.yaml"]
    plan = KC.plan(layout("1.23.17", on), seccomp_default=False, method="in_place", remove_gate=True)
    text = writes(plan)["/etc/kubernetes/kubelet-config.yaml"]
    assert text == BASE  # stage 1's gate and seccompDefault both gone: the operator's file as it was
    assert plan["gate_before"] is True and plan["gate_after"] is None
    # without remove_gate the gate stays: harmless alone, and not ours to remove unless stage 1 added it
    kept = writes(KC.plan(layout("1.23.17", on), seccomp_default=False, method="in_place"))["/etc/kubernetes/kubelet-config.yaml"]
    assert "SeccompDefault: true" in kept


def test_remove_gate_leaves_later_versions_as_their_rules_want_and_needs_seccomp_default_off():
    assert KC.plan(layout("1.27.0", STALE), seccomp_default=False, method="in_place", remove_gate=True)["gate_after"] is True
    with pytest.raises(K.KubeletConfigError, match="remove_gate needs seccomp_default=false: kubelet 1.23.17"):
        KC.plan(layout("1.23.17"), seccomp_default=True, method="in_place", remove_gate=True)


# kubespray's kubelet.env: KUBELET_ARGS continues over several lines with a trailing backslash.
KUBESPRAY_ENV = ('KUBE_LOG_LEVEL="--v=2"\n'
                 'KUBELET_ARGS="--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf \\\n'
                 '--config=/etc/kubernetes/kubelet-config.yaml \\\n'
                 '--feature-gates=SeccompDefault=true \\\n'
                 '--kubeconfig=/etc/kubernetes/kubelet.conf \\\n'
                 '--seccomp-default"\n'
                 'KUBELET_CLOUDPROVIDER=""\n')


def test_multi_line_env_variables_are_read_and_edited_where_the_words_are():
    assert K.env_flag_words(KUBESPRAY_ENV) == [
        "--v=2", "--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf",
        "--config=/etc/kubernetes/kubelet-config.yaml", "--feature-gates=SeccompDefault=true",
        "--kubeconfig=/etc/kubernetes/kubelet.conf", "--seccomp-default"]
    edited = K.edit_env_flags(KUBESPRAY_ENV, remove_gate=True, remove_seccomp_default=True)
    assert edited == ('KUBE_LOG_LEVEL="--v=2"\n'
                      'KUBELET_ARGS="--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf \\\n'
                      '--config=/etc/kubernetes/kubelet-config.yaml \\\n'
                      '--kubeconfig=/etc/kubernetes/kubelet.conf \\\n'
                      '"\n'
                      'KUBELET_CLOUDPROVIDER=""\n')
    assert K.parse_env_file(edited)["KUBELET_ARGS"].split() == [
        "--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf", "--config=/etc/kubernetes/kubelet-config.yaml",
        "--kubeconfig=/etc/kubernetes/kubelet.conf"]


def test_a_gate_among_others_is_cut_out_of_its_word_only():
    text = "KUBELET_EXTRA_ARGS='--node-labels=a=b --feature-gates A=true,SeccompDefault=true,B=false'\n"
    assert K.edit_env_flags(text, remove_gate=True) == \
        "KUBELET_EXTRA_ARGS='--node-labels=a=b --feature-gates A=true,B=false'\n"
    escaped = 'KUBELET_EXTRA_ARGS="--x=\\"q\\" --seccomp-default=\\"true\\""\n'
    # The flag is not written as the kubelet gets it: the variable is written anew, with the same words.
    edited = K.edit_env_flags(escaped, remove_seccomp_default=True)
    assert edited == 'KUBELET_EXTRA_ARGS="--x=q"\n' and K.env_flag_words(edited) == K.env_flag_words(escaped)[:1]


# EKS AL2's /etc/kubernetes/kubelet/kubelet-config.json (amazon-eks-ami templates/al2/runtime), edited with jq by
# bootstrap.sh: it must stay JSON, in its key order and indentation.
EKS_JSON = """{
  "kind": "KubeletConfiguration",
  "apiVersion": "kubelet.config.k8s.io/v1beta1",
  "address": "0.0.0.0",
  "authentication": {
    "anonymous": {
      "enabled": false
    }
  },
  "featureGates": {
    "RotateKubeletServerCertificate": true
  },
  "serverTLSBootstrap": true
}
"""


def test_a_json_config_is_edited_as_json_in_its_own_style():
    plan = KC.plan(layout("1.30.4", EKS_JSON, config="/etc/kubernetes/kubelet/kubelet-config.json"),
                   seccomp_default=True, method="in_place")
    text = writes(plan)["/etc/kubernetes/kubelet/kubelet-config.json"]
    assert text == EKS_JSON.replace('  "serverTLSBootstrap": true\n', '  "serverTLSBootstrap": true,\n  "seccompDefault": true\n')
    back = KC.plan(layout("1.30.4", text, config="/etc/kubernetes/kubelet/kubelet-config.json"),
                   seccomp_default=False, method="in_place")
    assert writes(back)["/etc/kubernetes/kubelet/kubelet-config.json"] == EKS_JSON


def test_a_drop_in_next_to_a_json_config_is_json():
    lay = layout("1.30.4", EKS_JSON, config="/etc/kubernetes/kubelet/config.json",
                 config_dir="/etc/kubernetes/kubelet/config.json.d")
    text = writes(KC.plan(lay, seccomp_default=True, method="drop_in"))[
        "/etc/kubernetes/kubelet/config.json.d/90-seccomp-default.conf"]
    import json
    assert json.loads(text) == {"apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration",
                                "seccompDefault": True}


COMMENTED = (HEADER + "featureGates:\n  RotateKubeletServerCertificate: true\n  SeccompDefault: true\n"
             "# the kubelet's health endpoint, scraped by the node exporter\nhealthzPort: 10248\n")


def test_removing_the_gate_keeps_the_next_keys_comment():
    plan = KC.plan(layout("1.29.4", COMMENTED), method="in_place")  # 1.29 refuses the gate: it is removed
    assert writes(plan)["/etc/kubernetes/kubelet-config.yaml"] == COMMENTED.replace("  SeccompDefault: true\n", "")


def test_a_gate_added_lands_under_its_map_not_under_another_keys_comment():
    text = (HEADER + "# the runtime's cgroup driver\ncgroupDriver: systemd\n"
            "# health endpoint\nhealthzPort: 10248\n")
    out = writes(KC.plan(layout("1.23.17", text), seccomp_default=True, method="in_place"))[
        "/etc/kubernetes/kubelet-config.yaml"]
    # kubeadm writes the keys sorted, so the new ones go where they sort, above the comment of the key after them.
    assert out == (HEADER + "# the runtime's cgroup driver\ncgroupDriver: systemd\n"
                   "featureGates:\n  SeccompDefault: true\n"
                   "# health endpoint\nhealthzPort: 10248\nseccompDefault: true\n")


def test_kubeadm_before_1_25_says_the_patch_does_not_keep_the_change():
    plan = KC.plan(layout("1.24.17", kubeadm=True), seccomp_default=True, method="kubeadm_patch")
    assert plan["lasting"]["survives"] is False
    assert "kubeadm 1.24.17 has no kubeletconfiguration patch target" in plan["lasting"]["note"]
    assert "kube-system/kubelet-config" in plan["lasting"]["note"]
    # kubeadm is upgraded before the kubelet: a 1.25 kubeadm applies the patch.
    newer = KC.plan(layout("1.24.17", kubeadm=True, kubeadm_version="v1.25.16"), seccomp_default=True,
                    method="kubeadm_patch")
    assert newer["lasting"]["survives"] is True and "--patches /etc/kubernetes/patches" in newer["lasting"]["note"]


@pytest.mark.parametrize("name, text, message", [
    ("kubeletconfiguration99+merge.yaml", "seccompDefault: false\n", "sets seccompDefault to false"),
    ("site/kubeletconfiguration+strategic.json", '{"featureGates": {"SeccompDefault": false}}',
     "sets featureGates.SeccompDefault to false"),
    ("kubeletconfigurationzz+json.yaml", "- op: remove\n  path: /seccompDefault\n", "sets seccompDefault to null"),
])
def test_a_site_patch_applied_after_ours_that_undoes_it_is_refused(name, text, message):
    with pytest.raises(K.KubeletConfigError) as error:
        KC.plan(layout("1.30.4", kubeadm=True, patches=[(name, text)]), seccomp_default=True, method="kubeadm_patch")
    assert "/etc/kubernetes/patches/" + name in str(error.value) and message in str(error.value)


def test_patches_before_ours_or_about_other_fields_are_fine():
    patches = [("kubeletconfiguration0+merge.yaml", "seccompDefault: false\n"),
               ("kubeletconfiguration99+merge.yaml", "maxPods: 200\n"), ("etcd+merge.yaml", "seccompDefault: false\n")]
    plan = KC.plan(layout("1.30.4", kubeadm=True, patches=patches), seccomp_default=True, method="kubeadm_patch")
    assert plan["seccomp_default_after"] is True
    assert [name for name, _type in KC.kubeadm_patch_files([n for n, _t in patches] + [KC.KUBEADM_PATCH_NAME])] == [
        "kubeletconfiguration0+merge.yaml", KC.KUBEADM_PATCH_NAME, "kubeletconfiguration99+merge.yaml"]
