"""node_facts.unit_state reads `systemctl show`; what it prints is parsed without trusting it."""

import pytest

from ansible_collections.k8s.seccomp_default.plugins.module_utils import errors, node_facts


def answer(text):
    return lambda argv: (0, text, "")


def test_a_unit_as_systemd_prints_it():
    state = node_facts.unit_state(answer("ActiveState=active\nSubState=running\nNRestarts=3\nMainPID=812\n"))
    assert state == dict(active_state="active", sub_state="running", n_restarts=3, main_pid=812)


@pytest.mark.parametrize("line, field", [
    ("NRestarts=lots", "NRestarts"),
    ("NRestarts=" + "9" * 5000, "NRestarts"),  # int() of 4300+ digits raises ValueError on Python 3.11+
    ("MainPID=-1", "MainPID"),
])
def test_a_count_that_is_not_systemd_s_is_named(line, field):
    with pytest.raises(errors.InputError) as raised:
        node_facts.unit_state(answer("ActiveState=active\n%s\n" % line))
    assert str(raised.value).startswith("systemctl show kubelet.service: %s: is not a count" % field)
