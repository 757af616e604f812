"""plugin_utils.filters: what a playbook author sees when a filter is given input it cannot use."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.k8s.seccomp_default.plugins.module_utils.errors import InputError
from ansible_collections.k8s.seccomp_default.plugins.plugin_utils.filters import filter_errors


@filter_errors("example")
def example(value):
    if value == "input":
        raise InputError("is not a mapping", path="default/web", field="spec", value="x")
    if value == "bug":
        return "x".get("y")
    if value == "filter":
        raise AnsibleFilterError("already said")
    return value


def test_input_errors_name_the_filter_object_field_and_value():
    with pytest.raises(AnsibleFilterError) as raised:
        example("input")
    assert str(raised.value) == "k8s.seccomp_default.example: default/web: spec: is not a mapping (found string 'x')"


def test_anything_else_is_a_filter_error_that_says_it_is_a_bug():
    with pytest.raises(AnsibleFilterError) as raised:
        example("bug")
    assert "k8s.seccomp_default.example: unexpected input (AttributeError" in str(raised.value)
    assert "this is a bug" in str(raised.value)


def test_filter_errors_pass_through_and_good_input_is_untouched():
    with pytest.raises(AnsibleFilterError, match="^already said$"):
        example("filter")
    assert example({"a": 1}) == {"a": 1}
