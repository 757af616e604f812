"""The crio_default_profile module on CRI-O configuration files laid out as on a node (in a scratch directory):
complain mode in, out byte for byte, check mode and diff, and the cases where it must refuse."""

import json
import os

import pytest

from lib.ansible_run import run_tasks

CRIO_CONF = """# CRI-O configuration (operator's comments stay)
[crio]

[crio.runtime]
cgroup_manager = "systemd"
conmon_cgroup = "pod"
"""


def layout(tmp_path, drop_in_text=None):
    etc = tmp_path / "etc-crio"
    (etc / "crio.conf.d").mkdir(parents=True)
    (etc / "crio.conf").write_text(CRIO_CONF)
    (etc / "crio.conf.d" / "10-registries.conf").write_text('[crio.image]\npause_image = "registry.k8s.io/pause:3.9"\n')
    drop_in = etc / "crio.conf.d" / "99-k8s-seccomp-default.conf"
    if drop_in_text is not None:
        drop_in.write_text(drop_in_text)
    profile = tmp_path / "default-audit.json"
    profile.write_text(json.dumps({"defaultAction": "SCMP_ACT_LOG", "syscalls": []}))
    return dict(config=str(etc / "crio.conf"), drop_in=str(drop_in), state_dir=str(tmp_path / "state"), reload=False), \
        str(profile), etc


def snapshot(etc):
    return dict((str(path), path.read_bytes()) for path in sorted(etc.rglob("*")) if path.is_file())


def crio(tmp_path, options, **kwargs):
    return run_tasks(tmp_path, [{"k8s.seccomp_default.crio_default_profile": options}], **kwargs).results[0]


def test_in_and_out_of_complain_mode_byte_for_byte(tmp_path):
    options, profile, etc = layout(tmp_path)
    before = snapshot(etc)
    checked = crio(tmp_path, dict(options, profile=profile), check=True, diff=True)
    assert checked["changed"] is True and snapshot(etc) == before
    assert 'seccomp_profile = "%s"' % profile in checked["diff"]["after"]
    entered = crio(tmp_path, dict(options, profile=profile))
    assert entered["changed"] is True and entered["seccomp_profile"] == profile
    assert entered["seccomp_profile_source"] == options["drop_in"]
    assert crio(tmp_path, dict(options, profile=profile))["changed"] is False  # idempotent
    left = crio(tmp_path, dict(options, state="absent"))
    assert left["changed"] is True and left["restored"] == "removed" and snapshot(etc) == before
    again = crio(tmp_path, dict(options, state="absent"))
    assert again["changed"] is False and again["restored"] == "nothing"


def test_an_existing_drop_in_is_kept_and_put_back(tmp_path):
    mine = "# ours, with a comment\n[crio.runtime]\npids_limit = 2048  # keep\n"
    options, profile, etc = layout(tmp_path, mine)
    before = snapshot(etc)
    crio(tmp_path, dict(options, profile=profile))
    text = open(options["drop_in"]).read()
    assert "pids_limit = 2048  # keep" in text and "# ours, with a comment" in text and profile in text
    left = crio(tmp_path, dict(options, state="absent"))
    assert left["restored"] == "content" and snapshot(etc) == before


def test_the_drop_in_keeps_its_mode_and_owner_in_and_out(tmp_path):
    options, profile, etc = layout(tmp_path, "[crio.runtime]\npids_limit = 2048\n")
    os.chmod(options["drop_in"], 0o600)
    os.chown(options["drop_in"], 1234, 4321)
    crio(tmp_path, dict(options, profile=profile))
    assert ownership(options["drop_in"]) == (0o600, 1234, 4321)
    crio(tmp_path, dict(options, state="absent"))
    assert ownership(options["drop_in"]) == (0o600, 1234, 4321)


def ownership(path):
    stat = os.stat(path)
    return stat.st_mode & 0o7777, stat.st_uid, stat.st_gid


# CRI-O applies every file of crio.conf.d by name, with or without .conf (OpenShift's is crio.conf.d/00-default).
@pytest.mark.parametrize("name", ["zz-site.conf", "zz-site"])
def test_a_later_file_that_wins_is_named_and_nothing_is_written(tmp_path, name):
    options, profile, etc = layout(tmp_path)
    (etc / "crio.conf.d" / name).write_text('[crio.runtime]\nseccomp_profile = "/etc/site.json"\n')
    before = snapshot(etc)
    result = crio(tmp_path, dict(options, profile=profile))
    assert result["failed"] is True and snapshot(etc) == before
    assert "%s sets [crio.runtime] seccomp_profile = '/etc/site.json'" % name in result["msg"]


def test_bad_toml_and_missing_profiles_are_named(tmp_path):
    options, profile, etc = layout(tmp_path)
    (etc / "crio.conf.d" / "10-registries.conf").write_text("[crio.image\npause_image = 1\n")
    result = crio(tmp_path, dict(options, profile=profile))
    assert result["failed"] is True and "10-registries.conf is not valid TOML" in result["msg"]
    result = crio(tmp_path, dict(options, profile=str(tmp_path / "missing.json")))
    assert result["failed"] is True and "missing.json does not exist" in result["msg"]
    assert not os.path.exists(options["drop_in"])
