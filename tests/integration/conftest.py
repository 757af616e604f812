"""Lab fleets for the integration tests (root, namespaces, runc)."""

import copy
import os

import pytest

from tests.lab import fleet


@pytest.fixture(scope="module")
def make_fleet():
    """Create fleets from descriptions; destroy them all when the module's tests are done."""
    names = []

    def create(description):
        description = copy.deepcopy(description)
        names.append(description["name"])
        return fleet.create(description)
    yield create
    for name in names:
        fleet.destroy(name)


@pytest.fixture(scope="session", autouse=True)
def nothing_left_behind():
    """After every lab test: no process, mount or cgroup of a destroyed fleet is left."""
    yield
    if fleet.list_fleets() or not os.path.isdir(fleet.LAB_ROOT):
        return
    left = fleet.leftovers()
    assert not any(left.values()), "the lab left things behind: %s" % left
