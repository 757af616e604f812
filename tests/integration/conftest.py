"""Lab fleets for the integration tests (root, namespaces, runc)."""

import copy

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
