"""Kubelet config text edits that touch only what they are about (module_utils/config_text)."""

import pytest

from ansible_collections.k8s.seccomp_default.plugins.module_utils import config_text as T
from ansible_collections.k8s.seccomp_default.plugins.module_utils import kubelet as K
from ansible_collections.k8s.seccomp_default.plugins.module_utils import kubelet_config as KC

HEADER = "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"


def edit(text, change):
    lines = T.YamlLines(text)
    change(lines)
    return lines.text()


def test_unsorted_keys_get_the_new_key_last_and_a_missing_final_newline_stays_missing():
    text = HEADER + "port: 10250\naddress: 0.0.0.0  # all interfaces"
    assert edit(text, lambda lines: lines.set_top("seccompDefault", True)) == \
        HEADER + "port: 10250\naddress: 0.0.0.0  # all interfaces\nseccompDefault: true"


def test_a_value_is_replaced_in_place_with_its_comment_and_quotes_of_the_key_kept():
    text = HEADER + '"seccompDefault": false   # off for now\n'
    assert edit(text, lambda lines: lines.set_top("seccompDefault", True)) == HEADER + '"seccompDefault": true   # off for now\n'


def test_a_one_line_flow_map_is_edited_in_its_style():
    text = HEADER + "featureGates: {RotateKubeletServerCertificate: true}  # gates\n"
    added = edit(text, lambda lines: lines.set_child("featureGates", "SeccompDefault", True))
    assert added == HEADER + "featureGates: {RotateKubeletServerCertificate: true, SeccompDefault: true}  # gates\n"
    assert edit(added, lambda lines: lines.remove_child("featureGates", "SeccompDefault")) == text


def test_tab_free_children_keep_their_indentation():
    text = HEADER + "featureGates:\n    A: true\n    # B: false\nport: 1\n"
    assert edit(text, lambda lines: lines.set_child("featureGates", "SeccompDefault", False)) == \
        HEADER + "featureGates:\n    A: true\n    SeccompDefault: false\n    # B: false\nport: 1\n"


def test_shapes_that_cannot_be_edited_safely_are_refused_with_the_file_named():
    text = HEADER + "featureGates:\n  SeccompDefault: |\n    true\n"
    with pytest.raises(K.KubeletConfigError) as error:
        KC.plan(dict(version="1.29.1", config="/var/lib/kubelet/config.yaml", config_text=text, config_dir=None,
                     drop_ins=[], env_files=[], kubeadm=False, patches_dir="/p", drop_in_name="90-x.conf",
                     environment={}), method="in_place")
    assert "/var/lib/kubelet/config.yaml" in str(error.value)


def test_json_without_indentation_stays_on_one_line():
    assert T.json_edit('{"kind":"KubeletConfiguration"}', lambda d: d.update(seccompDefault=True)) == \
        '{"kind": "KubeletConfiguration", "seccompDefault": true}'
