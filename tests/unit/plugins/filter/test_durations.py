import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.k8s.seccomp_default.plugins.filter.duration_seconds import duration_seconds


@pytest.mark.parametrize("value, expected", [
    (0, 0), (45, 45), ("45", 45), ("90s", 90), ("10m", 600), ("2h", 7200), (" 5 m ", 300), ("0s", 0),
])
def test_accepted_durations(value, expected):
    assert duration_seconds(value) == expected


@pytest.mark.parametrize("value", ["10x", "m", "-5", "1.5m", "", True, -3, "10 minutes"])
def test_refused_durations_name_the_variable_and_the_valid_forms(value):
    with pytest.raises(AnsibleFilterError) as exc:
        duration_seconds(value, "seccomp_enforce_watch")
    assert str(exc.value).startswith("seccomp_enforce_watch=%s " % value)
    assert "seconds" in str(exc.value)
