"""The collection as users get it: the artifact `ansible-galaxy collection build` makes, installed with
`ansible-galaxy collection install` into a collections path of its own (SECCOMP_INSTALLED, `make installed`).

Nothing here reads the checkout's collection: ANSIBLE_COLLECTIONS_PATH and PYTHONPATH name the installed copy only,
and the commands run outside the checkout. A file missing from the artifact, or a build_ignore that drops something
needed, fails here: every module, filter and role must render with ansible-doc from the installed copy, a molecule
scenario must run the rollout from it, and `make demo`'s whole run must pass with it.
"""

import glob
import json
import os
import subprocess
import sys

import pytest

from lib.ansible_run import COLLECTION, INSTALLED, ROOT

pytestmark = pytest.mark.skipif(not INSTALLED, reason="run by `make installed`, with SECCOMP_INSTALLED")
BIN = os.path.dirname(sys.executable)


def installed_env(**extra):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=INSTALLED, PYTHONPATH=INSTALLED, ANSIBLE_NOCOLOR="1", NO_COLOR="1",
               PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    env.update(extra)
    return env


def names(pattern):
    """The plugins of the checkout, by name: what the installed copy must have too."""
    return sorted(os.path.splitext(os.path.basename(path))[0] for path in glob.glob(os.path.join(ROOT, pattern))
                  if not os.path.basename(path).startswith("__"))


def test_the_installed_copy_is_the_built_artifact_not_the_checkout():
    assert os.path.realpath(COLLECTION) != os.path.realpath(ROOT) and not os.path.islink(COLLECTION)
    with open(os.path.join(COLLECTION, "MANIFEST.json")) as handle:
        manifest = json.load(handle)["collection_info"]
    assert (manifest["namespace"], manifest["name"]) == ("k8s", "seccomp_default")
    for left_out in ("tools", "benchmarks", "Makefile", "demo-output", ".build"):
        assert not os.path.exists(os.path.join(COLLECTION, left_out)), left_out


@pytest.mark.parametrize("kind, pattern", [("module", "plugins/modules/*.py"), ("filter", "plugins/filter/*.py"),
                                           ("role", "roles/*/meta/argument_specs.yml")])
def test_every_module_filter_and_role_renders_with_ansible_doc(kind, pattern, tmp_path):
    wanted = names(pattern) if kind != "role" else sorted(path.split(os.sep)[-3] for path in glob.glob(os.path.join(ROOT, pattern)))
    assert wanted
    for name in wanted:
        run = subprocess.run([os.path.join(BIN, "ansible-doc"), "-t", kind, "k8s.seccomp_default." + name],
                             cwd=str(tmp_path), env=installed_env(), capture_output=True, text=True, check=False, timeout=300)
        assert run.returncode == 0 and "k8s.seccomp_default." + name in run.stdout, (name, run.stdout[-2000:], run.stderr[-2000:])
        # ansible-core 2.21's ansible-doc -t role warns about its own internal _protomatter collection: not ours.
        complaints = [line for line in run.stderr.splitlines()
                      if ("[WARNING]" in line or "[ERROR]" in line) and "/ansible/_internal/ansible_collections/" not in line]
        assert not complaints, (name, complaints)


def test_a_molecule_scenario_runs_the_rollout_from_the_installed_copy():
    run = subprocess.run([os.path.join(BIN, "molecule"), "test", "-s", "rollout"], cwd=os.path.join(COLLECTION, "extensions"),
                         env=installed_env(), capture_output=True, text=True, timeout=1800, check=False)
    assert run.returncode == 0, (run.stdout + run.stderr)[-6000:]
    assert "rollout > verify: Executed: Successful" in run.stdout + run.stderr


def test_the_demo_runs_from_the_installed_copy(tmp_path):
    run = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "demo.py")], cwd=str(tmp_path),
                         env=installed_env(DEMO_OUTPUT=str(tmp_path / "demo-output")), capture_output=True, text=True,
                         timeout=1800, check=False)
    assert run.returncode == 0, (run.stdout + run.stderr)[-6000:]
    assert (tmp_path / "demo-output" / "report-page.png").exists()
