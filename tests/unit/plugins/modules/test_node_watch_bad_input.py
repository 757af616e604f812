"""node_watch given broken input: crictl's listing, the options, `systemctl show`, and a kernel record cursor that is
not a readable regular file. Each fails naming the command, option or file, before the cursor is read or written,
so the tree is unchanged. crictl and systemctl are stand-ins; the module runs as Ansible runs it."""

import os

import pytest
from lib.badinput import assert_refused, run_module, snapshot
from lib.commands import executable
from lib.fuzz_crictl import BAD_PS, PS, stand_in, text

ENDPOINT = "unix:///run/containerd/containerd.sock"
SYSTEMCTL = "#!/bin/sh\nprintf 'ActiveState=active\\nSubState=running\\nNRestarts=%s\\nMainPID=4242\\n'\n"


def watch(tmp_path, ps=(text(PS).encode(), 0, ""), restarts="0", **args):
    crictl = stand_in(tmp_path / "bin", ps=ps)
    executable(tmp_path / "bin", "systemctl", SYSTEMCTL % restarts)
    (tmp_path / "state").mkdir(exist_ok=True)
    before = snapshot(tmp_path / "state")
    result = run_module("node_watch", dict(dict(since=0, crictl=crictl, runtime_endpoint=ENDPOINT), **args), tmp_path,
                        env={"PATH": "%s:%s" % (tmp_path / "bin", os.environ["PATH"])})
    assert snapshot(tmp_path / "state") == before
    return result


# The whole table runs against restart_containers and cri itself; here the cases the watch's own reading met.
@pytest.mark.parametrize("case", ["labels-a-string", "created-not-a-number", "rc-1-with-stderr"])
def test_a_broken_listing_names_the_command(tmp_path, case):
    out, rc, err, words = BAD_PS[case]
    assert_refused(watch(tmp_path, ps=(out, rc, err)), "crictl --runtime-endpoint %s ps -a" % ENDPOINT, *words)


@pytest.mark.parametrize("args, words", [
    (dict(healthz_url="ftp://127.0.0.1/healthz"), ["healthz_url", "ftp://127.0.0.1/healthz", "http"]),
    (dict(healthz_url="http://127.0.0.1:ten/healthz"), ["healthz_url", "is not a URL"]),
    (dict(wait=-1), ["wait", "must not be negative"]),
], ids=["ftp-url", "port-not-a-number", "negative-wait"])
def test_a_bad_option_is_named(tmp_path, args, words):
    assert_refused(watch(tmp_path, **args), *words)


def test_systemctl_printing_no_number_is_named(tmp_path):
    assert_refused(watch(tmp_path, restarts="lots", start=True), "systemctl show kubelet.service", "NRestarts", "lots")


def _fifo(path):
    os.mkfifo(str(path))


CURSORS = {
    "cursor-a-directory": (lambda path: path.mkdir(), ["enforce.json", "is a directory"]),
    "cursor-unreadable": (lambda path: (path.write_text("{}"), os.chmod(str(path), 0)), ["enforce.json", "not readable"]),
    "cursor-not-utf-8": (lambda path: path.write_bytes(b'{"a": "\xff"}'), ["enforce.json", "not UTF-8"]),
    "cursor-a-fifo": (_fifo, ["enforce.json", "not a regular file"]),
}


@pytest.mark.parametrize("case, start", [(case, False) for case in sorted(CURSORS)] + [("cursor-a-directory", True)],
                         ids=sorted(CURSORS) + ["cursor-a-directory-at-the-start"])
def test_a_cursor_that_is_not_a_readable_file_is_named_and_left_alone(tmp_path, case, start):
    (tmp_path / "state").mkdir()
    make, words = CURSORS[case]
    make(tmp_path / "state" / "enforce.json")
    assert_refused(watch(tmp_path, kernel_state_dir=str(tmp_path / "state"), start=start), *words)


def test_a_state_dir_that_is_a_file_is_named(tmp_path):
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "file").write_text("x")
    result = watch(tmp_path, kernel_state_dir=str(tmp_path / "state" / "file"))
    assert_refused(result, str(tmp_path / "state" / "file"), "is not a directory")
    result = watch(tmp_path, kernel_state_dir=str(tmp_path / "state" / "file" / "sub"))
    assert_refused(result, "runs through something that is not a directory")
