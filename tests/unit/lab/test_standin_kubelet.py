"""The lab's stand-in kubelet starts, or refuses to, as docs/kubernetes-facts.md#seccompdefault-gate-lifecycle and
docs/kubernetes-facts.md#kubelet-config-files-and-drop-ins document for each version.

It is the oracle the collection is tested against, so its rules are checked here on their own.
"""

import pytest

from tests.lab import kubelet as standin

HEADER = "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"


@pytest.fixture
def start(tmp_path, monkeypatch):
    def run(version, config=None, argv=(), drop_ins=None, env=None):
        monkeypatch.setenv("LAB_KUBELET_VERSION", version)
        monkeypatch.delenv("KUBELET_CONFIG_DROPIN_DIR_ALPHA", raising=False)
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        args = ["--root-dir=%s" % tmp_path] + list(argv)
        if config is not None:
            (tmp_path / "config.yaml").write_text(HEADER + config)
            args.append("--config=%s" % (tmp_path / "config.yaml"))
        if drop_ins is not None:
            (tmp_path / "conf.d").mkdir(exist_ok=True)
            for name, text in drop_ins.items():
                (tmp_path / "conf.d" / name).write_text(text)
            args.append("--config-dir=%s" % (tmp_path / "conf.d"))
        return standin.start(args)
    return run


def refused(start, *args, **kwargs):
    with pytest.raises(standin.Fatal) as error:
        start(*args, **kwargs)
    return str(error.value)


def test_alpha_needs_the_gate_for_the_field_and_the_flag(start):
    assert refused(start, "1.23.17", "seccompDefault: true\n") == \
        "the SeccompDefault feature gate must be enabled in order to use the SeccompDefault configuration"
    assert refused(start, "1.24.0", "", ["--seccomp-default"]) == \
        "the SeccompDefault feature gate must be enabled in order to use the --seccomp-default flag"
    assert start("1.23.17", "seccompDefault: true\nfeatureGates:\n  SeccompDefault: true\n")[2] is True
    assert start("1.22.0", "", ["--feature-gates=SeccompDefault=true", "--seccomp-default"])[2] is True


def test_gate_without_field_is_silently_inactive(start):
    assert start("1.23.0", "featureGates:\n  SeccompDefault: true\n")[2] is False


def test_beta_default_on_and_off_when_set_false(start):
    assert start("1.25.0", "seccompDefault: true\n")[2] is True
    assert "must be enabled" in refused(start, "1.26.0", "seccompDefault: true\nfeatureGates:\n  SeccompDefault: false\n")


def test_ga_locked(start):
    assert start("1.27.0", "featureGates:\n  SeccompDefault: true\n")[2] is False
    assert refused(start, "1.28.0", "featureGates:\n  SeccompDefault: false\n") == \
        "failed to set feature gates from initial flags-based config: cannot set feature gate SeccompDefault to false, " \
        "feature is locked to true"


def test_removed_gate_is_fatal_in_config_drop_in_and_flag(start):
    assert refused(start, "1.29.0", "featureGates:\n  SeccompDefault: true\n") == \
        "failed to set feature gates from initial flags-based config: unrecognized feature gate: SeccompDefault"
    assert "unrecognized feature gate: SeccompDefault" in refused(
        start, "1.30.0", "", drop_ins={"10-x.conf": HEADER + "featureGates:\n  SeccompDefault: false\n"})
    assert refused(start, "1.33.0", "", ["--feature-gates=SeccompDefault=true"]).startswith(
        'failed to parse kubelet flag: invalid argument "SeccompDefault=true" for "--feature-gates" flag: '
        "unrecognized feature gate: SeccompDefault")


def test_flag_or_config(start):
    assert start("1.30.0", "seccompDefault: false\n", ["--seccomp-default"])[2] is True
    assert start("1.30.0", "seccompDefault: true\n", ["--seccomp-default=false"])[2] is True


def test_drop_ins_merge_in_lexical_order_only_dot_conf(start):
    flags, config, on = start("1.30.0", "seccompDefault: false\nhealthzPort: 1\n", drop_ins={
        "20-b.conf": HEADER + "seccompDefault: true\n",
        "10-a.conf": HEADER + "seccompDefault: false\nhealthzPort: 2\n",
        "30-c.yaml": HEADER + "seccompDefault: false\n",
        "40-d.conf.bak": HEADER + "healthzPort: 4\n",
    })
    assert on is True and config["healthzPort"] == 2


def test_drop_in_maps_merge_per_key(start):
    _flags, config, _on = start("1.30.0", "featureGates:\n  A: true\n",
                                drop_ins={"10.conf": HEADER + "featureGates:\n  B: false\n"})
    assert config["featureGates"] == {"A": True, "B": False}


def test_config_dir_alpha_variable_and_unknown_flag(start):
    assert "KUBELET_CONFIG_DROPIN_DIR_ALPHA not set" in refused(start, "1.28.0", "", drop_ins={})
    assert start("1.29.0", "", drop_ins={}, env={"KUBELET_CONFIG_DROPIN_DIR_ALPHA": ""})[2] is False
    assert refused(start, "1.27.0", "", drop_ins={}) == "unknown flag: --config-dir"


def test_config_file_errors(start, tmp_path):
    assert "no such file or directory" in refused(start, "1.30.0", None, ["--config=%s" % (tmp_path / "nope.yaml")])
    (tmp_path / "bad.yaml").write_text("apiVersion: v1\nkind: Pod\n")
    assert 'no kind "Pod" is registered for version "v1"' in refused(start, "1.30.0", None, ["--config=%s" % (tmp_path / "bad.yaml")])
