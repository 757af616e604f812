"""galaxy.yml says the version the changelog last released, and the repository holds no run output."""

import os
import subprocess

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _version(text):
    return tuple(int(part) for part in text.split("."))


def test_galaxy_version_is_the_changelogs_latest_release():
    with open(os.path.join(ROOT, "galaxy.yml")) as handle:
        galaxy = yaml.safe_load(handle)
    with open(os.path.join(ROOT, "changelogs", "changelog.yaml")) as handle:
        releases = yaml.safe_load(handle)["releases"]
    assert releases, "changelogs/changelog.yaml has no release"
    assert galaxy["version"] == max(releases, key=_version)


def test_no_run_output_is_committed():
    if not os.path.isdir(os.path.join(ROOT, ".git")):
        return  # an installed copy has no history to look at
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    output = [path for path in tracked if path.split("/")[0] in ("seccomp-rollout-report", "demo-output", "bench-output")]
    assert output == []
