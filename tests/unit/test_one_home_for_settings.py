"""Each setting has one home: one role's defaults (the shared ones in roles/core), and no play sets one as a play
variable - play vars outrank inventory and group_vars, so a setting given there would not reach that play (as
seccomp_configz_client_cert did not reach rollback.yml)."""

import glob
import os

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def defaults():
    """{variable: [roles whose defaults set it]}"""
    found = {}
    for path in glob.glob(os.path.join(ROOT, "roles", "*", "defaults", "main.yml")):
        role = path.split(os.sep)[-3]
        with open(path) as handle:
            for name in yaml.safe_load(handle) or {}:
                found.setdefault(name, []).append(role)
    return found


def plays():
    for path in sorted(glob.glob(os.path.join(ROOT, "playbooks", "*.yml"))):
        with open(path) as handle:
            for play in yaml.safe_load(handle) or []:
                if "hosts" in play:
                    yield os.path.basename(path), play


def test_every_setting_has_one_home():
    assert dict((name, roles) for name, roles in defaults().items() if len(roles) > 1) == {}


def test_no_play_sets_a_setting_as_a_play_variable():
    settings = set(defaults())
    shadowed = dict(("%s: %s" % (path, play.get("name")), sorted(settings & set(play.get("vars") or {})))
                    for path, play in plays())
    assert dict((play, names) for play, names in shadowed.items() if names) == {}
    assert [path for path, play in plays() if play.get("vars_files")] == []


def test_the_shared_settings_live_in_core():
    shared = ("seccomp_state_dir", "seccomp_report_dir", "seccomp_configz_client_cert", "seccomp_configz_client_key",
              "seccomp_configz_ca_path", "seccomp_kubelet_health_timeout", "seccomp_kubelet_stable_seconds",
              "seccomp_kubeconfig", "seccomp_kubectl_host", "seccomp_kubelet_config_method")
    homes = defaults()
    assert dict((name, homes.get(name)) for name in shared) == dict((name, ["core"]) for name in shared)
