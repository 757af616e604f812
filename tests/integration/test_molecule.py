"""The molecule scenarios under extensions/molecule: create a lab fleet, then check mode, converge, idempotence and
verify (stage1, rollout), or a fault injected into a real rollout and the re-run that resumes it (fault_*)."""

import os
import subprocess
import sys

import pytest
import yaml

from lib.ansible_run import ROOT
from lib.lab import needs_lab

pytestmark = needs_lab
SCENARIOS = sorted(name for name in os.listdir(os.path.join(ROOT, "extensions", "molecule"))
                   if os.path.exists(os.path.join(ROOT, "extensions", "molecule", name, "molecule.yml")))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_molecule_scenario(scenario):
    bin_dir = os.path.dirname(sys.executable)
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""), ANSIBLE_NOCOLOR="1",
               NO_COLOR="1", ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"))
    run = subprocess.run([os.path.join(bin_dir, "molecule"), "test", "-s", scenario], cwd=os.path.join(ROOT, "extensions"),
                         env=env, capture_output=True, text=True, timeout=1800, check=False)
    assert run.returncode == 0, (run.stdout + run.stderr)[-6000:]
    with open(os.path.join(ROOT, "extensions", "molecule", scenario, "molecule.yml")) as handle:
        sequence = yaml.safe_load(handle)["scenario"]["test_sequence"]
    for action in set(sequence):  # every step of the sequence really ran
        assert "%s > %s: Executed: Successful" % (scenario, action) in run.stdout + run.stderr, action
