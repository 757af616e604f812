"""kubelet_health given broken input: options that cannot mean a health check, a `systemctl show` that prints no
numbers, a journal with bytes that are not UTF-8. systemctl and journalctl are stand-ins on PATH; the module runs as
Ansible runs it and reads no file, so the stand-ins' directory is the tree that must not change."""

import os

import pytest
from lib.badinput import assert_refused, run_module, snapshot
from lib.commands import executable

SYSTEMCTL = "#!/bin/sh\nprintf 'ActiveState=activating\\nSubState=auto-restart\\nNRestarts=%s\\nMainPID=0\\n'\n"
# Nothing answers on the discard port: the kubelet is "not healthy" at once.
DOWN = "http://127.0.0.1:9/healthz"


def health(tmp_path, restarts="0", journal=b"", **args):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    executable(bin_dir, "systemctl", SYSTEMCTL % restarts)
    executable(bin_dir, "journalctl", "#!/bin/sh\ncat \"$(dirname \"$0\")/journal\"\n")
    (bin_dir / "journal").write_bytes(journal)
    before = snapshot(bin_dir)
    result = run_module("kubelet_health", dict(dict(url=DOWN, timeout=2, stable_seconds=0), **args), tmp_path,
                        env={"PATH": "%s:%s" % (bin_dir, os.environ["PATH"])})
    assert snapshot(bin_dir) == before
    return result


@pytest.mark.parametrize("args, words", [
    (dict(url="ftp://127.0.0.1/healthz"), ["url", "ftp://127.0.0.1/healthz", "not an http(s) URL"]),
    (dict(url="127.0.0.1:10248/healthz"), ["url", "not an http(s) URL"]),
    (dict(url="http://127.0.0.1:ten/healthz"), ["url", "is not a URL"]),
    (dict(timeout=-1), ["timeout", "must not be negative"]),
    (dict(restarts_before=-1), ["restarts_before", "must not be negative"]),
    (dict(journal_lines=-20), ["journal_lines", "must not be negative"]),
], ids=["ftp-url", "url-without-scheme", "port-not-a-number", "negative-timeout", "negative-restarts-before",
        "negative-journal-lines"])
def test_a_bad_option_is_named(tmp_path, args, words):
    assert_refused(health(tmp_path, **args), *words)


def test_systemctl_printing_no_number_is_named(tmp_path):
    assert_refused(health(tmp_path, restarts="lots", restarts_before=0), "systemctl show kubelet.service", "NRestarts", "lots")


def test_a_journal_that_is_not_utf_8_reaches_the_controller_as_replacement_characters(tmp_path):
    journal = b'E0610 run.go:72] "command failed" err="failed to load kubelet config file \xff\xfe"\n'
    result = health(tmp_path, restarts="1", restarts_before=0, journal=journal)
    assert result.get("failed") and not result.get("crashed")
    assert result["journal"] == ['E0610 run.go:72] "command failed" err="failed to load kubelet config file \ufffd\ufffd"']
    assert result["error"] == "failed to load kubelet config file \ufffd\ufffd"
